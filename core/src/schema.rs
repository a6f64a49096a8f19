//! The questionnaire a rule set asks: its inputs, lists, question groups and
//! grades, as plain data for forms (the portal) and for other systems
//! (`schema()` in the JS package).

use serde::Serialize;

use crate::plan::{Field, Label, Meta, Missing, Plan, ValueType};
use crate::rules::CompiledRules;

/// Everything a form needs to ask a rule set's questions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Schema {
    /// Rule set metadata.
    pub ruleset: Meta,
    /// Question groups, in file order.
    pub groups: Vec<GroupSchema>,
    /// Scalar inputs, in file order.
    pub inputs: Vec<FieldSchema>,
    /// Lists of records, in file order.
    pub lists: Vec<ListSchema>,
    /// Grades, best first.
    pub grades: Vec<GradeSchema>,
    /// Score groups (the sections of the scoring form), in file order.
    pub score_groups: Vec<GroupSchema>,
}

/// A question group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupSchema {
    /// Group id.
    pub id: String,
    /// Section title.
    pub label: Label,
    /// Section help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Label>,
}

/// One input or list field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldSchema {
    /// The name used in firm data.
    pub name: String,
    /// bool, integer, decimal, enum, date, text or uscc.
    #[serde(rename = "type")]
    pub ty: String,
    /// Question text.
    pub label: Label,
    /// Help text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Label>,
    /// Question group id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Inclusive lower bound (numbers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// Inclusive upper bound (numbers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// The only values accepted (numbers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// Longest text, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_len: Option<u32>,
    /// Enum options.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<OptionSchema>,
    /// Whether an answer is required (also for an input a scheme fills
    /// `from` an earlier step: used on its own, the rule set asks it).
    pub required: bool,
    /// The value used when no answer is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// What a missing answer means: required, default, not_applicable or penalty.
    pub missing: String,
    /// Inside a scheme, filled by an earlier step (`step.what`) and not
    /// asked; a rule set used on its own asks it like any other input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// One enum option.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OptionSchema {
    /// Option id.
    pub id: String,
    /// Option label.
    pub label: Label,
}

/// A list of records.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListSchema {
    /// The name used in firm data.
    pub name: String,
    /// Title.
    pub label: Label,
    /// Help text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Label>,
    /// Question group id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Most records accepted.
    pub max_records: u32,
    /// The fields of one record.
    pub fields: Vec<FieldSchema>,
}

/// A grade.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GradeSchema {
    /// Grade id.
    pub id: String,
    /// Label.
    pub label: Label,
    /// Colour (CSS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

fn field_schema(plan: &Plan, f: &Field) -> FieldSchema {
    let options = match &f.vtype {
        ValueType::Enum(e) => plan.enums[*e as usize]
            .options
            .iter()
            .map(|(id, label)| OptionSchema { id: id.to_string(), label: label.clone() })
            .collect(),
        _ => Vec::new(),
    };
    let (missing, default) = match &f.missing {
        Missing::Required => ("required", None),
        Missing::Default(v) => ("default", Some(plan.names.json(v))),
        Missing::NotApplicable => ("not_applicable", None),
        Missing::Penalty(_) => ("penalty", None),
    };
    FieldSchema {
        name: f.name.to_string(),
        ty: f.vtype.name().to_string(),
        label: f.label.clone(),
        help: f.help.clone(),
        group: f.group.as_deref().map(str::to_string),
        min: f.min.map(|d| d.normalize().to_string()),
        max: f.max.map(|d| d.normalize().to_string()),
        allowed: f.allowed.as_ref().map(|a| a.iter().map(|d| d.normalize().to_string()).collect()),
        max_len: f.max_len,
        options,
        required: matches!(f.missing, Missing::Required),
        default,
        missing: missing.to_string(),
        from: f.from.as_deref().map(str::to_string),
    }
}

impl CompiledRules {
    /// The questionnaire this rule set asks.
    pub fn schema(&self) -> Schema {
        let plan = &*self.plan;
        Schema {
            ruleset: plan.meta.clone(),
            groups: plan
                .groups
                .iter()
                .map(|(id, label, help)| GroupSchema { id: id.to_string(), label: label.clone(), help: help.clone() })
                .collect(),
            inputs: plan.inputs.iter().map(|f| field_schema(plan, f)).collect(),
            lists: plan
                .lists
                .iter()
                .map(|l| ListSchema {
                    name: l.name.to_string(),
                    label: l.label.clone(),
                    help: l.help.clone(),
                    group: l.group.as_deref().map(str::to_string),
                    max_records: l.max_records,
                    fields: l.fields.iter().map(|f| field_schema(plan, f)).collect(),
                })
                .collect(),
            grades: plan
                .grades
                .iter()
                .map(|g| GradeSchema {
                    id: g.id.to_string(),
                    label: g.label.clone(),
                    color: g.color.as_deref().map(str::to_string),
                })
                .collect(),
            score_groups: plan
                .score_groups
                .iter()
                .map(|g| GroupSchema { id: g.id.to_string(), label: g.label.clone(), help: None })
                .collect(),
        }
    }
}
