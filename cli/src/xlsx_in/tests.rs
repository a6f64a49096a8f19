//! The `.xlsx` reader on small workbooks built here part by part (each case
//! the sheet rows, the parts that differ from a minimal workbook, and the
//! rows expected, written as CSV text with a line per sheet row, or the
//! error expected), and against calamine, which read these sheets before:
//! the same rows for workbooks written by rust_xlsxwriter and for every
//! serial date.

use std::io::{Cursor, Write};

use calamine::{ExcelDateTime, ExcelDateTimeType, Reader};
use proptest::prelude::*;

use super::super::{data_text, date_text, float_text, SheetRows, Sink};
use super::values::{format_is_date, is_shortest, push_date};
use super::SheetLimits;

const NS: &str = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

const LIMITS: SheetLimits = SheetLimits { columns: 4096, field: 1 << 20, row: 16 << 20 };

/// A sheet part whose `<sheetData>` holds `rows`, followed by `after`.
fn sheet(rows: &str, after: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet {NS}><dimension ref="A1"/><sheetData>{rows}</sheetData>{after}</worksheet>"#
    )
}

/// Shared strings, each an `<si>`'s content.
fn sst(items: &[&str]) -> String {
    let si: String = items.iter().map(|i| format!("<si>{i}</si>")).collect();
    format!(r#"<sst {NS} count="{0}" uniqueCount="{0}">{si}</sst>"#, items.len())
}

/// A minimal workbook of one sheet `Sheet1` with `rows`, with `parts`
/// (name, text) added or in place of its own.
fn book(rows: &str, parts: &[(&str, &str)]) -> Vec<u8> {
    let mut files: Vec<(String, String)> = vec![
        ("[Content_Types].xml".into(), r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#.into()),
        (
            "_rels/.rels".into(),
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into(),
        ),
        (
            "xl/workbook.xml".into(),
            format!(r#"<workbook {NS}><workbookPr/><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ),
        (
            "xl/_rels/workbook.xml.rels".into(),
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.into(),
        ),
        ("xl/worksheets/sheet1.xml".into(), sheet(rows, "")),
    ];
    for (name, text) in parts {
        match files.iter_mut().find(|(n, _)| n == name) {
            Some(f) => f.1 = text.to_string(),
            None => files.push((name.to_string(), text.to_string())),
        }
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in files {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).expect("an entry");
        zip.write_all(text.as_bytes()).expect("written");
    }
    zip.finish().expect("a zip").into_inner()
}

/// The rows of the first sheet of `xlsx` as CSV text, or the error that
/// stops it.
fn read_with(xlsx: Vec<u8>, limits: SheetLimits) -> Result<String, String> {
    let rows = super::open("t.xlsx", xlsx, None, limits).map_err(|e| format!("{e:#}"))?;
    csv_text(rows)
}

/// Rows as CSV text: each on the line of its sheet row (those between
/// them blank), its cells quoted when they must be.
fn csv_text(mut rows: SheetRows) -> Result<String, String> {
    let mut out = String::new();
    let mut next_line = 1;
    while let Some((line, cells)) = rows.next_cells().map_err(|e| e.to_string())? {
        out.extend(std::iter::repeat_n('\n', (line - next_line) as usize));
        let fields: Vec<String> = cells
            .map(|i| {
                let text = rows.cell(i);
                if text.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", text.replace('"', "\"\""))
                } else {
                    text.to_string()
                }
            })
            .collect();
        out.push_str(&fields.join(","));
        out.push('\n');
        next_line = line + 1;
    }
    Ok(out)
}

fn read(xlsx: Vec<u8>) -> Result<String, String> {
    read_with(xlsx, LIMITS)
}

#[track_caller]
fn check(rows: &str, parts: &[(&str, &str)], expected: &str) {
    assert_eq!(read(book(rows, parts)).as_deref(), Ok(expected));
}

#[track_caller]
fn check_err(rows: &str, parts: &[(&str, &str)], expected: &str) {
    match read(book(rows, parts)) {
        Ok(csv) => panic!("read as {csv:?}, expected the error {expected:?}"),
        Err(e) => assert!(e.contains(expected), "{e}\nexpected: {expected}"),
    }
}

/// The rows calamine's reading of the first sheet gives, through the same
/// sink (as `.xls` sheets are read), as [`csv_text`] writes them.
fn calamine_csv(xlsx: &[u8]) -> String {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx.to_vec())).expect("a workbook");
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).expect("a sheet");
    let (tx, rx) = std::sync::mpsc::sync_channel(1 << 16);
    let mut sink = Sink::new(LIMITS, tx, Vec::new());
    let res = (|| {
        let Some((r0, c0)) = range.start() else { return Ok(()) };
        for (i, row) in range.rows().enumerate() {
            for (j, cell) in row.iter().enumerate() {
                sink.cell(r0 + i as u32, c0 + j as u32, data_text(cell).as_deref())?;
            }
        }
        Ok(())
    })();
    sink.finish(res);
    csv_text(SheetRows::new("t.xlsx#Sheet1".into(), rx)).expect("the rows")
}

#[test]
fn plain_cells() {
    let rows = r#"<row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" s="0" t="s"><v>2</v></c></row><row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>12</v></c><c r="C2" s="0"><v>-0.5</v></c></row><row r="4"><c r="B4"/><c r="C4"></c><c r="A5"><v>1</v></c></row>"#;
    let strings = sst(&["<t>id</t>", "<t>x</t>", "<t>y, z</t>", "<t/>"]);
    check(rows, &[("xl/sharedStrings.xml", &strings)], "id,x,\"y, z\"\n,12,-0.5\n\n\n1,,\n");
}

#[test]
fn numbers_by_their_shortest_text() {
    let cells =
        ["0.1000000000000000055", "1E-7", "12.0", "-0", "1.5e3", "123456789012345678", "0.30000000000000004", " 7"];
    let rows: String = cells
        .iter()
        .enumerate()
        .map(|(i, v)| format!(r#"<c r="{}1"><v>{v}</v></c>"#, (b'A' + i as u8) as char))
        .collect();
    check(
        &format!("<row>{rows}</row>"),
        &[],
        // Text that is not a number in a cell without a type is text.
        "0.1,0.0000001,12,0,1500,123456789012345680,0.30000000000000004, 7\n",
    );
    check_err(r#"<row><c r="A1" t="n"><v>abc</v></c></row>"#, &[], "cell A1 holds `abc`, which is not a number");
}

#[test]
fn shared_strings_rich_text() {
    let strings = sst(&[
        // Runs, one after another.
        r#"<r><rPr><b/><sz val="11"/></rPr><t>Bold</t></r><r><t xml:space="preserve"> and plain</t></r>"#,
        // A phonetic run is not text.
        r#"<t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh><phoneticPr fontId="1" type="noConversion"/>"#,
        // White space kept only when asked.
        "<t>  a  </t>",
        r#"<t xml:space="preserve">  a  </t>"#,
        // Office's escapes: a CR, and the text `_x000D_` itself.
        "<t>a_x000D_b</t>",
        "<t>_x005F_x000D_</t>",
        // A character beyond the BMP as a surrogate pair, and a lone one.
        "<t>_xD83D__xDE00_ _xD83D_</t>",
        "",
    ]);
    let rows: String =
        (0..8).map(|i| format!(r#"<c r="{}1" t="s"><v>{i}</v></c>"#, (b'A' + i as u8) as char)).collect();
    check(
        &format!("<row>{rows}<c r=\"I1\"><v>1</v></c></row>"),
        &[("xl/sharedStrings.xml", &strings)],
        "Bold and plain,漢字,a,  a  ,\"a\rb\",_x000D_,😀 \u{FFFD},,1\n",
    );
}

#[test]
fn inline_strings() {
    check(
        r#"<row><c r="A1" t="inlineStr"><is><t>x, "y"</t></is></c><c r="B1" t="inlineStr"><is><r><t>a</t></r><r><rPr/><t xml:space="preserve"> b</t></r></is></c><c r="C1" t="inlineStr"><v>ignored</v></c><c r="D1" t="inlineStr"><is><t>line
two</t></is></c></row>"#,
        &[],
        "\"x, \"\"y\"\"\",a b,,\"line\ntwo\"\n",
    );
    check(
        r#"<row><c r="A1" t="inlineStr"><is><t> a </t></is></c><c r="B1" t="inlineStr"><is><t xml:space="preserve"> a </t></is></c><c r="C1" t="inlineStr"><is><t>a_x000D_b</t></is></c><c r="D1" t="inlineStr"><is><t></t></is></c><c r="E1"><v>1</v></c></row>"#,
        &[],
        "a, a ,\"a\rb\",,1\n",
    );
}

#[test]
fn entities_cdata_and_line_ends() {
    let strings = sst(&[
        "<t>&amp; &lt; &gt; &quot; &apos; &#65;&#x4E2D;&#x4e2d;</t>",
        "<t><![CDATA[<b> & </b>]]></t>",
        "<t xml:space=\"preserve\">a\r\nb\rc&#13;</t>",
    ]);
    check(
        r#"<row><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="str"><f>"&lt;"</f><v>&lt;&#x3E;</v></c><c r="E1"><!-- a comment --><v>5</v></c></row>"#,
        &[("xl/sharedStrings.xml", &strings)],
        "\"& < > \"\" ' A中中\",<b> & </b>,\"a\nb\nc\r\",<>,5\n",
    );
    check_err(r#"<row><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row>"#, &[], "the unknown entity `&nbsp;`");
    check_err(r#"<row><c r="A1" t="inlineStr"><is><t>&#0;</t></is></c></row>"#, &[], "`&#0;` is not a character");
    check_err(r#"<row><c r="A1" t="inlineStr"><is><t>a & b</t></is></c></row>"#, &[], "an `&` that starts no entity");
}

/// Styles whose cell formats (`s`) are: 0 General, 1 built-in date 14,
/// 2 custom `yyyy\-mm\-dd`, 3 custom `0.00`, 4 custom `[h]:mm:ss` (a
/// duration), 5 built-in date and time 22, 6 built-in duration 46, 7 custom
/// `[Red]0`, 8 the Chinese date built-in 57, 9 custom `"d"0`.
const STYLES: &str = r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="5"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/><numFmt numFmtId="165" formatCode="0.00"/><numFmt numFmtId="166" formatCode="[h]:mm:ss"/><numFmt numFmtId="167" formatCode="[Red]0"/><numFmt numFmtId="168" formatCode="&quot;d&quot;0"/></numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="10"><xf numFmtId="0" fontId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"><alignment horizontal="left"/></xf><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="22"/><xf numFmtId="46"/><xf numFmtId="167"/><xf numFmtId="57"/><xf numFmtId="168"/></cellXfs></styleSheet>"#;

#[test]
fn dates_by_their_cell_format() {
    let cells = [
        ("1", "46000"),
        ("2", "46000.5"),
        ("3", "46000.5"),
        ("4", "1.5"),
        ("5", "46000.25"),
        ("6", "0.5"),
        ("7", "46000"),
        ("8", "46000"),
        ("9", "46000"),
        ("1", "60"),
        ("1", "61"),
        ("1", "59"),
        ("1", "0.5"),
        ("1", "2958466"),
        ("1", "46000.000011574074"),
        ("1", "46000.123456789"),
    ];
    let mut rows: String = cells
        .iter()
        .enumerate()
        .map(|(i, (s, v))| format!(r#"<c r="{}1" s="{s}"><v>{v}</v></c>"#, (b'A' + i as u8) as char))
        .collect();
    // No format, and a format past the list.
    rows.push_str(r#"<c r="Q1"><v>46000</v></c><c r="R1" s="99"><v>46000</v></c>"#);
    check(
        &format!("<row>{rows}</row>"),
        &[("xl/styles.xml", STYLES)],
        "2025-12-09,2025-12-09T12:00:00,46000.5,1.5,2025-12-09T06:00:00,0.5,46000,2025-12-09,46000,\
         1900-02-29,1900-03-01,1900-02-28,0.5,2958466,2025-12-09T00:00:01,2025-12-09T02:57:46.667,46000,46000\n",
    );
    // The 1904 system.
    let workbook = format!(
        r#"<workbook {NS}><workbookPr date1904="1"/><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    check(
        r#"<row><c r="A1" s="1"><v>44538</v></c><c r="B1" s="1"><v>1</v></c><c r="C1" s="1"><v>0</v></c></row>"#,
        &[("xl/styles.xml", STYLES), ("xl/workbook.xml", &workbook)],
        "2025-12-09,1904-01-02,0\n",
    );
}

#[test]
fn dates_agree_with_calamine_for_every_day() {
    for is_1904 in [false, true] {
        let mut serial = 1.0;
        while serial < 2_958_467.0 {
            for frac in [0.0, 0.5, 0.999_999_99, 0.000_005_787, 0.123_456_789] {
                let v: f64 = serial + frac;
                let mut ours = String::new();
                push_date(&mut ours, v, is_1904);
                let theirs = date_text(&ExcelDateTime::new(v, ExcelDateTimeType::DateTime, is_1904));
                assert_eq!(ours, theirs, "serial {v}, 1904: {is_1904}");
            }
            serial += if serial < 1500.0 { 1.0 } else { 37.0 };
        }
    }
}

#[test]
fn custom_formats_that_show_dates() {
    for (code, date) in [
        ("yyyy-mm-dd", true),
        ("d/m/yy h:mm", true),
        ("[$-409]mmmm d, yyyy", true),
        ("H:MM:SS;@", true),
        ("AM/PM", true),
        ("mm:ss.0", true),
        (r#"[$-F800]dddd\,\ mmmm\ dd\,\ yyyy"#, true),
        ("0.00", false),
        ("[Red]0", false),
        ("[h]:mm:ss", false),
        ("[mm]:ss", false),
        ("#,##0 \"days\"", false),
        ("0\\d", false),
        ("0_d", false),
        ("0*d", false),
        ("General", false),
        ("0.00E+00", false),
        ("@", false),
        ("0;[Red]-0;\"m\"", false),
        ("[$€-2] #,##0.00", false),
    ] {
        assert_eq!(format_is_date(code), date, "{code}");
    }
}

#[test]
fn cells_without_a_reference_take_the_next_column_and_row() {
    check(
        r#"<row r="2"><c><v>1</v></c><c r="C2"><v>3</v></c><c><v>4</v></c></row><row><c><v>5</v></c></row><row r="6"/><row><c r="B7"><v>7</v></c></row>"#,
        &[],
        "\n1,,3,4\n5,,,\n\n\n\n,7,,\n",
    );
}

#[test]
fn booleans_errors_and_other_types() {
    check(
        r#"<row><c r="A1" t="b"><v>1</v></c><c r="B1" t="b"><v>0</v></c><c r="C1" t="b"><v>TRUE</v></c><c r="D1" t="b"><v> false </v></c><c r="E1" t="b"><v></v></c><c r="F1" t="e"><v>#DIV/0!</v></c><c r="G1" t="e"><f>NA()</f><v>#N/A</v></c><c r="H1" t="d"><v>2026-01-05T10:00:00</v></c><c r="I1" t="str"><f>A1&amp;"x"</f><v>a_x000A_b</v></c></row>"#,
        &[],
        "true,false,true,false,,#DIV/0!,#N/A,2026-01-05T10:00:00,\"a\nb\"\n",
    );
    check_err(r#"<row><c r="A1" t="b"><v>2</v></c></row>"#, &[], "cell A1 holds `2`, which is not a boolean");
    check_err(
        r#"<row><c r="A1" t="x"><v>2</v></c></row>"#,
        &[],
        "cell A1 has the type `x`, which no workbook cell has",
    );
}

#[test]
fn a_formula_without_a_saved_value_is_refused() {
    let refused = "the formula in cell B2 has no saved value (the workbook was written by a tool that does not compute formulas): open and save it in Excel or LibreOffice, or paste the values";
    let header = r#"<row r="1"><c r="A1"><v>1</v></c></row>"#;
    check_err(&format!(r#"{header}<row r="2"><c r="B2"><f>1+1</f></c></row>"#), &[], refused);
    check_err(&format!(r#"{header}<row r="2"><c r="B2"><f>1+1</f><v></v></c></row>"#), &[], refused);
    // A shared formula's other cells name it by its index only.
    check_err(&format!(r#"{header}<row r="2"><c r="B2"><f t="shared" si="0"/></c></row>"#), &[], refused);
    check(&format!(r#"{header}<row r="2"><c r="B2"><f>1+1</f><v>2</v></c></row>"#), &[], "1\n,2\n");
    // A formula whose value is empty text has a saved value.
    check(&format!(r#"{header}<row r="2"><c r="B2" t="str"><f>""</f><v></v></c></row>"#), &[], "1\n");
}

#[test]
fn merged_header_cells_are_refused_when_the_sheet_ends() {
    let merged = |range: &str| format!(r#"<mergeCells count="1"><mergeCell ref="{range}"/></mergeCells>"#);
    let rows = r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>"#;
    let refused = "the header row 1 holds merged cells (A1:B1): headers must be one row of single cells, one per column; unmerge them";
    check_err("", &[("xl/worksheets/sheet1.xml", &sheet(rows, &merged("A1:B1")))], refused);
    check("", &[("xl/worksheets/sheet1.xml", &sheet(rows, &merged("A2:B3")))], "1\n2\n");
    // Past the text held before the first chunk goes to the core, the
    // error still ends the text.
    let many: String = (1..=20_000).map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#)).collect();
    check_err("", &[("xl/worksheets/sheet1.xml", &sheet(&many, &merged("A1:B1")))], refused);
    check_err("", &[("xl/worksheets/sheet1.xml", &sheet(rows, &merged("A1:")))], "the merged range `A1:` is not valid");
}

#[test]
fn out_of_order_cells_and_bad_references_are_refused() {
    check_err(
        r#"<row><c r="B1"><v>1</v></c><c r="A1"><v>2</v></c></row>"#,
        &[],
        "cell A1 is out of order in the sheet",
    );
    check_err(r#"<row><c r="1A"><v>1</v></c></row>"#, &[], "the cell reference `1A` is not valid");
    check_err(r#"<row><c r="A99999999999"><v>1</v></c></row>"#, &[], "the cell reference `A99999999999` is not valid");
    check_err(
        r#"<row><c r="A1048577"><v>1</v></c></row>"#,
        &[],
        "cell A1048577 is past row 1048576, the last row of a sheet",
    );
    check_err(r#"<row r="x"><c><v>1</v></c></row>"#, &[], "the row number `x` is not valid");
}

#[test]
fn corrupt_parts_are_errors_naming_what_is_wrong() {
    let not_a_workbook = "`t.xlsx` is not a readable xlsx workbook";
    assert!(read(b"PK\x03\x04 not a zip".to_vec()).is_err_and(|e| e.contains(not_a_workbook)));
    let strings = sst(&["<t>a</t>"]);
    check_err(
        r#"<row><c r="A1" t="s"><v>5</v></c></row>"#,
        &[("xl/sharedStrings.xml", &strings)],
        "cell A1 names shared string 5, but the workbook has 1",
    );
    check_err(r#"<row><c r="A1" t="s"><v>x</v></c></row>"#, &[], "cell A1 names the shared string `x`, not a number");
    check_err(r#"<row><c r="A1"><v>1</v>"#, &[], "`xl/worksheets/sheet1.xml` is not well-formed XML at byte");
    check_err(r#"<row><c r="A1"><v>1</v></c></row><row <c>"#, &[], "a `<` inside a tag");
    check_err("", &[("xl/worksheets/sheet1.xml", r#"<!DOCTYPE x [<!ENTITY e "e">]><worksheet/>"#)], "a document type");
    check_err(
        "",
        &[("xl/worksheets/sheet1.xml", "<worksheet/>")],
        "holds no cells (`sheetData`): it is not a worksheet",
    );
    let mut encrypted = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    encrypted.resize(4096, 0);
    assert!(read(encrypted)
        .is_err_and(|e| e.contains("`t.xlsx` is encrypted (saved with a password) or is an `.xls` file")));
    check_err("", &[("xl/sharedStrings.xml", "<sst><si><t>a</si>")], not_a_workbook);
    check_err(
        "",
        &[("xl/workbook.xml", "<workbook><sheets><sheet name=\"S\" r:id=\"rId9\"/></sheets></workbook>")],
        "the sheet `S` has no relationship `rId9`",
    );
    check_err("", &[("_rels/.rels", "<Relationships/>"), ("xl/workbook.xml", "")], "`t.xlsx` has no sheet");
    // A sheet part whose compressed bytes are damaged.
    let rows: String =
        (1..=2000).map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{}</v></c></row>"#, r * 7919 % 10007)).collect();
    let mut xlsx = book(&rows, &[]);
    let name = b"xl/worksheets/sheet1.xml";
    let at = xlsx.windows(name.len()).position(|w| w == name).expect("the local header") + name.len() + 200;
    for b in &mut xlsx[at..at + 64] {
        *b ^= 0x5A;
    }
    assert!(read(xlsx).is_err_and(|e| e.contains("cannot decompress `xl/worksheets/sheet1.xml`")));
}

#[test]
fn parts_found_where_writers_put_them() {
    // An absolute target, a part named in other case, no styles, no
    // shared strings, a prefix on every name.
    let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/Data.xml"/></Relationships>"#;
    let workbook = format!(
        r#"<x:workbook {NS} xmlns:x="x"><x:sheets><x:sheet name="A &amp; B" sheetId="1" r:id="rId7"/></x:sheets></x:workbook>"#
    );
    let data = r#"<x:worksheet xmlns:x="x"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>p</x:t></x:is></x:c><x:c r="B1"><x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>"#;
    let xlsx = book(
        "",
        &[("xl/_rels/workbook.xml.rels", rels), ("xl/workbook.xml", &workbook), ("xl/worksheets/data.xml", data)],
    );
    let rows = super::open("t.xlsx", xlsx, Some("A & B"), LIMITS).expect("opened");
    assert_eq!(rows.file, "t.xlsx#A & B");
    assert_eq!(csv_text(rows).as_deref(), Ok("p,2\n"));
    // The workbook at the package's root, its merged cells before its cells.
    let root = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/book.xml"/></Relationships>"#;
    let book_rels = rels.replace("/xl/worksheets/Data.xml", "s.xml");
    let merged_first = format!(
        r#"<worksheet {NS}><mergeCells><mergeCell ref="B1:C1"/></mergeCells><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>"#
    );
    let parts =
        [("_rels/.rels", root), ("book.xml", &workbook), ("_rels/book.xml.rels", &book_rels), ("s.xml", &merged_first)];
    check_err("", &parts, "the header row 1 holds merged cells (B1:C1)");
}

#[test]
fn fields_are_cut_past_the_field_limit() {
    let long = "é".repeat(10);
    let strings = sst(&[&format!("<t>{long}</t>")]);
    let rows = format!(
        r#"<row><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>{long}</t></is></c><c r="C1"><v>123456789012</v></c></row>"#
    );
    let xlsx = book(&rows, &[("xl/sharedStrings.xml", &strings)]);
    // Just past 8 bytes, at a character's end.
    assert_eq!(
        read_with(xlsx, SheetLimits { columns: 16, field: 8, row: 64 }).as_deref(),
        Ok("ééééé,ééééé,123456789\n")
    );
    // A row of more text than the row limit stops the read.
    let xlsx = book(&rows, &[("xl/sharedStrings.xml", &strings)]);
    let err = read_with(xlsx, SheetLimits { columns: 16, field: 8, row: 16 }).expect_err("too long");
    assert!(
        err.contains("t.xlsx#Sheet1:1: cannot read: row 1 holds more than 16 bytes of text, the row limit"),
        "{err}"
    );
}

#[test]
fn long_cells_and_many_blocks_read_as_calamine_reads_them() {
    // Cells across the blocks the sheet is decompressed in, text longer
    // than a block's free head, and every path a cell can take.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for r in 0..3000u32 {
        ws.write_string(r, 0, format!("firm {r} & co <{}>", "x".repeat(r as usize % 50))).expect("cell");
        ws.write_number(r, 1, f64::from(r) / 7.0).expect("cell");
        ws.write_number_with_format(r, 2, 40_000.0 + f64::from(r) / 3.0, &date).expect("cell");
        if r % 3 == 0 {
            ws.write_boolean(r, 4, r % 2 == 0).expect("cell");
        }
        if r % 500 == 7 {
            ws.write_string(r, 5, format!(" {} ", "長い".repeat(10_000))).expect("cell");
        }
    }
    let xlsx = wb.save_to_buffer().expect("saved");
    let ours = read(xlsx.clone()).expect("read");
    assert_eq!(ours.lines().count(), 3000);
    assert_eq!(ours, calamine_csv(&xlsx));
}

#[test]
fn text_and_tags_across_blocks() {
    // Over a megabyte of XML whose entities, line ends, tags and long texts
    // fall across the blocks it is read in, at every offset.
    let (mut rows, mut expected) = (String::new(), String::new());
    for r in 1..=6000 {
        let long = if r % 1000 == 1 { "é&amp;".repeat(7000) } else { String::new() };
        let pad = " ".repeat(r % 13);
        rows.push_str(&format!(
            r#"<row r="{r}">{pad}<c r="A{r}" t="inlineStr"><is><t>a&amp;b{r}{long}</t></is></c>{pad}<c r="B{r}"><v>{r}</v></c><c r="C{r}" t="str"><v>x&#13;&#10;y{pad}</v></c></row>
"#
        ));
        let long = long.replace("&amp;", "&");
        expected.push_str(&format!("a&b{r}{long},{r},\"x\r\ny{pad}\"\n"));
    }
    check(&rows, &[], &expected);
}

/// A cell rust_xlsxwriter writes.
#[derive(Clone, Debug)]
enum Cell {
    Number(f64),
    Text(String),
    Bool(bool),
    Date(f64, &'static str),
    Rich(String, String),
}

fn any_cell() -> impl Strategy<Value = Cell> {
    let text = prop_oneof![
        "[a-z ,\"]{0,8}",
        "[ \t\r\n]{0,2}[a-z]{0,3}[ \t\n]{0,2}",
        "_x00[0-9A-F]{2}_",
        "\\PC{0,6}",
        "[&<>'\"]{1,4}",
    ];
    let number = prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        (-1_000_000i64..1_000_000).prop_map(|n| n as f64 / 1000.0)
    ];
    prop_oneof![
        number.prop_map(Cell::Number),
        text.prop_map(Cell::Text),
        any::<bool>().prop_map(Cell::Bool),
        (
            0.0f64..3_000_000.0,
            prop::sample::select(vec!["yyyy-mm-dd", "hh:mm:ss", "0.00", "[h]:mm", "d mmm yy h:mm AM/PM", "\"x\"0"])
        )
            .prop_map(|(v, f)| Cell::Date(v, f)),
        ("[a-z]{1,4}", "[ a-z]{1,4}").prop_map(|(a, b)| Cell::Rich(a, b)),
    ]
}

/// A sheet of every shape of cell, and shared strings and styles, for
/// [`damaged_parts_are_read_or_refused_never_a_panic`] to damage.
const WHOLE_SHEET: &str = r#"<worksheet xmlns="x"><dimension ref="A1:D3"/><mergeCells count="1"><mergeCell ref="C9:D9"/></mergeCells><sheetData><row r="1" spans="1:4"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>46000.5</v></c><c r="C1" t="inlineStr"><is><r><t>a&amp;b</t></r><rPh><t>x</t></rPh></is></c><c r="D1" t="b"><v>1</v></c></row><row r="2"><c r="A2" t="str"><f>1</f><v>a_x000D_</v></c><c><v>1E-7</v></c><c r="C2" t="e"><v>#N/A</v></c><c r="D2"><![CDATA[x]]></c></row><row><c r="A3" s="2"><v>12.5</v></c></row></sheetData><mergeCells count="1"><mergeCell ref="A5:B5"/></mergeCells></worksheet>"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn damaged_parts_are_read_or_refused_never_a_panic(
        part in 0..3usize,
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..4usize, "[<>/=\"'&;#xX0-9a-zA-Z :\r\n_]{0,3}"), 1..4)
    ) {
        let strings = sst(&["<t>id</t>", "<r><t xml:space=\"preserve\"> r</t></r>"]);
        let mut parts = [
            ("xl/worksheets/sheet1.xml", WHOLE_SHEET.to_string()),
            ("xl/sharedStrings.xml", strings),
            ("xl/styles.xml", STYLES.to_string()),
        ];
        let text = &mut parts[part].1;
        for (at, cut, insert) in &edits {
            let mut bytes = std::mem::take(text).into_bytes();
            let at = at.index(bytes.len() + 1);
            let end = (at + cut).min(bytes.len());
            bytes.splice(at..end, insert.bytes());
            *text = String::from_utf8_lossy(&bytes).into_owned();
        }
        let parts: Vec<(&str, &str)> = parts.iter().map(|(n, t)| (*n, t.as_str())).collect();
        if let Err(e) = read(book("", &parts)) {
            prop_assert!(!e.contains("stopped before the end"), "{}", e);
        }
    }

    #[test]
    fn written_workbooks_read_as_calamine_reads_them(
        rows in prop::collection::vec(prop::collection::vec(prop::option::of(any_cell()), 1..6), 1..12)
    ) {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                let res = match cell {
                    None => continue,
                    Some(Cell::Number(n)) => ws.write_number(r, c, *n),
                    Some(Cell::Text(t)) => ws.write_string(r, c, t),
                    Some(Cell::Bool(b)) => ws.write_boolean(r, c, *b),
                    Some(Cell::Date(v, f)) => ws.write_number_with_format(r, c, *v, &rust_xlsxwriter::Format::new().set_num_format(*f)),
                    Some(Cell::Rich(a, b)) => ws.write_rich_string(r, c, &[(&bold, a.as_str()), (&rust_xlsxwriter::Format::default(), b.as_str())]),
                };
                res.expect("a cell");
            }
        }
        let xlsx = wb.save_to_buffer().expect("saved");
        prop_assert_eq!(read(xlsx.clone()).expect("read"), calamine_csv(&xlsx));
    }

    #[test]
    fn a_number_kept_as_written_is_its_shortest_text(
        v in prop_oneof!["-?[0-9]{1,17}(\\.[0-9]{1,17})?", "-?0\\.0{0,16}[1-9]{1,3}", "-?[0-9]{1,3}[eE]-?[0-9]{1,3}"]
    ) {
        if is_shortest(v.as_bytes()) {
            prop_assert_eq!(float_text(v.parse::<f64>().expect("a number")), v);
        }
    }
}

#[test]
fn numbers_kept_as_written() {
    for v in ["0", "12", "-3", "0.1", "-0.5", "123456789012345", "0.00000000000001", "99.25"] {
        assert!(is_shortest(v.as_bytes()), "{v}");
    }
    for v in ["-0", "00", "1.0", "1.", ".5", "1e5", "1234567890123456", "0.000000000000001", "+1", "1 ", "", "-"] {
        assert!(!is_shortest(v.as_bytes()), "{v}");
    }
}

#[test]
fn the_header_is_trimmed_short_rows_padded_and_an_empty_sheet_is_an_empty_file() {
    use safegrade::batch::RowSource;
    let rows = r#"<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve"> id </t></is></c><c r="B2" t="inlineStr"><is><t>x</t></is></c></row><row r="3"><c r="A3"><v>1</v></c></row>"#;
    let mut sheet = super::open("t.xlsx", book(rows, &[]), None, LIMITS).expect("opened");
    let header = sheet.header().expect("a header");
    assert_eq!((header.line, header.names), (2, vec!["id".to_string(), "x".to_string()]));
    let (line, cells) = sheet.next_cells().expect("read").expect("a row");
    assert_eq!((line, cells.len()), (3, 2));
    assert!(sheet.next_cells().expect("read").is_none());

    let mut empty = super::open("t.xlsx", book("", &[]), None, LIMITS).expect("opened");
    let err = empty.header().expect_err("empty").to_string();
    assert_eq!(err, "t.xlsx#Sheet1: the file is empty: expected a header line");
}
