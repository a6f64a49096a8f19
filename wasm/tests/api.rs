//! Tests of the JS API. The same file runs natively (`cargo test`) and in
//! headless Chromium (`cargo test --target wasm32-unknown-unknown`), against
//! one golden produced natively, so a difference between the two targets
//! fails one of the runs. `UPDATE_EXPECT=1 cargo test -p safegrade-wasm`
//! rewrites the golden.

use serde_json::Value;

use safegrade::MAX_RULE_FILE_BYTES;
use safegrade_wasm::api::{self, Includes, MAX_AS_OF_BYTES, MAX_FIRM_JSON_BYTES, MAX_INCLUDES_BYTES};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const HAZCHEM: &str = include_str!("../../rules/hazchem-risk-2018.toml");
const SEVERITY: &str = include_str!("../../rules/accident-severity.toml");
const FIRM: &str = include_str!("../../e2e/fixtures/firm.json");
const BROKEN: &str = include_str!("../../e2e/fixtures/broken.toml");
const GOLDEN: &str = include_str!("../../tests/data/browser/hazchem-firm.expected.json");
const AS_OF: &str = "2026-11-29";

fn includes() -> Includes {
    Includes::from([("accident-severity.toml".to_string(), SEVERITY.to_string())])
}

fn golden() -> Value {
    serde_json::from_str(GOLDEN).expect("the golden is JSON")
}

#[test]
fn evaluate_matches_the_native_golden() {
    let res = api::evaluate_json(HAZCHEM, FIRM, AS_OF, &includes());
    assert_eq!(res["type"], "success", "{res}");
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/browser/hazchem-firm.expected.json");
        let text = serde_json::to_string_pretty(&res["result"]).unwrap() + "\n";
        std::fs::write(path, text).unwrap();
        return;
    }
    assert_eq!(res["result"], golden());
}

#[test]
fn check_reports_diagnostics_with_lines() {
    let res = api::check_json(BROKEN, &Includes::new());
    assert_eq!(res["type"], "failure");
    let d = &res["diagnostics"][0];
    assert_eq!((d["code"].as_str(), d["line"].as_u64(), d["column"].as_u64()), (Some("R0103"), Some(14), Some(16)));
    assert_eq!(d["severity"], "error");
}

#[test]
fn check_accepts_a_shipped_rule_set_with_its_include() {
    assert_eq!(api::check_json(HAZCHEM, &includes())["type"], "success");
}

#[test]
fn a_missing_include_is_a_diagnostic_naming_the_key() {
    let res = api::check_json(HAZCHEM, &Includes::new());
    assert_eq!(res["type"], "failure");
    let msg = res["diagnostics"][0]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("accident-severity.toml"), "{msg}");
}

#[test]
fn schema_lists_groups_inputs_lists_and_grades() {
    let res = api::schema_json(HAZCHEM, &includes());
    assert_eq!((res["type"].as_str(), res["kind"].as_str()), (Some("success"), Some("ruleset")));
    let s = &res["schema"];
    assert_eq!(s["ruleset"]["id"], "hazchem-risk-2018");
    assert_eq!(s["groups"][0]["id"], "inherent");
    assert_eq!(s["inputs"][0]["name"], "n_major_hazards_grade_1");
    assert_eq!(s["inputs"][0]["type"], "integer");
    assert_eq!(s["lists"][0]["name"], "accidents");
    let grades: Vec<&str> = s["grades"].as_array().unwrap().iter().filter_map(|g| g["id"].as_str()).collect();
    assert_eq!(grades, ["blue", "yellow", "orange", "red"]);
}

#[test]
fn failures_are_values_at_every_stage() {
    let stage = |v: Value| v["stage"].as_str().map(str::to_string);
    assert_eq!(stage(api::evaluate_json(BROKEN, "{}", AS_OF, &Includes::new())), Some("check".into()));
    assert_eq!(stage(api::evaluate_json(HAZCHEM, "{}", "29.11.2026", &includes())), Some("as_of".into()));
    // Exactly YYYY-MM-DD, a real day, as the command line's --as-of.
    for bad in ["2026-6-3", "+2026-1-1", "-001-01-01", "2026-02-30", "2026-13-45", "2026/11/29", ""] {
        let res = api::evaluate_json(HAZCHEM, "{}", bad, &includes());
        assert_eq!(stage(res.clone()), Some("as_of".into()), "{bad}: {res}");
        assert_eq!(res["message"], format!("`{bad}` is not a date YYYY-MM-DD"));
    }
    assert_eq!(api::evaluate_json(HAZCHEM, "{}", "0001-01-01", &includes())["result"]["as_of"], "0001-01-01");
    assert_eq!(stage(api::evaluate_json(HAZCHEM, "{", AS_OF, &includes())), Some("input".into()));
    let res = api::evaluate_json(HAZCHEM, r#"{"n_explosives": -1}"#, AS_OF, &includes());
    assert_eq!(res["stage"], "evaluate");
    assert_eq!(res["error"]["type"], "input");
    assert_eq!(res["error"]["errors"][0]["path"], "n_explosives");
    assert_eq!(api::schema_json("not toml [", &Includes::new())["type"], "failure");
}

/// Asserts `res` is `{stage: "argument", argument, code: "too_large", limit}`
/// whose message names the argument, `size` and the limit.
fn too_large(res: &Value, argument: &str, size: &str, limit: usize) {
    assert_eq!((res["type"].as_str(), res["stage"].as_str()), (Some("failure"), Some("argument")), "{res}");
    assert_eq!((res["argument"].as_str(), res["code"].as_str()), (Some(argument), Some("too_large")), "{res}");
    assert_eq!(res["limit"].as_u64(), u64::try_from(limit).ok(), "{res}");
    let msg = res["message"].as_str().unwrap_or_default();
    for part in [size, &limit.to_string()] {
        assert!(msg.contains(part), "{msg} names {part}");
    }
}

#[test]
fn arguments_beyond_their_bounds_are_failures_naming_size_and_limit() {
    let over = |limit: usize| "x".repeat(limit + 1);
    let size = |limit: usize| format!("is {} bytes", limit + 1);
    let rules = over(MAX_RULE_FILE_BYTES);
    too_large(&api::check_json(&rules, &includes()), "rulesText", &size(MAX_RULE_FILE_BYTES), MAX_RULE_FILE_BYTES);
    too_large(&api::schema_json(&rules, &includes()), "rulesText", &size(MAX_RULE_FILE_BYTES), MAX_RULE_FILE_BYTES);
    let res = api::evaluate_json(&rules, FIRM, AS_OF, &includes());
    too_large(&res, "rulesText", &size(MAX_RULE_FILE_BYTES), MAX_RULE_FILE_BYTES);
    let res = api::evaluate_json(HAZCHEM, &over(MAX_FIRM_JSON_BYTES), AS_OF, &includes());
    too_large(&res, "firm", &size(MAX_FIRM_JSON_BYTES), MAX_FIRM_JSON_BYTES);
    let res = api::evaluate_json(HAZCHEM, FIRM, "2026-11-29Z", &includes());
    too_large(&res, "asOf", &size(MAX_AS_OF_BYTES), MAX_AS_OF_BYTES);
    assert_eq!(res["message"], "`asOf` is 11 bytes of UTF-8; the limit is 10 bytes");

    let mut inc = includes();
    inc.insert("big.toml".into(), over(MAX_RULE_FILE_BYTES));
    let res = api::check_json(HAZCHEM, &inc);
    too_large(&res, "includes", &size(MAX_RULE_FILE_BYTES), MAX_RULE_FILE_BYTES);
    assert_eq!(res["key"], "big.toml");
    assert!(res["message"].as_str().unwrap_or_default().starts_with(r#"`includes["big.toml"]` is"#), "{res}");
    let mut inc = includes();
    for i in 0..4 {
        inc.insert(format!("{i}.toml"), "#".repeat(MAX_RULE_FILE_BYTES));
    }
    let total: usize = inc.iter().map(|(k, v)| k.len() + v.len()).sum();
    let res = api::schema_json(HAZCHEM, &inc);
    too_large(&res, "includes", &format!("is {total} bytes"), MAX_INCLUDES_BYTES);
    assert_eq!(res.get("key"), None, "{res}");
    assert!(res["message"].as_str().unwrap_or_default().contains("paths and texts together"), "{res}");
}

/// Arguments are checked in order (`rulesText`, `firm`, `asOf`, `includes`)
/// before anything is loaded, so a failure for a later one, or one from
/// loading, shows the earlier ones were taken without loading them.
#[test]
fn arguments_at_their_bounds_are_taken() {
    let rules = "#".repeat(MAX_RULE_FILE_BYTES);
    let firm = format!(r#"{{"x": "{}"}}"#, "a".repeat(MAX_FIRM_JSON_BYTES - 9));
    assert_eq!(firm.len(), MAX_FIRM_JSON_BYTES);
    let res = api::evaluate_json(&rules, &firm, "2026-11-29Z", &Includes::new());
    assert_eq!((res["argument"].as_str(), res["code"].as_str()), (Some("asOf"), Some("too_large")), "{res}");
    assert_eq!(AS_OF.len(), MAX_AS_OF_BYTES);
    let full: Includes = ["a", "b", "c", "d"].map(|k| (k.to_string(), "#".repeat(MAX_RULE_FILE_BYTES - 1))).into();
    let res = api::check_json("not toml [", &full);
    assert_eq!((res["type"].as_str(), res.get("stage")), (Some("failure"), None), "{res}");
}

/// The exported JS functions: plain objects, tagged, never thrown, whatever
/// their arguments.
#[cfg(target_arch = "wasm32")]
mod js {
    use js_sys::{Array, JsString, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use safegrade_wasm::{check, evaluate, schema};

    use super::*;

    fn to_json(v: &JsValue) -> Value {
        let text = js_sys::JSON::stringify(v).unwrap().as_string().unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn object(entries: &[(&str, JsValue)]) -> JsValue {
        let obj = Object::new();
        for (k, v) in entries {
            Reflect::set(&obj, &(*k).into(), v).unwrap();
        }
        obj.into()
    }

    fn includes_js() -> JsValue {
        object(&[("accident-severity.toml", SEVERITY.into())])
    }

    fn js(s: &str) -> JsValue {
        s.into()
    }

    /// `s` repeated `n` times, made in JS memory.
    fn repeat(s: &str, n: usize) -> JsValue {
        JsString::from(s).repeat(i32::try_from(n).unwrap()).into()
    }

    /// The size of wasm memory, in bytes.
    fn memory() -> u32 {
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length()
    }

    #[test]
    fn js_evaluate_matches_the_native_golden() {
        let res = to_json(&evaluate(js(HAZCHEM), js(FIRM), js(AS_OF), includes_js()));
        assert_eq!(res["type"], "success");
        assert_eq!(res["result"], golden());
        // The firm as an object.
        let firm = js_sys::JSON::parse(FIRM).unwrap();
        let res = to_json(&evaluate(js(HAZCHEM), firm, js(AS_OF), includes_js()));
        assert_eq!(res["result"], golden());
    }

    #[test]
    fn js_check_and_schema() {
        let res = to_json(&check(js(BROKEN), JsValue::UNDEFINED));
        assert_eq!((res["type"].as_str(), res["diagnostics"][0]["line"].as_u64()), (Some("failure"), Some(14)));
        let res = to_json(&schema(js(HAZCHEM), includes_js()));
        assert_eq!(res["schema"]["ruleset"]["id"], "hazchem-risk-2018");
        let res = to_json(&check(js(HAZCHEM), JsValue::NULL));
        assert!(res.to_string().contains("accident-severity.toml"), "{res}");
    }

    /// Values of kinds no text argument takes, with how messages name them.
    fn wrong_kinds() -> Vec<(&'static str, JsValue)> {
        vec![
            ("an object", object(&[("a", 1.into())])),
            ("a number", 42.into()),
            ("a Date", js_sys::Date::new_0().into()),
            ("a boolean", true.into()),
            ("null", JsValue::NULL),
            ("undefined", JsValue::UNDEFINED),
            ("an array", Array::of1(&js("x")).into()),
            ("a Symbol", js_sys::Symbol::for_("x").into()),
            ("a BigInt", js_sys::BigInt::from(1).into()),
            ("an object", object(&[("length", 1e9.into())])),
        ]
    }

    fn refused(res: &JsValue, argument: &str, code: &str, says: &str) -> Value {
        let res = to_json(res);
        assert_eq!((res["type"].as_str(), res["stage"].as_str()), (Some("failure"), Some("argument")), "{res}");
        assert_eq!((res["argument"].as_str(), res["code"].as_str()), (Some(argument), Some(code)), "{res}");
        let msg = res["message"].as_str().unwrap_or_default();
        assert!(msg.starts_with(&format!("`{argument}")) && msg.contains(says), "{msg} says {says}");
        res
    }

    #[test]
    fn js_every_argument_of_a_wrong_kind_or_size_is_a_failure() {
        type Call = Box<dyn Fn(JsValue) -> JsValue>;
        let calls: Vec<(&str, usize, Call)> = vec![
            ("rulesText", MAX_RULE_FILE_BYTES, Box::new(|v| check(v, includes_js()))),
            ("rulesText", MAX_RULE_FILE_BYTES, Box::new(|v| schema(v, includes_js()))),
            ("rulesText", MAX_RULE_FILE_BYTES, Box::new(|v| evaluate(v, js(FIRM), js(AS_OF), includes_js()))),
            ("firm", MAX_FIRM_JSON_BYTES, Box::new(|v| evaluate(js(HAZCHEM), v, js(AS_OF), includes_js()))),
            ("asOf", MAX_AS_OF_BYTES, Box::new(|v| evaluate(js(HAZCHEM), js(FIRM), v, includes_js()))),
        ];
        for (argument, limit, call) in &calls {
            for (kind, value) in wrong_kinds() {
                if *argument == "firm" && kind == "an object" {
                    // A plain object is a firm; these have an unknown input.
                    assert_eq!(to_json(&call(value))["stage"], "evaluate");
                    continue;
                }
                refused(&call(value), argument, "wrong_type", &format!("not {kind}"));
            }
            let res = refused(&call(repeat("x", limit + 1)), argument, "too_large", &format!("at least {}", limit + 1));
            assert_eq!(res["limit"].as_u64(), u64::try_from(*limit).ok());
            // Within the limit in characters, beyond it in UTF-8: measured before it is copied.
            let chars = limit.div_ceil(3) + 1;
            refused(&call(repeat("安", chars)), argument, "too_large", &format!("is {} bytes", chars * 3));
        }
        let with_includes: Vec<Call> = vec![
            Box::new(|inc| check(js(HAZCHEM), inc)),
            Box::new(|inc| schema(js(HAZCHEM), inc)),
            Box::new(|inc| evaluate(js(HAZCHEM), js(FIRM), js(AS_OF), inc)),
        ];
        for call in &with_includes {
            for (kind, value) in wrong_kinds() {
                match kind {
                    "null" | "undefined" => {
                        let res = to_json(&call(value));
                        assert!(res["diagnostics"][0]["message"].as_str().unwrap().contains("was not given"), "{res}");
                    }
                    // A plain object: its value under `a` or `length` is a number.
                    "an object" => {
                        let res = refused(&call(value), "includes", "wrong_type", "must be a string, the text");
                        assert!(matches!(res["key"].as_str(), Some("a" | "length")), "{res}");
                    }
                    _ => {
                        refused(&call(value.clone()), "includes", "wrong_type", &format!("not {kind}"));
                        let res = refused(&call(object(&[("x.toml", value)])), "includes", "wrong_type", kind);
                        assert_eq!(res["key"], "x.toml");
                    }
                }
            }
            let res = call(object(&[("x.toml", repeat("x", MAX_RULE_FILE_BYTES + 1))]));
            assert_eq!(refused(&res, "includes", "too_large", "at least")["key"], "x.toml");
            // Seven texts of 3 MiB: 21 MiB together.
            let text = repeat("#", MAX_RULE_FILE_BYTES / 4 * 3);
            let all = object(&["a", "b", "c", "d", "e", "f", "g"].map(|k| (k, text.clone())));
            refused(&call(all), "includes", "too_large", "paths and texts together");
        }
    }

    #[test]
    fn js_a_firm_that_json_cannot_hold_is_a_failure() {
        let cycle = js_sys::JSON::parse(FIRM).unwrap();
        Reflect::set(&cycle, &js("self"), &cycle).unwrap();
        let res = refused(&evaluate(js(HAZCHEM), cycle, js(AS_OF), includes_js()), "firm", "unreadable", "circular");
        assert!(res["message"].as_str().unwrap_or_default().starts_with("`firm` cannot be turned into JSON"));
        let big = object(&[("n_explosives", js_sys::BigInt::from(1).into())]);
        refused(&evaluate(js(HAZCHEM), big, js(AS_OF), includes_js()), "firm", "unreadable", "BigInt");
        let map: JsValue = js_sys::Map::new().into();
        refused(&evaluate(js(HAZCHEM), map, js(AS_OF), includes_js()), "firm", "wrong_type", "not an object");
    }

    /// An argument refused for its kind or size never reaches wasm memory.
    #[test]
    fn js_refused_arguments_do_not_grow_memory() {
        let huge = || object(&[("length", 1e9.into())]);
        let calls: Vec<Box<dyn Fn() -> JsValue>> = vec![
            Box::new(|| check(huge(), JsValue::UNDEFINED)),
            Box::new(|| schema(repeat("x", MAX_RULE_FILE_BYTES + 1), JsValue::UNDEFINED)),
            Box::new(|| evaluate(js(HAZCHEM), repeat("x", MAX_FIRM_JSON_BYTES + 1), js(AS_OF), includes_js())),
            Box::new(|| evaluate(js(HAZCHEM), js(FIRM), huge(), includes_js())),
            Box::new(|| evaluate(js(HAZCHEM), js(FIRM), js("安安安安"), includes_js())),
            Box::new(|| check(js(HAZCHEM), object(&[("x.toml", huge())]))),
        ];
        for call in &calls {
            assert_eq!(to_json(&call())["stage"], "argument");
            let before = memory();
            for _ in 0..100 {
                call();
            }
            assert_eq!(memory(), before);
        }
    }

    /// Repeated loads and evaluations in the browser give the same result
    /// every time. The time per call is printed, not asserted: speed is
    /// measured by the end-to-end test's metrics and the benches, never by
    /// a timed test.
    #[test]
    fn js_evaluate_repeats_the_same_result() {
        let perf = web_sys_now();
        let first = api::evaluate_json(HAZCHEM, FIRM, AS_OF, &includes());
        assert_eq!(first["type"], "success", "{first}");
        let start = perf();
        let n = 50;
        for _ in 0..n {
            assert_eq!(api::evaluate_json(HAZCHEM, FIRM, AS_OF, &includes()), first);
        }
        let per_call = (perf() - start) / f64::from(n);
        // Loading and checking the rules dominates here; the portal keeps them compiled.
        wasm_bindgen_test::console_log!("load + evaluate: {per_call:.2} ms a call");
    }

    fn web_sys_now() -> impl Fn() -> f64 {
        || js_sys::Date::now()
    }
}
