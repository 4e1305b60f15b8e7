//! The ordered batch runner: batches made on the calling thread, worked
//! on every core, and their results handed back on the calling thread in
//! the order the batches were made. Qualify and health over JSON lines and
//! the streamed clawback ledger both run on it, so output is byte-identical
//! to a sequential run.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::Mutex;

/// Some batches were sent to workers and never came back (a worker
/// stopped): never let output end short without a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stopped {
    /// Batches sent.
    pub sent: usize,
    /// Batches whose results came back.
    pub done: usize,
}

/// How many workers to run: one per core, at most eight.
pub(crate) fn workers() -> usize {
    // `BATON_THREADS=N` sets the count (1: the sequential paths), as
    // RAYON_NUM_THREADS does for rayon.
    if let Some(n) = std::env::var("BATON_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n >= 1)
    {
        return n.min(64);
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Runs `work` on `workers` threads over the batches `produce` makes on
/// this thread (`Ok(None)`: no more), and hands each result to `emit`, on
/// this thread, in the order the batches were made. `state` is shared by
/// `produce` and `emit` (a pool of buffers to reuse, a progress count).
/// The first error of `produce` or `emit` stops the run and is returned.
pub(crate) fn run_ordered<S, B, R, E>(
    workers: usize,
    state: &mut S,
    mut produce: impl FnMut(&mut S) -> Result<Option<B>, E>,
    work: impl Fn(B) -> R + Sync,
    mut emit: impl FnMut(&mut S, R) -> Result<(), E>,
) -> Result<(), E>
where
    B: Send,
    R: Send,
    E: From<Stopped>,
{
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, B)>(workers.max(1) * 2);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, R)>();
    let work = &work;
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            scope.spawn(move || loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((seq, batch)) = job else { return };
                // A batch whose work panics is lost, not the run: the
                // others go on and the gap is reported as `Stopped`.
                let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(batch)));
                if let Ok(r) = done {
                    if done_tx.send((seq, r)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut waiting: BTreeMap<usize, R> = BTreeMap::new();
        let (mut sent, mut next) = (0usize, 0usize);
        let mut deliver = |state: &mut S, seq: usize, r: R, next: &mut usize| -> Result<(), E> {
            waiting.insert(seq, r);
            while let Some(r) = waiting.remove(next) {
                emit(state, r)?;
                *next += 1;
            }
            Ok(())
        };
        let mut result = Ok(());
        loop {
            match produce(state) {
                Ok(Some(batch)) => {
                    if job_tx.send((sent, batch)).is_err() {
                        break;
                    }
                    sent += 1;
                }
                Ok(None) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
            while let Ok((seq, r)) = done_rx.try_recv() {
                if let Err(e) = deliver(state, seq, r, &mut next) {
                    result = Err(e);
                    break;
                }
            }
            if result.is_err() {
                break;
            }
        }
        drop(job_tx);
        for (seq, r) in done_rx.iter() {
            if result.is_ok() {
                result = deliver(state, seq, r, &mut next);
            }
        }
        if result.is_ok() && next != sent {
            result = Err(E::from(Stopped { sent, done: next }));
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    impl From<Stopped> for String {
        fn from(s: Stopped) -> String {
            format!("stopped after {} of {}", s.done, s.sent)
        }
    }

    /// Results come back in the order the batches were made, whatever the
    /// order the workers finish them in.
    #[test]
    fn results_are_emitted_in_batch_order() {
        let mut state = (0u64, Vec::new());
        run_ordered(
            3,
            &mut state,
            |s: &mut (u64, Vec<u64>)| -> Result<Option<u64>, String> {
                s.0 += 1;
                Ok((s.0 <= 200).then_some(s.0))
            },
            |n| {
                // Later batches finish first.
                std::thread::sleep(std::time::Duration::from_micros(200 - n.min(200)));
                n * 10
            },
            |s, r| {
                s.1.push(r);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(state.1, (1..=200).map(|n| n * 10).collect::<Vec<_>>());
    }

    #[test]
    fn the_first_error_stops_the_run() {
        let mut made = 0;
        let r = run_ordered(
            2,
            &mut made,
            |m: &mut i32| -> Result<Option<i32>, String> {
                *m += 1;
                if *m == 5 {
                    return Err("bad input".into());
                }
                Ok(Some(*m))
            },
            |n| n,
            |_, _| Ok(()),
        );
        assert_eq!(r, Err("bad input".to_string()));
        let r = run_ordered(
            2,
            &mut 0,
            |m: &mut i32| -> Result<Option<i32>, String> {
                *m += 1;
                Ok((*m < 50).then_some(*m))
            },
            |n| n,
            |_, n| {
                if n == 7 {
                    Err("cannot write".into())
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r, Err("cannot write".to_string()));
    }

    #[test]
    fn a_worker_that_dies_is_reported_not_silent() {
        let r = run_ordered(
            1,
            &mut 0,
            |m: &mut i32| -> Result<Option<i32>, String> {
                *m += 1;
                Ok((*m <= 3).then_some(*m))
            },
            |n| {
                if n == 2 {
                    // A panicking worker takes its batch with it.
                    std::panic::resume_unwind(Box::new("worker died"));
                }
                n
            },
            |_, _| Ok(()),
        );
        assert_eq!(r, Err("stopped after 1 of 3".to_string()));
    }
}
