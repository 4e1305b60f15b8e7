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
//! - lists are JSON arrays, structs JSON objects, a dictionary-encoded
//!   (categorical) cell its value;
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
        DataType::Dictionary(key, values) => key.is_integer() && readable(values),
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
        DataType::Dictionary(..) => match dictionary_entry(a, row) {
            Some((values, i)) => cell(Some(values), i),
            None => Cell::Null,
        },
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
            // By its own shortest text: widened to f64 as it is, 0.1
            // would read 0.10000000149011612.
            float(v.to_string().parse().unwrap_or(f64::NAN))
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
        DataType::Timestamp(unit, zone) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(row),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(row),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(row),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(row),
            };
            timestamp(v, *unit, zone.is_some())
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
        DataType::Dictionary(..) => match dictionary_entry(a, row) {
            Some((values, i)) => json(values, i),
            None => Json::Null,
        },
        // Refused before any row is read (`readable`).
        _ => Json::Null,
    }
}

/// A dictionary-encoded cell (a pandas or Polars categorical): its
/// dictionary and the index of its value there.
fn dictionary_entry(a: &dyn Array, row: usize) -> Option<(&dyn Array, usize)> {
    let d = a.as_any_dictionary_opt()?;
    let keys = d.keys();
    let index = match keys.data_type() {
        DataType::Int8 => usize::try_from(keys.as_primitive::<Int8Type>().value(row)).ok(),
        DataType::Int16 => usize::try_from(keys.as_primitive::<Int16Type>().value(row)).ok(),
        DataType::Int32 => usize::try_from(keys.as_primitive::<Int32Type>().value(row)).ok(),
        DataType::Int64 => usize::try_from(keys.as_primitive::<Int64Type>().value(row)).ok(),
        DataType::UInt8 => Some(usize::from(keys.as_primitive::<UInt8Type>().value(row))),
        DataType::UInt16 => Some(usize::from(keys.as_primitive::<UInt16Type>().value(row))),
        DataType::UInt32 => usize::try_from(keys.as_primitive::<UInt32Type>().value(row)).ok(),
        DataType::UInt64 => usize::try_from(keys.as_primitive::<UInt64Type>().value(row)).ok(),
        _ => None,
    }?;
    let values = &**d.values();
    (index < values.len()).then_some((values, index))
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

/// An instant (a timestamp with a time zone) in RFC 3339, UTC. A timestamp
/// without one names no instant, only a wall-clock reading: at midnight it
/// is its date (what pyarrow and pandas infer from a date-only text), at
/// any other time its text without an offset, which a date or timestamp
/// field refuses (an error row) rather than guess the zone.
fn timestamp(v: i64, unit: TimeUnit, zoned: bool) -> Json {
    let per = per_second(unit);
    let (secs, frac) = (v.div_euclid(per), v.rem_euclid(per));
    let nanos = u32::try_from(frac * (1_000_000_000 / per)).unwrap_or(0);
    let Some(t) = chrono::DateTime::from_timestamp(secs, nanos) else {
        return Json::String(format!("{secs} seconds after 1970-01-01T00:00:00"));
    };
    if zoned {
        return Json::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    }
    let wall = t.naive_utc();
    if secs.rem_euclid(86_400) == 0 && nanos == 0 {
        Json::String(wall.date().format("%Y-%m-%d").to_string())
    } else {
        Json::String(wall.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
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

    /// The key of a converted record, as text.
    pub fn key(&self, record: &baton::Record) -> Option<String> {
        let value = record.values().get(self.key?)?.as_ref()?;
        Some(Key::of(value).to_string())
    }

    /// The key of `row`, for the error row of a record that did not
    /// convert: its value when the key cell converts, else the cell as
    /// given (as the CLI names an error line's key).
    pub fn raw_key(&self, row: usize) -> Option<String> {
        let slot = self.key?;
        let ty = self.schema.field(u16::try_from(slot).ok()?)?.ty;
        let currency = self.schema.default_currency();
        let text = match cell(*self.columns.get(slot)?, row) {
            Cell::Text(t) => t.to_string(),
            Cell::Json(Json::String(s)) => s,
            Cell::Json(Json::Number(n)) => n.to_string(),
            Cell::Json(j) => j.to_string(),
            Cell::Null | Cell::Absent => return None,
        };
        match baton::Value::from_text(ty, &text, currency) {
            Ok(v) => Some(Key::of(&v).to_string()),
            Err(_) => Some(text),
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
