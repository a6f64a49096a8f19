//! Fuzz target: any bytes as a firm's JSON data against the shipped hazchem
//! risk rule set must be read and evaluated without panicking.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn rules() -> &'static safegrade::Rules {
    static RULES: OnceLock<safegrade::Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../");
        let read = |p: &str| std::fs::read_to_string(format!("{root}{p}")).map_err(|e| e.to_string());
        safegrade::load("rules/schemes/hazchem.toml", &read).rules.expect("the shipped scheme checks")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("a date");
    let _ = rules().assess_json(&json, as_of);
});
