//! Tests of records decided by `qualify` and/or scored by `health`: the
//! given record, `at` as the day, and `expect stage`, `expect band`,
//! `expect error` and conditions over the record.

use chrono::NaiveDate;

use super::{CheckedTest, Parts, Targets};
use crate::check::{Checker, Scope};
use crate::diag::Code;
use crate::program::tests::{Expect, Subject};
use crate::record::Schema;
use crate::syntax::ast::{self, Expectation};
use crate::value::Value;

impl Checker<'_> {
    pub(super) fn record_test(
        &mut self,
        r: usize,
        schema: &Schema,
        fields: &ast::Object,
        parts: &Parts<'_>,
        x: &Targets<'_>,
    ) -> Option<CheckedTest> {
        let record = self.given_record(schema, fields);
        let today = match &parts.at {
            Some((Value::Date(d), _)) => Some(*d),
            Some((_, span)) => {
                self.sink.error(
                    Code::E0601,
                    *span,
                    format!("`at` takes a date in a test of `{}` records", schema.name),
                );
                None
            }
            None => None,
        };
        for o in &parts.events {
            self.sink.error(
                Code::E0601,
                o.span,
                format!(
                    "`event` belongs to handoff and commission tests; `{}` records are decided by `qualify` or `health`",
                    schema.name
                ),
            );
        }
        let locals = x.layouts.get(&r);
        let runs_qualify = x.qualify.is_some_and(|q| q.record == r);
        let runs_health = x.health.is_some_and(|h| h.record == r);
        let mut expects = Vec::new();
        for e in &parts.expects {
            let kind = match &e.node {
                Expectation::Stage(n) => {
                    if !runs_qualify {
                        if self.reported_blocks.contains("qualify") {
                            continue;
                        }
                        self.sink.error(
                            Code::E0601,
                            n.span,
                            "`expect stage` needs a `qualify` block for this record",
                        );
                        continue;
                    }
                    let stages: Vec<&str> = x
                        .qualify
                        .map(|q| q.stages.iter().map(|s| s.name.as_str()).collect())
                        .unwrap_or_default();
                    if n.node != "none" && !stages.contains(&n.node.as_str()) {
                        self.unknown_outcome(n, "stage", &stages, "for no stage");
                        continue;
                    }
                    Expect::Stage((n.node != "none").then(|| n.node.clone()))
                }
                Expectation::Band(n) => {
                    if !runs_health {
                        if self.reported_blocks.contains("health") {
                            continue;
                        }
                        self.sink.error(
                            Code::E0601,
                            n.span,
                            "`expect band` needs a `health` block for this record",
                        );
                        continue;
                    }
                    let bands: Vec<&str> = x
                        .health
                        .map(|h| h.bands.iter().map(|b| b.name.as_str()).collect())
                        .unwrap_or_default();
                    if n.node != "none" && !bands.contains(&n.node.as_str()) {
                        self.unknown_outcome(n, "band", &bands, "when the score is unknown");
                        continue;
                    }
                    Expect::Band((n.node != "none").then(|| n.node.clone()))
                }
                Expectation::Error(text) => Expect::Error(text.as_ref().map(|t| t.node.clone())),
                Expectation::Holds(c) => {
                    let scope = Scope {
                        record: Some(schema),
                        qualified: &[],
                        locals,
                        position: usize::MAX,
                        in_let: false,
                    };
                    let Some(compiled) = self.bool_expr(c, &scope) else {
                        continue;
                    };
                    Expect::Holds(compiled, self.text_of(c.span))
                }
                other => {
                    self.misplaced(e.span, other, "a test of records decided by `qualify` or `health` expects stage, band, error or a condition");
                    continue;
                }
            };
            expects.push(self.expect_def(e.span, kind));
        }
        let record = record?;
        Some(CheckedTest {
            subject: Subject::Record {
                record_type: r,
                record,
            },
            today: today.unwrap_or_else(|| NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()),
            expects,
        })
    }

    /// `expect stage X` / `expect band X` naming no stage or band of the
    /// block: the closest name, or all of them (`none` is always allowed).
    fn unknown_outcome(&mut self, n: &ast::Ident, what: &str, names: &[&str], none: &str) {
        let mut d = self
            .sink
            .make(Code::E0101, n.span, format!("unknown {what} `{}`", n.node));
        // `none` is not offered as a near miss: `gone` or `done` is more
        // likely a name the block lacks than a wish for no outcome.
        d = self
            .sink
            .help_closest(d, &n.node, names.iter().copied(), || {
                let list: Vec<String> = names.iter().map(|s| format!("`{s}`")).collect();
                format!("the {what}s are {}, or `none` {none}", list.join(", "))
            });
        self.sink.push(d);
    }
}
