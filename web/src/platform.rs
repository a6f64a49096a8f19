//! Browser services the portal uses: the clock, local storage, file
//! download and upload, printing and the page's `lang`.
//!
//! Each helper degrades to doing nothing when the browser refuses (storage
//! disabled, a popup blocker): the self-assessment keeps working.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

const STORAGE_KEY: &str = "safegrade.portal.v1";

/// Milliseconds since the page started loading.
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Today's local date, `YYYY-MM-DD`.
pub fn today() -> String {
    let d = js_sys::Date::new_0();
    format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
}

/// The saved portal state, if any.
pub fn load_saved() -> Option<serde_json::Value> {
    let storage = web_sys::window()?.local_storage().ok()??;
    let text = storage.get_item(STORAGE_KEY).ok()??;
    serde_json::from_str(&text).ok()
}

/// Saves the portal state.
pub fn save(state: &serde_json::Value) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(STORAGE_KEY, &state.to_string());
    }
}

/// Offers `text` as a file download named `file_name`.
pub fn download(file_name: &str, text: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/json");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(a) = document.create_element("a") {
        if let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>() {
            a.set_href(&url);
            a.set_download(file_name);
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Reads the first file chosen in a file input as text and calls `done`
/// with its name and text.
pub fn read_chosen_file(input: &web_sys::HtmlInputElement, done: impl FnOnce(String, String) + 'static) {
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
    let Ok(reader) = web_sys::FileReader::new() else { return };
    let name = file.name();
    let r = reader.clone();
    let onload = Closure::once_into_js(move || {
        let text = r.result().ok().and_then(|v| v.as_string()).unwrap_or_default();
        done(name, text);
    });
    reader.set_onload(Some(onload.unchecked_ref()));
    let _ = reader.read_as_text(&file);
    // Choosing the same file again must fire `change` again.
    input.set_value("");
}

/// Opens the browser's print dialogue.
pub fn print() {
    if let Some(w) = web_sys::window() {
        let _ = w.print();
    }
}

/// Sets `<html lang>` and a `data-*` attribute on `<html>`.
pub fn set_root_attr(name: &str, value: &str) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute(name, value);
    }
}

/// A Rust closure callable from JS as a function of one number.
pub type NumberFn = Closure<dyn Fn(f64) -> f64>;

/// Installs `window[name]` as a JS function of one number returning a number;
/// the returned handle keeps it alive (dropping it makes the function throw).
pub fn expose_fn(name: &str, f: impl Fn(f64) -> f64 + 'static) -> Option<NumberFn> {
    let window = web_sys::window()?;
    let closure = Closure::<dyn Fn(f64) -> f64>::new(f);
    js_sys::Reflect::set(&window, &JsValue::from_str(name), closure.as_ref()).ok()?;
    Some(closure)
}
