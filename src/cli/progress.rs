//! Progress on standard error while a long command runs, and one line when
//! it ends: a bar with the input's bytes, rate and time left when the
//! input is a file, a spinner otherwise; then "3,000 records, 10 SQL, 116
//! MQL, 0 errors in 0.03 s". Only when standard error is a terminal and
//! `--quiet` is not given (`BATON_PROGRESS=always` forces both, for tests
//! and screen recordings; `never` silences them).

use std::io::{IsTerminal, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Whether progress is shown, given `--quiet`.
fn shown(quiet: bool) -> bool {
    match std::env::var("BATON_PROGRESS").as_deref() {
        Ok("always") => true,
        Ok("never") => false,
        _ => !quiet && std::io::stderr().is_terminal(),
    }
}

/// A reader that counts the bytes read through it.
pub(super) struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The progress of one command.
pub(super) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    read: Arc<AtomicU64>,
    started: Instant,
    shown: bool,
}

impl Progress {
    /// Progress over the input at `path` (`-`: standard input, whose size
    /// is unknown).
    pub(super) fn start(path: &str, quiet: bool) -> Progress {
        let shown = shown(quiet);
        let size = (path != "-")
            .then(|| std::fs::metadata(path).ok())
            .flatten()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len());
        let bar = shown.then(|| match size {
            Some(len) => {
                let pb = indicatif::ProgressBar::new(len);
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
                ) {
                    pb.set_style(style);
                }
                pb
            }
            None => {
                let pb = indicatif::ProgressBar::new_spinner();
                if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {bytes} read")
                {
                    pb.set_style(style);
                }
                pb
            }
        });
        if let Some(pb) = &bar {
            pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        Progress {
            bar,
            read: Arc::new(AtomicU64::new(0)),
            started: Instant::now(),
            shown,
        }
    }

    /// Wraps an input so that its bytes are counted.
    pub(super) fn count<R: Read>(&self, inner: R) -> Counted<R> {
        Counted {
            inner,
            read: self.read.clone(),
        }
    }

    /// Moves the bar to the bytes read so far.
    pub(super) fn tick(&self) {
        if let Some(pb) = &self.bar {
            pb.set_position(self.read.load(Ordering::Relaxed));
        }
    }

    /// Clears the bar and prints the closing line (`what` lists the
    /// counts, "3,000 records, 10 SQL"), with the time taken.
    pub(super) fn finish(self, what: &str) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
        if self.shown {
            eprintln!("{what} in {:.2} s", self.started.elapsed().as_secs_f64());
        }
    }
}

pub(super) use baton::thousands;

/// The closing line's counts of a run's summary: records, each stage or
/// band that holds (in declared order, then `none`), errors.
pub(super) fn closing(records: u64, errors: u64, summary: Option<&baton::Summary>) -> String {
    let mut parts = vec![format!("{} records", thousands(records))];
    let mut add = |counts: &baton::Counts| {
        for (name, n) in counts.iter() {
            if n > 0 {
                parts.push(format!("{} {name}", thousands(n)));
            }
        }
    };
    match summary {
        Some(baton::Summary::Qualify(t)) => add(&t.stages),
        Some(baton::Summary::Health(t)) => add(&t.bands),
        Some(baton::Summary::Sla(t)) => {
            let breached: u64 = t.goals.iter().map(|g| g.states.get("breached")).sum();
            parts.push(format!("{} goals breached", thousands(breached)));
        }
        None => {}
    }
    parts.push(format!(
        "{} error{}",
        thousands(errors),
        if errors == 1 { "" } else { "s" }
    ));
    parts.join(", ")
}

/// Whether the closing line will be shown (the run should then sum its
/// aggregates).
pub(super) fn wanted(quiet: bool) -> bool {
    shown(quiet)
}
