//! Reading policy sources from files and directories, and the error every
//! failed load returns: all diagnostics with the sources to render them.

use std::path::Path;
use std::sync::Arc;

use crate::diag::{Code, Diagnostic};
use crate::span::Span;

/// Policy loading failed: every diagnostic, with the sources to render them.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.summary())]
pub struct LoadError {
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
    /// The sources the diagnostics point into, by file name.
    pub sources: Vec<(Arc<str>, Arc<str>)>,
}

impl LoadError {
    fn summary(&self) -> String {
        let n = self.error_count();
        let first = self
            .diagnostics
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        if n > 1 {
            format!("{first} (and {} more)", n - 1)
        } else {
            first
        }
    }

    /// Renders every diagnostic rustc-style.
    ///
    /// ```
    /// let err = baton::Policy::from_source("p.baton", r#"policy "p" version 1 effective 2026-01-01
    /// record lead key id { id: text  budget: money? }
    /// qualify lead { stage MQL when budgte >= 10 USD }"#).unwrap_err();
    /// let d = &err.diagnostics[0];
    /// assert_eq!((d.code, d.line, d.column), (baton::Code::E0101, 3, 31));
    /// assert_eq!(d.help.as_deref(), Some("did you mean `budget`?"));
    /// assert!(err.render().contains(" --> p.baton:3:31"));
    /// ```
    pub fn render(&self) -> String {
        render_all(&self.diagnostics, &self.sources)
    }

    /// How many errors were found, those counted by a summary line
    /// (`and 19,980 more like this`) included.
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(Diagnostic::count)
            .sum()
    }

    pub(crate) fn single(file: &str, source: &str, d: Vec<Diagnostic>) -> LoadError {
        LoadError {
            diagnostics: d,
            sources: vec![(Arc::from(file), Arc::from(source))],
        }
    }

    /// A problem with a path as a whole (unreadable, empty directory): no
    /// source to point into.
    pub(crate) fn path(code: Code, path: &Path, message: String) -> LoadError {
        let name = path.display().to_string();
        LoadError::single(
            &name,
            "",
            vec![Diagnostic::error(
                code,
                &Arc::from(name.as_str()),
                "",
                Span::default(),
                message,
            )],
        )
    }
}

/// Renders diagnostics against their sources.
pub(crate) fn render_all(diags: &[Diagnostic], sources: &[(Arc<str>, Arc<str>)]) -> String {
    diags
        .iter()
        .map(|d| match sources.iter().find(|(f, _)| *f == d.file) {
            Some((_, src)) => d.render(src),
            None => format!("{d}\n"),
        })
        .collect::<Vec<_>>()
        .join("")
}

/// The `.baton` files of a policy directory, sorted by name.
pub fn policy_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        let name = dir.display();
        LoadError::path(
            Code::E0004,
            dir,
            format!("cannot read directory `{name}`: {e}"),
        )
    })?;
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "baton"))
        .collect();
    files.sort();
    Ok(files)
}

/// The policies a path names, as `baton check` takes them: the path
/// itself when it is a file or a policy directory; for a folder of policy
/// directories (no `.baton` file of its own), each subfolder that has
/// `.baton` files, in name order. A folder with nothing to expand is
/// itself (its load says what is wrong).
///
/// ```
/// let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
/// let names: Vec<_> = baton::policy_paths(&root).iter()
///     .map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
/// assert_eq!(names, ["commission", "handoff", "health", "qualification"]);
/// ```
pub fn policy_paths(path: &Path) -> Vec<std::path::PathBuf> {
    let own = policy_files(path).unwrap_or_default();
    if !path.is_dir() || !own.is_empty() {
        return vec![path.to_path_buf()];
    }
    let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir() && policy_files(p).is_ok_and(|f| !f.is_empty()))
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    if dirs.is_empty() {
        vec![path.to_path_buf()]
    } else {
        dirs
    }
}

/// The most bytes a policy file may hold (8 MiB): a larger file is
/// refused, not read.
pub const MAX_POLICY_BYTES: u64 = 8 << 20;

/// Why a policy file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyFileError {
    /// The file could not be opened or read.
    #[error("cannot read `{path}`: {error}")]
    Io {
        /// The path as given.
        path: String,
        /// What the system said.
        error: std::io::Error,
    },
    /// Not a regular file (a FIFO, a device, a directory…): reading it
    /// could wait forever or never end.
    #[error("`{path}` is not a regular file ({kind}): only regular files are read as policies")]
    NotRegular {
        /// The path as given.
        path: String,
        /// What it is instead ("a FIFO").
        kind: &'static str,
    },
    /// More than [`MAX_POLICY_BYTES`].
    #[error("`{path}` holds {len} bytes, more than a policy file may ({MAX_POLICY_BYTES}, 8 MiB)")]
    TooLarge {
        /// The path as given.
        path: String,
        /// Its size, or the bytes read before giving up.
        len: u64,
    },
}

/// What a file that is not regular is, for messages.
fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// The bytes of a policy file. Only a regular file (or a symbolic link to
/// one) of at most [`MAX_POLICY_BYTES`] is read: a FIFO, a device or a
/// larger file is an error naming it, never a wait or an unbounded read.
///
/// ```
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
/// assert!(baton::read_policy_file(&dir.join("policies/commission")).is_err());
/// let file = baton::policy_files(&dir.join("policies/commission")).unwrap().remove(0);
/// let text = String::from_utf8(baton::read_policy_file(&file).unwrap()).unwrap();
/// assert!(text.contains("policy \"ae_commission\" version 1"));
/// ```
pub fn read_policy_file(path: &Path) -> Result<Vec<u8>, PolicyFileError> {
    use std::io::Read;
    let shown = || path.display().to_string();
    let io = |error| PolicyFileError::Io {
        path: shown(),
        error,
    };
    // Looked at before opening: opening a FIFO waits for a writer.
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(PolicyFileError::NotRegular {
            path: shown(),
            kind: kind_of(meta.file_type()),
        });
    }
    let too_large = |len| PolicyFileError::TooLarge { path: shown(), len };
    if meta.len() > MAX_POLICY_BYTES {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or_default());
    // A file that grew since is read no further than the limit.
    file.take(MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads a policy file: its name for diagnostics and its text (a byte
/// order mark dropped, invalid UTF-8 pointed at where it is).
pub(crate) fn read_source(path: &Path) -> Result<(String, String), LoadError> {
    let name = path.display().to_string();
    let mut bytes =
        read_policy_file(path).map_err(|e| LoadError::path(Code::E0004, path, e.to_string()))?;
    // A byte order mark, as some Windows editors write, is not text.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes)
        .map(|source| (name.clone(), source))
        .map_err(|e| {
            // Pointed at where it is: the text before the bad byte is intact.
            let at = e.utf8_error().valid_up_to();
            let shown = String::from_utf8_lossy(e.as_bytes());
            let file = Arc::from(name.as_str());
            LoadError::single(
                &name,
                &shown,
                vec![Diagnostic::error(
                    Code::E0004,
                    &file,
                    &shown,
                    Span::new(at, at + 1),
                    format!("`{name}` is not valid UTF-8 here"),
                )],
            )
        })
}

/// Why a policy file was not formatted.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FormatError {
    /// The text does not parse: it is left alone, and these are its errors.
    #[error("{0}")]
    Parse(LoadError),
    /// The layout would have changed more than whitespace (a bug; the file
    /// is left alone).
    #[error("internal error: formatting {0} would change its content")]
    Changed(String),
}

/// A policy file in the canonical layout (`baton fmt`).
///
/// ```
/// let src = "policy \"p\" version 1 effective 2026-01-01\nlet   x = 1\n\n\n";
/// assert_eq!(
///     baton::format_policy("p.baton", src).unwrap(),
///     "policy \"p\" version 1 effective 2026-01-01\nlet   x = 1\n"
/// );
/// assert!(baton::format_policy("p.baton", "policy").is_err());
/// ```
///
/// A text that does not parse is left alone: its syntax errors are the
/// error. Only whitespace between and around lines ever changes.
pub fn format_policy(file: &str, source: &str) -> Result<String, FormatError> {
    crate::syntax::parse(file, source)
        .map_err(|d| FormatError::Parse(LoadError::single(file, source, d)))?;
    let formatted = crate::format::format_source(source);
    if !crate::format::same_content(source, &formatted) {
        return Err(FormatError::Changed(file.to_string()));
    }
    Ok(formatted)
}
