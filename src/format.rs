//! `baton fmt`: the canonical layout of a policy file.
//!
//! The formatter only ever changes whitespace between lines and at their
//! ends, never a token, a comment or a text: every non-blank line keeps its
//! content, trimmed. What it sets:
//!
//! - line ends are `\n`, no line ends in spaces, the file ends in exactly
//!   one newline, there are no blank lines at its start or end, and runs of
//!   blank lines become one, none just after a block's `{` or before its
//!   `}`;
//! - a statement is indented two spaces per block it is in (a block is a
//!   `{` that ends its line); its closing `}` lines up with the statement
//!   that opened it; the header's `currency` and `timezone` clauses are
//!   indented two spaces under `policy`;
//! - a continuation line (one that starts with `and`/`or` or a binary
//!   operator, follows a line ending in one or in a comma, or lies inside
//!   a bracket opened on an earlier line of its statement) keeps its
//!   offset from the statement's first line, so hand-aligned conditions
//!   stay aligned when the statement moves.
//!
//! Formatting twice gives the same text as formatting once.

/// A bracket open at the start of a line.
#[derive(Debug, Clone, Copy)]
enum Frame {
    /// A `{` that ended its line: the lines until its `}` are statements
    /// indented `indent`.
    Block { indent: usize },
    /// A bracket opened inside a statement: the lines until it closes
    /// continue that statement.
    Expr,
}

/// The statement being continued: its first line's original and new
/// indentation.
#[derive(Debug, Clone, Copy)]
struct Statement {
    orig: usize,
    new: usize,
}

/// Formats `source` (a policy file that parses). Never fails: whitespace
/// is all it changes.
pub fn format_source(source: &str) -> String {
    let source = source.replace("\r\n", "\n");
    let mut frames: Vec<Frame> = vec![Frame::Block { indent: 0 }];
    // The current statement of each block frame, innermost last.
    let mut statements: Vec<Option<Statement>> = vec![None];
    let mut out = String::with_capacity(source.len());
    let mut blank_pending = false;
    let mut after_open = false;
    let mut wrote_any = false;
    // The last line with code (comments cut), to tell continuations.
    let mut previous = String::new();
    for raw in source.split('\n') {
        let content = raw.trim();
        if content.is_empty() {
            blank_pending = wrote_any;
            continue;
        }
        let orig = indentation(raw);
        let line = scan(content);
        // Closers at the start of the line close their frames first.
        let mut closed_block: Option<usize> = None;
        for _ in 0..line.leading_closers {
            if frames.len() > 1 {
                if let Some(Frame::Block { indent }) = frames.pop() {
                    statements.pop();
                    closed_block = Some(indent.saturating_sub(2));
                }
            }
        }
        let in_expr = matches!(frames.last(), Some(Frame::Expr));
        let block_indent = frames
            .iter()
            .rev()
            .find_map(|f| match f {
                Frame::Block { indent } => Some(*indent),
                Frame::Expr => None,
            })
            .unwrap_or(0);
        let current = statements.last().copied().flatten();
        let header_clause = frames.len() == 1
            && (starts_with_word(content, "currency") || starts_with_word(content, "timezone"));
        let new = if let Some(indent) = closed_block.filter(|_| !in_expr) {
            // A line that starts by closing a block lines up with the
            // statement that opened it, and starts a statement there.
            if let Some(s) = statements.last_mut() {
                *s = Some(Statement { orig, new: indent });
            }
            indent
        } else if header_clause {
            2
        } else {
            match current {
                Some(s) if in_expr || continues(&previous, content) => {
                    // A continuation: same offset from its statement.
                    let offset = orig.saturating_sub(s.orig).max(if in_expr { 2 } else { 0 });
                    s.new + offset
                }
                _ => {
                    if let Some(s) = statements.last_mut() {
                        *s = Some(Statement {
                            orig,
                            new: block_indent,
                        });
                    }
                    block_indent
                }
            }
        };
        // The rest of the line opens and closes brackets.
        let statement_new = statements.last().copied().flatten().map_or(new, |s| s.new);
        let last = line.brackets.len().saturating_sub(1);
        for (i, &t) in line.brackets.iter().enumerate().skip(line.leading_closers) {
            if is_opener(t) {
                if t == b'{' && i == last && line.ends_with_brace {
                    frames.push(Frame::Block {
                        indent: statement_new + 2,
                    });
                    statements.push(None);
                } else {
                    frames.push(Frame::Expr);
                }
            } else if is_closer(t) && frames.len() > 1 {
                if let Some(Frame::Block { .. }) = frames.pop() {
                    statements.pop();
                }
            }
        }
        // The line's code, comment cut, to tell the next line's role.
        let code = content.get(..line.code_end).unwrap_or("").trim_end();
        if !code.is_empty() {
            previous = code.to_string();
        }
        // No blank line just inside a block's braces.
        if blank_pending && !after_open && line.leading_closers == 0 {
            out.push('\n');
        }
        blank_pending = false;
        after_open = line.ends_with_brace;
        out.push_str(&" ".repeat(new));
        out.push_str(content);
        out.push('\n');
        wrote_any = true;
    }
    out
}

/// Whether `line` continues the statement of `previous`: it starts with
/// `and`/`or` or a binary operator, or `previous` ends with one (or with a
/// word or comma that cannot end a statement).
fn continues(previous: &str, line: &str) -> bool {
    const STARTS: [&str; 2] = ["and", "or"];
    const ENDS: [&str; 10] = [
        "and", "or", "not", "when", "in", "contains", "of", "to", "if", "on",
    ];
    let first = line.split_whitespace().next().unwrap_or("");
    let starts_op = STARTS.contains(&first)
        || ["==", "!=", "<=", ">=", "<", ">", "+", "*", "/"]
            .iter()
            .any(|op| line.starts_with(op));
    let prev = previous.trim_end();
    let last_word = prev
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    let ends_op = prev.ends_with(|c: char| ",+-*/=<>".contains(c))
        || (ENDS.contains(&last_word) && prev.ends_with(last_word));
    starts_op || ends_op
}

/// Whether `a` and `b` differ only in what [`format_source`] may change:
/// the same non-blank lines, each with the same content once trimmed.
pub fn same_content(a: &str, b: &str) -> bool {
    let lines = |s: &str| {
        s.split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    lines(a) == lines(b)
}

/// Columns of leading whitespace (a tab counts two).
fn indentation(line: &str) -> usize {
    line.chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 2 } else { 1 })
        .sum()
}

fn starts_with_word(s: &str, w: &str) -> bool {
    s.strip_prefix(w)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
}

fn is_opener(b: u8) -> bool {
    matches!(b, b'{' | b'(' | b'[')
}

fn is_closer(b: u8) -> bool {
    matches!(b, b'}' | b')' | b']')
}

/// The brackets of a line, outside texts and comments.
struct Scan {
    /// Brackets in order.
    brackets: Vec<u8>,
    /// How many of them come first on the line, before anything else.
    leading_closers: usize,
    /// The line's last significant character (before a comment) is `{`.
    ends_with_brace: bool,
    /// Where a comment starts (the line's length when there is none).
    code_end: usize,
}

fn scan(line: &str) -> Scan {
    let mut brackets = Vec::new();
    let mut in_text = false;
    let mut escaped = false;
    let mut last = None;
    let mut leading = true;
    let mut leading_closers = 0;
    let mut code_end = line.len();
    for (i, b) in line.bytes().enumerate() {
        if in_text {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_text = false;
            }
            continue;
        }
        if b.is_ascii_whitespace() {
            continue;
        }
        if b == b'#' {
            code_end = i;
            break;
        }
        if leading && is_closer(b) {
            leading_closers += 1;
        } else {
            leading = false;
        }
        if b == b'"' {
            in_text = true;
        } else if is_opener(b) || is_closer(b) {
            brackets.push(b);
        }
        last = Some(b);
    }
    Scan {
        brackets,
        leading_closers,
        ends_with_brace: last == Some(b'{'),
        code_end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary text (even not a policy) never loses a character other
    /// than whitespace.
    #[test]
    fn arbitrary_text_keeps_its_content(s in "[ \t\r\n{}()\\[\\]a-z\"#,=<>]{0,200}") {
        let f = format_source(&s);
        prop_assert!(same_content(&s, &f));
        prop_assert_eq!(format_source(&f), f);
    }
    }

    #[test]
    fn blocks_statements_and_hand_aligned_continuations() {
        let messy = "\r\n\n# top\npolicy \"p\" version 1 effective 2026-01-01\ncurrency USD   \n\n\n\nrecord lead key id {\n\tid: text\n        budget: money?\n}\nqualify lead {\n      stage MQL when budget >= 10 USD\n                     and id == \"a{\"\n  stage SQL when (MQL\n or id == \"b\")\n}\n\n";
        let want = "# top\npolicy \"p\" version 1 effective 2026-01-01\n  currency USD\n\nrecord lead key id {\n  id: text\n  budget: money?\n}\nqualify lead {\n  stage MQL when budget >= 10 USD\n                 and id == \"a{\"\n  stage SQL when (MQL\n    or id == \"b\")\n}\n";
        let got = format_source(messy);
        assert_eq!(got, want);
        assert!(same_content(messy, &got));
        assert_eq!(format_source(&got), got, "idempotent");
    }

    #[test]
    fn objects_spanning_lines_are_continuations() {
        let src = "test \"t\" {\n  given deal { deal: \"D\", rep: \"a\",\n               closed_on: 2026-01-01 }\n  at 2026-02-01\n}\n";
        assert_eq!(format_source(src), src);
        let shifted = src.replace("\n  ", "\n      ");
        assert_eq!(format_source(&shifted), src);
    }
}
