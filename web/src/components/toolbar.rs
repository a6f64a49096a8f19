//! The controls above the form: the picker of schemes and rule sets, "load your own rule file",
//! the as-of date, and saving, loading, printing and clearing the answers.

use std::rc::Rc;

use safegrade::Label;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::i18n::{self, Lang};
use crate::import::MAX_ANSWER_FILE_BYTES;
use crate::platform::{self, Chosen};
use crate::state::{Action, Notice, Source};

/// Props of [`Toolbar`].
#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    /// Interface language.
    pub lang: Lang,
    /// The shipped schemes and rule sets: path, name, and whether it is a
    /// scheme.
    pub entries: Rc<Vec<(String, Label, bool)>>,
    /// The chosen rule set.
    pub source: Option<Source>,
    /// The as-of date.
    pub as_of: String,
    /// State changes go up as actions.
    pub on_action: Callback<Action>,
    /// Save the answers to a file.
    pub on_save: Callback<()>,
    /// A saved answer file was chosen (and was not too large): its text.
    pub on_load_answers: Callback<String>,
    /// Print the report.
    pub on_print: Callback<()>,
}

/// The toolbar.
#[function_component(Toolbar)]
pub fn toolbar(p: &ToolbarProps) -> Html {
    let lang = p.lang;
    let on_pick = {
        let cb = p.on_action.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let v = sel.value();
            if !v.is_empty() && !v.starts_with("own:") {
                cb.emit(Action::Pick(v));
            }
        })
    };
    let on_own = {
        let cb = p.on_action.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let cb = cb.clone();
            platform::read_chosen_files(&input, safegrade::MAX_RULE_FILE_BYTES as f64, move |chosen| {
                cb.emit(match chosen {
                    Ok(files) => Action::LoadOwn(files),
                    Err(bytes) => Action::Notice(Some(Notice::FileTooLarge {
                        bytes,
                        limit: safegrade::MAX_RULE_FILE_BYTES as f64,
                    })),
                })
            });
        })
    };
    let on_answers = {
        let cb = p.on_load_answers.clone();
        let on_action = p.on_action.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let (cb, on_action) = (cb.clone(), on_action.clone());
            platform::read_chosen_file(&input, MAX_ANSWER_FILE_BYTES, move |chosen| match chosen {
                Chosen::Text(_, text) => cb.emit(text),
                Chosen::TooLarge(bytes) => {
                    on_action.emit(Action::Notice(Some(Notice::FileTooLarge { bytes, limit: MAX_ANSWER_FILE_BYTES })))
                }
            });
        })
    };
    let on_as_of = {
        let cb = p.on_action.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if !input.value().is_empty() {
                cb.emit(Action::SetAsOf(input.value()));
            }
        })
    };
    let selected = p.source.as_ref().map(Source::key).unwrap_or_default();
    let has_rules = p.source.is_some();
    let own = match &p.source {
        Some(Source::Own { path, others, .. }) if others.is_empty() => Some(path.clone()),
        Some(Source::Own { path, others, .. }) => Some(format!("{path} + {}", others.len())),
        _ => None,
    };
    let save = p.on_save.reform(|_: MouseEvent| ());
    let print = p.on_print.reform(|_: MouseEvent| ());
    let clear = p.on_action.reform(|_: MouseEvent| Action::Clear);
    html! {
        <div class="toolbar no-print" role="region" aria-label={i18n::TOOLBAR.get(lang)}>
            <div class="ctl picker">
                <label for="ruleset">{ i18n::PICK_RULES.get(lang) }</label>
                <select id="ruleset" onchange={on_pick}>
                    <option value="" selected={selected.is_empty()} disabled=true>{ i18n::PICK_PLACEHOLDER.get(lang) }</option>
                    { for [(true, i18n::PICK_SCHEMES), (false, i18n::PICK_RULESETS)].into_iter().map(|(schemes, title)| html! {
                        <optgroup label={title.get(lang)}>
                        { for p.entries.iter().filter(|e| e.2 == schemes).map(|(path, name, _)| html! {
                            <option value={path.clone()} selected={&selected == path}>{ lang.label(name) }</option>
                        }) }
                        </optgroup>
                    }) }
                    if let Some(path) = own {
                        <option value={selected.clone()} selected=true>
                            { format!("{} ({})", path.trim_start_matches("rules/"), i18n::OWN_FILE.get(lang)) }
                        </option>
                    }
                </select>
            </div>
            <div class="ctl">
                <label for="own-rules" class="file-label">{ i18n::OWN_RULES.get(lang) }</label>
                <input type="file" id="own-rules" accept=".toml,text/plain" multiple=true onchange={on_own} />
            </div>
            <div class="ctl">
                <label for="as-of">{ i18n::AS_OF.get(lang) }</label>
                <input type="date" id="as-of" value={p.as_of.clone()} onchange={on_as_of} required=true />
            </div>
            <div class="ctl buttons">
                <button type="button" id="save-answers" onclick={save} disabled={!has_rules}>{ i18n::SAVE.get(lang) }</button>
                <input type="file" id="load-answers" class="visually-hidden-file" accept=".json,application/json" onchange={on_answers} />
                <label for="load-answers" class="button-like">{ i18n::LOAD.get(lang) }</label>
                <button type="button" id="print" onclick={print} disabled={!has_rules}>{ i18n::PRINT.get(lang) }</button>
                <button type="button" id="clear-answers" onclick={clear} disabled={!has_rules}>{ i18n::CLEAR.get(lang) }</button>
            </div>
        </div>
    }
}
