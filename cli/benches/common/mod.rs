//! What the benches share: generating the district once, its rows
//! shuffled, the csv crate's time to parse it, and the CPU time and peak
//! memory of a process and of its children. Not every bench uses every
//! helper.
#![allow(dead_code)]

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Writes the district of `n_firms` firms (`gen --seed 4`) as `format` into
/// `dir`, unless it is there.
pub(crate) fn generate(dir: &Path, n_firms: u64, format: &str) {
    if dir.join(format!("hidden_dangers.{format}")).exists() {
        return;
    }
    let t = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_safegrade"))
        .args(["gen", "--firms", &n_firms.to_string(), "--seed", "4", "--force", "--format", format, "--out"])
        .arg(dir)
        .status()
        .expect("run safegrade gen");
    assert!(status.success());
    eprintln!("generated {format} in {:.1} s", t.elapsed().as_secs_f64());
}

/// `safegrade score --sorted` of the hazchem scheme over `firms.EXT` and
/// its lists in `dir` on `threads` workers, results and rejects written
/// into `out`: (seconds, CPU seconds).
pub(crate) fn score_sorted(root: &Path, dir: &Path, ext: &str, threads: usize, out: &Path) -> (f64, f64) {
    const LISTS: [&str; 3] = ["accidents", "penalties", "hidden_dangers"];
    std::fs::create_dir_all(out).expect("an output folder");
    let (t, cpu) = (Instant::now(), children_cpu());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_safegrade"));
    cmd.args(["score", "--rules"]).arg(root.join("rules/schemes/hazchem.toml"));
    cmd.arg("--firms").arg(dir.join(format!("firms.{ext}")));
    for l in LISTS {
        cmd.arg("--list").arg(format!("{l}={}", dir.join(format!("{l}.{ext}")).display()));
    }
    cmd.args(["--as-of", "2026-06-30", "--sorted", "--threads", &threads.to_string(), "--out"]);
    cmd.arg(out.join("results.csv")).arg("--rejects").arg(out.join("rejects.csv"));
    let status = cmd.stderr(std::process::Stdio::null()).status().expect("run safegrade score");
    assert!(status.code() == Some(0) || status.code() == Some(3), "safegrade score: {status}");
    (t.elapsed().as_secs_f64(), children_cpu() - cpu)
}

/// The CPU time (user and system) of the child processes waited for so far, in seconds.
pub(crate) fn children_cpu() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    let u = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    secs(u.user_time()) + secs(u.system_time())
}

/// This process's peak resident memory in MB (VmHWM).
pub(crate) fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// The csv crate alone reading every record of each file as bytes, one
/// thread: each file's seconds (the faster of two passes: the first may
/// read the files from disk, where the runs after it find them in the page
/// cache) and the number of records of all of them.
pub(crate) fn csv_alone(files: &[PathBuf]) -> (Vec<f64>, u64) {
    let mut secs = vec![f64::INFINITY; files.len()];
    let mut rows = 0;
    for _ in 0..2 {
        rows = 0;
        let mut rec = csv::ByteRecord::new();
        for (f, best) in files.iter().zip(&mut secs) {
            let t = Instant::now();
            let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(File::open(f).expect("open"));
            while r.read_byte_record(&mut rec).expect("read") {
                rows += 1;
            }
            *best = best.min(t.elapsed().as_secs_f64());
        }
    }
    (secs, rows)
}

/// The files of `files` with their rows shuffled (see [`shuffle_rows`]), in
/// `shuffled_dir`, written there unless they are.
pub(crate) fn shuffled_copy(files: &[PathBuf], shuffled_dir: &Path) -> Vec<PathBuf> {
    let shuffled: Vec<PathBuf> = files.iter().map(|f| shuffled_dir.join(f.file_name().expect("a file"))).collect();
    if !shuffled.iter().all(|f| f.exists()) {
        let t = Instant::now();
        std::fs::create_dir_all(shuffled_dir).expect("a folder");
        for (from, to) in files.iter().zip(&shuffled) {
            shuffle_rows(from, to);
        }
        eprintln!("shuffled in {:.1} s", t.elapsed().as_secs_f64());
    }
    shuffled
}

/// Copies a CSV file (one row per line, as `safegrade gen` writes) with its
/// rows in a fixed pseudo-random order: dealt into 64 piles by a hash of
/// the line number, the piles then put one after another. Each firm's
/// records end up far apart, as in an export sorted by date.
pub(crate) fn shuffle_rows(from: &Path, to: &Path) {
    use std::io::{BufRead, BufReader, Write};
    const PILES: u64 = 64;
    let mut lines = BufReader::new(File::open(from).expect("open")).lines();
    let header = lines.next().expect("a header").expect("UTF-8");
    let pile_path = |i: u64| to.with_extension(format!("pile{i}"));
    let mut piles: Vec<BufWriter<File>> =
        (0..PILES).map(|i| BufWriter::new(File::create(pile_path(i)).expect("create"))).collect();
    for (n, line) in lines.enumerate() {
        // splitmix64's finaliser: neighbouring lines go to unrelated piles.
        let mut h = (n as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
        h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h ^= h >> 31;
        writeln!(piles[(h % PILES) as usize], "{}", line.expect("UTF-8")).expect("write");
    }
    drop(piles);
    // Written under a temporary name, so an interrupted copy is not taken
    // for a finished one.
    let partial = to.with_extension("partial");
    let mut out = BufWriter::new(File::create(&partial).expect("create"));
    writeln!(out, "{header}").expect("write");
    for i in 0..PILES {
        std::io::copy(&mut File::open(pile_path(i)).expect("open"), &mut out).expect("copy");
        std::fs::remove_file(pile_path(i)).expect("remove");
    }
    out.into_inner().expect("flush").sync_all().expect("sync");
    std::fs::rename(partial, to).expect("rename");
}
