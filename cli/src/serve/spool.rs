//! The answer of a score request on its way to the client: the run writes
//! into it and never waits, and the response reads from it as fast as the
//! client takes it. A client that sends its whole body before it reads
//! anything (most HTTP libraries do) would otherwise stop the run, and the
//! run would stop reading the body: neither side would move. The first
//! MiB waiting is held in memory, the rest in a temporary file, deleted as
//! soon as it is created, so nothing is left behind; at most 8 GiB wait in
//! the files of all answers together, and a run that would pass that stops.

use std::collections::VecDeque;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use tokio::sync::Notify;

/// Bytes of one answer waiting in memory before the rest go to a file.
const IN_MEMORY: usize = 1 << 20;

/// Bytes that may wait in the files of all answers together.
pub(super) const MAX_WAITING: u64 = 8 << 30;

/// Bytes waiting in the files of all answers now.
static WAITING: AtomicU64 = AtomicU64::new(0);

/// Bytes read from the file at a time.
const READ_BYTES: usize = 256 << 10;

/// One answer being written and read.
#[derive(Default)]
pub(super) struct Spool {
    state: Mutex<State>,
    ready: Notify,
}

#[derive(Default)]
struct State {
    memory: VecDeque<Bytes>,
    in_memory: usize,
    /// Once memory is full, every later byte: (file, bytes written, bytes read).
    file: Option<(File, u64, u64)>,
    /// The run wrote its last bytes.
    done: bool,
    /// The client went away.
    gone: bool,
}

impl Spool {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds bytes to the answer; fails when the client is gone or too much
    /// waits.
    pub(super) fn push(&self, bytes: Vec<u8>) -> std::io::Result<()> {
        let mut state = self.state();
        if state.gone {
            return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"));
        }
        if state.file.is_none() && state.in_memory + bytes.len() <= IN_MEMORY {
            state.in_memory += bytes.len();
            state.memory.push_back(Bytes::from(bytes));
        } else {
            if state.file.is_none() {
                state.file = Some((unnamed_file()?, 0, 0));
            }
            let Some((file, written, _)) = state.file.as_mut() else { unreachable!() };
            let len = bytes.len() as u64;
            if WAITING.fetch_add(len, Ordering::Relaxed) + len > MAX_WAITING {
                WAITING.fetch_sub(len, Ordering::Relaxed);
                return Err(std::io::Error::other(format!(
                    "more than {} GiB of answers wait to be read; read an answer as it comes",
                    MAX_WAITING >> 30
                )));
            }
            file.write_all_at(&bytes, *written)?;
            *written += len;
        }
        drop(state);
        self.ready.notify_one();
        Ok(())
    }

    /// The run wrote its last bytes.
    pub(super) fn finish(&self) {
        self.state().done = true;
        self.ready.notify_one();
    }

    /// The next bytes of the answer; `None` at its end.
    async fn next(&self) -> Option<Bytes> {
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.state();
                if let Some(bytes) = state.memory.pop_front() {
                    state.in_memory -= bytes.len();
                    return Some(bytes);
                }
                if let Some((file, written, read)) = state.file.as_mut() {
                    if *read < *written {
                        let mut chunk = vec![0; READ_BYTES.min((*written - *read) as usize)];
                        // A read of the local disk; a failure ends the answer.
                        file.read_exact_at(&mut chunk, *read).ok()?;
                        *read += chunk.len() as u64;
                        WAITING.fetch_sub(chunk.len() as u64, Ordering::Relaxed);
                        return Some(Bytes::from(chunk));
                    }
                }
                if state.done {
                    return None;
                }
            }
            notified.await;
        }
    }
}

/// The answer as a stream of bytes; when the client goes away (the
/// stream is dropped), the run is told.
pub(super) fn stream(
    spool: Arc<Spool>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>> + Send {
    futures_util::stream::unfold(Reader(spool), |reader| async move {
        let bytes = reader.0.next().await?;
        Some((Ok(bytes), reader))
    })
}

/// Tells the run the client is gone when the response is dropped.
struct Reader(Arc<Spool>);

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.state().gone = true;
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if let Some((_, written, read)) = &self.state().file {
            WAITING.fetch_sub(written - read, Ordering::Relaxed);
        }
    }
}

/// A temporary file with no name: removed from its folder at once, its
/// space freed when it is closed, whatever ends the process.
fn unnamed_file() -> std::io::Result<File> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(".safegrade-serve-{}-{n}.answer", std::process::id()));
    let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn what_waits_beyond_memory_goes_to_a_file_and_comes_back_in_order() {
        let spool = Arc::new(Spool::default());
        let lines: Vec<Vec<u8>> = (0..3000).map(|i| format!("{i:0>4} {}\n", "x".repeat(4000)).into_bytes()).collect();
        for line in &lines {
            spool.push(line.clone()).unwrap();
        }
        assert!(spool.state().file.is_some(), "over 1 MiB waited");
        spool.finish();
        let mut got = Vec::new();
        while let Some(bytes) = spool.next().await {
            got.extend_from_slice(&bytes);
        }
        assert_eq!(got, lines.concat());
    }

    #[test]
    fn a_client_gone_stops_the_run() {
        let spool = Arc::new(Spool::default());
        drop(Reader(spool.clone()));
        assert_eq!(spool.push(b"x\n".to_vec()).unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    }
}
