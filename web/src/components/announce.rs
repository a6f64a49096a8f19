//! The result as a screen reader hears it: a polite status region holding
//! one short line (grade and score, a scheme's grade of each step, or how
//! many answers need fixing), so a
//! change of result is announced without the whole panel being read again.
//!
//! It is given the result shown, which stays the last one while the result
//! for new answers is computed; a line equal to the last leaves the region
//! untouched, so typing that does not change grade or score announces
//! nothing. A plain function rather than a component: it holds no state.

use yew::prelude::*;

use crate::engine::{Evaluation, Outcome};
use crate::i18n::{self, Lang};

/// The line said for a result.
pub fn summary(lang: Lang, e: &Evaluation) -> String {
    match &e.outcome {
        Outcome::Assessed(a) => i18n::SAY_RESULT
            .get(lang)
            .replace("{grade}", lang.pick(&a.grade_label, a.grade_label_en.as_deref()))
            .replace("{score}", &a.score),
        Outcome::Steps(steps) => {
            let grades = steps.iter().map(|(_, a)| lang.pick(&a.grade_label, a.grade_label_en.as_deref()));
            i18n::SAY_STEPS.get(lang).replace("{}", &grades.collect::<Vec<_>>().join(lang.pick("；", Some("; "))))
        }
        Outcome::InputErrors(errors) => i18n::SAY_FIX.get(lang).replace("{}", &errors.len().to_string()),
        Outcome::Failed { .. } => i18n::SAY_STOPPED.get(lang).to_string(),
    }
}

/// The status region (visually hidden) for the result shown, if any.
pub fn announce(lang: Lang, shown: Option<&Evaluation>) -> Html {
    let text = shown.map(|e| summary(lang, e)).unwrap_or_default();
    html! {
        <div class="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="result-status">{ text }</div>
    }
}
