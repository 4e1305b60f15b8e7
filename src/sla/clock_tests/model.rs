// Model-based property tests: a naive reference that steps real time minute
// by minute, converting each minute to local time with chrono-tz, must
// agree with `Calendar::open_seconds`, `Calendar::advance` and with
// `goal_timing`'s elapsed, due, state and alert instants, on random calendars
// (zones with and without DST), random closed dates, random minute-aligned
// instants within fifteen days and random pause / met / close patterns.

use std::sync::Arc;

use super::common::ts;
use crate::program::calendar::Calendar;
use crate::program::handoff::{AlertRule, GoalClock, GoalSpec, GoalState};
use crate::sla::clock::{goal_timing, GoalStatus, Mark};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike};
use chrono_tz::Tz;
use proptest::prelude::*;

const MIN: i64 = 60;
/// Minutes in the reference window (fifteen days).
const WINDOW: usize = 15 * 24 * 60;

const ZONES: [Tz; 6] = [
    Tz::UTC,
    Tz::America__New_York,
    Tz::Europe__London,
    Tz::Australia__Sydney,
    Tz::Asia__Tokyo,
    // Half-hour DST shift, same change dates as Sydney.
    Tz::Australia__Lord_Howe,
];

/// Window starts: a few days before each 2026 DST change of the zones
/// above, plus quiet weeks, so that most windows cross a change somewhere.
const BASES: [&str; 8] = [
    "2026-03-02T00:00:00Z",
    "2026-03-24T00:00:00Z",
    "2026-03-31T00:00:00Z",
    "2026-09-28T00:00:00Z",
    "2026-10-20T00:00:00Z",
    "2026-10-27T00:00:00Z",
    "2026-01-05T00:00:00Z",
    "2026-07-13T00:00:00Z",
];

/// A random calendar, its inputs kept for the reference, and a window.
#[derive(Debug, Clone)]
struct Case {
    tz: Tz,
    hours: [Vec<(u32, u32)>; 7],
    closed: Vec<NaiveDate>,
    base: i64,
}

impl Case {
    fn calendar(&self) -> Calendar {
        Calendar::new(self.tz, self.hours.clone(), self.closed.clone())
    }

    /// The reference: is real minute `t` open, judged from its local time?
    fn minute_open(&self, t: i64) -> bool {
        let Some(utc) = DateTime::from_timestamp(t, 0) else {
            return false;
        };
        let local = self.tz.from_utc_datetime(&utc.naive_utc());
        if self.closed.contains(&local.date_naive()) {
            return false;
        }
        let sec = local.num_seconds_from_midnight();
        let wd = local.weekday().num_days_from_monday() as usize;
        self.hours[wd].iter().any(|&(s, e)| s <= sec && sec < e)
    }

    /// Openness of every minute of the window, computed once per case.
    fn table(&self) -> Vec<bool> {
        (0..WINDOW as i64)
            .map(|m| self.minute_open(self.base + m * MIN))
            .collect()
    }
}

fn day_hours() -> impl Strategy<Value = Vec<(u32, u32)>> {
    // Sorted distinct minute marks, paired up: disjoint sorted intervals.
    prop::collection::vec(0..=1440_u32, 0..7).prop_map(|mut marks| {
        marks.sort_unstable();
        marks.dedup();
        marks
            .chunks_exact(2)
            .map(|p| (p[0] * 60, p[1] * 60))
            .collect()
    })
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..ZONES.len(),
        prop::array::uniform7(day_hours()),
        prop::collection::vec(0..15_i64, 0..4),
        0..BASES.len(),
    )
        .prop_map(|(z, hours, closed_days, b)| {
            let base = ts(BASES[b]);
            let first = DateTime::from_timestamp(base, 0)
                .map(|d| d.date_naive())
                .unwrap_or_default();
            let closed = closed_days
                .iter()
                .map(|&d| first + chrono::Days::new(d as u64))
                .collect();
            Case {
                tz: ZONES[z],
                hours,
                closed,
                base,
            }
        })
}

/// Reference advance over per-minute flags: the instant where `amount`
/// counted seconds have accumulated from minute `start`, if in the window.
fn ref_advance(
    counted: impl Fn(usize) -> bool,
    base: i64,
    start: usize,
    amount: i64,
) -> Option<i64> {
    if amount <= 0 {
        return Some(base + start as i64 * MIN);
    }
    let mut acc = 0;
    for m in start..WINDOW {
        if counted(m) {
            acc += MIN;
            if acc == amount {
                return Some(base + (m as i64 + 1) * MIN);
            }
        }
    }
    None
}

/// Found by the reference: must be equal. Not found in the window: the
/// implementation must find nothing, or something past the window.
fn agrees(got: Option<i64>, want: Option<i64>, window_end: i64) -> bool {
    match want {
        Some(_) => got == want,
        None => got.map_or(true, |g| g > window_end),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: super::common::cases(64), ..ProptestConfig::default() })]

    #[test]
    fn calendar_matches_minute_model(
        case in case(),
        a in 0..WINDOW,
        b in 0..WINDOW,
        amount_min in 0..(WINDOW as i64 / 2),
    ) {
        let cal = case.calendar();
        let table = case.table();
        let (lo, hi) = (a.min(b), a.max(b));
        let t = |m: usize| case.base + m as i64 * MIN;
        let want: i64 = table[lo..hi].iter().filter(|&&o| o).count() as i64 * MIN;
        prop_assert_eq!(cal.open_seconds(t(lo), t(hi)), want);
        prop_assert_eq!(cal.open_seconds(t(hi), t(lo)), 0);
        let want = ref_advance(|m| table[m], case.base, lo, amount_min * MIN);
        let got = cal.advance(t(lo), amount_min * MIN);
        prop_assert!(agrees(got, want, t(WINDOW)), "advance got {:?} want {:?}", got, want);
    }

    #[test]
    fn evaluate_matches_minute_model(
        case in case(),
        open_at in 0..(WINDOW / 3),
        steps in prop::collection::vec((1..3000_usize, 0..8_u8), 0..6),
        at_after in 0..(WINDOW / 2),
        targets in (1..3000_i64, 1..6000_i64),
        offsets in (0..600_i64, 0..600_i64),
    ) {
        let table = case.table();
        let goals = vec![
            GoalSpec { target: targets.0 * MIN, clock: GoalClock::Business(Arc::new(case.calendar())) },
            GoalSpec { target: targets.1 * MIN, clock: GoalClock::Real },
        ];
        let alerts = vec![
            AlertRule::WarnBefore { goal: 0, offset: offsets.0 * MIN },
            AlertRule::AtBreach { goal: 0 },
            AlertRule::AfterBreach { goal: 0, offset: offsets.1 * MIN },
            AlertRule::AtBreach { goal: 1 },
        ];
        // Marks in minutes from the window start; pauses dominate.
        let mut minute = open_at;
        let mut marks = vec![(minute, Mark::Opened)];
        for (gap, kind) in steps {
            minute = (minute + gap).min(WINDOW - 1);
            let mark = match kind {
                0..=2 => Mark::Paused,
                3..=5 => Mark::Resumed,
                6 => Mark::Met(gap % 2),
                _ => Mark::Closed,
            };
            marks.push((minute, mark));
        }
        let at = (open_at + at_after).min(WINDOW - 1);
        let marks: Vec<_> = marks.into_iter().filter(|&(m, _)| m <= at).collect();
        let t = |m: usize| case.base + m as i64 * MIN;
        let timed: Vec<_> = marks.iter().map(|&(m, k)| (t(m), k)).collect();
        let (statuses, fired) = goal_timing(&goals, &alerts, &timed, t(at));

        // The reference replay, in minutes.
        let mut running = vec![true; WINDOW];
        let (mut is_running, mut closed, mut met) = (true, None, [None, None]);
        let mut next = marks.iter().peekable();
        for (m, slot) in running.iter_mut().enumerate().skip(open_at) {
            while let Some(&&(when, kind)) = next.peek() {
                if when > m || closed.is_some() { break; }
                match kind {
                    Mark::Paused => is_running = false,
                    Mark::Resumed => is_running = true,
                    Mark::Closed => { is_running = false; closed = Some(when) }
                    Mark::Met(g) => { if met[g].is_none() { met[g] = Some(when) } }
                    Mark::Opened => {}
                }
                next.next();
            }
            *slot = is_running;
        }
        let paused_at_end = closed.is_none() && !is_running;
        for g in 0..2 {
            let stop = match (met[g], closed) { (Some(a), Some(b)) => Some(a.min(b)), (a, b) => a.or(b) };
            let clock_open = |m: usize| g == 1 || table[m];
            // Projection: the goal's clock runs on from its stop instant.
            let counted = |m: usize| m >= open_at && clock_open(m) && (stop.is_some_and(|s| m >= s) || running[m]);
            let until = stop.map_or(at, |s| s.min(at));
            let elapsed = (open_at..until).filter(|&m| counted(m)).count() as i64 * MIN;
            let instant = |thr: i64| ref_advance(counted, case.base, open_at, thr);
            let target = goals[g].target;
            let due = instant(target);
            let window_end = t(WINDOW);
            let got: GoalStatus = statuses[g];
            prop_assert_eq!(got.elapsed, elapsed, "goal {} elapsed", g);
            let state = if let Some(m) = met[g] {
                match due { Some(d) if t(m) > d => GoalState::MetLate, _ => GoalState::Met }
            } else if elapsed > target { GoalState::Breached }
            else if paused_at_end { GoalState::Paused }
            else if closed.is_some() { GoalState::Stopped }
            else { GoalState::Running };
            prop_assert_eq!(got.state, state, "goal {} state, due {:?}", g, due);
            if state == GoalState::Paused {
                prop_assert_eq!(got.due, None);
            } else {
                prop_assert!(agrees(got.due, due, window_end), "goal {} due {:?} vs {:?}", g, got.due, due);
            }
            prop_assert_eq!(got.met_at, met[g].map(t));
            for (i, rule) in alerts.iter().enumerate() {
                let thr = match *rule {
                    AlertRule::WarnBefore { goal, offset } if goal == g => target - offset,
                    AlertRule::AtBreach { goal } if goal == g => target,
                    AlertRule::AfterBreach { goal, offset } if goal == g => target + offset,
                    _ => continue,
                };
                let want = instant(thr).filter(|&f| {
                    f <= t(at) && !met[g].is_some_and(|m| t(m) <= f) && !closed.is_some_and(|c| t(c) < f)
                });
                prop_assert_eq!(fired[i], want, "alert {}", i);
            }
        }
    }
}
