//! Batch inputs from an adversarial trial: a list row that cannot be read
//! rejects its firm in both join modes, carried columns cannot overwrite
//! results, headers are handled in linear time under a column limit, line
//! numbers count physical lines, and the advice given for UTF-16 files and
//! for counting by the key column is true.

use std::io::{Cursor, Read};

use chrono::NaiveDate;
use safegrade::batch::{
    BatchConfig, BatchError, BatchErrorKind, ListSource, OutputFormat, RejectReason, Source, DEFAULT_MAX_COLUMNS,
};

use crate::support::{self, BatchRun as Run};

fn hazchem() -> safegrade::Rules {
    support::load("rules/schemes/hazchem.toml").rules.expect("the shipped scheme checks")
}

fn cfg() -> BatchConfig {
    BatchConfig::new(NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date"))
}

/// Runs named bytes through `rules`; every source hands out `step` bytes a
/// read at most, so that rows and blank lines straddle the reader's buffers.
fn run_in_steps(
    rules: &safegrade::Rules,
    cfg: &BatchConfig,
    firms: (&str, &[u8]),
    lists: &[(&str, &str, &[u8])],
    step: usize,
) -> Result<Run, BatchError> {
    let source = |name: &str, bytes: &[u8]| Source::new(name, Trickle { bytes: Cursor::new(bytes.to_vec()), step });
    let lists = lists
        .iter()
        .map(|(list, name, bytes)| ListSource { list: list.to_string(), source: source(name, bytes) })
        .collect();
    support::score_sources(rules, cfg, source(firms.0, firms.1), lists)
}

fn run(
    rules: &safegrade::Rules,
    cfg: &BatchConfig,
    firms: (&str, &[u8]),
    lists: &[(&str, &str, &[u8])],
) -> Result<Run, BatchError> {
    run_in_steps(rules, cfg, firms, lists, 1 << 16)
}

/// A reader handing out at most `step` bytes a read.
struct Trickle {
    bytes: Cursor<Vec<u8>>,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step);
        self.bytes.read(&mut buf[..n])
    }
}

#[track_caller]
fn check_fatal(res: Result<Run, BatchError>, want: &[&str]) -> String {
    match res {
        Ok(r) => panic!("expected a fatal error, got:\n{}\n{}", r.out, r.rejects),
        Err(e) => {
            let msg = e.to_string();
            for w in want {
                assert!(msg.contains(w), "error `{msg}` does not contain `{w}`");
            }
            msg
        }
    }
}

/// The rejects file as (file, line, column, key, reason code).
fn rejects_of(run: &Run) -> Vec<(String, u64, String, String, String)> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(run.rejects.as_bytes());
    rdr.records()
        .map(|r| {
            let r = r.expect("the rejects file is CSV");
            let line = r[1].parse().expect("a line number");
            (r[0].to_string(), line, r[2].to_string(), r[3].to_string(), r[5].to_string())
        })
        .collect()
}

/// The rejects file's messages, by line of the file named.
fn message(run: &Run, file: &str, line: u64) -> String {
    let mut rdr = csv::ReaderBuilder::new().from_reader(run.rejects.as_bytes());
    rdr.records()
        .map(|r| r.expect("the rejects file is CSV"))
        .find(|r| &r[0] == file && r[1] == *line.to_string())
        .map(|r| r[4].to_string())
        .unwrap_or_else(|| panic!("no reject for {file}:{line}:\n{}", run.rejects))
}

fn reject(
    file: &str,
    line: u64,
    column: &str,
    key: &str,
    reason: RejectReason,
) -> (String, u64, String, String, String) {
    (file.into(), line, column.into(), key.into(), reason.code().into())
}

const ACC_HEAD: &str =
    "uscc,date,deaths,serious_injuries,direct_loss_wan,social_impact,concealed,fine_multiplied,responsible";
const DINGLI: &str = "9132050608X9MJRFMY";

/// The bundled sample's first five firms (in key order).
fn sample_firms() -> Vec<u8> {
    let text = std::fs::read_to_string(support::data("sample/firms.csv")).expect("the sample");
    let head: Vec<&str> = text.lines().take(6).collect();
    format!("{}\n", head.join("\n")).into_bytes()
}

fn sample_cfg(sorted: bool) -> BatchConfig {
    let mut c = cfg();
    c.carry = vec!["name".into(), "sector".into(), "region".into()];
    c.sorted = sorted;
    c
}

/// `firms` with the accidents file `acc` (`f.csv`, `a.csv`) scored through
/// the grouped join and through `--sorted`.
fn both_joins(firms: &str, acc: &str) -> Vec<(bool, Run)> {
    [false, true]
        .into_iter()
        .map(|sorted| {
            let mut c = cfg();
            c.sorted = sorted;
            let lists = [("accidents", "a.csv", acc.as_bytes())];
            (sorted, run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &lists).expect("not fatal"))
        })
        .collect()
}

#[test]
fn a_list_row_with_an_unquoted_comma_rejects_its_firm() {
    // `199,15` and `1,000` (a decimal comma, a thousands separator): one field too many.
    for loss in ["199,15", "1,000"] {
        let acc =
            format!("{ACC_HEAD}\n{DINGLI},2025-01-28,10,1,{loss},否,否,否,是\n{DINGLI},2024-01-28,0,1,1,否,否,否,是\n");
        for sorted in [false, true] {
            let res = run(
                &hazchem(),
                &sample_cfg(sorted),
                ("f.csv", &sample_firms()),
                &[("accidents", "a.csv", acc.as_bytes())],
            )
            .expect("not fatal");
            let want = vec![
                reject("f.csv", 6, "", DINGLI, RejectReason::BadListRecord),
                reject("a.csv", 2, "", DINGLI, RejectReason::FieldCount),
                reject("a.csv", 3, "", DINGLI, RejectReason::FirmRejected),
            ];
            assert_eq!(rejects_of(&res), want, "loss {loss}, sorted {sorted}:\n{}", res.rejects);
            assert!(message(&res, "a.csv", 2).contains("has 10 fields, the header has 9: an unquoted comma?"));
            assert!(message(&res, "f.csv", 6).contains("its `accidents` row at a.csv line 2 is rejected"));
            assert!(!res.out.contains(DINGLI), "the firm is not scored without its accident:\n{}", res.out);
            let s = &res.summary;
            assert_eq!((s.firms.rows, s.firms.used, s.firms.rejected), (5, 4, 1));
            assert_eq!((s.lists[0].rows, s.lists[0].used, s.lists[0].rejected), (2, 0, 2));
        }
    }
}

#[test]
fn a_list_row_whose_key_cannot_be_read_is_rejected_alone() {
    // The key column comes last: a short row has none, and a row shifted
    // by an extra field has a value that is not a key in it.
    let firms = format!("uscc,standardization,n_explosives\n{DINGLI},level_1,0\n");
    let acc = format!(
        "date,deaths,serious_injuries,direct_loss_wan,uscc\n2025-01-28,10\n2025-01-28,10,1,199,15,{DINGLI}\n2024-01-28,0,1,1,{DINGLI}\n"
    );
    for (sorted, res) in both_joins(&firms, &acc) {
        let want = vec![
            reject("a.csv", 2, "", "", RejectReason::FieldCount),
            reject("a.csv", 3, "", "15", RejectReason::FieldCount),
        ];
        assert_eq!(rejects_of(&res), want, "sorted {sorted}:\n{}", res.rejects);
        for line in [2, 3] {
            let said = message(&res, "a.csv", line);
            assert!(said.contains("its key cannot be read, so no firm is rejected with it"), "{said}");
        }
        assert!(res.out.contains(DINGLI), "the firm is scored with its one good row:\n{}", res.out);
        assert_eq!((res.summary.lists[0].used, res.summary.lists[0].rejected), (1, 2));
    }
}

#[test]
fn a_firm_rejected_for_its_field_count_takes_its_list_rows_with_it() {
    let firms = format!("uscc,standardization,n_explosives\n{DINGLI},level_1,0,1\n");
    let acc = format!("{ACC_HEAD}\n{DINGLI},2024-01-28,0,1,1,否,否,否,是\n");
    for (sorted, res) in both_joins(&firms, &acc) {
        let want = vec![
            reject("f.csv", 2, "", DINGLI, RejectReason::FieldCount),
            reject("a.csv", 2, "", DINGLI, RejectReason::FirmRejected),
        ];
        assert_eq!(rejects_of(&res), want, "sorted {sorted}:\n{}", res.rejects);
        assert!(message(&res, "a.csv", 2).contains("its firm (line 2 of f.csv) is rejected"), "{}", res.rejects);
    }
}

#[test]
fn a_broken_list_row_without_a_firm_is_rejected_for_its_field_count() {
    let other = "91110108MA00000070";
    let firms = format!("uscc,standardization,n_explosives\n{DINGLI},level_1,0\n");
    let acc = format!("{ACC_HEAD}\n{other},2025-01-28,10,1,199,15,否,否,否,是\n{other},2024-01-28,0,1,1,否,否,否,是\n");
    for (sorted, res) in both_joins(&firms, &acc) {
        let want = vec![
            reject("a.csv", 2, "", other, RejectReason::FieldCount),
            reject("a.csv", 3, "uscc", other, RejectReason::NoFirm),
        ];
        assert_eq!(rejects_of(&res), want, "sorted {sorted}:\n{}", res.rejects);
        assert!(message(&res, "a.csv", 2).contains("no firm has the key"), "{}", res.rejects);
    }
}

#[test]
fn a_carried_column_cannot_replace_a_step_in_json_lines() {
    let firms = format!("uscc,standardization,n_explosives,blacklist\n{DINGLI},level_1,0,no\n");
    let mut c = cfg();
    c.carry = vec!["blacklist".into()];
    c.format = OutputFormat::JsonLines;
    check_fatal(
        run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &[]),
        &["f.csv:1: carried column `blacklist`", "the results of step `blacklist`"],
    );
    // In CSV the step's results are `blacklist_score` …: nothing collides.
    c.format = OutputFormat::Csv;
    let res = run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &[]).expect("carried");
    assert!(res.out.starts_with("uscc,blacklist,blacklist_score,"), "{}", res.out);
}

#[test]
fn a_carried_column_cannot_repeat_a_result_column_in_csv() {
    for name in ["risk_grade", "credit_score", "blacklist_listed_since"] {
        let firms = format!("uscc,standardization,n_explosives,{name}\n{DINGLI},level_1,0,x\n");
        let mut c = cfg();
        c.carry = vec![name.into()];
        check_fatal(
            run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &[]),
            &[&format!("f.csv:1: carried column `{name}`: the results have a column `{name}`")],
        );
    }
}

#[test]
fn a_carried_column_cannot_replace_a_single_rule_sets_results() {
    let text = r#"
[ruleset]
id = "one"
name = "单一"
version = "1"
[inputs.n]
type = "integer"
label = "次数"
[[items]]
id = "each"
label = "每次"
points = "-1 * n"
[score]
base = "10"
[[grades]]
id = "any"
label = "任意"
"#;
    let rules = safegrade::load_str("one.toml", text, &|p: &str| Err(format!("no {p}"))).rules.expect("checks");
    for (format, explain) in
        [(OutputFormat::JsonLines, false), (OutputFormat::Csv, false), (OutputFormat::JsonLines, true)]
    {
        let names: &[&str] = if explain { &["items", "overrides"] } else { &["score", "grade"] };
        for name in names {
            let firms = format!("uscc,n,{name}\n{DINGLI},1,x\n");
            let mut c = cfg();
            c.carry = vec![name.to_string()];
            c.format = format;
            c.explain = explain;
            check_fatal(
                run(&rules, &c, ("f.csv", firms.as_bytes()), &[]),
                &[&format!("f.csv:1: carried column `{name}`: the results have a")],
            );
        }
    }
    // The key column is written first: its name cannot be a result's either.
    let firms = format!("grade,n\n{DINGLI},1\n");
    let mut c = cfg();
    c.key = "grade".into();
    check_fatal(
        run(&rules, &c, ("f.csv", firms.as_bytes()), &[]),
        &["f.csv:1: key column `grade`: the results have a column `grade`; rename the column"],
    );
}

/// A header of the key and `n - 1` other columns, and one row.
fn wide(n: usize) -> Vec<u8> {
    let mut head = String::from("uscc");
    let mut row = String::from(DINGLI);
    for i in 1..n {
        head.push_str(&format!(",c{i}"));
        row.push(',');
    }
    format!("{head}\n{row}\n").into_bytes()
}

#[test]
fn a_header_over_the_column_limit_is_refused() {
    let mut c = cfg();
    check_fatal(
        run(&hazchem(), &c, ("w.csv", &wide(DEFAULT_MAX_COLUMNS + 1)), &[]),
        &[&format!(
            "w.csv:1: the header has {} columns, more than the limit of {DEFAULT_MAX_COLUMNS}",
            DEFAULT_MAX_COLUMNS + 1
        )],
    );
    check_fatal(
        run(&hazchem(), &c, ("w.csv", &wide(100_000)), &[]),
        &[&format!("w.csv:1: the header has 100000 columns, more than the limit of {DEFAULT_MAX_COLUMNS}")],
    );
    // At the limit, the header is read and mapped: its columns are ignored,
    // or in a strict run refused.
    let res = run(&hazchem(), &c, ("w.csv", &wide(DEFAULT_MAX_COLUMNS)), &[]).map_err(|e| e.to_string());
    assert_eq!(res.expect("ignored").summary.firms.ignored_columns.len(), DEFAULT_MAX_COLUMNS - 1);
    let strict = BatchConfig { strict: true, ..c.clone() };
    check_fatal(
        run(&hazchem(), &strict, ("w.csv", &wide(DEFAULT_MAX_COLUMNS)), &[]),
        &["w.csv:1: column `c1` is not an input of the rules"],
    );
    // A list file has the same limit.
    let firms = format!("uscc,standardization,n_explosives\n{DINGLI},level_1,0\n");
    check_fatal(
        run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &[("accidents", "a.csv", &wide(DEFAULT_MAX_COLUMNS + 1))]),
        &["a.csv:1: the header has 4097 columns"],
    );
    // The limit is configurable, and a raised one still maps 100,000 columns
    // in linear time: duplicates and carried columns are found by hash.
    c.max_columns = 200_000;
    let mut dup = wide(100_000);
    let end = dup.iter().position(|&b| b == b'\n').expect("a header");
    dup.splice(end..end, b",c7".iter().copied());
    let row_end = dup.len() - 1;
    dup.insert(row_end, b',');
    check_fatal(
        run(&hazchem(), &c, ("w.csv", &dup), &[]),
        &["w.csv:1: column `c7` appears twice (columns 8 and 100001)"],
    );
    // As are columns ignored (each checked against the inputs no column gives).
    let res = run(&hazchem(), &c, ("w.csv", &wide(100_000)), &[]).map_err(|e| e.to_string()).expect("ignored");
    assert_eq!(res.summary.firms.ignored_columns.len(), 99_999);
    c.carry = (1..100_000).map(|i| format!("c{i}")).collect();
    let res = run(&hazchem(), &c, ("w.csv", &wide(100_000)), &[]).map_err(|e| e.to_string()).expect("carried");
    let header = res.out.lines().next().expect("a header");
    assert!(header.starts_with("uscc,c1,c2,") && header.contains(",c99999,blacklist_score,"), "{}", &header[..80]);
    assert!(res.summary.firms.ignored_columns.is_empty());
}

#[test]
fn line_numbers_count_blank_lines() {
    // Blank lines, LF and CRLF, before the header, between rows and after
    // a quoted field holding a line end.
    let firms = concat!(
        "\n\r\n",
        "uscc,name,standardization,n_explosives\n",
        "91110108MA00000070,a,level_1,0\n",
        "\n\n\r\n\n",
        "91310115MA0000007H,b,level_9,0\n",
        "9132050608X9MJRFMY,\"two\nlines\",level_1,0\n",
        "\n",
        "91440300MA00000077,d,level_1,x\n",
    );
    let acc = format!("\n{ACC_HEAD}\n\n\n{DINGLI},2025-13-01,0,1,1,否,否,否,是\n");
    let mut c = cfg();
    c.carry = vec!["name".into()];
    for step in [1 << 16, 1, 2, 3] {
        for sorted in [false, true] {
            c.sorted = sorted;
            let res = run_in_steps(
                &hazchem(),
                &c,
                ("f.csv", firms.as_bytes()),
                &[("accidents", "a.csv", acc.as_bytes())],
                step,
            )
            .expect("not fatal");
            let mut got: Vec<(String, u64)> = rejects_of(&res).into_iter().map(|r| (r.0, r.1)).collect();
            got.sort();
            let want = [("a.csv", 5), ("f.csv", 9), ("f.csv", 10), ("f.csv", 13)].map(|(f, l)| (f.to_string(), l));
            assert_eq!(got, want, "{step} bytes a read, sorted {sorted}:\n{}", res.rejects);
        }
    }
    // A header error names the header's line.
    let late_header = "\n\nuscc,nonsense\n91110108MA00000070,1\n";
    let strict = BatchConfig { strict: true, ..cfg() };
    check_fatal(run(&hazchem(), &strict, ("f.csv", late_header.as_bytes()), &[]), &["f.csv:3: column `nonsense`"]);
}

#[test]
fn an_overlong_row_names_the_line_of_its_unclosed_quote() {
    let mut c = cfg();
    c.carry = vec!["name".into()];
    c.max_row_bytes = 1024;
    let mut firms = b"uscc,name,standardization,n_explosives\n91110108MA00000070,a,level_1,0\n\n\n".to_vec();
    // Line 5 opens a quote that runs over 1,000 lines and far past the limit.
    firms.extend_from_slice(b"91310115MA0000007H,\"b,level_1,0\n");
    for _ in 0..1000 {
        firms.extend_from_slice(format!("91440300MA00000077,{},level_1,0\n", "x".repeat(300)).as_bytes());
    }
    for step in [1 << 16, 7] {
        check_fatal(
            run_in_steps(&hazchem(), &c, ("q.csv", &firms), &[], step),
            &["q.csv:5: the row starting here is longer than 1 KiB, the row limit"],
        );
    }
}

#[test]
fn a_field_count_message_speaks_of_a_quote_only_when_a_field_holds_a_line_end() {
    let firms = concat!(
        "uscc,name,standardization,n_explosives\n",
        "91110108MA00000070,a,level_1,0,extra\n",
        "\n\n",
        "91310115MA0000007H,\"b\n\nc\",level_1\n",
        "\n",
        "91440300MA00000077,a,level_1\n",
        "\n",
    );
    let mut c = cfg();
    c.carry = vec!["name".into()];
    let res = run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &[]).expect("not fatal");
    let extra = message(&res, "f.csv", 2);
    assert_eq!(extra, "has 5 fields, the header has 4: an unquoted comma?");
    let quoted = message(&res, "f.csv", 5);
    assert_eq!(quoted, "has 3 fields, the header has 4: a quoted field runs from here to line 7, an unclosed quote?");
    let short = message(&res, "f.csv", 9);
    assert_eq!(short, "has 3 fields, the header has 4: a truncated or misaligned row");
}

#[test]
fn a_utf16_file_is_called_utf16() {
    let text = "uscc,standardization,n_explosives\n91110108MA00000070,level_1,0\n";
    let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
    for bytes in [le, be] {
        let msg = check_fatal(
            run(&hazchem(), &cfg(), ("u.csv", &bytes), &[]),
            &["u.csv:1: UTF-16 text; save it as UTF-8 (Excel: 另存为 “CSV UTF-8”)"],
        );
        assert!(!msg.contains("GBK"), "{msg}");
    }
    let utf32 = |be: bool| -> Vec<u8> {
        let bom: char = '\u{FEFF}';
        std::iter::once(bom)
            .chain(text.chars())
            .flat_map(|c| if be { (c as u32).to_be_bytes() } else { (c as u32).to_le_bytes() })
            .collect()
    };
    for bytes in [utf32(false), utf32(true)] {
        check_fatal(
            run(&hazchem(), &cfg(), ("u.csv", &bytes), &[]),
            &["u.csv:1: UTF-32 text; save it as UTF-8 (Excel: 另存为 “CSV UTF-8”)"],
        );
    }
}

#[test]
fn counting_by_the_key_column_is_refused_and_a_column_not_carried_told_apart() {
    let firms = format!("uscc,name,standardization,n_explosives\n{DINGLI},a,level_1,0\n");
    let mut c = cfg();
    c.carry = vec!["name".into()];
    c.breakdown = vec!["uscc".into()];
    let kind = |res: Result<Run, BatchError>| res.err().map(|e| e.kind().clone());
    check_fatal(
        run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &[]),
        &["f.csv: grades cannot be counted by `uscc`, the key column"],
    );
    assert_eq!(kind(run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &[])), Some(BatchErrorKind::Other));
    // A column the file does not have is named as missing, not as one to carry.
    for missing in ["nonexist", "USCC"] {
        c.breakdown = vec![missing.into()];
        check_fatal(
            run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &[]),
            &[&format!("f.csv: the firm file has no column `{missing}` to count grades by")],
        );
        assert_eq!(kind(run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &[])), Some(BatchErrorKind::Other));
    }
    // A column it has but does not carry is told apart, for a caller to advise carrying it.
    c.breakdown = vec!["standardization".into()];
    check_fatal(
        run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &[]),
        &["grades can be counted only by carried columns, and `standardization` is not carried"],
    );
    let column = "standardization".to_string();
    let not_carried = Some(BatchErrorKind::BreakdownNotCarried { column });
    assert_eq!(kind(run(&hazchem(), &c, ("f.csv", firms.as_bytes()), &[])), not_carried);
}
