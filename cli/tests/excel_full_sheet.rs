//! A sheet of Excel's full 1,048,576 rows is scored whole, every row
//! accounted for, in memory bounded by far less than the sheet: the sheet
//! is streamed, not held.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{fresh_dir, read};

/// Excel's last row.
const ROWS: u32 = 1 << 20;

const RULES: &str = r#"
[ruleset]
id = "rows"
name = { zh = "行", en = "Rows" }
version = "1"

[inputs.x]
type = "integer"
label = { zh = "整数", en = "X" }

[[items]]
id = "high"
label = { zh = "高", en = "High" }
when = "x >= 4"
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

/// An `.xlsx` workbook of one sheet: the header `id, x`, then a row per
/// firm to Excel's last row, firm `r` (`F0000002` on) holding `x = r % 7`. The parts are
/// stored, not compressed, so that writing it is quick; the sheet XML is
/// about 80 MB.
fn full_sheet(path: &Path) {
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(std::fs::File::create(path).expect("created")));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Firms" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, text) in parts {
        zip.start_file(name, stored).expect("zip");
        zip.write_all(text.as_bytes()).expect("zip");
    }
    zip.start_file("xl/worksheets/sheet1.xml", stored).expect("zip");
    zip.write_all(
        br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>x</t></is></c></row>"#,
    )
    .expect("zip");
    let mut rows = String::with_capacity(1 << 20);
    for r in 2..=ROWS {
        rows.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>F{r:07}</t></is></c><c r="B{r}"><v>{}</v></c></row>"#,
            r % 7
        ));
        if rows.len() > 1 << 20 {
            zip.write_all(rows.as_bytes()).expect("zip");
            rows.clear();
        }
    }
    rows.push_str("</sheetData></worksheet>");
    zip.write_all(rows.as_bytes()).expect("zip");
    zip.finish().expect("zip").flush().expect("written");
}

/// The peak resident memory (`VmHWM`) of a running process, in kB.
fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_sheet_of_excels_every_row_is_scored_in_bounded_memory() {
    let dir = fresh_dir("excel", "full-sheet");
    full_sheet(&dir.join("full.xlsx"));
    std::fs::write(dir.join("rows.toml"), RULES).expect("rules");
    let mut child = Command::new(env!("CARGO_BIN_EXE_safegrade"))
        .args(["score", "--rules", "rows.toml", "--firms", "full.xlsx", "--key", "id", "--as-of", "2026-06-30"])
        .args(["--out", "results.csv", "--threads", "2", "--sorted"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    // The peak as last seen before the process ends (Linux only; elsewhere none is seen).
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = peak_kb(child.id()) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().expect("stderr"), &mut err).expect("stderr");
    assert!(status.success(), "{err}");
    let results = read(&dir.join("results.csv"));
    let lines = results.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(lines, ROWS as usize, "a header line and a result per firm row");
    let last = String::from_utf8_lossy(&results[results.len() - 200..]).into_owned();
    assert!(last.contains(&format!("\nF{ROWS:07},")), "the last row's firm is scored: {last}");
    let workbook_kb = std::fs::metadata(dir.join("full.xlsx")).expect("a workbook").len() / 1024;
    eprintln!("peak {peak} kB for a {workbook_kb} kB workbook");
    if cfg!(target_os = "linux") {
        assert!(peak > 0, "the process's memory was seen");
        // The workbook is read whole (it is zipped), so it is in memory once;
        // the sheet's cells, as text or rows, are not held beyond a bounded window.
        assert!(peak < workbook_kb + 150 * 1024, "peak {peak} kB for a {workbook_kb} kB workbook");
    }
}
