//! `baton diff`: what a policy change does to the same input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use baton::{At, Block, EvalOptions, NaiveDate, Utc};
use clap::{Args, Subcommand, ValueEnum};

use super::files::Inputs;
use super::progress::{thousands, Progress};
use super::{load, parse_date, Fatal, InputArgs, Warnings};

#[derive(Subcommand)]
pub(super) enum DiffCommand {
    /// Stage transitions, gains and losses, score deltas.
    Qualify(DiffArgs),
    /// Band transitions, score deltas, measures changed.
    Health(DiffArgs),
    /// Per rep and currency: paid, clawed back, reinstated, bonuses, net,
    /// and every ledger line whose amount changes.
    Clawback(LedgerDiffArgs),
    /// Per goal, state transitions and due shifts; alerts added and removed.
    Sla(SlaDiffArgs),
}

#[derive(Args)]
pub(super) struct SlaDiffArgs {
    #[command(flatten)]
    c: Common,
    /// The evaluation instant (RFC 3339).
    #[arg(long, value_parser = super::records::parse_instant)]
    at: baton::DateTime<Utc>,
    #[command(flatten)]
    inputs: InputArgs,
    /// Events, JSON lines or a JSON array (`-` for standard input).
    events: String,
}

#[derive(Args)]
pub(super) struct LedgerDiffArgs {
    #[command(flatten)]
    c: Common,
    /// Deals (CSV, JSON lines or a JSON array).
    #[arg(long)]
    deals: String,
    /// Deal events.
    #[arg(long)]
    events: String,
    /// Evaluation date (default: today in each plan's time zone).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    #[command(flatten)]
    inputs: InputArgs,
}

/// What every diff takes: the two policies and how to write the result.
#[derive(Args)]
pub(super) struct Common {
    /// The policy in force: a `.baton` file, a directory or a `baton.toml`
    /// name; `DIR@N` pins version N (for every deal, in `clawback`).
    #[arg(long)]
    from: String,
    /// The proposed policy, likewise (`policies/qualification@2`).
    #[arg(long)]
    to: String,
    /// How to write the diff: `text`, `json`, or `csv` (one row per changed
    /// record or ledger line; not for `sla`).
    #[arg(long, value_enum, default_value = "text")]
    format: DiffFormat,
    /// Write the diff here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Exit 1 when anything changed (as `git diff --exit-code`).
    #[arg(long)]
    exit_code: bool,
    #[command(flatten)]
    warnings: Warnings,
}

/// How a diff is written.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    /// Aligned tables, headline first.
    Text,
    /// One JSON document with every figure.
    Json,
    /// One CSV row per changed record.
    Csv,
}

#[derive(Args)]
pub(super) struct DiffArgs {
    #[command(flatten)]
    c: Common,
    /// Evaluation date of both (default: today in each policy's time zone).
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    #[command(flatten)]
    inputs: InputArgs,
    /// Write every changed record here, one JSON object a line: its key,
    /// both outcomes, and the rules whose result differs.
    #[arg(long)]
    changes: Option<PathBuf>,
    /// Input records (`-` for standard input).
    input: String,
}

/// The fields the two policies' records declare differently: the same
/// name with another type, or required in one and optional in the other.
/// A field only one of them declares is fine (the other does not read it).
fn schema_differences(block: Block, old: &baton::Policy, new: &baton::Policy) -> Vec<String> {
    let schema = |p: &baton::Policy| match block {
        Block::Health => p.health_schema().cloned(),
        _ => p.qualify_schema().cloned(),
    };
    let (Some(a), Some(b)) = (schema(old), schema(new)) else {
        return Vec::new();
    };
    let side = |p: &baton::Policy| format!("{} v{}", p.name(), p.version());
    let mut out = Vec::new();
    for f in a.fields() {
        let Some(g) = b.fields().iter().find(|g| g.name == f.name) else {
            continue;
        };
        if f.ty != g.ty {
            out.push(format!(
                "field `{}` is {} in {} and {} in {}: a value one of them cannot read makes \
                 that record an error on its side",
                f.name,
                f.ty,
                side(old),
                g.ty,
                side(new)
            ));
        } else if f.optional != g.optional {
            let (req, opt) = if f.optional { (new, old) } else { (old, new) };
            let flag = if f.optional { "--to" } else { "--from" };
            out.push(format!(
                "field `{}` is required in {} ({flag}) and optional in {}: a record without it \
                 is an error under {} only",
                f.name,
                side(req),
                side(opt),
                side(req)
            ));
        }
    }
    out
}

/// A policy argument: its path and pinned version (`DIR@N`).
fn side(arg: &str) -> Result<(PathBuf, Option<i64>), Fatal> {
    if Path::new(arg).exists() {
        return Ok((PathBuf::from(arg), None));
    }
    match arg.rsplit_once('@') {
        Some((path, v)) => {
            let v = v
                .parse::<i64>()
                .map_err(|_| Fatal(format!("`{arg}`: `{v}` after `@` is not a version number")))?;
            Ok((PathBuf::from(path), Some(v)))
        }
        None => Err(Fatal(format!("`{arg}` does not exist"))),
    }
}

impl DiffCommand {
    /// Names of `baton.toml` in place of input paths, resolved (policies
    /// are resolved with their `@N`).
    pub(super) fn resolve(&mut self) {
        use super::project::input_path;
        match self {
            DiffCommand::Qualify(a) | DiffCommand::Health(a) => a.input = input_path(&a.input),
            DiffCommand::Clawback(a) => {
                a.deals = input_path(&a.deals);
                a.events = input_path(&a.events);
            }
            DiffCommand::Sla(a) => a.events = input_path(&a.events),
        }
    }
}

pub(super) fn run(cmd: &DiffCommand) -> Result<ExitCode, Fatal> {
    let (a, block) = match cmd {
        DiffCommand::Qualify(a) => (a, Block::Qualify),
        DiffCommand::Health(a) => (a, Block::Health),
        DiffCommand::Clawback(a) => return ledgers(a),
        DiffCommand::Sla(a) => return slas(a),
    };
    let (from, from_v) = side(&a.c.from)?;
    let (to, to_v) = side(&a.c.to)?;
    let old_set = load(&from, a.c.warnings)?;
    let new_set = load(&to, a.c.warnings)?;
    let at = a.as_of.map_or_else(|| At::Instant(Utc::now()), At::Date);
    let old = old_set.resolve_for(block, at, from_v)?;
    let new = new_set.resolve_for(block, at, to_v)?;
    for w in schema_differences(block, old.policy, new.policy) {
        a.c.warnings.command(&w)?;
    }
    // Every output is opened before anything is read.
    let mut inputs = Inputs::default();
    inputs.policy(&from);
    inputs.policy(&to);
    inputs.file("the input", &a.input);
    let mut outs = vec![("--output", a.c.output.as_deref())];
    if let Some(c) = &a.changes {
        outs.push(("--changes", Some(c.as_path())));
    }
    let mut targets = inputs.open(&outs)?.into_iter();
    let target = targets
        .next()
        .ok_or_else(|| Fatal("internal error: no output".into()))?;
    let changes_file = targets.next();
    let progress = Progress::start(&a.input, a.c.warnings.quiet);
    let reader = a.inputs.reader_with(&a.input, Some(&progress))?;
    let mut changes_out: Option<Box<dyn Write>> = match &changes_file {
        Some(t) => Some(Box::new(std::io::BufWriter::new(t.writer()?))),
        None => None,
    };
    let mut csv_out = if a.c.format == DiffFormat::Csv {
        let w: Box<dyn Write> = Box::new(std::io::BufWriter::new(target.writer()?));
        let mut c = csv::Writer::from_writer(w);
        baton::diff::write_changes_csv_header(&mut c)?;
        Some(c)
    } else {
        None
    };
    let rules = changes_out.is_some() || csv_out.is_some();
    let mut each = |c: baton::diff::Change| -> std::io::Result<()> {
        if let Some(w) = &mut changes_out {
            serde_json::to_writer(&mut *w, &c)?;
            w.write_all(b"\n")?;
        }
        if let Some(w) = &mut csv_out {
            w.write_record(c.csv_row())?;
        }
        Ok(())
    };
    let diff = baton::diff::records(
        block,
        (old.policy, EvalOptions::on(old.date)),
        (new.policy, EvalOptions::on(new.date)),
        reader,
        rules,
        rules.then_some(&mut each as &mut dyn FnMut(baton::diff::Change) -> std::io::Result<()>),
    )?;
    progress.finish(&format!(
        "{} records, {} changed",
        thousands(diff.records),
        thousands(diff.changed)
    ));
    if let Some(mut w) = changes_out {
        w.flush()?;
    }
    match (a.c.format, csv_out) {
        (_, Some(mut c)) => c.flush()?,
        (DiffFormat::Json, _) => {
            let mut w = std::io::BufWriter::new(target.writer()?);
            serde_json::to_writer_pretty(&mut w, &diff)?;
            w.write_all(b"\n")?;
            w.flush()?;
        }
        _ => {
            let mut w = std::io::BufWriter::new(target.writer()?);
            baton::diff::write_text(&diff, &mut w)?;
            w.flush()?;
        }
    }
    target.commit()?;
    if let Some(t) = changes_file {
        t.commit()?;
    }
    Ok(if a.c.exit_code && diff.changed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `baton diff clawback`.
fn ledgers(a: &LedgerDiffArgs) -> Result<ExitCode, Fatal> {
    let (from, from_v) = side(&a.c.from)?;
    let (to, to_v) = side(&a.c.to)?;
    let old_set = load(&from, a.c.warnings)?;
    let new_set = load(&to, a.c.warnings)?;
    let mut inputs = Inputs::default();
    inputs.policy(&from);
    inputs.policy(&to);
    inputs.file("--deals", &a.deals);
    inputs.file("--events", &a.events);
    let target = inputs
        .open(&[("--output", a.c.output.as_deref())])?
        .into_iter()
        .next()
        .ok_or_else(|| Fatal("internal error: no output".into()))?;
    let read = |path: &str| -> Result<baton::Table, Fatal> {
        Ok(baton::Table::read(a.inputs.reader(path)?)?)
    };
    let (deals, events) = (read(&a.deals)?, read(&a.events)?);
    let run = |set: &baton::PolicySet, v: Option<i64>| -> Result<baton::Ledger, Fatal> {
        let as_of = a.as_of.unwrap_or_else(|| set.today(Utc::now()));
        let mut options = baton::ClawbackOptions::as_of(as_of);
        if let Some(v) = v {
            options = options.pinned(v);
        }
        Ok(set.clawback(&deals, &events, &options)?)
    };
    let (old, new) = (run(&old_set, from_v)?, run(&new_set, to_v)?);
    let name = |set: &baton::PolicySet, v: Option<i64>| match v {
        Some(v) => format!("{} v{v}", set.name()),
        None => format!("{} (version in force per deal)", set.name()),
    };
    let d =
        baton::diff::LedgerDiff::of(&name(&old_set, from_v), &old, &name(&new_set, to_v), &new)?;
    let mut w = std::io::BufWriter::new(target.writer()?);
    match a.c.format {
        DiffFormat::Text => baton::diff::write_ledger_text(&d, &mut w)?,
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &d)?;
            w.write_all(b"\n")?;
        }
        DiffFormat::Csv => {
            let mut c = csv::Writer::from_writer(&mut w);
            c.write_record(["deal", "event", "kind", "currency", "old", "new"])?;
            for k in &d.keys {
                c.write_record([
                    k.deal.as_str(),
                    &k.event,
                    &k.kind,
                    &k.currency,
                    k.old.as_deref().unwrap_or(""),
                    k.new.as_deref().unwrap_or(""),
                ])?;
            }
            c.flush()?;
        }
    }
    w.flush()?;
    drop(w);
    target.commit()?;
    Ok(if a.c.exit_code && d.changed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `baton diff sla`.
fn slas(a: &SlaDiffArgs) -> Result<ExitCode, Fatal> {
    if a.c.format == DiffFormat::Csv {
        return Err(Fatal(
            "`diff sla` writes text or JSON (--format text|json)".into(),
        ));
    }
    let (from, from_v) = side(&a.c.from)?;
    let (to, to_v) = side(&a.c.to)?;
    let old_set = load(&from, a.c.warnings)?;
    let new_set = load(&to, a.c.warnings)?;
    let old = old_set.resolve_for(Block::Handoff, a.at, from_v)?;
    let new = new_set.resolve_for(Block::Handoff, a.at, to_v)?;
    let mut inputs = Inputs::default();
    inputs.policy(&from);
    inputs.policy(&to);
    inputs.file("the input", &a.events);
    let target = inputs
        .open(&[("--output", a.c.output.as_deref())])?
        .into_iter()
        .next()
        .ok_or_else(|| Fatal("internal error: no output".into()))?;
    let reader = a.inputs.reader(&a.events)?;
    let d = baton::diff::sla(old.policy, new.policy, reader, a.at)?;
    let mut w = std::io::BufWriter::new(target.writer()?);
    match a.c.format {
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &d)?;
            w.write_all(b"\n")?;
        }
        _ => baton::diff::write_sla_text(&d, &mut w)?,
    }
    w.flush()?;
    drop(w);
    target.commit()?;
    Ok(if a.c.exit_code && d.changed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
