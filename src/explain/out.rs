//! The leaves of a trace as they are reported: each condition evaluated,
//! its result and its operands' values, written in JSON as every other
//! output value is (CLI.md "Value encoding in output").

use std::sync::Arc;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::program::eval::Tri;
use crate::value::{format_decimal, format_fixed, Type, Value};

/// One condition of a rule as it was evaluated: a comparison, a
/// membership, `between`, `is set`, a bare `bool` field or stage.
///
/// In JSON: `{"condition": "in_days(today - created) <= 45", "result":
/// false, "operands": [{"expr": "in_days(today - created)", "value":
/// "61"}]}`, with `"negated": true` after `condition` when the condition
/// stands inside a `not` around an `and` / `or`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionTrace {
    /// The condition as written in the policy, whitespace folded; a `not`
    /// written directly around it is part of it (`not (x in s)`), and its
    /// result is then that of the whole `not`.
    pub condition: Arc<str>,
    /// Whether the condition stands inside a `not` around an `and` or an
    /// `or` (`not (a and b)`): its result is its own, and counts against
    /// the rule.
    pub negated: bool,
    /// true, false, or unknown (`None`).
    pub result: Tri,
    /// The values of its operands that the policy does not fix (literals
    /// and constant `let`s are left out), in source order; for a bare
    /// field or stage, its own value.
    pub operands: Vec<OperandTrace>,
}

/// One operand of a condition and its value for the record.
#[derive(Debug, Clone, PartialEq)]
pub struct OperandTrace {
    /// The operand as written in the policy (`in_days(today - created)`).
    pub expr: Arc<str>,
    /// Its type, when known.
    pub ty: Option<Type>,
    /// Its value; `None` when unknown.
    pub value: Option<Value>,
    /// Places a decimal is shown with (the health score's 2).
    pub(crate) places: Option<u32>,
}

impl Serialize for ConditionTrace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("condition", &*self.condition)?;
        if self.negated {
            m.serialize_entry("negated", &true)?;
        }
        m.serialize_entry("result", &self.result)?;
        m.serialize_entry("operands", &self.operands)?;
        m.end()
    }
}

impl Serialize for OperandTrace {
    /// `{"expr": …, "value": …}`: money as its amount with a sibling
    /// `currency`, a duration as integer seconds in `value_seconds`, a
    /// decimal exact with trailing zeros removed, dates and timestamps
    /// ISO, unknown as `null` (under the key its type gives).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("expr", &*self.expr)?;
        let ty = self.value.as_ref().map(Value::ty).or(self.ty);
        match (&self.value, ty) {
            (Some(Value::Money(money)), _) => {
                m.serialize_entry("value", &money_text(money))?;
                m.serialize_entry("currency", &money.currency)?;
            }
            (None, Some(Type::Money)) => {
                m.serialize_entry("value", &None::<String>)?;
                m.serialize_entry("currency", &None::<String>)?;
            }
            (Some(Value::Duration(seconds)), _) => m.serialize_entry("value_seconds", seconds)?,
            (None, Some(Type::Duration)) => m.serialize_entry("value_seconds", &None::<i64>)?,
            (Some(Value::Decimal(d)), _) => match self.places {
                Some(p) => m.serialize_entry("value", &format_fixed(*d, p))?,
                None => m.serialize_entry("value", &format_decimal(*d))?,
            },
            (Some(v), _) => m.serialize_entry("value", &v.to_json())?,
            (None, _) => m.serialize_entry("value", &None::<String>)?,
        }
        m.end()
    }
}

/// An amount in its currency's minor unit (`1234.50`), or with every
/// digit it has when it has more (`1234.505`): a trace never rounds.
fn money_text(m: &crate::value::Money) -> String {
    let minor = m.currency.minor_units();
    if m.amount.normalize().scale() <= minor {
        format_fixed(m.amount, minor)
    } else {
        format_decimal(m.amount)
    }
}
