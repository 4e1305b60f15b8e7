//! The shipped sample files are exactly what the generator produces, and
//! the README's first command runs on them.

#[path = "support/samples.rs"]
mod samples;

mod common;

#[test]
fn shipped_samples_match_the_generator() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/samples");
    for (name, text) in samples::all() {
        let shipped = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(shipped == text, "policies/samples/{name} differs from the generator: run `cargo run --example gen_samples`");
    }
}

#[test]
fn readme_qualify_command_runs_on_the_shipped_policy() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (out, err, code) = common::baton_in(
        root,
        &[
            "qualify",
            "--policy",
            "policies/qualification",
            "--as-of",
            "2026-11-02",
            "policies/samples/leads.jsonl",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let rows = common::jsonl(&out);
    assert_eq!(rows.len(), 3_000);
    let sql = rows.iter().filter(|r| r["stage"] == "SQL").count();
    let mql = rows.iter().filter(|r| r["stage"] == "MQL").count();
    assert!(sql > 0 && mql > 0, "a realistic mix: {sql} SQL, {mql} MQL");
    assert!(rows.iter().all(|r| r["version"] == 2));
}

#[test]
fn shipped_policies_pass_their_own_tests() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (out, err, code) = common::baton_in(
        root,
        &[
            "test",
            "policies/qualification",
            "policies/health",
            "policies/handoff",
            "policies/commission",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(" passed, 0 failed"));
}

#[test]
fn readme_health_and_sla_commands_run_on_the_shipped_policies() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (out, err, code) = common::baton_in(
        root,
        &[
            "health",
            "--policy",
            "policies/health",
            "--as-of",
            "2026-11-02",
            "policies/samples/accounts.jsonl",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let rows = common::jsonl(&out);
    assert_eq!(rows.len(), 1_000);
    for band in ["healthy", "at_risk", "critical"] {
        assert!(rows.iter().any(|r| r["band"] == band), "no {band} account");
    }
    let (out, err, code) = common::baton_in(
        root,
        &[
            "sla",
            "--policy",
            "policies/handoff",
            "--at",
            "2026-12-15T17:00:00Z",
            "policies/samples/handoff_events.jsonl",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let rows = common::jsonl(&out);
    assert_eq!(rows.len(), 300);
    let states: Vec<&str> = rows
        .iter()
        .flat_map(|r| {
            r["goals"]
                .as_object()
                .unwrap()
                .values()
                .map(|g| g["state"].as_str().unwrap())
        })
        .collect();
    for s in ["met", "met_late", "breached", "stopped"] {
        assert!(states.contains(&s), "no {s} goal");
    }
    assert!(rows.iter().any(|r| r["flags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "oversold")));
}

#[test]
fn readme_clawback_command_runs_on_the_shipped_plan() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let summary =
        std::env::temp_dir().join(format!("baton-readme-summary-{}.csv", std::process::id()));
    let (out, err, code) = common::baton_in(
        root,
        &[
            "clawback",
            "--policy",
            "policies/commission",
            "--deals",
            "policies/samples/deals.csv",
            "--events",
            "policies/samples/deal_events.csv",
            "--as-of",
            "2026-11-30",
            "--summary",
            summary.to_str().expect("utf-8 path"),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let events =
        std::fs::read_to_string(root.join("policies/samples/deal_events.csv")).expect("events");
    let mut ledger = csv::Reader::from_reader(out.as_bytes());
    let rows: Vec<csv::StringRecord> = ledger.records().map(|r| r.expect("csv")).collect();
    let event_lines = rows.iter().filter(|r| !r[2].is_empty()).count();
    assert_eq!(
        event_lines,
        events.lines().count() - 1,
        "one line per event"
    );
    // Both plan versions govern deals, and every kind of line occurs.
    for v in ["1", "2"] {
        assert!(rows.iter().any(|r| &r[6] == v), "version {v} used");
    }
    for kind in [
        "clawback",
        "reinstatement",
        "upgrade",
        "bonus:support_upsell",
        "bonus:retention",
    ] {
        assert!(rows.iter().any(|r| &r[3] == kind), "a {kind} line");
    }
    assert!(rows.iter().all(|r| &r[4] != "error"));
    let summary = std::fs::read_to_string(&summary).expect("summary written");
    assert!(summary.starts_with("rep,currency,paid,clawed_back,reinstated,bonuses,net\n"));
}
