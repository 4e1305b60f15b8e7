//! The compiled form of expressions: names resolved to slots, every
//! operator's operand types decided by the checker. Nothing here is looked
//! up by name or type-checked again while records are evaluated.

use crate::value::Value;

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Applies the operator to an ordering.
    #[inline]
    pub fn test(self, o: std::cmp::Ordering) -> bool {
        // Bit 0: holds when less, bit 1: when equal, bit 2: when greater;
        // a lookup and a shift instead of a branch per operator.
        let accepts: u8 = match self {
            CmpOp::Eq => 0b010,
            CmpOp::Ne => 0b101,
            CmpOp::Lt => 0b001,
            CmpOp::Le => 0b011,
            CmpOp::Gt => 0b100,
            CmpOp::Ge => 0b110,
        };
        accepts >> (o as i8 + 1) & 1 == 1
    }
}

/// Which comparison the checker decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpKind {
    /// int with int
    Int,
    /// numbers, at least one decimal
    Num,
    /// money with money (same currency, checked per record)
    Money,
    /// any other type compared with itself (text, bool, dates, sets…)
    Same,
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl ArithOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }
}

/// The operand types of an arithmetic node, decided by the checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithKind {
    /// int op int (`/` gives an exact decimal)
    IntInt,
    /// numbers with a decimal among them
    Num,
    /// money ± money, money ÷ money
    MoneyMoney,
    /// money × number, money ÷ number
    MoneyNum,
    /// number × money
    NumMoney,
    /// duration ± duration
    DurDur,
    /// duration × int
    DurInt,
    /// int × duration
    IntDur,
    /// timestamp − timestamp
    TsTs,
    /// date − date
    DateDate,
    /// timestamp ± duration
    TsDur,
    /// date ± duration (whole days)
    DateDur,
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `in_days(duration)`
    InDays,
    /// `in_hours(duration)`
    InHours,
    /// `currency(money)`
    Currency,
    /// `amount(money)`
    Amount,
    /// `len(set)`
    Len,
    /// `lower(text)`
    Lower,
    /// `min(a, b)`
    Min,
    /// `max(a, b)`
    Max,
    /// `round(decimal, places)`
    Round,
}

/// Set relations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetRel {
    /// `S contains any T`
    Any,
    /// `S contains all T`
    All,
    /// `S subset_of T`
    Subset,
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A constant (literals and folded `let`s).
    Const(Value),
    /// A field of the record being evaluated, by slot.
    Field(u16),
    /// A field of the second record (the event, in a commission block).
    Other(u16),
    /// A value computed earlier for this record (score, stage, measure).
    Local(u16),
    /// The evaluation date.
    Today,
    /// The value of a `let` that is not a literal (one that uses `today`,
    /// or a constant whose evaluation fails), by its index among the
    /// program's `lets`: computed once per evaluation date and shared by
    /// every use, never copied into each.
    Let(u32),
    /// `not e`
    Not(Box<Expr>),
    /// `-e`
    Neg(Box<Expr>),
    /// `a and b and …`, left to right, stopping at the first false.
    All(Vec<Expr>),
    /// `a or b or …`, left to right, stopping at the first true.
    Any(Vec<Expr>),
    /// A comparison.
    Cmp(Box<Cmp>),
    /// Arithmetic.
    Arith(Box<Arith>),
    /// `elem in set` (negated: `not in`); `set contains elem` compiles here too.
    Member {
        /// The element.
        elem: Box<Expr>,
        /// The set.
        set: Box<Expr>,
        /// `not in`
        negate: bool,
    },
    /// `contains any`, `contains all`, `subset_of`.
    SetRel(SetRel, Box<Expr>, Box<Expr>),
    /// `e between lo and hi`, inclusive.
    Between(Box<Between>),
    /// `e is set` (negate: `is not set`).
    IsSet(Box<Expr>, bool),
    /// A built-in function.
    Call(Func, Vec<Expr>),
    /// Fast path: a text field in a constant set of texts.
    FieldInTexts {
        /// Field slot.
        slot: u16,
        /// The constant set.
        set: crate::value::ConstTexts,
        /// `not in`
        negate: bool,
    },
    /// Fast path: a field compared with a constant of the same type
    /// (`budget >= 10_000 USD`, `timeline <= 90d`, `employees >= 500`).
    FieldCmpConst(Box<FieldCmp>),
    /// Fast path: a bool field used as a condition.
    BoolField(u16),
    /// Fast path: a set-of-text field contains a constant text.
    FieldContainsText {
        /// Field slot.
        slot: u16,
        /// The text.
        text: crate::value::Text,
    },
}

/// A compiled comparison.
#[derive(Debug, Clone)]
pub struct Cmp {
    /// Operator.
    pub op: CmpOp,
    /// Operand types.
    pub kind: CmpKind,
    /// Left operand.
    pub lhs: Expr,
    /// Right operand.
    pub rhs: Expr,
    /// Source text and fields, for error messages.
    pub origin: Origin,
}

/// A field compared with a constant, with the comparison decided.
#[derive(Debug, Clone)]
pub struct FieldCmp {
    /// Field slot.
    pub slot: u16,
    /// Operator.
    pub op: CmpOp,
    /// The constant (an int, decimal, money, date, timestamp or duration).
    pub value: Value,
    /// The test prepared from `op` and `value` when the policy is compiled.
    pub test: ConstTest,
    /// Source text and fields, for error messages.
    pub origin: Origin,
}

impl FieldCmp {
    /// `field op value`, with its test prepared.
    pub fn new(slot: u16, op: CmpOp, value: Value, origin: Origin) -> FieldCmp {
        let test = ConstTest::new(op, &value);
        FieldCmp {
            slot,
            op,
            value,
            test,
            origin,
        }
    }
}

/// A comparison with a constant, prepared so that a record pays for one
/// test: an integer range for ints, durations and timestamps, the
/// constant's mantissa at every scale a decimal can have for decimals and
/// money. A field whose value does not fit the prepared form (an int field
/// against a decimal constant, a decimal at fewer places than the constant)
/// takes the general comparison.
#[derive(Debug, Clone)]
pub enum ConstTest {
    /// An int field inside the range.
    Int(I64Range),
    /// A duration field (seconds) inside the range.
    Duration(I64Range),
    /// A timestamp field (Unix seconds) inside the range.
    Timestamp(I64Range),
    /// A decimal field against the constant's mantissas.
    Decimal(Scaled),
    /// A money field of this currency against the constant's mantissas.
    Money(crate::value::Currency, Scaled),
    /// The general comparison (dates, mixed int and decimal).
    General,
}

impl ConstTest {
    fn new(op: CmpOp, value: &Value) -> ConstTest {
        match value {
            Value::Int(c) => ConstTest::Int(I64Range::new(op, *c)),
            Value::Duration(c) => ConstTest::Duration(I64Range::new(op, *c)),
            Value::Timestamp(c) => ConstTest::Timestamp(I64Range::new(op, *c)),
            Value::Decimal(d) => ConstTest::Decimal(Scaled::new(*d)),
            Value::Money(m) => ConstTest::Money(m.currency, Scaled::new(m.amount)),
            _ => ConstTest::General,
        }
    }
}

/// `x op c` for integers as one range test: `lo <= x <= lo + span`,
/// negated for `!=` (and for the empty ranges of `< i64::MIN`, `> i64::MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct I64Range {
    lo: i64,
    span: u64,
    negate: bool,
}

impl I64Range {
    /// The integers `x` for which `x op c` holds.
    pub fn new(op: CmpOp, c: i64) -> I64Range {
        let range = |lo: i64, hi: i64| I64Range {
            lo,
            span: hi.abs_diff(lo),
            negate: false,
        };
        // Every integer, negated: no integer.
        let none = I64Range {
            lo: i64::MIN,
            span: u64::MAX,
            negate: true,
        };
        match op {
            CmpOp::Eq => range(c, c),
            CmpOp::Ne => I64Range {
                negate: true,
                ..range(c, c)
            },
            CmpOp::Lt => c.checked_sub(1).map_or(none, |hi| range(i64::MIN, hi)),
            CmpOp::Le => range(i64::MIN, c),
            CmpOp::Gt => c.checked_add(1).map_or(none, |lo| range(lo, i64::MAX)),
            CmpOp::Ge => range(c, i64::MAX),
        }
    }

    /// Whether `x op c` holds: one subtraction and one unsigned comparison.
    #[inline(always)]
    pub fn holds(self, x: i64) -> bool {
        ((x as u64).wrapping_sub(self.lo as u64) <= self.span) != self.negate
    }
}

/// A decimal constant's mantissa at its own scale and at every larger
/// scale that fits an `i128`: a value at scale `s` compares with it as
/// two integers, `mantissa` against `at[s - scale]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scaled {
    scale: u32,
    at: Box<[i128]>,
    /// The constant itself, for the general comparison.
    pub value: rust_decimal::Decimal,
}

impl Scaled {
    /// The constant at every scale from its own up to 28.
    pub fn new(value: rust_decimal::Decimal) -> Scaled {
        let scale = value.scale();
        let mut at = Vec::new();
        let mut m = Some(value.mantissa());
        for _ in scale..=28 {
            let Some(x) = m else { break };
            at.push(x);
            m = x.checked_mul(10);
        }
        Scaled {
            scale,
            at: at.into_boxed_slice(),
            value,
        }
    }

    /// The order of `d` against the constant.
    #[inline(always)]
    pub fn cmp_with(&self, d: &rust_decimal::Decimal) -> std::cmp::Ordering {
        let at = d
            .scale()
            .checked_sub(self.scale)
            .and_then(|k| self.at.get(k as usize));
        match at {
            Some(c) => d.mantissa().cmp(c),
            None => d.cmp(&self.value),
        }
    }
}

/// A compiled arithmetic operation.
#[derive(Debug, Clone)]
pub struct Arith {
    /// Operator.
    pub op: ArithOp,
    /// Operand types.
    pub kind: ArithKind,
    /// Left operand.
    pub lhs: Expr,
    /// Right operand.
    pub rhs: Expr,
    /// Source text and fields, for error messages.
    pub origin: Origin,
}

/// A compiled `between`.
#[derive(Debug, Clone)]
pub struct Between {
    /// Operand types (as for a comparison).
    pub kind: CmpKind,
    /// The value tested.
    pub value: Expr,
    /// Lower bound, inclusive.
    pub lo: Expr,
    /// Upper bound, inclusive.
    pub hi: Expr,
    /// Source text and fields, for error messages.
    pub origin: Origin,
}

/// Where a fallible node came from, for error messages that name the
/// expression and its fields.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The source text of the expression.
    pub text: Box<str>,
    /// The source text of the right operand (the divisor, for `/`).
    pub rhs_text: Box<str>,
    /// The record fields mentioned, as `budget`, `seats`.
    pub fields: Box<[Box<str>]>,
}

#[cfg(test)]
mod tests {
    use super::CmpOp;
    use std::cmp::Ordering;

    #[test]
    fn cmp_op_table_agrees_with_the_operators() {
        let ops = [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ];
        for a in -1i32..=1 {
            for b in -1i32..=1 {
                let o = a.cmp(&b);
                let expected = [a == b, a != b, a < b, a <= b, a > b, a >= b];
                for (op, want) in ops.iter().zip(expected) {
                    assert_eq!(op.test(o), want, "{a} {} {b}", op.symbol());
                }
            }
        }
        assert!(CmpOp::Le.test(Ordering::Equal) && !CmpOp::Lt.test(Ordering::Equal));
    }
}
