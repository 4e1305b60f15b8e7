//! The owned syntax tree. Every node keeps its span; spans are left out of
//! equality so tests compare structure.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::span::{Span, Spanned};
use crate::value::Currency;

/// A name with its span.
pub type Ident = Spanned<String>;
/// An expression with its span.
pub type Expr = Spanned<ExprKind>;

/// A parsed policy file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// The `policy … version … effective …` header.
    pub header: Header,
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// The policy header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Policy name.
    pub name: Spanned<String>,
    /// Version number.
    pub version: Spanned<i64>,
    /// Effective date.
    pub effective: Spanned<NaiveDate>,
    /// `timezone "…"` options (more than one is a check error).
    pub timezone: Vec<Spanned<String>>,
    /// `currency XXX` options (more than one is a check error).
    pub currency: Vec<Spanned<Currency>>,
}

/// A top-level item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `let name = expr`
    Let(LetDecl),
    /// `record …`
    Record(RecordDecl),
    /// `score …`
    Score(ScoreDecl),
    /// `qualify …`
    Qualify(QualifyDecl),
    /// `health …`
    Health(HealthDecl),
    /// `calendar …`
    Calendar(CalendarDecl),
    /// `handoff …`
    Handoff(HandoffDecl),
    /// `commission …`
    Commission(CommissionDecl),
    /// `test …`
    Test(TestDecl),
}

/// `let name = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct LetDecl {
    /// The constant's name.
    pub name: Ident,
    /// Its value.
    pub value: Expr,
}

/// `record name key field { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordDecl {
    /// Record type name.
    pub name: Ident,
    /// The key field.
    pub key: Option<Ident>,
    /// Declared fields in order.
    pub fields: Vec<FieldDecl>,
}

/// One field declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    /// Field name.
    pub name: Ident,
    /// `set of …`.
    pub set: bool,
    /// The (element) type name.
    pub ty: Ident,
    /// `?`.
    pub optional: bool,
    /// The whole declaration.
    pub span: Span,
}

/// `add`/`subtract`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// `add`
    Add,
    /// `subtract`
    Subtract,
}

/// `score name for record { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDecl {
    /// Score name.
    pub name: Ident,
    /// Record type it scores.
    pub record: Ident,
    /// Rules in order.
    pub rules: Vec<ScoreRule>,
    /// `clamp` statements (more than one is a check error).
    pub clamps: Vec<Clamp>,
}

/// `add N when expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRule {
    /// Add or subtract.
    pub sign: Sign,
    /// Points.
    pub points: Spanned<Decimal>,
    /// Condition.
    pub cond: Expr,
    /// The whole rule.
    pub span: Span,
}

/// `clamp low to high`.
#[derive(Debug, Clone, PartialEq)]
pub struct Clamp {
    /// Lower bound.
    pub low: Spanned<Decimal>,
    /// Upper bound.
    pub high: Spanned<Decimal>,
    /// The whole statement.
    pub span: Span,
}

/// `qualify record { stage … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct QualifyDecl {
    /// Record type.
    pub record: Ident,
    /// Stages in order.
    pub stages: Vec<StageDecl>,
    /// The keyword and record name.
    pub span: Span,
}

/// `stage NAME when expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct StageDecl {
    /// Stage name.
    pub name: Ident,
    /// Condition.
    pub cond: Expr,
}

/// `health record { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthDecl {
    /// Record type.
    pub record: Ident,
    /// Measures in order.
    pub measures: Vec<MeasureDecl>,
    /// Bands in order.
    pub bands: Vec<BandDecl>,
    /// The keyword and record name.
    pub span: Span,
}

/// `measure name weight W { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureDecl {
    /// Measure name.
    pub name: Ident,
    /// Weight.
    pub weight: Spanned<Decimal>,
    /// Arms in order.
    pub arms: Vec<Arm>,
    /// The whole measure.
    pub span: Span,
}

/// One arm of a measure.
#[derive(Debug, Clone, PartialEq)]
pub enum Arm {
    /// `VALUE when expr`
    When {
        /// Value given when the condition is true.
        value: Spanned<Decimal>,
        /// Condition.
        cond: Expr,
    },
    /// `else VALUE`
    Else {
        /// Value.
        value: Spanned<Decimal>,
        /// The arm.
        span: Span,
    },
}

/// `band name when expr` / `band name otherwise`.
#[derive(Debug, Clone, PartialEq)]
pub struct BandDecl {
    /// Band name.
    pub name: Ident,
    /// Condition; `None` for `otherwise`.
    pub cond: Option<Expr>,
    /// The whole band.
    pub span: Span,
}

/// `calendar name { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarDecl {
    /// Calendar name.
    pub name: Ident,
    /// `timezone` statements.
    pub timezone: Vec<Spanned<String>>,
    /// Opening-hours lines.
    pub hours: Vec<HoursDecl>,
    /// Closed dates.
    pub closed: Vec<Spanned<NaiveDate>>,
}

/// `mon-fri 09:00-12:00, 13:00-17:00`.
#[derive(Debug, Clone, PartialEq)]
pub struct HoursDecl {
    /// Day ranges, as weekday numbers from Monday = 0, inclusive.
    pub days: Vec<Spanned<(u32, u32)>>,
    /// Intervals, as seconds after local midnight.
    pub intervals: Vec<Spanned<(u32, u32)>>,
}

pub use crate::value::DurationLit;

/// `handoff name note record { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffDecl {
    /// Handoff block name.
    pub name: Ident,
    /// Note record type.
    pub note: Ident,
    /// Statements in order.
    pub stmts: Vec<HandoffStmt>,
}

/// A statement of a handoff block.
#[derive(Debug, Clone, PartialEq)]
pub enum HandoffStmt {
    /// `owner "team"`
    Owner(Spanned<String>),
    /// `requires a, b`
    Requires(Vec<Ident>),
    /// `sla goal within D [on cal] met by "event"`
    Sla {
        /// Goal name.
        name: Ident,
        /// Target.
        within: Spanned<DurationLit>,
        /// Business calendar.
        calendar: Option<Ident>,
        /// Event names that meet it.
        met_by: Vec<Spanned<String>>,
    },
    /// `warn D before goal breach to "who"`
    Warn {
        /// Offset before the breach.
        offset: Spanned<DurationLit>,
        /// Goal.
        goal: Ident,
        /// Recipient.
        to: Spanned<String>,
    },
    /// `escalate at goal breach to "who"`
    EscalateAt {
        /// Goal.
        goal: Ident,
        /// Recipient.
        to: Spanned<String>,
    },
    /// `escalate D after goal breach to "who"`
    EscalateAfter {
        /// Offset after the breach.
        offset: Spanned<DurationLit>,
        /// Goal.
        goal: Ident,
        /// Recipient.
        to: Spanned<String>,
    },
    /// `escalate when note incomplete to "who"`
    EscalateNote {
        /// Recipient.
        to: Spanned<String>,
        /// The statement.
        span: Span,
    },
    /// `flag name when expr`
    Flag {
        /// Flag name.
        name: Ident,
        /// Condition over the note.
        cond: Expr,
    },
}

/// `commission name { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct CommissionDecl {
    /// Plan name.
    pub name: Ident,
    /// `clawback` statements (more than one is a check error).
    pub clawbacks: Vec<ClawbackDecl>,
    /// `bonus` statements in order.
    pub bonuses: Vec<BonusDecl>,
    /// `rounding` statements (more than one is a check error).
    pub rounding: Vec<Ident>,
}

/// `clawback within N days of anchor …`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClawbackDecl {
    /// Window in days.
    pub window: Spanned<i64>,
    /// Anchor date field of the deal.
    pub anchor: Ident,
    /// `except when` condition.
    pub except: Option<Expr>,
    /// Schedule.
    pub schedule: ScheduleDecl,
    /// The whole statement.
    pub span: Span,
}

/// A clawback schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum ScheduleDecl {
    /// Inclusive day bands with rates.
    Bands(Vec<BandRate>),
    /// `prorated`
    Prorated,
}

/// `days a to b: rate`.
#[derive(Debug, Clone, PartialEq)]
pub struct BandRate {
    /// First day.
    pub from: Spanned<i64>,
    /// Last day (inclusive).
    pub to: Spanned<i64>,
    /// Rate.
    pub rate: Spanned<Decimal>,
    /// The whole band.
    pub span: Span,
}

/// `bonus name: rate of base …`.
#[derive(Debug, Clone, PartialEq)]
pub struct BonusDecl {
    /// Bonus name.
    pub name: Ident,
    /// Rate.
    pub rate: Spanned<Decimal>,
    /// Base the rate applies to.
    pub base: Expr,
    /// Upgrade or retention.
    pub kind: BonusKind,
}

/// What triggers a bonus.
#[derive(Debug, Clone, PartialEq)]
pub enum BonusKind {
    /// `on upgrade to REP [when COND]`
    Upgrade {
        /// Who is paid.
        to: Expr,
        /// Condition.
        when: Option<Expr>,
    },
    /// `if retained M days after ANCHOR`
    Retention {
        /// Days.
        days: Spanned<i64>,
        /// Anchor date field of the deal.
        anchor: Ident,
    },
}

/// `test "name" { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    /// Test name.
    pub name: Spanned<String>,
    /// Statements in order.
    pub stmts: Vec<TestStmt>,
}

/// A statement in a test block.
#[derive(Debug, Clone, PartialEq)]
pub enum TestStmt {
    /// `given record { … }`
    Given {
        /// Record type (or `deal`).
        record: Ident,
        /// Field values.
        fields: Object,
    },
    /// `event { … }`
    Event(Object),
    /// `at DATE|TIMESTAMP`
    At(Expr),
    /// `expect …`
    Expect(Spanned<Expectation>),
}

/// `{ name: value, … }` in tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// Entries in order.
    pub entries: Vec<(Ident, ObjValue)>,
    /// The braces.
    pub span: Span,
}

/// A value in an object literal.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjValue {
    /// A nested object (a handoff note).
    Object(Object),
    /// A constant expression.
    Expr(Expr),
}

/// What a test expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    /// `expect stage NAME` (`none` for no stage)
    Stage(Ident),
    /// `expect band NAME` (`none` for no band)
    Band(Ident),
    /// `expect error ["text"]`
    Error(Option<Spanned<String>>),
    /// `expect goal NAME STATE`
    Goal(Ident, Ident),
    /// `expect alert KIND [GOAL] to "who"`
    Alert(Ident, Option<Ident>, Spanned<String>),
    /// `expect [no] flag NAME`
    Flag(bool, Ident),
    /// `expect missing a, b` (`none` for complete)
    Missing(Vec<Ident>),
    /// `expect line "EVENT" { field: value }`
    Line(Spanned<String>, Object),
    /// `expect <bool expr>`
    Holds(Expr),
}

/// Literal values.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `true` / `false`
    Bool(bool),
    /// `42`
    Int(i64),
    /// `12.5` (and `50%`, already divided by 100)
    Decimal(Decimal),
    /// `10_000 USD`
    Money(Decimal, Currency),
    /// `90d`
    Duration(DurationLit),
    /// `2026-11-22`
    Date(NaiveDate),
    /// `2026-11-22T09:30:00Z`, as Unix seconds
    Timestamp(i64),
    /// `"text"`
    Text(String),
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `-`
    Neg,
    /// `not`
    Not,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `or`
    Or,
    /// `and`
    And,
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
    /// `in`
    In,
    /// `not in`
    NotIn,
    /// `contains`
    Contains,
    /// `contains any`
    ContainsAny,
    /// `contains all`
    ContainsAll,
    /// `subset_of`
    SubsetOf,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Contains => "contains",
            BinOp::ContainsAny => "contains any",
            BinOp::ContainsAll => "contains all",
            BinOp::SubsetOf => "subset_of",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal.
    Lit(Literal),
    /// A bare name: field, `let` constant, score, stage, measure, `score`.
    Name(String),
    /// `qualifier.field` (`deal.amount`, `event.reason`).
    Field(Ident, Ident),
    /// `today`
    Today,
    /// `{a, b}`
    Set(Vec<Expr>),
    /// `f(args)`
    Call(Ident, Vec<Expr>),
    /// `-e`, `not e`
    Unary(UnOp, Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `e between lo and hi`
    Between(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `e is set` (false) / `e is not set` (true)
    IsSet(Box<Expr>, bool),
}
