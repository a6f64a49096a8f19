//! Stage 1, parse: rule file text to syntax with spans.
//!
//! [`read`] reads toml's spanned tree into the structs of [`document`]
//! (by hand: no serde code per type); [`expr`] parses the expression strings
//! inside it; [`bare_numbers`] refuses unquoted numbers that TOML would
//! read as something else. Nothing here knows about names or types; that is `compile`.

mod bare_numbers;
pub(crate) mod document;
pub(crate) mod expr;
pub(crate) mod read;

use toml::Spanned;

pub(crate) use bare_numbers::inexact_bare_numbers;

use crate::diagnostic::{Code, Diagnostic, FileId, Span};

/// Reads a rule file's TOML into its document structure, and parses every
/// expression in it: an expression that does not parse keeps its
/// diagnostic, which the checker reports where it meets the expression.
pub(crate) fn parse_document(text: &str, file: FileId) -> Result<document::Document, Diagnostic> {
    let structure = |span: Option<std::ops::Range<usize>>, message: &str| {
        let message = message.trim_end_matches('.').replace('\n', " ");
        Diagnostic::error(Code::Structure, span.map(|r| Span::new(file, r)), message)
            .with_help("see docs/RULES.md for the structure of a rule file")
    };
    let tree = toml::de::DeTable::parse(text).map_err(|e| structure(e.span(), e.message()))?;
    let mut doc = read::document(tree).map_err(|f| structure(Some(f.span), &f.message))?;
    for e in doc.expressions_mut() {
        e.tree = Some(expression(&e.value, file, text));
    }
    Ok(doc)
}

/// The expression a TOML value holds: a string, or a number or boolean literal.
fn expression(v: &document::SValue, file: FileId, text: &str) -> Result<expr::Expr, Diagnostic> {
    let span = Span::new(file, v.span());
    match v.get_ref() {
        toml::Value::String(s) => expr::parse_expr(s, file, string_content_offset(text, v.span().start)),
        toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => {
            let literal = match v.get_ref() {
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => unreachable!("matched above"),
            };
            match expr::parse_expr(&literal, file, span.start) {
                Ok(e) => Ok(expr::Expr { span, ..e }),
                // The number as TOML read it, which may not be the text written: point at the value.
                Err(d) => Err(Diagnostic { span: Some(span), ..d }),
            }
        }
        _ => Err(Diagnostic::error(Code::Structure, Some(span), "expected an expression (a string)")),
    }
}

/// Where the content of a TOML string literal starts, given the literal's span.
pub(crate) fn string_content_offset(text: &str, literal_start: usize) -> usize {
    let rest = text.get(literal_start..).unwrap_or("");
    if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
        let after = literal_start + 3;
        let more = text.get(after..).unwrap_or("");
        if more.starts_with("\r\n") {
            after + 2
        } else if more.starts_with('\n') {
            after + 1
        } else {
            after
        }
    } else if rest.starts_with('"') || rest.starts_with('\'') {
        literal_start + 1
    } else {
        literal_start
    }
}

/// The span of a spanned TOML value.
pub(crate) fn span_of<T>(v: &Spanned<T>, file: FileId) -> Span {
    Span::new(file, v.span())
}
