//! Header mapping: which column of a source feeds which declared input or
//! list field.
//!
//! A firm file's header names the inputs of every step of every side (a
//! compare run has two), by name or by Chinese (or English) label; a list
//! file's header names the list's fields. The mapping is decided once, from
//! the header, so that rows are read by column index. Duplicate and missing
//! required columns are fatal: every row would be wrong otherwise.
//!
//! A column that is neither the key, an input (or field), nor carried is
//! ignored and listed in the summary, unless its name is close to that of
//! an input no other column gives ([`likely_typo`]): then the run stops
//! with a did-you-mean, since the input would otherwise take its default
//! silently. A strict run refuses every such column.
//!
//! The key column is found by its name; the key `uscc` is also found by
//! the header `统一社会信用代码`.
//!
//! Columns, inputs and fields are looked up by hash, never by scanning, so
//! mapping a header takes time in proportion to its width (and, for the
//! columns ignored, the number of inputs no column gives).

use std::collections::{HashMap, HashSet};

use crate::plan::{Field, Missing, Plan};

use super::config::BatchConfig;
use super::error::{BatchError, BatchErrorKind};
use super::rows::Header;
use super::step::Step;

/// The Chinese header of the key `uscc`.
pub(crate) const USCC_HEADER: &str = "统一社会信用代码";

/// The firm file's columns.
#[derive(Debug)]
pub(crate) struct FirmLayout {
    pub(crate) file: String,
    /// The line of the header.
    pub(crate) header_line: u64,
    pub(crate) headers: Vec<String>,
    pub(crate) key_col: usize,
    /// The key's name in the results (the configured key, whichever header gave it).
    pub(crate) key_name: String,
    /// Carried columns, in the order configured.
    pub(crate) carry: Vec<usize>,
    /// Per side, per step, per plan input: the column that feeds it.
    pub(crate) inputs: Vec<Vec<Vec<Option<usize>>>>,
    /// Columns read by nothing, in header order.
    pub(crate) ignored: Vec<usize>,
}

/// One list file's columns.
#[derive(Debug)]
pub(crate) struct ListLayout {
    pub(crate) name: String,
    pub(crate) file: String,
    pub(crate) headers: Vec<String>,
    pub(crate) key_col: usize,
    /// A plan declaring the list (the declarations agree across steps) and its index there.
    pub(crate) plan: std::sync::Arc<Plan>,
    pub(crate) list_idx: usize,
    /// Per field of the list: the column that feeds it.
    pub(crate) fields: Vec<Option<usize>>,
    /// Columns read by nothing, in header order.
    pub(crate) ignored: Vec<usize>,
}

fn fatal(file: &str, line: u64, message: String) -> BatchError {
    BatchError::new(file, Some(line), message)
}

/// The labels a column may give a field by: Chinese, and English when given.
fn labels(f: &Field) -> impl Iterator<Item = &str> {
    std::iter::once(&*f.label.zh).chain(f.label.en.as_deref())
}

/// Each column by its name; an empty or repeated name is fatal.
fn columns_by_name<'h>(file: &str, line: u64, headers: &'h [String]) -> Result<HashMap<&'h str, usize>, BatchError> {
    let mut columns = HashMap::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            return Err(fatal(file, line, format!("column {} has an empty header", i + 1)));
        }
        if let Some(j) = columns.insert(h.as_str(), i) {
            return Err(fatal(file, line, format!("column `{h}` appears twice (columns {} and {})", j + 1, i + 1)));
        }
    }
    Ok(columns)
}

/// Which columns the configuration says to ignore.
fn ignored_by_config(headers: &[String], columns: &HashMap<&str, usize>, cfg: &BatchConfig) -> Vec<bool> {
    let mut ignored = vec![false; headers.len()];
    for c in &cfg.ignore {
        if let Some(&i) = columns.get(c.as_str()) {
            ignored[i] = true;
        }
    }
    ignored
}

/// The key column: the one named as the key, or for the key `uscc` the
/// one headed `统一社会信用代码` (not both). Columns configured to be
/// ignored are not looked at.
fn key_column(
    file: &str,
    header: (u64, &[String]),
    columns: &HashMap<&str, usize>,
    ignored: &[bool],
    key: &str,
) -> Result<usize, BatchError> {
    let (line, headers) = header;
    let find = |name: &str| columns.get(name).copied().filter(|&i| !ignored[i]);
    let by_label = if key == "uscc" { find(USCC_HEADER) } else { None };
    match (find(key), by_label) {
        (Some(a), Some(b)) => Err(fatal(
            file,
            line,
            format!(
                "columns `{}` and `{}` both name the key (columns {} and {}); keep one",
                headers[a],
                headers[b],
                a.min(b) + 1,
                a.max(b) + 1
            ),
        )),
        (Some(i), None) | (None, Some(i)) => Ok(i),
        (None, None) => {
            let names = if key == "uscc" { format!("`{key}` or `{USCC_HEADER}`") } else { format!("`{key}`") };
            let open = headers.iter().zip(ignored).filter(|(_, ig)| !**ig).map(|(h, _)| h.as_str());
            let targets: Vec<&str> = std::iter::once(key).chain((key == "uscc").then_some(USCC_HEADER)).collect();
            let hint = open
                .clone()
                .find(|h| targets.iter().any(|t| likely_typo(h, t)))
                .map(|h| format!("; is `{h}` the key column?"))
                .unwrap_or_default();
            let has: Vec<&str> = open.collect();
            Err(BatchError::new(
                file,
                Some(line),
                format!("no key column {names}; the header has: {}{hint}", has.join(", ")),
            )
            .with_kind(BatchErrorKind::NoKeyColumn))
        }
    }
}

/// A column or field that no column gives, by name and by label, for
/// the did-you-mean of a column that is read by nothing.
struct Unanswered<'a> {
    name: &'a str,
    label: &'a str,
    /// Its name, and its Chinese and English labels.
    spellings: Vec<&'a str>,
}

/// The unanswered target a column's name is a likely typo of, and the
/// spelling it is close to.
fn typo_of<'a>(column: &str, unanswered: &[Unanswered<'a>]) -> Option<(&'a str, &'a str, &'a str)> {
    unanswered.iter().find_map(|u| u.spellings.iter().find(|s| likely_typo(column, s)).map(|s| (u.name, u.label, *s)))
}

/// What to do with a column read by nothing: ignore it (returned), or stop.
#[allow(clippy::too_many_arguments)] // The file, where, what, and the three ways to judge it.
fn unread_column(
    file: &str,
    line: u64,
    column: &str,
    what: &str,
    list: Option<&str>,
    strict: bool,
    unanswered: &[Unanswered<'_>],
    names: &[&str],
) -> Result<(), BatchError> {
    let close = typo_of(column, unanswered);
    let meant = |name: &str, label: &str, spelling: &str| {
        let via = if spelling == name { String::new() } else { format!(", whose label is `{spelling}`") };
        let label = if label.is_empty() || label == spelling { String::new() } else { format!(" ({label})") };
        format!("`{name}`{label}{via}")
    };
    if strict {
        let hint = match close {
            Some((name, _, _)) => format!("; did you mean `{name}`?"),
            None => crate::diagnostic::did_you_mean(column, names.iter().copied())
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default(),
        };
        let kind = BatchErrorKind::UnknownColumn { column: column.to_string(), list: list.map(str::to_string) };
        return Err(BatchError::new(file, Some(line), format!("column `{column}` is not {what}{hint}")).with_kind(kind));
    }
    if let Some((name, label, spelling)) = close {
        let kind = BatchErrorKind::LikelyTypo {
            column: column.to_string(),
            meant: name.to_string(),
            list: list.map(str::to_string),
        };
        let target = meant(name, label, spelling);
        let message = format!(
            "column `{column}` is not {what}, but its name is close to {target}, which no column gives; did you mean `{name}`?"
        );
        return Err(BatchError::new(file, Some(line), message).with_kind(kind));
    }
    Ok(())
}

/// Whether `column` is likely a misspelling of `target` (an input's or a
/// field's name or label). Both are compared with ASCII letters in lower
/// case, full-width forms as their ASCII ones, and `-`, `.` and spaces
/// as `_`; they are close when the edit distance between them (inserting,
/// deleting or replacing a character, or swapping two neighbours) is at
/// most one per 6 characters of the longer of the two, or one per 4 when
/// either holds Chinese (or other wide) characters. So names under 6
/// characters (4 in Chinese) are close only when they differ in case or
/// separators alone: `n_hazard_proceses` and `N-Hazard-Processes` are
/// close to `n_hazard_processes`, `安全生产标准化级别` to
/// `安全生产标准化等级`; `address`, `phone` or `法定代表人` are close to
/// none of the shipped rule sets' inputs.
pub(crate) fn likely_typo(column: &str, target: &str) -> bool {
    let (a, b) = (folded(column), folded(target));
    let longer = a.len().max(b.len());
    let wide = |s: &[char]| s.iter().any(|&c| c > '\u{2E7F}');
    let allowed = if wide(&a) || wide(&b) { longer / 4 } else { longer / 6 };
    a.len().abs_diff(b.len()) <= allowed && distance_within(&a, &b, allowed)
}

/// The characters of `s` as [`likely_typo`] compares them.
fn folded(s: &str) -> Vec<char> {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .map(|c| match c {
            '-' | '.' | ' ' => '_',
            _ => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Whether the optimal-string-alignment distance between `a` and `b`
/// (insertions, deletions, replacements and swaps of neighbours) is at most
/// `limit`; stops early once every alignment costs more.
fn distance_within(a: &[char], b: &[char], limit: usize) -> bool {
    let n = b.len();
    let mut before: Vec<usize> = vec![0; n + 1];
    let mut prev: Vec<usize> = (0..=n).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; n + 1];
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        if cur.iter().all(|&d| d > limit) {
            return false;
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev[n] <= limit
}

/// Maps a firm file's header onto the inputs of every side's steps. Every
/// column is looked up by hash, so a wide header costs time in proportion
/// to its width.
pub(crate) fn firm_layout(header: Header, cfg: &BatchConfig, sides: &[Vec<Step>]) -> Result<FirmLayout, BatchError> {
    let Header { file, line, names: headers } = header;
    let file = file.as_str();
    let columns = columns_by_name(file, line, &headers)?;
    let mut ignored_col = ignored_by_config(&headers, &columns, cfg);
    let key_col = key_column(file, (line, &headers), &columns, &ignored_col, &cfg.key)?;
    let mut carried = vec![false; headers.len()];
    let mut carry_cols = Vec::with_capacity(cfg.carry.len());
    for c in &cfg.carry {
        match columns.get(c.as_str()).copied() {
            Some(i) if i == key_col => {
                return Err(fatal(
                    file,
                    line,
                    format!("carried column `{c}` is the key column, written first in any case"),
                ))
            }
            Some(i) if carried[i] => return Err(fatal(file, line, format!("the column `{c}` is carried twice"))),
            Some(i) if ignored_col[i] => {
                return Err(fatal(file, line, format!("the column `{c}` is both carried and ignored")))
            }
            Some(i) => {
                carried[i] = true;
                carry_cols.push(i);
            }
            None => {
                return Err(fatal(
                    file,
                    line,
                    format!("no column `{c}` to carry; the header has: {}", headers.join(", ")),
                ))
            }
        }
    }
    // The inputs a firm file answers, by name and by label.
    let asked = || sides.iter().flatten().flat_map(Step::asked);
    let input_names: HashSet<&str> = asked().map(|f| &*f.name).collect();
    let mut by_label: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in asked() {
        for label in labels(f) {
            by_label.entry(label).or_default().push(&f.name);
        }
    }
    // Input name → column, by name first, then by label.
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    let mut unread = Vec::new();
    for (col, h) in headers.iter().enumerate() {
        if col == key_col || ignored_col[col] {
            continue;
        }
        let name = match input_names.get(h.as_str()) {
            Some(name) => *name,
            // A carried column is scored as well when it is headed with an
            // input's name; otherwise (a label too) it is only carried.
            None if carried[col] => continue,
            None => {
                let mut names = by_label.get(h.as_str()).cloned().unwrap_or_default();
                if names.is_empty() {
                    // The same name or label but for case, full-width forms or separators.
                    let h = folded(h);
                    names = asked()
                        .filter(|f| std::iter::once(&*f.name).chain(labels(f)).any(|n| folded(n) == h))
                        .map(|f| &*f.name)
                        .collect();
                }
                names.sort_unstable();
                names.dedup();
                match names.as_slice() {
                    [one] => *one,
                    [] => {
                        unread.push(col);
                        continue;
                    }
                    many => {
                        return Err(fatal(
                            file,
                            line,
                            format!(
                                "column `{h}` is the label of several inputs ({}); use the input name",
                                many.join(", ")
                            ),
                        ))
                    }
                }
            }
        };
        if let Some(prev) = by_name.insert(name, col) {
            return Err(fatal(file, line, format!("columns `{}` and `{h}` both give input `{name}`", headers[prev])));
        }
    }
    if !unread.is_empty() {
        let mut seen = HashSet::new();
        let unanswered: Vec<Unanswered<'_>> = asked()
            .filter(|f| !by_name.contains_key(&*f.name) && seen.insert(&*f.name))
            .map(|f| Unanswered {
                name: &f.name,
                label: &f.label.zh,
                spellings: std::iter::once(&*f.name).chain(labels(f)).collect(),
            })
            .collect();
        let mut names: Vec<&str> = input_names.iter().copied().collect();
        names.sort_unstable();
        for &col in &unread {
            unread_column(file, line, &headers[col], "an input of the rules", None, cfg.strict, &unanswered, &names)?;
            ignored_col[col] = true;
        }
    }
    let mut inputs = Vec::new();
    for side in sides {
        let mut per_step = Vec::new();
        for step in side {
            let mut cols = Vec::new();
            for (i, f) in step.rules.plan.inputs.iter().enumerate() {
                let filled = step.fills_input(i);
                let col = if filled { None } else { by_name.get(&*f.name).copied() };
                if col.is_none() && !filled && f.missing == Missing::Required {
                    return Err(fatal(
                        file,
                        line,
                        format!("no column for the required input `{}` ({})", f.name, f.label.zh),
                    ));
                }
                cols.push(col);
            }
            per_step.push(cols);
        }
        inputs.push(per_step);
    }
    let ignored = (0..headers.len()).filter(|&c| ignored_col[c]).collect();
    Ok(FirmLayout {
        file: file.to_string(),
        header_line: line,
        headers,
        key_col,
        key_name: cfg.key.clone(),
        carry: carry_cols,
        inputs,
        ignored,
    })
}

/// Checks the columns grades are counted by: carried ones, not the key.
pub(crate) fn check_breakdown(firm: &FirmLayout, cfg: &BatchConfig) -> Result<(), BatchError> {
    for b in &cfg.breakdown {
        let error = |message: String| BatchError::new(&firm.file, None, message);
        if *b == cfg.key || firm.headers.get(firm.key_col) == Some(b) {
            let message = format!("grades cannot be counted by `{b}`, the key column: every firm has a key of its own");
            return Err(error(message));
        } else if !firm.headers.contains(b) {
            return Err(error(format!("the firm file has no column `{b}` to count grades by")));
        } else if !cfg.carry.contains(b) {
            let message = format!("grades can be counted only by carried columns, and `{b}` is not carried");
            return Err(error(message).with_kind(BatchErrorKind::BreakdownNotCarried { column: b.clone() }));
        }
    }
    Ok(())
}

/// Maps a list file's header onto the fields of the list `name`, each
/// column looked up by hash.
pub(crate) fn list_layout(
    name: &str,
    header: Header,
    cfg: &BatchConfig,
    sides: &[Vec<Step>],
) -> Result<ListLayout, BatchError> {
    let Header { file, line, names: headers } = header;
    let file = file.as_str();
    let found = sides
        .iter()
        .flatten()
        .find_map(|s| s.rules.plan.lists.iter().position(|l| &*l.name == name).map(|i| (s.rules.plan.clone(), i)));
    let Some((plan, list_idx)) = found else {
        let mut names: Vec<&str> =
            sides.iter().flatten().flat_map(|s| s.rules.plan.lists.iter().map(|l| &*l.name)).collect();
        names.sort_unstable();
        names.dedup();
        let message = format!("the rules have no list `{name}`; lists: {}", names.join(", "));
        return Err(BatchError::new(file, None, message).with_kind(BatchErrorKind::UnknownList { list: name.into() }));
    };
    let columns = columns_by_name(file, line, &headers)?;
    let mut ignored_col = ignored_by_config(&headers, &columns, cfg);
    let key_col = key_column(file, (line, &headers), &columns, &ignored_col, &cfg.key)?;
    let def = &plan.lists[list_idx];
    let field_by_name: HashMap<&str, usize> = def.fields.iter().enumerate().map(|(i, f)| (&*f.name, i)).collect();
    // A label gives a field only when no other field has it.
    let mut field_by_label: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in def.fields.iter().enumerate() {
        for label in labels(f) {
            let fields = field_by_label.entry(label).or_default();
            if fields.last() != Some(&i) {
                fields.push(i);
            }
        }
    }
    let mut fields = vec![None; def.fields.len()];
    let mut unread = Vec::new();
    for (col, h) in headers.iter().enumerate() {
        if col == key_col || ignored_col[col] {
            continue;
        }
        let by_label = || match field_by_label.get(h.as_str()).map(Vec::as_slice) {
            Some(&[i]) => Some(i),
            _ => None,
        };
        // The same name or label but for case, full-width forms or separators, of one field.
        let by_folded = || {
            let h = folded(h);
            let mut close = def
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| std::iter::once(&*f.name).chain(labels(f)).any(|n| folded(n) == h))
                .map(|(i, _)| i);
            match (close.next(), close.next()) {
                (Some(i), None) => Some(i),
                _ => None,
            }
        };
        let Some(i) = field_by_name.get(h.as_str()).copied().or_else(by_label).or_else(by_folded) else {
            unread.push(col);
            continue;
        };
        if let Some(prev) = fields[i] {
            return Err(fatal(
                file,
                line,
                format!("columns `{}` and `{h}` both give field `{}`", headers[prev], def.fields[i].name),
            ));
        }
        fields[i] = Some(col);
    }
    if !unread.is_empty() {
        let unanswered: Vec<Unanswered<'_>> = def
            .fields
            .iter()
            .zip(&fields)
            .filter(|(_, col)| col.is_none())
            .map(|(f, _)| Unanswered {
                name: &f.name,
                label: &f.label.zh,
                spellings: std::iter::once(&*f.name).chain(labels(f)).collect(),
            })
            .collect();
        let names: Vec<&str> = def.fields.iter().map(|f| &*f.name).collect();
        let what = format!("a field of list `{name}` ({})", names.join(", "));
        for &col in &unread {
            unread_column(file, line, &headers[col], &what, Some(name), cfg.strict, &unanswered, &names)?;
            ignored_col[col] = true;
        }
    }
    for (f, col) in def.fields.iter().zip(&fields) {
        if col.is_none() && !matches!(f.missing, Missing::Default(_)) {
            return Err(fatal(file, line, format!("no column for the required field `{}` ({})", f.name, f.label.zh)));
        }
    }
    let ignored = (0..headers.len()).filter(|&c| ignored_col[c]).collect();
    Ok(ListLayout { name: name.to_string(), file: file.to_string(), headers, key_col, plan, list_idx, fields, ignored })
}

#[cfg(test)]
mod tests {
    use super::likely_typo;

    #[test]
    fn near_misses_are_likely_typos() {
        for (column, input) in [
            ("n_hazard_proceses", "n_hazard_processes"),
            ("N-Hazard-Processes", "n_hazard_processes"),
            ("n hazard processes", "n_hazard_processes"),
            ("standardisation", "standardization"),
            ("outside_chem_prak", "outside_chem_park"),
            ("n_explosive", "n_explosives"),
            ("L", "l"),
            ("ＵＳＣＣ", "uscc"),
            ("一级重大危险源数", "一级重大危险源个数"),
            ("安全生产标准化级别", "安全生产标准化等级"),
            ("死忙人数", "死亡人数"),
        ] {
            assert!(likely_typo(column, input), "{column} should be close to {input}");
        }
    }

    #[test]
    fn unrelated_columns_are_not() {
        for (column, input) in [
            ("address", "n_explosives"),
            ("phone", "name"),
            ("date", "data"),
            ("sector", "region"),
            ("a", "l"),
            ("法定代表人", "死亡人数"),
            ("企业名称", "重伤人数"),
            ("n_registered_safety_engineers", "no_registered_safety_engineer_in_post"),
            ("stand", "standardization"),
            ("安全生产许可证等级", "安全生产标准化等级"),
        ] {
            assert!(!likely_typo(column, input), "{column} should not be close to {input}");
        }
    }
}
