//! A sheet's cells, read from its XML into the [`Sink`]: each cell's
//! position (its `r`, else the next column), its type (`t`), its format
//! (`s`, for dates) and its value (`<v>`, `<is>`), turned into the cell's
//! text as `values.rs` says; then the merged cells, which a sheet stores
//! after its cells, checked against the header row.
//!
//! A cell is read the fastest way its shape allows, to the same result:
//! the shapes Excel gives nearly all cells (a shared string or a number)
//! eight bytes at a time ([`Cells::fast`]); other plain cells (any
//! attributes, a formula, an inline string of plain text) byte by byte
//! ([`plain_cell`]); any other through the scanner. On the benchmark's
//! sheet of a million rows of 55 cells (quiet machine, release build), the
//! thread reading the cells took 1.2 s with all three, 2.5 s without the
//! first and 6.8 s with the scanner alone; the whole read 1.7 s, 2.7 s and
//! 6.9 s.

use super::super::{cell_name, push_float, Merged, SheetLimits, Sink};
use super::book::Book;
use super::scan::{self, Blocks, Scanner, Tag};
use super::strings::{raw_cap, rich_text, trim_xml_space, utf8};
use super::values;

/// The bytes of a sheet in the window before a cell is read by the fast
/// path (a longer cell takes the general one).
const CELL_WINDOW: usize = 4 << 10;

/// A cell as the sheet holds it: its attributes `r`, `s` and `t`, the text
/// of its `<v>` and of its `<is>`, whether it has a `<v>` and a formula.
#[derive(Default)]
struct RawCell<'a> {
    r: Option<&'a [u8]>,
    s: Option<&'a [u8]>,
    t: Option<&'a [u8]>,
    v: Option<&'a [u8]>,
    inline: Option<Inline<'a>>,
    formula: bool,
}

/// An inline string's text (`<is>`).
#[derive(Clone, Copy)]
enum Inline<'a> {
    /// Read by the scanner: its text.
    Read(&'a [u8]),
    /// A plain `<t>`'s text, as it is in the sheet: still to be trimmed
    /// unless it keeps its white space, and its `_xHHHH_` escapes decoded.
    Plain { text: &'a [u8], preserve: bool },
}

/// A cell's type (`t`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Type {
    /// A number (`n`, or no `t`, when text that is not a number is text).
    Number {
        explicit: bool,
    },
    Shared,
    Inline,
    FormulaText,
    Bool,
    Error,
    IsoDate,
}

impl Type {
    fn of(t: Option<&[u8]>) -> Option<Type> {
        Some(match t {
            None => Type::Number { explicit: false },
            Some(b"n") => Type::Number { explicit: true },
            Some(b"s") => Type::Shared,
            Some(b"inlineStr") => Type::Inline,
            Some(b"str") => Type::FormulaText,
            Some(b"b") => Type::Bool,
            Some(b"e") => Type::Error,
            Some(b"d") => Type::IsoDate,
            Some(_) => return None,
        })
    }
}

/// Reads the sheet's cells into `sink`, then its merged cells.
pub(super) fn read_sheet<B: Blocks>(
    scan: &mut Scanner<B>,
    book: &Book,
    limits: SheetLimits,
    sink: &mut Sink,
) -> Result<(), String> {
    // Merged cells are stored after the cells; any before them are checked
    // with those.
    let mut merged = Vec::new();
    loop {
        match scan.next_tag()? {
            Some(Tag::Start) if scan.named(b"sheetData") => break,
            Some(Tag::Empty) if scan.named(b"sheetData") => return merged_cells(scan, &merged, sink),
            Some(Tag::Start | Tag::Empty) if scan.named(b"mergeCell") => merged.extend(merged_range(scan)?),
            Some(_) => {}
            None => return Err(format!("`{}` holds no cells (`sheetData`): it is not a worksheet", scan.part())),
        }
    }
    let mut cells = Cells {
        book,
        limits,
        cap: raw_cap(limits),
        row: 0,
        col: 0,
        last_row: (0, 0, 0),
        text: String::new(),
        scratch: Vec::new(),
    };
    let mut bufs = CellBufs::default();
    loop {
        scan.want(CELL_WINDOW)?;
        let s = scan.rest();
        let blank = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if blank > 0 {
            scan.advance(blank);
            continue;
        }
        if let Some(len) = cells.fast(s, sink)? {
            scan.advance(len);
            continue;
        }
        if s.len() > 2 && s.starts_with(b"<c") && matches!(s[2], b' ' | b'>' | b'/') {
            if let Some((len, cell)) = plain_cell(s) {
                cells.put(&cell, sink)?;
                scan.advance(len);
                continue;
            }
        }
        match scan.next_tag()? {
            Some(tag @ (Tag::Start | Tag::Empty)) if scan.named(b"c") => {
                let cell = bufs.read(scan, tag, cells.cap)?;
                cells.put(&cell, sink)?;
            }
            Some(tag @ (Tag::Start | Tag::Empty)) if scan.named(b"row") => {
                if let Some(r) = scan.attr(b"r")? {
                    cells.row = row_number(r)
                        .ok_or_else(|| format!("the row number `{}` is not valid", String::from_utf8_lossy(r)))?;
                }
                cells.col = 0;
                if tag == Tag::Empty {
                    cells.row = cells.row.saturating_add(1);
                }
            }
            Some(Tag::End) if scan.named(b"row") => {
                cells.row = cells.row.saturating_add(1);
                cells.col = 0;
            }
            Some(Tag::End) if scan.named(b"sheetData") => return merged_cells(scan, &merged, sink),
            Some(Tag::Start) => scan.skip_element()?,
            Some(_) => {}
            None => return Err(scan.error("the part ends inside the cells")),
        }
    }
}

/// What a cell of any shape holds, read by the scanner.
#[derive(Default)]
struct CellBufs {
    /// The attributes `r`, `s` and `t` decoded, one after another.
    attrs: Vec<u8>,
    v: Vec<u8>,
    inline: Vec<u8>,
    piece: Vec<u8>,
}

impl CellBufs {
    /// After a cell's start or empty tag `tag`: the cell, read to its end.
    fn read<B: Blocks>(&mut self, scan: &mut Scanner<B>, tag: Tag, cap: usize) -> Result<RawCell<'_>, String> {
        // The attributes, decoded before the window moves on (the first of
        // each name).
        self.attrs.clear();
        let mut at = [None; 3];
        let mut bad = Ok(());
        scan.each_attr(|key, raw| {
            let i = match key {
                b"r" => 0,
                b"s" => 1,
                b"t" => 2,
                _ => return,
            };
            if at[i].is_none() && bad.is_ok() {
                let start = self.attrs.len();
                bad = scan::unescape(raw, &mut self.attrs);
                at[i] = Some((start, self.attrs.len()));
            }
        })?;
        bad?;
        let (mut has_v, mut has_inline, mut formula) = (false, false, false);
        let mut open = tag == Tag::Start;
        while open {
            match scan.next_tag()? {
                Some(Tag::Start) => match scan.name() {
                    b"v" => {
                        self.v.clear();
                        scan.text(&mut self.v, cap)?;
                        has_v = true;
                    }
                    b"is" => {
                        self.inline.clear();
                        rich_text(scan, &mut self.inline, &mut self.piece, cap)?;
                        has_inline = true;
                    }
                    name => {
                        formula |= name == b"f";
                        scan.skip_element()?;
                    }
                },
                Some(Tag::Empty) => match scan.name() {
                    b"v" => {
                        self.v.clear();
                        has_v = true;
                    }
                    b"is" => {
                        self.inline.clear();
                        has_inline = true;
                    }
                    name => formula |= name == b"f",
                },
                Some(Tag::End) => open = false,
                None => return Err(scan.error("the part ends inside a cell")),
            }
        }
        let attr = |at: Option<(usize, usize)>| at.map(|(start, end)| &self.attrs[start..end]);
        Ok(RawCell {
            r: attr(at[0]),
            s: attr(at[1]),
            t: attr(at[2]),
            v: has_v.then_some(&self.v[..]),
            inline: has_inline.then_some(Inline::Read(&self.inline[..])),
            formula,
        })
    }
}

/// A cell of the plain shape most writers give all cells, read whole from
/// `s`, which starts with `<c`: attributes in double quotes without
/// entities, then `/>`, or `>`, an optional formula (`<f …>…</f>` or
/// `<f …/>`), and `</c>`, `<v>TEXT</v></c>` or an inline string
/// `<is><t>TEXT</t></is></c>` (its `<t>` may keep its white space), with no
/// markup, entity or CR in TEXT. Its length and what it holds; `None` for
/// any other shape, or when `s` ends first.
fn plain_cell(s: &[u8]) -> Option<(usize, RawCell<'_>)> {
    let mut cell = RawCell::default();
    let mut i = 2;
    loop {
        match *s.get(i)? {
            b' ' => i += 1,
            b'>' => break,
            b'/' => return (*s.get(i + 1)? == b'>').then_some((i + 2, cell)),
            _ => {
                // A name of one letter, as `r`, `s` and `t` are, or longer.
                let name_start = i;
                if s.get(i + 1..i + 3)? == b"=\"" {
                    i += 1;
                } else {
                    while *s.get(i)? != b'=' {
                        if matches!(s[i], b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/' | b'"' | b'\'' | b'<') {
                            return None;
                        }
                        i += 1;
                    }
                    if *s.get(i + 1)? != b'"' {
                        return None;
                    }
                }
                let start = i + 2;
                let mut end = start;
                loop {
                    match *s.get(end)? {
                        b'"' => break,
                        b'&' => return None,
                        _ => end += 1,
                    }
                }
                let value = &s[start..end];
                match &s[name_start..i] {
                    b"r" => cell.r = Some(value),
                    b"s" => cell.s = Some(value),
                    b"t" => cell.t = Some(value),
                    _ => {}
                }
                i = end + 1;
            }
        }
    }
    i += 1;
    // A formula, whose text is not read: its saved value is.
    if s[i..].starts_with(b"<f") {
        let gt = i + memchr::memchr(b'>', s.get(i..)?)?;
        // The tag ends there unless its attributes are quoted otherwise.
        let tag = &s[i..gt];
        let odd_quotes = tag.iter().filter(|&&b| b == b'"').count() % 2 == 1;
        if odd_quotes || tag.contains(&b'\'') || !matches!(s[i + 2], b' ' | b'>' | b'/') {
            return None;
        }
        cell.formula = true;
        i = if s[gt - 1] == b'/' {
            gt + 1
        } else {
            let close = gt + 1 + memchr::memchr(b'<', s.get(gt + 1..)?)?;
            if !s[close..].starts_with(b"</f>") {
                return None;
            }
            close + 4
        };
    }
    let rest = &s[i..];
    if rest.starts_with(b"</c>") {
        return Some((i + 4, cell));
    }
    // An inline string of one plain text.
    if rest.starts_with(b"<is><t") {
        let (start, preserve) = if rest.starts_with(b"<is><t>") {
            (i + 7, false)
        } else if rest.starts_with(b"<is><t xml:space=\"preserve\">") {
            (i + 28, true)
        } else {
            return None;
        };
        let end = start + s.get(start..)?.iter().position(|&b| matches!(b, b'<' | b'&' | b'\r'))?;
        if !s[end..].starts_with(b"</t></is></c>") {
            return None;
        }
        cell.inline = Some(Inline::Plain { text: &s[start..end], preserve });
        return Some((end + b"</t></is></c>".len(), cell));
    }
    if !rest.starts_with(b"<v>") {
        return None;
    }
    let start = i + 3;
    let mut end = start;
    loop {
        match *s.get(end)? {
            b'<' => break,
            b'&' | b'\r' => return None,
            _ => end += 1,
        }
    }
    if !s.get(end..)?.starts_with(b"</v></c>") {
        return None;
    }
    cell.v = Some(&s[start..end]);
    Some((end + b"</v></c>".len(), cell))
}

/// Turns cells into the sink's cells.
struct Cells<'b> {
    book: &'b Book,
    limits: SheetLimits,
    /// The most bytes of a text read.
    cap: usize,
    /// Where a cell without `r` is: the row being read and the column after
    /// the last cell (0-based).
    row: u32,
    col: u32,
    /// The row number of the last cell read by [`Self::fast`]: its digits
    /// (as [`word`] reads them, the rest masked off), their count, and the
    /// 0-based row.
    last_row: (u64, usize, u32),
    /// A number's or date's text.
    text: String,
    /// Formula text with its escapes decoded.
    scratch: Vec<u8>,
}

impl Cells<'_> {
    /// Writes the cell at the front of `s` when it has the shape Excel and
    /// most writers give nearly all cells: `<c r="B2"` with a reference of
    /// at most 3 letters and 8 digits, an optional ` s="3"`, an optional
    /// ` t="s"`, then `><v>TEXT</v></c>` with at most 15 bytes of TEXT
    /// free of `&` and CR. A shared string, or a number already in its
    /// shortest text, is copied as it is; any other value (a date, a
    /// number to rewrite) is written as [`Self::put`] writes it. Its
    /// length; `None` (and nothing written) for any other cell, which
    /// [`plain_cell`] or the scanner reads. It reads eight bytes at a time,
    /// which spares most branches on the lengths of what it reads, and
    /// the row number of a cell, most often the last one's, is compared,
    /// not parsed.
    fn fast(&mut self, s: &[u8], sink: &mut Sink) -> Result<Option<usize>, String> {
        let Some(cell) = fast_cell(s) else { return Ok(None) };
        // The reference: letters, then a row number that is most often the
        // last cell's.
        let r = &s[6..6 + cell.r_len];
        let letters = r.iter().take(3).take_while(|b| b.is_ascii_uppercase()).count();
        let n_digits = r.len() - letters;
        if letters == 0 || n_digits == 0 || n_digits > 8 {
            return Ok(None);
        }
        let col = r[..letters].iter().fold(0u32, |c, &b| c * 26 + u32::from(b - b'A') + 1) - 1;
        let Some(digits) = word(s, 6 + letters) else { return Ok(None) };
        let digits = digits & (u64::MAX >> (8 * (8 - n_digits)));
        let row = if (digits, n_digits) == (self.last_row.0, self.last_row.1) {
            self.last_row.2
        } else {
            let Some(row) = row_number(&r[letters..]) else { return Ok(None) };
            self.last_row = (digits, n_digits, row);
            row
        };
        let v = &s[cell.v.0..cell.v.1];
        let style = cell.style.map(|(start, end)| &s[start..end]);
        // The text: its bytes from its start, and its length.
        let field = if cell.shared {
            number(v).and_then(|i| usize::try_from(i).ok()).and_then(|i| self.book.strings.get(i))
        } else {
            let plain = style.is_none_or(|st| !self.is_date(st)) && values::is_shortest(v);
            (plain && v.len() <= self.limits.field).then(|| (&s[cell.v.0..], v.len()))
        };
        match field {
            Some((src, len)) => {
                self.col = col + 1;
                if len > 0 {
                    sink.copied_cell(row, col, src, len)?;
                }
            }
            // A date or a number to rewrite, or a shared string that is not
            // there: as any other cell.
            None => {
                let t = cell.shared.then_some(&b"s"[..]);
                self.put(&RawCell { r: Some(r), s: style, t, v: Some(v), inline: None, formula: false }, sink)?;
            }
        }
        Ok(Some(cell.len))
    }

    fn put(&mut self, cell: &RawCell<'_>, sink: &mut Sink) -> Result<(), String> {
        let (row, col) = match cell.r {
            Some(r) => cell_ref(r)
                .ok_or_else(|| format!("the cell reference `{}` is not valid", String::from_utf8_lossy(r)))?,
            None => (self.row, self.col),
        };
        self.col = col.saturating_add(1);
        let at = || cell_name(row, col);
        let not_utf8 = || format!("cell {} holds text that is not UTF-8", at());
        let Some(kind) = Type::of(cell.t) else {
            return Err(format!(
                "cell {} has the type `{}`, which no workbook cell has",
                at(),
                String::from_utf8_lossy(cell.t.unwrap_or_default())
            ));
        };
        let text = if let Some(inline) = cell.inline {
            let text = match inline {
                Inline::Read(text) => text,
                Inline::Plain { text, preserve } => {
                    self.scratch.clear();
                    values::push_unescaped(&mut self.scratch, if preserve { text } else { trim_xml_space(text) });
                    self.scratch.truncate(self.cap);
                    &self.scratch
                }
            };
            Some(utf8(text, self.cap).ok_or_else(not_utf8)?)
        } else {
            match (kind, cell.v) {
                (Type::Inline, _) | (_, None) => None,
                (Type::FormulaText, Some(v)) => {
                    self.scratch.clear();
                    values::push_unescaped(&mut self.scratch, v);
                    Some(utf8(&self.scratch, self.cap).ok_or_else(not_utf8)?)
                }
                (_, Some([])) => None,
                (Type::Shared, Some(v)) => {
                    let i = number(v).ok_or_else(|| {
                        format!("cell {} names the shared string `{}`, not a number", at(), String::from_utf8_lossy(v))
                    })?;
                    let field = usize::try_from(i).ok().and_then(|i| self.book.strings.get(i)).ok_or_else(|| {
                        format!(
                            "cell {} names shared string {i}, but the workbook has {}",
                            at(),
                            self.book.strings.len()
                        )
                    })?;
                    match field {
                        (_, 0) => None,
                        (src, len) => return sink.copied_cell(row, col, src, len),
                    }
                }
                (Type::Number { explicit }, Some(v)) => {
                    let date = cell.s.is_some_and(|s| self.is_date(s));
                    if !date && values::is_shortest(v) {
                        std::str::from_utf8(v).ok()
                    } else {
                        match std::str::from_utf8(v).ok().and_then(|v| v.parse::<f64>().ok()) {
                            Some(n) => {
                                self.text.clear();
                                if date {
                                    values::push_date(&mut self.text, n, self.book.is_1904);
                                } else {
                                    push_float(&mut self.text, n);
                                }
                                Some(self.text.as_str())
                            }
                            None if !explicit => Some(utf8(v, self.cap).ok_or_else(not_utf8)?),
                            None => {
                                return Err(format!(
                                    "cell {} holds `{}`, which is not a number",
                                    at(),
                                    String::from_utf8_lossy(v)
                                ))
                            }
                        }
                    }
                }
                (Type::Bool, Some(v)) => match std::str::from_utf8(v).map(str::trim).unwrap_or("?") {
                    "" => None,
                    "1" => Some("true"),
                    "0" => Some("false"),
                    b if b.eq_ignore_ascii_case("true") => Some("true"),
                    b if b.eq_ignore_ascii_case("false") => Some("false"),
                    _ => {
                        return Err(format!(
                            "cell {} holds `{}`, which is not a boolean",
                            at(),
                            String::from_utf8_lossy(v)
                        ))
                    }
                },
                (Type::Error | Type::IsoDate, Some(v)) => Some(utf8(v, self.cap).ok_or_else(not_utf8)?),
            }
        };
        // A formula's saved value may be empty text, never nothing.
        if cell.formula && text.is_none() && !(kind == Type::FormulaText && cell.v.is_some()) {
            return Err(format!(
                "the formula in cell {} has no saved value (the workbook was written by a tool that does not compute formulas): open and save it in Excel or LibreOffice, or paste the values",
                at()
            ));
        }
        sink.cell(row, col, text)
    }

    /// Whether the cell format `s` (a cell's attribute) shows dates; a
    /// format that is not a number is the first.
    fn is_date(&self, s: &[u8]) -> bool {
        let i = std::str::from_utf8(s).ok().and_then(|s| s.parse::<usize>().ok()).unwrap_or(0);
        self.book.date_styles.get(i).copied().unwrap_or(false)
    }
}

/// Where the parts of a cell [`fast_cell`] read are, in its window.
struct FastCell {
    len: usize,
    /// The reference's length; it starts at 6 (`<c r="`).
    r_len: usize,
    style: Option<(usize, usize)>,
    shared: bool,
    v: (usize, usize),
}

/// The cell at the front of `s` when it has the shape [`Cells::fast`] reads.
fn fast_cell(s: &[u8]) -> Option<FastCell> {
    if !starts(s, 0, b"<c r=\"")? {
        return None;
    }
    let r_len = before(s, 6, b'"')?;
    let mut i = 6 + r_len + 1;
    let mut style = None;
    if starts(s, i, b" s=\"")? {
        let start = i + 4;
        let end = start + before(s, start, b'"')?;
        if start == end || !s[start..end].iter().all(u8::is_ascii_digit) {
            return None;
        }
        style = Some((start, end));
        i = end + 1;
    }
    let shared = starts(s, i, b" t=\"s\"")?;
    if shared {
        i += 6;
    }
    if !starts(s, i, b"><v>")? {
        return None;
    }
    let start = i + 4;
    let end = start + text_before_markup(s, start)?;
    if !starts(s, end, b"</v></c>")? {
        return None;
    }
    Some(FastCell { len: end + 8, r_len, style, shared, v: (start, end) })
}

/// Whether the bytes of `s` from `i` start with `pat` (of 8 bytes at most),
/// when there are 8 bytes to read.
#[inline(always)]
fn starts<const N: usize>(s: &[u8], i: usize, pat: &[u8; N]) -> Option<bool> {
    let mut bytes = [0; 8];
    bytes[..N].copy_from_slice(pat);
    let mask = u64::MAX >> (8 * (8 - N));
    Some(word(s, i)? & mask == u64::from_le_bytes(bytes))
}

/// The bytes of `s` from `i` before the first `b`, when there are fewer
/// than 16 (and 16 bytes to read).
#[inline(always)]
fn before(s: &[u8], i: usize, b: u8) -> Option<usize> {
    let n = first(word(s, i)?, b);
    if n < 8 {
        return Some(n);
    }
    let n = first(word(s, i + 8)?, b);
    (n < 8).then_some(8 + n)
}

/// The bytes of text of `s` from `i` before the next `<`, when there are
/// fewer than 16, none of them a `&` or a CR.
#[inline(always)]
fn text_before_markup(s: &[u8], i: usize) -> Option<usize> {
    let mut n = 0;
    for w in [word(s, i)?, word(s, i + 8)?] {
        let end = first(w, b'<');
        if first(w, b'&').min(first(w, b'\r')) < end {
            return None;
        }
        if end < 8 {
            return Some(n + end);
        }
        n += 8;
    }
    None
}

/// The eight bytes of `s` from `i`, the first the lowest.
#[inline(always)]
fn word(s: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(s.get(i..i + 8)?.try_into().ok()?))
}

/// The index of the first byte `b` in `w` (as [`word`] reads it); 8 when
/// there is none. A byte is `b` when its XOR with `b` is zero, and the
/// lowest zero byte of `x` is the lowest high bit of `(x - 0x01…01) & !x`.
#[inline(always)]
fn first(w: u64, b: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let x = w ^ (ONES * u64::from(b));
    (x.wrapping_sub(ONES) & !x & (ONES << 7)).trailing_zeros() as usize / 8
}

/// The 0-based row and column of a cell reference such as `AB12`.
fn cell_ref(r: &[u8]) -> Option<(u32, u32)> {
    let mut col = 0u32;
    let mut i = 0;
    while let Some(b) = r.get(i).filter(|b| b.is_ascii_alphabetic()) {
        col = col.checked_mul(26)?.checked_add(u32::from(b.to_ascii_uppercase() - b'A') + 1)?;
        i += 1;
    }
    Some((row_number(&r[i..])?, col.checked_sub(1)?))
}

/// The 0-based row of a row number such as `12`.
fn row_number(digits: &[u8]) -> Option<u32> {
    let n = number(digits)?;
    u32::try_from(n).ok()?.checked_sub(1)
}

/// The number `digits` writes in decimal, when it is one of at most 19
/// digits.
#[inline]
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &d in digits {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        // 19 digits fit in a u64.
        n = n * 10 + u64::from(d);
    }
    Some(n)
}

/// After the cells: the merged ranges (`<mergeCell ref="A1:B1"/>`),
/// those read before the cells (`before`) first, each checked against the
/// header row.
fn merged_cells<B: Blocks>(scan: &mut Scanner<B>, before: &[Merged], sink: &mut Sink) -> Result<(), String> {
    for m in before {
        sink.check_merged(m)?;
    }
    while let Some(tag) = scan.next_tag()? {
        if tag != Tag::End && scan.named(b"mergeCell") {
            if let Some(m) = merged_range(scan)? {
                sink.check_merged(&m)?;
            }
        }
    }
    Ok(())
}

/// The range of the `<mergeCell>` just read, if it names one.
fn merged_range<B: Blocks>(scan: &Scanner<B>) -> Result<Option<Merged>, String> {
    let Some(range) = scan.attr(b"ref")? else { return Ok(None) };
    let mut decoded = Vec::new();
    scan::unescape(range, &mut decoded)?;
    let (first, last) = match decoded.iter().position(|&b| b == b':') {
        Some(colon) => (&decoded[..colon], &decoded[colon + 1..]),
        None => (&decoded[..], &decoded[..]),
    };
    match (cell_ref(first), cell_ref(last)) {
        (Some(start), Some(end)) => Ok(Some(Merged { start, end })),
        _ => Err(format!("the merged range `{}` is not valid", String::from_utf8_lossy(&decoded))),
    }
}
