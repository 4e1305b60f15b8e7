//! The ledger as finance reads it: its columns and CSV lines (the
//! difference against a booked ledger is in `posted`, the per-rep summary
//! in `summary`).

use std::io::Write;

use rust_decimal::Decimal;

use super::line::LedgerLine;
use crate::value::{format_decimal, format_money, Currency};

/// The ledger's columns, in order (CLI.md).
pub const COLUMNS: [&str; 13] = [
    "deal",
    "rep",
    "event",
    "kind",
    "status",
    "policy",
    "version",
    "days_retained",
    "rate",
    "base",
    "amount",
    "currency",
    "explanation",
];

/// Decimals of a currency written in a ledger (2 for a code that is none).
pub(super) fn minor_of(currency: &str) -> u32 {
    Currency::parse(currency).map_or(2, |c| c.minor_units())
}

/// An amount as a ledger writes it in `currency`.
pub(super) fn money_text(d: Decimal, currency: &str) -> String {
    match Currency::parse(currency) {
        Some(c) => format_money(d, c),
        None => format_decimal(d),
    }
}

/// The cells of one line: `rate` rounded to 6 places, `base` to the minor
/// unit (both for the reader: the amount was computed from exact values).
pub fn cells(l: &LedgerLine) -> [String; 13] {
    [
        l.deal.to_string(),
        l.rep.to_string(),
        l.event.to_string(),
        l.kind.to_string(),
        l.status.as_str().to_string(),
        l.policy.to_string(),
        l.version.map(|v| v.to_string()).unwrap_or_default(),
        l.days_retained.map(|d| d.to_string()).unwrap_or_default(),
        l.rate_text.to_string(),
        l.base_text.to_string(),
        l.amount
            .map(|a| money_text(a, &l.currency))
            .unwrap_or_default(),
        l.currency.to_string(),
        l.explanation.clone(),
    ]
}

/// Writes the header and the lines as CSV. The same lines give the same bytes.
pub fn write_ledger<W: Write>(lines: &[LedgerLine], w: W) -> csv::Result<()> {
    let mut out = LedgerWriter::new(w)?;
    for l in lines {
        out.line(l)?;
    }
    out.finish()
}

/// Writes ledger lines as CSV one at a time (the header first), straight
/// into a buffer: quoting exactly as the `csv` crate does for this ledger
/// (a field is quoted when it holds `,`, `"`, `\n` or `\r`, and quotes are
/// doubled; a test compares the two), amounts printed through integers.
pub struct LedgerWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
}

/// Bytes buffered before they go to the writer.
const FLUSH_AT: usize = 1 << 16;

impl LedgerWriter<Vec<u8>> {
    /// Flushes and tells how many bytes have been written so far.
    pub fn written(&mut self) -> csv::Result<usize> {
        self.out.append(&mut self.buf);
        Ok(self.out.len())
    }
}

impl<W: Write> LedgerWriter<W> {
    /// A writer that has written the header.
    pub fn new(w: W) -> csv::Result<LedgerWriter<W>> {
        let mut lw = LedgerWriter::headless(w);
        lw.buf.extend_from_slice(COLUMNS.join(",").as_bytes());
        lw.buf.push(b'\n');
        Ok(lw)
    }

    /// A writer without the header (for a part of a ledger).
    pub fn headless(w: W) -> LedgerWriter<W> {
        LedgerWriter {
            out: w,
            buf: Vec::with_capacity(FLUSH_AT + 1024),
        }
    }

    /// Writes one line.
    pub fn line(&mut self, l: &LedgerLine) -> csv::Result<()> {
        let b = &mut self.buf;
        for (i, cell) in [
            l.deal.as_str(),
            l.rep.as_str(),
            l.event.as_str(),
            l.kind.as_str(),
            l.status.as_str(),
            l.policy.as_str(),
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                b.push(b',');
            }
            push_field(b, cell);
        }
        b.push(b',');
        if let Some(v) = l.version {
            push_int(b, v);
        }
        b.push(b',');
        if let Some(d) = l.days_retained {
            push_int(b, d);
        }
        b.push(b',');
        push_field(b, &l.rate_text);
        b.push(b',');
        push_field(b, &l.base_text);
        b.push(b',');
        if let Some(a) = l.amount {
            match Currency::parse(&l.currency) {
                // Digits, a point and a sign: nothing to quote.
                Some(c) => crate::value::push_fixed(b, a, c.minor_units()),
                None => push_field(b, &money_text(a, &l.currency)),
            }
        }
        b.push(b',');
        push_field(b, &l.currency);
        b.push(b',');
        push_field(b, &l.explanation);
        b.push(b'\n');
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> Result<W, String> {
        self.out.write_all(&self.buf).map_err(|e| e.to_string())?;
        self.buf.clear();
        Ok(self.out)
    }

    /// Flushes.
    pub fn finish(mut self) -> csv::Result<()> {
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(())
    }
}

/// One CSV field: quoted when it holds `,`, `"`, `\n` or `\r`.
fn push_field(b: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if !bytes
        .iter()
        .any(|&c| c == b',' || c == b'"' || c == b'\n' || c == b'\r')
    {
        b.extend_from_slice(bytes);
        return;
    }
    b.push(b'"');
    for &c in bytes {
        if c == b'"' {
            b.push(b'"');
        }
        b.push(c);
    }
    b.push(b'"');
}

/// An integer in decimal, without the formatting machinery.
fn push_int(b: &mut Vec<u8>, v: i64) {
    b.extend_from_slice(crate::value::int_digits(v, &mut [0; 20]));
}

/// A ledger line serializes as the ledger's columns, every cell a string
/// exactly as the CSV shows it (amounts never pass through a float).
impl serde::Serialize for LedgerLine {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let cells = cells(self);
        let mut m = s.serialize_map(Some(COLUMNS.len()))?;
        for (k, v) in COLUMNS.iter().zip(cells.iter()) {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod writer_tests {
    use super::*;
    use crate::clawback::Status;

    /// The hand-written CSV is byte for byte what the `csv` crate writes.
    #[test]
    fn ledger_csv_matches_the_csv_crate() {
        let tricky = [
            "plain",
            "",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "carriage\rreturn",
            "× unicode, and \"all\"",
            " spaced ",
        ];
        let mut lines = Vec::new();
        for (i, t) in tricky.iter().enumerate() {
            lines.push(LedgerLine {
                deal: (*t).into(),
                rep: "ana".into(),
                event: format!("E-{i}").into(),
                kind: "clawback".into(),
                status: if i % 2 == 0 {
                    Status::Applied
                } else {
                    Status::Error
                },
                policy: "p".into(),
                version: Some(i64::try_from(i).unwrap_or(0) - 3),
                days_retained: if i % 3 == 0 { None } else { Some(-40) },
                rate: None,
                base: None,
                rate_text: "0.5".into(),
                base_text: (*t).into(),
                amount: if i % 2 == 0 {
                    Some(Decimal::new(-125_050, 2))
                } else {
                    None
                },
                currency: if i == 3 { "JPY".into() } else { "USD".into() },
                explanation: (*t).to_string(),
                line: i,
            });
        }
        let mut ours = Vec::new();
        write_ledger(&lines, &mut ours).unwrap();
        let mut theirs = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        theirs.write_record(COLUMNS).unwrap();
        for l in &lines {
            theirs.write_record(cells(l)).unwrap();
        }
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs.into_inner().unwrap()).unwrap()
        );
    }
}
