//! The report for people, built from an [`Outcome`] only when asked: item
//! and grade texts, values as JSON, missing inputs, warnings about records
//! dated after the as-of date, and the next-grade plan.

use chrono::NaiveDate;
use indexmap::IndexMap;
use std::sync::Arc;

use super::next_grade;
use super::outcome::{Contribution, Outcome, Source};
use super::score::apply_overrides;
use crate::assessment::{Assessment, FiredItem, MissingInput, Warning};
use crate::input::Firm;
use crate::plan::Plan;
use crate::value::Value;

/// What an evaluation computes beyond score and grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalOptions {
    /// Compute the next-grade plan (a bounded search; batch runs that do not
    /// report it can skip it).
    pub next_grade: bool,
}

impl Default for EvalOptions {
    fn default() -> EvalOptions {
        EvalOptions { next_grade: true }
    }
}

/// The id under which a missing-answer penalty is reported.
pub(crate) fn penalty_item_id(input: &str) -> String {
    format!("missing.{input}")
}

/// The report for people: texts, values as JSON, missing inputs, the next-grade plan.
pub(crate) fn report(plan: &Plan, firm: &Firm, as_of: NaiveDate, o: &Outcome, options: EvalOptions) -> Assessment {
    let items: Vec<FiredItem> = o
        .fired
        .iter()
        .map(|f| match f.source {
            Source::Item(idx) => {
                let item = &plan.items[idx as usize];
                FiredItem {
                    id: item.id.clone(),
                    group: item.group.map(|g| plan.score_groups[g as usize].id.clone()),
                    points: f.points.normalize().to_string(),
                    raw_points: f.raw.normalize().to_string(),
                    label: item.label.zh.clone(),
                    label_en: item.label.en.clone(),
                    cite: item.cite.clone(),
                    advice: item.advice.as_ref().map(|a| a.zh.clone()),
                    advice_en: item.advice.as_ref().and_then(|a| a.en.clone()),
                    fixable: item.fixable,
                }
            }
            Source::Penalty(i) => {
                let input = &plan.inputs[i as usize];
                let p = f.points.normalize().to_string();
                FiredItem {
                    id: Arc::from(penalty_item_id(&input.name)),
                    group: None,
                    points: p.clone(),
                    raw_points: p,
                    label: Arc::from(format!("未填写：{}", input.label.zh)),
                    label_en: Some(Arc::from(format!(
                        "not answered: {}",
                        input.label.en.as_deref().unwrap_or(&input.name)
                    ))),
                    cite: None,
                    advice: Some(Arc::from("补充填写该项")),
                    advice_en: Some(Arc::from("answer this question")),
                    fixable: true,
                }
            }
        })
        .collect();
    let missing = firm
        .missing
        .iter()
        .map(|(i, treatment)| MissingInput { input: plan.inputs[*i as usize].name.clone(), treatment: *treatment })
        .collect();
    let (_, overrides) = apply_overrides(plan, o.band, &o.applied);
    let next_grade = if options.next_grade {
        let contributions: Vec<Contribution> =
            o.fired.iter().map(|f| Contribution { group: f.group, points: f.points }).collect();
        next_grade::plan_next(plan, o.base, &contributions, &items, o.grade, &o.applied)
    } else {
        None
    };
    let mut values = IndexMap::with_capacity(plan.derived.len());
    for (d, v) in plan.derived.iter().zip(&o.derived) {
        values.insert(d.name.clone(), v.as_ref().map_or(serde_json::Value::Null, |v| plan.names.json(v)));
    }
    let g = &plan.grades[o.grade];
    Assessment {
        ruleset: plan.ruleset_ref.clone(),
        as_of: as_of.to_string(),
        score: o.score.normalize().to_string(),
        band_grade: plan.grades[o.band].id.clone(),
        grade: g.id.clone(),
        grade_label: g.label.zh.clone(),
        grade_label_en: g.label.en.clone(),
        grade_color: g.color.clone(),
        items,
        overrides,
        values,
        missing,
        skipped: o.skipped.iter().map(|&i| plan.items[i as usize].id.clone()).collect(),
        next_grade,
        warnings: future_dates(plan, firm, as_of),
    }
}

/// The records dated after the as-of date in a field a time window counts
/// from (`ListDef::window_fields`): every window ends on the as-of date, so
/// they count in none, which is rarely what the firm meant.
fn future_dates(plan: &Plan, firm: &Firm, as_of: NaiveDate) -> Vec<Warning> {
    let mut out = Vec::new();
    for (def, records) in plan.lists.iter().zip(&firm.lists).filter(|(d, _)| !d.window_fields.is_empty()) {
        for (r, rec) in records.iter().enumerate() {
            for &f in &def.window_fields {
                let Some(Value::Date(date)) = rec.get(f as usize) else { continue };
                if *date <= as_of {
                    continue;
                }
                let field = &def.fields[f as usize];
                let record = r + 1;
                out.push(Warning {
                    code: "future_date",
                    list: def.name.clone(),
                    record,
                    field: field.name.clone(),
                    date: date.to_string(),
                    message: format!(
                        "`{}` record {record}: `{}` {date} is after the as-of date {as_of}, so no time window counts it",
                        def.name, field.name
                    ),
                    message_zh: format!(
                        "{}第 {record} 条：{} {date} 晚于评估基准日 {as_of}，不计入任何统计期间",
                        def.label.zh, field.label.zh
                    ),
                });
            }
        }
    }
    out
}
