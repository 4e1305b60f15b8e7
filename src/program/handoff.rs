//! Compiled calendars, SLA goals, alerts and handoff blocks, and the
//! events a handoff instance is made of (LANGUAGE.md §7).

use std::sync::Arc;

use crate::json::Json;

use super::calendar::Calendar;
use super::expr::Expr;
use crate::record::parse_timestamp;
use crate::value::clip;

/// The clock a goal counts on.
#[derive(Clone, Debug)]
pub enum GoalClock {
    /// Every real second counts.
    Real,
    /// Only open seconds of the calendar count.
    Business(Arc<Calendar>),
}

impl GoalClock {
    /// Clock seconds in the real interval `[from, to)`; 0 if `to <= from`.
    pub fn open_seconds(&self, from: i64, to: i64) -> i64 {
        match self {
            GoalClock::Real => to.saturating_sub(from).max(0),
            GoalClock::Business(calendar) => calendar.open_seconds(from, to),
        }
    }

    /// Earliest instant `t >= from` with `open_seconds(from, t) == amount`;
    /// `amount <= 0` gives `from`. `None` if never reached (a calendar with
    /// no open time, or an instant past the representable range).
    pub fn advance(&self, from: i64, amount: i64) -> Option<i64> {
        match self {
            GoalClock::Real => from.checked_add(amount.max(0)),
            GoalClock::Business(calendar) => calendar.advance(from, amount),
        }
    }
}

/// One SLA goal: a target amount of clock time and the clock it counts on.
#[derive(Clone, Debug)]
pub struct GoalSpec {
    /// Target clock time in seconds.
    pub target: i64,
    /// The clock the target is measured on.
    pub clock: GoalClock,
}

/// An alert attached to a goal; offsets are seconds on the goal's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertRule {
    /// `warn X before G breach`: fires when elapsed reaches target − offset.
    WarnBefore {
        /// Goal index.
        goal: usize,
        /// X, in clock seconds.
        offset: i64,
    },
    /// `escalate at G breach`: fires at the due instant.
    AtBreach {
        /// Goal index.
        goal: usize,
    },
    /// `escalate X after G breach`: fires when elapsed reaches target + X.
    AfterBreach {
        /// Goal index.
        goal: usize,
        /// X, in clock seconds.
        offset: i64,
    },
}

/// A goal's state at the evaluation instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoalState {
    /// Met at or before its due instant.
    Met,
    /// Met after its due instant.
    MetLate,
    /// Elapsed clock time strictly exceeds the target.
    Breached,
    /// The instance is paused (and the goal neither met nor breached).
    Paused,
    /// The instance was closed before the goal was met, not breached.
    Stopped,
    /// None of the above.
    Running,
}

impl GoalState {
    /// Every state, in the order LANGUAGE.md §7 tries them.
    pub const ALL: [GoalState; 6] = [
        GoalState::Met,
        GoalState::MetLate,
        GoalState::Breached,
        GoalState::Paused,
        GoalState::Stopped,
        GoalState::Running,
    ];

    /// The state as results name it.
    pub fn as_str(self) -> &'static str {
        match self {
            GoalState::Met => "met",
            GoalState::MetLate => "met_late",
            GoalState::Breached => "breached",
            GoalState::Paused => "paused",
            GoalState::Stopped => "stopped",
            GoalState::Running => "running",
        }
    }
}

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
    pub flags: Vec<(String, Expr)>,
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

/// What happened to a handoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `opened`, with the note and the block.
    Opened,
    /// `note_updated`
    NoteUpdated,
    /// `paused`
    Paused,
    /// `resumed`
    Resumed,
    /// `closed`
    Closed,
    /// Any other name: meets the goals whose `met by` names it.
    Other(String),
}

impl EventKind {
    /// The lifecycle events; any other name is a met-by event.
    pub const LIFECYCLE: [&'static str; 5] =
        ["opened", "note_updated", "paused", "resumed", "closed"];

    /// The kind an event name stands for.
    pub fn parse(name: &str) -> EventKind {
        match name {
            "opened" => EventKind::Opened,
            "note_updated" => EventKind::NoteUpdated,
            "paused" => EventKind::Paused,
            "resumed" => EventKind::Resumed,
            "closed" => EventKind::Closed,
            other => EventKind::Other(other.to_string()),
        }
    }

    /// The event's name.
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::Opened => "opened",
            EventKind::NoteUpdated => "note_updated",
            EventKind::Paused => "paused",
            EventKind::Resumed => "resumed",
            EventKind::Closed => "closed",
            EventKind::Other(name) => name,
        }
    }
}

/// One event of a handoff instance.
#[derive(Debug, Clone)]
pub struct Event {
    /// Input line (for error objects).
    pub line: usize,
    /// When, as Unix seconds.
    pub at: i64,
    /// What.
    pub kind: EventKind,
    /// The handoff block (needed on `opened`).
    pub block: Option<String>,
    /// The note, or the fields to merge into it.
    pub note: Option<Json>,
}

/// An event object that is not an event (CLI.md "Events for sla").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EventError {
    /// The event's input line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl Event {
    /// Reads an event object of CLI.md ("Events for sla") given as a
    /// `serde_json::Value` (its numbers by their text, as
    /// [`crate::Schema::from_json`] reads them). Returns the handoff id
    /// (when readable) and the event or what is wrong with it.
    pub fn from_json(
        line: usize,
        v: &serde_json::Value,
    ) -> (Option<String>, Result<Event, EventError>) {
        let (id, event) = Event::from_value(line, &Json::from_serde(v));
        (id, event.map_err(|message| EventError { line, message }))
    }

    /// Reads an event object of CLI.md ("Events for sla"). Returns the
    /// handoff id (when readable) and the event or what is wrong with it.
    pub(crate) fn from_value(line: usize, v: &Json) -> (Option<String>, Result<Event, String>) {
        let handoff = match v.get("handoff") {
            Some(Json::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(Json::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let Some(obj) = v.as_object() else {
            return (None, Err("expected a JSON object".into()));
        };
        if handoff.is_none() {
            return (None, Err("the event has no `handoff` id".into()));
        }
        let kind = match obj.get("type") {
            Some(Json::String(t)) => EventKind::parse(t),
            _ => return (handoff, Err("the event has no `type`".into())),
        };
        let at = match obj.get("at") {
            Some(Json::String(t)) => match parse_timestamp(t) {
                Some(at) => at,
                None => {
                    return (
                        handoff,
                        Err(format!(
                            "field `at`: {:?} is not a timestamp (RFC 3339)",
                            clip(t)
                        )),
                    )
                }
            },
            Some(other) => {
                return (
                    handoff,
                    Err(format!(
                        "field `at`: {} is not a timestamp (RFC 3339)",
                        clip(&other.to_string())
                    )),
                )
            }
            None => return (handoff, Err("the event has no `at` timestamp".into())),
        };
        let block = match obj.get("block") {
            Some(Json::String(b)) => Some(b.clone()),
            _ => None,
        };
        let note = obj.get("note").filter(|n| !n.is_null()).cloned();
        (
            handoff,
            Ok(Event {
                line,
                at,
                kind,
                block,
                note,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word lists and the enums agree, name for name.
    #[test]
    fn every_name_parses_back() {
        for name in EventKind::LIFECYCLE {
            let kind = EventKind::parse(name);
            assert!(!matches!(kind, EventKind::Other(_)), "{name}");
            assert_eq!(kind.as_str(), name);
        }
        assert_eq!(
            EventKind::parse("replied"),
            EventKind::Other("replied".into())
        );
        let names: Vec<&str> = GoalState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            ["met", "met_late", "breached", "paused", "stopped", "running"]
        );
    }
}
