//! Building a record field by field, checked as it is built: a service
//! that holds typed values sets them by name or by a field handle resolved
//! once, and every mistake (an unknown field, a value of the wrong type, a
//! required field left unset) is an error before anything is evaluated.

use super::{Record, RecordError, Schema};
use crate::value::{Type, Value};

/// A field of a schema, resolved once by name ([`Schema::field_handle`]):
/// setting it costs no lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    slot: u16,
    ty: Type,
    schema: u64,
}

impl Field {
    /// The field's declared type.
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// The field's slot in its schema.
    pub fn slot(&self) -> u16 {
        self.slot
    }
}

/// A record under construction ([`Schema::builder`]).
///
/// ```
/// use baton::{Currency, Money, Record, RecordError, Schema, Value};
/// # let policy: baton::Policy = r#"policy "p" version 1 effective 2026-01-01
/// # record lead key id { id: text  employees: int  budget: money?  tags: set of text }"#.parse().unwrap();
/// let schema: &Schema = policy.schema("lead").unwrap();
/// let usd = Currency::parse("USD").unwrap();
/// let lead: Record = schema
///     .builder()
///     .set("id", "L-1")?
///     .set("employees", 800)?
///     .set("budget", Money { amount: "25000".parse().unwrap(), currency: usd })?
///     .set("tags", Value::text_set(["sso"]))?
///     .build()?;
/// assert_eq!(lead.get(schema, "employees"), Some(&Value::Int(800)));
///
/// // Mistakes are errors when the record is built, not when it is evaluated.
/// assert!(schema.builder().set("employees", "many").is_err());
/// assert!(schema.builder().set("employes", 800).is_err());
/// assert!(schema.builder().set("id", "L-2")?.build().is_err()); // `employees` is required
///
/// // A handle resolved once sets a field without a lookup.
/// let employees = schema.field_handle("employees").unwrap();
/// let r = schema.builder().set("id", "L-3")?.set_field(employees, 12)?.set("tags", Value::text_set(["api"]))?.build()?;
/// assert!(r.is_of(schema));
/// # Ok::<(), RecordError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RecordBuilder<'s> {
    schema: &'s Schema,
    values: Vec<Option<Value>>,
}

impl Schema {
    /// A builder for a record of this schema, every field unset.
    pub fn builder(&self) -> RecordBuilder<'_> {
        RecordBuilder {
            schema: self,
            values: vec![None; self.fields.len()],
        }
    }

    /// A field resolved by name, to set without a lookup.
    pub fn field_handle(&self, name: &str) -> Option<Field> {
        let slot = self.slot(name)?;
        let f = self.field(slot)?;
        Some(Field {
            slot,
            ty: f.ty,
            schema: self.fingerprint,
        })
    }
}

impl RecordBuilder<'_> {
    /// Sets a field by name. An unknown field, or a value whose type is
    /// not the field's, is an error.
    pub fn set(self, name: &str, value: impl Into<Value>) -> Result<Self, RecordError> {
        match self.schema.field_handle(name) {
            Some(f) => self.set_field(f, value),
            None => Err(RecordError::Malformed {
                message: format!("record `{}` has no field `{name}`", self.schema.name),
            }),
        }
    }

    /// Sets a field by a handle of this schema.
    pub fn set_field(mut self, field: Field, value: impl Into<Value>) -> Result<Self, RecordError> {
        let value = value.into();
        let name = || {
            self.schema
                .field(field.slot)
                .map_or_else(String::new, |f| f.name.clone())
        };
        if field.schema != self.schema.fingerprint {
            return Err(RecordError::WrongRecordType);
        }
        if value.ty() != field.ty {
            return Err(RecordError::Invalid {
                field: name(),
                value: value.as_val().display(),
                expected: super::expected_name(field.ty).to_string(),
            });
        }
        if let Some(slot) = self.values.get_mut(usize::from(field.slot)) {
            *slot = Some(value);
        }
        Ok(self)
    }

    /// Clears a field (absent: unknown).
    pub fn unset(mut self, field: Field) -> Self {
        if field.schema == self.schema.fingerprint {
            if let Some(slot) = self.values.get_mut(usize::from(field.slot)) {
                *slot = None;
            }
        }
        self
    }

    /// The record; a required field left unset is an error (all of them
    /// are named).
    pub fn build(self) -> Result<Record, RecordError> {
        let mut missing: Vec<RecordError> = self
            .schema
            .fields
            .iter()
            .zip(&self.values)
            .filter(|(f, v)| !f.optional && v.is_none())
            .map(|(f, _)| RecordError::Missing {
                field: f.name.clone(),
                how: "not set".into(),
            })
            .collect();
        match missing.len() {
            0 => Ok(self.schema.record(self.values)),
            1 => Err(missing.remove(0)),
            _ => Err(RecordError::Several { errors: missing }),
        }
    }
}
