//! The inputs of a run: a firm file or list file as a named reader of
//! text, and which list of the rules a list file fills. A file in another
//! encoding than UTF-8 names it, for messages, and brings a
//! [`CellDecoder`] that decodes its cells.

use std::io::Read;

/// The name of UTF-8 in [`Source::encoding`].
pub const UTF_8: &str = "UTF-8";

/// A named input: a file name for messages and a reader for its bytes.
pub struct Source {
    /// The name used in messages and in the rejects file.
    pub file: String,
    /// The bytes: UTF-8 text, or the file's own bytes when [`Source::cells`]
    /// decodes them.
    pub reader: Box<dyn Read + Send>,
    /// The encoding the file is read in, for messages: `UTF-8` unless the
    /// file is in another.
    pub encoding: &'static str,
    /// Decodes each cell of a file whose reader gives its own bytes in
    /// another encoding ([`Source::with_cells`]); `None` for UTF-8 text.
    pub cells: Option<Box<dyn CellDecoder>>,
}

/// Decodes the cells of a CSV file in an encoding that keeps the bytes of
/// ASCII for ASCII and never uses the byte of a comma, a quote or a line
/// end inside a character (GB18030, GBK, Big5, Shift_JIS are such), so the
/// file can be split into lines and cells before it is decoded. A cell of
/// ASCII bytes is taken as it is; only the others are decoded, which costs
/// far less than decoding the whole file first.
pub trait CellDecoder: Send {
    /// Appends the text of `raw`, a cell's bytes, to `out`; a byte
    /// sequence that is not valid in the encoding gives the offset of its
    /// first byte in `raw`, and what was appended is then not used.
    fn decode(&mut self, raw: &[u8], out: &mut String) -> Result<(), usize>;
}

impl Source {
    /// A source from a name and a reader.
    pub fn new(file: impl Into<String>, reader: impl Read + Send + 'static) -> Source {
        Source { file: file.into(), reader: Box::new(reader), encoding: UTF_8, cells: None }
    }

    /// A source whose reader gives the file's own bytes in `encoding`,
    /// each cell decoded by `cells` (see [`CellDecoder`]).
    pub fn with_cells(
        file: impl Into<String>,
        reader: impl Read + Send + 'static,
        encoding: &'static str,
        cells: impl CellDecoder + 'static,
    ) -> Source {
        Source { file: file.into(), reader: Box::new(reader), encoding, cells: Some(Box::new(cells)) }
    }
}

/// A list file: which list of the rules it fills, and its source.
pub struct ListSource {
    /// The list's name in the rules (`accidents`).
    pub list: String,
    /// Its rows.
    pub source: Source,
}
