//! SLA goal timing: elapsed clock time, due instants, goal states and alert
//! instants of one handoff instance (LANGUAGE.md §7).
//!
//! An instance's marks are replayed once into *running spans* (real
//! intervals during which clocks run). Every goal then sees the same spans,
//! cut at the goal's *stop* instant (its first met-by mark, or `closed`);
//! from that instant on the goal is projected as running without pause,
//! which is how the spec defines the due instant of a met or closed goal.
//! Elapsed time, the due instant and every alert instant are read off that
//! one projected timeline with the goal's clock.

use std::borrow::Cow;

use crate::program::handoff::{AlertRule, GoalClock, GoalSpec, GoalState};

/// A lifecycle or met-by event of a handoff instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// `opened`: every goal clock starts.
    Opened,
    /// `paused`: every running clock stops.
    Paused,
    /// `resumed`: the clocks run again.
    Resumed,
    /// `closed`: everything stops; later marks are ignored.
    Closed,
    /// A met-by event for the goal with this index; the first one counts.
    Met(usize),
}

/// Status of one goal at the evaluation instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoalStatus {
    /// The goal's state.
    pub state: GoalState,
    /// Clock seconds counted from `opened` to the earliest of the evaluation
    /// instant, the met instant and the closing instant, pauses excluded.
    pub elapsed: i64,
    /// Due instant; `None` while paused (state [`GoalState::Paused`]), or if
    /// the clock can never reach the target (a calendar without open time).
    pub due: Option<i64>,
    /// Instant of the first met-by mark that counted.
    pub met_at: Option<i64>,
}

/// The instance after replaying its marks.
struct Replay {
    opened: i64,
    /// Finished running spans `[start, end)`, in order.
    spans: Vec<(i64, i64)>,
    /// Start of the span still running after the last mark, if any.
    running_since: Option<i64>,
    closed_at: Option<i64>,
    met_at: Vec<Option<i64>>,
}

impl Replay {
    /// Replays `marks` (already in time order) up to `at`. `None` if the
    /// instance was never opened: the caller's validation should prevent it.
    fn new(goal_count: usize, marks: &[(i64, Mark)], at: i64) -> Option<Replay> {
        let mut iter = marks.iter().filter(|&&(t, _)| t <= at);
        // Marks before `opened` cannot be placed on any clock: skip them.
        let opened = iter.find(|(_, mark)| *mark == Mark::Opened)?.0;
        let mut replay = Replay {
            opened,
            spans: Vec::new(),
            running_since: Some(opened),
            closed_at: None,
            met_at: vec![None; goal_count],
        };
        for &(t, mark) in iter {
            match mark {
                Mark::Opened => {}
                Mark::Paused => {
                    if let Some(start) = replay.running_since.take() {
                        replay.spans.push((start, t));
                    }
                }
                Mark::Resumed => {
                    replay.running_since.get_or_insert(t);
                }
                Mark::Closed => {
                    if let Some(start) = replay.running_since.take() {
                        replay.spans.push((start, t));
                    }
                    replay.closed_at = Some(t);
                    break;
                }
                Mark::Met(goal) => {
                    if let Some(slot) = replay.met_at.get_mut(goal) {
                        slot.get_or_insert(t);
                    }
                }
            }
        }
        Some(replay)
    }

    /// The instant the goal's clock stops for good, if it has.
    fn stop(&self, goal: usize) -> Option<i64> {
        let met = self.met_at.get(goal).copied().flatten();
        match (met, self.closed_at) {
            (Some(m), Some(c)) => Some(m.min(c)),
            (m, c) => m.or(c),
        }
    }

    /// The goal's projected timeline: the running spans cut at `stop`, then
    /// (if stopped) one endless span from `stop`, as if running on without
    /// pause. `None` as an end means "runs forever".
    fn timeline(&self, stop: Option<i64>) -> Vec<(i64, Option<i64>)> {
        let recorded = self
            .spans
            .iter()
            .map(|&(s, e)| (s, Some(e)))
            .chain(self.running_since.map(|s| (s, None)));
        let Some(stop) = stop else {
            return recorded.collect();
        };
        let mut out = Vec::with_capacity(self.spans.len() + 1);
        for (start, end) in recorded {
            if start >= stop {
                break;
            }
            match end {
                Some(end) if end <= stop => out.push((start, Some(end))),
                // Running at the stop instant: the projection continues it.
                _ => {
                    out.push((start, None));
                    return out;
                }
            }
        }
        out.push((stop, None));
        out
    }
}

/// Clock seconds of `timeline` before `until`.
fn elapsed_on(clock: &GoalClock, timeline: &[(i64, Option<i64>)], until: i64) -> i64 {
    timeline
        .iter()
        .take_while(|&&(start, _)| start < until)
        .map(|&(start, end)| clock.open_seconds(start, end.map_or(until, |e| e.min(until))))
        .fold(0_i64, i64::saturating_add)
}

/// Earliest instant at which `timeline` holds `threshold` clock seconds;
/// `None` if it never does (paused for good, or a clock that never runs).
fn instant_at(
    clock: &GoalClock,
    timeline: &[(i64, Option<i64>)],
    opened: i64,
    threshold: i64,
) -> Option<i64> {
    if threshold <= 0 {
        return Some(opened);
    }
    let mut counted = 0_i64;
    for &(start, end) in timeline {
        let left = threshold - counted;
        let Some(end) = end else {
            return clock.advance(start, left);
        };
        let here = clock.open_seconds(start, end);
        if here >= left {
            return clock.advance(start, left);
        }
        counted += here;
    }
    None
}

/// Evaluates an instance's goals and alerts at instant `at`.
///
/// `marks` should be validated, in time order (ties in input order), start
/// with [`Mark::Opened`] and hold only marks with time `<= at`; inputs that
/// break this are tolerated: unsorted marks are stably sorted, later marks
/// are ignored, marks before the first `Opened` are skipped, and an instance
/// never opened reports every goal `Running` with nothing elapsed, no due
/// instant and no alert.
///
/// Returns one [`GoalStatus`] per goal and, per alert rule, its firing
/// instant if it has fired by `at`. An alert fires unless its goal was met at
/// or before the firing instant or the instance was closed strictly before
/// it: closing at the very instant lets it fire, since the spec excludes
/// only alerts the instance was "closed before". Rules naming a goal index
/// out of range never fire.
pub fn goal_timing(
    goals: &[GoalSpec],
    alerts: &[AlertRule],
    marks: &[(i64, Mark)],
    at: i64,
) -> (Vec<GoalStatus>, Vec<Option<i64>>) {
    let marks: Cow<'_, [(i64, Mark)]> = if marks.windows(2).all(|w| match w {
        [a, b] => a.0 <= b.0,
        _ => true,
    }) {
        Cow::Borrowed(marks)
    } else {
        let mut sorted = marks.to_vec();
        sorted.sort_by_key(|&(t, _)| t);
        Cow::Owned(sorted)
    };
    let Some(replay) = Replay::new(goals.len(), &marks, at) else {
        let idle = GoalStatus {
            state: GoalState::Running,
            elapsed: 0,
            due: None,
            met_at: None,
        };
        return (vec![idle; goals.len()], vec![None; alerts.len()]);
    };
    let timelines: Vec<_> = (0..goals.len())
        .map(|g| replay.timeline(replay.stop(g)))
        .collect();
    let statuses = goals
        .iter()
        .zip(&timelines)
        .enumerate()
        .map(|(g, (goal, timeline))| goal_status(goal, &replay, g, timeline, at))
        .collect();
    let fired = alerts
        .iter()
        .map(|rule| {
            let target_of = |goal: usize| goals.get(goal).map_or(0, |spec| spec.target);
            let (g, threshold) = match *rule {
                AlertRule::WarnBefore { goal, offset } => {
                    (goal, target_of(goal).saturating_sub(offset))
                }
                AlertRule::AtBreach { goal } => (goal, target_of(goal)),
                AlertRule::AfterBreach { goal, offset } => {
                    (goal, target_of(goal).saturating_add(offset))
                }
            };
            let goal = goals.get(g)?;
            let timeline = timelines.get(g)?;
            let when = instant_at(&goal.clock, timeline, replay.opened, threshold)?;
            let met_first = replay
                .met_at
                .get(g)
                .copied()
                .flatten()
                .is_some_and(|m| m <= when);
            let closed_first = replay.closed_at.is_some_and(|c| c < when);
            (when <= at && !met_first && !closed_first).then_some(when)
        })
        .collect();
    (statuses, fired)
}

fn goal_status(
    goal: &GoalSpec,
    replay: &Replay,
    g: usize,
    timeline: &[(i64, Option<i64>)],
    at: i64,
) -> GoalStatus {
    let met_at = replay.met_at.get(g).copied().flatten();
    let until = replay.stop(g).map_or(at, |stop| stop.min(at));
    let elapsed = elapsed_on(&goal.clock, timeline, until);
    let due = instant_at(&goal.clock, timeline, replay.opened, goal.target);
    let paused = replay.closed_at.is_none() && replay.running_since.is_none();
    let state = if let Some(met) = met_at {
        // A due instant that never comes (no open time) cannot be missed.
        if due.map_or(true, |d| met <= d) {
            GoalState::Met
        } else {
            GoalState::MetLate
        }
    } else if elapsed > goal.target {
        GoalState::Breached
    } else if paused {
        GoalState::Paused
    } else if replay.closed_at.is_some() {
        GoalState::Stopped
    } else {
        GoalState::Running
    };
    GoalStatus {
        state,
        elapsed,
        due: if state == GoalState::Paused {
            None
        } else {
            due
        },
        met_at,
    }
}
