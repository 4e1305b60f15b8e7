//! Lines of input: the physical line numbers of CSV records ([`LineIndex`],
//! counted by a [`Counted`] reader that also follows the quoting of cells),
//! the text of a CSV error without csv's own numbering, and JSON lines read
//! one line at a time ([`read_line_lossy`], [`jsonl_item`]).

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use std::sync::{Arc, Mutex};

use crate::json::Json;

use super::{Item, Row};

/// Physical line numbers of CSV records. csv's own `Position::line` does
/// not count blank lines and miscounts CRLF endings, and its byte offset
/// of a record is where the previous one ended (before the line ends and
/// blank lines between them), so the line breaks are counted here from the
/// bytes read: `\n`, `\r\n`, or a `\r` alone.
#[derive(Clone, Default)]
pub struct LineIndex(Arc<Mutex<Breaks>>);

/// Line ends read but not yet passed by a record, as runs of adjacent
/// `\r`/`\n` bytes: a flood of blank lines is one run, so the memory held
/// is bounded by what csv reads ahead, not by the input.
#[derive(Default)]
struct Breaks {
    /// Line breaks before the records already asked about.
    passed: usize,
    /// Runs: (first byte, byte after the last, line breaks in the run).
    ahead: VecDeque<(u64, u64, usize)>,
    /// Bytes read so far.
    read: u64,
    /// The last byte read (a `\n` after a `\r` completes its break; a `"`
    /// after a `,` or a line end opens a quoted cell).
    last: Option<u8>,
    /// Where the bytes read leave the quoting of cells.
    quotes: Quotes,
}

/// The byte before `got[i]`, the previous read's last one for `i` = 0.
fn byte_before(got: &[u8], i: usize, last: Option<u8>) -> Option<u8> {
    match i.checked_sub(1) {
        Some(j) => got.get(j).copied(),
        None => last,
    }
}

/// Whether the bytes read so far end inside a quoted cell, followed as
/// csv reads them: a `"` opens a quoted cell only at the start of a cell
/// (after `,`, a line end or the file's start; elsewhere it is a plain
/// character), `""` inside one is a quote, and any other `"` closes it.
/// Only the quotes are visited, so the cost is a `memchr` per quote.
#[derive(Default)]
struct Quotes {
    inside: bool,
    /// A `"` inside a quoted cell ended the last read: the next byte says
    /// whether it closed the cell or was the first of `""`.
    pending: bool,
    /// The input has ended (a read gave nothing).
    ended: bool,
}

impl Quotes {
    /// Follows the quotes of `got`, read at `offset` after `last`.
    fn read(&mut self, got: &[u8], offset: u64, last: Option<u8>) {
        if got.is_empty() {
            self.ended = true;
            return;
        }
        let mut i = 0;
        if self.pending {
            self.pending = false;
            if got.first() == Some(&b'"') {
                i = 1;
            } else {
                self.inside = false;
            }
        }
        while let Some(k) = got.get(i..).and_then(|rest| memchr::memchr(b'"', rest)) {
            let at = i + k;
            if self.inside {
                match got.get(at + 1) {
                    Some(b'"') => i = at + 2,
                    Some(_) => {
                        self.inside = false;
                        i = at + 1;
                    }
                    None => {
                        self.pending = true;
                        i = at + 1;
                    }
                }
            } else {
                let before = byte_before(got, at, last);
                // csv skips a byte order mark opening the file: a `"`
                // right after it starts the first cell.
                let after_bom = offset + at as u64 == 3 && before == Some(0xBF);
                self.inside = after_bom || matches!(before, None | Some(b',' | b'\n' | b'\r'));
                i = at + 1;
            }
        }
    }

    /// The input ended inside a quoted cell.
    fn unclosed(&self) -> bool {
        self.ended && self.inside && !self.pending
    }
}

/// A reader that notes where its line ends are, for a [`LineIndex`].
pub struct Counted<R> {
    inner: R,
    index: LineIndex,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let got = buf.get(..n).unwrap_or_default();
        let mut breaks = self.index.lock();
        let (start, last) = (breaks.read, breaks.last);
        for i in memchr::memchr2_iter(b'\n', b'\r', got) {
            let at = start + i as u64;
            let byte = got.get(i).copied().unwrap_or(b'\n');
            // `\r\n` is one break, counted at its `\r`.
            let counts = usize::from(!(byte == b'\n' && byte_before(got, i, last) == Some(b'\r')));
            match breaks.ahead.back_mut() {
                Some(run) if run.1 == at => {
                    run.1 = at + 1;
                    run.2 += counts;
                }
                _ => breaks.ahead.push_back((at, at + 1, counts)),
            }
        }
        breaks.quotes.read(got, start, last);
        breaks.read += n as u64;
        if let Some(&b) = got.last() {
            breaks.last = Some(b);
        }
        Ok(n)
    }
}

impl LineIndex {
    /// `input`, counted into a new index.
    pub fn counting<R: Read>(input: R) -> (Counted<R>, LineIndex) {
        let index = LineIndex::default();
        let counted = Counted {
            inner: input,
            index: index.clone(),
        };
        (counted, index)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Breaks> {
        // Held only for a few statements that cannot panic; a poisoned
        // lock still holds consistent counts.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The 1-based line of a record that csv places at byte `offset`: the
    /// line ends before it, and the run of them it starts on, are passed.
    /// Offsets asked about must not go back (records are read in order).
    pub fn line_at(&self, offset: u64) -> usize {
        let mut breaks = self.lock();
        while let Some(&(first, _, count)) = breaks.ahead.front() {
            if first > offset {
                break;
            }
            breaks.ahead.pop_front();
            breaks.passed += count;
        }
        breaks.passed + 1
    }

    /// The input has ended inside a quoted cell: the record read last
    /// holds the rest of the file (csv reports no error for it).
    pub fn unclosed_quote(&self) -> bool {
        self.lock().quotes.unclosed()
    }

    /// The line of a CSV record or error position (0 when csv gives none).
    pub fn line_of(&self, p: Option<&csv::Position>) -> usize {
        p.map_or(0, |p| self.line_at(p.byte()))
    }
}

/// What is wrong with a CSV row, without csv's own record and line
/// numbers (they disagree with the physical line given beside it).
pub fn csv_error_text(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not valid UTF-8", err.field() + 1)
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        _ => e.to_string(),
    }
}
/// The item of one JSON line (`None` for a blank line: it holds no
/// record, though it counts for line numbers). A line that was not valid
/// UTF-8 (`utf8` false, from [`read_line_lossy`]) is an error item: its
/// text is not what the file holds, so it is not evaluated.
pub fn jsonl_item(line: usize, text: &str, utf8: bool) -> Option<Item> {
    // A byte order mark opening the file is not part of the first record.
    let text = if line == 1 {
        text.strip_prefix('\u{feff}').unwrap_or(text)
    } else {
        text
    };
    let text = text.trim();
    if text.is_empty() && utf8 {
        return None;
    }
    let row = if utf8 {
        Json::parse(text)
            .map(Row::Json)
            .map_err(|e| format!("not valid JSON: {e}"))
    } else {
        Err("not valid UTF-8".to_string())
    };
    Some(Item { line, row })
}

/// Reads one line into `buf` (replacing what it held). Invalid UTF-8 does
/// not stop the run: the bytes are kept with U+FFFD in place of the bad
/// ones, and the second value is false, so that the line becomes an error
/// object of its own ([`jsonl_item`]). Returns the bytes read (0 at the
/// end) and whether they were valid UTF-8.
pub fn read_line_lossy(r: &mut dyn BufRead, buf: &mut String) -> io::Result<(usize, bool)> {
    // Read into `buf`'s own allocation: no buffer or copy per line.
    let mut bytes = std::mem::take(buf).into_bytes();
    bytes.clear();
    let n = r.read_until(b'\n', &mut bytes)?;
    let (text, utf8) = match String::from_utf8(bytes) {
        Ok(s) => (s, true),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), false),
    };
    *buf = text;
    Ok((n, utf8))
}

#[cfg(test)]
mod tests {
    use crate::io::{Format, Reader};
    use proptest::prelude::*;

    /// Hands out one byte a read, so that every line end falls on a
    /// boundary between reads.
    struct OneByte(std::io::Cursor<Vec<u8>>);

    impl std::io::Read for OneByte {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let one = buf.len().min(1);
            self.0.read(&mut buf[..one])
        }
    }

    /// The lines of the records read whole, and one byte at a time (both
    /// must agree).
    fn lines_of(input: &str) -> Vec<usize> {
        let read = |input: Box<dyn std::io::Read + Send>| -> Vec<usize> {
            let mut r = Reader::new(input, Format::Csv).expect("header");
            std::iter::from_fn(|| r.next_item())
                .map(|i| i.expect("readable"))
                .map(|i| {
                    assert!(i.row.is_ok(), "line {}: {:?}", i.line, i.row.err());
                    i.line
                })
                .collect()
        };
        let bytes = input.as_bytes().to_vec();
        let whole = read(Box::new(std::io::Cursor::new(bytes.clone())));
        let trickled = read(Box::new(OneByte(std::io::Cursor::new(bytes))));
        assert_eq!(whole, trickled, "{input:?}");
        whole
    }

    #[test]
    fn an_unreadable_row_is_named_by_its_physical_line_only() {
        let input = b"id,x\r\n\r\na,5\r\n\r\n\"b\xff\",20\r\n".to_vec();
        let mut r =
            Reader::new(Box::new(std::io::Cursor::new(input)), Format::Csv).expect("header");
        let items: Vec<_> = std::iter::from_fn(|| r.next_item())
            .map(|i| i.expect("readable"))
            .collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].line, 5);
        assert_eq!(
            items[1].row.as_ref().err().map(String::as_str),
            Some("unreadable CSV row: field 1 is not valid UTF-8")
        );
    }

    /// Each record's line, or its error, read whole and one byte at a time.
    fn outcomes(input: &[u8]) -> Vec<(usize, Option<String>)> {
        let read = |input: Box<dyn std::io::Read + Send>| -> Vec<(usize, Option<String>)> {
            let mut r = Reader::new(input, Format::Csv).expect("header");
            std::iter::from_fn(|| r.next_item())
                .map(|i| i.expect("readable"))
                .map(|i| (i.line, i.row.err()))
                .collect()
        };
        let whole = read(Box::new(std::io::Cursor::new(input.to_vec())));
        let trickled = read(Box::new(OneByte(std::io::Cursor::new(input.to_vec()))));
        assert_eq!(whole, trickled, "{:?}", String::from_utf8_lossy(input));
        whole
    }

    #[test]
    fn a_quoted_cell_never_closed_is_an_error_not_a_silent_merge() {
        let unclosed = |input: &[u8]| -> Vec<bool> {
            outcomes(input)
                .into_iter()
                .map(|(_, e)| e.is_some_and(|e| e.contains("never closed")))
                .collect()
        };
        // The third record swallows the fourth: it is named, at line 3.
        assert_eq!(outcomes(b"id,x\n1,1\n\"2,1\n3,1\n")[1].0, 3);
        assert_eq!(unclosed(b"id,x\n1,1\n\"2,1\n3,1\n"), [false, true]);
        // Closed cells, escaped quotes, a quote inside a plain cell, a
        // closing quote as the file's last byte, a byte order mark.
        assert_eq!(
            unclosed(b"id,x\n\"1\n\",\"a\"\"b\"\n2,a\"b\n\"3\",\"\""),
            [false; 3]
        );
        assert_eq!(unclosed(b"\xEF\xBB\xBF\"id\",x\n\"1\",2\n"), [false]);
        assert_eq!(unclosed(b"id,x\r\n1,\"\"\"\r\n2,2\r\n"), [true]);
    }

    #[test]
    fn a_flood_of_blank_lines_is_held_as_one_run() {
        use std::io::Read;
        let input = format!("id,x\n{}a,1\r\n", "\n".repeat(100_000));
        let (mut counted, index) = super::LineIndex::counting(input.as_bytes());
        let mut sink = Vec::new();
        counted.read_to_end(&mut sink).expect("read");
        assert_eq!(index.lock().ahead.len(), 2);
        assert_eq!(index.line_at(5), 100_002);
    }

    #[test]
    fn csv_records_carry_their_physical_lines() {
        // CRLF endings, blank lines, a line break inside quotes, CR alone.
        assert_eq!(
            lines_of("id,x\r\n1,a\r\n2,b\r\n\"3\r\nq\",c\r\n4,d\r\n"),
            [2, 3, 4, 6]
        );
        assert_eq!(lines_of("id,x\n1,a\n\n2,b\n\n\n3,c\n"), [2, 4, 7]);
        assert_eq!(lines_of("id,x\r1,a\r2,b\r"), [2, 3]);
        assert_eq!(
            lines_of("id,x\n\n1,a\r\n\r\n2,b\n\"5\n\n\",c\n\n\n"),
            [3, 5, 6]
        );
        assert_eq!(lines_of("id,x\n1,a"), [2]);
    }

    proptest! {
        /// Records separated by LF or CRLF, with blank lines and quoted
        /// line breaks between and inside them, are numbered by the lines
        /// they start on.
        #[test]
        fn csv_line_numbers_count_every_physical_line(
            rows in proptest::collection::vec((0usize..3, any::<bool>(), 0usize..3), 1..30),
        ) {
            let mut input = String::from("id,x\n");
            let mut line = 2;
            let mut expected = Vec::new();
            for (k, (blank, crlf, inner)) in rows.iter().enumerate() {
                let eol = if *crlf { "\r\n" } else { "\n" };
                for _ in 0..*blank {
                    input.push_str(eol);
                    line += 1;
                }
                expected.push(line);
                let cell: String = std::iter::repeat_n(eol, *inner).collect();
                input.push_str(&format!("{k},\"a{cell}b\"{eol}"));
                line += 1 + inner;
            }
            prop_assert_eq!(lines_of(&input), expected);
        }
    }
}
