//! A condition compiled on its own against a record type of a policy: the
//! way for a service to evaluate one rule over its records without writing
//! a whole block around it.

use std::sync::Arc;

use chrono::NaiveDate;

use super::{LoadError, Policy};
use crate::program::eval::{Env, EvalError, Tri};
use crate::program::expr::Expr;
use crate::program::lets::Lets;
use crate::record::{Record, RecordBatch, Schema};

/// A condition compiled against one record type ([`Policy::condition`]):
/// checked once (names resolved to slots, types known), then evaluated on
/// any number of records of that type. Immutable, `Send + Sync`.
///
/// ```
/// use baton::{NaiveDate, Policy, RecordBatch};
/// let policy: Policy = r#"policy "p" version 1 effective 2026-01-01
///   currency USD
/// let target = {"saas", "fintech"}
/// record lead key id { id: text  industry: text  budget: money? }"#.parse().unwrap();
/// let big = policy.condition("lead", "industry in target and budget >= 10_000 USD").unwrap();
///
/// let schema = policy.schema("lead").unwrap();
/// let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
/// let lead = schema.from_json(&serde_json::json!({"id": "a", "industry": "saas", "budget": "25000"})).unwrap();
/// assert_eq!(big.eval(&lead, day), Ok(Some(true)));
///
/// // Over many prepared records, the fast form:
/// let mut batch = RecordBatch::new(schema);
/// for (id, budget) in [("b", Some("500")), ("c", None)] {
///     let json = serde_json::json!({"id": id, "industry": "fintech", "budget": budget});
///     batch.push(schema.from_json(&json).unwrap()).unwrap();
/// }
/// let truths: Vec<_> = big.eval_each(&batch, day).unwrap().collect();
/// assert_eq!(truths, [Ok(Some(false)), Ok(None)]); // c's budget is unknown
///
/// // A mistake is a diagnostic with a suggestion, as in a policy file.
/// let err = policy.condition("lead", "industri == \"saas\"").unwrap_err();
/// assert!(err.render().contains("did you mean `industry`"));
/// ```
#[derive(Debug, Clone)]
pub struct Condition {
    /// The expression, with the `let`s it reads that are not literals.
    compiled: Arc<(Expr, Lets)>,
    schema: Arc<Schema>,
    text: Arc<str>,
}

impl Policy {
    /// Compiles `text`, a condition over the fields of the record type
    /// `record` and the policy's `let` constants (`today` is the evaluation
    /// date). Every problem is reported, as for a policy file, against a
    /// source named `<condition>`.
    pub fn condition(&self, record: &str, text: &str) -> Result<Condition, LoadError> {
        const FILE: &str = "<condition>";
        let program = self.program();
        let Some(index) = program.records.iter().position(|s| s.name() == record) else {
            let known: Vec<&str> = program.records.iter().map(|s| s.name()).collect();
            let d = crate::diag::Diagnostic::error(
                crate::diag::Code::E0101,
                &Arc::from(FILE),
                text,
                crate::span::Span::default(),
                format!("policy `{}` has no record `{record}`", self.name()),
            );
            let d = match crate::diag::suggest(record, known.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d,
            };
            return Err(LoadError::single(FILE, text, vec![d]));
        };
        let (expr, lets) = crate::check::condition(program, index, FILE, text)
            .map_err(|d| LoadError::single(FILE, text, d))?;
        let schema = program
            .records
            .get(index)
            .map(Arc::clone)
            .unwrap_or_else(|| Arc::new(Schema::new(record, Vec::new(), None, None)));
        Ok(Condition {
            compiled: Arc::new((expr, lets)),
            schema,
            text: Arc::from(text),
        })
    }
}

impl Condition {
    /// The record type it reads.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Its source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True, false or unknown (`None`) for one record, evaluated on
    /// `today`. A record built for another record type is an error.
    pub fn eval(&self, record: &Record, today: NaiveDate) -> Result<Tri, EvalError> {
        if !record.is_of(&self.schema) {
            return Err(EvalError::wrong_record(&self.schema));
        }
        let (expr, lets) = &*self.compiled;
        let computed = lets.computed_on(today);
        expr.eval_bool(&Env {
            fields: record.values(),
            other: &[],
            locals: &[],
            today,
            lets: computed.as_deref().unwrap_or(lets.fixed()),
        })
    }

    /// The truth for each record of a batch, in order: the fast form for
    /// many prepared records. A batch of another record type is an error.
    pub fn eval_each<'a>(
        &'a self,
        batch: &'a RecordBatch,
        today: NaiveDate,
    ) -> Result<impl Iterator<Item = Result<Tri, EvalError>> + 'a, EvalError> {
        if !batch.is_of(&self.schema) {
            return Err(EvalError::wrong_record(&self.schema));
        }
        let (expr, lets) = &*self.compiled;
        let env = Env {
            fields: &[],
            other: &[],
            locals: &[],
            today,
            lets: lets.fixed(),
        };
        let each = expr.eval_bool_each(env, batch.iter());
        // A `let` that uses `today`: every value computed once for the run.
        Ok(match lets.computed_on(today) {
            Some(values) => each.with_lets(values),
            None => each,
        })
    }
}
