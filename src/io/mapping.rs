//! CRM and billing exports read as declared records: each field taken from
//! a named column, its cell rewritten into the form the record's type reads
//! (`$15,000.00` with `currency = "USD"` → `15000.00 USD`, `11/02/2026`
//! with `date_format = "%m/%d/%Y"` → `2026-11-02`, `Yes` → `true`,
//! `SSO;API` split into a set). The rewritten row is a JSON object,
//! converted by the schema as any JSON input is; a cell no conversion can
//! read is that record's error line, naming the column, the cell and the
//! field.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::json::{Json, Map};
use crate::value::{clip, Currency};

/// How one field is read from an export.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldMap {
    /// The record field.
    pub field: String,
    /// The column it is read from.
    pub column: String,
    /// Trim blanks around the cell (default: on).
    pub trim: bool,
    /// Lower-case the cell.
    pub lower: bool,
    /// Cells that mean `true`, compared after trim and `lower`.
    pub true_words: Vec<String>,
    /// Cells that mean `false`.
    pub false_words: Vec<String>,
    /// Split the cell into a set at this separator.
    pub split: Option<String>,
    /// The currency of an amount written bare or with a symbol.
    pub currency: Option<Currency>,
    /// The column holding the amount's currency code.
    pub currency_column: Option<String>,
    /// The cell is a number written as spreadsheets write amounts
    /// (`$113,000.00`, `(12.50)`): read as a bare decimal.
    pub number: bool,
    /// A bare number is a duration in this unit (`d`, `h`, `m`, `s`, `w`).
    pub unit: Option<String>,
    /// The cell is a date in this strftime format.
    pub date_format: Option<String>,
    /// The cell is a timestamp in this strftime format …
    pub timestamp_format: Option<String>,
    /// … in this time zone when the format has no offset (default UTC).
    pub timezone: Option<Tz>,
    /// The value of an empty cell.
    pub default: Option<String>,
    /// Cells renamed before anything else reads them (`"Software"` →
    /// `"saas"`), compared after trim and `lower`.
    pub value_map: Vec<(String, String)>,
}

impl FieldMap {
    /// A field read as it is from `column`.
    pub fn plain(field: &str, column: &str) -> FieldMap {
        FieldMap {
            field: field.to_string(),
            column: column.to_string(),
            trim: true,
            ..FieldMap::default()
        }
    }
}

/// A mapping matched to an export's header: each field's column position.
#[derive(Debug, Clone)]
pub struct BoundMapping {
    fields: Vec<(FieldMap, usize, Option<usize>)>,
}

/// How a mapping meets a header.
pub fn bind(maps: &[FieldMap], header: &csv::StringRecord) -> Result<BoundMapping, Vec<String>> {
    let find = |c: &str| header.iter().position(|h| h.trim() == c.trim());
    let mut errors = Vec::new();
    let mut fields = Vec::new();
    for m in maps {
        let Some(at) = find(&m.column) else {
            errors.push(format!(
                "column `{}` (for field `{}`) is not in the header",
                clip(&m.column),
                m.field
            ));
            continue;
        };
        let cur = match &m.currency_column {
            Some(c) => match find(c) {
                Some(i) => Some(i),
                None => {
                    errors.push(format!(
                        "currency column `{}` (for field `{}`) is not in the header",
                        clip(c),
                        m.field
                    ));
                    continue;
                }
            },
            None => None,
        };
        fields.push((m.clone(), at, cur));
    }
    if errors.is_empty() {
        Ok(BoundMapping { fields })
    } else {
        Err(errors)
    }
}

impl BoundMapping {
    /// The record of one exported row, as a JSON object of its fields; an
    /// `Err` names every cell that no conversion could read, beside the
    /// fields that did convert.
    pub(crate) fn apply(&self, row: &csv::StringRecord) -> Result<Json, (Json, String)> {
        let mut obj = Map::default();
        let mut errors = Vec::new();
        for (m, at, cur) in &self.fields {
            let cell = row.get(*at).unwrap_or_default();
            let currency = cur.and_then(|c| row.get(c));
            match convert(m, cell, currency) {
                Ok(Some(v)) => obj.insert(m.field.clone(), v),
                Ok(None) => {}
                Err(why) => errors.push(format!(
                    "column `{}` (field `{}`): {:?} {why}",
                    clip(&m.column),
                    m.field,
                    clip(cell)
                )),
            }
        }
        if errors.is_empty() {
            Ok(Json::Object(obj))
        } else {
            Err((Json::Object(obj), errors.join("; ")))
        }
    }
}

/// One cell rewritten for its field: `None` for an empty cell without a
/// default (the field is absent).
pub fn convert(m: &FieldMap, cell: &str, currency: Option<&str>) -> Result<Option<Json>, String> {
    let mut t = if m.trim { cell.trim() } else { cell }.to_string();
    if t.trim().is_empty() {
        match &m.default {
            Some(d) => t = d.clone(),
            // A multi-select with nothing chosen: the empty set.
            None if m.split.is_some() => return Ok(Some(Json::Array(Vec::new()))),
            None => return Ok(None),
        }
    }
    if m.lower {
        t = t.to_lowercase();
    }
    if let Some((_, to)) = m.value_map.iter().find(|(from, _)| *from == t) {
        t = to.clone();
    }
    if !m.true_words.is_empty() || !m.false_words.is_empty() {
        return if m.true_words.contains(&t) {
            Ok(Some(Json::Bool(true)))
        } else if m.false_words.contains(&t) {
            Ok(Some(Json::Bool(false)))
        } else {
            Err(format!(
                "is not one of the words for true ({}) or false ({})",
                m.true_words.join(", "),
                m.false_words.join(", ")
            ))
        };
    }
    if let Some(sep) = &m.split {
        let items = t
            .split(sep.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Json::String(s.to_string()))
            .collect();
        return Ok(Some(Json::Array(items)));
    }
    if m.currency.is_some() || currency.is_some() {
        let code = match currency.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => c.to_ascii_uppercase(),
            None => match m.currency {
                Some(c) => c.to_string(),
                None => return Err("has no currency: its currency cell is empty".into()),
            },
        };
        let a = amount(&t, Some(&code))?;
        return Ok(Some(Json::String(format!("{a} {code}"))));
    }
    if m.number {
        return amount(&t, None)
            .map(|a| Some(Json::String(a)))
            .map_err(|_| "is not a number".into());
    }
    if let Some(unit) = &m.unit {
        let n = amount(&t, None)
            .ok()
            .filter(|n| n.parse::<i64>().is_ok())
            .ok_or_else(|| format!("is not a whole number of `{unit}`"))?;
        return Ok(Some(Json::String(format!("{n}{unit}"))));
    }
    if let Some(f) = &m.date_format {
        let d = NaiveDate::parse_from_str(&t, f).map_err(|_| format!("is not a date in `{f}`"))?;
        return Ok(Some(Json::String(
            year_of(d, f)?.format("%Y-%m-%d").to_string(),
        )));
    }
    if let Some(f) = &m.timestamp_format {
        let utc = match chrono::DateTime::parse_from_str(&t, f) {
            Ok(dt) => dt.with_timezone(&chrono::Utc),
            Err(_) => {
                let naive = NaiveDateTime::parse_from_str(&t, f)
                    .map_err(|_| format!("is not a timestamp in `{f}`"))?;
                year_of(naive.date(), f)?;
                let tz = m.timezone.unwrap_or(Tz::UTC);
                tz.from_local_datetime(&naive)
                    .earliest()
                    .ok_or_else(|| format!("is not a time that exists in {tz}"))?
                    .with_timezone(&chrono::Utc)
            }
        };
        return Ok(Some(Json::String(
            utc.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )));
    }
    Ok(Some(Json::String(t)))
}

/// A date whose year has four digits: chrono's `%Y` reads `26` as the
/// year 26, which a spreadsheet's `m/d/yy` export means as 2026.
fn year_of(d: NaiveDate, f: &str) -> Result<NaiveDate, String> {
    use chrono::Datelike;
    if d.year() < 1000 {
        return Err(format!(
            "has a year of fewer than four digits for `{f}` (write the year in full, or use `%y`)"
        ));
    }
    Ok(d)
}

/// An amount as spreadsheets export it: an optional currency symbol or
/// code, thousands separators, a minus sign or parentheses for a negative.
/// `(1,250.50)` → `-1250.50`; `$15,000.00` → `15000.00`. With `code`, a
/// symbol or code written in the cell must be that currency's, and the
/// decimals may not be finer than its minor unit (`1.200` in USD is a
/// European thousands dot, refused); anything else that is not a plain
/// amount (`12k`, `1.000,50`, `(-5)`) is refused, never read as another
/// number.
fn amount(text: &str, code: Option<&str>) -> Result<String, String> {
    let bad = || "is not an amount".to_string();
    let mut t = text.trim();
    let mut negative = false;
    if let Some(inner) = t.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        negative = true;
        t = inner.trim();
    }
    if let Some(rest) = t.strip_prefix('-') {
        if negative {
            return Err(bad());
        }
        negative = true;
        t = rest.trim();
    }
    // A currency written with the amount: a symbol before it, or a code
    // before or after it.
    let symbol = |c: char| match c {
        '$' => Some("USD"),
        '€' => Some("EUR"),
        '£' => Some("GBP"),
        '¥' => Some("JPY"),
        _ => None,
    };
    let mut written: Option<String> = None;
    if let Some(c) = t.chars().next().filter(|c| symbol(*c).is_some()) {
        written = symbol(c).map(String::from);
        t = t.get(c.len_utf8()..).unwrap_or_default().trim_start();
        if let Some(rest) = t.strip_prefix('-') {
            if negative {
                return Err(bad());
            }
            negative = true;
            t = rest.trim();
        }
    }
    let is_code = |w: &str| w.len() == 3 && w.chars().all(|c| c.is_ascii_alphabetic());
    if let Some((w, rest)) = t
        .split_once(char::is_whitespace)
        .filter(|(w, _)| is_code(w))
    {
        written = Some(w.to_ascii_uppercase());
        t = rest.trim();
    } else if let Some((rest, w)) = t
        .rsplit_once(char::is_whitespace)
        .filter(|(_, w)| is_code(w))
    {
        written = Some(w.to_ascii_uppercase());
        t = rest.trim();
    }
    if let (Some(w), Some(code)) = (&written, code) {
        // `$` may stand for any dollar; a code must be the currency's.
        let dollar = text.contains('$') && code.ends_with('D') && w == "USD";
        if w != code && !dollar {
            return Err(format!("is written in {w}, not in {code}"));
        }
    } else if written.is_some() && code.is_none() && text.chars().any(|c| c.is_ascii_alphabetic()) {
        return Err(bad());
    }
    // Commas only as thousands separators, in groups of three before the
    // point.
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let groups: Vec<&str> = int.split(',').collect();
    let grouped = groups.len() == 1
        || (groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
            && groups.iter().skip(1).all(|g| g.len() == 3));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() || !grouped || !groups.iter().all(|g| digits(g)) || !digits(frac) {
        return Err(bad());
    }
    if let Some(minor) = code.and_then(Currency::parse).map(|c| c.minor_units()) {
        if frac.len() > minor as usize {
            return Err(format!(
                "has more decimals than {} allows ({minor}); a thousands dot?",
                code.unwrap_or_default()
            ));
        }
    }
    let int = int.replace(',', "");
    let t = if t.contains('.') {
        format!("{int}.{frac}")
    } else {
        int
    };
    Ok(if negative { format!("-{t}") } else { t })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(m: &FieldMap, cell: &str) -> Result<Option<String>, String> {
        convert(m, cell, None).map(|v| v.map(|j| j.to_string()))
    }

    #[test]
    fn amounts_as_spreadsheets_write_them() {
        let m = FieldMap {
            currency: Currency::parse("USD"),
            ..FieldMap::plain("budget", "Budget")
        };
        for (cell, want) in [
            ("$15,000.00", "\"15000.00 USD\""),
            ("15000", "\"15000 USD\""),
            ("(1,250.50)", "\"-1250.50 USD\""),
            ("-$3.10", "\"-3.10 USD\""),
            ("USD 12", "\"12 USD\""),
        ] {
            assert_eq!(text(&m, cell), Ok(Some(want.to_string())), "{cell}");
        }
        for bad in [
            "lots",
            "1.2.3",
            "$",
            "12 apples 3",
            "1,2,3",
            "12,34",
            "1,000.5.0",
            ".5",
            "1e5",
            "12k",
            "2.5k",
            "(-5)",
            "--5",
        ] {
            assert_eq!(text(&m, bad), Err("is not an amount".to_string()), "{bad}");
        }
        // A currency in the cell must be the one in use; a dot before three
        // digits is a European thousands dot in a currency of cents.
        for (bad, why) in [
            ("€12", "is written in EUR, not in USD"),
            ("12 GBP", "is written in GBP, not in USD"),
            (
                "1.200",
                "has more decimals than USD allows (2); a thousands dot?",
            ),
            ("€ 1.000,50", "is written in EUR, not in USD"),
        ] {
            assert_eq!(text(&m, bad), Err(why.to_string()), "{bad}");
        }
        let n = FieldMap {
            number: true,
            ..FieldMap::plain("deal_value", "Amount (converted)")
        };
        assert_eq!(text(&n, "$113,000.00"), Ok(Some("\"113000.00\"".into())));
        assert_eq!(text(&n, "(5)"), Ok(Some("\"-5\"".into())));
        assert_eq!(text(&n, "n/a"), Err("is not a number".into()));
        assert_eq!(text(&n, "1.5M"), Err("is not a number".into()));
        assert_eq!(text(&n, "12 GBP"), Err("is not a number".into()));
        assert_eq!(text(&m, "  "), Ok(None));
        // The currency column wins over the default.
        assert_eq!(
            convert(&m, "£9", Some("gbp")).map(|v| v.map(|j| j.to_string())),
            Ok(Some("\"9 GBP\"".into()))
        );
    }

    #[test]
    fn words_sets_units_dates_maps_and_defaults() {
        let yes = FieldMap {
            true_words: vec!["yes".into(), "y".into()],
            false_words: vec!["no".into(), "n".into()],
            lower: true,
            ..FieldMap::plain("dm", "Decision Maker?")
        };
        assert_eq!(text(&yes, "Yes"), Ok(Some("true".into())));
        assert_eq!(text(&yes, " N "), Ok(Some("false".into())));
        assert!(text(&yes, "maybe").is_err_and(|e| e.contains("yes, y")));
        let split = FieldMap {
            split: Some(";".into()),
            lower: true,
            ..FieldMap::plain("features", "Requested Features")
        };
        assert_eq!(
            text(&split, "SSO; API;;"),
            Ok(Some("[\"sso\",\"api\"]".into()))
        );
        assert_eq!(text(&split, ""), Ok(Some("[]".into())));
        let unit = FieldMap {
            unit: Some("d".into()),
            ..FieldMap::plain("timeline", "Timeline (days)")
        };
        assert_eq!(text(&unit, "165"), Ok(Some("\"165d\"".into())));
        assert_eq!(text(&unit, "1,500"), Ok(Some("\"1500d\"".into())));
        assert!(text(&unit, "soon").is_err());
        assert!(text(&unit, "1,5").is_err(), "a decimal comma is not 15");
        let date = FieldMap {
            date_format: Some("%m/%d/%Y".into()),
            ..FieldMap::plain("created", "Create Date")
        };
        assert_eq!(text(&date, "11/02/2026"), Ok(Some("\"2026-11-02\"".into())));
        assert_eq!(
            text(&date, "13/45/2026"),
            Err("is not a date in `%m/%d/%Y`".into())
        );
        assert!(
            text(&date, "10/09/26").is_err_and(|e| e.contains("fewer than four digits")),
            "a two-digit year is not the year 26"
        );
        let ts = FieldMap {
            timestamp_format: Some("%m/%d/%Y %H:%M".into()),
            timezone: Some(chrono_tz::America::New_York),
            ..FieldMap::plain("at", "When")
        };
        assert_eq!(
            text(&ts, "11/02/2026 09:30"),
            Ok(Some("\"2026-11-02T14:30:00Z\"".into()))
        );
        let mapped = FieldMap {
            value_map: vec![("Software".into(), "saas".into())],
            default: Some("other".into()),
            ..FieldMap::plain("industry", "Industry")
        };
        assert_eq!(text(&mapped, "Software"), Ok(Some("\"saas\"".into())));
        assert_eq!(text(&mapped, ""), Ok(Some("\"other\"".into())));
        assert_eq!(text(&mapped, "Retail"), Ok(Some("\"Retail\"".into())));
    }

    #[test]
    fn a_bound_mapping_names_every_bad_cell_and_missing_column() {
        let header = csv::StringRecord::from(vec!["Record ID", "Create Date", "Budget"]);
        let maps = vec![
            FieldMap::plain("id", "Record ID"),
            FieldMap {
                date_format: Some("%m/%d/%Y".into()),
                ..FieldMap::plain("created", "Create Date")
            },
            FieldMap {
                currency: Currency::parse("USD"),
                ..FieldMap::plain("budget", "Budget")
            },
        ];
        let b = bind(&maps, &header).expect("binds");
        let ok = b
            .apply(&csv::StringRecord::from(vec![
                "L-1",
                "11/02/2026",
                "$1,000",
            ]))
            .expect("converts");
        assert_eq!(
            ok.to_string(),
            r#"{"id":"L-1","created":"2026-11-02","budget":"1000 USD"}"#
        );
        let (partial, err) = b
            .apply(&csv::StringRecord::from(vec!["L-2", "tomorrow", "lots"]))
            .expect_err("two bad cells");
        assert_eq!(partial.to_string(), r#"{"id":"L-2"}"#);
        assert_eq!(
            err,
            "column `Create Date` (field `created`): \"tomorrow\" is not a date in `%m/%d/%Y`; \
             column `Budget` (field `budget`): \"lots\" is not an amount"
        );
        let missing = bind(&[FieldMap::plain("x", "Nope")], &header).expect_err("missing");
        assert_eq!(
            missing,
            ["column `Nope` (for field `x`) is not in the header"]
        );
    }
}
