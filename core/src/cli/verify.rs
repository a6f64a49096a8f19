//! `safegrade verify MANIFEST`: re-scores a `score` run from its manifest, in
//! a temporary directory, and reports every difference from the record.
//!
//! The checks, in order: each input and rule file still has its recorded
//! SHA-256 (a missing file is a difference, and re-scoring is skipped); the
//! results and rejects beside the manifest still have theirs (a file edited
//! after the run); then a fresh run with the recorded options must give the
//! same rule and step hashes, the same row counts and byte-identical results
//! and rejects. Where two outputs differ the first differing line is shown.
//!
//! Exit codes: 0 when everything is identical, 1 when anything differs, 2
//! on an error (an unreadable manifest, rules that no longer check).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::manifest::{self, Manifest};
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
    let mut diffs: Vec<String> = Vec::new();
    let mut missing = false;
    for f in &old.inputs {
        let what = match &f.list {
            None => "firm file".to_string(),
            Some(l) => format!("list file ({l})"),
        };
        missing |= !check_file(&at(&f.path), &f.path, &f.sha256, &what, &mut diffs);
    }
    for f in &old.rules.files {
        missing |= !check_file(&at(&f.path), &f.path, &f.sha256, "rule file", &mut diffs);
    }
    let outputs = [("results", &old.outputs.results), ("rejects", &old.outputs.rejects)];
    let mut modified = [false; 2];
    for (i, (what, f)) in outputs.iter().enumerate() {
        let p = at(&f.path);
        match manifest::hash_file(&p) {
            Ok((sha, _)) if sha == f.sha256 => {}
            Ok(_) => modified[i] = true,
            Err(_) => diffs.push(format!("{what} `{}`: missing", f.path)),
        }
    }
    if missing {
        diffs.push("an input is missing: not re-scored".into());
        return report(path, &diffs);
    }

    let tmp = TempDir::new()?;
    let o = &old.options;
    let out_name = Path::new(&o.out).file_name().map_or_else(|| "results.csv".into(), |n| n.to_owned());
    let args = BatchArgs {
        firms: path_arg(&at(&o.firms)),
        lists: o.lists.iter().map(|l| format!("{}={}", l.list, path_arg(&at(&l.file)))).collect(),
        as_of: Some(old.as_of.clone()),
        out: path_arg(&tmp.0.join(out_name)),
        rejects: Some(path_arg(&tmp.0.join("rejects.csv"))),
        key: o.key.clone(),
        carry: o.carry.clone(),
        by: o.by.clone(),
        bom: o.bom,
        sorted: o.sorted,
        threads: 0,
        chunk_size: 4096,
        report: None,
        summary: None,
        manifest: Some(path_arg(&tmp.0.join("manifest.json"))),
    };
    let rules = path_arg(&at(&o.rules));
    let mode = Mode::Score { rules: &rules, explain: o.explain };
    let outcome = score::execute(mode, &args, &Audit::Rebuild { base: base.clone() })?;
    let new = outcome.manifest.context("internal error: the re-run wrote no manifest")?;

    if new.rules.hash != old.rules.hash {
        diffs.push(format!(
            "rules `{}`: hash {} recorded, {} now",
            o.rules,
            short(&old.rules.hash),
            short(&new.rules.hash)
        ));
    }
    for s in &old.rules.steps {
        match new.rules.steps.iter().find(|n| n.alias == s.alias) {
            Some(n) if n.hash == s.hash && n.version == s.version => {}
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
    for n in new.rules.steps.iter().filter(|n| !old.rules.steps.iter().any(|s| s.alias == n.alias)) {
        diffs.push(format!("step `{}`: new in the scheme", n.alias));
    }
    for n in new.rules.files.iter().filter(|n| !old.rules.files.iter().any(|f| f.path == n.path)) {
        diffs.push(format!("rule file `{}`: read now, not in the record", n.path));
    }
    if new.counts != old.counts {
        let (a, b) = (&old.counts.firms, &new.counts.firms);
        diffs.push(format!(
            "counts differ: firm rows {} = {} scored + {} rejected recorded, {} = {} + {} now",
            a.rows, a.used, a.rejected, b.rows, b.used, b.rejected
        ));
        for (a, b) in old.counts.lists.iter().zip(&new.counts.lists).filter(|(a, b)| a != b) {
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
    }
    let fresh =
        [(&new.outputs.results, args.out.as_str()), (&new.outputs.rejects, args.rejects.as_deref().unwrap_or(""))];
    for (i, ((what, rec), (now, fresh_path))) in outputs.iter().zip(fresh).enumerate() {
        let on_disk = at(&rec.path);
        let line = |label| first_difference(&on_disk, label, Path::new(fresh_path));
        if modified[i] {
            let where_ = line("on disk");
            diffs.push(format!(
                "{what} `{}` was changed after the run (its hash differs from the record){where_}",
                rec.path
            ));
        }
        if now.sha256 != rec.sha256 {
            let where_ = if modified[i] { String::new() } else { line("recorded") };
            diffs.push(format!("{what}: a fresh run differs from the recorded `{}`{where_}", rec.path));
        }
    }
    report(path, &diffs)
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

/// Whether the file exists; a changed hash is a difference.
fn check_file(path: &Path, rel: &str, sha256: &str, what: &str, diffs: &mut Vec<String>) -> bool {
    match manifest::hash_file(path) {
        Ok((now, _)) => {
            if now != sha256 {
                diffs.push(format!("{what} `{rel}` changed: sha256 {} recorded, {} now", short(sha256), short(&now)));
            }
            true
        }
        Err(_) => {
            diffs.push(format!("{what} `{rel}`: missing"));
            false
        }
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
