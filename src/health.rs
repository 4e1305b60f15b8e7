//! Customer health scorecards (LANGUAGE.md §6).

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::explain::{conditions, step, Step};
use crate::program::eval::{Env, EvalError};
use crate::program::lets::LetValue;
use crate::program::Program;
use crate::record::Record;
use crate::score::run_scores;
use crate::value::Ordered;
use crate::value::{format_decimal, format_fixed, Val, Value};

/// The scorecard of one customer (CLI.md "health").
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    /// The record's key.
    pub key: Option<crate::record::Key>,
    /// Policy name.
    pub policy: String,
    /// Policy version.
    pub version: i64,
    /// Weighted score over the known measures, rounded half-even to 2
    /// places; `None` when no measure is known.
    pub score: Option<Decimal>,
    /// The first band whose condition is true.
    pub band: Option<String>,
    /// Every measure in order; `None` when unknown.
    pub measures: Vec<(String, Option<Decimal>)>,
    /// The trace, when asked for.
    pub explain: Option<Vec<Step>>,
}

impl Serialize for Scorecard {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("key", &self.key)?;
        m.serialize_entry("policy", &self.policy)?;
        m.serialize_entry("version", &self.version)?;
        m.serialize_entry("score", &self.score.map(|d| format_fixed(d, 2)))?;
        m.serialize_entry("band", &self.band)?;
        let measures: Vec<(String, Option<String>)> = self
            .measures
            .iter()
            .map(|(n, v)| (n.clone(), v.map(format_decimal)))
            .collect();
        m.serialize_entry("measures", &Ordered(&measures))?;
        if let Some(e) = &self.explain {
            m.serialize_entry("explain", e)?;
        }
        m.end()
    }
}

/// Score and band of one record, without building a scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthScore<'p> {
    /// Weighted score over the known measures, rounded half-even to 2
    /// places; `None` when no measure is known.
    pub score: Option<Decimal>,
    /// The first band whose condition is true.
    pub band: Option<&'p str>,
}

/// The numbers of a scorecard, without names: what services scoring many
/// records need, computed without building strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scores {
    /// Weighted score over the known measures, rounded half-even to 2 places.
    pub score: Option<Decimal>,
    /// Index of the band (into the health block's bands).
    pub band: Option<usize>,
}

/// The CSV columns of a scorecard, before `error` and `line`: `key`,
/// `policy`, `version`, `score`, `band`, then `measures.NAME`.
pub fn columns(p: &Program) -> Vec<String> {
    let mut cols: Vec<String> = ["key", "policy", "version", "score", "band"]
        .map(String::from)
        .into();
    if let Some(h) = &p.health {
        cols.extend(h.measures.iter().map(|m| format!("measures.{}", m.name)));
    }
    cols
}

/// Scores one record given by its slots (see [`crate::record::RecordBatch`]),
/// with the values of the program's `let`s on `today`.
pub fn health_slots(
    p: &Program,
    fields: &[Option<Value>],
    (today, lets): (NaiveDate, &[LetValue]),
) -> Result<Scores, EvalError> {
    let h = p
        .health
        .as_ref()
        .ok_or_else(|| EvalError::NoBlock("health".into()))?;
    // Small blocks keep their locals on the stack: no allocation per record.
    if h.n_locals <= 16 {
        let mut buf: [Val<'static>; 16] = std::array::from_fn(|_| Val::Unknown);
        let locals = buf.get_mut(..h.n_locals).unwrap_or_default();
        return core(p, fields, (today, lets), locals, None);
    }
    let mut locals: Vec<Val<'static>> = vec![Val::Unknown; h.n_locals];
    core(p, fields, (today, lets), &mut locals, None)
}

/// `n / d` (d > 0) rounded half-even to 2 places, exactly.
fn ratio_2dp(n: i128, d: i128) -> Option<Decimal> {
    let scaled = n.checked_mul(100)?;
    let (q, r) = (scaled / d, scaled % d);
    let twice = r.checked_abs()?.checked_mul(2)?;
    let up = twice > d || (twice == d && q % 2 != 0);
    let q = if up { q + scaled.signum() } else { q };
    Decimal::try_from_i128_with_scale(q, 2).ok()
}

/// A decimal that is a whole number fitting an i64.
fn whole(d: Decimal) -> Option<i64> {
    if d.scale() == 0 {
        i64::try_from(d.mantissa()).ok()
    } else {
        None
    }
}

/// Computes measures (into `locals`), score and band.
fn core(
    p: &Program,
    fields: &[Option<Value>],
    (today, lets): (NaiveDate, &[LetValue]),
    locals: &mut [Val<'static>],
    mut trace: Option<&mut Vec<Step>>,
) -> Result<Scores, EvalError> {
    let h = p
        .health
        .as_ref()
        .ok_or_else(|| EvalError::NoBlock("health".into()))?;
    let schema = p
        .records
        .get(h.record)
        .ok_or_else(|| EvalError::Invalid("internal error: record".into()))?;
    run_scores(
        p,
        &h.scores,
        fields,
        locals,
        (today, lets),
        trace.as_deref_mut(),
    )?;
    let overflow = || EvalError::Overflow("health score".into());
    let (mut weighted, mut weights) = (Decimal::ZERO, Decimal::ZERO);
    // Whole weights and values (the usual case) are summed exactly as
    // integers; any fraction switches the rest of the sum to decimals.
    let (mut int_weighted, mut int_weights) = (0i128, 0i128);
    for m in &h.measures {
        let env = Env {
            fields,
            other: &[],
            locals,
            today,
            lets,
        };
        // The first true arm gives the value; an unknown arm before any true
        // one makes the measure unknown; `else` when every arm is false.
        let mut value = Some(m.else_value);
        let mut decided = false;
        for arm in &m.arms {
            let r = arm.cond.eval_bool(&env)?;
            if let Some(t) = trace.as_deref_mut() {
                let text = format!(
                    "measure {}: {} when {}",
                    m.name,
                    format_decimal(arm.value),
                    arm.text
                );
                t.push(step(text, r, arm, schema, &env, &|l| p.local_name(l)));
            }
            match r {
                Some(true) => {
                    value = Some(arm.value);
                    decided = true;
                    break;
                }
                None => {
                    value = None;
                    decided = true;
                    break;
                }
                Some(false) => {}
            }
        }
        if !decided {
            if let Some(t) = trace.as_deref_mut() {
                t.push(Step {
                    rule: format!("measure {}: else {}", m.name, format_decimal(m.else_value)),
                    result: Some(true),
                    unknown: Vec::new(),
                    conditions: Vec::new(),
                });
            }
        }
        if let Some(v) = value {
            match (whole(m.weight), whole(v)) {
                (Some(w), Some(x)) => {
                    int_weighted = i128::from(w)
                        .checked_mul(i128::from(x))
                        .and_then(|p| int_weighted.checked_add(p))
                        .ok_or_else(overflow)?;
                    int_weights = int_weights
                        .checked_add(i128::from(w))
                        .ok_or_else(overflow)?;
                }
                _ => {
                    weighted = m
                        .weight
                        .checked_mul(v)
                        .and_then(|x| weighted.checked_add(x))
                        .ok_or_else(overflow)?;
                    weights = weights.checked_add(m.weight).ok_or_else(overflow)?;
                }
            }
        }
        if let Some(slot) = locals.get_mut(usize::from(m.local)) {
            *slot = value.map_or(Val::Unknown, Val::Dec);
        }
    }
    let exact = if weights.is_zero() && int_weights > 0 {
        // Whole weights and values only: the score is an exact ratio of
        // integers, rounded once (the same result as dividing decimals,
        // whose 28 digits cannot reach a tie these small ratios have not).
        Some(ratio_2dp(int_weighted, int_weights).ok_or_else(overflow)?)
    } else {
        None
    };
    if int_weights != 0 {
        let iw = Decimal::try_from_i128_with_scale(int_weighted, 0).map_err(|_| overflow())?;
        let ws = Decimal::try_from_i128_with_scale(int_weights, 0).map_err(|_| overflow())?;
        weighted = weighted.checked_add(iw).ok_or_else(overflow)?;
        weights = weights.checked_add(ws).ok_or_else(overflow)?;
    }
    let score = if exact.is_some() {
        exact
    } else if weights.is_zero() {
        None
    } else {
        let s = weighted.checked_div(weights).ok_or_else(overflow)?;
        Some(s.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven))
    };
    if let Some(slot) = locals.get_mut(usize::from(h.score_local)) {
        *slot = score.map_or(Val::Unknown, Val::Dec);
    }
    let mut band = None;
    if score.is_some() {
        let env = Env {
            fields,
            other: &[],
            locals,
            today,
            lets,
        };
        for (i, b) in h.bands.iter().enumerate() {
            let r = match &b.cond {
                None => Some(true),
                Some(c) => c.eval_bool(&env)?,
            };
            if let Some(t) = trace.as_deref_mut() {
                t.push(Step {
                    rule: format!("band {}", b.name),
                    result: r,
                    unknown: Vec::new(),
                    conditions: match &b.cond {
                        Some(c) => conditions(c, b.shape.as_deref(), &env),
                        None => Vec::new(),
                    },
                });
            }
            // Like measure arms: an unknown band before a true one leaves
            // the band unknown rather than falling through to a later band.
            match r {
                Some(true) => {
                    band = Some(i);
                    break;
                }
                None => break,
                Some(false) => {}
            }
        }
    }
    Ok(Scores { score, band })
}

/// Scores one record with a compiled policy's health block.
pub fn health(
    p: &Program,
    record: &Record,
    today: NaiveDate,
    explain: bool,
) -> Result<Scorecard, EvalError> {
    let h = p
        .health
        .as_ref()
        .ok_or_else(|| EvalError::NoBlock("health".into()))?;
    let schema = p
        .records
        .get(h.record)
        .ok_or_else(|| EvalError::Invalid("internal error: record".into()))?;
    if !record.is_of(schema) {
        return Err(EvalError::wrong_record(schema));
    }
    let mut locals: Vec<Val<'static>> = vec![Val::Unknown; h.n_locals];
    let mut trace = if explain { Some(Vec::new()) } else { None };
    let computed = p.lets.computed_on(today);
    let lets = computed.as_deref().unwrap_or(p.lets.fixed());
    let scores = core(
        p,
        &record.values,
        (today, lets),
        &mut locals,
        trace.as_mut(),
    )?;
    let measures = h
        .measures
        .iter()
        .map(|m| {
            let v = match locals.get(usize::from(m.local)) {
                Some(Val::Dec(d)) => Some(*d),
                _ => None,
            };
            (m.name.clone(), v)
        })
        .collect();
    Ok(Scorecard {
        key: schema.key_of(record),
        policy: p.name.clone(),
        version: p.version,
        score: scores.score,
        band: scores
            .band
            .and_then(|i| h.bands.get(i))
            .map(|b| b.name.clone()),
        measures,
        explain: trace,
    })
}
