//! `baton diff`: every figure it prints is reproduced from two plain runs
//! with `--summary`, a policy against itself changes nothing, and the
//! options and exit codes work as documented.

mod common;
use common::*;

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.expect("a CSV row").iter().map(String::from).collect())
        .collect()
}

/// `count` of the summary row (kind, name).
fn summary_count(rows: &[Vec<String>], kind: &str, name: &str) -> u64 {
    rows.iter()
        .find(|r| r[0] == kind && r[1] == name)
        .map_or(0, |r| r[2].parse().expect("a count"))
}

/// The summary CSV of `baton <cmd> --policy <policy> <input>`; `policy`
/// may pin a version as `diff` does (`DIR@N`).
fn summary_of(cmd: &str, policy: &str, input: &str) -> Vec<Vec<String>> {
    let (policy, version) = match policy.rsplit_once('@') {
        Some((p, v)) => (p, Some(v)),
        None => (policy, None),
    };
    let dir = std::env::temp_dir().join(format!(
        "baton-diff-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("scratch");
    let out = dir.join("summary.csv");
    let mut args = vec![
        cmd,
        "--policy",
        policy,
        "--as-of",
        "2026-11-30",
        "--output",
        "/dev/null",
        "--summary",
        out.to_str().expect("utf-8"),
        input,
    ];
    if let Some(v) = version {
        args.extend(["--version", v]);
    }
    let (_, err, code) = baton_in(root(), &args, None);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).expect("the summary");
    std::fs::remove_dir_all(&dir).ok();
    csv_rows(&text)
}

fn diff_json(cmd: &str, from: &str, to: &str, input: &str) -> serde_json::Value {
    let (out, err, code) = baton_in(
        root(),
        &[
            "diff",
            cmd,
            "--from",
            from,
            "--to",
            to,
            "--as-of",
            "2026-11-30",
            "--format",
            "json",
            input,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("one JSON document")
}

/// Row sums of the matrix are the old run's counts per stage or band,
/// column sums the new run's: each as `--summary` of a plain run says.
fn check_matrix_against_summaries(
    cmd: &str,
    kind: &str,
    from: &str,
    to: &str,
    input: &str,
) -> serde_json::Value {
    let d = diff_json(cmd, from, to, input);
    let old = summary_of(cmd, from, input);
    let new = summary_of(cmd, to, input);
    let matrix = d["matrix"].as_array().expect("a matrix");
    let sum = |side: &str, label: &str| -> u64 {
        matrix
            .iter()
            .filter(|t| t[side] == label)
            .map(|t| t["count"].as_u64().expect("a count"))
            .sum()
    };
    for label in d["labels"].as_array().expect("labels") {
        let label = label.as_str().expect("a label");
        if label == "error" {
            assert_eq!(sum("old", label), summary_count(&old, "errors", ""));
            assert_eq!(sum("new", label), summary_count(&new, "errors", ""));
        } else {
            assert_eq!(
                sum("old", label),
                summary_count(&old, kind, label),
                "old {label}"
            );
            assert_eq!(
                sum("new", label),
                summary_count(&new, kind, label),
                "new {label}"
            );
        }
    }
    assert_eq!(
        d["records"].as_u64(),
        Some(summary_count(&old, "records", ""))
    );
    d
}

#[test]
fn qualify_v1_to_v2_is_reproduced_from_two_plain_runs() {
    let d = check_matrix_against_summaries(
        "qualify",
        "stage",
        "policies/qualification@1",
        "policies/qualification@2",
        "policies/samples/leads.jsonl",
    );
    assert_eq!(d["from"], "qualification v1");
    assert_eq!(d["to"], "qualification v2");
    assert!(d["moved"].as_u64().expect("moved") > 0);
    // Moved records are the off-diagonal cells.
    let off: u64 = d["matrix"]
        .as_array()
        .expect("matrix")
        .iter()
        .filter(|t| t["old"] != t["new"])
        .map(|t| t["count"].as_u64().expect("count"))
        .sum();
    assert_eq!(d["moved"].as_u64(), Some(off));
}

#[test]
fn health_against_a_changed_copy_is_reproduced_from_two_plain_runs() {
    // A copy of the shipped health policy whose at-risk line moved.
    let src = std::fs::read_to_string(root().join("policies/health/v1.baton")).expect("policy");
    let dir = std::env::temp_dir().join(format!("baton-diff-health-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let changed = src.replacen(
        "band healthy when score >= 75",
        "band healthy when score >= 65",
        1,
    );
    assert!(changed != src, "the policy has a healthy line to move");
    let path = dir.join("health.baton");
    std::fs::write(&path, changed).expect("write");
    let d = check_matrix_against_summaries(
        "health",
        "band",
        "policies/health",
        path.to_str().expect("utf-8"),
        "policies/samples/accounts.jsonl",
    );
    std::fs::remove_dir_all(&dir).ok();
    assert!(d["changed"].as_u64().expect("changed") > 0, "{d}");
}

#[test]
fn a_policy_against_itself_changes_nothing() {
    for (cmd, policy, input) in [
        (
            "qualify",
            "policies/qualification",
            "policies/samples/leads.jsonl",
        ),
        (
            "health",
            "policies/health",
            "policies/samples/accounts.jsonl",
        ),
    ] {
        let d = diff_json(cmd, policy, policy, input);
        assert_eq!(d["changed"], 0, "{d}");
        assert_eq!(d["moved"], 0, "{d}");
        for t in d["matrix"].as_array().expect("matrix") {
            assert_eq!(t["old"], t["new"], "{d}");
        }
        let (out, err, code) = baton_in(
            root(),
            &[
                "diff",
                cmd,
                "--from",
                policy,
                "--to",
                policy,
                "--as-of",
                "2026-11-30",
                "--exit-code",
                input,
            ],
            None,
        );
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with("0 of "), "{out}");
    }
}

#[test]
fn changes_csv_and_exit_code_agree_with_the_counts() {
    let dir = std::env::temp_dir().join(format!("baton-diff-changes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let changes = dir.join("changes.jsonl");
    let csv_out = dir.join("changes.csv");
    let args = |extra: &[&str]| -> Vec<String> {
        [
            "diff",
            "qualify",
            "--from",
            "policies/qualification@1",
            "--to",
            "policies/qualification@2",
            "--as-of",
            "2026-11-30",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(extra.iter().map(|s| s.to_string()))
        .chain(["policies/samples/leads.jsonl".to_string()])
        .collect()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        baton_in(root(), &a, None)
    };
    let (out, err, code) = run(&["--changes", changes.to_str().expect("utf-8"), "--exit-code"]);
    assert_eq!(code, 1, "--exit-code with changes: {err}");
    let headline = out.lines().next().unwrap_or_default().to_string();
    assert!(headline.contains(" of 3,000 leads change stage"), "{out}");
    let lines: Vec<serde_json::Value> = jsonl(&std::fs::read_to_string(&changes).expect("changes"));
    let d = diff_json(
        "qualify",
        "policies/qualification@1",
        "policies/qualification@2",
        "policies/samples/leads.jsonl",
    );
    assert_eq!(Some(lines.len() as u64), d["changed"].as_u64());
    // Every change names its line and key, both outcomes, and a moved
    // record names the stage rule that flipped.
    let moved = lines
        .iter()
        .filter(|c| c["old"]["stage"] != c["new"]["stage"])
        .count() as u64;
    assert_eq!(Some(moved), d["moved"].as_u64());
    for c in &lines {
        assert!(c["line"].as_u64().is_some() && c["key"].is_string(), "{c}");
        if c["old"]["stage"] != c["new"]["stage"] {
            let rules = c["rules"].as_array().expect("rules");
            assert!(
                rules
                    .iter()
                    .any(|r| r["rule"].as_str().is_some_and(|s| s.starts_with("stage "))),
                "{c}"
            );
        }
    }
    let (_, err, code) = run(&[
        "--format",
        "csv",
        "--output",
        csv_out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    let rows = csv_rows(&std::fs::read_to_string(&csv_out).expect("csv"));
    assert_eq!(Some(rows.len() as u64), d["changed"].as_u64());
    assert!(rows.iter().all(|r| r.len() == 5));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_policy_arguments_exit_2() {
    for (from, why) in [
        ("policies/qualification@x", "is not a version number"),
        ("policies/nowhere", "does not exist"),
        ("policies/qualification@9", "9"),
    ] {
        let (out, err, code) = baton_in(
            root(),
            &[
                "diff",
                "qualify",
                "--from",
                from,
                "--to",
                "policies/qualification",
                "policies/samples/leads.jsonl",
            ],
            None,
        );
        assert_eq!((code, out.as_str()), (2, ""), "{from}: {err}");
        assert!(err.contains(why), "{from}: {err}");
    }
}

#[test]
fn clawback_deltas_are_the_difference_of_two_summaries() {
    let dir = std::env::temp_dir().join(format!("baton-diff-claw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let summary = |v: &str| -> Vec<Vec<String>> {
        let out = dir.join(format!("s{v}.csv"));
        let (_, err, code) = baton_in(
            root(),
            &[
                "clawback",
                "--policy",
                "policies/commission",
                "--version",
                v,
                "--deals",
                "policies/samples/deals.csv",
                "--events",
                "policies/samples/deal_events.csv",
                "--as-of",
                "2026-11-30",
                "--output",
                "/dev/null",
                "--summary",
                out.to_str().expect("utf-8"),
            ],
            None,
        );
        assert_eq!(code, 0, "{err}");
        csv_rows(&std::fs::read_to_string(out).expect("summary"))
    };
    let (s1, s2) = (summary("1"), summary("2"));
    let (out, err, code) = baton_in(
        root(),
        &[
            "diff",
            "clawback",
            "--from",
            "policies/commission@1",
            "--to",
            "policies/commission@2",
            "--deals",
            "policies/samples/deals.csv",
            "--events",
            "policies/samples/deal_events.csv",
            "--as-of",
            "2026-11-30",
            "--format",
            "json",
            "--exit-code",
        ],
        None,
    );
    assert_eq!(code, 1, "changes, with --exit-code: {err}");
    let d: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    // The summary's columns: rep,currency,paid,clawed_back,reinstated,bonuses,net.
    let cell = |rows: &[Vec<String>], rep: &str, cur: &str, col: usize| -> rust_decimal::Decimal {
        rows.iter()
            .find(|r| r[0] == rep && r[1] == cur)
            .map_or(rust_decimal::Decimal::ZERO, |r| {
                r[col].parse().expect("a decimal")
            })
    };
    let reps = d["reps"].as_array().expect("reps");
    assert!(!reps.is_empty());
    for r in reps {
        let (rep, cur) = (
            r["rep"].as_str().expect("rep"),
            r["currency"].as_str().expect("currency"),
        );
        for (col, name) in [
            (2, "paid"),
            (3, "clawed_back"),
            (4, "reinstated"),
            (5, "bonuses"),
            (6, "net"),
        ] {
            let (o, n) = (cell(&s1, rep, cur, col), cell(&s2, rep, cur, col));
            let got = |k: &str| -> rust_decimal::Decimal {
                r[name][k]
                    .as_str()
                    .expect("an amount")
                    .parse()
                    .expect("a decimal")
            };
            assert_eq!(got("old"), o, "{rep} {cur} {name}");
            assert_eq!(got("new"), n, "{rep} {cur} {name}");
            assert_eq!(got("delta"), n - o, "{rep} {cur} {name}");
        }
    }
    // Against itself: nothing changes, exit 0 even with --exit-code.
    let (out, err, code) = baton_in(
        root(),
        &[
            "diff",
            "clawback",
            "--from",
            "policies/commission@2",
            "--to",
            "policies/commission@2",
            "--deals",
            "policies/samples/deals.csv",
            "--events",
            "policies/samples/deal_events.csv",
            "--as-of",
            "2026-11-30",
            "--exit-code",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("0 of "), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `sla --summary` of `policy` on the shipped handoff events at one instant.
fn sla_summary(policy: &str, dir: &Path) -> Vec<Vec<String>> {
    let out = dir.join(format!("sla-{}.csv", policy.len()));
    let (_, err, code) = baton_in(
        root(),
        &[
            "sla",
            "--policy",
            policy,
            "--at",
            "2026-12-15T17:00:00Z",
            "--output",
            "/dev/null",
            "--summary",
            out.to_str().expect("utf-8"),
            "policies/samples/handoff_events.jsonl",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    csv_rows(&std::fs::read_to_string(out).expect("summary"))
}

#[test]
fn sla_summary_counts_the_output_and_diff_sla_reproduces_two_summaries() {
    let dir = std::env::temp_dir().join(format!("baton-diff-sla-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    // The summary counts what the run prints.
    let (out, err, code) = baton_in(
        root(),
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
    let statuses = jsonl(&out);
    let old = sla_summary("policies/handoff", &dir);
    assert_eq!(summary_count(&old, "instances", ""), statuses.len() as u64);
    let goal = "closed_won_onboarding.first_response";
    let met = statuses
        .iter()
        .filter(|s| s["goals"]["first_response"]["state"] == "met")
        .count() as u64;
    assert_eq!(summary_count(&old, "met", goal), met);
    // A copy whose first response target is 6h instead of 4h.
    let src = std::fs::read_to_string(root().join("policies/handoff/v1.baton")).expect("policy");
    let changed = src.replacen("first_response within 4h", "first_response within 6h", 1);
    assert!(changed != src);
    let path = dir.join("handoff.baton");
    std::fs::write(&path, changed).expect("write");
    let new = sla_summary(path.to_str().expect("utf-8"), &dir);
    let (out, err, code) = baton_in(
        root(),
        &[
            "diff",
            "sla",
            "--from",
            "policies/handoff",
            "--to",
            path.to_str().expect("utf-8"),
            "--at",
            "2026-12-15T17:00:00Z",
            "--format",
            "json",
            "policies/samples/handoff_events.jsonl",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let d: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    for g in d["goals"].as_array().expect("goals") {
        let name = format!(
            "{}.{}",
            g["block"].as_str().expect("block"),
            g["goal"].as_str().expect("goal")
        );
        for state in [
            "met", "met_late", "breached", "paused", "stopped", "running",
        ] {
            let sum = |side: usize| -> u64 {
                g["transitions"]
                    .as_array()
                    .expect("transitions")
                    .iter()
                    .filter(|t| t[side] == state)
                    .map(|t| t[2].as_u64().expect("count"))
                    .sum()
            };
            assert_eq!(
                sum(0),
                summary_count(&old, state, &name),
                "old {name} {state}"
            );
            assert_eq!(
                sum(1),
                summary_count(&new, state, &name),
                "new {name} {state}"
            );
        }
    }
    assert!(d["changed"].as_u64().expect("changed") > 0);
    // Against itself: nothing.
    let (out, err, code) = baton_in(
        root(),
        &[
            "diff",
            "sla",
            "--from",
            "policies/handoff",
            "--to",
            "policies/handoff",
            "--at",
            "2026-12-15T17:00:00Z",
            "--exit-code",
            "policies/samples/handoff_events.jsonl",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("0 of 300 handoffs change"), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn fields_declared_differently_are_warned_about() {
    let dir = std::env::temp_dir().join(format!("baton-diff-fields-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let policy = |ty: &str| {
        format!(
            "policy \"p\" version 1 effective 2026-01-01\n\
             record lead key id {{\n  id: text\n  seats: {ty}\n}}\n\
             qualify lead {{\n  stage big when seats >= 50\n}}\n"
        )
    };
    std::fs::write(dir.join("a.baton"), policy("int")).expect("write");
    std::fs::write(dir.join("b.baton"), policy("decimal?")).expect("write");
    std::fs::write(dir.join("in.jsonl"), "{\"id\":\"x\",\"seats\":60}\n").expect("write");
    let args = |deny: bool| {
        let mut v = vec![
            "diff",
            "qualify",
            "--from",
            "a.baton",
            "--to",
            "b.baton",
            "--as-of",
            "2026-11-30",
        ];
        if deny {
            v.push("--deny-warnings");
        }
        v.push("in.jsonl");
        v
    };
    let (out, err, code) = baton_in(&dir, &args(false), None);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: field `seats` is int in p v1 and decimal in p v1"),
        "{err}"
    );
    // Required on one side only: the warning names the side.
    std::fs::write(dir.join("b.baton"), policy("int?")).expect("write");
    let (_, err, _) = baton_in(&dir, &args(false), None);
    assert!(
        err.contains("is required in p v1 (--from) and optional in p v1: a record without it is an error under p v1 only"),
        "{err}"
    );
    assert!(out.starts_with("0 of 1 leads change stage"), "{out}");
    let (out, err, code) = baton_in(&dir, &args(true), None);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_json_array_diffs_as_its_json_lines_do() {
    let dir = std::env::temp_dir().join(format!("baton-diff-array-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let lines =
        std::fs::read_to_string(root().join("policies/samples/leads.jsonl")).expect("leads");
    let array = format!("[{}]", lines.lines().collect::<Vec<_>>().join(",\n"));
    let path = dir.join("leads.json");
    std::fs::write(&path, array).expect("write");
    let from_lines = diff_json(
        "qualify",
        "policies/qualification@1",
        "policies/qualification@2",
        "policies/samples/leads.jsonl",
    );
    let from_array = diff_json(
        "qualify",
        "policies/qualification@1",
        "policies/qualification@2",
        path.to_str().expect("utf-8"),
    );
    assert_eq!(from_lines, from_array);
    std::fs::remove_dir_all(&dir).ok();
}
