//! Python values into the JSON the library reads, and the as-of date.
//!
//! A firm's answers are a dict of `int` (or any integer with `__index__`,
//! such as numpy's), `str`, `bool`, `None`,
//! `decimal.Decimal` (its exact digits), `datetime.date` (as `YYYY-MM-DD`),
//! lists and dicts, written here as JSON text, which then takes the command
//! line's path (`parse_firm_json`). A `float` is refused: it holds a binary
//! fraction, not the number written, and the library reads numbers exactly
//! or not at all. Anything else (a set, an object, bytes, a `datetime`) is
//! a `TypeError` naming where it lies, such as `answers['accidents'][0]['x']`.

use chrono::NaiveDate;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// How deep answers may nest: serde_json's own bound on JSON text, so a
/// value nested this deep also reads back, and a dict holding itself stops.
const MAX_DEPTH: usize = 128;

/// The Python types answers are told apart by, imported once a call.
struct Types<'py> {
    decimal: Bound<'py, PyAny>,
    date: Bound<'py, PyAny>,
    datetime: Bound<'py, PyAny>,
}

/// The answers `obj` (a dict) as JSON text.
pub(crate) fn answers_json(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = obj.py();
    if !obj.is_instance_of::<PyDict>() {
        let kind = type_name(obj);
        return Err(PyTypeError::new_err(format!("answers must be a dict of the firm's answers, not {kind}")));
    }
    let dt = py.import("datetime")?;
    let types = Types {
        decimal: py.import("decimal")?.getattr("Decimal")?,
        date: dt.getattr("date")?,
        datetime: dt.getattr("datetime")?,
    };
    let mut path = String::from("answers");
    let value = to_json(obj, &types, &mut path, 0)?;
    Ok(value.to_string())
}

/// `obj`'s type name, for messages: `float`, `set`, `MyClass`.
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map_or_else(|_| "an object".to_string(), |n| n.to_string())
}

/// A JSON number from its exact decimal text.
fn number(text: &str, path: &str) -> PyResult<Value> {
    text.parse::<Number>()
        .map(Value::Number)
        .map_err(|_| PyValueError::new_err(format!("{path}: `{text}` is not a number JSON can hold")))
}

fn to_json(obj: &Bound<'_, PyAny>, types: &Types<'_>, path: &mut String, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!("{path}: the answers nest more than {MAX_DEPTH} deep")));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() || (!obj.is_instance_of::<PyFloat>() && obj.hasattr("__index__")?) {
        // An integer (numpy's too, through `__index__`), written by the
        // digits of the plain int: an IntEnum's `str` is its name.
        let exact = obj.call_method0("__index__")?;
        return number(&exact.str()?.to_cow()?, path);
    }
    if obj.is_instance_of::<PyFloat>() {
        return Err(PyTypeError::new_err(format!(
            "{path} is the float {}: floats are not exact; pass a str or decimal.Decimal",
            obj.repr()?
        )));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if obj.is_instance(&types.decimal)? {
        if !obj.call_method0("is_finite")?.is_truthy()? {
            return Err(PyValueError::new_err(format!("{path} is {}, not a finite number", obj.repr()?)));
        }
        // Fixed-point digits: `Decimal("1E+2")` is written `100`, exactly.
        let text = obj.call_method1("__format__", ("f",))?;
        return number(&text.cast::<PyString>()?.to_cow()?, path);
    }
    if obj.is_instance(&types.datetime)? {
        return Err(PyTypeError::new_err(format!("{path} is a datetime; pass a datetime.date or a str YYYY-MM-DD")));
    }
    if obj.is_instance(&types.date)? {
        let text = obj.call_method0("isoformat")?;
        return Ok(Value::String(text.cast::<PyString>()?.to_cow()?.into_owned()));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, value) in dict.iter() {
            let Ok(key) = key.cast::<PyString>() else {
                let kind = type_name(&key);
                return Err(PyTypeError::new_err(format!("{path} has a key {} ({kind}); keys are str", key.repr()?)));
            };
            let key = key.to_cow()?.into_owned();
            let len = path.len();
            path.push_str(&format!("[{key:?}]"));
            let v = to_json(&value, types, path, depth + 1)?;
            path.truncate(len);
            map.insert(key, v);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            items.push(to_json(&item?, types, path, depth + 1)?);
            path.truncate(len);
        }
        return Ok(Value::Array(items));
    }
    Err(PyTypeError::new_err(format!(
        "{path} is of type {}; answers hold int, str, bool, None, decimal.Decimal, datetime.date, lists and dicts",
        type_name(obj)
    )))
}

/// Reads the as-of date: a `datetime.date` (not a `datetime`) or a str
/// exactly `YYYY-MM-DD` naming a real day, as `safegrade eval --as-of`.
pub(crate) fn read_as_of(obj: &Bound<'_, PyAny>) -> PyResult<NaiveDate> {
    let py = obj.py();
    let dt = py.import("datetime")?;
    let text = if let Ok(s) = obj.cast::<PyString>() {
        s.to_cow()?.into_owned()
    } else if obj.is_instance(&dt.getattr("datetime")?)? {
        return Err(PyTypeError::new_err("as_of is a datetime; pass a datetime.date or a str YYYY-MM-DD"));
    } else if obj.is_instance(&dt.getattr("date")?)? {
        obj.call_method0("isoformat")?.cast::<PyString>()?.to_cow()?.into_owned()
    } else {
        let kind = type_name(obj);
        return Err(PyTypeError::new_err(format!("as_of must be a datetime.date or a str YYYY-MM-DD, not {kind}")));
    };
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    shaped
        .then(|| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| PyValueError::new_err(format!("as_of `{text}` is not a date YYYY-MM-DD")))
}
