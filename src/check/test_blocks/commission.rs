//! Commission tests (`given deal`): the deal and event rows built from
//! constants, `at` as the as-of date, and `expect line` against the
//! columns and kinds of the plan's ledger.

use std::collections::HashMap;

use crate::json::{Json, Map};

use super::values::value_json;
use super::{CheckedTest, Parts, Targets};
use crate::check::Checker;
use crate::diag::Code;
use crate::program::commission::{CommissionDef, EventType, Status};
use crate::program::tests::{CommissionCase, Expect, LineExpect, Subject};
use crate::record::Schema;
use crate::span::Spanned;
use crate::syntax::ast::{self, Expectation, ExprKind, ObjValue};
use crate::value::{Currency, Type, Value};

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

impl Checker<'_> {
    pub(super) fn commission_test(
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
                    event_lines.push(self.sink.line_col(o.span.start).0);
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
    ) -> Option<Map> {
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
    ) -> Option<Map> {
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
                d = self.sink.help_closest(d, t, types, || {
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
                d = self.sink.help_closest(
                    d,
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
        row: &Map,
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
                    d = self.sink.help_closest(d, other, names, || {
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
                        d = self
                            .sink
                            .help_closest(d, k, kinds.iter().map(String::as_str), || {
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
                    d = self.sink.help_closest(d, s, statuses, || {
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
}

/// A deal or event row as built from a test: the JSON row, the values by
/// column, and whether every entry was right.
struct Row {
    row: Map,
    values: HashMap<String, Value>,
    ok: bool,
}
