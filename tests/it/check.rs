//! The checker against rule files with known problems: `ok/` files have no
//! errors, `err/` files have at least one, and every file's rendered
//! diagnostics match its `.expected` file. The workspace is their rules
//! root, so a case may chain the shipped rule sets.

use crate::support::{expect_file, files, load_in_workspace};

fn rendered(rel: &str) -> (String, usize) {
    let loaded = load_in_workspace(rel);
    let n_errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let text: String = loaded.diagnostics.iter().map(|d| loaded.sources.render(d) + "\n").collect();
    (text, n_errors)
}

#[test]
fn ok_files_have_no_errors() {
    let cases = files("tests/data/check/ok", "toml");
    assert!(cases.len() >= 2);
    for rel in cases {
        let (text, n_errors) = rendered(&rel);
        assert_eq!(n_errors, 0, "{rel}:\n{text}");
        expect_file(&rel.replace(".toml", ".expected"), &text);
    }
}

#[test]
fn err_files_report_every_problem() {
    let cases = files("tests/data/check/err", "toml");
    assert!(cases.len() >= 8);
    for rel in cases {
        let (text, n_errors) = rendered(&rel);
        assert!(n_errors > 0, "{rel} checked clean");
        expect_file(&rel.replace(".toml", ".expected"), &text);
    }
}

#[test]
fn diagnostics_as_json_name_file_line_and_column() {
    let loaded = load_in_workspace("tests/data/check/err/names_and_types.toml");
    let first = loaded.sources.to_json(&loaded.diagnostics[0]);
    assert_eq!(first["file"], "tests/data/check/err/names_and_types.toml");
    assert_eq!(first["code"], "R0103");
    assert!(first["line"].as_u64().is_some_and(|l| l > 1));
    assert!(first["column"].as_u64().is_some_and(|c| c > 1));
    assert!(first["help"].as_str().is_some_and(|h| h.contains("deaths")));
}
