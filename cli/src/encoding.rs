//! The encodings of CSV files: which one an input is read in (`--encoding`,
//! detected from the whole file with `auto`), the decoder of GB18030 cells
//! into the UTF-8 the batch core reads, and a writer that encodes CSV
//! output as GB18030 (`--out-encoding`).
//!
//! GB18030 (a superset of GBK and GB2312) keeps ASCII bytes for ASCII and
//! never uses the bytes of a line end, a comma or a quote inside a
//! multi-byte character, so the core splits the file into lines, rows and
//! cells as it is, and only cells that are not ASCII are decoded: every
//! line number the core reports is the original file's.

use std::fs::File;
use std::io::{self, Read, Write};

use anyhow::{bail, Context, Result};
use encoding_rs::{DecoderResult, GB18030};
use safegrade::batch::CellDecoder;

/// `--encoding`: how a CSV input is read.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum InEncoding {
    /// UTF-8 (with or without a BOM); else GB18030 when the whole file decodes as GB18030.
    #[default]
    Auto,
    /// UTF-8 (with or without a BOM).
    #[value(name = "utf-8")]
    Utf8,
    /// GB18030, which covers GBK and GB2312.
    Gb18030,
}

impl InEncoding {
    /// The flag's value as typed.
    pub(crate) fn flag(self) -> &'static str {
        match self {
            InEncoding::Auto => "auto",
            InEncoding::Utf8 => "utf-8",
            InEncoding::Gb18030 => "gb18030",
        }
    }

    /// The flag's value from its text (a manifest's).
    pub(crate) fn parse(s: &str) -> Option<InEncoding> {
        [InEncoding::Auto, InEncoding::Utf8, InEncoding::Gb18030].into_iter().find(|e| e.flag() == s)
    }
}

/// `--out-encoding`: how CSV outputs are written.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum OutEncoding {
    /// UTF-8 (with a BOM under `--bom`).
    #[default]
    #[value(name = "utf-8")]
    Utf8,
    /// GB18030, for systems that read only GBK.
    Gb18030,
}

impl OutEncoding {
    /// The flag's value as typed.
    pub(crate) fn flag(self) -> &'static str {
        match self {
            OutEncoding::Utf8 => "utf-8",
            OutEncoding::Gb18030 => "gb18030",
        }
    }

    /// The flag's value from its text (a manifest's).
    pub(crate) fn parse(s: &str) -> Option<OutEncoding> {
        [OutEncoding::Utf8, OutEncoding::Gb18030].into_iter().find(|e| e.flag() == s)
    }
}

/// The encoding a file was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Detected {
    Utf8,
    Gb18030,
    /// Not a CSV file: a sheet of a workbook.
    Workbook(super::excel::Kind),
    /// Not a CSV file: a Parquet file.
    Parquet,
}

impl Detected {
    /// Its name in messages, the summary, the report and the manifest.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Detected::Utf8 => "UTF-8",
            Detected::Gb18030 => "GB18030",
            Detected::Workbook(k) => k.name(),
            Detected::Parquet => "parquet",
        }
    }
}

/// The block the detection pass reads at a time.
const BLOCK: usize = 1 << 20;

/// A line holding at least this many characters of three or four bytes of
/// UTF-8 (Chinese text), and no byte that is not UTF-8, is UTF-8 text: GBK
/// text forms such a line by chance with a likelihood below one in ten
/// million.
const UTF8_EVIDENCE: usize = 8;

/// Where a byte is: its line (from 1) and its place in the line (from 1).
fn place(line: u64, offset_in_line: u64) -> String {
    format!("line {line}, byte {offset_in_line} of the line")
}

/// Decides how `auto` reads the file at `path` (named `shown` in
/// messages), from the whole file: UTF-8 when it is not a regular file (a
/// pipe, which can be read only once), or when all of it is UTF-8 (or it
/// starts like UTF-16 or UTF-32, which the core names at its header), else
/// GB18030 when all of it decodes as GB18030 and no line of it is clearly
/// UTF-8. A file that is neither, or mixes UTF-8 lines with others, is
/// refused naming the line and byte.
pub(crate) fn detect(path: &str, shown: &str) -> Result<Detected> {
    let cannot = || format!("cannot read `{path}`");
    if !std::fs::metadata(path).with_context(cannot)?.is_file() {
        // A pipe (`<(zcat firms.csv.gz)`) can be read only once: as UTF-8.
        return Ok(Detected::Utf8);
    }
    let mut f = File::open(path).with_context(cannot)?;
    if all_utf8(&f).with_context(cannot)? {
        // What the pass below finds too, on one core.
        return Ok(Detected::Utf8);
    }
    let mut buf = vec![0u8; BLOCK + 4];
    // UTF-8, in blocks, carrying an unfinished character to the next.
    let mut carry = 0usize;
    let mut first_block = true;
    let mut at = 0u64; // offset of buf[0] in the file
    let mut lines = 1u64;
    let mut line_start = 0u64;
    loop {
        let n = read_full(&mut f, &mut buf[carry..carry + BLOCK]).with_context(cannot)?;
        let len = carry + n;
        let chunk = &buf[..len];
        if first_block {
            first_block = false;
            let first_line = &chunk[..chunk.iter().position(|&b| b == b'\n').unwrap_or(len)];
            if chunk.starts_with(b"\xFF\xFE") || chunk.starts_with(b"\xFE\xFF") || chunk.starts_with(b"\0\0\xFE\xFF") {
                return Ok(Detected::Utf8);
            }
            if first_line.contains(&0) {
                return Ok(Detected::Utf8);
            }
        }
        match std::str::from_utf8(chunk) {
            Ok(_) => {
                if n == 0 {
                    break;
                }
                count_lines(chunk, at, &mut lines, &mut line_start);
                at += len as u64;
                carry = 0;
            }
            Err(e) if e.error_len().is_none() && n > 0 => {
                // An unfinished character at the end of the block.
                let good = e.valid_up_to();
                count_lines(&chunk[..good], at, &mut lines, &mut line_start);
                at += good as u64;
                buf.copy_within(good..len, 0);
                carry = len - good;
            }
            Err(e) => {
                let good = e.valid_up_to();
                count_lines(&chunk[..good], at, &mut lines, &mut line_start);
                let bad_at = at + good as u64;
                let not_utf8 = (lines, bad_at - line_start + 1, chunk.get(good).copied().unwrap_or(0));
                return gb18030_pass(path, shown, not_utf8);
            }
        }
    }
    Ok(Detected::Utf8)
}

/// The part of a file one thread of [`all_utf8`] checks, at the least.
const PART: u64 = 32 << 20;

/// Whether the whole file is UTF-8, checked in parts on every core.
fn all_utf8(f: &File) -> io::Result<bool> {
    let len = f.metadata()?.len();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let parts = (len / PART).clamp(1, cores);
    let bounds = (0..=parts).map(|i| part_start(f, if i == parts { len } else { len / parts * i }));
    let bounds = bounds.collect::<io::Result<Vec<u64>>>()?;
    std::thread::scope(|scope| {
        let checks = (bounds.windows(2).enumerate())
            .map(|(i, w)| {
                let (start, end) = (w[0], w[1]);
                let check = std::thread::Builder::new().name(format!("sg-work-utf8-{i}"));
                check.spawn_scoped(scope, move || part_is_utf8(f, start, end))
            })
            .collect::<io::Result<Vec<_>>>()?;
        let mut all = true;
        for check in checks {
            all &= check.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        }
        Ok(all)
    })
}

/// Where a part that would start at `at` starts: past up to three bytes
/// that continue a character, so that each character is checked whole in
/// the part it starts in (a fourth is not UTF-8, and fails the part). The
/// first part starts at the start, whatever is there.
fn part_start(f: &File, at: u64) -> io::Result<u64> {
    use std::os::unix::fs::FileExt;
    if at == 0 {
        return Ok(0);
    }
    let mut head = [0u8; 3];
    let n = f.read_at(&mut head, at)?;
    Ok(at + head[..n].iter().take_while(|&&b| (0x80..0xC0).contains(&b)).count() as u64)
}

/// Whether the bytes `start..end` of the file, which start and end where
/// characters do, are UTF-8.
fn part_is_utf8(f: &File, start: u64, end: u64) -> io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; BLOCK + 4];
    // `buf[..carry]` holds the start of a character at `at` in the file.
    let (mut at, mut carry) = (start, 0);
    while at + (carry as u64) < end {
        let from = at + carry as u64;
        let n = f.read_at(&mut buf[carry..carry + (end - from).min(BLOCK as u64) as usize], from)?;
        let len = carry + n;
        match std::str::from_utf8(&buf[..len]) {
            Ok(_) if n == 0 => break,
            Ok(_) => (at, carry) = (at + len as u64, 0),
            Err(e) if e.error_len().is_none() && n > 0 => {
                let good = e.valid_up_to();
                buf.copy_within(good..len, 0);
                (at, carry) = (at + good as u64, len - good);
            }
            Err(_) => return Ok(false),
        }
    }
    // A character left unfinished at the end is not UTF-8.
    Ok(carry == 0)
}

/// Counts the line ends of `bytes` (at `at` in the file).
fn count_lines(bytes: &[u8], at: u64, lines: &mut u64, line_start: &mut u64) {
    if let Some(last) = memchr::memrchr(b'\n', bytes) {
        *lines += memchr::memchr_iter(b'\n', bytes).count() as u64;
        *line_start = at + last as u64 + 1;
    }
}

/// Reads until `buf` is full or the file ends.
fn read_full(f: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The second pass of [`detect`], for a file that is not UTF-8 (its first
/// bad byte at `not_utf8`: line, byte of the line, value).
fn gb18030_pass(path: &str, shown: &str, not_utf8: (u64, u64, u8)) -> Result<Detected> {
    let cannot = || format!("cannot read `{path}`");
    let mut f = File::open(path).with_context(cannot)?;
    if all_utf8(&f).with_context(cannot)? {
        // What the pass below finds too, on one core.
        return Ok(Detected::Utf8);
    }
    let mut buf = vec![0u8; BLOCK + 4];
    // Bytes of a character cut by the end of the last block, at the start of `buf`.
    let mut carry = 0usize;
    let (mut at, mut lines, mut line_start) = (0u64, 1u64, 0u64);
    // The line being scanned for UTF-8 evidence (its bytes so far, up to a bound).
    let mut line_bytes: Vec<u8> = Vec::new();
    let mut utf8_line: Option<u64> = None;
    loop {
        let n = read_full(&mut f, &mut buf[carry..carry + BLOCK]).with_context(cannot)?;
        let last = n == 0;
        let chunk = &buf[carry..carry + n];
        // Lines that are clearly UTF-8; a line cut by the end of the block
        // is kept (up to a bound) and checked once it ends.
        if utf8_line.is_none() {
            let mut line_no = lines;
            let mut rest = chunk;
            let mut check = |line: &[u8], line_no: u64| {
                if utf8_line.is_none() && is_utf8_text(line) {
                    utf8_line = Some(line_no);
                }
            };
            while let Some(end) = memchr::memchr(b'\n', rest) {
                if line_bytes.is_empty() {
                    check(&rest[..end], line_no);
                } else {
                    keep(&mut line_bytes, &rest[..end]);
                    check(&line_bytes, line_no);
                    line_bytes.clear();
                }
                line_no += 1;
                rest = &rest[end + 1..];
            }
            keep(&mut line_bytes, rest);
            if last {
                check(&line_bytes, line_no);
            }
        }
        // GB18030: every character whole and valid; one cut by the end of
        // the block is checked with the next.
        let block = &buf[..carry + n];
        let (checked, bad) = gb18030_prefix(block, last);
        if let Some(bad_at) = bad {
            count_lines(&block[..bad_at], at, &mut lines, &mut line_start);
            let off = at + bad_at as u64;
            let byte = block[bad_at];
            let (ul, ub, uv) = not_utf8;
            if let Some(l) = utf8_line {
                bail!(mixed(shown, l, not_utf8));
            }
            bail!(
                "`{shown}`: neither UTF-8 nor GB18030 (GBK): on {}, byte 0x{byte:02X} is not GB18030; \
                 the first byte that is not UTF-8 is 0x{uv:02X} on {}",
                place(lines, off - line_start + 1),
                place(ul, ub)
            );
        }
        count_lines(&block[..checked], at, &mut lines, &mut line_start);
        at += checked as u64;
        buf.copy_within(checked..carry + n, 0);
        carry = carry + n - checked;
        if last {
            break;
        }
    }
    if let Some(l) = utf8_line {
        bail!(mixed(shown, l, not_utf8));
    }
    Ok(Detected::Gb18030)
}

/// How much of `bytes` is whole GB18030 characters, and the offset of the
/// first byte that is not GB18030, if any. A character cut by the end of
/// `bytes` is left for the next block, or is not GB18030 when `last`.
///
/// These are the rules of the WHATWG GB18030 decoder, which encoding_rs
/// implements and [`Gb18030Cells`] decodes with (a test holds the two
/// equal): a byte below 0x81 is a character (ASCII, and 0x80 for €); 0xFF
/// is not one; a lead byte 0x81–0xFE takes a second byte 0x40–0x7E or
/// 0x80–0xFE, or 0x30–0x39 then 0x81–0xFE then 0x30–0x39, whose pointer
/// must lie in 0–39419 or 189000–1237575.
fn gb18030_prefix(bytes: &[u8], last: bool) -> (usize, Option<usize>) {
    let mut i = 0;
    while i < bytes.len() {
        // ASCII runs at the speed of the scan.
        match bytes[i..].iter().position(|&b| b >= 0x81) {
            Some(k) => i += k,
            None => return (bytes.len(), None),
        }
        let rest = &bytes[i..];
        let trail = |k: usize, ok: fn(u8) -> bool| rest.get(k).map(|&b| ok(b));
        let len = match (rest[0], trail(1, |b| matches!(b, 0x40..=0x7E | 0x80..=0xFE))) {
            (0xFF, _) => None,
            (_, Some(true)) => Some(2),
            (_, None) => return cut(i, last),
            (lead, Some(false)) => match (
                trail(1, |b| b.is_ascii_digit()),
                trail(2, |b| (0x81..=0xFE).contains(&b)),
                trail(3, |b| b.is_ascii_digit()),
            ) {
                (Some(true), None, _) | (Some(true), Some(true), None) => return cut(i, last),
                (Some(true), Some(true), Some(true)) => {
                    let pointer = ((u32::from(lead - 0x81) * 10 + u32::from(rest[1] - 0x30)) * 126
                        + u32::from(rest[2] - 0x81))
                        * 10
                        + u32::from(rest[3] - 0x30);
                    (!(39_420..189_000).contains(&pointer) && pointer <= 1_237_575).then_some(4)
                }
                _ => None,
            },
        };
        match len {
            Some(len) => i += len,
            None => return (i, Some(i)),
        }
    }
    (i, None)
}

/// What [`gb18030_prefix`] gives for a character cut at `i`.
fn cut(i: usize, last: bool) -> (usize, Option<usize>) {
    (i, last.then_some(i))
}

/// Adds `bytes` to the line kept across blocks, up to 64 KiB of it.
fn keep(line: &mut Vec<u8>, bytes: &[u8]) {
    let room = (1 << 16) - line.len().min(1 << 16);
    line.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// The refusal of a file with a UTF-8 line (`utf8_line`) and a byte that is not UTF-8.
fn mixed(shown: &str, utf8_line: u64, (line, byte, value): (u64, u64, u8)) -> String {
    format!(
        "`{shown}`: line {utf8_line} is UTF-8 text but byte 0x{value:02X} on {} is not UTF-8: the file mixes UTF-8 \
         and GB18030 (GBK) text; save it in one encoding",
        place(line, byte)
    )
}

/// A line that is UTF-8 and holds at least [`UTF8_EVIDENCE`] characters
/// of three or four bytes.
fn is_utf8_text(line: &[u8]) -> bool {
    // A GBK line stops being UTF-8 at once, mostly at its first character.
    std::str::from_utf8(line).is_ok_and(|s| s.chars().filter(|c| c.len_utf8() >= 3).count() >= UTF8_EVIDENCE)
}

/// Decodes the cells of a GB18030 file, which the batch core splits into
/// rows and cells before decoding (see [`CellDecoder`]).
///
/// A bureau's export holds many short cells of one or two Chinese
/// characters (是, 否, a district), and a decoder set up per cell costs
/// more than the characters; so ASCII and the two-byte characters (all of
/// GBK) are decoded here through [`two_byte_chars`], a table that
/// encoding_rs fills once, and a cell holding anything else (a four-byte
/// character, 0x80, or a byte that is not GB18030) from that byte on by
/// encoding_rs itself. A test holds the two ways equal.
pub(crate) struct Gb18030Cells;

impl CellDecoder for Gb18030Cells {
    fn decode(&mut self, raw: &[u8], out: &mut String) -> Result<(), usize> {
        let table = two_byte_chars();
        // The commonest cell of all: one character (是, 否).
        if let [lead, trail] = *raw {
            if let Some(c) = table.get(lead, Some(trail)) {
                out.push_str(c);
                return Ok(());
            }
        }
        let mut i = 0;
        while i < raw.len() {
            let ascii = raw[i..].iter().take_while(|b| b.is_ascii()).count();
            if ascii > 0 {
                // ASCII bytes are their own UTF-8.
                out.push_str(std::str::from_utf8(&raw[i..i + ascii]).map_err(|e| i + e.valid_up_to())?);
                i += ascii;
                continue;
            }
            match table.get(raw[i], raw.get(i + 1).copied()) {
                Some(c) => {
                    out.push_str(c);
                    i += 2;
                }
                None => return decode_rest(&raw[i..], out).map_err(|at| i + at),
            }
        }
        Ok(())
    }
}

/// The text of every two-byte GB18030 sequence (lead 0x81–0xFE, trail
/// 0x40–0x7E or 0x80–0xFE) as encoding_rs decodes it, one after another;
/// a sequence that does not decode to one character has none.
struct TwoByteChars {
    text: String,
    /// Where the text of sequence `k` starts in `text`; it ends where `k + 1`'s starts.
    starts: Vec<usize>,
}

impl TwoByteChars {
    /// The text of `lead` then `trail`, when it is a two-byte character.
    #[inline]
    fn get(&self, lead: u8, trail: Option<u8>) -> Option<&str> {
        let k = two_byte_index(lead, trail?)?;
        let text = self.text.get(self.starts[k]..self.starts[k + 1])?;
        (!text.is_empty()).then_some(text)
    }
}

/// The index of a two-byte GB18030 sequence in [`TwoByteChars`].
fn two_byte_index(lead: u8, trail: u8) -> Option<usize> {
    let t = match trail {
        0x40..=0x7E => trail - 0x40,
        0x80..=0xFE => trail - 0x41,
        _ => return None,
    };
    let l = lead.checked_sub(0x81).filter(|&l| l < 126)?;
    Some(usize::from(l) * 190 + usize::from(t))
}

/// The table of two-byte characters, filled by encoding_rs on first use.
fn two_byte_chars() -> &'static TwoByteChars {
    static TABLE: std::sync::OnceLock<TwoByteChars> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = TwoByteChars { text: String::new(), starts: vec![0] };
        for lead in 0x81..=0xFEu8 {
            for trail in (0x40..=0x7Eu8).chain(0x80..=0xFE) {
                let pair = [lead, trail];
                let text = GB18030.decode_without_bom_handling_and_without_replacement(&pair);
                if let Some(one) = text.as_deref().filter(|t| t.chars().count() == 1) {
                    table.text.push_str(one);
                }
                table.starts.push(table.text.len());
            }
        }
        table
    })
}

/// Decodes `raw` with encoding_rs; a byte sequence that is not GB18030
/// gives the offset of its first byte.
fn decode_rest(raw: &[u8], out: &mut String) -> Result<(), usize> {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut read = 0;
    loop {
        let room = decoder.max_utf8_buffer_length_without_replacement(raw.len() - read).unwrap_or(raw.len() * 3);
        out.reserve(room);
        let (res, n) = decoder.decode_to_string_without_replacement(&raw[read..], out, true);
        read += n;
        match res {
            DecoderResult::InputEmpty => return Ok(()),
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(bad, after) => {
                return Err(read.saturating_sub(usize::from(after) + usize::from(bad)));
            }
        }
    }
}

/// Encodes the UTF-8 written to it as GB18030 (which has a code for every
/// character, so nothing is replaced).
pub(crate) struct Gb18030Writer<W> {
    inner: W,
    /// The start of a character split between two writes.
    pending: Vec<u8>,
}

impl<W: Write> Gb18030Writer<W> {
    pub(crate) fn new(inner: W) -> Gb18030Writer<W> {
        Gb18030Writer { inner, pending: Vec::new() }
    }

    /// The writer it writes to; an unfinished character is an error.
    pub(crate) fn into_inner(self) -> io::Result<W> {
        if self.pending.is_empty() {
            Ok(self.inner)
        } else {
            Err(io::Error::new(io::ErrorKind::InvalidData, "output ends inside a UTF-8 character"))
        }
    }

    fn encode(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) if e.error_len().is_none() => {
                let good = e.valid_up_to();
                self.pending.extend_from_slice(&bytes[good..]);
                // Checked just above.
                std::str::from_utf8(&bytes[..good]).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
            }
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        };
        let (encoded, _, _) = GB18030.encode(text);
        self.inner.write_all(&encoded)?;
        Ok(bytes.len())
    }
}

impl<W: Write> Write for Gb18030Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            return self.encode(buf);
        }
        let mut joined = std::mem::take(&mut self.pending);
        joined.extend_from_slice(buf);
        self.encode(&joined)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<String, usize> {
        let mut out = String::from("kept ");
        Gb18030Cells.decode(bytes, &mut out).map(|()| out)
    }

    #[test]
    fn decodes_gbk_cells_after_what_is_there() {
        let (gbk, _, _) = GB18030.encode("化工厂 № 1 €");
        assert_eq!(decode(&gbk).unwrap(), "kept 化工厂 № 1 €");
        // The four-byte form of GB18030, and its BOM (which a header's first cell loses later).
        assert_eq!(decode(b"\x81\x30\x81\x30").unwrap(), "kept \u{80}");
        assert_eq!(decode(b"\x84\x31\x95\x33id").unwrap(), "kept \u{FEFF}id");
    }

    #[test]
    fn a_bad_sequence_names_its_first_byte() {
        for (bad, at) in [(&b"\x81"[..], 0), (b"ab\xFF", 2), (b"\xD6\xD0\x81,", 2), (b"x\x81\x30\x20", 1)] {
            assert_eq!(decode(bad), Err(at), "{bad:?}");
        }
        // A long cell, past any buffer the decoder is given at once.
        let long = GB18030.encode(&"安全生产".repeat(10_000)).0.into_owned();
        assert_eq!(decode(&long).unwrap().chars().count(), 5 + 40_000);
    }

    #[test]
    fn the_check_of_whole_files_agrees_with_the_decoder() {
        let agrees = |bytes: &[u8]| {
            let valid = GB18030.decode_without_bom_handling_and_without_replacement(bytes).is_some();
            let (checked, bad) = gb18030_prefix(bytes, true);
            assert_eq!(bad.is_none(), valid, "{bytes:02X?}");
            if valid {
                assert_eq!(checked, bytes.len());
            } else {
                // The first bad byte is the decoder's, and the part before it decodes.
                let mut out = String::new();
                let at = Gb18030Cells.decode(bytes, &mut out).expect_err("bad");
                assert_eq!(bad, Some(at), "{bytes:02X?}");
            }
        };
        // Every one- and two-byte sequence, and two-byte ones after a character.
        for a in 0..=255u8 {
            agrees(&[a]);
            for b in 0..=255u8 {
                agrees(&[a, b]);
                agrees(&[0xD6, 0xD0, a, b]);
            }
        }
        // Four-byte sequences around the edges of the valid pointers, and garbage.
        let mut seed = 7u64;
        for _ in 0..200_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let r = seed.to_le_bytes();
            let four = [0x81 + r[0] % 0x7E, 0x30 + r[1] % 10, 0x81 + r[2] % 0x7E, 0x30 + r[3] % 10];
            agrees(&four);
            agrees(&[four[0], four[1], four[2]]);
            agrees(&[b'x', four[0], four[1], r[4], r[5], b',']);
            agrees(&r);
        }
        for edge in [
            [0x84, 0x31, 0xA4, 0x39],
            [0x84, 0x31, 0xA5, 0x30],
            [0x90, 0x30, 0x81, 0x30],
            [0xE3, 0x32, 0x9A, 0x35],
            [0xE3, 0x32, 0x9A, 0x36],
            [0x8F, 0x39, 0xFE, 0x39],
        ] {
            agrees(&edge);
        }
    }

    #[test]
    fn cells_decode_as_encoding_rs_decodes_them() {
        let agrees = |bytes: &[u8]| {
            let mut table_way = String::new();
            let mut whole = String::new();
            let got = Gb18030Cells.decode(bytes, &mut table_way);
            assert_eq!(got, decode_rest(bytes, &mut whole), "{bytes:02X?}");
            if got.is_ok() {
                assert_eq!(table_way, whole, "{bytes:02X?}");
            }
        };
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                agrees(&[a, b]);
                agrees(&[b'x', a, b, 0xB0, 0xA1]);
            }
        }
        let mut seed = 11u64;
        for _ in 0..100_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let r = seed.to_le_bytes();
            agrees(&r);
            agrees(&[0x81 + r[0] % 0x7E, 0x30 + r[1] % 10, 0x81 + r[2] % 0x7E, 0x30 + r[3] % 10, r[4], r[5]]);
        }
        let table = two_byte_chars();
        let every =
            (0x81..=0xFEu8).all(|l| (0x40..=0xFEu8).filter(|&t| t != 0x7F).all(|t| table.get(l, Some(t)).is_some()));
        assert!(every, "every two-byte sequence is one character");
    }

    #[test]
    fn a_character_cut_by_a_block_is_left_for_the_next() {
        assert_eq!(gb18030_prefix(b"ab\xD6", false), (2, None));
        assert_eq!(gb18030_prefix(b"ab\x81\x30\x81", false), (2, None));
        assert_eq!(gb18030_prefix(b"ab\x81\x30\x81", true), (2, Some(2)));
        assert_eq!(gb18030_prefix(b"\xD6\xD0,\xFF", false), (3, Some(3)));
    }

    #[test]
    fn split_writes_encode_whole_characters() {
        let text = "统一社会信用代码,风险等级\n";
        let mut w = Gb18030Writer::new(Vec::new());
        for b in text.as_bytes() {
            w.write_all(std::slice::from_ref(b)).unwrap();
        }
        let out = w.into_inner().unwrap();
        assert_eq!(out, GB18030.encode(text).0.into_owned());
        assert_eq!(decode(&out).unwrap(), format!("kept {text}"));
    }

    proptest::proptest! {
        #[test]
        fn a_file_checked_in_parts_is_utf8_as_a_whole(
            pieces in proptest::collection::vec(proptest::sample::select(vec!["a", "是", "€", "😀", "\u{80}", "\n"]), 0..40),
            bad in proptest::option::of((0usize..200, proptest::sample::select(vec![0x80u8, 0xC3, 0xE6, 0xF0, 0xFF]))),
            cuts in proptest::collection::vec(0u64..200, 0..4),
        ) {
            let mut bytes = pieces.concat().into_bytes();
            if let Some((at, byte)) = bad {
                let at = at.min(bytes.len());
                bytes.insert(at, byte);
            }
            let path = std::env::temp_dir().join(format!("sg-utf8-parts-{}", std::process::id()));
            std::fs::write(&path, &bytes).unwrap();
            let f = File::open(&path).unwrap();
            let len = bytes.len() as u64;
            let mut bounds: Vec<u64> = cuts.into_iter().map(|c| c.min(len)).collect();
            bounds.extend([0, len]);
            bounds.sort_unstable();
            let bounds: Vec<u64> = bounds.into_iter().map(|b| part_start(&f, b).unwrap()).collect();
            let mut all = true;
            for w in bounds.windows(2) {
                all &= part_is_utf8(&f, w[0], w[1]).unwrap();
            }
            std::fs::remove_file(&path).unwrap();
            proptest::prop_assert_eq!(all, std::str::from_utf8(&bytes).is_ok());
        }
    }
}
