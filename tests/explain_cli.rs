//! `baton qualify --explain` and `baton health --explain` down to the
//! conditions that decided, on the shipped policies.

mod common;
use common::*;

use serde_json::{json, Value};

fn root() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The step of `rule…` in a result's `explain`.
fn step<'a>(result: &'a Value, rule: &str) -> &'a Value {
    result["explain"]
        .as_array()
        .expect("an explain array")
        .iter()
        .find(|s| s["rule"].as_str().is_some_and(|r| r.starts_with(rule)))
        .unwrap_or_else(|| panic!("no step `{rule}` in {result}"))
}

const STALE_LEAD: &str = r#"{"id": "L-2", "company": "Soylent", "industry": "fintech", "use_case": "support_automation", "budget": "97000.00 USD", "employees": 86, "decision_maker": false, "features": [], "source": "referral", "created": "2026-08-18"}"#;

#[test]
fn a_stage_names_the_condition_that_failed_with_its_value() {
    let args = [
        "qualify",
        "--policy",
        "policies/qualification",
        "--as-of",
        "2026-11-30",
        "--explain",
        "-",
    ];
    let (out, err, code) = baton_in(root(), &args, Some(&format!("{STALE_LEAD}\n")));
    assert_eq!(code, 0, "{err}");
    let r = jsonl(&out);
    let mql = step(&r[0], "stage MQL");
    assert_eq!(mql["result"], json!(false));
    // The rule's keys first, as before; then the conditions, stopping at
    // the first false one of the `and`.
    let line = out.lines().next().expect("a line");
    let at = |key: &str| {
        line.find("{\"rule\":\"stage MQL when")
            .and_then(|s| line[s..].find(key).map(|i| s + i))
            .expect("the key")
    };
    assert!(at("\"rule\"") < at("\"result\"") && at("\"result\"") < at("\"conditions\""));
    assert!(line.contains(
        r#"{"condition":"fit >= 40","result":true,"operands":[{"expr":"fit","value":"45"}]}"#
    ));
    assert_eq!(
        mql["conditions"],
        json!([
            {"condition": "fit >= 40", "result": true,
             "operands": [{"expr": "fit", "value": "45"}]},
            {"condition": "use_case is set", "result": true,
             "operands": [{"expr": "use_case", "value": "support_automation"}]},
            {"condition": "in_days(today - created) <= 45", "result": false,
             "operands": [{"expr": "in_days(today - created)", "value": "104"}]},
        ])
    );
    // A score rule is one condition.
    assert_eq!(
        step(&r[0], "score fit: add 20 when industry")["conditions"],
        json!([{"condition": "industry in target_industries", "result": true,
                "operands": [{"expr": "industry", "value": "fintech"}]}])
    );
}

#[test]
fn unknown_operands_are_null_and_an_or_is_followed_to_its_end() {
    let lead = STALE_LEAD
        .replace("\"budget\": \"97000.00 USD\", ", "")
        .replace("2026-08-18", "2026-11-20");
    let args = [
        "qualify",
        "--policy",
        "policies/qualification",
        "--as-of",
        "2026-11-30",
        "--explain",
        "--format",
        "json",
        "-",
    ];
    let (out, err, code) = baton_in(root(), &args, Some(&format!("{lead}\n")));
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("a JSON array");
    let mql = step(&v[0], "stage MQL");
    assert_eq!(mql["result"], Value::Null);
    assert_eq!(mql["unknown"], json!(["budget"]));
    let c = mql["conditions"].as_array().expect("conditions");
    let texts: Vec<&str> = c.iter().map(|x| x["condition"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            "fit >= 40",
            "use_case is set",
            "in_days(today - created) <= 45",
            "currency(budget) == \"USD\"",
            "budget >= 15_000 USD",
            "currency(budget) == \"EUR\"",
            "budget >= 13_500 EUR",
        ]
    );
    assert_eq!(
        c[4],
        json!({"condition": "budget >= 15_000 USD", "result": null,
               "operands": [{"expr": "budget", "value": null, "currency": null}]})
    );
}

#[test]
fn health_arms_until_the_one_that_matched_and_bands_with_the_score() {
    let account = r#"{"account_id": "C-1", "segment": "smb", "activation_steps": 4, "signed_on": "2026-09-01", "first_value_on": "2026-09-20", "milestones": ["first_report"], "weekly_active_ratio": "0.45"}"#;
    let args = [
        "health",
        "--policy",
        "policies/health",
        "--as-of",
        "2026-11-30",
        "--explain",
        "-",
    ];
    let (out, err, code) = baton_in(root(), &args, Some(&format!("{account}\n")));
    assert_eq!(code, 0, "{err}");
    let r = jsonl(&out);
    let rules: Vec<&str> = r[0]["explain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rule"].as_str().unwrap())
        .filter(|s| s.starts_with("measure time_to_value"))
        .collect();
    assert_eq!(rules.len(), 2, "{rules:?}");
    let first = step(&r[0], "measure time_to_value: 100 when");
    assert_eq!(
        first["conditions"],
        json!([
            {"condition": "first_value_on is set", "result": true,
             "operands": [{"expr": "first_value_on", "value": "2026-09-20"}]},
            {"condition": "first_value_on - signed_on <= 14d", "result": false,
             "operands": [{"expr": "first_value_on - signed_on", "value_seconds": 1_641_600}]},
        ])
    );
    let matched = step(&r[0], "measure time_to_value: 60 when");
    assert_eq!(matched["result"], json!(true));
    assert_eq!(matched["conditions"].as_array().unwrap().len(), 2);
    // The score as the scorecard prints it, with its two places.
    assert_eq!(r[0]["score"], json!("53.50"));
    assert_eq!(
        step(&r[0], "band healthy")["conditions"],
        json!([{"condition": "score >= 75", "result": false,
                "operands": [{"expr": "score", "value": "53.50"}]}])
    );
    assert_eq!(step(&r[0], "band at_risk")["result"], json!(true));
    // The arm that matched is the measure's last step.
    assert_eq!(
        step(&r[0], "measure activation: 60 when")["result"],
        json!(true)
    );
    assert!(!out.contains("measure activation: else"));
}

#[test]
fn without_explain_nothing_is_added() {
    let args = [
        "qualify",
        "--policy",
        "policies/qualification",
        "--as-of",
        "2026-11-30",
        "-",
    ];
    let (out, _, code) = baton_in(root(), &args, Some(&format!("{STALE_LEAD}\n")));
    assert_eq!(code, 0);
    assert!(
        !out.contains("explain") && !out.contains("conditions"),
        "{out}"
    );
}
