//! `baton qualify` end to end on 1,000,000 JSON lines, against merely
//! parsing the same lines with serde_json (target: within 1.5×), and
//! `baton diff qualify` of two versions on them.
//!
//! `cargo bench --bench cli`

#[path = "../tests/support/samples.rs"]
mod samples;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn main() {
    divan::main();
}

const LINES: u64 = 1_000_000;

fn input() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-leads-1m.jsonl");
    if std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) == 0 {
        std::fs::write(&path, samples::leads(LINES, 11)).unwrap();
    }
    path
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn serde_json_parse_only(bencher: divan::Bencher) {
    let path = input();
    bencher
        .counter(divan::counter::ItemsCount::new(LINES))
        .bench(|| {
            let f = BufReader::with_capacity(1 << 16, std::fs::File::open(&path).unwrap());
            let mut n = 0u64;
            for line in f.lines() {
                let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
                n += u64::from(v.is_object());
            }
            n
        });
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn baton_qualify_cli(bencher: divan::Bencher) {
    let path = input();
    let policy = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/qualification");
    bencher
        .counter(divan::counter::ItemsCount::new(LINES))
        .bench(|| {
            let status = Command::new(env!("CARGO_BIN_EXE_baton"))
                .args(["qualify", "--policy", policy, "--as-of", "2026-11-02"])
                .arg(&path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.code().is_some_and(|c| c <= 1));
        });
}

/// `baton diff qualify` of version 1 against version 2 on the same lines
/// (target: about twice one `qualify` run).
#[divan::bench(sample_count = 3, sample_size = 1)]
fn baton_diff_qualify_cli(bencher: divan::Bencher) {
    let path = input();
    let policy = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/qualification");
    let (from, to) = (format!("{policy}@1"), format!("{policy}@2"));
    bencher
        .counter(divan::counter::ItemsCount::new(LINES))
        .bench(|| {
            let status = Command::new(env!("CARGO_BIN_EXE_baton"))
                .args(["diff", "qualify", "--from", &from, "--to", &to])
                .args(["--as-of", "2026-11-02"])
                .arg(&path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert_eq!(status.code(), Some(0));
        });
}
