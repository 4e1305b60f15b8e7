//! `clawback`: the commission adjustment ledger, streamed or computed
//! whole, against a booked ledger with `--posted`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::progress::Progress;
use baton::io::{Format, Output};
use baton::ledger::{diff_posted, read_posted, write_ledger, write_summary, SummaryRow};
use baton::BookedLedger;
use baton::{Block, ClawbackOptions, LedgerLine, NaiveDate, PolicySet, Status, Table, Utc};
use clap::Args;

use super::files::{Inputs, Target};
use super::{exit_for, load, parse_date, Fatal, FormatArg, InputArgs, Warnings};

#[derive(Args)]
pub(super) struct ClawbackArgs {
    /// A `.baton` file or a policy directory (each deal uses the version in
    /// force on its anchor date).
    #[arg(long)]
    policy: PathBuf,
    /// Deals (CSV or JSON).
    #[arg(long)]
    deals: String,
    /// Lifecycle events (CSV or JSON).
    #[arg(long)]
    events: String,
    /// Evaluation date, for retention bonuses (default: today in the policy's time zone).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Use this version for every deal.
    #[arg(long)]
    version: Option<i64>,
    /// A ledger already booked: print only what is still to book.
    #[arg(long)]
    posted: Option<PathBuf>,
    /// Also write a summary per rep and currency here.
    #[arg(long)]
    summary: Option<PathBuf>,
    #[command(flatten)]
    inputs: InputArgs,
    /// Ledger format: CSV (the default), or JSON lines / a JSON array of
    /// objects with the same columns, every cell a string.
    #[arg(long, value_enum, default_value = "csv")]
    format: FormatArg,
    /// Write the ledger here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    warnings: Warnings,
}

/// A whole input read into a table.
fn read_table(path: &str, inputs: &InputArgs) -> Result<Table, Fatal> {
    Table::read(inputs.reader(path)?).map_err(|e| Fatal(e.message))
}

pub(super) fn run(a: &ClawbackArgs) -> Result<ExitCode, Fatal> {
    let set = load(&a.policy, a.warnings)?;
    if let Some(v) = a.version {
        if set.version(v).is_none() {
            return Err(Fatal(format!("the policy has no version {v}")));
        }
    }
    if set.versions().iter().all(|p| !p.has(Block::Commission)) {
        return Err(Fatal("the policy has no `commission` block".into()));
    }
    let as_of = a.as_of.unwrap_or_else(|| set.today(Utc::now()));
    let mut options = ClawbackOptions::as_of(as_of);
    if let Some(v) = a.version {
        options = options.pinned(v);
    }
    if a.summary.is_some() {
        options = options.with_summary();
    }
    // Every output is opened before anything is read or computed.
    let mut inputs = Inputs::default();
    inputs.policy(&a.policy);
    inputs.file("--deals", &a.deals);
    inputs.file("--events", &a.events);
    if let Some(posted) = &a.posted {
        inputs.path("--posted", posted);
    }
    let mut outputs = vec![("--output", a.output.as_deref())];
    if let Some(summary) = &a.summary {
        outputs.push(("--summary", Some(summary.as_path())));
    }
    let mut targets = inputs.open(&outputs)?.into_iter();
    let ledger = targets
        .next()
        .ok_or_else(|| Fatal("internal error: no output".into()))?;
    let summary = targets.next();
    // Refused before anything is read: a deals or events path whose
    // format cannot be told.
    a.inputs.format_of(&a.deals)?;
    // A booked ledger to stream against is indexed on another thread
    // while the events are read.
    let (events, booked) = match (&a.posted, Format::from(a.format)) {
        (Some(posted), Format::Csv) => std::thread::scope(|s| {
            let booked = s.spawn(|| BookedLedger::read(posted));
            let events = read_table(&a.events, &a.inputs);
            let booked = booked
                .join()
                .map_err(|_| Fatal("internal error: reading the booked ledger stopped".into()))?
                .map_err(|e| posted_error(posted, e))?;
            Ok::<_, Fatal>((events?, Some(booked)))
        })?,
        _ => (read_table(&a.events, &a.inputs)?, None),
    };
    let job = Job {
        a,
        set: &set,
        options,
        events,
        ledger: &ledger,
    };
    let (code, rows) = match (&a.posted, &booked, Format::from(a.format)) {
        (Some(posted), Some(booked), _) => job.posted_stream(posted, booked)?,
        (Some(posted), None, _) => job.posted(posted)?,
        (None, _, Format::Csv) => job.stream()?,
        (None, _, _) => job.whole()?,
    };
    if let Some(summary) = &summary {
        let fail = |e: &dyn std::fmt::Display| {
            let path = a.summary.as_deref().unwrap_or(std::path::Path::new(""));
            Fatal(format!("cannot write `{}`: {e}", path.display()))
        };
        write_summary(&rows, summary.writer()?).map_err(|e| fail(&e))?;
    }
    ledger.commit()?;
    if let Some(summary) = summary {
        summary.commit()?;
    }
    Ok(code)
}

impl ClawbackArgs {
    /// Names of `baton.toml` in place of paths, resolved.
    pub(super) fn resolve(&mut self) {
        self.policy = super::project::policy_path(&self.policy);
        self.deals = super::project::input_path(&self.deals);
        self.events = super::project::input_path(&self.events);
    }
}

struct Job<'a> {
    a: &'a ClawbackArgs,
    set: &'a PolicySet,
    options: ClawbackOptions,
    events: Table,
    /// Where the ledger goes.
    ledger: &'a Target,
}

/// A finished run: its exit status and the summary rows (empty when no
/// summary was asked for).
type Done = (ExitCode, Vec<SummaryRow>);

impl Job<'_> {
    /// The whole ledger as CSV: deals stream through, one row at a time.
    fn stream(&self) -> Result<Done, Fatal> {
        let progress = Progress::start(&self.a.deals, self.a.warnings.quiet);
        let mut deals = self.a.inputs.reader_with(&self.a.deals, Some(&progress))?;
        let out = self.ledger.writer()?;
        let outcome = self
            .set
            .clawback_stream(&mut deals, &self.events, &self.options, out)?;
        progress.finish(&ledger_closing(outcome.errors));
        Ok((exit_for(outcome.errors as u64), outcome.summary))
    }

    /// The ledger computed whole (JSON output), then written.
    fn whole(&self) -> Result<Done, Fatal> {
        let ledger = self.ledger()?;
        // A summary sum out of range stops the run before anything is written.
        let summary = self.summary_of(&ledger)?;
        self.write_lines(&ledger.lines)?;
        let errors = ledger
            .lines
            .iter()
            .filter(|l| l.status == Status::Error)
            .count();
        Ok((exit_for(errors as u64), summary))
    }

    /// What is still to book against the ledger at `posted`, as CSV: deals
    /// stream through, set against a compact index of the booked totals.
    fn posted_stream(
        &self,
        posted: &std::path::Path,
        booked: &BookedLedger,
    ) -> Result<Done, Fatal> {
        let progress = Progress::start(&self.a.deals, self.a.warnings.quiet);
        let mut deals = self.a.inputs.reader_with(&self.a.deals, Some(&progress))?;
        let out = self.ledger.writer()?;
        let outcome = self
            .set
            .clawback_posted(&mut deals, &self.events, &self.options, booked, out)
            .map_err(|e| posted_error(posted, e))?;
        // Error events are reported on standard error, not as lines
        // (CLI.md); each names its input and line.
        for m in &outcome.error_messages {
            eprintln!("error: {m}");
        }
        progress.finish(&ledger_closing(outcome.errors));
        Ok((exit_for(outcome.errors as u64), outcome.summary))
    }

    /// What is still to book against the ledger at `posted`, computed
    /// whole (JSON output).
    fn posted(&self, posted: &std::path::Path) -> Result<Done, Fatal> {
        // Read the booked ledger before printing anything: a bad one
        // prints nothing.
        let f = std::fs::File::open(posted)
            .map_err(|e| Fatal(format!("cannot read `{}`: {e}", posted.display())))?;
        let booked = read_posted(f).map_err(|e| Fatal(format!("{}: {e}", posted.display())))?;
        let ledger = self.ledger()?;
        // Amounts out of the decimal range stop the run before anything
        // is written.
        let diff = diff_posted(&ledger.lines, &booked)
            .map_err(|e| Fatal(format!("{}: {e}", posted.display())))?;
        let summary = self.summary_of(&ledger)?;
        // Error events are reported on standard error, not as lines
        // (CLI.md); each names its input and line.
        let mut errors = 0u64;
        for e in ledger.lines.iter().filter(|l| l.status == Status::Error) {
            eprintln!("error: {}", e.explanation);
            errors += 1;
        }
        self.write_lines(&diff)?;
        Ok((exit_for(errors), summary))
    }

    /// The summary, when one is asked for; a sum out of range stops the
    /// run before anything is written.
    fn summary_of(&self, ledger: &baton::Ledger) -> Result<Vec<SummaryRow>, Fatal> {
        if self.a.summary.is_none() {
            return Ok(Vec::new());
        }
        ledger.summary().map_err(|e| Fatal(e.to_string()))
    }

    fn ledger(&self) -> Result<baton::Ledger, Fatal> {
        let deals = read_table(&self.a.deals, &self.a.inputs)?;
        Ok(self.set.clawback(&deals, &self.events, &self.options)?)
    }

    fn write_lines(&self, lines: &[LedgerLine]) -> Result<(), Fatal> {
        let fail = |e: &dyn std::fmt::Display| Fatal(format!("cannot write the ledger: {e}"));
        let format = Format::from(self.a.format);
        if format == Format::Csv {
            return write_ledger(lines, self.ledger.writer()?).map_err(|e| fail(&e));
        }
        let columns = baton::ledger::COLUMNS.map(String::from).to_vec();
        let mut out = Output::new(self.ledger.writer()?, format, columns).map_err(|e| fail(&e))?;
        for l in lines {
            out.write(l).map_err(|e| fail(&e))?;
        }
        out.finish().map_err(|e| fail(&e))
    }
}

/// A failure of a run against the booked ledger at `posted`: one of its
/// lines is named with the file.
fn posted_error(posted: &std::path::Path, e: baton::RunError) -> Fatal {
    match e {
        baton::RunError::Posted(e) => Fatal(format!("{}: {e}", posted.display())),
        other => Fatal::from(other),
    }
}

/// The closing line of a streamed ledger run.
fn ledger_closing(errors: usize) -> String {
    format!(
        "ledger written, {} error line{}",
        super::progress::thousands(errors as u64),
        if errors == 1 { "" } else { "s" }
    )
}
