//! Property tests: Kleene logic with unknowns, short-circuit and errors,
//! no panic on generated records and policies, nesting limits on a normal
//! thread stack, exact decimal and money input, exact score sums.
//!
//! Every expected value is computed here, independently of baton: a
//! hand-written Kleene truth table, a reference evaluator, rust_decimal
//! arithmetic on the generated numbers.

use std::path::Path;
use std::sync::OnceLock;

use baton::{Currency, EvalOptions, Money, Policy, PolicySet, Record, RecordBatch, Type, Value};
use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use rust_decimal::Decimal;
use serde_json::{json, Value as Json};

/// Modest case counts; no regression files written into the tree.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn opts(today: NaiveDate, explain: bool) -> EvalOptions {
    let o = EvalOptions::on(today);
    if explain {
        o.explained()
    } else {
        o
    }
}

/// A decimal read from text as an input cell is.
fn parse_decimal(text: &str) -> Option<Decimal> {
    match Value::from_text(Type::Decimal, text, None) {
        Ok(Value::Decimal(d)) => Some(d),
        _ => None,
    }
}

/// Money read from text as an input cell is.
fn parse_money(text: &str, default: Option<Currency>) -> Option<Money> {
    match Value::from_text(Type::Money, text, default) {
        Ok(Value::Money(m)) => Some(m),
        _ => None,
    }
}

/// A JSON number written with exactly these digits. A `serde_json::Value`
/// holds a number as a binary float (this crate does not ask for
/// serde_json's `arbitrary_precision`), so the number travels as a marked
/// string that [`exact_text`] writes back as the bare number.
fn num(text: &str) -> Json {
    Json::String(format!("\u{1}num:{text}"))
}

/// The JSON text of `v`, the numbers of [`num`] written as numbers.
fn exact_text(v: &Json) -> String {
    let s = serde_json::to_string(v).unwrap();
    let mark = "\"\\u0001num:";
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(i) = rest.find(mark) {
        out.push_str(&rest[..i]);
        let after = &rest[i + mark.len()..];
        let end = after.find('"').unwrap();
        out.push_str(&after[..end]);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A record of the policy's `qualify` block from JSON, numbers exact.
fn record_q(p: &Policy, v: &Json) -> Result<Record, baton::RecordError> {
    match p.qualify_schema() {
        Some(s) => s.from_json_str(&exact_text(v)),
        None => p.record_for_qualify(v),
    }
}

/// A record of the policy's `health` block from JSON, numbers exact.
fn record_h(p: &Policy, v: &Json) -> Result<Record, baton::RecordError> {
    match p.health_schema() {
        Some(s) => s.from_json_str(&exact_text(v)),
        None => p.record_for_health(v),
    }
}

fn compile(src: &str) -> Policy {
    match Policy::from_source("prop.baton", src) {
        Ok(p) => p,
        Err(e) => panic!("policy should compile:\n{src}\n{}", e.render()),
    }
}

// ===================================================================
// a. Kleene logic
// ===================================================================

type Tri = Option<bool>;
const T: Tri = Some(true);
const F: Tri = Some(false);
const U: Tri = None;

/// Kleene's strong three-valued logic, LANGUAGE.md §4, written out.
const AND: [(Tri, Tri, Tri); 9] = [
    (T, T, T),
    (T, U, U),
    (T, F, F),
    (U, T, U),
    (U, U, U),
    (U, F, F),
    (F, T, F),
    (F, U, F),
    (F, F, F),
];
const OR: [(Tri, Tri, Tri); 9] = [
    (T, T, T),
    (T, U, T),
    (T, F, T),
    (U, T, T),
    (U, U, U),
    (U, F, U),
    (F, T, T),
    (F, U, U),
    (F, F, F),
];
const NOT: [(Tri, Tri); 3] = [(T, F), (U, U), (F, T)];

fn table2(t: &[(Tri, Tri, Tri); 9], x: Tri, y: Tri) -> Tri {
    t.iter()
        .find(|(a, b, _)| *a == x && *b == y)
        .map(|r| r.2)
        .unwrap()
}
fn k_and(x: Tri, y: Tri) -> Tri {
    table2(&AND, x, y)
}
fn k_or(x: Tri, y: Tri) -> Tri {
    table2(&OR, x, y)
}
fn k_not(x: Tri) -> Tri {
    NOT.iter().find(|(a, _)| *a == x).map(|r| r.1).unwrap()
}

const VARS: [&str; 3] = ["a", "b", "c"];
const ALL_TRI: [Tri; 3] = [T, F, U];

/// A boolean expression over the optional bool fields `a`, `b`, `c`.
#[derive(Debug, Clone)]
enum B {
    Var(usize),
    Lit(bool),
    /// `x is set` (false) / `x is not set` (true).
    IsSet(usize, bool),
    /// `x == y` (false) / `x != y` (true).
    Eq(usize, usize, bool),
    Not(Box<B>),
    And(Box<B>, Box<B>),
    Or(Box<B>, Box<B>),
}

impl B {
    /// Source text; every compound form is parenthesized.
    fn src(&self) -> String {
        match self {
            B::Var(i) => VARS[*i].to_string(),
            B::Lit(b) => b.to_string(),
            B::IsSet(i, false) => format!("({} is set)", VARS[*i]),
            B::IsSet(i, true) => format!("({} is not set)", VARS[*i]),
            B::Eq(i, j, false) => format!("({} == {})", VARS[*i], VARS[*j]),
            B::Eq(i, j, true) => format!("({} != {})", VARS[*i], VARS[*j]),
            B::Not(x) => format!("(not {})", x.src()),
            B::And(x, y) => format!("({} and {})", x.src(), y.src()),
            B::Or(x, y) => format!("({} or {})", x.src(), y.src()),
        }
    }

    /// The reference evaluator: the truth tables above.
    fn eval(&self, env: &[Tri; 3]) -> Tri {
        match self {
            B::Var(i) => env[*i],
            B::Lit(b) => Some(*b),
            B::IsSet(i, neg) => Some(env[*i].is_some() != *neg),
            B::Eq(i, j, neg) => match (env[*i], env[*j]) {
                (Some(x), Some(y)) => Some((x == y) != *neg),
                _ => None,
            },
            B::Not(x) => k_not(x.eval(env)),
            B::And(x, y) => k_and(x.eval(env), y.eval(env)),
            B::Or(x, y) => k_or(x.eval(env), y.eval(env)),
        }
    }
}

fn bexpr() -> impl Strategy<Value = B> {
    let leaf = prop_oneof![
        6 => (0..3usize).prop_map(B::Var),
        1 => any::<bool>().prop_map(B::Lit),
        1 => (0..3usize, any::<bool>()).prop_map(|(i, n)| B::IsSet(i, n)),
        1 => (0..3usize, 0..3usize, any::<bool>()).prop_map(|(i, j, n)| B::Eq(i, j, n)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            1 => inner.clone().prop_map(|x| B::Not(Box::new(x))),
            2 => (inner.clone(), inner.clone()).prop_map(|(x, y)| B::And(Box::new(x), Box::new(y))),
            2 => (inner.clone(), inner).prop_map(|(x, y)| B::Or(Box::new(x), Box::new(y))),
        ]
    })
}

const KLEENE_HEAD: &str = "policy \"kleene\" version 1 effective 2026-01-01\n\
record r key id { id: text  a: bool?  b: bool?  c: bool? }\n";

/// A JSON record for one assignment; unknown is an absent key or `null`.
fn kleene_record(env: &[Tri; 3], null_for_unknown: &[bool; 3]) -> Json {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!("r-1"));
    for (i, v) in env.iter().enumerate() {
        match v {
            Some(b) => {
                m.insert(VARS[i].into(), json!(b));
            }
            None if null_for_unknown[i] => {
                m.insert(VARS[i].into(), Json::Null);
            }
            None => {}
        }
    }
    Json::Object(m)
}

fn assignments() -> impl Iterator<Item = [Tri; 3]> {
    ALL_TRI.into_iter().flat_map(|a| {
        ALL_TRI
            .into_iter()
            .flat_map(move |b| ALL_TRI.map(|c| [a, b, c]))
    })
}

/// The stage results of `policy` for one assignment, by stage name.
fn stages_of(
    policy: &Policy,
    env: &[Tri; 3],
    nulls: &[bool; 3],
) -> (Vec<(String, Tri)>, Option<String>) {
    let rec = record_q(policy, &kleene_record(env, nulls)).unwrap();
    let d = policy.qualify(&rec, &opts(day(), false)).unwrap();
    (d.stages, d.stage)
}

#[test]
fn kleene_laws_over_every_assignment_of_a_b_c() {
    // The laws of the brief, on the fields themselves, for all 27 assignments.
    type Law = (&'static str, &'static str, fn(&[Tri; 3]) -> Tri);
    let laws: [Law; 16] = [
        ("NAND", "not (a and b)", |e| k_not(k_and(e[0], e[1]))),
        ("DEMORGAN", "not a or not b", |e| {
            k_or(k_not(e[0]), k_not(e[1]))
        }),
        ("AB", "a and b", |e| k_and(e[0], e[1])),
        ("BA", "b and a", |e| k_and(e[1], e[0])),
        ("DISTL", "a or (b and c)", |e| k_or(e[0], k_and(e[1], e[2]))),
        ("DISTR", "(a or b) and (a or c)", |e| {
            k_and(k_or(e[0], e[1]), k_or(e[0], e[2]))
        }),
        ("CONTRA", "a and not a", |e| k_and(e[0], k_not(e[0]))),
        ("AFALSE", "a and false", |_| F),
        ("FALSEA", "false and a", |_| F),
        ("ATRUE", "a or true", |_| T),
        ("TRUEA", "true or a", |_| T),
        ("ATRUE2", "a and true", |e| e[0]),
        ("NOTA", "not a", |e| k_not(e[0])),
        ("ISSET", "a is set", |e| Some(e[0].is_some())),
        ("NOTSET", "a is not set", |e| Some(e[0].is_none())),
        // A stage's name carries its three-valued result into later stages.
        ("CHAIN", "AB or c", |e| k_or(k_and(e[0], e[1]), e[2])),
    ];
    let mut src = KLEENE_HEAD.to_string() + "qualify r {\n";
    for (name, cond, _) in &laws {
        src += &format!("  stage {name} when {cond}\n");
    }
    src += "}\n";
    let policy = compile(&src);
    for env in assignments() {
        for nulls in [[false; 3], [true; 3]] {
            let (stages, stage) = stages_of(&policy, &env, &nulls);
            assert_eq!(stages.len(), laws.len());
            for ((name, cond, expected), (got_name, got)) in laws.iter().zip(&stages) {
                assert_eq!(name, got_name);
                assert_eq!(
                    *got,
                    expected(&env),
                    "`{cond}` with a={:?} b={:?} c={:?}",
                    env[0],
                    env[1],
                    env[2]
                );
            }
            let get = |n: &str| stages.iter().find(|(s, _)| s == n).unwrap().1;
            assert_eq!(get("NAND"), get("DEMORGAN"), "De Morgan, {env:?}");
            assert_eq!(get("AB"), get("BA"), "commutativity, {env:?}");
            assert_eq!(get("DISTL"), get("DISTR"), "distributivity, {env:?}");
            assert_ne!(get("CONTRA"), T, "a and not a is never true, {env:?}");
            // The last-written true stage; ISSET/NOTSET are always known, so
            // the decided stage is never "none" here.
            let last_true = laws
                .iter()
                .rev()
                .find(|(_, _, f)| f(&env) == T)
                .map(|(n, _, _)| n.to_string());
            assert_eq!(stage, last_true, "{env:?}");
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Random expressions X, Y, Z over a, b, c: each stage agrees with the
    /// reference evaluator, and the laws hold between X, Y, Z.
    #[test]
    fn kleene_laws_on_random_expressions(
        x in bexpr(),
        y in bexpr(),
        z in bexpr(),
        nulls in any::<[bool; 3]>(),
    ) {
        let (xs, ys, zs) = (x.src(), y.src(), z.src());
        type Law = (&'static str, String, Box<dyn Fn(Tri, Tri, Tri) -> Tri>);
        let laws: Vec<Law> = vec![
            ("SX", xs.clone(), Box::new(|x, _, _| x)),
            ("SY", ys.clone(), Box::new(|_, y, _| y)),
            ("NAND", format!("not ({xs} and {ys})"), Box::new(|x, y, _| k_not(k_and(x, y)))),
            ("DEMORGAN", format!("not {xs} or not {ys}"), Box::new(|x, y, _| k_or(k_not(x), k_not(y)))),
            ("NOR", format!("not ({xs} or {ys})"), Box::new(|x, y, _| k_not(k_or(x, y)))),
            ("DEMORGAN2", format!("not {xs} and not {ys}"), Box::new(|x, y, _| k_and(k_not(x), k_not(y)))),
            ("XY", format!("{xs} and {ys}"), Box::new(|x, y, _| k_and(x, y))),
            ("YX", format!("{ys} and {xs}"), Box::new(|x, y, _| k_and(y, x))),
            ("DISTL", format!("{xs} or ({ys} and {zs})"), Box::new(|x, y, z| k_or(x, k_and(y, z)))),
            ("DISTR", format!("({xs} or {ys}) and ({xs} or {zs})"), Box::new(|x, y, z| k_and(k_or(x, y), k_or(x, z)))),
            ("CONTRA", format!("{xs} and not {xs}"), Box::new(|x, _, _| k_and(x, k_not(x)))),
            ("XFALSE", format!("{xs} and false"), Box::new(|_, _, _| F)),
            ("XTRUE", format!("{xs} or true"), Box::new(|_, _, _| T)),
            ("NOTNOT", format!("not not {xs}"), Box::new(|x, _, _| x)),
            ("USES", "SX and not SY".to_string(), Box::new(|x, y, _| k_and(x, k_not(y)))),
        ];
        let mut src = KLEENE_HEAD.to_string() + "qualify r {\n";
        for (name, cond, _) in &laws {
            src += &format!("  stage {name} when {cond}\n");
        }
        src += "}\n";
        let policy = compile(&src);
        for env in assignments() {
            let (xv, yv, zv) = (x.eval(&env), y.eval(&env), z.eval(&env));
            let (stages, stage) = stages_of(&policy, &env, &nulls);
            for ((name, cond, expected), (_, got)) in laws.iter().zip(&stages) {
                prop_assert_eq!(
                    *got,
                    expected(xv, yv, zv),
                    "stage {} when {} with a={:?} b={:?} c={:?}", name, cond, env[0], env[1], env[2]
                );
            }
            let get = |n: &str| stages.iter().find(|(s, _)| s == n).unwrap().1;
            prop_assert_eq!(get("NAND"), get("DEMORGAN"));
            prop_assert_eq!(get("NOR"), get("DEMORGAN2"));
            prop_assert_eq!(get("XY"), get("YX"));
            prop_assert_eq!(get("DISTL"), get("DISTR"));
            prop_assert_ne!(get("CONTRA"), T);
            let last_true = laws
                .iter()
                .rev()
                .find(|(_, _, f)| f(xv, yv, zv) == T)
                .map(|(n, _, _)| n.to_string());
            prop_assert_eq!(stage, last_true);
        }
    }
}

// -------------------------------------------------------------------
// Short-circuit and errors: `and`/`or` evaluate left to right, an error
// is stronger than unknown, `false and <error>` is false.

/// A boolean expression with a leaf that may fail: `(1 / z > 0)` is an
/// error when `z` is 0, true for 1, false for -1, unknown when absent.
#[derive(Debug, Clone)]
enum E {
    Var(usize),
    Lit(bool),
    Boom,
    Not(Box<E>),
    And(Box<E>, Box<E>),
    Or(Box<E>, Box<E>),
}

impl E {
    fn src(&self) -> String {
        match self {
            E::Var(i) => VARS[*i].to_string(),
            E::Lit(b) => b.to_string(),
            E::Boom => "(1 / z > 0)".to_string(),
            E::Not(x) => format!("(not {})", x.src()),
            E::And(x, y) => format!("({} and {})", x.src(), y.src()),
            E::Or(x, y) => format!("({} or {})", x.src(), y.src()),
        }
    }

    /// Reference: left to right, stop when decided, errors propagate.
    fn eval(&self, env: &[Tri; 3], z: Option<i64>) -> Result<Tri, ()> {
        Ok(match self {
            E::Var(i) => env[*i],
            E::Lit(b) => Some(*b),
            E::Boom => match z {
                None => None,
                Some(0) => return Err(()),
                Some(v) => Some(v > 0),
            },
            E::Not(x) => k_not(x.eval(env, z)?),
            E::And(x, y) => {
                let l = x.eval(env, z)?;
                if l == F {
                    return Ok(F);
                }
                k_and(l, y.eval(env, z)?)
            }
            E::Or(x, y) => {
                let l = x.eval(env, z)?;
                if l == T {
                    return Ok(T);
                }
                k_or(l, y.eval(env, z)?)
            }
        })
    }
}

fn eexpr() -> impl Strategy<Value = E> {
    let leaf = prop_oneof![
        4 => (0..3usize).prop_map(E::Var),
        1 => any::<bool>().prop_map(E::Lit),
        2 => Just(E::Boom),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            1 => inner.clone().prop_map(|x| E::Not(Box::new(x))),
            2 => (inner.clone(), inner.clone()).prop_map(|(x, y)| E::And(Box::new(x), Box::new(y))),
            2 => (inner.clone(), inner).prop_map(|(x, y)| E::Or(Box::new(x), Box::new(y))),
        ]
    })
}

/// Evaluates every stage condition of `policy` on its own, straight through
/// the evaluator's tri-state entry point.
fn eval_conditions(
    policy: &Policy,
    conditions: &[baton::Condition],
    record: &Json,
) -> Vec<Result<Tri, baton::EvalError>> {
    let rec = record_q(policy, record).unwrap();
    conditions.iter().map(|c| c.eval(&rec, day())).collect()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn errors_are_stronger_than_unknown_and_short_circuit_is_left_to_right(
        x in eexpr(),
        y in eexpr(),
        nulls in any::<[bool; 3]>(),
    ) {
        let (xs, ys) = (x.src(), y.src());
        let src = format!(
            "policy \"errors\" version 1 effective 2026-01-01\n\
             record r key id {{ id: text  a: bool?  b: bool?  c: bool?  z: int? }}\n\
             qualify r {{\n  stage SX when {xs}\n  stage XY when {xs} and {ys}\n  stage YX when {ys} and {xs}\n  stage XORY when {xs} or {ys}\n  stage NX when not {xs}\n}}\n"
        );
        let policy = compile(&src);
        let texts = [xs.clone(), format!("{xs} and {ys}"), format!("{ys} and {xs}"), format!("{xs} or {ys}"), format!("not {xs}")];
        let conditions: Vec<baton::Condition> =
            texts.iter().map(|t| policy.condition("r", t).unwrap()).collect();
        let mut batch = RecordBatch::new(policy.qualify_schema().unwrap());
        let mut each_record = Vec::new();
        for env in assignments() {
            for z in [None, Some(0), Some(1), Some(-1)] {
                let mut rec = kleene_record(&env, &nulls);
                if let Some(z) = z {
                    rec["z"] = json!(z);
                }
                let got = eval_conditions(&policy, &conditions, &rec);
                batch.push(record_q(&policy, &rec).unwrap()).unwrap();
                each_record.push(got.clone());
                let and = |l: &E, r: &E| E::And(Box::new(l.clone()), Box::new(r.clone()));
                let expected = [
                    x.eval(&env, z),
                    and(&x, &y).eval(&env, z),
                    and(&y, &x).eval(&env, z),
                    E::Or(Box::new(x.clone()), Box::new(y.clone())).eval(&env, z),
                    E::Not(Box::new(x.clone())).eval(&env, z),
                ];
                let names = ["SX", "XY", "YX", "XORY", "NX"];
                for ((name, g), want) in names.iter().zip(&got).zip(&expected) {
                    match (g, want) {
                        (Ok(g), Ok(w)) => prop_assert_eq!(g, w, "{} (x = {}, y = {}) env {:?} z {:?}", name, xs, ys, env, z),
                        (Err(e), Err(())) => prop_assert!(
                            matches!(e, baton::EvalError::DivisionByZero(_)),
                            "{}: {:?}", name, e
                        ),
                        _ => prop_assert!(false, "{}: got {:?}, expected {:?} (x = {}, y = {}) env {:?} z {:?}", name, g, want, xs, ys, env, z),
                    }
                }
                // Commutativity of `and` where neither order fails.
                if let (Ok(xy), Ok(yx)) = (&got[1], &got[2]) {
                    prop_assert_eq!(xy, yx);
                }
            }
        }
        // The stream form gives, record by record, what the one-record form
        // gives: nothing (an error, an unknown) carries over between records.
        for (i, condition) in conditions.iter().enumerate() {
            let streamed: Vec<_> = condition.eval_each(&batch, day()).unwrap().collect();
            let one_by_one: Vec<_> = each_record.iter().map(|got| got[i].clone()).collect();
            prop_assert_eq!(streamed, one_by_one, "stage {}", i);
        }
    }
}

#[test]
fn short_circuit_examples_from_the_language_reference() {
    let src = "policy \"sc\" version 1 effective 2026-01-01\n\
        record r key id { id: text  a: bool?  z: int? }\n\
        qualify r {\n\
          stage FALSE_AND_ERROR when false and 1 / z > 0\n\
          stage A_AND_ERROR when a and 1 / z > 0\n\
          stage ERROR_AND_FALSE when 1 / z > 0 and false\n\
          stage TRUE_OR_ERROR when true or 1 / z > 0\n\
        }\n";
    let policy = compile(src);
    let conditions: Vec<baton::Condition> = [
        "false and 1 / z > 0",
        "a and 1 / z > 0",
        "1 / z > 0 and false",
        "true or 1 / z > 0",
    ]
    .iter()
    .map(|t| policy.condition("r", t).unwrap())
    .collect();
    // a unknown, z = 0: `unknown and <error>` is an error.
    let got = eval_conditions(&policy, &conditions, &json!({"id": "r", "z": 0}));
    assert_eq!(got[0], Ok(F));
    assert!(
        matches!(got[1], Err(baton::EvalError::DivisionByZero(_))),
        "{:?}",
        got[1]
    );
    assert!(
        matches!(got[2], Err(baton::EvalError::DivisionByZero(_))),
        "{:?}",
        got[2]
    );
    assert_eq!(got[3], Ok(T));
    // a false: `false and <error>` never evaluates the error.
    let got = eval_conditions(
        &policy,
        &conditions,
        &json!({"id": "r", "a": false, "z": 0}),
    );
    assert_eq!(got[1], Ok(F));
    // The whole record is an error through `qualify`, never a silent false.
    let rec = record_q(&policy, &json!({"id": "r", "z": 0})).unwrap();
    assert!(policy.qualify(&rec, &opts(day(), false)).is_err());
}

// ===================================================================
// b. No panic on generated records
// ===================================================================

/// Number texts that stress exact parsing (JSON numbers, kept verbatim by
/// serde_json's `arbitrary_precision`).
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "1e400",
            "-1e400",
            "1e-400",
            "1E28",
            "1e29",
            "0e999999999999",
            "99999999999999999999999999999999",
            "-99999999999999999999999999999999",
            "79228162514264337593543950335",
            "79228162514264337593543950336",
            "-79228162514264337593543950336",
            "0.0000000000000000000000000001",
            "0.00000000000000000000000000001",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "0",
            "-0",
            "-0.0",
            "0.1",
            "1.5e3",
            "123456789012345678901234567890.123",
        ])
        .prop_map(str::to_string),
        any::<i64>().prop_map(|i| i.to_string()),
        (any::<i64>(), 0..40u32, -600i32..600)
            .prop_map(|(m, frac, e)| format!("{m}.{}e{e}", "7".repeat(frac as usize + 1))),
    ]
}

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            " ",
            "\t",
            "1e400",
            "99999999999999999999999999999999",
            "-5",
            "+5",
            "45d",
            "0d",
            "99999999999999999999d",
            "9223372036854775807w",
            "1d12h",
            "1250.00 USD",
            "USD 1250.00",
            "1250.00 usd",
            "1e400 EUR",
            "1 2 3",
            "2026-02-30",
            "2026-11-22",
            "9999-12-31",
            "0001-01-01",
            "+262142-12-31",
            "-262143-01-01",
            "2026-11-22T09:30:00Z",
            "9999-12-31T23:59:59+23:59",
            "true",
            "FALSE",
            "saas",
            "referral",
            "student",
            "sso;api",
            "\u{0}",
            "🙂",
        ])
        .prop_map(str::to_string),
        "\\PC{0,16}",
        number_text(),
    ]
}

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number_text().prop_map(|t| num(&t)),
        text_value().prop_map(Json::String),
        (
            number_text(),
            prop::sample::select(vec!["USD", "EUR", "JPY", "usd", "", "US"])
        )
            .prop_map(|(n, c)| { json!({"amount": num(&n), "currency": c}) }),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec(("[a-z]{1,8}", inner), 0..3)
                .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

/// Random edits of a valid `base` record: some keys of the schema (or junk
/// keys) set to random JSON values, some removed. Most edits keep the
/// record convertible enough that evaluation itself is exercised.
fn edited(base: Json, keys: Vec<String>) -> impl Strategy<Value = Json> {
    let key = prop_oneof![
        4 => prop::sample::select(keys.clone()),
        1 => "[a-z_]{0,10}",
    ];
    (
        prop::collection::vec((key, json_value()), 0..4),
        prop::collection::vec(prop::sample::select(keys), 0..3),
        any::<bool>(),
    )
        .prop_map(move |(set, remove, wholly_random)| {
            let mut v = if wholly_random {
                Json::Object(serde_json::Map::new())
            } else {
                base.clone()
            };
            for k in remove {
                v.as_object_mut().unwrap().remove(&k);
            }
            for (k, j) in set {
                v[k] = j;
            }
            v
        })
}

/// A lead of the qualification schema with extreme but well-typed values.
fn good_lead() -> impl Strategy<Value = Json> {
    (
        prop::sample::select(vec!["saas", "fintech", "retail", ""]),
        prop::option::of(prop::sample::select(vec!["support_automation", "x"])),
        prop::option::of(prop_oneof![
            number_text().prop_map(|n| json!(format!("{n} USD"))),
            number_text().prop_map(|n| json!(format!("{n} EUR"))),
            number_text().prop_map(|n| num(&n)),
        ]),
        prop::option::of(prop_oneof![
            any::<i64>().prop_map(|i| json!(i)),
            prop::sample::select(vec!["90d", "1w", "0m"]).prop_map(|s| json!(s)),
        ]),
        any::<i64>(),
        prop::option::of(any::<bool>()),
        prop::collection::vec(prop::sample::select(vec!["sso", "api", "on_prem"]), 0..3),
        prop::sample::select(vec!["web", "referral", "student"]),
        prop::sample::select(vec!["2026-03-02", "0001-01-01", "9999-12-31"]),
    )
        .prop_map(
            |(industry, use_case, budget, timeline, employees, dm, features, source, created)| {
                let mut v = json!({
                    "id": "L-1", "company": "C", "industry": industry, "employees": employees,
                    "features": features, "source": source, "created": created,
                });
                if let Some(u) = use_case {
                    v["use_case"] = json!(u);
                }
                if let Some(b) = budget {
                    v["budget"] = b;
                }
                if let Some(t) = timeline {
                    v["timeline"] = t;
                }
                if let Some(d) = dm {
                    v["decision_maker"] = json!(d);
                }
                v
            },
        )
}

/// An account of the health schema with extreme but well-typed values.
fn good_account() -> impl Strategy<Value = Json> {
    let date = prop::sample::select(vec![
        "2026-09-01",
        "0001-01-01",
        "9999-12-31",
        "+262142-12-31",
        "-262143-01-01",
    ]);
    (
        prop::option::of(prop::sample::select(vec![i64::MIN, -1, 0, 3, 7, i64::MAX])),
        date.clone(),
        prop::option::of(date),
        prop::option::of(prop::collection::vec(
            prop::sample::select(vec![
                "first_report",
                "team_invited",
                "integration_live",
                "x",
            ]),
            0..4,
        )),
        prop::option::of(number_text()),
        prop::option::of(any::<i64>()),
    )
        .prop_map(|(steps, signed, first, milestones, ratio, tickets)| {
            let mut v = json!({"account_id": "A-1", "segment": "smb", "signed_on": signed});
            if let Some(s) = steps {
                v["activation_steps"] = json!(s);
            }
            if let Some(f) = first {
                v["first_value_on"] = json!(f);
            }
            if let Some(m) = milestones {
                v["milestones"] = json!(m);
            }
            if let Some(r) = ratio {
                v["weekly_active_ratio"] = num(&r);
            }
            if let Some(t) = tickets {
                v["open_tickets"] = json!(t);
            }
            v
        })
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        Just(NaiveDate::MIN),
        Just(NaiveDate::MAX),
        (-5000i32..5000, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()),
    ]
}

fn shipped(dir: &str) -> &'static PolicySet {
    static QUALIFICATION: OnceLock<PolicySet> = OnceLock::new();
    static HEALTH: OnceLock<PolicySet> = OnceLock::new();
    let cell = match dir {
        "qualification" => &QUALIFICATION,
        _ => &HEALTH,
    };
    cell.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("policies")
            .join(dir);
        match PolicySet::load(&path) {
            Ok(s) => s,
            Err(e) => panic!("{}", e.render()),
        }
    })
}

fn schema_keys(p: &Policy, health: bool) -> Vec<String> {
    let s = if health {
        p.health_schema()
    } else {
        p.qualify_schema()
    };
    s.unwrap().fields().iter().map(|f| f.name.clone()).collect()
}

fn base_lead() -> Json {
    json!({"id": "L-1", "company": "Northwind", "industry": "saas", "use_case": "sales_handoff",
        "budget": "50000 USD", "timeline": "30d", "employees": 800, "decision_maker": true,
        "features": ["sso"], "source": "web", "created": "2026-10-20"})
}

fn base_account() -> Json {
    json!({"account_id": "A-1", "segment": "enterprise", "activation_steps": 5,
        "signed_on": "2026-09-01", "first_value_on": "2026-09-10",
        "milestones": ["first_report"], "weekly_active_ratio": 0.5, "open_tickets": 2})
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn qualification_never_panics_on_generated_records(
        rec in prop_oneof![
            edited(base_lead(), schema_keys(shipped("qualification").latest().unwrap(), false)),
            good_lead(),
        ],
        today in any_date(),
        explain in any::<bool>(),
    ) {
        for policy in shipped("qualification").versions() {
            if let Ok(record) = record_q(policy, &rec) {
                let _ = policy.qualify(&record, &opts(today, explain));
            }
        }
    }

    #[test]
    fn health_never_panics_on_generated_records(
        rec in prop_oneof![
            edited(base_account(), schema_keys(shipped("health").latest().unwrap(), true)),
            good_account(),
        ],
        today in any_date(),
        explain in any::<bool>(),
    ) {
        for policy in shipped("health").versions() {
            if let Ok(record) = record_h(policy, &rec) {
                let _ = policy.health(&record, &opts(today, explain));
            }
        }
    }
}

#[test]
fn generated_records_do_convert_and_evaluate() {
    // Guards the properties above against vacuity: the bases convert and
    // evaluate, and so do extreme but well-typed values.
    let q = shipped("qualification").latest().unwrap();
    let r = record_q(q, &base_lead()).unwrap();
    assert_eq!(
        q.qualify(&r, &opts(day(), true)).unwrap().stage.as_deref(),
        Some("SQL")
    );
    let lead = json!({"id": "L-1", "company": "C", "industry": "saas", "employees": 9223372036854775807i64,
        "features": [], "source": "web", "created": "9999-12-31", "budget": "1e28 USD", "timeline": -9223372036854775808i64});
    let r = record_q(q, &lead).unwrap();
    assert!(q.qualify(&r, &opts(NaiveDate::MIN, true)).is_ok());
    let h = shipped("health").latest().unwrap();
    let r = record_h(h, &base_account()).unwrap();
    assert!(h.health(&r, &opts(day(), true)).unwrap().score.is_some());
}

// ===================================================================
// c. No panic on generated policies; nesting limits on a 2 MiB stack
// ===================================================================

const KEYWORDS: &[&str] = &[
    "policy",
    "version",
    "effective",
    "timezone",
    "currency",
    "let",
    "record",
    "key",
    "set",
    "of",
    "score",
    "for",
    "add",
    "subtract",
    "when",
    "clamp",
    "to",
    "qualify",
    "stage",
    "health",
    "measure",
    "weight",
    "else",
    "band",
    "otherwise",
    "calendar",
    "closed",
    "handoff",
    "note",
    "owner",
    "requires",
    "sla",
    "within",
    "on",
    "met",
    "by",
    "warn",
    "before",
    "breach",
    "escalate",
    "at",
    "after",
    "incomplete",
    "flag",
    "commission",
    "clawback",
    "days",
    "except",
    "prorated",
    "bonus",
    "upgrade",
    "if",
    "retained",
    "rounding",
    "test",
    "given",
    "event",
    "expect",
    "error",
    "goal",
    "alert",
    "no",
    "missing",
    "none",
    "line",
    "or",
    "and",
    "not",
    "in",
    "is",
    "contains",
    "any",
    "all",
    "subset_of",
    "between",
    "true",
    "false",
    "today",
    "mon",
    "tue",
    "fri",
    "sun",
    "bool",
    "int",
    "decimal",
    "money",
    "text",
    "date",
    "timestamp",
    "duration",
    "half_even",
    "half_up",
    "down",
];
const SYMBOLS: &[&str] = &[
    "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "{", "}", ",", ":", "?", "=",
    ".", "%", "\"", "#", "\n", "-",
];
const LITERALS: &[&str] = &[
    "0",
    "42",
    "10_000",
    "12.5",
    "0.075",
    "50%",
    "12.5%",
    "10_000 USD",
    "99.95 EUR",
    "5 JPY",
    "90d",
    "4h",
    "30m",
    "1w",
    "1d12h",
    "0d",
    "2026-11-22",
    "2026-02-30",
    "9999-12-31",
    "2026-11-22T09:30:00Z",
    "2026-11-22T09:30:00-05:00",
    "09:00",
    "17:30",
    "24:00",
    "25:99",
    "\"saas\"",
    "\"a\\\"b\"",
    "\"\"",
    "\"America/New_York\"",
    "\"Mars/Olympus\"",
    "{\"sso\", \"api\"}",
    "{1, 2}",
    "{}",
    "99999999999999999999999",
    "9999999999999999999999999999999.5",
    "9223372036854775807",
    "99999999999999999999d",
    "mon-fri 09:00-17:00",
];
const IDENTS: &[&str] = &[
    "a",
    "b",
    "lead",
    "r",
    "id",
    "budget",
    "fit",
    "MQL",
    "SQL",
    "x_1",
    "score",
    "deal",
    "event",
    "closed_on",
    "amount",
    "in_days",
    "in_hours",
    "currency",
    "len",
    "lower",
    "min",
    "max",
    "round",
    "cal",
    "onboarding",
    "USD",
];

fn token() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        3 => prop::sample::select(KEYWORDS),
        3 => prop::sample::select(SYMBOLS),
        2 => prop::sample::select(LITERALS),
        3 => prop::sample::select(IDENTS),
    ]
}

const SOUP_HEAD: &str = "policy \"gen\" version 1 effective 2026-01-01\n\
record lead key id { id: text  a: bool?  n: int?  m: money?  d: date?  s: set of text }\n";

/// A diagnostic about the parser or checker itself is a bug, not the
/// user's.
fn no_internal_error(e: &baton::LoadError) {
    for d in &e.diagnostics {
        assert!(!d.message.contains("internal"), "{}", d.message);
    }
}

/// Loading must return Ok or Err. When it is Ok, evaluating must not panic
/// either.
fn load_and_poke(text: &str) {
    let loaded = Policy::from_source("gen.baton", text);
    if let Err(e) = &loaded {
        no_internal_error(e);
    }
    if let Ok(p) = loaded {
        let _ = p.run_tests();
        if let Ok(r) = record_q(&p, &json!({"id": "x", "s": []})) {
            let _ = p.qualify(&r, &opts(day(), true));
        }
        if let Ok(r) = record_h(&p, &json!({"id": "x", "s": []})) {
            let _ = p.health(&r, &opts(day(), true));
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), with_head in any::<bool>()) {
        let text = String::from_utf8_lossy(&bytes);
        let text = if with_head { format!("{SOUP_HEAD}{text}") } else { text.into_owned() };
        load_and_poke(&text);
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(token(), 0..80), with_head in any::<bool>()) {
        let soup = tokens.join(" ");
        let text = if with_head { format!("{SOUP_HEAD}{soup}") } else { soup };
        load_and_poke(&text);
    }
}

/// Well-formed expressions over every type, mostly ill-typed: the checker
/// must reject them with diagnostics; the ones it accepts must evaluate
/// (or fail per record) without panicking.
fn any_expr() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        "n",
        "x",
        "m",
        "t",
        "d",
        "ts",
        "du",
        "st",
        "si",
        "b",
        "0",
        "1",
        "-1",
        "9223372036854775807",
        "0.5",
        "12.5%",
        "10 USD",
        "5 EUR",
        "0 JPY",
        "90d",
        "1d12h",
        "4h",
        "2026-11-22",
        "9999-12-31",
        "2026-11-22T09:30:00Z",
        "\"saas\"",
        "{\"a\", \"b\"}",
        "{1, 2}",
        "{}",
        "true",
        "false",
        "today",
    ])
    .prop_map(str::to_string);
    leaf.prop_recursive(4, 32, 3, |inner| {
        let bin = prop::sample::select(vec![
            "+",
            "-",
            "*",
            "/",
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "and",
            "or",
            "in",
            "not in",
            "contains",
            "contains any",
            "contains all",
            "subset_of",
        ]);
        let f1 = prop::sample::select(vec![
            "in_days", "in_hours", "currency", "amount", "len", "lower",
        ]);
        let f2 = prop::sample::select(vec!["min", "max", "round"]);
        prop_oneof![
            (inner.clone(), bin, inner.clone()).prop_map(|(l, op, r)| format!("({l} {op} {r})")),
            inner.clone().prop_map(|e| format!("(not {e})")),
            inner.clone().prop_map(|e| format!("(-{e})")),
            inner.clone().prop_map(|e| format!("({e} is set)")),
            inner.clone().prop_map(|e| format!("({e} is not set)")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(v, lo, hi)| format!("({v} between {lo} and {hi})")),
            (f1, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            (f2, inner.clone(), inner).prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
        ]
    })
}

/// Types for [`typed_expr`].
#[derive(Debug, Clone, Copy)]
enum Ty {
    Bool,
    Num,
    Money,
    Dur,
    Date,
    Ts,
    Text,
    Set,
}

fn pick(items: &[&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(items.to_vec())
        .prop_map(str::to_string)
        .boxed()
}

/// Mostly well-typed expressions of type `ty` over the generated record's
/// fields, so that the evaluator runs on extreme values (overflow, dates at
/// the ends of the calendar, currencies that do not match).
fn typed_expr(ty: Ty, depth: u32) -> BoxedStrategy<String> {
    use Ty::*;
    let leaf = match ty {
        Bool => pick(&["b", "true", "false"]),
        Num => pick(&[
            "n",
            "x",
            "0",
            "1",
            "-1",
            "9223372036854775807",
            "0.5",
            "12.5%",
            "79228162514264337593543950335",
        ]),
        Money => pick(&["m", "10 USD", "5 EUR", "0 JPY"]),
        Dur => pick(&["du", "90d", "1d12h", "4h", "0m"]),
        Date => pick(&["d", "today", "2026-11-22", "9999-12-31"]),
        Ts => pick(&["ts", "2026-11-22T09:30:00Z"]),
        Text => pick(&["t", "\"saas\"", "\"\""]),
        Set => pick(&["st", "{\"a\", \"b\"}"]),
    };
    if depth == 0 {
        return leaf;
    }
    let d = depth - 1;
    let t = move |ty| typed_expr(ty, d);
    let op = |ops: &[&'static str]| pick(ops);
    let node: BoxedStrategy<String> = match ty {
        Bool => prop_oneof![
            (t(Bool), op(&["and", "or"]), t(Bool)).prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            t(Bool).prop_map(|e| format!("(not {e})")),
            (t(Num), op(&["==", "!=", "<", "<=", ">", ">="]), t(Num))
                .prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (t(Money), op(&["==", "<", ">="]), t(Money))
                .prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (t(Dur), op(&["==", "<=", ">"]), t(Dur)).prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (t(Date), op(&["==", "<", ">="]), t(Date))
                .prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (t(Ts), op(&["<", ">="]), t(Ts)).prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (t(Text), op(&["==", "!="]), t(Text)).prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (t(Text), op(&["in", "not in"]), t(Set)).prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (
                t(Set),
                op(&["contains any", "contains all", "subset_of", "=="]),
                t(Set)
            )
                .prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (t(Set), t(Text)).prop_map(|(l, r)| format!("({l} contains {r})")),
            (t(Num), t(Num), t(Num)).prop_map(|(v, lo, hi)| format!("({v} between {lo} and {hi})")),
            (t(Date), t(Date), t(Date))
                .prop_map(|(v, lo, hi)| format!("({v} between {lo} and {hi})")),
            (
                prop::sample::select(vec![Num, Money, Dur, Date, Text, Set]),
                any::<bool>()
            )
                .prop_flat_map(move |(ty, neg)| typed_expr(ty, d).prop_map(move |e| {
                    format!("({e} is {}set)", if neg { "not " } else { "" })
                })),
        ]
        .boxed(),
        Num => prop_oneof![
            (t(Num), op(&["+", "-", "*", "/"]), t(Num))
                .prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            t(Num).prop_map(|e| format!("(-{e})")),
            (t(Num), t(Num)).prop_map(|(a, b)| format!("round({a}, {b})")),
            (op(&["min", "max"]), t(Num), t(Num)).prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
            t(Money).prop_map(|e| format!("amount({e})")),
            (op(&["in_days", "in_hours"]), t(Dur)).prop_map(|(f, e)| format!("{f}({e})")),
            t(Set).prop_map(|e| format!("len({e})")),
            (t(Money), t(Money)).prop_map(|(a, b)| format!("({a} / {b})")),
        ]
        .boxed(),
        Money => prop_oneof![
            (t(Money), op(&["+", "-"]), t(Money)).prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (t(Money), op(&["*", "/"]), t(Num)).prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (t(Num), t(Money)).prop_map(|(l, r)| format!("({l} * {r})")),
            t(Money).prop_map(|e| format!("(-{e})")),
            (op(&["min", "max"]), t(Money), t(Money))
                .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
        ]
        .boxed(),
        Dur => prop_oneof![
            (t(Dur), op(&["+", "-"]), t(Dur)).prop_map(|(l, o, r)| format!("({l} {o} {r})")),
            (t(Dur), pick(&["n", "3", "-1", "9223372036854775807"]))
                .prop_map(|(l, r)| format!("({l} * {r})")),
            (t(Date), t(Date)).prop_map(|(l, r)| format!("({l} - {r})")),
            (t(Ts), t(Ts)).prop_map(|(l, r)| format!("({l} - {r})")),
            t(Dur).prop_map(|e| format!("(-{e})")),
        ]
        .boxed(),
        Date => (t(Date), op(&["+", "-"]), t(Dur))
            .prop_map(|(l, o, r)| format!("({l} {o} {r})"))
            .boxed(),
        Ts => (t(Ts), op(&["+", "-"]), t(Dur))
            .prop_map(|(l, o, r)| format!("({l} {o} {r})"))
            .boxed(),
        Text => prop_oneof![
            t(Text).prop_map(|e| format!("lower({e})")),
            t(Money).prop_map(|e| format!("currency({e})")),
        ]
        .boxed(),
        Set => leaf.clone(),
    };
    prop_oneof![1 => leaf, 2 => node].boxed()
}

fn typed_record() -> impl Strategy<Value = Json> {
    (
        prop::option::of(prop::sample::select(vec![
            i64::MIN,
            i64::MAX,
            0,
            -1,
            1,
            86_400,
        ])),
        prop::option::of(prop::sample::select(vec![
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "0",
            "2.5",
        ])),
        prop::option::of(prop::sample::select(vec![
            "79228162514264337593543950335 USD",
            "-79228162514264337593543950335 EUR",
            "0 USD",
            "1 EUR",
            "3 JPY",
        ])),
        prop::option::of(prop::sample::select(vec!["", "saas", "ÄÖÜ", "ǅ"])),
        prop::option::of(prop::sample::select(vec![
            "0001-01-01",
            "9999-12-31",
            "2026-11-22",
        ])),
        prop::option::of(prop::sample::select(vec![
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "2026-11-22T09:30:00Z",
        ])),
        prop::option::of(prop_oneof![
            prop::sample::select(vec![i64::MIN, i64::MAX, 0, 3_600]).prop_map(|i| json!(i)),
            Just(json!("90d")),
        ]),
        prop::option::of(prop::collection::vec(
            prop::sample::select(vec!["a", "b", "c"]),
            0..3,
        )),
        prop::option::of(prop::collection::vec(
            prop::sample::select(vec![i64::MIN, i64::MAX, 1, 2]),
            0..3,
        )),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(n, x, m, t, d, ts, du, st, si, b)| {
            let mut v = json!({"id": "r-1"});
            let mut put = |k: &str, j: Option<Json>| {
                if let Some(j) = j {
                    v[k] = j;
                }
            };
            put("n", n.map(|x| json!(x)));
            put("x", x.map(num));
            put("m", m.map(|s| json!(s)));
            put("t", t.map(|s| json!(s)));
            put("d", d.map(|s| json!(s)));
            put("ts", ts.map(|s| json!(s)));
            put("du", du);
            put("st", st.map(|s| json!(s)));
            put("si", si.map(|s| json!(s)));
            put("b", b.map(|s| json!(s)));
            v
        })
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn generated_expressions_check_and_evaluate_without_panic(
        cond in prop_oneof![any_expr(), typed_expr(Ty::Bool, 3)],
        value in prop_oneof![
            any_expr(),
            prop::sample::select(vec![Ty::Num, Ty::Money, Ty::Dur, Ty::Date, Ty::Ts, Ty::Text])
                .prop_flat_map(|ty| typed_expr(ty, 3)),
        ],
        records in prop::collection::vec(typed_record(), 1..4),
        today in any_date(),
    ) {
        const HEAD: &str = "policy \"gen\" version 1 effective 2026-01-01\n\
             record r key id { id: text  n: int?  x: decimal?  m: money?  t: text?  d: date?\n\
               ts: timestamp?  du: duration?  st: set of text?  si: set of int?  b: bool? }\n";
        let sources = [
            // A condition, in a score and a stage.
            format!("{HEAD}score s for r {{ add 1.5 when {cond} }}\nqualify r {{\n  stage A when {cond}\n  stage B when s > 0\n}}\n"),
            // Any well-typed value is evaluated by `is set`.
            format!("{HEAD}qualify r {{ stage V when ({value}) is set }}\n"),
            // The same as a constant, folded by the checker.
            format!("{HEAD}let k = {value}\nqualify r {{ stage K when k is set }}\n"),
        ];
        for src in &sources {
            match Policy::from_source("gen.baton", src) {
                Err(e) => no_internal_error(&e),
                Ok(p) => {
                    for rec in &records {
                        let r = record_q(&p, rec).unwrap();
                        if let Err(e) = p.qualify(&r, &opts(today, true)) {
                            // The checker and the evaluator must agree on
                            // types: only real per-record errors.
                            prop_assert!(!e.to_string().contains("internal"), "{}\n{}", src, e);
                        }
                    }
                }
            }
        }
    }
}

/// Runs `f` on a thread with `stack` bytes of stack (2 MiB is what a
/// spawned thread gets by default, as in a server).
fn on_small_stack<T: Send + 'static>(stack: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .unwrap()
        .join()
        .expect("must not overflow the stack or panic")
}

/// Loads `src` on a 2 MiB thread: it must fail, without overflowing the
/// stack. Returns the rendered diagnostics.
fn rejected_on_small_stack(src: String) -> String {
    on_small_stack(2 << 20, move || {
        match Policy::from_source("gen.baton", &src) {
            Ok(_) => panic!("deeply nested input was accepted"),
            Err(e) => e.render(),
        }
    })
}

fn accepted_on_stack(stack: usize, src: String) {
    on_small_stack(stack, move || {
        let p = Policy::from_source("ok.baton", &src).unwrap_or_else(|e| panic!("{}", e.render()));
        let r = record_q(&p, &json!({"id": "x", "a": false})).unwrap();
        assert!(p.qualify(&r, &opts(day(), true)).is_ok());
    });
}

const NEST_HEAD: &str = "policy \"deep\" version 1 effective 2026-01-01\n\
record r key id { id: text  a: bool? }\n";

fn stage(cond: &str) -> String {
    format!("{NEST_HEAD}qualify r {{ stage S when {cond} }}\n")
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let n = 100_000;
    let nested = [
        (
            "parentheses",
            stage(&format!("{}a{}", "(".repeat(n), ")".repeat(n))),
        ),
        (
            "unclosed parentheses",
            stage(&format!("{}a", "(".repeat(n))),
        ),
        ("chained not", stage(&format!("{}a", "not ".repeat(n)))),
        ("chained minus", stage(&format!("{}1 > 0", "-".repeat(n)))),
        (
            "set braces",
            format!("{NEST_HEAD}let k = {}1{}\n", "{".repeat(n), "}".repeat(n)),
        ),
        (
            "calls",
            stage(&format!("{}1{} > 0", "len(".repeat(n), ")".repeat(n))),
        ),
        (
            "not and parentheses",
            stage(&format!("{}a{}", "(not ".repeat(n), ")".repeat(n))),
        ),
    ];
    // Flat chains: each operator is one more level of the tree. 20 000
    // operands (100 000 take seconds in a debug build, in pest).
    let m = 20_000;
    let chains = [
        ("and chain", stage(&format!("a{}", " and a".repeat(m)))),
        ("or chain", stage(&format!("a{}", " or a".repeat(m)))),
        ("long sum", stage(&format!("1{} > 0", " + 1".repeat(m)))),
    ];
    for (what, src) in nested.into_iter().chain(chains) {
        let rendered = rejected_on_small_stack(src);
        assert!(
            rendered.contains("error[E0002]") && rendered.contains("nest"),
            "{what}: the error should be about nesting:\n{}",
            &rendered[..rendered.len().min(600)]
        );
    }
}

#[test]

fn a_huge_flat_chain_is_reported_as_too_deep() {
    let rendered = rejected_on_small_stack(stage(&format!("a{}", " and a".repeat(100_000))));
    assert!(
        !rendered.contains("call limit"),
        "{}",
        &rendered[..rendered.len().min(300)]
    );
    assert!(rendered.contains("error[E0002]"));
}

#[test]
fn moderate_nesting_is_accepted_on_a_2_mib_stack() {
    accepted_on_stack(
        2 << 20,
        stage(&format!("{}not a{}", "(".repeat(10), ")".repeat(10))),
    );
    accepted_on_stack(2 << 20, stage(&format!("a{}", " or a".repeat(100))));
    accepted_on_stack(2 << 20, stage(&format!("{}a", "not ".repeat(100))));
    // Parentheses inside text and comments do not count.
    let deep = "(".repeat(100_000);
    accepted_on_stack(
        2 << 20,
        format!("{NEST_HEAD}let t = \"{deep}\"  # {deep}\nqualify r {{ stage S when a }}\n"),
    );
}

#[test]
fn nesting_up_to_the_limits_is_accepted_on_an_8_mib_stack() {
    // 8 MiB is the main thread's stack: what the CLI runs on.
    let n = baton::MAX_NESTING;
    let depth = baton::MAX_EXPR_DEPTH;
    // The `qualify r {` brace is one level.
    accepted_on_stack(
        8 << 20,
        stage(&format!("{}not a{}", "(".repeat(n - 1), ")".repeat(n - 1))),
    );
    accepted_on_stack(8 << 20, stage(&format!("a{}", " and a".repeat(depth - 10))));
    accepted_on_stack(
        8 << 20,
        stage(&format!("1{} > 0", " + 1".repeat(depth - 10))),
    );
    accepted_on_stack(8 << 20, stage(&format!("{}a", "not ".repeat(depth - 10))));
    let rendered = rejected_on_small_stack(stage(&format!("{}a{}", "(".repeat(n), ")".repeat(n))));
    assert!(rendered.contains("error[E0002]"), "{rendered}");
}

#[test]

fn nesting_up_to_the_limits_fits_a_2_mib_stack() {
    let n = baton::MAX_NESTING;
    let depth = baton::MAX_EXPR_DEPTH;
    accepted_on_stack(
        2 << 20,
        stage(&format!("{}not a{}", "(".repeat(n - 1), ")".repeat(n - 1))),
    );
    accepted_on_stack(2 << 20, stage(&format!("a{}", " and a".repeat(depth - 10))));
}

// ===================================================================
// d. Exact decimal and money input
// ===================================================================

/// A decimal from an integer mantissa and a scale, independently of any
/// text parsing.
fn decimal() -> impl Strategy<Value = Decimal> {
    (
        prop_oneof![
            any::<i64>().prop_map(i128::from),
            (-(1i128 << 95)..(1i128 << 95)),
            (-1000i128..1000),
        ],
        0u32..=10,
    )
        .prop_map(|(m, s)| Decimal::from_i128_with_scale(m, s))
}

const DEC_HEAD: &str = "policy \"dec\" version 1 effective 2026-01-01\n  currency EUR\n\
record r key id { id: text  x: decimal?  y: decimal?  budget: money? }\n\
qualify r { stage TENTH when x + y == 0.3 }\n";

fn dec_policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| compile(DEC_HEAD))
}

fn field(p: &Policy, rec: &Json, name: &str) -> Option<Value> {
    let s = p.qualify_schema().unwrap();
    let r = record_q(p, rec).unwrap();
    r.get(s, name).cloned()
}

#[test]
fn json_point_one_is_exactly_one_tenth() {
    let p = compile(DEC_HEAD);
    let rec = json!({"id": "r", "x": num("0.1"), "y": num("0.2")});
    assert_eq!(
        field(&p, &rec, "x"),
        Some(Value::Decimal(Decimal::new(1, 1)))
    );
    assert_eq!(
        field(&p, &rec, "y"),
        Some(Value::Decimal(Decimal::new(2, 1)))
    );
    // 0.1 + 0.2 == 0.3 holds exactly (it does not in binary floating point).
    let r = record_q(&p, &rec).unwrap();
    assert_eq!(
        p.qualify(&r, &opts(day(), false)).unwrap().stage.as_deref(),
        Some("TENTH")
    );
    let rec = json!({"id": "r", "x": num("0.30000000000000000000000000001")});
    assert!(
        record_q(&p, &rec).is_err(),
        "29 decimal places cannot be held exactly"
    );
}

#[test]
fn a_long_mantissa_with_an_exponent_is_refused_not_rounded() {
    // Regression: `from_scientific` parsed the mantissa with rounding, so
    // this was read as 100000.00000000000000000000000.
    assert_eq!(parse_decimal("100000.000000000000000000000001e0"), None);
    assert_eq!(parse_decimal("3.0000000000000000000000000001e-1"), None);
    let rec = json!({"id": "r", "x": num("3.0000000000000000000000000001e-1")});
    assert!(dec_policy().record_for_qualify(&rec).is_err());
    // Exponent forms that fit are read exactly.
    assert_eq!(parse_decimal("12e-3"), Some(Decimal::new(12, 3)));
    assert_eq!(parse_decimal("1.5E3"), Some(Decimal::from(1500)));
    assert_eq!(parse_decimal("-25e0"), Some(Decimal::from(-25)));
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn decimal_text_round_trips(d in decimal()) {
        let text = d.to_string();
        let back = parse_decimal(&text);
        prop_assert_eq!(back, Some(d));
        let back = back.unwrap();
        prop_assert_eq!(back.scale(), d.scale(), "{}", text);
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn json_numbers_convert_exactly(m in -(1i128 << 95)..(1i128 << 95), s in 0u32..=10) {
        let expected = Decimal::from_i128_with_scale(m, s);
        // The JSON text is written from the integer mantissa by hand.
        let digits = m.unsigned_abs().to_string();
        let digits = format!("{}{digits}", "0".repeat((s as usize + 1).saturating_sub(digits.len())));
        let (int, frac) = digits.split_at(digits.len() - s as usize);
        let sign = if m < 0 { "-" } else { "" };
        let text = if s == 0 { format!("{sign}{int}") } else { format!("{sign}{int}.{frac}") };
        let rec = json!({"id": "r", "x": num(&text), "y": text});
        let p = dec_policy();
        prop_assert_eq!(field(p, &rec, "x"), Some(Value::Decimal(expected)), "{}", text);
        prop_assert_eq!(field(p, &rec, "y"), Some(Value::Decimal(expected)), "{}", text);
    }

    /// Exponent forms (`12e-3`, `5E2`) are either read exactly or refused,
    /// never rounded.
    #[test]
    fn exponent_forms_are_exact_or_refused(
        digits in "[1-9][0-9]{0,29}",
        point in 0usize..31,
        exp in -40i32..40,
        upper in any::<bool>(),
        neg in any::<bool>(),
    ) {
        let point = point.min(digits.len());
        let (int, frac) = digits.split_at(digits.len() - point);
        let int = if int.is_empty() { "0" } else { int };
        let mantissa = if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") };
        let sign = if neg { "-" } else { "" };
        let text = format!("{sign}{mantissa}{}{exp}", if upper { "E" } else { "e" });
        // The exact value: digits × 10^(exp - point), normalized.
        let mut m: i128 = digits.parse().unwrap();
        if neg {
            m = -m;
        }
        let mut k: i64 = point as i64 - i64::from(exp);
        while k > 0 && m % 10 == 0 {
            m /= 10;
            k -= 1;
        }
        let mut fits = true;
        while k < 0 {
            match m.checked_mul(10) {
                Some(v) => m = v,
                None => {
                    fits = false;
                    break;
                }
            }
            k += 1;
        }
        let max = (1i128 << 96) - 1;
        let expected = (fits && m.abs() <= max && (0..=28).contains(&k))
            .then(|| Decimal::from_i128_with_scale(m, k as u32));
        // Refusing is allowed where the text itself exceeds what a decimal
        // holds (more than 28 digits or places, an exponent above 28), even
        // if the value would fit once normalized.
        let oversized = digits.len() > 28 || point as i64 - i64::from(exp) > 28 || exp > 28;
        match parse_decimal(&text) {
            Some(got) => prop_assert_eq!(Some(got), expected, "{} was rounded", text),
            None => prop_assert!(expected.is_none() || oversized, "{} was refused", text),
        }
    }

    #[test]
    fn money_in_the_three_input_forms(
        d in decimal(),
        cur in prop::sample::select(vec!["USD", "EUR", "JPY", "GBP"]),
    ) {
        let c = Currency::parse(cur).unwrap();
        let want = Money { amount: d, currency: c };
        let text = d.to_string();
        // parse_money: "1250.00 USD", and a bare amount with a default currency.
        prop_assert_eq!(parse_money(&format!("{text} {cur}"), None), Some(want));
        prop_assert_eq!(parse_money(&format!("  {text}   {cur} "), None), Some(want));
        prop_assert_eq!(parse_money(&text, Some(c)), Some(want));
        prop_assert_eq!(parse_money(&text, None), None);
        prop_assert_eq!(parse_money(&format!("{text} {}", cur.to_lowercase()), None), None);
        prop_assert_eq!(parse_money(&format!("{text} {cur} extra"), None), None);
        // Through a record (header currency EUR): text, object (amount as
        // text or as a JSON number), bare number and bare text.
        let p = dec_policy();
        let number = num(&text);
        let eur = Money { amount: d, currency: Currency::parse("EUR").unwrap() };
        for (budget, expected) in [
            (json!(format!("{text} {cur}")), want),
            (json!({"amount": text, "currency": cur}), want),
            (json!({"amount": number.clone(), "currency": cur}), want),
            (number.clone(), eur),
            (json!(text), eur),
        ] {
            let rec = json!({"id": "r", "budget": budget});
            prop_assert_eq!(field(p, &rec, "budget"), Some(Value::Money(expected)), "{}", budget);
        }
    }
}

// ===================================================================
// e. Scores are exact sums
// ===================================================================

#[derive(Debug, Clone)]
struct Rule {
    subtract: bool,
    /// Points: mantissa and scale, written as text by the test.
    points: (u32, u32),
    cond: B8,
}

/// A condition over the optional bool fields f0 … f7.
#[derive(Debug, Clone)]
enum B8 {
    Var(usize),
    Not(usize),
    And(usize, usize),
    Or(usize, usize),
}

impl B8 {
    fn src(&self) -> String {
        match self {
            B8::Var(i) => format!("f{i}"),
            B8::Not(i) => format!("not f{i}"),
            B8::And(i, j) => format!("f{i} and f{j}"),
            B8::Or(i, j) => format!("f{i} or f{j}"),
        }
    }
    fn eval(&self, env: &[Tri; 8]) -> Tri {
        match self {
            B8::Var(i) => env[*i],
            B8::Not(i) => k_not(env[*i]),
            B8::And(i, j) => k_and(env[*i], env[*j]),
            B8::Or(i, j) => k_or(env[*i], env[*j]),
        }
    }
}

fn rule() -> impl Strategy<Value = Rule> {
    let cond = prop_oneof![
        (0..8usize).prop_map(B8::Var),
        (0..8usize).prop_map(B8::Not),
        (0..8usize, 0..8usize).prop_map(|(i, j)| B8::And(i, j)),
        (0..8usize, 0..8usize).prop_map(|(i, j)| B8::Or(i, j)),
    ];
    (any::<bool>(), (0u32..2_000_000_000, 0u32..=6), cond).prop_map(|(subtract, points, cond)| {
        Rule {
            subtract,
            points,
            cond,
        }
    })
}

/// `m` with `s` decimal places, as text, written digit by digit.
fn points_text(m: u32, s: u32) -> String {
    let digits = format!("{m:0>width$}", width = s as usize + 1);
    let (int, frac) = digits.split_at(digits.len() - s as usize);
    if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn a_score_is_the_exact_sum_of_its_true_rules(
        rules in prop::collection::vec(rule(), 1..24),
        envs in prop::collection::vec(prop::array::uniform8(prop::sample::select(vec![T, F, U])), 1..6),
        clamp in prop::option::of((-50_000i64..50_000, 0i64..100_000)),
    ) {
        let mut src = "policy \"score\" version 1 effective 2026-01-01\n\
            record r key id { id: text  f0: bool?  f1: bool?  f2: bool?  f3: bool?\n\
              f4: bool?  f5: bool?  f6: bool?  f7: bool? }\nscore s for r {\n".to_string();
        for r in &rules {
            let verb = if r.subtract { "subtract" } else { "add" };
            src += &format!("  {verb} {} when {}\n", points_text(r.points.0, r.points.1), r.cond.src());
        }
        if let Some((lo, width)) = clamp {
            src += &format!("  clamp {lo} to {}\n", lo + width);
        }
        src += "}\nqualify r { stage POSITIVE when s > 0 }\n";
        let p = compile(&src);
        for env in &envs {
            let mut rec = json!({"id": "r-1"});
            for (i, v) in env.iter().enumerate() {
                if let Some(b) = v {
                    rec[format!("f{i}")] = json!(b);
                }
            }
            let mut expected = Decimal::ZERO;
            for r in &rules {
                if r.cond.eval(env) == T {
                    let pts = Decimal::new(i64::from(r.points.0), r.points.1);
                    expected = if r.subtract { expected - pts } else { expected + pts };
                }
            }
            if let Some((lo, width)) = clamp {
                expected = expected.max(Decimal::from(lo)).min(Decimal::from(lo + width));
            }
            let record = record_q(&p, &rec).unwrap();
            let d = p.qualify(&record, &opts(day(), false)).unwrap();
            prop_assert_eq!(d.scores.len(), 1);
            prop_assert_eq!(&d.scores[0].0, "s");
            prop_assert_eq!(d.scores[0].1, expected, "{}\n{:?}", src, env);
            prop_assert_eq!(d.stage.is_some(), expected > Decimal::ZERO);
        }
    }
}

#[test]
fn tenths_add_up_exactly() {
    let mut src = "policy \"score\" version 1 effective 2026-01-01\n\
        record r key id { id: text  a: bool }\nscore s for r {\n"
        .to_string();
    for _ in 0..10 {
        src += "  add 0.1 when a\n";
    }
    src += "  subtract 0.3 when a\n}\nqualify r { stage ONE when s == 0.7 }\n";
    let p = compile(&src);
    let r = record_q(&p, &json!({"id": "x", "a": true})).unwrap();
    let d = p.qualify(&r, &opts(day(), false)).unwrap();
    assert_eq!(d.scores, vec![("s".to_string(), Decimal::new(7, 1))]);
    assert_eq!(d.stage.as_deref(), Some("ONE"));
}
