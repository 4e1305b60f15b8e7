//! Reading input records (JSON lines, JSON arrays, CSV) with their line
//! numbers, and writing results (JSON lines, JSON, CSV).
//!
//! This module holds the formats, the rows and items read, the [`Reader`]
//! and the conversion of rows by a schema. The line numbering of input
//! lives in `lines`, the writing of results in `output`.

mod lines;
mod output;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::json::Json;

use crate::record::{Key, Record, RecordError, Schema};

pub(crate) use lines::{csv_error_text, jsonl_item, read_line_lossy, Counted, LineIndex};
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
    /// and unknown extensions.
    pub fn of_path(path: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Format::Csv
        } else if lower.ends_with(".json") {
            Format::Json
        } else {
            Format::Jsonl
        }
    }
}

/// One input row as read, before conversion by a schema.
#[derive(Debug, Clone)]
pub(crate) enum Row {
    /// A JSON value (normally an object).
    Json(Json),
    /// CSV cells.
    Csv(csv::StringRecord),
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
    /// CSV header, when the input is CSV.
    pub(crate) header: Option<csv::StringRecord>,
}

enum ReaderKind {
    Jsonl {
        lines: Box<dyn BufRead + Send>,
        line: usize,
        buf: String,
    },
    Array(std::vec::IntoIter<Json>, usize),
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
    /// A reader over `input` in `format`.
    pub fn new(input: Box<dyn Read + Send>, format: Format) -> Result<Reader, InputError> {
        Reader::open_as(input, format).map_err(InputError::from)
    }

    /// The column names of a CSV input's header (`None` for JSON).
    pub fn header(&self) -> Option<Vec<&str>> {
        self.header.as_ref().map(|h| h.iter().collect())
    }

    fn open_as(input: Box<dyn Read + Send>, format: Format) -> Result<Reader, String> {
        match format {
            Format::Jsonl => Ok(Reader {
                inner: ReaderKind::Jsonl {
                    lines: Box::new(BufReader::with_capacity(1 << 16, input)),
                    line: 0,
                    buf: String::new(),
                },
                header: None,
            }),
            Format::Json => {
                let mut bytes = Vec::new();
                BufReader::new(input)
                    .read_to_end(&mut bytes)
                    .map_err(|e| format!("cannot read input: {e}"))?;
                // A byte order mark before the array is not part of it.
                let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
                let v = Json::parse_bytes(text).map_err(|e| format!("not a JSON array: {e}"))?;
                match v {
                    Json::Array(items) => Ok(Reader {
                        inner: ReaderKind::Array(items.into_iter(), 0),
                        header: None,
                    }),
                    _ => Err("expected a JSON array of records".into()),
                }
            }
            Format::Csv => {
                let (input, lines) = LineIndex::counting(input);
                let mut r = csv::ReaderBuilder::new()
                    .flexible(true)
                    .has_headers(true)
                    .from_reader(input);
                let header = r
                    .headers()
                    .map_err(|e| format!("cannot read the CSV header: {e}"))?
                    .clone();
                Ok(Reader {
                    inner: ReaderKind::Csv(r, lines),
                    header: Some(header),
                })
            }
        }
    }

    /// Like [`Reader::next_item`], but reads into `item`, reusing its
    /// buffers for CSV: no allocation per row. `None` at the end.
    pub(crate) fn next_into(&mut self, item: &mut Item) -> Option<Result<(), String>> {
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
                if lines.unclosed_quote() {
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
                    item.row = Err(format!("unreadable CSV row: {}", csv_error_text(&e)));
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

    /// The raw lines of JSON lines input not yet read (for readers that
    /// hand lines to other threads; see [`jsonl_item`]). `None` for other
    /// formats or once a line has been read.
    pub(crate) fn into_lines(self) -> Option<Box<dyn BufRead + Send>> {
        match self.inner {
            ReaderKind::Jsonl { lines, line: 0, .. } => Some(lines),
            _ => None,
        }
    }

    /// The next item; `Err` only for an I/O failure.
    pub(crate) fn next_item(&mut self) -> Option<Result<Item, String>> {
        match &mut self.inner {
            ReaderKind::Jsonl { lines, line, buf } => loop {
                buf.clear();
                match read_line_lossy(lines.as_mut(), buf) {
                    Ok((0, _)) => return None,
                    Ok((_, utf8)) => {
                        *line += 1;
                        match jsonl_item(*line, buf, utf8) {
                            Some(item) => return Some(Ok(item)),
                            None => continue,
                        }
                    }
                    Err(e) => return Some(Err(format!("cannot read input: {e}"))),
                }
            },
            ReaderKind::Array(items, pos) => {
                let v = items.next()?;
                *pos += 1;
                Some(Ok(Item {
                    line: *pos,
                    row: Ok(Row::Json(v)),
                }))
            }
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
        }
    }

    /// The key, read leniently, for error lines.
    pub(crate) fn raw_key(&self, schema: &Schema, pos: &[Option<usize>]) -> Option<Key> {
        match self {
            Row::Json(v) => schema.raw_key_json(v),
            Row::Csv(rec) => {
                let col = pos.get(usize::from(schema.key?)).copied().flatten()?;
                schema.raw_key_text(rec.get(col)?)
            }
        }
    }
}
