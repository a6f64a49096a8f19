//! Reading CSV rows: headers, keys, and the two ways list records reach
//! their firm.
//!
//! Rows are parsed into one reused buffer and checked to be UTF-8 once, as
//! they are copied into a [`Packed`] (the text of every cell of a chunk in
//! one buffer), so a GBK export fails at its first bad line with the file,
//! line and column. Firm rows go straight into their chunk's `Packed`; a
//! sorted list's row waits in a one-row `Packed` until its firm comes and
//! is copied then. Reading allocates nothing per row, and the workers read
//! a chunk's rows laid out in order.
//!
//! Sorted list files are merged with the firm file as both stream by
//! (`ListStream`): memory stays flat. Otherwise every list record is kept,
//! compactly encoded, in a map from key to records (`ListStore`) until its
//! firm comes by; what is left at the end has no firm.
//!
//! A row with more or fewer fields than the header is read like any other:
//! joined to its firm by its key, it rejects the firm when it is scored
//! (see [`field_count_problem`]). Only a row whose key cannot be read is
//! rejected here, alone ([`keyless`]).
//!
//! Limits are enforced here: a header over the column limit and a field
//! over the field limit are fatal errors naming the line (and column), and
//! the source is read through [`Capped`], which stops a row that grows past
//! the row limit before the csv reader has buffered more than that (an
//! unclosed quote, a 100 MB field). A firm's list rows beyond the list's
//! `max_records` are kept as line numbers only.
//!
//! Line numbers count physical lines: the csv reader skips blank lines
//! without telling where the next row starts, so [`Capped`] counts the
//! blank lines after each row in the bytes it hands out.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

use compact_str::CompactString;
use csv::ByteRecord;
use smallvec::SmallVec;

use super::error::{BatchError, BatchErrorKind};
use super::reject::{Reject, RejectReason};
use super::source::{Source, UTF_8};

pub(crate) const GBK_HINT: &str = "; a GBK/GB18030 export? save the file as UTF-8 (Excel: 另存为 “CSV UTF-8”)";

/// What a file read in `encoding` is told when a cell is not text: the
/// hint to save it as UTF-8 only for a file read as UTF-8.
pub(crate) fn not_text(encoding: &str) -> (String, &'static str) {
    if encoding == UTF_8 {
        ("not UTF-8".to_string(), GBK_HINT)
    } else {
        (format!("not {encoding}"), "")
    }
}

/// A file's header: the line it is on (blank lines before it counted) and
/// its column names, cleaned.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    pub(crate) line: u64,
    pub(crate) names: Vec<String>,
}

/// Cleans a header cell on `line`: a UTF-8 BOM and surrounding spaces go.
pub(crate) fn header_text(file: &str, line: u64, raw: &[u8], col: usize, encoding: &str) -> Result<String, BatchError> {
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    match std::str::from_utf8(raw) {
        Ok(s) => Ok(s.trim().to_string()),
        Err(_) => {
            let (what, hint) = not_text(encoding);
            Err(BatchError::new(file, Some(line), format!("the header is {what} (column {}){hint}", col + 1)))
        }
    }
}

/// A row kept in a [`Packed`]: its line, the lines after it that it runs
/// over (line ends in quoted fields), its field count, and which of the
/// cells are its: all of them, or for a row with more fields than the
/// header, only as many as the header has.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowAt {
    pub(crate) line: u64,
    more_lines: u32,
    /// The fields read (at most `u32::MAX` counted).
    fields: u32,
    first: usize,
    len: usize,
}

/// The rows of one chunk, packed: the text of every cell in one buffer,
/// where each cell ends, and the list rows joined to the chunk's firms.
#[derive(Debug)]
pub(crate) struct Packed {
    text: String,
    /// `ends[i]..ends[i + 1]` is cell `i`; starts with 0.
    ends: Vec<usize>,
    /// The list rows of the chunk's firms; a firm holds a range per list.
    pub(crate) list_rows: Vec<RowAt>,
}

impl Default for Packed {
    fn default() -> Packed {
        Packed { text: String::new(), ends: vec![0], list_rows: Vec::new() }
    }
}

impl Packed {
    /// Copies a row, on `line` and the `more_lines` after it, whose cells
    /// must each be UTF-8; else gives the first cell that is not (its
    /// column from 0, and the first bad byte) and copies nothing.
    pub(crate) fn push_record(&mut self, line: u64, more_lines: u32, rec: &ByteRecord) -> Result<RowAt, (usize, u8)> {
        let first = self.ends.len() - 1;
        let fields = u32::try_from(rec.len()).unwrap_or(u32::MAX);
        let row = RowAt { line, more_lines, fields, first, len: rec.len() };
        // The common case at once: the row is UTF-8 and no cell ends inside a character.
        if let Ok(text) = std::str::from_utf8(rec.as_slice()) {
            let start = self.text.len();
            self.text.push_str(text);
            let mut end = start;
            let mut on_boundaries = true;
            self.ends.extend(rec.iter().map(|f| {
                end += f.len();
                on_boundaries &= self.text.is_char_boundary(end);
                end
            }));
            if on_boundaries {
                return Ok(row);
            }
            self.truncate(first);
        }
        // Cell by cell, to find the first that is not UTF-8 on its own.
        for (col, f) in rec.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(text) => {
                    self.push_text(text);
                }
                Err(e) => {
                    self.truncate(first);
                    return Err((col, f[e.valid_up_to()]));
                }
            }
        }
        Ok(row)
    }

    /// Copies a row of another `Packed`.
    pub(crate) fn push_copy(&mut self, from: &Packed, row: RowAt) -> RowAt {
        let first = self.ends.len() - 1;
        let (start, end) = (from.ends[row.first], from.ends[row.first + row.len]);
        let base = self.text.len();
        self.text.push_str(&from.text[start..end]);
        self.ends.extend(from.ends[row.first + 1..=row.first + row.len].iter().map(|e| e - start + base));
        RowAt { first, ..row }
    }

    /// Keeps only the first `n` cells of the row just pushed.
    fn keep_cells(&mut self, row: &mut RowAt, n: usize) {
        if row.len > n {
            self.truncate(row.first + n);
            row.len = n;
        }
    }

    /// Drops the cells from `first` on.
    fn truncate(&mut self, first: usize) {
        self.text.truncate(self.ends[first]);
        self.ends.truncate(first + 1);
    }

    /// The bytes its buffers hold.
    #[cfg(feature = "parallel")]
    pub(crate) fn capacity(&self) -> usize {
        self.text.capacity()
            + self.ends.capacity() * std::mem::size_of::<usize>()
            + self.list_rows.capacity() * std::mem::size_of::<RowAt>()
    }

    /// Empties it, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.truncate(0);
        self.list_rows.clear();
    }

    /// Adds one cell that belongs to no row (a normalised key); returns its index.
    pub(crate) fn push_text(&mut self, text: &str) -> usize {
        self.text.push_str(text);
        self.ends.push(self.text.len());
        self.ends.len() - 2
    }

    /// The text of cell `i`, as returned by [`Packed::push_text`].
    pub(crate) fn text(&self, i: usize) -> &str {
        &self.text[self.ends[i]..self.ends[i + 1]]
    }

    /// The text of a row's cell; empty when the row has no such column.
    pub(crate) fn cell(&self, row: RowAt, col: usize) -> &str {
        if col < row.len {
            self.text(row.first + col)
        } else {
            ""
        }
    }

    /// The list rows in `range`.
    pub(crate) fn list_rows(&self, range: &Range<usize>) -> &[RowAt] {
        &self.list_rows[range.clone()]
    }
}

/// The size limits of one file: fields and rows in bytes, the header in columns.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) field: usize,
    pub(crate) row: usize,
    pub(crate) columns: usize,
}

/// The csv reader's buffer.
const BUFFER: usize = 1 << 16;

/// A source that refuses to deliver more than the row limit (plus one
/// buffer) between two rows, and knows the line the next row starts on;
/// [`read_row`] tells it where each row ends.
///
/// The csv reader skips blank lines (a lone LF) before a row, and the
/// record it gives starts where the row before ended. So after each row
/// the blank lines that follow are counted in the bytes handed out: the
/// rest of the last buffer (kept in `last`, which the csv reader holds the
/// unread part of), and, while they run to its end, the next.
pub(crate) struct Capped {
    inner: Box<dyn Read + Send>,
    since_row: usize,
    max: usize,
    /// A copy of the bytes last handed out, and the offset of the first in the source.
    last: Vec<u8>,
    last_start: u64,
    /// The line the next row starts on, once its first byte is handed out.
    next_line: u64,
    /// Whether the blank lines after the last row run to the end of `last`.
    in_blank_lines: bool,
}

/// The message inside the I/O error [`Capped`] returns.
const ROW_TOO_LONG: &str = "safegrade: row over the limit";

impl Capped {
    fn new(inner: Box<dyn Read + Send>, max: usize) -> Capped {
        Capped { inner, since_row: 0, max, last: Vec::new(), last_start: 0, next_line: 1, in_blank_lines: true }
    }

    /// A row ended at byte `end` of the source, before line `line` (the
    /// csv reader's count of line ends so far); gives the line of its last
    /// byte: the one before, when that byte is a line end (its own, or one
    /// in an unclosed quote at the end of the file).
    fn row_ended(&mut self, end: u64, line: u64) -> u64 {
        self.since_row = 0;
        self.next_line = line;
        let from =
            usize::try_from(end.saturating_sub(self.last_start)).map_or(self.last.len(), |f| f.min(self.last.len()));
        let last_byte = from.checked_sub(1).and_then(|i| self.last.get(i).copied());
        self.count_blank_lines(from);
        if last_byte == Some(b'\n') {
            line.saturating_sub(1)
        } else {
            line
        }
    }

    /// Counts the line ends from `last[from]` on up to the first other byte.
    fn count_blank_lines(&mut self, from: usize) {
        let run = self.last[from..].iter().take_while(|&&b| b == b'\n').count();
        self.next_line += run as u64;
        self.in_blank_lines = from + run == self.last.len();
    }
}

impl Read for Capped {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.since_row > self.max {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, ROW_TOO_LONG));
        }
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.since_row += n;
            self.last_start += self.last.len() as u64;
            self.last.clear();
            self.last.extend_from_slice(&buf[..n]);
            if self.in_blank_lines {
                // The csv reader takes a UTF-8 BOM off the start of the file before it skips blank lines.
                let bom = if self.last_start == 0 && self.last.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
                self.count_blank_lines(bom);
            }
        }
        Ok(n)
    }
}

/// A CSV file being read row by row.
pub(crate) struct Rows {
    pub(crate) file: Arc<str>,
    encoding: &'static str,
    reader: csv::Reader<Capped>,
    pub(crate) n_cols: usize,
    pub(crate) rows_read: u64,
    limits: Limits,
    /// The buffer the csv parser reads a row into.
    buf: ByteRecord,
}

impl Rows {
    /// Opens a source and reads its header: UTF-8, within the field and
    /// column limits, its lines ending in LF or CRLF.
    pub(crate) fn open(src: Source, limits: Limits) -> Result<(Rows, Header), BatchError> {
        let file: Arc<str> = Arc::from(src.file.as_str());
        let capped = Capped::new(src.reader, limits.row.saturating_add(BUFFER));
        // `\n` is the only terminator, and a `\r` before it is stripped in
        // `read_row`: the csv crate's own CRLF handling numbers every line
        // after a CRLF one too low.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(BUFFER)
            .from_reader(capped);
        let mut rec = ByteRecord::new();
        let got = read_row(&mut reader, &mut rec).map_err(|e| read_error(&file, &reader, &e, limits))?;
        let Some((line, _)) = got else {
            return Err(BatchError::new(&file, None, "the file is empty: expected a header line".into()));
        };
        check_encoding(&file, &rec, line)?;
        check_fields(&file, &rec, line, limits)?;
        // A CR with more text after it: the lines end in a lone CR, and
        // the whole file has come as this one row. (A line end of CR CR LF
        // leaves only CRs at the end, which the header's trimming takes.)
        let lone_cr = |h: &[u8]| {
            let end = h.iter().rposition(|&b| b != b'\r').map_or(0, |i| i + 1);
            h[..end].contains(&b'\r')
        };
        if rec.iter().any(lone_cr) {
            return Err(BatchError::new(
                &file,
                Some(line),
                "the line ends are a lone CR (an old Mac export): save the file with LF or CRLF line ends".into(),
            ));
        }
        if rec.len() > limits.columns {
            return Err(BatchError::new(
                &file,
                Some(line),
                format!("the header has {} columns, more than the limit of {}", rec.len(), limits.columns),
            ));
        }
        let names = rec
            .iter()
            .enumerate()
            .map(|(i, h)| header_text(&file, line, h, i, src.encoding))
            .collect::<Result<_, _>>()?;
        let rows = Rows {
            file,
            encoding: src.encoding,
            reader,
            n_cols: rec.len(),
            rows_read: 0,
            limits,
            buf: ByteRecord::new(),
        };
        Ok((rows, Header { line, names }))
    }

    /// Reads the next data row into `into`: `Ok(None)` at the end. Its
    /// field count may differ from the header's ([`field_count_problem`]).
    /// Every cell must be UTF-8 on its own: a character split by a comma
    /// is an error too, in the cell where it starts.
    pub(crate) fn next(&mut self, into: &mut Packed) -> Result<Option<RowAt>, BatchError> {
        let buf = &mut self.buf;
        let got = read_row(&mut self.reader, buf).map_err(|e| read_error(&self.file, &self.reader, &e, self.limits))?;
        let Some((line, more_lines)) = got else {
            return Ok(None);
        };
        self.rows_read += 1;
        check_fields(&self.file, buf, line, self.limits)?;
        let encoding = self.encoding;
        let mut row = into.push_record(line, more_lines, buf).map_err(|(col, byte)| {
            let (what, hint) = not_text(encoding);
            BatchError::new(&self.file, Some(line), format!("{what} (byte 0x{byte:02X} in column {}){hint}", col + 1))
        })?;
        // A row with more fields than the header is rejected, and only its
        // key is read: it keeps no more cells than a good row.
        into.keep_cells(&mut row, self.n_cols);
        Ok(Some(row))
    }
}

/// What is wrong with a row whose field count is not the header's
/// `n_cols`; `None` when it is.
pub(crate) fn field_count_problem(row: RowAt, n_cols: usize) -> Option<String> {
    let fields = row.fields as usize;
    if fields == n_cols {
        return None;
    }
    let why = if row.more_lines > 0 {
        format!("a quoted field runs from here to line {}, an unclosed quote?", row.line + u64::from(row.more_lines))
    } else if fields < n_cols {
        "a truncated or misaligned row".to_string()
    } else {
        "an unquoted comma?".to_string()
    };
    Some(format!("has {fields} fields, the header has {n_cols}: {why}"))
}

/// The reject of a row whose key cannot be read: for its field count when
/// that is wrong too (its key cell may be missing, or hold another
/// column's value), else for its key. A list row (`list`) says that no
/// firm is rejected with it: none can be told.
pub(crate) fn keyless(bad_key: Reject, row: RowAt, n_cols: usize, list: Option<usize>) -> Reject {
    let mut r = match field_count_problem(row, n_cols) {
        Some(message) => Reject { column: String::new(), reason: RejectReason::FieldCount, message, ..bad_key },
        None => bad_key,
    };
    if let Some(list) = list {
        r.message.push_str("; its key cannot be read, so no firm is rejected with it");
        r = r.in_list(list);
    }
    r
}

/// A UTF-16 or UTF-32 file, with a byte order mark or with NUL bytes in its
/// header, is named as such: as UTF-8 its header would be wrong in ways that
/// hide it.
fn check_encoding(file: &str, header: &ByteRecord, line: u64) -> Result<(), BatchError> {
    let first = header.get(0).unwrap_or_default();
    let message = if first.starts_with(b"\xFF\xFE\0\0") || first.starts_with(b"\0\0\xFE\xFF") {
        "UTF-32 text; save it as UTF-8 (Excel: 另存为 “CSV UTF-8”)"
    } else if first.starts_with(b"\xFF\xFE") || first.starts_with(b"\xFE\xFF") {
        "UTF-16 text; save it as UTF-8 (Excel: 另存为 “CSV UTF-8”)"
    } else if header.as_slice().contains(&0) {
        "the header holds NUL bytes: UTF-16 text without a byte order mark? save it as UTF-8 (Excel: 另存为 “CSV UTF-8”)"
    } else {
        return Ok(());
    };
    Err(BatchError::new(file, Some(line), message.to_string()))
}

/// Reads the next row that is not blank, without the `\r` of a CRLF line
/// end; gives the line it starts on and the lines after that it runs over.
fn read_row(reader: &mut csv::Reader<Capped>, rec: &mut ByteRecord) -> Result<Option<(u64, u32)>, csv::Error> {
    loop {
        if !reader.read_byte_record(rec)? {
            return Ok(None);
        }
        // Every blank line before the row is counted by now: its first byte was handed out.
        let line = reader.get_ref().next_line;
        let end = reader.position();
        let (end, after) = (end.byte(), end.line());
        let last_line = reader.get_mut().row_ended(end, after);
        let more_lines = u32::try_from(last_line.saturating_sub(line)).unwrap_or(u32::MAX);
        let n = rec.len();
        if let Some(last) = rec.get(n.wrapping_sub(1)).filter(|f| f.ends_with(b"\r")) {
            let field = last[..last.len() - 1].to_vec();
            rec.truncate(n - 1);
            rec.push_field(&field);
            if n == 1 && field.is_empty() {
                // A blank CRLF line, which a LF file would not have as a row.
                continue;
            }
        }
        return Ok(Some((line, more_lines)));
    }
}

fn read_error(file: &str, reader: &csv::Reader<Capped>, e: &csv::Error, limits: Limits) -> BatchError {
    // The row being read starts after the last one and the blank lines after it.
    let line = reader.get_ref().next_line;
    if let csv::ErrorKind::Io(io) = e.kind() {
        if io.kind() == std::io::ErrorKind::InvalidData && io.to_string() == ROW_TOO_LONG {
            return BatchError::new(
                file,
                Some(line),
                format!(
                    "the row starting here is longer than {}, the row limit: an unclosed quote, line ends that are a lone CR, or a field far over the {} field limit?",
                    size(limits.row),
                    size(limits.field)
                ),
            );
        }
    }
    BatchError::new(file, Some(line), format!("cannot read: {e}"))
}

/// A field over the field limit is fatal.
fn check_fields(file: &str, rec: &ByteRecord, line: u64, limits: Limits) -> Result<(), BatchError> {
    if rec.as_slice().len() <= limits.field {
        // No field can be longer than the row.
        return Ok(());
    }
    match rec.iter().position(|f| f.len() > limits.field) {
        None => Ok(()),
        Some(col) => Err(BatchError::new(
            file,
            Some(line),
            format!(
                "column {} holds {} bytes; a field may hold at most {} ({} bytes)",
                col + 1,
                rec[col].len(),
                size(limits.field),
                limits.field
            ),
        )),
    }
}

/// `1 MiB`, `16 MiB`, or bytes.
fn size(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// Reads and normalises a row's key from its cell; a bad key is a reject.
pub(crate) fn key_of<'a>(
    cell: &'a str,
    uscc: bool,
    file: &Arc<str>,
    line: u64,
    column: &str,
) -> Result<Cow<'a, str>, Reject> {
    let raw = crate::input::trim(cell);
    let bad = |why: String| Reject::new(file, line, column, raw, RejectReason::BadKey, why);
    if raw.is_empty() {
        return Err(bad("the key is empty".into()));
    }
    if !uscc {
        if raw.chars().count() > 64 {
            return Err(bad("the key is longer than 64 characters".into()));
        }
        return Ok(Cow::Borrowed(raw));
    }
    let code = if raw.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(raw.to_ascii_uppercase())
    } else {
        Cow::Borrowed(raw)
    };
    crate::uscc::validate(&code).map_err(|e| bad(format!("`{raw}` is not a valid 统一社会信用代码: {e}")))?;
    Ok(code)
}

/// A sorted list file, read in step with the sorted firm file.
pub(crate) struct ListStream {
    pub(crate) list: usize,
    rows: Rows,
    key_col: usize,
    key_name: String,
    uscc: bool,
    /// The row read ahead, the next with a good key, if there is one.
    ahead: Packed,
    peeked: Option<RowAt>,
    /// The key of the last row with a good key (the peeked row's, when
    /// there is one; empty before the first): the largest so far.
    last_key: String,
    done: bool,
}

impl ListStream {
    pub(crate) fn new(list: usize, rows: Rows, key_col: usize, key_name: String, uscc: bool) -> ListStream {
        ListStream {
            list,
            rows,
            key_col,
            key_name,
            uscc,
            ahead: Packed::default(),
            peeked: None,
            last_key: String::new(),
            done: false,
        }
    }

    pub(crate) fn rows_read(&self) -> u64 {
        self.rows.rows_read
    }

    /// Fills `peeked`, sending rows with bad keys to `rejects`.
    fn fill(&mut self, rejects: &mut Vec<Reject>) -> Result<(), BatchError> {
        while self.peeked.is_none() && !self.done {
            self.ahead.clear();
            let Some(row) = self.rows.next(&mut self.ahead)? else {
                self.done = true;
                break;
            };
            let line = row.line;
            let cell = self.ahead.cell(row, self.key_col);
            if !self.last_key.is_empty() && crate::input::trim(cell) == self.last_key {
                // The key of the row before, checked then: the usual case, a
                // firm's next record. (Sound while `key_of` gives a key it
                // has normalised back unchanged: trimmed, upper case.)
                self.peeked = Some(row);
                continue;
            }
            match key_of(cell, self.uscc, &self.rows.file, line, &self.key_name) {
                Err(r) => rejects.push(keyless(r, row, self.rows.n_cols, Some(self.list))),
                Ok(key) => {
                    if *key < *self.last_key {
                        return Err(out_of_order(&self.rows.file, line, &key, &self.last_key));
                    }
                    if *key != *self.last_key {
                        self.last_key.clear();
                        self.last_key.push_str(&key);
                    }
                    self.peeked = Some(row);
                }
            }
        }
        Ok(())
    }

    /// Takes the rows for `key`, at most `cap` of them into `packed`'s list
    /// rows and the lines of the rest into `overflow`; rows with smaller
    /// keys have no firm.
    pub(crate) fn take(
        &mut self,
        key: &str,
        cap: usize,
        packed: &mut Packed,
        overflow: &mut Vec<u64>,
        rejects: &mut Vec<Reject>,
    ) -> Result<(), BatchError> {
        let start = packed.list_rows.len();
        loop {
            self.fill(rejects)?;
            let Some(row) = self.peeked else { return Ok(()) };
            match (*self.last_key).cmp(key) {
                std::cmp::Ordering::Greater => return Ok(()),
                std::cmp::Ordering::Equal => {
                    self.peeked = None;
                    if packed.list_rows.len() - start < cap {
                        let row = packed.push_copy(&self.ahead, row);
                        packed.list_rows.push(row);
                    } else {
                        overflow.push(row.line);
                    }
                }
                std::cmp::Ordering::Less => {
                    self.peeked = None;
                    rejects.push(self.no_firm(row));
                }
            }
        }
    }

    /// Everything left has no firm.
    pub(crate) fn finish(&mut self, rejects: &mut Vec<Reject>) -> Result<(), BatchError> {
        loop {
            self.fill(rejects)?;
            let Some(row) = self.peeked.take() else { return Ok(()) };
            rejects.push(self.no_firm(row));
        }
    }

    /// The reject of the row read ahead, whose key has no firm.
    fn no_firm(&self, row: RowAt) -> Reject {
        let broken = field_count_problem(row, self.rows.n_cols);
        no_firm(&self.rows.file, self.list, row.line, &self.key_name, &self.last_key, broken)
    }
}

/// The fatal error for a key smaller than the one before, in a run told
/// its files are sorted.
pub(crate) fn out_of_order(file: &str, line: u64, key: &str, last: &str) -> BatchError {
    let message = format!("key `{key}` comes after `{last}`: the file is not sorted by key; sort it");
    BatchError::new(file, Some(line), message).with_kind(BatchErrorKind::NotSorted)
}

/// The reject of a list row whose key has no firm; a row whose field
/// count is wrong too (`broken`) is rejected for that.
fn no_firm(file: &Arc<str>, list: usize, line: u64, key_name: &str, key: &str, broken: Option<String>) -> Reject {
    let no_firm = format!("no firm has the key `{key}`");
    let r = match broken {
        None => Reject::new(file, line, key_name, key, RejectReason::NoFirm, no_firm),
        Some(problem) => Reject::new(file, line, "", key, RejectReason::FieldCount, format!("{problem}; {no_firm}")),
    };
    r.in_list(list)
}

/// A map keyed by firm key. Short keys (a USCC's 18 characters) are held
/// inline and hashed with foldhash (seeded per run): with a million
/// shuffled keys, SipHash and a separate allocation per key to compare
/// against were two cache misses per lookup.
pub(crate) type KeyMap<V> = HashMap<CompactString, V, foldhash::fast::RandomState>;

/// Every record of one list file, grouped by key in memory.
///
/// Records are appended in file order to an [`Arena`], each starting with
/// the address of the record before it with the same key (plus one; 0 for
/// a key's first), and the map holds each key's latest record: adding a
/// record touches only the map's entry and the arena's end, and nothing
/// is moved or reallocated as a key gains records. A record is then, as
/// LEB128 varints (one to three bytes each, mostly one): its line; twice
/// the number of cells kept, plus one for a row that runs over line ends
/// (in quoted fields) or has a field count of its own, which the lines it
/// runs over and its field count follow; and each cell's length, followed
/// by its bytes. The key cell, when it is
/// written as the key, is stored as empty (a key is never empty) and
/// restored from the map.
pub(crate) struct ListStore {
    latest: KeyMap<u64>,
    arena: Arena,
    key_col: usize,
    /// The header's field count.
    n_cols: usize,
    /// Whether the good keys came in ascending order, as a sorted run needs.
    pub(crate) in_key_order: bool,
}

impl ListStore {
    /// Reads a whole list file.
    pub(crate) fn load(
        list: usize,
        rows: &mut Rows,
        key_col: usize,
        key_name: &str,
        uscc: bool,
        rejects: &mut Vec<Reject>,
    ) -> Result<ListStore, BatchError> {
        let mut store = ListStore {
            latest: KeyMap::default(),
            arena: Arena::default(),
            key_col,
            n_cols: rows.n_cols,
            in_key_order: true,
        };
        let mut read = Packed::default();
        let mut encoded = Vec::new();
        // The key of the last row with a good key; empty before the first.
        // A row with a bad key in between leaves it, as `ListStream` does.
        let mut last_key = String::new();
        loop {
            read.clear();
            let Some(row) = rows.next(&mut read)? else { break };
            let cell = read.cell(row, key_col);
            // A firm's records often follow each other: the key of the row
            // before was checked then (sound while `key_of` gives back a
            // key it has normalised unchanged: trimmed, upper case).
            if last_key.is_empty() || crate::input::trim(cell) != last_key {
                match key_of(cell, uscc, &rows.file, row.line, key_name) {
                    Err(r) => {
                        rejects.push(keyless(r, row, rows.n_cols, Some(list)));
                        continue;
                    }
                    Ok(key) => {
                        store.in_key_order &= *key >= *last_key;
                        last_key = key.into_owned();
                    }
                }
            }
            let key = last_key.as_str();
            let latest = store.latest.entry(CompactString::from(key)).or_insert(NO_RECORD);
            encoded.clear();
            put_varint(&mut encoded, if *latest == NO_RECORD { 0 } else { *latest + 1 });
            put_varint(&mut encoded, row.line);
            let unusual = row.more_lines != 0 || row.fields as usize != row.len;
            put_varint(&mut encoded, (row.len as u64) << 1 | u64::from(unusual));
            if unusual {
                put_varint(&mut encoded, u64::from(row.more_lines));
                put_varint(&mut encoded, u64::from(row.fields));
            }
            for i in 0..row.len {
                let f = read.cell(row, i);
                let f = if i == key_col && f == key { "" } else { f };
                put_varint(&mut encoded, f.len() as u64);
                encoded.extend_from_slice(f.as_bytes());
            }
            *latest = store.arena.push(&encoded);
        }
        Ok(store)
    }

    /// Takes the records of `key`: at most `cap` into `packed`'s list
    /// rows, the lines of the rest into `overflow`.
    pub(crate) fn take(&mut self, key: &str, cap: usize, packed: &mut Packed, overflow: &mut Vec<u64>) {
        let Some(latest) = self.latest.remove(key) else { return };
        let chain = self.chain(latest);
        for (i, &at) in chain.iter().rev().enumerate() {
            let record = self.arena.at(at);
            if i < cap {
                decode(record, (self.key_col, key), packed);
            } else {
                overflow.push(take_head(&mut &*record).line);
            }
        }
    }

    /// The addresses of a key's records from its latest, newest first.
    fn chain(&self, latest: u64) -> SmallVec<[u64; 8]> {
        let mut chain = SmallVec::new();
        let mut at = latest;
        loop {
            chain.push(at);
            match take_varint(&mut self.arena.at(at)) {
                0 => return chain,
                prev => at = prev - 1,
            }
        }
    }

    /// Every record left: they have no firm. Sorted by line.
    pub(crate) fn finish(self, list: usize, file: &Arc<str>, key_name: &str, rejects: &mut Vec<Reject>) {
        let mut left: Vec<Reject> = Vec::new();
        for (key, &latest) in &self.latest {
            for at in self.chain(latest) {
                let head = take_head(&mut self.arena.at(at));
                let problem = field_count_problem(head, self.n_cols);
                left.push(no_firm(file, list, head.line, key_name, key, problem));
            }
        }
        left.sort_unstable_by_key(|r| r.line);
        rejects.extend(left);
    }
}

/// The map value of a key with no record yet (never an address: an
/// arena would need 2^42 blocks).
const NO_RECORD: u64 = u64::MAX;

/// Bytes kept in blocks that never move, so growing costs no copy and no
/// page is touched twice. An address is `block << BLOCK_BITS | offset`.
#[derive(Default)]
pub(super) struct Arena {
    blocks: Vec<Vec<u8>>,
}

/// A block holds 4 MiB; a longer record gets a block of its own.
const BLOCK_BITS: u32 = 22;

impl Arena {
    /// Appends `bytes` and returns their address.
    pub(super) fn push(&mut self, bytes: &[u8]) -> u64 {
        let fits =
            self.blocks.last().is_some_and(|b| b.capacity() - b.len() >= bytes.len() && b.len() < 1 << BLOCK_BITS);
        if !fits {
            self.blocks.push(Vec::with_capacity(bytes.len().max(1 << BLOCK_BITS)));
        }
        let n = self.blocks.len() - 1;
        let block = &mut self.blocks[n];
        let offset = block.len();
        block.extend_from_slice(bytes);
        (n as u64) << BLOCK_BITS | offset as u64
    }

    /// The bytes from `at` to the end of its block.
    pub(super) fn at(&self, at: u64) -> &[u8] {
        let block = usize::try_from(at >> BLOCK_BITS).ok().and_then(|b| self.blocks.get(b));
        let offset = (at & ((1 << BLOCK_BITS) - 1)) as usize;
        block.and_then(|b| b.get(offset..)).unwrap_or_default()
    }
}

/// Appends `n` as a LEB128 varint: seven bits a byte, low bits first.
pub(crate) fn put_varint(buf: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        buf.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

/// Takes a varint written by [`put_varint`] off the front of `buf`.
pub(crate) fn take_varint(buf: &mut &[u8]) -> u64 {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let Some((&b, rest)) = buf.split_first() else { break };
        *buf = rest;
        n |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
    }
    n
}

/// Takes the head of a record written by [`ListStore::load`] off the
/// front of `buf`: its lines and field count, as a row with no cells.
fn take_head(buf: &mut &[u8]) -> RowAt {
    let _previous = take_varint(buf);
    let line = take_varint(buf);
    let len_and_unusual = take_varint(buf);
    let len = len_and_unusual >> 1;
    let (more_lines, fields) = if len_and_unusual & 1 == 1 {
        let more_lines = take_varint(buf);
        (more_lines, take_varint(buf))
    } else {
        (0, len)
    };
    let u32_of = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    RowAt {
        line,
        more_lines: u32_of(more_lines),
        fields: u32_of(fields),
        first: 0,
        len: usize::try_from(len).unwrap_or(0),
    }
}

/// Decodes one record written by [`ListStore::load`] into `packed`'s list
/// rows. `key` is the key column and the key, for the cell stored empty.
fn decode(mut buf: &[u8], key: (usize, &str), packed: &mut Packed) {
    fn take<'a>(buf: &mut &'a [u8], n: u64) -> &'a [u8] {
        let (head, tail) = buf.split_at(usize::try_from(n).unwrap_or(usize::MAX).min(buf.len()));
        *buf = tail;
        head
    }
    let head = take_head(&mut buf);
    let first = packed.ends.len() - 1;
    for i in 0..head.len {
        let len = take_varint(&mut buf);
        // The bytes were UTF-8 cells when stored.
        match std::str::from_utf8(take(&mut buf, len)).unwrap_or_default() {
            "" if i == key.0 => packed.push_text(key.1),
            cell => packed.push_text(cell),
        };
    }
    packed.list_rows.push(RowAt { first, ..head });
}
