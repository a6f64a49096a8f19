//! Firms scored row by row, each row holding its lists nested: what a query
//! engine's function is handed, one batch at a time (DataFusion's
//! `safegrade_score`, a Spark task). Every input row gives one output row:
//! the results' columns as text, as a batch run writes them, or, for a firm
//! that cannot be scored, empty (null) results and why: the firm row's
//! reason code and the messages of its rejects. Nothing is remembered from
//! one row to the next, so a key repeated on another row is not seen; the
//! engine's query finds repeated keys where a batch run would reject them.

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, Fields, Schema};
use safegrade::batch::{BatchError, OutputFormat, Reject, RejectReason, Scorer};
use safegrade::Rules;

use crate::nested::{Chunk, Nested};
use crate::{list_names, Options};

/// The output column holding the firm row's reason code when the firm is
/// rejected.
pub const REJECT_REASON: &str = "reject_reason";
/// The output column holding the messages of a rejected firm's rejects.
pub const REJECT_MESSAGE: &str = "reject_message";

/// Scores firm rows of one schema; see the module documentation.
/// `Send + Sync`: an engine's partitions may share one.
pub struct FirmScorer {
    nested: Nested,
    scorer: Scorer,
    key_col: Option<usize>,
    fields: Fields,
}

impl FirmScorer {
    /// A scorer of rows of `schema` (the firm's columns, and each list the
    /// rules read as a `List<Struct>` column named as the list), named
    /// `name` in messages. A column that does not fit the rules, or whose
    /// type cannot hold what they read from it, is the error a batch run
    /// would stop with.
    pub fn new(name: &str, rules: &Rules, opts: &Options, schema: &Schema) -> Result<FirmScorer, BatchError> {
        let mut cfg = opts.batch.clone();
        cfg.format = OutputFormat::Cells;
        cfg.rejects_format = OutputFormat::Cells;
        let nested = Nested::split(name, schema, &list_names(rules), &cfg.key);
        let scorer = nested.scorer(rules, &cfg, schema)?;
        nested.check_types(&scorer, schema, opts.floats)?;
        let key_col = nested.key_column(&scorer);
        let mut fields: Vec<Field> = scorer.columns().iter().map(|n| Field::new(n, DataType::Utf8, true)).collect();
        for column in [REJECT_REASON, REJECT_MESSAGE] {
            if fields.iter().any(|f| f.name() == column) {
                let message = format!("the column `{column}` of the output would be there twice: rename it");
                return Err(BatchError::new(name, Some(1), message));
            }
            fields.push(Field::new(column, DataType::Utf8, true));
        }
        Ok(FirmScorer { nested, scorer, key_col, fields: fields.into() })
    }

    /// The output's columns: the results', then [`REJECT_REASON`] and
    /// [`REJECT_MESSAGE`]; all text, all nullable.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Scores every row of `batch`, in order. Rows are numbered from
    /// `first_line` in messages. A list record whose own key field differs
    /// from its firm's key is an error naming the row.
    pub fn score(&self, batch: &RecordBatch, first_line: u64) -> Result<StructArray, BatchError> {
        let rows = batch.num_rows();
        let chunk = Chunk::new(&self.nested, batch, self.key_col);
        let mut columns: Vec<StringBuilder> = self.fields.iter().map(|_| StringBuilder::new()).collect();
        let results = self.fields.len() - 2;
        for row in 0..rows {
            let firm = chunk.firm(&self.nested, row, first_line + row as u64)?;
            match self.scorer.score(&firm).result() {
                Ok(result) => {
                    let mut cells = Cells(&result.row);
                    for column in &mut columns[..results] {
                        column.append_value(cells.next().unwrap_or_default());
                    }
                    columns[results].append_null();
                    columns[results + 1].append_null();
                }
                Err(rejects) => {
                    for column in &mut columns[..results] {
                        column.append_null();
                    }
                    columns[results].append_value(rejects[0].reason().code());
                    columns[results + 1].append_value(messages(rejects));
                }
            }
        }
        let arrays: Vec<ArrayRef> = columns.iter_mut().map(|c| Arc::new(c.finish()) as ArrayRef).collect();
        Ok(StructArray::new(self.fields.clone(), arrays, None))
    }
}

/// A rejected firm's rejects as one text: each `column: message` (a
/// record's after its list's name), the firm's first, separated by `; `;
/// its good records, rejected only with it, are left out.
fn messages(rejects: &[Reject]) -> String {
    let mut out = String::new();
    for r in rejects.iter().filter(|r| r.reason() != RejectReason::FirmRejected) {
        if !out.is_empty() {
            out.push_str("; ");
        }
        if r.list().is_some() {
            let list = r.file().rsplit_once('#').map_or(r.file(), |(_, l)| l);
            out.push_str(list);
            out.push_str(": ");
        }
        if !r.column().is_empty() {
            out.push_str(r.column());
            out.push_str(": ");
        }
        out.push_str(r.message());
    }
    out
}

/// The cells of a results row written as [`OutputFormat::Cells`]: each
/// its length (4 bytes, little-endian), then its UTF-8 text.
struct Cells<'a>(&'a [u8]);

impl<'a> Iterator for Cells<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        let (text, rest) = rest.split_at_checked(len)?;
        self.0 = rest;
        // The scorer writes its cells from text.
        std::str::from_utf8(text).ok()
    }
}
