//! Output rows: CSV (quoted only when needed, as RFC 4180 says) and JSON
//! lines, and the rejects file.
//!
//! A row is built in a buffer by the thread that scored the firm; the writer
//! only copies buffers, in input order.

use serde_json::{Map, Value as Json};

use super::{OutputFormat, Reject};

/// One output value.
pub(crate) enum Cell {
    Text(String),
    /// (item id, points): `id:points; …` in CSV, objects in JSON.
    Items(Vec<(String, String)>),
    /// `a; b` in CSV, an array in JSON.
    List(Vec<String>),
}

/// Appends one CSV field and its separator.
pub(crate) fn csv_field(buf: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        buf.push(b'"');
        buf.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        buf.push(b'"');
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
    buf.push(b',');
}

/// Ends a CSV row (replacing the last separator).
pub(crate) fn end_row(buf: &mut Vec<u8>) {
    if buf.last() == Some(&b',') {
        buf.pop();
    }
    buf.push(b'\n');
}

/// Writes one result row.
pub(crate) fn row(
    out: &mut Vec<u8>,
    format: OutputFormat,
    key_name: &str,
    key: &str,
    carried: &[(&str, &str)],
    cols: &[(String, String, Cell)],
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
                    Cell::Items(items) => {
                        let s: Vec<String> = items.iter().map(|(id, p)| format!("{id}:{p}")).collect();
                        csv_field(out, &s.join("; "));
                    }
                    Cell::List(l) => csv_field(out, &l.join("; ")),
                }
            }
            end_row(out);
        }
        OutputFormat::JsonLines => {
            let mut obj = Map::new();
            obj.insert(key_name.to_string(), Json::String(key.to_string()));
            for (h, v) in carried {
                obj.insert(h.to_string(), Json::String(v.to_string()));
            }
            for (alias, name, c) in cols {
                let v = match c {
                    Cell::Text(t) => Json::String(t.clone()),
                    Cell::Items(items) => {
                        Json::Array(items.iter().map(|(id, p)| serde_json::json!({ "id": id, "points": p })).collect())
                    }
                    Cell::List(l) => Json::Array(l.iter().cloned().map(Json::String).collect()),
                };
                if alias.is_empty() {
                    obj.insert(name.clone(), v);
                } else if let Json::Object(step) = obj.entry(alias.clone()).or_insert_with(|| Json::Object(Map::new()))
                {
                    step.insert(name.clone(), v);
                }
            }
            // A map of strings always serialises.
            if serde_json::to_writer(&mut *out, &Json::Object(obj)).is_ok() {
                out.push(b'\n');
            }
        }
    }
}

/// Writes one row of the rejects file.
pub(crate) fn reject_row(buf: &mut Vec<u8>, r: &Reject) {
    csv_field(buf, &r.file);
    csv_field(buf, &r.line.to_string());
    csv_field(buf, &r.column);
    csv_field(buf, &r.key);
    csv_field(buf, &r.message);
    csv_field(buf, r.reason.code());
    end_row(buf);
}
