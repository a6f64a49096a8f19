//! The audit guarantees of `safegrade score`, through the binary:
//! the manifest written beside the results, `safegrade verify` finding a
//! changed input or output, crash-safe writing (a failed run leaves the
//! previous results whole and no temporary files), and byte-identical
//! output from a second run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{read, root, safegrade, score_args};

/// A fresh directory holding a copy of the golden sample's input files.
fn workdir(name: &str) -> PathBuf {
    common::golden_dir("audit-tests", name)
}

/// Scores the golden sample in `dir` with `--explain` and `extra`.
fn score(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    safegrade(dir, &score_args("firms.csv", &[&["--explain"], extra].concat()))
}

/// Files in `dir` whose names mark them as temporaries.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("listable")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect()
}

#[test]
fn score_writes_a_manifest_and_verify_finds_it_identical() {
    let dir = workdir("identical");
    let (code, _, err) = score(&dir, &["--out", "out/results.csv", "--summary", "out/summary.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("manifest: out/results.csv.manifest.json"), "{err}");
    let m: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("out/results.csv.manifest.json"))).expect("a JSON manifest");
    assert_eq!(m["as_of"], "2026-06-30");
    assert_eq!(m["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["options"]["firms"], "../firms.csv", "paths are relative to the manifest");
    assert_eq!(m["options"]["out"], "results.csv");
    assert_eq!(m["inputs"].as_array().map(Vec::len), Some(4));
    assert_eq!(m["counts"]["firms"]["rows"], 50);
    assert_eq!(m["rules"]["kind"], "scheme");
    assert_eq!(m["rules"]["steps"].as_array().map(Vec::len), Some(4));
    let n_rule_files = m["rules"]["files"].as_array().map_or(0, Vec::len);
    assert!(n_rule_files >= 5, "the scheme and every step's file: {n_rule_files}");
    assert_eq!(m["command"][1], "score");
    assert!(temporaries(&dir.join("out")).is_empty());

    let (code, out, err) = safegrade(&dir, &["verify", "out/results.csv.manifest.json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("identical"), "{out}");
}

#[test]
fn verify_detects_a_changed_input() {
    let dir = workdir("changed-input");
    let (code, _, err) = score(&dir, &["--out", "results.csv"]);
    assert_eq!(code, 0, "{err}");
    // One accident more for the first firm that has none.
    let mut acc = String::from_utf8(read(&dir.join("accidents.csv"))).expect("UTF-8");
    let firms = String::from_utf8(read(&dir.join("firms.csv"))).expect("UTF-8");
    let key = firms.lines().nth(1).and_then(|l| l.split(',').next()).expect("a key");
    acc.push_str(&format!("{key},2026-09,2026-03-01,3,0,500,否,否,,是\n"));
    std::fs::write(dir.join("accidents.csv"), acc).expect("written");

    let (code, out, err) = safegrade(&dir, &["verify", "results.csv.manifest.json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("list file (accidents) `accidents.csv` changed: sha256"), "{out}");
    assert!(
        out.contains("counts differ: list `accidents` rows 13 = 13 attached + 0 rejected recorded, 14 = 14 + 0 now"),
        "{out}"
    );
    assert!(
        out.contains("results: a fresh run differs from the recorded `results.csv`; first difference at line 2"),
        "{out}"
    );
    assert!(!out.contains("counts differ: firm rows"), "the firm counts are equal: {out}");
}

#[test]
fn verify_detects_a_changed_output() {
    let dir = workdir("changed-output");
    let (code, _, err) = score(&dir, &["--out", "results.csv"]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(read(&dir.join("results.csv"))).expect("UTF-8");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[3] = lines[3].replacen(",blue,", ",red,", 1);
    std::fs::write(dir.join("results.csv"), lines.join("\n") + "\n").expect("written");

    let (code, out, err) = safegrade(&dir, &["verify", "results.csv.manifest.json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("results `results.csv` was changed after the run"), "{out}");
    assert!(out.contains("first difference at line 4"), "{out}");
    assert!(!out.contains("fresh run differs"), "the re-score itself agrees with the record: {out}");
}

#[test]
fn verify_of_a_missing_manifest_is_an_error() {
    let dir = workdir("no-manifest");
    let (code, _, err) = safegrade(&dir, &["verify", "nothing.manifest.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read `nothing.manifest.json`"), "{err}");
}

#[test]
fn a_second_run_gives_byte_identical_files() {
    let dir = workdir("twice");
    let files = ["results.csv", "rejects.csv", "summary.json", "results.csv.manifest.json"];
    let (code, _, err) = score(&dir, &["--out", "results.csv", "--summary", "summary.json", "--threads", "1"]);
    assert_eq!(code, 0, "{err}");
    let first: Vec<Vec<u8>> = files.iter().map(|f| read(&dir.join(f))).collect();
    let (code, _, err) =
        score(&dir, &["--out", "results.csv", "--summary", "summary.json", "--threads", "2", "--chunk-size", "7"]);
    assert_eq!(code, 0, "{err}");
    for (f, before) in files.iter().zip(&first) {
        assert!(read(&dir.join(f)) == *before, "{f} differs between two runs");
    }
}

#[test]
fn a_failed_run_leaves_the_previous_results_whole() {
    let dir = workdir("crash");
    let (code, _, err) = score(&dir, &["--out", "results.csv", "--report", "report.html"]);
    assert_eq!(code, 0, "{err}");
    let before: Vec<Vec<u8>> =
        ["results.csv", "rejects.csv", "results.csv.manifest.json"].iter().map(|f| read(&dir.join(f))).collect();
    // A GBK line near the end of the firm file, read as UTF-8, stops the
    // run after many results have been written.
    let mut firms = read(&dir.join("firms.csv"));
    firms.extend_from_slice(b"91110108MA00000070,\xCB\xD5\xD6\xDD,x,y\n");
    std::fs::write(dir.join("firms.csv"), firms).expect("written");
    let args = ["--out", "results.csv", "--report", "report.html", "--chunk-size", "8", "--encoding", "utf-8"];
    let (code, _, err) = score(&dir, &args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("firms.csv:52: not UTF-8"), "{err}");
    let after: Vec<Vec<u8>> =
        ["results.csv", "rejects.csv", "results.csv.manifest.json"].iter().map(|f| read(&dir.join(f))).collect();
    assert!(after == before, "the earlier run's files were touched");
    assert!(temporaries(&dir).is_empty(), "temporaries left: {:?}", temporaries(&dir));
}

#[test]
fn an_output_on_an_input_or_on_another_output_is_refused() {
    let dir = workdir("clash");
    let firms = read(&dir.join("firms.csv"));
    for (extra, says) in [
        (&["--out", "firms.csv"][..], "--out `firms.csv` is the --firms file"),
        (
            &["--out", "r.csv", "--manifest", "./accidents.csv"][..],
            "the manifest `./accidents.csv` is the --list accidents file",
        ),
        (&["--out", "r.csv", "--report", "r.csv"][..], "--report `r.csv` and --out `r.csv` are the same file"),
        (&["--out", "r.csv", "--rejects", "r.csv"][..], "--rejects `r.csv` and --out `r.csv` are the same file"),
    ] {
        let (code, _, err) = score(&dir, extra);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains(says), "{extra:?}: {err}");
    }
    assert!(read(&dir.join("firms.csv")) == firms, "the firm file was touched");
    // A rule file that a compare's scheme includes is an input too.
    let rules = dir.join("rules");
    std::fs::create_dir_all(rules.join("schemes")).expect("a folder");
    for f in std::fs::read_dir(root().join("rules")).expect("listable").filter_map(|e| e.ok()) {
        if f.path().is_file() {
            std::fs::copy(f.path(), rules.join(f.file_name())).expect("copied");
        }
    }
    std::fs::copy(root().join("rules/schemes/hazchem.toml"), rules.join("schemes/hazchem.toml")).expect("copied");
    let blacklist = read(&rules.join("blacklist-2023.toml"));
    let scheme = "rules/schemes/hazchem.toml";
    let args = ["compare", "--rules", scheme, "--against", scheme, "--firms", "firms.csv", "--as-of", "2026-06-30"];
    let (code, _, err) = safegrade(&dir, &[&args[..], &["--summary", "rules/blacklist-2023.toml"]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is the rule file"), "{err}");
    assert!(read(&rules.join("blacklist-2023.toml")) == blacklist, "the rule file was touched");
    assert!(!dir.join("r.csv").exists() && temporaries(&dir).is_empty());
}

/// Runs the binary in `dir` and kills it after `secs` seconds:
/// (exit code, stdout, stderr), the code `None` when it had to be killed.
fn safegrade_within(dir: &Path, args: &[&str], secs: u64) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_safegrade"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let deadline = Instant::now() + Duration::from_secs(secs);
    let killed = loop {
        if child.try_wait().expect("waitable").is_some() {
            break false;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break true;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().expect("finishes");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (if killed { None } else { out.status.code() }, text(out.stdout), text(out.stderr))
}

/// The manifest in `dir` as JSON, edited by `edit` and written back.
fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("results.csv.manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&read(&path)).expect("a JSON manifest");
    edit(&mut m);
    std::fs::write(&path, serde_json::to_vec_pretty(&m).expect("JSON")).expect("written");
}

fn verify(dir: &Path) -> (i32, String) {
    let (code, out, err) = safegrade(dir, &["verify", "results.csv.manifest.json"]);
    (code, format!("{out}{err}"))
}

#[test]
fn the_manifest_records_the_summary_and_the_report() {
    let dir = workdir("summary-report");
    let (code, _, err) = score(&dir, &["--out", "results.csv", "--summary", "s.json", "--report", "r.html"]);
    assert_eq!(code, 0, "{err}");
    let m: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("results.csv.manifest.json"))).expect("a JSON manifest");
    assert_eq!(m["outputs"]["summary"]["path"], "s.json");
    assert_eq!(m["outputs"]["report"]["path"], "r.html");
    assert_eq!(m["outputs"]["summary"]["bytes"].as_u64(), Some(read(&dir.join("s.json")).len() as u64));
    let command: Vec<&str> = m["command"].as_array().expect("a list").iter().filter_map(|a| a.as_str()).collect();
    assert!(command.windows(2).any(|w| w == ["--summary", "s.json"]), "{command:?}");
    assert!(command.windows(2).any(|w| w == ["--report", "r.html"]), "{command:?}");
    let (code, out) = verify(&dir);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn verify_detects_a_changed_summary_or_report() {
    let dir = workdir("changed-summary");
    let (code, _, err) = score(&dir, &["--out", "results.csv", "--summary", "s.json", "--report", "r.html"]);
    assert_eq!(code, 0, "{err}");
    let summary = String::from_utf8(read(&dir.join("s.json"))).expect("UTF-8");
    let edited = summary.replacen("\"rows\": 50", "\"rows\": 49", 1);
    assert_ne!(summary, edited, "the summary counts 50 firm rows");
    std::fs::write(dir.join("s.json"), edited).expect("written");
    let (code, out) = verify(&dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("summary `s.json` was changed after the run"), "{out}");
    assert!(out.contains("first difference at line"), "{out}");
    assert!(out.contains("1 difference"), "only the summary differs: {out}");

    std::fs::write(dir.join("s.json"), summary).expect("written back");
    let mut report = read(&dir.join("r.html"));
    report.extend_from_slice(b"<!-- edited -->");
    std::fs::write(dir.join("r.html"), report).expect("written");
    let (code, out) = verify(&dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("report `r.html` was changed after the run"), "{out}");
    assert!(out.contains("1 difference"), "only the report differs: {out}");

    std::fs::remove_file(dir.join("r.html")).expect("removed");
    let (code, out) = verify(&dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("report `r.html`: missing"), "{out}");
}

#[test]
fn verify_checks_the_manifests_own_fields() {
    let dir = workdir("edited-manifest");
    let (code, _, err) = score(&dir, &["--out", "results.csv"]);
    assert_eq!(code, 0, "{err}");

    // The command: another as-of date than the one recorded and re-run.
    edit_manifest(&dir, |m| {
        let c = m["command"].as_array_mut().expect("a list");
        let at = c.iter().position(|a| a == "--as-of").expect("--as-of") + 1;
        c[at] = "2020-01-01".into();
    });
    let (code, out) = verify(&dir);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the manifest's command does not match its options: argument")
            && out.contains("is `2020-01-01` in the command, `2026-06-30` from the options"),
        "{out}"
    );
    assert!(out.contains("the manifest disagrees with itself: not re-scored"), "{out}");
    assert!(out.contains("2 differences"), "{out}");

    // The inputs: a list entry renamed, its file and hash left as they were.
    let (code, _, err) = score(&dir, &["--out", "results.csv"]);
    assert_eq!(code, 0, "{err}");
    edit_manifest(&dir, |m| m["inputs"][1]["list"] = "penalties".into());
    let (code, out) = verify(&dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the manifest's inputs do not match its options"), "{out}");
    assert!(out.contains("penalties=../accidents.csv") || out.contains("penalties=accidents.csv"), "{out}");

    // A recorded length that the file does not have.
    let (code, _, err) = score(&dir, &["--out", "results.csv"]);
    assert_eq!(code, 0, "{err}");
    edit_manifest(&dir, |m| m["inputs"][0]["bytes"] = 1.into());
    let (code, out) = verify(&dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("firm file `firms.csv`: 1 bytes recorded"), "{out}");

    // A rule file dropped from the record.
    let (code, _, err) = score(&dir, &["--out", "results.csv"]);
    assert_eq!(code, 0, "{err}");
    edit_manifest(&dir, |m| {
        m["rules"]["files"].as_array_mut().expect("a list").pop();
    });
    let (code, out) = verify(&dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("read now, not in the record"), "{out}");
}

#[test]
fn verify_never_reads_a_special_file() {
    let dir = workdir("special");
    let (code, _, err) = score(&dir, &["--out", "results.csv"]);
    assert_eq!(code, 0, "{err}");
    edit_manifest(&dir, |m| {
        m["inputs"][1]["path"] = "/dev/zero".into();
        m["options"]["lists"][0]["file"] = "/dev/zero".into();
    });
    let (code, out, err) = safegrade_within(&dir, &["verify", "results.csv.manifest.json"], 60);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("`/dev/zero` is not a regular file"), "{out}");
    assert!(out.contains("not re-scored"), "{out}");

    let (code, _, err) = safegrade_within(&dir, &["verify", "/dev/zero"], 60);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`/dev/zero` is not a regular file"), "{err}");

    // A named pipe with no writer: opening it would wait for ever.
    let made = Command::new("mkfifo").arg(dir.join("pipe")).status().expect("mkfifo runs");
    assert!(made.success());
    let (code, _, err) = safegrade_within(&dir, &["verify", "pipe"], 60);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`pipe` is not a regular file"), "{err}");
    let (code, _, err) = score(&dir, &["--out", "results.csv"]);
    assert_eq!(code, 0, "{err}");
    edit_manifest(&dir, |m| m["outputs"]["rejects"]["path"] = "pipe".into());
    edit_manifest(&dir, |m| m["options"]["rejects"] = "pipe".into());
    edit_manifest(&dir, |m| {
        let c = m["command"].as_array_mut().expect("a list");
        let at = c.iter().position(|a| a == "--rejects").expect("--rejects") + 1;
        c[at] = "pipe".into();
    });
    let (code, out, err) = safegrade_within(&dir, &["verify", "results.csv.manifest.json"], 60);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("rejects `pipe`") && out.contains("is not a regular file"), "{out}");
}

#[test]
fn verify_from_another_folder_reproduces_rejects_that_name_their_files() {
    let dir = workdir("rejects-elsewhere");
    let mut firms = read(&dir.join("firms.csv"));
    let header = String::from_utf8(firms.clone()).expect("UTF-8").lines().next().expect("a header").to_string();
    let cells: Vec<&str> = header.split(',').map(|_| "").collect();
    firms.extend_from_slice(format!("91110108MA00000070{}\n", cells[1..].join(",x")).as_bytes());
    std::fs::write(dir.join("firms.csv"), firms).expect("written");
    let (code, _, err) = score(&dir, &["--out", "out/results.csv", "--summary", "out/summary.json"]);
    assert_eq!(code, 3, "the bad row is rejected: {err}");
    let rejects = String::from_utf8(read(&dir.join("out/rejects.csv"))).expect("UTF-8");
    assert!(rejects.lines().nth(1).is_some_and(|l| l.starts_with("firms.csv,52,")), "{rejects}");

    let parent = dir.parent().expect("a parent");
    let (code, out, err) = safegrade(parent, &["verify", "rejects-elsewhere/out/results.csv.manifest.json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("identical"), "{out}");
}

#[test]
fn a_rules_root_is_recorded_and_verify_reloads_within_it() {
    let dir = workdir("rules-root");
    // The scheme two folders below its steps: outside its default root.
    let rules = dir.join("rules");
    std::fs::create_dir_all(rules.join("schemes/deep")).expect("a folder");
    for f in std::fs::read_dir(root().join("rules")).expect("listable").filter_map(|e| e.ok()) {
        if f.path().is_file() {
            std::fs::copy(f.path(), rules.join(f.file_name())).expect("copied");
        }
    }
    let scheme = String::from_utf8(read(&root().join("rules/schemes/hazchem.toml"))).expect("UTF-8");
    std::fs::write(rules.join("schemes/deep/hazchem.toml"), scheme.replace("\"../", "\"../../")).expect("written");
    let args = |extra: &[&'static str]| {
        let mut a = vec!["score", "--rules", "rules/schemes/deep/hazchem.toml", "--firms", "firms.csv"];
        a.extend(["--list", "accidents=accidents.csv", "--as-of", "2026-06-30", "--out", "out/results.csv"]);
        a.extend(["--carry", "name,sector,region"]);
        a.extend_from_slice(extra);
        a
    };
    let (code, _, err) = safegrade(&dir, &args(&[]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("R0008"), "the steps lie outside the scheme's default root: {err}");

    let (code, _, err) = safegrade(&dir, &args(&["--rules-root", "rules"]));
    assert_eq!(code, 0, "{err}");
    let m: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("out/results.csv.manifest.json"))).expect("a JSON manifest");
    assert_eq!(m["options"]["rules_root"], "../rules");
    let command: Vec<&str> = m["command"].as_array().expect("a list").iter().filter_map(|a| a.as_str()).collect();
    assert!(command.windows(2).any(|w| w == ["--rules-root", "../rules"]), "{command:?}");
    let (code, out, err) = safegrade(&dir, &["verify", "out/results.csv.manifest.json"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn the_manifest_lists_the_columns_ignored_and_verify_reads_format_2() {
    let dir = workdir("ignored-columns");
    // The firm file with three columns no rule reads.
    let firms = String::from_utf8(read(&dir.join("firms.csv"))).expect("UTF-8");
    let wide: String = firms
        .lines()
        .enumerate()
        .map(|(i, l)| if i == 0 { format!("{l},address,法定代表人,phone\n") } else { format!("{l},x,张三,1\n") })
        .collect();
    std::fs::write(dir.join("wide.csv"), wide).expect("written");
    let args = score_args(
        "wide.csv",
        &["--out", "results.csv", "--summary", "s.json", "--report", "r.html", "--ignore", "phone"],
    );
    let (code, _, err) = safegrade(&dir, &args);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("note: wide.csv: 3 columns not read by the rules, ignored: address, 法定代表人, phone"),
        "{err}"
    );
    let m: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("results.csv.manifest.json"))).expect("a JSON manifest");
    assert_eq!(m["manifest"], 4);
    assert_eq!(m["inputs"][0]["encoding"], "UTF-8");
    assert_eq!(m["inputs"][0]["ignored_columns"], serde_json::json!(["address", "法定代表人", "phone"]));
    assert_eq!(m["inputs"][1]["ignored_columns"], serde_json::json!([]));
    assert_eq!(m["options"]["ignore"], serde_json::json!(["phone"]));
    assert_eq!(m["options"]["strict"], false);
    let command: Vec<&str> = m["command"].as_array().expect("a list").iter().filter_map(|a| a.as_str()).collect();
    assert!(command.windows(2).any(|w| w == ["--ignore", "phone"]), "{command:?}");
    let summary: serde_json::Value = serde_json::from_slice(&read(&dir.join("s.json"))).expect("a JSON summary");
    assert_eq!(summary["firms"]["ignored_columns"], serde_json::json!(["address", "法定代表人", "phone"]));
    assert!(summary["lists"][0].get("ignored_columns").is_none(), "listed only when there are some");
    let report = String::from_utf8(read(&dir.join("r.html"))).expect("UTF-8");
    assert!(
        report.contains("Columns ignored") && report.contains("address, 法定代表人, phone"),
        "the report lists them"
    );
    let (code, out) = verify(&dir);
    assert_eq!(code, 0, "{out}");

    // A manifest of format 2 (no ignored columns, no --ignore or --strict):
    // every column was read then, and a re-run reproduces the run.
    let dir = workdir("format-2");
    let (code, _, err) = score(&dir, &["--out", "results.csv", "--summary", "s.json"]);
    assert_eq!(code, 0, "{err}");
    edit_manifest(&dir, |m| {
        m["manifest"] = 2.into();
        let options = m["options"].as_object_mut().expect("options");
        options.remove("ignore");
        options.remove("strict");
        for input in m["inputs"].as_array_mut().expect("inputs") {
            input.as_object_mut().expect("an input").remove("ignored_columns");
        }
    });
    let (code, out) = verify(&dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("identical"), "{out}");
    // A strict run is recorded as one.
    let (code, _, err) = score(&dir, &["--out", "results.csv", "--strict"]);
    assert_eq!(code, 0, "{err}");
    let m: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("results.csv.manifest.json"))).expect("a JSON manifest");
    assert_eq!(m["options"]["strict"], true);
    assert!(m["command"].as_array().expect("a list").iter().any(|a| a == "--strict"));
    let (code, out) = verify(&dir);
    assert_eq!(code, 0, "{out}");
}
