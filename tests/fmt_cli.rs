//! `baton fmt`: the canonical layout, `--check`, files that do not parse,
//! and properties of the formatter (idempotent, whitespace only).

mod common;

use std::fs;
use std::path::Path;

use proptest::prelude::*;

const MESSY: &str = "policy \"p\" version 1 effective 2026-01-01\r\ncurrency USD   \r\n\r\n\r\nrecord lead key id {\r\n\tid: text\r\n      budget: money?\r\n}\r\nqualify lead {\r\n      stage MQL when budget >= 10 USD\r\n                     and id != \"x\"   # hand-aligned\r\n}\r\n\r\n";
const CANONICAL: &str = "policy \"p\" version 1 effective 2026-01-01\n  currency USD\n\nrecord lead key id {\n  id: text\n  budget: money?\n}\nqualify lead {\n  stage MQL when budget >= 10 USD\n                 and id != \"x\"   # hand-aligned\n}\n";

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("baton-fmt-{}-{name}", std::process::id()));
    fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn check_names_the_file_then_fmt_rewrites_it_and_check_passes() {
    let d = dir("rewrite");
    fs::write(d.join("p.baton"), MESSY).expect("write");
    let (out, err, code) = common::baton_in(&d, &["fmt", "--check", "."], None);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("p.baton: not in the canonical layout"),
        "{out}"
    );
    assert_eq!(
        fs::read_to_string(d.join("p.baton")).expect("read"),
        MESSY,
        "--check changes nothing"
    );

    let (out, _, code) = common::baton_in(&d, &["fmt", "p.baton"], None);
    assert_eq!(code, 0);
    assert!(out.contains("p.baton: formatted"), "{out}");
    assert_eq!(
        fs::read_to_string(d.join("p.baton")).expect("read"),
        CANONICAL
    );

    let (out, _, code) = common::baton_in(&d, &["fmt", "--check", "p.baton"], None);
    assert_eq!((out.as_str(), code), ("", 0));
    // The formatted policy still checks.
    let (_, err, code) = common::baton_in(&d, &["check", "p.baton"], None);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_left_alone() {
    let d = dir("broken");
    let broken = "policy \"p\" version 1 effective 2026-01-01\nlet x =    \n";
    fs::write(d.join("b.baton"), broken).expect("write");
    let (_, err, code) = common::baton_in(&d, &["fmt", "b.baton"], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("b.baton:") && err.contains("left as it is"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(d.join("b.baton")).expect("read"), broken);
}

#[test]
fn shipped_and_example_policies_are_canonical() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (out, err, code) = common::baton_in(
        root,
        &[
            "fmt",
            "--check",
            "policies/qualification",
            "policies/health",
            "policies/handoff",
            "policies/commission",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    for entry in fs::read_dir(root.join("../shared/examples")).expect("examples") {
        let dir = entry.expect("entry").path();
        for file in [
            dir.join("policy.baton"),
            dir.join("policy/v1.baton"),
            dir.join("policy/v2.baton"),
        ] {
            if let Ok(src) = fs::read_to_string(&file) {
                assert_eq!(
                    baton::format_policy("p.baton", &src).unwrap(),
                    src,
                    "{}",
                    file.display()
                );
            }
        }
    }
}

/// The shipped policies with their whitespace disturbed: every line moved
/// right alike, trailing blanks, longer runs of blank lines, CRLF.
fn disturbed() -> impl Strategy<Value = (String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files: Vec<String> = [
        "qualification/v2.baton",
        "health/v1.baton",
        "handoff/v1.baton",
        "commission/v2.baton",
    ]
    .iter()
    .map(|f| fs::read_to_string(root.join("policies").join(f)).expect("policy"))
    .collect();
    (
        0..files.len(),
        proptest::collection::vec((0usize..3, 0usize..4, any::<bool>()), 400),
    )
        .prop_map(move |(i, noise)| {
            let original = files[i].clone();
            let mut out = String::new();
            for (line, (blank, trailing, crlf)) in original.split('\n').zip(noise.iter().cycle()) {
                out.push_str(line);
                out.push_str(&" ".repeat(*trailing));
                out.push_str(if *crlf { "\r\n" } else { "\n" });
                // Blank lines are the author's, one at a time: only runs
                // of them grow.
                if line.is_empty() {
                    for _ in 0..*blank {
                        out.push('\n');
                    }
                }
            }
            (original, out)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Formatting keeps every line's content, is idempotent, and undoes
    /// trailing blanks, CRLF and extra blank lines.
    #[test]
    fn formatting_is_whitespace_only_and_idempotent((original, noisy) in disturbed()) {
        // `format_policy` refuses a layout that changes more than whitespace.
        let once = baton::format_policy("p.baton", &noisy).unwrap();
        prop_assert_eq!(baton::format_policy("p.baton", &once).unwrap(), once.clone());
        prop_assert!(!once.contains('\r'));
        prop_assert!(!once.contains("\n\n\n"));
        prop_assert!(once.lines().all(|l| l == l.trim_end()));
        // The shipped files are canonical, and blank lines/trailing blanks
        // are not part of the layout's choices beyond collapsing: the
        // noisy file formats back to the original.
        prop_assert_eq!(once, original);
    }

}

#[cfg(unix)]
#[test]
fn a_policy_path_that_is_not_a_regular_file_is_reported_not_read() {
    let d = dir("special");
    fs::write(d.join("a.baton"), CANONICAL).expect("write");
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.baton")).expect("symlink");
    let fifo = std::process::Command::new("mkfifo")
        .arg(d.join("fifo.baton"))
        .status()
        .expect("mkfifo");
    assert!(fifo.success());
    let (_, err, code) = common::baton_timed(&d, &["fmt", "--check", "."], 60);
    assert_eq!(code, 2, "{err}");
    for name in [
        "fifo.baton` is not a regular file (a FIFO)",
        "zero.baton` is not a regular file (a character device)",
    ] {
        assert!(err.contains(name), "{err}");
    }
    let (_, err, code) = common::baton_timed(&d, &["fmt", "."], 60);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        fs::read_to_string(d.join("a.baton")).expect("read"),
        CANONICAL
    );
    fs::remove_dir_all(&d).expect("clean up");
}
