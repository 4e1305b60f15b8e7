// The two worked `sla` examples in shared/examples, number for number:
// every goal's state, elapsed, due and met_at and every goal alert instant
// of expected.jsonl (the note alert and flags are not this crate's job).

use super::common::*;
use crate::program::handoff::GoalState::*;
use crate::program::handoff::{AlertRule, GoalClock, GoalSpec};
use crate::sla::clock::{goal_timing, Mark};
use chrono_tz::{Asia, Europe};

/// sla_emea_onboarding: paris_support (mon-fri 09:00-12:30, 14:00-18:00,
/// closed 2026-12-08); first_response 4h business, kickoff 5d real;
/// warn 1h before first_response, escalate at first_response breach,
/// escalate 1d after kickoff breach.
fn emea() -> (Vec<GoalSpec>, Vec<AlertRule>) {
    let paris = business(
        Europe::Paris,
        week(MON_FRI, &[(hm(9, 0), hm(12, 30)), (hm(14, 0), hm(18, 0))]),
        &["2026-12-08"],
    );
    let goals = vec![
        GoalSpec {
            target: 4 * 3600,
            clock: paris,
        },
        GoalSpec {
            target: 5 * 86_400,
            clock: GoalClock::Real,
        },
    ];
    let alerts = vec![
        AlertRule::WarnBefore {
            goal: 0,
            offset: 3600,
        },
        AlertRule::AtBreach { goal: 0 },
        AlertRule::AfterBreach {
            goal: 1,
            offset: 86_400,
        },
    ];
    (goals, alerts)
}

const EMEA_AT: &str = "2026-12-10T16:00:00Z";

fn marks(list: &[(&str, Mark)]) -> Vec<(i64, Mark)> {
    list.iter().map(|&(t, m)| (ts(t), m)).collect()
}

fn alerts_at(list: &[Option<&str>]) -> Vec<Option<i64>> {
    list.iter().map(|a| a.map(ts)).collect()
}

#[test]
fn emea_h104_met_then_closed() {
    let (goals, alerts) = emea();
    let marks = marks(&[
        ("2026-12-04T09:00:00+01:00", Mark::Opened),
        ("2026-12-04T09:00:00Z", Mark::Met(0)),
        ("2026-12-07T10:00:00+01:00", Mark::Closed),
        // After `closed`: must be ignored.
        ("2026-12-08T10:00:00Z", Mark::Met(1)),
    ]);
    let (st, fired) = goal_timing(&goals, &alerts, &marks, ts(EMEA_AT));
    assert_eq!(
        st,
        vec![
            status(
                Met,
                3600,
                Some("2026-12-04T13:30:00Z"),
                Some("2026-12-04T09:00:00Z")
            ),
            status(Stopped, 262_800, Some("2026-12-09T08:00:00Z"), None),
        ]
    );
    assert_eq!(fired, alerts_at(&[None, None, None]));
}

#[test]
fn emea_h101_met_over_weekend() {
    let (goals, alerts) = emea();
    let marks = marks(&[
        ("2026-12-04T15:30:00Z", Mark::Opened),
        ("2026-12-07T10:15:00+01:00", Mark::Met(0)),
        ("2026-12-09T14:00:00Z", Mark::Met(1)),
    ]);
    let (st, fired) = goal_timing(&goals, &alerts, &marks, ts(EMEA_AT));
    assert_eq!(
        st,
        vec![
            status(
                Met,
                9900,
                Some("2026-12-07T10:30:00Z"),
                Some("2026-12-07T09:15:00Z")
            ),
            status(
                Met,
                426_600,
                Some("2026-12-09T15:30:00Z"),
                Some("2026-12-09T14:00:00Z")
            ),
        ]
    );
    // The warn would be Mon 10:30 CET (09:30Z): met at 09:15Z first.
    assert_eq!(fired, alerts_at(&[None, None, None]));
}

#[test]
fn emea_h102_breached_across_closed_day_and_pause() {
    let (goals, alerts) = emea();
    let marks = marks(&[
        ("2026-12-07T10:00:00Z", Mark::Opened),
        ("2026-12-09T09:00:00Z", Mark::Paused),
        ("2026-12-09T14:00:00Z", Mark::Resumed),
    ]);
    let (st, fired) = goal_timing(&goals, &alerts, &marks, ts(EMEA_AT));
    assert_eq!(
        st,
        vec![
            status(Breached, 57_600, Some("2026-12-07T15:30:00Z"), None),
            status(Running, 262_800, Some("2026-12-12T15:00:00Z"), None),
        ]
    );
    assert_eq!(
        fired,
        alerts_at(&[
            Some("2026-12-07T14:30:00Z"),
            Some("2026-12-07T15:30:00Z"),
            None
        ])
    );
}

#[test]
fn emea_h103_opened_during_lunch() {
    let (goals, alerts) = emea();
    let marks = marks(&[("2026-12-10T12:30:00Z", Mark::Opened)]);
    let (st, fired) = goal_timing(&goals, &alerts, &marks, ts(EMEA_AT));
    assert_eq!(
        st,
        vec![
            status(Running, 10_800, Some("2026-12-10T17:00:00Z"), None),
            status(Running, 12_600, Some("2026-12-15T12:30:00Z"), None),
        ]
    );
    // The warn fires exactly at --at: fired.
    assert_eq!(
        fired,
        alerts_at(&[Some("2026-12-10T16:00:00Z"), None, None])
    );

    // The first_reply_sent after --at is not passed by a conforming caller;
    // if it is, it is ignored all the same.
    let late = {
        let mut m = marks.clone();
        m.push((ts("2026-12-10T16:30:00Z"), Mark::Met(0)));
        m
    };
    assert_eq!(
        goal_timing(&goals, &alerts, &late, ts(EMEA_AT)),
        (st, fired)
    );
}

/// sla_tier2_escalations: tokyo_desk (mon-sat 08:00-20:00, Asia/Tokyo);
/// acknowledge 2h business, resolve 1d12h real; warn 30m before
/// acknowledge, escalate 2h after resolve breach.
fn tier2() -> (Vec<GoalSpec>, Vec<AlertRule>) {
    let tokyo = business(
        Asia::Tokyo,
        week(&[0, 1, 2, 3, 4, 5], &[(hm(8, 0), hm(20, 0))]),
        &[],
    );
    let goals = vec![
        GoalSpec {
            target: 7200,
            clock: tokyo,
        },
        GoalSpec {
            target: 129_600,
            clock: GoalClock::Real,
        },
    ];
    let alerts = vec![
        AlertRule::WarnBefore {
            goal: 0,
            offset: 1800,
        },
        AlertRule::AfterBreach {
            goal: 1,
            offset: 7200,
        },
    ];
    (goals, alerts)
}

const TIER2_AT: &str = "2026-06-20T12:00:00Z";

#[test]
fn tier2_t5_closed_early() {
    let (goals, alerts) = tier2();
    let marks = marks(&[
        ("2026-06-19T09:00:00+09:00", Mark::Opened),
        ("2026-06-19T10:00:00+09:00", Mark::Closed),
        ("2026-06-19T01:30:00Z", Mark::Met(0)),
    ]);
    let (st, fired) = goal_timing(&goals, &alerts, &marks, ts(TIER2_AT));
    assert_eq!(
        st,
        vec![
            status(Stopped, 3600, Some("2026-06-19T02:00:00Z"), None),
            status(Stopped, 3600, Some("2026-06-20T12:00:00Z"), None),
        ]
    );
    assert_eq!(fired, vec![None, None]);
}

#[test]
fn tier2_t1_met_late_repeat_ignored() {
    let (goals, alerts) = tier2();
    let marks = marks(&[
        ("2026-06-19T19:00:00+09:00", Mark::Opened),
        ("2026-06-20T09:30:00+09:00", Mark::Met(0)),
        ("2026-06-20T01:00:00Z", Mark::Met(0)),
        ("2026-06-20T11:00:00Z", Mark::Met(1)),
    ]);
    let (st, fired) = goal_timing(&goals, &alerts, &marks, ts(TIER2_AT));
    assert_eq!(
        st,
        vec![
            status(
                MetLate,
                9000,
                Some("2026-06-20T00:00:00Z"),
                Some("2026-06-20T00:30:00Z")
            ),
            status(
                Met,
                90_000,
                Some("2026-06-20T22:00:00Z"),
                Some("2026-06-20T11:00:00Z")
            ),
        ]
    );
    assert_eq!(fired, alerts_at(&[Some("2026-06-19T23:30:00Z"), None]));
}

#[test]
fn tier2_t2_pause_then_breach() {
    let (goals, alerts) = tier2();
    let marks = marks(&[
        ("2026-06-20T01:00:00Z", Mark::Opened),
        ("2026-06-20T02:00:00Z", Mark::Paused),
        ("2026-06-20T06:00:00Z", Mark::Resumed),
    ]);
    let (st, fired) = goal_timing(&goals, &alerts, &marks, ts(TIER2_AT));
    assert_eq!(
        st,
        vec![
            status(Breached, 21_600, Some("2026-06-20T07:00:00Z"), None),
            status(Running, 25_200, Some("2026-06-21T17:00:00Z"), None),
        ]
    );
    assert_eq!(fired, alerts_at(&[Some("2026-06-20T06:30:00Z"), None]));
}

#[test]
fn tier2_t4_paused_for_good() {
    let (goals, alerts) = tier2();
    let marks = marks(&[
        ("2026-06-20T09:00:00Z", Mark::Opened),
        ("2026-06-20T10:00:00Z", Mark::Paused),
    ]);
    let (st, fired) = goal_timing(&goals, &alerts, &marks, ts(TIER2_AT));
    assert_eq!(
        st,
        vec![
            status(Paused, 3600, None, None),
            status(Paused, 3600, None, None)
        ]
    );
    assert_eq!(fired, vec![None, None]);
}

/// The `sla` example of CLI.md: mon-fri 09:00-17:00 New York, 4h goal
/// opened Fri 2026-11-06 15:00 EST, evaluated Mon 12:00 EST.
#[test]
fn cli_md_example() {
    let goals = vec![GoalSpec {
        target: 4 * 3600,
        clock: business(
            chrono_tz::America::New_York,
            week(MON_FRI, &[(hm(9, 0), hm(17, 0))]),
            &[],
        ),
    }];
    let alerts = vec![AlertRule::WarnBefore {
        goal: 0,
        offset: 3600,
    }];
    let marks = marks(&[("2026-11-06T20:00:00Z", Mark::Opened)]);
    let (st, fired) = goal_timing(&goals, &alerts, &marks, ts("2026-11-09T17:00:00Z"));
    assert_eq!(
        st,
        vec![status(Breached, 18_000, Some("2026-11-09T16:00:00Z"), None)]
    );
    assert_eq!(fired, alerts_at(&[Some("2026-11-09T15:00:00Z")]));
}
