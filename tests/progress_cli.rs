//! The closing line on standard error: shown on a terminal (forced here
//! with `BATON_PROGRESS=always`), never when standard error is a file or a
//! pipe, nor with `--quiet` (the tests' standard error is a pipe).

use std::path::Path;
use std::process::{Command, Stdio};

fn run(args: &[&str], progress: Option<&str>) -> (String, i32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match progress {
        Some(p) => cmd.env("BATON_PROGRESS", p),
        None => cmd.env_remove("BATON_PROGRESS"),
    };
    let out = cmd.output().expect("baton runs");
    (
        String::from_utf8_lossy(&out.stderr).to_string(),
        out.status.code().unwrap_or(-1),
    )
}

const QUALIFY: [&str; 6] = [
    "qualify",
    "--policy",
    "policies/qualification",
    "--as-of",
    "2026-11-30",
    "policies/samples/leads.jsonl",
];

#[test]
fn the_closing_line_counts_stages_and_errors() {
    let (err, code) = run(&QUALIFY, Some("always"));
    assert_eq!(code, 0, "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("3,000 records, 116 MQL, 10 SQL, 2,874 none, 0 errors in "),
        "{err}"
    );
    assert!(last.ends_with(" s"), "{err}");
    let (err, _) = run(
        &[
            "health",
            "--policy",
            "policies/health",
            "--as-of",
            "2026-11-30",
            "policies/samples/accounts.jsonl",
        ],
        Some("always"),
    );
    assert!(
        err.contains("1,000 records, 73 healthy, 340 at_risk, 587 critical, 0 errors in "),
        "{err}"
    );
    let (err, _) = run(
        &[
            "sla",
            "--policy",
            "policies/handoff",
            "--at",
            "2026-12-15T17:00:00Z",
            "policies/samples/handoff_events.jsonl",
        ],
        Some("always"),
    );
    assert!(
        err.contains("300 records, ") && err.contains(" goals breached, 0 errors in "),
        "{err}"
    );
    let (err, _) = run(
        &[
            "clawback",
            "--policy",
            "policies/commission",
            "--deals",
            "policies/samples/deals.csv",
            "--events",
            "policies/samples/deal_events.csv",
            "--as-of",
            "2026-11-30",
        ],
        Some("always"),
    );
    assert!(err.contains("ledger written, 0 error lines in "), "{err}");
}

#[test]
fn nothing_is_shown_off_a_terminal_or_when_told_so() {
    let (err, code) = run(&QUALIFY, None);
    assert_eq!((err.as_str(), code), ("", 0));
    let (err, _) = run(&QUALIFY, Some("never"));
    assert_eq!(err, "");
}
