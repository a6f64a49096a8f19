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
