//! Text forms of values in output: timestamps, durations as literals,
//! ordered JSON objects, and long values cut for error messages.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// The most characters of a value an error message shows.
pub const MAX_SHOWN: usize = 200;

/// A value as an error message shows it: whole up to [`MAX_SHOWN`]
/// characters, else its first [`MAX_SHOWN`] followed by `…`, so that a huge
/// input value is never echoed whole.
pub fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_SHOWN) {
        Some((at, _)) => format!("{}…", s.get(..at).unwrap_or_default()).into(),
        None => s.into(),
    }
}

/// A timestamp as `2026-11-22T14:00:00Z`.
pub fn format_timestamp(t: i64) -> String {
    match chrono::DateTime::from_timestamp(t, 0) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => t.to_string(),
    }
}

/// A duration as a literal (`1d12h`, `0m`).
pub fn format_duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let mut s = seconds.unsigned_abs();
    let mut out = String::from(sign);
    for (unit, len) in [("d", 86_400u64), ("h", 3_600), ("m", 60), ("s", 1)] {
        if s >= len {
            out.push_str(&format!("{}{unit}", s / len));
            s %= len;
        }
    }
    if out.len() == sign.len() {
        out.push_str("0m");
    }
    out
}

/// A list of pairs serialized as a JSON object in list order.
pub struct Ordered<'a, V>(pub &'a [(String, V)]);

impl<V: Serialize> Serialize for Ordered<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A duration literal: seconds, and whether it used `d` or `w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationLit {
    /// Length in seconds.
    pub seconds: i64,
    /// Whether days or weeks were written (not allowed on a business clock).
    pub uses_days: bool,
}

/// Parses a duration literal (`90d`, `1d12h`, `30m`, `1w`). `None` on
/// overflow or a malformed text.
pub fn parse_duration(text: &str) -> Option<DurationLit> {
    let mut total: i64 = 0;
    let mut num: i64 = 0;
    let mut have_digit = false;
    let mut uses_days = false;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            num = num.checked_mul(10)?.checked_add(i64::from(d))?;
            have_digit = true;
            continue;
        }
        let unit: i64 = match c {
            'w' => 7 * 86_400,
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            _ => return None,
        };
        if !have_digit {
            return None;
        }
        uses_days |= matches!(c, 'w' | 'd');
        total = total.checked_add(num.checked_mul(unit)?)?;
        num = 0;
        have_digit = false;
    }
    if have_digit || text.is_empty() {
        return None;
    }
    Some(DurationLit {
        seconds: total,
        uses_days,
    })
}

impl std::str::FromStr for DurationLit {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        parse_duration(s).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90d").map(|d| d.seconds), Some(7_776_000));
        assert_eq!(parse_duration("1w").map(|d| d.uses_days), Some(true));
        assert_eq!(
            parse_duration("4h30m").map(|d| (d.seconds, d.uses_days)),
            Some((16_200, false))
        );
        assert_eq!(parse_duration("99999999999999999999d"), None);
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("d"), None);
    }

    #[test]
    fn durations_print_as_literals() {
        assert_eq!(format_duration(129_600), "1d12h");
        assert_eq!(format_duration(0), "0m");
        assert_eq!(format_duration(5_400), "1h30m");
    }

    #[test]
    fn long_values_are_cut_by_characters() {
        assert_eq!(clip("abc"), "abc");
        let exact = "é".repeat(MAX_SHOWN);
        assert_eq!(clip(&exact), exact);
        let long = format!("{exact}é");
        assert_eq!(clip(&long), format!("{exact}…"));
    }
}
