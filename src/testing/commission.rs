//! Commission tests (`given deal`): the plan's ledger for the given deal
//! and events, each `expect line` matched against its lines.

use rust_decimal::Decimal;

use super::located;
use crate::clawback::{LedgerLine, Status, Table};
use crate::program::tests::{CommissionCase, Expect, LineExpect, TestDef};
use crate::program::versions::Versions;
use crate::program::Program;
use crate::record::parse_decimal;
use crate::value::{format_decimal, format_money, Currency, Value};

pub(super) fn commission_failures(
    p: &Program,
    t: &TestDef,
    case: &CommissionCase,
    set: &Versions,
) -> Vec<String> {
    let deals = Table::from_values([case.deal.clone()]);
    let events = Table::from_values(case.events.clone());
    let ledger = crate::clawback::run(set, &deals, &events, t.today, true);
    let mut failures = Vec::new();
    for e in &t.expects {
        let failure = match &e.kind {
            Expect::Line(want) => line_failure(p, case, &ledger.lines, want),
            Expect::Error(text) => {
                let deal_errors: Vec<&LedgerLine> = ledger
                    .lines
                    .iter()
                    .filter(|l| l.event.is_empty() && l.status == Status::Error)
                    .collect();
                match (deal_errors.first(), text) {
                    (None, _) => Some(format!(
                        "expected the deal to be an error, but it was accepted ({})",
                        lines_summary(&ledger.lines)
                    )),
                    (Some(l), Some(s)) if !l.explanation.contains(s.as_str()) => Some(format!(
                        "expected an error mentioning {s:?}, got: {}",
                        l.explanation
                    )),
                    _ => None,
                }
            }
            _ => Some("this expectation does not apply to a deal".to_string()),
        };
        failures.extend(located(p, e, failure));
    }
    failures
}

fn line_name(event: &str) -> String {
    if event.is_empty() {
        "the deal's line (event \"\")".to_string()
    } else {
        format!("line {event:?}")
    }
}

fn line_failure(
    p: &Program,
    case: &CommissionCase,
    lines: &[LedgerLine],
    want: &LineExpect,
) -> Option<String> {
    let of_event: Vec<&LedgerLine> = lines.iter().filter(|l| l.event == want.event).collect();
    let picked: Vec<&LedgerLine> = match &want.kind {
        Some(k) => of_event.iter().copied().filter(|l| l.kind == k).collect(),
        None => of_event.clone(),
    };
    let name = line_name(&want.event);
    if let Some(n) = want.count {
        if picked.len() != n {
            let what = match &want.kind {
                Some(k) => format!("{name} of kind {k:?}"),
                None => name.clone(),
            };
            return Some(format!(
                "expected {n} × {what}, got {} ({})",
                picked.len(),
                lines_summary(lines)
            ));
        }
        if n == 0 {
            return None;
        }
    }
    let Some(line) = picked.first().or(of_event.first()) else {
        return Some(format!(
            "expected {name}, but the ledger has none ({})",
            lines_summary(lines)
        ));
    };
    let mut wrong = Vec::new();
    if let Some(k) = &want.kind {
        if line.kind != k {
            wrong.push(format!("kind {k:?}, got {:?}", line.kind.as_str()));
        }
    }
    for (column, value) in &want.checks {
        if let Some(w) = column_mismatch(line, column, value) {
            wrong.push(w);
        }
    }
    if wrong.is_empty() {
        return None;
    }
    let from = case
        .event_lines
        .get(line.line.wrapping_sub(1))
        .filter(|_| !line.event.is_empty())
        .map(|l| format!(" (event at {}:{l})", p.file))
        .unwrap_or_default();
    let why = if line.status == Status::Error {
        format!("; the line is an error: {}", line.explanation)
    } else {
        String::new()
    };
    Some(format!(
        "{name}{from}: expected {}{why}",
        wrong.join("; expected ")
    ))
}

/// The ledger in brief, for "no such line" messages.
fn lines_summary(lines: &[LedgerLine]) -> String {
    if lines.is_empty() {
        return "the ledger is empty".to_string();
    }
    let all: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{:?} {} {} {}",
                l.event.as_str(),
                if l.kind.is_empty() { "-" } else { &l.kind },
                l.status.as_str(),
                shown_amount(l.amount, &l.currency)
            )
        })
        .collect();
    format!("lines: {}", all.join("; "))
}

fn shown_amount(amount: Option<Decimal>, currency: &str) -> String {
    match (amount, Currency::parse(currency)) {
        (Some(a), Some(c)) => format!("{} {c}", format_money(a, c)),
        (Some(a), None) => format_decimal(a),
        (None, _) => "(no amount)".to_string(),
    }
}

fn shown_value(v: &Value) -> String {
    match v {
        Value::Money(m) => format!("{} {}", format_money(m.amount, m.currency), m.currency),
        other => other.as_val().display(),
    }
}

/// How one expected column differs from the line; `None` when it matches.
fn column_mismatch(line: &LedgerLine, column: &str, want: &Value) -> Option<String> {
    let text = |got: &str| match want {
        Value::Text(w) if w == got => None,
        _ => Some(format!("{column} {}, got {got:?}", shown_value(want))),
    };
    let number = |got: Option<Decimal>, shown: String| {
        let (w, currency) = match want {
            Value::Money(m) => (Some(m.amount), Some(m.currency)),
            Value::Decimal(d) => (Some(*d), None),
            Value::Int(i) => (Some(Decimal::from(*i)), None),
            _ => (None, None),
        };
        let same_currency = currency.map_or(true, |c| c.as_str() == line.currency.as_str());
        (w.is_none() || got != w || !same_currency)
            .then(|| format!("{column} {}, got {shown}", shown_value(want)))
    };
    let int = |got: Option<i64>| match want {
        Value::Int(w) if got == Some(*w) => None,
        _ => Some(format!(
            "{column} {}, got {}",
            shown_value(want),
            got.map_or("nothing".to_string(), |g| g.to_string())
        )),
    };
    match column {
        "kind" => text(&line.kind),
        "status" => text(line.status.as_str()),
        "rep" => text(&line.rep),
        "deal" => text(&line.deal),
        "currency" => text(&line.currency),
        "policy" => text(&line.policy),
        "explanation" => match want {
            Value::Text(w) if line.explanation.contains(w.as_str()) => None,
            _ => Some(format!(
                "an explanation mentioning {}, got {:?}",
                shown_value(want),
                line.explanation
            )),
        },
        "amount" => number(line.amount, shown_amount(line.amount, &line.currency)),
        "base" => number(
            parse_decimal(&line.base_text),
            shown_amount(parse_decimal(&line.base_text), &line.currency),
        ),
        "rate" => number(
            parse_decimal(&line.rate_text),
            if line.rate_text.is_empty() {
                "no rate".to_string()
            } else {
                line.rate_text.to_string()
            },
        ),
        "days_retained" => int(line.days_retained),
        "version" => int(line.version),
        other => Some(format!(
            "a column {other:?}, which ledger lines do not have"
        )),
    }
}
