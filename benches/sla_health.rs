//! SLA status for 100,000 handoff instances on a business calendar (target:
//! under 1 s), and health for 1,000,000 customers against a hand-written
//! closure (target: within 3×).
//!
//! `cargo bench --bench sla_health`

#[path = "../tests/support/samples.rs"]
mod samples;

use baton::{DateTime, Event, Policy, RecordBatch};
use chrono::NaiveDate;
use rust_decimal::Decimal;

fn main() {
    divan::main();
}

fn load(dir: &str) -> Policy {
    let set = baton::PolicySet::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap();
    set.latest().unwrap().clone()
}

/// 100,000 instances opened over 30 days; evaluated 30 days after the first.
fn instances() -> Vec<(String, Vec<Event>)> {
    let mut rng = samples::Rng::new(99);
    let start = 1_793_714_400;
    (0..100_000)
        .map(|i| {
            let lines = samples::handoff_events(&mut rng, i, start, 30);
            let mut id = String::new();
            let events = lines
                .iter()
                .enumerate()
                .map(|(n, l)| {
                    let (h, e) = Event::from_json(n + 1, &serde_json::from_str(l).unwrap());
                    id = h.unwrap();
                    e.unwrap()
                })
                .collect();
            (id, events)
        })
        .collect()
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn sla_100k_instances(bencher: divan::Bencher) {
    let p = load("policies/handoff");
    let all = instances();
    let at = DateTime::from_timestamp(1_793_714_400 + 30 * 86_400, 0).unwrap();
    bencher
        .counter(divan::counter::ItemsCount::new(all.len()))
        .bench(|| {
            all.iter()
                .filter(|(id, evs)| p.sla(id, evs, at).is_ok())
                .count()
        });
}

const N: u64 = 1_000_000;

fn accounts(p: &Policy) -> (RecordBatch, Vec<Account>) {
    let schema = p.health_schema().unwrap();
    let text = samples::accounts(N, 5);
    let values: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut batch = RecordBatch::new(schema);
    let mut plain = Vec::with_capacity(values.len());
    for v in &values {
        batch.push(schema.from_json(v).unwrap()).unwrap();
        plain.push(Account::from(v));
    }
    (batch, plain)
}

struct Account {
    activation_steps: Option<i64>,
    signed_on: NaiveDate,
    first_value_on: Option<NaiveDate>,
    milestones: Option<Vec<String>>,
    weekly_active_ratio: Option<Decimal>,
}

impl Account {
    fn from(v: &serde_json::Value) -> Account {
        let date = |k: &str| {
            v[k].as_str()
                .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
        };
        Account {
            activation_steps: v["activation_steps"].as_str().map(|_| 0).or_else(|| {
                v.get("activation_steps")
                    .map(|x| x.to_string().parse().unwrap())
            }),
            signed_on: date("signed_on").unwrap(),
            first_value_on: date("first_value_on"),
            milestones: v["milestones"]
                .as_array()
                .map(|a| a.iter().map(|m| m.as_str().unwrap().to_string()).collect()),
            weekly_active_ratio: v
                .get("weekly_active_ratio")
                .map(|x| x.to_string().parse().unwrap()),
        }
    }
}

/// `policies/health/v1.baton`, by hand: the same measures, weights and bands.
fn scorecard(a: &Account, today: NaiveDate) -> (Option<Decimal>, Option<&'static str>) {
    let core = ["first_report", "team_invited", "integration_live"];
    let activation = a.activation_steps.map(|s| {
        if s >= 6 {
            100
        } else if s >= 3 {
            60
        } else {
            0
        }
    });
    let ttv = Some(match a.first_value_on {
        Some(f) if (f - a.signed_on).num_days() <= 14 => 100,
        Some(f) if (f - a.signed_on).num_days() <= 30 => 60,
        Some(_) => 20,
        None if (today - a.signed_on).num_days() > 45 => 0,
        None => 50,
    });
    let adoption = a.milestones.as_ref().map(|m| {
        let has = |c: &str| m.iter().any(|x| x == c);
        if core.iter().all(|c| has(c)) {
            100
        } else if core.iter().any(|c| has(c)) {
            50
        } else {
            0
        }
    });
    let usage = a.weekly_active_ratio.map(|r| {
        if r >= Decimal::new(6, 1) {
            100
        } else if r >= Decimal::new(3, 1) {
            40
        } else {
            0
        }
    });
    let (mut num, mut den) = (0i64, 0i64);
    for (w, v) in [(30, activation), (25, ttv), (25, adoption), (20, usage)] {
        if let Some(v) = v {
            num += w * v;
            den += w;
        }
    }
    if den == 0 {
        return (None, None);
    }
    let score = (Decimal::from(num) / Decimal::from(den))
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven);
    let band = if score >= Decimal::from(75) {
        "healthy"
    } else if score >= Decimal::from(50) {
        "at_risk"
    } else {
        "critical"
    };
    (Some(score), Some(band))
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn health_1m_closure(bencher: divan::Bencher) {
    let p = load("policies/health");
    let (_, plain) = accounts(&p);
    let today = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            plain
                .iter()
                .filter(|a| scorecard(divan::black_box(a), today).1 == Some("healthy"))
                .count()
        });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn health_1m_baton(bencher: divan::Bencher) {
    let p = load("policies/health");
    let (batch, plain) = accounts(&p);
    let today = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    // Both sides agree on every account before anything is timed.
    for (s, a) in p.health_each(&batch, today).zip(&plain) {
        let s = s.unwrap();
        assert_eq!((s.score, s.band), scorecard(a, today));
    }
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            p.health_each(divan::black_box(&batch), today)
                .filter(|s| s.as_ref().is_ok_and(|s| s.band == Some("healthy")))
                .count()
        });
}
