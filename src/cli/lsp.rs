//! `baton lsp`: a Language Server Protocol server on standard input and
//! output. Diagnostics as `baton check` gives them (on open, and once the
//! edits stop arriving), hover, go to definition, references, completion,
//! formatting, "did you mean" quick fixes, and a "run test" lens on every
//! `test` block. Positions are LSP's: lines and UTF-16 code units.

use std::collections::HashMap;
use std::process::ExitCode;

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;

use super::Fatal;
use baton::outline::{outline, SymbolKind};

/// Byte offsets to LSP positions and back, for one text.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    fn position(&self, offset: usize) -> lsp::Position {
        let offset = offset.min(self.text.len());
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let col: usize = self
            .text
            .get(start..offset)
            .unwrap_or_default()
            .chars()
            .map(char::len_utf16)
            .sum();
        lsp::Position::new(line as u32, col as u32)
    }

    fn offset(&self, p: lsp::Position) -> usize {
        let start = self
            .starts
            .get(p.line as usize)
            .copied()
            .unwrap_or(self.text.len());
        let mut units = 0u32;
        for (i, c) in self.text.get(start..).unwrap_or_default().char_indices() {
            if units >= p.character || c == '\n' {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        self.text.len()
    }

    fn range(&self, s: baton::Span) -> lsp::Range {
        lsp::Range::new(self.position(s.start), self.position(s.end))
    }
}

/// One open document: its text and what `check` found in it.
struct Doc {
    text: String,
    found: Vec<baton::Diagnostic>,
}

struct Server {
    conn: Connection,
    docs: HashMap<lsp::Uri, Doc>,
    /// Documents edited since their diagnostics were last published.
    dirty: Vec<lsp::Uri>,
}

/// Starts the server on standard input and output; returns when the
/// client says `exit`.
pub(super) fn run() -> Result<ExitCode, Fatal> {
    let (conn, io) = Connection::stdio();
    let caps = lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions::default()),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        code_lens_provider: Some(lsp::CodeLensOptions {
            resolve_provider: Some(false),
        }),
        execute_command_provider: Some(lsp::ExecuteCommandOptions {
            commands: vec![RUN_TEST.into()],
            ..Default::default()
        }),
        ..Default::default()
    };
    let caps = serde_json::to_value(caps).map_err(|e| Fatal(e.to_string()))?;
    conn.initialize(caps)
        .map_err(|e| Fatal(format!("lsp: {e}")))?;
    let mut server = Server {
        conn,
        docs: HashMap::new(),
        dirty: Vec::new(),
    };
    server.serve()?;
    drop(server);
    io.join().map_err(|e| Fatal(format!("lsp: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

const RUN_TEST: &str = "baton.runTest";

/// The file name diagnostics carry: the URI's path, percent-decoded
/// (`my%20pol/v2.baton` is the file `my pol/v2.baton`).
fn name_of(uri: &lsp::Uri) -> String {
    let raw = uri.path().as_str().as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Server {
    fn serve(&mut self) -> Result<(), Fatal> {
        loop {
            // Edits coalesce: diagnostics are published once no message
            // waits, for the latest text of each edited document.
            let msg = match self.conn.receiver.try_recv() {
                Ok(m) => m,
                Err(_) => {
                    self.publish()?;
                    match self.conn.receiver.recv() {
                        Ok(m) => m,
                        Err(_) => return Ok(()),
                    }
                }
            };
            match msg {
                Message::Request(req) => {
                    if self
                        .conn
                        .handle_shutdown(&req)
                        .map_err(|e| Fatal(format!("lsp: {e}")))?
                    {
                        return Ok(());
                    }
                    let id = req.id.clone();
                    let result = self.request(req);
                    self.send(Message::Response(match result {
                        Ok(v) => Response::new_ok(id, v),
                        Err((code, e)) => Response::new_err(id, code, e),
                    }))?;
                }
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
    }

    fn send(&self, m: Message) -> Result<(), Fatal> {
        self.conn
            .sender
            .send(m)
            .map_err(|e| Fatal(format!("lsp: {e}")))
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            lsp::notification::DidOpenTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params) {
                    self.set(p.text_document.uri, p.text_document.text);
                }
            }
            lsp::notification::DidChangeTextDocument::METHOD => {
                if let Ok(mut p) =
                    serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params)
                {
                    if let Some(c) = p.content_changes.pop() {
                        self.set(p.text_document.uri, c.text);
                    }
                }
            }
            lsp::notification::DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params) {
                    // Its problems leave the editor with it.
                    self.docs.remove(&p.text_document.uri);
                    self.dirty.retain(|u| *u != p.text_document.uri);
                    let _ = self.send(Message::Notification(Notification::new(
                        lsp::notification::PublishDiagnostics::METHOD.into(),
                        lsp::PublishDiagnosticsParams {
                            uri: p.text_document.uri,
                            diagnostics: Vec::new(),
                            version: None,
                        },
                    )));
                }
            }
            _ => {}
        }
    }

    fn set(&mut self, uri: lsp::Uri, text: String) {
        self.docs.insert(
            uri.clone(),
            Doc {
                text,
                found: Vec::new(),
            },
        );
        if !self.dirty.contains(&uri) {
            self.dirty.push(uri);
        }
    }

    /// Checks the edited documents and publishes what was found.
    fn publish(&mut self) -> Result<(), Fatal> {
        for uri in std::mem::take(&mut self.dirty) {
            let Some(doc) = self.docs.get_mut(&uri) else {
                continue;
            };
            let name = name_of(&uri);
            doc.found = check(&name, &doc.text);
            let lines = Lines::new(&doc.text);
            let diagnostics = doc
                .found
                .iter()
                .filter(|d| *d.file == *name)
                .map(|d| to_lsp(d, &lines, &uri))
                .collect();
            let params = lsp::PublishDiagnosticsParams {
                uri: uri.clone(),
                diagnostics,
                version: None,
            };
            self.send(Message::Notification(Notification::new(
                lsp::notification::PublishDiagnostics::METHOD.into(),
                params,
            )))?;
        }
        Ok(())
    }

    /// A request's result, or an error code (JSON-RPC) and message.
    fn request(&mut self, req: Request) -> Result<serde_json::Value, (i32, String)> {
        const METHOD_NOT_FOUND: i32 = -32601;
        let json = |v: Result<serde_json::Value, serde_json::Error>| {
            v.map_err(|e| (INVALID_PARAMS, e.to_string()))
        };
        match req.method.as_str() {
            lsp::request::HoverRequest::METHOD => {
                let p: lsp::HoverParams = json_params(req.params)?;
                json(serde_json::to_value(
                    self.hover(&p.text_document_position_params),
                ))
            }
            lsp::request::GotoDefinition::METHOD => {
                let p: lsp::GotoDefinitionParams = json_params(req.params)?;
                json(serde_json::to_value(
                    self.definition(&p.text_document_position_params),
                ))
            }
            lsp::request::References::METHOD => {
                let p: lsp::ReferenceParams = json_params(req.params)?;
                json(serde_json::to_value(
                    self.references(&p.text_document_position),
                ))
            }
            lsp::request::Completion::METHOD => {
                let p: lsp::CompletionParams = json_params(req.params)?;
                json(serde_json::to_value(
                    self.completion(&p.text_document_position),
                ))
            }
            lsp::request::Formatting::METHOD => {
                let p: lsp::DocumentFormattingParams = json_params(req.params)?;
                json(serde_json::to_value(self.format(&p.text_document.uri)))
            }
            lsp::request::CodeActionRequest::METHOD => {
                let p: lsp::CodeActionParams = json_params(req.params)?;
                json(serde_json::to_value(self.actions(&p)))
            }
            lsp::request::CodeLensRequest::METHOD => {
                let p: lsp::CodeLensParams = json_params(req.params)?;
                json(serde_json::to_value(self.lenses(&p.text_document.uri)))
            }
            lsp::request::ExecuteCommand::METHOD => {
                let p: lsp::ExecuteCommandParams = json_params(req.params)?;
                let said = self.execute(&p);
                if let Some(text) = &said {
                    let _ = self.send(Message::Notification(Notification::new(
                        lsp::notification::ShowMessage::METHOD.into(),
                        lsp::ShowMessageParams {
                            typ: lsp::MessageType::INFO,
                            message: text.clone(),
                        },
                    )));
                }
                Ok(serde_json::json!(said))
            }
            other => Err((METHOD_NOT_FOUND, format!("`{other}` is not served"))),
        }
    }

    fn doc(&self, uri: &lsp::Uri) -> Option<&Doc> {
        self.docs.get(uri)
    }

    fn hover(&self, at: &lsp::TextDocumentPositionParams) -> Option<lsp::Hover> {
        let doc = self.doc(&at.text_document.uri)?;
        let lines = Lines::new(&doc.text);
        let offset = lines.offset(at.position);
        // A diagnostic under the cursor: its code's explanation.
        let name = name_of(&at.text_document.uri);
        if let Some(d) = doc
            .found
            .iter()
            .find(|d| *d.file == *name && d.span.start <= offset && offset <= d.span.end)
        {
            let x = d.code.explanation();
            return Some(markdown(format!(
                "**{}**: {}\n\n{}\n\n(`baton explain {}` shows an example)",
                d.code, x.title, x.text, d.code
            )));
        }
        let o = outline(&doc.text)?;
        let name = o.name_at(offset)?;
        let details: Vec<String> = o
            .declarations(name)
            .map(|s| format!("```baton\n{}\n```", s.detail))
            .collect();
        if details.is_empty() {
            return None;
        }
        Some(markdown(details.join("\n")))
    }

    fn definition(&self, at: &lsp::TextDocumentPositionParams) -> Option<lsp::Location> {
        let doc = self.doc(&at.text_document.uri)?;
        let lines = Lines::new(&doc.text);
        let o = outline(&doc.text)?;
        let name = o.name_at(lines.offset(at.position))?;
        let s = o.declarations(name).next()?;
        Some(lsp::Location::new(
            at.text_document.uri.clone(),
            lines.range(s.span),
        ))
    }

    fn references(&self, at: &lsp::TextDocumentPositionParams) -> Vec<lsp::Location> {
        let Some(doc) = self.doc(&at.text_document.uri) else {
            return Vec::new();
        };
        let lines = Lines::new(&doc.text);
        let Some(o) = outline(&doc.text) else {
            return Vec::new();
        };
        let Some(name) = o.name_at(lines.offset(at.position)) else {
            return Vec::new();
        };
        o.occurrences(name)
            .into_iter()
            .map(|s| lsp::Location::new(at.text_document.uri.clone(), lines.range(s)))
            .collect()
    }

    fn completion(&self, at: &lsp::TextDocumentPositionParams) -> Vec<lsp::CompletionItem> {
        let mut items: Vec<lsp::CompletionItem> = Vec::new();
        let Some(doc) = self.doc(&at.text_document.uri) else {
            return items;
        };
        let offset = Lines::new(&doc.text).offset(at.position);
        let (keywords, record) = context_at(&doc.text, offset);
        // Names are offered where conditions are written.
        let names = keywords.contains(&"and");
        if let Some(o) = outline(&doc.text).filter(|_| names) {
            for s in &o.symbols {
                // Only the fields of the record the block names.
                if s.kind == SymbolKind::Field
                    && record.is_some()
                    && s.container.as_deref() != record.as_deref()
                {
                    continue;
                }
                let kind = match s.kind {
                    SymbolKind::Field => lsp::CompletionItemKind::FIELD,
                    SymbolKind::Let => lsp::CompletionItemKind::CONSTANT,
                    SymbolKind::Score | SymbolKind::Stage | SymbolKind::Measure => {
                        lsp::CompletionItemKind::VARIABLE
                    }
                    SymbolKind::Calendar | SymbolKind::Goal => lsp::CompletionItemKind::ENUM_MEMBER,
                    _ => continue,
                };
                if items.iter().any(|i| i.label == s.name) {
                    continue;
                }
                items.push(lsp::CompletionItem {
                    label: s.name.clone(),
                    kind: Some(kind),
                    detail: Some(s.detail.clone()),
                    ..Default::default()
                });
            }
        }
        items.extend(keywords.iter().map(|k| lsp::CompletionItem {
            label: (*k).to_string(),
            kind: Some(lsp::CompletionItemKind::KEYWORD),
            ..Default::default()
        }));
        items
    }

    fn format(&self, uri: &lsp::Uri) -> Vec<lsp::TextEdit> {
        let Some(doc) = self.doc(uri) else {
            return Vec::new();
        };
        match baton::format_policy(&name_of(uri), &doc.text) {
            Ok(text) if text != doc.text => {
                let lines = Lines::new(&doc.text);
                let all = baton::Span {
                    start: 0,
                    end: doc.text.len(),
                };
                vec![lsp::TextEdit::new(lines.range(all), text)]
            }
            _ => Vec::new(),
        }
    }

    /// "did you mean `x`?" as a fix that writes `x`.
    // `WorkspaceEdit::changes` is keyed by `Uri`, whose cached parts are
    // never changed while it is a key.
    #[allow(clippy::mutable_key_type)]
    fn actions(&self, p: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
        let uri = &p.text_document.uri;
        let Some(doc) = self.doc(uri) else {
            return Vec::new();
        };
        let lines = Lines::new(&doc.text);
        let (from, to) = (lines.offset(p.range.start), lines.offset(p.range.end));
        let mut out = Vec::new();
        for d in &doc.found {
            let Some(fix) = d.help.as_deref().and_then(suggested) else {
                continue;
            };
            if d.span.end < from || d.span.start > to {
                continue;
            }
            let edit = lsp::TextEdit::new(lines.range(d.span), fix.to_string());
            let mut changes = HashMap::new();
            changes.insert(uri.clone(), vec![edit]);
            out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: format!("write `{fix}`"),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![to_lsp(d, &lines, uri)]),
                edit: Some(lsp::WorkspaceEdit {
                    changes: Some(changes),
                    ..Default::default()
                }),
                is_preferred: Some(true),
                ..Default::default()
            }));
        }
        out
    }

    fn lenses(&self, uri: &lsp::Uri) -> Vec<lsp::CodeLens> {
        let Some(doc) = self.doc(uri) else {
            return Vec::new();
        };
        let lines = Lines::new(&doc.text);
        let Some(o) = outline(&doc.text) else {
            return Vec::new();
        };
        o.symbols
            .iter()
            .filter(|s| s.kind == SymbolKind::Test)
            .map(|s| lsp::CodeLens {
                range: lines.range(s.span),
                command: Some(lsp::Command {
                    title: "▶ run test".into(),
                    command: RUN_TEST.into(),
                    arguments: Some(vec![
                        serde_json::json!(uri.as_str()),
                        serde_json::json!(s.name),
                    ]),
                }),
                data: None,
            })
            .collect()
    }

    /// Runs one test of a document: what to tell the user.
    fn execute(&self, p: &lsp::ExecuteCommandParams) -> Option<String> {
        if p.command != RUN_TEST {
            return None;
        }
        let uri: lsp::Uri = p.arguments.first()?.as_str()?.parse().ok()?;
        let name = p.arguments.get(1)?.as_str()?;
        let doc = self.doc(&uri)?;
        let policy = match baton::Policy::from_source(&name_of(&uri), &doc.text) {
            Ok(p) => p,
            Err(e) => {
                return Some(format!(
                    "test \"{name}\": the policy fails its check ({} errors)",
                    e.error_count()
                ))
            }
        };
        let t = policy.run_tests().into_iter().find(|t| t.name == name)?;
        Some(if t.passed() {
            format!("test \"{name}\": ok")
        } else {
            format!("test \"{name}\": FAIL\n{}", t.failures.join("\n"))
        })
    }
}

/// What `baton check` finds in a document: on its own, or, in a policy
/// directory, with its sibling versions (read from disk), as `check` of
/// the directory would.
fn check(name: &str, text: &str) -> Vec<baton::Diagnostic> {
    let path = std::path::Path::new(name);
    let siblings = path
        .parent()
        .filter(|d| d.is_dir())
        .and_then(|d| baton::policy_files(d).ok())
        .unwrap_or_default();
    if siblings.len() < 2 || !siblings.iter().any(|p| p == path) {
        return match baton::Policy::from_source(name, text) {
            Ok(p) => p.warnings().to_vec(),
            Err(e) => e.diagnostics,
        };
    }
    let sources: Vec<(String, String)> = siblings
        .iter()
        .map(|p| {
            let n = p.display().to_string();
            let t = if p == path {
                text.to_string()
            } else {
                baton::read_policy_file(p)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            };
            (n, t)
        })
        .collect();
    let refs: Vec<(&str, &str)> = sources
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    match baton::PolicySet::from_sources(&refs) {
        Ok(set) => set
            .versions()
            .iter()
            .flat_map(|p| p.warnings().to_vec())
            .collect(),
        Err(e) => e.diagnostics,
    }
}

const INVALID_PARAMS: i32 = -32602;

fn json_params<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, (i32, String)> {
    serde_json::from_value(v).map_err(|e| (INVALID_PARAMS, e.to_string()))
}

fn markdown(text: String) -> lsp::Hover {
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: text,
        }),
        range: None,
    }
}

/// The name a "did you mean `x`?" help suggests.
fn suggested(help: &str) -> Option<&str> {
    let rest = help.strip_prefix("did you mean `")?;
    rest.strip_suffix("`?")
}

fn to_lsp(d: &baton::Diagnostic, lines: &Lines<'_>, uri: &lsp::Uri) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .map(|r| lsp::DiagnosticRelatedInformation {
            location: lsp::Location::new(uri.clone(), lines.range(r.span)),
            message: r.label.clone(),
        })
        .collect();
    lsp::Diagnostic {
        range: lines.range(d.span),
        severity: Some(match d.severity {
            baton::Severity::Error => lsp::DiagnosticSeverity::ERROR,
            baton::Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        source: Some("baton".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

const EXPR: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "between",
    "is",
    "set",
    "contains",
    "all",
    "any",
    "subset_of",
    "today",
    "true",
    "false",
];
const TOP: &[&str] = &[
    "policy",
    "version",
    "effective",
    "timezone",
    "currency",
    "let",
    "record",
    "key",
    "score",
    "for",
    "qualify",
    "health",
    "calendar",
    "handoff",
    "note",
    "commission",
    "test",
];
/// Besides the type names ([`baton::Type::SCALAR_NAMES`]).
const RECORD: &[&str] = &["set", "of"];
const SCORE: &[&str] = &["add", "subtract", "when", "clamp"];
const QUALIFY: &[&str] = &["stage", "when"];
const HEALTH: &[&str] = &["measure", "weight", "band", "when", "otherwise"];
const MEASURE: &[&str] = &["when", "else"];
const CALENDAR: &[&str] = &[
    "timezone", "closed", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
];
const HANDOFF: &[&str] = &[
    "owner",
    "requires",
    "sla",
    "within",
    "on",
    "met",
    "by",
    "warn",
    "before",
    "breach",
    "to",
    "escalate",
    "at",
    "after",
    "when",
    "note",
    "incomplete",
    "flag",
];
const COMMISSION: &[&str] = &[
    "clawback", "within", "days", "of", "except", "when", "prorated", "bonus", "if", "retained",
    "after", "on", "upgrade", "to", "rounding",
];
const TEST: &[&str] = &["given", "at", "expect", "stage", "event", "line", "none"];

/// The keywords valid at `offset`: those of the innermost block the
/// cursor stands in (found by the keyword that opens it), and the
/// expression keywords where conditions are written; and the record whose
/// fields are in scope there (the one the outermost block names: `qualify
/// lead {`, `score fit for lead {`, `handoff h note n {`).
fn context_at(text: &str, offset: usize) -> (Vec<&'static str>, Option<String>) {
    let before = text.get(..offset.min(text.len())).unwrap_or_default();
    // The innermost `{` not closed before the cursor, outside strings and
    // comments.
    let mut open: Vec<usize> = Vec::new();
    let (mut in_string, mut in_comment) = (false, false);
    for (i, c) in before.char_indices() {
        match c {
            '\n' => in_comment = false,
            _ if in_comment => {}
            '"' => in_string = !in_string,
            _ if in_string => {}
            '#' => in_comment = true,
            '{' => open.push(i),
            '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    let Some(&at) = open.last() else {
        return (TOP.to_vec(), None);
    };
    // The outermost block names the record.
    let words_of = |brace: usize| -> Vec<String> {
        let start = before
            .get(..brace)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        before
            .get(start..brace)
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    let outer = open.first().map(|b| words_of(*b)).unwrap_or_default();
    let record = match outer
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["qualify", r] | ["health", r] | ["score", _, "for", r] | ["handoff", _, "note", r] => {
            Some((*r).to_string())
        }
        _ => None,
    };
    let line_start = before
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let opener = before
        .get(line_start..at)
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or_default();
    let (own, expressions): (&[&str], bool) = match opener {
        "record" => (RECORD, false),
        "score" => (SCORE, true),
        "qualify" => (QUALIFY, true),
        "health" => (HEALTH, true),
        "measure" => (MEASURE, true),
        "calendar" => (CALENDAR, false),
        "handoff" => (HANDOFF, true),
        "commission" | "clawback" => (COMMISSION, true),
        "test" | "given" => (TEST, false),
        _ => (&[], true),
    };
    let mut out = own.to_vec();
    if opener == "record" {
        out.extend_from_slice(&baton::Type::SCALAR_NAMES);
    }
    if expressions {
        out.extend_from_slice(EXPR);
    }
    (out, record)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "policy \"p\" version 1 effective 2026-01-01\n\
        record lead key id {\n  id: text\n}\n\
        record account key id {\n  id: text\n}\n\
        qualify lead {\n  stage A when id == \"x\"\n}\n\
        health account {\n  measure m weight 1 {\n    1 when id == \"y\"\n    else 0\n  }\n  band ok otherwise\n}\n";

    #[test]
    fn the_block_at_the_cursor_gives_keywords_and_record() {
        let at = |s: &str| P.find(s).unwrap_or(0);
        assert_eq!(context_at(P, 0), (TOP.to_vec(), None));
        let (k, r) = context_at(P, at("id == \"x\""));
        assert!(k.contains(&"stage") && k.contains(&"and") && !k.contains(&"record"));
        assert_eq!(r.as_deref(), Some("lead"));
        let (k, r) = context_at(P, at("id == \"y\""));
        assert!(k.contains(&"else") && !k.contains(&"stage"), "{k:?}");
        assert_eq!(r.as_deref(), Some("account"));
        let (k, _) = context_at(P, at("id: text"));
        assert!(k.contains(&"money") && !k.contains(&"and"));
    }

    #[test]
    fn utf16_positions_round_trip() {
        let text = "a\n# é🎉x\n";
        let l = Lines::new(text);
        let x = text.find('x').unwrap_or(0);
        assert_eq!(l.position(x), lsp::Position::new(1, 5));
        assert_eq!(l.offset(lsp::Position::new(1, 5)), x);
        assert_eq!(l.offset(lsp::Position::new(9, 0)), text.len());
    }
}
