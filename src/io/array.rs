//! Reading a JSON array of records one element at a time, in memory
//! bounded by the longest element, never by the array.
//!
//! The array's elements are cut at the commas that stand outside every
//! string and bracket, then each is parsed on its own. So one malformed
//! element is that record's error line and the next element is read as
//! usual, as a malformed line is in JSON lines. What breaks the array
//! itself is an error line too, at the position where it broke: an array
//! cut short (the input ends before its `]`), a trailing comma, text after
//! the `]`. Only an input that does not open with `[` is refused whole,
//! before any record is read.

use std::io::{self, BufRead};

use super::{Item, Row};
use crate::json::Json;

/// The elements of a JSON array, read as they come.
pub(crate) struct ArrayElements {
    input: Box<dyn BufRead + Send>,
    max: usize,
    /// Elements read so far (the position of the last one).
    pos: usize,
    /// The input's line the scan has reached (1-based).
    line: usize,
    /// The line the element being read starts on.
    start: usize,
    buf: Vec<u8>,
    /// The `]` has been read: what follows is checked next.
    closed: bool,
    done: bool,
}

/// One element, read but not parsed: its position, its text (or why it
/// is no record), and the line it starts on.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    /// Its position in the array (1-based).
    pub line: usize,
    /// Its text, trimmed; or what is wrong with it.
    pub text: Result<String, String>,
    /// The input's line it starts on.
    pub start: usize,
}

impl Piece {
    /// The element as an item: parsed, or its error.
    pub(crate) fn into_item(self) -> Item {
        let start = self.start;
        Item {
            line: self.line,
            row: self.text.and_then(|t| {
                Json::parse(&t)
                    .map(Row::Json)
                    .map_err(|e| not_json(&e, start))
            }),
        }
    }
}

fn not_json(e: &str, start: usize) -> String {
    format!("not valid JSON: {e} (the record starts on line {start})")
}

/// How one element's scan ended.
enum End {
    /// At a comma: more elements follow.
    Comma,
    /// At the array's `]`.
    Close,
    /// At the end of the input, the array still open.
    Eof,
}

impl ArrayElements {
    /// Reads up to the array's `[` (after an optional byte order mark and
    /// white space). Fails when the input is anything but an array.
    pub(crate) fn open(
        mut input: Box<dyn BufRead + Send>,
        max: usize,
    ) -> Result<ArrayElements, String> {
        let read_error = |e: io::Error| format!("cannot read input: {e}");
        // A byte order mark before the array is not part of it (read a
        // byte at a time: the buffer may hold fewer than three).
        for (i, mark) in b"\xEF\xBB\xBF".iter().enumerate() {
            match input.fill_buf().map_err(read_error)?.first() {
                Some(b) if b == mark => input.consume(1),
                Some(&b) if i > 0 => {
                    return Err(format!(
                        "expected a JSON array of records, found {} on line 1",
                        shown_byte(b)
                    ))
                }
                _ => break,
            }
        }
        let mut line = 1;
        match next_token(input.as_mut(), &mut line).map_err(read_error)? {
            Some(b'[') => input.consume(1),
            Some(b) => {
                return Err(format!(
                    "expected a JSON array of records, found {} on line {line}",
                    shown_byte(b)
                ))
            }
            None => return Err("expected a JSON array of records, found an empty input".into()),
        }
        Ok(ArrayElements {
            input,
            max,
            pos: 0,
            line,
            start: line,
            buf: Vec::new(),
            closed: false,
            done: false,
        })
    }

    /// Whether no element has been read yet.
    pub(crate) fn untouched(&self) -> bool {
        self.pos == 0 && !self.done && !self.closed
    }

    /// The next element as an item; `Err` only for an I/O failure.
    pub(crate) fn next_item(&mut self) -> Option<Result<Item, String>> {
        self.next_piece().map(|p| p.map(Piece::into_item))
    }

    /// The next element's text, not yet parsed (for readers that hand the
    /// parse to other threads); `Err` only for an I/O failure.
    pub(crate) fn next_piece(&mut self) -> Option<Result<Piece, String>> {
        if self.done {
            return None;
        }
        if self.closed {
            self.done = true;
            return self.after_close();
        }
        let first = self.pos == 0;
        let (len, end) = match self.scan() {
            Ok(scanned) => scanned,
            Err(e) => {
                self.done = true;
                return Some(Err(format!("cannot read input: {e}")));
            }
        };
        let start_line = self.start;
        let empty = len == 0 || (len <= self.max as u64 && self.buf.trim_ascii().is_empty());
        if matches!(end, End::Close) {
            self.closed = true;
            if empty && first {
                // `[]`: no records.
                self.done = true;
                return self.after_close();
            }
        }
        self.pos += 1;
        let line = self.pos;
        let text = match end {
            End::Eof if empty => Err(format!(
                "the input ends before the array's closing `]` (after {} records)",
                self.pos - 1
            )),
            End::Eof => Err(format!(
                "the input ends inside this record, before the array's closing `]` \
                 (the record starts on line {start_line})"
            )),
            _ if empty => Err(format!(
                "an empty element: no record between two commas, or between a comma \
                 and the `]`, on line {}",
                self.line
            )),
            _ if len > self.max as u64 => Err(format!(
                "the record holds {len} bytes, more than the limit of {}",
                self.max
            )),
            _ => {
                let bytes = self.buf.trim_ascii();
                match std::str::from_utf8(bytes) {
                    Ok(t) => Ok(t.to_string()),
                    // Not UTF-8: the parser's own message says where.
                    Err(_) => Err(not_json(
                        &Json::parse_bytes(bytes).err().unwrap_or_default(),
                        start_line,
                    )),
                }
            }
        };
        if matches!(end, End::Eof) {
            self.done = true;
        }
        Some(Ok(Piece {
            line,
            text,
            start: start_line,
        }))
    }

    /// After the array's `]`: nothing but white space may follow; text
    /// that does is an error line of its own.
    fn after_close(&mut self) -> Option<Result<Piece, String>> {
        match next_token(self.input.as_mut(), &mut self.line) {
            Err(e) => Some(Err(format!("cannot read input: {e}"))),
            Ok(None) => None,
            Ok(Some(b)) => Some(Ok(Piece {
                line: self.pos + 1,
                text: Err(format!(
                    "text after the array's closing `]`: {} on line {}",
                    shown_byte(b),
                    self.line
                )),
                start: self.line,
            })),
        }
    }

    /// Reads one element into `buf` (its bytes, when there are at most
    /// `max`), up to and including the comma or `]` that ends it. Returns
    /// the element's length and how it ended.
    fn scan(&mut self) -> io::Result<(u64, End)> {
        self.buf.clear();
        self.start = self.line;
        let mut started = false;
        let (mut len, mut depth, mut in_string, mut escaped) = (0u64, 0usize, false, false);
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok((len, End::Eof));
            }
            let mut end = None;
            let mut i = 0;
            while i < chunk.len() {
                if in_string {
                    // Inside a string only a quote, a backslash or a line
                    // break matters: jump to the next.
                    if escaped {
                        escaped = false;
                        i += 1;
                        continue;
                    }
                    let rest = chunk.get(i..).unwrap_or_default();
                    match memchr::memchr3(b'"', b'\\', b'\n', rest) {
                        None => i = chunk.len(),
                        Some(k) => {
                            match rest.get(k) {
                                Some(b'"') => in_string = false,
                                Some(b'\\') => escaped = true,
                                _ => self.line += 1,
                            }
                            i += k + 1;
                        }
                    }
                    continue;
                }
                let b = chunk.get(i).copied().unwrap_or_default();
                if !started && !b.is_ascii_whitespace() {
                    started = true;
                    self.start = self.line;
                }
                match chunk.get(i) {
                    Some(b'"') => in_string = true,
                    Some(b'{' | b'[') => depth += 1,
                    Some(b'}' | b']') if depth > 0 => depth -= 1,
                    Some(b']') => {
                        end = Some((i, End::Close));
                        break;
                    }
                    Some(b',') if depth == 0 => {
                        end = Some((i, End::Comma));
                        break;
                    }
                    Some(b'\n') => self.line += 1,
                    _ => {}
                }
                i += 1;
            }
            let (content, used, end) = match end {
                Some((at, end)) => (at, at + 1, Some(end)),
                None => (chunk.len(), chunk.len(), None),
            };
            len += content as u64;
            if len <= self.max as u64 {
                self.buf
                    .extend_from_slice(chunk.get(..content).unwrap_or_default());
            } else if !self.buf.is_empty() {
                // Over the limit: the rest is counted, not kept.
                self.buf = Vec::new();
            }
            self.input.consume(used);
            if let Some(end) = end {
                return Ok((len, end));
            }
        }
    }
}

/// The next byte that is not white space, left unread; `None` at the end.
fn next_token(input: &mut dyn BufRead, line: &mut usize) -> io::Result<Option<u8>> {
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(None);
        }
        let blank = chunk
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(chunk.len());
        let token = chunk.get(blank).copied();
        *line += chunk.iter().take(blank).filter(|&&b| b == b'\n').count();
        input.consume(blank);
        if token.is_some() {
            return Ok(token);
        }
    }
}

/// A byte as a message shows it: `` `{` ``, or its code when it is not
/// printable ASCII.
fn shown_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", char::from(b))
    } else {
        format!("byte 0x{b:02X}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item of `input` read through a buffer of `capacity` bytes:
    /// its position and its row (the JSON text, or the error).
    fn items(input: &str, capacity: usize, max: usize) -> Result<Vec<(usize, String)>, String> {
        let reader =
            std::io::BufReader::with_capacity(capacity, std::io::Cursor::new(input.to_string()));
        let mut a = ArrayElements::open(Box::new(reader), max)?;
        let mut out = Vec::new();
        while let Some(item) = a.next_item() {
            let item = item?;
            let row = match item.row {
                Ok(Row::Json(j)) => j.to_string(),
                Ok(Row::Csv(_) | Row::Unmapped(..)) => "not JSON".to_string(),
                Err(e) => format!("error: {e}"),
            };
            out.push((item.line, row));
        }
        Ok(out)
    }

    fn each_capacity(input: &str, max: usize) -> Vec<(usize, String)> {
        let whole = items(input, 1 << 16, max).expect("an array");
        for capacity in [1, 2, 3, 7] {
            assert_eq!(
                items(input, capacity, max).expect("an array"),
                whole,
                "capacity {capacity}"
            );
        }
        whole
    }

    #[test]
    fn elements_are_read_one_by_one_whatever_they_hold() {
        let input = "\u{feff} [ {\"a\": \"x,]}\\\"\", \"b\": [1, {\"c\": []}]},\n 7 ,\"s\" , null, {} ]  \n";
        assert_eq!(
            each_capacity(input, 1000),
            [
                (1, r#"{"a":"x,]}\"","b":[1,{"c":[]}]}"#.to_string()),
                (2, "7".to_string()),
                (3, "\"s\"".to_string()),
                (4, "null".to_string()),
                (5, "{}".to_string()),
            ]
        );
        assert_eq!(each_capacity("[]", 10), []);
        assert_eq!(each_capacity(" [\n ] ", 10), []);
    }

    #[test]
    fn a_malformed_element_is_its_own_error_and_the_next_is_read() {
        let got = each_capacity(
            "[{\"a\": 1}, {\"a\": tru},\n{\"a\": 3} {\"a\": 4}, {\"a\": 5}]",
            1000,
        );
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], (1, r#"{"a":1}"#.to_string()));
        assert!(got[1].1.starts_with("error: not valid JSON"), "{got:?}");
        assert!(got[2].1.starts_with("error: not valid JSON"), "{got:?}");
        assert!(
            got[2].1.ends_with("(the record starts on line 2)"),
            "{got:?}"
        );
        assert_eq!(got[3], (4, r#"{"a":5}"#.to_string()));
    }

    #[test]
    fn what_breaks_the_array_is_an_error_line_where_it_broke() {
        let cut = each_capacity("[{\"a\": 1}, {\"a\": ", 1000);
        assert_eq!(cut.len(), 2);
        assert!(
            cut[1].1.contains("the input ends inside this record"),
            "{cut:?}"
        );
        let open = each_capacity("[{\"a\": 1},\n", 1000);
        assert_eq!(open.len(), 2);
        assert!(
            open[1]
                .1
                .contains("before the array's closing `]` (after 1 records)"),
            "{open:?}"
        );
        let trailing = each_capacity("[1, 2,]", 1000);
        assert_eq!(trailing.len(), 3);
        assert!(trailing[2].1.contains("an empty element"), "{trailing:?}");
        let doubled = each_capacity("[1,,2]", 1000);
        assert_eq!(
            doubled.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(doubled[2].1, "2");
        let after = each_capacity("[1]\n{\"b\": 2}", 1000);
        assert_eq!(after.len(), 2);
        assert_eq!(after[1].0, 2);
        assert!(
            after[1]
                .1
                .contains("text after the array's closing `]`: `{` on line 2"),
            "{after:?}"
        );
        let unopened = each_capacity("[", 1000);
        assert_eq!(unopened.len(), 1);
        assert!(unopened[0].1.contains("after 0 records"), "{unopened:?}");
    }

    #[test]
    fn an_element_over_the_limit_is_skipped_to_its_end() {
        let got = each_capacity("[\"abc\", \"abcdefghijkl\", 12]", 8);
        assert_eq!(got[0].1, "\"abc\"");
        assert_eq!(
            got[1].1,
            "error: the record holds 15 bytes, more than the limit of 8"
        );
        assert_eq!(got[2].1, "12");
    }

    #[test]
    fn an_input_that_is_not_an_array_is_refused_whole() {
        let err = |s: &str| items(s, 64, 100).err().unwrap_or_default();
        assert_eq!(
            err("{\"a\": 1}"),
            "expected a JSON array of records, found `{` on line 1"
        );
        assert_eq!(
            err("\n\n 12"),
            "expected a JSON array of records, found `1` on line 3"
        );
        assert_eq!(
            err("  "),
            "expected a JSON array of records, found an empty input"
        );
        assert_eq!(
            err(""),
            "expected a JSON array of records, found an empty input"
        );
    }

    /// A reader that serves an array of `n` records, made as it is read,
    /// and counts the bytes taken from it.
    struct Endless {
        next: usize,
        n: usize,
        pending: Vec<u8>,
        served: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl std::io::Read for Endless {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.pending.is_empty() {
                self.pending = match self.next {
                    0 => b"[".to_vec(),
                    i if i > self.n => return Ok(0),
                    i if i == self.n => format!("{{\"id\": {i}}}]").into_bytes(),
                    i => format!("{{\"id\": {i}}},\n").into_bytes(),
                };
                self.next += 1;
            }
            let k = out.len().min(self.pending.len());
            out[..k].copy_from_slice(&self.pending[..k]);
            self.pending.drain(..k);
            self.served
                .fetch_add(k, std::sync::atomic::Ordering::Relaxed);
            Ok(k)
        }
    }

    #[test]
    fn a_long_array_is_read_as_it_comes_not_first_whole() {
        let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let input = Endless {
            next: 0,
            n: 200_000,
            pending: Vec::new(),
            served: served.clone(),
        };
        let reader = std::io::BufReader::with_capacity(4096, input);
        let mut a = ArrayElements::open(Box::new(reader), 1000).expect("an array");
        let first = a.next_item().expect("an item").expect("read");
        assert!(matches!(first.row, Ok(Row::Json(_))));
        // One buffer's worth was read, not the array's 3 MB.
        assert!(served.load(std::sync::atomic::Ordering::Relaxed) <= 4096);
        let mut count = 1;
        while let Some(item) = a.next_item() {
            assert!(item.expect("read").row.is_ok());
            count += 1;
        }
        assert_eq!(count, 200_000);
        assert!(a.buf.capacity() < 1000);
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<i32>().prop_map(serde_json::Value::from),
            "[a-z,\\[\\]{}\"\\\\\n é]{0,8}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[a-z\\],]{1,4}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Any array, pretty or compact, read through any buffer size,
        /// gives back its elements, in order.
        #[test]
        fn every_array_reads_back_its_elements(
            values in proptest::collection::vec(json_value(), 0..6),
            pretty in proptest::bool::ANY,
            capacity in 1usize..9,
        ) {
            let array = serde_json::Value::Array(values.clone());
            let text = if pretty {
                serde_json::to_string_pretty(&array)
            } else {
                serde_json::to_string(&array)
            }.unwrap_or_default();
            let got = items(&text, capacity, 1 << 20).expect("an array");
            let want: Vec<(usize, String)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (i + 1, v.to_string()))
                .collect();
            proptest::prop_assert_eq!(got, want);
        }

        /// Whatever the bytes, reading ends, without a panic, and every
        /// item read is numbered in order.
        #[test]
        fn any_bytes_are_read_to_the_end(
            bytes in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just(b'['), proptest::strategy::Just(b']'),
                proptest::strategy::Just(b','), proptest::strategy::Just(b'"'),
                proptest::strategy::Just(b'\\'), proptest::strategy::Just(b'{'),
                proptest::num::u8::ANY,
            ], 0..40),
            capacity in 1usize..6,
            max in 1usize..12,
        ) {
            let reader = std::io::BufReader::with_capacity(capacity, std::io::Cursor::new(bytes));
            if let Ok(mut a) = ArrayElements::open(Box::new(reader), max) {
                let mut n = 0;
                while let Some(item) = a.next_item() {
                    n += 1;
                    proptest::prop_assert_eq!(item.expect("read").line, n);
                    proptest::prop_assert!(n <= 41);
                }
            }
        }
    }
}
