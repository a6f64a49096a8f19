//! Text in a workbook: the shared strings (`<si>`), read once into one
//! text, and the rich text of a shared or
//! inline string (`<t>`, runs, phonetic runs, `xml:space`, `_xHHHH_`
//! escapes).

use super::super::SheetLimits;
use super::scan::{Blocks, Scanner, Tag};
use super::values;

/// The shared strings' texts, one after another, then 16 bytes for
/// [`Sink::copied_cell`] to read past the last.
///
/// [`Sink::copied_cell`]: super::super::Sink
#[derive(Default)]
pub(super) struct SharedStrings {
    texts: Vec<u8>,
    /// Where each string ends in `texts`.
    ends: Vec<usize>,
}

impl SharedStrings {
    /// Reads the shared-strings part; each string is cut just past the
    /// field limit as the sink cuts a cell (the core refuses it).
    pub(super) fn read<B: Blocks>(scan: &mut Scanner<B>, limits: SheetLimits) -> Result<SharedStrings, String> {
        let mut res = SharedStrings::default();
        let (mut si, mut piece) = (Vec::new(), Vec::new());
        let cap = raw_cap(limits);
        loop {
            scan.want(PLAIN_WINDOW)?;
            if let Some((len, text)) = plain_si(scan.rest()) {
                si.clear();
                values::push_unescaped(&mut si, trim_xml_space(text));
                si.truncate(cap);
                res.push(&si, cap, limits)
                    .map_err(|n| format!("`{}`: shared string {n} is not UTF-8 text", scan.part()))?;
                scan.advance(len);
                continue;
            }
            let Some(tag) = scan.next_tag()? else {
                res.texts.extend_from_slice(&[0; 16]);
                return Ok(res);
            };
            if !scan.named(b"si") || tag == Tag::End {
                continue;
            }
            si.clear();
            if tag == Tag::Start {
                rich_text(scan, &mut si, &mut piece, cap)?;
            }
            res.push(&si, cap, limits)
                .map_err(|n| format!("`{}`: shared string {n} is not UTF-8 text", scan.part()))?;
        }
    }

    /// Adds the string `si` (read up to `cap` bytes); its number when it is
    /// not UTF-8.
    fn push(&mut self, si: &[u8], cap: usize, limits: SheetLimits) -> Result<(), usize> {
        let text = utf8(si, cap).ok_or(self.ends.len())?;
        let cut = text.ceil_char_boundary(limits.field.saturating_add(1));
        self.texts.extend_from_slice(&text.as_bytes()[..cut]);
        self.ends.push(self.texts.len());
        Ok(())
    }

    /// The number of strings.
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// String `i`'s text: the bytes from its start, and its length.
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<(&[u8], usize)> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some((&self.texts[start..], end - start))
    }
}

/// The bytes of the part in the window before a string is read by
/// [`plain_si`] (a longer one takes the general way).
const PLAIN_WINDOW: usize = 4 << 10;

/// A shared string of the plain shape most are written in, read whole from
/// the front of `s`: `<si><t>TEXT</t></si>` with no markup, entity or CR
/// in TEXT. Its length and TEXT; `None` for any other shape, or when `s`
/// ends first.
fn plain_si(s: &[u8]) -> Option<(usize, &[u8])> {
    let text = s.strip_prefix(b"<si><t>")?;
    let end = memchr::memchr3(b'<', b'&', b'\r', text)?;
    let len = b"<si><t>".len() + end + b"</t></si>".len();
    (text[end..].starts_with(b"</t></si>")).then_some((len, &text[..end]))
}

/// The most bytes of a text read before it is cut: eight times the field
/// limit, so that text that the trimming of white space or `_xHHHH_`
/// escapes shorten is cut past the limit all the same.
pub(super) fn raw_cap(limits: SheetLimits) -> usize {
    limits.field.saturating_add(1).saturating_mul(8)
}

/// After the start tag of a rich text (a shared string's `<si>` or an
/// inline string's `<is>`): its text, up to `cap` bytes, into `out`. The
/// text is that of its `<t>` elements, its runs' (`<r><t>`) one after
/// another, not its phonetic runs (`<rPh>`); white space around a `<t>`'s
/// text is dropped unless it keeps it (`xml:space="preserve"`), then its
/// `_xHHHH_` escapes are decoded. `piece` is scratch.
pub(super) fn rich_text<B: Blocks>(
    scan: &mut Scanner<B>,
    out: &mut Vec<u8>,
    piece: &mut Vec<u8>,
    cap: usize,
) -> Result<(), String> {
    loop {
        match scan.next_tag()? {
            Some(Tag::Start) => match scan.name() {
                b"t" => {
                    let preserve = scan.attr(b"xml:space")? == Some(&b"preserve"[..]);
                    piece.clear();
                    scan.text(piece, cap)?;
                    let text = if preserve { &piece[..] } else { trim_xml_space(piece) };
                    values::push_unescaped(out, text);
                    out.truncate(cap);
                }
                // A run's text is read in turn; its properties and phonetic
                // runs are not text.
                b"r" => {}
                _ => scan.skip_element()?,
            },
            Some(Tag::Empty) => {}
            Some(Tag::End) if scan.named(b"r") => {}
            Some(Tag::End) => return Ok(()),
            None => return Err(scan.error("the part ends inside a string")),
        }
    }
}

/// `s` without the white space XML has (space, tab, CR, LF) at its ends.
pub(super) fn trim_xml_space(s: &[u8]) -> &[u8] {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = s.iter().position(|b| !is_space(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !is_space(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

/// `bytes` as text; when they fill `cap` (a cut text), less a character cut
/// at the end. `None` when they are not UTF-8.
pub(super) fn utf8(bytes: &[u8], cap: usize) -> Option<&str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) if e.error_len().is_none() && bytes.len() >= cap => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok(),
        Err(_) => None,
    }
}
