//! The API as plain Rust over JSON values, so it is tested natively and in
//! the browser alike (`tests/api.rs`).
//!
//! Every function answers a JSON object tagged `"type": "success"` or
//! `"type": "failure"`; a failure says at which `stage` it stopped
//! (`argument`, `check`, `as_of`, `input`, `evaluate`). Nothing panics on
//! bad input.
//!
//! Every argument is bounded in size ([`MAX_RULE_FILE_BYTES`] for the rule
//! text and each include, [`MAX_INCLUDES_BYTES`], [`MAX_FIRM_JSON_BYTES`],
//! [`MAX_AS_OF_BYTES`]); the JavaScript functions check the same bounds
//! before they copy anything into wasm memory, with the failures built here.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use safegrade::{Loaded, Rules, MAX_RULE_FILE_BYTES};
use serde_json::{json, Value};

/// The name the main rule text is loaded under; includes resolve relative
/// to it, so `include = ["accident-severity.toml"]` is looked up as
/// `accident-severity.toml` in the includes map.
pub const MAIN_FILE: &str = "rules.toml";

/// Other rule files the main text may include, by path relative to it.
pub type Includes = BTreeMap<String, String>;

/// The most bytes of UTF-8 the includes may hold together, paths and texts:
/// four rule files at [`MAX_RULE_FILE_BYTES`] (every shipped rule file
/// together holds 260 KB).
pub const MAX_INCLUDES_BYTES: usize = 4 * MAX_RULE_FILE_BYTES;

/// The most bytes of UTF-8 a firm's JSON text may hold: 16 MiB, room for a
/// list at the default record limit (100,000) of records of 160 bytes.
/// Smaller than the command line's 64 MiB because wasm memory is at most
/// 4 GiB and never shrinks: the parsed firm takes up to 50 bytes of it for
/// each byte of JSON (an array of zeros), so 16 MiB may take 800 MiB where
/// 64 MiB would take 3.1 GiB.
pub const MAX_FIRM_JSON_BYTES: usize = 16 << 20;

/// The most bytes an as-of date may hold: `YYYY-MM-DD`.
pub const MAX_AS_OF_BYTES: usize = "YYYY-MM-DD".len();

/// An argument of the API, named in the failures that refuse it by its
/// JavaScript name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Argument {
    /// `rulesText`: the rule file's text.
    RulesText,
    /// `firm`: the firm's data, JSON text or (in JavaScript) a plain object.
    Firm,
    /// `asOf`: the date the firm is assessed on.
    AsOf,
    /// `includes`: the included rule files, path → text.
    Includes,
}

impl Argument {
    /// The parameter's name in JavaScript.
    pub fn name(self) -> &'static str {
        match self {
            Argument::RulesText => "rulesText",
            Argument::Firm => "firm",
            Argument::AsOf => "asOf",
            Argument::Includes => "includes",
        }
    }

    /// What the argument (or, for `includes` with a key, one of its values) must be.
    fn expected(self, key: Option<&str>) -> &'static str {
        match (self, key) {
            (Argument::RulesText, _) | (Argument::Includes, Some(_)) => "a string, the text of a rule file",
            (Argument::Firm, _) => "the firm's data as JSON text or a plain object",
            (Argument::AsOf, _) => "a string, a date YYYY-MM-DD",
            (Argument::Includes, None) => "a plain object of file path to rule text, or undefined or null",
        }
    }
}

/// The argument, or the include under `key`, as messages name it.
fn label(argument: Argument, key: Option<&str>) -> String {
    match key {
        Some(key) => format!("`{}[{key:?}]`", argument.name()),
        None => format!("`{}`", argument.name()),
    }
}

/// `{type: "failure", stage: "argument", argument, code, message}`, with the
/// include's `key` when the failure is about one.
fn argument_failure(argument: Argument, key: Option<&str>, code: &str, message: String) -> Value {
    let mut v = json!({ "type": "failure", "stage": "argument", "argument": argument.name(), "code": code, "message": message });
    if let Some(key) = key {
        v["key"] = key.into();
    }
    v
}

/// Failure `wrong_type`: the argument (or the include under `key`) is
/// `kind` (`"a number"`, `"null"`, …), which it cannot be.
pub fn wrong_type(argument: Argument, key: Option<&str>, kind: &str) -> Value {
    let message = format!("{} must be {}, not {kind}", label(argument, key), argument.expected(key));
    argument_failure(argument, key, "wrong_type", message)
}

/// Failure `unreadable`: reading the argument threw `error` in JavaScript
/// (for the firm, `JSON.stringify` refused it: a cycle, a BigInt, a getter
/// that throws).
pub fn unreadable(argument: Argument, error: &str) -> Value {
    let message = match argument {
        Argument::Firm => format!("`firm` cannot be turned into JSON: {error}"),
        _ => format!("{} cannot be read: {error}", label(argument, None)),
    };
    argument_failure(argument, None, "unreadable", message)
}

/// A size in bytes of UTF-8, measured or known only from below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// Measured.
    Exact(usize),
    /// At least this many: a JavaScript string of this many UTF-16 units
    /// (never fewer bytes), refused before it was copied to be measured.
    AtLeast(usize),
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Exact(n) => write!(f, "{n} bytes"),
            Size::AtLeast(n) => write!(f, "at least {n} bytes"),
        }
    }
}

/// Failure `too_large`, with the `limit` in bytes: the argument (or the
/// include under `key`; for `includes` without a key, the includes
/// together) holds `size`, more than `limit`.
pub fn too_large(argument: Argument, key: Option<&str>, size: Size, limit: usize) -> Value {
    let what = match (argument, key) {
        (Argument::Includes, None) => "`includes` (paths and texts together)".to_string(),
        _ => label(argument, key),
    };
    let shown = if limit.is_multiple_of(1 << 20) {
        format!("{} MiB ({limit} bytes)", limit >> 20)
    } else {
        format!("{limit} bytes")
    };
    let mut v =
        argument_failure(argument, key, "too_large", format!("{what} is {size} of UTF-8; the limit is {shown}"));
    v["limit"] = limit.into();
    v
}

/// `Err(too_large)` when `bytes` is more than `limit`.
pub fn within(argument: Argument, key: Option<&str>, bytes: usize, limit: usize) -> Result<(), Value> {
    if bytes > limit {
        return Err(too_large(argument, key, Size::Exact(bytes), limit));
    }
    Ok(())
}

/// Refuses a rule text or includes beyond their bounds.
fn rules_within(rules_text: &str, includes: &Includes) -> Result<(), Value> {
    within(Argument::RulesText, None, rules_text.len(), MAX_RULE_FILE_BYTES).and_then(|()| includes_within(includes))
}

/// Refuses includes beyond their bounds: each text, and all together.
fn includes_within(includes: &Includes) -> Result<(), Value> {
    let mut total = 0usize;
    for (path, text) in includes {
        within(Argument::Includes, Some(path), text.len(), MAX_RULE_FILE_BYTES)?;
        total = total.saturating_add(path.len()).saturating_add(text.len());
    }
    within(Argument::Includes, None, total, MAX_INCLUDES_BYTES)
}

fn load(rules_text: &str, includes: &Includes) -> Loaded {
    let loader = |path: &str| {
        includes
            .get(path)
            .cloned()
            .ok_or_else(|| format!("`{path}` was not given; pass its text in `includes` under the key `{path}`"))
    };
    safegrade::load_str(MAIN_FILE, rules_text, &loader)
}

fn diagnostics(loaded: &Loaded) -> Vec<Value> {
    loaded.diagnostics.iter().map(|d| loaded.sources.to_json(d)).collect()
}

/// Checks a rule file: `{type: "success" | "failure", diagnostics}`.
pub fn check_json(rules_text: &str, includes: &Includes) -> Value {
    if let Err(failure) = rules_within(rules_text, includes) {
        return failure;
    }
    let loaded = load(rules_text, includes);
    let kind = if loaded.rules.is_some() { "success" } else { "failure" };
    json!({ "type": kind, "diagnostics": diagnostics(&loaded) })
}

/// The questionnaire a rule file asks: `{type: "success", kind: "ruleset",
/// schema, diagnostics}`, for a scheme `{…, kind: "scheme", steps: [{alias,
/// schema}]}`, or `{type: "failure", stage: "check", diagnostics}`.
pub fn schema_json(rules_text: &str, includes: &Includes) -> Value {
    if let Err(failure) = rules_within(rules_text, includes) {
        return failure;
    }
    let loaded = load(rules_text, includes);
    let diags = diagnostics(&loaded);
    match &loaded.rules {
        None => json!({ "type": "failure", "stage": "check", "diagnostics": diags }),
        Some(Rules::Set(r)) => {
            json!({ "type": "success", "kind": "ruleset", "schema": r.schema(), "diagnostics": diags })
        }
        Some(Rules::Scheme(s)) => {
            let steps: Vec<Value> =
                s.steps().map(|(alias, r)| json!({ "alias": alias, "schema": r.schema() })).collect();
            json!({ "type": "success", "kind": "scheme", "steps": steps, "diagnostics": diags })
        }
    }
}

/// Reads an as-of date as the command line does: exactly `YYYY-MM-DD`
/// (ten characters, digits with dashes at 4 and 7) naming a real day.
/// chrono alone also takes `2026-6-3`, `+2026-1-1` and `-001-01-01`.
pub fn parse_as_of(s: &str) -> Option<NaiveDate> {
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    shaped.then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).flatten()
}

/// Evaluates one firm (`firm_json`, a JSON object) as of `as_of`
/// (YYYY-MM-DD): `{type: "success", result}` or `{type: "failure", stage, …}`.
pub fn evaluate_json(rules_text: &str, firm_json: &str, as_of: &str, includes: &Includes) -> Value {
    let bounds = within(Argument::RulesText, None, rules_text.len(), MAX_RULE_FILE_BYTES)
        .and_then(|()| within(Argument::Firm, None, firm_json.len(), MAX_FIRM_JSON_BYTES))
        .and_then(|()| within(Argument::AsOf, None, as_of.len(), MAX_AS_OF_BYTES))
        .and_then(|()| includes_within(includes));
    if let Err(failure) = bounds {
        return failure;
    }
    let loaded = load(rules_text, includes);
    let Some(rules) = &loaded.rules else {
        return json!({ "type": "failure", "stage": "check", "diagnostics": diagnostics(&loaded) });
    };
    let Some(as_of) = parse_as_of(as_of) else {
        return json!({ "type": "failure", "stage": "as_of", "message": format!("`{as_of}` is not a date YYYY-MM-DD") });
    };
    // Refuses a key given twice in one object, which plain parsing would
    // resolve silently to its last value.
    let input: Value = match safegrade::parse_firm_json(firm_json) {
        Ok(v) => v,
        Err(safegrade::JsonTextError::Syntax(e)) => {
            return json!({ "type": "failure", "stage": "input", "message": format!("input is not JSON: {e}") })
        }
        Err(e) => return json!({ "type": "failure", "stage": "input", "message": format!("input: {e}") }),
    };
    match rules.assess_json(&input, as_of) {
        Ok(result) => json!({ "type": "success", "result": result }),
        Err(e) => json!({ "type": "failure", "stage": "evaluate", "error": e }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
[ruleset]
id = "t"
name = "t"
version = "1"

[inputs.x]
type = "integer"
label = "x"

[lists.l]
label = "l"

[lists.l.fields.n]
type = "integer"
label = "n"

[[items]]
id = "x"
label = "x"
points = "x + sum(l, n)"

[score]
base = "0"

[[grades]]
id = "g"
label = "g"
min = 0

[[grades]]
id = "b"
label = "b"
below = 0
"#;

    #[test]
    fn a_key_given_twice_is_an_input_failure_naming_it() {
        let eval = |input: &str| evaluate_json(RULES, input, "2026-11-29", &Includes::new());
        assert_eq!(eval(r#"{"x": 1, "l": [{"n": 2}]}"#)["result"]["score"], "3");
        let res = eval(r#"{"x": 1, "x": 2}"#);
        assert_eq!(res["stage"], "input", "{res}");
        assert_eq!(
            res["message"],
            "input: (firm): duplicate key `x` at line 1 column 12; each key may appear once in an object"
        );
        let res = eval("{\"x\": 1,\n \"l\": [{\"n\": 2, \"n\": 5}]}");
        assert_eq!(res["stage"], "input", "{res}");
        assert!(
            res["message"].as_str().unwrap().starts_with("input: l[0]: duplicate key `n` at line 2 column"),
            "{res}"
        );
        assert_eq!(eval("{")["message"], "input is not JSON: EOF while parsing an object at line 1 column 1");
    }
}
