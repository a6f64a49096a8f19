//! Fuzz target: any text as a rule file must load (parse and check) without
//! panicking; when it checks, its own test cases must run without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let no_files = |p: &str| Err(format!("no file {p}"));
    let loaded = safegrade::load_str("fuzz.toml", text, &no_files);
    for d in &loaded.diagnostics {
        let _ = loaded.sources.render(d);
    }
    if let Some(rules) = &loaded.rules {
        let _ = safegrade::run_tests(rules, &|_| String::new());
    }
});
