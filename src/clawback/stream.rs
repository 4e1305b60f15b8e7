//! The streamed run: deals read and admitted in order on the calling
//! thread, handled in batches on every core by the ordered batch runner,
//! and the ledger written in the bytes of a collected run.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::booked::{Booked, Notes};
use super::engine::{Admitted, Engine};
use super::ledger::LedgerWriter;
use super::line::{error_line, Input, LedgerLine, Sink, Status};
use super::posted::{PostedError, PostedLines};
use super::summary::{Summarizer, SummaryRow};
use super::table::Events;
use crate::batch::{run_ordered, Stopped};
use crate::io::Item;
use crate::program::versions::Versions;
use crate::value::Currency;

/// What a streamed run found.
#[derive(Debug, Clone, Default)]
pub struct StreamOutcome {
    /// Error lines: written in the ledger, or against a booked ledger
    /// listed in `error_messages`.
    pub errors: usize,
    /// The summary per rep and currency.
    pub summary: Vec<SummaryRow>,
    /// Against a booked ledger, the explanation of each error line (they
    /// are not lines to book), in ledger order.
    pub error_messages: Vec<String>,
}

/// A streamed run against a booked ledger (`--posted`): its index, and its
/// lines read again from the start, for the reversals.
pub(crate) struct PostedRun<'a> {
    /// The booked totals.
    pub booked: &'a Booked,
    /// Opens the booked ledger [`Booked::add`] was given, again.
    pub lines: Box<dyn FnOnce() -> Result<BookedFile<'a>, PostedError> + 'a>,
}

/// The lines of a booked ledger file.
pub(crate) type BookedFile<'a> = PostedLines<Box<dyn std::io::Read + Send + 'a>>;

/// Why a streamed run stopped.
#[derive(Debug)]
pub(crate) enum StreamError {
    /// An input or the output failed.
    Io(String),
    /// A booked amount cannot be set against the ledger.
    Posted(PostedError),
}

impl From<String> for StreamError {
    fn from(e: String) -> StreamError {
        StreamError::Io(e)
    }
}

/// What a part does against a booked ledger.
struct Against<'b> {
    booked: &'b Booked,
    buf: Vec<u8>,
    notes: Notes,
    /// Error lines' explanations, with their event's index (`None`: a deal
    /// line).
    messages: Vec<(Option<usize>, String)>,
    failed: Option<PostedError>,
}

impl Against<'_> {
    /// The line to book for `line`, if any; an error line is kept as a
    /// message.
    fn line(&mut self, index: Option<usize>, line: &LedgerLine) -> Option<LedgerLine> {
        if line.status == Status::Error {
            self.messages.push((index, line.explanation.clone()));
        }
        match self.booked.diff(line, &mut self.buf, &mut self.notes) {
            Ok(d) => d,
            Err(e) => {
                self.failed.get_or_insert(e);
                None
            }
        }
    }
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
struct Part<'b> {
    /// Event lines rendered where they are computed: (event index, end of
    /// its bytes in `event_bytes`), in the order computed.
    events: Vec<(usize, usize)>,
    event_bytes: LedgerWriter<Vec<u8>>,
    tail: LedgerWriter<Chunks>,
    /// `None` when no summary is asked for.
    summary: Option<Summarizer>,
    errors: usize,
    failed: Option<String>,
    /// Against a booked ledger, only what is still to book is written.
    against: Option<Against<'b>>,
}

impl<'b> Part<'b> {
    fn new(summarize: bool, booked: Option<&'b Booked>) -> Part<'b> {
        Part {
            events: Vec::new(),
            event_bytes: LedgerWriter::headless(Vec::new()),
            tail: LedgerWriter::headless(Chunks::default()),
            summary: summarize.then(Summarizer::default),
            errors: 0,
            failed: None,
            against: booked.map(|booked| Against {
                booked,
                buf: Vec::new(),
                notes: Notes::default(),
                messages: Vec::new(),
                failed: None,
            }),
        }
    }
}

impl Sink for Part<'_> {
    fn event_line(&mut self, index: usize, line: LedgerLine) {
        if let Some(s) = &mut self.summary {
            s.line(&line);
        }
        self.errors += usize::from(line.status == Status::Error);
        let line = match &mut self.against {
            None => line,
            Some(a) => match a.line(Some(index), &line) {
                Some(d) => d,
                None => return,
            },
        };
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
        let line = match &mut self.against {
            None => line,
            Some(a) => match a.line(None, &line) {
                Some(d) => d,
                None => return,
            },
        };
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

/// Rows for a worker. The worker hands `items` back with its part once
/// done, to be read into again: rows are neither allocated per row nor
/// freed on another thread than the one that allocated them.
struct Batch<'a> {
    items: Vec<Item>,
    jobs: Vec<Job<'a>>,
}

/// Deals per batch handed to a worker.
const BATCH: usize = 2048;

/// Why a streamed run stops early: the message [`stream`] returns.
struct Failure(String);

impl From<Stopped> for Failure {
    /// A worker stopped early: never print a ledger with deals silently
    /// missing.
    fn from(s: Stopped) -> Failure {
        Failure(format!(
            "internal error: {} of {} batches of deals were not computed",
            s.sent.saturating_sub(s.done),
            s.sent
        ))
    }
}

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
/// are exactly those of [`run`](super::run) + [`super::write_ledger`].
/// Memory holds the events, each deal's id (to refuse a repeat) and the
/// lines still to print, not the deal rows (the README's "Clawback
/// memory" gives the figures).
///
/// Against a booked ledger (`posted`), each line is set against the
/// booked totals where it is computed and only what is still to book is
/// kept, then the reversals follow (see `booked`); the bytes are those of
/// [`super::diff_posted`] on the collected run. Nothing is written when a
/// booked amount cannot be set against the ledger.
pub(crate) fn stream<W: std::io::Write>(
    set: &Versions,
    deals: &mut crate::io::Reader,
    events: &Events,
    options: StreamOptions,
    posted: Option<PostedRun<'_>>,
    out: W,
) -> Result<StreamOutcome, StreamError> {
    let StreamOptions {
        as_of,
        pinned,
        summary: summarize,
    } = options;
    let header = deals.header.clone();
    let booked = posted.as_ref().map(|p| p.booked);
    let mut prelude = Part::new(summarize, booked);
    let mut engine = Engine::new(set, events, as_of, pinned, &mut prelude);
    let dc = engine.plan.deal_lookup(header.as_ref());
    let mut parts: Vec<Part> = Vec::new();
    // Row buffers the workers handed back, to be read into again.
    let mut spare: Vec<Vec<Item>> = Vec::new();
    let (plan, admission) = (&engine.plan, &mut engine.admission);
    let mut ended = false;
    run_ordered(
        crate::batch::workers(),
        &mut spare,
        |spare: &mut Vec<Vec<Item>>| {
            if ended {
                return Ok(None);
            }
            let mut items = spare.pop().unwrap_or_else(|| Vec::with_capacity(BATCH));
            let mut jobs = Vec::with_capacity(BATCH);
            let mut n = 0;
            while n < BATCH {
                if n == items.len() {
                    items.push(Item {
                        line: 0,
                        row: Err(String::new()),
                    });
                }
                let Some(item) = items.get_mut(n) else { break };
                match deals.next_into(item) {
                    None => {
                        ended = true;
                        break;
                    }
                    Some(Err(e)) => return Err(Failure(e)),
                    Some(Ok(())) => {}
                }
                let job = match &item.row {
                    Err(msg) => Job::Line(Box::new(error_line(
                        "",
                        "",
                        "",
                        "",
                        (Input::Deals, item.line),
                        msg,
                        None,
                    ))),
                    Ok(row) => match admission.admit(item, row, &dc) {
                        Ok(admitted) => Job::Deal(n, admitted),
                        Err(line) => Job::Line(line),
                    },
                };
                jobs.push(job);
                n += 1;
            }
            items.truncate(n);
            Ok((!jobs.is_empty()).then_some(Batch { items, jobs }))
        },
        |batch: Batch<'_>| {
            let mut part = Part::new(summarize, booked);
            for job in batch.jobs {
                match job {
                    Job::Line(line) => part.deal_line(*line),
                    Job::Deal(i, admitted) => {
                        if let Some(item @ Item { row: Ok(row), .. }) = batch.items.get(i) {
                            plan.process(item, row, &dc, &admitted.events, &mut part);
                        }
                    }
                }
            }
            (part, batch.items)
        },
        |spare, (part, items)| {
            spare.push(items);
            parts.push(part);
            Ok(())
        },
    )
    .map_err(|Failure(e)| e)?;
    engine.finish(&mut prelude);

    // Event lines come back rendered, in the order each part computed
    // them: put them in input order by their event index.
    let mut summary = Summarizer::default();
    let mut errors = 0;
    let mut tails = Vec::with_capacity(parts.len());
    let mut event_bytes = Vec::with_capacity(parts.len() + 1);
    let mut order: Vec<(usize, usize, usize, usize)> = Vec::with_capacity(events.items.len());
    let mut notes = Notes::default();
    let (mut event_messages, mut deal_messages) = (Vec::new(), Vec::new());
    for (p, part) in std::iter::once(prelude).chain(parts).enumerate() {
        if let Some(e) = part.failed {
            return Err(StreamError::Io(e));
        }
        if let Some(a) = part.against {
            if let Some(e) = a.failed {
                return Err(StreamError::Posted(e));
            }
            notes.merge(a.notes);
            for (index, m) in a.messages {
                match index {
                    Some(i) => event_messages.push((i, m)),
                    None => deal_messages.push(m),
                }
            }
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
    // A summary sum out of range stops the run before anything is written.
    let summary = summary.finish().map_err(|e| e.to_string())?;
    order.sort_unstable_by_key(|(index, ..)| *index);
    // The reversals, from the booked lines read again, before anything is
    // written.
    let mut reversals = LedgerWriter::headless(Vec::new());
    if let Some(PostedRun { booked, lines }) = posted {
        booked
            .reversals(booked.settle(notes), lines, |r| {
                reversals.line(&r).map_err(|e| PostedError {
                    line: r.line,
                    message: format!("cannot write its reversal: {e}"),
                })
            })
            .map_err(StreamError::Posted)?;
    }
    let reversals = reversals.into_inner()?;
    event_messages.sort_by_key(|(i, _)| *i);
    let error_messages = event_messages
        .into_iter()
        .map(|(_, m)| m)
        .chain(deal_messages)
        .collect();
    let w = LedgerWriter::new(out).map_err(|e| e.to_string())?;
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
    out.write_all(&reversals).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    Ok(StreamOutcome {
        errors,
        summary,
        error_messages,
    })
}
