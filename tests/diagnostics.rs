//! What `baton check` prints for malformed policies: each case in
//! `tests/diagnostics/` (a `.baton` file, or a policy directory) is checked
//! by the built binary, and its standard error is compared with the blessed
//! `tests/diagnostics/<name>.stderr`. The exit status is in the table below:
//! 2 when there is an error, 0 when there are only warnings.
//!
//! After a deliberate change to a diagnostic, rewrite the `.stderr` files
//! with `BLESS=1 cargo test --test diagnostics`, then read the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

use baton::{Code, Policy};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn dir() -> PathBuf {
    root().join("tests").join("diagnostics")
}

/// The path given to `baton check`, relative to the crate root so that the
/// output does not depend on where the crate is checked out.
fn input(name: &str) -> String {
    if dir().join(name).is_dir() {
        format!("tests/diagnostics/{name}")
    } else {
        format!("tests/diagnostics/{name}.baton")
    }
}

/// Runs `baton check` on a case: (stdout, stderr, exit status).
fn check(name: &str) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["check", &input(name)])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("the baton binary runs");
    (
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
        out.status.code().expect("baton exited normally"),
    )
}

/// Every `error[…]`/`warning[…]` header is followed by ` --> file:line:col`
/// pointing inside the input, and by a snippet with a `^` underline.
fn assert_well_formed(name: &str, stderr: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut headers = 0;
    for (i, l) in lines.iter().enumerate() {
        if !(l.starts_with("error[") || l.starts_with("warning[")) {
            continue;
        }
        // The line that closes a run of one code stands alone.
        if l.ends_with(" more like this") {
            assert_eq!(lines.get(i + 1), Some(&""), "{name}: `{l}` is one line");
            continue;
        }
        headers += 1;
        let arrow = lines.get(i + 1).map_or("", |s| s.trim_start());
        let location = arrow
            .strip_prefix("--> ")
            .unwrap_or_else(|| panic!("{name}: no ` --> ` after `{l}`"));
        let mut parts = location.rsplitn(3, ':');
        let col: usize = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
        let line: usize = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
        let file = parts.next().unwrap_or("");
        assert!(file.starts_with("tests/diagnostics/"), "{name}: {location}");
        let text = std::fs::read_to_string(root().join(file)).expect("the named file exists");
        let src_line = text
            .lines()
            .nth(line.wrapping_sub(1))
            .unwrap_or_else(|| panic!("{name}: line {line} is outside {file}"));
        assert!(
            col >= 1 && col <= src_line.chars().count() + 1,
            "{name}: column {col} is outside line {line} of {file}"
        );
        let block_end = lines[i + 1..]
            .iter()
            .position(|s| s.is_empty())
            .map_or(lines.len(), |p| i + 1 + p);
        let block = &lines[i..block_end];
        assert!(
            block.iter().any(|s| s.contains(&format!("{line} | "))),
            "{name}: no snippet of line {line} under `{l}`"
        );
        assert!(
            block.iter().any(|s| s.contains('^')),
            "{name}: no underline under `{l}`"
        );
    }
    assert!(headers > 0, "{name}: no diagnostic printed:\n{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "{name}: colour escapes in the output"
    );
}

fn run_case(name: &str, exit: i32, codes: &[&str]) {
    let (stdout, stderr, status) = check(name);
    assert_eq!(status, exit, "{name}: exit status\n{stderr}");
    for c in codes {
        assert!(stderr.contains(c), "{name}: `{c}` not reported:\n{stderr}");
    }
    assert_well_formed(name, &stderr);
    if exit == 0 {
        assert!(
            stdout.contains(": ok (policy"),
            "{name}: a clean check says ok\n{stdout}"
        );
        assert!(!stderr.contains("error"), "{name}: {stderr}");
    } else {
        assert_eq!(stdout, "", "{name}: nothing on stdout when the check fails");
        assert!(
            stderr.ends_with("failed its check (1 error)\n") || stderr.contains(" errors)\n"),
            "{name}: the summary line\n{stderr}"
        );
    }
    let expected_path = dir().join(format!("{name}.stderr"));
    if std::env::var_os("BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&expected_path, &stderr).expect("write the .stderr file");
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run `BLESS=1 cargo test --test diagnostics` and read it",
            expected_path.display()
        )
    });
    if stderr != expected {
        panic!(
            "{name}: stderr differs from {}\n--- expected\n{expected}\n--- actual\n{stderr}\n\
             (after a deliberate change: BLESS=1 cargo test --test diagnostics)",
            expected_path.display()
        );
    }
}

macro_rules! cases {
    ($($name:ident: exit $exit:literal, [$($code:literal),* $(,)?];)*) => {
        /// Every case, for the orphan check.
        const CASES: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                run_case(stringify!($name), $exit, &[$($code),*]);
            }
        )*
    };
}

cases! {
    // Syntax errors, worded for users.
    syntax_missing_operand: exit 2, ["error[E0001]"];
    syntax_missing_when: exit 2, ["error[E0001]"];
    syntax_misspelled_keyword: exit 2, ["error[E0001]"];
    syntax_unclosed_paren: exit 2, ["error[E0001]", "has no matching `)`"];
    syntax_unterminated_text: exit 2, ["error[E0001]", "this text is never closed"];
    syntax_chained_comparison: exit 2, ["error[E0001]", "do not chain", "between"];
    syntax_missing_equals: exit 2, ["error[E0001]", "expected `=` after `floor`"];
    // Every broken item of a file, not only the first.
    syntax_every_broken_item: exit 2, [
        "did you mean `add`?", "did you mean `when`?", "has no matching `)`", "(3 errors)",
    ];
    // Literals.
    bad_effective_date: exit 2, ["error[E0003]"];
    huge_number: exit 2, ["error[E0003]"];
    nesting_limit: exit 2, ["error[E0002]"];
    // Names and types.
    unknown_field: exit 2, ["error[E0101]", "did you mean `budget`?"];
    let_reads_field: exit 2, ["error[E0108]", "cannot read record fields"];
    duplicate_names: exit 2, ["error[E0102]"];
    type_mismatch: exit 2, ["error[E0103]"];
    failing_constant_in_set: exit 2, ["error[E0108]", "always fails: arithmetic overflow"];
    money_currency_mix: exit 2, ["error[E0104]", "as bounds of one `between`", "in one call", "(4 errors)"];
    stage_used_before_defined: exit 2, ["error[E0105]"];
    record_without_key: exit 2, ["error[E0110]"];
    // Several problems in one file, all reported at once.
    many_errors: exit 2, [
        "error[E0109]", "error[E0106]", "error[E0101]", "error[E0103]", "error[E0107]",
        "error[E0105]", "(6 errors)",
    ];
    // A failed declaration still declares its name: one diagnostic per
    // root cause, and the real error behind one is not hidden.
    cascades: exit 2, ["error[E0106]", "error[E0109]", "would fire at once", "error[E0101]", "(4 errors)"];
    // After 20 diagnostics of one code, one line says how many more.
    many_unknown_names: exit 2, ["error[E0101]: and 5 more like this", "(25 errors)"];
    // Block rules.
    health_rules: exit 2, ["error[E0201]", "(3 errors)"];
    calendar_rules: exit 2, ["error[E0301]", "(4 errors)"];
    handoff_rules: exit 2, ["error[E0302]", "would fire at once", "did you mean `first_response`?"];
    commission_schedule: exit 2, ["error[E0401]", "overlaps", "did you mean `half_even`?"];
    commission_gap: exit 2, ["error[E0401]", "not covered"];
    commission_day_limit: exit 2, ["error[E0401]", "at most 36500 days", "(3 errors)"];
    test_block: exit 2, ["error[E0101]", "error[E0601]"];
    // A policy directory whose files disagree.
    bad_directory: exit 2, ["error[E0501]", "v2.baton", "v3.baton"];
    // Only a warning: the check passes.
    warning_only: exit 0, ["warning[E0302]"];
}

#[test]
fn every_case_in_the_directory_is_in_the_table() {
    let mut inputs = Vec::new();
    let mut blessed = Vec::new();
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        match path.extension().and_then(|e| e.to_str()) {
            _ if path.is_dir() => inputs.push(stem),
            Some("baton") => inputs.push(stem),
            Some("stderr") => blessed.push(stem),
            _ => panic!("unexpected file {}", path.display()),
        }
    }
    for name in &inputs {
        assert!(CASES.contains(&name.as_str()), "{name} is not in the table");
    }
    for name in &blessed {
        assert!(CASES.contains(&name.as_str()), "{name}.stderr has no case");
    }
    assert_eq!(inputs.len(), CASES.len(), "a case without an input file");
}

// ---------------------------------------------------------------------------
// Diagnostics that were wrong or unhelpful, each test stating what a good
// diagnostic says. A test still marked `#[ignore]` describes one not yet
// fixed.

fn diagnostics(src: &str) -> Vec<baton::Diagnostic> {
    match Policy::from_source("t.baton", src) {
        Ok(_) => panic!("expected diagnostics for:\n{src}"),
        Err(e) => e.diagnostics,
    }
}

const HEAD: &str = "policy \"leads\" version 1 effective 2026-01-01\n\
record lead key id {\n  id: text\n  employees: int\n}\n";

#[test]
fn a_let_that_mentions_a_field_says_so() {
    let d = diagnostics(&format!(
        "{HEAD}let big = employees >= 500\nqualify lead {{ stage MQL when big }}\n"
    ));
    assert_eq!(d[0].code, Code::E0108, "{:?}", d[0]);
    assert!(d[0].message.contains("field"), "{}", d[0].message);
    assert!(
        !d[0].label.as_deref().unwrap_or("").contains("not a field"),
        "{:?}",
        d[0]
    );
}

#[test]
fn chained_comparisons_say_they_do_not_chain() {
    let d = diagnostics(&format!(
        "{HEAD}qualify lead {{\n  stage MQL when 10 < employees < 500\n}}\n"
    ));
    let text = format!("{} {}", d[0].message, d[0].help.as_deref().unwrap_or(""));
    assert!(text.contains("chain"), "{text}");
}

#[test]
fn missing_punctuation_is_named() {
    for (src, want) in [
        (
            format!("{HEAD}qualify lead {{\n  stage MQL when (employees >= 10\n}}\n"),
            "`)`",
        ),
        (
            format!("{HEAD}qualify lead {{\n  stage MQL when employees >= 10\n"),
            "`}`",
        ),
        (format!("{HEAD}let x 5\n"), "`=`"),
        (
            "policy \"leads\" version 1 effective 2026-01-01\nrecord lead key id {\n  id: text\n  budget money?\n}\n".to_string(),
            "`:`",
        ),
    ] {
        let d = diagnostics(&src);
        assert!(d[0].message.contains(want), "{want}: {}", d[0].message);
        // Never a grammar rule name (`optional mark`).
        assert!(!d[0].message.contains("optional mark"), "{}", d[0].message);
    }
}

#[test]
fn an_unterminated_text_says_so() {
    let d = diagnostics(&format!("{HEAD}let x = \"unterminated\n"));
    assert!(
        d[0].message.contains("text") || d[0].message.contains("quote"),
        "{}",
        d[0].message
    );
}

#[test]
fn a_wrong_key_is_reported_once() {
    let d = diagnostics(
        "policy \"leads\" version 1 effective 2026-01-01\n\
         record lead key lead_id { id: text }\nqualify lead { stage MQL when id == \"x\" }\n",
    );
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].code, Code::E0110);
}

#[test]
fn an_overlap_over_a_day_range_is_reported_once() {
    let d = diagnostics(
        "policy \"h\" version 1 effective 2026-01-01\n\
         calendar c {\n  mon-fri 09:00-12:00, 11:00-17:00\n}\n",
    );
    assert_eq!(d.len(), 1, "{d:#?}");
}

#[test]
fn a_broken_given_does_not_hide_errors_in_expectations() {
    let d = diagnostics(&format!(
        "{HEAD}qualify lead {{ stage MQL when employees >= 100 }}\n\
         test \"t\" {{\n  given lead {{ id: \"t1\" }}\n  expect stage SQL\n}}\n"
    ));
    assert!(d.iter().any(|x| x.code == Code::E0601), "{d:#?}");
    assert!(
        d.iter().any(|x| x.message.contains("unknown stage")),
        "{d:#?}"
    );
}

#[test]
fn an_unknown_stage_or_band_in_a_test_names_the_ones_that_exist() {
    let d = diagnostics(&format!(
        "{HEAD}qualify lead {{\n  stage MQL when employees >= 100\n  stage SQL when employees >= 500\n}}\n\
         health lead {{\n  measure size weight 1 {{ 100 when employees >= 10\n else 0 }}\n  band healthy when score >= 75\n  band at_risk otherwise\n}}\n\
         test \"t\" {{\n  given lead {{ id: \"t1\", employees: 5 }}\n  expect stage SQLL\n  expect stage Opportunity\n  expect band helthy\n  expect band gone\n}}\n"
    ));
    let help = |name: &str| {
        d.iter()
            .find(|x| x.message.contains(&format!("`{name}`")))
            .and_then(|x| x.help.clone())
            .unwrap_or_else(|| panic!("no help for `{name}`: {d:#?}"))
    };
    assert_eq!(help("SQLL"), "did you mean `SQL`?");
    assert!(help("Opportunity").contains("`MQL`, `SQL`"), "{d:#?}");
    assert_eq!(help("helthy"), "did you mean `healthy`?");
    assert!(help("gone").contains("`healthy`, `at_risk`"), "{d:#?}");
    assert_eq!(d.len(), 4, "{d:#?}");
}

#[test]
fn a_given_field_of_the_wrong_type_is_not_also_missing() {
    let d = diagnostics(&format!(
        "{HEAD}qualify lead {{ stage MQL when employees >= 100 }}\n\
         test \"t\" {{\n  given lead {{ id: \"t1\", employees: \"many\" }}\n  expect stage MQL\n}}\n"
    ));
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].code, Code::E0103);
}

// ---------------------------------------------------------------------------
// Day counts of a commission plan: a bound past the documented maximum is a
// diagnostic, never an overflow in the checker.

fn commission(clause: &str) -> String {
    format!(
        "policy \"plan\" version 1 effective 2026-01-01\n\
         commission ae_plan {{\n{clause}\n}}\n"
    )
}

#[test]
fn commission_day_counts_past_the_maximum_are_diagnostics() {
    const HUGE: &str = "9223372036854775807";
    for (clause, want) in [
        (
            format!("  clawback within 90 days of closed_on {{\n    days 0 to {HUGE}: 100%\n  }}"),
            "band `days 0 to 9223372036854775807` runs past day 36500",
        ),
        (
            format!("  clawback within {HUGE} days of closed_on {{\n    days 0 to 90: 100%\n  }}"),
            "the clawback window is at most 36500 days",
        ),
        (
            format!(
                "  clawback within {HUGE} days of closed_on {{\n    days 0 to {HUGE}: 100%\n  }}"
            ),
            "the clawback window is at most 36500 days",
        ),
        (
            format!("  clawback within {HUGE} days of closed_on prorated"),
            "the clawback window is at most 36500 days",
        ),
        (
            "  clawback within 36501 days of closed_on prorated".to_string(),
            "the clawback window is at most 36500 days",
        ),
        (
            format!("  bonus retention: 2% of deal.amount if retained {HUGE} days after closed_on"),
            "a retention period is at most 36500 days",
        ),
    ] {
        let d = diagnostics(&commission(&clause));
        assert!(
            d.iter()
                .any(|x| x.code == Code::E0401 && x.message.contains(want)),
            "{clause}: {d:#?}"
        );
    }
    // The maximum itself is accepted.
    for clause in [
        "  clawback within 36500 days of closed_on {\n    days 0 to 30: 100%\n    days 31 to 36500: 50%\n  }",
        "  clawback within 36500 days of closed_on prorated",
        "  bonus retention: 2% of deal.amount if retained 36500 days after closed_on",
    ] {
        if let Err(e) = Policy::from_source("t.baton", &commission(clause)) {
            panic!("{clause}: {:#?}", e.diagnostics);
        }
    }
}

// ---------------------------------------------------------------------------
// A field a commission rule reads must be a fixed column or declared
// (LANGUAGE.md §8): a misspelled one is an error with a suggestion, never
// an always-absent text that silently changes money.

#[test]
fn a_misspelled_column_in_a_commission_rule_is_an_error() {
    let d = diagnostics(&commission(
        "  clawback within 90 days of closed_on except when event.reasn in {\"acquired\"} {\n    days 0 to 90: 100%\n  }",
    ));
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(d[0].is_error(), "{d:#?}");
    assert_eq!(d[0].code, Code::E0101);
    assert!(d[0].message.contains("`event.reasn`"), "{}", d[0].message);
    assert_eq!(d[0].help.as_deref(), Some("did you mean `reason`?"));
    // A column that is close to nothing says how to declare it.
    let d = diagnostics(&commission(
        "  bonus upsell: 5% of event.added_value on upgrade to event.rep when event.segment == \"emea\"",
    ));
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(
        d[0].is_error() && d[0].message.contains("`event.segment`"),
        "{d:#?}"
    );
    assert!(
        d[0].help.as_deref().unwrap_or("").contains("record event"),
        "{d:#?}"
    );
}

#[test]
fn a_declared_column_in_a_commission_rule_is_clean() {
    let src = "policy \"plan\" version 1 effective 2026-01-01\n\
               record event { region: text? }\n\
               commission ae_plan {\n  \
               bonus upsell: 5% of event.added_value on upgrade to event.rep when event.region == \"emea\"\n}\n";
    match Policy::from_source("t.baton", src) {
        Ok(p) => assert!(p.warnings().is_empty(), "{:#?}", p.warnings()),
        Err(e) => panic!("{:#?}", e.diagnostics),
    }
}

// ---------------------------------------------------------------------------
// Cascades: a declaration that fails still declares its name, so that each
// root cause is reported once and no real error is hidden behind it.

#[test]
fn a_field_with_a_bad_type_is_reported_once_not_at_every_use() {
    let d = diagnostics(
        "policy \"leads\" version 1 effective 2026-01-01\n\
         record lead key id {\n  id: text\n  employees: integer\n  tags: set of date\n}\n\
         score fit for lead {\n  add 10 when employees > 5\n  add 10 when lead.employees > 50\n  \
         add 5 when tags is set\n}\n\
         qualify lead {\n  stage MQL when employees >= 500 and fit > 0\n}\n",
    );
    let messages: Vec<&str> = d.iter().map(|x| x.message.as_str()).collect();
    assert_eq!(d.len(), 2, "{messages:#?}");
    assert_eq!(d[0].code, Code::E0106);
    assert!(d[0].message.contains("`integer`"), "{messages:#?}");
    assert_eq!(d[1].code, Code::E0106, "{messages:#?}");
}

const NOTE: &str = "record handoff_note key id {\n  id: text\n  risks: text?\n}\n";

#[test]
fn a_calendar_that_fails_still_declares_its_name_and_goals_their_names() {
    // A bad time zone: the calendar is reported, the goal that counts on
    // it is still declared, and the real error after it is not hidden.
    let d = diagnostics(&format!(
        "policy \"h\" version 1 effective 2026-01-01\n\
         calendar support_hours {{\n  timezone \"America/New_Yrok\"\n  mon-fri 09:00-17:00\n}}\n{NOTE}\
         handoff onboarding note handoff_note {{\n  \
         requires risks\n  \
         sla first_response within 4h on support_hours met by \"responded\"\n  \
         warn 5h before first_response breach to \"cx-lead\"\n  \
         escalate at first_response breach to \"cx-manager\"\n  \
         escalate 1d after first_response breach to \"vp-cx\"\n}}\n"
    ));
    let messages: Vec<&str> = d.iter().map(|x| x.message.as_str()).collect();
    assert_eq!(d.len(), 3, "{messages:#?}");
    assert_eq!(d[0].code, Code::E0109, "{messages:#?}");
    assert!(
        messages.iter().any(|m| m.contains("would fire at once")),
        "the 5h warning on a 4h goal: {messages:#?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("business time")),
        "a day on a business clock: {messages:#?}"
    );
    assert!(
        !messages
            .iter()
            .any(|m| m.contains("unknown goal") || m.contains("unknown calendar")),
        "{messages:#?}"
    );

    // A calendar with no open time, and one that is not declared at all:
    // one diagnostic each, no `unknown goal`.
    for (calendar, on) in [
        (
            "calendar support_hours {\n  mon-fri 17:00-09:00\n}\n",
            "support_hours",
        ),
        ("", "support_hurs"),
    ] {
        let d = diagnostics(&format!(
            "policy \"h\" version 1 effective 2026-01-01\n{calendar}{NOTE}\
             handoff onboarding note handoff_note {{\n  \
             requires risks\n  \
             sla first_response within 4h on {on} met by \"responded\"\n  \
             warn 1h before first_response breach to \"cx-lead\"\n  \
             escalate at first_response breach to \"cx-manager\"\n}}\n"
        ));
        let messages: Vec<&str> = d.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(d.len(), 1, "{on}: {messages:#?}");
    }
}

#[test]
fn a_misspelled_column_in_a_bonus_base_is_one_diagnostic() {
    for clause in [
        "  bonus retention: 10% of deal.amout if retained 90 days after closed_on",
        "  bonus upsell: 5% of event.added_valu on upgrade to event.rep",
    ] {
        let d = diagnostics(&commission(clause));
        let messages: Vec<&str> = d.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(d.len(), 1, "{clause}: {messages:#?}");
        assert_eq!(d[0].code, Code::E0101, "{messages:#?}");
        assert!(d[0].help.as_deref().unwrap_or("").contains("did you mean"));
    }
    // A retention bonus on another column is one error, not also a type error.
    let d = diagnostics(&commission(
        "  bonus retention: 10% of deal.rep if retained 90 days after closed_on",
    ));
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].code, Code::E0401);
}

#[test]
fn a_score_over_an_unknown_record_is_reported_once() {
    let d = diagnostics(
        "policy \"leads\" version 1 effective 2026-01-01\n\
         record lead key id {\n  id: text\n  employees: int\n}\n\
         score fit for leads {\n  add 10 when employees > 5\n}\n\
         qualify lead {\n  stage MQL when fit > 0\n}\n",
    );
    let messages: Vec<&str> = d.iter().map(|x| x.message.as_str()).collect();
    assert_eq!(d.len(), 1, "{messages:#?}");
    assert_eq!(d[0].help.as_deref(), Some("did you mean `lead`?"));
}

#[test]
fn a_block_or_key_that_fails_does_not_fail_again_in_tests() {
    // The key's field has a bad type; the qualify block is over an
    // undeclared record; so is the handoff: one diagnostic each, and the
    // tests that need those blocks say nothing more.
    let d = diagnostics(
        "policy \"p\" version 1 effective 2026-01-01\n\
         record lead key id {\n  id: integr\n  seats: int\n}\n\
         qualify leads {\n  stage MQL when seats >= 10\n}\n\
         health lead {\n  measure size weight 1 {\n    100 when seats >= 10\n    else 0\n  }\n  \
         band healthy when score >= 50\n  band at_risk otherwise\n}\n\
         test \"t\" {\n  given lead { id: \"x\", seats: 20 }\n  expect stage MQL\n  expect band healthy\n}\n\
         record note key id { id: text }\n\
         handoff onboarding note notes {\n  sla first_response within 4h met by \"responded\"\n}\n\
         test \"h\" {\n  given note { id: \"n1\" }\n  event { type: \"opened\", at: 2026-01-01T00:00:00Z }\n  \
         at 2026-01-01T01:00:00Z\n  expect goal first_response running\n}\n",
    );
    let messages: Vec<&str> = d.iter().map(|x| x.message.as_str()).collect();
    assert_eq!(d.len(), 3, "{messages:#?}");
    assert_eq!(
        d.iter().map(|x| x.code).collect::<Vec<_>>(),
        [Code::E0106, Code::E0101, Code::E0101],
        "{messages:#?}"
    );
}

#[test]
fn a_declared_commission_column_of_a_bad_type_is_reported_once() {
    let d = diagnostics(
        "policy \"plan\" version 1 effective 2026-01-01\n\
         record event { region: tex }\n\
         commission ae_plan {\n  \
         clawback within 90 days of closed_on except when event.region == \"emea\" prorated\n}\n",
    );
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].code, Code::E0106);
}

#[test]
fn a_stage_whose_condition_fails_is_still_a_stage_for_tests() {
    let d = diagnostics(&format!(
        "{HEAD}qualify lead {{\n  stage MQL when employees >= 10\n  stage SQL when MQL and employes > 5\n}}\n\
         test \"t\" {{\n  given lead {{ id: \"x\", employees: 20 }}\n  expect stage SQL\n}}\n"
    ));
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].help.as_deref(), Some("did you mean `employees`?"));
}

// ---------------------------------------------------------------------------
// Checking is linear in the size of the policy, and a run of one code is
// capped: after 20 diagnostics of a code in a file, one summary line.
// Each size below would take minutes if the check were quadratic.

/// `n` lines `let a{i} = {expr(i)}` after a header.
fn lets(n: usize, expr: impl Fn(usize) -> String) -> String {
    let mut src = String::from("policy \"p\" version 1 effective 2026-01-01\n");
    for i in 0..n {
        src.push_str(&format!("let a{i} = {}\n", expr(i)));
    }
    src
}

fn assert_capped(e: &baton::LoadError, n: usize, code: Code) {
    assert_eq!(e.error_count(), n);
    let listed: Vec<&baton::Diagnostic> = e.diagnostics.iter().filter(|d| d.omitted == 0).collect();
    assert_eq!(listed.len(), 20, "{:#?}", &e.diagnostics[..3]);
    assert!(listed.iter().all(|d| d.code == code), "{listed:#?}");
    let summary = e.diagnostics.last().expect("a summary");
    assert_eq!(summary.code, code);
    assert_eq!(summary.omitted, n - 20);
    let more = format!("and {} more like this", thousands(n - 20));
    assert_eq!(summary.message, more);
    let text = e.render();
    assert!(text.contains(&more), "{text}");
    assert!(text.lines().count() < 20 * 12, "{text}");
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn many_unknown_names_are_checked_in_linear_time_and_summarised() {
    let n = 10_000;
    // Unknown names with no close candidate among 10,000 lets.
    let e = Policy::from_source("t.baton", &lets(n, |i| format!("nm{i} + 1"))).unwrap_err();
    assert_capped(&e, n, Code::E0101);
    // Each one close to a `let`: the suggestion is searched for the listed
    // ones only.
    let mut src = lets(n, |_| "1".to_string());
    for i in 0..n {
        src.push_str(&format!("let b{i} = a{i}x\n"));
    }
    let e = Policy::from_source("t.baton", &src).unwrap_err();
    assert_capped(&e, n, Code::E0101);
    assert_eq!(e.diagnostics[0].help.as_deref(), Some("did you mean `a0`?"));
}

#[test]
fn many_unknown_names_in_one_block_are_checked_in_linear_time() {
    let n = 10_000;
    let mut src = format!("{HEAD}score fit for lead {{\n");
    for i in 0..n {
        src.push_str(&format!("  add 1 when nm{i} > 1\n"));
    }
    src.push_str("}\n");
    let e = Policy::from_source("t.baton", &src).unwrap_err();
    assert_capped(&e, n, Code::E0101);
}

#[test]
fn many_scores_fields_and_records_are_checked_in_linear_time() {
    // Each of these took time quadratic in its count (20,000 scores: 45 s).
    let n = 20_000;
    let mut src = String::from(
        "policy \"p\" version 1 effective 2026-01-01\nrecord lead key id {\n  id: text\n  seats: int\n",
    );
    for i in 0..n {
        src.push_str(&format!("  f{i}: int?\n"));
    }
    src.push_str("}\n");
    for i in 0..n {
        src.push_str(&format!(
            "score s{i} for lead {{ add 1 when seats > {i} }}\n"
        ));
    }
    src.push_str(&format!(
        "qualify lead {{\n  stage MQL when s{} > 0 and f7 > 1\n}}\n",
        n - 1
    ));
    let policy = Policy::from_source("t.baton", &src)
        .unwrap_or_else(|e| panic!("{:#?}", &e.diagnostics[..1]));
    assert_eq!(policy.version(), 1);
}

/// A type name of another language gets baton's: `integer` is `int`,
/// `string` is `text` (issue 12, item 18).
#[test]
fn a_type_name_of_another_language_suggests_batons() {
    for (written, ours) in [
        ("integer", "int"),
        ("string", "text"),
        ("boolean", "bool"),
        ("float", "decimal"),
    ] {
        let src = format!(
            "policy \"p\" version 1 effective 2026-01-01\nrecord lead key id {{ id: text  n: {written} }}\n"
        );
        let d = diagnostics(&src);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(
            d[0].help.as_deref(),
            Some(format!("did you mean `{ours}`?").as_str())
        );
    }
}
