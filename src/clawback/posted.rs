//! A ledger already booked (`--posted`): reading it, and what is still
//! to book against the recomputed ledger.

use std::collections::HashMap;
use std::io::Read;

use rust_decimal::Decimal;

use super::ledger::{minor_of, money_text};
use super::line::{LedgerLine, Status};
use crate::record::parse_decimal;
use crate::value::{
    clip, format_money, from_minor_units, in_minor_units, max_at, Currency, NotMoney,
};

/// A line of a booked ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedLine {
    /// Its cells, by column name.
    pub cells: HashMap<String, String>,
    /// Its amount.
    pub amount: Decimal,
    /// Its physical line.
    pub line: usize,
}

impl PostedLine {
    fn get(&self, c: &str) -> String {
        self.cells.get(c).cloned().unwrap_or_default()
    }

    /// The ledger key: (deal, event, kind, currency). A line booked in
    /// another currency than the one computed is another key.
    fn key(&self) -> Key {
        (
            self.get("deal"),
            self.get("event"),
            self.get("kind"),
            self.get("currency"),
        )
    }
}

/// Why a posted ledger could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("posted ledger, line {line}: {message}")]
pub struct PostedError {
    /// Physical line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads a ledger already booked (the ledger's columns). Every line must
/// name a deal and a kind and carry an amount; error lines (empty amount,
/// status `error`) are skipped.
pub fn read_posted<R: Read>(r: R) -> Result<Vec<PostedLine>, PostedError> {
    let (r, lines) = crate::io::LineIndex::counting(r);
    let mut rd = csv::ReaderBuilder::new().flexible(false).from_reader(r);
    let header = rd
        .headers()
        .map_err(|e| PostedError {
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    if let Some((len, max)) = lines.cut_through(rd.position().byte()) {
        return Err(PostedError {
            line: 1,
            message: crate::io::too_long(len, max),
        });
    }
    if let Some(repeated) = crate::io::repeated_column(&header) {
        return Err(PostedError {
            line: 1,
            message: format!("the header names {repeated}"),
        });
    }
    for c in ["deal", "event", "kind", "amount", "currency"] {
        if !header.iter().any(|h| h == c) {
            return Err(PostedError {
                line: 1,
                message: format!("the header has no `{c}` column"),
            });
        }
    }
    let mut out = Vec::new();
    let mut records = rd.records();
    while let Some(rec) = records.next() {
        let cut = lines.cut_through(records.reader().position().byte());
        let rec = rec.map_err(|e| PostedError {
            line: lines.line_of(e.position()),
            message: cut.map_or_else(
                || crate::io::csv_error_text(&e),
                |(len, max)| crate::io::too_long(len, max),
            ),
        })?;
        let line = lines.line_of(rec.position());
        if let Some((len, max)) = cut {
            return Err(PostedError {
                line,
                message: crate::io::too_long(len, max),
            });
        }
        if lines.unclosed_quote() {
            return Err(PostedError {
                line,
                message: "a quoted cell is never closed: the rest of the file was read into \
                          this line"
                    .to_string(),
            });
        }
        let mut cells: HashMap<String, String> = header
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.to_string(), v.to_string()))
            .collect();
        let amount_text = cells.get("amount").cloned().unwrap_or_default();
        if cells.get("status").is_some_and(|s| s == "error") && amount_text.trim().is_empty() {
            continue;
        }
        let amount = parse_decimal(&amount_text).ok_or_else(|| PostedError {
            line,
            message: format!("amount {:?} is not a number", clip(&amount_text)),
        })?;
        // A booked amount is money in its currency: a code money is paid
        // in, and a whole number of its minor unit that a decimal holds
        // (a finer one could never be matched by a ledger line: it would
        // print a difference that rounds to itself, run after run).
        let currency_text = cells.get("currency").map_or("", |c| c.trim());
        let currency = match Currency::parse(currency_text) {
            None => Err(format!(
                "currency {:?} is not a currency code",
                clip(currency_text)
            )),
            Some(c) => c
                .not_payable()
                .map_or(Ok(c), |why| Err(format!("currency {why}"))),
        }
        .map_err(|message| PostedError { line, message })?;
        let minor = currency.minor_units();
        match in_minor_units(amount, minor) {
            Ok(_) => {}
            Err(NotMoney::Finer) => {
                return Err(PostedError {
                    line,
                    message: format!(
                        "amount {amount_text} has more decimals than {currency} allows ({minor})"
                    ),
                })
            }
            Err(NotMoney::OutOfRange) => {
                return Err(PostedError {
                    line,
                    message: format!(
                        "amount {amount_text} does not fit the decimal range in {currency} \
                         (at most {})",
                        format_money(max_at(minor), currency)
                    ),
                })
            }
        }
        // The key holds the code as the ledger writes it.
        cells.insert("currency".to_string(), currency.to_string());
        let p = PostedLine {
            cells,
            amount,
            line,
        };
        if p.get("deal").is_empty() || p.get("kind").is_empty() {
            return Err(PostedError {
                line,
                message: "a posted line needs `deal` and `kind`".into(),
            });
        }
        out.push(p);
    }
    Ok(out)
}

/// A ledger key: (deal, event, kind, currency).
type Key = (String, String, String, String);

/// The booked total of a key, in minor units, with the first posted line
/// of the key (named when the total cannot be used).
struct Booked {
    units: i128,
    line: usize,
}

fn key_text(k: &Key) -> String {
    let event = if k.1.is_empty() { "" } else { " " };
    format!("{} {}{event}{} in {}", k.0, k.1, k.2, k.3)
}

/// What is still to book: for each (deal, event, kind, currency), the
/// recomputed amount less the posted ones, where not zero, in ledger
/// order; then reversals of keys found only in the posted ledger, in its
/// order (except for events that are error lines now: their booked lines
/// stand). A line booked in another currency than the one computed is
/// reversed, and the computed line is booked in full.
///
/// `Err` names the posted line whose amounts leave the decimal range:
/// booked lines of one key that sum past it, or a difference past it.
pub fn diff_posted(
    lines: &[LedgerLine],
    posted: &[PostedLine],
) -> Result<Vec<LedgerLine>, PostedError> {
    use std::collections::HashSet;
    let mut booked: HashMap<Key, Booked> = HashMap::new();
    // (deal, event, kind) → the currencies it is booked in, in posted order.
    let mut booked_in: HashMap<(String, String, String), Vec<String>> = HashMap::new();
    for p in posted {
        let key = p.key();
        let minor = minor_of(&key.3);
        let units = in_minor_units(p.amount, minor).map_err(|_| PostedError {
            line: p.line,
            message: format!("amount {} is not money in {}", p.amount, key.3),
        })?;
        let beyond = |k: &Key| PostedError {
            line: p.line,
            message: format!(
                "the booked lines of {} sum beyond the decimal range (at most {})",
                key_text(k),
                money_text(max_at(minor), &k.3)
            ),
        };
        let total = booked.entry(key.clone()).or_insert(Booked {
            units: 0,
            line: p.line,
        });
        total.units = total
            .units
            .checked_add(units)
            .filter(|u| from_minor_units(*u, minor).is_some())
            .ok_or_else(|| beyond(&key))?;
        let currencies = booked_in.entry((key.0, key.1, key.2)).or_default();
        if !currencies.contains(&key.3) {
            currencies.push(key.3);
        }
    }
    let booked_events: HashSet<(String, String)> = posted
        .iter()
        .map(|p| (p.get("deal"), p.get("event")))
        .collect();
    let mut out = Vec::new();
    let mut recomputed: HashMap<(String, String, String), String> = HashMap::new();
    for l in lines.iter().filter(|l| l.status != Status::Error) {
        let key: Key = (
            l.deal.to_string(),
            l.event.to_string(),
            l.kind.to_string(),
            l.currency.to_string(),
        );
        recomputed.insert((key.0.clone(), key.1.clone(), key.2.clone()), key.3.clone());
        let amount = l.amount.unwrap_or_default();
        let minor = minor_of(&l.currency);
        let (diff, explanation) = match booked.get(&key) {
            Some(b) => {
                let booked_amount = from_minor_units(b.units, minor).unwrap_or_default();
                let diff = in_minor_units(amount, minor)
                    .ok()
                    .and_then(|a| a.checked_sub(b.units))
                    .and_then(|d| from_minor_units(d, minor))
                    .ok_or_else(|| PostedError {
                        line: b.line,
                        message: format!(
                            "recomputed {} less booked {} for {} does not fit the decimal range",
                            money_text(amount, &l.currency),
                            money_text(booked_amount, &l.currency),
                            key_text(&key)
                        ),
                    })?;
                let explanation = format!(
                    "recomputed {} less booked {}",
                    money_text(amount, &l.currency),
                    money_text(booked_amount, &l.currency)
                );
                (diff, explanation)
            }
            None => {
                let elsewhere = booked_in.get(&(key.0.clone(), key.1.clone(), key.2.clone()));
                let explanation = match elsewhere {
                    // Booked under this kind, in other currencies only:
                    // those lines are reversed below.
                    Some(cs) => format!(
                        "{} (booked in {} instead of {})",
                        l.explanation,
                        cs.join(" and "),
                        l.currency
                    ),
                    // The event was booked under another kind: say that
                    // this kind is not; a line for an event never booked
                    // keeps its words.
                    None if booked_events.contains(&(key.0.clone(), key.1.clone())) => {
                        format!("{} (not booked yet)", l.explanation)
                    }
                    None => l.explanation.clone(),
                };
                (amount, explanation)
            }
        };
        if !diff.is_zero() {
            let mut d = l.clone();
            d.amount = Some(fixed(diff, minor));
            d.explanation = explanation;
            out.push(d);
        }
    }
    // An event that is an error line now (bad input) is not reversed: its
    // booked lines stand until the input is fixed (the error is reported
    // on standard error and the run exits 1).
    let in_error: HashSet<(String, String)> = lines
        .iter()
        .filter(|l| l.status == Status::Error)
        .map(|l| (l.deal.to_string(), l.event.to_string()))
        .collect();
    let mut reversed = HashSet::new();
    for p in posted {
        let key = p.key();
        let dek = (key.0.clone(), key.1.clone(), key.2.clone());
        let computed_in = recomputed.get(&dek);
        if computed_in == Some(&key.3)
            || in_error.contains(&(key.0.clone(), key.1.clone()))
            || !reversed.insert(key.clone())
        {
            continue;
        }
        let minor = minor_of(&key.3);
        let total = booked
            .get(&key)
            .and_then(|b| from_minor_units(b.units, minor))
            .unwrap_or_default();
        if total.is_zero() {
            continue;
        }
        let currency = key.3;
        let explanation = match computed_in {
            Some(c) => format!(
                "reversal: now computed in {c} (booked {})",
                money_text(total, &currency)
            ),
            None => format!(
                "reversal: no longer computed (booked {})",
                money_text(total, &currency)
            ),
        };
        out.push(LedgerLine {
            deal: p.get("deal").into(),
            rep: p.get("rep").into(),
            event: p.get("event").into(),
            kind: p.get("kind").into(),
            status: Status::Applied,
            policy: p.get("policy").into(),
            version: p.get("version").parse().ok(),
            days_retained: p.get("days_retained").parse().ok(),
            rate: None,
            base: None,
            rate_text: p.get("rate").into(),
            base_text: p.get("base").into(),
            amount: Some(fixed(-total, minor)),
            explanation,
            currency: currency.into(),
            line: p.line,
        });
    }
    Ok(out)
}

fn fixed(d: Decimal, minor: u32) -> Decimal {
    let mut d = if d.is_zero() { Decimal::ZERO } else { d };
    d.rescale(minor);
    d
}

#[cfg(test)]
mod tests {
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
