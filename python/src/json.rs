//! JSON values into Python objects, through `json.loads` of their text so
//! a result is the dict a Python user gets from `safegrade eval --format
//! json` output; numbers with a fraction become `decimal.Decimal`, never
//! `float`, so nothing the library computed exactly is rounded.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

/// `json.loads(text, parse_float=decimal.Decimal)`.
pub(crate) fn loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("parse_float", py.import("decimal")?.getattr("Decimal")?)?;
    py.import("json")?.getattr("loads")?.call((text,), Some(&kwargs))
}

/// The JSON value `v` as a Python object.
pub(crate) fn to_python<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    loads(py, &v.to_string())
}
