//! The versions of one policy, and which one evaluates at a date.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use super::load::{self, LoadError};
use super::options::{At, ClawbackOptions, ResolveError};
use super::{Block, Policy, RunError};
use crate::clawback::{Ledger, StreamOutcome, Table};
use crate::diag::{Code, Diagnostic};
use crate::program::versions::Versions;
use crate::span::Span;
use crate::syntax::ast;

/// The versions of one policy (a policy directory, or a single file).
///
/// ```
/// use baton::PolicySet;
/// use chrono::NaiveDate;
/// let v1 = r#"policy "p" version 1 effective 2026-01-01"#;
/// let v2 = r#"policy "p" version 2 effective 2026-07-01"#;
/// let set = PolicySet::from_sources(&[("v1.baton", v1), ("v2.baton", v2)]).unwrap();
/// let d = NaiveDate::from_ymd_opt(2026, 8, 1).unwrap();
/// assert_eq!(set.in_force(d).unwrap().version(), 2);
/// assert!(set.in_force(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()).is_none());
/// ```
#[derive(Debug, Clone)]
pub struct PolicySet {
    versions: Vec<Policy>,
    /// The same versions as the engines take them.
    programs: Versions,
}

impl PolicySet {
    /// One policy file as a set of one version.
    pub fn single(p: Policy) -> PolicySet {
        PolicySet::of(vec![p])
    }

    fn of(mut versions: Vec<Policy>) -> PolicySet {
        versions.sort_by_key(Policy::version);
        let programs = Versions::new(versions.iter().map(|p| Arc::clone(p.program())).collect());
        PolicySet { versions, programs }
    }

    /// Loads a `.baton` file or a directory of them: every file is checked
    /// and every problem reported at once.
    ///
    /// ```
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/commission");
    /// let set = baton::PolicySet::load(&dir).unwrap();
    /// assert_eq!(set.versions().len(), 2);
    /// assert_eq!(set.name(), set.latest().unwrap().name());
    /// ```
    pub fn load(path: &Path) -> Result<PolicySet, LoadError> {
        if !path.is_dir() {
            return Ok(PolicySet::single(Policy::from_file(path)?));
        }
        let files = load::policy_files(path)?;
        let mut sources = Vec::new();
        for f in &files {
            match load::read_source(f) {
                Ok(s) => sources.push(s),
                Err(e) => return Err(e),
            }
        }
        let refs: Vec<(&str, &str)> = sources
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_str()))
            .collect();
        if refs.is_empty() {
            let name = path.display();
            return Err(LoadError::path(
                Code::E0501,
                path,
                format!("policy directory `{name}` holds no `.baton` file"),
            ));
        }
        PolicySet::from_sources(&refs)
    }

    /// Checks several sources as the versions of one policy: same name,
    /// distinct versions, effective dates increasing strictly with the
    /// version. Every file's problems are reported at once.
    pub fn from_sources(files: &[(&str, &str)]) -> Result<PolicySet, LoadError> {
        let mut diags = Vec::new();
        let mut versions = Vec::new();
        for (name, src) in files {
            match Policy::from_source(name, src) {
                Ok(p) => versions.push(p),
                Err(e) => diags.extend(e.diagnostics),
            }
        }
        let sources: Vec<(Arc<str>, Arc<str>)> = files
            .iter()
            .map(|(n, s)| (Arc::from(*n), Arc::from(*s)))
            .collect();
        versions.sort_by_key(Policy::version);
        let header_diag = |p: &Policy, span: fn(&ast::Header) -> Span, msg: String| {
            let c = p.program();
            Diagnostic::error(Code::E0501, &c.file, &c.source, span(&c.ast.header), msg)
        };
        if let Some(first) = versions.first() {
            for p in versions.iter().skip(1) {
                if p.name() != first.name() {
                    diags.push(header_diag(p, |h| h.name.span, format!("policy `{}` in a directory of policy `{}`: every file must carry the same name", p.name(), first.name())));
                }
            }
        }
        for w in versions.windows(2) {
            if let [a, b] = w {
                if a.version() == b.version() {
                    diags.push(header_diag(
                        b,
                        |h| h.version.span,
                        format!("version {} is also declared in `{}`", b.version(), a.file()),
                    ));
                } else if b.effective() <= a.effective() {
                    diags.push(
                        header_diag(
                            b,
                            |h| h.effective.span,
                            format!(
                                "version {} takes effect {}, not after version {} ({})",
                                b.version(),
                                b.effective(),
                                a.version(),
                                a.effective()
                            ),
                        )
                        .with_help("effective dates must increase strictly with the version"),
                    );
                }
            }
        }
        if diags.iter().any(Diagnostic::is_error) {
            return Err(LoadError {
                diagnostics: diags,
                sources,
            });
        }
        Ok(PolicySet::of(versions))
    }

    /// The version in force on `date`: the greatest effective date ≤ `date`.
    pub fn in_force(&self, date: NaiveDate) -> Option<&Policy> {
        self.versions.iter().rev().find(|p| p.effective() <= date)
    }

    /// A specific version.
    pub fn version(&self, v: i64) -> Option<&Policy> {
        self.versions.iter().find(|p| p.version() == v)
    }

    /// Every version, by version number.
    pub fn versions(&self) -> &[Policy] {
        &self.versions
    }

    /// The latest version.
    pub fn latest(&self) -> Option<&Policy> {
        self.versions.last()
    }

    /// The policy's name (the latest version's).
    pub fn name(&self) -> &str {
        self.programs.name()
    }

    /// The policy's time zone: the latest version's. "Today" is a date in
    /// this zone.
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.programs.timezone()
    }

    /// The date of an instant in the policy's time zone: what "today" is
    /// at `now` (the library never reads the clock itself).
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.timezone()).date_naive()
    }

    /// The version that evaluates at `at`, and the evaluation date: a date
    /// as given, or an instant's date in the policy's time zone. `pin`
    /// names a version to use whatever the date (`--version N`).
    ///
    /// ```
    /// use baton::{NaiveDate, PolicySet, ResolveError};
    /// let set = PolicySet::from_sources(&[
    ///     ("v1.baton", r#"policy "p" version 1 effective 2026-01-01"#),
    ///     ("v2.baton", r#"policy "p" version 2 effective 2026-07-01"#),
    /// ]).unwrap();
    /// let aug = NaiveDate::from_ymd_opt(2026, 8, 1).unwrap();
    /// assert_eq!(set.resolve(aug, None).unwrap().policy.version(), 2);
    /// assert_eq!(set.resolve(aug, Some(1)).unwrap().policy.version(), 1);
    /// let early = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    /// assert!(matches!(set.resolve(early, None), Err(ResolveError::NotInForce { .. })));
    /// ```
    pub fn resolve(
        &self,
        at: impl Into<At>,
        pin: Option<i64>,
    ) -> Result<Resolved<'_>, ResolveError> {
        let date = match at.into() {
            At::Date(d) => d,
            At::Instant(t) => self.today(t),
        };
        let policy = match pin {
            Some(version) => self
                .version(version)
                .ok_or_else(|| ResolveError::NoSuchVersion {
                    policy: self.name().to_string(),
                    version,
                })?,
            None => self
                .in_force(date)
                .ok_or_else(|| ResolveError::NotInForce {
                    policy: self.name().to_string(),
                    date,
                })?,
        };
        Ok(Resolved { policy, date })
    }

    /// Like [`PolicySet::resolve`], and the version must have a `block`.
    pub fn resolve_for(
        &self,
        block: Block,
        at: impl Into<At>,
        pin: Option<i64>,
    ) -> Result<Resolved<'_>, ResolveError> {
        let r = self.resolve(at, pin)?;
        if r.policy.has(block) {
            Ok(r)
        } else {
            Err(ResolveError::NoBlock {
                policy: r.policy.name().to_string(),
                block: block.keyword(),
            })
        }
    }

    /// The versions a clawback run uses: every version, or only the pinned
    /// one. `None` when the pinned version does not exist.
    fn plan(&self, pin: Option<i64>) -> Option<std::borrow::Cow<'_, Versions>> {
        match pin {
            None => Some(std::borrow::Cow::Borrowed(&self.programs)),
            Some(v) => {
                let p = self.programs.version(v)?;
                Some(std::borrow::Cow::Owned(Versions::new(vec![Arc::clone(p)])))
            }
        }
    }

    /// Computes the adjustment ledger of `deals` and `events` (LANGUAGE.md
    /// §8): each deal under the version in force on its anchor date, or
    /// under `options.version` when pinned.
    ///
    /// ```
    /// use baton::{ClawbackOptions, NaiveDate, PolicySet, Status, Table};
    /// use serde_json::json;
    ///
    /// let plan = PolicySet::from_sources(&[("plan.baton", r#"
    /// policy "ae_plan" version 1 effective 2026-01-01
    /// commission ae {
    ///   clawback within 90 days of closed_on {
    ///     days 0 to 30: 100%
    ///     days 31 to 90: 50%
    ///   }
    /// }"#)]).unwrap();
    /// let deals = Table::from_json([json!({"deal": "D-1", "rep": "ana", "amount": "2500.00",
    ///     "currency": "USD", "deal_value": "50000", "closed_on": "2026-03-01"})]);
    /// let events = Table::from_json([json!({"event": "E-1", "deal": "D-1",
    ///     "type": "cancellation", "on": "2026-04-10"})]);
    /// let as_of = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    /// let ledger = plan.clawback(&deals, &events, &ClawbackOptions::as_of(as_of)).unwrap();
    ///
    /// let line = &ledger.lines[0];
    /// assert_eq!((line.kind.as_str(), line.status), ("clawback", Status::Applied));
    /// assert_eq!(line.amount.unwrap().to_string(), "-1250.00"); // day 40: 50% of 2500.00
    /// let summary = ledger.summary().unwrap(); // Err: a sum out of the decimal range
    /// assert_eq!(summary[0].rep, "ana");
    /// assert_eq!(summary[0].clawed_back.to_string(), "-1250.00");
    /// ```
    pub fn clawback(
        &self,
        deals: &Table,
        events: &Table,
        options: &ClawbackOptions,
    ) -> Result<Ledger, ResolveError> {
        let plan = self.clawback_plan(options)?;
        Ok(crate::clawback::run(
            &plan,
            deals,
            events,
            options.as_of,
            options.version.is_some(),
        ))
    }

    /// Streams the ledger to `out` as CSV, deals read one by one from
    /// `deals` and handled on every core; the bytes are those of
    /// [`PolicySet::clawback`] written with [`write_ledger`](crate::ledger::write_ledger).
    /// Memory holds the events, each deal's id (to refuse a repeat) and the
    /// lines still to print, not the deal rows (the README's "Clawback
    /// memory" gives the figures).
    pub fn clawback_stream<W: std::io::Write>(
        &self,
        deals: &mut crate::io::Reader,
        events: &Table,
        options: &ClawbackOptions,
        out: W,
    ) -> Result<StreamOutcome, RunError> {
        let plan = self.clawback_plan(options)?;
        let stream = stream_options(options);
        crate::clawback::stream(&plan, deals, events, stream, None, out).map_err(run_error)
    }

    /// What is still to book against a booked ledger, streamed to `out`
    /// as CSV: the bytes [`diff_posted`](crate::ledger::diff_posted) gives
    /// for the collected run, in the memory of
    /// [`PolicySet::clawback_stream`] plus the booked ledger's compact
    /// index. Error lines are not written: their explanations are in
    /// [`StreamOutcome::error_messages`]. Nothing is written when a booked
    /// amount cannot be set against the ledger ([`RunError::Posted`]).
    pub fn clawback_posted<W: std::io::Write>(
        &self,
        deals: &mut crate::io::Reader,
        events: &Table,
        options: &ClawbackOptions,
        booked: &BookedLedger,
        out: W,
    ) -> Result<StreamOutcome, RunError> {
        let plan = self.clawback_plan(options)?;
        let stream = stream_options(options);
        let run = crate::clawback::PostedRun {
            booked: &booked.index,
            lines: Box::new(|| booked.lines()),
        };
        crate::clawback::stream(&plan, deals, events, stream, Some(run), out).map_err(run_error)
    }

    fn clawback_plan(
        &self,
        options: &ClawbackOptions,
    ) -> Result<std::borrow::Cow<'_, Versions>, ResolveError> {
        let plan = self
            .plan(options.version)
            .ok_or_else(|| ResolveError::NoSuchVersion {
                policy: self.name().to_string(),
                version: options.version.unwrap_or_default(),
            })?;
        if plan.all().iter().all(|p| p.commission.is_none()) {
            return Err(ResolveError::NoBlock {
                policy: self.name().to_string(),
                block: Block::Commission.keyword(),
            });
        }
        Ok(plan)
    }
}

/// The version that evaluates at a date, and that date.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    /// The version in force (or pinned).
    pub policy: &'a Policy,
    /// The evaluation date.
    pub date: NaiveDate,
}

/// How a streamed run goes, from the caller's options.
fn stream_options(options: &ClawbackOptions) -> crate::clawback::StreamOptions {
    crate::clawback::StreamOptions {
        as_of: options.as_of,
        pinned: options.version.is_some(),
        summary: options.summary,
    }
}

fn run_error(e: crate::clawback::StreamError) -> RunError {
    match e {
        crate::clawback::StreamError::Io(e) => RunError::Ledger(e),
        crate::clawback::StreamError::Posted(e) => RunError::Posted(e),
    }
}

/// A booked ledger (`--posted`, CSV in the ledger's columns), indexed for
/// [`PolicySet::clawback_posted`]: the total booked per (deal, event,
/// kind, currency) in minor units and the line that first booked it, not
/// the lines' cells. Its file is read again at the end of a run, for the
/// cells of the lines to reverse (only when there are some).
#[derive(Debug)]
pub struct BookedLedger {
    index: crate::clawback::Booked,
    path: std::path::PathBuf,
}

impl BookedLedger {
    /// Reads and indexes the booked ledger at `path`. `Err` names the line
    /// that cannot be read, or whose key's booked lines sum past the
    /// decimal range.
    pub fn read(path: &Path) -> Result<BookedLedger, RunError> {
        // A line of a ledger baton wrote holds about 150 bytes.
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        let keys = usize::try_from(size / 160).unwrap_or(0);
        let index = crate::clawback::Booked::index(open_booked(path)?, keys)?;
        Ok(BookedLedger {
            index,
            path: path.to_path_buf(),
        })
    }

    fn lines(&self) -> Result<crate::clawback::BookedFile<'_>, crate::clawback::PostedError> {
        open_booked(&self.path)
    }
}

/// The lines of the booked ledger at `path`.
fn open_booked(
    path: &Path,
) -> Result<crate::clawback::BookedFile<'static>, crate::clawback::PostedError> {
    {
        let f = std::fs::File::open(path).map_err(|e| crate::clawback::PostedError {
            line: 0,
            message: format!("cannot read `{}`: {e}", path.display()),
        })?;
        let read: Box<dyn std::io::Read + Send> = Box::new(std::io::BufReader::new(f));
        crate::clawback::PostedLines::new(read)
    }
}
