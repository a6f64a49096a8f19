//! `safegrade.Rules`: a checked rule set or scheme, immutable and shared
//! between threads. It answers its metadata, the warnings it checked with,
//! its questionnaire, one firm's result (the same JSON as `safegrade eval
//! --format json`) and, through `score.rs`, a whole table's; both with the
//! GIL released.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use safegrade::AssessError;
use serde_json::{json, Value};

use crate::answers::{answers_json, read_as_of};
use crate::errors::{eval_error, input_error};
use crate::json::{loads, to_python};
use crate::score::{Scored, Settings};

/// A checked rule set or scheme, ready to evaluate firms.
///
/// Made by `safegrade.load` (a file on disk) or `safegrade.loads` (rule
/// text). Immutable; one `Rules` may be used from many threads.
#[pyclass(frozen, module = "safegrade")]
pub(crate) struct Rules {
    pub(crate) rules: safegrade::Rules,
    /// The warnings the file checked with, as dicts.
    pub(crate) report: Vec<Value>,
    /// The path or name it was loaded from.
    pub(crate) name: String,
}

impl Rules {
    /// The id, version and hash of the rule set or scheme.
    fn meta(&self) -> (&str, &str, &str) {
        match &self.rules {
            safegrade::Rules::Set(r) => (&r.meta().id, &r.meta().version, &r.meta().hash),
            safegrade::Rules::Scheme(s) => (&s.meta().id, &s.meta().version, &s.meta().hash),
        }
    }
}

#[pymethods]
impl Rules {
    /// The rule set's or scheme's id.
    #[getter]
    fn id(&self) -> &str {
        self.meta().0
    }

    /// Its version, as the rule file gives it.
    #[getter]
    fn version(&self) -> &str {
        self.meta().1
    }

    /// The sha256 (hex) every result carries: of the rule file's text with
    /// its includes, or for a scheme of its text and its steps' hashes.
    #[getter]
    fn hash(&self) -> &str {
        self.meta().2
    }

    /// `"ruleset"` or `"scheme"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match &self.rules {
            safegrade::Rules::Set(_) => "ruleset",
            safegrade::Rules::Scheme(_) => "scheme",
        }
    }

    /// The warnings the file checked with, each a dict `{code, severity,
    /// file, line, column, message, help}`; empty when there were none.
    fn check_report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &Value::from(self.report.clone()))
    }

    /// The questionnaire: `{"kind": "ruleset", "schema": {…}}`, or for a
    /// scheme `{"kind": "scheme", "steps": [{"alias": …, "schema": {…}}]}`;
    /// the JSON the JavaScript `schema` and the service's
    /// `/v1/rulesets/{id}/schema` answer.
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let schema = match &self.rules {
            safegrade::Rules::Set(r) => json!({ "kind": "ruleset", "schema": r.schema() }),
            safegrade::Rules::Scheme(s) => {
                let steps: Vec<Value> =
                    s.steps().map(|(alias, r)| json!({ "alias": alias, "schema": r.schema() })).collect();
                json!({ "kind": "scheme", "steps": steps })
            }
        };
        to_python(py, &schema)
    }

    /// Evaluates one firm as of a date: the result of `safegrade eval
    /// --format json` as a dict.
    ///
    /// `answers` is a dict of int, str, bool, None, decimal.Decimal,
    /// datetime.date, and for list inputs lists of dicts; a float raises
    /// TypeError (floats are not exact). `as_of` is a datetime.date or a
    /// str YYYY-MM-DD. Raises InputError when the answers do not fit the
    /// inputs, EvalError when the evaluation stops.
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        answers: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let text = answers_json(answers)?;
        let as_of = read_as_of(as_of)?;
        let rules = &self.rules;
        let result = py.detach(|| {
            // The command line's path: the JSON text read, then the rules' own reader.
            let json = safegrade::parse_firm_json(&text).map_err(|e| e.to_string())?;
            Ok::<_, String>(rules.assess_json(&json, as_of).map(|v| v.to_string()))
        });
        match result {
            Err(e) => Err(pyo3::exceptions::PyValueError::new_err(format!("the answers are not JSON: {e}"))),
            Ok(Ok(text)) => loads(py, &text),
            Ok(Err(AssessError::Input { errors })) => Err(input_error(py, &errors)?),
            Ok(Err(AssessError::Eval { error })) => Err(eval_error(py, &error)?),
        }
    }

    fn __repr__(&self) -> String {
        format!("<safegrade.Rules {} {} version {} from {:?}>", self.kind(), self.id(), self.version(), self.name)
    }

    /// Scores every firm of a table (Arrow batch scoring, as `safegrade
    /// score` does for CSV): a `Scored` with `.results` and `.rejects`
    /// (pyarrow Tables) and `.summary` (a dict).
    ///
    /// `firms` is any object with `__arrow_c_stream__` (a pyarrow Table,
    /// a Polars DataFrame, a DuckDB result) or a pandas DataFrame. `lists`
    /// maps each list name to its table of records joined by `key`; leave
    /// it out when the firm table holds each list as a list-of-struct
    /// column named as the list. `explain` adds the items fired and the
    /// overrides applied; `carry` names firm columns passed through;
    /// `strict` refuses columns the rules do not read; `sorted` joins
    /// tables already in key order as they stream; `floats` reads float
    /// columns by their shortest text (refused otherwise); `threads`
    /// bounds the workers (default: one per core); `by` names carried
    /// columns to count grades by in the summary. The GIL is released
    /// while scoring. Raises ScoreError when the run cannot go on.
    #[pyo3(signature = (
        firms, lists = None, *, as_of, key = "uscc", explain = false, carry = None,
        strict = false, sorted = false, floats = false, threads = None, by = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn score(
        &self,
        py: Python<'_>,
        firms: &Bound<'_, PyAny>,
        lists: Option<&Bound<'_, PyDict>>,
        as_of: &Bound<'_, PyAny>,
        key: &str,
        explain: bool,
        carry: Option<Vec<String>>,
        strict: bool,
        sorted: bool,
        floats: bool,
        threads: Option<usize>,
        by: Option<Vec<String>>,
    ) -> PyResult<Scored> {
        let settings = Settings {
            as_of: read_as_of(as_of)?,
            key: key.to_string(),
            explain,
            carry: carry.unwrap_or_default(),
            strict,
            sorted,
            floats,
            threads,
            by: by.unwrap_or_default(),
        };
        crate::score::score(py, &self.rules, firms, lists, settings)
    }

    /// The DataFusion function `name` (default `safegrade_score`) scoring
    /// one firm per row through these rules as of `as_of`: its argument a
    /// struct of the firm's columns, each list a list of structs named as
    /// the list; its value a struct of the results' columns as text, then
    /// `reject_reason` and `reject_message` (null for a scored firm).
    /// Register it on a `datafusion.SessionContext` with
    /// `ctx.register_udf(datafusion.udf(rules.datafusion_udf(as_of=…)))`.
    #[pyo3(signature = (*, as_of, key = "uscc", explain = false, floats = false, name = "safegrade_score"))]
    fn datafusion_udf(
        &self,
        as_of: &Bound<'_, PyAny>,
        key: &str,
        explain: bool,
        floats: bool,
        name: &str,
    ) -> PyResult<crate::udf::DataFusionFunction> {
        let mut opts = safegrade_arrow::Options::new(read_as_of(as_of)?);
        opts.floats = floats;
        opts.batch.key = key.to_string();
        opts.batch.explain = explain;
        let function = safegrade_datafusion::ScoreFunction::new(self.rules.clone(), opts).named(name);
        Ok(crate::udf::DataFusionFunction { udf: std::sync::Arc::new(function.into_udf()) })
    }
}
