//! Golden tests of the `safegrade` binary: what a user sees on stdout and
//! stderr, and the exit code, for `check`, `test` and `eval`. Expected
//! outputs live in `tests/data/cli/NAME.out`; `UPDATE_EXPECT=1` rewrites them.

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("a parent").to_path_buf()
}

/// Runs the binary in the workspace root and renders the outcome as text.
fn run(args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_safegrade"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(input) = stdin {
        use std::io::Write;
        // The binary may exit before reading stdin (a bad flag): a broken pipe is fine.
        let _ = child.stdin.take().expect("stdin").write_all(input.as_bytes());
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("finishes");
    format!(
        "$ safegrade {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        out.status.code().map_or("signal".into(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[track_caller]
fn check(name: &str, args: &[&str], stdin: Option<&str>) {
    let actual = run(args, stdin);
    let path = root().join("tests/data/cli").join(format!("{name}.out"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &actual).expect("writable");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{name} differs (UPDATE_EXPECT=1 to accept)\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

#[test]
fn check_clean_file() {
    check("check_clean", &["check", "rules/lec.toml"], None);
}

#[test]
fn check_reports_every_error_with_snippets() {
    check("check_errors", &["check", "tests/data/check/err/names_and_types.toml"], None);
}

#[test]
fn check_json_format() {
    check("check_json", &["check", "--format", "json", "tests/data/check/err/bands.toml"], None);
}

#[test]
fn check_unreadable_file() {
    check("check_missing_file", &["check", "no/such/file.toml"], None);
}

#[test]
fn check_a_folder_without_rule_files() {
    check("check_empty_folder", &["check", "tests/data/batch/golden"], None);
}

#[test]
fn test_runs_embedded_cases() {
    check("test_lec", &["test", "rules/lec.toml"], None);
}

#[test]
fn test_reports_a_diff_on_failure() {
    check("test_failing", &["test", "tests/data/cli/failing.toml"], None);
}

#[test]
fn eval_from_a_file() {
    check(
        "eval_file",
        &[
            "eval",
            "--rules",
            "rules/accident-severity.toml",
            "--input",
            "tests/data/cli/accident.json",
            "--as-of",
            "2026-11-29",
        ],
        None,
    );
}

#[test]
fn eval_from_stdin() {
    check(
        "eval_stdin",
        &["eval", "--rules", "rules/lec.toml", "--input", "-", "--as-of", "2026-11-29"],
        Some(r#"{"l": 6, "e": 6, "c": 7}"#),
    );
}

#[test]
fn eval_warns_of_records_after_the_as_of_date() {
    check(
        "eval_future_dates",
        &["eval", "--rules", "tests/data/cli/future_dates.toml", "--input", "-", "--as-of", "2026-11-29"],
        Some(r#"{"inspections": [{"date": "2026-12-03"}, {"date": "2026-03-01", "due": "2027-01-31"}]}"#),
    );
}

#[test]
fn eval_input_errors() {
    check(
        "eval_input_errors",
        &["eval", "--rules", "rules/lec.toml", "--input", "-", "--as-of", "2026-11-29"],
        Some(r#"{"l": 4, "e": "often", "cc": 7}"#),
    );
}

#[test]
fn eval_bad_json_and_bad_date() {
    check(
        "eval_bad_json",
        &["eval", "--rules", "rules/lec.toml", "--input", "-", "--as-of", "2026-11-29"],
        Some("{\"l\": 6,"),
    );
    check("eval_bad_date", &["eval", "--rules", "rules/lec.toml", "--input", "-", "--as-of", "2026-02-30"], Some("{}"));
    check(
        "eval_duplicate_key",
        &["eval", "--rules", "rules/lec.toml", "--input", "-", "--as-of", "2026-11-29"],
        Some("{\"l\": 6,\n \"l\": 1}"),
    );
    check("eval_short_year", &["eval", "--rules", "rules/lec.toml", "--input", "-", "--as-of", "26-11-29"], Some("{}"));
}

#[test]
fn eval_defaults_to_today() {
    let out = run(&["eval", "--rules", "rules/lec.toml", "--input", "-"], Some(r#"{"l": 1, "e": 1, "c": 1}"#));
    let today = chrono::Local::now().date_naive().format("%Y-%m-%d").to_string();
    assert!(out.contains(&format!("\"as_of\": \"{today}\"")), "{out}");
}
