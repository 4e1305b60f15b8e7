// Invariant properties over wide random inputs (any second from 2000 to
// 2090, second-granular intervals, more zones including Lord Howe's
// half-hour DST): no reference model, just laws the clock must obey.

use std::sync::Arc;

use crate::program::calendar::Calendar;
use crate::program::handoff::{AlertRule, GoalClock, GoalSpec, GoalState};
use crate::sla::clock::{goal_timing, Mark};
use chrono::NaiveDate;
use chrono_tz::Tz;
use proptest::prelude::*;

const ZONES: [Tz; 9] = [
    Tz::UTC,
    Tz::America__New_York,
    Tz::Europe__London,
    Tz::Australia__Sydney,
    Tz::Asia__Tokyo,
    Tz::Australia__Lord_Howe,
    Tz::America__Sao_Paulo,
    Tz::Africa__Casablanca,
    Tz::Asia__Kolkata,
];

/// 2000-01-01 and 2090-01-01, in Unix seconds.
const FROM_2000: i64 = 946_684_800;
const TO_2090: i64 = 3_786_825_600;

fn day_hours() -> impl Strategy<Value = Vec<(u32, u32)>> {
    prop::collection::vec(0..=86_400_u32, 0..5).prop_map(|mut marks| {
        marks.sort_unstable();
        marks.dedup();
        marks.chunks_exact(2).map(|p| (p[0], p[1])).collect()
    })
}

/// A calendar whose closed dates cluster around `near`, so they matter.
fn calendar_near(near: i64) -> impl Strategy<Value = Arc<Calendar>> {
    (
        0..ZONES.len(),
        prop::array::uniform7(day_hours()),
        prop::collection::vec(-5..60_i64, 0..12),
    )
        .prop_map(move |(z, hours, days)| {
            let closed = days
                .iter()
                .filter_map(|&d| chrono::DateTime::from_timestamp(near + d * 86_400, 0))
                .map(|dt| dt.date_naive())
                .collect::<Vec<NaiveDate>>();
            Arc::new(Calendar::new(ZONES[z], hours, closed))
        })
}

fn instant() -> impl Strategy<Value = i64> {
    FROM_2000..TO_2090
}

/// A calendar plus an instant its closed dates lie near.
fn setup() -> impl Strategy<Value = (Arc<Calendar>, i64)> {
    instant().prop_flat_map(|t| (calendar_near(t), Just(t)))
}

fn due_of(cal: &Arc<Calendar>, target: i64, marks: &[(i64, Mark)], at: i64) -> Option<i64> {
    let goals = [GoalSpec {
        target,
        clock: GoalClock::Business(Arc::clone(cal)),
    }];
    goal_timing(&goals, &[], marks, at)
        .0
        .first()
        .and_then(|s| s.due)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: super::common::cases(128), ..ProptestConfig::default() })]

    #[test]
    fn open_seconds_is_additive((cal, a) in setup(), d1 in 0..5_000_000_i64, d2 in 0..5_000_000_i64) {
        let (b, c) = (a + d1, a + d1 + d2);
        let (ab, bc, ac) = (cal.open_seconds(a, b), cal.open_seconds(b, c), cal.open_seconds(a, c));
        prop_assert_eq!(ab + bc, ac);
        prop_assert!((0..=d1).contains(&ab));
        prop_assert_eq!(cal.open_seconds(c, a), 0);
    }

    #[test]
    fn advance_is_the_earliest_inverse((cal, from) in setup(), amount in 0..3_000_000_i64) {
        match cal.advance(from, amount) {
            Some(t) => {
                prop_assert!(t >= from);
                prop_assert_eq!(cal.open_seconds(from, t), amount);
                if amount > 0 {
                    prop_assert!(cal.open_seconds(from, t - 1) < amount);
                }
            }
            // Only a calendar with no open time at all never gets there.
            None => prop_assert_eq!(cal.open_seconds(from, from + 8 * 86_400 * 7 + 70 * 86_400), 0),
        }
    }

    #[test]
    fn never_paused_due_holds_exactly_the_target((cal, opened) in setup(), target in 1..2_000_000_i64) {
        let due = due_of(&cal, target, &[(opened, Mark::Opened)], opened);
        prop_assert_eq!(due, cal.advance(opened, target));
        if let Some(due) = due {
            prop_assert_eq!(cal.open_seconds(opened, due), target);
            prop_assert!(cal.open_seconds(opened, due - 1) < target);
        }
    }

    #[test]
    fn due_is_monotone_in_target((cal, opened) in setup(), t1 in 1..1_000_000_i64, t2 in 1..1_000_000_i64) {
        let (lo, hi) = (t1.min(t2), t1.max(t2));
        let marks = [(opened, Mark::Opened)];
        if let (Some(a), Some(b)) = (due_of(&cal, lo, &marks, opened), due_of(&cal, hi, &marks, opened)) {
            prop_assert!(a <= b);
        }
    }

    #[test]
    fn pause_delays_due_by_the_open_time_it_covers(
        (cal, opened) in setup(),
        target in 1..500_000_i64,
        p in 0..3_000_000_i64,
        len in 0..3_000_000_i64,
    ) {
        let (pause, resume) = (opened + p, opened + p + len);
        let marks = [(opened, Mark::Opened), (pause, Mark::Paused), (resume, Mark::Resumed)];
        let unpaused = cal.advance(opened, target);
        let paused = due_of(&cal, target, &marks, resume);
        match unpaused {
            // Reached before the pause began: the pause changes nothing.
            Some(d) if d <= pause => prop_assert_eq!(paused, Some(d)),
            _ => {
                let covered = cal.open_seconds(pause, resume);
                prop_assert_eq!(paused, cal.advance(opened, target + covered));
            }
        }
    }

    #[test]
    fn elapsed_never_exceeds_open_time(
        (cal, opened) in setup(),
        gaps in prop::collection::vec((0..400_000_i64, any::<bool>()), 0..6),
        tail in 0..1_000_000_i64,
    ) {
        let mut t = opened;
        let mut marks = vec![(t, Mark::Opened)];
        for (gap, pause) in gaps {
            t += gap;
            marks.push((t, if pause { Mark::Paused } else { Mark::Resumed }));
        }
        let at = t + tail;
        let goals = [
            GoalSpec { target: 3600, clock: GoalClock::Business(Arc::clone(&cal)) },
            GoalSpec { target: 3600, clock: GoalClock::Real },
        ];
        let (st, _) = goal_timing(&goals, &[], &marks, at);
        prop_assert!(st[0].elapsed <= cal.open_seconds(opened, at));
        prop_assert!(st[1].elapsed <= at - opened);
        prop_assert!(st[0].elapsed <= st[1].elapsed);
        // `due` is withheld exactly while paused (the real clock always has
        // one otherwise; a business one lacks it only without open time).
        prop_assert_eq!(st[1].due.is_none(), st[1].state == GoalState::Paused);
        if st[0].state == GoalState::Paused {
            prop_assert_eq!(st[0].due, None);
        }
    }

    /// Arbitrary (invalid) hours, dates and instants anywhere in `i64`: the
    /// library must not panic (debug builds check every overflow).
    #[test]
    fn never_panics(
        z in 0..ZONES.len(),
        raw in prop::array::uniform7(prop::collection::vec((any::<u32>(), any::<u32>()), 0..4)),
        days in prop::collection::vec(-100_000..100_000_i32, 0..4),
        a in any::<i64>(),
        b in any::<i64>(),
        amount in any::<i64>(),
        marks in prop::collection::vec((any::<i64>(), 0..6_u8, any::<usize>()), 0..6),
        targets in (any::<i64>(), any::<i64>()),
        offset in any::<i64>(),
    ) {
        let closed = days
            .iter()
            .filter_map(|&d| NaiveDate::from_num_days_from_ce_opt(d.saturating_add(719_163)))
            .collect();
        let cal = Arc::new(Calendar::new(ZONES[z], raw, closed));
        let open = cal.open_seconds(a, b);
        prop_assert!(open >= 0);
        if let Some(t) = cal.advance(a, amount) {
            prop_assert!(t >= a);
        }
        let marks: Vec<_> = marks
            .into_iter()
            .map(|(t, k, g)| {
                let mark = match k {
                    0 => Mark::Opened,
                    1 => Mark::Paused,
                    2 => Mark::Resumed,
                    3 => Mark::Closed,
                    _ => Mark::Met(g % 3),
                };
                (t, mark)
            })
            .collect();
        let goals = [
            GoalSpec { target: targets.0, clock: GoalClock::Business(Arc::clone(&cal)) },
            GoalSpec { target: targets.1, clock: GoalClock::Real },
        ];
        let alerts = [
            AlertRule::WarnBefore { goal: 0, offset },
            AlertRule::AtBreach { goal: 1 },
            AlertRule::AfterBreach { goal: 1, offset },
            AlertRule::AfterBreach { goal: 5, offset },
        ];
        let (st, fired) = goal_timing(&goals, &alerts, &marks, b);
        prop_assert_eq!(st.len(), 2);
        prop_assert_eq!(fired.len(), 4);
    }
}
