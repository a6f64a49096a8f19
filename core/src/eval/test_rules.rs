//! Rule files for the evaluation tests: a rule set given as text, checked,
//! with the files it includes read from the shipped `rules/` folder.

use crate::rules::{CompiledRules, Rules};

/// `text`, named `name`, checked as a rule set; panics when it does not check.
pub(crate) fn checked(name: &str, text: &str) -> CompiledRules {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/");
    let read = |p: &str| std::fs::read_to_string(format!("{root}{p}")).map_err(|e| e.to_string());
    match crate::load_str(name, text, &read).rules {
        Some(Rules::Set(r)) => r,
        other => panic!("{name} does not check as a rule set: {:?}", other.is_some()),
    }
}
