//! The paths a run reads and writes: every output must be a file of its
//! own, neither an input nor another output, or a run would overwrite the
//! bureau's data (say `--out firms.csv`) or one result with another (say
//! `--report` and `--out` on one path).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// A path as the file it names: canonical where the file, or else its
/// folder, exists (so `out/../firms.csv` and a link to it are `firms.csv`).
fn identity(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (absolute.parent().and_then(|d| d.canonicalize().ok()), absolute.file_name()) {
        (Some(dir), Some(name)) => dir.join(name),
        _ => absolute,
    }
}

/// Fails, naming both, when an output is an input or another output.
/// Each path comes with the option that gave it.
pub(crate) fn check(inputs: &[(String, &Path)], outputs: &[(&str, &Path)]) -> Result<()> {
    let inputs: Vec<(&str, &Path, PathBuf)> = inputs.iter().map(|(o, p)| (o.as_str(), *p, identity(p))).collect();
    let mut seen: Vec<(&str, &Path, PathBuf)> = Vec::new();
    for &(option, path) in outputs {
        let id = identity(path);
        if let Some((input, given, _)) = inputs.iter().find(|(_, _, i)| *i == id) {
            bail!(
                "{option} `{}` is the {input} file `{}`: refusing to overwrite an input",
                path.display(),
                given.display()
            );
        }
        if let Some((other, given, _)) = seen.iter().find(|(_, _, o)| *o == id) {
            bail!(
                "{option} `{}` and {other} `{}` are the same file; give each output a path of its own",
                path.display(),
                given.display()
            );
        }
        seen.push((option, path, id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_may_not_be_inputs_or_each_other() {
        let dir = std::env::temp_dir().join(format!("safegrade-clash-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("out")).unwrap();
        let firms = dir.join("firms.csv");
        std::fs::write(&firms, "uscc\n").unwrap();
        let inputs = [("--firms".to_string(), firms.as_path())];
        let over_input = dir.join("out/../firms.csv");
        let err = check(&inputs, &[("--out", &over_input)]).unwrap_err().to_string();
        assert!(err.starts_with("--out") && err.contains("--firms") && err.contains("overwrite"), "{err}");
        let (a, b) = (dir.join("out/r.csv"), dir.join("out/./r.csv"));
        let err = check(&inputs, &[("--out", &a), ("--report", &b)]).unwrap_err().to_string();
        assert!(err.contains("--report") && err.contains("--out") && err.contains("same file"), "{err}");
        // Files that do not exist yet, in a folder that does not either.
        let (c, d) = (dir.join("new/r.csv"), dir.join("new/rejects.csv"));
        check(&inputs, &[("--out", &c), ("--rejects", &d)]).unwrap();
        assert!(check(&inputs, &[("--out", &c), ("--rejects", &c)]).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
