//! Stage 3, evaluate: a plan, one firm and an as-of date to an [`Assessment`].
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
mod shape;
mod table;
#[cfg(test)]
mod test_rules;

use std::sync::Arc;

use chrono::NaiveDate;
use indexmap::IndexMap;
use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::assessment::{AppliedOverride, Assessment, FiredItem, MissingInput, Warning};
use crate::input::{Firm, MissingTreatment, Problem, INLINE_LISTS};
use crate::plan::{Missing, Node, OverrideAction, Plan, RoundAt, ScoreGroup};
use crate::rules::{Fill, FillFrom};
use crate::value::{self, Value};
pub(crate) use expr::{duration_of, MAX_EVAL_DEPTH};
use expr::{Env, Frame, ListView, Records, Windows};
use fault::{Context, Fault};
use fixed::Fixed;
use kernel::ItemKernel;
pub(crate) use kernel::Kernels;
use shape::ItemShape;
pub(crate) use table::OutcomeTable;

/// Why a firm could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{context}: {message}")]
pub struct EvalError {
    /// What was being computed: `item \`x\``, `derived value \`s\``, `accidents[2].level`.
    pub context: String,
    /// What went wrong (English).
    pub message: String,
    /// What was being computed, in Chinese: `评分项“x”`, `派生值“s”`, `accidents[2].level`.
    pub context_zh: String,
    /// What went wrong, in Chinese.
    pub message_zh: String,
}

fn err(context: Context<'_>, e: expr::ExprError) -> EvalError {
    EvalError::new(context, &e.0)
}

/// A fired item's contribution, as the score computation needs it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Contribution {
    pub(crate) group: Option<u32>,
    pub(crate) points: Decimal,
}

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
    base: Decimal,
}

/// How deep evaluating `node` nests (see `expr::MAX_EVAL_DEPTH`), given the
/// depth of each function's body; `None` while a called function's depth is
/// not known yet.
pub(crate) fn nesting(node: &Node, fn_depth: &[Option<usize>]) -> Option<usize> {
    use crate::plan::Node as N;
    let max = |nodes: &mut dyn Iterator<Item = &Node>| -> Option<usize> {
        let mut m = 0;
        for n in nodes {
            m = m.max(nesting(n, fn_depth)?);
        }
        Some(m)
    };
    let inner = match node {
        N::Const(_) | N::Input(_) | N::Derived(_) | N::Field { .. } | N::Param(_) | N::AsOf | N::Fail(_) => 0,
        N::Neg(a) | N::Not(a) | N::InTable(a, _) | N::Duration(a, _) | N::Lookup(_, a, _) => nesting(a, fn_depth)?,
        N::And(a, b) | N::Or(a, b) | N::Arith(_, a, b) | N::Cmp(_, a, b) | N::Within(a, b) => {
            nesting(a, fn_depth)?.max(nesting(b, fn_depth)?)
        }
        N::If(branches, otherwise) => {
            max(&mut branches.iter().flat_map(|(c, t)| [c, t]))?.max(nesting(otherwise, fn_depth)?)
        }
        N::InSet(a, set) => nesting(a, fn_depth)?.max(max(&mut set.iter())?),
        N::Agg(agg) => max(&mut agg.value.iter().chain(&agg.filter).chain(&agg.default))?,
        N::Builtin(_, args) => max(&mut args.iter())?,
        N::Call(f, args) => max(&mut args.iter())?.max(fn_depth.get(*f as usize).copied().flatten()?),
    };
    Some(inner + 1)
}

impl Outcome {
    /// A derived value by name; `None` when it is not applicable or unknown.
    pub(crate) fn value(&self, plan: &Plan, name: &str) -> Option<&Value> {
        let i = plan.derived.iter().position(|d| &*d.name == name)?;
        self.derived[i].as_ref()
    }
}

/// The id under which a missing-answer penalty is reported.
pub(crate) fn penalty_item_id(input: &str) -> String {
    format!("missing.{input}")
}

/// An item's raw points found from its shape, without the interpreter.
enum Shaped {
    NotFired,
    Points(Decimal),
    /// Points known when the rules were checked (a flag): raw, and after caps and rounding.
    Known(Decimal, Decimal),
    /// Not a shaped item, or an answer the shape does not expect.
    Interpret,
}

/// Scores a flag or per-unit item straight from its input; the same result
/// as interpreting its `when` and `points`.
fn shaped_points(item: &ItemKernel, inputs: &[Option<Value>]) -> Result<Shaped, value::ArithError> {
    let answer = |i: u32| inputs.get(i as usize).and_then(Option::as_ref);
    Ok(match item.shape {
        ItemShape::Flag { input, raw } => match answer(input) {
            Some(Value::Bool(true)) => Shaped::Known(raw, item.flag_points),
            Some(Value::Bool(false)) => Shaped::NotFired,
            _ => Shaped::Interpret,
        },
        ItemShape::PerUnit { input, factor } => match answer(input) {
            // Zero units score nothing: the item does not fire.
            Some(Value::Num(n)) if n.is_zero() => Shaped::NotFired,
            Some(Value::Num(n)) => Shaped::Points(value::mul(factor, *n)?),
            _ => Shaped::Interpret,
        },
        ItemShape::General => Shaped::Interpret,
    })
}

/// Evaluates one firm and reports it for people.
pub(crate) fn evaluate(
    plan: &Plan,
    firm: &Firm,
    as_of: NaiveDate,
    options: EvalOptions,
) -> Result<Assessment, EvalError> {
    let outcome = run(plan, firm, as_of)?;
    Ok(report(plan, firm, as_of, &outcome, options))
}

/// Evaluates one firm: derived values, items, score, band, overrides.
pub(crate) fn run(plan: &Plan, firm: &Firm, as_of: NaiveDate) -> Result<Outcome, EvalError> {
    if let Some(known) = plan.kernels.table.as_ref().and_then(|t| t.get(&firm.inputs)) {
        return known.clone();
    }
    // Only inputs declared `not_applicable` or with a penalty leave a firm
    // without an answer; in rule sets with none, the firm's missing list
    // holds defaults only and need not be read.
    let unanswerable = plan.kernels.has_unanswerable_inputs;
    let unavailable: Vec<u32> = match unanswerable {
        false => Vec::new(),
        true => (firm.missing.iter())
            .filter(|(_, t)| matches!(t, MissingTreatment::NotApplicable | MissingTreatment::Penalty))
            .map(|(i, _)| *i)
            .collect(),
    };
    let blocked = |deps: &[u32]| !unavailable.is_empty() && deps.iter().any(|d| unavailable.contains(d));

    let windows = Windows::default();
    // The lists' views: on the stack for the usual handful of lists.
    let empty = || ListView { records: &[], derived: Vec::new(), n_derived: 0 };
    let mut inline: [ListView<'_>; INLINE_LISTS] = std::array::from_fn(|_| empty());
    let mut heap = Vec::new();
    let lists: &mut [ListView<'_>] = if firm.lists.len() <= INLINE_LISTS {
        &mut inline[..firm.lists.len()]
    } else {
        heap.resize_with(firm.lists.len(), empty);
        &mut heap
    };
    for (view, records) in lists.iter_mut().zip(&firm.lists) {
        view.records = records;
    }
    record_values(plan, firm, as_of, &windows, &blocked, lists)?;
    let lists = &*lists;
    let mut derived: SmallVec<[Option<Value>; 8]> = smallvec::smallvec![None; plan.derived.len()];
    for &i in &plan.derived_eval_order {
        let d = &plan.derived[i as usize];
        if blocked(&d.input_deps) {
            continue;
        }
        let env = Env { plan, as_of, inputs: &firm.inputs, derived: &derived, lists, windows: &windows };
        // Matched, not mapped: the value goes to its slot in one move.
        match plan.kernels.derived[i as usize].run(&env, &Frame { records: None, params: &[] }) {
            Ok(v) => derived[i as usize] = Some(v),
            Err(e) => return Err(err(Context::Derived(&d.name), e)),
        }
    }
    let env = Env { plan, as_of, inputs: &firm.inputs, derived: &derived, lists, windows: &windows };
    let top = &Frame { records: None, params: &[] };

    let mut fired: SmallVec<[Fired; 8]> = SmallVec::new();
    let mut skipped = Vec::new();
    for (idx, item) in plan.kernels.items.iter().enumerate() {
        // Checked first so that the item's declaration (far larger than its
        // kernel record) is read only when some input is unavailable.
        if !unavailable.is_empty() && blocked(&plan.items[idx].input_deps) {
            skipped.push(idx as u32);
            continue;
        }
        let ctx = || Context::Item(&plan.items[idx].id);
        let raw = match shaped_points(item, &firm.inputs).map_err(|e| err(ctx(), e.into()))? {
            Shaped::NotFired => continue,
            Shaped::Known(raw, points) => {
                if !points.is_zero() {
                    fired.push(Fired { source: Source::Item(idx as u32), group: item.group, points, raw });
                }
                continue;
            }
            Shaped::Points(raw) => raw,
            Shaped::Interpret => {
                if let Some(w) = &item.when {
                    if !w.run(&env, top).map_err(|e| err(ctx(), e))? {
                        continue;
                    }
                }
                match &item.points {
                    None => Decimal::ZERO,
                    Some(p) => p.run(&env, top).map_err(|e| err(ctx(), e))?,
                }
            }
        };
        if item.points.is_some() && raw.is_zero() {
            continue;
        }
        let points = item_points(plan, item, raw);
        if item.points.is_some() && points.is_zero() {
            continue;
        }
        fired.push(Fired { source: Source::Item(idx as u32), group: item.group, points, raw });
    }
    for (i, treatment) in firm.missing.iter().filter(|_| unanswerable) {
        if let (MissingTreatment::Penalty, Missing::Penalty(p)) = (treatment, &plan.inputs[*i as usize].missing) {
            fired.push(Fired { source: Source::Penalty(*i), group: None, points: *p, raw: *p });
        }
    }

    if blocked(&plan.score.base_deps) {
        return Err(EvalError::new(Context::Score, &Fault::BaseNotApplicable));
    }
    let base = plan.kernels.base.run(&env, top).map_err(|e| err(Context::ScoreBase, e))?;
    let score = total_of(plan, base, fired.iter().map(|f| (f.group, f.points)))
        .map_err(|e| EvalError::new(Context::Score, &Fault::Arith(e)))?;
    let band = band_of(plan, score)?;

    let mut applied = Vec::new();
    for (idx, o) in plan.overrides.iter().enumerate() {
        if blocked(&o.input_deps) {
            continue;
        }
        if plan.kernels.overrides[idx].run(&env, top).map_err(|e| err(Context::Override(&o.id), e))? {
            applied.push(idx);
        }
    }
    let grade = grade_after_overrides(plan, band, &applied);
    Ok(Outcome { score, band, grade, fired, applied, derived, skipped, base })
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
        values.insert(d.name.clone(), v.as_ref().map_or(serde_json::Value::Null, Value::to_json));
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

/// Computes every list's per-record derived values into its view: one
/// buffer per list; the firm's records themselves are only borrowed.
fn record_values<'a>(
    plan: &'a Plan,
    firm: &'a Firm,
    as_of: NaiveDate,
    windows: &Windows,
    blocked: &dyn Fn(&[u32]) -> bool,
    lists: &mut [ListView<'a>],
) -> Result<(), EvalError> {
    for &l in &plan.list_eval_order {
        let (l, def) = (l as usize, &plan.lists[l as usize]);
        let records = &firm.lists[l][..];
        if def.derived.is_empty() || records.is_empty() {
            continue;
        }
        // A value reading an input that is not applicable is left out; so is
        // everything reading it, which reads that input too.
        let all = &def.derived_eval_order[..];
        let kept: SmallVec<[u32; 8]>;
        let order = if all.iter().any(|&i| blocked(&def.derived_input_deps[i as usize])) {
            kept = all.iter().copied().filter(|&i| !blocked(&def.derived_input_deps[i as usize])).collect();
            &kept[..]
        } else {
            all
        };
        if order.is_empty() {
            continue;
        }
        let nd = def.derived.len();
        // Each record's values are computed in place in `out`; a value sees
        // those of its record computed before it.
        let mut out = vec![Value::Bool(false); records.len() * nd];
        for (r, rec) in records.iter().enumerate() {
            let at = r * nd;
            for &i in order {
                let env = Env { plan, as_of, inputs: &firm.inputs, derived: &[], lists: &*lists, windows };
                let scope = Records { rec, extra: &out[at..at + nd], outer: None };
                match plan.kernels.record_derived[l][i as usize]
                    .run(&env, &Frame { records: Some(&scope), params: &[] })
                {
                    Ok(v) => out[at + i as usize] = v,
                    Err(e) => return Err(err(Context::Record(&def.name, r, &def.derived[i as usize].0), e)),
                }
            }
        }
        lists[l].derived = out;
        lists[l].n_derived = nd;
    }
    Ok(())
}

/// Fills the inputs a scheme step takes from earlier steps
/// (`from = "step.grade"`, `"step.score"`, `"step.value"`); `earlier` holds
/// each earlier step's outcome, in order. An error names the input.
pub(crate) fn fill_from_earlier(
    plan: &Plan,
    fills: &[Fill],
    earlier: &[Outcome],
    firm: &mut Firm,
) -> Result<(), (u32, Problem)> {
    for fill in fills {
        let o = &earlier[fill.step];
        let (input, what) = (fill.input, &fill.what);
        let earlier_value = match &fill.from {
            // One value per grade of the earlier plan, and `o.grade` is one of them.
            FillFrom::Grade(values) => match &values[o.grade] {
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
            FillFrom::Derived(i) => o.derived.get(*i).cloned().flatten(),
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
        let v = crate::input::value_from_value(&earlier_value, field, &plan.enums)
            .map_err(|m| (input, Problem::FromEarlier { what: what.clone(), problem: Box::new(m) }))?;
        firm.inputs[input as usize] = Some(v);
    }
    Ok(())
}

/// An item's points from its raw points: its caps, then rounding when the
/// rule set rounds each item.
#[inline]
pub(crate) fn item_points(plan: &Plan, item: &ItemKernel, raw: Decimal) -> Decimal {
    let points = clamp(raw, item.min, item.max);
    match plan.score.round {
        Some((places, mode, RoundAt::Item)) => mode.apply(points, places),
        _ => points,
    }
}

#[inline]
pub(crate) fn clamp(x: Decimal, min: Option<Decimal>, max: Option<Decimal>) -> Decimal {
    let x = min.map_or(x, |m| if value::cmp_num(&x, &m).is_lt() { m } else { x });
    max.map_or(x, |m| if value::cmp_num(&x, &m).is_gt() { m } else { x })
}

/// The score with the contributions at the indices in `removed` left out.
/// The next-grade search calls this many times.
pub(crate) fn total_score_without(
    plan: &Plan,
    base: Decimal,
    contributions: &[Contribution],
    removed: &[usize],
) -> Result<Decimal, value::ArithError> {
    let kept = contributions.iter().enumerate().filter(|(i, _)| !removed.contains(i));
    total_of(plan, base, kept.map(|(_, c)| (c.group, c.points)))
}

/// base + points (each group's sum capped), rounded if declared, clamped;
/// `points` are (score group, points) in the order they fired.
pub(crate) fn total_of(
    plan: &Plan,
    base: Decimal,
    points: impl Iterator<Item = (Option<u32>, Decimal)> + Clone,
) -> Result<Decimal, value::ArithError> {
    let mut total = match summed_in_integers(plan, base, points.clone()) {
        Some(total) => total,
        None => summed(plan, base, points)?,
    };
    if let Some((places, mode, RoundAt::Score)) = plan.score.round {
        total = mode.apply(total, places);
    }
    Ok(clamp(total, plan.score.min, plan.score.max))
}

/// What [`summed`] gives, computed in integers (see `fixed`) for plans with
/// up to 32 score groups, which is every realistic form; `None` for larger
/// plans and where integers would not give `rust_decimal`'s result. Only the
/// groups that received points, or whose cap excludes zero, are visited.
#[inline]
fn summed_in_integers(
    plan: &Plan,
    base: Decimal,
    points: impl Iterator<Item = (Option<u32>, Decimal)>,
) -> Option<Decimal> {
    let mut sums = [Fixed::ZERO; 32];
    if plan.score_groups.len() > sums.len() {
        return None;
    }
    let mut total = Fixed::of(base)?;
    let mut touched = 0u32;
    for (group, p) in points {
        let p = Fixed::of(p)?;
        match group {
            Some(g) => {
                sums[g as usize] = sums[g as usize].add(p)?;
                touched |= 1 << g;
            }
            None => total = total.add(p)?,
        }
    }
    // Groups in index order, as `summed` visits them, skipping those that add nothing.
    let mut visit = touched | plan.kernels.groups_excluding_zero;
    while visit != 0 {
        let g = visit.trailing_zeros() as usize;
        let (group, sum) = (&plan.score_groups[g], sums[g]);
        if !(sum.is_zero() && group.admits_zero) {
            // A cap that is not a `Fixed` (a negative zero) is left to `summed`.
            let cap = |c: Option<Decimal>| match c {
                None => Some(None),
                Some(d) => Fixed::of(d).map(Some),
            };
            total = total.add(sum.clamp(cap(group.min)?, cap(group.max)?)?)?;
        }
        visit &= visit - 1;
    }
    Some(total.to_decimal())
}

/// base + points (each group's sum capped), with `Decimal` additions.
fn summed(
    plan: &Plan,
    base: Decimal,
    points: impl Iterator<Item = (Option<u32>, Decimal)>,
) -> Result<Decimal, value::ArithError> {
    let mut group_sums = vec![Decimal::ZERO; plan.score_groups.len()];
    let mut total = base;
    for (group, p) in points {
        match group {
            Some(g) => group_sums[g as usize] = value::add(group_sums[g as usize], p)?,
            None => total = value::add(total, p)?,
        }
    }
    for (group, sum) in plan.score_groups.iter().zip(group_sums) {
        total = add_group(total, group, sum)?;
    }
    Ok(total)
}

/// `total` plus a group's capped sum; a group that received nothing adds
/// nothing when its cap admits zero.
#[inline(always)]
fn add_group(total: Decimal, group: &ScoreGroup, sum: Decimal) -> Result<Decimal, value::ArithError> {
    if sum.is_zero() && group.admits_zero {
        return Ok(total);
    }
    value::add(total, clamp(sum, group.min, group.max))
}

pub(crate) fn band_of(plan: &Plan, score: Decimal) -> Result<usize, EvalError> {
    (plan.grades.iter().position(|g| g.contains(score)))
        .ok_or_else(|| EvalError::new(Context::Grade, &Fault::NoBand(score.normalize().to_string())))
}

/// The grade the overrides whose conditions held leave, without the reports.
pub(crate) fn grade_after_overrides(plan: &Plan, band: usize, applied: &[usize]) -> usize {
    let worst = plan.grades.len() - 1;
    let mut grade = band;
    for &idx in applied {
        grade = match plan.overrides[idx].action {
            OverrideAction::Force(g) => return g as usize,
            OverrideAction::Ceiling(g) => grade.max(g as usize),
            OverrideAction::Floor(g) => grade.min(g as usize),
            OverrideAction::Down(n) => (grade + n as usize).min(worst),
        };
    }
    grade
}

/// Applies the overrides whose conditions held, in file order; returns the
/// final grade index and the reports.
pub(crate) fn apply_overrides(plan: &Plan, band: usize, applied: &[usize]) -> (usize, Vec<AppliedOverride>) {
    let worst = plan.grades.len() - 1;
    let mut grade = band;
    let mut forced = false;
    let mut out = Vec::new();
    for &idx in applied {
        let o = &plan.overrides[idx];
        let before = grade;
        // INVARIANT: after a `force` the grade is final; later overrides that
        // held are still reported, with `from` equal to `to`.
        let action = match o.action {
            OverrideAction::Force(g) => {
                if !forced {
                    grade = g as usize;
                }
                forced = true;
                "force"
            }
            OverrideAction::Ceiling(g) => {
                if !forced {
                    grade = grade.max(g as usize);
                }
                "ceiling"
            }
            OverrideAction::Floor(g) => {
                if !forced {
                    grade = grade.min(g as usize);
                }
                "floor"
            }
            OverrideAction::Down(n) => {
                if !forced {
                    grade = (grade + n as usize).min(worst);
                }
                "down"
            }
        };
        out.push(AppliedOverride {
            id: o.id.clone(),
            action,
            from: plan.grades[before].id.clone(),
            to: plan.grades[grade].id.clone(),
            reason: o.reason.zh.clone(),
            reason_en: o.reason.en.clone(),
            cite: o.cite.clone(),
        });
    }
    (grade, out)
}

#[cfg(test)]
mod tests;
