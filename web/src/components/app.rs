//! The root component: owns the [`State`], derives the loaded rules and the
//! evaluation from it (memoised), persists it, and lays the page out.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::{json, Value as Json};
use yew::prelude::*;

use crate::components::diagnostics::Diagnostics;
use crate::components::questionnaire::Questionnaire;
use crate::components::report::Report;
use crate::components::result_panel::{text_color_on, ResultPanel};
use crate::components::toolbar::Toolbar;
use crate::engine::{self, Evaluation, Outcome};
use crate::i18n::{self, Lang};
use crate::platform;
use crate::rulesets::SHIPPED;
use crate::state::{Action, State};

/// Reads a saved answer file: `{ruleset: {path}, as_of, answers}` as
/// written by "save", or a bare firm object (the CLI's `--input` format).
fn import(text: &str, lang: Lang) -> Action {
    let parsed: Result<Json, String> = safegrade::parse_firm_json(text).map_err(|e| e.to_string());
    match parsed {
        Ok(Json::Object(obj)) => {
            if let Some(Json::Object(answers)) = obj.get("answers") {
                Action::Import {
                    path: obj.get("ruleset").and_then(|r| r.get("path")).and_then(Json::as_str).map(str::to_string),
                    as_of: obj.get("as_of").and_then(Json::as_str).map(str::to_string),
                    answers: answers.clone(),
                    notice: i18n::LOADED_ANSWERS.get(lang).to_string(),
                }
            } else {
                Action::Import {
                    path: None,
                    as_of: None,
                    answers: obj,
                    notice: i18n::LOADED_ANSWERS.get(lang).to_string(),
                }
            }
        }
        Ok(_) => Action::Notice(Some(format!("{}expected a JSON object", i18n::BAD_ANSWER_FILE.get(lang)))),
        Err(e) => Action::Notice(Some(format!("{}{e}", i18n::BAD_ANSWER_FILE.get(lang)))),
    }
}

/// The portal.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| match platform::load_saved() {
        Some(j) => State::from_json(&j, platform::today()),
        None => State::new(platform::today()),
    });
    let entries = use_memo((), |_| SHIPPED.iter().map(|f| (f.path.to_string(), f.name())).collect::<Vec<_>>());
    let loaded = use_memo(state.source.clone(), |source| engine::load_source(source.as_ref()));
    let answers = state.current_answers();
    let evaluation: Rc<Option<Rc<Evaluation>>> =
        use_memo((state.source.clone(), answers.clone(), state.as_of.clone()), {
            let loaded = loaded.clone();
            move |(_, answers, as_of)| {
                loaded.rules.as_ref().map(|r| Rc::new(engine::evaluate_timed(r, answers, as_of, platform::now_ms)))
            }
        });

    // Persist every change; keep <html lang> in step.
    use_effect_with(state.clone(), |s| {
        platform::save(&s.to_json());
        platform::set_root_attr("lang", s.lang.tag());
    });
    // Markers for the load-time measurement: app mounted, form shown.
    use_effect_with((), |_| platform::set_root_attr("data-mounted-ms", &format!("{:.1}", platform::now_ms())));
    let has_form = loaded.schema.is_some();
    use_effect_with((state.source.clone(), has_form), |(_, has_form)| {
        if *has_form {
            platform::set_root_attr("data-form-ms", &format!("{:.1}", platform::now_ms()));
        }
    });
    // `window.safegradeBench(n)`: the mean time of n evaluations of the
    // current answers, in milliseconds (for the browser tests' budget).
    let bench: Rc<RefCell<Option<platform::NumberFn>>> = use_mut_ref(|| None);
    use_effect_with((state.source.clone(), answers.clone(), state.as_of.clone()), {
        let loaded = loaded.clone();
        let bench = bench.clone();
        move |(_, answers, as_of)| {
            if let Some(rules) = loaded.rules.clone() {
                let (answers, as_of) = (answers.clone(), as_of.clone());
                *bench.borrow_mut() = platform::expose_fn("safegradeBench", move |n| {
                    let n = n.max(1.0) as u32;
                    let start = platform::now_ms();
                    for _ in 0..n {
                        let _ = engine::evaluate(&rules, &answers, &as_of);
                    }
                    (platform::now_ms() - start) / f64::from(n)
                });
            }
        }
    });

    let lang = state.lang;
    let on_action = {
        let state = state.clone();
        Callback::from(move |a: Action| state.dispatch(a))
    };
    let on_save = {
        let loaded = loaded.clone();
        let state = state.clone();
        Callback::from(move |()| {
            let Some(schema) = &loaded.schema else { return };
            let m = &schema.ruleset;
            let path = match &state.source {
                Some(crate::state::Source::Shipped(p)) => Json::String(p.clone()),
                _ => Json::Null,
            };
            let file = json!({
                "format": "safegrade-answers/1",
                "ruleset": { "id": m.id, "version": m.version, "path": path },
                "as_of": state.as_of,
                "answers": state.current_answers(),
            });
            let text = serde_json::to_string_pretty(&file).unwrap_or_default();
            platform::download(&format!("safegrade-{}-{}.json", m.id, state.as_of), &text);
        })
    };
    let on_load_answers = {
        let state = state.clone();
        Callback::from(move |text: String| state.dispatch(import(&text, state.lang)))
    };
    let toggle_lang = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            state.dispatch(Action::SetLang(if state.lang == Lang::Zh { Lang::En } else { Lang::Zh }))
        })
    };
    let dismiss = on_action.reform(|_: MouseEvent| Action::Notice(None));

    let errors = Rc::new(match evaluation.as_ref().as_ref().map(|e| &e.outcome) {
        Some(Outcome::InputErrors(errs)) => errs.clone(),
        _ => Vec::new(),
    });
    let assessed = match evaluation.as_ref().as_ref().map(|e| &e.outcome) {
        Some(Outcome::Assessed(a)) => Some(a.clone()),
        _ => None,
    };
    let hash = assessed.as_ref().map(|a| a.ruleset.hash.to_string());
    // At phone width the result is below a long form: a bar keeps the grade in view.
    let mini = assessed.map(|a| {
        let color = a.grade_color.clone().unwrap_or_else(|| "#6e7781".into());
        let style = format!("background:{color};color:{}", text_color_on(&color));
        html! {
            <a class="mini-result no-print" href="#result">
                <span class="badge" style={style}>{ lang.pick(&a.grade_label, a.grade_label_en.as_deref()).to_string() }</span>
                <span>{ format!("{} {}", i18n::SCORE.get(lang), a.score) }</span>
                <span class="go">{ "↓" }</span>
            </a>
        }
    });

    html! {
        <div class="app">
            <a class="skip" href="#result">{ i18n::SKIP_TO_RESULT.get(lang) }</a>
            <header class="top no-print">
                <div>
                    <h1>{ i18n::TITLE.get(lang) }</h1>
                    <p class="tagline">{ i18n::TAGLINE.get(lang) }</p>
                </div>
                <button type="button" id="lang-switch" class="lang" onclick={toggle_lang}
                    lang={if lang == Lang::Zh { "en" } else { "zh-CN" }}
                    aria-label={i18n::SWITCH_LANG_LABEL.get(lang)}>{ i18n::SWITCH_LANG.get(lang) }</button>
            </header>
            <Toolbar lang={lang} entries={entries.clone()} source={state.source.clone()}
                as_of={state.as_of.clone()} on_action={on_action.clone()} {on_save} {on_load_answers} />
            if let Some(n) = &state.notice {
                <div class="notice no-print" role="status">
                    { n.clone() }{ " " }
                    <button type="button" class="link" onclick={dismiss} aria-label="OK">{ "✕" }</button>
                </div>
            }
            <Diagnostics lang={lang} diagnostics={loaded.diagnostics.clone()} />
            if let Some(schema) = &loaded.schema {
                <Report lang={lang} schema={schema.clone()} answers={answers.clone()}
                    as_of={state.as_of.clone()} today={platform::today()} hash={hash} />
            }
            <div class="layout">
                <main class="form-col no-print">
                    if let Some(schema) = &loaded.schema {
                        <div class="ruleset-head">
                            <h2 class="ruleset-name">{ lang.label(&schema.ruleset.name) }</h2>
                            <p class="ruleset-meta">
                                <code>{ schema.ruleset.id.clone() }</code>{ format!(" · {} {}", i18n::VERSION.get(lang), schema.ruleset.version) }
                            </p>
                        </div>
                        <Questionnaire lang={lang} schema={schema.clone()} answers={answers.clone()}
                            errors={errors} on_action={on_action.clone()} />
                    } else {
                        <p class="empty">{ i18n::NOTHING_PICKED.get(lang) }</p>
                    }
                </main>
                <aside class="result-col">
                    <ResultPanel lang={lang} schema={loaded.schema.clone()} evaluation={evaluation.as_ref().clone()}
                        answered={!answers.is_empty()} />
                </aside>
            </div>
            { for mini }
        </div>
    }
}
