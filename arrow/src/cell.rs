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
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, DecimalType, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef};
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

/// A column of one record batch, ready to give each row's cell.
pub(crate) struct Cells {
    array: ArrayRef,
    shape: Option<Shape>,
    /// For a dictionary: its values as text, read once per batch.
    dictionary: Option<Vec<Option<String>>>,
}

impl Cells {
    /// A column's cells; a dictionary's values are read once here.
    pub(crate) fn new(array: &ArrayRef) -> Cells {
        let shape = shape(array.data_type());
        let dictionary = array.as_any_dictionary_opt().map(|d| {
            let values = Cells::new(d.values());
            (0..d.values().len()).map(|i| values.text(i)).collect()
        });
        Cells { array: array.clone(), shape, dictionary }
    }

    /// Row `row`'s cell, appended to `out` (nothing for a null).
    pub(crate) fn push(&self, row: usize, out: &mut String) {
        use std::fmt::Write;
        let a = &self.array;
        if a.is_null(row) {
            return;
        }
        // Writing to a `String` cannot fail.
        let _ = match (self.shape, a.data_type()) {
            (None | Some(Shape::Null), _) => Ok(()),
            (Some(Shape::Text), _) if self.dictionary.is_some() => {
                let key = a.as_any_dictionary().normalized_keys()[row];
                out.push_str(
                    self.dictionary.as_ref().and_then(|d| d.get(key)).and_then(Option::as_deref).unwrap_or(""),
                );
                Ok(())
            }
            (_, DataType::Utf8) => out.write_str(a.as_string::<i32>().value(row)),
            (_, DataType::LargeUtf8) => out.write_str(a.as_string::<i64>().value(row)),
            (_, DataType::Utf8View) => out.write_str(a.as_string_view().value(row)),
            (_, DataType::Boolean) => out.write_str(if a.as_boolean().value(row) { "true" } else { "false" }),
            (_, DataType::Int8) => write!(out, "{}", a.as_primitive::<Int8Type>().value(row)),
            (_, DataType::Int16) => write!(out, "{}", a.as_primitive::<Int16Type>().value(row)),
            (_, DataType::Int32) => write!(out, "{}", a.as_primitive::<Int32Type>().value(row)),
            (_, DataType::Int64) => write!(out, "{}", a.as_primitive::<Int64Type>().value(row)),
            (_, DataType::UInt8) => write!(out, "{}", a.as_primitive::<UInt8Type>().value(row)),
            (_, DataType::UInt16) => write!(out, "{}", a.as_primitive::<UInt16Type>().value(row)),
            (_, DataType::UInt32) => write!(out, "{}", a.as_primitive::<UInt32Type>().value(row)),
            (_, DataType::UInt64) => write!(out, "{}", a.as_primitive::<UInt64Type>().value(row)),
            (_, DataType::Decimal128(p, s)) => {
                out.write_str(&Decimal128Type::format_decimal(a.as_primitive::<Decimal128Type>().value(row), *p, *s))
            }
            (_, DataType::Decimal256(p, s)) => {
                out.write_str(&Decimal256Type::format_decimal(a.as_primitive::<Decimal256Type>().value(row), *p, *s))
            }
            // Rust writes a float as its shortest text that reads back as it, never with an exponent.
            (_, DataType::Float32) => write!(out, "{}", a.as_primitive::<Float32Type>().value(row)),
            (_, DataType::Float64) => write!(out, "{}", a.as_primitive::<Float64Type>().value(row)),
            (_, DataType::Date32) => match a.as_primitive::<Date32Type>().value_as_date(row) {
                Some(d) => write!(out, "{}", d.format("%Y-%m-%d")),
                None => write!(out, "day {} after 1970-01-01", a.as_primitive::<Date32Type>().value(row)),
            },
            (_, DataType::Date64) => match a.as_primitive::<Date64Type>().value_as_datetime(row) {
                // A Date64 that is not at midnight is not a date: its text is refused as one.
                Some(t) if t.time() == chrono::NaiveTime::MIN => write!(out, "{}", t.date().format("%Y-%m-%d")),
                Some(t) => write!(out, "{}", t.format("%Y-%m-%dT%H:%M:%S%.3f")),
                None => write!(out, "{} ms after 1970-01-01", a.as_primitive::<Date64Type>().value(row)),
            },
            _ => Ok(()),
        };
    }

    /// Row `row`'s cell as text; `None` for a null.
    fn text(&self, row: usize) -> Option<String> {
        if self.array.is_null(row) {
            return None;
        }
        let mut s = String::new();
        self.push(row, &mut s);
        Some(s)
    }
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
