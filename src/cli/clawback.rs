//! `clawback`: the commission adjustment ledger, streamed or computed
//! whole, against a booked ledger with `--posted`.

use std::path::PathBuf;
use std::process::ExitCode;

use baton::io::{Format, Output};
use baton::ledger::{diff_posted, read_posted, write_ledger, write_summary, SummaryRow};
use baton::{Block, ClawbackOptions, LedgerLine, NaiveDate, PolicySet, Status, Table, Utc};
use clap::Args;

use super::{exit_for, load, output_for, parse_date, reader_for, Fatal, FormatArg, Warnings};

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
    /// Input format of both inputs (default: by extension).
    #[arg(long, value_enum)]
    input_format: Option<FormatArg>,
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
fn read_table(path: &str, format: Option<FormatArg>) -> Result<Table, Fatal> {
    Table::read(reader_for(path, format)?).map_err(|e| Fatal(e.message))
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
    let events = read_table(&a.events, a.input_format)?;
    let job = Job {
        a,
        set: &set,
        options,
        events,
    };
    match (&a.posted, Format::from(a.format)) {
        (None, Format::Csv) => job.stream(),
        (None, _) => job.whole(),
        (Some(posted), _) => job.posted(posted),
    }
}

struct Job<'a> {
    a: &'a ClawbackArgs,
    set: &'a PolicySet,
    options: ClawbackOptions,
    events: Table,
}

impl Job<'_> {
    /// The whole ledger as CSV: deals stream through, one row at a time.
    fn stream(&self) -> Result<ExitCode, Fatal> {
        let mut deals = reader_for(&self.a.deals, self.a.input_format)?;
        let out = output_for(&self.a.output)?;
        let outcome = self
            .set
            .clawback_stream(&mut deals, &self.events, &self.options, out)?;
        self.write_summary(&outcome.summary)?;
        Ok(exit_for(outcome.errors as u64))
    }

    /// The ledger computed whole (JSON output), then written.
    fn whole(&self) -> Result<ExitCode, Fatal> {
        let ledger = self.ledger()?;
        self.write_lines(&ledger.lines)?;
        self.write_summary(&ledger.summary())?;
        let errors = ledger
            .lines
            .iter()
            .filter(|l| l.status == Status::Error)
            .count();
        Ok(exit_for(errors as u64))
    }

    /// What is still to book against the ledger at `posted`.
    fn posted(&self, posted: &std::path::Path) -> Result<ExitCode, Fatal> {
        // Read the booked ledger before printing anything: a bad one
        // prints nothing.
        let f = std::fs::File::open(posted)
            .map_err(|e| Fatal(format!("cannot read `{}`: {e}", posted.display())))?;
        let booked = read_posted(f).map_err(|e| Fatal(format!("{}: {e}", posted.display())))?;
        let ledger = self.ledger()?;
        // Error events are reported on standard error, not as lines (CLI.md).
        let mut errors = 0u64;
        for e in ledger.lines.iter().filter(|l| l.status == Status::Error) {
            eprintln!("error: line {}: {}", e.line, e.explanation);
            errors += 1;
        }
        self.write_lines(&diff_posted(&ledger.lines, &booked))?;
        self.write_summary(&ledger.summary())?;
        Ok(exit_for(errors))
    }

    fn ledger(&self) -> Result<baton::Ledger, Fatal> {
        let deals = read_table(&self.a.deals, self.a.input_format)?;
        Ok(self.set.clawback(&deals, &self.events, &self.options)?)
    }

    fn write_lines(&self, lines: &[LedgerLine]) -> Result<(), Fatal> {
        let fail = |e: &dyn std::fmt::Display| Fatal(format!("cannot write the ledger: {e}"));
        let format = Format::from(self.a.format);
        if format == Format::Csv {
            return write_ledger(lines, output_for(&self.a.output)?).map_err(|e| fail(&e));
        }
        let columns = baton::ledger::COLUMNS.map(String::from).to_vec();
        let mut out =
            Output::new(output_for(&self.a.output)?, format, columns).map_err(|e| fail(&e))?;
        for l in lines {
            out.write(l).map_err(|e| fail(&e))?;
        }
        out.finish().map_err(|e| fail(&e))
    }

    fn write_summary(&self, rows: &[SummaryRow]) -> Result<(), Fatal> {
        if let Some(path) = &self.a.summary {
            let fail = |e: &dyn std::fmt::Display| {
                Fatal(format!("cannot write `{}`: {e}", path.display()))
            };
            let f = std::fs::File::create(path).map_err(|e| fail(&e))?;
            write_summary(rows, f).map_err(|e| fail(&e))?;
        }
        Ok(())
    }
}
