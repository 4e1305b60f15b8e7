//! The façade: [`Policy`] (one checked policy file) and [`PolicySet`] (the
//! versions of one policy), with one entry point per domain, each taking
//! an options struct. Everything a service or the command line evaluates
//! goes through here; the layers below are private to the crate.

mod condition;
mod load;
mod options;
pub(crate) mod run;
mod set;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

pub use condition::Condition;
pub(crate) use load::render_all;
pub use load::{
    format_policy, policy_files, policy_paths, read_policy_file, FormatError, LoadError,
    PolicyFileError, MAX_POLICY_BYTES,
};
pub use options::{At, ClawbackOptions, EvalOptions, ResolveError};
pub use run::{RunError, RunStats, SlaError, Summary};
pub use set::{BookedLedger, PolicySet, Resolved};

use crate::diag::Diagnostic;
use crate::health::{HealthScore, Scorecard};
use crate::program::eval::EvalError;
use crate::program::handoff::Event;
use crate::program::Program;
use crate::qualify::Decision;
use crate::record::{Record, RecordBatch, RecordError, Schema};
use crate::sla::{HandoffStatus, InstanceError};
use crate::testing::TestOutcome;
use crate::value::Currency;

/// The kinds of block a policy evaluates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Block {
    /// `qualify`: stages and scores of a lead.
    Qualify,
    /// `health`: a customer's scorecard.
    Health,
    /// `handoff`: SLA clocks of handoff instances.
    Handoff,
    /// `commission`: the clawback ledger.
    Commission,
}

impl Block {
    /// The block's keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Block::Qualify => "qualify",
            Block::Health => "health",
            Block::Handoff => "handoff",
            Block::Commission => "commission",
        }
    }
}

/// A checked, compiled policy file. Immutable, `Send + Sync`, and cheap to
/// clone and share between threads.
///
/// ```
/// use baton::{EvalOptions, NaiveDate, Policy};
/// let src = r#"policy "leads" version 1 effective 2026-01-01
///   currency USD
/// record lead key id { id: text  seats: int  budget: money? }
/// score fit for lead { add 30 when seats >= 50 }
/// qualify lead { stage MQL when fit >= 30 and budget >= 1_000 USD }"#;
/// let policy: Policy = src.parse().unwrap();
/// assert_eq!(policy.version(), 1);
///
/// let lead = policy.record_for_qualify(&serde_json::json!({"id": "L-1", "seats": 80})).unwrap();
/// let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
/// let d = policy.qualify(&lead, &EvalOptions::on(day)).unwrap();
/// assert_eq!(d.stage, None); // the budget is unknown, so MQL is too
/// assert_eq!(d.stages, vec![("MQL".to_string(), None)]);
/// assert_eq!(d.scores[0].1.to_string(), "30");
/// ```
#[derive(Debug, Clone)]
pub struct Policy {
    program: Arc<Program>,
    warnings: Arc<[Diagnostic]>,
}

impl Policy {
    /// Parses and checks a policy from source text. `file` names it in
    /// diagnostics. A byte order mark opening the text is skipped, as it is
    /// in a file.
    pub fn from_source(file: &str, source: &str) -> Result<Policy, LoadError> {
        // A byte order mark is not text, from a file or from a string.
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        let (program, warnings) =
            crate::check::compile(file, source).map_err(|d| LoadError::single(file, source, d))?;
        Ok(Policy {
            program: Arc::new(program),
            warnings: warnings.into(),
        })
    }

    /// Reads, parses and checks a policy file.
    pub fn from_file(path: &Path) -> Result<Policy, LoadError> {
        let (name, source) = load::read_source(path)?;
        Policy::from_source(&name, &source)
    }

    pub(crate) fn program(&self) -> &Arc<Program> {
        &self.program
    }

    /// Policy name.
    pub fn name(&self) -> &str {
        &self.program.name
    }

    /// Version.
    pub fn version(&self) -> i64 {
        self.program.version
    }

    /// Effective date.
    pub fn effective(&self) -> NaiveDate {
        self.program.effective
    }

    /// The policy's time zone (`UTC` unless the header names one).
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.program.timezone
    }

    /// The currency of bare money input, when the header declares one.
    pub fn currency(&self) -> Option<Currency> {
        self.program.currency
    }

    /// The file name the policy was loaded as.
    pub fn file(&self) -> &str {
        &self.program.file
    }

    /// The policy's source text.
    pub fn source(&self) -> &str {
        &self.program.source
    }

    /// Warnings found while checking.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The warnings rendered rustc-style against the source.
    pub fn render_warnings(&self) -> String {
        let sources = [(
            Arc::clone(&self.program.file),
            Arc::clone(&self.program.source),
        )];
        render_all(&self.warnings, &sources)
    }

    /// Whether the policy has a block of this kind.
    pub fn has(&self, block: Block) -> bool {
        let p = &self.program;
        match block {
            Block::Qualify => p.qualify.is_some(),
            Block::Health => p.health.is_some(),
            Block::Handoff => !p.handoffs.is_empty(),
            Block::Commission => p.commission.is_some(),
        }
    }

    /// A declared record type, by name.
    pub fn schema(&self, record: &str) -> Option<&Schema> {
        self.program
            .records
            .iter()
            .find(|s| s.name == record)
            .map(|s| &**s)
    }

    /// The record type the `qualify` block decides on.
    pub fn qualify_schema(&self) -> Option<&Schema> {
        let q = self.program.qualify.as_ref()?;
        self.program.records.get(q.record).map(|s| &**s)
    }

    /// The record type the `health` block scores.
    pub fn health_schema(&self) -> Option<&Schema> {
        let h = self.program.health.as_ref()?;
        self.program.records.get(h.record).map(|s| &**s)
    }

    /// Converts a JSON object into a record of the `qualify` block's type.
    pub fn record_for_qualify(&self, v: &serde_json::Value) -> Result<Record, RecordError> {
        let s = self
            .qualify_schema()
            .ok_or_else(|| RecordError::Malformed {
                message: "the policy has no `qualify` block".into(),
            })?;
        s.from_json(v)
    }

    /// Converts a JSON object into a record of the `health` block's type.
    pub fn record_for_health(&self, v: &serde_json::Value) -> Result<Record, RecordError> {
        let s = self.health_schema().ok_or_else(|| RecordError::Malformed {
            message: "the policy has no `health` block".into(),
        })?;
        s.from_json(v)
    }

    /// Qualifies one lead: its scores, then its stages (LANGUAGE.md §5). A
    /// record built for another record type is an error
    /// ([`EvalError::WrongRecord`]).
    pub fn qualify(&self, record: &Record, options: &EvalOptions) -> Result<Decision, EvalError> {
        crate::qualify::qualify(&self.program, record, options.today, options.explain)
    }

    /// Scores one customer's health (LANGUAGE.md §6).
    ///
    /// ```
    /// use baton::{EvalOptions, NaiveDate, Policy};
    /// let p: Policy = r#"policy "h" version 1 effective 2026-01-01
    /// record customer key id { id: text  logins: int }
    /// health customer {
    ///   measure usage weight 1 { 100 when logins >= 10  else 20 }
    ///   band healthy when score >= 75
    ///   band at_risk otherwise
    /// }"#.parse().unwrap();
    /// let c = p.record_for_health(&serde_json::json!({"id": "C-1", "logins": 3})).unwrap();
    /// let card = p.health(&c, &EvalOptions::on(NaiveDate::from_ymd_opt(2026, 11, 2).unwrap())).unwrap();
    /// assert_eq!(card.band.as_deref(), Some("at_risk"));
    /// assert_eq!(card.score.unwrap().to_string(), "20.00");
    /// ```
    pub fn health(&self, record: &Record, options: &EvalOptions) -> Result<Scorecard, EvalError> {
        crate::health::health(&self.program, record, options.today, options.explain)
    }

    /// Score and band of every record of a batch, in order, without
    /// building a scorecard: the form for many prepared records.
    ///
    /// ```
    /// use baton::{NaiveDate, Policy, RecordBatch};
    /// let p: Policy = r#"policy "h" version 1 effective 2026-01-01
    /// record customer key id { id: text  logins: int }
    /// health customer {
    ///   measure usage weight 1 { 100 when logins >= 10  else 20 }
    ///   band healthy when score >= 75
    ///   band at_risk otherwise
    /// }"#.parse().unwrap();
    /// let schema = p.health_schema().unwrap();
    /// let mut batch = RecordBatch::new(schema);
    /// for logins in [3, 30] {
    ///     batch.push(schema.builder().set("id", "C").set("logins", logins).build()?)?;
    /// }
    /// let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    /// let bands: Vec<_> = p.health_each(&batch, day).map(|h| h.unwrap().band).collect();
    /// assert_eq!(bands, [Some("at_risk"), Some("healthy")]);
    /// # Ok::<(), baton::RecordError>(())
    /// ```
    pub fn health_each<'a>(
        &'a self,
        batch: &'a RecordBatch,
        today: NaiveDate,
    ) -> impl Iterator<Item = Result<HealthScore<'a>, EvalError>> + 'a {
        let fits = self.health_schema().is_some_and(|s| batch.is_of(s));
        let program = &*self.program;
        // Computed once for the batch, when a `let` uses `today`.
        let computed = program.lets.computed_on(today);
        batch.iter().map(move |fields| {
            if !fits {
                return Err(EvalError::WrongRecord(
                    "the batch was built for another record type than the `health` block's".into(),
                ));
            }
            let lets = computed.as_deref().unwrap_or(program.lets.fixed());
            let s = crate::health::health_slots(program, fields, (today, lets))?;
            let bands = program.health.as_ref().map_or(&[][..], |h| &h.bands[..]);
            Ok(HealthScore {
                score: s.score,
                band: s.band.and_then(|i| bands.get(i)).map(|b| b.name.as_str()),
            })
        })
    }

    /// The status of one handoff instance at instant `at`, from its events
    /// (LANGUAGE.md §7; events later than `at` do not count yet).
    ///
    /// ```
    /// use baton::{DateTime, Event, Policy};
    /// let p: Policy = r#"policy "h" version 1 effective 2026-01-01
    /// record note key id { id: text  risks: text? }
    /// handoff onboarding note note {
    ///   requires risks
    ///   sla first_response within 4h met by "replied"
    /// }"#.parse().unwrap();
    /// let events: Vec<Event> = [
    ///     r#"{"handoff": "H-1", "block": "onboarding", "type": "opened", "at": "2026-11-06T09:00:00Z", "note": {"id": "H-1"}}"#,
    ///     r#"{"handoff": "H-1", "type": "replied", "at": "2026-11-06T12:00:00Z"}"#,
    /// ]
    /// .iter()
    /// .enumerate()
    /// .map(|(i, line)| Event::from_json(i + 1, &serde_json::from_str(line).unwrap()).1.unwrap())
    /// .collect();
    /// let at = DateTime::parse_from_rfc3339("2026-11-07T00:00:00Z").unwrap().to_utc();
    /// let status = p.sla("H-1", &events, at).unwrap();
    /// assert_eq!(status.goals[0].1.state, "met");
    /// assert_eq!(status.note.missing, ["risks"]);
    /// ```
    pub fn sla(
        &self,
        handoff: &str,
        events: &[Event],
        at: DateTime<Utc>,
    ) -> Result<HandoffStatus, InstanceError> {
        crate::sla::evaluate_instance(&self.program, handoff, events, at.timestamp())
    }

    /// Runs the policy's `test` blocks (LANGUAGE.md §9).
    ///
    /// ```
    /// let p: baton::Policy = r#"policy "p" version 1 effective 2026-01-01
    /// record lead key id { id: text  seats: int }
    /// qualify lead { stage big when seats >= 50 }
    /// test "a big lead" { given lead { id: "a", seats: 80 }  expect stage big }
    /// test "a small lead" { given lead { id: "b", seats: 8 }  expect stage big }"#.parse().unwrap();
    /// let outcomes = p.run_tests();
    /// assert!(outcomes[0].passed());
    /// assert!(!outcomes[1].passed()); // expected `big`, got none
    /// ```
    pub fn run_tests(&self) -> Vec<TestOutcome> {
        crate::testing::run_tests(&self.program)
    }

    /// The stages of the `qualify` block, in declared order (empty
    /// without one).
    pub fn stage_names(&self) -> Vec<String> {
        self.program
            .qualify
            .as_ref()
            .map(|q| q.stages.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default()
    }

    /// The bands of the `health` block, in declared order (empty without
    /// one).
    pub fn band_names(&self) -> Vec<String> {
        self.program
            .health
            .as_ref()
            .map(|h| h.bands.iter().map(|b| b.name.clone()).collect())
            .unwrap_or_default()
    }

    /// The output columns of a block's results in CSV (CLI.md): fixed
    /// columns, one per stage and score (qualify), per measure (health) or
    /// per goal field (handoff), then `error` and `line`.
    pub fn columns(&self, block: Block) -> Vec<String> {
        let mut columns = match block {
            Block::Qualify => crate::qualify::columns(&self.program),
            Block::Health => crate::health::columns(&self.program),
            Block::Handoff => crate::sla::columns(&self.program),
            Block::Commission => crate::clawback::COLUMNS.map(String::from).to_vec(),
        };
        if block != Block::Commission {
            columns.extend(["error", "line"].map(String::from));
        }
        columns
    }
}

impl FromStr for Policy {
    type Err = LoadError;
    fn from_str(s: &str) -> Result<Policy, LoadError> {
        Policy::from_source("<policy>", s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;

    #[test]
    fn policies_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Policy>();
        assert_send_sync::<PolicySet>();
    }

    #[test]
    fn a_directory_that_breaks_the_rules_names_each_file() {
        let a = r#"policy "p" version 1 effective 2026-07-01"#;
        let b = r#"policy "p" version 2 effective 2026-01-01"#;
        let c = r#"policy "q" version 3 effective 2026-09-01"#;
        let e =
            PolicySet::from_sources(&[("a.baton", a), ("b.baton", b), ("c.baton", c)]).unwrap_err();
        let files: Vec<&str> = e.diagnostics.iter().map(|d| &*d.file).collect();
        assert!(
            files.contains(&"b.baton") && files.contains(&"c.baton"),
            "{files:?}"
        );
        assert!(e.diagnostics.iter().all(|d| d.code == Code::E0501));
    }

    #[test]
    fn a_byte_order_mark_opening_a_string_is_skipped() {
        let src = "policy \"p\" version 1 effective 2026-01-01\nrecord r key id { id: text }\n";
        let with_bom = format!("\u{feff}{src}");
        let p =
            Policy::from_source("p.baton", &with_bom).unwrap_or_else(|e| panic!("{}", e.render()));
        assert_eq!(p.name(), "p");
        // Positions are those of the text after the mark, as for a file.
        let bad = format!("{src}let x = 1 +\n");
        let plain = Policy::from_source("p.baton", &bad).unwrap_err().render();
        let marked = Policy::from_source("p.baton", &format!("\u{feff}{bad}"))
            .unwrap_err()
            .render();
        assert_eq!(marked, plain);
        assert!(plain.contains("p.baton:4:1"), "{plain}");
    }

    #[test]
    fn duplicate_versions_are_rejected() {
        let a = r#"policy "p" version 1 effective 2026-01-01"#;
        let b = r#"policy "p" version 1 effective 2026-02-01"#;
        assert!(PolicySet::from_sources(&[("a.baton", a), ("b.baton", b)]).is_err());
    }
}
