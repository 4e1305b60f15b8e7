// Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use crate::program::calendar::Calendar;
use crate::program::handoff::{GoalClock, GoalState};
use crate::sla::clock::GoalStatus;
use chrono::NaiveDate;
use chrono_tz::Tz;

/// An RFC 3339 timestamp as Unix seconds.
pub fn ts(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad timestamp {s}: {e}"))
        .timestamp()
}

/// A time of day as seconds after midnight.
pub fn hm(h: u32, m: u32) -> u32 {
    h * 3600 + m * 60
}

/// A date from `YYYY-MM-DD`.
pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("bad date {s}: {e}"))
}

/// Weekly hours with the same intervals on the listed weekdays (0 = Monday).
pub fn week(days: &[usize], intervals: &[(u32, u32)]) -> [Vec<(u32, u32)>; 7] {
    let mut hours: [Vec<(u32, u32)>; 7] = Default::default();
    for &d in days {
        hours[d] = intervals.to_vec();
    }
    hours
}

pub const MON_FRI: &[usize] = &[0, 1, 2, 3, 4];
pub const EVERY_DAY: &[usize] = &[0, 1, 2, 3, 4, 5, 6];

/// A business clock on a new calendar.
pub fn business(tz: Tz, hours: [Vec<(u32, u32)>; 7], closed: &[&str]) -> GoalClock {
    GoalClock::Business(Arc::new(Calendar::new(
        tz,
        hours,
        closed.iter().map(|d| date(d)).collect(),
    )))
}

/// A goal status from its parts, timestamps as RFC 3339.
pub fn status(
    state: GoalState,
    elapsed: i64,
    due: Option<&str>,
    met_at: Option<&str>,
) -> GoalStatus {
    GoalStatus {
        state,
        elapsed,
        due: due.map(ts),
        met_at: met_at.map(ts),
    }
}

/// Proptest case count: `default`, or `PROPTEST_CASES` when set (to run a
/// long soak in release without editing the tests).
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
