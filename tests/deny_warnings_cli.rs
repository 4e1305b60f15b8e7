//! Policies that CI must be able to refuse: a commission rule that reads a
//! column that does not exist fails the check (LANGUAGE.md §8), and
//! `--deny-warnings` turns every warning of `check` and of the evaluating
//! commands into a failure (exit 2, nothing evaluated).

mod common;

use std::fs;
use std::path::PathBuf;

use common::baton_in;

/// A fresh directory for one test's files.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("baton-deny-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).expect("temp dir");
    d
}

const DEALS: &str = "deal,rep,amount,currency,deal_value,closed_on\n\
                     D-1,sam,2500.00,USD,50000.00,2026-03-01\n";
const EVENTS: &str = "event,deal,type,on,reason,lost_value,added_value,rep,team\n\
                      E-1,D-1,cancellation,2026-03-20,acquired,,,,\n";

#[test]
fn a_misspelled_column_fails_the_check_and_evaluates_nothing() {
    let d = dir("misspelled");
    fs::write(
        d.join("plan.baton"),
        "policy \"plan\" version 1 effective 2026-01-01\n\
         commission ae_plan {\n  \
         clawback within 90 days of closed_on except when event.reasn in {\"acquired\"} {\n    \
         days 0 to 90: 100%\n  }\n}\n",
    )
    .unwrap();
    fs::write(d.join("deals.csv"), DEALS).unwrap();
    fs::write(d.join("events.csv"), EVENTS).unwrap();

    let (out, err, code) = baton_in(&d, &["check", "plan.baton"], None);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("error[E0101]"), "{err}");
    assert!(err.contains("did you mean `reason`?"), "{err}");
    assert!(!out.contains("ok"), "{out}");

    // The acquired customer is not clawed back -2,500.00: nothing runs.
    let (out, err, code) = baton_in(
        &d,
        &[
            "clawback",
            "--policy",
            "plan.baton",
            "--deals",
            "deals.csv",
            "--events",
            "events.csv",
            "--as-of",
            "2026-11-30",
        ],
        None,
    );
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(out, "", "{err}");
}

/// A policy with one block of each kind, clean but for one warning when
/// `warn` (an escalation on an incomplete note of a handoff that requires
/// no field: it can never fire).
fn every_block(warn: bool) -> String {
    let escalate = if warn {
        "  escalate when note incomplete to \"sales-manager\"\n"
    } else {
        ""
    };
    format!(
        "policy \"all\" version 1 effective 2026-01-01\n\
         record lead key id {{\n  id: text\n  seats: int\n}}\n\
         qualify lead {{\n  stage MQL when seats >= 10\n}}\n\
         health lead {{\n  measure size weight 1 {{\n    100 when seats >= 10\n    else 0\n  }}\n  \
         band healthy when score >= 50\n  band at_risk otherwise\n}}\n\
         record handoff_note key id {{\n  id: text\n  risks: text?\n}}\n\
         handoff onboarding note handoff_note {{\n  \
         sla first_response within 4h met by \"responded\"\n{escalate}}}\n\
         commission plan {{\n  clawback within 90 days of closed_on prorated\n}}\n\
         test \"a big lead\" {{\n  given lead {{ id: \"t1\", seats: 20 }}\n  expect stage MQL\n}}\n"
    )
}

/// Writes the policy and one input of each kind into a fresh directory.
fn setup(test: &str, warn: bool) -> PathBuf {
    let d = dir(test);
    fs::write(d.join("all.baton"), every_block(warn)).unwrap();
    fs::write(d.join("leads.jsonl"), "{\"id\": \"L-1\", \"seats\": 20}\n").unwrap();
    fs::write(d.join("leads.csv"), "id\nL-1\n").unwrap();
    fs::write(
        d.join("handoffs.jsonl"),
        "{\"handoff\": \"H-1\", \"block\": \"onboarding\", \"type\": \"opened\", \
         \"at\": \"2026-11-06T20:00:00Z\", \"note\": {\"id\": \"n1\"}}\n",
    )
    .unwrap();
    fs::write(d.join("deals.csv"), DEALS).unwrap();
    fs::write(d.join("events.csv"), EVENTS).unwrap();
    d
}

/// Every command that loads a policy, with arguments that evaluate cleanly.
const COMMANDS: [&[&str]; 6] = [
    &["check", "all.baton"],
    &["test", "all.baton"],
    &[
        "qualify",
        "--policy",
        "all.baton",
        "--as-of",
        "2026-11-02",
        "leads.jsonl",
    ],
    &[
        "health",
        "--policy",
        "all.baton",
        "--as-of",
        "2026-11-02",
        "leads.jsonl",
    ],
    &[
        "sla",
        "--policy",
        "all.baton",
        "--at",
        "2026-11-07T00:00:00Z",
        "handoffs.jsonl",
    ],
    &[
        "clawback",
        "--policy",
        "all.baton",
        "--deals",
        "deals.csv",
        "--events",
        "events.csv",
        "--as-of",
        "2026-11-30",
    ],
];

#[test]
fn a_warning_passes_without_the_flag() {
    let d = setup("passes", true);
    for args in COMMANDS {
        let (out, err, code) = baton_in(&d, args, None);
        assert_eq!(code, 0, "{args:?}\n{out}{err}");
        assert!(err.contains("warning[E0302]"), "{args:?}\n{err}");
        assert!(!out.is_empty(), "{args:?}: something is printed");
    }
}

#[test]
fn deny_warnings_fails_every_command_on_a_policy_warning() {
    let d = setup("denied", true);
    for args in COMMANDS {
        for quiet in [false, true] {
            let mut args = args.to_vec();
            args.insert(1, "--deny-warnings");
            if quiet {
                args.insert(1, "--quiet");
            }
            let (out, err, code) = baton_in(&d, &args, None);
            assert_eq!(code, 2, "{args:?}\n{out}{err}");
            assert_eq!(out, "", "{args:?}: nothing evaluated\n{err}");
            // The failure says why, even under --quiet.
            assert!(err.contains("warning[E0302]"), "{args:?}\n{err}");
            assert!(err.contains("denied by --deny-warnings"), "{args:?}\n{err}");
        }
    }
}

#[test]
fn deny_warnings_passes_a_clean_policy() {
    let d = setup("clean", false);
    for args in COMMANDS {
        let mut args = args.to_vec();
        args.insert(1, "--deny-warnings");
        let (out, err, code) = baton_in(&d, &args, None);
        assert_eq!(code, 0, "{args:?}\n{out}{err}");
        assert!(!err.contains("warning"), "{args:?}\n{err}");
    }
}

#[test]
fn deny_warnings_fails_on_the_command_line_warnings_too() {
    let d = setup("cli", false);
    for args in [
        // No column for the required field `seats`.
        &[
            "qualify",
            "--policy",
            "all.baton",
            "--as-of",
            "2026-11-02",
            "leads.csv",
        ][..],
        // `--explain` has no place in CSV output.
        &[
            "qualify",
            "--policy",
            "all.baton",
            "--as-of",
            "2026-11-02",
            "--explain",
            "--format",
            "csv",
            "leads.jsonl",
        ][..],
    ] {
        let (_, err, code) = baton_in(&d, args, None);
        assert!(code != 2 && err.contains("warning:"), "{args:?}\n{err}");
        let mut denied = args.to_vec();
        denied.insert(1, "--deny-warnings");
        let (out, err, code) = baton_in(&d, &denied, None);
        assert_eq!(code, 2, "{denied:?}\n{out}{err}");
        assert_eq!(out, "", "{denied:?}: nothing evaluated\n{err}");
        assert!(
            err.contains("denied by --deny-warnings"),
            "{denied:?}\n{err}"
        );
    }
}
