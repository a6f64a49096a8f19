//! One Arrow column read as the text cells a CSV file would hold, exactly:
//! integers and decimals by their digits (a Decimal128 of scale 2 holding
//! 12345 is `123.45`), dates as `YYYY-MM-DD`, booleans as `true`/`false`,
//! text as it is, a dictionary by its values, a null as an empty cell (a
//! missing answer). Floats are refused unless asked for, since `0.1` as a
//! float is not 0.1; then each is its shortest text that reads back as the
//! same float. [`check`] decides, before any row is read, whether a column's
//! type can hold the values of what the rules read from it.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, DecimalType, Float32Type, Float64Type, Int64Type,
    UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Date64Array, Decimal128Array, Decimal256Array, Float32Array,
    Float64Array, Int64Array, LargeStringArray, StringArray, StringViewArray, UInt64Array,
};
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;
use safegrade::batch::{ColumnUse, InputKind};

/// How a column's values become text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Null,
    Text,
    Bool,
    Int,
    Decimal,
    Float,
    Date,
}

/// The shape of a type, `None` for one with no text form (a struct, a
/// list, bytes, a timestamp).
fn shape(t: &DataType) -> Option<Shape> {
    Some(match t {
        DataType::Null => Shape::Null,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Shape::Text,
        DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => {
            Shape::Text
        }
        DataType::Boolean => Shape::Bool,
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => Shape::Int,
        DataType::Decimal128(..) | DataType::Decimal256(..) => Shape::Decimal,
        DataType::Float32 | DataType::Float64 => Shape::Float,
        DataType::Date32 | DataType::Date64 => Shape::Date,
        _ => return None,
    })
}

/// Whether a column of type `t` may be read for `usage`; the message says
/// why not, naming the column, its type and what it is read as. Floats
/// are read only when `floats` allows them. A column read by nothing is
/// always accepted: a type with no text form gives empty cells.
pub(crate) fn check(column: &str, t: &DataType, usage: &ColumnUse, floats: bool) -> Result<(), String> {
    let Some(shape) = shape(t) else {
        return match usage {
            ColumnUse::Ignored => Ok(()),
            _ => Err(format!("column `{column}` is of type {t}, which has no text form; {} needs one", what(usage))),
        };
    };
    let fits = match usage {
        ColumnUse::Ignored => true,
        _ if shape == Shape::Float && !floats => {
            return Err(format!(
                "column `{column}` holds floats ({t}), which are not exact (0.1 as a float is not 0.1); \
                 store {} as a decimal, an integer or text, or allow floats (each is then read by its \
                 shortest text)",
                what(usage)
            ))
        }
        ColumnUse::Key => matches!(shape, Shape::Null | Shape::Text | Shape::Int),
        ColumnUse::Carried => true,
        ColumnUse::Input { kind, .. } => match kind {
            InputKind::Integer | InputKind::Decimal => {
                matches!(shape, Shape::Null | Shape::Text | Shape::Int | Shape::Decimal | Shape::Float)
            }
            InputKind::Bool => matches!(shape, Shape::Null | Shape::Text | Shape::Bool),
            InputKind::Date => matches!(shape, Shape::Null | Shape::Text | Shape::Date),
            InputKind::Enum | InputKind::Text => matches!(shape, Shape::Null | Shape::Text | Shape::Int),
            InputKind::Uscc => matches!(shape, Shape::Null | Shape::Text),
        },
    };
    if fits {
        Ok(())
    } else {
        Err(format!("column `{column}` is of type {t}, which cannot hold the values of {}", what(usage)))
    }
}

/// What a column is read as, for messages.
fn what(usage: &ColumnUse) -> String {
    match usage {
        ColumnUse::Key => "the key".into(),
        ColumnUse::Carried => "a carried column".into(),
        ColumnUse::Ignored => "a column read by nothing".into(),
        ColumnUse::Input { name, kind } => format!("the input `{name}` ({})", kind.name()),
    }
}

/// A column of one record batch, ready to give each row's cell: its type
/// is decided once, not per cell.
pub(crate) struct Cells {
    column: Column,
    nulls: Option<NullBuffer>,
}

/// A column by its type.
enum Column {
    /// Nulls, or a type with no text form (a column read by nothing).
    Empty,
    Utf8(StringArray),
    LargeUtf8(LargeStringArray),
    Utf8View(StringViewArray),
    /// A dictionary: each row's key, and the values' texts.
    Dictionary(Vec<usize>, Vec<Option<String>>),
    Bool(BooleanArray),
    Int(Int64Array),
    UInt(UInt64Array),
    Decimal128(Decimal128Array, i8),
    Decimal256(Decimal256Array, u8, i8),
    Float32(Float32Array),
    Float64(Float64Array),
    Date32(Date32Array),
    Date64(Date64Array),
}

impl Cells {
    /// A column's cells; a dictionary's values are read once here.
    pub(crate) fn new(array: &ArrayRef) -> Cells {
        // Narrower integers are widened once per batch; widening cannot fail.
        let widen = |t: DataType| arrow_cast::cast(array, &t).ok();
        let column = match array.data_type() {
            DataType::Utf8 => Column::Utf8(array.as_string::<i32>().clone()),
            DataType::LargeUtf8 => Column::LargeUtf8(array.as_string::<i64>().clone()),
            DataType::Utf8View => Column::Utf8View(array.as_string_view().clone()),
            DataType::Dictionary(..) if shape(array.data_type()) == Some(Shape::Text) => {
                let d = array.as_any_dictionary();
                let values = Cells::new(d.values());
                let texts = (0..d.values().len()).map(|i| values.text(i)).collect();
                Column::Dictionary(d.normalized_keys(), texts)
            }
            DataType::Boolean => Column::Bool(array.as_boolean().clone()),
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
                widen(DataType::Int64).map_or(Column::Empty, |a| Column::Int(a.as_primitive::<Int64Type>().clone()))
            }
            DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
                widen(DataType::UInt64).map_or(Column::Empty, |a| Column::UInt(a.as_primitive::<UInt64Type>().clone()))
            }
            DataType::Decimal128(_, s) => Column::Decimal128(array.as_primitive::<Decimal128Type>().clone(), *s),
            DataType::Decimal256(p, s) => Column::Decimal256(array.as_primitive::<Decimal256Type>().clone(), *p, *s),
            DataType::Float32 => Column::Float32(array.as_primitive::<Float32Type>().clone()),
            DataType::Float64 => Column::Float64(array.as_primitive::<Float64Type>().clone()),
            DataType::Date32 => Column::Date32(array.as_primitive::<Date32Type>().clone()),
            DataType::Date64 => Column::Date64(array.as_primitive::<Date64Type>().clone()),
            _ => Column::Empty,
        };
        Cells { column, nulls: array.logical_nulls() }
    }

    /// Row `row`'s cell, appended to `out` (nothing for a null).
    pub(crate) fn push(&self, row: usize, out: &mut String) {
        use std::fmt::Write;
        if self.nulls.as_ref().is_some_and(|n| n.is_null(row)) {
            return;
        }
        let mut int = itoa::Buffer::new();
        // Writing to a `String` cannot fail.
        let _ = match &self.column {
            Column::Empty => Ok(()),
            Column::Utf8(a) => out.write_str(a.value(row)),
            Column::LargeUtf8(a) => out.write_str(a.value(row)),
            Column::Utf8View(a) => out.write_str(a.value(row)),
            Column::Dictionary(keys, texts) => {
                out.write_str(texts.get(keys[row]).and_then(Option::as_deref).unwrap_or(""))
            }
            Column::Bool(a) => out.write_str(if a.value(row) { "true" } else { "false" }),
            Column::Int(a) => out.write_str(int.format(a.value(row))),
            Column::UInt(a) => out.write_str(int.format(a.value(row))),
            Column::Decimal128(a, scale) => {
                decimal(out, int.format(a.value(row)), *scale);
                Ok(())
            }
            Column::Decimal256(a, p, s) => out.write_str(&Decimal256Type::format_decimal(a.value(row), *p, *s)),
            // Rust writes a float as its shortest text that reads back as it, never with an exponent.
            Column::Float32(a) => write!(out, "{}", a.value(row)),
            Column::Float64(a) => write!(out, "{}", a.value(row)),
            Column::Date32(a) => {
                let days = a.value(row);
                match date(days) {
                    Some(text) => out.write_str(std::str::from_utf8(&text).unwrap_or("")),
                    None => write!(out, "day {days} after 1970-01-01"),
                }
            }
            Column::Date64(a) => match a.value_as_datetime(row) {
                // A Date64 that is not at midnight is not a date: its text is refused as one.
                Some(t) if t.time() == chrono::NaiveTime::MIN => write!(out, "{}", t.date().format("%Y-%m-%d")),
                Some(t) => write!(out, "{}", t.format("%Y-%m-%dT%H:%M:%S%.3f")),
                None => write!(out, "{} ms after 1970-01-01", a.value(row)),
            },
        };
    }

    /// Row `row`'s cell: text read in place, any other value written
    /// into `scratch` (empty for a null).
    pub(crate) fn cell<'a>(&'a self, row: usize, scratch: &'a mut String) -> &'a str {
        if self.nulls.as_ref().is_some_and(|n| n.is_null(row)) {
            return "";
        }
        match &self.column {
            Column::Utf8(a) => a.value(row),
            Column::LargeUtf8(a) => a.value(row),
            Column::Utf8View(a) => a.value(row),
            Column::Dictionary(keys, texts) => texts.get(keys[row]).and_then(Option::as_deref).unwrap_or(""),
            Column::Bool(a) => ["false", "true"][usize::from(a.value(row))],
            _ => {
                scratch.clear();
                self.push(row, scratch);
                scratch
            }
        }
    }

    /// Row `row`'s cell as text; `None` for a null.
    fn text(&self, row: usize) -> Option<String> {
        if self.nulls.as_ref().is_some_and(|n| n.is_null(row)) {
            return None;
        }
        let mut s = String::new();
        self.push(row, &mut s);
        Some(s)
    }
}

/// Appends the decimal whose digits (and sign) are `digits` and whose
/// scale is `scale`: `12345` of scale 2 is `123.45`, `-5` is `-0.05`, of
/// scale -2 `1234500`.
fn decimal(out: &mut String, digits: &str, scale: i8) {
    let (sign, digits) = digits.strip_prefix('-').map_or(("", digits), |d| ("-", d));
    out.push_str(sign);
    if scale <= 0 {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', scale.unsigned_abs() as usize));
        return;
    }
    let scale = scale as usize;
    if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(digits);
    }
}

/// The `YYYY-MM-DD` text of the day `days` after 1970-01-01, for years 0
/// to 9999 (the civil-from-days algorithm of the proleptic Gregorian
/// calendar).
fn date(days: i32) -> Option<[u8; 10]> {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let mut text = *b"0000-00-00";
    let digit = |n: i64| b'0' + (n % 10) as u8;
    text[0] = digit(year / 1000);
    text[1] = digit(year / 100);
    text[2] = digit(year / 10);
    text[3] = digit(year);
    text[5] = digit(month / 10);
    text[6] = digit(month);
    text[8] = digit(day / 10);
    text[9] = digit(day);
    Some(text)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::builder::{Decimal128Builder, StringDictionaryBuilder};
    use arrow_array::types::Int32Type;
    use arrow_array::{BooleanArray, Date32Array, Date64Array, Float64Array, Int64Array, StringArray, UInt8Array};

    use super::*;

    fn cells(a: ArrayRef) -> Vec<String> {
        let c = Cells::new(&a);
        (0..a.len())
            .map(|r| {
                let mut s = String::new();
                c.push(r, &mut s);
                s
            })
            .collect()
    }

    #[test]
    fn values_read_as_their_exact_text() {
        assert_eq!(cells(Arc::new(Int64Array::from(vec![Some(-3), None, Some(12)]))), ["-3", "", "12"]);
        assert_eq!(cells(Arc::new(UInt8Array::from(vec![255]))), ["255"]);
        let mut d = Decimal128Builder::new().with_precision_and_scale(10, 2).unwrap_or_default();
        d.append_value(12345);
        d.append_value(-5);
        d.append_value(100);
        assert_eq!(cells(Arc::new(d.finish())), ["123.45", "-0.05", "1.00"]);
        assert_eq!(cells(Arc::new(Float64Array::from(vec![0.1, 12.0, 1e-7]))), ["0.1", "12", "0.0000001"]);
        assert_eq!(cells(Arc::new(BooleanArray::from(vec![true, false]))), ["true", "false"]);
        assert_eq!(cells(Arc::new(Date32Array::from(vec![20_634]))), ["2026-06-30"]);
        let day = 20_634_i64 * 86_400_000;
        assert_eq!(cells(Arc::new(Date64Array::from(vec![day, day + 1]))), ["2026-06-30", "2026-06-30T00:00:00.001"]);
        assert_eq!(cells(Arc::new(StringArray::from(vec![Some("甲"), None]))), ["甲", ""]);
        let mut dict = StringDictionaryBuilder::<Int32Type>::new();
        dict.append_value("A");
        dict.append_null();
        dict.append_value("B");
        dict.append_value("A");
        assert_eq!(cells(Arc::new(dict.finish())), ["A", "", "B", "A"]);
    }

    #[test]
    fn dates_agree_with_the_calendar_from_year_0_to_9999() {
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let first = chrono::NaiveDate::from_ymd_opt(0, 1, 1).unwrap_or_default();
        let last = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
        let (from, to) = ((first - epoch).num_days() as i32, (last - epoch).num_days() as i32);
        for days in (from..=to).step_by(7).chain([from, to, 0, -1, 59, 60]) {
            let want = (epoch + chrono::Duration::days(days.into())).format("%Y-%m-%d").to_string();
            assert_eq!(date(days).map(|t| String::from_utf8_lossy(&t).into_owned()), Some(want), "day {days}");
        }
        assert_eq!((date(from - 1), date(to + 1)), (None, None));
    }

    #[test]
    fn decimals_of_any_scale_keep_their_digits() {
        let text = |digits: &str, scale: i8| {
            let mut s = String::new();
            decimal(&mut s, digits, scale);
            s
        };
        assert_eq!(text("12345", 2), "123.45");
        assert_eq!(text("-5", 3), "-0.005");
        assert_eq!(text("12", -2), "1200");
        assert_eq!(text("0", 0), "0");
    }

    #[test]
    fn a_type_that_cannot_hold_an_input_is_named() {
        let date = ColumnUse::Input { name: "opened".into(), kind: InputKind::Date };
        let e = check("opened", &DataType::Int64, &date, false).unwrap_err();
        assert_eq!(e, "column `opened` is of type Int64, which cannot hold the values of the input `opened` (date)");
        let n = ColumnUse::Input { name: "loss".into(), kind: InputKind::Decimal };
        assert!(check("loss", &DataType::Float64, &n, false).unwrap_err().contains("not exact"));
        assert_eq!(check("loss", &DataType::Float64, &n, true), Ok(()));
        assert_eq!(check("loss", &DataType::Decimal128(12, 2), &n, false), Ok(()));
        assert_eq!(check("x", &DataType::Binary, &ColumnUse::Ignored, false), Ok(()));
        assert!(check("k", &DataType::Binary, &ColumnUse::Key, false).unwrap_err().contains("no text form"));
        let b = ColumnUse::Input { name: "ok".into(), kind: InputKind::Bool };
        assert!(check("ok", &DataType::Int32, &b, false).is_err());
    }
}
