//! Browser services the portal uses: the clock, timers, file download and
//! upload, printing, the page's `lang`, and functions exposed to tests.
//! Local storage is [`crate::storage`].
//!
//! Each helper degrades to doing nothing when the browser refuses (a popup
//! blocker, a missing API): the self-assessment keeps working.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Milliseconds since the page (or, in the worker, the worker) started;
/// 0 where there is no clock.
pub fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}

/// `x` with `places` decimals (at most 6), as `format!("{x:.places$}")`
/// gives it but for the last digit of a tie, for times shown to people;
/// the formatter's exact decimal expansion is a large piece of code.
pub fn fixed(x: f64, places: u32) -> String {
    let scale = 10u64.pow(places.min(6));
    let units = (x.abs() * scale as f64).round();
    if !units.is_finite() || units >= 1e15 {
        return format!("{x}");
    }
    let units = units as u64;
    let sign = if x < 0.0 && units > 0 { "-" } else { "" };
    let whole = units / scale;
    if places == 0 {
        return format!("{sign}{whole}");
    }
    let width = places.min(6) as usize;
    format!("{sign}{whole}.{:0width$}", units % scale)
}

/// A pending `setTimeout`; dropping it cancels it.
pub struct Timeout {
    id: i32,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Calls `f` once after `ms` milliseconds; `None` when the browser
    /// refuses.
    pub fn new(ms: i32, f: impl FnOnce() + 'static) -> Option<Timeout> {
        let mut f = Some(f);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(f) = f.take() {
                f();
            }
        });
        let id = web_sys::window()?
            .set_timeout_with_callback_and_timeout_and_arguments_0(callback.as_ref().unchecked_ref(), ms)
            .ok()?;
        Some(Timeout { id, _callback: callback })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_timeout_with_handle(self.id);
        }
    }
}

/// Today's local date, `YYYY-MM-DD`.
pub fn today() -> String {
    let d = js_sys::Date::new_0();
    format!("{:04}-{:02}-{:02}", d.get_full_year(), d.get_month() + 1, d.get_date())
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

/// A file chosen in a file input, or why it was not read.
pub enum Chosen {
    /// Its name and text.
    Text(String, String),
    /// It holds more than the limit: its size in bytes (it was not read).
    TooLarge(f64),
}

/// Reads every file chosen in a file input as text, in the order chosen,
/// unless one holds more than `limit` bytes (then none is read, and `done`
/// gets that file's size), and calls `done` once all are read.
pub fn read_chosen_files(
    input: &web_sys::HtmlInputElement,
    limit: f64,
    done: impl FnOnce(Result<Vec<(String, String)>, f64>) + 'static,
) {
    let Some(list) = input.files() else { return };
    let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
    input.set_value("");
    if files.is_empty() {
        return;
    }
    if let Some(big) = files.iter().find(|f| f.size() > limit) {
        done(Err(big.size()));
        return;
    }
    let texts = Rc::new(RefCell::new(vec![None; files.len()]));
    let done = Rc::new(RefCell::new(Some(done)));
    for (i, file) in files.iter().enumerate() {
        let Ok(reader) = web_sys::FileReader::new() else { return };
        let (r, name, texts, done) = (reader.clone(), file.name(), texts.clone(), done.clone());
        let onload = Closure::once_into_js(move || {
            let text = r.result().ok().and_then(|v| v.as_string()).unwrap_or_default();
            texts.borrow_mut()[i] = Some((name, text));
            let all: Option<Vec<(String, String)>> = texts.borrow().iter().cloned().collect();
            // Only once the last file is read is `done` taken and called.
            if let Some(all) = all {
                if let Some(done) = done.borrow_mut().take() {
                    done(Ok(all));
                }
            }
        });
        reader.set_onload(Some(onload.unchecked_ref()));
        let _ = reader.read_as_text(file);
    }
}

/// Reads the first file chosen in a file input as text, unless it holds
/// more than `limit` bytes (then it is not read at all), and calls `done`.
pub fn read_chosen_file(input: &web_sys::HtmlInputElement, limit: f64, done: impl FnOnce(Chosen) + 'static) {
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
    // Choosing the same file again must fire `change` again.
    input.set_value("");
    if file.size() > limit {
        done(Chosen::TooLarge(file.size()));
        return;
    }
    let Ok(reader) = web_sys::FileReader::new() else { return };
    let name = file.name();
    let r = reader.clone();
    let onload = Closure::once_into_js(move || {
        let text = r.result().ok().and_then(|v| v.as_string()).unwrap_or_default();
        done(Chosen::Text(name, text));
    });
    reader.set_onload(Some(onload.unchecked_ref()));
    let _ = reader.read_as_text(&file);
}

/// Opens the browser's print dialogue once the page has rendered what is
/// pending (a task later): the report's record tables are built when
/// printing starts, and `window.print()` called at once would print the
/// page as it was.
pub fn print() {
    let Some(w) = web_sys::window() else { return };
    let open = Closure::once_into_js(|| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    });
    let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(open.unchecked_ref(), 0);
}

/// Sets `<html lang>` and a `data-*` attribute on `<html>`.
pub fn set_root_attr(name: &str, value: &str) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute(name, value);
    }
}

/// Installs `window[name]` as a JS function of one number returning a
/// promise; `f` gets the number and the promise's `resolve`. The function
/// lives as long as the page.
pub fn expose_promise_fn(name: &str, f: impl Fn(f64, js_sys::Function) + 'static) {
    let Some(window) = web_sys::window() else { return };
    let closure = Closure::<dyn Fn(f64) -> js_sys::Promise>::new(move |n: f64| {
        js_sys::Promise::new(&mut |resolve, _reject| f(n, resolve))
    });
    let _ = js_sys::Reflect::set(&window, &JsValue::from_str(name), closure.as_ref());
    closure.forget();
}

/// Calls `f(true)` when the page is about to be printed (`beforeprint`, or
/// print media taking effect) and `f(false)` when printing ends. It lives
/// as long as the page.
pub fn on_print(f: impl Fn(bool) + 'static) {
    let Some(window) = web_sys::window() else { return };
    let f = std::rc::Rc::new(f);
    let media = window.match_media("print").ok().flatten();
    let on = |printing: Option<bool>| {
        let (f, media) = (f.clone(), media.clone());
        Closure::<dyn Fn()>::new(move || f(printing.unwrap_or_else(|| media.as_ref().is_some_and(|m| m.matches()))))
    };
    for (event, printing) in [("beforeprint", Some(true)), ("afterprint", Some(false))] {
        let c = on(printing);
        let _ = window.add_event_listener_with_callback(event, c.as_ref().unchecked_ref());
        c.forget();
    }
    if let Some(m) = &media {
        let c = on(None);
        let _ = m.add_event_listener_with_callback("change", c.as_ref().unchecked_ref());
        c.forget();
    }
}

/// Calls `f` when the page is hidden or left (`visibilitychange` to hidden,
/// `pagehide`): the last chance to store what changed. It lives as long as
/// the page.
pub fn on_page_hidden(f: impl Fn() + 'static) {
    let Some(window) = web_sys::window() else { return };
    let closure = Closure::<dyn Fn()>::new(f);
    let _ = window.add_event_listener_with_callback("pagehide", closure.as_ref().unchecked_ref());
    if let Some(doc) = window.document() {
        let _ = doc.add_event_listener_with_callback("visibilitychange", closure.as_ref().unchecked_ref());
    }
    closure.forget();
}
