//! Records: a declared schema, and conversion of input values (JSON or CSV
//! text) into typed slots. Decimals and money are read exactly from their
//! text; no binary floating point is involved anywhere.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value as Json;

use crate::syntax::parse_duration;
use crate::value::{Currency, IntSet, Money, TextSet, Type, Value};

/// One declared field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDef {
    /// Field name.
    pub name: String,
    /// Declared type.
    pub ty: Type,
    /// Declared with `?`.
    pub optional: bool,
}

/// A record type: its fields in slot order and its key.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Record type name.
    pub name: String,
    /// Slot of the key field.
    pub key: Option<u16>,
    /// Fields by slot.
    pub fields: Vec<FieldDef>,
    /// Currency of bare amounts (the policy's `currency` option).
    pub default_currency: Option<Currency>,
    index: HashMap<String, u16>,
}

/// Why an input value could not become a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordError {
    /// A required field is absent, null or empty.
    #[error("field `{field}` is required but {how}")]
    Missing {
        /// The field.
        field: String,
        /// "absent", "null", "the cell is empty".
        how: String,
    },
    /// A value does not convert to the declared type.
    #[error("field `{field}`: {value} is not {expected}")]
    Invalid {
        /// The field.
        field: String,
        /// The value as given.
        value: String,
        /// What was expected ("an int").
        expected: String,
    },
    /// The input is not an object / row at all.
    #[error("{0}")]
    Malformed(String),
    /// Several problems in one record.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<RecordError>),
}

/// A record converted by its schema: one optional value per slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Values by slot; `None` is absent (unknown).
    pub values: Vec<Option<Value>>,
}

/// Many records of one schema stored contiguously, slot after slot: the
/// layout to use when one process evaluates many prepared records (no
/// pointer chasing from record to record).
///
/// ```
/// use baton::record::{FieldDef, RecordBatch, Schema};
/// use baton::value::Type;
/// let s = Schema::new("r", vec![FieldDef { name: "n".into(), ty: Type::Int, optional: false }], None, None);
/// let mut batch = RecordBatch::new(&s);
/// batch.push(s.from_texts(|_| Some("7")).unwrap());
/// assert_eq!(batch.len(), 1);
/// assert_eq!(batch.iter().next().map(|slots| slots.len()), Some(1));
/// ```
#[derive(Debug, Clone, Default)]
pub struct RecordBatch {
    width: usize,
    slots: Vec<Option<Value>>,
}

impl RecordBatch {
    /// An empty batch for records of `schema`.
    pub fn new(schema: &Schema) -> RecordBatch {
        RecordBatch {
            width: schema.fields.len(),
            slots: Vec::new(),
        }
    }

    /// Appends a record (its slots are moved in).
    pub fn push(&mut self, r: Record) {
        let mut values = r.values;
        values.resize(self.width, None);
        self.slots.extend(values);
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.slots.len().checked_div(self.width).unwrap_or(0)
    }

    /// No records.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Each record's slots, in order: pass them as `Env::fields`.
    pub fn iter(&self) -> impl Iterator<Item = &[Option<Value>]> {
        self.slots.chunks_exact(self.width.max(1))
    }
}

impl Schema {
    /// A schema from field definitions. Field names must be distinct (the
    /// checker guarantees it for declared records).
    pub fn new(
        name: &str,
        fields: Vec<FieldDef>,
        key: Option<&str>,
        default_currency: Option<Currency>,
    ) -> Schema {
        let index: HashMap<String, u16> = fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| u16::try_from(i).ok().map(|i| (f.name.clone(), i)))
            .collect();
        let key = key.and_then(|k| index.get(k).copied());
        Schema {
            name: name.to_string(),
            key,
            fields,
            default_currency,
            index,
        }
    }

    /// The slot of a field.
    pub fn slot(&self, name: &str) -> Option<u16> {
        self.index.get(name).copied()
    }

    /// The field in a slot.
    pub fn field(&self, slot: u16) -> Option<&FieldDef> {
        self.fields.get(usize::from(slot))
    }

    /// Converts a JSON object. Fields not declared are ignored.
    ///
    /// ```
    /// use baton::record::{FieldDef, Schema};
    /// use baton::value::{Type, Value};
    /// let s = Schema::new("r", vec![FieldDef { name: "x".into(), ty: Type::Decimal, optional: false }], None, None);
    /// let r = s.from_json(&serde_json::json!({"x": "0.1"})).unwrap();
    /// assert_eq!(r.values[0], Some(Value::Decimal("0.1".parse().unwrap())));
    /// ```
    pub fn from_json(&self, v: &Json) -> Result<Record, RecordError> {
        let Json::Object(map) = v else {
            return Err(RecordError::Malformed(format!(
                "expected a JSON object, found {}",
                json_kind(v)
            )));
        };
        self.build(|f| match map.get(&f.name) {
            None => Cell::Absent("absent"),
            Some(Json::Null) => Cell::Absent("null"),
            Some(v) => Cell::Json(v),
        })
    }

    /// Converts one JSON text straight into the record, without building a
    /// JSON object first: only the schema's fields are kept, unknown keys
    /// are skipped. `None` when the text is anything but a clean record (not
    /// an object, a repeated or escaped key, a field that does not convert,
    /// a required field absent): the caller then takes [`Schema::from_json`],
    /// which says what is wrong. A record it returns is exactly the one
    /// [`Schema::from_json`] returns.
    pub fn from_json_text(&self, text: &str) -> Option<Record> {
        use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
        struct Fields<'s>(&'s Schema);
        impl<'de> Visitor<'de> for Fields<'_> {
            type Value = Option<Vec<Option<Json>>>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut cells: Vec<Option<Json>> = vec![None; self.0.fields.len()];
                let mut clean = true;
                while let Some(key) = map.next_key::<&'de str>()? {
                    match self.0.fields.iter().position(|f| f.name == key) {
                        Some(i) => match cells.get_mut(i) {
                            Some(cell @ None) => *cell = Some(map.next_value::<Json>()?),
                            _ => {
                                // A repeated key: the general path decides.
                                clean = false;
                                map.next_value::<IgnoredAny>()?;
                            }
                        },
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(clean.then_some(cells))
            }
        }
        impl<'de> DeserializeSeed<'de> for Fields<'_> {
            type Value = Option<Vec<Option<Json>>>;
            fn deserialize<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                d.deserialize_map(self)
            }
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let cells = Fields(self).deserialize(&mut de).ok()??;
        de.end().ok()?;
        let mut cells = cells.iter();
        self.build(|_| match cells.next() {
            Some(Some(Json::Null)) => Cell::Absent("null"),
            Some(Some(v)) => Cell::Json(v),
            _ => Cell::Absent("absent"),
        })
        .ok()
    }

    /// Converts a CSV row given the header. An empty cell is absent; for a
    /// required `set of …` field it is the empty set.
    pub fn from_csv(&self, header: &[&str], row: &[&str]) -> Result<Record, RecordError> {
        let positions: Vec<Option<usize>> = self
            .fields
            .iter()
            .map(|f| header.iter().position(|h| *h == f.name))
            .collect();
        self.from_csv_positions(&positions, row)
    }

    /// Like [`Schema::from_csv`] with the header already matched to slots
    /// (`positions[slot]` is the column of that field).
    pub fn from_csv_positions(
        &self,
        positions: &[Option<usize>],
        row: &[&str],
    ) -> Result<Record, RecordError> {
        let mut i = 0;
        self.build(|_| {
            let cell = positions.get(i).copied().flatten().and_then(|c| row.get(c));
            i += 1;
            match cell {
                None => Cell::Absent("absent"),
                Some(t) if t.trim().is_empty() => Cell::Empty,
                Some(t) => Cell::Text(t),
            }
        })
    }

    /// Builds a record field by field from text values (`None` = absent).
    ///
    /// ```
    /// use baton::record::{FieldDef, Schema};
    /// use baton::value::Type;
    /// let s = Schema::new("r", vec![FieldDef { name: "n".into(), ty: Type::Int, optional: true }], None, None);
    /// assert!(s.from_texts(|_| Some("42")).is_ok());
    /// assert!(s.from_texts(|_| Some("many")).is_err());
    /// ```
    pub fn from_texts<'t>(
        &self,
        mut get: impl FnMut(&FieldDef) -> Option<&'t str>,
    ) -> Result<Record, RecordError> {
        self.build(|f| match get(f) {
            None => Cell::Absent("absent"),
            Some(t) => Cell::Text(t),
        })
    }

    fn build<'v>(
        &self,
        mut cell: impl FnMut(&FieldDef) -> Cell<'v>,
    ) -> Result<Record, RecordError> {
        let mut values = Vec::with_capacity(self.fields.len());
        let mut errors = Vec::new();
        for f in &self.fields {
            let converted = match cell(f) {
                Cell::Absent(how) => missing(f, how),
                Cell::Empty if f.ty.element().is_some() && !f.optional => Ok(Some(empty_set(f.ty))),
                Cell::Empty => missing(f, "the cell is empty"),
                Cell::Text(t) => convert_text(f.ty, t, self.default_currency)
                    .map(Some)
                    .map_err(|expected| invalid(f, format!("{t:?}"), expected)),
                Cell::Json(j) => convert_json(f.ty, j, self.default_currency)
                    .map(Some)
                    .map_err(|expected| invalid(f, j.to_string(), expected)),
            };
            match converted {
                Ok(v) => values.push(v),
                Err(e) => {
                    errors.push(e);
                    values.push(None);
                }
            }
        }
        match errors.len() {
            0 => Ok(Record { values }),
            1 => Err(errors.remove(0)),
            _ => Err(RecordError::Several(errors)),
        }
    }

    /// The key of a record.
    pub fn key_of(&self, r: &Record) -> Option<Key> {
        let v = r.values.get(usize::from(self.key?))?.as_ref()?;
        Some(Key::of(v))
    }

    /// The key of an input that failed to convert, read as leniently as
    /// possible so the error line can still name it: the key field's value
    /// when it converts, else the input as given.
    pub fn raw_key_json(&self, v: &Json) -> Option<Key> {
        let f = self.field(self.key?)?;
        let raw = v.get(&f.name)?;
        if let Ok(value) = convert_json(f.ty, raw, self.default_currency) {
            return Some(Key::of(&value));
        }
        match raw {
            Json::Null => None,
            other => Some(Key::as_given(other)),
        }
    }

    /// [`Schema::raw_key_json`] for a CSV cell.
    pub fn raw_key_text(&self, cell: &str) -> Option<Key> {
        let f = self.field(self.key?)?;
        if cell.trim().is_empty() {
            return None;
        }
        Some(match convert_text(f.ty, cell, self.default_currency) {
            Ok(value) => Key::of(&value),
            Err(_) => Key::Text(cell.to_string()),
        })
    }
}

/// A record's key as results name it: the key field's value in the output
/// encoding of CLI.md — a JSON number for an `int` (or `duration`) key, a
/// boolean for a `bool` one, a string for every other type.
///
/// ```
/// use baton::record::Key;
/// use baton::value::Value;
/// assert_eq!(serde_json::to_string(&Key::of(&Value::Int(7))).unwrap(), "7");
/// assert_eq!(serde_json::to_string(&Key::from("L-7")).unwrap(), r#""L-7""#);
/// assert_eq!(Key::of(&Value::Int(7)).to_string(), "7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum Key {
    /// An `int` key, or a `duration` one in seconds.
    Number(i64),
    /// A `bool` key.
    Bool(bool),
    /// Any other key, as its text.
    Text(String),
}

impl Key {
    /// The key a value makes.
    pub fn of(v: &Value) -> Key {
        match v {
            Value::Text(t) => Key::Text(t.to_string()),
            Value::Int(n) | Value::Duration(n) => Key::Number(*n),
            Value::Bool(b) => Key::Bool(*b),
            other => Key::as_given(&other.to_json()),
        }
    }

    /// A JSON value as key text: a string as it is, anything else as JSON.
    fn as_given(j: &Json) -> Key {
        match j {
            Json::String(s) => Key::Text(s.clone()),
            j => Key::Text(j.to_string()),
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Number(n) => write!(f, "{n}"),
            Key::Bool(b) => write!(f, "{b}"),
            Key::Text(t) => f.write_str(t),
        }
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Key {
        Key::Text(s.to_string())
    }
}

enum Cell<'v> {
    Absent(&'static str),
    Empty,
    Text(&'v str),
    Json(&'v Json),
}

fn missing(f: &FieldDef, how: &str) -> Result<Option<Value>, RecordError> {
    if f.optional {
        Ok(None)
    } else {
        Err(RecordError::Missing {
            field: f.name.clone(),
            how: how.to_string(),
        })
    }
}

fn invalid(f: &FieldDef, value: String, expected: &'static str) -> RecordError {
    RecordError::Invalid {
        field: f.name.clone(),
        value,
        expected: expected.to_string(),
    }
}

fn empty_set(ty: Type) -> Value {
    if ty == Type::SetInt {
        Value::SetInt(IntSet::default())
    } else {
        Value::SetText(TextSet::default())
    }
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// What a type is called in "… is not an int".
pub fn expected_name(ty: Type) -> &'static str {
    match ty {
        Type::Bool => "a bool",
        Type::Int => "an int",
        Type::Decimal => "a decimal",
        Type::Money => "money (an amount and a currency)",
        Type::Text => "a text",
        Type::Date => "a date (YYYY-MM-DD)",
        Type::Timestamp => "a timestamp (RFC 3339)",
        Type::Duration => "a duration (`45d` or seconds)",
        Type::SetText => "a set of text",
        Type::SetInt => "a set of int",
    }
}

/// `str::trim`, with a fast path for the usual cell: when both ends are
/// printable ASCII there is nothing to trim, and the Unicode scan from both
/// ends is skipped.
#[inline]
pub fn trim_text(text: &str) -> &str {
    let b = text.as_bytes();
    let plain = |c: Option<&u8>| c.is_some_and(|&c| c > b' ' && c < 0x80);
    if plain(b.first()) && plain(b.last()) {
        text
    } else {
        text.trim()
    }
}

/// Parses an exact decimal from text (`12.5`, `-3`, `1e3`).
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = trim_text(text);
    if t.is_empty() || t.starts_with('+') {
        return None;
    }
    Decimal::from_str_exact(t).ok().or_else(|| {
        // `from_scientific` rounds a mantissa of more than 28 digits
        // (`1.00000000000000000000000000001e0`); refuse it instead.
        let (mantissa, _) = t.split_once(['e', 'E'])?;
        Decimal::from_str_exact(mantissa).ok()?;
        Decimal::from_scientific(t).ok()
    })
}

/// Parses an int from text: digits only, optional sign.
pub fn parse_int(text: &str) -> Option<i64> {
    i64::from_str(trim_text(text)).ok()
}

/// Parses a money text: `1250.00 USD`, `USD 1250.00`, or a bare amount
/// when `default` is given.
pub fn parse_money(text: &str, default: Option<Currency>) -> Option<Money> {
    let t = trim_text(text);
    // A bare amount (the usual CSV cell, its currency in a column of its
    // own) has no space in it: no need to split.
    if t.bytes().all(|c| c > b' ' && c < 0x80) {
        return Some(Money {
            amount: parse_decimal(t)?,
            currency: default?,
        });
    }
    let mut parts = t.split_whitespace();
    let (a, b) = (parts.next()?, parts.next());
    if parts.next().is_some() {
        return None;
    }
    match b {
        Some(b) => {
            if let (Some(amount), Some(currency)) = (parse_decimal(a), Currency::parse(b)) {
                Some(Money { amount, currency })
            } else {
                let (amount, currency) = (parse_decimal(b)?, Currency::parse(a)?);
                Some(Money { amount, currency })
            }
        }
        None => Some(Money {
            amount: parse_decimal(a)?,
            currency: default?,
        }),
    }
}

/// Parses a date `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = trim_text(text);
    // The canonical form, without chrono's format interpreter (a hot path
    // for deals and events); anything else goes through chrono.
    if let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *text.as_bytes() {
        let digits = [y1, y2, y3, y4, m1, m2, d1, d2];
        if digits.iter().all(u8::is_ascii_digit) {
            let n = |ds: &[u8]| ds.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
            let year = i32::try_from(n(&[y1, y2, y3, y4])).ok()?;
            return NaiveDate::from_ymd_opt(year, n(&[m1, m2]), n(&[d1, d2]));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Parses an RFC 3339 timestamp into Unix seconds.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp())
}

fn parse_bool(text: &str) -> Option<bool> {
    match trim_text(text) {
        "true" | "TRUE" | "True" => Some(true),
        "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Converts a text (a CSV cell, a JSON string) to a value of `ty`; on
/// failure returns what was expected.
pub fn convert_text(ty: Type, t: &str, currency: Option<Currency>) -> Result<Value, &'static str> {
    let fail = || expected_name(ty);
    Ok(match ty {
        Type::Bool => Value::Bool(parse_bool(t).ok_or_else(fail)?),
        Type::Int => Value::Int(parse_int(t).ok_or_else(fail)?),
        Type::Decimal => Value::Decimal(parse_decimal(t).ok_or_else(fail)?),
        Type::Money => Value::Money(parse_money(t, currency).ok_or_else(fail)?),
        Type::Text => Value::Text(t.into()),
        Type::Date => Value::Date(parse_date(t).ok_or_else(fail)?),
        Type::Timestamp => Value::Timestamp(parse_timestamp(t).ok_or_else(fail)?),
        Type::Duration => Value::Duration(match parse_int(t) {
            Some(s) => s,
            None => parse_duration(t.trim()).ok_or_else(fail)?.seconds,
        }),
        Type::SetText => Value::SetText(TextSet::new(
            t.split(';').map(str::trim).filter(|s| !s.is_empty()),
        )),
        Type::SetInt => {
            let mut v = Vec::new();
            for p in t.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                v.push(parse_int(p).ok_or_else(fail)?);
            }
            Value::SetInt(IntSet::new(v))
        }
    })
}

/// Converts a JSON value to a value of `ty`; on failure returns what was
/// expected. JSON numbers are read from their exact text.
pub fn convert_json(ty: Type, v: &Json, currency: Option<Currency>) -> Result<Value, &'static str> {
    let fail = || expected_name(ty);
    match (ty, v) {
        (_, Json::String(s)) if ty.element().is_none() => convert_text(ty, s, currency),
        // With serde_json's arbitrary_precision, a number keeps its text.
        (
            Type::Int | Type::Decimal | Type::Money | Type::Duration | Type::Text,
            Json::Number(n),
        ) => convert_text(ty, &n.to_string(), currency),
        (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Money, Json::Object(o)) => {
            let amount = match o.get("amount") {
                Some(Json::String(s)) => parse_decimal(s),
                Some(Json::Number(n)) => parse_decimal(&n.to_string()),
                _ => None,
            }
            .ok_or_else(fail)?;
            // The object form names its currency (LANGUAGE §3): the
            // header's default is for a bare amount only.
            let currency = match o.get("currency") {
                Some(Json::String(c)) => Currency::parse(c),
                _ => None,
            }
            .ok_or_else(fail)?;
            Ok(Value::Money(Money { amount, currency }))
        }
        (Type::SetText, Json::Array(items)) => {
            let mut v = Vec::with_capacity(items.len());
            for i in items {
                match i {
                    Json::String(s) => v.push(s.as_str()),
                    _ => return Err(fail()),
                }
            }
            Ok(Value::SetText(TextSet::new(v)))
        }
        (Type::SetInt, Json::Array(items)) => {
            let mut v = Vec::with_capacity(items.len());
            for i in items {
                let n = match i {
                    Json::Number(n) => parse_int(&n.to_string()),
                    Json::String(s) => parse_int(s),
                    _ => None,
                };
                v.push(n.ok_or_else(fail)?);
            }
            Ok(Value::SetInt(IntSet::new(v)))
        }
        (Type::SetText | Type::SetInt, Json::String(s)) => convert_text(ty, s, currency),
        _ => Err(fail()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    proptest! {
        #[test]
        fn trim_text_is_trim(s in "[ \t\u{a0}\u{2003}\u{85}a-c0-9.é-]{0,8}") {
            prop_assert_eq!(trim_text(&s), s.trim());
        }
    }

    #[test]
    fn money_cells_parse_with_and_without_a_currency() {
        let usd = Currency::parse("USD");
        let eur = Currency::parse("EUR").unwrap();
        let m = |t: &str, d| parse_money(t, d).map(|m| (m.amount.to_string(), m.currency));
        assert_eq!(m("5126.00", usd), Some(("5126.00".into(), usd.unwrap())));
        assert_eq!(
            m(" 5126.00\u{a0}", usd),
            Some(("5126.00".into(), usd.unwrap()))
        );
        assert_eq!(m("5126.00", None), None);
        assert_eq!(m("12.5 EUR", usd), Some(("12.5".into(), eur)));
        assert_eq!(m("EUR 12.5", None), Some(("12.5".into(), eur)));
        assert_eq!(m("12.5EUR", usd), None);
        assert_eq!(m("EUR", usd), None);
        assert_eq!(m("1 2 EUR", usd), None);
        assert_eq!(m("", usd), None);
        assert_eq!(m("+5", usd), None);
    }

    fn schema() -> Schema {
        let f = |n: &str, ty, optional| FieldDef {
            name: n.into(),
            ty,
            optional,
        };
        Schema::new(
            "lead",
            vec![
                f("id", Type::Text, false),
                f("budget", Type::Money, true),
                f("ratio", Type::Decimal, true),
                f("wants", Type::SetText, false),
                f("wait", Type::Duration, true),
            ],
            Some("id"),
            Some(Currency::parse("EUR").unwrap()),
        )
    }

    #[test]
    fn json_numbers_are_exact() {
        let r = schema()
            .from_json(&json!({"id": "a", "ratio": 0.1, "wants": []}))
            .unwrap();
        assert_eq!(r.values[2], Some(Value::Decimal(Decimal::new(1, 1))));
        let big: Json =
            serde_json::from_str(r#"{"id":"a","ratio":0.30000000000000000000001,"wants":[]}"#)
                .unwrap();
        let r = schema().from_json(&big).unwrap();
        assert_eq!(
            r.values[2],
            Some(Value::Decimal(
                Decimal::from_str_exact("0.30000000000000000000001").unwrap()
            ))
        );
    }

    #[test]
    fn money_in_three_forms() {
        let s = schema();
        for budget in [
            json!("20000 EUR"),
            json!({"amount": "20000", "currency": "EUR"}),
            json!(20000),
        ] {
            let r = s
                .from_json(&json!({"id": "a", "budget": budget, "wants": []}))
                .unwrap();
            assert_eq!(
                r.values[1],
                Some(Value::Money(Money {
                    amount: Decimal::from(20000),
                    currency: Currency::parse("EUR").unwrap()
                }))
            );
        }
        // The object form names its currency, even under a default one.
        let e = s
            .from_json(&json!({"id": "a", "budget": {"amount": "5"}, "wants": []}))
            .unwrap_err();
        assert!(e.to_string().contains("budget"), "{e}");
    }

    #[test]
    fn csv_empty_cells() {
        let s = schema();
        let r = s
            .from_csv(&["id", "budget", "wants"], &["a", "", ""])
            .unwrap();
        assert_eq!(r.values[1], None);
        assert_eq!(r.values[3], Some(Value::SetText(TextSet::default())));
        let e = s.from_csv(&["id", "wants"], &["", "x"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `id` is required but the cell is empty"
        );
    }

    #[test]
    fn bad_values_name_the_field() {
        let e = schema()
            .from_json(&json!({"id": "a", "wants": [], "wait": "soon"}))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `wait`: \"soon\" is not a duration (`45d` or seconds)"
        );
        let r = schema()
            .from_json(&json!({"id": "a", "wants": [], "wait": 7776000}))
            .unwrap();
        assert_eq!(r.values[4], Some(Value::Duration(7_776_000)));
    }
}
