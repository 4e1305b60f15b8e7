//! `baton clawback` end to end on 1,000,000 deals and 200,000 events,
//! against merely reading and parsing the same CSV files with the `csv`
//! crate (targets: under 2 s, and within 2× of the parse).
//!
//! `cargo bench --bench clawback`

#[path = "../tests/support/samples.rs"]
mod samples;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    divan::main();
}

const DEALS: u64 = 1_000_000;
const EVENTS: usize = 200_000;

/// The deals and events files, generated once into the target directory:
/// the shipped generator's deals, and the events of the first deals (whole
/// histories, so every event stays valid) up to 200,000.
fn inputs() -> (PathBuf, PathBuf) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let deals = dir.join("bench-deals-1m.csv");
    let events = dir.join("bench-events-200k.csv");
    if std::fs::metadata(&events).map(|m| m.len()).unwrap_or(0) == 0 {
        let (d, e) = samples::commission(DEALS, 17);
        let mut lines = e.lines();
        let header = lines.next().unwrap();
        let mut rows: Vec<&str> = lines.collect();
        // Keep whole deal histories: drop the deals with the highest ids.
        let deal_of = |l: &str| l.split(',').nth(1).unwrap_or("").to_string();
        let mut per_deal: std::collections::BTreeMap<String, usize> = Default::default();
        for l in &rows {
            *per_deal.entry(deal_of(l)).or_default() += 1;
        }
        let mut kept = 0usize;
        let mut cut = String::new();
        for (id, n) in &per_deal {
            if kept + n > EVENTS {
                cut = id.clone();
                break;
            }
            kept += n;
        }
        if !cut.is_empty() {
            rows.retain(|l| deal_of(l) < cut);
        }
        let mut out = String::from(header);
        out.push('\n');
        for r in rows {
            out.push_str(r);
            out.push('\n');
        }
        std::fs::write(&deals, d).unwrap();
        std::fs::write(&events, out).unwrap();
    }
    (deals, events)
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn csv_parse_only(bencher: divan::Bencher) {
    let (deals, events) = inputs();
    bencher.bench(|| {
        let mut n = 0usize;
        for path in [&deals, &events] {
            let mut r = csv::Reader::from_path(path).unwrap();
            for rec in r.records() {
                n += rec.unwrap().len();
            }
        }
        n
    });
}

/// `baton clawback` on the bench inputs, with `extra` arguments, its
/// standard output to `out` (or nowhere).
fn clawback_cli(deals: &Path, events: &Path, extra: &[&std::ffi::OsStr], out: Option<&Path>) {
    let policy = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/commission");
    let stdout = match out {
        Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
        None => Stdio::null(),
    };
    let status = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([
            "clawback",
            "--policy",
            policy,
            "--as-of",
            "2026-11-30",
            "--deals",
        ])
        .arg(deals)
        .arg("--events")
        .arg(events)
        .args(extra)
        .stdout(stdout)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn baton_clawback_cli(bencher: divan::Bencher) {
    let (deals, events) = inputs();
    bencher.bench(|| clawback_cli(&deals, &events, &[], None));
}

/// The same run against its own ledger as the booked one (`--posted`):
/// nothing is left to book, every line is matched.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn baton_clawback_posted_cli(bencher: divan::Bencher) {
    let (deals, events) = inputs();
    let booked = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-booked-ledger.csv");
    clawback_cli(&deals, &events, &[], Some(&booked));
    let flag = std::ffi::OsString::from("--posted");
    bencher.bench(|| clawback_cli(&deals, &events, &[&flag, booked.as_os_str()], None));
}
