//! `safegrade eval`: evaluate one firm and print the result JSON, or as
//! text for people (`text.rs`); warnings about the firm's data (records
//! dated after the as-of date) go to stderr.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;

use safegrade_rulefiles::load as load_rules;

use super::files::read_input;

/// Parses `--as-of`, defaulting to today's local date.
pub(crate) fn as_of_date(s: Option<&str>) -> Result<NaiveDate> {
    match s {
        None => Ok(chrono::Local::now().date_naive()),
        Some(s) => {
            // Exactly YYYY-MM-DD: chrono alone reads `26-11-29` as the year 26.
            let shaped = s.len() == 10
                && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
            if !shaped {
                anyhow::bail!("--as-of `{s}` is not a date YYYY-MM-DD");
            }
            NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| format!("--as-of `{s}` is not a date YYYY-MM-DD"))
        }
    }
}

pub(crate) fn run(
    rules_path: &str,
    rules_root: Option<&str>,
    input_path: &str,
    as_of: Option<&str>,
    as_text: Option<super::choices::Lang>,
) -> Result<ExitCode> {
    let as_of = as_of_date(as_of)?;
    let loaded = load_rules(rules_path, rules_root);
    let Some(rules) = loaded.rules else {
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
            errprint!("{}", loaded.sources.render(d));
        }
        bail!("`{rules_path}` does not check; run `safegrade check {rules_path}`");
    };
    let text = read_input(input_path)?;
    let json = safegrade::parse_firm_json(&text)
        .with_context(|| format!("{} is not valid JSON", if input_path == "-" { "<stdin>" } else { input_path }))?;
    match rules.assess_json(&json, as_of) {
        Ok(res) => {
            match as_text {
                Some(lang) => outln!("{}", super::text::render(&rules, &res, lang).trim_end())?,
                None => outln!("{}", serde_json::to_string_pretty(&res)?)?,
            }
            for w in warnings_of(&res) {
                errln!("warning: {w}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            match &e {
                safegrade::AssessError::Input { errors } => {
                    let name = if input_path == "-" { "<stdin>" } else { input_path };
                    for err in errors {
                        errln!("error: {name}: {err}");
                    }
                }
                safegrade::AssessError::Eval { error } => errln!("error: evaluation failed: {error}"),
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// The warnings of a result: a rule set's own, or each scheme step's named
/// by the step.
fn warnings_of(res: &serde_json::Value) -> Vec<String> {
    let messages = |r: &serde_json::Value| -> Vec<String> {
        r.get("warnings")
            .and_then(|w| w.as_array())
            .map(|ws| ws.iter().filter_map(|w| w.get("message")?.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    match res.get("steps").and_then(|s| s.as_object()) {
        Some(steps) => steps
            .iter()
            .flat_map(|(alias, step)| messages(step).into_iter().map(move |m| format!("{alias}: {m}")))
            .collect(),
        None => messages(res),
    }
}
