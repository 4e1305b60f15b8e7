//! `baton explain`: every code the checker can emit has an explanation,
//! whose wrong example gets that code and whose fixed example passes.

use std::path::Path;

use baton::{Code, Policy, PolicySet, ALL_CODES};

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("baton-codes-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch");
    d
}

fn codes_of_source(text: &str) -> Vec<Code> {
    match Policy::from_source("example.baton", text) {
        Ok(p) => p
            .warnings()
            .iter()
            .map(|d| d.code)
            .chain(
                p.run_tests()
                    .iter()
                    .filter(|t| !t.passed())
                    .map(|_| Code::E0601),
            )
            .collect(),
        Err(e) => e.diagnostics.iter().map(|d| d.code).collect(),
    }
}

#[test]
fn every_code_has_an_explanation_whose_examples_reproduce_it() {
    for code in ALL_CODES {
        let x = code.explanation();
        assert_eq!(x.code, code);
        assert!(!x.title.is_empty() && x.text.len() > 40, "{code}");
        match code {
            Code::E0004 => {
                let d = scratch("e0004");
                let bad = d.join("p.baton");
                let mut bytes = b"policy \"p\" version 1 effective 2026-01-01\n# caf".to_vec();
                bytes.extend_from_slice(b"\xe9\n");
                std::fs::write(&bad, bytes).expect("write");
                let err = PolicySet::load(&bad).expect_err("not UTF-8");
                assert!(err.diagnostics.iter().any(|d| d.code == code), "{code}");
                std::fs::write(
                    &bad,
                    "policy \"p\" version 1 effective 2026-01-01\n# café\n",
                )
                .expect("write");
                assert!(PolicySet::load(&bad).is_ok(), "{code} fixed");
            }
            Code::E0501 => {
                let d = scratch("e0501");
                std::fs::write(
                    d.join("v1.baton"),
                    "policy \"p\" version 1 effective 2026-01-01\n",
                )
                .expect("write");
                std::fs::write(
                    d.join("v2.baton"),
                    "policy \"q\" version 2 effective 2026-06-01\n",
                )
                .expect("write");
                let err = PolicySet::load(&d).expect_err("two names");
                assert!(err.diagnostics.iter().any(|x| x.code == code), "{code}");
                std::fs::write(
                    d.join("v2.baton"),
                    "policy \"p\" version 2 effective 2026-06-01\n",
                )
                .expect("write");
                assert!(PolicySet::load(&d).is_ok(), "{code} fixed");
            }
            Code::E0701 => {
                let d = scratch("e0701");
                let f = d.join("baton.toml");
                std::fs::write(&f, x.wrong).expect("write");
                let err = baton::project::Manifest::load(&f).expect_err("unknown policy");
                assert!(err.diagnostics.iter().all(|x| x.code == code), "{code}");
                std::fs::write(&f, x.fixed).expect("write");
                assert!(baton::project::Manifest::load(&f).is_ok(), "{code} fixed");
            }
            _ => {
                let got = codes_of_source(x.wrong);
                assert!(
                    got.contains(&code),
                    "{code}: the wrong example gets {got:?}"
                );
                let fixed = codes_of_source(x.fixed);
                assert!(fixed.is_empty(), "{code}: the fixed example gets {fixed:?}");
            }
        }
    }
}

#[test]
fn baton_explain_prints_it_and_refuses_an_unknown_code() {
    let run = |arg: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["explain", arg])
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
            .output()
            .expect("baton runs");
        (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
            out.status.code(),
        )
    };
    let (out, _, code) = run("E0104");
    assert_eq!(code, Some(0));
    assert!(out.starts_with("E0104: money of two currencies\n"), "{out}");
    assert!(
        out.contains("This gets E0104:") && out.contains("Fixed:"),
        "{out}"
    );
    let (lower, _, _) = run("e0104");
    assert_eq!(lower, out);
    let (_, err, code) = run("E9999");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no code `E9999`") && err.contains("E0001"),
        "{err}"
    );
}
