//! The head of the printed self-assessment report: date, rule set id,
//! version and hash (the questionnaire's, so it prints whether or not the
//! answers evaluate; for a scheme, the scheme's and each step's rule set's),
//! and every answer. Hidden on screen; the print style
//! sheet shows it above the result panel and hides the form.
//!
//! The lists' records are built only while printing (`records`): a list may
//! hold thousands, and hidden rows would cost every change of language and
//! every answer file loaded. A list prints at most [`REPORT_MAX_ROWS`]
//! records, each its own component compared by pointer.

use std::rc::Rc;

use safegrade::{FieldSchema, Schema};
use serde_json::Value as Json;
use yew::prelude::*;

use crate::answers::{Answers, Record};
use crate::components::field::default_text;
use crate::engine::StepSchema;
use crate::i18n::{self, Lang};

/// Records of one list printed at most.
pub const REPORT_MAX_ROWS: usize = 2000;

/// Props of [`Report`].
#[derive(Properties, PartialEq)]
pub struct ReportProps {
    /// Interface language.
    pub lang: Lang,
    /// The questionnaire.
    pub schema: Rc<Schema>,
    /// A scheme's steps (empty for a rule set).
    #[prop_or_default]
    pub steps: Rc<Vec<StepSchema>>,
    /// The answers.
    pub answers: Answers,
    /// The as-of date.
    pub as_of: String,
    /// Today's date.
    pub today: String,
    /// Whether to build the lists' records (while printing).
    #[prop_or(true)]
    pub records: bool,
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
                <tr><th>{ i18n::HASH.get(lang) }</th><td class="hash">{ m.hash.clone() }</td></tr>
            </table>
            if !p.steps.is_empty() {
                <table class="meta steps" data-testid="report-steps">
                    <thead><tr>
                        <th>{ i18n::SCHEME_STEPS.get(lang) }</th><th>{ i18n::RULESET_ID.get(lang) }</th>
                        <th>{ i18n::VERSION.get(lang) }</th><th>{ i18n::HASH.get(lang) }</th>
                    </tr></thead>
                    <tbody>
                    { for p.steps.iter().map(|s| {
                        let r = &s.schema.ruleset;
                        html! {
                            <tr data-report-step={s.alias.clone()}>
                                <td>{ lang.label(&r.name) }</td><td>{ r.id.clone() }</td>
                                <td>{ r.version.clone() }</td><td class="hash">{ r.hash.clone() }</td>
                            </tr>
                        }
                    }) }
                    </tbody>
                </table>
            }
            <h2>{ i18n::ANSWERS.get(lang) }</h2>
            <table class="answers">
                <thead><tr><th>{ i18n::QUESTION.get(lang) }</th><th>{ i18n::ANSWER.get(lang) }</th></tr></thead>
                <tbody>
                { for s.inputs.iter().map(|f| html! {
                    <tr><td>{ lang.label(&f.label) }</td><td>{ show(lang, f, p.answers.value(&f.name)) }</td></tr>
                }) }
                </tbody>
            </table>
            { for s.lists.iter().filter(|_| p.records).map(|l| {
                let rows = p.answers.records(&l.name);
                let fields = Rc::new(l.fields.clone());
                html! {
                    <>
                    <h3>{ lang.label(&l.label) }</h3>
                    if rows.is_empty() { <p>{ i18n::NO_ROWS.get(lang) }</p> } else {
                        <table class="answers">
                            <thead><tr>{ for l.fields.iter().map(|f| html! { <th>{ lang.label(&f.label) }</th> }) }</tr></thead>
                            <tbody>{ for rows.iter().take(REPORT_MAX_ROWS).enumerate().map(|(i, r)| html! {
                                <ReportRecord key={i} lang={lang} fields={fields.clone()} record={r.clone()} />
                            }) }</tbody>
                        </table>
                        if rows.len() > REPORT_MAX_ROWS {
                            <p>{ i18n::REPORT_MORE.get(lang).replace("{}", &(rows.len() - REPORT_MAX_ROWS).to_string()) }</p>
                        }
                    }
                    </>
                }
            }) }
        </section>
    }
}

/// Props of [`ReportRecord`].
#[derive(Properties, PartialEq)]
struct ReportRecordProps {
    lang: Lang,
    fields: Rc<Vec<FieldSchema>>,
    record: Record,
}

/// One record's row in the report.
#[function_component(ReportRecord)]
fn report_record(p: &ReportRecordProps) -> Html {
    html! {
        <tr>{ for p.fields.iter().map(|f| html! { <td>{ show(p.lang, f, p.record.get(&f.name)) }</td> }) }</tr>
    }
}
