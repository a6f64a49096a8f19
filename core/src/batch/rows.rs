//! Rows from any source: what a reader of firm or list data gives a run
//! ([`RowSource`]: a [`Header`] of column names, then rows of text cells,
//! each at a line), and the one place a run reads them ([`Input`]), which
//! holds the column limit, counts the rows read and packs each row for the
//! join, keeping no more cells than the header has. The CSV reader is one
//! source; a reader of another format is another, and the join, the key
//! and field-count checks, the rejects and the accounting are the same for
//! both.

use std::sync::Arc;

use super::columns::ColumnUse;
use super::error::BatchError;
use super::packed::{Packed, RowAt};

/// A source's header: its name in messages and the rejects file (a file
/// name), the line the column names are on, and the names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The name used in messages and in the rejects file.
    pub file: String,
    /// The line of the header (1 for a source of rows that are not lines).
    pub line: u64,
    /// The column names, in order, as the rules' inputs and fields are
    /// looked up by (names or labels).
    pub names: Vec<String>,
}

/// Where a row is in its source: the line it starts on and the line it
/// ends on (later for a CSV row whose quoted fields hold line ends). A
/// source of rows that are not lines numbers them as lines: the header is
/// line 1, so the first row is line 2, as in a spreadsheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lines {
    /// The line the row starts on.
    pub first: u64,
    /// The line it ends on.
    pub last: u64,
}

impl Lines {
    /// A row on one line.
    pub fn one(line: u64) -> Lines {
        Lines { first: line, last: line }
    }
}

/// Where a source puts a row's cells, in the order of its header's columns.
pub struct RowCells<'a> {
    pub(crate) packed: &'a mut Packed,
}

impl RowCells<'_> {
    /// Adds the row's next cell.
    pub fn push(&mut self, cell: &str) {
        self.packed.push_text(cell);
    }
}

/// A source of rows: the firm file, or one list file, in any format.
///
/// A row may have more or fewer cells than the header has names: it is
/// rejected (`field_count`) with its firm, as a CSV row with too many
/// commas is. A fatal problem (an unreadable source) is a [`BatchError`]
/// naming the source and line ([`BatchError::new`]).
pub trait RowSource: Send {
    /// Reads the header; called once, before any row.
    fn header(&mut self) -> Result<Header, BatchError>;

    /// Reads the next row: pushes its cells to `cells` and gives its
    /// lines; `None` at the end.
    fn next_row(&mut self, cells: &mut RowCells<'_>) -> Result<Option<Lines>, BatchError>;

    /// Checks, once the header is mapped and before any row is read, that
    /// each column can hold what the run reads from it (`uses`, in header
    /// order). Text (CSV) holds anything, so by default every column
    /// passes; a source of typed columns refuses one whose type cannot,
    /// naming the column, its type and the input.
    fn check_columns(&mut self, uses: &[ColumnUse]) -> Result<(), BatchError> {
        let _ = uses;
        Ok(())
    }

    /// Lends the source the run's worker threads, once the header is
    /// read: `spawn` runs a job on one of them. A source that parses its
    /// own bytes may parse ahead there (the CSV source parses blocks of
    /// its file); by default the workers are not used.
    fn read_ahead(&mut self, spawn: Spawn) {
        let _ = spawn;
    }
}

/// Runs a job on one of a run's worker threads ([`RowSource::read_ahead`]).
pub type Spawn = Arc<dyn Fn(Box<dyn FnOnce() + Send>) + Send + Sync>;

/// A list's rows: which list of the rules they fill, and their source.
pub struct ListRows {
    /// The list's name in the rules (`accidents`).
    pub list: String,
    /// Its rows.
    pub rows: Box<dyn RowSource>,
}

/// A source being read by a run.
pub(crate) struct Input {
    pub(crate) file: Arc<str>,
    source: Box<dyn RowSource>,
    /// The header's column count.
    pub(crate) n_cols: usize,
    /// The most bytes a cell may hold.
    max_field: usize,
    pub(crate) rows_read: u64,
}

impl Input {
    /// Reads a source's header, of at most `max_columns` columns whose
    /// cells hold at most `max_field` bytes each.
    pub(crate) fn open(
        mut source: Box<dyn RowSource>,
        max_columns: usize,
        max_field: usize,
    ) -> Result<(Input, Header), BatchError> {
        let header = source.header()?;
        if header.names.len() > max_columns {
            return Err(too_many_columns(&header.file, header.line, header.names.len(), max_columns));
        }
        let file = Arc::from(header.file.as_str());
        let input = Input { file, source, n_cols: header.names.len(), max_field, rows_read: 0 };
        Ok((input, header))
    }

    /// Lends the source the run's worker threads.
    pub(crate) fn read_ahead(&mut self, spawn: Spawn) {
        self.source.read_ahead(spawn);
    }

    /// Has the source check its columns' types against their uses.
    pub(crate) fn check_columns(&mut self, uses: &[ColumnUse]) -> Result<(), BatchError> {
        self.source.check_columns(uses)
    }

    /// Reads the next row into `into`: `Ok(None)` at the end. Its field
    /// count may differ from the header's ([`field_count_problem`]); a
    /// row with more fields than the header keeps only as many cells: only
    /// its key is read, and it holds no more memory than a good row.
    ///
    /// [`field_count_problem`]: super::check::field_count_problem
    pub(crate) fn next(&mut self, into: &mut Packed) -> Result<Option<RowAt>, BatchError> {
        let first = into.cells();
        let lines = match self.source.next_row(&mut RowCells { packed: into }) {
            Ok(Some(lines)) => lines,
            other => {
                into.truncate(first);
                return other.map(|_| None);
            }
        };
        self.rows_read += 1;
        let fields = into.cells() - first;
        if into.text_len(first, fields) > self.max_field {
            // Only a row longer than the limit can hold a cell that is.
            if let Some(col) = (0..fields).find(|&c| into.text(first + c).len() > self.max_field) {
                let len = into.text(first + col).len();
                into.truncate(first);
                return Err(field_too_long(&self.file, lines.first, col, len, self.max_field));
            }
        }
        let mut row = RowAt {
            line: lines.first,
            more_lines: u32::try_from(lines.last.saturating_sub(lines.first)).unwrap_or(u32::MAX),
            fields: u32::try_from(fields).unwrap_or(u32::MAX),
            first,
            len: fields,
        };
        into.keep_cells(&mut row, self.n_cols);
        Ok(Some(row))
    }
}

/// The fatal error of cell `col` (from 0) on `line`, of `len` bytes, over
/// the field limit of `max`: whatever the source, the same.
pub(crate) fn field_too_long(file: &str, line: u64, col: usize, len: usize, max: usize) -> BatchError {
    BatchError::new(
        file,
        Some(line),
        format!("column {} holds {len} bytes; a field may hold at most {} ({max} bytes)", col + 1, size(max)),
    )
}

/// `1 MiB`, `16 MiB`, or bytes.
pub(crate) fn size(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// The fatal error of a header of `n` columns, over the limit of `max`.
pub(crate) fn too_many_columns(file: &str, line: u64, n: usize, max: usize) -> BatchError {
    BatchError::new(file, Some(line), format!("the header has {n} columns, more than the limit of {max}"))
}
