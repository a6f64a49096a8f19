//! The checks every row meets, whatever its source: its key read and
//! normalised, its field count against the header's, and the rejects and
//! fatal errors they give (a bad key, a wrong field count, a list row with
//! no firm, a key out of order in a sorted run).

use std::borrow::Cow;
use std::sync::Arc;

use super::error::{BatchError, BatchErrorKind};
use super::packed::RowAt;
use super::reject::{Reject, RejectReason};

/// What is wrong with a row whose field count is not the header's
/// `n_cols`; `None` when it is.
pub(crate) fn field_count_problem(row: RowAt, n_cols: usize) -> Option<String> {
    let fields = row.fields as usize;
    if fields == n_cols {
        return None;
    }
    let why = if row.more_lines > 0 {
        format!("a quoted field runs from here to line {}, an unclosed quote?", row.line + u64::from(row.more_lines))
    } else if fields < n_cols {
        "a truncated or misaligned row".to_string()
    } else {
        "an unquoted comma?".to_string()
    };
    Some(format!("has {fields} fields, the header has {n_cols}: {why}"))
}

/// The reject of a row whose key cannot be read: for its field count when
/// that is wrong too (its key cell may be missing, or hold another
/// column's value), else for its key. A list row (`list`) says that no
/// firm is rejected with it: none can be told.
pub(crate) fn keyless(bad_key: Reject, row: RowAt, n_cols: usize, list: Option<usize>) -> Reject {
    let mut r = match field_count_problem(row, n_cols) {
        Some(message) => Reject { column: String::new(), reason: RejectReason::FieldCount, message, ..bad_key },
        None => bad_key,
    };
    if let Some(list) = list {
        r.message.push_str("; its key cannot be read, so no firm is rejected with it");
        r = r.in_list(list);
    }
    r
}

/// Reads and normalises a row's key from its cell; a bad key is a reject.
pub(crate) fn key_of<'a>(
    cell: &'a str,
    uscc: bool,
    file: &Arc<str>,
    line: u64,
    column: &str,
) -> Result<Cow<'a, str>, Reject> {
    let raw = crate::input::trim(cell);
    let bad = |why: String| Reject::new(file, line, column, raw, RejectReason::BadKey, why);
    if raw.is_empty() {
        return Err(bad("the key is empty".into()));
    }
    if !uscc {
        if raw.chars().count() > 64 {
            return Err(bad("the key is longer than 64 characters".into()));
        }
        return Ok(Cow::Borrowed(raw));
    }
    let code = if raw.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(raw.to_ascii_uppercase())
    } else {
        Cow::Borrowed(raw)
    };
    crate::uscc::validate(&code).map_err(|e| bad(format!("`{raw}` is not a valid 统一社会信用代码: {e}")))?;
    Ok(code)
}

/// The fatal error for a key smaller than the one before, in a run told
/// its files are sorted.
pub(crate) fn out_of_order(file: &str, line: u64, key: &str, last: &str) -> BatchError {
    let message = format!("key `{key}` comes after `{last}`: the file is not sorted by key; sort it");
    BatchError::new(file, Some(line), message).with_kind(BatchErrorKind::NotSorted)
}

/// The reject of a list row whose key has no firm; a row whose field
/// count is wrong too (`broken`) is rejected for that.
pub(crate) fn no_firm(
    file: &Arc<str>,
    list: usize,
    line: u64,
    key_name: &str,
    key: &str,
    broken: Option<String>,
) -> Reject {
    let no_firm = format!("no firm has the key `{key}`");
    let r = match broken {
        None => Reject::new(file, line, key_name, key, RejectReason::NoFirm, no_firm),
        Some(problem) => Reject::new(file, line, "", key, RejectReason::FieldCount, format!("{problem}; {no_firm}")),
    };
    r.in_list(list)
}
