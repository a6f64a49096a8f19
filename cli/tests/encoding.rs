//! Input encodings: GB18030 (GBK) CSV read as it is, detected from the
//! whole file, with the original file's line numbers and hashes; files
//! that are neither UTF-8 nor GB18030, or mix the two, refused before any
//! output; GB18030 output.

mod common;

use std::path::Path;

use common::{golden_dir, read, safegrade, score_args};
use encoding_rs::GB18030;

const FILES: [&str; 4] = ["firms.csv", "accidents.csv", "penalties.csv", "hidden_dangers.csv"];

/// Rewrites a UTF-8 file of `dir` as GB18030.
fn to_gbk(dir: &Path, name: &str) {
    let text = String::from_utf8(read(&dir.join(name))).expect("UTF-8");
    std::fs::write(dir.join(name), GB18030.encode(&text).0).expect("written");
}

fn out(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (read(&dir.join("results.csv")), read(&dir.join("rejects.csv")))
}

#[test]
fn the_sample_in_gb18030_gives_the_same_bytes_as_in_utf8() {
    let utf8 = golden_dir("encoding", "utf8");
    let (code, _, err) = safegrade(&utf8, &score_args("firms.csv", &["--out", "results.csv"]));
    assert!(code == 0 || code == 3, "{err}");
    let gbk = golden_dir("encoding", "gbk");
    for f in FILES {
        to_gbk(&gbk, f);
    }
    let (code2, _, err2) =
        safegrade(&gbk, &score_args("firms.csv", &["--out", "results.csv", "--summary", "summary.json"]));
    assert_eq!(code, code2, "{err2}");
    assert_eq!(out(&utf8), out(&gbk));
    for f in FILES {
        assert!(err2.contains(&format!("note: {f}: read as GB18030 (it is not UTF-8)")), "{err2}");
    }
    let summary = String::from_utf8(read(&gbk.join("summary.json"))).expect("UTF-8");
    assert_eq!(summary.matches("\"encoding\": \"GB18030\"").count(), 4, "{summary}");
    // The manifest hashes the files as they are, and says how they were read.
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&gbk.join("results.csv.manifest.json"))).expect("JSON");
    let firms = &manifest["inputs"][0];
    assert_eq!(firms["encoding"], "GB18030");
    assert_eq!(firms["bytes"].as_u64(), Some(read(&gbk.join("firms.csv")).len() as u64));
    let (code, stdout, err) = safegrade(&gbk, &["verify", "results.csv.manifest.json"]);
    assert_eq!(code, 0, "{stdout}{err}");
    // Read as UTF-8 explicitly, it stops at the first line with Chinese text.
    let (code, _, err) = safegrade(&gbk, &score_args("firms.csv", &["--out", "x.csv", "--encoding", "utf-8"]));
    assert_eq!(code, 2);
    assert!(err.contains(".csv:2: not UTF-8 (byte 0x") && err.contains("save the file as UTF-8"), "{err}");
    // UTF-8 files under --encoding gb18030 are read as GB18030: not what was meant, but not silently:
    // the summary says so.
    let (code, _, err) = safegrade(&utf8, &score_args("firms.csv", &["--out", "y.csv", "--encoding", "gb18030"]));
    assert!(err.contains("read as GB18030") || code == 2, "{err}");
}

/// A firm file whose line 5 holds a byte sequence that is not GB18030.
fn bad_gbk(dir: &Path) {
    let mut bytes = GB18030.encode(&String::from_utf8(read(&dir.join("firms.csv"))).expect("UTF-8")).0.into_owned();
    let line5 = bytes.iter().enumerate().filter(|(_, &b)| b == b'\n').nth(3).map(|(i, _)| i + 1).expect("line 5");
    let comma = line5 + bytes[line5..].iter().position(|&b| b == b',').expect("a comma");
    bytes.insert(comma, 0x81);
    std::fs::write(dir.join("firms.csv"), bytes).expect("written");
}

#[test]
fn a_gbk_file_with_a_bad_sequence_is_refused_naming_its_line() {
    let dir = golden_dir("encoding", "bad");
    for f in &FILES[1..] {
        to_gbk(&dir, f);
    }
    bad_gbk(&dir);
    let (code, _, err) = safegrade(&dir, &score_args("firms.csv", &["--out", "results.csv"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`firms.csv`: neither UTF-8 nor GB18030 (GBK): on line 5, byte 19 of the line, byte 0x81 is not GB18030; the first byte that is not UTF-8 is 0x"), "{err}");
    assert!(!dir.join("results.csv").exists() && !dir.join("rejects.csv").exists());
    // Read as GB18030 by request, the rows before it are read, and it stops at line 5.
    let (code, _, err) = safegrade(&dir, &score_args("firms.csv", &["--out", "results.csv", "--encoding", "gb18030"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("firms.csv:5: not GB18030 (byte 0x81 in column 1)"), "{err}");
    assert!(!err.contains("save the file as UTF-8"), "{err}");
    assert!(!dir.join("results.csv").exists());
}

#[test]
fn a_file_half_utf8_half_gbk_is_refused_not_half_read() {
    let dir = golden_dir("encoding", "mixed");
    let text = String::from_utf8(read(&dir.join("firms.csv"))).expect("UTF-8");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let half = lines.len() / 2;
    let mut bytes = lines[..half].concat().into_bytes();
    bytes.extend_from_slice(&GB18030.encode(&lines[half..].concat()).0);
    std::fs::write(dir.join("firms.csv"), bytes).expect("written");
    let (code, _, err) = safegrade(&dir, &score_args("firms.csv", &["--out", "results.csv"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`firms.csv`: line 2 is UTF-8 text but byte 0x"), "{err}");
    assert!(err.contains(&format!("on line {}, byte", half + 1)), "{err}");
    assert!(err.contains("the file mixes UTF-8 and GB18030 (GBK) text"), "{err}");
    assert!(!dir.join("results.csv").exists() && !dir.join("rejects.csv").exists());
}

#[test]
fn line_numbers_in_rejects_are_the_gbk_files_lines() {
    let dir = golden_dir("encoding", "lines");
    // A quoted field over two lines, a blank line and a CRLF line, then a bad firm.
    let text = String::from_utf8(read(&dir.join("firms.csv"))).expect("UTF-8");
    let mut lines: Vec<String> = text.lines().map(|l| l.to_string()).collect();
    lines[2] = lines[2].replacen(",", ",\"多\n行\",", 1).replacen(",", "", 0);
    lines.insert(3, String::new());
    lines[4].push('\r');
    lines[6] = lines[6].replacen(",0,", ",九,", 1);
    let utf8 = lines.join("\n") + "\n";
    std::fs::write(dir.join("firms.csv"), &utf8).expect("written");
    let (_, _, e1) = safegrade(&dir, &score_args("firms.csv", &["--out", "results.csv"]));
    let first = out(&dir);
    std::fs::write(dir.join("firms.csv"), GB18030.encode(&utf8).0).expect("written");
    let (_, _, e2) = safegrade(&dir, &score_args("firms.csv", &["--out", "results.csv"]));
    assert_eq!(first, out(&dir), "{e1}\n{e2}");
    let rejects = String::from_utf8(first.1).expect("UTF-8");
    assert!(rejects.contains("firms.csv,3,") && rejects.contains("firms.csv,8,"), "{rejects}");
}

#[test]
fn gb18030_output_is_the_utf8_output_encoded() {
    let dir = golden_dir("encoding", "out");
    let (_, _, err) = safegrade(&dir, &score_args("firms.csv", &["--out", "results.csv"]));
    let (results, rejects) = out(&dir);
    let (code, _, err2) = safegrade(
        &dir,
        &score_args("firms.csv", &["--out", "gbk.csv", "--rejects", "gbk-rejects.csv", "--out-encoding", "gb18030"]),
    );
    assert!(code == 0 || code == 3, "{err}{err2}");
    let decode =
        |b: Vec<u8>| GB18030.decode_without_bom_handling_and_without_replacement(&b).expect("GB18030").into_owned();
    let gbk = read(&dir.join("gbk.csv"));
    assert!(std::str::from_utf8(&gbk).is_err(), "Chinese names make it not UTF-8");
    assert_eq!(decode(gbk).as_bytes(), &results[..]);
    assert_eq!(decode(read(&dir.join("gbk-rejects.csv"))).as_bytes(), &rejects[..]);
    let (code, stdout, err) = safegrade(&dir, &["verify", "gbk.csv.manifest.json"]);
    assert_eq!(code, 0, "{stdout}{err}");
    for bad in [&["--out-encoding", "gb18030", "--bom"][..], &["--out-encoding", "gb18030", "--out", "r.jsonl"]] {
        let mut extra = vec!["--out", "z.csv"];
        extra.extend_from_slice(bad);
        let (code, _, err) = safegrade(&dir, &score_args("firms.csv", &extra));
        assert_eq!(code, 2, "{err}");
        assert!(!dir.join("z.csv").exists());
    }
}

#[test]
fn the_shipped_gbk_sample_is_the_sample_and_scores_the_same() {
    let sample = common::root().join("tests/data/sample");
    for f in FILES {
        let utf8 = String::from_utf8(read(&sample.join(f))).expect("UTF-8");
        assert_eq!(GB18030.encode(&utf8).0, read(&sample.join("gbk").join(f)), "{f}: run scripts/sample-formats.sh");
    }
    let dir = common::fresh_dir("encoding", "shipped");
    let run = |from: &Path, out: &str| {
        let list = |l: &str| format!("{l}={}", from.join(format!("{l}.csv")).display());
        let firms = from.join("firms.csv").display().to_string();
        let rules = common::root().join("rules/schemes/hazchem.toml").display().to_string();
        let args =
            ["score", "--rules", &rules, "--firms", &firms, "--list", &list("accidents"), "--list", &list("penalties")];
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        args.extend(["--list".into(), list("hidden_dangers"), "--as-of".into(), "2026-06-30".into()]);
        args.extend(["--carry".into(), "name,sector,region".into(), "--out".into(), out.into()]);
        args.extend(["--rejects".into(), format!("rejects-{out}")]);
        let (code, _, err) = safegrade(&dir, &args);
        assert!(code == 0 || code == 3, "{err}");
        (read(&dir.join(out)), read(&dir.join(format!("rejects-{out}"))))
    };
    assert_eq!(run(&sample, "utf8.csv"), run(&sample.join("gbk"), "gbk.csv"));
}
