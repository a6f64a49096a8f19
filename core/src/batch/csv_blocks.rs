//! A UTF-8 CSV file parsed in blocks on the run's worker threads, as a
//! [`RowSource`] whose rows are those [`CsvRows`] reads from the whole
//! file, on the same lines, with the same errors at the same row.
//!
//! The reading thread reads the file in blocks of about [`BLOCK`] bytes,
//! each cut after the last line end that ends a row ([`last_row_end`]:
//! not inside quotes, as the csv reader sees them), and counts the line
//! ends before each block. A worker parses a block with a [`CsvRows`] of
//! its own, told the lines before it; the reading thread then hands out
//! the parsed rows in file order, copying each into the run's packed rows,
//! and stops at the first block that ended in an error, after its rows.
//! Only the header is parsed on the reading thread. A row longer than a
//! block grows the block until its end is found or the row limit is
//! passed, when the block's parse fails as the whole file's would.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use super::csv_rows::{CsvRows, Limits, BUFFER};
use super::error::BatchError;
use super::packed::{Packed, RowAt};
use super::rows::{Header, Lines, RowCells, RowSource, Spawn};
use super::source::Source;

/// The bytes read for one block, before its cut at a row's end.
pub(crate) const BLOCK: usize = 1 << 18;

/// Blocks parsed or being parsed ahead of the rows handed out.
const AHEAD: usize = 3;

/// The end of the last row in `bytes` that ends in a line end, where
/// `bytes` start where a row (or a blank line) starts: one past that line
/// end, which is not inside a quoted field. `None` when there is none, or
/// when it cannot be told yet (the last byte is a quote in a quoted field).
///
/// The csv reader's rules (quotes doubled inside a quoted field; a quote
/// opens a quoted field only as a field's first byte; after a closing
/// quote, anything but a comma or line end makes the rest of the field
/// literal) are followed from quote to quote, so a block without quotes
/// costs two byte searches.
pub(crate) fn last_row_end(bytes: &[u8]) -> Option<usize> {
    let mut found = None;
    let mut at = 0;
    // Outside quotes at `at`: whether a field starts there.
    let mut field_start = true;
    loop {
        let rest = &bytes[at..];
        let Some(q) = memchr::memchr(b'"', rest).map(|q| at + q) else {
            return memchr::memrchr(b'\n', rest).map(|n| at + n + 1).or(found);
        };
        if let Some(n) = memchr::memrchr(b'\n', &bytes[at..q]) {
            found = Some(at + n + 1);
        }
        let opens = if q == at { field_start } else { matches!(bytes[q - 1], b',' | b'\n') };
        at = q + 1;
        if !opens {
            field_start = false;
            continue;
        }
        // In a quoted field: to its closing quote, past doubled quotes.
        loop {
            let Some(close) = memchr::memchr(b'"', &bytes[at..]).map(|c| at + c) else { return found };
            match bytes.get(close + 1) {
                None => return found,
                Some(b'"') => at = close + 2,
                Some(&after) => {
                    if after == b'\n' {
                        found = Some(close + 2);
                    }
                    field_start = matches!(after, b',' | b'\n');
                    at = close + 2;
                    break;
                }
            }
        }
    }
}

/// The rows of one block, parsed: their cells, and each row's lines and
/// cells; then the error that ended the block's parse, if one did. Kept
/// with its block's bytes, and both reused for a later block once its rows
/// are handed out: fresh megabyte buffers cost page faults.
#[derive(Default)]
struct Parsed {
    cells: Packed,
    rows: Vec<(Lines, RowAt)>,
    error: Option<BatchError>,
    bytes: Vec<u8>,
}

/// Parses a block that starts where a row starts, after `lines_before`
/// lines of its file, and that ends in the read that failed with `fail`. `whole`: the block ends where a row ends (or the file
/// does); a block that does not is a row longer than the row limit, which
/// its parse must find.
fn parse(
    file: &str,
    block: Vec<u8>,
    fail: Option<std::io::Error>,
    lines_before: u64,
    limits: Limits,
    whole: bool,
    mut parsed: Parsed,
) -> Parsed {
    let block = Arc::new(block);
    let source = Source::new(file, BlockReader { bytes: Arc::clone(&block), at: 0, fail, file_start: false });
    let mut rows = CsvRows::block(source, limits, lines_before);
    loop {
        let first = parsed.cells.cells();
        match rows.next_row(&mut RowCells { packed: &mut parsed.cells }) {
            Ok(Some(lines)) => {
                let len = parsed.cells.cells() - first;
                let row = RowAt { line: lines.first, more_lines: 0, fields: 0, first, len };
                parsed.rows.push((lines, row));
            }
            Ok(None) => break,
            Err(e) => {
                parsed.error = Some(e);
                break;
            }
        }
    }
    if !whole && parsed.error.is_none() {
        // Unreachable while the block holds more than the row limit and a
        // buffer: the row's parse stops at the limit.
        parsed.error = Some(rows.row_too_long());
    }
    drop(rows);
    parsed.bytes = Arc::try_unwrap(block).unwrap_or_default();
    parsed
}

/// A block's bytes as a reader, then the failed read that ended them, if
/// one did. The first read gives one byte, so that the
/// csv reader never takes the bytes of a byte order mark at the start of
/// a block for the file's (it looks for one only in its first read, and
/// only in three bytes or more).
struct BlockReader {
    bytes: Arc<Vec<u8>>,
    at: usize,
    /// What the read after the bytes gives, if not their end.
    fail: Option<std::io::Error>,
    /// The bytes are the file's first: a byte order mark there is the file's.
    file_start: bool,
}

impl Read for BlockReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.bytes.len() {
            if let Some(e) = self.fail.take() {
                return Err(e);
            }
        }
        let most = if self.at == 0 && !self.file_start { 1 } else { buf.len() };
        let n = most.min(buf.len()).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A UTF-8 CSV file read in blocks parsed in parallel; see the module
/// documentation.
pub(crate) struct CsvBlocks {
    file: Arc<str>,
    inner: Box<dyn Read + Send>,
    limits: Limits,
    /// The bytes to read for a block (smaller in tests).
    block: usize,
    /// Read and not yet sent to be parsed; starts where a row starts.
    pending: Vec<u8>,
    /// The lines before `pending`.
    lines_before: u64,
    /// The file is read to its end (or failed: `read_error`).
    at_end: bool,
    /// A failed read, reported after the rows before it.
    read_error: Option<std::io::Error>,
    /// Blocks sent to be parsed, in file order.
    ahead: VecDeque<Receiver<Parsed>>,
    /// The block whose rows are being handed out, and the next row.
    current: Option<Parsed>,
    next: usize,
    /// Runs a job on a worker; `None`: blocks are parsed here.
    spawn: Option<Spawn>,
    /// Blocks handed out, emptied, to be parsed into again.
    spare: Vec<Parsed>,
}

impl CsvBlocks {
    /// The rows of a UTF-8 source, read within `limits`; nothing is read yet.
    pub(crate) fn new(src: Source, limits: Limits) -> CsvBlocks {
        CsvBlocks::with_block(src, limits, BLOCK)
    }

    /// The same, read in blocks of about `block` bytes.
    pub(crate) fn with_block(src: Source, limits: Limits, block: usize) -> CsvBlocks {
        CsvBlocks {
            file: Arc::from(src.file.as_str()),
            inner: src.reader,
            limits,
            block,
            pending: Vec::new(),
            lines_before: 0,
            at_end: false,
            read_error: None,
            ahead: VecDeque::new(),
            current: None,
            next: 0,
            spawn: None,
            spare: Vec::new(),
        }
    }

    /// The most bytes read for a block (or the header) that holds the start
    /// of one row and no end: past them, the parse meets the row limit.
    fn most(&self) -> usize {
        self.limits.row.saturating_add(3 * BUFFER).max(self.block)
    }

    /// Reads up to `n` more bytes into `pending`, in one read of the
    /// source when `once`; at the end of the file (or at a failed read)
    /// sets `at_end`.
    fn read_more(&mut self, n: usize, once: bool) {
        let start = self.pending.len();
        self.pending.resize(start + n, 0);
        let mut got = start;
        while got < self.pending.len() {
            match self.inner.read(&mut self.pending[got..]) {
                Ok(0) => {
                    self.at_end = true;
                    break;
                }
                Ok(k) if once => {
                    got += k;
                    break;
                }
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.read_error = Some(e);
                    self.at_end = true;
                    break;
                }
            }
        }
        self.pending.truncate(got);
    }

    /// Cuts the next block off `pending` and sends it to be parsed; false
    /// when there is nothing left to send.
    fn send_block(&mut self) -> bool {
        let most = self.most();
        let (cut, whole) = loop {
            if self.pending.len() < self.block && !self.at_end {
                self.read_more(self.block - self.pending.len(), false);
                continue;
            }
            match last_row_end(&self.pending) {
                _ if self.at_end => break (self.pending.len(), true),
                Some(cut) => break (cut, true),
                None if self.pending.len() >= most => break (self.pending.len(), false),
                // Never more than the row limit's worth of one row.
                None => self.read_more(self.block.min(most - self.pending.len()), false),
            }
        };
        // The bytes read before a failed read go with it: their parse
        // gives the rows that end in them, then the error, as the whole
        // file's would.
        let fail = self.read_error.take();
        if cut == 0 && fail.is_none() {
            return false;
        }
        if !whole {
            // Its parse ends the run: nothing after it is read.
            self.at_end = true;
        }
        // The rest goes into a spare buffer, and the block is sent.
        let mut into = self.spare.pop().unwrap_or_default();
        let mut rest = std::mem::take(&mut into.bytes);
        rest.clear();
        rest.extend_from_slice(&self.pending[cut..]);
        self.pending.truncate(cut);
        let block = std::mem::replace(&mut self.pending, rest);
        let lines_before = self.lines_before;
        self.lines_before += memchr::memchr_iter(b'\n', &block).count() as u64;
        let (file, limits) = (Arc::clone(&self.file), self.limits);
        let (send, receive) = sync_channel(1);
        let job = move || {
            let _ = send.send(parse(&file, block, fail, lines_before, limits, whole, into));
        };
        match &self.spawn {
            Some(spawn) => spawn(Box::new(job)),
            None => job(),
        }
        self.ahead.push_back(receive);
        true
    }

    /// The next parsed block, in file order, once it is parsed.
    fn next_block(&mut self) -> Option<Parsed> {
        while self.ahead.len() < AHEAD && self.send_block() {}
        let parsed = self.ahead.pop_front()?.recv();
        // A job that panicked drops its sender; the run reports the panic.
        Some(parsed.unwrap_or_else(|_| Parsed {
            error: Some(BatchError::new(&self.file, None, "internal error: a block of the file was not parsed".into())),
            ..Parsed::default()
        }))
    }
}

impl RowSource for CsvBlocks {
    /// Reads the header from the first bytes, as [`CsvRows`] reads it
    /// from the whole file: read again with more bytes until it ends in a
    /// line end within them, or the file ends, or the row limit is passed.
    fn header(&mut self) -> Result<Header, BatchError> {
        let most = self.most();
        loop {
            let full = self.at_end || self.pending.len() >= most;
            // The csv reader takes a byte order mark off the file's start.
            let bom = if self.pending.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
            let row_end = self.pending.get(bom..).and_then(last_row_end).map(|r| r + bom);
            if row_end.is_some() || full {
                let source = Source::new(self.file.to_string(), std::io::Cursor::new(self.pending.clone()));
                let mut rows = CsvRows::new(source, self.limits);
                let header = rows.header();
                let end = rows.bytes_read();
                // Read whole: a row, ending where a row ends within the bytes.
                let ended = rows.read_a_row() && row_end.is_some_and(|r| end <= r);
                if let (Some(fail), false) = (self.read_error.take(), ended) {
                    // Read as the whole file's reader would: these bytes, then the failure.
                    let replay = BlockReader {
                        bytes: Arc::new(self.pending.clone()),
                        at: 0,
                        fail: Some(fail),
                        file_start: true,
                    };
                    return CsvRows::new(Source::new(self.file.to_string(), replay), self.limits).header();
                }
                if ended || full {
                    let header = header?;
                    // The rows start after the header's line end.
                    self.lines_before = memchr::memchr_iter(b'\n', &self.pending[..end]).count() as u64;
                    self.pending.drain(..end);
                    return Ok(header);
                }
            }
            // The header is read on the caller's thread: no further than it needs.
            self.read_more(BUFFER, true);
        }
    }

    fn next_row(&mut self, cells: &mut RowCells<'_>) -> Result<Option<Lines>, BatchError> {
        loop {
            if let Some(parsed) = &mut self.current {
                if let Some(&(lines, row)) = parsed.rows.get(self.next) {
                    self.next += 1;
                    cells.packed.push_copy(&parsed.cells, row);
                    return Ok(Some(lines));
                }
                if let Some(e) = parsed.error.take() {
                    self.ahead.clear();
                    self.at_end = true;
                    return Err(e);
                }
            }
            if let Some(mut done) = self.current.take() {
                done.cells.clear();
                done.rows.clear();
                self.spare.push(done);
            }
            self.next = 0;
            self.current = self.next_block();
            if self.current.is_none() {
                return Ok(None);
            }
        }
    }

    fn read_ahead(&mut self, spawn: Spawn) {
        self.spawn = Some(spawn);
    }
}

#[cfg(test)]
#[path = "csv_blocks_tests.rs"]
mod tests;
