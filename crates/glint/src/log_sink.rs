//! Where `glint serve` writes its log: lines are gathered for a few milliseconds
//! and written to stderr in one go by a thread of their own.
//!
//! Written here rather than taken from `tracing_appender::non_blocking`, which
//! Glint used before: that wakes its writer thread once per line, and with one
//! request line per request the wake-up alone cost ~10% of a GET
//! /v2/images/{id} at one connection. This sink wakes its thread once per batch.
//! Nothing is dropped: a flood of lines is written by the logging threads
//! themselves, which slows requests down rather than growing memory.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the first line of a batch waits for others.
const GATHER: Duration = Duration::from_millis(10);
/// Pending bytes past which the thread logging writes them out itself.
const MAX_PENDING: usize = 1 << 20;

/// The `MakeWriter` handed to `tracing_subscriber`.
pub struct BatchedLog<W> {
    shared: Arc<Shared<W>>,
}

/// Writes what is still pending and stops the writer thread when dropped.
pub struct FlushGuard<W> {
    shared: Arc<Shared<W>>,
    thread: Option<JoinHandle<()>>,
}

struct Shared<W> {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Taken before `pending` is emptied, so batches reach `out` in the order
    /// their lines were logged.
    out: Mutex<W>,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    writer_waiting: bool,
    closed: bool,
}

/// A sink writing to `out`, and the guard that flushes it.
pub fn batched<W: Write + Send + 'static>(out: W) -> std::io::Result<(BatchedLog<W>, FlushGuard<W>)> {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending::default()),
        wake: Condvar::new(),
        out: Mutex::new(out),
    });
    let for_thread = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("glint-log".into())
        .spawn(move || for_thread.run_writer())?;
    Ok((
        BatchedLog {
            shared: Arc::clone(&shared),
        },
        FlushGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not silence the log.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<W: Write> Shared<W> {
    fn run_writer(&self) {
        loop {
            {
                let mut pending = lock(&self.pending);
                while pending.bytes.is_empty() && !pending.closed {
                    pending.writer_waiting = true;
                    pending = self.wake.wait(pending).unwrap_or_else(PoisonError::into_inner);
                }
                if pending.closed {
                    drop(pending);
                    self.write_out();
                    return;
                }
            }
            std::thread::sleep(GATHER);
            self.write_out();
        }
    }

    /// Errors writing stderr are dropped: there is nowhere left to report them.
    fn write_out(&self) {
        let mut out = lock(&self.out);
        let batch = std::mem::take(&mut lock(&self.pending).bytes);
        if !batch.is_empty() {
            let _ = out.write_all(&batch).and_then(|()| out.flush());
        }
    }

    fn append(&self, line: &[u8]) {
        let mut pending = lock(&self.pending);
        pending.bytes.extend_from_slice(line);
        // Past the limit, or once the writer thread has stopped (a line logged
        // during shutdown), the logging thread writes the line out itself.
        if pending.bytes.len() >= MAX_PENDING || pending.closed {
            drop(pending);
            self.write_out();
        } else if std::mem::take(&mut pending.writer_waiting) {
            // Only the first line of a batch wakes the writer thread.
            drop(pending);
            self.wake.notify_one();
        }
    }
}

impl<W> Drop for FlushGuard<W> {
    fn drop(&mut self) {
        lock(&self.shared.pending).closed = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One event's writer: `tracing_subscriber` formats a whole line and writes it once.
pub struct LineWriter<'a, W> {
    shared: &'a Shared<W>,
}

impl<W: Write> Write for LineWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.shared.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a, W: Write + 'a> tracing_subscriber::fmt::MakeWriter<'a> for BatchedLog<W> {
    type Writer = LineWriter<'a, W>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter { shared: &self.shared }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::fmt::MakeWriter;

    /// A `Write` whose bytes the test can read, counting the writes it was given.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut inner = lock(&self.0);
            inner.0.extend_from_slice(buf);
            inner.1 += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_written_in_order_in_few_writes_and_all_by_the_guard() {
        let captured = Captured::default();
        let (sink, guard) = batched(captured.clone()).unwrap();
        for n in 0..500 {
            sink.make_writer().write_all(format!("line {n}\n").as_bytes()).unwrap();
        }
        drop(guard);
        let (bytes, writes) = lock(&captured.0).clone();
        let expected: String = (0..500).map(|n| format!("line {n}\n")).collect();
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
        assert!(writes < 50, "{writes} writes for 500 lines");
    }

    #[test]
    fn a_line_logged_after_the_guard_is_dropped_is_still_written() {
        let captured = Captured::default();
        let (sink, guard) = batched(captured.clone()).unwrap();
        drop(guard);
        sink.make_writer().write_all(b"late\n").unwrap();
        assert_eq!(lock(&captured.0).0, b"late\n");
    }

    #[test]
    fn a_flood_is_written_by_the_loggers_without_losing_or_reordering_lines() {
        let captured = Captured::default();
        let (sink, guard) = batched(captured.clone()).unwrap();
        let sink = Arc::new(sink);
        let line = "x".repeat(1000);
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let sink = Arc::clone(&sink);
                let line = line.clone();
                std::thread::spawn(move || {
                    for n in 0..2000 {
                        // Whole lines, as tracing_subscriber writes them.
                        let text = format!("{t} {n} {line}\n");
                        sink.make_writer().write_all(text.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        // Well past MAX_PENDING already before the writer thread's first batch.
        let written_before_close = lock(&captured.0).0.len();
        assert!(written_before_close > MAX_PENDING, "{written_before_close}");
        drop(guard);
        let text = String::from_utf8(lock(&captured.0).0.clone()).unwrap();
        for t in 0..4 {
            let numbers: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("{t} ")))
                .map(|rest| rest.split(' ').next().unwrap().parse().unwrap())
                .collect();
            assert_eq!(numbers, (0..2000).collect::<Vec<_>>(), "thread {t}");
        }
    }
}
