//! A CRM export made from clean leads, read through the shipped project
//! file's mapping, gives the records the clean JSON lines give: the same
//! decisions, byte for byte, for random leads.

#[path = "support/samples.rs"]
mod samples;

use baton::io::{Format, Output, Reader};
use baton::project::Manifest;
use baton::{Block, EvalOptions, NaiveDate, PolicySet};
use proptest::prelude::*;

/// `qualify` of `reader` under the shipped qualification policy, as CSV.
fn decisions(reader: Reader) -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = PolicySet::load(&root.join("policies/qualification")).expect("policy");
    let policy = set.latest().expect("a version");
    let sink = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Output::new(
        Box::new(Shared(sink.clone())),
        Format::Csv,
        policy.columns(Block::Qualify),
    )
    .expect("output");
    let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("date");
    policy
        .evaluate_input(
            Block::Qualify,
            reader,
            &mut out,
            &EvalOptions::on(day),
            &mut |_| {},
        )
        .expect("a run");
    out.finish().expect("finish");
    let bytes = sink.lock().map(|b| b.clone()).unwrap_or_default();
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_mapped_export_reads_as_the_clean_leads(seed in any::<u64>(), n in 1u64..200) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let m = Manifest::load(&root.join("policies/baton.toml")).expect("the shipped project file");
        let fields = m.input("hubspot_leads").expect("the HubSpot input").fields.clone();
        let clean = samples::leads(n, seed);
        let export = samples::hubspot_export(&clean);
        let mapped = Reader::mapped(Box::new(std::io::Cursor::new(export.into_bytes())), &fields, 1 << 20)
            .expect("the export's header has every column");
        let plain = Reader::new(Box::new(std::io::Cursor::new(clean.into_bytes())), Format::Jsonl)
            .expect("JSON lines");
        let (a, b) = (decisions(mapped), decisions(plain));
        prop_assert!(a == b, "mapped:\n{}\nclean:\n{}", String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
    }
}
