//! The checker: resolves names, checks types and block rules, maps fields
//! to slots, and compiles the AST into an immutable [`Program`] policy.
//! Every problem is collected; a policy with any error compiles to nothing.
//!
//! This file holds the entry points and the checker's state and order of
//! work; record declarations are checked in `records`, the `score`,
//! `qualify` and `health` blocks in `blocks`, calendars and handoffs in
//! `handoff`, commission plans in `commission`, `test` blocks in
//! `test_blocks`, and expressions in [`expr`].

mod blocks;
mod commission;
pub mod expr;
mod handoff;
mod records;
mod test_blocks;

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use crate::diag::{Code, Diagnostic, Sink};
use crate::program::expr as ir;
use crate::program::lets::Lets;
use crate::program::Program;
use crate::span::Span;
use crate::syntax::ast::{self, Item};
pub use expr::{Locals, Scope};

/// The front of the pipeline: parses `source` (named `file` in
/// diagnostics) and checks it. Returns the program and its warnings, or
/// every error found.
pub fn compile(file: &str, source: &str) -> Result<(Program, Vec<Diagnostic>), Vec<Diagnostic>> {
    let ast = crate::syntax::parse(file, source)?;
    check(&Arc::from(file), source, ast)
}

/// Compiles a condition on its own over the fields of one of `program`'s
/// record types (`record`, an index) and the program's `let` constants;
/// `file` names the text in diagnostics. With the condition, the `let`s it
/// reads that are not literals, which it refers to by index.
pub(crate) fn condition(
    program: &Program,
    record: usize,
    file: &str,
    text: &str,
) -> Result<(ir::Expr, Lets), Vec<Diagnostic>> {
    let expr = crate::syntax::parse_condition(file, text)?;
    let mut c = Checker::new(Sink::new(Arc::from(file), text));
    for item in &program.ast.items {
        if let Item::Let(l) = item {
            c.lets.entry(l.name.node.clone()).or_insert(l);
        }
    }
    let schema = program.records.get(record).map(|s| &**s);
    let scope = Scope {
        record: schema,
        qualified: &[],
        locals: None,
        position: usize::MAX,
        in_let: false,
    };
    let compiled = c.bool_expr(&expr, &scope);
    match compiled {
        Some(e) if !c.sink.has_errors() => Ok((e, c.let_slots)),
        _ => Err(c.sink.finish()),
    }
}

/// Checks a parsed file. Returns the compiled policy and any warnings, or
/// every error found.
pub fn check(
    file: &Arc<str>,
    source: &str,
    ast: ast::File,
) -> Result<(Program, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut c = Checker::new(Sink::new(Arc::clone(file), source));
    let compiled = c.policy(&ast);
    let failed = c.sink.has_errors();
    let diags = c.sink.finish();
    if failed {
        return Err(diags);
    }
    let warnings = diags;
    match compiled {
        Some(mut p) => {
            p.file = Arc::clone(file);
            p.source = Arc::from(source);
            p.ast = Arc::new(ast);
            Ok((p, warnings))
        }
        None => Err(warnings),
    }
}

/// Checker state for one file.
pub struct Checker<'a> {
    /// Where diagnostics go.
    pub sink: Sink<'a>,
    pub(crate) lets: HashMap<String, &'a ast::LetDecl>,
    pub(crate) let_cache: HashMap<String, Option<expr::Typed>>,
    pub(crate) let_stack: Vec<String>,
    /// Where each record name is first declared.
    pub(crate) record_spans: HashMap<String, Span>,
    /// Where each field of each record, (record, field), is first
    /// declared (the span of its name).
    pub(crate) field_spans: HashMap<(String, String), Span>,
    /// For each field name, the first record declaring it and where.
    pub(crate) field_records: HashMap<String, (String, Span)>,
    /// The index of each declared record among the checked records.
    pub(crate) record_by_name: HashMap<String, usize>,
    /// Records whose `key` names no field (reported once, at the key).
    pub(crate) bad_keys: Vec<String>,
    /// Fields whose problem is reported already, as (record, field): a
    /// field of an unknown type, a `deal.x` / `event.x` column neither
    /// fixed nor declared. Like an error type, a mention of one is silent.
    pub(crate) reported_fields: HashSet<(String, String)>,
    /// Bare names whose declaration failed and was reported (a score over
    /// an unknown record): a mention of one is silent.
    pub(crate) reported_names: HashSet<String>,
    /// Calendars whose declaration failed and was reported: a goal on one
    /// is still declared, without a second diagnostic.
    pub(crate) reported_calendars: HashSet<String>,
    /// Blocks (`qualify`, `health`, `handoff`) over a record that is not
    /// declared, reported there: a test that needs one is not told again
    /// that it is missing.
    pub(crate) reported_blocks: HashSet<&'static str>,
    /// The `let`s compiled so far that are not literals; their uses refer
    /// to them by index.
    pub(crate) let_slots: Lets,
}

impl<'a> Checker<'a> {
    /// A checker with nothing seen yet, reporting to `sink`.
    fn new(sink: Sink<'a>) -> Checker<'a> {
        Checker {
            sink,
            lets: HashMap::new(),
            let_cache: HashMap::new(),
            let_stack: Vec::new(),
            record_spans: HashMap::new(),
            field_spans: HashMap::new(),
            field_records: HashMap::new(),
            record_by_name: HashMap::new(),
            bad_keys: Vec::new(),
            reported_fields: HashSet::new(),
            reported_names: HashSet::new(),
            reported_calendars: HashSet::new(),
            reported_blocks: HashSet::new(),
            let_slots: Lets::default(),
        }
    }
}

impl<'a> Checker<'a> {
    fn policy(&mut self, f: &'a ast::File) -> Option<Program> {
        let h = &f.header;
        let timezone = self.timezone(&h.timezone);
        if let Some(extra) = h.currency.get(1) {
            self.sink
                .error(Code::E0109, extra.span, "`currency` is given twice");
        }
        if h.version.node < 1 {
            self.sink
                .error(Code::E0109, h.version.span, "versions start at 1");
        }
        let currency = h.currency.first().map(|c| c.node);

        // Lets first: usable anywhere whatever the order.
        for item in &f.items {
            if let Item::Let(l) = item {
                match self.lets.get(&l.name.node) {
                    // The first definition stays; the second is the error.
                    Some(first) => self.sink.push(
                        self.sink
                            .make(
                                Code::E0102,
                                l.name.span,
                                format!("`let {}` is defined twice", l.name.node),
                            )
                            .with_label("defined again here")
                            .with_related(first.name.span, "first defined here")
                            .with_help("rename one of them or remove the duplicate"),
                    ),
                    None => {
                        self.lets.insert(l.name.node.clone(), l);
                    }
                }
            }
        }
        let records = self.records(f, currency);
        // Check every let even if unused, so its errors are reported.
        let mut names: Vec<&String> = self.lets.keys().collect();
        names.sort();
        let names: Vec<String> = names.into_iter().cloned().collect();
        for n in names {
            if let Some(l) = self.lets.get(&n).copied() {
                if let Some(r) = records.iter().find(|r| r.slot(&n).is_some()) {
                    let mut d = self
                        .sink
                        .make(
                            Code::E0102,
                            l.name.span,
                            format!("`let {n}` has the name of a field of `{}`", r.name),
                        )
                        .with_help("rename the constant: a bare name must mean one thing");
                    if let Some(at) = self.field_span(&r.name, &n) {
                        d = d.with_related(at, format!("the field of `{}`", r.name));
                    }
                    self.sink.push(d);
                }
                self.let_value_checked(&n, l.name.span);
            }
        }

        let mut scores = Vec::new();
        let mut layouts: HashMap<usize, Locals> = HashMap::new();
        self.scores(f, &records, &mut scores, &mut layouts);
        let qualify = self.qualify(f, &records, &scores, &mut layouts);
        let health = self.health(f, &records, &scores, &mut layouts);
        let calendars = self.calendars(f, timezone);
        let handoffs = self.handoffs(f, &records, &calendars);
        let commission = self.commission(f, &records);
        let blocks = test_blocks::Blocks {
            qualify: qualify.as_ref(),
            health: health.as_ref(),
            handoffs: &handoffs,
            commission: commission.as_ref(),
            timezone: timezone.unwrap_or(chrono_tz::UTC),
        };
        let tests = self.tests(f, &records, &layouts, &blocks);
        let mut layouts: Vec<(usize, Vec<crate::program::blocks::LocalDef>)> = layouts
            .into_iter()
            .map(|(r, l)| (r, l.into_defs()))
            .collect();
        layouts.sort_by_key(|(r, _)| *r);

        Some(Program {
            name: h.name.node.clone(),
            version: h.version.node,
            effective: h.effective.node,
            timezone: timezone?,
            currency,
            file: Arc::from(""),
            source: Arc::from(""),
            records: records.into_iter().map(Arc::new).collect(),
            scores,
            qualify,
            health,
            ast: Arc::new(ast::File {
                header: h.clone(),
                items: Vec::new(),
            }),
            layouts,
            tests,
            handoffs,
            commission,
            lets: std::mem::take(&mut self.let_slots),
        })
    }

    fn let_value_checked(&mut self, n: &str, span: Span) {
        let _ = self.expr(
            &ast::Expr::new(ast::ExprKind::Name(n.to_string()), span),
            &Scope::constants(),
        );
    }

    fn timezone(&mut self, tz: &[crate::span::Spanned<String>]) -> Option<chrono_tz::Tz> {
        if let Some(extra) = tz.get(1) {
            self.sink
                .error(Code::E0109, extra.span, "`timezone` is given twice");
        }
        match tz.first() {
            None => Some(chrono_tz::UTC),
            Some(t) => self.parse_tz(t),
        }
    }

    /// Parses an IANA zone name, suggesting a close one.
    pub fn parse_tz(&mut self, t: &crate::span::Spanned<String>) -> Option<chrono_tz::Tz> {
        match chrono_tz::Tz::from_str(&t.node) {
            Ok(z) => Some(z),
            Err(_) => {
                let mut d = self.sink.make(
                    Code::E0109,
                    t.span,
                    format!("unknown time zone `{}`", t.node),
                );
                let names = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name());
                d = self.sink.help_closest(d, &t.node, names, || {
                    "use an IANA name such as `America/New_York`".into()
                });
                self.sink.push(d);
                None
            }
        }
    }

    /// A name declared twice: the error is at the second declaration, with
    /// the first one shown beside it.
    pub(crate) fn declared_twice(&mut self, again: Span, message: String, first: Option<Span>) {
        let mut d = self
            .sink
            .make(Code::E0102, again, message)
            .with_label("declared again here");
        if let Some(at) = first.filter(|f| *f != again) {
            d = d.with_related(at, "first declared here");
        }
        self.sink.push(d);
    }
}
