//! The inputs of a ledger run: the deals and events tables, their cells
//! found by column or name, and rows converted into records by a plan's
//! schemas; with the fast hash map the engine keys deal and event ids by.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::io::{Item, Row};
use crate::json::Json;
use crate::record::{convert_json, convert_text, parse_date, parse_timestamp, Record, Schema};
use crate::value::{
    clip, format_decimal, format_money, in_minor_units, max_at, Currency, NotMoney, Type, Value,
};

/// Rows of an input file and its CSV header (deals or events).
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The rows with their lines.
    pub(crate) items: Vec<Item>,
    /// The CSV header, for CSV input.
    pub(crate) header: Option<csv::StringRecord>,
}

impl Table {
    /// Reads a whole input in `format` (CSV, JSON lines or a JSON array).
    /// Fails only when the input cannot be read at all; a malformed row
    /// becomes an error line of the ledger.
    pub fn read(mut reader: crate::io::Reader) -> Result<Table, crate::io::InputError> {
        let mut items = Vec::new();
        while let Some(item) = reader.next_item() {
            let mut item = item?;
            if let Ok(Row::Csv(rec)) = &mut item.row {
                // A row is read into room for a usual one: keep only its
                // cells, every event waits in memory for its deal.
                let mut tight = csv::StringRecord::with_capacity(rec.as_slice().len(), rec.len());
                tight.extend(rec.iter());
                tight.set_position(rec.position().cloned());
                *rec = tight;
            }
            items.push(item);
        }
        Ok(Table {
            items,
            header: reader.header,
        })
    }

    /// Rows given as JSON objects (a service's own data through serde);
    /// line numbers count from 1 in the order given.
    ///
    /// ```
    /// use baton::Table;
    /// let deals = Table::from_json([serde_json::json!({"deal": "D-1", "rep": "ana",
    ///     "amount": "900.00", "currency": "USD", "deal_value": "30000", "closed_on": "2026-03-01"})]);
    /// assert_eq!(deals.len(), 1);
    /// ```
    ///
    /// A number is read by its text, as [`crate::Schema::from_json`] reads
    /// it.
    pub fn from_json(rows: impl IntoIterator<Item = serde_json::Value>) -> Table {
        Table::from_values(rows.into_iter().map(|v| Json::from_serde(&v)))
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Rows as exact JSON values.
    pub(crate) fn from_values(rows: impl IntoIterator<Item = Json>) -> Table {
        let items = rows
            .into_iter()
            .enumerate()
            .map(|(i, v)| Item {
                line: i + 1,
                row: Ok(Row::Json(v)),
            })
            .collect();
        Table {
            items,
            header: None,
        }
    }
}

/// The deals input.
pub type Deals = Table;
/// The events input.
pub type Events = Table;

/// A hash map with a fast, non-cryptographic hasher (FxHash's multiply-
/// rotate, then a SplitMix64 finaliser): keys are deal and event ids from the user's own files, so
/// SipHash's protection against crafted collisions buys nothing here.
pub(super) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

#[derive(Default)]
pub(super) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            for (w, b) in word.iter_mut().zip(chunk) {
                *w = *b;
            }
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        // SplitMix64's finaliser: every input bit reaches the low bits the
        // table indexes by (ids such as `D-000123` differ only in their
        // last bytes).
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Column positions in a CSV header, resolved once per header rather than
/// once per cell: the fixed columns asked for, then each plan version's
/// schema fields (by the schema's address).
pub(super) struct Lookup {
    pub(super) header: usize,
    fixed: Vec<Option<usize>>,
    schemas: Vec<(usize, Vec<Option<usize>>)>,
}

impl Lookup {
    pub(super) fn new<'s>(
        header: Option<&csv::StringRecord>,
        fixed: &[&str],
        schemas: impl Iterator<Item = &'s Schema>,
    ) -> Lookup {
        let col = |name: &str| header.and_then(|h| h.iter().position(|c| c.trim() == name));
        Lookup {
            header: header.map_or(0, |h| std::ptr::from_ref(h) as usize),
            fixed: fixed.iter().map(|n| col(n)).collect(),
            schemas: schemas
                .map(|s| {
                    let cols = s.fields.iter().map(|f| col(&f.name)).collect();
                    (std::ptr::from_ref(s) as usize, cols)
                })
                .collect(),
        }
    }

    pub(super) fn fixed(&self, i: usize) -> Option<usize> {
        self.fixed.get(i).copied().flatten()
    }

    pub(super) fn schema(&self, s: &Schema) -> &[Option<usize>] {
        let key = std::ptr::from_ref(s) as usize;
        self.schemas
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(&[], |(_, c)| c.as_slice())
    }
}

/// A cell, trimmed; `None` when absent or blank. CSV cells are found by
/// their column, JSON values by name. Borrowed from the row: no allocation
/// for CSV cells and JSON strings.
pub(super) fn cell<'a>(
    row: &'a Row,
    col: Option<usize>,
    name: &str,
) -> Option<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow;
    let text = match row {
        Row::Csv(rec) => Cow::Borrowed(crate::record::trim_text(rec.get(col?)?)),
        Row::Json(v) | Row::Unmapped(v, _) => match v.get(name)? {
            Json::String(s) => Cow::Borrowed(crate::record::trim_text(s)),
            Json::Null => return None,
            other => Cow::Owned(other.to_string().trim().to_string()),
        },
    };
    (!text.is_empty()).then_some(text)
}

/// How [`convert`] reads a row.
pub(super) struct Conversion<'c> {
    /// The deal's currency: bare amounts are in it and every money field
    /// must be. `None` when the deal's currency cell is not a currency
    /// (that is its own error): amounts are then read without checking
    /// their currency.
    pub(super) currency: Option<Currency>,
    /// Slots the caller converts itself.
    pub(super) skip: &'c [u16],
    /// Slots of money paid in the currency (`amount`, `deal_value`,
    /// `lost_value`, `added_value`): each must be a whole number of the
    /// currency's minor unit that a decimal holds at that unit.
    pub(super) paid: &'c [u16],
    /// The policy's zone: a date field given as a timestamp is that
    /// instant's date there.
    pub(super) zone: chrono_tz::Tz,
}

/// A row converted by a schema: the values that converted, and an error
/// for each field that did not, with its slot (for reporting in column
/// order).
pub(super) struct Converted {
    pub(super) values: Vec<Option<Value>>,
    pub(super) errors: Vec<(u16, String)>,
}

/// A date, or a timestamp taken as its date in `zone` (LANGUAGE.md §8:
/// "a timestamp is first converted to that zone's date").
pub(super) fn date_in_zone(text: &str, zone: chrono_tz::Tz) -> Option<NaiveDate> {
    parse_date(text).or_else(|| {
        parse_timestamp(text)
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.with_timezone(&zone).date_naive())
    })
}

/// Why `amount`, a money field of the currency, is not money paid in it.
pub(super) fn not_paid_money(name: &str, amount: Decimal, currency: Currency) -> Option<String> {
    let minor = currency.minor_units();
    match in_minor_units(amount, minor) {
        Ok(_) => None,
        Err(NotMoney::Finer) => Some(format!(
            "field `{name}`: {} is finer than the minor unit of {currency} ({minor} decimals)",
            format_decimal(amount)
        )),
        Err(NotMoney::OutOfRange) => Some(format!(
            "field `{name}`: {} does not fit the decimal range in {currency} (at most {})",
            format_decimal(amount),
            format_money(max_at(minor), currency)
        )),
    }
}

/// Converts a row by a schema (see [`Conversion`]).
pub(super) fn convert(
    schema: &Schema,
    row: &Row,
    cols: &[Option<usize>],
    how: &Conversion<'_>,
) -> Converted {
    let mut values = Vec::with_capacity(schema.fields.len());
    values.resize_with(schema.fields.len(), || None);
    let mut errors = Vec::new();
    // Bare amounts need a currency to be read at all; under a currency
    // cell that is none, they are read in a placeholder and not checked.
    let default = how.currency.unwrap_or(Currency::XXX);
    for (i, f) in schema.fields.iter().enumerate() {
        let slot = u16::try_from(i).unwrap_or(u16::MAX);
        if how.skip.contains(&slot) {
            continue;
        }
        let converted = if f.ty == Type::Date {
            cell(row, cols.get(i).copied().flatten(), &f.name).map(|t| {
                date_in_zone(&t, how.zone).map(Value::Date).ok_or_else(|| {
                    format!(
                        "field `{}`: {:?} is not a date or a timestamp",
                        f.name,
                        clip(&t)
                    )
                })
            })
        } else {
            match row {
                Row::Json(v) | Row::Unmapped(v, _) => match v.get(&f.name) {
                    None | Some(Json::Null) => None,
                    Some(Json::String(s)) if s.trim().is_empty() => None,
                    Some(j) => Some(convert_json(f.ty, j, Some(default)).map_err(|e| {
                        format!("field `{}`: {} is not {e}", f.name, clip(&j.to_string()))
                    })),
                },
                Row::Csv(_) => cell(row, cols.get(i).copied().flatten(), &f.name).map(|t| {
                    convert_text(f.ty, &t, Some(default))
                        .map_err(|e| format!("field `{}`: {:?} is not {e}", f.name, clip(&t)))
                }),
            }
        };
        let error = match converted {
            None if f.optional => None,
            None => Some(format!("field `{}` is required but absent", f.name)),
            Some(Err(e)) => Some(e),
            Some(Ok(Value::Money(m))) if how.currency.is_some_and(|c| m.currency != c) => {
                Some(format!(
                    "field `{}`: {} {} is not in the deal's currency {default}",
                    f.name,
                    format_decimal(m.amount),
                    m.currency
                ))
            }
            Some(Ok(v)) => {
                let bad = match (&v, how.currency) {
                    (Value::Money(m), Some(c)) if how.paid.contains(&slot) => {
                        not_paid_money(&f.name, m.amount, c)
                    }
                    _ => None,
                };
                if let Some(s) = values.get_mut(i) {
                    *s = Some(v);
                }
                bad
            }
        };
        if let Some(e) = error {
            errors.push((slot, e));
        }
    }
    Converted { values, errors }
}

/// Errors in column order, `;`-separated (a row reports every bad field).
pub(super) fn join_errors(mut errors: Vec<(u16, String)>) -> String {
    errors.sort_by_key(|(slot, _)| *slot);
    let mut out = String::new();
    for (i, (_, e)) in errors.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(e);
    }
    out
}

/// The amount of the money value in `slot`, when set.
pub(super) fn money(r: &Record, slot: u16) -> Option<Decimal> {
    match r.values.get(usize::from(slot))? {
        Some(Value::Money(m)) => Some(m.amount),
        _ => None,
    }
}

/// The date in `slot`, when set.
pub(super) fn date(r: &Record, slot: u16) -> Option<NaiveDate> {
    match r.values.get(usize::from(slot))? {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    }
}

/// The text in `slot`, when set.
pub(super) fn text(r: &Record, slot: u16) -> Option<String> {
    match r.values.get(usize::from(slot))? {
        Some(Value::Text(t)) => Some(t.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_is_its_date_in_the_zone() {
        let tokyo: chrono_tz::Tz = "Asia/Tokyo".parse().unwrap();
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(date_in_zone("2025-09-30", tokyo), date(2025, 9, 30));
        assert_eq!(
            date_in_zone("2025-09-30T13:40:00+00:00", chrono_tz::UTC),
            date(2025, 9, 30)
        );
        assert_eq!(
            date_in_zone("2025-09-30T13:40:00+00:00", tokyo),
            date(2025, 9, 30)
        );
        assert_eq!(
            date_in_zone("2025-09-30T15:40:00Z", tokyo),
            date(2025, 10, 1)
        );
        assert_eq!(date_in_zone("2025-09-30 15:40", tokyo), None);
    }

    #[test]
    fn paid_money_is_whole_minor_units_within_the_range() {
        let d = |s: &str| Decimal::from_str_exact(s).unwrap();
        let c = |s: &str| Currency::parse(s).unwrap();
        assert_eq!(not_paid_money("amount", d("100.10"), c("USD")), None);
        assert_eq!(not_paid_money("amount", d("100.005"), c("BHD")), None);
        assert_eq!(
            not_paid_money("amount", d("100.005"), c("USD")).as_deref(),
            Some("field `amount`: 100.005 is finer than the minor unit of USD (2 decimals)")
        );
        assert_eq!(
            not_paid_money("deal_value", d("8000000000000000000000000000"), c("EUR")).as_deref(),
            Some(
                "field `deal_value`: 8000000000000000000000000000 does not fit the decimal \
                 range in EUR (at most 792281625142643375935439503.35)"
            )
        );
    }
}
