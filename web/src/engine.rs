//! Core calls: loading rule sets and schemes, and evaluating answers.
//!
//! These run in the portal's worker ([`crate::worker`]), never on the page's
//! thread: a hostile rule file or a huge answer set can take long, and the
//! page must stay responsive. The page receives their results as JSON
//! ([`crate::wire`]) and never stores them in [`crate::state::State`].

use chrono::NaiveDate;
use safegrade::{AssessError, Assessment, InputError, Label, Rules, Schema, Severity};
use serde_json::Value as Json;

use crate::i18n::Lang;
use crate::rulesets::shipped_loader;
use crate::state::Source;

/// One diagnostic, ready to show.
#[derive(Clone, Debug, PartialEq)]
pub struct DiagView {
    /// Error or warning.
    pub is_error: bool,
    /// Stable code, `R0001` ….
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// `file:line:column`, when the diagnostic points into a file.
    pub location: Option<String>,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// How to fix it.
    pub help: Option<String>,
    /// The rendering with the source line and a caret.
    pub rendered: String,
}

/// One step of a scheme: its alias and its rule set's questionnaire (for
/// its grades' and questions' labels).
#[derive(Clone, Debug, PartialEq)]
pub struct StepSchema {
    /// The step's alias (`blacklist`, `risk`, …).
    pub alias: String,
    /// Its rule set's questionnaire.
    pub schema: Schema,
    /// The derived values its results show (`[results]`), each with its
    /// title (its name when the file gives none).
    pub results: Vec<(String, Label)>,
}

/// The rule set or scheme the questionnaire is built from, or why there is
/// none.
#[derive(Clone, Debug)]
pub struct LoadedRules {
    /// The checked rules; `None` when loading failed.
    pub rules: Option<Rules>,
    /// Their questionnaire (a scheme's asks every step's inputs once).
    pub schema: Option<Schema>,
    /// A scheme's steps, in order; empty for a rule set.
    pub steps: Vec<StepSchema>,
    /// Problems found (errors and warnings).
    pub diagnostics: Vec<DiagView>,
}

/// Loads and checks the chosen source: a shipped rule set or scheme, or the
/// user's file, whose includes and steps may be the files chosen with it or
/// shipped ones.
pub fn load_source(source: Option<&Source>) -> LoadedRules {
    let (path, own) = match source {
        None => return LoadedRules { rules: None, schema: None, steps: Vec::new(), diagnostics: Vec::new() },
        Some(Source::Shipped(path)) => (path.clone(), Vec::new()),
        Some(Source::Own { path, text, others }) => {
            let mut own = vec![(path.clone(), text.clone())];
            own.extend(others.iter().cloned());
            (path.clone(), own)
        }
    };
    // The user's files, then the shipped ones; a path that leaves `rules/`
    // (a scheme copied from `rules/schemes/` names its steps `../x.toml`)
    // is looked for by its file name in `rules/`.
    let find = move |p: &str| match own.iter().find(|(q, _)| q == p) {
        Some((_, t)) => Ok(t.to_string()),
        None => shipped_loader(p),
    };
    let loader = move |p: &str| match find(p) {
        Err(e) if !p.starts_with("rules/") => {
            find(&format!("rules/{}", p.rsplit('/').next().unwrap_or(p))).map_err(|_| e)
        }
        found => found,
    };
    let loaded = safegrade::load(&path, &loader);
    let diagnostics: Vec<DiagView> = loaded
        .diagnostics
        .iter()
        .map(|d| {
            let loc = d.span.map(|s| loaded.sources.locate(s));
            DiagView {
                is_error: d.severity == Severity::Error,
                code: d.code.to_string(),
                message: d.message.clone(),
                location: loc.as_ref().map(|l| format!("{}:{}:{}", l.file, l.line, l.column)),
                line: loc.as_ref().map(|l| l.line),
                help: d.help.clone(),
                rendered: loaded.sources.render(d),
            }
        })
        .collect();
    let (schema, steps) = match &loaded.rules {
        Some(Rules::Set(rules)) => (Some(rules.schema()), Vec::new()),
        Some(Rules::Scheme(scheme)) => (
            Some(scheme.schema()),
            scheme
                .steps()
                .map(|(alias, r)| StepSchema {
                    alias: alias.to_string(),
                    schema: r.schema(),
                    results: r
                        .result_columns()
                        .map(|(name, label)| {
                            (name.to_string(), label.cloned().unwrap_or_else(|| Label { zh: name.into(), en: None }))
                        })
                        .collect(),
                })
                .collect(),
        ),
        None => (None, Vec::new()),
    };
    LoadedRules { rules: loaded.rules, schema, steps, diagnostics }
}

/// What evaluating the answers gave.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The assessment.
    Assessed(Box<Assessment>),
    /// A scheme's assessment: each step's, in order, under its alias.
    Steps(Vec<(String, Assessment)>),
    /// Answers that must be fixed first (path, message).
    InputErrors(Vec<AnswerError>),
    /// Evaluation stopped: why, in English and in Chinese.
    Failed {
        /// In English.
        en: String,
        /// In Chinese.
        zh: String,
    },
}

/// An answer that must be fixed, as the page shows it: where (an input
/// name or `list[i].field`) and what is wrong, in English and in Chinese.
/// Core's [`InputError`] also names the kind of problem; the page shows only
/// the texts, so only they cross from the worker.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AnswerError {
    /// The input name or `list[index].field` (index from 0).
    pub path: String,
    /// What is wrong (English).
    pub message: String,
    /// What is wrong, in Chinese.
    pub message_zh: String,
}

impl From<InputError> for AnswerError {
    fn from(e: InputError) -> AnswerError {
        AnswerError { path: e.path, message: e.message, message_zh: e.message_zh }
    }
}

/// An outcome and how long core took to produce it.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// What core said.
    pub outcome: Outcome,
    /// Milliseconds spent in core (reading the answers and evaluating).
    pub millis: f64,
}

/// Reads an as-of date as the command line does: exactly `YYYY-MM-DD`
/// (ten characters, digits with dashes at 4 and 7) naming a real day.
/// chrono alone also takes `2026-6-3`, `+2026-1-1` and `-001-01-01`.
pub fn parse_as_of(s: &str) -> Option<NaiveDate> {
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let num = |r: std::ops::Range<usize>| s[r].bytes().fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
    shaped.then(|| NaiveDate::from_ymd_opt(num(0..4) as i32, num(5..7), num(8..10))).flatten()
}

/// Evaluates the answers (a JSON object, as a firm's data) as of a date
/// (`YYYY-MM-DD`) with a rule set or through every step of a scheme.
pub fn evaluate(rules: &Rules, answers: &Json, as_of: &str) -> Outcome {
    let Some(date) = parse_as_of(as_of) else {
        return Outcome::InputErrors(vec![AnswerError {
            path: "as_of".into(),
            message: format!("`{as_of}` is not a date YYYY-MM-DD"),
            message_zh: format!("“{as_of}”不是 YYYY-MM-DD 格式的日期"),
        }]);
    };
    let assessed = match rules {
        Rules::Set(r) => r.assess_json(answers, date).map(|a| Outcome::Assessed(Box::new(a))),
        Rules::Scheme(s) => s.assess_json(answers, date).map(|a| Outcome::Steps(a.steps.into_iter().collect())),
    };
    match assessed {
        Ok(outcome) => outcome,
        Err(AssessError::Input { errors }) => Outcome::InputErrors(errors.into_iter().map(AnswerError::from).collect()),
        Err(AssessError::Eval { error }) => Outcome::Failed { en: error.to_string(), zh: error.to_string_zh() },
    }
}

/// The error message for one answer path (`name` or `list[i].field`), if any.
pub fn error_for<'a>(errors: &'a [AnswerError], path: &str, lang: Lang) -> Option<&'a str> {
    errors.iter().find(|e| e.path == path).map(|e| message(e, lang))
}

/// An input error's message in the interface language.
pub fn message(e: &AnswerError, lang: Lang) -> &str {
    lang.pick(&e.message_zh, Some(&e.message))
}
