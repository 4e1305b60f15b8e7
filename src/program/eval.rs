//! Evaluation of compiled expressions over one record: Kleene logic for
//! missing data, left-to-right short-circuit, errors stronger than unknown,
//! checked decimal arithmetic.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::program::expr::*;
use crate::value::{Money, Val, Value};

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
}

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
    env: Env<'e>,
    records: I,
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
        let truth = match self.items {
            Some(items) => all_body(items, &self.env, &mut err),
            None => self.expr.truth(&self.env, &mut err),
        };
        Some(truth.into_result(err))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.records.size_hint()
    }
}

/// Three-valued truth plus "an error was recorded": one byte, so that the
/// condition path returns in a register instead of through memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Truth {
    False,
    True,
    Unknown,
    Error,
}

impl Truth {
    #[inline]
    fn of(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }

    /// The public form: the error, when there is one, is taken from `err`.
    #[inline(always)]
    fn into_result(self, err: Option<Box<EvalError>>) -> Result<Tri, EvalError> {
        match self {
            Truth::False => Ok(Some(false)),
            Truth::True => Ok(Some(true)),
            Truth::Unknown => Ok(None),
            Truth::Error => Err(*err.unwrap_or_else(|| internal("error without a message"))),
        }
    }

    #[inline]
    fn from_result(r: R<Tri>, err: &mut Option<Box<EvalError>>) -> Truth {
        match r {
            Ok(Some(b)) => Truth::of(b),
            Ok(None) => Truth::Unknown,
            Err(e) => {
                *err = Some(e);
                Truth::Error
            }
        }
    }
}

#[cold]
#[inline(never)]
fn fail(err: &mut Option<Box<EvalError>>, what: &str) -> Truth {
    *err = Some(internal(what));
    Truth::Error
}

/// Kleene `and`, left to right: the first false decides; an unknown waits
/// for a later false; an error always wins over unknown because evaluation
/// goes on to reach it.
#[inline(never)]
fn all(items: &[Expr], env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
    all_body(items, env, err)
}

#[inline(always)]
fn all_body(items: &[Expr], env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
    let mut unknown = false;
    for e in items {
        match e.leaf(env, err) {
            Truth::True => {}
            Truth::Unknown => unknown = true,
            t => return t,
        }
    }
    if unknown {
        Truth::Unknown
    } else {
        Truth::True
    }
}

#[inline(never)]
fn not(a: &Expr, env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
    match a.truth(env, err) {
        Truth::False => Truth::True,
        Truth::True => Truth::False,
        t => t,
    }
}

#[inline(always)]
fn in_texts(
    slot: u16,
    set: &crate::value::ConstTexts,
    negate: bool,
    env: &Env<'_>,
    err: &mut Option<Box<EvalError>>,
) -> Truth {
    match env.fields.get(usize::from(slot)) {
        Some(None) => Truth::Unknown,
        Some(Some(Value::Text(t))) => Truth::of(set.contains(t) != negate),
        None => fail(err, "field slot out of range"),
        Some(Some(_)) => fail(err, "text field expected"),
    }
}

#[inline(always)]
fn contains_text(
    slot: u16,
    text: &crate::value::Text,
    env: &Env<'_>,
    err: &mut Option<Box<EvalError>>,
) -> Truth {
    match env.fields.get(usize::from(slot)) {
        Some(None) => Truth::Unknown,
        Some(Some(Value::SetText(s))) => Truth::of(s.contains(text)),
        None => fail(err, "field slot out of range"),
        Some(Some(_)) => fail(err, "set field expected"),
    }
}

/// Kleene `or`, the dual of [`all`].
#[inline(never)]
fn any(items: &[Expr], env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
    let mut unknown = false;
    for e in items {
        match e.leaf(env, err) {
            Truth::False => {}
            Truth::Unknown => unknown = true,
            Truth::True => return Truth::True,
            Truth::Error => return Truth::Error,
        }
    }
    if unknown {
        Truth::Unknown
    } else {
        Truth::False
    }
}

fn neg(v: Val<'_>) -> R<Val<'_>> {
    let overflow = || EvalError::Overflow("negation".into());
    Ok(match v {
        Val::Unknown => Val::Unknown,
        Val::Int(i) => Val::Int(i.checked_neg().ok_or_else(overflow)?),
        Val::Dec(d) => Val::Dec(-d),
        Val::Money(m) => Val::Money(Money {
            amount: -m.amount,
            currency: m.currency,
        }),
        Val::Duration(s) => Val::Duration(s.checked_neg().ok_or_else(overflow)?),
        _ => return Err(internal("negation operand")),
    })
}

/// Compares two known values of the kind the checker decided.
fn compare(kind: CmpKind, l: &Val<'_>, r: &Val<'_>, origin: &Origin, what: &str) -> R<Ordering> {
    match kind {
        CmpKind::Int => match (l, r) {
            (Val::Int(a), Val::Int(b)) => Ok(a.cmp(b)),
            _ => Err(internal("int operands")),
        },
        CmpKind::Num => match (dec(l), dec(r)) {
            (Some(a), Some(b)) => Ok(a.cmp(&b)),
            _ => Err(internal("number operands")),
        },
        CmpKind::Money => match (l, r) {
            (Val::Money(a), Val::Money(b)) if a.currency == b.currency => {
                Ok(a.amount.cmp(&b.amount))
            }
            (Val::Money(_), Val::Money(_)) => Err(Box::new(EvalError::CurrencyMismatch(format!(
                "one {what}: {}{}",
                origin.text_with(l, r),
                fields_note(origin)
            )))),
            _ => Err(internal("money operands")),
        },
        CmpKind::Same => match (l, r) {
            (Val::Date(a), Val::Date(b)) => Ok(a.cmp(b)),
            (Val::Timestamp(a), Val::Timestamp(b)) | (Val::Duration(a), Val::Duration(b)) => {
                Ok(a.cmp(b))
            }
            (Val::Text(a), Val::Text(b)) => Ok(eq_order(a == b)),
            (Val::Bool(a), Val::Bool(b)) => Ok(eq_order(a == b)),
            (Val::SetText(a), Val::SetText(b)) => Ok(eq_order(a == b)),
            (Val::SetInt(a), Val::SetInt(b)) => Ok(eq_order(a == b)),
            _ => Err(internal("comparison operands")),
        },
    }
}

// Types that only support `==`/`!=`: unequal maps to Less, which `==` and
// `!=` read correctly (the checker rejects ordering operators on them).
fn eq_order(equal: bool) -> Ordering {
    if equal {
        Ordering::Equal
    } else {
        Ordering::Less
    }
}

impl Origin {
    /// `30000 USD >= 15000 EUR`: the operands' values around the operator.
    fn text_with(&self, l: &Val<'_>, r: &Val<'_>) -> String {
        let op = self.text.split_whitespace().find(|w| {
            matches!(
                *w,
                "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/"
            )
        });
        match op {
            Some(op) => format!("{} {op} {}", l.display(), r.display()),
            None => format!("{} and {}", l.display(), r.display()),
        }
    }
}

impl Cmp {
    /// `date − date OP duration constant` (`today - signed_on > 45d`)
    /// without building intermediate values; `None` for any other shape.
    #[inline]
    fn date_diff(&self, env: &Env<'_>) -> Option<R<Tri>> {
        let (Expr::Arith(a), Expr::Const(Value::Duration(limit))) = (&self.lhs, &self.rhs) else {
            return None;
        };
        if a.kind != ArithKind::DateDate || a.op != ArithOp::Sub {
            return None;
        }
        let date = |e: &Expr| -> Option<R<Option<NaiveDate>>> {
            match e {
                Expr::Today => Some(Ok(Some(env.today))),
                Expr::Field(slot) => Some(match field(env.fields, *slot) {
                    Ok(Some(Value::Date(d))) => Ok(Some(*d)),
                    Ok(None) => Ok(None),
                    Ok(Some(_)) => Err(internal("date field expected")),
                    Err(e) => Err(e),
                }),
                _ => None,
            }
        };
        let (l, r) = (date(&a.lhs)?, date(&a.rhs)?);
        Some((|| {
            let (Some(l), Some(r)) = (l?, r?) else {
                return Ok(None);
            };
            // Days fit an i64 of seconds for every date chrono can hold.
            let seconds = l.signed_duration_since(r).num_days() * 86_400;
            Ok(Some(self.op.test(seconds.cmp(limit))))
        })())
    }

    /// A number computed earlier (a score, a measure) against a number
    /// constant (`score >= 75`); `None` for any other shape or operands.
    #[inline]
    fn local_number(&self, env: &Env<'_>) -> Option<Tri> {
        let (Expr::Local(slot), Expr::Const(c)) = (&self.lhs, &self.rhs) else {
            return None;
        };
        let o = match (env.locals.get(usize::from(*slot))?, c) {
            (Val::Unknown, _) => return Some(None),
            (Val::Dec(a), Value::Decimal(b)) => a.cmp(b),
            (Val::Dec(a), Value::Int(b)) => a.cmp(&Decimal::from(*b)),
            (Val::Int(a), Value::Int(b)) => a.cmp(b),
            (Val::Int(a), Value::Decimal(b)) => Decimal::from(*a).cmp(b),
            _ => return None,
        };
        Some(Some(self.op.test(o)))
    }

    fn eval(&self, env: &Env<'_>) -> R<Tri> {
        let l = self.lhs.val(env)?;
        let r = self.rhs.val(env)?;
        if matches!(l, Val::Unknown) || matches!(r, Val::Unknown) {
            return Ok(None);
        }
        Ok(Some(self.op.test(compare(
            self.kind,
            &l,
            &r,
            &self.origin,
            "comparison",
        )?)))
    }
}

impl FieldCmp {
    #[cold]
    #[inline(never)]
    fn currency_mismatch(&self, v: &Value) -> Box<EvalError> {
        let (l, r) = (v.as_val(), self.value.as_val());
        Box::new(EvalError::CurrencyMismatch(format!(
            "one comparison: {}{}",
            self.origin.text_with(&l, &r),
            fields_note(&self.origin)
        )))
    }

    #[inline(always)]
    fn truth(&self, env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
        let v = match env.fields.get(usize::from(self.slot)) {
            Some(Some(v)) => v,
            Some(None) => return Truth::Unknown,
            None => return fail(err, "field slot out of range"),
        };
        // The test prepared at compile time; any other pairing of field
        // and constant takes the general comparison.
        match (&self.test, v) {
            (ConstTest::Int(r), Value::Int(x))
            | (ConstTest::Duration(r), Value::Duration(x))
            | (ConstTest::Timestamp(r), Value::Timestamp(x)) => Truth::of(r.holds(*x)),
            (ConstTest::Money(currency, c), Value::Money(m)) => {
                if m.currency != *currency {
                    *err = Some(self.currency_mismatch(v));
                    return Truth::Error;
                }
                Truth::of(self.op.test(c.cmp_with(&m.amount)))
            }
            (ConstTest::Decimal(c), Value::Decimal(d)) => Truth::of(self.op.test(c.cmp_with(d))),
            _ => self.general(v, err),
        }
    }

    /// The comparison by the pair of value kinds.
    #[inline(never)]
    fn general(&self, v: &Value, err: &mut Option<Box<EvalError>>) -> Truth {
        let o = match (v, &self.value) {
            (Value::Int(a), Value::Int(b))
            | (Value::Duration(a), Value::Duration(b))
            | (Value::Timestamp(a), Value::Timestamp(b)) => a.cmp(b),
            (Value::Decimal(a), Value::Decimal(b)) => a.cmp(b),
            (Value::Int(a), Value::Decimal(b)) => Decimal::from(*a).cmp(b),
            (Value::Decimal(a), Value::Int(b)) => a.cmp(&Decimal::from(*b)),
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            (Value::Money(a), Value::Money(b)) => {
                if a.currency != b.currency {
                    *err = Some(self.currency_mismatch(v));
                    return Truth::Error;
                }
                a.amount.cmp(&b.amount)
            }
            _ => return fail(err, "field comparison operands"),
        };
        Truth::of(self.op.test(o))
    }
}

impl Arith {
    fn eval<'a>(&'a self, env: &Env<'a>) -> R<Val<'a>> {
        let l = self.lhs.val(env)?;
        let r = self.rhs.val(env)?;
        if matches!(l, Val::Unknown) || matches!(r, Val::Unknown) {
            return Ok(Val::Unknown);
        }
        let o = &self.origin;
        let overflow = || Box::new(EvalError::Overflow(format!("{}{}", o.text, fields_note(o))));
        let div_zero = |r: &Val<'_>| {
            Box::new(EvalError::DivisionByZero(
                if o.rhs_text.is_empty() || *o.rhs_text == r.display() {
                    o.text.to_string()
                } else {
                    format!("{} ({} = {})", o.text, o.rhs_text, r.display())
                },
            ))
        };
        let num = |a: Decimal, b: Decimal| -> R<Decimal> {
            match self.op {
                ArithOp::Add => a.checked_add(b).ok_or_else(overflow),
                ArithOp::Sub => a.checked_sub(b).ok_or_else(overflow),
                ArithOp::Mul => a.checked_mul(b).ok_or_else(overflow),
                ArithOp::Div => {
                    if b.is_zero() {
                        Err(div_zero(&r))
                    } else {
                        crate::value::quotient(a, b).ok_or_else(overflow)
                    }
                }
            }
        };
        let int = |a: i64, b: i64| -> R<i64> {
            match self.op {
                ArithOp::Add => a.checked_add(b).ok_or_else(overflow),
                ArithOp::Sub => a.checked_sub(b).ok_or_else(overflow),
                _ => a.checked_mul(b).ok_or_else(overflow),
            }
        };
        Ok(match (self.kind, &l, &r) {
            (ArithKind::IntInt, Val::Int(a), Val::Int(b)) => {
                if self.op == ArithOp::Div {
                    Val::Dec(num(Decimal::from(*a), Decimal::from(*b))?)
                } else {
                    Val::Int(int(*a, *b)?)
                }
            }
            (ArithKind::Num, _, _) => match (dec(&l), dec(&r)) {
                (Some(a), Some(b)) => Val::Dec(num(a, b)?),
                _ => return Err(internal("number operands")),
            },
            (ArithKind::MoneyMoney, Val::Money(a), Val::Money(b)) => {
                if a.currency != b.currency {
                    return Err(Box::new(EvalError::CurrencyMismatch(format!(
                        "one {}: {}{}",
                        if self.op == ArithOp::Div {
                            "quotient"
                        } else {
                            "sum"
                        },
                        o.text_with(&l, &r),
                        fields_note(o)
                    ))));
                }
                let v = num(a.amount, b.amount)?;
                if self.op == ArithOp::Div {
                    Val::Dec(v)
                } else {
                    Val::Money(Money {
                        amount: v,
                        currency: a.currency,
                    })
                }
            }
            (ArithKind::MoneyNum, Val::Money(a), _) => match dec(&r) {
                Some(b) => Val::Money(Money {
                    amount: num(a.amount, b)?,
                    currency: a.currency,
                }),
                None => return Err(internal("money operands")),
            },
            (ArithKind::NumMoney, _, Val::Money(b)) => match dec(&l) {
                Some(a) => Val::Money(Money {
                    amount: num(a, b.amount)?,
                    currency: b.currency,
                }),
                None => return Err(internal("money operands")),
            },
            (ArithKind::DurDur, Val::Duration(a), Val::Duration(b)) => Val::Duration(int(*a, *b)?),
            (ArithKind::DurInt, Val::Duration(a), Val::Int(b)) => Val::Duration(int(*a, *b)?),
            (ArithKind::IntDur, Val::Int(a), Val::Duration(b)) => Val::Duration(int(*a, *b)?),
            (ArithKind::TsTs, Val::Timestamp(a), Val::Timestamp(b)) => Val::Duration(int(*a, *b)?),
            (ArithKind::DateDate, Val::Date(a), Val::Date(b)) => {
                let days = a.signed_duration_since(*b).num_days();
                Val::Duration(days.checked_mul(86_400).ok_or_else(overflow)?)
            }
            (ArithKind::TsDur, Val::Timestamp(a), Val::Duration(b)) => Val::Timestamp(int(*a, *b)?),
            (ArithKind::DateDur, Val::Date(a), Val::Duration(b)) => {
                if b % 86_400 != 0 {
                    return Err(Box::new(EvalError::Invalid(format!(
                        "{}: a duration of hours or minutes cannot be added to a date{}",
                        o.text,
                        fields_note(o)
                    ))));
                }
                let days = chrono::Days::new((b / 86_400).unsigned_abs());
                let moved = if (*b >= 0) == (self.op == ArithOp::Add) {
                    a.checked_add_days(days)
                } else {
                    a.checked_sub_days(days)
                };
                Val::Date(moved.ok_or_else(overflow)?)
            }
            _ => return Err(internal("arithmetic operands")),
        })
    }
}

fn call<'a>(f: Func, args: &'a [Expr], env: &Env<'a>) -> R<Val<'a>> {
    let mut vals = Vec::with_capacity(args.len());
    for a in args {
        vals.push(a.val(env)?);
    }
    if vals.iter().any(|v| matches!(v, Val::Unknown)) {
        return Ok(Val::Unknown);
    }
    let first = vals.first().cloned().unwrap_or(Val::Unknown);
    let second = vals.get(1).cloned().unwrap_or(Val::Unknown);
    let bad = || internal("function arguments");
    Ok(match f {
        Func::InDays | Func::InHours => match first {
            Val::Duration(s) => {
                let unit = if f == Func::InDays { 86_400 } else { 3_600 };
                Val::Dec(
                    crate::value::quotient(Decimal::from(s), Decimal::from(unit))
                        .ok_or_else(bad)?,
                )
            }
            _ => return Err(bad()),
        },
        Func::Currency => match first {
            Val::Money(m) => Val::Text(Cow::Owned(m.currency.to_string())),
            _ => return Err(bad()),
        },
        Func::Amount => match first {
            Val::Money(m) => Val::Dec(m.amount),
            _ => return Err(bad()),
        },
        Func::Len => match first {
            Val::SetText(s) => Val::Int(i64::try_from(s.len()).map_err(|_| bad())?),
            Val::SetInt(s) => Val::Int(i64::try_from(s.len()).map_err(|_| bad())?),
            _ => return Err(bad()),
        },
        Func::Lower => match first {
            Val::Text(t) => Val::Text(Cow::Owned(t.to_lowercase())),
            _ => return Err(bad()),
        },
        Func::Min | Func::Max => {
            let kind = match (&first, &second) {
                (Val::Int(_), Val::Int(_)) => CmpKind::Int,
                (Val::Money(_), _) => CmpKind::Money,
                (a, b) if dec(a).is_some() && dec(b).is_some() => CmpKind::Num,
                _ => CmpKind::Same,
            };
            let origin = Origin {
                text: format!("{f:?}").to_lowercase().into(),
                ..Origin::default()
            };
            let o = compare(kind, &first, &second, &origin, "call")?;
            let pick_first = if f == Func::Min {
                o != Ordering::Greater
            } else {
                o != Ordering::Less
            };
            let chosen = if pick_first { first } else { second };
            // int and decimal mix: the result of a mixed call is a decimal.
            match (kind, chosen) {
                (CmpKind::Num, v) => Val::Dec(dec(&v).ok_or_else(bad)?),
                (_, v) => v,
            }
        }
        Func::Round => {
            let value = dec(&first).ok_or_else(bad)?;
            let places = match second {
                Val::Int(p) if (0..=28).contains(&p) => u32::try_from(p).map_err(|_| bad())?,
                other => {
                    return Err(Box::new(EvalError::Invalid(format!(
                        "round: places must be between 0 and 28, not {}",
                        other.display()
                    ))))
                }
            };
            Val::Dec(value.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{Env, EvalError, Expr};
    use crate::program::expr::{CmpOp, FieldCmp, Origin, Scaled};
    use crate::value::{ConstTexts, Currency, Money, TextSet, Value};

    /// A slot past the end of a caller's `Env::fields` is reported as such
    /// by every kind of leaf, not as a value of the wrong type.
    #[test]
    fn a_missing_slot_is_an_internal_error_naming_the_slot() {
        let env = Env {
            fields: &[],
            other: &[],
            locals: &[],
            today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        };
        let leaves = [
            Expr::BoolField(3),
            Expr::FieldInTexts {
                slot: 3,
                set: ConstTexts::new(&TextSet::new(["a"])),
                negate: false,
            },
            Expr::FieldContainsText {
                slot: 3,
                text: "a".into(),
            },
        ];
        for e in leaves {
            for cond in [e.clone(), Expr::All(vec![e.clone()]), Expr::Any(vec![e])] {
                assert_eq!(
                    cond.eval_bool(&env),
                    Err(EvalError::Invalid(
                        "internal error: field slot out of range".into()
                    )),
                    "{cond:?}"
                );
            }
        }
    }
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    fn decimal() -> impl Strategy<Value = Decimal> {
        // Mantissas up to the full 96 bits and every scale, so that both
        // the prepared mantissas and the fallback past i128 run.
        (any::<i128>(), 0u32..=28).prop_map(|(m, s)| {
            let m = m % (1i128 << 96);
            Decimal::from_i128_with_scale(m, s)
        })
    }

    proptest! {
        #[test]
        fn scaled_constants_order_as_rust_decimal(a in decimal(), b in decimal(), shift in 0u32..=9) {
            let cmp = |x: &Decimal, y: &Decimal| Scaled::new(*y).cmp_with(x);
            prop_assert_eq!(cmp(&a, &b), a.cmp(&b));
            // The same value at another scale compares equal.
            if let Some(m) = a.mantissa().checked_mul(10i128.pow(shift)) {
                if let Ok(c) = Decimal::try_from_i128_with_scale(m, a.scale() + shift) {
                    prop_assert_eq!(cmp(&a, &c), std::cmp::Ordering::Equal);
                    prop_assert_eq!(cmp(&c, &a), std::cmp::Ordering::Equal);
                }
            }
        }

        /// A field compared with a constant through the test prepared at
        /// compile time answers as the plain comparison of the two values:
        /// ints, decimals and money at every scale (the prepared mantissas
        /// and the fallback), durations and timestamps at the ends of
        /// `i64`, money of another currency, an absent field.
        #[test]
        fn prepared_field_comparisons_agree_with_plain_ones(
            (field, constant) in field_and_constant(),
            op in prop_oneof![
                Just(CmpOp::Eq), Just(CmpOp::Ne), Just(CmpOp::Lt),
                Just(CmpOp::Le), Just(CmpOp::Gt), Just(CmpOp::Ge)
            ],
        ) {
            let expected = match (&field, &constant) {
                (None, _) => Ok(None),
                (Some(f), c) => {
                    let number = |v: &Value| match v {
                        Value::Int(i) => Some(Decimal::from(*i)),
                        Value::Decimal(d) => Some(*d),
                        _ => None,
                    };
                    let order = match (f, c) {
                        (Value::Duration(a), Value::Duration(b))
                        | (Value::Timestamp(a), Value::Timestamp(b)) => Some(a.cmp(b)),
                        (Value::Money(a), Value::Money(b)) => {
                            (a.currency == b.currency).then(|| a.amount.cmp(&b.amount))
                        }
                        _ => Some(number(f).cmp(&number(c))),
                    };
                    match order {
                        Some(o) => Ok(Some(op.test(o))),
                        None => Err("currency"),
                    }
                }
            };
            let cond = Expr::FieldCmpConst(Box::new(FieldCmp::new(0, op, constant, Origin::default())));
            let fields = [field];
            let env = Env {
                fields: &fields,
                other: &[],
                locals: &[],
                today: chrono::NaiveDate::default(),
            };
            let got = cond.eval_bool(&env).map_err(|e| match e {
                EvalError::CurrencyMismatch(_) => "currency",
                _ => "other",
            });
            prop_assert_eq!(got, expected);
        }
    }

    fn int() -> impl Strategy<Value = i64> {
        prop_oneof![
            any::<i64>(),
            -3i64..=3,
            Just(i64::MIN),
            Just(i64::MIN + 1),
            Just(i64::MAX - 1),
            Just(i64::MAX),
        ]
    }

    /// A field value (or none) and a constant the checker would let it be
    /// compared with.
    fn field_and_constant() -> impl Strategy<Value = (Option<Value>, Value)> {
        let number = || {
            prop_oneof![
                int().prop_map(Value::Int),
                decimal().prop_map(Value::Decimal)
            ]
        };
        let currency = || {
            prop_oneof![Just("USD"), Just("EUR")].prop_map(|c| Currency::parse(c).expect("code"))
        };
        let money = move || {
            (decimal(), currency())
                .prop_map(|(amount, currency)| Value::Money(Money { amount, currency }))
        };
        let pair = prop_oneof![
            (number(), number()),
            (
                int().prop_map(Value::Duration),
                int().prop_map(Value::Duration)
            ),
            (
                int().prop_map(Value::Timestamp),
                int().prop_map(Value::Timestamp)
            ),
            (money(), money()),
            // The same amount at several scales, so that equality is met.
            (decimal(), 0u32..=6, currency()).prop_map(|(d, k, c)| {
                let wider = d
                    .mantissa()
                    .checked_mul(10i128.pow(k))
                    .and_then(|m| Decimal::try_from_i128_with_scale(m, d.scale() + k).ok())
                    .unwrap_or(d);
                let m = |amount| {
                    Value::Money(Money {
                        amount,
                        currency: c,
                    })
                };
                (m(wider), m(d))
            }),
        ];
        (pair, 0u8..10).prop_map(|((f, c), absent)| ((absent > 0).then_some(f), c))
    }
}
