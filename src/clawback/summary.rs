//! The summary per rep and currency (CLI.md `--summary`): exact sums in
//! minor units, an error when one leaves the decimal range.

use std::io::Write;

use rust_decimal::Decimal;

use super::ledger::{minor_of, money_text};
use super::line::{LedgerLine, Status};
use crate::value::{from_minor_units, in_minor_units, max_at};

/// One row of the summary (CLI.md `--summary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// Rep.
    pub rep: String,
    /// Currency.
    pub currency: String,
    /// Commission paid on the rep's deals.
    pub paid: Decimal,
    /// Clawback lines (zero or negative).
    pub clawed_back: Decimal,
    /// Reinstatement lines.
    pub reinstated: Decimal,
    /// Bonus lines.
    pub bonuses: Decimal,
    /// paid + clawed_back + reinstated + bonuses.
    pub net: Decimal,
}

/// A summary sum that leaves the decimal range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the summary's `{column}` of rep {rep} in {currency} does not fit the decimal range \
     (at most {max})"
)]
pub struct SummaryError {
    /// Rep.
    pub rep: String,
    /// Currency.
    pub currency: String,
    /// The summary column: `paid`, `clawed_back`, `reinstated`, `bonuses`
    /// or `net`.
    pub column: &'static str,
    /// The largest amount the currency's minor unit allows, as shown.
    pub max: String,
}

/// Sums per rep and currency, sorted by rep then currency. `paid` lists
/// each valid deal's (rep, currency, amount). Every sum is exact; one
/// that leaves the decimal range at its currency's minor unit is an
/// error, never rounded.
pub fn summarize(
    paid: &[(String, String, Decimal)],
    lines: &[LedgerLine],
) -> Result<Vec<SummaryRow>, SummaryError> {
    let mut s = Summarizer::default();
    for (rep, cur, amount) in paid {
        s.paid(rep, cur, *amount);
    }
    for l in lines {
        s.line(l);
    }
    s.finish()
}

/// One rep's sums in one currency, in minor units.
#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    /// paid, clawed_back, reinstated, bonuses.
    columns: [i128; 4],
    /// The first column whose sum left the range.
    overflow: Option<usize>,
}

/// The summary's columns, in order; `net` follows them.
const SUMMED: [&str; 4] = ["paid", "clawed_back", "reinstated", "bonuses"];

impl Sums {
    fn add(&mut self, column: usize, units: Option<i128>) {
        let sum = self
            .columns
            .get(column)
            .zip(units)
            .and_then(|(a, b)| a.checked_add(b));
        match (sum, self.columns.get_mut(column)) {
            (Some(v), Some(c)) => *c = v,
            _ => {
                self.overflow.get_or_insert(column);
            }
        }
    }
}

/// The summary, accumulated line by line.
#[derive(Debug, Default)]
pub struct Summarizer {
    /// rep → currency → sums: looked up by borrowed keys, no allocation
    /// once a row exists.
    rows: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Sums>>,
}

impl Summarizer {
    fn row(&mut self, rep: &str, cur: &str) -> &mut Sums {
        self.rows
            .entry(rep.to_string())
            .or_default()
            .entry(cur.to_string())
            .or_default()
    }

    fn add(&mut self, rep: &str, cur: &str, column: usize, amount: Decimal) {
        let units = in_minor_units(amount, minor_of(cur)).ok();
        if let Some(row) = self.rows.get_mut(rep).and_then(|m| m.get_mut(cur)) {
            row.add(column, units);
            return;
        }
        self.row(rep, cur).add(column, units);
    }

    /// A deal's commission paid.
    pub fn paid(&mut self, rep: &str, currency: &str, amount: Decimal) {
        self.add(rep, currency, 0, amount);
    }

    /// A ledger line (error lines count for nothing).
    pub fn line(&mut self, l: &LedgerLine) {
        if l.status == Status::Error {
            return;
        }
        let a = l.amount.unwrap_or_default();
        let column = if l.kind == "clawback" {
            1
        } else if l.kind == "reinstatement" {
            2
        } else if l.kind.starts_with("bonus:") {
            3
        } else {
            return;
        };
        self.add(&l.rep, &l.currency, column, a);
    }

    /// Adds the sums of `other`.
    pub fn merge(&mut self, other: Summarizer) {
        for (rep, by_currency) in other.rows {
            for (cur, r) in by_currency {
                let row = self.row(&rep, &cur);
                for (i, v) in r.columns.into_iter().enumerate() {
                    row.add(i, Some(v));
                }
                if let Some(o) = r.overflow {
                    row.overflow.get_or_insert(o);
                }
            }
        }
    }

    /// The rows, sorted by rep then currency; `Err` names the first sum
    /// that leaves the decimal range.
    pub fn finish(self) -> Result<Vec<SummaryRow>, SummaryError> {
        let mut out = Vec::new();
        for (rep, by_currency) in self.rows {
            for (currency, sums) in by_currency {
                let minor = minor_of(&currency);
                let fail = |column: &'static str| SummaryError {
                    rep: rep.clone(),
                    currency: currency.clone(),
                    column,
                    max: money_text(max_at(minor), &currency),
                };
                if let Some(c) = sums.overflow {
                    return Err(fail(SUMMED.get(c).copied().unwrap_or("net")));
                }
                let mut amounts = [Decimal::ZERO; 4];
                for ((a, units), column) in amounts.iter_mut().zip(sums.columns).zip(SUMMED) {
                    *a = from_minor_units(units, minor).ok_or_else(|| fail(column))?;
                }
                let net = sums
                    .columns
                    .into_iter()
                    .try_fold(0i128, i128::checked_add)
                    .and_then(|n| from_minor_units(n, minor))
                    .ok_or_else(|| fail("net"))?;
                let [paid, clawed_back, reinstated, bonuses] = amounts;
                out.push(SummaryRow {
                    rep: rep.clone(),
                    currency,
                    paid,
                    clawed_back,
                    reinstated,
                    bonuses,
                    net,
                });
            }
        }
        Ok(out)
    }
}

/// Writes the summary as CSV.
pub fn write_summary<W: Write>(rows: &[SummaryRow], w: W) -> csv::Result<()> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    out.write_record([
        "rep",
        "currency",
        "paid",
        "clawed_back",
        "reinstated",
        "bonuses",
        "net",
    ])?;
    for r in rows {
        let m = |d: Decimal| money_text(d, &r.currency);
        out.write_record([
            r.rep.clone(),
            r.currency.clone(),
            m(r.paid),
            m(r.clawed_back),
            m(r.reinstated),
            m(r.bonuses),
            m(r.net),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// A summary row serializes as the summary's columns, amounts as strings.
impl serde::Serialize for SummaryRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let m_ = |d: Decimal| money_text(d, &self.currency);
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("rep", &self.rep)?;
        m.serialize_entry("currency", &self.currency)?;
        m.serialize_entry("paid", &m_(self.paid))?;
        m.serialize_entry("clawed_back", &m_(self.clawed_back))?;
        m.serialize_entry("reinstated", &m_(self.reinstated))?;
        m.serialize_entry("bonuses", &m_(self.bonuses))?;
        m.serialize_entry("net", &m_(self.net))?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    fn line(rep: &str, kind: &str, amount: &str, currency: &str) -> LedgerLine {
        LedgerLine {
            deal: "D".into(),
            rep: rep.into(),
            event: "E".into(),
            kind: kind.into(),
            status: Status::Applied,
            policy: "p".into(),
            version: Some(1),
            days_retained: Some(1),
            rate: None,
            base: None,
            rate_text: "".into(),
            base_text: "".into(),
            amount: Some(d(amount)),
            currency: currency.into(),
            explanation: String::new(),
            line: 2,
        }
    }

    const MAX: &str = "792281625142643375935439503.35";

    #[test]
    fn sums_are_exact_to_the_last_place() {
        let paid = [("ana".to_string(), "USD".to_string(), d(MAX))];
        let lines = [
            line("ana", "clawback", "-0.01", "USD"),
            line("ana", "reinstatement", "0.01", "USD"),
            line("ana", "bonus:x", "-0.02", "USD"),
            line("bo", "bonus:x", "7", "JPY"),
        ];
        let rows = summarize(&paid, &lines).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].paid, d(MAX));
        assert_eq!(rows[0].net.to_string(), "792281625142643375935439503.33");
        assert_eq!(
            (rows[1].rep.as_str(), rows[1].paid.to_string()),
            ("bo", "0".into())
        );
        assert_eq!(rows[1].net.to_string(), "7");
    }

    #[test]
    fn a_sum_beyond_the_decimal_range_is_an_error_naming_its_column() {
        let paid = [
            ("ana".to_string(), "USD".to_string(), d(MAX)),
            ("ana".to_string(), "USD".to_string(), d("0.01")),
        ];
        let err = summarize(&paid, &[]).unwrap_err();
        assert_eq!(
            (err.rep.as_str(), err.currency.as_str(), err.column),
            ("ana", "USD", "paid")
        );
        assert_eq!(
            err.to_string(),
            format!("the summary's `paid` of rep ana in USD does not fit the decimal range (at most {MAX})")
        );
        // Each column fits, their sum does not.
        let paid = [("ana".to_string(), "USD".to_string(), d(MAX))];
        let err = summarize(&paid, &[line("ana", "bonus:x", "1.00", "USD")]).unwrap_err();
        assert_eq!(err.column, "net");
        // Across parts of a streamed run too.
        let mut a = Summarizer::default();
        a.line(&line("bo", "clawback", &format!("-{MAX}"), "USD"));
        let mut b = Summarizer::default();
        b.line(&line("bo", "clawback", "-0.01", "USD"));
        a.merge(b);
        assert_eq!(a.finish().unwrap_err().column, "clawed_back");
    }
}
