#![no_main]
//! Charset detection never panics; a BOM-less clean UTF-8 input stays UTF-8.
use libfuzzer_sys::fuzz_target;
use sitesweep::decode::decode;

fuzz_target!(|data: &[u8]| {
    let d = decode(data, Some("text/html; charset=gbk"), Some("cn"), false);
    let _ = d.text.len();
    let d = decode(data, None, None, true);
    if std::str::from_utf8(data).is_ok() && !data.starts_with(b"\xEF\xBB\xBF") && d.source == "utf-8" {
        assert!(!d.errors);
    }
});
