//! The scale benchmark (`cargo bench -p safegrade-cli --bench scale --
//! [FIRMS] [--national]`): how much work `safegrade score` does beyond the
//! work it cannot avoid, and how far more threads could take it. On the
//! generated district (default 1,000,000 firms, `gen --seed 4`, cached
//! under `target/bench-data/FIRMS`) it measures, in one run: (a) the csv
//! crate alone parsing each file, one thread; (b) the lean evaluation of
//! every firm's already-read data through every step, one thread (the
//! hazchem scheme through `CompiledScheme::score`, the flat scorecard
//! `benches/data/flat.toml` through `CompiledRules::score`); then the
//! `safegrade` binary on 2 threads for the scheme on sorted files
//! (`--sorted`), on the same rows shuffled (the grouped join) and for the
//! flat scorecard, each with its wall and CPU time, peak memory, the
//! overhead ratio CPU / (a + b), and its CPU per thread (read from /proc
//! while it runs), the serial share and Amdahl's bound; and the sorted
//! scheme run on 1 thread against 2. `--national` adds 10,000,000 firms
//! (about 5 GB of CSV, skipped with less than 20 GB free). Every target is
//! printed with its figure and whether it is met.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use safegrade::{CompiledRules, CompiledScheme, Rules, Schema};

mod common;
use common::{children_cpu, csv_alone, generate, shuffled_copy};

/// The allocator the `safegrade` binary uses, so the lean figures are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The hazchem scheme's list files, after the firm file.
const LISTS: [&str; 3] = ["accidents", "penalties", "hidden_dangers"];
/// Firms read into memory at a time for the lean evaluation.
const BATCH: usize = 50_000;
/// The prefix of the names of the parallel workers' threads; every other
/// thread of a run is serial work.
const WORKER_PREFIX: &str = "sg-work";
/// The firms of the national run.
const NATIONAL_FIRMS: u64 = 10_000_000;
/// The free space `--national` needs for its files and their shuffled copy.
const NATIONAL_FREE_GB: f64 = 20.0;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let national = args.iter().any(|a| a == "--national");
    let n_firms: u64 = args.iter().find(|a| !a.starts_with("--")).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date");
    let scheme_path = root.join("rules/schemes/hazchem.toml");
    let flat_path = root.join("cli/benches/data/flat.toml");
    let Rules::Scheme(scheme) = load(&scheme_path) else { panic!("hazchem is a scheme") };
    let Rules::Set(flat) = load(&flat_path) else { panic!("flat.toml is a rule set") };
    let flat_schema = flat.schema();
    println!(
        "flat rule set: {} {} ({}), {} inputs, no lists",
        flat_schema.ruleset.id,
        flat_schema.ruleset.version,
        flat_path.strip_prefix(&root).unwrap_or(&flat_path).display(),
        flat_schema.inputs.len()
    );

    let dir = root.join(format!("target/bench-data/{n_firms}"));
    generate(&dir, n_firms, "csv");
    let files = district_files(&dir);
    let bytes: u64 = files.iter().map(|f| std::fs::metadata(f).map_or(0, |m| m.len())).sum();

    // (a) The csv crate alone.
    let (csv_secs, rows) = csv_alone(&files);
    let (csv_all, csv_firms) = (csv_secs.iter().sum::<f64>(), csv_secs[0]);
    println!("input: {n_firms} firms, {} list records, {:.0} MB", rows - n_firms, bytes as f64 / 1e6);
    println!(
        "(a) csv crate alone (1 thread, faster of 2 passes): all files {csv_all:.2} s, the firm file {csv_firms:.2} s"
    );

    // (b) The lean evaluation of already-read firms.
    let scheme_lean = lean_scheme(&scheme, &dir, as_of);
    let flat_lean = lean_flat(&flat, &dir, as_of);
    for (what, lean) in
        [("hazchem scheme, CompiledScheme::score", &scheme_lean), ("flat, CompiledRules::score", &flat_lean)]
    {
        println!(
            "(b) lean evaluation, {what} (1 thread): {:.2} s, {:.0} ns/firm; {} scored, {} not",
            lean.secs,
            lean.secs * 1e9 / lean.scored.max(1) as f64,
            lean.scored,
            lean.failed
        );
    }

    let out = root.join("target/bench-data/scale-out");
    let hazchem_floor = csv_all + scheme_lean.secs;
    let sorted = cli_run(&scheme_path, &files, true, 2, &out);
    sorted.report("hazchem --sorted, generated files, 2 threads", hazchem_floor);
    let shuffled_files = shuffled_copy(&files, &root.join(format!("target/bench-data/{n_firms}-shuffled")));
    let grouped = cli_run(&scheme_path, &shuffled_files, false, 2, &out);
    grouped.report("hazchem, shuffled files, grouped join (no --sorted), 2 threads", hazchem_floor);
    // The firm file is in key order: streamed, as a run with lists is under `--sorted`.
    let flat_run = cli_run(&flat_path, &files[..1], true, 2, &out);
    flat_run.report("flat --sorted, the generated firm file, 2 threads", csv_firms + flat_lean.secs);

    let one = cli_run(&scheme_path, &files, true, 1, &out);
    let s = sorted.serial_share();
    let predicted = 1.0 / (s + (1.0 - s) / 2.0);
    println!(
        "scaling, hazchem --sorted: 1 thread {:.2} s, 2 threads {:.2} s: speed-up {:.2}x measured, {predicted:.2}x predicted by Amdahl for 2 workers (serial share {:.1} %)",
        one.wall,
        sorted.wall,
        one.wall / sorted.wall,
        s * 100.0
    );

    if national {
        national_runs(&root, &scheme_path, &out);
    }
    std::fs::remove_dir_all(&out).expect("remove the results");
}

/// Loads a rule file or scheme that checks.
fn load(path: &Path) -> Rules {
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| e.to_string());
    let loaded = safegrade::load(path.to_str().expect("a UTF-8 path"), &read);
    loaded.rules.unwrap_or_else(|| panic!("{} does not check", path.display()))
}

/// The firm file and the list files of a district, in `LISTS` order.
fn district_files(dir: &Path) -> Vec<PathBuf> {
    std::iter::once(dir.join("firms.csv")).chain(LISTS.iter().map(|l| dir.join(format!("{l}.csv")))).collect()
}

/// Prints whether a target is met.
fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "missed"
    }
}

/// What a lean evaluation pass took.
struct Lean {
    /// Seconds spent evaluating, reading excluded.
    secs: f64,
    scored: u64,
    /// Firms whose data did not read or that did not evaluate.
    failed: u64,
}

/// Every firm through the scheme's steps, read `BATCH` at a time.
fn lean_scheme(scheme: &CompiledScheme, dir: &Path, as_of: NaiveDate) -> Lean {
    let read = |json: &serde_json::Value| scheme.firms_from_json(json).ok();
    lean(dir, &scheme.schema(), read, |steps| scheme.score(steps, as_of).map(std::hint::black_box).is_ok())
}

/// Every firm through a rule set without lists, read `BATCH` at a time.
fn lean_flat(rules: &CompiledRules, dir: &Path, as_of: NaiveDate) -> Lean {
    let read = |json: &serde_json::Value| rules.firm_from_json(json).ok();
    lean(dir, &rules.schema(), read, |firm| rules.score(firm, as_of).map(std::hint::black_box).is_ok())
}

/// The district's firms read by `read` (untimed, `BATCH` at a time) and
/// each scored by `score` (timed), which says whether it scored.
fn lean<F>(
    dir: &Path,
    schema: &Schema,
    read: impl Fn(&serde_json::Value) -> Option<F>,
    mut score: impl FnMut(&mut F) -> bool,
) -> Lean {
    let mut lean = Lean { secs: 0.0, scored: 0, failed: 0 };
    let mut reader = DistrictReader::new(dir, schema);
    let mut firms = Vec::with_capacity(BATCH);
    while reader.read_batch(BATCH, |json| match read(json) {
        Some(f) => firms.push(f),
        None => lean.failed += 1,
    }) {
        let t = Instant::now();
        for firm in &mut firms {
            if score(firm) {
                lean.scored += 1;
            } else {
                lean.failed += 1;
            }
        }
        lean.secs += t.elapsed().as_secs_f64();
        firms.clear();
    }
    lean
}

/// Reads a district's firms as JSON objects of the inputs and lists a
/// questionnaire asks, joining each list file's records to their firm as
/// the files stream (they are in key order, the key in the first column).
struct DistrictReader {
    firms: csv::StringRecordsIntoIter<File>,
    /// The firm file's columns the questionnaire asks: (column, input).
    columns: Vec<(usize, String)>,
    lists: Vec<ListReader>,
}

/// One list file being joined: its records' fields and the next record.
struct ListReader {
    name: String,
    records: csv::StringRecordsIntoIter<File>,
    /// (column, field) of each field the questionnaire reads.
    fields: Vec<(usize, String)>,
    next: Option<csv::StringRecord>,
}

impl DistrictReader {
    fn new(dir: &Path, asks: &Schema) -> DistrictReader {
        let open = |name: &str| csv::Reader::from_path(dir.join(format!("{name}.csv"))).expect("open");
        let mut firms = open("firms");
        let inputs: Vec<&str> = asks.inputs.iter().map(|f| f.name.as_str()).collect();
        let columns = asked_columns(&mut firms, &inputs);
        let lists = (asks.lists.iter())
            .map(|l| {
                let mut reader = open(&l.name);
                let names: Vec<&str> = l.fields.iter().map(|f| f.name.as_str()).collect();
                let fields = asked_columns(&mut reader, &names);
                let mut records = reader.into_records();
                let next = records.next().map(|r| r.expect("a record"));
                ListReader { name: l.name.clone(), records, fields, next }
            })
            .collect();
        DistrictReader { firms: firms.into_records(), columns, lists }
    }

    /// Hands up to `limit` firms to `take`; false when there were none left.
    fn read_batch(&mut self, limit: usize, mut take: impl FnMut(&serde_json::Value)) -> bool {
        let mut any = false;
        for firm in self.firms.by_ref().take(limit) {
            let firm = firm.expect("a firm record");
            let mut json = object(&firm, &self.columns);
            for list in &mut self.lists {
                let records = list.records_of(&firm[0]);
                json.insert(list.name.clone(), serde_json::Value::Array(records));
            }
            take(&serde_json::Value::Object(json));
            any = true;
        }
        any
    }
}

impl ListReader {
    /// The records of firm `key`, past those of earlier keys.
    fn records_of(&mut self, key: &str) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        while let Some(r) = self.next.take_if(|r| &r[0] <= key) {
            if &r[0] == key {
                out.push(serde_json::Value::Object(object(&r, &self.fields)));
            }
            self.next = self.records.next().map(|r| r.expect("a list record"));
        }
        out
    }
}

/// The columns after the key whose headers are among `names`: (column, name).
fn asked_columns(reader: &mut csv::Reader<File>, names: &[&str]) -> Vec<(usize, String)> {
    let headers = reader.headers().expect("a header");
    (headers.iter().enumerate().skip(1)).filter(|(_, h)| names.contains(h)).map(|(i, h)| (i, h.to_string())).collect()
}

/// The named cells of a record that are not blank, as JSON texts.
fn object(record: &csv::StringRecord, columns: &[(usize, String)]) -> serde_json::Map<String, serde_json::Value> {
    (columns.iter())
        .filter(|(i, _)| !record[*i].is_empty())
        .map(|(i, name)| (name.clone(), serde_json::Value::String(record[*i].to_string())))
        .collect()
}

/// One `safegrade score` run: its times, memory and threads.
struct CliRun {
    wall: f64,
    /// User and system CPU seconds of the process.
    cpu: f64,
    peak_mb: f64,
    /// Each thread seen, by id: its name and CPU seconds at the last look.
    threads: BTreeMap<u32, (String, f64)>,
}

/// Runs `safegrade score` of `rules` over `files` (the firm file, then the
/// list files in `LISTS` order) on `threads` workers into `out`, looking at
/// its threads and memory every 20 ms while it runs.
fn cli_run(rules: &Path, files: &[PathBuf], sorted: bool, threads: usize, out: &Path) -> CliRun {
    std::fs::create_dir_all(out).expect("an output folder");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safegrade"));
    cmd.arg("score").arg("--rules").arg(rules).arg("--firms").arg(&files[0]);
    for (list, file) in LISTS.iter().zip(&files[1..]) {
        cmd.arg("--list").arg(format!("{list}={}", file.display()));
    }
    cmd.args(["--as-of", "2026-06-30", "--carry", "name,sector,region", "--threads", &threads.to_string()]);
    if sorted {
        cmd.arg("--sorted");
    }
    cmd.arg("--out").arg(out.join("results.csv")).arg("--rejects").arg(out.join("rejects.csv"));
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let cpu_before = children_cpu();
    let t = Instant::now();
    let mut child = cmd.spawn().expect("run safegrade score");
    let proc_dir = PathBuf::from(format!("/proc/{}", child.id()));
    let mut run = CliRun { wall: 0.0, cpu: 0.0, peak_mb: 0.0, threads: BTreeMap::new() };
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        run.look(&proc_dir);
        std::thread::sleep(Duration::from_millis(20));
    };
    run.wall = t.elapsed().as_secs_f64();
    run.cpu = children_cpu() - cpu_before;
    assert!(status.code() == Some(0) || status.code() == Some(3), "safegrade score: {status}");
    run
}

impl CliRun {
    /// Reads the peak memory (VmHWM) and each thread's name and CPU time
    /// from `/proc/PID`; a process that has just ended leaves them as they were.
    fn look(&mut self, proc_dir: &Path) {
        let status = std::fs::read_to_string(proc_dir.join("status")).unwrap_or_default();
        let peak_kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
        self.peak_mb = self.peak_mb.max(peak_kb.unwrap_or(0.0) / 1024.0);
        let Ok(tasks) = std::fs::read_dir(proc_dir.join("task")) else { return };
        for task in tasks.flatten() {
            let Ok(tid) = task.file_name().to_string_lossy().parse::<u32>() else { continue };
            if let Some(thread) = std::fs::read_to_string(task.path().join("stat")).ok().as_deref().and_then(thread_cpu)
            {
                self.threads.insert(tid, thread);
            }
        }
    }

    /// CPU seconds of the serial threads and of all threads.
    fn serial_and_total(&self) -> (f64, f64) {
        let total: f64 = self.threads.values().map(|(_, cpu)| cpu).sum();
        let workers: f64 =
            self.threads.values().filter(|(name, _)| name.starts_with(WORKER_PREFIX)).map(|(_, cpu)| cpu).sum();
        (total - workers, total)
    }

    /// The share of the CPU time spent outside the parallel workers.
    fn serial_share(&self) -> f64 {
        let (serial, total) = self.serial_and_total();
        if total > 0.0 {
            serial / total
        } else {
            1.0
        }
    }

    /// Prints the run's figures against `floor`, the seconds of (a) + (b).
    fn report(&self, what: &str, floor: f64) {
        let ratio = self.cpu / floor;
        println!(
            "{what}: wall {:.2} s, CPU {:.2} s, peak RSS {:.0} MB; overhead ratio CPU / (a + b) = {:.2} / {floor:.2} = {ratio:.2}x (target <= 1.5x: {})",
            self.wall,
            self.cpu,
            self.peak_mb,
            self.cpu,
            verdict(ratio <= 1.5)
        );
        let (_, total) = self.serial_and_total();
        let mut threads: Vec<_> = self.threads.iter().collect();
        threads.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1));
        println!("  {:<16} {:>8} {:>9} {:>7}", "thread", "tid", "CPU s", "share");
        for (tid, (name, cpu)) in threads {
            println!("  {name:<16} {tid:>8} {cpu:>9.2} {:>6.1} %", cpu / total.max(f64::MIN_POSITIVE) * 100.0);
        }
        let s = self.serial_share();
        let named = self.threads.values().any(|(name, _)| name.starts_with(WORKER_PREFIX));
        println!(
            "  serial share s = {:.1} % (target <= 10 %: {}), Amdahl bound 1/s = {:.1}x{}",
            s * 100.0,
            verdict(s <= 0.10),
            1.0 / s,
            if named { "" } else { " (no thread is named `sg-work*`: every thread counts as serial)" }
        );
    }
}

/// A thread's name and CPU seconds (user and system) from its
/// `/proc/PID/task/TID/stat` line.
fn thread_cpu(stat: &str) -> Option<(String, f64)> {
    // The name is in parentheses and may hold any character, so the fields
    // are counted from the last `)`: state, then 10 more, then utime and stime.
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let name = stat[open + 1..close].to_string();
    let mut fields = stat[close + 1..].split_whitespace().skip(11);
    let ticks: f64 = fields.next()?.parse::<f64>().ok()? + fields.next()?.parse::<f64>().ok()?;
    // /proc counts in USER_HZ, 100 per second on Linux whatever the kernel's own rate.
    Some((name, ticks / 100.0))
}

/// `--national`: 10,000,000 firms through the hazchem scheme, sorted and shuffled.
fn national_runs(root: &Path, scheme: &Path, out: &Path) {
    let dir = root.join(format!("target/bench-data/{NATIONAL_FIRMS}"));
    let shuffled_dir = root.join(format!("target/bench-data/{NATIONAL_FIRMS}-shuffled"));
    let cached = |d: &Path| LISTS.iter().all(|l| d.join(format!("{l}.csv")).exists());
    if !(cached(&dir) && cached(&shuffled_dir)) {
        let free = free_gb(&root.join("target"));
        if free < NATIONAL_FREE_GB {
            println!("national: skipped, {free:.0} GB free under target/ (it needs {NATIONAL_FREE_GB:.0} GB)");
            return;
        }
    }
    generate(&dir, NATIONAL_FIRMS, "csv");
    let files = district_files(&dir);
    let sorted = cli_run(scheme, &files, true, 2, out);
    println!(
        "national, {NATIONAL_FIRMS} firms, hazchem --sorted, 2 threads: wall {:.1} s (target < 40 s: {}), CPU {:.1} s, peak RSS {:.0} MB (target < 200 MB: {})",
        sorted.wall,
        verdict(sorted.wall < 40.0),
        sorted.cpu,
        sorted.peak_mb,
        verdict(sorted.peak_mb < 200.0)
    );
    let shuffled = cli_run(scheme, &shuffled_copy(&files, &shuffled_dir), false, 2, out);
    println!(
        "national, {NATIONAL_FIRMS} firms, hazchem, shuffled files, grouped join, 2 threads: wall {:.1} s, CPU {:.1} s, peak RSS {:.0} MB",
        shuffled.wall, shuffled.cpu, shuffled.peak_mb
    );
}

/// Free space, in GB, on the file system of `dir` (from `df`); 0 when unknown.
fn free_gb(dir: &Path) -> f64 {
    std::fs::create_dir_all(dir).expect("a folder");
    let df = Command::new("df").arg("-Pk").arg(dir).output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let available_kb =
        df.ok().and_then(|text| text.lines().nth(1)?.split_whitespace().nth(3)?.parse::<f64>().ok()).unwrap_or(0.0);
    available_kb * 1024.0 / 1e9
}
