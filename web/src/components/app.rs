//! The root component: owns the [`State`], passes the chosen source and the
//! answers on screen to the worker ([`Client`]), shows the worker's results
//! only while they are for the answers on screen, stores the state in parts
//! ([`Saver`], a moment after each change and when the page is left), and
//! lays the page out.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use safegrade::Assessment;
use serde_json::json;
use yew::prelude::*;

use crate::client::{self, Client, EvalJob, Stopped, CHECK_TIME_LIMIT_MS, EVAL_TIME_LIMIT_MS};
use crate::components::announce::announce;
use crate::components::diagnostics::Diagnostics;
use crate::components::notices::{NoticeBar, StorageProblems, UnknownAnswers};
use crate::components::questionnaire::Questionnaire;
use crate::components::report::Report;
use crate::components::result_panel::{grade_color, text_color_on, ResultPanel};
use crate::components::toolbar::Toolbar;
use crate::engine::{Evaluation, Outcome};
use crate::i18n::{self, Lang};
use crate::import::{self, Verdict};
use crate::platform::{self, Timeout};
use crate::rulesets::SHIPPED;
use crate::state::{Action, Notice, Source, State};
use crate::storage::{self, RulesPart, Saver};

/// How long after a change the state is stored (milliseconds): typing
/// stores once, when it pauses, rather than at every keystroke.
const SAVE_DELAY_MS: i32 = 300;

/// A time limit in whole seconds, for messages.
fn seconds(ms: i32) -> String {
    (ms / 1000).to_string()
}

/// What is waiting to be stored, and the pending write.
#[derive(Default)]
struct Pending {
    latest: Option<(State, RulesPart)>,
    timer: Option<Timeout>,
}

/// Stores what changed; tells `problems` when the list of parts not kept
/// changes.
fn flush(
    saver: &RefCell<Saver>,
    pending: &RefCell<Pending>,
    problems: &UseStateSetter<BTreeMap<storage::Part, storage::Problem>>,
) {
    let Some((state, rules)) = pending.borrow_mut().latest.take() else { return };
    let mut s = saver.borrow_mut();
    if s.flush(&state, &rules) {
        problems.set(s.problems().clone());
    }
}

/// The portal.
#[function_component(App)]
pub fn app() -> Html {
    let restored = use_memo((), |_| {
        let stored = storage::read();
        let legacy = stored.legacy;
        (State::restore(stored.settings.as_ref(), stored.rules, stored.answers, platform::today()), legacy)
    });
    let state = use_reducer({
        let restored = restored.clone();
        move || restored.0.clone()
    });
    let on_action = state.dispatcher().to_callback();
    let view = use_reducer(client::View::default);
    let client = use_memo((), {
        let on_event = view.dispatcher().to_callback();
        move |_| Client::new(on_event)
    });
    let weak = Rc::downgrade(&*client);
    let entries =
        use_memo((), |_| SHIPPED.iter().map(|f| (f.path.to_string(), f.name(), f.scheme)).collect::<Vec<_>>());
    let lang = state.lang;
    let source = state.source.clone();

    // The worker loads the chosen source …
    use_effect_with(source.clone(), {
        let weak = weak.clone();
        move |s| client::with(&weak, |c| c.set_source(s.clone()))
    });
    let load = source.as_ref().and_then(|s| view.load_of(s)).cloned();
    let loaded = load.as_ref().and_then(|l| l.as_ref().ok()).cloned();
    let schema = loaded.as_ref().and_then(|l| l.schema.clone());
    let steps = loaded.as_ref().map(|l| l.steps.clone()).unwrap_or_default();
    // … and evaluates the answers on screen once it checked.
    let answers = state.current_answers();
    let job = schema.as_ref().and(source.clone()).map(|source| EvalJob {
        source,
        answers: answers.clone(),
        as_of: state.as_of.clone(),
    });
    use_effect_with(job.clone(), {
        let weak = weak.clone();
        move |job| {
            if let Some(job) = job {
                client::with(&weak, |c| c.evaluate(job.clone()));
            }
        }
    });
    // The result shown is the one for these answers; while it is being
    // computed, the last one for this source stays on screen marked out of
    // date (without its grade and score attributes).
    let stopped_text = |why: Stopped, lang: Lang| match why {
        Stopped::TimedOut => i18n::EVAL_TIMEOUT.get(lang).replace("{}", &seconds(EVAL_TIME_LIMIT_MS)),
        Stopped::Failed => i18n::EVAL_CRASHED.get(lang).to_string(),
    };
    let as_shown = |r: &client::EvalResult| match r {
        Ok(e) => e.clone(),
        Err(why) => Rc::new(Evaluation {
            outcome: Outcome::Failed { en: stopped_text(*why, Lang::En), zh: stopped_text(*why, Lang::Zh) },
            millis: 0.0,
        }),
    };
    let current = job.as_ref().and_then(|j| view.evaluation_of(j)).map(as_shown);
    let pending = job.is_some() && current.is_none();
    let previous = (pending)
        .then(|| view.evaluation.as_ref().filter(|(j, _)| Some(&j.source) == source.as_ref()).map(|(_, r)| as_shown(r)))
        .flatten();
    let eval_stopped = job.as_ref().and_then(|j| view.evaluation_of(j)).is_some_and(Result::is_err);

    // Keep the state: a moment after each change, and when the page is left.
    let saver = use_mut_ref({
        let restored = restored.clone();
        move || Saver::restored(&restored.0, restored.1)
    });
    let to_store = use_mut_ref(Pending::default);
    let problems = use_state(BTreeMap::new);
    let printing = use_state(|| false);
    // A user's file is kept once it checked, and not while it is being
    // checked or once it failed or ran out of time (checking or evaluating).
    let rules_part = match (&source, &load) {
        (Some(s @ Source::Own { .. }), Some(Ok(l))) if l.schema.is_some() && !eval_stopped => {
            RulesPart::Keep(s.clone())
        }
        (Some(Source::Own { .. }), None) if !eval_stopped => RulesPart::Unknown,
        _ => RulesPart::Nothing,
    };
    use_effect_with(((*state).clone(), rules_part), {
        let (saver, to_store, problems) = (saver.clone(), to_store.clone(), problems.setter());
        move |(s, rules)| {
            let mut p = to_store.borrow_mut();
            p.latest = Some((s.clone(), rules.clone()));
            let (saver, to_store2) = (saver.clone(), to_store.clone());
            p.timer = Timeout::new(SAVE_DELAY_MS, move || flush(&saver, &to_store2, &problems));
        }
    });
    use_effect_with((), {
        let (saver, to_store, problems, weak) = (saver.clone(), to_store.clone(), problems.setter(), weak.clone());
        let printing = printing.setter();
        move |_| {
            client::with(&weak, Client::warm);
            platform::on_print(move |p| printing.set(p));
            platform::on_page_hidden(move || flush(&saver, &to_store, &problems));
            // `window.safegradeBench(n)`: a promise of the mean time of n
            // evaluations of the answers on screen, in milliseconds, run in
            // the worker (for the browser tests' budget).
            platform::expose_promise_fn("safegradeBench", move |n, resolve| {
                client::with(&weak, |c| c.bench(n.clamp(1.0, 100_000.0) as u32, resolve))
            });
        }
    });
    use_effect_with(state.lang, |l| platform::set_root_attr("lang", l.tag()));

    // An answer file waits for its rule set's questionnaire, then is
    // loaded, asked about, or refused.
    use_effect_with((state.pending.clone(), load.clone()), {
        let on_action = on_action.clone();
        move |(pending, load)| {
            let Some(p) = pending else { return };
            match load {
                None => {}
                Some(Ok(l)) => match l.schema.as_deref().map(|s| import::check(p, s)) {
                    Some(Verdict::Apply) => on_action.emit(Action::ApplyImport),
                    Some(Verdict::Ask(n)) => on_action.emit(Action::Notice(Some(n))),
                    Some(Verdict::Refuse(n)) => on_action.emit(Action::DropImport(Some(n))),
                    None => on_action.emit(Action::DropImport(Some(Notice::ImportFailed))),
                },
                Some(Err(_)) => on_action.emit(Action::DropImport(Some(Notice::ImportFailed))),
            }
        }
    });

    // Markers for the load-time measurement: app mounted, form shown.
    use_effect_with((), |_| platform::set_root_attr("data-mounted-ms", &platform::fixed(platform::now_ms(), 1)));
    let has_form = schema.is_some();
    use_effect_with((source.clone(), has_form), |(_, has_form)| {
        if *has_form {
            platform::set_root_attr("data-form-ms", &platform::fixed(platform::now_ms(), 1));
        }
    });

    let unknown =
        use_memo((schema.clone(), answers.clone()), |(s, a)| s.as_ref().map(|s| a.unknown(s)).unwrap_or_default());
    let on_save = {
        let schema = schema.clone();
        let state = state.clone();
        Callback::from(move |()| {
            let Some(schema) = &schema else { return };
            let m = &schema.ruleset;
            let path = match &state.source {
                Some(Source::Shipped(p)) => json!(p),
                _ => json!(null),
            };
            let file = json!({
                "format": "safegrade-answers/1",
                "ruleset": { "id": m.id, "version": m.version, "path": path },
                "as_of": state.as_of,
                "answers": state.current_answers().to_json(),
            });
            let text = serde_json::to_string_pretty(&file).unwrap_or_default();
            platform::download(&format!("safegrade-{}-{}.json", m.id, state.as_of), &text);
        })
    };
    let on_load_answers = {
        let state = state.clone();
        Callback::from(move |text: String| {
            state.dispatch(match import::read(&text, state.source.as_ref()) {
                Ok(p) => Action::BeginImport(Rc::new(p)),
                Err(n) => Action::Notice(Some(n)),
            })
        })
    };
    // The report's records are built first, then the dialogue opens.
    let on_print = {
        let printing = printing.setter();
        Callback::from(move |()| {
            printing.set(true);
            platform::print();
        })
    };
    let toggle_lang =
        on_action.reform(move |_: MouseEvent| Action::SetLang(if lang == Lang::Zh { Lang::En } else { Lang::Zh }));
    let drop_unknown = {
        let schema = schema.clone();
        let on_action = on_action.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(s) = &schema {
                on_action.emit(Action::DropUnknown(s.clone()));
            }
        })
    };

    let shown = current.clone().or(previous);
    let errors = Rc::new(match shown.as_ref().map(|e| &e.outcome) {
        Some(Outcome::InputErrors(errs)) => errs.clone(),
        _ => Vec::new(),
    });
    let badge = |a: &Assessment| {
        let color = grade_color(a.grade_color.as_deref());
        let style = format!("background:{color};color:{}", text_color_on(color));
        html! { <span class="badge" style={style}>{ lang.pick(&a.grade_label, a.grade_label_en.as_deref()).to_string() }</span> }
    };
    // At phone width the result is below a long form: a bar keeps the grade
    // (a scheme's: every step's) in view.
    let mini = match current.as_ref().map(|e| &e.outcome) {
        Some(Outcome::Assessed(a)) => Some(html! {
            <a class="mini-result no-print" href="#result">
                { badge(a) }
                <span>{ format!("{} {}", i18n::SCORE.get(lang), a.score) }</span>
                <span class="go" aria-hidden="true">{ "↓" }</span>
            </a>
        }),
        Some(Outcome::Steps(results)) => Some(html! {
            <a class="mini-result steps-bar no-print" href="#result">
                { for results.iter().map(|(_, a)| badge(a)) }
                <span class="go">{ "↓" }</span>
            </a>
        }),
        _ => None,
    };
    let stopped = load.as_ref().and_then(|l| l.as_ref().err()).map(|why| match why {
        Stopped::TimedOut => i18n::CHECK_TIMEOUT.get(lang).replace("{}", &seconds(CHECK_TIME_LIMIT_MS)),
        Stopped::Failed => i18n::CHECK_FAILED.get(lang).to_string(),
    });
    let checking = source.is_some() && load.is_none();
    let diagnostics = loaded.as_ref().map(|l| l.diagnostics.clone()).unwrap_or_default();

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
                    title={i18n::SWITCH_LANG_LABEL.get(lang)}>{ i18n::SWITCH_LANG.get(lang) }</button>
            </header>
            <Toolbar lang={lang} entries={entries.clone()} source={source.clone()}
                as_of={state.as_of.clone()} on_action={on_action.clone()} {on_save} {on_load_answers} {on_print} />
            if let Some(n) = &state.notice {
                <NoticeBar lang={lang} notice={n.clone()} can_undo={state.undo.is_some()} on_action={on_action.clone()} />
            }
            <StorageProblems lang={lang} problems={(*problems).clone()} />
            if let Some(text) = stopped {
                <div class="notice error no-print" role="alert" data-testid="check-stopped">{ text }</div>
            }
            <Diagnostics lang={lang} diagnostics={diagnostics} />
            if let (false, Some(schema)) = (unknown.is_empty(), &schema) {
                <UnknownAnswers lang={lang} names={(*unknown).clone()} schema={schema.clone()} on_drop={drop_unknown} />
            }
            if let Some(schema) = &schema {
                <Report lang={lang} schema={schema.clone()} steps={steps.clone()} answers={answers.clone()}
                    as_of={state.as_of.clone()} today={platform::today()} records={*printing} />
            }
            <div class="layout">
                <main class="form-col no-print">
                    if let Some(schema) = &schema {
                        <div class="ruleset-head">
                            <h2 class="ruleset-name">{ lang.label(&schema.ruleset.name) }</h2>
                            <p class="ruleset-meta">
                                <code>{ schema.ruleset.id.clone() }</code>{ format!(" · {} {}", i18n::VERSION.get(lang), schema.ruleset.version) }
                            </p>
                            if !steps.is_empty() {
                                <p class="ruleset-meta scheme-steps">
                                    { format!("{}{}", i18n::SCHEME_STEPS.get(lang), lang.pick("：", Some(": "))) }
                                    { steps.iter().map(|s| lang.label(&s.schema.ruleset.name)).collect::<Vec<_>>().join(" → ") }
                                </p>
                            }
                        </div>
                        <Questionnaire lang={lang} schema={schema.clone()} answers={answers.clone()}
                            errors={errors} on_action={on_action.clone()} />
                    } else if checking {
                        <p class="empty" role="status" data-testid="checking">{ i18n::CHECKING.get(lang) }</p>
                    } else if source.is_none() {
                        <p class="empty">{ i18n::NOTHING_PICKED.get(lang) }</p>
                    }
                </main>
                <aside class="result-col">
                    { announce(lang, shown.as_deref()) }
                    <ResultPanel lang={lang} schema={schema.clone()} steps={steps.clone()} evaluation={shown} pending={pending}
                        answered={!answers.is_empty()} />
                </aside>
            </div>
            // One node whether or not the bar is shown: a list that changes length
            // at the end would make the reconciler rebuild every sibling.
            { mini.unwrap_or_default() }
        </div>
    }
}
