//! Rows that cannot be scored: why (a stable reason code for the rejects
//! file), the rejected row as the rejects file and the summary see it, and
//! the rejects file's header and rows.

use std::sync::Arc;

use super::config::OutputFormat;
use super::write::{cell, csv_field, end_row};

/// The rejects file's header line.
pub(crate) const REJECTS_HEADER: &str = "file,line,column,key,reason,reason_code\n";

/// Why a row was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The key is empty or not a valid 统一社会信用代码.
    BadKey,
    /// A value does not parse as its declared type or is out of range.
    BadValue,
    /// A required input or field is empty.
    MissingRequired,
    /// The firm key appeared on an earlier row.
    DuplicateKey,
    /// A list row whose key has no firm.
    NoFirm,
    /// The row has more or fewer fields than the header (truncated file).
    FieldCount,
    /// More list records for one firm than the list allows.
    TooManyRecords,
    /// Evaluation failed (overflow, an unknown table key, `error(…)`).
    EvalError,
    /// The firm was rejected because one of its list rows was.
    BadListRecord,
    /// A good list row of a firm that was rejected.
    FirmRejected,
}

impl RejectReason {
    /// The stable code written to the rejects file.
    pub fn code(self) -> &'static str {
        match self {
            RejectReason::BadKey => "bad_key",
            RejectReason::BadValue => "bad_value",
            RejectReason::MissingRequired => "missing_required",
            RejectReason::DuplicateKey => "duplicate_key",
            RejectReason::NoFirm => "no_firm",
            RejectReason::FieldCount => "field_count",
            RejectReason::TooManyRecords => "too_many_records",
            RejectReason::EvalError => "eval_error",
            RejectReason::BadListRecord => "bad_list_record",
            RejectReason::FirmRejected => "firm_rejected",
        }
    }

    /// Every reason, in code order.
    pub const ALL: [RejectReason; 10] = [
        RejectReason::BadKey,
        RejectReason::BadValue,
        RejectReason::MissingRequired,
        RejectReason::DuplicateKey,
        RejectReason::NoFirm,
        RejectReason::FieldCount,
        RejectReason::TooManyRecords,
        RejectReason::EvalError,
        RejectReason::BadListRecord,
        RejectReason::FirmRejected,
    ];
}

/// A rejected row: where it is, its key, why, and what is wrong, as the
/// rejects file gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub(crate) file: Arc<str>,
    /// `None` for a firm row, else the index of the list source.
    pub(crate) list: Option<usize>,
    pub(crate) line: u64,
    pub(crate) column: String,
    pub(crate) key: String,
    pub(crate) reason: RejectReason,
    pub(crate) message: String,
}

impl Reject {
    pub(crate) fn new(
        file: &Arc<str>,
        line: u64,
        column: &str,
        key: &str,
        reason: RejectReason,
        message: String,
    ) -> Reject {
        Reject {
            file: file.clone(),
            list: None,
            line,
            column: column.to_string(),
            key: key.to_string(),
            reason,
            message,
        }
    }

    pub(crate) fn in_list(self, list: usize) -> Reject {
        Reject { list: Some(list), ..self }
    }

    /// The firm row on `line` of `file` whose key (in `column`) the row on
    /// line `first` had: only the first is scored.
    pub(crate) fn duplicate_key(file: &Arc<str>, line: u64, column: &str, key: &str, first: u64) -> Reject {
        let message = format!("the key `{key}` is on line {first} already; only the first row with a key is scored");
        Reject::new(file, line, column, key, RejectReason::DuplicateKey, message)
    }

    /// The firm row on `line` of `file`, with more records in `list` (`n`)
    /// than the list allows (`cap`).
    pub(crate) fn too_many_records(file: &Arc<str>, line: u64, key: &str, list: &str, n: usize, cap: usize) -> Reject {
        let message = format!("{n} `{list}` records, more than the limit of {cap} for this list");
        Reject::new(file, line, "", key, RejectReason::TooManyRecords, message)
    }

    /// A row on `line` of list source `list`, rejected with its firm: the
    /// firm row on `firm_line` of `firm_file`.
    pub(crate) fn firm_rejected(
        file: &Arc<str>,
        list: usize,
        line: u64,
        key: &str,
        firm_file: &str,
        firm_line: u64,
    ) -> Reject {
        let message = format!("its firm (line {firm_line} of {firm_file}) is rejected");
        Reject::new(file, line, "", key, RejectReason::FirmRejected, message).in_list(list)
    }

    /// The source the row is in (its file name).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The list source the row is in, by its index among the run's list
    /// sources; `None` for a firm row.
    pub fn list(&self) -> Option<usize> {
        self.list
    }

    /// The row's line (its first, for a row over several).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The column at fault; empty when the problem is not one cell's.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// The row's key as written (normalised when it could be read).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Why it is rejected.
    pub fn reason(&self) -> RejectReason {
        self.reason
    }

    /// What is wrong, in English.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Appends it to `buf` as the rejects are written: a CSV row, a JSON
    /// line, or six cells.
    pub fn write(&self, format: OutputFormat, buf: &mut Vec<u8>) {
        match format {
            OutputFormat::Csv => self.write_row(buf),
            OutputFormat::JsonLines => self.write_json(buf),
            OutputFormat::Cells => {
                for c in
                    [&*self.file, &self.line.to_string(), &self.column, &self.key, &self.message, self.reason.code()]
                {
                    cell(buf, c);
                }
            }
        }
    }

    /// Appends it to `buf` as one line of JSON, an object with the members
    /// of the rejects file's columns (`line` a number).
    pub fn write_json(&self, buf: &mut Vec<u8>) {
        let json = serde_json::json!({
            "file": &*self.file,
            "line": self.line,
            "column": self.column,
            "key": self.key,
            "reason": self.message,
            "reason_code": self.reason.code(),
        });
        // Serialising a `serde_json::Value` into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *buf, &json);
        buf.push(b'\n');
    }

    /// Appends its row of the rejects file to `buf`: `file,line,column,key,reason,reason_code`.
    pub fn write_row(&self, buf: &mut Vec<u8>) {
        csv_field(buf, &self.file);
        csv_field(buf, &self.line.to_string());
        csv_field(buf, &self.column);
        csv_field(buf, &self.key);
        csv_field(buf, &self.message);
        csv_field(buf, self.reason.code());
        end_row(buf);
    }
}
