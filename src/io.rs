//! Reading input records (JSON lines, JSON arrays, CSV) with their line
//! numbers, and writing results (JSON lines, JSON, CSV).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::Value as Json;

use crate::record::{Record, RecordError, Schema};

/// An input or output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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
pub enum Row {
    /// A JSON value (normally an object).
    Json(Json),
    /// CSV cells.
    Csv(csv::StringRecord),
}

/// One input item: its line, and the row or why it could not be read.
#[derive(Debug, Clone)]
pub struct Item {
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
    pub header: Option<csv::StringRecord>,
}

enum ReaderKind {
    Jsonl {
        lines: Box<dyn BufRead + Send>,
        line: usize,
        buf: String,
    },
    Array(std::vec::IntoIter<Json>, usize),
    Csv(csv::Reader<Box<dyn Read + Send>>),
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
    pub fn new(input: Box<dyn Read + Send>, format: Format) -> Result<Reader, String> {
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
                let v: Json = serde_json::from_reader(BufReader::new(input))
                    .map_err(|e| format!("not a JSON array: {e}"))?;
                match v {
                    Json::Array(items) => Ok(Reader {
                        inner: ReaderKind::Array(items.into_iter(), 0),
                        header: None,
                    }),
                    _ => Err("expected a JSON array of records".into()),
                }
            }
            Format::Csv => {
                let mut r = csv::ReaderBuilder::new()
                    .flexible(true)
                    .has_headers(true)
                    .from_reader(input);
                let header = r
                    .headers()
                    .map_err(|e| format!("cannot read the CSV header: {e}"))?
                    .clone();
                Ok(Reader {
                    inner: ReaderKind::Csv(r),
                    header: Some(header),
                })
            }
        }
    }

    /// Like [`Reader::next_item`], but reads into `item`, reusing its
    /// buffers for CSV: no allocation per row. `None` at the end.
    pub fn next_into(&mut self, item: &mut Item) -> Option<Result<(), String>> {
        let ReaderKind::Csv(r) = &mut self.inner else {
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
        let line_of = |p: Option<&csv::Position>| {
            p.map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX))
        };
        match r.read_record(rec) {
            Ok(false) => None,
            Ok(true) => {
                item.line = line_of(rec.position());
                Some(Ok(()))
            }
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(_) => Some(Err(format!("cannot read input: {e}"))),
                _ => {
                    item.line = line_of(e.position());
                    item.row = Err(format!("unreadable CSV row: {e}"));
                    Some(Ok(()))
                }
            },
        }
    }

    /// Whether the input is JSON lines.
    pub fn is_jsonl(&self) -> bool {
        matches!(self.inner, ReaderKind::Jsonl { .. })
    }

    /// The raw lines of JSON lines input not yet read (for readers that
    /// hand lines to other threads; see [`jsonl_item`]). `None` for other
    /// formats or once a line has been read.
    pub fn into_lines(self) -> Option<Box<dyn BufRead + Send>> {
        match self.inner {
            ReaderKind::Jsonl { lines, line: 0, .. } => Some(lines),
            _ => None,
        }
    }

    /// The next item; `Err` only for an I/O failure.
    pub fn next_item(&mut self) -> Option<Result<Item, String>> {
        match &mut self.inner {
            ReaderKind::Jsonl { lines, line, buf } => loop {
                buf.clear();
                match read_line_lossy(lines.as_mut(), buf) {
                    Ok(0) => return None,
                    Ok(_) => {
                        *line += 1;
                        match jsonl_item(*line, buf) {
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
            ReaderKind::Csv(_) => {
                let mut item = Item {
                    line: 0,
                    row: Err(String::new()),
                };
                self.next_into(&mut item).map(|r| r.map(|()| item))
            }
        }
    }
}

/// The item of one JSON line (`None` for a blank line: it holds no
/// record, though it counts for line numbers).
pub fn jsonl_item(line: usize, text: &str) -> Option<Item> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let row = serde_json::from_str::<Json>(text)
        .map(Row::Json)
        .map_err(|e| format!("not valid JSON: {e}"));
    Some(Item { line, row })
}

/// Reads one line into `buf` (replacing what it held); invalid UTF-8 is
/// replaced, not an error, so that the line becomes an error object of its
/// own rather than stopping the run. Returns the bytes read (0 at the end).
pub fn read_line_lossy(r: &mut dyn BufRead, buf: &mut String) -> io::Result<usize> {
    // Read into `buf`'s own allocation: no buffer or copy per line.
    let mut bytes = std::mem::take(buf).into_bytes();
    bytes.clear();
    let n = r.read_until(b'\n', &mut bytes)?;
    *buf = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Ok(n)
}

/// Where each field of a schema stands in a CSV header.
pub fn positions(schema: &Schema, header: Option<&csv::StringRecord>) -> Vec<Option<usize>> {
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
    pub fn to_record(&self, schema: &Schema, pos: &[Option<usize>]) -> Result<Record, RecordError> {
        match self {
            Row::Json(v) => schema.from_json(v),
            Row::Csv(rec) => {
                let cells: Vec<&str> = rec.iter().collect();
                schema.from_csv_positions(pos, &cells)
            }
        }
    }

    /// The key, read leniently, for error lines.
    pub fn raw_key(&self, schema: &Schema, pos: &[Option<usize>]) -> Option<String> {
        match self {
            Row::Json(v) => schema.raw_key_json(v),
            Row::Csv(rec) => {
                let col = pos.get(usize::from(schema.key?)).copied().flatten()?;
                rec.get(col)
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_string)
            }
        }
    }

    /// A named value as text (for fixed columns such as `handoff`).
    pub fn text(&self, name: &str, header: Option<&csv::StringRecord>) -> Option<String> {
        match self {
            Row::Json(v) => match v.get(name)? {
                Json::String(s) => Some(s.clone()),
                Json::Null => None,
                other => Some(other.to_string()),
            },
            Row::Csv(rec) => {
                let col = header?.iter().position(|h| h.trim() == name)?;
                rec.get(col)
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_string)
            }
        }
    }
}

/// The error object of a record that could not be evaluated.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorLine {
    /// What is wrong.
    pub error: String,
    /// Where.
    pub line: usize,
    /// The record's key, when known.
    pub key: Option<String>,
}

/// Writes results in one of the output formats.
pub struct Output {
    w: BufWriter<Box<dyn Write>>,
    format: Format,
    first: bool,
    columns: Vec<String>,
}

impl Output {
    /// An output; `columns` are the CSV columns (dotted paths into results).
    pub fn new(w: Box<dyn Write>, format: Format, columns: Vec<String>) -> io::Result<Output> {
        let mut o = Output {
            w: BufWriter::with_capacity(1 << 16, w),
            format,
            first: true,
            columns,
        };
        match format {
            Format::Json => o.w.write_all(b"[")?,
            Format::Csv => {
                let mut cw = csv::WriterBuilder::new().from_writer(Vec::new());
                cw.write_record(&o.columns).map_err(io::Error::other)?;
                let bytes = cw
                    .into_inner()
                    .map_err(|e| io::Error::other(e.to_string()))?;
                o.w.write_all(&bytes)?;
            }
            Format::Jsonl => {}
        }
        Ok(o)
    }

    /// What renders records for this output, on any thread.
    pub fn renderer(&self) -> Renderer {
        Renderer {
            format: self.format,
            columns: self.columns.clone(),
        }
    }

    /// Writes one object rendered by a [`Renderer`].
    pub fn write_rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.format == Format::Json {
            if !self.first {
                self.w.write_all(b",")?;
            }
            self.w.write_all(b"\n")?;
            self.first = false;
        }
        self.w.write_all(bytes)
    }

    /// Writes one result or error object.
    pub fn write<T: Serialize>(&mut self, v: &T) -> io::Result<()> {
        match self.format {
            Format::Jsonl => {
                serde_json::to_writer(&mut self.w, v)?;
                self.w.write_all(b"\n")
            }
            Format::Json => {
                if !self.first {
                    self.w.write_all(b",")?;
                }
                self.w.write_all(b"\n")?;
                serde_json::to_writer(&mut self.w, v)?;
                self.first = false;
                Ok(())
            }
            Format::Csv => {
                let j = serde_json::to_value(v)?;
                let cells: Vec<String> = self.columns.iter().map(|c| cell(&j, c)).collect();
                let mut cw = csv::WriterBuilder::new().from_writer(Vec::new());
                cw.write_record(&cells).map_err(io::Error::other)?;
                let bytes = cw
                    .into_inner()
                    .map_err(|e| io::Error::other(e.to_string()))?;
                self.w.write_all(&bytes)
            }
        }
    }

    /// Finishes the output.
    pub fn finish(mut self) -> io::Result<()> {
        if self.format == Format::Json {
            self.w
                .write_all(if self.first { b"]\n" } else { b"\n]\n" })?;
        }
        self.w.flush()
    }
}

/// Renders records the way an [`Output`] writes them, without the
/// separator a JSON array puts between elements
/// ([`Output::write_rendered`] adds it). Holds no state, so worker threads
/// can render while one thread writes.
#[derive(Debug, Clone)]
pub struct Renderer {
    format: Format,
    columns: Vec<String>,
}

impl Renderer {
    /// Appends the bytes of one result or error object to `buf`.
    pub fn render<T: Serialize>(&self, v: &T, buf: &mut Vec<u8>) -> io::Result<()> {
        match self.format {
            Format::Jsonl => {
                serde_json::to_writer(&mut *buf, v)?;
                buf.push(b'\n');
            }
            Format::Json => serde_json::to_writer(&mut *buf, v)?,
            Format::Csv => {
                let j = serde_json::to_value(v)?;
                let cells: Vec<String> = self.columns.iter().map(|c| cell(&j, c)).collect();
                let mut cw = csv::WriterBuilder::new().from_writer(&mut *buf);
                cw.write_record(&cells).map_err(io::Error::other)?;
                cw.flush()?;
            }
        }
        Ok(())
    }
}

/// A dotted path into a JSON result as a CSV cell (null → empty).
fn cell(j: &Json, path: &str) -> String {
    let mut cur = Some(j);
    for part in path.split('.') {
        cur = cur.and_then(|c| c.get(part));
    }
    match cur {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
