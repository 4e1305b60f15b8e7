//! `--explain` traces: why each rule, stage, arm or band came out as it did.

use serde::Serialize;

use crate::program::blocks::CondDef;
use crate::program::eval::{Env, Tri};
use crate::record::Schema;
use crate::value::Val;

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
}

/// Builds a step, naming the unknown inputs when the result is unknown.
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
    }
}
