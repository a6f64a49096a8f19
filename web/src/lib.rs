//! The safegrade self-assessment portal: a Yew app running entirely in the
//! browser.
//!
//! An enterprise picks a rule set (compiled in from `rules/`, or its own
//! file), answers the questionnaire core generates from it, and sees its
//! grade with every reason. Nothing leaves the browser.
//!
//! Layout: [`state`] holds what the user chose and entered (`State`,
//! `Action`, `Reducible`); [`engine`] calls core to load rules and evaluate
//! the answers, which the app derives and memoises rather than stores;
//! [`components`] has one component per file; [`platform`] wraps the
//! browser APIs; [`i18n`] has the interface texts in Chinese and English.

pub mod components;
pub mod engine;
pub mod i18n;
pub mod platform;
pub mod rulesets;
pub mod state;

/// Mounts the portal on the page's `<body>`.
pub fn run() {
    yew::Renderer::<components::app::App>::new().render();
}
