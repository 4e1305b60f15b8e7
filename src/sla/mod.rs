//! Handoffs and SLA clocks (LANGUAGE.md §7): business calendars
//! (`program::calendar`), goal timing ([`clock`]), and handoff instances built from
//! event streams ([`instance`]).

pub mod clock;
#[cfg(test)]
mod clock_tests;
pub mod instance;

pub use instance::{evaluate_instance, AlertOut, GoalOut, HandoffStatus, InstanceError, NoteOut};

use crate::program::Program;

/// The CSV columns of `sla`, before `error` and `line`: one column per goal
/// field of every block, goals in order of first declaration.
pub fn columns(p: &Program) -> Vec<String> {
    let mut cols: Vec<String> = ["handoff", "block", "policy", "version", "opened"]
        .map(String::from)
        .into();
    let mut goals: Vec<&str> = Vec::new();
    for h in &p.handoffs {
        for g in &h.goals {
            if !goals.contains(&g.name.as_str()) {
                goals.push(&g.name);
            }
        }
    }
    for g in goals {
        for f in [
            "state",
            "target_seconds",
            "elapsed_seconds",
            "due",
            "met_at",
        ] {
            cols.push(format!("goals.{g}.{f}"));
        }
    }
    cols.push("note.complete".to_string());
    cols
}
