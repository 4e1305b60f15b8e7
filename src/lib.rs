//! baton: a rule engine for the moment a customer passes from one team to
//! another. Policies are versioned files that a machine checks and
//! evaluates: lead qualification, customer health, handoff SLA clocks, and
//! commission clawbacks.
//!
//! The pipeline is the layout: [`syntax`] (source → AST with spans) →
//! [`check`] (names, types, slots) → [`policy`] (the compiled, immutable
//! policy) → [`eval`] over [`record`]s → the domains [`qualify`] and
//! [`health`].
//!
//! ```
//! use baton::Policy;
//! use chrono::NaiveDate;
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
//! let decision = policy.qualify(&lead, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), false).unwrap();
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

pub mod check;
pub mod clawback;
pub mod diag;
pub mod eval;
pub mod explain;
pub mod format;
pub mod health;
pub mod io;
pub mod ir;
pub mod policy;
pub mod qualify;
pub mod record;
pub mod samples;
pub mod sla;
pub mod span;
pub mod syntax;
pub mod testing;
pub mod value;

pub use diag::{Code, Diagnostic};
pub use eval::EvalError;
pub use policy::{LoadError, Policy, PolicySet};
pub use record::{Record, RecordError, Schema};
