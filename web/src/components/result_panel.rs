//! The live result: the grade as a coloured badge, the score, every item
//! that gained or lost points with its clause and advice, the overrides
//! that applied, and what it takes to reach the next grade; for a scheme,
//! all of that for each step in order (blacklist status, risk colour,
//! credit grade, supervision tier), with the values the step's results
//! declare (such as the listing dates).
//!
//! The panel carries `data-grade` and `data-score` (a scheme's, `data-steps`,
//! and each step's section `data-step`, `data-grade` and `data-score`), and
//! each item `data-item-id` and `data-points`, so tests read the result
//! without parsing the text.

use std::rc::Rc;

use safegrade::{Assessment, MissingTreatment, Schema};
use yew::prelude::*;

use crate::components::field::default_text;
use crate::engine::{Evaluation, Outcome, StepSchema};
use crate::i18n::{self, Lang};
use crate::platform;

/// Props of [`ResultPanel`].
#[derive(Properties, PartialEq)]
pub struct ResultPanelProps {
    /// Interface language.
    pub lang: Lang,
    /// The rule set's questionnaire (for grade and question labels).
    pub schema: Option<Rc<Schema>>,
    /// What core said; `None` before a rule set is chosen.
    pub evaluation: Option<Rc<Evaluation>>,
    /// A scheme's steps (empty for a rule set).
    #[prop_or_default]
    pub steps: Rc<Vec<StepSchema>>,
    /// Whether any question has been answered.
    #[prop_or(true)]
    pub answered: bool,
    /// Whether the result for the answers on screen is still being
    /// computed: `evaluation` is then an earlier one, shown marked out of
    /// date and without `data-grade` and `data-score`.
    #[prop_or_default]
    pub pending: bool,
}

/// The neutral grey used when a grade has no colour.
pub const NEUTRAL_COLOR: &str = "#6e7781";

/// A grade's colour for a `style` attribute: only `#rrggbb` is used as
/// written; anything else (rule text could carry CSS such as
/// `url(…)`) is the neutral grey.
pub fn grade_color(color: Option<&str>) -> &str {
    match color {
        Some(c) if c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) => c,
        _ => NEUTRAL_COLOR,
    }
}

/// Near-black or white, whichever has the higher contrast ratio on `bg`
/// (`#rrggbb`), as WCAG 2.1 measures it (relative luminance of the sRGB
/// channels): on a mid green such as `#2da44e` that is black (5.9:1, where
/// white gives 3.2:1).
pub fn text_color_on(bg: &str) -> &'static str {
    let hex = bg.trim_start_matches('#');
    let linear = |i: usize| {
        let c = f64::from(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?) / 255.0;
        Some(if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) })
    };
    let (Some(r), Some(g), Some(b), 6) = (linear(0), linear(2), linear(4), hex.len()) else { return "#111" };
    let luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    // `#111` has a relative luminance of 0.0056.
    let on_dark = (luminance + 0.05) / (0.0056 + 0.05);
    let on_white = 1.05 / (luminance + 0.05);
    if on_dark >= on_white {
        "#111"
    } else {
        "#fff"
    }
}

fn grade_label(lang: Lang, schema: Option<&Schema>, id: &str) -> String {
    schema.and_then(|s| s.grades.iter().find(|g| g.id == id)).map_or_else(|| id.to_string(), |g| lang.label(&g.label))
}

/// Names an answer path as people read it: `accidents[0].deaths` is the
/// list's label, its record counted from 1, and the field's label
/// (`accidents[].x`, a field of no record in particular, the list's label
/// and the field's); `as_of` (unless the rule set asks an input of that
/// name) is the as-of date's label.
pub fn answer_label(lang: Lang, s: &Schema, path: &str) -> String {
    let head = path.split(['[', '.']).next().unwrap_or(path);
    if let Some(f) = s.inputs.iter().find(|f| f.name == head) {
        return lang.label(&f.label);
    }
    if path == "as_of" {
        return i18n::AS_OF.get(lang).to_string();
    }
    let Some(list) = s.lists.iter().find(|l| l.name == head) else { return path.to_string() };
    let rest = &path[head.len()..];
    let index = rest.strip_prefix('[').and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok());
    let field = rest.split_once("].").map(|(_, f)| f);
    let mut out = lang.label(&list.label);
    if let Some(i) = index {
        out.push_str(lang.pick(" ", Some(", ")));
        out.push_str(&i18n::ROW.get(lang).replace("{}", &(i + 1).to_string()));
    }
    if let Some(name) = field {
        let label =
            list.fields.iter().find(|f| f.name == name).map_or_else(|| name.to_string(), |f| lang.label(&f.label));
        out.push_str(lang.pick(" · ", Some(": ")));
        out.push_str(&label);
    }
    out
}

/// Records the result ignored because they are dated after the as-of date,
/// each named by its list's label, record number and field label.
fn warnings(lang: Lang, schema: Option<&Schema>, a: &Assessment, level: u8) -> Html {
    if a.warnings.is_empty() {
        return html! {};
    }
    html! {
        <div class="warnings" data-testid="warnings" role="note">
            { heading(level, i18n::DATA_WARNINGS.get(lang)) }
            <ul>
            { for a.warnings.iter().map(|w| {
                let path = format!("{}[{}].{}", w.list, w.record.saturating_sub(1), w.field);
                let place = schema.map_or_else(|| path.clone(), |s| answer_label(lang, s, &path));
                html! {
                    <li data-warning-path={path}>
                        <strong>{ place }</strong>{ lang.pick("：", Some(": ")) }
                        { i18n::AFTER_AS_OF.get(lang).replacen("{}", &w.date, 1).replacen("{}", &a.as_of, 1) }
                    </li>
                }
            }) }
            </ul>
        </div>
    }
}

/// The answers the result assumed because they were not given: each input
/// with the value taken by default, or how its absence was treated.
fn assumed(lang: Lang, schema: Option<&Schema>, a: &Assessment, level: u8) -> Html {
    if a.missing.is_empty() {
        return html! {};
    }
    let field = |name: &str| schema.and_then(|s| s.inputs.iter().find(|f| f.name == name));
    html! {
        <div class="assumed" data-testid="assumed">
            { heading(level, i18n::ASSUMED.get(lang)) }
            <ul>
            { for a.missing.iter().map(|m| {
                let f = field(&m.input);
                let label = f.map_or_else(|| m.input.to_string(), |f| lang.label(&f.label));
                let what = match m.treatment {
                    MissingTreatment::Default => f
                        .and_then(|f| default_text(lang, f))
                        .map_or_else(|| i18n::ASSUMED_DEFAULT.get(lang).to_string(), |d| format!("{} {d}", i18n::ASSUMED_DEFAULT.get(lang))),
                    MissingTreatment::NotApplicable => i18n::ASSUMED_NOT_APPLICABLE.get(lang).to_string(),
                    MissingTreatment::Penalty => i18n::ASSUMED_PENALTY.get(lang).to_string(),
                };
                html! {
                    <li data-assumed-input={m.input.to_string()}>
                        <strong>{ label }</strong>{ lang.pick("：", Some(": ")) }{ what }
                    </li>
                }
            }) }
            </ul>
        </div>
    }
}

/// A heading at `level` (3 for a rule set's result, 4 inside a scheme's step).
fn heading(level: u8, text: &str) -> Html {
    match level {
        3 => html! { <h3>{ text.to_string() }</h3> },
        _ => html! { <h4>{ text.to_string() }</h4> },
    }
}

/// The values a step's results declare, with their titles; none shown
/// when the step leaves them blank (not listed, for instance).
fn result_values(lang: Lang, step: &StepSchema, a: &Assessment) -> Html {
    let shown: Vec<(String, String)> = step
        .results
        .iter()
        .filter_map(|(name, label)| {
            let text = match a.values.get(name.as_str())? {
                serde_json::Value::Null => return None,
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (!text.is_empty()).then(|| (lang.label(label), text))
        })
        .collect();
    if shown.is_empty() {
        return html! {};
    }
    html! {
        <dl class="values">
            { for shown.into_iter().map(|(k, v)| html! { <><dt>{ k }</dt><dd>{ v }</dd></> }) }
        </dl>
    }
}

fn assessed(lang: Lang, schema: Option<&Schema>, a: &Assessment, level: u8) -> Html {
    let color = grade_color(a.grade_color.as_deref());
    let style = format!("background:{color};color:{}", text_color_on(color));
    let label = lang.pick(&a.grade_label, a.grade_label_en.as_deref()).to_string();
    let item_label = |id: &str| {
        a.items
            .iter()
            .find(|i| &*i.id == id)
            .map_or_else(|| id.to_string(), |i| lang.pick(&i.label, i.label_en.as_deref()).to_string())
    };
    html! {
        <>
        <div class="grade-line">
            <span class="badge" style={style} data-testid="grade">{ label }</span>
            <span class="score"><span class="k">{ i18n::SCORE.get(lang) }</span>{ " " }<strong data-testid="score">{ a.score.clone() }</strong></span>
        </div>
        if a.band_grade != a.grade {
            <p class="note">{ format!("{}{}{}", i18n::BAND_GRADE.get(lang), lang.pick("：", Some(": ")), grade_label(lang, schema, &a.band_grade)) }</p>
        }
        { warnings(lang, schema, a, level) }
        { assumed(lang, schema, a, level) }
        if !a.overrides.is_empty() {
            { heading(level, i18n::OVERRIDES.get(lang)) }
            <ul class="overrides">
            { for a.overrides.iter().map(|o| html! {
                <li data-override-id={o.id.to_string()}>
                    <strong>{ format!("{} → {}", grade_label(lang, schema, &o.from), grade_label(lang, schema, &o.to)) }</strong>
                    { " " }{ lang.pick(&o.reason, o.reason_en.as_deref()).to_string() }
                    if let Some(c) = &o.cite { <div class="cite"><span class="k">{ i18n::CITE.get(lang) }</span>{ " " }{ c.clone() }</div> }
                </li>
            }) }
            </ul>
        }
        { heading(level, i18n::ITEMS.get(lang)) }
        if a.items.is_empty() {
            <p class="empty">{ i18n::NO_ITEMS.get(lang) }</p>
        } else {
            <ul class="items">
            { for a.items.iter().map(|i| {
                let negative = i.points.starts_with('-');
                let advice = i.advice.as_ref().map(|ad| lang.pick(ad, i.advice_en.as_deref()).to_string());
                html! {
                    <li data-item-id={i.id.to_string()} data-points={i.points.clone()}>
                        <span class={classes!("pts", if negative { "minus" } else { "plus" })}>
                            { if negative { i.points.clone() } else { format!("+{}", i.points) } }
                        </span>
                        <span class="what">{ lang.pick(&i.label, i.label_en.as_deref()).to_string() }</span>
                        if let Some(c) = &i.cite { <div class="cite"><span class="k">{ i18n::CITE.get(lang) }</span>{ " " }{ c.clone() }</div> }
                        if let Some(ad) = advice { <div class="advice"><span class="k">{ i18n::ADVICE.get(lang) }</span>{ " " }{ ad }</div> }
                    </li>
                }
            }) }
            </ul>
        }
        { heading(level, i18n::NEXT_GRADE.get(lang)) }
        <div class="next" data-testid="next-grade">
        { match &a.next_grade {
            None => html! { <p>{ i18n::BEST_GRADE.get(lang) }</p> },
            Some(n) => html! {
                <>
                if let Some(needs) = &n.needs {
                    if !n.unfixable.is_empty() {
                        <p class="note only-unfixable" data-testid="only-unfixable">{ i18n::NEXT_ONLY_UNFIXABLE.get(lang) }</p>
                    }
                    <p>{ format!("{} {}{}", i18n::NEXT_NEEDS.get(lang), grade_label(lang, schema, &n.grade), lang.pick("：", Some(":"))) }</p>
                    <ul>{ for needs.iter().map(|id| {
                        let unfixable = n.unfixable.contains(id);
                        html! {
                            <li data-needs-id={id.to_string()} data-unfixable={unfixable.then_some("true")}>
                                { item_label(id) }
                                if unfixable { <span class="unfixable">{ i18n::UNFIXABLE.get(lang) }</span> }
                            </li>
                        }
                    }) }</ul>
                } else {
                    <p>{ i18n::NEXT_NONE.get(lang) }</p>
                }
                if !n.blocked_by.is_empty() {
                    <p>{ i18n::NEXT_BLOCKED.get(lang) }</p>
                    <ul>{ for n.blocked_by.iter().map(|id| {
                        let reason = a.overrides.iter().find(|o| &o.id == id)
                            .map_or_else(|| id.to_string(), |o| lang.pick(&o.reason, o.reason_en.as_deref()).to_string());
                        html! { <li>{ reason }</li> }
                    }) }</ul>
                }
                </>
            },
        } }
        </div>
        </>
    }
}

fn timing(lang: Lang, millis: f64) -> Html {
    html! {
        <p class="timing no-print">{ format!("{} {} ms · {}", i18n::EVAL_TIME.get(lang), platform::fixed(millis, 3), i18n::PRIVACY.get(lang)) }</p>
    }
}

/// A scheme's result: one section per step, in order, each titled with its
/// rule set's name and showing that step's result in its own terms.
fn steps_assessed(lang: Lang, steps: &[StepSchema], results: &[(String, Assessment)]) -> Html {
    html! {
        <ol class="steps">
        { for results.iter().map(|(alias, a)| {
            let step = steps.iter().find(|s| &s.alias == alias);
            let title = step.map_or_else(|| alias.clone(), |s| lang.label(&s.schema.ruleset.name));
            let id = format!("step-{alias}");
            html! {
                <li class="step" data-step={alias.clone()} data-grade={a.grade.to_string()} data-score={a.score.clone()}>
                    <section aria-labelledby={id.clone()}>
                        <h3 id={id}>{ title }</h3>
                        { assessed(lang, step.map(|s| &s.schema), a, 4) }
                        if let Some(s) = step { { result_values(lang, s, a) } }
                    </section>
                </li>
            }
        }) }
        </ol>
    }
}

/// The result panel.
#[function_component(ResultPanel)]
pub fn result_panel(p: &ResultPanelProps) -> Html {
    let lang = p.lang;
    let schema = p.schema.as_deref();
    let mut steps_shown = None;
    let (grade, score, body) = match p.evaluation.as_deref() {
        None if p.pending => (None, None, html! {}),
        None => (None, None, html! { <p class="empty">{ i18n::NOTHING_PICKED.get(lang) }</p> }),
        Some(Evaluation { outcome: Outcome::Assessed(a), millis }) => {
            let body = html! {
                <>
                if !p.answered { <p class="note unanswered" data-testid="nothing-answered">{ i18n::NOTHING_ANSWERED.get(lang) }</p> }
                { assessed(lang, schema, a, 3) }
                { timing(lang, *millis) }
                </>
            };
            (Some(a.grade.to_string()), Some(a.score.clone()), body)
        }
        Some(Evaluation { outcome: Outcome::Steps(results), millis }) => {
            let body = html! {
                <>
                if !p.answered { <p class="note unanswered" data-testid="nothing-answered">{ i18n::NOTHING_ANSWERED.get(lang) }</p> }
                { steps_assessed(lang, &p.steps, results) }
                { timing(lang, *millis) }
                </>
            };
            steps_shown = Some(results.len());
            (None, None, body)
        }
        Some(Evaluation { outcome: Outcome::InputErrors(errors), .. }) => {
            let label_of = |path: &str| schema.map_or_else(|| path.to_string(), |s| answer_label(lang, s, path));
            (
                None,
                None,
                html! {
                    <div class="input-errors" role="alert">
                        <p>{ i18n::FIX_ANSWERS.get(lang) }</p>
                        <ul>{ for errors.iter().map(|e| html! {
                            <li data-error-path={e.path.clone()}><strong>{ label_of(&e.path) }</strong>{ lang.pick("：", Some(": ")) }{ lang.pick(&e.message_zh, Some(&e.message)).to_string() }</li>
                        }) }</ul>
                    </div>
                },
            )
        }
        Some(Evaluation { outcome: Outcome::Failed { en, zh }, .. }) => {
            let m = lang.pick(zh, Some(en));
            (None, None, html! { <p class="err" role="alert">{ format!("{}{m}", i18n::EVAL_FAILED.get(lang)) }</p> })
        }
    };
    let (grade, score, steps_shown) = if p.pending { (None, None, None) } else { (grade, score, steps_shown) };
    html! {
        <section id="result" class={classes!("result", p.pending.then_some("pending"))} aria-labelledby="result-title"
            tabindex="0" aria-busy={p.pending.then_some("true")} data-grade={grade} data-score={score}
            data-steps={steps_shown.map(|n| n.to_string())}>
            <h2 id="result-title">{ i18n::RESULT.get(lang) }</h2>
            if p.pending { <p class="updating">{ i18n::UPDATING.get(lang) }</p> }
            { body }
        </section>
    }
}
