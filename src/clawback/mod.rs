//! Commission adjustments (LANGUAGE.md §8): clawbacks, reinstatements and
//! bonuses, computed exactly and written as an auditable ledger.
//!
//! The input tables and their cells are in `table`, the ledger line and
//! how lines are built in `line`, one deal's replay and amounts in
//! `replay`, the engine and the collected run in `engine`, the streamed
//! run in `stream`, the ledger as finance reads it in `ledger`, a booked
//! ledger read in `posted` and what is still to book against it in
//! `booked`, and the per-rep summary in `summary`.

mod booked;
pub mod engine;
mod keys;
mod ledger;
mod line;
mod posted;
mod replay;
mod stream;
mod summary;
mod table;

pub use crate::program::exact::Rounding;
pub use booked::diff_posted;
pub(crate) use booked::Booked;
pub use engine::{run, Ledger};
pub use ledger::{write_ledger, COLUMNS};
pub use line::{LedgerLine, Status};
pub use posted::{read_posted, PostedError, PostedLine, PostedLines};
pub(crate) use stream::{stream, BookedFile, PostedRun, StreamError};
pub use stream::{StreamOptions, StreamOutcome};
pub use summary::{summarize, write_summary, SummaryError, SummaryRow};
pub use table::Table;
