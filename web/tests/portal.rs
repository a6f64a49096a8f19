//! Native tests of the portal's logic (no browser): the shipped rule-set
//! table, the worker's protocol and the page's reading of it, the answers
//! and state and their stored form, and answer-file checks. Run with
//! `cargo test -p safegrade-web` (the web crate is not a default member;
//! scripts/test-browser.sh runs this).

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{json, Map, Value};

use safegrade_web::answers::Answers;
use safegrade_web::components::result_panel::{grade_color, text_color_on, NEUTRAL_COLOR};
use safegrade_web::engine::{self, Outcome};
use safegrade_web::i18n::Lang;
use safegrade_web::import::{self, Verdict};
use safegrade_web::rulesets::{shipped_loader, SHIPPED};
use safegrade_web::state::{Action, FileProblem, Notice, Source, State};
use safegrade_web::wire::{self, Reply};
use safegrade_web::worker;

const GOLDEN: &str = include_str!("../../tests/data/browser/hazchem-firm.expected.json");
const FIRM: &str = include_str!("../../e2e/fixtures/firm.json");
const HAZCHEM: &str = "rules/hazchem-risk-2018.toml";

#[test]
fn shipped_table_matches_the_rule_files() {
    for f in SHIPPED {
        let loaded = safegrade::load(f.path, &shipped_loader);
        let (name, scheme) = match loaded.rules {
            Some(safegrade::Rules::Set(rules)) => (rules.meta().name.clone(), false),
            Some(safegrade::Rules::Scheme(s)) => (s.meta().name.clone(), true),
            None => panic!("{} does not load", f.path),
        };
        assert_eq!((name, scheme), (f.name(), f.scheme), "{}: update it in web/src/rulesets.rs", f.path);
    }
    for folder in ["rules", "rules/schemes"] {
        let dir = format!("{}/../{folder}", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".toml") {
                let path = format!("{folder}/{name}");
                assert!(
                    SHIPPED.iter().any(|f| f.path == path),
                    "{path} is not offered by the portal (web/src/rulesets.rs)"
                );
            }
        }
    }
    assert!(shipped_loader("rules/../secret.toml").is_err(), "only listed files are served");
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

fn firm_answers() -> Answers {
    let Value::Object(m) = as_typed(&serde_json::from_str(FIRM).unwrap()) else { unreachable!() };
    Answers::from_json(m)
}

fn hazchem() -> Source {
    Source::Shipped(HAZCHEM.into())
}

#[test]
fn answers_as_typed_give_the_native_result() {
    let loaded = engine::load_source(Some(&hazchem()));
    let Outcome::Assessed(a) =
        engine::evaluate(loaded.rules.as_ref().unwrap(), &firm_answers().to_json(), "2026-11-29")
    else {
        panic!("not assessed")
    };
    assert_eq!(serde_json::to_value(&*a).unwrap(), serde_json::from_str::<Value>(GOLDEN).unwrap());
}

#[test]
fn input_errors_name_the_answer() {
    let loaded = engine::load_source(Some(&hazchem()));
    let Outcome::InputErrors(errs) =
        engine::evaluate(loaded.rules.as_ref().unwrap(), &json!({ "accidents": [{ "deaths": "1" }] }), "2026-11-29")
    else {
        panic!("expected input errors")
    };
    assert!(engine::error_for(&errs, "accidents[0].date", Lang::En).is_some(), "{errs:?}");
}

#[test]
fn broken_own_file_gives_diagnostics_with_lines() {
    let text = include_str!("../../e2e/fixtures/broken.toml");
    let src = Source::Own { path: "rules/broken.toml".into(), text: text.into(), others: Rc::from([]) };
    let loaded = engine::load_source(Some(&src));
    assert!(loaded.rules.is_none());
    let d = loaded.diagnostics.iter().find(|d| d.is_error).unwrap();
    assert_eq!((d.code.as_str(), d.line), ("R0103", Some(14)));
    assert_eq!(d.location.as_deref(), Some("rules/broken.toml:14:16"));
}

#[test]
fn own_file_can_include_shipped_definitions() {
    let text = include_str!("../../rules/hazchem-risk-2018.toml");
    let src = Source::Own { path: "rules/my-copy.toml".into(), text: text.into(), others: Rc::from([]) };
    assert!(engine::load_source(Some(&src)).rules.is_some());
}

/// One request to the worker's handler, its reply read as the page reads it.
fn ask(request: &str) -> Reply {
    Reply::parse(&worker::handle(request, || 0.0)).expect("a reply")
}

#[test]
fn the_worker_loads_evaluates_and_the_page_reads_core_types_back() {
    let Reply::Loaded { seq: 1, schema: Some(schema), diagnostics, steps } = ask(&wire::load_request(1, 7, &hazchem()))
    else {
        panic!("not loaded")
    };
    let Some(safegrade::Rules::Set(rules)) = engine::load_source(Some(&hazchem())).rules else { panic!("a rule set") };
    assert_eq!(*schema, rules.schema(), "the schema survives the trip");
    assert!(steps.is_empty(), "a rule set has no steps");
    assert!(diagnostics.iter().all(|d| !d.is_error));
    let Reply::Evaluated { seq: 2, evaluation } = ask(&wire::eval_request(2, 7, "2026-11-29", &firm_answers(), None))
    else {
        panic!("not evaluated")
    };
    let Outcome::Assessed(a) = evaluation.outcome else { panic!("not assessed") };
    assert_eq!(serde_json::to_value(&*a).unwrap(), serde_json::from_str::<Value>(GOLDEN).unwrap());
    assert_eq!(ask(&wire::eval_request(3, 8, "2026-11-29", &firm_answers(), None)), Reply::NotLoaded { seq: 3 });
    let Reply::Bench { seq: 4, mean_ms } = ask(&wire::eval_request(4, 7, "2026-11-29", &firm_answers(), Some(3)))
    else {
        panic!("no bench")
    };
    assert_eq!(mean_ms, 0.0);
    let mut bad = Map::new();
    bad.insert("accidents".into(), json!([{ "deaths": "1" }]));
    let Reply::Evaluated { evaluation, .. } =
        ask(&wire::eval_request(5, 7, "2026-11-29", &Answers::from_json(bad), None))
    else {
        panic!("not evaluated")
    };
    let Outcome::InputErrors(errs) = evaluation.outcome else { panic!("no input errors") };
    // The worker's reply carries both languages of core's message.
    assert_eq!(engine::error_for(&errs, "accidents[0].date", Lang::En), Some("required, but missing"));
    assert_eq!(engine::error_for(&errs, "accidents[0].date", Lang::Zh), Some("必填，但未填写"));
    assert!(matches!(ask("not json"), Reply::Refused { seq: 0, .. }));
    assert!(matches!(ask(r#"{"seq": 9, "op": "dance", "source": 1}"#), Reply::Refused { seq: 9, .. }));
    let broken = Source::Own { path: "rules/b.toml".into(), text: "[ruleset".into(), others: Rc::from([]) };
    let Reply::Loaded { schema: None, diagnostics, .. } = ask(&wire::load_request(6, 9, &broken)) else {
        panic!("a broken file loads")
    };
    assert!(diagnostics.iter().any(|d| d.is_error && d.line.is_some()));
}

const SCHEME: &str = "rules/schemes/hazchem.toml";

#[test]
fn a_scheme_through_the_worker_gives_each_step_as_core_does() {
    let scheme = Source::Shipped(SCHEME.into());
    let Reply::Loaded { schema: Some(schema), steps, diagnostics, .. } = ask(&wire::load_request(1, 3, &scheme)) else {
        panic!("the scheme does not load")
    };
    assert!(diagnostics.iter().all(|d| !d.is_error));
    let Some(safegrade::Rules::Scheme(core)) = safegrade::load(SCHEME, &shipped_loader).rules else { panic!("scheme") };
    assert_eq!(*schema, core.schema(), "one questionnaire for every step");
    let aliases: Vec<&str> = steps.iter().map(|s| s.alias.as_str()).collect();
    assert_eq!(aliases, ["blacklist", "risk", "credit", "tier"]);
    for (step, (alias, rules)) in steps.iter().zip(core.steps()) {
        assert_eq!((step.alias.as_str(), &step.schema), (alias, &rules.schema()));
        let declared: Vec<&str> = rules.result_columns().map(|(n, _)| n).collect();
        assert_eq!(step.results.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), declared);
    }
    assert_eq!(steps[0].results[0].1.zh.as_ref(), "列入日期", "titles as the rule file gives them");
    for (fixture, as_of) in [
        (include_str!("../../e2e/fixtures/hazchem-scheme.json"), "2024-06-30"),
        (include_str!("../../e2e/fixtures/hazchem-scheme-orange.json"), "2024-06-30"),
    ] {
        let Value::Object(m) = as_typed(&serde_json::from_str(fixture).unwrap()) else { unreachable!() };
        let answers = Answers::from_json(m);
        let Reply::Evaluated { evaluation, .. } = ask(&wire::eval_request(2, 3, as_of, &answers, None)) else {
            panic!("not evaluated")
        };
        let Outcome::Steps(got) = evaluation.outcome else { panic!("no steps: {:?}", evaluation.outcome) };
        let date = engine::parse_as_of(as_of).unwrap();
        let want = core.assess_json(&serde_json::from_str(fixture).unwrap(), date).unwrap();
        let want: Vec<(String, Value)> =
            want.steps.iter().map(|(k, a)| (k.clone(), serde_json::to_value(a).unwrap())).collect();
        let got: Vec<(String, Value)> =
            got.iter().map(|(k, a)| (k.clone(), serde_json::to_value(a).unwrap())).collect();
        assert_eq!(got, want, "each step as core gives it, in order");
    }
}

#[test]
fn a_users_scheme_runs_with_the_rule_files_chosen_with_it() {
    let text = |p: &str| std::fs::read_to_string(format!("{}/../{p}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    // A copy of the shipped scheme (steps named `../x.toml`) and a rule set of
    // the user's own: its credit step's file, renamed and re-versioned.
    let scheme = text(SCHEME).replace("../credit-rating.toml", "../my-credit.toml");
    let credit = text("rules/credit-rating.toml").replacen("version = \"", "version = \"9.", 1);
    let mut s = State::new("2024-06-30".into());
    s.apply(Action::LoadOwn(vec![("my-credit.toml".into(), credit.clone()), ("my-scheme.toml".into(), scheme)]));
    let Some(src @ Source::Own { path, others, .. }) = &s.source else { panic!("no own source") };
    assert_eq!(path, "rules/my-scheme.toml", "the scheme among the files chosen is the one used");
    assert_eq!(others.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), ["rules/my-credit.toml"]);
    let Reply::Loaded { schema: Some(_), steps, diagnostics, .. } = ask(&wire::load_request(1, 5, src)) else {
        panic!("the user's scheme does not load")
    };
    assert!(diagnostics.iter().all(|d| !d.is_error), "{diagnostics:?}");
    let credit_step = steps.iter().find(|s| s.alias == "credit").unwrap();
    assert!(credit_step.schema.ruleset.version.starts_with("9."), "the user's own credit file is read");
    assert_eq!(steps[1].schema.ruleset.id, "hazchem-risk-2018", "the other steps are the shipped files");
    // Without its rule file the scheme says which file is missing.
    s.apply(Action::LoadOwn(vec![(
        "my-scheme.toml".into(),
        text(SCHEME).replace("../credit-rating.toml", "../my-credit.toml"),
    )]));
    let Reply::Loaded { schema: None, diagnostics, .. } = ask(&wire::load_request(2, 6, s.source.as_ref().unwrap()))
    else {
        panic!("loads without its file")
    };
    assert!(diagnostics.iter().any(|d| d.is_error && d.message.contains("my-credit.toml")), "{diagnostics:?}");
    // Storage keeps the files chosen with it.
    let settings = s.settings_json();
    let back = State::restore(Some(&settings), s.source.clone(), BTreeMap::new(), "d".into());
    assert_eq!(back.source, s.source);
}

#[test]
fn every_schema_and_assessment_reads_back_unchanged() {
    for f in SHIPPED {
        let schema = engine::load_source(Some(&Source::Shipped(f.path.into()))).schema.unwrap();
        let back = wire::schema_from_json(&serde_json::to_value(&schema).unwrap());
        assert_eq!(back, schema, "{}", f.path);
    }
    let goldens = [
        GOLDEN,
        include_str!("../../tests/data/eval/hazchem_direct_red.expected.json"),
        include_str!("../../tests/data/eval/clean_missing.expected.json"),
        include_str!("../../tests/data/eval/hazchem_orange.expected.json"),
    ];
    for g in goldens {
        let j: Value = serde_json::from_str(g).unwrap();
        assert_eq!(serde_json::to_value(wire::assessment_from_json(&j)).unwrap(), j);
    }
}

#[test]
fn only_rrggbb_colours_reach_a_style_attribute() {
    assert_eq!(grade_color(Some("#1f6feb")), "#1f6feb");
    assert_eq!(grade_color(Some("#1f6feb;background-image:url(http://127.0.0.1:9999/leak)")), NEUTRAL_COLOR);
    for bad in ["red", "#fff", "#12345g", "#1234567", "", "#１２３４５６"] {
        assert_eq!(grade_color(Some(bad)), NEUTRAL_COLOR, "{bad}");
    }
    assert_eq!(grade_color(None), NEUTRAL_COLOR);
}

#[test]
fn a_badge_s_text_is_the_higher_contrast_of_black_and_white() {
    // The shipped grade colours: green (listed-not, credit A) takes black
    // text, which white would fail (3.2:1); red and blue take white.
    for (bg, text) in [("#2da44e", "#111"), ("#e3b341", "#111"), ("#f0883e", "#111"), ("#cf222e", "#fff")] {
        assert_eq!(text_color_on(bg), text, "{bg}");
    }
    assert_eq!((text_color_on("#1f6feb"), text_color_on("#da3633")), ("#fff", "#fff"));
    assert_eq!(
        (text_color_on("#ffffff"), text_color_on("#000000"), text_color_on("nonsense")),
        ("#111", "#fff", "#111")
    );
}

#[test]
fn an_edit_copies_one_record_and_unknown_answers_can_be_removed() {
    let mut a = firm_answers();
    let before = a.records("accidents");
    a.set_cell("accidents", 1, "deaths".into(), Some(json!("3")));
    let after = a.records("accidents");
    assert!(Rc::ptr_eq(&before[0], &after[0]), "the other record is shared");
    assert!(!Rc::ptr_eq(&before[1], &after[1]));
    assert_eq!(after[1].get("deaths"), Some(&json!("3")));

    let schema = engine::load_source(Some(&hazchem())).schema.unwrap();
    assert!(a.unknown(&schema).is_empty());
    let Value::Object(mut m) = a.to_json() else { unreachable!() };
    m.insert("colour".into(), json!("red"));
    m["accidents"][0]["weather"] = json!("rain");
    m["accidents"][1]["weather"] = json!("sun");
    let mut a = Answers::from_json(m);
    assert_eq!(a.unknown(&schema), ["accidents[].weather", "colour"]);
    a.drop_unknown(&schema);
    assert!(a.unknown(&schema).is_empty());
    assert_eq!(a.records("accidents").len(), 2);
}

#[test]
fn state_actions_and_storage_round_trip() {
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
    assert_eq!(s.current_answers().to_json(), json!({ "x": "1", "l": [{ "f": true }] }));
    let stored: BTreeMap<String, Map<String, Value>> =
        s.answers.iter().map(|(k, a)| (k.clone(), a.to_json().as_object().unwrap().clone())).collect();
    let back = State::restore(Some(&s.settings_json()), None, stored, "2000-01-01".into());
    assert_eq!(back, s);
    s.apply(Action::Pick(HAZCHEM.into()));
    assert!(s.current_answers().is_empty(), "answers are kept per rule set");
    let unknown = State::restore(
        Some(&json!({ "version": 2, "source": { "shipped": "rules/nope.toml" } })),
        None,
        BTreeMap::new(),
        "d".into(),
    );
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
    // A field the list does not have: the list's label and the field's name.
    assert_eq!(answer_label(Lang::Zh, &s, "accidents[].weather"), format!("{} · weather", list.label.zh));
    assert_eq!(answer_label(Lang::En, &s, "accidents[].weather"), "Production safety accidents: weather");
    // The as-of date by its label.
    assert_eq!(
        (answer_label(Lang::Zh, &s, "as_of"), answer_label(Lang::En, &s, "as_of")),
        ("评估基准日".into(), "Assessment date".into())
    );
    // An empty default is no default: printed and hinted as no answer.
    let id = list.fields.iter().find(|f| f.name == "id").expect("an id field");
    assert_eq!(id.default, Some(json!("")));
    assert_eq!(safegrade_web::components::field::default_text(Lang::Zh, id), None);
}

#[test]
fn as_of_dates_are_exactly_yyyy_mm_dd_naming_a_real_day() {
    let loaded = engine::load_source(Some(&hazchem()));
    let rules = loaded.rules.unwrap();
    for bad in ["2026-6-3", "+2026-1-1", "-001-01-01", "2026-02-30", "2026-13-45", ""] {
        assert_eq!(engine::parse_as_of(bad), None, "{bad}");
        let Outcome::InputErrors(errors) = engine::evaluate(&rules, &json!({}), bad) else { panic!("{bad} taken") };
        assert_eq!(errors[0].path, "as_of");
    }
    assert!(engine::parse_as_of("2024-02-29").is_some());
    assert!(matches!(engine::evaluate(&rules, &json!({}), "2026-11-29"), Outcome::Assessed(_)));
}

#[test]
fn an_answer_file_as_of_that_is_not_a_date_is_not_taken_and_the_notice_says_so() {
    let file = |as_of: Value| {
        json!({ "ruleset": { "id": "hazchem-risk-2018", "version": "1.1.0", "path": HAZCHEM },
            "as_of": as_of, "answers": { "n_explosives": "5" } })
        .to_string()
    };
    for bad in [json!("2026-13-45"), json!("x".repeat(100_000)), json!("2026-6-3"), json!(20261129)] {
        let mut s = State::new("2026-11-29".into());
        s.apply(Action::Pick(HAZCHEM.into()));
        let p = import::read(&file(bad.clone()), s.source.as_ref()).unwrap();
        assert_eq!((p.as_of.as_deref(), p.as_of_refused), (None, true), "{bad}");
        s.apply(Action::BeginImport(Rc::new(p)));
        s.apply(Action::ApplyImport);
        assert_eq!(s.as_of, "2026-11-29", "{bad}");
        assert_eq!(s.notice, Some(Notice::Loaded { date_kept: true }));
        assert_eq!(s.current_answers().value("n_explosives"), Some(&json!("5")));
    }
    let p = import::read(&file(json!("2025-01-01")), Some(&hazchem())).unwrap();
    assert_eq!((p.as_of.as_deref(), p.as_of_refused), (Some("2025-01-01"), false));
}

#[test]
fn unreadable_answer_files_say_why_in_parts_both_languages_can_tell() {
    let why = |text: &str| match import::read(text, Some(&hazchem())) {
        Err(Notice::BadAnswerFile(p)) => p,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(
        why("{x"),
        FileProblem::Syntax { at: Some((1, 2)), message: "key must be a string at line 1 column 2".into() }
    );
    let FileProblem::Syntax { at, .. } = why("[1,\n ") else { panic!("not a syntax error") };
    assert_eq!(at, Some((2, 1)));
    assert_eq!(why("[1]"), FileProblem::NotAnObject);
    assert_eq!(why(r#"{"answers": 1}"#), FileProblem::AnswersNotAnObject);
    let FileProblem::DuplicateKey { key, at, .. } = why(r#"{"a": 1, "a": 2}"#) else { panic!("not a duplicate") };
    assert_eq!((key.as_str(), at.0), ("a", 1));
}

#[test]
fn a_users_rule_file_is_restored_only_when_it_was_stored() {
    let settings = json!({ "version": 2, "lang": "zh", "as_of": "2026-01-01", "source": { "own": "rules/x.toml" } });
    let own = Source::Own {
        path: "rules/x.toml".into(),
        text: "text".into(),
        others: Rc::from([("rules/y.toml".to_string(), Rc::from("y"))]),
    };
    let s = State::restore(Some(&settings), Some(own.clone()), BTreeMap::new(), "d".into());
    assert_eq!(s.source, Some(own));
    let s = State::restore(Some(&settings), None, BTreeMap::new(), "d".into());
    assert_eq!((s.source, s.notice), (None, Some(Notice::RulesNotRestored("rules/x.toml".into()))));
    // The first format kept the text with the settings, with no sign it checked.
    let v1 = json!({ "version": 1, "source": { "own": "rules/x.toml", "text": "hang" }, "answers": {} });
    assert_eq!(State::restore(Some(&v1), None, BTreeMap::new(), "d".into()).source, None);
}

#[test]
fn clearing_and_loading_are_undoable_until_the_next_edit() {
    let mut s = State::new("2026-11-29".into());
    s.apply(Action::Pick(HAZCHEM.into()));
    s.apply(Action::SetInput { name: "n_explosives".into(), value: Some(json!("2")) });
    s.apply(Action::Clear);
    assert!(s.current_answers().is_empty());
    assert_eq!(s.notice, Some(Notice::Cleared));
    s.apply(Action::Undo);
    assert_eq!(s.current_answers().value("n_explosives"), Some(&json!("2")));

    let file = json!({ "ruleset": { "id": "hazchem-risk-2018", "version": "1.1.0", "path": HAZCHEM },
        "as_of": "2025-01-01", "answers": { "n_explosives": "5" } });
    let p = import::read(&file.to_string(), s.source.as_ref()).unwrap();
    s.apply(Action::BeginImport(Rc::new(p)));
    s.apply(Action::ApplyImport);
    assert_eq!((s.current_answers().value("n_explosives"), s.as_of.as_str()), (Some(&json!("5")), "2025-01-01"));
    s.apply(Action::SetInput { name: "n_explosives".into(), value: Some(json!("6")) });
    assert_eq!((s.undo.clone(), s.notice.clone()), (None, None), "an edit ends the offer to undo");
}

#[test]
fn answer_files_are_checked_against_their_rule_set() {
    let schema = engine::load_source(Some(&hazchem())).schema.unwrap();
    let credit = Source::Shipped("rules/credit-rating.toml".into());
    // A file naming a shipped rule set goes to it, whatever is chosen.
    let file = |id: &str, version: &str, path: Value, n: usize| {
        json!({ "ruleset": { "id": id, "version": version, "path": path },
            "answers": { "accidents": vec![json!({ "date": "2020-01-01" }); n] } })
        .to_string()
    };
    let p =
        import::read(&file("hazchem-risk-2018", &schema.ruleset.version, json!(HAZCHEM), 1), Some(&credit)).unwrap();
    assert_eq!((p.target.clone(), p.previous.clone()), (hazchem(), Some(credit.clone())));
    assert_eq!(import::check(&p, &schema), Verdict::Apply);
    // Another rule set, or another version: ask.
    let p = import::read(&file("credit-rating", "1.0.0", Value::Null, 1), Some(&hazchem())).unwrap();
    assert!(matches!(import::check(&p, &schema), Verdict::Ask(Notice::ConfirmImport { .. })));
    let p = import::read(&file("hazchem-risk-2018", "0.9", Value::Null, 1), Some(&hazchem())).unwrap();
    assert!(matches!(import::check(&p, &schema), Verdict::Ask(_)));
    // Records beyond the list's limit: refused, naming the list.
    let limit = schema.lists.iter().find(|l| l.name == "accidents").unwrap().max_records as usize;
    let p = import::read(&file("hazchem-risk-2018", &schema.ruleset.version, Value::Null, limit + 1), Some(&hazchem()))
        .unwrap();
    let Verdict::Refuse(Notice::TooManyRecords { label, count, .. }) = import::check(&p, &schema) else {
        panic!("not refused")
    };
    assert_eq!((label.en.as_deref(), count), (Some("Production safety accidents"), limit + 1));
    let p = import::read(&file("hazchem-risk-2018", &schema.ruleset.version, Value::Null, limit), Some(&hazchem()))
        .unwrap();
    assert_eq!(import::check(&p, &schema), Verdict::Apply);
    // A bare firm object (the CLI's format) goes to the current rule set.
    assert_eq!(import::read(r#"{"n_explosives": 1}"#, Some(&hazchem())).unwrap().target, hazchem());
    assert_eq!(import::read(r#"{"n_explosives": 1}"#, None), Err(Notice::NoRuleSet));
    assert!(matches!(import::read("[1]", Some(&hazchem())), Err(Notice::BadAnswerFile(_))));
    assert!(matches!(import::read(r#"{"a": 1, "a": 2}"#, Some(&hazchem())), Err(Notice::BadAnswerFile(_))));
}

#[test]
fn sizes_and_times_read_as_the_formatter_writes_them() {
    use safegrade_web::import::human_size;
    use safegrade_web::platform::fixed;
    let mb = 1024.0 * 1024.0;
    // File sizes: whole bytes.
    for bytes in [
        0.0f64,
        1.0,
        1023.0,
        1024.0,
        1025.0,
        500_000.0,
        mb - 1.0,
        mb,
        1.25 * mb,
        1.35 * mb,
        1.05 * mb,
        16.0 * mb,
        50.0 * mb + 52_428.0,
        50.0 * mb + 52_429.0,
    ] {
        let bytes = bytes.floor();
        let want =
            if bytes >= mb { format!("{:.1} MB", bytes / mb) } else { format!("{:.0} KB", (bytes / 1024.0).ceil()) };
        assert_eq!(human_size(bytes), want, "{bytes}");
    }
    for (x, places, want) in [
        (0.0, 1, "0.0"),
        (12.345, 1, "12.3"),
        (0.0004, 3, "0.000"),
        (1.25, 3, "1.250"),
        (987.6543, 3, "987.654"),
        (3.96, 1, "4.0"),
        (7.0, 0, "7"),
    ] {
        assert_eq!(fixed(x, places), want);
    }
}
