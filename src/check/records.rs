//! Record declarations (LANGUAGE.md §3): fields and their types, keys,
//! and the lookups of records and fields by name that the block checks
//! share.

use std::collections::HashSet;

use super::Checker;
use crate::diag::{suggest, Code};
use crate::record::{FieldDef, Schema};
use crate::span::Span;
use crate::syntax::ast::{self, Item};
use crate::value::{Currency, Type};

/// baton's type for a type name of another language, for "did you mean".
fn type_alias(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "integer" | "i64" | "i32" | "long" => "int",
        "string" | "str" | "varchar" => "text",
        "boolean" => "bool",
        "float" | "double" | "number" | "numeric" | "real" | "f64" => "decimal",
        "datetime" | "instant" => "timestamp",
        "currency" | "amount" => "money",
        "interval" | "period" => "duration",
        _ => return None,
    })
}

impl Checker<'_> {
    pub(super) fn records(&mut self, f: &ast::File, currency: Option<Currency>) -> Vec<Schema> {
        let mut out: Vec<Schema> = Vec::new();
        // The names of the records in `out`, and of the fields of the
        // record at hand: each is looked up once per declaration.
        let mut declared: HashSet<&str> = HashSet::new();
        for item in &f.items {
            let Item::Record(r) = item else { continue };
            let first = self.record_spans.get(&r.name.node).copied();
            self.record_spans
                .entry(r.name.node.clone())
                .or_insert(r.name.span);
            if declared.contains(r.name.node.as_str()) {
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
            let mut names: HashSet<&str> = HashSet::new();
            for fd in &r.fields {
                if names.contains(fd.name.node.as_str()) {
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
                names.insert(&fd.name.node);
                self.field_spans
                    .entry((r.name.node.clone(), fd.name.node.clone()))
                    .or_insert(fd.name.span);
                self.field_records
                    .entry(fd.name.node.clone())
                    .or_insert_with(|| (r.name.node.clone(), fd.name.span));
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
                    d = self.sink.help_closest(
                        d,
                        &k.node,
                        fields.iter().map(|x| x.name.as_str()),
                        || {
                            if names.is_empty() {
                                format!("declare a field `{}` in the record", k.node)
                            } else {
                                format!(
                                    "declare a field `{}`, or name one of the fields ({})",
                                    k.node,
                                    names.join(", ")
                                )
                            }
                        },
                    );
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
            declared.insert(&r.name.node);
            self.record_by_name.insert(r.name.node.clone(), out.len());
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
                d = match type_alias(other) {
                    // A name other languages use for one of baton's types.
                    Some(ours) => d.with_help(format!("did you mean `{ours}`?")),
                    None => self.sink.help_closest(d, other, Type::SCALAR_NAMES, || {
                        format!(
                            "types are {}, and `set of text` / `set of int`",
                            Type::SCALAR_NAMES.join(", ")
                        )
                    }),
                };
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
            .get(&(record.to_string(), field.to_string()))
            .copied()
    }

    /// The record that declares a field named `field`, if any.
    pub(crate) fn record_with_field(&self, field: &str) -> Option<(String, Span)> {
        self.field_records.get(field).cloned()
    }

    /// Finds a record by name, reporting an unknown one.
    pub fn record_index(&mut self, records: &[Schema], name: &ast::Ident) -> Option<usize> {
        // The index of the declared records, by name (built with them).
        let i = self
            .record_by_name
            .get(&name.node)
            .copied()
            .filter(|i| records.get(*i).is_some_and(|r| r.name == name.node));
        if i.is_none() {
            let mut d = self.sink.make(
                Code::E0101,
                name.span,
                format!("unknown record `{}`", name.node),
            );
            let suggestion = self
                .sink
                .lists(Code::E0101)
                .then(|| suggest(&name.node, records.iter().map(|r| r.name.as_str())))
                .flatten();
            if let Some(h) = suggestion {
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
