//! The DataFusion benchmark (`cargo bench -p safegrade-cli --bench
//! datafusion -- [FIRMS] [PARTITIONS]`): the district that `safegrade gen
//! --format parquet --seed 4` writes (cached under `target/bench-data/`),
//! scored through the hazchem scheme by the command line and by SQL with
//! `safegrade_score`, in one run, each in a child process so that its CPU
//! time and peak memory are its own:
//!
//! - `safegrade score --sorted --threads PARTITIONS` over the Parquet files;
//! - **keyed:** the query of `docs/DATAFUSION.md` (each list grouped by key
//!   with `array_agg(named_struct(…))`, joined to the firms, every firm
//!   scored) on `PARTITIONS` target partitions;
//! - **nested:** the same join written once to a Parquet file of firms with
//!   their lists nested (what a warehouse keeps; timed apart, cached), then
//!   every firm of it scored: a scan and the function, nothing held.
//!
//! It prints wall and CPU time, peak memory, each path's firms per second
//! of CPU (per core), the nested query's firms per second per partition,
//! and from that a projection, labelled as such, for a cluster of 100
//! nodes. Defaults: 1,000,000 firms, 2 partitions. Numbers are recorded in
//! docs/PERFORMANCE.md.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use arrow_array::cast::AsArray;
use common::{children_cpu, generate, peak_rss_mb, score_sorted};
use datafusion::config::ConfigOptions;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use futures_util::StreamExt;
use safegrade_arrow::Options;
use safegrade_datafusion::ScoreFunction;

/// The allocator the `safegrade` binary uses, so the figures are alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LISTS: [&str; 3] = ["accidents", "penalties", "hidden_dangers"];

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&String> = all.iter().filter(|a| !a.starts_with("--")).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let n_firms: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let partitions: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    let dir = root.join(format!("target/bench-data/{n_firms}-parquet"));
    if let Some(mode) = all.iter().find_map(|a| a.strip_prefix("--child=")) {
        child(&root, &dir, partitions, mode);
        return;
    }
    generate(&dir, n_firms, "parquet");
    let records: u64 = LISTS.iter().map(|l| parquet_rows(&dir.join(format!("{l}.parquet")))).sum();
    println!("input: {n_firms} firms, {records} list records, Parquet (gen --seed 4)");

    // 1. The command line.
    let out = root.join("target/bench-data/datafusion-bench-out");
    let (cli_s, cli_cpu) = score_sorted(&root, &dir, "parquet", partitions, &out);
    let cli_peak = children_peak_mb();
    println!(
        "command line (score --sorted, {partitions} threads): {cli_s:.2} s, {cli_cpu:.2} s of CPU, peak {cli_peak:.0} MB; \
         {:.0} firms per CPU second",
        n_firms as f64 / cli_cpu
    );

    // 2. SQL with safegrade_score, lists keyed and joined by the query.
    let keyed = query(n_firms, partitions, "keyed");
    println!(
        "DataFusion, keyed (the documented query, {partitions} partitions): {:.2} s, {:.2} s of CPU, peak {:.0} MB; \
         {:.0} firms per CPU second",
        keyed.0,
        keyed.2,
        keyed.1,
        n_firms as f64 / keyed.2
    );
    println!("per core, DataFusion keyed / command line: {:.2}x", cli_cpu / keyed.2);

    // 3. Nested: the join written once, then a scan and the function.
    if !dir.join("firms-nested.parquet").exists() {
        let prepared = query(n_firms, partitions, "prepare");
        println!(
            "(the nested file written once by DataFusion: {:.2} s, {:.2} s of CPU, peak {:.0} MB)",
            prepared.0, prepared.2, prepared.1
        );
    }
    let nested = query(n_firms, partitions, "nested");
    let per_partition = n_firms as f64 / nested.0 / partitions as f64;
    println!(
        "DataFusion, nested (a scan and safegrade_score, {partitions} partitions): {:.2} s, {:.2} s of CPU, \
         peak {:.0} MB; {:.0} firms per CPU second; {per_partition:.0} firms per second per partition",
        nested.0,
        nested.2,
        nested.1,
        n_firms as f64 / nested.2
    );
    println!("per core, DataFusion nested / command line: {:.2}x", cli_cpu / nested.2);
    println!(
        "projection, not a measurement: 100 nodes x 16 partitions at {per_partition:.0} firms/s each would score \
         {:.1} million firms a second, 50 million firms in {:.1} s, before the cluster's own costs (reading, shuffle, \
         start-up, skew)",
        per_partition * 1600.0 / 1e6,
        50e6 / (per_partition * 1600.0)
    );
}

/// Runs the query `mode` in a child process: (seconds, peak MB, CPU seconds).
fn query(n_firms: u64, partitions: usize, mode: &str) -> (f64, f64, f64) {
    let cpu = children_cpu();
    let exe = std::env::current_exe().expect("this bench");
    let o = Command::new(exe)
        .args([n_firms.to_string(), partitions.to_string(), format!("--child={mode}")])
        .output()
        .expect("the query run");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "the {mode} run: {text}{}", String::from_utf8_lossy(&o.stderr));
    let n: Vec<f64> = text.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    if mode != "prepare" {
        assert_eq!(n[2] as u64, n_firms, "every firm scored: {text}");
    }
    (n[0], n[1], children_cpu() - cpu)
}

/// The rows of a Parquet file, from its footer.
fn parquet_rows(path: &Path) -> u64 {
    let file = std::fs::File::open(path).expect("a Parquet file");
    let reader = parquet::file::reader::SerializedFileReader::new(file).expect("Parquet");
    parquet::file::reader::FileReader::metadata(&reader).file_metadata().num_rows() as u64
}

/// One query run (`keyed`, `prepare` or `nested`): prints `seconds peak_mb firms_scored`.
fn child(root: &Path, dir: &Path, partitions: usize, mode: &str) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(partitions).enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let rules = safegrade_rulefiles::load(root.join("rules/schemes/hazchem.toml").to_str().expect("UTF-8"), None);
        let rules = rules.rules.expect("the hazchem scheme checks");
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date");
        let mut options = ConfigOptions::new();
        options.execution.target_partitions = partitions;
        let ctx = SessionContext::new_with_config(SessionConfig::from(options));
        ctx.register_udf(ScoreFunction::new(rules, Options::new(as_of)).into_udf());
        let path = |t: &str| -> PathBuf { dir.join(format!("{t}.parquet")) };
        let tables: Vec<&str> = if mode == "nested" { vec!["firms-nested"] } else { [&["firms"][..], &LISTS].concat() };
        for t in tables {
            let name = t.replace('-', "_");
            ctx.register_parquet(&name, path(t).to_str().expect("UTF-8"), ParquetReadOptions::default()).await.expect("a table");
        }
        let sql = match mode {
            "keyed" => docs_query(root),
            "prepare" => {
                let keyed = docs_query(root);
                let from = &keyed[keyed.find("FROM firms f").expect("the documented query's FROM")..];
                let nested = format!(
                    "COPY (SELECT f.*, a.records AS accidents, p.records AS penalties, h.records AS hidden_dangers {from}) \
                     TO '{}' STORED AS PARQUET OPTIONS ('format.max_row_group_size' '65536')",
                    path("firms-nested").display()
                );
                let t = Instant::now();
                ctx.sql(&nested).await.expect("planned").collect().await.expect("written");
                println!("{:.3} {:.1} 0", t.elapsed().as_secs_f64(), peak_rss_mb());
                return;
            }
            _ => {
                // The function runs in the scan: its row groups (of 65,536 firms) are the partitions' work.
                let df = ctx.table("firms_nested").await.expect("the nested table");
                let fields: Vec<String> =
                    df.schema().fields().iter().map(|f| format!("'{0}', \"{0}\"", f.name())).collect();
                format!("SELECT safegrade_score(named_struct({})) AS scored FROM firms_nested", fields.join(", "))
            }
        };
        let t = Instant::now();
        let df = ctx.sql(&format!("SELECT scored['reject_reason'] IS NULL AS ok FROM ({sql})")).await.expect("planned");
        if let Some(path) = std::env::var_os("EXPLAIN") {
            let plan = df.clone().create_physical_plan().await.expect("a plan");
            let text = datafusion::physical_plan::displayable(plan.as_ref()).indent(true).to_string();
            std::fs::write(path, text).expect("the plan written");
        }
        let mut stream = df.execute_stream().await.expect("running");
        let mut scored = 0u64;
        while let Some(batch) = stream.next().await {
            let batch = batch.expect("a batch");
            scored += batch.column(0).as_boolean().true_count() as u64;
        }
        println!("{:.3} {:.1} {scored}", t.elapsed().as_secs_f64(), peak_rss_mb());
    });
}

/// The query in docs/DATAFUSION.md (its ```sql block).
fn docs_query(root: &Path) -> String {
    let doc = std::fs::read_to_string(root.join("docs/DATAFUSION.md")).expect("docs/DATAFUSION.md");
    let start = doc.find("```sql\n").expect("a ```sql block") + "```sql\n".len();
    let end = start + doc[start..].find("```").expect("its end");
    doc[start..end].trim().trim_end_matches(';').to_string()
}

/// The largest peak resident memory of the children waited for so far, in MB.
fn children_peak_mb() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage").max_rss() as f64 / 1024.0
}
