//! The parts of a workbook that say how to read a sheet: the package's and
//! the workbook's relationships (where each part is), the workbook (its
//! sheets, in order, and its date system), the styles (which cell formats
//! show dates) and the shared strings. All but the shared strings are
//! small and read whole, with quick-xml.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use anyhow::{bail, Context, Result};
use quick_xml::events::{BytesStart, Event};
use quick_xml::XmlVersion;
use zip::ZipArchive;

use super::super::SheetLimits;
use super::scan::{ReadBlocks, Scanner};
use super::strings::SharedStrings;
use super::values;

/// A workbook's zip, over its bytes.
pub(super) type Zip = ZipArchive<Cursor<Vec<u8>>>;

/// The largest workbook, relationships or styles part read: 64 MiB.
const MAX_PART_BYTES: u64 = 64 << 20;

/// What a sheet's cells are read with: the workbook's sheets, date system,
/// cell formats and shared strings.
pub(super) struct Book {
    /// Each sheet's name and part, in the workbook's order.
    pub(super) sheets: Vec<(String, String)>,
    pub(super) is_1904: bool,
    /// For each cell format (a cell's `s`), whether it shows a date.
    pub(super) date_styles: Vec<bool>,
    pub(super) strings: SharedStrings,
}

impl Book {
    /// Reads the parts of the workbook `zip`.
    pub(super) fn read(zip: &mut Zip, limits: SheetLimits) -> Result<Book> {
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
        let rels_name = resolve(dir, &format!("_rels/{file}.rels"));
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
                SharedStrings::read(&mut Scanner::new(ReadBlocks(f), &shared), limits).map_err(anyhow::Error::msg)?
            }
            None => SharedStrings::default(),
        };
        Ok(Book { sheets, is_1904, date_styles, strings })
    }
}

/// The index of the part `name` in the zip: by its exact name, else as
/// writers that differ in case or use `\` name it.
pub(super) fn find_part(zip: &Zip, name: &str) -> Option<usize> {
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
