//! House rules checked as tests: every Rust source file opens with a `//!`
//! paragraph saying what it owns, and no file leaves `dbg!` or `todo!` behind.

use crate::support::root;

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | "pkg" | "dist" | "corpus" | "artifacts")
                && !name.starts_with('.')
            {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let mut files = Vec::new();
    for dir in ["core", "wasm", "web", "tests", "fuzz"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 40, "found only {} files", files.len());
    let mut missing = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable");
        let first = text.lines().find(|l| !l.trim().is_empty() && !l.starts_with("#![")).unwrap_or("");
        if !first.starts_with("//!") {
            missing.push(f.strip_prefix(root()).expect("under the root").display().to_string());
        }
        // Spelled in pieces so this file does not match itself.
        for banned in [concat!("dbg", "!("), concat!("todo", "!("), concat!("unimplemented", "!(")] {
            assert!(!text.contains(banned), "{} contains {banned}", f.display());
        }
    }
    assert!(missing.is_empty(), "files without a //! doc paragraph: {missing:#?}");
}
