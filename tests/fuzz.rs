//! The fuzz targets of `fuzz/` run on stable, bounded: every seed of the
//! corpus (the shipped policies and samples, `../shared/examples`), then
//! generated mutations of them (bytes flipped, cut, spliced), each through
//! the same target bodies (`tests/support/fuzz_targets.rs`).

#[path = "support/fuzz_targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Files below `dir` whose name ends with one of `exts`, sorted.
fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if exts.iter().any(|x| p.to_string_lossy().ends_with(x)) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}

/// The policy seeds: every `.baton` file shipped or shared.
fn policy_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = files(&root().join("policies"), &[".baton"])
        .iter()
        .map(|p| read(p))
        .collect();
    seeds.extend(
        files(&root().join("../shared/examples"), &[".baton"])
            .iter()
            .map(|p| read(p)),
    );
    seeds
}

/// Record seeds: the shared examples' JSON and CSV inputs, and the first
/// lines of the shipped samples.
fn record_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = files(
        &root().join("../shared/examples"),
        &[".jsonl", ".json", ".csv"],
    )
    .iter()
    .map(|p| read(p))
    .collect();
    for name in ["leads.jsonl", "accounts.jsonl", "handoff_events.jsonl"] {
        let text = String::from_utf8(read(&root().join("policies/samples").join(name)))
            .unwrap_or_default();
        let head: String = text.lines().take(40).map(|l| format!("{l}\n")).collect();
        seeds.push(head.into_bytes());
    }
    seeds
}

/// Deals and events seeds, joined at `0xFF` as the clawback target reads
/// them.
fn clawback_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for dir in ["clawback_posted_rerun", "clawback_plan_versions"] {
        let d = root().join("../shared/examples").join(dir);
        let mut seed = read(&d.join("deals.csv"));
        seed.push(0xFF);
        seed.extend(read(&d.join("events.csv")));
        seeds.push(seed);
    }
    seeds
}

#[test]
fn every_seed_passes_every_target() {
    let policies = policy_seeds();
    assert!(
        policies.len() >= 8,
        "the corpus is read: {}",
        policies.len()
    );
    for seed in &policies {
        targets::load(seed);
    }
    let records = record_seeds();
    assert!(records.len() >= 6, "{}", records.len());
    assert!(targets::corpus_policies().len() >= 8);
    let mut evaluated = 0;
    for seed in &records {
        for pick in 0..targets::corpus_policies().len() {
            let mut data = vec![u8::try_from(pick).unwrap_or(0)];
            data.extend(seed);
            evaluated += targets::records(&data);
        }
        targets::sla(seed);
    }
    assert!(evaluated > 1_000, "the seeds were evaluated: {evaluated}");
    for seed in clawback_seeds() {
        assert!(targets::clawback(&seed) > 5, "the seed computes a ledger");
    }
}

/// A seed changed the ways fuzzers change inputs.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Splice(usize, usize, usize),
}

fn apply(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for e in edits {
        let n = data.len().max(1);
        match e {
            Edit::Flip(at, b) => {
                if let Some(x) = data.get_mut(at % n) {
                    *x ^= b;
                }
            }
            Edit::Cut(at) => data.truncate(at % n),
            Edit::Insert(at, bytes) => {
                let at = (at % n).min(data.len());
                data.splice(at..at, bytes.iter().copied());
            }
            Edit::Splice(from, len, to) => {
                let from = from % n;
                let end = (from + len % 64).min(data.len());
                let piece: Vec<u8> = data.get(from..end).unwrap_or_default().to_vec();
                let to = (to % n).min(data.len());
                data.splice(to..to, piece);
            }
        }
    }
    data
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let tokens = prop::sample::select(vec![
        b"{".to_vec(),
        b"}".to_vec(),
        b"\"".to_vec(),
        b"(".to_vec(),
        b"\n".to_vec(),
        b",".to_vec(),
        b" and ".to_vec(),
        b"99999999999999999999999999999".to_vec(),
        b"-1".to_vec(),
        b"0.001".to_vec(),
        b"2026-02-30".to_vec(),
        b"\xFF".to_vec(),
        b"USD".to_vec(),
        b"null".to_vec(),
    ]);
    prop::collection::vec(
        prop_oneof![
            (any::<usize>(), 1u8..=255).prop_map(|(a, b)| Edit::Flip(a, b)),
            any::<usize>().prop_map(Edit::Cut),
            (any::<usize>(), tokens).prop_map(|(a, t)| Edit::Insert(a, t)),
            (any::<usize>(), any::<usize>(), any::<usize>())
                .prop_map(|(a, b, c)| Edit::Splice(a, b, c)),
        ],
        1..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_policies_load_or_are_refused(pick in any::<usize>(), e in edits()) {
        let seeds = policy_seeds();
        let seed = &seeds[pick % seeds.len()];
        targets::load(&apply(seed, &e));
    }

    #[test]
    fn mutated_records_are_evaluated_or_refused(pick in any::<usize>(), policy in any::<u8>(), e in edits()) {
        let seeds = record_seeds();
        let mut data = vec![policy];
        data.extend(apply(&seeds[pick % seeds.len()], &e));
        let _ = targets::records(&data);
        targets::sla(&data[1..]);
    }

    #[test]
    fn mutated_ledgers_settle_against_themselves(pick in any::<usize>(), e in edits()) {
        let seeds = clawback_seeds();
        let _ = targets::clawback(&apply(&seeds[pick % seeds.len()], &e));
    }
}
