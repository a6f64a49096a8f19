//! The JavaScript API of safegrade, built with wasm-bindgen and published
//! to npm as `safegrade` (see `package.json` and `build.sh`).
//!
//! - `check(rulesText, includes?)`: the diagnostics of a rule file.
//! - `schema(rulesText, includes?)`: the questionnaire it asks.
//! - `evaluate(rulesText, firm, asOf, includes?)`: one firm's result; the
//!   firm is JSON text or a plain object.
//!
//! Every function returns a plain JS object tagged `{type: "success", …}`
//! or `{type: "failure", …}`; nothing is thrown. The arguments are taken as
//! untyped JS values and checked here, kind and size, before anything is
//! copied into wasm memory: an argument of the wrong kind or beyond its
//! bound (see [`api`]) is a failure at stage `argument`, and never costs
//! wasm memory, which only grows. The shapes are declared in TypeScript in
//! `types.d.ts` and included in the generated `.d.ts`. [`api`] is the same
//! API over Rust JSON values.

use js_sys::{Array, JsString, Uint8Array};
use safegrade::MAX_RULE_FILE_BYTES;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub mod api;

pub use api::{check_json, evaluate_json, schema_json};
use api::{Argument, Includes, Size, MAX_AS_OF_BYTES, MAX_FIRM_JSON_BYTES, MAX_INCLUDES_BYTES};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("../types.d.ts");

/// Checks a rule file; returns its diagnostics.
#[wasm_bindgen(unchecked_return_type = "CheckResult")]
pub fn check(
    #[wasm_bindgen(js_name = rulesText, unchecked_param_type = "string")] rules_text: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Includes | null")] includes: JsValue,
) -> JsValue {
    answer(|| {
        let rules_text = text_of(&rules_text, Argument::RulesText, None, MAX_RULE_FILE_BYTES)?;
        Ok(check_json(&rules_text, &includes_of(&includes)?))
    })
}

/// The questionnaire a rule file asks.
#[wasm_bindgen(unchecked_return_type = "SchemaResult")]
pub fn schema(
    #[wasm_bindgen(js_name = rulesText, unchecked_param_type = "string")] rules_text: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Includes | null")] includes: JsValue,
) -> JsValue {
    answer(|| {
        let rules_text = text_of(&rules_text, Argument::RulesText, None, MAX_RULE_FILE_BYTES)?;
        Ok(schema_json(&rules_text, &includes_of(&includes)?))
    })
}

/// Evaluates one firm (JSON text or a plain object) as of `asOf` (YYYY-MM-DD).
#[wasm_bindgen(unchecked_return_type = "EvaluateResult")]
pub fn evaluate(
    #[wasm_bindgen(js_name = rulesText, unchecked_param_type = "string")] rules_text: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | object")] firm: JsValue,
    #[wasm_bindgen(js_name = asOf, unchecked_param_type = "string")] as_of: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Includes | null")] includes: JsValue,
) -> JsValue {
    answer(|| {
        let rules_text = text_of(&rules_text, Argument::RulesText, None, MAX_RULE_FILE_BYTES)?;
        let firm = firm_of(&firm)?;
        let as_of = text_of(&as_of, Argument::AsOf, None, MAX_AS_OF_BYTES)?;
        Ok(evaluate_json(&rules_text, &firm, &as_of, &includes_of(&includes)?))
    })
}

/// The answer of `f`, success or failure, as a plain JS object.
fn answer(f: impl FnOnce() -> Result<Value, Value>) -> JsValue {
    let v = f().unwrap_or_else(|failure| failure);
    // The JSON text always parses; a failure would be a serde_json bug.
    json_parse(&v.to_string()).unwrap_or(JsValue::NULL)
}

/// The UTF-8 form of `v`, in JS memory, when `v` is a string of at most
/// `limit` bytes of UTF-8. Its length in UTF-16 units, never more than its
/// length in bytes, is checked before it is encoded.
fn utf8_of(v: &JsValue, argument: Argument, key: Option<&str>, limit: usize) -> Result<Uint8Array, Value> {
    let Some(s) = v.dyn_ref::<JsString>() else { return Err(api::wrong_type(argument, key, kind_of(v))) };
    let units = s.length() as usize;
    if units > limit {
        return Err(api::too_large(argument, key, Size::AtLeast(units), limit));
    }
    let bytes = utf8(s);
    api::within(argument, key, bytes.length() as usize, limit)?;
    Ok(bytes)
}

/// The UTF-8 form of `s`, in JS memory.
fn utf8(s: &JsString) -> Uint8Array {
    TextEncoder::new().encode(s)
}

/// Copies UTF-8 bytes from JS memory into a string in wasm memory.
fn copy(bytes: &Uint8Array) -> String {
    // TextEncoder writes only UTF-8; anything else would be replaced, not trusted.
    String::from_utf8(bytes.to_vec()).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The string `v`, copied into wasm memory when it holds at most `limit`
/// bytes of UTF-8 (see [`utf8_of`]).
fn text_of(v: &JsValue, argument: Argument, key: Option<&str>, limit: usize) -> Result<String, Value> {
    utf8_of(v, argument, key, limit).map(|bytes| copy(&bytes))
}

/// The firm's JSON text: `v` itself when a string, `JSON.stringify(v)` when
/// a plain object.
fn firm_of(v: &JsValue) -> Result<String, Value> {
    if v.is_string() {
        return text_of(v, Argument::Firm, None, MAX_FIRM_JSON_BYTES);
    }
    if !is_plain_object(v) {
        return Err(api::wrong_type(Argument::Firm, None, kind_of(v)));
    }
    let json = json_stringify(v).map_err(|e| api::unreadable(Argument::Firm, &error_text(&e)))?;
    if !json.is_string() {
        // `toJSON` answered `undefined` or a function.
        return Err(api::unreadable(Argument::Firm, "JSON.stringify gives no text for it"));
    }
    text_of(&json, Argument::Firm, None, MAX_FIRM_JSON_BYTES)
}

/// The included files: none for `undefined` or `null`, otherwise a plain
/// object whose every value is a string. Every size is checked before
/// anything is copied, in two passes over the entries: their kinds and
/// lengths, unread; then their sizes in UTF-8, encoded in JS memory. Only
/// then is each copied, without keeping more than one entry's encoding in
/// JS memory at a time.
fn includes_of(v: &JsValue) -> Result<Includes, Value> {
    if v.is_undefined() || v.is_null() {
        return Ok(Includes::new());
    }
    if !is_plain_object(v) {
        return Err(api::wrong_type(Argument::Includes, None, kind_of(v)));
    }
    let entries = object_entries(v).map_err(|e| api::unreadable(Argument::Includes, &error_text(&e)))?;
    // `Object.entries` answers `[key, value]` pairs with string keys.
    let entry = |pair: JsValue| {
        let pair: Array = pair.unchecked_into();
        (pair.get(0).unchecked_into::<JsString>(), pair.get(1))
    };
    let mut units = 0usize;
    for (key, value) in entries.iter().map(entry) {
        let Some(text) = value.dyn_ref::<JsString>() else {
            return Err(api::wrong_type(Argument::Includes, Some(&clipped(&key)), kind_of(&value)));
        };
        let text_units = text.length() as usize;
        if text_units > MAX_RULE_FILE_BYTES {
            let size = Size::AtLeast(text_units);
            return Err(api::too_large(Argument::Includes, Some(&clipped(&key)), size, MAX_RULE_FILE_BYTES));
        }
        units = units.saturating_add(key.length() as usize).saturating_add(text_units);
        if units > MAX_INCLUDES_BYTES {
            return Err(api::too_large(Argument::Includes, None, Size::AtLeast(units), MAX_INCLUDES_BYTES));
        }
    }
    let mut bytes = 0usize;
    for (key, text) in entries.iter().map(entry) {
        let text = utf8(text.unchecked_ref());
        let text_bytes = text.length() as usize;
        if text_bytes > MAX_RULE_FILE_BYTES {
            let size = Size::Exact(text_bytes);
            return Err(api::too_large(Argument::Includes, Some(&clipped(&key)), size, MAX_RULE_FILE_BYTES));
        }
        bytes = bytes.saturating_add(utf8(&key).length() as usize).saturating_add(text_bytes);
    }
    api::within(Argument::Includes, None, bytes, MAX_INCLUDES_BYTES)?;
    Ok(entries.iter().map(entry).map(|(key, text)| (copy(&utf8(&key)), copy(&utf8(text.unchecked_ref())))).collect())
}

/// An include's path as failures show it: its first 100 UTF-16 units, so a
/// long path is not copied whole to be named.
fn clipped(key: &JsString) -> String {
    const SHOWN: u32 = 100;
    let head = String::from(&key.slice(0, SHOWN));
    if key.length() > SHOWN {
        head + "…"
    } else {
        head
    }
}

/// The text of an exception thrown in JavaScript, its first 200 UTF-16 units.
fn error_text(e: &JsValue) -> String {
    const SHOWN: u32 = 200;
    match js_string(e) {
        Ok(s) if s.length() > SHOWN => String::from(&s.slice(0, SHOWN)) + "…",
        Ok(s) => String::from(&s),
        Err(_) => "an exception that cannot be shown".to_string(),
    }
}

/// Whether `v` is a plain object: made by `{…}`, `JSON.parse` or
/// `Object.create(null)`, in any realm (its prototype is null or has a null
/// prototype, as `Object.prototype` has). Arrays, dates, maps and class
/// instances are not.
fn is_plain_object(v: &JsValue) -> bool {
    if !v.is_object() {
        return false;
    }
    match prototype_of(v) {
        Ok(p) if p.is_null() => true,
        Ok(p) => prototype_of(&p).is_ok_and(|pp| pp.is_null()),
        Err(_) => false,
    }
}

/// What `v` is, for messages: `"a number"`, `"null"`, `"an array"`, …
fn kind_of(v: &JsValue) -> &'static str {
    if v.is_null() {
        return "null";
    }
    match v.js_typeof().as_string().as_deref() {
        Some("undefined") => "undefined",
        Some("boolean") => "a boolean",
        Some("number") => "a number",
        Some("bigint") => "a BigInt",
        Some("symbol") => "a Symbol",
        Some("function") => "a function",
        Some("string") => "a string",
        _ if is_array(v).unwrap_or(false) => "an array",
        _ if is_date(v) => "a Date",
        _ => "an object",
    }
}

/// Whether `v`'s prototype is `Date.prototype`.
fn is_date(v: &JsValue) -> bool {
    let date: JsValue = js_sys::Date::new_0().into();
    match (prototype_of(v), prototype_of(&date)) {
        (Ok(p), Ok(d)) => p == d,
        _ => false,
    }
}

// Every import that can run code of the caller's (a getter, a proxy trap,
// `toJSON`) catches what it throws.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(s: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    fn object_entries(v: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = getPrototypeOf, catch)]
    fn prototype_of(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array(v: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_name = String, catch)]
    fn js_string(v: &JsValue) -> Result<JsString, JsValue>;

    /// The platform's UTF-8 encoder, which wasm-bindgen's glue needs too.
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method)]
    fn encode(this: &TextEncoder, s: &JsString) -> Uint8Array;
}
