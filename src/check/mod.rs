//! The checker: resolves names, checks types and block rules, maps fields
//! to slots, and compiles the AST into an immutable [`Program`] policy.
//! Every problem is collected; a policy with any error compiles to nothing.

mod commission;
pub mod expr;
mod handoff;
mod tests;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::diag::{suggest, Code, Diagnostic, Sink};
use crate::program::blocks::*;
use crate::program::expr as ir;
use crate::program::Program;
use crate::record::{FieldDef, Schema};
use crate::span::Span;
use crate::syntax::ast::{self, Item};
use crate::value::{Currency, Type};
pub use expr::Scope;

/// The front of the pipeline: parses `source` (named `file` in
/// diagnostics) and checks it. Returns the program and its warnings, or
/// every error found.
pub fn compile(file: &str, source: &str) -> Result<(Program, Vec<Diagnostic>), Vec<Diagnostic>> {
    let ast = crate::syntax::parse(file, source)?;
    check(&Arc::from(file), source, ast)
}

/// Compiles a condition on its own over the fields of one of `program`'s
/// record types (`record`, an index) and the program's `let` constants;
/// `file` names the text in diagnostics.
pub(crate) fn condition(
    program: &Program,
    record: usize,
    file: &str,
    text: &str,
) -> Result<ir::Expr, Vec<Diagnostic>> {
    let expr = crate::syntax::parse_condition(file, text)?;
    let mut c = Checker {
        sink: Sink::new(Arc::from(file), text),
        lets: HashMap::new(),
        let_cache: HashMap::new(),
        let_stack: Vec::new(),
        record_spans: Vec::new(),
        field_spans: Vec::new(),
        bad_keys: Vec::new(),
    };
    for item in &program.ast.items {
        if let Item::Let(l) = item {
            c.lets.entry(l.name.node.clone()).or_insert(l);
        }
    }
    let schema = program.records.get(record).map(|s| &**s);
    let scope = Scope {
        record: schema,
        qualified: &[],
        locals: &[],
        position: usize::MAX,
        in_let: false,
    };
    let compiled = c.bool_expr(&expr, &scope);
    match compiled {
        Some(e) if !c.sink.has_errors() => Ok(e),
        _ => Err(c.sink.diags),
    }
}

/// Checks a parsed file. Returns the compiled policy and any warnings, or
/// every error found.
pub fn check(
    file: &Arc<str>,
    source: &str,
    ast: ast::File,
) -> Result<(Program, Vec<Diagnostic>), Vec<Diagnostic>> {
    let lets: HashMap<String, &ast::LetDecl> = HashMap::new();
    let mut c = Checker {
        sink: Sink::new(Arc::clone(file), source),
        lets,
        let_cache: HashMap::new(),
        let_stack: Vec::new(),
        record_spans: Vec::new(),
        field_spans: Vec::new(),
        bad_keys: Vec::new(),
    };
    let compiled = c.policy(&ast);
    if c.sink.has_errors() {
        return Err(c.sink.diags);
    }
    let warnings = c.sink.diags;
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
    pub(crate) record_spans: Vec<(String, Span)>,
    /// Every field declaration kept: (record, field, span of the name).
    pub(crate) field_spans: Vec<(String, String, Span)>,
    /// Records whose `key` names no field (reported once, at the key).
    pub(crate) bad_keys: Vec<String>,
}

const TYPE_NAMES: [&str; 8] = [
    "bool",
    "int",
    "decimal",
    "money",
    "text",
    "date",
    "timestamp",
    "duration",
];

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
        let mut layouts: HashMap<usize, Vec<LocalDef>> = HashMap::new();
        self.scores(f, &records, &mut scores, &mut layouts);
        let qualify = self.qualify(f, &records, &scores, &mut layouts);
        let health = self.health(f, &records, &scores, &mut layouts);
        let calendars = self.calendars(f, timezone);
        let handoffs = self.handoffs(f, &records, &calendars);
        let commission = self.commission(f, &records);
        let blocks = tests::Blocks {
            qualify: qualify.as_ref(),
            health: health.as_ref(),
            handoffs: &handoffs,
            commission: commission.as_ref(),
            timezone: timezone.unwrap_or(chrono_tz::UTC),
        };
        let tests = self.tests(f, &records, &layouts, &blocks);
        let mut layouts: Vec<(usize, Vec<LocalDef>)> = layouts.into_iter().collect();
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
                d = d.help_closest(&t.node, names, || {
                    "use an IANA name such as `America/New_York`".into()
                });
                self.sink.push(d);
                None
            }
        }
    }

    fn records(&mut self, f: &ast::File, currency: Option<Currency>) -> Vec<Schema> {
        let mut out: Vec<Schema> = Vec::new();
        for item in &f.items {
            let Item::Record(r) = item else { continue };
            let first = self
                .record_spans
                .iter()
                .find(|(n, _)| *n == r.name.node)
                .map(|(_, s)| *s);
            self.record_spans.push((r.name.node.clone(), r.name.span));
            if out.iter().any(|s| s.name == r.name.node) {
                let mut d = self
                    .sink
                    .make(
                        Code::E0102,
                        r.name.span,
                        format!("record `{}` is declared twice", r.name.node),
                    )
                    .with_label("declared again here");
                if let Some(at) = first {
                    d = d.with_related(at, "first declared here");
                }
                self.sink
                    .push(d.with_help("merge the two declarations into one"));
                continue;
            }
            let mut fields: Vec<FieldDef> = Vec::new();
            for fd in &r.fields {
                if fields.iter().any(|x| x.name == fd.name.node) {
                    let mut d = self
                        .sink
                        .make(
                            Code::E0102,
                            fd.name.span,
                            format!("field `{}` is declared twice", fd.name.node),
                        )
                        .with_label("declared again here");
                    if let Some(at) = self.field_span(&r.name.node, &fd.name.node) {
                        d = d.with_related(at, "first declared here");
                    }
                    self.sink
                        .push(d.with_help("remove one of the two declarations"));
                    continue;
                }
                self.field_spans
                    .push((r.name.node.clone(), fd.name.node.clone(), fd.name.span));
                let Some(ty) = self.type_ref(fd) else {
                    continue;
                };
                fields.push(FieldDef {
                    name: fd.name.node.clone(),
                    ty,
                    optional: fd.optional,
                });
            }
            if let Some(k) = &r.key {
                if !fields.iter().any(|x| x.name == k.node) {
                    let mut d = self.sink.make(
                        Code::E0110,
                        k.span,
                        format!("key `{}` is not a field of `{}`", k.node, r.name.node),
                    );
                    let names: Vec<String> = fields
                        .iter()
                        .take(4)
                        .map(|x| format!("`{}`", x.name))
                        .collect();
                    d = d.help_closest(&k.node, fields.iter().map(|x| x.name.as_str()), || {
                        if names.is_empty() {
                            format!("declare a field `{}` in the record", k.node)
                        } else {
                            format!(
                                "declare a field `{}`, or name one of the fields ({})",
                                k.node,
                                names.join(", ")
                            )
                        }
                    });
                    self.sink.push(d);
                    // Reported here; a block over this record does not
                    // report it again as a missing key.
                    self.bad_keys.push(r.name.node.clone());
                }
            }
            if fields.len() > usize::from(u16::MAX) {
                self.sink.error(
                    Code::E0110,
                    r.name.span,
                    "a record holds at most 65535 fields",
                );
                continue;
            }
            out.push(Schema::new(
                &r.name.node,
                fields,
                r.key.as_ref().map(|k| k.node.as_str()),
                currency,
            ));
        }
        out
    }

    fn type_ref(&mut self, fd: &ast::FieldDecl) -> Option<Type> {
        let base = match fd.ty.node.as_str() {
            "bool" => Type::Bool,
            "int" => Type::Int,
            "decimal" => Type::Decimal,
            "money" => Type::Money,
            "text" => Type::Text,
            "date" => Type::Date,
            "timestamp" => Type::Timestamp,
            "duration" => Type::Duration,
            other => {
                let mut d =
                    self.sink
                        .make(Code::E0106, fd.ty.span, format!("unknown type `{other}`"));
                d = d.help_closest(other, TYPE_NAMES, || {
                    format!(
                        "types are {}, and `set of text` / `set of int`",
                        TYPE_NAMES.join(", ")
                    )
                });
                self.sink.push(d);
                return None;
            }
        };
        if !fd.set {
            return Some(base);
        }
        match base {
            Type::Text => Some(Type::SetText),
            Type::Int => Some(Type::SetInt),
            other => {
                self.sink.error(
                    Code::E0106,
                    fd.ty.span,
                    format!("sets hold text or int, not {other}"),
                );
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

    /// Where field `field` of record `record` is declared.
    pub(crate) fn field_span(&self, record: &str, field: &str) -> Option<Span> {
        self.field_spans
            .iter()
            .find(|(r, f, _)| r == record && f == field)
            .map(|(_, _, s)| *s)
    }

    /// The record that declares a field named `field`, if any.
    pub(crate) fn record_with_field(&self, field: &str) -> Option<(String, Span)> {
        self.field_spans
            .iter()
            .find(|(_, f, _)| f == field)
            .map(|(r, _, s)| (r.clone(), *s))
    }

    /// Finds a record by name, reporting an unknown one.
    pub fn record_index(&mut self, records: &[Schema], name: &ast::Ident) -> Option<usize> {
        let i = records.iter().position(|r| r.name == name.node);
        if i.is_none() {
            let mut d = self.sink.make(
                Code::E0101,
                name.span,
                format!("unknown record `{}`", name.node),
            );
            if let Some(h) = suggest(&name.node, records.iter().map(|r| r.name.as_str())) {
                d = d.with_help(h);
            } else {
                d = d.with_help(format!(
                    "declare it with `record {} key … {{ … }}`",
                    name.node
                ));
            }
            self.sink.push(d);
        }
        i
    }

    fn require_key(&mut self, records: &[Schema], r: usize, at: &ast::Ident) {
        if let Some(s) = records.get(r) {
            if s.key.is_none() && !self.bad_keys.contains(&s.name) {
                self.sink.push(
                    self.sink
                        .make(Code::E0110, at.span, format!("record `{}` has no key", s.name))
                        .with_help(format!("declare it as `record {} key <field> {{ … }}` so every output names its record", s.name)),
                );
            }
        }
    }

    fn new_local(
        &mut self,
        layout: &mut Vec<LocalDef>,
        name: &ast::Ident,
        ty: Type,
        defined_at: usize,
        what: &'static str,
        record: &Schema,
    ) -> u16 {
        if let Some(prev) = layout.iter().find(|l| l.name == name.node) {
            let mut d = self
                .sink
                .make(
                    Code::E0102,
                    name.span,
                    format!("`{}` is already defined as a {}", name.node, prev.what),
                )
                .with_label("defined again here");
            if prev.span != Span::default() {
                d = d.with_related(prev.span, "first defined here");
            }
            self.sink
                .push(d.with_help(format!("give this {what} another name")));
        } else if record.slot(&name.node).is_some() {
            let mut d = self
                .sink
                .make(
                    Code::E0102,
                    name.span,
                    format!(
                        "{what} `{}` has the name of a field of `{}`",
                        name.node, record.name
                    ),
                )
                .with_help(format!(
                    "give this {what} another name: a bare name must mean one thing"
                ));
            if let Some(at) = self.field_span(&record.name, &name.node) {
                d = d.with_related(at, format!("the field of `{}`", record.name));
            }
            self.sink.push(d);
        } else if let Some(l) = self.lets.get(&name.node) {
            let at = l.name.span;
            self.sink.push(
                self.sink
                    .make(
                        Code::E0102,
                        name.span,
                        format!("{what} `{}` has the name of a `let`", name.node),
                    )
                    .with_related(at, "the `let`")
                    .with_help(format!(
                        "give this {what} another name: a bare name must mean one thing"
                    )),
            );
        }
        let slot = u16::try_from(layout.len()).unwrap_or(u16::MAX);
        layout.push(LocalDef {
            name: name.node.clone(),
            ty,
            slot,
            defined_at,
            what,
            span: name.span,
        });
        slot
    }

    fn scores(
        &mut self,
        f: &ast::File,
        records: &[Schema],
        scores: &mut Vec<ScoreDef>,
        layouts: &mut HashMap<usize, Vec<LocalDef>>,
    ) {
        // Register every score first, so that a use before the definition
        // is reported as such rather than as an unknown name.
        let mut decls = Vec::new();
        for item in &f.items {
            let Item::Score(s) = item else { continue };
            let Some(r) = self.record_index(records, &s.record) else {
                continue;
            };
            let Some(schema) = records.get(r) else {
                continue;
            };
            let end = s
                .rules
                .iter()
                .map(|x| x.span.end)
                .chain(s.clamps.iter().map(|c| c.span.end))
                .max()
                .unwrap_or(s.name.span.end);
            let local = self.new_local(
                layouts.entry(r).or_default(),
                &s.name,
                Type::Decimal,
                end,
                "score",
                schema,
            );
            decls.push((s, r, local));
        }
        for (s, r, local) in decls {
            let Some(schema) = records.get(r) else {
                continue;
            };
            let visible = layouts.entry(r).or_default().clone();
            let mut rules = Vec::new();
            for rule in &s.rules {
                let scope = Scope {
                    record: Some(schema),
                    qualified: &[],
                    locals: &visible,
                    position: rule.span.start,
                    in_let: false,
                };
                if let Some(cond) = self.bool_expr(&rule.cond, &scope) {
                    let points = if rule.sign == ast::Sign::Add {
                        rule.points.node
                    } else {
                        -rule.points.node
                    };
                    rules.push(self.explained(cond, &rule.cond, points));
                }
            }
            if let Some(extra) = s.clamps.get(1) {
                self.sink
                    .error(Code::E0102, extra.span, "a score has one `clamp`");
            }
            let clamp = s.clamps.first().map(|c| (c.low.node, c.high.node));
            if let (Some((lo, hi)), Some(c)) = (clamp, s.clamps.first()) {
                if lo > hi {
                    self.sink.error(
                        Code::E0103,
                        c.span,
                        format!("`clamp {lo} to {hi}`: the low bound is above the high bound"),
                    );
                }
            }
            scores.push(ScoreDef {
                name: s.name.node.clone(),
                record: r,
                local,
                rules,
                clamp,
            });
        }
    }

    /// A condition with what `--explain` needs: its text and fields.
    fn explained(&self, cond: ir::Expr, src: &ast::Expr, points: Decimal) -> CondDef {
        let mut fields = Vec::new();
        expr::field_slots(&cond, &mut fields);
        let mut locals = Vec::new();
        expr::local_slots(&cond, &mut locals);
        let text = self
            .sink
            .source
            .get(src.span.start..src.span.end)
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        CondDef {
            value: points,
            cond,
            text,
            fields,
            locals,
        }
    }

    fn qualify(
        &mut self,
        f: &ast::File,
        records: &[Schema],
        scores: &[ScoreDef],
        layouts: &mut HashMap<usize, Vec<LocalDef>>,
    ) -> Option<QualifyDef> {
        let mut blocks = f.items.iter().filter_map(|i| {
            if let Item::Qualify(q) = i {
                Some(q)
            } else {
                None
            }
        });
        let q = blocks.next()?;
        for extra in blocks {
            self.sink
                .error(Code::E0102, extra.span, "a policy has one `qualify` block");
        }
        let r = self.record_index(records, &q.record)?;
        self.require_key(records, r, &q.record);
        let schema = records.get(r)?;
        let locals: Vec<u16> = q
            .stages
            .iter()
            .map(|st| {
                self.new_local(
                    layouts.entry(r).or_default(),
                    &st.name,
                    Type::Bool,
                    st.cond.span.end,
                    "stage",
                    schema,
                )
            })
            .collect();
        // Stages see scores and stages, not health measures.
        let visible: Vec<LocalDef> = layouts
            .entry(r)
            .or_default()
            .iter()
            .filter(|l| matches!(l.what, "score" | "stage"))
            .cloned()
            .collect();
        let mut stages = Vec::new();
        for (st, local) in q.stages.iter().zip(locals) {
            let scope = Scope {
                record: Some(schema),
                qualified: &[],
                locals: &visible,
                position: st.name.span.start,
                in_let: false,
            };
            if let Some(cond) = self.bool_expr(&st.cond, &scope) {
                stages.push(StageDef {
                    name: st.name.node.clone(),
                    local,
                    cond: self.explained(cond, &st.cond, Decimal::ZERO),
                });
            }
        }
        Some(QualifyDef {
            record: r,
            scores: scores
                .iter()
                .enumerate()
                .filter(|(_, s)| s.record == r)
                .map(|(i, _)| i)
                .collect(),
            stages,
            n_locals: layouts.get(&r).map_or(0, Vec::len) + 1,
        })
    }

    fn health(
        &mut self,
        f: &ast::File,
        records: &[Schema],
        scores: &[ScoreDef],
        layouts: &mut HashMap<usize, Vec<LocalDef>>,
    ) -> Option<HealthDef> {
        let mut blocks = f.items.iter().filter_map(|i| {
            if let Item::Health(h) = i {
                Some(h)
            } else {
                None
            }
        });
        let h = blocks.next()?;
        for extra in blocks {
            self.sink
                .error(Code::E0102, extra.span, "a policy has one `health` block");
        }
        let r = self.record_index(records, &h.record)?;
        self.require_key(records, r, &h.record);
        let schema = records.get(r)?;
        let measure_locals: Vec<u16> = h
            .measures
            .iter()
            .map(|m| {
                self.new_local(
                    layouts.entry(r).or_default(),
                    &m.name,
                    Type::Decimal,
                    m.span.end,
                    "measure",
                    schema,
                )
            })
            .collect();
        // Arms see scores and earlier measures, not stages.
        let score_visible: Vec<LocalDef> = layouts
            .entry(r)
            .or_default()
            .iter()
            .filter(|l| matches!(l.what, "score" | "measure"))
            .cloned()
            .collect();
        let mut measures = Vec::new();
        for (m, local) in h.measures.iter().zip(measure_locals) {
            if m.weight.node <= Decimal::ZERO {
                self.sink.error(
                    Code::E0201,
                    m.weight.span,
                    format!("measure `{}` needs a positive weight", m.name.node),
                );
            }
            let mut arms = Vec::new();
            let mut else_value = None;
            for (i, arm) in m.arms.iter().enumerate() {
                match arm {
                    ast::Arm::When { value, cond } => {
                        if else_value.is_some() {
                            self.sink.error(
                                Code::E0201,
                                cond.span,
                                "an arm after `else` is never used",
                            );
                        }
                        let scope = Scope {
                            record: Some(schema),
                            qualified: &[],
                            locals: &score_visible,
                            position: value.span.start,
                            in_let: false,
                        };
                        if let Some(c) = self.bool_expr(cond, &scope) {
                            arms.push(self.explained(c, cond, value.node));
                        }
                    }
                    ast::Arm::Else { value, span } => {
                        if else_value.is_some() {
                            self.sink
                                .error(Code::E0201, *span, "a measure has one `else`");
                        } else if i + 1 != m.arms.len() {
                            self.sink
                                .error(Code::E0201, *span, "`else` must be the last arm");
                        }
                        else_value = Some(value.node);
                    }
                }
            }
            if else_value.is_none() {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0201,
                            m.name.span,
                            format!("measure `{}` has no `else` arm", m.name.node),
                        )
                        .with_help(
                            "end every measure with `else VALUE`, the value when no arm is true",
                        ),
                );
            }
            measures.push(MeasureDef {
                name: m.name.node.clone(),
                weight: m.weight.node,
                arms,
                else_value: else_value.unwrap_or_default(),
                local,
            });
        }
        if h.measures.is_empty() {
            self.sink.error(
                Code::E0201,
                h.span,
                "a health block needs at least one `measure`",
            );
        }
        let score_name = ast::Ident::new("score".to_string(), h.span);
        let layout = layouts.entry(r).or_default();
        let score_local = if let Some(prev) = layout.iter().find(|l| l.name == "score") {
            let what = prev.what;
            // At the name that hides it, beside the health block.
            let (at, beside) = if prev.span == Span::default() {
                (h.span, None)
            } else {
                (prev.span, Some(h.record.span))
            };
            let mut d = self
                .sink
                .make(
                    Code::E0102,
                    at,
                    format!("a {what} named `score` hides the health score"),
                )
                .with_help(format!(
                    "rename the {what}: `score` in a health block is the weighted score"
                ));
            if let Some(b) = beside {
                d = d.with_related(b, format!("the health block over `{}`", h.record.node));
            }
            self.sink.push(d);
            0
        } else {
            self.new_local(
                layout,
                &score_name,
                Type::Decimal,
                h.span.start,
                "health score",
                schema,
            )
        };
        let visible: Vec<LocalDef> = layouts
            .entry(r)
            .or_default()
            .iter()
            .filter(|l| l.what != "stage")
            .cloned()
            .collect();
        let mut bands = Vec::new();
        for (i, b) in h.bands.iter().enumerate() {
            let last = i + 1 == h.bands.len();
            match &b.cond {
                None if !last => {
                    self.sink
                        .error(Code::E0201, b.span, "only the last band may be `otherwise`")
                }
                Some(_) if last => self.sink.push(
                    self.sink
                        .make(Code::E0201, b.span, "the last band must be `otherwise`")
                        .with_help(format!(
                            "write `band {} otherwise` or add a final `otherwise` band",
                            b.name.node
                        )),
                ),
                _ => {}
            }
            if let Some(first) = h.bands.iter().take(i).find(|x| x.name.node == b.name.node) {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0102,
                            b.name.span,
                            format!("band `{}` is declared twice", b.name.node),
                        )
                        .with_label("declared again here")
                        .with_related(first.name.span, "first declared here"),
                );
            }
            let cond = match &b.cond {
                Some(c) => {
                    let scope = Scope {
                        record: Some(schema),
                        qualified: &[],
                        locals: &visible,
                        position: usize::MAX,
                        in_let: false,
                    };
                    self.bool_expr(c, &scope)
                }
                None => None,
            };
            bands.push(BandDef {
                name: b.name.node.clone(),
                cond,
            });
        }
        if h.bands.is_empty() {
            self.sink.push(
                self.sink
                    .make(Code::E0201, h.span, "a health block needs bands")
                    .with_help("e.g. `band healthy when score >= 75` … `band critical otherwise`"),
            );
        }
        Some(HealthDef {
            record: r,
            scores: scores
                .iter()
                .enumerate()
                .filter(|(_, s)| s.record == r)
                .map(|(i, _)| i)
                .collect(),
            measures,
            bands,
            score_local,
            n_locals: layouts.get(&r).map_or(0, Vec::len) + 1,
        })
    }
}
