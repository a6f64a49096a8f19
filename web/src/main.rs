//! The portal's wasm module: built as a binary (whose link-time optimisation
//! keeps it small) that exports the library's two entry points, one for the
//! page and one for its worker.

use wasm_bindgen::prelude::wasm_bindgen;

/// Mounts the portal on the page (called by `main.js`).
#[wasm_bindgen]
pub fn start_portal() {
    safegrade_web::start_portal();
}

/// Answers one request from the page (called by `worker.js`; see
/// `safegrade_web::wire`).
#[wasm_bindgen]
pub fn worker_message(request: &str) -> String {
    safegrade_web::worker::handle(request, safegrade_web::platform::now_ms)
}

fn main() {
    // wasm-bindgen runs `main` when the module is instantiated, on the page
    // and in the worker alike: nothing starts here.
}
