//! The Arrow path against the CSV path: the same data, as typed Arrow
//! tables (keyed, or with the lists nested in the firm table) and as the
//! CSV files, gives the same results cell for cell and the same rejects
//! (reason, line, column, key), for every shipped rule set and the hazchem
//! scheme, over the bundled sample district and over adversarial rows.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_array::{ArrayRef, ListArray, RecordBatch, RecordBatchIterator, StructArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use safegrade::batch::{self, BatchConfig, ListSource, Source};
use safegrade::Rules;
use safegrade_arrow::{typed, Batches, Options};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

fn load(rel: &str) -> Rules {
    let base = root();
    let reader = move |p: &str| std::fs::read_to_string(base.join(p)).map_err(|e| e.to_string());
    let loaded = safegrade::load(rel, &reader);
    loaded.rules.unwrap_or_else(|| panic!("{rel} checks: {:?}", loaded.diagnostics))
}

fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date")
}

/// A CSV text's header and rows.
fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let header = r.headers().expect("a header").iter().map(String::from).collect();
    let rows = r.records().map(|rec| rec.expect("a row").iter().map(String::from).collect()).collect();
    (header, rows)
}

/// A CSV text as one typed record batch.
fn table(text: &str) -> RecordBatch {
    let (header, rows) = read_csv(text);
    typed::batch(&typed::infer_schema(&header, &rows), &rows).expect("a batch")
}

fn batches(b: &RecordBatch) -> Batches {
    // Several batches, so that rows cross batch ends.
    let parts: Vec<RecordBatch> =
        (0..b.num_rows()).step_by(300).map(|s| b.slice(s, 300.min(b.num_rows() - s))).collect();
    Box::new(RecordBatchIterator::new(parts.into_iter().map(Ok), b.schema()))
}

/// The firm table with each list's records nested in it as a
/// `List<Struct>` column (the key left out of the records).
fn nest(firms: &RecordBatch, lists: &[(String, RecordBatch)]) -> RecordBatch {
    let keys = firms.column(0).as_string::<i32>();
    let mut fields: Vec<Field> = firms.schema().fields().iter().map(|f| (**f).clone()).collect();
    let mut columns: Vec<ArrayRef> = firms.columns().to_vec();
    for (name, records) in lists {
        let rkeys = records.column(0).as_string::<i32>();
        let mut by_key: HashMap<&str, Vec<u32>> = HashMap::new();
        for i in 0..records.num_rows() {
            by_key.entry(rkeys.value(i)).or_default().push(i as u32);
        }
        let (mut order, mut offsets): (Vec<u32>, Vec<i32>) = (Vec::new(), vec![0]);
        for f in 0..firms.num_rows() {
            order.extend(by_key.get(keys.value(f)).into_iter().flatten());
            offsets.push(order.len() as i32);
        }
        let idx = UInt32Array::from(order);
        let record_fields: Vec<Field> = records.schema().fields().iter().skip(1).map(|f| (**f).clone()).collect();
        let record_columns: Vec<ArrayRef> =
            records.columns().iter().skip(1).map(|c| arrow_select::take::take(c, &idx, None).expect("take")).collect();
        let values = StructArray::new(record_fields.clone().into(), record_columns, None);
        let item = Arc::new(Field::new("item", DataType::Struct(record_fields.into()), true));
        let list =
            ListArray::new(item.clone(), arrow_buffer::OffsetBuffer::new(offsets.into()), Arc::new(values), None);
        fields.push(Field::new(name, DataType::List(item), true));
        columns.push(Arc::new(list));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("a nested table")
}

/// A reject as compared: (file, line, column, key, reason code).
type RejectRow = (String, u64, String, String, String);

struct Run {
    /// The results' header and rows.
    results: (Vec<String>, Vec<Vec<String>>),
    rejects: Vec<RejectRow>,
    counts: (u64, u64, u64),
}

/// A CSV cell as the CSV results write it: formula-like text behind `'`.
fn csv_cell(s: &str) -> String {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let number =
        !digits.is_empty() && digits.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !number {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv_run(rules: &Rules, cfg: &BatchConfig, firms: &str, lists: &[(String, String)]) -> Run {
    try_csv_run(rules, cfg, firms, lists).expect("a run")
}

fn try_csv_run(rules: &Rules, cfg: &BatchConfig, firms: &str, lists: &[(String, String)]) -> Result<Run, String> {
    let src = |name: &str, text: &str| Source::new(name, std::io::Cursor::new(text.as_bytes().to_vec()));
    let lists = lists.iter().map(|(l, t)| ListSource { list: l.clone(), source: src(l, t) }).collect();
    let (mut out, mut rej) = (Vec::new(), Vec::new());
    let summary = batch::score(rules, cfg, src("firms", firms), lists, &mut out, &mut rej, &mut |_| {})
        .map_err(|e| e.to_string())?;
    let (_, rows) = read_csv(&String::from_utf8(rej).expect("utf-8"));
    let rejects = rows
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().expect("a line"), r[2].clone(), r[3].clone(), r[5].clone()))
        .collect();
    Ok(Run {
        results: read_csv(&String::from_utf8(out).expect("utf-8")),
        rejects,
        counts: (summary.firms.rows, summary.firms.used, summary.firms.rejected),
    })
}

fn arrow_run(rules: &Rules, opts: &Options, firms: Batches, lists: Vec<(String, Batches)>) -> Run {
    try_arrow_run(rules, opts, firms, lists).expect("an Arrow run")
}

fn try_arrow_run(rules: &Rules, opts: &Options, firms: Batches, lists: Vec<(String, Batches)>) -> Result<Run, String> {
    let scored = safegrade_arrow::score(rules, opts, firms, lists).map_err(|e| e.to_string())?;
    let header: Vec<String> = scored.results_schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut rows = Vec::new();
    for b in &scored.results {
        for r in 0..b.num_rows() {
            let cell = |c: &ArrayRef| csv_cell(c.as_string::<i32>().value(r));
            rows.push(b.columns().iter().map(cell).collect());
        }
    }
    let mut rejects = Vec::new();
    for b in &scored.rejects {
        let text = |c: usize, r: usize| b.column(c).as_string::<i32>().value(r).to_string();
        for r in 0..b.num_rows() {
            let line = b.column(1).as_primitive::<UInt64Type>().value(r);
            rejects.push((text(0, r), line, text(2, r), text(3, r), text(5, r)));
        }
    }
    let s = &scored.summary;
    Ok(Run { results: (header, rows), rejects, counts: (s.firms.rows, s.firms.used, s.firms.rejected) })
}

/// The lists of the sample the rules read.
fn lists_of(rules: &Rules) -> Vec<String> {
    let mut names: Vec<String> = match rules {
        Rules::Set(r) => r.schema().lists.into_iter().map(|l| l.name).collect(),
        Rules::Scheme(s) => s.steps().flat_map(|(_, r)| r.schema().lists.into_iter().map(|l| l.name)).collect(),
    };
    names.sort();
    names.dedup();
    names.retain(|l| root().join(format!("tests/data/sample/{l}.csv")).exists());
    names
}

fn rule_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("rules"))
        .expect("rules/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| format!("rules/{n}"))
        .collect();
    files.sort();
    files.push("rules/schemes/hazchem.toml".into());
    files
}

fn sample(file: &str) -> String {
    std::fs::read_to_string(root().join("tests/data/sample").join(file)).expect("the sample")
}

/// Asserts the two runs agree; rejects by `(line, column, key, reason)`,
/// their file named by `file_of` in the Arrow run.
fn assert_agree(what: &str, csv: &Run, arrow: &Run) {
    assert_eq!(csv.results.0, arrow.results.0, "{what}: the results' columns");
    assert_eq!(csv.results.1.len(), arrow.results.1.len(), "{what}: the number of results");
    for (c, a) in csv.results.1.iter().zip(&arrow.results.1) {
        assert_eq!(c, a, "{what}: a result");
    }
    assert_eq!(csv.rejects, arrow.rejects, "{what}: the rejects");
    assert_eq!(csv.counts, arrow.counts, "{what}: the accounting");
}

#[test]
fn every_shipped_rule_set_scores_the_sample_alike_from_arrow_and_csv() {
    let firms_csv = sample("firms.csv");
    let firms = table(&firms_csv);
    let mut tried = 0;
    for file in rule_files() {
        let rules = load(&file);
        let lists = lists_of(&rules);
        let list_csv: Vec<(String, String)> = lists.iter().map(|l| (l.clone(), sample(&format!("{l}.csv")))).collect();
        let list_tables: Vec<(String, RecordBatch)> = list_csv.iter().map(|(l, t)| (l.clone(), table(t))).collect();
        for sorted in [false, true] {
            let cfg = BatchConfig { sorted, explain: true, ..BatchConfig::new(as_of()) };
            let opts = Options { batch: cfg.clone(), ..Options::new(as_of()) };
            let keyed = list_tables.iter().map(|(l, t)| (l.clone(), batches(t))).collect();
            let what = format!("{file} keyed, sorted {sorted}");
            // A file out of key order stops a sorted run, with the same message from both.
            match (
                try_csv_run(&rules, &cfg, &firms_csv, &list_csv),
                try_arrow_run(&rules, &opts, batches(&firms), keyed),
            ) {
                (Ok(csv), Ok(arrow)) => {
                    assert_agree(&what, &csv, &arrow);
                    assert!(!csv.results.1.is_empty(), "{file}: some firms scored");
                }
                (Err(c), Err(a)) => assert_eq!(c, a, "{what}: the error"),
                (c, a) => panic!("{what}: one path failed: csv {:?}, arrow {:?}", c.err(), a.err()),
            }
        }
        // Nested: the same results; the sample has no record without its firm.
        let cfg = BatchConfig { explain: true, ..BatchConfig::new(as_of()) };
        let opts = Options { batch: cfg.clone(), ..Options::new(as_of()) };
        let nested = try_arrow_run(&rules, &opts, batches(&nest(&firms, &list_tables)), Vec::new());
        match (try_csv_run(&rules, &cfg, &firms_csv, &list_csv), nested) {
            (Ok(csv), Ok(nested)) => {
                assert_eq!(csv.results, nested.results, "{file} nested: the results");
                assert_eq!(csv.counts, nested.counts, "{file} nested: the accounting");
                tried += 1;
            }
            (Err(c), Err(a)) => assert_eq!(c, a, "{file} nested: the error"),
            (c, a) => panic!("{file} nested: one path failed: csv {:?}, arrow {:?}", c.err(), a.err()),
        }
    }
    // The sample is a hazardous-chemicals district: the rule sets it answers, and the scheme.
    assert!(tried >= 4, "only {tried} rule files score the sample");
}

/// The first `n` lines of a CSV text (its header and `n - 1` rows).
fn head(text: &str, n: usize) -> String {
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

#[test]
fn adversarial_rows_are_rejected_alike() {
    let rules = load("rules/schemes/hazchem.toml");
    let firms = head(&sample("firms.csv"), 41);
    let mut lines: Vec<String> = firms.lines().map(String::from).collect();
    // A repeated key, a key that is not a 统一社会信用代码, a count that is not a number.
    lines.push(lines[3].clone());
    lines.push(lines[4].replacen(&lines[4][..18], "91320506XXXXXXXXXX", 1));
    let bad = lines[5].replacen(",0,0,0,", ",0,many,0,", 1);
    lines[5] = bad;
    let firms = lines.join("\n") + "\n";
    let key = |l: &str| l[..18].to_string();
    let first = key(&lines[1]);
    // An accident of an unknown firm, and one firm with more penalties than its list allows.
    let mut accidents = head(&sample("accidents.csv"), 30);
    accidents.push_str("91320506012F4QKJ9X,x-1,2025-01-01,0,0,1,否,否,,是\n");
    let mut penalties = sample("penalties.csv").lines().next().expect("a header").to_string() + "\n";
    for _ in 0..2001 {
        penalties.push_str(&format!("{first},2025-01-01,,,否,,否,否,否,否\n"));
    }
    let (_, pen_header) = (0, penalties.lines().next().expect("a header").to_string());
    let pen_cols = pen_header.split(',').count();
    assert_eq!(pen_cols, 10, "the penalties' columns: {pen_header}");
    let dangers = head(&sample("hidden_dangers.csv"), 200);
    let list_csv = vec![
        ("accidents".to_string(), accidents),
        ("penalties".to_string(), penalties),
        ("hidden_dangers".to_string(), dangers),
    ];
    let cfg = BatchConfig::new(as_of());
    let csv = csv_run(&rules, &cfg, &firms, &list_csv);
    let reasons: std::collections::BTreeSet<&str> = csv.rejects.iter().map(|r| r.4.as_str()).collect();
    for r in ["duplicate_key", "bad_key", "bad_value", "no_firm", "too_many_records"] {
        assert!(reasons.contains(r), "the fixture has a `{r}` reject: {reasons:?}");
    }
    let opts = Options::new(as_of());
    let keyed = list_csv.iter().map(|(l, t)| (l.clone(), batches(&table(t)))).collect();
    let arrow = arrow_run(&rules, &opts, batches(&table(&firms)), keyed);
    assert_agree("adversarial rows", &csv, &arrow);
}

#[test]
fn a_column_that_cannot_hold_an_input_stops_the_run_naming_it() {
    let rules = load("rules/hazchem-risk-2018.toml");
    let firms = table(&head(&sample("firms.csv"), 5));
    let mut fields: Vec<Field> = firms.schema().fields().iter().map(|f| (**f).clone()).collect();
    let mut columns = firms.columns().to_vec();
    let i = fields.iter().position(|f| f.name() == "n_explosives").expect("the column");
    fields[i] = Field::new("n_explosives", DataType::Float64, true);
    columns[i] = Arc::new(arrow_array::Float64Array::from(vec![0.0, 1.0, 0.5, 2.0]));
    let floats = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("a batch");
    let e = safegrade_arrow::score(&rules, &Options::new(as_of()), batches(&floats), Vec::new())
        .err()
        .expect("floats are refused");
    assert!(
        e.to_string().starts_with("firms:1: column `n_explosives` holds floats (Float64), which are not exact"),
        "{e}"
    );
    let opts = Options { floats: true, ..Options::new(as_of()) };
    let scored = safegrade_arrow::score(&rules, &opts, batches(&floats), Vec::new()).expect("floats allowed");
    // 0.5 is no integer: that firm is rejected as the CSV cell `0.5` would be.
    assert_eq!((scored.summary.firms.used, scored.summary.firms.rejected), (3, 1));
}

#[test]
fn lists_given_both_ways_are_refused() {
    let rules = load("rules/hazchem-risk-2018.toml");
    let firms = table(&head(&sample("firms.csv"), 5));
    let accidents = table(&head(&sample("accidents.csv"), 5));
    let nested = nest(&firms, &[("accidents".into(), accidents.clone())]);
    let e = safegrade_arrow::score(
        &rules,
        &Options::new(as_of()),
        batches(&nested),
        vec![("accidents".into(), batches(&accidents))],
    )
    .err()
    .expect("refused");
    assert!(e.to_string().contains("give every list one way"), "{e}");
}

#[test]
fn unknown_and_misspelt_columns_stop_both_paths_alike() {
    let rules = load("rules/hazchem-risk-2018.toml");
    let firms = head(&sample("firms.csv"), 6);
    let rename = |from: &str, to: &str| firms.replacen(from, to, 1);
    // A column whose name is one edit from an input's; and, in a strict run, any column no rule reads.
    let cases = [
        (rename("n_hazard_processes", "n_hazard_proceses"), false, "did you mean `n_hazard_processes`?"),
        (firms.clone(), true, "not an input of the rules"),
    ];
    for (text, strict, says) in cases {
        let cfg = BatchConfig { strict, ..BatchConfig::new(as_of()) };
        let csv = try_csv_run(&rules, &cfg, &text, &[]).err().expect("the CSV path stops");
        let opts = Options { batch: cfg, ..Options::new(as_of()) };
        let arrow =
            try_arrow_run(&rules, &opts, batches(&table(&text)), Vec::new()).err().expect("the Arrow path stops");
        assert_eq!(csv, arrow, "the same error from both");
        assert!(csv.contains(says), "{csv}");
    }
}
