//! Expressions and literals: pairs → [`ast::Expr`], literal values checked.

use crate::value::parse_duration;

use chrono::NaiveDate;
use pest::iterators::Pair;
use rust_decimal::Decimal;

use super::ast::{BinOp, DurationLit, Expr, ExprKind, Ident, Literal, UnOp};
use super::{Builder, PResult, Rule, MAX_EXPR_DEPTH};
use crate::diag::Code;
use crate::span::{Span, Spanned};
use crate::value::Currency;

impl Builder<'_> {
    /// Builds an expression from an `expr` pair (or any expression rule).
    pub(crate) fn expr(&mut self, p: Pair<'_, Rule>) -> PResult<Expr> {
        Ok(self.e(p)?.0)
    }

    fn limit(&mut self, e: Expr, depth: usize) -> (Expr, usize) {
        if depth > MAX_EXPR_DEPTH {
            if !self.sink.diags.iter().any(|d| d.code == Code::E0002) {
                let d = self
                    .sink
                    .make(Code::E0002, e.span, "expression nested too deeply")
                    .with_label(format!("more than {MAX_EXPR_DEPTH} levels"))
                    .with_help("split the expression with `let` constants");
                self.sink.push(d);
            }
            (Spanned::new(ExprKind::Lit(Literal::Bool(false)), e.span), 1)
        } else {
            (e, depth)
        }
    }

    fn fold(&mut self, op: BinOp, l: (Expr, usize), r: (Expr, usize)) -> (Expr, usize) {
        let span = l.0.span.to(r.0.span);
        let depth = l.1.max(r.1) + 1;
        let e = Spanned::new(ExprKind::Binary(op, Box::new(l.0), Box::new(r.0)), span);
        self.limit(e, depth)
    }

    /// One nesting level of an expression: on the stack [`crate::stack`]
    /// guarantees.
    fn e(&mut self, p: Pair<'_, Rule>) -> PResult<(Expr, usize)> {
        crate::stack::deep(|| self.e_level(p))
    }

    fn e_level(&mut self, p: Pair<'_, Rule>) -> PResult<(Expr, usize)> {
        let span = Self::span(&p);
        match p.as_rule() {
            Rule::expr | Rule::and_expr => {
                let op = if p.as_rule() == Rule::expr {
                    BinOp::Or
                } else {
                    BinOp::And
                };
                let mut inner = p.into_inner().filter(|q| !super::is_keyword(q.as_rule()));
                let first = inner
                    .next()
                    .ok_or_else(|| self.internal(span, "empty expression"))?;
                let mut acc = self.e(first)?;
                for q in inner {
                    let r = self.e(q)?;
                    acc = self.fold(op, acc, r);
                }
                Ok(acc)
            }
            Rule::not_expr => {
                let mut nots = 0usize;
                let mut operand = None;
                for q in p.into_inner() {
                    if q.as_rule() == Rule::kw_not {
                        nots += 1;
                    } else {
                        operand = Some(q);
                    }
                }
                let operand =
                    operand.ok_or_else(|| self.internal(span, "`not` without operand"))?;
                let mut acc = self.e(operand)?;
                for _ in 0..nots {
                    let e = Spanned::new(ExprKind::Unary(UnOp::Not, Box::new(acc.0)), span);
                    acc = self.limit(e, acc.1 + 1);
                }
                Ok(acc)
            }
            Rule::cmp_expr => self.cmp(p, span),
            Rule::sum | Rule::product => {
                let mut inner = p.into_inner();
                let first = self.next(&mut inner, span, "operand")?;
                let mut acc = self.e(first)?;
                while let Some(op) = inner.next() {
                    let op = match op.as_str() {
                        "+" => BinOp::Add,
                        "-" => BinOp::Sub,
                        "*" => BinOp::Mul,
                        _ => BinOp::Div,
                    };
                    let rhs = self.next(&mut inner, span, "operand")?;
                    let r = self.e(rhs)?;
                    acc = self.fold(op, acc, r);
                }
                Ok(acc)
            }
            Rule::unary => {
                let mut negs = 0usize;
                let mut atom = None;
                for q in p.into_inner() {
                    if q.as_rule() == Rule::neg {
                        negs += 1;
                    } else {
                        atom = Some(q);
                    }
                }
                let atom = atom.ok_or_else(|| self.internal(span, "operand"))?;
                let mut acc = self.e(atom)?;
                for _ in 0..negs {
                    let e = Spanned::new(ExprKind::Unary(UnOp::Neg, Box::new(acc.0)), span);
                    acc = self.limit(e, acc.1 + 1);
                }
                Ok(acc)
            }
            Rule::paren => {
                let mut inner = p.into_inner();
                let e = self.next(&mut inner, span, "expression")?;
                let (e, d) = self.e(e)?;
                // Keep the parentheses in the span so diagnostics underline them.
                Ok((Spanned::new(e.node, span), d))
            }
            Rule::call => {
                let mut inner = p.into_inner();
                let name = self.ident(self.next(&mut inner, span, "function name")?);
                let mut args = Vec::new();
                let mut depth = 1;
                for q in inner {
                    let (a, d) = self.e(q)?;
                    depth = depth.max(d + 1);
                    args.push(a);
                }
                Ok(self.limit(Spanned::new(ExprKind::Call(name, args), span), depth))
            }
            Rule::path => {
                let mut inner = p.into_inner();
                let first = self.ident(self.next(&mut inner, span, "name")?);
                let e = match inner.next() {
                    Some(f) => ExprKind::Field(first, self.ident(f)),
                    None => ExprKind::Name(first.node),
                };
                Ok((Spanned::new(e, span), 1))
            }
            Rule::set_lit => {
                let mut elems = Vec::new();
                let mut depth = 1;
                for q in p.into_inner() {
                    let (a, d) = self.e(q)?;
                    depth = depth.max(d + 1);
                    elems.push(a);
                }
                Ok(self.limit(Spanned::new(ExprKind::Set(elems), span), depth))
            }
            Rule::today => Ok((Spanned::new(ExprKind::Today, span), 1)),
            _ => {
                let lit = self.literal(p)?;
                Ok((Spanned::new(ExprKind::Lit(lit), span), 1))
            }
        }
    }

    fn cmp(&mut self, p: Pair<'_, Rule>, span: Span) -> PResult<(Expr, usize)> {
        let mut inner = p.into_inner();
        let lhs = self.next(&mut inner, span, "operand")?;
        let lhs = self.e(lhs)?;
        let Some(tail) = inner.next() else {
            return Ok(lhs);
        };
        let rule = tail.as_rule();
        let mut parts = tail
            .into_inner()
            .filter(|q| !super::is_keyword(q.as_rule()));
        let op = match rule {
            Rule::cmp_is_set | Rule::cmp_is_not_set => {
                let e = ExprKind::IsSet(Box::new(lhs.0), rule == Rule::cmp_is_not_set);
                return Ok(self.limit(Spanned::new(e, span), lhs.1 + 1));
            }
            Rule::cmp_between => {
                let lo = parts
                    .next()
                    .ok_or_else(|| self.internal(span, "lower bound"))?;
                let hi = parts
                    .next()
                    .ok_or_else(|| self.internal(span, "upper bound"))?;
                let (lo, dl) = self.e(lo)?;
                let (hi, dh) = self.e(hi)?;
                let depth = lhs.1.max(dl).max(dh) + 1;
                let e = ExprKind::Between(Box::new(lhs.0), Box::new(lo), Box::new(hi));
                return Ok(self.limit(Spanned::new(e, span), depth));
            }
            Rule::cmp_not_in => BinOp::NotIn,
            Rule::cmp_in => BinOp::In,
            Rule::cmp_contains_any => BinOp::ContainsAny,
            Rule::cmp_contains_all => BinOp::ContainsAll,
            Rule::cmp_contains => BinOp::Contains,
            Rule::cmp_subset => BinOp::SubsetOf,
            _ => {
                let op = parts
                    .next()
                    .ok_or_else(|| self.internal(span, "comparison"))?;
                match op.as_str() {
                    "==" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    "<=" => BinOp::Le,
                    ">=" => BinOp::Ge,
                    "<" => BinOp::Lt,
                    _ => BinOp::Gt,
                }
            }
        };
        let rhs = parts
            .next()
            .ok_or_else(|| self.internal(span, "right operand"))?;
        let rhs = self.e(rhs)?;
        let depth = lhs.1.max(rhs.1) + 1;
        let e = Spanned::new(ExprKind::Binary(op, Box::new(lhs.0), Box::new(rhs.0)), span);
        Ok(self.limit(e, depth))
    }

    /// A name.
    pub(crate) fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Spanned::new(p.as_str().to_string(), Self::span(&p))
    }

    /// Any literal pair.
    pub(crate) fn literal(&mut self, p: Pair<'_, Rule>) -> PResult<Literal> {
        let span = Self::span(&p);
        Ok(match p.as_rule() {
            Rule::bool_lit => Literal::Bool(p.as_str() == "true"),
            Rule::string_lit => Literal::Text(unescape(p.as_str())),
            Rule::int_lit => Literal::Int(self.int(p.as_str(), span)),
            Rule::number_lit | Rule::signed_number => {
                let text = p.as_str();
                if text.contains('.') {
                    Literal::Decimal(self.decimal(text, span))
                } else {
                    Literal::Int(self.int(text, span))
                }
            }
            Rule::percent_lit => Literal::Decimal(self.percent(p.as_str(), span)),
            Rule::rate_lit => {
                let mut inner = p.into_inner();
                let q = self.next(&mut inner, span, "rate")?;
                return self.literal(q);
            }
            Rule::money_lit => {
                let mut inner = p.into_inner();
                let amount = self.next(&mut inner, span, "amount")?;
                let cur = self.next(&mut inner, span, "currency")?;
                let amount = self.decimal(amount.as_str(), span);
                let currency = self.currency(cur.as_str(), span);
                Literal::Money(amount, currency)
            }
            Rule::duration_lit => Literal::Duration(self.duration(p.as_str(), span)),
            Rule::date_lit => Literal::Date(self.date(p.as_str(), span)),
            Rule::timestamp_lit => Literal::Timestamp(self.timestamp(p.as_str(), span)),
            _ => return Err(self.internal(span, "unexpected literal")),
        })
    }

    pub(crate) fn int(&mut self, text: &str, span: Span) -> i64 {
        let clean = text.replace('_', "");
        match clean.parse::<i64>() {
            Ok(v) => v,
            Err(_) => {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0003,
                            span,
                            format!("number `{text}` is out of range"),
                        )
                        .with_help("ints are 64-bit: at most 9223372036854775807"),
                );
                0
            }
        }
    }

    pub(crate) fn decimal(&mut self, text: &str, span: Span) -> Decimal {
        let clean = text.replace('_', "");
        match Decimal::from_str_exact(&clean) {
            Ok(v) => v,
            Err(_) => {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0003,
                            span,
                            format!("number `{text}` cannot be represented exactly"),
                        )
                        .with_help("decimals hold at most 28 significant digits"),
                );
                Decimal::ZERO
            }
        }
    }

    /// A number literal as a decimal (points, weights, arm values); a
    /// percent where the grammar allows one is its decimal (`50%` is 0.5).
    pub(crate) fn number(&mut self, p: Pair<'_, Rule>) -> Spanned<Decimal> {
        let span = Self::span(&p);
        let value = if p.as_rule() == Rule::percent_lit {
            self.percent(p.as_str(), span)
        } else {
            self.decimal(p.as_str(), span)
        };
        Spanned::new(value, span)
    }

    pub(crate) fn percent(&mut self, text: &str, span: Span) -> Decimal {
        let d = self.decimal(text.trim_end_matches('%'), span);
        d.checked_div(Decimal::ONE_HUNDRED).unwrap_or(Decimal::ZERO)
    }

    pub(crate) fn currency(&mut self, text: &str, span: Span) -> Currency {
        match Currency::parse(text) {
            Some(c) => c,
            None => {
                self.sink.error(
                    Code::E0003,
                    span,
                    format!("`{text}` is not a currency code"),
                );
                Currency::XXX
            }
        }
    }

    pub(crate) fn duration(&mut self, text: &str, span: Span) -> DurationLit {
        match parse_duration(text) {
            Some(d) => d,
            None => {
                self.sink.error(
                    Code::E0003,
                    span,
                    format!("duration `{text}` is out of range"),
                );
                DurationLit {
                    seconds: 0,
                    uses_days: false,
                }
            }
        }
    }

    pub(crate) fn date(&mut self, text: &str, span: Span) -> NaiveDate {
        match crate::record::parse_date(text) {
            Some(d) => d,
            None => {
                self.sink.error(
                    Code::E0003,
                    span,
                    format!("`{text}` is not a calendar date"),
                );
                NaiveDate::default()
            }
        }
    }

    pub(crate) fn timestamp(&mut self, text: &str, span: Span) -> i64 {
        match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(t) => t.timestamp(),
            Err(_) => {
                self.sink.error(
                    Code::E0003,
                    span,
                    format!("`{text}` is not a valid timestamp"),
                );
                0
            }
        }
    }
}

/// Resolves `\"`, `\\`, `\n`, `\t` in a quoted literal (quotes included).
fn unescape(quoted: &str) -> String {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(quoted);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(unescape(r#""a\"b\\c\nd""#), "a\"b\\c\nd");
    }
}
