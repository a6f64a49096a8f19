//! The API as plain Rust over JSON values, so it is tested natively and in
//! the browser alike (`tests/api.rs`).
//!
//! Every function answers a JSON object tagged `"type": "success"` or
//! `"type": "failure"`; a failure says at which `stage` it stopped (`check`,
//! `includes`, `as_of`, `input`, `evaluate`). Nothing panics on bad input.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use safegrade::{Loaded, Rules};
use serde_json::{json, Value};

/// The name the main rule text is loaded under; includes resolve relative
/// to it, so `include = ["accident-severity.toml"]` is looked up as
/// `accident-severity.toml` in the includes map.
pub const MAIN_FILE: &str = "rules.toml";

/// Other rule files the main text may include, by path relative to it.
pub type Includes = BTreeMap<String, String>;

/// Reads the optional includes argument: absent, `null` or a JSON object of
/// path → rule text.
pub fn parse_includes(json: Option<&str>) -> Result<Includes, Value> {
    let Some(text) = json.filter(|t| !t.is_empty() && *t != "null" && *t != "undefined") else {
        return Ok(Includes::new());
    };
    serde_json::from_str::<Includes>(text).map_err(|e| {
        json!({
            "type": "failure",
            "stage": "includes",
            "message": format!("includes must be an object of file path to rule text: {e}"),
        })
    })
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
    let loaded = load(rules_text, includes);
    let kind = if loaded.rules.is_some() { "success" } else { "failure" };
    json!({ "type": kind, "diagnostics": diagnostics(&loaded) })
}

/// The questionnaire a rule file asks: `{type: "success", kind: "ruleset",
/// schema, diagnostics}`, for a scheme `{…, kind: "scheme", steps: [{alias,
/// schema}]}`, or `{type: "failure", stage: "check", diagnostics}`.
pub fn schema_json(rules_text: &str, includes: &Includes) -> Value {
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

/// Evaluates one firm as of `as_of` (YYYY-MM-DD): `{type: "success",
/// result}` or `{type: "failure", stage, …}`.
pub fn evaluate_json(rules_text: &str, input_json: &str, as_of: &str, includes: &Includes) -> Value {
    let loaded = load(rules_text, includes);
    let Some(rules) = &loaded.rules else {
        return json!({ "type": "failure", "stage": "check", "diagnostics": diagnostics(&loaded) });
    };
    let Ok(as_of) = NaiveDate::parse_from_str(as_of, "%Y-%m-%d") else {
        return json!({ "type": "failure", "stage": "as_of", "message": format!("`{as_of}` is not a date YYYY-MM-DD") });
    };
    // Refuses a key given twice in one object, which plain parsing would
    // resolve silently to its last value.
    let input: Value = match safegrade::parse_firm_json(input_json) {
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
