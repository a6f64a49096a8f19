//! Workbook inputs: a sheet is read as the CSV file it would be, cells
//! mapped exactly (floats by their shortest text, serial dates as dates),
//! rejects naming the sheet and row, in `.xlsx`, `.xls` and `.ods` alike;
//! merged header cells, formulas without a saved value and cells past the
//! column limit refused.

mod common;
#[allow(dead_code)]
#[path = "common/xlsx.rs"]
mod xlsx;

use std::path::Path;

use common::{fresh_dir, golden_dir, read, safegrade, score_args};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

const FILES: [&str; 4] = ["firms", "accidents", "penalties", "hidden_dangers"];

/// The rules of the edge-case tests: a decimal, an integer, a date and a boolean input.
const RULES: &str = r#"
[ruleset]
id = "cells"
name = { zh = "单元格", en = "Cells" }
version = "1"

[inputs.x]
type = "decimal"
label = { zh = "小数", en = "X" }
missing = { default = 0 }

[inputs.n]
type = "integer"
label = { zh = "整数", en = "N" }
missing = { default = 0 }

[inputs.d]
type = "date"
label = { zh = "日期", en = "D" }
missing = { default = 2000-01-01 }

[inputs.b]
type = "bool"
label = { zh = "是否", en = "B" }
missing = { default = false }

[[items]]
id = "flag"
label = { zh = "标记", en = "Flag" }
when = "b"
points = -1

[score]
base = "100"

[[grades]]
id = "ok"
label = { zh = "好", en = "OK" }
min = 0

[[grades]]
id = "bad"
label = { zh = "差", en = "Bad" }
below = 0
"#;

fn cells_run(dir: &Path, firms: &str, carry: &str) -> (i32, String, String) {
    std::fs::write(dir.join("cells.toml"), RULES).expect("rules");
    let args = vec![
        "score",
        "--rules",
        "cells.toml",
        "--firms",
        firms,
        "--key",
        "id",
        "--carry",
        carry,
        "--as-of",
        "2026-06-30",
        "--out",
        "results.csv",
    ];
    safegrade(dir, &args)
}

#[test]
fn the_sample_as_a_workbook_gives_the_same_bytes_as_in_csv() {
    let csv = golden_dir("excel", "csv");
    let (code, _, err) = safegrade(&csv, &score_args("firms.csv", &["--out", "results.csv"]));
    assert!(code == 0 || code == 3, "{err}");
    let wb = golden_dir("excel", "xlsx");
    let sheets: Vec<(String, Vec<u8>)> =
        FILES.iter().map(|f| (f.to_string(), read(&wb.join(format!("{f}.csv"))))).collect();
    let sheets: Vec<(&str, &[u8])> = sheets.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    std::fs::write(wb.join("sample.xlsx"), xlsx::workbook(&sheets).expect("workbook")).expect("written");
    let mut args = score_args("sample.xlsx#firms", &["--out", "results.csv", "--summary", "summary.json"]);
    for f in &FILES[1..] {
        let at = args.iter().position(|a| a == &format!("{f}={f}.csv")).expect("a list");
        args[at] = format!("{f}=sample.xlsx#{f}");
    }
    let (code2, _, err2) = safegrade(&wb, &args);
    assert_eq!(code, code2, "{err2}");
    assert_eq!(read(&csv.join("results.csv")), read(&wb.join("results.csv")));
    // The rejects are the same rows, named by sheet.
    let rejects = String::from_utf8(read(&wb.join("rejects.csv"))).expect("UTF-8");
    let csv_rejects = String::from_utf8(read(&csv.join("rejects.csv"))).expect("UTF-8");
    assert_eq!(rejects.lines().count(), csv_rejects.lines().count());
    for f in FILES {
        assert_eq!(csv_rejects.replace(&format!("{f}.csv"), &format!("sample.xlsx#{f}")), rejects);
    }
    let summary = String::from_utf8(read(&wb.join("summary.json"))).expect("UTF-8");
    assert_eq!(summary.matches("\"encoding\": \"xlsx\"").count(), 4, "{summary}");
    // The manifest hashes the workbook, and verify re-reads it.
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&wb.join("results.csv.manifest.json"))).expect("JSON");
    assert_eq!(manifest["inputs"][0]["bytes"].as_u64(), Some(read(&wb.join("sample.xlsx")).len() as u64));
    let (code, stdout, err) = safegrade(&wb, &["verify", "results.csv.manifest.json"]);
    assert_eq!(code, 0, "{stdout}{err}");
}

#[test]
fn cells_map_exactly_and_bad_cells_are_rejects_naming_sheet_row_and_column() {
    let dir = fresh_dir("excel", "cells");
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet();
    ws.set_name("Notes").expect("name");
    ws.write_string(0, 0, "not the firms").expect("cell");
    let ws = wb.add_worksheet();
    ws.set_name("Firms").expect("name");
    for (c, h) in ["id", "x", "n", "d", "b"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    // Row 2: floats that are not what they print as in binary.
    ws.write_string(1, 0, "a").expect("cell");
    ws.write_number(1, 1, 0.1).expect("cell");
    ws.write_number(1, 2, 12.0).expect("cell");
    ws.write_datetime_with_format(1, 3, ExcelDateTime::from_ymd(2026, 1, 5).expect("date"), &date).expect("cell");
    ws.write_boolean(1, 4, true).expect("cell");
    // Row 3: 1e-7, a text date, empty cells (missing answers).
    ws.write_string(2, 0, "b").expect("cell");
    ws.write_number(2, 1, 1e-7).expect("cell");
    ws.write_string(2, 3, "2026-02-28").expect("cell");
    // Row 4 empty; row 5: 0.1 + 0.2 and a fraction in the integer input.
    ws.write_string(4, 0, "c").expect("cell");
    ws.write_number(4, 1, 0.1 + 0.2).expect("cell");
    ws.write_number(4, 2, 12.5).expect("cell");
    // Row 6: a formula with its saved value.
    ws.write_string(5, 0, "d").expect("cell");
    ws.write_formula(5, 2, "=6*7").expect("cell");
    ws.set_formula_result(5, 2, "42");
    wb.save(dir.join("t.xlsx")).expect("saved");

    check_cells(&dir, "t.xlsx#Firms");
    // The first sheet without `#`: it has no firms.
    let (code, _, err) = cells_run(&dir, "t.xlsx", "x,n,d,b");
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = cells_run(&dir, "t.xlsx#Nope", "x,n,d,b");
    assert_eq!(code, 2);
    assert!(err.contains("has no sheet `Nope`; its sheets: `Notes`, `Firms`"), "{err}");
    assert!(!dir.join("x.csv").exists());
}

/// Scores `firms`, a sheet holding the cells of
/// `cells_map_exactly_and_bad_cells_are_rejects_naming_sheet_row_and_column`,
/// and checks what each cell became.
#[track_caller]
fn check_cells(dir: &Path, firms: &str) {
    let (code, _, err) = cells_run(dir, firms, "x,n,d,b");
    assert_eq!(code, 3, "{err}");
    let results = String::from_utf8(read(&dir.join("results.csv"))).expect("UTF-8");
    let cols = |id: &str| {
        let line = results.lines().find(|l| l.starts_with(&format!("{id},"))).unwrap_or_else(|| panic!("{results}"));
        line.split(',').map(str::to_string).collect::<Vec<_>>()
    };
    let header: Vec<&str> = results.lines().next().expect("header").split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).expect("a column");
    let a = cols("a");
    assert_eq!((&*a[at("x")], &*a[at("n")], &*a[at("d")], &*a[at("b")]), ("0.1", "12", "2026-01-05", "true"));
    let b = cols("b");
    assert_eq!((&*b[at("x")], &*b[at("n")], &*b[at("d")], &*b[at("b")]), ("0.0000001", "", "2026-02-28", ""));
    assert_eq!(cols("d")[at("n")], "42");
    let rejects = String::from_utf8(read(&dir.join("rejects.csv"))).expect("UTF-8");
    assert_eq!(rejects.lines().count(), 2, "{rejects}");
    let sheet = firms.replace("#Firms", "#Firms,5,");
    assert!(rejects.contains(&sheet) && rejects.contains('n'), "{rejects}");
}

#[test]
fn a_legacy_xls_sheet_maps_its_cells_as_an_xlsx_sheet_does() {
    // Written by xlwt (scripts/xls-fixture.py): the same cells, in BIFF8.
    let dir = fresh_dir("excel", "xls");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::copy(root.join("tests/data/excel/cells.xls"), dir.join("t.xls")).expect("copied");
    check_cells(&dir, "t.xls#Firms");
    let (code, _, err) = cells_run(&dir, "t.xls#Nope", "x,n,d,b");
    assert_eq!(code, 2);
    assert!(err.contains("has no sheet `Nope`; its sheets: `Notes`, `Firms`"), "{err}");
}

#[test]
fn an_ods_sheet_maps_its_cells_as_an_xlsx_sheet_does() {
    let dir = fresh_dir("excel", "ods");
    std::fs::write(dir.join("t.ods"), ods_with_the_cells()).expect("written");
    check_cells(&dir, "t.ods#Firms");
}

/// An OpenDocument spreadsheet, as LibreOffice saves one, with the cells
/// of the `.xlsx` case: floats, a date cell, a text date, booleans, empty
/// cells and a formula with its value.
fn ods_with_the_cells() -> Vec<u8> {
    use std::io::Write;
    let text =
        |t: &str| format!(r#"<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>"#);
    let float = |v: &str| {
        format!(
            r#"<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>"#
        )
    };
    let empty = "<table:table-cell/>".to_string();
    let date = |d: &str| {
        format!(
            r#"<table:table-cell office:value-type="date" office:date-value="{d}"><text:p>{d}</text:p></table:table-cell>"#
        )
    };
    let boolean = r#"<table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>TRUE</text:p></table:table-cell>"#.to_string();
    let formula = r#"<table:table-cell table:formula="of:=6*7" office:value-type="float" office:value="42"><text:p>42</text:p></table:table-cell>"#.to_string();
    let row = |cells: Vec<String>| format!("<table:table-row>{}</table:table-row>", cells.concat());
    let firms = [
        row(["id", "x", "n", "d", "b"].iter().map(|h| text(h)).collect()),
        row(vec![text("a"), float("0.1"), float("12"), date("2026-01-05"), boolean]),
        row(vec![text("b"), float("1E-07"), empty.clone(), text("2026-02-28")]),
        "<table:table-row/>".to_string(),
        row(vec![text("c"), float("0.30000000000000004"), float("12.5")]),
        row(vec![text("d"), empty, formula]),
    ]
    .concat();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet><table:table table:name="Notes"><table:table-row>{}</table:table-row></table:table><table:table table:name="Firms">{firms}</table:table></office:spreadsheet></office:body></office:document-content>"#,
        text("not the firms")
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).expect("zip");
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").expect("zip");
    for (name, part) in [("META-INF/manifest.xml", manifest), ("content.xml", content.as_str())] {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).expect("zip");
        zip.write_all(part.as_bytes()).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}

#[test]
fn the_sum_of_floats_keeps_its_binary_digits() {
    // 0.1 + 0.2 is 0.30000000000000004 in the cell, and so in the input.
    let dir = fresh_dir("excel", "sum");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "id").expect("cell");
    ws.write_string(0, 1, "x").expect("cell");
    ws.write_string(1, 0, "a").expect("cell");
    ws.write_number(1, 1, 0.1 + 0.2).expect("cell");
    wb.save(dir.join("s.xlsx")).expect("saved");
    let (code, _, err) = cells_run(&dir, "s.xlsx", "x");
    assert_eq!(code, 0, "{err}");
    let results = String::from_utf8(read(&dir.join("results.csv"))).expect("UTF-8");
    assert!(results.contains(",0.30000000000000004,"), "{results}");
}

#[test]
fn a_cell_holding_line_breaks_shifts_no_row_after_it() {
    let dir = fresh_dir("excel", "breaks");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["id", "x", "n", "note"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    // Row 2: a note of three lines; row 4 (after an empty row): a fraction
    // in the integer input, a reject that names its own sheet row.
    ws.write_string(1, 0, "a").expect("cell");
    ws.write_string(1, 3, "one\ntwo\r\nthree").expect("cell");
    ws.write_string(3, 0, "b").expect("cell");
    ws.write_number(3, 2, 12.5).expect("cell");
    wb.save(dir.join("t.xlsx")).expect("saved");
    let (code, _, err) = cells_run(&dir, "t.xlsx", "x,n,note");
    assert_eq!(code, 3, "{err}");
    let rejects = String::from_utf8(read(&dir.join("rejects.csv"))).expect("UTF-8");
    assert_eq!(rejects.lines().count(), 2, "{rejects}");
    assert!(rejects.contains("t.xlsx#Sheet1,4,"), "{rejects}");
    let results = String::from_utf8(read(&dir.join("results.csv"))).expect("UTF-8");
    assert!(results.contains("\"one\ntwo\r\nthree\""), "{results}");
}

#[test]
fn merged_header_cells_and_formulas_without_values_are_refused() {
    let dir = fresh_dir("excel", "refused");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.merge_range(0, 0, 0, 1, "企业", &Format::new()).expect("merged");
    ws.write_string(1, 0, "a").expect("cell");
    wb.save(dir.join("m.xlsx")).expect("saved");
    let (code, _, err) = cells_run(&dir, "m.xlsx", "x");
    assert_eq!(code, 2);
    assert!(err.contains("m.xlsx#Sheet1:1: cannot read: the header row 1 holds merged cells (A1:B1)"), "{err}");
    assert!(!dir.join("results.csv").exists());

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "id").expect("cell");
    ws.write_string(0, 1, "x").expect("cell");
    ws.write_string(1, 0, "a").expect("cell");
    ws.write_formula(1, 1, "=1+1").expect("cell");
    // As a tool that does not compute writes it: the formula alone, no `<v>`.
    let bytes = rewrite(&wb.save_to_buffer().expect("saved"), "xl/worksheets/sheet1.xml", |x| {
        x.replace("<f>1+1</f><v>0</v>", "<f>1+1</f>")
    });
    std::fs::write(dir.join("f.xlsx"), bytes).expect("saved");
    let (code, _, err) = cells_run(&dir, "f.xlsx", "x");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the formula in cell B2 has no saved value"), "{err}");
    assert!(!dir.join("results.csv").exists());
}

#[test]
fn a_cell_past_the_column_limit_is_refused_before_the_sheet_is_held() {
    let dir = fresh_dir("excel", "wide");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "id").expect("cell");
    ws.write_string(0, 5000, "far").expect("cell");
    wb.save(dir.join("w.xlsx")).expect("saved");
    let (code, _, err) = cells_run(&dir, "w.xlsx", "x");
    assert_eq!(code, 2);
    assert!(
        err.contains("w.xlsx#Sheet1:1: cannot read: cell GJI1 is in column 5001, past the limit of 4096 columns"),
        "{err}"
    );
    // Not a workbook at all.
    std::fs::write(dir.join("bad.xlsx"), b"PK\x03\x04 not a zip").expect("written");
    let (code, _, err) = cells_run(&dir, "bad.xlsx", "x");
    assert_eq!(code, 2);
    assert!(err.contains("`bad.xlsx` is not a readable xlsx workbook"), "{err}");
}

/// The workbook `xlsx` with its part `name` changed by `edit`.
fn rewrite(xlsx: &[u8], name: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("a zip");
    let mut zout = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).expect("an entry");
        let mut text = Vec::new();
        f.read_to_end(&mut text).expect("read");
        let path = f.name().expect("a name").to_string();
        if path == name {
            text = edit(std::str::from_utf8(&text).expect("XML")).into_bytes();
        }
        zout.start_file(path, zip::write::SimpleFileOptions::default()).expect("entry");
        zout.write_all(&text).expect("written");
    }
    zout.finish().expect("finished").into_inner()
}

/// A workbook's part, as text.
fn part(xlsx: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("a zip");
    let mut s = String::new();
    zin.by_name(name).expect("the part").read_to_string(&mut s).expect("UTF-8");
    s
}

/// The value of `attr="…"` in an XML tag's text.
fn attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[at..].split('"').next()
}

/// The fill colour (`RRGGBB`) of a cell, from the sheet's XML and the styles.
fn fill_of(sheet: &str, styles: &str, cell: &str) -> Option<String> {
    let tag_at = sheet.find(&format!("<c r=\"{cell}\""))?;
    let tag = &sheet[tag_at..tag_at + sheet[tag_at..].find('>')?];
    let xf: usize = attr(tag, "s")?.parse().ok()?;
    let xfs = &styles[styles.find("<cellXfs")?..];
    let xf_tag = xfs.split("<xf ").nth(xf + 1)?;
    let fill: usize = attr(&format!(" {xf_tag}"), "fillId")?.parse().ok()?;
    let fills = &styles[styles.find("<fills")?..styles.find("</fills>")?];
    let fill_tag = fills.split("<fill>").nth(fill + 1)?;
    let rgb = attr(fill_tag.split("<fgColor").nth(1)?, "rgb")?;
    Some(rgb.trim_start_matches("FF").to_string())
}

/// A1-style name of a cell.
fn cell_name(row: usize, col: usize) -> String {
    let mut letters = String::new();
    let mut c = col + 1;
    while c > 0 {
        letters.insert(0, (b'A' + ((c - 1) % 26) as u8) as char);
        c = (c - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

#[test]
fn results_as_a_workbook_hold_the_csv_results_with_grade_colours() {
    use calamine::{Data, Reader, Xlsx};
    let dir = golden_dir("excel", "out");
    let (code, _, err) = safegrade(&dir, &score_args("firms.csv", &["--out", "results.csv", "--summary", "s.json"]));
    assert!(code == 0 || code == 3, "{err}");
    let extra = ["--out", "results.xlsx", "--rejects", "rejects-x.csv", "--summary", "sx.json"];
    let (code2, _, err2) = safegrade(&dir, &score_args("firms.csv", &extra));
    assert_eq!(code, code2, "{err2}");
    assert_eq!(read(&dir.join("rejects.csv")), read(&dir.join("rejects-x.csv")));
    let xlsx = read(&dir.join("results.xlsx"));
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.clone())).expect("a workbook");
    assert_eq!(wb.sheet_names(), vec!["results", "summary", "rejects"]);
    let results = wb.worksheet_range("results").expect("results");
    let csv = String::from_utf8(read(&dir.join("results.csv"))).expect("UTF-8");
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("a row")).collect();
    let sheet: Vec<&[Data]> = results.rows().collect();
    assert_eq!(sheet.len(), rows.len() + 1, "two header rows, then the CSV's rows");
    // Row 1: 中文 / English titles; the key and carried columns as named.
    assert_eq!(sheet[0][0], Data::String("uscc".into()));
    let titles: Vec<String> = sheet[0].iter().map(|d| d.to_string()).collect();
    let grade_col = rows[0].iter().position(|h| h.ends_with("_grade")).expect("a grade column");
    assert!(titles[grade_col].contains(" / ") && titles[grade_col].contains("等级"), "{titles:?}");
    // A result column the rules declare is titled as its `[results]` label says.
    let since = rows[0].iter().position(|h| h == "blacklist_listed_since").expect("a listing date column");
    assert_eq!(
        titles[since],
        "安全生产严重失信主体名单 列入日期 / Work-safety serious-dishonesty list (2023) listed since"
    );
    let mut numbers = 0;
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            let cell = sheet[r + 1].get(c).cloned().unwrap_or(Data::Empty);
            let is_score = r > 0 && rows[0][c].ends_with("score");
            match &cell {
                Data::Float(f) => {
                    assert!(is_score, "row {r} column {c}: {f}");
                    assert_eq!(f.to_string(), text, "row {r} column {c}");
                    numbers += 1;
                }
                Data::String(s) => {
                    assert!(!is_score || text.parse::<f64>().map_or(true, |f| f.to_string() != text));
                    assert_eq!(s, text, "row {r} column {c}");
                }
                Data::Empty => assert_eq!(text, "", "row {r} column {c}"),
                other => panic!("row {r} column {c}: {other:?}"),
            }
        }
    }
    assert!(numbers >= rows.len() - 1, "every firm's scores are numbers");
    // The grade cells are filled with their grade's colour from the rule file.
    let summary: serde_json::Value = serde_json::from_slice(&read(&dir.join("sx.json"))).expect("JSON");
    let (sheet_xml, styles) = (part(&xlsx, "xl/worksheets/sheet1.xml"), part(&xlsx, "xl/styles.xml"));
    let alias = rows[0][grade_col].trim_end_matches("_grade");
    let step = summary["steps"].as_array().expect("steps").iter().find(|s| s["alias"] == alias).expect("the step");
    let mut checked = 0;
    for (r, row) in rows.iter().enumerate().skip(1).take(50) {
        let grade = &row[grade_col];
        let Some(g) = step["grades"].as_array().expect("grades").iter().find(|g| g["id"] == *grade) else {
            continue;
        };
        let color = g["color"].as_str().expect("a colour").trim_start_matches('#').to_uppercase();
        assert_eq!(fill_of(&sheet_xml, &styles, &cell_name(r + 1, grade_col)), Some(color), "row {r}");
        checked += 1;
    }
    assert!(checked > 0);
    // The summary and rejects sheets.
    let sum = wb.worksheet_range("summary").expect("summary");
    assert_eq!(sum.get((0, 3)), Some(&Data::String("grade".into())));
    assert!(sum.rows().any(|r| r.first() == Some(&Data::String("by".into()))), "counts by --by columns");
    let rejects = wb.worksheet_range("rejects").expect("rejects");
    let rejects_csv = String::from_utf8(read(&dir.join("rejects.csv"))).expect("UTF-8");
    assert_eq!(rejects.height(), rejects_csv.lines().count());
    // The manifest hashes the workbook; verify re-scores it to the same bytes.
    let (code, stdout, err) = safegrade(&dir, &["verify", "results.xlsx.manifest.json"]);
    assert_eq!(code, 0, "{stdout}{err}");
}

#[test]
fn a_failed_run_leaves_no_workbook() {
    let dir = golden_dir("excel", "out-failed");
    let mut firms = read(&dir.join("firms.csv"));
    // A byte that is not UTF-8 far into the file: fatal with --encoding utf-8.
    let at = firms.len() - 3;
    firms[at] = 0xFF;
    std::fs::write(dir.join("firms.csv"), firms).expect("written");
    let (code, _, err) = safegrade(&dir, &score_args("firms.csv", &["--out", "results.xlsx", "--encoding", "utf-8"]));
    assert_eq!(code, 2, "{err}");
    let left: Vec<String> = std::fs::read_dir(&dir)
        .expect("the folder")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".csv"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
