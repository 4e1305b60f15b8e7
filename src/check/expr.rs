//! Checking and compiling expressions: names → slots, types inferred and
//! checked, operators specialised, constants folded.

use chrono::NaiveDate;

use super::Checker;
use crate::diag::{suggest, Code};
use crate::program::blocks::LocalDef;
use crate::program::eval::{Env, EvalError};
use crate::program::expr as ir;
use crate::program::expr::{
    Arith, ArithKind, ArithOp, Between, Cmp, CmpKind, CmpOp, Func, Origin, SetRel,
};
use crate::record::Schema;
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, ExprKind, Literal, UnOp};
use crate::value::{IntSet, Money, TextSet, Type, Val, Value};

/// What names an expression can see.
#[derive(Clone, Copy)]
pub struct Scope<'s> {
    /// Bare names resolve to this record's fields.
    pub record: Option<&'s Schema>,
    /// `q.field` resolves here: (qualifier, schema, is the second record).
    pub qualified: &'s [(&'s str, &'s Schema, bool)],
    /// Scores, stages, measures visible by name.
    pub locals: &'s [LocalDef],
    /// Where the expression stands (for "used before it is defined").
    pub position: usize,
    /// Inside a `let`: record fields are not allowed.
    pub in_let: bool,
}

impl<'s> Scope<'s> {
    /// A scope with only `let` constants.
    pub fn constants() -> Scope<'static> {
        Scope {
            record: None,
            qualified: &[],
            locals: &[],
            position: usize::MAX,
            in_let: true,
        }
    }
}

/// A compiled expression and its type.
pub type Typed = (ir::Expr, Type);

impl Checker<'_> {
    /// Checks `e` and requires it to be a `bool`.
    pub fn bool_expr(&mut self, e: &ast::Expr, scope: &Scope<'_>) -> Option<ir::Expr> {
        let (ir, ty) = self.expr(e, scope)?;
        if let (ir::Expr::Field(slot), Type::Bool) = (&ir, ty) {
            return Some(ir::Expr::BoolField(*slot));
        }
        if ty != Type::Bool {
            self.sink.push(
                self.sink
                    .make(
                        Code::E0103,
                        e.span,
                        format!("expected a condition (bool), found {ty}"),
                    )
                    .with_label(format!("this is {}", article(ty)))
                    .with_help(format!(
                        "a condition is true or false: compare the {ty} (e.g. `… >= …`) or test `… is set`"
                    )),
            );
            return None;
        }
        Some(ir)
    }

    /// Checks and compiles an expression. Problems are reported to the
    /// sink; `None` means the expression had an error.
    pub fn expr(&mut self, e: &ast::Expr, scope: &Scope<'_>) -> Option<Typed> {
        crate::stack::deep(|| self.expr_level(e, scope))
    }

    fn expr_level(&mut self, e: &ast::Expr, scope: &Scope<'_>) -> Option<Typed> {
        let span = e.span;
        match &e.node {
            ExprKind::Lit(l) => Some(literal(l)),
            ExprKind::Today => Some((ir::Expr::Today, Type::Date)),
            ExprKind::Name(n) => self.name(n, span, scope),
            ExprKind::Field(q, f) => self.qualified(q, f, scope),
            ExprKind::Set(elems) => self.set(elems, span, scope),
            ExprKind::Call(f, args) => self.call(f, args, span, scope),
            ExprKind::Unary(UnOp::Not, a) => {
                let a = self.bool_expr(a, scope)?;
                self.fold(ir::Expr::Not(Box::new(a)), Type::Bool, span)
            }
            ExprKind::Unary(UnOp::Neg, a) => {
                let (a, ty) = self.expr(a, scope)?;
                if !matches!(ty, Type::Int | Type::Decimal | Type::Money | Type::Duration) {
                    self.type_error(span, format!("cannot negate {}", article(ty)));
                    return None;
                }
                self.fold(ir::Expr::Neg(Box::new(a)), ty, span)
            }
            ExprKind::IsSet(a, negate) => {
                let (a, _) = self.expr(a, scope)?;
                Some((ir::Expr::IsSet(Box::new(a), *negate), Type::Bool))
            }
            ExprKind::Between(v, lo, hi) => {
                let tv = self.expr(v, scope);
                let tl = self.expr(lo, scope);
                let th = self.expr(hi, scope);
                let ((v, t1), (lo, t2), (hi, t3)) = (tv?, tl?, th?);
                let k1 = self.cmp_kind(CmpOp::Le, t1, t2, &v, &lo, span)?;
                let k2 = self.cmp_kind(CmpOp::Le, t1, t3, &v, &hi, span)?;
                // The value is compared with both bounds: bounds of two
                // currencies fail for every record.
                if self.constant_currencies_differ(&lo, &hi, span, "as bounds of one `between`") {
                    return None;
                }
                let kind = if k1 == CmpKind::Num || k2 == CmpKind::Num {
                    CmpKind::Num
                } else {
                    k1
                };
                let origin = self.origin(span, None, &[&v, &lo, &hi], scope);
                let node = ir::Expr::Between(Box::new(Between {
                    kind,
                    value: v,
                    lo,
                    hi,
                    origin,
                }));
                self.fold(node, Type::Bool, span)
            }
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, span, scope),
        }
    }

    fn type_error(&mut self, span: Span, message: String) {
        self.sink.error(Code::E0103, span, message);
    }

    fn name(&mut self, n: &str, span: Span, scope: &Scope<'_>) -> Option<Typed> {
        if let Some(l) = scope.locals.iter().find(|l| l.name == n) {
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
        let mut candidates: Vec<&str> = scope.locals.iter().map(|l| l.name.as_str()).collect();
        if let Some(s) = scope.record {
            candidates.extend(s.fields.iter().map(|f| f.name.as_str()));
        }
        candidates.extend(self.lets.keys().map(String::as_str));
        let mut d = self
            .sink
            .make(Code::E0101, span, format!("unknown name `{n}`"))
            .with_label("not a field, score, stage or `let`");
        if let Some(help) = suggest(n, candidates) {
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

    fn qualified(&mut self, q: &ast::Ident, f: &ast::Ident, scope: &Scope<'_>) -> Option<Typed> {
        if scope.in_let
            && scope.qualified.is_empty()
            && (matches!(q.node.as_str(), "deal" | "event")
                || self.record_spans.iter().any(|(r, _)| *r == q.node))
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
            None => {
                let mut d = self.sink.make(
                    Code::E0101,
                    f.span,
                    format!("`{}` has no field `{}`", q.node, f.node),
                );
                d = d.help_if_close(&f.node, schema.fields.iter().map(|x| x.name.as_str()));
                self.sink.push(d);
                None
            }
        }
    }

    /// The value of a `let`, compiled once in a constants-only scope and
    /// inlined (folded to a constant unless it mentions `today`).
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
        self.let_cache.insert(n.to_string(), compiled.clone());
        compiled
    }

    fn set(&mut self, elems: &[ast::Expr], span: Span, scope: &Scope<'_>) -> Option<Typed> {
        let mut texts = Vec::new();
        let mut ints = Vec::new();
        let mut ok = true;
        for el in elems {
            match self.expr(el, scope) {
                Some((ir::Expr::Const(Value::Text(t)), _)) => texts.push(t),
                Some((ir::Expr::Const(Value::Int(i)), _)) => ints.push(i),
                Some((node, ty)) => {
                    ok = false;
                    let message = match constant_failure(&node) {
                        Some(err) => format!("this set element always fails: {err}"),
                        None => format!("a set holds constant texts or ints, not {}", article(ty)),
                    };
                    self.sink.push(
                        self.sink
                            .make(Code::E0108, el.span, message)
                            .with_help("set literals are built once, when the policy is checked"),
                    );
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        if !texts.is_empty() && !ints.is_empty() {
            self.type_error(span, "a set holds texts or ints, not both".into());
            return None;
        }
        if ints.is_empty() {
            Some((
                ir::Expr::Const(Value::SetText(TextSet::new(texts))),
                Type::SetText,
            ))
        } else {
            Some((
                ir::Expr::Const(Value::SetInt(IntSet::new(ints))),
                Type::SetInt,
            ))
        }
    }

    fn call(
        &mut self,
        f: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        scope: &Scope<'_>,
    ) -> Option<Typed> {
        let (func, arity) = match f.node.as_str() {
            "in_days" => (Func::InDays, 1),
            "in_hours" => (Func::InHours, 1),
            "currency" => (Func::Currency, 1),
            "amount" => (Func::Amount, 1),
            "len" => (Func::Len, 1),
            "lower" => (Func::Lower, 1),
            "min" => (Func::Min, 2),
            "max" => (Func::Max, 2),
            "round" => (Func::Round, 2),
            other => {
                let names = [
                    "in_days", "in_hours", "currency", "amount", "len", "lower", "min", "max",
                    "round",
                ];
                let mut d =
                    self.sink
                        .make(Code::E0107, f.span, format!("unknown function `{other}`"));
                d = d.help_closest(other, names, || {
                    format!("functions are {}", names.join(", "))
                });
                self.sink.push(d);
                return None;
            }
        };
        if args.len() != arity {
            self.sink.error(
                Code::E0107,
                span,
                format!(
                    "`{}` takes {arity} argument{}, not {}",
                    f.node,
                    if arity == 1 { "" } else { "s" },
                    args.len()
                ),
            );
            return None;
        }
        let mut typed = Vec::new();
        for a in args {
            typed.push(self.expr(a, scope));
        }
        let typed: Vec<Typed> = typed.into_iter().collect::<Option<_>>()?;
        let tys: Vec<Type> = typed.iter().map(|(_, t)| *t).collect();
        let want = |expected: &str, found: Type| {
            format!("`{}` expects {expected}, found {}", f.node, article(found))
        };
        let result = match (func, tys.as_slice()) {
            (Func::InDays | Func::InHours, [Type::Duration]) => Type::Decimal,
            (Func::Currency, [Type::Money]) => Type::Text,
            (Func::Amount, [Type::Money]) => Type::Decimal,
            (Func::Len, [Type::SetText | Type::SetInt]) => Type::Int,
            (Func::Lower, [Type::Text]) => Type::Text,
            (Func::Round, [Type::Int | Type::Decimal, Type::Int]) => Type::Decimal,
            (Func::Min | Func::Max, [a, b]) if a.is_number() && b.is_number() => {
                if *a == Type::Int && *b == Type::Int {
                    Type::Int
                } else {
                    Type::Decimal
                }
            }
            (Func::Min | Func::Max, [a, b]) if a == b && a.is_ordered() => *a,
            (Func::Min | Func::Max, [a, b]) => {
                self.type_error(
                    span,
                    format!(
                        "`{}` needs two values of one ordered type, found {a} and {b}",
                        f.node
                    ),
                );
                return None;
            }
            (Func::InDays | Func::InHours, [t]) => return self.fail(span, want("a duration", *t)),
            (Func::Currency | Func::Amount, [t]) => return self.fail(span, want("money", *t)),
            (Func::Len, [t]) => return self.fail(span, want("a set", *t)),
            (Func::Lower, [t]) => return self.fail(span, want("a text", *t)),
            (Func::Round, [a, b]) => {
                return self.fail(
                    span,
                    format!("`round` expects a decimal and an int, found {a} and {b}"),
                )
            }
            _ => return None,
        };
        let args = typed.into_iter().map(|(e, _)| e).collect();
        self.fold(ir::Expr::Call(func, args), result, span)
    }

    fn fail<T>(&mut self, span: Span, message: String) -> Option<T> {
        self.type_error(span, message);
        None
    }

    fn binary(
        &mut self,
        op: BinOp,
        l: &ast::Expr,
        r: &ast::Expr,
        span: Span,
        scope: &Scope<'_>,
    ) -> Option<Typed> {
        if matches!(op, BinOp::And | BinOp::Or) {
            let a = self.bool_expr(l, scope);
            let b = self.bool_expr(r, scope);
            let (a, b) = (a?, b?);
            // Chains become one n-ary node, evaluated left to right.
            let and = op == BinOp::And;
            let mut items = Vec::new();
            for e in [a, b] {
                match e {
                    ir::Expr::All(v) if and => items.extend(v),
                    ir::Expr::Any(v) if !and => items.extend(v),
                    other => items.push(other),
                }
            }
            let node = if and {
                ir::Expr::All(items)
            } else {
                ir::Expr::Any(items)
            };
            return self.fold(node, Type::Bool, span);
        }
        let lt = self.expr(l, scope);
        let rt = self.expr(r, scope);
        let ((le, lty), (re, rty)) = (lt?, rt?);
        let cmp_op = match op {
            BinOp::Eq => Some(CmpOp::Eq),
            BinOp::Ne => Some(CmpOp::Ne),
            BinOp::Lt => Some(CmpOp::Lt),
            BinOp::Le => Some(CmpOp::Le),
            BinOp::Gt => Some(CmpOp::Gt),
            BinOp::Ge => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(cop) = cmp_op {
            let kind = self.cmp_kind(cop, lty, rty, &le, &re, span)?;
            let origin = self.origin(span, Some(r.span), &[&le, &re], scope);
            let node = match (le, re) {
                (ir::Expr::Field(slot), ir::Expr::Const(value)) if fast_cmp(&value) => {
                    ir::Expr::FieldCmpConst(Box::new(ir::FieldCmp::new(slot, cop, value, origin)))
                }
                (ir::Expr::Const(value), ir::Expr::Field(slot)) if fast_cmp(&value) => {
                    // `500 <= employees` is `employees >= 500`.
                    let op = match cop {
                        CmpOp::Lt => CmpOp::Gt,
                        CmpOp::Le => CmpOp::Ge,
                        CmpOp::Gt => CmpOp::Lt,
                        CmpOp::Ge => CmpOp::Le,
                        other => other,
                    };
                    ir::Expr::FieldCmpConst(Box::new(ir::FieldCmp::new(slot, op, value, origin)))
                }
                (lhs, rhs) => ir::Expr::Cmp(Box::new(Cmp {
                    op: cop,
                    kind,
                    lhs,
                    rhs,
                    origin,
                })),
            };
            return self.fold(node, Type::Bool, span);
        }
        match op {
            BinOp::In | BinOp::NotIn | BinOp::Contains => {
                let (elem, ety, set, sty) = if op == BinOp::Contains {
                    (re, rty, le, lty)
                } else {
                    (le, lty, re, rty)
                };
                match sty.element() {
                    Some(t) if t == ety => {}
                    Some(_) if ety.element().is_some() && op == BinOp::Contains => {
                        return self.fail(span, format!("`contains` takes one element; to test a whole {ety} use `contains all` or `contains any`"));
                    }
                    Some(t) => {
                        return self.fail(
                            span,
                            format!(
                                "`{}` needs {} and a {sty}, found {}",
                                op.symbol(),
                                article(t),
                                article(ety)
                            ),
                        )
                    }
                    None => {
                        return self.fail(
                            span,
                            format!("`{}` needs a set, found {}", op.symbol(), article(sty)),
                        )
                    }
                }
                let negate = op == BinOp::NotIn;
                let node = match (&elem, &set) {
                    (ir::Expr::Field(slot), ir::Expr::Const(Value::SetText(s))) => {
                        ir::Expr::FieldInTexts {
                            slot: *slot,
                            set: crate::value::ConstTexts::new(s),
                            negate,
                        }
                    }
                    (ir::Expr::Const(Value::Text(t)), ir::Expr::Field(slot)) if !negate => {
                        ir::Expr::FieldContainsText {
                            slot: *slot,
                            text: t.clone(),
                        }
                    }
                    _ => ir::Expr::Member {
                        elem: Box::new(elem),
                        set: Box::new(set),
                        negate,
                    },
                };
                self.fold(node, Type::Bool, span)
            }
            BinOp::ContainsAny | BinOp::ContainsAll | BinOp::SubsetOf => {
                if lty.element().is_none() || lty != rty {
                    return self.fail(
                        span,
                        format!(
                            "`{}` needs two sets of one type, found {lty} and {rty}",
                            op.symbol()
                        ),
                    );
                }
                let rel = match op {
                    BinOp::ContainsAny => SetRel::Any,
                    BinOp::ContainsAll => SetRel::All,
                    _ => SetRel::Subset,
                };
                self.fold(
                    ir::Expr::SetRel(rel, Box::new(le), Box::new(re)),
                    Type::Bool,
                    span,
                )
            }
            _ => {
                let aop = match op {
                    BinOp::Add => ArithOp::Add,
                    BinOp::Sub => ArithOp::Sub,
                    BinOp::Mul => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                let (kind, ty) = self.arith_kind(aop, lty, rty, &le, &re, r, span)?;
                let origin = self.origin(span, Some(r.span), &[&le, &re], scope);
                let node = ir::Expr::Arith(Box::new(Arith {
                    op: aop,
                    kind,
                    lhs: le,
                    rhs: re,
                    origin,
                }));
                self.fold(node, ty, span)
            }
        }
    }

    fn cmp_kind(
        &mut self,
        op: CmpOp,
        l: Type,
        r: Type,
        le: &ir::Expr,
        re: &ir::Expr,
        span: Span,
    ) -> Option<CmpKind> {
        let ordering = !matches!(op, CmpOp::Eq | CmpOp::Ne);
        if l.is_number() && r.is_number() {
            return Some(if l == Type::Int && r == Type::Int {
                CmpKind::Int
            } else {
                CmpKind::Num
            });
        }
        if l != r {
            let mut d = self.sink.make(
                Code::E0103,
                span,
                format!("cannot compare {} with {}", article(l), article(r)),
            );
            if l == Type::Money && r.is_number() || r == Type::Money && l.is_number() {
                d = d.with_help(
                    "write the amount with its currency, e.g. `10_000 USD`, or use `amount(…)`",
                );
            } else if let Some(h) =
                quoted_literal_help(le, r).or_else(|| quoted_literal_help(re, l))
            {
                d = d.with_help(h);
            } else {
                d = d.with_help(
                    "both sides of a comparison must have one type (ints and decimals mix)",
                );
            }
            self.sink.push(d);
            return None;
        }
        if l == Type::Money {
            if self.constant_currencies_differ(le, re, span, "compared") {
                return None;
            }
            return Some(CmpKind::Money);
        }
        if ordering && !l.is_ordered() {
            self.sink.push(
                self.sink
                    .make(
                        Code::E0103,
                        span,
                        format!("{} values support only `==` and `!=`", l),
                    )
                    .with_label(format!("`{}` needs an ordered type", op.symbol())),
            );
            return None;
        }
        Some(CmpKind::Same)
    }

    #[allow(clippy::too_many_arguments)]
    fn arith_kind(
        &mut self,
        op: ArithOp,
        l: Type,
        r: Type,
        le: &ir::Expr,
        re: &ir::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> Option<(ArithKind, Type)> {
        use ArithOp::*;
        use Type::*;
        let k = match (op, l, r) {
            (_, Int, Int) => (ArithKind::IntInt, if op == Div { Decimal } else { Int }),
            (_, a, b) if a.is_number() && b.is_number() => (ArithKind::Num, Decimal),
            (Add | Sub, Money, Money) => (ArithKind::MoneyMoney, Money),
            (Div, Money, Money) => (ArithKind::MoneyMoney, Decimal),
            (Mul | Div, Money, b) if b.is_number() => (ArithKind::MoneyNum, Money),
            (Mul, a, Money) if a.is_number() => (ArithKind::NumMoney, Money),
            (Add | Sub, Duration, Duration) => (ArithKind::DurDur, Duration),
            (Mul, Duration, Int) => (ArithKind::DurInt, Duration),
            (Mul, Int, Duration) => (ArithKind::IntDur, Duration),
            (Sub, Timestamp, Timestamp) => (ArithKind::TsTs, Duration),
            (Sub, Date, Date) => (ArithKind::DateDate, Duration),
            (Add | Sub, Timestamp, Duration) => (ArithKind::TsDur, Timestamp),
            (Add | Sub, Date, Duration) => {
                if let ast::ExprKind::Lit(Literal::Duration(d)) = &rhs.node {
                    if d.seconds % 86_400 != 0 {
                        self.sink.push(
                            self.sink
                                .make(
                                    Code::E0103,
                                    rhs.span,
                                    "a duration with hours or minutes cannot be added to a date",
                                )
                                .with_help("use whole days, or a timestamp"),
                        );
                        return None;
                    }
                }
                (ArithKind::DateDur, Date)
            }
            _ => {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0103,
                            span,
                            format!(
                                "cannot apply `{}` to {} and {}",
                                op.symbol(),
                                article(l),
                                article(r)
                            ),
                        )
                        .with_help(arith_help(op, l, r)),
                );
                return None;
            }
        };
        if k.0 == ArithKind::MoneyMoney
            && self.constant_currencies_differ(le, re, span, "in one sum")
        {
            return None;
        }
        Some(k)
    }

    /// Reports E0104 when two money constants have different currencies
    /// (`what`: "compared", "in one sum"); money from fields is checked per
    /// record.
    fn constant_currencies_differ(
        &mut self,
        le: &ir::Expr,
        re: &ir::Expr,
        span: Span,
        what: &str,
    ) -> bool {
        let (ir::Expr::Const(Value::Money(a)), ir::Expr::Const(Value::Money(b))) = (le, re) else {
            return false;
        };
        if a.currency == b.currency {
            return false;
        }
        self.sink.push(
            self.sink
                .make(
                    Code::E0104,
                    span,
                    format!(
                        "money of two currencies {what}: {} and {}",
                        a.currency, b.currency
                    ),
                )
                .with_help(CURRENCY_HELP),
        );
        true
    }

    /// Source text and field names for error messages of a fallible node.
    fn origin(
        &self,
        span: Span,
        rhs: Option<Span>,
        parts: &[&ir::Expr],
        scope: &Scope<'_>,
    ) -> Origin {
        let text = |s: Span| {
            self.sink
                .source
                .get(s.start..s.end)
                .unwrap_or("")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut fields: Vec<Box<str>> = Vec::new();
        for p in parts {
            collect_fields(p, scope, &mut fields);
        }
        Origin {
            text: text(span).into(),
            rhs_text: rhs.map(text).unwrap_or_default().into(),
            fields: fields.into(),
        }
    }

    /// Folds a node whose operands are all constants into a constant. One
    /// whose evaluation fails is left to fail per record (LANGUAGE §4: in
    /// `false and 1 / 0 > 1` it is never evaluated), except money of two
    /// currencies, which the static check reports (E0104).
    fn fold(&mut self, e: ir::Expr, ty: Type, span: Span) -> Option<Typed> {
        if !children_const(&e) {
            return Some((e, ty));
        }
        let env = Env {
            fields: &[],
            other: &[],
            locals: &[],
            today: NaiveDate::default(),
        };
        match e.eval(&env) {
            Ok(Val::Unknown) => Some((e, ty)),
            Ok(v) => Some((ir::Expr::Const(to_value(v)), ty)),
            Err(err @ EvalError::CurrencyMismatch(_)) => {
                self.sink.push(
                    self.sink
                        .make(Code::E0104, span, err.to_string())
                        .with_help(CURRENCY_HELP),
                );
                None
            }
            Err(_) => Some((e, ty)),
        }
    }
}

/// Why an expression of constants only (one [`Checker::fold`] left
/// unfolded because it fails) fails; `None` for anything else. For the
/// messages of places that need a constant.
pub(crate) fn constant_failure(e: &ir::Expr) -> Option<EvalError> {
    fn constants_only(e: &ir::Expr) -> bool {
        match e {
            ir::Expr::Const(_) => true,
            ir::Expr::Field(_)
            | ir::Expr::Other(_)
            | ir::Expr::Local(_)
            | ir::Expr::Today
            | ir::Expr::FieldInTexts { .. }
            | ir::Expr::FieldContainsText { .. }
            | ir::Expr::FieldCmpConst(_)
            | ir::Expr::BoolField(_) => false,
            _ => children(e).into_iter().all(constants_only),
        }
    }
    if !constants_only(e) {
        return None;
    }
    let env = Env {
        fields: &[],
        other: &[],
        locals: &[],
        today: NaiveDate::default(),
    };
    e.eval(&env).err()
}

/// Constants the field-comparison fast path handles.
fn fast_cmp(v: &Value) -> bool {
    matches!(
        v,
        Value::Int(_)
            | Value::Decimal(_)
            | Value::Money(_)
            | Value::Date(_)
            | Value::Timestamp(_)
            | Value::Duration(_)
    )
}

/// Field names mentioned in an expression, for messages and `--explain`.
pub fn collect_fields(e: &ir::Expr, scope: &Scope<'_>, out: &mut Vec<Box<str>>) {
    // A bare field belongs to the scope's record, or to the first qualified
    // record; `Other` to the second record.
    let name = match e {
        ir::Expr::Other(s) => scope
            .qualified
            .iter()
            .find(|(_, _, other)| *other)
            .and_then(|(q, schema, _)| schema.field(*s).map(|f| format!("{q}.{}", f.name))),
        _ => own_field_slot(e).and_then(|s| match scope.record {
            Some(r) => r.field(s).map(|f| f.name.clone()),
            None => scope
                .qualified
                .iter()
                .find(|(_, _, other)| !other)
                .and_then(|(q, schema, _)| schema.field(s).map(|f| format!("{q}.{}", f.name))),
        }),
    };
    if let Some(n) = name {
        if !out.iter().any(|x| **x == *n) {
            out.push(n.into());
        }
    }
    for c in children(e) {
        collect_fields(c, scope, out);
    }
}

/// Slots of the record fields an expression mentions.
pub fn field_slots(e: &ir::Expr, out: &mut Vec<u16>) {
    if let Some(s) = own_field_slot(e) {
        let s = &s;
        if !out.contains(s) {
            out.push(*s);
        }
    }
    for c in children(e) {
        field_slots(c, out);
    }
}

/// The record field a node itself reads, if any (not its children's).
fn own_field_slot(e: &ir::Expr) -> Option<u16> {
    match e {
        ir::Expr::Field(s) | ir::Expr::BoolField(s) => Some(*s),
        ir::Expr::FieldInTexts { slot, .. } | ir::Expr::FieldContainsText { slot, .. } => {
            Some(*slot)
        }
        ir::Expr::FieldCmpConst(c) => Some(c.slot),
        _ => None,
    }
}

/// Slots of the locals an expression mentions.
pub fn local_slots(e: &ir::Expr, out: &mut Vec<u16>) {
    if let ir::Expr::Local(s) = e {
        if !out.contains(s) {
            out.push(*s);
        }
    }
    for c in children(e) {
        local_slots(c, out);
    }
}

fn children(e: &ir::Expr) -> Vec<&ir::Expr> {
    match e {
        ir::Expr::Not(a) | ir::Expr::Neg(a) | ir::Expr::IsSet(a, _) => vec![a],
        ir::Expr::All(v) | ir::Expr::Any(v) => v.iter().collect(),
        ir::Expr::SetRel(_, a, b) => vec![a, b],
        ir::Expr::Member { elem, set, .. } => vec![elem, set],
        ir::Expr::Cmp(c) => vec![&c.lhs, &c.rhs],
        ir::Expr::Arith(a) => vec![&a.lhs, &a.rhs],
        ir::Expr::Between(b) => vec![&b.value, &b.lo, &b.hi],
        ir::Expr::Call(_, args) => args.iter().collect(),
        _ => Vec::new(),
    }
}

fn children_const(e: &ir::Expr) -> bool {
    match e {
        ir::Expr::Const(_) => false,
        ir::Expr::Field(_) | ir::Expr::Other(_) | ir::Expr::Local(_) | ir::Expr::Today => false,
        ir::Expr::FieldInTexts { .. } | ir::Expr::FieldContainsText { .. } => false,
        ir::Expr::FieldCmpConst(_) | ir::Expr::BoolField(_) => false,
        _ => children(e).iter().all(|c| matches!(c, ir::Expr::Const(_))),
    }
}

fn to_value(v: Val<'_>) -> Value {
    match v {
        Val::Bool(b) => Value::Bool(b),
        Val::Int(i) => Value::Int(i),
        Val::Dec(d) => Value::Decimal(d),
        Val::Money(m) => Value::Money(m),
        Val::Text(t) => Value::Text(t.into_owned().into()),
        Val::Date(d) => Value::Date(d),
        Val::Timestamp(t) => Value::Timestamp(t),
        Val::Duration(d) => Value::Duration(d),
        Val::SetText(s) => Value::SetText(s.clone()),
        Val::SetInt(s) => Value::SetInt(s.clone()),
        // Callers fold only known results.
        Val::Unknown => Value::Bool(false),
    }
}

fn literal(l: &Literal) -> Typed {
    let (v, t) = match l {
        Literal::Bool(b) => (Value::Bool(*b), Type::Bool),
        Literal::Int(i) => (Value::Int(*i), Type::Int),
        Literal::Decimal(d) => (Value::Decimal(*d), Type::Decimal),
        Literal::Money(a, c) => (
            Value::Money(Money {
                amount: *a,
                currency: *c,
            }),
            Type::Money,
        ),
        Literal::Duration(d) => (Value::Duration(d.seconds), Type::Duration),
        Literal::Date(d) => (Value::Date(*d), Type::Date),
        Literal::Timestamp(t) => (Value::Timestamp(*t), Type::Timestamp),
        Literal::Text(s) => (Value::Text(s.as_str().into()), Type::Text),
    };
    (ir::Expr::Const(v), t)
}

const CURRENCY_HELP: &str =
    "baton never converts currencies: write both amounts in the same currency";

/// Help for a comparison of a quoted literal with a value of the type its
/// text spells (`employees >= "500"`).
fn quoted_literal_help(e: &ir::Expr, other: Type) -> Option<String> {
    let ir::Expr::Const(Value::Text(t)) = e else {
        return None;
    };
    let t: &str = t.as_ref();
    let plain = t.replace('_', "");
    let fits = match other {
        Type::Int | Type::Decimal => rust_decimal::Decimal::from_str_exact(&plain).is_ok(),
        Type::Date => NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok(),
        Type::Bool => matches!(t, "true" | "false"),
        _ => false,
    };
    fits.then(|| format!("`\"{t}\"` is a text; write `{t}` without the quotes"))
}

/// What arithmetic `op` allows, for a type error.
fn arith_help(op: ArithOp, l: Type, r: Type) -> String {
    if l == Type::Text || r == Type::Text {
        return "texts support only `==` and `!=` (and `in`); there is no text arithmetic".into();
    }
    if l == Type::Bool || r == Type::Bool {
        return "combine conditions with `and`, `or` and `not`".into();
    }
    match op {
        ArithOp::Add | ArithOp::Sub => "`+` and `-` take two numbers, money of one currency, two durations, or a date or timestamp and a duration; `-` also takes two dates or two timestamps".into(),
        ArithOp::Mul => "`*` takes two numbers, money and a number, or a duration and an int".into(),
        ArithOp::Div => "`/` takes two numbers, money and a number, or two amounts of money".into(),
    }
}

/// "an int", "a date", "money".
pub fn article(t: Type) -> String {
    match t {
        Type::Int => "an int".into(),
        Type::Money => "money".into(),
        other => format!("a {other}"),
    }
}
