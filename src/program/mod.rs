//! The compiled program: the immutable form of every block of a checked
//! policy file, and the evaluator of its expressions. The checker builds
//! it; the domain engines read it. This layer imports only the syntax tree
//! (for spans) and the foundation (values, records).

pub mod blocks;
pub mod calendar;
pub mod commission;
pub mod eval;
pub mod exact;
pub mod expr;
pub mod handoff;
pub mod lets;
pub mod tests;
pub mod trace;
pub mod versions;

use std::sync::Arc;

use chrono::NaiveDate;

pub use blocks::{HealthDef, LocalDef, QualifyDef, ScoreDef};
pub use commission::CommissionDef;
pub use handoff::HandoffDef;
pub use tests::TestDef;

use crate::record::Schema;
use crate::syntax::ast;
use crate::value::Currency;

/// One checked policy file in the form evaluation reads: names resolved
/// to slots, types known, every block compiled. Immutable once built.
#[derive(Debug, Clone)]
pub struct Program {
    /// Policy name.
    pub name: String,
    /// Version.
    pub version: i64,
    /// Effective date.
    pub effective: NaiveDate,
    /// The policy's time zone.
    pub timezone: chrono_tz::Tz,
    /// Currency of bare money input.
    pub currency: Option<Currency>,
    /// File name.
    pub file: Arc<str>,
    /// Source text.
    pub source: Arc<str>,
    /// Record types.
    pub records: Vec<Arc<Schema>>,
    /// Scores in declaration order.
    pub scores: Vec<ScoreDef>,
    /// The qualify block.
    pub qualify: Option<QualifyDef>,
    /// The health block.
    pub health: Option<HealthDef>,
    /// The syntax tree (for `baton fmt` and directory checks).
    pub ast: Arc<ast::File>,
    /// Locals (scores, stages, measures) of each record type, by record index.
    pub layouts: Vec<(usize, Vec<LocalDef>)>,
    /// Compiled `test` blocks.
    pub tests: Vec<TestDef>,
    /// Handoff blocks.
    pub handoffs: Vec<HandoffDef>,
    /// The commission block.
    pub commission: Option<CommissionDef>,
    /// The `let`s that are not literals, shared by their uses.
    pub lets: lets::Lets,
}

impl Program {
    /// The name of a local slot of a record, for traces.
    pub fn local_name(&self, slot: u16) -> Option<String> {
        if let Some(s) = self.scores.iter().find(|s| s.local == slot) {
            return Some(s.name.clone());
        }
        if let Some(q) = &self.qualify {
            if let Some(st) = q.stages.iter().find(|s| s.local == slot) {
                return Some(st.name.clone());
            }
        }
        if let Some(h) = &self.health {
            if let Some(m) = h.measures.iter().find(|m| m.local == slot) {
                return Some(m.name.clone());
            }
            if h.score_local == slot {
                return Some("score".into());
            }
        }
        None
    }
}
