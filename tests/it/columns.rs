//! Columns the rules do not read: ignored and listed, unless a name is
//! close to an input no column gives (a likely typo stops the run), or the
//! run is strict; columns ignored by name; the key headed `统一社会信用代码`.

use std::io::Cursor;

use chrono::NaiveDate;
use safegrade::batch::{BatchConfig, BatchError, BatchErrorKind, ListSource, Source};

use crate::support::{self, BatchRun as Run};

const DINGLI: &str = "91110108MA00000070";
const ACC_HEAD: &str = "uscc,date,deaths,serious_injuries";

fn hazchem() -> safegrade::Rules {
    support::load("rules/schemes/hazchem.toml").rules.expect("the shipped scheme checks")
}

fn cfg() -> BatchConfig {
    BatchConfig::new(NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date"))
}

fn run(cfg: &BatchConfig, firms: &str, lists: &[(&str, &str)]) -> Result<Run, BatchError> {
    let lists = lists
        .iter()
        .map(|(name, text)| ListSource {
            list: name.to_string(),
            source: Source::new(format!("{name}.csv"), Cursor::new(text.as_bytes().to_vec())),
        })
        .collect();
    support::score_sources(&hazchem(), cfg, Source::new("firms.csv", Cursor::new(firms.as_bytes().to_vec())), lists)
}

#[track_caller]
fn fatal(res: Result<Run, BatchError>) -> BatchError {
    match res {
        Ok(r) => panic!("expected a fatal error, got:\n{}\n{}", r.out, r.rejects),
        Err(e) => {
            assert!(!e.to_string().contains("--"), "a library error names no flags: {e}");
            e
        }
    }
}

#[test]
fn columns_read_by_nothing_are_ignored_and_listed() {
    let firms = format!("uscc,address,法定代表人,phone,standardization\n{DINGLI},x,张三,123,level_1\n");
    let acc = format!("{ACC_HEAD},事故地点,受伤人数\n{DINGLI},2026-01-05,0,1,某地,3\n");
    let res = run(&cfg(), &firms, &[("accidents", &acc)]).expect("scored");
    assert_eq!(res.summary.firms.ignored_columns, ["address", "法定代表人", "phone"]);
    assert_eq!(res.summary.lists[0].ignored_columns, ["事故地点", "受伤人数"]);
    assert_eq!(res.summary.firms.used, 1);
    assert_eq!(res.summary.lists[0].used, 1);
    // Ignoring them changes nothing.
    let plain = run(
        &cfg(),
        &format!("uscc,standardization\n{DINGLI},level_1\n"),
        &[("accidents", &format!("{ACC_HEAD}\n{DINGLI},2026-01-05,0,1\n"))],
    )
    .expect("scored");
    assert_eq!(res.out, plain.out);
    assert!(plain.summary.firms.ignored_columns.is_empty());
    // The summary JSON lists them.
    let json = serde_json::to_value(&res.summary).expect("serialises");
    assert_eq!(json["firms"]["ignored_columns"], serde_json::json!(["address", "法定代表人", "phone"]));
}

#[test]
fn a_near_miss_of_an_input_no_column_gives_stops_with_a_did_you_mean() {
    let e = fatal(run(&cfg(), &format!("uscc,n_hazard_proceses\n{DINGLI},1\n"), &[]));
    assert_eq!(
        e.to_string(),
        "firms.csv:1: column `n_hazard_proceses` is not an input of the rules, but its name is close to `n_hazard_processes` (涉及重点监管危险化工工艺种类数), which no column gives; did you mean `n_hazard_processes`?"
    );
    assert_eq!(
        e.kind(),
        &BatchErrorKind::LikelyTypo {
            column: "n_hazard_proceses".into(),
            meant: "n_hazard_processes".into(),
            list: None
        }
    );
    // A name or label that differs only in case, full-width forms or
    // separators is the input itself: read, not stopped.
    let exact = run(&cfg(), &format!("uscc,n_hazard_processes\n{DINGLI},3\n"), &[]).expect("scored");
    for column in ["N-Hazard-Processes", "n hazard processes", "ｎ＿ｈａｚａｒｄ＿ｐｒｏｃｅｓｓｅｓ"]
    {
        let res = run(&cfg(), &format!("uscc,{column}\n{DINGLI},3\n"), &[]).expect("scored");
        assert!(res.summary.firms.ignored_columns.is_empty(), "{column}: {:?}", res.summary.firms.ignored_columns);
        assert_eq!(res.out, exact.out, "{column}");
    }
    let acc = |loss: &str| format!("uscc,date,deaths,serious_injuries,{loss}\n{DINGLI},2026-01-05,0,1,600\n");
    let labelled =
        run(&cfg(), &format!("uscc\n{DINGLI}\n"), &[("accidents", &acc("直接经济损失（万元）"))]).expect("scored");
    let half_width =
        run(&cfg(), &format!("uscc\n{DINGLI}\n"), &[("accidents", &acc("直接经济损失(万元)"))]).expect("scored");
    assert!(
        half_width.summary.lists[0].ignored_columns.is_empty(),
        "{:?}",
        half_width.summary.lists[0].ignored_columns
    );
    assert_eq!(half_width.out, labelled.out);
    let e = fatal(run(&cfg(), &format!("uscc,安全生产标准化级别\n{DINGLI},level_1\n"), &[]));
    assert!(
        e.to_string()
            .contains("close to `standardization`, whose label is `安全生产标准化等级`, which no column gives"),
        "{e}"
    );
    // Once the input is given, a column close to it is only ignored.
    let res = run(&cfg(), &format!("uscc,n_hazard_processes,n_hazard_proceses\n{DINGLI},1,1\n"), &[]).expect("scored");
    assert_eq!(res.summary.firms.ignored_columns, ["n_hazard_proceses"]);
    // In a list file too.
    let acc = format!("uscc,date,deaths,serious_injuries,socal_impact\n{DINGLI},2026-01-05,0,1,否\n");
    let e = fatal(run(&cfg(), &format!("uscc\n{DINGLI}\n"), &[("accidents", &acc)]));
    assert!(
        e.to_string().starts_with("accidents.csv:1: column `socal_impact` is not a field of list `accidents` ("),
        "{e}"
    );
    assert!(e.to_string().ends_with("did you mean `social_impact`?"), "{e}");
    assert!(matches!(e.kind(), BatchErrorKind::LikelyTypo { list: Some(l), .. } if l == "accidents"));
}

#[test]
fn a_strict_run_refuses_every_unread_column() {
    let strict = BatchConfig { strict: true, ..cfg() };
    let e = fatal(run(&strict, &format!("uscc,address\n{DINGLI},x\n"), &[]));
    assert_eq!(e.to_string(), "firms.csv:1: column `address` is not an input of the rules");
    assert_eq!(e.kind(), &BatchErrorKind::UnknownColumn { column: "address".into(), list: None });
    let acc = format!("{ACC_HEAD},remark\n{DINGLI},2026-01-05,0,1,x\n");
    let e = fatal(run(&strict, &format!("uscc\n{DINGLI}\n"), &[("accidents", &acc)]));
    assert!(matches!(e.kind(), BatchErrorKind::UnknownColumn { list: Some(l), .. } if l == "accidents"), "{e}");
    // Carried and ignored columns are fine.
    let ok = BatchConfig { carry: vec!["address".into()], ignore: vec!["remark".into()], ..strict.clone() };
    let res = run(&ok, &format!("uscc,address\n{DINGLI},x\n"), &[("accidents", &acc)]).expect("scored");
    assert!(res.summary.firms.ignored_columns.is_empty());
    assert_eq!(res.summary.lists[0].ignored_columns, ["remark"]);
}

#[test]
fn columns_ignored_by_name_are_not_read_nor_checked() {
    let c = BatchConfig { ignore: vec!["n_hazard_proceses".into(), "standardization".into()], ..cfg() };
    let res = run(&c, &format!("uscc,n_hazard_proceses,standardization\n{DINGLI},1,nonsense\n"), &[]).expect("scored");
    assert_eq!(res.summary.firms.ignored_columns, ["n_hazard_proceses", "standardization"]);
    assert_eq!(res.summary.firms.used, 1, "{}", res.rejects);
    // A name no file has is an error; so is a column both carried and ignored.
    let c = BatchConfig { ignore: vec!["adress".into()], ..cfg() };
    let e = fatal(run(&c, &format!("uscc,address\n{DINGLI},x\n"), &[]));
    assert_eq!(e.to_string(), "no file has the column `adress` to ignore (files: firms.csv)");
    let c = BatchConfig { ignore: vec!["address".into()], carry: vec!["address".into()], ..cfg() };
    let e = fatal(run(&c, &format!("uscc,address\n{DINGLI},x\n"), &[]));
    assert!(e.to_string().contains("both carried and ignored"), "{e}");
}

#[test]
fn the_key_may_be_headed_in_chinese() {
    let firms = format!("统一社会信用代码,standardization\n{DINGLI},level_1\n91310115MA00000071,level_1\n");
    let acc = format!("统一社会信用代码,date,deaths,serious_injuries\n{DINGLI},2026-01-05,0,1\n");
    let res = run(&cfg(), &firms, &[("accidents", &acc)]).expect("scored");
    let plain = run(
        &cfg(),
        &firms.replacen("统一社会信用代码", "uscc", 1),
        &[("accidents", &acc.replacen("统一社会信用代码", "uscc", 1))],
    )
    .expect("scored");
    // The results name the key `uscc` either way; the rejects name the column as headed.
    assert_eq!(res.out, plain.out);
    assert!(res.out.starts_with("uscc,"), "{}", res.out);
    assert!(res.rejects.contains("firms.csv,3,统一社会信用代码,91310115MA00000071,"), "{}", res.rejects);
    assert!(res.summary.firms.ignored_columns.is_empty());
    // Both headers at once: which is the key?
    let e = fatal(run(&cfg(), &format!("uscc,统一社会信用代码\n{DINGLI},{DINGLI}\n"), &[]));
    assert_eq!(
        e.to_string(),
        "firms.csv:1: columns `uscc` and `统一社会信用代码` both name the key (columns 1 and 2); keep one"
    );
    // Neither: the error names both, and a near miss.
    let e = fatal(run(&cfg(), &format!("USCC,standardization\n{DINGLI},level_1\n"), &[]));
    assert_eq!(
        e.to_string(),
        "firms.csv:1: no key column `uscc` or `统一社会信用代码`; the header has: USCC, standardization; is `USCC` the key column?"
    );
    assert_eq!(e.kind(), &BatchErrorKind::NoKeyColumn);
    // Another key is found by its own name only.
    let c = BatchConfig { key: "code".into(), ..cfg() };
    let e = fatal(run(&c, &format!("统一社会信用代码,standardization\n{DINGLI},level_1\n"), &[]));
    assert!(e.to_string().starts_with("firms.csv:1: no key column `code`;"), "{e}");
}

/// A rule set used on its own reads from the firm file the inputs a scheme
/// would fill from an earlier step, and grades as `eval` does; inside the
/// scheme those columns are not inputs.
#[test]
fn a_rule_set_alone_reads_what_a_scheme_would_fill() {
    let score_alone = |rules: &str, firms: &str| {
        let rules = support::load(rules).rules.expect("the shipped rule set checks");
        let firms = Source::new("firms.csv", Cursor::new(firms.as_bytes().to_vec()));
        support::score_sources(&rules, &cfg(), firms, Vec::new()).expect("scored")
    };
    let credit = score_alone(
        "rules/credit-rating.toml",
        &format!("uscc,blacklist_status,standardization\n{DINGLI},listed,level_1\n"),
    );
    assert!(credit.summary.firms.ignored_columns.is_empty(), "{:?}", credit.summary.firms.ignored_columns);
    assert!(credit.out.lines().nth(1).expect("a result row").ends_with(",D"), "{}", credit.out);
    let tier = score_alone(
        "rules/supervision-tier.toml",
        &format!("uscc,risk_grade,credit_grade,blacklist_status\n{DINGLI},red,D,listed\n"),
    );
    assert_eq!(tier.summary.firms.used, 1, "{}", tier.rejects);
    assert!(tier.out.lines().nth(1).expect("a result row").ends_with(",tier_1"), "{}", tier.out);
    // In the scheme, the risk step fills `risk_grade`: a column of that name is read by nothing.
    let scheme =
        run(&cfg(), &format!("uscc,risk_grade,standardization\n{DINGLI},green,level_1\n"), &[]).expect("scored");
    assert_eq!(scheme.summary.firms.ignored_columns, ["risk_grade"]);
}
