//! One record whose outcome differs between the two policies.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::explain::{ConditionTrace, Step};
use crate::io::ErrorLine;
use crate::policy::run::{RecordResult, Written};
use crate::record::Key;
use crate::Tri;

/// A changed record: its line and key, its outcome under each policy, and
/// (when traces were asked for) the rules whose result differs.
#[derive(Debug, Clone)]
pub struct Change {
    /// Its line (or position in a JSON array).
    pub line: usize,
    /// Its key, when either side knows it.
    pub key: Option<Key>,
    pub(crate) old: Written,
    pub(crate) new: Written,
    /// The rules (scores' items, stages, measures' arms, bands) whose
    /// result differs, in the new policy's order, then those only the old
    /// one has.
    pub rules: Vec<RuleChange>,
}

/// A rule whose result differs between the two policies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleChange {
    /// The rule as the trace names it (`stage SQL`, `add 20 when …`).
    pub rule: String,
    /// Its result under the old policy: `true`, `false`, `unknown`, or
    /// `absent` when the old policy has no such rule.
    pub old: &'static str,
    /// Its result under the new policy, likewise.
    pub new: &'static str,
    /// The leaf conditions the old policy evaluated for it, with their
    /// values (as `--explain` shows them).
    pub old_conditions: Vec<ConditionTrace>,
    /// The same under the new policy.
    pub new_conditions: Vec<ConditionTrace>,
}

fn word(t: Option<Tri>) -> &'static str {
    match t {
        None => "absent",
        Some(Some(true)) => "true",
        Some(Some(false)) => "false",
        Some(None) => "unknown",
    }
}

impl Change {
    pub(crate) fn new(line: usize, old: Written, new: Written) -> Change {
        let key = key_of(&new).or_else(|| key_of(&old)).cloned();
        Change {
            line,
            key,
            old,
            new,
            rules: Vec::new(),
        }
    }

    /// Sets the rules that differ from the two traces. A stage is one rule
    /// whatever its condition (`stage SQL`); any other rule is known by its
    /// text.
    pub(crate) fn with_rules(mut self, old: &[Step], new: &[Step]) -> Change {
        fn find<'s>(steps: &'s [Step], rule: &str) -> Option<&'s Step> {
            steps.iter().find(|s| rule_name(&s.rule) == rule)
        }
        for s in new {
            let name = rule_name(&s.rule);
            let before = find(old, name);
            if before.map(|b| b.result) != Some(s.result) {
                self.rules.push(RuleChange {
                    rule: name.to_string(),
                    old: word(before.map(|b| b.result)),
                    new: word(Some(s.result)),
                    old_conditions: before.map(|b| b.conditions.clone()).unwrap_or_default(),
                    new_conditions: s.conditions.clone(),
                });
            }
        }
        for s in old {
            let name = rule_name(&s.rule);
            if find(new, name).is_none() {
                self.rules.push(RuleChange {
                    rule: name.to_string(),
                    old: word(Some(s.result)),
                    new: word(None),
                    old_conditions: s.conditions.clone(),
                    new_conditions: Vec::new(),
                });
            }
        }
        self
    }

    /// The outcome under the old policy, as the command's output writes it.
    pub fn old_json(&self) -> serde_json::Value {
        outcome_json(&self.old)
    }

    /// The outcome under the new policy, likewise.
    pub fn new_json(&self) -> serde_json::Value {
        outcome_json(&self.new)
    }

    /// The stage or band under each policy (`error` for an error record,
    /// `none` for none).
    pub fn labels(&self) -> (String, String) {
        (label(&self.old).to_string(), label(&self.new).to_string())
    }
}

/// What a rule is known by across versions: `stage NAME` for a stage,
/// its whole text otherwise.
fn rule_name(rule: &str) -> &str {
    match rule.strip_prefix("stage ") {
        Some(rest) => {
            let end = rest
                .find(" when ")
                .map_or(rule.len(), |i| i + "stage ".len());
            rule.get(..end).unwrap_or(rule)
        }
        None => rule,
    }
}

fn key_of(w: &Written) -> Option<&Key> {
    match w {
        Written::Result(RecordResult::Decision(d)) => d.key.as_ref(),
        Written::Result(RecordResult::Scorecard(s)) => s.key.as_ref(),
        Written::Error(e) => e.key.as_ref(),
    }
}

/// The stage or band of an outcome, as the matrices name it.
pub(crate) fn label(w: &Written) -> &str {
    match w {
        Written::Result(RecordResult::Decision(d)) => {
            d.stage.as_deref().unwrap_or(crate::tally::NONE)
        }
        Written::Result(RecordResult::Scorecard(s)) => {
            s.band.as_deref().unwrap_or(crate::tally::NONE)
        }
        Written::Error(_) => crate::tally::ERROR,
    }
}

fn outcome_json(w: &Written) -> serde_json::Value {
    serde_json::to_value(Shown(w)).unwrap_or(serde_json::Value::Null)
}

/// An outcome as the command's output writes it (its fields in order), or
/// `{"error": …}`.
struct Shown<'a>(&'a Written);

impl Serialize for Shown<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Written::Result(r) => r.serialize(s),
            Written::Error(ErrorLine { error, .. }) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("error", error)?;
                m.end()
            }
        }
    }
}

impl Serialize for Change {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("line", &self.line)?;
        m.serialize_entry("key", &self.key)?;
        m.serialize_entry("old", &Shown(&self.old))?;
        m.serialize_entry("new", &Shown(&self.new))?;
        m.serialize_entry("rules", &self.rules)?;
        m.end()
    }
}
