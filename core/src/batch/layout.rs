//! Header mapping: which CSV column feeds which declared input or list field.
//!
//! A firm file's header names the inputs of every step of every side (a
//! compare run has two), by name or by Chinese (or English) label; a list
//! file's header names the list's fields. The mapping is decided once, from
//! the header, so that rows are read by column index. Unknown, duplicate and
//! missing required columns are fatal: every row would be wrong otherwise.

use std::collections::HashMap;

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

/// The firm file's columns.
#[derive(Debug)]
pub(crate) struct FirmLayout {
    pub(crate) file: String,
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

/// Cleans a header cell: a UTF-8 BOM and surrounding spaces go.
pub(crate) fn header_text(file: &str, raw: &[u8], col: usize) -> Result<String, BatchError> {
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    match std::str::from_utf8(raw) {
        Ok(s) => Ok(s.trim().to_string()),
        Err(_) => Err(fatal(file, 1, format!("the header is not UTF-8 (column {}){}", col + 1, super::read::GBK_HINT))),
    }
}

fn label_matches(f: &Field, h: &str) -> bool {
    &*f.label.zh == h || f.label.en.as_deref() == Some(h)
}

fn check_key_and_dups(file: &str, headers: &[String], key: &str) -> Result<usize, BatchError> {
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            return Err(fatal(file, 1, format!("column {} has an empty header", i + 1)));
        }
        if let Some(j) = headers[..i].iter().position(|x| x == h) {
            return Err(fatal(file, 1, format!("column `{h}` appears twice (columns {} and {})", j + 1, i + 1)));
        }
    }
    headers.iter().position(|h| h == key).ok_or_else(|| {
        fatal(
            file,
            1,
            format!("no key column `{key}`; the header has: {}; name the key column with --key", headers.join(", ")),
        )
    })
}

/// Maps a firm file's header onto the inputs of every side's steps.
pub(crate) fn firm_layout(
    file: &str,
    headers: Vec<String>,
    key: &str,
    carry: &[String],
    sides: &[Vec<Step>],
) -> Result<FirmLayout, BatchError> {
    let key_col = check_key_and_dups(file, &headers, key)?;
    let mut carry_cols = Vec::new();
    for c in carry {
        match headers.iter().position(|h| h == c) {
            Some(i) if i == key_col => {
                return Err(fatal(file, 1, format!("--carry `{c}`: the key column is written first in any case")))
            }
            Some(i) if carry_cols.contains(&i) => return Err(fatal(file, 1, format!("--carry names `{c}` twice"))),
            Some(i) => carry_cols.push(i),
            None => {
                return Err(fatal(file, 1, format!("no column `{c}` to carry; the header has: {}", headers.join(", "))))
            }
        }
    }
    // Input name → column, by name first, then by label.
    let asked = || sides.iter().flatten().flat_map(|s| s.rules.plan.inputs.iter().filter(|f| f.from.is_none()));
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (col, h) in headers.iter().enumerate() {
        if col == key_col {
            continue;
        }
        let name = match asked().find(|f| &*f.name == h) {
            Some(f) => &*f.name,
            // A carried column is scored as well when it is headed with an
            // input's name; otherwise (a label too) it is only carried.
            None if carry_cols.contains(&col) => continue,
            None => {
                let mut names: Vec<&str> = asked().filter(|f| label_matches(f, h)).map(|f| &*f.name).collect();
                names.sort_unstable();
                names.dedup();
                match names.as_slice() {
                    [one] => *one,
                    [] => {
                        let all = asked().map(|f| &*f.name);
                        let hint = crate::diagnostic::did_you_mean(h, all)
                            .map(|c| format!("; did you mean `{c}`?"))
                            .unwrap_or_else(|| "; pass it through with --carry, or remove it".into());
                        return Err(fatal(file, 1, format!("column `{h}` is not an input of the rules{hint}")));
                    }
                    many => {
                        return Err(fatal(
                            file,
                            1,
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
            return Err(fatal(file, 1, format!("columns `{}` and `{h}` both give input `{name}`", headers[prev])));
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
                        1,
                        format!("no column for the required input `{}` ({})", f.name, f.label.zh),
                    ));
                }
                cols.push(col);
            }
            per_step.push(cols);
        }
        inputs.push(per_step);
    }
    Ok(FirmLayout { file: file.to_string(), headers, key_col, carry: carry_cols, inputs })
}

/// Maps a list file's header onto the fields of the list `name`.
pub(crate) fn list_layout(
    name: &str,
    file: &str,
    headers: Vec<String>,
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
    let key_col = check_key_and_dups(file, &headers, key)?;
    let def = &plan.lists[list_idx];
    let mut fields = vec![None; def.fields.len()];
    for (col, h) in headers.iter().enumerate() {
        if col == key_col {
            continue;
        }
        let pos = def.fields.iter().position(|f| &*f.name == h).or_else(|| {
            let mut it = def.fields.iter().enumerate().filter(|(_, f)| label_matches(f, h));
            match (it.next(), it.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        });
        let Some(i) = pos else {
            let hint = crate::diagnostic::did_you_mean(h, def.fields.iter().map(|f| &*f.name))
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            let names: Vec<&str> = def.fields.iter().map(|f| &*f.name).collect();
            return Err(fatal(
                file,
                1,
                format!("column `{h}` is not a field of list `{name}` ({}){hint}", names.join(", ")),
            ));
        };
        if let Some(prev) = fields[i] {
            return Err(fatal(
                file,
                1,
                format!("columns `{}` and `{h}` both give field `{}`", headers[prev], def.fields[i].name),
            ));
        }
        fields[i] = Some(col);
    }
    for (f, col) in def.fields.iter().zip(&fields) {
        if col.is_none() && !matches!(f.missing, Missing::Default(_)) {
            return Err(fatal(file, 1, format!("no column for the required field `{}` ({})", f.name, f.label.zh)));
        }
    }
    Ok(ListLayout { name: name.to_string(), file: file.to_string(), headers, key_col, plan, list_idx, fields })
}
