//! The Arrow benchmark (`cargo bench -p safegrade-cli --bench arrow`): the
//! same district scored from Parquet through the Arrow path and from CSV
//! through the command line, in one run, and the ratio of the two.
//!
//! It generates (once, cached under `target/bench-data/`) the district with
//! `safegrade gen --seed 4`, as CSV and as Parquet (typed columns), then
//! prints, for the hazchem scheme with keyed, sorted lists and `THREADS`
//! workers:
//!
//! - `safegrade score --sorted` from the CSV files to `results.csv`
//!   (a child process, wall time);
//! - the Arrow path from the Parquet files to `results.parquet`
//!   (`safegrade_arrow::score_to` fed by the Parquet reader, results
//!   written by the Parquet writer as they come), in a child process of
//!   this bench so that its peak memory (VmHWM) is its own;
//! - the same with the tables read into memory first and the results kept
//!   in memory (what the Python package does), and, when the Python
//!   package is installed in `.venv-python/`, the same from Python
//!   (`pyarrow.parquet.read_table`, then `Rules.score`), with the overhead
//!   of Python over Rust.
//!
//! Arguments: `FIRMS` (default 1000000) and `THREADS` (default 2). Numbers
//! are recorded in docs/PERFORMANCE.md.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use arrow_array::RecordBatchReader;
use common::{children_cpu, generate, peak_rss_mb, score_sorted};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use safegrade_arrow::{Batches, CellSink, Named, Options};

/// The allocator the `safegrade` binary uses, so the figures are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LISTS: [&str; 3] = ["accidents", "penalties", "hidden_dangers"];

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&String> = all.iter().filter(|a| !a.starts_with("--")).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Some(mode) = all.iter().find(|a| a.starts_with("--child=")) {
        let (dir, threads) = (PathBuf::from(args[0]), args[1].parse().expect("threads"));
        child(&root, &mode["--child=".len()..], &dir, threads);
        return;
    }
    let n_firms: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let threads: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    let csv_dir = root.join(format!("target/bench-data/{n_firms}"));
    let pq_dir = root.join(format!("target/bench-data/{n_firms}-parquet"));
    generate(&csv_dir, n_firms, "csv");
    generate(&pq_dir, n_firms, "parquet");
    let size = |dir: &Path, ext: &str| -> f64 {
        let files = std::iter::once("firms").chain(LISTS);
        files.map(|f| std::fs::metadata(dir.join(format!("{f}.{ext}"))).map_or(0, |m| m.len())).sum::<u64>() as f64
            / 1e6
    };
    println!(
        "input: {n_firms} firms with their accidents, penalties and hidden dangers; CSV {:.0} MB, Parquet {:.0} MB",
        size(&csv_dir, "csv"),
        size(&pq_dir, "parquet")
    );

    // 1. The command line from CSV.
    let (csv_s, csv_cpu) =
        score_sorted(&root, &csv_dir, "csv", threads, &root.join("target/bench-data/arrow-bench-out"));
    println!("CSV through the command line (score --sorted, {threads} threads): {csv_s:.2} s, {csv_cpu:.2} s of CPU");

    // 2. The Arrow path from Parquet, streamed, and from tables in memory.
    let cpu = children_cpu();
    let streamed = run_child("stream", &pq_dir, threads);
    let arrow_cpu = children_cpu() - cpu;
    println!(
        "Parquet through the Arrow path (streamed to results.parquet, {threads} threads): {:.2} s, {arrow_cpu:.2} s of CPU, peak memory {:.0} MB (target < 300 MB)",
        streamed.0, streamed.1
    );
    println!("ratio CSV / Arrow: {:.2}x wall, {:.2}x CPU (target >= 1.5x)", csv_s / streamed.0, csv_cpu / arrow_cpu);
    let memory = run_child("memory", &pq_dir, threads);
    println!(
        "Parquet read into tables, results kept in memory (Rust, {threads} threads): {:.2} s (read {:.2} s + score {:.2} s)",
        memory.0, memory.2, memory.3
    );

    // 3. The same from Python, when the package is installed.
    let python = root.join(".venv-python/bin/python");
    if python.exists() {
        let script = root.join("python/bench/score_parquet.py");
        let o = Command::new(&python).arg(&script).arg(&pq_dir).arg(threads.to_string()).output().expect("python");
        let text = String::from_utf8_lossy(&o.stdout);
        let secs: Vec<f64> = text.split_whitespace().filter_map(|w| w.parse().ok()).collect();
        if let [read, score] = secs[..] {
            println!(
                "the same from Python (pyarrow read_table, Rules.score): {:.2} s (read {read:.2} s + score {score:.2} s); \
                 scoring from Python over scoring from Rust: {:+.1} % (target < 10 %)",
                read + score,
                (score / memory.3 - 1.0) * 100.0
            );
        } else {
            println!("the Python run failed: {}{}", text, String::from_utf8_lossy(&o.stderr));
        }
    } else {
        println!("the Python package is not installed (bash scripts/python.sh): no Python figure");
    }
}

/// Runs this bench as a child in `mode`: (seconds, peak MB, read s, score s).
fn run_child(mode: &str, dir: &Path, threads: usize) -> (f64, f64, f64, f64) {
    let exe = std::env::current_exe().expect("this bench");
    let o = Command::new(exe)
        .arg(format!("--child={mode}"))
        .arg(dir)
        .arg(threads.to_string())
        .output()
        .expect("the child run");
    let text = String::from_utf8_lossy(&o.stdout);
    let n: Vec<f64> = text.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert!(o.status.success() && n.len() == 4, "the child run: {text}{}", String::from_utf8_lossy(&o.stderr));
    (n[0], n[1], n[2], n[3])
}

fn parquet(path: &Path) -> Batches {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).expect("a Parquet file");
    Box::new(reader.with_batch_size(8192).build().expect("a reader"))
}

/// One Arrow run, printing `seconds peak_mb read_s score_s`.
fn child(root: &Path, mode: &str, dir: &Path, threads: usize) {
    let rules = root.join("rules/schemes/hazchem.toml");
    let loaded = safegrade::load(rules.to_str().expect("utf-8"), &|p: &str| {
        std::fs::read_to_string(p).map_err(|e| e.to_string())
    });
    let rules = loaded.rules.expect("the hazchem scheme checks");
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date");
    let mut opts = Options::new(as_of);
    opts.batch.sorted = true;
    opts.batch.threads = threads;
    let t = Instant::now();
    let (read_s, score_s) = match mode {
        "stream" => {
            let firms = Named::new("firms.parquet", parquet(&dir.join("firms.parquet")));
            let lists: Vec<(String, Named)> = LISTS
                .iter()
                .map(|l| {
                    (l.to_string(), Named::new(format!("{l}.parquet"), parquet(&dir.join(format!("{l}.parquet")))))
                })
                .collect();
            let names = safegrade_arrow::columns(&rules, &opts, &firms, &lists).expect("columns");
            let out_dir = root.join("target/bench-data/arrow-bench-out");
            let file = File::create(out_dir.join("results.parquet")).expect("results.parquet");
            let mut writer = Some(ArrowWriter::try_new(file, sink_schema(&names), None).expect("a writer"));
            {
                let w = &mut writer;
                let mut out = CellSink::results(
                    &names,
                    1 << 16,
                    Box::new(move |b| w.as_mut().expect("open").write(&b).map_err(std::io::Error::other)),
                );
                let mut rejects = CellSink::rejects(1 << 16, Box::new(|_| Ok(())));
                safegrade_arrow::score_to(&rules, &opts, firms, lists, &mut out, &mut rejects).expect("a run");
                out.finish().expect("results");
                rejects.finish().expect("rejects");
            }
            writer.take().expect("open").close().expect("closed");
            (0.0, t.elapsed().as_secs_f64())
        }
        _ => {
            let read = |p: &str| {
                let b = parquet(&dir.join(p));
                let schema = b.schema();
                let batches: Vec<_> = b.map(|r| r.expect("a batch")).collect();
                (schema, batches)
            };
            let firms = read("firms.parquet");
            let lists: Vec<_> = LISTS.iter().map(|l| (l.to_string(), read(&format!("{l}.parquet")))).collect();
            let read_s = t.elapsed().as_secs_f64();
            let s = Instant::now();
            let table = |(schema, batches): (arrow_schema::SchemaRef, Vec<arrow_array::RecordBatch>)| -> Batches {
                Box::new(arrow_array::RecordBatchIterator::new(batches.into_iter().map(Ok), schema))
            };
            let lists = lists.into_iter().map(|(l, t)| (l, table(t))).collect();
            let scored = safegrade_arrow::score(&rules, &opts, table(firms), lists).expect("a run");
            std::hint::black_box(&scored.results);
            (read_s, s.elapsed().as_secs_f64())
        }
    };
    let total = t.elapsed().as_secs_f64();
    println!("{total:.3} {:.1} {read_s:.3} {score_s:.3}", peak_rss_mb());
}

fn sink_schema(names: &[String]) -> arrow_schema::SchemaRef {
    let fields: Vec<arrow_schema::Field> =
        names.iter().map(|n| arrow_schema::Field::new(n, arrow_schema::DataType::Utf8, true)).collect();
    std::sync::Arc::new(arrow_schema::Schema::new(fields))
}
