//! `safegrade verify MANIFEST`: re-scores a `score` run from its manifest, in
//! a temporary directory, and reports every difference from the record.
//!
//! The checks, in order: the manifest agrees with itself (its `command` is
//! the one its options give, its `inputs` are the files its options name,
//! its outputs the paths its options name); each input and rule file still
//! has its recorded SHA-256 and length (a missing file is a difference, and
//! re-scoring is skipped); every output it names (results, rejects, summary,
//! report) still has its recorded hash (a file edited after the run); then a
//! fresh run with the recorded options must read the same bytes and rule
//! files, give the same rule and step hashes, the same row counts and
//! byte-identical results, rejects and summary. The HTML report shows the
//! run's duration, so it is checked against its hash only. Where two
//! outputs differ the first differing line is shown.
//!
//! Exit codes: 0 when everything is identical, 1 when anything differs, 2
//! on an error (an unreadable manifest, rules that no longer check).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::encoding::{InEncoding, OutEncoding};
use super::manifest::{self, FileHash, Manifest};
use super::score::{self, Audit, BatchArgs, Mode};

pub(crate) fn run(path: &str) -> Result<ExitCode> {
    let mpath = Path::new(path);
    let old = Manifest::read(mpath)?;
    let base = manifest::dir_of(mpath);
    let at = |rel: &str| base.join(rel);
    let version = env!("CARGO_PKG_VERSION");
    if old.tool.version != version {
        errln!("note: the run was made with safegrade {}, this is {version}", old.tool.version);
    }
    let mut diffs: Vec<String> = consistency(&old);
    // A manifest at odds with itself cannot say what to re-run.
    let mut missing = !diffs.is_empty();
    for f in &old.inputs {
        // A workbook's sheet (`FILE.xlsx#Sheet`) is read from the file.
        let file = super::excel::split_sheet(&f.path).0;
        missing |= !check_file(&at(file), file, &f.sha256, f.bytes, &input_label(f), &mut diffs);
    }
    for f in &old.rules.files {
        missing |= !check_file(&at(&f.path), &f.path, &f.sha256, f.bytes, "rule file", &mut diffs);
    }
    let recorded = recorded_outputs(&old);
    let mut modified = vec![false; recorded.len()];
    for (i, (what, f)) in recorded.iter().enumerate() {
        match manifest::hash_file(&at(&f.path)) {
            Ok((sha, bytes)) if sha == f.sha256 && bytes == f.bytes => {}
            Ok(_) => modified[i] = true,
            Err(e) => diffs.push(format!("{what} `{}`: {}", f.path, cause(&e))),
        }
    }
    if missing {
        diffs.push("an input is missing or unreadable, or the manifest disagrees with itself: not re-scored".into());
        return report(path, &diffs);
    }

    let tmp = TempDir::new()?;
    let o = &old.options;
    let out_name = Path::new(&o.out).file_name().map_or_else(|| "results.csv".into(), |n| n.to_owned());
    let args = BatchArgs {
        rules_root: o.rules_root.as_ref().map(|r| path_arg(&at(r))),
        firms: path_arg(&at(&o.firms)),
        lists: o.lists.iter().map(|l| format!("{}={}", l.list, path_arg(&at(&l.file)))).collect(),
        as_of: Some(old.as_of.clone()),
        out: path_arg(&tmp.0.join(out_name)),
        rejects: Some(path_arg(&tmp.0.join("rejects.csv"))),
        key: o.key.clone(),
        carry: o.carry.clone(),
        ignore: o.ignore.clone(),
        strict: o.strict,
        by: o.by.clone(),
        bom: o.bom,
        sorted: o.sorted,
        floats: o.floats,
        encoding: match o.encoding.as_deref() {
            None => InEncoding::Auto,
            Some(e) => InEncoding::parse(e)
                .with_context(|| format!("the manifest's --encoding `{e}` is not one this tool reads"))?,
        },
        out_encoding: match o.out_encoding.as_deref() {
            None => OutEncoding::Utf8,
            Some(e) => OutEncoding::parse(e)
                .with_context(|| format!("the manifest's --out-encoding `{e}` is not one this tool writes"))?,
        },
        threads: 0,
        chunk_size: 4096,
        report: None,
        summary: o.summary.as_ref().map(|_| path_arg(&tmp.0.join("summary.json"))),
        manifest: Some(path_arg(&tmp.0.join("manifest.json"))),
    };
    let rules = path_arg(&at(&o.rules));
    let mode = Mode::Score { rules: &rules, explain: o.explain };
    let shown_as = old.inputs.iter().map(|f| f.shown_as.clone().unwrap_or_else(|| f.path.clone())).collect();
    let outcome = score::execute(mode, &args, &Audit::Rebuild { base: base.clone(), shown_as })?;
    let new = outcome.manifest.context("internal error: the re-run wrote no manifest")?;

    compare_rules(&old, &new, &mut diffs);
    compare_inputs(&old, &new, &mut diffs);
    compare_counts(&old.counts, &new.counts, &mut diffs);
    // Where the re-run wrote each output; the report is not reproducible.
    let fresh_of = |what: &str| match what {
        "results" => Some(args.out.as_str()),
        "rejects" => args.rejects.as_deref(),
        "summary" => args.summary.as_deref(),
        _ => None,
    };
    let now = recorded_outputs(&new);
    for (i, (what, rec)) in recorded.iter().enumerate() {
        let on_disk = at(&rec.path);
        let fresh_path = fresh_of(what);
        // A workbook or a Parquet file is compressed: its lines say nothing.
        let text = !rec.path.ends_with(".xlsx") && !rec.path.ends_with(".parquet");
        let line = |label| {
            fresh_path.filter(|_| text).map_or_else(String::new, |f| first_difference(&on_disk, label, Path::new(f)))
        };
        if modified[i] {
            let where_ = line("on disk");
            diffs.push(format!(
                "{what} `{}` was changed after the run (its hash differs from the record){where_}",
                rec.path
            ));
        }
        if fresh_path.is_none() {
            continue;
        }
        match now.iter().find(|(w, _)| w == what) {
            Some((_, n)) if n.sha256 == rec.sha256 => {}
            _ => {
                let where_ = if modified[i] { String::new() } else { line("recorded") };
                diffs.push(format!("{what}: a fresh run differs from the recorded `{}`{where_}", rec.path));
            }
        }
    }
    report(path, &diffs)
}

/// The outputs a manifest records, each with its name.
fn recorded_outputs(m: &Manifest) -> Vec<(&'static str, &FileHash)> {
    let o = &m.outputs;
    let mut out = vec![("results", &o.results), ("rejects", &o.rejects)];
    out.extend(o.summary.as_ref().map(|f| ("summary", f)));
    out.extend(o.report.as_ref().map(|f| ("report", f)));
    out
}

fn input_label(f: &manifest::InputFile) -> String {
    match &f.list {
        None => "firm file".to_string(),
        Some(l) => format!("list file ({l})"),
    }
}

/// The manifest's fields that repeat one another must agree: the command
/// is the one the options give, the inputs are the files the options name,
/// and the outputs are at the paths the options name.
fn consistency(m: &Manifest) -> Vec<String> {
    let mut diffs = Vec::new();
    if m.tool.name != "safegrade" {
        diffs.push(format!("the manifest names the tool `{}`, not safegrade", m.tool.name));
    }
    let expected = Manifest::command_of(&m.as_of, &m.options);
    if m.command != expected {
        let n = m.command.iter().zip(&expected).take_while(|(a, b)| a == b).count();
        let show = |c: &[String]| c.get(n).map_or_else(|| "(end)".to_string(), |a| format!("`{a}`"));
        diffs.push(format!(
            "the manifest's command does not match its options: argument {} is {} in the command, {} from the options",
            n + 1,
            show(&m.command),
            show(&expected)
        ));
    }
    let o = &m.options;
    let named: Vec<(Option<&str>, &str)> = std::iter::once((None, o.firms.as_str()))
        .chain(o.lists.iter().map(|l| (Some(l.list.as_str()), l.file.as_str())))
        .collect();
    let recorded: Vec<(Option<&str>, &str)> = m.inputs.iter().map(|f| (f.list.as_deref(), f.path.as_str())).collect();
    if named != recorded {
        let show = |v: &[(Option<&str>, &str)]| {
            v.iter()
                .map(|(l, p)| l.map_or_else(|| format!("firms={p}"), |l| format!("{l}={p}")))
                .collect::<Vec<_>>()
                .join(", ")
        };
        diffs.push(format!(
            "the manifest's inputs do not match its options: [{}] recorded, [{}] in the options",
            show(&recorded),
            show(&named)
        ));
    }
    let outputs = &m.outputs;
    let paths = [
        ("results", Some(&outputs.results.path), Some(&o.out)),
        ("rejects", Some(&outputs.rejects.path), Some(&o.rejects)),
        ("summary", outputs.summary.as_ref().map(|f| &f.path), o.summary.as_ref()),
        ("report", outputs.report.as_ref().map(|f| &f.path), o.report.as_ref()),
    ];
    for (what, recorded, option) in paths {
        if recorded != option {
            let show = |p: Option<&String>| p.map_or_else(|| "none".to_string(), |p| format!("`{p}`"));
            diffs.push(format!(
                "the manifest's {what} output is {} but its options name {}",
                show(recorded),
                show(option)
            ));
        }
    }
    diffs
}

fn compare_rules(old: &Manifest, new: &Manifest, diffs: &mut Vec<String>) {
    let o = &old.options;
    let (a, b) = (&old.rules, &new.rules);
    if (&a.kind, &a.id, &a.version) != (&b.kind, &b.id, &b.version) {
        diffs.push(format!(
            "rules `{}`: {} `{}` {} recorded, {} `{}` {} now",
            o.rules, a.kind, a.id, a.version, b.kind, b.id, b.version
        ));
    }
    if a.hash != b.hash {
        diffs.push(format!("rules `{}`: hash {} recorded, {} now", o.rules, short(&a.hash), short(&b.hash)));
    }
    for s in &a.steps {
        match b.steps.iter().find(|n| n.alias == s.alias) {
            Some(n) if n.hash == s.hash && n.version == s.version && n.id == s.id => {}
            Some(n) => diffs.push(format!(
                "rule set `{}` ({} {}): hash {} recorded, {} now ({} {})",
                step_name(&s.alias, &s.id),
                s.id,
                s.version,
                short(&s.hash),
                short(&n.hash),
                n.id,
                n.version
            )),
            None => diffs.push(format!("step `{}`: no longer in the scheme", s.alias)),
        }
    }
    for n in b.steps.iter().filter(|n| !a.steps.iter().any(|s| s.alias == n.alias)) {
        diffs.push(format!("step `{}`: new in the scheme", n.alias));
    }
    for n in b.files.iter().filter(|n| !a.files.iter().any(|f| f.path == n.path)) {
        diffs.push(format!("rule file `{}`: read now, not in the record", n.path));
    }
    for f in a.files.iter().filter(|f| !b.files.iter().any(|n| n.path == f.path)) {
        diffs.push(format!("rule file `{}`: in the record, not read now", f.path));
    }
}

/// The bytes the re-run read against the recorded hashes (a file that
/// changed between the first check and the re-run, or a manifest whose
/// entries were edited to match a changed file).
fn compare_inputs(old: &Manifest, new: &Manifest, diffs: &mut Vec<String>) {
    for (a, b) in old.inputs.iter().zip(&new.inputs) {
        if let (Some(was), Some(now)) = (&a.encoding, &b.encoding) {
            if was != now {
                diffs.push(format!("{} `{}`: read as {was} in the record, as {now} now", input_label(a), a.path));
            }
        }
        if a.ignored_columns != b.ignored_columns {
            diffs.push(format!(
                "{} `{}`: columns ignored: [{}] recorded, [{}] now",
                input_label(a),
                a.path,
                a.ignored_columns.join(", "),
                b.ignored_columns.join(", ")
            ));
        }
        if (&a.sha256, a.bytes) != (&b.sha256, b.bytes) {
            diffs.push(format!(
                "{} `{}`: the re-run read {} bytes with sha256 {}, the record says {} bytes with {}",
                input_label(a),
                a.path,
                b.bytes,
                short(&b.sha256),
                a.bytes,
                short(&a.sha256)
            ));
        }
    }
}

/// One line per file whose counts differ, saying which.
fn compare_counts(old: &manifest::Counts, new: &manifest::Counts, diffs: &mut Vec<String>) {
    let (a, b) = (&old.firms, &new.firms);
    if a != b {
        diffs.push(format!(
            "counts differ: firm rows {} = {} scored + {} rejected recorded, {} = {} + {} now",
            a.rows, a.used, a.rejected, b.rows, b.used, b.rejected
        ));
    }
    for (a, b) in old.lists.iter().zip(&new.lists).filter(|(a, b)| a != b) {
        diffs.push(format!(
            "counts differ: list `{}` rows {} = {} attached + {} rejected recorded, {} = {} + {} now",
            a.list.as_deref().unwrap_or(""),
            a.rows,
            a.used,
            a.rejected,
            b.rows,
            b.used,
            b.rejected
        ));
    }
    if old.lists.len() != new.lists.len() {
        diffs.push(format!("counts differ: {} list files recorded, {} now", old.lists.len(), new.lists.len()));
    }
}

/// Prints the verdict; exit 0 or 1.
fn report(path: &str, diffs: &[String]) -> Result<ExitCode> {
    if diffs.is_empty() {
        outln!("{path}: identical: inputs, rules, counts and outputs match the record")?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{path}: {} difference{}", diffs.len(), if diffs.len() == 1 { "" } else { "s" })?;
    for d in diffs {
        outln!("  {d}")?;
    }
    Ok(ExitCode::from(1))
}

/// Whether the file can be read; a changed hash or length is a difference.
fn check_file(path: &Path, rel: &str, sha256: &str, bytes: u64, what: &str, diffs: &mut Vec<String>) -> bool {
    match manifest::hash_file(path) {
        Ok((now, now_bytes)) => {
            if now != sha256 {
                diffs.push(format!("{what} `{rel}` changed: sha256 {} recorded, {} now", short(sha256), short(&now)));
            } else if now_bytes != bytes {
                diffs.push(format!("{what} `{rel}`: {bytes} bytes recorded, {now_bytes} now"));
            }
            true
        }
        Err(e) => {
            diffs.push(format!("{what} `{rel}`: {}", cause(&e)));
            false
        }
    }
}

/// Why a file could not be hashed: missing, or not a regular file.
fn cause(e: &anyhow::Error) -> String {
    match e.root_cause().downcast_ref::<std::io::Error>() {
        Some(io) if io.kind() == std::io::ErrorKind::NotFound => "missing".into(),
        _ => format!("{e:#}"),
    }
}

/// `: first difference at line N: … | …`, or empty when the lines agree.
fn first_difference(a: &Path, a_label: &str, b: &Path) -> String {
    let (Ok(fa), Ok(fb)) = (File::open(a), File::open(b)) else { return String::new() };
    let mut la = BufReader::new(fa).split(b'\n');
    let mut lb = BufReader::new(fb).split(b'\n');
    let mut n = 0u64;
    loop {
        n += 1;
        let (x, y) = (la.next().and_then(Result::ok), lb.next().and_then(Result::ok));
        if x.is_none() && y.is_none() {
            return String::new();
        }
        if x != y {
            let show = |l: Option<Vec<u8>>| match l {
                None => "(end of file)".to_string(),
                Some(l) => {
                    let s = String::from_utf8_lossy(&l).into_owned();
                    if s.chars().count() > 120 {
                        format!("{}…", s.chars().take(120).collect::<String>())
                    } else {
                        s
                    }
                }
            };
            return format!("; first difference at line {n}: {a_label} `{}`, re-scored `{}`", show(x), show(y));
        }
    }
}

fn step_name<'a>(alias: &'a str, id: &'a str) -> &'a str {
    if alias.is_empty() {
        id
    } else {
        alias
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn path_arg(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("safegrade-verify-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
