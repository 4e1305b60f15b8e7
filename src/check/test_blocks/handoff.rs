//! Handoff tests: the given record as the note, `at` as the instant, the
//! block the `opened` event names, and the events (`type`, `at`, a note
//! update on `note_updated`). Their expectations are checked in
//! [`super::handoff_expect`].

use crate::json::{Json, Map};

use super::values::{record_json, value_json};
use super::{CheckedTest, Parts, Targets};
use crate::check::Checker;
use crate::diag::Code;
use crate::program::handoff::{Event, EventKind, HandoffDef};
use crate::program::tests::{HandoffCase, Subject};
use crate::record::Schema;
use crate::span::{Span, Spanned};
use crate::syntax::ast::{self, ExprKind, ObjValue};
use crate::value::Value;

impl Checker<'_> {
    pub(super) fn handoff_test(
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
                        d = self.sink.help_if_close(
                            d,
                            &b.node,
                            blocks.iter().map(|h| h.name.as_str()),
                        );
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
                    d = self.sink.help_closest(d, other, ["type", "at", "note", "block"], || {
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
                d = self.sink.help_closest(
                    d,
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
        let (line, _) = self.sink.line_col(e.span.start);
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
}

/// An event's entries, before its block is known.
struct RawEvent<'o> {
    span: Span,
    kind: Spanned<String>,
    at: i64,
    note: Option<(Span, &'o ast::Object)>,
    block: Option<Spanned<String>>,
}
