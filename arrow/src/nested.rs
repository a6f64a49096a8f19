//! Lists nested in the firm table: a `List<Struct>` column per list (what
//! `array_agg(named_struct(…))`, `collect_list(struct(…))` or Polars'
//! `group_by().agg(pl.struct(…))` give), named as the list is in the rules.
//! Each firm row with its records is scored through the library's
//! firm-by-firm [`Scorer`], in parallel chunks, counted and written in
//! input order: the same results, rejects and accounting as the same data
//! given as separate tables.
//!
//! A record's cells are its struct's fields, by name, after the firm's key;
//! a struct field named as the key must hold the firm's key. Records are
//! named `FILE#LIST` in rejects and messages, at their firm's line.

use std::io::Write;
use std::ops::Range;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, Schema};
use rayon::prelude::*;
use safegrade::batch::{BatchConfig, BatchError, FirmRows, Header, OutputFormat, Scorer, Scoring, SeenKeys, Summary};
use safegrade::Rules;

use crate::cell::{self, Cells};
use crate::rows::read_error;

/// Firms per unit of parallel work.
const CHUNK: usize = 4096;

/// A nested list: its name, its column, and its struct's fields (their
/// indices and names; a field named as the key is left out).
type ListColumn = (String, usize, Vec<(usize, String)>);

/// Which columns of the firm table are lists, and the rest.
pub(crate) struct Nested {
    file: String,
    key: String,
    /// The firm table's columns that are not lists.
    firm: Vec<usize>,
    lists: Vec<ListColumn>,
    /// Per nested list: the index of the struct field named as the key.
    own_keys: Vec<Option<usize>>,
}

impl Nested {
    /// The nested lists of `schema` among `lists` (the rules' lists);
    /// `None` when it has none.
    pub(crate) fn of(file: &str, schema: &Schema, lists: &[String], key: &str) -> Option<Nested> {
        let nested = Nested::split(file, schema, lists, key);
        (!nested.lists.is_empty()).then_some(nested)
    }

    /// The columns of `schema` split into the firm's and its nested lists
    /// (possibly none).
    pub(crate) fn split(file: &str, schema: &Schema, lists: &[String], key: &str) -> Nested {
        let mut nested =
            Nested { file: file.into(), key: key.into(), firm: Vec::new(), lists: Vec::new(), own_keys: Vec::new() };
        for (i, f) in schema.fields().iter().enumerate() {
            let record = match f.data_type() {
                DataType::List(r) | DataType::LargeList(r) if lists.contains(f.name()) => r,
                _ => {
                    nested.firm.push(i);
                    continue;
                }
            };
            let DataType::Struct(fields) = record.data_type() else {
                nested.firm.push(i);
                continue;
            };
            let own_key = fields.iter().position(|r| r.name() == key);
            let fields =
                fields.iter().enumerate().filter(|(j, _)| Some(*j) != own_key).map(|(j, r)| (j, r.name().clone()));
            nested.lists.push((f.name().clone(), i, fields.collect()));
            nested.own_keys.push(own_key);
        }
        nested
    }

    /// A scorer of the firm table's columns without its lists, each list's
    /// header being the key, then the record's fields.
    pub(crate) fn scorer(&self, rules: &Rules, cfg: &BatchConfig, schema: &Schema) -> Result<Scorer, BatchError> {
        let names = self.firm.iter().map(|&i| schema.field(i).name().clone()).collect();
        let firm = Header { file: self.file.clone(), line: 1, names };
        let header = |list: &str, fields: &[(usize, String)]| {
            let names = std::iter::once(self.key.clone()).chain(fields.iter().map(|(_, n)| n.clone())).collect();
            Header { file: format!("{}#{list}", self.file), line: 1, names }
        };
        let lists: Vec<(&str, Header)> = self.lists.iter().map(|(l, _, f)| (l.as_str(), header(l, f))).collect();
        let lists: Vec<(&str, &Header)> = lists.iter().map(|(l, h)| (*l, h)).collect();
        Scorer::new(rules, cfg, &firm, &lists)
    }

    /// Checks the types of the firm table's columns and of the lists'
    /// fields against what the scorer reads from them.
    pub(crate) fn check_types(&self, scorer: &Scorer, schema: &Schema, floats: bool) -> Result<(), BatchError> {
        let fail = |file: &str, m: String| BatchError::new(file, Some(1), m);
        for (&i, usage) in self.firm.iter().zip(scorer.firm_columns()) {
            let f = schema.field(i);
            cell::check(f.name(), f.data_type(), &usage, floats).map_err(|m| fail(&self.file, m))?;
        }
        for (l, (list, col, fields)) in self.lists.iter().enumerate() {
            let uses = scorer.list_columns(l).unwrap_or_default();
            let file = format!("{}#{list}", self.file);
            let record = match schema.field(*col).data_type() {
                DataType::List(r) | DataType::LargeList(r) => r.data_type().clone(),
                other => other.clone(),
            };
            let DataType::Struct(record) = record else { continue };
            // The header is the key, then the fields: uses[0] is the key's.
            for ((j, name), usage) in fields.iter().zip(uses.iter().skip(1)) {
                cell::check(name, record[*j].data_type(), usage, floats).map_err(|m| fail(&file, m))?;
            }
        }
        Ok(())
    }

    /// Which of the firm's columns (those not lists) is the key.
    pub(crate) fn key_column(&self, scorer: &Scorer) -> Option<usize> {
        self.firm.iter().zip(scorer.firm_columns()).position(|(_, u)| u == safegrade::batch::ColumnUse::Key)
    }

    /// Scores every firm of `batches`, writing results and rejects as cells.
    pub(crate) fn run(
        &self,
        scorer: &Scorer,
        cfg: &BatchConfig,
        batches: Box<dyn RecordBatchReader + Send>,
        out: &mut dyn Write,
        rejects: &mut dyn Write,
    ) -> Result<Summary, BatchError> {
        let write_err = |what: &str, e: std::io::Error| BatchError::new(what, None, format!("cannot write: {e}"));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.threads.max(1))
            .build()
            .map_err(|e| BatchError::new(&self.file, None, format!("cannot start the worker threads: {e}")))?;
        let mut summary = Summary::new(scorer);
        let mut seen = SeenKeys::new();
        out.write_all(&scorer.header()).map_err(|e| write_err("results", e))?;
        let key_col = self.key_column(scorer);
        let mut line = 2u64;
        let (mut buf, mut rbuf) = (Vec::new(), Vec::new());
        for batch in batches {
            let batch = batch.map_err(|e| read_error(&self.file, line, &e))?;
            for start in (0..batch.num_rows()).step_by(CHUNK) {
                let len = CHUNK.min(batch.num_rows() - start);
                let chunk = Chunk::new(self, &batch.slice(start, len), key_col);
                let firms: Vec<FirmRows> = pool.install(|| {
                    (0..len)
                        .into_par_iter()
                        .with_min_len(64)
                        .map(|r| chunk.firm(self, r, line + r as u64))
                        .collect::<Result<Vec<_>, _>>()
                })?;
                let repeats: Vec<Option<Scoring>> = firms.iter().map(|f| seen.check(scorer, f)).collect();
                let scored: Vec<Scoring> = pool.install(|| {
                    firms.par_iter().zip(repeats).map(|(f, repeat)| repeat.unwrap_or_else(|| scorer.score(f))).collect()
                });
                buf.clear();
                rbuf.clear();
                for s in &scored {
                    summary.count(s);
                    match s.result() {
                        Ok(r) => buf.extend_from_slice(&r.row),
                        Err(rs) => rs.iter().for_each(|r| r.write(OutputFormat::Cells, &mut rbuf)),
                    }
                }
                out.write_all(&buf).map_err(|e| write_err("results", e))?;
                rejects.write_all(&rbuf).map_err(|e| write_err("rejects", e))?;
                line += len as u64;
            }
        }
        summary.finish();
        Ok(summary)
    }
}

/// One chunk of firm rows, its columns ready to read.
pub(crate) struct Chunk {
    firm: Vec<Cells>,
    key: Option<usize>,
    /// Per nested list: each row's record range, and the records' fields.
    lists: Vec<(ListRanges, Vec<Cells>, Option<Cells>)>,
}

/// Each row's range of records in a list column's values: the offsets of
/// the chunk's rows, less the first, since the values are sliced to the
/// chunk's records.
struct ListRanges {
    array: ArrayRef,
    offsets: Vec<usize>,
}

impl ListRanges {
    /// The ranges of `array`'s rows, and its records alone.
    fn new(array: ArrayRef) -> (ListRanges, ArrayRef) {
        let (offsets, values): (Vec<usize>, &ArrayRef) = match array.data_type() {
            DataType::List(_) => {
                let a = array.as_list::<i32>();
                (a.value_offsets().iter().map(|&o| o as usize).collect(), a.values())
            }
            _ => {
                let a = array.as_list::<i64>();
                (a.value_offsets().iter().map(|&o| o as usize).collect(), a.values())
            }
        };
        let (first, last) = (offsets.first().copied().unwrap_or(0), offsets.last().copied().unwrap_or(0));
        let records = values.slice(first, last - first);
        let offsets = offsets.iter().map(|o| o - first).collect();
        (ListRanges { array, offsets }, records)
    }

    fn range(&self, row: usize) -> Range<usize> {
        if self.array.is_null(row) {
            return 0..0;
        }
        self.offsets[row]..self.offsets[row + 1]
    }
}

impl Chunk {
    pub(crate) fn new(nested: &Nested, batch: &RecordBatch, key: Option<usize>) -> Chunk {
        let firm = nested.firm.iter().map(|&i| Cells::new(batch.column(i))).collect();
        let lists = nested
            .lists
            .iter()
            .zip(&nested.own_keys)
            .map(|((_, col, fields), own_key)| {
                let (ranges, values) = ListRanges::new(batch.column(*col).clone());
                let records = values.as_struct();
                let cells = fields.iter().map(|(j, _)| Cells::new(records.column(*j))).collect();
                let own = own_key.map(|j| Cells::new(records.column(j)));
                (ranges, cells, own)
            })
            .collect();
        Chunk { firm, key, lists }
    }

    /// Row `row`'s firm, on `line`, with its records.
    pub(crate) fn firm(&self, nested: &Nested, row: usize, line: u64) -> Result<FirmRows, BatchError> {
        // A row's cells go into one text, each at its range: no allocation per cell.
        let (mut text, mut scratch) = (String::new(), String::new());
        let mut ends: Vec<usize> = Vec::with_capacity(self.firm.len());
        for c in &self.firm {
            text.push_str(c.cell(row, &mut scratch));
            ends.push(text.len());
        }
        let key = self.key.and_then(|k| spans(&ends).nth(k)).map_or(String::new(), |r| text[r].to_owned());
        let mut firm = FirmRows::new(line, spans(&ends).map(|r| &text[r]));
        for (l, (ranges, fields, own_key)) in self.lists.iter().enumerate() {
            for (n, r) in ranges.range(row).enumerate() {
                if let Some(own) = own_key {
                    let k = own.cell(r, &mut scratch);
                    if !k.is_empty() && k != key {
                        let list = &nested.lists[l].0;
                        let m = format!("record {} of `{list}` has the key `{k}`, not its firm's (`{key}`)", n + 1);
                        return Err(BatchError::new(&nested.file, Some(line), m));
                    }
                }
                text.clear();
                ends.clear();
                text.push_str(&key);
                ends.push(text.len());
                for c in fields {
                    text.push_str(c.cell(r, &mut scratch));
                    ends.push(text.len());
                }
                firm.record(l, line, spans(&ends).map(|r| &text[r]));
            }
        }
        Ok(firm)
    }
}

/// The ranges of cells that end at `ends`, one after another.
fn spans(ends: &[usize]) -> impl Iterator<Item = Range<usize>> + '_ {
    std::iter::once(0).chain(ends.iter().copied()).zip(ends.iter().copied()).map(|(start, end)| start..end)
}
