//! Page bytes → text. District sites often serve GBK with no charset in the
//! header, only in `<meta>`, and sometimes mislabelled (a server default of
//! `charset=utf-8` in front of GBK pages). Order (docs/design-notes.md#charset): BOM →
//! Content-Type charset → `<meta>` in the first KiBs → valid UTF-8 →
//! chardetng with the TLD hint. A declared charset whose decoding has errors
//! falls through to the next step.

use encoding_rs::{Encoding, GB18030, GBK, UTF_8};
use regex::bytes::Regex;
use std::borrow::Cow;
use std::sync::OnceLock;

#[derive(Clone, Debug)]
pub struct Decoded {
    pub text: String,
    /// The charset used, as encoding_rs names it (`UTF-8`, `gb18030` …).
    pub charset: &'static str,
    /// How the charset was chosen: `bom`, `header`, `meta`, `utf-8`, `guess`.
    pub source: &'static str,
    /// No charset decoded the page cleanly: the text has replacement
    /// characters (reported as `page.decode`).
    pub errors: bool,
}

/// GBK and GB2312 labels decode as GB18030, their superset.
fn widen(enc: &'static Encoding) -> &'static Encoding {
    if enc == GBK {
        GB18030
    } else {
        enc
    }
}

/// Decode without replacement; a body cut by the size cap may end inside a
/// character, so up to 3 trailing bytes may be dropped when `truncated`.
fn strict(enc: &'static Encoding, bytes: &[u8], truncated: bool) -> Option<String> {
    let tries = if truncated { 4.min(bytes.len() + 1) } else { 1 };
    (0..tries).find_map(|cut| {
        enc.decode_without_bom_handling_and_without_replacement(&bytes[..bytes.len() - cut])
            .map(Cow::into_owned)
    })
}

fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    static META: OnceLock<Regex> = OnceLock::new();
    let re = META.get_or_init(|| {
        Regex::new(r#"(?i)<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9_\-:.]+)"#)
            .expect("valid regex")
    });
    let caps = re.captures(head)?;
    Encoding::for_label(caps.get(1)?.as_bytes())
}

/// The charset parameter of a Content-Type header value.
pub fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset"))
            .then(|| {
                Encoding::for_label(v.trim().trim_matches(|c| c == '"' || c == '\'').as_bytes())
            })
            .flatten()
    })
}

/// A declared charset that decodes all but this share of characters (one
/// in a hundred) is taken, bad bytes and all: a few corrupt bytes do not make
/// a label wrong, while a wrong label (UTF-8 in front of GBK) fails on every
/// Chinese character.
fn mostly(enc: &'static Encoding, bytes: &[u8]) -> Option<String> {
    let (text, _) = enc.decode_without_bom_handling(bytes);
    let chars = text.chars().count().max(1);
    let bad = text.chars().filter(|&c| c == '\u{FFFD}').count();
    (bad * 100 <= chars).then(|| text.into_owned())
}

/// Decode a page body. `tld` is the host's top-level domain (`cn`), a hint
/// for the guess.
pub fn decode(
    bytes: &[u8],
    content_type: Option<&str>,
    tld: Option<&str>,
    truncated: bool,
) -> Decoded {
    let clean = |text: String, enc: &'static Encoding, source: &'static str| Decoded {
        text,
        charset: enc.name(),
        source,
        errors: false,
    };
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Decoded {
            text: text.into_owned(),
            charset: enc.name(),
            source: "bom",
            errors,
        };
    }
    let header = content_type.and_then(header_charset).map(widen);
    // Most pages decode by their header: the <meta> is looked for only
    // when they do not.
    if let Some(text) = header.and_then(|e| strict(e, bytes, truncated)) {
        return clean(text, header.expect("some"), "header");
    }
    let head = &bytes[..bytes.len().min(8 * 1024)];
    // A page that says UTF-16 in <meta> cannot be UTF-16 (it was readable as ASCII).
    let meta = meta_charset(head).map(widen).map(|enc| {
        if enc.name().starts_with("UTF-16") {
            UTF_8
        } else {
            enc
        }
    });
    let declared = [(header, "header"), (meta, "meta")];
    if let Some(text) = meta.and_then(|e| strict(e, bytes, truncated)) {
        return clean(text, meta.expect("some"), "meta");
    }
    if let Some(text) = strict(UTF_8, bytes, truncated) {
        return clean(text, UTF_8, "utf-8");
    }
    // Nothing declared decodes cleanly. A declared charset that fails on a
    // few bytes only is still the page's charset: decode with replacement
    // and say so.
    for (enc, source) in declared {
        if let Some(text) = enc.and_then(|e| mostly(e, bytes)) {
            return Decoded {
                text,
                charset: enc.expect("some").name(),
                source,
                errors: true,
            };
        }
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = widen(detector.guess(tld.map(str::as_bytes), chardetng::Utf8Detection::Allow));
    if let Some(text) = strict(guess, bytes, truncated) {
        return clean(text, guess, "guess");
    }
    let (text, errors) = guess.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        charset: guess.name(),
        source: "guess",
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(s: &str) -> Vec<u8> {
        GBK.encode(s).0.into_owned()
    }

    #[test]
    fn gbk_with_charset_only_in_meta() {
        let page = gbk("<html><head><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=gb2312\"></head><body>区第一中学</body></html>");
        let d = decode(&page, Some("text/html"), Some("cn"), false);
        assert!(d.text.contains("区第一中学"));
        assert_eq!((d.charset, d.source), ("gb18030", "meta"));
    }

    #[test]
    fn gbk_mislabelled_utf8_falls_through() {
        let page = gbk("<html><body>欢迎访问区人民政府网站，这里是政务公开栏目</body></html>");
        let d = decode(&page, Some("text/html; charset=utf-8"), Some("cn"), false);
        assert!(d.text.contains("欢迎访问区人民政府网站"), "{}", d.text);
        assert!(!d.errors);
    }

    #[test]
    fn utf8_without_labels_and_a_cut_character() {
        let page = "<p>政务公开</p>".as_bytes();
        assert_eq!(decode(page, None, None, false).source, "utf-8");
        let cut = &page[..page.len() - 5]; // inside 开
        let d = decode(&cut[..cut.len() - 1], None, None, true);
        assert_eq!(d.source, "utf-8");
        assert!(!d.errors);
    }

    #[test]
    fn bom_wins() {
        let page = [b"\xEF\xBB\xBF".as_slice(), "<p>政务</p>".as_bytes()].concat();
        let d = decode(&page, Some("text/html; charset=gbk"), None, false);
        assert_eq!((d.source, d.text.as_str()), ("bom", "<p>政务</p>"));
    }
}
