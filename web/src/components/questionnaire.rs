//! The questionnaire generated from a rule set's schema: one section per
//! question group (in file order), then the questions without a group.
//! A rule set is used on its own here, so inputs that a scheme would fill
//! from an earlier step (`from`) are asked like any other, with a note.

use std::rc::Rc;

use safegrade::Schema;
use serde_json::Value as Json;
use yew::prelude::*;

use crate::answers::Answers;
use crate::components::field::Field;
use crate::components::list_table::ListTable;
use crate::engine::{error_for, AnswerError};
use crate::i18n::{self, Lang};
use crate::state::Action;

/// Props of [`Questionnaire`].
#[derive(Properties, PartialEq)]
pub struct QuestionnaireProps {
    /// Interface language.
    pub lang: Lang,
    /// What to ask.
    pub schema: Rc<Schema>,
    /// The answers so far.
    pub answers: Answers,
    /// Core's complaints about the answers.
    pub errors: Rc<Vec<AnswerError>>,
    /// Changes go up as actions.
    pub on_action: Callback<Action>,
}

/// The form.
#[function_component(Questionnaire)]
pub fn questionnaire(p: &QuestionnaireProps) -> Html {
    let lang = p.lang;
    let s = &p.schema;
    // One callback per question, kept across renders: a question whose
    // answer did not change is not rendered again (typing in a list cell
    // leaves the other questions alone).
    let on_input = use_memo((p.schema.clone(), p.on_action.clone()), |(s, cb)| {
        s.inputs
            .iter()
            .map(|f| {
                let (cb, name) = (cb.clone(), f.name.clone());
                let on_change = Callback::from(move |value| cb.emit(Action::SetInput { name: name.clone(), value }));
                (f.name.clone(), on_change)
            })
            .collect::<Vec<(String, Callback<Option<Json>>)>>()
    });
    let mut sections: Vec<(Option<&str>, String, Option<String>)> = s
        .groups
        .iter()
        .map(|g| (Some(g.id.as_str()), lang.label(&g.label), g.help.as_ref().map(|h| lang.label(h))))
        .collect();
    sections.push((None, i18n::OTHER_QUESTIONS.get(lang).to_string(), None));
    let known = |g: &Option<String>| g.as_deref().is_some_and(|g| s.groups.iter().any(|x| x.id == g));
    let render_section = |(gid, title, help): (Option<&str>, String, Option<String>)| {
        let in_section = |g: &Option<String>| match gid {
            Some(id) => g.as_deref() == Some(id),
            None => !known(g),
        };
        let inputs: Vec<_> = s.inputs.iter().filter(|f| in_section(&f.group)).collect();
        let lists: Vec<_> = s.lists.iter().filter(|l| in_section(&l.group)).collect();
        if inputs.is_empty() && lists.is_empty() {
            return html! {};
        }
        let sid = format!("sec-{}", gid.unwrap_or("other"));
        html! {
            <section class="group" aria-labelledby={sid.clone()}>
                <h2 id={sid}>{ title }</h2>
                if let Some(h) = help { <p class="help">{ h }</p> }
                { for inputs.into_iter().map(|f| {
                    let on_change = on_input.iter().find(|(n, _)| *n == f.name).map(|(_, cb)| cb.clone()).unwrap_or_default();
                    html! {
                        <Field lang={lang} field={f.clone()} id={format!("q-{}", f.name)}
                            value={p.answers.value(&f.name).cloned()}
                            error={error_for(&p.errors, &f.name, lang).map(str::to_string)}
                            {on_change} />
                    }
                }) }
                { for lists.into_iter().map(|l| {
                    let rows = p.answers.records(&l.name);
                    html! {
                        <ListTable lang={lang} list={l.clone()} {rows} errors={p.errors.clone()}
                            on_action={p.on_action.clone()} />
                    }
                }) }
            </section>
        }
    };
    html! {
        <form class="questionnaire" id="questionnaire" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
            { for sections.into_iter().map(render_section) }
        </form>
    }
}
