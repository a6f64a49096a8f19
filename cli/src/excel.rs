//! Workbook inputs (`.xlsx`, `.xlsm`, `.xls`, `.ods`): one sheet is a
//! source of rows ([`SheetRows`]) for the batch core, so validation,
//! rejects, accounting and outputs are those of a CSV file, and no CSV
//! text is written or parsed.
//!
//! Each cell becomes the text a CSV cell would hold: a number by Rust's
//! shortest round-trip formatting (`0.1`, `0.0000001`, `12` for 12.0), a
//! date stored as a serial number as `YYYY-MM-DD` in the workbook's 1900 or
//! 1904 date system (with a time of day, `YYYY-MM-DDTHH:MM:SS`, which no
//! date input takes), a boolean `true` or `false`, text as it is (line
//! breaks too), an error value (`#DIV/0!`) as its text, an empty cell as
//! nothing. The first row that holds a cell is the header (its texts
//! trimmed, as a CSV header's are); an empty row is skipped, as a blank CSV
//! line is; a row shorter than the header is padded with empty cells. A
//! row's line is its sheet row number, always.
//!
//! `.xlsx` sheets are streamed cell by cell (`xlsx_in.rs`) on a thread of
//! their own into a bounded channel of chunks of rows: the sheet is never
//! held whole, only the workbook's bytes and its shared strings. A formula
//! cell's cached value is used; one with no cached value (a workbook saved
//! by a tool that does not compute) is refused. A merged cell that touches
//! the header row is refused. `.xls` and `.ods` sheets are loaded whole by
//! calamine (an `.xls` sheet holds at most 65,536 × 256 cells).

#[path = "xlsx_in.rs"]
mod xlsx_in;

use std::io::Cursor;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use anyhow::{bail, Context, Result};
use calamine::{open_workbook_auto_from_rs, Data, ExcelDateTime, Reader, Sheets};
use safegrade::batch::{BatchError, Header, Lines, RowCells, RowSource};

/// The largest workbook file read: 512 MiB.
pub(crate) const MAX_WORKBOOK_BYTES: u64 = 512 << 20;
/// The most rows a sheet may have (Excel's own limit).
const MAX_SHEET_ROWS: u32 = 1 << 20;
/// The cell text sent to the core at a time (in whole rows).
const CHUNK: usize = 1 << 16;

/// The workbook formats read, by file name extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Xlsx,
    Xls,
    Ods,
}

impl Kind {
    /// The format of a file named `path`, when it is a workbook.
    pub(crate) fn of(path: &str) -> Option<Kind> {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".xlsx") || lower.ends_with(".xlsm") {
            Some(Kind::Xlsx)
        } else if lower.ends_with(".xls") {
            Some(Kind::Xls)
        } else if lower.ends_with(".ods") {
            Some(Kind::Ods)
        } else {
            None
        }
    }

    /// Its name in the summary, the report and the manifest (where a CSV
    /// file names its encoding).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Xlsx => "xlsx",
            Kind::Xls => "xls",
            Kind::Ods => "ods",
        }
    }
}

/// Splits `FILE.xlsx#Sheet` into the file and the sheet; any other argument
/// is a file alone. A file whose own name holds `#` is found as it is.
pub(crate) fn split_sheet(arg: &str) -> (&str, Option<&str>) {
    if let Some((file, sheet)) = arg.rsplit_once('#') {
        if Kind::of(file).is_some() && !std::path::Path::new(arg).exists() {
            return (file, Some(sheet));
        }
    }
    (arg, None)
}

/// The limits a sheet is read within: the batch core's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SheetLimits {
    pub(crate) columns: usize,
    pub(crate) field: usize,
    /// The most bytes of text a row may hold (a row is sent whole).
    pub(crate) row: usize,
}

/// Opens sheet `sheet` (the first when `None`) of a workbook whose bytes
/// are `bytes`, named `file` in messages: its rows, named `file#Sheet`.
pub(crate) fn open(
    file: &str,
    kind: Kind,
    bytes: Vec<u8>,
    sheet: Option<&str>,
    limits: SheetLimits,
) -> Result<SheetRows> {
    let not_workbook = || format!("`{file}` is not a readable {} workbook", kind.name());
    match kind {
        Kind::Xlsx => xlsx_in::open(file, bytes, sheet, limits),
        Kind::Xls | Kind::Ods => {
            let mut wb = open_workbook_auto_from_rs(Cursor::new(bytes)).with_context(not_workbook)?;
            let name = pick(file, &wb.sheet_names(), sheet)?;
            let merged = match &wb {
                Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
                _ => Vec::new(),
            };
            let merged = merged.iter().map(|m| Merged { start: m.start, end: m.end }).collect();
            let range = wb.worksheet_range(&name).with_context(not_workbook)?;
            let (tx, rx) = sync_channel(4);
            std::thread::Builder::new()
                .name("workbook".into())
                .spawn(move || {
                    let mut sink = Sink::new(limits, tx, merged);
                    let result = (|| {
                        let Some((r0, c0)) = range.start() else { return Ok(()) };
                        for (i, row) in range.rows().enumerate() {
                            for (j, cell) in row.iter().enumerate() {
                                let text = data_text(cell);
                                let (r, c) = (r0 + i as u32, c0 + j as u32);
                                sink.cell(r, c, text.as_deref())?;
                            }
                        }
                        Ok(())
                    })();
                    sink.finish(result);
                })
                .context("cannot start a thread to read the workbook")?;
            Ok(SheetRows::new(format!("{file}#{name}"), rx))
        }
    }
}

/// The sheet asked for, or the first.
fn pick(file: &str, names: &[String], sheet: Option<&str>) -> Result<String> {
    match sheet {
        Some(s) if names.iter().any(|n| n == s) => Ok(s.to_string()),
        Some(s) => bail!(
            "`{file}` has no sheet `{s}`; its sheets: {}",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ),
        None => names.first().cloned().with_context(|| format!("`{file}` has no sheet")),
    }
}

/// An `.xls` or `.ods` cell's text; `None`
/// when empty.
fn data_text(v: &Data) -> Option<String> {
    Some(match v {
        Data::Empty => return None,
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::String(s) => s.clone(),
        Data::Bool(b) => (if *b { "true" } else { "false" }).to_string(),
        Data::DateTime(d) => date_text(d),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    })
}

/// A number stored as a float: its shortest round-trip text, which for a
/// whole number has no fraction (`12`, not `12.0`).
pub(crate) fn float_text(f: f64) -> String {
    let mut s = String::new();
    push_float(&mut s, f);
    s
}

/// Appends [`float_text`] of `f` to `out`.
fn push_float(out: &mut String, f: f64) {
    use std::fmt::Write;
    if f == 0.0 {
        // Also -0, which `{}` writes `-0`.
        out.push('0');
    } else {
        let _ = write!(out, "{f}");
    }
}

/// A date or time stored as a serial number: `YYYY-MM-DD`, with the time
/// of day when it has one; a duration, or a serial outside Excel's dates,
/// as its number.
fn date_text(d: &ExcelDateTime) -> String {
    let v = d.as_f64();
    if !d.is_datetime() || !(1.0..2_958_466.0).contains(&v) {
        return float_text(v);
    }
    let (y, mo, da, h, mi, s, ms) = d.to_ymd_hms_milli();
    match (h, mi, s, ms) {
        (0, 0, 0, 0) => format!("{y:04}-{mo:02}-{da:02}"),
        (_, _, _, 0) => format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}"),
        _ => format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}.{ms:03}"),
    }
}

/// `A1`-style name of a cell from 0-based row and column.
pub(crate) fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.push(b'A' + rem as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), u64::from(row) + 1)
}

/// A range of merged cells: its first and last (row, column), 0-based.
#[derive(Clone, Copy, Debug)]
struct Merged {
    start: (u32, u32),
    end: (u32, u32),
}

/// Rows of a sheet on their way from its thread to the run: the cells'
/// texts one after another, where each cell ends in them, and each row's
/// sheet row (0-based) and where its cells end (in `ends`). A chunk holds
/// whole rows only.
#[derive(Default)]
struct Chunk {
    text: String,
    ends: Vec<usize>,
    rows: Vec<(u32, usize)>,
}

/// What a sheet's thread sends: a chunk of rows, the end (`None`, which a
/// thread that stops, as by a panic, never sends), or the error that stops
/// it, with the line (sheet row) it is on.
type Message = std::result::Result<Option<Chunk>, (u64, String)>;

/// Puts cells, in row order, into chunks of rows sent to the channel.
struct Sink {
    limits: SheetLimits,
    tx: SyncSender<Message>,
    /// The merged ranges, when they are known before the cells.
    merged: Vec<Merged>,
    /// The chunk's cell texts, UTF-8 (each cell is), and the ends of its
    /// cells and rows.
    text: Vec<u8>,
    ends: Vec<usize>,
    rows: Vec<(u32, usize)>,
    /// The header row (0-based), once a cell is written.
    header: Option<u32>,
    /// The row being written (0-based), once a cell is.
    row: Option<u32>,
    /// Cells written in the row so far.
    col: u32,
    /// Where the row's text starts.
    row_start: usize,
    /// The header's width, once it is written.
    width: Option<u32>,
    /// The line (1-based sheet row) of an error the sink found itself.
    fail_line: Option<u64>,
    /// The receiver has gone (the run stopped): write nothing more.
    gone: bool,
}

impl Sink {
    fn new(limits: SheetLimits, tx: SyncSender<Message>, merged: Vec<Merged>) -> Sink {
        Sink {
            limits,
            tx,
            merged,
            text: Vec::with_capacity(CHUNK * 2),
            ends: Vec::new(),
            rows: Vec::new(),
            header: None,
            row: None,
            col: 0,
            row_start: 0,
            width: None,
            fail_line: None,
            gone: false,
        }
    }

    fn cell(&mut self, r: u32, c: u32, text: Option<&str>) -> Result<(), String> {
        let Some(text) = text.filter(|t| !t.is_empty()) else { return Ok(()) };
        self.place(r, c)?;
        // The core refuses a cell over the field limit, naming the line and
        // column; one far over is cut here, past the limit, so that memory
        // stays bounded.
        let cut = text.ceil_char_boundary(self.limits.field.saturating_add(1));
        self.text.extend_from_slice(&text.as_bytes()[..cut]);
        self.ends.push(self.text.len());
        self.check_row_len(r)
    }

    /// Writes cell (`r`, `c`), whose text is the first `len` bytes of `src`,
    /// UTF-8, not empty and cut as [`Self::cell`] cuts. A short text is
    /// copied as the 16 bytes `src` starts with when it has them, the rest
    /// dropped: a copy of a length known in advance, not a call to copy
    /// bytes.
    #[inline(always)]
    fn copied_cell(&mut self, r: u32, c: u32, src: &[u8], len: usize) -> Result<(), String> {
        self.place(r, c)?;
        match src.first_chunk::<16>() {
            Some(chunk) if len <= 16 => {
                let at = self.text.len();
                self.text.extend_from_slice(chunk);
                self.text.truncate(at + len);
            }
            _ => {
                self.text.extend_from_slice(&src[..len]);
                self.ends.push(self.text.len());
                return self.check_row_len(r);
            }
        }
        self.ends.push(self.text.len());
        Ok(())
    }

    /// Refuses row `r` when its text is over the row limit: only a cell of
    /// more than 16 bytes can take it there (short cells fill at most 64
    /// KiB of a row of 4,096 columns), so only those are checked.
    fn check_row_len(&mut self, r: u32) -> Result<(), String> {
        if self.text.len() - self.row_start > self.limits.row {
            let e =
                format!("row {} holds more than {} bytes of text, the row limit", u64::from(r) + 1, self.limits.row);
            return self.fail(r, e);
        }
        Ok(())
    }

    /// Places cell (`r`, `c`): ends the rows before it and puts the empty
    /// cells before it in its row.
    #[inline(always)]
    fn place(&mut self, r: u32, c: u32) -> Result<(), String> {
        if !self.gone && self.row == Some(r) && c == self.col && (c as usize) < self.limits.columns {
            // The next cell of the row, as most are.
            self.col += 1;
            return Ok(());
        }
        self.place_far(r, c)
    }

    /// [`Self::place`] for a cell that is not the next of its row.
    #[inline(never)]
    fn place_far(&mut self, r: u32, c: u32) -> Result<(), String> {
        if self.gone {
            return Err(String::new());
        }
        if r >= MAX_SHEET_ROWS {
            return self
                .fail(r, format!("cell {} is past row {MAX_SHEET_ROWS}, the last row of a sheet", cell_name(r, c)));
        }
        if c as usize >= self.limits.columns {
            return self.fail(
                r,
                format!(
                    "cell {} is in column {}, past the limit of {} columns",
                    cell_name(r, c),
                    u64::from(c) + 1,
                    self.limits.columns
                ),
            );
        }
        match self.row {
            Some(cur) if r < cur || (r == cur && c < self.col) => {
                return self.fail(r, format!("cell {} is out of order in the sheet", cell_name(r, c)));
            }
            Some(cur) if r > cur => {
                self.end_row();
                if self.text.len() >= CHUNK {
                    self.send()?;
                }
                self.start_row(r)?;
            }
            Some(_) => {}
            None => self.start_row(r)?,
        }
        while self.col < c {
            self.ends.push(self.text.len());
            self.col += 1;
        }
        self.col += 1;
        Ok(())
    }

    /// The error `e`, found at sheet row `r` (0-based).
    fn fail(&mut self, r: u32, e: String) -> Result<(), String> {
        self.fail_line = Some(u64::from(r) + 1);
        Err(e)
    }

    /// A new row starts at sheet row `r`: the header when it is the first,
    /// which no merged cell may touch.
    fn start_row(&mut self, r: u32) -> Result<(), String> {
        if self.header.is_none() {
            self.header = Some(r);
            for m in std::mem::take(&mut self.merged) {
                self.check_merged(&m)?;
            }
        }
        self.row = Some(r);
        self.col = 0;
        self.row_start = self.text.len();
        Ok(())
    }

    /// Refuses merged cells that touch the header row.
    fn check_merged(&mut self, m: &Merged) -> Result<(), String> {
        match self.header {
            Some(r) if m.start.0 <= r && r <= m.end.0 => self.fail(
                r,
                format!(
                    "the header row {} holds merged cells ({}:{}): headers must be one row of single cells, one per column; unmerge them",
                    u64::from(r) + 1,
                    cell_name(m.start.0, m.start.1),
                    cell_name(m.end.0, m.end.1)
                ),
            ),
            _ => Ok(()),
        }
    }

    /// Ends the row being written, padded with empty cells to the header's
    /// width.
    fn end_row(&mut self) {
        let Some(row) = self.row else { return };
        match self.width {
            None => self.width = Some(self.col),
            Some(w) => {
                while self.col < w {
                    self.ends.push(self.text.len());
                    self.col += 1;
                }
            }
        }
        self.rows.push((row, self.ends.len()));
    }

    /// Sends the whole rows written.
    fn send(&mut self) -> Result<(), String> {
        let text = std::mem::replace(&mut self.text, Vec::with_capacity(CHUNK * 2));
        // Every cell's text is UTF-8, so all of them are.
        let text = String::from_utf8(text).map_err(|_| "the sheet's text is not UTF-8".to_string())?;
        let chunk = Chunk { text, ends: std::mem::take(&mut self.ends), rows: std::mem::take(&mut self.rows) };
        if self.tx.send(Ok(Some(chunk))).is_err() {
            self.gone = true;
            return Err(String::new());
        }
        Ok(())
    }

    fn finish(mut self, result: Result<(), String>) {
        let result = result.and_then(|()| {
            self.end_row();
            if self.rows.is_empty() {
                Ok(())
            } else {
                self.send()
            }
        });
        match result {
            Ok(()) => {
                // The end, which a thread that stops (panics) never sends.
                let _ = self.tx.send(Ok(None));
            }
            Err(e) if !self.gone => {
                let line = self.fail_line.or(self.row.map(|r| u64::from(r) + 1)).unwrap_or(1);
                let _ = self.tx.send(Err((line, e)));
            }
            Err(_) => {}
        }
    }
}

/// The rows of a sheet as they come from its thread: a [`RowSource`] whose
/// rows are at their sheet row numbers. An error there stops the run,
/// naming the file and line, and so does the thread's stopping before the
/// end.
pub(crate) struct SheetRows {
    /// `FILE#Sheet`.
    file: String,
    rx: Receiver<Message>,
    chunk: Chunk,
    /// The next row of the chunk.
    next: usize,
    /// The line of the last row read.
    line: u64,
    ended: bool,
}

impl SheetRows {
    fn new(file: String, rx: Receiver<Message>) -> SheetRows {
        SheetRows { file, rx, chunk: Chunk::default(), next: 0, line: 0, ended: false }
    }

    /// The next row: its line (sheet row) and its cells (indices for
    /// [`Self::cell`]); `None` at the end.
    fn next_cells(&mut self) -> std::result::Result<Option<(u64, std::ops::Range<usize>)>, BatchError> {
        while self.next == self.chunk.rows.len() {
            if self.ended {
                return Ok(None);
            }
            match self.rx.recv() {
                Ok(Ok(Some(chunk))) => {
                    self.chunk = chunk;
                    self.next = 0;
                }
                Ok(Ok(None)) => self.ended = true,
                Ok(Err((line, e))) => {
                    self.ended = true;
                    return Err(BatchError::new(&self.file, Some(line), format!("cannot read: {e}")));
                }
                Err(_) => {
                    self.ended = true;
                    return Err(BatchError::new(
                        &self.file,
                        Some(self.line + 1),
                        "cannot read: the thread reading the workbook stopped before the end of the sheet".into(),
                    ));
                }
            }
        }
        let (row, end) = self.chunk.rows[self.next];
        let start = match self.next {
            0 => 0,
            i => self.chunk.rows[i - 1].1,
        };
        self.next += 1;
        self.line = u64::from(row) + 1;
        Ok(Some((self.line, start..end)))
    }

    /// Cell `i` of the chunk.
    fn cell(&self, i: usize) -> &str {
        let start = match i {
            0 => 0,
            i => self.chunk.ends[i - 1],
        };
        &self.chunk.text[start..self.chunk.ends[i]]
    }
}

impl RowSource for SheetRows {
    /// The first row that holds a cell, its texts trimmed of white space
    /// as a CSV header's are; an empty sheet is an empty file.
    fn header(&mut self) -> std::result::Result<Header, BatchError> {
        let Some((line, cells)) = self.next_cells()? else {
            return Err(BatchError::new(&self.file, None, "the file is empty: expected a header line".into()));
        };
        let names = cells.map(|i| self.cell(i).trim().to_string()).collect();
        Ok(Header { file: self.file.clone(), line, names })
    }

    fn next_row(&mut self, cells: &mut RowCells<'_>) -> std::result::Result<Option<Lines>, BatchError> {
        let Some((line, range)) = self.next_cells()? else { return Ok(None) };
        for i in range {
            cells.push(self.cell(i));
        }
        Ok(Some(Lines::one(line)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_by_their_shortest_text() {
        assert_eq!(float_text(0.1), "0.1");
        assert_eq!(float_text(1e-7), "0.0000001");
        assert_eq!(float_text(12.0), "12");
        assert_eq!(float_text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float_text(-0.0), "0");
    }

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(9, 27), "AB10");
        assert_eq!(cell_name(0, 16383), "XFD1");
    }

    #[test]
    fn sheet_suffix() {
        assert_eq!(split_sheet("a.xlsx#Firms"), ("a.xlsx", Some("Firms")));
        assert_eq!(split_sheet("a.csv#x"), ("a.csv#x", None));
        assert_eq!(split_sheet("a.xlsx"), ("a.xlsx", None));
    }
}
