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

/// `check` for a `score` run: its results on stdout, its rejects in
/// `target/cli-golden/`, and the timing line of its summary masked.
#[track_caller]
fn check_score(name: &str, args: &[&str]) {
    let dir = root().join("target/cli-golden");
    std::fs::create_dir_all(&dir).expect("a folder for the rejects");
    let rejects = format!("target/cli-golden/{name}.rejects.csv");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--as-of", "2026-06-30", "--rejects", &rejects]);
    let actual: String = run(&all, None)
        .lines()
        .map(|l| match l.split_once(" s, ") {
            Some((secs, rest)) if secs.parse::<f64>().is_ok() && rest.contains("firms/s") => {
                "TIME s, N firms/s, N rows/s (firm and list rows)\n".to_string()
            }
            _ => format!("{l}\n"),
        })
        .collect();
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
fn score_ignores_an_exports_unrelated_columns_and_lists_them() {
    // 30 columns no rule reads, among the inputs of the hazchem scheme.
    check_score(
        "score_export",
        &["score", "--rules", "rules/schemes/hazchem.toml", "--firms", "tests/data/cli/export_firms.csv"],
    );
    // A strict run refuses the first.
    check_score(
        "score_export_strict",
        &["score", "--rules", "rules/schemes/hazchem.toml", "--firms", "tests/data/cli/export_firms.csv", "--strict"],
    );
}

#[test]
fn score_stops_at_a_misspelt_input() {
    check_score(
        "score_typo",
        &["score", "--rules", "rules/schemes/hazchem.toml", "--firms", "tests/data/cli/typo_firms.csv"],
    );
}

#[test]
fn score_adds_the_flags_that_help_to_a_batch_error() {
    let export = ["score", "--rules", "rules/schemes/hazchem.toml", "--firms", "tests/data/cli/export_firms.csv"];
    check_score("score_by_not_carried", &[&export[..], &["--by", "企业名称"]].concat());
    check_score(
        "score_unknown_list",
        &[&export[..], &["--list", "incidents=tests/data/cli/zh_key_accidents.csv"]].concat(),
    );
    check_score(
        "score_not_sorted",
        &[
            "score",
            "--rules",
            "rules/hazchem-risk-2018.toml",
            "--firms",
            "tests/data/cli/unsorted_firms.csv",
            "--sorted",
        ],
    );
}

#[test]
fn score_finds_the_key_headed_in_chinese() {
    check_score(
        "score_zh_key",
        &[
            "score",
            "--rules",
            "rules/hazchem-risk-2018.toml",
            "--firms",
            "tests/data/cli/zh_key_firms.csv",
            "--list",
            "accidents=tests/data/cli/zh_key_accidents.csv",
            "--carry",
            "name",
        ],
    );
}

#[test]
fn eval_prints_text_for_people_in_chinese_and_english() {
    for lang in ["zh", "en"] {
        check(
            &format!("eval_text_scheme_{lang}"),
            &[
                "eval",
                "--rules",
                "rules/schemes/hazchem.toml",
                "--input",
                "tests/data/cli/hazchem_firm.json",
                "--as-of",
                "2024-06-30",
                "--format",
                "text",
                "--lang",
                lang,
            ],
            None,
        );
        check(
            &format!("eval_text_overrides_{lang}"),
            &[
                "eval",
                "--rules",
                "rules/credit-rating.toml",
                "--input",
                "tests/data/cli/credit_firm.json",
                "--as-of",
                "2024-06-30",
                "--format",
                "text",
                "--lang",
                lang,
            ],
            None,
        );
    }
    // Only an item that cannot be fixed reaches the next grade: the plan says so.
    for lang in ["zh", "en"] {
        check(
            &format!("eval_text_unfixable_{lang}"),
            &[
                "eval",
                "--rules",
                "rules/credit-rating.toml",
                "--input",
                "tests/data/cli/credit_unfixable_firm.json",
                "--as-of",
                "2026-11-29",
                "--format",
                "text",
                "--lang",
                lang,
            ],
            None,
        );
    }
    // A rule file with no English falls back to its Chinese labels.
    check(
        "eval_text_no_english",
        &[
            "eval",
            "--rules",
            "tests/data/cli/failing.toml",
            "--input",
            "-",
            "--as-of",
            "2026-11-29",
            "--format",
            "text",
            "--lang",
            "en",
        ],
        Some(r#"{"n": 3}"#),
    );
    // Not a terminal: JSON, the contract, unless text is asked for.
    let json = run(
        &["eval", "--rules", "rules/lec.toml", "--input", "-", "--as-of", "2026-11-29"],
        Some(r#"{"l": 6, "e": 6, "c": 7}"#),
    );
    let asked = run(
        &["eval", "--rules", "rules/lec.toml", "--input", "-", "--as-of", "2026-11-29", "--format", "json"],
        Some(r#"{"l": 6, "e": 6, "c": 7}"#),
    );
    assert_eq!(json.split_once('\n').map(|p| p.1), asked.split_once('\n').map(|p| p.1));
    assert!(json.contains("\"score\": \"252\""), "{json}");
}

#[test]
fn completions_and_manual_pages_come_from_the_command_definitions() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef safegrade"),
        ("fish", "complete -c safegrade"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion"),
    ] {
        let out = run(&["completions", shell], None);
        assert!(out.contains("exit: 0") && out.contains(marker) && out.contains("template"), "{shell}: {out}");
    }
    let out = run(&["completions", "tcsh"], None);
    assert!(out.contains("exit: 2") && out.contains("invalid value 'tcsh'"), "{out}");
    let out = run(&["man"], None);
    assert!(
        out.contains("exit: 0") && out.contains(".TH safegrade 1") && out.contains("safegrade\\-template"),
        "{out}"
    );
    let dir = root().join("target/cli-golden/man");
    let _ = std::fs::remove_dir_all(&dir);
    let out = run(&["man", "--out", "target/cli-golden/man"], None);
    assert!(out.contains("exit: 0"), "{out}");
    for page in
        ["safegrade.1", "safegrade-score.1", "safegrade-eval.1", "safegrade-template.1", "safegrade-completions.1"]
    {
        let text = std::fs::read_to_string(dir.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.starts_with(".ie \\n(.g .ds Aq") || text.contains(".TH"), "{page}");
    }
    assert!(std::fs::read_to_string(dir.join("safegrade-score.1")).expect("a page").contains("\\-\\-strict"));
}
