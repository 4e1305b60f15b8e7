//! Diagnostics: stable codes, spans, help lines, and a rustc-style renderer.

use std::fmt;
use std::sync::Arc;

#[cfg(feature = "render")]
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
#[cfg(feature = "render")]
use codespan_reporting::files::SimpleFiles;
#[cfg(feature = "render")]
use codespan_reporting::term::{self, Chars, Config};
use serde::Serialize;

use std::cell::OnceCell;
use std::collections::HashMap;

use crate::span::{line_col, LineIndex, Span};

/// Stable diagnostic codes, for embedders who match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Code {
    /// A syntax error.
    E0001,
    /// Expressions or blocks nested too deeply.
    E0002,
    /// A literal out of range or malformed (a huge number, a bad date).
    E0003,
    /// The file could not be read or is not UTF-8.
    E0004,
    /// An unknown name.
    E0101,
    /// A name declared twice.
    E0102,
    /// A type error.
    E0103,
    /// Money of two currencies meet.
    E0104,
    /// A stage or score used before it is defined.
    E0105,
    /// An unknown type name.
    E0106,
    /// An unknown function, or the wrong number of arguments.
    E0107,
    /// A `let` mentions a record field, or a value that must be constant is not.
    E0108,
    /// A header problem (unknown time zone, repeated option).
    E0109,
    /// A record declaration problem (key not a field, key missing).
    E0110,
    /// A health block rule broken (missing `else`, weights, bands).
    E0201,
    /// A calendar rule broken (time zone, intervals, no open time).
    E0301,
    /// A handoff rule broken (unknown goal or calendar, offsets, units).
    E0302,
    /// A commission rule broken (schedule gaps or overlaps, rounding).
    E0401,
    /// A policy directory rule broken (names, versions, dates).
    E0501,
    /// A test block that cannot run.
    E0601,
    /// A project file (`baton.toml`) problem.
    E0701,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy is rejected.
    Error,
    /// The policy is accepted; something looks wrong.
    Warning,
}

/// One problem found in a policy, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, lowercase, user input in backticks.
    pub message: String,
    /// The file it is in.
    pub file: Arc<str>,
    /// Where.
    pub span: Span,
    /// 1-based line of `span.start`.
    pub line: usize,
    /// 1-based column (in characters) of `span.start`.
    pub column: usize,
    /// A short text under the underlined span.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// Other places that explain the problem (the first definition of a
    /// name declared twice), each with a short text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// 0, except for the line that closes a long run of one code in a
    /// file (`and 19,980 more like this`): how many diagnostics of its code
    /// and severity it stands for, not listed one by one. Its place is
    /// that of the first one left out.
    #[serde(skip_serializing_if = "is_zero")]
    pub omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Diagnostics of one code and severity listed one by one in a file;
/// the rest are counted in one summary line.
pub const LISTED_PER_CODE: usize = 20;

/// A secondary place shown with a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    /// Where, in the same file as the diagnostic.
    pub span: Span,
    /// What it is ("first defined here").
    pub label: String,
}

impl Diagnostic {
    /// An error at `span` of `source` (named `file`).
    pub fn error(
        code: Code,
        file: &Arc<str>,
        source: &str,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = line_col(source, span.start);
        Diagnostic::at(code, file, span, (line, column), message.into())
    }

    /// An error at `span`, already placed at `(line, column)`.
    fn at(
        code: Code,
        file: &Arc<str>,
        span: Span,
        (line, column): (usize, usize),
        message: String,
    ) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message,
            file: Arc::clone(file),
            span,
            line,
            column,
            label: None,
            help: None,
            related: Vec::new(),
            omitted: 0,
        }
    }

    /// How many problems this diagnostic stands for: 1, or for a summary
    /// line, the number it counts.
    pub fn count(&self) -> usize {
        if self.omitted > 0 {
            self.omitted
        } else {
            1
        }
    }

    /// Adds a label under the span.
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary place, underlined with its own label.
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.related.push(Related {
            span,
            label: label.into(),
        });
        self
    }

    /// Makes it a warning.
    pub fn warning(mut self) -> Diagnostic {
        self.severity = Severity::Warning;
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic the way rustc does:
    /// `error[CODE]: message`, ` --> file:line:col`, the line with a caret.
    /// With the `render` feature (on by default) codespan-reporting draws
    /// it, secondary labels included; without it, a plain snippet of the
    /// line, as for a line too long to show whole.
    pub fn render(&self, source: &str) -> String {
        if self.omitted > 0 {
            // A summary is one line: its place is the first left out.
            return format!("{}\n\n", self.render_header_line());
        }
        if source.is_empty() && self.span == Span::default() {
            // About a path as a whole (unreadable, not a policy directory):
            // no line to show, no place in it to point at.
            let mut out = format!(
                "{}[{}]: {}\n --> {}\n",
                if self.is_error() { "error" } else { "warning" },
                self.code,
                self.message,
                self.file
            );
            if let Some(h) = &self.help {
                out.push_str(&format!("  = help: {h}\n"));
            }
            out.push('\n');
            return out;
        }
        if let Some(short) = self.render_plain(source, false) {
            return short;
        }
        #[cfg(feature = "render")]
        return self.render_codespan(source);
        #[cfg(not(feature = "render"))]
        self.render_plain(source, true)
            .unwrap_or_else(|| self.render_header())
    }

    /// `error[CODE]: message`.
    fn render_header_line(&self) -> String {
        format!(
            "{}[{}]: {}",
            if self.is_error() { "error" } else { "warning" },
            self.code,
            self.message
        )
    }

    /// The header alone: kind, code, message and place.
    fn render_header(&self) -> String {
        format!(
            "{}[{}]: {}\n --> {}:{}:{}\n",
            if self.is_error() { "error" } else { "warning" },
            self.code,
            self.message,
            self.file,
            self.line,
            self.column
        )
    }

    #[cfg(feature = "render")]
    fn render_codespan(&self, source: &str) -> String {
        let mut files = SimpleFiles::new();
        let id = files.add(self.file.to_string(), source);
        let head = match self.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        };
        let end = self.span.end.max(self.span.start).min(source.len());
        let start = self.span.start.min(end);
        let mut label = Label::primary(id, start..end);
        if let Some(l) = &self.label {
            label = label.with_message(l.clone());
        }
        let mut labels = vec![label];
        for r in &self.related {
            let end = r.span.end.max(r.span.start).min(source.len());
            let start = r.span.start.min(end);
            labels.push(Label::secondary(id, start..end).with_message(r.label.clone()));
        }
        let mut d = head
            .with_message(self.message.clone())
            .with_code(self.code.to_string())
            .with_labels(labels);
        if let Some(h) = &self.help {
            d = d.with_notes(vec![format!("help: {h}")]);
        }
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };
        match term::emit_into_string(&config, &files, &d) {
            Ok(s) => s,
            // The renderer fails only when a span is outside the file; fall
            // back to the plain form so that nothing is lost.
            Err(_) => self.render_header(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            self.file,
            self.line,
            self.column,
            if self.is_error() { "error" } else { "warning" },
            self.code,
            self.message
        )
    }
}

/// Collects diagnostics for one source file. After
/// [`LISTED_PER_CODE`] diagnostics of one code and severity, the rest are
/// only counted; [`Sink::finish`] closes each such run with one summary
/// line. Placing a diagnostic costs a binary search in an index of the
/// file's lines, built once.
#[derive(Debug)]
pub struct Sink<'s> {
    /// File name shown in diagnostics.
    pub file: Arc<str>,
    /// Its text.
    pub source: &'s str,
    /// What was found so far and is listed.
    pub diags: Vec<Diagnostic>,
    /// Per code and severity: how many were pushed, and the first one
    /// left out.
    runs: HashMap<(Code, Severity), Run>,
    /// Errors pushed, listed or not.
    errors: usize,
    lines: OnceCell<LineIndex>,
}

/// The diagnostics of one code and severity pushed to a sink.
#[derive(Debug)]
struct Run {
    pushed: usize,
    first_left_out: Option<Diagnostic>,
}

impl<'s> Sink<'s> {
    /// An empty sink for `source`.
    pub fn new(file: Arc<str>, source: &'s str) -> Sink<'s> {
        Sink {
            file,
            source,
            diags: Vec::new(),
            runs: HashMap::new(),
            errors: 0,
            lines: OnceCell::new(),
        }
    }

    /// Line and column (1-based) of a byte offset of the source.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines
            .get_or_init(|| LineIndex::new(self.source))
            .line_col(self.source, offset)
    }

    /// Builds an error at `span` without recording it (to add a label or help).
    pub fn make(&self, code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        let at = self.line_col(span.start);
        Diagnostic::at(code, &self.file, span, at, message.into())
    }

    /// Whether an error of `code` pushed now would be listed, rather than
    /// only counted: work done only for a listed diagnostic (searching for
    /// a suggestion among many names) is skipped when it would not be.
    pub fn lists(&self, code: Code) -> bool {
        self.runs
            .get(&(code, Severity::Error))
            .map_or(true, |r| r.pushed < LISTED_PER_CODE)
    }

    /// [`Diagnostic::help_closest`] for a diagnostic that will be
    /// listed; one that will only be counted is returned as it is, without
    /// searching `candidates`.
    pub(crate) fn help_closest<'a>(
        &self,
        d: Diagnostic,
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
        otherwise: impl FnOnce() -> String,
    ) -> Diagnostic {
        if self.lists_like(&d) {
            d.help_closest(name, candidates, otherwise)
        } else {
            d
        }
    }

    /// [`Diagnostic::help_if_close`] for a diagnostic that will be listed;
    /// one that will only be counted is returned as it is.
    pub(crate) fn help_if_close<'a>(
        &self,
        d: Diagnostic,
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Diagnostic {
        if self.lists_like(&d) {
            d.help_if_close(name, candidates)
        } else {
            d
        }
    }

    /// Whether `d`, pushed now, would be listed.
    fn lists_like(&self, d: &Diagnostic) -> bool {
        self.runs
            .get(&(d.code, d.severity))
            .map_or(true, |r| r.pushed < LISTED_PER_CODE)
    }

    /// Records a diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        if d.is_error() {
            self.errors = self.errors.saturating_add(d.count());
        }
        let run = self.runs.entry((d.code, d.severity)).or_insert(Run {
            pushed: 0,
            first_left_out: None,
        });
        run.pushed = run.pushed.saturating_add(1);
        if run.pushed <= LISTED_PER_CODE {
            self.diags.push(d);
        } else if run.first_left_out.is_none() {
            run.first_left_out = Some(d);
        }
    }

    /// Records a plain error.
    pub fn error(&mut self, code: Code, span: Span, message: impl Into<String>) {
        let d = self.make(code, span, message);
        self.push(d);
    }

    /// Whether any error was recorded (also one put in `diags` directly;
    /// the listed diagnostics are few, so looking at them is cheap).
    pub fn has_errors(&self) -> bool {
        self.errors > 0 || self.diags.iter().any(Diagnostic::is_error)
    }

    /// Every listed diagnostic, each run of one code and severity past
    /// [`LISTED_PER_CODE`] closed by a summary line right after its last
    /// listed one: `and 19,980 more like this`.
    pub fn finish(self) -> Vec<Diagnostic> {
        let mut diags = self.diags;
        let mut summaries: Vec<((Code, Severity), Diagnostic)> = self
            .runs
            .into_iter()
            .filter_map(|(key, run)| {
                let omitted = run.pushed.saturating_sub(LISTED_PER_CODE);
                let mut d = run.first_left_out?;
                d.message = format!("and {} more like this", thousands(omitted as u64));
                d.omitted = omitted;
                d.label = None;
                d.help = None;
                d.related = Vec::new();
                Some((key, d))
            })
            .collect();
        // Inserted from the last place backwards, so that each place
        // found stays right.
        let place = |key: &(Code, Severity), diags: &[Diagnostic]| {
            diags
                .iter()
                .rposition(|d| (d.code, d.severity) == *key)
                .map_or(diags.len(), |i| i + 1)
        };
        summaries.sort_by_key(|(key, _)| std::cmp::Reverse(place(key, &diags)));
        for (key, d) in summaries {
            let at = place(&key, &diags);
            diags.insert(at, d);
        }
        diags
    }
}

/// `19980` as `19,980`: a count as a person reads it.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The closest of `candidates` to `name`, for "did you mean" help.
pub fn suggest<'a, I: IntoIterator<Item = &'a str>>(name: &str, candidates: I) -> Option<String> {
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(name.len().min(c.len()) / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Longest source line shown whole in a snippet.
const MAX_SNIPPET_LINE: usize = 400;
/// Characters shown on each side of the span of a longer line.
const EXCERPT: usize = 60;

impl Diagnostic {
    /// Help for a name that is not known: "did you mean `x`?" for the
    /// closest of `candidates`, or `otherwise()` when none is close.
    pub(crate) fn help_closest<'a>(
        self,
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
        otherwise: impl FnOnce() -> String,
    ) -> Diagnostic {
        let help = suggest(name, candidates).unwrap_or_else(otherwise);
        self.with_help(help)
    }

    /// "Did you mean `x`?" when one of `candidates` is close to `name`;
    /// no help otherwise.
    pub(crate) fn help_if_close<'a>(
        self,
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Diagnostic {
        match suggest(name, candidates) {
            Some(help) => self.with_help(help),
            None => self,
        }
    }

    /// The plain snippet: the header, the line with a caret under the span,
    /// the label and the help. A line too long to print whole (a generated
    /// or hostile file) is shown as an excerpt around the span; `always`:
    /// also a line short enough to show whole (`None` otherwise).
    fn render_plain(&self, source: &str, always: bool) -> Option<String> {
        let at = self.span.start.min(source.len());
        let start = source.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
        let end = source
            .get(at..)?
            .find('\n')
            .map_or(source.len(), |i| at + i);
        let line = source.get(start..end)?;
        let long = line.len() > MAX_SNIPPET_LINE;
        if !long && !always {
            return None;
        }
        // Excerpt boundaries on character boundaries around the span.
        let rel = at - start;
        let span_len = self
            .span
            .end
            .saturating_sub(self.span.start)
            .clamp(1, EXCERPT);
        let mut from = if long { rel.saturating_sub(EXCERPT) } else { 0 };
        while !line.is_char_boundary(from) {
            from -= 1;
        }
        let mut to = if long {
            (rel + span_len + EXCERPT).min(line.len())
        } else {
            line.len()
        };
        while !line.is_char_boundary(to) {
            to += 1;
        }
        let lead = if from > 0 { "…" } else { "" };
        let tail = if to < line.len() { "…" } else { "" };
        let excerpt = line.get(from..to)?;
        let caret_at = lead.chars().count() + line.get(from..rel)?.chars().count();
        let kind = if self.is_error() { "error" } else { "warning" };
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        let mut out = format!(
            "{kind}[{}]: {}\n{pad}--> {}:{}:{}\n{pad} |\n{number} | {lead}{excerpt}{tail}\n{pad} | {}{}",
            self.code,
            self.message,
            self.file,
            self.line,
            self.column,
            " ".repeat(caret_at),
            "^".repeat(line.get(rel..(rel + span_len).min(line.len())).map_or(1, |s| s.chars().count().max(1)))
        );
        if let Some(l) = &self.label {
            out.push(' ');
            out.push_str(l);
        }
        out.push_str(&format!("\n{pad} |\n"));
        if long {
            out.push_str(&format!(
                "{pad} = the line is {} characters long; an excerpt is shown\n",
                line.chars().count()
            ));
        }
        if let Some(h) = &self.help {
            out.push_str(&format!("{pad} = help: {h}\n"));
        }
        out.push('\n');
        Some(out)
    }
}

#[cfg(test)]
mod long_line_tests {
    use super::*;

    #[test]
    fn a_very_long_line_is_shown_as_an_excerpt_around_the_span() {
        let file: Arc<str> = Arc::from("big.baton");
        let line = format!(
            "let x = {}oops{}",
            "a and ".repeat(2_000),
            " and b".repeat(2_000)
        );
        let source = format!("policy \"p\" version 1 effective 2026-01-01\n{line}\n");
        let at = source.find("oops").unwrap();
        let d = Diagnostic::error(
            Code::E0001,
            &file,
            &source,
            Span::new(at, at + 4),
            "unexpected `oops`",
        )
        .with_label("here")
        .with_help("remove it");
        let r = d.render(&source);
        assert!(r.len() < 600, "{} bytes:\n{r}", r.len());
        assert!(r.contains("--> big.baton:2:"), "{r}");
        assert!(r.contains("oops"), "{r}");
        assert!(r.contains("^^^^ here"), "{r}");
        assert!(r.contains("help: remove it"), "{r}");
        // The caret sits under the span.
        let lines: Vec<&str> = r.lines().collect();
        let code = lines.iter().position(|l| l.starts_with("2 |")).unwrap();
        let col = lines[code].find("oops").unwrap();
        let col = lines[code][..col].chars().count();
        let caret = lines[code + 1].find('^').unwrap();
        assert_eq!(lines[code + 1][..caret].chars().count(), col, "{r}");
    }

    #[test]
    fn short_lines_render_as_before() {
        let file: Arc<str> = Arc::from("p.baton");
        let source = "let x = oops\n";
        let d = Diagnostic::error(Code::E0001, &file, source, Span::new(8, 12), "unexpected");
        assert!(d.render(source).contains("1 | let x = oops"));
    }

    /// A diagnostic about a path as a whole shows no made-up line 1.
    #[test]
    fn a_path_problem_shows_no_snippet() {
        let file: Arc<str> = Arc::from("/nowhere");
        let d = Diagnostic::error(
            Code::E0004,
            &file,
            "",
            Span::default(),
            "cannot read `/nowhere`",
        );
        assert_eq!(
            d.render(""),
            "error[E0004]: cannot read `/nowhere`\n --> /nowhere\n\n"
        );
    }

    /// Without codespan-reporting the snippet is plain, and says as much as
    /// the header, the line, the caret, the label and the help.
    #[test]
    fn the_plain_snippet_shows_the_line_and_the_span() {
        let file: Arc<str> = Arc::from("p.baton");
        let source = "policy \"p\" version 1 effective 2026-01-01\nlet x = oops + 1\n";
        let at = source.find("oops").unwrap();
        let d = Diagnostic::error(
            Code::E0101,
            &file,
            source,
            Span::new(at, at + 4),
            "unknown name `oops`",
        )
        .with_label("not defined")
        .with_help("did you mean `ops`?");
        let r = d.render_plain(source, true).unwrap();
        assert_eq!(
            r,
            "error[E0101]: unknown name `oops`\n --> p.baton:2:9\n  |\n2 | let x = oops + 1\n  |         ^^^^ not defined\n  |\n  = help: did you mean `ops`?\n\n"
        );
        #[cfg(not(feature = "render"))]
        assert_eq!(d.render(source), r);
    }
}
