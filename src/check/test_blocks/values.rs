//! Constant values in tests: the given record built field by field from
//! constant expressions, the value of one field, and records and values
//! as the JSON the record readers convert back exactly.

use crate::json::{Json, Map};

use crate::check::{Checker, Scope};
use crate::diag::Code;
use crate::program::expr as ir;
use crate::record::{FieldDef, Record, Schema};
use crate::syntax::ast::{self, ObjValue};
use crate::value::{format_timestamp, IntSet, TextSet, Type, Value};

impl Checker<'_> {
    /// A constant expression and its type; anything else is an error.
    pub(super) fn const_value(&mut self, e: &ast::Expr) -> Option<(Value, Type)> {
        match self.expr(e, &Scope::constants())? {
            (ir::Expr::Const(v), ty) => Some((v, ty)),
            (node, _) => {
                let message = match crate::check::expr::constant_failure(&node, &self.let_slots) {
                    Some(err) => format!("this test value always fails: {err}"),
                    None => "a test value must be a constant".to_string(),
                };
                self.sink.error(Code::E0108, e.span, message);
                None
            }
        }
    }

    pub(super) fn unknown_field(&mut self, schema: &Schema, name: &ast::Ident) {
        if self
            .reported_fields
            .contains(&(schema.name.clone(), name.node.clone()))
        {
            return;
        }
        let mut d = self.sink.make(
            Code::E0101,
            name.span,
            format!("`{}` has no field `{}`", schema.name, name.node),
        );
        d = self
            .sink
            .help_if_close(d, &name.node, schema.fields.iter().map(|f| f.name.as_str()));
        self.sink.push(d);
    }

    /// A field's value from a constant (an empty `{}` is the empty set).
    pub(super) fn field_value(&mut self, field: &FieldDef, v: &ObjValue) -> Option<Value> {
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
    pub(super) fn given_record(&mut self, schema: &Schema, obj: &ast::Object) -> Option<Record> {
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

/// A record as the JSON object `Schema::from_json` reads back.
pub(super) fn record_json(schema: &Schema, r: &Record) -> Json {
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
pub(super) fn value_json(v: &Value) -> Json {
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
