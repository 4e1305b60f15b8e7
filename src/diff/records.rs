//! `baton diff qualify` and `baton diff health`: the two policies over the
//! same records.

use std::collections::BTreeMap;

use serde::Serialize;

use super::change::{label, Change};
use crate::batch::run_ordered;
use crate::health::Scorecard;
use crate::io::{jsonl_item, read_line, Item, LineState, Reader};
use crate::policy::run::{RecordResult, RowEvaluator, Written};
use crate::policy::{Block, EvalOptions, Policy, RunError};
use crate::qualify::Decision;
use crate::tally::{Counts, HealthTally, QualifyTally, Spread};

/// What a `qualify` change does.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QualifyDiff {
    /// The old policy's run.
    pub old: QualifyTally,
    /// The new policy's run.
    pub new: QualifyTally,
    /// Per stage, records that reach it only under the new policy.
    pub gained: Counts,
    /// Per stage, records that reach it only under the old policy.
    pub lost: Counts,
    /// Per score, the change (new − old) of every record whose score
    /// changed.
    pub score_deltas: BTreeMap<String, Spread>,
}

/// What a `health` change does.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HealthDiff {
    /// The old policy's run.
    pub old: HealthTally,
    /// The new policy's run.
    pub new: HealthTally,
    /// The change (new − old) of every score that changed (both known).
    pub score_deltas: Spread,
    /// Per measure, the records whose value changed (unknown included).
    pub measures_changed: Counts,
}

/// A cell of the transition matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The stage or band under the old policy.
    pub old: String,
    /// Under the new policy.
    pub new: String,
    /// Records.
    pub count: u64,
}

/// What a change of policy does to a run over the same records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordDiff {
    /// `qualify` or `health`.
    pub block: &'static str,
    /// The old policy: name and version.
    pub from: String,
    /// The new policy: name and version.
    pub to: String,
    /// Records read.
    pub records: u64,
    /// Records whose outcome differs in anything (stage or band, a
    /// stage's truth, a score, a measure, error or not).
    pub changed: u64,
    /// Records whose stage or band (or error) differs.
    pub moved: u64,
    /// Records that are errors under the new policy only.
    pub became_errors: u64,
    /// Records that are errors under the old policy only.
    pub stopped_being_errors: u64,
    /// Records per (old, new) stage or band; `none` and `error` included.
    pub matrix: Vec<Transition>,
    /// The labels of the matrix in order: the old policy's stages or
    /// bands, the new policy's others, `none`, `error`.
    pub labels: Vec<String>,
    /// `qualify` figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualify: Option<QualifyDiff>,
    /// `health` figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthDiff>,
}

impl RecordDiff {
    fn new(block: Block, old: &Policy, new: &Policy) -> RecordDiff {
        let names = |p: &Policy| match block {
            Block::Health => p.band_names(),
            _ => p.stage_names(),
        };
        let mut labels = names(old);
        for n in names(new) {
            if !labels.contains(&n) {
                labels.push(n);
            }
        }
        labels.push(crate::tally::NONE.into());
        labels.push(crate::tally::ERROR.into());
        let side = |p: &Policy| format!("{} v{}", p.name(), p.version());
        let (qualify, health) = match block {
            Block::Health => (
                None,
                Some(HealthDiff {
                    old: HealthTally::with_bands(old.band_names().iter().map(String::as_str)),
                    new: HealthTally::with_bands(new.band_names().iter().map(String::as_str)),
                    ..HealthDiff::default()
                }),
            ),
            _ => (
                Some(QualifyDiff {
                    old: QualifyTally::with_stages(old.stage_names().iter().map(String::as_str)),
                    new: QualifyTally::with_stages(new.stage_names().iter().map(String::as_str)),
                    ..QualifyDiff::default()
                }),
                None,
            ),
        };
        RecordDiff {
            block: block.keyword(),
            from: side(old),
            to: side(new),
            records: 0,
            changed: 0,
            moved: 0,
            became_errors: 0,
            stopped_being_errors: 0,
            matrix: Vec::new(),
            labels,
            qualify,
            health,
        }
    }

    /// Counts one record's two outcomes; whether they differ.
    fn add(&mut self, old: &Written, new: &Written) -> bool {
        self.records += 1;
        let (lo, ln) = (label(old), label(new));
        self.count(lo, ln);
        let moved = lo != ln;
        self.moved += u64::from(moved);
        let (eo, en) = (
            matches!(old, Written::Error(_)),
            matches!(new, Written::Error(_)),
        );
        self.became_errors += u64::from(!eo && en);
        self.stopped_being_errors += u64::from(eo && !en);
        let mut changed = moved || eo != en;
        match (old, new) {
            (
                Written::Result(RecordResult::Decision(a)),
                Written::Result(RecordResult::Decision(b)),
            ) => changed |= self.decisions(a, b),
            (
                Written::Result(RecordResult::Scorecard(a)),
                Written::Result(RecordResult::Scorecard(b)),
            ) => changed |= self.scorecards(a, b),
            _ => {}
        }
        if let Some(q) = &mut self.qualify {
            tally_q(&mut q.old, old);
            tally_q(&mut q.new, new);
        }
        if let Some(h) = &mut self.health {
            tally_h(&mut h.old, old);
            tally_h(&mut h.new, new);
        }
        self.changed += u64::from(changed);
        changed
    }

    fn count(&mut self, old: &str, new: &str) {
        match self
            .matrix
            .iter_mut()
            .find(|t| t.old == old && t.new == new)
        {
            Some(t) => t.count += 1,
            None => self.matrix.push(Transition {
                old: old.to_string(),
                new: new.to_string(),
                count: 1,
            }),
        }
    }

    fn decisions(&mut self, a: &Decision, b: &Decision) -> bool {
        let Some(q) = &mut self.qualify else {
            return false;
        };
        let mut changed = false;
        let truth = |d: &Decision, s: &str| {
            d.stages
                .iter()
                .find(|(n, _)| n == s)
                .and_then(|(_, t)| *t)
                .unwrap_or(false)
        };
        for (s, t) in &b.stages {
            let before = truth(a, s);
            let now = t.unwrap_or(false);
            q.gained.add(s, u64::from(now && !before));
            q.lost.add(s, u64::from(before && !now));
        }
        for (s, _) in &a.stages {
            if !b.stages.iter().any(|(n, _)| n == s) {
                q.lost.add(s, u64::from(truth(a, s)));
            }
        }
        changed |= a.stages != b.stages;
        for (name, v) in &b.scores {
            match a.scores.iter().find(|(n, _)| n == name) {
                Some((_, before)) if before != v => {
                    changed = true;
                    if let Some(d) = v.checked_sub(*before) {
                        q.score_deltas.entry(name.clone()).or_default().add(d);
                    }
                }
                Some(_) => {}
                None => changed = true,
            }
        }
        changed || a.scores.len() != b.scores.len()
    }

    fn scorecards(&mut self, a: &Scorecard, b: &Scorecard) -> bool {
        let Some(h) = &mut self.health else {
            return false;
        };
        let mut changed = false;
        if a.score != b.score {
            changed = true;
            if let (Some(x), Some(y)) = (a.score, b.score) {
                if let Some(d) = y.checked_sub(x) {
                    h.score_deltas.add(d);
                }
            }
        }
        for (name, v) in &b.measures {
            let before = a.measures.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
            let differs = before != Some(*v);
            h.measures_changed.add(name, u64::from(differs));
            changed |= differs;
        }
        changed || a.measures.len() != b.measures.len()
    }

    /// Adds a batch's counts.
    fn merge(&mut self, other: RecordDiff) {
        self.records += other.records;
        self.changed += other.changed;
        self.moved += other.moved;
        self.became_errors += other.became_errors;
        self.stopped_being_errors += other.stopped_being_errors;
        for t in other.matrix {
            match self
                .matrix
                .iter_mut()
                .find(|m| m.old == t.old && m.new == t.new)
            {
                Some(m) => m.count += t.count,
                None => self.matrix.push(t),
            }
        }
        if let (Some(q), Some(o)) = (&mut self.qualify, other.qualify) {
            q.old.merge(o.old);
            q.new.merge(o.new);
            q.gained.merge(o.gained);
            q.lost.merge(o.lost);
            for (k, s) in o.score_deltas {
                q.score_deltas.entry(k).or_default().merge(s);
            }
        }
        if let (Some(h), Some(o)) = (&mut self.health, other.health) {
            h.old.merge(o.old);
            h.new.merge(o.new);
            h.score_deltas.merge(o.score_deltas);
            h.measures_changed.merge(o.measures_changed);
        }
    }

    /// The matrix cell (old, new).
    pub fn cell(&self, old: &str, new: &str) -> u64 {
        self.matrix
            .iter()
            .find(|t| t.old == old && t.new == new)
            .map_or(0, |t| t.count)
    }

    /// Sorts the matrix by the labels' order.
    fn finish(&mut self) {
        let at = |l: &str| {
            self.labels
                .iter()
                .position(|x| x == l)
                .unwrap_or(usize::MAX)
        };
        let mut m = std::mem::take(&mut self.matrix);
        m.sort_by_key(|t| (at(&t.old), at(&t.new)));
        self.matrix = m;
    }
}

fn tally_q(t: &mut QualifyTally, w: &Written) {
    match w {
        Written::Result(RecordResult::Decision(d)) => t.add(d),
        _ => t.add_error(),
    }
}

fn tally_h(t: &mut HealthTally, w: &Written) {
    match w {
        Written::Result(RecordResult::Scorecard(s)) => t.add(s),
        _ => t.add_error(),
    }
}

/// A batch for the workers: raw JSON lines, or rows already read.
enum Batch {
    Lines(Vec<(usize, String, LineState)>),
    Items(Vec<Item>),
}

/// Records per batch handed to a worker.
const BATCH: usize = 512;

/// Evaluates every record of `input` under `old` and `new` (`block`:
/// `qualify` or `health`, each policy with its options) and sums what
/// differs. `changed`, when given, is given each record whose outcome
/// differs, in input order, with the rules whose result differs when
/// `rules` is set (the changed records are then evaluated again with a
/// trace).
pub fn records(
    block: Block,
    old: (&Policy, EvalOptions),
    new: (&Policy, EvalOptions),
    input: Reader,
    rules: bool,
    mut changed: Option<&mut dyn FnMut(Change) -> std::io::Result<()>>,
) -> Result<RecordDiff, RunError> {
    let keep = changed.is_some();
    let header = input.header.clone();
    let eval_old = RowEvaluator::new(old.0, block, header.as_ref(), old.1)?;
    let eval_new = RowEvaluator::new(new.0, block, header.as_ref(), new.1)?;
    let (trace_old, trace_new) = (
        eval_old.with(old.1.explained()),
        eval_new.with(new.1.explained()),
    );
    let mut total = RecordDiff::new(block, old.0, new.0);
    // Each batch counts into an empty diff of the same shape.
    let template = total.clone();
    // JSON lines and a JSON array's elements are parsed by the workers;
    // other inputs are read here.
    let (mut lines, mut elements, mut items) = if input.is_jsonl() {
        (input.into_lines(), None, None)
    } else if input.is_array() {
        (None, input.into_elements(), None)
    } else {
        (None, None, Some(input))
    };
    let mut line_no = 0usize;
    let mut text = String::new();
    let work = |batch: Batch| -> (RecordDiff, Vec<Change>) {
        let mut part = template.clone();
        let mut changes = Vec::new();
        let mut both = |line: usize, a: Written, b: Written, row: &dyn Fn() -> Option<Item>| {
            if part.add(&a, &b) && keep {
                let mut c = Change::new(line, a, b);
                if rules {
                    if let Some(item) = row() {
                        let steps = |w: Written| match w {
                            Written::Result(RecordResult::Decision(d)) => {
                                d.explain.unwrap_or_default()
                            }
                            Written::Result(RecordResult::Scorecard(s)) => {
                                s.explain.unwrap_or_default()
                            }
                            Written::Error(_) => Vec::new(),
                        };
                        let so = steps(trace_old.eval(&item.row, item.line));
                        let sn = steps(trace_new.eval(&item.row, item.line));
                        c = c.with_rules(&so, &sn);
                    }
                }
                changes.push(c);
            }
        };
        match batch {
            Batch::Items(items) => {
                for item in items {
                    let a = eval_old.eval(&item.row, item.line);
                    let b = eval_new.eval(&item.row, item.line);
                    both(item.line, a, b, &|| Some(item.clone()));
                }
            }
            Batch::Lines(ls) => {
                for (line, t, state) in ls {
                    // A clean record converts straight from its text under
                    // each schema; anything else is parsed once, and each
                    // policy says what is wrong.
                    let clean = |e: &RowEvaluator<'_>| {
                        matches!(state, LineState::Text | LineState::Element { .. })
                            .then(|| e.eval_text(&t, line))
                            .flatten()
                    };
                    let (a, b) = (clean(&eval_old), clean(&eval_new));
                    let parsed = || jsonl_item(line, &t, state);
                    let (a, b) = match (a, b) {
                        (Some(a), Some(b)) => (a, b),
                        (a, b) => {
                            let Some(item) = parsed() else { continue };
                            (
                                a.unwrap_or_else(|| eval_old.eval(&item.row, item.line)),
                                b.unwrap_or_else(|| eval_new.eval(&item.row, item.line)),
                            )
                        }
                    };
                    both(line, a, b, &parsed);
                }
            }
        }
        (part, changes)
    };
    let mut failed: Option<std::io::Error> = None;
    run_ordered(
        crate::batch::workers(),
        &mut total,
        |_: &mut RecordDiff| -> Result<Option<Batch>, RunError> {
            if let Some((src, max)) = &mut lines {
                let mut batch = Vec::with_capacity(BATCH);
                while batch.len() < BATCH {
                    text.clear();
                    match read_line(src.as_mut(), &mut text, *max) {
                        Ok((0, _)) => break,
                        Ok((_, state)) => {
                            line_no += 1;
                            batch.push((line_no, std::mem::take(&mut text), state));
                        }
                        Err(e) => return Err(RunError::Input(format!("cannot read input: {e}"))),
                    }
                }
                return Ok((!batch.is_empty()).then_some(Batch::Lines(batch)));
            }
            if let Some(els) = &mut elements {
                let mut batch = Vec::with_capacity(BATCH);
                while batch.len() < BATCH {
                    match els.next_piece() {
                        None => break,
                        Some(Err(e)) => return Err(RunError::Input(e)),
                        Some(Ok(p)) => batch.push(match p.text {
                            Ok(t) => (p.line, t, LineState::Element { start: p.start }),
                            Err(why) => (p.line, why, LineState::Broken),
                        }),
                    }
                }
                return Ok((!batch.is_empty()).then_some(Batch::Lines(batch)));
            }
            let Some(input) = &mut items else {
                return Ok(None);
            };
            let mut batch = Vec::with_capacity(BATCH);
            while batch.len() < BATCH {
                match input.next_item() {
                    None => break,
                    Some(item) => batch.push(item.map_err(RunError::Input)?),
                }
            }
            Ok((!batch.is_empty()).then_some(Batch::Items(batch)))
        },
        work,
        |total: &mut RecordDiff, (part, changes)| {
            total.merge(part);
            if let Some(f) = &mut changed {
                for c in changes {
                    if failed.is_none() {
                        if let Err(e) = f(c) {
                            failed = Some(e);
                        }
                    }
                }
            }
            Ok(())
        },
    )?;
    if let Some(e) = failed {
        return Err(RunError::Output(e.to_string()));
    }
    total.finish();
    Ok(total)
}
