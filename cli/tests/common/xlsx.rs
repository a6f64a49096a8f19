//! Writing CSV files as workbook sheets, for the tests and for
//! `scripts/sample-formats.sh` (through `examples/csv-to-xlsx.rs`): each
//! cell is stored as Excel would type it in: a `YYYY-MM-DD` date as a date
//! (a serial number with a date format), a number whose shortest text is
//! the cell's as a number (a float), anything else as text.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

/// Writes the CSV text `csv` into `ws`, row for row.
pub(crate) fn write_csv(ws: &mut Worksheet, csv: &[u8]) -> Result<(), XlsxError> {
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(csv);
    for (r, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| XlsxError::ParameterError(e.to_string()))?;
        let r = r as u32;
        for (c, cell) in rec.iter().enumerate() {
            let c = c as u16;
            if cell.is_empty() {
                continue;
            }
            let as_date = (cell.len() == 10 && cell.as_bytes()[4] == b'-' && cell.as_bytes()[7] == b'-')
                .then(|| ExcelDateTime::parse_from_str(cell).ok())
                .flatten();
            if let Some(d) = as_date {
                ws.write_datetime_with_format(r, c, &d, &date)?;
            } else if let Some(n) = cell.parse::<f64>().ok().filter(|n| n.is_finite() && format!("{n}") == cell) {
                ws.write_number(r, c, n)?;
            } else {
                ws.write_string(r, c, cell)?;
            }
        }
    }
    Ok(())
}

/// A workbook with one sheet per `(name, csv)`, as bytes.
pub(crate) fn workbook(sheets: &[(&str, &[u8])]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    for (name, csv) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name)?;
        write_csv(ws, csv)?;
    }
    wb.save_to_buffer()
}
