//! The exceptions of the package, each a `ValueError`, and how the
//! library's failures become them: `RulesError` (a rule file that does not
//! check; `.diagnostics`), `InputError` (a firm's answers that do not fit
//! the declared inputs; `.problems`) and `EvalError` (an evaluation that
//! stopped; `.error`). Their attributes are plain lists and dicts, read
//! from the same JSON the command line and the service give.

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use safegrade::Loaded;
use serde_json::{json, Value};

use crate::json::to_python;

create_exception!(
    safegrade,
    RulesError,
    PyValueError,
    "A rule file that does not check. `.diagnostics` lists every diagnostic as a dict \
     `{code, severity, file, line, column, message, help}`; str() renders them as `safegrade check` does."
);
create_exception!(
    safegrade,
    InputError,
    PyValueError,
    "A firm's answers that do not fit the declared inputs. `.problems` lists each as a dict \
     `{code, path, message, message_zh, kind}`; str() is one `path: message` a line, as `safegrade eval` prints."
);
create_exception!(
    safegrade,
    EvalError,
    PyValueError,
    "An evaluation that stopped: overflow, division by zero, an unknown table key, `error(…)`. \
     `.error` is a dict `{context, message, context_zh, message_zh, kind}`."
);

/// Every diagnostic of `loaded` as a dict-ready JSON value.
pub(crate) fn diagnostics(loaded: &Loaded) -> Vec<Value> {
    loaded.diagnostics.iter().map(|d| loaded.sources.to_json(d)).collect()
}

/// `RulesError` for a rule file that does not check.
pub(crate) fn rules_error(py: Python<'_>, path: &str, loaded: &Loaded) -> PyResult<PyErr> {
    let rendered: String = loaded.diagnostics.iter().map(|d| loaded.sources.render(d)).collect();
    let err = RulesError::new_err(format!("`{path}` does not check:\n{}", rendered.trim_end()));
    err.value(py).setattr("diagnostics", to_python(py, &Value::from(diagnostics(loaded)))?)?;
    Ok(err)
}

/// `InputError` for the problems of a firm's answers.
pub(crate) fn input_error(py: Python<'_>, errors: &[safegrade::InputError]) -> PyResult<PyErr> {
    let problems: Vec<Value> = errors
        .iter()
        .map(|e| {
            let kind = serde_json::to_value(e.kind()).unwrap_or(Value::Null);
            let code = kind.get("type").cloned().unwrap_or(Value::Null);
            json!({ "code": code, "path": e.path, "message": e.message, "message_zh": e.message_zh, "kind": kind })
        })
        .collect();
    let text = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    let err = InputError::new_err(text);
    err.value(py).setattr("problems", to_python(py, &Value::from(problems))?)?;
    Ok(err)
}

/// `EvalError` for an evaluation that stopped.
pub(crate) fn eval_error(py: Python<'_>, error: &safegrade::EvalError) -> PyResult<PyErr> {
    let err = EvalError::new_err(format!("evaluation failed: {error}"));
    let detail = serde_json::to_value(error).unwrap_or(Value::Null);
    err.value(py).setattr("error", to_python(py, &detail)?)?;
    Ok(err)
}
