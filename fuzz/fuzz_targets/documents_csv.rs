#![no_main]
//! CSV and plain text: any bytes give blocks or an Unreadable within the limits,
//! never a panic, hang or unbounded allocation. Seed the corpus with
//! documents from `sitesweep::documents::testgen` or real files.
use libfuzzer_sys::fuzz_target;
use sitesweep::documents::{read, read_as, Format, Hint, Limits};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 4 << 20,
        max_time: Duration::from_secs(2),
        ..Limits::default()
    };
    for format in [Format::Csv, Format::Txt] {
        if let Ok(doc) = read_as(data, format, Hint::default(), &limits) {
            assert!(doc.blocks.len() <= limits.max_cells);
            for b in &doc.blocks {
                assert!(!b.text.trim().is_empty() && !b.location.is_empty());
            }
        }
    }
    let _ = read(data, Hint::default(), &limits);
});
