//! One scheme runner: a scheme's steps evaluated in order for one firm,
//! each step's `from` inputs filled from earlier steps' outcomes. The
//! library's `CompiledScheme` and batch scoring both run steps through a
//! [`Chain`]; a rule set alone is a chain of one step.

use std::sync::Arc;

use super::fault::EvalError;
use super::outcome::Outcome;
use super::program::Program;
use crate::input::{Firm, Problem};
use crate::plan::{Fill, FillFrom};
use crate::value::Value;

/// Steps ready to run: each program with its fills.
#[derive(Debug)]
pub(crate) struct Chain {
    links: Vec<Link>,
}

#[derive(Debug)]
struct Link {
    program: Arc<Program>,
    fills: Vec<Fill>,
    /// For each fill from a grade, the input's value for each grade of the
    /// earlier step (or why that grade is not one), read once, not per firm;
    /// empty for other fills.
    grade_values: Vec<Vec<Result<Value, Problem>>>,
}

/// Why a chain stopped for one firm: the step, by index, and what happened.
#[derive(Clone, Debug)]
pub(crate) enum StepFailure {
    /// An earlier step's result cannot fill input `input` of step `step`.
    Fill { step: usize, input: u32, problem: Problem },
    /// Step `step` did not evaluate.
    Eval { step: usize, error: EvalError },
}

impl Chain {
    /// The steps in order, each with the fills its inputs take from earlier steps.
    pub(crate) fn new(steps: impl IntoIterator<Item = (Arc<Program>, Vec<Fill>)>) -> Chain {
        let mut links: Vec<Link> = Vec::new();
        for (program, fills) in steps {
            let plan = &program.plan;
            let grade_values = (fills.iter())
                .map(|fill| match fill.from {
                    FillFrom::Grade => {
                        let field = &plan.inputs[fill.input as usize];
                        let earlier = &links[fill.step].program.plan;
                        (earlier.grades.iter())
                            .map(|g| crate::input::value_from_text(&g.id, field, plan.texts()))
                            .collect()
                    }
                    _ => Vec::new(),
                })
                .collect();
            links.push(Link { program, fills, grade_values });
        }
        Chain { links }
    }

    /// Evaluates `firms[i]` through step `i`, in order, filling each step's
    /// `from` inputs first; the outcomes of every step, or where it stopped.
    pub(crate) fn run(&self, firms: &mut [Firm], as_of: chrono::NaiveDate) -> Result<Vec<Outcome>, StepFailure> {
        let mut outcomes: Vec<Outcome> = Vec::with_capacity(self.links.len());
        for (step, (link, firm)) in self.links.iter().zip(firms).enumerate() {
            if !link.fills.is_empty() {
                link.fill(&self.links, &outcomes, firm).map_err(|(input, problem)| StepFailure::Fill {
                    step,
                    input,
                    problem,
                })?;
            }
            // Matched, not mapped: an outcome is large, and each move copies it.
            match link.program.run(firm, as_of) {
                Ok(outcome) => outcomes.push(outcome),
                Err(error) => return Err(StepFailure::Eval { step, error }),
            }
        }
        Ok(outcomes)
    }
}

impl Link {
    /// Fills the inputs this step takes from earlier steps
    /// (`from = "step.grade"`, `"step.score"`, `"step.value"`); `earlier`
    /// holds each earlier step's outcome, in order, and `links` their steps.
    /// An error names the input.
    fn fill(&self, links: &[Link], earlier: &[Outcome], firm: &mut Firm) -> Result<(), (u32, Problem)> {
        let plan = &self.program.plan;
        for (fill, grade_values) in self.fills.iter().zip(&self.grade_values) {
            let o = &earlier[fill.step];
            let (input, what) = (fill.input, &fill.what);
            let earlier_value = match fill.from {
                // One value per grade of the earlier plan, and `o.grade` is one of them.
                FillFrom::Grade => match &grade_values[o.grade] {
                    Ok(v) => {
                        firm.inputs[input as usize] = Some(v.clone());
                        continue;
                    }
                    Err(m) => {
                        let problem = Box::new(m.clone());
                        return Err((input, Problem::FromEarlier { what: what.clone(), problem }));
                    }
                },
                FillFrom::Score => Some(Value::Num(o.score)),
                FillFrom::Derived(i) => o.derived.get(i).cloned().flatten(),
            };
            let field = &plan.inputs[input as usize];
            let Some(earlier_value) = earlier_value else {
                // The earlier value was not applicable: treat the input as unanswered.
                let mut errors = Vec::new();
                let v = crate::input::resolve_missing(field, &field.name, input, &mut firm.missing, &mut errors);
                if !errors.is_empty() {
                    let problem = Box::new(Problem::Required);
                    return Err((input, Problem::FromEarlierWithoutValue { what: what.clone(), problem }));
                }
                firm.inputs[input as usize] = v;
                continue;
            };
            let names = &links[fill.step].program.plan.names;
            let v = crate::input::value_from_value(&earlier_value, names, field, plan.texts())
                .map_err(|m| (input, Problem::FromEarlier { what: what.clone(), problem: Box::new(m) }))?;
            firm.inputs[input as usize] = Some(v);
        }
        Ok(())
    }
}
