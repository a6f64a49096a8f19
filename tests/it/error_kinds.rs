//! Every kind of input and evaluation error comes from a realistic firm:
//! the cases in tests/data/errors/kinds.toml give a rule file's middle, the
//! firm's data, and the kind (as the result JSON gives it) and place of
//! the error it must produce.

use safegrade::{AssessError, Rules};
use serde_json::Value as Json;

use crate::support::data;

const HEAD: &str = "[ruleset]\nid = \"kinds\"\nname = \"错误种类\"\nversion = \"1\"\n\n";
const TAIL: &str = "\n[score]\nbase = \"100\"\n\n[[grades]]\nid = \"good\"\nlabel = \"良好\"\nmin = 90\n\n\
                    [[grades]]\nid = \"poor\"\nlabel = \"较差\"\nbelow = 90\n";

/// The kinds a single rule set that checks is not expected to reach from a
/// firm's data, so no case gives them: `no_band`
/// (the checker proves the bands cover every score), `not_applicable`,
/// `value_unavailable` and `base_not_applicable` (whatever reads an input
/// that is not applicable is skipped, and the score may not read one),
/// `internal` (the checker's types rule it out), and `from_earlier_step`
/// (a scheme's, covered by the scheme goldens' texts).
const NOT_FROM_A_SINGLE_RULE_SET: &[&str] =
    &["no_band", "not_applicable", "value_unavailable", "base_not_applicable", "internal", "from_earlier_step"];

#[test]
fn every_error_kind_comes_from_a_firms_data() {
    let text = std::fs::read_to_string(data("errors/kinds.toml")).expect("tests/data/errors/kinds.toml");
    let file: toml::Table = toml::from_str(&text).expect("kinds.toml is TOML");
    let cases = file["cases"].as_array().expect("[[cases]]");
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("a date");
    let mut seen = Vec::new();
    for case in cases {
        let field = |k: &str| case[k].as_str().unwrap_or_else(|| panic!("{case:?}: `{k}`"));
        let name = field("name");
        let body = field("rules");
        let tail = if body.contains("[score]") { "" } else { TAIL };
        let source = format!("{HEAD}{body}{tail}");
        let loaded = safegrade::load_str("kinds.toml", &source, &|p: &str| Err(format!("no file {p}")));
        let Some(Rules::Set(rules)) = loaded.rules else { panic!("{name}: {:?}", loaded.diagnostics) };
        let firm: Json = serde_json::from_str(field("firm")).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want: Json = serde_json::to_value(&case["kind"]).expect("the kind as JSON");
        let (at, kind, json) = match rules.assess_json(&firm, as_of) {
            Ok(_) => panic!("{name}: assessed"),
            Err(AssessError::Input { errors }) => {
                let e = &errors[0];
                let json = serde_json::to_value(e).expect("JSON");
                (e.path.clone(), serde_json::to_value(e.kind()).expect("JSON"), json)
            }
            Err(AssessError::Eval { error }) => {
                let json = serde_json::to_value(&error).expect("JSON");
                (error.context.clone(), serde_json::to_value(error.kind()).expect("JSON"), json)
            }
        };
        assert_eq!((at.as_str(), &kind), (field("at"), &want), "{name}");
        assert_eq!(json["kind"], kind, "{name}: the error's JSON carries its kind");
        seen.push(want["type"].as_str().expect("a type").to_string());
    }
    for reason in NOT_FROM_A_SINGLE_RULE_SET {
        assert!(!seen.iter().any(|s| s == reason), "{reason} is listed as unreachable but a case reaches it");
    }
    let mut distinct = seen.clone();
    distinct.sort();
    distinct.dedup();
    // The input kinds but `from_earlier_step`, and the evaluation kinds but
    // the five above.
    assert_eq!(distinct.len(), 16 + 6, "{distinct:?}");
}
