//! Grade bands: reading their bounds and proving they cover the score range.
//!
//! Bands are intervals with inclusive or exclusive ends. Sorted by their lower
//! end, each band must start exactly where the previous one stops, with the
//! shared end belonging to exactly one of them; the first and last must reach
//! the score's `min` and `max` (or be open). The file must list the bands in
//! score order (ascending or descending), best grade first, so "one grade
//! better" is always "one step along the score".

use rust_decimal::Decimal;

use super::compiler::Compiler;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::plan::{Bound, Grade};
use crate::syntax::document as doc;

pub(super) fn bounds_of(c: &mut Compiler<'_>, g: &doc::Grade) -> (Option<Bound>, Option<Bound>) {
    let file = c.file;
    let mut one =
        |a: &Option<doc::SValue>, b: &Option<doc::SValue>, names: (&str, &str), inclusive_first: bool| match (a, b) {
            (Some(x), Some(_)) => {
                c.diags.push(Diagnostic::error(
                    Code::EmptyBand,
                    Some(Span::new(file, x.span())),
                    format!("a grade takes `{}` or `{}`, not both", names.0, names.1),
                ));
                None
            }
            (Some(x), None) => c.decimal(x, file).map(|value| Bound { value, inclusive: inclusive_first }),
            (None, Some(y)) => c.decimal(y, file).map(|value| Bound { value, inclusive: !inclusive_first }),
            (None, None) => None,
        };
    let lower = one(&g.min, &g.above, ("min", "above"), true);
    let upper = one(&g.max, &g.below, ("max", "below"), true);
    (lower, upper)
}

fn show_lower(b: Option<Bound>) -> String {
    match b {
        None => "−∞".into(),
        Some(b) => format!("{} ({})", b.value.normalize(), if b.inclusive { "included" } else { "excluded" }),
    }
}

fn show_upper(b: Option<Bound>) -> String {
    match b {
        None => "+∞".into(),
        Some(b) => format!("{} ({})", b.value.normalize(), if b.inclusive { "included" } else { "excluded" }),
    }
}

/// Reports gaps, overlaps, empty bands (also bands beyond the score's
/// `min` or `max`), uncovered ends and bad order.
pub(super) fn check_coverage(
    c: &mut Compiler<'_>,
    grades: &[Grade],
    spans: &[Span],
    min: Option<Decimal>,
    max: Option<Decimal>,
) {
    // A score range that is itself empty is reported with [score] (R0205), not per band.
    let (clamp_min, clamp_max) = match (min, max) {
        (Some(a), Some(b)) if a > b => (None, None),
        range => range,
    };
    let mut order: Vec<usize> = Vec::new();
    for (i, (g, span)) in grades.iter().zip(spans).enumerate() {
        if let (Some(lo), Some(hi)) = (g.lower, g.upper) {
            if lo.value > hi.value || (lo.value == hi.value && !(lo.inclusive && hi.inclusive)) {
                c.diags.push(Diagnostic::error(
                    Code::EmptyBand,
                    Some(*span),
                    format!("grade `{}` contains no score", g.id),
                ));
                continue;
            }
        }
        // The score is clamped to [min, max]: a band beyond either holds no score.
        let above = match (g.lower, clamp_max) {
            (Some(lo), Some(m)) => {
                (lo.value > m || (lo.value == m && !lo.inclusive)).then_some(("above the highest", m))
            }
            _ => None,
        };
        let below = match (g.upper, clamp_min) {
            (Some(hi), Some(m)) => {
                (hi.value < m || (hi.value == m && !hi.inclusive)).then_some(("below the lowest", m))
            }
            _ => None,
        };
        if let Some((side, m)) = above.or(below) {
            c.diags.push(
                Diagnostic::error(
                    Code::EmptyBand,
                    Some(*span),
                    format!("grade `{}` contains no score: its band lies {side} score {}", g.id, m.normalize()),
                )
                .with_help("the score is clamped to [score] min and max; move the band inside them or remove it"),
            );
            continue;
        }
        order.push(i);
    }
    if order.is_empty() {
        return;
    }
    let listed = order.clone();
    // Sort by lower end: open first, then by value, inclusive before exclusive.
    order.sort_by(|&a, &b| {
        let key = |g: &Grade| g.lower.map(|l| (l.value, !l.inclusive));
        match (key(&grades[a]), key(&grades[b])) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, _) => std::cmp::Ordering::Less,
            (_, None) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(&y),
        }
    });
    let first = &grades[order[0]];
    let covers_min = match (first.lower, min) {
        (None, _) => true,
        (Some(lo), Some(m)) => lo.value < m || (lo.value == m && lo.inclusive),
        (Some(_), None) => false,
    };
    if !covers_min {
        let what = min.map_or("scores below it".to_string(), |m| format!("the lowest score {}", m.normalize()));
        c.diags.push(
            Diagnostic::error(
                Code::BandsShort,
                Some(spans[order[0]]),
                format!("no grade covers {what}: the lowest band starts at {}", show_lower(first.lower)),
            )
            .with_help("let the lowest band have no lower bound, or set [score] min"),
        );
    }
    let last = &grades[order[order.len() - 1]];
    let covers_max = match (last.upper, max) {
        (None, _) => true,
        (Some(hi), Some(m)) => hi.value > m || (hi.value == m && hi.inclusive),
        (Some(_), None) => false,
    };
    if !covers_max {
        let what = max.map_or("scores above it".to_string(), |m| format!("the highest score {}", m.normalize()));
        c.diags.push(
            Diagnostic::error(
                Code::BandsShort,
                Some(spans[order[order.len() - 1]]),
                format!("no grade covers {what}: the highest band stops at {}", show_upper(last.upper)),
            )
            .with_help("let the highest band have no upper bound, or set [score] max"),
        );
    }
    for w in order.windows(2) {
        let (a, b) = (&grades[w[0]], &grades[w[1]]);
        let (Some(hi), Some(lo)) = (a.upper, b.lower) else {
            c.diags.push(
                Diagnostic::error(
                    Code::BandOverlap,
                    Some(spans[w[1]]),
                    format!("grades `{}` and `{}` overlap", a.id, b.id),
                )
                .with_help("only the lowest band may be open below and only the highest open above"),
            );
            continue;
        };
        if hi.value < lo.value || (hi.value == lo.value && !hi.inclusive && !lo.inclusive) {
            c.diags.push(
                Diagnostic::error(
                    Code::BandGap,
                    Some(spans[w[1]]),
                    format!(
                        "no grade covers the scores between `{}` (up to {}) and `{}` (from {})",
                        a.id,
                        show_upper(Some(hi)),
                        b.id,
                        show_lower(Some(lo))
                    ),
                )
                .with_help("make the bands meet: one band's `below` equal to the next band's `min`"),
            );
        } else if hi.value > lo.value || (hi.inclusive && lo.inclusive) {
            c.diags.push(
                Diagnostic::error(
                    Code::BandOverlap,
                    Some(spans[w[1]]),
                    format!(
                        "grades `{}` (up to {}) and `{}` (from {}) overlap",
                        a.id,
                        show_upper(Some(hi)),
                        b.id,
                        show_lower(Some(lo))
                    ),
                )
                .with_help("a shared bound belongs to one band: use `below` on one side and `min` on the other"),
            );
        }
    }
    let ascending = order == listed;
    let descending = order.iter().rev().eq(listed.iter());
    if !ascending && !descending {
        c.diags.push(
            Diagnostic::error(Code::GradeOrder, Some(spans[0]), "grades are not listed in score order")
                .with_help("list grades best first, following the score up or down"),
        );
    }
}

/// Whether the first (best) grade sits above the second; bands are checked
/// to be in score order, so two grades decide it.
pub(super) fn higher_is_better(grades: &[Grade]) -> bool {
    match grades {
        [best, next, ..] => match (best.lower, next.lower) {
            (Some(a), Some(b)) => a.value > b.value,
            (Some(_), None) => true,
            _ => false,
        },
        _ => true,
    }
}
