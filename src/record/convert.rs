//! Converting input text and JSON values to typed values: exact decimals
//! and money from their text, dates, timestamps, durations, sets.

use std::str::FromStr;

use crate::json::{Node, View};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::value::{clip, parse_duration, Currency, IntSet, Money, TextSet, Type, Value};

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

/// Parses a calendar date, `YYYY-MM-DD` exactly (LANGUAGE.md §2): four
/// digits of year from 0001, two of month and of day, a day the calendar
/// has. Every date the crate reads (input cells, policy literals, `--as-of`)
/// goes through here, so one form is accepted everywhere; `2026-1-2`,
/// `0000-01-01` and `+99999-12-31` are not dates.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = trim_text(text);
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *text.as_bytes() else {
        return None;
    };
    let digits = [y1, y2, y3, y4, m1, m2, d1, d2];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |ds: &[u8]| ds.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
    let year = i32::try_from(n(&[y1, y2, y3, y4]))
        .ok()
        .filter(|y| *y >= 1)?;
    NaiveDate::from_ymd_opt(year, n(&[m1, m2]), n(&[d1, d2]))
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

/// Converts a JSON value (this crate's exact tree or a `serde_json::Value`)
/// to a value of `ty`; on failure returns what was expected. A number is
/// read from its text.
pub(crate) fn convert_json<J: Node>(
    ty: Type,
    v: &J,
    currency: Option<Currency>,
) -> Result<Value, &'static str> {
    let fail = || expected_name(ty);
    if ty == Type::Int {
        if let Some(i) = v.as_int() {
            return Ok(Value::Int(i));
        }
    }
    match (ty, v.view()) {
        (_, View::String(s)) if ty.element().is_none() => convert_text(ty, s, currency),
        (
            Type::Int | Type::Decimal | Type::Money | Type::Duration | Type::Text,
            View::Number(n),
        ) => convert_text(ty, &n, currency),
        (Type::Bool, View::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Money, View::Object) => {
            let amount = match v.member("amount").map(Node::view) {
                Some(View::String(s)) => parse_decimal(s),
                Some(View::Number(n)) => parse_decimal(&n),
                _ => None,
            }
            .ok_or_else(fail)?;
            // The object form names its currency (LANGUAGE §3): the
            // header's default is for a bare amount only.
            let currency = match v.member("currency").map(Node::view) {
                Some(View::String(c)) => Currency::parse(c),
                _ => None,
            }
            .ok_or_else(fail)?;
            Ok(Value::Money(Money { amount, currency }))
        }
        (Type::SetText, View::Array(items)) => {
            let mut v = Vec::with_capacity(items.len());
            for i in items {
                match i.view() {
                    View::String(s) => v.push(s),
                    _ => return Err(fail()),
                }
            }
            Ok(Value::SetText(TextSet::new(v)))
        }
        (Type::SetInt, View::Array(items)) => {
            let mut v = Vec::with_capacity(items.len());
            for i in items {
                let n = match i.view() {
                    View::Number(n) => parse_int(&n),
                    View::String(s) => parse_int(s),
                    _ => None,
                };
                v.push(n.ok_or_else(fail)?);
            }
            Ok(Value::SetInt(IntSet::new(v)))
        }
        (Type::SetText | Type::SetInt, View::String(s)) => convert_text(ty, s, currency),
        _ => Err(fail()),
    }
}

/// A JSON value as an error message shows it: its JSON text, cut when
/// long (a string's text is cut inside its quotes).
pub(crate) fn shown_json<J: Node>(j: &J) -> String {
    let text = j.to_string();
    if matches!(clip(&text), std::borrow::Cow::Borrowed(_)) {
        return text;
    }
    match j.view() {
        View::String(s) => serde_json::to_string(&*clip(s)).unwrap_or_default(),
        _ => clip(&text).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One form of date everywhere (issue 12): what LANGUAGE.md calls a
    /// date, and nothing else.
    #[test]
    fn dates_are_yyyy_mm_dd_and_nothing_else() {
        for good in [
            "2026-01-02",
            " 2026-12-31 ",
            "0001-01-01",
            "9999-12-31",
            "2028-02-29",
        ] {
            assert!(parse_date(good).is_some(), "{good}");
        }
        for bad in [
            "2026-1-2",
            "2026-01-2",
            "0000-01-01",
            "+99999-12-31",
            "99999-01-01",
            "2026-02-30",
            "2027-02-29",
            "2026/01/02",
            "20260102",
            "",
            "2026-01-02T00:00:00Z",
            "-001-01-01",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

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
}
