//! The DataFusion benchmark (`cargo bench -p safegrade-cli --bench
//! datafusion -- [FIRMS] [PARTITIONS]`): the district that `safegrade gen
//! --format parquet --seed 4` writes (cached under `target/bench-data/`),
//! scored through the hazchem scheme by the command line and by SQL with
//! `safegrade_score`, in one run, each in a child process so that its CPU
//! time and peak memory are its own.
//!
//! - `safegrade score --sorted --threads PARTITIONS` over the Parquet files;
//! - the query of `docs/DATAFUSION.md` (each list grouped by key with
//!   `array_agg(named_struct(…))`, joined to the firms, every firm scored),
//!   the files declared sorted by key so that grouping and joining stream,
//!   on `PARTITIONS` target partitions, counting the firms by grade.
//!
//! It prints wall and CPU time, peak memory, each path's firms per second
//! of CPU (per core), the query's firms per second per partition, and from
//! that a projection, labelled as such, for a cluster of 100 nodes.
//! Defaults: 1,000,000 firms, 2 partitions. Numbers are recorded in
//! docs/PERFORMANCE.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::cast::AsArray;
use datafusion::config::ConfigOptions;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{col, ParquetReadOptions, SessionConfig, SessionContext};
use futures_util::StreamExt;
use safegrade_arrow::Options;
use safegrade_datafusion::ScoreFunction;

/// The allocator the `safegrade` binary uses, so the figures are alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LISTS: [&str; 3] = ["accidents", "penalties", "hidden_dangers"];

/// The memory DataFusion's operators may hold before they spill or fail.
const MEMORY_LIMIT: usize = 1 << 30;

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&String> = all.iter().filter(|a| !a.starts_with("--")).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let n_firms: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let partitions: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    let dir = root.join(format!("target/bench-data/{n_firms}-parquet"));
    if all.iter().any(|a| a == "--child") {
        child(&root, &dir, partitions);
        return;
    }
    generate(&dir, n_firms);
    let records: u64 = LISTS.iter().map(|l| parquet_rows(&dir.join(format!("{l}.parquet")))).sum();
    println!("input: {n_firms} firms, {records} list records, Parquet (gen --seed 4)");

    // 1. The command line.
    let out = root.join("target/bench-data/datafusion-bench-out");
    std::fs::create_dir_all(&out).expect("an output folder");
    let (t, cpu) = (Instant::now(), children_cpu());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safegrade"));
    cmd.args(["score", "--rules"]).arg(root.join("rules/schemes/hazchem.toml"));
    cmd.arg("--firms").arg(dir.join("firms.parquet"));
    for l in LISTS {
        cmd.arg("--list").arg(format!("{l}={}", dir.join(format!("{l}.parquet")).display()));
    }
    cmd.args(["--as-of", "2026-06-30", "--sorted", "--threads", &partitions.to_string(), "--out"]);
    cmd.arg(out.join("results.csv")).arg("--rejects").arg(out.join("rejects.csv"));
    let status = cmd.stderr(std::process::Stdio::null()).status().expect("run safegrade score");
    assert!(status.code() == Some(0) || status.code() == Some(3), "safegrade score: {status}");
    let (cli_s, cli_cpu) = (t.elapsed().as_secs_f64(), children_cpu() - cpu);
    let cli_peak = children_peak_mb();
    println!(
        "command line (score --sorted, {partitions} threads): {cli_s:.2} s, {cli_cpu:.2} s of CPU, peak {cli_peak:.0} MB; \
         {:.0} firms per CPU second",
        n_firms as f64 / cli_cpu
    );

    // 2. SQL with safegrade_score.
    let cpu = children_cpu();
    let exe = std::env::current_exe().expect("this bench");
    let o = Command::new(exe)
        .args([n_firms.to_string(), partitions.to_string(), "--child".into()])
        .output()
        .expect("the query run");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "the query run: {text}{}", String::from_utf8_lossy(&o.stderr));
    let n: Vec<f64> = text.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    let (sql_s, peak, scored) = (n[0], n[1], n[2]);
    let sql_cpu = children_cpu() - cpu;
    assert_eq!(scored as u64, n_firms, "every firm scored: {text}");
    let per_partition = n_firms as f64 / sql_s / partitions as f64;
    println!(
        "DataFusion (SQL, safegrade_score, {partitions} partitions): {sql_s:.2} s, {sql_cpu:.2} s of CPU, peak {peak:.0} MB \
         (memory pool {} MB); {:.0} firms per CPU second; {per_partition:.0} firms per second per partition",
        MEMORY_LIMIT >> 20,
        n_firms as f64 / sql_cpu
    );
    println!("per core, DataFusion / command line: {:.2}x", cli_cpu / sql_cpu);
    println!(
        "projection, not a measurement: 100 nodes x 16 partitions at {per_partition:.0} firms/s each would score \
         {:.1} million firms a second, 50 million firms in {:.0} s, before the cluster's own costs (shuffle, start-up, skew)",
        per_partition * 1600.0 / 1e6,
        50e6 / (per_partition * 1600.0)
    );
}

/// Writes the district as Parquet into `dir`, unless it is there.
fn generate(dir: &Path, n_firms: u64) {
    if dir.join("hidden_dangers.parquet").exists() {
        return;
    }
    let t = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_safegrade"))
        .args(["gen", "--firms", &n_firms.to_string(), "--seed", "4", "--force", "--format", "parquet", "--out"])
        .arg(dir)
        .status()
        .expect("run safegrade gen");
    assert!(status.success());
    eprintln!("generated in {:.1} s", t.elapsed().as_secs_f64());
}

/// The rows of a Parquet file, from its footer.
fn parquet_rows(path: &Path) -> u64 {
    let file = std::fs::File::open(path).expect("a Parquet file");
    let reader = parquet::file::reader::SerializedFileReader::new(file).expect("Parquet");
    parquet::file::reader::FileReader::metadata(&reader).file_metadata().num_rows() as u64
}

/// The query run: prints `seconds peak_mb firms_scored`.
fn child(root: &Path, dir: &Path, partitions: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(partitions)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let rules = safegrade_rulefiles::load(root.join("rules/schemes/hazchem.toml").to_str().expect("UTF-8"), None);
        let rules = rules.rules.expect("the hazchem scheme checks");
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date");
        let mut options = ConfigOptions::new();
        options.execution.target_partitions = partitions;
        let config = SessionConfig::from(options);
        let runtime_env = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(MEMORY_LIMIT)))
            .build_arc()
            .expect("a runtime environment");
        let ctx = SessionContext::new_with_config_rt(config, runtime_env);
        ctx.register_udf(ScoreFunction::new(rules, Options::new(as_of)).into_udf());
        let sorted = || ParquetReadOptions::default().file_sort_order(vec![vec![col("uscc").sort(true, false)]]);
        let path = |t: &str| -> PathBuf { dir.join(format!("{t}.parquet")) };
        for t in std::iter::once("firms").chain(LISTS) {
            ctx.register_parquet(t, path(t).to_str().expect("UTF-8"), sorted()).await.expect("a table");
        }
        let sql = docs_query(root);
        let t = Instant::now();
        let df = ctx.sql(&format!("SELECT scored['reject_reason'] IS NULL AS ok FROM ({sql})")).await.expect("planned");
        if std::env::var_os("EXPLAIN").is_some() {
            let plan = df.clone().create_physical_plan().await.expect("a plan");
            eprintln!("{}", datafusion::physical_plan::displayable(plan.as_ref()).indent(true));
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

/// The CPU time (user and system) of the child processes waited for so far, in seconds.
fn children_cpu() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    let u = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    secs(u.user_time()) + secs(u.system_time())
}

/// The largest peak resident memory of the children waited for so far, in MB.
fn children_peak_mb() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage").max_rss() as f64 / 1024.0
}

/// This process's peak resident memory in MB (VmHWM).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}
