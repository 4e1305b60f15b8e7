//! Large JSON-lines and JSON array inputs are evaluated on several
//! threads; the output must be exactly that of the sequential path
//! (`BATON_THREADS=1`), in input order, error objects included.

#[path = "support/samples.rs"]
mod samples;

mod common;

use std::path::Path;

#[test]
fn many_batches_keep_input_order_and_equal_the_sequential_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("baton-parallel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // 3,000 leads (several batches), with broken lines, blank lines and
    // invalid UTF-8 spread through them.
    let mut jsonl: Vec<u8> = Vec::new();
    let mut array: Vec<String> = Vec::new();
    for (i, line) in samples::leads(3_000, 99).lines().enumerate() {
        match i % 701 {
            5 => {
                jsonl.extend_from_slice(b"{\"id\": \"broken\", \n");
                array.push("{\"id\": \"broken\"}".into());
            }
            6 => jsonl.extend_from_slice(b"\n"),
            7 => jsonl.extend_from_slice(b"{\"id\": \"\xff\xfe\"}\n"),
            _ => {}
        }
        jsonl.extend_from_slice(line.as_bytes());
        jsonl.push(b'\n');
        array.push(line.to_string());
    }
    std::fs::write(dir.join("leads.jsonl"), &jsonl).expect("write");
    std::fs::write(dir.join("leads.json"), format!("[{}]", array.join(",\n"))).expect("write");
    let policy = root.join("policies/qualification");
    let policy = policy.to_str().expect("utf-8 path");
    let run = |input: &str, format: &str| {
        common::baton_in(
            &dir,
            &[
                "qualify",
                "--policy",
                policy,
                "--as-of",
                "2026-11-02",
                "--format",
                format,
                input,
            ],
            None,
        )
    };
    let (par, err, code) = run("leads.jsonl", "jsonl");
    assert_eq!(code, 1, "broken lines are errors: {err}");
    let par = common::jsonl(&par);
    let errors: Vec<&serde_json::Value> = par.iter().filter(|r| r.get("error").is_some()).collect();
    // 5 lines of each kind of breakage (i = 5, 706, 1407, 2108, 2809), blank lines not counted.
    assert_eq!(errors.len(), 10, "{errors:#?}");
    let results: Vec<&serde_json::Value> =
        par.iter().filter(|r| r.get("error").is_none()).collect();
    assert_eq!(results.len(), 3_000);
    // Error lines name their physical line, in increasing order.
    let lines: Vec<u64> = errors
        .iter()
        .map(|e| e["line"].as_u64().expect("line"))
        .collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
    // The same results as the JSON array, in the same order.
    let (seq, _, _) = run("leads.json", "jsonl");
    let seq: Vec<serde_json::Value> = common::jsonl(&seq)
        .into_iter()
        .filter(|r| r.get("error").is_none())
        .collect();
    assert_eq!(results.len(), seq.len());
    for (a, b) in results.iter().zip(&seq) {
        assert_eq!(*a, b);
    }
    // The JSON array and CSV outputs of the parallel path are well formed
    // and hold one element or row per input record.
    let (json, _, _) = run("leads.jsonl", "json");
    let json: Vec<serde_json::Value> = serde_json::from_str(&json).expect("a JSON array");
    assert_eq!(json.len(), 3_010);
    let (csv_out, _, _) = run("leads.jsonl", "csv");
    assert_eq!(csv_out.lines().count(), 3_011);
}

/// The sequential path (`BATON_THREADS=1`) and the threads give the same
/// bytes, for JSON lines and for a JSON array with broken elements in
/// several of its batches.
#[test]
fn threads_and_the_sequential_path_write_the_same_bytes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("baton-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut elements: Vec<String> = Vec::new();
    let mut lines = String::new();
    for (i, line) in samples::leads(2_500, 7).lines().enumerate() {
        if i % 613 == 3 {
            elements.push("{\"id\": tru}".into());
            elements.push(String::new());
            lines.push_str("{\"id\": tru}\n");
        }
        elements.push(line.to_string());
        lines.push_str(line);
        lines.push('\n');
    }
    std::fs::write(dir.join("a.json"), format!("[{}", elements.join(",\n"))).expect("write");
    std::fs::write(dir.join("l.jsonl"), &lines).expect("write");
    let policy = root.join("policies/qualification");
    let run = |input: &str, threads: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["qualify", "--policy", policy.to_str().unwrap_or_default()])
            .args(["--as-of", "2026-11-02", input])
            .current_dir(&dir)
            .env("BATON_THREADS", threads)
            .output()
            .expect("baton runs");
        (out.stdout, out.status.code())
    };
    for input in ["a.json", "l.jsonl"] {
        let (one, c1) = run(input, "1");
        let (two, c2) = run(input, "2");
        assert_eq!((c1, c2), (Some(1), Some(1)), "{input}");
        assert!(
            one == two,
            "{input}: the threads differ from the sequential path"
        );
        let text = String::from_utf8_lossy(&one).to_string();
        // Broken elements, empty ones, and the array cut short at its end.
        let errors = text.lines().filter(|l| l.contains("\"error\"")).count();
        let want = if input == "a.json" { 5 + 5 + 1 } else { 5 };
        assert_eq!(errors, want, "{input}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Converting JSON text gives exactly the record (or the error) of the
/// general path through a parsed `serde_json::Value`, for clean records
/// (converted straight from the text) and for everything else.
#[test]
fn json_text_conversion_agrees_with_the_general_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = baton::PolicySet::load(&root.join("policies/qualification")).expect("policy");
    let policy = set.latest().expect("a version");
    let schema = policy.qualify_schema().expect("schema");
    let mut converted = 0;
    for line in samples::leads(2_000, 5).lines() {
        let general = schema.from_json(&serde_json::from_str(line).expect("json"));
        let text = schema.from_json_str(line);
        assert_eq!(text, general, "{line}");
        converted += usize::from(text.is_ok());
    }
    assert!(converted > 1_500, "{converted}");
    for odd in [
        r#"{"id": "L-1", "company": "A", "industry": "saas", "employees": 10, "features": [], "source": "web", "created": "2026-10-01", "extra": {"nested": [1, 2]}}"#,
        r#"{"id": "L-1", "id": "L-2", "company": "A", "industry": "saas", "employees": 10, "features": [], "source": "web", "created": "2026-10-01"}"#,
        r#"{"i\u0064": "L-1", "company": "A", "industry": "saas", "employees": 10, "features": [], "source": "web", "created": "2026-10-01"}"#,
        r#"{"id": "L-1", "company": "A", "industry": "saas", "employees": "ten", "features": [], "source": "web", "created": "2026-10-01"}"#,
        r#"{"id": "L-1"}"#,
    ] {
        let general = schema.from_json(&serde_json::from_str(odd).expect("json"));
        assert_eq!(schema.from_json_str(odd), general, "{odd}");
    }
    for not_json in [r#"{"id": "L-1"} trailing"#, ""] {
        assert!(schema.from_json_str(not_json).is_err(), "{not_json}");
    }
}
