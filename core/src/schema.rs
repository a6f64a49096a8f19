//! The questionnaire a rule set asks: its inputs, lists, question groups and
//! grades, as plain data for forms (the portal) and for other systems
//! (`schema()` in the JS package).

use serde::Serialize;

use crate::plan::{Field, Label, Meta, Missing, Plan, ValueType};
use crate::rules::{CompiledRules, CompiledScheme};

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

impl CompiledScheme {
    /// The one questionnaire a scheme asks: every input and list its steps
    /// read from the firm, each once, in step order (the first step to ask
    /// it gives its label, group and treatment when missing). Inputs a step
    /// fills `from` an earlier step are not asked; a list read by several
    /// steps has every field any of them reads, and the smallest record
    /// limit. `ruleset` is the scheme's own id, name, version and hash
    /// (kind `scheme`); `grades` is empty, as each step has its own
    /// ([`CompiledScheme::steps`] and [`CompiledRules::schema`]).
    pub fn schema(&self) -> Schema {
        let meta = self.meta();
        let mut merged = Schema {
            ruleset: Meta {
                id: meta.id.clone(),
                name: meta.name.clone(),
                version: meta.version.clone(),
                kind: "scheme".into(),
                hash: meta.hash.clone(),
                effective_from: None,
                effective_to: None,
                sources: Vec::new(),
                notes: None,
            },
            groups: Vec::new(),
            inputs: Vec::new(),
            lists: Vec::new(),
            grades: Vec::new(),
            score_groups: Vec::new(),
        };
        for (_, rules) in self.steps() {
            let step = rules.schema();
            for g in step.groups {
                if !merged.groups.iter().any(|m| m.id == g.id) {
                    merged.groups.push(g);
                }
            }
            for f in step.inputs.into_iter().filter(|f| f.from.is_none()) {
                match merged.inputs.iter_mut().find(|m| m.name == f.name) {
                    Some(m) => m.required |= f.required,
                    None => merged.inputs.push(f),
                }
            }
            for l in step.lists {
                let Some(m) = merged.lists.iter_mut().find(|m| m.name == l.name) else {
                    merged.lists.push(l);
                    continue;
                };
                m.max_records = m.max_records.min(l.max_records);
                for f in l.fields {
                    match m.fields.iter_mut().find(|x| x.name == f.name) {
                        Some(x) => x.required |= f.required,
                        None => m.fields.push(f),
                    }
                }
            }
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::NaiveDate;
    use serde_json::{json, Map, Value as Json};

    use crate::{load, AssessError, CompiledScheme, InputErrorKind, Rules};

    fn shipped_scheme() -> CompiledScheme {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../");
        let loader = |p: &str| std::fs::read_to_string(format!("{root}{p}")).map_err(|e| e.to_string());
        match load("rules/schemes/hazchem.toml", &loader).rules {
            Some(Rules::Scheme(s)) => s,
            _ => panic!("the shipped scheme loads"),
        }
    }

    /// A value of the field's type that reading accepts.
    fn sample(f: &super::FieldSchema) -> Json {
        match f.ty.as_str() {
            "bool" => json!(true),
            "integer" | "decimal" => json!(f.min.as_deref().unwrap_or("0").parse::<i64>().unwrap_or(0)),
            "enum" => json!(f.options[0].id),
            "date" => json!("2024-01-01"),
            _ => json!("x"),
        }
    }

    #[test]
    fn a_scheme_asks_each_input_once_and_nothing_a_step_fills() {
        let scheme = shipped_scheme();
        let schema = scheme.schema();
        assert_eq!((schema.ruleset.id.as_str(), schema.ruleset.kind.as_str()), ("hazchem", "scheme"));
        assert_eq!(schema.ruleset.hash, scheme.meta().hash);
        let names: Vec<&str> = schema.inputs.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names.len(), names.iter().collect::<BTreeSet<_>>().len(), "each input once: {names:?}");
        assert!(!names.contains(&"blacklist_status") && !names.contains(&"risk_grade"), "{names:?}");
        assert!(schema.inputs.iter().all(|f| f.from.is_none()));
        // Every input and list field any step reads from the firm is asked.
        for (alias, rules) in scheme.steps() {
            let step = rules.schema();
            for f in step.inputs.iter().filter(|f| f.from.is_none()) {
                assert!(names.contains(&f.name.as_str()), "{alias}.{} is asked", f.name);
            }
            for l in &step.lists {
                let merged = schema.lists.iter().find(|m| m.name == l.name).expect("list asked");
                assert!(merged.max_records <= l.max_records);
                for f in &l.fields {
                    assert!(merged.fields.iter().any(|m| m.name == f.name), "{alias}: {}.{}", l.name, f.name);
                }
            }
        }
    }

    #[test]
    fn every_question_of_a_scheme_is_an_answer_it_reads() {
        let scheme = shipped_scheme();
        let schema = scheme.schema();
        let mut firm = Map::new();
        for f in &schema.inputs {
            firm.insert(f.name.clone(), sample(f));
        }
        for l in &schema.lists {
            let record: Map<String, Json> = l.fields.iter().map(|f| (f.name.clone(), sample(f))).collect();
            firm.insert(l.name.clone(), json!([record]));
        }
        let as_of = NaiveDate::from_ymd_opt(2024, 6, 30).expect("date");
        match scheme.assess_json(&Json::Object(firm), as_of) {
            Ok(a) => assert_eq!(a.steps.len(), scheme.steps().count()),
            Err(AssessError::Input { errors }) => assert!(
                errors.iter().all(|e| !matches!(e.kind(), InputErrorKind::UnknownField { .. })),
                "answers the scheme reads: {errors:?}"
            ),
            Err(e) => panic!("{e}"),
        }
    }
}
