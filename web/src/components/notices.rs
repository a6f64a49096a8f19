//! Messages above the form: the notice of the last action (with "undo", or
//! "load anyway" and "cancel" when an answer file needs confirming), the
//! answers the rule set does not ask (with a button that removes them), and
//! the parts of the state that could not be kept in this browser.

use std::collections::BTreeMap;
use std::rc::Rc;

use safegrade::Schema;
use yew::prelude::*;

use crate::components::result_panel::answer_label;
use crate::i18n::{self, Lang};
use crate::import::human_size;
use crate::rulesets::SHIPPED;
use crate::state::{Action, FileProblem, Notice};
use crate::storage::{Part, Problem};

/// Props of [`NoticeBar`].
#[derive(Properties, PartialEq)]
pub struct NoticeBarProps {
    /// Interface language.
    pub lang: Lang,
    /// The notice.
    pub notice: Notice,
    /// Whether "undo" is offered.
    pub can_undo: bool,
    /// Actions go up.
    pub on_action: Callback<Action>,
}

/// The notice's text in `lang`.
fn notice_text(lang: Lang, n: &Notice) -> String {
    match n {
        Notice::Loaded { date_kept: false } => i18n::LOADED_ANSWERS.get(lang).to_string(),
        Notice::Loaded { date_kept: true } => i18n::LOADED_DATE_KEPT.get(lang).to_string(),
        Notice::Cleared => i18n::CLEARED.get(lang).to_string(),
        Notice::Dropped => i18n::DROPPED.get(lang).to_string(),
        Notice::Undone => i18n::UNDONE.get(lang).to_string(),
        Notice::BadAnswerFile(why) => format!("{}{}", i18n::BAD_ANSWER_FILE.get(lang), problem_text(lang, why)),
        Notice::FileTooLarge { bytes, limit } => i18n::FILE_TOO_LARGE
            .get(lang)
            .replace("{size}", &human_size(*bytes))
            .replace("{limit}", &human_size(*limit)),
        Notice::TooManyRecords { label, count, limit } => i18n::TOO_MANY_RECORDS
            .get(lang)
            .replace("{list}", &lang.label(label))
            .replace("{count}", &count.to_string())
            .replace("{limit}", &limit.to_string()),
        Notice::ConfirmImport { file, current } => {
            let file = if file.is_empty() { i18n::UNNAMED_RULESET.get(lang) } else { file };
            i18n::CONFIRM_IMPORT.get(lang).replace("{file}", file).replace("{current}", current)
        }
        Notice::NoRuleSet => i18n::NO_RULESET.get(lang).to_string(),
        Notice::ImportFailed => i18n::IMPORT_FAILED.get(lang).to_string(),
        Notice::RulesNotRestored(path) => {
            i18n::RULES_NOT_RESTORED.get(lang).replace("{}", path.trim_start_matches("rules/"))
        }
    }
}

/// Why an answer file cannot be read, in `lang`: serde_json's and core's
/// messages as they are in English; in Chinese, the place they name.
fn problem_text(lang: Lang, p: &FileProblem) -> String {
    match p {
        FileProblem::Syntax { message, .. } | FileProblem::DuplicateKey { message, .. } if lang == Lang::En => {
            message.clone()
        }
        FileProblem::Syntax { at: Some((line, column)), .. } => {
            i18n::NOT_JSON_AT_ZH.replace("{line}", &line.to_string()).replace("{column}", &column.to_string())
        }
        FileProblem::Syntax { at: None, .. } => i18n::NOT_JSON_ZH.to_string(),
        FileProblem::DuplicateKey { key, at: (line, column), .. } => i18n::DUPLICATE_KEY_ZH
            .replace("{line}", &line.to_string())
            .replace("{column}", &column.to_string())
            .replace("{key}", key),
        FileProblem::NotAnObject => i18n::NOT_AN_OBJECT.get(lang).to_string(),
        FileProblem::AnswersNotAnObject => i18n::ANSWERS_NOT_AN_OBJECT.get(lang).to_string(),
    }
}

/// The notice line: a status, or a question with its two answers.
#[function_component(NoticeBar)]
pub fn notice_bar(p: &NoticeBarProps) -> Html {
    let lang = p.lang;
    let confirm_ref = use_node_ref();
    let asking = matches!(p.notice, Notice::ConfirmImport { .. });
    // A question takes the focus, so a keyboard user answers it at once.
    use_effect_with((asking, confirm_ref.clone()), |(asking, r)| {
        if *asking {
            if let Some(b) = r.cast::<web_sys::HtmlElement>() {
                let _ = b.focus();
            }
        }
    });
    let text = notice_text(lang, &p.notice);
    if asking {
        let yes = p.on_action.reform(|_: MouseEvent| Action::ApplyImport);
        let no = p.on_action.reform(|_: MouseEvent| Action::DropImport(None));
        let escape = {
            let cb = p.on_action.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Escape" {
                    cb.emit(Action::DropImport(None));
                }
            })
        };
        return html! {
            <div class="notice confirm no-print" role="alertdialog" aria-labelledby="confirm-text"
                data-testid="confirm-import" onkeydown={escape}>
                <p id="confirm-text">{ text }</p>
                <button type="button" id="import-anyway" onclick={yes}>{ i18n::LOAD_ANYWAY.get(lang) }</button>
                { " " }
                <button type="button" id="import-cancel" ref={confirm_ref} onclick={no}>{ i18n::CANCEL.get(lang) }</button>
            </div>
        };
    }
    let undoable = p.can_undo && matches!(p.notice, Notice::Loaded { .. } | Notice::Cleared | Notice::Dropped);
    let undo = p.on_action.reform(|_: MouseEvent| Action::Undo);
    let dismiss = p.on_action.reform(|_: MouseEvent| Action::Notice(None));
    html! {
        <div class="notice no-print" role="status" data-testid="notice">
            <span class="text">{ text }</span>{ " " }
            if undoable { <button type="button" id="undo" class="link-button" onclick={undo}>{ i18n::UNDO.get(lang) }</button> }
            <button type="button" class="link" onclick={dismiss} aria-label={i18n::DISMISS.get(lang)}>{ "✕" }</button>
        </div>
    }
}

/// Props of [`UnknownAnswers`].
#[derive(Properties, PartialEq)]
pub struct UnknownAnswersProps {
    /// Interface language.
    pub lang: Lang,
    /// The answers the rule set does not ask, by path (`name`, `list[].field`).
    pub names: Vec<String>,
    /// The questionnaire, whose labels name them.
    pub schema: Rc<Schema>,
    /// Remove them.
    pub on_drop: Callback<MouseEvent>,
}

/// Answers the rule set does not ask, which stop the evaluation, named by
/// their labels (a list's field it does not have by the list's label and
/// the field's name), with a button that removes them.
#[function_component(UnknownAnswers)]
pub fn unknown_answers(p: &UnknownAnswersProps) -> Html {
    html! {
        <div class="notice warn no-print" role="alert" data-testid="unknown-answers">
            <p>{ i18n::UNKNOWN_ANSWERS.get(p.lang) }</p>
            <ul class="names">{ for p.names.iter().map(|n| html! {
                <li data-path={n.clone()}>{ answer_label(p.lang, &p.schema, n) }</li>
            }) }</ul>
            <button type="button" id="drop-unknown" onclick={p.on_drop.clone()}>{ i18n::DROP_UNKNOWN.get(p.lang) }</button>
        </div>
    }
}

/// Props of [`StorageProblems`].
#[derive(Properties, PartialEq)]
pub struct StorageProblemsProps {
    /// Interface language.
    pub lang: Lang,
    /// The parts not kept, and why.
    pub problems: BTreeMap<Part, Problem>,
}

/// A rule set's name for people, from its answer key.
fn key_name(lang: Lang, key: &str) -> String {
    match key.strip_prefix("own:") {
        Some(path) => path.trim_start_matches("rules/").to_string(),
        None => SHIPPED.iter().find(|f| f.path == key).map_or_else(|| key.to_string(), |f| lang.label(&f.name())),
    }
}

/// The parts of the state that could not be kept in this browser, and why.
#[function_component(StorageProblems)]
pub fn storage_problems(p: &StorageProblemsProps) -> Html {
    let lang = p.lang;
    if p.problems.is_empty() {
        return html! {};
    }
    html! {
        <div class="notice warn no-print" role="status" data-testid="storage-problems">
            <p>{ i18n::NOT_SAVED.get(lang) }</p>
            <ul>
            { for p.problems.iter().map(|(part, problem)| {
                let (what, kind) = match part {
                    Part::Settings => (i18n::PART_SETTINGS.get(lang).to_string(), "settings"),
                    Part::Rules(path) => {
                        (format!("{} {}", i18n::PART_RULES.get(lang), path.trim_start_matches("rules/")), "rules")
                    }
                    Part::Answers(key) => (format!("{}{}", i18n::PART_ANSWERS.get(lang), key_name(lang, key)), "answers"),
                };
                let why = match problem {
                    Problem::Full => i18n::WHY_FULL.get(lang).to_string(),
                    Problem::Disabled => i18n::WHY_DISABLED.get(lang).to_string(),
                    Problem::Refused(name) => format!("{} ({name})", i18n::WHY_REFUSED.get(lang)),
                };
                html! { <li data-part={kind}><strong>{ what }</strong>{ lang.pick("：", Some(": ")) }{ why }</li> }
            }) }
            </ul>
        </div>
    }
}
