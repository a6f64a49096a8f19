//! `[results]`: the derived values a rule set writes as result columns.
//!
//! Batch scoring writes each firm's score and grade; a rule set may name
//! some of its derived values to be written after them (a blacklist's
//! listing dates), and the grades at which those columns mean nothing and
//! are left blank (a firm not listed). This pass resolves the names to
//! indices and reports, as R0214, a column that is not a derived value of
//! the file or is named like a column written anyway, a grade the file
//! does not have, a label for no column, and a name given twice.

use super::label::label_of;
use crate::diagnostic::{did_you_mean, Code, Diagnostic, FileId, Span};
use crate::plan::{Derived, Grade, ResultColumns};
use crate::syntax::document::{Results, SString};

/// The columns batch scoring writes for every rule set, whatever `[results]` says.
const WRITTEN_ANYWAY: [&str; 4] = ["score", "grade", "items", "overrides"];

/// Resolves `[results]` (when the file has it) against the file's derived
/// values and grades; every problem goes to `diags`.
pub(crate) fn result_columns(
    results: Option<&Results>,
    file: FileId,
    derived: &[Derived],
    grades: &[Grade],
    diags: &mut Vec<Diagnostic>,
) -> ResultColumns {
    let Some(results) = results else { return ResultColumns::default() };
    let mut error = |name: &SString, message: String, help: String| {
        let span = Span::new(file, name.span());
        diags.push(Diagnostic::error(Code::BadResults, Some(span), message).with_help(help));
    };
    let mut out = ResultColumns::default();
    let mut seen: Vec<&str> = Vec::new();
    for name in &results.columns {
        let n = name.get_ref().as_str();
        if seen.contains(&n) {
            error(name, format!("result column `{n}` is named twice"), "name each derived value once".into());
            continue;
        }
        seen.push(n);
        if WRITTEN_ANYWAY.contains(&n) {
            error(
                name,
                format!("`{n}` cannot be a result column: batch results have a column `{n}` already"),
                format!("rename the derived value; {} are written for every rule set", WRITTEN_ANYWAY.join(", ")),
            );
            continue;
        }
        match derived.iter().position(|d| *d.name == *n) {
            Some(i) => {
                out.values.push(i as u32);
                let label = results.labels.iter().find(|(k, _)| k.get_ref() == n).map(|(_, l)| label_of(l));
                out.labels.push(label);
            }
            None => {
                let hint = did_you_mean(n, derived.iter().map(|d| &*d.name));
                let help = hint.map_or_else(
                    || "a result column names a value under [derived] of this file".into(),
                    |h| format!("did you mean `{h}`?"),
                );
                error(name, format!("result column `{n}` is not a derived value of this rule set"), help);
            }
        }
    }
    for name in results.labels.keys() {
        let n = name.get_ref().as_str();
        if !results.columns.iter().any(|c| c.get_ref() == n) {
            let columns: Vec<&str> = results.columns.iter().map(|c| c.get_ref().as_str()).collect();
            error(
                name,
                format!("`labels` names `{n}`, which is not a result column"),
                format!("columns: {}", columns.join(", ")),
            );
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for id in &results.blank_when_grade {
        let g = id.get_ref().as_str();
        if seen.contains(&g) {
            error(id, format!("grade `{g}` is named twice in `blank_when_grade`"), "name each grade once".into());
            continue;
        }
        seen.push(g);
        match grades.iter().position(|x| *x.id == *g) {
            Some(i) => out.blank_at.push(i as u32),
            None => {
                let hint = did_you_mean(g, grades.iter().map(|x| &*x.id));
                let ids: Vec<&str> = grades.iter().map(|x| &*x.id).collect();
                let help =
                    hint.map_or_else(|| format!("grades: {}", ids.join(", ")), |h| format!("did you mean `{h}`?"));
                error(id, format!("`blank_when_grade` names `{g}`, which is not a grade of this rule set"), help);
            }
        }
    }
    out
}
