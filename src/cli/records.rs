//! `qualify`, `health` and `sla`: every input record evaluated by the
//! version in force, one output record each.

use std::path::PathBuf;
use std::process::ExitCode;

use baton::io::{Format, Output};
use baton::{At, Block, DateTime, EvalOptions, NaiveDate, Utc};
use clap::Args;

use super::files::{Inputs, Target};
use super::progress::{closing, wanted, Progress};
use super::{exit_for, load, parse_date, Fatal, FormatArg, InputArgs, Warnings};

#[derive(Args)]
pub(super) struct EvalArgs {
    /// A `.baton` file or a policy directory.
    #[arg(long)]
    policy: PathBuf,
    /// Evaluation date (default: today in the policy's time zone).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Use this version instead of the one in force.
    #[arg(long)]
    version: Option<i64>,
    /// Show why each rule, stage or arm came out as it did.
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    inputs: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: FormatArg,
    /// Write results here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Also write the run's aggregates here, as CSV (records, errors,
    /// count per stage or band and per version, score min/median/max).
    #[arg(long)]
    summary: Option<PathBuf>,
    #[command(flatten)]
    warnings: Warnings,
    /// Input records (`-` for standard input).
    input: String,
}

#[derive(Args)]
pub(super) struct SlaArgs {
    /// A `.baton` file or a policy directory.
    #[arg(long)]
    policy: PathBuf,
    /// The evaluation instant (RFC 3339).
    #[arg(long, value_parser = parse_instant)]
    at: DateTime<Utc>,
    /// Use this version instead of the one in force on the date of `--at`.
    #[arg(long)]
    version: Option<i64>,
    #[command(flatten)]
    inputs: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: FormatArg,
    /// Write results here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Also write the run's aggregates here, as CSV: per goal its states,
    /// attainment and clock time to met; alerts per kind and recipient.
    #[arg(long)]
    summary: Option<PathBuf>,
    #[command(flatten)]
    warnings: Warnings,
    /// Events, one JSON object a line (`-` for standard input).
    events: String,
}

impl EvalArgs {
    /// Names of `baton.toml` in place of paths, resolved.
    pub(super) fn resolve(&mut self) {
        self.policy = super::project::policy_path(&self.policy);
        self.input = super::project::input_path(&self.input);
    }
}

impl SlaArgs {
    /// Names of `baton.toml` in place of paths, resolved.
    pub(super) fn resolve(&mut self) {
        self.policy = super::project::policy_path(&self.policy);
        self.events = super::project::input_path(&self.events);
    }
}

pub(super) fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{s}` is not a timestamp (RFC 3339, e.g. 2026-12-10T16:00:00Z)"))
}

/// `qualify` and `health`.
pub(super) fn records(a: &EvalArgs, block: Block) -> Result<ExitCode, Fatal> {
    let set = load(&a.policy, a.warnings)?;
    let at = a.as_of.map_or_else(|| At::Instant(Utc::now()), At::Date);
    let resolved = set.resolve_for(block, at, a.version)?;
    let policy = resolved.policy;
    let Opened {
        target,
        summary,
        progress,
        reader,
    } = open_run(
        &a.policy,
        &a.input,
        (a.output.as_deref(), a.summary.as_deref()),
        &a.inputs,
        a.warnings.quiet,
    )?;
    let schema = match block {
        Block::Health => policy.health_schema(),
        _ => policy.qualify_schema(),
    };
    if let (Some(schema), Some(header)) = (schema, reader.header()) {
        let missing = reader.missing_columns(schema);
        if !missing.is_empty() {
            a.warnings.command(&format!(
                "{} has no column for required field{} {} (header: {})",
                a.input,
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                header.join(",")
            ))?;
        }
    }
    if a.explain && a.format == FormatArg::Csv {
        // A CSV row has no place for an explanation: say so rather than
        // drop the request unnoticed.
        a.warnings
            .command("--explain is shown in JSON output only (--format jsonl or json)")?;
    }
    let mut out = Output::new(target.writer()?, a.format.into(), policy.columns(block))
        .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    let mut options = EvalOptions::on(resolved.date);
    if a.explain {
        options = options.explained();
    }
    if summary.is_some() || wanted(a.warnings.quiet) {
        options = options.summarized();
    }
    let stats =
        policy.evaluate_input(block, reader, &mut out, &options, &mut |_| progress.tick())?;
    progress.finish(&closing(
        stats.records,
        stats.errors,
        stats.summary.as_ref(),
    ));
    out.finish()
        .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    write_summary(summary.as_ref(), &stats)?;
    target.commit()?;
    if let Some(file) = summary {
        file.commit()?;
    }
    Ok(exit_for(stats.errors))
}

/// What a run over one input opens before it reads anything.
struct Opened {
    target: Target,
    summary: Option<Target>,
    progress: Progress,
    reader: baton::io::Reader,
}

/// Opens a run's outputs (`--output`, `--summary`), then its input, its
/// bytes counted for the progress bar.
fn open_run(
    policy: &std::path::Path,
    input: &str,
    (output, summary): (Option<&std::path::Path>, Option<&std::path::Path>),
    inputs: &InputArgs,
    quiet: bool,
) -> Result<Opened, Fatal> {
    let mut targets = outputs(
        policy,
        input,
        &[("--output", output), ("--summary", summary)],
    )?
    .into_iter();
    let target = targets
        .next()
        .ok_or_else(|| Fatal("internal error: no output".into()))?;
    let summary = summary.and_then(|_| targets.next());
    let progress = Progress::start(input, quiet);
    let reader = inputs.reader_with(input, Some(&progress))?;
    Ok(Opened {
        target,
        summary,
        progress,
        reader,
    })
}

/// Writes the run's summary to its file, when one was asked for.
fn write_summary(file: Option<&Target>, stats: &baton::RunStats) -> Result<(), Fatal> {
    if let (Some(file), Some(tally)) = (file, &stats.summary) {
        tally
            .write_csv(file.writer()?)
            .map_err(|e| Fatal(format!("cannot write the summary: {e}")))?;
    }
    Ok(())
}

/// The outputs of a command reading `input` with the policy at `policy`,
/// opened before anything is read: each named option's file, or standard
/// output for the first when it names none.
pub(super) fn outputs(
    policy: &std::path::Path,
    input: &str,
    paths: &[(&str, Option<&std::path::Path>)],
) -> Result<Vec<Target>, Fatal> {
    let mut inputs = Inputs::default();
    inputs.policy(policy);
    inputs.file("the input", input);
    let wanted: Vec<(&str, Option<&std::path::Path>)> = paths
        .iter()
        .enumerate()
        .filter(|(i, (_, p))| *i == 0 || p.is_some())
        .map(|(_, x)| *x)
        .collect();
    inputs.open(&wanted)
}

/// `sla`: one status per handoff instance at `--at`.
pub(super) fn sla(a: &SlaArgs) -> Result<ExitCode, Fatal> {
    let set = load(&a.policy, a.warnings)?;
    let resolved = set.resolve_for(Block::Handoff, a.at, a.version)?;
    let format = a.inputs.format_of(&a.events)?;
    if format == Format::Csv {
        return Err(Fatal(
            "sla events are JSON (one object a line, or an array): a note does not fit in CSV"
                .into(),
        ));
    }
    let Opened {
        target,
        summary,
        progress,
        reader,
    } = open_run(
        &a.policy,
        &a.events,
        (a.output.as_deref(), a.summary.as_deref()),
        &a.inputs,
        a.warnings.quiet,
    )?;
    let policy = resolved.policy;
    let mut out = Output::new(
        target.writer()?,
        a.format.into(),
        policy.columns(Block::Handoff),
    )
    .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    let stats = match summary.is_some() || wanted(a.warnings.quiet) {
        true => policy.sla_input_summarized(reader, &mut out, a.at)?,
        false => policy.sla_input(reader, &mut out, a.at)?,
    };
    progress.finish(&closing(
        stats.records,
        stats.errors,
        stats.summary.as_ref(),
    ));
    out.finish()
        .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    write_summary(summary.as_ref(), &stats)?;
    target.commit()?;
    if let Some(file) = summary {
        file.commit()?;
    }
    Ok(exit_for(stats.errors))
}
