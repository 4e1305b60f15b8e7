//! The shapes `--explain` walks ([`Shape`]): a compiled condition taken
//! apart beside the syntax it came from, once, when the policy is checked.
//! The compiled `and` / `or` / `not` nodes are paired with the source's;
//! every other node is a leaf with its source text, and its operands
//! (those not fixed by the policy) compiled on their own with their types.

use super::Scope;
use crate::check::Checker;
use crate::program::expr::{self as ir, ArithKind, ArithOp, Func};
use crate::program::trace::{Leaf, Operand, Shape};
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, ExprKind, UnOp};
use crate::value::Type;

impl Checker<'_> {
    /// The shape of the condition `cond`, compiled from `src` in `scope`.
    pub fn shape(&self, cond: &ir::Expr, src: &ast::Expr, scope: &Scope<'_>) -> Shape {
        crate::stack::deep(|| self.shape_level(cond, src, scope))
    }

    fn shape_level(&self, cond: &ir::Expr, src: &ast::Expr, scope: &Scope<'_>) -> Shape {
        // The checker turns a chain `a and b and (c and d)` into one node
        // of every item; the source's chain, followed the same way, gives
        // as many items unless a part of it was folded into a constant:
        // then the whole chain is one leaf.
        let parts = match cond {
            ir::Expr::All(items) => Some((items, BinOp::And)),
            ir::Expr::Any(items) => Some((items, BinOp::Or)),
            _ => None,
        };
        if let Some((items, op)) = parts {
            let mut chain = Vec::new();
            chain_of(src, op, &mut chain);
            if chain.len() == items.len() {
                let shapes = items
                    .iter()
                    .zip(chain)
                    .map(|(item, s)| self.shape(item, s, scope))
                    .collect();
                return if op == BinOp::And {
                    Shape::All(shapes)
                } else {
                    Shape::Any(shapes)
                };
            }
        }
        if let (ir::Expr::Not(inner), ExprKind::Unary(UnOp::Not, a)) = (cond, &src.node) {
            if compound(inner) {
                return Shape::Not(Box::new(self.shape(inner, a, scope)));
            }
        }
        Shape::Leaf(Leaf {
            text: self.folded_text(src.span).into(),
            operands: self.operands(cond, src, scope),
        })
    }

    /// The operands of a leaf whose value the policy does not fix, in
    /// source order, each compiled on its own.
    fn operands(&self, cond: &ir::Expr, src: &ast::Expr, scope: &Scope<'_>) -> Vec<Operand> {
        // A `not` around the leaf: the operands are those of what it negates.
        let (mut cond, mut src) = (cond, src);
        while let (ir::Expr::Not(inner), ExprKind::Unary(UnOp::Not, a)) = (cond, &src.node) {
            cond = inner;
            src = a;
        }
        let field = |slot: u16| ir::Expr::Field(slot);
        let pairs: Vec<(&ast::Expr, ir::Expr)> = match (cond, &src.node) {
            (ir::Expr::Cmp(c), ExprKind::Binary(_, l, r)) => {
                vec![(l, c.lhs.clone()), (r, c.rhs.clone())]
            }
            // The checker puts the field first (`500 <= employees` is
            // `employees >= 500`): the field is the side that names it.
            (ir::Expr::FieldCmpConst(c), ExprKind::Binary(_, l, r)) => {
                let side = if names_field(l, c.slot, scope) { l } else { r };
                vec![(side, field(c.slot))]
            }
            (ir::Expr::FieldInTexts { slot, .. }, ExprKind::Binary(op, l, r)) => {
                vec![(if *op == BinOp::Contains { r } else { l }, field(*slot))]
            }
            (ir::Expr::FieldContainsText { slot, .. }, ExprKind::Binary(op, l, r)) => {
                vec![(if *op == BinOp::Contains { l } else { r }, field(*slot))]
            }
            (ir::Expr::Member { elem, set, .. }, ExprKind::Binary(op, l, r)) => {
                if *op == BinOp::Contains {
                    vec![(l, (**set).clone()), (r, (**elem).clone())]
                } else {
                    vec![(l, (**elem).clone()), (r, (**set).clone())]
                }
            }
            (ir::Expr::SetRel(_, a, b), ExprKind::Binary(_, l, r)) => {
                vec![(l, (**a).clone()), (r, (**b).clone())]
            }
            (ir::Expr::Between(b), ExprKind::Between(v, lo, hi)) => {
                vec![(v, b.value.clone()), (lo, b.lo.clone()), (hi, b.hi.clone())]
            }
            (ir::Expr::IsSet(a, _), ExprKind::IsSet(x, _)) => vec![(x, (**a).clone())],
            // A bare `bool` field, stage or `let`: its own value.
            (ir::Expr::BoolField(slot), _) => vec![(src, field(*slot))],
            (
                ir::Expr::Field(_)
                | ir::Expr::Other(_)
                | ir::Expr::Local(_)
                | ir::Expr::Let(_)
                | ir::Expr::Call(..),
                _,
            ) => vec![(src, cond.clone())],
            _ => Vec::new(),
        };
        pairs
            .into_iter()
            .filter(|(_, e)| !matches!(e, ir::Expr::Const(_)))
            .map(|(s, expr)| Operand {
                text: self.folded_text(s.span).into(),
                ty: self.type_of(&expr, scope),
                places: match &expr {
                    ir::Expr::Local(slot) => scope
                        .locals
                        .and_then(|l| l.iter().find(|d| d.slot == *slot))
                        .filter(|d| d.what == "health score")
                        .map(|_| 2),
                    _ => None,
                },
                expr,
            })
            .collect()
    }

    /// The source text at `span`, whitespace folded, outer parentheses
    /// dropped.
    fn folded_text(&self, span: Span) -> String {
        let text = self
            .sink
            .source
            .get(span.start..span.end)
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        unparen(&text).to_string()
    }

    /// The type of a compiled operand, by the rules the checker applied
    /// when it compiled it.
    fn type_of(&self, e: &ir::Expr, scope: &Scope<'_>) -> Option<Type> {
        Some(match e {
            ir::Expr::Const(v) => v.ty(),
            ir::Expr::Field(slot) => scope.record?.field(*slot)?.ty,
            ir::Expr::Other(slot) => {
                scope
                    .qualified
                    .iter()
                    .find(|(_, _, other)| *other)
                    .and_then(|(_, s, _)| s.field(*slot))?
                    .ty
            }
            ir::Expr::Local(slot) => scope.locals?.iter().find(|d| d.slot == *slot)?.ty,
            ir::Expr::Today => Type::Date,
            ir::Expr::Let(k) => {
                self.let_cache
                    .values()
                    .flatten()
                    .find(|(e, _)| matches!(e, ir::Expr::Let(j) if j == k))?
                    .1
            }
            ir::Expr::Neg(a) => self.type_of(a, scope)?,
            ir::Expr::Arith(a) => match (a.kind, a.op) {
                (ArithKind::IntInt, ArithOp::Div) => Type::Decimal,
                (ArithKind::IntInt, _) => Type::Int,
                (ArithKind::Num, _) => Type::Decimal,
                (ArithKind::MoneyMoney, ArithOp::Div) => Type::Decimal,
                (ArithKind::MoneyMoney | ArithKind::MoneyNum | ArithKind::NumMoney, _) => {
                    Type::Money
                }
                (
                    ArithKind::DurDur
                    | ArithKind::DurInt
                    | ArithKind::IntDur
                    | ArithKind::TsTs
                    | ArithKind::DateDate,
                    _,
                ) => Type::Duration,
                (ArithKind::TsDur, _) => Type::Timestamp,
                (ArithKind::DateDur, _) => Type::Date,
            },
            ir::Expr::Call(f, args) => match f {
                Func::InDays | Func::InHours | Func::Amount | Func::Round => Type::Decimal,
                Func::Currency | Func::Lower => Type::Text,
                Func::Len => Type::Int,
                Func::Min | Func::Max => {
                    let mut tys = args.iter().map(|a| self.type_of(a, scope));
                    match (tys.next()??, tys.next()??) {
                        (Type::Int, Type::Int) => Type::Int,
                        (a, b) if a.is_number() && b.is_number() => Type::Decimal,
                        (a, _) => a,
                    }
                }
            },
            _ => Type::Bool,
        })
    }
}

/// Whether the compiled node has an `and` or an `or` under its `not`s.
fn compound(e: &ir::Expr) -> bool {
    match e {
        ir::Expr::All(_) | ir::Expr::Any(_) => true,
        ir::Expr::Not(a) => compound(a),
        _ => false,
    }
}

/// The items of a chain of `op` (`a and b and (c and d)`: a, b, c, d),
/// as the checker gathers them into one node.
fn chain_of<'a>(e: &'a ast::Expr, op: BinOp, out: &mut Vec<&'a ast::Expr>) {
    match &e.node {
        ExprKind::Binary(o, l, r) if *o == op => {
            crate::stack::deep(|| chain_of(l, op, out));
            crate::stack::deep(|| chain_of(r, op, out));
        }
        _ => out.push(e),
    }
}

/// Whether a source operand is the name of the record field at `slot`.
fn names_field(e: &ast::Expr, slot: u16, scope: &Scope<'_>) -> bool {
    let name = match &e.node {
        ExprKind::Name(n) if scope.locals.and_then(|l| l.find(n)).is_none() => n,
        ExprKind::Field(_, f) => &f.node,
        _ => return false,
    };
    scope
        .record
        .or_else(|| scope.qualified.first().map(|(_, s, _)| *s))
        .and_then(|s| s.slot(name))
        == Some(slot)
}

/// `text` without the parentheses around all of it (`(a or b)` → `a or
/// b`); texts in quotes are skipped when matching them.
fn unparen(mut text: &str) -> &str {
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        if !balanced(inner) {
            break;
        }
        text = inner.trim();
    }
    text
}

/// Whether no `)` in `s` closes a parenthesis opened before `s`.
fn balanced(s: &str) -> bool {
    let mut depth = 0usize;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // To the closing quote, skipping escapes.
                while let Some(q) = chars.next() {
                    match q {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '(' => depth += 1,
            ')' => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            _ => {}
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::unparen;

    #[test]
    fn outer_parentheses_only() {
        assert_eq!(unparen("(a or b)"), "a or b");
        assert_eq!(unparen("((a))"), "a");
        assert_eq!(unparen("(a) or (b)"), "(a) or (b)");
        assert_eq!(unparen("(t == \")\")"), "t == \")\"");
        assert_eq!(unparen("(t == \"(\") or (u)"), "(t == \"(\") or (u)");
        assert_eq!(
            unparen("in_days(today - created) <= 45"),
            "in_days(today - created) <= 45"
        );
    }
}
