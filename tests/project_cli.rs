//! `baton.toml`: raw CRM exports run without a script and give the results
//! of the clean files; `baton run` runs jobs; names work where paths go;
//! every problem of a project file is reported at once, placed.

mod common;
use common::*;

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch copy of `policies/` (policies, samples, baton.toml).
fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baton-project-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy(&root().join("policies"), &dir);
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        let name = e.file_name();
        if name == "out" {
            continue;
        }
        if p.is_dir() {
            copy(&p, &to.join(name));
        } else {
            std::fs::copy(&p, to.join(name)).expect("copy");
        }
    }
}

#[test]
fn baton_run_gives_the_clean_inputs_results_for_the_raw_exports() {
    let dir = project("run");
    let (out, err, code) = baton_in(&dir, &["run", "--quiet"], None);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    // The HubSpot export gives what the clean leads give, byte for byte.
    let (clean, err, code) = baton_in(
        &dir,
        &[
            "qualify",
            "--policy",
            "qualification",
            "--as-of",
            "2026-11-02",
            "--format",
            "csv",
            "samples/leads.jsonl",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let mapped = std::fs::read_to_string(dir.join("out/qualified.csv")).expect("job output");
    assert!(
        mapped == clean,
        "the mapped export differs from the clean leads"
    );
    // The Salesforce export gives the ledger of the clean deals.
    let (ledger, err, code) = baton_in(
        &dir,
        &[
            "clawback",
            "--policy",
            "commission",
            "--deals",
            "samples/deals.csv",
            "--events",
            "samples/deal_events.csv",
            "--as-of",
            "2026-11-30",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let mapped = std::fs::read_to_string(dir.join("out/ledger.csv")).expect("job output");
    assert!(mapped == ledger, "the mapped deals give another ledger");
    for f in [
        "qualified-summary.csv",
        "health.jsonl",
        "health-summary.csv",
        "sla.jsonl",
        "sla-summary.csv",
        "ledger-summary.csv",
    ] {
        assert!(dir.join("out").join(f).is_file(), "{f}");
    }
    // One job by name, from a directory below the project file.
    std::fs::remove_dir_all(dir.join("out")).expect("clean");
    let (_, err, code) = baton_in(&dir.join("samples"), &["run", "handoff_sla"], None);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("job `handoff_sla`: sla --policy"), "{err}");
    assert!(dir.join("out/sla.jsonl").is_file());
    assert!(!dir.join("out/qualified.csv").exists());
    let (_, err, code) = baton_in(&dir, &["run", "weekly_qualifcation"], None);
    assert_eq!(code, 2);
    assert!(err.contains("no job `weekly_qualifcation`"), "{err}");
    // An input name on a plain command applies its mapping.
    let (out, err, code) = baton_in(
        &dir,
        &[
            "qualify",
            "--policy",
            "qualification",
            "--as-of",
            "2026-11-02",
            "hubspot_leads",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(jsonl(&out).len(), 3_000);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_cell_no_conversion_reads_is_that_records_error_line() {
    let dir = project("cells");
    let path = dir.join("samples/hubspot_contacts.csv");
    let text = std::fs::read_to_string(&path).expect("export");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[1] = lines[1].replace("10/24/2026", "24.10.2026");
    lines[2] = lines[2].replace(",No,", ",Maybe,");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    let (out, err, code) = baton_in(
        &dir,
        &[
            "qualify",
            "--policy",
            "qualification",
            "--as-of",
            "2026-11-02",
            "hubspot_leads",
        ],
        None,
    );
    assert_eq!(code, 1, "{err}");
    let r = jsonl(&out);
    assert_eq!(r.len(), 3_000);
    assert_eq!(r[0]["line"], 2);
    // The key converted: the error line names it.
    assert_eq!(r[0]["key"], "L-000001");
    assert_eq!(
        r[0]["error"],
        "column `Create Date` (field `created`): \"24.10.2026\" is not a date in `%m/%d/%Y`"
    );
    assert_eq!(r[1]["line"], 3);
    assert!(
        r[1]["error"].as_str().is_some_and(|e| e.starts_with(
            "column `Decision Maker?` (field `decision_maker`): \"Maybe\" is not one of"
        )),
        "{}",
        r[1]
    );
    assert!(r[2]["error"].is_null(), "{}", r[2]);
    // A deal of the Salesforce export whose commission is in another
    // currency: its error line names the deal and the rep.
    let deals = dir.join("samples/salesforce_opportunities.csv");
    let text = std::fs::read_to_string(&deals).expect("export");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[1] = lines[1].replacen("\"$", "\"€", 1);
    std::fs::write(&deals, lines.join("\n") + "\n").expect("write");
    let (out, err, code) = baton_in(
        &dir,
        &[
            "clawback",
            "--policy",
            "commission",
            "--deals",
            "salesforce_deals",
            "--events",
            "deal_events",
            "--as-of",
            "2026-11-30",
        ],
        None,
    );
    assert_eq!(code, 1, "{err}");
    let bad = out
        .lines()
        .find(|l| l.contains(",error,"))
        .expect("an error line");
    assert!(
        bad.starts_with("D-000001,jonas,") && bad.contains("is written in EUR, not in USD"),
        "{bad}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_problem_of_a_project_file_is_reported_at_once_and_placed() {
    let dir = project("errors");
    std::fs::write(
        dir.join("baton.toml"),
        r#"[policies]
qualification = "qualification"

[inputs.raw]
path = "samples/hubspot_contacts.csv"
record = "lead"
colour = "blue"
[inputs.raw.fields]
id = "Record ID"
budget = { column = "Annual Budget", currency = "DOLLARS" }
created = { column = "Create Date", date_format = "%Q" }
timeline = { column = "Timeline (days)", unit = "fortnights" }

[jobs.weekly]
run = "qualify"
policy = "qualifcation"
input = "raw"
as_of = "last monday"

[jobs.other]
run = "score"
policy = "qualification"
input = "missing"
"#,
    )
    .expect("write");
    let (out, err, code) = baton_in(&dir, &["check", "baton.toml"], None);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    for (place, what) in [
        ("baton.toml:7:1", "unknown key `colour` in input `raw`"),
        (
            "baton.toml:10:49",
            "`DOLLARS` is not an ISO 4217 currency code",
        ),
        ("baton.toml:11:51", "`%Q` is not a strftime format"),
        (
            "baton.toml:12:49",
            "unit `fortnights` is not one of s, m, h, d, w",
        ),
        (
            "baton.toml:16:10",
            "job `weekly` names policy `qualifcation`, which `[policies]` does not",
        ),
        (
            "baton.toml:18:9",
            "`as_of` = `last monday` is neither `today` nor a date",
        ),
        ("baton.toml:21:7", "`score` is not a command a job runs"),
        (
            "baton.toml:23:9",
            "job `other` names input `missing`, which `[inputs]` does not",
        ),
    ] {
        assert!(err.contains(what), "{what}:\n{err}");
        assert!(err.contains(place), "{place} for {what}:\n{err}");
    }
    assert!(err.contains("did you mean `qualification`?"), "{err}");
    assert!(err.contains("failed its check (8 errors)"), "{err}");
    // Problems that need the policy and the export: a field the record
    // lacks, a column the header lacks, a record the policy lacks.
    std::fs::write(
        dir.join("baton.toml"),
        r#"[policies]
qualification = "qualification"

[inputs.raw]
path = "samples/hubspot_contacts.csv"
record = "lead"
[inputs.raw.fields]
id = "Record ID"
budgte = "Annual Budget"
created = "Created On"

[inputs.other]
path = "samples/hubspot_contacts.csv"
record = "account"
[inputs.other.fields]
id = "Record ID"

[jobs.a]
run = "qualify"
policy = "qualification"
input = "raw"

[jobs.b]
run = "qualify"
policy = "qualification"
input = "other"
"#,
    )
    .expect("write");
    let (_, err, code) = baton_in(&dir, &["check", "baton.toml"], None);
    assert_eq!(code, 2, "{err}");
    for (place, what) in [
        (
            "baton.toml:9:1",
            "record `lead` has no field `budgte` (did you mean `budget`?)",
        ),
        (
            "baton.toml:10:1",
            "column `Created On` (for field `created`) is not in the header",
        ),
        (
            "baton.toml:12:9",
            "input `other` fills record `account`, which policy `qualification` does not declare",
        ),
    ] {
        assert!(err.contains(what), "{what}:\n{err}");
        assert!(err.contains(place), "{place} for {what}:\n{err}");
    }
    // `baton run` refuses to run a project file that fails its check.
    let (_, err, code) = baton_in(&dir, &["run"], None);
    assert_eq!(code, 2, "{err}");
    assert!(!dir.join("out").exists());
    // Not TOML at all.
    std::fs::write(dir.join("baton.toml"), "[policies\nx = 1\n").expect("write");
    let (_, err, code) = baton_in(&dir, &["check", "baton.toml"], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("not valid TOML") && err.contains("baton.toml:1:"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn without_a_project_file_run_says_so() {
    let dir = std::env::temp_dir().join(format!("baton-project-none-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let (_, err, code) = baton_in(&dir, &["run"], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("no baton.toml here or in a directory above"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn baton_run_goes_on_after_a_job_with_errors_and_exits_with_the_worst() {
    let dir = project("worst");
    let path = dir.join("samples/hubspot_contacts.csv");
    let text = std::fs::read_to_string(&path).expect("export");
    std::fs::write(&path, text.replacen("10/24/2026", "someday", 1)).expect("write");
    let (_, err, code) = baton_in(&dir, &["run", "--quiet"], None);
    assert_eq!(code, 1, "{err}");
    for f in ["qualified.csv", "health.jsonl", "sla.jsonl", "ledger.csv"] {
        assert!(dir.join("out").join(f).is_file(), "{f}");
    }
    let q = std::fs::read_to_string(dir.join("out/qualified.csv")).expect("output");
    assert!(
        q.contains("\nL-000001,,,,,,,\"column `Create Date` (field `created`): \"\"someday\"\" is not a date in `%m/%d/%Y`\",2\n"),
        "{q}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn each_job_reads_its_own_input_with_its_own_mapping() {
    let dir = std::env::temp_dir().join(format!("baton-project-own-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).expect("mkdir");
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    std::fs::write(
        dir.join("p.baton"),
        "policy \"p\" version 1 effective 2026-01-01\nrecord r key id {\n  id: text\n  budget: money\n}\n\
         qualify r {\n  stage euro when currency(budget) == \"EUR\"\n}\n",
    )
    .expect("write");
    std::fs::write(dir.join("data/z.csv"), "ID,Budget\nA,100\n").expect("write");
    // A stale file named like the input, in the directory `run` starts in.
    std::fs::write(dir.join("sub/z"), "ID,Budget\nSTALE,1\n").expect("write");
    std::fs::write(
        dir.join("baton.toml"),
        r#"[policies]
p = "p.baton"

[inputs.eu]
path = "data/z.csv"
record = "r"
[inputs.eu.fields]
id = "ID"
budget = { column = "Budget", currency = "EUR" }

[inputs.z]
path = "data/z.csv"
record = "r"
[inputs.z.fields]
id = "ID"
budget = { column = "Budget", currency = "USD" }

[jobs.a]
run = "qualify"
policy = "p"
input = "eu"
as_of = "2026-11-02"
output = "out/a.jsonl"

[jobs.b]
run = "qualify"
policy = "p"
input = "z"
as_of = "2026-11-02"
output = "out/b.jsonl"
"#,
    )
    .expect("write");
    let (_, err, code) = baton_in(&dir.join("sub"), &["run", "--quiet"], None);
    assert_eq!(code, 0, "{err}");
    let a = jsonl(&std::fs::read_to_string(dir.join("out/a.jsonl")).expect("a"));
    let b = jsonl(&std::fs::read_to_string(dir.join("out/b.jsonl")).expect("b"));
    assert_eq!(
        (a[0]["key"].as_str(), a[0]["stage"].as_str()),
        (Some("A"), Some("euro"))
    );
    assert_eq!(
        (b[0]["key"].as_str(), b[0]["stage"].as_str()),
        (Some("A"), None),
        "{b:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_project_file_of_another_name_is_checked_as_one() {
    let dir = project("othername");
    std::fs::copy(dir.join("baton.toml"), dir.join("nightly.toml")).expect("copy");
    let (out, err, code) = baton_in(&dir, &["check", "nightly.toml"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("nightly.toml: ok (4 policies"), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}
