//! `--explain` traces: why each rule, stage, arm or band came out as it
//! did, down to the conditions that decided it.
//!
//! A [`Step`] is one rule's result, from the evaluator itself; its
//! `conditions` are the leaves of that rule's condition evaluated again,
//! one by one, by a separate walk (`walk`) that stops where evaluation
//! stopped. The walk runs only when a result is explained.

mod out;
#[cfg(test)]
mod tests;
mod walk;

use serde::Serialize;

use crate::program::blocks::CondDef;
use crate::program::eval::{Env, Tri};
use crate::program::expr::Expr;
use crate::program::trace::Shape;
use crate::record::Schema;
use crate::value::Val;

pub use out::{ConditionTrace, OperandTrace};

/// One condition's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// What was evaluated (`add 20 when …`, `stage MQL`, `measure adoption: 50 when …`).
    pub rule: String,
    /// true, false, or null (unknown).
    pub result: Tri,
    /// Fields (and stages or measures) whose missing value made the
    /// condition unknown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// The leaf conditions evaluated, in evaluation order, up to where
    /// evaluation stopped (an `and` at its first false item, an `or` at
    /// its first true one); empty for `else` and `otherwise`.
    pub conditions: Vec<ConditionTrace>,
}

/// Builds a step, naming the unknown inputs when the result is unknown,
/// with the conditions of `c` evaluated for the record of `env`.
pub(crate) fn step(
    rule: String,
    result: Tri,
    c: &CondDef,
    schema: &Schema,
    env: &Env<'_>,
    local_names: &dyn Fn(u16) -> Option<String>,
) -> Step {
    let mut unknown = Vec::new();
    if result.is_none() {
        for slot in &c.fields {
            if env
                .fields
                .get(usize::from(*slot))
                .is_some_and(Option::is_none)
            {
                if let Some(f) = schema.field(*slot) {
                    unknown.push(f.name.clone());
                }
            }
        }
        for l in &c.locals {
            if matches!(env.locals.get(usize::from(*l)), Some(Val::Unknown)) {
                if let Some(n) = local_names(*l) {
                    unknown.push(n);
                }
            }
        }
    }
    Step {
        rule,
        result,
        unknown,
        conditions: walk::conditions(&c.cond, &c.shape, env, &c.text),
    }
}

/// The conditions of a condition without a [`CondDef`] (a band's),
/// evaluated for the record of `env`; none without a shape.
pub(crate) fn conditions(cond: &Expr, shape: Option<&Shape>, env: &Env<'_>) -> Vec<ConditionTrace> {
    match shape {
        Some(s) => walk::conditions(cond, s, env, ""),
        None => Vec::new(),
    }
}
