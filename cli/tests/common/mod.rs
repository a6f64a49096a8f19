//! Helpers shared by the tests that drive the `safegrade` binary: the
//! workspace root, fresh scratch folders under `target/`, running the
//! binary, and reading files back. Each test binary uses only some of them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("a parent").to_path_buf()
}

/// A fresh, empty folder `target/GROUP/NAME` for one test.
pub(crate) fn fresh_dir(group: &str, name: &str) -> PathBuf {
    let dir = root().join("target").join(group).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a work directory");
    dir
}

/// A fresh folder holding a copy of the golden sample's input files.
pub(crate) fn golden_dir(group: &str, name: &str) -> PathBuf {
    let dir = fresh_dir(group, name);
    for f in ["firms.csv", "accidents.csv", "penalties.csv", "hidden_dangers.csv"] {
        std::fs::copy(root().join("tests/data/batch/golden").join(f), dir.join(f)).expect("copied");
    }
    dir
}

/// Runs the binary in `dir`: (exit code, stdout, stderr).
pub(crate) fn safegrade<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_safegrade")).args(args).current_dir(dir).output().expect("runs");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

/// The arguments of a `score` run of the golden sample in its work directory.
pub(crate) fn score_args(firms: &str, extra: &[&str]) -> Vec<String> {
    let rules = root().join("rules/schemes/hazchem.toml");
    let mut args: Vec<String> = [
        "score",
        "--rules",
        rules.to_str().expect("a UTF-8 path"),
        "--firms",
        firms,
        "--list",
        "accidents=accidents.csv",
        "--list",
        "penalties=penalties.csv",
        "--list",
        "hidden_dangers=hidden_dangers.csv",
        "--as-of",
        "2026-06-30",
        "--carry",
        "name,sector,region",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

pub(crate) fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
