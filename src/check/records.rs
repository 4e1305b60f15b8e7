//! Record declarations (LANGUAGE.md §3): fields and their types, keys,
//! and the lookups of records and fields by name that the block checks
//! share.

use super::Checker;
use crate::diag::{suggest, Code};
use crate::record::{FieldDef, Schema};
use crate::span::Span;
use crate::syntax::ast::{self, Item};
use crate::value::{Currency, Type};

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

impl Checker<'_> {
    pub(super) fn records(&mut self, f: &ast::File, currency: Option<Currency>) -> Vec<Schema> {
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
                    // Still declared: its uses are silent, not unknown.
                    self.reported_fields
                        .insert((r.name.node.clone(), fd.name.node.clone()));
                    continue;
                };
                fields.push(FieldDef {
                    name: fd.name.node.clone(),
                    ty,
                    optional: fd.optional,
                });
            }
            if let Some(k) = &r.key {
                let reported = self
                    .reported_fields
                    .contains(&(r.name.node.clone(), k.node.clone()));
                if reported {
                    // The key field's type is reported; so is nothing else.
                    self.bad_keys.push(r.name.node.clone());
                } else if !fields.iter().any(|x| x.name == k.node) {
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

    pub(super) fn require_key(&mut self, records: &[Schema], r: usize, at: &ast::Ident) {
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
}
