//! Shared test helpers: where the data lives, loading rule files from disk,
//! expectation files refreshed with `UPDATE_EXPECT=1`, and in-memory batch runs.

use safegrade::batch::{self, BatchConfig, BatchError, ListSource, Source, Summary};
use std::path::{Path, PathBuf};

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// `tests/data/…`
pub(crate) fn data(rel: &str) -> PathBuf {
    root().join("tests/data").join(rel)
}

/// Loads a rule file by a path relative to the workspace root, so
/// diagnostics name it the way a user in the root would see it.
pub(crate) fn load(rel: &str) -> safegrade::Loaded {
    load_with(rel, &safegrade::LoadConfig::default())
}

/// [`load`] with the whole workspace as the rules root, so a test case may
/// include or chain the shipped rule sets.
pub(crate) fn load_in_workspace(rel: &str) -> safegrade::Loaded {
    load_with(rel, &safegrade::LoadConfig { root: Some(".".into()) })
}

fn load_with(rel: &str, config: &safegrade::LoadConfig) -> safegrade::Loaded {
    let base = root();
    let reader = move |p: &str| std::fs::read_to_string(base.join(p)).map_err(|e| e.to_string());
    safegrade::load_with(rel, &reader, config)
}

/// Files under `dir` (relative to the root) with extension `ext`, sorted.
pub(crate) fn files(dir: &str, ext: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("cannot list {dir}: {e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| format!("{dir}/{}", p.file_name().expect("a file").to_string_lossy()))
        .collect();
    out.sort();
    out
}

/// Compares `actual` with the file at `path` (relative to the root); with
/// `UPDATE_EXPECT=1` writes it instead.
#[track_caller]
pub(crate) fn expect_file(path: &str, actual: &str) {
    let full = root().join(path);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&full, actual).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        return;
    }
    let expected = std::fs::read_to_string(&full).unwrap_or_default();
    if expected != actual {
        panic!(
            "\n{path} differs (run with UPDATE_EXPECT=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}\n"
        );
    }
}

/// A batch run's outputs, in memory.
pub(crate) struct BatchRun {
    pub(crate) out: String,
    pub(crate) rejects: String,
    pub(crate) summary: Summary,
}

/// Scores in memory and checks that the accounting balances.
pub(crate) fn score_sources(
    rules: &safegrade::Rules,
    cfg: &BatchConfig,
    firms: Source,
    lists: Vec<ListSource>,
) -> Result<BatchRun, BatchError> {
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let summary = batch::score(rules, cfg, firms, lists, &mut out, &mut rejects, &mut |_| {})?;
    assert!(summary.balanced(), "the accounting does not balance: {summary:#?}");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("output is UTF-8");
    Ok(BatchRun { out: text(out), rejects: text(rejects), summary })
}
