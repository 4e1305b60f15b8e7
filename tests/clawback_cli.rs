//! `baton clawback` end to end: the shared worked examples byte for byte,
//! exit codes, error lines, `--posted`, `--version`, JSON inputs.

mod common;

use std::fs;
use std::path::Path;

use common::{baton_in, example};

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("baton-clawback-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// `baton clawback` on the plan-versions example, with `extra` arguments.
fn plan_versions(extra: &[&str]) -> (String, String, i32) {
    let mut args = vec![
        "clawback",
        "--policy",
        "policy",
        "--deals",
        "deals.csv",
        "--events",
        "events.csv",
        "--as-of",
        "2026-12-31",
    ];
    args.extend_from_slice(extra);
    baton_in(&example("clawback_plan_versions"), &args, None)
}

const HEADER: &str = "deal,rep,event,kind,status,policy,version,days_retained,rate,base,amount,currency,explanation\n";

#[test]
fn plan_versions_example_matches_byte_for_byte() {
    let dir = example("clawback_plan_versions");
    let summary = tmp("plan_versions_summary.csv");
    let (out, err, code) = plan_versions(&["--summary", summary.to_str().expect("utf-8 path")]);
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out, read(&dir, "expected.csv"));
    assert_eq!(
        fs::read_to_string(&summary).expect("summary written"),
        read(&dir, "expected_summary.csv")
    );
}

#[test]
fn posted_rerun_example_full_then_difference_then_nothing() {
    let dir = example("clawback_posted_rerun");
    let base = [
        "clawback",
        "--policy",
        "policy.baton",
        "--deals",
        "deals.csv",
        "--events",
        "events.csv",
        "--as-of",
        "2026-12-15",
    ];
    let (out, err, code) = baton_in(&dir, &base, None);
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out, read(&dir, "expected.csv"));

    let mut args = base.to_vec();
    args.extend(["--posted", "posted.csv"]);
    let (diff, err, code) = baton_in(&dir, &args, None);
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(diff, read(&dir, "expected_posted.csv"));

    // Booking what was printed leaves nothing to book.
    let booked = tmp("posted_rerun_booked.csv");
    let mut all = read(&dir, "posted.csv");
    all.push_str(diff.strip_prefix(HEADER).expect("header first"));
    fs::write(&booked, all).expect("write booked ledger");
    let mut args = base.to_vec();
    let booked_arg = booked.to_str().expect("utf-8 path");
    args.extend(["--posted", booked_arg]);
    let (again, err, code) = baton_in(&dir, &args, None);
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(again, HEADER);

    // The full ledger as posted: nothing to book either.
    let full = tmp("posted_rerun_full.csv");
    fs::write(&full, read(&dir, "expected.csv")).expect("write");
    let mut args = base.to_vec();
    let full_arg = full.to_str().expect("utf-8 path");
    args.extend(["--posted", full_arg]);
    let (again, _, code) = baton_in(&dir, &args, None);
    assert_eq!((again.as_str(), code), (HEADER, 0));
}

#[test]
fn a_posted_ledger_that_does_not_parse_prints_nothing_and_exits_2() {
    let dir = example("clawback_posted_rerun");
    let bad = tmp("bad_posted.csv");
    fs::write(
        &bad,
        format!(
            "{HEADER}C-501,maria,X-1,clawback,applied,csm_commission,1,15,0.75,300.00,lots,GBP,x\n"
        ),
    )
    .expect("write");
    let (out, err, code) = baton_in(
        &dir,
        &[
            "clawback",
            "--policy",
            "policy.baton",
            "--deals",
            "deals.csv",
            "--events",
            "events.csv",
            "--as-of",
            "2026-12-15",
            "--posted",
            bad.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(code, 2, "stderr: {err}");
    assert_eq!(out, "");
    assert!(err.contains("line 2"), "names the line: {err}");
}

const PLAN: &str = r#"policy "plan" version 1 effective 2026-01-01
  timezone "UTC"
commission plan {
  clawback within 90 days of closed_on {
    days 0 to 30: 100%
    days 31 to 60: 50%
    days 61 to 90: 25%
  }
  rounding half_even
}
"#;

fn write_case(name: &str, deals: &str, events: &str) -> std::path::PathBuf {
    let dir = tmp(name);
    fs::create_dir_all(&dir).expect("case dir");
    fs::write(dir.join("plan.baton"), PLAN).expect("policy");
    fs::write(dir.join("deals.csv"), deals).expect("deals");
    fs::write(dir.join("events.csv"), events).expect("events");
    dir
}

fn run_case(dir: &Path, extra: &[&str]) -> (Vec<Vec<String>>, String, i32) {
    let mut args = vec![
        "clawback",
        "--policy",
        "plan.baton",
        "--deals",
        "deals.csv",
        "--events",
        "events.csv",
        "--as-of",
        "2026-12-31",
    ];
    args.extend(extra);
    let (out, err, code) = baton_in(dir, &args, None);
    assert!(out.starts_with(HEADER), "header first: {out}");
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let rows = r
        .records()
        .map(|r| r.expect("valid CSV").iter().map(String::from).collect())
        .collect();
    (rows, err, code)
}

const DEALS: &str = "deal,rep,amount,currency,deal_value,closed_on\n\
D-1,ana,2500.00,USD,50000,2026-03-01\n\
D-2,bo,1000,JPY,100000,2026-03-01\n";

#[test]
fn band_edges_and_day_boundaries() {
    // Day 30 is the last of the first band, 31 the first of the next; day
    // 90 is inside the window and 91 outside.
    let events = "event,deal,type,on,reason,lost_value,added_value,rep,team\n\
E-1,D-1,downgrade,2026-03-31,,10000,,,\n\
E-2,D-1,downgrade,2026-04-01,,10000,,,\n\
E-3,D-1,cancellation,2026-05-31,,,,,\n";
    let dir = write_case("edges", DEALS, events);
    let (rows, err, code) = run_case(&dir, &[]);
    assert_eq!(code, 0, "{err}");
    // day 30: 100% × 2500 × 10000/50000 = -500.00
    assert_eq!(
        (
            rows[0][7].as_str(),
            rows[0][8].as_str(),
            rows[0][10].as_str()
        ),
        ("30", "1", "-500.00")
    );
    // day 31: 50% × 2500 × 10000/50000 = -250.00
    assert_eq!(
        (
            rows[1][7].as_str(),
            rows[1][8].as_str(),
            rows[1][10].as_str()
        ),
        ("31", "0.5", "-250.00")
    );
    // day 91: outside the window
    assert_eq!(
        (rows[2][4].as_str(), rows[2][10].as_str()),
        ("outside_window", "0.00")
    );

    let events = "event,deal,type,on,reason,lost_value,added_value,rep,team\nE-9,D-1,cancellation,2026-05-30,,,,,\n";
    let dir = write_case("day90", DEALS, events);
    let (rows, _, _) = run_case(&dir, &[]);
    // day 90: 25% of the whole 2500.00
    assert_eq!(
        (
            rows[0][7].as_str(),
            rows[0][4].as_str(),
            rows[0][10].as_str()
        ),
        ("90", "applied", "-625.00")
    );
}

#[test]
fn downgrade_then_cancellation_then_reinstatement_and_jpy() {
    let events = "event,deal,type,on,reason,lost_value,added_value,rep,team\n\
E-1,D-1,downgrade,2026-03-11,,20000,,,\n\
E-2,D-1,cancellation,2026-04-10,,,,,\n\
E-3,D-1,reinstatement,2026-04-20,,,,,\n\
E-4,D-2,cancellation,2026-04-15,,,,,\n";
    let dir = write_case("chain", DEALS, events);
    let (rows, err, code) = run_case(&dir, &[]);
    assert_eq!(code, 0, "{err}");
    // day 10 downgrade: 100% × 2500 × 20000/50000 = -1000.00
    assert_eq!(rows[0][10], "-1000.00");
    // day 40 cancellation: 50% of the base on the remaining 30000 = 1500.00 → -750.00
    assert_eq!(rows[1][10], "-750.00");
    // the reinstatement reverses exactly the cancellation's line
    assert_eq!(
        (rows[2][3].as_str(), rows[2][10].as_str()),
        ("reinstatement", "750.00")
    );
    // JPY has no minor unit: day 45 → 50% × 1000 = -500
    assert_eq!(
        (rows[3][10].as_str(), rows[3][11].as_str()),
        ("-500", "JPY")
    );
}

#[test]
fn bad_events_are_error_lines_and_the_rest_is_computed() {
    let deals = "deal,rep,amount,currency,deal_value,closed_on\n\
D-1,ana,2500.00,USD,50000,2026-03-01\n\
D-1,ana,9999.00,USD,50000,2026-03-01\n\
D-3,cy,abc,USD,50000,2026-03-01\n";
    let events = "event,deal,type,on,reason,lost_value,added_value,rep,team\n\
E-1,D-404,cancellation,2026-03-11,,,,,\n\
E-2,D-1,cancellation,2026-02-11,,,,,\n\
E-3,D-1,downgrade,2026-03-11,,90000,,,\n\
E-4,D-1,downgrade,2026-03-11,,100 EUR,,,\n\
E-5,D-1,refund,2026-03-11,,,,,\n\
E-6,D-1,cancellation,2026-03-21,,,,,\n";
    let dir = write_case("errors", deals, events);
    let (rows, err, code) = run_case(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    let statuses: Vec<&str> = rows.iter().map(|r| r[4].as_str()).collect();
    // five bad events, the good one, then the two bad deal rows
    assert_eq!(
        statuses,
        ["error", "error", "error", "error", "error", "applied", "error", "error"],
        "{rows:#?}"
    );
    for r in rows.iter().filter(|r| r[4] == "error") {
        assert_eq!(r[10], "", "no amount on an error line: {r:?}");
        assert!(!r[12].is_empty(), "an explanation: {r:?}");
    }
    assert!(rows[0][12].contains("D-404"), "{:?}", rows[0]);
    // nothing the bad events said changed D-1: the whole 2500.00 is clawed back on day 20
    assert_eq!(rows[5][10], "-2500.00");
    assert!(rows[6][12].contains("repeated"), "{:?}", rows[6]);
    // Like every other deal error, the repeated row names its currency.
    assert_eq!(rows[6][11], "USD", "{:?}", rows[6]);
    assert!(rows[7][12].contains("amount"), "{:?}", rows[7]);
}

#[test]
fn json_inputs_give_the_same_ledger_as_csv() {
    let events = "event,deal,type,on,reason,lost_value,added_value,rep,team\nE-1,D-1,downgrade,2026-03-31,,10000,,,\n";
    let dir = write_case("json", DEALS, events);
    fs::write(
        dir.join("deals.jsonl"),
        "{\"deal\":\"D-1\",\"rep\":\"ana\",\"amount\":2500.00,\"currency\":\"USD\",\"deal_value\":50000,\"closed_on\":\"2026-03-01\"}\n\
         {\"deal\":\"D-2\",\"rep\":\"bo\",\"amount\":\"1000\",\"currency\":\"JPY\",\"deal_value\":100000,\"closed_on\":\"2026-03-01\"}\n",
    )
    .expect("write");
    fs::write(dir.join("events.json"), "[{\"event\":\"E-1\",\"deal\":\"D-1\",\"type\":\"downgrade\",\"on\":\"2026-03-31\",\"lost_value\":10000}]").expect("write");
    let (csv_out, _, c1) = baton_in(
        &dir,
        &[
            "clawback",
            "--policy",
            "plan.baton",
            "--deals",
            "deals.csv",
            "--events",
            "events.csv",
            "--as-of",
            "2026-12-31",
        ],
        None,
    );
    let (json_out, err, c2) = baton_in(
        &dir,
        &[
            "clawback",
            "--policy",
            "plan.baton",
            "--deals",
            "deals.jsonl",
            "--events",
            "events.json",
            "--as-of",
            "2026-12-31",
        ],
        None,
    );
    assert_eq!((c1, c2), (0, 0), "{err}");
    assert_eq!(json_out, csv_out);
}

#[test]
fn version_pins_one_plan_for_every_deal() {
    let (out, err, code) = plan_versions(&["--version", "2"]);
    assert_eq!(code, 0, "{err}");
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let versions: Vec<String> = r
        .records()
        .map(|r| r.expect("csv")[6].to_string())
        .collect();
    assert!(!versions.is_empty());
    assert!(versions.iter().all(|v| v == "2"), "{versions:?}");
}

#[test]
fn the_ledger_is_deterministic() {
    let (a, _, _) = plan_versions(&[]);
    let (b, _, _) = plan_versions(&[]);
    assert_eq!(a, b);
}

#[test]
fn json_ledgers_hold_the_csv_cells_as_strings() {
    let dir = example("clawback_plan_versions");
    let expected_text = read(&dir, "expected.csv");
    let mut expected = csv::Reader::from_reader(expected_text.as_bytes());
    let header: Vec<String> = expected
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows: Vec<Vec<String>> = expected
        .records()
        .map(|r| r.expect("row").iter().map(String::from).collect())
        .collect();
    for format in ["jsonl", "json"] {
        let (out, err, code) = plan_versions(&["--format", format]);
        assert_eq!(code, 0, "{err}");
        let objects: Vec<serde_json::Value> = if format == "jsonl" {
            common::jsonl(&out)
        } else {
            serde_json::from_str(&out).expect("a JSON array")
        };
        assert_eq!(objects.len(), rows.len(), "{format}");
        for (o, row) in objects.iter().zip(&rows) {
            for (k, v) in header.iter().zip(row) {
                assert_eq!(
                    o[k.as_str()],
                    serde_json::Value::String(v.clone()),
                    "{format} {k}"
                );
            }
        }
    }
}

// ------------------------------------------------- money that cannot be money

/// A case with a plan of its own.
fn write_plan_case(name: &str, plan: &str, deals: &str, events: &str) -> std::path::PathBuf {
    let dir = write_case(name, deals, events);
    fs::write(dir.join("plan.baton"), plan).expect("policy");
    dir
}

const EVENTS_HEAD: &str = "event,deal,type,on,reason,lost_value,added_value,rep,team\n";
const DEALS_HEAD: &str = "deal,rep,amount,currency,deal_value,closed_on\n";

/// The row of `rows` whose deal and event are these.
fn row<'r>(rows: &'r [Vec<String>], deal: &str, event: &str) -> &'r [String] {
    rows.iter()
        .find(|r| r[0] == deal && r[2] == event)
        .unwrap_or_else(|| panic!("no line for {deal} {event}: {rows:#?}"))
}

#[test]
fn amounts_finer_than_the_minor_unit_are_error_lines_naming_the_field() {
    let deals = format!(
        "{DEALS_HEAD}D-1,ana,100.005,USD,1000,2026-03-01\n\
         D-2,ana,100,USD,1000.001,2026-03-01\n\
         D-3,ana,100.005,BHD,1000.125,2026-03-01\n\
         D-4,ana,100.5,JPY,100000,2026-03-01\n\
         D-5,ana,100.000,USD,1000.00,2026-03-01\n\
         D-6,ana,100,KWD,1000,2026-03-01\n"
    );
    let events = format!(
        "{EVENTS_HEAD}E-1,D-1,cancellation,2026-03-01,,,,,\n\
         E-2,D-3,cancellation,2026-03-01,,,,,\n\
         E-3,D-5,cancellation,2026-03-01,,,,,\n\
         E-4,D-6,downgrade,2026-03-02,,10.0001,,,\n\
         E-5,D-6,downgrade,2026-03-02,,10.001,,,\n"
    );
    let dir = write_case("finer", &deals, &events);
    let (rows, err, code) = run_case(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    // 100.005 USD was never paid: no line claws back −100.01 (more than
    // was paid); the deal and its event are error lines naming `amount`.
    let d1 = row(&rows, "D-1", "");
    assert_eq!((d1[4].as_str(), d1[10].as_str()), ("error", ""));
    assert!(
        d1[12].contains("field `amount`: 100.005 is finer than the minor unit of USD (2 decimals)"),
        "{d1:?}"
    );
    assert_eq!(row(&rows, "D-1", "E-1")[4], "error");
    let d2 = row(&rows, "D-2", "");
    assert!(
        d2[12].contains("field `deal_value`: 1000.001 is finer than the minor unit of USD"),
        "{d2:?}"
    );
    // BHD has three decimals (ISO 4217): 100.005 is an amount, clawed back whole.
    let e2 = row(&rows, "D-3", "E-2");
    assert_eq!(
        (e2[4].as_str(), e2[10].as_str(), e2[11].as_str()),
        ("applied", "-100.005", "BHD")
    );
    let d4 = row(&rows, "D-4", "");
    assert!(
        d4[12].contains("field `amount`: 100.5 is finer than the minor unit of JPY (0 decimals)"),
        "{d4:?}"
    );
    // Trailing zeros are not finer: 100.000 USD is 100.00.
    let e3 = row(&rows, "D-5", "E-3");
    assert_eq!((e3[4].as_str(), e3[10].as_str()), ("applied", "-100.00"));
    // An event's money is checked against the deal's currency too.
    let e4 = row(&rows, "D-6", "E-4");
    assert_eq!(e4[4], "error");
    assert!(
        e4[12].contains(
            "field `lost_value`: 10.0001 is finer than the minor unit of KWD (3 decimals)"
        ),
        "{e4:?}"
    );
    let e5 = row(&rows, "D-6", "E-5");
    assert_eq!((e5[4].as_str(), e5[10].as_str()), ("applied", "-1.000"));
}

#[test]
fn minor_units_follow_iso_4217_and_an_unknown_code_is_an_error_line() {
    let deals = format!(
        "{DEALS_HEAD}D-1,ana,5000,CLP,100000,2026-03-01\n\
         D-2,ana,5000,ISK,100000,2026-03-01\n\
         D-3,ana,50.125,OMR,1000,2026-03-01\n\
         D-4,ana,100,ABC,1000,2026-03-01\n\
         D-5,ana,100,XAU,1000,2026-03-01\n\
         D-6,ana,100,usd,1000,2026-03-01\n"
    );
    let events = format!(
        "{EVENTS_HEAD}E-1,D-1,cancellation,2026-04-15,,,,,\n\
         E-2,D-2,cancellation,2026-04-15,,,,,\n\
         E-3,D-3,cancellation,2026-04-15,,,,,\n\
         E-4,D-4,cancellation,2026-04-15,,,,,\n"
    );
    let dir = write_case("iso4217", &deals, &events);
    let (rows, err, code) = run_case(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    // Day 45: 50%. CLP and ISK have no minor unit, OMR three decimals.
    let amounts: Vec<(&str, &str, &str)> = ["D-1", "D-2", "D-3"]
        .iter()
        .map(|d| {
            let r = row(&rows, d, &d.replace('D', "E"));
            (r[9].as_str(), r[10].as_str(), r[11].as_str())
        })
        .collect();
    assert_eq!(
        amounts,
        [
            ("5000", "-2500", "CLP"),
            ("5000", "-2500", "ISK"),
            ("50.125", "-25.062", "OMR")
        ]
    );
    let d4 = row(&rows, "D-4", "");
    assert_eq!((d4[4].as_str(), d4[11].as_str()), ("error", ""), "{d4:?}");
    assert!(
        d4[12].contains("field `currency`: \"ABC\" is not an ISO 4217 currency code"),
        "{d4:?}"
    );
    assert_eq!(row(&rows, "D-4", "E-4")[4], "error");
    let d5 = row(&rows, "D-5", "");
    assert!(
        d5[12].contains("field `currency`: XAU has no minor unit in ISO 4217"),
        "{d5:?}"
    );
    let d6 = row(&rows, "D-6", "");
    assert!(
        d6[12].contains("field `currency`: \"usd\" is not a currency code"),
        "{d6:?}"
    );
}

const BONUS_PLAN: &str = r#"policy "plan" version 1 effective 2026-01-01
  timezone "UTC"
commission plan {
  clawback within 90 days of closed_on prorated
  bonus support_upsell: 5% of event.added_value on upgrade to event.rep when event.team == "support"
  bonus retention: 150% of deal.amount if retained 30 days after closed_on
  rounding half_even
}
"#;

#[test]
fn zero_or_negative_added_value_is_an_error_line() {
    let deals = format!("{DEALS_HEAD}D-1,ana,2500.00,USD,50000,2026-08-01\n");
    let events = format!(
        "{EVENTS_HEAD}E-1,D-1,upgrade,2026-08-10,,,-5000,sam,support\n\
         E-2,D-1,upgrade,2026-08-11,,,0,sam,support\n\
         E-3,D-1,upgrade,2026-08-12,,,4000,sam,support\n\
         E-4,D-1,upgrade,2026-08-13,,,10.005,sam,support\n"
    );
    let dir = write_plan_case("added", BONUS_PLAN, &deals, &events);
    let (rows, err, code) = run_case(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    for e in ["E-1", "E-2"] {
        let r = row(&rows, "D-1", e);
        assert_eq!((r[4].as_str(), r[10].as_str()), ("error", ""), "{r:?}");
        assert!(
            r[12].contains("field `added_value` must be positive"),
            "{r:?}"
        );
    }
    let e3 = row(&rows, "D-1", "E-3");
    assert_eq!(
        (e3[3].as_str(), e3[4].as_str(), e3[10].as_str()),
        ("bonus:support_upsell", "applied", "200.00")
    );
    let e4 = row(&rows, "D-1", "E-4");
    assert_eq!(e4[4], "error");
    assert!(
        e4[12].contains("field `added_value`: 10.005 is finer than the minor unit of USD"),
        "{e4:?}"
    );
}

#[test]
fn amounts_beyond_the_decimal_range_are_error_lines_naming_the_field() {
    // The largest amount a decimal holds at two decimals is
    // 792281625142643375935439503.35; at none, 79228162514264337593543950335.
    let deals = format!(
        "{DEALS_HEAD}D-1,ana,8000000000000000000000000000,USD,8000000000000000000000000000,2026-03-01\n\
         D-2,ana,79228162514264337593543950335,JPY,79228162514264337593543950335,2026-03-01\n\
         D-3,bo,792281625142643375935439503.35,USD,792281625142643375935439503.35,2026-03-01\n"
    );
    let events = format!(
        "{EVENTS_HEAD}E-1,D-1,cancellation,2026-03-11,,,,,\n\
         E-2,D-3,cancellation,2026-03-01,,,,,\n"
    );
    let dir = write_plan_case("range", BONUS_PLAN, &deals, &events);
    let (rows, err, code) = run_case(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    let d1 = row(&rows, "D-1", "");
    assert_eq!(d1[4], "error");
    assert!(
        d1[12].contains(
            "field `amount`: 8000000000000000000000000000 does not fit the decimal range in USD"
        ) && d1[12].contains("field `deal_value`"),
        "{d1:?}"
    );
    assert_eq!(row(&rows, "D-1", "E-1")[4], "error");
    // 150% of the largest JPY amount leaves the range: the retention bonus
    // is an error line naming the field, never a line silently left out.
    let d2 = row(&rows, "D-2", "");
    assert_eq!(
        (d2[3].as_str(), d2[4].as_str(), d2[10].as_str()),
        ("bonus:retention", "error", "")
    );
    assert!(
        d2[12].contains("`amount`") && d2[12].contains("does not fit the decimal range"),
        "{d2:?}"
    );
    // The largest USD amount is clawed back whole on day 0.
    let e2 = row(&rows, "D-3", "E-2");
    assert_eq!(
        (e2[4].as_str(), e2[10].as_str()),
        ("applied", "-792281625142643375935439503.35")
    );
}

#[test]
fn a_summary_sum_beyond_the_decimal_range_is_an_error_and_nothing_is_written() {
    let deals = format!(
        "{DEALS_HEAD}D-1,ana,792281625142643375935439503.35,USD,1000,2026-03-01\n\
         D-2,ana,1.00,USD,1000,2026-03-01\n\
         D-3,bo,10.00,USD,1000,2026-03-01\n"
    );
    let dir = write_case("sum_range", &deals, EVENTS_HEAD);
    for format in ["csv", "jsonl"] {
        let summary = dir.join(format!("summary-{format}.csv"));
        let (out, err, code) = baton_in(
            &dir,
            &[
                "clawback",
                "--policy",
                "plan.baton",
                "--deals",
                "deals.csv",
                "--events",
                "events.csv",
                "--as-of",
                "2026-12-31",
                "--format",
                format,
                "--summary",
                summary.to_str().expect("utf-8"),
            ],
            None,
        );
        assert_eq!((out.as_str(), code), ("", 2), "{format}: {err}");
        assert!(
            err.contains("rep ana") && err.contains("USD") && err.contains("`paid`"),
            "{format}: {err}"
        );
        assert!(!summary.exists(), "{format}: no summary written");
    }
}

#[test]
fn the_summary_net_keeps_every_place() {
    // paid is the largest USD amount; a clawback of 0.01 leaves a net that
    // still fits, to the cent.
    let deals = format!("{DEALS_HEAD}D-1,ana,792281625142643375935439503.35,USD,792281625142643375935439503.35,2026-03-01\n");
    let events = format!("{EVENTS_HEAD}E-1,D-1,downgrade,2026-03-02,,0.01,,,\n");
    let dir = write_case("net_places", &deals, &events);
    let summary = dir.join("summary.csv");
    let (rows, err, code) = run_case(&dir, &["--summary", summary.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows[0][10], "-0.01");
    assert_eq!(
        fs::read_to_string(&summary).expect("summary"),
        "rep,currency,paid,clawed_back,reinstated,bonuses,net\n\
         ana,USD,792281625142643375935439503.35,-0.01,0.00,0.00,792281625142643375935439503.34\n"
    );
}

#[test]
fn a_timestamp_anchor_is_the_policy_zone_date() {
    let plan = PLAN.replace("timezone \"UTC\"", "timezone \"Asia/Tokyo\"");
    // 20:00 UTC on 1 March is 2 March in Tokyo: the cancellation on
    // 1 April is day 30 (100%), not day 31 (50%).
    let deals = format!("{DEALS_HEAD}D-1,ana,2500.00,USD,50000,2026-03-01T20:00:00+00:00\n");
    let events = format!("{EVENTS_HEAD}E-1,D-1,cancellation,2026-04-01,,,,,\n");
    let dir = write_plan_case("ts_anchor", &plan, &deals, &events);
    let (rows, err, code) = run_case(&dir, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        (
            rows[0][4].as_str(),
            rows[0][7].as_str(),
            rows[0][10].as_str()
        ),
        ("applied", "30", "-2500.00")
    );
    // A deal's anchor that is neither is still refused, naming both forms.
    let deals = format!("{DEALS_HEAD}D-1,ana,2500.00,USD,50000,2026-03-01 20:00\n");
    let dir = write_plan_case("ts_anchor_bad", &plan, &deals, &events);
    let (rows, _, code) = run_case(&dir, &[]);
    assert_eq!(code, 1);
    assert!(
        rows[1][12]
            .contains("field `closed_on`: \"2026-03-01 20:00\" is not a date or a timestamp"),
        "{rows:?}"
    );
}

#[test]
fn error_lines_name_their_input_line_and_every_bad_field() {
    let deals = format!(
        "{DEALS_HEAD}D-1,ana,2500.00,USD,50000,2026-03-01\n\
         D-6,ana,lots,gbp,-5,nope\n"
    );
    let events = format!(
        "{EVENTS_HEAD}E-1,D-1,cancellation,2026-03-11,,,,,\n\
         E-2,D-9,cancellation,2026-03-11,,,,,\n\
         E-3,D-6,cancellation,2026-03-11,,,,,\n"
    );
    let dir = write_case("lines", &deals, &events);
    let (rows, err, code) = run_case(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        row(&rows, "D-9", "E-2")[12],
        "events line 3: unknown deal D-9"
    );
    let d6 = row(&rows, "D-6", "");
    assert_eq!(
        d6[12],
        "deals line 3: deal D-6: field `amount`: \"lots\" is not money (an amount and a currency); \
         field `currency`: \"gbp\" is not a currency code; \
         field `deal_value` must be positive; \
         field `closed_on`: \"nope\" is not a date or a timestamp"
    );
    let e3 = row(&rows, "D-6", "E-3");
    assert!(
        e3[12].starts_with("events line 4: deal D-6 (deals line 3): field `amount`"),
        "{e3:?}"
    );
    // With --posted, error events go to standard error, named the same way.
    let posted = dir.join("posted.csv");
    fs::write(&posted, HEADER).expect("posted");
    let (_, err, code) = run_case(&dir, &["--posted", posted.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error: events line 3: unknown deal D-9\n"),
        "{err}"
    );
}

// --------------------------------------------------------------- --posted

/// `baton clawback` on the posted-rerun example against `posted` (text).
fn posted_rerun(name: &str, posted: &str) -> (String, String, i32) {
    let dir = example("clawback_posted_rerun");
    let path = tmp(name);
    fs::write(&path, posted).expect("write posted");
    baton_in(
        &dir,
        &[
            "clawback",
            "--policy",
            "policy.baton",
            "--deals",
            "deals.csv",
            "--events",
            "events.csv",
            "--as-of",
            "2026-12-15",
            "--posted",
            path.to_str().expect("utf-8"),
        ],
        None,
    )
}

#[test]
fn posted_currency_is_part_of_the_key() {
    let full = read(&example("clawback_posted_rerun"), "expected.csv");
    // C-501's downgrade was booked in EUR, not GBP: the EUR line is
    // reversed and the GBP line booked, each saying why.
    let booked = full.replacen("-225.00,GBP", "-225.00,EUR", 1);
    let (out, err, code) = posted_rerun("posted_eur.csv", &booked);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "{HEADER}C-501,omar,X-1,clawback,applied,csm_commission,1,15,0.75,300.00,-225.00,GBP,\
             downgraded on day 15 of 60 (prorated 45/60) × 300.00 = -225.00 (booked in EUR instead of GBP)\n\
             C-501,omar,X-1,clawback,applied,csm_commission,1,15,0.75,300.00,225.00,EUR,\
             reversal: now computed in GBP (booked -225.00)\n"
        )
    );
    // Booking both leaves nothing to book.
    let mut again = booked.clone();
    again.push_str(out.strip_prefix(HEADER).expect("header"));
    let (out, err, code) = posted_rerun("posted_eur_again.csv", &again);
    assert_eq!((out.as_str(), code), (HEADER, 0), "{err}");
    // A currency cell that is no currency makes the booked ledger
    // unreadable, naming the line: nothing is printed.
    for bad in ["gbp", "XX", "", "ABC"] {
        let booked = full.replacen("-225.00,GBP", &format!("-225.00,{bad}"), 1);
        let (out, err, code) = posted_rerun("posted_bad_currency.csv", &booked);
        assert_eq!((out.as_str(), code), ("", 2), "{bad}: {err}");
        assert!(err.contains("line 2"), "{bad}: {err}");
        assert!(err.contains("currency"), "{bad}: {err}");
    }
}

#[test]
fn posted_amounts_beyond_the_decimal_range_exit_2_naming_the_line() {
    let base = read(&example("clawback_posted_rerun"), "posted.csv");
    // A booked amount that no decimal holds at two decimals.
    let huge = format!(
        "{base}C-502,noor,X-2,bonus:support_upsell,applied,csm_commission,1,20,0.1,4000.00,-79228162514264337593543950335,GBP,x\n"
    );
    let (out, err, code) = posted_rerun("posted_huge.csv", &huge);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert!(err.contains("line 7"), "{err}");
    // Recomputed 400.00 less booked −792281625142643375935439503.35 leaves the range.
    let max = format!(
        "{base}C-502,noor,X-2,bonus:support_upsell,applied,csm_commission,1,20,0.1,4000.00,-792281625142643375935439503.35,GBP,x\n"
    );
    let (out, err, code) = posted_rerun("posted_max.csv", &max);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert!(err.contains("line 7"), "{err}");
    // Two booked lines whose sum leaves the range: the second is named.
    let two = format!(
        "{base}C-503,omar,X-6,clawback,applied,csm_commission,1,50,0.166667,150000,-50000000000000000000000000000,JPY,x\n\
         C-503,omar,X-6,clawback,applied,csm_commission,1,50,0.166667,150000,-50000000000000000000000000000,JPY,x\n"
    );
    let (out, err, code) = posted_rerun("posted_two.csv", &two);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert!(err.contains("line 8"), "{err}");
}

/// `baton clawback` of the posted-rerun example with `extra` arguments,
/// in `dir` (a copy of the example's files).
fn posted_case(name: &str, extra: &[&str]) -> (std::path::PathBuf, String, String, i32) {
    let src = example("clawback_posted_rerun");
    let dir = tmp(name);
    fs::create_dir_all(&dir).expect("case dir");
    for f in ["policy.baton", "deals.csv", "events.csv", "posted.csv"] {
        fs::copy(src.join(f), dir.join(f)).expect("copy");
    }
    let (out, err, code) = posted_run(&dir, extra);
    (dir, out, err, code)
}

fn posted_run(dir: &Path, extra: &[&str]) -> (String, String, i32) {
    run_with(dir, "deals.csv", "events.csv", extra)
}

fn run_with(dir: &Path, deals: &str, events: &str, extra: &[&str]) -> (String, String, i32) {
    let mut args = vec![
        "clawback",
        "--policy",
        "policy.baton",
        "--deals",
        deals,
        "--events",
        events,
        "--as-of",
        "2026-12-15",
    ];
    args.extend(extra);
    baton_in(dir, &args, None)
}

#[test]
fn a_header_naming_a_column_twice_is_refused_in_every_input() {
    let (dir, ..) = posted_case("dup_columns", &[]);
    let deals = read(&dir, "deals.csv");
    fs::write(
        dir.join("deals.csv"),
        deals
            .replacen("deal,rep,amount,", "deal,rep,amount,amount,", 1)
            .replace(",1200.00,", ",1200.00,1.00,")
            .replace(",900.00,", ",900.00,1.00,"),
    )
    .expect("write");
    let (out, err, code) = posted_run(&dir, &[]);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert_eq!(
        err,
        "error: deals.csv: the CSV header names column `amount` twice (columns 3 and 4)\n"
    );
    fs::write(dir.join("deals.csv"), &deals).expect("write");
    let events = read(&dir, "events.csv");
    fs::write(
        dir.join("events.csv"),
        events.replacen(",team\n", ",type\n", 1),
    )
    .expect("write");
    let (out, err, code) = posted_run(&dir, &[]);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert_eq!(
        err,
        "error: events.csv: the CSV header names column `type` twice (columns 3 and 9)\n"
    );
    fs::write(dir.join("events.csv"), &events).expect("write");
    // The booked ledger: a second `amount` column used to win silently.
    let posted = read(&dir, "posted.csv");
    fs::write(
        dir.join("posted.csv"),
        posted
            .replacen(",explanation\n", ",amount\n", 1)
            .replace(",booked 2026-10-31\n", ",0.00\n"),
    )
    .expect("write");
    let (out, err, code) = posted_run(&dir, &["--posted", "posted.csv"]);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert_eq!(
        err,
        "error: posted.csv: posted ledger, line 1: the header names column `amount` twice \
         (columns 11 and 13)\n"
    );
}

#[test]
fn an_output_that_is_an_input_is_refused_and_left_alone() {
    let (dir, ..) = posted_case("same_file", &[]);
    let posted = read(&dir, "posted.csv");
    let deals = read(&dir, "deals.csv");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--posted", "posted.csv", "--output", "posted.csv"],
            "error: --output `posted.csv` is the same file as --posted `posted.csv`\n",
        ),
        (
            &[
                "--posted",
                "posted.csv",
                "--format",
                "jsonl",
                "--output",
                "posted.csv",
            ],
            "error: --output `posted.csv` is the same file as --posted `posted.csv`\n",
        ),
        (
            &["--output", "deals.csv"],
            "error: --output `deals.csv` is the same file as --deals `deals.csv`\n",
        ),
        (
            &["--summary", "events.csv"],
            "error: --summary `events.csv` is the same file as --events `events.csv`\n",
        ),
        (
            &["--summary", "./posted.csv", "--posted", "posted.csv"],
            "error: --summary `./posted.csv` is the same file as --posted `posted.csv`\n",
        ),
        (
            &["--summary", "policy.baton"],
            "error: --summary `policy.baton` is the same file as the policy file `policy.baton`\n",
        ),
        (
            &["--summary", "out.csv", "--output", "out.csv"],
            "error: --summary `out.csv` is the same file as --output `out.csv`\n",
        ),
    ];
    for (args, message) in cases {
        let (out, err, code) = posted_run(&dir, args);
        assert_eq!((out.as_str(), code), ("", 2), "{args:?}: {err}");
        assert_eq!(err, *message, "{args:?}");
        assert_eq!(read(&dir, "posted.csv"), posted);
        assert_eq!(read(&dir, "deals.csv"), deals);
        assert!(!dir.join("out.csv").exists());
    }
    // Devices are written directly and overwrite nothing: the same one
    // twice is fine.
    #[cfg(unix)]
    {
        let args = ["--output", "/dev/null", "--summary", "/dev/null"];
        let (out, err, code) = posted_run(&dir, &args);
        assert_eq!((out.as_str(), err.as_str(), code), ("", "", 0));
    }
}

#[test]
fn a_summary_onto_the_redirected_ledger_is_refused() {
    let (dir, ..) = posted_case("summary_stdout", &[]);
    fs::write(dir.join("ledger.csv"), "old\n").expect("write");
    let ledger = fs::File::create(dir.join("ledger.csv")).expect("create");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([
            "clawback",
            "--policy",
            "policy.baton",
            "--deals",
            "deals.csv",
            "--events",
            "events.csv",
            "--as-of",
            "2026-12-15",
            "--summary",
            "ledger.csv",
        ])
        .current_dir(&dir)
        .stdout(ledger)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --summary `ledger.csv` is the same file as standard output\n"
    );
    assert_eq!(read(&dir, "ledger.csv"), "");
}

#[test]
fn an_unwritable_summary_is_refused_before_the_ledger_is_printed() {
    let (dir, out, err, code) = posted_case("bad_summary", &["--summary", "no/such/dir/s.csv"]);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert!(
        err.starts_with("error: cannot write `no/such/dir/s.csv`: "),
        "{err}"
    );
    for extra in [&["--format", "jsonl"][..], &["--posted", "posted.csv"][..]] {
        let args = [extra, &["--summary", "no/such/dir/s.csv"]].concat();
        let (out, err, code) = posted_run(&dir, &args);
        assert_eq!((out.as_str(), code), ("", 2), "{extra:?}: {err}");
    }
    // A summary that can be written is, with the ledger on standard output.
    let (out, err, code) = posted_run(&dir, &["--summary", "s.csv"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, read(&example("clawback_posted_rerun"), "expected.csv"));
    assert!(read(&dir, "s.csv").starts_with("rep,currency,paid,"));
}

#[test]
fn a_failed_run_leaves_an_existing_ledger_and_summary_as_they_were() {
    let (dir, ..) = posted_case("failed_run", &[]);
    fs::write(dir.join("ledger.csv"), "old ledger\n").expect("write");
    fs::write(dir.join("s.csv"), "old summary\n").expect("write");
    // A directory named like JSON lines opens, then fails at its first
    // read, once the ledger has begun.
    fs::create_dir(dir.join("deals_dir.jsonl")).expect("dir");
    for extra in [&[][..], &["--format", "json"][..]] {
        let args = [extra, &["--output", "ledger.csv", "--summary", "s.csv"]].concat();
        let (_, err, code) = run_with(&dir, "deals_dir.jsonl", "events.csv", &args);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("Is a directory"), "{err}");
        assert_eq!(read(&dir, "ledger.csv"), "old ledger\n");
        assert_eq!(read(&dir, "s.csv"), "old summary\n");
    }
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "deals.csv",
            "deals_dir.jsonl",
            "events.csv",
            "ledger.csv",
            "policy.baton",
            "posted.csv",
            "s.csv"
        ]
    );
}

#[test]
fn an_unknown_input_extension_is_refused_naming_input_format() {
    let (dir, ..) = posted_case("unknown_ext", &[]);
    fs::copy(dir.join("events.csv"), dir.join("events.txt")).expect("copy");
    let (out, err, code) = run_with(&dir, "deals.csv", "events.txt", &[]);
    assert_eq!((out.as_str(), code), ("", 2));
    assert_eq!(
        err,
        "error: cannot tell the format of `events.txt` by its extension (.jsonl, .ndjson, \
         .json or .csv): name it with --input-format jsonl, json or csv\n"
    );
    let (out, err, code) = run_with(&dir, "deals.csv", "events.txt", &["--input-format", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, read(&example("clawback_posted_rerun"), "expected.csv"));
}

#[test]
fn an_error_line_cuts_a_long_value() {
    let (dir, ..) = posted_case("long_value", &[]);
    let long = "Q".repeat(10_000);
    let deals = read(&dir, "deals.csv").replace(",GBP,24000.00,", &format!(",{long},24000.00,"));
    fs::write(dir.join("deals.csv"), deals).expect("write");
    let (out, err, code) = posted_run(&dir, &[]);
    assert_eq!(code, 1, "{err}");
    // CSV doubles the quotes of the message.
    let want = format!(
        "field `currency`: \"\"{}…\"\" is not a currency code",
        "Q".repeat(200)
    );
    assert!(out.contains(&want), "{out}");
    assert!(out.len() < 2_000, "{out}");
}

#[test]
fn an_overlong_line_of_a_csv_input_is_that_records_error() {
    let (dir, ..) = posted_case("long_line", &[]);
    let deals = read(&dir, "deals.csv");
    let long = format!("C-509,ana,1.00,GBP,{},2026-09-01\n", "9".repeat(300));
    fs::write(dir.join("deals.csv"), format!("{deals}{long}")).expect("write");
    let (out, err, code) = posted_run(&dir, &["--max-line-bytes", "100"]);
    assert_eq!(code, 1, "{err}");
    let last = out.lines().last().unwrap_or_default();
    assert!(
        last == ",,,,error,,,,,,,,\"deals line 5: the line holds 330 bytes, more than the limit of 100\"",
        "{out}"
    );
}
