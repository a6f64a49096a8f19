//! The CSV source of rows: a firm file or list file read from any `Read`,
//! as a [`RowSource`].
//!
//! What is CSV's own is here: quoting, line ends (LF or CRLF; a lone CR is
//! refused), a UTF-8 BOM, UTF-16 and GBK exports named as such, and the
//! byte limits. Rows are parsed into one reused buffer and checked to be
//! UTF-8 once, as they are copied into the run's packed rows, so a GBK
//! export read as UTF-8 fails at its first bad line with the file, line
//! and column. A file in another encoding with a [`CellDecoder`] is split
//! into rows and cells as it is, and its cells that are not ASCII are
//! decoded as they are copied.
//!
//! Limits are enforced here: a field over the field limit is a fatal error
//! naming the line and column, and the source is read through [`Capped`],
//! which stops a row that grows past the row limit before the csv reader
//! has buffered more than that (an unclosed quote, a 100 MB field).
//!
//! Line numbers count physical lines: the csv reader skips blank lines
//! without telling where the next row starts, so [`Capped`] counts the
//! blank lines after each row in the bytes it hands out.

use std::io::Read;

use csv::ByteRecord;

use super::error::BatchError;
use super::packed::Packed;
use super::rows::{field_too_long, size, too_many_columns, Header, Lines, RowCells, RowSource};
use super::source::{CellDecoder, Source, UTF_8};

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

/// The size limits of one file: fields and rows in bytes, the header in
/// columns (refused before its names are read; any source's header is
/// held to it again as the run opens it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) field: usize,
    pub(crate) row: usize,
    pub(crate) columns: usize,
}

/// The csv reader's buffer.
pub(crate) const BUFFER: usize = 1 << 16;

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
    /// The lines before the first byte read: 0 for a whole file, more
    /// for a block of one ([`CsvRows::block`]).
    lines_before: u64,
}

/// The message inside the I/O error [`Capped`] returns.
const ROW_TOO_LONG: &str = "safegrade: row over the limit";

impl Capped {
    fn new(inner: Box<dyn Read + Send>, max: usize, lines_before: u64) -> Capped {
        let next_line = lines_before + 1;
        Capped {
            inner,
            since_row: 0,
            max,
            last: Vec::new(),
            last_start: 0,
            next_line,
            in_blank_lines: true,
            lines_before,
        }
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
pub(crate) struct CsvRows {
    file: String,
    encoding: &'static str,
    reader: csv::Reader<Capped>,
    limits: Limits,
    /// The buffer the csv parser reads a row into.
    buf: ByteRecord,
    /// Decodes the cells of a file that is not UTF-8.
    cells: Option<Box<dyn CellDecoder>>,
    /// A decoded header cell.
    decoded: String,
    /// Whether the csv reader has given a row (the header, perhaps with an error).
    read_a_row: bool,
}

impl CsvRows {
    /// A source's rows, read within `limits`; nothing is read yet.
    pub(crate) fn new(src: Source, limits: Limits) -> CsvRows {
        CsvRows::block(src, limits, 0)
    }

    /// The rows of a block of a file that starts where a row starts, after
    /// `lines_before` lines: read as they would be read in the whole file,
    /// on the same lines. The block is not the file's start, so it has no
    /// header and no byte order mark: [`super::csv_blocks`] never starts a
    /// block with the bytes of one.
    pub(crate) fn block(src: Source, limits: Limits, lines_before: u64) -> CsvRows {
        let capped = Capped::new(src.reader, limits.row.saturating_add(BUFFER), lines_before);
        // `\n` is the only terminator, and a `\r` before it is stripped in
        // `read_row`: the csv crate's own CRLF handling numbers every line
        // after a CRLF one too low.
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(BUFFER)
            .from_reader(capped);
        CsvRows {
            file: src.file,
            encoding: src.encoding,
            reader,
            limits,
            buf: ByteRecord::new(),
            cells: src.cells,
            decoded: String::new(),
            read_a_row: false,
        }
    }
}

/// What [`super::csv_blocks`] asks of a block's rows.
#[cfg(feature = "parallel")]
impl CsvRows {
    /// The bytes of the source the rows read so far took, with the blank
    /// lines before them (not those after).
    pub(crate) fn bytes_read(&self) -> usize {
        usize::try_from(self.reader.position().byte()).unwrap_or(usize::MAX)
    }

    /// Whether the header has been read, good or bad: a row was there.
    pub(crate) fn read_a_row(&self) -> bool {
        self.read_a_row
    }

    /// The error of a row longer than the row limit, starting at the next line.
    pub(crate) fn row_too_long(&self) -> BatchError {
        let e = std::io::Error::new(std::io::ErrorKind::InvalidData, ROW_TOO_LONG);
        read_error(&self.file, &self.reader, &csv::Error::from(e), self.limits)
    }
}

impl RowSource for CsvRows {
    /// Reads the header: UTF-8, within the field limit, its lines ending
    /// in LF or CRLF.
    fn header(&mut self) -> Result<Header, BatchError> {
        let file = self.file.as_str();
        let rec = &mut self.buf;
        let got = read_row(&mut self.reader, rec).map_err(|e| read_error(file, &self.reader, &e, self.limits))?;
        let Some((line, _)) = got else {
            return Err(BatchError::new(file, None, "the file is empty: expected a header line".into()));
        };
        self.read_a_row = true;
        check_encoding(file, rec, line)?;
        check_fields(file, rec, line, self.limits)?;
        // A CR with more text after it: the lines end in a lone CR, and
        // the whole file has come as this one row. (A line end of CR CR LF
        // leaves only CRs at the end, which the header's trimming takes.)
        let lone_cr = |h: &[u8]| {
            let end = h.iter().rposition(|&b| b != b'\r').map_or(0, |i| i + 1);
            h[..end].contains(&b'\r')
        };
        if rec.iter().any(lone_cr) {
            return Err(BatchError::new(
                file,
                Some(line),
                "the line ends are a lone CR (an old Mac export): save the file with LF or CRLF line ends".into(),
            ));
        }
        if rec.len() > self.limits.columns {
            return Err(too_many_columns(file, line, rec.len(), self.limits.columns));
        }
        let mut names = Vec::with_capacity(rec.len());
        for (i, raw) in rec.iter().enumerate() {
            let text = match &mut self.cells {
                Some(cells) if !raw.is_ascii() => {
                    self.decoded.clear();
                    cells
                        .decode(raw, &mut self.decoded)
                        .map_err(|at| not_in_encoding(file, line, self.encoding, i, raw, at))?;
                    header_text(file, line, self.decoded.as_bytes(), i, self.encoding)?
                }
                _ => header_text(file, line, raw, i, self.encoding)?,
            };
            names.push(text);
        }
        Ok(Header { file: self.file.clone(), line, names })
    }

    /// Reads the next data row. Every cell must be UTF-8 on its own: a
    /// character split by a comma is an error too, in the cell where it
    /// starts.
    fn next_row(&mut self, cells: &mut RowCells<'_>) -> Result<Option<Lines>, BatchError> {
        let buf = &mut self.buf;
        let got = read_row(&mut self.reader, buf).map_err(|e| read_error(&self.file, &self.reader, &e, self.limits))?;
        let Some((line, more_lines)) = got else {
            return Ok(None);
        };
        check_fields(&self.file, buf, line, self.limits)?;
        match &mut self.cells {
            Some(decoder) if !buf.as_slice().is_ascii() => {
                push_decoded(cells.packed, buf, decoder.as_mut())
                    .map_err(|(col, at)| not_in_encoding(&self.file, line, self.encoding, col, &buf[col], at))?;
            }
            _ => push_record(cells.packed, buf).map_err(|(col, byte)| {
                let (what, hint) = not_text(self.encoding);
                BatchError::new(
                    &self.file,
                    Some(line),
                    format!("{what} (byte 0x{byte:02X} in column {}){hint}", col + 1),
                )
            })?,
        }
        Ok(Some(Lines { first: line, last: line + u64::from(more_lines) }))
    }
}

/// The fatal error of cell `col` (from 0) on `line`, whose byte `at` is
/// not valid in `encoding`.
fn not_in_encoding(file: &str, line: u64, encoding: &str, col: usize, raw: &[u8], at: usize) -> BatchError {
    let byte = raw.get(at).copied().unwrap_or_default();
    BatchError::new(file, Some(line), format!("not {encoding} (byte 0x{byte:02X} in column {})", col + 1))
}

/// Copies a row's cells, decoding those that are not ASCII through
/// `decoder` straight into the packed text; else gives the first cell
/// that does not decode (its column from 0, and the offset of its first
/// bad byte) and copies nothing.
fn push_decoded(packed: &mut Packed, rec: &ByteRecord, decoder: &mut dyn CellDecoder) -> Result<(), (usize, usize)> {
    let first = packed.cells();
    for (col, raw) in rec.iter().enumerate() {
        let pushed = if raw.is_ascii() {
            // ASCII is its own text in any such encoding.
            std::str::from_utf8(raw).map(|ascii| packed.push_text(ascii)).map(drop).map_err(|e| e.valid_up_to())
        } else {
            packed.push_with(|text| decoder.decode(raw, text))
        };
        if let Err(at) = pushed {
            packed.truncate(first);
            return Err((col, at));
        }
    }
    Ok(())
}

/// Copies a row's cells, which must each be UTF-8; else gives the first
/// cell that is not (its column from 0, and the first bad byte) and copies
/// nothing.
pub(crate) fn push_record(packed: &mut Packed, rec: &ByteRecord) -> Result<(), (usize, u8)> {
    // The common case at once: the row is UTF-8 and no cell ends inside a character.
    if let Ok(text) = std::str::from_utf8(rec.as_slice()) {
        if packed.push_cells(text, rec.iter().map(<[u8]>::len)) {
            return Ok(());
        }
    }
    // Cell by cell, to find the first that is not UTF-8 on its own.
    let first = packed.cells();
    for (col, f) in rec.iter().enumerate() {
        match std::str::from_utf8(f) {
            Ok(text) => {
                packed.push_text(text);
            }
            Err(e) => {
                packed.truncate(first);
                return Err((col, f[e.valid_up_to()]));
            }
        }
    }
    Ok(())
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
        let (end, after) = (end.byte(), end.line() + reader.get_ref().lines_before);
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
        Some(col) => Err(field_too_long(file, line, col, rec[col].len(), limits.field)),
    }
}
