//! The portal's state: what the user chose and answered, and nothing derived.
//!
//! [`State`] holds the language, the chosen rule source, the as-of date and
//! the answers (per rule source, so switching rule sets keeps each set's
//! answers), with the notice shown, what "undo" would restore and an answer
//! file waiting to be loaded. Scores are never stored: the worker computes
//! them from this state. [`Action`] lists every change; [`State::apply`]
//! applies one. Storage keeps the state in parts ([`crate::storage`]);
//! [`State::settings_json`] and [`State::restore`] are its settings part.

use std::collections::BTreeMap;
use std::rc::Rc;

use safegrade::{Label, Schema};
use serde_json::{json, Map, Value as Json};
use yew::Reducible;

use crate::answers::Answers;
use crate::i18n::Lang;
use crate::rulesets::{is_shipped, own_path};

/// Where the rule set comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A shipped rule set, by path (`rules/x.toml`).
    Shipped(String),
    /// A file the user loaded: its path (`rules/<file name>`) and text,
    /// with the files chosen with it (a scheme's own rule sets, files it
    /// includes), each by path.
    Own {
        /// `rules/<file name>`.
        path: String,
        /// The file's text.
        text: Rc<str>,
        /// The files chosen with it: `rules/<file name>` and text.
        others: Rc<[(String, Rc<str>)]>,
    },
}

impl Source {
    /// A user's file's path (`None` for a shipped one).
    pub fn own_file(&self) -> Option<&str> {
        match self {
            Source::Own { path, .. } => Some(path),
            Source::Shipped(_) => None,
        }
    }

    /// The key answers are kept under.
    pub fn key(&self) -> String {
        match self {
            Source::Shipped(p) => p.clone(),
            Source::Own { path, .. } => format!("own:{path}"),
        }
    }
}

/// Whether a rule file's text is a scheme: a `[scheme]` table header on a
/// line of its own (read before the file is checked, to know which of the
/// files chosen together is the one to use).
pub fn is_scheme(text: &str) -> bool {
    text.lines().any(|l| l.trim() == "[scheme]")
}

/// A message for the user above the form; rendered in the current language.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// An answer file was loaded (undoable).
    Loaded {
        /// The file's as-of date was not a date `YYYY-MM-DD`, so the
        /// current one was kept.
        date_kept: bool,
    },
    /// The answers were cleared (undoable).
    Cleared,
    /// Answers the rule set does not ask were removed (undoable).
    Dropped,
    /// The last change was undone.
    Undone,
    /// An answer file that cannot be read, and why.
    BadAnswerFile(FileProblem),
    /// A file refused for its size before it was read.
    FileTooLarge {
        /// Its size in bytes.
        bytes: f64,
        /// The limit in bytes.
        limit: f64,
    },
    /// An answer file refused because a list holds too many records.
    TooManyRecords {
        /// The list's label (its name when it is not a list of the rule set).
        label: Label,
        /// Records in the file.
        count: usize,
        /// The list's limit.
        limit: u32,
    },
    /// An answer file saved for another rule set or version: load anyway?
    ConfirmImport {
        /// The rule set id and version the file names.
        file: String,
        /// The current rule set's id and version.
        current: String,
    },
    /// Answers were chosen before any rule set.
    NoRuleSet,
    /// The rule set an answer file names does not check.
    ImportFailed,
    /// The rule file used last time was not restored (it was never saved
    /// because it did not check in time, or could not be stored).
    RulesNotRestored(String),
}

/// Why an answer file cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileProblem {
    /// The text is not JSON.
    Syntax {
        /// Where serde_json stopped (1-based line, column), when it says.
        at: Option<(usize, usize)>,
        /// serde_json's message, in English.
        message: String,
    },
    /// An object names a key twice.
    DuplicateKey {
        /// The key.
        key: String,
        /// Line and column of the second occurrence.
        at: (usize, usize),
        /// core's message, in English.
        message: String,
    },
    /// The file is JSON but not an object.
    NotAnObject,
    /// The file's `answers` is not an object.
    AnswersNotAnObject,
}

/// An answer file read and waiting for its rule set's questionnaire, which
/// tells whether it fits (record limits, rule set id and version).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingImport {
    /// The answers in the file.
    pub answers: Answers,
    /// The as-of date saved with them, when it is a date `YYYY-MM-DD`.
    pub as_of: Option<String>,
    /// Whether the file gave an as-of date that is not one (not taken).
    pub as_of_refused: bool,
    /// The rule set id and version the file was saved for, if it says.
    pub ruleset: Option<(String, String)>,
    /// The rule set they are loaded into.
    pub target: Source,
    /// The rule set chosen before, when loading the file switched to the one
    /// it names; "cancel" goes back to it.
    pub previous: Option<Source>,
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
    /// Answers by [`Source::key`].
    pub answers: BTreeMap<String, Answers>,
    /// The message shown above the form.
    pub notice: Option<Notice>,
    /// What "undo" restores: a [`Source::key`] and its answers before the
    /// last load, clear or removal.
    pub undo: Option<(String, Answers)>,
    /// An answer file waiting to be loaded.
    pub pending: Option<Rc<PendingImport>>,
}

/// One change to the state.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Switch the interface language.
    SetLang(Lang),
    /// Choose a shipped rule set or scheme.
    Pick(String),
    /// Use the rule files the user loaded (name and text of each, at
    /// least one): a scheme among them is the one used, else the first,
    /// and the others are there for it to read.
    LoadOwn(Vec<(String, String)>),
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
    /// Hold an answer file until its rule set is loaded; switches to the
    /// rule set it names when that differs.
    BeginImport(Rc<PendingImport>),
    /// Load the waiting answer file into its rule set (undoable).
    ApplyImport,
    /// Drop the waiting answer file, go back to the rule set chosen before
    /// it, and show a notice (or none).
    DropImport(Option<Notice>),
    /// Forget the current rule set's answers (undoable).
    Clear,
    /// Remove the current answers the rule set does not ask (undoable).
    DropUnknown(Rc<Schema>),
    /// Restore the answers before the last load, clear or removal.
    Undo,
    /// Show or hide the notice.
    Notice(Option<Notice>),
}

impl State {
    /// A fresh state as of `today`.
    pub fn new(today: String) -> State {
        State {
            lang: Lang::Zh,
            source: None,
            as_of: today,
            answers: BTreeMap::new(),
            notice: None,
            undo: None,
            pending: None,
        }
    }

    /// The answers for the chosen rule set.
    pub fn current_answers(&self) -> Answers {
        self.source.as_ref().and_then(|s| self.answers.get(&s.key())).cloned().unwrap_or_default()
    }

    fn current_mut(&mut self) -> Option<&mut Answers> {
        let key = self.source.as_ref()?.key();
        Some(self.answers.entry(key).or_default())
    }

    /// The settings part of storage: language, rule set (a user's file by
    /// path only; its text is stored apart) and as-of date.
    pub fn settings_json(&self) -> Json {
        let source = match &self.source {
            None => Json::Null,
            Some(Source::Shipped(p)) => json!({ "shipped": p }),
            Some(Source::Own { path, .. }) => json!({ "own": path }),
        };
        json!({ "version": 2, "lang": self.lang.code(), "source": source, "as_of": self.as_of })
    }

    /// Rebuilds the state from storage: the settings, the user's rule file
    /// if one was stored (only a file that checked is), and each rule set's
    /// answers. Anything unreadable is left at its default; a user's file
    /// named in the settings but not stored is not restored, and the notice
    /// says so.
    pub fn restore(
        settings: Option<&Json>,
        rules: Option<Source>,
        answers: BTreeMap<String, Map<String, Json>>,
        today: String,
    ) -> State {
        let mut s = State::new(today);
        for (k, m) in answers {
            s.answers.insert(k, Answers::from_json(m));
        }
        let Some(j) = settings.filter(|j| matches!(j.get("version").and_then(Json::as_u64), Some(1 | 2))) else {
            return s;
        };
        s.lang = Lang::from_code(j.get("lang").and_then(Json::as_str).unwrap_or("zh"));
        if let Some(d) = j.get("as_of").and_then(Json::as_str) {
            s.as_of = d.to_string();
        }
        let src = j.get("source");
        if let Some(p) = src.and_then(|v| v.get("shipped")).and_then(Json::as_str).filter(|p| is_shipped(p)) {
            s.source = Some(Source::Shipped(p.to_string()));
        } else if let Some(p) = src.and_then(|v| v.get("own")).and_then(Json::as_str) {
            match rules {
                Some(own @ Source::Own { .. }) if own.own_file() == Some(p) => s.source = Some(own),
                _ => s.notice = Some(Notice::RulesNotRestored(p.to_string())),
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
                self.pending = None;
            }
            Action::LoadOwn(files) => {
                let Some(main) = files.iter().position(|(_, t)| is_scheme(t)).or((!files.is_empty()).then_some(0))
                else {
                    return;
                };
                let others = files.iter().enumerate().filter(|(i, _)| *i != main);
                let others = others.map(|(_, (n, t))| (own_path(n), Rc::from(t.as_str()))).collect::<Vec<_>>();
                let (name, text) = &files[main];
                self.source =
                    Some(Source::Own { path: own_path(name), text: Rc::from(text.as_str()), others: others.into() });
                self.notice = None;
                self.pending = None;
            }
            Action::SetAsOf(d) => self.as_of = d,
            Action::SetInput { name, value } => self.edit(|a| a.set_value(name, value)),
            Action::AddRow { list } => self.edit(|a| a.add_record(list)),
            Action::RemoveRow { list, idx } => self.edit(|a| a.remove_record(&list, idx)),
            Action::SetCell { list, idx, field, value } => self.edit(|a| a.set_cell(&list, idx, field, value)),
            Action::BeginImport(p) => {
                if self.source.as_ref() != Some(&p.target) {
                    self.source = Some(p.target.clone());
                }
                self.notice = None;
                self.pending = Some(p);
            }
            Action::ApplyImport => {
                let Some(p) = self.pending.take() else { return };
                if let Some(d) = &p.as_of {
                    self.as_of = d.clone();
                }
                let key = p.target.key();
                let before = self.answers.insert(key.clone(), p.answers.clone()).unwrap_or_default();
                self.undo = Some((key, before));
                self.notice = Some(Notice::Loaded { date_kept: p.as_of_refused });
            }
            Action::DropImport(notice) => {
                if let Some(prev) = self.pending.take().and_then(|p| p.previous.clone()) {
                    self.source = Some(prev);
                }
                self.notice = notice;
            }
            Action::Clear => {
                if let Some(key) = self.source.as_ref().map(Source::key) {
                    let before = self.answers.remove(&key).unwrap_or_default();
                    self.undo = Some((key, before));
                    self.notice = Some(Notice::Cleared);
                }
            }
            Action::DropUnknown(schema) => {
                if let Some(key) = self.source.as_ref().map(Source::key) {
                    let before = self.answers.get(&key).cloned().unwrap_or_default();
                    let mut after = before.clone();
                    after.drop_unknown(&schema);
                    self.answers.insert(key.clone(), after);
                    self.undo = Some((key, before));
                    self.notice = Some(Notice::Dropped);
                }
            }
            Action::Undo => {
                if let Some((key, answers)) = self.undo.take() {
                    self.answers.insert(key, answers);
                    self.notice = Some(Notice::Undone);
                }
            }
            Action::Notice(n) => self.notice = n,
        }
        self.answers.retain(|_, a| !a.is_empty());
    }

    /// An edit of the current answers: what "undo" offered is no longer
    /// offered (it would throw the edit away).
    fn edit(&mut self, f: impl FnOnce(&mut Answers)) {
        let Some(a) = self.current_mut() else { return };
        f(a);
        if self.undo.take().is_some()
            && matches!(self.notice, Some(Notice::Loaded { .. } | Notice::Cleared | Notice::Dropped))
        {
            self.notice = None;
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}
