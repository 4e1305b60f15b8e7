//! Compiled `test` blocks (LANGUAGE.md §9, docs/TESTS.md): the given
//! record, handoff instance or deal, and the expectations.

use chrono::NaiveDate;

use super::expr::Expr;
use super::handoff::Event;
use crate::json::Json;
use crate::record::Record;
use crate::value::{Type, Value};

/// A compiled test block.
#[derive(Debug, Clone)]
pub struct TestDef {
    /// Its name.
    pub name: String,
    /// Where it is.
    pub line: usize,
    /// Column of its name.
    pub column: usize,
    /// What the test runs.
    pub subject: Subject,
    /// The evaluation date: `at DATE` for record and commission tests (the
    /// commission's as-of date); for a handoff test, the date of its `at`
    /// instant in the policy's time zone.
    pub today: NaiveDate,
    /// Expectations in order.
    pub expects: Vec<ExpectDef>,
}

/// What a test runs.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A record decided by `qualify` and/or scored by `health`.
    Record {
        /// The given record's type (index into the policy's records).
        record_type: usize,
        /// The given record.
        record: Record,
    },
    /// A handoff instance evaluated at an instant.
    Handoff(Box<HandoffCase>),
    /// A deal and its events run through the `commission` block.
    Commission(Box<CommissionCase>),
}

/// A handoff instance to evaluate.
#[derive(Debug, Clone)]
pub struct HandoffCase {
    /// The instance id used in messages (the note's key, or the test name).
    pub instance: String,
    /// The events in the order written; `opened` carries the given note.
    /// Each event's `line` is the line of its `event` statement.
    pub events: Vec<Event>,
    /// The evaluation instant, Unix seconds.
    pub at: i64,
    /// The block's goals, in declaration order: conditions read
    /// [`GOAL_VALUES`] of goal `i` from slots `i * GOAL_VALUES.len() …`.
    pub goals: Vec<String>,
}

/// The values a condition in a handoff test reads as `GOAL.name`, in slot
/// order, with their types.
pub const GOAL_VALUES: [(&str, Type); 7] = [
    ("state", Type::Text),
    ("due", Type::Timestamp),
    ("elapsed", Type::Duration),
    ("met_at", Type::Timestamp),
    ("target", Type::Duration),
    ("warnings", Type::Int),
    ("escalations", Type::Int),
];

/// A deal and its events to run through the commission block.
#[derive(Debug, Clone)]
pub struct CommissionCase {
    /// The deal row, as a JSON object (CLI.md columns).
    pub deal: Json,
    /// The event rows in the order written.
    pub events: Vec<Json>,
    /// The line of each event's `event` statement.
    pub event_lines: Vec<usize>,
}

/// One expectation and where it is.
#[derive(Debug, Clone)]
pub struct ExpectDef {
    /// What is expected.
    pub kind: Expect,
    /// Line.
    pub line: usize,
    /// Column.
    pub column: usize,
}

/// What a test expects.
#[derive(Debug, Clone)]
pub enum Expect {
    /// The decided stage (`None`: no stage).
    Stage(Option<String>),
    /// The health band (`None`: no band).
    Band(Option<String>),
    /// The record, handoff instance or deal is an error, optionally
    /// mentioning a text.
    Error(Option<String>),
    /// A condition that must be true; its source text.
    Holds(Expr, String),
    /// A goal's state at the instant.
    Goal {
        /// Goal name.
        goal: String,
        /// `met`, `met_late`, `breached`, `paused`, `stopped`, `running`.
        state: String,
    },
    /// An alert that has fired by the instant.
    Alert {
        /// `warn` or `escalate`.
        kind: String,
        /// Its goal; `None` for the note alert.
        goal: Option<String>,
        /// Recipient.
        to: String,
    },
    /// A flag raised (or not) on the current note.
    Flag {
        /// Flag name.
        name: String,
        /// `expect flag` (true) or `expect no flag` (false).
        raised: bool,
    },
    /// Exactly these required note fields are missing (empty: complete).
    Missing(Vec<String>),
    /// A ledger line.
    Line(Box<LineExpect>),
}

/// `expect line "EVENT" { … }`.
#[derive(Debug, Clone)]
pub struct LineExpect {
    /// The event id (`""`: the deal's own lines, e.g. its retention bonus).
    pub event: String,
    /// `kind`, which also picks among lines of one event id.
    pub kind: Option<String>,
    /// `count`: how many lines the event id (and kind) has.
    pub count: Option<usize>,
    /// The other columns expected, by ledger column name.
    pub checks: Vec<(String, Value)>,
}
