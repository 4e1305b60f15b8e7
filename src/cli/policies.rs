//! The commands on policy files: `check`, `test`, `fmt`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::files::{say, Pending};
use super::{load, Fatal, Warnings};
use baton::FormatError;

/// The policies a path names ([`baton::policy_paths`]); a folder of
/// policy directories brings its project file along.
fn policies_in(path: &std::path::Path) -> Vec<PathBuf> {
    let mut paths = baton::policy_paths(path);
    let own = baton::policy_files(path).unwrap_or_default();
    let manifest = path.join(baton::project::MANIFEST);
    if path.is_dir() && own.is_empty() && manifest.is_file() {
        // Nothing but the project file to check when no subfolder expands.
        if paths.as_slice() == [path.to_path_buf()] {
            paths.clear();
        }
        paths.push(manifest);
    }
    paths
}

pub(super) fn check(paths: &[PathBuf], warnings: Warnings) -> Result<ExitCode, Fatal> {
    let mut failed = 0;
    let paths: Vec<PathBuf> = paths.iter().flat_map(|p| policies_in(p)).collect();
    for path in &paths {
        // A project file (`baton.toml`, or any `.toml` named): its form,
        // its jobs against their policies and its exports' headers.
        if path
            .file_name()
            .is_some_and(|n| n == baton::project::MANIFEST)
            || path.extension().is_some_and(|e| e == "toml")
        {
            if let Err(Fatal(msg)) = super::project::check(path) {
                eprintln!("error: {msg}");
                failed += 1;
            }
            continue;
        }
        match load(path, warnings) {
            Ok(set) => {
                let versions: Vec<String> = set
                    .versions()
                    .iter()
                    .map(|p| p.version().to_string())
                    .collect();
                say(format_args!(
                    "{}: ok (policy `{}`, version {})",
                    path.display(),
                    set.name(),
                    versions.join(", ")
                ))?;
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

pub(super) fn test(paths: &[PathBuf], warnings: Warnings) -> Result<ExitCode, Fatal> {
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in paths {
        let set = load(path, warnings)?;
        for p in set.versions() {
            for t in p.run_tests() {
                if t.passed() {
                    passed += 1;
                    say(format_args!("ok   {} ({})", t.name, t.location))?;
                } else {
                    failed += 1;
                    say(format_args!("FAIL {} ({})", t.name, t.location))?;
                    for f in &t.failures {
                        say(format_args!("       {f}"))?;
                    }
                }
            }
        }
    }
    say(format_args!("{passed} passed, {failed} failed"))?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `baton fmt`: files that do not parse are reported and left alone (exit
/// 2); with `--check`, a file not in the canonical layout is named and
/// the exit status is 1.
pub(super) fn fmt(paths: &[PathBuf], check: bool) -> Result<ExitCode, Fatal> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let found = baton::policy_files(path).map_err(|e| Fatal(e.to_string()))?;
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let (mut broken, mut unformatted) = (0usize, 0usize);
    for file in files {
        let name = file.display().to_string();
        let source = match baton::read_policy_file(&file).map(String::from_utf8) {
            Ok(Ok(s)) => s,
            Ok(Err(_)) => {
                eprintln!("error: {name} is not UTF-8 text");
                broken += 1;
                continue;
            }
            Err(e) => {
                eprintln!("error: {e}");
                broken += 1;
                continue;
            }
        };
        let formatted = match baton::format_policy(&name, &source) {
            Ok(f) => f,
            Err(FormatError::Parse(e)) => {
                eprint!("{}", e.render());
                eprintln!("error: {name} does not parse; left as it is");
                broken += 1;
                continue;
            }
            Err(e @ FormatError::Changed(_)) => return Err(Fatal(e.to_string())),
        };
        if formatted == source {
            continue;
        }
        unformatted += 1;
        if check {
            say(format_args!("{name}: not in the canonical layout"))?;
        } else {
            // Replaced whole: an interrupted run leaves the file as it was.
            let pending = Pending::open(&file)?;
            pending.write_all(formatted.as_bytes())?;
            pending.commit()?;
            say(format_args!("{name}: formatted"))?;
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
