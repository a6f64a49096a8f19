//! `Rules.datafusion_udf(…)`: the DataFusion function `safegrade_score`
//! (crate `safegrade-datafusion`) for Python's DataFusion (the package
//! `datafusion`, version 55), handed over through DataFusion's
//! foreign-function interface as a `datafusion_scalar_udf` capsule.
//! `datafusion.udf(rules.datafusion_udf(as_of=…))` gives a function to
//! register on a `SessionContext`; it runs the crate's code, not Python.

use std::sync::Arc;

use datafusion_expr::ScalarUDF;
use datafusion_ffi::udf::FFI_ScalarUDF;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};

/// The function `safegrade_score` of one rule set or scheme and one as-of
/// date, for Python's DataFusion: pass it to `datafusion.udf`.
#[pyclass(frozen, module = "safegrade")]
pub(crate) struct DataFusionFunction {
    pub(crate) udf: Arc<ScalarUDF>,
}

#[pymethods]
impl DataFusionFunction {
    /// The function's name in SQL.
    #[getter]
    fn name(&self) -> &str {
        self.udf.name()
    }

    /// The function as DataFusion's foreign scalar function, in a capsule
    /// named `datafusion_scalar_udf` (what `datafusion.udf` asks for; any
    /// arguments it passes are not needed).
    #[pyo3(signature = (*_args))]
    fn __datafusion_scalar_udf__<'py>(
        &self,
        py: Python<'py>,
        _args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        PyCapsule::new_with_value(py, FFI_ScalarUDF::from(self.udf.clone()), c"datafusion_scalar_udf")
    }

    fn __repr__(&self) -> String {
        format!("<safegrade.DataFusionFunction {}>", self.udf.name())
    }
}
