//! Tables through a policy: one result row per input row (per handoff
//! instance for `sla`, per ledger line for `clawback`), in input order,
//! with the CLI's columns (CLI.md "Results").

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use arrow_array::RecordBatch;
use baton::ledger::SummaryRow;
use baton::{
    Block, DateTime, Decimal, EvalOptions, HandoffStatus, LedgerLine, Policy, SlaError, Utc,
};

use crate::cells::{Cell, Fields};
use crate::out::{fit, unfit, Kind, Spec, DECIMAL, MONEY, RATE, SCORE, V};

/// Rows handed to a worker at a time.
const PIECE: usize = 16_384;

/// `qualify` or `health`.
#[derive(Clone, Copy)]
pub enum Domain {
    Qualify,
    Health,
}

/// The result columns of `qualify`/`health` under `policy`.
pub fn record_spec(policy: &Policy, domain: Domain, explain: bool) -> Spec {
    let block = match domain {
        Domain::Qualify => Block::Qualify,
        Domain::Health => Block::Health,
    };
    let mut cols = Vec::new();
    for name in policy.columns(block) {
        let kind = match name.as_str() {
            // Text whatever the key field's type: an error row's key is
            // the cell as given when it does not convert (`"abc"` for an
            // int key), as the CLI names it.
            "version" | "line" => Kind::Int,
            "score" => Kind::Dec(SCORE),
            n if n.starts_with("stages.") => Kind::Bool,
            n if n.starts_with("scores.") || n.starts_with("measures.") => Kind::Dec(DECIMAL),
            _ => Kind::Text,
        };
        if name == "error" && explain {
            cols.push(("explain".to_string(), Kind::Text));
        }
        cols.push((name, kind));
    }
    Spec::new(cols)
}

/// Evaluates every row of `batches`; `Err` only when a result cannot be
/// built into Arrow (an internal error).
pub fn records(
    policy: &Policy,
    domain: Domain,
    spec: &Spec,
    batches: &[RecordBatch],
    options: &EvalOptions,
    threads: usize,
) -> Result<Vec<RecordBatch>, String> {
    // Pieces of at most PIECE rows, with the line of their first row.
    let mut pieces = Vec::new();
    let mut line = 1;
    for b in batches {
        let mut start = 0;
        while start < b.num_rows() {
            let len = PIECE.min(b.num_rows() - start);
            pieces.push((b.slice(start, len), line + start));
            start += len;
        }
        line += b.num_rows();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<Result<RecordBatch, String>>>> =
        Mutex::new((0..pieces.len()).map(|_| None).collect());
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some((batch, first)) = pieces.get(i) else {
            break;
        };
        let r = piece(policy, domain, spec, batch, *first, options);
        if let Ok(mut d) = done.lock() {
            if let Some(slot) = d.get_mut(i) {
                *slot = Some(r);
            }
        }
    };
    let threads = threads.clamp(1, pieces.len().max(1));
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let done = done
        .into_inner()
        .map_err(|_| "a worker stopped".to_string())?;
    done.into_iter()
        .map(|r| r.unwrap_or_else(|| Err("a piece of the table was not evaluated".into())))
        .collect()
}

/// The rows of one piece.
fn piece(
    policy: &Policy,
    domain: Domain,
    spec: &Spec,
    batch: &RecordBatch,
    first: usize,
    options: &EvalOptions,
) -> Result<RecordBatch, String> {
    let schema = match domain {
        Domain::Qualify => policy.qualify_schema(),
        Domain::Health => policy.health_schema(),
    }
    .ok_or("the policy has no block for these records")?;
    let fields = Fields::new(schema, batch);
    let mut table = spec.builder(batch.num_rows());
    let mut scratch: Vec<Cell<'_>> = Vec::new();
    let (error_at, line_at) = (
        spec.index("error").unwrap_or(0),
        spec.index("line").unwrap_or(0),
    );
    let explain_at = spec.index("explain");
    for r in 0..batch.num_rows() {
        let line = i64::try_from(first + r).unwrap_or(i64::MAX);
        // The key as the CLI names it: the record's, or the cell as given
        // when the record did not convert.
        let (result, key) = match fields.record(r, &mut scratch) {
            Ok(rec) => (evaluate(policy, domain, &rec, options), fields.key(&rec)),
            Err(e) => (Err(e), fields.raw_key(r)),
        };
        // The key first, then the result's cells (or nulls), then the
        // explanation, error and line where their columns are.
        let mut row: Vec<V<'_>> = Vec::with_capacity(spec.len());
        row.push(key.as_deref().map_or(V::Null, V::Text));
        if let Ok((cells, _)) = &result {
            row.extend(cells.iter().map(Owned::view));
        }
        while row.len() < spec.len() {
            row.push(V::Null);
        }
        let (at, v) = match &result {
            Ok((_, explain)) => (explain_at, explain.as_deref().map_or(V::Null, V::Text)),
            Err(message) => (Some(error_at), V::Text(message)),
        };
        for (at, v) in [(at, v), (Some(line_at), V::Int(line))] {
            if let Some(c) = at.and_then(|i| row.get_mut(i)) {
                *c = v;
            }
        }
        table.push(&row);
    }
    table.finish().map_err(|e| e.to_string())
}

/// A converted record's result cells after `key`, and its trace.
fn evaluate(
    policy: &Policy,
    domain: Domain,
    rec: &baton::Record,
    options: &EvalOptions,
) -> Result<(Vec<Owned>, Option<String>), String> {
    match domain {
        Domain::Qualify => {
            let d = policy.qualify(rec, options).map_err(|e| e.to_string())?;
            let mut cells = vec![
                Owned::Text(d.policy),
                Owned::Int(d.version),
                d.stage.map_or(Owned::Null, Owned::Text),
            ];
            cells.extend(
                d.stages
                    .iter()
                    .map(|(_, t)| t.map_or(Owned::Null, Owned::Bool)),
            );
            for (name, s) in &d.scores {
                let col = format!("scores.{name}");
                cells.push(Owned::Dec(
                    fit(*s, DECIMAL).ok_or_else(|| unfit(&col, *s, DECIMAL))?,
                ));
            }
            Ok((cells, explain_json(d.explain.as_ref())))
        }
        Domain::Health => {
            let c = policy.health(rec, options).map_err(|e| e.to_string())?;
            let score = match c.score {
                Some(s) => Owned::Dec(fit(s, SCORE).ok_or_else(|| unfit("score", s, SCORE))?),
                None => Owned::Null,
            };
            let mut cells = vec![
                Owned::Text(c.policy),
                Owned::Int(c.version),
                score,
                c.band.map_or(Owned::Null, Owned::Text),
            ];
            for (name, m) in &c.measures {
                cells.push(match m {
                    Some(m) => Owned::Dec(
                        fit(*m, DECIMAL)
                            .ok_or_else(|| unfit(&format!("measures.{name}"), *m, DECIMAL))?,
                    ),
                    None => Owned::Null,
                });
            }
            Ok((cells, explain_json(c.explain.as_ref())))
        }
    }
}

fn explain_json<T: serde::Serialize>(steps: Option<&T>) -> Option<String> {
    steps.and_then(|s| serde_json::to_string(s).ok())
}

/// A result cell that owns its value.
enum Owned {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Dec(i128),
}

impl Owned {
    fn view(&self) -> V<'_> {
        match self {
            Owned::Null => V::Null,
            Owned::Text(t) => V::Text(t),
            Owned::Int(i) => V::Int(*i),
            Owned::Bool(b) => V::Bool(*b),
            Owned::Dec(d) => V::Dec(*d),
        }
    }
}

/// The result columns of `sla` under `policy`: the CLI's CSV columns, and
/// the lists CSV leaves out (`note.missing`, `alerts`, `flags`) typed.
pub fn sla_spec(policy: &Policy) -> Spec {
    let mut cols = Vec::new();
    for name in policy.columns(Block::Handoff) {
        let kind = match name.as_str() {
            "version" | "line" => Kind::Int,
            "opened" => Kind::Ts,
            "note.complete" => Kind::Bool,
            n if n.ends_with("_seconds") => Kind::Int,
            n if n.ends_with(".due") || n.ends_with(".met_at") => Kind::Ts,
            _ => Kind::Text,
        };
        if name == "error" {
            cols.push(("note.missing".to_string(), Kind::Texts));
            cols.push(("alerts".to_string(), Kind::Alerts));
            cols.push(("flags".to_string(), Kind::Texts));
        }
        cols.push((name, kind));
    }
    Spec::new(cols)
}

/// The statuses of every handoff instance in `events`.
pub fn sla(
    policy: &Policy,
    spec: &Spec,
    events: &[RecordBatch],
    at: DateTime<Utc>,
) -> Result<RecordBatch, String> {
    let values = events.iter().flat_map(crate::cells::rows);
    let outcomes = policy.sla_values(values, at);
    let mut table = spec.builder(outcomes.len());
    let names: Vec<String> = spec
        .schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut row: Vec<V<'_>> = Vec::with_capacity(names.len());
    for o in &outcomes {
        row.clear();
        match o {
            Ok(s) => row.extend(names.iter().map(|n| status_cell(s, n))),
            Err(e) => row.extend(names.iter().map(|n| sla_error_cell(e, n))),
        }
        table.push(&row);
    }
    table.finish().map_err(|e| e.to_string())
}

fn status_cell<'a>(s: &'a HandoffStatus, column: &str) -> V<'a> {
    match column {
        "handoff" => V::Text(&s.handoff),
        "block" => V::Text(&s.block),
        "policy" => V::Text(&s.policy),
        "version" => V::Int(s.version),
        "opened" => V::Ts(s.opened),
        "note.complete" => V::Bool(s.note.complete),
        "note.missing" => V::Texts(&s.note.missing),
        "alerts" => V::Alerts(&s.alerts),
        "flags" => V::Texts(&s.flags),
        "error" | "line" => V::Null,
        goal => {
            let Some((name, field)) = goal.strip_prefix("goals.").and_then(|g| g.rsplit_once('.'))
            else {
                return V::Null;
            };
            let Some((_, g)) = s.goals.iter().find(|(n, _)| n == name) else {
                return V::Null;
            };
            match field {
                "state" => V::Text(g.state),
                "target_seconds" => V::Int(g.target_seconds),
                "elapsed_seconds" => V::Int(g.elapsed_seconds),
                "due" => g.due.map_or(V::Null, V::Ts),
                "met_at" => g.met_at.map_or(V::Null, V::Ts),
                _ => V::Null,
            }
        }
    }
}

fn sla_error_cell<'a>(e: &'a SlaError, column: &str) -> V<'a> {
    match column {
        "handoff" => e.handoff.as_deref().map_or(V::Null, V::Text),
        "error" => V::Text(&e.error),
        "line" => V::Int(i64::try_from(e.line).unwrap_or(i64::MAX)),
        _ => V::Null,
    }
}

/// The ledger's columns (CLI.md), typed.
pub fn ledger_spec() -> Spec {
    Spec::new(
        baton::ledger::COLUMNS
            .iter()
            .map(|c| {
                let kind = match *c {
                    "version" | "days_retained" => Kind::Int,
                    "rate" => Kind::Dec(RATE),
                    "base" | "amount" => Kind::Dec(MONEY),
                    _ => Kind::Text,
                };
                (c.to_string(), kind)
            })
            .collect(),
    )
}

/// The summary's columns (CLI.md `--summary`), typed.
pub fn summary_spec() -> Spec {
    let mut cols = vec![
        ("rep".to_string(), Kind::Text),
        ("currency".to_string(), Kind::Text),
    ];
    for c in ["paid", "clawed_back", "reinstated", "bonuses", "net"] {
        cols.push((c.to_string(), Kind::Dec(MONEY)));
    }
    Spec::new(cols)
}

fn money(d: Decimal, column: &str) -> Result<V<'static>, String> {
    fit(d, MONEY)
        .map(V::Dec)
        .ok_or_else(|| unfit(column, d, MONEY))
}

fn shown(text: &str, scale: u32, column: &str) -> Result<V<'static>, String> {
    if text.is_empty() {
        return Ok(V::Null);
    }
    let d: Decimal = text
        .parse()
        .map_err(|_| format!("internal error: `{column}` {text:?} is not a decimal"))?;
    fit(d, scale)
        .map(V::Dec)
        .ok_or_else(|| unfit(column, d, scale))
}

/// Ledger lines as a table.
pub fn ledger(lines: &[LedgerLine]) -> Result<RecordBatch, String> {
    let spec = ledger_spec();
    let mut table = spec.builder(lines.len());
    for l in lines {
        let version = l.version.map_or(V::Null, V::Int);
        let days = l.days_retained.map_or(V::Null, V::Int);
        let amount = match l.amount {
            Some(a) => money(a, "amount")?,
            None => V::Null,
        };
        let row = [
            V::Text(&l.deal),
            V::Text(&l.rep),
            V::Text(&l.event),
            V::Text(&l.kind),
            V::Text(l.status.as_str()),
            V::Text(&l.policy),
            version,
            days,
            shown(&l.rate_text, RATE, "rate")?,
            shown(&l.base_text, MONEY, "base")?,
            amount,
            V::Text(&l.currency),
            V::Text(&l.explanation),
        ];
        table.push(&row);
    }
    table.finish().map_err(|e| e.to_string())
}

/// Summary rows as a table.
pub fn summary(rows: &[SummaryRow]) -> Result<RecordBatch, String> {
    let mut table = summary_spec().builder(rows.len());
    for r in rows {
        let row = [
            V::Text(&r.rep),
            V::Text(&r.currency),
            money(r.paid, "paid")?,
            money(r.clawed_back, "clawed_back")?,
            money(r.reinstated, "reinstated")?,
            money(r.bonuses, "bonuses")?,
            money(r.net, "net")?,
        ];
        table.push(&row);
    }
    table.finish().map_err(|e| e.to_string())
}
