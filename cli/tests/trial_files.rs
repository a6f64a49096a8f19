//! Special files and links through the binary: every read stops at its
//! documented limit whatever the file is (`/dev/zero` as rules, as an
//! include or scheme step, as firm data on a path or on stdin), and a link
//! inside the rules folder cannot lead an include outside it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;

use common::root;

/// A fresh, empty directory for one test.
fn workdir(name: &str) -> PathBuf {
    common::fresh_dir("trial-files-tests", name)
}

/// Runs the binary in `dir` with `stdin`: (exit code, stdout and stderr together).
fn safegrade(dir: &Path, args: &[&str], stdin: Stdio) -> (i32, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_safegrade")).args(args).current_dir(dir).stdin(stdin).output().expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn zero() -> Stdio {
    Stdio::from(File::open("/dev/zero").expect("/dev/zero"))
}

const RULES_TAIL: &str = "[score]\nbase = \"1\"\n[[grades]]\nid = \"all\"\nlabel = \"all\"\n";

/// A rule set with an id of its own, including `include`.
fn rule_set(id: &str, include: &[&str]) -> String {
    let list: Vec<String> = include.iter().map(|p| format!("{p:?}")).collect();
    format!("[ruleset]\nid = \"{id}\"\nname = \"n\"\nversion = \"1\"\ninclude = [{}]\n{RULES_TAIL}", list.join(", "))
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("a folder");
    std::fs::write(path, text).expect("written");
}

#[test]
fn a_device_as_rules_is_read_up_to_the_rule_file_limit() {
    let dir = workdir("device_rules");
    let (code, out) = safegrade(&dir, &["check", "/dev/zero"], Stdio::null());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot read `/dev/zero`: it holds more than 4 MiB, the limit for a rule file"), "{out}");
    let (code, out) =
        safegrade(&dir, &["eval", "--rules", "/dev/zero", "--input", "-", "--as-of", "2026-01-01"], Stdio::null());
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("it holds more than 4 MiB"), "{out}");
}

#[test]
fn a_device_as_firm_data_is_read_up_to_the_input_limit() {
    let dir = workdir("device_input");
    let lec = root().join("rules/lec.toml");
    let lec = lec.to_str().expect("a UTF-8 path");
    for (input, stdin, name) in [("/dev/zero", Stdio::null(), "/dev/zero"), ("-", zero(), "<stdin>")] {
        let (code, out) = safegrade(&dir, &["eval", "--rules", lec, "--input", input, "--as-of", "2026-01-01"], stdin);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains(&format!("`{name}`: it holds more than 64 MiB, the limit for a firm's data")), "{out}");
    }
}

#[test]
fn a_scheme_step_naming_a_device_is_read_up_to_the_limit() {
    let dir = workdir("device_step");
    let scheme = "[scheme]\nid = \"s\"\nname = \"s\"\nversion = \"1\"\n[[steps]]\nas = \"a\"\nrules = \"/dev/zero\"\n";
    write(&dir.join("schemes/s.toml"), scheme);
    let (code, out) = safegrade(&dir, &["check", "--rules-root", "/", "schemes/s.toml"], Stdio::null());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("R0005") && out.contains("it holds more than 4 MiB"), "{out}");
    // Without the wide root, the step is outside and never opened.
    let (code, out) = safegrade(&dir, &["check", "schemes/s.toml"], Stdio::null());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("R0008") && out.contains("outside the rules root `.`"), "{out}");
}

#[cfg(unix)]
#[test]
fn a_link_cannot_lead_an_include_outside_the_rules_root() {
    let dir = workdir("links");
    write(&dir.join("secret.toml"), &rule_set("secret", &[]));
    write(&dir.join("rules/main.toml"), &rule_set("main", &["leak.toml"]));
    std::os::unix::fs::symlink("../secret.toml", dir.join("rules/leak.toml")).expect("a link");
    let (code, out) = safegrade(&dir, &["check", "rules/main.toml"], Stdio::null());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot read `rules/leak.toml`: a link leads it outside the rules root `rules`"), "{out}");
    // A link to a device is refused the same way, unread.
    std::fs::remove_file(dir.join("rules/leak.toml")).expect("removed");
    std::os::unix::fs::symlink("/dev/zero", dir.join("rules/leak.toml")).expect("a link");
    let (code, out) = safegrade(&dir, &["check", "rules/main.toml"], Stdio::null());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("a link leads it outside the rules root"), "{out}");
    // A link that stays inside is followed.
    std::fs::remove_file(dir.join("rules/leak.toml")).expect("removed");
    write(&dir.join("rules/shared/one.toml"), &rule_set("one", &[]));
    std::os::unix::fs::symlink("shared/one.toml", dir.join("rules/leak.toml")).expect("a link");
    let (code, out) = safegrade(&dir, &["check", "rules/main.toml"], Stdio::null());
    assert_eq!(code, 0, "{out}");
}

#[test]
fn rules_root_widens_where_includes_may_be_read() {
    let dir = workdir("rules_root");
    write(&dir.join("common/one.toml"), &rule_set("one", &[]));
    write(&dir.join("bureau/main.toml"), &rule_set("main", &["../common/one.toml"]));
    let (code, out) = safegrade(&dir, &["check", "bureau/main.toml"], Stdio::null());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[R0008]: include `../common/one.toml` lies outside the rules root `bureau`"), "{out}");
    let (code, out) = safegrade(&dir, &["check", "--rules-root", ".", "bureau/main.toml"], Stdio::null());
    assert_eq!(code, 0, "{out}");
    // A root written absolute, a rule file relative: both are compared as absolute paths.
    let abs = dir.to_str().expect("a UTF-8 path");
    let (code, out) = safegrade(&dir, &["test", "--rules-root", abs, "bureau/main.toml"], Stdio::null());
    assert_eq!(code, 0, "{out}");
}

/// Every line the command line prints shows control characters as escapes:
/// a firm's answer or a test case's name cannot drive the terminal.
#[test]
fn control_characters_from_answers_and_rule_files_reach_no_terminal() {
    let dir = workdir("control_characters");
    let input = dir.join("firm.json");
    write(&input, "{\"standardization\": \"\\u001b]0;owned\\u0007x\"}");
    let rules = root().join("rules/hazchem-risk-2018.toml");
    let args = ["eval", "--rules", rules.to_str().expect("UTF-8"), "--input", "firm.json", "--as-of", "2026-06-30"];
    let (code, out) = safegrade(&dir, &args, Stdio::null());
    assert_eq!(code, 1, "the answer is refused: {out}");
    assert!(out.contains("`\\u{1b}]0;owned\\u{7}x` is not one of the options"), "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");

    let case = "[[tests]]\nname = \"\u{1b}[2J cleared\"\ninput = {}\nexpect = { grade = \"all\" }\n";
    write(&dir.join("r.toml"), &format!("{}{case}", rule_set("r", &[])));
    let (code, out) = safegrade(&dir, &["test", "r.toml"], Stdio::null());
    assert!(out.contains("\\u{1b}[2J cleared"), "exit {code}: {out}");
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

/// Whether a scheme step lies inside the rules root does not depend on how
/// its path is spelled: a step climbing above the working folder and back
/// into the root is read; one leaving the root is refused either way.
#[test]
fn a_steps_place_is_judged_the_same_however_its_path_is_spelled() {
    let dir = workdir("spelling");
    let rules = dir.join("rules");
    for f in std::fs::read_dir(root().join("rules")).expect("listable").filter_map(|e| e.ok()) {
        if f.path().is_file() {
            write(&rules.join(f.file_name()), &std::fs::read_to_string(f.path()).expect("a rule file"));
        }
    }
    let scheme = std::fs::read_to_string(root().join("rules/schemes/hazchem.toml")).expect("the scheme");
    let schemes = rules.join("schemes");
    write(&schemes.join("upin.toml"), &scheme.replace("\"../", "\"../../rules/"));
    write(&schemes.join("out.toml"), &scheme.replace("\"../", "\"../../../"));
    let absolute = schemes.join("upin.toml").to_string_lossy().into_owned();
    for args in [&["check", "upin.toml"][..], &["check", &absolute], &["check", "--rules-root", "..", "upin.toml"]] {
        let (code, out) = safegrade(&schemes, args, Stdio::null());
        assert_eq!(code, 0, "{args:?}: {out}");
    }
    let (code, out) = safegrade(&schemes, &["check", "out.toml"], Stdio::null());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("R0008") && out.contains("lies outside the rules root"), "{out}");
}
