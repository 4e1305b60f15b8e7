//! Aggregates of a run, for the `--summary` of `qualify`, `health` and
//! `sla` and for `baton diff`: counts per stage or band, per version,
//! errors, the spread (min, median, max) of every score; per SLA goal its
//! states, attainment and clock time to met (in `sla`). Tallies of batches
//! merge, in any order, into the tally of the whole input.

mod sla;

pub use sla::{GoalTally, SlaTally};

use std::collections::BTreeMap;
use std::io::Write;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::health::Scorecard;
use crate::qualify::Decision;
use crate::value::format_decimal;

/// The values of one quantity over a run: how many, the least, the median
/// and the greatest. The median of an even count is the mean of the two
/// middle values (exact).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spread {
    values: Vec<Decimal>,
}

impl Spread {
    /// Adds a value.
    pub fn add(&mut self, v: Decimal) {
        self.values.push(v);
    }

    /// Adds the values of another spread.
    pub fn merge(&mut self, other: Spread) {
        self.values.extend(other.values);
    }

    /// How many values.
    pub fn count(&self) -> u64 {
        self.values.len() as u64
    }

    /// The value at or below which `p` percent of the values lie (nearest
    /// rank), `None` when empty.
    pub fn percentile(&self, p: u32) -> Option<Decimal> {
        let mut v = self.values.clone();
        v.sort_unstable();
        let n = v.len();
        let rank = (n * p as usize).div_ceil(100).max(1);
        v.get(rank - 1).copied()
    }

    /// (min, median, max), `None` when empty.
    pub fn stats(&self) -> Option<(Decimal, Decimal, Decimal)> {
        let mut v = self.values.clone();
        v.sort_unstable();
        let (min, max) = (*v.first()?, *v.last()?);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            *v.get(mid)?
        } else {
            let (a, b) = (*v.get(mid - 1)?, *v.get(mid)?);
            // a ≤ b. Of one sign, b − a cannot leave the range and
            // a + (b − a) / 2 ≤ b; of two signs, a + b cannot.
            if a.is_sign_negative() == b.is_sign_negative() {
                a.checked_add(b.checked_sub(a)? / Decimal::TWO)?
            } else {
                a.checked_add(b)? / Decimal::TWO
            }
        };
        Some((min, median, max))
    }
}

impl Serialize for Spread {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("count", &self.count())?;
        let stats = self.stats();
        let text = |f: fn(&(Decimal, Decimal, Decimal)) -> Decimal| {
            stats.as_ref().map(|s| format_decimal(f(s)))
        };
        m.serialize_entry("min", &text(|s| s.0))?;
        m.serialize_entry("median", &text(|s| s.1))?;
        m.serialize_entry("max", &text(|s| s.2))?;
        m.end()
    }
}

/// Counts by name, in first-seen order (declared order when the names are
/// seeded first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Counts(Vec<(String, u64)>);

impl Counts {
    /// Adds `n` to `name`'s count.
    pub fn add(&mut self, name: &str, n: u64) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some((_, c)) => *c += n,
            None => self.0.push((name.to_string(), n)),
        }
    }

    /// The count of `name` (0 when never counted).
    pub fn get(&self, name: &str) -> u64 {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or(0, |(_, c)| *c)
    }

    /// Every name with its count.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(k, c)| (k.as_str(), *c))
    }

    /// Adds the counts of another.
    pub fn merge(&mut self, other: Counts) {
        for (k, c) in other.0 {
            self.add(&k, c);
        }
    }
}

/// What "no stage" or "no band" is called in tallies and matrices.
pub const NONE: &str = "none";
/// What an error record is called in transition matrices.
pub const ERROR: &str = "error";

/// A `qualify` run's aggregates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QualifyTally {
    /// Records read.
    pub records: u64,
    /// Records that were errors.
    pub errors: u64,
    /// Records per final stage (`none` when no stage holds).
    pub stages: Counts,
    /// Records per policy version.
    pub versions: BTreeMap<i64, u64>,
    /// Every score's values.
    pub scores: BTreeMap<String, Spread>,
}

impl QualifyTally {
    /// A tally whose stage counts list `stages` in order, then `none`.
    pub fn with_stages<'a>(stages: impl IntoIterator<Item = &'a str>) -> QualifyTally {
        let mut t = QualifyTally::default();
        for s in stages {
            t.stages.add(s, 0);
        }
        t.stages.add(NONE, 0);
        t
    }

    /// Counts a decision.
    pub fn add(&mut self, d: &Decision) {
        self.records += 1;
        self.stages.add(d.stage.as_deref().unwrap_or(NONE), 1);
        *self.versions.entry(d.version).or_default() += 1;
        for (name, v) in &d.scores {
            match self.scores.get_mut(name.as_str()) {
                Some(s) => s.add(*v),
                None => {
                    let mut s = Spread::default();
                    s.add(*v);
                    self.scores.insert(name.clone(), s);
                }
            }
        }
    }

    /// Counts an error record.
    pub fn add_error(&mut self) {
        self.records += 1;
        self.errors += 1;
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: QualifyTally) {
        self.records += other.records;
        self.errors += other.errors;
        self.stages.merge(other.stages);
        for (v, n) in other.versions {
            *self.versions.entry(v).or_default() += n;
        }
        for (k, s) in other.scores {
            self.scores.entry(k).or_default().merge(s);
        }
    }

    /// The summary as CSV (`kind,name,count,min,median,max`).
    pub fn write_csv(&self, w: impl Write) -> std::io::Result<()> {
        let mut rows = SummaryCsv::new(w)?;
        rows.count("records", "", self.records)?;
        rows.count("errors", "", self.errors)?;
        for (k, c) in self.stages.iter() {
            rows.count("stage", k, c)?;
        }
        for (k, c) in &self.versions {
            rows.count("version", &k.to_string(), *c)?;
        }
        for (k, s) in &self.scores {
            rows.spread("score", k, s)?;
        }
        rows.finish()
    }
}

/// A `health` run's aggregates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HealthTally {
    /// Records read.
    pub records: u64,
    /// Records that were errors.
    pub errors: u64,
    /// Records per band (`none` when no band holds).
    pub bands: Counts,
    /// Records per policy version.
    pub versions: BTreeMap<i64, u64>,
    /// The scores that are known.
    pub score: Spread,
    /// Per measure, the records where it is unknown.
    pub unknown_measures: Counts,
}

impl HealthTally {
    /// A tally whose band counts list `bands` in order, then `none`.
    pub fn with_bands<'a>(bands: impl IntoIterator<Item = &'a str>) -> HealthTally {
        let mut t = HealthTally::default();
        for b in bands {
            t.bands.add(b, 0);
        }
        t.bands.add(NONE, 0);
        t
    }

    /// Counts a scorecard.
    pub fn add(&mut self, s: &Scorecard) {
        self.records += 1;
        self.bands.add(s.band.as_deref().unwrap_or(NONE), 1);
        *self.versions.entry(s.version).or_default() += 1;
        if let Some(score) = s.score {
            self.score.add(score);
        }
        for (name, v) in &s.measures {
            self.unknown_measures.add(name, u64::from(v.is_none()));
        }
    }

    /// Counts an error record.
    pub fn add_error(&mut self) {
        self.records += 1;
        self.errors += 1;
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: HealthTally) {
        self.records += other.records;
        self.errors += other.errors;
        self.bands.merge(other.bands);
        for (v, n) in other.versions {
            *self.versions.entry(v).or_default() += n;
        }
        self.score.merge(other.score);
        self.unknown_measures.merge(other.unknown_measures);
    }

    /// The summary as CSV (`kind,name,count,min,median,max`).
    pub fn write_csv(&self, w: impl Write) -> std::io::Result<()> {
        let mut rows = SummaryCsv::new(w)?;
        rows.count("records", "", self.records)?;
        rows.count("errors", "", self.errors)?;
        for (k, c) in self.bands.iter() {
            rows.count("band", k, c)?;
        }
        for (k, c) in &self.versions {
            rows.count("version", &k.to_string(), *c)?;
        }
        rows.spread("score", "", &self.score)?;
        for (k, c) in self.unknown_measures.iter() {
            rows.count("unknown_measure", k, c)?;
        }
        rows.finish()
    }
}

/// The rows of a summary CSV.
pub(crate) struct SummaryCsv<W: Write>(csv::Writer<W>);

impl<W: Write> SummaryCsv<W> {
    pub(crate) fn new(w: W) -> std::io::Result<SummaryCsv<W>> {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["kind", "name", "count", "min", "median", "max"])?;
        Ok(SummaryCsv(c))
    }

    pub(crate) fn count(&mut self, kind: &str, name: &str, n: u64) -> std::io::Result<()> {
        Ok(self
            .0
            .write_record([kind, name, &n.to_string(), "", "", ""])?)
    }

    pub(crate) fn spread(&mut self, kind: &str, name: &str, s: &Spread) -> std::io::Result<()> {
        let (min, median, max) = match s.stats() {
            Some((a, b, c)) => (format_decimal(a), format_decimal(b), format_decimal(c)),
            None => Default::default(),
        };
        Ok(self
            .0
            .write_record([kind, name, &s.count().to_string(), &min, &median, &max])?)
    }

    /// A row of one value (in the `median` column).
    pub(crate) fn value(
        &mut self,
        kind: &str,
        name: &str,
        n: u64,
        v: Option<Decimal>,
    ) -> std::io::Result<()> {
        let v = v.map(format_decimal).unwrap_or_default();
        Ok(self
            .0
            .write_record([kind, name, &n.to_string(), "", &v, ""])?)
    }

    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_spread_has_its_median_exact() {
        let mut s = Spread::default();
        assert_eq!(s.stats(), None);
        for v in ["3", "1", "2"] {
            s.add(d(v));
        }
        assert_eq!(s.stats(), Some((d("1"), d("2"), d("3"))));
        s.add(d("10"));
        assert_eq!(s.stats(), Some((d("1"), d("2.5"), d("10"))));
        let mut big = Spread::default();
        big.add(Decimal::MAX);
        big.add(Decimal::MAX);
        assert_eq!(big.stats().map(|s| s.1), Some(Decimal::MAX));
        let mut wide = Spread::default();
        wide.add(Decimal::MIN);
        wide.add(Decimal::MAX);
        assert_eq!(wide.stats().map(|s| s.1), Some(Decimal::ZERO));
    }

    #[test]
    fn a_percentile_is_the_nearest_rank() {
        let mut s = Spread::default();
        assert_eq!(s.percentile(90), None);
        for v in 1..=10 {
            s.add(Decimal::from(v));
        }
        assert_eq!(s.percentile(90), Some(d("9")));
        assert_eq!(s.percentile(100), Some(d("10")));
        assert_eq!(s.percentile(1), Some(d("1")));
        assert_eq!(s.percentile(0), Some(d("1")));
    }

    #[test]
    fn counts_keep_their_seeded_order_and_merge() {
        let mut a = Counts::default();
        a.add("SQL", 0);
        a.add("MQL", 0);
        a.add("MQL", 2);
        let mut b = Counts::default();
        b.add("none", 1);
        b.add("SQL", 1);
        a.merge(b);
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            [("SQL", 1), ("MQL", 2), ("none", 1)]
        );
        assert_eq!(a.get("other"), 0);
    }
}
