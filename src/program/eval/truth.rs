//! Three-valued truth on the condition path: [`Truth`], one byte that
//! also says "an error was recorded", Kleene `and`, `or` and `not`, and the
//! membership leaves (a text field in a constant set, a set field holding a
//! text).

use super::{internal, Env, EvalError, Tri, R};
use crate::program::expr::Expr;
use crate::value::Value;

/// Three-valued truth plus "an error was recorded": one byte, so that the
/// condition path returns in a register instead of through memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Truth {
    False,
    True,
    Unknown,
    Error,
}

impl Truth {
    #[inline]
    pub(super) fn of(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }

    /// The public form: the error, when there is one, is taken from `err`.
    #[inline(always)]
    pub(super) fn into_result(self, err: Option<Box<EvalError>>) -> Result<Tri, EvalError> {
        match self {
            Truth::False => Ok(Some(false)),
            Truth::True => Ok(Some(true)),
            Truth::Unknown => Ok(None),
            Truth::Error => Err(*err.unwrap_or_else(|| internal("error without a message"))),
        }
    }

    #[inline]
    pub(super) fn from_result(r: R<Tri>, err: &mut Option<Box<EvalError>>) -> Truth {
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
pub(super) fn fail(err: &mut Option<Box<EvalError>>, what: &str) -> Truth {
    *err = Some(internal(what));
    Truth::Error
}

/// Kleene `and`, left to right: the first false decides; an unknown waits
/// for a later false; an error always wins over unknown because evaluation
/// goes on to reach it.
#[inline(never)]
pub(super) fn all(items: &[Expr], env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
    all_body(items, env, err)
}

#[inline(always)]
pub(super) fn all_body(items: &[Expr], env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
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
pub(super) fn not(a: &Expr, env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
    match a.truth(env, err) {
        Truth::False => Truth::True,
        Truth::True => Truth::False,
        t => t,
    }
}

#[inline(always)]
pub(super) fn in_texts(
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
pub(super) fn contains_text(
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
pub(super) fn any(items: &[Expr], env: &Env<'_>, err: &mut Option<Box<EvalError>>) -> Truth {
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
