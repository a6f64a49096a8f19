//! One question: the widget for its type, its label, help, required marker,
//! bounds and inline error.
//!
//! Answers travel as JSON: booleans as `true`/`false`, everything else as
//! the text typed (core parses numbers and dates itself, exactly as it does
//! for a JSON file); an emptied widget clears the answer.

use safegrade::FieldSchema;
use serde_json::Value as Json;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::i18n::{self, Lang};

/// Props of [`Field`].
#[derive(Properties, PartialEq)]
pub struct FieldProps {
    /// Interface language.
    pub lang: Lang,
    /// The question.
    pub field: FieldSchema,
    /// The element id of the widget; help and error ids derive from it.
    pub id: String,
    /// The current answer.
    pub value: Option<Json>,
    /// Core's complaint about the answer, if any.
    pub error: Option<String>,
    /// Inside a list table: the label names the record too.
    #[prop_or_default]
    pub row_label: Option<String>,
    /// Called with the new answer (`None`: cleared).
    pub on_change: Callback<Option<Json>>,
}

fn text_value(v: &Option<Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Bool(b)) => b.to_string(),
        Some(Json::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn from_text(s: String) -> Option<Json> {
    if s.trim().is_empty() {
        None
    } else {
        Some(Json::String(s))
    }
}

/// A human form of a default value; `None` when there is none, or it is
/// the empty text.
pub fn default_text(lang: Lang, f: &FieldSchema) -> Option<String> {
    let d = f.default.as_ref()?;
    Some(match d {
        Json::Bool(true) => i18n::YES.get(lang).to_string(),
        Json::Bool(false) => i18n::NO.get(lang).to_string(),
        Json::String(s) => match f.options.iter().find(|o| &o.id == s) {
            Some(o) => lang.label(&o.label),
            // An empty default reads as no answer, not as a blank value.
            None if s.is_empty() => return None,
            None => s.clone(),
        },
        other => other.to_string(),
    })
}

/// One question with its widget.
#[function_component(Field)]
pub fn field(p: &FieldProps) -> Html {
    let lang = p.lang;
    let f = &p.field;
    let id = p.id.clone();
    let help_id = format!("{id}-help");
    let err_id = format!("{id}-err");
    let status_id = format!("{id}-status");
    let label = lang.label(&f.label);
    let help = f.help.as_ref().map(|h| lang.label(h));
    // Asked here, but filled by an earlier step when the rule set runs in a scheme.
    let help = match (help, &f.from) {
        (h, None) => h,
        (h, Some(from)) => {
            let note = i18n::FILLED_IN_SCHEME.get(lang).replace("{}", from);
            Some(h.map_or_else(|| note.clone(), |h| format!("{h} {note}")))
        }
    };
    let mut described: Vec<String> = Vec::new();
    if help.is_some() {
        described.push(help_id.clone());
    }
    if p.error.is_some() {
        described.push(err_id.clone());
    }
    if f.ty == "uscc" {
        described.push(status_id.clone());
    }
    let described = (!described.is_empty()).then(|| described.join(" "));
    let invalid = p.error.is_some().then_some("true");
    let required = f.required;

    let on_text = {
        let cb = p.on_change.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            cb.emit(from_text(input.value()));
        })
    };
    let on_select = {
        let cb = p.on_change.clone();
        let is_bool = f.ty == "bool";
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let v = sel.value();
            cb.emit(match (is_bool, v.as_str()) {
                (_, "") => None,
                (true, "true") => Some(Json::Bool(true)),
                (true, _) => Some(Json::Bool(false)),
                (false, _) => Some(Json::String(v)),
            })
        })
    };
    let current = text_value(&p.value);
    let default_note = default_text(lang, f).map(|d| format!("{} {d}", i18n::DEFAULT_IS.get(lang)));

    let widget = match f.ty.as_str() {
        "bool" if f.default.is_some() => {
            let checked = match &p.value {
                Some(Json::Bool(b)) => *b,
                Some(_) => false,
                None => f.default == Some(Json::Bool(true)),
            };
            let cb = p.on_change.clone();
            let onchange = Callback::from(move |e: Event| {
                let input: HtmlInputElement = e.target_unchecked_into();
                cb.emit(Some(Json::Bool(input.checked())));
            });
            html! {
                <input type="checkbox" id={id.clone()} checked={checked} {onchange}
                    aria-describedby={described.clone()} aria-invalid={invalid} />
            }
        }
        "bool" | "enum" => {
            let options: Vec<(String, String)> = if f.ty == "bool" {
                vec![("true".into(), i18n::YES.get(lang).into()), ("false".into(), i18n::NO.get(lang).into())]
            } else {
                f.options.iter().map(|o| (o.id.clone(), lang.label(&o.label))).collect()
            };
            let blank = default_note.clone().unwrap_or_else(|| i18n::UNANSWERED.get(lang).to_string());
            html! {
                <select id={id.clone()} onchange={on_select} required={required}
                    aria-describedby={described.clone()} aria-invalid={invalid}>
                    <option value="" selected={current.is_empty()}>{ blank }</option>
                    { for options.into_iter().map(|(v, l)| html! {
                        <option value={v.clone()} selected={current == v}>{ l }</option>
                    }) }
                </select>
            }
        }
        "integer" | "decimal" => {
            let step = if f.ty == "integer" { "1" } else { "any" };
            let mode = if f.ty == "integer" { "numeric" } else { "decimal" };
            let placeholder = f.default.as_ref().map(|d| d.to_string().trim_matches('"').to_string());
            html! {
                <input type="number" id={id.clone()} value={current.clone()} oninput={on_text}
                    min={f.min.clone()} max={f.max.clone()} step={step} inputmode={mode}
                    placeholder={placeholder} required={required}
                    aria-describedby={described.clone()} aria-invalid={invalid} />
            }
        }
        "date" => html! {
            <input type="date" id={id.clone()} value={current.clone()} oninput={on_text.clone()}
                onchange={ let cb = p.on_change.clone(); Callback::from(move |e: Event| {
                    let input: HtmlInputElement = e.target_unchecked_into();
                    cb.emit(from_text(input.value()));
                }) }
                required={required} aria-describedby={described.clone()} aria-invalid={invalid} />
        },
        "uscc" => {
            let cb = p.on_change.clone();
            let oninput = Callback::from(move |e: InputEvent| {
                let input: HtmlInputElement = e.target_unchecked_into();
                let upper = input.value().to_ascii_uppercase();
                cb.emit(from_text(upper));
            });
            html! {
                <input type="text" id={id.clone()} value={current.clone()} {oninput} maxlength="18"
                    autocapitalize="characters" autocomplete="off" spellcheck="false"
                    class="uscc" required={required}
                    aria-describedby={described.clone()} aria-invalid={invalid} />
            }
        }
        _ => {
            let max_len = f.max_len.map(|m| m.to_string());
            html! {
                <input type="text" id={id.clone()} value={current.clone()} oninput={on_text}
                    maxlength={max_len} required={required}
                    aria-describedby={described.clone()} aria-invalid={invalid} />
            }
        }
    };

    let uscc_status = (f.ty == "uscc" && !current.is_empty()).then(|| {
        let code = current.trim().to_ascii_uppercase();
        let (ok, msg) = match safegrade::uscc_validate(&code) {
            Ok(()) => (true, i18n::USCC_OK.get(lang).to_string()),
            Err(e) => {
                let hint = (code.chars().count() >= 17)
                    .then(|| code.get(..17).and_then(safegrade::uscc_check_char))
                    .flatten()
                    .map(|c| format!("; {} `{c}`", i18n::USCC_EXPECT.get(lang)))
                    .unwrap_or_default();
                (false, format!("{}{e}{hint}", i18n::USCC_BAD.get(lang)))
            }
        };
        html! {
            <div id={status_id.clone()} class={classes!("status", if ok { "ok" } else { "bad" })} aria-live="polite">
                { if ok { "✓ " } else { "✗ " } }{ msg }
            </div>
        }
    });
    let bounds = match (f.ty.as_str(), &f.min, &f.max) {
        ("integer" | "decimal", Some(lo), Some(hi)) => Some(format!("{lo} – {hi}")),
        ("integer" | "decimal", Some(lo), None) => Some(format!("≥ {lo}")),
        ("integer" | "decimal", None, Some(hi)) => Some(format!("≤ {hi}")),
        _ => None,
    };
    let label_text = match &p.row_label {
        Some(r) => html! { <>{ label.clone() }<span class="sr-only">{ format!(" ({r})") }</span></> },
        None => html! { { label.clone() } },
    };
    let checkbox = f.ty == "bool" && f.default.is_some();
    html! {
        <div class={classes!("field", checkbox.then_some("check"), p.error.is_some().then_some("has-error"))}
            data-field={f.name.clone()}>
            if checkbox { { widget.clone() } }
            <label for={id.clone()}>
                { label_text }
                if required {
                    <abbr class="req" title={i18n::REQUIRED.get(lang)}>{ " *" }</abbr>
                }
            </label>
            if !checkbox {
                <div class="control">
                    { widget }
                    if let Some(b) = bounds { <span class="bounds">{ b }</span> }
                </div>
            }
            if let Some(h) = help { <div id={help_id} class="help">{ h }</div> }
            { for uscc_status }
            if let Some(e) = &p.error { <div id={err_id} class="err" role="alert">{ e.clone() }</div> }
        </div>
    }
}
