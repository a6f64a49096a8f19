//! Fuzz target: any bytes as a batch run's CSV files through the shipped
//! hazchem scheme must give results or a clear error, never a panic, and
//! the accounting must balance. The input's first byte picks the options
//! (sorted join, JSON lines, explain, a small field limit); the rest is the
//! firm file, then after a NUL byte the accidents list, then after another
//! the penalties list.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use safegrade::batch::{self, BatchConfig, ListSource, OutputFormat, Source};

#[path = "shared.rs"]
mod shared;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let mut parts = rest.splitn(3, |&b| b == 0);
    let firms = parts.next().unwrap_or_default().to_vec();
    let lists: Vec<ListSource> = ["accidents", "penalties"]
        .iter()
        .zip(parts)
        .map(|(name, bytes)| ListSource {
            list: name.to_string(),
            source: Source::new(format!("{name}.csv"), Cursor::new(bytes.to_vec())),
        })
        .collect();
    let mut cfg = BatchConfig::new(chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date"));
    cfg.sorted = flags & 1 != 0;
    cfg.format = if flags & 2 != 0 { OutputFormat::JsonLines } else { OutputFormat::Csv };
    cfg.explain = flags & 4 != 0;
    cfg.bom = flags & 8 != 0;
    if flags & 16 != 0 {
        cfg.carry = vec!["name".into()];
    }
    if flags & 32 != 0 {
        cfg.max_field_bytes = 64;
        cfg.max_row_bytes = 256;
    }
    cfg.chunk_size = 1 + (flags as usize >> 6);
    let (mut out, mut rejects) = (Vec::new(), Vec::new());
    let firms = Source::new("firms.csv", Cursor::new(firms));
    if let Ok(summary) = batch::score(shared::hazchem(), &cfg, firms, lists, &mut out, &mut rejects, &mut |_| {}) {
        assert!(summary.balanced(), "the accounting does not balance: {summary:?}");
        assert!(std::str::from_utf8(&out).is_ok() && std::str::from_utf8(&rejects).is_ok());
    }
});
