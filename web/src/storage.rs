//! Keeping the state between visits, in local storage, in separate parts:
//! the settings, the user's rule file, and each rule set's answers.
//!
//! A browser keeps about 5 million characters per site; one large part
//! (a 6 MB answer set) must not stop the others from being kept, so each is
//! its own item, written only when it changed, and a part that cannot be
//! written is reported ([`Problem`]) rather than lost silently: its stale
//! copy is removed, so a later visit never restores answers older than the
//! ones on screen. A user's rule file is written only once it has checked,
//! and removed when it fails or runs out of time, so a file that freezes or
//! breaks the page is never restored. The portal's first storage format (one
//! item holding everything) is read once, without its rule file, and removed.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{json, Map, Value as Json};
use wasm_bindgen::JsCast;

use crate::answers::Answers;
use crate::state::{Source, State};

const SETTINGS: &str = "safegrade.portal.v2.settings";
const RULES: &str = "safegrade.portal.v2.rules";
const ANSWERS: &str = "safegrade.portal.v2.answers:";
const LEGACY: &str = "safegrade.portal.v1";

/// A part of the state that is stored on its own.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// Language, rule set and as-of date.
    Settings,
    /// The user's rule file, by path.
    Rules(String),
    /// One rule set's answers, by [`Source::key`].
    Answers(String),
}

/// Why a part was not stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The browser does not allow local storage here (private mode, a
    /// setting, a sandbox).
    Disabled,
    /// The site's storage quota is used up: the part is too large for what
    /// is left.
    Full,
    /// The browser refused for another reason (its error name).
    Refused(String),
}

/// What storage holds, read at start-up.
#[derive(Debug, Default)]
pub struct Stored {
    /// The settings part.
    pub settings: Option<Json>,
    /// The user's rule file (with the files chosen with it).
    pub rules: Option<Source>,
    /// Answers by [`Source::key`].
    pub answers: BTreeMap<String, Map<String, Json>>,
    /// Whether this came from the first format, so nothing is stored as
    /// parts yet.
    pub legacy: bool,
}

fn storage() -> Result<web_sys::Storage, Problem> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten()).ok_or(Problem::Disabled)
}

fn parse(text: Option<String>) -> Option<Json> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

/// Reads every part (and the first format, once, removing it).
pub fn read() -> Stored {
    let Ok(s) = storage() else { return Stored::default() };
    let get = |k: &str| s.get_item(k).ok().flatten();
    let mut out = Stored { settings: parse(get(SETTINGS)), ..Stored::default() };
    if let Some(r) = parse(get(RULES)) {
        if let (Some(p), Some(t)) = (r.get("path").and_then(Json::as_str), r.get("text").and_then(Json::as_str)) {
            let others = r.get("others").and_then(Json::as_array).map_or(&[][..], Vec::as_slice).iter();
            let others =
                others.filter_map(|o| Some((o.get("path")?.as_str()?.to_string(), Rc::from(o.get("text")?.as_str()?))));
            out.rules =
                Some(Source::Own { path: p.to_string(), text: Rc::from(t), others: others.collect::<Vec<_>>().into() });
        }
    }
    let n = s.length().unwrap_or(0);
    for key in (0..n).filter_map(|i| s.key(i).ok().flatten()) {
        if let Some(k) = key.strip_prefix(ANSWERS) {
            if let Some(Json::Object(m)) = parse(get(&key)) {
                out.answers.insert(k.to_string(), m);
            }
        }
    }
    if let Some(legacy) = parse(get(LEGACY)) {
        if out.settings.is_none() {
            if let Some(Json::Object(all)) = legacy.get("answers") {
                for (k, v) in all {
                    if let Json::Object(m) = v {
                        out.answers.entry(k.clone()).or_insert_with(|| m.clone());
                    }
                }
            }
            out.settings = Some(legacy);
            out.legacy = true;
        }
        let _ = s.remove_item(LEGACY);
    }
    out
}

fn write(key: &str, text: &str) -> Result<(), Problem> {
    storage()?.set_item(key, text).map_err(|e| match e.dyn_ref::<web_sys::DomException>().map(|d| d.name()) {
        Some(n) if n == "QuotaExceededError" || n == "NS_ERROR_DOM_QUOTA_REACHED" => Problem::Full,
        Some(n) if n == "SecurityError" => Problem::Disabled,
        Some(n) => Problem::Refused(n),
        None => Problem::Refused("unknown".into()),
    })
}

fn remove(key: &str) {
    if let Ok(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// What the user's rule file part should hold.
#[derive(Clone, Debug, PartialEq)]
pub enum RulesPart {
    /// Not known yet (the file is being checked): leave the part as it is.
    Unknown,
    /// This file checked: keep it.
    Keep(Source),
    /// No file to keep (a shipped rule set is chosen, or the file failed to
    /// check or ran out of time).
    Nothing,
}

/// Writes the parts that changed since the last write and keeps the
/// problems of the parts that could not be written.
#[derive(Debug, Default)]
pub struct Saver {
    settings: Option<String>,
    rules: Option<Source>,
    answers: BTreeMap<String, Answers>,
    problems: BTreeMap<Part, Problem>,
}

impl Saver {
    /// A saver for a state just restored from storage: what storage holds
    /// counts as written (nothing, when it came from the first format).
    pub fn restored(state: &State, legacy: bool) -> Saver {
        if legacy {
            return Saver::default();
        }
        Saver {
            settings: Some(state.settings_json().to_string()),
            rules: state.source.clone().filter(|s| matches!(s, Source::Own { .. })),
            answers: state.answers.clone(),
            problems: BTreeMap::new(),
        }
    }

    /// The parts that could not be written, and why.
    pub fn problems(&self) -> &BTreeMap<Part, Problem> {
        &self.problems
    }

    fn outcome(&mut self, part: Part, result: Result<(), Problem>) {
        match result {
            Ok(()) => self.problems.remove(&part),
            Err(p) => self.problems.insert(part, p),
        };
    }

    /// Writes what changed; returns whether the problems changed.
    pub fn flush(&mut self, state: &State, rules: &RulesPart) -> bool {
        let before = self.problems.clone();
        let settings = state.settings_json().to_string();
        if self.settings.as_ref() != Some(&settings) {
            let r = write(SETTINGS, &settings);
            self.outcome(Part::Settings, r);
            self.settings = Some(settings);
        }
        match rules {
            RulesPart::Unknown => {}
            RulesPart::Keep(src) if self.rules.as_ref() == Some(src) => {}
            RulesPart::Keep(src) => {
                if let Source::Own { path, text, others } = src {
                    let others: Vec<Json> = others.iter().map(|(p, t)| json!({ "path": p, "text": &**t })).collect();
                    let r = write(RULES, &json!({ "path": path, "text": &**text, "others": others }).to_string());
                    if r.is_err() {
                        remove(RULES);
                    }
                    self.problems.retain(|p, _| !matches!(p, Part::Rules(_)));
                    self.outcome(Part::Rules(path.clone()), r);
                }
                self.rules = Some(src.clone());
            }
            RulesPart::Nothing => {
                if self.rules.take().is_some() {
                    remove(RULES);
                }
                self.problems.retain(|p, _| !matches!(p, Part::Rules(_)));
            }
        }
        for (key, a) in &state.answers {
            if self.answers.get(key) != Some(a) {
                let r = serde_json::to_string(a).map_err(|e| Problem::Refused(e.to_string()));
                let r = r.and_then(|text| write(&format!("{ANSWERS}{key}"), &text));
                if r.is_err() {
                    remove(&format!("{ANSWERS}{key}"));
                }
                self.outcome(Part::Answers(key.clone()), r);
                self.answers.insert(key.clone(), a.clone());
            }
        }
        let gone: Vec<String> = self.answers.keys().filter(|k| !state.answers.contains_key(*k)).cloned().collect();
        for key in gone {
            remove(&format!("{ANSWERS}{key}"));
            self.answers.remove(&key);
            self.problems.remove(&Part::Answers(key));
        }
        before != self.problems
    }
}
