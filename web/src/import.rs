//! Loading an answer file: what is refused before it is read, how it is
//! read, and what is checked against its rule set before anything of it is
//! shown.
//!
//! A file larger than [`MAX_ANSWER_FILE_BYTES`] is not read. One that reads
//! becomes a [`PendingImport`] for the rule set it names (a shipped one) or
//! the current one; once that rule set's questionnaire is known, [`check`]
//! refuses a list with more records than the list accepts (so no table is
//! ever built for them), and asks before loading answers saved for another
//! rule set or version.

use safegrade::{Label, Schema, DEFAULT_MAX_RECORDS};
use serde_json::Value as Json;

use crate::answers::Answers;
use crate::engine::parse_as_of;
use crate::rulesets::is_shipped;
use crate::state::{FileProblem, Notice, PendingImport, Source};

/// The largest answer file read (16 MiB). A firm at the shipped rule sets'
/// record limits (2,000 accidents and 2,000 penalties) writes under 2 MB;
/// the CLI's limit for a firm's data (64 MiB) is too much for a page, whose
/// copy of the text and of the answers it holds both count.
pub const MAX_ANSWER_FILE_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

/// A size in bytes for people: `50.0 MB`, `980 KB`.
pub fn human_size(bytes: f64) -> String {
    // Whole bytes, in integers: tenths of a MiB rounded half to even, as
    // `{:.1}` rounds the exact quotient; whole KiB rounded up.
    let n = bytes.max(0.0) as u64;
    if bytes >= 1024.0 * 1024.0 {
        let (q, r) = (n * 10 / (1 << 20), n * 10 % (1 << 20));
        let tenths = if r * 2 > (1 << 20) || (r * 2 == (1 << 20) && q % 2 == 1) { q + 1 } else { q };
        format!("{}.{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{} KB", n.div_ceil(1024))
    }
}

/// Reads an answer file: `{ruleset: {id, version, path}, as_of, answers}`
/// as "save" writes it, or a bare firm object (the CLI's `--input` format).
/// The answers go to the shipped rule set the file names, else to
/// `current`. An `as_of` that is not a date `YYYY-MM-DD` is not taken, and
/// the import says so.
pub fn read(text: &str, current: Option<&Source>) -> Result<PendingImport, Notice> {
    let parsed = safegrade::parse_firm_json(text).map_err(|e| Notice::BadAnswerFile(problem(e)))?;
    let Json::Object(mut obj) = parsed else {
        return Err(Notice::BadAnswerFile(FileProblem::NotAnObject));
    };
    let (answers, as_of, ruleset, path) = match obj.remove("answers") {
        Some(Json::Object(answers)) => {
            let r = obj.get("ruleset");
            let field = |k: &str| r.and_then(|r| r.get(k)).and_then(Json::as_str).map(str::to_string);
            let ruleset = field("id").map(|id| (id, field("version").unwrap_or_default()));
            let as_of = obj.get("as_of").map(|d| d.as_str().filter(|d| parse_as_of(d).is_some()).map(str::to_string));
            (answers, as_of, ruleset, field("path"))
        }
        Some(_) => return Err(Notice::BadAnswerFile(FileProblem::AnswersNotAnObject)),
        None => (obj, None, None, None),
    };
    let as_of_refused = matches!(as_of, Some(None));
    let target = match path.filter(|p| is_shipped(p)) {
        Some(p) => Source::Shipped(p),
        None => current.cloned().ok_or(Notice::NoRuleSet)?,
    };
    let previous = current.filter(|c| **c != target).cloned();
    Ok(PendingImport {
        answers: Answers::from_json(answers),
        as_of: as_of.flatten(),
        as_of_refused,
        ruleset,
        target,
        previous,
    })
}

/// Why core's JSON reader refused the text, with the place it names.
fn problem(e: safegrade::JsonTextError) -> FileProblem {
    let message = e.to_string();
    match e {
        safegrade::JsonTextError::Syntax(_) => FileProblem::Syntax { at: line_column(&message), message },
        safegrade::JsonTextError::DuplicateKey { key, line, column, .. } => {
            FileProblem::DuplicateKey { key, at: (line, column), message }
        }
    }
}

/// The line and column at the end of a serde_json message
/// (`… at line 1 column 2`).
fn line_column(message: &str) -> Option<(usize, usize)> {
    let (_, at) = message.rsplit_once(" at line ")?;
    let (line, column) = at.split_once(" column ")?;
    Some((line.parse().ok()?, column.parse().ok()?))
}

/// What to do with an answer file once its rule set is known.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Load it.
    Apply,
    /// Ask first (the notice asks).
    Ask(Notice),
    /// Refuse it (the notice says why).
    Refuse(Notice),
}

/// Checks an answer file against its rule set's questionnaire: every list
/// within its record limit (a name that is not a list of the rule set
/// within core's default limit), and the rule set id and version the file
/// names, if any, the same.
pub fn check(p: &PendingImport, schema: &Schema) -> Verdict {
    for (name, count) in p.answers.list_lengths() {
        let list = schema.lists.iter().find(|l| l.name == name);
        let limit = list.map_or(DEFAULT_MAX_RECORDS, |l| l.max_records);
        if count > limit as usize {
            let label = list.map_or_else(|| Label { zh: name.into(), en: None }, |l| l.label.clone());
            return Verdict::Refuse(Notice::TooManyRecords { label, count, limit });
        }
    }
    let m = &schema.ruleset;
    match &p.ruleset {
        Some((id, version)) if *id != m.id || *version != m.version => Verdict::Ask(Notice::ConfirmImport {
            file: format!("{id} {version}"),
            current: format!("{} {}", m.id, m.version),
        }),
        _ => Verdict::Apply,
    }
}
