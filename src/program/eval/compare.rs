//! Comparisons: two known values by the kind the checker decided, the
//! shapes of [`Cmp`] evaluated without intermediate values (date
//! differences against a constant duration, a computed number against a
//! constant), and the field-against-constant tests of [`FieldCmp`]
//! prepared at compile time.

use std::cmp::Ordering;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::truth::{fail, Truth};
use super::{dec, field, fields_note, internal, Env, EvalError, Tri, R};
use crate::program::expr::{ArithKind, ArithOp, Cmp, CmpKind, ConstTest, Expr, FieldCmp, Origin};
use crate::value::{Val, Value};

/// Compares two known values of the kind the checker decided.
pub(super) fn compare(
    kind: CmpKind,
    l: &Val<'_>,
    r: &Val<'_>,
    origin: &Origin,
    what: &str,
) -> R<Ordering> {
    match kind {
        CmpKind::Int => match (l, r) {
            (Val::Int(a), Val::Int(b)) => Ok(a.cmp(b)),
            _ => Err(internal("int operands")),
        },
        CmpKind::Num => match (dec(l), dec(r)) {
            (Some(a), Some(b)) => Ok(a.cmp(&b)),
            _ => Err(internal("number operands")),
        },
        CmpKind::Money => match (l, r) {
            (Val::Money(a), Val::Money(b)) if a.currency == b.currency => {
                Ok(a.amount.cmp(&b.amount))
            }
            (Val::Money(_), Val::Money(_)) => Err(Box::new(EvalError::CurrencyMismatch(format!(
                "one {what}: {}{}",
                origin.text_with(l, r),
                fields_note(origin)
            )))),
            _ => Err(internal("money operands")),
        },
        CmpKind::Same => match (l, r) {
            (Val::Date(a), Val::Date(b)) => Ok(a.cmp(b)),
            (Val::Timestamp(a), Val::Timestamp(b)) | (Val::Duration(a), Val::Duration(b)) => {
                Ok(a.cmp(b))
            }
            (Val::Text(a), Val::Text(b)) => Ok(eq_order(a == b)),
            (Val::Bool(a), Val::Bool(b)) => Ok(eq_order(a == b)),
            (Val::SetText(a), Val::SetText(b)) => Ok(eq_order(a == b)),
            (Val::SetInt(a), Val::SetInt(b)) => Ok(eq_order(a == b)),
            _ => Err(internal("comparison operands")),
        },
    }
}

// Types that only support `==`/`!=`: unequal maps to Less, which `==` and
// `!=` read correctly (the checker rejects ordering operators on them).
fn eq_order(equal: bool) -> Ordering {
    if equal {
        Ordering::Equal
    } else {
        Ordering::Less
    }
}

impl Origin {
    /// `30000 USD >= 15000 EUR`: the operands' values around the operator.
    pub(super) fn text_with(&self, l: &Val<'_>, r: &Val<'_>) -> String {
        let op = self.text.split_whitespace().find(|w| {
            matches!(
                *w,
                "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/"
            )
        });
        match op {
            Some(op) => format!("{} {op} {}", l.display(), r.display()),
            None => format!("{} and {}", l.display(), r.display()),
        }
    }
}

impl Cmp {
    /// `date − date OP duration constant` (`today - signed_on > 45d`)
    /// without building intermediate values; `None` for any other shape.
    #[inline]
    pub(super) fn date_diff(&self, env: &Env<'_>) -> Option<R<Tri>> {
        let (Expr::Arith(a), Expr::Const(Value::Duration(limit))) = (&self.lhs, &self.rhs) else {
            return None;
        };
        if a.kind != ArithKind::DateDate || a.op != ArithOp::Sub {
            return None;
        }
        let date = |e: &Expr| -> Option<R<Option<NaiveDate>>> {
            match e {
                Expr::Today => Some(Ok(Some(env.today))),
                Expr::Field(slot) => Some(match field(env.fields, *slot) {
                    Ok(Some(Value::Date(d))) => Ok(Some(*d)),
                    Ok(None) => Ok(None),
                    Ok(Some(_)) => Err(internal("date field expected")),
                    Err(e) => Err(e),
                }),
                _ => None,
            }
        };
        let (l, r) = (date(&a.lhs)?, date(&a.rhs)?);
        Some((|| {
            let (Some(l), Some(r)) = (l?, r?) else {
                return Ok(None);
            };
            // Days fit an i64 of seconds for every date chrono can hold.
            let seconds = l.signed_duration_since(r).num_days() * 86_400;
            Ok(Some(self.op.test(seconds.cmp(limit))))
        })())
    }

    /// A number computed earlier (a score, a measure) against a number
    /// constant (`score >= 75`); `None` for any other shape or operands.
    #[inline]
    pub(super) fn local_number(&self, env: &Env<'_>) -> Option<Tri> {
        let (Expr::Local(slot), Expr::Const(c)) = (&self.lhs, &self.rhs) else {
            return None;
        };
        let o = match (env.locals.get(usize::from(*slot))?, c) {
            (Val::Unknown, _) => return Some(None),
            (Val::Dec(a), Value::Decimal(b)) => a.cmp(b),
            (Val::Dec(a), Value::Int(b)) => a.cmp(&Decimal::from(*b)),
            (Val::Int(a), Value::Int(b)) => a.cmp(b),
            (Val::Int(a), Value::Decimal(b)) => Decimal::from(*a).cmp(b),
            _ => return None,
        };
        Some(Some(self.op.test(o)))
    }

    pub(super) fn eval(&self, env: &Env<'_>) -> R<Tri> {
        let l = self.lhs.val(env)?;
        let r = self.rhs.val(env)?;
        if matches!(l, Val::Unknown) || matches!(r, Val::Unknown) {
            return Ok(None);
        }
        Ok(Some(self.op.test(compare(
            self.kind,
            &l,
            &r,
            &self.origin,
            "comparison",
        )?)))
    }
}

impl FieldCmp {
    #[cold]
    #[inline(never)]
    fn currency_mismatch(&self, v: &Value) -> Box<EvalError> {
        let (l, r) = (v.as_val(), self.value.as_val());
        Box::new(EvalError::CurrencyMismatch(format!(
            "one comparison: {}{}",
            self.origin.text_with(&l, &r),
            fields_note(&self.origin)
        )))
    }

    #[inline(always)]
    pub(super) fn truth(&self, env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
        let v = match env.fields.get(usize::from(self.slot)) {
            Some(Some(v)) => v,
            Some(None) => return Truth::Unknown,
            None => return fail(err, "field slot out of range"),
        };
        // The test prepared at compile time; any other pairing of field
        // and constant takes the general comparison.
        match (&self.test, v) {
            (ConstTest::Int(r), Value::Int(x))
            | (ConstTest::Duration(r), Value::Duration(x))
            | (ConstTest::Timestamp(r), Value::Timestamp(x)) => Truth::of(r.holds(*x)),
            (ConstTest::Money(currency, c), Value::Money(m)) => {
                if m.currency != *currency {
                    *err = Some(self.currency_mismatch(v));
                    return Truth::Error;
                }
                Truth::of(self.op.test(c.cmp_with(&m.amount)))
            }
            (ConstTest::Decimal(c), Value::Decimal(d)) => Truth::of(self.op.test(c.cmp_with(d))),
            _ => self.general(v, err),
        }
    }

    /// The comparison by the pair of value kinds.
    #[inline(never)]
    fn general(&self, v: &Value, err: &mut Option<Box<EvalError>>) -> Truth {
        let o = match (v, &self.value) {
            (Value::Int(a), Value::Int(b))
            | (Value::Duration(a), Value::Duration(b))
            | (Value::Timestamp(a), Value::Timestamp(b)) => a.cmp(b),
            (Value::Decimal(a), Value::Decimal(b)) => a.cmp(b),
            (Value::Int(a), Value::Decimal(b)) => Decimal::from(*a).cmp(b),
            (Value::Decimal(a), Value::Int(b)) => a.cmp(&Decimal::from(*b)),
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            (Value::Money(a), Value::Money(b)) => {
                if a.currency != b.currency {
                    *err = Some(self.currency_mismatch(v));
                    return Truth::Error;
                }
                a.amount.cmp(&b.amount)
            }
            _ => return fail(err, "field comparison operands"),
        };
        Truth::of(self.op.test(o))
    }
}
