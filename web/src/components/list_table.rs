//! A list input (accidents, substances …) as an editable table: one row per
//! record, one cell per field, with add and remove buttons. At phone width
//! the CSS turns each row into a card with the labels shown.
//!
//! A list may hold thousands of records, so the table shows one page of
//! [`ROWS_PER_PAGE`] at a time, and each row is its own component keyed by
//! its index whose props compare by pointer: typing in a cell re-renders
//! that row only.

use std::rc::Rc;

use safegrade::ListSchema;
use yew::prelude::*;

use crate::answers::Record;
use crate::components::field::Field;
use crate::engine::{error_for, message, AnswerError};
use crate::i18n::{self, Lang};
use crate::state::Action;

/// Records shown at once.
pub const ROWS_PER_PAGE: usize = 50;

/// Props of [`ListTable`].
#[derive(Properties, PartialEq)]
pub struct ListTableProps {
    /// Interface language.
    pub lang: Lang,
    /// The list.
    pub list: ListSchema,
    /// Its records as answered.
    pub rows: Rc<Vec<Record>>,
    /// Core's complaints about the answers.
    pub errors: Rc<Vec<AnswerError>>,
    /// Changes go up as actions.
    pub on_action: Callback<Action>,
}

/// Core's complaints about one record: `(field, message)`, with `""` for
/// the record as a whole.
type RowErrors = Vec<(String, String)>;

/// The complaints about the records `from..to` of `list`, by record.
fn row_errors(errors: &[AnswerError], list: &str, from: usize, to: usize, lang: Lang) -> Vec<RowErrors> {
    let mut out = vec![Vec::new(); to - from];
    for e in errors {
        let Some(rest) = e.path.strip_prefix(list).and_then(|r| r.strip_prefix('[')) else { continue };
        let Some((idx, field)) = rest.split_once(']') else { continue };
        let Some(i) = idx.parse::<usize>().ok().filter(|i| (from..to).contains(i)) else { continue };
        let field = field.strip_prefix('.').unwrap_or(field);
        out[i - from].push((field.to_string(), message(e, lang).to_string()));
    }
    out
}

/// An editable table of records.
#[function_component(ListTable)]
pub fn list_table(p: &ListTableProps) -> Html {
    let lang = p.lang;
    let l = &p.list;
    let page = use_state(|| 0usize);
    let count = p.rows.len();
    let pages = count.div_ceil(ROWS_PER_PAGE).max(1);
    let current = (*page).min(pages - 1);
    let (from, to) = (current * ROWS_PER_PAGE, ((current + 1) * ROWS_PER_PAGE).min(count));
    let title_id = format!("list-{}", l.name);
    let err_id = format!("list-{}-err", l.name);
    let help = l.help.as_ref().map(|h| lang.label(h));
    let full = count >= l.max_records as usize;
    let add = {
        let cb = p.on_action.clone();
        let list = l.name.clone();
        let page = page.clone();
        // The new record is on the last page: show it.
        Callback::from(move |_: MouseEvent| {
            cb.emit(Action::AddRow { list: list.clone() });
            page.set(count / ROWS_PER_PAGE);
        })
    };
    let list_error = error_for(&p.errors, &l.name, lang).map(str::to_string);
    let fields = Rc::new(l.fields.clone());
    let errors = row_errors(&p.errors, &l.name, from, to, lang);
    // Above and below the table; `at` tells the two apart.
    let pager = |at: &str| -> Html {
        if pages < 2 {
            return html! {};
        }
        let go = |to: usize| {
            let page = page.clone();
            Callback::from(move |_: MouseEvent| page.set(to))
        };
        let on_page = {
            let page = page.clone();
            Callback::from(move |e: Event| {
                let input: web_sys::HtmlInputElement = e.target_unchecked_into();
                let n = input.value().trim().parse::<usize>().unwrap_or(1).clamp(1, pages);
                page.set(n - 1);
            })
        };
        let input_id = format!("page-{}-{at}", l.name);
        let range = i18n::PAGE_OF
            .get(lang)
            .replace("{from}", &(from + 1).to_string())
            .replace("{to}", &to.to_string())
            .replace("{count}", &count.to_string());
        html! {
            <div class="pager">
                <button type="button" class="prev" onclick={go(current.saturating_sub(1))} disabled={current == 0}>
                    { "‹ " }{ i18n::PREV_PAGE.get(lang) }
                </button>
                <label for={input_id.clone()}>{ i18n::PAGE.get(lang) }</label>
                <input type="number" id={input_id} class="page" min="1" max={pages.to_string()} step="1"
                    value={(current + 1).to_string()} onchange={on_page} />
                <span class="of">{ format!("/ {pages}") }</span>
                <button type="button" class="next" onclick={go(current + 1)} disabled={current + 1 >= pages}>
                    { i18n::NEXT_PAGE.get(lang) }{ " ›" }
                </button>
                <span class="range">{ range }</span>
            </div>
        }
    };
    html! {
        <div class="list" role="group" aria-labelledby={title_id.clone()} data-list={l.name.clone()}
            data-count={count.to_string()} aria-describedby={list_error.is_some().then(|| err_id.clone())}>
            <h3 id={title_id}>{ lang.label(&l.label) }</h3>
            if let Some(h) = help { <p class="help">{ h }</p> }
            if count == 0 {
                <p class="empty">{ i18n::NO_ROWS.get(lang) }</p>
            } else {
                { pager("top") }
                <div class="table-wrap">
                <table>
                    <thead><tr>
                        <th scope="col">{ "#" }</th>
                        { for l.fields.iter().map(|f| html! {
                            <th scope="col">
                                { lang.label(&f.label) }
                                if f.required { <abbr class="req" title={i18n::REQUIRED.get(lang)}>{ " *" }</abbr> }
                            </th>
                        }) }
                        <th scope="col"><span class="sr-only">{ i18n::REMOVE_ROW.get(lang) }</span></th>
                    </tr></thead>
                    <tbody>
                    { for p.rows[from..to].iter().zip(errors).enumerate().map(|(i, (record, errors))| html! {
                        <ListRow key={from + i} lang={lang} list={l.name.clone()} fields={fields.clone()} idx={from + i}
                            record={record.clone()} errors={errors} on_action={p.on_action.clone()} />
                    }) }
                    </tbody>
                </table>
                </div>
                { pager("bottom") }
            }
            if let Some(e) = list_error { <div id={err_id} class="err" role="alert">{ e }</div> }
            <button type="button" class="add" onclick={add} disabled={full}>
                { format!("+ {}", i18n::ADD_ROW.get(lang)) }
                <span class="sr-only">{ format!(" ({})", lang.label(&l.label)) }</span>
            </button>
            if l.max_records < 1000 || full {
                <span class="bounds">{ i18n::AT_MOST.get(lang).replace("{}", &l.max_records.to_string()) }</span>
            }
        </div>
    }
}

/// Props of [`ListRow`].
#[derive(Properties, PartialEq)]
struct ListRowProps {
    lang: Lang,
    /// The list's name.
    list: String,
    /// Its fields.
    fields: Rc<Vec<safegrade::FieldSchema>>,
    /// The record's index, from 0.
    idx: usize,
    /// The record (compared by pointer: an unchanged record is the same `Rc`).
    record: Record,
    /// Core's complaints about it.
    errors: RowErrors,
    on_action: Callback<Action>,
}

/// One record's row.
#[function_component(ListRow)]
fn list_row(p: &ListRowProps) -> Html {
    let lang = p.lang;
    let idx = p.idx;
    let row_label = i18n::ROW.get(lang).replace("{}", &(idx + 1).to_string());
    let remove = {
        let cb = p.on_action.clone();
        let list = p.list.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::RemoveRow { list: list.clone(), idx }))
    };
    let error = |field: &str| p.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone());
    html! {
        <tr data-row={idx.to_string()}>
            <th scope="row" class="rownum">{ idx + 1 }</th>
            { for p.fields.iter().map(|f| {
                let on_change = {
                    let cb = p.on_action.clone();
                    let list = p.list.clone();
                    let field = f.name.clone();
                    Callback::from(move |value| cb.emit(Action::SetCell {
                        list: list.clone(), idx, field: field.clone(), value,
                    }))
                };
                html! {
                    <td>
                        <Field lang={lang} field={f.clone()}
                            id={format!("q-{}-{idx}-{}", p.list, f.name)}
                            value={p.record.get(&f.name).cloned()}
                            error={error(&f.name)}
                            row_label={Some(row_label.clone())}
                            {on_change} />
                    </td>
                }
            }) }
            <td class="actions">
                <button type="button" class="remove" onclick={remove}>
                    { i18n::REMOVE_ROW.get(lang) }
                    <span class="sr-only">{ format!(" {row_label}") }</span>
                </button>
                if let Some(e) = error("") { <div class="err" role="alert">{ e }</div> }
            </td>
        </tr>
    }
}
