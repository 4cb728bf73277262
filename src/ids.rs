//! Identities: the fingerprint that makes a finding the same finding across
//! scans, and the short hashes of rules and registers.

use crate::page::Field;
use crate::urls;
use sha2::{Digest, Sha256};
use url::Url;

/// 16 hex digits of SHA-256 over the parts, each ended by a NUL byte.
pub fn short_hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 16 hex digits of SHA-256 over site id, canonical URL, rule, field, term.
pub fn fingerprint(site: &str, url: &Url, rule: &str, field: Option<Field>, term: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        site,
        &urls::canonical(url),
        rule,
        field.map_or("", Field::name),
        term,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_ignore_scheme_fragment_session_and_query_order() {
        let a = Url::parse("https://edu.example.gov.cn/n/1.html?b=2&a=1&jsessionid=x#top").unwrap();
        let b = Url::parse("http://edu.example.gov.cn/n/1.html?a=1&b=2").unwrap();
        let f = |u: &Url| fingerprint("edu", u, "gambling-terms", Some(Field::Anchor), "百家乐");
        assert_eq!(f(&a), f(&b));
        assert_eq!(f(&a).len(), 16);
        assert_ne!(
            f(&a),
            fingerprint("edu", &a, "gambling-terms", Some(Field::Text), "百家乐")
        );
        assert_ne!(
            f(&a),
            fingerprint("edu2", &a, "gambling-terms", Some(Field::Anchor), "百家乐")
        );
    }
}
