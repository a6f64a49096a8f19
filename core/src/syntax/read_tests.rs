//! The reader's messages and spans: serde's words for serde's cases, and
//! the cases serde handled by accident.

use super::*;

/// The fault for `text`, with the text its span covers.
fn fault_of(text: &str) -> (String, String) {
    let tree = DeTable::parse(text).expect("valid TOML");
    let f = document(tree).expect_err("a fault");
    (f.message, text[f.span].to_string())
}

#[test]
fn serde_messages_at_the_key_the_value_or_the_table() {
    let unknown = fault_of("[results]\ncolumns = []\nblank = 1\n");
    assert_eq!(
        unknown,
        ("unknown field `blank`, expected one of `columns`, `blank_when_grade`, `labels`".into(), "blank".into())
    );
    let step = fault_of("[[steps]]\nx = 1\n");
    assert_eq!(step.0, "unknown field `x`, expected `as` or `rules`");
    let wrong = fault_of("[[items]]\nid = \"a\"\nlabel = \"b\"\nfixable = \"no\"\n");
    assert_eq!(wrong, ("invalid type: string \"no\", expected a boolean".into(), "\"no\"".into()));
    let missing = fault_of("[ruleset]\nid = \"a\"\nversion = \"1\"\n");
    assert_eq!(missing, ("missing field `name`".into(), "[ruleset]".into()));
    let places = fault_of("[score]\nbase = \"1\"\nround = { places = -1, mode = \"half_up\", at = \"score\" }\n");
    assert_eq!(places, ("invalid value: integer `-1`, expected u32".into(), "-1".into()));
    let float = fault_of("[score]\nbase = \"1\"\nround = { places = 2.0, mode = \"half_up\", at = \"score\" }\n");
    assert_eq!(float.0, "invalid type: floating point `2.0`, expected u32");
    let first_in_file = fault_of("[inputs.a]\nlable = 1\ntype = 2\n");
    assert!(first_in_file.0.starts_with("unknown field `lable`"), "{first_in_file:?}");
}

#[test]
fn texts_datetimes_and_arrays() {
    let ok = "[ruleset]\nid = \"a\"\nversion = \"1\"\nname = { zh = \"甲\", en = \"A\", note = 1 }\n";
    assert!(document(DeTable::parse(ok).unwrap()).is_ok());
    let text = fault_of("[ruleset]\nid = \"a\"\nversion = \"1\"\nname = { en = \"A\" }\n");
    assert_eq!(text, ("data did not match any variant of untagged enum Text".into(), "{ en = \"A\" }".into()));
    let big = fault_of("[ruleset]\nid = \"a\"\nversion = \"1\"\nname = { zh = \"甲\", n = 1e999 }\n");
    assert_eq!(big.0, "floating-point number overflowed");
    let date = fault_of("[ruleset]\nid = 1979-05-27\n");
    assert_eq!(date.0, "invalid type: datetime `1979-05-27`, expected a string");
    let not_date = fault_of("[ruleset]\nid = \"a\"\nname = \"b\"\nversion = \"1\"\neffective_from = { a = 1 }\n");
    assert_eq!(not_date.0, "invalid type: map, expected a TOML datetime");
    let array = fault_of("[[tests]]\nname = \"t\"\nexpect = [\"A\"]\n");
    assert_eq!(array, ("invalid type: sequence, expected struct Expect".into(), "[\"A\"]".into()));
}

#[test]
fn step_expectations_read_from_values() {
    let v: toml::Value = toml::Value::Table(
        DeTable::parse("grade = \"A\"\nfired = [\"x\"]\n").map(|t| table_of(t.into_inner()).unwrap()).unwrap(),
    );
    let e = expect_value(&v).unwrap();
    assert_eq!(e.grade.as_deref(), Some("A"));
    let bad = toml::Value::Table(table_of(DeTable::parse("grade = 1\n").unwrap().into_inner()).unwrap());
    assert_eq!(expect_value(&bad).unwrap_err(), "invalid type: integer `1`, expected a string");
    let unknown = toml::Value::Table(table_of(DeTable::parse("grad = \"A\"\n").unwrap().into_inner()).unwrap());
    assert!(expect_value(&unknown).unwrap_err().starts_with("unknown field `grad`, expected one of `grade`"));
}
