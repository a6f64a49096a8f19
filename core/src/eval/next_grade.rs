//! The next-grade plan: the smallest set of fired items whose removal lifts
//! the grade by one step.
//!
//! Removing an item sets its points to zero; the score is recomputed with the
//! group caps, banded, and the overrides that held are replayed. Items a
//! rule set marks `fixable = false` (past accidents, the firm's nature) are
//! left out of the search whenever the fixable items alone reach the grade;
//! only when they do not is every fired item searched, and the unfixable
//! ones in the answer are named. Sets are tried by increasing size, so the
//! first hit is a smallest set of those searched. Caps make the problem
//! combinatorial, so the search is bounded by [`SEARCH_BUDGET`] score
//! computations; past that a greedy answer is given and marked
//! `exact: false`. Removing an item never lowers the score (caps, rounding
//! and clamps are monotone), so whether a set of items can reach the grade
//! at all is known from removing all of them at once.

use rust_decimal::Decimal;

use super::outcome::Contribution;
use super::score::{band_of, grade_after_overrides, total_score_without};
use crate::assessment::{FiredItem, NextGrade};
use crate::plan::{OverrideAction, Plan};

/// Most score computations one next-grade search may spend.
pub(crate) const SEARCH_BUDGET: usize = 20_000;

pub(crate) fn plan_next(
    plan: &Plan,
    base: Decimal,
    contributions: &[Contribution],
    fired: &[FiredItem],
    grade: usize,
    applied: &[usize],
) -> Option<NextGrade> {
    if grade == 0 {
        return None;
    }
    let target = grade - 1;
    let target_id = plan.grades[target].id.clone();
    let candidates: Vec<usize> = (0..contributions.len())
        .filter(|&i| {
            let p = contributions[i].points;
            if plan.higher_is_better {
                p < Decimal::ZERO
            } else {
                p > Decimal::ZERO
            }
        })
        .collect();
    let grade_without = |removed: &[usize]| -> Option<usize> {
        let score = total_score_without(plan, base, contributions, removed).ok()?;
        let band = band_of(plan, score).ok()?;
        Some(grade_after_overrides(plan, band, applied))
    };
    let reaches = |removed: &[usize]| grade_without(removed).is_some_and(|g| g <= target);

    if !reaches(&candidates) {
        let blocked_by = applied
            .iter()
            .filter(|&&o| {
                // An override blocks when the grade it leaves is worse than the target.
                let g = match plan.overrides[o].action {
                    OverrideAction::Force(g) | OverrideAction::Ceiling(g) => g as usize,
                    OverrideAction::Down(_) => usize::MAX,
                    OverrideAction::Floor(_) => 0,
                };
                g > target
            })
            .map(|&o| plan.overrides[o].id.clone())
            .collect();
        return Some(NextGrade { grade: target_id, needs: None, unfixable: vec![], blocked_by, exact: true });
    }
    let fixable: Vec<usize> = candidates.iter().copied().filter(|&i| fired[i].fixable).collect();
    // Only when no set of fixable items reaches the grade is every item searched.
    let pool = if fixable.len() < candidates.len() && !reaches(&fixable) { candidates } else { fixable };
    let current = total_score_without(plan, base, contributions, &[]).unwrap_or(base);
    let needed = needed_improvement(plan, target, current);
    let (mut set, exact) = smallest(plan, contributions, needed, &pool, &reaches, &grade_without);
    set.sort_unstable();
    let needs: Vec<_> = set.iter().map(|&i| fired[i].id.clone()).collect();
    let unfixable = set.iter().filter(|&&i| !fired[i].fixable).map(|&i| fired[i].id.clone()).collect();
    Some(NextGrade { grade: target_id, needs: Some(needs), unfixable, blocked_by: vec![], exact })
}

/// The smallest subset of `pool` whose removal reaches the target (the score
/// must improve by `needed`), tried by increasing size, and whether it is
/// proven smallest; `reaches(pool)` holds.
fn smallest(
    plan: &Plan,
    contributions: &[Contribution],
    needed: Option<Decimal>,
    pool: &[usize],
    reaches: &dyn Fn(&[usize]) -> bool,
    grade_without: &dyn Fn(&[usize]) -> Option<usize>,
) -> (Vec<usize>, bool) {
    // Removing k items improves the score by at most the k largest point
    // values (caps and clamps only shrink an improvement), plus one rounding
    // step; sizes that cannot reach the target band are not searched.
    let slack = match plan.score.round {
        // Rounding away from zero across zero can move a score by almost two steps.
        Some((places, _, crate::plan::RoundAt::Score)) => Decimal::new(2, places),
        _ => Decimal::ZERO,
    };
    let mut magnitudes: Vec<Decimal> = pool.iter().map(|&i| contributions[i].points.abs()).collect();
    magnitudes.sort_unstable_by(|a, b| b.cmp(a));
    let mut best_gain = slack;

    let mut budget = SEARCH_BUDGET;
    let n = pool.len();
    for k in 1..=n {
        best_gain = best_gain.checked_add(magnitudes[k - 1]).unwrap_or(Decimal::MAX);
        if needed.is_some_and(|need| best_gain < need) {
            continue;
        }
        let mut idx: Vec<usize> = (0..k).collect();
        loop {
            if budget == 0 {
                return (greedy(pool, reaches, grade_without), false);
            }
            budget -= 1;
            let set: Vec<usize> = idx.iter().map(|&i| pool[i]).collect();
            if reaches(&set) {
                return (set, true);
            }
            if !next_combination(&mut idx, n) {
                break;
            }
        }
    }
    (pool.to_vec(), false)
}

/// Removes, one at a time, the candidate that most improves the grade (then
/// the largest points) until the target is reached.
fn greedy(
    candidates: &[usize],
    reaches: &dyn Fn(&[usize]) -> bool,
    grade_without: &dyn Fn(&[usize]) -> Option<usize>,
) -> Vec<usize> {
    let mut removed: Vec<usize> = Vec::new();
    let mut left: Vec<usize> = candidates.to_vec();
    while !reaches(&removed) && !left.is_empty() {
        let (pos, _) = left
            .iter()
            .enumerate()
            .map(|(p, &c)| {
                let mut trial = removed.clone();
                trial.push(c);
                (p, grade_without(&trial).unwrap_or(usize::MAX))
            })
            .min_by_key(|&(_, g)| g)
            .unwrap_or((0, 0));
        removed.push(left.remove(pos));
    }
    removed
}

/// Advances `idx` (k sorted indices below `n`) to the next combination in
/// lexicographic order; false after the last one.
fn next_combination(idx: &mut [usize], n: usize) -> bool {
    let k = idx.len();
    let mut i = k;
    while i > 0 {
        i -= 1;
        if idx[i] < n - k + i {
            idx[i] += 1;
            for j in i + 1..k {
                idx[j] = idx[j - 1] + 1;
            }
            return true;
        }
    }
    false
}

/// How much the score must move (in the better direction) to enter the
/// target band; `None` when the band is open on that side.
fn needed_improvement(plan: &Plan, target: usize, current: Decimal) -> Option<Decimal> {
    let band = &plan.grades[target];
    let need = if plan.higher_is_better {
        band.lower.and_then(|b| b.value.checked_sub(current))
    } else {
        band.upper.and_then(|b| current.checked_sub(b.value))
    }?;
    Some(need.max(Decimal::ZERO))
}
