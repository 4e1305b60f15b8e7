//! The trace of one condition: its compiled expression walked beside its
//! [`Shape`], the way the evaluator walks it (LANGUAGE.md §4 and
//! `program/eval/truth.rs`): an `and` goes on past true and unknown items
//! and stops at the first false one, an `or` goes on past false and
//! unknown items and stops at the first true one, and an error stops
//! everything. Each leaf reached is evaluated by the evaluator itself and
//! recorded with its operands' values; the leaves not reached are not.
//!
//! This walk runs only when a result is explained; the evaluator's own
//! path is untouched by it.

use super::out::{ConditionTrace, OperandTrace};
use crate::program::eval::{Env, Tri};
use crate::program::expr::Expr;
use crate::program::trace::{Leaf, Shape};

/// The leaves of `cond` evaluated for the record of `env`, in evaluation
/// order, up to where evaluation stopped. `text`: the whole condition's,
/// for a shape that does not fit the expression (the checker builds them
/// together, so never in practice).
pub(crate) fn conditions(
    cond: &Expr,
    shape: &Shape,
    env: &Env<'_>,
    text: &str,
) -> Vec<ConditionTrace> {
    let mut out = Vec::new();
    // An error ends the walk where the evaluator would have stopped.
    let _ = walk(cond, shape, env, false, text, &mut out);
    out
}

/// Evaluation stopped at an error.
struct Stop;

fn walk(
    e: &Expr,
    shape: &Shape,
    env: &Env<'_>,
    negated: bool,
    text: &str,
    out: &mut Vec<ConditionTrace>,
) -> Result<Tri, Stop> {
    crate::stack::deep(|| match (e, shape) {
        (Expr::All(items), Shape::All(shapes)) if items.len() == shapes.len() => {
            let mut unknown = false;
            for (item, s) in items.iter().zip(shapes) {
                match walk(item, s, env, negated, text, out)? {
                    Some(true) => {}
                    None => unknown = true,
                    Some(false) => return Ok(Some(false)),
                }
            }
            Ok(if unknown { None } else { Some(true) })
        }
        (Expr::Any(items), Shape::Any(shapes)) if items.len() == shapes.len() => {
            let mut unknown = false;
            for (item, s) in items.iter().zip(shapes) {
                match walk(item, s, env, negated, text, out)? {
                    Some(false) => {}
                    None => unknown = true,
                    Some(true) => return Ok(Some(true)),
                }
            }
            Ok(if unknown { None } else { Some(false) })
        }
        (Expr::Not(inner), Shape::Not(s)) => {
            Ok(walk(inner, s, env, !negated, text, out)?.map(|b| !b))
        }
        (_, Shape::Leaf(leaf)) => leaf_step(e, leaf, env, negated, out),
        _ => {
            let whole = Leaf {
                text: text.into(),
                operands: Vec::new(),
            };
            leaf_step(e, &whole, env, negated, out)
        }
    })
}

/// Evaluates one leaf with the evaluator and records it.
fn leaf_step(
    e: &Expr,
    leaf: &Leaf,
    env: &Env<'_>,
    negated: bool,
    out: &mut Vec<ConditionTrace>,
) -> Result<Tri, Stop> {
    let result = e.eval_bool(env);
    let operands = leaf
        .operands
        .iter()
        .map(|o| OperandTrace {
            expr: o.text.clone(),
            ty: o.ty,
            value: o.expr.eval(env).ok().and_then(|v| v.to_value()),
            places: o.places,
        })
        .collect();
    out.push(ConditionTrace {
        condition: leaf.text.clone(),
        negated,
        result: result.as_ref().ok().copied().flatten(),
        operands,
    });
    result.map_err(|_| Stop)
}
