//! Batch scoring: every firm of a CSV export, or of any other source of
//! rows, through a rule set or scheme, with list files (accidents,
//! penalties …) joined by the firm's key.
//!
//! # Brief overview
//!
//! - [`score`] reads a firm file and any list files ([`Source`]s, any
//!   `Read`), evaluates every firm, and writes one result row per scored
//!   firm, in input order, to any `Write` (CSV or JSON lines, see
//!   [`OutputFormat`]). Rows that cannot be scored go to the rejects writer
//!   as CSV (`file,line,column,key,reason,reason_code`), never dropped.
//! - [`score_rows`] does the same for sources of another format: a
//!   [`RowSource`] gives a [`Header`] and rows of text cells, each at a
//!   line (a row number), and the join, the checks, the rejects, the
//!   accounting and the output are those of [`score`], which reads CSV
//!   through a `RowSource` of its own ([`csv_rows`], for a run that mixes
//!   CSV files with other sources). A cell over the field limit stops a
//!   run whatever its source.
//! - [`Scorer`] scores one firm at a time, for a reader that has each
//!   firm's list records at hand (nested in the firm's row): a
//!   [`FirmRows`] in, a [`Scoring`] out, holding the [`FirmResult`] or the
//!   [`Reject`]s, and counted in a [`Summary`] with [`Summary::count`];
//!   [`SeenKeys`] rejects a key met twice.
//! - [`compare`] scores the same firms under two rule versions (or two
//!   as-of dates) and writes the firms whose grade moves, with the items
//!   that differ; the [`Summary`] holds the grade-migration matrix.
//!   [`compare_rows`] does the same from row sources.
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
//! # Scoring firm by firm
//!
//! ```
//! use safegrade::batch::{BatchConfig, FirmRows, Header, Scorer, Summary};
//!
//! let rules = r#"
//! [ruleset]
//! id = "demo"
//! name = "示例"
//! version = "1"
//! [inputs.staff]
//! type = "integer"
//! label = "从业人数"
//! [lists.visits]
//! label = "检查"
//! [lists.visits.fields.day]
//! type = "date"
//! label = "日期"
//! [[items]]
//! id = "visits"
//! label = "检查次数"
//! points = "-5 * count(visits)"
//! [score]
//! base = "100"
//! [[grades]]
//! id = "good"
//! label = "良好"
//! min = 90
//! [[grades]]
//! id = "poor"
//! label = "较差"
//! below = 90
//! "#;
//! let no_files = |p: &str| Err(format!("no file {p}"));
//! let rules = safegrade::load_str("demo.toml", rules, &no_files).rules.unwrap();
//! let cfg = BatchConfig { key: "id".into(), ..BatchConfig::new(chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()) };
//! let header = |file: &str, names: &[&str]| Header {
//!     file: file.into(),
//!     line: 1,
//!     names: names.iter().map(|n| n.to_string()).collect(),
//! };
//! let (firms, visits) = (header("firms", &["id", "staff"]), header("visits", &["id", "day"]));
//! let scorer = Scorer::new(&rules, &cfg, &firms, &[("visits", &visits)]).unwrap();
//! let mut summary = Summary::new(&scorer);
//!
//! // F1 had three visits.
//! let mut f1 = FirmRows::new(2, ["F1", "12"]);
//! for (line, day) in [(2, "2025-01-10"), (3, "2025-03-02"), (4, "2026-02-01")] {
//!     f1.record(0, line, ["F1", day]);
//! }
//! let scored = scorer.score(&f1);
//! summary.count(&scored);
//! let result = scored.result().unwrap();
//! assert_eq!((result.steps[0].score.to_string(), result.steps[0].grade.as_str()), ("85".into(), "poor"));
//! assert_eq!(result.row, b"F1,85,poor\n");
//!
//! // F2's staff is not a number: it is rejected, and its visit with it.
//! let mut f2 = FirmRows::new(3, ["F2", "many"]);
//! f2.record(0, 5, ["F2", "2025-05-05"]);
//! let rejected = scorer.score(&f2);
//! summary.count(&rejected);
//! let rejects = rejected.result().unwrap_err();
//! let reasons: Vec<&str> = rejects.iter().map(|r| r.reason().code()).collect();
//! assert_eq!(reasons, ["bad_value", "firm_rejected"]);
//! assert_eq!((rejects[0].line(), rejects[0].column()), (3, "staff"));
//!
//! summary.finish();
//! assert_eq!((summary.firms.rows, summary.firms.used, summary.firms.rejected), (2, 1, 1));
//! assert_eq!((summary.lists[0].rows, summary.lists[0].used, summary.lists[0].rejected), (4, 3, 1));
//! assert!(summary.balanced());
//! ```
//!
//! # Limits
//!
//! A CSV field may hold at most [`BatchConfig::max_field_bytes`] (1 MiB by
//! default) and a CSV row at most [`BatchConfig::max_row_bytes`] (16 MiB); the
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

mod check;
mod chunk;
mod columns;
mod config;
#[cfg(feature = "parallel")]
mod csv_blocks;
mod csv_rows;
mod error;
mod firm;
mod join;
mod layout;
mod packed;
mod reject;
mod result;
mod rows;
mod scorer;
mod source;
mod step;
mod store;
mod stream;
mod summary;
mod template;
mod write;

#[cfg(test)]
mod tests;

use std::io::Write;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::rules::Rules;
use chunk::Chunk;
use csv_rows::{CsvRows, Limits};
use firm::Ctx;
use join::Feeder;
use packed::Packed;
use rows::Input;

pub use columns::{ColumnUse, InputKind};
pub use config::{
    BatchConfig, OutputFormat, DEFAULT_MAX_COLUMNS, DEFAULT_MAX_FIELD_BYTES, DEFAULT_MAX_ROW_BYTES, MAX_CHUNK_SIZE,
};
pub use error::{BatchError, BatchErrorKind};
pub use reject::{Reject, RejectReason};
pub use result::{FirmResult, StepResult};
pub use rows::{Header, Lines, ListRows, RowCells, RowSource, Spawn};
pub use scorer::{FirmRows, Scorer, Scoring, SeenKeys};
pub use source::{CellDecoder, ListSource, Source, UTF_8};
pub use summary::{Breakdown, FileCount, GradeCount, ItemCount, Migration, StepSummary, Summary};
pub use template::{template, GuideRow, Lang, Template};

/// Scores every firm of CSV sources; see the module documentation.
pub fn score(
    rules: &Rules,
    cfg: &BatchConfig,
    firms: Source,
    lists: Vec<ListSource>,
    out: &mut dyn Write,
    rejects: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, BatchError> {
    run(&[(rules, cfg.as_of)], cfg, csv_rows(firms, cfg), csv_lists(lists, cfg), out, rejects, progress)
}

/// Scores every firm of sources of rows of any format, as [`score`] does
/// those of CSV files: the same join (streamed under
/// [`BatchConfig::sorted`], else grouped in memory), checks, rejects,
/// accounting and output. `progress` is told the firm rows read so far.
pub fn score_rows(
    rules: &Rules,
    cfg: &BatchConfig,
    firms: Box<dyn RowSource>,
    lists: Vec<ListRows>,
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
    let (firms, lists) = (csv_rows(firms, cfg), csv_lists(lists, cfg));
    compare_rows(old, new, new_as_of, cfg, firms, lists, out, rejects, progress)
}

/// Scores every firm of sources of rows of any format under `old` and
/// `new`, as [`compare`] does those of CSV files.
#[allow(clippy::too_many_arguments)] // The two rule sides plus the same inputs as `score_rows`.
pub fn compare_rows(
    old: &Rules,
    new: &Rules,
    new_as_of: NaiveDate,
    cfg: &BatchConfig,
    firms: Box<dyn RowSource>,
    lists: Vec<ListRows>,
    out: &mut dyn Write,
    rejects: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, BatchError> {
    run(&[(old, cfg.as_of), (new, new_as_of)], cfg, firms, lists, out, rejects, progress)
}

/// The rows of a CSV source, read within the configured limits (field,
/// row and column bytes, quoting, line ends, UTF-8 or its
/// [`CellDecoder`]): what [`score`] reads each file through, for a run
/// that mixes CSV files with sources of another format in
/// [`score_rows`].
pub fn csv_rows(src: Source, cfg: &BatchConfig) -> Box<dyn RowSource> {
    let limits = Limits { field: cfg.max_field_bytes, row: cfg.max_row_bytes, columns: cfg.max_columns };
    // A UTF-8 file is parsed in blocks on the run's workers; one whose
    // cells are decoded is split into rows as it is decoded, on one thread.
    #[cfg(feature = "parallel")]
    if src.cells.is_none() {
        return Box::new(csv_blocks::CsvBlocks::new(src, limits));
    }
    Box::new(CsvRows::new(src, limits))
}

/// Reads every row of a source as a run reads it (its header, the column
/// and field limits) and counts them: for checking and timing a
/// [`RowSource`].
pub fn read_rows(source: Box<dyn RowSource>, cfg: &BatchConfig) -> Result<u64, BatchError> {
    let (mut input, _) = Input::open(source, cfg.max_columns, cfg.max_field_bytes)?;
    let mut cells = Packed::default();
    while input.next(&mut cells)?.is_some() {
        cells.clear();
    }
    Ok(input.rows_read)
}

/// Each list file's rows.
fn csv_lists(lists: Vec<ListSource>, cfg: &BatchConfig) -> Vec<ListRows> {
    lists.into_iter().map(|l| ListRows { list: l.list, rows: csv_rows(l.source, cfg) }).collect()
}

fn run(
    rules: &[(&Rules, NaiveDate)],
    cfg: &BatchConfig,
    firms: Box<dyn RowSource>,
    lists: Vec<ListRows>,
    out: &mut dyn Write,
    rejects: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, BatchError> {
    let (firm_rows, firm_header) = Input::open(firms, cfg.max_columns, cfg.max_field_bytes)?;
    let mut list_headers = Vec::new();
    let mut list_rows = Vec::new();
    for ls in lists {
        let (rows, header) = Input::open(ls.rows, cfg.max_columns, cfg.max_field_bytes)?;
        list_headers.push((ls.list, header));
        list_rows.push(rows);
    }
    let headers: Vec<(&str, &Header)> = list_headers.iter().map(|(list, h)| (list.as_str(), h)).collect();
    let scorer = Scorer::build(rules, cfg, &firm_header, &headers)?;
    let (mut firm_rows, mut list_rows) = (firm_rows, list_rows);
    firm_rows.check_columns(&scorer.firm_columns())?;
    for (l, rows) in list_rows.iter_mut().enumerate() {
        rows.check_columns(&scorer.list_columns(l).unwrap_or_default())?;
    }
    let ctx = &scorer.ctx;
    let mut summary = Summary::start(ctx);
    let pool = Pool::new(cfg.threads);
    if let Some(spawn) = pool.spawner() {
        firm_rows.read_ahead(Arc::clone(&spawn));
        for rows in &mut list_rows {
            rows.read_ahead(Arc::clone(&spawn));
        }
    }
    let write_err = |what: &str, e: std::io::Error| BatchError::new(what, None, format!("cannot write: {e}"));
    out.write_all(&scorer.header()).map_err(|e| write_err("output", e))?;
    rejects.write_all(&scorer.rejects_header()).map_err(|e| write_err("rejects", e))?;

    let lists =
        list_rows.into_iter().zip(&ctx.lists).zip(&scorer.caps).map(|((rows, l), &cap)| (rows, l, cap)).collect();
    let mut feeder = Feeder::new(firm_rows, &ctx.firm, lists, cfg);

    // Kept from chunk to chunk: freshly grown megabyte buffers cost page faults.
    let (mut buf, mut rbuf) = (Vec::new(), Vec::new());
    let mut sink = |chunk: &Chunk, parts: Vec<Part>, summary: &mut Summary| -> Result<(), BatchError> {
        buf.clear();
        rbuf.clear();
        let mut n_firms = 0;
        let done = parts.into_iter().flat_map(|part| {
            buf.extend_from_slice(&part.rows);
            part.done
        });
        for (job, d) in chunk.jobs.iter().zip(done) {
            for r in &job.pre {
                r.write(scorer.rejects_format, &mut rbuf);
                summary.count_reject(r);
            }
            if job.firm.is_some() {
                n_firms += 1;
            }
            for r in &d.rejects {
                r.write(scorer.rejects_format, &mut rbuf);
                summary.count_reject(r);
            }
            if let Some(Err(firm)) = &job.firm {
                for (l, lines) in &job.overflow {
                    for &line in lines {
                        let file = &scorer.list_files[*l];
                        let r = Reject::firm_rejected(file, *l, line, &firm.key, &firm.file, firm.line);
                        r.write(scorer.rejects_format, &mut rbuf);
                        summary.count_reject(&r);
                        if rbuf.len() >= 1 << 20 {
                            rejects.write_all(&rbuf).map_err(|e| write_err("rejects", e))?;
                            rbuf.clear();
                        }
                    }
                }
            }
            if let Some(scored) = d.scored {
                summary.count_scored(scored);
            }
        }
        out.write_all(&buf).map_err(|e| write_err("output", e))?;
        rejects.write_all(&rbuf).map_err(|e| write_err("rejects", e))?;
        summary.firms.rows += n_firms;
        progress(summary.firms.rows);
        Ok(())
    };

    let list_read = drive(&mut feeder, &pool, ctx, &mut summary, &mut sink)?;
    summary.could_stream = feeder.in_key_order();
    for (i, n) in list_read.into_iter().enumerate() {
        summary.lists[i].rows = n;
    }
    out.flush().map_err(|e| write_err("output", e))?;
    rejects.flush().map_err(|e| write_err("rejects", e))?;
    summary.finish();
    Ok(summary)
}

/// Takes each scored chunk of jobs, in order: writes and counts them.
type Sink<'a> = dyn FnMut(&Chunk, Vec<Part>, &mut Summary) -> Result<(), BatchError> + 'a;

/// What a run of consecutive jobs of a chunk gave: each job's result, and
/// their result rows in one buffer.
struct Part {
    done: Vec<firm::Done>,
    rows: Vec<u8>,
}

/// The jobs a worker scores into one [`Part`].
#[cfg(feature = "parallel")]
const PART_JOBS: usize = 64;

/// Scores consecutive jobs into a part.
fn score_part(ctx: &Ctx, jobs: &[chunk::Job], rows: &Packed) -> Part {
    let mut out = Vec::with_capacity(jobs.len() * firm::OUT_ROW_BYTES);
    let done = jobs.iter().map(|j| ctx.run(j, rows, &mut out)).collect();
    Part { done, rows: out }
}

/// The most buffer space a written chunk may hold to be given back to the
/// reader (a chunk of 4,096 usual firms holds about 6 MB).
#[cfg(feature = "parallel")]
const RECYCLED_CHUNK_BYTES: usize = 64 << 20;

/// The chunks a run reads into and passes on, reused: more than are ever
/// in flight at once (one being read, two sent to the scorer, one scored,
/// two sent to the writer, one written).
#[cfg(feature = "parallel")]
const CHUNKS: usize = 8;

/// A scored chunk: the jobs and what each gave.
#[cfg(feature = "parallel")]
type ScoredChunk = (Chunk, Vec<Part>);

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
        let (to_reader, from_writer) = sync_channel::<Chunk>(CHUNKS);
        let named = |name: &str| std::thread::Builder::new().name(name.into());
        let reader = named("sg-read")
            .spawn_scoped(scope, move || {
                let mut made = 0;
                loop {
                    // Once all are made, a written chunk is waited for: a
                    // new one would grow its buffers anew.
                    let written = if made < CHUNKS { from_writer.try_recv().ok() } else { from_writer.recv().ok() };
                    let chunk = written.unwrap_or_else(|| {
                        made += 1;
                        Chunk::default()
                    });
                    let chunk = feeder.next_chunk(chunk);
                    let stop = chunk.as_ref().map_or(true, |c| c.jobs.is_empty());
                    if to_scorer.send(chunk).is_err() || stop {
                        break;
                    }
                }
                feeder.list_rows_read()
            })
            .map_err(no_thread)?;
        let scorer = named("sg-score")
            .spawn_scoped(scope, move || {
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
            })
            .map_err(no_thread)?;
        let mut res = Ok(());
        for scored in &from_scorer {
            match scored.and_then(|(chunk, done)| sink(&chunk, done, summary).map(|()| chunk)) {
                Ok(mut chunk) => {
                    chunk.clear();
                    // A chunk of unusually long rows is freed, not kept for
                    // the rest of the run, and an empty one goes back instead.
                    if chunk.rows.capacity() > RECYCLED_CHUNK_BYTES {
                        chunk = Chunk::default();
                    }
                    // The reader may have stopped.
                    let _ = to_reader.try_send(chunk);
                }
                Err(e) => {
                    res = Err(e);
                    break;
                }
            }
        }
        // Dropping the receiver stops the scorer, which stops the reader.
        drop(from_scorer);
        drop(to_reader);
        let scored = scorer.join().map_err(|panic| BatchError::internal("scorer", &*panic));
        let read = reader.join().map_err(|panic| BatchError::internal("reader", &*panic));
        let (list_rows_read, ()) = (read?, scored?);
        res.map(|()| list_rows_read)
    })
}

/// The error of a thread that cannot be started.
#[cfg(feature = "parallel")]
fn no_thread(e: std::io::Error) -> BatchError {
    BatchError::new("batch run", None, format!("cannot start a thread: {e}"))
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
    Ok(feeder.list_rows_read())
}

/// The worker threads. They share one copy of the rules: evaluating a firm
/// writes nothing the rules hold, not even a reference count. They also
/// parse the blocks of the CSV files ([`RowSource::read_ahead`]).
#[cfg(feature = "parallel")]
struct Pool {
    /// None: rayon's global pool (a pool of our own could not be started).
    pool: Option<Arc<rayon::ThreadPool>>,
}

#[cfg(feature = "parallel")]
impl Pool {
    fn new(threads: usize) -> Pool {
        // 0 means one thread per core, as rayon chooses.
        let builder = rayon::ThreadPoolBuilder::new().num_threads(threads).thread_name(|i| format!("sg-work-{i}"));
        Pool { pool: builder.build().ok().map(Arc::new) }
    }

    /// Runs jobs on the workers.
    fn spawner(&self) -> Option<Spawn> {
        Some(match &self.pool {
            Some(pool) => {
                let pool = Arc::clone(pool);
                Arc::new(move |job| pool.spawn(job))
            }
            None => Arc::new(rayon::spawn),
        })
    }

    /// Scores a chunk.
    fn map(&self, ctx: &Ctx, chunk: &Chunk) -> Vec<Part> {
        use rayon::prelude::*;
        let work = || chunk.jobs.par_chunks(PART_JOBS).map(|jobs| score_part(ctx, jobs, &chunk.rows)).collect();
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
    fn new(_threads: usize) -> Pool {
        Pool
    }

    /// No workers to lend.
    fn spawner(&self) -> Option<Spawn> {
        None
    }

    fn map(&self, ctx: &Ctx, chunk: &Chunk) -> Vec<Part> {
        vec![score_part(ctx, &chunk.jobs, &chunk.rows)]
    }
}
