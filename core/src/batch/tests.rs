//! Unit tests for the batch internals; the behaviour is tested end to end in
//! `tests/it/batch.rs`.

use proptest::prelude::*;

use super::read::{cell, key_of, put_varint, take_varint};
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

proptest! {
    /// Numbers written as varints read back, in order, to the last byte.
    #[test]
    fn varints_read_back(ns in prop::collection::vec(any::<u64>(), 0..20)) {
        let mut buf = Vec::new();
        for &n in &ns {
            put_varint(&mut buf, n);
        }
        let mut rest = &buf[..];
        let back: Vec<u64> = ns.iter().map(|_| take_varint(&mut rest)).collect();
        prop_assert_eq!(back, ns);
        prop_assert!(rest.is_empty());
    }
}
