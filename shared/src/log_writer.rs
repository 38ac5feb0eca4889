//! Where both binaries' log lines go: stdout, written by a thread of its own, so a request
//! never waits for the terminal (issue 14: with one `write` per line, the default
//! configuration's request log cost ~30 % of a `/public` request).
//!
//! Not part of OAuth: plumbing under `tracing`. The promise is the one a plain `println!`
//! makes, kept cheaper:
//!
//! 1. **Every line is written, in order.** A request's line goes into one shared buffer
//!    (appended whole, under a lock held for a copy); the writer thread takes everything
//!    there at once and hands it to stdout in one `write`. Under load, lines gather while
//!    the previous batch is written; when idle, a line is written as soon as it is logged.
//! 2. **Overflow waits, it never drops.** When [`LIMIT`] bytes are waiting (stdout slower
//!    than the requests, say a paused terminal), the thread logging the next line waits until
//!    the writer has taken the batch: the server slows to the speed of its stdout, as it would
//!    with a blocking `println!`, and no line is lost.
//! 3. **Shutdown flushes.** Dropping the [`LogGuard`] (at the end of `main`, after the
//!    graceful stop) writes what is waiting and joins the writer thread.
//! 4. **A closed stdout drops lines, quietly.** When stdout is gone (`| head`, a log prefixer
//!    that ended first), writes fail; the writer thread discards the batch and carries on,
//!    so no logging thread ever blocks or panics on it.
//!
//! A process killed with SIGKILL loses at most the batch being written at that instant.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use tracing_subscriber::fmt::MakeWriter;

/// Bytes that may wait for stdout before a logging thread waits for the writer (1 MiB:
/// about 8,000 request lines, a few milliseconds of load).
pub const LIMIT: usize = 1024 * 1024;

/// The `MakeWriter` to hand `tracing_subscriber::fmt().with_writer(...)`.
#[derive(Clone)]
pub struct NonBlockingStdout {
    shared: Arc<Shared>,
}

/// Flushes every waiting line and stops the writer thread when dropped. Keep it alive in
/// `main` until the server has stopped.
#[must_use = "dropping the guard stops the log writer: hold it until main returns"]
pub struct LogGuard {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

struct Shared {
    pending: Mutex<Pending>,
    /// Signalled when the first bytes arrive in an empty buffer, or on close.
    filled: Condvar,
    /// Signalled when the writer has taken the buffer (room again below [`LIMIT`]).
    taken: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    /// The writer thread sleeps on `filled`: only then is a wake-up needed (a wake-up is a
    /// system call, too dear to make for every line).
    writer_idle: bool,
    closed: bool,
    /// The writer thread has returned (or never started): lines go straight to stdout.
    writer_gone: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A thread that panicked while holding the lock left whole lines only (appends are
        // single `extend_from_slice` calls): carry on with them.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts the writer thread; log through the first value, keep the second until `main` ends.
pub fn stdout() -> (NonBlockingStdout, LogGuard) {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending::default()),
        filled: Condvar::new(),
        taken: Condvar::new(),
    });
    let writer = {
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || write_until_closed(&shared, &mut std::io::stdout()))
            .ok()
    };
    if writer.is_none() {
        // No thread to be had: every line is written by the thread that logs it.
        shared.lock().writer_gone = true;
    }
    let guard = LogGuard {
        shared: Arc::clone(&shared),
        writer,
    };
    (NonBlockingStdout { shared }, guard)
}

/// The writer thread: take everything waiting, write it in one go, repeat until closed and
/// empty.
fn write_until_closed(shared: &Shared, out: &mut impl Write) {
    let mut batch = Vec::with_capacity(64 * 1024);
    loop {
        {
            let mut pending = shared.lock();
            while pending.bytes.is_empty() && !pending.closed {
                pending.writer_idle = true;
                pending = shared
                    .filled
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            pending.writer_idle = false;
            if pending.bytes.is_empty() && pending.closed {
                pending.writer_gone = true;
                return;
            }
            std::mem::swap(&mut batch, &mut pending.bytes);
        }
        shared.taken.notify_all();
        // Step 4: a failed write (stdout closed) drops this batch, and only this batch.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.filled.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// One event's text: `tracing_subscriber` formats the whole line first, then writes it here
/// with a single `write_all`.
pub struct LineWriter<'a> {
    shared: &'a Shared,
}

impl<'a> MakeWriter<'a> for NonBlockingStdout {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
        }
    }
}

impl Write for LineWriter<'_> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut pending = self.shared.lock();
        // Step 2: wait for room, never drop. Once closed, the writer is draining for the
        // last time: append and let the final pass (or the guard's join) take it.
        while pending.bytes.len() >= LIMIT && !pending.closed {
            pending = self
                .shared
                .taken
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if pending.writer_gone {
            // A line logged after the guard was dropped (or with no writer thread): write it
            // here rather than leave it in a buffer nobody drains.
            drop(pending);
            let _ = std::io::stdout().write_all(line);
            return Ok(line.len());
        }
        pending.bytes.extend_from_slice(line);
        let wake = std::mem::take(&mut pending.writer_idle);
        drop(pending);
        if wake {
            self.shared.filled.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` that keeps what it is given.
    #[derive(Clone, Default)]
    struct Kept(Arc<Mutex<Vec<u8>>>);

    impl Write for Kept {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn start(out: Kept) -> (NonBlockingStdout, LogGuard) {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            filled: Condvar::new(),
            taken: Condvar::new(),
        });
        let writer = {
            let shared = Arc::clone(&shared);
            let mut out = out;
            std::thread::spawn(move || write_until_closed(&shared, &mut out))
        };
        (
            NonBlockingStdout {
                shared: Arc::clone(&shared),
            },
            LogGuard {
                shared,
                writer: Some(writer),
            },
        )
    }

    #[test]
    fn every_line_from_many_threads_is_written_whole_once_the_guard_is_dropped() {
        let out = Kept::default();
        let (writer, guard) = start(out.clone());
        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for line in 0..20_000 {
                        let text = format!("thread {thread} line {line} {}\n", "x".repeat(40));
                        writer.make_writer().write_all(text.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);
        let written = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 80_000, "no line lost, none doubled");
        for thread in 0..4 {
            let mine: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|line| line.starts_with(&format!("thread {thread} ")))
                .collect();
            assert_eq!(mine.len(), 20_000);
            for (index, line) in mine.iter().enumerate() {
                assert!(
                    line.starts_with(&format!("thread {thread} line {index} ")),
                    "each thread's lines in order, whole: {line}"
                );
            }
        }
    }
}
