//! Checking `test` blocks (LANGUAGE.md §9, docs/TESTS.md): the given
//! record, deal and events are built from constants, and every
//! expectation is compiled against the block it targets (stages, bands,
//! goals, alerts, flags, required note fields, ledger columns), so a
//! broken test is a check error like any other.
//!
//! What a test targets follows from its `given`: `given deal` tests the
//! `commission` block; a record that is the note of a `handoff` block tests
//! that block (when the record is also decided by `qualify` or `health`,
//! only a test with `event`s is a handoff test); any other record is
//! decided by `qualify` and/or scored by `health`.
//!
//! This file holds the entry, what tests target and the statements of a
//! test, and what every kind of test shares; each kind of test has its own
//! file, and [`values`] builds records and rows from constants.

mod commission;
mod handoff;
mod handoff_expect;
mod record;
mod values;

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{Checker, Scope};
use crate::diag::Code;
use crate::program::blocks::{HealthDef, QualifyDef};
use crate::program::commission::CommissionDef;
use crate::program::expr as ir;
use crate::program::handoff::HandoffDef;
use crate::program::tests::{Expect, ExpectDef, Subject, TestDef};
use crate::record::Schema;
use crate::span::{Span, Spanned};
use crate::syntax::ast::{self, Expectation, Item, TestStmt};
use crate::value::{Currency, Value};

/// What tests can target, compiled before them.
struct Targets<'c> {
    records: &'c [Schema],
    layouts: &'c HashMap<usize, crate::check::Locals>,
    qualify: Option<&'c QualifyDef>,
    health: Option<&'c HealthDef>,
    handoffs: &'c [HandoffDef],
    commission: Option<&'c CommissionDef>,
    /// The header's `currency`.
    currency: Option<Currency>,
    timezone: chrono_tz::Tz,
}

/// A test's statements, sorted.
struct Parts<'t> {
    name: &'t Spanned<String>,
    /// `at`, checked to be a date or a timestamp constant.
    at: Option<(Value, Span)>,
    events: Vec<&'t ast::Object>,
    expects: Vec<&'t Spanned<Expectation>>,
}

/// The compiled blocks a file's tests may target.
pub(super) struct Blocks<'a> {
    pub qualify: Option<&'a QualifyDef>,
    pub health: Option<&'a HealthDef>,
    pub handoffs: &'a [HandoffDef],
    pub commission: Option<&'a CommissionDef>,
    pub timezone: chrono_tz::Tz,
}

/// What a test compiles to, before its name and place are added.
struct CheckedTest {
    subject: Subject,
    today: NaiveDate,
    expects: Vec<ExpectDef>,
}

impl Checker<'_> {
    pub(super) fn tests(
        &mut self,
        f: &ast::File,
        records: &[Schema],
        layouts: &HashMap<usize, crate::check::Locals>,
        blocks: &Blocks<'_>,
    ) -> Vec<TestDef> {
        if !f.items.iter().any(|i| matches!(i, Item::Test(_))) {
            return Vec::new();
        }
        let targets = Targets {
            records,
            layouts,
            qualify: blocks.qualify,
            health: blocks.health,
            handoffs: blocks.handoffs,
            commission: blocks.commission,
            currency: f.header.currency.first().map(|c| c.node),
            timezone: blocks.timezone,
        };
        let mut out = Vec::new();
        for item in &f.items {
            let Item::Test(t) = item else { continue };
            if let Some(c) = self.test(t, &targets) {
                let (line, column) = self.sink.line_col(t.name.span.start);
                out.push(TestDef {
                    name: t.name.node.clone(),
                    line,
                    column,
                    subject: c.subject,
                    today: c.today,
                    expects: c.expects,
                });
            }
        }
        out
    }

    fn test(&mut self, t: &ast::TestDecl, x: &Targets<'_>) -> Option<CheckedTest> {
        let mut given: Option<(&ast::Ident, &ast::Object)> = None;
        let mut parts = Parts {
            name: &t.name,
            at: None,
            events: Vec::new(),
            expects: Vec::new(),
        };
        let mut ok = true;
        for st in &t.stmts {
            match st {
                TestStmt::Given { record, fields } => {
                    if given.is_some() {
                        self.sink
                            .error(Code::E0601, record.span, "a test has one `given` record");
                        ok = false;
                    } else {
                        given = Some((record, fields));
                    }
                }
                TestStmt::At(e) => match self.expr(e, &Scope::constants()) {
                    Some((ir::Expr::Const(v @ (Value::Date(_) | Value::Timestamp(_))), _)) => {
                        if parts.at.is_some() {
                            self.sink.error(Code::E0601, e.span, "a test has one `at`");
                            ok = false;
                        }
                        parts.at = Some((v, e.span));
                    }
                    Some(_) => {
                        self.sink
                            .error(Code::E0601, e.span, "`at` takes a date or a timestamp");
                        ok = false;
                    }
                    None => ok = false,
                },
                TestStmt::Event(o) => parts.events.push(o),
                TestStmt::Expect(e) => parts.expects.push(e),
            }
        }
        let Some((record, fields)) = given else {
            if ok {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0601,
                            t.name.span,
                            format!("test {:?} has no `given` record", t.name.node),
                        )
                        .with_help("write `given <record> { field: value, … }`, or `given deal { … }` for a commission test"),
                );
            }
            return None;
        };
        if record.node == "deal" {
            if let Some(def) = x.commission {
                return self.commission_test(def, fields, &parts, x);
            }
            if !x.records.iter().any(|r| r.name == "deal") {
                self.sink.error(
                    Code::E0601,
                    record.span,
                    "`given deal` tests the `commission` block, and this policy has none",
                );
                return None;
            }
        }
        let r = self.record_index(x.records, record)?;
        let schema = x.records.get(r)?;
        let blocks: Vec<&HandoffDef> = x.handoffs.iter().filter(|h| h.note == r).collect();
        let decided =
            x.qualify.is_some_and(|q| q.record == r) || x.health.is_some_and(|h| h.record == r);
        if !blocks.is_empty() && (!parts.events.is_empty() || !decided) {
            return self.handoff_test(schema, &blocks, fields, &parts, x);
        }
        if !decided {
            if !self.reported_blocks.is_empty() {
                // A block over an undeclared record is reported there; it
                // may be the one meant for these records.
                return None;
            }
            self.sink.error(
                Code::E0601,
                t.name.span,
                format!(
                    "no `qualify`, `health` or `handoff` block takes `{}` records",
                    schema.name
                ),
            );
            return None;
        }
        self.record_test(r, schema, fields, &parts, x)
    }

    /// An expectation written in a test of the wrong kind.
    fn misplaced(&mut self, span: Span, e: &Expectation, expects: &str) {
        let (form, belongs) = match e {
            Expectation::Stage(_) => ("`expect stage`", "tests of records decided by `qualify`"),
            Expectation::Band(_) => ("`expect band`", "tests of records scored by `health`"),
            Expectation::Goal(..) => ("`expect goal`", "handoff tests"),
            Expectation::Alert(..) => ("`expect alert`", "handoff tests"),
            Expectation::Flag(..) => ("`expect flag`", "handoff tests"),
            Expectation::Missing(_) => ("`expect missing`", "handoff tests"),
            Expectation::Line(..) => ("`expect line`", "commission tests (`given deal`)"),
            Expectation::Holds(_) => (
                "`expect <condition>`",
                "tests of records and handoff tests; check ledger lines with `expect line`",
            ),
            Expectation::Error(_) => ("`expect error`", "every test"),
        };
        self.sink.push(
            self.sink
                .make(Code::E0601, span, format!("{form} belongs to {belongs}"))
                .with_help(expects.to_string()),
        );
    }

    fn expect_def(&self, span: Span, kind: Expect) -> ExpectDef {
        let (line, column) = self.sink.line_col(span.start);
        ExpectDef { kind, line, column }
    }

    fn text_of(&self, span: Span) -> String {
        self.sink
            .source
            .get(span.start..span.end)
            .unwrap_or("")
            .to_string()
    }
}
