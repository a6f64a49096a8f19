//! A checked plan made ready to evaluate: [`Program`] owns the kernels
//! compiled from it and, for rule sets whose answers take few values, the
//! table of every outcome.

use chrono::NaiveDate;
use std::sync::Arc;

use super::fault::EvalError;
use super::kernel::Kernels;
use super::outcome::Outcome;
use super::report::{report, EvalOptions};
use super::run::run_kernels;
use super::table::OutcomeTable;
use crate::assessment::Assessment;
use crate::input::Firm;
use crate::plan::Plan;

/// A finished plan made ready to evaluate: its expressions compiled to
/// kernels and, for rule sets whose answers take few values, the table of
/// every outcome. Built once per rule set; shared by every thread.
#[derive(Debug)]
pub(crate) struct Program {
    pub(crate) plan: Arc<Plan>,
    pub(super) kernels: Kernels,
    pub(super) table: Option<OutcomeTable>,
}

impl Program {
    /// Compiles `plan`, which has checked.
    pub(crate) fn new(plan: Arc<Plan>) -> Program {
        Program::with_kernels(Kernels::compile(&plan), plan)
    }

    /// A program whose every expression and item goes through the
    /// interpreter, whose score is summed in `Decimal`s and which has no
    /// outcome table: the reference the fast paths are tested against.
    #[cfg(any(test, feature = "differential"))]
    pub(crate) fn interpreted(plan: Arc<Plan>) -> Program {
        Program { kernels: Kernels::interpreted(&plan), plan, table: None }
    }

    fn with_kernels(kernels: Kernels, plan: Arc<Plan>) -> Program {
        let table = OutcomeTable::build(&plan, kernels.has_unanswerable_inputs, |firm, as_of| {
            run_kernels(&plan, &kernels, firm, as_of)
        });
        Program { plan, kernels, table }
    }

    /// Evaluates one firm and reports it for people.
    pub(crate) fn evaluate(
        &self,
        firm: &Firm,
        as_of: NaiveDate,
        options: EvalOptions,
    ) -> Result<Assessment, EvalError> {
        let outcome = self.run(firm, as_of)?;
        Ok(report(&self.plan, firm, as_of, &outcome, options))
    }

    /// The report for people of an outcome `run` gave for `firm`.
    pub(crate) fn report(&self, firm: &Firm, as_of: NaiveDate, outcome: &Outcome, options: EvalOptions) -> Assessment {
        report(&self.plan, firm, as_of, outcome, options)
    }

    /// Evaluates one firm: derived values, items, score, band, overrides.
    pub(crate) fn run(&self, firm: &Firm, as_of: NaiveDate) -> Result<Outcome, EvalError> {
        if let Some(known) = self.table.as_ref().and_then(|t| t.get(&firm.inputs)) {
            return known.clone();
        }
        run_kernels(&self.plan, &self.kernels, firm, as_of)
    }
}
