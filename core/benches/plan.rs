//! The plan benchmark (`cargo bench -p safegrade --bench plan`):
//! the compiled plan's cost per firm for the hazchem risk rule set, without
//! I/O, against a hand-written rust_decimal function computing the same
//! scorecard (the floor).
//!
//! It loads `rules/hazchem-risk-2018.toml` (which includes
//! `accident-severity.toml`), generates `FIRMS` synthetic firms (default
//! 20000, first argument) with a fixed-seed xorshift generator covering every
//! input and accident field, converts each once to a [`safegrade::Firm`] and
//! to a plain struct, checks that the plan and the floor agree on the score
//! and grade of every firm (a disagreement prints the firm and exits 1), then
//! times, best of 5 interleaved passes of at least 0.25 s each: the plan
//! without the next-grade search, the plan with default options, and the
//! floor, and prints ns/firm and the ratios (target: plan within 3× of the
//! floor). The accident fields the risk scorecard does not read (id,
//! concealed, fine_multiplied, responsible) are generated and passed to the
//! plan all the same.
//!
//! `--check` runs only the agreement check, on 2000 firms unless given
//! (for CI: `cargo bench -p safegrade --bench plan -- --check`). Without
//! `--bench`, which `cargo bench` passes, the check is all it does too:
//! `cargo test -p safegrade --bench plan` runs it in a debug build.

use std::hint::black_box;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Instant;

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use safegrade::{CompiledRules, EvalOptions, Rules};
use serde_json::{json, Map, Value as Json};

/// The allocator the `safegrade` binary uses, so the figures are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PASSES: usize = 5;
/// The shortest timed pass, in seconds.
const MIN_PASS_S: f64 = 0.25;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; without it (`cargo test --bench plan`) only check.
    let check_only = args.iter().any(|a| a == "--check") || !args.iter().any(|a| a == "--bench");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let default_n = if check_only { 2_000 } else { 20_000 };
    let n_firms: usize = positional.first().and_then(|a| a.parse().ok()).unwrap_or(default_n);

    let rules = load_rules();
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");

    // Generate once; both forms come from the same struct, outside any timing.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let plain: Vec<FirmStruct> = (0..n_firms).map(|_| gen_firm(&mut rng, as_of)).collect();
    let firms: Vec<safegrade::Firm> = plain
        .iter()
        .map(|f| {
            let json = firm_json(f, &mut rng);
            rules.firm_from_json(&json).unwrap_or_else(|e| panic!("generated firm rejected: {e:?}\n{json}"))
        })
        .collect();

    // Agreement on every firm (also the warm-up).
    let lean = EvalOptions { next_grade: false };
    let mut by_grade = [0usize; 4];
    let mut overridden = 0usize;
    let mut with_accidents = 0usize;
    for (i, (f, p)) in firms.iter().zip(&plain).enumerate() {
        let a = match rules.evaluate_with(f, as_of, lean) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("firm {i}: the plan failed: {e}\n{p:#?}");
                return ExitCode::FAILURE;
            }
        };
        let (score, grade) = hazchem_floor(p, as_of);
        let plan_score = Decimal::from_str(&a.score).expect("a decimal score");
        let fast = rules.score(f, as_of).expect("the fast path agrees with the full one on success");
        if fast.score() != plan_score || fast.grade() != &*a.grade {
            eprintln!(
                "firm {i}: CompiledRules::score gives {} {}, evaluate gives {} {}",
                fast.score(),
                fast.grade(),
                a.score,
                a.grade
            );
            return ExitCode::FAILURE;
        }
        if plan_score != score || &*a.grade != grade.id() {
            eprintln!(
                "firm {i}: DISAGREEMENT — plan: score {} grade {} (band {}, overrides {:?}); floor: score {score} grade {}\n\
                 fired: {:?}\nvalues: {:?}\n{p:#?}",
                a.score,
                a.grade,
                a.band_grade,
                a.overrides.iter().map(|o| &o.id).collect::<Vec<_>>(),
                grade.id(),
                a.items.iter().map(|it| (&it.id, &it.points)).collect::<Vec<_>>(),
                a.values,
            );
            return ExitCode::FAILURE;
        }
        by_grade[grade as usize] += 1;
        overridden += usize::from(!a.overrides.is_empty());
        with_accidents += usize::from(!p.accidents.is_empty());
    }
    let records: usize = plain.iter().map(|p| p.accidents.len()).sum();
    println!(
        "hazchem-risk-2018, as of {as_of}: {n_firms} firms ({with_accidents} with accidents, {records} accident records)"
    );
    println!(
        "grades: blue {}, yellow {}, orange {}, red {} ({overridden} with a direct-red override)",
        by_grade[0], by_grade[1], by_grade[2], by_grade[3]
    );
    println!("agreement: plan and hand-written floor agree on score and grade of all {n_firms} firms");
    if check_only {
        return ExitCode::SUCCESS;
    }

    let lean_loop = || {
        for f in &firms {
            black_box(rules.score(black_box(f), as_of).expect("evaluates"));
        }
    };
    let full_loop = || {
        for f in &firms {
            black_box(rules.evaluate_with(black_box(f), as_of, EvalOptions::default()).expect("evaluates"));
        }
    };
    let floor_loop = || {
        for f in &plain {
            black_box(hazchem_floor(black_box(f), black_box(as_of)));
        }
    };
    let [plan_lean, plan_full, floor] = best_of([&lean_loop, &full_loop, &floor_loop]).map(|ns| ns / n_firms as f64);
    println!("timing: best of {PASSES} passes (each >= {MIN_PASS_S} s) over {n_firms} firms, 1 thread, no I/O");
    println!("  (a) plan, CompiledRules::score (score, grade, items, values): {plan_lean:>7.0} ns/firm");
    println!("  (b) plan, evaluate: the full Assessment with next-grade plan: {plan_full:>7.0} ns/firm");
    println!("  (c) hand-written rust_decimal floor (score, grade):          {floor:>9.0} ns/firm");
    println!("  ratio (a)/(c): {:.1}x (target within 3x)", plan_lean / floor);
    println!("  ratio (b)/(c): {:.1}x", plan_full / floor);
    ExitCode::SUCCESS
}

/// Loads and checks the hazchem risk rule set from the repository.
fn load_rules() -> CompiledRules {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/hazchem-risk-2018.toml");
    let loaded = safegrade::load(path, &|p: &str| std::fs::read_to_string(p).map_err(|e| e.to_string()));
    match loaded.rules {
        Some(Rules::Set(r)) => r,
        Some(_) => panic!("hazchem-risk-2018 is a single rule set"),
        None => panic!("hazchem-risk-2018 does not check: {:?}", loaded.diagnostics),
    }
}

/// For each variant, the best (smallest) time of one loop over the firms, in
/// nanoseconds: each pass repeats the loop until it lasts [`MIN_PASS_S`], and
/// the passes of the variants are interleaved so a burst of load elsewhere on
/// the machine hits all of them alike.
fn best_of<const N: usize>(variants: [&dyn Fn(); N]) -> [f64; N] {
    // Loops per pass, from one timed loop of each.
    let reps: Vec<u32> = variants
        .iter()
        .map(|f| {
            let t = Instant::now();
            f();
            (MIN_PASS_S / t.elapsed().as_secs_f64().max(1e-9)).ceil().clamp(1.0, 1e6) as u32
        })
        .collect();
    let mut best = [f64::INFINITY; N];
    for _ in 0..PASSES {
        for (i, f) in variants.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..reps[i] {
                f();
            }
            best[i] = best[i].min(t.elapsed().as_secs_f64() * 1e9 / f64::from(reps[i]));
        }
    }
    best
}

// ---------------------------------------------------------------------------
// The plain firm and the hand-written floor
// ---------------------------------------------------------------------------

/// One accident record, as plain Rust.
#[derive(Clone, Debug)]
struct Accident {
    /// The record's id (empty: none given).
    id: String,
    date: NaiveDate,
    deaths: u32,
    serious_injuries: u32,
    direct_loss_wan: Decimal,
    social_impact: bool,
    concealed: bool,
    fine_multiplied: bool,
    responsible: bool,
}

/// Every input of hazchem-risk-2018, as plain Rust (defaults already applied).
#[derive(Clone, Debug, Default)]
struct FirmStruct {
    /// How many major hazards of grade 1, 2, 3 and 4.
    n_major_hazards: [u32; 4],
    n_explosives: u32,
    n_toxic_inhalation: u32,
    n_other_key_chemicals: u32,
    n_hazard_processes: u32,
    n_class_a_fire_places: u32,
    n_class_b_fire_places: u32,
    tank_next_to_open_flame: bool,
    outside_chem_park: bool,
    safety_distance_noncompliant: bool,
    new_process_untested: bool,
    unit_not_designed_no_diagnosis: bool,
    first_domestic_process_unverified: bool,
    fine_chem_no_reaction_assessment: bool,
    all_designed_by_class_a: bool,
    n_obsolete_items: u32,
    special_equipment_unregistered: bool,
    no_dual_power: bool,
    key_process_no_automation: bool,
    toxic_tank_farm_no_sis: bool,
    tank_farm_no_emergency_shutoff: bool,
    n_mh_monitoring_missing: u32,
    n_gas_detection_missing: u32,
    n_explosion_proof_missing: u32,
    n_occupied_rooms_in_units: u32,
    special_workers_uncertified: bool,
    n_leaders_not_certified: u32,
    n_safety_staff_unqualified: u32,
    n_key_unit_managers_unqualified: u32,
    no_registered_safety_engineer: bool,
    n_leaders_chem_degree: u32,
    operating_procedures_missing: bool,
    special_work_rules_deficient: bool,
    n_posts_no_responsibility: u32,
    has_fire_brigade: bool,
    /// 0 none, 1..=3 level_1..level_3.
    standardization: u8,
    accidents: Vec<Accident>,
}

/// The four colour bands, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grade {
    Blue,
    Yellow,
    Orange,
    Red,
}

impl Grade {
    fn id(self) -> &'static str {
        match self {
            Grade::Blue => "blue",
            Grade::Yellow => "yellow",
            Grade::Orange => "orange",
            Grade::Red => "red",
        }
    }
}

/// 国务院令第493号 第三条: 1 一般, 2 较大, 3 重大, 4 特别重大; the highest criterion wins.
fn accident_level(deaths: u32, serious_injuries: u32, loss_wan: Decimal) -> u8 {
    let by_deaths = match deaths {
        30.. => 4,
        10.. => 3,
        3.. => 2,
        _ => 1,
    };
    let by_injuries = match serious_injuries {
        100.. => 4,
        50.. => 3,
        10.. => 2,
        _ => 1,
    };
    let by_loss = if loss_wan >= Decimal::from(10_000) {
        4
    } else if loss_wan >= Decimal::from(5_000) {
        3
    } else if loss_wan >= Decimal::from(1_000) {
        2
    } else {
        1
    };
    by_deaths.max(by_injuries).max(by_loss)
}

/// A score group's net points, clamped to `[min, max]`.
fn group(net: Decimal, min: i64, max: i64) -> Decimal {
    net.clamp(Decimal::from(min), Decimal::from(max))
}

/// `k * n` in rust_decimal, `k` given as `mantissa × 10^-scale`.
fn per(mantissa: i64, scale: u32, n: u32) -> Decimal {
    Decimal::new(mantissa, scale) * Decimal::from(n)
}

/// Points when `cond` holds, else 0.
fn when(cond: bool, points: i64) -> Decimal {
    if cond {
        Decimal::from(points)
    } else {
        Decimal::ZERO
    }
}

/// The hazchem-risk-2018 scorecard written by hand: score and grade.
fn hazchem_floor(f: &FirmStruct, as_of: NaiveDate) -> (Decimal, Grade) {
    // Accident windows: `date within N years` = [as_of − N years, as_of].
    let since = |years: u32| as_of.checked_sub_months(Months::new(12 * years)).expect("date in range");
    let (since_1y, since_3y, since_5y) = (since(1), since(3), since(5));
    let (mut n_major_3y, mut n_larger_3y, mut n_larger_or_above_3y, mut n_fatal_1_2_3y) = (0u32, 0u32, 0u32, 0u32);
    let (mut n_social_no_casualty_3y, mut n_fatal_general_1y, mut n_accidents_5y) = (0u32, 0u32, 0u32);
    for a in &f.accidents {
        if a.date > as_of || a.date < since_5y {
            continue;
        }
        n_accidents_5y += 1;
        let level = accident_level(a.deaths, a.serious_injuries, a.direct_loss_wan);
        if a.date >= since_3y {
            n_major_3y += u32::from(level >= 3);
            n_larger_3y += u32::from(level == 2);
            n_larger_or_above_3y += u32::from(level >= 2);
            n_fatal_1_2_3y += u32::from((1..=2).contains(&a.deaths));
            n_social_no_casualty_3y += u32::from(a.social_impact && a.deaths == 0 && a.serious_injuries == 0);
        }
        if a.date >= since_1y {
            n_fatal_general_1y += u32::from(level == 1 && a.deaths >= 1);
        }
    }

    let mut score = Decimal::ONE_HUNDRED;
    // 1 固有危险性
    // One deduction per grade present (−10, −8, −6, −4), the 项目 capped at 10.
    let major_hazard: i64 =
        f.n_major_hazards.iter().zip([-10, -8, -6, -4]).map(|(&n, p)| if n > 0 { p } else { 0 }).sum();
    score += group(Decimal::from(major_hazard), -10, 0);
    score += group(
        per(-2, 0, f.n_explosives) + per(-2, 0, f.n_toxic_inhalation) + per(-1, 1, f.n_other_key_chemicals),
        -5,
        0,
    );
    score += group(per(-2, 0, f.n_hazard_processes), -10, 0);
    score += group(
        per(-1, 0, f.n_class_a_fire_places) + per(-5, 1, f.n_class_b_fire_places) + when(f.tank_next_to_open_flame, -5),
        -5,
        0,
    );
    // 2 周边环境
    score += group(when(f.outside_chem_park, -3) + when(f.safety_distance_noncompliant, -10), -10, 0);
    // 3 设计与评估
    score += group(
        when(f.first_domestic_process_unverified, -5)
            + when(f.fine_chem_no_reaction_assessment, -10)
            + when(f.all_designed_by_class_a, 2),
        -10,
        2,
    );
    // 4 设备
    score += group(
        per(-2, 0, f.n_obsolete_items) + when(f.special_equipment_unregistered, -2) + when(f.no_dual_power, -5),
        -5,
        0,
    );
    // 5 自控与安全设施
    score += group(
        when(f.key_process_no_automation, -10)
            + when(f.toxic_tank_farm_no_sis, -10)
            + when(f.tank_farm_no_emergency_shutoff, -5)
            + per(-1, 0, f.n_mh_monitoring_missing)
            + per(-1, 0, f.n_gas_detection_missing)
            + per(-1, 0, f.n_explosion_proof_missing)
            + per(-5, 0, f.n_occupied_rooms_in_units),
        -10,
        0,
    );
    // 6 人员资质
    score += group(
        per(-5, 0, f.n_leaders_not_certified)
            + per(-5, 0, f.n_safety_staff_unqualified)
            + per(-5, 0, f.n_key_unit_managers_unqualified)
            + when(f.no_registered_safety_engineer, -3)
            + per(2, 0, f.n_leaders_chem_degree),
        -15,
        6,
    );
    // 7 安全管理制度
    score += group(
        when(f.operating_procedures_missing, -5)
            + when(f.special_work_rules_deficient, -10)
            + per(-2, 0, f.n_posts_no_responsibility),
        -10,
        0,
    );
    // 8 应急管理, 9 标准化: bonuses without a group
    score += when(f.has_fire_brigade, 3);
    score += Decimal::from(match f.standardization {
        0 => 0,
        1 => 15,
        2 => 5,
        _ => 2,
    });
    // 9 安全事故情况
    score += group(
        when(n_larger_or_above_3y >= 1, -10)
            + when(n_fatal_1_2_3y >= 1, -8)
            + when(n_social_no_casualty_3y >= 1, -5)
            + when(n_accidents_5y == 0, 5),
        -10,
        5,
    );

    let score = score.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
    let band = if score >= Decimal::from(90) {
        Grade::Blue
    } else if score >= Decimal::from(75) {
        Grade::Yellow
    } else if score >= Decimal::from(60) {
        Grade::Orange
    } else {
        Grade::Red
    };
    let direct_red = f.new_process_untested
        || f.unit_not_designed_no_diagnosis
        || f.special_workers_uncertified
        || n_major_3y >= 1
        || n_larger_3y >= 2
        || n_fatal_general_1y >= 2;
    (score, if direct_red { Grade::Red } else { band })
}

// ---------------------------------------------------------------------------
// Synthetic firms
// ---------------------------------------------------------------------------

/// xorshift64* — deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) < p * (1u64 << 53) as f64
    }

    /// A count: 0 most of the time, else 1..=max (small values likelier).
    fn count(&mut self, p_nonzero: f64, max: u32) -> u32 {
        if !self.chance(p_nonzero) {
            return 0;
        }
        let a = self.below(u64::from(max)) as u32 + 1;
        let b = self.below(u64::from(max)) as u32 + 1;
        a.min(b)
    }
}

fn gen_firm(rng: &mut Rng, as_of: NaiveDate) -> FirmStruct {
    let mut f = FirmStruct {
        n_major_hazards: [rng.count(0.04, 2), rng.count(0.08, 2), rng.count(0.12, 3), rng.count(0.2, 4)],
        n_explosives: rng.count(0.05, 3),
        n_toxic_inhalation: rng.count(0.08, 3),
        n_other_key_chemicals: rng.count(0.4, 30),
        n_hazard_processes: rng.count(0.3, 6),
        n_class_a_fire_places: rng.count(0.4, 6),
        n_class_b_fire_places: rng.count(0.4, 8),
        tank_next_to_open_flame: rng.chance(0.03),
        outside_chem_park: rng.chance(0.3),
        safety_distance_noncompliant: rng.chance(0.05),
        new_process_untested: rng.chance(0.005),
        unit_not_designed_no_diagnosis: rng.chance(0.01),
        first_domestic_process_unverified: rng.chance(0.02),
        fine_chem_no_reaction_assessment: rng.chance(0.08),
        all_designed_by_class_a: rng.chance(0.3),
        n_obsolete_items: rng.count(0.06, 3),
        special_equipment_unregistered: rng.chance(0.08),
        no_dual_power: rng.chance(0.05),
        key_process_no_automation: rng.chance(0.04),
        toxic_tank_farm_no_sis: rng.chance(0.03),
        tank_farm_no_emergency_shutoff: rng.chance(0.05),
        n_mh_monitoring_missing: rng.count(0.1, 5),
        n_gas_detection_missing: rng.count(0.15, 5),
        n_explosion_proof_missing: rng.count(0.1, 5),
        n_occupied_rooms_in_units: rng.count(0.05, 3),
        special_workers_uncertified: rng.chance(0.01),
        n_leaders_not_certified: rng.count(0.05, 3),
        n_safety_staff_unqualified: rng.count(0.08, 3),
        n_key_unit_managers_unqualified: rng.count(0.1, 4),
        no_registered_safety_engineer: rng.chance(0.2),
        n_leaders_chem_degree: rng.below(4) as u32,
        operating_procedures_missing: rng.chance(0.05),
        special_work_rules_deficient: rng.chance(0.05),
        n_posts_no_responsibility: rng.count(0.08, 5),
        has_fire_brigade: rng.chance(0.15),
        standardization: [0, 1, 2, 2, 3, 3, 3, 3][rng.below(8) as usize],
        accidents: Vec::new(),
    };
    // 0–4 accidents over the last 6 years; most firms none.
    let n_acc = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 3, 4][rng.below(18) as usize];
    for _ in 0..n_acc {
        f.accidents.push(gen_accident(rng, as_of));
    }
    f
}

fn gen_accident(rng: &mut Rng, as_of: NaiveDate) -> Accident {
    let years = |n: u32| as_of.checked_sub_months(Months::new(12 * n)).expect("date");
    let date = match rng.below(100) {
        // The window edges (1, 3 and 5 years), on both sides.
        0..=14 => {
            let edge = years([1, 1, 3, 5][rng.below(4) as usize]);
            edge - chrono::Days::new(rng.below(2))
        }
        15 => as_of,
        // A record dated after as_of (entered ahead, or a typo): outside every window.
        16 => as_of + chrono::Days::new(1 + rng.below(60)),
        // Recent: the last 14 months.
        17..=46 => as_of - chrono::Days::new(rng.below(14 * 30)),
        _ => as_of - chrono::Days::new(rng.below(6 * 365 + 2)),
    };
    let deaths = match rng.below(100) {
        0..=64 => 0,
        65..=89 => 1 + rng.below(2) as u32,
        90..=96 => 3 + rng.below(7) as u32,
        97..=98 => 10 + rng.below(20) as u32,
        _ => 30 + rng.below(10) as u32,
    };
    let serious_injuries = match rng.below(100) {
        0..=49 => 0,
        50..=89 => 1 + rng.below(9) as u32,
        90..=96 => 10 + rng.below(40) as u32,
        97..=98 => 50 + rng.below(50) as u32,
        _ => 100 + rng.below(20) as u32,
    };
    let direct_loss_wan = match rng.below(100) {
        0..=29 => Decimal::ZERO,
        30..=84 => Decimal::new(rng.below(100_000) as i64, 2), // < 1000 万
        85..=89 => Decimal::from([1000, 5000, 10_000][rng.below(3) as usize]),
        90..=93 => Decimal::new(99_999 + 400_000 * rng.below(3) as i64, 2), // 999.99 / 4999.99 / 9999.99
        94..=97 => Decimal::new(100_000 + rng.below(400_000) as i64, 2),    // 1000–5000 万
        98 => Decimal::new(500_000 + rng.below(500_000) as i64, 2),         // 5000–10000 万
        _ => Decimal::new(1_000_000 + rng.below(2_000_000) as i64, 2),      // ≥ 1 亿
    };
    // Ids as in the investigation reports' numbering; some records have none.
    let id = if rng.chance(0.9) { format!("{}-{:03}", date.format("%Y"), rng.below(1000)) } else { String::new() };
    Accident {
        id,
        date,
        deaths,
        serious_injuries,
        direct_loss_wan,
        social_impact: rng.chance(0.25),
        concealed: rng.chance(0.03),
        fine_multiplied: rng.chance(0.03),
        responsible: !rng.chance(0.1),
    }
}

/// The firm as JSON for [`CompiledRules::firm_from_json`]; a value equal to
/// its declared default is sometimes left out (the default must apply).
fn firm_json(f: &FirmStruct, rng: &mut Rng) -> Json {
    let mut o = Map::new();
    let mut put = |o: &mut Map<String, Json>, name: &str, v: Json, is_default: bool| {
        if !(is_default && rng.chance(0.5)) {
            o.insert(name.to_string(), v);
        }
    };
    let enum_id = |v: u8, ids: [&str; 5]| ids[usize::from(v)].to_string();
    let counts = [
        ("n_major_hazards_grade_1", f.n_major_hazards[0]),
        ("n_major_hazards_grade_2", f.n_major_hazards[1]),
        ("n_major_hazards_grade_3", f.n_major_hazards[2]),
        ("n_major_hazards_grade_4", f.n_major_hazards[3]),
        ("n_explosives", f.n_explosives),
        ("n_toxic_inhalation", f.n_toxic_inhalation),
        ("n_other_key_chemicals", f.n_other_key_chemicals),
        ("n_hazard_processes", f.n_hazard_processes),
        ("n_class_a_fire_places", f.n_class_a_fire_places),
        ("n_class_b_fire_places", f.n_class_b_fire_places),
        ("n_obsolete_items", f.n_obsolete_items),
        ("n_mh_monitoring_missing", f.n_mh_monitoring_missing),
        ("n_gas_detection_missing", f.n_gas_detection_missing),
        ("n_explosion_proof_missing", f.n_explosion_proof_missing),
        ("n_occupied_rooms_in_units", f.n_occupied_rooms_in_units),
        ("n_leaders_not_certified", f.n_leaders_not_certified),
        ("n_safety_staff_unqualified", f.n_safety_staff_unqualified),
        ("n_key_unit_managers_unqualified", f.n_key_unit_managers_unqualified),
        ("n_leaders_chem_degree", f.n_leaders_chem_degree),
        ("n_posts_no_responsibility", f.n_posts_no_responsibility),
    ];
    for (name, v) in counts {
        put(&mut o, name, json!(v), v == 0);
    }
    let flags = [
        ("tank_next_to_open_flame", f.tank_next_to_open_flame),
        ("outside_chem_park", f.outside_chem_park),
        ("safety_distance_noncompliant", f.safety_distance_noncompliant),
        ("new_process_untested", f.new_process_untested),
        ("unit_not_designed_no_diagnosis", f.unit_not_designed_no_diagnosis),
        ("first_domestic_process_unverified", f.first_domestic_process_unverified),
        ("fine_chem_no_reaction_assessment", f.fine_chem_no_reaction_assessment),
        ("all_designed_by_class_a", f.all_designed_by_class_a),
        ("special_equipment_unregistered", f.special_equipment_unregistered),
        ("no_dual_power", f.no_dual_power),
        ("key_process_no_automation", f.key_process_no_automation),
        ("toxic_tank_farm_no_sis", f.toxic_tank_farm_no_sis),
        ("tank_farm_no_emergency_shutoff", f.tank_farm_no_emergency_shutoff),
        ("special_workers_uncertified", f.special_workers_uncertified),
        ("no_registered_safety_engineer", f.no_registered_safety_engineer),
        ("operating_procedures_missing", f.operating_procedures_missing),
        ("special_work_rules_deficient", f.special_work_rules_deficient),
        ("has_fire_brigade", f.has_fire_brigade),
    ];
    for (name, v) in flags {
        put(&mut o, name, json!(v), !v);
    }
    let std_id = enum_id(f.standardization, ["none", "level_1", "level_2", "level_3", ""]);
    put(&mut o, "standardization", json!(std_id), f.standardization == 0);
    let accidents: Vec<Json> = f
        .accidents
        .iter()
        .map(|a| {
            let mut r = Map::new();
            put(&mut r, "id", json!(a.id), a.id.is_empty());
            r.insert("date".into(), json!(a.date.format("%Y-%m-%d").to_string()));
            r.insert("deaths".into(), json!(a.deaths));
            r.insert("serious_injuries".into(), json!(a.serious_injuries));
            put(&mut r, "direct_loss_wan", json!(a.direct_loss_wan.to_string()), a.direct_loss_wan.is_zero());
            put(&mut r, "social_impact", json!(a.social_impact), !a.social_impact);
            put(&mut r, "concealed", json!(a.concealed), !a.concealed);
            put(&mut r, "fine_multiplied", json!(a.fine_multiplied), !a.fine_multiplied);
            put(&mut r, "responsible", json!(a.responsible), a.responsible);
            Json::Object(r)
        })
        .collect();
    if !(accidents.is_empty() && rng.chance(0.5)) {
        o.insert("accidents".into(), Json::Array(accidents));
    }
    Json::Object(o)
}
