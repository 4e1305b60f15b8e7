//! baton's evaluator against a hand-written closure over a plain struct,
//! on the same 100,000 synthetic leads (target: within 2× of the closure).
//!
//! `cargo bench --bench rules`

#[path = "../tests/support/samples.rs"]
mod samples;

use baton::{Condition, Currency, EvalOptions, Policy, Record, RecordBatch};
use chrono::NaiveDate;
use rust_decimal::Decimal;

fn main() {
    divan::main();
}

const N: u64 = 100_000;

/// The target's size, and a tenth of it: 10,000 leads fit the core's cache,
/// 100,000 do not, and the closure is then partly waiting on memory.
const SIZES: [u64; 2] = [10_000, N];
const RULE: &str = r#"industry in {"saas", "fintech", "health"} and budget >= 10_000 USD and timeline <= 90d and (decision_maker or employees >= 500) and features contains "sso""#;

/// The record declares the same six fields as the closure's struct.
fn policy() -> Policy {
    let src = format!(
        "policy \"bench\" version 1 effective 2026-01-01\n  currency USD\n\
         record lead key industry {{ industry: text  budget: money?  timeline: duration?\n\
           decision_maker: bool?  employees: int  features: set of text }}\n\
         qualify lead {{ stage R when {RULE} }}\n"
    );
    src.parse()
        .unwrap_or_else(|e: baton::LoadError| panic!("{}", e.render()))
}

/// The rule compiled on its own against the lead record.
fn rule(p: &Policy) -> Condition {
    p.condition("lead", RULE)
        .unwrap_or_else(|e| panic!("{}", e.render()))
}

/// The evaluation date.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
}

/// Prepared records, stored contiguously like the closure's `Vec<Lead>`.
fn batch(p: &Policy, n: u64) -> RecordBatch {
    let schema = p.qualify_schema().unwrap();
    let mut b = RecordBatch::new(schema);
    // Built while every input is alive, exactly as the closure's structs
    // are, so both sides get the same heap layout.
    let inputs = inputs(n);
    for v in &inputs {
        b.push(schema.from_json(v).unwrap()).unwrap();
    }
    b
}

/// The leads as JSON, all budgets in USD so that no record is an error.
fn inputs(n: u64) -> Vec<serde_json::Value> {
    samples::leads(n, 7)
        .lines()
        .map(|l| serde_json::from_str(&l.replace(" EUR", " USD")).unwrap())
        .collect()
}

struct Lead {
    industry: String,
    budget: Option<(Decimal, Currency)>,
    timeline: Option<i64>,
    decision_maker: Option<bool>,
    employees: i64,
    features: Vec<String>,
}

fn plain(v: &serde_json::Value) -> Lead {
    let budget = v["budget"].as_str().map(|b| {
        let (a, c) = b.split_once(' ').unwrap();
        (a.parse().unwrap(), Currency::parse(c).unwrap())
    });
    Lead {
        industry: v["industry"].as_str().unwrap().to_string(),
        budget,
        timeline: v["timeline"]
            .as_str()
            .map(|t| t.trim_end_matches('d').parse::<i64>().unwrap() * 86_400),
        decision_maker: v["decision_maker"].as_bool(),
        employees: v["employees"].to_string().parse().unwrap(),
        features: v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect(),
    }
}

#[divan::bench(args = SIZES)]
fn closure(bencher: divan::Bencher, n: u64) {
    let leads: Vec<Lead> = inputs(n).iter().map(plain).collect();
    let usd = Currency::parse("USD").unwrap();
    let floor = Decimal::from(10_000);
    let rule = |l: &Lead| {
        matches!(l.industry.as_str(), "saas" | "fintech" | "health")
            && l.budget.is_some_and(|(a, c)| c == usd && a >= floor)
            && l.timeline.is_some_and(|t| t <= 90 * 86_400)
            && (l.decision_maker == Some(true) || l.employees >= 500)
            && l.features.iter().any(|f| f == "sso")
    };
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| leads.iter().filter(|l| rule(divan::black_box(l))).count());
}

#[divan::bench(args = SIZES)]
fn baton_rule(bencher: divan::Bencher, n: u64) {
    let p = policy();
    let records = batch(&p, n);
    let cond = rule(&p);
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| {
            // The records as a stream: the evaluator's loop runs inside
            // this one (`Condition::eval_each`), pointing one context at
            // each record in turn.
            cond.eval_each(divan::black_box(&records), today())
                .unwrap()
                .filter(|t| *t == Ok(Some(true)))
                .count()
        });
}

/// The rule called once per record through [`Condition::eval`], as a
/// service evaluating one record at a time calls it: each record is its
/// own [`Record`], and the evaluator's frame is set up per record.
#[divan::bench(args = SIZES)]
fn baton_rule_per_call(bencher: divan::Bencher, n: u64) {
    let p = policy();
    let schema = p.schema("lead").unwrap();
    let records: Vec<Record> = inputs(n)
        .iter()
        .map(|v| schema.from_json(v).unwrap())
        .collect();
    let cond = rule(&p);
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| {
            records
                .iter()
                .filter(|r| cond.eval(divan::black_box(r), today()) == Ok(Some(true)))
                .count()
        });
}

#[divan::bench]
fn baton_qualify_decision(bencher: divan::Bencher) {
    let p = policy();
    let schema = p.qualify_schema().unwrap().clone();
    let records: Vec<Record> = inputs(N)
        .iter()
        .map(|v| schema.from_json(v).unwrap())
        .collect();
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            records
                .iter()
                .filter(|r| {
                    p.qualify(divan::black_box(r), &EvalOptions::on(today()))
                        .is_ok_and(|d| d.stage.is_some())
                })
                .count()
        });
}

#[divan::bench]
fn same_answers(bencher: divan::Bencher) {
    // Not a timing: checks once that both sides agree, so the comparison is honest.
    let p = policy();
    let schema = p.qualify_schema().unwrap().clone();
    let inputs = inputs(N);
    let cond = rule(&p);
    let usd = Currency::parse("USD").unwrap();
    let records = batch(&p, N);
    let mut each = cond.eval_each(&records, today()).unwrap();
    let mut agree = 0;
    for v in &inputs {
        let r = schema.from_json(v).unwrap();
        let l = plain(v);
        let a = cond.eval(&r, today()) == Ok(Some(true));
        let b = ["saas", "fintech", "health"].contains(&l.industry.as_str())
            && l.budget
                .is_some_and(|(x, c)| c == usd && x >= Decimal::from(10_000))
            && l.timeline.is_some_and(|t| t <= 90 * 86_400)
            && (l.decision_maker == Some(true) || l.employees >= 500)
            && l.features.iter().any(|f| f == "sso");
        assert_eq!(a, b, "{v}");
        assert_eq!(each.next().unwrap() == Ok(Some(true)), a, "{v}");
        agree += usize::from(a);
    }
    assert!(each.next().is_none(), "one result per record");
    assert!(
        agree > 100,
        "the rule must fire on a real share of the leads ({agree})"
    );
    bencher.bench(|| agree);
}
