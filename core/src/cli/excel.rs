//! Workbook inputs (`.xlsx`, `.xlsm`, `.xls`, `.ods`): one sheet is turned
//! into the CSV text the batch core reads, so validation, rejects,
//! accounting and outputs are those of a CSV file.
//!
//! Each cell becomes the text a CSV cell would hold: a number by Rust's
//! shortest round-trip formatting (`0.1`, `0.0000001`, `12` for 12.0), a
//! date stored as a serial number as `YYYY-MM-DD` in the workbook's 1900 or
//! 1904 date system (with a time of day, `YYYY-MM-DDTHH:MM:SS`, which no
//! date input takes), a boolean `true` or `false`, text as it is, an error
//! value (`#DIV/0!`) as its text, an empty cell as nothing. The first row
//! that holds a cell is the header; every sheet row is one CSV line, so the
//! line numbers the core reports are the sheet's row numbers (an empty row
//! is a blank line, skipped as in CSV).
//!
//! `.xlsx` sheets are streamed cell by cell (`xlsx_in.rs`) on a thread of
//! their own into a bounded channel: the CSV text is never held whole, only
//! the workbook's bytes and its shared strings. A formula cell's cached
//! value is used; one with no cached value (a workbook saved by a tool that
//! does not compute) is refused. A merged cell that touches the header row
//! is refused. `.xls` and `.ods` sheets are loaded whole by calamine (an
//! `.xls` sheet holds at most 65,536 × 256 cells).

#[path = "xlsx_in.rs"]
mod xlsx_in;

use std::io::{Cursor, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use anyhow::{bail, Context, Result};
use calamine::{open_workbook_auto_from_rs, Data, ExcelDateTime, Reader, Sheets};

/// The largest workbook file read: 512 MiB.
pub(crate) const MAX_WORKBOOK_BYTES: u64 = 512 << 20;
/// The most rows a sheet may have (Excel's own limit).
const MAX_SHEET_ROWS: u32 = 1 << 20;
/// The CSV text handed to the core at a time.
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
}

/// Opens sheet `sheet` (the first when `None`) of a workbook whose bytes
/// are `bytes`, named `file` in messages; gives the sheet's name and a
/// reader of its CSV text.
pub(crate) fn open(
    file: &str,
    kind: Kind,
    bytes: Vec<u8>,
    sheet: Option<&str>,
    limits: SheetLimits,
) -> Result<(String, Box<dyn Read + Send>)> {
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
            Ok((name, Box::new(ChannelReader::new(rx))))
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

/// An `.xls` or `.ods` cell's text as a CSV cell would hold it; `None`
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

/// Writes cells, in row order, as CSV text into the channel.
struct Sink {
    limits: SheetLimits,
    tx: SyncSender<std::result::Result<Vec<u8>, String>>,
    /// The merged ranges, when they are known before the cells.
    merged: Vec<Merged>,
    buf: Vec<u8>,
    /// The header row (0-based), once a cell is written.
    header: Option<u32>,
    /// The row being written (0-based), once a cell is.
    row: Option<u32>,
    /// Fields written in the row so far.
    col: u32,
    /// The header's width, once it is written.
    width: Option<u32>,
    /// The receiver has gone (the run stopped): write nothing more.
    gone: bool,
}

impl Sink {
    fn new(limits: SheetLimits, tx: SyncSender<std::result::Result<Vec<u8>, String>>, merged: Vec<Merged>) -> Sink {
        Sink {
            limits,
            tx,
            merged,
            buf: Vec::with_capacity(CHUNK * 2),
            header: None,
            row: None,
            col: 0,
            width: None,
            gone: false,
        }
    }

    fn cell(&mut self, r: u32, c: u32, text: Option<&str>) -> Result<(), String> {
        let Some(text) = text.filter(|t| !t.is_empty()) else { return Ok(()) };
        self.place(r, c)?;
        if text.len() > self.limits.field {
            // The core refuses it, naming the line and column; a field far
            // over is cut here, past the limit, so that memory stays bounded.
            let cut = text.ceil_char_boundary(self.limits.field.saturating_add(1));
            push_field(&mut self.buf, &text[..cut]);
        } else {
            push_field(&mut self.buf, text);
        }
        self.send_when_full()
    }

    /// Writes cell (`r`, `c`), whose text is the first `len` bytes of `src`
    /// as a CSV field already: not empty, quoted when it must be, and cut
    /// as [`Self::cell`] cuts. A short field is copied as the 16 bytes
    /// `src` starts with when it has them, the rest dropped: a copy of a
    /// length known in advance, not a call to copy bytes.
    #[inline(always)]
    fn csv_cell(&mut self, r: u32, c: u32, src: &[u8], len: usize) -> Result<(), String> {
        self.place(r, c)?;
        match src.first_chunk::<16>() {
            Some(chunk) if len <= 16 => {
                let at = self.buf.len();
                self.buf.extend_from_slice(chunk);
                self.buf.truncate(at + len);
            }
            _ => self.buf.extend_from_slice(&src[..len]),
        }
        self.send_when_full()
    }

    /// Ends the text before cell (`r`, `c`): the rows and the empty cells
    /// before it, and its comma.
    #[inline(always)]
    fn place(&mut self, r: u32, c: u32) -> Result<(), String> {
        if !self.gone && self.row == Some(r) && c == self.col && (c as usize) < self.limits.columns {
            // The next cell of the row, as most are.
            if c > 0 {
                self.buf.push(b',');
            }
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
            return Err(format!("cell {} is past row {MAX_SHEET_ROWS}, the last row of a sheet", cell_name(r, c)));
        }
        if c as usize >= self.limits.columns {
            return Err(format!(
                "cell {} is in column {}, past the limit of {} columns",
                cell_name(r, c),
                u64::from(c) + 1,
                self.limits.columns
            ));
        }
        match self.row {
            Some(cur) if r < cur || (r == cur && c < self.col) => {
                return Err(format!("cell {} is out of order in the sheet", cell_name(r, c)));
            }
            Some(cur) if r > cur => {
                self.end_row();
                self.buf.extend(std::iter::repeat_n(b'\n', (r - cur - 1) as usize));
                self.start_row(r)?;
            }
            Some(_) => {}
            None => {
                self.buf.extend(std::iter::repeat_n(b'\n', r as usize));
                self.start_row(r)?;
            }
        }
        while self.col < c {
            if self.col > 0 {
                self.buf.push(b',');
            }
            self.col += 1;
        }
        if self.col > 0 {
            self.buf.push(b',');
        }
        self.col += 1;
        Ok(())
    }

    #[inline(always)]
    fn send_when_full(&mut self) -> Result<(), String> {
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(())
    }

    /// A new row starts at sheet row `r`: the header when it is the first,
    /// which no merged cell may touch.
    fn start_row(&mut self, r: u32) -> Result<(), String> {
        if self.header.is_none() {
            self.header = Some(r);
            for m in &self.merged {
                self.check_merged(m)?;
            }
        }
        self.row = Some(r);
        self.col = 0;
        Ok(())
    }

    /// Refuses merged cells that touch the header row.
    fn check_merged(&self, m: &Merged) -> Result<(), String> {
        match self.header {
            Some(r) if m.start.0 <= r && r <= m.end.0 => Err(format!(
                "the header row {} holds merged cells ({}:{}): headers must be one row of single cells, one per column; unmerge them",
                u64::from(r) + 1,
                cell_name(m.start.0, m.start.1),
                cell_name(m.end.0, m.end.1)
            )),
            _ => Ok(()),
        }
    }

    /// Ends the row being written, padded to the header's width.
    fn end_row(&mut self) {
        if self.row.is_none() {
            return;
        }
        match self.width {
            None => self.width = Some(self.col),
            Some(w) => {
                while self.col < w {
                    self.buf.push(b',');
                    self.col += 1;
                }
            }
        }
        self.buf.push(b'\n');
    }

    fn send(&mut self) -> Result<(), String> {
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK * 2));
        if self.tx.send(Ok(chunk)).is_err() {
            self.gone = true;
            return Err(String::new());
        }
        Ok(())
    }

    fn finish(mut self, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.end_row();
                if self.row.is_none() {
                    // An empty sheet: the core says the file is empty.
                    self.buf.clear();
                }
                if !self.buf.is_empty() && self.send().is_err() {
                    return;
                }
                // The end, which a thread that stops (panics) never sends.
                let _ = self.tx.send(Ok(Vec::new()));
            }
            Err(e) if !self.gone => {
                let _ = self.tx.send(Err(e));
            }
            Err(_) => {}
        }
    }
}

/// One CSV field, quoted when it must be.
fn push_field(buf: &mut Vec<u8>, text: &str) {
    if text.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        buf.push(b'"');
        for b in text.bytes() {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(text.as_bytes());
    }
}

/// The CSV text of a sheet as it comes from its thread, in chunks, then an
/// empty one; an error there is an I/O error here, which the core reports
/// naming the file, and so is the thread's stopping before the end.
struct ChannelReader {
    rx: Receiver<std::result::Result<Vec<u8>, String>>,
    buf: Vec<u8>,
    at: usize,
    ended: bool,
}

impl ChannelReader {
    fn new(rx: Receiver<std::result::Result<Vec<u8>, String>>) -> ChannelReader {
        ChannelReader { rx, buf: Vec::new(), at: 0, ended: false }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.buf.len() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) if chunk.is_empty() => self.ended = true,
                Ok(Ok(chunk)) => {
                    self.buf = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
                Err(_) => {
                    return Err(std::io::Error::other(
                        "the thread reading the workbook stopped before the end of the sheet",
                    ))
                }
            }
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
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
