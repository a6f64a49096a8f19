//! The encodings of CSV files: which one an input is read in (`--encoding`,
//! detected from the whole file with `auto`), a reader that decodes
//! GB18030 into the UTF-8 the batch core reads, and a writer that encodes
//! CSV output as GB18030 (`--out-encoding`).
//!
//! GB18030 (a superset of GBK and GB2312) never uses the bytes of a line
//! end, a comma or a quote inside a multi-byte character, so the decoded
//! text has the same lines, rows and cells as the original file: every
//! line number the core reports is the original file's.

use std::fs::File;
use std::io::{self, Read, Write};

use anyhow::{bail, Context, Result};
use encoding_rs::{DecoderResult, GB18030};

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
}

impl Detected {
    /// Its name in messages, the summary, the report and the manifest.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Detected::Utf8 => "UTF-8",
            Detected::Gb18030 => "GB18030",
            Detected::Workbook(k) => k.name(),
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

/// Counts the line ends of `bytes` (at `at` in the file).
fn count_lines(bytes: &[u8], at: u64, lines: &mut u64, line_start: &mut u64) {
    for (i, _) in bytes.iter().enumerate().filter(|(_, &b)| b == b'\n') {
        *lines += 1;
        *line_start = at + i as u64 + 1;
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
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut buf = vec![0u8; BLOCK];
    let mut out = vec![0u8; BLOCK * 2 + 16];
    let (mut at, mut lines, mut line_start) = (0u64, 1u64, 0u64);
    // The line being scanned for UTF-8 evidence (its bytes so far, up to a bound).
    let mut line_bytes: Vec<u8> = Vec::new();
    let mut utf8_line: Option<u64> = None;
    loop {
        let n = read_full(&mut f, &mut buf).with_context(cannot)?;
        let last = n == 0;
        let chunk = &buf[..n];
        // Lines that are clearly UTF-8.
        if utf8_line.is_none() {
            let mut line_no = lines;
            for piece in chunk.split_inclusive(|&b| b == b'\n') {
                if line_bytes.len() < 1 << 16 {
                    line_bytes.extend_from_slice(&piece[..piece.len().min((1 << 16) - line_bytes.len())]);
                }
                if piece.ends_with(b"\n") {
                    if utf8_line.is_none() && is_utf8_text(&line_bytes) {
                        utf8_line = Some(line_no);
                    }
                    line_bytes.clear();
                    line_no += 1;
                }
            }
            if last && utf8_line.is_none() && is_utf8_text(&line_bytes) {
                utf8_line = Some(line_no);
            }
        }
        // GB18030, without replacement.
        let mut src = chunk;
        let mut consumed_at = at;
        loop {
            let (res, read, _) = decoder.decode_to_utf8_without_replacement(src, &mut out, last);
            match res {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => {
                    count_lines(&src[..read], consumed_at, &mut lines, &mut line_start);
                    consumed_at += read as u64;
                    src = &src[read..];
                }
                DecoderResult::Malformed(bad, after) => {
                    let bad_end = read - after as usize;
                    let bad_start = bad_end.saturating_sub(bad as usize);
                    count_lines(&src[..bad_start], consumed_at, &mut lines, &mut line_start);
                    let off = consumed_at + bad_start as u64;
                    let byte = src.get(bad_start).copied().unwrap_or(0);
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
            }
        }
        count_lines(src, consumed_at, &mut lines, &mut line_start);
        at += n as u64;
        if last {
            break;
        }
    }
    if let Some(l) = utf8_line {
        bail!(mixed(shown, l, not_utf8));
    }
    Ok(Detected::Gb18030)
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
    let wide = line.iter().filter(|&&b| b >= 0xE0).count();
    wide >= UTF8_EVIDENCE
        && std::str::from_utf8(line).is_ok_and(|s| s.chars().filter(|c| c.len_utf8() >= 3).count() >= UTF8_EVIDENCE)
}

/// Decodes GB18030 into UTF-8 as it is read. A byte sequence that is not
/// GB18030 is handed on as its own bytes, which are never UTF-8 there (a
/// GB18030 lead byte followed by an ASCII byte, or 0xFF), so the
/// batch core refuses its row as not GB18030, naming the line and column.
pub(crate) struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    eof: bool,
    output: Vec<u8>,
    out_start: usize,
}

impl<R: Read> Gb18030Reader<R> {
    pub(crate) fn new(inner: R) -> Gb18030Reader<R> {
        Gb18030Reader {
            inner,
            decoder: GB18030.new_decoder_with_bom_removal(),
            input: vec![0; 1 << 16],
            in_start: 0,
            in_end: 0,
            eof: false,
            output: Vec::with_capacity((1 << 17) + 16),
            out_start: 0,
        }
    }

    /// Decodes more input into `output`; false at the end.
    fn fill(&mut self) -> io::Result<bool> {
        self.output.clear();
        self.out_start = 0;
        loop {
            if self.in_start == self.in_end && !self.eof {
                self.in_start = 0;
                self.in_end = read_full(&mut self.inner, &mut self.input)?;
                self.eof = self.in_end == 0;
            }
            let src = &self.input[self.in_start..self.in_end];
            let room = (1 << 17) + 16;
            self.output.resize(room, 0);
            let (res, read, written) = self.decoder.decode_to_utf8_without_replacement(src, &mut self.output, self.eof);
            self.output.truncate(written);
            match res {
                DecoderResult::Malformed(bad, after) => {
                    let bad_end = read - after as usize;
                    let have = bad_end.min(bad as usize);
                    if have < bad as usize {
                        // Bytes held over from the previous block: not UTF-8 either.
                        self.output.push(0x80);
                    }
                    self.output.extend_from_slice(&src[bad_end - have..bad_end]);
                }
                DecoderResult::InputEmpty | DecoderResult::OutputFull => {}
            }
            self.in_start += read;
            if !self.output.is_empty() {
                return Ok(true);
            }
            if self.eof && self.in_start == self.in_end && matches!(res, DecoderResult::InputEmpty) {
                return Ok(false);
            }
        }
    }
}

impl<R: Read> Read for Gb18030Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_start == self.output.len() && !self.fill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.output.len() - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
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

    fn decode(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut r = Gb18030Reader::new(bytes);
        r.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn decodes_gbk_and_keeps_lines() {
        let (gbk, _, _) = GB18030.encode("名称,区域\n化工厂,朝阳\r\n\n\"多\n行\",x\n");
        assert_eq!(decode(&gbk), "名称,区域\n化工厂,朝阳\r\n\n\"多\n行\",x\n".as_bytes());
    }

    #[test]
    fn bytes_after_a_bad_sequence_are_kept() {
        assert_eq!(decode(b"a,\x81,b\n"), b"a,\x81,b\n");
        assert_eq!(
            decode(b"a,\x81\n\xD6\xD0\n"),
            "a,\u{81}".as_bytes()[..2].iter().chain(b"\x81\n").chain("中\n".as_bytes()).copied().collect::<Vec<u8>>()
        );
    }

    #[test]
    fn bad_sequences_stay_bad_utf8() {
        for bad in [&b"a,\x81,b\n"[..], b"a,\xFF\n", b"x\xC4", b"\xC4,1", b"\x81\x30\x20"] {
            let out = decode(bad);
            assert!(std::str::from_utf8(&out).is_err(), "{bad:?} gave {out:?}");
        }
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
        assert_eq!(decode(&out), text.as_bytes());
    }
}
