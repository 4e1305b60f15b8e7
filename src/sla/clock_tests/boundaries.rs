// Interval boundaries, closed dates, pauses and the edge cases of the
// state and alert rules (LANGUAGE.md §7), on the spec's `support_hours`
// calendar and simpler ones. Times are New York local (EST, -05:00).

use super::common::*;
use crate::program::handoff::GoalState::*;
use crate::program::handoff::{AlertRule, GoalClock, GoalSpec};
use crate::sla::clock::{goal_timing, GoalStatus, Mark};
use chrono_tz::America::New_York;

/// The spec's support_hours: mon-fri 09:00-12:00, 13:00-17:00,
/// sat 10:00-14:00, closed 2026-11-26 and 2026-12-25.
fn support_hours() -> GoalClock {
    let mut hours = week(MON_FRI, &[(hm(9, 0), hm(12, 0)), (hm(13, 0), hm(17, 0))]);
    hours[5] = vec![(hm(10, 0), hm(14, 0))];
    business(New_York, hours, &["2026-11-26", "2026-12-25"])
}

fn nine_to_five() -> GoalClock {
    business(New_York, week(MON_FRI, &[(hm(9, 0), hm(17, 0))]), &[])
}

fn goal(target: i64, clock: GoalClock) -> Vec<GoalSpec> {
    vec![GoalSpec { target, clock }]
}

/// Evaluates one goal with marks given as local times.
fn one(
    goals: &[GoalSpec],
    alerts: &[AlertRule],
    marks: &[(&str, Mark)],
    at: &str,
) -> (GoalStatus, Vec<Option<i64>>) {
    let marks: Vec<_> = marks.iter().map(|&(t, m)| (ts(t), m)).collect();
    let (st, fired) = goal_timing(goals, alerts, &marks, ts(at));
    (
        st.first().copied().unwrap_or_else(|| panic!("no status")),
        fired,
    )
}

fn due_of(goals: &[GoalSpec], marks: &[(&str, Mark)], at: &str) -> Option<i64> {
    one(goals, &[], marks, at).0.due
}

const H4: i64 = 4 * 3600;

#[test]
fn spec_friday_examples() {
    let g = goal(H4, nine_to_five());
    let fri13 = "2026-11-06T13:00:00-05:00";
    let fri15 = "2026-11-06T15:00:00-05:00";
    // Reached exactly at closing time: due then, not at the next opening.
    assert_eq!(
        due_of(&g, &[(fri13, Mark::Opened)], fri13),
        Some(ts("2026-11-06T17:00:00-05:00"))
    );
    assert_eq!(
        due_of(&g, &[(fri15, Mark::Opened)], fri15),
        Some(ts("2026-11-09T11:00:00-05:00"))
    );
}

#[test]
fn target_reached_at_closing_time_is_not_yet_breached() {
    // Elapsed equals the target all weekend; breached means strictly more.
    let g = goal(H4, nine_to_five());
    let alerts = [AlertRule::AtBreach { goal: 0 }];
    let opened = [("2026-11-06T13:00:00-05:00", Mark::Opened)];
    let (sat, fired) = one(&g, &alerts, &opened, "2026-11-07T12:00:00-05:00");
    assert_eq!(
        sat,
        status(Running, H4, Some("2026-11-06T17:00:00-05:00"), None)
    );
    assert_eq!(fired, vec![Some(ts("2026-11-06T17:00:00-05:00"))]);
    let (mon, _) = one(&g, &alerts, &opened, "2026-11-09T09:00:01-05:00");
    assert_eq!(mon.state, Breached);
    assert_eq!(mon.elapsed, H4 + 1);
    // Met over the weekend: after the due instant, so late.
    let met = [opened[0], ("2026-11-07T10:00:00-05:00", Mark::Met(0))];
    assert_eq!(
        one(&g, &alerts, &met, "2026-11-09T12:00:00-05:00").0.state,
        MetLate
    );
}

#[test]
fn closed_dates() {
    let g = goal(H4, support_hours());
    // Wed 16:00: 1h Wednesday, Thanksgiving closed, Fri 09:00-12:00.
    let wed = "2026-11-25T16:00:00-05:00";
    assert_eq!(
        due_of(&g, &[(wed, Mark::Opened)], wed),
        Some(ts("2026-11-27T12:00:00-05:00"))
    );
    // Christmas is a Friday: Thu 1h, then Saturday's 10:00-13:00.
    let thu = "2026-12-24T16:00:00-05:00";
    assert_eq!(
        due_of(&g, &[(thu, Mark::Opened)], thu),
        Some(ts("2026-12-26T13:00:00-05:00"))
    );
    // Opened on the closed day itself: counting starts Friday 09:00.
    let hol = "2026-11-26T10:00:00-05:00";
    let (st, _) = one(&g, &[], &[(hol, Mark::Opened)], "2026-11-27T09:30:00-05:00");
    assert_eq!(
        st,
        status(Running, 1800, Some("2026-11-27T14:00:00-05:00"), None)
    );
}

#[test]
fn pause_across_closed_day_delays_by_covered_open_time() {
    let clock = support_hours();
    let g = goal(8 * 3600, clock.clone());
    let wed9 = "2026-11-25T09:00:00-05:00";
    let unpaused = due_of(&g, &[(wed9, Mark::Opened)], wed9);
    assert_eq!(unpaused, Some(ts("2026-11-27T10:00:00-05:00")));
    let (pause, resume) = ("2026-11-25T10:00:00-05:00", "2026-11-27T10:00:00-05:00");
    let marks = [
        (wed9, Mark::Opened),
        (pause, Mark::Paused),
        (resume, Mark::Resumed),
    ];
    let (st, _) = one(&g, &[], &marks, resume);
    // The pause covered Wed 10-12, 13-17 and Fri 09-10: 7h of open time.
    assert_eq!(clock.open_seconds(ts(pause), ts(resume)), 7 * 3600);
    assert_eq!(
        st,
        status(Running, 3600, Some("2026-11-28T11:00:00-05:00"), None)
    );
    assert_eq!(
        clock.open_seconds(ts(wed9), ts("2026-11-28T11:00:00-05:00")),
        15 * 3600
    );
    // A pause lying wholly inside the closed day covers nothing.
    let inside = [
        (wed9, Mark::Opened),
        ("2026-11-26T10:00:00-05:00", Mark::Paused),
        ("2026-11-26T15:00:00-05:00", Mark::Resumed),
    ];
    assert_eq!(due_of(&g, &inside, "2026-11-26T15:00:00-05:00"), unpaused);
}

#[test]
fn opened_during_lunch_or_weekend() {
    let g = goal(H4, support_hours());
    let lunch = "2026-11-09T12:30:00-05:00";
    let (st, _) = one(
        &g,
        &[],
        &[(lunch, Mark::Opened)],
        "2026-11-09T13:30:00-05:00",
    );
    assert_eq!(
        st,
        status(Running, 1800, Some("2026-11-09T17:00:00-05:00"), None)
    );
    let sunday = "2026-11-08T10:00:00-05:00";
    let (st, _) = one(
        &g,
        &[],
        &[(sunday, Mark::Opened)],
        "2026-11-09T08:00:00-05:00",
    );
    assert_eq!(
        st,
        status(Running, 0, Some("2026-11-09T14:00:00-05:00"), None)
    );
}

#[test]
fn paused_at_target_versus_after_it() {
    let g = goal(2 * 3600, nine_to_five());
    let open = ("2026-11-09T09:00:00-05:00", Mark::Opened);
    let at = "2026-11-09T12:00:00-05:00";
    let exactly = [open, ("2026-11-09T11:00:00-05:00", Mark::Paused)];
    assert_eq!(
        one(&g, &[], &exactly, at).0,
        status(Paused, 7200, None, None)
    );
    let after = [open, ("2026-11-09T11:00:01-05:00", Mark::Paused)];
    let due = Some("2026-11-09T11:00:00-05:00");
    assert_eq!(
        one(&g, &[], &after, at).0,
        status(Breached, 7201, due, None)
    );
    // Paused over lunch with the target not reached: due unknown.
    let early = [open, ("2026-11-09T10:00:00-05:00", Mark::Paused)];
    assert_eq!(one(&g, &[], &early, at).0, status(Paused, 3600, None, None));
}

#[test]
fn closed_at_or_just_before_due() {
    let g = goal(3600, GoalClock::Real);
    let alerts = [
        AlertRule::WarnBefore {
            goal: 0,
            offset: 600,
        },
        AlertRule::AtBreach { goal: 0 },
    ];
    let open = ("2026-11-09T09:00:00-05:00", Mark::Opened);
    let at = "2026-11-09T12:00:00-05:00";
    let due = "2026-11-09T10:00:00-05:00";
    // Closed exactly at due: stopped, and the breach alert still fires
    // (the instance was not closed *before* its instant).
    let (st, fired) = one(&g, &alerts, &[open, (due, Mark::Closed)], at);
    assert_eq!(st, status(Stopped, 3600, Some(due), None));
    assert_eq!(
        fired,
        vec![Some(ts("2026-11-09T09:50:00-05:00")), Some(ts(due))]
    );
    // Closed a second earlier: the breach alert never fires.
    let (st, fired) = one(
        &g,
        &alerts,
        &[open, ("2026-11-09T09:59:59-05:00", Mark::Closed)],
        at,
    );
    assert_eq!(st, status(Stopped, 3599, Some(due), None));
    assert_eq!(fired, vec![Some(ts("2026-11-09T09:50:00-05:00")), None]);
    // Closed after due: breached (breached is checked before stopped).
    let (st, _) = one(
        &g,
        &alerts,
        &[open, ("2026-11-09T10:00:01-05:00", Mark::Closed)],
        at,
    );
    assert_eq!(st.state, Breached);
}

#[test]
fn met_at_or_just_after_due() {
    let g = goal(3600, GoalClock::Real);
    let alerts = [AlertRule::AtBreach { goal: 0 }];
    let open = ("2026-11-09T09:00:00-05:00", Mark::Opened);
    let at = "2026-11-09T12:00:00-05:00";
    let due = "2026-11-09T10:00:00-05:00";
    let (st, fired) = one(&g, &alerts, &[open, (due, Mark::Met(0))], at);
    assert_eq!(st, status(Met, 3600, Some(due), Some(due)));
    assert_eq!(fired, vec![None]);
    let late = "2026-11-09T10:00:01-05:00";
    let (st, fired) = one(&g, &alerts, &[open, (late, Mark::Met(0))], at);
    assert_eq!(st, status(MetLate, 3601, Some(due), Some(late)));
    assert_eq!(fired, vec![Some(ts(due))]);
}

#[test]
fn repeated_pause_and_resume_change_nothing() {
    let g = goal(H4, support_hours());
    let plain = [
        ("2026-11-09T09:00:00-05:00", Mark::Opened),
        ("2026-11-09T10:00:00-05:00", Mark::Paused),
        ("2026-11-09T14:00:00-05:00", Mark::Resumed),
    ];
    let noisy = [
        ("2026-11-09T09:00:00-05:00", Mark::Opened),
        ("2026-11-09T09:30:00-05:00", Mark::Resumed),
        ("2026-11-09T10:00:00-05:00", Mark::Paused),
        ("2026-11-09T11:00:00-05:00", Mark::Paused),
        ("2026-11-09T14:00:00-05:00", Mark::Resumed),
        ("2026-11-09T15:00:00-05:00", Mark::Resumed),
    ];
    let at = "2026-11-09T16:00:00-05:00";
    let expected = status(Running, 3 * 3600, Some("2026-11-09T17:00:00-05:00"), None);
    assert_eq!(one(&g, &[], &plain, at).0, expected);
    assert_eq!(one(&g, &[], &noisy, at).0, expected);
}

#[test]
fn met_or_closed_while_paused_projects_from_that_instant() {
    let g = goal(H4, GoalClock::Real);
    let open = ("2026-11-09T09:00:00-05:00", Mark::Opened);
    let pause = ("2026-11-09T10:00:00-05:00", Mark::Paused);
    let at = "2026-11-09T18:00:00-05:00";
    // 1h counted; from 11:00 the projection runs the remaining 3h.
    let met = [open, pause, ("2026-11-09T11:00:00-05:00", Mark::Met(0))];
    let due = Some("2026-11-09T14:00:00-05:00");
    assert_eq!(
        one(&g, &[], &met, at).0,
        status(Met, 3600, due, Some("2026-11-09T11:00:00-05:00"))
    );
    let closed = [open, pause, ("2026-11-09T11:00:00-05:00", Mark::Closed)];
    assert_eq!(
        one(&g, &[], &closed, at).0,
        status(Stopped, 3600, due, None)
    );
    // Marks after `closed` (a resume, a met) are ignored.
    let extra = [
        open,
        pause,
        ("2026-11-09T11:00:00-05:00", Mark::Closed),
        ("2026-11-09T12:00:00-05:00", Mark::Resumed),
        ("2026-11-09T12:00:00-05:00", Mark::Met(0)),
    ];
    assert_eq!(one(&g, &[], &extra, at).0, status(Stopped, 3600, due, None));
}

#[test]
fn tolerated_bad_input() {
    let g = goal(3600, GoalClock::Real);
    let alerts = [
        AlertRule::AtBreach { goal: 0 },
        AlertRule::AtBreach { goal: 7 },
    ];
    let at = "2026-11-09T12:00:00-05:00";
    // Unsorted marks are sorted; a met for an unknown goal is ignored.
    let unsorted = [
        ("2026-11-09T11:00:00-05:00", Mark::Met(3)),
        ("2026-11-09T09:00:00-05:00", Mark::Opened),
    ];
    let (st, fired) = one(&g, &alerts, &unsorted, at);
    assert_eq!(
        st,
        status(Breached, 3 * 3600, Some("2026-11-09T10:00:00-05:00"), None)
    );
    assert_eq!(fired, vec![Some(ts("2026-11-09T10:00:00-05:00")), None]);
    // Never opened: nothing runs, nothing fires.
    let (st, fired) = one(
        &g,
        &alerts,
        &[("2026-11-09T09:00:00-05:00", Mark::Paused)],
        at,
    );
    assert_eq!(st, status(Running, 0, None, None));
    assert_eq!(fired, vec![None, None]);
    // A calendar with no open time: the target is never reached.
    let never = goal(3600, business(New_York, Default::default(), &[]));
    let (st, _) = one(
        &never,
        &alerts,
        &[("2026-11-09T09:00:00-05:00", Mark::Opened)],
        at,
    );
    assert_eq!(st, status(Running, 0, None, None));
    // Extreme numbers do not panic.
    let huge = vec![GoalSpec {
        target: i64::MAX,
        clock: support_hours(),
    }];
    let wild = [
        AlertRule::AfterBreach {
            goal: 0,
            offset: i64::MAX,
        },
        AlertRule::WarnBefore {
            goal: 0,
            offset: i64::MIN,
        },
    ];
    let marks = [(i64::MIN, Mark::Opened), (i64::MAX, Mark::Paused)];
    let _ = goal_timing(&huge, &wild, &marks, i64::MAX);
    let _ = goal_timing(&huge, &wild, &[(i64::MAX, Mark::Opened)], i64::MAX);
}
