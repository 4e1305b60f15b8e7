//! One handoff instance: its events validated and replayed into goal
//! states, alerts, note completeness and flags (LANGUAGE.md §7, CLI.md
//! "sla").

use crate::json::Json;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::clock::{goal_timing, Mark};
use crate::program::eval::Env;
use crate::program::handoff::{Event, EventKind, HandoffDef};
use crate::program::Program;
use crate::record::{convert_json, FieldDef, Record, Schema};
use crate::value::Ordered;
use crate::value::{clip, format_timestamp, Value};

/// Why an instance could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{message}")]
pub struct InstanceError {
    /// The offending input line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One goal's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoalOut {
    /// `met`, `met_late`, `breached`, `paused`, `stopped`, `running`.
    pub state: &'static str,
    /// Target in clock seconds.
    pub target_seconds: i64,
    /// Clock seconds counted so far.
    pub elapsed_seconds: i64,
    /// Due instant (`null` while paused and not breached).
    #[serde(serialize_with = "ts_opt")]
    pub due: Option<i64>,
    /// When it was met.
    #[serde(serialize_with = "ts_opt")]
    pub met_at: Option<i64>,
}

/// An alert that has fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertOut {
    /// `warn` or `escalate`.
    pub kind: &'static str,
    /// The goal, or `null` for the note alert.
    pub goal: Option<String>,
    /// Recipient.
    pub to: String,
    /// Firing instant.
    #[serde(serialize_with = "ts")]
    pub at: i64,
}

/// The note's completeness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteOut {
    /// Every required field present and not blank.
    pub complete: bool,
    /// Missing or blank required fields, in `requires` order.
    pub missing: Vec<String>,
}

/// The status of one handoff instance at an instant (CLI.md "sla").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffStatus {
    /// Instance id.
    pub handoff: String,
    /// Handoff block.
    pub block: String,
    /// Policy name.
    pub policy: String,
    /// Policy version.
    pub version: i64,
    /// When it was opened.
    pub opened: i64,
    /// Goals in declaration order.
    pub goals: Vec<(String, GoalOut)>,
    /// Fired alerts in firing order (ties in declaration order).
    pub alerts: Vec<AlertOut>,
    /// Note completeness.
    pub note: NoteOut,
    /// Flags whose condition is true, in declaration order.
    pub flags: Vec<String>,
}

impl Serialize for HandoffStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("handoff", &self.handoff)?;
        m.serialize_entry("block", &self.block)?;
        m.serialize_entry("policy", &self.policy)?;
        m.serialize_entry("version", &self.version)?;
        m.serialize_entry("opened", &format_timestamp(self.opened))?;
        m.serialize_entry("goals", &Ordered(&self.goals))?;
        m.serialize_entry("alerts", &self.alerts)?;
        m.serialize_entry("note", &self.note)?;
        m.serialize_entry("flags", &self.flags)?;
        m.end()
    }
}

fn ts<S: Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_timestamp(*t))
}

fn ts_opt<S: Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_timestamp(*t)),
        None => s.serialize_none(),
    }
}

/// 9999-12-31T23:59:59Z, the last instant an RFC 3339 timestamp writes.
const LAST_INSTANT: i64 = 253_402_300_799;

/// Evaluates one handoff instance at instant `at`: only events at or before
/// `at` count; events are taken in time order (ties keep input order).
///
/// Errors (for this instance only): an event before `opened`, a second
/// `opened`, an unknown handoff block, an unknown event name, a note that
/// does not convert, or no `opened` by `at`.
pub fn evaluate_instance(
    p: &Program,
    handoff: &str,
    events: &[Event],
    at: i64,
) -> Result<HandoffStatus, InstanceError> {
    let mut evs: Vec<&Event> = events.iter().filter(|e| e.at <= at).collect();
    evs.sort_by_key(|e| e.at);
    let Some(first) = evs.first() else {
        let line = events.first().map_or(0, |e| e.line);
        return Err(InstanceError {
            line,
            message: format!(
                "handoff {} is not opened by {}",
                clip(handoff),
                format_timestamp(at)
            ),
        });
    };
    if first.kind != EventKind::Opened {
        return Err(InstanceError {
            line: first.line,
            message: format!(
                "event `{}` for handoff {} comes before `opened`",
                kind_name(&first.kind),
                clip(handoff)
            ),
        });
    }
    let Some(block_name) = &first.block else {
        return Err(InstanceError {
            line: first.line,
            message: format!("`opened` for handoff {} names no `block`", clip(handoff)),
        });
    };
    let Some(def) = p.handoffs.iter().find(|h| h.name == *block_name) else {
        let known: Vec<&str> = p.handoffs.iter().map(|h| h.name.as_str()).collect();
        return Err(InstanceError {
            line: first.line,
            message: format!(
                "unknown handoff block `{}` for handoff {} (policy `{}` has {})",
                clip(block_name),
                clip(handoff),
                p.name,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
        });
    };
    let schema = p.records.get(def.note).ok_or_else(|| InstanceError {
        line: first.line,
        message: "internal error: note record".into(),
    })?;
    let opened = first.at;
    let mut note = match &first.note {
        Some(n) => schema.json_record(n).map_err(|e| InstanceError {
            line: first.line,
            message: format!("note of handoff {handoff}: {e}"),
        })?,
        None => schema.record(vec![None; schema.fields.len()]),
    };
    let incomplete_at_open = !missing(def, schema, &note).is_empty();
    let mut marks: Vec<(i64, Mark)> = vec![(opened, Mark::Opened)];
    for e in evs.iter().skip(1) {
        match &e.kind {
            EventKind::Opened => {
                return Err(InstanceError {
                    line: e.line,
                    message: format!("handoff {handoff} is opened a second time"),
                });
            }
            EventKind::NoteUpdated => {
                if let Some(update) = &e.note {
                    merge(schema, &mut note, update).map_err(|m| InstanceError {
                        line: e.line,
                        message: format!("note update of handoff {handoff}: {m}"),
                    })?;
                }
            }
            EventKind::Paused => marks.push((e.at, Mark::Paused)),
            EventKind::Resumed => marks.push((e.at, Mark::Resumed)),
            EventKind::Closed => {
                marks.push((e.at, Mark::Closed));
                // Events after `closed` are ignored.
                break;
            }
            EventKind::Other(name) => {
                let goals = def.goals_met_by(name);
                if goals.is_empty() {
                    return Err(InstanceError {
                        line: e.line,
                        message: format!("unknown event `{name}` for handoff {handoff} (block {} has no goal met by it)", def.name),
                    });
                }
                marks.extend(goals.into_iter().map(|g| (e.at, Mark::Met(g))));
            }
        }
    }
    let specs: Vec<_> = def.goals.iter().map(|g| g.spec.clone()).collect();
    let rules: Vec<_> = def.alerts.iter().filter_map(|a| a.rule).collect();
    let (statuses, fired) = goal_timing(&specs, &rules, &marks, at);
    // Every instant is printed as an RFC 3339 timestamp; one past the last
    // second of year 9999 has no such form (a target of centuries on a
    // calendar open an hour a year), so the instance says so instead.
    for (g, s) in def.goals.iter().zip(&statuses) {
        if s.due.is_some_and(|d| d > LAST_INSTANT) {
            return Err(InstanceError {
                line: first.line,
                message: format!(
                    "goal `{}` of handoff {handoff} falls due after 9999-12-31T23:59:59Z, beyond what a timestamp can say",
                    g.name
                ),
            });
        }
    }
    let goals = def
        .goals
        .iter()
        .zip(&statuses)
        .map(|(g, s)| {
            (
                g.name.clone(),
                GoalOut {
                    state: s.state.as_str(),
                    target_seconds: g.spec.target,
                    elapsed_seconds: s.elapsed,
                    due: s.due,
                    met_at: s.met_at,
                },
            )
        })
        .collect();
    let mut alerts: Vec<(i64, usize, AlertOut)> = Vec::new();
    let mut fired = fired.into_iter();
    for (i, a) in def.alerts.iter().enumerate() {
        let instant = match a.rule {
            Some(_) => fired.next().flatten(),
            None => incomplete_at_open.then_some(opened),
        };
        if let Some(t) = instant {
            let goal = a
                .goal
                .and_then(|g| def.goals.get(g))
                .map(|g| g.name.clone());
            alerts.push((
                t,
                i,
                AlertOut {
                    kind: a.kind,
                    goal,
                    to: a.to.clone(),
                    at: t,
                },
            ));
        }
    }
    alerts.sort_by_key(|(t, i, _)| (*t, *i));
    let missing = missing(def, schema, &note);
    let today = chrono::DateTime::from_timestamp(at, 0)
        .map(|d| d.with_timezone(&p.timezone).date_naive())
        .unwrap_or_default();
    let computed = p.lets.computed_on(today);
    let lets = computed.as_deref().unwrap_or(p.lets.fixed());
    let env = Env {
        fields: &note.values,
        other: &[],
        locals: &[],
        today,
        lets,
    };
    let mut flags = Vec::new();
    // A flag that fails names the line of the last note the flag saw.
    let last_note_line = evs
        .iter()
        .rev()
        .find(|e| e.note.is_some())
        .map_or(first.line, |e| e.line);
    for (name, cond) in &def.flags {
        match cond.eval_bool(&env) {
            Ok(Some(true)) => flags.push(name.clone()),
            Ok(_) => {}
            Err(err) => {
                return Err(InstanceError {
                    line: last_note_line,
                    message: format!("flag `{name}` of handoff {handoff}: {err}"),
                })
            }
        }
    }
    Ok(HandoffStatus {
        handoff: handoff.to_string(),
        block: def.name.clone(),
        policy: p.name.clone(),
        version: p.version,
        opened,
        goals,
        alerts: alerts.into_iter().map(|(_, _, a)| a).collect(),
        note: NoteOut {
            complete: missing.is_empty(),
            missing,
        },
        flags,
    })
}

fn kind_name(k: &EventKind) -> &str {
    match k {
        EventKind::Opened => "opened",
        EventKind::NoteUpdated => "note_updated",
        EventKind::Paused => "paused",
        EventKind::Resumed => "resumed",
        EventKind::Closed => "closed",
        EventKind::Other(n) => n,
    }
}

/// Required fields that are absent or blank (whitespace only).
fn missing(def: &HandoffDef, schema: &Schema, note: &Record) -> Vec<String> {
    def.requires
        .iter()
        .filter(|s| match note.values.get(usize::from(**s)) {
            Some(Some(Value::Text(t))) => t.trim().is_empty(),
            Some(Some(_)) => false,
            _ => true,
        })
        .filter_map(|s| schema.field(*s).map(|f| f.name.clone()))
        .collect()
}

/// Merges a `note_updated` object: each declared field converts by its
/// type; `null` makes it absent; undeclared fields are ignored.
fn merge(schema: &Schema, note: &mut Record, update: &Json) -> Result<(), String> {
    let Json::Object(map) = update else {
        return Err("expected a JSON object".into());
    };
    for (k, v) in map {
        let Some(slot) = schema.slot(k) else { continue };
        let Some(f): Option<&FieldDef> = schema.field(slot) else {
            continue;
        };
        let value = if v.is_null() {
            None
        } else {
            Some(
                convert_json(f.ty, v, schema.default_currency)
                    .map_err(|expected| format!("field `{k}`: {v} is not {expected}"))?,
            )
        };
        if let Some(s) = note.values.get_mut(usize::from(slot)) {
            *s = value;
        }
    }
    Ok(())
}
