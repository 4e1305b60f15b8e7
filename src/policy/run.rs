//! Whole inputs through a policy: every record of a JSON-lines, JSON or
//! CSV input evaluated and written, one output record per input record, in
//! input order. The command line is these functions plus argument parsing;
//! a service reading files uses them the same way.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::options::{EvalOptions, ResolveError};
use super::{Block, Policy};
use crate::batch::{run_ordered, Stopped};
use crate::health::Scorecard;
use crate::io::{jsonl_item, read_line, ErrorLine, Item, LineState, Output, Reader, Renderer, Row};
use crate::program::eval::EvalError;
use crate::program::handoff::Event;
use crate::qualify::Decision;
use crate::record::{Record, Schema};
use crate::sla::HandoffStatus;
use crate::tally::{HealthTally, QualifyTally, SlaTally};

/// What a run over an input did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunStats {
    /// Output records written (one per input record, or per handoff
    /// instance for `sla`).
    pub records: u64,
    /// How many of them are error objects.
    pub errors: u64,
    /// The run's aggregates, when [`EvalOptions::summarized`] asked for
    /// them (`qualify` and `health`).
    pub summary: Option<Summary>,
}

/// The aggregates of a `qualify`, `health` or `sla` run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Summary {
    /// Of a `qualify` run.
    Qualify(QualifyTally),
    /// Of a `health` run.
    Health(HealthTally),
    /// Of an `sla` run.
    Sla(SlaTally),
}

impl Summary {
    /// The empty summary of `block` in `policy`: its stages or bands in
    /// declared order.
    pub(crate) fn of(policy: &Policy, block: Block) -> Summary {
        match block {
            Block::Health => Summary::Health(HealthTally::with_bands(
                policy.band_names().iter().map(String::as_str),
            )),
            _ => Summary::Qualify(QualifyTally::with_stages(
                policy.stage_names().iter().map(String::as_str),
            )),
        }
    }

    fn add(&mut self, w: &Written) {
        match (self, w) {
            (Summary::Qualify(t), Written::Result(RecordResult::Decision(d))) => t.add(d),
            (Summary::Health(t), Written::Result(RecordResult::Scorecard(c))) => t.add(c),
            (Summary::Qualify(t), _) => t.add_error(),
            (Summary::Health(t), _) => t.add_error(),
            (Summary::Sla(t), _) => t.add_error(),
        }
    }

    fn merge(&mut self, other: Summary) {
        match (self, other) {
            (Summary::Qualify(a), Summary::Qualify(b)) => a.merge(b),
            (Summary::Health(a), Summary::Health(b)) => a.merge(b),
            _ => {}
        }
    }

    /// The summary as CSV (`kind,name,count,min,median,max`).
    pub fn write_csv(&self, w: impl std::io::Write) -> std::io::Result<()> {
        match self {
            Summary::Qualify(t) => t.write_csv(w),
            Summary::Health(t) => t.write_csv(w),
            Summary::Sla(t) => t.write_csv(w),
        }
    }
}

/// A run that could not go on: nothing more is written after it.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No version evaluates, or it lacks the block.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The input could not be read on (not a bad record: those are error
    /// objects in the output).
    #[error("{0}")]
    Input(String),
    /// The output could not be written.
    #[error("cannot write output: {0}")]
    Output(String),
    /// The ledger could not be computed or written.
    #[error("cannot compute the ledger: {0}")]
    Ledger(String),
    /// The booked ledger (`--posted`) cannot be read, or its amounts
    /// cannot be set against the ledger (a sum out of the decimal range).
    #[error(transparent)]
    Posted(#[from] crate::clawback::PostedError),
    /// Some batches of records were never evaluated (a worker stopped).
    #[error("internal error: {missing} of {sent} batches of records were not evaluated")]
    Stopped {
        /// Batches without a result.
        missing: usize,
        /// Batches sent to workers.
        sent: usize,
    },
}

impl RunError {
    /// A stable code for services that match on it.
    pub fn code(&self) -> &'static str {
        match self {
            RunError::Resolve(e) => e.code(),
            RunError::Input(_) => "input",
            RunError::Output(_) => "output",
            RunError::Ledger(_) => "ledger",
            RunError::Posted(_) => "posted",
            RunError::Stopped { .. } => "stopped",
        }
    }
}

impl From<Stopped> for RunError {
    fn from(s: Stopped) -> RunError {
        RunError::Stopped {
            missing: s.sent.saturating_sub(s.done),
            sent: s.sent,
        }
    }
}

fn output_error(e: std::io::Error) -> RunError {
    RunError::Output(e.to_string())
}

/// One result of `qualify` or `health`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum RecordResult {
    Decision(Decision),
    Scorecard(Scorecard),
}

/// What one input record yields.
#[derive(Debug, Clone)]
pub(crate) enum Written {
    Result(RecordResult),
    Error(ErrorLine),
}

/// One policy's evaluation of input rows one at a time, for runs that
/// evaluate each row under more than one policy (`baton diff`).
pub(crate) struct RowEvaluator<'a>(Job<'a>);

impl<'a> RowEvaluator<'a> {
    /// The evaluator of `block` in `policy` for rows read under `header`
    /// (CSV) or none (JSON).
    pub(crate) fn new(
        policy: &'a Policy,
        block: Block,
        header: Option<&csv::StringRecord>,
        options: EvalOptions,
    ) -> Result<RowEvaluator<'a>, RunError> {
        let schema = match block {
            Block::Qualify => policy.qualify_schema(),
            Block::Health => policy.health_schema(),
            _ => None,
        }
        .ok_or_else(|| ResolveError::NoBlock {
            policy: policy.name().to_string(),
            block: block.keyword(),
        })?;
        Ok(RowEvaluator(Job {
            policy,
            block,
            schema,
            positions: crate::io::positions(schema, header),
            options,
        }))
    }

    /// A row's outcome.
    pub(crate) fn eval(&self, row: &Result<Row, String>, line: usize) -> Written {
        self.0.work_ref(row, line)
    }

    /// A JSON line's outcome straight from its text, when it is a clean
    /// record of this schema; `None` otherwise (then parse it and call
    /// [`RowEvaluator::eval`], which says what is wrong).
    pub(crate) fn eval_text(&self, text: &str, line: usize) -> Option<Written> {
        let rec = self.0.schema.clean_record(text)?;
        Some(self.0.decide(&rec, line))
    }

    /// The same evaluator with other options (a trace, say).
    pub(crate) fn with(&self, options: EvalOptions) -> RowEvaluator<'a> {
        RowEvaluator(Job {
            positions: self.0.positions.clone(),
            options,
            ..self.0
        })
    }
}

/// A batch of JSON lines or array elements: each one's line (or
/// position), text, and how it was read.
type Lines = Vec<(usize, String, LineState)>;

/// Where a parallel run reads its records from.
enum Source {
    /// JSON lines, each at most `usize` bytes.
    Lines(Box<dyn BufRead + Send>, usize),
    /// The elements of a JSON array.
    Elements(crate::io::ArrayElements),
}

/// Lines of JSON input per batch handed to a worker.
const LINES_PER_BATCH: usize = 512;

impl Policy {
    /// Evaluates every record of `input` with the `qualify` or `health`
    /// block (`block`) and writes one output record per input record to
    /// `out`, in input order: the result, or an error object naming the
    /// line. JSON lines are evaluated on every core; the bytes are those of
    /// the sequential loop. `progress` is told the number of records read
    /// so far, now and then.
    ///
    /// ```
    /// use baton::io::{Format, Output, Reader};
    /// use baton::{Block, EvalOptions, NaiveDate, Policy};
    /// let p: Policy = r#"policy "p" version 1 effective 2026-01-01
    /// record lead key id { id: text  seats: int }
    /// qualify lead { stage big when seats >= 50 }"#.parse().unwrap();
    /// let input = "id,seats\nL-1,80\nL-2,many\n";
    /// let reader = Reader::new(Box::new(std::io::Cursor::new(input)), Format::Csv).unwrap();
    /// let sink = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    /// # struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    /// # impl std::io::Write for Shared {
    /// #     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
    /// #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
    /// # }
    /// let mut out = Output::new(Box::new(Shared(sink.clone())), Format::Jsonl, p.columns(Block::Qualify)).unwrap();
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    /// let stats = p.evaluate_input(Block::Qualify, reader, &mut out, &EvalOptions::on(day), &mut |_| {}).unwrap();
    /// out.finish().unwrap();
    /// assert_eq!((stats.records, stats.errors), (2, 1));
    /// let text = String::from_utf8(sink.lock().unwrap().clone()).unwrap();
    /// assert!(text.lines().nth(0).unwrap().contains(r#""stage":"big""#));
    /// assert!(text.lines().nth(1).unwrap().contains(r#""line":3"#)); // the CSV line of L-2
    /// ```
    pub fn evaluate_input(
        &self,
        block: Block,
        input: Reader,
        out: &mut Output,
        options: &EvalOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<RunStats, RunError> {
        let schema = match block {
            Block::Qualify => self.qualify_schema(),
            Block::Health => self.health_schema(),
            _ => None,
        }
        .ok_or_else(|| ResolveError::NoBlock {
            policy: self.name().to_string(),
            block: block.keyword(),
        })?;
        let job = Job {
            policy: self,
            block,
            schema,
            positions: crate::io::positions(schema, input.header.as_ref()),
            options: *options,
        };
        let workers = crate::batch::workers();
        if input.is_jsonl() && workers > 1 {
            let (lines, max) = input
                .into_lines()
                .ok_or_else(|| RunError::Input("internal error: not JSON lines".into()))?;
            job.parallel(Source::Lines(lines, max), out, workers, progress)
        } else if input.is_array() && workers > 1 {
            let elements = input
                .into_elements()
                .ok_or_else(|| RunError::Input("internal error: not a JSON array".into()))?;
            job.parallel(Source::Elements(elements), out, workers, progress)
        } else {
            job.sequential(input, out, progress)
        }
    }

    /// The status of every handoff instance in `events` at instant `at`
    /// (CLI.md "sla"): one output record per instance id, in order of each
    /// id's first appearance; a line naming no handoff is an error object
    /// at its place.
    pub fn sla_input(
        &self,
        events: Reader,
        out: &mut Output,
        at: DateTime<Utc>,
    ) -> Result<RunStats, RunError> {
        self.sla_run(events, out, at, None)
    }

    /// [`Policy::sla_input`], with the run's aggregates in
    /// [`RunStats::summary`] (`sla --summary`).
    pub fn sla_input_summarized(
        &self,
        events: Reader,
        out: &mut Output,
        at: DateTime<Utc>,
    ) -> Result<RunStats, RunError> {
        self.sla_run(events, out, at, Some(SlaTally::default()))
    }

    /// The status of every handoff instance in `events` at instant `at`,
    /// events given as JSON objects (lines counted from 1 in the order
    /// given): the outcomes [`Policy::sla_input`] writes, in its order.
    ///
    /// ```
    /// use baton::{DateTime, Policy};
    /// let p: Policy = r#"policy "h" version 1 effective 2026-01-01
    /// record note key id { id: text }
    /// handoff onboarding note note { sla first_response within 4h met by "replied" }"#.parse().unwrap();
    /// let events = [
    ///     serde_json::json!({"handoff": "H-1", "block": "onboarding", "type": "opened", "at": "2026-11-06T09:00:00Z", "note": {"id": "H-1"}}),
    ///     serde_json::json!({"type": "replied", "at": "2026-11-06T12:00:00Z"}),
    /// ];
    /// let at = DateTime::parse_from_rfc3339("2026-11-07T00:00:00Z").unwrap().to_utc();
    /// let out = p.sla_values(events, at);
    /// assert_eq!(out[0].as_ref().unwrap().goals[0].1.state, "breached");
    /// assert_eq!(out[1].as_ref().unwrap_err().line, 2); // no handoff id
    /// ```
    pub fn sla_values(
        &self,
        events: impl IntoIterator<Item = serde_json::Value>,
        at: DateTime<Utc>,
    ) -> Vec<Result<HandoffStatus, SlaError>> {
        let items = events.into_iter().enumerate().map(|(i, v)| {
            Ok(Item {
                line: i + 1,
                row: Ok(Row::Json(crate::json::Json::from_serde(&v))),
            })
        });
        // Items read from values cannot fail to be read.
        let entries = group_items(items).unwrap_or_default();
        entries
            .into_iter()
            .map(|entry| self.instance_status(entry, at))
            .collect()
    }

    /// The outcome of one output record of `sla`.
    fn instance_status(&self, entry: Entry, at: DateTime<Utc>) -> Result<HandoffStatus, SlaError> {
        match entry {
            Entry::Orphan(e) | Entry::Instance(_, _, Some(e)) => Err(e),
            Entry::Instance(id, events, None) => self.sla(&id, &events, at).map_err(|e| SlaError {
                error: e.message,
                line: e.line,
                handoff: Some(id),
            }),
        }
    }

    fn sla_run(
        &self,
        mut events: Reader,
        out: &mut Output,
        at: DateTime<Utc>,
        mut tally: Option<SlaTally>,
    ) -> Result<RunStats, RunError> {
        let mut stats = RunStats::default();
        let mut count = |out: &mut Output, written: &dyn ErasedWrite, error: bool| {
            stats.records += 1;
            stats.errors += u64::from(error);
            written.write_to(out).map_err(output_error)
        };
        for entry in group_events(&mut events)? {
            match self.instance_status(entry, at) {
                Ok(status) => {
                    if let Some(t) = &mut tally {
                        t.add(&status);
                    }
                    count(out, &status, false)?;
                }
                Err(e) => {
                    if let Some(t) = &mut tally {
                        t.add_error();
                    }
                    count(out, &e, true)?;
                }
            }
        }
        stats.summary = tally.map(Summary::Sla);
        Ok(stats)
    }
}

/// A value an [`Output`] can write, behind a reference.
trait ErasedWrite {
    fn write_to(&self, out: &mut Output) -> std::io::Result<()>;
}

impl<T: Serialize> ErasedWrite for T {
    fn write_to(&self, out: &mut Output) -> std::io::Result<()> {
        out.write(self)
    }
}

/// The error object of a handoff instance (CLI.md: `handoff` instead of
/// `key`): an event line naming no handoff, or the first bad event of an
/// instance, or why the instance could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaError {
    /// What is wrong.
    pub error: String,
    /// The input line (or position) of the event it is about.
    pub line: usize,
    /// The instance, when the line names one.
    pub handoff: Option<String>,
}

/// One output record of `sla`, in input order: an instance with its
/// events (or the first error among them), or a line naming no handoff.
pub(crate) enum Entry {
    Instance(String, Vec<Event>, Option<SlaError>),
    Orphan(SlaError),
}

/// Groups events by handoff id, in order of each id's first appearance.
pub(crate) fn group_events(reader: &mut Reader) -> Result<Vec<Entry>, RunError> {
    group_items(std::iter::from_fn(|| reader.next_item()))
}

/// [`group_events`] over items however they were read.
fn group_items(items: impl Iterator<Item = Result<Item, String>>) -> Result<Vec<Entry>, RunError> {
    let mut order: Vec<Entry> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for item in items {
        let item = item.map_err(RunError::Input)?;
        let (id, event) = match &item.row {
            Ok(Row::Json(v)) => Event::from_value(item.line, v),
            Ok(Row::Unmapped(v, why)) => (Event::from_value(item.line, v).0, Err(why.clone())),
            Ok(Row::Csv(_)) => (None, Err("events are JSON".to_string())),
            Err(msg) => (None, Err(msg.clone())),
        };
        let Some(id) = id else {
            order.push(Entry::Orphan(SlaError {
                error: event.err().unwrap_or_default(),
                line: item.line,
                handoff: None,
            }));
            continue;
        };
        let at = *index.entry(id.clone()).or_insert_with(|| {
            order.push(Entry::Instance(id.clone(), Vec::new(), None));
            order.len() - 1
        });
        if let Some(Entry::Instance(_, events, bad)) = order.get_mut(at) {
            match event {
                Ok(e) => events.push(e),
                Err(error) => {
                    if bad.is_none() {
                        *bad = Some(SlaError {
                            error,
                            line: item.line,
                            handoff: Some(id),
                        });
                    }
                }
            }
        }
    }
    Ok(order)
}

/// Everything one `qualify`/`health` run shares between its threads.
struct Job<'a> {
    policy: &'a Policy,
    block: Block,
    schema: &'a Schema,
    /// Columns of a CSV header matched to the schema's slots.
    positions: Vec<Option<usize>>,
    options: EvalOptions,
}

/// A worker's rendering of a batch: bytes, where each record ends, how
/// many were error objects, and their tally when one is asked for.
type Rendered = (Vec<u8>, Vec<usize>, u64, Option<Summary>);

impl Job<'_> {
    /// Empty stats, with an empty summary when one is asked for.
    fn stats(&self) -> RunStats {
        RunStats {
            summary: self
                .options
                .summary
                .then(|| Summary::of(self.policy, self.block)),
            ..RunStats::default()
        }
    }

    /// A converted record's outcome, whichever way it was converted.
    fn decide(&self, rec: &Record, line: usize) -> Written {
        let result = match self.block {
            Block::Health => self
                .policy
                .health(rec, &self.options)
                .map(RecordResult::Scorecard),
            _ => self
                .policy
                .qualify(rec, &self.options)
                .map(RecordResult::Decision),
        };
        match result {
            Ok(r) => Written::Result(r),
            Err(e) => Written::Error(self.error(rec, line, &e)),
        }
    }

    fn error(&self, rec: &Record, line: usize, e: &EvalError) -> ErrorLine {
        ErrorLine {
            error: e.to_string(),
            line,
            key: self.schema.key_of(rec),
        }
    }

    /// An input item's outcome: converted by the schema, then decided.
    fn work(&self, item: Item) -> Written {
        match item.row {
            Err(error) => Written::Error(ErrorLine {
                error,
                line: item.line,
                key: None,
            }),
            row => self.work_ref(&row, item.line),
        }
    }

    /// [`Job::work`] of a row that stays the caller's.
    fn work_ref(&self, row: &Result<Row, String>, line: usize) -> Written {
        match row {
            Err(msg) => Written::Error(ErrorLine {
                error: msg.clone(),
                line,
                key: None,
            }),
            Ok(row) => match row.to_record(self.schema, &self.positions) {
                Err(e) => Written::Error(ErrorLine {
                    error: e.to_string(),
                    line,
                    key: row.raw_key(self.schema, &self.positions),
                }),
                Ok(rec) => self.decide(&rec, line),
            },
        }
    }

    fn sequential(
        &self,
        mut input: Reader,
        out: &mut Output,
        progress: &mut dyn FnMut(u64),
    ) -> Result<RunStats, RunError> {
        let mut stats = self.stats();
        while let Some(item) = input.next_item() {
            let item = item.map_err(RunError::Input)?;
            stats.records += 1;
            if stats.records % 4096 == 0 {
                progress(stats.records);
            }
            let written = self.work(item);
            if let Some(t) = &mut stats.summary {
                t.add(&written);
            }
            match written {
                Written::Result(r) => out.write(&r),
                Written::Error(e) => {
                    stats.errors += 1;
                    out.write(&e)
                }
            }
            .map_err(output_error)?;
        }
        Ok(stats)
    }

    /// JSON lines on `workers` threads: this thread reads raw lines and
    /// writes the rendered results in input order as they come back; the
    /// workers parse, convert, evaluate and render.
    fn parallel(
        &self,
        mut source: Source,
        out: &mut Output,
        workers: usize,
        progress: &mut dyn FnMut(u64),
    ) -> Result<RunStats, RunError> {
        let renderer = out.renderer();
        struct State<'o> {
            out: &'o mut Output,
            line: usize,
            stats: RunStats,
        }
        let mut state = State {
            out,
            line: 0,
            stats: self.stats(),
        };
        let mut text = String::new();
        run_ordered(
            workers,
            &mut state,
            |s: &mut State<'_>| -> Result<Option<Lines>, RunError> {
                let mut batch = Vec::with_capacity(LINES_PER_BATCH);
                while batch.len() < LINES_PER_BATCH {
                    match &mut source {
                        Source::Lines(lines, max) => {
                            text.clear();
                            match read_line(lines.as_mut(), &mut text, *max) {
                                Ok((0, _)) => break,
                                Ok((_, state)) => {
                                    s.line += 1;
                                    // The next line gets a buffer of this one's size.
                                    let next = String::with_capacity(text.len() + 64);
                                    batch.push((s.line, std::mem::replace(&mut text, next), state));
                                }
                                Err(e) => {
                                    return Err(RunError::Input(format!("cannot read input: {e}")))
                                }
                            }
                        }
                        Source::Elements(elements) => match elements.next_piece() {
                            None => break,
                            Some(Err(e)) => return Err(RunError::Input(e)),
                            Some(Ok(p)) => {
                                s.line = p.line;
                                batch.push(match p.text {
                                    Ok(t) => (p.line, t, LineState::Element { start: p.start }),
                                    Err(why) => (p.line, why, LineState::Broken),
                                });
                            }
                        },
                    }
                }
                if batch.len() == LINES_PER_BATCH {
                    progress(s.line as u64);
                }
                Ok((!batch.is_empty()).then_some(batch))
            },
            |batch| self.render(&renderer, &batch),
            |s, rendered| {
                let (buf, ends, errors, tally) = rendered.map_err(output_error)?;
                if let (Some(all), Some(t)) = (&mut s.stats.summary, tally) {
                    all.merge(t);
                }
                let mut start = 0;
                for end in ends {
                    let bytes = buf.get(start..end).unwrap_or_default();
                    s.out.write_rendered(bytes).map_err(output_error)?;
                    s.stats.records += 1;
                    start = end;
                }
                s.stats.errors += errors;
                Ok(())
            },
        )?;
        Ok(state.stats)
    }

    /// A worker's rendering of a batch.
    fn render(
        &self,
        renderer: &Renderer,
        batch: &[(usize, String, LineState)],
    ) -> std::io::Result<Rendered> {
        let mut buf = Vec::with_capacity(batch.len() * 256);
        let mut ends = Vec::with_capacity(batch.len());
        let mut errors = 0;
        let mut tally = self.stats().summary;
        for (line, text, state) in batch {
            // A clean record converts straight from its text; anything
            // else takes the general path, which says what is wrong.
            let clean = if matches!(state, LineState::Text | LineState::Element { .. }) {
                self.schema
                    .clean_record(text)
                    .map(|rec| self.decide(&rec, *line))
            } else {
                None
            };
            let written = match clean {
                Some(w) => w,
                None => {
                    let Some(item) = jsonl_item(*line, text, *state) else {
                        continue;
                    };
                    self.work(item)
                }
            };
            if let Some(t) = &mut tally {
                t.add(&written);
            }
            match written {
                Written::Result(r) => renderer.render(&r, &mut buf)?,
                Written::Error(e) => {
                    errors += 1;
                    renderer.render(&e, &mut buf)?;
                }
            }
            ends.push(buf.len());
        }
        Ok((buf, ends, errors, tally))
    }
}
