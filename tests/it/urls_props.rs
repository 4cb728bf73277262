//! Properties of URL identity, checked on generated URLs: canonicalisation
//! is idempotent, ignores what it claims to ignore, and scope agrees with it.

use proptest::prelude::*;
use sitesweep::urls::{canonical, ScopeKey};
use url::Url;

fn url_strategy() -> impl Strategy<Value = String> {
    let host = prop::sample::select(vec![
        "edu.example.gov.cn",
        "EDU.Example.gov.cn",
        "127.0.0.1",
        "a.cn",
    ]);
    let port = prop::sample::select(vec!["", ":80", ":443", ":8080"]);
    let scheme = prop::sample::select(vec!["http", "https"]);
    let seg = "[a-zA-Z0-9%_.~-]{0,6}";
    let path = prop::collection::vec(seg, 0..4).prop_map(|v| v.join("/"));
    let param = ("[a-zA-Z]{1,5}", "[a-zA-Z0-9%]{0,5}").prop_map(|(k, v)| format!("{k}={v}"));
    let query = prop::collection::vec(param, 0..4).prop_map(|v| v.join("&"));
    let frag = prop::option::of("[a-z]{1,4}");
    (scheme, host, port, path, query, frag).prop_map(|(s, h, p, path, q, f)| {
        let mut u = format!("{s}://{h}{p}/{path}");
        if !q.is_empty() {
            u.push('?');
            u.push_str(&q);
        }
        if let Some(f) = f {
            u.push('#');
            u.push_str(&f);
        }
        u
    })
}

proptest! {
    #[test]
    fn canonicalisation_is_idempotent(text in url_strategy()) {
        let Ok(url) = Url::parse(&text) else { return Ok(()); };
        let once = canonical(&url);
        let again = Url::parse(&format!("http://{once}")).unwrap();
        prop_assert_eq!(canonical(&again), once);
    }

    #[test]
    fn scheme_fragment_sessions_and_query_order_do_not_matter(text in url_strategy(), sid in "[A-Z0-9]{4,8}") {
        let Ok(url) = Url::parse(&text) else { return Ok(()); };
        let mut other = url.clone();
        other.set_fragment(Some("elsewhere"));
        let scheme = if url.scheme() == "http" { "https" } else { "http" };
        // Only when the port is a default one does the other scheme mean the same site.
        if url.port().is_none() {
            let _ = other.set_scheme(scheme);
        }
        let mut pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        pairs.reverse();
        pairs.push(("JSESSIONID".into(), sid));
        other.query_pairs_mut().clear().extend_pairs(pairs);
        // extend_pairs re-encodes values; compare against the same encoding.
        let mut reencoded = url.clone();
        let original: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        if !original.is_empty() {
            reencoded.query_pairs_mut().clear().extend_pairs(original);
        }
        prop_assert_eq!(canonical(&other), canonical(&reencoded));
    }

    /// Two URLs with one canonical form are always in the same scope.
    #[test]
    fn scope_agrees_with_canonicalisation(a in url_strategy(), b in url_strategy()) {
        let (Ok(a), Ok(b)) = (Url::parse(&a), Url::parse(&b)) else { return Ok(()); };
        if canonical(&a) == canonical(&b) {
            prop_assert_eq!(ScopeKey::of(&a), ScopeKey::of(&b));
        }
        prop_assert_eq!(ScopeKey::of(&a), ScopeKey::of(&Url::parse(&format!("http://{}", canonical(&a))).unwrap()));
    }
}
