//! `safegrade score` and `safegrade compare`: batch runs over CSV files, on
//! every core, with a rejects file, a summary on stderr and an optional
//! HTML report.
//!
//! Every file a run writes is staged in a temporary file before the run
//! starts (so a path that cannot take a file stops it before any work) and
//! renamed into place, all of them or none, only when the run has
//! succeeded (`atomic.rs`), the manifest last; `score` writes an audit
//! manifest beside its results (`manifest.rs`).
//!
//! Exit codes: 0 when every row was used, 3 when some rows were rejected, 2
//! on a fatal error (rules that do not check, an unreadable file, a header
//! that does not fit).

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use safegrade::batch::{self, BatchConfig, BatchErrorKind, ListRows, OutputFormat, RowSource, Source, Summary};

use super::atomic::{Ready, Staged};
use super::encoding::{self, Detected, Gb18030Cells, Gb18030Writer, InEncoding, OutEncoding};
use super::eval::as_of_date;
use super::excel;
use super::manifest::{self, FileHash, HashHandle, HashingReader, InputFile, Manifest};
use super::parquet;
use safegrade_rulefiles::{load_confined, read_rule_file};

/// The flags `score` and `compare` share.
#[derive(clap::Args, Debug)]
pub(crate) struct BatchArgs {
    /// The folder includes and scheme steps must lie in; defaults to the
    /// folder of the rule file, or for a scheme the folder above it.
    #[arg(long, value_name = "DIR")]
    pub(crate) rules_root: Option<String>,
    /// The firm file (CSV, a workbook `.xlsx`/`.xls`/`.ods`, `FILE.xlsx#Sheet`, or `.parquet`): a key column and the inputs of the rules.
    #[arg(long)]
    pub(crate) firms: String,
    /// A list file: `NAME=FILE.csv` (e.g. `accidents=accidents.csv`, `accidents=data.xlsx#Accidents` or `accidents=accidents.parquet`); repeatable.
    #[arg(long = "list", value_name = "NAME=FILE")]
    pub(crate) lists: Vec<String>,
    /// The date to assess as of (YYYY-MM-DD); defaults to today.
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    /// Results: `.csv`, `.jsonl`, `.xlsx` or `.parquet`; `-` (the default) is CSV on stdout.
    #[arg(long, default_value = "-")]
    pub(crate) out: String,
    /// The rejects file (CSV); defaults to `rejects.csv` beside the results.
    #[arg(long)]
    pub(crate) rejects: Option<String>,
    /// The key column in every file; `uscc` (also found headed
    /// `统一社会信用代码`) is checked as a 统一社会信用代码.
    #[arg(long, default_value = "uscc")]
    pub(crate) key: String,
    /// Firm columns that are not inputs, copied to the results (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub(crate) carry: Vec<String>,
    /// Columns to leave unread in any file, whatever their names, without
    /// the check for a misspelt input (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "COLUMN")]
    pub(crate) ignore: Vec<String>,
    /// Stop at any column that is not the key, an input (a field, in a list
    /// file), carried or ignored, instead of ignoring it.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Carried columns to count grades by in the summary and report; defaults
    /// to the carried columns `sector` and `region`.
    #[arg(long = "by", value_delimiter = ',')]
    pub(crate) by: Vec<String>,
    /// Start CSV output with a UTF-8 BOM (for Excel).
    #[arg(long)]
    pub(crate) bom: bool,
    /// The encoding of the CSV inputs: `auto` reads UTF-8, or GB18030
    /// (GBK) when the whole file decodes as GB18030 and is not UTF-8.
    #[arg(long, value_enum, default_value_t = InEncoding::Auto)]
    pub(crate) encoding: InEncoding,
    /// Read float columns of Parquet inputs, each by its shortest text
    /// (0.1 as `0.1`); without it a float column the rules read stops the
    /// run, since a float is not an exact number.
    #[arg(long)]
    pub(crate) floats: bool,
    /// The encoding of the CSV results and rejects; `gb18030` for systems
    /// that read only GBK.
    #[arg(long, value_enum, default_value_t = OutEncoding::Utf8)]
    pub(crate) out_encoding: OutEncoding,
    /// The firm file and the list files are sorted by key: join them as they
    /// stream, in memory that does not grow with the number of firms.
    #[arg(long)]
    pub(crate) sorted: bool,
    /// Worker threads; 0 is one per core, and at most 4 per core.
    #[arg(long, default_value_t = 0)]
    pub(crate) threads: usize,
    /// Firms per unit of parallel work (1 to 65,536).
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..=batch::MAX_CHUNK_SIZE as i64))]
    pub(crate) chunk_size: u32,
    /// Write a self-contained HTML report here.
    #[arg(long)]
    pub(crate) report: Option<String>,
    /// Write the summary as JSON here.
    #[arg(long)]
    pub(crate) summary: Option<String>,
    /// `score` only: where to write the audit manifest; defaults to
    /// `<out>.manifest.json` beside the results (none for `--out -`).
    #[arg(long)]
    pub(crate) manifest: Option<String>,
}

/// What to run.
#[derive(Clone, Copy)]
pub(crate) enum Mode<'a> {
    Score { rules: &'a str, explain: bool },
    Compare { old: &'a str, new: &'a str, new_as_of: Option<&'a str> },
}

/// What a run does with its manifest.
pub(crate) enum Audit {
    /// Write the manifest beside the output (or at `--manifest`); print the summary.
    Write,
    /// `verify`: build the manifest with paths relative to `base`, but write
    /// neither it nor the summary. `shown_as` names the inputs (firm file
    /// first) in the rejects and the summary as the recorded run named them.
    Rebuild { base: PathBuf, shown_as: Vec<String> },
}

/// What a run gave.
pub(crate) struct Outcome {
    pub(crate) exit: ExitCode,
    /// The manifest of a `score` run with a file output.
    pub(crate) manifest: Option<Manifest>,
}

/// Loaded rules and every rule file read, with its hash.
fn load_rules(path: &str, root: Option<&str>) -> Result<(safegrade::Rules, Vec<FileHash>)> {
    let read: RefCell<Vec<FileHash>> = RefCell::new(Vec::new());
    let loader = |p: &str| {
        let res = read_rule_file(p);
        if let Ok(text) = &res {
            let mut files = read.borrow_mut();
            if !files.iter().any(|f| f.path == p) {
                let sha256 = manifest::hash_bytes(text.as_bytes());
                files.push(FileHash { path: p.to_string(), sha256, bytes: text.len() as u64 });
            }
        }
        res
    };
    let loaded = load_confined(path, root, loader, || read.borrow_mut().clear());
    match loaded.rules {
        Some(r) => Ok((r, read.into_inner())),
        None => {
            for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
                errprint!("{}", loaded.sources.render(d));
            }
            bail!("`{path}` does not check; run `safegrade check {path}`")
        }
    }
}

/// Opens an input, named `shown_as` in the rejects and the summary, read
/// in `encoding` (with `auto`, decided from the whole file first); its
/// bytes, as in the file, are hashed as they are read. A workbook
/// (`FILE.xlsx`, `FILE.xlsx#Sheet`) is read whole, within
/// [`excel::MAX_WORKBOOK_BYTES`], and its sheet's rows read as they come,
/// named `FILE#Sheet`. A Parquet file (`FILE.parquet`) is read as its
/// record batches come, `floats` deciding whether a float column may be read.
fn open(
    arg: &str,
    shown_as: &str,
    encoding: InEncoding,
    cfg: &BatchConfig,
    floats: bool,
) -> Result<(Box<dyn RowSource>, HashHandle, Detected)> {
    if parquet::is_parquet(arg) {
        let (rows, handle) = parquet::open(arg, shown_as, floats)?;
        return Ok((rows, handle, Detected::Parquet));
    }
    let (path, sheet) = excel::split_sheet(arg);
    let f = File::open(path).with_context(|| format!("cannot open `{path}`"))?;
    if let Some(kind) = excel::Kind::of(path) {
        let length = f.metadata().map_or(0, |m| m.len());
        let (reader, handle) = HashingReader::new(f);
        let bytes = super::files::read_bounded_sized(reader, excel::MAX_WORKBOOK_BYTES, length)
            .with_context(|| format!("cannot read `{path}`"))?;
        let (shown_path, _) = excel::split_sheet(shown_as);
        let limits =
            excel::SheetLimits { columns: cfg.max_columns, field: cfg.max_field_bytes, row: cfg.max_row_bytes };
        let rows = excel::open(shown_path, kind, bytes, sheet, limits)?;
        return Ok((Box::new(rows), handle, Detected::Workbook(kind)));
    }
    let detected = match encoding {
        InEncoding::Utf8 => Detected::Utf8,
        InEncoding::Gb18030 => Detected::Gb18030,
        InEncoding::Auto => encoding::detect(path, shown_as)?,
    };
    let (reader, handle) = HashingReader::new(f);
    let source = match detected {
        Detected::Gb18030 => Source::with_cells(shown_as, reader, detected.name(), Gb18030Cells),
        Detected::Utf8 | Detected::Workbook(_) | Detected::Parquet => Source::new(shown_as, reader),
    };
    Ok((batch::csv_rows(source, cfg), handle, detected))
}

pub(crate) fn run(mode: Mode<'_>, args: &BatchArgs) -> Result<ExitCode> {
    Ok(execute(mode, args, &Audit::Write)?.exit)
}

pub(crate) fn execute(mode: Mode<'_>, args: &BatchArgs, audit: &Audit) -> Result<Outcome> {
    let started = Instant::now();
    let quiet = matches!(audit, Audit::Rebuild { .. });
    let as_of = as_of_date(args.as_of.as_deref())?;
    let workbook = args.out.ends_with(".xlsx");
    let parquet_out = args.out.ends_with(".parquet");
    let format = if args.out.ends_with(".jsonl") || args.out.ends_with(".ndjson") {
        OutputFormat::JsonLines
    } else if args.out == "-" || args.out.ends_with(".csv") || workbook {
        OutputFormat::Csv
    } else if parquet_out {
        OutputFormat::Cells
    } else {
        bail!("--out `{}`: name a .csv, .jsonl, .xlsx or .parquet file (or `-` for CSV on stdout)", args.out);
    };
    let explain = matches!(mode, Mode::Score { explain: true, .. });
    let rules_path = match mode {
        Mode::Score { rules, .. } => Some(rules),
        Mode::Compare { .. } => None,
    };
    let by = if args.by.is_empty() {
        args.carry.iter().filter(|c| matches!(c.as_str(), "sector" | "region")).cloned().collect()
    } else {
        args.by.clone()
    };
    let manifest_path = match (&mode, &args.manifest) {
        (Mode::Compare { .. }, Some(_)) => bail!("--manifest: only `score` writes a manifest"),
        (_, Some(_)) if args.out == "-" => bail!("--manifest needs the results in a file: give --out FILE"),
        (Mode::Score { .. }, Some(p)) => Some(PathBuf::from(p)),
        (Mode::Score { .. }, None) if args.out != "-" => Some(manifest::default_path(Path::new(&args.out))),
        _ => None,
    };
    if args.out_encoding == OutEncoding::Gb18030 {
        if workbook {
            bail!("--out-encoding gb18030: a workbook holds Unicode text; write CSV (--out FILE.csv) for GB18030");
        }
        if parquet_out {
            bail!("--out-encoding gb18030: a Parquet file holds UTF-8 text; write CSV (--out FILE.csv) for GB18030");
        }
        if format == OutputFormat::JsonLines {
            bail!("--out-encoding gb18030: JSON lines are always UTF-8; write CSV (--out FILE.csv) for GB18030");
        }
        if args.bom {
            bail!("--bom starts a file with a UTF-8 BOM, which has no place in GB18030 output: leave out one of --bom and --out-encoding gb18030");
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if args.threads > 4 * cores {
        bail!(
            "--threads {}: more than 4 per core (this machine has {cores}), which only costs memory; 0 is one per core",
            args.threads
        );
    }
    let cfg = BatchConfig {
        as_of,
        key: args.key.clone(),
        carry: args.carry.clone(),
        ignore: args.ignore.clone(),
        strict: args.strict,
        breakdown: by.clone(),
        explain,
        format,
        bom: args.bom,
        sorted: args.sorted,
        chunk_size: args.chunk_size as usize,
        threads: args.threads,
        ..BatchConfig::new(as_of)
    };
    let shown_as = |i: usize, path: &str| match audit {
        Audit::Rebuild { shown_as, .. } => shown_as.get(i).cloned().unwrap_or_else(|| path.to_string()),
        Audit::Write => path.to_string(),
    };
    let (firms, firms_hash, firms_enc) =
        open(&args.firms, &shown_as(0, &args.firms), args.encoding, &cfg, args.floats)?;
    let mut lists = Vec::new();
    let mut inputs: Vec<(Option<String>, String, HashHandle)> = vec![(None, args.firms.clone(), firms_hash)];
    let mut encodings = vec![firms_enc];
    for l in &args.lists {
        let Some((name, path)) = l.split_once('=') else {
            bail!("--list `{l}`: expected NAME=FILE, e.g. accidents=accidents.csv");
        };
        let (source, hash, enc) = open(path, &shown_as(lists.len() + 1, path), args.encoding, &cfg, args.floats)?;
        encodings.push(enc);
        lists.push(ListRows { list: name.to_string(), rows: source });
        inputs.push((Some(name.to_string()), path.to_string(), hash));
    }
    let rejects_path = match &args.rejects {
        Some(p) => PathBuf::from(p),
        None if args.out == "-" => PathBuf::from("rejects.csv"),
        None => Path::new(&args.out).with_file_name("rejects.csv"),
    };
    // The rules first: rules that do not check create no files.
    let (rules, title) = match mode {
        Mode::Score { rules, .. } => {
            let (r, files) = load_rules(rules, args.rules_root.as_deref())?;
            ((r, None, files), format!("safegrade score: {rules}"))
        }
        Mode::Compare { old, new, new_as_of } => {
            let ((o, mut files), (n, new_files)) =
                (load_rules(old, args.rules_root.as_deref())?, load_rules(new, args.rules_root.as_deref())?);
            files.extend(new_files);
            let new_as_of = match new_as_of {
                Some(d) => as_of_date(Some(d))?,
                None => as_of,
            };
            ((o, Some((n, new_as_of)), files), format!("safegrade compare: {old} → {new}"))
        }
    };
    let (rules, against, rule_files) = rules;
    let mut read: Vec<(String, &Path)> = vec![("--firms".into(), Path::new(excel::split_sheet(&args.firms).0))];
    read.extend(
        inputs[1..]
            .iter()
            .map(|(l, p, _)| (format!("--list {}", l.as_deref().unwrap_or("")), Path::new(excel::split_sheet(p).0))),
    );
    read.extend(rule_files.iter().map(|f| ("rule".into(), Path::new(&f.path))));
    let mut written: Vec<(&str, &Path)> = Vec::new();
    if args.out != "-" {
        written.push(("--out", Path::new(&args.out)));
    }
    written.push(("--rejects", &rejects_path));
    written.extend(args.report.as_deref().map(|p| ("--report", Path::new(p))));
    written.extend(args.summary.as_deref().map(|p| ("--summary", Path::new(p))));
    written.extend(manifest_path.as_deref().map(|p| ("the manifest", p)));
    super::clash::check(&read, &written)?;
    // Every output is staged before the run: a path that cannot take a file
    // stops it before any work.
    let mut workbook_file = None;
    let out: Output = if args.out == "-" {
        Output::Stdout(BufWriter::new(std::io::stdout()))
    } else if workbook {
        // The CSV results in memory, laid out as a workbook at the end.
        workbook_file = Some(Staged::create("--out", Path::new(&args.out))?);
        Output::Memory(Vec::new())
    } else if parquet_out {
        Output::Parquet(parquet::ResultsWriter::new(Staged::create("--out", Path::new(&args.out))?))
    } else {
        Output::File(Staged::create("--out", Path::new(&args.out))?)
    };
    let mut out = Encoded::new(out, args.out_encoding);
    let rejects = Encoded::new(Staged::create("--rejects", &rejects_path)?, args.out_encoding);
    let mut rejects = Copied { inner: rejects, copy: workbook.then(Vec::new) };
    let stage = |what: &str, path: Option<&Path>| path.map(|p| Staged::create(what, p)).transpose();
    let summary_file = stage("--summary", args.summary.as_deref().map(Path::new))?;
    let report_file = stage("--report", args.report.as_deref().map(Path::new))?;
    let manifest_file = match audit {
        Audit::Write => stage("the manifest", manifest_path.as_deref())?,
        Audit::Rebuild { .. } => None,
    };

    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
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
    let summary = match &against {
        None => batch::score_rows(&rules, &cfg, firms, lists, &mut out, &mut rejects, &mut progress),
        Some((new, new_as_of)) => {
            batch::compare_rows(&rules, new, *new_as_of, &cfg, firms, lists, &mut out, &mut rejects, &mut progress)
        }
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let mut summary = summary.map_err(|e| anyhow::anyhow!("{e}{}", advice(&e)))?;
    for (count, enc) in std::iter::once(&mut summary.firms).chain(&mut summary.lists).zip(&encodings) {
        count.encoding = enc.name().to_string();
    }
    if !summary.balanced() {
        bail!("internal error: the accounting does not balance; please report this with the input files");
    }
    let elapsed = started.elapsed().as_secs_f64();
    // Everything is staged; nothing is in place yet.
    let rejects_copy = rejects.copy.take().unwrap_or_default();
    let rejects_ready = rejects.inner.into_inner().context("cannot write the rejects")?.finish()?;
    let out_ready = match out.into_inner().context("cannot write the results")? {
        Output::Stdout(mut w) => {
            w.flush().context("cannot write to stdout")?;
            None
        }
        Output::File(s) => Some(s.finish()?),
        Output::Parquet(w) => Some(w.finish().with_context(|| format!("--out `{}`", args.out))?),
        Output::Memory(csv) => {
            let file = workbook_file.take().context("internal error: no workbook staged")?;
            if summary.firms.used > super::xlsx_out::MAX_DATA_ROWS {
                bail!(
                    "--out `{}`: {} firms scored, more than the {} rows an Excel sheet holds below its two header rows; write CSV (--out FILE.csv)",
                    args.out,
                    summary.firms.used,
                    super::xlsx_out::MAX_DATA_ROWS
                );
            }
            let bom = |b: &'_ [u8]| -> Vec<u8> { b.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(b).to_vec() };
            let parts = super::xlsx_out::Parts {
                rules: &rules,
                summary: &summary,
                results: &bom(&csv),
                rejects: &bom(&rejects_copy),
                fixed: 1 + args.carry.len(),
                as_of,
                compare: against.is_some(),
            };
            let bytes = super::xlsx_out::render(&parts).with_context(|| format!("--out `{}`", args.out))?;
            Some(file.finish_with(&bytes)?)
        }
    };
    let mut staged: Vec<Ready> = Vec::new();
    let mut hashed = |path: &str, ready: Ready| {
        let hash = FileHash { path: path.to_string(), sha256: ready.sha256.clone(), bytes: ready.bytes };
        staged.push(ready);
        hash
    };
    let summary_hash = match (summary_file, &args.summary) {
        (Some(file), Some(p)) => {
            let mut json = serde_json::to_vec_pretty(&summary)?;
            json.push(b'\n');
            Some(hashed(p, file.finish_with(&json)?))
        }
        _ => None,
    };
    let report_hash = match (report_file, &args.report) {
        (Some(file), Some(p)) => {
            let html = super::report::render(&title, &cfg, &summary, elapsed);
            Some(hashed(p, file.finish_with(html.as_bytes())?))
        }
        _ => None,
    };
    let manifest = match (&out_ready, &manifest_path) {
        (Some(out_ready), Some(mpath)) => {
            let base = match audit {
                Audit::Write => manifest::dir_of(mpath),
                Audit::Rebuild { base, .. } => base.clone(),
            };
            let rel = |p: &str| manifest::relative(Path::new(p), &base);
            let options = manifest::Options {
                rules: rel(rules_path.unwrap_or_default()),
                rules_root: args.rules_root.as_deref().map(rel),
                firms: rel(&args.firms),
                lists: inputs
                    .iter()
                    .filter_map(|(l, p, _)| l.as_ref().map(|l| manifest::ListOption { list: l.clone(), file: rel(p) }))
                    .collect(),
                key: args.key.clone(),
                carry: args.carry.clone(),
                ignore: args.ignore.clone(),
                strict: args.strict,
                by,
                explain,
                bom: args.bom,
                sorted: args.sorted,
                floats: args.floats,
                encoding: (args.encoding != InEncoding::Auto).then(|| args.encoding.flag().to_string()),
                out_encoding: (args.out_encoding != OutEncoding::Utf8).then(|| args.out_encoding.flag().to_string()),
                out: rel(&args.out),
                rejects: rel(&rejects_path.to_string_lossy()),
                summary: args.summary.as_deref().map(rel),
                report: args.report.as_deref().map(rel),
            };
            let files = rule_files.iter().map(|f| FileHash { path: rel(&f.path), ..f.clone() }).collect();
            let as_of = as_of.format("%Y-%m-%d").to_string();
            let m = Manifest {
                manifest: manifest::FORMAT,
                tool: manifest::Tool { name: "safegrade".into(), version: env!("CARGO_PKG_VERSION").into() },
                command: Manifest::command_of(&as_of, &options),
                as_of,
                options,
                rules: manifest::RulesRecord::of(&rules, files),
                inputs: inputs
                    .iter()
                    .enumerate()
                    .map(|(i, (list, p, h))| {
                        let (sha256, bytes) = h.digest();
                        let count = if i == 0 { &summary.firms } else { &summary.lists[i - 1] };
                        InputFile {
                            list: list.clone(),
                            path: rel(p),
                            shown_as: Some(shown_as(i, p)),
                            sha256,
                            bytes,
                            ignored_columns: count.ignored_columns.clone(),
                            encoding: Some(count.encoding.clone()),
                        }
                    })
                    .collect(),
                counts: manifest::Counts::of(&summary),
                outputs: manifest::Outputs {
                    results: FileHash {
                        path: rel(&args.out),
                        sha256: out_ready.sha256.clone(),
                        bytes: out_ready.bytes,
                    },
                    rejects: FileHash {
                        path: rel(&rejects_path.to_string_lossy()),
                        sha256: rejects_ready.sha256.clone(),
                        bytes: rejects_ready.bytes,
                    },
                    summary: summary_hash.map(|f| FileHash { path: rel(&f.path), ..f }),
                    report: report_hash.map(|f| FileHash { path: rel(&f.path), ..f }),
                },
            };
            if let Some(file) = manifest_file {
                staged.push(file.finish_with(&m.to_bytes()?)?);
            }
            Some(m)
        }
        _ => None,
    };
    // All or none, the manifest last: until it is renamed, the manifest of
    // an earlier run stays in place, and it never describes a mixed set
    // unless the process dies between two renames.
    let outputs = out_ready.into_iter().chain([rejects_ready]).chain(staged).collect();
    super::atomic::commit_all(outputs)?;
    if !quiet {
        print_summary(&summary, elapsed, &args.out, &rejects_path);
        if let Some(p) = &args.report {
            errln!("report: {p}");
        }
        if let (Some(p), Some(_)) = (&manifest_path, &manifest) {
            errln!("manifest: {}", p.display());
        }
    }
    let exit = if summary.rejected() > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS };
    Ok(Outcome { exit, manifest })
}

/// What the command line adds to a batch error: the flags that help.
fn advice(e: &batch::BatchError) -> String {
    match e.kind() {
        BatchErrorKind::LikelyTypo { column, meant, .. } => format!(
            "\n  rename the column `{column}` to `{meant}`; or, if it holds something else, leave it unread with --ignore {}",
            flag_value(column)
        ),
        BatchErrorKind::UnknownColumn { column, list: None } => format!(
            "\n  without --strict such a column is ignored; or copy it to the results with --carry {0}, or leave it unread with --ignore {0}",
            flag_value(column)
        ),
        BatchErrorKind::UnknownColumn { column, list: Some(_) } => format!(
            "\n  without --strict such a column is ignored; or leave it unread with --ignore {}",
            flag_value(column)
        ),
        BatchErrorKind::NoKeyColumn => "\n  name the key column with --key".into(),
        // Continues the message's own advice to sort the file.
        BatchErrorKind::NotSorted => ", or leave out --sorted".into(),
        BatchErrorKind::UnknownList { list } => {
            format!("\n  --list takes NAME=FILE, NAME one of those lists (not `{list}`)")
        }
        BatchErrorKind::BreakdownNotCarried { column } => {
            format!("\n  add --carry {} to count by it", flag_value(column))
        }
        _ => String::new(),
    }
}

/// A column name as a shell argument: quoted when it holds more than
/// letters, digits, `_`, `-`, `.` and Chinese characters.
fn flag_value(column: &str) -> String {
    if !column.is_empty() && column.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        column.to_string()
    } else {
        format!("'{}'", column.replace('\'', "'\\''"))
    }
}

/// An output, encoded as asked.
enum Encoded<W: Write> {
    Utf8(W),
    Gb18030(Gb18030Writer<W>),
}

impl<W: Write> Encoded<W> {
    fn new(inner: W, enc: OutEncoding) -> Encoded<W> {
        match enc {
            OutEncoding::Utf8 => Encoded::Utf8(inner),
            OutEncoding::Gb18030 => Encoded::Gb18030(Gb18030Writer::new(inner)),
        }
    }

    fn into_inner(self) -> std::io::Result<W> {
        match self {
            Encoded::Utf8(w) => Ok(w),
            Encoded::Gb18030(w) => w.into_inner(),
        }
    }
}

impl<W: Write> Write for Encoded<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Encoded::Utf8(w) => w.write(buf),
            Encoded::Gb18030(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Encoded::Utf8(w) => w.flush(),
            Encoded::Gb18030(w) => w.flush(),
        }
    }
}

/// The results: a staged file, stdout, memory (for a workbook), or a
/// Parquet file written as the run goes.
enum Output {
    File(Staged),
    Parquet(parquet::ResultsWriter),
    Stdout(BufWriter<std::io::Stdout>),
    Memory(Vec<u8>),
}

/// A writer that keeps a copy of what it writes, when asked (the rejects,
/// for a workbook's rejects sheet).
struct Copied<W: Write> {
    inner: W,
    copy: Option<Vec<u8>>,
}

impl<W: Write> Write for Copied<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(c) = &mut self.copy {
            c.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::File(f) => f.write(buf),
            Output::Parquet(w) => w.write(buf),
            Output::Stdout(w) => w.write(buf),
            Output::Memory(v) => v.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::File(f) => f.flush(),
            Output::Parquet(w) => w.flush(),
            Output::Stdout(w) => w.flush(),
            Output::Memory(_) => Ok(()),
        }
    }
}

fn print_summary(s: &Summary, elapsed: f64, out: &str, rejects: &Path) {
    for l in &s.lists_not_given {
        errln!("warning: the rules read the list `{l}`, but no --list {l}=FILE was given: every firm was scored with no `{l}` records");
    }
    if s.could_stream && s.firms.rows >= 100_000 {
        errln!("note: the firm file and the list files are in key order: with --sorted they are joined as they stream, in memory that does not grow with the number of firms");
    }
    for f in std::iter::once(&s.firms).chain(&s.lists) {
        if f.encoding == Detected::Gb18030.name() {
            errln!("note: {}: read as {} (it is not UTF-8)", f.file, f.encoding);
        }
    }
    for f in std::iter::once(&s.firms).chain(&s.lists) {
        let n = f.ignored_columns.len();
        if n > 0 {
            let columns = if n == 1 { "column" } else { "columns" };
            errln!("note: {}: {n} {columns} not read by the rules, ignored: {}", f.file, f.ignored_columns.join(", "));
        }
    }
    let f = &s.firms;
    errln!("{}: {} firm rows = {} scored + {} rejected", f.file, f.rows, f.used, f.rejected);
    for l in &s.lists {
        errln!(
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
        errln!("rejected rows by reason: {}", parts.join(", "));
    }
    let show = |label: &str, steps: &[batch::StepSummary]| {
        for st in steps {
            let counts: Vec<String> = st.grades.iter().map(|g| format!("{} {}", g.id, g.count)).collect();
            let name = if st.alias.is_empty() { st.ruleset.clone() } else { format!("{} ({})", st.alias, st.ruleset) };
            errln!("{label}{name}: {}", counts.join(", "));
        }
    };
    if s.new_steps.is_empty() {
        show("", &s.steps);
    } else {
        show("old ", &s.steps);
        show("new ", &s.new_steps);
        for m in &s.migrations {
            let name = if m.alias.is_empty() { "grade" } else { m.alias.as_str() };
            errln!("{name}: {} of {} firms change grade", m.moved, f.used);
            errln!("  {:>12} → {}", "", m.to.join(" "));
            for (from, row) in m.from.iter().zip(&m.counts) {
                let cells: Vec<String> = row.iter().map(|n| format!("{n:>6}")).collect();
                errln!("  {from:>12}   {}", cells.join(""));
            }
        }
    }
    let rows_in = f.rows + s.lists.iter().map(|l| l.rows).sum::<u64>();
    errln!(
        "{:.2} s, {:.0} firms/s, {:.0} rows/s (firm and list rows)",
        elapsed,
        f.rows as f64 / elapsed.max(1e-9),
        rows_in as f64 / elapsed.max(1e-9)
    );
    let out = if out == "-" { "stdout" } else { out };
    errln!("results: {out}; rejects: {}", rejects.display());
}
