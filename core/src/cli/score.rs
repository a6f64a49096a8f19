//! `safegrade score` and `safegrade compare`: batch runs over CSV files, on
//! every core, with a rejects file, a summary on stderr and an optional
//! HTML report.
//!
//! Exit codes: 0 when every row was used, 3 when some rows were rejected, 2
//! on a fatal error (rules that do not check, an unreadable file, a header
//! that does not fit).

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use safegrade::batch::{self, BatchConfig, ListSource, OutputFormat, Source, Summary};

use super::eval::as_of_date;
use super::files::read_rule_file;

/// The flags `score` and `compare` share.
#[derive(clap::Args, Debug)]
pub(crate) struct BatchArgs {
    /// The firm file (CSV, UTF-8): a key column and the inputs of the rules.
    #[arg(long)]
    pub(crate) firms: String,
    /// A list file: `NAME=FILE.csv` (e.g. `accidents=accidents.csv`); repeatable.
    #[arg(long = "list", value_name = "NAME=FILE")]
    pub(crate) lists: Vec<String>,
    /// The date to assess as of (YYYY-MM-DD); defaults to today.
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    /// Results: `.csv` or `.jsonl`; `-` (the default) is CSV on stdout.
    #[arg(long, default_value = "-")]
    pub(crate) out: String,
    /// The rejects file (CSV); defaults to `rejects.csv` beside the results.
    #[arg(long)]
    pub(crate) rejects: Option<String>,
    /// The key column in every file; `uscc` is checked as a 统一社会信用代码.
    #[arg(long, default_value = "uscc")]
    pub(crate) key: String,
    /// Firm columns that are not inputs, copied to the results (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub(crate) carry: Vec<String>,
    /// Carried columns to count grades by in the summary and report; defaults
    /// to the carried columns `sector` and `region`.
    #[arg(long = "by", value_delimiter = ',')]
    pub(crate) by: Vec<String>,
    /// Start CSV output with a UTF-8 BOM (for Excel).
    #[arg(long)]
    pub(crate) bom: bool,
    /// The firm file and the list files are sorted by key: join them as they
    /// stream, in memory that does not grow with the number of firms.
    #[arg(long)]
    pub(crate) sorted: bool,
    /// Worker threads; 0 is one per core.
    #[arg(long, default_value_t = 0)]
    pub(crate) threads: usize,
    /// Firms per unit of parallel work.
    #[arg(long, default_value_t = 4096)]
    pub(crate) chunk_size: usize,
    /// Write a self-contained HTML report here.
    #[arg(long)]
    pub(crate) report: Option<String>,
    /// Write the summary as JSON here.
    #[arg(long)]
    pub(crate) summary: Option<String>,
}

/// What to run.
pub(crate) enum Mode<'a> {
    Score { rules: &'a str, explain: bool },
    Compare { old: &'a str, new: &'a str, new_as_of: Option<&'a str> },
}

fn load_rules(path: &str) -> Result<safegrade::Rules> {
    let loaded = safegrade::load(path, &read_rule_file);
    match loaded.rules {
        Some(r) => Ok(r),
        None => {
            for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
                eprint!("{}", loaded.sources.render(d));
            }
            bail!("`{path}` does not check; run `safegrade check {path}`")
        }
    }
}

fn open(path: &str) -> Result<Source> {
    let f = File::open(path).with_context(|| format!("cannot open `{path}`"))?;
    Ok(Source::new(path, f))
}

fn create(path: &Path) -> Result<Box<dyn Write>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    let f = File::create(path).with_context(|| format!("cannot create `{}`", path.display()))?;
    Ok(Box::new(BufWriter::with_capacity(1 << 20, f)))
}

pub(crate) fn run(mode: Mode<'_>, args: &BatchArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let as_of = as_of_date(args.as_of.as_deref())?;
    let format = if args.out.ends_with(".jsonl") || args.out.ends_with(".ndjson") {
        OutputFormat::JsonLines
    } else if args.out == "-" || args.out.ends_with(".csv") {
        OutputFormat::Csv
    } else {
        bail!("--out `{}`: name a .csv or .jsonl file (or `-` for CSV on stdout)", args.out);
    };
    let explain = matches!(mode, Mode::Score { explain: true, .. });
    let by = if args.by.is_empty() {
        args.carry.iter().filter(|c| matches!(c.as_str(), "sector" | "region")).cloned().collect()
    } else {
        args.by.clone()
    };
    let cfg = BatchConfig {
        as_of,
        key: args.key.clone(),
        carry: args.carry.clone(),
        breakdown: by,
        explain,
        format,
        bom: args.bom,
        sorted: args.sorted,
        chunk_size: args.chunk_size.max(1),
        threads: args.threads,
    };
    let firms = open(&args.firms)?;
    let mut lists = Vec::new();
    for l in &args.lists {
        let Some((name, path)) = l.split_once('=') else {
            bail!("--list `{l}`: expected NAME=FILE, e.g. accidents=accidents.csv");
        };
        lists.push(ListSource { list: name.to_string(), source: open(path)? });
    }
    let rejects_path = match &args.rejects {
        Some(p) => PathBuf::from(p),
        None if args.out == "-" => PathBuf::from("rejects.csv"),
        None => Path::new(&args.out).with_file_name("rejects.csv"),
    };
    let mut out: Box<dyn Write> = if args.out == "-" {
        Box::new(BufWriter::new(std::io::stdout().lock()))
    } else {
        create(Path::new(&args.out))?
    };
    let mut rejects = create(&rejects_path)?;

    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {human_pos} firms  {per_sec}  {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    let mut progress = |n: u64| {
        if let Some(b) = &bar {
            b.set_position(n);
        }
    };
    let (summary, title) = match mode {
        Mode::Score { rules, .. } => {
            let r = load_rules(rules)?;
            (
                batch::score(&r, &cfg, firms, lists, &mut out, &mut rejects, &mut progress),
                format!("safegrade score: {rules}"),
            )
        }
        Mode::Compare { old, new, new_as_of } => {
            let (o, n) = (load_rules(old)?, load_rules(new)?);
            let new_as_of = match new_as_of {
                Some(d) => as_of_date(Some(d))?,
                None => as_of,
            };
            let res = batch::compare(&o, &n, new_as_of, &cfg, firms, lists, &mut out, &mut rejects, &mut progress);
            (res, format!("safegrade compare: {old} → {new}"))
        }
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let summary = summary.map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(out);
    drop(rejects);
    let elapsed = started.elapsed().as_secs_f64();
    print_summary(&summary, elapsed, &args.out, &rejects_path);
    if let Some(p) = &args.summary {
        let mut w = create(Path::new(p))?;
        serde_json::to_writer_pretty(&mut w, &summary)?;
        w.flush()?;
    }
    if let Some(p) = &args.report {
        let html = super::report::render(&title, &cfg, &summary, elapsed);
        std::fs::write(p, html).with_context(|| format!("cannot write `{p}`"))?;
        eprintln!("report: {p}");
    }
    if !summary.balanced() {
        bail!("internal error: the accounting does not balance; please report this with the input files");
    }
    Ok(if summary.rejected() > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

fn print_summary(s: &Summary, elapsed: f64, out: &str, rejects: &Path) {
    let f = &s.firms;
    eprintln!("{}: {} firm rows = {} scored + {} rejected", f.file, f.rows, f.used, f.rejected);
    for l in &s.lists {
        eprintln!(
            "{} ({}): {} rows = {} attached + {} rejected",
            l.file,
            l.list.as_deref().unwrap_or(""),
            l.rows,
            l.used,
            l.rejected
        );
    }
    if !s.rejects.is_empty() {
        let parts: Vec<String> = s.rejects.iter().map(|(k, n)| format!("{k} {n}")).collect();
        eprintln!("rejected rows by reason: {}", parts.join(", "));
    }
    let show = |label: &str, steps: &[batch::StepSummary]| {
        for st in steps {
            let counts: Vec<String> = st.grades.iter().map(|g| format!("{} {}", g.id, g.count)).collect();
            let name = if st.alias.is_empty() { st.ruleset.clone() } else { format!("{} ({})", st.alias, st.ruleset) };
            eprintln!("{label}{name}: {}", counts.join(", "));
        }
    };
    if s.new_steps.is_empty() {
        show("", &s.steps);
    } else {
        show("old ", &s.steps);
        show("new ", &s.new_steps);
        for m in &s.migrations {
            let name = if m.alias.is_empty() { "grade" } else { m.alias.as_str() };
            eprintln!("{name}: {} of {} firms change grade", m.moved, f.used);
            eprintln!("  {:>12} → {}", "", m.to.join(" "));
            for (from, row) in m.from.iter().zip(&m.counts) {
                let cells: Vec<String> = row.iter().map(|n| format!("{n:>6}")).collect();
                eprintln!("  {from:>12}   {}", cells.join(""));
            }
        }
    }
    let rows_in = f.rows + s.lists.iter().map(|l| l.rows).sum::<u64>();
    eprintln!(
        "{:.2} s, {:.0} firms/s, {:.0} rows/s (firm and list rows)",
        elapsed,
        f.rows as f64 / elapsed.max(1e-9),
        rows_in as f64 / elapsed.max(1e-9)
    );
    let out = if out == "-" { "stdout" } else { out };
    eprintln!("results: {out}; rejects: {}", rejects.display());
}
