//! Loaded policies: the compiled, immutable form of one file
//! ([`Policy`]), and the versions of one policy in a directory
//! ([`PolicySet`]).

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::diag::{Code, Diagnostic};
use crate::eval::EvalError;
use crate::health::Scorecard;
use crate::ir;
use crate::qualify::Decision;
use crate::record::{Record, RecordError, Schema};
use crate::span::Span;
use crate::syntax::{self, ast};
use crate::value::Currency;

/// A condition compiled for evaluation and for `--explain`.
#[derive(Debug, Clone)]
pub struct CondDef {
    /// Points (score rules) or value (measure arms); zero for stages.
    pub value: Decimal,
    /// The condition.
    pub cond: ir::Expr,
    /// Its source text, whitespace folded.
    pub text: String,
    /// Record fields it mentions, by slot.
    pub fields: Vec<u16>,
    /// Scores, stages or measures it mentions, by local slot.
    pub locals: Vec<u16>,
}

/// A compiled `score` block.
#[derive(Debug, Clone)]
pub struct ScoreDef {
    /// Score name.
    pub name: String,
    /// Record type index.
    pub record: usize,
    /// Its slot among the record's locals.
    pub local: u16,
    /// Rules: points (negative for `subtract`) and conditions.
    pub rules: Vec<CondDef>,
    /// `clamp low to high`.
    pub clamp: Option<(Decimal, Decimal)>,
}

/// A compiled stage.
#[derive(Debug, Clone)]
pub struct StageDef {
    /// Stage name.
    pub name: String,
    /// Its slot among the record's locals.
    pub local: u16,
    /// Condition.
    pub cond: CondDef,
}

/// A compiled `qualify` block.
#[derive(Debug, Clone)]
pub struct QualifyDef {
    /// Record type index.
    pub record: usize,
    /// Scores of that record, in order.
    pub scores: Vec<usize>,
    /// Stages in order.
    pub stages: Vec<StageDef>,
    /// Size of the locals array.
    pub n_locals: usize,
}

/// A compiled measure.
#[derive(Debug, Clone)]
pub struct MeasureDef {
    /// Measure name.
    pub name: String,
    /// Weight (positive).
    pub weight: Decimal,
    /// Arms in order: value and condition.
    pub arms: Vec<CondDef>,
    /// The `else` value.
    pub else_value: Decimal,
    /// Its slot among the record's locals.
    pub local: u16,
}

/// A compiled band.
#[derive(Debug, Clone)]
pub struct BandDef {
    /// Band name.
    pub name: String,
    /// Condition; `None` for `otherwise`.
    pub cond: Option<ir::Expr>,
}

/// A compiled `health` block.
#[derive(Debug, Clone)]
pub struct HealthDef {
    /// Record type index.
    pub record: usize,
    /// Scores of that record, in order.
    pub scores: Vec<usize>,
    /// Measures in order.
    pub measures: Vec<MeasureDef>,
    /// Bands in order; the last is `otherwise`.
    pub bands: Vec<BandDef>,
    /// The slot of `score` among the locals.
    pub score_local: u16,
    /// Size of the locals array.
    pub n_locals: usize,
}

/// Everything the checker produced for one file.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Policy name.
    pub name: String,
    /// Version.
    pub version: i64,
    /// Effective date.
    pub effective: NaiveDate,
    /// The policy's time zone.
    pub timezone: chrono_tz::Tz,
    /// Currency of bare money input.
    pub currency: Option<Currency>,
    /// File name.
    pub file: Arc<str>,
    /// Source text.
    pub source: Arc<str>,
    /// Record types.
    pub records: Vec<Arc<Schema>>,
    /// Scores in declaration order.
    pub scores: Vec<ScoreDef>,
    /// The qualify block.
    pub qualify: Option<QualifyDef>,
    /// The health block.
    pub health: Option<HealthDef>,
    /// The syntax tree (for `baton fmt` and directory checks).
    pub ast: Arc<ast::File>,
    /// Locals (scores, stages, measures) of each record type, by record index.
    pub layouts: Vec<(usize, Vec<crate::check::LocalDef>)>,
    /// Compiled `test` blocks.
    pub tests: Vec<crate::testing::TestDef>,
    /// Business calendars.
    pub calendars: Vec<crate::sla::CalendarDef>,
    /// Handoff blocks.
    pub handoffs: Vec<crate::sla::HandoffDef>,
    /// The commission block.
    pub commission: Option<crate::clawback::CommissionDef>,
}

/// A checked, compiled policy file. Immutable, `Send + Sync`, and cheap to
/// clone and share between threads.
///
/// ```
/// use baton::Policy;
/// let src = r#"policy "leads" version 1 effective 2026-01-01
/// record lead key id { id: text  seats: int }
/// qualify lead { stage MQL when seats >= 50 }"#;
/// let policy: Policy = src.parse().unwrap();
/// assert_eq!(policy.version(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Policy {
    inner: Arc<Compiled>,
    warnings: Arc<[Diagnostic]>,
}

/// Policy loading failed: every diagnostic, with the sources to render them.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.summary())]
pub struct LoadError {
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
    /// The sources the diagnostics point into, by file name.
    pub sources: Vec<(Arc<str>, Arc<str>)>,
}

impl LoadError {
    fn summary(&self) -> String {
        let n = self.diagnostics.iter().filter(|d| d.is_error()).count();
        let first = self
            .diagnostics
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        if n > 1 {
            format!("{first} (and {} more)", n - 1)
        } else {
            first
        }
    }

    /// Renders every diagnostic rustc-style.
    pub fn render(&self) -> String {
        render_all(&self.diagnostics, &self.sources)
    }

    fn single(file: &str, source: &str, d: Vec<Diagnostic>) -> LoadError {
        LoadError {
            diagnostics: d,
            sources: vec![(Arc::from(file), Arc::from(source))],
        }
    }
}

/// Renders diagnostics against their sources.
pub fn render_all(diags: &[Diagnostic], sources: &[(Arc<str>, Arc<str>)]) -> String {
    diags
        .iter()
        .map(|d| match sources.iter().find(|(f, _)| *f == d.file) {
            Some((_, src)) => d.render(src),
            None => format!("{d}\n"),
        })
        .collect::<Vec<_>>()
        .join("")
}

impl Policy {
    /// Parses and checks a policy from source text. `file` names it in
    /// diagnostics. A byte order mark opening the text is skipped, as it is
    /// in a file.
    ///
    /// Parsing and checking recurse over nested expressions (to the limits
    /// of [`syntax::MAX_NESTING`] and [`syntax::MAX_EXPR_DEPTH`]); they run
    /// on a thread of their own with a stack large enough for those limits,
    /// so the caller's stack (a 2 MiB worker thread, a debug build) never
    /// decides whether a policy loads.
    pub fn from_source(file: &str, source: &str) -> Result<Policy, LoadError> {
        // A byte order mark is not text, from a file or from a string.
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        /// Enough for the nesting limits in a debug build (about 8 KiB a
        /// level there); only the pages touched are ever committed.
        const STACK: usize = 64 << 20;
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("baton-compile".into())
                .stack_size(STACK)
                .spawn_scoped(scope, || Policy::compile(file, source))
                .ok()
                .and_then(|handle| handle.join().ok())
        })
        // No thread to be had (or it failed): compile on this one.
        .unwrap_or_else(|| Policy::compile(file, source))
    }

    fn compile(file: &str, source: &str) -> Result<Policy, LoadError> {
        let ast = syntax::parse(file, source).map_err(|d| LoadError::single(file, source, d))?;
        let name: Arc<str> = Arc::from(file);
        let (compiled, warnings) = crate::check::check(&name, source, ast)
            .map_err(|d| LoadError::single(file, source, d))?;
        Ok(Policy {
            inner: Arc::new(compiled),
            warnings: warnings.into(),
        })
    }

    /// Reads, parses and checks a policy file.
    pub fn from_file(path: &Path) -> Result<Policy, LoadError> {
        let (name, source) = read_source(path)?;
        Policy::from_source(&name, &source)
    }

    /// The compiled policy.
    pub fn compiled(&self) -> &Compiled {
        &self.inner
    }

    /// Policy name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Version.
    pub fn version(&self) -> i64 {
        self.inner.version
    }

    /// Effective date.
    pub fn effective(&self) -> NaiveDate {
        self.inner.effective
    }

    /// The record type the `qualify` block decides on.
    pub fn qualify_schema(&self) -> Option<&Schema> {
        self.inner
            .records
            .get(self.inner.qualify.as_ref()?.record)
            .map(|s| &**s)
    }

    /// The record type the `health` block scores.
    pub fn health_schema(&self) -> Option<&Schema> {
        self.inner
            .records
            .get(self.inner.health.as_ref()?.record)
            .map(|s| &**s)
    }

    /// Converts a JSON object into a record of the `qualify` block's type.
    pub fn record_for_qualify(&self, v: &serde_json::Value) -> Result<Record, RecordError> {
        let s = self
            .qualify_schema()
            .ok_or_else(|| RecordError::Malformed("the policy has no `qualify` block".into()))?;
        s.from_json(v)
    }

    /// Converts a JSON object into a record of the `health` block's type.
    pub fn record_for_health(&self, v: &serde_json::Value) -> Result<Record, RecordError> {
        let s = self
            .health_schema()
            .ok_or_else(|| RecordError::Malformed("the policy has no `health` block".into()))?;
        s.from_json(v)
    }

    /// Qualifies one record (see [`crate::qualify::qualify`]).
    pub fn qualify(
        &self,
        r: &Record,
        today: NaiveDate,
        explain: bool,
    ) -> Result<Decision, EvalError> {
        crate::qualify::qualify(&self.inner, r, today, explain)
    }

    /// Scores one record's health (see [`crate::health::health`]).
    pub fn health(
        &self,
        r: &Record,
        today: NaiveDate,
        explain: bool,
    ) -> Result<Scorecard, EvalError> {
        crate::health::health(&self.inner, r, today, explain)
    }

    /// Warnings found while checking.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

impl FromStr for Policy {
    type Err = LoadError;
    fn from_str(s: &str) -> Result<Policy, LoadError> {
        Policy::from_source("<policy>", s)
    }
}

fn read_source(path: &Path) -> Result<(String, String), LoadError> {
    let name = path.display().to_string();
    let fail = |msg: String| {
        LoadError::single(
            &name,
            "",
            vec![Diagnostic::error(
                Code::E0004,
                &Arc::from(name.as_str()),
                "",
                Span::default(),
                msg,
            )],
        )
    };
    let mut bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read `{name}`: {e}")))?;
    // A byte order mark, as some Windows editors write, is not text.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let source = String::from_utf8(bytes).map_err(|e| {
        // Pointed at where it is: the text before the bad byte is intact.
        let at = e.utf8_error().valid_up_to();
        let shown = String::from_utf8_lossy(e.as_bytes());
        let file = Arc::from(name.as_str());
        LoadError::single(
            &name,
            &shown,
            vec![Diagnostic::error(
                Code::E0004,
                &file,
                &shown,
                Span::new(at, at + 1),
                format!("`{name}` is not valid UTF-8 here"),
            )],
        )
    })?;
    Ok((name, source))
}

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
}

impl PolicySet {
    /// One policy file as a set of one version.
    pub fn single(p: Policy) -> PolicySet {
        PolicySet { versions: vec![p] }
    }

    /// Loads a `.baton` file or a directory of them.
    pub fn load(path: &Path) -> Result<PolicySet, LoadError> {
        if !path.is_dir() {
            return Ok(PolicySet::single(Policy::from_file(path)?));
        }
        let entries = std::fs::read_dir(path).map_err(|e| {
            let name = path.display().to_string();
            LoadError::single(
                &name,
                "",
                vec![Diagnostic::error(
                    Code::E0004,
                    &Arc::from(name.as_str()),
                    "",
                    Span::default(),
                    format!("cannot read directory `{name}`: {e}"),
                )],
            )
        })?;
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "baton"))
            .collect();
        files.sort();
        let mut sources = Vec::new();
        for f in &files {
            match read_source(f) {
                Ok(s) => sources.push(s),
                Err(e) => return Err(e),
            }
        }
        let refs: Vec<(&str, &str)> = sources
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_str()))
            .collect();
        if refs.is_empty() {
            let name = path.display().to_string();
            return Err(LoadError::single(
                &name,
                "",
                vec![Diagnostic::error(
                    Code::E0501,
                    &Arc::from(name.as_str()),
                    "",
                    Span::default(),
                    format!("policy directory `{name}` holds no `.baton` file"),
                )],
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
            let c = p.compiled();
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
                        format!(
                            "version {} is also declared in `{}`",
                            b.version(),
                            a.compiled().file
                        ),
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
        Ok(PolicySet { versions })
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
