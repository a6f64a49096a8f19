//! The API as plain Rust over JSON values, testable natively.

use chrono::NaiveDate;
use serde_json::{json, Value};

fn no_includes(path: &str) -> Result<String, String> {
    Err(format!("`{path}` cannot be loaded in the browser; paste the included definitions into the rule file"))
}

/// Checks a rule file: `{type: "success", diagnostics}` or `{type: "failure", diagnostics}`.
pub fn check_json(rules_text: &str) -> Value {
    let loaded = safegrade::load_str("rules.toml", rules_text, &no_includes);
    let diagnostics: Vec<Value> = loaded.diagnostics.iter().map(|d| loaded.sources.to_json(d)).collect();
    let kind = if loaded.rules.is_some() { "success" } else { "failure" };
    json!({ "type": kind, "diagnostics": diagnostics })
}

/// Evaluates one firm: `{type: "success", result}` or `{type: "failure", …}`.
pub fn evaluate_json(rules_text: &str, input_json: &str, as_of: &str) -> Value {
    let loaded = safegrade::load_str("rules.toml", rules_text, &no_includes);
    let Some(rules) = loaded.rules else {
        let diagnostics: Vec<Value> = loaded.diagnostics.iter().map(|d| loaded.sources.to_json(d)).collect();
        return json!({ "type": "failure", "stage": "check", "diagnostics": diagnostics });
    };
    let Ok(as_of) = NaiveDate::parse_from_str(as_of, "%Y-%m-%d") else {
        return json!({ "type": "failure", "stage": "as_of", "message": format!("`{as_of}` is not a date YYYY-MM-DD") });
    };
    let input: Value = match serde_json::from_str(input_json) {
        Ok(v) => v,
        Err(e) => return json!({ "type": "failure", "stage": "input", "message": format!("input is not JSON: {e}") }),
    };
    match rules.assess_json(&input, as_of) {
        Ok(result) => json!({ "type": "success", "result": result }),
        Err(e) => json!({ "type": "failure", "stage": "evaluate", "error": e }),
    }
}
