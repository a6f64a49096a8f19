//! The safegrade self-assessment portal: a Yew app running entirely in the
//! browser.
//!
//! An enterprise picks a rule set (shipped under `rules/`, or its own
//! file), answers the questionnaire core generates from it, and sees its
//! grade with every reason. Nothing leaves the browser.
//!
//! One wasm module (`main.rs` exports both) has two entry points:
//! [`start_portal`] mounts the app on the page, and [`worker::handle`]
//! answers the page's requests in a Web Worker, where rule files are checked and answers evaluated so that
//! no file or answer set can freeze the page.
//!
//! Layout: [`state`] holds what the user chose and entered (`State`,
//! `Action`, `Reducible`), with the answers shaped by [`answers`];
//! [`client`] runs the worker from the page and [`worker`] is its other
//! side, speaking [`wire`]; [`engine`] calls core; [`import`] reads answer files; [`storage`] keeps the
//! state between visits; [`components`] has one component per file;
//! [`platform`] wraps the browser APIs; [`rulesets`] lists the shipped rule
//! sets; [`i18n`] has the interface texts in Chinese and English.

pub mod answers;
pub mod client;
pub mod components;
pub mod engine;
pub mod i18n;
pub mod import;
pub mod platform;
pub mod rulesets;
pub mod state;
pub mod storage;
pub mod wire;
pub mod worker;

/// Mounts the portal on the page's `<body>`.
pub fn start_portal() {
    yew::Renderer::<components::app::App>::new().render();
}
