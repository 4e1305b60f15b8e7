//! `baton._baton`: the native half of the Python package. Policies load
//! and check here; tables arrive through the Arrow C stream interface and
//! leave as Arrow streams. The Python half (`python/baton/`) gives it its
//! Pythonic face: input normalization, pyarrow tables, pickling.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;

mod cells;
mod ffi;
mod out;
mod run;

use ffi::{read_stream, ArrowStream};
use run::Domain;

pyo3::create_exception!(
    _baton,
    PolicyError,
    pyo3::exceptions::PyValueError,
    "A policy failed its check: `diagnostics` lists every problem."
);

/// One problem found in a policy (an error or a warning).
#[pyclass(module = "baton._baton", frozen, get_all)]
#[derive(Clone)]
pub struct Diagnostic {
    /// Stable code (`E0101`).
    code: String,
    /// `error` or `warning`.
    severity: String,
    /// What is wrong.
    message: String,
    /// The file it is in.
    file: String,
    /// 1-based line.
    line: usize,
    /// 1-based column, in characters.
    column: usize,
    /// How to fix it, when known.
    help: Option<String>,
    /// The diagnostic rendered as `baton check` prints it.
    rendered: String,
}

#[pymethods]
impl Diagnostic {
    fn __repr__(&self) -> String {
        format!(
            "Diagnostic({} {} at {}:{}:{}: {})",
            self.severity, self.code, self.file, self.line, self.column, self.message
        )
    }
}

fn diagnostic(d: &baton::Diagnostic, source: &str) -> Diagnostic {
    Diagnostic {
        code: d.code.to_string(),
        severity: if d.is_error() { "error" } else { "warning" }.to_string(),
        message: d.message.clone(),
        file: d.file.to_string(),
        line: d.line,
        column: d.column,
        help: d.help.clone(),
        rendered: d.render(source),
    }
}

fn load_diagnostics(e: &baton::LoadError) -> Vec<Diagnostic> {
    e.diagnostics
        .iter()
        .map(|d| {
            let source = e
                .sources
                .iter()
                .find(|(f, _)| *f == d.file)
                .map_or("", |(_, s)| &**s);
            diagnostic(d, source)
        })
        .collect()
}

fn policy_error(py: Python<'_>, e: &baton::LoadError) -> PyErr {
    let err = PolicyError::new_err(e.to_string());
    let list = load_diagnostics(e)
        .into_iter()
        .map(|d| Py::new(py, d))
        .collect::<PyResult<Vec<_>>>()
        .and_then(|l| PyList::new(py, l));
    if let Ok(list) = list {
        let _ = err.value(py).setattr("diagnostics", list);
    }
    err
}

/// Checks policy files, policy directories and folders of them (as
/// `baton check` expands a path): every problem of every policy.
#[pyfunction]
fn check(paths: Vec<PathBuf>) -> Vec<Diagnostic> {
    let mut all = Vec::new();
    for path in paths.iter().flat_map(|p| baton::policy_paths(p)) {
        match baton::PolicySet::load(&path) {
            Ok(set) => {
                for p in set.versions() {
                    all.extend(p.warnings().iter().map(|d| diagnostic(d, p.source())));
                }
            }
            Err(e) => all.extend(load_diagnostics(&e)),
        }
    }
    all
}

/// The versions of one policy, loaded and checked.
#[pyclass(module = "baton._baton", frozen)]
pub struct PolicySet {
    set: Arc<baton::PolicySet>,
}

/// A date in the one form baton reads everywhere (`--as-of`).
fn date(text: &str) -> PyResult<baton::NaiveDate> {
    match baton::Value::from_text(baton::Type::Date, text, None) {
        Ok(baton::Value::Date(d)) => Ok(d),
        _ => Err(PyValueError::new_err(format!(
            "{text:?} is not a date (YYYY-MM-DD)"
        ))),
    }
}

/// An instant as `--at` reads it (RFC 3339 with an offset).
fn instant(text: &str) -> PyResult<baton::DateTime<baton::Utc>> {
    match baton::Value::from_text(baton::Type::Timestamp, text, None) {
        Ok(baton::Value::Timestamp(t)) => baton::DateTime::from_timestamp(t, 0),
        _ => None,
    }
    .ok_or_else(|| PyValueError::new_err(format!("{text:?} is not an RFC 3339 timestamp")))
}

fn internal(e: String) -> PyErr {
    PyRuntimeError::new_err(e)
}

fn resolve_error(e: baton::ResolveError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Every batch of an Arrow table, refused (`TypeError`) when a column
/// `wanted` holds a type baton does not read.
fn read_table(
    obj: &Bound<'_, PyAny>,
    what: &str,
    wanted: impl Fn(&str) -> bool,
) -> PyResult<(arrow_schema::SchemaRef, Vec<arrow_array::RecordBatch>)> {
    let (schema, batches) = read_stream(obj)?;
    let bad: Vec<String> = cells::unreadable(&schema, wanted).collect();
    if bad.is_empty() {
        Ok((schema, batches))
    } else {
        Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "baton cannot read the Arrow type of {what} column {}",
            bad.join(", ")
        )))
    }
}

impl PolicySet {
    fn new(set: baton::PolicySet) -> PolicySet {
        PolicySet { set: Arc::new(set) }
    }

    fn evaluate(
        &self,
        py: Python<'_>,
        domain: Domain,
        table: &Bound<'_, PyAny>,
        args: RecordArgs<'_>,
    ) -> PyResult<ArrowStream> {
        let RecordArgs {
            as_of,
            version,
            explain,
            threads,
        } = args;
        let block = match domain {
            Domain::Qualify => baton::Block::Qualify,
            Domain::Health => baton::Block::Health,
        };
        let day = date(as_of)?;
        let resolved = self
            .set
            .resolve_for(block, day, version)
            .map_err(resolve_error)?;
        let policy = resolved.policy;
        let spec = run::record_spec(policy, domain, explain);
        let record = match domain {
            Domain::Qualify => policy.qualify_schema(),
            Domain::Health => policy.health_schema(),
        };
        // Only the columns a field names are read.
        let (_, batches) = read_table(table, "the", |name| {
            record.is_some_and(|r| r.slot(name).is_some())
        })?;
        let mut options = baton::EvalOptions::on(day);
        if explain {
            options = options.explained();
        }
        let out = py
            .detach(|| {
                let threads = threads.unwrap_or_else(|| {
                    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
                });
                run::records(policy, domain, &spec, &batches, &options, threads)
            })
            .map_err(internal)?;
        Ok(ArrowStream::new(spec.schema, out))
    }
}

/// How `qualify` and `health` run.
struct RecordArgs<'a> {
    as_of: &'a str,
    version: Option<i64>,
    explain: bool,
    threads: Option<usize>,
}

#[pymethods]
impl PolicySet {
    /// Loads a `.baton` file or a policy directory.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<PolicySet> {
        baton::PolicySet::load(&path)
            .map(PolicySet::new)
            .map_err(|e| policy_error(py, &e))
    }

    /// Loads policy sources given as `(file name, text)` pairs.
    #[staticmethod]
    fn from_sources(py: Python<'_>, sources: Vec<(String, String)>) -> PyResult<PolicySet> {
        let refs: Vec<(&str, &str)> = sources
            .iter()
            .map(|(f, s)| (f.as_str(), s.as_str()))
            .collect();
        baton::PolicySet::from_sources(&refs)
            .map(PolicySet::new)
            .map_err(|e| policy_error(py, &e))
    }

    /// The `(file name, text)` of every version: what the set pickles as.
    #[getter]
    fn sources(&self) -> Vec<(String, String)> {
        self.set
            .versions()
            .iter()
            .map(|p| (p.file().to_string(), p.source().to_string()))
            .collect()
    }

    /// The policy's name.
    #[getter]
    fn name(&self) -> String {
        self.set.name().to_string()
    }

    /// The policy's time zone (IANA name): "today" is a date there.
    #[getter]
    fn timezone(&self) -> String {
        self.set.timezone().name().to_string()
    }

    /// The versions, in order.
    #[getter]
    fn versions(&self) -> Vec<i64> {
        self.set
            .versions()
            .iter()
            .map(baton::Policy::version)
            .collect()
    }

    /// The version in force on a date (`None` when none is).
    fn version_on(&self, as_of: &str) -> PyResult<Option<i64>> {
        Ok(self.set.in_force(date(as_of)?).map(baton::Policy::version))
    }

    /// The warnings of every version.
    fn warnings(&self) -> Vec<Diagnostic> {
        self.set
            .versions()
            .iter()
            .flat_map(|p| p.warnings().iter().map(|d| diagnostic(d, p.source())))
            .collect()
    }

    /// One result row per record of `table`: `kind` is `qualify` or
    /// `health`.
    #[pyo3(signature = (kind, table, as_of, version=None, explain=false, threads=None))]
    fn records(
        &self,
        kind: &str,
        table: &Bound<'_, PyAny>,
        as_of: &str,
        version: Option<i64>,
        explain: bool,
        threads: Option<usize>,
    ) -> PyResult<ArrowStream> {
        let domain = match kind {
            "qualify" => Domain::Qualify,
            "health" => Domain::Health,
            other => {
                return Err(PyValueError::new_err(format!(
                    "kind is `qualify` or `health`, not {other:?}"
                )))
            }
        };
        let args = RecordArgs {
            as_of,
            version,
            explain,
            threads,
        };
        self.evaluate(table.py(), domain, table, args)
    }

    #[pyo3(signature = (events, at, version=None))]
    fn sla(
        &self,
        py: Python<'_>,
        events: &Bound<'_, PyAny>,
        at: &str,
        version: Option<i64>,
    ) -> PyResult<ArrowStream> {
        let at = instant(at)?;
        let resolved = self
            .set
            .resolve_for(baton::Block::Handoff, at, version)
            .map_err(resolve_error)?;
        let spec = run::sla_spec(resolved.policy);
        let (_, batches) = read_table(events, "events", |_| true)?;
        let out = py
            .detach(|| run::sla(resolved.policy, &spec, &batches, at))
            .map_err(internal)?;
        Ok(ArrowStream::new(spec.schema, vec![out]))
    }

    /// The ledger and the summary (or, against `posted`, the lines still
    /// to book and the summary), and the error lines' explanations when
    /// `posted` is given (they are not lines to book).
    #[pyo3(signature = (deals, events, as_of, version=None, posted=None))]
    fn clawback(
        &self,
        py: Python<'_>,
        deals: &Bound<'_, PyAny>,
        events: &Bound<'_, PyAny>,
        as_of: &str,
        version: Option<i64>,
        posted: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(ArrowStream, ArrowStream, Vec<String>)> {
        let as_of = date(as_of)?;
        // Deal and event rows are read whole.
        let (_, deal_batches) = read_table(deals, "deals", |_| true)?;
        let (_, event_batches) = read_table(events, "events", |_| true)?;
        let posted = posted.map(posted_lines).transpose()?;
        let mut options = baton::ClawbackOptions::as_of(as_of);
        if let Some(v) = version {
            options = options.pinned(v);
        }
        let set = &self.set;
        let (ledger, summary, errors) = py
            .detach(|| {
                let deals = baton::Table::from_json(deal_batches.iter().flat_map(cells::rows));
                let events = baton::Table::from_json(event_batches.iter().flat_map(cells::rows));
                let ledger = set
                    .clawback(&deals, &events, &options)
                    .map_err(|e| e.to_string())?;
                let summary = ledger.summary().map_err(|e| e.to_string())?;
                let (lines, errors) = match &posted {
                    None => (ledger.lines, Vec::new()),
                    Some(booked) => {
                        let diff = baton::ledger::diff_posted(&ledger.lines, booked)
                            .map_err(|e| format!("posted: {e}"))?;
                        let errors = ledger
                            .lines
                            .iter()
                            .filter(|l| l.status == baton::Status::Error)
                            .map(|l| l.explanation.clone())
                            .collect();
                        (diff, errors)
                    }
                };
                Ok::<_, String>((run::ledger(&lines)?, run::summary(&summary)?, errors))
            })
            .map_err(PyValueError::new_err)?;
        Ok((
            ArrowStream::new(run::ledger_spec().schema, vec![ledger]),
            ArrowStream::new(run::summary_spec().schema, vec![summary]),
            errors,
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "PolicySet({:?}, versions={:?})",
            self.name(),
            self.versions()
        )
    }
}

/// The booked ledger `posted` names: the path of its CSV, read as
/// `--posted` reads it, or a table in the ledger's columns, its cells
/// written as that CSV's.
fn posted_lines(posted: &Bound<'_, PyAny>) -> PyResult<Vec<baton::ledger::PostedLine>> {
    let refused = |e: &dyn std::fmt::Display| PyValueError::new_err(format!("posted: {e}"));
    if posted.is_instance_of::<pyo3::types::PyString>() {
        let path: String = posted.extract()?;
        let file = std::fs::File::open(&path)
            .map_err(|e| PyValueError::new_err(format!("cannot read `{path}`: {e}")))?;
        return baton::ledger::read_posted(file)
            .map_err(|e| PyValueError::new_err(format!("{path}: {e}")));
    }
    let (schema, batches) = read_table(posted, "posted", |_| true)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(schema.fields().iter().map(|f| f.name()))
        .map_err(|e| refused(&e))?;
    for b in &batches {
        for row in 0..b.num_rows() {
            csv.write_record(b.columns().iter().map(|c| posted_cell(&**c, row)))
                .map_err(|e| refused(&e))?;
        }
    }
    let text = csv.into_inner().map_err(|e| refused(&e))?;
    baton::ledger::read_posted(text.as_slice()).map_err(|e| refused(&e))
}

/// A booked ledger's cell as CSV text; a decimal column's cell without the
/// zeros its scale adds (`-1250.0000` is `-1250`, read as -1250.00).
fn posted_cell(column: &dyn arrow_array::Array, row: usize) -> String {
    let decimal = matches!(
        column.data_type(),
        arrow_schema::DataType::Decimal128(..) | arrow_schema::DataType::Decimal256(..)
    );
    match cells::json(column, row) {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) if decimal => s
            .parse::<baton::Decimal>()
            .map_or(s, |d| d.normalize().to_string()),
        serde_json::Value::String(s) => s,
        // A whole float is an int column pandas widened for its empty
        // cells (`version`, `days_retained`): `3.0` is read as 3.
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                format!("{f:.0}")
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[pymodule]
fn _baton(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PolicySet>()?;
    m.add_class::<Diagnostic>()?;
    m.add_class::<ArrowStream>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add("PolicyError", m.py().get_type::<PolicyError>())?;
    Ok(())
}
