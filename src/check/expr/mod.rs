//! Checking and compiling expressions: names → slots, types inferred and
//! checked, operators specialised, constants folded. This file holds the
//! scope an expression sees and the dispatch on its kind; names, constants,
//! operators and calls each have their own file, and [`walk`] reads back
//! what a compiled expression mentions.

use std::collections::HashMap;

mod calls;
mod constants;
mod names;
mod operators;
mod shape;
mod walk;

use super::Checker;
use crate::diag::Code;
use crate::program::blocks::LocalDef;
use crate::program::expr as ir;
use crate::record::Schema;
use crate::span::Span;
use crate::syntax::ast::{self, ExprKind, UnOp};
use crate::value::Type;
pub(crate) use constants::constant_failure;
use constants::literal;
pub use walk::{field_slots, local_slots};

/// What names an expression can see.
#[derive(Clone, Copy)]
pub struct Scope<'s> {
    /// Bare names resolve to this record's fields.
    pub record: Option<&'s Schema>,
    /// `q.field` resolves here: (qualifier, schema, is the second record).
    pub qualified: &'s [(&'s str, &'s Schema, bool)],
    /// Scores, stages, measures visible by name.
    pub locals: Option<&'s Locals>,
    /// Where the expression stands (for "used before it is defined").
    pub position: usize,
    /// Inside a `let`: record fields are not allowed.
    pub in_let: bool,
}

impl<'s> Scope<'s> {
    /// A scope with only `let` constants.
    pub fn constants() -> Scope<'static> {
        Scope {
            record: None,
            qualified: &[],
            locals: None,
            position: usize::MAX,
            in_let: true,
        }
    }
}

/// The scores, stages and measures of one record, in slot order, found
/// by name in constant time (a policy may define thousands).
#[derive(Debug, Clone, Default)]
pub struct Locals {
    defs: Vec<LocalDef>,
    /// The first definition of each name.
    by_name: HashMap<String, usize>,
}

impl Locals {
    /// The first local named `name`.
    pub fn find(&self, name: &str) -> Option<&LocalDef> {
        self.by_name.get(name).and_then(|i| self.defs.get(*i))
    }

    /// Adds a definition (a second one of a name is kept, and not found).
    pub fn push(&mut self, d: LocalDef) {
        self.by_name
            .entry(d.name.clone())
            .or_insert(self.defs.len());
        self.defs.push(d);
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// In slot order.
    pub fn iter(&self) -> std::slice::Iter<'_, LocalDef> {
        self.defs.iter()
    }

    /// Those that `keep` keeps.
    pub fn filtered(&self, keep: impl Fn(&LocalDef) -> bool) -> Locals {
        let mut out = Locals::default();
        for d in self.defs.iter().filter(|d| keep(d)) {
            out.push(d.clone());
        }
        out
    }

    /// The definitions, in slot order.
    pub fn into_defs(self) -> Vec<LocalDef> {
        self.defs
    }
}

/// A compiled expression and its type.
pub type Typed = (ir::Expr, Type);

impl Checker<'_> {
    /// Checks `e` and requires it to be a `bool`.
    pub fn bool_expr(&mut self, e: &ast::Expr, scope: &Scope<'_>) -> Option<ir::Expr> {
        let (ir, ty) = self.expr(e, scope)?;
        if let (ir::Expr::Field(slot), Type::Bool) = (&ir, ty) {
            return Some(ir::Expr::BoolField(*slot));
        }
        if ty != Type::Bool {
            self.sink.push(
                self.sink
                    .make(
                        Code::E0103,
                        e.span,
                        format!("expected a condition (bool), found {ty}"),
                    )
                    .with_label(format!("this is {}", article(ty)))
                    .with_help(format!(
                        "a condition is true or false: compare the {ty} (e.g. `… >= …`) or test `… is set`"
                    )),
            );
            return None;
        }
        Some(ir)
    }

    /// Checks and compiles an expression. Problems are reported to the
    /// sink; `None` means the expression had an error.
    pub fn expr(&mut self, e: &ast::Expr, scope: &Scope<'_>) -> Option<Typed> {
        crate::stack::deep(|| self.expr_level(e, scope))
    }

    fn expr_level(&mut self, e: &ast::Expr, scope: &Scope<'_>) -> Option<Typed> {
        let span = e.span;
        match &e.node {
            ExprKind::Lit(l) => Some(literal(l)),
            ExprKind::Today => Some((ir::Expr::Today, Type::Date)),
            ExprKind::Name(n) => self.name(n, span, scope),
            ExprKind::Field(q, f) => self.qualified(q, f, scope),
            ExprKind::Set(elems) => self.set(elems, span, scope),
            ExprKind::Call(f, args) => self.call(f, args, span, scope),
            ExprKind::Unary(UnOp::Not, a) => {
                let a = self.bool_expr(a, scope)?;
                self.fold(ir::Expr::Not(Box::new(a)), Type::Bool, span)
            }
            ExprKind::Unary(UnOp::Neg, a) => {
                let (a, ty) = self.expr(a, scope)?;
                if !matches!(ty, Type::Int | Type::Decimal | Type::Money | Type::Duration) {
                    self.type_error(span, format!("cannot negate {}", article(ty)));
                    return None;
                }
                self.fold(ir::Expr::Neg(Box::new(a)), ty, span)
            }
            ExprKind::IsSet(a, negate) => {
                let (a, _) = self.expr(a, scope)?;
                Some((ir::Expr::IsSet(Box::new(a), *negate), Type::Bool))
            }
            ExprKind::Between(v, lo, hi) => self.between(v, lo, hi, span, scope),
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, span, scope),
        }
    }

    fn type_error(&mut self, span: Span, message: String) {
        self.sink.error(Code::E0103, span, message);
    }

    fn fail<T>(&mut self, span: Span, message: String) -> Option<T> {
        self.type_error(span, message);
        None
    }
}

/// "an int", "a date", "money".
pub fn article(t: Type) -> String {
    match t {
        Type::Int => "an int".into(),
        Type::Money => "money".into(),
        other => format!("a {other}"),
    }
}
