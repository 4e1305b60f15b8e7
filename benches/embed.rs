//! What a service pays to build a record of the shipped lead schema
//! (`policies/qualification`), per lead, by each public route: the checked
//! builder by field name and by field handle, JSON text, and a parsed
//! `serde_json::Value`; beside the bare cost of the values themselves
//! (what any route must allocate), and of compiling a policy.
//!
//! `cargo bench --bench embed`

#[path = "../tests/support/samples.rs"]
mod samples;

use baton::{Currency, Money, NaiveDate, Policy, PolicySet, Record, Schema, Value};

fn main() {
    divan::main();
}

const N: usize = 10_000;

fn policy() -> Policy {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/qualification");
    PolicySet::load(&dir).unwrap().latest().unwrap().clone()
}

/// A lead as a service holds it, typed.
struct Lead {
    id: String,
    company: String,
    industry: String,
    use_case: Option<String>,
    budget: Option<Money>,
    timeline: Option<i64>,
    employees: i64,
    decision_maker: Option<bool>,
    features: Vec<String>,
    source: String,
    created: NaiveDate,
}

fn texts() -> Vec<String> {
    samples::leads(N as u64, 3)
        .lines()
        .map(String::from)
        .collect()
}

/// The leads as `serde_json::Value`s.
fn parsed() -> Vec<serde_json::Value> {
    texts()
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect()
}

fn leads() -> Vec<Lead> {
    texts()
        .iter()
        .map(|t| {
            let v: serde_json::Value = serde_json::from_str(t).unwrap();
            let s = |k: &str| v[k].as_str().map(String::from);
            Lead {
                id: s("id").unwrap(),
                company: s("company").unwrap(),
                industry: s("industry").unwrap(),
                use_case: s("use_case"),
                budget: s("budget").map(|b| {
                    let (a, c) = b.split_once(' ').unwrap();
                    Money {
                        amount: a.parse().unwrap(),
                        currency: Currency::parse(c).unwrap(),
                    }
                }),
                timeline: s("timeline")
                    .map(|t| t.trim_end_matches('d').parse::<i64>().unwrap() * 86_400),
                employees: v["employees"].as_i64().unwrap(),
                decision_maker: v["decision_maker"].as_bool(),
                features: v["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect(),
                source: s("source").unwrap(),
                created: s("created").unwrap().parse().unwrap(),
            }
        })
        .collect()
}

fn values(l: &Lead) -> Vec<Option<Value>> {
    vec![
        Some(Value::text(&l.id)),
        Some(Value::text(&l.company)),
        Some(Value::text(&l.industry)),
        l.use_case.as_deref().map(Value::text),
        l.budget.map(Value::Money),
        l.timeline.map(Value::Duration),
        Some(Value::Int(l.employees)),
        l.decision_maker.map(Value::Bool),
        Some(Value::text_set(&l.features)),
        Some(Value::text(&l.source)),
        Some(Value::Date(l.created)),
    ]
}

fn by_name(schema: &Schema, l: &Lead) -> Record {
    let mut b = schema.builder();
    b.set("id", l.id.as_str())
        .set("company", l.company.as_str())
        .set("industry", l.industry.as_str())
        .set("employees", l.employees)
        .set("features", Value::text_set(&l.features))
        .set("source", l.source.as_str())
        .set("created", l.created);
    if let Some(u) = &l.use_case {
        b.set("use_case", u.as_str());
    }
    if let Some(m) = l.budget {
        b.set("budget", m);
    }
    if let Some(t) = l.timeline {
        b.set("timeline", Value::seconds(t));
    }
    if let Some(d) = l.decision_maker {
        b.set("decision_maker", d);
    }
    b.build().unwrap()
}

/// The bare values, as any route must build them: the floor.
#[divan::bench]
fn values_only(bencher: divan::Bencher) {
    let leads = leads();
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            leads
                .iter()
                .map(|l| values(divan::black_box(l)).len())
                .sum::<usize>()
        });
}

#[divan::bench]
fn builder_by_name(bencher: divan::Bencher) {
    let p = policy();
    let schema = p.qualify_schema().unwrap();
    let leads = leads();
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            leads
                .iter()
                .map(|l| by_name(schema, divan::black_box(l)).values().len())
                .sum::<usize>()
        });
}

#[divan::bench]
fn builder_by_handle(bencher: divan::Bencher) {
    let p = policy();
    let schema = p.qualify_schema().unwrap();
    let f = |n: &str| schema.field_handle(n).unwrap();
    let (id, company, industry, use_case, budget, timeline) = (
        f("id"),
        f("company"),
        f("industry"),
        f("use_case"),
        f("budget"),
        f("timeline"),
    );
    let (employees, decision_maker, features, source, created) = (
        f("employees"),
        f("decision_maker"),
        f("features"),
        f("source"),
        f("created"),
    );
    let leads = leads();
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            leads
                .iter()
                .map(|l| {
                    let l = divan::black_box(l);
                    let mut b = schema.builder();
                    b.set_field(id, l.id.as_str())
                        .set_field(company, l.company.as_str())
                        .set_field(industry, l.industry.as_str())
                        .set_field(employees, l.employees)
                        .set_field(features, Value::text_set(&l.features))
                        .set_field(source, l.source.as_str())
                        .set_field(created, l.created);
                    if let Some(u) = &l.use_case {
                        b.set_field(use_case, u.as_str());
                    }
                    if let Some(m) = l.budget {
                        b.set_field(budget, m);
                    }
                    if let Some(t) = l.timeline {
                        b.set_field(timeline, Value::seconds(t));
                    }
                    if let Some(d) = l.decision_maker {
                        b.set_field(decision_maker, d);
                    }
                    b.build().unwrap().values().len()
                })
                .sum::<usize>()
        });
}

#[divan::bench]
fn from_json_str(bencher: divan::Bencher) {
    let p = policy();
    let schema = p.qualify_schema().unwrap();
    let texts = texts();
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            texts
                .iter()
                .map(|t| {
                    schema
                        .from_json_str(divan::black_box(t))
                        .unwrap()
                        .values()
                        .len()
                })
                .sum::<usize>()
        });
}

#[divan::bench]
fn from_json_value(bencher: divan::Bencher) {
    let p = policy();
    let schema = p.qualify_schema().unwrap();
    let parsed = parsed();
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            parsed
                .iter()
                .map(|v| {
                    schema
                        .from_json(divan::black_box(v))
                        .unwrap()
                        .values()
                        .len()
                })
                .sum::<usize>()
        });
}

/// The same conversion written by hand for this one schema: each member
/// looked up by name in the `serde_json::Value` and its text parsed by
/// [`Value::from_text`], with no checking of unknown or missing members.
/// What any `from_json` route costs at least, beside the bare values.
#[divan::bench]
fn hand_from_json_value(bencher: divan::Bencher) {
    use baton::Type;
    let p = policy();
    let usd = p.qualify_schema().unwrap().default_currency();
    let parsed = parsed();
    let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(Value::text);
    let parse = |v: &serde_json::Value, k: &str, ty: Type| {
        v.get(k)
            .and_then(|x| x.as_str())
            .and_then(|t| Value::from_text(ty, t, usd).ok())
    };
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            parsed
                .iter()
                .map(|v| {
                    let v = divan::black_box(v);
                    let features: Vec<&str> = v["features"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|f| f.as_str()).collect())
                        .unwrap_or_default();
                    let values = vec![
                        text(v, "id"),
                        text(v, "company"),
                        text(v, "industry"),
                        text(v, "use_case"),
                        parse(v, "budget", Type::Money),
                        parse(v, "timeline", Type::Duration),
                        v["employees"].as_i64().map(Value::Int),
                        v["decision_maker"].as_bool().map(Value::Bool),
                        Some(Value::text_set(&features)),
                        text(v, "source"),
                        parse(v, "created", Type::Date),
                    ];
                    values.len()
                })
                .sum::<usize>()
        });
}

/// What a service that receives JSON pays for `serde_json::from_str`
/// alone: the baseline of [`parse_then_from_json_value`].
#[divan::bench]
fn serde_parse_only(bencher: divan::Bencher) {
    let texts = texts();
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            texts
                .iter()
                .map(|t| {
                    let v: serde_json::Value = serde_json::from_str(divan::black_box(t)).unwrap();
                    v.as_object().map_or(0, |o| o.len())
                })
                .sum::<usize>()
        });
}

/// The same parse, then [`Schema::from_json`] on the tree while it is
/// still in cache, as a service converts what it has just parsed.
#[divan::bench]
fn parse_then_from_json_value(bencher: divan::Bencher) {
    let p = policy();
    let schema = p.qualify_schema().unwrap();
    let texts = texts();
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench(|| {
            texts
                .iter()
                .map(|t| {
                    let v: serde_json::Value = serde_json::from_str(divan::black_box(t)).unwrap();
                    schema.from_json(&v).unwrap().values().len()
                })
                .sum::<usize>()
        });
}

/// Parsing and checking the shipped qualification policy (v2), on the
/// calling thread.
#[divan::bench]
fn compile_policy(bencher: divan::Bencher) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/qualification/v2.baton");
    let source = std::fs::read_to_string(path).unwrap();
    bencher.bench(|| Policy::from_source("v2.baton", divan::black_box(&source)).unwrap());
}
