// Daylight-saving changes in both directions for America/New_York,
// Europe/London and Australia/Sydney (southern hemisphere: clocks go back
// in April and forward in October), including intervals that straddle or
// fall inside the changed hour.

use super::common::*;
use crate::program::calendar::Calendar;
use crate::program::handoff::{GoalClock, GoalSpec, GoalState};
use crate::sla::clock::{goal_timing, Mark};
use chrono_tz::{America::New_York, Australia::Sydney, Europe::London, Tz};

const SUNDAY: &[usize] = &[6];

fn cal(tz: Tz, days: &[usize], intervals: &[(u32, u32)]) -> Calendar {
    Calendar::new(tz, week(days, intervals), vec![])
}

/// Open seconds of the whole local day `day` (given by its two midnights).
fn day_open(cal: &Calendar, midnight: &str, next_midnight: &str) -> i64 {
    cal.open_seconds(ts(midnight), ts(next_midnight))
}

#[test]
fn new_york_spring_forward() {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT.
    let (m0, m1) = ("2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00");
    let c = cal(New_York, SUNDAY, &[(hm(1, 0), hm(4, 0))]);
    assert_eq!(day_open(&c, m0, m1), 2 * 3600);
    // The interval in the gap holds nothing; one straddling it, its rest.
    assert_eq!(
        day_open(&cal(New_York, SUNDAY, &[(hm(2, 0), hm(3, 0))]), m0, m1),
        0
    );
    assert_eq!(
        day_open(&cal(New_York, SUNDAY, &[(hm(2, 30), hm(3, 30))]), m0, m1),
        1800
    );
    assert_eq!(
        day_open(&cal(New_York, SUNDAY, &[(hm(0, 0), hm(2, 0))]), m0, m1),
        7200
    );
    assert_eq!(
        day_open(&cal(New_York, SUNDAY, &[(0, 86_400)]), m0, m1),
        23 * 3600
    );
    // 01:30 EST + 1h of open time: 30 min to the gap, 30 min after it.
    assert_eq!(
        c.advance(ts("2026-03-08T01:30:00-05:00"), 3600),
        Some(ts("2026-03-08T03:30:00-04:00"))
    );
    // Only 2h on the change day: a 4h target finishes the next Sunday.
    assert_eq!(
        c.advance(ts(m0), 4 * 3600),
        Some(ts("2026-03-15T03:00:00-04:00"))
    );
}

#[test]
fn new_york_fall_back() {
    // 2026-11-01: 02:00 EDT goes back to 01:00 EST; 01:00-02:00 twice.
    let (m0, m1) = ("2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00");
    let c = cal(New_York, SUNDAY, &[(hm(1, 0), hm(4, 0))]);
    assert_eq!(day_open(&c, m0, m1), 4 * 3600);
    assert_eq!(
        day_open(&cal(New_York, SUNDAY, &[(hm(1, 0), hm(1, 30))]), m0, m1),
        3600
    );
    assert_eq!(
        day_open(&cal(New_York, SUNDAY, &[(hm(1, 30), hm(2, 30))]), m0, m1),
        5400
    );
    assert_eq!(
        day_open(&cal(New_York, SUNDAY, &[(0, 86_400)]), m0, m1),
        25 * 3600
    );
    // From the first 01:30 (EDT) one open hour ends at the second (EST).
    assert_eq!(
        c.advance(ts("2026-11-01T01:30:00-04:00"), 3600),
        Some(ts("2026-11-01T01:30:00-05:00"))
    );
    assert_eq!(
        c.advance(ts(m0), 4 * 3600),
        Some(ts("2026-11-01T04:00:00-05:00"))
    );
}

#[test]
fn london_both_directions() {
    // 2026-03-29: 01:00 GMT -> 02:00 BST. 2026-10-25: 02:00 BST -> 01:00 GMT.
    let c = cal(London, SUNDAY, &[(hm(0, 30), hm(3, 0))]);
    let spring = ("2026-03-29T00:00:00Z", "2026-03-30T00:00:00+01:00");
    let autumn = ("2026-10-25T00:00:00+01:00", "2026-10-26T00:00:00Z");
    assert_eq!(day_open(&c, spring.0, spring.1), 5400);
    assert_eq!(day_open(&c, autumn.0, autumn.1), 3 * 3600 + 1800);
    let gap = cal(London, SUNDAY, &[(hm(1, 0), hm(2, 0))]);
    assert_eq!(day_open(&gap, spring.0, spring.1), 0);
    assert_eq!(day_open(&gap, autumn.0, autumn.1), 7200);
    // Business week straddling each change: Friday 15:00 + 4h = Monday 11:00
    // local, whatever the offset in between.
    let office = Calendar::new(London, week(MON_FRI, &[(hm(9, 0), hm(17, 0))]), vec![]);
    assert_eq!(
        office.advance(ts("2026-03-27T15:00:00Z"), 4 * 3600),
        Some(ts("2026-03-30T11:00:00+01:00"))
    );
    assert_eq!(
        office.advance(ts("2026-10-23T15:00:00+01:00"), 4 * 3600),
        Some(ts("2026-10-26T11:00:00Z"))
    );
}

#[test]
fn sydney_both_directions() {
    // 2026-04-05: 03:00 AEDT -> 02:00 AEST (back, April).
    // 2026-10-04: 02:00 AEST -> 03:00 AEDT (forward, October).
    let c = cal(Sydney, SUNDAY, &[(hm(1, 0), hm(4, 0))]);
    let april = ("2026-04-05T00:00:00+11:00", "2026-04-06T00:00:00+10:00");
    let october = ("2026-10-04T00:00:00+10:00", "2026-10-05T00:00:00+11:00");
    assert_eq!(day_open(&c, april.0, april.1), 4 * 3600);
    assert_eq!(day_open(&c, october.0, october.1), 2 * 3600);
    let changed_hour = cal(Sydney, SUNDAY, &[(hm(2, 0), hm(3, 0))]);
    assert_eq!(day_open(&changed_hour, april.0, april.1), 7200);
    assert_eq!(day_open(&changed_hour, october.0, october.1), 0);
    assert_eq!(
        changed_hour.advance(ts("2026-04-05T02:30:00+11:00"), 3600),
        Some(ts("2026-04-05T02:30:00+10:00"))
    );
    let office = Calendar::new(Sydney, week(MON_FRI, &[(hm(9, 0), hm(17, 0))]), vec![]);
    assert_eq!(
        office.advance(ts("2026-10-02T15:00:00+10:00"), 4 * 3600),
        Some(ts("2026-10-05T11:00:00+11:00"))
    );
    assert_eq!(
        office.advance(ts("2026-04-03T15:00:00+11:00"), 4 * 3600),
        Some(ts("2026-04-06T11:00:00+10:00"))
    );
}

/// A calendar open all day every day is the real clock, DST or not: the
/// 23- and 25-hour days hold exactly their real length.
#[test]
fn all_day_calendar_matches_real_clock_across_changes() {
    for tz in [New_York, London, Sydney] {
        let all = cal(tz, EVERY_DAY, &[(0, 86_400)]);
        for (from, to) in [
            ("2026-03-01T00:00:00Z", "2026-04-15T00:00:00Z"),
            ("2026-09-25T00:00:00Z", "2026-11-10T00:00:00Z"),
        ] {
            let (from, to) = (ts(from), ts(to));
            assert_eq!(all.open_seconds(from, to), to - from, "{tz}");
            assert_eq!(all.advance(from, to - from), Some(to), "{tz}");
        }
    }
}

/// Goal-level: a business goal whose clock runs through the fall-back hour
/// counts it twice, and its warn lands in the repeated hour.
#[test]
fn goal_through_fall_back_hour() {
    let clock = business(New_York, week(SUNDAY, &[(hm(1, 0), hm(4, 0))]), &[]);
    let goals = vec![
        GoalSpec {
            target: 4 * 3600,
            clock,
        },
        GoalSpec {
            target: 4 * 3600,
            clock: GoalClock::Real,
        },
    ];
    let alerts = vec![crate::program::handoff::AlertRule::WarnBefore {
        goal: 0,
        offset: 2 * 3600 + 1800,
    }];
    let marks = vec![(ts("2026-11-01T00:30:00-04:00"), Mark::Opened)];
    let (st, fired) = goal_timing(&goals, &alerts, &marks, ts("2026-11-01T02:00:00-05:00"));
    let first = st.first().copied().unwrap_or_else(|| panic!("no status"));
    // 01:00-02:00 EDT, 01:00-02:00 EST = 2h; due at 04:00 EST.
    assert_eq!(
        first,
        status(
            GoalState::Running,
            7200,
            Some("2026-11-01T04:00:00-05:00"),
            None
        )
    );
    // 1h30 of open time: 01:30 EST, the second time round.
    assert_eq!(fired, vec![Some(ts("2026-11-01T01:30:00-05:00"))]);
    // The real goal: 04:30Z to 07:00Z is 2h30 of real time.
    assert_eq!(st.get(1).map(|s| s.elapsed), Some(2 * 3600 + 1800));
}
