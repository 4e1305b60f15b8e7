//! Unit tests of the evaluator: a slot past the end of the fields, and
//! the field comparisons prepared at compile time against the plain ones.

use super::{Env, EvalError, Expr};
use crate::program::expr::{CmpOp, FieldCmp, Origin, Scaled};
use crate::value::{ConstTexts, Currency, Money, TextSet, Value};

/// A slot past the end of a caller's `Env::fields` is reported as such
/// by every kind of leaf, not as a value of the wrong type.
#[test]
fn a_missing_slot_is_an_internal_error_naming_the_slot() {
    let env = Env {
        fields: &[],
        other: &[],
        locals: &[],
        today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        lets: &[],
    };
    let leaves = [
        Expr::BoolField(3),
        Expr::FieldInTexts {
            slot: 3,
            set: ConstTexts::new(&TextSet::new(["a"])),
            negate: false,
        },
        Expr::FieldContainsText {
            slot: 3,
            text: "a".into(),
        },
    ];
    for e in leaves {
        for cond in [e.clone(), Expr::All(vec![e.clone()]), Expr::Any(vec![e])] {
            assert_eq!(
                cond.eval_bool(&env),
                Err(EvalError::Invalid(
                    "internal error: field slot out of range".into()
                )),
                "{cond:?}"
            );
        }
    }
}
use proptest::prelude::*;
use rust_decimal::Decimal;

fn decimal() -> impl Strategy<Value = Decimal> {
    // Mantissas up to the full 96 bits and every scale, so that both
    // the prepared mantissas and the fallback past i128 run.
    (any::<i128>(), 0u32..=28).prop_map(|(m, s)| {
        let m = m % (1i128 << 96);
        Decimal::from_i128_with_scale(m, s)
    })
}

proptest! {
    #[test]
    fn scaled_constants_order_as_rust_decimal(a in decimal(), b in decimal(), shift in 0u32..=9) {
        let cmp = |x: &Decimal, y: &Decimal| Scaled::new(*y).cmp_with(x);
        prop_assert_eq!(cmp(&a, &b), a.cmp(&b));
        // The same value at another scale compares equal.
        if let Some(m) = a.mantissa().checked_mul(10i128.pow(shift)) {
            if let Ok(c) = Decimal::try_from_i128_with_scale(m, a.scale() + shift) {
                prop_assert_eq!(cmp(&a, &c), std::cmp::Ordering::Equal);
                prop_assert_eq!(cmp(&c, &a), std::cmp::Ordering::Equal);
            }
        }
    }

    /// A field compared with a constant through the test prepared at
    /// compile time answers as the plain comparison of the two values:
    /// ints, decimals and money at every scale (the prepared mantissas
    /// and the fallback), durations and timestamps at the ends of
    /// `i64`, money of another currency, an absent field.
    #[test]
    fn prepared_field_comparisons_agree_with_plain_ones(
        (field, constant) in field_and_constant(),
        op in prop_oneof![
            Just(CmpOp::Eq), Just(CmpOp::Ne), Just(CmpOp::Lt),
            Just(CmpOp::Le), Just(CmpOp::Gt), Just(CmpOp::Ge)
        ],
    ) {
        let expected = match (&field, &constant) {
            (None, _) => Ok(None),
            (Some(f), c) => {
                let number = |v: &Value| match v {
                    Value::Int(i) => Some(Decimal::from(*i)),
                    Value::Decimal(d) => Some(*d),
                    _ => None,
                };
                let order = match (f, c) {
                    (Value::Duration(a), Value::Duration(b))
                    | (Value::Timestamp(a), Value::Timestamp(b)) => Some(a.cmp(b)),
                    (Value::Money(a), Value::Money(b)) => {
                        (a.currency == b.currency).then(|| a.amount.cmp(&b.amount))
                    }
                    _ => Some(number(f).cmp(&number(c))),
                };
                match order {
                    Some(o) => Ok(Some(op.test(o))),
                    None => Err("currency"),
                }
            }
        };
        let cond = Expr::FieldCmpConst(Box::new(FieldCmp::new(0, op, constant, Origin::default())));
        let fields = [field];
        let env = Env {
            fields: &fields,
            other: &[],
            locals: &[],
            today: chrono::NaiveDate::default(),
            lets: &[],
        };
        let got = cond.eval_bool(&env).map_err(|e| match e {
            EvalError::CurrencyMismatch(_) => "currency",
            _ => "other",
        });
        prop_assert_eq!(got, expected);
    }
}

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -3i64..=3,
        Just(i64::MIN),
        Just(i64::MIN + 1),
        Just(i64::MAX - 1),
        Just(i64::MAX),
    ]
}

/// A field value (or none) and a constant the checker would let it be
/// compared with.
fn field_and_constant() -> impl Strategy<Value = (Option<Value>, Value)> {
    let number = || {
        prop_oneof![
            int().prop_map(Value::Int),
            decimal().prop_map(Value::Decimal)
        ]
    };
    let currency =
        || prop_oneof![Just("USD"), Just("EUR")].prop_map(|c| Currency::parse(c).expect("code"));
    let money = move || {
        (decimal(), currency())
            .prop_map(|(amount, currency)| Value::Money(Money { amount, currency }))
    };
    let pair = prop_oneof![
        (number(), number()),
        (
            int().prop_map(Value::Duration),
            int().prop_map(Value::Duration)
        ),
        (
            int().prop_map(Value::Timestamp),
            int().prop_map(Value::Timestamp)
        ),
        (money(), money()),
        // The same amount at several scales, so that equality is met.
        (decimal(), 0u32..=6, currency()).prop_map(|(d, k, c)| {
            let wider = d
                .mantissa()
                .checked_mul(10i128.pow(k))
                .and_then(|m| Decimal::try_from_i128_with_scale(m, d.scale() + k).ok())
                .unwrap_or(d);
            let m = |amount| {
                Value::Money(Money {
                    amount,
                    currency: c,
                })
            };
            (m(wider), m(d))
        }),
    ];
    (pair, 0u8..10).prop_map(|((f, c), absent)| ((absent > 0).then_some(f), c))
}
