//! The house points one way: every module of `src/` imports only modules
//! of layers below its own, and no two files of one module import each
//! other, directly or around a circle. Read from the `use` statements and
//! `crate::…` paths of the source (test modules excluded), so a new upward
//! import fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import modules of lower layers
/// only (and itself).
const LAYERS: &[&[&str]] = &[
    // foundation: values, records and their input and output
    &["span", "stack", "value", "batch", "format", "json"],
    &["diag", "record"],
    &["codes"],
    &["io"],
    // source → AST
    &["syntax"],
    &["outline"],
    // the compiled, immutable form of every block, and its evaluator
    &["program"],
    // names, types, slots: builds the program
    &["check"],
    // the domain engines
    &["explain"],
    &["score"],
    &["qualify", "health", "sla", "clawback"],
    &["testing", "tally"],
    // the façade
    &["policy"],
    &["diff", "project"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The source of a file without its `#[cfg(test)]` items (a test module
/// may use what it likes to build its cases).
fn non_test_source(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            // Skip the item that follows: up to its closing brace at the
            // same indentation, or a one-line item.
            let indent = line.len() - line.trim_start().len();
            for next in lines.by_ref() {
                let t = next.trim_start();
                let ind = next.len() - t.len();
                if t.ends_with(';') && ind == indent && !t.starts_with("mod ") {
                    break;
                }
                if t.starts_with("mod ") && t.ends_with(';') {
                    break;
                }
                if ind == indent && t.starts_with('}') {
                    break;
                }
            }
            continue;
        }
        if line.trim_start().starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every `crate::a::b…` and `super::…` path named in `text`, with `use`
/// groups expanded one level (`use crate::a::{b, c}` names `a::b`, `a::c`).
fn paths(text: &str) -> Vec<(bool, Vec<String>)> {
    let mut found = Vec::new();
    let bytes: Vec<char> = text.chars().collect();
    let s: String = bytes.iter().collect();
    for (start, root) in [("crate::", false), ("super::", true)] {
        let mut from = 0;
        while let Some(i) = s[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            // `crate::` preceded by an identifier character is another path.
            if s[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            let rest = &s[at + start.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{'))
                .unwrap_or(rest.len());
            let path = &rest[..end];
            if let Some((head, _)) = path.split_once('{') {
                let group_end = rest.find('}').unwrap_or(rest.len());
                let group = &rest[head.len() + 1..group_end];
                for item in group.split(',') {
                    let item = item.trim().split("::").next().unwrap_or("").trim();
                    let item = item.split_whitespace().next().unwrap_or("");
                    if item.is_empty() || item == "self" {
                        continue;
                    }
                    let full: Vec<String> = head
                        .split("::")
                        .filter(|p| !p.is_empty())
                        .map(String::from)
                        .chain([item.to_string()])
                        .collect();
                    found.push((root, full));
                }
                let base: Vec<String> = head
                    .split("::")
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect();
                if !base.is_empty() {
                    found.push((root, base));
                }
            } else {
                let parts: Vec<String> = path
                    .split("::")
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect();
                found.push((root, parts));
            }
        }
    }
    found
}

/// The module path of a file: `src/clawback/engine.rs` → `clawback::engine`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The file a module path names, trying the longest prefix first.
fn file_of(files: &BTreeMap<Vec<String>, PathBuf>, path: &[String]) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| files.contains_key(p))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

struct House {
    /// Module path of each library file.
    files: BTreeMap<Vec<String>, PathBuf>,
    /// File → files it imports (by module path).
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
}

fn house() -> House {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    rust_files(&src, &mut all);
    let mut files = BTreeMap::new();
    for f in &all {
        let m = module_of(&src, f);
        // The binary's modules are not part of the library.
        if m.first().is_some_and(|p| p == "cli" || p == "main") {
            continue;
        }
        files.insert(m, f.clone());
    }
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, path) in &files {
        let text = non_test_source(&std::fs::read_to_string(path).expect("readable"));
        let is_mod_rs = path.ends_with("mod.rs") || path.ends_with("lib.rs");
        let parent: Vec<String> = if is_mod_rs {
            module.clone()
        } else {
            module[..module.len().saturating_sub(1)].to_vec()
        };
        for (relative, p) in paths(&text) {
            let full: Vec<String> = if relative {
                let up = if is_mod_rs {
                    parent[..parent.len().saturating_sub(1)].to_vec()
                } else {
                    parent.clone()
                };
                up.into_iter().chain(p).collect()
            } else {
                p
            };
            if let Some(target) = file_of(&files, &full) {
                if &target != module {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
    }
    House { files, edges }
}

#[test]
fn every_module_imports_only_layers_below_it() {
    let h = house();
    let mut wrong = Vec::new();
    for (from, targets) in &h.edges {
        let Some(top) = from.first() else { continue }; // lib.rs re-exports
        let Some(mine) = layer_of(top) else {
            wrong.push(format!("`{top}` is in no layer: add it to LAYERS"));
            continue;
        };
        for t in targets {
            let Some(theirs) = t.first() else { continue };
            if theirs == top {
                continue;
            }
            match layer_of(theirs) {
                Some(l) if l < mine => {}
                _ => wrong.push(format!(
                    "{} imports {} (layer of `{top}` is not above `{theirs}`)",
                    from.join("::"),
                    t.join("::")
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
    // The check reads something: the façade imports the engines.
    assert!(h
        .edges
        .get(&vec!["policy".to_string()])
        .is_some_and(|t| t.len() > 3));
}

#[test]
fn no_two_files_import_each_other_around_a_circle() {
    let h = house();
    // Edges from a file to its own module's mod.rs (the parent that
    // declares and re-exports it) are how Rust names siblings: left out.
    let edge = |a: &Vec<String>, b: &Vec<String>| {
        let nested = |outer: &Vec<String>, inner: &Vec<String>| {
            outer.len() < inner.len() && inner.starts_with(outer)
        };
        !nested(a, b) && !nested(b, a)
    };
    let mut circles = Vec::new();
    for start in h.files.keys() {
        // Depth-first search for a path back to `start`.
        let mut stack: Vec<(Vec<String>, Vec<Vec<String>>)> = vec![(start.clone(), vec![])];
        let mut seen = BTreeSet::new();
        while let Some((at, trail)) = stack.pop() {
            for next in h.edges.get(&at).into_iter().flatten() {
                if !edge(&at, next) {
                    continue;
                }
                if next == start {
                    let mut c: Vec<String> =
                        trail.iter().chain([&at]).map(|m| m.join("::")).collect();
                    c.push(start.join("::"));
                    circles.push(c.join(" → "));
                } else if seen.insert(next.clone()) {
                    let mut t = trail.clone();
                    t.push(at.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn no_file_of_the_library_is_over_800_lines() {
    let h = house();
    let long: Vec<String> = h
        .files
        .values()
        .filter_map(|p| {
            let n = std::fs::read_to_string(p).ok()?.lines().count();
            (n > 800).then(|| format!("{}: {n} lines", p.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over 800 lines:\n{}",
        long.join("\n")
    );
}
