//! The documentation's examples are real: the worked example in
//! docs/RULES.md is the file docs/examples/dust-self-check.toml, which checks
//! clean and passes its own cases.

use crate::support::{load, root};

#[test]
fn the_worked_example_in_rules_md_is_the_example_file() {
    let md = std::fs::read_to_string(root().join("docs/RULES.md")).expect("docs/RULES.md");
    let file = std::fs::read_to_string(root().join("docs/examples/dust-self-check.toml")).expect("the example");
    let section = md.split("## Worked example").nth(1).expect("a worked example section");
    let block = section.split("```toml\n").nth(1).and_then(|b| b.split("```").next()).expect("a toml block");
    assert_eq!(block, file, "docs/RULES.md and docs/examples/dust-self-check.toml differ");
}

#[test]
fn the_worked_example_checks_clean_and_passes_its_cases() {
    let loaded = load("docs/examples/dust-self-check.toml");
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let rules = loaded.rules.expect("checks");
    let outcomes = safegrade::run_tests(&rules, &|_| String::new());
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.iter().all(|o| o.passed()), "{outcomes:#?}");
}

/// The table of diagnostic codes in docs/RULES.md lists exactly the codes
/// the checker has (`safegrade::Code`), each once, in the same order.
#[test]
fn the_diagnostic_codes_in_rules_md_are_the_checkers() {
    let md = std::fs::read_to_string(root().join("docs/RULES.md")).expect("docs/RULES.md");
    let section = md.split("## Diagnostics").nth(1).expect("a diagnostics section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let documented: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .filter(|c| c.len() == 5 && (c.starts_with('R') || c.starts_with('W')))
        .collect();
    let known: Vec<&str> = safegrade::Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(documented, known, "docs/RULES.md's table of codes and safegrade::Code differ");
}
