//! The portal's state: what the user chose and answered, and nothing derived.
//!
//! [`State`] holds the language, the chosen rule source, the as-of date and
//! the answers (per rule source, so switching rule sets keeps each set's
//! answers). Scores are never stored: the app derives them from this state
//! by calling core. [`Action`] lists every change; [`State::reduce`] applies
//! one. The whole state round-trips through JSON for local storage.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{json, Map, Value as Json};
use yew::Reducible;

use crate::i18n::Lang;
use crate::rulesets::{is_shipped, own_path};

/// Where the rule set comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A shipped rule set, by path (`rules/x.toml`).
    Shipped(String),
    /// A file the user loaded: its path (`rules/<file name>`) and text.
    Own {
        /// `rules/<file name>`.
        path: String,
        /// The file's text.
        text: Rc<str>,
    },
}

impl Source {
    /// The key answers are kept under.
    pub fn key(&self) -> String {
        match self {
            Source::Shipped(p) => p.clone(),
            Source::Own { path, .. } => format!("own:{path}"),
        }
    }
}

/// Everything the user chose and entered.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Interface language.
    pub lang: Lang,
    /// The chosen rule set.
    pub source: Option<Source>,
    /// The date the assessment is made as of, `YYYY-MM-DD`.
    pub as_of: String,
    /// Answers by [`Source::key`]: input name → value, list name → records.
    pub answers: BTreeMap<String, Map<String, Json>>,
    /// A one-line message for the user (e.g. after loading a file).
    pub notice: Option<String>,
}

/// One change to the state.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Switch the interface language.
    SetLang(Lang),
    /// Choose a shipped rule set.
    Pick(String),
    /// Use a rule file the user loaded.
    LoadOwn {
        /// The file's name.
        name: String,
        /// Its text.
        text: String,
    },
    /// Change the as-of date.
    SetAsOf(String),
    /// Answer (or, with `None`, clear) a scalar input.
    SetInput {
        /// Input name.
        name: String,
        /// The answer.
        value: Option<Json>,
    },
    /// Append an empty record to a list.
    AddRow {
        /// List name.
        list: String,
    },
    /// Remove a record.
    RemoveRow {
        /// List name.
        list: String,
        /// Record index, from 0.
        idx: usize,
    },
    /// Answer (or clear) one field of one record.
    SetCell {
        /// List name.
        list: String,
        /// Record index, from 0.
        idx: usize,
        /// Field name.
        field: String,
        /// The answer.
        value: Option<Json>,
    },
    /// Replace the current answers (loading a saved file); picks the rule
    /// set named in the file first when it is a shipped one.
    Import {
        /// The shipped rule set the answers were saved for.
        path: Option<String>,
        /// The as-of date saved with them.
        as_of: Option<String>,
        /// The answers.
        answers: Map<String, Json>,
        /// What to tell the user.
        notice: String,
    },
    /// Forget the current rule set's answers.
    Clear,
    /// Show or hide the notice line.
    Notice(Option<String>),
}

impl State {
    /// A fresh state as of `today`.
    pub fn new(today: String) -> State {
        State { lang: Lang::Zh, source: None, as_of: today, answers: BTreeMap::new(), notice: None }
    }

    /// The answers for the chosen rule set.
    pub fn current_answers(&self) -> Map<String, Json> {
        self.source.as_ref().and_then(|s| self.answers.get(&s.key())).cloned().unwrap_or_default()
    }

    fn current_mut(&mut self) -> Option<&mut Map<String, Json>> {
        let key = self.source.as_ref()?.key();
        Some(self.answers.entry(key).or_default())
    }

    /// The state as JSON for local storage.
    pub fn to_json(&self) -> Json {
        let source = match &self.source {
            None => Json::Null,
            Some(Source::Shipped(p)) => json!({ "shipped": p }),
            Some(Source::Own { path, text }) => json!({ "own": path, "text": &**text }),
        };
        json!({
            "version": 1,
            "lang": self.lang.code(),
            "source": source,
            "as_of": self.as_of,
            "answers": self.answers,
        })
    }

    /// Reads [`State::to_json`]'s output; anything unreadable is left at its default.
    pub fn from_json(j: &Json, today: String) -> State {
        let mut s = State::new(today);
        if j.get("version") != Some(&json!(1)) {
            return s;
        }
        s.lang = Lang::from_code(j.get("lang").and_then(Json::as_str).unwrap_or("zh"));
        if let Some(src) = j.get("source") {
            if let Some(p) = src.get("shipped").and_then(Json::as_str) {
                if is_shipped(p) {
                    s.source = Some(Source::Shipped(p.to_string()));
                }
            } else if let (Some(p), Some(t)) =
                (src.get("own").and_then(Json::as_str), src.get("text").and_then(Json::as_str))
            {
                s.source = Some(Source::Own { path: p.to_string(), text: Rc::from(t) });
            }
        }
        if let Some(d) = j.get("as_of").and_then(Json::as_str) {
            s.as_of = d.to_string();
        }
        if let Some(Json::Object(all)) = j.get("answers") {
            for (k, v) in all {
                if let Json::Object(m) = v {
                    s.answers.insert(k.clone(), m.clone());
                }
            }
        }
        s
    }

    /// Applies one action.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::SetLang(l) => self.lang = l,
            Action::Pick(p) => {
                self.source = Some(Source::Shipped(p));
                self.notice = None;
            }
            Action::LoadOwn { name, text } => {
                self.source = Some(Source::Own { path: own_path(&name), text: Rc::from(text) });
                self.notice = None;
            }
            Action::SetAsOf(d) => self.as_of = d,
            Action::SetInput { name, value } => {
                if let Some(a) = self.current_mut() {
                    match value {
                        Some(v) => a.insert(name, v),
                        None => a.remove(&name),
                    };
                }
            }
            Action::AddRow { list } => {
                if let Some(a) = self.current_mut() {
                    let rows = a.entry(list).or_insert_with(|| Json::Array(Vec::new()));
                    if let Json::Array(rows) = rows {
                        rows.push(Json::Object(Map::new()));
                    } else {
                        *rows = json!([{}]);
                    }
                }
            }
            Action::RemoveRow { list, idx } => {
                if let Some(a) = self.current_mut() {
                    if let Some(Json::Array(rows)) = a.get_mut(&list) {
                        if idx < rows.len() {
                            rows.remove(idx);
                        }
                        if rows.is_empty() {
                            a.remove(&list);
                        }
                    }
                }
            }
            Action::SetCell { list, idx, field, value } => {
                if let Some(a) = self.current_mut() {
                    if let Some(Json::Array(rows)) = a.get_mut(&list) {
                        if let Some(Json::Object(rec)) = rows.get_mut(idx) {
                            match value {
                                Some(v) => rec.insert(field, v),
                                None => rec.remove(&field),
                            };
                        }
                    }
                }
            }
            Action::Import { path, as_of, answers, notice } => {
                if let Some(p) = path.filter(|p| is_shipped(p)) {
                    self.source = Some(Source::Shipped(p));
                }
                if let Some(d) = as_of {
                    self.as_of = d;
                }
                if let Some(a) = self.current_mut() {
                    *a = answers;
                }
                self.notice = Some(notice);
            }
            Action::Clear => {
                if let Some(key) = self.source.as_ref().map(Source::key) {
                    self.answers.remove(&key);
                }
            }
            Action::Notice(n) => self.notice = n,
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.apply(action);
        Rc::new(next)
    }
}
