//! Native tests of the portal's logic (no browser): the shipped rule-set
//! table, the state and its JSON form, and evaluation of answers as the
//! form holds them. Run with `cargo test -p safegrade-web` (the web crate is
//! not a default member; scripts/test-browser.sh runs this).

use serde_json::{json, Map, Value};

use safegrade_web::engine::{self, Outcome};
use safegrade_web::i18n::Lang;
use safegrade_web::rulesets::{shipped_loader, SHIPPED};
use safegrade_web::state::{Action, Source, State};

const GOLDEN: &str = include_str!("../../tests/data/browser/hazchem-firm.expected.json");
const FIRM: &str = include_str!("../../e2e/fixtures/firm.json");

#[test]
fn shipped_table_matches_the_rule_files() {
    for f in SHIPPED {
        let loaded = safegrade::load(f.path, &shipped_loader);
        let Some(safegrade::Rules::Set(rules)) = loaded.rules else { panic!("{} does not load", f.path) };
        assert_eq!(rules.meta().name, f.name(), "{}: update its name in web/src/rulesets.rs", f.path);
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".toml") {
            let path = format!("rules/{name}");
            assert!(
                SHIPPED.iter().any(|f| f.path == path),
                "{path} is not offered by the portal (web/src/rulesets.rs)"
            );
        }
    }
}

/// The fixture's answers as the form holds them: numbers as typed text.
fn as_typed(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Array(a) => Value::Array(a.iter().map(as_typed).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), as_typed(v))).collect()),
        other => other.clone(),
    }
}

#[test]
fn answers_as_typed_give_the_native_result() {
    let firm: Value = serde_json::from_str(FIRM).unwrap();
    let Value::Object(answers) = as_typed(&firm) else { unreachable!() };
    let loaded = engine::load_source(Some(&Source::Shipped("rules/hazchem-risk-2018.toml".into())));
    let Outcome::Assessed(a) = engine::evaluate(loaded.rules.as_ref().unwrap(), &answers, "2026-11-29") else {
        panic!("not assessed")
    };
    assert_eq!(serde_json::to_value(&*a).unwrap(), serde_json::from_str::<Value>(GOLDEN).unwrap());
}

#[test]
fn input_errors_name_the_answer() {
    let loaded = engine::load_source(Some(&Source::Shipped("rules/hazchem-risk-2018.toml".into())));
    let mut answers = Map::new();
    answers.insert("accidents".into(), json!([{ "deaths": "1" }]));
    let Outcome::InputErrors(errs) = engine::evaluate(loaded.rules.as_ref().unwrap(), &answers, "2026-11-29") else {
        panic!("expected input errors")
    };
    assert!(engine::error_for(&errs, "accidents[0].date").is_some(), "{errs:?}");
}

#[test]
fn broken_own_file_gives_diagnostics_with_lines() {
    let text = include_str!("../../e2e/fixtures/broken.toml");
    let src = Source::Own { path: "rules/broken.toml".into(), text: text.into() };
    let loaded = engine::load_source(Some(&src));
    assert!(loaded.rules.is_none());
    let d = loaded.diagnostics.iter().find(|d| d.is_error).unwrap();
    assert_eq!((d.code.as_str(), d.line), ("R0103", Some(14)));
    assert_eq!(d.location.as_deref(), Some("rules/broken.toml:14:16"));
}

#[test]
fn own_file_can_include_shipped_definitions() {
    let text = include_str!("../../rules/hazchem-risk-2018.toml");
    let src = Source::Own { path: "rules/my-copy.toml".into(), text: text.into() };
    assert!(engine::load_source(Some(&src)).rules.is_some());
}

#[test]
fn state_actions_and_json_round_trip() {
    let mut s = State::new("2026-11-29".into());
    s.apply(Action::SetInput { name: "x".into(), value: Some(json!("1")) });
    assert!(s.answers.is_empty(), "no answers before a rule set is chosen");
    s.apply(Action::Pick("rules/lec.toml".into()));
    s.apply(Action::SetInput { name: "x".into(), value: Some(json!("1")) });
    s.apply(Action::AddRow { list: "l".into() });
    s.apply(Action::AddRow { list: "l".into() });
    s.apply(Action::SetCell { list: "l".into(), idx: 1, field: "f".into(), value: Some(json!(true)) });
    s.apply(Action::RemoveRow { list: "l".into(), idx: 0 });
    s.apply(Action::SetLang(Lang::En));
    assert_eq!(s.current_answers(), json!({ "x": "1", "l": [{ "f": true }] }).as_object().unwrap().clone());
    let back = State::from_json(&s.to_json(), "2000-01-01".into());
    assert_eq!(back, s);
    s.apply(Action::Pick("rules/hazchem-risk-2018.toml".into()));
    assert!(s.current_answers().is_empty(), "answers are kept per rule set");
    s.apply(Action::Pick("rules/lec.toml".into()));
    s.apply(Action::Clear);
    assert!(s.current_answers().is_empty());
    let unknown = State::from_json(&json!({ "version": 1, "source": { "shipped": "rules/nope.toml" } }), "d".into());
    assert_eq!(unknown.source, None);
}

#[test]
fn answer_paths_read_as_labels_with_records_from_one() {
    use safegrade_web::components::result_panel::answer_label;
    let loaded = safegrade::load("rules/hazchem-risk-2018.toml", &shipped_loader);
    let Some(safegrade::Rules::Set(rules)) = loaded.rules else { panic!("hazchem does not load") };
    let s = rules.schema();
    let list = s.lists.iter().find(|l| l.name == "accidents").expect("an accidents list");
    let deaths = list.fields.iter().find(|f| f.name == "deaths").expect("a deaths field");
    let zh = answer_label(Lang::Zh, &s, "accidents[0].deaths");
    assert_eq!(zh, format!("{} 第1条 · {}", list.label.zh, deaths.label.zh));
    let en = answer_label(Lang::En, &s, "accidents[2].deaths");
    assert_eq!(en, format!("{}, record 3: {}", list.label.en.as_deref().unwrap(), deaths.label.en.as_deref().unwrap()));
    assert_eq!(answer_label(Lang::Zh, &s, "nonsense[x"), "nonsense[x");
}
