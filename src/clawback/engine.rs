//! The ledger: deals and events in, one line per event and per retention
//! bonus out, each amount exact and explained (LANGUAGE.md §8).

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::io::{Item, Row};
pub use crate::program::commission::Status;
use crate::program::commission::{
    deal_slot as D, event_slot as E, percent, rate_text, CommissionDef, EventType, Schedule,
};
use crate::program::eval::Env;
use crate::program::exact::Frac;
use crate::program::versions::Versions;
use crate::program::Program;
use crate::record::{convert_json, convert_text, parse_date, parse_timestamp, Record, Schema};
use crate::value::{format_decimal, format_money, Currency, Text, Val, Value};

/// Rows of an input file and its CSV header (deals or events).
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The rows with their lines.
    pub items: Vec<Item>,
    /// The CSV header, for CSV input.
    pub header: Option<csv::StringRecord>,
}

impl Table {
    /// Reads a whole input in `format` (CSV, JSON lines or a JSON array).
    /// Fails only when the input cannot be read at all; a malformed row
    /// becomes an error line of the ledger.
    pub fn read(mut reader: crate::io::Reader) -> Result<Table, String> {
        let mut items = Vec::new();
        while let Some(item) = reader.next_item() {
            items.push(item?);
        }
        Ok(Table {
            items,
            header: reader.header,
        })
    }

    /// Rows given as JSON objects (a service's own data through serde);
    /// line numbers count from 1 in the order given.
    ///
    /// ```
    /// use baton::Table;
    /// let deals = Table::from_json([serde_json::json!({"deal": "D-1", "rep": "ana",
    ///     "amount": "900.00", "currency": "USD", "deal_value": "30000", "closed_on": "2026-03-01"})]);
    /// assert_eq!(deals.items.len(), 1);
    /// ```
    pub fn from_json(rows: impl IntoIterator<Item = serde_json::Value>) -> Table {
        let items = rows
            .into_iter()
            .enumerate()
            .map(|(i, v)| Item {
                line: i + 1,
                row: Ok(Row::Json(v)),
            })
            .collect();
        Table {
            items,
            header: None,
        }
    }
}

/// The deals input.
pub type Deals = Table;
/// The events input.
pub type Events = Table;

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

struct Deal<'p> {
    line: usize,
    id: Text,
    rep: Text,
    currency: Currency,
    amount: Decimal,
    value: Decimal,
    anchor: NaiveDate,
    policy: &'p Program,
    def: &'p CommissionDef,
    record: Record,
}

struct Event {
    index: usize,
    line: usize,
    id: Text,
    kind: EventType,
    date: NaiveDate,
    record: Record,
}

/// A hash map with a fast, non-cryptographic hasher (FxHash's multiply-
/// rotate, then a SplitMix64 finaliser): keys are deal and event ids from the user's own files, so
/// SipHash's protection against crafted collisions buys nothing here.
type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

#[derive(Default)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            for (w, b) in word.iter_mut().zip(chunk) {
                *w = *b;
            }
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        // SplitMix64's finaliser: every input bit reaches the low bits the
        // table indexes by (ids such as `D-000123` differ only in their
        // last bytes).
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Column positions in a CSV header, resolved once per header rather than
/// once per cell: the fixed columns asked for, then each plan version's
/// schema fields (by the schema's address).
struct Lookup {
    header: usize,
    fixed: Vec<Option<usize>>,
    schemas: Vec<(usize, Vec<Option<usize>>)>,
}

impl Lookup {
    fn new<'s>(
        header: Option<&csv::StringRecord>,
        fixed: &[&str],
        schemas: impl Iterator<Item = &'s Schema>,
    ) -> Lookup {
        let col = |name: &str| header.and_then(|h| h.iter().position(|c| c.trim() == name));
        Lookup {
            header: header.map_or(0, |h| std::ptr::from_ref(h) as usize),
            fixed: fixed.iter().map(|n| col(n)).collect(),
            schemas: schemas
                .map(|s| {
                    let cols = s.fields.iter().map(|f| col(&f.name)).collect();
                    (std::ptr::from_ref(s) as usize, cols)
                })
                .collect(),
        }
    }

    fn fixed(&self, i: usize) -> Option<usize> {
        self.fixed.get(i).copied().flatten()
    }

    fn schema(&self, s: &Schema) -> &[Option<usize>] {
        let key = std::ptr::from_ref(s) as usize;
        self.schemas
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(&[], |(_, c)| c.as_slice())
    }
}

/// A cell, trimmed; `None` when absent or blank. CSV cells are found by
/// their column, JSON values by name. Borrowed from the row: no allocation
/// for CSV cells and JSON strings.
fn cell<'a>(row: &'a Row, col: Option<usize>, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow;
    let text = match row {
        Row::Csv(rec) => Cow::Borrowed(crate::record::trim_text(rec.get(col?)?)),
        Row::Json(v) => match v.get(name)? {
            serde_json::Value::String(s) => Cow::Borrowed(crate::record::trim_text(s)),
            serde_json::Value::Null => return None,
            other => Cow::Owned(other.to_string().trim().to_string()),
        },
    };
    (!text.is_empty()).then_some(text)
}

/// Converts a row by a schema; bare amounts are in `currency`, and every
/// money field must be in it.
fn convert(
    schema: &Schema,
    row: &Row,
    cols: &[Option<usize>],
    currency: Currency,
    skip: &[u16],
) -> Result<Record, String> {
    let mut values = vec![None; schema.fields.len()];
    let mut errors = Vec::new();
    for (i, f) in schema.fields.iter().enumerate() {
        let slot = u16::try_from(i).unwrap_or(u16::MAX);
        if skip.contains(&slot) {
            continue;
        }
        let converted = match row {
            Row::Json(v) => match v.get(&f.name) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
                Some(j) => Some(
                    convert_json(f.ty, j, Some(currency))
                        .map_err(|e| format!("field `{}`: {j} is not {e}", f.name)),
                ),
            },
            Row::Csv(_) => cell(row, cols.get(i).copied().flatten(), &f.name).map(|t| {
                convert_text(f.ty, &t, Some(currency))
                    .map_err(|e| format!("field `{}`: {t:?} is not {e}", f.name))
            }),
        };
        match converted {
            None if f.optional => {}
            None => errors.push(format!("field `{}` is required but absent", f.name)),
            Some(Err(e)) => errors.push(e),
            Some(Ok(Value::Money(m))) if m.currency != currency => errors.push(format!(
                "field `{}`: {} {} is not in the deal's currency {currency}",
                f.name,
                format_decimal(m.amount),
                m.currency
            )),
            Some(Ok(v)) => {
                if let Some(s) = values.get_mut(i) {
                    *s = Some(v);
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(schema.record(values))
    } else {
        Err(errors.join("; "))
    }
}

fn money(r: &Record, slot: u16) -> Option<Decimal> {
    match r.values.get(usize::from(slot))? {
        Some(Value::Money(m)) => Some(m.amount),
        _ => None,
    }
}

fn date(r: &Record, slot: u16) -> Option<NaiveDate> {
    match r.values.get(usize::from(slot))? {
        Some(Value::Date(d)) => Some(*d),
        _ => None,
    }
}

fn text(r: &Record, slot: u16) -> Option<String> {
    match r.values.get(usize::from(slot))? {
        Some(Value::Text(t)) => Some(t.to_string()),
        _ => None,
    }
}

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
    pub fn summary(&self) -> Vec<super::SummaryRow> {
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

/// What a streamed run found.
#[derive(Debug, Clone, Default)]
pub struct StreamOutcome {
    /// Error lines written.
    pub errors: usize,
    /// The summary per rep and currency.
    pub summary: Vec<super::SummaryRow>,
}

/// Bytes in 1 MiB chunks: growing one buffer to the size of a large ledger
/// would copy it again at every doubling.
#[derive(Default)]
struct Chunks(Vec<Vec<u8>>);

impl std::io::Write for Chunks {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        const CHUNK: usize = 1 << 20;
        match self.0.last_mut() {
            Some(last) if last.len() + buf.len() <= CHUNK => last.extend_from_slice(buf),
            _ => {
                let mut next = Vec::with_capacity(CHUNK.max(buf.len()));
                next.extend_from_slice(buf);
                self.0.push(next);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The lines of a batch of deals: event lines by index, deal lines already
/// written as CSV, their summary.
struct Part {
    /// Event lines rendered where they are computed: (event index, end of
    /// its bytes in `event_bytes`), in the order computed.
    events: Vec<(usize, usize)>,
    event_bytes: super::ledger::LedgerWriter<Vec<u8>>,
    tail: super::ledger::LedgerWriter<Chunks>,
    /// `None` when no summary is asked for.
    summary: Option<super::ledger::Summarizer>,
    errors: usize,
    failed: Option<String>,
}

impl Part {
    fn new(summarize: bool) -> Part {
        Part {
            events: Vec::new(),
            event_bytes: super::ledger::LedgerWriter::headless(Vec::new()),
            tail: super::ledger::LedgerWriter::headless(Chunks::default()),
            summary: summarize.then(super::ledger::Summarizer::default),
            errors: 0,
            failed: None,
        }
    }
}

impl Sink for Part {
    fn event_line(&mut self, index: usize, line: LedgerLine) {
        if let Some(s) = &mut self.summary {
            s.line(&line);
        }
        self.errors += usize::from(line.status == Status::Error);
        match self
            .event_bytes
            .line(&line)
            .and_then(|()| self.event_bytes.written())
        {
            Ok(end) => self.events.push((index, end)),
            Err(e) => {
                self.failed.get_or_insert(e.to_string());
            }
        }
    }
    fn deal_line(&mut self, line: LedgerLine) {
        if let Some(s) = &mut self.summary {
            s.line(&line);
        }
        self.errors += usize::from(line.status == Status::Error);
        if let Err(e) = self.tail.line(&line) {
            self.failed.get_or_insert(e.to_string());
        }
    }
    fn paid(&mut self, rep: &str, currency: Currency, amount: Decimal) {
        if let Some(s) = &mut self.summary {
            s.paid(rep, currency.as_str(), amount);
        }
    }
}

/// A deal row on its way to a worker: admitted with its events (the row
/// is `items[i]` of its batch), or already an error line.
enum Job<'a> {
    Deal(usize, Admitted<'a>),
    Line(Box<LedgerLine>),
}

/// Rows for a worker. The worker hands `items` back to the reader once
/// done, to be read into again: rows are neither allocated per row nor
/// freed on another thread than the one that allocated them.
struct Batch<'a> {
    seq: usize,
    items: Vec<Item>,
    jobs: Vec<Job<'a>>,
}

/// Deals per batch handed to a worker.
const BATCH: usize = 2048;

/// How [`stream`] runs.
#[derive(Debug, Clone, Copy)]
pub struct StreamOptions {
    /// The evaluation date (`--as-of`).
    pub as_of: NaiveDate,
    /// The latest plan version governs every deal (`--version`).
    pub pinned: bool,
    /// Sum the summary per rep and currency; without it
    /// [`StreamOutcome::summary`] is empty and the run skips that work.
    pub summary: bool,
}

/// Streams the ledger to `out`. Deals are read in order and admitted one
/// by one (ids, repeats, their events), then handled in batches by worker
/// threads, one per core; the lines are put back in order, so the bytes
/// are exactly those of [`run`] + [`super::write_ledger`]. Memory holds
/// the events and the lines still to print, not the deals. `Err` when an
/// input or the output fails.
pub fn stream<W: std::io::Write>(
    set: &Versions,
    deals: &mut crate::io::Reader,
    events: &Events,
    options: StreamOptions,
    out: W,
) -> Result<StreamOutcome, String> {
    let StreamOptions {
        as_of,
        pinned,
        summary: summarize,
    } = options;
    let header = deals.header.clone();
    let mut prelude = Part::new(summarize);
    let mut engine = Engine::new(set, events, as_of, pinned, &mut prelude);
    let dc = engine.plan.deal_lookup(header.as_ref());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut parts: Vec<(usize, Part)> = Vec::new();
    let (job_tx, job_rx) = std::sync::mpsc::sync_channel::<Batch<'_>>(workers * 2);
    let job_rx = std::sync::Mutex::new(job_rx);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<(usize, Part)>();
    let (free_tx, free_rx) = std::sync::mpsc::channel::<Vec<Item>>();
    let read: Result<(), String> = std::thread::scope(|scope| {
        let (plan, admission) = (&engine.plan, &mut engine.admission);
        for _ in 0..workers {
            let (job_rx, done_tx, free_tx, dc) = (&job_rx, done_tx.clone(), free_tx.clone(), &dc);
            scope.spawn(move || loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(batch) = job else { return };
                let mut part = Part::new(summarize);
                for job in batch.jobs {
                    match job {
                        Job::Line(line) => part.deal_line(*line),
                        Job::Deal(i, admitted) => {
                            if let Some(item @ Item { row: Ok(row), .. }) = batch.items.get(i) {
                                plan.process(item, row, dc, &admitted.events, &mut part);
                            }
                        }
                    }
                }
                let _ = free_tx.send(batch.items);
                if done_tx.send((batch.seq, part)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        drop(free_tx);
        let mut seq = 0;
        let mut result = Ok(());
        let mut items: Vec<Item> = Vec::with_capacity(BATCH);
        let mut jobs = Vec::with_capacity(BATCH);
        let mut n = 0;
        loop {
            if n == items.len() {
                items.push(Item {
                    line: 0,
                    row: Err(String::new()),
                });
            }
            let Some(item) = items.get_mut(n) else { break };
            match deals.next_into(item) {
                None => break,
                Some(Err(e)) => {
                    result = Err(e);
                    break;
                }
                Some(Ok(())) => {}
            }
            let job = match &item.row {
                Err(msg) => Job::Line(Box::new(error_line(
                    "",
                    "",
                    "",
                    "",
                    item.line,
                    msg.clone(),
                    None,
                ))),
                Ok(row) => match admission.admit(item, row, &dc) {
                    Ok(admitted) => Job::Deal(n, admitted),
                    Err(line) => Job::Line(line),
                },
            };
            jobs.push(job);
            n += 1;
            if n == BATCH {
                items.truncate(n);
                let spare = free_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                let batch = Batch {
                    seq,
                    items: std::mem::replace(&mut items, spare),
                    jobs: std::mem::replace(&mut jobs, Vec::with_capacity(BATCH)),
                };
                if job_tx.send(batch).is_err() {
                    break;
                }
                seq += 1;
                n = 0;
            }
        }
        let mut sent = seq;
        if !jobs.is_empty() {
            items.truncate(n);
            if job_tx.send(Batch { seq, items, jobs }).is_ok() {
                sent += 1;
            }
        }
        drop(job_tx);
        parts.extend(done_rx);
        if result.is_ok() && parts.len() != sent {
            // A worker stopped early: never print a ledger with deals
            // silently missing.
            result = Err(format!(
                "internal error: {} of {sent} batches of deals were not computed",
                sent - parts.len().min(sent)
            ));
        }
        result
    });
    read?;
    engine.finish(&mut prelude);
    parts.sort_by_key(|(seq, _)| *seq);

    // Event lines come back rendered, in the order each part computed
    // them: put them in input order by their event index.
    let mut summary = super::ledger::Summarizer::default();
    let mut errors = 0;
    let mut tails = Vec::with_capacity(parts.len());
    let mut event_bytes = Vec::with_capacity(parts.len() + 1);
    let mut order: Vec<(usize, usize, usize, usize)> = Vec::with_capacity(events.items.len());
    for (p, part) in std::iter::once(prelude)
        .chain(parts.into_iter().map(|(_, p)| p))
        .enumerate()
    {
        if let Some(e) = part.failed {
            return Err(e);
        }
        let mut start = 0;
        for (index, end) in part.events {
            order.push((index, p, start, end));
            start = end;
        }
        if let Some(s) = part.summary {
            summary.merge(s);
        }
        errors += part.errors;
        tails.push(part.tail.into_inner()?);
        event_bytes.push(part.event_bytes.into_inner()?);
    }
    order.sort_unstable_by_key(|(index, ..)| *index);
    let w = super::ledger::LedgerWriter::new(out).map_err(|e| e.to_string())?;
    let mut out = w.into_inner()?;
    for (_, p, start, end) in order {
        let bytes = event_bytes
            .get(p)
            .and_then(|b| b.get(start..end))
            .unwrap_or_default();
        out.write_all(bytes).map_err(|e| e.to_string())?;
    }
    for chunk in tails.into_iter().flat_map(|t| t.0) {
        out.write_all(&chunk).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(StreamOutcome {
        errors,
        summary: summary.finish(),
    })
}

/// An event row waiting for its deal: what can be read without the plan.
struct Pending<'e> {
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
    plan: Plan<'a>,
    admission: Admission<'a>,
    /// Columns of the deals header: `deal`, `rep`, `currency`, the anchor.
    deal_cols: Option<Lookup>,
}

/// What admitting a deal row changes: the events still waiting for their
/// deal, and the deal ids seen.
struct Admission<'a> {
    pending: FastMap<std::borrow::Cow<'a, str>, Vec<Pending<'a>>>,
    /// Deal ids seen, with the line of their first row.
    seen: FastMap<Text, usize>,
}

impl<'a> Admission<'a> {
    /// The checks that need the rows before this one: an id, not repeated.
    /// `Err`: the row's error line.
    fn admit(
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
            let msg =
                format!("deal {id} is repeated (first on line {first}); the first row stands");
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
/// of [`stream`].
struct Plan<'a> {
    set: &'a Versions,
    as_of: NaiveDate,
    pinned: bool,
    anchor_name: String,
    /// Columns of the events header: `event`, `type`, `deal`, `on`.
    event_cols: Lookup,
}

/// A deal row that passed the checks needing every row seen before it
/// (an id, not repeated), with its events.
struct Admitted<'a> {
    events: Vec<Pending<'a>>,
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
            let msg = format!("unknown deal {deal_id}");
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
    fn process(
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
                        format!("deal {id}: {msg}"),
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
                    format!("deal {id}: {msg}"),
                    currency,
                ));
            }
        }
    }

    /// Column positions of a deals header.
    fn deal_lookup(&self, header: Option<&csv::StringRecord>) -> Lookup {
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
        let currency = Currency::parse(cur_text)
            .ok_or_else(|| format!("field `currency`: {cur_text:?} is not a currency code"))?;
        let anchor_text = cell(row, dc.fixed(3), anchor_name)
            .ok_or_else(|| format!("field `{anchor_name}` is required but absent"))?;
        let anchor_date = parse_date(&anchor_text)
            .ok_or_else(|| format!("field `{anchor_name}`: {anchor_text:?} is not a date"))?;
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
        let tz = deal.policy.timezone;
        let on = parse_date(&on_text).or_else(|| {
            parse_timestamp(&on_text)
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|t| t.with_timezone(&tz).date_naive())
        });
        let on =
            on.ok_or_else(|| format!("field `on`: {on_text:?} is not a date or a timestamp"))?;
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

fn kind_label(k: EventType) -> &'static str {
    match k {
        EventType::Cancellation | EventType::Downgrade => "clawback",
        EventType::Reinstatement => "reinstatement",
        EventType::Upgrade => "upgrade",
    }
}

fn error_line(
    deal: &str,
    rep: &str,
    event: &str,
    kind: &str,
    line: usize,
    msg: String,
    currency: Option<Currency>,
) -> LedgerLine {
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
        explanation: msg,
        line,
    }
}

/// State of a deal at the end of day M of its retention bonus.
struct AtDayM {
    active: bool,
    remaining: Decimal,
}

/// Replays a deal's events in date order, filling their lines; returns the
/// state at the end of the retention bonus's day M.
fn simulate(deal: &Deal<'_>, evs: &[Event], sink: &mut dyn Sink) -> Option<AtDayM> {
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
            let env = Env {
                fields: &deal.record.values,
                other: &e.record.values,
                locals: &[],
                today: e.date,
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
                e.line,
                msg,
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

/// Sets the exact rate and base of a line and how they are shown.
fn show(line: &mut LedgerLine, rate: Frac, base: Frac, base_shown: Decimal, currency: Currency) {
    line.rate = Some(rate);
    line.base = Some(base);
    line.rate_text = rate_text(rate).into();
    line.base_text = format_money(base_shown, currency).into();
}

fn overflow() -> String {
    "arithmetic overflow computing this line".to_string()
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
    let base = Frac::from_decimal(deal.amount)
        .and_then(|a| a.checked_mul(Frac::from_decimal(part)?))
        .and_then(|x| x.checked_div(Frac::from_decimal(deal.value)?))
        .ok_or_else(overflow)?;
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
        let rate = Frac::from_decimal(b.rate).ok_or_else(overflow)?;
        let base_f = Frac::from_decimal(base).ok_or_else(overflow)?;
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

/// `YYYY-MM-DD`, as `NaiveDate`'s `Display` writes years 0 to 9999.
fn push_date(out: &mut String, d: NaiveDate) {
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
fn push_i64(out: &mut String, v: i64) {
    for &d in crate::value::int_digits(v, &mut [0; 20]) {
        out.push(char::from(d));
    }
}

fn retention(deal: &Deal<'_>, at_m: Option<AtDayM>, as_of: NaiveDate) -> Option<LedgerLine> {
    let r = deal.def.retention.as_ref()?;
    let anchor = date_field(deal, r.anchor)?;
    let due = anchor.checked_add_days(chrono::Days::new(u64::try_from(r.days).ok()?))?;
    let state = at_m?;
    if as_of <= due || !state.active {
        return None;
    }
    let minor = deal.currency.minor_units();
    let rate = Frac::from_decimal(r.rate)?;
    let base = Frac::from_decimal(deal.amount)?
        .checked_mul(Frac::from_decimal(state.remaining)?)?
        .checked_div(Frac::from_decimal(deal.value)?)?;
    let amount = fixed(
        rate.checked_mul(base)?.round(minor, deal.def.rounding)?,
        minor,
    );
    let base_shown = format_money(base.round(minor, deal.def.rounding)?, deal.currency);
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
