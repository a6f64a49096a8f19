//! Parquet files on the command line: `gen --format parquet` gives the
//! same firms as `gen --format csv`, scored to the same bytes by every
//! rule set that reads them (sorted or not, by `score` and `compare`);
//! `--out FILE.parquet` holds the cells of the CSV results; the manifest
//! hashes Parquet inputs and `verify` re-scores them; column types are
//! checked against the rules (floats only with `--floats`).

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, RecordBatchReader, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use common::{fresh_dir, read, root, safegrade};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

const LISTS: [&str; 3] = ["accidents", "penalties", "hidden_dangers"];

fn hazchem() -> String {
    root().join("rules/schemes/hazchem.toml").to_string_lossy().into_owned()
}

/// `gen` of `firms` firms with `seed` into `dir/NAME` as `format`.
fn gen(dir: &Path, name: &str, firms: &str, seed: &str, format: &str) -> PathBuf {
    let (code, _, err) = safegrade(dir, &["gen", "--firms", firms, "--seed", seed, "--out", name, "--format", format]);
    assert_eq!(code, 0, "gen --format {format}: {err}");
    dir.join(name)
}

/// The arguments of a `score` run of `rules` over `firms.EXT` and the
/// lists `lists` (each `LIST.EXT`), as of 2026-06-30.
fn run_args(rules: &str, ext: &str, lists: &[&str], extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec!["score".into(), "--rules".into(), rules.into(), "--firms".into()];
    args.push(format!("firms.{ext}"));
    for l in lists {
        args.push("--list".into());
        args.push(format!("{l}={l}.{ext}"));
    }
    args.extend(["--as-of", "2026-06-30"].iter().map(|s| s.to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// The lists of the generated data a rule file declares (a scheme's steps: all).
fn lists_of(rules: &Path) -> Vec<&'static str> {
    let text = std::fs::read_to_string(rules).expect("rules");
    if text.lines().any(|l| l.trim() == "[scheme]") {
        return LISTS.to_vec();
    }
    LISTS.into_iter().filter(|l| text.lines().any(|line| line.trim() == format!("[lists.{l}]"))).collect()
}

/// A file's text.
fn text(path: &Path) -> String {
    String::from_utf8(read(path)).expect("UTF-8")
}

/// A CSV file's rows of cells, the header first.
fn csv_cells(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_path(path).expect("a CSV file");
    r.records().map(|rec| rec.expect("a row").iter().map(str::to_string).collect()).collect()
}

/// The rejects file's rows without their first column (the file name).
fn rejects_but_file(path: &Path) -> Vec<Vec<String>> {
    csv_cells(path).into_iter().map(|r| r[1..].to_vec()).collect()
}

/// A Parquet file's rows of text cells, its column names first.
fn parquet_cells(path: &Path) -> Vec<Vec<String>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("open"))
        .expect("a Parquet file")
        .build()
        .expect("a reader");
    let schema = reader.schema();
    let mut rows = vec![schema.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>()];
    for f in schema.fields() {
        assert_eq!(f.data_type(), &DataType::Utf8, "column {}", f.name());
    }
    for batch in reader {
        let batch = batch.expect("a batch");
        for r in 0..batch.num_rows() {
            rows.push(batch.columns().iter().map(|c| c.as_string::<i32>().value(r).to_string()).collect::<Vec<_>>());
        }
    }
    rows
}

/// Writes `batches` as a Parquet file.
fn write_parquet(path: &Path, schema: SchemaRef, batches: &[RecordBatch]) {
    let mut w = ArrowWriter::try_new(File::create(path).expect("create"), schema, None).expect("a writer");
    for b in batches {
        w.write(b).expect("written");
    }
    w.close().expect("closed");
}

/// A CSV file as a Parquet file of inferred column types.
fn csv_to_parquet(csv: &Path, parquet: &Path) {
    let mut rows = csv_cells(csv);
    let names = rows.remove(0);
    let schema = safegrade_arrow::typed::infer_schema(&names, &rows);
    let batch = safegrade_arrow::typed::batch(&schema, &rows).expect("a batch");
    write_parquet(parquet, schema, &[batch]);
}

/// The CSV results' cells equal the Parquet results' cells, a CSV cell
/// neutralised as a formula (`'` first) standing for the cell without it.
fn assert_same_cells(csv: &Path, parquet: &Path) {
    let (c, p) = (csv_cells(csv), parquet_cells(parquet));
    assert_eq!(c.len(), p.len(), "rows of {} and {}", csv.display(), parquet.display());
    for (i, (a, b)) in c.iter().zip(&p).enumerate() {
        assert_eq!(a.len(), b.len(), "row {i}");
        for (x, y) in a.iter().zip(b) {
            assert!(x == y || *x == format!("'{y}"), "row {i}: CSV `{x}`, Parquet `{y}`");
        }
    }
}

#[test]
fn gen_parquet_scores_as_gen_csv_under_every_rule_set_that_reads_it() {
    let dir = fresh_dir("parquet", "gen");
    let csv = gen(&dir, "csv", "2000", "11", "csv");
    let pq = gen(&dir, "pq", "2000", "11", "parquet");
    let mut names: Vec<String> = FILE_NAMES.iter().map(|f| format!("{f}.parquet")).collect();
    names.sort();
    let mut listed: Vec<String> = std::fs::read_dir(&pq)
        .expect("a folder")
        .map(|e| e.expect("entry").file_name().into_string().expect("UTF-8"))
        .collect();
    listed.sort();
    assert_eq!(listed, names);
    // Typed columns.
    let schema = ParquetRecordBatchReaderBuilder::try_new(File::open(pq.join("accidents.parquet")).expect("open"))
        .expect("Parquet")
        .schema()
        .clone();
    let types: Vec<String> = schema.fields().iter().map(|f| format!("{}:{}", f.name(), f.data_type())).collect();
    for t in ["uscc:Utf8", "date:Date32", "deaths:Int64", "direct_loss_wan:Decimal128(18, 2)", "concealed:Boolean"] {
        assert!(types.contains(&t.to_string()), "{types:?}");
    }

    let mut rule_files: Vec<PathBuf> = std::fs::read_dir(root().join("rules"))
        .expect("rules")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    rule_files.sort();
    rule_files.insert(0, PathBuf::from(hazchem()));
    let mut scored = Vec::new();
    for rules in &rule_files {
        let name = rules.file_stem().expect("a name").to_string_lossy().into_owned();
        let lists = lists_of(rules);
        for sorted in [false, true] {
            let out = format!("{name}{}", if sorted { "-sorted" } else { "" });
            let mut extra = vec!["--out".to_string(), format!("{out}/results.csv")];
            if sorted {
                extra.push("--sorted".into());
            }
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            let rules = rules.to_str().expect("UTF-8");
            let (c1, _, e1) = safegrade(&csv, &run_args(rules, "csv", &lists, &extra));
            let (c2, _, e2) = safegrade(&pq, &run_args(rules, "parquet", &lists, &extra));
            assert_eq!(c1, c2, "{name}: CSV {e1}\nParquet {e2}");
            if c1 == 2 {
                // Rules that need inputs the generated data has not: the same refusal.
                assert!(e1.contains("no column for the required input"), "{name}: {e1}");
                assert_eq!(e1.replace("firms.csv", "firms.parquet"), e2, "{name}");
                continue;
            }
            let (r1, r2) = (csv.join(&out), pq.join(&out));
            assert!(text(&r1.join("results.csv")) == text(&r2.join("results.csv")), "{name} sorted={sorted}");
            assert_eq!(rejects_but_file(&r1.join("rejects.csv")), rejects_but_file(&r2.join("rejects.csv")), "{name}");
            scored.push(out);
        }
    }
    for must in ["hazchem", "hazchem-sorted", "blacklist-2023", "credit-rating", "hazchem-risk-2018-sorted"] {
        assert!(scored.iter().any(|s| s == must), "{must} not scored: {scored:?}");
    }

    // A run mixing a Parquet firm file with CSV list files.
    let mut args = run_args(&hazchem(), "csv", &LISTS, &["--out", "mixed/results.csv"]);
    let at = args.iter().position(|a| a == "firms.csv").expect("firms");
    args[at] = pq.join("firms.parquet").to_string_lossy().into_owned();
    let (code, _, err) = safegrade(&csv, &args);
    assert_eq!(code, 0, "{err}");
    assert!(text(&csv.join("mixed/results.csv")) == text(&csv.join("hazchem/results.csv")));
}

const FILE_NAMES: [&str; 4] = ["firms", "accidents", "penalties", "hidden_dangers"];

#[test]
fn parquet_results_hold_the_csv_cells_and_verify_rescores_them() {
    let dir = fresh_dir("parquet", "out");
    let csv = gen(&dir, "csv", "2000", "3", "csv");
    let pq = gen(&dir, "pq", "2000", "3", "parquet");
    let carry = ["--carry", "name,sector,region"];
    let (code, _, err) =
        safegrade(&csv, &run_args(&hazchem(), "csv", &LISTS, &[&carry[..], &["--out", "results.csv"]].concat()));
    assert_eq!(code, 0, "{err}");
    let out = [&carry[..], &["--out", "out/results.parquet", "--summary", "out/summary.json"]].concat();
    let (code, _, err) = safegrade(&pq, &run_args(&hazchem(), "parquet", &LISTS, &out));
    assert_eq!(code, 0, "{err}");
    assert_same_cells(&csv.join("results.csv"), &pq.join("out/results.parquet"));
    assert_eq!(rejects_but_file(&csv.join("rejects.csv")), rejects_but_file(&pq.join("out/rejects.csv")));
    let summary = String::from_utf8(read(&pq.join("out/summary.json"))).expect("UTF-8");
    assert_eq!(summary.matches("\"encoding\": \"parquet\"").count(), 4, "{summary}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&pq.join("out/results.parquet.manifest.json"))).expect("JSON");
    assert_eq!(manifest["inputs"][0]["bytes"].as_u64(), Some(read(&pq.join("firms.parquet")).len() as u64));
    assert_eq!(manifest["inputs"][0]["encoding"], "parquet");

    // The same run gives the same bytes.
    let first = read(&pq.join("out/results.parquet"));
    let again = [&carry[..], &["--out", "again/results.parquet", "--threads", "2", "--chunk-size", "100"]].concat();
    let (code, _, err) = safegrade(&pq, &run_args(&hazchem(), "parquet", &LISTS, &again));
    assert_eq!(code, 0, "{err}");
    assert!(first == read(&pq.join("again/results.parquet")), "the same run gave other bytes");

    let (code, stdout, err) = safegrade(&pq, &["verify", "out/results.parquet.manifest.json"]);
    assert_eq!(code, 0, "{stdout}{err}");
    // One byte of a Parquet input changed: verify reports it.
    let path = pq.join("penalties.parquet");
    let mut bytes = read(&path);
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&path, bytes).expect("written");
    let (code, stdout, err) = safegrade(&pq, &["verify", "out/results.parquet.manifest.json"]);
    assert_eq!(code, 1, "{stdout}{err}");
    assert!(format!("{stdout}{err}").contains("penalties.parquet"), "{stdout}{err}");
}

#[test]
fn the_sample_as_parquet_scores_as_the_csv_files() {
    let dir = fresh_dir("parquet", "sample");
    let sample = root().join("tests/data/sample");
    for f in FILE_NAMES {
        std::fs::copy(sample.join(format!("{f}.csv")), dir.join(format!("{f}.csv"))).expect("copied");
        csv_to_parquet(&sample.join(format!("{f}.csv")), &dir.join(format!("{f}.parquet")));
    }
    let carry = ["--carry", "name,sector,region"];
    let (c1, _, e1) =
        safegrade(&dir, &run_args(&hazchem(), "csv", &LISTS, &[&carry[..], &["--out", "csv/results.csv"]].concat()));
    assert!(c1 == 0 || c1 == 3, "{e1}");
    let pq_out = [&carry[..], &["--out", "pq/results.csv"]].concat();
    let (c2, _, e2) = safegrade(&dir, &run_args(&hazchem(), "parquet", &LISTS, &pq_out));
    assert_eq!(c1, c2, "{e2}");
    assert!(text(&dir.join("csv/results.csv")) == text(&dir.join("pq/results.csv")));
    assert_eq!(rejects_but_file(&dir.join("csv/rejects.csv")), rejects_but_file(&dir.join("pq/rejects.csv")));
}

/// The rules of the type tests: a decimal and a date input.
const RULES: &str = r#"
[ruleset]
id = "types"
name = { zh = "类型", en = "Types" }
version = "1"

[inputs.x]
type = "decimal"
label = { zh = "小数", en = "X" }
missing = { default = 0 }

[inputs.d]
type = "date"
label = { zh = "日期", en = "D" }
missing = { default = 2000-01-01 }

[[items]]
id = "big"
label = { zh = "大", en = "Big" }
when = "x > 1 and d > date(\"2020-01-01\")"
points = -1

[score]
base = "100"

[[grades]]
id = "ok"
label = { zh = "好", en = "OK" }
min = 100

[[grades]]
id = "bad"
label = { zh = "差", en = "Bad" }
below = 100
"#;

fn types_run(dir: &Path, firms: &str, extra: &[&str]) -> (i32, String, String) {
    std::fs::write(dir.join("types.toml"), RULES).expect("rules");
    let mut args = vec!["score", "--rules", "types.toml", "--firms", firms, "--key", "id", "--as-of", "2026-06-30"];
    args.extend(extra);
    safegrade(dir, &args)
}

fn firm_table(path: &Path, x: ArrayRef, d: ArrayRef) {
    let ids: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c"]));
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("x", x.data_type().clone(), true),
        Field::new("d", d.data_type().clone(), true),
    ]));
    let batch = RecordBatch::try_new(schema.clone(), vec![ids, x, d]).expect("a batch");
    write_parquet(path, schema, &[batch]);
}

#[test]
fn column_types_are_checked_and_floats_read_only_when_allowed() {
    let dir = fresh_dir("parquet", "types");
    let days = |d: &[Option<i32>]| -> ArrayRef { Arc::new(Date32Array::from(d.to_vec())) };
    let decimal = |v: &[Option<i128>]| -> ArrayRef {
        Arc::new(arrow_array::Decimal128Array::from(v.to_vec()).with_precision_and_scale(10, 2).expect("decimal"))
    };
    // 2026-01-05 is day 20458.
    firm_table(&dir.join("good.parquet"), decimal(&[Some(250), None, Some(50)]), days(&[Some(20458), None, Some(1)]));
    let (code, _, err) = types_run(&dir, "good.parquet", &["--out", "good/results.csv"]);
    assert_eq!(code, 0, "{err}");
    let results = String::from_utf8(read(&dir.join("good/results.csv"))).expect("UTF-8");
    let grades: Vec<&str> = results.lines().skip(1).map(|l| l.split(',').nth(2).unwrap_or("")).collect();
    assert_eq!(grades, ["bad", "ok", "ok"], "{results}");

    // A date input in an Int64 column stops the run before any row.
    firm_table(
        &dir.join("int_date.parquet"),
        decimal(&[Some(1), Some(2), Some(3)]),
        Arc::new(Int64Array::from(vec![1, 2, 3])),
    );
    let (code, _, err) = types_run(&dir, "int_date.parquet", &["--out", "int_date/results.csv"]);
    assert_eq!(code, 2, "{err}");
    for part in ["int_date.parquet", "column `d`", "Int64", "the input `d`"] {
        assert!(err.contains(part), "{part}: {err}");
    }
    assert!(!dir.join("int_date/results.csv").exists());

    // A decimal input in a Float64 column: refused, read with --floats.
    let floats: ArrayRef = Arc::new(Float64Array::from(vec![Some(2.5), Some(0.1), None]));
    firm_table(&dir.join("floats.parquet"), floats, days(&[Some(20458), Some(20458), Some(20458)]));
    let (code, _, err) = types_run(&dir, "floats.parquet", &["--out", "floats/results.csv"]);
    assert_eq!(code, 2, "{err}");
    for part in ["floats.parquet", "column `x`", "Float64", "the input `x`", "floats"] {
        assert!(err.contains(part), "{part}: {err}");
    }
    let (code, _, err) = types_run(&dir, "floats.parquet", &["--out", "floats/results.csv", "--floats"]);
    assert_eq!(code, 0, "{err}");
    let results = String::from_utf8(read(&dir.join("floats/results.csv"))).expect("UTF-8");
    let grades: Vec<&str> = results.lines().skip(1).map(|l| l.split(',').nth(2).unwrap_or("")).collect();
    assert_eq!(grades, ["bad", "ok", "ok"], "{results}");
    // --floats is recorded: verify re-runs it.
    let manifest = String::from_utf8(read(&dir.join("floats/results.csv.manifest.json"))).expect("UTF-8");
    assert!(manifest.contains("\"--floats\""), "{manifest}");
    let (code, stdout, err) = safegrade(&dir, &["verify", "floats/results.csv.manifest.json"]);
    assert_eq!(code, 0, "{stdout}{err}");

    // A file that is not Parquet: an error naming it.
    std::fs::write(dir.join("broken.parquet"), b"uscc,x\n").expect("written");
    let (code, _, err) = types_run(&dir, "broken.parquet", &["--out", "broken/results.csv"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`broken.parquet`") && err.contains("Parquet"), "{err}");

    // No firm scored: a Parquet file of the results' columns and no row.
    std::fs::write(dir.join("allbad.csv"), "id,x,d\na,abc,\n").expect("written");
    let (code, _, err) = types_run(&dir, "allbad.csv", &["--out", "allbad/results.parquet"]);
    assert_eq!(code, 3, "{err}");
    let cells = parquet_cells(&dir.join("allbad/results.parquet"));
    assert_eq!(cells.len(), 1, "{cells:?}");
    assert_eq!(cells[0][0], "id");
    // A Parquet file holds UTF-8: GB18030 results are refused before any work.
    let (code, _, err) =
        types_run(&dir, "good.parquet", &["--out", "gbk/results.parquet", "--out-encoding", "gb18030"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out-encoding gb18030"), "{err}");
}

#[test]
fn compare_reads_parquet_as_it_reads_csv() {
    let dir = fresh_dir("parquet", "compare");
    let csv = gen(&dir, "csv", "1000", "5", "csv");
    let pq = gen(&dir, "pq", "1000", "5", "parquet");
    for (d, ext) in [(&csv, "csv"), (&pq, "parquet")] {
        let mut args = run_args(&hazchem(), ext, &LISTS, &["--against-as-of", "2028-06-30", "--out", "moved.csv"]);
        args[0] = "compare".into();
        let (code, _, err) = safegrade(d, &args);
        assert_eq!(code, 0, "{err}");
        // The Parquet results of a compare run hold the same cells.
        let at = args.iter().position(|a| a == "moved.csv").expect("--out");
        args[at] = "moved.parquet".into();
        let (code, _, err) = safegrade(d, &args);
        assert_eq!(code, 0, "{err}");
        assert_same_cells(&d.join("moved.csv"), &d.join("moved.parquet"));
    }
    let moved = text(&csv.join("moved.csv"));
    assert!(moved.lines().count() > 1, "no firm moved");
    assert!(moved == text(&pq.join("moved.csv")), "compare gave other results");
}
