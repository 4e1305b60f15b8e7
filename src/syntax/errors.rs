//! Syntax errors worded for users. pest stops at the first failure and
//! names the grammar rules it tried there, never literal punctuation; this
//! module adds what it cannot say:
//!
//! - a lexical scan for texts that are never closed, unknown escapes, and
//!   brackets that are never closed (or close nothing), reported where the
//!   problem starts rather than where the parser tripped over it;
//! - a second, detailed parse (pest's `error_detail` mode, only after a
//!   failure) that knows which punctuation was expected (`=`, `:`), and how
//!   far the parser really got;
//! - comparisons that are chained (`10 < employees < 500`).

use pest::error::{ErrorVariant, InputLocation};
use pest::Parser as _;

use super::{describe_rule, BatonParser, Rule};
use crate::diag::{Code, Diagnostic, Sink};
use crate::span::Span;

/// Sources larger than this are not parsed a second time for details.
const DETAIL_LIMIT: usize = 1 << 20;
/// At most this many lexical problems are reported.
const MAX_LEXICAL: usize = 10;

/// Every diagnostic for a failed parse, in source order.
pub(super) fn syntax_errors(sink: &Sink<'_>, e: pest::error::Error<Rule>) -> Vec<Diagnostic> {
    let src = sink.source;
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
    .min(src.len());
    let detail = detail(src);
    let reached = detail.as_ref().map_or(pos, |d| d.max_pos.max(pos));
    let lexical = lexical_problems(sink);
    // A parse failure at or after a lexical problem is most likely its
    // consequence: the lexical diagnostic says more.
    let explained = lexical.iter().any(|p| match p.kind {
        Lexical::Text { start } => reached >= start,
        Lexical::Unclosed {
            open,
            detected,
            close,
        } => {
            reached > detected
                || (reached >= open && detail.as_ref().is_some_and(|d| d.expects(close)))
        }
        Lexical::Stray { at } => reached >= at,
    });
    let mut out: Vec<Diagnostic> = lexical.into_iter().map(|p| p.diag).collect();
    if !explained || out.is_empty() {
        out.push(parse_error(sink, &e.variant, pos, detail.as_ref()));
    }
    out.sort_by_key(|d| d.span.start);
    out
}

/// What a detailed parse says about the farthest point the parser reached.
struct Detail {
    /// The farthest position where something was expected.
    max_pos: usize,
    /// Literal tokens expected there (whitespace and comments left out),
    /// as pest prints them: the token itself, or `A..Z` for a range.
    tokens: Vec<String>,
    /// Whether the expectation is inside a lexical form (a date, a name…),
    /// where single characters are not what a user thinks of as missing.
    in_lexical_rule: bool,
}

impl Detail {
    fn expects(&self, c: char) -> bool {
        self.tokens.contains(&c.to_string())
    }
}

/// Parses again with pest's error detail on (slower, so only after a failure).
fn detail(src: &str) -> Option<Detail> {
    if src.len() > DETAIL_LIMIT {
        return None;
    }
    pest::set_error_detail(true);
    let result = BatonParser::parse(Rule::file, src);
    pest::set_error_detail(false);
    let e = result.err()?;
    if matches!(e.variant, ErrorVariant::CustomError { .. }) {
        return None;
    }
    let attempts = e.parse_attempts()?;
    let tokens = attempts
        .expected_tokens()
        .into_iter()
        .map(|t| t.to_string())
        .filter(|t| !matches!(t.as_str(), " " | "\t" | "\r" | "\n" | "#"))
        .collect();
    let in_lexical_rule = attempts.call_stacks().iter().any(|s| {
        s.deepest
            .get_rule()
            .copied()
            .or(s.parent)
            .is_some_and(is_lexical)
    });
    Some(Detail {
        max_pos: attempts.max_position.min(src.len()),
        tokens,
        in_lexical_rule,
    })
}

/// Rules that recognise one lexical form, character by character.
fn is_lexical(r: Rule) -> bool {
    super::is_keyword(r)
        || matches!(
            r,
            Rule::ident
                | Rule::reserved
                | Rule::int_lit
                | Rule::number_lit
                | Rule::signed_number
                | Rule::percent_lit
                | Rule::currency_code
                | Rule::duration_lit
                | Rule::date_lit
                | Rule::timestamp_lit
                | Rule::string_lit
                | Rule::string_inner
                | Rule::time_of_day
                | Rule::weekday
                | Rule::today
                | Rule::bool_lit
                | Rule::path
        )
}

// ---------------------------------------------------------------- lexical scan

enum Lexical {
    /// A text (or an escape in it) that breaks at `start`.
    Text { start: usize },
    /// An opening bracket never closed, noticed at `detected` (a closing
    /// bracket of another kind, or the end of the file).
    Unclosed {
        open: usize,
        detected: usize,
        close: char,
    },
    /// A closing bracket with nothing to close.
    Stray { at: usize },
}

struct LexProblem {
    kind: Lexical,
    diag: Diagnostic,
}

fn closer(open: char) -> char {
    if open == '(' {
        ')'
    } else {
        '}'
    }
}

/// Texts, escapes and brackets, skipping comments: problems a parser can
/// only notice late, reported where they start.
fn lexical_problems(sink: &Sink<'_>) -> Vec<LexProblem> {
    let src = sink.source;
    let mut out = Vec::new();
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => while chars.next_if(|&(_, c)| c != '\n').is_some() {},
            '"' => {
                // A text ends at the next unescaped quote on the same line.
                let mut closed = false;
                while let Some((j, c)) = chars.next_if(|&(_, c)| c != '\n') {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next_if(|&(_, c)| c != '\n') {
                            Some((_, '"' | '\\' | 'n' | 't')) => {}
                            Some((k, other)) => {
                                let span = Span::new(j, k + other.len_utf8());
                                out.push(LexProblem {
                                    kind: Lexical::Text { start: i },
                                    diag: sink
                                        .make(
                                            Code::E0001,
                                            span,
                                            format!("unknown escape `\\{other}` in a text"),
                                        )
                                        .with_label("not an escape")
                                        .with_help(
                                            "the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`; write `\\\\` for a backslash",
                                        ),
                                });
                            }
                            None => {}
                        },
                        _ => {}
                    }
                }
                if !closed {
                    let line_end = src
                        .get(i..)
                        .and_then(|rest| rest.find('\n'))
                        .map_or(src.len(), |n| i + n);
                    let text = src.get(i..line_end).unwrap_or("").trim_end();
                    out.push(LexProblem {
                        kind: Lexical::Text { start: i },
                        diag: sink
                            .make(
                                Code::E0001,
                                Span::new(i, i + text.len().max(1)),
                                "this text is never closed",
                            )
                            .with_label("no closing `\"` on this line")
                            .with_help(
                                "end the text with `\"`; a text cannot run over two lines (write `\\n` for a line break)",
                            ),
                    });
                }
            }
            '(' | '{' => stack.push((c, i)),
            ')' | '}' => {
                let open = if c == ')' { '(' } else { '{' };
                match stack.iter().rposition(|(o, _)| *o == open) {
                    Some(k) => {
                        // Everything opened after the match is never closed;
                        // the innermost one is reported.
                        if let Some(&(o, at)) = stack.get(k + 1..).and_then(|s| s.last()) {
                            out.push(unclosed(sink, o, at, Some((c, i))));
                        }
                        stack.truncate(k);
                    }
                    None => out.push(LexProblem {
                        kind: Lexical::Stray { at: i },
                        diag: sink
                            .make(
                                Code::E0001,
                                Span::new(i, i + 1),
                                format!("this `{c}` has no matching `{open}`"),
                            )
                            .with_label("there is nothing to close here")
                            .with_help(format!("remove it, or add the `{open}` it closes")),
                    }),
                }
            }
            _ => {}
        }
    }
    if let Some(&(o, at)) = stack.last() {
        out.push(unclosed(sink, o, at, None));
    }
    out.truncate(MAX_LEXICAL);
    out
}

fn unclosed(sink: &Sink<'_>, open: char, at: usize, seen: Option<(char, usize)>) -> LexProblem {
    let close = closer(open);
    let what = if open == '(' {
        "where the parenthesised expression ends".to_string()
    } else {
        match block_keyword(sink.source, at) {
            Some(kw) => format!("at the end of the `{kw}` block"),
            None => "where the set ends".to_string(),
        }
    };
    let mut d = sink
        .make(
            Code::E0001,
            Span::new(at, at + 1),
            format!("this `{open}` has no matching `{close}`"),
        )
        .with_label(format!("this `{open}` is never closed"))
        .with_help(format!("add `{close}` {what}"));
    let detected = match seen {
        Some((c, i)) => {
            d = d.with_related(
                Span::new(i, i + 1),
                format!("expected `{close}` before this `{c}`"),
            );
            i
        }
        None => sink.source.len(),
    };
    LexProblem {
        kind: Lexical::Unclosed {
            open: at,
            detected,
            close,
        },
        diag: d,
    }
}

/// The keyword that starts the block a `{` at `at` opens (`qualify lead {`
/// → `qualify`), or `None` when the brace opens a set (`= {`, `in {`).
fn block_keyword(src: &str, at: usize) -> Option<&str> {
    let before = src.get(..at)?;
    let line = before.rsplit('\n').next()?.trim_end();
    let last = line
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()?;
    let ends_with_word = line.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    const SET_BEFORE: [&str; 9] = [
        "in",
        "contains",
        "any",
        "all",
        "subset_of",
        "and",
        "or",
        "not",
        "when",
    ];
    if !ends_with_word || SET_BEFORE.contains(&last) {
        return None;
    }
    line.split_whitespace().next()
}

// ---------------------------------------------------------------- the parse error

/// Comparison operators, as they start the text after a failure.
const CMP_SYMBOLS: [&str; 6] = ["==", "!=", "<=", ">=", "<", ">"];
/// Comparison keywords.
const CMP_WORDS: [&str; 6] = ["in", "contains", "subset_of", "between", "is", "not"];

/// pest's failure, in words: what was expected after which token.
fn parse_error(
    sink: &Sink<'_>,
    variant: &ErrorVariant<Rule>,
    pos: usize,
    detail: Option<&Detail>,
) -> Diagnostic {
    let (positives, negatives) = match variant {
        ErrorVariant::ParsingError {
            positives,
            negatives,
        } => (positives.as_slice(), negatives.as_slice()),
        ErrorVariant::CustomError { .. } => (&[][..], &[][..]),
    };
    if let Some(d) = chained_comparison(sink, pos, positives) {
        return d;
    }
    // The detailed parse got farther than the rules pest names: a literal
    // token (`=`, `:`) was missing there.
    if let Some(d) = detail.filter(|d| d.max_pos > pos && !d.in_lexical_rule) {
        let words = token_words(&d.tokens);
        if !words.is_empty() {
            return expected_here(sink, d.max_pos, &words, None);
        }
    }
    let mut expected: Vec<String> = Vec::new();
    let mut unexpected: Vec<String> = Vec::new();
    match variant {
        ErrorVariant::ParsingError { .. } => {
            for r in positives {
                let w = describe_rule(*r);
                if !expected.contains(&w) {
                    expected.push(w);
                }
            }
            for r in negatives {
                let w = describe_rule(*r);
                if !unexpected.contains(&w) {
                    unexpected.push(w);
                }
            }
        }
        ErrorVariant::CustomError { message } => expected.push(message.clone()),
    }
    let help =
        (!unexpected.is_empty()).then(|| format!("{} cannot stand here", unexpected.join(", ")));
    expected_here(sink, pos, &expected, help)
}

/// "expected X, Y or Z after `prev`", underlining what was found at `pos`.
fn expected_here(
    sink: &Sink<'_>,
    pos: usize,
    expected: &[String],
    help: Option<String>,
) -> Diagnostic {
    let src = sink.source;
    let found = found_at(src, pos);
    let what = match expected.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    };
    let mut message = if what.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {what}")
    };
    if let Some(prev) = previous_token(src, pos) {
        message.push_str(&format!(" after `{prev}`"));
    }
    let end = token_end(src, pos);
    let mut d = sink
        .make(Code::E0001, Span::new(pos, end), message)
        .with_label(format!("found {found}"));
    let here = src.get(pos..).unwrap_or("");
    let token = src.get(pos..end).unwrap_or("");
    let expects = |what: &str| expected.iter().any(|e| e.starts_with(what));
    if let Some(h) = help {
        d = d.with_help(h);
    } else if here.starts_with('=') && !here.starts_with("==") && expects("a comparison") {
        d = d.with_help("`=` does not compare: did you mean `==`?");
    } else if !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && expects("a duration")
    {
        d = d.with_help(format!(
            "a duration has a unit: `{token}d`, `{token}h` or `{token}m`"
        ));
    } else if let Some(word) = src.get(pos..end).filter(|w| w.len() > 1) {
        // A misspelt keyword: `ad` where `add` was expected.
        // Every `quoted` word of the expectations is a candidate.
        let keywords: Vec<&str> = expected
            .iter()
            .flat_map(|e| e.split('`').skip(1).step_by(2))
            .filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        d = d.help_if_close(word, keywords);
    }
    d
}

/// The end of the token at `pos`: a whole word or number, else one
/// character.
fn token_end(src: &str, pos: usize) -> usize {
    let rest = src.get(pos..).unwrap_or("");
    let word = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(rest.len(), |(i, _)| i);
    if word > 0 {
        pos + word
    } else {
        next_char_end(src, pos)
    }
}

/// Literal tokens as a user reads them.
fn token_words(tokens: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tokens {
        let w = match t.as_str() {
            "A..Z" => "a currency code such as `USD`".to_string(),
            "0..9" => "a digit".to_string(),
            "BUILTIN_RULE" => continue,
            _ if t.contains("..") && t.chars().count() == 4 => continue,
            _ => format!("`{t}`"),
        };
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// `10 < employees < 500`: the parser stops at the second comparison,
/// where a comparison could not follow (the first one is complete).
fn chained_comparison(sink: &Sink<'_>, pos: usize, positives: &[Rule]) -> Option<Diagnostic> {
    let src = sink.source;
    if !positives.contains(&Rule::kw_or) || positives.contains(&Rule::cmp_op) {
        return None;
    }
    let rest = src.get(pos..)?;
    let op = comparison_at(rest)?;
    let span = Span::new(pos, pos + op.len());
    let help = chain_help(src, pos, op).unwrap_or_else(|| {
        "write two comparisons joined with `and`, e.g. `10 < x and x < 500`".to_string()
    });
    Some(
        sink.make(
            Code::E0001,
            span,
            format!("comparisons do not chain: `{op}` cannot follow a comparison"),
        )
        .with_label("a second comparison")
        .with_help(help),
    )
}

/// The comparison operator or keyword `text` starts with.
fn comparison_at(text: &str) -> Option<&'static str> {
    if let Some(s) = CMP_SYMBOLS.iter().find(|s| text.starts_with(**s)) {
        return Some(s);
    }
    let word: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let w = CMP_WORDS.iter().find(|w| **w == word)?;
    if *w == "not" {
        // Only `not in` is a comparison.
        let after = text.get(3..)?.trim_start();
        let next: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        return (next == "in").then_some("not in");
    }
    Some(w)
}

/// A concrete rewrite of `a op1 b op2 c` when the three operands can be
/// read off the line.
fn chain_help(src: &str, pos: usize, op2: &str) -> Option<String> {
    let line_start = src.get(..pos)?.rfind('\n').map_or(0, |i| i + 1);
    let before = src.get(line_start..pos)?;
    // The expression starts after the last keyword that cannot be inside it.
    let mut start = 0;
    for (i, _) in before.char_indices() {
        let tail = before.get(i..)?;
        let boundary = ["when ", "and ", "or ", "not ", "= ", "(", ","]
            .iter()
            .find(|b| tail.starts_with(**b))
            .filter(|b| {
                // Only whole words; `=` not part of `==`, `<=`, `>=`, `!=`.
                let prev = before.get(..i).and_then(|p| p.chars().last());
                match **b {
                    "= " => !matches!(prev, Some('=' | '<' | '>' | '!')),
                    "(" | "," => true,
                    _ => !prev.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_'),
                }
            });
        if let Some(b) = boundary {
            start = i + b.len();
        }
    }
    let expr = before.get(start..)?;
    let (at1, op1) = CMP_SYMBOLS
        .iter()
        .filter_map(|s| expr.find(*s).map(|i| (i, *s)))
        .min_by_key(|(i, s)| (*i, usize::MAX - s.len()))?;
    let a = expr.get(..at1)?.trim();
    let b = expr.get(at1 + op1.len()..)?.trim();
    let after = src.get(pos + op2.len()..)?;
    let line = after.split('\n').next().unwrap_or("");
    let mut c_end = line.len();
    for stop in [" and ", " or ", ")", ",", "}", "#"] {
        if let Some(i) = line.find(stop) {
            c_end = c_end.min(i);
        }
    }
    let c = line.get(..c_end)?.trim();
    let simple = |s: &str| !s.is_empty() && s.len() <= 40 && !s.contains('"');
    // `10 < employees < 500`: a range test on the middle value, a name.
    let name = |s: &str| s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if !(simple(a) && simple(b) && simple(c) && name(b)) {
        return None;
    }
    let both = format!("`{a} {op1} {b} and {b} {op2} {c}`");
    let up = |o: &str| matches!(o, "<" | "<=");
    let down = |o: &str| matches!(o, ">" | ">=");
    let (lo, hi) = if up(op1) && up(op2) {
        (a, c)
    } else if down(op1) && down(op2) {
        (c, a)
    } else {
        return None;
    };
    let between = format!("`{b} between {lo} and {hi}`");
    Some(if op1.len() == 2 && op2.len() == 2 {
        format!("write {between} (both ends included), or {both}")
    } else {
        format!("write {both}; {between} would include both ends")
    })
}

fn next_char_end(src: &str, pos: usize) -> usize {
    src.get(pos..)
        .and_then(|s| s.chars().next())
        .map_or(pos, |c| pos + c.len_utf8())
}

/// Describes the token at `pos` for "found …".
fn found_at(src: &str, pos: usize) -> String {
    let rest = src.get(pos..).unwrap_or("");
    let token: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(20)
        .collect();
    if token.is_empty() {
        if rest.is_empty() {
            "end of file".into()
        } else {
            "end of line".into()
        }
    } else {
        let word: String = token
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        format!("`{}`", if word.is_empty() { token } else { word })
    }
}

/// The last word or symbol before `pos`, for "after `and`".
fn previous_token(src: &str, pos: usize) -> Option<String> {
    let before = src.get(..pos)?.trim_end();
    let last = before.split_whitespace().last()?;
    let last = last.rsplit(['(', ',']).next().unwrap_or(last);
    if last.is_empty() || last.len() > 30 {
        None
    } else {
        Some(last.to_string())
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::Diagnostic;

    const HEAD: &str = "policy \"p\" version 1 effective 2026-01-01\n\
        record lead key id { id: text  employees: int }\n";

    fn errors(body: &str) -> Vec<Diagnostic> {
        match super::super::parse("t.baton", &format!("{HEAD}{body}")) {
            Ok(_) => panic!("expected a syntax error for {body:?}"),
            Err(d) => d,
        }
    }

    fn text_at(d: &Diagnostic, body: &str) -> String {
        let src = format!("{HEAD}{body}");
        src.get(d.span.start..d.span.end).unwrap_or("").to_string()
    }

    #[test]
    fn an_unclosed_paren_is_reported_at_the_paren() {
        let body = "qualify lead {\n  stage A when (employees > 1\n}\n";
        let d = errors(body);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].message, "this `(` has no matching `)`");
        assert_eq!((d[0].line, d[0].column), (4, 16));
        assert_eq!(d[0].related.len(), 1, "points at the `}}` that came first");
    }

    #[test]
    fn a_block_open_at_the_end_of_the_file_names_its_keyword() {
        let d = errors("qualify lead {\n  stage A when employees > 1\n");
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].message, "this `{` has no matching `}`");
        assert_eq!(
            d[0].help.as_deref(),
            Some("add `}` at the end of the `qualify` block")
        );
    }

    #[test]
    fn an_open_block_does_not_hide_an_unrelated_error_at_the_end() {
        let d = errors("qualify lead {\n  stage A when employees > 1 +\n");
        assert_eq!(d.len(), 2, "{d:#?}");
        assert!(d[1].message.contains("after `+`"), "{}", d[1].message);
    }

    #[test]
    fn a_closing_bracket_with_nothing_to_close() {
        let body = "qualify lead {\n  stage A when employees > 1)\n}\n";
        let d = errors(body);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].message, "this `)` has no matching `(`");
        assert_eq!(text_at(&d[0], body), ")");
    }

    #[test]
    fn brackets_in_texts_and_comments_do_not_count() {
        let body = "qualify lead {\n  stage A when id == \"(\" # {\n  stage B when\n}\n";
        let d = errors(body);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0]
            .message
            .starts_with("expected an expression after `when`"));
    }

    #[test]
    fn an_unterminated_text_is_underlined_from_its_quote() {
        let body = "let x = \"open\nlet y = 1\n";
        let d = errors(body);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].message, "this text is never closed");
        assert_eq!(text_at(&d[0], body), "\"open");
    }

    #[test]
    fn an_unknown_escape_is_named() {
        let d = errors("let x = \"a\\qb\"\n");
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].message, "unknown escape `\\q` in a text");
    }

    #[test]
    fn a_single_equals_and_a_bare_number_for_a_duration_get_their_fix() {
        let eq = errors("qualify lead { stage MQL when employees = 10 }\n");
        assert_eq!(
            eq[0].help.as_deref(),
            Some("`=` does not compare: did you mean `==`?")
        );
        let body = "record note key id { id: text }\n\
            handoff h note note {\n  sla first within 90 met by \"x\"\n}\n";
        let dur = errors(body);
        assert_eq!(
            dur[0].help.as_deref(),
            Some("a duration has a unit: `90d`, `90h` or `90m`"),
            "{dur:#?}"
        );
    }

    #[test]
    fn missing_punctuation_is_named_where_it_is_missing() {
        let d = errors("let x 5\n");
        assert_eq!(d[0].message, "expected `=` after `x`");
        assert_eq!((d[0].line, d[0].column), (3, 7));
        let d = errors("score s for lead {\n  add 1 when employees > 1\n  clamp 0 100\n}\n");
        assert_eq!(d[0].message, "expected `to` after `0`");
    }

    #[test]
    fn chained_comparisons_suggest_a_rewrite() {
        let d = errors("qualify lead {\n  stage A when 10 <= employees <= 500\n}\n");
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].message.starts_with("comparisons do not chain"));
        assert_eq!(
            d[0].help.as_deref(),
            Some(
                "write `employees between 10 and 500` (both ends included), \
                 or `10 <= employees and employees <= 500`"
            )
        );
        // A middle value that is not a name gets the general advice.
        let d = errors("qualify lead {\n  stage A when employees == 5 == 6\n}\n");
        assert!(d[0].message.starts_with("comparisons do not chain"));
        assert!(d[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("joined with `and`"));
        // Keyword comparisons chain no better.
        let d = errors("qualify lead {\n  stage A when id in {\"a\"} in {\"b\"}\n}\n");
        assert!(
            d[0].message.contains("`in` cannot follow"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn a_single_comparison_followed_by_garbage_is_not_a_chain() {
        let d = errors("qualify lead {\n  stage A when employees < 5 6\n}\n");
        assert!(!d[0].message.contains("chain"), "{}", d[0].message);
    }
}
