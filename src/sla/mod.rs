//! Handoffs and SLA clocks (LANGUAGE.md §7): business calendars
//! ([`calendar`]), goal timing ([`clock`]), and handoff instances built from
//! event streams ([`instance`]).

pub mod calendar;
pub mod clock;
pub mod instance;

use std::sync::Arc;

pub use calendar::Calendar;
pub use clock::{evaluate, AlertRule, GoalClock, GoalSpec, GoalState, GoalStatus, Mark};
pub use instance::{evaluate_instance, Event, EventKind, HandoffStatus, InstanceError};

use crate::ir;

/// A compiled `calendar` block.
#[derive(Debug, Clone)]
pub struct CalendarDef {
    /// Its name.
    pub name: String,
    /// The calendar.
    pub calendar: Arc<Calendar>,
}

/// A compiled SLA goal.
#[derive(Debug, Clone)]
pub struct GoalDef {
    /// Goal name.
    pub name: String,
    /// Target and clock.
    pub spec: GoalSpec,
    /// Event names that meet it.
    pub met_by: Vec<String>,
}

/// Who an alert goes to, and on what.
#[derive(Debug, Clone)]
pub struct AlertDef {
    /// `warn` or `escalate`.
    pub kind: &'static str,
    /// The goal (None: the note alert).
    pub goal: Option<usize>,
    /// Recipient.
    pub to: String,
    /// The timing rule; `None` for `escalate when note incomplete`.
    pub rule: Option<AlertRule>,
}

/// A compiled `handoff` block.
#[derive(Debug, Clone)]
pub struct HandoffDef {
    /// Block name.
    pub name: String,
    /// Owning team.
    pub owner: Option<String>,
    /// The note's record type (index into the policy's records).
    pub note: usize,
    /// Required note fields, by slot, in `requires` order.
    pub requires: Vec<u16>,
    /// Goals in declaration order.
    pub goals: Vec<GoalDef>,
    /// Alerts in declaration order.
    pub alerts: Vec<AlertDef>,
    /// Flags in declaration order.
    pub flags: Vec<(String, ir::Expr)>,
}

impl HandoffDef {
    /// The goal indices an event name meets.
    pub fn goals_met_by(&self, event: &str) -> Vec<usize> {
        self.goals
            .iter()
            .enumerate()
            .filter(|(_, g)| g.met_by.iter().any(|m| m == event))
            .map(|(i, _)| i)
            .collect()
    }
}
