//! The ledger engine: deals and events in, one line per event and per
//! retention bonus out, each amount exact and explained (LANGUAGE.md §8).
//! Events wait, grouped by deal id, for their deal; each deal row is
//! admitted (an id, not repeated), parsed with its events under the plan
//! version that governs it, and replayed. [`run`] collects the whole
//! ledger in memory.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::ledger::SummaryRow;
use super::line::{error_line, kind_label, LedgerLine, Sink};
use super::replay::{retention, simulate, Deal, Event};
use super::table::{cell, convert, date, money, Deals, Events, FastMap, Lookup};
use crate::io::{Item, Row};
use crate::program::commission::{deal_slot as D, event_slot as E, EventType};
use crate::program::versions::Versions;
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
    /// The summary per rep and currency (CLI.md `--summary`).
    pub fn summary(&self) -> Vec<SummaryRow> {
        super::summarize(&self.paid, &self.lines)
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
    collect(set, deals, events, as_of, pinned)
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

fn collect(
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
            let msg = "the deal has no `deal` id".to_string();
            return Err(Box::new(error_line("", &rep, "", "", item.line, msg, None)));
        }
        if let Some(&first) = self.seen.get(id.as_ref()) {
            let rep = cell(row, dc.fixed(1), "rep").unwrap_or_default();
            let msg = format!(
                "deal {} is repeated (first on line {first}); the first row stands",
                clip(&id)
            );
            let currency = cell(row, dc.fixed(2), "currency").and_then(|c| Currency::parse(&c));
            return Err(Box::new(error_line(
                &id, &rep, "", "", item.line, msg, currency,
            )));
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
                        error_line("", "", "", "", item.line, msg.clone(), None),
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
                    item.line,
                    "the event names no `deal`".into(),
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
                sink.deal_line(error_line("", "", "", "", item.line, msg.clone(), None));
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
                    p.line,
                    msg,
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
                                p.line,
                                msg,
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
                let currency = Currency::parse(&cur_text);
                for p in events {
                    let l = error_line(
                        &id,
                        &rep,
                        &p.id,
                        p.kind.map_or("", kind_label),
                        p.line,
                        format!("deal {}: {msg}", clip(&id)),
                        currency,
                    );
                    sink.event_line(p.index, l);
                }
                sink.deal_line(error_line(
                    &id,
                    &rep,
                    "",
                    "",
                    item.line,
                    format!("deal {}: {msg}", clip(&id)),
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

    fn parse_deal(
        &self,
        item: &Item,
        row: &Row,
        dc: &Lookup,
        id: &str,
        rep: &str,
        cur_text: &str,
    ) -> Result<Deal<'a>, String> {
        let set: &'a Versions = self.set;
        let anchor_name = &self.anchor_name;
        let currency = Currency::parse(cur_text).ok_or_else(|| {
            format!(
                "field `currency`: {:?} is not a currency code",
                clip(cur_text)
            )
        })?;
        let anchor_text = cell(row, dc.fixed(3), anchor_name)
            .ok_or_else(|| format!("field `{anchor_name}` is required but absent"))?;
        let anchor_date = parse_date(&anchor_text).ok_or_else(|| {
            format!(
                "field `{anchor_name}`: {:?} is not a date",
                clip(&anchor_text)
            )
        })?;
        let found = if self.pinned {
            set.latest()
        } else {
            set.in_force(anchor_date)
        };
        let policy = found.ok_or_else(|| {
            format!(
                "no version of the commission policy is in force on {anchor_date} ({anchor_name})"
            )
        })?;
        let def = policy.commission.as_ref().ok_or_else(|| {
            format!(
                "version {} of policy `{}` has no `commission` block",
                policy.version, policy.name
            )
        })?;
        let record = convert(&def.deal, row, dc.schema(&def.deal), currency, &[])?;
        let amount = money(&record, D::AMOUNT).unwrap_or_default();
        let value = money(&record, D::VALUE).unwrap_or_default();
        if value <= Decimal::ZERO {
            return Err("field `deal_value` must be positive".to_string());
        }
        if amount < Decimal::ZERO {
            return Err("field `amount` cannot be negative".to_string());
        }
        let anchor =
            date(&record, def.anchor).ok_or_else(|| "the deal has no anchor date".to_string())?;
        Ok(Deal {
            line: item.line,
            id: id.into(),
            rep: rep.into(),
            currency,
            amount,
            value,
            anchor,
            policy,
            def,
            record,
        })
    }

    /// An event of `deal`, converted by its plan; `earlier`: the ids of
    /// this deal's events already taken.
    fn parse_event<'p>(
        &self,
        deal: &Deal<'_>,
        p: &'p Pending<'_>,
        earlier: &mut Vec<(&'p str, usize)>,
    ) -> Result<Event, String> {
        if p.id.is_empty() {
            return Err("the event has no `event` id".into());
        }
        let Some(kind) = p.kind else {
            return Err(format!(
                "unknown event type {:?} (cancellation, downgrade, reinstatement or upgrade)",
                clip(&p.type_text)
            ));
        };
        if let Some((_, first)) = earlier.iter().find(|(id, _)| *id == p.id.as_ref()) {
            return Err(format!(
                "event {} of deal {} is repeated (first on line {first})",
                clip(&p.id),
                clip(&deal.id)
            ));
        }
        earlier.push((p.id.as_ref(), p.line));
        let on_text = cell(p.row, self.event_cols.fixed(3), "on").unwrap_or_default();
        let tz = deal.policy.timezone;
        let on = parse_date(&on_text).or_else(|| {
            parse_timestamp(&on_text)
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|t| t.with_timezone(&tz).date_naive())
        });
        let on = on.ok_or_else(|| {
            format!(
                "field `on`: {:?} is not a date or a timestamp",
                clip(&on_text)
            )
        })?;
        let cols = self.event_cols.schema(&deal.def.event);
        let mut record = convert(&deal.def.event, p.row, cols, deal.currency, &[E::ON])?;
        if let Some(s) = record.values.get_mut(usize::from(E::ON)) {
            *s = Some(Value::Date(on));
        }
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
