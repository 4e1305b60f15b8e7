//! Writing results: [`Output`] in JSON lines, a JSON array or CSV,
//! [`Renderer`] for rendering on worker threads, the [`ErrorLine`] of a
//! record that could not be evaluated, and the flattening of a result into
//! CSV cells.

use std::io::{self, BufWriter, Write};

use serde::Serialize;
use serde_json::Value as Json;

use super::Format;
use crate::record::Key;

/// The error object of a record that could not be evaluated.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorLine {
    /// What is wrong.
    pub error: String,
    /// Where.
    pub line: usize,
    /// The record's key, when known.
    pub key: Option<Key>,
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
    pub(crate) fn renderer(&self) -> Renderer {
        Renderer {
            format: self.format,
            columns: self.columns.clone(),
        }
    }

    /// Writes one object rendered by a [`Renderer`].
    pub(crate) fn write_rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
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
