//! The outcome table against evaluation: for every combination of answers,
//! and for answers the table does not hold, a plan with its table and the
//! same plan without it give the same outcome or the same error; only rule
//! sets whose outcome depends on their few answers alone get a table.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::eval::kernel::Kernels;
use crate::eval::test_rules::checked;
use crate::eval::Program;
use crate::input::Firm;
use crate::plan::Names;
use crate::rules::CompiledRules;
use crate::value::Value;

/// A yes/no answer, an enum, allowed decimals of several scales and a small
/// whole-number range; derived values, items, an override, and an error
/// (division by zero) for one of the numbers.
const RULES: &str = r#"
[ruleset]
id = "table"
name = "table"
version = "1"

[inputs.flag]
type = "bool"
[inputs.colour]
type = "enum"
options = [
  { id = "red", label = "红" },
  { id = "green", label = "绿" },
  { id = "blue", label = "蓝" },
]
[inputs.factor]
type = "decimal"
allowed = [0.5, 1, 3]
[inputs.k]
type = "integer"
min = 1
max = 4

[derived]
weight = "if colour == \"red\" then 3 elif colour == \"green\" then 2 else 1"
ratio = "12 / (k - 2)"
name = "if flag then colour else \"none\""

[[items]]
id = "flagged"
label = "flag"
when = "flag"
points = "-10"
[[items]]
id = "weighted"
label = "weighted"
points = "-(factor * weight)"
[[items]]
id = "ratio"
label = "ratio"
when = "k != 3"
points = "ratio"

[score]
base = "50"

[[grades]]
id = "a"
label = "a"
min = 45
[[grades]]
id = "b"
label = "b"
below = 45

[[overrides]]
id = "red_flag"
when = "flag and colour == \"red\""
force = "b"
reason = "red flag"
"#;

fn shipped(name: &str) -> CompiledRules {
    let text = std::fs::read_to_string(format!("{}/../rules/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    checked(name, &text)
}

fn without_table(program: &Program) -> Program {
    Program { plan: program.plan.clone(), kernels: Kernels::compile(&program.plan), table: None }
}

fn firm(inputs: Vec<Option<Value>>) -> Firm {
    Firm { inputs, lists: SmallVec::new(), missing: Vec::new() }
}

fn num(text: &str) -> Option<Value> {
    Some(Value::Num(text.parse().unwrap()))
}

/// A text answer as answers are read: a name when the rules hold it.
fn text(names: &Names, t: &str) -> Option<Value> {
    Some(names.value(t))
}

/// Every answer each input may be given, with whether the table holds it.
fn candidates(names: &Names) -> [Vec<(Option<Value>, bool)>; 4] {
    let mut negative_zero = Decimal::ZERO;
    negative_zero.set_sign_negative(true);
    [
        vec![(Some(Value::Bool(false)), true), (Some(Value::Bool(true)), true), (None, false), (num("1"), false)],
        vec![
            (text(names, "red"), true),
            (text(names, "green"), true),
            (text(names, "blue"), true),
            (text(names, "purple"), false),
            (None, false),
        ],
        vec![
            (num("0.5"), true),
            (num("1"), true),
            (num("3"), true),
            // The same numbers at another scale: a result may show it.
            (num("0.50"), false),
            (num("3.00"), false),
            (num("1.0"), false),
            (Some(Value::Num(negative_zero)), false),
            (None, false),
        ],
        vec![
            (num("1"), true),
            (num("2"), true),
            (num("3"), true),
            (num("4"), true),
            (num("2.0"), false),
            (num("0"), false),
            (num("5"), false),
            (num("-1"), false),
            (None, false),
        ],
    ]
}

#[test]
fn every_answer_gives_what_evaluation_gives() {
    let rules = checked("table.toml", RULES);
    let plan = &*rules.program;
    let table = plan.table.as_ref().expect("the test rules get a table");
    assert_eq!(table.outcomes.len(), 2 * 3 * 3 * 4);
    let reference = without_table(plan);
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let [flags, colours, factors, ks] = candidates(&plan.plan.names);
    let (mut held, mut errors, mut tried) = (0, 0, 0);
    for (flag, f_held) in &flags {
        for (colour, c_held) in &colours {
            for (factor, x_held) in &factors {
                for (k, k_held) in &ks {
                    let firm = firm(vec![flag.clone(), colour.clone(), factor.clone(), k.clone()]);
                    let expect_held = *f_held && *c_held && *x_held && *k_held;
                    assert_eq!(table.get(&firm.inputs).is_some(), expect_held, "{:?}", firm.inputs);
                    let with = format!("{:?}", plan.run(&firm, as_of));
                    let without = format!("{:?}", reference.run(&firm, as_of));
                    assert_eq!(with, without, "{:?}", firm.inputs);
                    held += usize::from(expect_held);
                    errors += usize::from(with.starts_with("Err"));
                    tried += 1;
                }
            }
        }
    }
    // Each table row is reached (three of them twice over: "red" both as the
    // plan's text and as another), and some rows hold an error.
    assert_eq!((held, tried), (72, 4 * 5 * 8 * 9));
    assert!(errors >= 18, "{errors} errors");
}

#[test]
fn shipped_rule_sets_of_few_answers_get_a_table() {
    let rows = |name: &str| shipped(name).program.table.as_ref().map(|t| t.outcomes.len());
    assert_eq!(rows("supervision-tier.toml"), Some(32));
    assert_eq!(rows("lec.toml"), Some(7 * 6 * 6));
    assert_eq!(rows("ls-matrix.toml"), Some(25));
    for name in ["hazchem-risk-2018.toml", "credit-rating.toml", "blacklist-2023.toml", "accident-severity.toml"] {
        assert_eq!(rows(name), None, "{name}");
    }
}

#[test]
fn rule_sets_that_read_more_than_their_answers_get_none() {
    let variants = [
        // Reads the as-of date.
        RULES.replace("name = \"if flag", "stamp = \"as_of\"\nname = \"if flag"),
        // A date input, whose values are not few.
        RULES.replace("[derived]", "[inputs.since]\ntype = \"date\"\n\n[derived]"),
        // A penalty for a missing answer: the firm's missing list counts.
        RULES.replace("type = \"bool\"", "type = \"bool\"\nmissing = { penalty = -5 }"),
        // Too many combinations.
        RULES.replace("max = 4", "max = 40"),
    ];
    for text in variants {
        assert_ne!(text, RULES);
        let rules = checked("table.toml", &text);
        assert!(rules.program.table.is_none(), "{text}");
    }
}
