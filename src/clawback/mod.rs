//! Commission adjustments (LANGUAGE.md §8): clawbacks, reinstatements and
//! bonuses, computed exactly and written as an auditable ledger.

pub mod engine;
pub mod ledger;

pub use crate::program::exact::Rounding;
pub use engine::{run, stream, Ledger, LedgerLine, Status, StreamOptions, StreamOutcome, Table};
pub use ledger::{
    diff_posted, read_posted, summarize, write_ledger, write_summary, PostedError, PostedLine,
    SummaryRow, COLUMNS,
};
