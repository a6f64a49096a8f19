//! DataFusion's `safegrade_score`: SQL over the Parquet files that
//! `gen --format parquet` writes, each list grouped by key with
//! `array_agg(named_struct(…))` and joined to the firms, scores every firm
//! as `safegrade score` does over the same files, for each shipped rule set
//! and the hazchem scheme; adversarial rows get the command line's reject
//! reasons; a struct that does not fit the rules is refused when the query
//! is planned.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch, StructArray};
use common::{fresh_dir, root, safegrade};
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionContext};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use safegrade_arrow::Options;
use safegrade_datafusion::ScoreFunction;

const LISTS: [&str; 3] = ["accidents", "penalties", "hidden_dangers"];
const AS_OF: &str = "2026-06-30";

fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date")
}

/// The rule file at `rel` (from the repository root), loaded from disk.
fn load(rel: &str) -> safegrade::Rules {
    let path = root().join(rel);
    let loaded = safegrade_rulefiles::load(path.to_str().expect("UTF-8"), None);
    loaded.rules.unwrap_or_else(|| panic!("{rel} loads: {:?}", loaded.diagnostics))
}

/// Every shipped rule file, then the hazchem scheme.
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

/// The lists of the generated data that `rules` declare.
fn lists_of(rules: &safegrade::Rules) -> Vec<&'static str> {
    let declared: Vec<String> = match rules {
        safegrade::Rules::Set(r) => r.schema().lists.into_iter().map(|l| l.name).collect(),
        safegrade::Rules::Scheme(s) => {
            s.steps().flat_map(|(_, r)| r.schema().lists.into_iter().map(|l| l.name)).collect()
        }
    };
    LISTS.into_iter().filter(|l| declared.iter().any(|d| d == l)).collect()
}

/// A session with `safegrade_score` for `rules` as of the sample's date.
fn session(rules: safegrade::Rules) -> SessionContext {
    let ctx = SessionContext::new();
    ctx.register_udf(ScoreFunction::new(rules, Options::new(as_of())).into_udf());
    ctx
}

/// A column name quoted for SQL.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The query scoring every firm of the table `firms` with the tables
/// `lists` nested: each list grouped by `uscc` into
/// `array_agg(named_struct(…))` of its other columns, joined to its firm.
async fn scoring_sql(ctx: &SessionContext, lists: &[&str]) -> String {
    let columns = |t: String| async move {
        let df = ctx.table(t.as_str()).await.expect("a table");
        df.schema().fields().iter().map(|f| f.name().clone()).collect::<Vec<String>>()
    };
    let mut args: Vec<String> =
        columns("firms".into()).await.iter().map(|c| format!("'{c}', f.{}", quoted(c))).collect();
    let mut joins = String::new();
    for (i, list) in lists.iter().enumerate() {
        let fields: Vec<String> = columns(list.to_string())
            .await
            .into_iter()
            .filter(|c| c != "uscc")
            .map(|c| format!("'{c}', {}", quoted(&c)))
            .collect();
        joins.push_str(&format!(
            " LEFT JOIN (SELECT uscc, array_agg(named_struct({})) AS records FROM {list} GROUP BY uscc) l{i} \
             ON l{i}.uscc = f.uscc",
            fields.join(", ")
        ));
        args.push(format!("'{list}', l{i}.records"));
    }
    format!("SELECT safegrade_score(named_struct({})) AS scored FROM firms f{joins}", args.join(", "))
}

/// What a query gave: the output's column names, and per key either the
/// firm's results or its reject reason.
#[derive(Debug, Default, PartialEq)]
struct Scored {
    columns: Vec<String>,
    results: BTreeMap<String, Vec<String>>,
    rejects: BTreeMap<String, String>,
}

/// The rows of the `scored` structs of `batches`, keyed by their first
/// column (the key) or, for a reject, by `key_of` the row.
fn collect(batches: &[RecordBatch], keys: Option<&[String]>) -> Scored {
    let mut out = Scored::default();
    let mut row_number = 0;
    for b in batches {
        let s: &StructArray = b.column(0).as_struct();
        let names: Vec<String> = s.fields().iter().map(|f| f.name().clone()).collect();
        let n = names.len() - 2;
        out.columns = names[..n].to_vec();
        let text = |c: usize, r: usize| {
            let a = s.column(c).as_string::<i32>();
            (!a.is_null(r)).then(|| a.value(r).to_string())
        };
        for r in 0..s.len() {
            match text(n, r) {
                None => {
                    let row: Vec<String> = (0..n).map(|c| text(c, r).expect("a scored firm's cell")).collect();
                    out.results.insert(row[0].clone(), row);
                }
                Some(reason) => {
                    let key = keys.map_or_else(|| format!("row {row_number}"), |k| k[row_number].clone());
                    out.rejects.insert(key, reason);
                }
            }
            row_number += 1;
        }
    }
    out
}

/// The results a `score --out results.parquet` run wrote, keyed.
fn parquet_results(path: &Path) -> Scored {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("results")).expect("Parquet");
    let columns: Vec<String> = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
    let mut results = BTreeMap::new();
    for b in reader.build().expect("a reader") {
        let b = b.expect("a batch");
        for r in 0..b.num_rows() {
            let row: Vec<String> =
                (0..b.num_columns()).map(|c| b.column(c).as_string::<i32>().value(r).to_string()).collect();
            results.insert(row[0].clone(), row);
        }
    }
    Scored { columns, results, rejects: BTreeMap::new() }
}

/// The firm rows' reject reasons of a rejects CSV file, by key.
fn firm_rejects(path: &Path, firms_file: &str) -> BTreeMap<String, String> {
    let mut reader = csv::Reader::from_path(path).expect("rejects");
    let mut out = BTreeMap::new();
    for row in reader.records() {
        let row = row.expect("a row");
        if &row[0] == firms_file && !out.contains_key(&row[3]) {
            out.insert(row[3].to_string(), row[5].to_string());
        }
    }
    out
}

/// `safegrade score` of `rules` over `firms.EXT` and `lists` in `dir`:
/// exit code and stderr.
fn score(dir: &Path, rules: &str, ext: &str, lists: &[&str], out: &str) -> (i32, String) {
    let rules = root().join(rules);
    let mut args: Vec<String> = vec!["score".into(), "--rules".into(), rules.to_string_lossy().into_owned()];
    args.extend(["--firms".into(), format!("firms.{ext}"), "--as-of".into(), AS_OF.into()]);
    for l in lists {
        args.extend(["--list".into(), format!("{l}={l}.{ext}")]);
    }
    args.extend(["--out".into(), out.into(), "--rejects".into(), "rejects.csv".into()]);
    let (code, _, err) = safegrade(dir, &args);
    (code, err)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_over_generated_parquet_scores_as_the_command_line_does() {
    let dir = fresh_dir("datafusion", "generated");
    let (code, _, err) =
        safegrade(&dir, &["gen", "--firms", "3000", "--seed", "7", "--out", ".", "--format", "parquet"]);
    assert_eq!(code, 0, "gen: {err}");
    let mut scored = 0;
    for file in rule_files() {
        let rules = load(&file);
        let lists = lists_of(&rules);
        let (code, err) = score(&dir, &file, "parquet", &lists, "results.parquet");
        let ctx = session(rules);
        ctx.register_parquet(
            "firms",
            dir.join("firms.parquet").to_str().expect("UTF-8"),
            ParquetReadOptions::default(),
        )
        .await
        .expect("firms");
        for l in &lists {
            let path = dir.join(format!("{l}.parquet"));
            ctx.register_parquet(*l, path.to_str().expect("UTF-8"), ParquetReadOptions::default())
                .await
                .expect("a list");
        }
        let sql = scoring_sql(&ctx, &lists).await;
        let planned = ctx.sql(&sql).await;
        if code == 2 {
            // The generated district does not answer this rule set: the
            // query is refused when planned, for the same column.
            let e = planned.err().map(|e| e.to_string()).unwrap_or_else(|| panic!("{file}: the query was planned"));
            let why = e.rsplit(": ").next().expect("a message");
            assert!(err.contains(why), "{file}: the command line said {err:?}, DataFusion {e:?}");
            continue;
        }
        assert_eq!(code, 0, "{file}: {err}");
        let batches = planned.expect("planned").collect().await.expect("run");
        let got = collect(&batches, None);
        let want = parquet_results(&dir.join("results.parquet"));
        assert_eq!(got.columns, want.columns, "{file}: the columns");
        assert_eq!(got.results.len(), 3000, "{file}: every firm scored");
        assert_eq!(got.results, want.results, "{file}: the results");
        assert!(got.rejects.is_empty(), "{file}: rejects {:?}", got.rejects);
        scored += 1;
    }
    assert!(scored >= 4, "only {scored} rule files score the generated district");
}

/// The first `n` lines of a text.
fn head(text: &str, n: usize) -> String {
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adversarial_rows_get_the_command_lines_reject_reasons() {
    let dir = fresh_dir("datafusion", "adversarial");
    let sample = |f: &str| std::fs::read_to_string(root().join("tests/data/sample").join(f)).expect("the sample");
    let mut lines: Vec<String> = head(&sample("firms.csv"), 41).lines().map(String::from).collect();
    // A key that is not a 统一社会信用代码, a count that is not a number, a missing required answer.
    lines[4] = lines[4].replacen(&lines[4][..18], "91320506XXXXXXXXXX", 1);
    lines[5] = lines[5].replacen(",0,0,0,", ",0,many,0,", 1);
    let first = lines[1][..18].to_string();
    std::fs::write(dir.join("firms.csv"), lines.join("\n") + "\n").expect("firms");
    // One firm with more penalties than its list allows, one accident with a bad date.
    let mut accidents = head(&sample("accidents.csv"), 30);
    let second = lines[2][..18].to_string();
    accidents.push_str(&format!("{second},x-1,2025-13-01,0,0,1,否,否,,是\n"));
    std::fs::write(dir.join("accidents.csv"), accidents).expect("accidents");
    let mut penalties = head(&sample("penalties.csv"), 1);
    for _ in 0..2001 {
        penalties.push_str(&format!("{first},2025-01-01,,,否,,否,否,否,否\n"));
    }
    std::fs::write(dir.join("penalties.csv"), penalties).expect("penalties");
    std::fs::write(dir.join("hidden_dangers.csv"), head(&sample("hidden_dangers.csv"), 200)).expect("dangers");

    let file = "rules/schemes/hazchem.toml";
    let (code, err) = score(&dir, file, "csv", &LISTS, "results.csv");
    assert_eq!(code, 3, "a run with rejects: {err}");
    let want = firm_rejects(&dir.join("rejects.csv"), "firms.csv");
    for r in ["bad_key", "bad_value", "too_many_records", "bad_list_record"] {
        assert!(want.values().any(|v| v == r), "the fixture has a `{r}` firm: {want:?}");
    }

    // Every column as text, as the command line reads a CSV file.
    let ctx = session(load(file));
    for t in ["firms"].into_iter().chain(LISTS) {
        let path = dir.join(format!("{t}.csv"));
        let header = std::fs::read_to_string(&path).expect("a table");
        let names: Vec<&str> = header.lines().next().expect("a header").split(',').collect();
        let fields: Vec<arrow_schema::Field> =
            names.iter().map(|n| arrow_schema::Field::new(*n, arrow_schema::DataType::Utf8, true)).collect();
        let schema = arrow_schema::Schema::new(fields);
        let opts = CsvReadOptions::new().schema(&schema);
        ctx.register_csv(t, path.to_str().expect("UTF-8"), opts).await.expect("a CSV table");
    }
    let sql = scoring_sql(&ctx, &LISTS).await;
    let keys: Vec<String> = std::fs::read_to_string(dir.join("firms.csv"))
        .expect("firms")
        .lines()
        .skip(1)
        .map(|l| l[..18].to_string())
        .collect();
    let df = ctx.sql(&format!("{sql} ORDER BY f.uscc")).await.expect("planned");
    let mut sorted_keys = keys.clone();
    sorted_keys.sort();
    let got = collect(&df.collect().await.expect("run"), Some(&sorted_keys));
    assert_eq!(got.rejects, want, "the reject reasons by key");
    assert_eq!(got.results.len() + got.rejects.len(), keys.len(), "one row per firm");
}

#[test]
fn a_struct_that_does_not_fit_the_rules_is_refused_when_planned() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    rt.block_on(async {
        let ctx = session(load("rules/hazchem-risk-2018.toml"));
        let refused = |sql: &'static str| {
            let ctx = &ctx;
            async move { ctx.sql(sql).await.err().map(|e| e.to_string()).unwrap_or_default() }
        };
        let e = refused("SELECT safegrade_score(1)").await;
        assert!(e.contains("takes one struct"), "{e}");
        let e = refused("SELECT safegrade_score(named_struct('uscc', '91320506012F4QKJ9X'), 2)").await;
        assert!(e.contains("expected 1 arguments"), "{e}");
        let e = refused("SELECT safegrade_score(named_struct('uscc', 'x', 'n_explosives', 1.5))").await;
        assert!(e.contains("n_explosives") && e.contains("floats"), "{e}");
        let e = refused("SELECT safegrade_score(named_struct('uscc', 'x', 'n_explosive', 1))").await;
        assert!(e.contains("did you mean `n_explosives`"), "a misspelt column is named: {e}");
    });
}

/// The query of docs/DATAFUSION.md (its ```sql block).
fn docs_query() -> String {
    let doc = std::fs::read_to_string(root().join("docs/DATAFUSION.md")).expect("docs/DATAFUSION.md");
    let start = doc.find("```sql\n").expect("a ```sql block") + "```sql\n".len();
    let end = start + doc[start..].find("```").expect("its end");
    doc[start..end].trim().trim_end_matches(';').to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_query_scores_as_the_command_line_does() {
    let dir = fresh_dir("datafusion", "documented");
    let (code, _, err) =
        safegrade(&dir, &["gen", "--firms", "1000", "--seed", "3", "--out", ".", "--format", "parquet"]);
    assert_eq!(code, 0, "gen: {err}");
    let file = "rules/schemes/hazchem.toml";
    let (code, err) = score(&dir, file, "parquet", &LISTS, "results.parquet");
    assert_eq!(code, 0, "{err}");
    let ctx = session(load(file));
    for t in std::iter::once("firms").chain(LISTS) {
        let path = dir.join(format!("{t}.parquet"));
        ctx.register_parquet(t, path.to_str().expect("UTF-8"), ParquetReadOptions::default()).await.expect("a table");
    }
    let df = ctx.sql(&format!("SELECT scored FROM ({})", docs_query())).await.expect("planned");
    let got = collect(&df.collect().await.expect("run"), None);
    let want = parquet_results(&dir.join("results.parquet"));
    assert_eq!((got.columns, got.results.len()), (want.columns, 1000));
    assert_eq!(got.results, want.results);
}
