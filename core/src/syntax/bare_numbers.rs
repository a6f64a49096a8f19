//! Bare TOML numbers that a TOML reader would change.
//!
//! TOML reads an unquoted number with a fraction or an exponent as a binary
//! floating-point number, which keeps 15 to 17 significant digits:
//! `max = 20.0000000000000001` arrives as 20, and
//! `0.1000000000000000000000000000001` as 0.1. Rule files are exact decimals
//! everywhere, so such a number is an error at its place, with the advice to
//! quote it; a bare number that the float holds exactly as written (`0.5`,
//! `12.75`, `1e3`) is fine. The check reads the file's own text with the TOML
//! lexer, so it covers every value: bounds, caps, tables, defaults, test cases.

use rust_decimal::Decimal;
use toml_parser::parser::{parse_document, Event, EventKind};

use crate::diagnostic::{Code, Diagnostic, FileId, Span};

/// A diagnostic for every bare number in `text` that TOML would not read
/// as written.
pub(crate) fn inexact_bare_numbers(text: &str, file: FileId) -> Vec<Diagnostic> {
    let tokens = toml_parser::Source::new(text).lex().into_vec();
    let mut events: Vec<Event> = Vec::new();
    parse_document(&tokens, &mut events, &mut ());
    events
        .iter()
        .filter(|e| e.kind() == EventKind::Scalar && e.encoding().is_none())
        .filter_map(|e| {
            let span = e.span().start()..e.span().end();
            let raw = text.get(span.clone())?;
            let read_as = changed_by_float(raw)?;
            Some(
                Diagnostic::error(
                    Code::Syntax,
                    Some(Span::new(file, span)),
                    format!("the bare number `{raw}` is read by TOML as a binary float, {read_as}, not as written"),
                )
                .with_help(format!("write it in quotes to keep it exact: \"{raw}\"")),
            )
        })
        .collect()
}

/// What TOML's float makes of a bare number written `raw`, when that is not
/// the number written; `None` for any other scalar (an integer, a date, a
/// boolean), for a float that keeps its value, and for text that is not a
/// number at all (the TOML reader reports that).
fn changed_by_float(raw: &str) -> Option<String> {
    let text: String = raw.chars().filter(|&c| c != '_').collect();
    let unsigned = text.trim_start_matches(['+', '-']);
    let float_shaped = unsigned.starts_with(|c: char| c.is_ascii_digit())
        && !unsigned.starts_with("0x")
        && !unsigned.starts_with("0o")
        && !unsigned.starts_with("0b")
        && unsigned.contains(['.', 'e', 'E'])
        && unsigned.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !float_shaped {
        return None;
    }
    let float: f64 = text.parse().ok()?;
    let read_as = float.to_string();
    let written = exact(&text);
    match (written, Decimal::from_str_exact(&read_as).ok()) {
        (Some(w), Some(r)) if w == r => None,
        // Beyond any decimal: the checker says so where the value is used.
        (_, None) => None,
        _ => Some(read_as),
    }
}

/// The decimal written, exactly, or `None` when no decimal holds it.
fn exact(text: &str) -> Option<Decimal> {
    let (base, exponent) = match text.split_once(['e', 'E']) {
        Some((base, exponent)) => (base, exponent.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let mut d = Decimal::from_str_exact(base.trim_start_matches('+')).ok()?;
    if exponent < 0 {
        d.set_scale(d.scale().checked_add(exponent.unsigned_abs())?).ok()?;
    }
    for _ in 0..exponent {
        d = d.checked_mul(Decimal::TEN)?;
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::changed_by_float;

    #[test]
    fn numbers_a_float_holds_as_written_pass() {
        for raw in ["0.5", "12.75", "-3.25", "+1.5", "1e3", "2.5E-1", "1_000.5", "0.1", "20.0"] {
            assert_eq!(changed_by_float(raw), None, "{raw}");
        }
    }

    #[test]
    fn numbers_a_float_would_change_are_named() {
        assert_eq!(changed_by_float("20.0000000000000001").as_deref(), Some("20"));
        assert_eq!(changed_by_float("0.1000000000000000000000000000001").as_deref(), Some("0.1"));
        assert_eq!(changed_by_float("123456789.123456789").as_deref(), Some("123456789.12345679"));
        assert_eq!(changed_by_float("1.00000000000000000001e2").as_deref(), Some("100"));
    }

    #[test]
    fn other_scalars_are_left_alone() {
        for raw in ["20", "0xDEADBEEF", "0o17", "0b101", "true", "1979-05-27", "07:32:00.5", "inf", "nan", "-inf"] {
            assert_eq!(changed_by_float(raw), None, "{raw}");
        }
    }
}
