//! JSON input with exact numbers. A number keeps the digits it was written
//! with (`0.1` is the text `0.1`, `12345678901234567890.123456789` all of
//! it), so decimals and money convert exactly, without binary floating
//! point and without asking the whole build for serde_json's
//! `arbitrary_precision` (a feature that changes `serde_json::Value` for
//! every crate of an embedder's build).
//!
//! The parser follows RFC 8259. Text that is not JSON is reported with
//! serde_json's own message, so an error line reads the same whichever
//! parser saw the text first.

use std::fmt;

/// A JSON value whose numbers are kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Json {
    /// `null`
    #[default]
    Null,
    /// `true`, `false`
    Bool(bool),
    /// A number, as written.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object: keys in input order; a repeated key keeps its last value.
    Object(Map),
}

/// A JSON number's text, exactly as written (validated by the grammar).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(Box<str>);

impl Number {
    /// The number's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A JSON object's members in input order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Map(Vec<(String, Json)>);

impl Map {
    /// An empty object.
    pub fn new() -> Map {
        Map(Vec::new())
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether `key` is a member.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key`, replacing an earlier value of it in place.
    pub fn insert(&mut self, key: String, value: Json) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key, value)),
        }
    }

    /// The members in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Json)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'m> IntoIterator for &'m Map {
    type Item = (&'m String, &'m Json);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'m, (String, Json)>,
        fn(&'m (String, Json)) -> (&'m String, &'m Json),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl From<i64> for Json {
    fn from(n: i64) -> Json {
        Json::Number(Number(n.to_string().into_boxed_str()))
    }
}

impl Json {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.get(key),
            _ => None,
        }
    }

    /// The members of an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether it is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// Parses one JSON text (surrounding whitespace allowed, nothing else).
    /// The error is serde_json's message for the same text.
    pub fn parse(text: &str) -> Result<Json, String> {
        let mut p = Parser {
            bytes: text.as_bytes(),
            at: 0,
        };
        let v = p.value(0).and_then(|v| {
            p.skip_ws();
            (p.at == p.bytes.len()).then_some(v)
        });
        v.ok_or_else(|| serde_error(text))
    }

    /// Parses JSON bytes; invalid UTF-8 or text that is not JSON is
    /// serde_json's message for the same bytes.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Json, String> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Json::parse(text),
            Err(_) => Err(match serde_json::from_slice::<serde_json::Value>(bytes) {
                Err(e) => e.to_string(),
                Ok(_) => "not valid UTF-8".to_string(),
            }),
        }
    }

    /// The members of one JSON object that `slot` knows, by slot, without
    /// building the rest: other members are checked and skipped. `None`
    /// when the text is not exactly one object, or a key is escaped or
    /// repeated: the caller then parses it whole, which says what is wrong.
    pub fn object_fields(
        text: &str,
        slots: usize,
        slot: impl Fn(&str) -> Option<usize>,
    ) -> Option<Vec<Option<Json>>> {
        let mut p = Parser {
            bytes: text.as_bytes(),
            at: 0,
        };
        let mut found: Vec<Option<Json>> = Vec::with_capacity(slots);
        found.resize_with(slots, || None);
        p.skip_ws();
        if p.peek() != Some(b'{') {
            return None;
        }
        p.at += 1;
        if p.eat(b'}').is_none() {
            loop {
                p.skip_ws();
                let key = p.plain_key()?;
                p.eat(b':')?;
                match slot(key) {
                    Some(i) => match found.get_mut(i)? {
                        cell @ None => *cell = Some(p.value(1)?),
                        // A repeated key: the whole parse decides.
                        Some(_) => return None,
                    },
                    None => p.skip_value(1)?,
                }
                if p.eat(b',').is_none() {
                    p.eat(b'}')?;
                    break;
                }
            }
        }
        p.skip_ws();
        (p.at == p.bytes.len()).then_some(found)
    }

    /// The value of a `serde_json::Value`: a number is taken by its text,
    /// which is exact for an integer, for any number when the build enables
    /// serde_json's `arbitrary_precision`, and otherwise the shortest text
    /// that reads back as the same binary float.
    pub fn from_serde(v: &serde_json::Value) -> Json {
        use serde_json::Value as V;
        match v {
            V::Null => Json::Null,
            V::Bool(b) => Json::Bool(*b),
            V::Number(n) => Json::Number(Number(n.to_string().into_boxed_str())),
            V::String(s) => Json::String(s.clone()),
            V::Array(a) => Json::Array(a.iter().map(Json::from_serde).collect()),
            V::Object(o) => {
                let mut m = Map::new();
                for (k, v) in o {
                    m.insert(k.clone(), Json::from_serde(v));
                }
                Json::Object(m)
            }
        }
    }
}

/// What conversion reads of a JSON value, from either tree: this crate's
/// [`Json`] (exact numbers, from input text) or a caller's
/// `serde_json::Value` (numbers by their text), so a record converts from
/// either without building the other.
pub(crate) trait Node: Sized + fmt::Display {
    /// The value's shape.
    fn view(&self) -> View<'_, Self>;
    /// The member `key` of an object.
    fn member(&self, key: &str) -> Option<&Self>;
    /// Whether it is `null` (without reading a number's text).
    fn is_null(&self) -> bool {
        matches!(self.view(), View::Null)
    }
    /// Each member of an object, in order (nothing for another value).
    fn for_each_member<'a>(&'a self, f: impl FnMut(&'a str, &'a Self));
    /// The value of an integer number, when the tree holds it as one (a
    /// shortcut past its text).
    fn as_int(&self) -> Option<i64> {
        None
    }
}

/// A JSON value's shape, borrowed.
pub(crate) enum View<'a, J> {
    Null,
    Bool(bool),
    /// A number's text.
    Number(std::borrow::Cow<'a, str>),
    String(&'a str),
    Array(&'a [J]),
    Object,
}

impl Node for Json {
    fn view(&self) -> View<'_, Json> {
        match self {
            Json::Null => View::Null,
            Json::Bool(b) => View::Bool(*b),
            Json::Number(n) => View::Number(std::borrow::Cow::Borrowed(n.as_str())),
            Json::String(s) => View::String(s),
            Json::Array(items) => View::Array(items),
            Json::Object(_) => View::Object,
        }
    }

    fn member(&self, key: &str) -> Option<&Json> {
        self.get(key)
    }

    fn for_each_member<'a>(&'a self, mut f: impl FnMut(&'a str, &'a Json)) {
        if let Json::Object(m) = self {
            for (k, v) in &m.0 {
                f(k, v);
            }
        }
    }
}

impl Node for serde_json::Value {
    fn view(&self) -> View<'_, serde_json::Value> {
        use serde_json::Value as V;
        match self {
            V::Null => View::Null,
            V::Bool(b) => View::Bool(*b),
            V::Number(n) => View::Number(std::borrow::Cow::Owned(n.to_string())),
            V::String(s) => View::String(s),
            V::Array(items) => View::Array(items),
            V::Object(_) => View::Object,
        }
    }

    fn member(&self, key: &str) -> Option<&serde_json::Value> {
        self.get(key)
    }

    fn for_each_member<'a>(&'a self, mut f: impl FnMut(&'a str, &'a serde_json::Value)) {
        if let serde_json::Value::Object(m) = self {
            for (k, v) in m {
                f(k, v);
            }
        }
    }

    fn as_int(&self) -> Option<i64> {
        self.as_i64()
    }

    fn is_null(&self) -> bool {
        serde_json::Value::is_null(self)
    }
}

/// serde_json's message for a text that is not JSON.
fn serde_error(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Err(e) => e.to_string(),
        // Both parsers follow RFC 8259; should they ever disagree, the
        // text is still refused, with a message of ours.
        Ok(_) => "not valid JSON".to_string(),
    }
}

/// Compact JSON, as serde_json writes it: strings escaped the same way,
/// numbers as written.
impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => f.write_str(n.as_str()),
            Json::String(s) => write_string(f, s),
            Json::Array(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Json::Object(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write_string(f, k)?;
                    write!(f, ":{v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    match serde_json::to_string(s) {
        Ok(quoted) => f.write_str(&quoted),
        Err(_) => write!(f, "{s:?}"),
    }
}

/// Deepest nesting of arrays and objects read; deeper text is refused.
const MAX_DEPTH: usize = 128;

struct Parser<'t> {
    bytes: &'t [u8],
    at: usize,
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_ws();
        (self.peek() == Some(b)).then(|| self.at += 1)
    }

    fn literal(&mut self, word: &[u8], v: Json) -> Option<Json> {
        let end = self.at.checked_add(word.len())?;
        (self.bytes.get(self.at..end) == Some(word)).then(|| {
            self.at = end;
            v
        })
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        self.skip_ws();
        match self.peek()? {
            b'n' => self.literal(b"null", Json::Null),
            b't' => self.literal(b"true", Json::Bool(true)),
            b'f' => self.literal(b"false", Json::Bool(false)),
            b'"' => self.string().map(Json::String),
            b'[' if depth < MAX_DEPTH => self.array(depth + 1),
            b'{' if depth < MAX_DEPTH => self.object(depth + 1),
            b'-' | b'0'..=b'9' => self.number().map(Json::Number),
            _ => None,
        }
    }

    fn array(&mut self, depth: usize) -> Option<Json> {
        self.at += 1;
        let mut items = Vec::new();
        if self.eat(b']').is_some() {
            return Some(Json::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            if self.eat(b',').is_none() {
                self.eat(b']')?;
                return Some(Json::Array(items));
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Json> {
        self.at += 1;
        let mut m = Map::new();
        if self.eat(b'}').is_some() {
            return Some(Json::Object(m));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string()?;
            self.eat(b':')?;
            let v = self.value(depth)?;
            m.insert(key, v);
            if self.eat(b',').is_none() {
                self.eat(b'}')?;
                return Some(Json::Object(m));
            }
        }
    }

    /// A key without escapes, borrowed from the text; `None` for an escaped
    /// one (or not a string).
    fn plain_key(&mut self) -> Option<&'t str> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.at + 1;
        let rest = self.bytes.get(start..)?;
        let len = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        self.at = start + len + 1;
        std::str::from_utf8(self.bytes.get(start..start + len)?).ok()
    }

    /// Checks a value and moves past it without building it.
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        self.skip_ws();
        match self.peek()? {
            b'"' => self.skip_string(),
            _ => self.value(depth).map(drop),
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        self.at += 1;
        loop {
            let rest = self.bytes.get(self.at..)?;
            let run = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            std::str::from_utf8(rest.get(..run)?).ok()?;
            self.at += run;
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => {
                    self.at += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                        b'u' => {
                            self.at += 1;
                            self.unicode()?;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Option<Number> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        let text = std::str::from_utf8(self.bytes.get(start..self.at)?).ok()?;
        Some(Number(text.into()))
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }

    /// A string at `"`: its text unescaped.
    fn string(&mut self) -> Option<String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let rest = self.bytes.get(self.at..)?;
            // Plain runs are copied whole.
            let run = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            out.push_str(std::str::from_utf8(rest.get(..run)?).ok()?);
            self.at += run;
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.at += 1;
                    let c = match self.peek()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            self.at += 1;
                            let c = self.unicode()?;
                            out.push(c);
                            continue;
                        }
                        _ => return None,
                    };
                    self.at += 1;
                    out.push(c);
                }
                // A control character inside a string.
                _ => return None,
            }
        }
    }

    /// The code point of `XXXX` (after `\u`), a surrogate pair read whole.
    fn unicode(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            if self.bytes.get(self.at..self.at + 2)? != b"\\u" {
                return None;
            }
            self.at += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return None;
            }
            let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            return char::from_u32(c);
        }
        char::from_u32(first)
    }

    fn hex4(&mut self) -> Option<u32> {
        let hex = std::str::from_utf8(self.bytes.get(self.at..self.at + 4)?).ok()?;
        let v = u32::from_str_radix(hex, 16).ok()?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at += 4;
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_keep_their_digits() {
        let v =
            Json::parse(r#"{"a": 0.1, "b": 12345678901234567890.123456789, "c": -1e-3}"#).unwrap();
        assert_eq!(v.get("a").unwrap().to_string(), "0.1");
        assert_eq!(
            v.get("b").unwrap().to_string(),
            "12345678901234567890.123456789"
        );
        assert_eq!(v.get("c").unwrap().to_string(), "-1e-3");
    }

    #[test]
    fn not_json_is_refused_with_serde_jsons_message() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "-",
            "1e",
            "\"\\x\"",
            "\"a\nb\"",
            "{\"a\":1} x",
            "tru",
            "\"\\ud800\"",
            "[1 2]",
            "{1: 2}",
        ] {
            let ours = Json::parse(bad).unwrap_err();
            let theirs = serde_json::from_str::<serde_json::Value>(bad).unwrap_err();
            assert_eq!(ours, theirs.to_string(), "{bad:?}");
        }
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_in_its_first_place() {
        let v = Json::parse(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(v.to_string(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn object_fields_takes_known_members_and_declines_the_doubtful() {
        let slot = |k: &str| ["a", "b"].iter().position(|n| *n == k);
        let got = Json::object_fields(
            r#" {"x": [1, {"y": "z\u00e9"}], "b": 2.50, "a": "t"} "#,
            2,
            slot,
        )
        .unwrap();
        assert_eq!(got[0], Some(Json::String("t".into())));
        assert_eq!(got[1].as_ref().unwrap().to_string(), "2.50");
        for declined in [
            r#"{"a": 1, "a": 2}"#,
            r#"{"\u0061": 1}"#,
            r#"{"a": 1} x"#,
            r#"[1]"#,
            r#"{"x": [1,]}"#,
            r#"{"x": "\q"}"#,
            "",
        ] {
            assert!(
                Json::object_fields(declined, 2, slot).is_none(),
                "{declined}"
            );
        }
        assert_eq!(Json::object_fields("{}", 2, slot), Some(vec![None, None]));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(Json::parse(&deep).is_err());
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(Json::parse(&ok).is_ok());
    }

    /// JSON values without floats (integers are exact in serde_json too).
    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::String),
            "[a-z\"\\\\\u{1}\u{1F600}é]{0,6}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[a-c]{0,2}", inner, 0..5)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever serde_json writes, compact or pretty, reads back here as
        /// the same value, and prints as serde_json prints it.
        #[test]
        fn agrees_with_serde_json(v in json(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&v).unwrap()
            } else {
                serde_json::to_string(&v).unwrap()
            };
            let ours = Json::parse(&text).unwrap();
            prop_assert_eq!(&ours, &Json::from_serde(&v));
            prop_assert_eq!(ours.to_string(), serde_json::to_string(&v).unwrap());
        }

        /// Any text at all: accepted exactly when serde_json accepts it.
        #[test]
        fn accepts_what_serde_json_accepts(text in "[\\[\\]{}\",:0-9.eE+\\- \\\\nultrfa]{0,24}") {
            let serde = serde_json::from_str::<serde_json::Value>(&text).is_ok();
            prop_assert_eq!(Json::parse(&text).is_ok(), serde, "{:?}", text);
        }
    }
}
