//! Scores (LANGUAGE.md §5): the exact sum of the points of the rules whose
//! condition is true, clamped. Qualification, health and `test` blocks all
//! compute a record's scores here.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::explain::{step, Step};
use crate::program::blocks::ScoreDef;
use crate::program::eval::{Env, EvalError};
use crate::program::lets::LetValue;
use crate::program::Program;
use crate::value::{format_decimal, Val, Value};

/// Computes the scores of a record into `locals`, in declaration order.
/// `lets`: the values of the program's `let`s on `today`.
pub(crate) fn run_scores(
    p: &Program,
    which: &[usize],
    env_fields: &[Option<Value>],
    locals: &mut [Val<'static>],
    (today, lets): (NaiveDate, &[LetValue]),
    mut trace: Option<&mut Vec<Step>>,
) -> Result<(), EvalError> {
    for &i in which {
        let Some(s) = p.scores.get(i) else { continue };
        let total = score(
            p,
            s,
            env_fields,
            locals,
            (today, lets),
            trace.as_deref_mut(),
        )?;
        if let Some(slot) = locals.get_mut(usize::from(s.local)) {
            *slot = Val::Dec(total);
        }
    }
    Ok(())
}

fn score(
    p: &Program,
    s: &ScoreDef,
    fields: &[Option<Value>],
    locals: &[Val<'static>],
    (today, lets): (NaiveDate, &[LetValue]),
    mut trace: Option<&mut Vec<Step>>,
) -> Result<Decimal, EvalError> {
    let env = Env {
        fields,
        other: &[],
        locals,
        today,
        lets,
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
                t.push(step(text, r, rule, schema, &env, &|l| p.local_name(l)));
            }
        }
    }
    if let Some((lo, hi)) = s.clamp {
        total = total.max(lo).min(hi);
    }
    Ok(total)
}
