//! Embedded test cases: `[[tests]]` in a rule file or scheme, read and
//! checked at load time (R0401: names that exist, inputs that fit), then
//! run by `testing`.
//!
//! Each case gives an input, an as-of date and expectations (grade, score,
//! the exact set of fired items, overrides, derived values, the items the
//! next-grade plan names, or an error).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use indexmap::IndexMap;
use rust_decimal::Decimal;

use crate::diagnostic::{did_you_mean, Code, Diagnostic, FileId, Span};
use crate::input::toml_to_json;
use crate::plan::Plan;
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
    pub(crate) grade: Option<String>,
    pub(crate) score: Option<Decimal>,
    pub(crate) fired: Option<BTreeSet<String>>,
    pub(crate) overrides: Option<Vec<String>>,
    pub(crate) values: Vec<(String, String)>,
    pub(crate) missing: Option<Vec<String>>,
    /// The exact set of items the next-grade plan names (empty: none).
    pub(crate) needs: Option<BTreeSet<String>>,
    /// The exact set of unfixable items the next-grade plan names.
    pub(crate) unfixable: Option<BTreeSet<String>>,
    pub(crate) error: Option<String>,
    pub(crate) steps: IndexMap<String, Expect>,
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
                Code::BadTestCase,
                Some(span),
                format!("expected score `{}` is not a number", as_text(s)),
            ));
            None
        }
    });
    let mut steps = IndexMap::new();
    for (alias, v) in raw.steps.iter().flatten() {
        match crate::syntax::read::expect_value(v) {
            Ok(e) => {
                steps.insert(alias.clone(), read_expect(&e, span, diags));
            }
            Err(e) => diags.push(Diagnostic::error(
                Code::BadTestCase,
                Some(span),
                format!("expectation for step `{alias}`: {e}"),
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
            Code::BadTestCase,
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
                Code::BadTestCase,
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
                    Code::BadTestCase,
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
        Some(d) => match crate::input::parse_date(&d.to_string()) {
            Some(d) => d,
            None => {
                diags.push(Diagnostic::error(
                    Code::BadTestCase,
                    Some(span),
                    format!("test `{}`: as_of `{d}` is not a date", tt.name),
                ));
                return None;
            }
        },
        None => crate::input::parse_date(DEFAULT_TEST_AS_OF).expect("constant date"),
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
                diags.push(Diagnostic::error(
                    Code::BadTestCase,
                    Some(case.span),
                    "`steps` expectations belong in scheme tests",
                ));
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
    steps: &[(&str, &Plan)],
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
                    Diagnostic::error(
                        Code::BadTestCase,
                        Some(case.span),
                        "a scheme test states its expectations per step",
                    )
                    .with_help("write expect = { steps = { STEP = { grade = \"…\" } } }"),
                );
            }
            for (alias, e) in &case.expect.steps {
                match steps.iter().find(|(a, _)| a == alias) {
                    Some((_, plan)) => check_names(e, plan, case.span, diags),
                    None => diags.push(Diagnostic::error(
                        Code::BadTestCase,
                        Some(case.span),
                        format!("the scheme has no step `{alias}`"),
                    )),
                }
            }
            let plans: Vec<&Plan> = steps.iter().map(|(_, plan)| *plan).collect();
            check_input(&case, &plans, diags);
            out.push(case);
        }
    }
    out
}
