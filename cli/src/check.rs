//! `safegrade check`: load each rule file and print its diagnostics.

use std::process::ExitCode;

use anyhow::Result;

use super::choices::Format;
use safegrade_rulefiles::load as load_rules;

use super::files::expand;

pub(crate) fn run(paths: &[String], rules_root: Option<&str>, format: Format) -> Result<ExitCode> {
    let mut any_error = false;
    let mut json_files = Vec::new();
    for path in expand(paths)? {
        let loaded = load_rules(&path, rules_root);
        let n_errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
        let n_warnings = loaded.diagnostics.len() - n_errors;
        any_error |= n_errors > 0;
        match format {
            Format::Human => {
                for d in &loaded.diagnostics {
                    errprint!("{}", loaded.sources.render(d));
                    errln!();
                }
                let status = if n_errors > 0 { "FAILED" } else { "ok" };
                outln!("{path}: {status} ({})", counts(n_errors, n_warnings))?;
            }
            Format::Json => {
                let diagnostics: Vec<serde_json::Value> =
                    loaded.diagnostics.iter().map(|d| loaded.sources.to_json(d)).collect();
                json_files.push(serde_json::json!({ "file": path, "ok": n_errors == 0, "diagnostics": diagnostics }));
            }
        }
    }
    if format == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&serde_json::json!({ "files": json_files }))?)?;
    }
    Ok(if any_error { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// "1 error, 2 warnings".
fn counts(n_errors: usize, n_warnings: usize) -> String {
    let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    format!("{}, {}", plural(n_errors, "error"), plural(n_warnings, "warning"))
}
