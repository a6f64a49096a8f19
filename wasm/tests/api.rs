//! Tests of the JS API. The same file runs natively (`cargo test`) and in
//! headless Chromium (`cargo test --target wasm32-unknown-unknown`), against
//! one golden produced natively, so a difference between the two targets
//! fails one of the runs. `UPDATE_EXPECT=1 cargo test -p safegrade-wasm`
//! rewrites the golden.

use serde_json::Value;

use safegrade_wasm::api::{self, Includes};

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
    assert_eq!(stage(api::evaluate_json(HAZCHEM, "{", AS_OF, &includes())), Some("input".into()));
    let res = api::evaluate_json(HAZCHEM, r#"{"n_explosives": -1}"#, AS_OF, &includes());
    assert_eq!(res["stage"], "evaluate");
    assert_eq!(res["error"]["type"], "input");
    assert_eq!(res["error"]["errors"][0]["path"], "n_explosives");
    assert_eq!(api::parse_includes(Some("[1]")).unwrap_err()["stage"], "includes");
    assert_eq!(api::schema_json("not toml [", &Includes::new())["type"], "failure");
}

/// The exported JS functions: plain objects, tagged, never thrown.
#[cfg(target_arch = "wasm32")]
mod js {
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn to_json(v: &JsValue) -> Value {
        let text = js_sys::JSON::stringify(v).unwrap().as_string().unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn includes_js() -> Option<js_sys::Object> {
        let obj = js_sys::Object::new();
        js_sys::Reflect::set(&obj, &"accident-severity.toml".into(), &SEVERITY.into()).unwrap();
        Some(obj)
    }

    #[test]
    fn js_evaluate_matches_the_native_golden() {
        let res = to_json(&safegrade_wasm::evaluate(HAZCHEM, FIRM, AS_OF, includes_js()));
        assert_eq!(res["type"], "success");
        assert_eq!(res["result"], golden());
    }

    #[test]
    fn js_check_and_schema() {
        let res = to_json(&safegrade_wasm::check(BROKEN, None));
        assert_eq!((res["type"].as_str(), res["diagnostics"][0]["line"].as_u64()), (Some("failure"), Some(14)));
        let res = to_json(&safegrade_wasm::schema(HAZCHEM, includes_js()));
        assert_eq!(res["schema"]["ruleset"]["id"], "hazchem-risk-2018");
        let res = to_json(&safegrade_wasm::check(
            HAZCHEM,
            Some(wasm_bindgen::JsCast::unchecked_into(JsValue::from_f64(3.0))),
        ));
        assert_eq!((res["type"].as_str(), res["stage"].as_str()), (Some("failure"), Some("includes")));
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
        let n = 200;
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
