//! What the benches that start child processes share: generating the
//! district once, and the CPU time and peak memory of a process and of its
//! children.

use std::path::Path;
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
