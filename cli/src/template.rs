//! `safegrade template`: empty files to fill for `safegrade score`, with
//! the columns the rules read, and a column guide.
//!
//! `--out DIR/firms.csv` writes `DIR/firms.csv` (the firm file's header),
//! `DIR/firms.LIST.csv` for each list the rules read, and
//! `DIR/firms.columns.csv`, the guide: each column's type, what a cell may
//! hold, whether it is required and what an empty cell means. Files are
//! written all or none, and an existing file is replaced only with
//! `--force`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use safegrade::batch::{self, Template};

use super::atomic::{commit_all, Staged};
use super::choices::Lang;
use safegrade_rulefiles::load as load_rules;

/// The files a template of `out` is written to: (what, path, contents).
fn files(out: &Path, t: &Template, bom: bool) -> Result<Vec<(String, PathBuf, String)>> {
    let Some(stem) = out.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".csv")) else {
        bail!("--out `{}`: name a .csv file, e.g. template/firms.csv", out.display());
    };
    if stem.is_empty() {
        bail!("--out `{}`: name a .csv file, e.g. template/firms.csv", out.display());
    }
    let beside = |suffix: &str| out.with_file_name(format!("{stem}.{suffix}.csv"));
    let bom = if bom { "\u{FEFF}" } else { "" };
    let mut files = vec![("the firm file".to_string(), out.to_path_buf(), Template::header_csv(&t.firms))];
    for (list, header) in &t.lists {
        files.push((format!("the `{list}` list file"), beside(list), Template::header_csv(header)));
    }
    files.push(("the column guide".to_string(), beside("columns"), t.guide_csv()));
    for (i, (what, path, _)) in files.iter().enumerate() {
        if let Some((other, _, _)) = files[..i].iter().find(|(_, p, _)| p == path) {
            bail!("{what} and {other} would both be `{}`; choose another --out", path.display());
        }
    }
    Ok(files.into_iter().map(|(what, path, text)| (what, path, format!("{bom}{text}"))).collect())
}

pub(crate) fn run(
    rules_path: &str,
    rules_root: Option<&str>,
    lang: Lang,
    out: &str,
    bom: bool,
    force: bool,
) -> Result<ExitCode> {
    let loaded = load_rules(rules_path, rules_root);
    let Some(rules) = loaded.rules else {
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
            errprint!("{}", loaded.sources.render(d));
        }
        bail!("`{rules_path}` does not check; run `safegrade check {rules_path}`");
    };
    let t = batch::template(&rules, lang.into());
    let files = files(Path::new(out), &t, bom)?;
    if !force {
        let existing: Vec<String> =
            files.iter().filter(|(_, p, _)| p.exists()).map(|(_, p, _)| format!("`{}`", p.display())).collect();
        if !existing.is_empty() {
            bail!(
                "{} already exist{}: give --force to replace, or another --out",
                existing.join(", "),
                if existing.len() == 1 { "s" } else { "" }
            );
        }
    }
    let mut staged = Vec::new();
    for (what, path, text) in &files {
        staged.push(Staged::create(what, path)?.finish_with(text.as_bytes())?);
    }
    commit_all(staged)?;
    let show = |p: &Path| p.display().to_string();
    errln!("{}: the firm file, {} columns", show(&files[0].1), t.firms.len());
    for ((list, header), (_, path, _)) in t.lists.iter().zip(&files[1..]) {
        errln!("{}: the `{list}` list file, {} columns", show(path), header.len());
    }
    errln!("{}: the column guide", show(&files[files.len() - 1].1));
    let lists: String =
        t.lists.iter().zip(&files[1..]).map(|((list, _), (_, p, _))| format!(" --list {list}={}", show(p))).collect();
    errln!(
        "fill in one row per firm (and per record), then: safegrade score --rules {rules_path} --firms {}{lists}",
        show(&files[0].1)
    );
    Ok(ExitCode::SUCCESS)
}
