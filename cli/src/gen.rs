//! `safegrade gen`: a synthetic district of firms for demos, tests and the
//! benchmark, shaped for the hazchem scheme (`rules/schemes/hazchem.toml`).
//!
//! The same seed always gives the same bytes: the generator is a splitmix64
//! stream and uses only integer arithmetic. Firms get valid 统一社会信用代码
//! (GB 32100, check character computed) in one district's region code, a
//! sector mix as in a district work-safety plan, and on average about five
//! list records each (accidents, penalties, hidden dangers). Every file is
//! written in ascending key order, so `score --sorted` can stream it.
//!
//! The output folder must be new or empty unless `--force` is given, so
//! that `gen` never silently replaces data files already there.
//!
//! With `--format parquet` the same rows are written as Parquet files of
//! typed columns (integers `Int64`, money `Decimal128`, dates `Date32`,
//! 是/否 answers `Boolean`, text `Utf8`; an empty cell a null), each
//! column's type fixed here by what the generator puts in it, and written
//! in row groups as the rows come, so memory does not grow with the
//! number of firms beyond the keys.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use chrono::{Days, NaiveDate};
use parquet::arrow::ArrowWriter;

/// The files `gen` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum GenFormat {
    /// CSV files (UTF-8, no BOM).
    Csv,
    /// Parquet files of typed columns.
    Parquet,
}

impl GenFormat {
    fn ext(self) -> &'static str {
        match self {
            GenFormat::Csv => "csv",
            GenFormat::Parquet => "parquet",
        }
    }
}

/// The most firms `gen` writes: ten million, about 5.5 GB of files (555
/// bytes a firm with its list records), with some 600 MB of keys held in
/// memory while they are written.
pub(crate) const MAX_FIRMS: u64 = 10_000_000;

/// splitmix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// Picks by integer weights.
    fn pick<'a, T>(&mut self, items: &'a [(T, u64)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.below(total);
        for (it, w) in items {
            if x < *w {
                return it;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }

    /// A small count: 0 with probability `zero_per_mille`, else 1..=max, smaller more likely.
    fn count(&mut self, zero_per_mille: u64, max: u64) -> u64 {
        if self.chance(zero_per_mille) {
            return 0;
        }
        let a = 1 + self.below(max);
        let b = 1 + self.below(max);
        a.min(b)
    }
}

const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The district: region code and its towns and streets (吴中区, 苏州市).
const REGION_CODE: &str = "320506";
const TOWNS: [(&str, u64); 10] = [
    ("长桥街道", 8),
    ("越溪街道", 9),
    ("郭巷街道", 10),
    ("横泾街道", 8),
    ("香山街道", 6),
    ("甪直镇", 14),
    ("木渎镇", 15),
    ("胥口镇", 10),
    ("临湖镇", 12),
    ("光福镇", 8),
];
/// Sector, weight, and the chance (‰) a firm of it handles hazardous chemicals at scale.
const SECTORS: [(&str, u64); 8] = [
    ("危险化学品", 22),
    ("工贸", 30),
    ("建筑施工", 14),
    ("冶金", 7),
    ("非煤矿山", 5),
    ("烟花爆竹", 3),
    ("粉尘涉爆", 9),
    ("有限空间作业", 10),
];
const NAME_HEADS: [&str; 24] = [
    "恒泰", "华鑫", "金盛", "瑞丰", "永安", "宏达", "新源", "天成", "嘉禾", "立信", "东吴", "太湖", "明辉", "汇通",
    "博远", "中晟", "润泽", "昌隆", "鼎力", "安达", "利民", "盛世", "协和", "聚能",
];
const NAME_TAILS: [(&str, &str); 8] = [
    ("危险化学品", "化工"),
    ("工贸", "机械制造"),
    ("建筑施工", "建设工程"),
    ("冶金", "金属材料"),
    ("非煤矿山", "石料开采"),
    ("烟花爆竹", "烟花爆竹经营"),
    ("粉尘涉爆", "木制品"),
    ("有限空间作业", "环保科技"),
];

/// The firm file's columns after uscc, name, sector and region.
const INPUTS: [&str; 51] = [
    "in_scope",
    "repair_recorded",
    "n_major_hazards_grade_1",
    "n_major_hazards_grade_2",
    "n_major_hazards_grade_3",
    "n_major_hazards_grade_4",
    "n_explosives",
    "n_toxic_inhalation",
    "n_other_key_chemicals",
    "n_hazard_processes",
    "n_class_a_fire_places",
    "n_class_b_fire_places",
    "tank_next_to_open_flame",
    "outside_chem_park",
    "safety_distance_noncompliant",
    "new_process_untested",
    "unit_not_designed_no_diagnosis",
    "first_domestic_process_unverified",
    "fine_chem_no_reaction_assessment",
    "all_designed_by_class_a",
    "n_obsolete_items",
    "special_equipment_unregistered",
    "no_dual_power",
    "key_process_no_automation",
    "toxic_tank_farm_no_sis",
    "tank_farm_no_emergency_shutoff",
    "n_mh_monitoring_missing",
    "n_gas_detection_missing",
    "n_explosion_proof_missing",
    "n_occupied_rooms_in_units",
    "special_workers_uncertified",
    "n_leaders_not_certified",
    "n_safety_staff_unqualified",
    "n_key_unit_managers_unqualified",
    "no_registered_safety_engineer",
    "n_leaders_chem_degree",
    "operating_procedures_missing",
    "special_work_rules_deficient",
    "n_posts_no_responsibility",
    "has_fire_brigade",
    "standardization",
    "sells_highly_toxic",
    "info_system_not_maintained",
    "precursor_not_reported",
    "hidden_danger_report_late",
    "no_annual_self_assessment",
    "n_registered_safety_engineers",
    "hazop_performed",
    "government_award",
    "safety_culture_award",
    "team_award",
];

/// The firm file's columns.
fn firm_columns() -> Vec<String> {
    ["uscc", "name", "sector", "region"].iter().chain(INPUTS.iter()).map(|c| c.to_string()).collect()
}

const ACCIDENT_COLUMNS: [&str; 10] = [
    "uscc",
    "id",
    "date",
    "deaths",
    "serious_injuries",
    "direct_loss_wan",
    "social_impact",
    "concealed",
    "fine_multiplied",
    "responsible",
];
const PENALTY_COLUMNS: [&str; 10] = [
    "uscc",
    "date",
    "accident_id",
    "accident_date",
    "fine_multiplied",
    "listing_date",
    "unlicensed",
    "assessment_fraud",
    "refused_execution",
    "egregious",
];
const DANGER_COLUMNS: [&str; 6] = ["uscc", "found", "deadline", "rectified_on", "major", "supervised"];

/// The Parquet type of a generated column, by what `run` writes in it:
/// counts are integers, `direct_loss_wan` is 万元 with two decimals, the
/// dates are dates, the 是/否 answers booleans, and the rest text (keys,
/// names, ids, the standardisation level and award options).
fn column_type(file: &str, column: &str) -> DataType {
    match (file, column) {
        (_, "uscc" | "name" | "sector" | "region" | "id" | "accident_id") => DataType::Utf8,
        ("firms", "standardization" | "government_award" | "safety_culture_award" | "team_award") => DataType::Utf8,
        ("firms", c) if c.starts_with("n_") => DataType::Int64,
        ("firms", _) => DataType::Boolean,
        ("accidents", "deaths" | "serious_injuries") => DataType::Int64,
        ("accidents", "direct_loss_wan") => DataType::Decimal128(18, 2),
        (_, "date" | "accident_date" | "listing_date" | "found" | "deadline" | "rectified_on") => DataType::Date32,
        _ => DataType::Boolean,
    }
}

/// A data file being written, row by row.
enum Table {
    Csv(BufWriter<File>),
    Parquet(Box<ParquetTable>),
}

/// Rows gathered into record batches of typed columns, written in row groups.
struct ParquetTable {
    schema: SchemaRef,
    /// The rows not yet in a batch, as text (是/否 as true/false).
    rows: Vec<Vec<String>>,
    writer: ArrowWriter<BufWriter<File>>,
}

/// Rows per record batch `gen` hands the Parquet writer.
const GEN_BATCH_ROWS: usize = 8192;

/// Rows per row group of a generated Parquet file: four files are written
/// at once, each holding a row group in memory until it is full.
const GEN_ROW_GROUP_ROWS: usize = 1 << 18;

impl Table {
    /// The data file `name`.`ext` in `dir` of the columns `columns`, its
    /// header written (CSV) or its schema set (Parquet).
    fn create(dir: &Path, name: &str, columns: &[String], format: GenFormat) -> Result<Table> {
        let w = create(dir, &format!("{name}.{}", format.ext()))?;
        match format {
            GenFormat::Csv => {
                let mut w = w;
                writeln!(w, "{}", columns.join(","))?;
                Ok(Table::Csv(w))
            }
            GenFormat::Parquet => {
                let fields: Vec<Field> = columns.iter().map(|c| Field::new(c, column_type(name, c), true)).collect();
                let schema = Arc::new(Schema::new(fields));
                let writer = ArrowWriter::try_new(
                    w,
                    schema.clone(),
                    Some(super::parquet::writer_properties(GEN_ROW_GROUP_ROWS)),
                )?;
                Ok(Table::Parquet(Box::new(ParquetTable { schema, rows: Vec::with_capacity(GEN_BATCH_ROWS), writer })))
            }
        }
    }

    fn row(&mut self, cells: &[&str]) -> Result<()> {
        match self {
            Table::Csv(w) => {
                for (i, c) in cells.iter().enumerate() {
                    if i > 0 {
                        w.write_all(b",")?;
                    }
                    w.write_all(c.as_bytes())?;
                }
                w.write_all(b"\n")?;
            }
            Table::Parquet(t) => {
                let row = cells
                    .iter()
                    .zip(t.schema.fields())
                    .map(|(c, f)| match (f.data_type(), *c) {
                        (DataType::Boolean, "是") => "true".to_string(),
                        (DataType::Boolean, "否") => "false".to_string(),
                        _ => c.to_string(),
                    })
                    .collect();
                t.rows.push(row);
                if t.rows.len() == GEN_BATCH_ROWS {
                    t.flush()?;
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self {
            Table::Csv(mut w) => w.flush()?,
            Table::Parquet(mut t) => {
                t.flush()?;
                t.writer.into_inner()?.flush()?;
            }
        }
        Ok(())
    }
}

impl ParquetTable {
    fn flush(&mut self) -> Result<()> {
        if !self.rows.is_empty() {
            let batch = safegrade_arrow::typed::batch(&self.schema, &self.rows)?;
            self.writer.write(&batch)?;
            self.rows.clear();
        }
        Ok(())
    }
}

/// What the penalties of one firm need to know of its accidents.
struct Accident {
    date: NaiveDate,
    /// The investigation report's id; empty in older exports.
    id: String,
    fatal: bool,
    /// 重大 or worse.
    major: bool,
    concealed: bool,
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "是"
    } else {
        "否"
    }
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A day within `days` before `as_of`.
fn day_before(rng: &mut Rng, as_of: NaiveDate, days: u64) -> NaiveDate {
    as_of.checked_sub_days(Days::new(rng.below(days))).unwrap_or(as_of)
}

fn uscc(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(18);
    s.push('9');
    s.push(if rng.chance(950) { '1' } else { '2' });
    s.push_str(REGION_CODE);
    for _ in 0..9 {
        s.push(USCC_CHARS[rng.below(USCC_CHARS.len() as u64) as usize] as char);
    }
    let check = safegrade::uscc_check_char(&s).unwrap_or('0');
    s.push(check);
    s
}

/// Creates the data file `name` in `dir`. A file of that name that is a
/// symbolic link is replaced by the new file, never written through: with
/// `--force`, a link must not lead the data over a file elsewhere.
fn create(dir: &Path, name: &str) -> Result<BufWriter<File>> {
    let path = dir.join(name);
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        std::fs::remove_file(&path).with_context(|| format!("cannot replace the link `{}`", path.display()))?;
    }
    let f = File::create(&path).with_context(|| format!("cannot create `{}`", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

/// Refuses an output folder that holds files, unless `force`: a mistyped
/// `--out` must not replace a bureau's exports named `firms.csv`.
fn check_out_dir(dir: &Path, out: &str, force: bool, format: GenFormat) -> Result<()> {
    let Ok(meta) = std::fs::metadata(dir) else { return Ok(()) };
    if !meta.is_dir() {
        bail!("--out `{out}` is not a folder");
    }
    let mut entries = std::fs::read_dir(dir).with_context(|| format!("cannot read `{out}`"))?;
    if !force && entries.next().is_some() {
        bail!(
            "--out `{out}` is not empty: give a new or empty folder, or --force to replace the data files in it \
             (firms.{0}, accidents.{0}, penalties.{0}, hidden_dangers.{0})",
            format.ext()
        );
    }
    Ok(())
}

pub(crate) fn run(n_firms: u64, seed: u64, as_of: &str, out: &str, force: bool, format: GenFormat) -> Result<ExitCode> {
    let as_of = NaiveDate::parse_from_str(as_of, "%Y-%m-%d")
        .with_context(|| format!("--as-of `{as_of}` is not a date YYYY-MM-DD"))?;
    let dir = Path::new(out);
    check_out_dir(dir, out, force, format)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{out}`"))?;
    let mut rng = Rng(seed);
    // Keys first, sorted and unique, so every file is in key order.
    let mut keys: Vec<String> = (0..n_firms).map(|_| uscc(&mut rng)).collect();
    keys.sort_unstable();
    keys.dedup();
    while (keys.len() as u64) < n_firms {
        keys.push(uscc(&mut rng));
        keys.sort_unstable();
        keys.dedup();
    }
    let strings = |c: &[&str]| c.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let mut firms = Table::create(dir, "firms", &firm_columns(), format)?;
    let mut accidents = Table::create(dir, "accidents", &strings(&ACCIDENT_COLUMNS), format)?;
    let mut penalties = Table::create(dir, "penalties", &strings(&PENALTY_COLUMNS), format)?;
    let mut dangers = Table::create(dir, "hidden_dangers", &strings(&DANGER_COLUMNS), format)?;
    let (mut n_acc, mut n_pen, mut n_hd) = (0u64, 0u64, 0u64);
    for (i, key) in keys.iter().enumerate() {
        let sector = *rng.pick(&SECTORS);
        let town = *rng.pick(&TOWNS);
        let chem = sector == "危险化学品";
        let head = NAME_HEADS[rng.below(NAME_HEADS.len() as u64) as usize];
        let tail = NAME_TAILS.iter().find(|(s, _)| *s == sector).map_or("实业", |(_, t)| t);
        let name = format!("苏州{head}{tail}有限公司{}", if i % 7 == 0 { "吴中分公司" } else { "" });
        // Firms with more hazards have more problems: a latent "care" level.
        let care = rng.below(100);
        let sloppy = |rng: &mut Rng, per_mille: u64| rng.chance(per_mille * (140 - care) / 100);
        let n = |rng: &mut Rng, zero: u64, max: u64| rng.count(1000 - (1000 - zero) * (140 - care) / 100, max);
        // Major hazards per grade (GB 18218): about a third of chemical firms have
        // some, often several units of different grades; a few other firms one.
        let major_hazards: [u64; 4] = if chem {
            [rng.count(980, 1), rng.count(940, 2), rng.count(880, 2), rng.count(830, 3)]
        } else {
            [0, 0, rng.count(995, 1), rng.count(975, 1)]
        };
        let standardization = if chem {
            *rng.pick(&[("level_1", 60), ("level_2", 400), ("level_3", 440), ("none", 100)])
        } else {
            *rng.pick(&[("level_1", 20), ("level_2", 280), ("level_3", 450), ("none", 250)])
        };
        let chem_n = |rng: &mut Rng, zero: u64, max: u64| if chem { rng.count(zero, max) } else { 0 };
        let mut row: Vec<String> = vec![key.clone(), name, sector.into(), town.into()];
        let cells: [String; 51] = [
            yes_no(true).into(),
            yes_no(rng.chance(5)).into(),
            major_hazards[0].to_string(),
            major_hazards[1].to_string(),
            major_hazards[2].to_string(),
            major_hazards[3].to_string(),
            chem_n(&mut rng, 900, 2).to_string(),
            chem_n(&mut rng, 850, 3).to_string(),
            chem_n(&mut rng, 500, 6).to_string(),
            chem_n(&mut rng, 700, 3).to_string(),
            chem_n(&mut rng, 500, 4).to_string(),
            chem_n(&mut rng, 400, 5).to_string(),
            yes_no(chem && sloppy(&mut rng, 20)).into(),
            yes_no(chem && rng.chance(300)).into(),
            yes_no(chem && sloppy(&mut rng, 15)).into(),
            yes_no(chem && sloppy(&mut rng, 2)).into(),
            yes_no(chem && sloppy(&mut rng, 3)).into(),
            yes_no(chem && sloppy(&mut rng, 2)).into(),
            yes_no(chem && sloppy(&mut rng, 40)).into(),
            yes_no(chem && rng.chance(250)).into(),
            n(&mut rng, 950, 3).to_string(),
            yes_no(sloppy(&mut rng, 40)).into(),
            yes_no(chem && sloppy(&mut rng, 60)).into(),
            yes_no(chem && sloppy(&mut rng, 30)).into(),
            yes_no(chem && sloppy(&mut rng, 10)).into(),
            yes_no(chem && sloppy(&mut rng, 15)).into(),
            if chem { n(&mut rng, 900, 3) } else { 0 }.to_string(),
            n(&mut rng, 880, 4).to_string(),
            n(&mut rng, 900, 4).to_string(),
            if chem { n(&mut rng, 950, 2) } else { 0 }.to_string(),
            yes_no(sloppy(&mut rng, 4)).into(),
            n(&mut rng, 920, 2).to_string(),
            n(&mut rng, 900, 2).to_string(),
            if chem { n(&mut rng, 880, 3) } else { 0 }.to_string(),
            yes_no(sloppy(&mut rng, 150)).into(),
            (if chem { rng.below(4) } else { rng.below(2) }).to_string(),
            yes_no(sloppy(&mut rng, 30)).into(),
            yes_no(sloppy(&mut rng, 50)).into(),
            n(&mut rng, 900, 5).to_string(),
            yes_no(chem && rng.chance(150)).into(),
            standardization.into(),
            yes_no(chem && rng.chance(40)).into(),
            yes_no(sloppy(&mut rng, 60)).into(),
            yes_no(chem && sloppy(&mut rng, 20)).into(),
            yes_no(sloppy(&mut rng, 70)).into(),
            yes_no(standardization != "none" && sloppy(&mut rng, 50)).into(),
            rng.count(700, 4).to_string(),
            yes_no(chem && rng.chance(300)).into(),
            (*rng.pick(&[("none", 960), ("municipal", 32), ("provincial", 8)])).into(),
            (*rng.pick(&[("none", 970), ("municipal", 20), ("provincial", 8), ("national", 2)])).into(),
            (*rng.pick(&[("none", 950), ("municipal", 40), ("provincial", 10)])).into(),
        ];
        row.extend(cells);
        firms.row(&row.iter().map(String::as_str).collect::<Vec<_>>())?;

        // Accidents: most firms none; a few have several. Most carry the id of
        // their investigation report (year and number); older exports have none.
        let mut accs: Vec<Accident> = Vec::new();
        let k = if sloppy(&mut rng, 200) { rng.count(0, 3) } else { 0 };
        for idx in 0..k {
            let d = day_before(&mut rng, as_of, 4 * 365);
            let deaths = *rng.pick(&[(0u64, 780), (1, 170), (2, 30), (3, 14), (5, 5), (11, 1)]);
            let injuries = *rng.pick(&[(0u64, 600), (1, 250), (2, 90), (5, 40), (12, 15), (60, 5)]);
            let loss = rng.below(30_000);
            let loss = if rng.chance(20) { loss * 50 } else { loss };
            let id = if rng.chance(900) { format!("{}-{:02}", d.format("%Y"), idx + 1) } else { String::new() };
            let concealed = rng.chance(15);
            // The 2–5× fine is recorded on the penalty decision, not the accident.
            let social = yes_no(deaths > 0 && rng.chance(100));
            let responsible = yes_no(!rng.chance(80));
            accidents.row(&[
                key,
                &id,
                &date(d),
                &deaths.to_string(),
                &injuries.to_string(),
                &format!("{}.{:02}", loss / 100, loss % 100),
                social,
                yes_no(concealed),
                "",
                responsible,
            ])?;
            // 重大 or worse (国务院令第493号 第三条), for the listing decisions below.
            let major = deaths >= 10 || injuries >= 50 || loss >= 500_000;
            accs.push(Accident { date: d, id, fatal: deaths > 0, major, concealed });
            n_acc += 1;
        }
        // Penalties: after an accident, and for violations found by inspections.
        let mut pens: Vec<(NaiveDate, Option<&Accident>)> = Vec::new();
        for a in &accs {
            if rng.chance(700) {
                let d = a.date.checked_add_days(Days::new(30 + rng.below(150))).unwrap_or(a.date).min(as_of);
                pens.push((d, Some(a)));
            }
        }
        let k = rng.count(400 + care * 4, 4);
        pens.extend((0..k).map(|_| (day_before(&mut rng, as_of, 4 * 365), None)));
        for (d, acc) in pens {
            let multiplied = acc.is_some_and(|a| a.fatal) && rng.chance(60);
            let flags = [sloppy(&mut rng, 10), rng.chance(1), sloppy(&mut rng, 5), sloppy(&mut rng, 3)];
            // A decision that may list the unit: most carry the date of the written
            // listing decision, some weeks later (after the unit was heard), once taken.
            let listing = multiplied || acc.is_some_and(|a| a.major || a.concealed) || flags.contains(&true);
            let listing_date =
                d.checked_add_days(Days::new(20 + rng.below(40))).filter(|l| listing && rng.chance(800) && *l <= as_of);
            penalties.row(&[
                key,
                &date(d),
                acc.map_or("", |a| a.id.as_str()),
                &acc.map(|a| date(a.date)).unwrap_or_default(),
                if acc.is_some() || multiplied { yes_no(multiplied) } else { "" },
                &listing_date.map(date).unwrap_or_default(),
                yes_no(flags[0]),
                yes_no(flags[1]),
                yes_no(flags[2]),
                yes_no(flags[3]),
            ])?;
            n_pen += 1;
        }
        // Hidden dangers found by inspections and self-checks.
        let k = rng.count(100 + care * 2, 13);
        for _ in 0..k {
            let found = day_before(&mut rng, as_of, 3 * 365);
            let deadline = found.checked_add_days(Days::new(15 + rng.below(76))).unwrap_or(found);
            let rectified = match rng.below(100) {
                0..=79 => found.checked_add_days(Days::new(rng.below(1 + (deadline - found).num_days() as u64))),
                80..=91 => deadline.checked_add_days(Days::new(1 + rng.below(60))),
                _ => None,
            }
            .filter(|d| *d <= as_of);
            let major = sloppy(&mut rng, 25);
            dangers.row(&[
                key,
                &date(found),
                &date(deadline),
                &rectified.map(date).unwrap_or_default(),
                yes_no(major),
                yes_no(major && rng.chance(200)),
            ])?;
            n_hd += 1;
        }
    }
    for t in [firms, accidents, penalties, dangers] {
        t.finish()?;
    }
    errln!(
        "{out}: {} firms, {n_acc} accidents, {n_pen} penalties, {n_hd} hidden dangers ({} list records)",
        keys.len(),
        n_acc + n_pen + n_hd
    );
    Ok(ExitCode::SUCCESS)
}
