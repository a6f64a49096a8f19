//! Hostile rule files and firm data: every one gets a clear error naming
//! where and what, and none panics, hangs or overflows the stack.

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::json;

fn no_files(p: &str) -> Result<String, String> {
    Err(format!("no file {p}"))
}

fn load_text(text: &str) -> safegrade::Loaded {
    safegrade::load_str("hostile.toml", text, &no_files)
}

fn first_error(text: &str) -> String {
    let loaded = load_text(text);
    let d = loaded.diagnostics.iter().find(|d| d.is_error()).expect("an error");
    format!("{} {}", d.code, d.message)
}

const HEAD: &str = "[ruleset]\nid = \"h\"\nname = \"h\"\nversion = \"1\"\n";
const TAIL: &str = "[score]\nbase = \"x\"\n[[grades]]\nid = \"all\"\nlabel = \"all\"\n";

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).expect("a date")
}

fn simple_rules(derived: &str) -> safegrade::CompiledRules {
    let text = format!(
        "{HEAD}[inputs.n]\ntype = \"decimal\"\nlabel = \"n\"\n[lists.recs]\n[lists.recs.fields.v]\ntype = \"integer\"\n[derived]\n{derived}\n{TAIL}"
    );
    let loaded = load_text(&text);
    match loaded.rules {
        Some(safegrade::Rules::Set(r)) => r,
        _ => panic!("does not load: {:?}", loaded.diagnostics),
    }
}

#[test]
fn deeply_nested_expressions_are_diagnostics() {
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let text = format!("{HEAD}[derived]\nx = \"{deep}\"\n{TAIL}");
    assert!(first_error(&text).starts_with("R0002"));
}

#[test]
fn long_chains_of_derived_values_are_diagnostics() {
    let mut derived = String::from("x = \"d0\"\n");
    for i in 0..5_000 {
        derived.push_str(&format!("d{i} = \"d{} + 1\"\n", i + 1));
    }
    derived.push_str("d5000 = \"1\"\n");
    let text = format!("{HEAD}[derived]\n{derived}{TAIL}");
    assert!(first_error(&text).starts_with("R0212"), "{}", first_error(&text));
}

#[test]
fn long_chains_of_function_calls_are_diagnostics() {
    let mut fns = String::new();
    for i in 0..500 {
        fns.push_str(&format!(
            "[functions.f{i}]\nparams = {{ n = \"integer\" }}\nreturns = \"integer\"\nbody = \"f{}(n) + 1\"\n",
            i + 1
        ));
    }
    fns.push_str("[functions.f500]\nparams = { n = \"integer\" }\nreturns = \"integer\"\nbody = \"n\"\n");
    let text = format!("{HEAD}{fns}[derived]\nx = \"f0(1)\"\n{TAIL}");
    assert!(first_error(&text).starts_with("R0212"), "{}", first_error(&text));
}

#[test]
fn functions_stacking_deep_bodies_are_a_check_error_not_a_crash() {
    // 64 functions, each 120 operations deep and calling the next: every
    // per-expression limit holds, but expanded they nest 7,680 deep.
    let mut fns = String::new();
    for i in 0..64 {
        let body = if i == 63 { "a".to_string() } else { format!("f{}(a)", i + 1) };
        fns.push_str(&format!(
            "[functions.f{i}]\nparams = {{ a = \"integer\" }}\nreturns = \"integer\"\nbody = \"{body}{}\"\n",
            " + 1".repeat(120)
        ));
    }
    let text = format!("{HEAD}[inputs.x]\ntype = \"integer\"\nlabel = \"x\"\n{fns}[derived]\nx2 = \"f0(x)\"\n{TAIL}")
        .replace("base = \"x\"", "base = \"1\"");
    let err = first_error(&text);
    assert!(err.starts_with("R0212") && err.contains("once its functions are expanded"), "{err}");
    // Two functions of 80 each stay within the limit and evaluate.
    let plus = " + 1".repeat(80);
    let two = format!(
        "{HEAD}[inputs.x]\ntype = \"integer\"\nlabel = \"x\"\n[functions.f0]\nparams = {{ a = \"integer\" }}\nreturns = \"integer\"\nbody = \"f1(a){plus}\"\n[functions.f1]\nparams = {{ a = \"integer\" }}\nreturns = \"integer\"\nbody = \"a{plus}\"\n[derived]\nx2 = \"f0(x)\"\n{TAIL}"
    )
    .replace("base = \"x\"", "base = \"1\"");
    let loaded = load_text(&two);
    let Some(safegrade::Rules::Set(r)) = loaded.rules else { panic!("checks: {:?}", loaded.diagnostics.first()) };
    // Near the limit, evaluation fits in the 2 MiB a spawned thread (a rayon
    // worker) gets even unoptimised, and optimised in a quarter of the 1 MiB
    // stack of a wasm module.
    let stack = if cfg!(debug_assertions) { 2 << 20 } else { 256 << 10 };
    let res = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || r.assess_json(&json!({"x": 1}), as_of()))
        .expect("a thread")
        .join()
        .expect("no stack overflow")
        .expect("evaluates");
    assert_eq!(res.values["x2"], "161");
}

#[test]
fn deeply_nested_toml_is_an_error() {
    let text = format!("{HEAD}[derived]\nx = {}1{}\n{TAIL}", "[".repeat(50_000), "]".repeat(50_000));
    assert!(first_error(&text).starts_with("R0003"));
}

#[test]
fn huge_rule_files_are_refused() {
    let text = format!("{HEAD}notes = \"{}\"\n{TAIL}", "x".repeat(5 * 1024 * 1024));
    assert!(first_error(&text).contains("limited to"));
}

#[test]
fn unknown_input_fields_are_errors() {
    let r = simple_rules("x = \"n\"");
    let err = r.assess_json(&json!({"n": 1, "nn": 2}), as_of()).expect_err("unknown field");
    assert!(err.to_string().contains("nn: unknown field; did you mean `n`?"), "{err}");
    let err = r.assess_json(&json!({"n": 1, "recs": [{"v": 1, "w": 2}]}), as_of()).expect_err("unknown field");
    assert!(err.to_string().contains("recs[0].w: unknown field"), "{err}");
}

#[test]
fn numbers_beyond_the_decimal_range_are_errors() {
    let r = simple_rules("x = \"n\"");
    for big in ["1e400", "123456789012345678901234567890123", "-1e29", "\"1.00000000000000000000000000001\""] {
        let input: serde_json::Value = serde_json::from_str(&format!("{{\"n\": {big}}}")).expect("json");
        let err = r.assess_json(&input, as_of()).expect_err("out of range");
        let msg = err.to_string();
        assert!(msg.contains("n:") && (msg.contains("range") || msg.contains("28 significant digits")), "{big}: {msg}");
    }
}

#[test]
fn overflow_and_division_by_zero_name_the_value() {
    let r = simple_rules("x = \"n * n * n\"\ny = \"1 / (n - 2)\"");
    let err = r.assess_json(&json!({"n": "99999999999999"}), as_of()).expect_err("overflow");
    assert!(err.to_string().contains("derived value `x`: number out of range"), "{err}");
    let err = r.assess_json(&json!({"n": 2}), as_of()).expect_err("division by zero");
    assert!(err.to_string().contains("derived value `y`: division by zero"), "{err}");
}

#[test]
fn a_million_records_is_a_clear_error() {
    let r = simple_rules("x = \"count(recs)\"");
    let recs: Vec<serde_json::Value> = (0..1_000_000).map(|_| json!({"v": 1})).collect();
    let err = r.assess_json(&json!({"n": 1, "recs": recs}), as_of()).expect_err("too many");
    assert!(err.to_string().contains("recs: 1000000 records is more than the limit of 100000"), "{err}");
    let recs: Vec<serde_json::Value> = (0..100_000).map(|_| json!({"v": 1})).collect();
    let res = r.assess_json(&json!({"n": 1, "recs": recs}), as_of()).expect("at the limit");
    assert_eq!(res.values["x"], "100000");
}

#[test]
fn deeply_nested_json_is_refused_by_the_parser() {
    let deep = format!("{{\"n\": {}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(serde_json::from_str::<serde_json::Value>(&deep).is_err());
    let r = simple_rules("x = \"n\"");
    let nested = json!({"n": [[[[1]]]]});
    let err = r.assess_json(&nested, as_of()).expect_err("wrong type");
    assert!(err.to_string().contains("n: expected decimal, found a list"), "{err}");
}

#[test]
fn an_option_id_wins_over_another_options_label() {
    // Option `low` is labelled "high" in English; the answer "high" is option `high`.
    let text = format!(
        "{HEAD}[inputs.lvl]\ntype = \"enum\"\nlabel = \"l\"\noptions = [{{ id = \"low\", label = {{ zh = \"低\", en = \"high\" }} }}, {{ id = \"high\", label = \"高\" }}]\n[derived]\nis_high = \"lvl == \\\"high\\\"\"\n{TAIL}"
    )
    .replace("base = \"x\"", "base = \"1\"");
    let loaded = load_text(&text);
    let Some(safegrade::Rules::Set(r)) = loaded.rules else { panic!("loads: {:?}", loaded.diagnostics) };
    let res = r.assess_json(&json!({"lvl": "high"}), as_of()).expect("assessed");
    assert_eq!(res.values["is_high"], true);
    let res = r.assess_json(&json!({"lvl": "低"}), as_of()).expect("assessed");
    assert_eq!(res.values["is_high"], false);
}

#[test]
fn an_item_capped_to_zero_does_not_fire() {
    let text = format!("{HEAD}[inputs.n]\ntype = \"decimal\"\nlabel = \"n\"\n[[items]]\nid = \"it\"\nlabel = \"it\"\npoints = \"n\"\nmax = 0\n{TAIL}")
        .replace("base = \"x\"", "base = \"1\"");
    let Some(safegrade::Rules::Set(r)) = load_text(&text).rules else { panic!("loads") };
    let res = r.assess_json(&json!({"n": 5}), as_of()).expect("assessed");
    assert!(res.items.is_empty(), "{:?}", res.items);
    let res = r.assess_json(&json!({"n": -5}), as_of()).expect("assessed");
    assert_eq!(res.items.len(), 1);
}

#[test]
fn impossible_dates_are_errors() {
    let text = format!("{HEAD}[inputs.d]\ntype = \"date\"\nlabel = \"d\"\n[derived]\nx = \"d within 1 year\"\n{TAIL}")
        .replace("base = \"x\"", "base = \"1\"");
    let Some(safegrade::Rules::Set(r)) = load_text(&text).rules else { panic!("loads") };
    for bad in ["2026-02-30", "2026-13-01", "26-1-1", "2026/01/01", ""] {
        let res = r.assess_json(&json!({"d": bad}), as_of());
        assert!(res.is_err(), "{bad} accepted");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_rule_text_never_panics(text in "\\PC{0,400}") {
        let _ = load_text(&text);
    }

    #[test]
    fn arbitrary_expressions_never_panic(expr in "[a-z0-9_ +*/()<>=!.\"-]{0,80}") {
        let text = format!("{HEAD}[inputs.n]\ntype = \"decimal\"\nlabel = \"n\"\n[derived]\nx = '{expr}'\n{TAIL}").replace("base = \"x\"", "base = \"1\"");
        if let Some(safegrade::Rules::Set(r)) = load_text(&text).rules {
            let _ = r.assess_json(&json!({"n": "3.5"}), as_of());
        }
    }

    #[test]
    fn arbitrary_input_values_never_panic(v in "\\PC{0,40}", n in any::<i64>()) {
        let r = simple_rules("x = \"n * 2\"");
        let _ = r.assess_json(&json!({"n": v}), as_of());
        let _ = r.assess_json(&json!({"n": n, "recs": [{"v": v}]}), as_of());
    }
}

/// A scheme step fed a value that a file could not hold: a number with more
/// than 28 significant digits, a date beyond the year 9999.
#[test]
fn scheme_fills_refuse_what_a_file_would_refuse() {
    let step_a = format!(
        "{HEAD}[inputs.n]\ntype = \"decimal\"\nlabel = \"n\"\n[derived]\nthird = \"n / 3\"\nfar = \"as_of + 8000 years\"\n{TAIL}"
    )
    .replace("base = \"x\"", "base = \"1\"");
    let step_b = |input: &str, from: &str| {
        format!("{HEAD}[inputs.t]\ntype = \"{input}\"\nlabel = \"t\"\nfrom = \"a.{from}\"\n{TAIL}")
            .replace("id = \"h\"", "id = \"b\"")
            .replace("base = \"x\"", "base = \"1\"")
    };
    for (input, from, want) in
        [("decimal", "third", "more than 28 significant digits"), ("date", "far", "expected a date YYYY-MM-DD")]
    {
        let scheme = "[scheme]\nid = \"s\"\nname = \"s\"\nversion = \"1\"\n\
                      [[steps]]\nas = \"a\"\nrules = \"a.toml\"\n[[steps]]\nas = \"b\"\nrules = \"b.toml\"\n";
        let b = step_b(input, from);
        let files = |p: &str| match p {
            "a.toml" => Ok(step_a.clone()),
            "b.toml" => Ok(b.clone()),
            other => Err(format!("no file {other}")),
        };
        let loaded = safegrade::load_str("s.toml", scheme, &files);
        let Some(safegrade::Rules::Scheme(s)) = loaded.rules else { panic!("checks: {:?}", loaded.diagnostics) };
        let err = s.assess_json(&json!({"n": 10}), as_of()).expect_err("the fill is refused");
        let msg = format!("{err:?}");
        assert!(msg.contains(want), "{input} from {from}: {msg}");
    }
}
