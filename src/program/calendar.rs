//! Business calendars: open hours per weekday in a time zone, minus closed
//! local dates (LANGUAGE.md §7, "Clocks").
//!
//! A real second counts as open when its local wall-clock time, in the
//! calendar's zone, lies in an open interval of that local day's weekday
//! (start inclusive, end exclusive) and that local date is not closed.
//!
//! How it is computed, without stepping through time:
//! * Between two UTC-offset changes of the zone, local time is real time plus
//!   a constant offset, so the open real seconds of such a stretch are the
//!   open seconds of the matching stretch of the *naive local timeline*.
//! * On the naive local timeline the number of open seconds before a local
//!   instant has a closed form: whole weeks times the weekly total, plus the
//!   weekday prefix, plus the partial day, minus the totals of the closed
//!   dates before it (prefix sums, found by binary search).
//! * Daylight saving falls out of this: a spring-forward gap is a stretch of
//!   local time that no real second maps to, and a fall-back hour is mapped
//!   to twice, once from each side of the change.
//!
//! The offset changes of a zone are found once per zone and process (see
//! `zone_table`), so every query costs a few binary searches plus a walk
//! over the offset changes it crosses (twice a year in a DST zone).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;

/// Seconds in a (naive, local) day.
const DAY: i64 = 86_400;

/// Instants are handled in `[-LIMIT, LIMIT]` (about ±73 billion years).
/// Clamping there keeps every intermediate sum far from `i64` overflow:
/// local instants differ from real ones by at most a day, and open-second
/// counts never exceed the length of the stretch they count.
const LIMIT: i64 = 1 << 61;

/// The last local day number the forward search may reach.
const MAX_DAY: i64 = LIMIT / DAY + 2;

/// chrono-tz 0.10 tabulates offset changes from 1845 to 2099 and keeps the
/// first and last offsets constant outside its table, so scanning
/// 1840–2103 finds every change the library knows of.
const SCAN_START: i64 = -4_100_000_000;
const SCAN_END: i64 = 4_200_000_000;

/// Probe spacing of the scan. The closest pair of offset changes in the
/// tz database bundled with chrono-tz 0.10 is 6.96 days apart, so a 4-day
/// step sees every change as a difference between neighbouring probes.
const SCAN_STEP: i64 = 4 * DAY;

/// Days from 0001-01-01 (chrono's "common era" day 1) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// The UTC-offset changes of one zone: the offset before the first change,
/// then `(instant, offset from that instant on)` sorted by instant.
#[derive(Debug)]
struct ZoneTable {
    initial: i32,
    changes: Vec<(i64, i32)>,
}

/// A business calendar: a time zone, sorted open intervals for each weekday
/// and closed local dates.
#[derive(Clone, Debug)]
pub struct Calendar {
    /// Normalised open intervals, seconds after local midnight, Monday first.
    hours: [Vec<(i64, i64)>; 7],
    /// `week_prefix[k]` = open seconds of weekdays `0..k`; `[7]` is the week.
    week_prefix: [i64; 8],
    /// Closed local dates as day numbers since 1970-01-01, sorted, unique.
    closed: Vec<i64>,
    /// `closed_prefix[k]` = open seconds the first `k` closed dates remove.
    closed_prefix: Vec<i64>,
    zone: Arc<ZoneTable>,
}

impl Calendar {
    /// Builds a calendar.
    ///
    /// `hours[0]` is Monday … `hours[6]` Sunday; each `(start, end)` is
    /// seconds after local midnight with `0 <= start < end <= 86400`. The
    /// caller validates sorting and overlap; anything else is tolerated:
    /// bounds are clamped to the day, empty intervals dropped and
    /// overlapping ones merged, so the open set is their union.
    /// `closed` lists local dates on which the calendar is closed all day.
    pub fn new(tz: Tz, hours: [Vec<(u32, u32)>; 7], closed: Vec<NaiveDate>) -> Calendar {
        let hours = hours.map(|day| normalise_day(&day));
        let mut week_prefix = [0_i64; 8];
        let mut running = 0_i64;
        for (slot, day) in week_prefix.iter_mut().skip(1).zip(hours.iter()) {
            running += day_length(day);
            *slot = running;
        }
        let mut closed: Vec<i64> = closed
            .iter()
            .map(|d| i64::from(d.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE)
            .collect();
        closed.sort_unstable();
        closed.dedup();
        let mut calendar = Calendar {
            hours,
            week_prefix,
            closed,
            closed_prefix: Vec::new(),
            zone: zone_table(tz),
        };
        let mut removed = 0_i64;
        let mut prefix = Vec::with_capacity(calendar.closed.len() + 1);
        prefix.push(0);
        for &day in &calendar.closed {
            removed += calendar.day_total(weekday(day));
            prefix.push(removed);
        }
        calendar.closed_prefix = prefix;
        calendar
    }

    /// Open (business) seconds in the real interval `[from, to)`; 0 if
    /// `to <= from`. Instants beyond ±2^61 s are clamped to that range.
    pub fn open_seconds(&self, from: i64, to: i64) -> i64 {
        let from = from.clamp(-LIMIT, LIMIT);
        let to = to.clamp(-LIMIT, LIMIT);
        let mut total = 0_i64;
        let mut t = from;
        // Each pass covers one stretch of constant UTC offset; the stretch
        // ends strictly after `t`, so the loop always makes progress.
        while t < to {
            let (offset, end) = self.period(t);
            let stop = match end {
                Some(e) if e < to => e,
                _ => to,
            };
            total += self.cumulative(stop + offset) - self.cumulative(t + offset);
            t = stop;
        }
        total
    }

    /// Earliest instant `t >= from` with `open_seconds(from, t) == amount`.
    ///
    /// `amount <= 0` gives `from`. `None` when the calendar never
    /// accumulates that much: it has no open time in any week, or the answer
    /// lies beyond the supported range (±2^61 s, also for `from`). The
    /// search is exact however far ahead the answer is; its cost grows with
    /// the offset changes and closed dates crossed, not with time elapsed.
    pub fn advance(&self, from: i64, amount: i64) -> Option<i64> {
        if amount <= 0 {
            return Some(from);
        }
        if !(-LIMIT..=LIMIT).contains(&from) || self.week_total() == 0 {
            return None;
        }
        let mut remaining = amount;
        let mut t = from;
        loop {
            let (offset, end) = self.period(t);
            let local = t + offset;
            match end {
                Some(e) => {
                    let available = self.cumulative(e + offset) - self.cumulative(local);
                    if available >= remaining {
                        // Reached inside this stretch, so the local answer is
                        // at most `e + offset` and maps back to at most `e`.
                        return self.local_advance(local, remaining).map(|y| y - offset);
                    }
                    remaining -= available;
                    t = e;
                }
                None => {
                    let real = self.local_advance(local, remaining)? - offset;
                    return (real <= LIMIT).then_some(real);
                }
            }
        }
    }

    /// Open seconds of weekday `wd` (0 = Monday) when not closed.
    fn day_total(&self, wd: usize) -> i64 {
        let start = self.week_prefix.get(wd).copied().unwrap_or(0);
        let end = self.week_prefix.get(wd + 1).copied().unwrap_or(start);
        end - start
    }

    fn week_total(&self) -> i64 {
        self.week_prefix.get(7).copied().unwrap_or(0)
    }

    fn is_closed(&self, day: i64) -> bool {
        self.closed.binary_search(&day).is_ok()
    }

    /// The UTC offset in force at real instant `t` and the instant of the
    /// next offset change (`None`: no change after `t`).
    fn period(&self, t: i64) -> (i64, Option<i64>) {
        let changes = &self.zone.changes;
        let idx = changes.partition_point(|&(at, _)| at <= t);
        let offset = match idx.checked_sub(1).and_then(|i| changes.get(i)) {
            Some(&(_, offset)) => offset,
            None => self.zone.initial,
        };
        (i64::from(offset), changes.get(idx).map(|&(at, _)| at))
    }

    /// Open seconds on the naive local timeline before local instant `x`,
    /// counted from an arbitrary fixed origin (only differences matter).
    fn cumulative(&self, x: i64) -> i64 {
        let day = x.div_euclid(DAY);
        let before = self.days_before(day);
        if self.is_closed(day) {
            before
        } else {
            before + partial_day(self.day_hours(weekday(day)), x.rem_euclid(DAY))
        }
    }

    /// Open seconds of all local days before `day` (same origin as
    /// [`Calendar::cumulative`]).
    fn days_before(&self, day: i64) -> i64 {
        // Day -3 (1969-12-29) is a Monday, so `day + 3` counts whole weeks
        // from a Monday and its remainder is the weekday.
        let shifted = day + 3;
        let weeks = shifted.div_euclid(7);
        let wd = usize::try_from(shifted.rem_euclid(7)).unwrap_or(0);
        let week_part = weeks.saturating_mul(self.week_total());
        let weekday_part = self.week_prefix.get(wd).copied().unwrap_or(0);
        let closed_before = self.closed.partition_point(|&c| c < day);
        let removed = self.closed_prefix.get(closed_before).copied().unwrap_or(0);
        week_part.saturating_add(weekday_part) - removed
    }

    fn day_hours(&self, wd: usize) -> &[(i64, i64)] {
        self.hours.get(wd).map_or(&[], Vec::as_slice)
    }

    /// Smallest local instant `y >= x` with `cumulative(y) - cumulative(x)
    /// == amount` (`amount >= 1`), or `None` past the supported range.
    fn local_advance(&self, x: i64, amount: i64) -> Option<i64> {
        let week = self.week_total();
        if week <= 0 {
            return None;
        }
        let first_day = x.div_euclid(DAY);
        let mut remaining = amount;
        if !self.is_closed(first_day) {
            let hours = self.day_hours(weekday(first_day));
            match reach_in_day(hours, x.rem_euclid(DAY), remaining) {
                Ok(sec) => return Some(first_day * DAY + sec),
                Err(left) => remaining = left,
            }
        }
        let mut day = first_day + 1;
        loop {
            if day > MAX_DAY {
                return None;
            }
            if remaining > week {
                // Whole weeks that cannot finish the job even if nothing in
                // them were closed: skip them in one step. Closed dates only
                // shrink what they give, so `remaining` stays >= 1 and the
                // answer is never skipped over.
                let weeks = (remaining - 1) / week;
                let next = day.checked_add(weeks.checked_mul(7)?)?.min(MAX_DAY + 1);
                remaining -= self.days_before(next) - self.days_before(day);
                day = next;
                continue;
            }
            // Fewer than a week's worth left: at most seven open days (plus
            // closed ones, each passed once) separate us from the answer.
            if !self.is_closed(day) {
                let hours = self.day_hours(weekday(day));
                match reach_in_day(hours, 0, remaining) {
                    Ok(sec) => return Some(day * DAY + sec),
                    Err(left) => remaining = left,
                }
            }
            day += 1;
        }
    }
}

/// Weekday of a day number since 1970-01-01 (a Thursday), Monday = 0.
fn weekday(day: i64) -> usize {
    usize::try_from((day + 3).rem_euclid(7)).unwrap_or(0)
}

/// Clamps, drops empty, sorts and merges one day's intervals so that later
/// arithmetic can rely on disjoint, ordered intervals inside the day.
fn normalise_day(raw: &[(u32, u32)]) -> Vec<(i64, i64)> {
    let mut intervals: Vec<(i64, i64)> = raw
        .iter()
        .map(|&(s, e)| (i64::from(s).min(DAY), i64::from(e).min(DAY)))
        .filter(|&(s, e)| s < e)
        .collect();
    intervals.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(intervals.len());
    for (start, end) in intervals {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

fn day_length(hours: &[(i64, i64)]) -> i64 {
    hours.iter().map(|&(s, e)| e - s).sum()
}

/// Open seconds of a day's intervals before second `sec` of that day.
fn partial_day(hours: &[(i64, i64)], sec: i64) -> i64 {
    hours
        .iter()
        .take_while(|&&(start, _)| start < sec)
        .map(|&(start, end)| end.min(sec) - start)
        .sum()
}

/// Walks one day's intervals from second `from`: `Ok(second)` where
/// `amount` open seconds have accumulated, else `Err(amount still left)`.
fn reach_in_day(hours: &[(i64, i64)], from: i64, amount: i64) -> Result<i64, i64> {
    let mut remaining = amount;
    for &(start, end) in hours {
        if end <= from {
            continue;
        }
        let begin = start.max(from);
        let length = end - begin;
        if remaining <= length {
            return Ok(begin + remaining);
        }
        remaining -= length;
    }
    Err(remaining)
}

/// Total UTC offset (seconds east) of `tz` at real instant `t`.
fn offset_at(tz: Tz, t: i64) -> i32 {
    DateTime::from_timestamp(t, 0).map_or(0, |dt| {
        tz.offset_from_utc_datetime(&dt.naive_utc())
            .fix()
            .local_minus_utc()
    })
}

/// The offset changes of `tz`, computed once per zone per process: the scan
/// costs some ten thousand zone look-ups, which is cheap once but would
/// dominate if every calendar (or every test case) repeated it.
fn zone_table(tz: Tz) -> Arc<ZoneTable> {
    static CACHE: OnceLock<Mutex<HashMap<Tz, Arc<ZoneTable>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    // A poisoned lock only means another thread panicked mid-insert; the map
    // holds complete tables or nothing, so it is still safe to use.
    let mut map = cache.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(map.entry(tz).or_insert_with(|| Arc::new(scan_zone(tz))))
}

/// Finds the offset changes of `tz` by probing every [`SCAN_STEP`] and
/// bisecting to the exact second wherever two probes disagree.
fn scan_zone(tz: Tz) -> ZoneTable {
    let initial = offset_at(tz, SCAN_START);
    let mut changes = Vec::new();
    let mut current = initial;
    let mut t = SCAN_START;
    while t < SCAN_END {
        let probe = t + SCAN_STEP;
        if offset_at(tz, probe) == current {
            t = probe;
            continue;
        }
        // Invariant: the offset is `current` at `lo` and differs at `hi`.
        let (mut lo, mut hi) = (t, probe);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if offset_at(tz, mid) == current {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        current = offset_at(tz, hi);
        changes.push((hi, current));
        // Resume from the change itself: a second change may follow before
        // `probe`, and the next probe compares against the new offset.
        t = hi;
    }
    ZoneTable { initial, changes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nine_to_five() -> [Vec<(u32, u32)>; 7] {
        let day = vec![(9 * 3600, 17 * 3600)];
        [
            day.clone(),
            day.clone(),
            day.clone(),
            day.clone(),
            day,
            vec![],
            vec![],
        ]
    }

    #[test]
    fn normalise_merges_and_clamps() {
        let got = normalise_day(&[(500, 400), (100, 200), (150, 300), (300, 90_000)]);
        assert_eq!(got, vec![(100, DAY)]);
    }

    #[test]
    fn utc_week() {
        let cal = Calendar::new(Tz::UTC, nine_to_five(), vec![]);
        // 2026-11-02 is a Monday.
        let monday = 1_793_577_600;
        assert_eq!(cal.open_seconds(monday, monday + 7 * DAY), 5 * 8 * 3600);
        assert_eq!(cal.advance(monday, 8 * 3600), Some(monday + 17 * 3600));
        assert_eq!(
            cal.advance(monday, 8 * 3600 + 1),
            Some(monday + DAY + 9 * 3600 + 1)
        );
    }

    #[test]
    fn empty_calendar_never_advances() {
        let cal = Calendar::new(Tz::UTC, Default::default(), vec![]);
        assert_eq!(cal.advance(0, 1), None);
        assert_eq!(cal.advance(0, 0), Some(0));
        assert_eq!(cal.open_seconds(0, 10 * DAY), 0);
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let cal = Calendar::new(chrono_tz::America::New_York, nine_to_five(), vec![]);
        assert!(cal.open_seconds(i64::MIN, i64::MAX) > 0);
        assert_eq!(cal.advance(i64::MAX, 1), None);
        assert_eq!(cal.advance(0, i64::MAX), None);
        assert!(cal.advance(i64::MIN / 2, 3600).is_none());
        assert!(cal.advance(-LIMIT, 3600).is_some());
    }
}
