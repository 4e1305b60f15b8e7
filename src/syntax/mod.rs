//! Source → owned AST. pest does the recognising; this module turns pairs
//! into [`ast`] nodes with spans, validates literals, limits nesting, and
//! words syntax errors in the user's terms.

pub mod ast;
mod errors;
mod expr;
mod items;
mod recover;

use std::sync::Arc;

use pest::iterators::{Pair, Pairs};
use pest::Parser as _;

use crate::diag::{Code, Diagnostic, Sink};
use crate::span::Span;

mod grammar {
    #![allow(missing_docs)]
    /// The pest parser generated from `grammar/baton.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "grammar/baton.pest"]
    pub struct BatonParser;
}

use grammar::BatonParser;
pub(crate) use grammar::Rule;

/// Deepest nesting of parentheses and braces accepted. Deeper input is
/// rejected with a diagnostic instead of risking the stack.
pub const MAX_NESTING: usize = 48;
/// Deepest expression tree accepted (long operator chains count too).
pub const MAX_EXPR_DEPTH: usize = 256;

/// Stack the pest parser may need at the nesting limit: measured in a
/// debug build, it fails on a 512 KiB thread and fits a 1 MiB one (pest's
/// own guard then reports "stack limit reached" rather than crash).
const PARSER_STACK: usize = 1024 * 1024;

/// Parses one policy source. Returns the AST, or every syntax problem found
/// (pest stops at the first syntax error; literal problems are all collected).
pub(crate) fn parse(file: &str, source: &str) -> Result<ast::File, Vec<Diagnostic>> {
    parse_rule(file, source, Rule::file, |b, pairs| b.file(pairs))
}

/// Parses a condition on its own (an expression, and nothing after it).
pub(crate) fn parse_condition(file: &str, source: &str) -> Result<ast::Expr, Vec<Diagnostic>> {
    parse_rule(file, source, Rule::condition, |b, mut pairs| {
        let whole = b.next(&mut pairs, Span::default(), "condition")?;
        let span = Builder::span(&whole);
        let expr = b.next(&mut whole.into_inner(), span, "expression")?;
        b.expr(expr)
    })
}

/// Parses `source` as `rule` and builds its AST with `build`.
fn parse_rule<T>(
    file: &str,
    source: &str,
    rule: Rule,
    build: impl FnOnce(&mut Builder<'_>, Pairs<'_, Rule>) -> PResult<T>,
) -> Result<T, Vec<Diagnostic>> {
    let name: Arc<str> = Arc::from(file);
    let mut sink = Sink::new(Arc::clone(&name), source);
    if let Some(at) = too_deep(source) {
        sink.push(
            sink.make(Code::E0002, Span::new(at, at + 1), "nesting too deep")
                .with_label(format!(
                    "more than {MAX_NESTING} levels of parentheses or braces"
                ))
                .with_help("split the expression with `let` constants or simplify it"),
        );
        return Err(sink.finish());
    }
    // Guards against pathological backtracking on hostile input.
    pest::set_call_limit(std::num::NonZeroUsize::new(20_000_000));
    // pest recurses once per rule level; the nesting limit, checked
    // above, bounds how deep.
    let parsed = crate::stack::with_at_least(PARSER_STACK, || BatonParser::parse(rule, source));
    let pairs = match parsed {
        Ok(p) => p,
        Err(e) => {
            let limit = matches!(&e.variant,
                pest::error::ErrorVariant::CustomError { message } if message.contains("call limit"));
            if limit {
                // The parser's guard tripped: the text is too large or too
                // deeply built to parse, not wrong at one place.
                let at = match e.location {
                    pest::error::InputLocation::Pos(p) => p,
                    pest::error::InputLocation::Span((p, _)) => p,
                };
                let at = at.min(source.len());
                let end = source
                    .get(at..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(at, |c| at + c.len_utf8());
                sink.push(
                    sink.make(
                        Code::E0002,
                        Span::new(at, end),
                        "expression too large to parse",
                    )
                    .with_label("the parser gave up here")
                    .with_help("split the expression with `let` constants or simplify it"),
                );
            } else if rule == Rule::file {
                sink.diags.extend(recover::every_syntax_error(&sink, e));
            } else {
                for d in errors::syntax_errors(&sink, e) {
                    sink.push(d);
                }
            }
            return Err(sink.finish());
        }
    };
    let mut b = Builder { sink };
    let result = build(&mut b, pairs);
    match result {
        Ok(f) if !b.sink.has_errors() => Ok(f),
        Ok(_) => Err(b.sink.finish()),
        Err(d) => {
            b.sink.push(*d);
            Err(b.sink.finish())
        }
    }
}

/// Finds the first byte where parentheses/braces nest deeper than allowed,
/// skipping strings and comments.
fn too_deep(source: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut in_comment = false;
    for (i, c) in source.char_indices() {
        if in_comment {
            in_comment = c != '\n';
        } else if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' || c == '\n' {
                in_string = false;
            }
        } else {
            match c {
                '#' => in_comment = true,
                '"' => in_string = true,
                '(' | '{' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Some(i);
                    }
                }
                ')' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    None
}

/// Words for grammar rules, as a user would say them (pest's
/// `renamed_rules`): never a rule name.
pub(crate) fn describe_rule(rule: Rule) -> String {
    let s = format!("{rule:?}");
    if let Some(kw) = s.strip_prefix("kw_") {
        return format!("`{kw}`");
    }
    match rule {
        Rule::EOI => "end of file",
        Rule::expr | Rule::and_expr | Rule::not_expr | Rule::cmp_expr | Rule::sum | Rule::product | Rule::unary | Rule::paren | Rule::call | Rule::path | Rule::set_lit | Rule::today | Rule::bool_lit => "an expression",
        Rule::ident => "a name",
        Rule::string_lit | Rule::string_inner => "a text in double quotes",
        Rule::int_lit => "a whole number",
        Rule::number_lit | Rule::signed_number => "a number",
        Rule::percent_lit | Rule::rate_lit => "a rate such as `50%`",
        Rule::money_lit => "an amount of money",
        Rule::currency_code => "a currency code such as `USD`",
        Rule::duration_lit => "a duration such as `4h` or `90d`",
        Rule::date_lit => "a date such as `2026-11-22`",
        Rule::timestamp_lit => "a timestamp such as `2026-11-22T09:30:00Z`",
        Rule::time_of_day | Rule::time_range => "a time such as `09:00`",
        Rule::weekday | Rule::day_range => "a weekday such as `mon`",
        Rule::cmp_op | Rule::cmp_op_tail => "a comparison",
        Rule::add_op | Rule::mul_op => "an operator",
        Rule::header => "a `policy \"name\" version N effective DATE` header",
        Rule::field_decl => "a field declaration such as `budget: money?`",
        Rule::type_ref => "a type",
        Rule::object_lit => "`{`",
        Rule::optional_mark => "`?`",
        Rule::set_of => "`set of`",
        Rule::timezone_opt => "`timezone`",
        Rule::currency_opt => "`currency`",
        Rule::cal_hours => "opening hours such as `mon-fri 09:00-17:00`",
        Rule::cal_timezone => "`timezone`",
        Rule::cal_closed => "`closed`",
        Rule::owner_stmt => "`owner`",
        Rule::requires_stmt => "`requires`",
        Rule::sla_stmt => "`sla`",
        Rule::warn_stmt => "`warn`",
        Rule::escalate_stmt => "`escalate`",
        Rule::flag_stmt => "`flag`",
        Rule::clawback_stmt => "`clawback`",
        Rule::bonus_stmt => "`bonus`",
        Rule::rounding_stmt => "`rounding`",
        Rule::given_stmt => "`given`",
        Rule::event_stmt => "`event`",
        Rule::at_stmt => "`at`",
        Rule::expect_stmt => "`expect`",
        Rule::neg => "`-`",
        Rule::object_entry => "`name: value`",
        Rule::score_rule => "`add` or `subtract`",
        Rule::clamp_stmt => "`clamp`",
        Rule::stage_stmt => "`stage`",
        Rule::measure_stmt => "`measure`",
        Rule::band_stmt => "`band`",
        Rule::when_arm | Rule::else_arm => "a measure arm such as `100 when …` or `else 0`",
        Rule::schedule_band => "a band such as `days 0 to 30: 100%`",
        Rule::schedule => "a schedule `{ days … }` or `prorated`",
        Rule::let_item | Rule::record_item | Rule::score_item | Rule::qualify_item | Rule::health_item | Rule::calendar_item | Rule::handoff_item | Rule::commission_item | Rule::test_item => "a declaration (`let`, `record`, `score`, `qualify`, `health`, `calendar`, `handoff`, `commission` or `test`)",
        _ => return s.replace('_', " "),
    }
    .to_string()
}

/// Builds AST nodes; literal problems go to the sink and parsing goes on.
pub(crate) struct Builder<'s> {
    pub(crate) sink: Sink<'s>,
}

type PResult<T> = Result<T, Box<Diagnostic>>;

impl Builder<'_> {
    /// The span of a pair without the whitespace pest's implicit
    /// `WHITESPACE` leaves at its end.
    pub(crate) fn span(p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        let trimmed = p.as_str().trim_end().len();
        Span::new(s.start(), s.start() + trimmed)
    }

    /// An internal error: the grammar and the builder disagree. Reported as
    /// a diagnostic, never a panic.
    pub(crate) fn internal(&self, span: Span, what: &str) -> Box<Diagnostic> {
        Box::new(
            self.sink
                .make(Code::E0001, span, format!("internal parser error: {what}")),
        )
    }

    /// The next pair, which the grammar guarantees.
    pub(crate) fn next<'i>(
        &self,
        pairs: &mut Pairs<'i, Rule>,
        parent: Span,
        what: &str,
    ) -> PResult<Pair<'i, Rule>> {
        pairs.next().ok_or_else(|| self.internal(parent, what))
    }

    /// Skips keyword pairs, returning the next meaningful one.
    pub(crate) fn next_non_kw<'i>(
        &self,
        pairs: &mut Pairs<'i, Rule>,
        parent: Span,
        what: &str,
    ) -> PResult<Pair<'i, Rule>> {
        loop {
            let p = self.next(pairs, parent, what)?;
            if !is_keyword(p.as_rule()) {
                return Ok(p);
            }
        }
    }
}

pub(crate) fn is_keyword(r: Rule) -> bool {
    format!("{r:?}").starts_with("kw_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> Diagnostic {
        match parse("t.baton", src) {
            Ok(_) => panic!("expected an error for {src:?}"),
            Err(mut d) => d.remove(0),
        }
    }

    #[test]
    fn missing_expression_after_and_is_worded_for_users() {
        let d = err("policy \"p\" version 1 effective 2026-01-01\nlet x = true and");
        assert_eq!(d.code, Code::E0001);
        assert!(
            d.message.starts_with("expected an expression"),
            "{}",
            d.message
        );
        assert!(d.message.ends_with("after `and`"), "{}", d.message);
        assert_eq!((d.line, d.column), (2, 17));
    }

    #[test]
    fn deep_nesting_is_a_diagnostic_not_a_crash() {
        let src = format!(
            "policy \"p\" version 1 effective 2026-01-01\nlet x = {}1{}",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        assert_eq!(err(&src).code, Code::E0002);
    }

    #[test]
    fn long_chains_are_limited() {
        let src = format!(
            "policy \"p\" version 1 effective 2026-01-01\nlet x = 1{}",
            " + 1".repeat(20000)
        );
        assert_eq!(err(&src).code, Code::E0002);
    }

    #[test]
    fn huge_numbers_are_diagnostics() {
        let d = err("policy \"p\" version 1 effective 2026-01-01\nlet x = 99999999999999999999999");
        assert_eq!(d.code, Code::E0003);
    }

    #[test]
    fn comparisons_do_not_chain() {
        let d = err("policy \"p\" version 1 effective 2026-01-01\nlet x = 1 < 2 < 3");
        assert_eq!(d.code, Code::E0001);
    }
}

#[cfg(test)]
mod example_tests {
    /// Every policy shipped with the worked examples parses.
    #[test]
    fn shared_example_policies_parse() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples");
        let mut n = 0;
        for entry in walk(std::path::Path::new(root)) {
            let src = std::fs::read_to_string(&entry).unwrap();
            if let Err(d) = super::parse(&entry.display().to_string(), &src) {
                panic!("{}", d.iter().map(|d| d.render(&src)).collect::<String>());
            }
            n += 1;
        }
        assert!(n >= 9, "found only {n} policies");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "baton") {
                out.push(p);
            }
        }
        out
    }
}
