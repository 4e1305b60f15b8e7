//! Reading input records (JSON lines, JSON arrays, CSV) with their line
//! numbers, and writing results (JSON lines, JSON, CSV).
//!
//! This module holds the formats, the rows and items read, the [`Reader`]
//! and the conversion of rows by a schema. JSON lines are read in
//! `lines`, the physical lines of CSV records are counted in `csv_lines`,
//! results are written in `output`.

mod array;
mod csv_lines;
mod lines;
pub mod mapping;
mod output;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::json::Json;

use crate::record::{Key, Record, RecordError, Schema};

pub(crate) use array::{ArrayElements, Piece};
pub(crate) use csv_lines::{csv_error_text, Counted, LineIndex};
pub(crate) use lines::{jsonl_item, read_line, too_long, LineState};
pub use output::Output;
pub(crate) use output::{ErrorLine, Renderer};

/// An input that cannot be read at all (not a bad record: a bad record is
/// an error object in the output, and the run goes on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    /// What is wrong.
    pub message: String,
}

impl From<String> for InputError {
    fn from(message: String) -> InputError {
        InputError { message }
    }
}

/// The longest input line read by default, in bytes (16 MiB): a longer
/// line is that record's error, and the input goes on with the next line.
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 << 20;

/// An input or output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object a line.
    Jsonl,
    /// A JSON array of objects.
    Json,
    /// A header row, then one record a row.
    Csv,
}

impl Format {
    /// The format of a path by its extension; JSON lines for standard input
    /// and unknown extensions (see [`Format::by_extension`] to refuse
    /// those).
    pub fn of_path(path: &str) -> Format {
        Format::by_extension(path).unwrap_or(Format::Jsonl)
    }

    /// The format a path's extension names, in any case: `.jsonl` and
    /// `.ndjson` JSON lines, `.json` a JSON array, `.csv` CSV; standard
    /// input (`-`) is JSON lines. `None` for any other path.
    ///
    /// ```
    /// use baton::io::Format;
    /// assert_eq!(Format::by_extension("leads.NDJSON"), Some(Format::Jsonl));
    /// assert_eq!(Format::by_extension("-"), Some(Format::Jsonl));
    /// assert_eq!(Format::by_extension("leads.txt"), None);
    /// ```
    pub fn by_extension(path: &str) -> Option<Format> {
        if path == "-" {
            return Some(Format::Jsonl);
        }
        let (_, ext) = path.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// The first column a CSV header names twice, as a message: `column
/// `amount` twice (columns 3 and 4)`. Names are compared trimmed, as
/// columns are matched to fields; unnamed columns match no field and are
/// not counted.
pub(crate) fn repeated_column(header: &csv::StringRecord) -> Option<String> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(name, i) {
            return Some(format!(
                "column `{}` twice (columns {} and {})",
                crate::value::clip(name),
                first + 1,
                i + 1
            ));
        }
    }
    None
}

/// One input row as read, before conversion by a schema.
#[derive(Debug, Clone)]
pub(crate) enum Row {
    /// A JSON value (normally an object).
    Json(Json),
    /// CSV cells.
    Csv(csv::StringRecord),
    /// An exported row some of whose cells no conversion of its mapping
    /// reads: the fields that did convert (so that its error line can name
    /// its key), and what is wrong.
    Unmapped(Json, String),
}

/// One input item: its line, and the row or why it could not be read.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// 1-based line (JSON lines, CSV) or position (JSON array).
    pub line: usize,
    /// The row, or a message saying why it is unreadable.
    pub row: Result<Row, String>,
}

/// Reads every item of an input. Fails only when the input cannot be read
/// at all (exit 2); a malformed record becomes an `Err` row.
pub struct Reader {
    inner: ReaderKind,
    /// CSV header, when the input is CSV (and not mapped).
    pub(crate) header: Option<csv::StringRecord>,
    /// The columns of an export mapped onto fields: each row becomes a
    /// JSON object of the fields.
    mapping: Option<mapping::BoundMapping>,
}

enum ReaderKind {
    Jsonl {
        lines: Box<dyn BufRead + Send>,
        line: usize,
        buf: String,
        max: usize,
    },
    Array(array::ArrayElements),
    Csv(csv::Reader<Counted<Box<dyn Read + Send>>>, LineIndex),
}
/// Opens a path (`-` is standard input).
pub fn open(path: &str) -> io::Result<Box<dyn Read + Send>> {
    if path == "-" {
        Ok(Box::new(io::stdin()))
    } else {
        Ok(Box::new(File::open(Path::new(path))?))
    }
}

impl Reader {
    /// A reader over `input` in `format`, lines limited to
    /// [`DEFAULT_MAX_LINE_BYTES`].
    pub fn new(input: Box<dyn Read + Send>, format: Format) -> Result<Reader, InputError> {
        Reader::with_max_line(input, format, DEFAULT_MAX_LINE_BYTES)
    }

    /// A reader over `input` in `format` whose lines (JSON lines) or
    /// records (CSV) or elements (a JSON array) may hold at most `max_line_bytes` bytes before their
    /// line break. A longer one is read to its end without being kept and
    /// is that record's error; the input goes on with the next.
    ///
    /// ```
    /// use baton::io::{Format, Reader};
    /// let input = "{\"id\":\"a\"}\n{\"id\":\"a-long-one\"}\n";
    /// let r = Reader::with_max_line(Box::new(std::io::Cursor::new(input)), Format::Jsonl, 12);
    /// assert!(r.is_ok());
    /// ```
    pub fn with_max_line(
        input: Box<dyn Read + Send>,
        format: Format,
        max_line_bytes: usize,
    ) -> Result<Reader, InputError> {
        Reader::open_as(input, format, max_line_bytes).map_err(InputError::from)
    }

    /// A reader over a CSV export whose columns `maps` maps onto a
    /// record's fields (see [`mapping`]): each row is read as the JSON
    /// object of its fields, and a cell no conversion reads is that
    /// record's error. Fails when a mapped column is not in the header.
    pub fn mapped(
        input: Box<dyn Read + Send>,
        maps: &[mapping::FieldMap],
        max_line_bytes: usize,
    ) -> Result<Reader, InputError> {
        let mut r = Reader::open_as(input, Format::Csv, max_line_bytes)?;
        let header = r.header.take().unwrap_or_default();
        let bound = mapping::bind(maps, &header).map_err(|e| InputError {
            message: e.join("; "),
        })?;
        r.mapping = Some(bound);
        Ok(r)
    }

    /// The column names of a CSV input's header (`None` for JSON).
    pub fn header(&self) -> Option<Vec<&str>> {
        self.header.as_ref().map(|h| h.iter().collect())
    }

    fn open_as(input: Box<dyn Read + Send>, format: Format, max: usize) -> Result<Reader, String> {
        match format {
            Format::Jsonl => Ok(Reader {
                inner: ReaderKind::Jsonl {
                    lines: Box::new(BufReader::with_capacity(1 << 16, input)),
                    line: 0,
                    buf: String::new(),
                    max,
                },
                header: None,
                mapping: None,
            }),
            Format::Json => Ok(Reader {
                inner: ReaderKind::Array(array::ArrayElements::open(
                    Box::new(BufReader::with_capacity(1 << 16, input)),
                    max,
                )?),
                header: None,
                mapping: None,
            }),
            Format::Csv => {
                let (input, lines) = LineIndex::counting_with(input, max);
                let mut r = csv::ReaderBuilder::new()
                    .flexible(true)
                    .has_headers(true)
                    .from_reader(input);
                let header = r
                    .headers()
                    .map_err(|e| format!("cannot read the CSV header: {e}"))?
                    .clone();
                if let Some((len, max)) = lines.cut_through(r.position().byte()) {
                    return Err(format!("the CSV header: {}", too_long(len, max)));
                }
                if let Some(repeated) = repeated_column(&header) {
                    return Err(format!("the CSV header names {repeated}"));
                }
                Ok(Reader {
                    inner: ReaderKind::Csv(r, lines),
                    header: Some(header),
                    mapping: None,
                })
            }
        }
    }

    /// Like [`Reader::next_item`], but reads into `item`, reusing its
    /// buffers for CSV: no allocation per row. `None` at the end.
    pub(crate) fn next_into(&mut self, item: &mut Item) -> Option<Result<(), String>> {
        if self.mapping.is_some() {
            return self.next_item().map(|next| next.map(|i| *item = i));
        }
        let ReaderKind::Csv(r, lines) = &mut self.inner else {
            return self.next_item().map(|next| next.map(|i| *item = i));
        };
        if !matches!(item.row, Ok(Row::Csv(_))) {
            // Room for a usual row, so that reading it does not grow the
            // buffers a few times over.
            item.row = Ok(Row::Csv(csv::StringRecord::with_capacity(256, 16)));
        }
        let Ok(Row::Csv(rec)) = &mut item.row else {
            return None;
        };
        match r.read_record(rec) {
            Ok(false) => None,
            Ok(true) => {
                item.line = lines.line_of(rec.position());
                if let Some((len, max)) = lines.cut_through(r.position().byte()) {
                    // Only the bytes up to the limit were kept.
                    item.row = Err(too_long(len, max));
                } else if lines.unclosed_quote() {
                    // Nothing is dropped unnoticed: the records swallowed
                    // into this one are named by this error.
                    item.row = Err(
                        "a quoted cell in this record is never closed: the rest of the file \
                         was read into it"
                            .to_string(),
                    );
                }
                Some(Ok(()))
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(_) => Some(Err(format!("cannot read input: {e}"))),
                _ => {
                    item.line = lines.line_of(e.position());
                    item.row = Err(match lines.cut_through(r.position().byte()) {
                        Some((len, max)) => too_long(len, max),
                        None => format!("unreadable CSV row: {}", csv_error_text(&e)),
                    });
                    Some(Ok(()))
                }
            },
        }
    }

    /// The required fields of `schema` that a CSV header has no column
    /// for (every record will then be an error naming the field); empty
    /// for JSON input.
    pub fn missing_columns<'s>(&self, schema: &'s Schema) -> Vec<&'s str> {
        let Some(header) = &self.header else {
            return Vec::new();
        };
        schema
            .fields
            .iter()
            .zip(positions(schema, Some(header)))
            .filter(|(f, p)| p.is_none() && !f.optional)
            .map(|(f, _)| f.name.as_str())
            .collect()
    }

    /// Whether the input is JSON lines.
    pub(crate) fn is_jsonl(&self) -> bool {
        matches!(self.inner, ReaderKind::Jsonl { .. })
    }

    /// The raw lines of JSON lines input not yet read, and the longest
    /// line to read (for readers that hand lines to other threads; see
    /// [`read_line`], [`jsonl_item`]). `None` for other formats or once a
    /// line has been read.
    pub(crate) fn into_lines(self) -> Option<(Box<dyn BufRead + Send>, usize)> {
        match self.inner {
            ReaderKind::Jsonl {
                lines,
                line: 0,
                max,
                ..
            } => Some((lines, max)),
            _ => None,
        }
    }

    /// The elements of a JSON array input not yet read (for readers that
    /// hand the parse to other threads). `None` for other formats, a
    /// mapped input, or once an element has been read.
    pub(crate) fn into_elements(self) -> Option<ArrayElements> {
        match (self.inner, self.mapping) {
            (ReaderKind::Array(e), None) if e.untouched() => Some(e),
            _ => None,
        }
    }

    /// Whether the input is a JSON array.
    pub(crate) fn is_array(&self) -> bool {
        matches!(self.inner, ReaderKind::Array(_)) && self.mapping.is_none()
    }

    /// The next item; `Err` only for an I/O failure.
    pub(crate) fn next_item(&mut self) -> Option<Result<Item, String>> {
        if let Some(m) = self.mapping.take() {
            let next = self.next_item();
            let next = next.map(|item| {
                item.map(|mut item| {
                    if let Ok(Row::Csv(rec)) = &item.row {
                        item.row = Ok(match m.apply(rec) {
                            Ok(v) => Row::Json(v),
                            Err((partial, why)) => Row::Unmapped(partial, why),
                        });
                    }
                    item
                })
            });
            self.mapping = Some(m);
            return next;
        }
        match &mut self.inner {
            ReaderKind::Jsonl {
                lines,
                line,
                buf,
                max,
            } => loop {
                buf.clear();
                match read_line(lines.as_mut(), buf, *max) {
                    Ok((0, _)) => return None,
                    Ok((_, state)) => {
                        *line += 1;
                        match jsonl_item(*line, buf, state) {
                            Some(item) => return Some(Ok(item)),
                            None => continue,
                        }
                    }
                    Err(e) => return Some(Err(format!("cannot read input: {e}"))),
                }
            },
            ReaderKind::Array(elements) => elements.next_item(),
            // CSV rows are read by `next_into`, into a fresh row here.
            ReaderKind::Csv(..) => {
                let mut item = Item {
                    line: 0,
                    row: Err(String::new()),
                };
                self.next_into(&mut item).map(|r| r.map(|()| item))
            }
        }
    }
}
/// Where each field of a schema stands in a CSV header.
pub(crate) fn positions(schema: &Schema, header: Option<&csv::StringRecord>) -> Vec<Option<usize>> {
    match header {
        Some(h) => schema
            .fields
            .iter()
            .map(|f| h.iter().position(|c| c.trim() == f.name))
            .collect(),
        None => Vec::new(),
    }
}

impl Row {
    /// Converts the row by `schema` (`pos` from [`positions`] for CSV).
    pub(crate) fn to_record(
        &self,
        schema: &Schema,
        pos: &[Option<usize>],
    ) -> Result<Record, RecordError> {
        match self {
            Row::Json(v) => schema.json_record(v),
            Row::Csv(rec) => {
                let cells: Vec<&str> = rec.iter().collect();
                schema.from_csv_positions(pos, &cells)
            }
            Row::Unmapped(_, why) => Err(RecordError::Malformed {
                message: why.clone(),
            }),
        }
    }

    /// The key, read leniently, for error lines.
    pub(crate) fn raw_key(&self, schema: &Schema, pos: &[Option<usize>]) -> Option<Key> {
        match self {
            Row::Json(v) | Row::Unmapped(v, _) => schema.raw_key_json(v),
            Row::Csv(rec) => {
                let col = pos.get(usize::from(schema.key?)).copied().flatten()?;
                schema.raw_key_text(rec.get(col)?)
            }
        }
    }
}
