//! The result of evaluating one firm: score, grade and every reason.
//!
//! These types are the published JSON contract (`docs/RULES.md`, "The
//! result"). Decimals are strings so nothing is rounded on the way; maps are
//! ordered (file order), so the same input always gives the same bytes.
//! Texts that come from the rule set (ids, labels, clauses) are shared
//! `Arc<str>`s, so building a result for each of a million firms does not
//! copy them.

use std::sync::Arc;

use indexmap::IndexMap;
use serde::Serialize;

use crate::input::MissingTreatment;

pub use crate::plan::RulesetRef;

/// The assessment of one firm under one rule set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// The rule set.
    pub ruleset: RulesetRef,
    /// The date the assessment is made as of (YYYY-MM-DD).
    pub as_of: String,
    /// The score, after caps, rounding and clamping.
    pub score: String,
    /// The grade whose band holds the score, before overrides.
    pub band_grade: Arc<str>,
    /// The final grade.
    pub grade: Arc<str>,
    /// The final grade's label (Chinese).
    pub grade_label: Arc<str>,
    /// The final grade's label in English, when the rule set has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade_label_en: Option<Arc<str>>,
    /// The final grade's colour, when the rule set has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade_color: Option<Arc<str>>,
    /// Every item that fired, in file order.
    pub items: Vec<FiredItem>,
    /// Every override whose condition held, in the order applied.
    pub overrides: Vec<AppliedOverride>,
    /// Firm-level derived values, in file order.
    pub values: IndexMap<Arc<str>, serde_json::Value>,
    /// Inputs that were missing and what was done about them.
    pub missing: Vec<MissingInput>,
    /// Items skipped because an input they need is not applicable.
    pub skipped: Vec<Arc<str>>,
    /// What it takes to reach the next better grade; `None` at the best grade.
    pub next_grade: Option<NextGrade>,
    /// What in the firm's data was read but probably not as meant: records
    /// dated after the as-of date, which time windows leave out. Omitted
    /// from JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// Something in a firm's data that the assessment read but probably not as
/// meant; the result stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// What kind: `future_date`, a record dated after the as-of date in a
    /// field a time window (`within`) counts from.
    pub code: &'static str,
    /// The list.
    pub list: Arc<str>,
    /// The record, counted from 1 as people count.
    pub record: usize,
    /// The field.
    pub field: Arc<str>,
    /// The date given (YYYY-MM-DD).
    pub date: String,
    /// What is wrong, in English.
    pub message: String,
    /// What is wrong, in Chinese.
    pub message_zh: String,
}

/// An item that fired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FiredItem {
    /// Item id.
    pub id: Arc<str>,
    /// Score group, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Arc<str>>,
    /// Points after the item's cap (and rounding at `item`).
    pub points: String,
    /// Points before the cap.
    pub raw_points: String,
    /// Label (Chinese).
    pub label: Arc<str>,
    /// Label in English, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_en: Option<Arc<str>>,
    /// The clause it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cite: Option<Arc<str>>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<Arc<str>>,
    /// How to fix it, in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice_en: Option<Arc<str>>,
    /// Whether the firm can remove it by acting now (`fixable = false` in the
    /// rule file: the past, or the firm's nature); in JSON only when false.
    #[serde(skip_serializing_if = "is_true")]
    pub fixable: bool,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// An override whose condition held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedOverride {
    /// Override id.
    pub id: Arc<str>,
    /// force, ceiling, floor or down.
    pub action: &'static str,
    /// The grade before.
    pub from: Arc<str>,
    /// The grade after.
    pub to: Arc<str>,
    /// Why (Chinese).
    pub reason: Arc<str>,
    /// Why, in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_en: Option<Arc<str>>,
    /// The clause it comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cite: Option<Arc<str>>,
}

/// A missing input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingInput {
    /// Input name.
    pub input: Arc<str>,
    /// What was done.
    pub treatment: MissingTreatment,
}

/// The plan to reach the next better grade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NextGrade {
    /// The next better grade.
    pub grade: Arc<str>,
    /// The smallest set of fired items whose removal reaches it: of fixable
    /// items only whenever such a set exists; `None` when no set does.
    pub needs: Option<Vec<Arc<str>>>,
    /// The items of `needs` the firm cannot fix (the past, its nature):
    /// not empty only when no set of fixable items reaches the grade.
    /// Omitted from JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unfixable: Vec<Arc<str>>,
    /// Overrides that hold the grade down when no set of items helps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<Arc<str>>,
    /// Whether `needs` is proven smallest (false: a greedy answer after a bounded search).
    pub exact: bool,
}
