//! `baton run` and the names of `baton.toml` on every command: a policy
//! name where a policy path goes, an input name where an input file goes
//! (its column mapping then applies).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, OnceLock};

use baton::io::mapping::FieldMap;
use baton::project::{JobDef, JobKind, Manifest};
use clap::Args;

use super::Fatal;

#[derive(Args)]
pub(super) struct RunArgs {
    /// The project file (default: `baton.toml` in this directory or the
    /// nearest one above it).
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Silence warnings and progress.
    #[arg(long)]
    quiet: bool,
    /// Jobs to run (default: every job, in file order).
    jobs: Vec<String>,
}

/// The manifest names resolve against: the one `baton run --manifest`
/// gave, else the nearest `baton.toml`.
static MANIFEST: OnceLock<Option<Manifest>> = OnceLock::new();

/// Inputs opened through a mapping: their path and how their columns fill
/// the record.
static MAPPED: Mutex<Vec<(String, Vec<FieldMap>)>> = Mutex::new(Vec::new());

fn manifest() -> Option<&'static Manifest> {
    MANIFEST
        .get_or_init(|| {
            let here = std::env::current_dir().ok()?;
            Manifest::load(&Manifest::find(&here)?).ok()
        })
        .as_ref()
}

/// A `--policy` argument: a path that exists, else a name of the
/// manifest's `[policies]`.
pub(super) fn policy_path(arg: &Path) -> PathBuf {
    if arg.exists() {
        return arg.to_path_buf();
    }
    arg.to_str()
        .and_then(|name| manifest()?.policy(name))
        .map_or_else(|| arg.to_path_buf(), Path::to_path_buf)
}

/// Whether names resolve against the manifest of `baton run` (which gave
/// its jobs input names, not paths).
static RUNNING: OnceLock<()> = OnceLock::new();

/// An input argument: `-` or a file that exists, else a name of the
/// manifest's `[inputs]`, whose mapping then applies when the input is
/// opened. Under `baton run` a job's input is always the manifest's: a
/// file of that name in the current directory does not take its place.
pub(super) fn input_path(arg: &str) -> String {
    let named = manifest().and_then(|m| m.input(arg));
    let file = arg == "-" || Path::new(arg).exists();
    let input = match named {
        Some(i) if RUNNING.get().is_some() || !file => i,
        _ => {
            forget_mapping(arg);
            return arg.to_string();
        }
    };
    let path = input.path.display().to_string();
    // The mapping of the input now opened under this path (another input
    // may share the path with another mapping, or none).
    forget_mapping(&path);
    if !input.fields.is_empty() {
        if let Ok(mut m) = MAPPED.lock() {
            m.push((path.clone(), input.fields.clone()));
        }
    }
    path
}

fn forget_mapping(path: &str) {
    if let Ok(mut m) = MAPPED.lock() {
        m.retain(|(p, _)| p != path);
    }
}

/// The mapping of an input opened by its manifest name.
pub(super) fn mapping_of(path: &str) -> Option<Vec<FieldMap>> {
    MAPPED
        .lock()
        .ok()?
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, f)| f.clone())
}

/// Loads a manifest, printing every problem.
fn load(path: &Path) -> Result<Manifest, Fatal> {
    Manifest::load(path).map_err(|e| {
        eprint!("{}", e.render());
        Fatal(format!(
            "{} failed its check ({} error{})",
            path.display(),
            e.diagnostics.len(),
            if e.diagnostics.len() == 1 { "" } else { "s" }
        ))
    })
}

/// `baton check baton.toml`: the file's form, then each job against its
/// policy and its exports' headers.
pub(super) fn check(path: &Path) -> Result<(), Fatal> {
    let m = load_checked(path)?;
    super::files::say(format_args!(
        "{}: ok ({} policies, {} inputs, {} jobs)",
        path.display(),
        m.policies.len(),
        m.inputs.len(),
        m.jobs.len()
    ))
}

/// Loads a manifest and checks it against its policies and exports,
/// printing every problem.
fn load_checked(path: &Path) -> Result<Manifest, Fatal> {
    let m = load(path)?;
    let problems = m.check();
    if problems.is_empty() {
        return Ok(m);
    }
    for d in &problems {
        eprint!("{}", d.render(&m.source));
    }
    Err(Fatal(format!(
        "{} failed its check ({} error{})",
        path.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )))
}

/// The format option of an output path, by its extension.
fn format_of(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "csv" => Some("csv"),
        "json" => Some("json"),
        "jsonl" | "ndjson" => Some("jsonl"),
        _ => None,
    }
}

/// The command line a job stands for.
fn command_of(m: &Manifest, job: &JobDef, quiet: bool) -> Result<Vec<String>, Fatal> {
    let input = |name: &Option<String>| -> Result<String, Fatal> {
        let name = name
            .as_deref()
            .ok_or_else(|| Fatal(format!("job `{}` names no input", job.name)))?;
        m.input(name)
            .map(|_| name.to_string())
            .ok_or_else(|| Fatal(format!("job `{}`: no input `{name}`", job.name)))
    };
    let mut args: Vec<String> = vec![
        "baton".into(),
        job.run.name().into(),
        "--policy".into(),
        job.policy.display().to_string(),
    ];
    let mut opt = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            args.push(k.into());
            args.push(v);
        }
    };
    opt("--version", job.version.map(|v| v.to_string()));
    match job.run {
        JobKind::Sla => opt("--at", job.at.clone()),
        _ => opt("--as-of", job.as_of.clone().filter(|d| d != "today")),
    }
    opt(
        "--output",
        job.output.as_ref().map(|p| p.display().to_string()),
    );
    opt(
        "--summary",
        job.summary.as_ref().map(|p| p.display().to_string()),
    );
    opt(
        "--format",
        job.output.as_deref().and_then(format_of).map(String::from),
    );
    if job.run == JobKind::Clawback {
        opt(
            "--posted",
            job.posted.as_ref().map(|p| p.display().to_string()),
        );
        opt("--deals", Some(input(&job.deals)?));
        opt("--events", Some(input(&job.events)?));
    }
    if quiet {
        args.push("--quiet".into());
    }
    if job.run != JobKind::Clawback {
        args.push(input(&job.input)?);
    }
    Ok(args)
}

/// `baton run`: each named job (every job when none is named), in order.
/// Exit status: the worst of the jobs'.
pub(super) fn run(a: &RunArgs) -> Result<ExitCode, Fatal> {
    let path = match &a.manifest {
        Some(p) => p.clone(),
        None => {
            let here = std::env::current_dir()
                .map_err(|e| Fatal(format!("cannot tell the current directory: {e}")))?;
            Manifest::find(&here).ok_or_else(|| {
                Fatal(format!(
                    "no {} here or in a directory above (or name one with --manifest)",
                    baton::project::MANIFEST
                ))
            })?
        }
    };
    let m = load_checked(&path)?;
    for name in &a.jobs {
        if !m.jobs.iter().any(|j| &j.name == name) {
            let names: Vec<&str> = m.jobs.iter().map(|j| j.name.as_str()).collect();
            return Err(Fatal(format!(
                "no job `{name}` in {} (jobs: {})",
                path.display(),
                names.join(", ")
            )));
        }
    }
    let chosen: Vec<&JobDef> = m
        .jobs
        .iter()
        .filter(|j| a.jobs.is_empty() || a.jobs.contains(&j.name))
        .collect();
    // A job's output directories are made, as a build tool makes its own.
    for j in &chosen {
        for out in [&j.output, &j.summary].into_iter().flatten() {
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Fatal(format!(
                        "job `{}`: cannot make `{}`: {e}",
                        j.name,
                        dir.display()
                    ))
                })?;
            }
        }
    }
    let commands = chosen
        .iter()
        .map(|j| Ok((j.name.clone(), command_of(&m, j, a.quiet)?)))
        .collect::<Result<Vec<_>, Fatal>>()?;
    // Names resolve against this manifest from here on, and before files
    // of the current directory.
    let _ = MANIFEST.set(Some(m));
    let _ = RUNNING.set(());
    let mut worst = 0u8;
    for (name, args) in commands {
        if !a.quiet {
            eprintln!(
                "job `{name}`: {}",
                args.get(1..).unwrap_or_default().join(" ")
            );
        }
        worst = worst.max(super::dispatch_args(&args));
    }
    Ok(ExitCode::from(worst))
}
