//! Rule files from disk, as every native front end of safegrade (the
//! command line, the service, the Python package) reads them; the library
//! itself does no I/O.
//!
//! A rule file is read within [`MAX_RULE_FILE_BYTES`] (at most the limit
//! and one byte are read, whatever the file is: a device, a pipe, a file
//! still growing) and must be UTF-8, or it is refused naming its line.
//! Includes and scheme steps are read only when their real path, links
//! resolved, lies inside the real rules root the library has checked their
//! written path against. The library compares paths as written, so a
//! relative load refused for its rules root (R0008) is tried once more with
//! absolute paths.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use safegrade::{Code, LoadConfig, Loaded, SourceLoader, MAX_RULE_FILE_BYTES};

/// Reads a rule file for the library's loader, within the rule-file limit.
pub fn read_rule_file(path: &str) -> Result<String, String> {
    let limit = MAX_RULE_FILE_BYTES as u64;
    let mut bytes = Vec::new();
    File::open(path).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes)).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("it holds more than {} MiB, the limit for a rule file", limit >> 20));
    }
    String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        format!("not UTF-8 (line {line}); save the file as UTF-8")
    })
}

/// A loader reading rule files with `read` (such as [`read_rule_file`])
/// that reads an include or a scheme step only when its real path, links
/// resolved, lies inside the real rules root.
pub struct Confined<F>(pub F);

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

/// Loads the rule file at `path` from disk, within the rules root `root`
/// when one is given (by default the file's folder, or for a scheme the
/// folder above it).
pub fn load(path: &str, root: Option<&str>) -> Loaded {
    load_confined(path, root, read_rule_file, || {})
}

/// Loads the rule file at `path` through `read`, within the rules root.
///
/// Relative paths that climb above the working folder (a scheme loaded
/// from its own folder whose steps are `../../rules/…`) cannot be compared
/// as written, so a relative load refused for its rules root (R0008) is
/// tried once more with absolute paths, after `before_retry`: a step inside
/// the root is then read, one outside it is refused as before (its
/// diagnostics naming the paths as written), whichever way the paths were
/// written.
pub fn load_confined(
    path: &str,
    root: Option<&str>,
    read: impl Fn(&str) -> Result<String, String>,
    before_retry: impl FnOnce(),
) -> Loaded {
    let (to_load, config) = rules_config(path, root);
    let loader = Confined(read);
    let loaded = safegrade::load_with(&to_load, &loader, &config);
    let outside = |l: &Loaded| l.diagnostics.iter().any(|d| d.code == Code::OutsideRoot);
    if !outside(&loaded) || Path::new(&to_load).is_absolute() {
        return loaded;
    }
    before_retry();
    let config = LoadConfig { root: config.root.as_deref().map(absolute) };
    let again = safegrade::load_with(&absolute(&to_load), &loader, &config);
    // Outside either way: the diagnostics name the paths as they were written.
    if outside(&again) {
        loaded
    } else {
        again
    }
}

/// The path to load and the configuration for the rules root `root`. When
/// one of the two is absolute, both are made so.
fn rules_config(path: &str, root: Option<&str>) -> (String, LoadConfig) {
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
