//! File access for the command line: reads bounded by their limits, the
//! rule loader, and path expansion.
//!
//! Whole files are read through [`read_bounded`], which reads at most its
//! limit and one byte more, whatever the file is: a device such as
//! `/dev/zero`, a pipe, stdin, a file still growing. Sizes the file system
//! reports are never trusted. Includes and scheme steps are read only when
//! their real path, links resolved, lies inside the rules root the library
//! has checked their written path against.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use safegrade::{Code, LoadConfig, SourceLoader};

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

/// Reads a rule file for the library's loader, within the rule-file limit.
pub(crate) fn read_rule_file(path: &str) -> Result<String, String> {
    let limit = safegrade::MAX_RULE_FILE_BYTES as u64;
    let bytes = read_file_bounded(path, limit).map_err(|e| match e {
        ReadError::TooLarge { .. } => format!("{e}, the limit for a rule file"),
        ReadError::Io(_) => e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        format!("not UTF-8 (line {line}); save the file as UTF-8")
    })
}

/// A loader reading rule files with `read` (such as [`read_rule_file`])
/// that reads an include or a scheme step only when its real path, links
/// resolved, lies inside the real rules root.
pub(crate) struct Confined<F>(pub(crate) F);

impl<F: Fn(&str) -> Result<String, String>> SourceLoader for Confined<F> {
    fn load(&self, path: &str) -> Result<String, String> {
        (self.0)(path)
    }

    fn load_within(&self, path: &str, root: &str) -> Result<String, String> {
        let real_root =
            std::fs::canonicalize(root).map_err(|e| format!("the rules root `{root}` cannot be found: {e}"))?;
        let real = std::fs::canonicalize(path).map_err(|e| e.to_string())?;
        if !real.starts_with(&real_root) {
            return Err(format!("a link leads it outside the rules root `{root}`"));
        }
        (self.0)(path)
    }
}

/// How to load the rule file at `path` with the rules root `root`
/// (`--rules-root`, or the library's default): the path to load and the
/// configuration. The library compares paths as written, so when one of the
/// two is absolute, both are made so.
pub(crate) fn rules_config(path: &str, root: Option<&str>) -> (String, LoadConfig) {
    let Some(root) = root else { return (path.to_string(), LoadConfig::default()) };
    if Path::new(path).is_absolute() == Path::new(root).is_absolute() {
        (path.to_string(), LoadConfig { root: Some(root.to_string()) })
    } else {
        (absolute(path), LoadConfig { root: Some(absolute(root)) })
    }
}

/// `path` made absolute, as text (unchanged when that fails).
fn absolute(path: &str) -> String {
    std::path::absolute(path).map_or_else(|_| path.to_string(), |a| a.to_string_lossy().into_owned())
}

/// Loads the rule file at `path` from disk, within the rules root `root`
/// when one is given.
pub(crate) fn load_rules(path: &str, root: Option<&str>) -> safegrade::Loaded {
    load_confined(path, root, read_rule_file, || {})
}

/// Loads the rule file at `path` through `read`, within the rules root.
///
/// The library compares paths as written. Relative paths that climb above
/// the working folder (a scheme loaded from its own folder whose steps are
/// `../../rules/…`) cannot be compared that way, so a relative load refused
/// for its rules root (R0008) is tried once more with absolute paths, after
/// `before_retry`: a step inside the root is then read, one outside it is
/// refused as before (its diagnostics naming the paths as written),
/// whichever way the paths were written.
pub(crate) fn load_confined(
    path: &str,
    root: Option<&str>,
    read: impl Fn(&str) -> Result<String, String>,
    before_retry: impl FnOnce(),
) -> safegrade::Loaded {
    let (to_load, config) = rules_config(path, root);
    let loader = Confined(read);
    let loaded = safegrade::load_with(&to_load, &loader, &config);
    let outside = loaded.diagnostics.iter().any(|d| d.code == Code::OutsideRoot);
    if !outside || Path::new(&to_load).is_absolute() {
        return loaded;
    }
    before_retry();
    let config = LoadConfig { root: config.root.as_deref().map(absolute) };
    let again = safegrade::load_with(&absolute(&to_load), &loader, &config);
    // Outside either way: the diagnostics name the paths as they were written.
    if again.diagnostics.iter().any(|d| d.code == Code::OutsideRoot) {
        loaded
    } else {
        again
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
