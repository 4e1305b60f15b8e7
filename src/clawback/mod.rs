//! Commission adjustments (LANGUAGE.md §8): clawbacks, reinstatements and
//! bonuses, computed exactly and written as an auditable ledger.
//!
//! The input tables and their cells are in `table`, the ledger line and
//! how lines are built in `line`, one deal's replay and amounts in
//! `replay`, the engine and the collected run in `engine`, the streamed
//! run in `stream`, and the ledger as finance reads it in `ledger`.

pub mod engine;
pub mod ledger;
mod line;
mod replay;
mod stream;
mod table;

pub use crate::program::exact::Rounding;
pub use engine::{run, Ledger};
pub use ledger::{
    diff_posted, read_posted, summarize, write_ledger, write_summary, PostedError, PostedLine,
    SummaryRow, COLUMNS,
};
pub use line::{LedgerLine, Status};
pub use stream::{stream, StreamOptions, StreamOutcome};
pub use table::Table;
