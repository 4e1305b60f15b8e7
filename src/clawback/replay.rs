//! One deal replayed: its events in date order through the deal's state
//! (active or cancelled, value remaining, amount clawed back), each event's
//! line with its exact amount (clawbacks, reinstatements, upgrade bonuses),
//! and the retention bonus when it is due.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::line::{
    error_line, kind_label, push_date, push_i64, show, Input, LedgerLine, Sink, Status,
};
use super::table::{date, money, text};
use crate::program::commission::{event_slot as E, percent, CommissionDef, EventType, Schedule};
use crate::program::eval::Env;
use crate::program::exact::Frac;
use crate::program::expr::Expr;
use crate::program::Program;
use crate::record::Record;
use crate::value::{format_decimal, format_money, Currency, Text, Val};

/// A deal row parsed under the plan version that governs it.
pub(super) struct Deal<'p> {
    pub(super) line: usize,
    pub(super) id: Text,
    pub(super) rep: Text,
    pub(super) currency: Currency,
    pub(super) amount: Decimal,
    pub(super) value: Decimal,
    pub(super) anchor: NaiveDate,
    pub(super) policy: &'p Program,
    pub(super) def: &'p CommissionDef,
    pub(super) record: Record,
}

/// An event of a deal, converted by the deal's plan version.
pub(super) struct Event {
    pub(super) index: usize,
    pub(super) line: usize,
    pub(super) id: Text,
    pub(super) kind: EventType,
    pub(super) date: NaiveDate,
    pub(super) record: Record,
}

/// State of a deal at the end of day M of its retention bonus.
pub(super) struct AtDayM {
    active: bool,
    remaining: Decimal,
}

/// Replays a deal's events in date order, filling their lines; returns the
/// state at the end of the retention bonus's day M.
pub(super) fn simulate(deal: &Deal<'_>, evs: &[Event], sink: &mut dyn Sink) -> Option<AtDayM> {
    let def = deal.def;
    let minor = deal.currency.minor_units();
    let mut remaining = deal.value;
    let mut active = true;
    let mut clawed = Decimal::ZERO;
    let mut last_cancel: Option<(Text, Decimal)> = None;
    let retention_day = def
        .retention
        .as_ref()
        .and_then(|r| date_field(deal, r.anchor).map(|a| (a, r.days)));
    let mut at_m: Option<AtDayM> = None;
    for e in evs {
        let days = (e.date - deal.anchor).num_days();
        if let (Some((anchor, m)), None) = (retention_day, &at_m) {
            if (e.date - anchor).num_days() > m {
                at_m = Some(AtDayM { active, remaining });
            }
        }
        let mut line = base_line(deal, e, days);
        let verb = match e.kind {
            EventType::Cancellation => "cancelled",
            EventType::Downgrade => "downgraded",
            EventType::Reinstatement => "reinstated",
            EventType::Upgrade => "upgrade",
        };
        let result: Result<(), String> = (|| {
            if days < 0 {
                return Err(format!(
                    "the event ({}) comes before the deal's anchor date {}",
                    e.date, deal.anchor
                ));
            }
            // `today` is the event's date: the plan's `let`s on that date.
            let computed = deal.policy.lets.computed_on(e.date);
            let lets = computed.as_deref().unwrap_or(deal.policy.lets.fixed());
            let env = Env {
                fields: &deal.record.values,
                other: &e.record.values,
                locals: &[],
                today: e.date,
                lets,
            };
            match e.kind {
                EventType::Cancellation | EventType::Downgrade => {
                    if !active {
                        return Err(format!("deal {} is already cancelled", deal.id));
                    }
                    let part = if e.kind == EventType::Cancellation {
                        remaining
                    } else {
                        let lost = money(&e.record, E::LOST)
                            .ok_or("field `lost_value` is required for a downgrade")?;
                        if lost <= Decimal::ZERO {
                            return Err("field `lost_value` must be positive".into());
                        }
                        if lost > remaining {
                            return Err(format!(
                                "lost value {} exceeds the remaining value {}",
                                format_money(lost, deal.currency),
                                format_money(remaining, deal.currency)
                            ));
                        }
                        lost
                    };
                    let status = clawback_line(deal, e, &env, days, part, clawed, &mut line, verb)?;
                    if let Some(a) = line.amount {
                        clawed -= a;
                    }
                    // The state changes whatever the ledger status.
                    if e.kind == EventType::Cancellation {
                        active = false;
                        last_cancel =
                            Some((e.id.clone(), line.amount.map_or(Decimal::ZERO, |a| -a)));
                    } else {
                        remaining -= part;
                    }
                    line.status = status;
                }
                EventType::Reinstatement => {
                    if active {
                        return Err(format!(
                            "deal {} is active: there is no cancellation to reinstate",
                            deal.id
                        ));
                    }
                    let (undone, reversed) = last_cancel.clone().unwrap_or_default();
                    let window = def.clawback.as_ref().map_or(0, |c| c.window);
                    if def.clawback.is_none() || days > window {
                        line.status = Status::OutsideWindow;
                        line.amount = Some(zero(minor));
                        line.explanation = format!("{verb} on day {days}: outside the {window}-day window; the clawback of {undone} stands");
                    } else {
                        let amt = reversed.round_dp(minor);
                        line.status = Status::Applied;
                        line.amount = Some(fixed(amt, minor));
                        line.explanation = format!(
                            "{verb} on day {days}: reverses {undone} (+{})",
                            format_money(amt, deal.currency)
                        );
                        clawed -= amt;
                    }
                    active = true;
                }
                EventType::Upgrade => {
                    if !active {
                        return Err(format!(
                            "deal {} is cancelled: an upgrade needs an active deal",
                            deal.id
                        ));
                    }
                    if money(&e.record, E::ADDED).is_some_and(|a| a <= Decimal::ZERO) {
                        return Err("field `added_value` must be positive".into());
                    }
                    upgrade_line(deal, e, &env, days, &mut line)?;
                }
            }
            Ok(())
        })();
        if let Err(msg) = result {
            line = error_line(
                &deal.id,
                &deal.rep,
                &e.id,
                kind_label(e.kind),
                (Input::Events, e.line),
                &msg,
                Some(deal.currency),
            );
            line.policy = deal.policy.name.as_str().into();
            line.version = Some(deal.policy.version);
            line.days_retained = Some(days);
        }
        sink.event_line(e.index, line);
    }
    match (retention_day, at_m) {
        (Some(_), None) => Some(AtDayM { active, remaining }),
        (_, at_m) => at_m,
    }
}

fn date_field(deal: &Deal<'_>, slot: u16) -> Option<NaiveDate> {
    date(&deal.record, slot)
}

fn zero(minor: u32) -> Decimal {
    let mut z = Decimal::ZERO;
    z.rescale(minor);
    z
}

fn fixed(d: Decimal, minor: u32) -> Decimal {
    let mut d = d;
    if d.is_zero() {
        d = Decimal::ZERO;
    }
    d.rescale(minor);
    d
}

fn base_line(deal: &Deal<'_>, e: &Event, days: i64) -> LedgerLine {
    LedgerLine {
        deal: deal.id.clone(),
        rep: deal.rep.clone(),
        event: e.id.clone(),
        kind: kind_label(e.kind).into(),
        status: Status::Applied,
        policy: deal.policy.name.as_str().into(),
        version: Some(deal.policy.version),
        days_retained: Some(days),
        rate: None,
        base: None,
        rate_text: Text::default(),
        base_text: Text::default(),
        amount: Some(zero(deal.currency.minor_units())),
        currency: deal.currency.as_str().into(),
        explanation: String::new(),
        line: e.line,
    }
}

/// The error of a computation that leaves the decimal range, naming what
/// it was computed from.
fn out_of_range(what: &str) -> String {
    format!("{what} does not fit the decimal range")
}

/// `amount × part / deal_value` exactly: the share of the commission on
/// `part` of the contract value. The ratio first, so that a cancellation
/// (`part` = `deal_value`) multiplies by one.
fn share(deal: &Deal<'_>, part: Decimal) -> Option<Frac> {
    Frac::from_decimal(part)?
        .checked_div(Frac::from_decimal(deal.value)?)?
        .checked_mul(Frac::from_decimal(deal.amount)?)
}

#[allow(clippy::too_many_arguments)]
fn clawback_line(
    deal: &Deal<'_>,
    e: &Event,
    env: &Env<'_>,
    days: i64,
    part: Decimal,
    clawed: Decimal,
    line: &mut LedgerLine,
    verb: &str,
) -> Result<Status, String> {
    let minor = deal.currency.minor_units();
    let Some(c) = &deal.def.clawback else {
        line.explanation = format!("{verb} on day {days}: the plan has no clawback");
        return Ok(Status::OutsideWindow);
    };
    if days > c.window {
        line.explanation = format!("{verb} on day {days}: outside the {}-day window", c.window);
        return Ok(Status::OutsideWindow);
    }
    if let Some(except) = &c.except {
        if except
            .eval_bool(env)
            .map_err(|err| format!("except when: {err}"))?
            == Some(true)
        {
            let reason = text(&e.record, E::REASON)
                .map_or_else(|| "except when".to_string(), |r| format!("reason {r}"));
            line.explanation = format!("{verb} on day {days}: excluded ({reason})");
            return Ok(Status::Excluded);
        }
    }
    // The explanation is built as the line is computed, with pushes rather
    // than the formatting machinery (one of these per clawback line):
    // "cancelled on day 42 of 90 (band 31-60: 50%) × 2500.00 = -1250.00".
    let mut x = String::with_capacity(96);
    x.push_str(verb);
    x.push_str(" on day ");
    push_i64(&mut x, days);
    x.push_str(" of ");
    push_i64(&mut x, c.window);
    x.push_str(" (");
    let part_name = if e.kind == EventType::Cancellation {
        "the remaining value"
    } else {
        "`lost_value`"
    };
    let overflow = || {
        out_of_range(&format!(
            "the clawback (rate × `amount` × {part_name} / `deal_value`)"
        ))
    };
    let rate = match &c.schedule {
        Schedule::Prorated => {
            x.push_str("prorated ");
            push_i64(&mut x, c.window - days);
            x.push('/');
            push_i64(&mut x, c.window);
            Frac::new(i128::from(c.window - days), i128::from(c.window)).ok_or_else(overflow)?
        }
        Schedule::Bands(bands) => {
            let (from, to, r) = bands
                .iter()
                .find(|(a, b, _)| (*a..=*b).contains(&days))
                .copied()
                .ok_or_else(|| format!("no band covers day {days}"))?;
            x.push_str("band ");
            push_i64(&mut x, from);
            x.push('-');
            push_i64(&mut x, to);
            x.push_str(": ");
            x.push_str(&format_decimal(r * Decimal::ONE_HUNDRED));
            x.push('%');
            Frac::from_decimal(r).ok_or_else(overflow)?
        }
    };
    let base = share(deal, part).ok_or_else(overflow)?;
    let base_shown = base.round(minor, deal.def.rounding).ok_or_else(overflow)?;
    show(line, rate, base, base_shown, deal.currency);
    if clawed >= deal.amount {
        line.explanation = format!(
            "{verb} on day {days}: nothing left to claw back ({} already clawed back)",
            format_money(clawed, deal.currency)
        );
        return Ok(Status::NothingLeft);
    }
    let exact = rate.checked_mul(base).ok_or_else(overflow)?;
    let full = exact.round(minor, deal.def.rounding).ok_or_else(overflow)?;
    let left = deal.amount - clawed;
    let (amount, cut) = if full > left {
        (left, true)
    } else {
        (full, false)
    };
    let amount = fixed(-amount, minor);
    line.amount = Some(amount);
    x.push_str(") × ");
    x.push_str(&line.base_text); // the base, as `show` printed it
    x.push_str(" = ");
    x.push_str(&format_money(amount, deal.currency));
    if cut {
        x.push_str(" (capped: ");
        x.push_str(&format_money(clawed, deal.currency));
        x.push_str(" of ");
        x.push_str(&format_money(deal.amount, deal.currency));
        x.push_str(" already clawed back)");
    }
    line.explanation = x;
    Ok(Status::Applied)
}

fn upgrade_line(
    deal: &Deal<'_>,
    e: &Event,
    env: &Env<'_>,
    days: i64,
    line: &mut LedgerLine,
) -> Result<(), String> {
    let minor = deal.currency.minor_units();
    for b in &deal.def.upgrades {
        let fires = match &b.when {
            None => Some(true),
            Some(w) => w
                .eval_bool(env)
                .map_err(|err| format!("bonus {}: {err}", b.name))?,
        };
        if fires != Some(true) {
            continue;
        }
        let base = match b
            .base
            .eval(env)
            .map_err(|err| format!("bonus {}: {err}", b.name))?
        {
            Val::Money(m) if m.currency == deal.currency => m.amount,
            Val::Money(m) => {
                return Err(format!(
                    "bonus {}: the base is in {}, the deal in {}",
                    b.name, m.currency, deal.currency
                ))
            }
            Val::Int(i) => Decimal::from(i),
            Val::Dec(d) => d,
            Val::Unknown => {
                return Err(format!(
                    "bonus {}: its base is unknown (a value is missing)",
                    b.name
                ))
            }
            _ => return Err(format!("bonus {}: the base is not an amount", b.name)),
        };
        let rep = match b
            .to
            .eval(env)
            .map_err(|err| format!("bonus {}: {err}", b.name))?
        {
            Val::Text(t) if !t.trim().is_empty() => t.to_string(),
            _ => {
                return Err(format!(
                    "bonus {}: no rep to pay (the recipient is missing)",
                    b.name
                ))
            }
        };
        let overflow = || {
            let field = match &b.base {
                Expr::Field(slot) => deal.def.deal.field(*slot).map(|f| f.name.as_str()),
                Expr::Other(slot) => deal.def.event.field(*slot).map(|f| f.name.as_str()),
                _ => None,
            };
            out_of_range(&match field {
                Some(f) => format!("bonus {}: {} × `{f}`", b.name, percent(b.rate)),
                None => format!("bonus {}: {} × its base", b.name, percent(b.rate)),
            })
        };
        let rate = Frac::from_decimal(b.rate).ok_or_else(overflow)?;
        let base_f = Frac::from_decimal(base).ok_or_else(overflow)?;
        // The base is shown at the minor unit: it must fit there too.
        base_f
            .round(minor, deal.def.rounding)
            .ok_or_else(overflow)?;
        let amount = fixed(
            rate.checked_mul(base_f)
                .and_then(|x| x.round(minor, deal.def.rounding))
                .ok_or_else(overflow)?,
            minor,
        );
        line.kind = compact_str::format_compact!("bonus:{}", b.name);
        line.rep = rep.into();
        show(line, rate, base_f, base, deal.currency);
        line.amount = Some(amount);
        line.explanation = format!(
            "{}: {} × {} = {}",
            b.name.replace('_', " "),
            percent(b.rate),
            format_money(base, deal.currency),
            format_money(amount, deal.currency)
        );
        line.status = Status::Applied;
        return Ok(());
    }
    let _ = e;
    line.status = Status::NotEligible;
    line.explanation = format!("upgrade on day {days}: no bonus rule applies");
    Ok(())
}

/// The retention bonus line of a deal: `None` unless the bonus is due
/// before `as_of` and the deal is active at the end of its day M; an
/// error line when its amount does not fit the decimal range.
pub(super) fn retention(
    deal: &Deal<'_>,
    at_m: Option<AtDayM>,
    as_of: NaiveDate,
) -> Option<LedgerLine> {
    let r = deal.def.retention.as_ref()?;
    let anchor = date_field(deal, r.anchor)?;
    let due = anchor.checked_add_days(chrono::Days::new(u64::try_from(r.days).ok()?))?;
    let state = at_m?;
    if as_of <= due || !state.active {
        return None;
    }
    let minor = deal.currency.minor_units();
    let computed = (|| {
        let rate = Frac::from_decimal(r.rate)?;
        let base = share(deal, state.remaining)?;
        let amount = fixed(
            rate.checked_mul(base)?.round(minor, deal.def.rounding)?,
            minor,
        );
        let base_shown = format_money(base.round(minor, deal.def.rounding)?, deal.currency);
        Some((rate, base, amount, base_shown))
    })();
    let Some((rate, base, amount, base_shown)) = computed else {
        let what = format!(
            "bonus {}: {} × `amount` × the remaining value / `deal_value`",
            r.kind.strip_prefix("bonus:").unwrap_or(&r.kind),
            r.percent
        );
        let mut line = error_line(
            &deal.id,
            &deal.rep,
            "",
            &r.kind,
            (Input::Deals, deal.line),
            &out_of_range(&what),
            Some(deal.currency),
        );
        line.policy = deal.policy.name.as_str().into();
        line.version = Some(deal.policy.version);
        return Some(line);
    };
    // "retained 90 days after 2026-03-01: 2% × 4500.00 = 90.00", built
    // without the formatting machinery (one line per deal of a large run).
    let mut explanation = String::with_capacity(64);
    explanation.push_str("retained ");
    push_i64(&mut explanation, r.days);
    explanation.push_str(" days after ");
    push_date(&mut explanation, anchor);
    explanation.push_str(": ");
    explanation.push_str(&r.percent);
    explanation.push_str(" × ");
    explanation.push_str(&base_shown);
    explanation.push_str(" = ");
    explanation.push_str(&format_money(amount, deal.currency));
    Some(LedgerLine {
        deal: deal.id.clone(),
        rep: deal.rep.clone(),
        event: Text::default(),
        kind: r.kind.as_str().into(),
        status: Status::Applied,
        policy: deal.policy.name.as_str().into(),
        version: Some(deal.policy.version),
        days_retained: None,
        rate: Some(rate),
        base: Some(base),
        rate_text: r.rate_text.as_str().into(),
        base_text: base_shown.into(),
        amount: Some(amount),
        currency: deal.currency.as_str().into(),
        explanation,
        line: deal.line,
    })
}
