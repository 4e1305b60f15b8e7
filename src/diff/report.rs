//! How a diff reads: aligned tables for a person, headline first.

use std::io::Write;

use super::change::Change;
use super::records::RecordDiff;
use crate::tally::Spread;
use crate::value::format_decimal;

use crate::diag::thousands as n;

/// Rows of cells as a table: the first column left-aligned, the others
/// right-aligned, columns two spaces apart.
pub(crate) fn table(w: &mut dyn Write, rows: &[Vec<String>]) -> std::io::Result<()> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width = |c: usize| {
        rows.iter()
            .filter_map(|r| r.get(c))
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..cols).map(width).collect();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let w = widths.get(c).copied().unwrap_or(0);
            if c == 0 {
                line.push_str(&format!("  {cell:<w$}"));
            } else {
                line.push_str(&format!("  {cell:>w$}"));
            }
        }
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

fn spread_cells(s: &Spread) -> [String; 3] {
    match s.stats() {
        Some((a, b, c)) => [signed(a), signed(b), signed(c)],
        None => ["-".into(), "-".into(), "-".into()],
    }
}

fn signed(d: rust_decimal::Decimal) -> String {
    if d.is_sign_positive() && !d.is_zero() {
        format!("+{}", format_decimal(d))
    } else {
        format_decimal(d)
    }
}

/// Writes the diff as a person reads it: the headline, the transition
/// matrix, then the figures of the block.
pub fn write_text(d: &RecordDiff, w: &mut dyn Write) -> std::io::Result<()> {
    let (what, moves) = match d.block {
        "health" => ("customers", "change band"),
        _ => ("leads", "change stage"),
    };
    writeln!(
        w,
        "{} of {} {what} {moves} ({} → {}); {} change in any way.",
        n(d.moved),
        n(d.records),
        d.from,
        d.to,
        n(d.changed)
    )?;
    if d.became_errors + d.stopped_being_errors > 0 {
        writeln!(
            w,
            "{} became errors, {} stopped being errors.",
            n(d.became_errors),
            n(d.stopped_being_errors)
        )?;
    }
    writeln!(w)?;
    // Only the labels that occur, old down the side, new across.
    let used = |old: bool, l: &str| {
        d.matrix
            .iter()
            .any(|t| t.count > 0 && if old { t.old == l } else { t.new == l })
    };
    let rows_l: Vec<&String> = d.labels.iter().filter(|l| used(true, l)).collect();
    let cols_l: Vec<&String> = d.labels.iter().filter(|l| used(false, l)).collect();
    let mut rows = vec![std::iter::once("old \\ new".to_string())
        .chain(cols_l.iter().map(|l| (*l).clone()))
        .chain(std::iter::once("total".to_string()))
        .collect::<Vec<_>>()];
    for r in &rows_l {
        let cells: Vec<u64> = cols_l.iter().map(|c| d.cell(r, c)).collect();
        rows.push(
            std::iter::once((*r).clone())
                .chain(cells.iter().map(|c| n(*c)))
                .chain(std::iter::once(n(cells.iter().sum())))
                .collect(),
        );
    }
    let col_sums: Vec<u64> = cols_l
        .iter()
        .map(|c| rows_l.iter().map(|r| d.cell(r, c)).sum())
        .collect();
    rows.push(
        std::iter::once("total".to_string())
            .chain(col_sums.iter().map(|c| n(*c)))
            .chain(std::iter::once(n(d.records)))
            .collect(),
    );
    table(w, &rows)?;
    if let Some(q) = &d.qualify {
        writeln!(w)?;
        let mut rows = vec![vec![
            "final stage".into(),
            "old".into(),
            "new".into(),
            "now reached".into(),
            "no longer".into(),
        ]];
        let stages = d
            .labels
            .iter()
            .filter(|l| *l != crate::tally::NONE && *l != crate::tally::ERROR);
        for s in stages {
            rows.push(vec![
                s.clone(),
                n(q.old.stages.get(s)),
                n(q.new.stages.get(s)),
                format!("+{}", n(q.gained.get(s))),
                format!("-{}", n(q.lost.get(s))),
            ]);
        }
        table(w, &rows)?;
        if !q.score_deltas.is_empty() {
            writeln!(w)?;
            let mut rows = vec![vec![
                "score".into(),
                "changed".into(),
                "min Δ".into(),
                "median Δ".into(),
                "max Δ".into(),
            ]];
            for (name, s) in &q.score_deltas {
                let [a, b, c] = spread_cells(s);
                rows.push(vec![name.clone(), n(s.count()), a, b, c]);
            }
            table(w, &rows)?;
        }
    }
    if let Some(h) = &d.health {
        writeln!(w)?;
        let mut rows = vec![vec!["band".into(), "old".into(), "new".into()]];
        for b in d.labels.iter().filter(|l| *l != crate::tally::ERROR) {
            rows.push(vec![
                b.clone(),
                n(h.old.bands.get(b)),
                n(h.new.bands.get(b)),
            ]);
        }
        table(w, &rows)?;
        writeln!(w)?;
        let [a, b, c] = spread_cells(&h.score_deltas);
        let mut rows = vec![
            vec![
                "".into(),
                "changed".into(),
                "min Δ".into(),
                "median Δ".into(),
                "max Δ".into(),
            ],
            vec!["score".into(), n(h.score_deltas.count()), a, b, c],
        ];
        for (m, k) in h.measures_changed.iter() {
            rows.push(vec![
                format!("measure {m}"),
                n(k),
                "".into(),
                "".into(),
                "".into(),
            ]);
        }
        table(w, &rows)?;
    }
    Ok(())
}

/// The CSV header of the per-record changes (`--format csv`).
pub fn write_changes_csv_header(w: &mut csv::Writer<Box<dyn Write>>) -> csv::Result<()> {
    w.write_record(["line", "key", "old", "new", "rules"])
}

impl Change {
    /// The change as a CSV row: line, key, old and new stage or band, and
    /// the rules that differ (`rule: old → new`, `; ` between).
    pub fn csv_row(&self) -> [String; 5] {
        let (old, new) = self.labels();
        let key = match &self.key {
            Some(crate::record::Key::Text(t)) => t.clone(),
            Some(k) => serde_json::to_string(k).unwrap_or_default(),
            None => String::new(),
        };
        let rules = self
            .rules
            .iter()
            .map(|r| format!("{}: {} → {}", r.rule, r.old, r.new))
            .collect::<Vec<_>>()
            .join("; ");
        [self.line.to_string(), key, old, new, rules]
    }
}
