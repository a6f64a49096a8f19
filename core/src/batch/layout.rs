//! Header mapping: which CSV column feeds which declared input or list field.
//!
//! A firm file's header names the inputs of every step of every side (a
//! compare run has two), by name or by Chinese (or English) label; a list
//! file's header names the list's fields. The mapping is decided once, from
//! the header, so that rows are read by column index. Unknown, duplicate and
//! missing required columns are fatal: every row would be wrong otherwise.
//! Columns, inputs and fields are looked up by hash, never by scanning, so
//! mapping a header takes time in proportion to its width.

use std::collections::{HashMap, HashSet};

use crate::plan::{Field, Missing, Plan};
use crate::rules::{CompiledRules, Rules};

use super::BatchError;

/// One evaluation step: a rule set and the earlier results it reads.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    /// The scheme alias; empty for a single rule set.
    pub(crate) alias: String,
    pub(crate) rules: CompiledRules,
    /// Its inputs that earlier steps' results fill.
    pub(crate) fills: Vec<crate::rules::Fill>,
}

/// The steps of a rule file: one for a rule set, one per step for a scheme.
pub(crate) fn steps_of(rules: &Rules) -> Vec<Step> {
    match rules {
        Rules::Set(r) => vec![Step { alias: String::new(), rules: r.clone(), fills: Vec::new() }],
        Rules::Scheme(s) => s
            .steps
            .iter()
            .map(|st| Step { alias: st.alias.clone(), rules: st.rules.clone(), fills: st.fills.clone() })
            .collect(),
    }
}

/// A file's header: the line it is on (blank lines before it counted) and
/// its column names, cleaned.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    pub(crate) line: u64,
    pub(crate) names: Vec<String>,
}

/// The firm file's columns.
#[derive(Debug)]
pub(crate) struct FirmLayout {
    pub(crate) file: String,
    /// The line of the header.
    pub(crate) header_line: u64,
    pub(crate) headers: Vec<String>,
    pub(crate) key_col: usize,
    /// Carried columns, in the order configured.
    pub(crate) carry: Vec<usize>,
    /// Per side, per step, per plan input: the column that feeds it.
    pub(crate) inputs: Vec<Vec<Vec<Option<usize>>>>,
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
}

fn fatal(file: &str, line: u64, message: String) -> BatchError {
    BatchError::new(file, Some(line), message)
}

/// Cleans a header cell on `line`: a UTF-8 BOM and surrounding spaces go.
pub(crate) fn header_text(file: &str, line: u64, raw: &[u8], col: usize) -> Result<String, BatchError> {
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    match std::str::from_utf8(raw) {
        Ok(s) => Ok(s.trim().to_string()),
        Err(_) => {
            Err(fatal(file, line, format!("the header is not UTF-8 (column {}){}", col + 1, super::read::GBK_HINT)))
        }
    }
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

fn key_column(
    file: &str,
    header: (u64, &[String]),
    columns: &HashMap<&str, usize>,
    key: &str,
) -> Result<usize, BatchError> {
    let (line, headers) = header;
    columns.get(key).copied().ok_or_else(|| {
        fatal(
            file,
            line,
            format!("no key column `{key}`; the header has: {}; name the key column with --key", headers.join(", ")),
        )
    })
}

/// Maps a firm file's header onto the inputs of every side's steps. Every
/// column is looked up by hash, so a wide header costs time in proportion
/// to its width.
pub(crate) fn firm_layout(
    file: &str,
    header: Header,
    key: &str,
    carry: &[String],
    sides: &[Vec<Step>],
) -> Result<FirmLayout, BatchError> {
    let Header { line, names: headers } = header;
    let columns = columns_by_name(file, line, &headers)?;
    let key_col = key_column(file, (line, &headers), &columns, key)?;
    let mut carried = vec![false; headers.len()];
    let mut carry_cols = Vec::with_capacity(carry.len());
    for c in carry {
        match columns.get(c.as_str()).copied() {
            Some(i) if i == key_col => {
                return Err(fatal(file, line, format!("--carry `{c}`: the key column is written first in any case")))
            }
            Some(i) if carried[i] => return Err(fatal(file, line, format!("--carry names `{c}` twice"))),
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
    let asked = || sides.iter().flatten().flat_map(|s| s.rules.plan.inputs.iter().filter(|f| f.from.is_none()));
    let input_names: HashSet<&str> = asked().map(|f| &*f.name).collect();
    let mut by_label: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in asked() {
        for label in labels(f) {
            by_label.entry(label).or_default().push(&f.name);
        }
    }
    // Input name → column, by name first, then by label.
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (col, h) in headers.iter().enumerate() {
        if col == key_col {
            continue;
        }
        let name = match input_names.get(h.as_str()) {
            Some(name) => *name,
            // A carried column is scored as well when it is headed with an
            // input's name; otherwise (a label too) it is only carried.
            None if carried[col] => continue,
            None => {
                let mut names = by_label.get(h.as_str()).cloned().unwrap_or_default();
                names.sort_unstable();
                names.dedup();
                match names.as_slice() {
                    [one] => *one,
                    [] => {
                        let hint = crate::diagnostic::did_you_mean(h, asked().map(|f| &*f.name))
                            .map(|c| format!("; did you mean `{c}`?"))
                            .unwrap_or_else(|| "; pass it through with --carry, or remove it".into());
                        return Err(fatal(file, line, format!("column `{h}` is not an input of the rules{hint}")));
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
    let mut inputs = Vec::new();
    for side in sides {
        let mut per_step = Vec::new();
        for step in side {
            let mut cols = Vec::new();
            for f in &step.rules.plan.inputs {
                let col = if f.from.is_some() { None } else { by_name.get(&*f.name).copied() };
                if col.is_none() && f.from.is_none() && f.missing == Missing::Required {
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
    Ok(FirmLayout { file: file.to_string(), header_line: line, headers, key_col, carry: carry_cols, inputs })
}

/// Checks the columns grades are counted by: carried ones, not the key.
pub(crate) fn check_breakdown(
    firm: &FirmLayout,
    key: &str,
    carry: &[String],
    breakdown: &[String],
) -> Result<(), BatchError> {
    for b in breakdown {
        let why = if b == key {
            "the key column cannot be counted by: every firm has a key of its own".to_string()
        } else if !firm.headers.contains(b) {
            format!("the firm file has no column `{b}` to count by")
        } else if !carry.contains(b) {
            format!("only carried columns can be counted by; add --carry {b}")
        } else {
            continue;
        };
        return Err(BatchError::new(&firm.file, None, format!("--by `{b}`: {why}")));
    }
    Ok(())
}

/// Maps a list file's header onto the fields of the list `name`, each
/// column looked up by hash.
pub(crate) fn list_layout(
    name: &str,
    file: &str,
    header: Header,
    key: &str,
    sides: &[Vec<Step>],
) -> Result<ListLayout, BatchError> {
    let found = sides
        .iter()
        .flatten()
        .find_map(|s| s.rules.plan.lists.iter().position(|l| &*l.name == name).map(|i| (s.rules.plan.clone(), i)));
    let Some((plan, list_idx)) = found else {
        let mut names: Vec<&str> =
            sides.iter().flatten().flat_map(|s| s.rules.plan.lists.iter().map(|l| &*l.name)).collect();
        names.sort_unstable();
        names.dedup();
        return Err(BatchError::new(
            file,
            None,
            format!("--list `{name}`: the rules have no such list; lists: {}", names.join(", ")),
        ));
    };
    let Header { line, names: headers } = header;
    let columns = columns_by_name(file, line, &headers)?;
    let key_col = key_column(file, (line, &headers), &columns, key)?;
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
    for (col, h) in headers.iter().enumerate() {
        if col == key_col {
            continue;
        }
        let by_label = || match field_by_label.get(h.as_str()).map(Vec::as_slice) {
            Some(&[i]) => Some(i),
            _ => None,
        };
        let Some(i) = field_by_name.get(h.as_str()).copied().or_else(by_label) else {
            let hint = crate::diagnostic::did_you_mean(h, def.fields.iter().map(|f| &*f.name))
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            let names: Vec<&str> = def.fields.iter().map(|f| &*f.name).collect();
            return Err(fatal(
                file,
                line,
                format!("column `{h}` is not a field of list `{name}` ({}){hint}", names.join(", ")),
            ));
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
    for (f, col) in def.fields.iter().zip(&fields) {
        if col.is_none() && !matches!(f.missing, Missing::Default(_)) {
            return Err(fatal(file, line, format!("no column for the required field `{}` ({})", f.name, f.label.zh)));
        }
    }
    Ok(ListLayout { name: name.to_string(), file: file.to_string(), headers, key_col, plan, list_idx, fields })
}
