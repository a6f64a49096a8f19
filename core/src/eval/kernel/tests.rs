//! Kernels against the interpreter: every shipped rule set on its own test
//! cases, and a rule file using every compiled form on random firms, give
//! the same outcome (or the same error) both ways.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::Threshold;
use crate::eval::test_rules::checked;
use crate::eval::Program;

/// The same plan with every expression left to the interpreter.
fn interpreted(program: &Program) -> Program {
    Program::interpreted(program.plan.clone())
}

/// Both ways, as text: score, band, grade, fired items, overrides, values, skips, or the error.
fn both_ways(program: &Program, reference: &Program, firm: &crate::Firm, as_of: NaiveDate) -> (String, String) {
    let compiled = format!("{:?}", program.run(firm, as_of));
    let interpreted = format!("{:?}", reference.run(firm, as_of));
    (compiled, interpreted)
}

#[test]
fn shipped_rule_sets_agree_on_their_cases() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules");
    let mut cases = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let rules = checked(&name, &std::fs::read_to_string(&path).unwrap());
        let reference = interpreted(&rules.program);
        for case in rules.tests.iter() {
            let Ok(firm) = rules.firm_from_json(&case.input) else { continue };
            let (a, b) = both_ways(&rules.program, &reference, &firm, case.as_of);
            assert_eq!(a, b, "{name}: case `{}`", case.name);
            cases += 1;
        }
    }
    assert!(cases > 200, "only {cases} cases ran");
}

/// Every form the kernels compile, and errors: a missing input read by a
/// derived value, division by zero, an enum against text, thresholds of
/// another scale, windows, nested and capped aggregates, `if` chains of
/// thresholds on one input, derived value, field or parameter.
const KERNEL_RULES: &str = r#"
[ruleset]
id = "kernels"
name = "kernels"
version = "1"

[inputs.level]
type = "enum"
options = [{ id = "low", label = "low" }, { id = "mid", label = "mid" }, { id = "high", label = "high" }]
missing = { default = "low" }
[inputs.x]
type = "decimal"
missing = { default = 0 }
[inputs.n]
type = "integer"
missing = { default = 1 }
[inputs.flag]
type = "bool"
missing = { default = false }
[inputs.since]
type = "date"
missing = "not_applicable"

[lists.events]
label = "events"
[lists.events.fields.date]
type = "date"
[lists.events.fields.size]
type = "decimal"
[lists.events.fields.hurt]
type = "integer"
[lists.events.fields.open]
type = "bool"
missing = { default = false }
[lists.events.derived]
grade = "band(size, hurt)"
heavy = "grade >= 2 or open"
big = "if size >= 50 then 2 elif size >= 5.25 then 1 else 0"

[functions.band]
params = { size = "decimal", hurt = "integer" }
returns = "integer"
body = "max(if size >= 100.5 then 3 elif size >= 10 then 2 else 1, if hurt > 3 then 2 elif hurt < 0 then 0 else 1, min(hurt, 1))"

[derived]
recent_heavy = "count(events where heavy and date within 1 year)"
recent = "count(events where date within 6 months)"
size_open = "sum(events, size where not open)"
worst = "max(events, grade else 0)"
long_ago = "since within 2 years"
per_n = "x / n"
doubled = "if level == \"high\" then x * 2 elif level != \"low\" then x + 1 else -x"
nested = "count(events where count(events where size > 5) >= 2)"
tier = "if x >= 50 then 3 elif x > 5.5 then 2 elif x == 0 then 0 elif x != -1 then 1 else -1"
busy = "if recent >= 2 then 1.5 elif recent < 1 then 0 else 1"
n_big = "count(events where big >= 1)"
any_open = "any(events, open)"
all_small = "all(events, size < 50 or hurt <= 0)"
recent_open = "count(events where date >= as_of - 3 months and open)"
moved = "any(events, date + 1 year >= as_of and date <= as_of - 1 month and date != since - 2 days)"
fixed = "count(events where date >= date(\"2025-01-01\") or date < since)"
mid_or_high = "level in [\"mid\", \"high\"]"

[[items]]
id = "heavy"
label = "heavy"
when = "recent_heavy >= 1"
points = "-5 * recent_heavy"
[[items]]
id = "ratio"
label = "ratio"
when = "per_n > 0.25 and not flag"
points = "-1 * per_n"
min = -20
[[items]]
id = "level"
label = "level"
when = "level in [\"mid\", \"high\"]"
points = "doubled"
max = 10
[[items]]
id = "old"
label = "old"
when = "long_ago"
points = "3"
[[items]]
id = "size"
label = "size"
when = "size_open >= 12.345"
points = "-size_open / 10"
[[items]]
id = "worst"
label = "worst"
points = "if worst >= 3 then -7 else 0"
[[items]]
id = "dates"
label = "dates"
when = "(any_open or not all_small) and recent_open + fixed >= 1 and not moved and not mid_or_high"
points = "-2"
[[items]]
id = "far"
label = "far"
when = "x > 1000000 and any(events, date + 100000 years + 100000 years + 70000 years > as_of)"
points = "-1"
[[items]]
id = "nested"
label = "nested"
when = "nested > recent"
points = "-1"

[score]
base = "100 - recent"
min = 0
max = 120

[[grades]]
id = "a"
label = "a"
min = 95
[[grades]]
id = "b"
label = "b"
below = 95

[[overrides]]
id = "flagged"
when = "flag or worst == 3"
force = "b"
reason = "flagged"
"#;

fn decimal_text() -> impl Strategy<Value = String> {
    (-2_000_000i64..2_000_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s).to_string())
}

fn event() -> impl Strategy<Value = serde_json::Value> {
    (0i64..900, decimal_text(), -2i64..8, prop::option::of(any::<bool>())).prop_map(|(days, size, hurt, open)| {
        let date = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap() - chrono::TimeDelta::days(days);
        let mut e = serde_json::json!({ "date": date.to_string(), "size": size, "hurt": hurt });
        if let Some(open) = open {
            e["open"] = serde_json::json!(open);
        }
        e
    })
}

proptest! {
    #[test]
    fn kernels_agree_with_the_interpreter(
        level in prop::option::of(prop::sample::select(vec!["low", "mid", "high"])),
        x in prop::option::of(decimal_text()),
        n in prop::option::of(-3i64..4),
        flag in prop::option::of(any::<bool>()),
        since in prop::option::of(0i64..1200),
        events in prop::collection::vec(event(), 0..6),
    ) {
        let rules = checked("kernels.toml", KERNEL_RULES);
        let reference = interpreted(&rules.program);
        let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        let mut input = serde_json::json!({ "events": events });
        if let Some(level) = level { input["level"] = level.into(); }
        if let Some(x) = x { input["x"] = x.into(); }
        if let Some(n) = n { input["n"] = n.into(); }
        if let Some(flag) = flag { input["flag"] = flag.into(); }
        if let Some(days) = since { input["since"] = (as_of - chrono::TimeDelta::days(days)).to_string().into(); }
        let firm = rules.firm_from_json(&input).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let (a, b) = both_ways(&rules.program, &reference, &firm, as_of);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn thresholds_compare_as_decimals_do(x in (any::<i64>(), 0u32..=28), y in (any::<i64>(), 0u32..=28)) {
        let (x, y) = (Decimal::new(x.0, x.1), Decimal::new(y.0, y.1));
        prop_assert_eq!(Threshold::new(y).cmp(x), crate::value::cmp_num(&x, &y));
        prop_assert_eq!(Threshold::new(y).cmp(x), x.cmp(&y));
    }
}

/// A function body whose left side is no number and whose right side fails:
/// the interpreter evaluates the body as a value, so the failure is what is
/// reported, in a derived value, an item's points and a threshold alike.
#[test]
fn a_failing_function_body_reports_its_own_error() {
    let text = r#"
[ruleset]
id = "f1"
name = "f1"
version = "1"
[inputs.flag]
type = "bool"
[functions.f]
params = { b = "bool" }
returns = "decimal"
body = "b + error(\"boom\")"
[derived]
d = "f(flag)"
[[items]]
id = "i"
label = "i"
when = "f(flag) > 3"
points = "f(flag)"
[score]
base = "100"
[[grades]]
id = "a"
label = "a"
min = 50
[[grades]]
id = "b"
label = "b"
below = 50
"#;
    let rules = checked("f1.toml", text);
    let reference = interpreted(&rules.program);
    let firm = rules.firm_from_json(&serde_json::json!({ "flag": true })).unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let (a, b) = both_ways(&rules.program, &reference, &firm, as_of);
    assert_eq!(a, b);
    assert!(a.contains("boom"), "{a}");
}
