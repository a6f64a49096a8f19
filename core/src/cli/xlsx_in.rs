//! `.xlsx` and `.xlsm` sheets, read straight from the workbook's zip. This
//! module owns finding a sheet's part (the workbook, its relationships),
//! reading what its cells need (the date system, which cell formats show
//! dates, the shared strings: `strings.rs`), and running the threads that
//! stream the sheet into the [`Sink`] that writes the CSV text the batch
//! core reads: one decompresses the sheet, another reads its cells
//! (`sheet.rs`, with the value rules of `values.rs`). The sheet's XML is
//! read once, by a scanner made for it (`scan.rs`; quick-xml, general and
//! allocating per event, took 9.5 s to tokenise a million-row sheet that
//! decompresses in 0.9 s), and never held whole: memory is the workbook's
//! bytes, its shared strings and a few blocks of the sheet. The small parts
//! (workbook, relationships, styles) are read with quick-xml.

#[path = "xlsx_in/scan.rs"]
mod scan;
#[path = "xlsx_in/sheet.rs"]
mod sheet;
#[path = "xlsx_in/strings.rs"]
mod strings;
#[path = "xlsx_in/values.rs"]
mod values;

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use anyhow::{bail, Context, Result};
use quick_xml::events::{BytesStart, Event};
use quick_xml::XmlVersion;
use zip::ZipArchive;

use super::{cell_name, pick, push_field, push_float, ChannelReader, Merged, SheetLimits, Sink};
use scan::Scanner;
use strings::SharedStrings;

type Zip = ZipArchive<Cursor<Vec<u8>>>;

/// The largest workbook, relationships or styles part read: 64 MiB.
const MAX_PART_BYTES: u64 = 64 << 20;

/// Opens sheet `sheet` (the first when `None`) of the `.xlsx` workbook
/// `bytes`, named `file` in messages: its name and a reader of its CSV
/// text, written by a thread of its own.
pub(super) fn open(
    file: &str,
    bytes: Vec<u8>,
    sheet: Option<&str>,
    limits: SheetLimits,
) -> Result<(String, Box<dyn Read + Send>)> {
    let not_workbook = || format!("`{file}` is not a readable xlsx workbook");
    let mut zip = ZipArchive::new(Cursor::new(bytes)).context("not a zip file").with_context(not_workbook)?;
    let book = Book::read(&mut zip, limits).with_context(not_workbook)?;
    let names: Vec<String> = book.sheets.iter().map(|(name, _)| name.clone()).collect();
    let name = pick(file, &names, sheet)?;
    let part = book.sheets.iter().find(|(n, _)| *n == name).map(|(_, part)| part.clone()).unwrap_or_default();
    let index = find_part(&zip, &part)
        .with_context(|| format!("the sheet `{name}` has no part `{part}`"))
        .with_context(not_workbook)?;
    // One thread decompresses the sheet, another reads its XML into CSV
    // text, which the core parses on a third.
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
    Ok((name, Box::new(ChannelReader { rx, buf: Vec::new(), at: 0 })))
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

/// What a sheet's cells are read with: the workbook's sheets, date system,
/// cell formats and shared strings.
struct Book {
    /// Each sheet's name and part, in the workbook's order.
    sheets: Vec<(String, String)>,
    is_1904: bool,
    /// For each cell format (a cell's `s`), whether it shows a date.
    date_styles: Vec<bool>,
    strings: SharedStrings,
}

impl Book {
    fn read(zip: &mut Zip, limits: SheetLimits) -> Result<Book> {
        // The workbook part, from the package's relationships.
        let workbook = match find_part(zip, "_rels/.rels") {
            Some(i) => relationships(&small_part(zip, i, "_rels/.rels")?, "")
                .with_context(|| "cannot read `_rels/.rels`")?
                .into_iter()
                .find(|r| r.kind.ends_with("/officeDocument"))
                .map(|r| r.target),
            None => None,
        }
        .unwrap_or_else(|| "xl/workbook.xml".into());
        let (dir, file) = workbook.rsplit_once('/').unwrap_or(("", &workbook));
        let i = find_part(zip, &workbook).with_context(|| format!("it has no part `{workbook}`"))?;
        let (sheets, is_1904) =
            sheets(&small_part(zip, i, &workbook)?).with_context(|| format!("cannot read `{workbook}`"))?;
        let rels_name = format!("{dir}/_rels/{file}.rels");
        let rels = match find_part(zip, &rels_name) {
            Some(i) => relationships(&small_part(zip, i, &rels_name)?, dir)
                .with_context(|| format!("cannot read `{rels_name}`"))?,
            None => Vec::new(),
        };
        let by_id: HashMap<&str, &str> = rels.iter().map(|r| (r.id.as_str(), r.target.as_str())).collect();
        let sheets = sheets
            .into_iter()
            .map(|(name, id)| match by_id.get(id.as_str()) {
                Some(target) => Ok((name, target.to_string())),
                None => bail!("the sheet `{name}` has no relationship `{id}` in `{rels_name}`"),
            })
            .collect::<Result<Vec<_>>>()?;
        // The styles and the shared strings, where the relationships put
        // them, else where Excel does.
        let part_of = |kind: &str| {
            let by_kind = rels.iter().find(|r| r.kind.ends_with(kind)).map(|r| r.target.clone());
            by_kind.unwrap_or_else(|| resolve(dir, &format!("{}.xml", &kind[1..])))
        };
        let styles = part_of("/styles");
        let date_styles = match find_part(zip, &styles) {
            Some(i) => date_styles(&small_part(zip, i, &styles)?).with_context(|| format!("cannot read `{styles}`"))?,
            None => Vec::new(),
        };
        let shared = part_of("/sharedStrings");
        let strings = match find_part(zip, &shared) {
            Some(i) => {
                let f = zip.by_index(i).with_context(|| format!("cannot read `{shared}`"))?;
                SharedStrings::read(&mut Scanner::new(scan::ReadBlocks(f), &shared), limits)
                    .map_err(anyhow::Error::msg)?
            }
            None => SharedStrings::default(),
        };
        Ok(Book { sheets, is_1904, date_styles, strings })
    }
}

/// The index of the part `name` in the zip: by its exact name, else as
/// writers that differ in case or use `\` name it.
fn find_part(zip: &Zip, name: &str) -> Option<usize> {
    zip.index_for_name(name).or_else(|| {
        let found = zip.file_names().flatten().find(|n| n.replace('\\', "/").eq_ignore_ascii_case(name))?;
        zip.index_for_name(&found)
    })
}

/// The text of a small part, whole.
fn small_part(zip: &mut Zip, index: usize, name: &str) -> Result<Vec<u8>> {
    let f = zip.by_index(index).with_context(|| format!("cannot read `{name}`"))?;
    let mut bytes = Vec::new();
    f.take(MAX_PART_BYTES + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read `{name}`"))?;
    if bytes.len() as u64 > MAX_PART_BYTES {
        bail!("`{name}` is larger than {} MiB", MAX_PART_BYTES >> 20);
    }
    Ok(bytes)
}

/// A reader of a small part's XML.
fn xml(bytes: &[u8]) -> quick_xml::Reader<&[u8]> {
    let mut r = quick_xml::Reader::from_reader(bytes);
    r.config_mut().check_end_names = false;
    r
}

/// The value of the attribute `key` (with its prefix, if any), decoded.
fn attr(e: &BytesStart<'_>, key: &str) -> Result<Option<String>> {
    for a in e.attributes() {
        let a = a?;
        if a.key.as_ref() == key {
            return Ok(Some(a.normalized_value(XmlVersion::Implicit1_0)?.into_owned()));
        }
    }
    Ok(None)
}

/// A relationship of a part: its id, type and the part it names.
struct Relationship {
    id: String,
    kind: String,
    target: String,
}

/// The relationships of a part in folder `dir`, their targets made the
/// names of parts.
fn relationships(bytes: &[u8], dir: &str) -> Result<Vec<Relationship>> {
    let mut r = xml(bytes);
    let mut res = Vec::new();
    loop {
        match r.read_event()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if attr(&e, "TargetMode")?.is_some_and(|m| m == "External") {
                    continue;
                }
                let (Some(id), Some(target)) = (attr(&e, "Id")?, attr(&e, "Target")?) else { continue };
                let kind = attr(&e, "Type")?.unwrap_or_default();
                res.push(Relationship { id, kind, target: resolve(dir, &target) });
            }
            Event::Eof => return Ok(res),
            _ => {}
        }
    }
}

/// The part a relationship's target names, from the folder `dir` of the
/// part that holds it: `worksheets/sheet1.xml` and `/xl/worksheets/sheet1.xml`
/// from `xl` are both `xl/worksheets/sheet1.xml`.
fn resolve(dir: &str, target: &str) -> String {
    let (mut parts, target) = match target.strip_prefix('/') {
        Some(absolute) => (Vec::new(), absolute),
        None => (dir.split('/').filter(|p| !p.is_empty()).collect::<Vec<_>>(), target),
    };
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The workbook's sheets (name and relationship id) and whether it counts
/// dates from 1904.
fn sheets(bytes: &[u8]) -> Result<(Vec<(String, String)>, bool)> {
    let mut r = xml(bytes);
    let (mut sheets, mut is_1904) = (Vec::new(), false);
    loop {
        match r.read_event()? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "sheet" => {
                    let name = attr(&e, "name")?.context("a sheet without a name")?;
                    let mut id = None;
                    for a in e.attributes() {
                        let a = a?;
                        if a.key.local_name().as_ref() == "id" {
                            id = Some(a.normalized_value(XmlVersion::Implicit1_0)?.into_owned());
                        }
                    }
                    let id = id.with_context(|| format!("the sheet `{name}` has no relationship id"))?;
                    sheets.push((name, id));
                }
                // `x15:workbookPr` in an extension has no `date1904`.
                "workbookPr" => {
                    if let Some(v) = attr(&e, "date1904")? {
                        is_1904 = v == "1" || v == "true";
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok((sheets, is_1904)),
            _ => {}
        }
    }
}

/// For each cell format of the styles part (`cellXfs`), whether its number
/// format shows a date: a custom one (`numFmts`) as
/// [`values::format_is_date`] says, else a built-in one as
/// [`values::builtin_is_date`] says.
fn date_styles(bytes: &[u8]) -> Result<Vec<bool>> {
    let mut r = xml(bytes);
    let mut custom = HashMap::new();
    let (mut in_xfs, mut res) = (false, Vec::new());
    loop {
        let (e, start) = match r.read_event()? {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(e) if e.local_name().as_ref() == "cellXfs" => {
                in_xfs = false;
                continue;
            }
            Event::Eof => return Ok(res),
            _ => continue,
        };
        match e.local_name().as_ref() {
            "numFmt" => {
                let id = attr(&e, "numFmtId")?.and_then(|id| id.parse::<u32>().ok());
                if let (Some(id), Some(code)) = (id, attr(&e, "formatCode")?) {
                    custom.insert(id, values::format_is_date(&code));
                }
            }
            "cellXfs" => in_xfs = start,
            "xf" if in_xfs => {
                let id = attr(&e, "numFmtId")?.and_then(|id| id.parse::<u32>().ok());
                res.push(id.is_some_and(|id| custom.get(&id).copied().unwrap_or_else(|| values::builtin_is_date(id))));
            }
            _ => {}
        }
    }
}
