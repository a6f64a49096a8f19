//! Unit tests for the batch internals; the behaviour is tested end to end in
//! `tests/it/batch.rs`.

use super::read::{cell, key_of};
use super::write::csv_field;

#[test]
fn csv_fields_are_quoted_only_when_needed() {
    let mut buf = Vec::new();
    for s in ["plain", "a,b", "say \"hi\"", "line\nbreak"] {
        csv_field(&mut buf, s);
    }
    assert_eq!(String::from_utf8(buf).unwrap(), "plain,\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\",");
}

#[test]
fn keys_are_checked_and_normalised() {
    let file: std::sync::Arc<str> = std::sync::Arc::from("f.csv");
    let rec = csv::StringRecord::from(vec![" 91110108ma00000070 ", "91110108MA00000071", ""]);
    assert_eq!(cell(&rec, 0), " 91110108ma00000070 ");
    assert_eq!(&*key_of(&rec, 0, true, &file, 2, "uscc").unwrap(), "91110108MA00000070");
    let bad = key_of(&rec, 1, true, &file, 2, "uscc").unwrap_err();
    assert!(bad.message.contains("expected `0`"), "{}", bad.message);
    assert!(key_of(&rec, 2, true, &file, 2, "uscc").unwrap_err().message.contains("empty"));
    assert_eq!(&*key_of(&rec, 1, false, &file, 2, "id").unwrap(), "91110108MA00000071");
}

#[test]
fn formulas_are_neutralised_and_numbers_kept() {
    // (cell, as written)
    let cases = [
        ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "\"'\rx\""),
        ("-1", "-1"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("-", "'-"),
        ("-.5", "'-.5"),
        ("a=b", "a=b"),
        ("", ""),
    ];
    for (cell, want) in cases {
        let mut buf = Vec::new();
        csv_field(&mut buf, cell);
        assert_eq!(String::from_utf8(buf).unwrap(), format!("{want},"), "cell {cell:?}");
    }
}
