//! Reading `baton.toml` with the spans of every key and value, so that
//! each problem is reported at its file:line:col, all at once.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml_edit::{TableLike, Value};

use super::{InputDef, JobDef, JobKind, Manifest, ManifestError};
use crate::diag::{Code, Diagnostic};
use crate::io::mapping::FieldMap;
use crate::span::Span;
use crate::value::Currency;

/// The project file's name.
pub const MANIFEST: &str = "baton.toml";

/// The keys a field mapping given as a table may hold.
const FIELD_KEYS: [&str; 15] = [
    "column",
    "number",
    "lower",
    "trim",
    "true",
    "false",
    "split",
    "currency",
    "currency_column",
    "unit",
    "date_format",
    "timestamp_format",
    "timezone",
    "default",
    "value_map",
];

const JOB_KEYS: [&str; 12] = [
    "run",
    "policy",
    "input",
    "deals",
    "events",
    "as_of",
    "at",
    "version",
    "output",
    "summary",
    "posted",
    "description",
];

/// The columns the clawback engine reads of a deal row (CLI.md).
const DEAL_COLUMNS: [&str; 6] = [
    "deal",
    "rep",
    "amount",
    "currency",
    "deal_value",
    "closed_on",
];
/// The columns it reads of an event row.
const EVENT_COLUMNS: [&str; 9] = [
    "event",
    "deal",
    "type",
    "on",
    "reason",
    "lost_value",
    "added_value",
    "rep",
    "team",
];

struct Reader<'a> {
    file: Arc<str>,
    src: &'a str,
    dir: PathBuf,
    diags: Vec<Diagnostic>,
}

fn span(r: Option<Range<usize>>) -> Span {
    r.map_or(Span { start: 0, end: 0 }, |r| Span {
        start: r.start,
        end: r.end,
    })
}

/// The span of `key`'s value in `t`, else of the key, else of the table.
fn value_span(t: &dyn TableLike, key: &str) -> Span {
    let (k, item) = match t.get_key_value(key) {
        Some(kv) => kv,
        None => return Span { start: 0, end: 0 },
    };
    span(
        item.span()
            .or_else(|| item.as_value().and_then(Value::span))
            .or_else(|| k.span()),
    )
}

fn key_span(t: &dyn TableLike, key: &str) -> Span {
    span(t.get_key_value(key).and_then(|(k, _)| k.span()))
}

impl Reader<'_> {
    fn error(&mut self, at: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(
            Code::E0701,
            &self.file,
            self.src,
            at,
            message,
        ));
    }

    /// Reports every key of `t` not among `known`.
    fn unknown_keys(&mut self, t: &dyn TableLike, known: &[&str], what: &str) {
        for (k, _) in t.iter() {
            if !known.contains(&k) {
                let at = key_span(t, k);
                let hint = crate::diag::suggest(k, known.iter().copied());
                let mut d = Diagnostic::error(
                    Code::E0701,
                    &self.file,
                    self.src,
                    at,
                    format!("unknown key `{k}` in {what}"),
                );
                if let Some(h) = hint {
                    d = d.with_help(h);
                }
                self.diags.push(d);
            }
        }
    }

    fn string(&mut self, t: &dyn TableLike, key: &str, what: &str) -> Option<String> {
        let item = t.get(key)?;
        match item.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                let at = value_span(t, key);
                self.error(at, format!("`{key}` of {what} must be a string"));
                None
            }
        }
    }

    fn boolean(&mut self, t: &dyn TableLike, key: &str, what: &str) -> Option<bool> {
        let item = t.get(key)?;
        match item.as_bool() {
            Some(b) => Some(b),
            None => {
                let at = value_span(t, key);
                self.error(at, format!("`{key}` of {what} must be true or false"));
                None
            }
        }
    }

    fn strings(&mut self, t: &dyn TableLike, key: &str, what: &str) -> Vec<String> {
        let Some(item) = t.get(key) else {
            return Vec::new();
        };
        let list = item.as_array().map(|a| {
            a.iter()
                .map(|v| v.as_str().map(String::from))
                .collect::<Option<Vec<_>>>()
        });
        match list.flatten() {
            Some(v) => v,
            None => {
                let at = value_span(t, key);
                self.error(at, format!("`{key}` of {what} must be a list of strings"));
                Vec::new()
            }
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }

    fn table<'t>(&mut self, root: &'t dyn TableLike, key: &str) -> Option<&'t dyn TableLike> {
        let item = root.get(key)?;
        match item.as_table_like() {
            Some(t) => Some(t),
            None => {
                let at = value_span(root, key);
                self.error(at, format!("`{key}` must be a table"));
                None
            }
        }
    }

    fn field(&mut self, fields: &dyn TableLike, name: &str, input: &str) -> Option<FieldMap> {
        let what = format!("field `{name}` of input `{input}`");
        let item = fields.get(name)?;
        if let Some(column) = item.as_str() {
            return Some(FieldMap::plain(name, column));
        }
        let Some(t) = item.as_table_like() else {
            let at = value_span(fields, name);
            self.error(
                at,
                format!("{what} must be a column name or a table such as {{ column = \"…\" }}"),
            );
            return None;
        };
        self.unknown_keys(t, &FIELD_KEYS, &what);
        let Some(column) = self.string(t, "column", &what) else {
            if t.get("column").is_none() {
                let at = value_span(fields, name);
                self.error(at, format!("{what} has no `column`"));
            }
            return None;
        };
        let mut m = FieldMap::plain(name, &column);
        m.lower = self.boolean(t, "lower", &what).unwrap_or(false);
        m.trim = self.boolean(t, "trim", &what).unwrap_or(true);
        m.true_words = self.strings(t, "true", &what);
        m.false_words = self.strings(t, "false", &what);
        if m.lower {
            for w in m.true_words.iter_mut().chain(m.false_words.iter_mut()) {
                *w = w.to_lowercase();
            }
        }
        m.split = self.string(t, "split", &what);
        m.number = self.boolean(t, "number", &what).unwrap_or(false);
        if let Some(c) = self.string(t, "currency", &what) {
            match Currency::parse(&c) {
                Some(cur) => m.currency = Some(cur),
                None => {
                    let at = value_span(t, "currency");
                    self.error(at, format!("`{c}` is not an ISO 4217 currency code"));
                }
            }
        }
        m.currency_column = self.string(t, "currency_column", &what);
        if let Some(u) = self.string(t, "unit", &what) {
            if ["s", "m", "h", "d", "w"].contains(&u.as_str()) {
                m.unit = Some(u);
            } else {
                let at = value_span(t, "unit");
                self.error(at, format!("unit `{u}` is not one of s, m, h, d, w"));
            }
        }
        for (key, slot) in [
            ("date_format", &mut m.date_format),
            ("timestamp_format", &mut m.timestamp_format),
        ] {
            if let Some(f) = self.string(t, key, &what) {
                let bad = chrono::format::StrftimeItems::new(&f)
                    .any(|i| matches!(i, chrono::format::Item::Error));
                if bad {
                    let at = value_span(t, key);
                    self.error(at, format!("`{f}` is not a strftime format"));
                } else {
                    *slot = Some(f);
                }
            }
        }
        if let Some(z) = self.string(t, "timezone", &what) {
            match z.parse::<chrono_tz::Tz>() {
                Ok(tz) => m.timezone = Some(tz),
                Err(_) => {
                    let at = value_span(t, "timezone");
                    self.error(at, format!("`{z}` is not an IANA time zone"));
                }
            }
        }
        m.default = self.string(t, "default", &what);
        if let Some(vm) = t.get("value_map") {
            match vm.as_table_like() {
                Some(vt) => {
                    for (from, to) in vt.iter() {
                        match to.as_str() {
                            Some(to) => {
                                let from = if m.lower {
                                    from.to_lowercase()
                                } else {
                                    from.to_string()
                                };
                                m.value_map.push((from, to.to_string()));
                            }
                            None => {
                                let at = value_span(vt, from);
                                self.error(at, format!("`value_map` of {what} maps to strings"));
                            }
                        }
                    }
                }
                None => {
                    let at = value_span(t, "value_map");
                    self.error(at, format!("`value_map` of {what} must be a table"));
                }
            }
        }
        Some(m)
    }
}

/// Reads and checks the form of a manifest.
pub(super) fn load(file: &Path) -> Result<Manifest, ManifestError> {
    let name: Arc<str> = file.display().to_string().into();
    let fail = |source: Arc<str>, d: Diagnostic| ManifestError {
        file: file.to_path_buf(),
        source,
        diagnostics: vec![d],
    };
    let text = std::fs::read_to_string(file).map_err(|e| {
        let d = Diagnostic::error(
            Code::E0701,
            &name,
            "",
            Span { start: 0, end: 0 },
            format!("cannot read `{}`: {e}", file.display()),
        );
        fail("".into(), d)
    })?;
    let source: Arc<str> = text.into();
    let doc = toml_edit::Document::parse(source.as_ref()).map_err(|e| {
        let d = Diagnostic::error(
            Code::E0701,
            &name,
            &source,
            span(e.span()),
            format!("not valid TOML: {}", e.message()),
        );
        fail(source.clone(), d)
    })?;
    let dir = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut r = Reader {
        file: name,
        src: &source,
        dir,
        diags: Vec::new(),
    };
    let root: &dyn TableLike = doc.as_table();
    r.unknown_keys(root, &["policies", "inputs", "jobs"], "the project file");
    let mut policies = Vec::new();
    if let Some(t) = r.table(root, "policies") {
        for (name, _) in t.iter() {
            if let Some(p) = r.string(t, name, &format!("policy `{name}`")) {
                policies.push((name.to_string(), r.path(&p), value_span(t, name)));
            }
        }
    }
    let mut inputs = Vec::new();
    if let Some(t) = r.table(root, "inputs") {
        for (name, _) in t.iter() {
            let what = format!("input `{name}`");
            let Some(it) = r.table(t, name) else { continue };
            r.unknown_keys(it, &["path", "record", "fields", "description"], &what);
            let at = key_span(t, name);
            let Some(path) = r.string(it, "path", &what) else {
                if it.get("path").is_none() {
                    r.error(at, format!("{what} has no `path`"));
                }
                continue;
            };
            let record = r.string(it, "record", &what);
            let mut fields = Vec::new();
            let mut field_spans = Vec::new();
            if let Some(ft) = r.table(it, "fields") {
                if record.is_none() {
                    r.error(at, format!("{what} maps `fields` but names no `record`"));
                }
                for (f, _) in ft.iter() {
                    if let Some(m) = r.field(ft, f, name) {
                        field_spans.push(key_span(ft, f));
                        fields.push(m);
                    }
                }
            }
            inputs.push(InputDef {
                name: name.to_string(),
                path: r.path(&path),
                record,
                fields,
                span: at,
                field_spans,
            });
        }
    }
    let mut jobs = Vec::new();
    if let Some(t) = r.table(root, "jobs") {
        for (name, _) in t.iter() {
            let what = format!("job `{name}`");
            let Some(jt) = r.table(t, name) else { continue };
            r.unknown_keys(jt, &JOB_KEYS, &what);
            let at = key_span(t, name);
            let run = match r.string(jt, "run", &what).as_deref() {
                Some("qualify") => Some(JobKind::Qualify),
                Some("health") => Some(JobKind::Health),
                Some("sla") => Some(JobKind::Sla),
                Some("clawback") => Some(JobKind::Clawback),
                Some(other) => {
                    let s = value_span(jt, "run");
                    r.error(
                        s,
                        format!("`{other}` is not a command a job runs (qualify, health, sla, clawback)"),
                    );
                    None
                }
                None => {
                    if jt.get("run").is_none() {
                        r.error(at, format!("{what} has no `run`"));
                    }
                    None
                }
            };
            let policy_name = r.string(jt, "policy", &what);
            let policy = match &policy_name {
                Some(p) => match policies.iter().find(|(n, _, _)| n == p) {
                    Some((_, path, _)) => Some(path.clone()),
                    None => {
                        let s = value_span(jt, "policy");
                        let mut d = Diagnostic::error(
                            Code::E0701,
                            &r.file,
                            r.src,
                            s,
                            format!("{what} names policy `{p}`, which `[policies]` does not"),
                        );
                        if let Some(h) =
                            crate::diag::suggest(p, policies.iter().map(|(n, _, _)| n.as_str()))
                        {
                            d = d.with_help(h);
                        }
                        r.diags.push(d);
                        None
                    }
                },
                None => {
                    if jt.get("policy").is_none() {
                        r.error(at, format!("{what} has no `policy`"));
                    }
                    None
                }
            };
            let named_input = |r: &mut Reader<'_>, key: &str| -> Option<String> {
                let n = r.string(jt, key, &what)?;
                if !inputs.iter().any(|i: &InputDef| i.name == n) {
                    let s = value_span(jt, key);
                    let mut d = Diagnostic::error(
                        Code::E0701,
                        &r.file,
                        r.src,
                        s,
                        format!("{what} names input `{n}`, which `[inputs]` does not"),
                    );
                    if let Some(h) =
                        crate::diag::suggest(&n, inputs.iter().map(|i| i.name.as_str()))
                    {
                        d = d.with_help(h);
                    }
                    r.diags.push(d);
                    return None;
                }
                Some(n)
            };
            let input = named_input(&mut r, "input");
            let deals = named_input(&mut r, "deals");
            let events = named_input(&mut r, "events");
            let need = |r: &mut Reader<'_>, ok: bool, key: &str| {
                if !ok {
                    r.error(at, format!("{what} has no `{key}`"));
                }
            };
            match run {
                Some(JobKind::Clawback) => {
                    need(&mut r, jt.get("deals").is_some(), "deals");
                    need(&mut r, jt.get("events").is_some(), "events");
                }
                Some(JobKind::Sla) => {
                    need(&mut r, jt.get("input").is_some(), "input");
                    need(&mut r, jt.get("at").is_some(), "at");
                }
                Some(_) => need(&mut r, jt.get("input").is_some(), "input"),
                None => {}
            }
            let as_of = r.string(jt, "as_of", &what);
            if let Some(d) = as_of.as_deref().filter(|d| *d != "today") {
                if crate::record::parse_date(d).is_none() {
                    let s = value_span(jt, "as_of");
                    r.error(
                        s,
                        format!("`as_of` = `{d}` is neither `today` nor a date (YYYY-MM-DD)"),
                    );
                }
            }
            let at_text = r.string(jt, "at", &what);
            if let Some(t) = &at_text {
                if crate::record::parse_timestamp(t).is_none() {
                    let s = value_span(jt, "at");
                    r.error(s, format!("`at` = `{t}` is not a timestamp (RFC 3339)"));
                }
            }
            let version = match jt.get("version") {
                None => None,
                Some(v) => match v.as_integer() {
                    Some(n) => Some(n),
                    None => {
                        let s = value_span(jt, "version");
                        r.error(s, format!("`version` of {what} must be a whole number"));
                        None
                    }
                },
            };
            let output = r.string(jt, "output", &what).map(|p| r.path(&p));
            let summary = r.string(jt, "summary", &what).map(|p| r.path(&p));
            let posted = r.string(jt, "posted", &what).map(|p| r.path(&p));
            let _ = r.string(jt, "description", &what);
            if let (Some(run), Some(policy), Some(policy_name)) = (run, policy, policy_name) {
                jobs.push(JobDef {
                    name: name.to_string(),
                    run,
                    policy,
                    policy_name,
                    input,
                    deals,
                    events,
                    as_of,
                    at: at_text,
                    version,
                    output,
                    summary,
                    posted,
                    span: at,
                });
            }
        }
    }
    let diagnostics = std::mem::take(&mut r.diags);
    if !diagnostics.is_empty() {
        return Err(ManifestError {
            file: file.to_path_buf(),
            source,
            diagnostics,
        });
    }
    Ok(Manifest {
        file: file.to_path_buf(),
        source,
        policies,
        inputs,
        jobs,
    })
}

/// Checks each job against its policy and its inputs' headers.
pub(super) fn check(m: &Manifest) -> Vec<Diagnostic> {
    let file: Arc<str> = m.file.display().to_string().into();
    let src: &str = &m.source;
    let mut out = Vec::new();
    let mut err = |at: crate::span::Span, msg: String| {
        out.push(Diagnostic::error(Code::E0701, &file, src, at, msg));
    };
    for job in &m.jobs {
        let set = match crate::policy::PolicySet::load(&job.policy) {
            Ok(set) => set,
            Err(e) => {
                err(
                    job.span,
                    format!(
                        "job `{}`: policy `{}` ({}) fails its check ({} errors; `baton check {}` shows them)",
                        job.name,
                        job.policy_name,
                        job.policy.display(),
                        e.error_count(),
                        job.policy.display()
                    ),
                );
                continue;
            }
        };
        for name in [&job.input, &job.deals, &job.events].into_iter().flatten() {
            let Some(input) = m.input(name) else { continue };
            let Some(record) = &input.record else {
                continue;
            };
            let schema = set
                .versions()
                .iter()
                .rev()
                .find_map(|p| p.schema(record).cloned());
            let Some(schema) = schema else {
                err(
                    input.span,
                    format!(
                        "input `{}` fills record `{record}`, which policy `{}` does not declare",
                        input.name, job.policy_name
                    ),
                );
                continue;
            };
            // The clawback engine reads the deals' and events' own columns
            // besides the declared record's fields.
            let engine: &[&str] = match (job.run, Some(name) == job.deals.as_ref()) {
                (JobKind::Clawback, true) => &DEAL_COLUMNS,
                (JobKind::Clawback, false) => &EVENT_COLUMNS,
                _ => &[],
            };
            for (f, at) in input.fields.iter().zip(&input.field_spans) {
                if schema.slot(&f.field).is_none() && !engine.contains(&f.field.as_str()) {
                    let names: Vec<&str> =
                        schema.fields().iter().map(|x| x.name.as_str()).collect();
                    let hint = crate::diag::suggest(&f.field, names.iter().copied())
                        .map(|h| format!(" ({h})"))
                        .unwrap_or_default();
                    err(
                        *at,
                        format!("record `{record}` has no field `{}`{hint}", f.field),
                    );
                }
            }
            if input.fields.is_empty() {
                continue;
            }
            let header = std::fs::File::open(&input.path)
                .ok()
                .and_then(|f| csv::Reader::from_reader(f).headers().ok().cloned());
            match header {
                None => err(
                    input.span,
                    format!(
                        "input `{}`: cannot read the header of `{}`",
                        input.name,
                        input.path.display()
                    ),
                ),
                Some(h) => {
                    for (f, at) in input.fields.iter().zip(&input.field_spans) {
                        for c in std::iter::once(&f.column).chain(&f.currency_column) {
                            if !h.iter().any(|x| x.trim() == c.trim()) {
                                err(
                                    *at,
                                    format!(
                                        "column `{c}` (for field `{}`) is not in the header of `{}`",
                                        f.field,
                                        input.path.display()
                                    ),
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    out
}
