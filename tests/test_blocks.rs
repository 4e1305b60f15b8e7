//! `baton test` on handoff and commission test blocks (docs/TESTS.md):
//! passing tests, failing expectations (expected, actual, location) and
//! check errors, on policy files written to a temporary directory.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A handoff policy: a New York office calendar, a 4h business goal, a 3d
/// real-time goal, warnings, escalations and two flags.
const HANDOFF: &str = r#"policy "handoffs" version 1 effective 2026-01-01
  timezone "America/New_York"

let shipped = {"sso", "api"}

calendar office {
  timezone "America/New_York"
  mon-fri 09:00-17:00
}

record note key id {
  id: text
  goal: text?
  risks: text?
  next_action: text?
  promised: set of text
}

handoff onboarding note note {
  requires goal, risks, next_action
  sla first_response within 4h on office met by "replied"
  sla kickoff within 3d met by "kickoff_held"
  warn 1h before first_response breach to "cx-lead"
  escalate at first_response breach to "cx-manager"
  escalate 2h after first_response breach to "vp-cx"
  escalate when note incomplete to "sales-manager"
  flag oversold when not (promised subset_of shipped)
  flag no_next_step when next_action is not set
}
"#;

/// A commission plan: a three-band 90-day clawback, an upgrade bonus and a
/// retention bonus.
const COMMISSION: &str = r#"policy "plan" version 1 effective 2026-01-01
  timezone "America/New_York"

record deal key deal {
  deal: text
  segment: text
}

commission ae {
  clawback within 90 days of closed_on except when event.reason == "acquired" {
    days 0 to 30: 100%
    days 31 to 60: 50%
    days 61 to 90: 25%
  }
  bonus support_upsell: 5% of event.added_value on upgrade to event.rep when event.team == "support"
  bonus retention: 2% of deal.amount if retained 90 days after closed_on
  rounding half_even
}
"#;

/// Writes `source` to a fresh temporary `.baton` file and runs
/// `baton test` on it: (stdout, stderr, exit code, path as printed).
fn run(source: &str) -> (String, String, i32, String) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "baton-test-blocks-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("policy.baton");
    std::fs::write(&path, source).expect("write policy");
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("test")
        .arg(&path)
        .output()
        .expect("baton runs");
    let _ = std::fs::remove_dir_all(&dir);
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
        out.status.code().unwrap_or(-1),
        path.display().to_string(),
    )
}

/// `file:line:col` of the first occurrence of `needle` in `source`.
fn loc(file: &str, source: &str, needle: &str) -> String {
    let at = source
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in source"));
    let before = &source[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{file}:{line}:{col}")
}

fn assert_passes(source: &str, tests: usize) {
    let (out, err, code) = {
        let (o, e, c, _) = run(source);
        (o, e, c)
    };
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains(&format!("{tests} passed, 0 failed")),
        "stdout:\n{out}"
    );
}

/// Runs a policy that must fail its check; returns stderr and the path.
fn check_errors(source: &str) -> (String, String) {
    let (out, err, code, path) = run(source);
    assert_eq!(code, 2, "stdout:\n{out}\nstderr:\n{err}");
    (err, path)
}

// ---------------------------------------------------------------- handoffs

#[test]
fn handoff_test_passes() {
    let src = format!(
        "{HANDOFF}{}",
        r#"
test "late across a weekend" {
  given note { id: "H-1", goal: "one CRM", risks: "slow IT", next_action: "kickoff",
               promised: {"sso"} }
  # Friday 15:00 in New York; the reply comes Monday 12:00.
  event { type: "opened", at: 2026-11-06T20:00:00Z }
  event { type: "replied", at: 2026-11-09T17:00:00Z }
  at 2026-11-10T12:00:00Z
  expect goal first_response met_late
  expect first_response.state == "met_late"
  expect first_response.due == 2026-11-09T16:00:00Z
  expect first_response.met_at == 2026-11-09T17:00:00Z
  expect first_response.elapsed == 5h
  expect first_response.target == 4h
  expect first_response.warnings == 1 and first_response.escalations == 1
  expect in_hours(first_response.elapsed - first_response.target) == 1
  expect alert warn first_response to "cx-lead"
  expect alert escalate first_response to "cx-manager"
  expect goal kickoff breached
  expect kickoff.due == 2026-11-09T20:00:00Z
  expect missing none
  expect no flag oversold
  expect no flag no_next_step
}

test "incomplete note, cleared field, unsupported promise" {
  given note { id: "H-2", goal: "   ", risks: "none", next_action: "call",
               promised: {"sso", "salesforce_sync"} }
  event { type: "opened", at: 2026-11-10T14:00:00Z }
  event { type: "note_updated", at: 2026-11-10T15:00:00Z, note: { next_action: null } }
  at 2026-11-10T16:00:00Z
  expect missing goal, next_action
  expect alert escalate to "sales-manager"
  expect flag oversold
  expect flag no_next_step
  expect goal first_response running
  expect first_response.due == 2026-11-10T18:00:00Z
}

test "paused clock has no due instant" {
  given note { id: "H-3", goal: "g", risks: "r", next_action: "n", promised: {} }
  event { type: "opened", at: 2026-11-10T14:00:00Z }
  event { type: "paused", at: 2026-11-10T15:00:00Z }
  at 2026-11-11T15:00:00Z
  expect goal first_response paused
  expect first_response.due is not set
  expect first_response.elapsed == 1h
  expect kickoff.elapsed == 1h
}

test "an event before opened is an error" {
  given note { id: "H-4", promised: {} }
  event { type: "replied", at: 2026-11-10T13:00:00Z }
  event { type: "opened", at: 2026-11-10T14:00:00Z }
  at 2026-11-10T16:00:00Z
  expect error "comes before `opened`"
}
"#
    );
    assert_passes(&src, 4);
}

#[test]
fn handoff_failures_print_expected_actual_and_location() {
    let body = r#"
test "wrong on purpose" {
  given note { id: "H-9", goal: "g", next_action: "n", promised: {"sso", "fax"} }
  event { type: "opened", at: 2026-11-06T20:00:00Z }
  event { type: "replied", at: 2026-11-09T17:00:00Z }
  at 2026-11-10T12:00:00Z
  expect goal first_response met
  expect first_response.due == 2026-11-09T15:00:00Z
  expect alert escalate first_response to "vp-cx"
  expect no flag oversold
  expect missing none
}

test "an error where a result was expected" {
  given note { id: "H-10", promised: {} }
  event { type: "opened", at: 2026-11-10T14:00:00Z }
  event { type: "opened", at: 2026-11-10T15:00:00Z }
  at 2026-11-10T16:00:00Z
  expect goal first_response running
}
"#;
    let src = format!("{HANDOFF}{body}");
    let (out, err, code, path) = run(&src);
    assert_eq!(code, 1, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("0 passed, 2 failed"), "{out}");
    let name_loc = loc(&path, &src, "\"wrong on purpose\"");
    assert!(
        out.contains(&format!("FAIL wrong on purpose ({name_loc})")),
        "{out}"
    );
    let goal = loc(&path, &src, "expect goal first_response met\n");
    assert!(
        out.contains(&format!(
            "{goal}: expected goal first_response met at 2026-11-10T12:00:00Z, got met_late (elapsed 5h of 4h, due 2026-11-09T16:00:00Z, met at 2026-11-09T17:00:00Z)"
        )),
        "{out}"
    );
    let due = loc(&path, &src, "expect first_response.due");
    assert!(
        out.contains(&format!(
            "{due}: expected `first_response.due == 2026-11-09T15:00:00Z`, which is false (left side is 2026-11-09T16:00:00Z)"
        )),
        "{out}"
    );
    let alert = loc(
        &path,
        &src,
        "expect alert escalate first_response to \"vp-cx\"",
    );
    assert!(
        out.contains(&format!(
            "{alert}: expected alert escalate first_response to \"vp-cx\" by 2026-11-10T12:00:00Z, but it has not fired (fired: escalate (note incomplete) to \"sales-manager\" at 2026-11-06T20:00:00Z, warn first_response to \"cx-lead\" at 2026-11-09T15:00:00Z, escalate first_response to \"cx-manager\" at 2026-11-09T16:00:00Z)"
        )),
        "{out}"
    );
    let flag = loc(&path, &src, "expect no flag oversold");
    assert!(
        out.contains(&format!(
            "{flag}: expected no flag oversold, but it is raised (raised: oversold)"
        )),
        "{out}"
    );
    let missing = loc(&path, &src, "expect missing none");
    assert!(
        out.contains(&format!(
            "{missing}: expected the note complete, got missing risks"
        )),
        "{out}"
    );
    let second = loc(&path, &src, "expect goal first_response running");
    let opened_again = loc(
        &path,
        &src,
        "{ type: \"opened\", at: 2026-11-10T15:00:00Z }",
    );
    let opened_line = opened_again.rsplit(':').nth(1).expect("line");
    assert!(
        out.contains(&format!(
            "{second}: the handoff is an error: handoff H-10 is opened a second time (event at {path}:{opened_line})"
        )),
        "{out}"
    );
}

#[test]
fn handoff_check_errors_name_the_problem_and_its_place() {
    let body = r#"
test "broken" {
  given note { id: "H-1", promised: {} }
  event { type: "opened", at: 2026-11-10T14:00:00Z }
  event { type: "repiled", at: 2026-11-10T15:00:00Z }
  event { type: "paused", at: 2026-11-10 }
  event { type: "note_updated", at: 2026-11-10T16:00:00Z, note: { riskz: "x" } }
  at 2026-11-10T16:00:00Z
  expect goal first_responce met
  expect goal kickoff late
  expect alert warn first_response to "cx-manager"
  expect flag overfold
  expect missing promised
  expect first_response.dew == 2026-11-10T18:00:00Z
  expect due == 2026-11-10T18:00:00Z
  expect stage SQL
}

test "no instant" {
  given note { id: "H-2", promised: {} }
  event { type: "opened", at: 2026-11-10T14:00:00Z, note: { goal: "x" } }
  expect goal kickoff running
}
"#;
    let src = format!("{HANDOFF}{body}");
    let (err, path) = check_errors(&src);
    let expect_at = |needle: &str, message: &str| {
        let l = loc(&path, &src, needle);
        let i = err
            .find(message)
            .unwrap_or_else(|| panic!("no {message:?} in:\n{err}"));
        let after = &err[i..];
        assert!(
            after.contains(&format!("--> {l}")),
            "{message:?} is not reported at {l}:\n{err}"
        );
    };
    expect_at(
        "\"repiled\"",
        "error[E0101]: handoff `onboarding` has no event `repiled`",
    );
    assert!(err.contains("did you mean `replied`?"), "{err}");
    expect_at(
        "2026-11-10 }",
        "error[E0103]: an event's `at` is a timestamp, not date",
    );
    expect_at("riskz", "error[E0101]: `note` has no field `riskz`");
    expect_at(
        "first_responce met",
        "error[E0101]: handoff `onboarding` has no goal `first_responce`",
    );
    assert!(err.contains("did you mean `first_response`?"), "{err}");
    expect_at("late\n", "error[E0101]: unknown goal state `late`");
    expect_at(
        "\"cx-manager\"\n  expect flag",
        "error[E0101]: handoff `onboarding` declares no `warn first_response` alert to \"cx-manager\"",
    );
    assert!(
        err.contains("its `warn first_response` alerts go to \"cx-lead\""),
        "{err}"
    );
    expect_at(
        "overfold",
        "error[E0101]: handoff `onboarding` has no flag `overfold`",
    );
    expect_at(
        "promised\n",
        "error[E0101]: `promised` is not a required note field of handoff `onboarding`",
    );
    expect_at("dew", "error[E0101]: a goal has no value `dew`");
    assert!(err.contains("did you mean `due`?"), "{err}");
    expect_at(
        "due == 2026-11-10T18:00:00Z\n  expect stage",
        "error[E0101]: unknown name `due`",
    );
    assert!(
        err.contains("write `GOAL.due`, e.g. `first_response.due`"),
        "{err}"
    );
    expect_at(
        "expect stage SQL",
        "error[E0601]: `expect stage` belongs to tests of records decided by `qualify`",
    );
    expect_at(
        "\"no instant\"",
        "error[E0601]: a handoff test needs `at TIMESTAMP`",
    );
    expect_at(
        "note: { goal",
        "error[E0601]: the note of `opened` is the test's `given` record",
    );
}

#[test]
fn several_blocks_on_one_note_are_told_apart_by_block() {
    let src = format!(
        "{HANDOFF}{}",
        r#"
handoff renewal note note {
  sla renewal_call within 2d met by "called"
}

test "the renewal block" {
  given note { id: "H-1", promised: {} }
  event { type: "opened", at: 2026-11-10T14:00:00Z, block: "renewal" }
  event { type: "called", at: 2026-11-11T14:00:00Z }
  at 2026-11-13T14:00:00Z
  expect goal renewal_call met
  expect renewal_call.elapsed == 1d
}
"#
    );
    assert_passes(&src, 1);
    let ambiguous = format!(
        "{HANDOFF}{}",
        r#"
handoff renewal note note {
  sla renewal_call within 2d met by "called"
}

test "which block?" {
  given note { id: "H-1", promised: {} }
  event { type: "opened", at: 2026-11-10T14:00:00Z }
  at 2026-11-13T14:00:00Z
  expect goal renewal_call met
}
"#
    );
    let (err, _) = check_errors(&ambiguous);
    assert!(
        err.contains("error[E0601]: several handoff blocks take `note` notes: onboarding, renewal"),
        "{err}"
    );
}

// ---------------------------------------------------------------- commissions

#[test]
fn commission_test_passes() {
    let src = format!(
        "{COMMISSION}{}",
        r#"
test "band edge, reinstatement, retention" {
  given deal { deal: "D-1", rep: "ana", amount: 3000.00 USD, deal_value: 36000.00 USD,
               closed_on: 2026-02-02, segment: "smb" }
  # 02:00 UTC on March 5th is March 4th in New York: day 30.
  event { event: "E-1", type: "cancellation", on: 2026-03-05T02:00:00Z }
  event { event: "E-2", type: "reinstatement", on: 2026-03-20 }
  event { event: "E-3", type: "upgrade", on: 2026-04-01, added_value: 1000 USD,
          rep: "sam", team: "support" }
  event { event: "E-4", type: "upgrade", on: 2026-04-02, added_value: 1000, team: "sales" }
  at 2026-06-30
  expect line "E-1" { kind: "clawback", status: "applied", days_retained: 30, rate: 100%,
                      base: 3000.00 USD, amount: -3000.00 USD, rep: "ana", deal: "D-1",
                      currency: "USD", policy: "plan", version: 1,
                      explanation: "band 0-30: 100%" }
  expect line "E-2" { kind: "reinstatement", status: "applied", amount: 3000 }
  expect line "E-3" { kind: "bonus:support_upsell", rep: "sam", amount: 50.00 USD }
  expect line "E-4" { kind: "upgrade", status: "not_eligible", amount: 0 }
  expect line "" { kind: "bonus:retention", count: 1, rate: 0.02, amount: 60.00 USD }
}

test "currency from the header, bare amounts, excluded, no retention yet" {
  given deal { deal: "D-2", rep: "ben", amount: 1000, currency: "EUR", deal_value: 9000,
               closed_on: 2026-05-01, segment: "smb" }
  event { event: "E-1", type: "cancellation", on: 2026-05-11, reason: "acquired" }
  at 2026-05-20
  expect line "E-1" { status: "excluded", amount: 0 EUR }
  expect line "" { kind: "bonus:retention", count: 0 }
}

test "a deal that cannot be processed" {
  given deal { deal: "D-3", rep: "cho", amount: 100 USD, deal_value: 0 USD,
               closed_on: 2026-05-01, segment: "smb" }
  event { event: "E-1", type: "cancellation", on: 2026-05-11 }
  at 2026-05-20
  expect error "must be positive"
  expect line "E-1" { status: "error", explanation: "deal_value" }
}

test "errors of one event are lines too" {
  given deal { deal: "D-4", rep: "dev", amount: 100 USD, deal_value: 1000 USD,
               closed_on: 2026-05-01, segment: "smb" }
  event { event: "E-1", type: "reinstatement", on: 2026-05-11 }
  event { event: "E-2", type: "downgrade", on: 2026-04-11, lost_value: 10 USD }
  at 2026-05-20
  expect line "E-1" { kind: "reinstatement", status: "error" }
  expect line "E-2" { status: "error", explanation: "before" }
}
"#
    );
    assert_passes(&src, 4);
}

#[test]
fn commission_failures_print_expected_actual_and_location() {
    let body = r#"
test "wrong on purpose" {
  given deal { deal: "D-1", rep: "ana", amount: 3000.00 USD, deal_value: 36000.00 USD,
               closed_on: 2026-02-02, segment: "smb" }
  event { event: "E-1", type: "cancellation", on: 2026-03-05 }
  at 2026-06-30
  expect line "E-1" { status: "applied", rate: 100%, amount: -3000.00 USD }
  expect line "E-7" { status: "applied" }
  expect line "" { kind: "bonus:retention", count: 1 }
  expect error
}
"#;
    let src = format!("{COMMISSION}{body}");
    let (out, err, code, path) = run(&src);
    assert_eq!(code, 1, "stdout:\n{out}\nstderr:\n{err}");
    let name = loc(&path, &src, "\"wrong on purpose\"");
    assert!(
        out.contains(&format!("FAIL wrong on purpose ({name})")),
        "{out}"
    );
    let line = loc(&path, &src, "expect line \"E-1\"");
    let event = loc(&path, &src, "{ event: \"E-1\"");
    let event_line = event.rsplit(':').nth(1).expect("line");
    assert!(
        out.contains(&format!(
            "{line}: line \"E-1\" (event at {path}:{event_line}): expected rate 1, got 0.5; expected amount -3000.00 USD, got -1500.00 USD"
        )),
        "{out}"
    );
    let none = loc(&path, &src, "expect line \"E-7\"");
    assert!(
        out.contains(&format!(
            "{none}: expected line \"E-7\", but the ledger has none (lines: \"E-1\" clawback applied -1500.00 USD)"
        )),
        "{out}"
    );
    let count = loc(&path, &src, "expect line \"\"");
    assert!(
        out.contains(&format!(
            "{count}: expected 1 × the deal's line (event \"\") of kind \"bonus:retention\", got 0"
        )),
        "{out}"
    );
    let error = loc(&path, &src, "expect error");
    assert!(
        out.contains(&format!(
            "{error}: expected the deal to be an error, but it was accepted"
        )),
        "{out}"
    );
}

#[test]
fn commission_check_errors_name_the_problem_and_its_place() {
    let body = r#"
test "broken" {
  given deal { deal: "D-1", rep: "ana", amount: "lots", deal_value: 36000.00 USD,
               closed_on: 2026-02-02, segmnt: "smb" }
  event { event: "E-1", type: "cancelation", on: 2026-03-05 }
  event { event: "E-2", type: "downgrade", on: 2026-03-05, lost: 10 USD }
  at 2026-06-30T00:00:00Z
  expect line "E-1" { status: "aplied", amont: 1, kind: "bonus:loyalty" }
  expect line "E-2" { count: 0, amount: 0 }
  expect goal first_response met
  expect amount == 0
}

test "no date, no currency" {
  given deal { deal: "D-2", rep: "ana", amount: 10, deal_value: 100, closed_on: 2026-02-02,
               segment: "smb" }
}
"#;
    let src = format!("{COMMISSION}{body}");
    let (err, path) = check_errors(&src);
    let expect_at = |needle: &str, message: &str| {
        let l = loc(&path, &src, needle);
        let i = err
            .find(message)
            .unwrap_or_else(|| panic!("no {message:?} in:\n{err}"));
        assert!(
            err[i..].contains(&format!("--> {l}")),
            "{message:?} is not reported at {l}:\n{err}"
        );
    };
    expect_at(
        "\"lots\"",
        "error[E0103]: column `amount` is money (or a number, in the deal's currency), not text",
    );
    expect_at("segmnt", "error[E0101]: a deal has no column `segmnt`");
    assert!(err.contains("did you mean `segment`?"), "{err}");
    expect_at(
        "\"cancelation\"",
        "error[E0101]: unknown event type \"cancelation\"",
    );
    assert!(err.contains("did you mean `cancellation`?"), "{err}");
    expect_at("lost:", "error[E0101]: an event has no column `lost`");
    expect_at(
        "2026-06-30T00:00:00Z",
        "error[E0601]: `at` takes a date in a commission test",
    );
    expect_at("\"aplied\"", "error[E0101]: unknown status \"aplied\"");
    expect_at("amont", "error[E0101]: a ledger line has no column `amont`");
    expect_at(
        "\"bonus:loyalty\"",
        "error[E0101]: plan `ae` makes no line of kind \"bonus:loyalty\"",
    );
    expect_at(
        "{ count: 0, amount: 0 }",
        "error[E0601]: `count: 0` expects no such line",
    );
    expect_at(
        "expect goal first_response met",
        "error[E0601]: `expect goal` belongs to handoff tests",
    );
    expect_at(
        "expect amount == 0",
        "error[E0601]: `expect <condition>` belongs to tests of records and handoff tests",
    );
    expect_at(
        "\"no date, no currency\"",
        "error[E0601]: a commission test needs `at DATE`",
    );
    expect_at(
        "{ deal: \"D-2\"",
        "error[E0601]: the test deal has no `currency`",
    );
    // A wrong value is reported once, not also as a missing column; the
    // events still belong to the deal.
    assert!(!err.contains("lacks the required column `amount`"), "{err}");
    assert!(!err.contains("lacks the required column `deal`"), "{err}");
}

// ---------------------------------------------------------------- targets

#[test]
fn record_tests_still_run_and_refuse_other_forms() {
    let src = r#"policy "leads" version 1 effective 2026-01-01
record lead key id { id: text  seats: int }
qualify lead { stage MQL when seats >= 50 }

test "big lead" {
  given lead { id: "L-1", seats: 80 }
  expect stage MQL
  expect seats > 50
}
"#;
    assert_passes(src, 1);
    let wrong = format!(
        "{src}{}",
        r#"
test "wrong forms" {
  given lead { id: "L-2", seats: 10 }
  event { type: "opened", at: 2026-11-10T14:00:00Z }
  expect goal first_response met
  expect line "E-1" { status: "applied" }
}

test "no commission here" {
  given deal { deal: "D-1" }
  expect error
}
"#
    );
    let (err, _) = check_errors(&wrong);
    assert!(
        err.contains("error[E0601]: `event` belongs to handoff and commission tests"),
        "{err}"
    );
    assert!(
        err.contains("error[E0601]: `expect goal` belongs to handoff tests"),
        "{err}"
    );
    assert!(
        err.contains("error[E0601]: `expect line` belongs to commission tests"),
        "{err}"
    );
    assert!(
        err.contains(
            "error[E0601]: `given deal` tests the `commission` block, and this policy has none"
        ),
        "{err}"
    );
}

#[test]
fn shipped_handoff_and_commission_policies_pass_their_tests() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["test", "policies/handoff", "policies/commission"])
        .current_dir(root)
        .output()
        .expect("baton runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let passed: usize = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(passed >= 16, "{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
