//! Unit tests for the batch internals; the behaviour is tested end to end in
//! `tests/it/batch.rs`.

use proptest::prelude::*;

use super::check::{field_count_problem, key_of};
use super::csv_rows::{push_record, CsvRows, Limits};
use super::packed::Packed;
use super::rows::Input;
use super::store::{put_varint, take_varint, Arena, ListStore};
use super::write::csv_field;
use super::Source;

/// A CSV list file's rows, its header read.
fn list_rows(csv: &str) -> Input {
    let src = Source::new("l.csv", std::io::Cursor::new(csv.as_bytes().to_vec()));
    let rows = CsvRows::new(src, Limits { field: 1 << 20, row: 1 << 20, columns: 64 });
    Input::open(Box::new(rows), 64, 1 << 20).unwrap().0
}

#[test]
fn a_scorer_may_be_shared_by_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<super::Scorer>();
}

#[test]
fn csv_fields_are_quoted_only_when_needed() {
    let mut buf = Vec::new();
    for s in ["plain", "a,b", "say \"hi\"", "line\nbreak"] {
        csv_field(&mut buf, s);
    }
    assert_eq!(String::from_utf8(buf).unwrap(), "plain,\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\",");
    // A NUL byte is never written as one.
    let mut buf = Vec::new();
    csv_field(&mut buf, "a\0b,c");
    assert_eq!(String::from_utf8(buf).unwrap(), "\"a\\0b,c\",");
}

#[test]
fn keys_are_checked_and_normalised() {
    let file: std::sync::Arc<str> = std::sync::Arc::from("f.csv");
    let key = |cell, uscc| key_of(cell, uscc, &file, 2, "uscc");
    assert_eq!(&*key(" 91110108ma00000070 ", true).unwrap(), "91110108MA00000070");
    let bad = key("91110108MA00000071", true).unwrap_err();
    assert!(bad.message.contains("expected `0`"), "{}", bad.message);
    assert!(key("", true).unwrap_err().message.contains("empty"));
    assert_eq!(&*key("91110108MA00000071", false).unwrap(), "91110108MA00000071");
    assert_eq!(&*key(" id 7 ", false).unwrap(), "id 7");
}

#[test]
fn packed_rows_give_back_their_cells() {
    let mut packed = Packed::default();
    let rec = |cells: &[&[u8]]| csv::ByteRecord::from(cells.to_vec());
    let push = |packed: &mut Packed, line: u64, rec: &csv::ByteRecord| {
        let first = packed.cells();
        push_record(packed, rec).map(|()| super::packed::RowAt {
            line,
            more_lines: 0,
            fields: 0,
            first,
            len: rec.len(),
        })
    };
    let a = push(&mut packed, 2, &rec(&[b"x", b"", "企业".as_bytes()])).unwrap();
    let key = packed.push_text("K1");
    // 企 split by a comma: UTF-8 as a whole, not cell by cell.
    let split = "企".as_bytes();
    assert_eq!(push(&mut packed, 3, &rec(&[b"ok", &split[..1], &split[1..]])).unwrap_err(), (1, split[0]));
    assert_eq!(push(&mut packed, 4, &rec(&[b"ok", b"\xff"])).unwrap_err(), (1, 0xff));
    let b = push(&mut packed, 5, &rec(&[b"", b"yz"])).unwrap();
    assert_eq!((a.line, b.line), (2, 5));
    let mut copy = Packed::default();
    copy.push_text("first");
    let c = copy.push_copy(&packed, b);
    let cells = |p: &Packed, row| (0..4).map(|c| p.cell(row, c).to_string()).collect::<Vec<_>>();
    assert_eq!(cells(&packed, a), ["x", "", "企业", ""]);
    assert_eq!(cells(&packed, b), ["", "yz", "", ""]);
    assert_eq!(cells(&copy, c), ["", "yz", "", ""]);
    assert_eq!(packed.text(key), "K1");
    packed.clear();
    let d = push(&mut packed, 9, &rec(&[b"again"])).unwrap();
    assert_eq!(cells(&packed, d), ["again", "", "", ""]);
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

#[test]
fn a_list_store_gives_each_key_its_records_in_file_order() {
    // Lines 2 to 8; line 5 has no key.
    let csv = "uscc,n\nK2,1\nK1,2\nK2,3\n,4\nK1,5\nK2,6\nK3,7\n";
    let mut rows = list_rows(csv);
    let mut rejects = Vec::new();
    let mut store = ListStore::load(0, &mut rows, 0, "uscc", false, &mut rejects).unwrap();
    assert_eq!(rejects.iter().map(|r| r.line).collect::<Vec<_>>(), [5]);
    let mut taken = |key: &str, cap: usize| {
        let (mut packed, mut overflow) = (Packed::default(), Vec::new());
        store.take(key, cap, &mut packed, &mut overflow);
        let rows: Vec<(u64, String, String)> = packed
            .list_rows
            .iter()
            .map(|&r| (r.line, packed.cell(r, 0).to_string(), packed.cell(r, 1).to_string()))
            .collect();
        (rows, overflow)
    };
    let k2 = |line: u64, n: &str| (line, "K2".to_string(), n.to_string());
    assert_eq!(taken("K2", 2), (vec![k2(2, "1"), k2(4, "3")], vec![7]));
    assert_eq!(taken("K2", 2), (vec![], vec![]), "taken once");
    assert_eq!(taken("K1", 9).0.iter().map(|r| r.0).collect::<Vec<_>>(), [3, 6]);
    assert_eq!(taken("K9", 9), (vec![], vec![]));
    let mut left = Vec::new();
    store.finish(0, &std::sync::Arc::from("l.csv"), "uscc", &mut left);
    assert_eq!(left.iter().map(|r| (r.line, r.key.as_str())).collect::<Vec<_>>(), [(8, "K3")]);
}

#[test]
fn a_list_store_keeps_what_makes_a_row_unreadable() {
    // Line 2 has two fields too many; lines 3 and 4 are one row, a field
    // too many; line 5 has no firm and a field too many.
    let csv = "uscc,n\nK1,1,x,y\nK1,\"a\nb\",x\nK2,1,2\n";
    let mut rows = list_rows(csv);
    let mut rejects = Vec::new();
    let mut store = ListStore::load(0, &mut rows, 0, "uscc", false, &mut rejects).unwrap();
    assert!(rejects.is_empty());
    let (mut packed, mut overflow) = (Packed::default(), Vec::new());
    store.take("K1", 9, &mut packed, &mut overflow);
    let said: Vec<(u64, String, String)> = packed
        .list_rows
        .iter()
        .map(|&r| (r.line, packed.cell(r, 1).to_string(), field_count_problem(r, 2).unwrap_or_default()))
        .collect();
    assert_eq!(
        said,
        [
            (2, "1".into(), "has 4 fields, the header has 2: an unquoted comma?".into()),
            (
                3,
                "a\nb".into(),
                "has 3 fields, the header has 2: a quoted field runs from here to line 4, an unclosed quote?".into()
            ),
        ]
    );
    assert_eq!(packed.cell(packed.list_rows[0], 2), "", "only the header's two cells are kept");
    let mut left = Vec::new();
    store.finish(0, &std::sync::Arc::from("l.csv"), "uscc", &mut left);
    let left: Vec<(u64, &str, &str)> = left.iter().map(|r| (r.line, r.reason.code(), r.message.as_str())).collect();
    assert_eq!(
        left,
        [(5, "field_count", "has 3 fields, the header has 2: an unquoted comma?; no firm has the key `K2`")]
    );
}

#[test]
fn a_list_store_knows_whether_its_keys_came_in_order() {
    let in_order =
        |csv: &str| ListStore::load(0, &mut list_rows(csv), 0, "uscc", false, &mut Vec::new()).unwrap().in_key_order;
    assert!(in_order("uscc,n\nK1,1\nK1,2\n,3\nK2,4\n"));
    assert!(!in_order("uscc,n\nK2,1\nK1,2\n"));
    // A row with a bad key between two good ones hides nothing.
    assert!(!in_order("uscc,n\nK2,1\n,2\nK1,3\n"));
}

#[test]
fn arena_bytes_stay_where_they_were_put() {
    let mut arena = Arena::default();
    // Two 3 MiB pieces do not share a 4 MiB block; a 5 MiB one gets its own.
    let pieces: Vec<Vec<u8>> =
        [3 << 20, 3 << 20, 5 << 20, 10, 0, 7].iter().enumerate().map(|(i, &n)| vec![i as u8 + 1; n]).collect();
    let at: Vec<u64> = pieces.iter().map(|p| arena.push(p)).collect();
    for (p, &a) in pieces.iter().zip(&at) {
        assert!(arena.at(a).starts_with(p));
    }
    assert!(arena.at(u64::MAX).is_empty(), "an address past the end reads nothing");
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

/// Gives its bytes a few at a time, then panics instead of saying the end:
/// a bug in a thread of the pipeline, played.
struct PanicsAtTheEnd(std::io::Cursor<Vec<u8>>);

impl std::io::Read for PanicsAtTheEnd {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let at_most = buf.len().min(16);
        let n = self.0.read(&mut buf[..at_most])?;
        assert!(n > 0, "the reader broke");
        Ok(n)
    }
}

#[test]
fn a_panic_in_the_pipeline_is_a_fatal_error_not_a_short_run() {
    let text = r#"
[ruleset]
id = "staff"
name = "人数"
version = "1"
[inputs.staff]
type = "integer"
[[items]]
id = "big"
label = "人数多"
when = "staff > 100"
points = "-10"
[score]
base = "100"
[[grades]]
id = "ok"
label = "合格"
"#;
    let rules = crate::load_str("staff.toml", text, &|p: &str| Err(format!("no {p}"))).rules.unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let mut firms = String::from("id,staff\n");
    for i in 0..200 {
        firms.push_str(&format!("F{i:03},{i}\n"));
    }
    for threads in [1, 2] {
        let cfg = super::BatchConfig { key: "id".into(), chunk_size: 8, threads, ..super::BatchConfig::new(as_of) };
        let src = Source::new("firms.csv", PanicsAtTheEnd(std::io::Cursor::new(firms.clone().into_bytes())));
        let (mut out, mut rejects) = (Vec::new(), Vec::new());
        let res = super::score(&rules, &cfg, src, Vec::new(), &mut out, &mut rejects, &mut |_| {});
        let err = res.expect_err("a run whose reader panicked is not a success").to_string();
        assert!(err.starts_with("internal error: the reader thread panicked (the reader broke)"), "{err}");
    }
}

#[test]
fn result_columns_are_those_the_rules_declare() {
    let text = r#"
[ruleset]
id = "staff"
name = "人数"
version = "1"
kind = "risk"
[inputs.staff]
type = "integer"
[derived]
per_shift = "staff / 2"
crowded = "staff > 100"
note = "if staff > 100 then \"人数多\" else \"\""
[[items]]
id = "big"
label = "人数多"
when = "crowded"
points = "-10"
[score]
base = "100"
[[grades]]
id = "ok"
label = "合格"
min = 95
[[grades]]
id = "watch"
label = "关注"
below = 95
[results]
columns = ["note", "per_shift"]
blank_when_grade = ["ok"]
"#;
    let rules = crate::load_str("staff.toml", text, &|p: &str| Err(format!("no {p}"))).rules.unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let firms = "id,staff\nF1,10\nF2,300\n";
    let run = |format| {
        let cfg = super::BatchConfig { key: "id".into(), format, ..super::BatchConfig::new(as_of) };
        let src = Source::new("firms.csv", std::io::Cursor::new(firms.as_bytes().to_vec()));
        let (mut out, mut rejects) = (Vec::new(), Vec::new());
        super::score(&rules, &cfg, src, Vec::new(), &mut out, &mut rejects, &mut |_| {}).unwrap();
        String::from_utf8(out).unwrap()
    };
    // In the order declared, blank at the grade named, and only the values named.
    assert_eq!(run(super::OutputFormat::Csv), "id,score,grade,note,per_shift\nF1,100,ok,,\nF2,90,watch,人数多,150\n");
    assert_eq!(
        run(super::OutputFormat::JsonLines),
        concat!(
            r#"{"id":"F1","score":"100","grade":"ok","note":"","per_shift":""}"#,
            "\n",
            r#"{"id":"F2","score":"90","grade":"watch","note":"人数多","per_shift":"150"}"#,
            "\n"
        )
    );
}
