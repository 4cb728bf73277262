//! sitemap.xml: a list of URLs to seed the crawl with (sitemap indexes list
//! further sitemaps, which are fetched and read the same way).

use quick_xml::events::Event;
use quick_xml::Reader;
use url::Url;

/// At most this many URLs are taken from one sitemap.
const MAX_URLS: usize = 50_000;

pub fn looks_like_sitemap(url: &Url, content_type: Option<&str>, body: &[u8]) -> bool {
    let xml_type =
        content_type.is_some_and(|c| c.to_ascii_lowercase().contains("xml") && !c.contains("html"));
    let xml_path = url.path().to_ascii_lowercase().ends_with(".xml");
    if !(xml_type || xml_path) {
        return false;
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]);
    head.contains("<urlset") || head.contains("<sitemapindex")
}

/// The `<loc>` URLs of a sitemap or sitemap index.
pub fn urls(body: &[u8]) -> Vec<Url> {
    let mut reader = Reader::from_reader(body);
    let mut out = Vec::new();
    let mut loc: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"loc" => loc = Some(String::new()),
            Ok(Event::End(e)) if e.local_name().as_ref() == b"loc" => {
                if let Some(u) = loc.take().and_then(|t| Url::parse(t.trim()).ok()) {
                    out.push(u);
                }
            }
            Ok(Event::Text(t)) => {
                if let (Some(l), Ok(text)) = (loc.as_mut(), t.decode()) {
                    l.push_str(&text);
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(l) = loc.as_mut() {
                    l.push_str(&String::from_utf8_lossy(&t));
                }
            }
            // `&amp;` and friends arrive as references of their own.
            Ok(Event::GeneralRef(r)) => {
                if let Some(l) = loc.as_mut() {
                    let name = String::from_utf8_lossy(&r);
                    let c = match name.as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        n => n
                            .strip_prefix("#x")
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                            .and_then(char::from_u32),
                    };
                    l.extend(c);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        if out.len() >= MAX_URLS {
            break;
        }
        buf.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_loc_entries() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>http://a.cn/1.html</loc></url>
  <url><loc> http://a.cn/2.html?x=1&amp;y=2 </loc></url>
</urlset>"#;
        let u = Url::parse("http://a.cn/sitemap.xml").unwrap();
        assert!(looks_like_sitemap(&u, Some("application/xml"), xml));
        let got: Vec<String> = urls(xml).iter().map(Url::to_string).collect();
        assert_eq!(
            got,
            vec!["http://a.cn/1.html", "http://a.cn/2.html?x=1&y=2"]
        );
    }
}
