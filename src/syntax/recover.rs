//! Recovery after a syntax error: every broken top-level item is reported,
//! not only the first. pest stops at the first failure; the item it failed
//! in is then blanked out (its bytes turned into spaces, its line breaks
//! kept, so every offset, line and column stays that of the file) and the
//! text parsed again, until it parses or no item is left to blank.

use pest::Parser as _;

use super::{errors, BatonParser, Rule};
use crate::diag::{Diagnostic, Sink};

/// At most this many broken items are reported in one file.
const MAX_BROKEN_ITEMS: usize = 20;

/// The words that open a top-level item.
const ITEM_KEYWORDS: [&str; 9] = [
    "let",
    "record",
    "score",
    "qualify",
    "health",
    "calendar",
    "handoff",
    "commission",
    "test",
];

/// Where top-level items start: a line that begins, in its first column,
/// with an item keyword (the canonical layout puts every item there).
fn item_starts(src: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 0;
    for line in src.split_inclusive('\n') {
        let word: &str = line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        if ITEM_KEYWORDS.contains(&word) && line.len() > word.len() {
            starts.push(at);
        }
        at += line.len();
    }
    starts
}

/// Where a failed parse stopped.
fn position(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((p, _)) => p,
    }
}

/// Every syntax error of a file whose first parse failed with `first`:
/// its diagnostics, then those of each later broken item, parsed with the
/// items before blanked out.
pub(super) fn every_syntax_error(
    sink: &Sink<'_>,
    first: pest::error::Error<Rule>,
) -> Vec<Diagnostic> {
    let src = sink.source;
    let starts = item_starts(src);
    // The item a place belongs to: the last item start at or before it.
    let item_of = |at: usize| {
        starts
            .iter()
            .rev()
            .find(|&&s| s <= at)
            .copied()
            .unwrap_or(0)
    };
    let mut out = errors::syntax_errors(sink, first.clone());
    // One item's problems come from one parse: a later parse that fails in
    // an item already reported (an unclosed bracket found by the first
    // scan, say) adds nothing.
    let mut reported: Vec<usize> = out.iter().map(|d| item_of(d.span.start)).collect();
    let mut text = src.as_bytes().to_vec();
    let mut error = first;
    for _ in 1..MAX_BROKEN_ITEMS {
        let at = position(&error).min(src.len());
        // The broken item runs from the last item start at or before the
        // failure to the next one after it; with no next item the rest of
        // the file is its.
        let Some(&next) = starts.iter().find(|&&s| s > at) else {
            break;
        };
        let from = starts
            .iter()
            .rev()
            .find(|&&s| s <= at)
            .copied()
            .unwrap_or(0);
        for b in text.get_mut(from..next).into_iter().flatten() {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        let Ok(blanked) = std::str::from_utf8(&text) else {
            break;
        };
        match BatonParser::parse(Rule::file, blanked) {
            Ok(_) => break,
            Err(e) => {
                let later = Sink::new(sink.file.clone(), blanked);
                let found = errors::syntax_errors(&later, e.clone());
                let fresh: Vec<Diagnostic> = found
                    .into_iter()
                    .filter(|d| d.span.start >= next && !reported.contains(&item_of(d.span.start)))
                    .collect();
                reported.extend(fresh.iter().map(|d| item_of(d.span.start)));
                out.extend(fresh);
                if position(&e) < next {
                    // No progress past the blanked item: stop rather than loop.
                    break;
                }
                error = e;
            }
        }
    }
    out.sort_by_key(|d| d.span.start);
    out
}

#[cfg(test)]
mod tests {
    use crate::syntax::parse;

    #[test]
    fn every_broken_item_is_reported() {
        let src = "policy \"p\" version 1 effective 2026-01-01\n\
            record lead key id { id: text  seats: int }\n\
            score fit for lead {\n  ad 20 when seats > 10\n}\n\
            let ok = 1\n\
            qualify lead {\n  stage MQL whn seats > 5\n}\n\
            let also_ok = 2\n\
            let broken = (1 +\n";
        let diags = parse("p.baton", src).unwrap_err();
        let lines: Vec<usize> = diags.iter().map(|d| d.line).collect();
        // One diagnostic per broken item, in source order.
        assert_eq!(lines, [4, 8, 11], "{diags:#?}");
    }

    #[test]
    fn a_single_error_is_reported_once() {
        let src = "policy \"p\" version 1 effective 2026-01-01\nlet x = 1 +\nlet y = 2\n";
        let diags = parse("p.baton", src).unwrap_err();
        assert_eq!(diags.len(), 1, "{diags:#?}");
    }

    #[test]
    fn items_start_at_keywords_in_the_first_column() {
        let src = "policy \"p\" version 1 effective 2026-01-01\nlet x = 1\n  let y = 2\nrecordings\nrecord r { }\n";
        let starts = super::item_starts(src);
        let words: Vec<&str> = starts.iter().map(|&s| &src[s..s + 3]).collect();
        assert_eq!(words, ["let", "rec"]);
    }
}
