//! The problems found in a rule file the user loaded, each with its code,
//! line and column, the source line with a caret, and the help line; when a
//! shipped rule set could not be fetched (offline, and never read before in
//! this browser), the heading says so in the interface's language.

use safegrade::Code;
use yew::prelude::*;

use crate::engine::DiagView;
use crate::i18n::{self, Lang};
use crate::rulesets::NOT_FETCHED;

/// Props of [`Diagnostics`].
#[derive(Properties, PartialEq)]
pub struct DiagnosticsProps {
    /// Interface language.
    pub lang: Lang,
    /// What core reported.
    pub diagnostics: Vec<DiagView>,
}

/// The source excerpt of a rendered diagnostic: its first line (severity,
/// code and message) and its `-->` location line are already in the
/// heading, so they are left out rather than shown twice.
fn excerpt(rendered: &str) -> String {
    rendered.lines().skip(1).filter(|l| !l.trim_start().starts_with("--> ")).collect::<Vec<_>>().join("\n")
}

/// Whether a diagnostic says a shipped rule file could not be fetched from
/// the site (offline, a rule set never read in this browser).
fn not_fetched(d: &DiagView) -> bool {
    d.is_error && d.code == Code::Unreadable.as_str() && d.message.ends_with(NOT_FETCHED)
}

/// The diagnostics list; nothing when there are none.
#[function_component(Diagnostics)]
pub fn diagnostics(p: &DiagnosticsProps) -> Html {
    if p.diagnostics.is_empty() {
        return html! {};
    }
    let has_errors = p.diagnostics.iter().any(|d| d.is_error);
    let title = if p.diagnostics.iter().any(not_fetched) {
        i18n::RULES_OFFLINE
    } else if has_errors {
        i18n::DIAGNOSTICS
    } else {
        i18n::WARNINGS
    };
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
                    if !d.rendered.is_empty() { <pre>{ excerpt(&d.rendered) }</pre> }
                    else if let Some(h) = &d.help { <div class="help">{ h.clone() }</div> }
                </li>
            }) }
            </ul>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::{excerpt, not_fetched};
    use crate::engine::DiagView;

    fn error(code: &str, message: &str) -> DiagView {
        DiagView {
            is_error: true,
            code: code.into(),
            message: message.into(),
            location: None,
            line: None,
            help: None,
            rendered: String::new(),
        }
    }

    #[test]
    fn a_rule_file_the_site_did_not_give_is_told_apart() {
        let offline = "cannot read `rules/lec.toml`: cannot read `rules/lec.toml` from the site";
        assert!(not_fetched(&error("R0005", offline)));
        assert!(!not_fetched(&error("R0005", &format!("{offline} (HTTP 404)"))));
        assert!(!not_fetched(&error("R0001", offline)));
    }

    #[test]
    fn the_excerpt_leaves_out_what_the_heading_shows() {
        let rendered = "error[R0003]: missing field `name`\n --> rules/x.toml:1:1\n  |\n1 | [ruleset]\n  | ^^^^^^^^^\n  = help: see docs\n";
        assert_eq!(excerpt(rendered), "  |\n1 | [ruleset]\n  | ^^^^^^^^^\n  = help: see docs");
    }
}
