//! A `let` is computed once and shared by its uses, never copied into
//! each of them (LANGUAGE.md §4): a constant is folded once, one that uses
//! `today` is computed once per evaluation date. A chain of lets that each
//! use the one before twice would otherwise be 2^n copies of the first:
//! the sizes below would not finish.

use baton::{EvalError, EvalOptions, NaiveDate, Policy, Record, RecordBatch};

const HEAD: &str = "policy \"p\" version 1 effective 2026-01-01\n\
                    record lead key id {\n  id: text\n  seats: int\n}\n";

/// `let a0 = first`, then `let aI = a(I-1) + a(I-1)` up to `a(n-1)`, in
/// reverse order (a let is usable whatever the order).
fn doubling(first: &str, n: usize) -> String {
    let mut src = String::from(HEAD);
    for i in (1..n).rev() {
        src.push_str(&format!("let a{i} = a{} + a{}\n", i - 1, i - 1));
    }
    src.push_str(&format!("let a0 = {first}\n"));
    src
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

fn lead(p: &Policy, seats: i64) -> Record {
    p.schema("lead")
        .unwrap()
        .from_json(&serde_json::json!({"id": "L-1", "seats": seats}))
        .unwrap()
}

#[test]
fn a_chain_of_lets_that_use_today_is_computed_once_per_date() {
    let src = doubling("in_days(today - 2026-01-01)", 64)
        + "qualify lead {\n  stage MQL when seats > 0 and a63 > 1000\n}\n";
    let p: Policy = src.parse().unwrap_or_else(|e| panic!("{e}"));
    let one = lead(&p, 3);
    // a0 is 1 on 2026-01-02 and 2 on 2026-01-03: a63 is a0 × 2^63.
    let c = p.condition("lead", "a63 == 9223372036854775808.0").unwrap();
    assert_eq!(c.eval(&one, day(2)), Ok(Some(true)));
    assert_eq!(c.eval(&one, day(3)), Ok(Some(false)));
    let c = p
        .condition("lead", "a63 == 18446744073709551616.0")
        .unwrap();
    assert_eq!(c.eval(&one, day(3)), Ok(Some(true)));
    // Over a batch, the values are computed once for the run.
    let mut batch = RecordBatch::new(p.schema("lead").unwrap());
    for seats in [0, 3] {
        batch.push(lead(&p, seats)).unwrap();
    }
    let truths: Vec<_> = c.eval_each(&batch, day(3)).unwrap().collect();
    assert_eq!(truths, [Ok(Some(true)), Ok(Some(true))]);
    // On 2026-01-01 a0 is 0, so MQL is false; every day after, true.
    for (d, stage) in [(1, None), (2, Some("MQL")), (3, Some("MQL"))] {
        for _ in 0..1_000 {
            let decision = p.qualify(&one, &EvalOptions::on(day(d))).unwrap();
            assert_eq!(decision.stage.as_deref(), stage, "2026-01-{d:02}");
        }
    }
}

#[test]
fn a_chain_of_lets_from_a_failing_constant_fails_only_where_it_is_evaluated() {
    let src = doubling("1 / 0", 64) + "qualify lead {\n  stage MQL when seats > 5 and a63 > 0\n}\n";
    let p: Policy = src.parse().unwrap_or_else(|e| panic!("{e}"));
    // `false and …` does not evaluate the failing let.
    let d = p.qualify(&lead(&p, 3), &EvalOptions::on(day(2))).unwrap();
    assert_eq!(d.stage, None);
    for _ in 0..1_000 {
        match p.qualify(&lead(&p, 10), &EvalOptions::on(day(2))) {
            Err(EvalError::DivisionByZero(m)) => assert!(m.contains("1 / 0"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_chain_of_constant_lets_is_folded_once() {
    let src =
        doubling("1.0", 64) + "qualify lead {\n  stage MQL when a63 == 9223372036854775808.0\n}\n";
    let p: Policy = src.parse().unwrap_or_else(|e| panic!("{e}"));
    let d = p.qualify(&lead(&p, 3), &EvalOptions::on(day(2))).unwrap();
    assert_eq!(d.stage.as_deref(), Some("MQL"));
}
