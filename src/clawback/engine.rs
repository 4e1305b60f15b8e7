//! The ledger engine: deals and events in, one line per event and per
//! retention bonus out, each amount exact and explained (LANGUAGE.md §8).
//! Events wait, grouped by deal id, for their deal; each deal row is
//! admitted (an id, not repeated), parsed with its events under the plan
//! version that governs it, and replayed. [`run`] collects the whole
//! ledger in memory.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::line::{error_line, kind_label, Input, LedgerLine, Sink};
use super::replay::{retention, simulate, Deal, Event};
use super::summary::{SummaryError, SummaryRow};
use super::table::{
    cell, convert, date, date_in_zone, join_errors, money, Conversion, Deals, Events, FastMap,
    Lookup,
};
use crate::io::{Item, Row};
use crate::program::commission::{deal_slot as D, event_slot as E, EventType};
use crate::program::versions::Versions;
use crate::program::Program;
use crate::record::{parse_date, parse_timestamp};
use crate::value::{clip, Currency, Text, Value};

/// The computed ledger.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Lines: one per event row (input order), then one per deal row that
    /// is an error or earns a retention bonus (deals order).
    pub lines: Vec<LedgerLine>,
    /// Each valid deal's (rep, currency, amount paid), for the summary.
    pub paid: Vec<(String, String, Decimal)>,
}

impl Ledger {
    /// The summary per rep and currency (CLI.md `--summary`); `Err` when
    /// a sum leaves the decimal range.
    pub fn summary(&self) -> Result<Vec<SummaryRow>, SummaryError> {
        super::summarize(&self.paid, &self.lines)
    }
}

/// Collects everything into a [`Ledger`].
#[derive(Default)]
struct Collect {
    events: Vec<Option<LedgerLine>>,
    deals: Vec<LedgerLine>,
    paid: Vec<(String, String, Decimal)>,
}

impl Sink for Collect {
    fn event_line(&mut self, index: usize, line: LedgerLine) {
        if let Some(slot) = self.events.get_mut(index) {
            *slot = Some(line);
        }
    }
    fn deal_line(&mut self, line: LedgerLine) {
        self.deals.push(line);
    }
    fn paid(&mut self, rep: &str, currency: Currency, amount: Decimal) {
        self.paid
            .push((rep.to_string(), currency.to_string(), amount));
    }
}

/// Computes the ledger of `deals` and `events` under the plan versions of
/// `set`; `as_of` decides which retention bonuses are due. `pinned`: the
/// latest version of `set` governs every deal, whatever its anchor date
/// (`--version N`).
pub fn run(
    set: &Versions,
    deals: &Deals,
    events: &Events,
    as_of: NaiveDate,
    pinned: bool,
) -> Ledger {
    let mut sink = Collect {
        events: vec![None; events.items.len()],
        deals: Vec::with_capacity(deals.items.len()),
        paid: Vec::with_capacity(deals.items.len()),
    };
    let mut engine = Engine::new(set, events, as_of, pinned, &mut sink);
    for item in &deals.items {
        engine.deal(item, deals.header.as_ref(), &mut sink);
    }
    engine.finish(&mut sink);
    let mut lines = Vec::with_capacity(sink.events.len() + sink.deals.len());
    lines.extend(sink.events.into_iter().flatten());
    lines.append(&mut sink.deals);
    Ledger {
        lines,
        paid: sink.paid,
    }
}

/// An event row waiting for its deal: what can be read without the plan.
pub(super) struct Pending<'e> {
    index: usize,
    line: usize,
    row: &'e Row,
    id: std::borrow::Cow<'e, str>,
    type_text: std::borrow::Cow<'e, str>,
    kind: Option<EventType>,
}

/// The ledger computed deal by deal: the events are read first and wait,
/// grouped by deal id, for their deal row; each deal row is then handled
/// on its own (its events replayed, its retention bonus decided) and can be
/// dropped, so deals can stream from a file of any size.
pub struct Engine<'a> {
    pub(super) plan: Plan<'a>,
    pub(super) admission: Admission<'a>,
    /// Columns of the deals header: `deal`, `rep`, `currency`, the anchor.
    deal_cols: Option<Lookup>,
}

/// What admitting a deal row changes: the events still waiting for their
/// deal, and the deal ids seen.
pub(super) struct Admission<'a> {
    pending: FastMap<std::borrow::Cow<'a, str>, Vec<Pending<'a>>>,
    /// Deal ids seen, with the line of their first row.
    seen: FastMap<Text, usize>,
}

impl<'a> Admission<'a> {
    /// The checks that need the rows before this one: an id, not repeated.
    /// `Err`: the row's error line.
    pub(super) fn admit(
        &mut self,
        item: &Item,
        row: &Row,
        dc: &Lookup,
    ) -> Result<Admitted<'a>, Box<LedgerLine>> {
        let id = cell(row, dc.fixed(0), "deal").unwrap_or_default();
        if id.is_empty() {
            let rep = cell(row, dc.fixed(1), "rep").unwrap_or_default();
            let msg = "the deal has no `deal` id";
            let at = (Input::Deals, item.line);
            return Err(Box::new(error_line("", &rep, "", "", at, msg, None)));
        }
        if let Some(&first) = self.seen.get(id.as_ref()) {
            let rep = cell(row, dc.fixed(1), "rep").unwrap_or_default();
            let msg = format!(
                "deal {} is repeated (first on line {first}); the first row stands",
                clip(&id)
            );
            let currency = cell(row, dc.fixed(2), "currency").and_then(|c| payable(&c));
            let at = (Input::Deals, item.line);
            return Err(Box::new(error_line(&id, &rep, "", "", at, &msg, currency)));
        }
        self.seen.insert(Text::from(id.as_ref()), item.line);
        let events = self.pending.remove(id.as_ref()).unwrap_or_default();
        Ok(Admitted { events })
    }
}

/// What handling a deal needs that no deal changes: shared by the threads
/// of [`stream`](super::stream::stream).
pub(super) struct Plan<'a> {
    set: &'a Versions,
    as_of: NaiveDate,
    pinned: bool,
    anchor_name: String,
    /// Columns of the events header: `event`, `type`, `deal`, `on`.
    event_cols: Lookup,
}

/// A deal row that passed the checks needing every row seen before it
/// (an id, not repeated), with its events.
pub(super) struct Admitted<'a> {
    pub(super) events: Vec<Pending<'a>>,
}

impl<'a> Engine<'a> {
    /// Reads `events`; lines for rows that cannot belong to any deal go to
    /// `sink` at once. `pinned`: the latest version governs every deal.
    pub fn new(
        set: &'a Versions,
        events: &'a Events,
        as_of: NaiveDate,
        pinned: bool,
        sink: &mut dyn Sink,
    ) -> Engine<'a> {
        let anchor_name = set
            .latest()
            .and_then(|p| {
                p.commission
                    .as_ref()
                    .and_then(|c| c.deal.field(c.anchor).map(|f| f.name.clone()))
            })
            .unwrap_or_else(|| "closed_on".to_string());
        let eh = events.header.as_ref();
        let commissions = || set.all().iter().filter_map(|p| p.commission.as_ref());
        let ec = Lookup::new(
            eh,
            &["event", "type", "deal", "on"],
            commissions().map(|c| &*c.event),
        );
        let mut pending: FastMap<std::borrow::Cow<'a, str>, Vec<Pending<'a>>> = FastMap::default();
        for (index, item) in events.items.iter().enumerate() {
            let row = match &item.row {
                Ok(r) => r,
                Err(msg) => {
                    sink.event_line(
                        index,
                        error_line("", "", "", "", (Input::Events, item.line), msg, None),
                    );
                    continue;
                }
            };
            let id = cell(row, ec.fixed(0), "event").unwrap_or_default();
            let type_text = cell(row, ec.fixed(1), "type").unwrap_or_default();
            let kind = EventType::parse(&type_text);
            let Some(deal_id) = cell(row, ec.fixed(2), "deal") else {
                let kind_name = kind.map_or("", kind_label);
                let l = error_line(
                    "",
                    "",
                    &id,
                    kind_name,
                    (Input::Events, item.line),
                    "the event names no `deal`",
                    None,
                );
                sink.event_line(index, l);
                continue;
            };
            pending.entry(deal_id).or_default().push(Pending {
                index,
                line: item.line,
                row,
                id,
                type_text,
                kind,
            });
        }
        Engine {
            plan: Plan {
                set,
                as_of,
                pinned,
                anchor_name,
                event_cols: ec,
            },
            admission: Admission {
                pending,
                seen: FastMap::default(),
            },
            deal_cols: None,
        }
    }

    /// Handles one deal row: its error line, or its events' lines and its
    /// retention line.
    pub fn deal(&mut self, item: &Item, header: Option<&csv::StringRecord>, sink: &mut dyn Sink) {
        let row = match &item.row {
            Ok(r) => r,
            Err(msg) => {
                let at = (Input::Deals, item.line);
                sink.deal_line(error_line("", "", "", "", at, msg, None));
                return;
            }
        };
        let key = header.map_or(0, |h| std::ptr::from_ref(h) as usize);
        let dc = match self.deal_cols.take() {
            Some(dc) if dc.header == key => dc,
            _ => self.plan.deal_lookup(header),
        };
        match self.admission.admit(item, row, &dc) {
            Ok(admitted) => self.plan.process(item, row, &dc, &admitted.events, sink),
            Err(line) => sink.deal_line(*line),
        }
        self.deal_cols = Some(dc);
    }

    /// Lines for the events whose deal never came.
    pub fn finish(self, sink: &mut dyn Sink) {
        let mut left: Vec<Pending<'_>> = self.admission.pending.into_values().flatten().collect();
        left.sort_by_key(|p| p.index);
        for p in left {
            let deal_id = cell(p.row, self.plan.event_cols.fixed(2), "deal").unwrap_or_default();
            let msg = format!("unknown deal {}", clip(&deal_id));
            sink.event_line(
                p.index,
                error_line(
                    &deal_id,
                    "",
                    &p.id,
                    p.kind.map_or("", kind_label),
                    (Input::Events, p.line),
                    &msg,
                    None,
                ),
            );
        }
    }
}

impl<'a> Plan<'a> {
    /// Handles an admitted deal row: its events' lines and its retention
    /// line, or its error line and its events' error lines.
    pub(super) fn process(
        &self,
        item: &Item,
        row: &Row,
        dc: &Lookup,
        events: &[Pending<'_>],
        sink: &mut dyn Sink,
    ) {
        let id = cell(row, dc.fixed(0), "deal").unwrap_or_default();
        let rep = cell(row, dc.fixed(1), "rep").unwrap_or_default();
        let cur_text = cell(row, dc.fixed(2), "currency").unwrap_or_default();
        match self.parse_deal(item, row, dc, &id, &rep, &cur_text) {
            Ok(deal) => {
                sink.paid(&deal.rep, deal.currency, deal.amount);
                let mut evs = Vec::with_capacity(events.len());
                let mut ids: Vec<(&str, usize)> = Vec::with_capacity(events.len());
                for p in events {
                    match self.parse_event(&deal, p, &mut ids) {
                        Ok(e) => evs.push(e),
                        Err(msg) => {
                            let mut l = error_line(
                                &deal.id,
                                &deal.rep,
                                &p.id,
                                p.kind.map_or("", kind_label),
                                (Input::Events, p.line),
                                &msg,
                                Some(deal.currency),
                            );
                            l.policy = deal.policy.name.as_str().into();
                            l.version = Some(deal.policy.version);
                            sink.event_line(p.index, l);
                        }
                    }
                }
                evs.sort_by_key(|e| (e.date, e.index));
                let state = simulate(&deal, &evs, sink);
                if let Some(line) = retention(&deal, state, self.as_of) {
                    sink.deal_line(line);
                }
            }
            Err(msg) => {
                let currency = payable(&cur_text);
                let for_events = format!("deal {} (deals line {}): {msg}", clip(&id), item.line);
                for p in events {
                    let l = error_line(
                        &id,
                        &rep,
                        &p.id,
                        p.kind.map_or("", kind_label),
                        (Input::Events, p.line),
                        &for_events,
                        currency,
                    );
                    sink.event_line(p.index, l);
                }
                sink.deal_line(error_line(
                    &id,
                    &rep,
                    "",
                    "",
                    (Input::Deals, item.line),
                    &format!("deal {}: {msg}", clip(&id)),
                    currency,
                ));
            }
        }
    }

    /// Column positions of a deals header.
    pub(super) fn deal_lookup(&self, header: Option<&csv::StringRecord>) -> Lookup {
        let fixed = ["deal", "rep", "currency", self.anchor_name.as_str()];
        let schemas = self.set.all().iter().filter_map(|p| p.commission.as_ref());
        Lookup::new(header, &fixed, schemas.map(|c| &*c.deal))
    }

    /// A deal row under the version that governs it; `Err`: every bad
    /// field, in column order.
    fn parse_deal(
        &self,
        item: &Item,
        row: &Row,
        dc: &Lookup,
        id: &str,
        rep: &str,
        cur_text: &str,
    ) -> Result<Deal<'a>, String> {
        // A mapped export row with cells no conversion read.
        if let Row::Unmapped(_, why) = row {
            return Err(why.clone());
        }
        let set: &'a Versions = self.set;
        let anchor_name = &self.anchor_name;
        let mut errors: Vec<(u16, String)> = Vec::new();
        let currency = match Currency::parse(cur_text) {
            Some(c) => match c.not_payable() {
                None => Some(c),
                Some(why) => {
                    errors.push((D::CURRENCY, format!("field `currency`: {why}")));
                    None
                }
            },
            None => {
                errors.push((
                    D::CURRENCY,
                    format!(
                        "field `currency`: {:?} is not a currency code",
                        clip(cur_text)
                    ),
                ));
                None
            }
        };
        // The anchor picks the version; a timestamp is the instant's date
        // in the zone of the version in force then.
        let anchor = match cell(row, dc.fixed(3), anchor_name) {
            None => Err(format!("field `{anchor_name}` is required but absent")),
            Some(text) => self.anchor(&text).ok_or_else(|| {
                format!("field `{anchor_name}`: {text:?} is not a date or a timestamp")
            }),
        };
        let governing = anchor.and_then(|(date, found)| {
            let policy = found.ok_or_else(|| {
                format!("no version of the commission policy is in force on {date} ({anchor_name})")
            })?;
            let def = policy.commission.as_ref().ok_or_else(|| {
                format!(
                    "version {} of policy `{}` has no `commission` block",
                    policy.version, policy.name
                )
            })?;
            Ok((date, policy, def))
        });
        // Without a governing version, the fixed columns are still checked
        // (by the latest plan) so that every bad field is reported.
        let (checked, fallback) = match &governing {
            Ok((_, policy, def)) => (Some((*policy, *def)), false),
            Err(msg) => {
                let slot = set
                    .latest()
                    .and_then(|p| p.commission.as_ref())
                    .and_then(|c| c.deal.slot(anchor_name))
                    .unwrap_or(D::CLOSED_ON);
                errors.push((slot, msg.clone()));
                let latest = set
                    .latest()
                    .and_then(|p| p.commission.as_ref().map(|c| (p, c)));
                (latest, true)
            }
        };
        let Some((policy, def)) = checked else {
            return Err(join_errors(errors));
        };
        let anchor_slot = def.deal.slot(anchor_name);
        let mut skip: Vec<u16> = anchor_slot.into_iter().collect();
        if fallback {
            let fixed = D::CLOSED_ON + 1;
            skip.extend((fixed..).take(def.deal.fields.len().saturating_sub(usize::from(fixed))));
        }
        let how = Conversion {
            currency,
            skip: &skip,
            paid: &[D::AMOUNT, D::VALUE],
            zone: policy.timezone,
        };
        let mut converted = convert(&def.deal, row, dc.schema(&def.deal), &how);
        if let (Some(slot), Ok((date, ..))) = (anchor_slot, &governing) {
            if let Some(s) = converted.values.get_mut(usize::from(slot)) {
                *s = Some(Value::Date(*date));
            }
        }
        errors.append(&mut converted.errors);
        let record = def.deal.record(converted.values);
        let amount = money(&record, D::AMOUNT);
        let value = money(&record, D::VALUE);
        if value.is_some_and(|v| v <= Decimal::ZERO) {
            errors.push((D::VALUE, "field `deal_value` must be positive".to_string()));
        }
        if amount.is_some_and(|a| a < Decimal::ZERO) {
            errors.push((D::AMOUNT, "field `amount` cannot be negative".to_string()));
        }
        let (Ok((_, policy, def)), Some(currency), true) = (governing, currency, errors.is_empty())
        else {
            return Err(join_errors(errors));
        };
        let anchor =
            date(&record, def.anchor).ok_or_else(|| "the deal has no anchor date".to_string())?;
        Ok(Deal {
            line: item.line,
            id: id.into(),
            rep: rep.into(),
            currency,
            amount: amount.unwrap_or_default(),
            value: value.unwrap_or_default(),
            anchor,
            policy,
            def,
            record,
        })
    }

    /// The anchor date a cell gives, with the version in force on it (the
    /// pinned one with `--version`): a date as it is, a timestamp as its
    /// date in the zone of the version in force at that instant. `None`:
    /// neither a date nor a timestamp.
    fn anchor(&self, text: &str) -> Option<(NaiveDate, Option<&'a Arc<Program>>)> {
        let set: &'a Versions = self.set;
        if let Some(date) = parse_date(text) {
            let found = if self.pinned {
                set.latest()
            } else {
                set.in_force(date)
            };
            return Some((date, found));
        }
        let instant = chrono::DateTime::from_timestamp(parse_timestamp(text)?, 0)?;
        let date_in = |p: &Program| instant.with_timezone(&p.timezone).date_naive();
        if self.pinned {
            let latest = set.latest();
            let zone = latest.map_or(chrono_tz::UTC, |p| p.timezone);
            return Some((instant.with_timezone(&zone).date_naive(), latest));
        }
        // Each version's effective date is read in its own zone; with no
        // version in force, the date is the latest version's.
        match set.all().iter().rev().find(|p| p.effective <= date_in(p)) {
            Some(p) => Some((date_in(p), Some(p))),
            None => {
                let zone = set.timezone();
                Some((instant.with_timezone(&zone).date_naive(), None))
            }
        }
    }

    /// An event of `deal`, converted by its plan; `earlier`: the ids of
    /// this deal's events already taken.
    fn parse_event<'p>(
        &self,
        deal: &Deal<'_>,
        p: &'p Pending<'_>,
        earlier: &mut Vec<(&'p str, usize)>,
    ) -> Result<Event, String> {
        if let Row::Unmapped(_, why) = p.row {
            return Err(why.clone());
        }
        if p.id.is_empty() {
            return Err("the event has no `event` id".into());
        }
        let Some(kind) = p.kind else {
            return Err(format!(
                "unknown event type {:?} (cancellation, downgrade, reinstatement or upgrade)",
                p.type_text
            ));
        };
        if let Some((_, first)) = earlier.iter().find(|(id, _)| *id == p.id.as_ref()) {
            return Err(format!(
                "event {} of deal {} is repeated (first on line {first})",
                p.id, deal.id
            ));
        }
        earlier.push((p.id.as_ref(), p.line));
        let on_text = cell(p.row, self.event_cols.fixed(3), "on").unwrap_or_default();
        let zone = deal.policy.timezone;
        let mut errors = Vec::new();
        let on = date_in_zone(&on_text, zone);
        if on.is_none() {
            errors.push((
                E::ON,
                format!(
                    "field `on`: {:?} is not a date or a timestamp",
                    clip(&on_text)
                ),
            ));
        }
        let cols = self.event_cols.schema(&deal.def.event);
        let how = Conversion {
            currency: Some(deal.currency),
            skip: &[E::ON],
            paid: &[E::LOST, E::ADDED],
            zone,
        };
        let mut converted = convert(&deal.def.event, p.row, cols, &how);
        errors.append(&mut converted.errors);
        let Some(on) = on.filter(|_| errors.is_empty()) else {
            return Err(join_errors(errors));
        };
        if let Some(s) = converted.values.get_mut(usize::from(E::ON)) {
            *s = Some(Value::Date(on));
        }
        let record = deal.def.event.record(converted.values);
        Ok(Event {
            index: p.index,
            line: p.line,
            id: p.id.as_ref().into(),
            kind,
            date: on,
            record,
        })
    }
}

/// The deal's currency when it is one money can be paid in (for the
/// currency cell of its error lines).
fn payable(text: &str) -> Option<Currency> {
    Currency::parse(text).filter(|c| c.not_payable().is_none())
}
