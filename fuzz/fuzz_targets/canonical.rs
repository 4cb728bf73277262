#![no_main]
//! Canonicalisation never panics, is idempotent, and agrees with scope.
use libfuzzer_sys::fuzz_target;
use sitesweep::urls::{canonical, pattern, repeats_segments, ScopeKey};
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(url) = Url::parse(text) else { return };
    let once = canonical(&url);
    let _ = pattern(&url);
    let _ = repeats_segments(&url);
    if let Ok(again) = Url::parse(&format!("http://{once}")) {
        assert_eq!(canonical(&again), once);
        assert_eq!(ScopeKey::of(&again), ScopeKey::of(&url));
    }
});
