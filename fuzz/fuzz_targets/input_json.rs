//! Fuzz target: any bytes as a firm's JSON data against the shipped hazchem
//! scheme must be read (keys given twice refused) and evaluated without
//! panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared.rs"]
mod shared;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(json) = safegrade::parse_firm_json(text) else { return };
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("a date");
    let _ = shared::hazchem().assess_json(&json, as_of);
});
