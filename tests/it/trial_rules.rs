//! Rule files and firm data built to find the engine's blind spots: numbers
//! with more decimal places than a decimal holds, yes/no answers in any
//! case, and rule sets whose functions expand exponentially.

use std::io::Cursor;

use chrono::NaiveDate;
use safegrade::batch::{BatchConfig, Source};
use safegrade::Rules;
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
        assert!(errs.iter().any(|e| e.starts_with(code) && e.contains("cannot be held exactly")), "{body}: {errs:?}");
    }
    // 28 places, and trailing zeros beyond them, check.
    let loaded = load_text(&format!(
        "{HEAD}[derived]\nx = \"0.0000000000000000000000000001\"\ny = \"1.000000000000000000000000000000\"\n{TAIL}"
    ));
    assert!(errors(&loaded).is_empty(), "{:?}", loaded.diagnostics);
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
