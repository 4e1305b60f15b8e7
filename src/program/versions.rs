//! The versions of one policy, and which one is in force on a date
//! (LANGUAGE.md §1). Version resolution lives here once: the façade, the
//! clawback engine (a version per deal) and the test runner all use it.

use std::sync::Arc;

use chrono::NaiveDate;

use super::Program;

/// Compiled versions of one policy, ordered by version number.
#[derive(Debug, Clone, Default)]
pub struct Versions {
    programs: Vec<Arc<Program>>,
}

impl Versions {
    /// Versions from programs in any order; they are sorted by version.
    pub fn new(mut programs: Vec<Arc<Program>>) -> Versions {
        programs.sort_by_key(|p| p.version);
        Versions { programs }
    }

    /// The version in force on `date`: the greatest effective date ≤ `date`.
    pub fn in_force(&self, date: NaiveDate) -> Option<&Arc<Program>> {
        self.programs.iter().rev().find(|p| p.effective <= date)
    }

    /// A specific version.
    pub fn version(&self, v: i64) -> Option<&Arc<Program>> {
        self.programs.iter().find(|p| p.version == v)
    }

    /// The latest version.
    pub fn latest(&self) -> Option<&Arc<Program>> {
        self.programs.last()
    }

    /// Every version, by version number.
    pub fn all(&self) -> &[Arc<Program>] {
        &self.programs
    }

    /// The policy's time zone: the latest version's (UTC when empty). It
    /// decides what "today" is when the caller gives no date.
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.latest().map_or(chrono_tz::UTC, |p| p.timezone)
    }

    /// The policy's name (empty when there is no version).
    pub fn name(&self) -> &str {
        self.latest().map_or("", |p| p.name.as_str())
    }
}
