//! Commission adjustments (LANGUAGE.md §8): clawbacks, reinstatements and
//! bonuses, computed exactly and written as an auditable ledger.

pub mod engine;
pub mod ledger;

pub use engine::{
    run, stream, Ledger, LedgerLine, Status,
    StreamOptions, StreamOutcome, Table,
};
pub use crate::program::exact::Rounding;
pub use ledger::{
    diff_posted, read_posted, PostedError, COLUMNS, summarize, write_ledger, write_summary, PostedLine, SummaryRow,
};

