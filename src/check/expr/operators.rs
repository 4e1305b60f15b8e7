//! Operators: `and`/`or` chains, comparisons (with the fast path of a
//! field against a constant) and `between`, set membership and set
//! relations, and arithmetic specialised by the types of its operands.

use super::{article, Scope, Typed};
use crate::check::Checker;
use crate::diag::Code;
use crate::program::expr as ir;
use crate::program::expr::{Arith, ArithKind, ArithOp, Between, Cmp, CmpKind, CmpOp, SetRel};
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, Literal};
use crate::value::{Type, Value};

impl Checker<'_> {
    /// `v between lo and hi`: the value compared with both bounds.
    pub(super) fn between(
        &mut self,
        v: &ast::Expr,
        lo: &ast::Expr,
        hi: &ast::Expr,
        span: Span,
        scope: &Scope<'_>,
    ) -> Option<Typed> {
        let tv = self.expr(v, scope);
        let tl = self.expr(lo, scope);
        let th = self.expr(hi, scope);
        let ((v, t1), (lo, t2), (hi, t3)) = (tv?, tl?, th?);
        let k1 = self.cmp_kind(CmpOp::Le, t1, t2, &v, &lo, span)?;
        let k2 = self.cmp_kind(CmpOp::Le, t1, t3, &v, &hi, span)?;
        // The value is compared with both bounds: bounds of two
        // currencies fail for every record.
        if self.constant_currencies_differ(&lo, &hi, span, "as bounds of one `between`") {
            return None;
        }
        let kind = if k1 == CmpKind::Num || k2 == CmpKind::Num {
            CmpKind::Num
        } else {
            k1
        };
        let origin = self.origin(span, None, &[&v, &lo, &hi], scope);
        let node = ir::Expr::Between(Box::new(Between {
            kind,
            value: v,
            lo,
            hi,
            origin,
        }));
        self.fold(node, Type::Bool, span)
    }

    pub(super) fn binary(
        &mut self,
        op: BinOp,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
        scope: &Scope<'_>,
    ) -> Option<Typed> {
        if matches!(op, BinOp::And | BinOp::Or) {
            let a = self.bool_expr(l, scope);
            let b = self.bool_expr(r, scope);
            let (a, b) = (a?, b?);
            // Chains become one n-ary node, evaluated left to right.
            let and = op == BinOp::And;
            let mut items = Vec::new();
            for e in [a, b] {
                match e {
                    ir::Expr::All(v) if and => items.extend(v),
                    ir::Expr::Any(v) if !and => items.extend(v),
                    other => items.push(other),
                }
            }
            let node = if and {
                ir::Expr::All(items)
            } else {
                ir::Expr::Any(items)
            };
            return self.fold(node, Type::Bool, span);
        }
        let lt = self.expr(l, scope);
        let rt = self.expr(r, scope);
        let ((le, lty), (re, rty)) = (lt?, rt?);
        let cmp_op = match op {
            BinOp::Eq => Some(CmpOp::Eq),
            BinOp::Ne => Some(CmpOp::Ne),
            BinOp::Lt => Some(CmpOp::Lt),
            BinOp::Le => Some(CmpOp::Le),
            BinOp::Gt => Some(CmpOp::Gt),
            BinOp::Ge => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(cop) = cmp_op {
            let kind = self.cmp_kind(cop, lty, rty, &le, &re, span)?;
            let origin = self.origin(span, Some(r.span), &[&le, &re], scope);
            let node = match (le, re) {
                (ir::Expr::Field(slot), ir::Expr::Const(value)) if fast_cmp(&value) => {
                    ir::Expr::FieldCmpConst(Box::new(ir::FieldCmp::new(slot, cop, value, origin)))
                }
                (ir::Expr::Const(value), ir::Expr::Field(slot)) if fast_cmp(&value) => {
                    // `500 <= employees` is `employees >= 500`.
                    let op = match cop {
                        CmpOp::Lt => CmpOp::Gt,
                        CmpOp::Le => CmpOp::Ge,
                        CmpOp::Gt => CmpOp::Lt,
                        CmpOp::Ge => CmpOp::Le,
                        other => other,
                    };
                    ir::Expr::FieldCmpConst(Box::new(ir::FieldCmp::new(slot, op, value, origin)))
                }
                (lhs, rhs) => ir::Expr::Cmp(Box::new(Cmp {
                    op: cop,
                    kind,
                    lhs,
                    rhs,
                    origin,
                })),
            };
            return self.fold(node, Type::Bool, span);
        }
        match op {
            BinOp::In | BinOp::NotIn | BinOp::Contains => {
                let (elem, ety, set, sty) = if op == BinOp::Contains {
                    (re, rty, le, lty)
                } else {
                    (le, lty, re, rty)
                };
                match sty.element() {
                    Some(t) if t == ety => {}
                    Some(_) if ety.element().is_some() && op == BinOp::Contains => {
                        return self.fail(span, format!("`contains` takes one element; to test a whole {ety} use `contains all` or `contains any`"));
                    }
                    Some(t) => {
                        return self.fail(
                            span,
                            format!(
                                "`{}` needs {} and a {sty}, found {}",
                                op.symbol(),
                                article(t),
                                article(ety)
                            ),
                        )
                    }
                    None => {
                        return self.fail(
                            span,
                            format!("`{}` needs a set, found {}", op.symbol(), article(sty)),
                        )
                    }
                }
                let negate = op == BinOp::NotIn;
                let node = match (&elem, &set) {
                    (ir::Expr::Field(slot), ir::Expr::Const(Value::SetText(s))) => {
                        ir::Expr::FieldInTexts {
                            slot: *slot,
                            set: crate::value::ConstTexts::new(s),
                            negate,
                        }
                    }
                    (ir::Expr::Const(Value::Text(t)), ir::Expr::Field(slot)) if !negate => {
                        ir::Expr::FieldContainsText {
                            slot: *slot,
                            text: t.clone(),
                        }
                    }
                    _ => ir::Expr::Member {
                        elem: Box::new(elem),
                        set: Box::new(set),
                        negate,
                    },
                };
                self.fold(node, Type::Bool, span)
            }
            BinOp::ContainsAny | BinOp::ContainsAll | BinOp::SubsetOf => {
                if lty.element().is_none() || lty != rty {
                    return self.fail(
                        span,
                        format!(
                            "`{}` needs two sets of one type, found {lty} and {rty}",
                            op.symbol()
                        ),
                    );
                }
                let rel = match op {
                    BinOp::ContainsAny => SetRel::Any,
                    BinOp::ContainsAll => SetRel::All,
                    _ => SetRel::Subset,
                };
                self.fold(
                    ir::Expr::SetRel(rel, Box::new(le), Box::new(re)),
                    Type::Bool,
                    span,
                )
            }
            _ => {
                let aop = match op {
                    BinOp::Add => ArithOp::Add,
                    BinOp::Sub => ArithOp::Sub,
                    BinOp::Mul => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                let (kind, ty) = self.arith_kind(aop, lty, rty, &le, &re, r, span)?;
                let origin = self.origin(span, Some(r.span), &[&le, &re], scope);
                let node = ir::Expr::Arith(Box::new(Arith {
                    op: aop,
                    kind,
                    lhs: le,
                    rhs: re,
                    origin,
                }));
                self.fold(node, ty, span)
            }
        }
    }

    fn cmp_kind(
        &mut self,
        op: CmpOp,
        l: Type,
        r: Type,
        le: &ir::Expr,
        re: &ir::Expr,
        span: Span,
    ) -> Option<CmpKind> {
        let ordering = !matches!(op, CmpOp::Eq | CmpOp::Ne);
        if l.is_number() && r.is_number() {
            return Some(if l == Type::Int && r == Type::Int {
                CmpKind::Int
            } else {
                CmpKind::Num
            });
        }
        if l != r {
            let mut d = self.sink.make(
                Code::E0103,
                span,
                format!("cannot compare {} with {}", article(l), article(r)),
            );
            if l == Type::Money && r.is_number() || r == Type::Money && l.is_number() {
                d = d.with_help(
                    "write the amount with its currency, e.g. `10_000 USD`, or use `amount(…)`",
                );
            } else if let Some(h) =
                quoted_literal_help(le, r).or_else(|| quoted_literal_help(re, l))
            {
                d = d.with_help(h);
            } else {
                d = d.with_help(
                    "both sides of a comparison must have one type (ints and decimals mix)",
                );
            }
            self.sink.push(d);
            return None;
        }
        if l == Type::Money {
            if self.constant_currencies_differ(le, re, span, "compared") {
                return None;
            }
            return Some(CmpKind::Money);
        }
        if ordering && !l.is_ordered() {
            self.sink.push(
                self.sink
                    .make(
                        Code::E0103,
                        span,
                        format!("{} values support only `==` and `!=`", l),
                    )
                    .with_label(format!("`{}` needs an ordered type", op.symbol())),
            );
            return None;
        }
        Some(CmpKind::Same)
    }

    #[allow(clippy::too_many_arguments)]
    fn arith_kind(
        &mut self,
        op: ArithOp,
        l: Type,
        r: Type,
        le: &ir::Expr,
        re: &ir::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> Option<(ArithKind, Type)> {
        use ArithOp::*;
        use Type::*;
        let k = match (op, l, r) {
            (_, Int, Int) => (ArithKind::IntInt, if op == Div { Decimal } else { Int }),
            (_, a, b) if a.is_number() && b.is_number() => (ArithKind::Num, Decimal),
            (Add | Sub, Money, Money) => (ArithKind::MoneyMoney, Money),
            (Div, Money, Money) => (ArithKind::MoneyMoney, Decimal),
            (Mul | Div, Money, b) if b.is_number() => (ArithKind::MoneyNum, Money),
            (Mul, a, Money) if a.is_number() => (ArithKind::NumMoney, Money),
            (Add | Sub, Duration, Duration) => (ArithKind::DurDur, Duration),
            (Mul, Duration, Int) => (ArithKind::DurInt, Duration),
            (Mul, Int, Duration) => (ArithKind::IntDur, Duration),
            (Sub, Timestamp, Timestamp) => (ArithKind::TsTs, Duration),
            (Sub, Date, Date) => (ArithKind::DateDate, Duration),
            (Add | Sub, Timestamp, Duration) => (ArithKind::TsDur, Timestamp),
            (Add | Sub, Date, Duration) => {
                if let ast::ExprKind::Lit(Literal::Duration(d)) = &rhs.node {
                    if d.seconds % 86_400 != 0 {
                        self.sink.push(
                            self.sink
                                .make(
                                    Code::E0103,
                                    rhs.span,
                                    "a duration with hours or minutes cannot be added to a date",
                                )
                                .with_help("use whole days, or a timestamp"),
                        );
                        return None;
                    }
                }
                (ArithKind::DateDur, Date)
            }
            _ => {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0103,
                            span,
                            format!(
                                "cannot apply `{}` to {} and {}",
                                op.symbol(),
                                article(l),
                                article(r)
                            ),
                        )
                        .with_help(arith_help(op, l, r)),
                );
                return None;
            }
        };
        if k.0 == ArithKind::MoneyMoney
            && self.constant_currencies_differ(le, re, span, "in one sum")
        {
            return None;
        }
        Some(k)
    }
}

/// Constants the field-comparison fast path handles.
fn fast_cmp(v: &Value) -> bool {
    matches!(
        v,
        Value::Int(_)
            | Value::Decimal(_)
            | Value::Money(_)
            | Value::Date(_)
            | Value::Timestamp(_)
            | Value::Duration(_)
    )
}

/// Help for a comparison of a quoted literal with a value of the type its
/// text spells (`employees >= "500"`).
fn quoted_literal_help(e: &ir::Expr, other: Type) -> Option<String> {
    let ir::Expr::Const(Value::Text(t)) = e else {
        return None;
    };
    let t: &str = t.as_ref();
    let plain = t.replace('_', "");
    let fits = match other {
        Type::Int | Type::Decimal => rust_decimal::Decimal::from_str_exact(&plain).is_ok(),
        Type::Date => crate::record::parse_date(t).is_some(),
        Type::Bool => matches!(t, "true" | "false"),
        _ => false,
    };
    fits.then(|| format!("`\"{t}\"` is a text; write `{t}` without the quotes"))
}

/// What arithmetic `op` allows, for a type error.
fn arith_help(op: ArithOp, l: Type, r: Type) -> String {
    if l == Type::Text || r == Type::Text {
        return "texts support only `==` and `!=` (and `in`); there is no text arithmetic".into();
    }
    if l == Type::Bool || r == Type::Bool {
        return "combine conditions with `and`, `or` and `not`".into();
    }
    match op {
        ArithOp::Add | ArithOp::Sub => "`+` and `-` take two numbers, money of one currency, two durations, or a date or timestamp and a duration; `-` also takes two dates or two timestamps".into(),
        ArithOp::Mul => "`*` takes two numbers, money and a number, or a duration and an int".into(),
        ArithOp::Div => "`/` takes two numbers, money and a number, or two amounts of money".into(),
    }
}
