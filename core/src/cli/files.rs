//! File access for the command line: the rule loader and path expansion.

use std::path::Path;

use anyhow::{Context, Result};

/// Reads rule files from disk for the library's loader.
pub(crate) fn read_rule_file(path: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        format!("not UTF-8 (line {line}); save the file as UTF-8")
    })
}

/// Expands directories into the `*.toml` files under them, sorted.
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
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

/// Reads a whole input file, or stdin for `-`.
pub(crate) fn read_input(path: &str) -> Result<String> {
    let bytes = if path == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).context("cannot read stdin")?;
        buf
    } else {
        std::fs::read(path).with_context(|| format!("cannot read `{path}`"))?
    };
    String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        anyhow::anyhow!("`{path}` is not UTF-8 (line {line}); save it as UTF-8")
    })
}
