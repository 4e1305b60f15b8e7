//! The command line (CLI.md): argument parsing and the commands, on top of
//! the library. Exit status: 0 all records evaluated, 1 some records were
//! errors, 2 the policy failed its check, bad usage, or unreadable input.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use baton::io::{open, positions, ErrorLine, Format, Item, Output, Reader};
use baton::policy::render_all;
use baton::{Policy, PolicySet, Record, Schema};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "baton",
    version,
    about = "Rules for the moment a customer passes from one team to another"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check policy files or directories; print every problem.
    Check {
        /// Policy files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Silence warnings.
        #[arg(long)]
        quiet: bool,
    },
    /// Run the `test` blocks of policy files or directories.
    Test {
        /// Policy files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Silence warnings.
        #[arg(long)]
        quiet: bool,
    },
    /// Put policy files in the canonical layout (whitespace only).
    Fmt {
        /// Policy files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; exit 1 when a file is not in the canonical layout.
        #[arg(long)]
        check: bool,
    },
    /// One qualification decision per lead.
    Qualify(EvalArgs),
    /// One health scorecard per customer.
    Health(EvalArgs),
    /// One SLA status per handoff instance.
    Sla(SlaArgs),
    /// The commission adjustment ledger.
    Clawback(ClawbackArgs),
}

#[derive(Args)]
struct ClawbackArgs {
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
    input_format: Option<Format>,
    /// Ledger format: CSV (the default), or JSON lines / a JSON array of
    /// objects with the same columns, every cell a string.
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Write the ledger here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Silence warnings.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct SlaArgs {
    /// A `.baton` file or a policy directory.
    #[arg(long)]
    policy: PathBuf,
    /// The evaluation instant (RFC 3339).
    #[arg(long, value_parser = parse_instant)]
    at: i64,
    /// Use this version instead of the one in force on the date of `--at`.
    #[arg(long)]
    version: Option<i64>,
    /// Input format (default: by extension; events are JSON).
    #[arg(long, value_enum)]
    input_format: Option<Format>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Write results here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Silence warnings.
    #[arg(long)]
    quiet: bool,
    /// Events, one JSON object a line (`-` for standard input).
    events: String,
}

fn parse_instant(s: &str) -> Result<i64, String> {
    baton::record::parse_timestamp(s)
        .ok_or_else(|| format!("`{s}` is not a timestamp (RFC 3339, e.g. 2026-12-10T16:00:00Z)"))
}

#[derive(Args)]
struct EvalArgs {
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
    input_format: Option<Format>,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Write results here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Silence warnings.
    #[arg(long)]
    quiet: bool,
    /// Input records (`-` for standard input).
    input: String,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

/// A failure that stops the command with exit status 2.
struct Fatal(String);

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { paths, quiet } => check(&paths, quiet),
        Command::Test { paths, quiet } => test(&paths, quiet),
        Command::Fmt { paths, check } => fmt(&paths, check),
        Command::Qualify(a) => evaluate(&a, Domain::Qualify),
        Command::Health(a) => evaluate(&a, Domain::Health),
        Command::Sla(a) => sla(&a),
        Command::Clawback(a) => clawback(&a),
    };
    match result {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}");
            }
            ExitCode::from(2)
        }
    }
}

fn print_warnings(p: &Policy, quiet: bool) {
    if !quiet && !p.warnings().is_empty() {
        let c = p.compiled();
        eprint!(
            "{}",
            render_all(p.warnings(), &[(c.file.clone(), c.source.clone())])
        );
    }
}

fn load(path: &Path, quiet: bool) -> Result<PolicySet, Fatal> {
    match PolicySet::load(path) {
        Ok(set) => {
            for p in set.versions() {
                print_warnings(p, quiet);
            }
            Ok(set)
        }
        Err(e) => {
            eprint!("{}", e.render());
            let n = e.diagnostics.iter().filter(|d| d.is_error()).count();
            Err(Fatal(format!(
                "{} failed its check ({n} error{})",
                path.display(),
                if n == 1 { "" } else { "s" }
            )))
        }
    }
}

fn check(paths: &[PathBuf], quiet: bool) -> Result<ExitCode, Fatal> {
    let mut failed = 0;
    for path in paths {
        match load(path, quiet) {
            Ok(set) => {
                let versions: Vec<String> = set
                    .versions()
                    .iter()
                    .map(|p| p.version().to_string())
                    .collect();
                let name = set
                    .latest()
                    .map(|p| p.name().to_string())
                    .unwrap_or_default();
                println!(
                    "{}: ok (policy `{name}`, version {})",
                    path.display(),
                    versions.join(", ")
                );
            }
            Err(Fatal(msg)) => {
                eprintln!("error: {msg}");
                failed += 1;
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn test(paths: &[PathBuf], quiet: bool) -> Result<ExitCode, Fatal> {
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in paths {
        let set = load(path, quiet)?;
        for p in set.versions() {
            for t in baton::testing::run_tests(p) {
                if t.passed() {
                    passed += 1;
                    println!("ok   {} ({})", t.name, t.location);
                } else {
                    failed += 1;
                    println!("FAIL {} ({})", t.name, t.location);
                    for f in &t.failures {
                        println!("       {f}");
                    }
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `baton fmt`: files that do not parse are reported and left alone (exit
/// 2); with `--check`, a file not in the canonical layout is named and
/// the exit status is 1.
fn fmt(paths: &[PathBuf], check: bool) -> Result<ExitCode, Fatal> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| Fatal(format!("cannot read `{}`: {e}", path.display())))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "baton"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let (mut broken, mut unformatted) = (0usize, 0usize);
    for file in files {
        let name = file.display().to_string();
        let source = match std::fs::read(&file).map(String::from_utf8) {
            Ok(Ok(s)) => s,
            Ok(Err(_)) => {
                eprintln!("error: {name} is not UTF-8 text");
                broken += 1;
                continue;
            }
            Err(e) => {
                eprintln!("error: cannot read `{name}`: {e}");
                broken += 1;
                continue;
            }
        };
        if let Err(diags) = baton::syntax::parse(&name, &source) {
            let sources = [(
                std::sync::Arc::from(name.as_str()),
                std::sync::Arc::from(source.as_str()),
            )];
            eprint!("{}", render_all(&diags, &sources));
            eprintln!("error: {name} does not parse; left as it is");
            broken += 1;
            continue;
        }
        let formatted = baton::format::format_source(&source);
        if formatted == source {
            continue;
        }
        // Whitespace is all the layout may change; anything else would be
        // a bug, and the file is then left alone.
        if !baton::format::same_content(&source, &formatted) {
            return Err(Fatal(format!(
                "internal error: formatting {name} would change its content"
            )));
        }
        unformatted += 1;
        if check {
            println!("{name}: not in the canonical layout");
        } else {
            std::fs::write(&file, formatted)
                .map_err(|e| Fatal(format!("cannot write `{name}`: {e}")))?;
            println!("{name}: formatted");
        }
    }
    Ok(if broken > 0 {
        ExitCode::from(2)
    } else if check && unformatted > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Today in a time zone, for the default `--as-of`.
fn today_in(tz: chrono_tz::Tz) -> NaiveDate {
    chrono::Utc::now().with_timezone(&tz).date_naive()
}

/// The version to evaluate with: `--version`, or the one in force.
fn pick(
    set: &PolicySet,
    as_of: Option<NaiveDate>,
    version: Option<i64>,
) -> Result<(Policy, NaiveDate), Fatal> {
    let tz = set
        .latest()
        .map_or(chrono_tz::UTC, |p| p.compiled().timezone);
    let date = as_of.unwrap_or_else(|| today_in(tz));
    let name = set
        .latest()
        .map(|p| p.name().to_string())
        .unwrap_or_default();
    let p = match version {
        Some(v) => set
            .version(v)
            .ok_or_else(|| Fatal(format!("policy `{name}` has no version {v}")))?,
        None => set.in_force(date).ok_or_else(|| {
            Fatal(format!(
                "no version of policy `{name}` is in force on {date}"
            ))
        })?,
    };
    Ok((p.clone(), date))
}

#[derive(Clone, Copy, PartialEq)]
enum Domain {
    Qualify,
    Health,
}

fn output_for(path: &Option<PathBuf>) -> Result<Box<dyn Write>, Fatal> {
    match path {
        Some(p) => std::fs::File::create(p)
            .map(|f| Box::new(f) as Box<dyn Write>)
            .map_err(|e| Fatal(format!("cannot write `{}`: {e}", p.display()))),
        None => Ok(Box::new(std::io::stdout().lock())),
    }
}

fn progress() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {pos} records ({per_sec})")
    {
        pb.set_style(style);
    }
    Some(pb)
}

fn evaluate(a: &EvalArgs, domain: Domain) -> Result<ExitCode, Fatal> {
    let set = load(&a.policy, a.quiet)?;
    let (policy, today) = pick(&set, a.as_of, a.version)?;
    let c = policy.compiled();
    let (schema, columns): (&Schema, Vec<String>) = match domain {
        Domain::Qualify => {
            let q = c
                .qualify
                .as_ref()
                .ok_or_else(|| Fatal(format!("policy `{}` has no `qualify` block", c.name)))?;
            let mut cols: Vec<String> = ["key", "policy", "version", "stage"]
                .map(String::from)
                .into();
            cols.extend(q.stages.iter().map(|s| format!("stages.{}", s.name)));
            cols.extend(
                q.scores
                    .iter()
                    .filter_map(|i| c.scores.get(*i))
                    .map(|s| format!("scores.{}", s.name)),
            );
            (
                policy
                    .qualify_schema()
                    .ok_or_else(|| Fatal("no record".into()))?,
                cols,
            )
        }
        Domain::Health => {
            let h = c
                .health
                .as_ref()
                .ok_or_else(|| Fatal(format!("policy `{}` has no `health` block", c.name)))?;
            let mut cols: Vec<String> = ["key", "policy", "version", "score", "band"]
                .map(String::from)
                .into();
            cols.extend(h.measures.iter().map(|m| format!("measures.{}", m.name)));
            (
                policy
                    .health_schema()
                    .ok_or_else(|| Fatal("no record".into()))?,
                cols,
            )
        }
    };
    let mut columns = columns;
    columns.extend(["error", "line"].map(String::from));
    let format = a.input_format.unwrap_or_else(|| Format::of_path(&a.input));
    let input = open(&a.input).map_err(|e| Fatal(format!("cannot read `{}`: {e}", a.input)))?;
    let mut reader = Reader::new(input, format).map_err(|e| Fatal(format!("{}: {e}", a.input)))?;
    let pos = positions(schema, reader.header.as_ref());
    if let Some(h) = &reader.header {
        let missing: Vec<&str> = schema
            .fields
            .iter()
            .zip(&pos)
            .filter(|(f, p)| p.is_none() && !f.optional)
            .map(|(f, _)| f.name.as_str())
            .collect();
        if !missing.is_empty() && !a.quiet {
            eprintln!(
                "warning: {} has no column for required field{} {} (header: {})",
                a.input,
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                h.iter().collect::<Vec<_>>().join(",")
            );
        }
    }
    if a.explain && a.format == Format::Csv && !a.quiet {
        // A CSV row has no place for an explanation: say so rather than
        // drop the request unnoticed.
        eprintln!("warning: --explain is shown in JSON output only (--format jsonl or json)");
    }
    let mut out = Output::new(output_for(&a.output)?, a.format, columns)
        .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    let pb = progress();
    // A converted record's outcome, whichever way it was converted.
    let decide = |rec: &Record, line: usize| -> Written {
        match run(&policy, domain, rec, today, a.explain) {
            Ok(r) => Written::Result(r),
            Err(e) => Written::Error(ErrorLine {
                error: e.to_string(),
                line,
                key: schema.key_of(rec),
            }),
        }
    };
    let work = |item: Item| -> Written {
        match item.row {
            Err(msg) => Written::Error(ErrorLine {
                error: msg,
                line: item.line,
                key: None,
            }),
            Ok(row) => match row.to_record(schema, &pos) {
                Err(e) => Written::Error(ErrorLine {
                    error: e.to_string(),
                    line: item.line,
                    key: row.raw_key(schema, &pos),
                }),
                Ok(rec) => decide(&rec, item.line),
            },
        }
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let errors = if reader.is_jsonl() && workers > 1 {
        let lines = reader
            .into_lines()
            .ok_or_else(|| Fatal("internal error: not JSON lines".into()))?;
        // The same outcome as `work` for a record that converts cleanly.
        let fast = |line: usize, text: &str| -> Option<Written> {
            Some(decide(&schema.from_json_text(text)?, line))
        };
        evaluate_parallel(lines, &mut out, &work, &fast, workers, pb.as_ref())?
    } else {
        let mut errors = 0usize;
        let mut n = 0u64;
        while let Some(item) = reader.next_item() {
            let item = item.map_err(Fatal)?;
            n += 1;
            if let Some(pb) = &pb {
                if n % 4096 == 0 {
                    pb.set_position(n);
                }
            }
            let written = match work(item) {
                Written::Result(r) => out.write(&r),
                Written::Error(e) => {
                    errors += 1;
                    out.write(&e)
                }
            };
            written.map_err(|e| Fatal(format!("cannot write output: {e}")))?;
        }
        errors
    };
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    out.finish()
        .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What one input record yields.
enum Written {
    Result(Outcome),
    Error(ErrorLine),
}

/// Lines per batch handed to a worker.
const LINES_PER_BATCH: usize = 512;

/// Evaluates JSON lines on `workers` threads: this thread reads raw lines
/// and writes the rendered results in input order as they come back; the
/// workers parse, convert, evaluate and render. The bytes are those of the
/// sequential loop. Returns the number of error objects.
fn evaluate_parallel(
    mut lines: Box<dyn std::io::BufRead + Send>,
    out: &mut Output,
    work: &(dyn Fn(Item) -> Written + Sync),
    fast: &(dyn Fn(usize, &str) -> Option<Written> + Sync),
    workers: usize,
    pb: Option<&indicatif::ProgressBar>,
) -> Result<usize, Fatal> {
    use std::sync::mpsc;
    /// A worker's rendering of a batch: bytes, where each record ends, and
    /// how many were error objects.
    type Done = (usize, std::io::Result<(Vec<u8>, Vec<usize>, usize)>);
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Vec<(usize, String, bool)>)>(workers * 4);
    let job_rx = std::sync::Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    let renderer = out.renderer();
    let out_ref = &renderer;
    std::thread::scope(|scope| -> Result<usize, Fatal> {
        for _ in 0..workers {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            scope.spawn(move || loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((seq, batch)) = job else { return };
                let mut buf = Vec::with_capacity(batch.len() * 256);
                let mut ends = Vec::with_capacity(batch.len());
                let mut errors = 0;
                let rendered = (|| {
                    for (line, text, utf8) in &batch {
                        // A clean record converts straight from its text;
                        // anything else takes the general path, which
                        // says what is wrong.
                        let clean = if *utf8 { fast(*line, text) } else { None };
                        let written = match clean {
                            Some(w) => w,
                            None => {
                                let Some(item) = baton::io::jsonl_item(*line, text, *utf8) else {
                                    continue;
                                };
                                work(item)
                            }
                        };
                        match written {
                            Written::Result(r) => out_ref.render(&r, &mut buf)?,
                            Written::Error(e) => {
                                errors += 1;
                                out_ref.render(&e, &mut buf)?;
                            }
                        }
                        ends.push(buf.len());
                    }
                    Ok((buf, ends, errors))
                })();
                if done_tx.send((seq, rendered)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        // Results arrive in any order; they are written in input order.
        let mut waiting: std::collections::BTreeMap<usize, (Vec<u8>, Vec<usize>, usize)> =
            std::collections::BTreeMap::new();
        let mut next = 0usize;
        let mut errors = 0usize;
        let mut write_ready = |got: Done,
                               waiting: &mut std::collections::BTreeMap<_, _>,
                               next: &mut usize|
         -> Result<(), Fatal> {
            let (seq, r) = got;
            let r = r.map_err(|e| Fatal(format!("cannot write output: {e}")))?;
            waiting.insert(seq, r);
            while let Some((buf, ends, errs)) = waiting.remove(next) {
                let mut start = 0;
                for end in ends {
                    let bytes = buf.get(start..end).unwrap_or_default();
                    out.write_rendered(bytes)
                        .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
                    start = end;
                }
                errors += errs;
                *next += 1;
            }
            Ok(())
        };
        let mut seq = 0usize;
        let mut line_no = 0usize;
        let mut batch = Vec::with_capacity(LINES_PER_BATCH);
        let mut text = String::new();
        let mut failed = None;
        loop {
            text.clear();
            match baton::io::read_line_lossy(lines.as_mut(), &mut text) {
                Ok((0, _)) => break,
                Ok((_, utf8)) => {
                    line_no += 1;
                    // The next line gets a buffer of this one's size.
                    let next = String::with_capacity(text.len() + 64);
                    batch.push((line_no, std::mem::replace(&mut text, next), utf8));
                }
                Err(e) => {
                    failed = Some(Fatal(format!("cannot read input: {e}")));
                    break;
                }
            }
            if batch.len() == LINES_PER_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(LINES_PER_BATCH));
                if job_tx.send((seq, full)).is_err() {
                    break;
                }
                seq += 1;
                if let Some(pb) = pb {
                    pb.set_position(line_no as u64);
                }
                while let Ok(got) = done_rx.try_recv() {
                    write_ready(got, &mut waiting, &mut next)?;
                }
            }
        }
        let mut sent = seq;
        if !batch.is_empty() && job_tx.send((seq, batch)).is_ok() {
            sent += 1;
        }
        drop(job_tx);
        for got in done_rx.iter() {
            write_ready(got, &mut waiting, &mut next)?;
        }
        if failed.is_none() && next != sent {
            // A worker stopped early: say so rather than end the output
            // short without a word.
            failed = Some(Fatal(format!(
                "internal error: {} of {sent} batches of records were not evaluated",
                sent - next
            )));
        }
        match failed {
            Some(f) => Err(f),
            None => Ok(errors),
        }
    })
}

#[derive(Serialize)]
#[serde(untagged)]
enum Outcome {
    Decision(baton::qualify::Decision),
    Scorecard(baton::health::Scorecard),
}

fn run(
    p: &Policy,
    domain: Domain,
    rec: &Record,
    today: NaiveDate,
    explain: bool,
) -> Result<Outcome, baton::EvalError> {
    Ok(match domain {
        Domain::Qualify => Outcome::Decision(p.qualify(rec, today, explain)?),
        Domain::Health => Outcome::Scorecard(p.health(rec, today, explain)?),
    })
}

/// The error object of a handoff instance (CLI.md: `handoff` instead of `key`).
#[derive(Serialize)]
struct SlaError {
    error: String,
    line: usize,
    handoff: Option<String>,
}

fn sla(a: &SlaArgs) -> Result<ExitCode, Fatal> {
    let set = load(&a.policy, a.quiet)?;
    let tz = set
        .latest()
        .map_or(chrono_tz::UTC, |p| p.compiled().timezone);
    let date = chrono::DateTime::from_timestamp(a.at, 0).map(|d| d.with_timezone(&tz).date_naive());
    let (policy, _) = pick(&set, date, a.version)?;
    if policy.compiled().handoffs.is_empty() {
        return Err(Fatal(format!(
            "policy `{}` has no `handoff` block",
            policy.name()
        )));
    }
    let format = a.input_format.unwrap_or_else(|| Format::of_path(&a.events));
    if format == Format::Csv {
        return Err(Fatal(
            "sla events are JSON (one object a line, or an array): a note does not fit in CSV"
                .into(),
        ));
    }
    let input = open(&a.events).map_err(|e| Fatal(format!("cannot read `{}`: {e}", a.events)))?;
    let mut reader = Reader::new(input, format).map_err(|e| Fatal(format!("{}: {e}", a.events)))?;
    // Instances in order of first appearance; lines that name no handoff
    // are error objects of their own, at their place.
    enum Entry {
        Instance(String),
        Orphan(SlaError),
    }
    let mut order: Vec<Entry> = Vec::new();
    let mut instances: std::collections::HashMap<
        String,
        (Vec<baton::sla::Event>, Option<SlaError>),
    > = std::collections::HashMap::new();
    while let Some(item) = reader.next_item() {
        let item = item.map_err(Fatal)?;
        let (id, event) = match &item.row {
            Ok(baton::io::Row::Json(v)) => baton::sla::Event::from_json(item.line, v),
            Ok(baton::io::Row::Csv(_)) => (None, Err("events are JSON".to_string())),
            Err(msg) => (None, Err(msg.clone())),
        };
        let Some(id) = id else {
            let error = event.err().unwrap_or_default();
            order.push(Entry::Orphan(SlaError {
                error,
                line: item.line,
                handoff: None,
            }));
            continue;
        };
        let entry = instances.entry(id.clone()).or_insert_with(|| {
            order.push(Entry::Instance(id.clone()));
            (Vec::new(), None)
        });
        match event {
            Ok(e) => entry.0.push(e),
            Err(error) => {
                if entry.1.is_none() {
                    entry.1 = Some(SlaError {
                        error,
                        line: item.line,
                        handoff: Some(id.clone()),
                    });
                }
            }
        }
    }
    let mut out = Output::new(output_for(&a.output)?, a.format, sla_columns(&policy))
        .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    let mut errors = 0usize;
    for entry in order {
        let written = match entry {
            Entry::Orphan(e) => {
                errors += 1;
                out.write(&e)
            }
            Entry::Instance(id) => {
                let Some((events, bad)) = instances.remove(&id) else {
                    continue;
                };
                if let Some(e) = bad {
                    errors += 1;
                    out.write(&e)
                } else {
                    match baton::sla::evaluate_instance(policy.compiled(), &id, &events, a.at) {
                        Ok(status) => out.write(&status),
                        Err(e) => {
                            errors += 1;
                            out.write(&SlaError {
                                error: e.message,
                                line: e.line,
                                handoff: Some(id),
                            })
                        }
                    }
                }
            }
        };
        written.map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    }
    out.finish()
        .map_err(|e| Fatal(format!("cannot write output: {e}")))?;
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// CSV columns of `sla`: one column per goal field of every block.
fn sla_columns(p: &Policy) -> Vec<String> {
    let mut cols: Vec<String> = ["handoff", "block", "policy", "version", "opened"]
        .map(String::from)
        .into();
    let mut goals: Vec<&str> = Vec::new();
    for h in &p.compiled().handoffs {
        for g in &h.goals {
            if !goals.contains(&g.name.as_str()) {
                goals.push(&g.name);
            }
        }
    }
    for g in goals {
        for f in [
            "state",
            "target_seconds",
            "elapsed_seconds",
            "due",
            "met_at",
        ] {
            cols.push(format!("goals.{g}.{f}"));
        }
    }
    cols.extend(["note.complete", "error", "line"].map(String::from));
    cols
}

fn read_table(path: &str, format: Option<Format>) -> Result<baton::clawback::Table, Fatal> {
    let format = format.unwrap_or_else(|| Format::of_path(path));
    let input = open(path).map_err(|e| Fatal(format!("cannot read `{path}`: {e}")))?;
    let mut reader = Reader::new(input, format).map_err(|e| Fatal(format!("{path}: {e}")))?;
    let mut items = Vec::new();
    while let Some(item) = reader.next_item() {
        items.push(item.map_err(Fatal)?);
    }
    Ok(baton::clawback::Table {
        items,
        header: reader.header,
    })
}

fn clawback(a: &ClawbackArgs) -> Result<ExitCode, Fatal> {
    let mut set = load(&a.policy, a.quiet)?;
    if let Some(v) = a.version {
        let p = set
            .version(v)
            .ok_or_else(|| Fatal(format!("the policy has no version {v}")))?
            .clone();
        // A pinned version governs every deal, whatever its date.
        set = PolicySet::single(p);
    }
    if set
        .versions()
        .iter()
        .all(|p| p.compiled().commission.is_none())
    {
        return Err(Fatal("the policy has no `commission` block".into()));
    }
    let tz = set
        .latest()
        .map_or(chrono_tz::UTC, |p| p.compiled().timezone);
    let as_of = a.as_of.unwrap_or_else(|| today_in(tz));
    let pinned = a.version.is_some();
    let events = read_table(&a.events, a.input_format)?;
    let write_summary = |rows: &[baton::clawback::SummaryRow]| -> Result<(), Fatal> {
        if let Some(path) = &a.summary {
            let fail = |e: &dyn std::fmt::Display| {
                Fatal(format!("cannot write `{}`: {e}", path.display()))
            };
            let f = std::fs::File::create(path).map_err(|e| fail(&e))?;
            baton::clawback::write_summary(rows, f).map_err(|e| fail(&e))?;
        }
        Ok(())
    };
    // The ledger computed whole (JSON output, `--posted`).
    let whole_ledger = || -> Result<baton::clawback::Ledger, Fatal> {
        let deals = read_table(&a.deals, a.input_format)?;
        Ok(if pinned {
            baton::clawback::run_pinned(&set, &deals, &events, as_of)
        } else {
            baton::clawback::run(&set, &deals, &events, as_of)
        })
    };
    let write_lines = |lines: &[baton::clawback::LedgerLine]| -> Result<(), Fatal> {
        let fail = |e: &dyn std::fmt::Display| Fatal(format!("cannot write the ledger: {e}"));
        if a.format == Format::Csv {
            return baton::clawback::write_ledger(lines, output_for(&a.output)?)
                .map_err(|e| fail(&e));
        }
        let columns = baton::clawback::ledger::COLUMNS.map(String::from).to_vec();
        let mut out =
            Output::new(output_for(&a.output)?, a.format, columns).map_err(|e| fail(&e))?;
        for l in lines {
            out.write(l).map_err(|e| fail(&e))?;
        }
        out.finish().map_err(|e| fail(&e))
    };
    if a.posted.is_none() && a.format != Format::Csv {
        // JSON output: the ledger computed whole, then written.
        let ledger = whole_ledger()?;
        write_lines(&ledger.lines)?;
        write_summary(&ledger.summary())?;
        let errors = ledger
            .lines
            .iter()
            .any(|l| l.status == baton::clawback::Status::Error);
        return Ok(if errors {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let Some(posted_path) = &a.posted else {
        // The whole ledger: deals stream through, one row at a time.
        let format = a.input_format.unwrap_or_else(|| Format::of_path(&a.deals));
        let input = open(&a.deals).map_err(|e| Fatal(format!("cannot read `{}`: {e}", a.deals)))?;
        let mut deals =
            Reader::new(input, format).map_err(|e| Fatal(format!("{}: {e}", a.deals)))?;
        let out = output_for(&a.output)?;
        let options = baton::clawback::StreamOptions {
            as_of,
            pinned,
            summary: a.summary.is_some(),
        };
        let outcome = baton::clawback::stream(&set, &mut deals, &events, options, out)
            .map_err(|e| Fatal(format!("cannot compute the ledger: {e}")))?;
        write_summary(&outcome.summary)?;
        return Ok(if outcome.errors == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    };
    // Read the booked ledger before printing anything: a bad one prints nothing.
    let f = std::fs::File::open(posted_path)
        .map_err(|e| Fatal(format!("cannot read `{}`: {e}", posted_path.display())))?;
    let posted = baton::clawback::read_posted(f)
        .map_err(|e| Fatal(format!("{}: {e}", posted_path.display())))?;
    let ledger = whole_ledger()?;
    // Error events are reported on standard error, not as lines (CLI.md).
    let mut errors = 0usize;
    for e in ledger
        .lines
        .iter()
        .filter(|l| l.status == baton::clawback::Status::Error)
    {
        eprintln!("error: line {}: {}", e.line, e.explanation);
        errors += 1;
    }
    let diff = baton::clawback::diff_posted(&ledger.lines, &posted);
    write_lines(&diff)?;
    write_summary(&ledger.summary())?;
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
