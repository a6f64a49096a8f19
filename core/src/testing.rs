//! Embedded test cases: `[[tests]]` in a rule file, read at load time and run
//! by `safegrade test`.
//!
//! Each case gives an input, an as-of date and expectations (grade, score,
//! the exact set of fired items, overrides, derived values, the items the
//! next-grade plan names, or an error). A
//! failing case reports every expectation that did not hold, as
//! `what: expected …, got …` lines.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use indexmap::IndexMap;
use rust_decimal::Decimal;

use crate::assessment::Assessment;
use crate::diagnostic::{did_you_mean, Diagnostic, FileId, Span};
use crate::input::toml_to_json;
use crate::plan::Plan;
use crate::rules::{AssessError, CompiledRules, CompiledScheme, Rules};
use crate::syntax::document::{Document, Expect as RawExpect};

/// The as-of date of a test case that names none.
pub const DEFAULT_TEST_AS_OF: &str = "2026-01-01";

/// One embedded test case.
#[derive(Clone, Debug)]
pub(crate) struct TestCase {
    pub(crate) name: String,
    pub(crate) as_of: NaiveDate,
    pub(crate) input: serde_json::Value,
    pub(crate) expect: Expect,
    pub(crate) span: Span,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Expect {
    grade: Option<String>,
    score: Option<Decimal>,
    fired: Option<BTreeSet<String>>,
    overrides: Option<Vec<String>>,
    values: Vec<(String, String)>,
    missing: Option<Vec<String>>,
    /// The exact set of items the next-grade plan names (empty: none).
    needs: Option<BTreeSet<String>>,
    /// The exact set of unfixable items the next-grade plan names.
    unfixable: Option<BTreeSet<String>>,
    error: Option<String>,
    steps: IndexMap<String, Expect>,
}

/// The outcome of one test case.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TestOutcome {
    /// The case's name.
    pub name: String,
    /// Where the case is written (`file:line`).
    pub location: String,
    /// Each expectation that did not hold; empty when the case passed.
    pub failures: Vec<String>,
}

impl TestOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

fn as_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => toml_to_json(other).to_string().trim_matches('"').to_string(),
    }
}

fn read_expect(raw: &RawExpect, span: Span, diags: &mut Vec<Diagnostic>) -> Expect {
    let score = raw.score.as_ref().and_then(|s| match as_text(s).parse::<Decimal>() {
        Ok(d) => Some(d),
        Err(_) => {
            diags.push(Diagnostic::error(
                "R0401",
                Some(span),
                format!("expected score `{}` is not a number", as_text(s)),
            ));
            None
        }
    });
    let mut steps = IndexMap::new();
    for (alias, v) in raw.steps.iter().flatten() {
        match v.clone().try_into::<RawExpect>() {
            Ok(e) => {
                steps.insert(alias.clone(), read_expect(&e, span, diags));
            }
            Err(e) => diags.push(Diagnostic::error(
                "R0401",
                Some(span),
                format!("expectation for step `{alias}`: {}", e.message()),
            )),
        }
    }
    Expect {
        grade: raw.grade.clone(),
        score,
        fired: raw.fired.as_ref().map(|f| f.iter().cloned().collect()),
        overrides: raw.overrides.clone(),
        values: raw.values.iter().flatten().map(|(k, v)| (k.clone(), as_text(v))).collect(),
        missing: raw.missing.clone(),
        needs: raw.needs.as_ref().map(|n| n.iter().cloned().collect()),
        unfixable: raw.unfixable.as_ref().map(|n| n.iter().cloned().collect()),
        error: raw.error.clone(),
        steps,
    }
}

fn check_names(e: &Expect, plan: &Plan, span: Span, diags: &mut Vec<Diagnostic>) {
    let mut unknown = |what: &str, name: &str| {
        diags.push(Diagnostic::error(
            "R0401",
            Some(span),
            format!("the test expects {what} `{name}`, which the rule set does not have"),
        ));
    };
    if let Some(g) = &e.grade {
        if !plan.grades.iter().any(|x| *x.id == **g) {
            unknown("grade", g);
        }
    }
    for f in e.fired.iter().chain(&e.needs).chain(&e.unfixable).flatten() {
        let is_missing_item = f.strip_prefix("missing.").is_some_and(|n| plan.inputs.iter().any(|i| &*i.name == n));
        if !plan.items.iter().any(|x| *x.id == **f) && !is_missing_item {
            unknown("item", f);
        }
    }
    for o in e.overrides.iter().flatten() {
        if !plan.overrides.iter().any(|x| *x.id == **o) {
            unknown("override", o);
        }
    }
    for (v, _) in &e.values {
        if !plan.derived.iter().any(|x| *x.name == **v) {
            unknown("derived value", v);
        }
    }
    for m in e.missing.iter().flatten() {
        if !plan.inputs.iter().any(|x| *x.name == **m) {
            unknown("missing input", m);
        }
    }
}

/// Reports what a case's input gives that no rule set reads: a key that is
/// neither an input nor a list, or a record field no such list has. A case
/// that expects an error may give a wrong answer on purpose, and is left alone.
fn check_input(case: &TestCase, plans: &[&Plan], diags: &mut Vec<Diagnostic>) {
    let Some(answers) = case.input.as_object().filter(|_| case.expect.error.is_none()) else { return };
    let mut reported = BTreeSet::new();
    for (key, value) in answers {
        let lists: Vec<&crate::plan::ListDef> =
            plans.iter().flat_map(|p| &p.lists).filter(|l| *l.name == **key).collect();
        if lists.is_empty() && !plans.iter().any(|p| p.inputs.iter().any(|i| *i.name == **key)) {
            let names =
                plans.iter().flat_map(|p| p.inputs.iter().map(|i| &*i.name).chain(p.lists.iter().map(|l| &*l.name)));
            let d = Diagnostic::error(
                "R0401",
                Some(case.span),
                format!("the test's input gives `{key}`, which is neither an input nor a list"),
            );
            diags.push(match did_you_mean(key, names) {
                Some(h) => d.with_help(format!("did you mean `{h}`?")),
                None => d,
            });
            continue;
        }
        let fields = value.as_array().into_iter().flatten().filter_map(|r| r.as_object()).flat_map(|r| r.keys());
        for field in fields {
            let known = lists.iter().any(|l| l.fields.iter().any(|f| *f.name == **field));
            if !known && reported.insert((key, field)) {
                diags.push(Diagnostic::error(
                    "R0401",
                    Some(case.span),
                    format!("the test's input gives `{field}` in records of `{key}`, which is not a field of the list"),
                ));
            }
        }
    }
}

fn read_case(
    t: &toml::Spanned<crate::syntax::document::Test>,
    file: FileId,
    diags: &mut Vec<Diagnostic>,
) -> Option<TestCase> {
    let span = Span::new(file, t.span());
    let tt = t.get_ref();
    let as_of = match &tt.as_of {
        Some(d) => match NaiveDate::parse_from_str(&d.to_string(), "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                diags.push(Diagnostic::error(
                    "R0401",
                    Some(span),
                    format!("test `{}`: as_of `{d}` is not a date", tt.name),
                ));
                return None;
            }
        },
        None => NaiveDate::parse_from_str(DEFAULT_TEST_AS_OF, "%Y-%m-%d").expect("constant date"),
    };
    let input = toml_to_json(&toml::Value::Table(tt.input.clone()));
    let expect = read_expect(tt.expect.get_ref(), span, diags);
    Some(TestCase { name: tt.name.clone(), as_of, input, expect, span })
}

pub(crate) fn read_tests(doc: &Document, file: FileId, plan: &Plan, diags: &mut Vec<Diagnostic>) -> Vec<TestCase> {
    let mut out = Vec::new();
    for t in &doc.tests {
        if let Some(case) = read_case(t, file, diags) {
            if !case.expect.steps.is_empty() {
                diags.push(Diagnostic::error("R0401", Some(case.span), "`steps` expectations belong in scheme tests"));
            }
            check_names(&case.expect, plan, case.span, diags);
            check_input(&case, &[plan], diags);
            out.push(case);
        }
    }
    out
}

pub(crate) fn read_scheme_tests(
    doc: &Document,
    file: FileId,
    scheme: &CompiledScheme,
    diags: &mut Vec<Diagnostic>,
) -> Vec<TestCase> {
    let mut out = Vec::new();
    for t in &doc.tests {
        if let Some(case) = read_case(t, file, diags) {
            let e = &case.expect;
            let top_level = e.grade.is_some()
                || e.score.is_some()
                || e.fired.is_some()
                || e.overrides.is_some()
                || !e.values.is_empty()
                || e.missing.is_some()
                || e.needs.is_some()
                || e.unfixable.is_some();
            if top_level {
                diags.push(
                    Diagnostic::error("R0401", Some(case.span), "a scheme test states its expectations per step")
                        .with_help("write expect = { steps = { STEP = { grade = \"…\" } } }"),
                );
            }
            for (alias, e) in &case.expect.steps {
                match scheme.steps.iter().find(|s| &s.alias == alias) {
                    Some(s) => check_names(e, &s.rules.plan, case.span, diags),
                    None => diags.push(Diagnostic::error(
                        "R0401",
                        Some(case.span),
                        format!("the scheme has no step `{alias}`"),
                    )),
                }
            }
            let plans: Vec<&Plan> = scheme.steps.iter().map(|s| &*s.rules.plan).collect();
            check_input(&case, &plans, diags);
            out.push(case);
        }
    }
    out
}

fn compare(e: &Expect, got: &Assessment, prefix: &str, failures: &mut Vec<String>) {
    if let Some(g) = &e.grade {
        if **g != *got.grade {
            failures.push(format!("{prefix}grade: expected `{g}`, got `{}`", got.grade));
        }
    }
    if let Some(s) = e.score {
        let actual: Decimal = got.score.parse().unwrap_or(Decimal::MIN);
        if actual != s {
            failures.push(format!("{prefix}score: expected {}, got {}", s.normalize(), got.score));
        }
    }
    if let Some(f) = &e.fired {
        let actual: BTreeSet<String> = got.items.iter().map(|i| i.id.to_string()).collect();
        if *f != actual {
            let extra: Vec<&String> = actual.difference(f).collect();
            let absent: Vec<&String> = f.difference(&actual).collect();
            failures.push(format!("{prefix}fired: unexpected {extra:?}, missing {absent:?}"));
        }
    }
    if let Some(o) = &e.overrides {
        let actual: Vec<String> = got.overrides.iter().map(|x| x.id.to_string()).collect();
        if *o != actual {
            failures.push(format!("{prefix}overrides: expected {o:?}, got {actual:?}"));
        }
    }
    for (name, want) in &e.values {
        let have = got.values.get(name.as_str()).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let same = match (&have, want.parse::<Decimal>()) {
            (Some(h), Ok(w)) => h.parse::<Decimal>().map_or(h == want, |h| h == w),
            (Some(h), Err(_)) => h == want,
            (None, _) => false,
        };
        if !same {
            failures.push(format!(
                "{prefix}value `{name}`: expected `{want}`, got `{}`",
                have.unwrap_or_else(|| "(none)".into())
            ));
        }
    }
    if let Some(m) = &e.missing {
        let actual: Vec<String> = got.missing.iter().map(|x| x.input.to_string()).collect();
        if *m != actual {
            failures.push(format!("{prefix}missing: expected {m:?}, got {actual:?}"));
        }
    }
    let next = got.next_grade.as_ref();
    if let Some(n) = &e.needs {
        let actual: BTreeSet<String> =
            next.and_then(|g| g.needs.as_ref()).into_iter().flatten().map(|i| i.to_string()).collect();
        if *n != actual {
            failures.push(format!("{prefix}needs: expected {n:?}, got {actual:?}"));
        }
    }
    if let Some(u) = &e.unfixable {
        let actual: BTreeSet<String> = next.into_iter().flat_map(|g| &g.unfixable).map(|i| i.to_string()).collect();
        if *u != actual {
            failures.push(format!("{prefix}unfixable: expected {u:?}, got {actual:?}"));
        }
    }
}

fn check_error(e: &Expect, res: Result<(), AssessError>, failures: &mut Vec<String>) {
    match (res, &e.error) {
        (Ok(()), Some(want)) => {
            failures.push(format!("error: expected an error containing `{want}`, but the firm was assessed"))
        }
        (Err(err), Some(want)) => {
            if !err.to_string().contains(want.as_str()) {
                failures.push(format!("error: expected `{want}`, got `{err}`"));
            }
        }
        (Err(err), None) => failures.push(format!("unexpected error: {err}")),
        (Ok(()), None) => {}
    }
}

fn run_one(rules: &Rules, case: &TestCase, location: String) -> TestOutcome {
    let mut failures = Vec::new();
    let res = match rules {
        Rules::Set(r) => r.assess_json(&case.input, case.as_of).map(|a| compare(&case.expect, &a, "", &mut failures)),
        Rules::Scheme(s) => s.assess_json(&case.input, case.as_of).map(|a| {
            for (alias, e) in &case.expect.steps {
                if let Some(got) = a.steps.get(alias) {
                    compare(e, got, &format!("{alias}."), &mut failures);
                }
            }
        }),
    };
    check_error(&case.expect, res, &mut failures);
    TestOutcome { name: case.name.clone(), location, failures }
}

/// Runs every embedded test case. `locate` turns a case's span into `file:line`.
pub fn run_tests(rules: &Rules, locate: &dyn Fn(Span) -> String) -> Vec<TestOutcome> {
    let cases: &[TestCase] = match rules {
        Rules::Set(CompiledRules { tests, .. }) => tests,
        Rules::Scheme(s) => &s.tests,
    };
    cases.iter().map(|c| run_one(rules, c, locate(c.span))).collect()
}
