//! Rule files and firm data built to find the engine's blind spots: numbers
//! with more decimal places than a decimal holds, yes/no answers in any
//! case, rule sets whose functions expand exponentially, and includes that
//! reach outside the rules root or carry terminal escape sequences.

use std::cell::RefCell;
use std::io::Cursor;

use chrono::NaiveDate;
use safegrade::batch::{BatchConfig, Source};
use safegrade::{LoadConfig, Rules, SourceLoader};
use serde_json::json;

use crate::support;

const HEAD: &str = "[ruleset]\nid = \"t\"\nname = \"t\"\nversion = \"1\"\n";
const TAIL: &str = "[score]\nbase = \"1\"\n[[grades]]\nid = \"all\"\nlabel = \"all\"\n";

/// 29 decimal places: one more than a decimal holds.
const TINY: &str = "0.00000000000000000000000000001";

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).expect("a date")
}

fn no_files(p: &str) -> Result<String, String> {
    Err(format!("no file {p}"))
}

fn load_text(text: &str) -> safegrade::Loaded {
    safegrade::load_str("trial.toml", text, &no_files)
}

fn rules(text: &str) -> safegrade::CompiledRules {
    let loaded = load_text(text);
    match loaded.rules {
        Some(Rules::Set(r)) => r,
        _ => panic!("does not check: {:?}", loaded.diagnostics),
    }
}

/// Every error as `CODE message`.
fn errors(loaded: &safegrade::Loaded) -> Vec<String> {
    loaded.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{} {}", d.code, d.message)).collect()
}

/// A rule set with a decimal input `n` and a bool input `b`, both reported.
fn two_inputs() -> safegrade::CompiledRules {
    rules(&format!(
        "{HEAD}[inputs.n]\ntype = \"decimal\"\nlabel = \"n\"\n[inputs.b]\ntype = \"bool\"\nlabel = \"b\"\n\
         [derived]\nx = \"n\"\ny = \"b\"\n{TAIL}"
    ))
}

#[test]
fn a_firm_value_with_more_than_28_decimal_places_is_refused_not_rounded() {
    let r = two_inputs();
    let exponent = format!("{TINY}e0");
    for answer in [json!(TINY), serde_json::from_str(TINY).expect("a JSON number"), json!(exponent)] {
        let err = r.assess_json(&json!({"n": answer, "b": true}), as_of()).expect_err("refused");
        let msg = err.to_string();
        assert!(msg.contains("n:") && msg.contains("more than 28 decimal places"), "{answer}: {msg}");
    }
    // Trailing zeros lose nothing: the value is kept.
    let res = r.assess_json(&json!({"n": "1.500000000000000000000000000000", "b": true}), as_of()).expect("read");
    assert_eq!(res.values["x"], "1.5");
}

#[test]
fn a_csv_cell_with_more_than_28_decimal_places_is_a_bad_value() {
    let r = Rules::Set(two_inputs());
    let firms = format!("uscc,n,b\n91310115MA0000007H,{TINY},是\n");
    let cfg = BatchConfig::new(as_of());
    let run = support::score_sources(&r, &cfg, Source::new("firms.csv", Cursor::new(firms.into_bytes())), vec![])
        .expect("the run ends");
    assert!(run.out.lines().count() == 1, "scored: {}", run.out);
    assert!(
        run.rejects.contains("bad_value") && run.rejects.contains("more than 28 decimal places"),
        "{}",
        run.rejects
    );
}

#[test]
fn a_rule_literal_with_more_than_28_decimal_places_does_not_check() {
    let cases = [
        (format!("[derived]\nx = \"{TINY}\"\n"), "R0001"),
        (format!("[inputs.n]\ntype = \"decimal\"\nlabel = \"n\"\nmin = \"{TINY}\"\n[derived]\nx = \"n\"\n"), "R0003"),
        (
            format!(
                "[tables.t]\nkey = \"text\"\ncolumns = {{ v = \"decimal\" }}\nrows = [{{ key = \"a\", v = \"{TINY}\" }}]\n\
                 [derived]\nx = \"lookup(t, \\\"a\\\")\"\n"
            ),
            "R0209",
        ),
        // A TOML float: written as a number, not a string.
        ("[[items]]\nid = \"i\"\nlabel = \"i\"\npoints = 1e-30\n".to_string(), "R0001"),
        // More significant digits than a decimal holds, within 28 places.
        ("[derived]\nx = \"9.2345678901234567890123456789\"\n".to_string(), "R0001"),
    ];
    for (body, code) in cases {
        let loaded = load_text(&format!("{HEAD}{body}{TAIL}"));
        let errs = errors(&loaded);
        // Table cells are read as answers are, and say so in the answers' words.
        let exact = |e: &String| e.contains("cannot be held exactly") || e.contains("cannot be kept exact");
        assert!(errs.iter().any(|e| e.starts_with(code) && exact(e)), "{body}: {errs:?}");
    }
    // 28 places, and trailing zeros beyond them, check.
    let loaded = load_text(&format!(
        "{HEAD}[derived]\nx = \"0.0000000000000000000000000001\"\ny = \"1.000000000000000000000000000000\"\n{TAIL}"
    ));
    assert!(errors(&loaded).is_empty(), "{:?}", loaded.diagnostics);
}

/// An unquoted TOML number is a binary float: one that the float would
/// change is refused wherever it stands, and its quoted form is exact.
#[test]
fn a_bare_number_that_toml_would_round_does_not_check() {
    let places = "0.1000000000000000000000000001";
    let cases = [
        "[inputs.l]\ntype = \"decimal\"\nlabel = \"l\"\nmax = 20.0000000000000001\n[derived]\nx = \"l\"\n".to_string(),
        format!("[inputs.l]\ntype = \"decimal\"\nlabel = \"l\"\nmin = {places}\n[derived]\nx = \"l\"\n"),
        "[[items]]\nid = \"i\"\nlabel = \"i\"\npoints = 123456789.123456789\n".to_string(),
        "[tables.t]\nkey = \"text\"\ncolumns = { v = \"decimal\" }\nrows = [{ key = \"a\", v = 0.30000000000000001 }]\n\
         [derived]\nx = \"lookup(t, \\\"a\\\")\"\n"
            .to_string(),
        "[inputs.l]\ntype = \"decimal\"\nlabel = \"l\"\n[derived]\nx = \"l\"\n\
         [[tests]]\nname = \"c\"\ninput = { l = 20.0000000000000001 }\nexpect = { grade = \"all\" }\n"
            .to_string(),
    ];
    for body in &cases {
        let errs = errors(&load_text(&format!("{HEAD}{body}{TAIL}")));
        assert!(
            errs.iter().any(|e| e.starts_with("R0001 the bare number") && e.contains("not as written")),
            "{body}: {errs:?}"
        );
        // Quoted, the same number is read exactly, and the file checks.
        let quoted = ["20.0000000000000001", places, "123456789.123456789", "0.30000000000000001"]
            .iter()
            .fold(body.clone(), |b, n| b.replace(&format!("= {n}"), &format!("= \"{n}\"")));
        let errs = errors(&load_text(&format!("{HEAD}{quoted}{TAIL}")));
        assert!(errs.is_empty(), "{quoted}: {errs:?}");
    }
    // Bare numbers that a float holds exactly check as before.
    let body = "[inputs.l]\ntype = \"decimal\"\nlabel = \"l\"\nmin = 0.5\nmax = 1e3\n[derived]\nx = \"l\"\n";
    assert!(errors(&load_text(&format!("{HEAD}{body}{TAIL}"))).is_empty());
}

#[test]
fn yes_and_no_are_read_in_any_case() {
    let r = two_inputs();
    for (answer, want) in
        [("Yes", true), ("YES", true), ("No", false), ("nO", false), ("True", true), ("FALSE", false), ("Y", true)]
    {
        let res = r.assess_json(&json!({"n": 1, "b": answer}), as_of()).unwrap_or_else(|e| panic!("{answer}: {e}"));
        assert_eq!(res.values["y"], want, "{answer}");
    }
    let err = r.assess_json(&json!({"n": 1, "b": "maybe"}), as_of()).expect_err("refused").to_string();
    for spelling in ["是/否", "true/false", "yes/no", "y/n", "1/0"] {
        assert!(err.contains(spelling), "{err} does not list {spelling}");
    }
}

/// `[functions.f0]` … `[functions.fN]`, each calling the one before `arity` times
/// through `combine` (`f(a) + f(a)`, `max(f(a), …)`).
fn exploding_functions(levels: usize, arity: usize, combine: &str) -> String {
    let mut fns = String::from("[functions.f0]\nparams = { a = \"decimal\" }\nreturns = \"decimal\"\nbody = \"a\"\n");
    for k in 1..=levels {
        let calls = vec![format!("f{}(a)", k - 1); arity];
        let body = match combine {
            "+" => calls.join(" + "),
            f => format!("{f}({})", calls.join(", ")),
        };
        fns.push_str(&format!(
            "[functions.f{k}]\nparams = {{ a = \"decimal\" }}\nreturns = \"decimal\"\nbody = \"{body}\"\n"
        ));
    }
    fns
}

#[test]
fn functions_that_expand_exponentially_do_not_check() {
    for (levels, arity, combine) in [(30, 2, "+"), (4, 64, "max")] {
        let text = format!(
            "{HEAD}[inputs.a]\ntype = \"decimal\"\nlabel = \"a\"\n{}[derived]\nx = \"f{levels}(a)\"\n{TAIL}",
            exploding_functions(levels, arity, combine)
        );
        assert!(text.len() < 12_000, "a small file: {} bytes", text.len());
        let errs = errors(&load_text(&text));
        assert!(
            errs.iter().any(|e| e.starts_with("R0213")
                && e.contains("derived value `x`")
                && e.contains("the limit is 50,000")),
            "{levels} levels of {arity}: {errs:?}"
        );
    }
}

#[test]
fn an_exploding_rule_set_whose_answers_take_few_values_checks_quickly() {
    // Inputs with few values make the checker evaluate every combination of
    // answers: the cost bound has to stop the file before that.
    let text = format!(
        "{HEAD}[inputs.a]\ntype = \"bool\"\nlabel = \"a\"\n{}[derived]\nx = \"f40(if a then 1 else 2)\"\n{TAIL}",
        exploding_functions(40, 2, "+")
    );
    let errs = errors(&load_text(&text));
    assert!(errs.iter().any(|e| e.starts_with("R0213")), "{errs:?}");
}

#[test]
fn derived_values_count_once_however_often_they_are_used() {
    // The same doubling as derived values: each is computed once per firm.
    let mut derived = String::from("[derived]\nd0 = \"a\"\n");
    for k in 1..=60 {
        derived.push_str(&format!("d{k} = \"d{} + d{}\"\n", k - 1, k - 1));
    }
    let text = format!("{HEAD}[inputs.a]\ntype = \"decimal\"\nlabel = \"a\"\n{derived}{TAIL}");
    let r = rules(&text);
    let res = r.assess_json(&json!({"a": "0.000001"}), as_of()).expect("evaluates");
    assert_eq!(res.values["d20"], "1.048576");
}

/// Serves files from a list and records every path asked for, and the root
/// passed with it.
struct Files {
    files: Vec<(&'static str, String)>,
    asked: RefCell<Vec<(String, Option<String>)>>,
}

impl Files {
    fn new(files: Vec<(&'static str, String)>) -> Files {
        Files { files, asked: RefCell::new(Vec::new()) }
    }

    fn serve(&self, path: &str, root: Option<&str>) -> Result<String, String> {
        self.asked.borrow_mut().push((path.to_string(), root.map(str::to_string)));
        self.files.iter().find(|(p, _)| *p == path).map(|(_, t)| t.clone()).ok_or_else(|| format!("no file {path}"))
    }

    fn asked_for(&self, path: &str) -> bool {
        self.asked.borrow().iter().any(|(p, _)| p == path)
    }
}

impl SourceLoader for Files {
    fn load(&self, path: &str) -> Result<String, String> {
        self.serve(path, None)
    }

    fn load_within(&self, path: &str, root: &str) -> Result<String, String> {
        self.serve(path, Some(root))
    }
}

fn including(paths: &[&str]) -> String {
    let list: Vec<String> = paths.iter().map(|p| format!("{p:?}")).collect();
    format!("{HEAD}include = [{}]\n{TAIL}", list.join(", "))
}

fn shared() -> String {
    format!("{HEAD}[functions.one]\nparams = {{}}\nreturns = \"integer\"\nbody = \"1\"\n{TAIL}")
        .replace("id = \"t\"", "id = \"s\"")
}

#[test]
fn includes_outside_the_rules_root_are_refused_unread() {
    let escapes = ["../../secret.toml", "/etc/passwd", "sub/../../secret.toml", "/proc/self/environ"];
    let files = Files::new(vec![("bureau/rules/main.toml", including(&escapes))]);
    let loaded = safegrade::load("bureau/rules/main.toml", &files);
    let errs = errors(&loaded);
    assert_eq!(errs.iter().filter(|e| e.starts_with("R0008")).count(), escapes.len(), "{errs:?}");
    assert!(errs.iter().all(|e| e.contains("outside the rules root `bureau/rules`")), "{errs:?}");
    for asked in ["secret.toml", "bureau/secret.toml", "/etc/passwd", "/proc/self/environ"] {
        assert!(!files.asked_for(asked), "{asked} was read");
    }
}

#[test]
fn includes_inside_the_root_are_read_with_the_root() {
    let files = Files::new(vec![
        ("bureau/rules/main.toml", including(&["shared/one.toml"])),
        ("bureau/rules/shared/one.toml", shared()),
    ]);
    let loaded = safegrade::load("bureau/rules/main.toml", &files);
    assert!(errors(&loaded).is_empty(), "{:?}", loaded.diagnostics);
    let asked = files.asked.borrow();
    assert_eq!(asked[0], ("bureau/rules/main.toml".to_string(), None), "the top file is read as named");
    assert_eq!(asked[1], ("bureau/rules/shared/one.toml".to_string(), Some("bureau/rules".to_string())));
}

#[test]
fn a_declared_root_lets_includes_reach_further() {
    let files = Files::new(vec![
        ("bureau/rules/main.toml", including(&["../common/one.toml"])),
        ("bureau/common/one.toml", shared()),
    ]);
    assert!(errors(&safegrade::load("bureau/rules/main.toml", &files)).iter().any(|e| e.starts_with("R0008")));
    let config = LoadConfig { root: Some("bureau".into()) };
    let loaded = safegrade::load_with("bureau/rules/main.toml", &files, &config);
    assert!(errors(&loaded).is_empty(), "{:?}", loaded.diagnostics);
    assert!(matches!(loaded.rules, Some(Rules::Set(_))));
}

#[test]
fn a_scheme_reads_the_rule_sets_in_the_folder_above_its_own() {
    let scheme = |step: &str| {
        format!("[scheme]\nid = \"s\"\nname = \"s\"\nversion = \"1\"\n[[steps]]\nas = \"a\"\nrules = \"{step}\"\n")
    };
    let files = Files::new(vec![
        ("rules/schemes/good.toml", scheme("../main.toml")),
        ("rules/schemes/bad.toml", scheme("../../main.toml")),
        ("rules/main.toml", including(&["shared.toml"])),
        ("rules/shared.toml", shared()),
        ("main.toml", including(&[])),
    ]);
    let loaded = safegrade::load("rules/schemes/good.toml", &files);
    assert!(errors(&loaded).is_empty(), "{:?}", loaded.diagnostics);
    assert!(files.asked.borrow().iter().skip(1).all(|(_, root)| root.as_deref() == Some("rules")));
    let errs = errors(&safegrade::load("rules/schemes/bad.toml", &files));
    assert!(errs.iter().any(|e| e.starts_with("R0008") && e.contains("outside the rules root `rules`")), "{errs:?}");
    assert!(!files.asked_for("main.toml"));
}

#[test]
fn diagnostics_show_control_characters_as_escapes() {
    // A raw escape sequence in the file (TOML refuses it) and one in a path
    // that a message repeats.
    let text = format!("{HEAD}notes = \"\u{1b}[2J\u{1b}]0;owned\u{7}\"\n{TAIL}");
    let loaded = load_text(&text);
    let rendered: String = loaded.diagnostics.iter().map(|d| loaded.sources.render(d)).collect();
    assert!(!loaded.diagnostics.is_empty());
    assert!(!rendered.chars().any(|c| c.is_control() && c != '\n'), "{rendered:?}");
    assert!(rendered.contains("\\u{1b}[2J"), "{rendered}");

    let loaded = load_text(&format!("{HEAD}include = [\"\\u001b[31mred\\r.toml\"]\n{TAIL}"));
    let rendered: String = loaded.diagnostics.iter().map(|d| loaded.sources.render(d)).collect();
    assert!(!rendered.chars().any(|c| c.is_control() && c != '\n'), "{rendered:?}");
    assert!(rendered.contains("\\u{1b}[31mred\\r.toml"), "{rendered}");
}
