//! The fuzz targets' bodies, shared by `fuzz/` (cargo-fuzz, nightly) and
//! `tests/fuzz.rs` (a bounded replay on stable, run by `cargo test`). Each
//! takes arbitrary bytes and asserts what must hold for any input: no
//! panic, and the invariants named below. Inputs that a target needs more
//! than one of (a policy and records, deals and events) are cut from the
//! bytes at `0xFF` bytes, which UTF-8 text never holds.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use baton::io::{Format, Output, Reader};
use baton::ledger::{diff_posted, read_posted, write_ledger};
use baton::{Block, ClawbackOptions, DateTime, EvalOptions, NaiveDate, Policy, PolicySet, Table};

/// The parts of `data` between `0xFF` bytes, as (lossy) text.
fn parts(data: &[u8]) -> Vec<String> {
    data.split(|b| *b == 0xFF)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date")
}

/// The shipped policies and the shared examples' policies: what the record
/// targets evaluate with.
pub fn corpus_policies() -> &'static [Policy] {
    static P: OnceLock<Vec<Policy>> = OnceLock::new();
    P.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for dir in [
            "policies/qualification",
            "policies/health",
            "policies/handoff",
        ] {
            if let Ok(set) = PolicySet::load(&root.join(dir)) {
                out.extend(set.versions().iter().cloned());
            }
        }
        let shared = root.join("../shared/examples");
        if let Ok(entries) = std::fs::read_dir(&shared) {
            let mut dirs: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
            dirs.sort();
            for d in dirs {
                if let Ok(p) = Policy::from_file(&d.join("policy.baton")) {
                    out.push(p);
                }
            }
        }
        out
    })
}

/// Policy loading never panics; a policy that loads formats to a fixed
/// point (formatting twice gives formatting once), and its formatted text
/// loads too.
pub fn load(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let loaded = Policy::from_source("fuzz.baton", &text);
    if let Err(e) = &loaded {
        let rendered = e.render();
        assert!(
            !rendered.contains("internal"),
            "an internal error for {text:?}:\n{rendered}"
        );
    }
    if let Ok(once) = baton::format_policy("fuzz.baton", &text) {
        let twice = baton::format_policy("fuzz.baton", &once).expect("a formatted policy parses");
        assert_eq!(once, twice, "formatting is not idempotent for {text:?}");
        if loaded.is_ok() {
            assert!(
                Policy::from_source("fuzz.baton", &once).is_ok(),
                "the formatted text of a policy that loads does not load: {once:?}"
            );
        }
    }
}

/// Records of any text through a corpus policy (chosen by the first byte):
/// one output record per input line, by the parallel JSON-lines path and
/// the sequential one alike, never a panic.
/// Returns how many records were evaluated.
pub fn records(data: &[u8]) -> u64 {
    let policies = corpus_policies();
    let Some((&pick, rest)) = data.split_first() else {
        return 0;
    };
    let Some(policy) = policies.get(usize::from(pick) % policies.len().max(1)) else {
        return 0;
    };
    let block = if policy.has(Block::Qualify) {
        Block::Qualify
    } else if policy.has(Block::Health) {
        Block::Health
    } else {
        return 0;
    };
    let text = String::from_utf8_lossy(rest).into_owned();
    let run = |format: Format| -> (u64, Vec<u8>) {
        let reader = match Reader::new(Box::new(Cursor::new(text.clone().into_bytes())), format) {
            Ok(r) => r,
            Err(_) => return (0, Vec::new()),
        };
        let sink = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut out = Output::new(
            Box::new(Shared(sink.clone())),
            Format::Jsonl,
            policy.columns(block),
        )
        .expect("an output");
        let stats = policy
            .evaluate_input(
                block,
                reader,
                &mut out,
                &EvalOptions::on(day()).explained(),
                &mut |_| {},
            )
            .map(|s| s.records)
            .unwrap_or(0);
        out.finish().expect("output finishes");
        let bytes = sink.lock().expect("sink").clone();
        (stats, bytes)
    };
    let (n, bytes) = run(Format::Jsonl);
    let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    assert_eq!(n, lines, "one output line per record");
    let _ = run(Format::Csv);
    // The same text as one record through the embedding route.
    if let Some(schema) = policy.qualify_schema().or(policy.health_schema()) {
        if let Ok(r) = schema.from_json_str(text.trim()) {
            let _ = policy.qualify(&r, &EvalOptions::on(day()));
            let _ = policy.health(&r, &EvalOptions::on(day()));
        }
    }
    n
}

/// SLA events of any text through the shipped handoff policy: one output
/// record per handoff id or orphan line, never a panic.
pub fn sla(data: &[u8]) {
    let Some(policy) = corpus_policies().iter().find(|p| p.has(Block::Handoff)) else {
        return;
    };
    let text = String::from_utf8_lossy(data).into_owned();
    let Ok(reader) = Reader::new(Box::new(Cursor::new(text.into_bytes())), Format::Jsonl) else {
        return;
    };
    let sink = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut out = Output::new(
        Box::new(Shared(sink.clone())),
        Format::Jsonl,
        policy.columns(Block::Handoff),
    )
    .expect("an output");
    let at = DateTime::from_timestamp(1_796_000_000, 0).expect("an instant");
    if let Ok(stats) = policy.sla_input(reader, &mut out, at) {
        out.finish().expect("output finishes");
        let lines = sink
            .lock()
            .expect("sink")
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        assert_eq!(stats.records, lines);
    }
}

/// Deals and events (CSV, cut at `0xFF`) through the `clawback_posted_rerun`
/// plan: the ledger, written and booked whole, then compared with itself
/// through `--posted`, leaves nothing to book. Returns the ledger's lines.
pub fn clawback(data: &[u8]) -> usize {
    static PLAN: OnceLock<Option<PolicySet>> = OnceLock::new();
    let Some(plan) = PLAN
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            PolicySet::load(&root.join("../shared/examples/clawback_posted_rerun/policy.baton"))
                .ok()
        })
        .as_ref()
    else {
        return 0;
    };
    let p = parts(data);
    let (Some(deals), Some(events)) = (p.first(), p.get(1)) else {
        return 0;
    };
    let table = |text: &str| {
        Reader::new(Box::new(Cursor::new(text.as_bytes().to_vec())), Format::Csv)
            .ok()
            .and_then(|r| Table::read(r).ok())
    };
    let (Some(deals), Some(events)) = (table(deals), table(events)) else {
        return 0;
    };
    let Ok(ledger) = plan.clawback(&deals, &events, &ClawbackOptions::as_of(day())) else {
        return 0;
    };
    let _ = ledger.summary();
    let mut booked = Vec::new();
    write_ledger(&ledger.lines, &mut booked).expect("the ledger writes");
    let posted = read_posted(&booked[..]).expect("a ledger baton wrote reads back");
    // Booked amounts that cannot be summed are refused, never a panic.
    if let Ok(rest) = diff_posted(&ledger.lines, &posted) {
        assert!(
            rest.is_empty(),
            "a booked ledger still differs from itself: {rest:?}"
        );
    }
    ledger.lines.len()
}

/// A writer that the caller reads back after the run.
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
