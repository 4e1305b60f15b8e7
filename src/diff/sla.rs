//! `baton diff sla`: two policies' SLA clocks over the same events. Per
//! goal, how many instances move from one state to another and how far
//! due instants shift; alerts added and removed per kind and recipient.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::io::Reader;
use crate::policy::run::{group_events, Entry};
use crate::policy::{Policy, RunError};
use crate::sla::HandoffStatus;
use crate::tally::{Counts, Spread};

/// One goal's changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GoalDiff {
    /// Handoff block.
    pub block: String,
    /// Goal.
    pub goal: String,
    /// Instances per (old state, new state); `absent` where a policy has
    /// no such goal, `error` where it cannot evaluate the instance.
    pub transitions: Vec<(String, String, u64)>,
    /// New due − old due, in seconds, of every instance whose due instant
    /// moved (both known).
    pub due_shift_seconds: Spread,
}

/// What a change of handoff policy does.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SlaDiff {
    /// The old policy: name and version.
    pub from: String,
    /// The new policy.
    pub to: String,
    /// Handoff instances (and lines naming none).
    pub instances: u64,
    /// Instances whose status differs in anything.
    pub changed: u64,
    /// Per block and goal, in first-seen order.
    pub goals: Vec<GoalDiff>,
    /// Alerts that fire only under the new policy, per `kind → recipient`.
    pub alerts_added: Counts,
    /// Alerts that fire only under the old policy, likewise.
    pub alerts_removed: Counts,
    /// Error objects under the old and the new policy.
    pub errors: (u64, u64),
}

const ABSENT: &str = "absent";

impl SlaDiff {
    fn goal(&mut self, block: &str, goal: &str) -> Option<&mut GoalDiff> {
        let i = match self
            .goals
            .iter()
            .position(|g| g.block == block && g.goal == goal)
        {
            Some(i) => i,
            None => {
                self.goals.push(GoalDiff {
                    block: block.to_string(),
                    goal: goal.to_string(),
                    ..GoalDiff::default()
                });
                self.goals.len() - 1
            }
        };
        self.goals.get_mut(i)
    }

    fn add(&mut self, old: Option<&HandoffStatus>, new: Option<&HandoffStatus>) {
        self.instances += 1;
        self.errors.0 += u64::from(old.is_none());
        self.errors.1 += u64::from(new.is_none());
        self.changed += u64::from(old != new);
        let block = old.or(new).map(|s| s.block.clone()).unwrap_or_default();
        let mut names: Vec<&String> = Vec::new();
        for s in [new, old].into_iter().flatten() {
            for (n, _) in &s.goals {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        for name in names {
            let state = |s: Option<&HandoffStatus>| match s {
                None => (crate::tally::ERROR, None),
                Some(s) => s
                    .goals
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or((ABSENT, None), |(_, g)| (g.state, g.due)),
            };
            let ((so, dueo), (sn, duen)) = (state(old), state(new));
            if let Some(g) = self.goal(&block, name) {
                match g.transitions.iter_mut().find(|t| t.0 == so && t.1 == sn) {
                    Some(t) => t.2 += 1,
                    None => g.transitions.push((so.to_string(), sn.to_string(), 1)),
                }
                if let (Some(a), Some(b)) = (dueo, duen) {
                    if a != b {
                        g.due_shift_seconds.add(Decimal::from(b) - Decimal::from(a));
                    }
                }
            }
        }
        let alerts = |s: Option<&HandoffStatus>| -> Vec<(String, String)> {
            s.map(|s| {
                s.alerts
                    .iter()
                    .map(|a| {
                        (
                            format!("{} → {}", a.kind, a.to),
                            format!("{}|{}", a.goal.as_deref().unwrap_or(""), a.at),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
        };
        let (mut ao, an) = (alerts(old), alerts(new));
        for a in an {
            match ao.iter().position(|x| *x == a) {
                Some(i) => {
                    ao.swap_remove(i);
                }
                None => self.alerts_added.add(&a.0, 1),
            }
        }
        for a in ao {
            self.alerts_removed.add(&a.0, 1);
        }
    }
}

/// Evaluates every handoff instance of `events` at `at` under `old` and
/// `new`, and sums what differs.
pub fn sla(
    old: &Policy,
    new: &Policy,
    mut events: Reader,
    at: DateTime<Utc>,
) -> Result<SlaDiff, RunError> {
    let mut d = SlaDiff {
        from: format!("{} v{}", old.name(), old.version()),
        to: format!("{} v{}", new.name(), new.version()),
        ..SlaDiff::default()
    };
    for entry in group_events(&mut events)? {
        match entry {
            Entry::Instance(id, evs, None) => {
                let (a, b) = (old.sla(&id, &evs, at).ok(), new.sla(&id, &evs, at).ok());
                d.add(a.as_ref(), b.as_ref());
            }
            _ => d.add(None, None),
        }
    }
    for g in &mut d.goals {
        g.transitions.sort();
    }
    Ok(d)
}

/// Writes the diff as a person reads it.
pub fn write_sla_text(d: &SlaDiff, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(
        w,
        "{} of {} handoffs change ({} → {}); error objects {} → {}.",
        d.changed, d.instances, d.from, d.to, d.errors.0, d.errors.1
    )?;
    for g in &d.goals {
        writeln!(w)?;
        writeln!(w, "  {}.{}", g.block, g.goal)?;
        let mut rows = vec![vec!["old".to_string(), "new".into(), "instances".into()]];
        for (a, b, n) in &g.transitions {
            rows.push(vec![a.clone(), b.clone(), n.to_string()]);
        }
        super::report::table(w, &rows)?;
        if let Some((min, med, max)) = g.due_shift_seconds.stats() {
            writeln!(
                w,
                "  due moved for {} instances: min {min} s, median {med} s, max {max} s",
                g.due_shift_seconds.count()
            )?;
        }
    }
    if d.alerts_added.iter().next().is_some() || d.alerts_removed.iter().next().is_some() {
        writeln!(w)?;
        let mut rows = vec![vec!["alert".to_string(), "added".into(), "removed".into()]];
        let mut names: Vec<&str> = d.alerts_added.iter().map(|(k, _)| k).collect();
        for (k, _) in d.alerts_removed.iter() {
            if !names.contains(&k) {
                names.push(k);
            }
        }
        for k in names {
            rows.push(vec![
                k.to_string(),
                format!("+{}", d.alerts_added.get(k)),
                format!("-{}", d.alerts_removed.get(k)),
            ]);
        }
        super::report::table(w, &rows)?;
    }
    Ok(())
}
