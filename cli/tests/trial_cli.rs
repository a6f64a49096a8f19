//! What a batch run does when something around it goes wrong, through the
//! binary: numeric flags out of range, an output path that is a folder
//! (before the run or by the end of it), a closed stderr, `gen` into a
//! folder that holds files, NUL bytes in input cells, and a run stopped by
//! a signal. In every case the outputs of an earlier run stay whole and no
//! temporary file is left behind.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a test waits for the binary to reach a state or to exit.
const PATIENCE: Duration = Duration::from_secs(120);

/// The outputs of a run with `--out out/results.csv`.
const OUTPUTS: [&str; 3] = ["out/results.csv", "out/rejects.csv", "out/results.csv.manifest.json"];

mod common;

use common::{read, root, safegrade, score_args};

/// A fresh directory holding a copy of the golden sample's input files.
fn workdir(name: &str) -> PathBuf {
    common::golden_dir("trial-cli-tests", name)
}

/// The bytes of each file, to compare before and after.
fn snapshot(dir: &Path, files: &[&str]) -> Vec<Vec<u8>> {
    files.iter().map(|f| read(&dir.join(f))).collect()
}

/// Files under `dir`, at any depth, whose names mark them as temporaries
/// or backups of a run.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).expect("listable").filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            found.extend(leftovers(&e.path()));
        } else if name.contains(".tmp.") || name.contains(".old.") {
            found.push(e.path().display().to_string());
        }
    }
    found
}

/// A first, good run whose outputs later runs must leave whole.
fn first_run(dir: &Path, extra: &[&str]) {
    let (code, _, err) = safegrade(dir, &score_args("firms.csv", &[&["--out", "out/results.csv"], extra].concat()));
    assert_eq!(code, 0, "{err}");
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

/// Waits, for a bounded time, until `ready` holds.
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < PATIENCE, "waited {PATIENCE:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A named pipe in `dir` to feed the firm file through, so that a run can
/// be held mid-file for as long as a test needs.
fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let status = Command::new("mkfifo").arg(&path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
    path
}

/// Starts a `score` run reading its firms from the pipe `firms.fifo`, and
/// writes the header and the first rows of the golden firm file into it;
/// the run then waits for the rest. Returns the child, the open pipe and
/// the rest of the rows.
fn held_run(dir: &Path, extra: &[&str]) -> (Child, File, Vec<u8>) {
    fifo(dir, "firms.fifo");
    let stderr = File::create(dir.join("stderr.txt")).expect("a stderr file");
    let child = Command::new(env!("CARGO_BIN_EXE_safegrade"))
        .args(score_args("firms.fifo", &[&["--out", "out/results.csv", "--chunk-size", "4"], extra].concat()))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("the binary runs");
    // Opening blocks until the run opens the pipe to read it.
    let mut pipe = File::options().write(true).open(dir.join("firms.fifo")).expect("the pipe opens");
    let firms = read(&dir.join("firms.csv"));
    let split = firms.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(10).map_or(firms.len(), |(i, _)| i + 1);
    pipe.write_all(&firms[..split]).expect("the first rows are read");
    pipe.flush().expect("flushed");
    (child, pipe, firms[split..].to_vec())
}

fn stderr_of(dir: &Path) -> String {
    String::from_utf8_lossy(&read(&dir.join("stderr.txt"))).into_owned()
}

#[test]
fn numeric_flags_out_of_range_are_refused_before_anything_is_written() {
    let dir = workdir("flags");
    first_run(&dir, &[]);
    let before = snapshot(&dir, &OUTPUTS);
    for chunk in ["0", "65537", "1099511627776", "100000000000000000"] {
        let args = score_args("firms.csv", &["--out", "out/results.csv", "--chunk-size", chunk]);
        let (code, _, err) = safegrade(&dir, &args);
        assert_eq!(code, 2, "--chunk-size {chunk}: {err}");
        assert!(err.contains("--chunk-size") && err.contains("1..=65536"), "--chunk-size {chunk}: {err}");
        assert!(snapshot(&dir, &OUTPUTS) == before, "--chunk-size {chunk}: the earlier outputs were touched");
    }
    let rules = root().join("rules/schemes/hazchem.toml");
    let compare = [
        "compare",
        "--rules",
        rules.to_str().expect("a UTF-8 path"),
        "--firms",
        "firms.csv",
        "--as-of",
        "2026-06-30",
        "--out",
        "out/moves.csv",
        "--chunk-size",
        "100000000000000000",
    ];
    let (code, _, err) = safegrade(&dir, &compare);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--chunk-size"), "{err}");
    assert!(!dir.join("out/moves.csv").exists());
    let (code, _, err) =
        safegrade(&dir, &score_args("firms.csv", &["--out", "out/results.csv", "--threads", "100000"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--threads 100000"), "{err}");
    for firms in ["0", "10000001", "100000000000000000"] {
        let (code, _, err) = safegrade(&dir, &["gen", "--firms", firms, "--out", "district"]);
        assert_eq!(code, 2, "gen --firms {firms}: {err}");
        assert!(err.contains("--firms") && err.contains("1..=10000000"), "gen --firms {firms}: {err}");
        assert!(!dir.join("district").exists(), "gen --firms {firms} created its folder");
    }
    assert!(snapshot(&dir, &OUTPUTS) == before, "the earlier outputs were touched");
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
}

#[test]
fn an_output_path_that_is_a_folder_is_refused_before_the_run() {
    let dir = workdir("folder-output");
    first_run(&dir, &["--summary", "out/summary.json", "--report", "out/report.html"]);
    let files = [&OUTPUTS[..], &["out/summary.json", "out/report.html"]].concat();
    let before = snapshot(&dir, &files);
    std::fs::create_dir_all(dir.join("out/taken.csv")).expect("a folder");
    for (option, more) in [
        ("--report", &["--report", "out/taken.csv"][..]),
        ("--summary", &["--summary", "out/taken.csv"]),
        ("--rejects", &["--rejects", "out/taken.csv"]),
        ("the manifest", &["--manifest", "out/taken.csv"]),
    ] {
        let (code, _, err) = safegrade(&dir, &score_args("firms.csv", &[&["--out", "out/results.csv"], more].concat()));
        assert_eq!(code, 2, "{option}: {err}");
        assert!(err.contains(&format!("{option} `out/taken.csv` is a folder")), "{option}: {err}");
        assert!(snapshot(&dir, &files) == before, "{option}: the earlier outputs were touched");
        assert!(leftovers(&dir).is_empty(), "{option}: {:?}", leftovers(&dir));
    }
    let (code, _, err) = safegrade(&dir, &score_args("firms.csv", &["--out", "out/taken.csv"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out `out/taken.csv` is a folder"), "{err}");
    // A folder that is a file.
    let (code, _, err) = safegrade(&dir, &score_args("firms.csv", &["--out", "firms.csv/results.csv"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out `firms.csv/results.csv`: `firms.csv` is not a folder"), "{err}");
    assert!(snapshot(&dir, &files) == before, "the earlier outputs were touched");
}

#[test]
fn an_output_path_that_became_a_folder_during_the_run_replaces_nothing() {
    let dir = workdir("late-folder");
    first_run(&dir, &["--summary", "out/summary.json"]);
    let files = [&OUTPUTS[..], &["out/summary.json"]].concat();
    let before = snapshot(&dir, &files);
    let (mut child, mut pipe, rest) = held_run(&dir, &["--summary", "out/summary.json", "--report", "out/late.html"]);
    // The run is under way: the report's path is free when it starts, and
    // a folder when it ends.
    std::fs::create_dir_all(dir.join("out/late.html")).expect("a folder");
    pipe.write_all(&rest).expect("the rest is read");
    drop(pipe);
    let status = wait_for_exit(&mut child);
    let err = stderr_of(&dir);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("--report `out/late.html` is a folder"), "{err}");
    assert!(snapshot(&dir, &files) == before, "the earlier outputs were touched: {err}");
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
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

/// A closed stdout drops the rest of the output but keeps the verdict: a
/// script that pipes `check`, `test` or `verify` into `head` under
/// `pipefail` still learns of a failure.
#[test]
fn a_closed_stdout_keeps_the_exit_code() {
    let dir = workdir("closed-stdout");
    let bad = root().join("tests/data/check/err/bands.toml").to_string_lossy().into_owned();
    let good = root().join("rules/lec.toml").to_string_lossy().into_owned();
    let runs: [(Vec<String>, i32); 4] = [
        (vec!["check".into(), bad.clone()], 1),
        (vec!["check".into(), good.clone()], 0),
        (vec!["test".into(), good], 0),
        (vec!["check".into(), "--format".into(), "json".into(), bad], 1),
    ];
    for (args, want) in runs {
        for _ in 0..3 {
            let mut child = Command::new(env!("CARGO_BIN_EXE_safegrade"))
                .args(&args)
                .current_dir(&dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("the binary runs");
            // Nobody reads stdout: every write to it fails with a broken pipe.
            drop(child.stdout.take());
            let status = wait_for_exit(&mut child);
            assert_eq!(status.code(), Some(want), "{args:?}");
        }
    }
}

#[test]
fn gen_refuses_a_folder_that_holds_files_unless_forced() {
    let dir = workdir("gen");
    let (code, _, err) = safegrade(&dir, &["gen", "--firms", "5", "--out", "district"]);
    assert_eq!(code, 0, "{err}");
    let files = ["district/firms.csv", "district/accidents.csv"];
    let before = snapshot(&dir, &files);
    let (code, _, err) = safegrade(&dir, &["gen", "--firms", "7", "--seed", "2", "--out", "district"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out `district` is not empty") && err.contains("--force"), "{err}");
    assert!(snapshot(&dir, &files) == before, "gen overwrote the data files");
    let (code, _, err) = safegrade(&dir, &["gen", "--firms", "7", "--seed", "2", "--out", "district", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(String::from_utf8(read(&dir.join("district/firms.csv"))).expect("UTF-8").lines().count(), 8);
    // With --force a data file that is a link is replaced, not written through.
    std::fs::write(dir.join("notes.txt"), "kept").expect("written");
    std::fs::remove_file(dir.join("district/firms.csv")).expect("removed");
    std::os::unix::fs::symlink("../notes.txt", dir.join("district/firms.csv")).expect("a link");
    let (code, _, err) = safegrade(&dir, &["gen", "--firms", "3", "--out", "district", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&dir.join("notes.txt")), b"kept", "gen wrote through the link");
    assert!(!std::fs::symlink_metadata(dir.join("district/firms.csv")).expect("there").file_type().is_symlink());
    // An empty folder is fine; a file is not a folder.
    std::fs::create_dir_all(dir.join("empty")).expect("a folder");
    let (code, _, err) = safegrade(&dir, &["gen", "--firms", "3", "--out", "empty"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = safegrade(&dir, &["gen", "--firms", "3", "--out", "firms.csv"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out `firms.csv` is not a folder"), "{err}");
}

#[test]
fn a_nul_byte_in_a_cell_rejects_its_row_naming_the_column() {
    let dir = workdir("nul");
    let firms = String::from_utf8(read(&dir.join("firms.csv"))).expect("UTF-8");
    let mut lines: Vec<String> = firms.lines().map(str::to_string).collect();
    let set = |line: &mut String, col: usize, value: &str| {
        let mut cells: Vec<&str> = line.split(',').collect();
        cells[col] = value;
        *line = cells.join(",");
    };
    // Line 2: the carried name; line 3: the input `in_scope`; line 5: the key.
    set(&mut lines[1], 1, "苏州\0化工");
    set(&mut lines[2], 4, "是\0");
    let key5 = lines[4].split(',').next().expect("a key").to_string();
    set(&mut lines[4], 0, &format!("{key5}\0"));
    std::fs::write(dir.join("firms.csv"), lines.join("\n") + "\n").expect("written");
    // The first accident of a firm not rejected above: its `deaths` (uscc, id, date, deaths).
    let rejected: Vec<&str> = [1, 2, 4].iter().filter_map(|&i| lines[i].split(',').next()).collect();
    let acc = String::from_utf8(read(&dir.join("accidents.csv"))).expect("UTF-8");
    let mut acc_lines: Vec<String> = acc.lines().map(str::to_string).collect();
    let acc_idx = (1..acc_lines.len())
        .find(|&i| acc_lines[i].split(',').next().is_some_and(|k| !rejected.iter().any(|r| r.starts_with(k))))
        .expect("an accident of a firm scored");
    let acc_key = acc_lines[acc_idx].split(',').next().expect("a key").to_string();
    set(&mut acc_lines[acc_idx], 3, "1\0");
    std::fs::write(dir.join("accidents.csv"), acc_lines.join("\n") + "\n").expect("written");

    for out in ["out/results.csv", "out/results.jsonl"] {
        let (code, _, err) = safegrade(&dir, &score_args("firms.csv", &["--out", out]));
        assert_eq!(code, 3, "{err}");
        let results = read(&dir.join(out));
        let rejects = String::from_utf8(read(&dir.join("out/rejects.csv"))).expect("UTF-8");
        assert!(!results.contains(&0), "{out} holds a NUL byte");
        assert!(!rejects.contains('\0'), "the rejects file holds a NUL byte: {rejects}");
        let nul = "holds a NUL byte";
        let says = |start: &str| rejects.lines().any(|l| l.starts_with(start) && l.contains(nul));
        assert!(says("firms.csv,2,name,") && says("firms.csv,3,in_scope,"), "{rejects}");
        assert!(rejects.lines().any(|l| l.starts_with("firms.csv,2,name,") && l.ends_with(",bad_value")), "{rejects}");
        assert!(rejects.lines().any(|l| l.starts_with("firms.csv,3,in_scope,") && l.ends_with(",bad_value")));
        assert!(rejects.contains(&format!("firms.csv,5,uscc,{key5}\\0,")), "the key is shown escaped: {rejects}");
        assert!(
            rejects
                .lines()
                .any(|l| l.starts_with(&format!("accidents.csv,{},deaths,{acc_key},", acc_idx + 1)) && l.contains(nul)),
            "{rejects}"
        );
    }
}

/// Sends `signal` (`TERM`, `INT`, `HUP`) to the process.
fn kill(signal: &str, pid: u32) {
    let status = Command::new("kill").args([format!("-{signal}"), pid.to_string()]).status().expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid}");
}

#[test]
fn a_run_stopped_by_a_signal_removes_its_temporaries_and_replaces_nothing() {
    for signal in ["TERM", "INT", "HUP"] {
        let dir = workdir(&format!("signal-{signal}"));
        first_run(&dir, &[]);
        let before = snapshot(&dir, &OUTPUTS);
        let (mut child, pipe, _) = held_run(&dir, &[]);
        // The run has staged its outputs, the manifest last, and waits for rows.
        let staged = || leftovers(&dir.join("out")).iter().any(|f| f.contains("manifest.json.tmp."));
        wait_until("the temporaries", staged);
        kill(signal, child.id());
        let status = wait_for_exit(&mut child);
        drop(pipe);
        assert!(!status.success() && status.code() != Some(0), "{signal}: {status:?}: {}", stderr_of(&dir));
        assert!(leftovers(&dir).is_empty(), "{signal}: {:?}", leftovers(&dir));
        assert!(snapshot(&dir, &OUTPUTS) == before, "{signal}: the earlier outputs were touched");
    }
}
