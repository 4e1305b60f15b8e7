//! The command line (CLI.md): argument parsing, the rendering of
//! diagnostics and progress, exit codes. Every command is a call into the
//! library's façade. Exit status: 0 all records evaluated, 1 some records
//! were errors, 2 the policy failed its check, bad usage, or unreadable
//! input.

mod clawback;
mod diff;
mod files;
mod lsp;
mod policies;
mod progress;
mod project;
mod records;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use baton::io::Format;
use baton::{NaiveDate, PolicySet};
use clap::{Args, Parser, Subcommand, ValueEnum};

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
        #[command(flatten)]
        warnings: Warnings,
    },
    /// Run the `test` blocks of policy files or directories.
    Test {
        /// Policy files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        warnings: Warnings,
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
    Qualify(records::EvalArgs),
    /// One health scorecard per customer.
    Health(records::EvalArgs),
    /// One SLA status per handoff instance.
    Sla(records::SlaArgs),
    /// The commission adjustment ledger.
    Clawback(clawback::ClawbackArgs),
    /// What a policy change does to the same input: two policies side by
    /// side.
    #[command(subcommand)]
    Diff(diff::DiffCommand),
    /// Run the jobs of `baton.toml` (every job when none is named).
    Run(project::RunArgs),
    /// A Language Server Protocol server on standard input and output,
    /// for editors.
    Lsp,
    /// The long explanation of a diagnostic code, with an example.
    Explain {
        /// The code (`E0103`).
        code: String,
    },
}

/// What the commands that load a policy do with warnings.
#[derive(Args, Clone, Copy)]
struct Warnings {
    /// Silence warnings.
    #[arg(long)]
    quiet: bool,
    /// Fail on any warning (of the policy or of the command), with exit
    /// status 2 as for an error, before anything is evaluated: for CI.
    #[arg(long)]
    deny_warnings: bool,
}

impl Warnings {
    /// A warning of the command itself (not of a policy): printed unless
    /// `--quiet`; with `--deny-warnings`, printed and fatal.
    fn command(self, message: &str) -> Result<(), Fatal> {
        if self.deny_warnings {
            eprintln!("warning: {message}");
            return Err(Fatal(
                "stopped on the warning above, denied by --deny-warnings".into(),
            ));
        }
        if !self.quiet {
            eprintln!("warning: {message}");
        }
        Ok(())
    }
}

/// An input or output format, as the options name it.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// One JSON object a line.
    Jsonl,
    /// A JSON array of objects.
    Json,
    /// A header row, then one record a row.
    Csv,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
        }
    }
}

/// A failure that stops the command with exit status 2.
struct Fatal(String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Fatal {
        Fatal(e.to_string())
    }
}

pub fn main() -> ExitCode {
    run(Cli::parse())
}

fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Check { paths, warnings } => policies::check(&paths, warnings),
        Command::Test { paths, warnings } => policies::test(&paths, warnings),
        Command::Fmt { paths, check } => policies::fmt(&paths, check),
        Command::Qualify(mut a) => {
            a.resolve();
            records::records(&a, baton::Block::Qualify)
        }
        Command::Health(mut a) => {
            a.resolve();
            records::records(&a, baton::Block::Health)
        }
        Command::Sla(mut a) => {
            a.resolve();
            records::sla(&a)
        }
        Command::Clawback(mut a) => {
            a.resolve();
            clawback::run(&a)
        }
        Command::Diff(mut d) => {
            d.resolve();
            diff::run(&d)
        }
        Command::Run(a) => project::run(&a),
        Command::Explain { code } => explain(&code),
        Command::Lsp => lsp::run(),
    };
    match result {
        Ok(code) => code,
        // The reader of standard output has gone (`baton … | head`): the
        // run ends quietly, as Unix tools do.
        Err(_) if files::stdout_closed() => ExitCode::SUCCESS,
        Err(Fatal(msg)) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}");
            }
            ExitCode::from(2)
        }
    }
}

/// `baton explain CODE`.
fn explain(code: &str) -> Result<ExitCode, Fatal> {
    let Some(c) = baton::Code::parse(code) else {
        let all: Vec<String> = baton::ALL_CODES.iter().map(|c| c.to_string()).collect();
        return Err(Fatal(format!(
            "no code `{code}`; the codes are {}",
            all.join(", ")
        )));
    };
    files::say(format_args!(
        "{}",
        baton::render_explanation(&c.explanation()).trim_end()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs one command line (a job of `baton run`); its exit status.
fn dispatch_args(args: &[String]) -> u8 {
    let code = match Cli::try_parse_from(args) {
        Ok(cli) => run(cli),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    };
    if code == ExitCode::SUCCESS {
        0
    } else if code == ExitCode::from(1) {
        1
    } else {
        2
    }
}

/// Exit status 1 when some records were errors.
fn exit_for(errors: u64) -> ExitCode {
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Loads a policy file or directory, printing its warnings (unless
/// `--quiet`) or every error. With `--deny-warnings` a warning fails the
/// load as an error does, and is printed even under `--quiet`.
fn load(path: &Path, warnings: Warnings) -> Result<PolicySet, Fatal> {
    match PolicySet::load(path) {
        Ok(set) => {
            let n: usize = set
                .versions()
                .iter()
                .flat_map(|p| p.warnings())
                .map(baton::Diagnostic::count)
                .sum();
            let denied = warnings.deny_warnings && n > 0;
            if !warnings.quiet || denied {
                for p in set.versions() {
                    eprint!("{}", p.render_warnings());
                }
            }
            if denied {
                return Err(Fatal(format!(
                    "{} failed its check ({n} warning{}, denied by --deny-warnings)",
                    path.display(),
                    if n == 1 { "" } else { "s" }
                )));
            }
            Ok(set)
        }
        Err(e) => {
            eprint!("{}", e.render());
            let n = e.error_count();
            Err(Fatal(format!(
                "{} failed its check ({n} error{})",
                path.display(),
                if n == 1 { "" } else { "s" }
            )))
        }
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    match baton::Value::from_text(baton::Type::Date, s, None) {
        Ok(baton::Value::Date(d)) => Ok(d),
        _ => Err(format!("`{s}` is not a date (YYYY-MM-DD)")),
    }
}

/// How the inputs of an evaluating command are read.
#[derive(Args, Clone, Copy)]
struct InputArgs {
    /// Input format (default: by extension).
    #[arg(long, value_enum)]
    input_format: Option<FormatArg>,
    /// The most bytes one input line (or CSV record) may hold; a longer
    /// one is that record's error.
    #[arg(long, value_parser = parse_max_line, default_value_t = baton::io::DEFAULT_MAX_LINE_BYTES)]
    max_line_bytes: usize,
}

impl InputArgs {
    /// The format of an input: `--input-format`, else its extension; an
    /// extension that names none is refused rather than guessed.
    fn format_of(&self, path: &str) -> Result<Format, Fatal> {
        match self.input_format {
            Some(f) => Ok(f.into()),
            None => Format::by_extension(path).ok_or_else(|| {
                Fatal(format!(
                    "cannot tell the format of `{path}` by its extension (.jsonl, .ndjson, .json \
                     or .csv): name it with --input-format jsonl, json or csv"
                ))
            }),
        }
    }

    /// Opens an input and its reader: its format, and no line longer than
    /// `--max-line-bytes`.
    fn reader(&self, path: &str) -> Result<baton::io::Reader, Fatal> {
        self.reader_with(path, None)
    }

    /// [`InputArgs::reader`], its bytes counted for `progress`.
    fn reader_with(
        &self,
        path: &str,
        progress: Option<&progress::Progress>,
    ) -> Result<baton::io::Reader, Fatal> {
        let format = self.format_of(path)?;
        let input =
            baton::io::open(path).map_err(|e| Fatal(format!("cannot read `{path}`: {e}")))?;
        let input: Box<dyn std::io::Read + Send> = match progress {
            Some(p) => Box::new(p.count(input)),
            None => input,
        };
        match project::mapping_of(path) {
            Some(maps) => baton::io::Reader::mapped(input, &maps, self.max_line_bytes),
            None => baton::io::Reader::with_max_line(input, format, self.max_line_bytes),
        }
        .map_err(|e| Fatal(format!("{path}: {e}")))
    }
}

/// `--max-line-bytes`: a positive number of bytes.
fn parse_max_line(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{s}` is not a positive number of bytes")),
    }
}
