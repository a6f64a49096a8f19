//! The fast paths against the interpreter, for the differential fuzz
//! target: one firm evaluated by a rule set's program (kernels, item
//! shapes, the outcome table, integer sums) and by the same plan's
//! interpreted program must give the same outcome, or the same error.
//!
//! Built only with the `differential` feature and hidden from the
//! documentation: it is no part of the library's interface.

use chrono::NaiveDate;

use crate::eval::Program;
use crate::rules::CompiledRules;

/// Reads `firm_json` against `rules` and evaluates it both ways as of
/// `as_of`; `Err` holds both results when they differ. A firm whose data
/// does not read is `Ok`: neither way evaluates it.
pub fn compare(rules: &CompiledRules, firm_json: &serde_json::Value, as_of: NaiveDate) -> Result<(), String> {
    let Ok(firm) = rules.firm_from_json(firm_json) else { return Ok(()) };
    // Cheap: the interpreted program clones the plan's nodes and builds no table.
    let reference = Program::interpreted(rules.plan.clone());
    let compiled = format!("{:?}", rules.program.run(&firm, as_of));
    let interpreted = format!("{:?}", reference.run(&firm, as_of));
    match compiled == interpreted {
        true => Ok(()),
        false => Err(format!("compiled:    {compiled}\ninterpreted: {interpreted}")),
    }
}
