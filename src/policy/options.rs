//! What a caller says about an evaluation: the date or instant it is for,
//! whether to explain, which version governs. The library never reads the
//! clock: "today" is always given.

use chrono::{DateTime, NaiveDate, Utc};

/// Options of [`crate::Policy::qualify`] and [`crate::Policy::health`].
///
/// ```
/// use baton::{EvalOptions, NaiveDate};
/// let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
/// let opts = EvalOptions::on(day).explained();
/// assert!(opts.explain && opts.today == day);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EvalOptions {
    /// The evaluation date: `today` in expressions.
    pub today: NaiveDate,
    /// Whether the result carries the trace of every rule (`--explain`).
    pub explain: bool,
    /// Whether a run over an input sums its aggregates
    /// ([`crate::RunStats::summary`], `--summary`).
    pub summary: bool,
}

impl EvalOptions {
    /// Evaluation on `today`, without a trace.
    pub fn on(today: NaiveDate) -> EvalOptions {
        EvalOptions {
            today,
            explain: false,
            summary: false,
        }
    }

    /// The same, with the trace of every rule.
    pub fn explained(self) -> EvalOptions {
        EvalOptions {
            explain: true,
            ..self
        }
    }

    /// The same, summing a run's aggregates.
    pub fn summarized(self) -> EvalOptions {
        EvalOptions {
            summary: true,
            ..self
        }
    }
}

/// Options of [`crate::PolicySet::clawback`].
///
/// ```
/// use baton::{ClawbackOptions, NaiveDate};
/// let opts = ClawbackOptions::as_of(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()).pinned(2);
/// assert_eq!(opts.version, Some(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClawbackOptions {
    /// The evaluation date: it decides which retention bonuses are due.
    pub as_of: NaiveDate,
    /// A version that governs every deal whatever its anchor date
    /// (`--version N`); `None`: each deal's version in force.
    pub version: Option<i64>,
    /// Whether a streamed run also sums the per-rep summary.
    pub summary: bool,
}

impl ClawbackOptions {
    /// The ledger as of a date, each deal under its version in force.
    pub fn as_of(as_of: NaiveDate) -> ClawbackOptions {
        ClawbackOptions {
            as_of,
            version: None,
            summary: false,
        }
    }

    /// The same, with one version governing every deal.
    pub fn pinned(self, version: i64) -> ClawbackOptions {
        ClawbackOptions {
            version: Some(version),
            ..self
        }
    }

    /// The same, summing the per-rep summary of a streamed run.
    pub fn with_summary(self) -> ClawbackOptions {
        ClawbackOptions {
            summary: true,
            ..self
        }
    }
}

/// When an evaluation is for: a calendar date, or an instant whose date in
/// the policy's time zone is the evaluation date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// A date, as given (`--as-of`).
    Date(NaiveDate),
    /// An instant (`--at`, or "now" for a default `--as-of`).
    Instant(DateTime<Utc>),
}

impl From<NaiveDate> for At {
    fn from(d: NaiveDate) -> At {
        At::Date(d)
    }
}

impl From<DateTime<Utc>> for At {
    fn from(t: DateTime<Utc>) -> At {
        At::Instant(t)
    }
}

/// No version of a policy can evaluate at the requested date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// `--version N` names a version the policy does not have.
    #[error("policy `{policy}` has no version {version}")]
    NoSuchVersion {
        /// The policy's name.
        policy: String,
        /// The version asked for.
        version: i64,
    },
    /// No version takes effect on or before the date.
    #[error("no version of policy `{policy}` is in force on {date}")]
    NotInForce {
        /// The policy's name.
        policy: String,
        /// The evaluation date.
        date: NaiveDate,
    },
    /// The version has no block of the kind the evaluation needs.
    #[error("policy `{policy}` has no `{block}` block")]
    NoBlock {
        /// The policy's name.
        policy: String,
        /// `qualify`, `health`, `handoff` or `commission`.
        block: &'static str,
    },
}

impl ResolveError {
    /// A stable code for services that match on it.
    pub fn code(&self) -> &'static str {
        match self {
            ResolveError::NoSuchVersion { .. } => "no_such_version",
            ResolveError::NotInForce { .. } => "not_in_force",
            ResolveError::NoBlock { .. } => "no_block",
        }
    }
}
