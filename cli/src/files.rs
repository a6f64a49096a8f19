//! File access for the command line: reads bounded by their limits and
//! path expansion (rule files are read by `safegrade-rulefiles`).
//!
//! Whole files are read through [`read_bounded`], which reads at most its
//! limit and one byte more, whatever the file is: a device such as
//! `/dev/zero`, a pipe, stdin, a file still growing. Sizes the file system
//! reports are never trusted.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

/// Largest firm data `safegrade eval` reads (a file or stdin).
pub(crate) const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Why a bounded read gave no text.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file holds more than the limit; only the limit and one byte were read.
    #[error("it holds more than {}", size(*.limit))]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
}

/// Reads all of `reader` when it holds at most `limit` bytes; reads at most
/// `limit + 1` bytes in any case.
pub(crate) fn read_bounded(reader: impl Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_bounded_sized(reader, limit, 0)
}

/// [`read_bounded`] of a reader expected to hold `expected` bytes (a file's
/// length), room for which is made at once: a buffer grown by doubling
/// would hold up to three times a large workbook while it grows.
pub(crate) fn read_bounded_sized(reader: impl Read, limit: u64, expected: u64) -> Result<Vec<u8>, ReadError> {
    let room = usize::try_from(expected.min(limit).saturating_add(1)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(room);
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// [`read_bounded`] of the file at `path`.
pub(crate) fn read_file_bounded(path: impl AsRef<Path>, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_bounded(File::open(path)?, limit)
}

/// `4 MiB` for 4,194,304 bytes.
fn size(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Expands directories into the `*.toml` files under them, sorted. Links
/// to folders are not followed, so a link back up cannot loop.
pub(crate) fn expand(paths: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found).with_context(|| format!("cannot list `{p}`"))?;
            if found.is_empty() {
                anyhow::bail!("`{p}` holds no rule files (*.toml)");
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

/// Reads a whole input file, or stdin for `-`, within [`MAX_INPUT_BYTES`].
pub(crate) fn read_input(path: &str) -> Result<String> {
    let name = if path == "-" { "<stdin>" } else { path };
    let bytes = if path == "-" {
        read_bounded(std::io::stdin().lock(), MAX_INPUT_BYTES)
    } else {
        read_file_bounded(path, MAX_INPUT_BYTES)
    };
    let bytes = bytes.map_err(|e| match e {
        ReadError::TooLarge { .. } => anyhow::anyhow!("`{name}`: {e}, the limit for a firm's data"),
        ReadError::Io(e) => anyhow::Error::new(e).context(format!("cannot read `{name}`")),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        anyhow::anyhow!("`{path}` is not UTF-8 (line {line}); save it as UTF-8")
    })
}
