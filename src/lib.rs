//! baton: a rule engine for the moment a customer passes from one team to
//! another. Policies are versioned files that a machine checks and
//! evaluates: lead qualification, customer health, handoff SLA clocks, and
//! commission clawbacks.
//!
//! The public API is the façade: [`Policy`] (one checked file) and
//! [`PolicySet`] (the versions of one policy), one entry point per domain
//! with an options struct, typed results and typed errors with stable
//! codes. Inside, the pipeline is the layout, each layer importing only
//! those before it: values and records → syntax (source → AST with spans)
//! → program (the compiled, immutable form) → check (names, types, slots;
//! builds the program) → the domain engines (qualify, health, SLA,
//! clawback, tests) → the façade.
//!
//! ```
//! use baton::{EvalOptions, NaiveDate, Policy};
//!
//! let policy: Policy = r#"
//! policy "qualification" version 3 effective 2026-07-01
//!   currency USD
//! record lead key id { id: text  budget: money?  decision_maker: bool }
//! score fit for lead { add 25 when decision_maker }
//! qualify lead {
//!   stage MQL when budget >= 10_000 USD
//!   stage SQL when MQL and fit >= 25
//! }"#.parse().unwrap();
//!
//! let lead = policy.record_for_qualify(&serde_json::json!(
//!     {"id": "L-1", "budget": "25000", "decision_maker": true})).unwrap();
//! let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
//! let decision = policy.qualify(&lead, &EvalOptions::on(today)).unwrap();
//! assert_eq!(decision.stage.as_deref(), Some("SQL"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod batch;
mod check;
mod clawback;
mod codes;
mod diag;
pub mod diff;
mod explain;
mod format;
mod health;
pub mod io;
mod json;
pub mod outline;
mod policy;
mod program;
pub mod project;
mod qualify;
mod record;
mod score;
mod sla;
mod span;
mod stack;
mod syntax;
mod tally;
mod testing;
mod value;

pub use chrono::{DateTime, NaiveDate, Utc};
pub use chrono_tz::Tz;
pub use rust_decimal::Decimal;

pub use clawback::{Ledger, LedgerLine, Rounding, Status, StreamOutcome, Table};
pub use codes::{render as render_explanation, Explanation, ALL as ALL_CODES};
pub use diag::{thousands, Code, Diagnostic, Related, Severity};
pub use explain::{ConditionTrace, OperandTrace, Step};
pub use health::{HealthScore, Scorecard};
pub use policy::{
    format_policy, policy_files, policy_paths, read_policy_file, At, Block, BookedLedger,
    ClawbackOptions, Condition, EvalOptions, FormatError, LoadError, Policy, PolicyFileError,
    PolicySet, ResolveError, Resolved, RunError, RunStats, SlaError, Summary, MAX_POLICY_BYTES,
};
pub use program::eval::{EvalError, Tri};
pub use program::exact::Frac;
pub use program::handoff::{Event, EventError, EventKind};
pub use qualify::Decision;
pub use record::{
    Field, FieldDef, InputCell, Key, Record, RecordBatch, RecordBuilder, RecordError, Schema,
};
pub use sla::{AlertOut, GoalOut, HandoffStatus, InstanceError, NoteOut};
pub use span::Span;
pub use syntax::{MAX_EXPR_DEPTH, MAX_NESTING};
pub use tally::{Counts, GoalTally, HealthTally, QualifyTally, SlaTally, Spread};
pub use testing::TestOutcome;
pub use value::{Currency, IntSet, Money, Text, TextSet, Type, Value};

/// Reading and writing ledgers: the CSV ledger, a booked ledger for
/// `--posted`, and the per-rep summary (CLI.md "Clawback inputs and
/// ledger").
pub mod ledger {
    pub use crate::clawback::{
        diff_posted, read_posted, write_ledger, write_summary, PostedError, PostedLine,
        SummaryError, SummaryRow, COLUMNS,
    };
}
