//! The project file, `baton.toml`: names for policies, CRM and billing
//! exports mapped onto declared records, and jobs that one command runs.
//!
//! ```toml
//! [policies]
//! qualification = "qualification"          # relative to baton.toml
//!
//! [inputs.hubspot_leads]
//! path = "exports/hubspot-contacts.csv"
//! record = "lead"
//! [inputs.hubspot_leads.fields]
//! id = "Record ID"
//! budget = { column = "Annual Budget", currency = "USD" }
//!
//! [jobs.weekly_qualification]
//! run = "qualify"
//! policy = "qualification"
//! input = "hubspot_leads"
//! output = "out/qualified.csv"
//! ```
//!
//! Reading the file reports every problem at once, each at its
//! file:line:col ([`Manifest::load`]); [`Manifest::check`] then loads the
//! policies and checks each mapping against its record and its export's
//! header.

mod parse;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::io::mapping::FieldMap;
use crate::span::Span;

pub use parse::MANIFEST;

/// A named input: a file, and optionally the record its columns fill.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDef {
    /// Its name in the manifest.
    pub name: String,
    /// The file, resolved against the manifest's directory.
    pub path: PathBuf,
    /// The record type its columns fill (with `fields`).
    pub record: Option<String>,
    /// How each field is read (empty: the file's own names are the
    /// fields').
    pub fields: Vec<FieldMap>,
    /// Where the input's table is.
    pub span: Span,
    /// Where each field mapping is, by field.
    pub field_spans: Vec<Span>,
}

/// What a job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// `qualify`.
    Qualify,
    /// `health`.
    Health,
    /// `sla`.
    Sla,
    /// `clawback`.
    Clawback,
}

impl JobKind {
    /// The command's name.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Qualify => "qualify",
            JobKind::Health => "health",
            JobKind::Sla => "sla",
            JobKind::Clawback => "clawback",
        }
    }
}

/// A job: one evaluating command with its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct JobDef {
    /// Its name.
    pub name: String,
    /// The command.
    pub run: JobKind,
    /// The policy: a name of `[policies]`, resolved to its path.
    pub policy: PathBuf,
    /// The policy's name in the manifest.
    pub policy_name: String,
    /// Inputs by name: `input` (qualify, health, sla), `deals` and
    /// `events` (clawback).
    pub input: Option<String>,
    /// `deals` of a clawback job.
    pub deals: Option<String>,
    /// `events` of a clawback job.
    pub events: Option<String>,
    /// `as_of`: a date, or `today` (`None`: today).
    pub as_of: Option<String>,
    /// `at` of an sla job (RFC 3339).
    pub at: Option<String>,
    /// A pinned version.
    pub version: Option<i64>,
    /// Where results go (format by extension), resolved; `None`: standard
    /// output.
    pub output: Option<PathBuf>,
    /// Where the summary goes, resolved.
    pub summary: Option<PathBuf>,
    /// A booked ledger (`--posted`) of a clawback job, resolved.
    pub posted: Option<PathBuf>,
    /// Where the job's table is.
    pub span: Span,
}

/// A project file, read.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The file.
    pub file: PathBuf,
    /// Its text (for rendering diagnostics).
    pub source: Arc<str>,
    /// Named policies, resolved against the file's directory, with the
    /// span of each.
    pub policies: Vec<(String, PathBuf, Span)>,
    /// Named inputs.
    pub inputs: Vec<InputDef>,
    /// Jobs, in file order.
    pub jobs: Vec<JobDef>,
}

/// A manifest that cannot be used: every problem, placed.
#[derive(Debug, Clone)]
pub struct ManifestError {
    /// The file.
    pub file: PathBuf,
    /// Its text, when it could be read.
    pub source: Arc<str>,
    /// Every problem.
    pub diagnostics: Vec<Diagnostic>,
}

impl ManifestError {
    /// Every problem rendered as rustc renders them.
    pub fn render(&self) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.render(&self.source))
            .collect()
    }
}

impl Manifest {
    /// The `baton.toml` in `dir` or the nearest directory above it.
    pub fn find(dir: &Path) -> Option<PathBuf> {
        let mut d = Some(dir);
        while let Some(here) = d {
            let candidate = here.join(MANIFEST);
            if candidate.is_file() {
                return Some(candidate);
            }
            d = here.parent();
        }
        None
    }

    /// Reads a manifest, reporting every problem of its form at once.
    pub fn load(file: &Path) -> Result<Manifest, ManifestError> {
        parse::load(file)
    }

    /// The path of a policy name (or `None`).
    pub fn policy(&self, name: &str) -> Option<&Path> {
        self.policies
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, p, _)| p.as_path())
    }

    /// An input by name.
    pub fn input(&self, name: &str) -> Option<&InputDef> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// Checks what needs the policies and the exports: each job's policy
    /// loads and declares its input's record, each mapped field is in the
    /// record, each mapped column is in its export's header. Returns the
    /// problems (empty: all clean).
    pub fn check(&self) -> Vec<Diagnostic> {
        parse::check(self)
    }
}
