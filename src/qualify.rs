//! Lead qualification: scores, then stages, for one record (LANGUAGE.md §5).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::explain::{step, Step};
use crate::program::eval::{Env, EvalError, Tri};
use crate::program::Program;
use crate::record::Record;
use crate::score::run_scores;
use crate::value::{format_decimal, Ordered, Val};

/// The decision for one lead (CLI.md "qualify").
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The record's key.
    pub key: Option<crate::record::Key>,
    /// Policy name.
    pub policy: String,
    /// Policy version.
    pub version: i64,
    /// The last-written stage whose condition is true.
    pub stage: Option<String>,
    /// Every stage in order: true, false or unknown.
    pub stages: Vec<(String, Tri)>,
    /// Every score of the record in order.
    pub scores: Vec<(String, Decimal)>,
    /// The trace, when asked for.
    pub explain: Option<Vec<Step>>,
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("key", &self.key)?;
        m.serialize_entry("policy", &self.policy)?;
        m.serialize_entry("version", &self.version)?;
        m.serialize_entry("stage", &self.stage)?;
        m.serialize_entry("stages", &Ordered(&self.stages))?;
        let scores: Vec<(String, String)> = self
            .scores
            .iter()
            .map(|(n, d)| (n.clone(), format_decimal(*d)))
            .collect();
        m.serialize_entry("scores", &Ordered(&scores))?;
        if let Some(e) = &self.explain {
            m.serialize_entry("explain", e)?;
        }
        m.end()
    }
}

/// The CSV columns of a decision, before `error` and `line`: `key`,
/// `policy`, `version`, `stage`, then `stages.NAME` and `scores.NAME`.
pub fn columns(p: &Program) -> Vec<String> {
    let mut cols: Vec<String> = ["key", "policy", "version", "stage"]
        .map(String::from)
        .into();
    if let Some(q) = &p.qualify {
        cols.extend(q.stages.iter().map(|s| format!("stages.{}", s.name)));
        cols.extend(
            q.scores
                .iter()
                .filter_map(|i| p.scores.get(*i))
                .map(|s| format!("scores.{}", s.name)),
        );
    }
    cols
}

/// Qualifies one record with a compiled policy (LANGUAGE.md §5): its
/// scores, then its stages in order.
pub fn qualify(
    p: &Program,
    record: &Record,
    today: NaiveDate,
    explain: bool,
) -> Result<Decision, EvalError> {
    let q = p
        .qualify
        .as_ref()
        .ok_or_else(|| EvalError::NoBlock("qualify".into()))?;
    let schema = p
        .records
        .get(q.record)
        .ok_or_else(|| EvalError::Invalid("internal error: record".into()))?;
    if !record.is_of(schema) {
        return Err(EvalError::wrong_record(schema));
    }
    let mut locals: Vec<Val<'static>> = vec![Val::Unknown; q.n_locals];
    let mut trace = if explain { Some(Vec::new()) } else { None };
    // Computed once for the record (nothing to compute unless a `let`
    // uses `today`).
    let computed = p.lets.computed_on(today);
    let lets = computed.as_deref().unwrap_or(p.lets.fixed());
    run_scores(
        p,
        &q.scores,
        &record.values,
        &mut locals,
        (today, lets),
        trace.as_mut(),
    )?;
    let mut stages = Vec::with_capacity(q.stages.len());
    let mut stage = None;
    for st in &q.stages {
        let r = {
            let env = Env {
                fields: &record.values,
                other: &[],
                locals: &locals,
                today,
                lets,
            };
            let r = st.cond.cond.eval_bool(&env)?;
            if let Some(t) = trace.as_mut() {
                t.push(step(
                    format!("stage {} when {}", st.name, st.cond.text),
                    r,
                    &st.cond,
                    schema,
                    &env,
                    &|l| p.local_name(l),
                ));
            }
            r
        };
        if let Some(slot) = locals.get_mut(usize::from(st.local)) {
            *slot = match r {
                Some(b) => Val::Bool(b),
                None => Val::Unknown,
            };
        }
        if r == Some(true) {
            stage = Some(st.name.clone());
        }
        stages.push((st.name.clone(), r));
    }
    let scores = q
        .scores
        .iter()
        .filter_map(|&i| p.scores.get(i))
        .map(|s| {
            let v = match locals.get(usize::from(s.local)) {
                Some(Val::Dec(d)) => *d,
                _ => Decimal::ZERO,
            };
            (s.name.clone(), v)
        })
        .collect();
    Ok(Decision {
        key: schema.key_of(record),
        policy: p.name.clone(),
        version: p.version,
        stage,
        stages,
        scores,
        explain: trace,
    })
}
