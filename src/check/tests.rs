//! Checking `test` blocks: the given record is built from constants, and
//! every expectation is compiled against the record's scores, stages and
//! measures, so a broken test is a check error like any other.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{Checker, LocalDef, Scope};
use crate::diag::Code;
use crate::ir;
use crate::policy::{HealthDef, QualifyDef};
use crate::record::{Record, Schema};
use crate::syntax::ast::{self, Expectation, Item, ObjValue, TestStmt};
use crate::testing::{Expect, ExpectDef, TestDef};
use crate::value::{IntSet, TextSet, Type, Value};

impl Checker<'_> {
    pub(super) fn tests(
        &mut self,
        f: &ast::File,
        records: &[Schema],
        layouts: &HashMap<usize, Vec<LocalDef>>,
        qualify: Option<&QualifyDef>,
        health: Option<&HealthDef>,
    ) -> Vec<TestDef> {
        let mut out = Vec::new();
        for item in &f.items {
            let Item::Test(t) = item else { continue };
            if let Some(def) = self.test(t, records, layouts, qualify, health) {
                out.push(def);
            }
        }
        out
    }

    fn test(
        &mut self,
        t: &ast::TestDecl,
        records: &[Schema],
        layouts: &HashMap<usize, Vec<LocalDef>>,
        qualify: Option<&QualifyDef>,
        health: Option<&HealthDef>,
    ) -> Option<TestDef> {
        let mut given: Option<(usize, Record)> = None;
        let mut today = None;
        let mut expects = Vec::new();
        let mut ok = true;
        for st in &t.stmts {
            match st {
                TestStmt::Given { record, fields } => {
                    let Some(r) = self.record_index(records, record) else {
                        ok = false;
                        continue;
                    };
                    if given.is_some() {
                        self.sink
                            .error(Code::E0601, record.span, "a test has one `given` record");
                    }
                    match records.get(r).and_then(|s| self.given_record(s, fields)) {
                        Some(rec) => given = Some((r, rec)),
                        None => ok = false,
                    }
                }
                TestStmt::At(e) => match self.expr(e, &Scope::constants()) {
                    Some((ir::Expr::Const(Value::Date(d)), _)) => today = Some(d),
                    Some(_) => self
                        .sink
                        .error(Code::E0601, e.span, "`at` takes a date here"),
                    None => ok = false,
                },
                TestStmt::Event(o) => {
                    self.sink.error(Code::E0601, o.span, "`event` belongs to handoff and commission tests, which this version of baton does not run yet");
                    ok = false;
                }
                TestStmt::Expect(_) => {}
            }
        }
        let Some((r, record)) = given else {
            if ok {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0601,
                            t.name.span,
                            format!("test {:?} has no `given` record", t.name.node),
                        )
                        .with_help("write `given <record> { field: value, … }`"),
                );
            }
            return None;
        };
        let schema = records.get(r)?;
        let locals = layouts.get(&r).cloned().unwrap_or_default();
        let runs_qualify = qualify.is_some_and(|q| q.record == r);
        let runs_health = health.is_some_and(|h| h.record == r);
        if !runs_qualify && !runs_health {
            self.sink.error(
                Code::E0601,
                t.name.span,
                format!(
                    "no `qualify` or `health` block decides on `{}` records",
                    schema.name
                ),
            );
            return None;
        }
        for st in &t.stmts {
            let TestStmt::Expect(e) = st else { continue };
            let kind = match &e.node {
                Expectation::Stage(n) => {
                    if !runs_qualify {
                        self.sink.error(
                            Code::E0601,
                            n.span,
                            "`expect stage` needs a `qualify` block for this record",
                        );
                        continue;
                    }
                    let known = qualify.is_some_and(|q| q.stages.iter().any(|s| s.name == n.node));
                    if n.node != "none" && !known {
                        self.sink
                            .error(Code::E0101, n.span, format!("unknown stage `{}`", n.node));
                        continue;
                    }
                    Expect::Stage((n.node != "none").then(|| n.node.clone()))
                }
                Expectation::Band(n) => {
                    if !runs_health {
                        self.sink.error(
                            Code::E0601,
                            n.span,
                            "`expect band` needs a `health` block for this record",
                        );
                        continue;
                    }
                    let known = health.is_some_and(|h| h.bands.iter().any(|b| b.name == n.node));
                    if n.node != "none" && !known {
                        self.sink
                            .error(Code::E0101, n.span, format!("unknown band `{}`", n.node));
                        continue;
                    }
                    Expect::Band((n.node != "none").then(|| n.node.clone()))
                }
                Expectation::Error(text) => Expect::Error(text.as_ref().map(|t| t.node.clone())),
                Expectation::Holds(x) => {
                    let scope = Scope {
                        record: Some(schema),
                        qualified: &[],
                        locals: &locals,
                        position: usize::MAX,
                        in_let: false,
                    };
                    let Some(c) = self.bool_expr(x, &scope) else {
                        continue;
                    };
                    let text = self
                        .sink
                        .source
                        .get(x.span.start..x.span.end)
                        .unwrap_or("")
                        .to_string();
                    Expect::Holds(c, text)
                }
                _ => {
                    self.sink.error(Code::E0601, e.span, "this expectation belongs to handoff and commission tests, which this version of baton does not run yet");
                    continue;
                }
            };
            let (line, column) = crate::span::line_col(self.sink.source, e.span.start);
            expects.push(ExpectDef { kind, line, column });
        }
        let (line, column) = crate::span::line_col(self.sink.source, t.name.span.start);
        Some(TestDef {
            name: t.name.node.clone(),
            line,
            column,
            record_type: r,
            record,
            today: today.unwrap_or_else(|| NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()),
            today_given: today.is_some(),
            expects,
        })
    }

    /// Builds the given record from constant expressions, checking types.
    fn given_record(&mut self, schema: &Schema, obj: &ast::Object) -> Option<Record> {
        let mut values: Vec<Option<Value>> = vec![None; schema.fields.len()];
        let mut ok = true;
        for (name, v) in &obj.entries {
            let Some(slot) = schema.slot(&name.node) else {
                let mut d = self.sink.make(
                    Code::E0101,
                    name.span,
                    format!("`{}` has no field `{}`", schema.name, name.node),
                );
                if let Some(h) =
                    crate::diag::suggest(&name.node, schema.fields.iter().map(|f| f.name.as_str()))
                {
                    d = d.with_help(h);
                }
                self.sink.push(d);
                ok = false;
                continue;
            };
            let Some(field) = schema.field(slot) else {
                continue;
            };
            let value = match v {
                ObjValue::Object(o) if o.entries.is_empty() && field.ty.element().is_some() => {
                    Some(if field.ty == Type::SetInt {
                        Value::SetInt(IntSet::default())
                    } else {
                        Value::SetText(TextSet::default())
                    })
                }
                ObjValue::Object(o) => {
                    self.sink.error(
                        Code::E0103,
                        o.span,
                        format!("field `{}` is {}, not an object", field.name, field.ty),
                    );
                    None
                }
                ObjValue::Expr(e) => match self.expr(e, &Scope::constants()) {
                    Some((ir::Expr::Const(v), ty)) => match (ty, field.ty, v) {
                        (a, b, v) if a == b => Some(v),
                        (Type::Int, Type::Decimal, Value::Int(i)) => Some(Value::Decimal(i.into())),
                        (a, b, _) => {
                            self.sink.error(
                                Code::E0103,
                                e.span,
                                format!("field `{}` is {b}, not {a}", field.name),
                            );
                            None
                        }
                    },
                    Some(_) => {
                        self.sink
                            .error(Code::E0108, e.span, "a test value must be a constant");
                        None
                    }
                    None => None,
                },
            };
            match value {
                Some(v) => {
                    if let Some(s) = values.get_mut(usize::from(slot)) {
                        *s = Some(v);
                    }
                }
                None => ok = false,
            }
        }
        for (f, v) in schema.fields.iter().zip(&values) {
            if v.is_none() && !f.optional {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0601,
                            obj.span,
                            format!("the test record lacks the required field `{}`", f.name),
                        )
                        .with_help(format!("add `{}: …` or declare the field optional", f.name)),
                );
                ok = false;
            }
        }
        ok.then_some(Record { values })
    }
}
