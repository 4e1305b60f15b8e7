//! `baton test`: running the `test` blocks of a policy (LANGUAGE.md §9).
//!
//! Forms run by this version, for records decided by `qualify` or scored by
//! `health`:
//!
//! ```text
//! test "name" {
//!   given lead { id: "t1", budget: 50_000 USD, features: {"sso"} }
//!   at 2026-11-02              # the evaluation date (`today`); default 2000-01-01
//!   expect stage SQL           # or `expect stage none`
//!   expect band healthy        # or `expect band none`
//!   expect fit == 60           # any condition over fields, scores, stages, measures, `score`
//!   expect error "division"    # the record is an error (optionally mentioning a text)
//! }
//! ```

use chrono::NaiveDate;
use serde::Serialize;

use crate::eval::{Env, EvalError};
use crate::ir;
use crate::policy::Compiled;
use crate::record::Record;
use crate::value::Val;

/// A compiled test block.
#[derive(Debug, Clone)]
pub struct TestDef {
    /// Its name.
    pub name: String,
    /// Where it is.
    pub line: usize,
    /// Column of its name.
    pub column: usize,
    /// The given record's type (index into the policy's records).
    pub record_type: usize,
    /// The given record.
    pub record: Record,
    /// The evaluation date.
    pub today: NaiveDate,
    /// Whether `at` was written.
    pub today_given: bool,
    /// Expectations in order.
    pub expects: Vec<ExpectDef>,
}

/// One expectation and where it is.
#[derive(Debug, Clone)]
pub struct ExpectDef {
    /// What is expected.
    pub kind: Expect,
    /// Line.
    pub line: usize,
    /// Column.
    pub column: usize,
}

/// What a test expects.
#[derive(Debug, Clone)]
pub enum Expect {
    /// The decided stage (`None`: no stage).
    Stage(Option<String>),
    /// The health band (`None`: no band).
    Band(Option<String>),
    /// The record is an error, optionally mentioning a text.
    Error(Option<String>),
    /// A condition that must be true; its source text.
    Holds(ir::Expr, String),
}

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
pub fn run_tests(p: &Compiled) -> Vec<TestOutcome> {
    p.tests.iter().map(|t| run_one(p, t)).collect()
}

fn run_one(p: &Compiled, t: &TestDef) -> TestOutcome {
    let mut failures = Vec::new();
    let at = |e: &ExpectDef| format!("{}:{}:{}", p.file, e.line, e.column);
    let outcome = evaluate(p, t);
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
                let env = Env {
                    fields: &t.record.values,
                    other: &[],
                    locals: &o.locals,
                    today: t.today,
                };
                match cond.eval_bool(&env) {
                    Ok(Some(true)) => None,
                    Ok(r) => Some(format!(
                        "expected `{text}`, which is {}{}",
                        r.map_or("unknown".to_string(), |b| b.to_string()),
                        o.describe(cond, &env)
                    )),
                    Err(err) => Some(format!("`{text}` fails: {err}")),
                }
            }
        };
        if let Some(f) = failure {
            failures.push(format!("{}: {f}", at(e)));
        }
    }
    TestOutcome {
        name: t.name.clone(),
        location: format!("{}:{}:{}", p.file, t.line, t.column),
        failures,
    }
}

fn show(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "none".to_string())
}

struct Outcome {
    stage: Option<String>,
    band: Option<String>,
    locals: Vec<Val<'static>>,
}

impl Outcome {
    /// For a failed comparison, the values of its sides (`fit == 60` → "fit is 55").
    fn describe(&self, cond: &ir::Expr, env: &Env<'_>) -> String {
        if let ir::Expr::Cmp(c) = cond {
            if let Ok(v) = c.lhs.eval(env) {
                return format!(" (left side is {})", v.display());
            }
        }
        String::new()
    }
}

fn evaluate(p: &Compiled, t: &TestDef) -> Result<Outcome, EvalError> {
    let n = p.layouts.iter().map(|(_, l)| l.len()).max().unwrap_or(0) + 1;
    let mut locals: Vec<Val<'static>> = vec![Val::Unknown; n];
    let mut stage = None;
    let mut band = None;
    if let Some(q) = p.qualify.as_ref().filter(|q| q.record == t.record_type) {
        let d = crate::qualify::qualify(p, &t.record, t.today, false)?;
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
    if let Some(h) = p.health.as_ref().filter(|h| h.record == t.record_type) {
        crate::qualify::run_scores(p, &h.scores, &t.record.values, &mut locals, t.today, None)?;
        let s = crate::health::health(p, &t.record, t.today, false)?;
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
    Ok(Outcome {
        stage,
        band,
        locals,
    })
}

fn set_local(
    p: &Compiled,
    record: usize,
    name: &str,
    v: Val<'static>,
    locals: &mut [Val<'static>],
) {
    if let Some((_, layout)) = p.layouts.iter().find(|(r, _)| *r == record) {
        if let Some(l) = layout.iter().find(|l| l.name == name) {
            if let Some(slot) = locals.get_mut(usize::from(l.slot)) {
                *slot = v;
            }
        }
    }
}
