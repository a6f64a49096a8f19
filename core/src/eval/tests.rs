//! Tests for evaluation internals: the next-grade plan is a smallest set of
//! fixable items when one exists, else a smallest set of any, checked
//! against brute force over every subset of fired items; shaped
//! items score exactly as the interpreter scores them; texts compare as
//! texts however each side was read (`tests/texts.toml`).

use chrono::NaiveDate;
use proptest::prelude::*;

use super::score::{band_of, clamp, grade_after_overrides, total_score_without};
use super::shape::ItemShape;
use crate::eval::test_rules::checked;
use crate::rules::CompiledRules;

/// Six items with points taken from inputs, two of them in a capped group,
/// two the firm cannot fix, rounding at the score, and an override that
/// can block.
const RULES: &str = r#"
[ruleset]
id = "next-grade"
name = "next grade"
version = "1"

[inputs.p1]
type = "decimal"
[inputs.p2]
type = "decimal"
[inputs.p3]
type = "decimal"
[inputs.p4]
type = "decimal"
[inputs.p5]
type = "decimal"
[inputs.bonus]
type = "decimal"
[inputs.veto]
type = "bool"

[score_groups.g]
min = -15

[[items]]
id = "i1"
group = "g"
label = "1"
points = "-p1"
[[items]]
id = "i2"
group = "g"
label = "2"
points = "-p2"
[[items]]
id = "i3"
label = "3"
points = "-p3"
cap = 12
fixable = false
[[items]]
id = "i4"
label = "4"
points = "-p4"
[[items]]
id = "i5"
label = "5"
points = "-p5"
fixable = false
[[items]]
id = "bonus"
label = "bonus"
points = "bonus"

[score]
base = "100"
min = 0
max = 100
round = { places = 0, mode = "half_up", at = "score" }

[[grades]]
id = "a"
label = "a"
min = 90
[[grades]]
id = "b"
label = "b"
min = 75
below = 90
[[grades]]
id = "c"
label = "c"
min = 60
below = 75
[[grades]]
id = "d"
label = "d"
below = 60

[[overrides]]
id = "veto"
when = "veto"
ceiling = "c"
reason = "veto"
"#;

fn rules() -> CompiledRules {
    checked("next.toml", RULES)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_next_grade_plan_is_a_smallest_set(points in prop::collection::vec(0u32..30, 5), bonus in 0u32..6, veto in any::<bool>()) {
        let r = rules();
        let mut input = serde_json::json!({ "bonus": bonus, "veto": veto });
        for (i, p) in points.iter().enumerate() {
            input[format!("p{}", i + 1)] = serde_json::json!(format!("{}.5", p));
        }
        let res = r.assess_json(&input, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap();
        let plan = &*r.plan;
        let grade = plan.grades.iter().position(|g| g.id == res.grade).unwrap();
        let Some(next) = res.next_grade else {
            prop_assert_eq!(grade, 0);
            return Ok(());
        };
        // Rebuild the contributions from the result, in item order.
        let contributions: Vec<super::outcome::Contribution> = res.items.iter().map(|it| super::outcome::Contribution {
            group: it.group.as_ref().map(|_| 0),
            points: it.points.parse().unwrap(),
        }).collect();
        let applied: Vec<usize> = if veto { vec![0] } else { vec![] };
        let base = rust_decimal::Decimal::from(100);
        let reaches = |removed: &[usize]| {
            let s = total_score_without(plan, base, &contributions, removed).unwrap();
            grade_after_overrides(plan, band_of(plan, s).unwrap(), &applied) < grade
        };
        // Brute force: the smallest reaching subset of deductions, and of fixable deductions.
        let deductions: Vec<usize> = (0..contributions.len()).filter(|&i| contributions[i].points.is_sign_negative()).collect();
        let (mut smallest, mut smallest_fixable): (Option<usize>, Option<usize>) = (None, None);
        for mask in 0u32..(1 << deductions.len()) {
            let set: Vec<usize> = deductions.iter().enumerate().filter(|(b, _)| mask & (1 << b) != 0).map(|(_, &i)| i).collect();
            if reaches(&set) {
                let fewer = |s: Option<usize>| Some(s.map_or(set.len(), |s| s.min(set.len())));
                smallest = fewer(smallest);
                if set.iter().all(|&i| res.items[i].fixable) {
                    smallest_fixable = fewer(smallest_fixable);
                }
            }
        }
        let unfixable_in = |ids: &[std::sync::Arc<str>]| -> Vec<std::sync::Arc<str>> {
            ids.iter().filter(|id| res.items.iter().any(|it| &it.id == *id && !it.fixable)).cloned().collect()
        };
        match (&next.needs, smallest_fixable, smallest) {
            (Some(needs), Some(n), _) => {
                // Some set of fixable items reaches the grade: the plan names only such items.
                prop_assert!(next.exact);
                prop_assert_eq!(needs.len(), n);
                prop_assert!(unfixable_in(needs).is_empty() && next.unfixable.is_empty());
                let set: Vec<usize> = needs.iter().map(|id| res.items.iter().position(|it| &it.id == id).unwrap()).collect();
                prop_assert!(reaches(&set));
            }
            (Some(needs), None, Some(n)) => {
                // Only sets with unfixable items reach it: the smallest, its unfixable items named.
                prop_assert!(next.exact);
                prop_assert_eq!(needs.len(), n);
                prop_assert!(!next.unfixable.is_empty());
                prop_assert_eq!(&unfixable_in(needs), &next.unfixable);
                let set: Vec<usize> = needs.iter().map(|id| res.items.iter().position(|it| &it.id == id).unwrap()).collect();
                prop_assert!(reaches(&set));
            }
            (None, None, None) => prop_assert!(next.unfixable.is_empty()),
            (got, fixable, any) => prop_assert!(false, "needs {:?}, brute force {:?} (fixable), {:?}", got, fixable, any),
        }
    }
}

#[test]
fn the_next_grade_plan_names_unfixable_items_only_when_it_must() {
    let r = rules();
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let next = |input: serde_json::Value| r.assess_json(&input, as_of).unwrap().next_grade.unwrap();
    // 100 - 5 - 8 - 5 = 82 (b): removing i3 (8, unfixable) alone reaches a,
    // but so do the fixable i1 and i4 together (10): the plan names those.
    let n = next(serde_json::json!({ "p1": 5, "p2": 0, "p3": 8, "p4": 5, "p5": 0, "bonus": 0, "veto": false }));
    assert_eq!((n.needs.unwrap(), n.unfixable, n.exact), (vec!["i1".into(), "i4".into()], vec![], true));
    // 100 - 1 - 12 = 87: the fixable i1 is not enough; i3 must go, and is named unfixable.
    let n = next(serde_json::json!({ "p1": 1, "p2": 0, "p3": 12, "p4": 0, "p5": 0, "bonus": 0, "veto": false }));
    assert_eq!((n.needs.unwrap(), n.unfixable, n.exact), (vec!["i3".into()], vec!["i3".into()], true));
}

/// Flag and per-unit items with caps, item rounding, a group cap, an input
/// that may be left unanswered, and one item of each kind the shapes leave
/// to the interpreter.
const SHAPED: &str = r#"
[ruleset]
id = "shapes"
name = "shapes"
version = "1"

[inputs.f1]
type = "bool"
[inputs.f2]
type = "bool"
missing = "not_applicable"
[inputs.n1]
type = "integer"
[inputs.n2]
type = "decimal"
missing = { default = 0 }

[score_groups.g]
min = -7
max = 1

[[items]]
id = "flag"
label = "flag"
when = "f1"
points = "-2.25"
[[items]]
id = "flag_capped"
group = "g"
label = "flag capped"
when = "f2"
points = "-9"
min = -6
[[items]]
id = "per_unit"
group = "g"
label = "per unit"
points = "-1.5 * n1"
min = -5
max = 3
[[items]]
id = "unit_per"
label = "unit per"
points = "n2 * 0.35"
[[items]]
id = "interpreted"
label = "interpreted"
when = "n1 > 2"
points = "-1 * n2"

[score]
base = "100"
round = { places = 0, mode = "half_up", at = "item" }

[[grades]]
id = "a"
label = "a"
min = 100
[[grades]]
id = "b"
label = "b"
below = 100
"#;

proptest! {
    #[test]
    fn shaped_items_score_as_interpreted(
        f1 in any::<bool>(),
        f2 in prop::option::of(any::<bool>()),
        n1 in -9i64..9,
        n2 in prop::option::of(-400i64..400),
    ) {
        let r = checked("shapes.toml", SHAPED);
        let shaped = &*r.program;
        let shapes: Vec<_> = shaped.kernels.items.iter().map(|k| k.shape).collect();
        let flag = matches!(shapes[0], ItemShape::Flag { .. });
        let per_unit = matches!(shapes[3], ItemShape::PerUnit { .. });
        prop_assert!(flag && per_unit, "shapes: {:?}", shapes);
        prop_assert_eq!(shapes[4], ItemShape::General);
        let interpreted = super::Program::interpreted(r.plan.clone());
        prop_assert!(interpreted.kernels.items.iter().all(|k| k.shape == ItemShape::General));
        let mut input = serde_json::json!({ "f1": f1, "n1": n1 });
        if let Some(f2) = f2 {
            input["f2"] = serde_json::json!(f2);
        }
        if let Some(n2) = n2 {
            input["n2"] = serde_json::json!(format!("{}.{:02}", n2 / 100, (n2 % 100).abs()));
        }
        let firm = r.firm_from_json(&input).unwrap();
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let a = shaped.run(&firm, as_of).unwrap();
        let b = interpreted.run(&firm, as_of).unwrap();
        prop_assert_eq!(a.score, b.score);
        prop_assert_eq!(a.grade, b.grade);
        let fired = |o: &super::Outcome| o.fired.iter().map(|f| (f.source, f.points, f.raw)).collect::<Vec<_>>();
        prop_assert_eq!(fired(&a), fired(&b));
        prop_assert_eq!(a.skipped, b.skipped);
    }
}

/// Three capped groups, one whose cap leaves out zero (it adds 1 even when
/// nothing in it fires), items in each and one in none.
const GROUPS: &str = r#"
[ruleset]
id = "groups"
name = "groups"
version = "1"

[inputs.a]
type = "decimal"
[inputs.b]
type = "decimal"
[inputs.c]
type = "decimal"
[inputs.d]
type = "decimal"

[score_groups.g0]
min = -5
max = 0
[score_groups.g1]
min = 1
max = 3
[score_groups.g2]
min = -2
max = 2

[[items]]
id = "a"
group = "g0"
label = "a"
points = "a"
[[items]]
id = "b"
group = "g1"
label = "b"
points = "b"
[[items]]
id = "c"
group = "g2"
label = "c"
points = "c"
[[items]]
id = "c2"
group = "g0"
label = "c2"
points = "c / 2"
[[items]]
id = "d"
label = "d"
points = "d"

[score]
base = "50"

[[grades]]
id = "a"
label = "a"
min = 50
[[grades]]
id = "b"
label = "b"
below = 50
"#;

proptest! {
    /// The score visits only the groups that can add something; it equals
    /// the plain sum over every group.
    #[test]
    fn group_caps_sum_as_written(a in -900i64..900, b in -900i64..900, c in -900i64..900, d in -900i64..900) {
        let r = checked("groups.toml", GROUPS);
        let plan = &*r.plan;
        prop_assert_eq!(plan.score.groups_excluding_zero, 0b010);
        let dec = |x: i64| rust_decimal::Decimal::new(x, 2);
        let input = serde_json::json!({
            "a": dec(a).to_string(), "b": dec(b).to_string(), "c": dec(c).to_string(), "d": dec(d).to_string()
        });
        let firm = r.firm_from_json(&input).unwrap();
        let o = r.program.run(&firm, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap();
        // Written out: each group's fired points summed, capped, zero sums
        // of groups that admit zero left out.
        let mut sums = [rust_decimal::Decimal::ZERO; 3];
        let mut total = rust_decimal::Decimal::from(50);
        for f in &o.fired {
            match f.group {
                Some(g) => sums[g as usize] += f.points,
                None => total += f.points,
            }
        }
        for (g, sum) in plan.score_groups.iter().zip(sums) {
            if !(sum.is_zero() && g.admits_zero) {
                total += clamp(sum, g.min, g.max);
            }
        }
        prop_assert_eq!(o.score, total);
    }
}

/// The cases of `tests/texts.toml` pass with the kernels and with the
/// interpreter alone: the rules' own texts are names while evaluating, and
/// an answer, a constant, a table cell or a chosen value equal to one of
/// them is that name.
#[test]
fn texts_compare_as_texts_however_they_were_read() {
    let rules = checked("texts.toml", include_str!("tests/texts.toml"));
    let interpreted = CompiledRules {
        program: std::sync::Arc::new(super::Program::interpreted(rules.plan.clone())),
        ..rules.clone()
    };
    for rules in [rules, interpreted] {
        let outcomes = crate::run_tests(&crate::Rules::Set(rules), &|_| String::new());
        assert_eq!(outcomes.len(), 4);
        for o in outcomes {
            assert!(o.passed(), "{}: {:?}", o.name, o.failures);
        }
    }
}
