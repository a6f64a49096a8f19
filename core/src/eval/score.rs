//! From fired points to a grade: item caps and rounding, score groups and
//! their caps (summed in integers when that gives the exact decimal
//! result), the score's own rounding and range, the grade bands, and the
//! overrides.

use rust_decimal::Decimal;

use super::fault::{Context, EvalError, Fault};
use super::fixed::Fixed;
use super::outcome::Contribution;
use crate::assessment::AppliedOverride;
use crate::plan::{OverrideAction, Plan, RoundAt, ScoreGroup};
use crate::value;

/// An item's points from its raw points: its caps, then rounding when the
/// rule set rounds each item.
#[inline]
pub(crate) fn item_points(plan: &Plan, min: Option<Decimal>, max: Option<Decimal>, raw: Decimal) -> Decimal {
    let points = clamp(raw, min, max);
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
    let total = match summed_in_integers(plan, base, points.clone()) {
        Some(total) => total,
        None => summed(plan, base, points)?,
    };
    Ok(finished(plan, total))
}

/// What [`total_of`] gives, summed with `Decimal` additions only: the
/// reference the integer sums are held to.
pub(crate) fn total_in_decimals(
    plan: &Plan,
    base: Decimal,
    points: impl Iterator<Item = (Option<u32>, Decimal)>,
) -> Result<Decimal, value::ArithError> {
    Ok(finished(plan, summed(plan, base, points)?))
}

/// The score from its sum: rounded if declared, clamped.
#[inline]
fn finished(plan: &Plan, total: Decimal) -> Decimal {
    let total = match plan.score.round {
        Some((places, mode, RoundAt::Score)) => mode.apply(total, places),
        _ => total,
    };
    clamp(total, plan.score.min, plan.score.max)
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
    let mut visit = touched | plan.score.groups_excluding_zero;
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
