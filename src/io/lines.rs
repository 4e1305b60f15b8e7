//! JSON lines read one line at a time, each at most a given number of
//! bytes ([`read_line`]), and the item each line makes ([`jsonl_item`]).

use std::io::{self, BufRead};

use crate::json::Json;

use super::{Item, Row};

/// How a line of JSON lines was read ([`read_line`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineState {
    /// Valid UTF-8, held whole.
    Text,
    /// Not valid UTF-8: held with U+FFFD in place of the bad bytes.
    NotUtf8,
    /// Longer than the limit: skipped to its end, not held.
    TooLong {
        /// The line's bytes, before its `\n`.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// An element of a JSON array (the text), starting on this line of
    /// the input.
    Element {
        /// The input's line.
        start: usize,
    },
    /// An element of a JSON array that is no record: the text is why.
    Broken,
}

/// The item of one JSON line (`None` for a blank line: it holds no
/// record, though it counts for line numbers). A line that was not valid
/// UTF-8 or was too long (`state`, from [`read_line`]) is an error item:
/// its text is not what the file holds, so it is not evaluated.
pub fn jsonl_item(line: usize, text: &str, state: LineState) -> Option<Item> {
    let row = match state {
        LineState::Element { start } => {
            let piece = super::Piece {
                line,
                text: Ok(text.to_string()),
                start,
            };
            return Some(piece.into_item());
        }
        LineState::Broken => Err(text.to_string()),
        LineState::NotUtf8 => Err("not valid UTF-8".to_string()),
        LineState::TooLong { len, max } => Err(too_long(len, max)),
        LineState::Text => {
            // A byte order mark opening the file is not part of the first
            // record.
            let text = if line == 1 {
                text.strip_prefix('\u{feff}').unwrap_or(text)
            } else {
                text
            };
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            Json::parse(text)
                .map(Row::Json)
                .map_err(|e| format!("not valid JSON: {e}"))
        }
    };
    Some(Item { line, row })
}

/// The error of a line over the limit.
pub fn too_long(len: u64, max: usize) -> String {
    format!("the line holds {len} bytes, more than the limit of {max}")
}

/// Reads one line into `buf` (replacing what it held), its `\n` included.
/// Invalid UTF-8 does not stop the run: the bytes are kept with U+FFFD in
/// place of the bad ones ([`LineState::NotUtf8`]), so that the line
/// becomes an error object of its own ([`jsonl_item`]). A line of more
/// than `max` bytes before its `\n` is read to its end but not kept
/// ([`LineState::TooLong`], `buf` empty): memory stays bounded whatever
/// the input. Returns the bytes read (0 at the end) and the line's state.
pub fn read_line(
    r: &mut dyn BufRead,
    buf: &mut String,
    max: usize,
) -> io::Result<(usize, LineState)> {
    // Read into `buf`'s own allocation: no buffer or copy per line.
    let mut bytes = std::mem::take(buf).into_bytes();
    bytes.clear();
    let (mut read, mut len, mut over) = (0usize, 0u64, false);
    loop {
        let (used, done) = {
            let available = match r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            let (used, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            let content = used - usize::from(done);
            len += content as u64;
            if !over && bytes.len().saturating_add(content) > max {
                over = true;
                bytes = Vec::new();
            }
            if !over {
                bytes.extend_from_slice(available.get(..used).unwrap_or_default());
            }
            (used, done)
        };
        r.consume(used);
        read += used;
        if done {
            break;
        }
    }
    if over {
        return Ok((read, LineState::TooLong { len, max }));
    }
    let (text, state) = match String::from_utf8(bytes) {
        Ok(s) => (s, LineState::Text),
        Err(e) => (
            String::from_utf8_lossy(e.as_bytes()).into_owned(),
            LineState::NotUtf8,
        ),
    };
    *buf = text;
    Ok((read, state))
}

#[cfg(test)]
mod tests {
    use super::{read_line, LineState};
    use proptest::prelude::*;

    /// Every line of `input` with its state, read through a buffer of
    /// `capacity` bytes with lines of at most `max` bytes.
    fn lines(input: &[u8], capacity: usize, max: usize) -> Vec<(String, LineState)> {
        let mut r = std::io::BufReader::with_capacity(capacity, input);
        let mut buf = String::new();
        let mut out = Vec::new();
        loop {
            match read_line(&mut r, &mut buf, max).expect("read") {
                (0, _) => return out,
                (_, state) => out.push((buf.clone(), state)),
            }
        }
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_to_its_end() {
        let input = b"abc\nabcdefgh\n\nabcd\xff\nabcdefghij";
        for capacity in [1, 3, 64] {
            assert_eq!(
                lines(input, capacity, 8),
                [
                    ("abc\n".to_string(), LineState::Text),
                    ("abcdefgh\n".to_string(), LineState::Text),
                    ("\n".to_string(), LineState::Text),
                    ("abcd\u{fffd}\n".to_string(), LineState::NotUtf8),
                    (String::new(), LineState::TooLong { len: 10, max: 8 }),
                ],
                "capacity {capacity}"
            );
        }
    }

    proptest! {
        /// Lines up to the limit read as they are; longer ones are
        /// reported with their length; the next line is always intact.
        #[test]
        fn lines_are_read_whole_or_reported(
            lens in proptest::collection::vec(0usize..40, 1..20),
            max in 1usize..30,
            capacity in 1usize..16,
        ) {
            let text: Vec<String> = lens.iter().map(|n| "x".repeat(*n)).collect();
            let input = text.join("\n") + "\n";
            let got = lines(input.as_bytes(), capacity, max);
            prop_assert_eq!(got.len(), text.len());
            for ((line, state), want) in got.iter().zip(&text) {
                if want.len() > max {
                    prop_assert_eq!(
                        (line.as_str(), *state),
                        ("", LineState::TooLong { len: want.len() as u64, max })
                    );
                } else {
                    prop_assert_eq!((line.clone(), *state), (format!("{want}\n"), LineState::Text));
                }
            }
        }
    }
}
