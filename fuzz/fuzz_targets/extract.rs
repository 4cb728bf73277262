#![no_main]
//! Extraction never panics and every block it yields is matched safely.
use libfuzzer_sys::fuzz_target;
use sitesweep::extract::extract;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let url = Url::parse("http://example.gov.cn/").unwrap();
    let out = extract(&html, &url);
    for b in &out.page.blocks {
        assert!(!b.text.is_empty());
    }
});
