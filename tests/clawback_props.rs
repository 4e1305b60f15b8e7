//! Property tests of the clawback engine (LANGUAGE.md §8, CLI.md "Clawback
//! inputs and ledger") against an independent exact model
//! (`tests/clawback_model`), plus unit-style cases for the edges.
//!
//! Random plans (window, prorated or banded schedule, `except when`,
//! upgrade bonus rules, a retention bonus, rounding mode, one or two
//! versions), random deals in USD/EUR/GBP/JPY and random event histories
//! are written out as policy source and CSV, run through
//! `PolicySet::clawback`, and compared line by line with the model.

mod clawback_model;

use baton::io::{Format, Reader};
use baton::ledger::{diff_posted, read_posted, write_ledger};
use baton::{BookedLedger, ClawbackOptions, Frac, Ledger, LedgerLine, PolicySet, Status, Table};
use chrono::NaiveDate;
use clawback_model::*;
use proptest::collection::vec;
use proptest::prelude::*;
use rust_decimal::Decimal;

// ------------------------------------------------------------------ helpers

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

fn plus(d: NaiveDate, days: i64) -> NaiveDate {
    d + chrono::Duration::days(days)
}

fn policy_set(sources: &[String]) -> PolicySet {
    let names: Vec<String> = (0..sources.len())
        .map(|i| format!("v{}.baton", i + 1))
        .collect();
    let files: Vec<(&str, &str)> = names
        .iter()
        .zip(sources)
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    PolicySet::from_sources(&files)
        .unwrap_or_else(|e| panic!("{}\n{}", e.render(), sources.join("\n")))
}

fn csv_table(text: &str) -> Table {
    let input = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
    Table::read(Reader::new(input, Format::Csv).expect("readable CSV")).expect("readable CSV")
}

fn run_text(sources: &[String], deals: &str, events: &str, as_of: NaiveDate) -> Ledger {
    let set = policy_set(sources);
    clawback(&set, &csv_table(deals), &csv_table(events), as_of)
}

/// The ledger of a set of versions, each deal under its version in force.
fn clawback(set: &PolicySet, deals: &Table, events: &Table, as_of: NaiveDate) -> Ledger {
    set.clawback(deals, events, &ClawbackOptions::as_of(as_of))
        .expect("a commission plan")
}

/// `clawback_posted` of a case against the booked ledger `booked` (CSV
/// bytes): the bytes it prints, and the explanations of its error lines.
fn posted_stream(case: &Case, booked: &[u8]) -> (Vec<u8>, Vec<String>) {
    let set = policy_set(&case.sources());
    let dir = std::env::temp_dir().join(format!(
        "baton-posted-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join("posted.csv");
    std::fs::write(&path, booked).expect("write the booked ledger");
    let index = BookedLedger::read(&path).expect("the booked ledger reads");
    let mut deals = Reader::new(
        Box::new(std::io::Cursor::new(case.deals_csv().into_bytes())),
        Format::Csv,
    )
    .expect("deals");
    let mut out = Vec::new();
    let outcome = set
        .clawback_posted(
            &mut deals,
            &csv_table(&case.events_csv()),
            &ClawbackOptions::as_of(case.as_of),
            &index,
            &mut out,
        )
        .expect("amounts in range");
    std::fs::remove_dir_all(&dir).ok();
    (out, outcome.error_messages)
}

fn ledger_bytes(lines: &[LedgerLine]) -> Vec<u8> {
    let mut out = Vec::new();
    write_ledger(lines, &mut out).expect("write");
    out
}

fn amount_text(l: &LedgerLine) -> Option<String> {
    l.amount.map(|a| a.to_string())
}

/// (event, kind, status, amount) of every line, for the unit tests.
fn rows(lines: &[LedgerLine]) -> Vec<(String, String, String, String)> {
    lines
        .iter()
        .map(|l| {
            (
                l.event.to_string(),
                l.kind.to_string(),
                l.status.as_str().to_string(),
                amount_text(l).unwrap_or_default(),
            )
        })
        .collect()
}

fn expect_rows(lines: &[LedgerLine], want: &[(&str, &str, &str, &str)]) {
    let got = rows(lines);
    let want: Vec<(String, String, String, String)> = want
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(
        got,
        want,
        "\n{}",
        String::from_utf8_lossy(&ledger_bytes(lines))
    );
}

fn frac(q: Q) -> Frac {
    Frac::new(q.n, q.d).expect("a fraction")
}

/// Compares the engine's lines with the model's, field by field; the first
/// difference as a message.
fn compare(got: &[LedgerLine], want: &[Line]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("{} lines, the model has {}", got.len(), want.len()));
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let mut diffs = Vec::new();
        let mut check = |what: &str, a: String, b: String| {
            if a != b {
                diffs.push(format!("{what}: engine {a:?}, model {b:?}"));
            }
        };
        check("deal", g.deal.to_string(), w.deal.clone());
        check("event", g.event.to_string(), w.event.clone());
        check("kind", g.kind.to_string(), w.kind.clone());
        check("status", g.status.as_str().into(), w.status.into());
        check("rep", g.rep.to_string(), w.rep.clone());
        check("currency", g.currency.to_string(), w.currency.clone());
        check(
            "amount",
            format!("{:?}", amount_text(g)),
            format!("{:?}", w.amount_text()),
        );
        if w.status != "error" {
            check(
                "version",
                format!("{:?}", g.version),
                format!("{:?}", w.version),
            );
            check("policy", g.policy.to_string(), POLICY.into());
            check(
                "days_retained",
                format!("{:?}", g.days_retained),
                format!("{:?}", w.days),
            );
        }
        if w.status == "applied" {
            check(
                "rate",
                format!("{:?}", g.rate),
                format!("{:?}", w.rate.map(frac)),
            );
            check(
                "base",
                format!("{:?}", g.base),
                format!("{:?}", w.base.map(frac)),
            );
            let shown = w
                .rate
                .map(|r| fmt_norm(r.round(6, Mode::HalfEven), 6))
                .unwrap_or_default();
            check("rate_text", g.rate_text.to_string(), shown);
        }
        if !diffs.is_empty() {
            return Err(format!(
                "line {i} ({} {}): {}\n  engine: {g:?}\n  model:  {w:?}",
                w.deal,
                w.event,
                diffs.join("; ")
            ));
        }
    }
    Ok(())
}

// ------------------------------------------------------------- generation

const REPS: [&str; 3] = ["ana", "ben", "cho"];
const EVENT_REPS: [Option<&str>; 4] = [None, Some("ana"), Some("dee"), Some("eve")];
const CURRENCIES: [&str; 4] = ["USD", "EUR", "GBP", "JPY"];
const REASONS: [Option<&str>; 5] = [
    None,
    Some("churn"),
    Some("acquired"),
    Some("bankruptcy"),
    Some("budget"),
];
const TEAMS: [Option<&str>; 4] = [None, Some("support"), Some("sales"), Some("cs")];

#[derive(Debug, Clone)]
struct RawPlan {
    window: i64,
    prorated: bool,
    cuts: Vec<i64>,
    rates: Vec<i64>,
    except: Option<u8>,
    /// (rate, base is deal.amount, pay deal.rep, condition)
    ups: Vec<(i64, bool, bool, u8)>,
    /// (rate, days: None = the window)
    retention: Option<(i64, Option<i64>)>,
    mode: u8,
}

#[derive(Debug, Clone)]
struct RawDeal {
    rep: usize,
    currency: usize,
    amount: i64,
    value: i64,
    closed: i64,
    before_v1: bool,
}

#[derive(Debug, Clone)]
enum When {
    Uniform(u16),
    WindowEnd(bool),
    BandEdge(u8, bool),
    Before(u8),
    Far(u16),
    RetentionDay(i8),
    Tie(u8),
}

#[derive(Debug, Clone)]
struct RawEvent {
    deal: u8,
    unknown: bool,
    kind: u8,
    when: When,
    reason: usize,
    lost_pm: i64,
    foreign: bool,
    added: i64,
    added_none: bool,
    rep: usize,
    team: usize,
}

#[derive(Debug, Clone)]
struct RawCase {
    plans: Vec<RawPlan>,
    v2_offset: i64,
    deals: Vec<RawDeal>,
    events: Vec<RawEvent>,
    as_of: (u8, i64, bool),
}

fn clawback_rate() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => Just(10_000i64),
        3 => (0i64..=100).prop_map(|p| p * 100),
        3 => 0i64..=10_000,
        2 => prop::sample::select(vec![0i64, 1250, 2500, 3333, 5000, 6667, 10_000]),
    ]
}

fn bonus_rate() -> impl Strategy<Value = i64> {
    prop_oneof![(0i64..=20).prop_map(|p| p * 100), 0i64..=2_500]
}

prop_compose! {
    fn raw_plan()(
        window in 30i64..=200,
        prorated in any::<bool>(),
        cuts in vec(0i64..1_000, 0..5),
        rates in vec(clawback_rate(), 5),
        except in prop::option::of(0u8..3),
        ups in vec((bonus_rate(), any::<bool>(), any::<bool>(), 0u8..4), 0..=3),
        retention in prop::option::of((bonus_rate(), prop::option::of(10i64..=200))),
        mode in 0u8..3,
    ) -> RawPlan {
        RawPlan { window, prorated, cuts, rates, except, ups, retention, mode }
    }
}

fn units() -> impl Strategy<Value = i64> {
    prop_oneof![2 => 1i64..=9, 2 => 1i64..=300, 5 => 1i64..=2_000_000, 1 => Just(0i64)]
}

prop_compose! {
    fn raw_deal()(
        rep in 0usize..3,
        currency in 0usize..4,
        amount in units(),
        value in prop_oneof![1i64..=12, 1i64..=1_000, 100i64..=50_000_000],
        closed in 0i64..=330,
        before_v1 in prop::bool::weighted(0.07),
    ) -> RawDeal {
        RawDeal { rep, currency, amount, value, closed, before_v1 }
    }
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        6 => any::<u16>().prop_map(When::Uniform),
        2 => any::<bool>().prop_map(When::WindowEnd),
        2 => (any::<u8>(), any::<bool>()).prop_map(|(k, b)| When::BandEdge(k, b)),
        1 => any::<u8>().prop_map(When::Before),
        1 => any::<u16>().prop_map(When::Far),
        1 => (-1i8..=1).prop_map(When::RetentionDay),
        2 => any::<u8>().prop_map(When::Tie),
    ]
}

prop_compose! {
    fn raw_event()(
        deal in any::<u8>(),
        unknown in prop::bool::weighted(0.04),
        kind in prop_oneof![2 => Just(0u8), 4 => Just(1u8), 1 => Just(2u8), 2 => Just(3u8), 3 => Just(4u8)],
        when in when(),
        reason in 0usize..5,
        lost_pm in prop_oneof![6 => 1i64..=600, 1 => 600i64..=1_500, 1 => Just(1_000i64)],
        foreign in prop::bool::weighted(0.03),
        added in units(),
        added_none in prop::bool::weighted(0.04),
        rep in prop_oneof![1 => Just(0usize), 12 => 1usize..4],
        team in 0usize..4,
    ) -> RawEvent {
        RawEvent { deal, unknown, kind, when, reason, lost_pm, foreign, added, added_none, rep, team }
    }
}

prop_compose! {
    fn raw_case()(
        plans in vec(raw_plan(), 1..=2),
        v2_offset in 30i64..=300,
        deals in vec(raw_deal(), 1..=4),
        events in vec(raw_event(), 0..=12),
        as_of in (any::<u8>(), -1i64..=2, prop::bool::weighted(0.3)),
    ) -> RawCase {
        RawCase { plans, v2_offset, deals, events, as_of }
    }
}

prop_compose! {
    fn tiny_case()(
        window in 30i64..=120,
        prorated in prop::bool::weighted(0.2),
        mode in 0u8..3,
        deals in vec((1i64..=9, 2i64..=12, 0usize..4), 1..=2),
        events in vec((any::<u8>(), prop_oneof![6 => Just(1u8), 2 => Just(0u8), 2 => Just(2u8)], 0i64..=3, 1i64..=3), 1..=12),
    ) -> Case {
        let raw = RawPlan {
            window,
            prorated,
            cuts: vec![],
            rates: vec![10_000],
            except: None,
            ups: vec![],
            retention: Some((10_000, Some(5))),
            mode,
        };
        let plans = vec![build_plan(&raw, 1, date("2025-01-01"))];
        let deals: Vec<Deal> = deals
            .iter()
            .enumerate()
            .map(|(k, (amount, value, cur))| Deal {
                id: format!("T-{k}"),
                rep: REPS[k % 3].into(),
                currency: CURRENCIES[*cur],
                amount: *amount,
                value: *value,
                closed_on: date("2025-03-01"),
            })
            .collect();
        let events = events
            .iter()
            .enumerate()
            .map(|(k, (pick, kind, day, lost))| {
                let d = &deals[usize::from(*pick) % deals.len()];
                let kind = match kind {
                    0 => EvKind::Cancellation,
                    1 => EvKind::Downgrade,
                    _ => EvKind::Reinstatement,
                };
                Event {
                    id: format!("E-{k}"),
                    deal: d.id.clone(),
                    kind,
                    on: plus(d.closed_on, *day),
                    reason: None,
                    lost: (kind == EvKind::Downgrade).then_some(Money { units: *lost, currency: None }),
                    added: None,
                    rep: None,
                    team: None,
                }
            })
            .collect();
        Case { plans, deals, events, as_of: date("2025-12-31") }
    }
}

#[derive(Debug, Clone)]
struct Case {
    plans: Vec<Plan>,
    deals: Vec<Deal>,
    events: Vec<Event>,
    as_of: NaiveDate,
}

fn build_plan(r: &RawPlan, version: i64, effective: NaiveDate) -> Plan {
    let sched = if r.prorated {
        Sched::Prorated
    } else {
        // A cut c ends a band on day c; the next starts on c + 1.
        let mut cuts: Vec<i64> = r.cuts.iter().map(|c| c % r.window).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut bands = Vec::new();
        let mut start = 0;
        for (k, c) in cuts.iter().enumerate() {
            bands.push((start, *c, r.rates[k % r.rates.len()]));
            start = c + 1;
        }
        bands.push((start, r.window, r.rates[cuts.len() % r.rates.len()]));
        Sched::Bands(bands)
    };
    let except = r.except.map(|k| match k {
        0 => vec!["acquired", "bankruptcy"],
        1 => vec!["acquired"],
        _ => vec!["churn"],
    });
    let ups = r
        .ups
        .iter()
        .enumerate()
        .map(|(k, (rate, deal_amount, deal_rep, cond))| UpRule {
            name: format!("upsell_{k}"),
            rate_h: *rate,
            base: if *deal_amount {
                Base::DealAmount
            } else {
                Base::AddedValue
            },
            to: if *deal_rep { To::DealRep } else { To::EventRep },
            cond: match cond {
                0 => Cond::Always,
                1 => Cond::TeamIs("support"),
                2 => Cond::TeamIs("sales"),
                _ => Cond::TeamIn(vec!["sales", "support"]),
            },
        })
        .collect();
    Plan {
        version,
        effective,
        window: r.window,
        sched,
        except,
        ups,
        retention: r.retention.map(|(rate_h, days)| Retention {
            rate_h,
            days: days.unwrap_or(r.window),
        }),
        mode: match r.mode {
            0 => Mode::HalfEven,
            1 => Mode::HalfUp,
            _ => Mode::Down,
        },
    }
}

fn build(raw: &RawCase) -> Case {
    let v1 = date("2025-01-01");
    let plans: Vec<Plan> = raw
        .plans
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let eff = if k == 0 { v1 } else { plus(v1, raw.v2_offset) };
            build_plan(p, k as i64 + 1, eff)
        })
        .collect();
    let deals: Vec<Deal> = raw
        .deals
        .iter()
        .enumerate()
        .map(|(k, d)| Deal {
            id: format!("D-{k}"),
            rep: REPS[d.rep].into(),
            currency: CURRENCIES[d.currency],
            amount: d.amount,
            value: d.value,
            closed_on: if d.before_v1 {
                plus(date("2024-12-01"), d.closed % 31)
            } else {
                plus(v1, d.closed)
            },
        })
        .collect();
    let gov = |d: &Deal| plan_for(&plans, d.closed_on).unwrap_or(&plans[0]).clone();
    let mut events: Vec<Event> = Vec::new();
    let mut toggled: std::collections::HashMap<String, bool> = Default::default();
    for (k, r) in raw.events.iter().enumerate() {
        let deal = &deals[usize::from(r.deal) % deals.len()];
        let plan = gov(deal);
        let n = plan.window;
        let m = plan.retention.as_ref().map_or(n, |x| x.days);
        let offset = match &r.when {
            When::Uniform(u) => i64::from(*u) % (n + 6),
            When::WindowEnd(b) => n + i64::from(*b),
            When::BandEdge(j, b) => match &plan.sched {
                Sched::Prorated => n / 2 + i64::from(*b),
                Sched::Bands(bands) => bands[usize::from(*j) % bands.len()].1 + i64::from(*b),
            },
            When::Before(j) => -1 - i64::from(*j % 3),
            When::Far(j) => n + 2 + i64::from(*j % 100),
            When::RetentionDay(j) => m + i64::from(*j),
            When::Tie(_) => 0,
        };
        let on = match &r.when {
            // A tie with an earlier event of the same deal.
            When::Tie(j) => {
                let same: Vec<NaiveDate> = events
                    .iter()
                    .filter(|e| e.deal == deal.id)
                    .map(|e| e.on)
                    .collect();
                if same.is_empty() {
                    plus(deal.closed_on, i64::from(*j) % (n + 1))
                } else {
                    same[usize::from(*j) % same.len()]
                }
            }
            _ => plus(deal.closed_on, offset),
        };
        let kind = match r.kind {
            0 => EvKind::Cancellation,
            1 => EvKind::Downgrade,
            2 => EvKind::Reinstatement,
            3 => EvKind::Upgrade,
            // Toggle: cancel, then reinstate, in input order per deal, so
            // that reinstatements often have something to undo.
            _ => {
                let cancelled = toggled.entry(deal.id.clone()).or_insert(false);
                *cancelled = !*cancelled;
                if *cancelled {
                    EvKind::Cancellation
                } else {
                    EvKind::Reinstatement
                }
            }
        };
        let other = if deal.currency == "JPY" { "USD" } else { "JPY" };
        let money = |units: i64| Money {
            units,
            currency: if r.foreign { Some(other) } else { None },
        };
        let lost = (kind == EvKind::Downgrade).then(|| {
            let u = (i128::from(deal.value) * i128::from(r.lost_pm) / 1000).max(1);
            money(i64::try_from(u).expect("small"))
        });
        let added = (kind == EvKind::Upgrade && !r.added_none).then(|| money(r.added));
        events.push(Event {
            id: format!("E-{k}"),
            deal: if r.unknown {
                "D-404".into()
            } else {
                deal.id.clone()
            },
            kind,
            on,
            reason: REASONS[r.reason],
            lost,
            added,
            rep: EVENT_REPS[r.rep].map(String::from),
            team: TEAMS[r.team],
        });
    }
    let (pick, delta, far) = raw.as_of;
    let as_of = if far {
        date("2027-06-30")
    } else {
        let d = &deals[usize::from(pick) % deals.len()];
        let p = gov(d);
        let m = p.retention.as_ref().map_or(p.window, |x| x.days);
        plus(d.closed_on, m + delta)
    };
    Case {
        plans,
        deals,
        events,
        as_of,
    }
}

impl Case {
    fn sources(&self) -> Vec<String> {
        self.plans.iter().map(Plan::source).collect()
    }
    fn deals_csv(&self) -> String {
        deals_csv(&self.deals)
    }
    fn events_csv(&self) -> String {
        events_csv(&self.events, &self.deals)
    }
    fn run(&self) -> Ledger {
        run_text(
            &self.sources(),
            &self.deals_csv(),
            &self.events_csv(),
            self.as_of,
        )
    }
    fn model(&self) -> Outcome {
        model(&self.plans, &self.deals, &self.events, self.as_of)
    }
    /// Everything needed to reproduce a failure by hand.
    fn dump(&self) -> String {
        format!(
            "--- policies\n{}\n--- deals.csv\n{}--- events.csv\n{}--- as of {}",
            self.sources().join("\n"),
            self.deals_csv(),
            self.events_csv(),
            self.as_of
        )
    }
}

/// `cases`, or `PROPTEST_CASES` when set (for longer runs by hand).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn dec_q(d: Decimal) -> Q {
    Q::from_decimal(d)
}

// ------------------------------------------------------------- properties

proptest! {
    #![proptest_config(config(192))]

    /// 1. Every line equals the model's: status, kind, rep, exact rate and
    ///    base, amount rounded once. 2. The running clawback total never
    ///    exceeds the amount paid. 4. The summary is the sum of the lines.
    ///    5. The same inputs give the same bytes.
    #[test]
    fn ledger_matches_the_exact_model(raw in raw_case()) {
        check_case(&build(&raw))?;
    }

    /// The cap and `nothing_left`: tiny commissions on tiny contract
    /// values, 100% or prorated early days, long downgrade and
    /// cancel/reinstate chains, so rounding pushes totals to the amount.
    #[test]
    fn tiny_commissions_are_never_over_clawed(case in tiny_case()) {
        check_case(&case)?;
    }

    /// 3. `diff_posted` against the ledger itself is empty; against a
    ///    perturbed copy it is exactly the perturbation, and booking it
    ///    closes the difference.
    #[test]
    fn posted_diff_is_exactly_the_perturbation(
        raw in raw_case(),
        ops in vec((0u8..3, any::<u16>(), prop_oneof![-50_000i64..=-1, 1i64..=50_000]), 0..4),
    ) {
        let case = build(&raw);
        let ledger = case.run();
        let full = ledger_bytes(&ledger.lines);
        let posted = read_posted(&full[..]).expect("the ledger reads back");
        let booked = ledger.lines.iter().filter(|l| l.status != Status::Error).count();
        prop_assert_eq!(posted.len(), booked);
        let d0 = diff_posted(&ledger.lines, &posted).expect("amounts in range");
        prop_assert!(d0.is_empty(), "diff against itself: {:?}", d0);

        // Perturb: drop a line, change an amount, add a bogus key.
        let live: Vec<usize> = (0..ledger.lines.len())
            .filter(|&i| ledger.lines[i].status != Status::Error)
            .collect();
        let mut dropped = std::collections::BTreeSet::new();
        let mut changed: std::collections::BTreeMap<usize, i64> = Default::default();
        let mut bogus: Vec<(usize, i64)> = Vec::new();
        for (k, (op, pick, delta)) in ops.iter().enumerate() {
            match op {
                0 | 1 if !live.is_empty() => {
                    let i = live[usize::from(*pick) % live.len()];
                    if dropped.contains(&i) || changed.contains_key(&i) {
                        continue;
                    }
                    if *op == 0 {
                        dropped.insert(i);
                    } else {
                        changed.insert(i, *delta);
                    }
                }
                _ => bogus.push((k, *delta)),
            }
        }
        let mut perturbed: Vec<LedgerLine> = Vec::new();
        for (i, l) in ledger.lines.iter().enumerate() {
            if dropped.contains(&i) {
                continue;
            }
            let mut l = l.clone();
            if let Some(delta) = changed.get(&i) {
                let p = places(l.currency.as_str());
                l.amount = Some(l.amount.expect("an amount") + Decimal::new(*delta, p));
            }
            perturbed.push(l);
        }
        for (k, a) in &bogus {
            perturbed.push(bogus_line(*k, *a));
        }
        let posted = read_posted(&ledger_bytes(&perturbed)[..]).expect("reads back");
        let diff = diff_posted(&ledger.lines, &posted).expect("amounts in range");
        // The streamed run against the same booked file prints exactly
        // the collected difference, and reports the same error lines.
        let (streamed, messages) = posted_stream(&case, &ledger_bytes(&perturbed));
        prop_assert!(streamed == ledger_bytes(&diff), "streamed:\n{}\ncollected:\n{}\n{}",
            String::from_utf8_lossy(&streamed), String::from_utf8_lossy(&ledger_bytes(&diff)), case.dump());
        let errors: Vec<&str> = ledger.lines.iter()
            .filter(|l| l.status == Status::Error)
            .map(|l| l.explanation.as_str())
            .collect();
        prop_assert_eq!(messages.iter().map(String::as_str).collect::<Vec<_>>(), errors);

        let mut want: Vec<(String, String, String, String)> = Vec::new();
        for (i, l) in ledger.lines.iter().enumerate() {
            let key = (l.deal.to_string(), l.event.to_string(), l.kind.to_string());
            let p = places(l.currency.as_str());
            if dropped.contains(&i) && !l.amount.expect("an amount").is_zero() {
                let a = dec_q(l.amount.expect("an amount")) * Q::int(10i128.pow(p));
                want.push((key.0, key.1, key.2, fmt_units(a.n, p)));
            } else if let Some(delta) = changed.get(&i) {
                want.push((key.0, key.1, key.2, fmt_units(-i128::from(*delta), p)));
            }
        }
        for (k, a) in &bogus {
            want.push((format!("BOGUS-{k}"), "B-1".into(), "clawback".into(), fmt_units(-i128::from(*a), 2)));
        }
        let got: Vec<(String, String, String, String)> = diff
            .iter()
            .map(|l| (l.deal.to_string(), l.event.to_string(), l.kind.to_string(), amount_text(l).unwrap_or_default()))
            .collect();
        prop_assert_eq!(&got, &want, "{}", case.dump());

        // Booking the printed lines closes the difference.
        let mut rebooked = perturbed.clone();
        rebooked.extend(diff.iter().cloned());
        let posted = read_posted(&ledger_bytes(&rebooked)[..]).expect("reads back");
        let rest = diff_posted(&ledger.lines, &posted).expect("amounts in range");
        prop_assert!(rest.is_empty(), "after booking the diff: {:?}", rest);
    }

    /// Rounding of the model against rust_decimal's own strategies, on
    /// arbitrary fractions (the model's rounding is the yardstick of every
    /// other property, so it is checked too).
    #[test]
    fn model_rounding_agrees_with_rust_decimal(n in -10_000_000i64..=10_000_000, scale in 0u32..=5, p in 0u32..=2) {
        use rust_decimal::RoundingStrategy as R;
        let d = Decimal::new(n, scale);
        let q = Q::from_decimal(d);
        for (mode, strat) in [
            (Mode::HalfEven, R::MidpointNearestEven),
            (Mode::HalfUp, R::MidpointAwayFromZero),
            (Mode::Down, R::ToZero),
        ] {
            let want = d.round_dp_with_strategy(p, strat);
            let got = Q::units(q.round(p, mode), p);
            prop_assert_eq!(got, Q::from_decimal(want), "{} {:?} {}", d, mode, p);
        }
    }
}

/// Properties 1, 2, 4 and 5 on one case.
fn check_case(case: &Case) -> Result<(), TestCaseError> {
    let ledger = case.run();
    let want = case.model();
    if let Err(msg) = compare(&ledger.lines, &want.lines) {
        return Err(TestCaseError::fail(format!(
            "{msg}\n{}\n--- ledger\n{}",
            case.dump(),
            String::from_utf8_lossy(&ledger_bytes(&ledger.lines))
        )));
    }

    // 2. Per deal, in date order, the running total of clawback and
    // reinstatement lines stays within [-amount, 0].
    for d in &case.deals {
        let mut idx: Vec<usize> = (0..case.events.len())
            .filter(|&i| {
                ledger.lines[i].deal.as_str() == d.id.as_str()
                    && ledger.lines[i].status != Status::Error
                    && (ledger.lines[i].kind.as_str() == "clawback"
                        || ledger.lines[i].kind.as_str() == "reinstatement")
            })
            .collect();
        idx.sort_by_key(|&i| (case.events[i].on, i));
        let paid = Q::units(d.amount.into(), places(d.currency));
        let mut total = Q::zero();
        for i in idx {
            total = total + dec_q(ledger.lines[i].amount.expect("an amount"));
            prop_assert!(
                total >= -paid && total <= Q::zero(),
                "deal {}: running total {:?} after {} outside [-{:?}, 0]\n{}",
                d.id,
                total,
                ledger.lines[i].event,
                paid,
                case.dump()
            );
        }
    }

    // 4. The summary: the model's sums, and the sums of the engine's
    // own lines.
    let summary = ledger.summary().expect("sums in range");
    let got: Vec<SumRow> = summary
        .iter()
        .map(|r| {
            (
                r.rep.clone(),
                r.currency.clone(),
                dec_q(r.paid),
                dec_q(r.clawed_back),
                dec_q(r.reinstated),
                dec_q(r.bonuses),
                dec_q(r.net),
            )
        })
        .collect();
    prop_assert_eq!(&got, &summary_of_model(&want), "{}", case.dump());
    let from_lines = summary_of_model(&Outcome {
        lines: ledger
            .lines
            .iter()
            .map(|l| Line {
                deal: l.deal.to_string(),
                rep: l.rep.to_string(),
                event: l.event.to_string(),
                kind: l.kind.to_string(),
                status: l.status.as_str(),
                version: l.version,
                days: l.days_retained,
                amount: l.amount.map(|a| {
                    let q = dec_q(a) * Q::int(10i128.pow(places(l.currency.as_str())));
                    assert_eq!(q.d, 1, "amount on the minor unit");
                    q.n
                }),
                places: places(l.currency.as_str()),
                currency: l.currency.to_string(),
                rate: None,
                base: None,
                cut: false,
            })
            .collect(),
        paid: ledger
            .paid
            .iter()
            .map(|(r, c, a)| (r.clone(), c.clone(), dec_q(*a)))
            .collect(),
    });
    prop_assert_eq!(&got, &from_lines);
    for r in &summary {
        prop_assert!(r.clawed_back <= Decimal::ZERO);
        prop_assert_eq!(r.net, r.paid + r.clawed_back + r.reinstated + r.bonuses);
    }

    // 5. Determinism: twice, and from a freshly loaded policy set.
    let again = case.run();
    prop_assert_eq!(ledger_bytes(&ledger.lines), ledger_bytes(&again.lines));
    let set = policy_set(&case.sources());
    let third = clawback(
        &set,
        &csv_table(&case.deals_csv()),
        &csv_table(&case.events_csv()),
        case.as_of,
    );
    prop_assert_eq!(ledger_bytes(&ledger.lines), ledger_bytes(&third.lines));
    // The same rows as JSON objects (amounts as exact JSON numbers) give
    // the same ledger, but for the input lines that error lines name (a
    // JSON row's line is its place in the list, a CSV row's follows the
    // header).
    let json = clawback(
        &set,
        &Table::from_json(json_rows(&case.deals_csv())),
        &Table::from_json(json_rows(&case.events_csv())),
        case.as_of,
    );
    prop_assert_eq!(
        input_lines_blanked(&String::from_utf8_lossy(&ledger_bytes(&ledger.lines))),
        input_lines_blanked(&String::from_utf8_lossy(&ledger_bytes(&json.lines)))
    );
    Ok(())
}

/// `text` with the number after every `deals line ` / `events line `
/// replaced by `_`.
fn input_lines_blanked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = ["deals line ", "events line "]
        .iter()
        .filter_map(|m| rest.find(m).map(|i| (i, m.len())))
        .min()
    {
        let (i, n) = at;
        out.push_str(&rest[..i + n]);
        rest = rest[i + n..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('_');
    }
    out.push_str(rest);
    out
}

/// CSV text (no quoting) as JSON objects: empty cells left out, plain
/// amounts as JSON numbers (exact with `arbitrary_precision`).
fn json_rows(csv: &str) -> Vec<serde_json::Value> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    lines
        .map(|line| {
            let mut o = serde_json::Map::new();
            for (h, v) in header.iter().zip(line.split(',')) {
                if v.is_empty() {
                    continue;
                }
                let money = ["amount", "deal_value", "lost_value", "added_value"].contains(h);
                let value = if money && v.parse::<f64>().is_ok() {
                    serde_json::from_str(v).expect("a JSON number")
                } else {
                    serde_json::Value::String(v.to_string())
                };
                o.insert(h.to_string(), value);
            }
            serde_json::Value::Object(o)
        })
        .collect()
}

fn summary_of_model(o: &Outcome) -> Vec<SumRow> {
    clawback_model::summary(o)
}

fn bogus_line(k: usize, amount: i64) -> LedgerLine {
    LedgerLine {
        deal: format!("BOGUS-{k}").as_str().into(),
        rep: "zed".into(),
        event: "B-1".into(),
        kind: "clawback".into(),
        status: Status::Applied,
        policy: POLICY.into(),
        version: Some(1),
        days_retained: Some(3),
        rate: None,
        base: None,
        rate_text: "0.5".into(),
        base_text: "10.00".into(),
        amount: Some(Decimal::new(amount, 2)),
        currency: "USD".into(),
        explanation: "booked by hand, \"quoted\", with commas".into(),
        line: 0,
    }
}

// --------------------------------------------------------------- unit tests

const HEADER: &str = "policy \"unit\" version 1 effective 2026-01-01\n  timezone \"UTC\"\n";
const DEALS_HEAD: &str = "deal,rep,amount,currency,deal_value,closed_on\n";
const EVENTS_HEAD: &str = "event,deal,type,on,reason,lost_value,added_value,rep,team\n";

fn unit_policy(body: &str) -> Vec<String> {
    vec![format!("{HEADER}\ncommission unit_plan {{\n{body}\n}}\n")]
}

fn unit(body: &str, deals: &str, events: &str, as_of: &str) -> Ledger {
    run_text(
        &unit_policy(body),
        &format!("{DEALS_HEAD}{deals}"),
        &format!("{EVENTS_HEAD}{events}"),
        date(as_of),
    )
}

const TIERS: &str =
    "  clawback within 90 days of closed_on except when event.reason in {\"acquired\"} {
    days 0 to 30: 100%
    days 31 to 60: 60%
    days 61 to 90: 30%
  }";

#[test]
fn day_n_is_inside_and_day_n_plus_1_outside() {
    // closed 2026-01-01: day 90 is 2026-04-01, day 91 2026-04-02.
    let l = unit(
        TIERS,
        "A,ana,1000.00,USD,10000.00,2026-01-01\nB,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,cancellation,2026-04-01,churn,,,,\nE2,B,cancellation,2026-04-02,churn,,,,\n",
        "2026-06-30",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "-300.00"),
            ("E2", "clawback", "outside_window", "0.00"),
        ],
    );
    assert_eq!(l.lines[0].days_retained, Some(90));
    assert_eq!(l.lines[1].days_retained, Some(91));
    // Prorated: day N is inside with rate 0, so an applied zero.
    let l = unit(
        "  clawback within 90 days of closed_on prorated",
        "A,ana,1000.00,USD,10000.00,2026-01-01\nB,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,cancellation,2026-04-01,,,,,\nE2,B,cancellation,2026-04-02,,,,,\n",
        "2026-06-30",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "0.00"),
            ("E2", "clawback", "outside_window", "0.00"),
        ],
    );
}

#[test]
fn band_edges_last_day_and_first_day_of_the_next() {
    // amount 1000 on 10000: a 1000 downgrade has base 100.00.
    let deals: String = (30..=31)
        .chain(60..=61)
        .map(|d| format!("D{d},ana,1000.00,USD,10000.00,2026-01-01\n"))
        .collect();
    let events: String = (30..=31)
        .chain(60..=61)
        .map(|d| {
            format!(
                "E{d},D{d},downgrade,{},price,1000.00,,,\n",
                plus(date("2026-01-01"), d)
            )
        })
        .collect();
    let l = unit(TIERS, &deals, &events, "2026-02-01");
    expect_rows(
        &l.lines,
        &[
            ("E30", "clawback", "applied", "-100.00"),
            ("E31", "clawback", "applied", "-60.00"),
            ("E60", "clawback", "applied", "-60.00"),
            ("E61", "clawback", "applied", "-30.00"),
        ],
    );
    assert_eq!(
        l.lines
            .iter()
            .map(|x| x.rate_text.as_str())
            .collect::<Vec<_>>(),
        ["1", "0.6", "0.6", "0.3"]
    );
}

#[test]
fn downgrade_then_cancellation_claws_back_the_remaining_value() {
    // Downgrade 12000 of 30000 on day 10 (100%): 3000 × 12000/30000 = 1200.
    // Cancellation on day 40 (60%): remaining 18000 → 0.6 × 3000 × 18000/30000 = 1080.
    let l = unit(
        TIERS,
        "A,ana,3000.00,USD,30000.00,2026-01-01\n",
        "E1,A,downgrade,2026-01-11,price,12000.00,,,\nE2,A,cancellation,2026-02-10,churn,,,,\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "-1200.00"),
            ("E2", "clawback", "applied", "-1080.00"),
        ],
    );
    assert_eq!(l.lines[1].base, Some(Frac::new(1800, 1).unwrap()));
}

#[test]
fn cancellation_reinstatement_cancellation() {
    let l = unit(
        TIERS,
        "A,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,cancellation,2026-01-06,churn,,,,\n\
         E2,A,reinstatement,2026-01-21,,,,,\n\
         E3,A,cancellation,2026-02-15,churn,,,,\n\
         E4,A,reinstatement,2026-04-11,,,,,\n\
         E5,A,cancellation,2026-04-12,churn,,,,\n\
         E6,A,reinstatement,2026-04-13,,,,,\n",
        "2026-02-01",
    );
    // E3 on day 45 (60%); E4 on day 100: outside, but the deal is active
    // again, so E5 is not an error; E6 undoes E5, outside the window too.
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "-1000.00"),
            ("E2", "reinstatement", "applied", "1000.00"),
            ("E3", "clawback", "applied", "-600.00"),
            ("E4", "reinstatement", "outside_window", "0.00"),
            ("E5", "clawback", "outside_window", "0.00"),
            ("E6", "reinstatement", "outside_window", "0.00"),
        ],
    );
    // A second cancellation while cancelled, a reinstatement while active.
    let l = unit(
        TIERS,
        "A,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,reinstatement,2026-01-02,,,,,\nE2,A,cancellation,2026-01-06,churn,,,,\nE3,A,cancellation,2026-01-07,churn,,,,\nE4,A,downgrade,2026-01-08,price,10.00,,,\nE5,A,upgrade,2026-01-09,,,10.00,ana,support\nE6,A,reinstatement,2026-01-10,,,,,\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "reinstatement", "error", ""),
            ("E2", "clawback", "applied", "-1000.00"),
            ("E3", "clawback", "error", ""),
            ("E4", "clawback", "error", ""),
            ("E5", "upgrade", "error", ""),
            ("E6", "reinstatement", "applied", "1000.00"),
        ],
    );
}

#[test]
fn excluded_cancellation_is_reinstated_for_zero() {
    let l = unit(
        TIERS,
        "A,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,cancellation,2026-01-06,acquired,,,,\nE2,A,reinstatement,2026-01-21,,,,,\nE3,A,cancellation,2026-01-22,,,,,\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "excluded", "0.00"),
            ("E2", "reinstatement", "applied", "0.00"),
            ("E3", "clawback", "applied", "-1000.00"),
        ],
    );
}

#[test]
fn jpy_rounds_to_whole_yen() {
    // 10001 × 1/2 = 5000.5 yen; 40/60 × 100001 = 66667.33 yen.
    let deals = "J1,ana,10001,JPY,2,2026-01-01\nJ2,ana,100001,JPY,3000000,2026-01-01\n";
    let events = "E1,J1,downgrade,2026-01-01,,1,,,\nE2,J2,cancellation,2026-01-21,,,,,\n";
    for (mode, half) in [
        ("half_even", "-5000"),
        ("half_up", "-5001"),
        ("down", "-5000"),
    ] {
        let body = format!("  clawback within 60 days of closed_on prorated\n  rounding {mode}");
        let l = unit(&body, deals, events, "2026-02-01");
        expect_rows(
            &l.lines,
            &[
                ("E1", "clawback", "applied", half),
                ("E2", "clawback", "applied", "-66667"),
            ],
        );
        assert_eq!(l.lines[1].base_text, "100001");
        assert_eq!(l.lines[1].rate_text, "0.666667");
    }
    // 2/3 × 100000 = 66666.67 → half_even −66667, down −66666.
    for (mode, want) in [
        ("half_even", "-66667"),
        ("half_up", "-66667"),
        ("down", "-66666"),
    ] {
        let body = format!("  clawback within 60 days of closed_on prorated\n  rounding {mode}");
        let l = unit(
            &body,
            "J,ana,100000,JPY,3000000,2026-01-01\n",
            "E1,J,cancellation,2026-01-21,,,,,\n",
            "2026-02-01",
        );
        expect_rows(&l.lines, &[("E1", "clawback", "applied", want)]);
    }
}

#[test]
fn half_up_and_half_even_on_an_exact_half_cent() {
    // Clawbacks: 10.25 × 1/2 = 5.125 (even neighbour below), 10.35 × 1/2 =
    // 5.175 (even neighbour above). Upgrade bonus: 5% × 0.50 = 0.025.
    // Retention (12.5% of the amount, scaled by the remaining half for A
    // and B): A 0.640625, B 0.646875, C 12.5% × 0.20 = 0.025.
    let deals = "A,ana,10.25,USD,2.00,2026-01-01\nB,ana,10.35,USD,2.00,2026-01-01\nC,ben,0.20,EUR,5.00,2026-01-01\n";
    let events = "E1,A,downgrade,2026-01-01,,1.00,,,\nE2,B,downgrade,2026-01-01,,1.00,,,\nE3,C,upgrade,2026-01-02,,,0.50,eve,\n";
    for (mode, a, b, bonus, keep_b, keep_c) in [
        ("half_even", "-5.12", "-5.18", "0.02", "0.65", "0.02"),
        ("half_up", "-5.13", "-5.18", "0.03", "0.65", "0.03"),
        ("down", "-5.12", "-5.17", "0.02", "0.64", "0.02"),
    ] {
        let body = format!(
            "  clawback within 30 days of closed_on {{\n    days 0 to 30: 100%\n  }}\n  bonus any: 5% of event.added_value on upgrade to event.rep\n  bonus retention: 12.5% of deal.amount if retained 30 days after closed_on\n  rounding {mode}"
        );
        let l = unit(&body, deals, events, "2026-03-01");
        expect_rows(
            &l.lines,
            &[
                ("E1", "clawback", "applied", a),
                ("E2", "clawback", "applied", b),
                ("E3", "bonus:any", "applied", bonus),
                ("", "bonus:retention", "applied", "0.64"),
                ("", "bonus:retention", "applied", keep_b),
                ("", "bonus:retention", "applied", keep_c),
            ],
        );
        assert_eq!(l.lines[2].rep, "eve");
    }
}

#[test]
fn lost_value_beyond_the_remaining_value_is_an_error_that_changes_nothing() {
    let l = unit(
        TIERS,
        "A,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,downgrade,2026-01-02,price,6000.00,,,\n\
         E2,A,downgrade,2026-01-03,price,5000.00,,,\n\
         E3,A,downgrade,2026-01-04,price,4000.00,,,\n\
         E4,A,cancellation,2026-01-05,churn,,,,\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "-600.00"),
            ("E2", "clawback", "error", ""),
            ("E3", "clawback", "applied", "-400.00"),
            // The whole 1000.00 is already clawed back.
            ("E4", "clawback", "nothing_left", "0.00"),
        ],
    );
    assert!(
        l.lines[1].explanation.contains("remaining"),
        "{}",
        l.lines[1].explanation
    );
    // Outside the window the check still applies (an error, not outside_window).
    let l = unit(
        TIERS,
        "A,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,downgrade,2026-09-01,price,10000.01,,,\n",
        "2026-02-01",
    );
    expect_rows(&l.lines, &[("E1", "clawback", "error", "")]);
}

#[test]
fn an_event_before_the_anchor_is_an_error() {
    let l = unit(
        TIERS,
        "A,ana,1000.00,USD,10000.00,2026-01-10\n",
        "E1,A,cancellation,2026-01-09,churn,,,,\nE2,A,upgrade,2026-01-01,,,50.00,ana,sales\nE3,A,cancellation,2026-01-10,churn,,,,\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "error", ""),
            ("E2", "upgrade", "error", ""),
            ("E3", "clawback", "applied", "-1000.00"),
        ],
    );
    assert_eq!(l.lines[2].days_retained, Some(0));
}

#[test]
fn an_event_for_an_unknown_deal_is_an_error() {
    let l = unit(
        TIERS,
        "A,ana,1000.00,USD,10000.00,2026-01-10\n",
        "E1,NOPE,cancellation,2026-01-19,churn,,,,\nE2,A,cancellation,2026-01-19,churn,,,,\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "error", ""),
            ("E2", "clawback", "applied", "-1000.00"),
        ],
    );
    assert_eq!(l.lines[0].deal, "NOPE");
    assert!(l.lines[0].explanation.contains("NOPE"));
}

#[test]
fn money_in_another_currency_is_an_error() {
    let l = unit(
        &format!("{TIERS}\n  bonus up: 10% of event.added_value on upgrade to event.rep"),
        "A,ana,1000.00,USD,10000.00,2026-01-10\nB,ben,100.00 EUR,USD,1000.00,2026-01-10\n",
        "E1,A,downgrade,2026-01-19,price,100.00 EUR,,,\n\
         E2,A,upgrade,2026-01-19,,,100 JPY,ana,\n\
         E3,B,cancellation,2026-01-19,churn,,,,\n\
         E4,A,downgrade,2026-01-19,price,100.00 USD,,,\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "error", ""),
            ("E2", "upgrade", "error", ""),
            ("E3", "clawback", "error", ""),
            ("E4", "clawback", "applied", "-10.00"),
            ("", "", "error", ""),
        ],
    );
    assert_eq!(l.lines[4].deal, "B");
    // The bad deal pays nothing in the summary.
    assert!(l
        .summary()
        .expect("sums in range")
        .iter()
        .all(|r| r.rep != "ben"));
}

#[test]
fn rounding_can_exhaust_the_commission_then_lines_are_cut_and_nothing_is_left() {
    // 0.05 on 3.00: each 1.00 downgrade is 0.0166… → 0.02.
    let l = unit(
        TIERS,
        "A,ana,0.05,USD,3.00,2026-01-01\n",
        "E1,A,downgrade,2026-01-02,,1.00,,,\n\
         E2,A,downgrade,2026-01-03,,1.00,,,\n\
         E3,A,downgrade,2026-01-04,,0.50,,,\n\
         E4,A,cancellation,2026-01-05,,,,,\n\
         E5,A,reinstatement,2026-01-06,,,,,\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "-0.02"),
            ("E2", "clawback", "applied", "-0.02"),
            ("E3", "clawback", "applied", "-0.01"),
            ("E4", "clawback", "nothing_left", "0.00"),
            ("E5", "reinstatement", "applied", "0.00"),
        ],
    );
    let l = unit(
        TIERS,
        "A,ana,0.05,USD,3.00,2026-01-01\n",
        "E1,A,downgrade,2026-01-02,,1.00,,,\nE2,A,downgrade,2026-01-03,,1.00,,,\nE3,A,cancellation,2026-01-04,,,,,\n",
        "2026-02-01",
    );
    // E3: 0.0166… → 0.02, cut to the 0.01 left: still applied.
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "-0.02"),
            ("E2", "clawback", "applied", "-0.02"),
            ("E3", "clawback", "applied", "-0.01"),
        ],
    );
}

#[test]
fn retention_bonus_boundaries() {
    let body = format!(
        "{TIERS}\n  bonus retention: 2% of deal.amount if retained 90 days after closed_on"
    );
    let deals = "A,ana,1000.00,USD,10000.00,2026-01-01\n\
                 B,ana,1000.00,USD,10000.00,2026-01-01\n\
                 C,ana,1000.00,USD,10000.00,2026-01-01\n\
                 D,ana,1000.00,USD,10000.00,2026-01-01\n";
    // B cancelled on day 90 (forfeits), C on day 91 (kept), D downgraded
    // by half on day 90 (base halved) and cancelled on day 91.
    let events = "E1,B,cancellation,2026-04-01,,,,,\n\
                  E2,C,cancellation,2026-04-02,,,,,\n\
                  E3,D,downgrade,2026-04-01,,5000.00,,,\n\
                  E4,D,cancellation,2026-04-02,,,,,\n";
    // Day 90 is 2026-04-01: as of that day (and the day after anchor + 90 = 04-01) not due.
    let l = unit(&body, deals, events, "2026-04-01");
    assert_eq!(l.lines.len(), 4, "{:?}", rows(&l.lines));
    let l = unit(&body, deals, events, "2026-04-02");
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "-300.00"),
            ("E2", "clawback", "outside_window", "0.00"),
            ("E3", "clawback", "applied", "-150.00"),
            ("E4", "clawback", "outside_window", "0.00"),
            ("", "bonus:retention", "applied", "20.00"),
            ("", "bonus:retention", "applied", "20.00"),
            ("", "bonus:retention", "applied", "10.00"),
        ],
    );
    assert_eq!(
        l.lines[4..]
            .iter()
            .map(|x| x.deal.as_str())
            .collect::<Vec<_>>(),
        ["A", "C", "D"]
    );
}

#[test]
fn upgrade_rules_are_tried_in_order() {
    let body = format!(
        "{TIERS}\n  bonus support_upsell: 5% of event.added_value on upgrade to event.rep when event.team == \"support\"\n  bonus expansion: 3% of event.added_value on upgrade to deal.rep when event.team in {{\"sales\", \"support\"}}"
    );
    let l = unit(
        &body,
        "A,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,upgrade,2026-01-02,,,1000.00,lena,support\n\
         E2,A,upgrade,2026-01-03,,,1000.00,lena,sales\n\
         E3,A,upgrade,2026-01-04,,,1000.00,lena,\n\
         E4,A,upgrade,2027-01-04,,,1000.00,lena,sales\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "bonus:support_upsell", "applied", "50.00"),
            ("E2", "bonus:expansion", "applied", "30.00"),
            ("E3", "upgrade", "not_eligible", "0.00"),
            ("E4", "bonus:expansion", "applied", "30.00"),
        ],
    );
    assert_eq!(
        l.lines.iter().map(|x| x.rep.as_str()).collect::<Vec<_>>(),
        ["lena", "ana", "ana", "ana"]
    );
}

#[test]
fn ties_keep_input_order_and_lines_keep_input_order() {
    // Same day: the reinstatement listed first is an error (the deal is
    // still active), then the cancellation applies. Lines are printed in
    // input order even when dates are not.
    let l = unit(
        TIERS,
        "A,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,cancellation,2026-02-15,,,,,\nE2,A,reinstatement,2026-01-05,,,,,\nE3,A,cancellation,2026-01-05,,,,,\nE4,A,reinstatement,2026-01-05,,,,,\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "-600.00"),
            ("E2", "reinstatement", "error", ""),
            ("E3", "clawback", "applied", "-1000.00"),
            ("E4", "reinstatement", "applied", "1000.00"),
        ],
    );
}

#[test]
fn the_version_in_force_on_closed_on_governs() {
    let v1 = "policy \"p\" version 1 effective 2026-01-01\ncommission a {\n  clawback within 30 days of closed_on prorated\n}\n".to_string();
    let v2 = "policy \"p\" version 2 effective 2026-07-01\ncommission a {\n  clawback within 60 days of closed_on {\n    days 0 to 60: 50%\n  }\n  rounding down\n}\n".to_string();
    let l = run_text(
        &[v1, v2],
        &format!("{DEALS_HEAD}A,ana,300.00,USD,300.00,2026-06-30\nB,ana,300.00,USD,300.00,2026-07-01\nC,ana,300.00,USD,300.00,2025-12-31\n"),
        &format!("{EVENTS_HEAD}E1,A,cancellation,2026-07-10,,,,,\nE2,B,cancellation,2026-07-10,,,,,\nE3,C,cancellation,2026-01-02,,,,,\n"),
        date("2026-12-31"),
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "-200.00"),
            ("E2", "clawback", "applied", "-150.00"),
            ("E3", "clawback", "error", ""),
            ("", "", "error", ""),
        ],
    );
    assert_eq!(l.lines[0].version, Some(1));
    assert_eq!(l.lines[1].version, Some(2));
}

/// The model reproduces the amounts of examples/clawback_plan_versions
/// (E-5's timestamp taken as its Los Angeles date), and so does the engine
/// on the same reconstruction: a check of the model itself.
#[test]
fn model_reproduces_the_worked_example() {
    let v1 = Plan {
        version: 1,
        effective: date("2026-01-01"),
        window: 90,
        sched: Sched::Bands(vec![(0, 30, 10_000), (31, 60, 6_000), (61, 90, 3_000)]),
        except: Some(vec!["acquired", "bankruptcy"]),
        ups: vec![],
        retention: Some(Retention {
            rate_h: 200,
            days: 90,
        }),
        mode: Mode::HalfEven,
    };
    let v2 = Plan {
        version: 2,
        effective: date("2026-07-01"),
        window: 120,
        sched: Sched::Prorated,
        except: Some(vec!["acquired"]),
        ups: vec![UpRule {
            name: "support_upsell".into(),
            rate_h: 500,
            base: Base::AddedValue,
            to: To::EventRep,
            cond: Cond::TeamIs("support"),
        }],
        retention: None,
        mode: Mode::HalfUp,
    };
    let deal = |id: &str, rep: &str, amount: i64, currency, value: i64, closed: &str| Deal {
        id: id.into(),
        rep: rep.into(),
        currency,
        amount,
        value,
        closed_on: date(closed),
    };
    let deals = vec![
        deal(
            "D-2026-014",
            "maria",
            450_000,
            "USD",
            6_000_000,
            "2026-03-16",
        ),
        deal("D-2026-031", "tom", 320_000, "USD", 4_000_000, "2026-05-29"),
        deal(
            "D-2026-077",
            "maria",
            280_000,
            "USD",
            3_500_000,
            "2026-07-10",
        ),
        deal(
            "D-2026-090",
            "priya",
            150_000,
            "EUR",
            1_800_000,
            "2026-08-03",
        ),
    ];
    let ev = |id: &str,
              d: &str,
              kind,
              on: &str,
              reason,
              lost: Option<i64>,
              added: Option<i64>,
              rep: Option<&str>,
              team| Event {
        id: id.into(),
        deal: d.into(),
        kind,
        on: date(on),
        reason,
        lost: lost.map(|units| Money {
            units,
            currency: None,
        }),
        added: added.map(|units| Money {
            units,
            currency: None,
        }),
        rep: rep.map(String::from),
        team,
    };
    use EvKind::*;
    let events = vec![
        ev(
            "E-1",
            "D-2026-014",
            Downgrade,
            "2026-04-20",
            Some("price"),
            Some(1_500_000),
            None,
            None,
            None,
        ),
        ev(
            "E-2",
            "D-2026-031",
            Cancellation,
            "2026-06-10",
            Some("churn"),
            None,
            None,
            None,
            None,
        ),
        ev(
            "E-3",
            "D-2026-031",
            Reinstatement,
            "2026-06-25",
            None,
            None,
            None,
            None,
            None,
        ),
        ev(
            "E-4",
            "D-2026-014",
            Cancellation,
            "2026-07-20",
            Some("budget"),
            None,
            None,
            None,
            None,
        ),
        ev(
            "E-5",
            "D-2026-077",
            Upgrade,
            "2026-07-31",
            None,
            None,
            Some(100_000),
            Some("maria"),
            Some("sales"),
        ),
        ev(
            "E-6",
            "D-2026-090",
            Upgrade,
            "2026-09-01",
            None,
            None,
            Some(600_000),
            Some("lena"),
            Some("support"),
        ),
        ev(
            "E-7",
            "D-2026-077",
            Cancellation,
            "2026-09-18",
            Some("budget"),
            None,
            None,
            None,
            None,
        ),
        ev(
            "E-8",
            "D-2026-090",
            Downgrade,
            "2026-10-20",
            Some("acquired"),
            Some(450_000),
            None,
            None,
            None,
        ),
    ];
    let as_of = date("2026-12-31");
    let plans = vec![v1, v2];
    let o = model(&plans, &deals, &events, as_of);
    let got: Vec<(String, &str, Option<String>)> = o
        .lines
        .iter()
        .map(|l| (l.kind.to_string(), l.status, l.amount_text()))
        .collect();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        got,
        vec![
            ("clawback".into(), "applied", s("-675.00")),
            ("clawback".into(), "applied", s("-3200.00")),
            ("reinstatement".into(), "applied", s("3200.00")),
            ("clawback".into(), "outside_window", s("0.00")),
            ("upgrade".into(), "not_eligible", s("0.00")),
            ("bonus:support_upsell".into(), "applied", s("300.00")),
            ("clawback".into(), "applied", s("-1166.67")),
            ("clawback".into(), "excluded", s("0.00")),
            ("bonus:retention".into(), "applied", s("67.50")),
            ("bonus:retention".into(), "applied", s("64.00")),
        ]
    );
    let sources: Vec<String> = plans.iter().map(Plan::source).collect();
    let ledger = run_text(
        &sources,
        &deals_csv(&deals),
        &events_csv(&events, &deals),
        as_of,
    );
    compare(&ledger.lines, &o.lines).unwrap();
    let sum: Vec<(String, String, String)> = ledger
        .summary()
        .expect("sums in range")
        .iter()
        .map(|r| (r.rep.clone(), r.currency.clone(), r.net.to_string()))
        .collect();
    assert_eq!(
        sum,
        [
            ("lena", "EUR", "300.00"),
            ("maria", "USD", "5525.83"),
            ("priya", "EUR", "1500.00"),
            ("tom", "USD", "3264.00"),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
}

/// The generator reaches every branch the properties are meant to test
/// (so that a passing run means something), from the two generators
/// together: every status, cut lines,
/// exact halves, reinstatements that reverse money, scaled retention bonuses.
#[test]
fn generator_reaches_every_branch() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen: std::collections::BTreeMap<&str, usize> = Default::default();
    for _ in 0..400 {
        let raw = raw_case().new_tree(&mut runner).expect("a case").current();
        let tiny = tiny_case().new_tree(&mut runner).expect("a case").current();
        for (case, l) in [build(&raw), tiny]
            .iter()
            .flat_map(|c| c.model().lines.into_iter().map(move |l| (c, l)))
        {
            let mut hit = |k: &'static str| *seen.entry(k).or_default() += 1;
            hit(l.status);
            match (l.kind.as_str(), l.status, l.amount) {
                ("clawback", "applied", Some(a)) => {
                    let exact = l.rate.unwrap() * l.base.unwrap();
                    if exact.round(l.places, Mode::Down) != exact.round(l.places, Mode::HalfUp)
                        && a != 0
                    {
                        hit("clawback rounded");
                    }
                    let scaled = exact * Q::int(10i128.pow(l.places));
                    if (scaled * Q::int(2)).d == 1 && scaled.d == 2 {
                        hit("clawback on an exact half");
                    }
                    if l.cut {
                        hit("cut line");
                    }
                }
                ("reinstatement", "applied", Some(a)) if a != 0 => {
                    hit("reinstatement reverses money")
                }
                ("reinstatement", "outside_window", _) => hit("reinstatement outside"),
                ("bonus:retention", _, _) => hit("retention"),
                (k, "applied", _) if k.starts_with("bonus:upsell") => hit("upgrade bonus"),
                (_, "error", _) if l.event.is_empty() => hit("deal error"),
                (k, "error", _) => {
                    let e = case.events.iter().find(|e| e.id == l.event).unwrap();
                    let d = case.deals.iter().find(|d| d.id == e.deal);
                    let tag: &'static str = match (k, d) {
                        (_, None) => "err unknown deal",
                        (_, Some(d)) if e.on < d.closed_on => "err before",
                        ("clawback", _) => "err clawback",
                        ("reinstatement", _) => "err reinstatement",
                        _ => "err upgrade",
                    };
                    hit(tag)
                }
                _ => {}
            }
        }
    }
    for k in [
        "applied",
        "excluded",
        "outside_window",
        "nothing_left",
        "not_eligible",
        "error",
        "clawback rounded",
        "clawback on an exact half",
        "cut line",
        "reinstatement reverses money",
        "reinstatement outside",
        "retention",
        "upgrade bonus",
        "deal error",
    ] {
        assert!(
            seen.get(k).copied().unwrap_or(0) > 0,
            "never reached: {k}; {seen:?}"
        );
    }
    eprintln!("{seen:?}");
}

#[test]
fn timestamps_are_dated_in_the_policy_time_zone() {
    // 2026-04-02T06:59:59Z is 2026-04-01 23:59:59 in Los Angeles (PDT):
    // day 90, inside; one second later it is day 91, outside.
    let v = vec![format!(
        "policy \"tz\" version 1 effective 2026-01-01\n  timezone \"America/Los_Angeles\"\n\ncommission c {{\n{TIERS}\n}}\n"
    )];
    let l = run_text(
        &v,
        &format!("{DEALS_HEAD}A,ana,1000.00,USD,10000.00,2026-01-01\nB,ana,1000.00,USD,10000.00,2026-01-01\n"),
        &format!(
            "{EVENTS_HEAD}E1,A,cancellation,2026-04-02T06:59:59Z,,,,,\nE2,B,cancellation,2026-04-02T07:00:00Z,,,,,\nE3,A,reinstatement,2026-04-01T23:00:00-07:00,,,,,\n"
        ),
        date("2026-02-01"),
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "-300.00"),
            ("E2", "clawback", "outside_window", "0.00"),
            ("E3", "reinstatement", "applied", "300.00"),
        ],
    );
    assert_eq!(
        l.lines.iter().map(|x| x.days_retained).collect::<Vec<_>>(),
        [Some(90), Some(91), Some(90)]
    );
}

#[test]
fn an_unknown_event_type_is_an_error_without_a_kind() {
    let l = unit(
        TIERS,
        "A,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,refund,2026-01-02,,,,,\nE2,A,cancellation,2026-01-02,,,,,\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "", "error", ""),
            ("E2", "clawback", "applied", "-1000.00"),
        ],
    );
}

#[test]
fn the_checker_rejects_schedules_that_do_not_cover_exactly_0_to_n() {
    let src = |bands: &str| {
        format!(
            "{HEADER}\ncommission c {{\n  clawback within 90 days of closed_on {{\n    {bands}\n  }}\n}}\n"
        )
    };
    for bad in [
        "days 0 to 30: 100%\n days 32 to 90: 50%",
        "days 0 to 30: 100%\n days 30 to 90: 50%",
        "days 0 to 30: 100%\n days 31 to 89: 50%",
        "days 0 to 30: 100%\n days 31 to 91: 50%",
        "days 1 to 90: 50%",
        "days 0 to 90: 100.01%",
    ] {
        let s = src(bad);
        assert!(
            PolicySet::from_sources(&[("p.baton", s.as_str())]).is_err(),
            "accepted: {bad}"
        );
    }
    let ok = src("days 31 to 90: 50%\n days 0 to 30: 100%");
    assert!(PolicySet::from_sources(&[("p.baton", ok.as_str())]).is_ok());
}

/// Points the spec leaves open, pinned to the engine's current choices
/// (reported as ambiguities): a zero `lost_value` is an error; an upgrade
/// whose first true rule has no base (`added_value` empty) or no recipient
/// (`event.rep` empty) is an error, not the next rule nor `not_eligible`;
/// money in another currency is an error even in a column the event's
/// type does not use.
#[test]
fn engine_choices_where_the_spec_is_silent() {
    let body = format!(
        "{TIERS}\n  bonus up: 10% of event.added_value on upgrade to event.rep when event.team == \"support\"\n  bonus fallback: 1% of deal.amount on upgrade to deal.rep"
    );
    let l = unit(
        &body,
        "A,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,downgrade,2026-01-02,,0.00,,,\n\
         E2,A,upgrade,2026-01-02,,,,lena,support\n\
         E3,A,upgrade,2026-01-02,,,100.00,,support\n\
         E4,A,cancellation,2026-01-02,,5.00 EUR,,,\n\
         E5,A,upgrade,2026-01-02,,,100.00,,sales\n",
        "2026-02-01",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "error", ""),
            ("E2", "upgrade", "error", ""),
            ("E3", "upgrade", "error", ""),
            ("E4", "clawback", "error", ""),
            ("E5", "bonus:fallback", "applied", "10.00"),
        ],
    );
}

/// CLI.md: "Running again with the printed lines added to the posted
/// ledger prints the header alone." A booked amount finer than the minor
/// unit (−1500.5 JPY, −100.005 USD) would yield a difference printed
/// rounded to the minor unit (0.5 → 1), so booking it would never close
/// the gap: such amounts are refused when the posted ledger is read.
#[test]
fn posted_amounts_finer_than_the_minor_unit_are_refused() {
    // A booked amount finer than the currency's minor unit could never be
    // matched: the difference would round to itself run after run. Such a
    // posted ledger is malformed (exit 2, nothing printed).
    let header = "deal,rep,event,kind,status,policy,version,days_retained,rate,base,amount,currency,explanation\n";
    for (row, what) in [
        (
            "J,ana,E1,clawback,applied,unit,1,1,1,1500,-1500.5,JPY,booked\n",
            "JPY",
        ),
        (
            "A,ana,E2,clawback,applied,unit,1,1,1,100.00,-100.005,USD,booked\n",
            "USD",
        ),
    ] {
        let err = read_posted(format!("{header}{row}").as_bytes()).expect_err(what);
        assert_eq!(err.line, 2, "{err}");
        assert!(err.to_string().contains("more decimals than"), "{err}");
    }
    // Trailing zeros are fine: -1500.0 JPY is -1500.
    let ok = read_posted(
        format!("{header}J,ana,E1,clawback,applied,unit,1,1,1,1500,-1500.0,JPY,booked\n")
            .as_bytes(),
    )
    .expect("reads");
    assert_eq!(ok.len(), 1);
}

#[test]
fn a_malformed_posted_ledger_names_its_physical_line_once() {
    // CRLF line ends and a blank line before the short row: the row is on
    // line 4, and the message carries no other line number.
    let text = "deal,rep,event,kind,status,policy,version,days_retained,rate,base,amount,currency,explanation\r\n\
                A,ana,E1,clawback,applied,unit,1,1,1,100.00,-100.00,USD,booked\r\n\r\n\
                A,ana,E2,clawback\r\n";
    let err = read_posted(text.as_bytes()).expect_err("a short row");
    assert_eq!(err.line, 4, "{err}");
    assert_eq!(
        err.to_string(),
        "posted ledger, line 4: 4 fields where the header has 13"
    );
}

#[test]
fn a_posted_ledger_with_a_quote_never_closed_is_refused() {
    // Without the check, the second line would swallow the third unseen.
    let text = "deal,rep,event,kind,status,policy,version,days_retained,rate,base,amount,currency,explanation\n\
                A,ana,E1,clawback,applied,unit,1,1,1,100.00,-100.00,USD,\"booked\n\
                A,ana,E2,clawback,applied,unit,1,1,1,100.00,-100.00,USD,booked\n";
    let err = read_posted(text.as_bytes()).expect_err("an unclosed quote");
    assert_eq!(err.line, 2, "{err}");
    assert!(err.to_string().contains("never closed"), "{err}");
}

#[test]
fn a_booked_event_that_is_now_an_error_is_not_reversed() {
    // E1 was booked; its input now has a lost value beyond what remains,
    // so it is an error line. Reversing the booking would pay money back
    // because of bad input: the booked line stands.
    let l = unit(
        TIERS,
        "A,ana,1000.00,USD,10000.00,2026-01-01\n",
        "E1,A,downgrade,2026-01-02,,99999.00,,,\n",
        "2026-02-01",
    );
    assert!(l
        .lines
        .iter()
        .any(|x| x.event == "E1" && x.status == Status::Error));
    let posted = read_posted(
        "deal,rep,event,kind,status,policy,version,days_retained,rate,base,amount,currency,explanation\n\
         A,ana,E1,clawback,applied,unit,1,1,1,100.00,-100.00,USD,booked\n"
            .as_bytes(),
    )
    .expect("reads");
    assert!(diff_posted(&l.lines, &posted)
        .expect("amounts in range")
        .is_empty());
}

/// The streaming run (batches on worker threads) writes the bytes of the
/// sequential library call, with or without the summary, and its summary
/// is the ledger's.
#[test]
fn stream_writes_the_ledger_of_run_with_and_without_the_summary() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = PolicySet::load(&root.join("policies/commission")).expect("shipped plan");
    let read = |name: &str| {
        std::fs::read_to_string(root.join("policies/samples").join(name)).expect("sample")
    };
    let (deals, events) = (read("deals.csv"), read("deal_events.csv"));
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    let ledger = clawback(&set, &csv_table(&deals), &csv_table(&events), as_of);
    assert!(ledger.lines.len() > 1000, "a real run");
    let want = ledger_bytes(&ledger.lines);
    for summary in [false, true] {
        let mut reader = Reader::new(
            Box::new(std::io::Cursor::new(deals.clone().into_bytes())),
            Format::Csv,
        )
        .expect("deals");
        let mut out = Vec::new();
        let mut options = ClawbackOptions::as_of(as_of);
        if summary {
            options = options.with_summary();
        }
        let outcome = set
            .clawback_stream(&mut reader, &csv_table(&events), &options, &mut out)
            .expect("stream");
        assert!(out == want, "stream (summary: {summary}) differs from run");
        if summary {
            assert_eq!(outcome.summary, ledger.summary().expect("sums in range"));
        } else {
            assert!(outcome.summary.is_empty());
        }
        let errors = ledger
            .lines
            .iter()
            .filter(|l| l.status == Status::Error)
            .count();
        assert_eq!(outcome.errors, errors);
    }
}

/// Rounding half up can claw back more than is left: the line is cut to
/// what remains and says so; a prorated line shows its fraction of days.
#[test]
fn a_capped_clawback_says_what_was_already_clawed_back() {
    let body =
        "  clawback within 30 days of closed_on {\n    days 0 to 30: 100%\n  }\n  rounding half_up";
    // 0.03 paid on a value of 4: two downgrades of 1 claw 0.0075 -> 0.01
    // each; the cancellation of the remaining 2 would claw 0.015 -> 0.02,
    // but only 0.01 is left.
    let l = unit(
        body,
        "A,ana,0.03,USD,4.00,2026-01-01\n",
        "E1,A,downgrade,2026-01-02,,1.00,,,\nE2,A,downgrade,2026-01-03,,1.00,,,\nE3,A,cancellation,2026-01-04,,,,,\n",
        "2026-01-10",
    );
    expect_rows(
        &l.lines,
        &[
            ("E1", "clawback", "applied", "-0.01"),
            ("E2", "clawback", "applied", "-0.01"),
            ("E3", "clawback", "applied", "-0.01"),
        ],
    );
    assert_eq!(
        l.lines[2].explanation,
        "cancelled on day 3 of 30 (band 0-30: 100%) × 0.02 = -0.01 (capped: 0.02 of 0.03 already clawed back)"
    );
    let prorated = "  clawback within 120 days of closed_on prorated\n  rounding half_even";
    let l = unit(
        prorated,
        "A,ana,1200.00,USD,12000.00,2026-01-01\n",
        "E1,A,cancellation,2026-01-31,,,,,\n",
        "2026-06-01",
    );
    assert_eq!(
        l.lines[0].explanation,
        "cancelled on day 30 of 120 (prorated 90/120) × 1200.00 = -900.00"
    );
}

/// The booked ledger is indexed once; its file is read again only for the
/// cells of the lines to reverse, and a file that changed in between is
/// refused rather than reversed from the wrong lines.
#[test]
fn the_booked_ledger_is_read_again_only_to_reverse_and_must_not_change() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = PolicySet::load(&root.join("policies/commission")).expect("shipped plan");
    let read = |name: &str| {
        std::fs::read_to_string(root.join("policies/samples").join(name)).expect("sample")
    };
    let (deals, events) = (read("deals.csv"), read("deal_events.csv"));
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    let options = ClawbackOptions::as_of(as_of);
    let ledger = clawback(&set, &csv_table(&deals), &csv_table(&events), as_of);
    let dir = std::env::temp_dir().join(format!("baton-reread-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch");
    let path = dir.join("posted.csv");
    let run = |index: &BookedLedger| {
        let mut reader = Reader::new(
            Box::new(std::io::Cursor::new(deals.clone().into_bytes())),
            Format::Csv,
        )
        .expect("deals");
        let mut out = Vec::new();
        set.clawback_posted(&mut reader, &csv_table(&events), &options, index, &mut out)
            .map(|_| out)
    };
    // Nothing to reverse: the file is not needed again.
    std::fs::write(&path, ledger_bytes(&ledger.lines)).expect("write");
    let index = BookedLedger::read(&path).expect("reads");
    std::fs::remove_file(&path).expect("remove");
    let out = run(&index).expect("no second read");
    assert_eq!(out, ledger_bytes(&[]), "nothing left to book");
    // A line booked for a deal no longer computed must be reversed: its
    // cells are read again, and a missing file is an error, not a guess.
    let mut booked = ledger.lines.clone();
    booked.push(bogus_line(1, -2500));
    std::fs::write(&path, ledger_bytes(&booked)).expect("write");
    let index = BookedLedger::read(&path).expect("reads");
    let out = run(&index).expect("the file is there");
    let text = String::from_utf8_lossy(&out).to_string();
    assert!(text.contains("BOGUS-1,zed,B-1,clawback"), "{text}");
    assert!(
        text.contains("25.00,USD,reversal: no longer computed (booked -25.00)"),
        "{text}"
    );
    std::fs::remove_file(&path).expect("remove");
    let err = run(&index).expect_err("the file is gone");
    assert!(err.to_string().contains("cannot read"), "{err}");
    // The file changed between the reads: the line to reverse is not
    // where the index found it.
    let mut changed = ledger.lines.clone();
    changed.insert(0, bogus_line(2, -100));
    changed.push(bogus_line(1, -2500));
    std::fs::write(&path, ledger_bytes(&changed)).expect("write");
    let err = run(&index).expect_err("changed");
    assert!(
        err.to_string()
            .contains("the booked ledger changed while it was read"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
