//! Reading rule files from disk for `safegrade.load`, as the command line
//! reads them: each file within `MAX_RULE_FILE_BYTES` (at most the limit and
//! one byte are read, whatever the file is), UTF-8 or refused with its line,
//! and includes and scheme steps only inside the rules root, links
//! resolved. The library compares paths as written, so a relative load
//! refused for its rules root (R0008) is tried once more with absolute
//! paths, as `safegrade eval` does.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use safegrade::{Code, LoadConfig, Loaded, SourceLoader, MAX_RULE_FILE_BYTES};

/// Reads the rule file at `path` within the rule-file limit.
fn read_rule_file(path: &str) -> Result<String, String> {
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

/// Reads rule files from disk; an include or a scheme step only when its
/// real path lies inside the real rules root.
struct Disk;

impl SourceLoader for Disk {
    fn load(&self, path: &str) -> Result<String, String> {
        read_rule_file(path)
    }

    fn load_within(&self, path: &str, root: &str) -> Result<String, String> {
        let real_root =
            std::fs::canonicalize(root).map_err(|e| format!("the rules root `{root}` cannot be found: {e}"))?;
        let real = std::fs::canonicalize(path).map_err(|e| e.to_string())?;
        if !real.starts_with(&real_root) {
            return Err(format!("a link leads it outside the rules root `{root}`"));
        }
        read_rule_file(path)
    }
}

/// `path` made absolute, as text (unchanged when that fails).
fn absolute(path: &str) -> String {
    std::path::absolute(path).map_or_else(|_| path.to_string(), |a| a.to_string_lossy().into_owned())
}

/// Loads the rule file at `path` from disk within the rules root `root`
/// (by default the file's folder, or for a scheme the folder above it).
pub(crate) fn load_file(path: &str, root: Option<&str>) -> Loaded {
    let (to_load, config) = match root {
        None => (path.to_string(), LoadConfig::default()),
        Some(root) if Path::new(path).is_absolute() == Path::new(root).is_absolute() => {
            (path.to_string(), LoadConfig { root: Some(root.to_string()) })
        }
        Some(root) => (absolute(path), LoadConfig { root: Some(absolute(root)) }),
    };
    let loaded = safegrade::load_with(&to_load, &Disk, &config);
    let outside = |l: &Loaded| l.diagnostics.iter().any(|d| d.code == Code::OutsideRoot);
    if !outside(&loaded) || Path::new(&to_load).is_absolute() {
        return loaded;
    }
    let config = LoadConfig { root: config.root.as_deref().map(absolute) };
    let again = safegrade::load_with(&absolute(&to_load), &Disk, &config);
    // Outside either way: the diagnostics name the paths as they were written.
    if outside(&again) {
        loaded
    } else {
        again
    }
}
