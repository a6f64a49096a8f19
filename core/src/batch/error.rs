//! The fatal error of a run: the file and line it is about, a message that
//! describes the situation, and a kind a caller can match to add advice of
//! its own (the command line adds its flags).

/// A fatal batch error: the run cannot go on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", place(file, *line))]
pub struct BatchError {
    file: String,
    line: Option<u64>,
    message: String,
    /// Boxed: a `Result<_, BatchError>` stays small on the hot paths.
    kind: Box<BatchErrorKind>,
}

/// What kind of fatal error a [`BatchError`] is, for a caller to add its
/// own advice (the messages name no command-line flags).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchErrorKind {
    /// Any other.
    Other,
    /// A strict run met a column that is not the key, an input or field,
    /// or carried.
    UnknownColumn {
        /// The column.
        column: String,
        /// The list of the file; `None` for the firm file.
        list: Option<String>,
    },
    /// A column read by nothing whose name is close to that of an input
    /// (or list field) no column gives.
    LikelyTypo {
        /// The column.
        column: String,
        /// The input or field it is close to.
        meant: String,
        /// The list of the file; `None` for the firm file.
        list: Option<String>,
    },
    /// A file has no key column.
    NoKeyColumn,
    /// A run told its files are sorted by key met a key smaller than the
    /// one before it.
    NotSorted,
    /// A list file is given for a list the rules do not have.
    UnknownList {
        /// The list it was given for.
        list: String,
    },
    /// Grades are to be counted by a column of the firm file that is not carried.
    BreakdownNotCarried {
        /// The column.
        column: String,
    },
}

impl BatchError {
    /// A fatal error about `file` (on `line`, when there is one), of the
    /// kind [`BatchErrorKind::Other`]: what a [`RowSource`](super::RowSource)
    /// that cannot go on gives.
    pub fn new(file: &str, line: Option<u64>, message: String) -> BatchError {
        BatchError { file: file.to_string(), line, message, kind: Box::new(BatchErrorKind::Other) }
    }

    pub(crate) fn with_kind(self, kind: BatchErrorKind) -> BatchError {
        BatchError { kind: Box::new(kind), ..self }
    }

    /// What kind of error it is.
    pub fn kind(&self) -> &BatchErrorKind {
        &self.kind
    }

    /// A bug: a thread of the pipeline panicked. It names no file.
    #[cfg(feature = "parallel")]
    pub(crate) fn internal(stage: &str, panic: &(dyn std::any::Any + Send)) -> BatchError {
        let what = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        let message = format!(
            "internal error: the {stage} thread panicked ({what}); the run is incomplete; please report this with the input files"
        );
        BatchError { file: String::new(), line: None, message, kind: Box::new(BatchErrorKind::Other) }
    }

    /// The file (or `output` / `rejects` for a failed write; empty for an
    /// internal error).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line (from 1), when the problem is on one.
    pub fn line(&self) -> Option<u64> {
        self.line
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// `FILE:LINE: `, `FILE: `, or nothing for an error of no file.
fn place(file: &str, line: Option<u64>) -> String {
    match (file, line) {
        ("", _) => String::new(),
        (file, Some(line)) => format!("{file}:{line}: "),
        (file, None) => format!("{file}: "),
    }
}
