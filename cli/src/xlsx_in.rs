//! `.xlsx` and `.xlsm` sheets, read straight from the workbook's zip. This
//! module owns finding a sheet's part (the workbook, its relationships),
//! reading what its cells need (the date system, which cell formats show
//! dates, the shared strings: `strings.rs`), and running the threads that
//! stream the sheet into the [`Sink`] that sends its rows to the batch
//! core: one decompresses the sheet, another reads its cells
//! (`sheet.rs`, with the value rules of `values.rs`). The sheet's XML is
//! read once, by a scanner made for it (`scan.rs`; quick-xml, general and
//! allocating per event, took 9.5 s to tokenise a million-row sheet that
//! decompresses in 0.9 s), and never held whole: memory is the workbook's
//! bytes, its shared strings and a few blocks of the sheet. The small parts
//! (workbook, relationships, styles) are read with quick-xml.

#[path = "xlsx_in/book.rs"]
mod book;
#[path = "xlsx_in/scan.rs"]
mod scan;
#[path = "xlsx_in/sheet.rs"]
mod sheet;
#[path = "xlsx_in/strings.rs"]
mod strings;
#[cfg(test)]
#[path = "xlsx_in/tests.rs"]
mod tests;
#[path = "xlsx_in/values.rs"]
mod values;

use std::io::Cursor;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use anyhow::{bail, Context, Result};
use zip::ZipArchive;

use super::{pick, SheetLimits, SheetRows, Sink};
use book::{find_part, Book, Zip};
use scan::Scanner;

/// Opens sheet `sheet` (the first when `None`) of the `.xlsx` workbook
/// `bytes`, named `file` in messages: its rows, read by a thread of its
/// own and named `file#Sheet`.
pub(super) fn open(file: &str, bytes: Vec<u8>, sheet: Option<&str>, limits: SheetLimits) -> Result<SheetRows> {
    let not_workbook = || format!("`{file}` is not a readable xlsx workbook");
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        // A compound file, as Office saves an encrypted workbook.
        bail!(
            "`{file}` is encrypted (saved with a password) or is an `.xls` file: save it as `.xlsx` without a password"
        );
    }
    let mut zip = ZipArchive::new(Cursor::new(bytes)).context("not a zip file").with_context(not_workbook)?;
    let book = Book::read(&mut zip, limits).with_context(not_workbook)?;
    let names: Vec<String> = book.sheets.iter().map(|(name, _)| name.clone()).collect();
    let name = pick(file, &names, sheet)?;
    let part = book.sheets.iter().find(|(n, _)| *n == name).map(|(_, part)| part.clone()).unwrap_or_default();
    let index = find_part(&zip, &part)
        .with_context(|| format!("the sheet `{name}` has no part `{part}`"))
        .with_context(not_workbook)?;
    // One thread decompresses the sheet, another reads its XML into rows,
    // which the core reads on a third.
    let (blocks_tx, blocks_rx) = sync_channel(BLOCKS_IN_FLIGHT);
    let (spent_tx, spent_rx) = sync_channel(BLOCKS_IN_FLIGHT + 2);
    std::thread::Builder::new()
        .name("xlsx-inflate".into())
        .spawn(move || inflate(&mut zip, index, &blocks_tx, &spent_rx))
        .context("cannot start a thread to read the workbook")?;
    let (tx, rx) = sync_channel(4);
    std::thread::Builder::new()
        .name("xlsx".into())
        .spawn(move || {
            let mut sink = Sink::new(limits, tx, Vec::new());
            let blocks = Inflated { rx: blocks_rx, spent: spent_tx };
            let result = sheet::read_sheet(&mut Scanner::new(blocks, &part), &book, limits, &mut sink);
            sink.finish(result);
        })
        .context("cannot start a thread to read the workbook")?;
    Ok(SheetRows::new(format!("{file}#{name}"), rx))
}

/// The decompressed blocks of a sheet on their way from the thread that
/// decompresses it to the one that reads it.
const BLOCKS_IN_FLIGHT: usize = 8;

/// A block of a sheet (`None` at its end), or why it could not be read.
type Block = Result<Option<Vec<u8>>, String>;

/// Decompresses part `index` of the zip into `tx`, a block at a time, into
/// the blocks the reader has spent when there are some; an error or the
/// end of the part ends it.
fn inflate(zip: &mut Zip, index: usize, tx: &SyncSender<Block>, spent: &Receiver<Vec<u8>>) {
    let mut f = match zip.by_index(index) {
        Ok(f) => f,
        Err(e) => {
            let _ = tx.send(Err(e.to_string()));
            return;
        }
    };
    loop {
        let mut block = spent.try_recv().unwrap_or_default();
        let res = scan::read_block(&mut f, &mut block).map(|more| more.then_some(block)).map_err(|e| e.to_string());
        let last = !matches!(res, Ok(Some(_)));
        // The reader has stopped, or this was the end.
        if tx.send(res).is_err() || last {
            return;
        }
    }
}

/// The blocks [`inflate`] sends.
struct Inflated {
    rx: Receiver<Block>,
    spent: SyncSender<Vec<u8>>,
}

impl scan::Blocks for Inflated {
    fn next(&mut self, spent: Vec<u8>) -> Block {
        if spent.capacity() > 0 {
            let _ = self.spent.try_send(spent);
        }
        self.rx.recv().unwrap_or_else(|_| Err("the thread decompressing the sheet stopped".into()))
    }
}
