//! A list input (accidents, substances …) as an editable table: one row per
//! record, one cell per field, with add and remove buttons. At phone width
//! the CSS turns each row into a card with the labels shown.

use std::rc::Rc;

use safegrade::{InputError, ListSchema};
use serde_json::Value as Json;
use yew::prelude::*;

use crate::components::field::Field;
use crate::engine::error_for;
use crate::i18n::{self, Lang};
use crate::state::Action;

/// Props of [`ListTable`].
#[derive(Properties, PartialEq)]
pub struct ListTableProps {
    /// Interface language.
    pub lang: Lang,
    /// The list.
    pub list: ListSchema,
    /// Its records as answered.
    pub rows: Vec<Json>,
    /// Core's complaints about the answers.
    pub errors: Rc<Vec<InputError>>,
    /// Changes go up as actions.
    pub on_action: Callback<Action>,
}

/// An editable table of records.
#[function_component(ListTable)]
pub fn list_table(p: &ListTableProps) -> Html {
    let lang = p.lang;
    let l = &p.list;
    let title_id = format!("list-{}", l.name);
    let help = l.help.as_ref().map(|h| lang.label(h));
    let full = p.rows.len() >= l.max_records as usize;
    let add = {
        let cb = p.on_action.clone();
        let list = l.name.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::AddRow { list: list.clone() }))
    };
    let list_error = error_for(&p.errors, &l.name).map(str::to_string);
    html! {
        <div class="list" role="group" aria-labelledby={title_id.clone()} data-list={l.name.clone()}>
            <h3 id={title_id}>{ lang.label(&l.label) }</h3>
            if let Some(h) = help { <p class="help">{ h }</p> }
            if p.rows.is_empty() {
                <p class="empty">{ i18n::NO_ROWS.get(lang) }</p>
            } else {
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
                    { for p.rows.iter().enumerate().map(|(idx, row)| {
                        let row_label = i18n::ROW.get(lang).replace("{}", &(idx + 1).to_string());
                        let remove = {
                            let cb = p.on_action.clone();
                            let list = l.name.clone();
                            Callback::from(move |_: MouseEvent| cb.emit(Action::RemoveRow { list: list.clone(), idx }))
                        };
                        let row_error = error_for(&p.errors, &format!("{}[{idx}]", l.name)).map(str::to_string);
                        html! {
                            <tr data-row={idx.to_string()}>
                                <th scope="row" class="rownum">{ idx + 1 }</th>
                                { for l.fields.iter().map(|f| {
                                    let path = format!("{}[{idx}].{}", l.name, f.name);
                                    let on_change = {
                                        let cb = p.on_action.clone();
                                        let list = l.name.clone();
                                        let field = f.name.clone();
                                        Callback::from(move |value| cb.emit(Action::SetCell {
                                            list: list.clone(), idx, field: field.clone(), value,
                                        }))
                                    };
                                    html! {
                                        <td>
                                            <Field lang={lang} field={f.clone()}
                                                id={format!("q-{}-{idx}-{}", l.name, f.name)}
                                                value={row.get(&f.name).cloned()}
                                                error={error_for(&p.errors, &path).map(str::to_string)}
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
                                    if let Some(e) = row_error { <div class="err" role="alert">{ e }</div> }
                                </td>
                            </tr>
                        }
                    }) }
                    </tbody>
                </table>
                </div>
            }
            if let Some(e) = list_error { <div class="err" role="alert">{ e }</div> }
            <button type="button" class="add" onclick={add} disabled={full}>
                { format!("+ {}", i18n::ADD_ROW.get(lang)) }
                <span class="sr-only">{ format!(" ({})", lang.label(&l.label)) }</span>
            </button>
            if l.max_records < 1000 {
                <span class="bounds">{ i18n::AT_MOST.get(lang).replace("{}", &l.max_records.to_string()) }</span>
            }
        </div>
    }
}
