//! The inputs this round added meet arbitrary text without a panic:
//! project files, the outline of a policy, mapped export cells.

use baton::io::mapping::{convert, FieldMap};
use proptest::prelude::*;

fn tomlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("[policies]\n".to_string()),
        Just("[inputs.x]\n".to_string()),
        Just("[inputs.x.fields]\n".to_string()),
        Just("[jobs.j]\n".to_string()),
        Just("run = \"qualify\"\n".to_string()),
        Just("policy = \"p\"\n".to_string()),
        Just("input = \"x\"\n".to_string()),
        Just("path = \"a.csv\"\n".to_string()),
        Just("record = \"lead\"\n".to_string()),
        Just("id = { column = \"Id\", currency = \"XX\", unit = 3, true = [1] }\n".to_string()),
        Just("as_of = 2026-01-01\n".to_string()),
        "[a-z_]{1,6} = \"[^\"\n]{0,6}\"\n",
        "[\\[\\]{}=\",.#a-z0-9 \n]{0,20}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_project_file_of_any_text_loads_or_says_why(text in tomlish()) {
        let dir = std::env::temp_dir().join(format!("baton-prop-manifest-{}-{:?}", std::process::id(), std::thread::current().id()));
        std::fs::create_dir_all(&dir).expect("scratch");
        let f = dir.join("baton.toml");
        std::fs::write(&f, &text).expect("write");
        match baton::project::Manifest::load(&f) {
            Ok(m) => { let _ = m.check(); }
            Err(e) => {
                prop_assert!(!e.diagnostics.is_empty());
                let rendered = e.render();
                prop_assert!(rendered.contains("baton.toml:"), "{}", rendered);
            }
        }
    }

    #[test]
    fn the_outline_of_any_text_is_found_or_not(text in "[a-z{}()\"=<>0-9 \n#é🎉_.]{0,120}") {
        let src = format!("policy \"p\" version 1 effective 2026-01-01\n{text}");
        if let Some(o) = baton::outline::outline(&src) {
            for s in &o.symbols {
                prop_assert!(src.get(s.span.start..s.span.end).is_some());
            }
        }
    }

    #[test]
    fn any_cell_converts_or_says_why(cell in "\\PC{0,16}", which in 0usize..7) {
        let mut m = FieldMap::plain("f", "C");
        match which {
            0 => m.currency = baton::Currency::parse("USD"),
            1 => m.number = true,
            2 => m.unit = Some("d".into()),
            3 => m.date_format = Some("%m/%d/%Y".into()),
            4 => { m.timestamp_format = Some("%Y-%m-%d %H:%M".into()); m.timezone = Some(baton::Tz::America__New_York); }
            5 => { m.true_words = vec!["yes".into()]; m.false_words = vec!["no".into()]; m.lower = true; }
            _ => m.split = Some(";".into()),
        }
        let _ = convert(&m, &cell, None);
    }
}
