//! The head of the printed self-assessment report: date, rule set id,
//! version and hash, and every answer. Hidden on screen; the print style
//! sheet shows it above the result panel and hides the form.

use std::rc::Rc;

use safegrade::{FieldSchema, Schema};
use serde_json::{Map, Value as Json};
use yew::prelude::*;

use crate::components::field::default_text;
use crate::i18n::{self, Lang};

/// Props of [`Report`].
#[derive(Properties, PartialEq)]
pub struct ReportProps {
    /// Interface language.
    pub lang: Lang,
    /// The questionnaire.
    pub schema: Rc<Schema>,
    /// The answers.
    pub answers: Map<String, Json>,
    /// The as-of date.
    pub as_of: String,
    /// Today's date.
    pub today: String,
    /// The rule hash (from the result; the schema does not carry it).
    pub hash: Option<String>,
}

/// An answer as printed; an unanswered question says so, with the default
/// the result assumed, so a default never reads as an answer.
fn show(lang: Lang, f: &FieldSchema, v: Option<&Json>) -> String {
    match v {
        None => match default_text(lang, f) {
            Some(d) => i18n::DEFAULTED.get(lang).replace("{}", &d),
            None => i18n::UNANSWERED.get(lang).to_string(),
        },
        Some(Json::Bool(true)) => i18n::YES.get(lang).to_string(),
        Some(Json::Bool(false)) => i18n::NO.get(lang).to_string(),
        Some(Json::String(s)) => {
            f.options.iter().find(|o| &o.id == s).map_or_else(|| s.clone(), |o| lang.label(&o.label))
        }
        Some(other) => other.to_string(),
    }
}

/// The printed report's head.
#[function_component(Report)]
pub fn report(p: &ReportProps) -> Html {
    let lang = p.lang;
    let s = &p.schema;
    let m = &s.ruleset;
    html! {
        <section class="report print-only" aria-label={i18n::REPORT.get(lang)}>
            <h1>{ i18n::REPORT.get(lang) }</h1>
            <table class="meta">
                <tr><th>{ i18n::REPORT_DATE.get(lang) }</th><td>{ p.today.clone() }</td></tr>
                <tr><th>{ i18n::AS_OF.get(lang) }</th><td>{ p.as_of.clone() }</td></tr>
                <tr><th>{ i18n::PICK_RULES.get(lang) }</th><td>{ lang.label(&m.name) }</td></tr>
                <tr><th>{ i18n::RULESET_ID.get(lang) }</th><td>{ m.id.clone() }</td></tr>
                <tr><th>{ i18n::VERSION.get(lang) }</th><td>{ m.version.clone() }</td></tr>
                <tr><th>{ i18n::HASH.get(lang) }</th><td class="hash">{ p.hash.clone().unwrap_or_default() }</td></tr>
            </table>
            <h2>{ i18n::ANSWERS.get(lang) }</h2>
            <table class="answers">
                <thead><tr><th>{ i18n::QUESTION.get(lang) }</th><th>{ i18n::ANSWER.get(lang) }</th></tr></thead>
                <tbody>
                { for s.inputs.iter().map(|f| html! {
                    <tr><td>{ lang.label(&f.label) }</td><td>{ show(lang, f, p.answers.get(&f.name)) }</td></tr>
                }) }
                </tbody>
            </table>
            { for s.lists.iter().map(|l| {
                let rows = match p.answers.get(&l.name) { Some(Json::Array(r)) => r.clone(), _ => Vec::new() };
                html! {
                    <>
                    <h3>{ lang.label(&l.label) }</h3>
                    if rows.is_empty() { <p>{ i18n::NO_ROWS.get(lang) }</p> } else {
                        <table class="answers">
                            <thead><tr>{ for l.fields.iter().map(|f| html! { <th>{ lang.label(&f.label) }</th> }) }</tr></thead>
                            <tbody>{ for rows.iter().map(|r| html! {
                                <tr>{ for l.fields.iter().map(|f| html! { <td>{ show(lang, f, r.get(&f.name)) }</td> }) }</tr>
                            }) }</tbody>
                        </table>
                    }
                    </>
                }
            }) }
        </section>
    }
}
