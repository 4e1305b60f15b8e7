//! `baton sla` as a user runs it: the shared examples and broken streams.

mod common;
use common::*;

#[test]
fn example_sla_emea_onboarding() {
    check_jsonl_example(
        "sla_emea_onboarding",
        &[
            "sla",
            "--policy",
            "policy.baton",
            "--at",
            "2026-12-10T16:00:00Z",
            "events.jsonl",
        ],
        0,
    );
}

#[test]
fn example_sla_tier2_escalations() {
    check_jsonl_example(
        "sla_tier2_escalations",
        &[
            "sla",
            "--policy",
            "policy.baton",
            "--at",
            "2026-06-20T12:00:00Z",
            "events.jsonl",
        ],
        1,
    );
}

fn run(events: &str, at: &str) -> (Vec<serde_json::Value>, i32) {
    let dir = example("sla_tier2_escalations");
    let (out, err, code) = baton_in(
        &dir,
        &["sla", "--policy", "policy.baton", "--at", at, "-"],
        Some(events),
    );
    assert!(code != 2, "{err}");
    (jsonl(&out), code)
}

const OPEN: &str = r#"{"handoff": "A", "block": "tier2_escalation", "type": "opened", "at": "2026-06-19T00:00:00Z", "note": {"id": "A", "current_status": "x", "risks": "y", "promised_features": []}}"#;

#[test]
fn a_broken_instance_is_one_error_line_and_the_others_are_reported() {
    let events = [
        r#"{"handoff": "B", "type": "acknowledged", "at": "2026-06-19T00:00:00Z"}"#,
        OPEN,
        r#"{"handoff": "B", "block": "tier2_escalation", "type": "opened", "at": "2026-06-19T01:00:00Z", "note": {"id": "B", "promised_features": []}}"#,
        r#"{"handoff": "C", "block": "nope", "type": "opened", "at": "2026-06-19T00:00:00Z", "note": {"id": "C", "promised_features": []}}"#,
        r#"{"handoff": "D", "block": "tier2_escalation", "type": "opened", "at": "2026-06-19T00:00:00Z", "note": {"id": "D", "promised_features": []}}"#,
        r#"{"handoff": "D", "block": "tier2_escalation", "type": "opened", "at": "2026-06-19T02:00:00Z", "note": {"id": "D", "promised_features": []}}"#,
        r#"{"handoff": "E", "type": "opened", "at": "yesterday"}"#,
        r#"{"type": "opened", "at": "2026-06-19T00:00:00Z"}"#,
    ]
    .join("\n");
    let (r, code) = run(&events, "2026-06-20T00:00:00Z");
    assert_eq!(code, 1);
    let ids: Vec<_> = r.iter().map(|x| x["handoff"].clone()).collect();
    let want: Vec<serde_json::Value> = ["B", "A", "C", "D", "E"]
        .into_iter()
        .map(Into::into)
        .chain([serde_json::Value::Null])
        .collect();
    assert_eq!(ids, want);
    assert_eq!(
        (
            r[0]["line"].clone(),
            r[0]["error"].as_str().unwrap().contains("before `opened`")
        ),
        (1.into(), true)
    );
    assert!(r[1].get("error").is_none(), "{}", r[1]);
    assert!(r[2]["error"]
        .as_str()
        .unwrap()
        .contains("unknown handoff block `nope`"));
    assert_eq!(r[3]["line"], 6);
    assert!(r[3]["error"].as_str().unwrap().contains("second time"));
    assert!(r[4]["error"].as_str().unwrap().contains("`at`"));
    assert_eq!(r[5]["line"], 8);
}

#[test]
fn events_after_at_do_not_count_and_not_yet_opened_is_an_error() {
    let events = format!(
        "{OPEN}\n{}",
        r#"{"handoff": "A", "type": "acknowledged", "at": "2026-06-25T00:00:00Z"}"#
    );
    let (r, _) = run(&events, "2026-06-19T00:30:00Z");
    assert_eq!(r[0]["goals"]["acknowledge"]["state"], "running");
    let (r, code) = run(&events, "2026-06-18T00:00:00Z");
    assert_eq!(code, 1);
    assert!(r[0]["error"].as_str().unwrap().contains("not opened"));
}

#[test]
fn note_updated_merges_and_null_removes() {
    let events = format!(
        "{OPEN}\n{}\n",
        r#"{"handoff": "A", "type": "note_updated", "at": "2026-06-19T00:10:00Z", "note": {"risks": null, "promised_features": ["on_prem"]}}"#
    );
    let (r, _) = run(&events, "2026-06-19T00:30:00Z");
    assert_eq!(
        r[0]["note"],
        serde_json::json!({"complete": false, "missing": ["risks"]})
    );
    assert_eq!(r[0]["flags"], serde_json::json!(["oversold"]));
}

/// A goal that falls due after 9999-12-31 has no timestamp to print: the
/// instance is an error line saying so, never a bare number of seconds.
#[test]
fn a_due_instant_beyond_year_9999_is_an_error_line() {
    let dir = std::env::temp_dir().join(format!("baton-far-due-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("far.baton"),
        "policy \"far\" version 1 effective 2026-01-01\n\
         record note key id { id: text }\n\
         handoff slow note note {\n  sla forever within 500000w met by \"done\"\n}\n",
    )
    .unwrap();
    let events = r#"{"handoff": "H-1", "block": "slow", "type": "opened", "at": "2026-01-02T00:00:00Z", "note": {"id": "H-1"}}
"#;
    let (out, _, code) = baton_in(
        &dir,
        &[
            "sla",
            "--policy",
            "far.baton",
            "--at",
            "2026-02-01T00:00:00Z",
            "-",
        ],
        Some(events),
    );
    assert_eq!(code, 1, "{out}");
    let lines = jsonl(&out);
    assert_eq!(lines.len(), 1, "{out}");
    assert_eq!(lines[0]["handoff"], "H-1");
    let error = lines[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("falls due after 9999-12-31"), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_overlong_event_line_is_an_error_object_and_the_rest_is_reported() {
    let dir = example("sla_tier2_escalations");
    let long = format!(
        r#"{{"handoff": "B", "type": "paused", "at": "2026-06-19T01:00:00Z", "why": "{}"}}"#,
        "x".repeat(600)
    );
    let events = format!("{OPEN}\n{long}\n");
    let (out, err, code) = baton_in(
        &dir,
        &[
            "sla",
            "--policy",
            "policy.baton",
            "--at",
            "2026-06-19T12:00:00Z",
            "--max-line-bytes",
            "512",
            "-",
        ],
        Some(&events),
    );
    assert_eq!(code, 1, "{err}");
    let r = jsonl(&out);
    assert_eq!(r.len(), 2, "{out}");
    assert_eq!(r[0]["handoff"], "A");
    assert_eq!(
        r[1],
        serde_json::json!({
            "error": format!("the line holds {} bytes, more than the limit of 512", long.len()),
            "line": 2,
            "handoff": null
        })
    );
}
