//! Adversarial batch inputs: files a bureau's exports really
//! produce, and files built to hurt. Each gives a clear error naming the
//! file and line, a row in the rejects file, or the same results as a clean
//! file; none panics, hangs or eats memory.
//!
//! The small cases live in `tests/data/adversarial/` (`.gitattributes` keeps
//! their bytes, CRLF and GBK included; `make_gbk.py` wrote the GBK export).
//! The big ones (a 100 MB field, a million records for one firm) are
//! generated as they are read, never written to disk.

use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::NaiveDate;
use safegrade::batch::{BatchConfig, BatchError, ListSource, OutputFormat, RejectReason, Source};

use crate::support::{self, BatchRun as Run};

fn hazchem() -> safegrade::Rules {
    support::load("rules/schemes/hazchem.toml").rules.expect("the shipped scheme checks")
}

fn cfg() -> BatchConfig {
    BatchConfig::new(NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date"))
}

fn file(name: &str) -> Vec<u8> {
    std::fs::read(support::data("adversarial").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Runs named files (or bytes) through `rules`.
fn run(
    rules: &safegrade::Rules,
    cfg: &BatchConfig,
    firms: (&str, Vec<u8>),
    lists: &[(&str, &str, Vec<u8>)],
) -> Result<Run, BatchError> {
    let lists = lists
        .iter()
        .map(|(list, name, bytes)| ListSource {
            list: list.to_string(),
            source: Source::new(*name, Cursor::new(bytes.clone())),
        })
        .collect();
    support::score_sources(rules, cfg, Source::new(firms.0, Cursor::new(firms.1)), lists)
}

#[track_caller]
fn check_fatal(res: Result<Run, BatchError>, want: &[&str]) {
    match res {
        Ok(r) => panic!("expected a fatal error, got:\n{}\n{}", r.out, r.rejects),
        Err(e) => {
            let msg = e.to_string();
            for w in want {
                assert!(msg.contains(w), "error `{msg}` does not contain `{w}`");
            }
        }
    }
}

/// The rejects file as (file, line, column, key, reason code).
fn rejects_of(run: &Run) -> Vec<(String, u64, String, String, String)> {
    run.rejects
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let line = f[1].parse().expect("a line number");
            (f[0].to_string(), line, f[2].to_string(), f[3].to_string(), f[f.len() - 1].to_string())
        })
        .collect()
}

#[test]
fn a_gbk_export_is_not_utf8_at_its_first_chinese_line() {
    let mut c = cfg();
    c.carry = vec!["name".into()];
    let res = run(&hazchem(), &c, ("firms_gbk.csv", file("firms_gbk.csv")), &[]);
    check_fatal(res, &["firms_gbk.csv:3: not UTF-8", "column 2", "GBK/GB18030 export?", "CSV UTF-8"]);
}

#[test]
fn crlf_line_ends_give_the_same_results_as_lf() {
    let mut c = cfg();
    c.carry = vec!["name".into(), "sector".into()];
    let (firms, acc) = (file("crlf/firms.csv"), file("crlf/accidents.csv"));
    assert!(firms.windows(2).any(|w| w == b"\r\n"), "the fixture lost its CRLF line ends");
    let crlf = run(&hazchem(), &c, ("firms.csv", firms.clone()), &[("accidents", "accidents.csv", acc.clone())])
        .expect("CRLF is accepted");
    let lf = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8").replace("\r\n", "\n").into_bytes();
    let plain = run(&hazchem(), &c, ("firms.csv", lf(firms)), &[("accidents", "accidents.csv", lf(acc))]).expect("LF");
    assert_eq!(crlf.summary.rejected(), 0, "{}", crlf.rejects);
    assert_eq!(crlf.summary.lists[0].used, 2);
    assert_eq!(crlf.out, plain.out);
    assert_eq!(crlf.rejects, plain.rejects);
    assert!(!crlf.out.contains('\r'), "no carriage return leaks into a value");
    assert!(crlf.out.contains("\"上海浦江储运有限公司, 二分公司\",危险化学品,"), "{}", crlf.out);
}

/// Regression: the csv crate numbers every line after a CRLF line end one
/// too low, so rejects named the line above the bad one.
#[test]
fn crlf_rejects_name_the_right_line() {
    let firms =
        b"uscc,standardization,n_explosives\r\n91110108MA00000070,level_1,0\r\n\r\n91310115MA0000007H,level_9,0\r\n";
    let res = run(&hazchem(), &cfg(), ("firms.csv", firms.to_vec()), &[]).expect("not fatal");
    let got = rejects_of(&res);
    assert_eq!(got.len(), 1, "the blank line is skipped, not rejected: {}", res.rejects);
    assert_eq!((got[0].1, got[0].2.as_str()), (4, "standardization"), "{}", res.rejects);
}

#[test]
fn duplicate_headers_are_fatal() {
    let res = run(&hazchem(), &cfg(), ("duplicate_header.csv", file("duplicate_header.csv")), &[]);
    check_fatal(res, &["duplicate_header.csv:1: column `standardization` appears twice (columns 2 and 4)"]);
}

#[test]
fn a_file_cut_off_mid_field_rejects_its_last_row() {
    let mut c = cfg();
    c.carry = vec!["name".into()];
    let res = run(&hazchem(), &c, ("truncated.csv", file("truncated.csv")), &[]).expect("not fatal");
    assert_eq!((res.summary.firms.rows, res.summary.firms.used), (2, 1));
    let got = rejects_of(&res);
    // The row's key is read even though the row is not.
    let key = "91310115MA0000007H".to_string();
    assert_eq!(got, vec![("truncated.csv".into(), 3, "".into(), key, "field_count".into())], "{}", res.rejects);
    assert!(res.rejects.contains("has 2 fields, the header has 4: a truncated or misaligned row"), "{}", res.rejects);
}

#[test]
fn numbers_beyond_the_decimal_range_are_bad_values() {
    let res = run(
        &hazchem(),
        &cfg(),
        ("out_of_range.csv", file("out_of_range.csv")),
        &[("accidents", "out_of_range_accidents.csv", file("out_of_range_accidents.csv"))],
    )
    .expect("not fatal");
    let got = rejects_of(&res);
    let want = [
        ("out_of_range.csv", 2, "n_explosives", "bad_value"),
        ("out_of_range.csv", 3, "n_explosives", "bad_value"),
        ("out_of_range.csv", 4, "", "bad_list_record"),
        ("out_of_range_accidents.csv", 2, "direct_loss_wan", "bad_value"),
    ];
    let got: Vec<(&str, u64, &str, &str)> =
        got.iter().map(|(f, l, c, _, r)| (f.as_str(), *l, c.as_str(), r.as_str())).collect();
    assert_eq!(got, want, "{}", res.rejects);
    assert!(res.rejects.contains("more than 28 significant digits"), "{}", res.rejects);
    assert_eq!(res.summary.firms.used, 0);
}

#[test]
fn impossible_dates_are_bad_values() {
    let res = run(
        &hazchem(),
        &cfg(),
        ("dates_firms.csv", file("dates_firms.csv")),
        &[("accidents", "impossible_dates.csv", file("impossible_dates.csv"))],
    )
    .expect("not fatal");
    assert!(res.rejects.contains("impossible_dates.csv,2,date,91110108MA00000070,\"expected a date YYYY-MM-DD, found `2026-02-30`\",bad_value"), "{}", res.rejects);
    assert!(res.rejects.contains("found `2025-04-31`"), "{}", res.rejects);
    assert_eq!(res.summary.rejected_for(RejectReason::BadListRecord), 2);
    assert_eq!((res.summary.firms.used, res.summary.lists[0].used), (1, 1), "2025-02-28 is a real date");
}

#[test]
fn formulas_in_cells_are_neutralised_in_csv_output() {
    let mut c = cfg();
    c.carry = vec!["name".into()];
    let res = run(&hazchem(), &c, ("injection.csv", file("injection.csv")), &[]).expect("not fatal");
    let names: Vec<&str> =
        res.out.lines().skip(1).map(|l| l.split_once(',').expect("a key").1.rsplitn(13, ',').last().unwrap()).collect();
    assert_eq!(
        names,
        [
            "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"详情\"\")\"",
            "'+cmd|' /C calc'!A0",
            "'-2+3",
            "'@SUM(1+1)",
            "'\tTAB",
        ],
        "{}",
        res.out
    );
    // Text echoed into the rejects file too: the bad key and the message quoting it.
    assert!(res.rejects.contains("injection.csv,7,uscc,'=1+2,\"`=1+2` is not a valid"), "{}", res.rejects);
    // JSON lines are not opened by spreadsheets: values stay as they are.
    c.format = OutputFormat::JsonLines;
    let json = run(&hazchem(), &c, ("injection.csv", file("injection.csv")), &[]).expect("not fatal");
    assert!(json.out.contains(r#""name":"=HYPERLINK(\"http://evil.example\",\"详情\")""#), "{}", json.out);
}

#[test]
fn negative_scores_stay_numbers() {
    let text = r#"
[ruleset]
id = "neg"
name = "负分"
version = "1"
[inputs.n]
type = "integer"
label = "次数"
[[items]]
id = "each"
label = "每次"
points = "-1.5 * n"
[score]
base = "0"
[[grades]]
id = "any"
label = "任意"
"#;
    let rules = safegrade::load_str("neg.toml", text, &|p: &str| Err(format!("no {p}"))).rules.expect("checks");
    let firms = "uscc,n\n91110108MA00000070,1\n91310115MA0000007H,2\n".as_bytes().to_vec();
    let res = run(&rules, &cfg(), ("firms.csv", firms), &[]).expect("scores");
    assert_eq!(res.out, "uscc,score,grade\n91110108MA00000070,-1.5,any\n91310115MA0000007H,-3,any\n");
}

/// A reader that makes `head`, then `body` `times` times, then `tail`,
/// without holding it all; it counts the bytes it hands out.
struct Generated {
    parts: Vec<(Vec<u8>, u64)>,
    part: usize,
    pos: usize,
    left: u64,
    served: Arc<AtomicU64>,
}

impl Generated {
    fn new(head: &str, body: &[u8], times: u64, tail: &str) -> (Generated, Arc<AtomicU64>) {
        let served = Arc::new(AtomicU64::new(0));
        let parts = vec![(head.as_bytes().to_vec(), 1), (body.to_vec(), times), (tail.as_bytes().to_vec(), 1)];
        let left = parts[0].1;
        (Generated { parts, part: 0, pos: 0, left, served: served.clone() }, served)
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() && self.part < self.parts.len() {
            let (bytes, _) = &self.parts[self.part];
            if self.left == 0 || bytes.is_empty() {
                self.part += 1;
                self.pos = 0;
                self.left = self.parts.get(self.part).map_or(0, |p| p.1);
                continue;
            }
            let k = (bytes.len() - self.pos).min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&bytes[self.pos..self.pos + k]);
            n += k;
            self.pos += k;
            if self.pos == bytes.len() {
                self.pos = 0;
                self.left -= 1;
            }
        }
        self.served.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn a_100_mb_field_stops_at_the_row_limit() {
    let mut c = cfg();
    c.carry = vec!["name".into()];
    let head = "uscc,name,standardization,n_explosives\n91110108MA00000070,ok,level_1,0\n91310115MA0000007H,";
    let (reader, served) = Generated::new(head, &[b'x'; 1 << 16], 1600, ",level_1,0\n");
    let res = support::score_sources(&hazchem(), &c, Source::new("big.csv", reader), Vec::new());
    check_fatal(res, &["big.csv:3: the row starting here is longer than 16 MiB, the row limit", "1 MiB field limit"]);
    let read = served.load(Ordering::Relaxed);
    assert!(
        read < (16 << 20) + (1 << 18),
        "{read} bytes read before stopping: the limit is not enforced as bytes arrive"
    );
}

#[test]
fn a_field_over_the_field_limit_names_line_and_column() {
    let mut c = cfg();
    c.carry = vec!["name".into()];
    let head = "uscc,name,standardization,n_explosives\n91110108MA00000070,";
    let (reader, _) = Generated::new(head, &[b'y'; 1 << 10], 2048, ",level_1,0\n");
    let res = support::score_sources(&hazchem(), &c, Source::new("wide.csv", reader), Vec::new());
    check_fatal(res, &["wide.csv:2: column 2 holds 2097152 bytes; a field may hold at most 1 MiB (1048576 bytes)"]);
    // The limit is configurable.
    c.max_field_bytes = 4 << 20;
    let (reader, _) = Generated::new(head, &[b'y'; 1 << 10], 2048, ",level_1,0\n");
    let res = support::score_sources(&hazchem(), &c, Source::new("wide.csv", reader), Vec::new())
        .expect("under a 4 MiB limit");
    assert_eq!(res.summary.firms.used, 1);
}

#[test]
fn a_million_records_for_one_firm_reject_it_within_bounds() {
    let firms = "uscc,standardization,n_explosives\n91110108MA00000070,level_1,0\n91310115MA0000007H,level_1,0\n";
    for sorted in [false, true] {
        let mut c = cfg();
        c.sorted = sorted;
        let (acc, _) = Generated::new(
            "uscc,date,deaths,serious_injuries,direct_loss_wan\n",
            b"91110108MA00000070,2025-01-01,0,0,1\n",
            1_000_000,
            "91310115MA0000007H,2025-01-01,0,0,1\n",
        );
        let lists = vec![ListSource { list: "accidents".into(), source: Source::new("accidents.csv", acc) }];
        let res = support::score_sources(
            &hazchem(),
            &c,
            Source::new("firms.csv", Cursor::new(firms.as_bytes().to_vec())),
            lists,
        )
        .expect("not fatal");
        let s = &res.summary;
        assert_eq!((s.firms.rows, s.firms.used, s.firms.rejected), (2, 1, 1), "sorted: {sorted}");
        assert_eq!((s.lists[0].rows, s.lists[0].used, s.lists[0].rejected), (1_000_001, 1, 1_000_000));
        assert_eq!(s.rejected_for(RejectReason::TooManyRecords), 1);
        assert_eq!(s.rejected_for(RejectReason::FirmRejected), 1_000_000);
        let first = res.rejects.lines().nth(1).expect("a reject");
        assert_eq!(
            first,
            "firms.csv,2,,91110108MA00000070,\"1000000 `accidents` records, more than the limit of 2000 for this list\",too_many_records"
        );
        assert!(res.rejects.lines().last().unwrap().starts_with("accidents.csv,1000001,,91110108MA00000070,"));
    }
}

#[test]
fn a_character_split_by_a_comma_is_not_utf8_in_the_cell_where_it_starts() {
    // 中 is E4 B8 AD; here its last byte is cut off into the next cell.
    let firms = b"firm_id,name,note\nF1,x\xe4\xb8,\xadnote\n".to_vec();
    let mut cfg = cfg();
    cfg.key = "firm_id".into();
    cfg.carry = vec!["name".into(), "note".into()];
    check_fatal(run(&hazchem(), &cfg, ("split.csv", firms), &[]), &["split.csv:2: not UTF-8 (byte 0xE4 in column 2)"]);
}

#[test]
fn rows_read_before_a_fatal_error_are_written() {
    // Six chunks of five good rows, then a row that is not UTF-8.
    let mut firms = b"firm_id,name\n".to_vec();
    for i in 0..30 {
        firms.extend_from_slice(format!("F{i:02},a\n").as_bytes());
    }
    firms.extend_from_slice(b"F30,\xff\nF31,a\n");
    let mut cfg = cfg();
    cfg.key = "firm_id".into();
    cfg.carry = vec!["name".into()];
    cfg.chunk_size = 5;
    for threads in [1, 2] {
        cfg.threads = threads;
        let (mut out, mut rejects) = (Vec::new(), Vec::new());
        let firms = Source::new("firms.csv", Cursor::new(firms.clone()));
        let res = safegrade::batch::score(&hazchem(), &cfg, firms, Vec::new(), &mut out, &mut rejects, &mut |_| {});
        assert!(res.expect_err("the bad row is fatal").to_string().contains("firms.csv:32: not UTF-8"));
        let out = String::from_utf8(out).expect("UTF-8 output");
        let keys: Vec<&str> = out.lines().skip(1).map(|l| l.split(',').next().unwrap_or("")).collect();
        let want: Vec<String> = (0..30).map(|i| format!("F{i:02}")).collect();
        assert_eq!(keys, want, "{threads} threads");
    }
}
