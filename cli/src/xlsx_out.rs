//! `--out FILE.xlsx`: the results as an Excel workbook.
//!
//! The run writes its results as CSV, as for `--out FILE.csv`, into memory;
//! this module lays that CSV out as three sheets:
//!
//! - `results`: two header rows, frozen, the second filterable: row 1 the
//!   column's title in Chinese and English (`黑名单 等级 / Blacklist grade`,
//!   from the rule files' labels), row 2 the CSV column name; then one row
//!   per CSV row. Scores are numbers when their decimal text survives the
//!   trip through a binary float unchanged, else text; grades are filled
//!   with their grade's `color`; every other cell is the CSV's text.
//! - `summary`: grade counts per step, then by each `--by` column.
//! - `rejects`: the rejects file's rows, the first 1,048,574 of them (a
//!   last row then says the rest are in the rejects file, which holds all).
//!
//! The workbook's creation date is the as-of date and rust_xlsxwriter
//! writes fixed zip timestamps, so the same run gives the same bytes:
//! `verify` compares a workbook by its hash, as any other output.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, Workbook, Worksheet};
use safegrade::batch::{StepSummary, Summary};
use safegrade::{Label, Rules};

/// Data rows a results sheet holds: Excel's 1,048,576 rows less the two
/// header rows. A run with more scored firms is refused.
pub(crate) const MAX_DATA_ROWS: u64 = 1_048_574;

/// Excel's limit on the characters of one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// What the workbook is made from.
pub(crate) struct Parts<'a> {
    pub(crate) rules: &'a Rules,
    pub(crate) summary: &'a Summary,
    /// The results as CSV, with its header (no BOM).
    pub(crate) results: &'a [u8],
    /// The rejects file as CSV, with its header (no BOM).
    pub(crate) rejects: &'a [u8],
    /// The key column and the carried columns: the columns before the results.
    pub(crate) fixed: usize,
    pub(crate) as_of: NaiveDate,
    /// `compare`: the new side's grades are those of `summary.new_steps`.
    pub(crate) compare: bool,
}

/// The workbook's bytes.
pub(crate) fn render(p: &Parts<'_>) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(p.as_of.year() as u16, p.as_of.month() as u8, p.as_of.day() as u8)
        .context("the as-of date cannot be written to a workbook")?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    results_sheet(wb.add_worksheet(), p)?;
    summary_sheet(wb.add_worksheet(), p.summary)?;
    rejects_sheet(wb.add_worksheet(), p.rejects)?;
    wb.save_to_buffer().context("cannot lay out the workbook")
}

fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes)
}

/// The step labels, by alias (empty for a single rule set).
fn step_labels(rules: &Rules) -> HashMap<String, Label> {
    match rules {
        Rules::Set(r) => HashMap::from([(String::new(), r.meta().name.clone())]),
        Rules::Scheme(s) => s.steps().map(|(a, r)| (a.to_string(), r.meta().name.clone())).collect(),
    }
}

/// The titles the rules give their result columns, by (step alias, column).
fn column_labels(rules: &Rules) -> HashMap<(String, String), Label> {
    let steps: Vec<(&str, &safegrade::CompiledRules)> = match rules {
        Rules::Set(r) => vec![("", r)],
        Rules::Scheme(s) => s.steps().collect(),
    };
    let labelled = |(alias, r): (&str, &safegrade::CompiledRules)| {
        let alias = alias.to_string();
        (r.result_columns().filter_map(move |(c, l)| Some(((alias.clone(), c.to_string()), l?.clone()))))
            .collect::<Vec<_>>()
    };
    steps.into_iter().flat_map(labelled).collect()
}

/// A result column's words, Chinese and English.
fn words(name: &str) -> (&'static str, &'static str) {
    match name {
        "score" => ("得分", "score"),
        "grade" => ("等级", "grade"),
        "items" => ("得分项", "items"),
        "overrides" => ("否决与调整", "overrides"),
        "old_grade" => ("原等级", "old grade"),
        "new_grade" => ("新等级", "new grade"),
        "old_score" => ("原得分", "old score"),
        "new_score" => ("新得分", "new score"),
        "changes" => ("变化", "changes"),
        _ => ("", ""),
    }
}

/// A result column split into (step alias, name).
fn split_column<'c>(column: &'c str, labels: &HashMap<String, Label>) -> (&'c str, &'c str) {
    // The longest alias that prefixes the column, should one alias begin another.
    labels
        .keys()
        .filter(|a| !a.is_empty())
        .filter_map(|a| column.strip_prefix(a.as_str()).and_then(|r| r.strip_prefix('_')).map(|n| (a.len(), n)))
        .max_by_key(|(len, _)| *len)
        .map_or(("", column), |(len, name)| (&column[..len], name))
}

/// `中文 / English` for a result column: the step's name, then the
/// column's words, or the title the rules give it.
fn title(column: &str, labels: &HashMap<String, Label>, columns: &HashMap<(String, String), Label>) -> String {
    let (alias, name) = split_column(column, labels);
    let (mut zh_word, mut en_word) = words(name);
    if let Some(l) = columns.get(&(alias.to_string(), name.to_string())) {
        (zh_word, en_word) = (&l.zh, l.en.as_deref().unwrap_or(""));
    }
    let Some(label) = labels.get(alias) else { return column.to_string() };
    let zh = if zh_word.is_empty() { format!("{} {name}", label.zh) } else { format!("{} {zh_word}", label.zh) };
    let en_label = label.en.as_deref().unwrap_or(if alias.is_empty() { "" } else { alias });
    let en_word = if en_word.is_empty() { name } else { en_word };
    let en = if en_label.is_empty() { en_word.to_string() } else { format!("{en_label} {en_word}") };
    format!("{zh} / {en}")
}

/// `#rrggbb` as a number.
fn rgb(color: &str) -> Option<u32> {
    let hex = color.strip_prefix('#')?;
    if hex.len() != 6 {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

/// A fill and a font colour readable on it (black on light, white on dark).
fn grade_format(fill: u32) -> Format {
    let (r, g, b) = ((fill >> 16) & 0xff, (fill >> 8) & 0xff, fill & 0xff);
    // Relative luminance, roughly (ITU-R BT.601 weights).
    let light = 299 * r + 587 * g + 114 * b >= 150_000;
    let font = if light { 0x000000 } else { 0xFFFFFF };
    Format::new().set_background_color(Color::RGB(fill)).set_font_color(Color::RGB(font))
}

/// A score as a number when its text is exactly an f64's shortest form.
fn exact_number(text: &str) -> Option<f64> {
    let f: f64 = text.parse().ok()?;
    (f.is_finite() && f.to_string() == text).then_some(f)
}

fn cell_text(text: &str, row: u32, col: u16) -> Result<&str> {
    if text.chars().count() > MAX_CELL_CHARS {
        bail!(
            "row {} column {}: a cell of {} characters, more than the {MAX_CELL_CHARS} a workbook cell holds; write CSV",
            row + 1,
            col + 1,
            text.chars().count()
        );
    }
    Ok(text)
}

fn results_sheet(ws: &mut Worksheet, p: &Parts<'_>) -> Result<()> {
    ws.set_name("results")?;
    let labels = step_labels(p.rules);
    let columns = column_labels(p.rules);
    let bold = Format::new().set_bold();
    let colors = |steps: &[StepSummary]| -> HashMap<(String, String), u32> {
        steps
            .iter()
            .flat_map(|st| {
                st.grades
                    .iter()
                    .filter_map(|g| g.color.as_deref().and_then(rgb).map(|c| ((st.alias.clone(), g.id.clone()), c)))
            })
            .collect()
    };
    let (old_colors, new_colors) = (colors(&p.summary.steps), colors(&p.summary.new_steps));
    let mut formats: HashMap<u32, Format> = HashMap::new();
    // Per column: (alias, is a score, which grades colour it).
    enum Kind {
        Text,
        Score,
        Grade { alias: String, new: bool },
    }
    let mut kinds: Vec<Kind> = Vec::new();
    let mut rdr = csv_reader(p.results);
    let mut record = csv::StringRecord::new();
    let mut row: u32 = 0;
    let mut width = 0u16;
    while rdr.read_record(&mut record).context("internal error: the results are not CSV")? {
        if row == 0 {
            for (c, name) in record.iter().enumerate() {
                let col = u16::try_from(c).context("too many columns for a workbook")?;
                let fixed = c < p.fixed;
                let t = if fixed { name.to_string() } else { title(name, &labels, &columns) };
                ws.write_string_with_format(0, col, cell_text(&t, 0, col)?, &bold)?;
                ws.write_string_with_format(1, col, cell_text(name, 1, col)?, &bold)?;
                let (alias, short) = split_column(name, &labels);
                kinds.push(match short {
                    _ if fixed => Kind::Text,
                    "score" | "old_score" | "new_score" => Kind::Score,
                    "grade" | "old_grade" => Kind::Grade { alias: alias.to_string(), new: false },
                    "new_grade" => Kind::Grade { alias: alias.to_string(), new: p.compare },
                    _ => Kind::Text,
                });
                width = col + 1;
            }
            row = 2;
            continue;
        }
        if u64::from(row) >= MAX_DATA_ROWS + 2 {
            bail!(
                "more than {MAX_DATA_ROWS} results, the most an Excel sheet holds below its two header rows; write CSV"
            );
        }
        for (c, text) in record.iter().enumerate() {
            let col = u16::try_from(c).context("too many columns for a workbook")?;
            if text.is_empty() {
                continue;
            }
            match kinds.get(c) {
                Some(Kind::Score) if exact_number(text).is_some() => {
                    ws.write_number(row, col, exact_number(text).unwrap_or_default())?;
                }
                Some(Kind::Grade { alias, new }) => {
                    let map = if *new { &new_colors } else { &old_colors };
                    match map.get(&(alias.clone(), text.to_string())) {
                        Some(&fill) => {
                            let f = formats.entry(fill).or_insert_with(|| grade_format(fill));
                            ws.write_string_with_format(row, col, cell_text(text, row, col)?, f)?;
                        }
                        None => {
                            ws.write_string(row, col, cell_text(text, row, col)?)?;
                        }
                    }
                }
                _ => {
                    ws.write_string(row, col, cell_text(text, row, col)?)?;
                }
            }
        }
        row += 1;
    }
    if width > 0 {
        ws.set_freeze_panes(2, 0)?;
        ws.autofilter(1, 0, row.saturating_sub(1).max(1), width - 1)?;
    }
    Ok(())
}

fn summary_sheet(ws: &mut Worksheet, s: &Summary) -> Result<()> {
    ws.set_name("summary")?;
    let bold = Format::new().set_bold();
    let mut row = 0u32;
    let head = |ws: &mut Worksheet, row: u32, cells: &[&str]| -> Result<()> {
        for (c, t) in cells.iter().enumerate() {
            ws.write_string_with_format(row, c as u16, *t, &bold)?;
        }
        Ok(())
    };
    head(ws, row, &["side", "step", "rule set", "grade", "label", "firms"])?;
    row += 1;
    let sides: [(&str, &[StepSummary]); 2] =
        [(if s.new_steps.is_empty() { "" } else { "old" }, &s.steps), ("new", &s.new_steps)];
    for (side, steps) in sides {
        for st in steps {
            for g in &st.grades {
                ws.write_string(row, 0, side)?;
                ws.write_string(row, 1, &st.alias)?;
                ws.write_string(row, 2, format!("{} v{}", st.ruleset, st.version))?;
                match g.color.as_deref().and_then(rgb) {
                    Some(fill) => ws.write_string_with_format(row, 3, &g.id, &grade_format(fill))?,
                    None => ws.write_string(row, 3, &g.id)?,
                };
                ws.write_string(row, 4, &g.label)?;
                ws.write_number(row, 5, g.count as f64)?;
                row += 1;
            }
        }
    }
    for b in &s.breakdown {
        row += 1;
        let mut cells: Vec<&str> = vec!["by", "step", "value"];
        cells.extend(b.grades.iter().map(String::as_str));
        head(ws, row, &cells)?;
        row += 1;
        for (value, counts) in &b.rows {
            ws.write_string(row, 0, &b.column)?;
            ws.write_string(row, 1, &b.alias)?;
            ws.write_string(row, 2, value)?;
            for (i, n) in counts.iter().enumerate() {
                ws.write_number(row, 3 + i as u16, *n as f64)?;
            }
            row += 1;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn rejects_sheet(ws: &mut Worksheet, rejects: &[u8]) -> Result<()> {
    ws.set_name("rejects")?;
    let bold = Format::new().set_bold();
    let mut rdr = csv_reader(rejects);
    let mut record = csv::StringRecord::new();
    let mut row = 0u32;
    let mut width = 0u16;
    while rdr.read_record(&mut record).context("internal error: the rejects are not CSV")? {
        if u64::from(row) > MAX_DATA_ROWS {
            ws.write_string(row, 0, "… more rejected rows: every one is in the rejects file")?;
            row += 1;
            break;
        }
        for (c, text) in record.iter().enumerate() {
            let col = u16::try_from(c).context("too many columns for a workbook")?;
            let text = cell_text(text, row, col)?;
            match (row, c, text.parse::<u32>()) {
                (0, _, _) => ws.write_string_with_format(row, col, text, &bold)?,
                (_, 1, Ok(line)) => ws.write_number(row, col, f64::from(line))?,
                _ => ws.write_string(row, col, text)?,
            };
            width = width.max(col + 1);
        }
        row += 1;
    }
    if width > 0 {
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, row.saturating_sub(1).max(1), width - 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_only_when_exact() {
        assert_eq!(exact_number("85"), Some(85.0));
        assert_eq!(exact_number("-12.5"), Some(-12.5));
        assert_eq!(exact_number("0.1"), Some(0.1));
        assert_eq!(exact_number("12345678901234567890.123"), None);
        assert_eq!(exact_number("85.0"), None);
        assert_eq!(exact_number(""), None);
    }

    #[test]
    fn colours() {
        assert_eq!(rgb("#c0392b"), Some(0xc0392b));
        assert_eq!(rgb("c0392b"), None);
        assert_eq!(rgb("#c039"), None);
        assert_eq!(rgb("#zz0000"), None);
    }
}
