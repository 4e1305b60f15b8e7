//! `baton test`: running the `test` blocks of a policy (LANGUAGE.md §9).
//! docs/TESTS.md is the reference for every form; in short:
//!
//! ```text
//! # a record decided by `qualify` or scored by `health`
//! test "enterprise lead" {
//!   given lead { id: "t1", budget: 50_000 USD, features: {"sso"} }
//!   at 2026-11-02              # the evaluation date (`today`); default 2000-01-01
//!   expect stage SQL           # or `expect stage none`
//!   expect band healthy        # or `expect band none`
//!   expect fit == 60           # any condition over fields, scores, stages, measures, `score`
//!   expect error "division"    # the record is an error (optionally mentioning a text)
//! }
//!
//! # a handoff instance: its note, its events, an instant
//! test "first response late" {
//!   given handoff_note { id: "H-1", promised_features: {"sso"} }
//!   event { type: "opened", at: 2026-11-06T21:00:00Z }
//!   event { type: "note_updated", at: 2026-11-06T22:00:00Z, note: { risks: "none" } }
//!   event { type: "cx_replied", at: 2026-11-09T18:30:00Z }
//!   at 2026-11-10T12:00:00Z
//!   expect goal first_response met_late
//!   expect first_response.due == 2026-11-09T16:00:00Z    # state, due, elapsed, met_at,
//!   expect first_response.elapsed == 5h30m               # target, warnings, escalations
//!   expect alert escalate first_response to "cx-manager"
//!   expect no flag oversold
//!   expect missing none
//! }
//!
//! # a deal and its events in a commission plan, as of a date
//! test "cancelled on day 31" {
//!   given deal { deal: "D-1", rep: "ana", amount: 3000.00 USD, deal_value: 36000.00 USD,
//!                closed_on: 2026-02-02 }
//!   event { event: "E-1", type: "cancellation", on: 2026-03-05 }
//!   at 2026-06-30
//!   expect line "E-1" { kind: "clawback", status: "applied", rate: 60%, amount: -1800.00 USD }
//!   expect line "" { kind: "bonus:retention", count: 0 }
//! }
//! ```
//!
//! Handoff tests run the library's SLA evaluator
//! ([`crate::sla::evaluate_instance`]) and commission tests the ledger
//! engine ([`crate::clawback::run`], pinned to the version the test is
//! written in), so a test sees exactly what `baton sla` and
//! `baton clawback` would print.

mod commission;

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use crate::program::eval::{Env, EvalError};
use crate::program::expr as ir;
use crate::program::lets::LetValue;
use crate::program::tests::{Expect, ExpectDef, HandoffCase, Subject, TestDef, GOAL_VALUES};
use crate::program::versions::Versions;
use crate::program::Program;
use crate::record::Record;
use crate::sla::instance::{GoalOut, HandoffStatus};
use crate::sla::{evaluate_instance, InstanceError};
use crate::value::{format_duration, format_timestamp, Val, Value};

/// The outcome of one test.
#[derive(Debug, Clone, Serialize)]
pub struct TestOutcome {
    /// Test name.
    pub name: String,
    /// `file:line:col` of the test.
    pub location: String,
    /// Failed expectations, each with its location and what happened.
    pub failures: Vec<String>,
}

impl TestOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every test block of a compiled policy.
pub fn run_tests(p: &Arc<Program>) -> Vec<TestOutcome> {
    // A test block tests the version it is written in, whatever the deal's
    // anchor date, so the ledger engine runs pinned to it.
    let plan = Versions::new(vec![Arc::clone(p)]);
    p.tests.iter().map(|t| run_one(p, t, &plan)).collect()
}

fn run_one(p: &Program, t: &TestDef, plan: &Versions) -> TestOutcome {
    let failures = match &t.subject {
        Subject::Record {
            record_type,
            record,
        } => record_failures(p, t, *record_type, record),
        Subject::Handoff(case) => handoff_failures(p, t, case),
        Subject::Commission(case) => commission::commission_failures(p, t, case, plan),
    };
    TestOutcome {
        name: t.name.clone(),
        location: format!("{}:{}:{}", p.file, t.line, t.column),
        failures,
    }
}

fn located(p: &Program, e: &ExpectDef, failure: Option<String>) -> Option<String> {
    failure.map(|f| format!("{}:{}:{}: {f}", p.file, e.line, e.column))
}

// ---------------------------------------------------------------- records

fn record_failures(p: &Program, t: &TestDef, record_type: usize, record: &Record) -> Vec<String> {
    let outcome = run_record(p, t, record_type, record);
    let mut failures = Vec::new();
    for e in &t.expects {
        let failure = match (&e.kind, &outcome) {
            (Expect::Error(text), Err(err)) => match text {
                Some(s) if !err.to_string().contains(s.as_str()) => {
                    Some(format!("expected an error mentioning {s:?}, got: {err}"))
                }
                _ => None,
            },
            (Expect::Error(_), Ok(_)) => {
                Some("expected an error, but the record evaluated".to_string())
            }
            (_, Err(err)) => Some(format!("the record is an error: {err}")),
            (Expect::Stage(want), Ok(o)) => (o.stage != *want)
                .then(|| format!("expected stage {}, got {}", show(want), show(&o.stage))),
            (Expect::Band(want), Ok(o)) => (o.band != *want)
                .then(|| format!("expected band {}, got {}", show(want), show(&o.band))),
            (Expect::Holds(cond, text), Ok(o)) => {
                let computed = p.lets.computed_on(t.today);
                let lets = computed.as_deref().unwrap_or(p.lets.fixed());
                let env = Env {
                    fields: &record.values,
                    other: &[],
                    locals: &o.locals,
                    today: t.today,
                    lets,
                };
                holds(cond, text, &env)
            }
            // The checker accepts no other form for records.
            (_, Ok(_)) => Some("this expectation does not apply to a record".to_string()),
        };
        failures.extend(located(p, e, failure));
    }
    failures
}

fn show(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "none".to_string())
}

/// Whether a condition holds; what it was when it does not.
fn holds(cond: &ir::Expr, text: &str, env: &Env<'_>) -> Option<String> {
    match cond.eval_bool(env) {
        Ok(Some(true)) => None,
        Ok(r) => Some(format!(
            "expected `{text}`, which is {}{}",
            r.map_or("unknown".to_string(), |b| b.to_string()),
            describe(cond, env)
        )),
        Err(err) => Some(format!("`{text}` fails: {err}")),
    }
}

/// For a failed comparison, the value of its left side (`fit == 60` →
/// "left side is 55").
fn describe(cond: &ir::Expr, env: &Env<'_>) -> String {
    let lhs = match cond {
        ir::Expr::Cmp(c) => c.lhs.eval(env).ok().map(|v| v.display()),
        ir::Expr::FieldCmpConst(c) => ir::Expr::Field(c.slot).eval(env).ok().map(|v| v.display()),
        _ => None,
    };
    lhs.map(|v| format!(" (left side is {v})"))
        .unwrap_or_default()
}

struct RecordRun {
    stage: Option<String>,
    band: Option<String>,
    locals: Vec<Val<'static>>,
}

fn run_record(
    p: &Program,
    t: &TestDef,
    record_type: usize,
    record: &Record,
) -> Result<RecordRun, EvalError> {
    let n = p.layouts.iter().map(|(_, l)| l.len()).max().unwrap_or(0) + 1;
    let mut locals: Vec<Val<'static>> = vec![Val::Unknown; n];
    let mut stage = None;
    let mut band = None;
    if let Some(q) = p.qualify.as_ref().filter(|q| q.record == record_type) {
        let d = crate::qualify::qualify(p, record, t.today, false)?;
        stage = d.stage.clone();
        for (name, v) in &d.scores {
            set_local(p, q.record, name, Val::Dec(*v), &mut locals);
        }
        for (name, v) in &d.stages {
            set_local(
                p,
                q.record,
                name,
                v.map_or(Val::Unknown, Val::Bool),
                &mut locals,
            );
        }
    }
    if let Some(h) = p.health.as_ref().filter(|h| h.record == record_type) {
        let computed = p.lets.computed_on(t.today);
        let lets = computed.as_deref().unwrap_or(p.lets.fixed());
        crate::score::run_scores(
            p,
            &h.scores,
            &record.values,
            &mut locals,
            (t.today, lets),
            None,
        )?;
        let s = crate::health::health(p, record, t.today, false)?;
        band = s.band.clone();
        for (name, v) in &s.measures {
            set_local(
                p,
                h.record,
                name,
                v.map_or(Val::Unknown, Val::Dec),
                &mut locals,
            );
        }
        set_local(
            p,
            h.record,
            "score",
            s.score.map_or(Val::Unknown, Val::Dec),
            &mut locals,
        );
    }
    Ok(RecordRun {
        stage,
        band,
        locals,
    })
}

fn set_local(p: &Program, record: usize, name: &str, v: Val<'static>, locals: &mut [Val<'static>]) {
    if let Some((_, layout)) = p.layouts.iter().find(|(r, _)| *r == record) {
        if let Some(l) = layout.iter().find(|l| l.name == name) {
            if let Some(slot) = locals.get_mut(usize::from(l.slot)) {
                *slot = v;
            }
        }
    }
}

// ---------------------------------------------------------------- handoffs

fn handoff_failures(p: &Program, t: &TestDef, case: &HandoffCase) -> Vec<String> {
    let status = evaluate_instance(p, &case.instance, &case.events, case.at);
    let mut failures = Vec::new();
    for e in &t.expects {
        let failure = match (&e.kind, &status) {
            (Expect::Error(text), Err(err)) => match text {
                Some(s) if !err.message.contains(s.as_str()) => Some(format!(
                    "expected an error mentioning {s:?}, got: {}",
                    instance_error(p, err)
                )),
                _ => None,
            },
            (Expect::Error(_), Ok(_)) => {
                Some("expected an error, but the handoff evaluated".to_string())
            }
            (_, Err(err)) => Some(format!(
                "the handoff is an error: {}",
                instance_error(p, err)
            )),
            (kind, Ok(s)) => {
                let computed = p.lets.computed_on(t.today);
                let lets = computed.as_deref().unwrap_or(p.lets.fixed());
                handoff_expect(kind, s, case, (t.today, lets))
            }
        };
        failures.extend(located(p, e, failure));
    }
    failures
}

fn instance_error(p: &Program, err: &InstanceError) -> String {
    format!("{} (event at {}:{})", err.message, p.file, err.line)
}

fn handoff_expect(
    kind: &Expect,
    s: &HandoffStatus,
    case: &HandoffCase,
    (today, lets): (NaiveDate, &[LetValue]),
) -> Option<String> {
    let at = format_timestamp(case.at);
    match kind {
        Expect::Goal { goal, state } => {
            let Some((_, g)) = s.goals.iter().find(|(n, _)| n == goal) else {
                return Some(format!("goal {goal} is not in the handoff's status"));
            };
            (g.state != state).then(|| {
                format!(
                    "expected goal {goal} {state} at {at}, got {} ({})",
                    g.state,
                    goal_summary(g)
                )
            })
        }
        Expect::Alert { kind, goal, to } => {
            let fired = s
                .alerts
                .iter()
                .any(|a| a.kind == kind && a.goal == *goal && a.to == *to);
            (!fired).then(|| {
                let list: Vec<String> = s
                    .alerts
                    .iter()
                    .map(|a| {
                        format!(
                            "{} {:?} at {}",
                            alert_name(a.kind, a.goal.as_deref()),
                            a.to,
                            format_timestamp(a.at)
                        )
                    })
                    .collect();
                format!(
                    "expected alert {} {to:?} by {at}, but it has not fired (fired: {})",
                    alert_name(kind, goal.as_deref()),
                    if list.is_empty() {
                        "none".to_string()
                    } else {
                        list.join(", ")
                    }
                )
            })
        }
        Expect::Flag { name, raised } => {
            let is = s.flags.iter().any(|f| f == name);
            (is != *raised).then(|| {
                let now = if s.flags.is_empty() {
                    "none".to_string()
                } else {
                    s.flags.join(", ")
                };
                if *raised {
                    format!("expected flag {name}, but it is not raised (raised: {now})")
                } else {
                    format!("expected no flag {name}, but it is raised (raised: {now})")
                }
            })
        }
        Expect::Missing(want) => {
            let got = &s.note.missing;
            let same = want.len() == got.len() && want.iter().all(|w| got.contains(w));
            (!same).then(|| format!("expected {}, got {}", missing_text(want), missing_text(got)))
        }
        Expect::Holds(cond, text) => {
            let values = goal_values(s, &case.goals);
            let env = Env {
                fields: &values,
                other: &[],
                locals: &[],
                today,
                lets,
            };
            holds(cond, text, &env)
        }
        Expect::Stage(_) | Expect::Band(_) | Expect::Line(_) | Expect::Error(_) => {
            Some("this expectation does not apply to a handoff".to_string())
        }
    }
}

fn alert_name(kind: &str, goal: Option<&str>) -> String {
    match goal {
        Some(g) => format!("{kind} {g} to"),
        None => format!("{kind} (note incomplete) to"),
    }
}

fn missing_text(fields: &[String]) -> String {
    if fields.is_empty() {
        "the note complete".to_string()
    } else {
        format!("missing {}", fields.join(", "))
    }
}

fn goal_summary(g: &GoalOut) -> String {
    let mut parts = vec![format!(
        "elapsed {} of {}",
        format_duration(g.elapsed_seconds),
        format_duration(g.target_seconds)
    )];
    parts.push(match g.due {
        Some(d) => format!("due {}", format_timestamp(d)),
        None => "no due instant while paused".to_string(),
    });
    if let Some(m) = g.met_at {
        parts.push(format!("met at {}", format_timestamp(m)));
    }
    parts.join(", ")
}

/// The goal values conditions read, in the slots the checker gave them.
fn goal_values(s: &HandoffStatus, goals: &[String]) -> Vec<Option<Value>> {
    let mut out = Vec::with_capacity(goals.len() * GOAL_VALUES.len());
    for name in goals {
        let Some((_, g)) = s.goals.iter().find(|(n, _)| n == name) else {
            out.extend(GOAL_VALUES.iter().map(|_| None));
            continue;
        };
        let count = |kind: &str| {
            let n = s
                .alerts
                .iter()
                .filter(|a| a.kind == kind && a.goal.as_deref() == Some(name.as_str()))
                .count();
            Some(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
        };
        for (value, _) in GOAL_VALUES {
            out.push(match value {
                "state" => Some(Value::Text(g.state.into())),
                "due" => g.due.map(Value::Timestamp),
                "elapsed" => Some(Value::Duration(g.elapsed_seconds)),
                "met_at" => g.met_at.map(Value::Timestamp),
                "target" => Some(Value::Duration(g.target_seconds)),
                "warnings" => count("warn"),
                "escalations" => count("escalate"),
                _ => None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(src: &str) -> Vec<TestOutcome> {
        let (p, _) = crate::check::compile("t.baton", src).unwrap_or_else(|e| panic!("{e:?}"));
        run_tests(&Arc::new(p))
    }

    const HANDOFF: &str = r#"policy "h" version 1 effective 2026-01-01
  timezone "America/New_York"
calendar office { timezone "America/New_York"  mon-fri 09:00-17:00 }
record note key id { id: text  risks: text?  promised: set of text }
handoff onboarding note note {
  requires risks
  sla first_response within 4h on office met by "replied"
  warn 1h before first_response breach to "lead"
  escalate at first_response breach to "manager"
  escalate when note incomplete to "sales"
  flag oversold when not (promised subset_of {"sso"})
}
"#;

    #[test]
    fn handoff_test_passes_and_fails_with_values() {
        let src = format!(
            "{HANDOFF}{}",
            r#"test "weekend" {
  given note { id: "H-1", promised: {"sso", "scim"} }
  event { type: "opened", at: 2026-11-06T20:00:00Z }
  event { type: "replied", at: 2026-11-09T17:00:00Z }
  at 2026-11-09T18:00:00Z
  expect goal first_response met_late
  expect first_response.due == 2026-11-09T16:00:00Z
  expect first_response.elapsed == 5h
  expect first_response.escalations == 1
  expect alert warn first_response to "lead"
  expect alert escalate to "sales"
  expect flag oversold
  expect missing risks
}
test "wrong" {
  given note { id: "H-2", promised: {} }
  event { type: "opened", at: 2026-11-06T20:00:00Z }
  at 2026-11-06T21:00:00Z
  expect goal first_response met
  expect first_response.due == 2026-11-09T15:00:00Z
  expect flag oversold
  expect missing none
}"#
        );
        let out = outcomes(&src);
        assert!(out[0].passed(), "{:?}", out[0].failures);
        let f = &out[1].failures;
        assert_eq!(f.len(), 4, "{f:?}");
        assert!(f[0].contains("expected goal first_response met") && f[0].contains("got running"));
        assert!(
            f[1].contains("left side is 2026-11-09T16:00:00Z"),
            "{}",
            f[1]
        );
        assert!(f[2].contains("expected flag oversold, but it is not raised"));
        assert!(f[3].contains("expected the note complete, got missing risks"));
        assert!(f[0].starts_with("t.baton:"), "{}", f[0]);
    }

    #[test]
    fn commission_test_reads_the_ledger() {
        let src = r#"policy "c" version 1 effective 2026-01-01
commission plan {
  clawback within 90 days of closed_on {
    days 0 to 30: 100%
    days 31 to 90: 50%
  }
  bonus retention: 2% of deal.amount if retained 90 days after closed_on
}
test "day 31" {
  given deal { deal: "D-1", rep: "ana", amount: 1000.00 USD, deal_value: 10000 USD, closed_on: 2026-01-01 }
  event { event: "E-1", type: "cancellation", on: 2026-02-01 }
  at 2026-06-01
  expect line "E-1" { kind: "clawback", status: "applied", rate: 50%, amount: -500.00 USD, days_retained: 31 }
  expect line "" { kind: "bonus:retention", count: 0 }
}
test "wrong" {
  given deal { deal: "D-1", rep: "ana", amount: 1000.00 USD, deal_value: 10000 USD, closed_on: 2026-01-01 }
  at 2026-06-01
  expect line "E-9" { status: "applied" }
  expect line "" { kind: "bonus:retention", amount: 10 }
  expect error
}"#;
        let out = outcomes(src);
        assert!(out[0].passed(), "{:?}", out[0].failures);
        let f = &out[1].failures;
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(f[0].contains("expected line \"E-9\", but the ledger has none"));
        assert!(f[1].contains("amount 10, got 20.00 USD"), "{}", f[1]);
        assert!(f[2].contains("expected the deal to be an error"));
    }
}
