//! What `--explain` needs to take a condition apart, built once when the
//! policy is checked: the `and` / `or` / `not` structure of the compiled
//! expression, node for node, and for each leaf its source text and the
//! operands whose values a trace shows. The evaluator never reads it; the
//! trace (`explain`) walks it beside the compiled expression.

use std::sync::Arc;

use super::expr::Expr;
use crate::value::Type;

/// The shape of a compiled condition, one node for each node of its
/// `and` / `or` / `not` structure.
#[derive(Debug, Clone)]
pub enum Shape {
    /// An `and` ([`Expr::All`]): one shape per item, in order.
    All(Vec<Shape>),
    /// An `or` ([`Expr::Any`]): one shape per item, in order.
    Any(Vec<Shape>),
    /// A `not` around an `and` or an `or` ([`Expr::Not`]). A `not`
    /// around a single condition is part of that condition's [`Leaf`].
    Not(Box<Shape>),
    /// Any other node: one condition as written.
    Leaf(Leaf),
}

/// One condition as written: a comparison, a membership, a set relation,
/// `between`, `is set`, a bare `bool` field or stage, or a constant; with
/// the `not`s directly around it.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// Its source text, whitespace folded, outer parentheses dropped.
    pub text: Arc<str>,
    /// Its operands whose value is not fixed by the policy, in source
    /// order (for a bare field or stage: itself).
    pub operands: Vec<Operand>,
}

/// One operand of a leaf.
#[derive(Debug, Clone)]
pub struct Operand {
    /// Its source text, whitespace folded, outer parentheses dropped.
    pub text: Arc<str>,
    /// The operand compiled on its own, evaluated only when explaining.
    pub expr: Expr,
    /// Its type, as the checker decided it (`None` where not known).
    pub ty: Option<Type>,
    /// Places a decimal value is shown with (2 for the health score, as
    /// a scorecard prints it); `None`: trailing zeros removed.
    pub places: Option<u32>,
}
