//! The files a command writes. Every output is opened before anything is
//! evaluated, is never the same file as an input (compared by file
//! identity, not by name), and is written to a temporary file in its own
//! directory, renamed into place once the run is done: an interrupted or
//! failed run leaves the file as it was. Standard output is streamed; a
//! reader that goes away (`baton … | head`) ends the run quietly.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::Fatal;

/// Set once a write to standard output found its reader gone.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether standard output's reader has gone (a write to it failed with a
/// broken pipe).
pub(super) fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Standard output, noting a reader that has gone.
pub(super) struct Stdout(io::StdoutLock<'static>);

impl Stdout {
    pub(super) fn lock() -> Stdout {
        Stdout(io::stdout().lock())
    }
}

fn note_closed<T>(r: io::Result<T>) -> io::Result<T> {
    if let Err(e) = &r {
        if e.kind() == io::ErrorKind::BrokenPipe {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        }
    }
    r
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        note_closed(self.0.write(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        note_closed(self.0.flush())
    }
}

/// Prints a line on standard output for the commands on policies, which go
/// on when its reader has gone (their exit status still tells whether
/// every policy is clean); any other failure to write stops them.
pub(super) fn say(line: std::fmt::Arguments<'_>) -> Result<(), Fatal> {
    if stdout_closed() {
        return Ok(());
    }
    match writeln!(Stdout::lock(), "{line}").and_then(|()| Stdout::lock().flush()) {
        Err(_) if stdout_closed() => Ok(()),
        r => r.map_err(|e| Fatal(format!("cannot write output: {e}"))),
    }
}

/// What makes two paths the same file: device and inode.
#[cfg(unix)]
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileId((u64, u64));

/// What makes two paths the same file: the canonical path.
#[cfg(not(unix))]
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileId(PathBuf);

#[cfg(unix)]
fn id_of(_path: &Path, meta: &Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some(FileId((meta.dev(), meta.ino())))
}

#[cfg(not(unix))]
fn id_of(path: &Path, _meta: &Metadata) -> Option<FileId> {
    fs::canonicalize(path).ok().map(FileId)
}

/// The file behind standard input or output (`fd` 0 or 1), when there is
/// one to compare.
#[cfg(unix)]
fn std_stream(fd: i32) -> Option<(Metadata, FileId)> {
    use std::os::fd::AsFd;
    let owned = match fd {
        0 => io::stdin().as_fd().try_clone_to_owned(),
        _ => io::stdout().as_fd().try_clone_to_owned(),
    }
    .ok()?;
    let meta = File::from(owned).metadata().ok()?;
    let id = id_of(Path::new("-"), &meta)?;
    Some((meta, id))
}

#[cfg(not(unix))]
fn std_stream(_fd: i32) -> Option<(Metadata, FileId)> {
    None
}

/// The files a command reads, to keep its outputs off them.
#[derive(Default)]
pub(super) struct Inputs(Vec<(String, FileId)>);

impl Inputs {
    /// An input file (`-` is standard input); `role` names it in messages:
    /// "the input", "--posted".
    pub(super) fn file(&mut self, role: &str, path: &str) {
        let id = if path == "-" {
            std_stream(0).map(|(_, id)| id)
        } else {
            let p = Path::new(path);
            fs::metadata(p).ok().and_then(|m| id_of(p, &m))
        };
        if let Some(id) = id {
            self.0.push((format!("{role} `{path}`"), id));
        }
    }

    /// An input file named by a path (never standard input).
    pub(super) fn path(&mut self, role: &str, path: &Path) {
        if let Some(id) = fs::metadata(path).ok().and_then(|m| id_of(path, &m)) {
            self.0.push((format!("{role} `{}`", path.display()), id));
        }
    }

    /// The policy files of `--policy` (a file, or every file of a policy
    /// directory).
    pub(super) fn policy(&mut self, path: &Path) {
        let files = if path.is_dir() {
            baton::policy_files(path).unwrap_or_default()
        } else {
            vec![path.to_path_buf()]
        };
        for f in files {
            if let Some(id) = fs::metadata(&f).ok().and_then(|m| id_of(&f, &m)) {
                self.0
                    .push((format!("the policy file `{}`", f.display()), id));
            }
        }
    }

    /// Opens every output before anything is evaluated: `(flag, path)`,
    /// standard output where the path is `None`. Refuses an output that is
    /// an input or another output, or that cannot be written.
    pub(super) fn open(&self, outputs: &[(&str, Option<&Path>)]) -> Result<Vec<Target>, Fatal> {
        let mut taken: Vec<(String, FileId)> = Vec::new();
        // Outputs that do not exist yet, by their directory and name.
        let mut new: Vec<(String, PathBuf)> = Vec::new();
        let mut targets = Vec::with_capacity(outputs.len());
        for (flag, path) in outputs {
            let Some(path) = path else {
                // Standard output: only a regular file it is redirected to
                // can be an input (`>> in.jsonl`) or another output.
                if let Some((_, id)) = std_stream(1).filter(|(m, _)| m.is_file()) {
                    if let Some((name, _)) = self.0.iter().find(|(_, i)| *i == id) {
                        return Err(Fatal(format!("standard output is the same file as {name}")));
                    }
                    taken.push(("standard output".to_string(), id));
                }
                targets.push(Target::Stdout);
                continue;
            };
            let shown = format!("{flag} `{}`", path.display());
            // Only a regular file can be overwritten: writing to a device
            // or a pipe (`/dev/null`) destroys nothing.
            let existing = fs::metadata(path).ok();
            let regular = existing.as_ref().filter(|m| m.is_file());
            if let Some(id) = regular.and_then(|m| id_of(path, m)) {
                if let Some((name, _)) = self.0.iter().chain(&taken).find(|(_, i)| *i == id) {
                    return Err(Fatal(format!("{shown} is the same file as {name}")));
                }
                taken.push((shown.clone(), id));
            } else if let Some(place) = place_of(path).filter(|_| existing.is_none()) {
                if let Some((name, _)) = new.iter().find(|(_, p)| *p == place) {
                    return Err(Fatal(format!("{shown} is the same file as {name}")));
                }
                new.push((shown.clone(), place));
            }
            targets.push(Target::File(Pending::open(path)?));
        }
        Ok(targets)
    }
}

/// Where a file that does not exist yet would be: its directory's
/// canonical path and its name.
fn place_of(path: &Path) -> Option<PathBuf> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(fs::canonicalize(dir).ok()?.join(path.file_name()?))
}

/// Where an output goes.
pub(super) enum Target {
    /// Standard output, streamed.
    Stdout,
    /// A file, replaced whole when the run is done.
    File(Pending),
}

impl Target {
    /// A writer for the output.
    pub(super) fn writer(&self) -> Result<Box<dyn Write>, Fatal> {
        match self {
            Target::Stdout => Ok(Box::new(Stdout::lock())),
            Target::File(p) => p.writer(),
        }
    }

    /// The run is done: the file takes the place of the one it replaces.
    pub(super) fn commit(self) -> Result<(), Fatal> {
        match self {
            Target::Stdout => Ok(()),
            Target::File(p) => p.commit(),
        }
    }
}

/// Temporary files made by this process.
static TEMPS: AtomicUsize = AtomicUsize::new(0);

/// An output file being written: a temporary file next to `target`,
/// removed unless committed. A target that exists and is not a regular
/// file (a device, a pipe) is written directly.
pub(super) struct Pending {
    file: File,
    target: PathBuf,
    /// The temporary file, `None` when writing to the target directly.
    temp: Option<PathBuf>,
    /// How the output is named in messages.
    shown: PathBuf,
}

impl Pending {
    /// Opens an output at `path`: checks it can be written and creates the
    /// temporary file that will replace it.
    pub(super) fn open(path: &Path) -> Result<Pending, Fatal> {
        let fail =
            |e: &dyn std::fmt::Display| Fatal(format!("cannot write `{}`: {e}", path.display()));
        // An output through a symbolic link replaces the file it points
        // to, not the link.
        let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        let target = if is_link {
            fs::canonicalize(path).map_err(|e| fail(&e))?
        } else {
            path.to_path_buf()
        };
        let existing = match fs::metadata(&target) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(fail(&e)),
        };
        if let Some(meta) = &existing {
            if meta.is_dir() {
                return Err(fail(&"it is a directory"));
            }
            if !meta.is_file() {
                let file = OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .map_err(|e| fail(&e))?;
                return Ok(Pending {
                    file,
                    target,
                    temp: None,
                    shown: path.to_path_buf(),
                });
            }
            // A file that may not be written is not replaced either.
            OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(|e| fail(&e))?;
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| fail(&"it names no file"))?;
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut tries = 0;
        let (file, temp) = loop {
            let n = TEMPS.fetch_add(1, Ordering::Relaxed);
            let temp = dir.join(format!(".{name}.{}-{n}.baton-tmp", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(f) => break (f, temp),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < 100 => tries += 1,
                Err(e) => return Err(fail(&e)),
            }
        };
        let pending = Pending {
            file,
            target,
            temp: Some(temp),
            shown: path.to_path_buf(),
        };
        if let (Some(meta), Some(temp)) = (&existing, &pending.temp) {
            fs::set_permissions(temp, meta.permissions()).map_err(|e| fail(&e))?;
        }
        Ok(pending)
    }

    fn fail(&self, e: &dyn std::fmt::Display) -> Fatal {
        Fatal(format!("cannot write `{}`: {e}", self.shown.display()))
    }

    /// A writer into the file (the temporary one until committed).
    pub(super) fn writer(&self) -> Result<Box<dyn Write>, Fatal> {
        let f = self.file.try_clone().map_err(|e| self.fail(&e))?;
        Ok(Box::new(f))
    }

    /// Writes `bytes` as the whole file.
    pub(super) fn write_all(&self, bytes: &[u8]) -> Result<(), Fatal> {
        (&self.file).write_all(bytes).map_err(|e| self.fail(&e))
    }

    /// Puts the file in place of the target, on disk before it is renamed.
    pub(super) fn commit(mut self) -> Result<(), Fatal> {
        let Some(temp) = self.temp.take() else {
            return (&self.file).flush().map_err(|e| self.fail(&e));
        };
        let done = self
            .file
            .sync_all()
            .and_then(|()| fs::rename(&temp, &self.target));
        if let Err(e) = done {
            let _ = fs::remove_file(&temp);
            return Err(self.fail(&e));
        }
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(temp) = &self.temp {
            let _ = fs::remove_file(temp);
        }
    }
}
