//! Where log lines go: stdout, in batches.
//!
//! Written line by line, each log line is one `write(2)`, and when stdout is a pipe (`cargo
//! run`'s launcher, `just dev`, a log collector) each one also wakes the reader on the other
//! end: on a small machine that wake-up, not the formatting, was most of a line's cost
//! (docs/performance.md, "The default configuration"). So lines are appended to one buffer
//! and a thread of their own writes it out [`FLUSH_EVERY`] after the first line lands in
//! an empty buffer: under load a single `write` carries hundreds of lines, a line waits a
//! few milliseconds at most, and an idle server's writer sleeps.
//!
//! Two buffers take turns: the one being written out is swapped for an empty one that kept
//! its room, so under load no line allocates (a fresh buffer growing by doubling every few
//! milliseconds meant copies and page faults: 495 faults in 5 s of `/public` under wrk,
//! against 70 with two buffers).
//!
//! None is lost: [`flush`] writes what is left, and both programs call it as they exit (the
//! graceful stop, or a start-up error). The buffer is bounded: a line that would take it
//! past [`BUFFER_LIMIT`] (stdout stalled, a reader that stopped reading) writes the buffer
//! out itself, so the logging thread waits for the pipe as it always did, and memory does
//! not grow. A closed stdout drops the lines, as before.

use std::io::Write;
use std::sync::{Condvar, Mutex, MutexGuard, Once};
use std::time::Duration;

/// How long a line may wait in the buffer.
pub const FLUSH_EVERY: Duration = Duration::from_millis(5);

/// The most the buffer holds before the line being logged writes it out itself.
pub const BUFFER_LIMIT: usize = 1024 * 1024;

static BUFFER: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// The other buffer: empty except while a flush writes it out. Only a flush touches it, and
/// flushes take the stdout lock first, so this lock is never waited for.
static SPARE: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static FLUSHER: Once = Once::new();
/// Wakes the writer thread when a line lands in an empty buffer (an idle server's writer
/// sleeps until then, instead of waking every few milliseconds for nothing).
static LINES_WAITING: Condvar = Condvar::new();

fn buffer() -> MutexGuard<'static, Vec<u8>> {
    // A panic while appending leaves plain bytes: still usable.
    BUFFER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes out every line buffered so far. Lines are taken out under the lock and written
/// after it is released, in the order they were logged (the stdout lock, taken first, keeps
/// two flushes from interleaving).
pub fn flush() {
    let mut stdout = std::io::stdout().lock();
    let mut lines = SPARE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // The empty spare, room and all, becomes the buffer; the lines come out here.
    std::mem::swap(&mut *buffer(), &mut *lines);
    if !lines.is_empty() {
        let _ = stdout.write_all(&lines);
        let _ = stdout.flush();
    }
    lines.clear();
}

/// The `tracing_subscriber` writer: one per line.
pub struct Batched;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Batched {
    type Writer = Batched;

    fn make_writer(&'a self) -> Self::Writer {
        FLUSHER.call_once(|| {
            // If the thread cannot start, every line is written by the next one to exceed
            // the limit and by the final flush: slower, nothing lost.
            let _ = std::thread::Builder::new()
                .name("log-writer".into())
                .spawn(|| {
                    loop {
                        let mut lines = buffer();
                        while lines.is_empty() {
                            lines = LINES_WAITING
                                .wait(lines)
                                .unwrap_or_else(|poisoned| poisoned.into_inner());
                        }
                        drop(lines);
                        // Let the lines of the next few milliseconds join this one.
                        std::thread::sleep(FLUSH_EVERY);
                        flush();
                    }
                });
        });
        Batched
    }
}

impl Write for Batched {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut lines = buffer();
        if lines.len() + line.len() > BUFFER_LIMIT {
            drop(lines);
            flush();
            lines = buffer();
        }
        let was_empty = lines.is_empty();
        lines.extend_from_slice(line);
        drop(lines);
        if was_empty {
            LINES_WAITING.notify_one();
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

    #[test]
    fn lines_wait_in_one_buffer_and_a_flush_empties_it() {
        let mut writer = Batched;
        writer.write_all(b"one\n").expect("buffered");
        writer.write_all(b"two\n").expect("buffered");
        // The flusher may already have taken them: either way nothing is duplicated.
        let held = buffer().clone();
        assert!(held.is_empty() || held.ends_with(b"two\n"));
        flush();
        assert!(buffer().is_empty());
    }
}
