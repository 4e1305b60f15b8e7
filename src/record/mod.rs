//! Records: a declared schema, and conversion of input values (JSON or CSV
//! text) into typed slots. Decimals and money are read exactly from their
//! text; no binary floating point is involved anywhere.

mod builder;
mod cells;
mod convert;
mod key;
mod names;

use crate::json::{Json, Node, View};
use serde::Serialize;

pub use builder::{Field, RecordBuilder};
pub use cells::InputCell;
use convert::shown_json;
pub(crate) use convert::{
    convert_json, convert_text, expected_name, parse_date, parse_decimal, parse_timestamp,
    trim_text,
};
pub use key::Key;

use crate::value::{clip, Currency, IntSet, TextSet, Type, Value};

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
///
/// A schema has a fingerprint of its name, fields (names, types, order,
/// optionality), key and default currency: a [`Record`] carries the
/// fingerprint of the schema that built it, and evaluation refuses a record
/// built for another shape ([`crate::EvalError::WrongRecord`]) instead of
/// reading its slots with the wrong meaning.
#[derive(Debug, Clone)]
pub struct Schema {
    pub(crate) name: String,
    pub(crate) key: Option<u16>,
    pub(crate) fields: Vec<FieldDef>,
    pub(crate) default_currency: Option<Currency>,
    index: names::NameIndex,
    fingerprint: u64,
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
        /// The value as given, cut to its first 200 characters and `…`
        /// when longer.
        value: String,
        /// What was expected ("an int").
        expected: String,
    },
    /// The input is not an object / row at all.
    #[error("{message}")]
    Malformed {
        /// What is wrong.
        message: String,
    },
    /// A record built by a schema of another shape (other fields, types
    /// or order) than the one it is used with.
    #[error("the record was built for another record type")]
    WrongRecordType,
    /// Several problems in one record.
    #[error("{}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several {
        /// Each problem, in field order.
        errors: Vec<RecordError>,
    },
}

impl RecordError {
    /// A stable code for services that match on it (the `kind` of the
    /// serialized error).
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::Missing { .. } => "missing",
            RecordError::Invalid { .. } => "invalid",
            RecordError::Malformed { .. } => "malformed",
            RecordError::WrongRecordType => "wrong_record_type",
            RecordError::Several { .. } => "several",
        }
    }
}

/// A record converted by its schema: one optional value per slot, and the
/// fingerprint of that schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Values by slot; `None` is absent (unknown).
    pub(crate) values: Vec<Option<Value>>,
    pub(crate) schema: u64,
}

impl Record {
    /// The values by slot (`None`: absent); a slot is
    /// [`Schema::slot`] of a field name.
    pub fn values(&self) -> &[Option<Value>] {
        &self.values
    }

    /// The value of one field, by name, under the schema that built the
    /// record (`None` when absent, or when `schema` did not build it).
    pub fn get(&self, schema: &Schema, name: &str) -> Option<&Value> {
        if self.schema != schema.fingerprint {
            return None;
        }
        self.values.get(usize::from(schema.slot(name)?))?.as_ref()
    }

    /// Whether `schema` (or one of the same shape) built this record.
    pub fn is_of(&self, schema: &Schema) -> bool {
        self.schema == schema.fingerprint
    }
}

/// Many records of one schema stored contiguously, slot after slot: the
/// layout to use when one process evaluates many prepared records (no
/// pointer chasing from record to record).
///
/// ```
/// use baton::{FieldDef, RecordBatch, Schema, Type};
/// let s = Schema::new("r", vec![FieldDef { name: "n".into(), ty: Type::Int, optional: false }], None, None);
/// let mut batch = RecordBatch::new(&s);
/// batch.push(s.from_texts(|_| Some("7")).unwrap()).unwrap();
/// assert_eq!(batch.len(), 1);
/// assert_eq!(batch.iter().next().map(|slots| slots.len()), Some(1));
/// ```
#[derive(Debug, Clone, Default)]
pub struct RecordBatch {
    width: usize,
    slots: Vec<Option<Value>>,
    schema: u64,
}

impl RecordBatch {
    /// An empty batch for records of `schema`.
    pub fn new(schema: &Schema) -> RecordBatch {
        RecordBatch {
            width: schema.fields.len(),
            slots: Vec::new(),
            schema: schema.fingerprint,
        }
    }

    /// Whether `schema` (or one of the same shape) built these records.
    pub fn is_of(&self, schema: &Schema) -> bool {
        self.schema == schema.fingerprint
    }

    /// Appends a record (its slots are moved in). A record built by a
    /// schema of another shape is refused.
    pub fn push(&mut self, r: Record) -> Result<(), RecordError> {
        if r.schema != self.schema {
            return Err(RecordError::WrongRecordType);
        }
        let mut values = r.values;
        values.resize(self.width, None);
        self.slots.extend(values);
        Ok(())
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.slots.len().checked_div(self.width).unwrap_or(0)
    }

    /// No records.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Each record's values by slot, in order.
    pub fn iter(&self) -> std::slice::ChunksExact<'_, Option<Value>> {
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
        let index = names::NameIndex::new(fields.iter().map(|f| f.name.as_str()));
        let name_of = |s: u16| fields.get(usize::from(s)).map_or("", |f| f.name.as_str());
        let key = key.and_then(|k| index.get(k, name_of));
        let fingerprint = fingerprint(name, &fields, key, default_currency);
        Schema {
            name: name.to_string(),
            key,
            fields,
            default_currency,
            index,
            fingerprint,
        }
    }

    /// A record of this schema from values by slot (the caller vouches
    /// for their types: the checker or a converter made them).
    pub(crate) fn record(&self, values: Vec<Option<Value>>) -> Record {
        Record {
            values,
            schema: self.fingerprint,
        }
    }

    /// The record type's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The fields, by slot.
    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    /// The key field's slot.
    pub fn key(&self) -> Option<u16> {
        self.key
    }

    /// The currency of bare amounts (the policy's `currency` option).
    pub fn default_currency(&self) -> Option<Currency> {
        self.default_currency
    }

    /// The slot of a field.
    #[inline]
    pub fn slot(&self, name: &str) -> Option<u16> {
        self.index.get(name, |s| {
            self.fields
                .get(usize::from(s))
                .map_or("", |f| f.name.as_str())
        })
    }

    /// The field in a slot.
    pub fn field(&self, slot: u16) -> Option<&FieldDef> {
        self.fields.get(usize::from(slot))
    }

    /// Converts a JSON object. Fields not declared are ignored.
    ///
    /// ```
    /// use baton::{FieldDef, Schema, Type, Value};
    /// let s = Schema::new("r", vec![FieldDef { name: "x".into(), ty: Type::Decimal, optional: false }], None, None);
    /// let r = s.from_json(&serde_json::json!({"x": "0.1"})).unwrap();
    /// assert_eq!(r.get(&s, "x"), Some(&Value::Decimal("0.1".parse().unwrap())));
    /// ```
    ///
    /// A number of a `serde_json::Value` is read by its text: exact for an
    /// integer, and for any number when the build enables serde_json's
    /// `arbitrary_precision`; otherwise the shortest text of the binary
    /// float serde_json parsed it into (`0.1` is still `0.1`, but digits
    /// beyond a float's 17 are gone). [`Schema::from_json_str`] reads every
    /// number exactly from its digits.
    pub fn from_json(&self, v: &serde_json::Value) -> Result<Record, RecordError> {
        self.json_record(v)
    }

    /// Converts a JSON object of either tree (numbers by their text).
    pub(crate) fn json_record<J: Node>(&self, v: &J) -> Result<Record, RecordError> {
        if !matches!(v.view(), View::Object) {
            return Err(RecordError::Malformed {
                message: format!("expected a JSON object, found {}", json_kind(v)),
            });
        }
        // The members are walked once, each matched to its slot: cheaper
        // than looking every field up in the object.
        // Up to 32 fields, the cells live on the stack.
        let n = self.fields.len();
        let mut small: [Option<&J>; 32] = [None; 32];
        let mut big: Vec<Option<&J>> = Vec::new();
        let cells: &mut [Option<&J>] = match small.get_mut(..n) {
            Some(cells) => cells,
            None => {
                big.resize(n, None);
                &mut big
            }
        };
        v.for_each_member(|key, member| {
            if let Some(cell) = self.slot(key).and_then(|s| cells.get_mut(usize::from(s))) {
                *cell = Some(member);
            }
        });
        let mut cells = cells.iter().copied();
        self.build(|_| match cells.next().flatten() {
            None => Cell::Absent("absent"),
            Some(m) if m.is_null() => Cell::Absent("null"),
            Some(m) => Cell::Json(m),
        })
    }

    /// Converts one JSON text straight into the record, without building a
    /// JSON object first: only the schema's fields are kept, unknown keys
    /// are skipped. `None` when the text is anything but a clean record (not
    /// an object, a repeated or escaped key, a field that does not convert,
    /// a required field absent): the caller then takes [`Schema::from_json`],
    /// which says what is wrong. A record it returns is exactly the one
    /// [`Schema::from_json`] returns.
    pub(crate) fn clean_record(&self, text: &str) -> Option<Record> {
        let cells = Json::object_fields(text, self.fields.len(), |key| {
            self.slot(key).map(usize::from)
        })?;
        let mut cells = cells.iter();
        self.build(|_| match cells.next() {
            Some(Some(Json::Null)) => Cell::Absent("null"),
            Some(Some(v)) => Cell::Json(v),
            _ => Cell::Absent("absent"),
        })
        .ok()
    }

    /// Converts one JSON object given as text, its numbers read exactly
    /// from their digits. A clean record is converted straight from the
    /// text, skipping undeclared keys; anything else is parsed whole and
    /// the error names every bad field, as [`Schema::from_json`] does.
    ///
    /// ```
    /// use baton::{FieldDef, Schema, Type, Value};
    /// let s = Schema::new("r", vec![FieldDef { name: "x".into(), ty: Type::Decimal, optional: false }], None, None);
    /// let r = s.from_json_str(r#"{"x": 0.1, "other": [1, 2]}"#).unwrap();
    /// assert_eq!(r.get(&s, "x"), Some(&Value::Decimal("0.1".parse().unwrap())));
    /// assert!(s.from_json_str(r#"{"x": "ten"}"#).is_err());
    /// assert!(s.from_json_str("[1]").is_err());
    /// ```
    pub fn from_json_str(&self, text: &str) -> Result<Record, RecordError> {
        if let Some(r) = self.clean_record(text) {
            return Ok(r);
        }
        let v = Json::parse(text).map_err(|e| RecordError::Malformed {
            message: format!("not valid JSON: {e}"),
        })?;
        self.json_record(&v)
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
                None => Cell::<Json>::Absent("absent"),
                Some(t) if t.trim().is_empty() => Cell::Empty,
                Some(t) => Cell::Text(t),
            }
        })
    }

    /// Builds a record field by field from text values (`None` = absent).
    ///
    /// ```
    /// use baton::{FieldDef, Schema, Type};
    /// let s = Schema::new("r", vec![FieldDef { name: "n".into(), ty: Type::Int, optional: true }], None, None);
    /// assert!(s.from_texts(|_| Some("42")).is_ok());
    /// assert!(s.from_texts(|_| Some("many")).is_err());
    /// ```
    pub fn from_texts<'t>(
        &self,
        mut get: impl FnMut(&FieldDef) -> Option<&'t str>,
    ) -> Result<Record, RecordError> {
        self.build(|f| match get(f) {
            None => Cell::<Json>::Absent("absent"),
            Some(t) => Cell::Text(t),
        })
    }

    fn build<'v, J: Node + 'v>(
        &self,
        mut cell: impl FnMut(&FieldDef) -> Cell<'v, J>,
    ) -> Result<Record, RecordError> {
        let mut values = Vec::with_capacity(self.fields.len());
        let mut errors = Vec::new();
        for f in &self.fields {
            let c = cell(f);
            // Each arm pushes its value where it was made, and the error is
            // built apart: moving values through a `Result<Option<Value>, _>`
            // re-encodes them, which costs more than the conversion.
            let failed = match c {
                Cell::Absent(_) | Cell::Empty if f.optional => {
                    values.push(None);
                    None
                }
                Cell::Empty if f.ty.element().is_some() => {
                    values.push(Some(empty_set(f.ty)));
                    None
                }
                Cell::Absent(_) | Cell::Empty => Some(""),
                Cell::Text(t) => match convert_text(f.ty, t, self.default_currency) {
                    Ok(v) => {
                        values.push(Some(v));
                        None
                    }
                    Err(expected) => Some(expected),
                },
                Cell::Json(j) => match convert_json(f.ty, j, self.default_currency) {
                    Ok(v) => {
                        values.push(Some(v));
                        None
                    }
                    Err(expected) => Some(expected),
                },
            };
            if let Some(expected) = failed {
                errors.push(cell_error(f, c, expected));
                values.push(None);
            }
        }
        match errors.len() {
            0 => Ok(Record {
                values,
                schema: self.fingerprint,
            }),
            1 => Err(errors.remove(0)),
            _ => Err(RecordError::Several { errors }),
        }
    }

    /// The key of a record.
    pub(crate) fn key_of(&self, r: &Record) -> Option<Key> {
        let v = r.values.get(usize::from(self.key?))?.as_ref()?;
        Some(Key::of(v))
    }

    /// The key of an input that failed to convert, read as leniently as
    /// possible so the error line can still name it: the key field's value
    /// when it converts, else the input as given.
    pub(crate) fn raw_key_json(&self, v: &Json) -> Option<Key> {
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
    pub(crate) fn raw_key_text(&self, cell: &str) -> Option<Key> {
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

enum Cell<'v, J> {
    Absent(&'static str),
    Empty,
    Text(&'v str),
    Json(&'v J),
}

/// Why a cell did not convert: `expected` is the converter's word for the
/// type it wanted.
#[cold]
fn cell_error<J: Node>(f: &FieldDef, c: Cell<'_, J>, expected: &'static str) -> RecordError {
    let field = f.name.clone();
    let (value, how) = match c {
        Cell::Absent(how) => (None, how),
        Cell::Empty => (None, "the cell is empty"),
        Cell::Text(t) => (Some(format!("{:?}", clip(t))), ""),
        Cell::Json(j) => (Some(shown_json(j)), ""),
    };
    match value {
        None => RecordError::Missing {
            field,
            how: how.to_string(),
        },
        Some(value) => RecordError::Invalid {
            field,
            value,
            expected: expected.to_string(),
        },
    }
}

fn empty_set(ty: Type) -> Value {
    if ty == Type::SetInt {
        Value::SetInt(IntSet::default())
    } else {
        Value::SetText(TextSet::default())
    }
}

fn json_kind<J: Node>(v: &J) -> &'static str {
    match v.view() {
        View::Null => "null",
        View::Bool(_) => "a boolean",
        View::Number(_) => "a number",
        View::String(_) => "a string",
        View::Array(_) => "an array",
        View::Object => "an object",
    }
}

impl Value {
    /// Converts a text to a value of `ty` as an input cell is converted
    /// (LANGUAGE.md §3): decimals and money exactly from their text (`12.5`,
    /// `1e3`, `1250.00 USD`, a bare amount in `default_currency`), dates,
    /// RFC 3339 timestamps, duration literals or seconds, `;`-separated
    /// sets. On failure, what was expected (`"a decimal"`).
    ///
    /// ```
    /// use baton::{Currency, Decimal, Money, Type, Value};
    /// let usd = Currency::parse("USD").unwrap();
    /// let tenth = Decimal::new(1, 1);
    /// assert_eq!(Value::from_text(Type::Decimal, "0.1", None), Ok(Value::Decimal(tenth)));
    /// let m = Money { amount: Decimal::new(1250, 2), currency: usd };
    /// assert_eq!(Value::from_text(Type::Money, "12.50", Some(usd)), Ok(Value::Money(m)));
    /// assert_eq!(Value::from_text(Type::Int, "many", None), Err("an int"));
    /// ```
    pub fn from_text(
        ty: Type,
        text: &str,
        default_currency: Option<Currency>,
    ) -> Result<Value, &'static str> {
        convert_text(ty, text, default_currency)
    }
}

/// FNV-1a over everything that gives a slot its meaning.
fn fingerprint(name: &str, fields: &[FieldDef], key: Option<u16>, cur: Option<Currency>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    eat(name.as_bytes());
    for f in fields {
        eat(f.name.as_bytes());
        eat(f.ty.name().as_bytes());
        eat(&[u8::from(f.optional)]);
    }
    eat(&key.unwrap_or(u16::MAX).to_le_bytes());
    eat(cur.as_ref().map_or("", |c| c.as_str()).as_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::eval::EvalError;
    use crate::value::Money;
    use rust_decimal::Decimal;
    use serde_json::json;

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

    /// The straight conversion declines (so the general path, which says
    /// what is wrong, decides) everything but a clean record.
    #[test]
    fn clean_record_declines_what_it_cannot_vouch_for() {
        let s = schema();
        let clean = r#"{"id": "x", "ratio": 0.1, "wants": [], "extra": {"nested": [1, 2]}}"#;
        assert!(s.clean_record(clean).is_some());
        for declined in [
            r#"{"id": "x", "id": "y", "wants": []}"#,
            r#"{"\u0069d": "x", "wants": []}"#,
            r#"{"id": "x", "ratio": "ten", "wants": []}"#,
            r#"{"id": "x"}"#,
            r#"[1, 2]"#,
            r#"{"id": "x", "wants": []} trailing"#,
            "",
        ] {
            assert!(s.clean_record(declined).is_none(), "{declined}");
        }
    }

    /// The stable codes are the serialized `kind`s, so a service reading
    /// either sees the same word.
    #[test]
    fn error_codes_are_the_serialized_kinds() {
        let missing = RecordError::Missing {
            field: "a".into(),
            how: "absent".into(),
        };
        let invalid = RecordError::Invalid {
            field: "a".into(),
            value: "x".into(),
            expected: "an int".into(),
        };
        for e in [
            missing.clone(),
            invalid,
            RecordError::Malformed {
                message: "m".into(),
            },
            RecordError::WrongRecordType,
            RecordError::Several {
                errors: vec![missing],
            },
        ] {
            let v = serde_json::to_value(&e).unwrap();
            assert_eq!(v["kind"], e.code(), "{e:?}");
        }
        for e in [
            EvalError::DivisionByZero("d".into()),
            EvalError::Overflow("o".into()),
            EvalError::CurrencyMismatch("c".into()),
            EvalError::Invalid("i".into()),
            EvalError::WrongRecord("w".into()),
            EvalError::NoBlock("qualify".into()),
        ] {
            let v = serde_json::to_value(&e).unwrap();
            assert_eq!(v["kind"], e.code(), "{e:?}");
        }
    }

    #[test]
    fn json_numbers_are_exact() {
        let r = schema()
            .from_json(&json!({"id": "a", "ratio": 0.1, "wants": []}))
            .unwrap();
        assert_eq!(r.values[2], Some(Value::Decimal(Decimal::new(1, 1))));
        let big = r#"{"id":"a","ratio":0.30000000000000000000001,"wants":[]}"#;
        let r = schema().from_json_str(big).unwrap();
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
