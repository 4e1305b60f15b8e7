//! Checking `test` blocks (docs/TESTS.md): the given record, deal and
//! events are built from constants, and every expectation is compiled
//! against the block it targets (stages, bands, goals, alerts, flags,
//! required note fields, ledger columns), so a broken test is a check error
//! like any other.
//!
//! What a test targets follows from its `given`: `given deal` tests the
//! `commission` block; a record that is the note of a `handoff` block tests
//! that block (when the record is also decided by `qualify` or `health`,
//! only a test with `event`s is a handoff test); any other record is
//! decided by `qualify` and/or scored by `health`.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::{Map, Value as Json};

use super::{Checker, Scope};
use crate::diag::Code;
use crate::program::blocks::{HealthDef, LocalDef, QualifyDef};
use crate::program::commission::{CommissionDef, EventType, Status};
use crate::program::expr as ir;
use crate::program::handoff::{Event, EventKind, GoalState, HandoffDef};
use crate::program::tests::{
    CommissionCase, Expect, ExpectDef, HandoffCase, LineExpect, Subject, TestDef, GOAL_VALUES,
};
use crate::record::{FieldDef, Record, Schema};
use crate::span::{line_col, Span, Spanned};
use crate::syntax::ast::{self, Expectation, ExprKind, Item, ObjValue, TestStmt};
use crate::value::{format_timestamp, Currency, IntSet, TextSet, Type, Value};

/// Ledger columns an `expect line` may name (besides `count`), and the
/// kind of value each takes.
const LINE_COLUMNS: [(&str, LineValue); 12] = [
    ("kind", LineValue::Text),
    ("status", LineValue::Text),
    ("rep", LineValue::Text),
    ("deal", LineValue::Text),
    ("currency", LineValue::Text),
    ("policy", LineValue::Text),
    ("explanation", LineValue::Text),
    ("amount", LineValue::Money),
    ("base", LineValue::Money),
    ("rate", LineValue::Number),
    ("days_retained", LineValue::Int),
    ("version", LineValue::Int),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum LineValue {
    Text,
    Money,
    Number,
    Int,
}

/// What tests can target, compiled before them.
struct Targets<'c> {
    records: &'c [Schema],
    layouts: &'c HashMap<usize, Vec<LocalDef>>,
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
        layouts: &HashMap<usize, Vec<LocalDef>>,
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
                let (line, column) = line_col(self.sink.source, t.name.span.start);
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

    // ------------------------------------------------------------ records

    fn record_test(
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
        let locals = x.layouts.get(&r).cloned().unwrap_or_default();
        let runs_qualify = x.qualify.is_some_and(|q| q.record == r);
        let runs_health = x.health.is_some_and(|h| h.record == r);
        let mut expects = Vec::new();
        for e in &parts.expects {
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
                        locals: &locals,
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
        d = d.help_closest(&n.node, names.iter().copied(), || {
            let list: Vec<String> = names.iter().map(|s| format!("`{s}`")).collect();
            format!("the {what}s are {}, or `none` {none}", list.join(", "))
        });
        self.sink.push(d);
    }

    // ------------------------------------------------------------ handoffs

    fn handoff_test(
        &mut self,
        schema: &Schema,
        blocks: &[&HandoffDef],
        fields: &ast::Object,
        parts: &Parts<'_>,
        x: &Targets<'_>,
    ) -> Option<CheckedTest> {
        let note = self.given_record(schema, fields);
        let at = match &parts.at {
            Some((Value::Timestamp(t), _)) => Some(*t),
            Some((_, span)) => {
                self.sink.push(
                    self.sink
                        .make(Code::E0601, *span, "`at` takes a timestamp in a handoff test")
                        .with_help("the instant the handoff is evaluated at, e.g. `at 2026-11-09T17:00:00Z`"),
                );
                None
            }
            None => {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0601,
                            parts.name.span,
                            "a handoff test needs `at TIMESTAMP`, the instant it is evaluated at",
                        )
                        .with_help("write e.g. `at 2026-11-09T17:00:00Z`"),
                );
                None
            }
        };

        // Events: their entries first, then the block `opened` names.
        let mut raw = Vec::new();
        let mut ok = true;
        for o in &parts.events {
            match self.handoff_event_entries(o) {
                Some(r) => raw.push(r),
                None => ok = false,
            }
        }
        let opened = raw.iter().find(|e| e.kind.node == "opened");
        let def: &HandoffDef = match (opened, blocks) {
            (None, _) => {
                if ok {
                    self.sink.push(
                        self.sink
                            .make(
                                Code::E0601,
                                parts.name.span,
                                format!("handoff test {:?} has no `opened` event", parts.name.node),
                            )
                            .with_help("write `event { type: \"opened\", at: 2026-11-06T20:00:00Z }`; the `given` record is its note"),
                    );
                }
                return None;
            }
            (Some(o), _) => match &o.block {
                Some(b) => match blocks.iter().find(|h| h.name == b.node) {
                    Some(h) => h,
                    None => {
                        let mut d = self.sink.make(
                            Code::E0101,
                            b.span,
                            format!(
                                "no handoff block `{}` takes `{}` notes",
                                b.node, schema.name
                            ),
                        );
                        d = d.help_if_close(&b.node, blocks.iter().map(|h| h.name.as_str()));
                        self.sink.push(d);
                        return None;
                    }
                },
                None => match blocks {
                    [one] => one,
                    _ => {
                        let names: Vec<&str> = blocks.iter().map(|h| h.name.as_str()).collect();
                        self.sink.push(
                            self.sink
                                .make(
                                    Code::E0601,
                                    o.span,
                                    format!(
                                        "several handoff blocks take `{}` notes: {}",
                                        schema.name,
                                        names.join(", ")
                                    ),
                                )
                                .with_help("name one on the `opened` event: `block: \"…\"`"),
                        );
                        return None;
                    }
                },
            },
        };
        let note_json = note.as_ref().map(|n| record_json(schema, n));
        let mut events = Vec::new();
        for e in &raw {
            if let Some(ev) = self.handoff_event(e, def, schema, note_json.as_ref()) {
                events.push(ev);
            } else {
                ok = false;
            }
        }

        let goals: Vec<String> = def.goals.iter().map(|g| g.name.clone()).collect();
        let mut expects = Vec::new();
        for e in &parts.expects {
            if let Some(kind) = self.handoff_expect(e, def, schema, &goals) {
                expects.push(self.expect_def(e.span, kind));
            }
        }
        let (note, at) = (note?, at?);
        if !ok {
            return None;
        }
        let instance = schema
            .key_of(&note)
            .map_or_else(|| parts.name.node.clone(), |k| k.to_string());
        let today = chrono::DateTime::from_timestamp(at, 0)
            .map(|d| d.with_timezone(&x.timezone).date_naive())
            .unwrap_or_default();
        Some(CheckedTest {
            subject: Subject::Handoff(Box::new(HandoffCase {
                instance,
                events,
                at,
                goals,
            })),
            today,
            expects,
        })
    }

    /// An event's entries: `type`, `at`, and `note` or `block`.
    fn handoff_event_entries<'o>(&mut self, o: &'o ast::Object) -> Option<RawEvent<'o>> {
        let mut kind = None;
        let mut at = None;
        let mut note = None;
        let mut block = None;
        let mut ok = true;
        for (name, v) in &o.entries {
            match (name.node.as_str(), v) {
                ("note", ObjValue::Object(n)) => note = Some((name.span, n)),
                ("type" | "block", ObjValue::Expr(e)) => match self.const_value(e)? {
                    (Value::Text(t), _) => {
                        let s = Spanned::new(t.to_string(), e.span);
                        if name.node == "type" {
                            kind = Some(s);
                        } else {
                            block = Some(s);
                        }
                    }
                    (_, ty) => {
                        self.sink.error(
                            Code::E0103,
                            e.span,
                            format!("an event's `{}` is text, not {ty}", name.node),
                        );
                        ok = false;
                    }
                },
                ("at", ObjValue::Expr(e)) => match self.const_value(e)? {
                    (Value::Timestamp(t), _) => at = Some(t),
                    (_, ty) => {
                        self.sink.push(
                            self.sink
                                .make(
                                    Code::E0103,
                                    e.span,
                                    format!("an event's `at` is a timestamp, not {ty}"),
                                )
                                .with_help("write e.g. `at: 2026-11-06T20:00:00Z`"),
                        );
                        ok = false;
                    }
                },
                ("type" | "block" | "at" | "note", _) => {
                    self.sink.error(
                        Code::E0103,
                        name.span,
                        if name.node == "note" {
                            "an event's `note` is an object: `note: { field: value, … }`"
                                .to_string()
                        } else {
                            format!("an event's `{}` is not an object", name.node)
                        },
                    );
                    ok = false;
                }
                (other, _) => {
                    let mut d = self.sink.make(
                        Code::E0101,
                        name.span,
                        format!("a handoff event has no entry `{other}`"),
                    );
                    d = d.help_closest(other, ["type", "at", "note", "block"], || {
                            "an event has `type` and `at`, `note` on `note_updated`, `block` on `opened`".to_string()
                        });
                    self.sink.push(d);
                    ok = false;
                }
            }
        }
        for (missing, what) in [(kind.is_none(), "type"), (at.is_none(), "at")] {
            if missing && ok {
                self.sink
                    .error(Code::E0601, o.span, format!("this event has no `{what}`"));
                ok = false;
            }
        }
        match (kind, at, ok) {
            (Some(kind), Some(at), true) => Some(RawEvent {
                span: o.span,
                kind,
                at,
                note,
                block,
            }),
            _ => None,
        }
    }

    fn handoff_event(
        &mut self,
        e: &RawEvent<'_>,
        def: &HandoffDef,
        schema: &Schema,
        given_note: Option<&Json>,
    ) -> Option<Event> {
        let name = e.kind.node.as_str();
        let kind = match EventKind::parse(name) {
            EventKind::Other(other) if def.goals_met_by(&other).is_empty() => {
                let met_by: Vec<&str> = def
                    .goals
                    .iter()
                    .flat_map(|g| g.met_by.iter().map(String::as_str))
                    .collect();
                let mut d = self.sink.make(
                    Code::E0101,
                    e.kind.span,
                    format!("handoff `{}` has no event `{other}`", def.name),
                );
                d = d.help_closest(
                    &other,
                    EventKind::LIFECYCLE
                        .iter()
                        .copied()
                        .chain(met_by.iter().copied()),
                    || {
                        format!(
                            "events are {}, or a `met by` name: {}",
                            EventKind::LIFECYCLE.join(", "),
                            met_by.join(", ")
                        )
                    },
                );
                self.sink.push(d);
                return None;
            }
            kind => kind,
        };
        let mut ok = true;
        if let Some(b) = &e.block {
            if kind != EventKind::Opened {
                self.sink.error(
                    Code::E0601,
                    b.span,
                    "only the `opened` event names a `block`",
                );
                ok = false;
            }
        }
        let note = match (&kind, e.note) {
            (EventKind::Opened, Some((span, _))) => {
                self.sink.push(
                    self.sink
                        .make(Code::E0601, span, "the note of `opened` is the test's `given` record")
                        .with_help("move these fields into `given`, or send them in a `note_updated` event"),
                );
                ok = false;
                None
            }
            (EventKind::Opened, None) => given_note.cloned(),
            (EventKind::NoteUpdated, Some((_, n))) => match self.note_update(schema, n) {
                Some(j) => Some(j),
                None => {
                    ok = false;
                    None
                }
            },
            (EventKind::NoteUpdated, None) => {
                self.sink.error(
                    Code::E0601,
                    e.span,
                    "a `note_updated` event carries a `note: { … }`",
                );
                ok = false;
                None
            }
            (_, Some((span, _))) => {
                self.sink
                    .error(Code::E0601, span, "only `note_updated` carries a note");
                ok = false;
                None
            }
            (_, None) => None,
        };
        let (line, _) = line_col(self.sink.source, e.span.start);
        ok.then(|| Event {
            line,
            at: e.at,
            block: (kind == EventKind::Opened).then(|| def.name.clone()),
            kind,
            note,
        })
    }

    /// A `note_updated` note: fields of the note record; `null` clears one.
    fn note_update(&mut self, schema: &Schema, obj: &ast::Object) -> Option<Json> {
        let mut map = Map::new();
        let mut ok = true;
        for (name, v) in &obj.entries {
            let Some(field) = schema.slot(&name.node).and_then(|s| schema.field(s)) else {
                self.unknown_field(schema, name);
                ok = false;
                continue;
            };
            if let ObjValue::Expr(e) = v {
                if matches!(&e.node, ExprKind::Name(n) if n == "null" && !self.lets.contains_key(n))
                {
                    map.insert(name.node.clone(), Json::Null);
                    continue;
                }
            }
            match self.field_value(field, v) {
                Some(value) => {
                    map.insert(name.node.clone(), value_json(&value));
                }
                None => ok = false,
            }
        }
        ok.then_some(Json::Object(map))
    }

    fn handoff_expect(
        &mut self,
        e: &Spanned<Expectation>,
        def: &HandoffDef,
        schema: &Schema,
        goals: &[String],
    ) -> Option<Expect> {
        Some(match &e.node {
            Expectation::Goal(g, s) => {
                let goal = self.goal_name(g, def)?;
                let states = GoalState::ALL.map(GoalState::as_str);
                if !states.contains(&s.node.as_str()) {
                    let mut d = self.sink.make(
                        Code::E0101,
                        s.span,
                        format!("unknown goal state `{}`", s.node),
                    );
                    d = d.help_closest(&s.node, states, || {
                        format!("a goal is {}", states.join(", "))
                    });
                    self.sink.push(d);
                    return None;
                }
                Expect::Goal {
                    goal,
                    state: s.node.clone(),
                }
            }
            Expectation::Alert(kind, goal, to) => {
                if kind.node != "warn" && kind.node != "escalate" {
                    let mut d = self.sink.make(
                        Code::E0101,
                        kind.span,
                        format!("unknown alert kind `{}`", kind.node),
                    );
                    d = d.help_closest(&kind.node, ["warn", "escalate"], || {
                        "an alert is `warn` or `escalate`".to_string()
                    });
                    self.sink.push(d);
                    return None;
                }
                let g = match goal {
                    Some(g) => Some(self.goal_name(g, def)?),
                    None => None,
                };
                let index = g
                    .as_ref()
                    .and_then(|g| def.goals.iter().position(|x| x.name == *g));
                let declared = def
                    .alerts
                    .iter()
                    .any(|a| a.kind == kind.node && a.goal == index && a.to == to.node);
                if !declared {
                    let same: Vec<String> = def
                        .alerts
                        .iter()
                        .filter(|a| a.kind == kind.node && a.goal == index)
                        .map(|a| format!("{:?}", a.to))
                        .collect();
                    let what = match &g {
                        Some(g) => format!("`{} {g}`", kind.node),
                        None => format!("note `{}`", kind.node),
                    };
                    let mut d = self.sink.make(
                        Code::E0101,
                        to.span,
                        format!(
                            "handoff `{}` declares no {what} alert to {:?}",
                            def.name, to.node
                        ),
                    );
                    d = d.with_help(if same.is_empty() {
                        match &g {
                            Some(_) => "declare it in the handoff block, or check the goal".to_string(),
                            None => "without a goal, `expect alert escalate to \"…\"` is the `escalate when note incomplete` alert".to_string(),
                        }
                    } else {
                        format!("its {what} alerts go to {}", same.join(", "))
                    });
                    self.sink.push(d);
                    return None;
                }
                Expect::Alert {
                    kind: kind.node.clone(),
                    goal: g,
                    to: to.node.clone(),
                }
            }
            Expectation::Flag(no, name) => {
                if !def.flags.iter().any(|(n, _)| *n == name.node) {
                    let mut d = self.sink.make(
                        Code::E0101,
                        name.span,
                        format!("handoff `{}` has no flag `{}`", def.name, name.node),
                    );
                    d = d.help_closest(
                        &name.node,
                        def.flags.iter().map(|(n, _)| n.as_str()),
                        || {
                            let all: Vec<&str> =
                                def.flags.iter().map(|(n, _)| n.as_str()).collect();
                            if all.is_empty() {
                                "the block declares no `flag`".to_string()
                            } else {
                                format!("its flags are {}", all.join(", "))
                            }
                        },
                    );
                    self.sink.push(d);
                    return None;
                }
                Expect::Flag {
                    name: name.node.clone(),
                    raised: !*no,
                }
            }
            Expectation::Missing(names) => {
                let required: Vec<&str> = def
                    .requires
                    .iter()
                    .filter_map(|s| schema.field(*s).map(|f| f.name.as_str()))
                    .collect();
                if let [only] = names.as_slice() {
                    if only.node == "none" {
                        return Some(Expect::Missing(Vec::new()));
                    }
                }
                let mut out = Vec::new();
                let mut ok = true;
                for n in names {
                    if n.node == "none" {
                        self.sink.error(
                            Code::E0601,
                            n.span,
                            "`none` stands alone: `expect missing none` expects a complete note",
                        );
                        ok = false;
                    } else if !required.contains(&n.node.as_str()) {
                        let mut d = self.sink.make(
                            Code::E0101,
                            n.span,
                            format!(
                                "`{}` is not a required note field of handoff `{}`",
                                n.node, def.name
                            ),
                        );
                        d = d.help_closest(&n.node, required.iter().copied(), || {
                            format!(
                                "only `requires` fields can be missing: {}",
                                required.join(", ")
                            )
                        });
                        self.sink.push(d);
                        ok = false;
                    } else if out.contains(&n.node) {
                        self.sink.error(
                            Code::E0102,
                            n.span,
                            format!("`{}` is listed twice", n.node),
                        );
                        ok = false;
                    } else {
                        out.push(n.node.clone());
                    }
                }
                if !ok {
                    return None;
                }
                Expect::Missing(out)
            }
            Expectation::Error(text) => Expect::Error(text.as_ref().map(|t| t.node.clone())),
            Expectation::Holds(c) => {
                if !self.goal_names_ok(c, def) {
                    return None;
                }
                let flat = goal_schema(goals);
                let padded: Vec<Schema> = (0..goals.len()).map(padded_goal_schema).collect();
                let qualified: Vec<(&str, &Schema, bool)> = goals
                    .iter()
                    .zip(&padded)
                    .map(|(g, s)| (g.as_str(), s, false))
                    .collect();
                let scope = Scope {
                    record: Some(&flat),
                    qualified: &qualified,
                    locals: &[],
                    position: usize::MAX,
                    in_let: false,
                };
                let compiled = self.bool_expr(c, &scope)?;
                Expect::Holds(compiled, self.text_of(c.span))
            }
            other => {
                self.misplaced(e.span, other, "a handoff test expects goal, alert, flag, missing, error or a condition over goal values");
                return None;
            }
        })
    }

    fn goal_name(&mut self, g: &ast::Ident, def: &HandoffDef) -> Option<String> {
        if def.goals.iter().any(|x| x.name == g.node) {
            return Some(g.node.clone());
        }
        let mut d = self.sink.make(
            Code::E0101,
            g.span,
            format!("handoff `{}` has no goal `{}`", def.name, g.node),
        );
        d = d.help_closest(&g.node, def.goals.iter().map(|x| x.name.as_str()), || {
            let all: Vec<&str> = def.goals.iter().map(|x| x.name.as_str()).collect();
            format!("its goals are {}", all.join(", "))
        });
        self.sink.push(d);
        None
    }

    /// A condition in a handoff test reads `GOAL.value` and `let`s only.
    fn goal_names_ok(&mut self, c: &ast::Expr, def: &HandoffDef) -> bool {
        let mut nodes = Vec::new();
        all_nodes(c, &mut nodes);
        let values: Vec<&str> = GOAL_VALUES.iter().map(|(n, _)| *n).collect();
        let first = def
            .goals
            .first()
            .map_or("first_response", |g| g.name.as_str());
        let mut ok = true;
        for n in nodes {
            match &n.node {
                ExprKind::Name(name) if !self.lets.contains_key(name) => {
                    let help = if def.goals.iter().any(|g| g.name == *name) {
                        format!("a goal's values are written `{name}.state`, `{name}.due`, `{name}.elapsed`, …")
                    } else if values.contains(&name.as_str()) {
                        format!("write `GOAL.{name}`, e.g. `{first}.{name}`")
                    } else {
                        format!(
                            "a condition in a handoff test reads goal values: `GOAL.{}`",
                            values.join("`, `GOAL.")
                        )
                    };
                    self.sink.push(
                        self.sink
                            .make(Code::E0101, n.span, format!("unknown name `{name}`"))
                            .with_help(help),
                    );
                    ok = false;
                }
                ExprKind::Field(q, f) => {
                    if self.goal_name(q, def).is_none() {
                        ok = false;
                    } else if !values.contains(&f.node.as_str()) {
                        let mut d = self.sink.make(
                            Code::E0101,
                            f.span,
                            format!("a goal has no value `{}`", f.node),
                        );
                        d = d.help_closest(&f.node, values.iter().copied(), || {
                            format!("a goal's values are {}", values.join(", "))
                        });
                        self.sink.push(d);
                        ok = false;
                    }
                }
                _ => {}
            }
        }
        ok
    }

    // ------------------------------------------------------------ commissions

    fn commission_test(
        &mut self,
        def: &CommissionDef,
        fields: &ast::Object,
        parts: &Parts<'_>,
        x: &Targets<'_>,
    ) -> Option<CheckedTest> {
        let as_of = match &parts.at {
            Some((Value::Date(d), _)) => Some(*d),
            Some((_, span)) => {
                self.sink.push(
                    self.sink
                        .make(Code::E0601, *span, "`at` takes a date in a commission test")
                        .with_help(
                            "the as-of date that decides retention bonuses, e.g. `at 2026-06-30`",
                        ),
                );
                None
            }
            None => {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0601,
                            parts.name.span,
                            "a commission test needs `at DATE`, its as-of date (it decides retention bonuses)",
                        )
                        .with_help("write e.g. `at 2026-06-30`"),
                );
                None
            }
        };
        let deal = self.deal_row(def, fields, x.currency);
        // Events belong to the given deal; when its row has errors, to the
        // id written as a text literal, so that the events are not also
        // reported as lacking their deal.
        let deal_id = deal
            .as_ref()
            .and_then(|d| d.get("deal"))
            .and_then(Json::as_str)
            .map(str::to_string)
            .or_else(|| {
                fields.entries.iter().find_map(|(n, v)| match v {
                    ObjValue::Expr(ast::Expr {
                        node: ExprKind::Lit(ast::Literal::Text(t)),
                        ..
                    }) if n.node == "deal" => Some(t.clone()),
                    _ => None,
                })
            });
        let mut events = Vec::new();
        let mut event_lines = Vec::new();
        let mut ok = true;
        for o in &parts.events {
            match self.event_row(def, o, deal_id.as_deref()) {
                Some(row) => {
                    events.push(Json::Object(row));
                    event_lines.push(line_col(self.sink.source, o.span.start).0);
                }
                None => ok = false,
            }
        }
        let mut expects = Vec::new();
        for e in &parts.expects {
            let kind = match &e.node {
                Expectation::Line(event, obj) => match self.line_expect(def, event, obj) {
                    Some(l) => Expect::Line(Box::new(l)),
                    None => continue,
                },
                Expectation::Error(text) => Expect::Error(text.as_ref().map(|t| t.node.clone())),
                other => {
                    self.misplaced(
                        e.span,
                        other,
                        "a commission test expects `line \"EVENT\" { column: value, … }` or error",
                    );
                    continue;
                }
            };
            expects.push(self.expect_def(e.span, kind));
        }
        let (deal, as_of) = (deal?, as_of?);
        if !ok {
            return None;
        }
        Some(CheckedTest {
            subject: Subject::Commission(Box::new(CommissionCase {
                deal: Json::Object(deal),
                events,
                event_lines,
            })),
            today: as_of,
            expects,
        })
    }

    /// The deal row: columns of the plan's deal schema; `currency` may be
    /// left out when an amount is money (or the header declares one).
    fn deal_row(
        &mut self,
        def: &CommissionDef,
        obj: &ast::Object,
        header_currency: Option<Currency>,
    ) -> Option<Map<String, Json>> {
        let Row {
            mut row,
            values,
            ok,
        } = self.row(&def.deal, obj, "deal");
        if !row.contains_key("currency") {
            let from_money = ["amount", "deal_value"]
                .iter()
                .find_map(|c| match values.get(*c) {
                    Some(Value::Money(m)) => Some(m.currency),
                    _ => None,
                });
            match from_money.or(header_currency) {
                Some(c) => {
                    row.insert("currency".into(), Json::String(c.to_string()));
                }
                None => {
                    self.sink.push(
                        self.sink
                            .make(Code::E0601, obj.span, "the test deal has no `currency`")
                            .with_help("write `currency: \"USD\"`, or give `amount` as money: `amount: 900.00 USD`"),
                    );
                    return None;
                }
            }
        }
        self.required_columns(&def.deal, &row, obj, "deal")
            .then_some(row)
            .filter(|_| ok)
    }

    fn event_row(
        &mut self,
        def: &CommissionDef,
        obj: &ast::Object,
        deal_id: Option<&str>,
    ) -> Option<Map<String, Json>> {
        let Row {
            mut row,
            values,
            ok,
        } = self.row(&def.event, obj, "event");
        if let Some(Value::Text(t)) = values.get("type") {
            let types = EventType::ALL.map(EventType::as_str);
            if !types.contains(&t.as_str()) {
                let span = obj.entries.iter().find(|(n, _)| n.node == "type").map_or(
                    obj.span,
                    |(_, v)| match v {
                        ObjValue::Expr(e) => e.span,
                        ObjValue::Object(o) => o.span,
                    },
                );
                let mut d = self
                    .sink
                    .make(Code::E0101, span, format!("unknown event type {t:?}"));
                d = d.help_closest(t, types, || {
                    "an event is a cancellation, downgrade, reinstatement or upgrade".to_string()
                });
                self.sink.push(d);
                return None;
            }
        }
        if let (false, Some(id)) = (row.contains_key("deal"), deal_id) {
            row.insert("deal".into(), Json::String(id.to_string()));
        }
        self.required_columns(&def.event, &row, obj, "event")
            .then_some(row)
            .filter(|_| ok)
    }

    /// A deal or event row: each entry a column of `schema`, a constant of
    /// its type (a number for money is an amount in the deal's currency;
    /// `on` may be a timestamp). Returns the row, the values by column, and
    /// whether every entry was right.
    fn row(&mut self, schema: &Schema, obj: &ast::Object, what: &str) -> Row {
        let mut row = Map::new();
        let mut values = HashMap::new();
        let mut ok = true;
        for (name, v) in &obj.entries {
            let Some(field) = schema.slot(&name.node).and_then(|s| schema.field(s)) else {
                let mut d = self.sink.make(
                    Code::E0101,
                    name.span,
                    format!(
                        "{} has no column `{}`",
                        if what == "event" {
                            "an event"
                        } else {
                            "a deal"
                        },
                        name.node
                    ),
                );
                d = d.help_closest(
                    &name.node,
                    schema.fields.iter().map(|f| f.name.as_str()),
                    || format!("declare it in `record {what} {{ … }}` to give it a type"),
                );
                self.sink.push(d);
                ok = false;
                continue;
            };
            if row.contains_key(&name.node) {
                self.sink.error(
                    Code::E0102,
                    name.span,
                    format!("column `{}` is given twice", name.node),
                );
                ok = false;
                continue;
            }
            let ObjValue::Expr(e) = v else {
                self.sink.error(
                    Code::E0103,
                    name.span,
                    format!("column `{}` is {}, not an object", field.name, field.ty),
                );
                ok = false;
                continue;
            };
            let Some((value, ty)) = self.const_value(e) else {
                ok = false;
                continue;
            };
            let fits = ty == field.ty
                || (field.ty == Type::Decimal && ty == Type::Int)
                || (field.ty == Type::Money && matches!(ty, Type::Int | Type::Decimal))
                || (field.ty == Type::Date
                    && ty == Type::Timestamp
                    && what == "event"
                    && field.name == "on");
            if !fits {
                let also = if field.ty == Type::Money {
                    " (or a number, in the deal's currency)"
                } else if what == "event" && field.name == "on" {
                    " (or a timestamp)"
                } else {
                    ""
                };
                self.sink.error(
                    Code::E0103,
                    e.span,
                    format!("column `{}` is {}{also}, not {ty}", field.name, field.ty),
                );
                ok = false;
                continue;
            }
            row.insert(name.node.clone(), value_json(&value));
            values.insert(name.node.clone(), value);
        }
        Row { row, values, ok }
    }

    /// Required columns neither in the row nor written (a written column
    /// with a wrong value is reported as such, not as missing too).
    fn required_columns(
        &mut self,
        schema: &Schema,
        row: &Map<String, Json>,
        obj: &ast::Object,
        what: &str,
    ) -> bool {
        let mut ok = true;
        for f in &schema.fields {
            let written = obj.entries.iter().any(|(n, _)| n.node == f.name);
            if !f.optional && !row.contains_key(&f.name) && !written {
                self.sink.push(
                    self.sink
                        .make(
                            Code::E0601,
                            obj.span,
                            format!("the test {what} lacks the required column `{}`", f.name),
                        )
                        .with_help(format!("add `{}: …`", f.name)),
                );
                ok = false;
            }
        }
        ok
    }

    fn line_expect(
        &mut self,
        def: &CommissionDef,
        event: &Spanned<String>,
        obj: &ast::Object,
    ) -> Option<LineExpect> {
        let mut out = LineExpect {
            event: event.node.clone(),
            kind: None,
            count: None,
            checks: Vec::new(),
        };
        let mut ok = true;
        let mut seen: Vec<&str> = Vec::new();
        for (name, v) in &obj.entries {
            if seen.contains(&name.node.as_str()) {
                self.sink.error(
                    Code::E0102,
                    name.span,
                    format!("`{}` is given twice", name.node),
                );
                ok = false;
                continue;
            }
            seen.push(&name.node);
            let column = LINE_COLUMNS.iter().find(|(c, _)| *c == name.node);
            let expected = match (name.node.as_str(), column) {
                ("count", _) => LineValue::Int,
                (_, Some((_, k))) => *k,
                ("event", None) => {
                    self.sink.push(
                        self.sink
                            .make(Code::E0601, name.span, "the event id is written after `line`")
                            .with_help("`expect line \"E-1\" { … }`; `\"\"` names the deal's own lines (retention bonus)"),
                    );
                    ok = false;
                    continue;
                }
                (other, None) => {
                    let names = LINE_COLUMNS.iter().map(|(c, _)| *c).chain(["count"]);
                    let mut d = self.sink.make(
                        Code::E0101,
                        name.span,
                        format!("a ledger line has no column `{other}`"),
                    );
                    d = d.help_closest(other, names, || {
                        let all: Vec<&str> = LINE_COLUMNS.iter().map(|(c, _)| *c).collect();
                        format!("expect {}, or count", all.join(", "))
                    });
                    self.sink.push(d);
                    ok = false;
                    continue;
                }
            };
            let ObjValue::Expr(e) = v else {
                self.sink.error(
                    Code::E0103,
                    name.span,
                    format!("`{}` is not an object", name.node),
                );
                ok = false;
                continue;
            };
            let Some((value, ty)) = self.const_value(e) else {
                ok = false;
                continue;
            };
            let fits = match expected {
                LineValue::Text => ty == Type::Text,
                LineValue::Int => ty == Type::Int,
                LineValue::Number => matches!(ty, Type::Int | Type::Decimal),
                LineValue::Money => matches!(ty, Type::Int | Type::Decimal | Type::Money),
            };
            if !fits {
                let want = match expected {
                    LineValue::Text => "text",
                    LineValue::Int => "an int",
                    LineValue::Number => "a number (`0.6`, `60%`)",
                    LineValue::Money => "money or a number",
                };
                self.sink.error(
                    Code::E0103,
                    e.span,
                    format!("`{}` is {want}, not {ty}", name.node),
                );
                ok = false;
                continue;
            }
            match (name.node.as_str(), &value) {
                ("count", Value::Int(n)) => match usize::try_from(*n) {
                    Ok(n) => out.count = Some(n),
                    Err(_) => {
                        self.sink
                            .error(Code::E0103, e.span, "`count` cannot be negative");
                        ok = false;
                    }
                },
                ("kind", Value::Text(k)) => {
                    let mut kinds = vec![
                        "clawback".to_string(),
                        "reinstatement".to_string(),
                        "upgrade".to_string(),
                    ];
                    kinds.extend(def.upgrades.iter().map(|b| format!("bonus:{}", b.name)));
                    kinds.extend(def.retention.iter().map(|b| b.kind.clone()));
                    if !kinds.iter().any(|x| x == k.as_str()) {
                        let mut d = self.sink.make(
                            Code::E0101,
                            e.span,
                            format!("plan `{}` makes no line of kind {k:?}", def.name),
                        );
                        d = d.help_closest(k, kinds.iter().map(String::as_str), || {
                            format!("kinds are {}", kinds.join(", "))
                        });
                        self.sink.push(d);
                        ok = false;
                    } else {
                        out.kind = Some(k.to_string());
                    }
                }
                ("status", Value::Text(s)) if Status::parse(s).is_none() => {
                    let statuses = Status::ALL.map(Status::as_str);
                    let mut d =
                        self.sink
                            .make(Code::E0101, e.span, format!("unknown status {s:?}"));
                    d = d.help_closest(s, statuses, || {
                        format!("statuses are {}", statuses.join(", "))
                    });
                    self.sink.push(d);
                    ok = false;
                }
                _ => out.checks.push((name.node.clone(), value)),
            }
        }
        if out.count == Some(0) && !out.checks.is_empty() {
            self.sink.push(
                self.sink
                    .make(
                        Code::E0601,
                        obj.span,
                        "`count: 0` expects no such line; there is nothing to compare the other columns with",
                    )
                    .with_help("keep `kind` and `count: 0` only"),
            );
            ok = false;
        }
        ok.then_some(out)
    }

    // ------------------------------------------------------------ shared

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
        let (line, column) = line_col(self.sink.source, span.start);
        ExpectDef { kind, line, column }
    }

    fn text_of(&self, span: Span) -> String {
        self.sink
            .source
            .get(span.start..span.end)
            .unwrap_or("")
            .to_string()
    }

    /// A constant expression and its type; anything else is an error.
    fn const_value(&mut self, e: &ast::Expr) -> Option<(Value, Type)> {
        match self.expr(e, &Scope::constants())? {
            (ir::Expr::Const(v), ty) => Some((v, ty)),
            (node, _) => {
                let message = match super::expr::constant_failure(&node) {
                    Some(err) => format!("this test value always fails: {err}"),
                    None => "a test value must be a constant".to_string(),
                };
                self.sink.error(Code::E0108, e.span, message);
                None
            }
        }
    }

    fn unknown_field(&mut self, schema: &Schema, name: &ast::Ident) {
        let mut d = self.sink.make(
            Code::E0101,
            name.span,
            format!("`{}` has no field `{}`", schema.name, name.node),
        );
        d = d.help_if_close(&name.node, schema.fields.iter().map(|f| f.name.as_str()));
        self.sink.push(d);
    }

    /// A field's value from a constant (an empty `{}` is the empty set).
    fn field_value(&mut self, field: &FieldDef, v: &ObjValue) -> Option<Value> {
        match v {
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
        }
    }

    /// Builds the given record from constant expressions, checking types.
    fn given_record(&mut self, schema: &Schema, obj: &ast::Object) -> Option<Record> {
        let mut values: Vec<Option<Value>> = vec![None; schema.fields.len()];
        let mut ok = true;
        for (name, v) in &obj.entries {
            let Some(slot) = schema.slot(&name.node) else {
                self.unknown_field(schema, name);
                ok = false;
                continue;
            };
            let Some(field) = schema.field(slot) else {
                continue;
            };
            match self.field_value(field, v) {
                Some(v) => {
                    if let Some(s) = values.get_mut(usize::from(slot)) {
                        *s = Some(v);
                    }
                }
                None => ok = false,
            }
        }
        // A written field with a wrong value is reported as such, not as
        // missing too.
        for (f, v) in schema.fields.iter().zip(&values) {
            let written = obj.entries.iter().any(|(n, _)| n.node == f.name);
            if v.is_none() && !f.optional && !written {
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
        ok.then_some(schema.record(values))
    }
}

/// A deal or event row as built from a test: the JSON row, the values by
/// column, and whether every entry was right.
struct Row {
    row: Map<String, Json>,
    values: HashMap<String, Value>,
    ok: bool,
}

/// An event's entries, before its block is known.
struct RawEvent<'o> {
    span: Span,
    kind: Spanned<String>,
    at: i64,
    note: Option<(Span, &'o ast::Object)>,
    block: Option<Spanned<String>>,
}

/// Every node of an expression.
fn all_nodes<'e>(e: &'e ast::Expr, out: &mut Vec<&'e ast::Expr>) {
    out.push(e);
    match &e.node {
        ExprKind::Set(v) | ExprKind::Call(_, v) => v.iter().for_each(|x| all_nodes(x, out)),
        ExprKind::Unary(_, a) | ExprKind::IsSet(a, _) => all_nodes(a, out),
        ExprKind::Binary(_, a, b) => {
            all_nodes(a, out);
            all_nodes(b, out);
        }
        ExprKind::Between(a, b, c) => {
            all_nodes(a, out);
            all_nodes(b, out);
            all_nodes(c, out);
        }
        ExprKind::Lit(_) | ExprKind::Name(_) | ExprKind::Field(..) | ExprKind::Today => {}
    }
}

fn goal_field(name: String, ty: Type) -> FieldDef {
    FieldDef {
        name,
        ty,
        optional: true,
    }
}

/// Every goal value under its full name (`first_response.due`), in the
/// slots the runner fills: what messages name a slot by.
fn goal_schema(goals: &[String]) -> Schema {
    let fields = goals
        .iter()
        .flat_map(|g| {
            GOAL_VALUES
                .iter()
                .map(move |(v, ty)| goal_field(format!("{g}.{v}"), *ty))
        })
        .collect();
    Schema::new("goals", fields, None, None)
}

/// The values of goal `i` as a record whose slots are those of
/// [`goal_schema`]: the slots of earlier goals are taken by fillers no name
/// can reach.
fn padded_goal_schema(i: usize) -> Schema {
    let mut fields: Vec<FieldDef> = (0..i * GOAL_VALUES.len())
        .map(|n| goal_field(format!("\u{0}slot of another goal {n:05}"), Type::Text))
        .collect();
    fields.extend(
        GOAL_VALUES
            .iter()
            .map(|(v, ty)| goal_field((*v).to_string(), *ty)),
    );
    Schema::new("goal", fields, None, None)
}

/// A record as the JSON object `Schema::from_json` reads back.
fn record_json(schema: &Schema, r: &Record) -> Json {
    let mut map = Map::new();
    for (f, v) in schema.fields.iter().zip(&r.values) {
        if let Some(v) = v {
            map.insert(f.name.clone(), value_json(v));
        }
    }
    Json::Object(map)
}

/// A value in the JSON the record readers convert back exactly (money with
/// its currency, decimals as text).
fn value_json(v: &Value) -> Json {
    match v {
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Decimal(d) => Json::String(d.to_string()),
        Value::Money(m) => {
            let mut o = Map::new();
            o.insert("amount".into(), Json::String(m.amount.to_string()));
            o.insert("currency".into(), Json::String(m.currency.to_string()));
            Json::Object(o)
        }
        Value::Text(t) => Json::String(t.to_string()),
        Value::Date(d) => Json::String(d.to_string()),
        Value::Timestamp(t) => Json::String(format_timestamp(*t)),
        Value::Duration(s) => Json::from(*s),
        Value::SetText(s) => Json::Array(s.iter().map(|x| Json::String(x.into())).collect()),
        Value::SetInt(s) => Json::Array(s.iter().map(Json::from).collect()),
    }
}
