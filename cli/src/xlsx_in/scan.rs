//! A streaming reader of the XML in a workbook's sheet and shared-strings
//! parts: tags with their names and attributes, and element text with its
//! entities decoded, read through a window that slides over the
//! decompressed part, so a part of any size is never held whole.
//!
//! It reads what those parts hold, not all of XML: the five predefined
//! entities and character references (`&amp; &lt; &gt; &quot; &apos;
//! &#NN; &#xHH;`), CDATA sections, comments and processing instructions;
//! a document type declaration (which could declare entities) is refused.
//! Line ends in text are normalised as XML says (CR LF and a lone CR
//! become LF; `&#13;` stays a CR). Names are compared without their
//! namespace prefix (`x:c` is `c`), as writers differ in the prefixes they
//! use. Any malformed input is an error naming the part and the byte
//! offset, never a panic. The sheet reader also looks at the window
//! directly ([`Scanner::rest`]) for its fast path over plain cells.

use std::io::Read;

use memchr::{memchr, memchr3, memmem};

/// The bytes of a part in a block.
const BLOCK: usize = 256 << 10;
/// The bytes free at the front of a block, where the scanner moves what it
/// has not read of the block before: more than a cell or tag ever needs,
/// but for a tag or text of more than 16 KiB, which grows the window.
const HEAD: usize = 16 << 10;
/// The longest tag read whole, with its attributes: 1 MiB.
const MAX_TAG: usize = 1 << 20;

/// Where a scanner's bytes come from: the decompressed part in blocks,
/// each with [`HEAD`] bytes free at its front, then up to [`BLOCK`] bytes of
/// the part, so that the scanner moves only what it has not read of a
/// block, not the block, to read on into the next.
pub(super) trait Blocks {
    /// The next block, `None` at the end of the part; `spent` is a block
    /// the scanner is done with, to fill again.
    fn next(&mut self, spent: Vec<u8>) -> Result<Option<Vec<u8>>, String>;
}

/// Fills `block` (a spent one, or a new one) with the next bytes of `r`
/// as [`Blocks`] lays them out: false when `r` has ended.
pub(super) fn read_block(r: &mut impl Read, block: &mut Vec<u8>) -> std::io::Result<bool> {
    block.resize(HEAD + BLOCK, 0);
    let mut n = HEAD;
    while n < block.len() {
        match r.read(&mut block[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    block.truncate(n);
    Ok(n > HEAD)
}

/// A part read in blocks from its decompressing reader, on the scanner's
/// thread.
pub(super) struct ReadBlocks<R>(pub(super) R);

impl<R: Read> Blocks for ReadBlocks<R> {
    fn next(&mut self, mut spent: Vec<u8>) -> Result<Option<Vec<u8>>, String> {
        match read_block(&mut self.0, &mut spent) {
            Ok(more) => Ok(more.then_some(spent)),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// What [`Scanner::next_tag`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tag {
    /// `<name …>`
    Start,
    /// `<name …/>`
    Empty,
    /// `</name>`
    End,
}

/// A part's XML, read in order.
pub(super) struct Scanner<B> {
    src: B,
    /// The part's name, for messages.
    part: String,
    /// The block being read, and the last one, to fill again.
    buf: Vec<u8>,
    spent: Vec<u8>,
    /// The next byte to read is `buf[pos]`; the window ends at `end`.
    pos: usize,
    end: usize,
    /// `src` has ended.
    eof: bool,
    /// The part's offset of `buf[0]`, to which `pos` is added (wrapping:
    /// the free bytes of the first block come before the part).
    base: u64,
    /// The last tag's local name and attributes, as ranges of `buf`: valid
    /// until the next call that reads (which may move the window).
    name: (usize, usize),
    attrs: (usize, usize),
}

impl<B: Blocks> Scanner<B> {
    /// A reader of the XML of the part `part` in the blocks of `src`.
    pub(super) fn new(src: B, part: &str) -> Scanner<B> {
        Scanner {
            src,
            part: part.to_string(),
            buf: Vec::new(),
            spent: Vec::new(),
            pos: 0,
            end: 0,
            eof: false,
            base: 0,
            name: (0, 0),
            attrs: (0, 0),
        }
    }

    /// The error `what` at the reader's position.
    pub(super) fn error(&self, what: &str) -> String {
        format!("`{}` is not well-formed XML at byte {}: {what}", self.part, self.base.wrapping_add(self.pos as u64))
    }

    /// Reads on until at least `n` bytes from the position are in the
    /// window, unless the part ends first.
    pub(super) fn want(&mut self, n: usize) -> Result<(), String> {
        while self.end - self.pos < n && self.fill()? {}
        Ok(())
    }

    /// The bytes in the window from the position.
    pub(super) fn rest(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// The part's name.
    pub(super) fn part(&self) -> &str {
        &self.part
    }

    /// Moves the position `n` bytes on, over bytes [`Self::rest`] gave.
    pub(super) fn advance(&mut self, n: usize) {
        debug_assert!(self.pos + n <= self.end);
        self.pos += n;
    }

    /// Reads more of the part into the window, keeping the bytes from the
    /// position; false when the part has ended.
    fn fill(&mut self) -> Result<bool, String> {
        if self.eof {
            return Ok(false);
        }
        let keep = self.end - self.pos;
        let spent = if keep <= HEAD { std::mem::take(&mut self.spent) } else { Vec::new() };
        let next = self.src.next(spent).map_err(|e| format!("cannot decompress `{}`: {e}", self.part))?;
        let Some(mut next) = next.filter(|b| b.len() > HEAD) else {
            self.eof = true;
            return Ok(false);
        };
        if keep > HEAD {
            // The window grows: the bytes kept, then the block's.
            self.buf.copy_within(self.pos..self.end, 0);
            self.buf.truncate(keep);
            self.buf.extend_from_slice(&next[HEAD..]);
            self.base = self.base.wrapping_add(self.pos as u64);
            self.pos = 0;
            self.end = self.buf.len();
            return Ok(true);
        }
        let at = HEAD - keep;
        next[at..HEAD].copy_from_slice(&self.buf[self.pos..self.end]);
        self.base = self.base.wrapping_add(self.pos as u64).wrapping_sub(at as u64);
        let spent = std::mem::replace(&mut self.buf, next);
        // A grown window is not filled again.
        if spent.capacity() <= HEAD + BLOCK {
            self.spent = spent;
        }
        self.pos = at;
        self.end = self.buf.len();
        Ok(true)
    }

    /// The next start, empty or end tag, skipping text, comments,
    /// processing instructions and CDATA sections before it; `None` at the
    /// end of the part.
    pub(super) fn next_tag(&mut self) -> Result<Option<Tag>, String> {
        loop {
            let s = &self.buf[self.pos..self.end];
            // Most often the next tag is right there.
            match if s.first() == Some(&b'<') { Some(0) } else { memchr(b'<', s) } {
                Some(i) => self.pos += i,
                None => {
                    self.pos = self.end;
                    if self.fill()? {
                        continue;
                    }
                    return Ok(None);
                }
            }
            if let Some(tag) = self.markup(None)? {
                return Ok(Some(tag));
            }
        }
    }

    /// The last tag's name, without its namespace prefix.
    pub(super) fn name(&self) -> &[u8] {
        &self.buf[self.name.0..self.name.1]
    }

    /// Whether the last tag's name, without its prefix, is `name`.
    #[inline]
    pub(super) fn named(&self, name: &[u8]) -> bool {
        let n = self.name();
        n.len() == name.len() && n.iter().zip(name).all(|(a, b)| a == b)
    }

    /// The raw value (entities not decoded) of the last start or empty
    /// tag's attribute named `name` (with its prefix, as in `xml:space`).
    pub(super) fn attr(&self, name: &[u8]) -> Result<Option<&[u8]>, String> {
        let mut res = None;
        self.each_attr(|key, value| {
            if res.is_none() && key == name {
                res = Some(value);
            }
        })?;
        Ok(res)
    }

    /// Calls `f` with the name and raw value of each of the last start or
    /// empty tag's attributes.
    pub(super) fn each_attr<'s>(&'s self, mut f: impl FnMut(&'s [u8], &'s [u8])) -> Result<(), String> {
        let mut attrs = Attrs { s: &self.buf[self.attrs.0..self.attrs.1] };
        while let Some((key, value)) = attrs.next().map_err(|e| self.error(e))? {
            f(key, value);
        }
        Ok(())
    }

    /// After a start tag: skips to the end of its element.
    pub(super) fn skip_element(&mut self) -> Result<(), String> {
        let mut depth = 0u32;
        loop {
            match self.next_tag()? {
                Some(Tag::Start) => depth += 1,
                Some(Tag::Empty) => {}
                Some(Tag::End) if depth == 0 => return Ok(()),
                Some(Tag::End) => depth -= 1,
                None => return Err(self.error("the part ends inside an element")),
            }
        }
    }

    /// After a start tag: appends the element's text to `out`, decoded, up
    /// to `cap` bytes (the rest is read and dropped), and reads its end
    /// tag. The text of any element inside it is part of it.
    pub(super) fn text(&mut self, out: &mut Vec<u8>, cap: usize) -> Result<(), String> {
        let mut depth = 0u32;
        loop {
            let s = &self.buf[self.pos..self.end];
            let Some(i) = find_text_end(s) else {
                push_capped(out, s, cap);
                self.pos = self.end;
                if !self.fill()? {
                    return Err(self.error("the part ends inside an element"));
                }
                continue;
            };
            push_capped(out, &s[..i], cap);
            self.pos += i;
            match s[i] {
                b'&' => self.entity(out, cap)?,
                b'\r' => self.line_end(out, cap)?,
                _ => match self.markup(Some((out, cap)))? {
                    None => {}
                    Some(Tag::Start) => depth += 1,
                    Some(Tag::Empty) => {}
                    Some(Tag::End) if depth == 0 => return Ok(()),
                    Some(Tag::End) => depth -= 1,
                },
            }
        }
    }

    /// At a CR in text: a LF goes to `out`, and the CR is dropped.
    fn line_end(&mut self, out: &mut Vec<u8>, cap: usize) -> Result<(), String> {
        if self.end - self.pos < 2 {
            self.fill()?;
        }
        self.pos += 1;
        if self.buf[self.pos..self.end].first() != Some(&b'\n') {
            push_capped(out, b"\n", cap);
        }
        Ok(())
    }

    /// At a `&` in text: its character goes to `out`.
    fn entity(&mut self, out: &mut Vec<u8>, cap: usize) -> Result<(), String> {
        // `&#x10FFFF;` is the longest reference there is.
        const LONGEST: usize = 10;
        self.want(LONGEST + 1)?;
        let s = &self.buf[self.pos..self.end];
        let Some(semi) = memchr(b';', &s[..s.len().min(LONGEST + 1)]) else {
            return Err(self.error("an `&` that starts no entity (write `&amp;`)"));
        };
        let c = entity(&s[1..semi]).map_err(|e| self.error(&e))?;
        let mut utf8 = [0; 4];
        push_capped(out, c.encode_utf8(&mut utf8).as_bytes(), cap);
        self.pos += semi + 1;
        Ok(())
    }

    /// At a `<`: reads a tag, giving its kind, or a comment, processing
    /// instruction or CDATA section, giving `None` (a CDATA section's text
    /// goes to `text` when there is one).
    fn markup(&mut self, text: Option<(&mut Vec<u8>, usize)>) -> Result<Option<Tag>, String> {
        loop {
            let s = &self.buf[self.pos..self.end];
            match s.get(1) {
                Some(b'!') => {
                    if s.starts_with(b"<!--") {
                        self.pos += 4;
                        self.skip_past(b"-->", None)?;
                        return Ok(None);
                    }
                    if s.starts_with(b"<![CDATA[") {
                        self.pos += 9;
                        self.skip_past(b"]]>", text)?;
                        return Ok(None);
                    }
                    if s.len() >= 9 || self.eof {
                        return Err(self.error("a document type or other declaration, which a workbook does not hold"));
                    }
                }
                Some(b'?') => {
                    self.pos += 2;
                    self.skip_past(b"?>", None)?;
                    return Ok(None);
                }
                Some(_) => match parse_tag(s).map_err(|e| self.error(e))? {
                    Some(t) => {
                        let (name, attrs) = (t.name, t.attrs);
                        let local =
                            s[name.0..name.1].iter().rposition(|&b| b == b':').map_or(name.0, |i| name.0 + i + 1);
                        self.name = (self.pos + local, self.pos + name.1);
                        self.attrs = (self.pos + attrs.0, self.pos + attrs.1);
                        self.pos += t.len;
                        return Ok(Some(t.kind));
                    }
                    None if s.len() >= MAX_TAG => {
                        return Err(self.error("a tag longer than 1 MiB"));
                    }
                    None => {}
                },
                None => {}
            }
            if !self.fill()? {
                return Err(self.error("the part ends inside a tag"));
            }
        }
    }

    /// Moves past the next `pat`, copying the bytes before it to `text`
    /// when there is one, with line ends normalised.
    fn skip_past(&mut self, pat: &[u8], mut text: Option<(&mut Vec<u8>, usize)>) -> Result<(), String> {
        let finder = memmem::Finder::new(pat);
        loop {
            let s = &self.buf[self.pos..self.end];
            let (upto, found) = match finder.find(s) {
                Some(i) => (i, true),
                None => {
                    // Keep what could be the start of `pat`, and a CR that
                    // an LF in the next window may follow.
                    let upto = s.len().saturating_sub(pat.len());
                    (upto - usize::from(upto > 0 && s[upto - 1] == b'\r'), false)
                }
            };
            if let Some((out, cap)) = text.as_mut() {
                push_normalised(out, &s[..upto], *cap);
            }
            if found {
                self.pos += upto + pat.len();
                return Ok(());
            }
            self.pos += upto;
            if !self.fill()? {
                return Err(self.error("the part ends inside a comment, CDATA section or processing instruction"));
            }
        }
    }
}

/// Appends what of `bytes` fits under `cap`.
pub(super) fn push_capped(out: &mut Vec<u8>, bytes: &[u8], cap: usize) {
    let room = cap.saturating_sub(out.len());
    out.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// Appends `bytes` as [`push_capped`] does, each CR LF and lone CR a LF
/// (`bytes` never ends with a CR that a LF follows).
fn push_normalised(out: &mut Vec<u8>, bytes: &[u8], cap: usize) {
    let mut rest = bytes;
    while let Some(i) = memchr(b'\r', rest) {
        push_capped(out, &rest[..i], cap);
        if rest.get(i + 1) != Some(&b'\n') {
            push_capped(out, b"\n", cap);
        }
        rest = &rest[i + 1..];
    }
    push_capped(out, rest, cap);
}

/// A tag read from the front of a window: its length, kind, and its name
/// and attributes as ranges of the window.
struct ParsedTag {
    len: usize,
    kind: Tag,
    name: (usize, usize),
    attrs: (usize, usize),
}

/// The tag at the front of `s` (which starts with `<` and is not a
/// comment, declaration or processing instruction); `None` when `s` ends
/// before it does.
fn parse_tag(s: &[u8]) -> Result<Option<ParsedTag>, &'static str> {
    if s[1] == b'/' {
        let Some(gt) = find(s, 2, b'>') else { return Ok(None) };
        let name_end = 2 + s[2..gt].trim_ascii_end().len();
        if name_end == 2 {
            return Err("an end tag without a name");
        }
        return Ok(Some(ParsedTag { len: gt + 1, kind: Tag::End, name: (2, name_end), attrs: (gt, gt) }));
    }
    let mut i = 1;
    while i < s.len() && !matches!(s[i], b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>') {
        i += 1;
    }
    if i == s.len() {
        return Ok(None);
    }
    if i == 1 {
        return Err("a `<` that starts no tag (write `&lt;`)");
    }
    let name = (1, i);
    loop {
        match s.get(i) {
            None => return Ok(None),
            Some(b'>') => break,
            Some(&q @ (b'"' | b'\'')) => match find(s, i + 1, q) {
                Some(j) => i = j + 1,
                None => return Ok(None),
            },
            Some(b'<') => return Err("a `<` inside a tag"),
            Some(_) => i += 1,
        }
    }
    let empty = s[i - 1] == b'/' && i > name.1;
    let (kind, attrs_end) = if empty { (Tag::Empty, i - 1) } else { (Tag::Start, i) };
    Ok(Some(ParsedTag { len: i + 1, kind, name, attrs: (name.1, attrs_end) }))
}

/// The index of the first `<`, `&` or CR in `s`, where text stops being
/// copied as it is: often within a few bytes (a number), so looked for
/// byte by byte there first.
#[inline]
fn find_text_end(s: &[u8]) -> Option<usize> {
    let near = &s[..s.len().min(16)];
    match near.iter().position(|&b| matches!(b, b'<' | b'&' | b'\r')) {
        Some(i) => Some(i),
        None => memchr3(b'<', b'&', b'\r', &s[near.len()..]).map(|i| near.len() + i),
    }
}

/// The index of the first `b` in `s` from `from`. The spans searched in
/// tags are short, where a loop beats `memchr`'s setting up.
#[inline]
fn find(s: &[u8], from: usize, b: u8) -> Option<usize> {
    s.get(from..)?.iter().position(|&c| c == b).map(|i| from + i)
}

/// The attributes of a tag, `name="value"` or `name='value'` apart by
/// white space.
struct Attrs<'a> {
    s: &'a [u8],
}

/// An attribute's name and raw value.
type Attr<'a> = (&'a [u8], &'a [u8]);

impl<'a> Attrs<'a> {
    fn next(&mut self) -> Result<Option<Attr<'a>>, &'static str> {
        let s = self.s.trim_ascii_start();
        if s.is_empty() {
            return Ok(None);
        }
        let Some(eq) = find(s, 0, b'=') else { return Err("an attribute without a value") };
        let key = s[..eq].trim_ascii_end();
        if key.is_empty() || key.iter().any(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'')) {
            return Err("a malformed attribute");
        }
        let rest = s[eq + 1..].trim_ascii_start();
        let Some(&q @ (b'"' | b'\'')) = rest.first() else { return Err("an attribute value without quotes") };
        let Some(close) = find(rest, 1, q) else { return Err("an attribute value without its closing quote") };
        self.s = &rest[close + 1..];
        Ok(Some((key, &rest[1..close])))
    }
}

/// The character an entity or character reference names, from the text
/// between its `&` and `;`.
fn entity(name: &[u8]) -> Result<char, String> {
    let code = match name {
        b"amp" => return Ok('&'),
        b"lt" => return Ok('<'),
        b"gt" => return Ok('>'),
        b"quot" => return Ok('"'),
        b"apos" => return Ok('\''),
        [b'#', b'x', hex @ ..] if !hex.is_empty() && hex.len() <= 6 && hex.iter().all(u8::is_ascii_hexdigit) => {
            hex.iter().fold(0u32, |n, &d| n * 16 + (d as char).to_digit(16).unwrap_or(0))
        }
        [b'#', dec @ ..] if !dec.is_empty() && dec.len() <= 7 && dec.iter().all(u8::is_ascii_digit) => {
            dec.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'))
        }
        _ => return Err(format!("the unknown entity `&{};`", String::from_utf8_lossy(name))),
    };
    char::from_u32(code)
        .filter(|&c| c != '\0')
        .ok_or_else(|| format!("`&{};` is not a character", String::from_utf8_lossy(name)))
}

/// Appends `raw` (an attribute's value, or text read without
/// [`Scanner::text`]) to `out` with its entities decoded.
pub(super) fn unescape(raw: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    if !raw.contains(&b'&') {
        out.extend_from_slice(raw);
        return Ok(());
    }
    let mut rest = raw;
    while let Some(i) = memchr(b'&', rest) {
        out.extend_from_slice(&rest[..i]);
        let Some(semi) = memchr(b';', &rest[i..]) else {
            return Err("an `&` that starts no entity (write `&amp;`)".into());
        };
        let c = entity(&rest[i + 1..i + semi])?;
        let mut utf8 = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        rest = &rest[i + semi + 1..];
    }
    out.extend_from_slice(rest);
    Ok(())
}
