//! `baton qualify`, `baton health` and `baton check` as a user runs them.

mod common;
use common::*;

#[test]
fn example_qualify_inbound_demos() {
    check_jsonl_example(
        "qualify_inbound_demos",
        &[
            "qualify",
            "--policy",
            "policy.baton",
            "--as-of",
            "2026-11-02",
            "leads.jsonl",
        ],
        1,
    );
}

#[test]
fn example_qualify_partner_referrals_csv() {
    check_jsonl_example(
        "qualify_partner_referrals_csv",
        &[
            "qualify",
            "--policy",
            "policy.baton",
            "--as-of",
            "2026-11-16",
            "referrals.csv",
        ],
        1,
    );
}

#[test]
fn example_health_onboarding_scorecard() {
    check_jsonl_example(
        "health_onboarding_scorecard",
        &[
            "health",
            "--policy",
            "policy.baton",
            "--as-of",
            "2026-11-30",
            "accounts.jsonl",
        ],
        1,
    );
}

#[test]
fn example_health_support_load_json() {
    check_jsonl_example(
        "health_support_load_json",
        &[
            "health",
            "--policy",
            "policy.baton",
            "--as-of",
            "2026-12-01",
            "accounts.json",
        ],
        1,
    );
}

const POLICY: &str = r#"policy "leads" version 1 effective 2026-01-01
  currency USD
record lead key id {
  id: text
  seats: int
  budget: money?
}
score fit for lead {
  add 30 when seats >= 50
}
qualify lead {
  stage MQL when fit >= 30 and budget >= 10_000 USD
}
"#;

/// `baton qualify` of the scratch policy on the date the tests use.
const QUALIFY: [&str; 5] = [
    "qualify",
    "--policy",
    "policy.baton",
    "--as-of",
    "2026-03-01",
];

/// `baton qualify --policy policy.baton --as-of 2026-03-01 -` in `d`, with
/// `input` on standard input: the results, standard error and exit code.
fn qualify_stdin(d: &tempdir::Dir, input: &str) -> (Vec<serde_json::Value>, String, i32) {
    let (out, err, code) = baton_in(d.path(), &[&QUALIFY[..], &["-"]].concat(), Some(input));
    (jsonl(&out), err, code)
}

/// A policy `p` over `record lead key id { FIELDS }`, then `body`.
fn lead_policy(fields: &str, body: &str) -> tempdir::Dir {
    tmp_policy(&format!(
        "policy \"p\" version 1 effective 2026-01-01\nrecord lead key id {{ {fields} }}\n{body}"
    ))
}

fn tmp_policy(text: &str) -> tempdir::Dir {
    let d = tempdir::Dir::new();
    std::fs::write(d.path().join("policy.baton"), text).unwrap();
    d
}

mod tempdir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    /// A scratch directory under the target dir, removed on drop.
    pub struct Dir(PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
                "t{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn stdin_input_and_exit_zero_when_all_records_evaluate() {
    let d = tmp_policy(POLICY);
    let input = "{\"id\":\"a\",\"seats\":80,\"budget\":\"12000\"}\n\n{\"id\":\"b\",\"seats\":3}\n";
    let (r, err, code) = qualify_stdin(&d, input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r.len(), 2);
    assert_eq!(r[0]["stage"], "MQL");
    assert_eq!(r[0]["scores"]["fit"], "30");
    assert_eq!(r[1]["stages"]["MQL"], serde_json::Value::Bool(false));
}

#[test]
fn malformed_lines_are_error_lines_and_the_rest_is_evaluated() {
    let d = tmp_policy(POLICY);
    let input =
        "{\"id\":\"a\",\"seats\":80}\nnot json\n{\"id\":\"c\"}\n{\"id\":\"d\",\"seats\":1}\n";
    let (r, _, code) = qualify_stdin(&d, input);
    assert_eq!(code, 1);
    assert_eq!(r.len(), 4);
    assert_eq!(r[1]["line"], 2);
    assert!(r[1]["error"].as_str().unwrap().contains("JSON"));
    assert_eq!(r[2]["line"], 3);
    assert_eq!(r[2]["key"], "c");
    assert!(
        r[2]["error"].as_str().unwrap().contains("`seats`"),
        "{}",
        r[2]
    );
    assert_eq!(r[3]["key"], "d");
}

#[test]
fn invalid_utf8_input_line_is_an_error_line() {
    let d = tmp_policy(POLICY);
    let mut bytes = b"{\"id\":\"a\",\"seats\":80}\n{\"id\":\"\xff\xfe\",\"seats\":1}\n".to_vec();
    bytes.extend_from_slice(b"{\"id\":\"z\",\"seats\":1}\n");
    std::fs::write(d.path().join("in.jsonl"), bytes).unwrap();
    let (out, _, code) = baton_in(d.path(), &[&QUALIFY[..], &["in.jsonl"]].concat(), None);
    // The bad line is an error object naming its line, not a record read
    // with its bytes replaced; the lines around it are evaluated.
    assert_eq!(code, 1);
    let r = jsonl(&out);
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["key"], "a");
    assert_eq!(r[1]["error"], "not valid UTF-8");
    assert_eq!(r[1]["line"], 2);
    assert_eq!(r[1]["key"], serde_json::Value::Null);
    assert_eq!(r[2]["key"], "z");
}

#[test]
fn a_constant_that_always_fails_is_a_record_error_only_where_evaluated() {
    // LANGUAGE §4: division by zero is an error of the record that
    // evaluates it; `and` stops at a false left side.
    let d = lead_policy(
        "id: text  seats: int",
        "let broken = 1 / 0\n\
         qualify lead {\n\
           stage NEVER when false and 1 / 0 > 1\n\
           stage GUARDED when seats > 10 and broken > 1\n\
         }\n",
    );
    let (_, err, code) = baton_in(d.path(), &["check", "policy.baton"], None);
    assert_eq!(code, 0, "{err}");
    let input = "{\"id\":\"small\",\"seats\":3}\n{\"id\":\"big\",\"seats\":30}\n";
    let (r, _, code) = qualify_stdin(&d, input);
    assert_eq!(code, 1);
    assert_eq!(r[0]["key"], "small");
    assert_eq!(r[0]["stages"]["NEVER"], false);
    assert_eq!(r[0]["stages"]["GUARDED"], false);
    assert_eq!(r[1]["key"], "big");
    assert_eq!(r[1]["line"], 2);
    assert!(
        r[1]["error"].as_str().unwrap().contains("division by zero"),
        "{}",
        r[1]
    );
}

#[test]
fn csv_error_lines_name_physical_lines_with_crlf_and_blank_lines() {
    let d = tmp_policy(POLICY);
    std::fs::write(
        d.path().join("in.csv"),
        "id,seats\r\na,x\r\n\r\nb,y\r\n\"c\r\nd\",z\r\n",
    )
    .unwrap();
    let (out, _, code) = baton_in(d.path(), &[&QUALIFY[..], &["in.csv"]].concat(), None);
    assert_eq!(code, 1);
    let lines: Vec<_> = jsonl(&out).iter().map(|r| r["line"].clone()).collect();
    assert_eq!(lines, [2, 4, 5]);
}

#[test]
fn csv_and_json_output_formats() {
    let d = tmp_policy(POLICY);
    let input = "{\"id\":\"a\",\"seats\":80,\"budget\":\"12000\"}\n{\"id\":\"b\"}\n";
    let (out, _, code) = baton_in(
        d.path(),
        &[&QUALIFY[..], &["--format", "csv", "-"]].concat(),
        Some(input),
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "key,policy,version,stage,stages.MQL,scores.fit,error,line"
    );
    assert_eq!(lines[1], "a,leads,1,MQL,true,30,,");
    assert!(lines[2].starts_with("b,,,,,,field `seats`"), "{}", lines[2]);
    assert!(lines[2].ends_with(",2"));
    let (out, _, _) = baton_in(
        d.path(),
        &[&QUALIFY[..], &["--format", "json", "-"]].concat(),
        Some(input),
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("a JSON array");
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[test]
fn output_file_and_explain() {
    let d = tmp_policy(POLICY);
    let input = "{\"id\":\"a\",\"seats\":80}\n";
    let (out, _, code) = baton_in(
        d.path(),
        &[&QUALIFY[..], &["--explain", "--output", "out.jsonl", "-"]].concat(),
        Some(input),
    );
    assert_eq!(code, 0);
    assert!(out.is_empty());
    let r = jsonl(&std::fs::read_to_string(d.path().join("out.jsonl")).unwrap());
    let steps = r[0]["explain"].as_array().unwrap();
    let stage = steps
        .iter()
        .find(|s| s["rule"].as_str().unwrap().starts_with("stage MQL"))
        .unwrap();
    assert_eq!(stage["result"], serde_json::Value::Null);
    assert_eq!(stage["unknown"], serde_json::json!(["budget"]));
}

#[test]
fn policy_directory_version_in_force_and_pinned() {
    let d = tempdir::Dir::new();
    std::fs::create_dir(d.path().join("pol")).unwrap();
    std::fs::write(d.path().join("pol/v1.baton"), POLICY).unwrap();
    let v2 = POLICY
        .replace(
            "version 1 effective 2026-01-01",
            "version 2 effective 2026-07-01",
        )
        .replace("10_000 USD", "50_000 USD");
    std::fs::write(d.path().join("pol/v2.baton"), v2).unwrap();
    let input = "{\"id\":\"a\",\"seats\":80,\"budget\":\"12000\"}\n";
    let run = |args: &[&str]| jsonl(&baton_in(d.path(), args, Some(input)).0);
    let r = run(&["qualify", "--policy", "pol", "--as-of", "2026-03-01", "-"]);
    assert_eq!(
        (r[0]["version"].clone(), r[0]["stage"].clone()),
        (serde_json::json!(1), serde_json::json!("MQL"))
    );
    let r = run(&["qualify", "--policy", "pol", "--as-of", "2026-08-01", "-"]);
    assert_eq!(
        (r[0]["version"].clone(), r[0]["stage"].clone()),
        (serde_json::json!(2), serde_json::Value::Null)
    );
    let r = run(&[
        "qualify",
        "--policy",
        "pol",
        "--as-of",
        "2026-08-01",
        "--version",
        "1",
        "-",
    ]);
    assert_eq!(r[0]["version"], 1);
    let (_, err, code) = baton_in(
        d.path(),
        &["qualify", "--policy", "pol", "--as-of", "2025-01-01", "-"],
        Some(input),
    );
    assert_eq!(code, 2);
    assert!(err.contains("in force"), "{err}");
}

#[test]
fn check_reports_every_error_with_location_and_exits_2() {
    let d = tmp_policy(
        &POLICY
            .replace("seats >= 50", "seatz >= 50")
            .replace("budget >= 10_000 USD", "budget >= \"lots\""),
    );
    let (_, err, code) = baton_in(d.path(), &["check", "policy.baton"], None);
    assert_eq!(code, 2);
    assert!(err.contains("error[E0101]: unknown name `seatz`"), "{err}");
    assert!(err.contains("--> policy.baton:9:15"), "{err}");
    assert!(err.contains("did you mean `seats`?"), "{err}");
    assert!(
        err.contains("error[E0103]: cannot compare money with a text"),
        "{err}"
    );
}

#[test]
fn check_passes_a_clean_policy_and_evaluation_refuses_a_broken_one() {
    let d = tmp_policy(POLICY);
    let (out, _, code) = baton_in(d.path(), &["check", "policy.baton"], None);
    assert_eq!(code, 0);
    assert!(out.contains("ok"));
    std::fs::write(
        d.path().join("bad.baton"),
        "policy \"x\" version 1 effective 2026-01-01\nlet a = b",
    )
    .unwrap();
    let (out, _, code) = baton_in(
        d.path(),
        &["qualify", "--policy", "bad.baton", "-"],
        Some("{}\n"),
    );
    assert_eq!(code, 2);
    assert!(out.is_empty());
}

#[test]
fn unreadable_input_and_bad_usage_exit_2() {
    let d = tmp_policy(POLICY);
    let (_, _, code) = baton_in(
        d.path(),
        &["qualify", "--policy", "policy.baton", "missing.jsonl"],
        None,
    );
    assert_eq!(code, 2);
    let (_, _, code) = baton_in(d.path(), &["qualify", "--bogus"], None);
    assert_eq!(code, 2);
    std::fs::write(d.path().join("a.json"), "{not an array").unwrap();
    let (_, _, code) = baton_in(
        d.path(),
        &["qualify", "--policy", "policy.baton", "a.json"],
        None,
    );
    assert_eq!(code, 2);
}

#[test]
fn a_quotient_that_does_not_terminate_keeps_28_significant_digits() {
    let d = lead_policy(
        "id: text  x: int",
        "qualify lead {\n\
           stage S28 when x / 3 == 3.333333333333333333333333333\n\
           stage THIRDS when x / 3 * 3 == 9.999999999999999999999999999\n\
           stage BIG when x * 20 / 3 == 66.66666666666666666666666667\n\
         }\n",
    );
    let (r, err, code) = qualify_stdin(&d, "{\"id\":\"a\",\"x\":10}\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(r[0]["stages"]["S28"], true, "{}", r[0]);
    assert_eq!(r[0]["stages"]["THIRDS"], true, "{}", r[0]);
    assert_eq!(r[0]["stages"]["BIG"], true, "{}", r[0]);
}

#[test]
fn a_quotient_that_terminates_is_exact_even_at_29_digits() {
    // LANGUAGE §4 rounds only a quotient that does not terminate: one that
    // terminates and fits a decimal is exact, and `d / 1` is never an
    // overflow.
    let d = lead_policy(
        "id: text  d: decimal",
        "qualify lead {\n\
           stage SAME when d / 1 == d\n\
           stage TENTH when d / 10 * 10 == d\n\
           stage NEG when d / -1 == -d\n\
         }\n",
    );
    let (r, err, code) = qualify_stdin(
        &d,
        "{\"id\":\"a\",\"d\":12345678901234567890.123456789}\n\
         {\"id\":\"b\",\"d\":79228162514264337593543950335}\n",
    );
    assert_eq!(code, 0, "{err}\n{r:?}");
    for rec in &r {
        for stage in ["SAME", "TENTH", "NEG"] {
            assert_eq!(rec["stages"][stage], true, "{stage}: {rec}");
        }
    }
}

#[test]
fn between_with_two_currencies_is_an_error_even_with_an_unknown_bound() {
    // LANGUAGE §4: money of two currencies meeting in one comparison is an
    // error; `m` meets the lower bound whether or not `j` is known.
    let d = lead_policy(
        "id: text  m: money?  j: money?",
        "qualify lead { stage A when m between 1 USD and j }\n",
    );
    let (r, err, code) = qualify_stdin(
        &d,
        "{\"id\":\"a\",\"m\":\"5 EUR\"}\n{\"id\":\"b\",\"m\":\"5 USD\"}\n",
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        r[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("two currencies")),
        "{}",
        r[0]
    );
    assert_eq!(r[0]["line"], 1);
    // Same currency, one bound unknown: unknown.
    assert_eq!(r[1]["stages"]["A"], serde_json::Value::Null, "{}", r[1]);
}

#[test]
fn an_int_key_is_output_as_a_number() {
    // CLI.md's value encoding: an int is a JSON number, the key included,
    // in results and in error lines, from JSON lines and from CSV.
    let d = lead_policy("id: int  x: int", "qualify lead { stage A when x > 1 }\n");
    let (r, err, code) = qualify_stdin(
        &d,
        "{\"id\":7,\"x\":3}\n{\"id\":\"8\",\"x\":\"bad\"}\n{\"id\":\"nine\",\"x\":1}\n",
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(r[0]["key"], 7, "{}", r[0]);
    assert_eq!(r[1]["key"], 8, "{}", r[1]);
    // A key that is not an int is named as it was given.
    assert_eq!(r[2]["key"], "nine", "{}", r[2]);
    std::fs::write(d.path().join("leads.csv"), "id,x\n7,3\n8,bad\n").unwrap();
    let (out, err, code) = baton_in(d.path(), &[&QUALIFY[..], &["leads.csv"]].concat(), None);
    assert_eq!(code, 1, "{err}");
    let r = jsonl(&out);
    assert_eq!(r[0]["key"], 7, "{}", r[0]);
    assert_eq!(r[1]["key"], 8, "{}", r[1]);
}

#[test]
fn score_points_may_be_percents() {
    // LANGUAGE §5: n is an int or a decimal, and `50%` is the decimal 0.5.
    let d = lead_policy(
        "id: text  x: int",
        "score fit for lead {\n\
           add 50% when x > 0\n\
           add 2.5 when x > 1\n\
           subtract 12.5% when x > 2\n\
         }\n\
         qualify lead { stage A when fit > 0.5 }\n",
    );
    let (r, err, code) = qualify_stdin(&d, "{\"id\":\"a\",\"x\":1}\n{\"id\":\"b\",\"x\":3}\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(r[0]["scores"]["fit"], "0.5");
    assert_eq!(r[0]["stages"]["A"], false);
    assert_eq!(r[1]["scores"]["fit"], "2.875");
    assert_eq!(r[1]["stage"], "A");
}

#[test]
fn a_field_may_be_named_through_its_record() {
    // LANGUAGE §4 lists `name.field` among the atoms: `lead.x` is `x`.
    let d = lead_policy(
        "id: text  x: int",
        "score fit for lead { add 1 when lead.x > 0 }\n\
         qualify lead { stage A when lead.x > 1 and fit > 0 }\n",
    );
    let (r, err, code) = qualify_stdin(&d, "{\"id\":\"a\",\"x\":1}\n{\"id\":\"b\",\"x\":3}\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(r[0]["stages"]["A"], false);
    assert_eq!(r[1]["stage"], "A");
    assert_eq!(r[1]["scores"]["fit"], "1");
}

#[test]
fn explain_with_csv_output_is_warned_about_not_dropped_silently() {
    let d = tmp_policy(POLICY);
    let args = [&QUALIFY[..], &["--explain", "--format", "csv", "-"]].concat();
    let (out, err, code) = baton_in(d.path(), &args, Some("{\"id\":\"a\",\"seats\":80}\n"));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("--explain is shown in JSON output only"),
        "{err}"
    );
    assert_eq!(out.lines().count(), 2, "{out}");
    let (_, err, _) = baton_in(
        d.path(),
        &[&args[..args.len() - 1], &["--quiet", "-"]].concat(),
        Some("{\"id\":\"a\",\"seats\":80}\n"),
    );
    assert!(err.is_empty(), "{err}");
}

#[test]
fn a_byte_order_mark_opening_a_file_is_not_content() {
    // Windows editors and exports write one; CSV readers skip it, and so
    // does baton for policies, JSON lines and JSON arrays.
    let d = tempdir::Dir::new();
    let bom = "\u{feff}";
    std::fs::write(d.path().join("policy.baton"), format!("{bom}{POLICY}")).unwrap();
    std::fs::write(
        d.path().join("in.jsonl"),
        format!("{bom}{{\"id\":\"a\",\"seats\":80}}\n"),
    )
    .unwrap();
    std::fs::write(
        d.path().join("in.json"),
        format!("{bom}[{{\"id\":\"b\",\"seats\":80}}]"),
    )
    .unwrap();
    for (input, key) in [("in.jsonl", "a"), ("in.json", "b")] {
        let (out, err, code) = baton_in(d.path(), &[&QUALIFY[..], &[input]].concat(), None);
        assert_eq!(code, 0, "{input}: {err}");
        assert_eq!(jsonl(&out)[0]["key"], key, "{out}");
    }
}

#[test]
fn invalid_utf8_in_a_policy_is_pointed_at() {
    let d = tempdir::Dir::new();
    let mut bytes = b"policy \"p\" version 1 effective 2026-01-01\n# caf".to_vec();
    bytes.extend_from_slice(b"\xe9 ok\n");
    std::fs::write(d.path().join("bad.baton"), bytes).unwrap();
    let (_, err, code) = baton_in(d.path(), &["check", "bad.baton"], None);
    assert_eq!(code, 2);
    assert!(err.contains("error[E0004]"), "{err}");
    assert!(err.contains("bad.baton:2:6"), "{err}");
}

/// `baton qualify` of the scratch policy with `args` in `d`.
fn qualify_in(d: &tempdir::Dir, args: &[&str]) -> (String, String, i32) {
    baton_in(d.path(), &[&QUALIFY[..], args].concat(), None)
}

/// The names in a scratch directory, sorted (no temporary file left over).
fn names_in(d: &tempdir::Dir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_csv_header_naming_a_column_twice_is_refused_before_any_record() {
    let d = tmp_policy(POLICY);
    std::fs::write(d.path().join("in.csv"), "id,seats,seats\na,80,1\n").unwrap();
    let (out, err, code) = qualify_in(&d, &["in.csv"]);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert_eq!(
        err,
        "error: in.csv: the CSV header names column `seats` twice (columns 2 and 3)\n"
    );
    // Cells are compared as the columns are matched to fields: trimmed.
    std::fs::write(d.path().join("in.csv"), "id, seats ,seats\na,80,1\n").unwrap();
    let (_, err, code) = qualify_in(&d, &["in.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("column `seats` twice"), "{err}");
    // Unnamed columns match no field: several are harmless.
    std::fs::write(d.path().join("in.csv"), "id,,seats,\na,,80,\n").unwrap();
    let (out, err, code) = qualify_in(&d, &["in.csv"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(jsonl(&out)[0]["scores"]["fit"], "30");
}

#[test]
fn an_output_that_is_an_input_or_the_policy_is_refused_and_left_alone() {
    let d = tmp_policy(POLICY);
    let input = "{\"id\":\"a\",\"seats\":80}\n";
    std::fs::write(d.path().join("in.jsonl"), input).unwrap();
    std::fs::hard_link(d.path().join("in.jsonl"), d.path().join("alias.jsonl")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("in.jsonl", d.path().join("link.jsonl")).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["in.jsonl", "--output", "in.jsonl"],
            "error: --output `in.jsonl` is the same file as the input `in.jsonl`\n",
        ),
        (
            &["in.jsonl", "--output", "alias.jsonl"],
            "error: --output `alias.jsonl` is the same file as the input `in.jsonl`\n",
        ),
        #[cfg(unix)]
        (
            &["link.jsonl", "--output", "in.jsonl"],
            "error: --output `in.jsonl` is the same file as the input `link.jsonl`\n",
        ),
        (
            &["in.jsonl", "--output", "policy.baton"],
            "error: --output `policy.baton` is the same file as the policy file `policy.baton`\n",
        ),
    ];
    for (args, message) in cases {
        let (out, err, code) = qualify_in(&d, args);
        assert_eq!((out.as_str(), code), ("", 2), "{args:?}: {err}");
        assert_eq!(err, *message, "{args:?}");
        assert_eq!(
            std::fs::read_to_string(d.path().join("in.jsonl")).unwrap(),
            input
        );
        assert_eq!(
            std::fs::read_to_string(d.path().join("policy.baton")).unwrap(),
            POLICY
        );
    }
    // Standard input redirected from the file named by --output.
    let stdin = std::fs::File::open(d.path().join("in.jsonl")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([&QUALIFY[..], &["--output", "in.jsonl", "-"]].concat())
        .current_dir(d.path())
        .stdin(stdin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --output `in.jsonl` is the same file as the input `-`\n"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("in.jsonl")).unwrap(),
        input
    );
    // Standard output appended to the input would read its own results.
    let append = std::fs::OpenOptions::new()
        .append(true)
        .open(d.path().join("in.jsonl"))
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([&QUALIFY[..], &["in.jsonl"]].concat())
        .current_dir(d.path())
        .stdout(append)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: standard output is the same file as the input `in.jsonl`\n"
    );
    assert_eq!(
        std::fs::read_to_string(d.path().join("in.jsonl")).unwrap(),
        input
    );
}

#[test]
fn an_output_file_is_replaced_whole_or_not_at_all() {
    let d = tmp_policy(POLICY);
    std::fs::write(d.path().join("in.jsonl"), "{\"id\":\"a\",\"seats\":80}\n").unwrap();
    std::fs::write(d.path().join("out.jsonl"), "old\n").unwrap();
    // A directory named like an input opens, then fails at its first read:
    // the run stops (exit 2) and the output keeps what it held.
    std::fs::create_dir(d.path().join("dir.jsonl")).unwrap();
    let (_, err, code) = qualify_in(&d, &["dir.jsonl", "--output", "out.jsonl"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        std::fs::read_to_string(d.path().join("out.jsonl")).unwrap(),
        "old\n"
    );
    assert_eq!(
        names_in(&d),
        ["dir.jsonl", "in.jsonl", "out.jsonl", "policy.baton"]
    );
    // A run that completes replaces it, keeping its permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = std::fs::Permissions::from_mode(0o640);
        std::fs::set_permissions(d.path().join("out.jsonl"), p).unwrap();
    }
    let (_, err, code) = qualify_in(&d, &["in.jsonl", "--output", "out.jsonl"]);
    assert_eq!(code, 0, "{err}");
    let r = jsonl(&std::fs::read_to_string(d.path().join("out.jsonl")).unwrap());
    assert_eq!((r.len(), &r[0]["key"]), (1, &serde_json::json!("a")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(d.path().join("out.jsonl")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    }
    assert_eq!(
        names_in(&d),
        ["dir.jsonl", "in.jsonl", "out.jsonl", "policy.baton"]
    );
    // An output through a symbolic link replaces the file it points to.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("out.jsonl", d.path().join("to-out.jsonl")).unwrap();
        std::fs::write(d.path().join("out.jsonl"), "old\n").unwrap();
        let (_, err, code) = qualify_in(&d, &["in.jsonl", "--output", "to-out.jsonl"]);
        assert_eq!(code, 0, "{err}");
        let meta = std::fs::symlink_metadata(d.path().join("to-out.jsonl")).unwrap();
        assert!(meta.file_type().is_symlink());
        let r = jsonl(&std::fs::read_to_string(d.path().join("out.jsonl")).unwrap());
        assert_eq!(r.len(), 1);
    }
}

#[test]
fn an_output_that_cannot_be_written_is_refused_before_any_record() {
    let d = tmp_policy(POLICY);
    std::fs::write(d.path().join("in.jsonl"), "{\"id\":\"a\",\"seats\":80}\n").unwrap();
    let (out, err, code) = qualify_in(&d, &["in.jsonl", "--output", "no/such/dir/out.jsonl"]);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert!(
        err.starts_with("error: cannot write `no/such/dir/out.jsonl`: "),
        "{err}"
    );
    std::fs::create_dir(d.path().join("out")).unwrap();
    let (_, err, code) = qualify_in(&d, &["in.jsonl", "--output", "out"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: cannot write `out`: "), "{err}");
}

#[test]
fn a_closed_standard_output_ends_the_run_quietly() {
    let d = tmp_policy(POLICY);
    let mut input = String::new();
    for i in 0..40_000 {
        input.push_str(&format!("{{\"id\":\"L-{i}\",\"seats\":{}}}\n", i % 100));
    }
    std::fs::write(d.path().join("in.jsonl"), &input).unwrap();
    std::fs::write(d.path().join("in.csv"), "id,seats\n").unwrap();
    let mut csv = String::from("id,seats\n");
    for i in 0..40_000 {
        csv.push_str(&format!("L-{i},{}\n", i % 100));
    }
    std::fs::write(d.path().join("in.csv"), &csv).unwrap();
    for args in [
        &[&QUALIFY[..], &["in.jsonl"]].concat(),
        &[&QUALIFY[..], &["in.csv", "--format", "csv"]].concat(),
        &[&QUALIFY[..], &["in.jsonl", "--format", "json"]].concat(),
    ] {
        let (lines, err, code) = baton_closing_stdout(d.path(), args, 3);
        assert_eq!(lines.len(), 3, "{args:?}");
        assert_eq!((err.as_str(), code), ("", 0), "{args:?}");
    }
    // The commands on policies go on checking: the exit status still
    // tells whether every policy is clean.
    let (_, err, code) = baton_closing_stdout(d.path(), &["check", "policy.baton"], 0);
    assert_eq!((err.as_str(), code), ("", 0));
    std::fs::write(d.path().join("bad.baton"), "policy").unwrap();
    let (_, err, code) = baton_closing_stdout(d.path(), &["check", "policy.baton", "bad.baton"], 0);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.baton failed its check"), "{err}");
}

#[test]
fn an_overlong_json_line_is_that_records_error_and_the_run_goes_on() {
    let d = tmp_policy(POLICY);
    let long = format!(
        "{{\"id\":\"b\",\"seats\":80,\"note\":\"{}\"}}",
        "x".repeat(70)
    );
    let input =
        format!("{{\"id\":\"a\",\"seats\":80}}\n{long}\n{{\"id\":\"c\",\"seats\":80}}\n{long}");
    std::fs::write(d.path().join("in.jsonl"), &input).unwrap();
    for source in ["in.jsonl", "-"] {
        let stdin = (source == "-").then_some(input.as_str());
        let args = [&QUALIFY[..], &["--max-line-bytes", "64", source]].concat();
        let (out, err, code) = baton_in(d.path(), &args, stdin);
        assert_eq!(code, 1, "{err}");
        let r = jsonl(&out);
        assert_eq!(r.len(), 4, "{out}");
        assert_eq!((&r[0]["key"], &r[2]["key"]), (&"a".into(), &"c".into()));
        for (i, line) in [(1, 2), (3, 4)] {
            assert_eq!(
                r[i],
                serde_json::json!({
                    "error": "the line holds 101 bytes, more than the limit of 64",
                    "line": line,
                    "key": null
                })
            );
        }
    }
    // The limit is 16 MiB unless set.
    let big = format!("{{\"id\":\"b\",\"note\":\"{}\"}}\n", "x".repeat(16 << 20));
    let (out, err, code) = baton_in(d.path(), &[&QUALIFY[..], &["-"]].concat(), Some(&big));
    assert_eq!(code, 1, "{err}");
    let r = jsonl(&out);
    assert_eq!(
        r[0]["error"],
        format!(
            "the line holds {} bytes, more than the limit of 16777216",
            big.len() - 1
        )
    );
    let (_, err, code) = qualify_in(&d, &["--max-line-bytes", "0", "in.jsonl"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn policy_files_that_are_not_regular_or_too_large_are_diagnostics() {
    let d = tempdir::Dir::new();
    let dir = d.path().join("pol");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.baton"), POLICY).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/dev/zero", dir.join("zero.baton")).unwrap();
        let (_, err, code) = baton_timed(d.path(), &["check", "pol"], 60);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(
                "`pol/zero.baton` is not a regular file (a character device): \
                 only regular files are read as policies"
            ),
            "{err}"
        );
        std::fs::remove_file(dir.join("zero.baton")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(dir.join("fifo.baton"))
            .status()
            .unwrap();
        assert!(fifo.success());
        let (_, err, code) = baton_timed(d.path(), &["check", "pol"], 60);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("`pol/fifo.baton` is not a regular file (a FIFO)"),
            "{err}"
        );
        std::fs::remove_file(dir.join("fifo.baton")).unwrap();
        // A symbolic link to a regular file is read.
        std::os::unix::fs::symlink("a.baton", dir.join("b.baton")).unwrap();
        let (_, err, code) = baton_timed(d.path(), &["check", "pol/b.baton"], 60);
        assert_eq!(code, 0, "{err}");
    }
    let mut big = String::from(POLICY);
    while big.len() <= 8 << 20 {
        big.push_str("# a comment that pads the file to its limit\n");
    }
    big.truncate((8 << 20) + 1);
    std::fs::write(d.path().join("big.baton"), &big).unwrap();
    let (_, err, code) = baton_timed(d.path(), &["check", "big.baton"], 60);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "`big.baton` holds 8388609 bytes, more than a policy file may (8388608, 8 MiB)"
        ),
        "{err}"
    );
    // At the limit the file is read (whether the parser copes with that
    // much text is its own matter).
    big.pop();
    std::fs::write(d.path().join("big.baton"), &big).unwrap();
    let (_, err, _) = baton_timed(d.path(), &["check", "big.baton"], 120);
    assert!(!err.contains("more than a policy file may"), "{err}");
}

#[test]
fn an_unknown_input_extension_is_refused_naming_input_format() {
    let d = tmp_policy(POLICY);
    std::fs::write(d.path().join("leads.txt"), "{\"id\":\"a\",\"seats\":80}\n").unwrap();
    let (out, err, code) = qualify_in(&d, &["leads.txt"]);
    assert_eq!((out.as_str(), code), ("", 2));
    assert_eq!(
        err,
        "error: cannot tell the format of `leads.txt` by its extension (.jsonl, .ndjson, \
         .json or .csv): name it with --input-format jsonl, json or csv\n"
    );
    let (out, err, code) = qualify_in(&d, &["--input-format", "jsonl", "leads.txt"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(jsonl(&out)[0]["key"], "a");
    // Upper case extensions and `.ndjson` are known.
    std::fs::write(d.path().join("l.NDJSON"), "{\"id\":\"a\",\"seats\":80}\n").unwrap();
    let (_, err, code) = qualify_in(&d, &["l.NDJSON"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_error_message_cuts_a_long_value() {
    let d = tmp_policy(POLICY);
    let long = "x".repeat(50_000);
    std::fs::write(d.path().join("in.csv"), format!("id,seats\na,{long}\n")).unwrap();
    std::fs::write(
        d.path().join("in.jsonl"),
        format!("{{\"id\":\"a\",\"seats\":\"{long}\"}}\n{{\"id\":\"b\",\"seats\":[\"{long}\"]}}\n"),
    )
    .unwrap();
    let cut = format!("field `seats`: \"{}…\" is not an int", "x".repeat(200));
    let (out, _, code) = qualify_in(&d, &["in.csv"]);
    assert_eq!(code, 1);
    assert_eq!(jsonl(&out)[0]["error"], cut.as_str());
    let (out, _, code) = qualify_in(&d, &["in.jsonl"]);
    assert_eq!(code, 1);
    let r = jsonl(&out);
    assert_eq!(r[0]["error"], cut.as_str());
    assert_eq!(
        r[1]["error"],
        format!("field `seats`: [\"{}… is not an int", "x".repeat(198))
    );
}

/// `baton check policies`, a folder of policy folders, checks each of them
/// (those holding `.baton` files), in name order, then its project file.
#[test]
fn check_of_a_folder_of_policies_checks_each() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (out, err, code) = baton_in(root, &["check", "policies"], None);
    assert_eq!(code, 0, "{err}");
    let checked: Vec<&str> = out
        .lines()
        .map(|l| l.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        checked,
        [
            "policies/commission",
            "policies/handoff",
            "policies/health",
            "policies/qualification",
            "policies/baton.toml"
        ],
        "{out}"
    );
}

#[test]
fn a_json_array_is_read_element_by_element_and_a_broken_one_keeps_the_rest() {
    let d = tmp_policy(POLICY);
    // A bad element, a doubled comma, and an array cut short: each is an
    // error line at its position; every other record is evaluated.
    std::fs::write(
        d.path().join("in.json"),
        "[{\"id\":\"a\",\"seats\":80},\n {\"id\":\"b\",\"seats\":},\n {\"id\":\"c\",\"seats\":1},,\n {\"id\":\"d\",\"seats\":90},\n {\"id\":\"e\"",
    )
    .unwrap();
    let (out, err, code) = qualify_in(&d, &["in.json"]);
    assert_eq!(code, 1, "{err}");
    let lines = jsonl(&out);
    let shown: Vec<(u64, String)> = lines
        .iter()
        .map(|l| {
            let what = match l.get("error") {
                Some(e) => e.as_str().unwrap_or_default().to_string(),
                None => format!("key {}", l["key"].as_str().unwrap_or_default()),
            };
            (l["line"].as_u64().unwrap_or_default(), what)
        })
        .collect();
    assert_eq!(shown.len(), 6, "{out}");
    assert_eq!(shown[0].1, "key a");
    assert!(shown[1].1.starts_with("not valid JSON"), "{out}");
    assert!(
        shown[1].1.ends_with("(the record starts on line 2)"),
        "{out}"
    );
    assert_eq!(shown[2].1, "key c");
    assert!(shown[3].1.starts_with("an empty element"), "{out}");
    assert_eq!(shown[4].1, "key d");
    assert!(
        shown[5].1.starts_with("the input ends inside this record"),
        "{out}"
    );
    // Error lines name their position in the array (results carry none).
    assert_eq!(
        shown.iter().map(|s| s.0).collect::<Vec<_>>(),
        [0, 2, 0, 4, 0, 6]
    );
    // Not an array at all: refused before any record.
    std::fs::write(d.path().join("obj.json"), "{\"id\":\"a\",\"seats\":80}").unwrap();
    let (out, err, code) = qualify_in(&d, &["obj.json"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("expected a JSON array of records, found `{` on line 1"),
        "{err}"
    );
}
