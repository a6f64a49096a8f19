//! `safegrade template` through the binary: the files it writes, filled
//! with the bundled sample's rows (by the input names its column guide
//! gives), score exactly as the sample does, with Chinese headers and with
//! names; existing files are replaced only with `--force`.

use std::collections::HashMap;
use std::path::Path;

mod common;

use common::{read, root, safegrade};

/// The rows of a CSV file: header first.
fn rows(path: &Path) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_path(path).expect("readable");
    rdr.records().map(|r| r.expect("a CSV row").iter().map(str::to_string).collect()).collect()
}

/// Writes `target` with the template's header, filled with the rows of
/// `source` (whose header is input names): `names` maps each template
/// column to its name.
fn fill(template: &Path, source: &Path, names: &HashMap<(String, String), String>, file: &str, target: &Path) {
    let header = rows(template).remove(0);
    let src = rows(source);
    let at: HashMap<&str, usize> = src[0].iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
    let cols: Vec<usize> = header
        .iter()
        .map(|h| {
            let name = names.get(&(file.to_string(), h.clone())).unwrap_or_else(|| panic!("`{h}` is in the guide"));
            *at.get(name.as_str()).unwrap_or_else(|| panic!("the sample has `{name}`"))
        })
        .collect();
    let mut w = csv::Writer::from_path(target).expect("writable");
    w.write_record(&header).expect("written");
    for r in &src[1..] {
        w.write_record(cols.iter().map(|&c| r[c].as_str())).expect("written");
    }
    w.flush().expect("flushed");
}

fn score(dir: &Path, firms: &str, lists: &[(&str, String)], out: &str) -> (i32, String) {
    let rules = root().join("rules/schemes/hazchem.toml");
    let mut args: Vec<String> =
        ["score", "--rules", rules.to_str().expect("UTF-8"), "--firms", firms, "--as-of", "2026-06-30"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    for (list, file) in lists {
        args.extend(["--list".to_string(), format!("{list}={file}")]);
    }
    args.extend(["--out".to_string(), out.to_string(), "--rejects".to_string(), format!("{out}.rejects.csv")]);
    let (code, _, err) = safegrade(dir, &args);
    (code, err)
}

#[test]
fn a_template_filled_with_the_samples_rows_scores_as_the_sample() {
    let sample = root().join("tests/data/sample");
    let lists = ["accidents", "penalties", "hidden_dangers"];
    for lang in ["zh", "en"] {
        let dir = common::fresh_dir("template-tests", lang);
        let (code, _, err) = safegrade(
            &dir,
            &[
                "template",
                "--rules",
                &root().join("rules/schemes/hazchem.toml").to_string_lossy(),
                "--lang",
                lang,
                "--out",
                "t/firms.csv",
            ],
        );
        assert_eq!(code, 0, "{err}");
        for f in
            ["firms.csv", "firms.accidents.csv", "firms.penalties.csv", "firms.hidden_dangers.csv", "firms.columns.csv"]
        {
            assert!(dir.join("t").join(f).is_file(), "{f}: {err}");
        }
        // The guide names the input behind each column of each file.
        let guide = rows(&dir.join("t/firms.columns.csv"));
        let names: HashMap<(String, String), String> =
            guide[1..].iter().map(|r| ((r[0].clone(), r[1].clone()), r[2].clone())).collect();
        let firms_file = if lang == "zh" { "企业" } else { "firms" };
        fill(&dir.join("t/firms.csv"), &sample.join("firms.csv"), &names, firms_file, &dir.join("firms.csv"));
        for l in lists {
            let template = dir.join(format!("t/firms.{l}.csv"));
            fill(&template, &sample.join(format!("{l}.csv")), &names, l, &dir.join(format!("{l}.csv")));
        }
        if lang == "zh" {
            let header = rows(&dir.join("firms.csv")).remove(0);
            assert_eq!(header[0], "统一社会信用代码");
            assert!(header.contains(&"二级重大危险源个数".to_string()), "{header:?}");
        }
        let given: Vec<(&str, String)> = lists.iter().map(|l| (*l, format!("{l}.csv"))).collect();
        let (code, err) = score(&dir, "firms.csv", &given, "filled.csv");
        assert_eq!(code, 0, "{err}");
        assert!(!err.contains("ignored"), "a filled template has no column the rules do not read: {err}");
        let original: Vec<(&str, String)> =
            lists.iter().map(|l| (*l, sample.join(format!("{l}.csv")).to_string_lossy().into_owned())).collect();
        let (code, err) = score(&dir, &sample.join("firms.csv").to_string_lossy(), &original, "sample.csv");
        assert_eq!(code, 0, "{err}");
        assert!(
            read(&dir.join("filled.csv")) == read(&dir.join("sample.csv")),
            "{lang}: the filled template scores differently from the sample"
        );
    }
}

#[test]
fn a_template_replaces_files_only_when_forced() {
    let dir = common::fresh_dir("template-tests", "force");
    let rules = root().join("rules/lec.toml");
    let rules = rules.to_string_lossy();
    let args = ["template", "--rules", &rules, "--lang", "en", "--out", "lec.csv"];
    let (code, _, err) = safegrade(&dir, &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(String::from_utf8(read(&dir.join("lec.csv"))).expect("UTF-8"), "uscc,l,e,c\n");
    let (code, _, err) = safegrade(&dir, &args);
    assert_eq!(code, 2);
    assert!(err.contains("already exist: give --force to replace, or another --out"), "{err}");
    let (code, _, err) = safegrade(&dir, &[&args[..], &["--force"]].concat());
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = safegrade(&dir, &["template", "--rules", &rules, "--out", "lec.txt"]);
    assert_eq!(code, 2);
    assert!(err.contains("--out `lec.txt`: name a .csv file"), "{err}");
}
