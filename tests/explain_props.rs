//! Property test of `--explain`'s conditions: for generated conditions
//! of `and`, `or`, `not` and comparisons over generated records with
//! missing fields, the traced leaves are exactly those the language
//! evaluates (LANGUAGE.md §4: left to right, an `and` stopping at its first
//! false item, an `or` at its first true one, unknown going on), each
//! with its text, its result and its operands' values, and folding them
//! with Kleene's `and` / `or` / `not` gives the stage's result.
//!
//! Every expected value is computed here, from the generated tree and
//! record, independently of baton.

use baton::{EvalOptions, Policy};
use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{json, Value as Json};

type Tri = Option<bool>;

const HEAD: &str = r#"policy "p" version 1 effective 2026-01-01
  currency USD
record lead key id {
  id: text
  a: int?
  b: int?
  t: text?
  f: bool?
  s: set of text?
  m: money?
  dur: duration?
  d: date?
}
"#;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

/// A record: every field may be missing.
#[derive(Debug, Clone)]
struct Rec {
    a: Option<i64>,
    b: Option<i64>,
    t: Option<&'static str>,
    f: Option<bool>,
    s: Option<Vec<&'static str>>,
    /// cents
    m: Option<i64>,
    /// days
    dur: Option<i64>,
    /// days before today
    d: Option<i64>,
}

impl Rec {
    fn json(&self) -> String {
        let mut o = serde_json::Map::new();
        o.insert("id".into(), json!("r"));
        if let Some(a) = self.a {
            o.insert("a".into(), json!(a));
        }
        if let Some(b) = self.b {
            o.insert("b".into(), json!(b));
        }
        if let Some(t) = self.t {
            o.insert("t".into(), json!(t));
        }
        if let Some(f) = self.f {
            o.insert("f".into(), json!(f));
        }
        if let Some(s) = &self.s {
            o.insert("s".into(), json!(s));
        }
        if let Some(m) = self.m {
            o.insert("m".into(), json!(money(m)));
        }
        if let Some(d) = self.dur {
            o.insert("dur".into(), json!(format!("{d}d")));
        }
        if let Some(d) = self.d {
            let day = today() - chrono::Duration::days(d);
            o.insert("d".into(), json!(day.to_string()));
        }
        Json::Object(o).to_string()
    }

    /// `s` as output writes a set: sorted, without repeats.
    fn s_json(&self) -> Json {
        self.s.as_ref().map_or(Json::Null, |s| {
            let mut v = s.clone();
            v.sort_unstable();
            v.dedup();
            json!(v)
        })
    }
}

fn money(cents: i64) -> String {
    format!("{}.{:02} USD", cents / 100, cents % 100)
}

/// One condition of the language, over the record's fields.
#[derive(Debug, Clone)]
enum Leaf {
    /// `a >= k`
    AGe(i64),
    /// `k <= a` (the field on the right)
    KLeA(i64),
    /// `a between lo and hi`
    Between(i64, i64),
    /// `a is set` / `a is not set`
    IsSet(bool),
    /// `t in {…}`
    TIn(Vec<&'static str>),
    /// `t == "x"`
    TEq(&'static str),
    /// `"x" in s`
    InS(&'static str),
    /// `s contains any {…}`
    SAny(Vec<&'static str>),
    /// `f`
    F,
    /// `P`, the earlier stage `a >= 2`
    P,
    /// `m >= cents`
    MGe(i64),
    /// `dur <= n d`
    DurLe(i64),
    /// `in_days(today - d) <= n`
    Days(i64),
    /// `a + b > k`
    SumGt(i64),
}

fn set_text(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|x| format!("\"{x}\"")).collect();
    format!("{{{}}}", quoted.join(", "))
}

impl Leaf {
    fn text(&self) -> String {
        match self {
            Leaf::AGe(k) => format!("a >= {k}"),
            Leaf::KLeA(k) => format!("{k} <= a"),
            Leaf::Between(lo, hi) => format!("a between {lo} and {hi}"),
            Leaf::IsSet(false) => "a is set".into(),
            Leaf::IsSet(true) => "a is not set".into(),
            Leaf::TIn(s) => format!("t in {}", set_text(s)),
            Leaf::TEq(x) => format!("t == \"{x}\""),
            Leaf::InS(x) => format!("\"{x}\" in s"),
            Leaf::SAny(s) => format!("s contains any {}", set_text(s)),
            Leaf::F => "f".into(),
            Leaf::P => "P".into(),
            Leaf::MGe(c) => format!("m >= {}", money(*c)),
            Leaf::DurLe(n) => format!("dur <= {n}d"),
            Leaf::Days(n) => format!("in_days(today - d) <= {n}"),
            Leaf::SumGt(k) => format!("a + b > {k}"),
        }
    }

    /// Its truth for `r`, by the language's rules.
    fn eval(&self, r: &Rec) -> Tri {
        match self {
            Leaf::AGe(k) => r.a.map(|a| a >= *k),
            Leaf::KLeA(k) => r.a.map(|a| *k <= a),
            Leaf::Between(lo, hi) => r.a.map(|a| *lo <= a && a <= *hi),
            Leaf::IsSet(not) => Some(r.a.is_some() != *not),
            Leaf::TIn(s) => r.t.map(|t| s.contains(&t)),
            Leaf::TEq(x) => r.t.map(|t| t == *x),
            Leaf::InS(x) => r.s.as_ref().map(|s| s.contains(x)),
            Leaf::SAny(set) => r.s.as_ref().map(|s| s.iter().any(|x| set.contains(x))),
            Leaf::F => r.f,
            Leaf::P => r.a.map(|a| a >= 2),
            Leaf::MGe(c) => r.m.map(|m| m >= *c),
            Leaf::DurLe(n) => r.dur.map(|d| d <= *n),
            Leaf::Days(n) => r.d.map(|d| d <= *n),
            Leaf::SumGt(k) => r.a.zip(r.b).map(|(a, b)| a + b > *k),
        }
    }

    /// Its operands as the trace writes them.
    fn operands(&self, r: &Rec) -> Json {
        let a = json!([{"expr": "a", "value": r.a}]);
        match self {
            Leaf::AGe(_) | Leaf::KLeA(_) | Leaf::Between(..) | Leaf::IsSet(_) => a,
            Leaf::TIn(_) | Leaf::TEq(_) => json!([{"expr": "t", "value": r.t}]),
            Leaf::InS(_) | Leaf::SAny(_) => json!([{"expr": "s", "value": r.s_json()}]),
            Leaf::F => json!([{"expr": "f", "value": r.f}]),
            Leaf::P => json!([{"expr": "P", "value": self.eval(r)}]),
            Leaf::MGe(_) => match r.m {
                Some(c) => json!([{"expr": "m", "value": money(c).trim_end_matches(" USD"),
                                   "currency": "USD"}]),
                None => json!([{"expr": "m", "value": null, "currency": null}]),
            },
            Leaf::DurLe(_) => {
                json!([{"expr": "dur", "value_seconds": r.dur.map(|d| d * 86_400)}])
            }
            Leaf::Days(_) => json!([{"expr": "in_days(today - d)",
                                     "value": r.d.map(|d| d.to_string())}]),
            Leaf::SumGt(_) => json!([{"expr": "a + b", "value": r.a.zip(r.b).map(|(a, b)| a + b)}]),
        }
    }
}

/// A condition: leaves (with the `not`s written directly around them),
/// `and` and `or` of two or more, `not` around a group.
#[derive(Debug, Clone)]
enum Node {
    Leaf(usize, Leaf),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

impl Node {
    fn text(&self) -> String {
        let group = |n: &Node| match n {
            Node::And(_) | Node::Or(_) => format!("({})", n.text()),
            _ => n.text(),
        };
        match self {
            Node::Leaf(nots, l) => format!("{}{}", "not ".repeat(*nots), l.text()),
            Node::And(items) => items.iter().map(group).collect::<Vec<_>>().join(" and "),
            Node::Or(items) => items.iter().map(group).collect::<Vec<_>>().join(" or "),
            Node::Not(n) => format!("not {}", group(n)),
        }
    }

    /// Kleene's logic over the whole tree, nothing skipped.
    fn eval(&self, r: &Rec) -> Tri {
        match self {
            Node::Leaf(nots, l) => (0..*nots).fold(l.eval(r), |t, _| t.map(|b| !b)),
            Node::And(items) => {
                let all: Vec<Tri> = items.iter().map(|n| n.eval(r)).collect();
                if all.contains(&Some(false)) {
                    Some(false)
                } else if all.contains(&None) {
                    None
                } else {
                    Some(true)
                }
            }
            Node::Or(items) => {
                let all: Vec<Tri> = items.iter().map(|n| n.eval(r)).collect();
                if all.contains(&Some(true)) {
                    Some(true)
                } else if all.contains(&None) {
                    None
                } else {
                    Some(false)
                }
            }
            Node::Not(n) => n.eval(r).map(|b| !b),
        }
    }

    /// Walks the tree as the language evaluates it, taking each leaf
    /// reached from the trace in turn and checking it; the result of the
    /// traced leaves folded with Kleene's logic.
    fn fold(&self, r: &Rec, negated: bool, trace: &mut std::slice::Iter<'_, Json>) -> Tri {
        match self {
            Node::Leaf(..) => {
                let text = self.text();
                let Some(c) = trace.next() else {
                    panic!("the trace ends before `{text}`")
                };
                let want = self.eval(r);
                let Node::Leaf(_, leaf) = self else {
                    unreachable!()
                };
                assert_eq!(c["condition"], json!(text), "{c}");
                assert_eq!(
                    c.get("negated").cloned().unwrap_or(json!(false)),
                    json!(negated),
                    "{c}"
                );
                assert_eq!(c["operands"], leaf.operands(r), "{c}");
                // The traced result, folded; checked against the language.
                let got: Tri = c["result"].as_bool();
                assert_eq!(got, want, "{c}");
                got
            }
            Node::And(items) => {
                let mut unknown = false;
                for n in items {
                    match n.fold(r, negated, trace) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown {
                    None
                } else {
                    Some(true)
                }
            }
            Node::Or(items) => {
                let mut unknown = false;
                for n in items {
                    match n.fold(r, negated, trace) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown {
                    None
                } else {
                    Some(false)
                }
            }
            Node::Not(n) => n.fold(r, !negated, trace).map(|b| !b),
        }
    }
}

fn text_of() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["x", "y", "z"])
}

fn texts() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(text_of(), 1..3)
}

fn leaf() -> impl Strategy<Value = Leaf> {
    prop_oneof![
        (-2i64..8).prop_map(Leaf::AGe),
        (-2i64..8).prop_map(Leaf::KLeA),
        ((-2i64..5), (0i64..5)).prop_map(|(lo, w)| Leaf::Between(lo, lo + w)),
        any::<bool>().prop_map(Leaf::IsSet),
        texts().prop_map(Leaf::TIn),
        text_of().prop_map(Leaf::TEq),
        text_of().prop_map(Leaf::InS),
        texts().prop_map(Leaf::SAny),
        Just(Leaf::F),
        Just(Leaf::P),
        (0i64..2000).prop_map(Leaf::MGe),
        (0i64..10).prop_map(Leaf::DurLe),
        (0i64..10).prop_map(Leaf::Days),
        (-2i64..12).prop_map(Leaf::SumGt),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    (0usize..2, leaf())
        .prop_map(|(nots, l)| Node::Leaf(nots, l))
        .prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Node::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Node::Or),
                inner.prop_map(|n| match n {
                    Node::Leaf(nots, l) => Node::Leaf(nots + 1, l),
                    other => Node::Not(Box::new(other)),
                }),
            ]
        })
}

fn rec() -> impl Strategy<Value = Rec> {
    (
        (
            prop::option::of(-2i64..8),
            prop::option::of(-2i64..8),
            prop::option::of(text_of()),
            prop::option::of(any::<bool>()),
        ),
        (
            prop::option::of(prop::collection::vec(text_of(), 0..3)),
            prop::option::of(0i64..2000),
            prop::option::of(0i64..10),
            prop::option::of(0i64..10),
        ),
    )
        .prop_map(|((a, b, t, f), (s, m, dur, d))| Rec {
            a,
            b,
            t,
            f,
            s,
            m,
            dur,
            d,
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn traced_leaves_are_those_evaluated_and_fold_to_the_rule_result(
        cond in node(),
        records in prop::collection::vec(rec(), 1..6),
    ) {
        let text = cond.text();
        let src = format!("{HEAD}qualify lead {{\n  stage P when a >= 2\n  stage S when {text}\n}}\n");
        let policy = match Policy::from_source("p.baton", &src) {
            Ok(p) => p,
            Err(e) => panic!("{src}\n{}", e.render()),
        };
        let schema = policy.qualify_schema().expect("a qualify block");
        for r in &records {
            let record = schema.from_json_str(&r.json()).expect("a record");
            let d = policy
                .qualify(&record, &EvalOptions::on(today()).explained())
                .expect("no evaluation error");
            let plain = policy
                .qualify(&record, &EvalOptions::on(today()))
                .expect("no evaluation error");
            let steps = d.explain.expect("explained");
            let step = steps
                .iter()
                .find(|s| s.rule.starts_with("stage S when"))
                .expect("the stage's step");
            let conditions = serde_json::to_value(&step.conditions).expect("json");
            let conditions = conditions.as_array().expect("an array");
            let mut trace = conditions.iter();
            let folded = cond.fold(r, false, &mut trace);
            prop_assert!(trace.next().is_none(), "leaves traced past the end: {conditions:?}");
            // The step's result is the evaluator's, as without `--explain`.
            let stage = plain.stages.iter().find(|(n, _)| n == "S").map(|(_, t)| *t);
            prop_assert_eq!(Some(step.result), stage);
            prop_assert_eq!(folded, step.result, "{} over {:?}", text, r);
            prop_assert_eq!(cond.eval(r), step.result, "{} over {:?}", text, r);
        }
    }
}
