//! Stage 3, evaluate: a plan, one firm and an as-of date to an [`Assessment`](crate::Assessment).
//!
//! The order is fixed: per-record derived values, firm derived values, items
//! (with item and group caps), the score, the band, the overrides, then the
//! next-grade plan. Evaluation reads only the plan and the firm, so the same
//! inputs always give the same result, on every platform and thread.

mod expr;
mod fault;
mod fixed;
mod kernel;
mod next_grade;
mod outcome;
mod program;
mod report;
mod run;
mod scheme;
mod score;
mod shape;
mod table;
#[cfg(test)]
mod test_rules;

pub use fault::{EvalError, EvalErrorKind};
pub(crate) use outcome::{Outcome, Source};
pub(crate) use program::Program;
pub(crate) use report::penalty_item_id;
pub use report::EvalOptions;
pub(crate) use scheme::{Chain, StepFailure};

#[cfg(test)]
mod tests;
