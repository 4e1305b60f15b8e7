//! Building a record field by field, checked as it is built: a service
//! that holds typed values sets them by name or by a field handle resolved
//! once, and every mistake (an unknown field, a value of the wrong type, a
//! required field left unset) is an error before anything is evaluated.

use super::{Record, RecordError, Schema};
use crate::value::{clip, Type, Value};

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

/// A record under construction ([`Schema::builder`]). Setting a field
/// never fails on the spot: every mistake (an unknown field, a value whose
/// type is not the field's, a handle of another schema, a required field
/// left unset) is collected and [`RecordBuilder::build`] reports them all.
///
/// ```
/// use baton::{Currency, Money, Record, RecordError, Schema, Value};
/// # let policy: baton::Policy = r#"policy "p" version 1 effective 2026-01-01
/// # record lead key id { id: text  employees: int  budget: money?  tags: set of text }"#.parse().unwrap();
/// let schema: &Schema = policy.schema("lead").unwrap();
/// let usd = Currency::parse("USD").unwrap();
/// let lead: Record = schema
///     .builder()
///     .set("id", "L-1")
///     .set("employees", 800)
///     .set("budget", Money { amount: "25000".parse().unwrap(), currency: usd })
///     .set("tags", Value::text_set(["sso"]))
///     .build()?;
/// assert_eq!(lead.get(schema, "employees"), Some(&Value::Int(800)));
///
/// // Mistakes are errors when the record is built, not when it is evaluated.
/// let err = schema.builder().set("id", "L-2").set("employees", "many").set("employes", 800).build();
/// assert_eq!(
///     err.unwrap_err().to_string(),
///     "field `employees`: \"many\" is not an int; record `lead` has no field `employes`; \
///      field `tags` is required but not set"
/// );
///
/// // Handles resolved once set fields without a lookup; a builder is
/// // reused record after record.
/// let employees = schema.field_handle("employees").unwrap();
/// let mut b = schema.builder();
/// for n in [12, 40] {
///     let r = b.set("id", "L-3").set_field(employees, n).set("tags", Value::text_set(["api"])).build()?;
///     assert!(r.is_of(schema));
/// }
/// # Ok::<(), RecordError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RecordBuilder<'s> {
    schema: &'s Schema,
    values: Vec<Option<Value>>,
    errors: Vec<RecordError>,
    /// Slots whose value was refused: already an error, not also missing.
    refused: Vec<u16>,
}

/// `n` absent values, written directly (no clone of a `None` per slot).
fn empty_slots(n: usize) -> Vec<Option<Value>> {
    let mut v = Vec::with_capacity(n);
    v.resize_with(n, || None);
    v
}

impl Schema {
    /// A builder for a record of this schema, every field unset.
    pub fn builder(&self) -> RecordBuilder<'_> {
        RecordBuilder {
            schema: self,
            values: empty_slots(self.fields.len()),
            errors: Vec::new(),
            refused: Vec::new(),
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
    /// Sets a field by name.
    pub fn set(&mut self, name: &str, value: impl Into<Value>) -> &mut Self {
        match self.schema.field_handle(name) {
            Some(f) => self.set_field(f, value),
            None => {
                self.errors.push(RecordError::Malformed {
                    message: format!("record `{}` has no field `{name}`", self.schema.name),
                });
                self
            }
        }
    }

    /// Sets a field by a handle of this schema.
    #[inline]
    pub fn set_field(&mut self, field: Field, value: impl Into<Value>) -> &mut Self {
        let value = value.into();
        if self.values.is_empty() {
            // After `build`: the next record starts.
            self.values = empty_slots(self.schema.fields.len());
        }
        if field.schema != self.schema.fingerprint || value.ty() != field.ty {
            self.refuse(field, &value);
        } else if let Some(slot) = self.values.get_mut(usize::from(field.slot)) {
            *slot = Some(value);
        }
        self
    }

    #[cold]
    #[inline(never)]
    fn refuse(&mut self, field: Field, value: &Value) {
        let e = if field.schema != self.schema.fingerprint {
            RecordError::WrongRecordType
        } else {
            self.refused.push(field.slot);
            RecordError::Invalid {
                field: self
                    .schema
                    .field(field.slot)
                    .map_or_else(String::new, |f| f.name.clone()),
                value: clip(&value.as_val().display()).into_owned(),
                expected: super::expected_name(field.ty).to_string(),
            }
        };
        self.errors.push(e);
    }

    /// Clears a field (absent: unknown).
    pub fn unset(&mut self, field: Field) -> &mut Self {
        if self.values.is_empty() {
            self.values = empty_slots(self.schema.fields.len());
        }
        if field.schema == self.schema.fingerprint {
            if let Some(slot) = self.values.get_mut(usize::from(field.slot)) {
                *slot = None;
            }
        }
        self
    }

    /// The record, or every mistake made building it (a required field
    /// left unset among them). The builder is empty again afterwards,
    /// ready for the next record.
    pub fn build(&mut self) -> Result<Record, RecordError> {
        let fields = &self.schema.fields;
        let mut values = std::mem::take(&mut self.values);
        values.resize(fields.len(), None);
        let mut errors = std::mem::take(&mut self.errors);
        let refused = std::mem::take(&mut self.refused);
        for ((slot, f), v) in (0u16..).zip(fields).zip(&values) {
            if !f.optional && v.is_none() && !refused.contains(&slot) {
                errors.push(RecordError::Missing {
                    field: f.name.clone(),
                    how: "not set".into(),
                });
            }
        }
        match errors.len() {
            0 => Ok(self.schema.record(values)),
            1 => Err(errors.remove(0)),
            _ => Err(RecordError::Several { errors }),
        }
    }
}
