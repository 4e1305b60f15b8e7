//! `baton::diff::records` against two plain evaluations, on random policy
//! pairs and random leads: the matrix's rows are the old policy's stages,
//! its columns the new one's, each record counted once; a policy against
//! itself changes nothing.

use baton::io::{Format, Reader};
use baton::{Block, EvalOptions, NaiveDate, Policy};
use proptest::prelude::*;

fn policy(version: i64, fit: i64, seats: i64, budget: i64) -> Policy {
    format!(
        r#"policy "p" version {version} effective 2026-01-01
  currency USD
record lead key id {{
  id: text
  seats: int?
  budget: money?
}}
score fit for lead {{
  add 30 when seats >= {seats}
  add 20 when budget >= {budget} USD
}}
qualify lead {{
  stage MQL when fit >= {fit}
  stage SQL when MQL and seats >= {seats} and budget >= {budget} USD
}}
"#
    )
    .parse()
    .expect("a valid policy")
}

/// One lead a line: some fields absent, some not numbers (error records).
fn leads() -> impl Strategy<Value = Vec<String>> {
    let lead = (
        prop::option::of(0i64..200),
        prop::option::of(0i64..30_000),
        0u8..20,
    )
        .prop_map(|(seats, budget, bad)| {
            let mut s = String::from("{\"id\": \"L\"");
            if let Some(n) = seats {
                s.push_str(&format!(", \"seats\": {n}"));
            }
            if bad == 0 {
                s.push_str(", \"budget\": \"lots\"");
            } else if let Some(b) = budget {
                s.push_str(&format!(", \"budget\": \"{b}.00 USD\""));
            }
            s.push('}');
            s
        });
    prop::collection::vec(lead, 0..300)
}

fn reader(lines: &[String]) -> Reader {
    let text = lines.join("\n") + "\n";
    Reader::new(
        Box::new(std::io::Cursor::new(text.into_bytes())),
        Format::Jsonl,
    )
    .expect("input")
}

/// The stage of each lead under `p`, evaluated one by one (`error` for an
/// error record).
fn stages(p: &Policy, lines: &[String], day: NaiveDate) -> Vec<String> {
    let schema = p.qualify_schema().expect("a schema");
    lines
        .iter()
        .map(|l| match schema.from_json_str(l) {
            Err(_) => "error".to_string(),
            Ok(r) => match p.qualify(&r, &EvalOptions::on(day)) {
                Err(_) => "error".to_string(),
                Ok(d) => d.stage.unwrap_or_else(|| "none".to_string()),
            },
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_matrix_is_two_plain_runs_side_by_side(
        a in (0i64..60, 1i64..150, 1i64..25_000),
        b in (0i64..60, 1i64..150, 1i64..25_000),
        lines in leads(),
    ) {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let (old, new) = (policy(1, a.0, a.1, a.2), policy(2, b.0, b.1, b.2));
        let opts = EvalOptions::on(day);
        let mut changes = Vec::new();
        let d = baton::diff::records(
            Block::Qualify,
            (&old, opts),
            (&new, opts),
            reader(&lines),
            true,
            Some(&mut |c| {
                changes.push(c);
                Ok(())
            }),
        )
        .expect("a diff");
        let (so, sn) = (stages(&old, &lines, day), stages(&new, &lines, day));
        prop_assert_eq!(d.records, lines.len() as u64);
        for label in &d.labels {
            let row: u64 = d.matrix.iter().filter(|t| &t.old == label).map(|t| t.count).sum();
            let col: u64 = d.matrix.iter().filter(|t| &t.new == label).map(|t| t.count).sum();
            prop_assert_eq!(row, so.iter().filter(|s| *s == label).count() as u64, "row {}", label);
            prop_assert_eq!(col, sn.iter().filter(|s| *s == label).count() as u64, "column {}", label);
        }
        let moved = so.iter().zip(&sn).filter(|(x, y)| x != y).count() as u64;
        prop_assert_eq!(d.moved, moved);
        // Changes come in input order, one per changed record.
        prop_assert_eq!(changes.len() as u64, d.changed);
        prop_assert!(changes.windows(2).all(|w| w[0].line < w[1].line));
        for c in &changes {
            let (x, y) = c.labels();
            prop_assert_eq!(&x, &so[c.line - 1]);
            prop_assert_eq!(&y, &sn[c.line - 1]);
        }
        // The old policy against itself: nothing changes.
        let same = baton::diff::records(
            Block::Qualify, (&old, opts), (&old, opts), reader(&lines), false, None,
        )
        .expect("a diff");
        prop_assert_eq!((same.changed, same.moved), (0, 0));
    }
}
