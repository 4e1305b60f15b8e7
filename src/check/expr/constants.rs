//! Literals and constants: literal values, set literals, folding nodes of
//! constants into constants, and the static check of money constants of
//! two currencies.

use chrono::NaiveDate;

use super::walk::children;
use super::{article, Scope, Typed};
use crate::check::Checker;
use crate::diag::Code;
use crate::program::eval::{Env, EvalError};
use crate::program::expr as ir;
use crate::program::lets::Lets;
use crate::span::Span;
use crate::syntax::ast::{self, Literal};
use crate::value::{IntSet, Money, TextSet, Type, Val, Value};

impl Checker<'_> {
    pub(super) fn set(
        &mut self,
        elems: &[ast::Expr],
        span: Span,
        scope: &Scope<'_>,
    ) -> Option<Typed> {
        let mut texts = Vec::new();
        let mut ints = Vec::new();
        let mut ok = true;
        for el in elems {
            match self.expr(el, scope) {
                Some((ir::Expr::Const(Value::Text(t)), _)) => texts.push(t),
                Some((ir::Expr::Const(Value::Int(i)), _)) => ints.push(i),
                Some((node, ty)) => {
                    ok = false;
                    let message = match constant_failure(&node, &self.let_slots) {
                        Some(err) => format!("this set element always fails: {err}"),
                        None => format!("a set holds constant texts or ints, not {}", article(ty)),
                    };
                    self.sink.push(
                        self.sink
                            .make(Code::E0108, el.span, message)
                            .with_help("set literals are built once, when the policy is checked"),
                    );
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        if !texts.is_empty() && !ints.is_empty() {
            self.type_error(span, "a set holds texts or ints, not both".into());
            return None;
        }
        if ints.is_empty() {
            Some((
                ir::Expr::Const(Value::SetText(TextSet::new(texts))),
                Type::SetText,
            ))
        } else {
            Some((
                ir::Expr::Const(Value::SetInt(IntSet::new(ints))),
                Type::SetInt,
            ))
        }
    }

    /// Reports E0104 when two money constants have different currencies
    /// (`what`: "compared", "in one sum"); money from fields is checked per
    /// record.
    pub(super) fn constant_currencies_differ(
        &mut self,
        le: &ir::Expr,
        re: &ir::Expr,
        span: Span,
        what: &str,
    ) -> bool {
        let (ir::Expr::Const(Value::Money(a)), ir::Expr::Const(Value::Money(b))) = (le, re) else {
            return false;
        };
        if a.currency == b.currency {
            return false;
        }
        self.sink.push(
            self.sink
                .make(
                    Code::E0104,
                    span,
                    format!(
                        "money of two currencies {what}: {} and {}",
                        a.currency, b.currency
                    ),
                )
                .with_help(CURRENCY_HELP),
        );
        true
    }

    /// Folds a node whose operands are all constants into a constant. One
    /// whose evaluation fails is left to fail per record (LANGUAGE §4: in
    /// `false and 1 / 0 > 1` it is never evaluated), except money of two
    /// currencies, which the static check reports (E0104).
    pub(super) fn fold(&mut self, e: ir::Expr, ty: Type, span: Span) -> Option<Typed> {
        if !children_const(&e) {
            return Some((e, ty));
        }
        let env = Env {
            fields: &[],
            other: &[],
            locals: &[],
            today: NaiveDate::default(),
            lets: &[],
        };
        match e.eval(&env) {
            Ok(Val::Unknown) => Some((e, ty)),
            Ok(v) => Some((ir::Expr::Const(to_value(v)), ty)),
            Err(err @ EvalError::CurrencyMismatch(_)) => {
                self.sink.push(
                    self.sink
                        .make(Code::E0104, span, err.to_string())
                        .with_help(CURRENCY_HELP),
                );
                None
            }
            Err(_) => Some((e, ty)),
        }
    }
}

/// Why an expression of constants only (one [`Checker::fold`] left
/// unfolded because it fails, or a `let` of one) fails; `None` for
/// anything else. For the messages of places that need a constant.
pub(crate) fn constant_failure(e: &ir::Expr, lets: &Lets) -> Option<EvalError> {
    fn constants_only(e: &ir::Expr, lets: &Lets) -> bool {
        match e {
            ir::Expr::Const(_) => true,
            ir::Expr::Let(k) => !lets.dated(*k),
            ir::Expr::Field(_)
            | ir::Expr::Other(_)
            | ir::Expr::Local(_)
            | ir::Expr::Today
            | ir::Expr::FieldInTexts { .. }
            | ir::Expr::FieldContainsText { .. }
            | ir::Expr::FieldCmpConst(_)
            | ir::Expr::BoolField(_) => false,
            _ => children(e).into_iter().all(|c| constants_only(c, lets)),
        }
    }
    if !constants_only(e, lets) {
        return None;
    }
    let env = Env {
        fields: &[],
        other: &[],
        locals: &[],
        today: NaiveDate::default(),
        lets: lets.fixed(),
    };
    e.eval(&env).err()
}

fn children_const(e: &ir::Expr) -> bool {
    match e {
        ir::Expr::Const(_) => false,
        ir::Expr::Field(_)
        | ir::Expr::Other(_)
        | ir::Expr::Local(_)
        | ir::Expr::Today
        | ir::Expr::Let(_) => false,
        ir::Expr::FieldInTexts { .. } | ir::Expr::FieldContainsText { .. } => false,
        ir::Expr::FieldCmpConst(_) | ir::Expr::BoolField(_) => false,
        _ => children(e).iter().all(|c| matches!(c, ir::Expr::Const(_))),
    }
}

fn to_value(v: Val<'_>) -> Value {
    match v {
        Val::Bool(b) => Value::Bool(b),
        Val::Int(i) => Value::Int(i),
        Val::Dec(d) => Value::Decimal(d),
        Val::Money(m) => Value::Money(m),
        Val::Text(t) => Value::Text(t.into_owned().into()),
        Val::Date(d) => Value::Date(d),
        Val::Timestamp(t) => Value::Timestamp(t),
        Val::Duration(d) => Value::Duration(d),
        Val::SetText(s) => Value::SetText(s.clone()),
        Val::SetInt(s) => Value::SetInt(s.clone()),
        // Callers fold only known results.
        Val::Unknown => Value::Bool(false),
    }
}

pub(super) fn literal(l: &Literal) -> Typed {
    let (v, t) = match l {
        Literal::Bool(b) => (Value::Bool(*b), Type::Bool),
        Literal::Int(i) => (Value::Int(*i), Type::Int),
        Literal::Decimal(d) => (Value::Decimal(*d), Type::Decimal),
        Literal::Money(a, c) => (
            Value::Money(Money {
                amount: *a,
                currency: *c,
            }),
            Type::Money,
        ),
        Literal::Duration(d) => (Value::Duration(d.seconds), Type::Duration),
        Literal::Date(d) => (Value::Date(*d), Type::Date),
        Literal::Timestamp(t) => (Value::Timestamp(*t), Type::Timestamp),
        Literal::Text(s) => (Value::Text(s.as_str().into()), Type::Text),
    };
    (ir::Expr::Const(v), t)
}

const CURRENCY_HELP: &str =
    "baton never converts currencies: write both amounts in the same currency";
