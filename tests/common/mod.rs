//! Helpers shared by the CLI tests: run the binary, compare outputs the way
//! `shared/examples/README.md` says to.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// `../shared/examples/NAME`.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/examples")
        .join(name)
}

/// Runs `baton ARGS` in `dir` with `stdin`; returns (stdout, stderr, exit code).
pub fn baton_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> (String, String, i32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("baton runs");
    // Standard input is written on a thread of its own, so that a large
    // input and a large output never wait on each other; a run that stops
    // before reading it all (a broken policy, exit 2) closes the pipe, which
    // is not the test's failure.
    let writer = stdin.map(|input| {
        let mut pipe = child.stdin.take().expect("stdin");
        let input = input.to_string();
        std::thread::spawn(move || {
            use std::io::Write;
            match pipe.write_all(input.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.expect("write stdin"),
            }
        })
    });
    let out = child.wait_with_output().expect("baton finishes");
    if let Some(w) = writer {
        w.join().expect("stdin writer");
    }
    (
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
        out.status.code().unwrap_or(-1),
    )
}

/// Parses JSON lines.
pub fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

/// Compares outputs as the examples' README says: parsed JSON values;
/// error objects by `line` and `key`/`handoff` (the wording is free).
pub fn assert_same_results(got: &[Value], want: &[Value]) {
    assert_eq!(got.len(), want.len(), "number of results\n got: {got:#?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if w.get("error").is_some() {
            assert!(
                g.get("error")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty()),
                "result {i}: expected an error, got {g}"
            );
            assert_eq!(g.get("line"), w.get("line"), "result {i}: line");
            for k in ["key", "handoff"] {
                if w.get(k).is_some() {
                    assert_eq!(g.get(k), w.get(k), "result {i}: {k}");
                }
            }
        } else {
            assert_eq!(g, w, "result {i}");
        }
    }
}

/// Runs an example's command and compares with `expected.jsonl`.
pub fn check_jsonl_example(name: &str, args: &[&str], exit: i32) {
    let dir = example(name);
    let (out, err, code) = baton_in(&dir, args, None);
    assert_eq!(code, exit, "exit status; stderr: {err}");
    let want = jsonl(&std::fs::read_to_string(dir.join("expected.jsonl")).expect("expected.jsonl"));
    assert_same_results(&jsonl(&out), &want);
}

/// `baton ARGS` started in `dir` with no standard input and its output on
/// pipes.
fn spawn_quiet(dir: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baton runs")
}

/// Runs `baton ARGS` in `dir` with no standard input, killing it after
/// `secs` seconds; returns (stdout, stderr, exit code), the code `-1` when
/// it was killed (a hang) or ended by a signal.
pub fn baton_timed(dir: &Path, args: &[&str], secs: u64) -> (String, String, i32) {
    let mut child = spawn_quiet(dir, args);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("baton finishes");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Runs `baton ARGS` in `dir` with its standard output on a pipe that is
/// closed after reading `keep` lines of it (0: closed before baton
/// writes); returns (the lines read, stderr, exit code).
pub fn baton_closing_stdout(dir: &Path, args: &[&str], keep: usize) -> (Vec<String>, String, i32) {
    use std::io::BufRead;
    let mut child = spawn_quiet(dir, args);
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    if keep > 0 {
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        while lines.len() < keep && reader.read_line(&mut line).expect("read stdout") > 0 {
            lines.push(std::mem::take(&mut line));
        }
    } else {
        drop(stdout);
    }
    let out = child.wait_with_output().expect("baton finishes");
    (
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}
