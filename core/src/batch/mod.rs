//! Batch scoring: every firm of a CSV export through a rule set or scheme,
//! with list files (accidents, penalties …) joined by the firm's key.
//!
//! # Brief overview
//!
//! - [`score`] reads a firm file and any list files ([`Source`]s, any
//!   `Read`), evaluates every firm, and writes one result row per scored
//!   firm, in input order, to any `Write` (CSV or JSON lines, see
//!   [`OutputFormat`]). Rows that cannot be scored go to the rejects writer
//!   as CSV (`file,line,column,key,reason,reason_code`), never dropped.
//! - [`compare`] scores the same firms under two rule versions (or two
//!   as-of dates) and writes the firms whose grade moves, with the items
//!   that differ; the [`Summary`] holds the grade-migration matrix.
//! - [`Summary`] is the exact accounting: firm rows in = scored + rejected,
//!   list rows in = attached + rejected; grade counts per step, the items
//!   fired most, the rejects by reason.
//!
//! Fatal problems (an unreadable file, a header that does not fit the
//! rules or has more than [`BatchConfig::max_columns`] columns, a carried
//! column named like a result, a file that is not UTF-8, an unsorted file
//! under [`BatchConfig::sorted`], a field or row over its limit) stop the
//! run with a [`BatchError`] naming the file and line. Line numbers count
//! physical lines, blank ones included.
//!
//! # Limits
//!
//! A field may hold at most [`BatchConfig::max_field_bytes`] (1 MiB by
//! default) and a row at most [`BatchConfig::max_row_bytes`] (16 MiB); the
//! row limit is enforced as the bytes arrive, so an unclosed quote or a
//! 100 MB field costs at most that much memory before the run stops. A firm
//! with more records in a list than the list's `max_records` is rejected
//! (`too_many_records`) with all its list rows, and rows beyond the limit
//! are never parsed or held, only their line numbers.
//!
//! # Rows that cannot be read
//!
//! A row with more or fewer fields than the header is rejected
//! (`field_count`) and takes its firm with it, as a bad value does: a firm
//! row with its list rows, a list row with its firm and the firm's other
//! list rows, in either join. Only a row whose key cannot be read (missing
//! from a short row, or not a key) is rejected alone, for its field count.
//!
//! # Determinism
//!
//! Reading, key checks, duplicate detection and the join are sequential;
//! only the per-firm work (parsing cells, evaluating, formatting the row)
//! runs in parallel, and its result depends on that firm's rows alone. So
//! the output is byte-identical whatever [`BatchConfig::threads`] and
//! [`BatchConfig::chunk_size`]. With the `parallel` feature a reader thread
//! feeds chunks to a rayon pool and the caller's thread writes the scored
//! chunks, in order, all three at once; without it (the wasm build)
//! everything runs on the caller's thread.

mod firm;
mod layout;
mod read;
mod summary;
mod template;
mod write;

#[cfg(test)]
mod tests;

use std::collections::hash_map::Entry;
use std::io::{Read, Write};
use std::ops::Range;
use std::sync::Arc;

use chrono::NaiveDate;
use smallvec::SmallVec;

use crate::input::INLINE_LISTS;
use crate::rules::Rules;
use firm::Ctx;
use layout::Step;
use read::{ListStore, ListStream, Packed, RowAt, Rows};

pub use summary::{Breakdown, FileCount, GradeCount, ItemCount, Migration, StepSummary, Summary};
pub use template::{template, GuideRow, Lang, Template};

/// The name of UTF-8 in [`Source::encoding`].
pub const UTF_8: &str = "UTF-8";

/// A named input: a file name for messages and a reader for its bytes.
pub struct Source {
    /// The name used in messages and in the rejects file.
    pub file: String,
    /// The bytes: UTF-8 text. A reader that decodes another encoding into
    /// UTF-8 names it here (`GB18030`), and hands a byte sequence that is
    /// not valid in it on as bytes that are not UTF-8, so that the row
    /// holding it is refused as not being text of that encoding.
    pub reader: Box<dyn Read + Send>,
    /// The encoding the file is read in, for messages: `UTF-8` unless the
    /// reader decodes another.
    pub encoding: &'static str,
}

impl Source {
    /// A source from a name and a reader.
    pub fn new(file: impl Into<String>, reader: impl Read + Send + 'static) -> Source {
        Source { file: file.into(), reader: Box::new(reader), encoding: UTF_8 }
    }

    /// A source whose reader decodes `encoding` into UTF-8 (see [`Source::reader`]).
    pub fn decoded(file: impl Into<String>, reader: impl Read + Send + 'static, encoding: &'static str) -> Source {
        Source { file: file.into(), reader: Box::new(reader), encoding }
    }
}

/// A list file: which list of the rules it fills, and its source.
pub struct ListSource {
    /// The list's name in the rules (`accidents`).
    pub list: String,
    /// Its rows.
    pub source: Source,
}

/// How results are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// How a batch run reads and writes.
#[derive(Clone, Debug)]
pub struct BatchConfig {
    /// The date firms are assessed as of.
    pub as_of: NaiveDate,
    /// The key column, in the firm file and in every list file. When it is
    /// `uscc` the key is checked as a 统一社会信用代码 (check character
    /// included); any other key is free text up to 64 characters.
    pub key: String,
    /// Firm columns that are not inputs, passed through to the output.
    pub carry: Vec<String>,
    /// Columns to ignore in any file, whatever their names: not read, and
    /// not checked for being close to an input's name. Each must be in
    /// some file.
    pub ignore: Vec<String>,
    /// Refuse every column that is not the key, an input (a field, in a
    /// list file), carried or ignored. Otherwise such a column is ignored
    /// (and listed in the [`Summary`]) unless its name is close to that of
    /// an input no column gives, which stops the run with a did-you-mean.
    pub strict: bool,
    /// Carried columns to count grades by in the [`Summary`] (sector, region).
    pub breakdown: Vec<String>,
    /// Add every fired item (with its points) and override to the output.
    pub explain: bool,
    /// CSV or JSON lines.
    pub format: OutputFormat,
    /// Start CSV output (results and rejects) with a UTF-8 BOM, for Excel.
    pub bom: bool,
    /// The firm file and every list file are in ascending key order: join
    /// them as they stream, in memory that does not grow with the number of
    /// firms. A row out of order is a fatal error.
    pub sorted: bool,
    /// Firms per unit of parallel work, from 1 to [`MAX_CHUNK_SIZE`]; a
    /// value outside is taken as the nearest of the two. It changes the
    /// memory held and the speed, never the output.
    pub chunk_size: usize,
    /// Worker threads (0: one per core). Ignored without the `parallel` feature.
    pub threads: usize,
    /// The longest field accepted, in bytes; a longer one is a fatal error.
    pub max_field_bytes: usize,
    /// The longest row accepted, in bytes (quotes and separators included);
    /// checked as the bytes are read, so memory stays bounded.
    pub max_row_bytes: usize,
    /// The most columns a header may have (firm file and list files).
    pub max_columns: usize,
}

/// The default [`BatchConfig::max_field_bytes`]: 1 MiB.
pub const DEFAULT_MAX_FIELD_BYTES: usize = 1 << 20;

/// The default [`BatchConfig::max_row_bytes`]: 16 MiB.
pub const DEFAULT_MAX_ROW_BYTES: usize = 16 << 20;

/// The largest [`BatchConfig::chunk_size`]: 65,536 firms, 16 times the
/// default. A chunk of usual firms holds about 1.5 KB a firm, some 100 MB
/// at this size, and the pipeline holds up to seven chunks at once (two in
/// each channel, one each being read, scored and written): under 1 GB.
pub const MAX_CHUNK_SIZE: usize = 65_536;

/// The default [`BatchConfig::max_columns`]: 4,096, eighty times the 52
/// columns of the bundled sample's firm file.
pub const DEFAULT_MAX_COLUMNS: usize = 4096;

impl BatchConfig {
    /// The defaults: key `uscc`, CSV, unsorted, columns the rules do not
    /// read ignored, chunks of 4096 firms, every core, fields up to 1 MiB,
    /// rows up to 16 MiB and 4,096 columns.
    pub fn new(as_of: NaiveDate) -> BatchConfig {
        BatchConfig {
            as_of,
            key: "uscc".into(),
            carry: Vec::new(),
            ignore: Vec::new(),
            strict: false,
            breakdown: Vec::new(),
            explain: false,
            format: OutputFormat::Csv,
            bom: false,
            sorted: false,
            chunk_size: 4096,
            threads: 0,
            max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
            max_row_bytes: DEFAULT_MAX_ROW_BYTES,
            max_columns: DEFAULT_MAX_COLUMNS,
        }
    }
}

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
}

impl BatchError {
    pub(crate) fn new(file: &str, line: Option<u64>, message: String) -> BatchError {
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
    fn internal(stage: &str, panic: &(dyn std::any::Any + Send)) -> BatchError {
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

/// A firm row, its key checked, with its list rows; all in its chunk's
/// [`Packed`] rows.
pub(crate) struct FirmRow {
    pub(crate) row: RowAt,
    /// The normalised key: a cell of its own.
    pub(crate) key: usize,
    /// Per list source, the range of the chunk's list rows with this key.
    pub(crate) lists: SmallVec<[Range<usize>; INLINE_LISTS]>,
}

/// A chunk of jobs, in input order, and the rows they read.
#[derive(Default)]
pub(crate) struct Chunk {
    pub(crate) jobs: Vec<Job>,
    pub(crate) rows: Packed,
}

impl Chunk {
    /// Empties it, keeping its buffers.
    fn clear(&mut self) {
        self.jobs.clear();
        self.rows.clear();
    }
}

/// One unit of work, in input order: list rows rejected on the way, then a
/// firm row (or its rejection).
pub(crate) struct Job {
    pub(crate) pre: Vec<Reject>,
    pub(crate) firm: Option<Result<FirmRow, Reject>>,
    /// A firm rejected for too many list records: per list source, the
    /// lines of its rows, rejected with it (kept as lines only, so a
    /// million records cost 8 bytes each).
    pub(crate) overflow: Vec<(usize, Vec<u64>)>,
}

/// Scores every firm; see the module documentation.
pub fn score(
    rules: &Rules,
    cfg: &BatchConfig,
    firms: Source,
    lists: Vec<ListSource>,
    out: &mut dyn Write,
    rejects: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, BatchError> {
    run(&[(rules, cfg.as_of)], cfg, firms, lists, out, rejects, progress)
}

/// Scores every firm under `old` (as of `cfg.as_of`) and `new` (as of
/// `new_as_of`), and writes the firms whose grade moves.
#[allow(clippy::too_many_arguments)] // The two rule sides plus the same inputs as `score`.
pub fn compare(
    old: &Rules,
    new: &Rules,
    new_as_of: NaiveDate,
    cfg: &BatchConfig,
    firms: Source,
    lists: Vec<ListSource>,
    out: &mut dyn Write,
    rejects: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, BatchError> {
    run(&[(old, cfg.as_of), (new, new_as_of)], cfg, firms, lists, out, rejects, progress)
}

/// Reads firm rows and joins their list rows, sequentially.
struct Feeder {
    firms: Rows,
    key_col: usize,
    key_name: String,
    uscc: bool,
    sorted: bool,
    streams: Vec<ListStream>,
    /// Each list grouped by key, its file and its key column's header.
    stores: Vec<(ListStore, Arc<str>, String)>,
    /// Lists to load before the first firm (grouped mode), with their key
    /// column and its header.
    to_load: Vec<(Rows, usize, String)>,
    /// Load them each on a thread of its own.
    load_apart: bool,
    /// Rows read from each list loaded into `stores`.
    store_rows: Vec<u64>,
    n_lists: usize,
    /// Per list source: the most records one firm may have (the smallest
    /// `max_records` of the steps declaring the list), and the list's name.
    caps: Vec<usize>,
    list_names: Vec<String>,
    /// Grouped mode: each firm key read, and the line of its first row.
    seen: read::KeyMap<u64>,
    /// The largest firm key so far (empty before the first), and the line
    /// of its first row (sorted mode).
    last_key: String,
    last_key_line: u64,
    /// Grouped mode: whether the firm rows and every list's rows so far
    /// came in key order, so that `--sorted` could have streamed them.
    in_key_order: bool,
    /// The key of the firm row being joined.
    key: String,
    /// Per list source, the lines of a firm's rows over the list's limit.
    overflow: Vec<Vec<u64>>,
    chunk_size: usize,
    finished: bool,
}

impl Feeder {
    /// The next chunk of jobs, read into `chunk` (an empty one, perhaps
    /// with its buffers from an earlier chunk); no jobs at the end.
    fn next_chunk(&mut self, mut chunk: Chunk) -> Result<Chunk, BatchError> {
        chunk.jobs.reserve(self.chunk_size);
        let jobs = &mut chunk.jobs;
        if !self.to_load.is_empty() {
            let mut pre = Vec::new();
            let to_load = std::mem::take(&mut self.to_load);
            for loaded in load_stores(to_load, self.uscc, self.load_apart) {
                let (store, file, key_name, rows_read, rejects) = loaded?;
                pre.extend(rejects);
                self.in_key_order &= store.in_key_order;
                self.stores.push((store, file, key_name));
                self.store_rows.push(rows_read);
            }
            jobs.push(Job { pre, firm: None, overflow: Vec::new() });
        }
        if self.finished {
            return Ok(chunk);
        }
        while jobs.len() < self.chunk_size {
            let Some(next) = self.firms.next(&mut chunk.rows)? else {
                self.finished = true;
                let mut pre = Vec::new();
                for s in &mut self.streams {
                    s.finish(&mut pre)?;
                }
                for (list, (store, file, key_name)) in std::mem::take(&mut self.stores).into_iter().enumerate() {
                    store.finish(list, &file, &key_name, &mut pre);
                }
                if !pre.is_empty() {
                    jobs.push(Job { pre, firm: None, overflow: Vec::new() });
                }
                break;
            };
            let job = self.join(next, &mut chunk.rows)?;
            jobs.push(job);
        }
        Ok(chunk)
    }

    /// Checks the key of the firm row just read into `rows` and joins its
    /// list rows into `rows` too.
    fn join(&mut self, row: RowAt, rows: &mut Packed) -> Result<Job, BatchError> {
        let reject = |r| Ok(Job { pre: Vec::new(), firm: Some(Err(r)), overflow: Vec::new() });
        let line = row.line;
        let cell = rows.cell(row, self.key_col);
        match read::key_of(cell, self.uscc, &self.firms.file, line, &self.key_name) {
            Ok(k) => {
                self.key.clear();
                self.key.push_str(&k);
            }
            Err(r) => return reject(read::keyless(r, row, self.firms.n_cols, None)),
        };
        let key = &*self.key;
        // The line of the first row with this key, if this is not it.
        let first = if self.sorted {
            if *key < *self.last_key {
                return Err(read::out_of_order(&self.firms.file, line, key, &self.last_key));
            }
            if *self.last_key == *key {
                Some(self.last_key_line)
            } else {
                self.last_key.clear();
                self.last_key.push_str(key);
                self.last_key_line = line;
                None
            }
        } else {
            // Followed only while it holds: no key copied per firm after.
            if self.in_key_order {
                if *key < *self.last_key {
                    self.in_key_order = false;
                } else {
                    self.last_key.clear();
                    self.last_key.push_str(key);
                }
            }
            match self.seen.entry(compact_str::CompactString::from(key)) {
                Entry::Occupied(first) => Some(*first.get()),
                Entry::Vacant(slot) => {
                    slot.insert(line);
                    None
                }
            }
        };
        if let Some(first) = first {
            let r = Reject::new(
                &self.firms.file,
                line,
                &self.key_name,
                key,
                RejectReason::DuplicateKey,
                format!("the key `{key}` is on line {first} already; only the first row with a key is scored"),
            );
            return reject(r);
        }
        let mut pre = Vec::new();
        let mut lists: SmallVec<[Range<usize>; INLINE_LISTS]> = SmallVec::new();
        self.overflow.resize_with(self.n_lists, Vec::new);
        let at = |rows: &Packed| rows.list_rows.len();
        for s in &mut self.streams {
            let (l, start) = (s.list, at(rows));
            s.take(key, self.caps[l], rows, &mut self.overflow[l], &mut pre)?;
            lists.push(start..at(rows));
        }
        for (l, (store, _, _)) in self.stores.iter_mut().enumerate() {
            let start = at(rows);
            store.take(key, self.caps[l], rows, &mut self.overflow[l]);
            lists.push(start..at(rows));
        }
        if let Some(l) = self.overflow.iter().position(|o| !o.is_empty()) {
            let n = lists[l].len() + self.overflow[l].len();
            let message =
                format!("{n} `{}` records, more than the limit of {} for this list", self.list_names[l], self.caps[l]);
            let r = Reject::new(&self.firms.file, line, "", key, RejectReason::TooManyRecords, message);
            let overflow = lists
                .iter()
                .zip(std::mem::take(&mut self.overflow))
                .enumerate()
                .filter(|(_, (taken, more))| !taken.is_empty() || !more.is_empty())
                .map(|(l, (taken, more))| (l, rows.list_rows(taken).iter().map(|r| r.line).chain(more).collect()))
                .collect();
            return Ok(Job { pre, firm: Some(Err(r)), overflow });
        }
        let key = rows.push_text(key);
        Ok(Job { pre, firm: Some(Ok(FirmRow { row, key, lists })), overflow: Vec::new() })
    }

    fn list_rows_read(&self) -> Vec<u64> {
        self.streams.iter().map(ListStream::rows_read).collect()
    }
}

/// A list file grouped by key: the store, the file's name, its key
/// column's header, the rows read and the rows rejected.
type Loaded = (ListStore, Arc<str>, String, u64, Vec<Reject>);

/// Loads the list files of the grouped mode, in list order; each on a
/// thread of its own when `apart` (the native build), which on two cores
/// takes the time of the largest file instead of the sum. An error in one
/// list is reported after the lists before it, as when loaded in turn.
fn load_stores(to_load: Vec<(Rows, usize, String)>, uscc: bool, apart: bool) -> Vec<Result<Loaded, BatchError>> {
    let load = |list: usize, (mut rows, key_col, key_name): (Rows, usize, String)| {
        let mut rejects = Vec::new();
        let store = ListStore::load(list, &mut rows, key_col, &key_name, uscc, &mut rejects)?;
        Ok((store, rows.file.clone(), key_name, rows.rows_read, rejects))
    };
    #[cfg(feature = "parallel")]
    if apart && to_load.len() > 1 {
        return std::thread::scope(|scope| {
            let loading: Vec<_> =
                to_load.into_iter().enumerate().map(|(list, l)| scope.spawn(move || load(list, l))).collect();
            loading.into_iter().map(|t| t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
        });
    }
    let _ = apart;
    to_load.into_iter().enumerate().map(|(list, l)| load(list, l)).collect()
}

fn run(
    rules: &[(&Rules, NaiveDate)],
    cfg: &BatchConfig,
    firms: Source,
    lists: Vec<ListSource>,
    out: &mut dyn Write,
    rejects: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, BatchError> {
    let sides: Vec<(Vec<Step>, NaiveDate)> = rules.iter().map(|(r, as_of)| (layout::steps_of(r), *as_of)).collect();
    let steps: Vec<Vec<Step>> = sides.iter().map(|(s, _)| s.clone()).collect();
    let limits = read::Limits { field: cfg.max_field_bytes, row: cfg.max_row_bytes, columns: cfg.max_columns };
    let (firm_rows, headers) = Rows::open(firms, limits)?;
    // Kept to lay out each worker's own copy of the rules the same way.
    let mut headers_read = vec![headers.clone()];
    let firm_layout = layout::firm_layout(&firm_rows.file, headers, cfg, &steps)?;
    layout::check_breakdown(&firm_layout, cfg)?;
    let mut list_layouts = Vec::new();
    let mut list_rows = Vec::new();
    for ls in lists {
        if list_layouts.iter().any(|l: &layout::ListLayout| l.name == ls.list) {
            return Err(BatchError::new(&ls.source.file, None, format!("list `{}` is given twice", ls.list)));
        }
        let (rows, headers) = Rows::open(ls.source, limits)?;
        let file = rows.file.to_string();
        headers_read.push(headers.clone());
        let layout = layout::list_layout(&ls.list, &file, headers, cfg, &steps)?;
        list_layouts.push(layout);
        list_rows.push(rows);
    }
    for c in &cfg.ignore {
        let mut all = headers_read.iter().flat_map(|h| &h.names);
        if !all.any(|h| h == c) {
            let files: Vec<&str> = std::iter::once(firm_layout.file.as_str())
                .chain(list_layouts.iter().map(|l| l.file.as_str()))
                .collect();
            return Err(BatchError::new(
                "",
                None,
                format!("no file has the column `{c}` to ignore (files: {})", files.join(", ")),
            ));
        }
    }
    let uscc = cfg.key == "uscc";
    let ctx = Ctx::new(sides, cfg, firm_layout, list_layouts);
    ctx.check_carried()?;
    let mut summary = Summary::start(&ctx);
    // Each worker thread scores with its own copy of the rules, built
    // before anything is written, so that no error leaves a bare header.
    let worker_ctx = || {
        let sides: Vec<(Vec<Step>, NaiveDate)> =
            rules.iter().map(|(r, as_of)| (layout::steps_of(&r.compiled_again()), *as_of)).collect();
        let steps: Vec<Vec<Step>> = sides.iter().map(|(s, _)| s.clone()).collect();
        let firm = &ctx.firm;
        let firm_layout = layout::firm_layout(&firm.file, headers_read[0].clone(), cfg, &steps)?;
        let list_layouts = ctx
            .lists
            .iter()
            .zip(&headers_read[1..])
            .map(|(l, headers)| layout::list_layout(&l.name, &l.file, headers.clone(), cfg, &steps))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Ctx::new(sides, cfg, firm_layout, list_layouts))
    };
    let pool = Pool::new(cfg.threads, worker_ctx)?;
    let write_err = |what: &str, e: std::io::Error| BatchError::new(what, None, format!("cannot write: {e}"));
    let mut header = Vec::new();
    if cfg.bom && cfg.format == OutputFormat::Csv {
        header.extend_from_slice("\u{FEFF}".as_bytes());
    }
    ctx.write_header(&mut header);
    out.write_all(&header).map_err(|e| write_err("output", e))?;
    let mut rejects_header = Vec::new();
    if cfg.bom {
        rejects_header.extend_from_slice("\u{FEFF}".as_bytes());
    }
    rejects_header.extend_from_slice(b"file,line,column,key,reason,reason_code\n");
    rejects.write_all(&rejects_header).map_err(|e| write_err("rejects", e))?;

    let n_lists = ctx.lists.len();
    let mut feeder = Feeder {
        key_col: ctx.firm.key_col,
        key_name: ctx.firm.headers[ctx.firm.key_col].clone(),
        firms: firm_rows,
        uscc,
        sorted: cfg.sorted,
        streams: Vec::new(),
        stores: Vec::new(),
        to_load: Vec::new(),
        load_apart: cfg.threads != 1,
        store_rows: Vec::new(),
        n_lists,
        caps: ctx
            .lists
            .iter()
            .map(|l| {
                steps
                    .iter()
                    .flatten()
                    .flat_map(|st| st.rules.plan.lists.iter().filter(|d| *d.name == *l.name))
                    .map(|d| d.max_records as usize)
                    .min()
                    .unwrap_or(usize::MAX)
            })
            .collect(),
        list_names: ctx.lists.iter().map(|l| l.name.clone()).collect(),
        seen: read::KeyMap::default(),
        last_key: String::new(),
        last_key_line: 0,
        in_key_order: !cfg.sorted,
        key: String::new(),
        overflow: Vec::new(),
        chunk_size: cfg.chunk_size.clamp(1, MAX_CHUNK_SIZE),
        finished: false,
    };
    for (i, rows) in list_rows.into_iter().enumerate() {
        let (key_col, key_name) = (ctx.lists[i].key_col, ctx.lists[i].headers[ctx.lists[i].key_col].clone());
        if cfg.sorted {
            feeder.streams.push(ListStream::new(i, rows, key_col, key_name, uscc));
        } else {
            feeder.to_load.push((rows, key_col, key_name));
        }
    }

    let list_files: Vec<Arc<str>> = ctx.lists.iter().map(|l| Arc::from(l.file.as_str())).collect();
    // Kept from chunk to chunk: freshly grown megabyte buffers cost page faults.
    let (mut buf, mut rbuf) = (Vec::new(), Vec::new());
    let mut sink = |chunk: &Chunk, done: Vec<firm::Done>, summary: &mut Summary| -> Result<(), BatchError> {
        buf.clear();
        rbuf.clear();
        let mut n_firms = 0;
        for (job, d) in chunk.jobs.iter().zip(done) {
            for r in &job.pre {
                write::reject_row(&mut rbuf, r);
                summary.count_reject(r);
            }
            if job.firm.is_some() {
                n_firms += 1;
            }
            for r in &d.rejects {
                write::reject_row(&mut rbuf, r);
                summary.count_reject(r);
            }
            if let Some(Err(firm)) = &job.firm {
                for (l, lines) in &job.overflow {
                    let message = format!("its firm (line {} of {}) is rejected", firm.line, firm.file);
                    for &line in lines {
                        let r = Reject::new(
                            &list_files[*l],
                            line,
                            "",
                            &firm.key,
                            RejectReason::FirmRejected,
                            message.clone(),
                        )
                        .in_list(*l);
                        write::reject_row(&mut rbuf, &r);
                        summary.count_reject(&r);
                        if rbuf.len() >= 1 << 20 {
                            rejects.write_all(&rbuf).map_err(|e| write_err("rejects", e))?;
                            rbuf.clear();
                        }
                    }
                }
            }
            buf.extend_from_slice(&d.out);
            summary.count_done(&ctx, d);
        }
        out.write_all(&buf).map_err(|e| write_err("output", e))?;
        rejects.write_all(&rbuf).map_err(|e| write_err("rejects", e))?;
        summary.firms.rows += n_firms;
        progress(summary.firms.rows);
        Ok(())
    };

    let list_read = drive(&mut feeder, &pool, &ctx, &mut summary, &mut sink)?;
    summary.could_stream = feeder.in_key_order;
    for (i, n) in list_read.into_iter().enumerate() {
        summary.lists[i].rows = n;
    }
    out.flush().map_err(|e| write_err("output", e))?;
    rejects.flush().map_err(|e| write_err("rejects", e))?;
    summary.finish(&ctx);
    Ok(summary)
}

/// Takes each scored chunk of jobs, in order: writes and counts them.
type Sink<'a> = dyn FnMut(&Chunk, Vec<firm::Done>, &mut Summary) -> Result<(), BatchError> + 'a;

/// The most buffer space a written chunk may hold to be given back to the
/// reader (a chunk of 4,096 usual firms holds about 6 MB).
#[cfg(feature = "parallel")]
const RECYCLED_CHUNK_BYTES: usize = 64 << 20;

/// A scored chunk: the jobs and what each gave.
#[cfg(feature = "parallel")]
type ScoredChunk = (Chunk, Vec<firm::Done>);

/// Scores the feeder's chunks on the pool and hands them to `sink`, in
/// order, until the feeder is done; returns the list rows read.
///
/// Three stages run at once, joined by channels of two chunks: a reader
/// thread reads and joins, a scorer thread hands each chunk to the pool,
/// and this thread writes. Chunks keep their order through both channels;
/// an error ends the run after the chunks read before it are written. A
/// reader or scorer thread that panics (a worker's panic reaches the
/// scorer) ends the run with an internal error, never a short success.
/// Written chunks go back to the reader, emptied, to be read into again:
/// their megabytes of buffers are not freed and faulted in anew.
#[cfg(feature = "parallel")]
fn drive(
    feeder: &mut Feeder,
    pool: &Pool,
    ctx: &Ctx,
    summary: &mut Summary,
    sink: &mut Sink<'_>,
) -> Result<Vec<u64>, BatchError> {
    use std::sync::mpsc::sync_channel;
    std::thread::scope(|scope| {
        let (to_scorer, from_reader) = sync_channel::<Result<Chunk, BatchError>>(2);
        let (to_writer, from_scorer) = sync_channel::<Result<ScoredChunk, BatchError>>(2);
        let (to_reader, from_writer) = sync_channel::<Chunk>(4);
        let reader = scope.spawn(move || {
            loop {
                let chunk = feeder.next_chunk(from_writer.try_recv().unwrap_or_default());
                let stop = chunk.as_ref().map_or(true, |c| c.jobs.is_empty());
                if to_scorer.send(chunk).is_err() || stop {
                    break;
                }
            }
            (feeder.list_rows_read(), feeder.stores_read())
        });
        let scorer = scope.spawn(move || {
            for chunk in from_reader {
                let scored = match chunk {
                    Ok(chunk) if chunk.jobs.is_empty() => break,
                    Ok(chunk) => {
                        let done = pool.map(ctx, &chunk);
                        Ok((chunk, done))
                    }
                    Err(e) => Err(e),
                };
                let stop = scored.is_err();
                if to_writer.send(scored).is_err() || stop {
                    break;
                }
            }
        });
        let mut res = Ok(());
        for scored in &from_scorer {
            match scored.and_then(|(chunk, done)| sink(&chunk, done, summary).map(|()| chunk)) {
                Ok(mut chunk) => {
                    chunk.clear();
                    // A chunk of unusually long rows is freed, not kept for
                    // the rest of the run; the reader may also have stopped,
                    // or have enough.
                    if chunk.rows.capacity() <= RECYCLED_CHUNK_BYTES {
                        let _ = to_reader.try_send(chunk);
                    }
                }
                Err(e) => {
                    res = Err(e);
                    break;
                }
            }
        }
        // Dropping the receiver stops the scorer, which stops the reader.
        drop(from_scorer);
        let scored = scorer.join().map_err(|panic| BatchError::internal("scorer", &*panic));
        let read = reader.join().map_err(|panic| BatchError::internal("reader", &*panic));
        let ((streams, stores), ()) = (read?, scored?);
        res.map(|()| if streams.is_empty() { stores } else { streams })
    })
}

/// Feeds chunks to `sink` until the feeder is done; returns the list rows read.
#[cfg(not(feature = "parallel"))]
fn drive(
    feeder: &mut Feeder,
    pool: &Pool,
    ctx: &Ctx,
    summary: &mut Summary,
    sink: &mut Sink<'_>,
) -> Result<Vec<u64>, BatchError> {
    let mut chunk = Chunk::default();
    loop {
        chunk = feeder.next_chunk(chunk)?;
        if chunk.jobs.is_empty() {
            break;
        }
        let done = pool.map(ctx, &chunk);
        sink(&chunk, done, summary)?;
        chunk.clear();
    }
    let streams = feeder.list_rows_read();
    Ok(if streams.is_empty() { feeder.stores_read() } else { streams })
}

impl Feeder {
    fn stores_read(&self) -> Vec<u64> {
        self.store_rows.clone()
    }
}

/// The worker threads, each with its own copy of the rules (see
/// [`Rules::compiled_again`]): threads sharing one copy would all write the
/// reference counts of its texts, and wait on each other's caches for it
/// (5–8 % of the CPU time of a 1M-firm run on two cores).
#[cfg(feature = "parallel")]
struct Pool {
    /// None: rayon's global pool.
    pool: Option<rayon::ThreadPool>,
    /// Per thread of the pool, by index.
    ctxs: Vec<Ctx>,
}

#[cfg(feature = "parallel")]
impl Pool {
    fn new(threads: usize, ctx: impl Fn() -> Result<Ctx, BatchError>) -> Result<Pool, BatchError> {
        // 0 means rayon's global pool, one thread per core.
        let pool = (threads > 0).then(|| rayon::ThreadPoolBuilder::new().num_threads(threads).build().ok()).flatten();
        let n = pool.as_ref().map_or_else(rayon::current_num_threads, rayon::ThreadPool::current_num_threads);
        let ctxs = (0..n).map(|_| ctx()).collect::<Result<_, _>>()?;
        Ok(Pool { pool, ctxs })
    }

    /// Scores a chunk; a job runs with its thread's copy of the rules (or
    /// with `ctx`, on a thread not of the pool).
    fn map(&self, ctx: &Ctx, chunk: &Chunk) -> Vec<firm::Done> {
        use rayon::prelude::*;
        let ctx_here = || rayon::current_thread_index().and_then(|i| self.ctxs.get(i)).unwrap_or(ctx);
        let work = || chunk.jobs.par_iter().with_min_len(16).map(|j| ctx_here().run(j, &chunk.rows)).collect();
        match &self.pool {
            Some(pool) => pool.install(work),
            None => work(),
        }
    }
}

/// No worker threads: everything on the caller's thread.
#[cfg(not(feature = "parallel"))]
struct Pool;

#[cfg(not(feature = "parallel"))]
impl Pool {
    fn new(_threads: usize, _ctx: impl Fn() -> Result<Ctx, BatchError>) -> Result<Pool, BatchError> {
        Ok(Pool)
    }

    fn map(&self, ctx: &Ctx, chunk: &Chunk) -> Vec<firm::Done> {
        chunk.jobs.iter().map(|j| ctx.run(j, &chunk.rows)).collect()
    }
}
