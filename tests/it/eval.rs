//! Evaluation goldens: each `tests/data/eval/NAME.case.json` names a rule
//! file, an as-of date and a firm's data; the result (or the input errors)
//! must equal `NAME.expected.json`.

use crate::support::{data, expect_file, files, load};

#[test]
fn eval_cases_match_their_goldens() {
    let cases = files("tests/data/eval", "json");
    let cases: Vec<&String> = cases.iter().filter(|c| c.ends_with(".case.json")).collect();
    assert!(cases.len() >= 6);
    for rel in cases {
        let name = rel.rsplit('/').next().expect("a file name");
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(data(&format!("eval/{name}"))).expect("readable"))
                .unwrap_or_else(|e| panic!("{rel}: {e}"));
        let rules_path = case["rules"].as_str().expect("rules");
        let loaded = load(rules_path);
        let rules = loaded.rules.unwrap_or_else(|| panic!("{rules_path} does not load"));
        let as_of =
            chrono::NaiveDate::parse_from_str(case["as_of"].as_str().expect("as_of"), "%Y-%m-%d").expect("a date");
        let out = match rules.assess_json(&case["input"], as_of) {
            Ok(v) => v,
            Err(e) => serde_json::json!({ "error": e }),
        };
        let text = serde_json::to_string_pretty(&out).expect("serializes") + "\n";
        expect_file(&rel.replace(".case.json", ".expected.json"), &text);
    }
}
