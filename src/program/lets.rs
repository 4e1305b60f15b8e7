//! `let` constants that are not literals: those that use `today`, and
//! constants whose evaluation fails. Each is compiled once, refers to the
//! lets it uses by index ([`Expr::Let`]), and is computed once: a failing
//! constant when the policy is compiled, one that uses `today` once per
//! evaluation date, before a record's expressions run. Never copied into
//! each use: `let a1 = a0 + a0`, `let a2 = a1 + a1`, … stays linear.

use chrono::NaiveDate;

use crate::program::eval::Env;
pub use crate::program::eval::LetValue;
use crate::program::expr::Expr;

/// The non-literal `let`s of a program, in an order where each refers only
/// to earlier ones.
#[derive(Debug, Clone, Default)]
pub struct Lets {
    exprs: Vec<Expr>,
    /// Whether each uses `today`, itself or through an earlier `let`.
    dated: Vec<bool>,
    /// The values of those that do not use `today` (the others: a
    /// placeholder), computed when the `let` is added.
    fixed: Vec<LetValue>,
    any_dated: bool,
}

impl Lets {
    /// Adds a `let` whose expression refers only to lets added before it;
    /// `dated`: whether it uses `today` (itself or through another `let`).
    /// Its index, or the expression back when the index would not fit.
    pub fn push(&mut self, expr: Expr, dated: bool) -> Result<u32, Expr> {
        let Ok(k) = u32::try_from(self.exprs.len()) else {
            return Err(expr);
        };
        let value = if dated {
            Ok(None)
        } else {
            evaluate(&expr, NaiveDate::default(), &self.fixed)
        };
        self.exprs.push(expr);
        self.dated.push(dated);
        self.fixed.push(value);
        self.any_dated |= dated;
        Ok(k)
    }

    /// Whether the `let` at `k` uses `today`.
    pub fn dated(&self, k: u32) -> bool {
        self.dated.get(k as usize).copied().unwrap_or(false)
    }

    /// The values of the `let`s that do not use `today` (placeholders for
    /// the others): every value when no `let` uses `today`, and enough to
    /// evaluate an expression that does not use it.
    pub fn fixed(&self) -> &[LetValue] {
        &self.fixed
    }

    /// Every value on `today`, computed, when a `let` uses `today`;
    /// `None` when the values are [`Lets::fixed`], computed once: then
    /// nothing is done per evaluation. For [`Env::lets`]:
    /// `computed.as_deref().unwrap_or(lets.fixed())`.
    #[inline]
    pub fn computed_on(&self, today: NaiveDate) -> Option<Vec<LetValue>> {
        self.any_dated.then(|| self.dated_on(today))
    }

    /// Every value on `today`, computed.
    #[cold]
    #[inline(never)]
    fn dated_on(&self, today: NaiveDate) -> Vec<LetValue> {
        let mut out: Vec<LetValue> = Vec::with_capacity(self.exprs.len());
        for ((expr, dated), fixed) in self.exprs.iter().zip(&self.dated).zip(&self.fixed) {
            let v = if *dated {
                evaluate(expr, today, &out)
            } else {
                fixed.clone()
            };
            out.push(v);
        }
        out
    }
}

fn evaluate(expr: &Expr, today: NaiveDate, lets: &[LetValue]) -> LetValue {
    let env = Env {
        fields: &[],
        other: &[],
        locals: &[],
        today,
        lets,
    };
    expr.eval(&env).map(|v| v.to_value())
}
