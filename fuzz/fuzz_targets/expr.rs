//! Fuzz target: any expression, placed in a rule set with inputs of every
//! type and a list, must check without panicking and, when it checks,
//! evaluate without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

const TEMPLATE: &str = r#"
[ruleset]
id = "fuzz"
name = "fuzz"
version = "1"

[inputs.n]
type = "decimal"
[inputs.k]
type = "integer"
[inputs.b]
type = "bool"
[inputs.t]
type = "text"
[inputs.d]
type = "date"
[inputs.e]
type = "enum"
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }]

[lists.recs]
[lists.recs.fields.v]
type = "decimal"
[lists.recs.fields.when]
type = "date"

[tables.tab]
key = "text"
columns = { q = "decimal" }
rows = [{ key = "x", q = 1 }, { key = "y", q = "0.5" }]

[derived]
x = '''EXPR'''

[score]
base = "100"

[[grades]]
id = "all"
label = "all"
"#;

fuzz_target!(|data: &[u8]| {
    let Ok(expr) = std::str::from_utf8(data) else { return };
    if expr.contains("'''") {
        return;
    }
    let text = TEMPLATE.replace("EXPR", expr);
    let no_files = |p: &str| Err(format!("no file {p}"));
    let loaded = safegrade::load_str("fuzz.toml", &text, &no_files);
    let Some(rules) = loaded.rules else { return };
    let firm = serde_json::json!({
        "n": "12345678901234567890.12345678", "k": 7, "b": true, "t": "x", "d": "2024-02-29", "e": "b",
        "recs": [{ "v": "-1.5", "when": "2020-01-31" }, { "v": "79228162514264337593543950335", "when": "2026-11-29" }],
    });
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("a date");
    let _ = rules.assess_json(&firm, as_of);
});
