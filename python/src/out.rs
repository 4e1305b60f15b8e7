//! Result tables: typed Arrow columns built row by row. Every type is
//! fixed by the policy, never by the data, so that a Spark job can declare
//! the schema before it sees a row:
//!
//! - money (`amount`, `base`, the summary's sums): `decimal128(38, 4)`,
//!   4 being the largest ISO 4217 minor unit, so every currency's amounts
//!   are exact (the `currency` column says how many places are its own);
//! - a health `score`: `decimal128(38, 2)`; a ledger `rate`:
//!   `decimal128(38, 6)` (the shown rate, CLI.md);
//! - any other decimal (scores, measures): `decimal128(38, 18)`. A value
//!   that does not fit it exactly (more than 18 places, or more than 20
//!   digits before the point) is never rounded: its row becomes an error
//!   row saying so;
//! - timestamps `timestamp[s, tz=UTC]`, sets and lists `list<string>`.

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Decimal128Builder, Int64Builder, ListBuilder, StringBuilder,
    StructBuilder, TimestampSecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use baton::{AlertOut, Decimal};

/// Scale of money columns: the largest ISO 4217 minor unit.
pub const MONEY: u32 = 4;
/// Scale of other decimal columns.
pub const DECIMAL: u32 = 18;
/// Scale of a health score.
pub const SCORE: u32 = 2;
/// Scale of a ledger's shown rate.
pub const RATE: u32 = 6;

/// A column's type.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Text,
    Int,
    Bool,
    Dec(u32),
    Ts,
    Texts,
    Alerts,
}

/// One cell of a result row.
pub enum V<'a> {
    Null,
    Text(&'a str),
    Int(i64),
    Bool(bool),
    /// Unscaled at the column's scale (see [`fit`]).
    Dec(i128),
    Ts(i64),
    Texts(&'a [String]),
    Alerts(&'a [AlertOut]),
}

/// `d` unscaled at `scale`, when it fits `decimal128(38, scale)` exactly.
pub fn fit(d: Decimal, scale: u32) -> Option<i128> {
    let d = if d.scale() > scale { d.normalize() } else { d };
    if d.scale() > scale {
        return None;
    }
    let v = d
        .mantissa()
        .checked_mul(10i128.checked_pow(scale - d.scale())?)?;
    (v.unsigned_abs() < 10u128.pow(38)).then_some(v)
}

/// Why a decimal does not fit its column.
pub fn unfit(column: &str, d: Decimal, scale: u32) -> String {
    format!(
        "`{column}` = {d} does not fit decimal128(38, {scale}) exactly; \
         it is not rounded (round it in the policy, or use the CLI, which prints every digit)"
    )
}

fn utc() -> Option<Arc<str>> {
    Some("UTC".into())
}

fn alert_fields() -> Fields {
    Fields::from(vec![
        Field::new("kind", DataType::Utf8, false),
        Field::new("goal", DataType::Utf8, true),
        Field::new("to", DataType::Utf8, false),
        Field::new("at", DataType::Timestamp(TimeUnit::Second, utc()), false),
    ])
}

impl Kind {
    fn data_type(self) -> DataType {
        match self {
            Kind::Text => DataType::Utf8,
            Kind::Int => DataType::Int64,
            Kind::Bool => DataType::Boolean,
            Kind::Dec(s) => DataType::Decimal128(38, s as i8),
            Kind::Ts => DataType::Timestamp(TimeUnit::Second, utc()),
            Kind::Texts => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            Kind::Alerts => DataType::List(Arc::new(Field::new(
                "item",
                DataType::Struct(alert_fields()),
                true,
            ))),
        }
    }

    fn builder(self, rows: usize) -> Col {
        match self {
            Kind::Text => Col::Text(StringBuilder::with_capacity(rows, rows * 8)),
            Kind::Int => Col::Int(Int64Builder::with_capacity(rows)),
            Kind::Bool => Col::Bool(BooleanBuilder::with_capacity(rows)),
            Kind::Dec(s) => Col::Dec(
                Decimal128Builder::with_capacity(rows)
                    .with_precision_and_scale(38, s as i8)
                    .unwrap_or_default(),
            ),
            Kind::Ts => Col::Ts(TimestampSecondBuilder::with_capacity(rows).with_timezone("UTC")),
            Kind::Texts => Col::Texts(ListBuilder::new(StringBuilder::new())),
            Kind::Alerts => Col::Alerts(ListBuilder::new(StructBuilder::from_fields(
                alert_fields(),
                0,
            ))),
        }
    }
}

enum Col {
    Text(StringBuilder),
    Int(Int64Builder),
    Bool(BooleanBuilder),
    Dec(Decimal128Builder),
    Ts(TimestampSecondBuilder),
    Texts(ListBuilder<StringBuilder>),
    Alerts(ListBuilder<StructBuilder>),
}

/// The columns of a result table.
#[derive(Clone)]
pub struct Spec {
    pub schema: SchemaRef,
    kinds: Vec<Kind>,
}

impl Spec {
    pub fn new(columns: Vec<(String, Kind)>) -> Spec {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(name, kind)| Field::new(name, kind.data_type(), true))
            .collect();
        Spec {
            schema: Arc::new(Schema::new(fields)),
            kinds: columns.into_iter().map(|(_, k)| k).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.schema.index_of(name).ok()
    }

    pub fn builder(&self, rows: usize) -> Table {
        Table {
            schema: self.schema.clone(),
            cols: self.kinds.iter().map(|k| k.builder(rows)).collect(),
        }
    }
}

/// A result table being built.
pub struct Table {
    schema: SchemaRef,
    cols: Vec<Col>,
}

impl Table {
    /// Appends a row: one cell per column, in order (a cell of the wrong
    /// kind is null).
    pub fn push(&mut self, row: &[V<'_>]) {
        for (col, v) in self.cols.iter_mut().zip(row) {
            match (col, v) {
                (Col::Text(b), V::Text(t)) => b.append_value(t),
                (Col::Text(b), _) => b.append_null(),
                (Col::Int(b), V::Int(i)) => b.append_value(*i),
                (Col::Int(b), _) => b.append_null(),
                (Col::Bool(b), V::Bool(x)) => b.append_value(*x),
                (Col::Bool(b), _) => b.append_null(),
                (Col::Dec(b), V::Dec(d)) => b.append_value(*d),
                (Col::Dec(b), _) => b.append_null(),
                (Col::Ts(b), V::Ts(t)) => b.append_value(*t),
                (Col::Ts(b), _) => b.append_null(),
                (Col::Texts(b), V::Texts(items)) => {
                    for i in *items {
                        b.values().append_value(i);
                    }
                    b.append(true);
                }
                (Col::Texts(b), _) => b.append(false),
                (Col::Alerts(b), V::Alerts(alerts)) => {
                    let s = b.values();
                    for a in *alerts {
                        append_alert(s, a);
                    }
                    b.append(true);
                }
                (Col::Alerts(b), _) => b.append(false),
            }
        }
    }

    pub fn finish(self) -> Result<RecordBatch, arrow_schema::ArrowError> {
        let arrays: Vec<ArrayRef> = self
            .cols
            .into_iter()
            .map(|c| match c {
                Col::Text(mut b) => ArrayBuilder::finish(&mut b),
                Col::Int(mut b) => ArrayBuilder::finish(&mut b),
                Col::Bool(mut b) => ArrayBuilder::finish(&mut b),
                Col::Dec(mut b) => ArrayBuilder::finish(&mut b),
                Col::Ts(mut b) => ArrayBuilder::finish(&mut b),
                Col::Texts(mut b) => ArrayBuilder::finish(&mut b),
                Col::Alerts(mut b) => ArrayBuilder::finish(&mut b),
            })
            .collect();
        RecordBatch::try_new(self.schema, arrays)
    }
}

fn append_alert(s: &mut StructBuilder, a: &AlertOut) {
    if let Some(b) = s.field_builder::<StringBuilder>(0) {
        b.append_value(a.kind);
    }
    if let Some(b) = s.field_builder::<StringBuilder>(1) {
        b.append_option(a.goal.as_deref());
    }
    if let Some(b) = s.field_builder::<StringBuilder>(2) {
        b.append_value(&a.to);
    }
    if let Some(b) = s.field_builder::<TimestampSecondBuilder>(3) {
        b.append_value(a.at);
    }
    s.append(true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_fit_exactly_or_not_at_all() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(fit(d("-1250.50"), 4), Some(-12_505_000));
        assert_eq!(fit(d("3"), 0), Some(3));
        assert_eq!(fit(d("0.12500"), 3), Some(125));
        assert_eq!(fit(d("0.1234"), 3), None);
        assert_eq!(fit(d("0.3333333333333333333333333333"), 18), None);
        assert_eq!(fit(d("79228162514264337593543950335"), 18), None);
        assert!(fit(d("99999999999999999999"), 18).is_some());
    }
}
