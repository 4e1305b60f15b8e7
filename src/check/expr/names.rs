//! Names in expressions: bare names (locals, fields of the scope's record,
//! `let` constants), qualified `record.field` names, and the values of
//! `let`s, which may not read a record.

use super::walk::uses_today;
use super::{Locals, Scope, Typed};
use crate::check::Checker;
use crate::diag::{suggest, Code};
use crate::program::expr as ir;
use crate::span::Span;
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn name(&mut self, n: &str, span: Span, scope: &Scope<'_>) -> Option<Typed> {
        if let Some(l) = scope.locals.and_then(|l| l.find(n)) {
            if l.defined_at >= scope.position {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0105,
                            span,
                            format!("{} `{n}` is used before it is defined", l.what),
                        )
                        .with_help(format!("move this after the {} `{n}`", l.what)),
                );
                return None;
            }
            return Some((ir::Expr::Local(l.slot), l.ty));
        }
        if let Some(schema) = scope.record {
            if let Some(slot) = schema.slot(n) {
                if scope.in_let {
                    self.let_reads_field(n, &schema.name, None, span);
                    return None;
                }
                let ty = schema.field(slot).map(|f| f.ty)?;
                return Some((ir::Expr::Field(slot), ty));
            }
        }
        if self.lets.contains_key(n) {
            return self.let_value(n, span);
        }
        if scope.in_let {
            if let Some((record, at)) = self.record_with_field(n) {
                self.let_reads_field(n, &record, Some(at), span);
                return None;
            }
        }
        // A name whose declaration failed is reported there, once.
        if self.reported_names.contains(n)
            || scope.record.is_some_and(|s| {
                self.reported_fields
                    .contains(&(s.name.clone(), n.to_string()))
            })
        {
            return None;
        }
        let mut d = self
            .sink
            .make(Code::E0101, span, format!("unknown name `{n}`"))
            .with_label("not a field, score, stage or `let`");
        // Searched only for a diagnostic that is listed, not counted.
        let suggestion = self.sink.lists(Code::E0101).then(|| {
            let mut candidates: Vec<&str> = scope
                .locals
                .into_iter()
                .flat_map(Locals::iter)
                .map(|l| l.name.as_str())
                .collect();
            if let Some(s) = scope.record {
                candidates.extend(s.fields.iter().map(|f| f.name.as_str()));
            }
            candidates.extend(self.lets.keys().map(String::as_str));
            suggest(n, candidates)
        });
        if let Some(Some(help)) = suggestion {
            d = d.with_help(help);
        } else if !scope.qualified.is_empty() {
            d = d.with_help("fields here are written `deal.field` or `event.field`");
        }
        self.sink.push(d);
        None
    }

    /// A `let` names a record field: constants are computed once for the
    /// whole policy, so they cannot read a record (LANGUAGE.md §4).
    fn let_reads_field(&mut self, field: &str, record: &str, decl: Option<Span>, span: Span) {
        let in_let = self.let_stack.last().cloned();
        let (message, help) = match &in_let {
            Some(l) => {
                let text = self
                    .lets
                    .get(l)
                    .and_then(|d| self.sink.source.get(d.value.span.start..d.value.span.end))
                    .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|t| t.chars().count() <= 60);
                let inline = match text {
                    Some(t) => format!("write `{t}` itself where `{l}` is used"),
                    None => format!("write its expression where `{l}` is used"),
                };
                (
                    format!("`let {l}` mentions the field `{field}`, but a `let` cannot read record fields"),
                    format!(
                        "a `let` is one constant for the whole policy; {inline}, \
                         or compute a value per record with `score … for {record}`"
                    ),
                )
            }
            None => (
                format!("a `let` mentions the field `{field}`, but a `let` cannot read record fields"),
                format!(
                    "a `let` is one constant for the whole policy; write the expression where it is used, \
                     or compute a value per record with `score … for {record}`"
                ),
            ),
        };
        let mut d = self
            .sink
            .make(Code::E0108, span, message)
            .with_label(format!("a field of `{record}`"))
            .with_help(help);
        if let Some(at) = decl {
            d = d.with_related(at, "declared here");
        }
        self.sink.push(d);
    }

    pub(super) fn qualified(
        &mut self,
        q: &ast::Ident,
        f: &ast::Ident,
        scope: &Scope<'_>,
    ) -> Option<Typed> {
        if scope.in_let
            && scope.qualified.is_empty()
            && (matches!(q.node.as_str(), "deal" | "event")
                || self.record_spans.contains_key(&q.node))
        {
            let record = q.node.clone();
            let field = format!("{}.{}", q.node, f.node);
            self.let_reads_field(&field, &record, None, q.span.to(f.span));
            return None;
        }
        // `lead.budget` where bare names are `lead`'s fields is `budget`.
        let found = scope
            .qualified
            .iter()
            .find(|(name, _, _)| *name == q.node)
            .map(|&(_, schema, other)| (schema, other))
            .or_else(|| {
                scope
                    .record
                    .filter(|s| s.name == q.node)
                    .map(|s| (s, false))
            });
        let Some((schema, other)) = found else {
            let names: Vec<&str> = scope.qualified.iter().map(|(n, _, _)| *n).collect();
            let mut d = self
                .sink
                .make(Code::E0101, q.span, format!("unknown record `{}`", q.node));
            d = d.with_help(if names.is_empty() {
                "fields are named without a prefix here".to_string()
            } else {
                suggest(&q.node, names.iter().copied())
                    .unwrap_or_else(|| format!("write one of {}", names.join(", ")))
            });
            self.sink.push(d);
            return None;
        };
        match schema.slot(&f.node) {
            Some(slot) => {
                let ty = schema.field(slot).map(|x| x.ty)?;
                Some((
                    if other {
                        ir::Expr::Other(slot)
                    } else {
                        ir::Expr::Field(slot)
                    },
                    ty,
                ))
            }
            // Reported once, where the commission schema was built.
            None if self
                .reported_fields
                .contains(&(schema.name.clone(), f.node.clone())) =>
            {
                None
            }
            None => {
                let mut d = self.sink.make(
                    Code::E0101,
                    f.span,
                    format!("`{}` has no field `{}`", q.node, f.node),
                );
                d = self.sink.help_if_close(
                    d,
                    &f.node,
                    schema.fields.iter().map(|x| x.name.as_str()),
                );
                self.sink.push(d);
                None
            }
        }
    }

    /// The value of a `let`, compiled once in a constants-only scope: a
    /// literal (folded) is used as it is; any other expression (one that
    /// uses `today`, a constant whose evaluation fails) is added to the
    /// program's lets once, and every use refers to it by index.
    fn let_value(&mut self, n: &str, span: Span) -> Option<Typed> {
        if let Some(done) = self.let_cache.get(n) {
            return done.clone();
        }
        if self.let_stack.iter().any(|s| s == n) {
            self.sink
                .error(Code::E0105, span, format!("`let {n}` refers to itself"));
            return None;
        }
        let decl = self.lets.get(n).copied()?;
        self.let_stack.push(n.to_string());
        let compiled = self.expr(&decl.value, &Scope::constants());
        self.let_stack.pop();
        let shared = compiled.map(|(e, ty)| (self.share(e), ty));
        self.let_cache.insert(n.to_string(), shared.clone());
        shared
    }

    /// The node a use of a `let` whose value is `e` compiles to.
    fn share(&mut self, e: ir::Expr) -> ir::Expr {
        match e {
            ir::Expr::Const(_) | ir::Expr::Today | ir::Expr::Let(_) => e,
            other => {
                let dated = uses_today(&other, &self.let_slots);
                // Past four billion lets, the expression itself.
                self.let_slots
                    .push(other, dated)
                    .map_or_else(|e| e, ir::Expr::Let)
            }
        }
    }
}
