//! The JavaScript API of safegrade, built with wasm-bindgen.
//!
//! Every function takes strings and returns a JSON value tagged
//! `{"type": "success", …}` or `{"type": "failure", …}`; nothing is thrown.
//! Rule files are given as text; includes and scheme steps cannot be
//! resolved here, so the rule text must be self-contained.

use wasm_bindgen::prelude::*;

mod api;

pub use api::{check_json, evaluate_json};

/// Checks a rule file; returns its diagnostics.
#[wasm_bindgen]
pub fn check(rules_text: &str) -> JsValue {
    to_js(&check_json(rules_text))
}

/// Evaluates one firm (`input_json`) as of `as_of` (YYYY-MM-DD).
#[wasm_bindgen]
pub fn evaluate(rules_text: &str, input_json: &str, as_of: &str) -> JsValue {
    to_js(&evaluate_json(rules_text, input_json, as_of))
}

fn to_js(v: &serde_json::Value) -> JsValue {
    js_sys_json_parse(&v.to_string())
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
    fn js_sys_json_parse(s: &str) -> JsValue;
}
