//! Compiled scores, stages, measures and bands (LANGUAGE.md §5, §6).

use rust_decimal::Decimal;

use super::expr::Expr;
use super::trace::Shape;
use crate::span::Span;
use crate::value::Type;

/// A condition compiled for evaluation and for `--explain`.
#[derive(Debug, Clone)]
pub struct CondDef {
    /// Points (score rules) or value (measure arms); zero for stages.
    pub value: Decimal,
    /// The condition.
    pub cond: Expr,
    /// Its source text, whitespace folded.
    pub text: String,
    /// Record fields it mentions, by slot.
    pub fields: Vec<u16>,
    /// Scores, stages or measures it mentions, by local slot.
    pub locals: Vec<u16>,
    /// Its leaves and their operands, for `--explain` only.
    pub shape: Box<Shape>,
}

/// A compiled `score` block.
#[derive(Debug, Clone)]
pub struct ScoreDef {
    /// Score name.
    pub name: String,
    /// Record type index.
    pub record: usize,
    /// Its slot among the record's locals.
    pub local: u16,
    /// Rules: points (negative for `subtract`) and conditions.
    pub rules: Vec<CondDef>,
    /// `clamp low to high`.
    pub clamp: Option<(Decimal, Decimal)>,
}

/// A compiled stage.
#[derive(Debug, Clone)]
pub struct StageDef {
    /// Stage name.
    pub name: String,
    /// Its slot among the record's locals.
    pub local: u16,
    /// Condition.
    pub cond: CondDef,
}

/// A compiled `qualify` block.
#[derive(Debug, Clone)]
pub struct QualifyDef {
    /// Record type index.
    pub record: usize,
    /// Scores of that record, in order.
    pub scores: Vec<usize>,
    /// Stages in order.
    pub stages: Vec<StageDef>,
    /// Size of the locals array.
    pub n_locals: usize,
}

/// A compiled measure.
#[derive(Debug, Clone)]
pub struct MeasureDef {
    /// Measure name.
    pub name: String,
    /// Weight (positive).
    pub weight: Decimal,
    /// Arms in order: value and condition.
    pub arms: Vec<CondDef>,
    /// The `else` value.
    pub else_value: Decimal,
    /// Its slot among the record's locals.
    pub local: u16,
}

/// A compiled band.
#[derive(Debug, Clone)]
pub struct BandDef {
    /// Band name.
    pub name: String,
    /// Condition; `None` for `otherwise`.
    pub cond: Option<Expr>,
    /// The condition's leaves and their operands, for `--explain` only.
    pub shape: Option<Box<Shape>>,
}

/// A compiled `health` block.
#[derive(Debug, Clone)]
pub struct HealthDef {
    /// Record type index.
    pub record: usize,
    /// Scores of that record, in order.
    pub scores: Vec<usize>,
    /// Measures in order.
    pub measures: Vec<MeasureDef>,
    /// Bands in order; the last is `otherwise`.
    pub bands: Vec<BandDef>,
    /// The slot of `score` among the locals.
    pub score_local: u16,
    /// Size of the locals array.
    pub n_locals: usize,
}

/// A value computed earlier for a record (score, stage, measure) that later
/// expressions may name.
#[derive(Debug, Clone)]
pub struct LocalDef {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Its slot among the record's locals.
    pub slot: u16,
    /// Where it is defined; uses before this byte are errors.
    pub defined_at: usize,
    /// "score", "stage", "measure".
    pub what: &'static str,
    /// Where its name is written (for "first defined here").
    pub span: Span,
}
