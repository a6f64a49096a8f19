//! `Rules.score`: every firm of a table scored through the crate
//! `safegrade-arrow`, with the GIL released, and `safegrade.Scored`, its
//! results and rejects as `pyarrow.Table`s and its accounting as a dict.
//!
//! A table is any object with `__arrow_c_stream__` (a pyarrow Table or
//! RecordBatchReader, a Polars DataFrame, a DuckDB result), read through
//! pyo3-arrow's Arrow C stream, or a pandas DataFrame, which pyarrow turns
//! into a table first (its index left out). A run that cannot go on raises
//! `safegrade.ScoreError`; a row that cannot be scored is a reject, as in
//! `safegrade score`.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::{PyRecordBatchReader, PyTable};
use safegrade::batch::{BatchError, BatchErrorKind};
use safegrade_arrow::{Batches, Options};

use crate::json::to_python;

pyo3::create_exception!(
    safegrade,
    ScoreError,
    PyValueError,
    "A scoring run that cannot go on: a table without the key column, a column the rules cannot read, \
     a likely typo in a column's name, tables not sorted when told they are. `.code` names the kind \
     (`other`, `unknown_column`, `likely_typo`, `no_key_column`, `not_sorted`, `unknown_list`, \
     `breakdown_not_carried`); `.file` and `.line` say where (`line` None when on no line)."
);

/// What `Rules.score` gives: the results and rejects as pyarrow Tables,
/// and the accounting of the run.
#[pyclass(frozen, module = "safegrade")]
pub(crate) struct Scored {
    /// One row per scored firm, in input order: the columns of `safegrade
    /// score`'s results, as text (scores as exact decimal text).
    #[pyo3(get)]
    results: Py<PyAny>,
    /// One row per rejected row, firm or list record: `file`, `line`,
    /// `column`, `key`, `reason`, `reason_code`.
    #[pyo3(get)]
    rejects: Py<PyAny>,
    /// The accounting, as `safegrade score` writes it: rows read, scored
    /// and rejected per table, grades counted.
    #[pyo3(get)]
    summary: Py<PyAny>,
}

#[pymethods]
impl Scored {
    fn __repr__(&self, py: Python<'_>) -> String {
        let rows = |t: &Py<PyAny>| t.bind(py).getattr("num_rows").map_or_else(|_| "?".to_string(), |n| n.to_string());
        format!("<safegrade.Scored {} results, {} rejects>", rows(&self.results), rows(&self.rejects))
    }
}

/// The run's settings, as `Rules.score` takes them.
pub(crate) struct Settings {
    pub(crate) as_of: chrono::NaiveDate,
    pub(crate) key: String,
    pub(crate) explain: bool,
    pub(crate) carry: Vec<String>,
    pub(crate) strict: bool,
    pub(crate) sorted: bool,
    pub(crate) floats: bool,
    pub(crate) threads: Option<usize>,
    pub(crate) by: Vec<String>,
}

/// The table `obj`, as record batches: pandas through pyarrow, anything
/// else through its Arrow C stream.
fn table(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Batches> {
    let py = obj.py();
    let sys_modules = py.import("sys")?.getattr("modules")?;
    let pandas = sys_modules.call_method1("get", ("pandas",))?;
    let owned;
    let obj = if !pandas.is_none() && obj.is_instance(&pandas.getattr("DataFrame")?)? {
        let kwargs = PyDict::new(py);
        kwargs.set_item("preserve_index", false)?;
        owned = py.import("pyarrow")?.getattr("Table")?.call_method("from_pandas", (obj,), Some(&kwargs))?;
        &owned
    } else {
        obj
    };
    if !obj.hasattr("__arrow_c_stream__")? {
        let kind = obj.get_type().name()?;
        return Err(PyTypeError::new_err(format!(
            "{what} must be a table: an object with __arrow_c_stream__ (pyarrow, Polars, DuckDB) \
             or a pandas DataFrame, not {kind}"
        )));
    }
    obj.extract::<PyRecordBatchReader>()?.into_reader()
}

/// The kind of a batch error, as `ScoreError.code` names it.
fn code(kind: &BatchErrorKind) -> &'static str {
    match kind {
        BatchErrorKind::UnknownColumn { .. } => "unknown_column",
        BatchErrorKind::LikelyTypo { .. } => "likely_typo",
        BatchErrorKind::NoKeyColumn => "no_key_column",
        BatchErrorKind::NotSorted => "not_sorted",
        BatchErrorKind::UnknownList { .. } => "unknown_list",
        BatchErrorKind::BreakdownNotCarried { .. } => "breakdown_not_carried",
        _ => "other",
    }
}

fn score_error(py: Python<'_>, e: &BatchError) -> PyResult<PyErr> {
    let err = ScoreError::new_err(e.to_string());
    let value = err.value(py);
    value.setattr("code", code(e.kind()))?;
    value.setattr("file", e.file())?;
    value.setattr("line", e.line())?;
    Ok(err)
}

/// Scores the firm table and the list tables (list name → table).
pub(crate) fn score(
    py: Python<'_>,
    rules: &safegrade::Rules,
    firms: &Bound<'_, PyAny>,
    lists: Option<&Bound<'_, PyDict>>,
    settings: Settings,
) -> PyResult<Scored> {
    let firms = table(firms, "firms")?;
    let mut list_tables = Vec::new();
    for (name, t) in lists.map(|l| l.iter().collect::<Vec<_>>()).unwrap_or_default() {
        let name: String = name.extract().map_err(|_| PyTypeError::new_err("lists maps list names (str) to tables"))?;
        let batches = table(&t, &format!("lists[{name:?}]"))?;
        list_tables.push((name, batches));
    }
    let mut opts = Options::new(settings.as_of);
    opts.floats = settings.floats;
    let cfg = &mut opts.batch;
    cfg.key = settings.key;
    cfg.explain = settings.explain;
    cfg.carry = settings.carry;
    cfg.strict = settings.strict;
    cfg.sorted = settings.sorted;
    cfg.threads = settings.threads.unwrap_or(0);
    cfg.breakdown = settings.by;
    let scored = py.detach(|| safegrade_arrow::score(rules, &opts, firms, list_tables));
    let scored = scored.map_err(|e| score_error(py, &e).unwrap_or_else(|err| err))?;
    let summary = serde_json::to_value(&scored.summary).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let results = PyTable::try_new(scored.results, scored.results_schema)?.into_pyarrow(py)?;
    let rejects = PyTable::try_new(scored.rejects, scored.rejects_schema)?.into_pyarrow(py)?;
    Ok(Scored { results: results.unbind(), rejects: rejects.unbind(), summary: to_python(py, &summary)?.unbind() })
}
