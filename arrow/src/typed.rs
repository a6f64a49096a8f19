//! Text cells into typed Arrow columns: what turns a CSV export (or the
//! synthetic district) into a table of integers, exact decimals, dates,
//! booleans and text. [`infer`] types each column by what all its cells
//! hold; [`batch`] builds a record batch of given types, an empty cell
//! being a null (a missing answer).

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use chrono::{Datelike, NaiveDate};

/// The most digits a Decimal128 holds.
const MAX_PRECISION: u8 = 38;

/// A column's type from its cells: `Int64` when every cell that is not
/// empty is an integer written without a leading zero, `Decimal128` when
/// each is a plain decimal number (of scale the most digits after the
/// point), `Date32` when each is a `YYYY-MM-DD` date, `Boolean` when each
/// is `true` or `false`, else `Utf8` (a column of empty cells too).
pub fn infer<'a>(cells: impl IntoIterator<Item = &'a str>) -> DataType {
    let (mut int, mut dec, mut date, mut boolean, mut any) = (true, true, true, true, false);
    let mut scale = 0u8;
    for c in cells.into_iter().filter(|c| !c.is_empty()) {
        any = true;
        int &= int_digits(c).is_some();
        match decimal(c) {
            Some((_, s)) => scale = scale.max(s),
            None => dec = false,
        }
        date &= parse_date(c).is_some();
        boolean &= c == "true" || c == "false";
    }
    match () {
        _ if !any => DataType::Utf8,
        _ if int => DataType::Int64,
        _ if dec => DataType::Decimal128(MAX_PRECISION, scale as i8),
        _ if date => DataType::Date32,
        _ if boolean => DataType::Boolean,
        _ => DataType::Utf8,
    }
}

/// A schema of the columns `names`, typed by [`infer`] over `rows`.
pub fn infer_schema(names: &[String], rows: &[Vec<String>]) -> SchemaRef {
    let fields: Vec<Field> = names
        .iter()
        .enumerate()
        .map(|(i, n)| Field::new(n, infer(rows.iter().map(|r| r.get(i).map_or("", String::as_str))), true))
        .collect();
    Arc::new(Schema::new(fields))
}

/// One record batch of `schema` (of the types [`infer`] gives) from rows
/// of text cells; a cell its column's type cannot hold is an error naming
/// the row and column.
pub fn batch(schema: &SchemaRef, rows: &[Vec<String>]) -> Result<RecordBatch, ArrowError> {
    let columns = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| column(f, rows.iter().map(|r| r.get(i).map_or("", String::as_str))))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns)
}

fn column<'a>(field: &Field, cells: impl Iterator<Item = &'a str>) -> Result<ArrayRef, ArrowError> {
    let bad = |row: usize, c: &str| {
        ArrowError::InvalidArgumentError(format!(
            "row {}: `{c}` is not a value of column `{}` ({})",
            row + 1,
            field.name(),
            field.data_type()
        ))
    };
    Ok(match field.data_type() {
        DataType::Int64 => {
            let mut b = Int64Builder::new();
            for (r, c) in cells.enumerate() {
                match c {
                    "" => b.append_null(),
                    c => b.append_value(c.parse().map_err(|_| bad(r, c))?),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Decimal128(p, s) => {
            let mut b = Decimal128Builder::new();
            for (r, c) in cells.enumerate() {
                match c {
                    "" => b.append_null(),
                    c => b.append_value(scaled(c, *s as u8).ok_or_else(|| bad(r, c))?),
                }
            }
            Arc::new(b.finish().with_precision_and_scale(*p, *s)?)
        }
        DataType::Date32 => {
            let mut b = Date32Builder::new();
            for (r, c) in cells.enumerate() {
                match c {
                    "" => b.append_null(),
                    c => b.append_value(parse_date(c).ok_or_else(|| bad(r, c))?),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Boolean => {
            let mut b = BooleanBuilder::new();
            for (r, c) in cells.enumerate() {
                match c {
                    "" => b.append_null(),
                    "true" => b.append_value(true),
                    "false" => b.append_value(false),
                    c => return Err(bad(r, c)),
                }
            }
            Arc::new(b.finish())
        }
        _ => {
            let mut b = StringBuilder::new();
            for c in cells {
                match c {
                    "" => b.append_null(),
                    c => b.append_value(c),
                }
            }
            Arc::new(b.finish())
        }
    })
}

/// An integer's text without a leading zero (`0` itself, `-12`).
fn int_digits(c: &str) -> Option<&str> {
    let digits = c.strip_prefix('-').unwrap_or(c);
    let ok = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    ok.then_some(digits)
}

/// A plain decimal's digits as an integer and its scale (`-12.50` is
/// (-1250, 2)); the integer part has no leading zero.
fn decimal(c: &str) -> Option<(i128, u8)> {
    let (int, frac) = c.split_once('.').unwrap_or((c, ""));
    let int_ok = int_digits(int).is_some() || int == "-0";
    if !int_ok || !frac.bytes().all(|b| b.is_ascii_digit()) || (c.contains('.') && frac.is_empty()) {
        return None;
    }
    let scale = u8::try_from(frac.len()).ok().filter(|s| *s <= 18)?;
    let digits = format!("{}{frac}", int.trim_start_matches('-'));
    let n: i128 = digits.parse().ok()?;
    Some((if c.starts_with('-') { -n } else { n }, scale))
}

/// `c` as a decimal of scale `scale` (more digits than the scale fit is not one).
fn scaled(c: &str, scale: u8) -> Option<i128> {
    let (n, s) = decimal(c)?;
    (s <= scale).then(|| n.checked_mul(10i128.checked_pow(u32::from(scale - s))?)).flatten()
}

/// A `YYYY-MM-DD` date as days after 1970-01-01.
fn parse_date(c: &str) -> Option<i32> {
    let ok = c.len() == 10 && c.as_bytes()[4] == b'-' && c.as_bytes()[7] == b'-';
    let d = NaiveDate::parse_from_str(c, "%Y-%m-%d").ok().filter(|_| ok)?;
    Some(d.num_days_from_ce() - NaiveDate::from_ymd_opt(1970, 1, 1)?.num_days_from_ce())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_typed_by_every_cell() {
        assert_eq!(infer(["1", "", "-20"]), DataType::Int64);
        assert_eq!(infer(["1", "007"]), DataType::Utf8);
        assert_eq!(infer(["1", "2.50", "-0.1"]), DataType::Decimal128(38, 2));
        assert_eq!(infer(["2026-06-30", ""]), DataType::Date32);
        assert_eq!(infer(["2026-6-30"]), DataType::Utf8);
        assert_eq!(infer(["true", "false"]), DataType::Boolean);
        assert_eq!(infer(["", ""]), DataType::Utf8);
        assert_eq!(infer(["1.", "2"]), DataType::Utf8);
    }

    #[test]
    fn a_batch_holds_the_cells_exactly() {
        let names = vec!["n".to_string(), "loss".to_string(), "day".to_string()];
        let rows =
            vec![vec!["3".into(), "1.5".into(), "2026-06-30".into()], vec!["".into(), "-0.25".into(), "".into()]];
        let schema = infer_schema(&names, &rows);
        let b = batch(&schema, &rows).unwrap();
        let shown = arrow_cast::pretty::pretty_format_batches(&[b]).unwrap().to_string();
        assert!(shown.contains("| 3 | 1.50  | 2026-06-30 |"), "{shown}");
        assert!(shown.contains("|   | -0.25 |            |"), "{shown}");
        let e = batch(&schema, &[vec!["x".into(), "1".into(), "".into()]]).unwrap_err();
        assert!(e.to_string().contains("row 1: `x` is not a value of column `n` (Int64)"), "{e}");
    }
}
