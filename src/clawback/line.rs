//! Ledger lines: the line type, the [`Sink`] the engine puts lines into,
//! and the parts every kind of line is built from (error lines, kind
//! labels, the rate and base as shown, dates and integers in explanations).

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use crate::program::commission::Status;
use crate::program::commission::{rate_text, EventType};
use crate::program::exact::Frac;
use crate::value::{format_money, Currency, Text};

/// One ledger line. Short cells are [`Text`]s, kept inline: a line of a
/// million-line ledger allocates only its explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerLine {
    /// Deal id.
    pub deal: Text,
    /// Who the line is for.
    pub rep: Text,
    /// Event id (empty for retention lines).
    pub event: Text,
    /// `clawback`, `reinstatement`, `upgrade`, `bonus:NAME` (empty when unknown).
    pub kind: Text,
    /// Status.
    pub status: Status,
    /// Policy name (empty when no version governs the deal).
    pub policy: Text,
    /// Policy version.
    pub version: Option<i64>,
    /// Event date − anchor, in days.
    pub days_retained: Option<i64>,
    /// The exact rate (shown rounded to 6 places).
    pub rate: Option<Frac>,
    /// The exact base (shown rounded to the minor unit).
    pub base: Option<Frac>,
    /// `rate` as shown: rounded to 6 places (empty where no rate applies).
    pub rate_text: Text,
    /// `base` as shown: rounded to the minor unit.
    pub base_text: Text,
    /// The amount, rounded once to the minor unit (`None` on error lines).
    pub amount: Option<Decimal>,
    /// Currency.
    pub currency: Text,
    /// A sentence a rep can read.
    pub explanation: String,
    /// Input line of the event (or deal) the line comes from.
    pub line: usize,
}

/// Where the engine puts what it computes. Event lines arrive in any order
/// with their event's index; deal lines (errors, retention bonuses) arrive
/// in deals order, after the events of that deal.
pub trait Sink {
    /// The line of the event at `index` in the events input.
    fn event_line(&mut self, index: usize, line: LedgerLine);
    /// A deal's error line or retention line, in deals order.
    fn deal_line(&mut self, line: LedgerLine);
    /// A valid deal's commission paid, for the summary.
    fn paid(&mut self, rep: &str, currency: Currency, amount: Decimal);
}

/// The `kind` cell of an event's line.
pub(super) fn kind_label(k: EventType) -> &'static str {
    match k {
        EventType::Cancellation | EventType::Downgrade => "clawback",
        EventType::Reinstatement => "reinstatement",
        EventType::Upgrade => "upgrade",
    }
}

/// The input a line comes from, named in error lines with its line
/// number (`events line 3: unknown deal D-9`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Input {
    /// The deals file.
    Deals,
    /// The events file.
    Events,
}

impl Input {
    fn as_str(self) -> &'static str {
        match self {
            Input::Deals => "deals",
            Input::Events => "events",
        }
    }
}

/// An error line: status `error`, no amount, `msg` as the explanation
/// after the input and line it comes from.
pub(super) fn error_line(
    deal: &str,
    rep: &str,
    event: &str,
    kind: &str,
    (input, line): (Input, usize),
    msg: &str,
    currency: Option<Currency>,
) -> LedgerLine {
    let mut explanation = String::with_capacity(msg.len() + 20);
    explanation.push_str(input.as_str());
    explanation.push_str(" line ");
    push_i64(&mut explanation, i64::try_from(line).unwrap_or(i64::MAX));
    explanation.push_str(": ");
    explanation.push_str(msg);
    LedgerLine {
        deal: deal.into(),
        rep: rep.into(),
        event: event.into(),
        kind: kind.into(),
        status: Status::Error,
        policy: Text::default(),
        version: None,
        days_retained: None,
        rate: None,
        base: None,
        rate_text: Text::default(),
        base_text: Text::default(),
        amount: None,
        currency: currency.map(|c| c.as_str().into()).unwrap_or_default(),
        explanation,
        line,
    }
}

/// Sets the exact rate and base of a line and how they are shown.
pub(super) fn show(
    line: &mut LedgerLine,
    rate: Frac,
    base: Frac,
    base_shown: Decimal,
    currency: Currency,
) {
    line.rate = Some(rate);
    line.base = Some(base);
    line.rate_text = rate_text(rate).into();
    line.base_text = format_money(base_shown, currency).into();
}

/// `YYYY-MM-DD`, as `NaiveDate`'s `Display` writes years 0 to 9999.
pub(super) fn push_date(out: &mut String, d: NaiveDate) {
    use chrono::Datelike;
    let (y, m, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&y) {
        out.push_str(&d.to_string());
        return;
    }
    // Digits by arithmetic, zero-padded: no string per part.
    let digit = |v: u32, place: u32| char::from(b'0' + ((v / place) % 10) as u8);
    let y = u32::try_from(y).unwrap_or(0);
    for place in [1000, 100, 10, 1] {
        out.push(digit(y, place));
    }
    for v in [m, day] {
        out.push('-');
        out.push(digit(v, 10));
        out.push(digit(v, 1));
    }
}

/// An integer in decimal, pushed without the formatting machinery.
pub(super) fn push_i64(out: &mut String, v: i64) {
    for &d in crate::value::int_digits(v, &mut [0; 20]) {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::{push_date, push_i64};
    use chrono::{Datelike, NaiveDate};

    #[test]
    fn push_i64_writes_what_display_writes() {
        for v in [0, 7, -7, 10, 99, -100, 1_000_003, i64::MAX, i64::MIN] {
            let mut out = String::from("x");
            push_i64(&mut out, v);
            assert_eq!(out, format!("x{v}"));
        }
    }

    #[test]
    fn push_date_writes_what_display_writes() {
        let mut d = NaiveDate::from_ymd_opt(-3, 12, 30).expect("date");
        let end = NaiveDate::from_ymd_opt(10_002, 1, 3).expect("date");
        while d < end {
            let mut out = String::from("on ");
            push_date(&mut out, d);
            assert_eq!(out, format!("on {d}"));
            // Every day of a few years at the edges, then a stride that
            // visits every month and day over the whole range.
            let step = if d.year() < 2 || d.year() > 9_997 {
                1
            } else {
                37
            };
            d = d + chrono::Days::new(step);
        }
    }
}
