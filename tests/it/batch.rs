//! Batch scoring (`safegrade::batch`): the bundled sample's golden
//! output and accounting, every rejection reason, fatal input errors, and
//! the invariance of results under firm order, thread count and chunk size.
//!
//! `UPDATE_EXPECT=1 cargo test -p safegrade-tests` rewrites the golden file.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use proptest::prelude::*;
use safegrade::batch::{self, BatchConfig, BatchError, BatchErrorKind, ListSource, OutputFormat, RejectReason, Source};

use crate::support::{self, BatchRun as Run};

fn repo() -> PathBuf {
    support::root()
}

fn hazchem() -> safegrade::Rules {
    support::load("rules/schemes/hazchem.toml").rules.expect("the shipped scheme checks")
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
}

fn run_bytes(
    rules: &safegrade::Rules,
    cfg: &BatchConfig,
    firms: Vec<u8>,
    lists: &[(&str, Vec<u8>)],
) -> Result<Run, BatchError> {
    let lists = lists
        .iter()
        .map(|(name, bytes)| ListSource {
            list: name.to_string(),
            source: Source::new(format!("{name}.csv"), Cursor::new(bytes.clone())),
        })
        .collect();
    support::score_sources(rules, cfg, Source::new("firms.csv", Cursor::new(firms)), lists)
}

fn run(rules: &safegrade::Rules, cfg: &BatchConfig, firms: &str, lists: &[(&str, &str)]) -> Result<Run, BatchError> {
    let lists: Vec<(&str, Vec<u8>)> = lists.iter().map(|(n, s)| (*n, s.as_bytes().to_vec())).collect();
    run_bytes(rules, cfg, firms.as_bytes().to_vec(), &lists)
}

fn read_dir_lists(dir: &Path) -> (String, Vec<(&'static str, String)>) {
    let firms = std::fs::read_to_string(dir.join("firms.csv")).unwrap();
    let lists = ["accidents", "penalties", "hidden_dangers"]
        .into_iter()
        .map(|n| (n, std::fs::read_to_string(dir.join(format!("{n}.csv"))).unwrap()))
        .collect();
    (firms, lists)
}

fn sample_cfg() -> BatchConfig {
    let mut cfg = BatchConfig::new(as_of());
    cfg.carry = vec!["name".into(), "sector".into(), "region".into()];
    cfg.breakdown = vec!["sector".into(), "region".into()];
    cfg
}

#[test]
fn golden_first_50_firms_of_the_sample() {
    let dir = repo().join("tests/data/batch/golden");
    let (firms, lists) = read_dir_lists(&dir);
    let lists: Vec<(&str, &str)> = lists.iter().map(|(n, s)| (*n, s.as_str())).collect();
    let mut cfg = sample_cfg();
    cfg.explain = true;
    let res = run(&hazchem(), &cfg, &firms, &lists).unwrap();
    support::expect_file("tests/data/batch/golden/results.csv", &res.out);
    assert_eq!(res.summary.firms.used, 50);
    assert_eq!(res.summary.rejected(), 0, "{}", res.rejects);
    cfg.format = OutputFormat::JsonLines;
    let json = run(&hazchem(), &cfg, &firms, &lists).unwrap();
    support::expect_file("tests/data/batch/golden/results.jsonl", &json.out);
}

#[test]
fn the_bundled_sample_scores_completely() {
    let (firms, lists) = read_dir_lists(&repo().join("tests/data/sample"));
    let lists: Vec<(&str, &str)> = lists.iter().map(|(n, s)| (*n, s.as_str())).collect();
    let res = run(&hazchem(), &sample_cfg(), &firms, &lists).unwrap();
    let s = &res.summary;
    assert_eq!((s.firms.rows, s.firms.used, s.firms.rejected), (1000, 1000, 0));
    let list_rows: u64 = s.lists.iter().map(|l| l.rows).sum();
    assert!(list_rows > 4000, "{list_rows} list rows");
    assert!(s.lists.iter().all(|l| l.used == l.rows));
    assert!(s.lists_not_given.is_empty(), "{:?}", s.lists_not_given);
    assert!(s.could_stream, "`safegrade gen` writes every file in key order");
    assert_eq!(res.out.lines().count(), 1001);
    // Every step's grades add up to the firms scored, and the mix is not degenerate.
    for st in &s.steps {
        assert_eq!(st.grades.iter().map(|g| g.count).sum::<u64>(), 1000, "{}", st.alias);
        assert!(st.grades.iter().filter(|g| g.count > 0).count() >= 2, "{}: {:?}", st.alias, st.grades);
    }
    let sectors = s.breakdown.iter().find(|b| b.column == "sector").unwrap();
    assert!(sectors.rows.len() >= 6);
}

#[test]
fn lists_the_rules_read_but_no_file_gives_are_named() {
    let (firms, lists) = read_dir_lists(&repo().join("tests/data/batch/golden"));
    let accidents: Vec<(&str, &str)> =
        lists.iter().filter(|(n, _)| *n == "accidents").map(|(n, s)| (*n, s.as_str())).collect();
    let res = run(&hazchem(), &sample_cfg(), &firms, &accidents).unwrap();
    assert_eq!(res.summary.lists_not_given, ["penalties", "hidden_dangers"]);
}

#[test]
fn a_grouped_run_says_whether_its_files_were_in_key_order() {
    let (firms, lists) = read_dir_lists(&repo().join("tests/data/batch/golden"));
    let lists: Vec<(&str, &str)> = lists.iter().map(|(n, s)| (*n, s.as_str())).collect();
    let mut rows: Vec<&str> = firms.lines().collect();
    assert!(run(&hazchem(), &sample_cfg(), &firms, &lists).unwrap().summary.could_stream);
    rows[1..].reverse();
    let reversed = rows.join("\n") + "\n";
    assert!(!run(&hazchem(), &sample_cfg(), &reversed, &lists).unwrap().summary.could_stream);
    let acc = lists.iter().find(|(n, _)| *n == "accidents").unwrap().1;
    let mut acc_rows: Vec<&str> = acc.lines().collect();
    acc_rows[1..].reverse();
    let acc_reversed = acc_rows.join("\n") + "\n";
    let other: Vec<(&str, &str)> =
        lists.iter().map(|&(n, s)| if n == "accidents" { (n, acc_reversed.as_str()) } else { (n, s) }).collect();
    assert!(!run(&hazchem(), &sample_cfg(), &firms, &other).unwrap().summary.could_stream);
    let sorted = BatchConfig { sorted: true, ..sample_cfg() };
    assert!(!run(&hazchem(), &sorted, &firms, &lists).unwrap().summary.could_stream, "only said of grouped runs");
}

#[test]
fn a_carried_input_column_is_scored_too() {
    let (firms, lists) = read_dir_lists(&repo().join("tests/data/sample"));
    let lists: Vec<(&str, &str)> = lists.iter().map(|(n, s)| (*n, s.as_str())).collect();
    let plain = run(&hazchem(), &sample_cfg(), &firms, &lists).unwrap();
    let mut cfg = sample_cfg();
    cfg.carry.extend(["n_hazard_processes".to_string(), "standardization".to_string()]);
    let carried = run(&hazchem(), &cfg, &firms, &lists).unwrap();
    let grades = |r: &Run| r.summary.steps.iter().map(|s| format!("{:?}", s.grades)).collect::<Vec<_>>();
    assert_eq!(grades(&carried), grades(&plain));
    let header = carried.out.lines().next().unwrap();
    assert!(header.starts_with("uscc,name,sector,region,n_hazard_processes,standardization,"), "{header}");
    // A carried column headed with an input's label (not its name) is only carried.
    let label = "安全生产标准化等级";
    let mut lines = firms.lines();
    let head = format!("{},{label}\n", lines.next().unwrap());
    let with_label: String = std::iter::once(head).chain(lines.map(|l| format!("{l},x\n"))).collect();
    let mut cfg = sample_cfg();
    cfg.carry.push(label.to_string());
    let res = run(&hazchem(), &cfg, &with_label, &lists).unwrap();
    assert_eq!(grades(&res), grades(&plain));
    // The key column, or a column twice, cannot be carried.
    for carry in [["uscc", "name"], ["name", "name"]] {
        let mut cfg = sample_cfg();
        cfg.carry = carry.iter().map(|c| c.to_string()).collect();
        cfg.breakdown.clear();
        let Err(err) = run(&hazchem(), &cfg, &firms, &lists) else { panic!("{carry:?} was carried") };
        assert!(err.to_string().contains("carried"), "{err}");
        assert!(!err.to_string().contains("--"), "the library names no flags: {err}");
    }
}

const HEAD: &str = "uscc,standardization,n_explosives";
const ACC_HEAD: &str = "uscc,date,deaths,serious_injuries,direct_loss_wan";
const GOOD: [&str; 3] = ["91110108MA00000070", "91310115MA0000007H", "91440300MA00000077"];

/// One rejection case: firm rows and accident rows (headers added), and the
/// reject expected: (file, line, column, reason).
#[track_caller]
fn check_reject(firm_rows: &[String], acc_rows: &[String], want: &[(&str, u64, &str, RejectReason)]) {
    let firms = format!("{HEAD}\n{}\n", firm_rows.join("\n"));
    let acc = format!("{ACC_HEAD}\n{}\n", acc_rows.join("\n"));
    let res = run(&hazchem(), &BatchConfig::new(as_of()), &firms, &[("accidents", &acc)]).unwrap();
    let got: Vec<(String, u64, String, String)> = res
        .rejects
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap(), f[2].to_string(), f[f.len() - 1].to_string())
        })
        .collect();
    let want: Vec<(String, u64, String, String)> =
        want.iter().map(|(f, l, c, r)| (f.to_string(), *l, c.to_string(), r.code().to_string())).collect();
    assert_eq!(got, want, "rejects file:\n{}", res.rejects);
    assert_eq!(res.summary.rejected() as usize, want.len());
}

fn firm(key: &str, std: &str, n: &str) -> String {
    format!("{key},{std},{n}")
}

#[test]
fn reject_bad_key() {
    check_reject(
        &[firm("91110108MA00000071", "level_1", "0"), firm("", "level_1", "0"), firm(GOOD[0], "level_1", "0")],
        &["91110108MA0000007X,2025-01-01,0,0,1".into()],
        &[
            ("accidents.csv", 2, "uscc", RejectReason::BadKey),
            ("firms.csv", 2, "uscc", RejectReason::BadKey),
            ("firms.csv", 3, "uscc", RejectReason::BadKey),
        ],
    );
}

#[test]
fn reject_bad_value() {
    check_reject(
        &[firm(GOOD[0], "level_9", "0"), firm(GOOD[1], "一级", "-1"), firm(GOOD[2], "二级", "2")],
        &[],
        &[
            ("firms.csv", 2, "standardization", RejectReason::BadValue),
            ("firms.csv", 3, "n_explosives", RejectReason::BadValue),
        ],
    );
}

#[test]
fn reject_list_row_with_bad_value_rejects_its_firm_too() {
    check_reject(
        &[firm(GOOD[0], "level_1", "0"), firm(GOOD[1], "level_1", "0")],
        &[
            format!("{},2025-01-01,0,0,1", GOOD[0]),
            format!("{},2025-13-01,0,0,1", GOOD[0]),
            format!("{},2025-02-01,0,0,1", GOOD[1]),
        ],
        &[
            ("firms.csv", 2, "", RejectReason::BadListRecord),
            ("accidents.csv", 3, "date", RejectReason::BadValue),
            ("accidents.csv", 2, "", RejectReason::FirmRejected),
        ],
    );
}

#[test]
fn reject_missing_required_field() {
    check_reject(
        &[firm(GOOD[0], "level_1", "0")],
        &[format!("{},2025-01-01,,0,1", GOOD[0])],
        &[
            ("firms.csv", 2, "", RejectReason::BadListRecord),
            ("accidents.csv", 2, "deaths", RejectReason::MissingRequired),
        ],
    );
}

#[test]
fn reject_missing_required_input() {
    let rules = safegrade::load_str(
        "req.toml",
        r#"
[ruleset]
id = "req"
name = "必填"
version = "1"
[inputs.staff]
type = "integer"
label = "从业人数"
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
"#,
        &|p: &str| Err(format!("no {p}")),
    )
    .rules
    .unwrap();
    let firms = format!("uscc,从业人数\n{},5\n{},\n{},500\n", GOOD[0], GOOD[1], GOOD[2]);
    let res = run(&rules, &BatchConfig::new(as_of()), &firms, &[]).unwrap();
    assert_eq!(res.summary.rejected_for(RejectReason::MissingRequired), 1, "{}", res.rejects);
    assert!(
        res.rejects.contains("firms.csv,3,从业人数,91310115MA0000007H,\"required, but missing\""),
        "{}",
        res.rejects
    );
    assert_eq!(res.out, format!("uscc,score,grade\n{},100,ok\n{},90,ok\n", GOOD[0], GOOD[2]));
}

#[test]
fn reject_duplicate_key() {
    check_reject(
        &[firm(GOOD[0], "level_1", "0"), firm(GOOD[1], "level_1", "0"), firm(GOOD[0], "level_2", "0")],
        &[],
        &[("firms.csv", 4, "uscc", RejectReason::DuplicateKey)],
    );
    // The message names the first row's line, sorted or not.
    let rows = [firm(GOOD[0], "level_1", "0"), firm(GOOD[0], "level_2", "0"), firm(GOOD[0], "level_3", "0")];
    let firms = format!("{HEAD}\n{}\n", rows.join("\n"));
    for sorted in [false, true] {
        let cfg = BatchConfig { sorted, ..BatchConfig::new(as_of()) };
        let res = run(&hazchem(), &cfg, &firms, &[]).unwrap();
        let said: Vec<&str> = res.rejects.lines().skip(1).collect();
        assert_eq!(said.len(), 2, "{}", res.rejects);
        assert!(said.iter().all(|r| r.contains("is on line 2 already")), "{}", res.rejects);
    }
}

#[test]
fn reject_list_row_without_firm() {
    check_reject(
        &[firm(GOOD[0], "level_1", "0")],
        &[format!("{},2025-01-01,0,0,1", GOOD[2]), format!("{},2025-01-01,0,0,1", GOOD[1])],
        &[("accidents.csv", 2, "uscc", RejectReason::NoFirm), ("accidents.csv", 3, "uscc", RejectReason::NoFirm)],
    );
}

#[test]
fn reject_field_count_of_a_truncated_file() {
    // The last line is cut off in the middle; a list row that cannot be
    // read rejects its firm, as a bad value does.
    check_reject(
        &[firm(GOOD[0], "level_1", "0"), format!("{},level", GOOD[1])],
        &[format!("{},2025-01-01,0", GOOD[0])],
        &[
            ("firms.csv", 2, "", RejectReason::BadListRecord),
            ("accidents.csv", 2, "", RejectReason::FieldCount),
            ("firms.csv", 3, "", RejectReason::FieldCount),
        ],
    );
}

#[test]
fn an_unclosed_quote_names_the_lines_it_ran_over() {
    // Line 3 opens a quote that is never closed: lines 4 and 5 are inside it.
    let firms = format!(
        "{HEAD}\n{}\n{},\"level_1,0\n{}\n{}\n",
        firm(GOOD[0], "level_1", "0"),
        GOOD[1],
        firm(GOOD[2], "level_1", "0"),
        firm(GOOD[0], "level_2", "1")
    );
    let res = run(&hazchem(), &BatchConfig::new(as_of()), &firms, &[]).unwrap();
    assert_eq!((res.summary.firms.rows, res.summary.firms.used), (2, 1));
    let reject = res.rejects.lines().nth(1).unwrap();
    assert!(reject.starts_with(&format!("firms.csv,3,,{},", GOOD[1])), "{reject}");
    assert!(reject.contains("runs from here to line 5, an unclosed quote?"), "{reject}");
}

#[test]
fn reject_too_many_records_and_eval_error() {
    let text = r#"
[ruleset]
id = "small"
name = "小"
version = "1"
[inputs.divisor]
type = "integer"
label = "除数"
[lists.visits]
label = "检查"
max_records = 2
[lists.visits.fields.day]
type = "date"
label = "日期"
[[items]]
id = "ratio"
label = "比值"
points = "-(10 / divisor) - count(visits)"
[score]
base = "100"
[[grades]]
id = "ok"
label = "合格"
"#;
    let rules = safegrade::load_str("small.toml", text, &|p: &str| Err(format!("no {p}"))).rules.unwrap();
    let firms = format!("uscc,divisor\n{},0\n{},5\n{},2\n", GOOD[0], GOOD[1], GOOD[2]);
    let visits =
        format!("uscc,day\n{0},2025-01-01\n{0},2025-02-01\n{0},2025-03-01\n{1},2025-01-01\n", GOOD[1], GOOD[2]);
    let res = run(&rules, &BatchConfig::new(as_of()), &firms, &[("visits", &visits)]).unwrap();
    assert_eq!(res.summary.rejected_for(RejectReason::EvalError), 1, "{}", res.rejects);
    assert_eq!(res.summary.rejected_for(RejectReason::TooManyRecords), 1, "{}", res.rejects);
    assert_eq!(res.summary.rejected_for(RejectReason::FirmRejected), 3, "{}", res.rejects);
    assert!(res.rejects.contains("division by zero"), "{}", res.rejects);
    assert_eq!(res.out, format!("uscc,score,grade\n{},94,ok\n", GOOD[2]));
    assert_eq!((res.summary.lists[0].rows, res.summary.lists[0].used), (4, 1));
}

#[test]
fn every_reason_has_a_test() {
    // The tests above cover these; a new reason needs a new test.
    assert_eq!(RejectReason::ALL.len(), 10);
}

#[track_caller]
fn check_fatal(firms: &[u8], lists: &[(&str, Vec<u8>)], cfg: &BatchConfig, want: &str) {
    match run_bytes(&hazchem(), cfg, firms.to_vec(), lists) {
        Ok(r) => panic!("expected a fatal error, got output:\n{}\n{}", r.out, r.rejects),
        Err(e) => assert!(e.to_string().contains(want), "error `{e}` does not contain `{want}`"),
    }
}

#[test]
fn fatal_errors_name_file_and_line() {
    let cfg = BatchConfig::new(as_of());
    // A GBK export: 一级 in GBK is D2BB BCB6.
    let mut gbk = format!("{HEAD}\n{},level_1,0\n{},", GOOD[0], GOOD[1]).into_bytes();
    gbk.extend_from_slice(b"\xD2\xBB\xBC\xB6,0\n");
    check_fatal(&gbk, &[], &cfg, "firms.csv:3: not UTF-8 (byte 0xBC in column 2); a GBK/GB18030 export?");
    check_fatal(b"\xBC\xB6,uscc\n", &[], &cfg, "firms.csv:1: the header is not UTF-8");
    check_fatal(b"", &[], &cfg, "firms.csv: the file is empty");
    let cr_only = format!("{HEAD}\r{},level_1,0\r", GOOD[0]).into_bytes();
    check_fatal(&cr_only, &[], &cfg, "firms.csv:1: the line ends are a lone CR");
    // CR CR LF (Python's csv module on Windows, without newline=''): read as CRLF.
    let cr_cr_lf = format!("{HEAD}\r\r\n{},level_1,0\r\r\n", GOOD[0]);
    assert_eq!(run(&hazchem(), &cfg, &cr_cr_lf, &[]).unwrap().summary.firms.used, 1);
    check_fatal(
        b"uscc,standardisation\n",
        &[],
        &cfg,
        "firms.csv:1: column `standardisation` is not an input of the rules, but its name is close to `standardization` (安全生产标准化等级), which no column gives; did you mean `standardization`?",
    );
    let strict = BatchConfig { strict: true, ..cfg.clone() };
    check_fatal(
        b"uscc,standardisation\n",
        &[],
        &strict,
        "firms.csv:1: column `standardisation` is not an input of the rules; did you mean `standardization`?",
    );
    check_fatal(b"uscc,n_explosives,n_explosives\n", &[], &cfg, "firms.csv:1: column `n_explosives` appears twice");
    check_fatal(b"uscc,standardization,\xE5\xAE\x89\xE5\x85\xA8\xE7\x94\x9F\xE4\xBA\xA7\xE6\xA0\x87\xE5\x87\x86\xE5\x8C\x96\xE7\xAD\x89\xE7\xBA\xA7\n", &[], &cfg, "both give input `standardization`");
    check_fatal(b"code,standardization\n", &[], &cfg, "firms.csv:1: no key column `uscc`");
    let firms = format!("{HEAD}\n").into_bytes();
    check_fatal(
        &firms,
        &[("accidents", b"uscc,date,deaths\n".to_vec())],
        &cfg,
        "accidents.csv:1: no column for the required field `serious_injuries`",
    );
    let incidents = [("incidents", b"uscc\n".to_vec())];
    check_fatal(&firms, &incidents, &cfg, "incidents.csv: the rules have no list `incidents`");
    let kind = |firms: &[u8], lists: &[(&str, Vec<u8>)], cfg: &BatchConfig| {
        run_bytes(&hazchem(), cfg, firms.to_vec(), lists).err().map(|e| e.kind().clone())
    };
    assert_eq!(kind(&firms, &incidents, &cfg), Some(BatchErrorKind::UnknownList { list: "incidents".into() }));
    let mut sorted = cfg.clone();
    sorted.sorted = true;
    let firms = format!("{HEAD}\n{},level_1,0\n{},level_1,0\n", GOOD[1], GOOD[0]).into_bytes();
    check_fatal(
        &firms,
        &[],
        &sorted,
        "firms.csv:3: key `91110108MA00000070` comes after `91310115MA0000007H`: the file is not sorted by key; sort it",
    );
    assert_eq!(kind(&firms, &[], &sorted), Some(BatchErrorKind::NotSorted));
}

#[test]
fn chinese_labels_and_bom_are_accepted() {
    let firms = format!("\u{FEFF}uscc,安全生产标准化等级,生产、储存爆炸品种类数\n{},二级,1\n", GOOD[0]);
    let acc = format!("uscc,事故发生日期,死亡人数,重伤人数（含急性工业中毒）\n{},2025-01-01,0,1\n", GOOD[0]);
    let res = run(&hazchem(), &BatchConfig::new(as_of()), &firms, &[("accidents", &acc)]).unwrap();
    assert_eq!(res.summary.rejected(), 0, "{}", res.rejects);
    assert_eq!(res.summary.lists[0].used, 1);
}

/// A toy encoding for the test below: ASCII, 0x80 for 二, 0x81 for 级,
/// 0xFF for nothing, every other byte its Latin-1 character.
struct Toy;

impl batch::CellDecoder for Toy {
    fn decode(&mut self, raw: &[u8], out: &mut String) -> Result<(), usize> {
        for (i, &b) in raw.iter().enumerate() {
            match b {
                0x80 => out.push('二'),
                0x81 => out.push('级'),
                0xFF => return Err(i),
                _ => out.push(char::from(b)),
            }
        }
        Ok(())
    }
}

#[test]
fn a_cell_decoder_reads_a_file_in_its_own_encoding() {
    let cfg = BatchConfig { carry: vec!["name".into()], ..BatchConfig::new(as_of()) };
    let toy = |bytes: &[u8]| Source::with_cells("firms.csv", Cursor::new(bytes.to_vec()), "TOY", Toy);
    let score = |src| support::score_sources(&hazchem(), &cfg, src, Vec::new());
    let utf8 = format!("{HEAD},name\n{},二级,1,Café \"二级\"\n\n{},level_1,0,\"a,\n\u{e9}\"\n", GOOD[0], GOOD[1]);
    let mut bytes = format!("{HEAD},name\n{},", GOOD[0]).into_bytes();
    bytes.extend_from_slice(b"\x80\x81,1,Caf\xE9 \"\x80\x81\"\n\n");
    bytes.extend_from_slice(format!("{},level_1,0,\"a,\n", GOOD[1]).as_bytes());
    bytes.extend_from_slice(b"\xE9\"\n");
    let from_toy = score(toy(&bytes)).expect("scores");
    let from_utf8 = score(Source::new("firms.csv", Cursor::new(utf8.into_bytes()))).expect("scores");
    assert_eq!(from_toy.out, from_utf8.out);
    assert!(from_toy.out.contains("Café \"\"二级\"\""), "{}", from_toy.out);
    assert_eq!(from_toy.summary.firms.used, 2, "{}", from_toy.rejects);
    // A byte the encoding does not have: fatal, naming the line, the column and the encoding.
    bytes.extend_from_slice(format!("{},", GOOD[2]).as_bytes());
    bytes.extend_from_slice(b"\x80\xFF,1,x\n");
    let err = score(toy(&bytes)).err().expect("refused");
    assert_eq!(err.to_string(), "firms.csv:6: not TOY (byte 0xFF in column 2)");
    // Header cells are decoded too.
    let err = score(toy(b"uscc,\xFF\n")).err().expect("refused");
    assert_eq!(err.to_string(), "firms.csv:1: not TOY (byte 0xFF in column 2)");
}

/// Each firm's result row, by key.
fn rows_by_key(out: &str) -> BTreeMap<String, String> {
    out.lines().skip(1).map(|l| (l.split(',').next().unwrap().to_string(), l.to_string())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Shuffling the firm rows, the thread count or the chunk size never
    /// changes a firm's result; the sorted streaming join agrees with the
    /// in-memory one.
    #[test]
    fn results_do_not_depend_on_order_threads_or_chunks(
        seed in any::<u64>(),
        threads in 1usize..4,
        chunk in 1usize..300,
    ) {
        let dir = repo().join("tests/data/batch/golden");
        let (firms, lists) = read_dir_lists(&dir);
        let lists: Vec<(&str, &str)> = lists.iter().map(|(n, s)| (*n, s.as_str())).collect();
        let cfg = sample_cfg();
        let base = run(&hazchem(), &cfg, &firms, &lists).unwrap();

        let mut sorted = cfg.clone();
        sorted.sorted = true;
        sorted.threads = threads;
        sorted.chunk_size = chunk;
        let streamed = run(&hazchem(), &sorted, &firms, &lists).unwrap();
        prop_assert_eq!(&streamed.out, &base.out);

        let mut rows: Vec<&str> = firms.lines().skip(1).collect();
        let mut state = seed | 1;
        for i in (1..rows.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            rows.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let shuffled = format!("{}\n{}\n", firms.lines().next().unwrap(), rows.join("\n"));
        let mut cfg2 = cfg.clone();
        cfg2.threads = threads;
        cfg2.chunk_size = chunk;
        let res = run(&hazchem(), &cfg2, &shuffled, &lists).unwrap();
        prop_assert_eq!(rows_by_key(&res.out), rows_by_key(&base.out));
        let order: Vec<&str> = res.out.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
        let want: Vec<&str> = rows.iter().map(|l| l.split(',').next().unwrap()).collect();
        prop_assert_eq!(order, want, "input order is kept");
    }
}

#[test]
fn compare_lists_the_firms_that_move() {
    let dir = repo().join("tests/data/batch/golden");
    let (firms, lists) = read_dir_lists(&dir);
    let sources = |lists: &[(&str, String)]| -> Vec<ListSource> {
        lists
            .iter()
            .map(|(n, s)| ListSource {
                list: n.to_string(),
                source: Source::new(*n, Cursor::new(s.clone().into_bytes())),
            })
            .collect()
    };
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let later = NaiveDate::from_ymd_opt(2029, 6, 30).unwrap();
    let s = batch::compare(
        &hazchem(),
        &hazchem(),
        later,
        &sample_cfg(),
        Source::new("firms.csv", Cursor::new(firms.into_bytes())),
        sources(&lists),
        &mut out,
        &mut rejects,
        &mut |_| {},
    )
    .unwrap();
    assert!(s.balanced());
    let risk = s.migrations.iter().find(|m| m.alias == "risk").unwrap();
    let total: u64 = risk.counts.iter().flatten().sum();
    assert_eq!(total, 50);
    let out = String::from_utf8(out).unwrap();
    let moved_any: usize = out.lines().count() - 1;
    assert!(moved_any > 0, "three years on, some firm's accidents and penalties have aged out");
    assert!(out.starts_with("uscc,name,sector,region,blacklist_old_grade,blacklist_new_grade,"), "{out}");
}

/// The rule file `rel` with an extra enum input declared first, so that
/// every text of the rules is numbered two further on.
fn renumbered(rel: &str) -> safegrade::Rules {
    let base = repo();
    let reader = move |p: &str| {
        let text = std::fs::read_to_string(base.join(p)).map_err(|e| e.to_string())?;
        let first_input = text.find("\n[inputs.").expect("the rules declare inputs");
        let extra = "\n[inputs.renumbered]\ntype = \"enum\"\nlabel = \"renumbered\"\n\
                     options = [{ id = \"renumbered_a\", label = \"a\" }, { id = \"renumbered_b\", label = \"b\" }]\n\
                     missing = { default = \"renumbered_a\" }\n";
        Ok(format!("{}{extra}{}", &text[..first_input], &text[first_input..]))
    };
    let loaded = safegrade::load_with(rel, &reader, &safegrade::LoadConfig::default());
    loaded.rules.unwrap_or_else(|| panic!("{rel} renumbered checks: {:?}", loaded.diagnostics))
}

#[test]
fn compare_reads_list_records_in_each_sides_own_texts() {
    // The two sides number the rules' texts differently (substance names
    // are table keys); records read once for both must mean the same in
    // each, so no firm moves.
    let rel = "rules/gb18218-major-hazard.toml";
    let (old, new) = (support::load(rel).rules.expect("checks"), renumbered(rel));
    let firms = "uscc,exposed_people\n91320506012F4QKJ63,10\n9132050601F2CQCA0D,200\n";
    let substances = "uscc,name,category,quantity_t\n\
                      91320506012F4QKJ63,液氨,,15\n91320506012F4QKJ63,光气,,1\n\
                      9132050601F2CQCA0D,未列名物质,W5.3,2000\n9132050601F2CQCA0D,液氯,,3\n";
    let lists = vec![ListSource {
        list: "substances".into(),
        source: Source::new("substances.csv", Cursor::new(substances.as_bytes().to_vec())),
    }];
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let firms = Source::new("firms.csv", Cursor::new(firms.as_bytes().to_vec()));
    let mut cfg = BatchConfig::new(as_of());
    cfg.explain = true;
    let s = batch::compare(&old, &new, as_of(), &cfg, firms, lists, &mut out, &mut rejects, &mut |_| {}).unwrap();
    let rejects = String::from_utf8(rejects).unwrap();
    assert_eq!(rejects.lines().count(), 1, "{rejects}");
    assert!(s.balanced());
    let m = &s.migrations[0];
    let on_diagonal: u64 = (0..m.counts.len()).map(|i| m.counts[i][i]).sum();
    let all: u64 = m.counts.iter().flatten().sum();
    assert_eq!((on_diagonal, all), (2, 2), "{:?}", m.counts);
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.lines().count(), 1, "no firm moves: {out}");
}
