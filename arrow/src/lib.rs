//! safegrade over Apache Arrow: every firm of a table of record batches
//! scored through a rule set or scheme, with the results and the rejects
//! given back as record batches, and the same accounting ([`Summary`]) as
//! `safegrade score` gives for the same data as CSV.
//!
//! # Brief overview
//!
//! - [`score`] takes the firm table and, for each list (accidents,
//!   penalties …), either a table of its records joined by the key
//!   (**keyed**: streamed when the tables are sorted by key,
//!   [`BatchConfig::sorted`], else grouped in memory), or nothing, when the
//!   firm table holds the list as a `List<Struct>` column named as the
//!   list (**nested**). Both give the same results.
//! - Keyed tables run through the library's batch run ([`score_rows`])
//!   as row sources ([`rows`]); nested lists through its firm-by-firm
//!   [`Scorer`]. Nothing is scored a second way: rejects, reasons, line
//!   numbers (a table's rows are numbered as a spreadsheet's, the first
//!   row line 2) and counts are the library's.
//! - Column types map to the rules' inputs exactly: integers, decimals
//!   (Decimal128/256), dates (Date32/Date64, or text), booleans, text and
//!   dictionary-encoded text; a null is a missing answer. Floats are
//!   refused unless [`Options::floats`] allows them. A column whose type
//!   cannot hold an input's values stops the run before any row is read,
//!   naming the column, its type and the input.
//! - The results' columns are those of the CSV results, as text (scores
//!   as their exact decimal text); the rejects' are the rejects file's
//!   (`line` a `UInt64`). [`score_to`] streams both to consumers instead
//!   of keeping them ([`CellSink`]), for writing a Parquet file as it goes.
//! - [`FirmScorer`] scores firm rows one batch at a time, each row to one
//!   output row (its results, or why it was rejected), for a query
//!   engine's function; it remembers nothing between rows.
//!
//! [`score_rows`]: safegrade::batch::score_rows

mod cell;
mod firm;
mod nested;
mod rows;
mod sink;
pub mod typed;

use std::collections::BTreeSet;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::SchemaRef;
use safegrade::batch::{self, BatchConfig, BatchError, Header, ListRows, OutputFormat, RowSource, Scorer, Summary};
use safegrade::Rules;

pub use firm::{FirmScorer, REJECT_MESSAGE, REJECT_REASON};
pub use sink::{reject_schema, CellSink, Consumer, REJECT_COLUMNS};

use nested::Nested;

/// A table: record batches of one schema.
pub type Batches = Box<dyn RecordBatchReader + Send>;

/// How a table is scored.
#[derive(Clone, Debug)]
pub struct Options {
    /// The run's configuration (as-of date, key, carried columns, sorted
    /// join, threads …); its output formats are set by the scoring.
    pub batch: BatchConfig,
    /// Read float columns, each by its shortest text (0.1f64 as `0.1`);
    /// otherwise a float column read by the rules stops the run.
    pub floats: bool,
    /// Rows per result and reject batch.
    pub batch_rows: usize,
}

impl Options {
    /// The defaults of a run as of `as_of`: no floats, 65,536 rows a batch.
    pub fn new(as_of: chrono::NaiveDate) -> Options {
        Options { batch: BatchConfig::new(as_of), floats: false, batch_rows: 1 << 16 }
    }
}

/// A table with its name in messages and rejects (a file name).
pub struct Named {
    /// The name.
    pub name: String,
    /// Its batches.
    pub batches: Batches,
}

impl Named {
    /// A table named `name`.
    pub fn new(name: impl Into<String>, batches: Batches) -> Named {
        Named { name: name.into(), batches }
    }
}

/// What scoring a table gave.
pub struct Scored {
    /// One row per scored firm, in input order.
    pub results: Vec<RecordBatch>,
    /// The results' schema (known even when no firm was scored).
    pub results_schema: SchemaRef,
    /// One row per rejected row (firm or record).
    pub rejects: Vec<RecordBatch>,
    /// The rejects' schema.
    pub rejects_schema: SchemaRef,
    /// The accounting.
    pub summary: Summary,
}

/// Scores the firm table `firms` (named `firms` in rejects) with the list
/// tables `lists` ((list name, table), each named as its list); see the
/// crate documentation.
pub fn score(
    rules: &Rules,
    opts: &Options,
    firms: Batches,
    lists: Vec<(String, Batches)>,
) -> Result<Scored, BatchError> {
    let lists = lists.into_iter().map(|(l, b)| (l.clone(), Named::new(l, b))).collect();
    score_named(rules, opts, Named::new("firms", firms), lists)
}

/// [`score`] with the tables' names given.
pub fn score_named(
    rules: &Rules,
    opts: &Options,
    firms: Named,
    lists: Vec<(String, Named)>,
) -> Result<Scored, BatchError> {
    let (mut results, mut rejects) = (Vec::new(), Vec::new());
    let names = columns(rules, opts, &firms, &lists)?;
    let results_schema;
    let summary = {
        let mut out = CellSink::results(
            &names,
            opts.batch_rows,
            Box::new(|b| {
                results.push(b);
                Ok(())
            }),
        );
        let mut rej = CellSink::rejects(
            opts.batch_rows,
            Box::new(|b| {
                rejects.push(b);
                Ok(())
            }),
        );
        results_schema = out.schema();
        let summary = score_to(rules, opts, firms, lists, &mut out, &mut rej)?;
        let done = |e: std::io::Error| BatchError::new("results", None, e.to_string());
        out.finish().map_err(done)?;
        rej.finish().map_err(done)?;
        summary
    };
    Ok(Scored { results, results_schema, rejects, rejects_schema: reject_schema(), summary })
}

/// The results' column names of a run over these tables.
pub fn columns(
    rules: &Rules,
    opts: &Options,
    firms: &Named,
    lists: &[(String, Named)],
) -> Result<Vec<String>, BatchError> {
    let cfg = &opts.batch;
    let schema = firms.batches.schema();
    let scorer = match Nested::of(&firms.name, &schema, &list_names(rules), &cfg.key) {
        Some(nested) => nested.scorer(rules, cfg, &schema)?,
        None => {
            let header = |t: &Named| Header {
                file: t.name.clone(),
                line: 1,
                names: t.batches.schema().fields().iter().map(|f| f.name().clone()).collect(),
            };
            let headers: Vec<(&str, Header)> = lists.iter().map(|(l, t)| (l.as_str(), header(t))).collect();
            let headers: Vec<(&str, &Header)> = headers.iter().map(|(l, h)| (*l, h)).collect();
            Scorer::new(rules, cfg, &header(firms), &headers)?
        }
    };
    Ok(scorer.columns())
}

/// Scores as [`score_named`] does, writing the results and rejects to
/// sinks (built with [`columns`]'s names) that hand on each batch.
pub fn score_to(
    rules: &Rules,
    opts: &Options,
    firms: Named,
    lists: Vec<(String, Named)>,
    out: &mut CellSink<'_>,
    rejects: &mut CellSink<'_>,
) -> Result<Summary, BatchError> {
    let mut cfg = opts.batch.clone();
    cfg.format = OutputFormat::Cells;
    cfg.rejects_format = OutputFormat::Cells;
    let schema = firms.batches.schema();
    if let Some(nested) = Nested::of(&firms.name, &schema, &list_names(rules), &cfg.key) {
        if let Some((list, _)) = lists.first() {
            let message = format!(
                "the lists are nested in the firm table, and `{list}` is given as a table too: give every list one way"
            );
            return Err(BatchError::new(&firms.name, None, message));
        }
        let scorer = nested.scorer(rules, &cfg, &schema)?;
        nested.check_types(&scorer, &schema, opts.floats)?;
        return nested.run(&scorer, &cfg, firms.batches, out, rejects);
    }
    let lists =
        lists.into_iter().map(|(list, t)| ListRows { list, rows: rows(&t.name, t.batches, opts.floats) }).collect();
    batch::score_rows(rules, &cfg, rows(&firms.name, firms.batches, opts.floats), lists, out, rejects, &mut |_| {})
}

/// A table as a run's source of rows (for a run that mixes tables with
/// CSV files, or for [`batch::compare_rows`]): its columns' types are
/// checked against their uses when the run maps its header.
pub fn rows(name: &str, batches: Batches, floats: bool) -> Box<dyn RowSource> {
    Box::new(rows::BatchRows::new(name, batches, floats))
}

/// Every list the rules (each step of a scheme) declare.
fn list_names(rules: &Rules) -> Vec<String> {
    let mut names = BTreeSet::new();
    match rules {
        Rules::Set(r) => names.extend(r.schema().lists.into_iter().map(|l| l.name)),
        Rules::Scheme(s) => {
            for (_, r) in s.steps() {
                names.extend(r.schema().lists.into_iter().map(|l| l.name));
            }
        }
    }
    names.into_iter().collect()
}
