//! Evaluation of compiled expressions over one record: Kleene logic for
//! missing data, left-to-right short-circuit, errors stronger than unknown,
//! checked decimal arithmetic.
//!
//! This module holds what a record is evaluated against ([`Env`]), the
//! error of one record ([`EvalError`]), the public entry points on
//! [`Expr`] and the dispatch over expression nodes. The nodes are
//! evaluated in submodules: three-valued truth and membership (`truth`),
//! comparisons (`compare`), arithmetic and function calls (`arith`).

mod arith;
mod compare;
#[cfg(test)]
mod tests;
mod truth;

use std::cmp::Ordering;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::program::expr::*;
use crate::value::{Val, Value};

use arith::{call, neg};
use compare::compare;
use truth::{all, all_body, any, contains_text, fail, in_texts, not, Truth};

/// Three-valued truth: `None` is unknown.
pub type Tri = Option<bool>;

/// What a record is evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// The record's fields by slot (`None` = absent).
    pub fields: &'a [Option<Value>],
    /// A second record's fields (the event in a commission block).
    pub other: &'a [Option<Value>],
    /// Values computed earlier for this record (scores, stages, measures).
    pub locals: &'a [Val<'static>],
    /// The evaluation date (`today`).
    pub today: NaiveDate,
    /// The values of the program's non-literal `let`s on `today` (the
    /// program's lets on `today`), read by [`Expr::Let`].
    pub lets: &'a [LetValue],
}

/// The value of one `let` on one evaluation date: a value, unknown
/// (`None`), or the error that evaluating it gives (an error of each
/// record that evaluates the `let`, as any failing expression is).
pub type LetValue = Result<Option<Value>, EvalError>;

/// An error evaluating one record: never a silent `false`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum EvalError {
    /// Division by zero.
    #[error("division by zero: {0}")]
    DivisionByZero(String),
    /// A decimal, int or duration result out of range.
    #[error("arithmetic overflow: {0}")]
    Overflow(String),
    /// Money of two currencies met in one comparison or sum.
    #[error("money of two currencies in {0}")]
    CurrencyMismatch(String),
    /// A value outside what an operation accepts (hours added to a date…).
    #[error("{0}")]
    Invalid(String),
    /// A record built for another record type than the one the block
    /// reads: evaluating it would read its slots with the wrong meaning.
    #[error("{0}")]
    WrongRecord(String),
    /// The policy has no block of the kind asked for.
    #[error("the policy has no `{0}` block")]
    NoBlock(String),
}

impl EvalError {
    /// A stable code for services that match on it (the `kind` of the
    /// serialized error).
    pub fn code(&self) -> &'static str {
        match self {
            EvalError::DivisionByZero(_) => "division_by_zero",
            EvalError::Overflow(_) => "overflow",
            EvalError::CurrencyMismatch(_) => "currency_mismatch",
            EvalError::Invalid(_) => "invalid",
            EvalError::WrongRecord(_) => "wrong_record",
            EvalError::NoBlock(_) => "no_block",
        }
    }

    /// The error of a record built by another schema than `expected`.
    pub(crate) fn wrong_record(expected: &crate::record::Schema) -> EvalError {
        EvalError::WrongRecord(format!(
            "the record was built for another record type than `{}`",
            expected.name()
        ))
    }
}

// Errors are boxed inside the evaluator so that a result is two words,
// returned in registers on the hot path.
type R<T> = Result<T, Box<EvalError>>;

#[cold]
#[inline(never)]
fn internal(what: &str) -> Box<EvalError> {
    Box::new(EvalError::Invalid(format!("internal error: {what}")))
}

fn dec(v: &Val<'_>) -> Option<Decimal> {
    match v {
        Val::Int(i) => Some(Decimal::from(*i)),
        Val::Dec(d) => Some(*d),
        _ => None,
    }
}

fn fields_note(o: &Origin) -> String {
    match o.fields.len() {
        0 => String::new(),
        1 => format!(" (field `{}`)", o.fields.first().map_or("", |f| f)),
        _ => format!(
            " (fields {})",
            o.fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl Expr {
    /// Evaluates a boolean expression to true, false or unknown.
    ///
    /// In line at the caller, so that the one-byte truth of the private `test`
    /// is read in a register and never built into a `Result` in memory.
    #[inline]
    pub fn eval_bool(&self, env: &Env<'_>) -> Result<Tri, EvalError> {
        let mut err = None;
        self.test(env, &mut err).into_result(err)
    }

    /// Evaluates a boolean expression over each record in turn: the `n`th
    /// result is what [`Expr::eval_bool`] gives with `env.fields` set to the
    /// `n`th record, and `env`'s other parts as they are.
    ///
    /// For a stream of records this is the fast form: the evaluator's loop
    /// runs inside the caller's loop, so registers are saved and restored
    /// once for the whole run rather than once per record
    /// (`Condition::eval_each` is its public face).
    #[inline]
    pub fn eval_bool_each<'e, I>(&'e self, env: Env<'e>, records: I) -> EvalBoolEach<'e, I>
    where
        I: Iterator<Item = &'e [Option<Value>]>,
    {
        EvalBoolEach {
            expr: self,
            items: match self {
                Expr::All(items) => Some(items),
                _ => None,
            },
            env,
            own_lets: None,
            records,
        }
    }

    /// The truth of a condition; an error is left in `err`.
    #[inline(never)]
    fn test(&self, env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
        // A stage or a rule is usually an `and`: its loop runs right here.
        match self {
            Expr::All(items) => all_body(items, env, err),
            _ => self.truth(env, err),
        }
    }

    /// Evaluates an expression to a value (`Val::Unknown` for missing data).
    pub fn eval<'a>(&'a self, env: &Env<'a>) -> Result<Val<'a>, EvalError> {
        self.val(env).map_err(|e| *e)
    }

    /// `eval_bool` with a boxed error, for the value path.
    fn tri(&self, env: &Env<'_>) -> R<Tri> {
        self.eval_bool(env).map_err(Box::new)
    }

    /// The hot path of conditions. The result is one byte, returned in a
    /// register; the rare error is left in `err`. The common forms are
    /// handled here, in a small function; the rest live out of line so that
    /// the hot path stays cheap to call.
    fn truth(&self, env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
        // A jump to the node's own function: no registers saved here.
        match self {
            Expr::All(items) => all(items, env, err),
            Expr::Any(items) => any(items, env, err),
            _ => self.single(env, err),
        }
    }

    #[inline(never)]
    fn single(&self, env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
        self.leaf(env, err)
    }

    /// The body of [`Expr::truth`], in line: the leaves of an `and` or an
    /// `or` (a field against a constant, a text in a set, a bool field) are
    /// evaluated inside the loop of [`all`] / [`any`] without a call each.
    #[inline(always)]
    fn leaf(&self, env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
        match self {
            Expr::All(items) => all(items, env, err),
            Expr::Any(items) => any(items, env, err),
            Expr::Not(a) => not(a, env, err),
            Expr::FieldCmpConst(c) => c.truth(env, err),
            Expr::FieldInTexts { slot, set, negate } => in_texts(*slot, set, *negate, env, err),
            Expr::BoolField(slot) => match env.fields.get(usize::from(*slot)) {
                Some(None) => Truth::Unknown,
                Some(Some(Value::Bool(b))) => Truth::of(*b),
                None => fail(err, "field slot out of range"),
                Some(Some(_)) => fail(err, "bool field expected"),
            },
            Expr::FieldContainsText { slot, text } => contains_text(*slot, text, env, err),
            _ => self.truth_general(env, err),
        }
    }

    #[inline(never)]
    fn truth_general(&self, env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
        Truth::from_result(self.tri_general(env), err)
    }

    #[inline(never)]
    fn tri_general(&self, env: &Env<'_>) -> R<Tri> {
        match self {
            // The common shapes below are told apart by their node kinds
            // alone (no names, no types): `field is set`, a date difference
            // against a constant duration, a set field against a constant
            // set. Anything else takes the general path.
            Expr::IsSet(e, negate) => match **e {
                Expr::Field(slot) => Ok(Some(field(env.fields, slot)?.is_some() != *negate)),
                _ => self.tri_slow(env),
            },
            Expr::Cmp(c) => match c.date_diff(env) {
                Some(r) => r,
                None => match c.local_number(env) {
                    Some(t) => Ok(t),
                    None => c.eval(env),
                },
            },
            Expr::SetRel(rel, a, b) => match (&**a, &**b) {
                (Expr::Field(slot), Expr::Const(Value::SetText(y))) => {
                    match field(env.fields, *slot)? {
                        None => Ok(None),
                        Some(Value::SetText(x)) => Ok(Some(match rel {
                            SetRel::Any => x.intersects(y),
                            SetRel::All => y.is_subset(x),
                            SetRel::Subset => x.is_subset(y),
                        })),
                        Some(_) => Err(internal("set field expected")),
                    }
                }
                _ => self.tri_slow(env),
            },
            _ => self.tri_slow(env),
        }
    }

    /// Every other node, by its general rule.
    #[inline(never)]
    fn tri_slow(&self, env: &Env<'_>) -> R<Tri> {
        match self {
            Expr::Cmp(c) => c.eval(env),
            Expr::Member { elem, set, negate } => {
                let e = elem.val(env)?;
                let s = set.val(env)?;
                Ok(match (&e, &s) {
                    (Val::Unknown, _) | (_, Val::Unknown) => None,
                    (Val::Text(t), Val::SetText(s)) => Some(s.contains(t) != *negate),
                    (Val::Int(i), Val::SetInt(s)) => Some(s.contains(*i) != *negate),
                    _ => return Err(internal("membership operands")),
                })
            }
            Expr::SetRel(rel, a, b) => {
                let a = a.val(env)?;
                let b = b.val(env)?;
                Ok(match (&a, &b) {
                    (Val::Unknown, _) | (_, Val::Unknown) => None,
                    (Val::SetText(x), Val::SetText(y)) => Some(match rel {
                        SetRel::Any => x.intersects(y),
                        SetRel::All => y.is_subset(x),
                        SetRel::Subset => x.is_subset(y),
                    }),
                    (Val::SetInt(x), Val::SetInt(y)) => Some(match rel {
                        SetRel::Any => x.intersects(y),
                        SetRel::All => y.is_subset(x),
                        SetRel::Subset => x.is_subset(y),
                    }),
                    _ => return Err(internal("set operands")),
                })
            }
            Expr::Between(b) => {
                let v = b.value.val(env)?;
                let lo = b.lo.val(env)?;
                let hi = b.hi.val(env)?;
                // Each known pair is compared, so that money of two
                // currencies meeting is an error even where the third
                // operand is unknown (§4); any unknown operand then makes
                // the result unknown.
                let known = |x: &Val<'_>| !matches!(x, Val::Unknown);
                let order = |bound: &Val<'_>| -> R<Option<Ordering>> {
                    if known(&v) && known(bound) {
                        compare(b.kind, &v, bound, &b.origin, "comparison").map(Some)
                    } else {
                        Ok(None)
                    }
                };
                match (order(&lo)?, order(&hi)?) {
                    (Some(above), Some(below)) => {
                        Ok(Some(above != Ordering::Less && below != Ordering::Greater))
                    }
                    _ => Ok(None),
                }
            }
            Expr::IsSet(e, negate) => {
                let known = !matches!(e.val(env)?, Val::Unknown);
                Ok(Some(known != *negate))
            }
            other => match other.val(env)? {
                Val::Bool(b) => Ok(Some(b)),
                Val::Unknown => Ok(None),
                _ => Err(internal("boolean expected")),
            },
        }
    }

    fn val<'a>(&'a self, env: &Env<'a>) -> R<Val<'a>> {
        match self {
            Expr::Const(v) => Ok(v.as_val()),
            Expr::Field(slot) => Ok(field(env.fields, *slot)?.map_or(Val::Unknown, Value::as_val)),
            Expr::Other(slot) => Ok(field(env.other, *slot)?.map_or(Val::Unknown, Value::as_val)),
            Expr::Local(i) => env
                .locals
                .get(usize::from(*i))
                .cloned()
                .ok_or_else(|| internal("local out of range")),
            Expr::Today => Ok(Val::Date(env.today)),
            Expr::Let(k) => match env.lets.get(*k as usize) {
                Some(Ok(Some(v))) => Ok(v.as_val()),
                Some(Ok(None)) => Ok(Val::Unknown),
                Some(Err(e)) => Err(Box::new(e.clone())),
                None => Err(internal("let out of range")),
            },
            Expr::Neg(e) => neg(e.val(env)?),
            Expr::Arith(a) => a.eval(env),
            Expr::Call(f, args) => call(*f, args, env),
            _ => Ok(match self.tri(env)? {
                Some(b) => Val::Bool(b),
                None => Val::Unknown,
            }),
        }
    }
}

fn field(fields: &[Option<Value>], slot: u16) -> R<Option<&Value>> {
    fields
        .get(usize::from(slot))
        .map(Option::as_ref)
        .ok_or_else(|| internal("field slot out of range"))
}

/// The results of [`Expr::eval_bool_each`], one per record, in order.
#[derive(Debug, Clone)]
pub struct EvalBoolEach<'e, I> {
    expr: &'e Expr,
    /// The items when the expression is an `and`, found once for the run.
    items: Option<&'e [Expr]>,
    /// The context; its `fields` point at the record being evaluated.
    env: Env<'e>,
    /// The `let`s' values computed for the run (a `let` uses `today`), in
    /// place of the `Env`'s; `None` (the usual case) keeps the loop as
    /// lean as it is without `let`s.
    own_lets: Option<Vec<LetValue>>,
    records: I,
}

impl<'e, I> EvalBoolEach<'e, I> {
    /// The same run with these values of the `let`s, computed for it, in
    /// place of the `Env`'s.
    pub fn with_lets(mut self, values: Vec<LetValue>) -> Self {
        self.own_lets = Some(values);
        self
    }
}

impl<'e, I> Iterator for EvalBoolEach<'e, I>
where
    I: Iterator<Item = &'e [Option<Value>]>,
{
    type Item = Result<Tri, EvalError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.env.fields = self.records.next()?;
        let mut err = None;
        let truth = match &self.own_lets {
            None => match self.items {
                Some(items) => all_body(items, &self.env, &mut err),
                None => self.expr.truth(&self.env, &mut err),
            },
            Some(lets) => {
                let env = Env { lets, ..self.env };
                match self.items {
                    Some(items) => all_body(items, &env, &mut err),
                    None => self.expr.truth(&env, &mut err),
                }
            }
        };
        Some(truth.into_result(err))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}
