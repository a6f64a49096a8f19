//! The problems found in a rule file the user loaded, each with its code,
//! line and column, the source line with a caret, and the help line.

use yew::prelude::*;

use crate::engine::DiagView;
use crate::i18n::{self, Lang};

/// Props of [`Diagnostics`].
#[derive(Properties, PartialEq)]
pub struct DiagnosticsProps {
    /// Interface language.
    pub lang: Lang,
    /// What core reported.
    pub diagnostics: Vec<DiagView>,
}

/// The diagnostics list; nothing when there are none.
#[function_component(Diagnostics)]
pub fn diagnostics(p: &DiagnosticsProps) -> Html {
    if p.diagnostics.is_empty() {
        return html! {};
    }
    let has_errors = p.diagnostics.iter().any(|d| d.is_error);
    let title = if has_errors { i18n::DIAGNOSTICS } else { i18n::WARNINGS };
    html! {
        <section class={classes!("diagnostics", has_errors.then_some("errors"))} role={has_errors.then_some("alert")}
            aria-labelledby="diag-title" data-testid="diagnostics">
            <h2 id="diag-title">{ title.get(p.lang) }</h2>
            <ul>
            { for p.diagnostics.iter().map(|d| html! {
                <li data-code={d.code.clone()} data-line={d.line.map(|l| l.to_string())}>
                    <div class="diag-head">
                        <span class={classes!("sev", if d.is_error { "error" } else { "warning" })}>
                            { if d.is_error { "error" } else { "warning" } }{ format!("[{}]", d.code) }
                        </span>
                        if let Some(loc) = &d.location { <code class="loc">{ loc.clone() }</code> }
                        <span class="msg">{ d.message.clone() }</span>
                    </div>
                    if !d.rendered.is_empty() { <pre>{ d.rendered.clone() }</pre> }
                    else if let Some(h) = &d.help { <div class="help">{ h.clone() }</div> }
                </li>
            }) }
            </ul>
        </section>
    }
}
