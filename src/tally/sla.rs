//! The aggregates of an `sla` run: per handoff block and goal, how many
//! instances are in each state, the attainment and the clock time to met;
//! the alerts fired per kind and recipient.

use rust_decimal::Decimal;
use serde::Serialize;

use super::{Counts, Spread, SummaryCsv};
use crate::sla::HandoffStatus;

/// The goal states, in the order a summary lists them.
pub const STATES: [&str; 6] = [
    "met", "met_late", "breached", "paused", "stopped", "running",
];

/// One goal of one handoff block.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GoalTally {
    /// Handoff block.
    pub block: String,
    /// Goal.
    pub goal: String,
    /// Instances per state.
    pub states: Counts,
    /// Clock seconds to met, of the goals met (in time or late).
    pub to_met: Spread,
}

impl GoalTally {
    /// met / (met + met_late + breached); `None` when none of those.
    pub fn attainment(&self) -> Option<Decimal> {
        let met = self.states.get("met");
        let done = met + self.states.get("met_late") + self.states.get("breached");
        (done > 0).then(|| Decimal::from(met) / Decimal::from(done))
    }
}

/// An `sla` run's aggregates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SlaTally {
    /// Instances evaluated, errors included.
    pub instances: u64,
    /// Error objects (instances and lines naming no handoff).
    pub errors: u64,
    /// Per block and goal, in first-seen order.
    pub goals: Vec<GoalTally>,
    /// Alerts fired, per `kind → recipient`.
    pub alerts: Counts,
}

impl SlaTally {
    /// Counts an instance's status.
    pub fn add(&mut self, s: &HandoffStatus) {
        self.instances += 1;
        for (name, g) in &s.goals {
            let t = match self
                .goals
                .iter()
                .position(|t| t.block == s.block && t.goal == *name)
            {
                Some(i) => self.goals.get_mut(i),
                None => {
                    let mut t = GoalTally {
                        block: s.block.clone(),
                        goal: name.clone(),
                        ..GoalTally::default()
                    };
                    for st in STATES {
                        t.states.add(st, 0);
                    }
                    self.goals.push(t);
                    self.goals.last_mut()
                }
            };
            if let Some(t) = t {
                t.states.add(g.state, 1);
                if g.state == "met" || g.state == "met_late" {
                    t.to_met.add(Decimal::from(g.elapsed_seconds));
                }
            }
        }
        for a in &s.alerts {
            self.alerts.add(&format!("{} → {}", a.kind, a.to), 1);
        }
    }

    /// Counts an error object.
    pub fn add_error(&mut self) {
        self.instances += 1;
        self.errors += 1;
    }

    /// The summary as CSV (`kind,name,count,min,median,max`): `instances`,
    /// `errors`; per goal (`block.goal`) a row per state, `attainment`
    /// (its fraction in `median`), `seconds_to_met` (min, median, max) and
    /// `p90_seconds_to_met` (in `median`); an `alert` row per kind and
    /// recipient.
    pub fn write_csv(&self, w: impl std::io::Write) -> std::io::Result<()> {
        let mut rows = SummaryCsv::new(w)?;
        rows.count("instances", "", self.instances)?;
        rows.count("errors", "", self.errors)?;
        for g in &self.goals {
            let name = format!("{}.{}", g.block, g.goal);
            for (st, n) in g.states.iter() {
                rows.count(st, &name, n)?;
            }
            let done = g.states.get("met") + g.states.get("met_late") + g.states.get("breached");
            rows.value(
                "attainment",
                &name,
                done,
                g.attainment().map(|a| a.round_dp(4)),
            )?;
            rows.spread("seconds_to_met", &name, &g.to_met)?;
            rows.value(
                "p90_seconds_to_met",
                &name,
                g.to_met.count(),
                g.to_met.percentile(90),
            )?;
        }
        for (k, n) in self.alerts.iter() {
            rows.count("alert", k, n)?;
        }
        rows.finish()
    }
}
