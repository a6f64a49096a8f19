//! The portal's components, one per file; each takes `PartialEq` props and
//! sends changes up through callbacks.

pub mod announce;
pub mod app;
pub mod diagnostics;
pub mod field;
pub mod list_table;
pub mod notices;
pub mod questionnaire;
pub mod report;
pub mod result_panel;
pub mod toolbar;
