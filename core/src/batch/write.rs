//! Output rows: CSV (quoted only when needed, as RFC 4180 says), JSON
//! lines or cells, and the rejects file.
//!
//! A row is built in a buffer by the thread that scored the firm; the writer
//! only copies buffers, in input order.
//!
//! # Formula injection
//!
//! Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (and, in
//! some, a tab or carriage return) as a formula, so a firm name such as
//! `=HYPERLINK(…)` carried from the input could act when the results are
//! opened in Excel. Every CSV cell written here (results, header and
//! rejects) that starts with one of those six characters is prefixed with
//! `'`, as OWASP recommends, **unless the whole cell is a plain decimal
//! number** (an optional sign, digits, an optional `.` and digits): scores
//! such as `-1` or `-12.5` stay numbers. JSON lines are written as they are.
//!
//! # NUL bytes
//!
//! Many CSV tools take a NUL byte for the end of the text, so an input cell
//! holding one is refused (the row is rejected as `bad_value`, naming the
//! column; see [`holds_nul`]) and never reaches the results. Where a NUL
//! still comes to be written, echoed in the rejects file (a key that is
//! not a valid 统一社会信用代码, a list row whose key has no firm), it is
//! written as the two characters `\0`.

use std::borrow::Cow;
use std::io::Write;

use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

use super::config::OutputFormat;

/// One output value; texts from the plan are borrowed.
pub(crate) enum Cell<'a> {
    Text(Cow<'a, str>),
    /// A number, written without trailing zeros (`85`, `72.5`).
    Num(Decimal),
    /// (item id, points): `id:points; …` in CSV, objects in JSON.
    Items(Vec<(String, Decimal)>),
    /// `a; b` in CSV, an array in JSON.
    List(Vec<String>),
}

/// Whether a spreadsheet could take the cell for a formula; see the module
/// documentation.
pub(crate) fn is_formula_like(s: &str) -> bool {
    // All six are ASCII: a text starting with one starts with that byte.
    matches!(s.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')) && !is_plain_number(s)
}

/// An optional sign, digits, and an optional `.` followed by digits.
fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && all_digits(frac)
}

/// Why an input cell holding a NUL byte is refused.
pub(crate) const NUL_IN_CELL: &str =
    "holds a NUL byte (\\0), which many CSV tools take for the end of the text; remove it";

/// Whether an input cell holds a NUL byte, which no output could carry faithfully.
pub(crate) fn holds_nul(cell: &str) -> bool {
    cell.as_bytes().contains(&0)
}

/// Appends one CSV field and its separator, neutralising formulas and
/// writing a NUL byte as `\0`.
pub(crate) fn csv_field(buf: &mut Vec<u8>, s: &str) {
    // The usual cell, nothing to quote, escape or neutralise, in one pass over its bytes.
    let special = |b: &u8| matches!(b, b',' | b'"' | b'\n' | b'\r' | 0);
    if !s.as_bytes().iter().any(special) && !is_formula_like(s) {
        buf.extend_from_slice(s.as_bytes());
        buf.push(b',');
        return;
    }
    let neutral;
    let s = if is_formula_like(s) {
        neutral = format!("'{s}");
        neutral.as_str()
    } else {
        s
    };
    let escaped;
    let s = if holds_nul(s) {
        escaped = s.replace('\0', "\\0");
        escaped.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        buf.push(b'"');
        buf.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        buf.push(b'"');
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
    buf.push(b',');
}

/// Appends one cell in the [`OutputFormat::Cells`] form: its length, then its text.
pub(crate) fn cell(buf: &mut Vec<u8>, s: &str) {
    // A cell is far below 4 GiB: an input cell is at most the field limit.
    buf.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// Ends a CSV row (replacing the last separator).
pub(crate) fn end_row(buf: &mut Vec<u8>) {
    if buf.last() == Some(&b',') {
        buf.pop();
    }
    buf.push(b'\n');
}

/// Appends a number as `Decimal` shows it without trailing zeros; a whole
/// number (the usual score) is written digit by digit, not through the
/// formatter.
fn number(buf: &mut Vec<u8>, n: Decimal) {
    let n = n.normalize();
    match u64::try_from(n.mantissa().unsigned_abs()) {
        Ok(mut v) if n.scale() == 0 => {
            // Normalised, a zero is never negative.
            if n.is_sign_negative() {
                buf.push(b'-');
            }
            let mut digits = [0u8; 20];
            let mut at = digits.len();
            loop {
                at -= 1;
                digits[at] = b'0' + (v % 10) as u8;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            buf.extend_from_slice(&digits[at..]);
        }
        _ => {
            let _ = write!(buf, "{n}");
        }
    }
}

/// Writes one result row.
pub(crate) fn row(
    out: &mut Vec<u8>,
    format: OutputFormat,
    key_name: &str,
    key: &str,
    carried: &[(&str, &str)],
    cols: &[(&str, &str, Cell<'_>)],
) {
    match format {
        OutputFormat::Csv => {
            csv_field(out, key);
            for (_, v) in carried {
                csv_field(out, v);
            }
            for (_, _, c) in cols {
                match c {
                    Cell::Text(t) => csv_field(out, t),
                    Cell::Num(n) => {
                        // Digits, `.` and `-` only: never quoted, never formula-like.
                        number(out, *n);
                        out.push(b',');
                    }
                    Cell::Items(items) => {
                        let s: Vec<String> = items.iter().map(|(id, p)| format!("{id}:{p}")).collect();
                        csv_field(out, &s.join("; "));
                    }
                    Cell::List(l) => csv_field(out, &l.join("; ")),
                }
            }
            end_row(out);
        }
        OutputFormat::Cells => {
            cell(out, key);
            for (_, v) in carried {
                cell(out, v);
            }
            for (_, _, c) in cols {
                match c {
                    Cell::Text(t) => cell(out, t),
                    Cell::Num(n) => cell(out, &n.normalize().to_string()),
                    Cell::Items(items) => {
                        let s: Vec<String> = items.iter().map(|(id, p)| format!("{id}:{p}")).collect();
                        cell(out, &s.join("; "));
                    }
                    Cell::List(l) => cell(out, &l.join("; ")),
                }
            }
        }
        OutputFormat::JsonLines => {
            let mut obj = Map::new();
            obj.insert(key_name.to_string(), Json::String(key.to_string()));
            for (h, v) in carried {
                obj.insert(h.to_string(), Json::String(v.to_string()));
            }
            for (alias, name, c) in cols {
                let v = match c {
                    Cell::Text(t) => Json::String(t.to_string()),
                    Cell::Num(n) => Json::String(n.normalize().to_string()),
                    Cell::Items(items) => {
                        let item =
                            |(id, p): &(String, Decimal)| serde_json::json!({ "id": id, "points": p.to_string() });
                        Json::Array(items.iter().map(item).collect())
                    }
                    Cell::List(l) => Json::Array(l.iter().cloned().map(Json::String).collect()),
                };
                if alias.is_empty() {
                    obj.insert(name.to_string(), v);
                } else if let Json::Object(step) =
                    obj.entry(alias.to_string()).or_insert_with(|| Json::Object(Map::new()))
                {
                    step.insert(name.to_string(), v);
                }
            }
            // A map of strings always serialises.
            if serde_json::to_writer(&mut *out, &Json::Object(obj)).is_ok() {
                out.push(b'\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A number is written as `Decimal` shows it normalised, digit by digit or not.
        #[test]
        fn numbers_are_written_as_decimal_shows_them(mantissa in any::<i64>(), wide in any::<i128>(), scale in 0u32..6) {
            for m in [i128::from(mantissa), wide >> 33, 0, -1] {
                let n = Decimal::from_i128_with_scale(m, scale);
                let mut buf = Vec::new();
                number(&mut buf, n);
                prop_assert_eq!(String::from_utf8(buf).unwrap(), n.normalize().to_string());
            }
        }

        /// The one-pass check for a usual cell writes what the general path writes.
        #[test]
        fn usual_cells_are_written_as_any_cell(s in "[-+=@a-z0-9.,\"\t\r\n\0是 ]{0,6}") {
            let mut fast = Vec::new();
            csv_field(&mut fast, &s);
            let mut quoted = s.clone();
            if is_formula_like(&s) {
                quoted.insert(0, '\'');
            }
            let quoted = quoted.replace('\0', "\\0");
            let expected = if quoted.contains([',', '"', '\n', '\r']) {
                format!("\"{}\",", quoted.replace('"', "\"\""))
            } else {
                format!("{quoted},")
            };
            prop_assert_eq!(String::from_utf8(fast).unwrap(), expected);
        }
    }
}
