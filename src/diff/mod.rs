//! What a policy change does to real data (`baton diff`): every input
//! record evaluated under two policies, side by side, summed into
//! transition matrices, gains and losses, score deltas and error changes,
//! and each record whose outcome differs handed to the caller.
//!
//! Each record is read and parsed once and converted by each policy's
//! schema; JSON lines are handled on every core, in batches that come back
//! in input order. The aggregates are those of two plain runs' summaries
//! ([`crate::QualifyTally`], [`crate::HealthTally`]), so every figure can be
//! reproduced from `qualify --summary` (or `health --summary`) under each
//! policy.

mod change;
mod ledger;
mod records;
mod report;
mod sla;

pub use change::{Change, RuleChange};
pub use ledger::{write_ledger_text, KeyDiff, LedgerDiff, RepDiff};
pub use records::{records, HealthDiff, QualifyDiff, RecordDiff, Transition};
pub use report::{write_changes_csv_header, write_text};
pub use sla::{sla, write_sla_text, GoalDiff, SlaDiff};
