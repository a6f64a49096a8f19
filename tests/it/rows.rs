//! Batch scoring of rows that do not come from CSV files: a `RowSource`
//! holding rows in memory (`batch::score_rows`), and firms scored one at a
//! time through a `Scorer`, give the CSV run's results, rejects and
//! accounting, bad rows and an unsorted list included.

use std::collections::HashMap;
use std::io::Cursor;

use chrono::NaiveDate;
use safegrade::batch::{
    self, BatchConfig, BatchError, FirmRows, Header, Lines, ListRows, ListSource, RowCells, RowSource, Scorer,
    SeenKeys, Source, Summary,
};

use crate::support;

/// A file's name and text.
type File<'a> = (&'a str, String);

/// Rows at their lines.
type Rows = Vec<(u64, Vec<String>)>;

/// Rows held in memory: a CSV text parsed by the csv crate, each record
/// at the line it starts on.
struct VecRows {
    header: Header,
    rows: std::vec::IntoIter<(u64, Vec<String>)>,
}

impl VecRows {
    fn parse(file: &str, text: &str) -> VecRows {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut records = reader.records().map(|r| {
            let r = r.expect("a CSV record");
            let line = r.position().expect("a position").line();
            (line, r.iter().map(str::to_string).collect::<Vec<_>>())
        });
        let (line, names) = records.next().expect("a header");
        VecRows {
            header: Header { file: file.to_string(), line, names },
            rows: records.collect::<Vec<_>>().into_iter(),
        }
    }
}

impl RowSource for VecRows {
    fn header(&mut self) -> Result<Header, BatchError> {
        Ok(self.header.clone())
    }

    fn next_row(&mut self, cells: &mut RowCells<'_>) -> Result<Option<Lines>, BatchError> {
        let Some((line, row)) = self.rows.next() else { return Ok(None) };
        for cell in &row {
            cells.push(cell);
        }
        Ok(Some(Lines::one(line)))
    }
}

/// What a run wrote and counted.
#[derive(Debug, PartialEq)]
struct Outputs {
    out: String,
    rejects: String,
    /// The summary as JSON, without `could_stream` (said of grouped runs only).
    summary: serde_json::Value,
}

fn outputs(out: Vec<u8>, rejects: Vec<u8>, summary: &Summary) -> Outputs {
    assert!(summary.balanced(), "{summary:#?}");
    let mut summary = serde_json::to_value(summary).unwrap();
    summary.as_object_mut().unwrap().remove("could_stream");
    Outputs { out: String::from_utf8(out).unwrap(), rejects: String::from_utf8(rejects).unwrap(), summary }
}

/// The CSV run: `batch::score` over the files' bytes.
fn from_csv(rules: &safegrade::Rules, cfg: &BatchConfig, firms: &File, lists: &[File]) -> Result<Outputs, BatchError> {
    let source = |(name, text): &File| Source::new(*name, Cursor::new(text.clone().into_bytes()));
    let lists = lists.iter().map(|f| ListSource { list: list_of(f.0), source: source(f) }).collect();
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let summary = batch::score(rules, cfg, source(firms), lists, &mut out, &mut rejects, &mut |_| {})?;
    Ok(outputs(out, rejects, &summary))
}

/// The same files parsed first and given as rows in memory: `batch::score_rows`.
fn from_rows(rules: &safegrade::Rules, cfg: &BatchConfig, firms: &File, lists: &[File]) -> Result<Outputs, BatchError> {
    let rows = |(name, text): &File| -> Box<dyn RowSource> { Box::new(VecRows::parse(name, text)) };
    let lists = lists.iter().map(|f| ListRows { list: list_of(f.0), rows: rows(f) }).collect();
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let summary = batch::score_rows(rules, cfg, rows(firms), lists, &mut out, &mut rejects, &mut |_| {})?;
    Ok(outputs(out, rejects, &summary))
}

/// The same files, each firm given its list records and scored alone
/// through a `Scorer` (a key met twice rejected by `SeenKeys`), its typed
/// result checked against the row written.
fn one_by_one(
    rules: &safegrade::Rules,
    cfg: &BatchConfig,
    firms: &File,
    lists: &[File],
) -> Result<Outputs, BatchError> {
    let firm_rows = VecRows::parse(firms.0, &firms.1);
    let list_rows: Vec<VecRows> = lists.iter().map(|(name, text)| VecRows::parse(name, text)).collect();
    let names: Vec<String> = lists.iter().map(|f| list_of(f.0)).collect();
    let headers: Vec<(&str, &Header)> =
        names.iter().map(String::as_str).zip(list_rows.iter().map(|l| &l.header)).collect();
    let scorer = Scorer::new(rules, cfg, &firm_rows.header, &headers)?;
    let key_col = |h: &Header| h.names.iter().position(|n| *n == cfg.key).expect("a key column");
    // Each list's records by the key cell.
    let mut by_key: Vec<HashMap<String, Rows>> = Vec::new();
    for list in list_rows {
        let col = key_col(&list.header);
        let mut map: HashMap<String, Rows> = HashMap::new();
        for (line, cells) in list.rows {
            map.entry(cells[col].trim().to_string()).or_default().push((line, cells));
        }
        by_key.push(map);
    }
    let firm_col = key_col(&firm_rows.header);
    let result_header = scorer.header();
    let mut results = csv::Reader::from_reader(result_header.as_slice());
    let result_columns: Vec<String> = results.headers().unwrap().iter().map(str::to_string).collect();
    let (mut out, mut rejects) = (result_header, scorer.rejects_header());
    let mut summary = Summary::new(&scorer);
    let mut seen = SeenKeys::new();
    for (line, cells) in firm_rows.rows {
        let mut firm = FirmRows::new(line, cells.iter().map(String::as_str));
        for (l, map) in by_key.iter_mut().enumerate() {
            for (line, record) in map.remove(cells[firm_col].trim()).unwrap_or_default() {
                firm.record(l, line, record.iter().map(String::as_str));
            }
        }
        let scoring = seen.check(&scorer, &firm).unwrap_or_else(|| scorer.score(&firm));
        summary.count(&scoring);
        match scoring.result() {
            Ok(result) => {
                check_typed(result, &result_columns, cfg);
                out.extend_from_slice(&result.row);
            }
            Err(rejected) => rejected.iter().for_each(|r| r.write_row(&mut rejects)),
        }
    }
    assert!(by_key.iter().all(HashMap::is_empty), "every list record has its firm");
    summary.finish();
    Ok(outputs(out, rejects, &summary))
}

/// A scored firm's typed result says what its row of the results says.
#[track_caller]
fn check_typed(result: &batch::FirmResult, columns: &[String], cfg: &BatchConfig) {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(result.row.as_slice());
    let row = reader.records().next().expect("a row").expect("a CSV row");
    let cell = |name: &str| &row[columns.iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"))];
    assert_eq!(cell(&cfg.key), result.key);
    for step in &result.steps {
        let col = |name: &str| if step.alias.is_empty() { name.to_string() } else { format!("{}_{name}", step.alias) };
        assert_eq!(cell(&col("score")), step.score.to_string());
        assert_eq!(cell(&col("grade")), step.grade);
        for (name, value) in &step.columns {
            assert_eq!(cell(&col(name)), value, "{}", col(name));
        }
        assert_eq!(step.items.is_some(), cfg.explain);
        if let Some(items) = &step.items {
            let written: Vec<String> = items.iter().map(|(id, points)| format!("{id}:{points}")).collect();
            assert_eq!(cell(&col("items")), written.join("; "));
        }
        if let Some(overrides) = &step.overrides {
            assert_eq!(cell(&col("overrides")), overrides.join("; "));
        }
    }
}

/// The list a file fills: its name without `.csv`.
fn list_of(file: &str) -> String {
    file.trim_end_matches(".csv").to_string()
}

fn hazchem() -> safegrade::Rules {
    support::load("rules/schemes/hazchem.toml").rules.expect("the shipped scheme checks")
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
}

/// The sample's files in `dir`: the firm file and the three list files.
fn sample(dir: &str) -> (File<'static>, Vec<File<'static>>) {
    let read = |name: &'static str| (name, std::fs::read_to_string(support::data(dir).join(name)).unwrap());
    (read("firms.csv"), ["accidents.csv", "penalties.csv", "hidden_dangers.csv"].into_iter().map(read).collect())
}

/// Carried columns, grades by sector and region, items explained.
fn sample_cfg() -> BatchConfig {
    BatchConfig {
        carry: vec!["name".into(), "sector".into(), "region".into()],
        breakdown: vec!["sector".into(), "region".into()],
        explain: true,
        ..BatchConfig::new(as_of())
    }
}

/// Replaces line `line` (from 1) of a file's text.
fn set_line(file: &mut File, line: usize, text: &str) {
    let mut lines: Vec<String> = file.1.lines().map(str::to_string).collect();
    lines[line - 1] = text.to_string();
    file.1 = lines.join("\n") + "\n";
}

/// Line `line` (from 1) of a file's text, its cells split on commas.
fn cells(file: &File, line: usize) -> Vec<String> {
    file.1.lines().nth(line - 1).unwrap().split(',').map(str::to_string).collect()
}

#[test]
fn the_sample_as_rows_in_memory_scores_as_its_csv_files_do() {
    let (firms, lists) = sample("sample");
    for (sorted, threads, chunk_size) in [(false, 2, 64), (true, 1, 4096), (true, 2, 7)] {
        let cfg = BatchConfig { sorted, threads, chunk_size, ..sample_cfg() };
        let csv = from_csv(&hazchem(), &cfg, &firms, &lists).unwrap();
        assert_eq!(csv.out.lines().count(), 1001);
        assert_eq!(from_rows(&hazchem(), &cfg, &firms, &lists).unwrap(), csv, "sorted: {sorted}");
    }
}

/// The golden sample's 50 firms with rows that cannot be scored: a bad
/// value, a bad key, a key twice, a short firm row; a list row with a bad
/// value, one too long, one without a firm, one whose key is not one; and
/// the accidents in reverse order.
fn with_bad_rows() -> (File<'static>, Vec<File<'static>>) {
    let (mut firms, mut lists) = sample("batch/golden");
    let mut bad_value = cells(&firms, 3);
    bad_value[4] = "maybe".into();
    set_line(&mut firms, 3, &bad_value.join(","));
    let mut bad_key = cells(&firms, 5);
    bad_key[0] = "91110108MA00000071".into();
    set_line(&mut firms, 5, &bad_key.join(","));
    let twice = cells(&firms, 7).join(",");
    set_line(&mut firms, 9, &twice);
    let short = cells(&firms, 11)[..10].join(",");
    set_line(&mut firms, 11, &short);
    let (accidents, penalties) = lists.split_at_mut(1);
    let (accidents, penalties) = (&mut accidents[0], &mut penalties[0]);
    let mut bad_date = cells(accidents, 2);
    bad_date[2] = "2025-13-01".into();
    set_line(accidents, 2, &bad_date.join(","));
    let mut no_firm = cells(accidents, 3);
    no_firm[0] = "91440300MA00000077".into();
    set_line(accidents, 3, &no_firm.join(","));
    let too_long = cells(penalties, 2).join(",") + ",x";
    set_line(penalties, 2, &too_long);
    let mut keyless = cells(penalties, 4);
    keyless[0] = String::new();
    set_line(penalties, 4, &keyless.join(","));
    let mut rows: Vec<&str> = accidents.1.lines().collect();
    rows[1..].reverse();
    accidents.1 = rows.join("\n") + "\n";
    (firms, lists)
}

#[test]
fn bad_rows_and_an_unsorted_list_in_memory_give_the_csv_rejects() {
    let (firms, lists) = with_bad_rows();
    let csv = from_csv(&hazchem(), &sample_cfg(), &firms, &lists).unwrap();
    let reasons = &csv.summary["rejects"];
    for reason in
        ["bad_value", "bad_key", "duplicate_key", "field_count", "bad_list_record", "no_firm", "firm_rejected"]
    {
        assert!(reasons[reason].as_u64() > Some(0), "no {reason} in {reasons}");
    }
    assert_eq!(from_rows(&hazchem(), &sample_cfg(), &firms, &lists).unwrap(), csv);
    // Told the files are sorted, both stop at the same row of the accidents.
    let sorted = BatchConfig { sorted: true, ..sample_cfg() };
    let csv_error = from_csv(&hazchem(), &sorted, &firms, &lists).unwrap_err();
    assert!(csv_error.message().contains("not sorted"), "{csv_error}");
    assert_eq!(from_rows(&hazchem(), &sorted, &firms, &lists).unwrap_err(), csv_error);
}

#[test]
fn firms_scored_one_by_one_give_the_csv_results_rejects_and_accounting() {
    let (mut firms, mut lists) = sample("sample");
    let mut bad_value = cells(&firms, 3);
    bad_value[4] = "maybe".into();
    set_line(&mut firms, 3, &bad_value.join(","));
    // The firm on line 7 again, after line 8.
    let twice = format!("{}\n{}", cells(&firms, 8).join(","), cells(&firms, 7).join(","));
    set_line(&mut firms, 8, &twice);
    // A list row with a bad value, and one too short, reject their firms.
    let mut bad_date = cells(&lists[0], 2);
    bad_date[2] = "2025-13-01".into();
    set_line(&mut lists[0], 2, &bad_date.join(","));
    let short = cells(&lists[2], 5)[..3].join(",");
    set_line(&mut lists[2], 5, &short);
    for cfg in [sample_cfg(), BatchConfig::new(as_of())] {
        let csv = from_csv(&hazchem(), &cfg, &firms, &lists).unwrap();
        for reason in ["bad_value", "duplicate_key", "bad_list_record", "field_count", "firm_rejected"] {
            assert!(csv.rejects.contains(&format!(",{reason}\n")), "no {reason}: {}", csv.rejects);
        }
        assert_eq!(one_by_one(&hazchem(), &cfg, &firms, &lists).unwrap(), csv);
    }
}

/// A rule set whose firms may have at most two visits, and whose score
/// divides by an input.
fn small() -> safegrade::Rules {
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
[derived]
n_visits = "count(visits)"
[[items]]
id = "ratio"
label = "比值"
points = "-(10 / divisor) - count(visits)"
[score]
base = "100"
[[grades]]
id = "ok"
label = "合格"
[results]
columns = ["n_visits"]
"#;
    safegrade::load_str("small.toml", text, &|p: &str| Err(format!("no {p}"))).rules.unwrap()
}

#[test]
fn a_scorer_rejects_too_many_records_a_bad_key_and_a_failed_evaluation_as_a_run_does() {
    let firms = ("firms.csv", "id,divisor\nF1,0\nF2,5\nF3,2\n,1\n".to_string());
    let visits = ("visits.csv", "id,day\nF2,2025-01-01\nF2,2025-02-01\nF2,2025-03-01\nF3,2025-01-01\n".to_string());
    let cfg = BatchConfig { key: "id".into(), ..BatchConfig::new(as_of()) };
    let csv = from_csv(&small(), &cfg, &firms, std::slice::from_ref(&visits)).unwrap();
    let reasons: Vec<&str> = csv.rejects.lines().skip(1).map(|l| l.rsplit(',').next().unwrap()).collect();
    assert_eq!(
        reasons,
        ["eval_error", "too_many_records", "firm_rejected", "firm_rejected", "firm_rejected", "bad_key"]
    );
    assert_eq!(csv.out, "id,score,grade,n_visits\nF3,94,ok,1\n");
    assert_eq!(one_by_one(&small(), &cfg, &firms, std::slice::from_ref(&visits)).unwrap(), csv);
}

#[test]
fn a_scorer_refuses_the_headers_a_run_refuses() {
    let (firms, lists) = sample("batch/golden");
    let cfg = BatchConfig::new(as_of());
    let cases: [(File, Vec<File>); 3] = [
        // A required list field without a column.
        (firms.clone(), vec![("accidents.csv", "uscc,date,deaths\n".into())]),
        // A list the rules do not have.
        (firms.clone(), vec![("incidents.csv", "uscc\n".into())]),
        // A firm column close to an input no column gives.
        (("firms.csv", "uscc,standardisation\n".into()), lists),
    ];
    for (firms, lists) in cases {
        let csv_error = from_csv(&hazchem(), &cfg, &firms, &lists).unwrap_err();
        assert_eq!(one_by_one(&hazchem(), &cfg, &firms, &lists).unwrap_err(), csv_error);
    }
}

#[test]
fn a_cell_over_the_field_limit_stops_a_run_whatever_its_source() {
    let (mut firms, lists) = sample("batch/golden");
    let mut long = cells(&firms, 4);
    long[1] = "名".repeat(400);
    set_line(&mut firms, 4, &long.join(","));
    let cfg = BatchConfig { max_field_bytes: 1024, ..sample_cfg() };
    let csv_error = from_csv(&hazchem(), &cfg, &firms, &lists).unwrap_err();
    assert_eq!(
        csv_error.to_string(),
        "firms.csv:4: column 2 holds 1200 bytes; a field may hold at most 1 KiB (1024 bytes)"
    );
    assert_eq!(from_rows(&hazchem(), &cfg, &firms, &lists).unwrap_err(), csv_error);
    // At the limit, both score it.
    let at_limit = BatchConfig { max_field_bytes: 1200, ..sample_cfg() };
    let csv = from_csv(&hazchem(), &at_limit, &firms, &lists).unwrap();
    assert_eq!(from_rows(&hazchem(), &at_limit, &firms, &lists).unwrap(), csv);
}

#[test]
fn compare_and_mixed_sources_read_rows_as_csv_runs_do() {
    let (firms, lists) = with_bad_rows();
    let cfg = sample_cfg();
    let new_as_of = NaiveDate::from_ymd_opt(2027, 6, 30).unwrap();
    let csv_source = |(name, text): &File| Source::new(*name, Cursor::new(text.clone().into_bytes()));
    let memory = |(name, text): &File| -> Box<dyn RowSource> { Box::new(VecRows::parse(name, text)) };
    let run = |firms: Box<dyn RowSource>, lists: Vec<ListRows>, compare: bool| {
        let (mut out, mut rejects) = (Vec::new(), Vec::new());
        let (rules, progress) = (hazchem(), &mut |_| {});
        let summary = if compare {
            batch::compare_rows(&rules, &rules, new_as_of, &cfg, firms, lists, &mut out, &mut rejects, progress)
        } else {
            batch::score_rows(&rules, &cfg, firms, lists, &mut out, &mut rejects, progress)
        };
        outputs(out, rejects, &summary.unwrap())
    };
    // `compare` of the CSV files, and `compare_rows` of the rows in memory.
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let csv_lists = lists.iter().map(|f| ListSource { list: list_of(f.0), source: csv_source(f) }).collect();
    let summary = batch::compare(
        &hazchem(),
        &hazchem(),
        new_as_of,
        &cfg,
        csv_source(&firms),
        csv_lists,
        &mut out,
        &mut rejects,
        &mut |_| {},
    )
    .unwrap();
    let compared = outputs(out, rejects, &summary);
    assert!(compared.out.lines().count() > 1, "some grades move a year on: {}", compared.out);
    let in_memory = lists.iter().map(|f| ListRows { list: list_of(f.0), rows: memory(f) }).collect();
    assert_eq!(run(memory(&firms), in_memory, true), compared);
    // Firms in memory with CSV list files (`batch::csv_rows`) score as all-CSV files do.
    let csv_lists = lists.iter().map(|f| ListRows { list: list_of(f.0), rows: batch::csv_rows(csv_source(f), &cfg) });
    assert_eq!(run(memory(&firms), csv_lists.collect(), false), from_csv(&hazchem(), &cfg, &firms, &lists).unwrap());
}
