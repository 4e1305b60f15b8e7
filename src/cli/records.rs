//! `qualify`, `health` and `sla`: every input record evaluated by the
//! version in force, one output record each.

use std::path::PathBuf;
use std::process::ExitCode;

use baton::io::{Format, Output};
use baton::{At, Block, DateTime, EvalOptions, NaiveDate, Utc};
use clap::Args;

use super::{
    exit_for, load, output_for, parse_date, progress, reader_for, Fatal, FormatArg, Warnings,
};

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
    /// Input format (default: by extension).
    #[arg(long, value_enum)]
    input_format: Option<FormatArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: FormatArg,
    /// Write results here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
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
    /// Input format (default: by extension; events are JSON).
    #[arg(long, value_enum)]
    input_format: Option<FormatArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: FormatArg,
    /// Write results here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    warnings: Warnings,
    /// Events, one JSON object a line (`-` for standard input).
    events: String,
}

fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
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
    let reader = reader_for(&a.input, a.input_format)?;
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
    let mut out = Output::new(
        output_for(&a.output)?,
        a.format.into(),
        policy.columns(block),
    )
    .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    let mut options = EvalOptions::on(resolved.date);
    if a.explain {
        options = options.explained();
    }
    let pb = progress();
    let mut tick = |n: u64| {
        if let Some(pb) = &pb {
            pb.set_position(n);
        }
    };
    let stats = policy.evaluate_input(block, reader, &mut out, &options, &mut tick)?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    out.finish()
        .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    Ok(exit_for(stats.errors))
}

/// `sla`: one status per handoff instance at `--at`.
pub(super) fn sla(a: &SlaArgs) -> Result<ExitCode, Fatal> {
    let set = load(&a.policy, a.warnings)?;
    let resolved = set.resolve_for(Block::Handoff, a.at, a.version)?;
    let format = a
        .input_format
        .map_or_else(|| Format::of_path(&a.events), Format::from);
    if format == Format::Csv {
        return Err(Fatal(
            "sla events are JSON (one object a line, or an array): a note does not fit in CSV"
                .into(),
        ));
    }
    let reader = reader_for(&a.events, a.input_format)?;
    let policy = resolved.policy;
    let mut out = Output::new(
        output_for(&a.output)?,
        a.format.into(),
        policy.columns(Block::Handoff),
    )
    .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    let stats = policy.sla_input(reader, &mut out, a.at)?;
    out.finish()
        .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    Ok(exit_for(stats.errors))
}
