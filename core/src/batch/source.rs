//! The inputs of a run: a firm file or list file as a named reader of
//! UTF-8 text, and which list of the rules a list file fills. A reader that
//! decodes another encoding names it, for messages.

use std::io::Read;

/// The name of UTF-8 in [`Source::encoding`].
pub const UTF_8: &str = "UTF-8";

/// A named input: a file name for messages and a reader for its bytes.
pub struct Source {
    /// The name used in messages and in the rejects file.
    pub file: String,
    /// The bytes: UTF-8 text. A reader that decodes another encoding into
    /// UTF-8 names it here (`GB18030`), and hands a byte sequence that is
    /// not valid in it on as bytes that are not UTF-8, so that the row
    /// holding it is refused as not being text of that encoding.
    pub reader: Box<dyn Read + Send>,
    /// The encoding the file is read in, for messages: `UTF-8` unless the
    /// reader decodes another.
    pub encoding: &'static str,
}

impl Source {
    /// A source from a name and a reader.
    pub fn new(file: impl Into<String>, reader: impl Read + Send + 'static) -> Source {
        Source { file: file.into(), reader: Box::new(reader), encoding: UTF_8 }
    }

    /// A source whose reader decodes `encoding` into UTF-8 (see [`Source::reader`]).
    pub fn decoded(file: impl Into<String>, reader: impl Read + Send + 'static, encoding: &'static str) -> Source {
        Source { file: file.into(), reader: Box::new(reader), encoding }
    }
}

/// A list file: which list of the rules it fills, and its source.
pub struct ListSource {
    /// The list's name in the rules (`accidents`).
    pub list: String,
    /// Its rows.
    pub source: Source,
}
