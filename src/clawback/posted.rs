//! A ledger already booked (`--posted`): reading it, a line at a time.
//! What is still to book against it is in `booked`.

use std::io::Read;

use rust_decimal::Decimal;

use crate::record::parse_decimal;
use crate::value::{clip, format_money, in_minor_units, max_at, Currency, NotMoney};

/// A line of a booked ledger: the columns the difference reads, as
/// booked (a column the header lacks is empty).
#[derive(Debug, Clone, PartialEq)]
pub struct PostedLine {
    /// Deal id.
    pub deal: String,
    /// Who the line was for.
    pub rep: String,
    /// Event id (empty for retention lines).
    pub event: String,
    /// The line's kind.
    pub kind: String,
    /// Policy name.
    pub policy: String,
    /// Policy version, as booked.
    pub version: String,
    /// Days retained, as booked.
    pub days_retained: String,
    /// Rate, as booked.
    pub rate: String,
    /// Base, as booked.
    pub base: String,
    /// Its amount: a whole number of its currency's minor unit.
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
    /// Its physical line.
    pub line: usize,
}

/// Why a posted ledger could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("posted ledger{}: {message}", at_line(*.line))]
pub struct PostedError {
    /// Physical line (0: the ledger as a whole, such as a file that cannot
    /// be opened).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn at_line(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(", line {line}")
    }
}

/// Reads a ledger already booked (the ledger's columns). Every line must
/// name a deal and a kind and carry an amount; error lines (empty amount,
/// status `error`) are skipped.
pub fn read_posted<R: Read>(r: R) -> Result<Vec<PostedLine>, PostedError> {
    PostedLines::new(r)?.collect()
}

/// The columns of a booked ledger, by position in its header.
#[derive(Debug, Clone, Copy)]
struct Columns {
    deal: usize,
    event: usize,
    kind: usize,
    amount: usize,
    currency: usize,
    rep: Option<usize>,
    status: Option<usize>,
    policy: Option<usize>,
    version: Option<usize>,
    days_retained: Option<usize>,
    rate: Option<usize>,
    base: Option<usize>,
}

/// The lines of a booked ledger, read one at a time: memory holds one
/// line, whatever the ledger's length.
pub struct PostedLines<R: Read> {
    reader: csv::Reader<crate::io::Counted<R>>,
    lines: crate::io::LineIndex,
    columns: Columns,
    record: csv::StringRecord,
    failed: bool,
}

impl<R: Read> PostedLines<R> {
    /// Reads the header; fails when it is unreadable, too long, names a
    /// column twice or lacks `deal`, `event`, `kind`, `amount` or
    /// `currency`.
    pub fn new(r: R) -> Result<PostedLines<R>, PostedError> {
        let (r, lines) = crate::io::LineIndex::counting(r);
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(r);
        let at_header = |message: String| PostedError { line: 1, message };
        let header = reader
            .headers()
            .map_err(|e| at_header(e.to_string()))?
            .clone();
        if let Some((len, max)) = lines.cut_through(reader.position().byte()) {
            return Err(at_header(crate::io::too_long(len, max)));
        }
        if let Some(repeated) = crate::io::repeated_column(&header) {
            return Err(at_header(format!("the header names {repeated}")));
        }
        let find = |c: &str| header.iter().position(|h| h == c);
        let need =
            |c: &str| find(c).ok_or_else(|| at_header(format!("the header has no `{c}` column")));
        let columns = Columns {
            deal: need("deal")?,
            event: need("event")?,
            kind: need("kind")?,
            amount: need("amount")?,
            currency: need("currency")?,
            rep: find("rep"),
            status: find("status"),
            policy: find("policy"),
            version: find("version"),
            days_retained: find("days_retained"),
            rate: find("rate"),
            base: find("base"),
        };
        Ok(PostedLines {
            reader,
            lines,
            columns,
            record: csv::StringRecord::new(),
            failed: false,
        })
    }

    /// Reads the next booked row (error lines are skipped) and returns
    /// its physical line, without checking its cells: [`PostedLines::row`]
    /// and [`PostedLines::line`] do. `None` at the end.
    pub(crate) fn advance(&mut self) -> Option<Result<usize, PostedError>> {
        loop {
            let read = self.reader.read_record(&mut self.record);
            let cut = self.lines.cut_through(self.reader.position().byte());
            match read {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    return Some(Err(PostedError {
                        line: self.lines.line_of(e.position()),
                        message: cut.map_or_else(
                            || crate::io::csv_error_text(&e),
                            |(len, max)| crate::io::too_long(len, max),
                        ),
                    }))
                }
            }
            let line = self.lines.line_of(self.record.position());
            let fail = |message: String| Some(Err(PostedError { line, message }));
            if let Some((len, max)) = cut {
                return fail(crate::io::too_long(len, max));
            }
            if self.lines.unclosed_quote() {
                return fail(
                    "a quoted cell is never closed: the rest of the file was read into this line"
                        .to_string(),
                );
            }
            let c = self.columns;
            let cell = |i: usize| self.record.get(i).unwrap_or_default();
            if c.status.map_or("", cell) == "error" && cell(c.amount).trim().is_empty() {
                continue;
            }
            return Some(Ok(line));
        }
    }

    /// The key and amount of the row [`PostedLines::advance`] read, checked.
    pub(crate) fn row(&self, line: usize) -> Result<PostedRow<'_>, PostedError> {
        posted_row(&self.record, self.columns, line)
            .map_err(|message| PostedError { line, message })
    }

    /// The row [`PostedLines::advance`] read, as a line.
    pub(crate) fn line(&self, line: usize) -> Result<PostedLine, PostedError> {
        let row = self.row(line)?;
        let opt = |i: Option<usize>| i.map_or("", |i| self.record.get(i).unwrap_or_default());
        Ok(PostedLine {
            deal: row.deal.to_string(),
            rep: opt(self.columns.rep).to_string(),
            event: row.event.to_string(),
            kind: row.kind.to_string(),
            policy: opt(self.columns.policy).to_string(),
            version: opt(self.columns.version).to_string(),
            days_retained: opt(self.columns.days_retained).to_string(),
            rate: opt(self.columns.rate).to_string(),
            base: opt(self.columns.base).to_string(),
            amount: row.amount,
            currency: row.currency,
            line,
        })
    }
}

impl<R: Read> Iterator for PostedLines<R> {
    type Item = Result<PostedLine, PostedError>;

    /// The next booked line; after an error, nothing more.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = self
            .advance()
            .map(|line| line.and_then(|line| self.line(line)));
        self.failed = matches!(next, Some(Err(_)));
        next
    }
}

/// What a booked row adds to its key's total: the key, the amount, the
/// line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PostedRow<'r> {
    pub deal: &'r str,
    pub event: &'r str,
    pub kind: &'r str,
    pub amount: Decimal,
    pub currency: Currency,
    pub line: usize,
}

impl PostedLine {
    /// The line's key and amount.
    pub(crate) fn row(&self) -> PostedRow<'_> {
        PostedRow {
            deal: &self.deal,
            event: &self.event,
            kind: &self.kind,
            amount: self.amount,
            currency: self.currency,
            line: self.line,
        }
    }
}

/// One booked row's key and amount, or what is wrong with it.
fn posted_row(rec: &csv::StringRecord, c: Columns, line: usize) -> Result<PostedRow<'_>, String> {
    let cell = |i: usize| rec.get(i).unwrap_or_default();
    let amount_text = cell(c.amount);
    let amount = parse_decimal(amount_text)
        .ok_or_else(|| format!("amount {:?} is not a number", clip(amount_text)))?;
    // A booked amount is money in its currency: a code money is paid
    // in, and a whole number of its minor unit that a decimal holds
    // (a finer one could never be matched by a ledger line: it would
    // print a difference that rounds to itself, run after run).
    let currency_text = cell(c.currency).trim();
    let currency = match Currency::parse(currency_text) {
        None => Err(format!(
            "currency {:?} is not a currency code",
            clip(currency_text)
        )),
        Some(c) => c
            .not_payable()
            .map_or(Ok(c), |why| Err(format!("currency {why}"))),
    }?;
    let minor = currency.minor_units();
    match in_minor_units(amount, minor) {
        Ok(_) => {}
        Err(NotMoney::Finer) => {
            return Err(format!(
                "amount {amount_text} has more decimals than {currency} allows ({minor})"
            ))
        }
        Err(NotMoney::OutOfRange) => {
            return Err(format!(
                "amount {amount_text} does not fit the decimal range in {currency} (at most {})",
                format_money(max_at(minor), currency)
            ))
        }
    }
    let (deal, kind) = (cell(c.deal), cell(c.kind));
    if deal.is_empty() || kind.is_empty() {
        return Err("a posted line needs `deal` and `kind`".into());
    }
    Ok(PostedRow {
        deal,
        event: cell(c.event),
        kind,
        amount,
        currency,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::super::booked::diff_posted;
    use super::super::line::{LedgerLine, Status};
    use super::*;

    const HEADER: &str =
        "deal,rep,event,kind,status,policy,version,days_retained,rate,base,amount,currency,explanation\n";

    fn posted(rows: &str) -> Result<Vec<PostedLine>, PostedError> {
        read_posted(format!("{HEADER}{rows}").as_bytes())
    }

    fn line(amount: &str, currency: &str) -> LedgerLine {
        LedgerLine {
            deal: "D".into(),
            rep: "ana".into(),
            event: "E".into(),
            kind: "clawback".into(),
            status: Status::Applied,
            policy: "p".into(),
            version: Some(1),
            days_retained: Some(3),
            rate: None,
            base: None,
            rate_text: "1".into(),
            base_text: "".into(),
            amount: Some(Decimal::from_str_exact(amount).unwrap()),
            currency: currency.into(),
            explanation: "computed".into(),
            line: 2,
        }
    }

    #[test]
    fn a_booked_currency_that_is_no_currency_is_refused() {
        for (cell, why) in [
            ("gbp", "currency \"gbp\" is not a currency code"),
            ("", "currency \"\" is not a currency code"),
            ("ABC", "currency \"ABC\" is not an ISO 4217 currency code"),
            ("XAU", "currency XAU has no minor unit in ISO 4217"),
        ] {
            let err = posted(&format!(
                "D,ana,E,clawback,applied,p,1,3,1,,-5.00,{cell},x\n"
            ))
            .unwrap_err();
            assert_eq!(
                err,
                PostedError {
                    line: 2,
                    message: why.into()
                },
                "{cell}"
            );
        }
    }

    #[test]
    fn the_currency_is_part_of_the_key() {
        // Blanks around the code do not make another key.
        let booked = posted("D,ana,E,clawback,applied,p,1,3,1,,-5.00, GBP ,x\n").unwrap();
        assert_eq!(diff_posted(&[line("-5.00", "GBP")], &booked).unwrap(), []);
        let booked = posted("D,ana,E,clawback,applied,p,1,3,1,,-5.00,EUR,x\n").unwrap();
        let diff = diff_posted(&[line("-5.00", "GBP")], &booked).unwrap();
        let got: Vec<(String, String, String)> = diff
            .iter()
            .map(|l| {
                (
                    l.amount.unwrap().to_string(),
                    l.currency.to_string(),
                    l.explanation.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "-5.00".into(),
                    "GBP".into(),
                    "computed (booked in EUR instead of GBP)".into()
                ),
                (
                    "5.00".into(),
                    "EUR".into(),
                    "reversal: now computed in GBP (booked -5.00)".into()
                ),
            ]
        );
    }

    #[test]
    fn amounts_beyond_the_decimal_range_name_the_posted_line() {
        let max = "792281625142643375935439503.35";
        let err = posted(&format!(
            "D,ana,E,clawback,applied,p,1,3,1,,-{max}0,USD,x\n"
        ))
        .unwrap_err();
        assert_eq!(err.line, 2);
        let booked = posted(&format!(
            "D,ana,E,clawback,applied,p,1,3,1,,-{max},USD,x\nD,ana,E,clawback,applied,p,1,3,1,,-0.01,USD,x\n"
        ))
        .unwrap();
        let err = diff_posted(&[line("-1.00", "USD")], &booked).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(
            err.message.contains("sum beyond the decimal range"),
            "{err}"
        );
        let booked = posted(&format!("D,ana,E,clawback,applied,p,1,3,1,,{max},USD,x\n")).unwrap();
        let err = diff_posted(&[line("-1.00", "USD")], &booked).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("posted ledger, line 2: recomputed -1.00 less booked {max} for D E clawback in USD does not fit the decimal range")
        );
    }
}
