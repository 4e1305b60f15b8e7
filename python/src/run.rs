//! Tables through a policy: one result row per input row (per handoff
//! instance for `sla`, per ledger line for `clawback`), in input order,
//! with the CLI's columns (CLI.md "Results").

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
    // Each thread takes a run of consecutive pieces (they cost alike), so
    // the results join back in order.
    let threads = threads.clamp(1, pieces.len().max(1));
    let run = |group: &[(RecordBatch, usize)]| -> Result<Vec<RecordBatch>, String> {
        group
            .iter()
            .map(|(batch, first)| piece(policy, domain, spec, batch, *first, options))
            .collect()
    };
    if threads == 1 {
        return run(&pieces);
    }
    std::thread::scope(|s| {
        let workers: Vec<_> = pieces
            .chunks(pieces.len().div_ceil(threads))
            .map(|group| s.spawn(move || run(group)))
            .collect();
        let mut out = Vec::with_capacity(pieces.len());
        for w in workers {
            out.extend(w.join().map_err(|_| "a worker stopped".to_string())??);
        }
        Ok(out)
    })
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
    Spec::new(
        sla_columns(policy)
            .into_iter()
            .map(|(name, col)| (name, col.kind()))
            .collect(),
    )
}

/// A column of `sla`'s result, what it shows resolved from its name once.
enum SlaCol {
    Handoff,
    Block,
    Policy,
    Version,
    Opened,
    Goal(String, GoalField),
    NoteComplete,
    NoteMissing,
    Alerts,
    Flags,
    Error,
    Line,
}

#[derive(Clone, Copy)]
enum GoalField {
    State,
    Target,
    Elapsed,
    Due,
    MetAt,
}

/// The columns of `sla`'s result, in order.
fn sla_columns(policy: &Policy) -> Vec<(String, SlaCol)> {
    let mut cols = Vec::new();
    for name in policy.columns(Block::Handoff) {
        let col = match name.as_str() {
            "handoff" => SlaCol::Handoff,
            "block" => SlaCol::Block,
            "policy" => SlaCol::Policy,
            "version" => SlaCol::Version,
            "opened" => SlaCol::Opened,
            "note.complete" => SlaCol::NoteComplete,
            "line" => SlaCol::Line,
            "error" => {
                // The lists CSV leaves out, before `error` and `line`.
                cols.push(("note.missing".to_string(), SlaCol::NoteMissing));
                cols.push(("alerts".to_string(), SlaCol::Alerts));
                cols.push(("flags".to_string(), SlaCol::Flags));
                SlaCol::Error
            }
            goal => {
                let Some((g, field)) = goal.strip_prefix("goals.").and_then(|g| g.rsplit_once('.'))
                else {
                    continue;
                };
                let field = match field {
                    "state" => GoalField::State,
                    "target_seconds" => GoalField::Target,
                    "elapsed_seconds" => GoalField::Elapsed,
                    "due" => GoalField::Due,
                    "met_at" => GoalField::MetAt,
                    _ => continue,
                };
                SlaCol::Goal(g.to_string(), field)
            }
        };
        cols.push((name, col));
    }
    cols
}

impl SlaCol {
    fn kind(&self) -> Kind {
        match self {
            SlaCol::Version | SlaCol::Line => Kind::Int,
            SlaCol::Opened => Kind::Ts,
            SlaCol::NoteComplete => Kind::Bool,
            SlaCol::NoteMissing | SlaCol::Flags => Kind::Texts,
            SlaCol::Alerts => Kind::Alerts,
            SlaCol::Goal(_, GoalField::Target | GoalField::Elapsed) => Kind::Int,
            SlaCol::Goal(_, GoalField::Due | GoalField::MetAt) => Kind::Ts,
            _ => Kind::Text,
        }
    }

    fn status<'a>(&self, s: &'a HandoffStatus) -> V<'a> {
        match self {
            SlaCol::Handoff => V::Text(&s.handoff),
            SlaCol::Block => V::Text(&s.block),
            SlaCol::Policy => V::Text(&s.policy),
            SlaCol::Version => V::Int(s.version),
            SlaCol::Opened => V::Ts(s.opened),
            SlaCol::NoteComplete => V::Bool(s.note.complete),
            SlaCol::NoteMissing => V::Texts(&s.note.missing),
            SlaCol::Alerts => V::Alerts(&s.alerts),
            SlaCol::Flags => V::Texts(&s.flags),
            SlaCol::Error | SlaCol::Line => V::Null,
            // An instance has the goals of its block only.
            SlaCol::Goal(name, field) => match s.goals.iter().find(|(n, _)| n == name) {
                None => V::Null,
                Some((_, g)) => match field {
                    GoalField::State => V::Text(g.state),
                    GoalField::Target => V::Int(g.target_seconds),
                    GoalField::Elapsed => V::Int(g.elapsed_seconds),
                    GoalField::Due => g.due.map_or(V::Null, V::Ts),
                    GoalField::MetAt => g.met_at.map_or(V::Null, V::Ts),
                },
            },
        }
    }

    fn error<'a>(&self, e: &'a SlaError) -> V<'a> {
        match self {
            SlaCol::Handoff => e.handoff.as_deref().map_or(V::Null, V::Text),
            SlaCol::Error => V::Text(&e.error),
            SlaCol::Line => V::Int(i64::try_from(e.line).unwrap_or(i64::MAX)),
            _ => V::Null,
        }
    }
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
    let cols: Vec<SlaCol> = sla_columns(policy).into_iter().map(|(_, c)| c).collect();
    let mut table = spec.builder(outcomes.len());
    let mut row: Vec<V<'_>> = Vec::with_capacity(cols.len());
    for o in &outcomes {
        row.clear();
        match o {
            Ok(s) => row.extend(cols.iter().map(|c| c.status(s))),
            Err(e) => row.extend(cols.iter().map(|c| c.error(e))),
        }
        table.push(&row);
    }
    table.finish().map_err(|e| e.to_string())
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
