//! Invariants of scoring, checked with proptest on the shipped rule sets:
//! more violations never improve a grade, the grade follows the score,
//! record order does not matter, and evaluation is deterministic.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::support::load;

fn rules(rel: &str) -> safegrade::CompiledRules {
    match load(rel).rules {
        Some(safegrade::Rules::Set(r)) => r,
        _ => panic!("{rel} does not load as a rule set"),
    }
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).expect("a date")
}

fn accident() -> impl Strategy<Value = Value> {
    (0i64..2000, 0u32..12, 0u32..60, 0u32..6000).prop_map(|(days_ago, deaths, injuries, loss)| {
        let date = as_of() - chrono::TimeDelta::days(days_ago);
        json!({
            "date": date.format("%Y-%m-%d").to_string(),
            "deaths": deaths,
            "serious_injuries": injuries,
            "direct_loss_wan": loss,
        })
    })
}

/// A hazchem firm: counts, flags, a standardization level and accidents.
fn hazchem_firm() -> impl Strategy<Value = Value> {
    (
        (0u32..2, 0u32..3, 0u32..2, 0u32..4),
        (0u32..4, 0u32..4, 0u32..6, 0u32..5),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        prop::sample::select(vec!["none", "level_1", "level_2", "level_3"]),
        prop::collection::vec(accident(), 0..5),
    )
        .prop_map(
            |((mh1, mh2, mh3, mh4), (expl, toxic, proc_, fire), (park, power, engineer, brigade), std, accidents)| {
                json!({
                    "n_major_hazards_grade_1": mh1,
                    "n_major_hazards_grade_2": mh2,
                    "n_major_hazards_grade_3": mh3,
                    "n_major_hazards_grade_4": mh4,
                    "n_explosives": expl,
                    "n_toxic_inhalation": toxic,
                    "n_hazard_processes": proc_,
                    "n_class_a_fire_places": fire,
                    "outside_chem_park": park,
                    "no_dual_power": power,
                    "no_registered_safety_engineer": engineer,
                    "has_fire_brigade": brigade,
                    "standardization": std,
                    "accidents": accidents,
                })
            },
        )
}

fn grade_index(rules: &safegrade::CompiledRules, id: &str) -> usize {
    rules.grade_ids().iter().position(|g| *g == id).expect("a known grade")
}

fn score(a: &safegrade::Assessment) -> Decimal {
    a.score.parse().expect("scores are decimals")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn adding_an_accident_never_improves_the_hazchem_grade(firm in hazchem_firm(), extra in accident()) {
        let r = rules("rules/hazchem-risk-2018.toml");
        let before = r.assess_json(&firm, as_of()).expect("assessed");
        let mut worse = firm.clone();
        worse["accidents"].as_array_mut().expect("a list").push(extra);
        let after = r.assess_json(&worse, as_of()).expect("assessed");
        prop_assert!(score(&after) <= score(&before), "score rose: {} -> {}", before.score, after.score);
        prop_assert!(grade_index(&r, &after.grade) >= grade_index(&r, &before.grade), "grade improved: {} -> {}", before.grade, after.grade);
    }

    #[test]
    fn adding_a_deficiency_never_improves_the_hazchem_grade(firm in hazchem_firm(), which in 0usize..4) {
        let r = rules("rules/hazchem-risk-2018.toml");
        let before = r.assess_json(&firm, as_of()).expect("assessed");
        let mut worse = firm.clone();
        let key = ["n_explosives", "n_toxic_inhalation", "n_hazard_processes", "n_class_a_fire_places"][which];
        worse[key] = json!(worse[key].as_u64().expect("a count") + 1);
        let after = r.assess_json(&worse, as_of()).expect("assessed");
        prop_assert!(score(&after) <= score(&before));
        prop_assert!(grade_index(&r, &after.grade) >= grade_index(&r, &before.grade));
    }

    #[test]
    fn the_band_grade_is_monotone_in_the_score(a in hazchem_firm(), b in hazchem_firm()) {
        let r = rules("rules/hazchem-risk-2018.toml");
        let (x, y) = (r.assess_json(&a, as_of()).expect("assessed"), r.assess_json(&b, as_of()).expect("assessed"));
        let (gx, gy) = (grade_index(&r, &x.band_grade), grade_index(&r, &y.band_grade));
        // Higher scores are better here: a higher score never has a worse band.
        if score(&x) > score(&y) {
            prop_assert!(gx <= gy);
        }
        if score(&x) == score(&y) {
            prop_assert_eq!(gx, gy);
        }
    }

    #[test]
    fn record_order_does_not_matter(firm in hazchem_firm(), seed in any::<u64>()) {
        let r = rules("rules/hazchem-risk-2018.toml");
        let before = r.assess_json(&firm, as_of()).expect("assessed");
        let mut shuffled = firm.clone();
        let list = shuffled["accidents"].as_array_mut().expect("a list");
        let n = list.len();
        if n > 1 {
            let mut s = seed;
            for i in (1..n).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                list.swap(i, (s >> 33) as usize % (i + 1));
            }
        }
        prop_assert_eq!(r.assess_json(&shuffled, as_of()).expect("assessed"), before);
    }

    #[test]
    fn evaluating_twice_gives_the_same_result(firm in hazchem_firm()) {
        let r = rules("rules/hazchem-risk-2018.toml");
        let once = r.assess_json(&firm, as_of()).expect("assessed");
        prop_assert_eq!(r.assess_json(&firm, as_of()).expect("assessed"), once);
    }

    #[test]
    fn accident_severity_is_monotone(d in 0u32..40, i in 0u32..120, l in 0u32..12000, more in 0u32..3) {
        let r = rules("rules/accident-severity.toml");
        let base = r.assess_json(&json!({"deaths": d, "serious_injuries": i, "direct_loss_wan": l}), as_of()).expect("assessed");
        let worse = r.assess_json(&json!({"deaths": d + more, "serious_injuries": i + more, "direct_loss_wan": l + more * 1000}), as_of()).expect("assessed");
        prop_assert!(grade_index(&r, &worse.grade) >= grade_index(&r, &base.grade));
    }
}
