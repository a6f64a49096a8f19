//! The steps a run evaluates for each firm: a rule set alone is one step,
//! a scheme one per step, each with the inputs that earlier steps' results
//! fill.

use crate::plan::Field;
use crate::plan::Fill;
use crate::rules::{CompiledRules, Rules};

/// One evaluation step: a rule set and the earlier results it reads.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    /// The scheme alias; empty for a single rule set.
    pub(crate) alias: String,
    pub(crate) rules: CompiledRules,
    /// Its inputs that earlier steps' results fill.
    pub(crate) fills: Vec<Fill>,
}

impl Step {
    /// Whether an earlier step's result fills input `i`: only inside a
    /// scheme. A rule set used on its own reads every input, including
    /// those it declares `from` a scheme step, from the firm's data.
    pub(crate) fn fills_input(&self, i: usize) -> bool {
        self.fills.iter().any(|f| f.input as usize == i)
    }

    /// The inputs the firm's data answers: every input no earlier step fills.
    pub(crate) fn asked(&self) -> impl Iterator<Item = &Field> {
        self.rules.plan.inputs.iter().enumerate().filter(|(i, _)| !self.fills_input(*i)).map(|(_, f)| f)
    }
}

/// The steps of a rule file: one for a rule set, one per step for a scheme.
pub(crate) fn steps_of(rules: &Rules) -> Vec<Step> {
    match rules {
        Rules::Set(r) => vec![Step { alias: String::new(), rules: r.clone(), fills: Vec::new() }],
        Rules::Scheme(s) => s
            .steps
            .iter()
            .map(|st| Step { alias: st.alias.clone(), rules: st.rules.clone(), fills: st.fills.clone() })
            .collect(),
    }
}
