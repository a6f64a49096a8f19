//! The result as a screen reader hears it: a polite status region holding
//! one short line (grade and score, or how many answers need fixing), so a
//! change of result is announced without the whole panel being read again.
//!
//! While the result for new answers is being computed the last line stays,
//! and a line equal to the last leaves the region untouched: typing that does
//! not change grade or score announces nothing.

use std::rc::Rc;

use yew::prelude::*;

use crate::engine::{Evaluation, Outcome};
use crate::i18n::{self, Lang};

/// Props of [`Announce`].
#[derive(Properties, PartialEq)]
pub struct AnnounceProps {
    /// Interface language.
    pub lang: Lang,
    /// The result for the answers on screen, if there is one yet.
    pub evaluation: Option<Rc<Evaluation>>,
    /// Whether that result is being computed (the last line then stays);
    /// with no result and nothing computed, the region is emptied.
    #[prop_or_default]
    pub pending: bool,
}

/// The line said for a result.
pub fn summary(lang: Lang, e: &Evaluation) -> String {
    match &e.outcome {
        Outcome::Assessed(a) => i18n::SAY_RESULT
            .get(lang)
            .replace("{grade}", lang.pick(&a.grade_label, a.grade_label_en.as_deref()))
            .replace("{score}", &a.score),
        Outcome::InputErrors(errors) => i18n::SAY_FIX.get(lang).replace("{}", &errors.len().to_string()),
        Outcome::Failed { .. } => i18n::SAY_STOPPED.get(lang).to_string(),
    }
}

/// The status region (visually hidden).
#[function_component(Announce)]
pub fn announce(p: &AnnounceProps) -> Html {
    let last = use_mut_ref(|| None::<Rc<Evaluation>>);
    if p.evaluation.is_some() || !p.pending {
        *last.borrow_mut() = p.evaluation.clone();
    }
    let text = last.borrow().as_deref().map(|e| summary(p.lang, e)).unwrap_or_default();
    html! {
        <div class="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="result-status">{ text }</div>
    }
}
