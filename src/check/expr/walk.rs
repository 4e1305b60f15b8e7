//! Walking compiled expressions: the children of a node, the record
//! fields and locals an expression mentions (for messages and
//! `--explain`), and the origin of a node that can fail.

use super::Scope;
use crate::check::Checker;
use crate::program::expr as ir;
use crate::program::expr::Origin;
use crate::program::lets::Lets;
use crate::span::Span;

impl Checker<'_> {
    /// Source text and field names for error messages of a fallible node.
    pub(super) fn origin(
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

/// Whether an expression reads `today`, itself or through a `let`.
pub(super) fn uses_today(e: &ir::Expr, lets: &Lets) -> bool {
    match e {
        ir::Expr::Today => true,
        ir::Expr::Let(k) => lets.dated(*k),
        _ => children(e).into_iter().any(|c| uses_today(c, lets)),
    }
}

pub(super) fn children(e: &ir::Expr) -> Vec<&ir::Expr> {
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
