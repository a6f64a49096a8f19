//! Rows that cannot be scored: why (a stable reason code for the rejects
//! file), and the rejected row as the rejects file and the summary see it.

use std::sync::Arc;

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

/// A rejected row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reject {
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
}
