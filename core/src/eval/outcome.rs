//! What one evaluation found, in plan terms: indices and decimals, no
//! texts. The score and report stages read it; nothing in it refers to the
//! evaluator that produced it.

use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::plan::Plan;
use crate::value::Value;

/// A fired item's contribution, as the score computation needs it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Contribution {
    pub(crate) group: Option<u32>,
    pub(crate) points: Decimal,
}

/// Where a fired item comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// An item of the rule set, by index.
    Item(u32),
    /// The penalty for a missing answer to an input, by index.
    Penalty(u32),
}

/// One fired item in plan terms.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fired {
    pub(crate) source: Source,
    /// The score group its points count in.
    pub(crate) group: Option<u32>,
    pub(crate) points: Decimal,
    pub(crate) raw: Decimal,
}

/// What an evaluation found, in plan terms: indices and decimals, no texts.
/// Reports for people (`Assessment`) are built from it on demand, so batch
/// runs that need only score and grade pay for nothing else.
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    pub(crate) score: Decimal,
    pub(crate) band: usize,
    pub(crate) grade: usize,
    /// In the outcome itself for up to eight items: few items fire.
    pub(crate) fired: SmallVec<[Fired; 8]>,
    /// Overrides whose condition held, in file order.
    pub(crate) applied: Vec<usize>,
    /// In the outcome itself for the usual handful of derived values.
    pub(crate) derived: SmallVec<[Option<Value>; 8]>,
    pub(crate) skipped: Vec<u32>,
    pub(crate) base: Decimal,
}

impl Outcome {
    /// A derived value by name; `None` when it is not applicable or unknown.
    pub(crate) fn value(&self, plan: &Plan, name: &str) -> Option<&Value> {
        let i = plan.derived.iter().position(|d| &*d.name == name)?;
        self.derived[i].as_ref()
    }
}
