//! Every rule file shipped under `rules/` checks with no diagnostics at all,
//! passes its own embedded test cases, and gives every text people read in
//! English as well as in Chinese.

use crate::support::{load, root};

fn rule_files() -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![root().join("rules")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("rules/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                let rel = path.strip_prefix(root()).expect("under the root").to_string_lossy().into_owned();
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_shipped_rule_file_checks_clean_and_passes_its_cases() {
    let files = rule_files();
    assert!(files.len() >= 9, "expected the shipped rule sets, found {files:?}");
    let mut n_cases = 0;
    for rel in files {
        let loaded = load(&rel);
        let rendered: String = loaded.diagnostics.iter().map(|d| loaded.sources.render(d)).collect();
        assert!(loaded.diagnostics.is_empty(), "{rel}:\n{rendered}");
        let rules = loaded.rules.expect("no errors");
        let locate = |s: safegrade::Span| {
            let l = loaded.sources.locate(s);
            format!("{}:{}", l.file, l.line)
        };
        for outcome in safegrade::run_tests(&rules, &locate) {
            assert!(outcome.passed(), "{} {}: {:#?}", outcome.location, outcome.name, outcome.failures);
            n_cases += 1;
        }
    }
    assert!(n_cases >= 100, "only {n_cases} embedded cases");
}

#[test]
fn contract_ids_are_stable() {
    // File names, grade ids and input names below are a published contract.
    let cases: [(&str, &[&str]); 7] = [
        ("rules/accident-severity.toml", &["general", "relatively_serious", "serious", "especially_serious"]),
        ("rules/gb18218-major-hazard.toml", &["not_major_hazard", "grade_4", "grade_3", "grade_2", "grade_1"]),
        ("rules/lec.toml", &["level_5", "level_4", "level_3", "level_2", "level_1"]),
        ("rules/hazchem-risk-2018.toml", &["blue", "yellow", "orange", "red"]),
        ("rules/blacklist-2023.toml", &["not_listed", "listed"]),
        ("rules/credit-rating.toml", &["A", "B", "C", "D"]),
        ("rules/ls-matrix.toml", &["low", "general", "relatively_major", "major"]),
    ];
    for (rel, grades) in cases {
        let loaded = load(rel);
        let Some(safegrade::Rules::Set(rules)) = loaded.rules else { panic!("{rel} does not load as a rule set") };
        let mut got = rules.grade_ids();
        let mut want = grades.to_vec();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{rel}");
    }
}

/// A rule set used on its own asks the inputs a scheme fills from an
/// earlier step: its questionnaire marks them required when a missing
/// answer is an error, as evaluation treats them.
#[test]
fn a_rule_set_alone_asks_what_a_scheme_would_fill() {
    let loaded = load("rules/supervision-tier.toml");
    let Some(safegrade::Rules::Set(rules)) = loaded.rules else { panic!("supervision-tier does not load") };
    let schema = rules.schema();
    let filled: Vec<_> = schema.inputs.iter().filter(|f| f.from.is_some()).collect();
    assert!(!filled.is_empty(), "supervision-tier reads earlier steps");
    for f in filled {
        assert_eq!(f.required, f.missing == "required", "{}: required is {}", f.name, f.required);
    }
    let risk = schema.inputs.iter().find(|f| f.name == "risk_grade").expect("risk_grade");
    assert!(risk.required, "risk_grade has no default: a missing answer is an error");
    let missing = rules.assess_json(&serde_json::json!({}), chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap());
    assert!(matches!(missing, Err(safegrade::AssessError::Input { .. })), "{missing:?}");
}

/// The keys whose values people read: a plain string is Chinese only.
const READ_BY_PEOPLE: [&str; 5] = ["name", "label", "help", "advice", "reason"];

/// Every text under `value` that people read and that has no English, as
/// `path: text`. Test cases (`[[tests]]`) are for rule authors and skipped;
/// `name` is a text for people only as the rule set's or scheme's name.
fn chinese_only(value: &toml::Value, path: &str, out: &mut Vec<String>) {
    match value {
        toml::Value::Table(t) => {
            for (key, v) in t {
                let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                if key == "tests" && path.is_empty() {
                    continue;
                }
                let is_name = key == "name" && matches!(path, "ruleset" | "scheme");
                if READ_BY_PEOPLE.contains(&key.as_str()) && (key != "name" || is_name) {
                    let en = v.get("en").and_then(toml::Value::as_str).filter(|e| !e.trim().is_empty());
                    if en.is_none() {
                        out.push(format!("{here}: {v:?}"));
                    }
                    continue;
                }
                chinese_only(v, &here, out);
            }
        }
        toml::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                chinese_only(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_shipped_text_for_people_has_an_english_version() {
    let mut missing = Vec::new();
    for rel in rule_files() {
        let text = std::fs::read_to_string(root().join(&rel)).expect("readable");
        let doc: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let mut found = Vec::new();
        chinese_only(&doc, "", &mut found);
        missing.extend(found.into_iter().map(|f| format!("{rel}: {f}")));
    }
    assert!(missing.is_empty(), "texts without English:\n{}", missing.join("\n"));
}
