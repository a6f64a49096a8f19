//! Results and rejects back into record batches: a [`Write`] that a run
//! writes its rows to as cells ([`OutputFormat::Cells`]) and that builds
//! columns from them, handing each full batch to a consumer (kept in
//! memory, or written to a Parquet file as it comes).
//!
//! Every column of the results is text (scores as their exact decimal
//! text, as the CSV results hold them); the rejects' `line` is a
//! `UInt64`.
//!
//! [`OutputFormat::Cells`]: safegrade::batch::OutputFormat::Cells

use std::io::{self, Write};
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

/// The rejects' columns, as the rejects file has them.
pub const REJECT_COLUMNS: [&str; 6] = ["file", "line", "column", "key", "reason", "reason_code"];

/// Where full batches go.
pub type Consumer<'a> = Box<dyn FnMut(RecordBatch) -> io::Result<()> + 'a>;

/// Builds record batches of a fixed schema from cells; see the module
/// documentation.
pub struct CellSink<'a> {
    schema: SchemaRef,
    /// The header's cells still to skip (the results' names, once).
    header: usize,
    text: Vec<StringBuilder>,
    /// The column that is a `UInt64` (the rejects' `line`).
    number: Option<(usize, UInt64Builder)>,
    /// Bytes of a cell not yet whole.
    pending: Vec<u8>,
    column: usize,
    rows: usize,
    batch_rows: usize,
    consumer: Consumer<'a>,
}

impl<'a> CellSink<'a> {
    /// A sink of results with the columns `names` (their header comes
    /// first, as cells, and is skipped), `batch_rows` rows a batch.
    pub fn results(names: &[String], batch_rows: usize, consumer: Consumer<'a>) -> CellSink<'a> {
        let fields: Vec<Field> = names.iter().map(|n| Field::new(n, DataType::Utf8, true)).collect();
        CellSink::new(Arc::new(Schema::new(fields)), names.len(), None, batch_rows, consumer)
    }

    /// A sink of rejects, `batch_rows` rows a batch.
    pub fn rejects(batch_rows: usize, consumer: Consumer<'a>) -> CellSink<'a> {
        CellSink::new(reject_schema(), 0, Some(1), batch_rows, consumer)
    }

    fn new(schema: SchemaRef, header: usize, number: Option<usize>, batch_rows: usize, consumer: Consumer<'a>) -> Self {
        let n = schema.fields().len();
        CellSink {
            schema,
            header,
            text: (0..n).map(|_| StringBuilder::new()).collect(),
            number: number.map(|c| (c, UInt64Builder::new())),
            pending: Vec::new(),
            column: 0,
            rows: 0,
            batch_rows: batch_rows.max(1),
            consumer,
        }
    }

    /// The batches' schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Hands on the last rows; an error if the cells ended inside a row.
    pub fn finish(mut self) -> io::Result<()> {
        if self.column != 0 || !self.pending.is_empty() {
            return Err(io::Error::other("the cells end inside a row"));
        }
        if self.rows > 0 {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn cell(&mut self, text: &str) -> io::Result<()> {
        if self.header > 0 {
            self.header -= 1;
            return Ok(());
        }
        match &mut self.number {
            Some((c, b)) if *c == self.column => {
                let n = text.parse().map_err(|_| io::Error::other(format!("`{text}` is not a line number")))?;
                b.append_value(n);
            }
            _ => self.text[self.column].append_value(text),
        }
        self.column += 1;
        if self.column == self.text.len() {
            self.column = 0;
            self.rows += 1;
            if self.rows == self.batch_rows {
                self.flush_batch()?;
            }
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> io::Result<()> {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.text.len());
        for (i, b) in self.text.iter_mut().enumerate() {
            match &mut self.number {
                Some((c, n)) if *c == i => columns.push(Arc::new(n.finish())),
                _ => columns.push(Arc::new(b.finish())),
            }
        }
        self.rows = 0;
        let batch = RecordBatch::try_new(self.schema.clone(), columns).map_err(io::Error::other)?;
        (self.consumer)(batch)
    }
}

impl Write for CellSink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let owned;
        let mut bytes: &[u8] = if self.pending.is_empty() {
            buf
        } else {
            self.pending.extend_from_slice(buf);
            owned = std::mem::take(&mut self.pending);
            &owned
        };
        while let Some((len, rest)) = bytes.split_first_chunk::<4>() {
            let len = u32::from_le_bytes(*len) as usize;
            if rest.len() < len {
                break;
            }
            let text = std::str::from_utf8(&rest[..len]).map_err(io::Error::other)?;
            self.cell(text)?;
            bytes = &rest[len..];
        }
        self.pending.extend_from_slice(bytes);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The rejects' schema: `line` a `UInt64`, the rest text.
pub fn reject_schema() -> SchemaRef {
    let field = |n: &str| Field::new(n, if n == "line" { DataType::UInt64 } else { DataType::Utf8 }, false);
    Arc::new(Schema::new(REJECT_COLUMNS.iter().map(|n| field(n)).collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::types::UInt64Type;

    use super::*;

    fn cells(texts: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        for t in texts {
            out.extend_from_slice(&(t.len() as u32).to_le_bytes());
            out.extend_from_slice(t.as_bytes());
        }
        out
    }

    #[test]
    fn cells_split_anywhere_make_the_same_rows() {
        let names = vec!["uscc".to_string(), "score".to_string()];
        let bytes = cells(&["uscc", "score", "A", "85", "B,\"", "-1.5", "C", ""]);
        for split in 0..bytes.len() {
            let mut got = Vec::new();
            let mut sink = CellSink::results(
                &names,
                2,
                Box::new(|b| {
                    got.push(b);
                    Ok(())
                }),
            );
            sink.write_all(&bytes[..split]).unwrap();
            sink.write_all(&bytes[split..]).unwrap();
            sink.finish().unwrap();
            let rows: Vec<(usize, Vec<String>)> = got
                .iter()
                .map(|b| {
                    (b.num_rows(), b.column(1).as_string::<i32>().iter().map(|s| s.unwrap_or("").into()).collect())
                })
                .collect();
            assert_eq!(rows, [(2, vec!["85".into(), "-1.5".into()]), (1, vec!["".into()])], "split at {split}");
        }
    }

    #[test]
    fn rejects_have_their_line_as_a_number() {
        let mut got = Vec::new();
        let mut sink = CellSink::rejects(
            10,
            Box::new(|b| {
                got.push(b);
                Ok(())
            }),
        );
        sink.write_all(&cells(&["firms", "7", "staff", "F1", "not a number", "bad_value"])).unwrap();
        sink.finish().unwrap();
        assert_eq!(got[0].column(1).as_primitive::<UInt64Type>().value(0), 7);
        let mut half = CellSink::rejects(10, Box::new(|_| Ok(())));
        half.write_all(&cells(&["firms", "7"])).unwrap();
        assert!(half.finish().is_err());
    }
}
