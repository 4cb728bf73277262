//! URL identity: a site's scope, and the canonical form used both to decide
//! "seen this page already" and in finding fingerprints.

use url::Url;

/// What "the same site" means (docs/contract.md#scope): host and port, with 80 and 443 as one
/// (a site served on both http and https is one site).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScopeKey {
    host: String,
    /// `None` for the default web ports 80 and 443.
    port: Option<u16>,
}

impl ScopeKey {
    pub fn of(url: &Url) -> ScopeKey {
        let port = match url.port_or_known_default() {
            Some(80) | Some(443) | None => None,
            Some(p) => Some(p),
        };
        ScopeKey {
            host: url
                .host_str()
                .unwrap_or("")
                .trim_end_matches('.')
                .to_ascii_lowercase(),
            port,
        }
    }
}

/// Query parameters that carry a session, not content: stripped so that a
/// session id in every link does not make every page new.
fn is_session_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "jsessionid" | "phpsessid" | "sid" | "sessionid" | "session_id" | "cfid" | "cftoken"
    ) || n.starts_with("aspsessionid")
}

/// `%41` → `A` for unreserved characters, upper-case hex for the rest, so
/// that one resource spelled two ways is one URL (RFC 3986 6.2.2).
fn normalize_escapes(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let hex = |c: u8| (c as char).to_digit(16);
    while i < b.len() {
        if b[i] == b'%' {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                let v = (h * 16 + l) as u8;
                if v.is_ascii_alphanumeric() || b"-._~".contains(&v) {
                    out.push(v as char);
                } else {
                    out.push('%');
                    out.push_str(&format!("{v:02X}"));
                }
                i += 3;
                continue;
            }
            // A stray `%` is written as the escape it stands for, so that
            // decoding its neighbours cannot make a new escape (`%%34A`
            // must not become `%4A`, which would decode again as `J`).
            out.push_str("%25");
            i += 1;
            continue;
        }
        // `%` is ASCII, so `i` is always at a character boundary here.
        let ch_len = s[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&s[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// The canonical form of a URL: no scheme, no fragment, default port
/// dropped, percent-escapes normalised, `;jsessionid=…` path parameters and
/// session-id query parameters stripped, query parameters sorted.
/// `edu.example.gov.cn/news/1.html?a=1&b=2`.
pub fn canonical(url: &Url) -> String {
    let mut out = String::with_capacity(url.as_str().len());
    out.push_str(
        &url.host_str()
            .unwrap_or("")
            .trim_end_matches('.')
            .to_ascii_lowercase(),
    );
    if let Some(p) = ScopeKey::of(url).port {
        out.push(':');
        out.push_str(&p.to_string());
    }
    let path = url.path();
    let path = match path.to_ascii_lowercase().find(";jsessionid=") {
        Some(i) => &path[..i],
        None => path,
    };
    out.push_str(&normalize_escapes(if path.is_empty() { "/" } else { path }));
    if let Some(query) = url.query() {
        let query = normalize_escapes(query);
        let mut pairs: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| !is_session_param(p.split('=').next().unwrap_or("")))
            .collect();
        pairs.sort_unstable();
        if !pairs.is_empty() {
            out.push('?');
            out.push_str(&pairs.join("&"));
        }
    }
    out
}

/// The shape of a URL for trap budgets: the path with every run of digits
/// as `0`, and the query's parameter names without values. An endless
/// calendar (`/cal?month=2026-11`, `/cal/2026/12/`) has one shape.
pub fn pattern(url: &Url) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in url.path().chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    if let Some(q) = url.query() {
        let mut names: Vec<&str> = q
            .split('&')
            .map(|p| p.split('=').next().unwrap_or(""))
            .filter(|n| !n.is_empty() && !is_session_param(n))
            .collect();
        names.sort_unstable();
        names.dedup();
        out.push('?');
        out.push_str(&names.join("&"));
    }
    out
}

/// A path segment repeated more than twice (`/a/b/a/b/a/b/`): the mark of
/// relative links that build on themselves (Heritrix's rule).
pub fn repeats_segments(url: &Url) -> bool {
    let segments: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
    segments
        .iter()
        .any(|s| segments.iter().filter(|t| *t == s).count() > 2)
}

/// A link as found in a page, resolved against the page's base, fragment
/// dropped; only http(s).
pub fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let lower = href.get(..11).unwrap_or(href).to_ascii_lowercase();
    if lower.starts_with("javascript:")
        || lower.starts_with("mailto:")
        || lower.starts_with("tel:")
        || lower.starts_with("data:")
    {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

/// The registrable domain of a host (eTLD+1 by the public suffix list):
/// `www.example.com.cn` → `example.com.cn`, `a.b.gov.cn` → `b.gov.cn`,
/// `user.github.io` → `user.github.io`. Case and a trailing dot are
/// ignored; a name under a TLD the list does not know counts as under such
/// a TLD (`www.old-partner.example` → `old-partner.example`). `None` for an
/// IP address, a bare suffix (`com.cn`) or a single label.
///
/// The list is `data/public_suffix_list.dat` (publicsuffix.org, MPL-2.0,
/// its version in its header), compiled in and parsed once on first use
/// by the `publicsuffix` crate. Chosen over the `psl` crate, whose list is
/// generated code: measured on the 2-core machine, `psl` took 2–4 s to
/// build and its generic lookup, instantiated in this crate, added ~5 s to
/// every rebuild of the calling module (the library and its unit-test
/// build each); `publicsuffix` builds in 0.3 s on the `idna` the tree
/// already has, and parsing the list costs a few milliseconds once.
pub fn registrable_domain(host: &str) -> Option<String> {
    use publicsuffix::Psl;
    static LIST: std::sync::OnceLock<Option<publicsuffix::List>> = std::sync::OnceLock::new();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty()
        || host.parse::<std::net::IpAddr>().is_ok()
        || (host.starts_with('[') && host.ends_with(']'))
    {
        return None;
    }
    let list = LIST
        .get_or_init(|| include_str!("../data/public_suffix_list.dat").parse().ok())
        .as_ref()?;
    let domain = list.domain(host.as_bytes())?;
    std::str::from_utf8(domain.as_bytes())
        .ok()
        .map(str::to_string)
}

/// What "the same site" means for links to other sites: a URL's
/// registrable domain, or its host as it is when it has none (an IP
/// address, `localhost`).
pub fn site_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    registrable_domain(host).unwrap_or_else(|| host.trim_end_matches('.').to_ascii_lowercase())
}

/// Words percent-encoded in a URL or a text, decoded: `search-keyword=
/// %E5%8D%9A%E5%BD%A9` is `search-keyword=博彩`. Spam rides in the query
/// strings of search pages (links, or addresses pasted as text) where no
/// word list sees it. Only runs of `%XX` that make whole non-ASCII UTF-8
/// characters are decoded; `%20`, `%2F` and stray percent signs stay as
/// they are. None when there is nothing to decode.
pub fn decode_percent_words(text: &str) -> Option<String> {
    let b = text.as_bytes();
    memchr::memchr(b'%', b)?;
    let hex = |i: usize| -> Option<u8> {
        let h = b.get(i + 1..i + 3)?;
        u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    };
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        // A run of %XX.
        let mut bytes = Vec::new();
        let mut j = i;
        while b.get(j) == Some(&b'%') {
            match hex(j) {
                Some(v) => bytes.push(v),
                None => break,
            }
            j += 3;
        }
        // Decode the run's longest prefix of whole characters, when it
        // holds a non-ASCII one.
        let valid = match std::str::from_utf8(&bytes) {
            Ok(_) => bytes.len(),
            Err(e) => e.valid_up_to(),
        };
        let decoded = std::str::from_utf8(&bytes[..valid]).unwrap_or("");
        if !decoded.is_ascii() {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[copied..i]);
            o.push_str(decoded);
            i += valid * 3;
            copied = i;
        } else {
            i = j.max(i + 1);
        }
    }
    let mut o = out?;
    o.push_str(&text[copied..]);
    Some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn canonical_drops_scheme_fragment_sessions_and_sorts_the_query() {
        assert_eq!(
            canonical(&u(
                "https://Edu.Example.gov.cn/news/1.html?b=2&PHPSESSID=abc&a=1#top"
            )),
            "edu.example.gov.cn/news/1.html?a=1&b=2"
        );
        assert_eq!(
            canonical(&u("http://edu.example.gov.cn:80/a;jsessionid=XYZ?sid=1")),
            "edu.example.gov.cn/a"
        );
        assert_eq!(canonical(&u("http://127.0.0.1:8080")), "127.0.0.1:8080/");
    }

    #[test]
    fn escapes_and_case_are_normalised() {
        assert_eq!(
            canonical(&u("http://A.cn/%7euser/%e6%94%bf?q=%41%2f")),
            "a.cn/~user/%E6%94%BF?q=A%2F"
        );
        assert_eq!(
            canonical(&u("http://a.cn/~user/%E6%94%BF?q=A%2F")),
            "a.cn/~user/%E6%94%BF?q=A%2F"
        );
    }

    #[test]
    fn patterns_and_repeated_segments() {
        assert_eq!(
            pattern(&u("http://a.cn/cal/2026/11/?day=3&view=m")),
            "/cal/0/0/?day&view"
        );
        assert_eq!(
            pattern(&u("http://a.cn/cal/2027/01/?view=x&day=9")),
            "/cal/0/0/?day&view"
        );
        assert!(repeats_segments(&u("http://a.cn/a/b/a/b/a/b/")));
        assert!(!repeats_segments(&u("http://a.cn/a/b/a/b/")));
    }

    #[test]
    fn scope_is_host_and_port_with_web_ports_as_one() {
        assert_eq!(
            ScopeKey::of(&u("http://a.cn/")),
            ScopeKey::of(&u("https://a.cn:443/x"))
        );
        assert_ne!(
            ScopeKey::of(&u("http://a.cn/")),
            ScopeKey::of(&u("http://a.cn:8080/"))
        );
        assert_ne!(
            ScopeKey::of(&u("http://a.cn/")),
            ScopeKey::of(&u("http://www.a.cn/"))
        );
    }

    #[test]
    fn resolve_keeps_only_web_links() {
        let base = u("http://a.cn/dir/page.html");
        assert_eq!(
            resolve(&base, "../x.html#f").unwrap().as_str(),
            "http://a.cn/x.html"
        );
        assert!(resolve(&base, "javascript:void(0)").is_none());
        assert!(resolve(&base, "mailto:a@b.cn").is_none());
        assert!(resolve(&base, "#top").is_none());
    }

    #[test]
    fn registrable_domains_follow_the_public_suffix_list() {
        let r = |h: &str| registrable_domain(h);
        assert_eq!(r("www.example.com.cn").as_deref(), Some("example.com.cn"));
        assert_eq!(r("edu.example.gov.cn").as_deref(), Some("example.gov.cn"));
        assert_eq!(r("WWW.Example.COM.").as_deref(), Some("example.com"));
        assert_eq!(r("a.b.example.co.uk").as_deref(), Some("example.co.uk"));
        // A private-section suffix: each user's pages are a site of their own.
        assert_eq!(r("someone.github.io").as_deref(), Some("someone.github.io"));
        assert_eq!(
            r("www.old-partner.example").as_deref(),
            Some("old-partner.example")
        );
        assert_eq!(
            r("xn--fiqs8s.xn--fiqs8s").as_deref(),
            Some("xn--fiqs8s.xn--fiqs8s")
        );
        assert_eq!(r("com.cn"), None);
        assert_eq!(r("localhost"), None);
        assert_eq!(r("127.0.0.1"), None);
        assert_eq!(r("[::1]"), None);
        assert_eq!(r(""), None);
        assert_eq!(site_of(&u("http://127.0.0.1:8080/x")), "127.0.0.1");
        assert_eq!(
            site_of(&u("https://news.example.gov.cn/")),
            "example.gov.cn"
        );
    }

    #[test]
    fn percent_encoded_words_are_decoded_and_nothing_else() {
        assert_eq!(
            decode_percent_words(
                "https://www.iqiyi.com/search-keyword=%E5%8D%9A%E5%BD%A9%E3%80%90Q632144%E3%80%91"
            )
            .as_deref(),
            Some("https://www.iqiyi.com/search-keyword=博彩【Q632144】")
        );
        // ASCII escapes and broken sequences stay; mixed runs decode their
        // whole characters only.
        assert_eq!(decode_percent_words("a%20b%2Fc"), None);
        assert_eq!(decode_percent_words("100% sure, %E5%8D"), None);
        assert_eq!(
            decode_percent_words("q=%E5%8D%9A%20x%E5%BD").as_deref(),
            Some("q=博 x%E5%BD")
        );
        assert_eq!(decode_percent_words("no percent"), None);
    }
}
