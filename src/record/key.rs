//! A record's key as outputs show it.

use crate::json::Json;
use serde::Serialize;

use crate::value::Value;

/// A record's key as results name it: the key field's value in the output
/// encoding of CLI.md ("Value encoding in output") — a JSON number for an `int` (or `duration`) key, a
/// boolean for a `bool` one, a string for every other type.
///
/// ```
/// use baton::{Key, Value};
/// assert_eq!(serde_json::to_string(&Key::of(&Value::Int(7))).unwrap(), "7");
/// assert_eq!(serde_json::to_string(&Key::from("L-7")).unwrap(), r#""L-7""#);
/// assert_eq!(Key::of(&Value::Int(7)).to_string(), "7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum Key {
    /// An `int` key, or a `duration` one in seconds.
    Number(i64),
    /// A `bool` key.
    Bool(bool),
    /// Any other key, as its text.
    Text(String),
}

impl Key {
    /// The key a value makes.
    pub fn of(v: &Value) -> Key {
        match v {
            Value::Text(t) => Key::Text(t.to_string()),
            Value::Int(n) | Value::Duration(n) => Key::Number(*n),
            Value::Bool(b) => Key::Bool(*b),
            other => match other.to_json() {
                serde_json::Value::String(s) => Key::Text(s),
                j => Key::Text(j.to_string()),
            },
        }
    }

    /// A JSON value as key text: a string as it is, anything else as JSON.
    pub(crate) fn as_given(j: &Json) -> Key {
        match j {
            Json::String(s) => Key::Text(s.clone()),
            j => Key::Text(j.to_string()),
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Number(n) => write!(f, "{n}"),
            Key::Bool(b) => write!(f, "{b}"),
            Key::Text(t) => f.write_str(t),
        }
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Key {
        Key::Text(s.to_string())
    }
}
