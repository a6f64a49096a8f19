//! Parquet files on the command line: an input (`--firms FILE.parquet`,
//! `--list NAME=FILE.parquet`) read as a source of rows through
//! `safegrade-arrow`, whose column types are checked against the rules
//! when the run maps the header; and the results written as a Parquet file
//! (`--out FILE.parquet`) as the run goes.
//!
//! An input's bytes are hashed in one pass before it is read (a Parquet
//! file is read from its footer, not front to back), so the manifest names
//! the file's bytes as they were when the run opened it.
//!
//! The results are every column of the CSV results as UTF-8 text, exactly
//! as computed (no formula neutralisation: a Parquet cell is never a
//! formula), in row groups compressed with ZSTD. The writer takes no clock
//! time, so the same run gives byte-identical files and `verify` can
//! compare their hashes.

use std::cell::RefCell;
use std::fs::File;
use std::io::{Seek, Write};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use safegrade::batch::RowSource;
use safegrade_arrow::CellSink;

use super::atomic::{Ready, Staged};
use super::manifest::{HashHandle, HashingReader};

/// Rows per record batch read from an input.
const READ_BATCH_ROWS: usize = 8192;

/// Rows per record batch of results handed to the writer.
const WRITE_BATCH_ROWS: usize = 8192;

/// Rows per row group of a written file.
pub(crate) const ROW_GROUP_ROWS: usize = 1 << 20;

/// Whether a path names a Parquet file (by its extension, in any case).
pub(crate) fn is_parquet(path: &str) -> bool {
    Path::new(path).extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// The properties every Parquet file this tool writes has: ZSTD, row
/// groups of at most `row_group_rows` rows (the writer holds one, encoded,
/// in memory), and nothing that changes from one run to the next.
pub(crate) fn writer_properties(row_group_rows: usize) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(row_group_rows.max(1)))
        .build()
}

/// Opens the Parquet file `path` as a source of rows named `shown_as` in
/// the rejects and the summary (its rows numbered as a spreadsheet's, the
/// first line 2); `floats` lets float columns be read by their shortest
/// text. Its bytes are hashed first, whole.
pub(crate) fn open(path: &str, shown_as: &str, floats: bool) -> Result<(Box<dyn RowSource>, HashHandle)> {
    let mut file = File::open(path).with_context(|| format!("cannot open `{path}`"))?;
    let (mut reader, handle) = HashingReader::new(&file);
    std::io::copy(&mut reader, &mut std::io::sink()).with_context(|| format!("cannot read `{path}`"))?;
    file.rewind().with_context(|| format!("cannot read `{path}`"))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("cannot read `{path}` as a Parquet file"))?;
    let reader = builder
        .with_batch_size(READ_BATCH_ROWS)
        .build()
        .with_context(|| format!("cannot read `{path}` as a Parquet file"))?;
    Ok((safegrade_arrow::rows(shown_as, Box::new(reader), floats), handle))
}

/// The results as a Parquet file: a `Write` that a run writes its results
/// to as cells (`OutputFormat::Cells`). The run writes the results' header
/// (their names as cells) in one write before any row; it gives the
/// columns, all UTF-8 text.
pub(crate) struct ResultsWriter {
    state: State,
}

enum State {
    /// Staged, waiting for the header.
    Waiting(Staged),
    Writing {
        sink: CellSink<'static>,
        writer: Rc<RefCell<Option<ArrowWriter<Staged>>>>,
    },
    /// A write failed.
    Failed,
}

impl ResultsWriter {
    /// Results to write to the staged file `file`.
    pub(crate) fn new(file: Staged) -> ResultsWriter {
        ResultsWriter { state: State::Waiting(file) }
    }

    /// Ends the file (its last row group and footer) and hands it back, staged.
    pub(crate) fn finish(self) -> Result<Ready> {
        match self.state {
            State::Writing { sink, writer } => {
                sink.finish().context("cannot write the results")?;
                let w = writer.borrow_mut().take().context("internal error: no Parquet writer")?;
                let staged = w.into_inner().context("cannot write the results as Parquet")?;
                staged.finish()
            }
            State::Waiting(_) => bail!("internal error: the run wrote no header to the Parquet results"),
            State::Failed => bail!("cannot write the results as Parquet"),
        }
    }

    /// The columns named by the header's cells, and the sink and writer for them.
    fn start(file: Staged, header: &[u8]) -> std::io::Result<State> {
        let names = header_names(header)?;
        let writer: Rc<RefCell<Option<ArrowWriter<Staged>>>> = Rc::new(RefCell::new(None));
        let to = writer.clone();
        let consumer = Box::new(move |batch: RecordBatch| -> std::io::Result<()> {
            match to.borrow_mut().as_mut() {
                Some(w) => w.write(&batch).map_err(std::io::Error::other),
                None => Err(std::io::Error::other("the Parquet writer is closed")),
            }
        });
        let sink = CellSink::results(&names, WRITE_BATCH_ROWS, consumer);
        let schema: SchemaRef = sink.schema();
        let w = ArrowWriter::try_new(file, Arc::clone(&schema), Some(writer_properties(ROW_GROUP_ROWS)))
            .map_err(std::io::Error::other)?;
        *writer.borrow_mut() = Some(w);
        Ok(State::Writing { sink, writer })
    }
}

/// The cells of a header written whole: each its length (4 bytes,
/// little-endian) then its UTF-8 text.
fn header_names(mut bytes: &[u8]) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    while !bytes.is_empty() {
        let Some((len, rest)) = bytes.split_first_chunk::<4>() else {
            return Err(std::io::Error::other("the results' header is cut short"));
        };
        let len = u32::from_le_bytes(*len) as usize;
        let Some(text) = rest.get(..len) else {
            return Err(std::io::Error::other("the results' header is cut short"));
        };
        names.push(String::from_utf8(text.to_vec()).map_err(std::io::Error::other)?);
        bytes = &rest[len..];
    }
    Ok(names)
}

impl Write for ResultsWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let State::Waiting(_) = self.state {
            let State::Waiting(file) = std::mem::replace(&mut self.state, State::Failed) else {
                unreachable!("matched above")
            };
            self.state = ResultsWriter::start(file, buf)?;
        }
        match &mut self.state {
            State::Writing { sink, .. } => sink.write(buf),
            _ => Err(std::io::Error::other("the Parquet results cannot be written")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_cells_are_the_names() {
        let mut b = Vec::new();
        for n in ["uscc", "分数"] {
            b.extend_from_slice(&(n.len() as u32).to_le_bytes());
            b.extend_from_slice(n.as_bytes());
        }
        assert_eq!(header_names(&b).unwrap(), ["uscc", "分数"]);
        assert!(header_names(&b[..b.len() - 1]).is_err());
        assert!(is_parquet("a/b.PARQUET") && !is_parquet("parquet.csv"));
    }
}
