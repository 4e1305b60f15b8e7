//! Lead qualification: scores, then stages, for one record (LANGUAGE.md §5).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::eval::{Env, EvalError, Tri};
use crate::explain::{step, Step};
use crate::policy::{Compiled, ScoreDef};
use crate::record::Record;
use crate::value::{format_decimal, Val};

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

/// A list of pairs serialized as a JSON object in list order.
pub(crate) struct Ordered<'a, V>(pub &'a [(String, V)]);

impl<V: Serialize> Serialize for Ordered<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Computes the scores of a record into `locals`, in declaration order.
pub(crate) fn run_scores(
    p: &Compiled,
    which: &[usize],
    env_fields: &[Option<crate::value::Value>],
    locals: &mut [Val<'static>],
    today: NaiveDate,
    mut trace: Option<&mut Vec<Step>>,
) -> Result<(), EvalError> {
    for &i in which {
        let Some(s) = p.scores.get(i) else { continue };
        let total = score(p, s, env_fields, locals, today, trace.as_deref_mut())?;
        if let Some(slot) = locals.get_mut(usize::from(s.local)) {
            *slot = Val::Dec(total);
        }
    }
    Ok(())
}

fn score(
    p: &Compiled,
    s: &ScoreDef,
    fields: &[Option<crate::value::Value>],
    locals: &[Val<'static>],
    today: NaiveDate,
    mut trace: Option<&mut Vec<Step>>,
) -> Result<Decimal, EvalError> {
    let env = Env {
        fields,
        other: &[],
        locals,
        today,
    };
    let mut total = Decimal::ZERO;
    for rule in &s.rules {
        let r = rule.cond.eval_bool(&env)?;
        if r == Some(true) {
            total = total
                .checked_add(rule.value)
                .ok_or_else(|| EvalError::Overflow(format!("score `{}`", s.name)))?;
        }
        if let Some(t) = trace.as_deref_mut() {
            let (verb, pts) = if rule.value.is_sign_negative() {
                ("subtract", -rule.value)
            } else {
                ("add", rule.value)
            };
            let text = format!(
                "score {}: {verb} {} when {}",
                s.name,
                format_decimal(pts),
                rule.text
            );
            if let Some(schema) = p.records.get(s.record) {
                t.push(step(text, r, rule, schema, &env, &|l| {
                    local_name(p, s.record, l)
                }));
            }
        }
    }
    if let Some((lo, hi)) = s.clamp {
        total = total.max(lo).min(hi);
    }
    Ok(total)
}

/// The name of a local slot of a record, for traces.
pub(crate) fn local_name(p: &Compiled, _record: usize, slot: u16) -> Option<String> {
    if let Some(s) = p.scores.iter().find(|s| s.local == slot) {
        return Some(s.name.clone());
    }
    if let Some(q) = &p.qualify {
        if let Some(st) = q.stages.iter().find(|s| s.local == slot) {
            return Some(st.name.clone());
        }
    }
    if let Some(h) = &p.health {
        if let Some(m) = h.measures.iter().find(|m| m.local == slot) {
            return Some(m.name.clone());
        }
        if h.score_local == slot {
            return Some("score".into());
        }
    }
    None
}

/// Qualifies one record with a compiled policy.
///
/// ```
/// use baton::Policy;
/// let p: Policy = r#"policy "leads" version 1 effective 2026-01-01
/// record lead key id { id: text  seats: int  budget: money? }
/// score fit for lead { add 30 when seats >= 50 }
/// qualify lead { stage MQL when fit >= 30 and budget >= 1_000 USD }"#.parse().unwrap();
/// let rec = p.record_for_qualify(&serde_json::json!({"id": "L-1", "seats": 80})).unwrap();
/// let d = p.qualify(&rec, chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(), false).unwrap();
/// assert_eq!(d.stage, None);
/// assert_eq!(d.stages, vec![("MQL".to_string(), None)]); // budget unknown
/// ```
pub fn qualify(
    p: &Compiled,
    record: &Record,
    today: NaiveDate,
    explain: bool,
) -> Result<Decision, EvalError> {
    let q = p
        .qualify
        .as_ref()
        .ok_or_else(|| EvalError::Invalid("the policy has no `qualify` block".into()))?;
    let schema = p
        .records
        .get(q.record)
        .ok_or_else(|| EvalError::Invalid("internal error: record".into()))?;
    let mut locals: Vec<Val<'static>> = vec![Val::Unknown; q.n_locals];
    let mut trace = if explain { Some(Vec::new()) } else { None };
    run_scores(
        p,
        &q.scores,
        &record.values,
        &mut locals,
        today,
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
            };
            let r = st.cond.cond.eval_bool(&env)?;
            if let Some(t) = trace.as_mut() {
                t.push(step(
                    format!("stage {} when {}", st.name, st.cond.text),
                    r,
                    &st.cond,
                    schema,
                    &env,
                    &|l| local_name(p, q.record, l),
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
