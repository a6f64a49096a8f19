//! What a batch run does when something around it goes wrong, through the
//! binary: numeric flags out of range, an output path that is a folder
//! (before the run or by the end of it), a closed stderr, `gen` into a
//! folder that holds files, NUL bytes in input cells, and a run stopped by
//! a signal. In every case the outputs of an earlier run stay whole and no
//! temporary file is left behind.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a test waits for the binary to reach a state or to exit.
const PATIENCE: Duration = Duration::from_secs(120);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("a parent").to_path_buf()
}

/// A fresh directory holding a copy of the golden sample's input files.
fn workdir(name: &str) -> PathBuf {
    let dir = root().join("target/trial-cli-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a work directory");
    for f in ["firms.csv", "accidents.csv", "penalties.csv", "hidden_dangers.csv"] {
        std::fs::copy(root().join("tests/data/batch/golden").join(f), dir.join(f)).expect("copied");
    }
    dir
}

/// The arguments of a `score` run of the golden sample in its work directory.
fn score_args(firms: &str, extra: &[&str]) -> Vec<String> {
    let rules = root().join("rules/schemes/hazchem.toml");
    let mut args: Vec<String> = [
        "score",
        "--rules",
        rules.to_str().expect("a UTF-8 path"),
        "--firms",
        firms,
        "--list",
        "accidents=accidents.csv",
        "--list",
        "penalties=penalties.csv",
        "--list",
        "hidden_dangers=hidden_dangers.csv",
        "--as-of",
        "2026-06-30",
        "--carry",
        "name,sector,region",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Waits, for a bounded time, for the child to exit.
fn wait_for_exit(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            return status;
        }
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("the binary did not exit within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_closed_stderr_neither_panics_nor_changes_the_exit_code() {
    let dir = workdir("closed-stderr");
    let rules = root().join("tests/data/check/err/bands.toml");
    let runs: [(Vec<String>, i32); 3] = [
        (score_args("firms.csv", &["--out", "out/results.csv"]), 0),
        (score_args("missing.csv", &["--out", "out/results.csv"]), 2),
        (vec!["check".into(), rules.to_string_lossy().into_owned()], 1),
    ];
    for (args, want) in runs {
        for _ in 0..3 {
            let mut child = Command::new(env!("CARGO_BIN_EXE_safegrade"))
                .args(&args)
                .current_dir(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the binary runs");
            // Nobody reads stderr: every write to it fails with a broken pipe.
            drop(child.stderr.take());
            let status = wait_for_exit(&mut child);
            assert_eq!(status.code(), Some(want), "{args:?}");
        }
    }
}
