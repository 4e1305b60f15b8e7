//! The physical lines of CSV input ([`LineIndex`], counted by a [`Counted`]
//! reader that follows the quoting of cells as csv does), the limit on the
//! bytes of one record, and the text of a CSV error without csv's own
//! numbering.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

/// Physical line numbers of CSV records. csv's own `Position::line` does
/// not count blank lines and miscounts CRLF endings, and its byte offset
/// of a record is where the previous one ended (before the line ends and
/// blank lines between them), so the line breaks are counted here from the
/// bytes read: `\n`, `\r\n`, or a `\r` alone.
///
/// The same reader bounds each record: one holding more than its limit is
/// cut there (csv sees the bytes up to the limit, then the record's end),
/// the rest of it is read without being kept, and the cut is noted for the
/// reader of records to report ([`LineIndex::cut_through`]).
#[derive(Clone)]
pub struct LineIndex(Arc<Mutex<Breaks>>);

/// Line ends read but not yet passed by a record, as runs of adjacent
/// `\r`/`\n` bytes: a flood of blank lines is one run, so the memory held
/// is bounded by what csv reads ahead, not by the input. With the quoting
/// of cells, as csv follows it: a `"` opens a quoted cell only at the
/// start of a cell (after `,`, a line end or the file's start; elsewhere
/// it is a plain character), `""` inside one is a quote, and any other `"`
/// closes it; a line end outside a quoted cell ends a record.
struct Breaks {
    /// Line breaks before the records already asked about.
    passed: usize,
    /// Runs: (first byte, byte after the last, line breaks in the run), in
    /// the bytes handed to csv.
    ahead: VecDeque<(u64, u64, usize)>,
    /// Bytes handed to csv so far.
    read: u64,
    /// Bytes of the input read so far (more than `read` once a record was
    /// cut).
    original: u64,
    /// The last byte of the input read (a `\n` after a `\r` completes its
    /// break; a `"` after a `,` or a line end opens a quoted cell).
    last: Option<u8>,
    /// The bytes read end inside a quoted cell.
    inside: bool,
    /// A `"` inside a quoted cell ended the last read: the next byte says
    /// whether it closed the cell or was the first of `""`.
    pending: bool,
    /// The input has ended (a read gave nothing).
    ended: bool,
    /// The most bytes one record may hold, its line breaks inside quoted
    /// cells included and its final line break not.
    max: u64,
    /// Bytes of the record being read so far.
    since: u64,
    /// The record being read is over the limit: the rest of it is dropped.
    skipping: bool,
    /// Records cut: (where in the bytes handed to csv, the record's bytes).
    cuts: VecDeque<(u64, u64)>,
}

/// A reader that notes where its line ends are, for a [`LineIndex`], and
/// cuts records over the limit.
pub struct Counted<R> {
    inner: R,
    index: LineIndex,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            let mut breaks = self.index.lock();
            if n == 0 {
                breaks.end();
                return Ok(0);
            }
            let kept = breaks.scan(buf, n.min(buf.len()));
            if kept > 0 {
                return Ok(kept);
            }
            // Every byte read belonged to a record over the limit: read on
            // (nothing handed over would mean the end).
        }
    }
}

/// What to do with the bytes of a unit of a record.
#[derive(Clone, Copy)]
struct Unit {
    /// Part of it may be kept (plain bytes): a `"` or `""` is kept whole
    /// or not at all.
    splittable: bool,
    /// csv is inside a quoted cell before it (and not after a `"` whose
    /// meaning the next byte decides): a cut there closes the cell.
    open: bool,
}

impl Breaks {
    fn new(max: u64) -> Breaks {
        Breaks {
            passed: 0,
            ahead: VecDeque::new(),
            read: 0,
            original: 0,
            last: None,
            inside: false,
            pending: false,
            ended: false,
            max,
            since: 0,
            skipping: false,
            cuts: VecDeque::new(),
        }
    }

    /// The input has ended: a record being dropped ends with it.
    fn end(&mut self) {
        self.ended = true;
        self.record_ends();
    }

    /// A record ends (a line break outside quoted cells, or the input's
    /// end): a cut record's length is known.
    fn record_ends(&mut self) {
        if self.skipping {
            self.skipping = false;
            if let Some(cut) = self.cuts.back_mut() {
                cut.1 = self.since;
            }
        }
        self.since = 0;
    }

    /// Notes a line break (`width` 1) at `at` in the bytes handed to csv,
    /// or one dropped with a record over the limit (`width` 0).
    fn line_break(&mut self, at: u64, width: u64, counts: usize) {
        match self.ahead.back_mut() {
            Some(run) if run.1 == at => {
                run.1 = at + width;
                run.2 += counts;
            }
            _ => self.ahead.push_back((at, at + width, counts)),
        }
    }

    /// Keeps `buf[start..end]` (moved down to `*w`), or drops it when the
    /// record is over the limit, cutting the record where it goes over.
    fn content(&mut self, buf: &mut [u8], w: &mut usize, start: usize, end: usize, unit: Unit) {
        let len = end - start;
        if self.skipping {
            self.since += len as u64;
            return;
        }
        let room = self.max.saturating_sub(self.since);
        let keep = if len as u64 <= room {
            len
        } else if unit.splittable {
            usize::try_from(room).unwrap_or(len).min(len)
        } else {
            0
        };
        if *w != start {
            buf.copy_within(start..start + keep, *w);
        }
        *w += keep;
        self.since += len as u64;
        if keep == len {
            return;
        }
        // Over the limit: at least one byte is dropped, so there is room
        // for the `"` that closes a quoted cell for csv.
        if unit.open {
            if let Some(b) = buf.get_mut(*w) {
                *b = b'"';
                *w += 1;
            }
        }
        self.cuts.push_back((self.read + *w as u64, 0));
        self.skipping = true;
    }

    /// Follows `buf[..n]`, just read: notes its line breaks and quoting,
    /// and moves the bytes kept to the front. Returns how many are kept.
    fn scan(&mut self, buf: &mut [u8], n: usize) -> usize {
        let mut w = 0;
        let mut i = 0;
        let mut prev = self.last;
        while i < n {
            let next = buf
                .get(i..n)
                .and_then(|rest| memchr::memchr3(b'"', b'\n', b'\r', rest))
                .map_or(n, |k| i + k);
            if next > i {
                // Plain bytes: a `"` pending before them closed its cell.
                let open = self.inside && !self.pending;
                if self.pending {
                    self.pending = false;
                    self.inside = false;
                }
                let unit = Unit {
                    splittable: true,
                    open,
                };
                prev = buf.get(next - 1).copied();
                self.content(buf, &mut w, i, next, unit);
                i = next;
                continue;
            }
            let byte = buf.get(i).copied().unwrap_or_default();
            let open = self.inside && !self.pending;
            let whole = Unit {
                splittable: false,
                open,
            };
            if byte == b'"' {
                let mut end = i + 1;
                if self.pending {
                    // The second quote of a `""` split between reads.
                    self.pending = false;
                } else if self.inside {
                    match buf.get(i + 1).filter(|_| i + 1 < n) {
                        Some(b'"') => end = i + 2,
                        Some(_) => self.inside = false,
                        None => self.pending = true,
                    }
                } else {
                    // csv skips a byte order mark opening the file: a `"`
                    // right after it starts the first cell.
                    let after_bom = self.original + i as u64 == 3 && prev == Some(0xBF);
                    self.inside = after_bom || matches!(prev, None | Some(b',' | b'\n' | b'\r'));
                }
                prev = Some(b'"');
                self.content(buf, &mut w, i, end, whole);
                i = end;
                continue;
            }
            // A line break: `\r\n` is one, counted at its `\r`.
            let counts = usize::from(!(byte == b'\n' && prev == Some(b'\r')));
            prev = Some(byte);
            if self.pending {
                self.pending = false;
                self.inside = false;
            }
            if self.inside {
                // Inside a quoted cell: part of the record.
                let before = w;
                self.content(buf, &mut w, i, i + 1, whole);
                if w > before && !self.skipping {
                    self.line_break(self.read + before as u64, 1, counts);
                } else {
                    self.line_break(self.read + w as u64, 0, counts);
                }
            } else {
                self.record_ends();
                if let Some(b) = buf.get_mut(w) {
                    *b = byte;
                }
                self.line_break(self.read + w as u64, 1, counts);
                w += 1;
            }
            i += 1;
        }
        self.read += w as u64;
        self.original += n as u64;
        self.last = prev;
        w
    }
}

impl LineIndex {
    /// `input`, counted into a new index; a record may hold at most
    /// [`super::DEFAULT_MAX_LINE_BYTES`].
    pub fn counting<R: Read>(input: R) -> (Counted<R>, LineIndex) {
        LineIndex::counting_with(input, super::DEFAULT_MAX_LINE_BYTES)
    }

    /// `input`, counted into a new index; a record may hold at most `max`
    /// bytes.
    pub fn counting_with<R: Read>(input: R, max: usize) -> (Counted<R>, LineIndex) {
        let index = LineIndex(Arc::new(Mutex::new(Breaks::new(max as u64))));
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
        let b = self.lock();
        b.ended && b.inside && !b.pending
    }

    /// The line of a CSV record or error position (0 when csv gives none).
    pub fn line_of(&self, p: Option<&csv::Position>) -> usize {
        p.map_or(0, |p| self.line_at(p.byte()))
    }

    /// After csv has read a record up to byte `end` (its reader's
    /// position): the bytes of that record when it was over the limit and
    /// cut, and the limit.
    pub fn cut_through(&self, end: u64) -> Option<(u64, usize)> {
        let mut b = self.lock();
        let mut found = None;
        while let Some(&(at, len)) = b.cuts.front() {
            if at > end {
                break;
            }
            b.cuts.pop_front();
            found = Some(len);
        }
        let max = usize::try_from(b.max).unwrap_or(usize::MAX);
        found.map(|len| (len, max))
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
    /// Each record's line and cells, or its error, read whole and one
    /// byte at a time with records of at most `max` bytes.
    fn limited(input: &[u8], max: usize) -> Vec<(usize, Result<Vec<String>, String>)> {
        let read = |input: Box<dyn std::io::Read + Send>| {
            let mut r = Reader::with_max_line(input, Format::Csv, max).expect("header");
            std::iter::from_fn(|| r.next_item())
                .map(|i| i.expect("readable"))
                .map(|i| {
                    let row = i.row.map(|row| match row {
                        crate::io::Row::Csv(rec) => rec.iter().map(String::from).collect(),
                        crate::io::Row::Json(_) | crate::io::Row::Unmapped(..) => Vec::new(),
                    });
                    (i.line, row)
                })
                .collect::<Vec<_>>()
        };
        let whole = read(Box::new(std::io::Cursor::new(input.to_vec())));
        let trickled = read(Box::new(OneByte(std::io::Cursor::new(input.to_vec()))));
        assert_eq!(whole, trickled, "{:?}", String::from_utf8_lossy(input));
        whole
    }

    #[test]
    fn a_record_over_the_limit_is_its_error_and_the_next_ones_are_read() {
        let too_long = |len: u64| Err(super::super::too_long(len, 8));
        let cells = |c: &[&str]| Ok(c.iter().map(|s| s.to_string()).collect());
        // Plain, then quoted with a line break inside, then a quote pair
        // across the limit, then a record that ends with the file.
        let input = b"id,x\n1,abcdefgh\n2,a\n\"3\n4\",\"a\"\"b\"\"c\"\n5,b\n\"\"\"\"\"\"\"\"x";
        assert_eq!(
            limited(input, 8),
            [
                (2, too_long(10)),
                (3, cells(&["2", "a"])),
                (4, too_long(15)),
                (6, cells(&["5", "b"])),
                (7, too_long(9)),
            ]
        );
        // At the limit exactly: read whole.
        assert_eq!(
            limited(b"id,x\n1,abcdef\n", 8),
            [(2, cells(&["1", "abcdef"]))]
        );
        // A quoted cell never closed is cut, not read to the end of memory.
        assert_eq!(
            limited(b"id,x\n1,\"abc\n\n\ndefghij\n2,a\n", 8),
            [(2, too_long(21))]
        );
        // A header over the limit: the input cannot be read.
        let r = Reader::with_max_line(
            Box::new(std::io::Cursor::new(b"id,some_long_name\n1,2\n".to_vec())),
            Format::Csv,
            8,
        );
        assert_eq!(
            r.err().map(|e| e.message),
            Some("the CSV header: the line holds 17 bytes, more than the limit of 8".into())
        );
    }

    proptest! {
        /// With a limit, every record at most that long reads as without
        /// one, on the same line; every longer record is its error,
        /// naming its length.
        #[test]
        fn a_limit_changes_only_the_records_over_it(
            rows in proptest::collection::vec(
                (0usize..2, any::<bool>(), 0usize..3, 0usize..12, any::<bool>()),
                1..20,
            ),
            max in 3usize..24,
        ) {
            let mut input = String::from("i,x\n");
            let mut lens = Vec::new();
            for (k, (blank, crlf, inner, width, quoted)) in rows.iter().enumerate() {
                let eol = if *crlf { "\r\n" } else { "\n" };
                for _ in 0..*blank {
                    input.push_str(eol);
                }
                let body: String = "q".repeat(*width);
                let record = if *quoted {
                    let cell: String = std::iter::repeat_n(eol, *inner).collect();
                    format!("{},\"{body}\"\"{cell}\"", k % 10)
                } else {
                    format!("{},{body}", k % 10)
                };
                lens.push(record.len() as u64);
                input.push_str(&record);
                input.push_str(eol);
            }
            let free = limited(input.as_bytes(), usize::MAX);
            let capped = limited(input.as_bytes(), max);
            prop_assert_eq!(free.len(), lens.len());
            prop_assert_eq!(capped.len(), lens.len());
            for ((f, c), len) in free.iter().zip(&capped).zip(&lens) {
                prop_assert_eq!(f.0, c.0);
                if *len as usize > max {
                    prop_assert_eq!(&c.1, &Err(super::super::too_long(*len, max)));
                } else {
                    prop_assert_eq!(&c.1, &f.1);
                }
            }
        }
    }
}
