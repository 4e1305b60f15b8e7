//! Commission adjustments (LANGUAGE.md §8): clawbacks, reinstatements and
//! bonuses, computed exactly and written as an auditable ledger.
//!
//! The input tables and their cells are in `table`, the ledger line and
//! how lines are built in `line`, one deal's replay and amounts in
//! `replay`, the engine and the collected run in `engine`, the streamed
//! run in `stream`, the ledger as finance reads it in `ledger`, a booked
//! ledger against it in `posted` and the per-rep summary in `summary`.

pub mod engine;
mod ledger;
mod line;
mod posted;
mod replay;
mod stream;
mod summary;
mod table;

pub use crate::program::exact::Rounding;
pub use engine::{run, Ledger};
pub use ledger::{write_ledger, COLUMNS};
pub use line::{LedgerLine, Status};
pub use posted::{diff_posted, read_posted, PostedError, PostedLine};
pub use stream::{stream, StreamOptions, StreamOutcome};
pub use summary::{summarize, write_summary, SummaryError, SummaryRow};
pub use table::Table;
