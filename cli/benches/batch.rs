//! The batch benchmark (`cargo bench -p safegrade-cli --bench batch`).
//!
//! It generates (once, cached under `target/bench-data/`) a synthetic
//! district with `safegrade gen`, then measures in one run and prints:
//! the csv crate alone parsing the same files, the end-to-end batch run
//! through the hazchem scheme (sorted, streaming) with its peak memory, the
//! ratio of the two, the same run on the rows shuffled (the grouped join
//! that a run without `--sorted` uses) with its peak memory, and the plan's
//! cost per firm for the hazchem risk rule set without I/O. Arguments:
//! `FIRMS` (default 1000000) and `THREADS` (default 2). Numbers are
//! recorded in docs/PERFORMANCE.md.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use safegrade::batch::{self, BatchConfig, ListSource, Source};

// The command line's readers of GB18030 files and workbooks, compiled in.
#[allow(dead_code, unused_imports)]
#[path = "../src/encoding.rs"]
mod encoding;
#[allow(dead_code, unused_imports)]
#[path = "../src/excel.rs"]
mod excel;

#[allow(dead_code)]
#[path = "../tests/common/xlsx.rs"]
mod xlsx;

mod common;

/// The allocator the `safegrade` binary uses, so the figures are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LISTS: [&str; 3] = ["accidents", "penalties", "hidden_dangers"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let n_firms: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let threads: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join(format!("target/bench-data/{n_firms}"));
    if !dir.join("hidden_dangers.csv").exists() {
        let t = Instant::now();
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_safegrade"))
            .args(["gen", "--firms", &n_firms.to_string(), "--seed", "4", "--force", "--out"])
            .arg(&dir)
            .status()
            .expect("run safegrade gen");
        assert!(status.success());
        eprintln!("generated in {:.1} s", t.elapsed().as_secs_f64());
    }
    let files: Vec<PathBuf> =
        std::iter::once(dir.join("firms.csv")).chain(LISTS.iter().map(|l| dir.join(format!("{l}.csv")))).collect();
    let bytes: u64 = files.iter().map(|f| std::fs::metadata(f).map_or(0, |m| m.len())).sum();

    // 1. The csv crate alone: every record of every file, as bytes.
    let (csv_secs, rows) = common::csv_alone(&files);
    let csv_s: f64 = csv_secs.iter().sum();
    println!("input: {n_firms} firms, {} list records, {:.0} MB", rows - n_firms, bytes as f64 / 1e6);
    println!("csv crate alone (1 thread, faster of 2 passes): {csv_s:.2} s ({:.0} MB/s)", bytes as f64 / 1e6 / csv_s);

    // 2. End to end, sorted streaming join, `threads` workers.
    let loaded = safegrade::load(root.join("rules/schemes/hazchem.toml").to_str().expect("utf-8 path"), &|p: &str| {
        std::fs::read_to_string(p).map_err(|e| e.to_string())
    });
    let rules = loaded.rules.expect("the hazchem scheme checks");
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
    let mut cfg = BatchConfig::new(as_of);
    cfg.carry = vec!["name".into(), "sector".into(), "region".into()];
    cfg.sorted = true;
    cfg.threads = threads;
    let (e2e_s, summary) = score(&rules, &cfg, &files, &dir);
    let peak = peak_rss_mb();
    println!(
        "end to end (score --sorted, {threads} threads): {e2e_s:.2} s, {:.0} firms/s, {:.0} rows/s; {} scored, {} rejected",
        n_firms as f64 / e2e_s,
        rows as f64 / e2e_s,
        summary.firms.used,
        summary.rejected()
    );
    println!("ratio end to end / csv alone: {:.1}x (target < 2x)", e2e_s / csv_s);
    println!("peak memory (VmHWM of this process): {peak:.0} MB (target < 300 MB)");

    // 2b. The same rows shuffled, grouped in memory (no `--sorted`).
    let shuffled_dir = root.join(format!("target/bench-data/{n_firms}-shuffled"));
    let shuffled = common::shuffled_copy(&files, &shuffled_dir);
    cfg.sorted = false;
    let (grouped_s, grouped) = score(&rules, &cfg, &shuffled, &shuffled_dir);
    assert_eq!(grouped.firms.used, summary.firms.used);
    println!(
        "end to end (score, rows shuffled, grouped in memory, {threads} threads): {grouped_s:.2} s (target < 10 s), {:.1}x the csv crate; peak memory now {:.0} MB",
        grouped_s / csv_s,
        peak_rss_mb()
    );

    // 2c. Input formats: the firm file alone, as UTF-8 CSV, as GB18030 CSV
    // and as an .xlsx sheet, each read as a run reads its rows (faster of 2
    // passes).
    input_formats(&dir, n_firms);

    // 3. The plan alone: hazchem risk over pre-read firms, no I/O.
    let safegrade::Rules::Scheme(scheme) = &rules else { unreachable!("hazchem is a scheme") };
    let (_, risk) = scheme.steps().find(|(a, _)| *a == "risk").expect("a risk step");
    let firms = risk_firms(risk, &dir, 20_000);
    let t = Instant::now();
    let mut n = 0u64;
    for _ in 0..3 {
        for f in &firms {
            let a = risk.evaluate(f, as_of).expect("evaluates");
            n += 1;
            std::hint::black_box(a);
        }
    }
    let plan_ns = t.elapsed().as_secs_f64() * 1e9 / n as f64;
    println!("plan cost, hazchem-risk alone: {plan_ns:.0} ns/firm (1 thread, full Assessment)");
    println!("against the hand-written rust_decimal floor: cargo bench -p safegrade --bench plan");
}

/// Times reading the firm file's rows as a run reads them from UTF-8, GB18030 and xlsx.
fn input_formats(dir: &Path, n_firms: u64) {
    use encoding::{detect, Gb18030Cells};
    use excel::{Kind, SheetLimits};
    let utf8 = dir.join("firms.csv");
    let gb = dir.join("firms-gb18030.csv");
    let wb = dir.join("firms.xlsx");
    if !gb.exists() {
        let text = std::fs::read_to_string(&utf8).expect("UTF-8");
        let (bytes, _, lossy) = encoding_rs::GB18030.encode(&text);
        assert!(!lossy);
        std::fs::write(&gb, &bytes).expect("write");
    }
    if !wb.exists() {
        let t = Instant::now();
        let csv = std::fs::read(&utf8).expect("read");
        let bytes = xlsx::workbook(&[("firms", &csv)]).expect("a workbook");
        std::fs::write(&wb, bytes).expect("write");
        eprintln!("firms.xlsx written in {:.1} s", t.elapsed().as_secs_f64());
    }
    // Each file is read as a run reads it, through its source of rows:
    // the CSV files split into records, their cells checked as UTF-8 or,
    // in the GB18030 file, those that are not ASCII decoded; the sheet's
    // cells read from its XML.
    let cfg = BatchConfig::new(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"));
    let count_as = |p: &Path, gb: bool| {
        let f = File::open(p).expect("open");
        let src =
            if gb { Source::with_cells("firms.csv", f, "GB18030", Gb18030Cells) } else { Source::new("firms.csv", f) };
        batch::read_rows(batch::csv_rows(src, &cfg), &cfg).expect("read")
    };
    let count = |p: &Path| count_as(p, false);
    let best = |f: &dyn Fn() -> u64| {
        let mut s = f64::INFINITY;
        for _ in 0..2 {
            let t = Instant::now();
            assert_eq!(f(), n_firms);
            s = s.min(t.elapsed().as_secs_f64());
        }
        s
    };
    let utf8_s = best(&|| count(&utf8));
    let gb_s = best(&|| count_as(&gb, true));
    let path = |p: &Path| p.to_str().expect("a UTF-8 path").to_string();
    let utf8_auto_s = best(&|| {
        detect(&path(&utf8), "firms.csv").expect("detected");
        count(&utf8)
    });
    let gb_auto_s = best(&|| {
        detect(&path(&gb), "firms.csv").expect("detected");
        count_as(&gb, true)
    });
    let limits = SheetLimits { columns: cfg.max_columns, field: cfg.max_field_bytes, row: cfg.max_row_bytes };
    let xlsx_s = best(&|| {
        let bytes = std::fs::read(&wb).expect("read");
        let rows = excel::open("firms.xlsx", Kind::Xlsx, bytes, None, limits).expect("a sheet");
        batch::read_rows(Box::new(rows), &cfg).expect("read")
    });
    let mb = |p: &Path| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!(
        "firm file alone, {n_firms} rows read as a run reads them (1 thread, faster of 2): UTF-8 CSV {utf8_s:.2} s ({:.0} MB); GB18030 CSV {gb_s:.2} s ({:.0} MB), +{:.0} % (target < 20 %); with `--encoding auto`'s pre-pass: UTF-8 {utf8_auto_s:.2} s, GB18030 {gb_auto_s:.2} s, +{:.0} %",
        mb(&utf8),
        mb(&gb),
        (gb_s / utf8_s - 1.0) * 100.0,
        (gb_auto_s / utf8_auto_s - 1.0) * 100.0
    );
    println!("xlsx sheet ({:.0} MB) {xlsx_s:.2} s: {:.1}x the UTF-8 CSV (target within 3x)", mb(&wb), xlsx_s / utf8_s);
}

/// Scores the firm file and list files (in `LISTS` order) into `dir`:
/// the seconds taken and the summary.
fn score(rules: &safegrade::Rules, cfg: &BatchConfig, files: &[PathBuf], dir: &Path) -> (f64, batch::Summary) {
    let t = Instant::now();
    let open = |p: &Path| Source::new(p.display().to_string(), File::open(p).expect("open"));
    let lists =
        LISTS.iter().zip(&files[1..]).map(|(l, f)| ListSource { list: l.to_string(), source: open(f) }).collect();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join("results.csv")).expect("create"));
    let mut rejects = BufWriter::new(File::create(dir.join("rejects.csv")).expect("create"));
    let summary =
        batch::score(rules, cfg, open(&files[0]), lists, &mut out, &mut rejects, &mut |_| {}).expect("the batch runs");
    drop(out);
    assert!(summary.balanced());
    (t.elapsed().as_secs_f64(), summary)
}

/// Reads the first `limit` firms of the generated data as hazchem-risk firms.
fn risk_firms(risk: &safegrade::CompiledRules, dir: &Path, limit: usize) -> Vec<safegrade::Firm> {
    let schema = risk.schema();
    let mut firms = csv::Reader::from_path(dir.join("firms.csv")).expect("open");
    let headers = firms.headers().expect("header").clone();
    let mut acc = csv::Reader::from_path(dir.join("accidents.csv")).expect("open");
    let acc_headers = acc.headers().expect("header").clone();
    let mut by_key: std::collections::HashMap<String, Vec<serde_json::Value>> = Default::default();
    for r in acc.records() {
        let r = r.expect("row");
        let mut obj = serde_json::Map::new();
        for (h, v) in acc_headers.iter().zip(r.iter()).skip(1) {
            obj.insert(h.to_string(), serde_json::Value::String(v.to_string()));
        }
        by_key.entry(r[0].to_string()).or_default().push(serde_json::Value::Object(obj));
    }
    let mut out = Vec::new();
    for r in firms.records().take(limit) {
        let r = r.expect("row");
        let mut obj = serde_json::Map::new();
        for (h, v) in headers.iter().zip(r.iter()) {
            if schema.inputs.iter().any(|i| i.name == h) {
                obj.insert(h.to_string(), serde_json::Value::String(v.to_string()));
            }
        }
        obj.insert("accidents".into(), serde_json::Value::Array(by_key.remove(&r[0]).unwrap_or_default()));
        out.push(risk.firm_from_json(&serde_json::Value::Object(obj)).expect("a valid firm"));
    }
    out
}

/// Peak resident memory of this process, from /proc (Linux); 0 elsewhere.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
