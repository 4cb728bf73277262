#![no_main]
//! robots.txt parsing never panics, whatever the bytes.
use libfuzzer_sys::fuzz_target;
use sitesweep::crawl::robots;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let r = robots::parse("sitesweep/0.1", data);
    let url = Url::parse("http://example.gov.cn/a/b.html?x=1").unwrap();
    let _ = r.allowed(&url);
    let _ = r.sitemaps();
    let _ = r.delay();
});
