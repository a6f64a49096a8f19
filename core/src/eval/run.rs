//! The evaluation of one firm in plan terms: per-record derived values,
//! firm derived values, items (each through its kernel), the score, the
//! band and the overrides, into
//! an [`Outcome`]. It reads only the plan, the kernels and the firm.

use chrono::NaiveDate;
use smallvec::SmallVec;

use super::expr::{Env, Frame, ListView, Records, Windows};
use super::fault::{Context, EvalError, Fault};
use super::kernel::{ItemScore, Kernels};
use super::outcome::{Fired, Outcome, Source};
use super::score::{band_of, grade_after_overrides, item_points, total_in_decimals, total_of};
use crate::input::{Firm, MissingTreatment, INLINE_LISTS};
use crate::plan::{Missing, Plan};
use crate::value::Value;

fn err(context: Context<'_>, e: super::expr::ExprError) -> EvalError {
    EvalError::new(context, &e.0)
}

/// Evaluates one firm with `kernels`, compiled from `plan`.
pub(crate) fn run_kernels(plan: &Plan, kernels: &Kernels, firm: &Firm, as_of: NaiveDate) -> Result<Outcome, EvalError> {
    // Only inputs declared `not_applicable` or with a penalty leave a firm
    // without an answer; in rule sets with none, the firm's missing list
    // holds defaults only and need not be read.
    let unanswerable = kernels.has_unanswerable_inputs;
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
    record_values(plan, kernels, firm, as_of, &windows, &blocked, lists)?;
    let lists = &*lists;
    let mut derived: SmallVec<[Option<Value>; 8]> = smallvec::smallvec![None; plan.derived.len()];
    for &i in &plan.derived_eval_order {
        let d = &plan.derived[i as usize];
        if blocked(&d.input_deps) {
            continue;
        }
        let env = Env { plan, as_of, inputs: &firm.inputs, derived: &derived, lists, windows: &windows };
        // Matched, not mapped: the value goes to its slot in one move.
        match kernels.derived[i as usize].run(&env, &Frame { records: None, params: &[] }) {
            Ok(v) => derived[i as usize] = Some(v),
            Err(e) => return Err(err(Context::Derived(&d.name), e)),
        }
    }
    let env = Env { plan, as_of, inputs: &firm.inputs, derived: &derived, lists, windows: &windows };
    let top = &Frame { records: None, params: &[] };

    let mut fired: SmallVec<[Fired; 8]> = SmallVec::new();
    let mut skipped = Vec::new();
    for (idx, item) in kernels.items.iter().enumerate() {
        // Checked first so that the item's declaration (far larger than its
        // kernel record) is read only when some input is unavailable.
        if !unavailable.is_empty() && blocked(&plan.items[idx].input_deps) {
            skipped.push(idx as u32);
            continue;
        }
        let ctx = || Context::Item(&plan.items[idx].id);
        let raw = match item.score(&env, top, &firm.inputs).map_err(|e| err(ctx(), e))? {
            ItemScore::NotFired => continue,
            ItemScore::Known(raw, points) => {
                if !points.is_zero() {
                    fired.push(Fired { source: Source::Item(idx as u32), group: item.group, points, raw });
                }
                continue;
            }
            ItemScore::Raw(raw) => raw,
        };
        if item.points.is_some() && raw.is_zero() {
            continue;
        }
        let points = item_points(plan, item.min, item.max, raw);
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
    let base = kernels.base.run(&env, top).map_err(|e| err(Context::ScoreBase, e))?;
    let points = fired.iter().map(|f| (f.group, f.points));
    let score = match kernels.integer_sums {
        true => total_of(plan, base, points),
        false => total_in_decimals(plan, base, points),
    };
    let score = score.map_err(|e| EvalError::new(Context::Score, &Fault::Arith(e)))?;
    let band = band_of(plan, score)?;

    let mut applied = Vec::new();
    for (idx, o) in plan.overrides.iter().enumerate() {
        if blocked(&o.input_deps) {
            continue;
        }
        if kernels.overrides[idx].run(&env, top).map_err(|e| err(Context::Override(&o.id), e))? {
            applied.push(idx);
        }
    }
    let grade = grade_after_overrides(plan, band, &applied);
    Ok(Outcome { score, band, grade, fired, applied, derived, skipped, base })
}

/// Computes every list's per-record derived values into its view: one
/// buffer per list; the firm's records themselves are only borrowed.
fn record_values<'a>(
    plan: &'a Plan,
    kernels: &Kernels,
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
                match kernels.record_derived[l][i as usize].run(&env, &Frame { records: Some(&scope), params: &[] }) {
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
