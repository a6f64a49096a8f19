//! A stream of record batches as a run's source of rows
//! ([`RowSource`]): the schema's field names are the header, each row's
//! cells are its values as text ([`Cells`]), and rows are numbered as
//! lines the way a spreadsheet numbers them (the header is line 1, the
//! first row line 2), so rejects name a row as `line - 1` from one.

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use safegrade::batch::{BatchError, ColumnUse, Header, Lines, RowCells, RowSource};

use crate::cell::{self, Cells};

/// Batches of one source, a name for messages, and the row being read.
pub(crate) struct BatchRows {
    file: String,
    schema: SchemaRef,
    /// Read float columns by their shortest text.
    floats: bool,
    batches: Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>,
    /// The batch being read, its columns' cells, and the next row in it.
    current: Option<(RecordBatch, Vec<Cells>, usize)>,
    /// The line of the next row.
    line: u64,
    cell: String,
}

impl BatchRows {
    /// The rows of `reader`, named `file` in messages.
    pub(crate) fn new(file: &str, reader: Box<dyn RecordBatchReader + Send>, floats: bool) -> BatchRows {
        let schema = reader.schema();
        BatchRows { file: file.into(), schema, floats, batches: reader, current: None, line: 2, cell: String::new() }
    }
}

impl RowSource for BatchRows {
    fn header(&mut self) -> Result<Header, BatchError> {
        let names = self.schema.fields().iter().map(|f| f.name().clone()).collect();
        Ok(Header { file: self.file.clone(), line: 1, names })
    }

    fn check_columns(&mut self, uses: &[ColumnUse]) -> Result<(), BatchError> {
        for (f, usage) in self.schema.fields().iter().zip(uses) {
            cell::check(f.name(), f.data_type(), usage, self.floats)
                .map_err(|m| BatchError::new(&self.file, Some(1), m))?;
        }
        Ok(())
    }

    fn next_row(&mut self, cells: &mut RowCells<'_>) -> Result<Option<Lines>, BatchError> {
        loop {
            if let Some((batch, columns, row)) = &mut self.current {
                if *row < batch.num_rows() {
                    for c in columns.iter() {
                        cells.push(c.cell(*row, &mut self.cell));
                    }
                    *row += 1;
                    let line = self.line;
                    self.line += 1;
                    return Ok(Some(Lines::one(line)));
                }
            }
            match self.batches.next() {
                None => return Ok(None),
                Some(Err(e)) => return Err(read_error(&self.file, self.line, &e)),
                Some(Ok(batch)) => {
                    let columns = batch.columns().iter().map(Cells::new).collect();
                    self.current = Some((batch, columns, 0));
                }
            }
        }
    }
}

/// A batch that cannot be read, before the row on `line`.
pub(crate) fn read_error(file: &str, line: u64, e: &ArrowError) -> BatchError {
    BatchError::new(file, Some(line), format!("the data cannot be read: {e}"))
}
