//! The JavaScript API of safegrade, built with wasm-bindgen and published
//! to npm as `safegrade` (see `package.json` and `build.sh`).
//!
//! - `check(rulesText, includes?)`: the diagnostics of a rule file.
//! - `schema(rulesText, includes?)`: the questionnaire it asks.
//! - `evaluate(rulesText, inputJson, asOf, includes?)`: one firm's result.
//!
//! Every function takes strings (and an optional object of included files,
//! path → text) and returns a plain JS object tagged
//! `{type: "success", …}` or `{type: "failure", …}`; nothing is thrown.
//! The shapes are declared in TypeScript in `types.d.ts` and included in
//! the generated `.d.ts`. [`api`] is the same API over Rust JSON values.

use wasm_bindgen::prelude::*;

pub mod api;

pub use api::{check_json, evaluate_json, schema_json};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("../types.d.ts");

/// Checks a rule file; returns its diagnostics.
#[wasm_bindgen(unchecked_return_type = "CheckResult")]
pub fn check(
    #[wasm_bindgen(js_name = rulesText)] rules_text: &str,
    #[wasm_bindgen(unchecked_param_type = "Includes")] includes: Option<js_sys::Object>,
) -> JsValue {
    match includes_of(includes) {
        Ok(inc) => to_js(&check_json(rules_text, &inc)),
        Err(e) => to_js(&e),
    }
}

/// The questionnaire a rule file asks.
#[wasm_bindgen(unchecked_return_type = "SchemaResult")]
pub fn schema(
    #[wasm_bindgen(js_name = rulesText)] rules_text: &str,
    #[wasm_bindgen(unchecked_param_type = "Includes")] includes: Option<js_sys::Object>,
) -> JsValue {
    match includes_of(includes) {
        Ok(inc) => to_js(&schema_json(rules_text, &inc)),
        Err(e) => to_js(&e),
    }
}

/// Evaluates one firm (`inputJson`, a JSON object) as of `asOf` (YYYY-MM-DD).
#[wasm_bindgen(unchecked_return_type = "EvaluateResult")]
pub fn evaluate(
    #[wasm_bindgen(js_name = rulesText)] rules_text: &str,
    #[wasm_bindgen(js_name = inputJson)] input_json: &str,
    #[wasm_bindgen(js_name = asOf)] as_of: &str,
    #[wasm_bindgen(unchecked_param_type = "Includes")] includes: Option<js_sys::Object>,
) -> JsValue {
    match includes_of(includes) {
        Ok(inc) => to_js(&evaluate_json(rules_text, input_json, as_of, &inc)),
        Err(e) => to_js(&e),
    }
}

fn includes_of(v: Option<js_sys::Object>) -> Result<api::Includes, serde_json::Value> {
    let Some(v) = v else { return Ok(api::Includes::new()) };
    let text = json_stringify(&v).ok().and_then(|s| s.as_string());
    api::parse_includes(text.as_deref().or(Some("not an object")))
}

fn to_js(v: &serde_json::Value) -> JsValue {
    // The JSON text always parses; a failure would be a serde_json bug.
    json_parse(&v.to_string()).unwrap_or(JsValue::NULL)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(s: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(v: &JsValue) -> Result<JsValue, JsValue>;
}
