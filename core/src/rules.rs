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

    /// Reads and evaluates one firm through every step.
    pub fn assess_json(&self, json: &serde_json::Value, as_of: NaiveDate) -> Result<SchemeAssessment, AssessError> {
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
        let mut firms: Vec<Option<Firm>> = Vec::new();
        // Read every step's inputs first, so all input errors are reported together.
        for step in self.steps.iter() {
            let placeholder: Vec<(u32, Value)> = step.fills.iter().map(|f| (f.input, Value::Bool(false))).collect();
            match input::firm_from_json(&step.rules.plan, json, &placeholder, false) {
                Ok(f) => firms.push(Some(f)),
                Err(errs) => {
                    for e in errs {
                        if !errors.contains(&e) {
                            errors.push(e);
                        }
                    }
                    firms.push(None);
                }
            }
        }
        if !errors.is_empty() {
            return Err(AssessError::Input { errors });
        }
        let mut filled: Vec<Firm> = firms.into_iter().map(|f| f.expect("no input errors")).collect();
        let outcomes = self.chain.run(&mut filled, as_of).map_err(|failure| match failure {
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
        })?;
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
