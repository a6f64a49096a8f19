//! Running embedded test cases (see `cases`) for `safegrade test`: each
//! case is assessed and every expectation that did not hold is reported, as
//! `what: expected …, got …` lines.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use crate::assessment::Assessment;
use crate::cases::{Expect, TestCase};
use crate::diagnostic::Span;
use crate::rules::{AssessError, CompiledRules, Rules};

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
