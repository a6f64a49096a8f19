//! A scored firm's result in typed form, as [`Scorer`](super::Scorer)
//! gives it: the key, each step's exact score, grade and declared result
//! columns, the items fired and overrides applied when explained, and the
//! row the results file holds for it.

use rust_decimal::Decimal;

/// A scored firm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirmResult {
    /// The key, normalised (a 统一社会信用代码 in upper case).
    pub key: String,
    /// Each step's result, in order (one for a rule set).
    pub steps: Vec<StepResult>,
    /// The firm's row of the results, in the configured format (a CSV
    /// line or a JSON line, ending in a line end).
    pub row: Vec<u8>,
}

/// One step's result for a firm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepResult {
    /// The scheme alias; empty for a single rule set.
    pub alias: String,
    /// The score, without trailing zeros.
    pub score: Decimal,
    /// The grade's id.
    pub grade: String,
    /// The result columns the rules declare, in order: (name, value as
    /// written, empty when not applicable or blanked at this grade).
    pub columns: Vec<(String, String)>,
    /// With [`BatchConfig::explain`](super::BatchConfig::explain): every
    /// fired item, (id, points).
    pub items: Option<Vec<(String, Decimal)>>,
    /// With [`BatchConfig::explain`](super::BatchConfig::explain): the ids
    /// of the overrides applied.
    pub overrides: Option<Vec<String>>,
}
