//! Arithmetic on values: checked decimal, int, money, duration, date and
//! timestamp operations of [`Arith`], negation, and the built-in function
//! calls.

use std::borrow::Cow;
use std::cmp::Ordering;

use rust_decimal::{Decimal, RoundingStrategy};

use super::compare::compare;
use super::{dec, fields_note, internal, Env, EvalError, R};
use crate::program::expr::{Arith, ArithKind, ArithOp, CmpKind, Expr, Func, Origin};
use crate::value::{Money, Val};

pub(super) fn neg(v: Val<'_>) -> R<Val<'_>> {
    let overflow = || EvalError::Overflow("negation".into());
    Ok(match v {
        Val::Unknown => Val::Unknown,
        Val::Int(i) => Val::Int(i.checked_neg().ok_or_else(overflow)?),
        Val::Dec(d) => Val::Dec(-d),
        Val::Money(m) => Val::Money(Money {
            amount: -m.amount,
            currency: m.currency,
        }),
        Val::Duration(s) => Val::Duration(s.checked_neg().ok_or_else(overflow)?),
        _ => return Err(internal("negation operand")),
    })
}

impl Arith {
    pub(super) fn eval<'a>(&'a self, env: &Env<'a>) -> R<Val<'a>> {
        let l = self.lhs.val(env)?;
        let r = self.rhs.val(env)?;
        if matches!(l, Val::Unknown) || matches!(r, Val::Unknown) {
            return Ok(Val::Unknown);
        }
        let o = &self.origin;
        let overflow = || Box::new(EvalError::Overflow(format!("{}{}", o.text, fields_note(o))));
        let div_zero = |r: &Val<'_>| {
            Box::new(EvalError::DivisionByZero(
                if o.rhs_text.is_empty() || *o.rhs_text == r.display() {
                    o.text.to_string()
                } else {
                    format!("{} ({} = {})", o.text, o.rhs_text, r.display())
                },
            ))
        };
        let num = |a: Decimal, b: Decimal| -> R<Decimal> {
            match self.op {
                ArithOp::Add => a.checked_add(b).ok_or_else(overflow),
                ArithOp::Sub => a.checked_sub(b).ok_or_else(overflow),
                ArithOp::Mul => a.checked_mul(b).ok_or_else(overflow),
                ArithOp::Div => {
                    if b.is_zero() {
                        Err(div_zero(&r))
                    } else {
                        crate::value::quotient(a, b).ok_or_else(overflow)
                    }
                }
            }
        };
        let int = |a: i64, b: i64| -> R<i64> {
            match self.op {
                ArithOp::Add => a.checked_add(b).ok_or_else(overflow),
                ArithOp::Sub => a.checked_sub(b).ok_or_else(overflow),
                _ => a.checked_mul(b).ok_or_else(overflow),
            }
        };
        Ok(match (self.kind, &l, &r) {
            (ArithKind::IntInt, Val::Int(a), Val::Int(b)) => {
                if self.op == ArithOp::Div {
                    Val::Dec(num(Decimal::from(*a), Decimal::from(*b))?)
                } else {
                    Val::Int(int(*a, *b)?)
                }
            }
            (ArithKind::Num, _, _) => match (dec(&l), dec(&r)) {
                (Some(a), Some(b)) => Val::Dec(num(a, b)?),
                _ => return Err(internal("number operands")),
            },
            (ArithKind::MoneyMoney, Val::Money(a), Val::Money(b)) => {
                if a.currency != b.currency {
                    return Err(Box::new(EvalError::CurrencyMismatch(format!(
                        "one {}: {}{}",
                        if self.op == ArithOp::Div {
                            "quotient"
                        } else {
                            "sum"
                        },
                        o.text_with(&l, &r),
                        fields_note(o)
                    ))));
                }
                let v = num(a.amount, b.amount)?;
                if self.op == ArithOp::Div {
                    Val::Dec(v)
                } else {
                    Val::Money(Money {
                        amount: v,
                        currency: a.currency,
                    })
                }
            }
            (ArithKind::MoneyNum, Val::Money(a), _) => match dec(&r) {
                Some(b) => Val::Money(Money {
                    amount: num(a.amount, b)?,
                    currency: a.currency,
                }),
                None => return Err(internal("money operands")),
            },
            (ArithKind::NumMoney, _, Val::Money(b)) => match dec(&l) {
                Some(a) => Val::Money(Money {
                    amount: num(a, b.amount)?,
                    currency: b.currency,
                }),
                None => return Err(internal("money operands")),
            },
            (ArithKind::DurDur, Val::Duration(a), Val::Duration(b)) => Val::Duration(int(*a, *b)?),
            (ArithKind::DurInt, Val::Duration(a), Val::Int(b)) => Val::Duration(int(*a, *b)?),
            (ArithKind::IntDur, Val::Int(a), Val::Duration(b)) => Val::Duration(int(*a, *b)?),
            (ArithKind::TsTs, Val::Timestamp(a), Val::Timestamp(b)) => Val::Duration(int(*a, *b)?),
            (ArithKind::DateDate, Val::Date(a), Val::Date(b)) => {
                let days = a.signed_duration_since(*b).num_days();
                Val::Duration(days.checked_mul(86_400).ok_or_else(overflow)?)
            }
            (ArithKind::TsDur, Val::Timestamp(a), Val::Duration(b)) => Val::Timestamp(int(*a, *b)?),
            (ArithKind::DateDur, Val::Date(a), Val::Duration(b)) => {
                if b % 86_400 != 0 {
                    return Err(Box::new(EvalError::Invalid(format!(
                        "{}: a duration of hours or minutes cannot be added to a date{}",
                        o.text,
                        fields_note(o)
                    ))));
                }
                let days = chrono::Days::new((b / 86_400).unsigned_abs());
                let moved = if (*b >= 0) == (self.op == ArithOp::Add) {
                    a.checked_add_days(days)
                } else {
                    a.checked_sub_days(days)
                };
                Val::Date(moved.ok_or_else(overflow)?)
            }
            _ => return Err(internal("arithmetic operands")),
        })
    }
}

pub(super) fn call<'a>(f: Func, args: &'a [Expr], env: &Env<'a>) -> R<Val<'a>> {
    let mut vals = Vec::with_capacity(args.len());
    for a in args {
        vals.push(a.val(env)?);
    }
    if vals.iter().any(|v| matches!(v, Val::Unknown)) {
        return Ok(Val::Unknown);
    }
    let first = vals.first().cloned().unwrap_or(Val::Unknown);
    let second = vals.get(1).cloned().unwrap_or(Val::Unknown);
    let bad = || internal("function arguments");
    Ok(match f {
        Func::InDays | Func::InHours => match first {
            Val::Duration(s) => {
                let unit = if f == Func::InDays { 86_400 } else { 3_600 };
                Val::Dec(
                    crate::value::quotient(Decimal::from(s), Decimal::from(unit))
                        .ok_or_else(bad)?,
                )
            }
            _ => return Err(bad()),
        },
        Func::Currency => match first {
            Val::Money(m) => Val::Text(Cow::Owned(m.currency.to_string())),
            _ => return Err(bad()),
        },
        Func::Amount => match first {
            Val::Money(m) => Val::Dec(m.amount),
            _ => return Err(bad()),
        },
        Func::Len => match first {
            Val::SetText(s) => Val::Int(i64::try_from(s.len()).map_err(|_| bad())?),
            Val::SetInt(s) => Val::Int(i64::try_from(s.len()).map_err(|_| bad())?),
            _ => return Err(bad()),
        },
        Func::Lower => match first {
            Val::Text(t) => Val::Text(Cow::Owned(t.to_lowercase())),
            _ => return Err(bad()),
        },
        Func::Min | Func::Max => {
            let kind = match (&first, &second) {
                (Val::Int(_), Val::Int(_)) => CmpKind::Int,
                (Val::Money(_), _) => CmpKind::Money,
                (a, b) if dec(a).is_some() && dec(b).is_some() => CmpKind::Num,
                _ => CmpKind::Same,
            };
            let origin = Origin {
                text: format!("{f:?}").to_lowercase().into(),
                ..Origin::default()
            };
            let o = compare(kind, &first, &second, &origin, "call")?;
            let pick_first = if f == Func::Min {
                o != Ordering::Greater
            } else {
                o != Ordering::Less
            };
            let chosen = if pick_first { first } else { second };
            // int and decimal mix: the result of a mixed call is a decimal.
            match (kind, chosen) {
                (CmpKind::Num, v) => Val::Dec(dec(&v).ok_or_else(bad)?),
                (_, v) => v,
            }
        }
        Func::Round => {
            let value = dec(&first).ok_or_else(bad)?;
            let places = match second {
                Val::Int(p) if (0..=28).contains(&p) => u32::try_from(p).map_err(|_| bad())?,
                other => {
                    return Err(Box::new(EvalError::Invalid(format!(
                        "round: places must be between 0 and 28, not {}",
                        other.display()
                    ))))
                }
            };
            Val::Dec(value.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven))
        }
    })
}
