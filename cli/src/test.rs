//! `safegrade test`: run the test cases embedded in rule files.

use std::process::ExitCode;

use anyhow::Result;

use safegrade_rulefiles::load as load_rules;

use super::files::expand;

pub(crate) fn run(paths: &[String], rules_root: Option<&str>) -> Result<ExitCode> {
    let (mut passed, mut failed, mut broken) = (0, 0, 0);
    for path in expand(paths)? {
        let loaded = load_rules(&path, rules_root);
        let Some(rules) = &loaded.rules else {
            for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
                errprint!("{}", loaded.sources.render(d));
            }
            outln!("{path}: FAILED to check")?;
            broken += 1;
            continue;
        };
        let locate = |span: safegrade::Span| {
            let loc = loaded.sources.locate(span);
            format!("{}:{}", loc.file, loc.line)
        };
        for outcome in safegrade::run_tests(rules, &locate) {
            if outcome.passed() {
                passed += 1;
                outln!("ok     {}  {}", outcome.location, outcome.name)?;
            } else {
                failed += 1;
                outln!("FAIL   {}  {}", outcome.location, outcome.name)?;
                for f in &outcome.failures {
                    outln!("         {f}")?;
                }
            }
        }
    }
    outln!("{passed} passed, {failed} failed")?;
    if broken > 0 {
        outln!("{broken} rule files did not check")?;
    }
    Ok(if failed > 0 || broken > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
