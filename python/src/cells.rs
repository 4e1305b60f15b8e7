//! Arrow cells read as baton reads input: each row as the JSON object it
//! stands for (CLI.md), so that a table converts exactly as the same rows
//! given as JSON lines do, errors included, with one difference: a record
//! field's null or blank cell reads as an empty CSV cell (absent, or the
//! empty set for a required set field), since a table loaded from CSV by
//! pyarrow, Polars or pandas holds its empty cells as nulls.
//!
//! - strings are JSON strings; booleans and integers are JSON booleans and
//!   numbers;
//! - `float64` is the JSON number of its shortest round-trip text (`0.1`
//!   is `0.1`); `float32` likewise, by its own shortest text; NaN and the
//!   infinities are the strings `"NaN"`, `"inf"`, `"-inf"` (not a number
//!   for a numeric field: an error row);
//! - `decimal128`/`decimal256` are their exact decimal text;
//! - `date32`/`date64` are `YYYY-MM-DD`; timestamps are RFC 3339 in UTC
//!   (a timestamp without a time zone is taken as UTC); durations are
//!   whole seconds;
//! - lists are JSON arrays, structs JSON objects;
//! - a null member of a struct, or a null cell of a whole row (deals,
//!   events), is left out of its object: Arrow cannot tell a null member
//!   from an absent one, and a struct column holds every member any row
//!   has (a `note_updated` event's note names only what it changes).

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrowPrimitiveType, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use baton::{FieldDef, InputCell, Key, Schema};
use serde_json::{Map, Number, Value as Json};

/// Whether baton reads cells of this Arrow type.
pub fn readable(dt: &DataType) -> bool {
    match dt {
        DataType::Null
        | DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float32
        | DataType::Float64
        | DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Decimal128(..)
        | DataType::Decimal256(..)
        | DataType::Date32
        | DataType::Date64
        | DataType::Timestamp(..)
        | DataType::Duration(..) => true,
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            readable(f.data_type())
        }
        DataType::Struct(fields) => fields.iter().all(|f| readable(f.data_type())),
        _ => false,
    }
}

/// The columns of `schema` that baton cannot read, as `name (type)`.
pub fn unreadable<'a>(
    schema: &'a arrow_schema::Schema,
    wanted: impl Fn(&str) -> bool + 'a,
) -> impl Iterator<Item = String> + 'a {
    schema
        .fields()
        .iter()
        .filter(move |f| wanted(f.name()) && !readable(f.data_type()))
        .map(|f| format!("`{}` ({})", f.name(), f.data_type()))
}

/// A cell as baton reads it: a string borrowed from its array, or the JSON
/// value of anything else.
pub enum Cell<'a> {
    Absent,
    Null,
    Text(&'a str),
    Json(Json),
}

/// The cell at `row` of `column` (`None`: the table has no such column).
pub fn cell(column: Option<&dyn Array>, row: usize) -> Cell<'_> {
    let Some(a) = column else {
        return Cell::Absent;
    };
    if a.is_null(row) {
        return Cell::Null;
    }
    match a.data_type() {
        DataType::Utf8 => Cell::Text(a.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => Cell::Text(a.as_string::<i64>().value(row)),
        DataType::Utf8View => Cell::Text(a.as_string_view().value(row)),
        _ => match json(a, row) {
            Json::Null => Cell::Null,
            j => Cell::Json(j),
        },
    }
}

fn int<T: ArrowPrimitiveType>(a: &dyn Array, row: usize) -> Json
where
    T::Native: Into<Number>,
{
    Json::Number(a.as_primitive::<T>().value(row).into())
}

/// The JSON value a cell stands for.
pub fn json(a: &dyn Array, row: usize) -> Json {
    if a.is_null(row) {
        return Json::Null;
    }
    match a.data_type() {
        DataType::Null => Json::Null,
        DataType::Boolean => Json::Bool(a.as_boolean().value(row)),
        DataType::Int8 => int::<Int8Type>(a, row),
        DataType::Int16 => int::<Int16Type>(a, row),
        DataType::Int32 => int::<Int32Type>(a, row),
        DataType::Int64 => int::<Int64Type>(a, row),
        DataType::UInt8 => int::<UInt8Type>(a, row),
        DataType::UInt16 => int::<UInt16Type>(a, row),
        DataType::UInt32 => int::<UInt32Type>(a, row),
        DataType::UInt64 => int::<UInt64Type>(a, row),
        DataType::Float64 => float(a.as_primitive::<Float64Type>().value(row)),
        DataType::Float32 => {
            let v = a.as_primitive::<Float32Type>().value(row);
            if v.is_finite() {
                // Its own shortest text: widened to f64 first, 0.1 would
                // read 0.10000000149011612.
                Json::String(v.to_string())
            } else {
                float(f64::from(v))
            }
        }
        DataType::Utf8 => Json::String(a.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Json::String(a.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Json::String(a.as_string_view().value(row).to_string()),
        DataType::Decimal128(_, scale) => Json::String(decimal_text(
            &a.as_primitive::<Decimal128Type>().value(row).to_string(),
            *scale,
        )),
        DataType::Decimal256(_, scale) => Json::String(decimal_text(
            &a.as_primitive::<Decimal256Type>().value(row).to_string(),
            *scale,
        )),
        DataType::Date32 => date(i64::from(a.as_primitive::<Date32Type>().value(row))),
        DataType::Date64 => date(
            a.as_primitive::<Date64Type>()
                .value(row)
                .div_euclid(86_400_000),
        ),
        DataType::Timestamp(unit, _) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(row),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(row),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(row),
            };
            timestamp(v, *unit)
        }
        DataType::Duration(unit) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<DurationSecondType>().value(row),
                TimeUnit::Millisecond => a.as_primitive::<DurationMillisecondType>().value(row),
                TimeUnit::Microsecond => a.as_primitive::<DurationMicrosecondType>().value(row),
                TimeUnit::Nanosecond => a.as_primitive::<DurationNanosecondType>().value(row),
            };
            let per = per_second(*unit);
            if v % per == 0 {
                Json::Number((v / per).into())
            } else {
                // Not whole seconds: an error row for a duration field.
                Json::String(format!("{}s", decimal_text(&v.to_string(), scale_of(per))))
            }
        }
        DataType::List(_) => list(&a.as_list::<i32>().value(row)),
        DataType::LargeList(_) => list(&a.as_list::<i64>().value(row)),
        DataType::FixedSizeList(..) => list(&a.as_fixed_size_list().value(row)),
        DataType::Struct(_) => {
            let s = a.as_struct();
            let mut m = Map::new();
            for (name, column) in s.column_names().iter().zip(s.columns()) {
                if !column.is_null(row) {
                    m.insert((*name).to_string(), json(column, row));
                }
            }
            Json::Object(m)
        }
        // Refused before any row is read (`readable`).
        _ => Json::Null,
    }
}

fn list(values: &dyn Array) -> Json {
    Json::Array((0..values.len()).map(|i| json(values, i)).collect())
}

fn float(v: f64) -> Json {
    match Number::from_f64(v) {
        Some(n) => Json::Number(n),
        None if v.is_nan() => Json::String("NaN".into()),
        None if v > 0.0 => Json::String("inf".into()),
        None => Json::String("-inf".into()),
    }
}

fn date(days: i64) -> Json {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    match chrono::Days::new(days.unsigned_abs()) {
        d if days >= 0 => epoch.checked_add_days(d),
        d => epoch.checked_sub_days(d),
    }
    .map_or(Json::String(format!("{days} days after 1970-01-01")), |d| {
        Json::String(d.format("%Y-%m-%d").to_string())
    })
}

fn per_second(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    }
}

fn scale_of(per: i64) -> i8 {
    match per {
        1_000 => 3,
        1_000_000 => 6,
        1_000_000_000 => 9,
        _ => 0,
    }
}

fn timestamp(v: i64, unit: TimeUnit) -> Json {
    let per = per_second(unit);
    let (secs, frac) = (v.div_euclid(per), v.rem_euclid(per));
    let nanos = u32::try_from(frac * (1_000_000_000 / per)).unwrap_or(0);
    match chrono::DateTime::from_timestamp(secs, nanos) {
        Some(t) => Json::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        None => Json::String(format!("{secs} seconds after 1970-01-01T00:00:00Z")),
    }
}

/// The exact decimal text of an unscaled integer's digits at `scale`.
pub fn decimal_text(digits: &str, scale: i8) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits),
    };
    if scale <= 0 {
        let zeros = "0".repeat(usize::from(scale.unsigned_abs()));
        return format!("{sign}{digits}{zeros}");
    }
    let scale = usize::from(scale.unsigned_abs());
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits.to_string()
    };
    let (whole, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{frac}")
}

/// A batch's columns matched to the fields of a record type, once.
pub struct Fields<'a> {
    schema: &'a Schema,
    columns: Vec<Option<&'a dyn Array>>,
    key: Option<usize>,
}

impl<'a> Fields<'a> {
    pub fn new(schema: &'a Schema, batch: &'a RecordBatch) -> Fields<'a> {
        let columns = schema
            .fields()
            .iter()
            .map(|f: &FieldDef| batch.column_by_name(&f.name).map(|c| &**c))
            .collect();
        Fields {
            schema,
            columns,
            key: schema.key().map(usize::from),
        }
    }

    /// The record of `row`, converted as its JSON object would be.
    pub fn record(&self, row: usize, scratch: &mut Vec<Cell<'a>>) -> Result<baton::Record, String> {
        scratch.clear();
        scratch.extend(self.columns.iter().map(|c| cell(*c, row)));
        let mut cells = scratch.iter();
        self.schema
            .from_cells(|_| match cells.next() {
                // A table's null or blank cell is an empty CSV cell.
                Some(Cell::Text(t)) if t.trim().is_empty() => InputCell::Empty,
                Some(Cell::Text(t)) => InputCell::Text(t),
                Some(Cell::Json(j)) => InputCell::Json(j),
                Some(Cell::Null) => InputCell::Empty,
                Some(Cell::Absent) | None => InputCell::Absent,
            })
            .map_err(|e| e.to_string())
    }

    /// The key of `row` as given, for the error row of a record that did
    /// not convert.
    pub fn raw_key(&self, row: usize) -> Option<Key> {
        let column = *self.columns.get(self.key?)?;
        match cell(column, row) {
            Cell::Text(t) => Some(Key::Text(t.to_string())),
            Cell::Json(Json::Number(n)) => Some(match n.as_i64() {
                Some(i) => Key::Number(i),
                None => Key::Text(n.to_string()),
            }),
            Cell::Json(Json::Bool(b)) => Some(Key::Bool(b)),
            Cell::Json(Json::String(s)) => Some(Key::Text(s)),
            Cell::Json(j) => Some(Key::Text(j.to_string())),
            Cell::Null | Cell::Absent => None,
        }
    }
}

/// Every row of a batch as its JSON object (deals, events).
pub fn rows(batch: &RecordBatch) -> impl Iterator<Item = Json> + '_ {
    let schema = batch.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    (0..batch.num_rows()).map(move |row| {
        let mut m = Map::new();
        for (name, column) in names.iter().zip(batch.columns()) {
            if !column.is_null(row) {
                m.insert(name.clone(), json(column, row));
            }
        }
        Json::Object(m)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_places_the_point() {
        assert_eq!(decimal_text("125050", 2), "1250.50");
        assert_eq!(decimal_text("-5", 3), "-0.005");
        assert_eq!(decimal_text("7", 0), "7");
        assert_eq!(decimal_text("-12", -2), "-1200");
        assert_eq!(decimal_text("0", 2), "0.00");
    }
}
