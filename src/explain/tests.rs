//! Unit tests of the condition traces: where a walk stops, `not`, the
//! operands shown and how their values are written.

use chrono::NaiveDate;
use serde_json::{json, Value as Json};

use super::{conditions, step, Step};
use crate::program::eval::Env;
use crate::program::Program;
use crate::value::Val;

const HEAD: &str = r#"policy "p" version 1 effective 2026-01-01
  currency USD
record lead key id {
  id: text
  a: int?
  b: int?
  t: text?
  f: bool?
  s: set of text?
  m: money?
  dur: duration?
  d: date?
}
"#;

fn program(body: &str) -> Program {
    match crate::check::compile("p.baton", &format!("{HEAD}{body}")) {
        Ok((p, _)) => p,
        Err(d) => panic!("{d:?}"),
    }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).expect("date")
}

/// The step of `stage S when COND` for `record` (JSON), its result from
/// the evaluator.
fn stage_step(cond: &str, record: &str) -> Step {
    let p = program(&format!("qualify lead {{\n  stage S when {cond}\n}}\n"));
    let schema = p.records.first().expect("a record type");
    let r = schema.from_json_str(record).expect("a record");
    let st = p
        .qualify
        .as_ref()
        .and_then(|q| q.stages.first())
        .expect("a stage");
    let env = Env {
        fields: &r.values,
        other: &[],
        locals: &[],
        today: day(),
        lets: p.lets.fixed(),
    };
    let result = st.cond.cond.eval_bool(&env).expect("no error");
    step(
        format!("stage S when {}", st.cond.text),
        result,
        &st.cond,
        schema,
        &env,
        &|_| None,
    )
}

/// The result and conditions (in JSON) of the stage `S`.
fn stage(cond: &str, record: &str) -> (Json, Json) {
    let step = stage_step(cond, record);
    (
        json!(step.result),
        serde_json::to_value(&step.conditions).expect("json"),
    )
}

/// (condition, result) of each traced leaf.
fn leaves(conditions: &Json) -> Vec<(String, Json)> {
    conditions
        .as_array()
        .expect("array")
        .iter()
        .map(|c| {
            (
                c["condition"].as_str().expect("text").to_string(),
                c["result"].clone(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, Json)]) -> Vec<(String, Json)> {
    items
        .iter()
        .map(|(t, r)| (t.to_string(), r.clone()))
        .collect()
}

#[test]
fn and_stops_at_the_first_false_and_goes_on_past_unknown() {
    let (r, c) = stage(
        "a >= 1 and b >= 1 and t == \"x\"",
        r#"{"id":"1","a":5,"t":"y"}"#,
    );
    // `b` unknown: evaluation goes on and stops at the false `t == "x"`.
    assert_eq!(r, json!(false));
    assert_eq!(
        leaves(&c),
        pairs(&[
            ("a >= 1", json!(true)),
            ("b >= 1", Json::Null),
            ("t == \"x\"", json!(false)),
        ])
    );
    let (r, c) = stage("a >= 9 and b >= 1 and t == \"x\"", r#"{"id":"1","a":5}"#);
    assert_eq!(r, json!(false));
    assert_eq!(leaves(&c), pairs(&[("a >= 9", json!(false))]));
    let (r, c) = stage("a >= 1 and b >= 1", r#"{"id":"1","a":5}"#);
    assert_eq!(r, Json::Null);
    assert_eq!(
        leaves(&c),
        pairs(&[("a >= 1", json!(true)), ("b >= 1", Json::Null)])
    );
}

#[test]
fn or_stops_at_the_first_true_and_goes_on_past_unknown() {
    let (r, c) = stage("b >= 1 or a >= 1 or t == \"x\"", r#"{"id":"1","a":5}"#);
    assert_eq!(r, json!(true));
    assert_eq!(
        leaves(&c),
        pairs(&[("b >= 1", Json::Null), ("a >= 1", json!(true))])
    );
    let (r, c) = stage("a >= 9 or b >= 1", r#"{"id":"1","a":5}"#);
    assert_eq!(r, Json::Null);
    assert_eq!(
        leaves(&c),
        pairs(&[("a >= 9", json!(false)), ("b >= 1", Json::Null)])
    );
}

#[test]
fn nested_groups_are_walked_in_order_and_parentheses_dropped() {
    let cond = "(a >= 1) and ((t == \"x\" and b >= 1) or (t == \"y\" and a <= 9))";
    let (r, c) = stage(cond, r#"{"id":"1","a":5,"t":"y"}"#);
    assert_eq!(r, json!(true));
    assert_eq!(
        leaves(&c),
        pairs(&[
            ("a >= 1", json!(true)),
            ("t == \"x\"", json!(false)),
            ("t == \"y\"", json!(true)),
            ("a <= 9", json!(true)),
        ])
    );
}

#[test]
fn a_not_around_a_leaf_is_part_of_it_and_one_around_a_group_marks_its_leaves() {
    let (r, c) = stage(
        "not (t in {\"x\"}) and not not f",
        r#"{"id":"1","t":"y","f":true}"#,
    );
    assert_eq!(r, json!(true));
    assert_eq!(
        c,
        json!([
            {"condition": "not (t in {\"x\"})", "result": true,
             "operands": [{"expr": "t", "value": "y"}]},
            {"condition": "not not f", "result": true,
             "operands": [{"expr": "f", "value": true}]},
        ])
    );
    let (r, c) = stage("not (a >= 1 and b >= 1)", r#"{"id":"1","a":0,"b":5}"#);
    assert_eq!(r, json!(true));
    assert_eq!(
        c,
        json!([{"condition": "a >= 1", "negated": true, "result": false,
                "operands": [{"expr": "a", "value": 0}]}])
    );
    // Two `not`s around a group cancel.
    let (_, c) = stage("not not (a >= 1 or b >= 1)", r#"{"id":"1","a":3}"#);
    assert_eq!(c[0].get("negated"), None, "{c}");
}

#[test]
fn operands_fixed_by_the_policy_are_left_out_and_the_others_shown_in_source_order() {
    let cond = "500 <= a and \"sso\" in s and b between floor and a and a + b > floor and t is set";
    let (_, c) = stage(
        &cond.replace("floor", "(5 + 5)"),
        r#"{"id":"1","a":900,"b":20,"s":["sso","api"]}"#,
    );
    assert_eq!(
        c,
        json!([
            {"condition": "500 <= a", "result": true,
             "operands": [{"expr": "a", "value": 900}]},
            {"condition": "\"sso\" in s", "result": true,
             "operands": [{"expr": "s", "value": ["api", "sso"]}]},
            {"condition": "b between (5 + 5) and a", "result": true,
             "operands": [{"expr": "b", "value": 20}, {"expr": "a", "value": 900}]},
            {"condition": "a + b > (5 + 5)", "result": true,
             "operands": [{"expr": "a + b", "value": 920}]},
            {"condition": "t is set", "result": false,
             "operands": [{"expr": "t", "value": null}]},
        ])
    );
}

#[test]
fn values_are_written_as_output_values_are() {
    let cond = "m >= 10 USD and dur <= 90d and currency(m) == \"USD\" and in_days(today - d) <= 45";
    let (r, c) = stage(
        cond,
        r#"{"id":"1","m":"12.5 USD","dur":"30d","d":"2026-10-01"}"#,
    );
    // 60 days since `d`: the last condition is false.
    assert_eq!(r, json!(false));
    assert_eq!(
        c,
        json!([
            {"condition": "m >= 10 USD", "result": true,
             "operands": [{"expr": "m", "value": "12.50", "currency": "USD"}]},
            {"condition": "dur <= 90d", "result": true,
             "operands": [{"expr": "dur", "value_seconds": 2_592_000}]},
            {"condition": "currency(m) == \"USD\"", "result": true,
             "operands": [{"expr": "currency(m)", "value": "USD"}]},
            {"condition": "in_days(today - d) <= 45", "result": false,
             "operands": [{"expr": "in_days(today - d)", "value": "60"}]},
        ])
    );
}

#[test]
fn unknown_values_keep_the_keys_of_their_type_and_money_is_never_rounded() {
    let (_, c) = stage("m >= 10 USD or dur <= 90d", r#"{"id":"1"}"#);
    assert_eq!(
        c,
        json!([
            {"condition": "m >= 10 USD", "result": null,
             "operands": [{"expr": "m", "value": null, "currency": null}]},
            {"condition": "dur <= 90d", "result": null,
             "operands": [{"expr": "dur", "value_seconds": null}]},
        ])
    );
    let (_, c) = stage("m >= 10 USD", r#"{"id":"1","m":"10.005 USD"}"#);
    assert_eq!(c[0]["operands"][0]["value"], json!("10.005"));
}

#[test]
fn a_band_shows_the_health_score_as_a_scorecard_does() {
    let p = program(
        "health lead {\n  measure m1 weight 1 {\n    100 when a >= 5\n    else 0\n  }\n  \
         band good when score >= 75\n  band poor otherwise\n}\n",
    );
    let h = p.health.as_ref().expect("a health block");
    let mut locals = vec![Val::Unknown; h.n_locals];
    locals[usize::from(h.score_local)] = Val::Dec(rust_decimal::Decimal::new(50, 0));
    let env = Env {
        fields: &[],
        other: &[],
        locals: &locals,
        today: day(),
        lets: p.lets.fixed(),
    };
    let band = &h.bands[0];
    let cond = band.cond.as_ref().expect("a condition");
    assert_eq!(
        serde_json::to_value(conditions(cond, band.shape.as_deref(), &env)).expect("json"),
        json!([{"condition": "score >= 75", "result": false,
                "operands": [{"expr": "score", "value": "50.00"}]}])
    );
    assert!(h.bands[1].shape.is_none());
}

#[test]
fn a_chain_with_a_folded_part_is_one_condition() {
    // `(true and false)` is folded into one constant: the chain it is
    // part of no longer has one compiled item per written one, and is
    // shown whole.
    let (r, c) = stage("a >= 1 and (true and false)", r#"{"id":"1","a":5}"#);
    assert_eq!(r, json!(false));
    assert_eq!(
        leaves(&c),
        pairs(&[("a >= 1 and (true and false)", json!(false))])
    );
    // Inside an `or`, the folded group is one item of its own.
    let (r, c) = stage("a >= 1 or (true and false)", r#"{"id":"1","a":0}"#);
    assert_eq!(r, json!(false));
    assert_eq!(
        leaves(&c),
        pairs(&[("a >= 1", json!(false)), ("true and false", json!(false))])
    );
    // A constant item of its own is a condition without operands.
    let (r, c) = stage("a >= 1 or false", r#"{"id":"1","a":0}"#);
    assert_eq!(r, json!(false));
    assert_eq!(
        c,
        json!([
            {"condition": "a >= 1", "result": false, "operands": [{"expr": "a", "value": 0}]},
            {"condition": "false", "result": false, "operands": []},
        ])
    );
}

#[test]
fn steps_keep_their_keys_in_order() {
    let step = stage_step("a >= 1", r#"{"id":"1"}"#);
    let text = serde_json::to_string(&step).expect("json");
    assert_eq!(
        text,
        r#"{"rule":"stage S when a >= 1","result":null,"unknown":["a"],"conditions":[{"condition":"a >= 1","result":null,"operands":[{"expr":"a","value":null}]}]}"#
    );
}
