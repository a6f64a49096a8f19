//! The compiled forms users hold: [`CompiledRules`] (one rule set) and
//! [`CompiledScheme`] (rule sets chained), and their evaluation entry points.
//!
//! Both are immutable, cheap to clone (an `Arc` inside) and `Send + Sync`, so
//! any number of threads can evaluate with one copy. Evaluating touches no
//! shared reference count: enum answers, text constants and grades are
//! indices while evaluating, and become texts only in reports.

use std::sync::Arc;

use chrono::NaiveDate;
use indexmap::IndexMap;
use serde::Serialize;

use crate::assessment::Assessment;
use crate::cases::TestCase;
use crate::eval::{self, Chain, EvalError, EvalOptions, Program, StepFailure};
use crate::input::{self, Firm, InputError, Problem};
use crate::plan::{Fill, Label, Meta, Plan};
use crate::value::Value;

/// A checked rule set, ready to evaluate many firms.
#[derive(Clone, Debug)]
pub struct CompiledRules {
    pub(crate) plan: Arc<Plan>,
    /// The plan made ready to evaluate.
    pub(crate) program: Arc<Program>,
    pub(crate) tests: Arc<[TestCase]>,
}

/// Why a firm could not be assessed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AssessError {
    /// The firm's data does not fit the declared inputs.
    #[error("{}", .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Input {
        /// Every problem found.
        errors: Vec<InputError>,
    },
    /// Evaluation stopped (overflow, division by zero, an unknown table key, `error(…)`).
    #[error("{error}")]
    Eval {
        /// What went wrong, and where.
        error: EvalError,
    },
}

impl AssessError {
    /// The error in Chinese, as its `Display` gives it in English: each
    /// input error's `to_string_zh`, joined with `；`, or the evaluation
    /// error's.
    pub fn to_string_zh(&self) -> String {
        match self {
            AssessError::Input { errors } => errors.iter().map(InputError::to_string_zh).collect::<Vec<_>>().join("；"),
            AssessError::Eval { error } => error.to_string_zh(),
        }
    }
}

impl CompiledRules {
    pub(crate) fn new(plan: Plan, tests: Arc<[TestCase]>) -> CompiledRules {
        let plan = Arc::new(plan);
        let program = Arc::new(Program::new(plan.clone()));
        CompiledRules { plan, program, tests }
    }

    /// Rule set metadata.
    pub fn meta(&self) -> &Meta {
        &self.plan.meta
    }

    /// Reads a firm's data (a JSON object) against this rule set's inputs.
    pub fn firm_from_json(&self, json: &serde_json::Value) -> Result<Firm, Vec<InputError>> {
        input::firm_from_json(&self.plan, json, &[], true)
    }

    /// Evaluates one firm as of a date.
    pub fn evaluate(&self, firm: &Firm, as_of: NaiveDate) -> Result<Assessment, EvalError> {
        self.program.evaluate(firm, as_of, EvalOptions::default())
    }

    /// Evaluates one firm to its score, grade, fired items and derived values,
    /// without building the report for people: the fast path for batch runs.
    pub fn score(&self, firm: &Firm, as_of: NaiveDate) -> Result<Scored<'_>, EvalError> {
        Ok(Scored { plan: &self.plan, outcome: self.program.run(firm, as_of)? })
    }

    /// Evaluates one firm, choosing what to compute beyond score and grade.
    pub fn evaluate_with(&self, firm: &Firm, as_of: NaiveDate, options: EvalOptions) -> Result<Assessment, EvalError> {
        self.program.evaluate(firm, as_of, options)
    }

    /// Reads and evaluates one firm.
    pub fn assess_json(&self, json: &serde_json::Value, as_of: NaiveDate) -> Result<Assessment, AssessError> {
        let firm = self.firm_from_json(json).map_err(|errors| AssessError::Input { errors })?;
        self.evaluate(&firm, as_of).map_err(|error| AssessError::Eval { error })
    }

    /// The number of embedded test cases.
    pub fn test_count(&self) -> usize {
        self.tests.len()
    }

    /// Grade ids, best first.
    pub fn grade_ids(&self) -> Vec<&str> {
        self.plan.grades.iter().map(|g| &*g.id).collect()
    }

    /// The derived values batch results carry as columns (`[results]`), in
    /// order, each with its title for people when the file gives one.
    pub fn result_columns(&self) -> impl Iterator<Item = (&str, Option<&Label>)> + '_ {
        let results = &self.plan.results;
        (results.values.iter().zip(&results.labels)).map(|(&i, l)| (&*self.plan.derived[i as usize].name, l.as_ref()))
    }
}

/// A firm's score and grade in the rule set's own terms (see [`CompiledRules::score`]).
#[derive(Clone, Debug)]
pub struct Scored<'r> {
    plan: &'r Plan,
    outcome: eval::Outcome,
}

impl<'r> Scored<'r> {
    /// The score.
    pub fn score(&self) -> rust_decimal::Decimal {
        self.outcome.score
    }

    /// The final grade's id.
    pub fn grade(&self) -> &'r str {
        &self.plan.grades[self.outcome.grade].id
    }

    /// The id of the grade whose band holds the score, before overrides.
    pub fn band_grade(&self) -> &'r str {
        &self.plan.grades[self.outcome.band].id
    }

    /// The items that fired (rule set items only), with their points after caps.
    pub fn fired(&self) -> impl Iterator<Item = (&'r str, rust_decimal::Decimal)> + '_ {
        let plan = self.plan;
        self.outcome.fired.iter().filter_map(move |f| match f.source {
            eval::Source::Item(i) => Some((&*plan.items[i as usize].id, f.points)),
            eval::Source::Penalty(_) => None,
        })
    }

    /// A derived value by name; `None` when it is not applicable or unknown.
    /// A text is always [`Value::Text`] here, never a name of the rules.
    pub fn value(&self, name: &str) -> Option<Value> {
        self.outcome.value(self.plan, name).map(|v| self.plan.names.resolved(v))
    }
}

/// One step of a scheme: a rule set and where its `from` inputs come from.
#[derive(Clone, Debug)]
pub(crate) struct SchemeStep {
    pub(crate) alias: String,
    pub(crate) rules: CompiledRules,
    /// Its inputs that earlier steps' results fill.
    pub(crate) fills: Vec<Fill>,
}

/// A checked scheme: rule sets evaluated in order, later ones reading earlier results.
#[derive(Clone, Debug)]
pub struct CompiledScheme {
    pub(crate) meta: Arc<SchemeMeta>,
    pub(crate) steps: Arc<[SchemeStep]>,
    /// The steps ready to run.
    pub(crate) chain: Arc<Chain>,
    pub(crate) tests: Arc<[TestCase]>,
}

/// Scheme metadata.
#[derive(Clone, Debug, Serialize)]
pub struct SchemeMeta {
    /// Scheme id.
    pub id: String,
    /// Scheme name.
    pub name: crate::plan::Label,
    /// Scheme version.
    pub version: String,
    /// sha256 of the scheme file text, then of each step's hash (see `SchemeRef::hash`).
    pub hash: String,
}

/// The result of a scheme: each step's assessment under its alias.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SchemeAssessment {
    /// Which scheme.
    pub scheme: SchemeRef,
    /// The as-of date.
    pub as_of: String,
    /// Each step's result, in order.
    pub steps: IndexMap<String, Assessment>,
}

/// Which scheme produced a result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SchemeRef {
    /// Scheme id.
    pub id: String,
    /// Scheme version.
    pub version: String,
    /// sha256 (hex) of the scheme file text followed, for each step in
    /// order, by a zero byte and the step's rule set hash in hex.
    pub hash: String,
}

impl CompiledScheme {
    pub(crate) fn new(meta: SchemeMeta, steps: Vec<SchemeStep>) -> CompiledScheme {
        let chain = Chain::new(steps.iter().map(|s| (s.rules.program.clone(), s.fills.clone())));
        let (meta, steps, chain) = (Arc::new(meta), steps.into(), Arc::new(chain));
        CompiledScheme { meta, steps, chain, tests: Arc::from(Vec::new()) }
    }

    /// Scheme metadata.
    pub fn meta(&self) -> &SchemeMeta {
        &self.meta
    }

    /// Step aliases and their rule sets, in order.
    pub fn steps(&self) -> impl Iterator<Item = (&str, &CompiledRules)> {
        self.steps.iter().map(|s| (s.alias.as_str(), &s.rules))
    }

    /// The number of embedded test cases.
    pub fn test_count(&self) -> usize {
        self.tests.len()
    }

    /// Reads a firm's data (one JSON object, as [`assess_json`](Self::assess_json)
    /// takes it) once for every step: one [`Firm`] per step, in order, to
    /// evaluate with [`score`](Self::score) as often as needed. The inputs
    /// earlier steps fill are left for the chain to fill. Every input error
    /// of every step is reported, each once; so is a key no step reads.
    pub fn firms_from_json(&self, json: &serde_json::Value) -> Result<Vec<Firm>, Vec<InputError>> {
        let mut errors = Vec::new();
        if let serde_json::Value::Object(obj) = json {
            for key in obj.keys() {
                let known = self.steps.iter().any(|s| {
                    s.rules.plan.inputs.iter().any(|f| &*f.name == key && f.from.is_none())
                        || s.rules.plan.lists.iter().any(|l| &*l.name == key)
                });
                if !known {
                    errors.push(InputError::new(key.clone(), &Problem::UnknownField(None)));
                }
            }
        }
        let mut firms = Vec::with_capacity(self.steps.len());
        for step in self.steps.iter() {
            let placeholder: Vec<(u32, Value)> = step.fills.iter().map(|f| (f.input, Value::Bool(false))).collect();
            match input::firm_from_json(&step.rules.plan, json, &placeholder, false) {
                Ok(f) => firms.push(f),
                Err(errs) => {
                    for e in errs {
                        if !errors.contains(&e) {
                            errors.push(e);
                        }
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(firms)
        } else {
            Err(errors)
        }
    }

    /// Evaluates one firm through every step, as batch runs do: `firms`
    /// holds one firm per step from [`firms_from_json`](Self::firms_from_json),
    /// whose filled inputs are overwritten with earlier steps' results. Each
    /// step's score, grade, fired items and values, in order, without the
    /// reports [`assess_json`](Self::assess_json) builds.
    ///
    /// # Panics
    ///
    /// When `firms` does not hold one firm per step.
    pub fn score(&self, firms: &mut [Firm], as_of: NaiveDate) -> Result<Vec<Scored<'_>>, AssessError> {
        assert_eq!(firms.len(), self.steps.len(), "one firm per step of the scheme");
        let outcomes = self.run(firms, as_of)?;
        Ok(self.steps.iter().zip(outcomes).map(|(step, outcome)| Scored { plan: &step.rules.plan, outcome }).collect())
    }

    /// Runs the chain over one firm per step; a failure names its step.
    fn run(&self, firms: &mut [Firm], as_of: NaiveDate) -> Result<Vec<eval::Outcome>, AssessError> {
        self.chain.run(firms, as_of).map_err(|failure| match failure {
            StepFailure::Fill { step, input, problem } => {
                let step = &self.steps[step];
                let path = format!("{}.{}", step.alias, step.rules.plan.inputs[input as usize].name);
                AssessError::Input { errors: vec![InputError::new(path, &problem)] }
            }
            StepFailure::Eval { step, error: e } => {
                let alias = &self.steps[step].alias;
                AssessError::Eval {
                    error: EvalError {
                        context: format!("{alias}: {}", e.context),
                        context_zh: format!("{alias}：{}", e.context_zh),
                        ..e
                    },
                }
            }
        })
    }

    /// Reads and evaluates one firm through every step.
    pub fn assess_json(&self, json: &serde_json::Value, as_of: NaiveDate) -> Result<SchemeAssessment, AssessError> {
        let mut filled = self.firms_from_json(json).map_err(|errors| AssessError::Input { errors })?;
        let outcomes = self.run(&mut filled, as_of)?;
        let results: IndexMap<String, Assessment> = self
            .steps
            .iter()
            .zip(outcomes.iter().zip(&filled))
            .map(|(step, (o, firm))| {
                (step.alias.clone(), step.rules.program.report(firm, as_of, o, EvalOptions::default()))
            })
            .collect();
        Ok(SchemeAssessment {
            scheme: SchemeRef {
                id: self.meta.id.clone(),
                version: self.meta.version.clone(),
                hash: self.meta.hash.clone(),
            },
            as_of: as_of.to_string(),
            steps: results,
        })
    }
}

/// A loaded rule file: a rule set or a scheme.
#[derive(Clone, Debug)]
pub enum Rules {
    /// One rule set.
    Set(CompiledRules),
    /// Rule sets chained.
    Scheme(CompiledScheme),
}

impl Rules {
    /// Evaluates one firm given as JSON and returns the result as JSON.
    pub fn assess_json(&self, json: &serde_json::Value, as_of: NaiveDate) -> Result<serde_json::Value, AssessError> {
        Ok(match self {
            Rules::Set(r) => serde_json::to_value(r.assess_json(json, as_of)?),
            Rules::Scheme(s) => serde_json::to_value(s.assess_json(json, as_of)?),
        }
        .expect("results serialize"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The as-of date of the portal's fixtures.
    const AS_OF: NaiveDate = NaiveDate::from_ymd_opt(2024, 6, 30).expect("a date");

    /// The shipped hazchem scheme.
    fn hazchem() -> CompiledScheme {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/schemes/hazchem.toml");
        let read = |p: &str| std::fs::read_to_string(p).map_err(|e| e.to_string());
        match crate::load(path, &read).rules {
            Some(Rules::Scheme(s)) => s,
            _ => panic!("the hazchem scheme checks"),
        }
    }

    /// The firms the scheme's own cases and the portal's fixtures give, each with its as-of date.
    fn hazchem_firms(scheme: &CompiledScheme) -> Vec<(String, serde_json::Value, NaiveDate)> {
        let mut firms: Vec<_> = scheme.tests.iter().map(|t| (t.name.clone(), t.input.clone(), t.as_of)).collect();
        for fixture in ["hazchem-scheme.json", "hazchem-scheme-orange.json"] {
            let path = format!("{}/../e2e/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).expect("the fixture");
            firms.push((fixture.to_string(), serde_json::from_str(&text).expect("JSON"), AS_OF));
        }
        firms
    }

    #[test]
    fn scheme_score_agrees_with_assess_json_step_by_step() {
        let scheme = hazchem();
        let firms = hazchem_firms(&scheme);
        assert!(firms.len() >= 7, "the scheme's cases and both fixtures");
        for (name, json, as_of) in firms {
            let report = scheme.assess_json(&json, as_of).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut step_firms = scheme.firms_from_json(&json).expect("the firm reads");
            // Twice over the same firms: the chain's fills overwrite the last run's.
            for _ in 0..2 {
                let scored = scheme.score(&mut step_firms, as_of).expect("the firm scores");
                assert_eq!(scored.len(), report.steps.len());
                for ((alias, a), s) in report.steps.iter().zip(&scored) {
                    assert_eq!(s.score().normalize().to_string(), a.score, "{name}: {alias} score");
                    assert_eq!(s.grade(), &*a.grade, "{name}: {alias} grade");
                    assert_eq!(s.band_grade(), &*a.band_grade, "{name}: {alias} band");
                    let fired: Vec<&str> = s.fired().map(|(id, _)| id).collect();
                    let reported: Vec<&str> = a.items.iter().map(|i| &*i.id).collect();
                    assert_eq!(fired, reported, "{name}: {alias} fired items");
                }
            }
        }
    }

    #[test]
    fn scheme_firms_from_json_reports_what_assess_json_does() {
        let scheme = hazchem();
        let json = serde_json::json!({ "standardization": "level_9", "no_such_input": 1 });
        let Err(AssessError::Input { errors }) = scheme.assess_json(&json, AS_OF) else {
            panic!("the firm is refused")
        };
        assert_eq!(scheme.firms_from_json(&json).expect_err("refused"), errors);
        assert!(errors.iter().any(|e| e.path == "no_such_input"), "{errors:?}");
        assert!(errors.iter().any(|e| e.path == "standardization"), "{errors:?}");
        assert!(errors.iter().enumerate().all(|(i, e)| !errors[..i].contains(e)), "each problem once: {errors:?}");
    }

    #[test]
    #[should_panic(expected = "one firm per step")]
    fn scheme_score_wants_one_firm_per_step() {
        let scheme = hazchem();
        let mut firms = scheme.firms_from_json(&serde_json::json!({ "standardization": "level_1" })).expect("reads");
        firms.pop();
        let _ = scheme.score(&mut firms, AS_OF);
    }
}
