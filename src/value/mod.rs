//! Types and values: the declared types, owned values of record fields and
//! constants, and the borrowed values of evaluation. Money, sets, exact
//! decimals and text forms have a file each.

mod decimal;
mod money;
mod sets;
mod text;

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

pub(crate) use decimal::int_digits;
pub use decimal::{format_decimal, format_fixed, push_fixed, quotient};
pub use money::{
    format_money, from_minor_units, in_minor_units, max_at, Currency, Money, NotMoney,
};
pub use sets::{ConstTexts, IntSet, Text, TextSet};
pub(crate) use text::clip;
pub use text::{format_duration, format_timestamp, parse_duration, DurationLit, Ordered};

/// The declared type of a field or the inferred type of an expression.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `decimal`
    Decimal,
    /// `money`
    Money,
    /// `text`
    Text,
    /// `date`
    Date,
    /// `timestamp`
    Timestamp,
    /// `duration`
    Duration,
    /// `set of text`
    SetText,
    /// `set of int`
    SetInt,
}

impl Type {
    /// The names of the types a field may take alone (`set of` comes
    /// before `text` or `int`).
    pub const SCALAR_NAMES: [&'static str; 8] = [
        "bool",
        "int",
        "decimal",
        "money",
        "text",
        "date",
        "timestamp",
        "duration",
    ];

    /// The type as a user writes it.
    pub fn name(self) -> &'static str {
        match self {
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Decimal => "decimal",
            Type::Money => "money",
            Type::Text => "text",
            Type::Date => "date",
            Type::Timestamp => "timestamp",
            Type::Duration => "duration",
            Type::SetText => "set of text",
            Type::SetInt => "set of int",
        }
    }

    /// `int` and `decimal` mix in arithmetic and comparisons.
    pub fn is_number(self) -> bool {
        matches!(self, Type::Int | Type::Decimal)
    }

    /// The element type of a set type.
    pub fn element(self) -> Option<Type> {
        match self {
            Type::SetText => Some(Type::Text),
            Type::SetInt => Some(Type::Int),
            _ => None,
        }
    }

    /// Whether values of this type have an order (`<`, `between`, `min`).
    pub fn is_ordered(self) -> bool {
        matches!(
            self,
            Type::Int | Type::Decimal | Type::Money | Type::Date | Type::Timestamp | Type::Duration
        )
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An owned, known value: what a record field or a constant holds.
#[derive(Clone, PartialEq, Debug)]
pub enum Value {
    /// `bool`
    Bool(bool),
    /// `int`
    Int(i64),
    /// `decimal`
    Decimal(Decimal),
    /// `money`
    Money(Money),
    /// `text`
    Text(Text),
    /// `date`
    Date(NaiveDate),
    /// `timestamp`, Unix seconds
    Timestamp(i64),
    /// `duration`, seconds
    Duration(i64),
    /// `set of text`
    SetText(TextSet),
    /// `set of int`
    SetInt(IntSet),
}

impl Value {
    /// The value's type.
    #[inline]
    pub fn ty(&self) -> Type {
        match self {
            Value::Bool(_) => Type::Bool,
            Value::Int(_) => Type::Int,
            Value::Decimal(_) => Type::Decimal,
            Value::Money(_) => Type::Money,
            Value::Text(_) => Type::Text,
            Value::Date(_) => Type::Date,
            Value::Timestamp(_) => Type::Timestamp,
            Value::Duration(_) => Type::Duration,
            Value::SetText(_) => Type::SetText,
            Value::SetInt(_) => Type::SetInt,
        }
    }

    /// Borrows the value for evaluation.
    pub fn as_val(&self) -> Val<'_> {
        match self {
            Value::Bool(b) => Val::Bool(*b),
            Value::Int(i) => Val::Int(*i),
            Value::Decimal(d) => Val::Dec(*d),
            Value::Money(m) => Val::Money(*m),
            Value::Text(t) => Val::Text(Cow::Borrowed(t.as_str())),
            Value::Date(d) => Val::Date(*d),
            Value::Timestamp(t) => Val::Timestamp(*t),
            Value::Duration(d) => Val::Duration(*d),
            Value::SetText(s) => Val::SetText(s),
            Value::SetInt(s) => Val::SetInt(s),
        }
    }

    /// The value in JSON, by CLI.md "Value encoding in output".
    pub fn to_json(&self) -> serde_json::Value {
        self.as_val().to_json()
    }
}

impl Value {
    /// A `text` value.
    #[inline]
    pub fn text(s: &str) -> Value {
        Value::Text(Text::from(s))
    }

    /// A `set of text` value.
    pub fn text_set<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> Value {
        Value::SetText(TextSet::new(items))
    }

    /// A `set of int` value.
    pub fn int_set<I: IntoIterator<Item = i64>>(items: I) -> Value {
        Value::SetInt(IntSet::new(items))
    }

    /// A `timestamp` value.
    pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> Value {
        Value::Timestamp(t.timestamp())
    }

    /// A `duration` value of whole seconds.
    pub fn seconds(s: i64) -> Value {
        Value::Duration(s)
    }
}

impl From<bool> for Value {
    #[inline]
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    #[inline]
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    #[inline]
    fn from(i: i32) -> Value {
        Value::Int(i64::from(i))
    }
}

impl From<Decimal> for Value {
    #[inline]
    fn from(d: Decimal) -> Value {
        Value::Decimal(d)
    }
}

impl From<Money> for Value {
    #[inline]
    fn from(m: Money) -> Value {
        Value::Money(m)
    }
}

impl From<&str> for Value {
    #[inline]
    fn from(s: &str) -> Value {
        Value::text(s)
    }
}

impl From<String> for Value {
    #[inline]
    fn from(s: String) -> Value {
        Value::Text(Text::from(s))
    }
}

impl From<NaiveDate> for Value {
    #[inline]
    fn from(d: NaiveDate) -> Value {
        Value::Date(d)
    }
}

/// A value during evaluation: borrowed from the record or the compiled
/// policy where possible, `Unknown` for missing data.
#[derive(Clone, PartialEq, Debug)]
pub enum Val<'a> {
    /// Missing data (three-valued logic).
    Unknown,
    /// `bool`
    Bool(bool),
    /// `int`
    Int(i64),
    /// `decimal`
    Dec(Decimal),
    /// `money`
    Money(Money),
    /// `text`
    Text(Cow<'a, str>),
    /// `date`
    Date(NaiveDate),
    /// `timestamp`
    Timestamp(i64),
    /// `duration`
    Duration(i64),
    /// `set of text`
    SetText(&'a TextSet),
    /// `set of int`
    SetInt(&'a IntSet),
}

impl Val<'_> {
    /// The value owned; `None` for unknown.
    pub fn to_value(&self) -> Option<Value> {
        Some(match self {
            Val::Unknown => return None,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::Int(*i),
            Val::Dec(d) => Value::Decimal(*d),
            Val::Money(m) => Value::Money(*m),
            Val::Text(t) => Value::Text(Text::from(&**t)),
            Val::Date(d) => Value::Date(*d),
            Val::Timestamp(t) => Value::Timestamp(*t),
            Val::Duration(d) => Value::Duration(*d),
            Val::SetText(s) => Value::SetText((*s).clone()),
            Val::SetInt(s) => Value::SetInt((*s).clone()),
        })
    }

    /// Renders the value the way error messages and `--explain` show it.
    pub fn display(&self) -> String {
        match self {
            Val::Unknown => "unknown".into(),
            Val::Bool(b) => b.to_string(),
            Val::Int(i) => i.to_string(),
            Val::Dec(d) => format_decimal(*d),
            Val::Money(m) => format!("{} {}", format_decimal(m.amount), m.currency),
            Val::Text(t) => format!("{t:?}"),
            Val::Date(d) => d.to_string(),
            Val::Timestamp(t) => format_timestamp(*t),
            Val::Duration(s) => format_duration(*s),
            Val::SetText(s) => format!(
                "{{{}}}",
                s.iter()
                    .map(|x| format!("{x:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Val::SetInt(s) => format!(
                "{{{}}}",
                s.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The value in JSON, by CLI.md "Value encoding in output" (money as
    /// its amount).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Val::Unknown => J::Null,
            Val::Bool(b) => J::Bool(*b),
            Val::Int(i) => J::from(*i),
            Val::Dec(d) => J::String(format_decimal(*d)),
            Val::Money(m) => J::String(format_money(m.amount, m.currency)),
            Val::Text(t) => J::String(t.to_string()),
            Val::Date(d) => J::String(d.to_string()),
            Val::Timestamp(t) => J::String(format_timestamp(*t)),
            Val::Duration(s) => J::from(*s),
            Val::SetText(s) => J::Array(s.iter().map(|x| J::String(x.into())).collect()),
            Val::SetInt(s) => J::Array(s.iter().map(J::from).collect()),
        }
    }
}
