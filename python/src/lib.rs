//! The Python package `safegrade`, built by maturin into one abi3 wheel for
//! CPython 3.10 and later (`python/pyproject.toml`, `scripts/python.sh`).
//!
//! This crate is the native module `safegrade._native`; the package
//! `python/safegrade/` re-exports it and holds the type stubs. It adds no
//! scoring of its own: every answer comes from the library, by the paths
//! the command line takes.
//!
//! - `load(path, rules_root=None)` and `loads(text, name)` give a
//!   [`rules::Rules`] or raise `RulesError` (`errors.rs`); files are read as
//!   the command line reads them (`safegrade-rulefiles`).
//! - `Rules.evaluate(answers, as_of)` turns the answers into JSON
//!   (`answers.rs`) and answers the result of `safegrade eval --format
//!   json` as a dict (`json.rs`).
//! - `Rules.score(firms, lists, as_of=…)` scores a whole table (pyarrow,
//!   Polars, DuckDB, pandas) through the crate `safegrade-arrow` and
//!   pyo3-arrow into a `Scored` of pyarrow Tables (`score.rs`).
//! - `Rules.datafusion_udf(as_of=…)` gives the DataFusion function
//!   `safegrade_score` (crate `safegrade-datafusion`) for Python's
//!   DataFusion, through its foreign-function capsule (`udf.rs`).
//!
//! The workspace forbids `unsafe_code`; the code PyO3's macros generate is
//! not linted as this crate's, so no override is needed.

use std::path::PathBuf;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use safegrade::MAX_RULE_FILE_BYTES;

mod answers;
mod errors;
mod json;
mod rules;
mod score;
mod udf;

use rules::Rules;

/// Reads a rule file or scheme from disk, with its includes or steps.
///
/// Includes and scheme steps are read only inside `rules_root`: by default
/// the file's folder, or for a scheme the folder above it (as `safegrade
/// eval --rules-root`). Raises RulesError when the file does not check,
/// its `.diagnostics` a list of dicts.
#[pyfunction]
#[pyo3(signature = (path, rules_root = None))]
fn load(py: Python<'_>, path: PathBuf, rules_root: Option<PathBuf>) -> PyResult<Rules> {
    let path = utf8(path, "path")?;
    let root = rules_root.map(|r| utf8(r, "rules_root")).transpose()?;
    let loaded = py.detach(|| safegrade_rulefiles::load(&path, root.as_deref()));
    finish(py, &path, loaded)
}

/// Checks rule text that includes no other file (for includes and
/// schemes, write the files and use `load`). `name` is the file name the
/// diagnostics give. Raises RulesError when the text does not check.
#[pyfunction]
#[pyo3(signature = (text, name = "rules.toml"))]
fn loads(py: Python<'_>, text: &str, name: &str) -> PyResult<Rules> {
    if text.len() > MAX_RULE_FILE_BYTES {
        return Err(PyValueError::new_err(format!(
            "the rule text is {} bytes; rule files are limited to {MAX_RULE_FILE_BYTES}",
            text.len()
        )));
    }
    let no_files = |p: &str| Err(format!("`{p}` is not read by loads(); write the files and use load(path)"));
    let loaded = py.detach(|| safegrade::load_str(name, text, &no_files));
    finish(py, name, loaded)
}

/// A path as text: the library names files by UTF-8 paths.
fn utf8(path: PathBuf, what: &str) -> PyResult<String> {
    path.into_os_string().into_string().map_err(|p| PyTypeError::new_err(format!("{what} {p:?} is not UTF-8")))
}

/// The rules of `loaded`, or the RulesError of its diagnostics.
fn finish(py: Python<'_>, name: &str, loaded: safegrade::Loaded) -> PyResult<Rules> {
    let report = errors::diagnostics(&loaded);
    match loaded.rules {
        Some(rules) => Ok(Rules { rules, report, name: name.to_string() }),
        None => Err(errors::rules_error(py, name, &loaded)?),
    }
}

/// The native module; `safegrade/__init__.py` re-exports it.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(loads, m)?)?;
    m.add_class::<Rules>()?;
    m.add("RulesError", py.get_type::<errors::RulesError>())?;
    m.add("InputError", py.get_type::<errors::InputError>())?;
    m.add("EvalError", py.get_type::<errors::EvalError>())?;
    m.add_class::<score::Scored>()?;
    m.add_class::<udf::DataFusionFunction>()?;
    m.add("ScoreError", py.get_type::<score::ScoreError>())?;
    m.add("MAX_RULE_FILE_BYTES", MAX_RULE_FILE_BYTES)?;
    Ok(())
}
