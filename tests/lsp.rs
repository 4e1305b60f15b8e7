//! `baton lsp` driven as an editor drives it: initialize, open, change,
//! hover, definition, references, completion, formatting, code actions,
//! code lenses, run a test, shutdown, exit. Positions are UTF-16.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

struct Client {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    next: i64,
    /// Notifications read while waiting for a response.
    pending: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("baton lsp starts");
        let input = child.stdin.take().expect("stdin");
        let output = BufReader::new(child.stdout.take().expect("stdout"));
        Client {
            child,
            input,
            output,
            next: 1,
            pending: Vec::new(),
        }
    }

    fn send(&mut self, v: &Value) {
        let body = v.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.input.flush().expect("flush");
    }

    fn read(&mut self) -> Value {
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            self.output.read_line(&mut line).expect("a header");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                len = n.parse().expect("a length");
            }
        }
        let mut body = vec![0u8; len];
        self.output.read_exact(&mut body).expect("a body");
        serde_json::from_slice(&body).expect("JSON")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.read();
            if m["id"] == id {
                return m["result"].clone();
            }
            self.pending.push(m);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next notification of `method`.
    fn notification(&mut self, method: &str) -> Value {
        if let Some(i) = self.pending.iter().position(|m| m["method"] == method) {
            return self.pending.remove(i)["params"].clone();
        }
        loop {
            let m = self.read();
            if m["method"] == method {
                return m["params"].clone();
            }
            self.pending.push(m);
        }
    }
}

const URI: &str = "file:///work/lead.baton";

/// `é` and an emoji stand before the misspelled field: UTF-16 columns.
const TEXT: &str = "policy \"p\" version 1 effective 2026-01-01\n\
record lead key id {\n  id: text\n  seats: int\n}\n\
# café 🎉\n\
qualify lead {\n  stage big when /* x */ seats >= 50\n}\n";

#[test]
fn an_editor_session() {
    // A comment syntax the language lacks, then a misspelling: first the
    // clean file with the accented comment.
    let text = TEXT.replace("/* x */ ", "");
    let mut c = Client::start();
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    assert_eq!(init["capabilities"]["hoverProvider"], true, "{init}");
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "baton", "version": 1, "text": text}}),
    );
    let d = c.notification("textDocument/publishDiagnostics");
    assert_eq!(d["diagnostics"], json!([]), "{d}");

    // A misspelled field after `é` and `🎉` on the line above, and an
    // emoji on its own line before it: columns in UTF-16.
    let broken = text.replace(
        "stage big when seats >= 50",
        "stage big when \"🎉\" != \"x\" and seat >= 50",
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": broken}]}),
    );
    let d = c.notification("textDocument/publishDiagnostics");
    let diags = d["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diags.len(), 1, "{d}");
    let diag = &diags[0];
    assert_eq!(diag["code"], "E0101");
    let line = broken
        .lines()
        .position(|l| l.contains("seat >="))
        .expect("the line") as u64;
    let in_line = broken.lines().nth(line as usize).expect("line");
    let byte = in_line.find("seat >=").expect("seat");
    let utf16 = in_line[..byte].encode_utf16().count() as u64;
    assert_ne!(utf16 as usize, byte, "the emoji makes them differ");
    assert_eq!(
        diag["range"]["start"],
        json!({"line": line, "character": utf16})
    );
    assert_eq!(
        diag["range"]["end"],
        json!({"line": line, "character": utf16 + 4})
    );
    assert!(
        diag["message"]
            .as_str()
            .is_some_and(|m| m.contains("did you mean `seats`?")),
        "{diag}"
    );

    // Hover on the diagnostic explains its code; the quick fix writes the
    // suggested name.
    let pos = json!({"line": line, "character": utf16 + 1});
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": pos}),
    );
    assert!(
        h["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.starts_with("**E0101**: an unknown name")),
        "{h}"
    );
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": diag["range"], "context": {"diagnostics": [diag]}}),
    );
    let edit = &actions[0]["edit"]["changes"][URI][0];
    assert_eq!(edit["newText"], "seats", "{actions}");
    assert_eq!(edit["range"], diag["range"]);

    // Back to the clean text: hover, definition, references, completion.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"text": text}]}),
    );
    let d = c.notification("textDocument/publishDiagnostics");
    assert_eq!(d["diagnostics"], json!([]));
    let use_line = text
        .lines()
        .position(|l| l.contains("seats >="))
        .expect("use") as u64;
    let use_col = text
        .lines()
        .nth(use_line as usize)
        .and_then(|l| l.find("seats"))
        .expect("col") as u64;
    let at = json!({"textDocument": {"uri": URI}, "position": {"line": use_line, "character": use_col + 2}});
    let h = c.request("textDocument/hover", at.clone());
    assert!(
        h["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("seats: int (record lead)")),
        "{h}"
    );
    let def = c.request("textDocument/definition", at.clone());
    assert_eq!(
        def["range"]["start"],
        json!({"line": 3, "character": 2}),
        "{def}"
    );
    let mut refs_params = at.clone();
    refs_params["context"] = json!({"includeDeclaration": true});
    let refs = c.request("textDocument/references", refs_params);
    assert_eq!(refs.as_array().map(Vec::len), Some(2), "{refs}");
    let comp = c.request("textDocument/completion", at);
    let items = comp.as_array().expect("items");
    let seats = items
        .iter()
        .find(|i| i["label"] == "seats")
        .expect("the field");
    assert_eq!(seats["detail"], "seats: int (record lead)");
    // Keywords of the block the cursor is in: a stage, not a record.
    assert!(items
        .iter()
        .any(|i| i["label"] == "stage" && i["kind"] == 14));
    assert!(!items.iter().any(|i| i["label"] == "record"), "{comp}");
    // At the top level: block keywords, and no field names.
    let top = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": {"line": 0, "character": 0}}),
    );
    let top = top.as_array().expect("items");
    assert!(top.iter().any(|i| i["label"] == "record"));
    assert!(
        !top.iter()
            .any(|i| i["label"] == "seats" || i["label"] == "stage"),
        "{top:?}"
    );

    // Formatting gives the canonical layout.
    let messy = text.replace("  seats: int", "\t      seats: int");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 4}, "contentChanges": [{"text": messy}]}),
    );
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits[0]["newText"], text.as_str(), "{edits}");

    // A test block: a lens, and running it.
    let with_test = format!(
        "{text}test \"a big lead\" {{\n  given lead {{ id: \"a\", seats: 80 }}\n  at 2026-11-02\n  expect stage big\n}}\n"
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 5}, "contentChanges": [{"text": with_test}]}),
    );
    let lenses = c.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": URI}}),
    );
    let cmd = &lenses[0]["command"];
    assert_eq!(cmd["command"], "baton.runTest", "{lenses}");
    let said = c.request(
        "workspace/executeCommand",
        json!({"command": "baton.runTest", "arguments": cmd["arguments"]}),
    );
    assert_eq!(said, "test \"a big lead\": ok");

    let done = c.request("shutdown", Value::Null);
    assert_eq!(done, Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().expect("exits");
    assert!(status.success());
}

#[test]
fn a_file_of_a_policy_directory_is_checked_with_its_sibling_versions() {
    let dir = std::env::temp_dir().join(format!("baton-lsp-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    // A space in the directory's name: the URI writes it `%20`.
    let dir = dir.join("my pol");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let v1 = "policy \"p\" version 1 effective 2026-01-01\n";
    std::fs::write(dir.join("v1.baton"), v1).expect("write");
    // The open v2 claims version 1 too: only the directory says so.
    let v2 = "policy \"p\" version 1 effective 2026-06-01\n";
    std::fs::write(dir.join("v2.baton"), v2).expect("write");
    let uri = format!("file://{}", dir.join("v2.baton").display()).replace(' ', "%20");
    let mut c = Client::start();
    c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "baton", "version": 1, "text": v2}}),
    );
    let d = c.notification("textDocument/publishDiagnostics");
    let diags = d["diagnostics"].as_array().expect("diagnostics");
    assert!(diags.iter().any(|x| x["code"] == "E0501"), "{d}");
    // An unknown method is said to be one.
    let id = c.next;
    c.next += 1;
    c.send(
        &json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/prepareRename", "params": {}}),
    );
    let reply = loop {
        let m = c.read();
        if m["id"] == id {
            break m;
        }
    };
    assert_eq!(reply["error"]["code"], -32601, "{reply}");
    // Fixed in the editor (not yet saved): clean.
    let fixed = v2.replace("version 1", "version 2");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let d = c.notification("textDocument/publishDiagnostics");
    assert_eq!(d["diagnostics"], json!([]), "{d}");
    // Broken again, then closed: its problems leave with it.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": v2}]}),
    );
    let d = c.notification("textDocument/publishDiagnostics");
    assert_ne!(d["diagnostics"], json!([]), "{d}");
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    let d = c.notification("textDocument/publishDiagnostics");
    assert_eq!(d["diagnostics"], json!([]), "{d}");
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().expect("exits").success());
    std::fs::remove_dir_all(dir.parent().unwrap_or(&dir)).ok();
}
