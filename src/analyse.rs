//! The central stage: one fetched body (bytes, content type, URL) → a page
//! of text blocks and links → hits → findings.
//!
//! Everything that reads a body goes through here: the crawl (on its own
//! threads), `rules explain --url` and `--file`, and so the demo. What kind of
//! body it is (HTML, a script file of the site, a sitemap) is decided here
//! too, once, so a script is read as a script whichever way it arrives.
//! A linked document (PDF, spreadsheet, Word file, CSV, text) is read by
//! [`crate::documents`] into blocks of field `attachment`, each with its
//! location in the document.

use crate::decode;
use crate::documents::{self, Format, Hint, Limits};
use crate::extract::{self, sitemap};
use crate::findings::{Finding, Origin, SiteRule, Status};
use crate::ids::fingerprint;
use crate::page::{Block, Field, Page};
use crate::rules::{Hit, RuleSet};
use std::collections::HashMap;
use url::Url;

/// Links of one page followed at most (Heritrix keeps 6,000 outlinks; a
/// page of 10,000 unique links is a link farm or a trap, not a menu).
pub const MAX_LINKS_PER_PAGE: usize = 2_000;
/// Distinct script, frame and embed sources of one page kept (a real page
/// loads a few dozen).
pub const MAX_SCRIPT_SOURCES: usize = 500;

/// One fetched body.
#[derive(Clone, Copy, Debug)]
pub struct Body<'a> {
    /// Where it came from (after redirects).
    pub url: &'a Url,
    pub bytes: &'a [u8],
    pub content_type: Option<&'a str>,
    /// The body cap cut it.
    pub truncated: bool,
    /// A document's size at most after decompression, in bytes (the
    /// site's `max_attachment_mb`); 0 for the default.
    pub max_document: u64,
}

/// What a body is, as far as reading it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Html,
    /// A script file of the site (`jquery.min.js` with a spam writer
    /// appended is a common injection).
    Script,
    /// sitemap.xml: a list of URLs, no text.
    Sitemap,
    /// A document: PDF, spreadsheet, Word or ODF file, CSV, plain text
    /// (read or, as `.doc`, said unreadable).
    Document(Format),
    /// Anything else (images, archives, media): not read.
    Other,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Html => "HTML",
            Kind::Script => "a script",
            Kind::Sitemap => "a sitemap",
            Kind::Document(f) => f.described(),
            Kind::Other => "neither page, script nor document (not read)",
        }
    }

    /// By content type, URL and the first bytes: a binary document by its
    /// magic bytes (then type, then name: [`documents::sniff`]), a sitemap
    /// by its root element, a script by its type or a `.js` URL not served
    /// as HTML, HTML by its type or, without one, by a sniff, and last a
    /// CSV or plain text document.
    pub fn of(body: &Body) -> Kind {
        let ct = body.content_type.map(str::to_ascii_lowercase);
        let ct = ct.as_deref();
        let document = documents::sniff(body.bytes, Hint::new(ct, body.url.path()));
        if let Some(f) = document.filter(|f| !f.is_text()) {
            return Kind::Document(f);
        }
        if looks_binary(body.bytes) {
            return Kind::Other;
        }
        if sitemap::looks_like_sitemap(body.url, ct, body.bytes) {
            return Kind::Sitemap;
        }
        let script_type = ct.is_some_and(|c| c.contains("javascript") || c.contains("ecmascript"));
        let script_name = body.url.path().to_ascii_lowercase().ends_with(".js")
            && ct.is_none_or(|c| !c.contains("html"));
        if script_type || script_name {
            return Kind::Script;
        }
        if is_html(ct, body.bytes) {
            return Kind::Html;
        }
        match document {
            Some(f) => Kind::Document(f),
            None => Kind::Other,
        }
    }
}

/// Labelled text but binary: NUL bytes in the first KiB.
fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)].contains(&0)
}

/// HTML by its Content-Type, or with none, by a sniff of the first bytes.
pub fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    match content_type {
        Some(ct) => ct.to_ascii_lowercase().contains("html"),
        None => {
            let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
            let head = head.trim_start();
            head.starts_with("<!doctype html")
                || head.starts_with("<html")
                || head.contains("<body")
                || head.contains("<head")
        }
    }
}

/// A body read: decoded and extracted, not yet matched.
#[derive(Debug, Default)]
pub struct Read {
    pub page: Page,
    /// Links to crawl, at most [`MAX_LINKS_PER_PAGE`].
    pub links: Vec<Url>,
    /// More links than that: the rest were dropped.
    pub links_cut: bool,
    /// URLs listed by a sitemap.
    pub sitemap: Vec<Url>,
    /// The page has visible body text or links: something was inspected.
    pub readable: bool,
    /// Where a page with nothing else sends visitors by script.
    pub script_redirect: Option<Url>,
    /// Where its scripts, frames and embeds come from (`<script src>`,
    /// `<iframe src>`, `<frame src>`, `<embed src>`, also written by
    /// scripts): resolved, distinct, in page order, at most
    /// [`MAX_SCRIPT_SOURCES`].
    pub script_sources: Vec<Url>,
    /// Scripts that send visitors elsewhere or write content depending on
    /// the referrer, user agent or a cookie.
    pub conditional: Vec<extract::script::Conditional>,
    /// Scripts that load or navigate to an address they hide by encoding.
    pub encoded: Vec<extract::script::Encoded>,
    /// Images it shows: distinct, in page order, at most
    /// [`MAX_SCRIPT_SOURCES`] (checked for `link.broken`, never read).
    pub images: Vec<Url>,
    /// The HTML parser's memory cap cut the page short.
    pub parser_cut: bool,
    /// No charset decodes it cleanly: the best guess.
    pub undecodable: Option<&'static str>,
    /// For a document: its format, and whether it was read (boxed: the
    /// crawl moves `Read`s around by value).
    pub document: Option<Box<DocumentRead>>,
}

/// What reading a document gave besides its blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRead {
    pub format: Format,
    /// Why it could not be read (`encrypted PDF`, `corrupt xlsx: …`, `over
    /// the 20 MiB cap after decompression`, `format not read: .doc`): for
    /// `attachment.unreadable`.
    pub unreadable: Option<String>,
    /// Read only in part: which limit cut it (cells, pages, time, nesting,
    /// pages that failed).
    pub cut: Option<String>,
}

impl Read {
    /// A document that could not be read: why.
    pub fn unreadable(&self) -> Option<&str> {
        self.document.as_ref()?.unreadable.as_deref()
    }

    /// A document read only in part: why.
    pub fn document_cut(&self) -> Option<&str> {
        self.document.as_ref()?.cut.as_deref()
    }
}

/// Decode and extract a body of the given kind.
pub fn read(body: &Body, kind: Kind) -> Read {
    match kind {
        Kind::Sitemap => {
            return Read {
                sitemap: sitemap::urls(body.bytes),
                readable: true,
                ..Read::default()
            }
        }
        Kind::Document(format) => {
            let limits = match body.max_document {
                0 => Limits::default(),
                bytes => Limits {
                    max_bytes: bytes,
                    ..Limits::default()
                },
            };
            return read_document(body, format, &limits);
        }
        Kind::Other => return Read::default(),
        Kind::Html | Kind::Script => {}
    }
    let tld = body.url.host_str().and_then(|h| h.rsplit('.').next());
    let decoded = decode::decode(body.bytes, body.content_type, tld, body.truncated);
    let extracted = if kind == Kind::Script {
        extract::extract_script(&decoded.text, body.url)
    } else {
        extract::extract(&decoded.text, body.url)
    };
    let mut links = extracted.links;
    let links_cut = links.len() > MAX_LINKS_PER_PAGE;
    links.truncate(MAX_LINKS_PER_PAGE);
    let readable =
        kind == Kind::Script
            || !links.is_empty()
            || extracted.page.blocks.iter().any(|b| {
                matches!(b.field, Field::Text | Field::Anchor) && !b.text.trim().is_empty()
            });
    let script_redirect = if readable {
        None
    } else {
        extract::script::redirect_target(&decoded.text, body.url)
    };
    let mut seen = std::collections::HashSet::new();
    let script_sources: Vec<Url> = extracted
        .script_sources
        .into_iter()
        .filter(|u| seen.insert(u.as_str().to_string()))
        .take(MAX_SCRIPT_SOURCES)
        .collect();
    let mut seen = std::collections::HashSet::new();
    let images: Vec<Url> = extracted
        .images
        .into_iter()
        .filter(|u| seen.insert(u.as_str().to_string()))
        .take(MAX_SCRIPT_SOURCES)
        .collect();
    Read {
        page: extracted.page,
        links,
        links_cut,
        sitemap: Vec::new(),
        readable,
        script_redirect,
        script_sources,
        conditional: extracted.conditional,
        encoded: extracted.encoded,
        images,
        parser_cut: extracted.truncated,
        undecodable: decoded.errors.then_some(decoded.charset),
        document: None,
    }
}

/// Read a document body within `limits` (the crawl passes the site's
/// `max_attachment_mb`): each block of field `attachment`, with its
/// location in the document and, for a cell, its column header.
pub fn read_document(body: &Body, format: Format, limits: &Limits) -> Read {
    let hint = Hint::new(body.content_type, body.url.path());
    let note = |unreadable: Option<String>, cut: Option<String>| {
        Some(Box::new(DocumentRead {
            format,
            unreadable,
            cut,
        }))
    };
    match documents::read_as(body.bytes, format, hint, limits) {
        Ok(doc) => {
            let blocks = doc
                .blocks
                .into_iter()
                .map(|b| {
                    let mut block = Block::new(Field::Attachment, b.text).with_location(b.location);
                    block.header = b.context;
                    block
                })
                .collect();
            Read {
                page: Page { blocks },
                readable: true,
                document: note(None, doc.cut),
                ..Read::default()
            }
        }
        Err(e) if body.truncated => Read {
            document: note(Some(format!("cut short by the download cap ({e})")), None),
            ..Read::default()
        },
        Err(e) => Read {
            document: note(Some(e.cause), None),
            ..Read::default()
        },
    }
}

/// Hidden links of a page that lead to other sites: every hidden `link`
/// block (an href or src in hidden content) resolved against the page URL,
/// kept when `is_ours` does not accept its host. Returns the number of such
/// links and the distinct hosts in page order, each with its first URL.
pub fn hidden_offsite_links(
    page: &Page,
    base: &Url,
    is_ours: impl Fn(&Url) -> bool,
) -> (usize, Vec<(String, Url)>) {
    let mut count = 0;
    let mut hosts: Vec<(String, Url)> = Vec::new();
    for block in page
        .blocks
        .iter()
        .filter(|b| b.hidden && b.field == Field::Link)
    {
        let Some(url) = crate::urls::resolve(base, &block.text) else {
            continue;
        };
        if is_ours(&url) {
            continue;
        }
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            continue;
        };
        count += 1;
        if !hosts.iter().any(|(h, _)| *h == host) {
            hosts.push((host, url));
        }
    }
    (count, hosts)
}

/// A dark-link block takes at least this many hidden links to other sites…
pub const DARK_LINKS_MIN: usize = 3;
/// …to at least this many hosts (one hidden share button or tracking pixel
/// is not a link farm).
pub const DARK_HOSTS_MIN: usize = 2;

/// `host` (lower case) is `domain` or one of its subdomains.
pub fn under_domain(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

/// A host whose links are never dark links, whichever site links to it: a
/// government domain (`gov.cn`, `.gov`; portal menus and tab panels link to
/// those, hidden or not) or one of `trusted` (a site's `trusted_domains`).
pub fn trusted_or_gov(host: &str, trusted: &[String]) -> bool {
    trusted.iter().any(|d| under_domain(host, d))
        || under_domain(host, "gov.cn")
        || under_domain(host, "gov")
}

/// `darklink.hidden-links` for a page whose hidden content links to at
/// least [`DARK_LINKS_MIN`] URLs on [`DARK_HOSTS_MIN`] or more hosts that
/// `is_ours` does not accept (the crawl: scope, registered sites, trusted
/// and government domains), whatever its words.
pub fn dark_links(
    origin: &Origin,
    page_url: &Url,
    page: &Page,
    is_ours: impl Fn(&Url) -> bool,
) -> Option<Finding> {
    let (count, hosts) = hidden_offsite_links(page, page_url, is_ours);
    if count < DARK_LINKS_MIN || hosts.len() < DARK_HOSTS_MIN {
        return None;
    }
    let mut names: Vec<&str> = hosts.iter().map(|(h, _)| h.as_str()).collect();
    let shown: Vec<&str> = names.iter().take(8).copied().collect();
    let cause = format!(
        "{count} hidden links to {} other sites, neither registered nor trusted: {}{}",
        hosts.len(),
        shown.join(", "),
        if hosts.len() > shown.len() {
            ", …"
        } else {
            ""
        }
    );
    // The same block on every page is one row in reports: the key is the
    // set of hosts, not the page.
    names.sort_unstable();
    let key = names.iter().take(5).copied().collect::<Vec<_>>().join(",");
    let mut f = origin.site_finding(SiteRule::DarkLinks, page_url, &key, cause, None);
    // About hidden content: reports show it as hidden.
    f.hidden = true;
    Some(f)
}

/// A local file read as a scan reads a body of its kind: `file://` URL,
/// content type by extension (`.html`/`.htm` a page, `.js` a script of the
/// site, else as given or sniffed; a document by its bytes); a file the
/// scan would not read, and a plain-text file, is one visible block of
/// text. For `rules explain --file` and `rules eval`.
pub fn read_local_file(
    path: &std::path::Path,
    bytes: &[u8],
    content_type: Option<&str>,
) -> (Kind, Url, Page) {
    let (kind, url, read) = read_local(path, bytes, content_type);
    (kind, url, read.page)
}

/// [`read_local_file`] with the whole [`Read`]: structural evidence such
/// as [`Read::conditional`] (for [`structure_findings`]), a document's
/// `unreadable` cause and `document_cut`.
pub fn read_local(
    path: &std::path::Path,
    bytes: &[u8],
    content_type: Option<&str>,
) -> (Kind, Url, Read) {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let url = Url::from_file_path(&abs)
        .unwrap_or_else(|_| Url::parse("file:///page.html").expect("valid URL"));
    let body = Body {
        url: &url,
        bytes,
        content_type: content_type.or_else(|| content_type_by_extension(path)),
        truncated: false,
        max_document: 0,
    };
    // A local plain-text file stays one block of text, not a document of
    // lines: the labelled set's samples and explain's inputs are page text.
    let kind = match Kind::of(&body) {
        Kind::Document(Format::Txt) => Kind::Other,
        kind => kind,
    };
    let read = match kind {
        Kind::Html | Kind::Script | Kind::Document(_) => read(&body, kind),
        Kind::Other | Kind::Sitemap => Read {
            page: Page::from_text(decode::decode(bytes, body.content_type, None, false).text),
            ..Read::default()
        },
    };
    (kind, url, read)
}

/// A local file through the stage, as a scan reads a body of its kind:
/// `file://` URL, content type as given or by extension, then
/// [`analyse`], so every finding the stage makes counts. A file the scan
/// would not read (plain text, a sitemap) is matched as one page of text.
/// For `rules eval`; the structural decisions that need a site
/// ([`dark_links`]) are the caller's.
pub fn analyse_local_file(
    rules: &RuleSet,
    origin: &Origin,
    url: &Url,
    path: &std::path::Path,
    bytes: &[u8],
    content_type: Option<&str>,
) -> Analysis {
    let body = Body {
        url,
        bytes,
        content_type: content_type.or_else(|| content_type_by_extension(path)),
        truncated: false,
        max_document: 0,
    };
    let mut analysis = analyse(rules, origin, &body);
    if matches!(
        analysis.kind,
        Some(Kind::Other | Kind::Sitemap | Kind::Document(Format::Txt))
    ) {
        let page = Page::from_text(decode::decode(bytes, body.content_type, None, false).text);
        let hits = rules.match_page(&page);
        let now = crate::time::now_rfc3339();
        analysis.findings = page_findings(origin, url, &page, &hits, rules, &now);
        analysis.read.page = page;
        // A local plain-text file is page text, as in `read_local`.
        if analysis.kind == Some(Kind::Document(Format::Txt)) {
            analysis.kind = Some(Kind::Other);
        }
    }
    analysis
}

/// `text/html` for `.html`/`.htm`, `application/javascript` for `.js`.
pub fn content_type_by_extension(path: &std::path::Path) -> Option<&'static str> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("html" | "htm") => Some("text/html"),
        Some("js") => Some("application/javascript"),
        _ => None,
    }
}

/// A body read and matched.
#[derive(Debug, Default)]
pub struct Analysis {
    pub kind: Option<Kind>,
    pub read: Read,
    /// Content findings, and `page.decode` for an undecodable page.
    pub findings: Vec<Finding>,
}

/// The stage: one body → page → hits → findings.
pub fn analyse(rules: &RuleSet, origin: &Origin, body: &Body) -> Analysis {
    let kind = Kind::of(body);
    let read = read(body, kind);
    let fetched_at = crate::time::now_rfc3339();
    let hits = rules.match_page(&read.page);
    let mut findings = page_findings(origin, body.url, &read.page, &hits, rules, &fetched_at);
    findings.extend(structure_findings(origin, body.url, &read));
    if let Some(charset) = read.undecodable {
        findings.push(origin.site_finding(
            SiteRule::Decode,
            body.url,
            "",
            format!("no charset decodes this page cleanly (best guess {charset})"),
            None,
        ));
    }
    Analysis {
        kind: Some(kind),
        read,
        findings,
    }
}

/// Findings from what a page's scripts do rather than the words in it:
/// `script.conditional-redirect` and `script.encoded-url`, one per
/// distinct condition or address (the same script inlined twice is one
/// finding with a count).
pub fn structure_findings(origin: &Origin, url: &Url, read: &Read) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let found = read
        .conditional
        .iter()
        .map(|c| (SiteRule::ConditionalRedirect, c.term(), c.cause()))
        .chain(
            read.encoded
                .iter()
                .map(|e| (SiteRule::EncodedUrl, e.term(), e.cause())),
        );
    for (rule, term, cause) in found {
        match out
            .iter_mut()
            .find(|f| f.rule == rule.id() && f.term == term)
        {
            Some(f) => f.count += 1,
            None => out.push(origin.site_finding(rule, url, &term, cause, None)),
        }
    }
    out
}

/// Content findings of one page: one per fingerprint, with the first
/// hit's text and snippet, the hit count, and hidden when any hit was.
pub fn page_findings(
    origin: &Origin,
    url: &Url,
    page: &Page,
    hits: &[Hit],
    rules: &RuleSet,
    fetched_at: &str,
) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for hit in hits {
        let rule = &rules.rules[hit.rule];
        let block = &page.blocks[hit.block];
        let term = rules.term(hit);
        let fp = fingerprint(&origin.site, url, &rule.id, Some(block.field), term);
        match index.get(&fp) {
            Some(&i) => {
                out[i].count += 1;
                out[i].hidden |= block.hidden;
            }
            None => {
                index.insert(fp.clone(), out.len());
                out.push(Finding {
                    scan: origin.scan.clone(),
                    site: origin.site.clone(),
                    operator: origin.operator.clone(),
                    url: url.to_string(),
                    rule: rule.id.clone(),
                    title: rule.title.clone(),
                    category: rule.category.clone(),
                    severity: rule.severity,
                    field: Some(block.field),
                    hidden: block.hidden,
                    matched: hit.matched(page).to_string(),
                    term: term.to_string(),
                    snippet: hit.snippet(page),
                    fingerprint: fp,
                    count: 1,
                    status: Status::New,
                    first_seen: fetched_at.to_string(),
                    fetched_at: fetched_at.to_string(),
                    referrer: None,
                    insecure_tls: origin.insecure_tls,
                    probe: None,
                    kind: None,
                    location: block.location.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::testgen;
    use crate::page::Block;
    use crate::rules::Packs;

    fn origin() -> Origin {
        Origin {
            scan: "s".into(),
            site: "t".into(),
            operator: String::new(),
            insecure_tls: false,
        }
    }

    fn hidden_links(urls: &[&str]) -> Page {
        let mut blocks = vec![Block::new(Field::Link, "http://visible.example/")];
        for u in urls {
            let mut b = Block::new(Field::Link, *u);
            b.hidden = true;
            blocks.push(b);
        }
        Page { blocks }
    }

    #[test]
    fn a_dark_link_block_takes_three_links_to_two_other_hosts() {
        let base = Url::parse("https://www.town.gov.cn/").unwrap();
        let is_ours = |u: &Url| {
            u.host_str()
                .is_none_or(|h| under_domain(h, "town.gov.cn") || trusted_or_gov(h, &[]))
        };
        let page = hidden_links(&["http://a.example/1", "http://a.example/2", "//b.example/"]);
        let f = dark_links(&origin(), &base, &page, is_ours).expect("a dark-link block");
        assert_eq!(f.rule, "darklink.hidden-links");
        assert!(f.hidden);
        assert_eq!(f.term, "a.example,b.example");
        assert!(
            f.snippet.starts_with("3 hidden links to 2 other sites"),
            "{}",
            f.snippet
        );
        // Two links, or one host, or links to our own and government sites: no.
        for urls in [
            &["http://a.example/1", "http://b.example/"][..],
            &[
                "http://a.example/1",
                "http://a.example/2",
                "http://a.example/3",
            ],
            &[
                "/x.html",
                "http://www.gov.cn/",
                "https://www.usa.gov/",
                "http://a.example/",
            ],
        ] {
            assert!(dark_links(&origin(), &base, &hidden_links(urls), is_ours).is_none());
        }
    }

    #[test]
    fn trusted_and_government_hosts_are_matched_by_whole_labels() {
        let trusted = vec!["cnzz.com".to_string()];
        assert!(trusted_or_gov("s4.cnzz.com", &trusted));
        assert!(trusted_or_gov("www.beijing.gov.cn", &trusted));
        assert!(trusted_or_gov("www.usa.gov", &[]));
        assert!(!trusted_or_gov("xcnzz.com", &trusted));
        assert!(!trusted_or_gov("fakegov.cn", &[]));
        assert!(!trusted_or_gov("gov.cn.example", &[]));
    }

    fn analysed(bytes: &[u8], content_type: Option<&str>, path: &str) -> Analysis {
        let rules = RuleSet::compile(Packs::builtin()).unwrap();
        let origin = Origin {
            scan: "s".into(),
            site: "edu".into(),
            operator: "o".into(),
            insecure_tls: false,
        };
        let url = Url::parse(&format!("https://edu.example.gov.cn{path}")).unwrap();
        let body = Body {
            url: &url,
            bytes,
            content_type,
            truncated: false,
            max_document: 0,
        };
        analyse(&rules, &origin, &body)
    }

    #[test]
    fn a_spreadsheet_behind_download_jsp_is_matched_as_attachment() {
        let ids = [
            testgen::cn_id("51010719800812345"),
            testgen::cn_id("11010519491231002"),
        ];
        let rows: Vec<Vec<String>> = [
            vec!["2024年低保公示名单"],
            vec!["姓名", "身份证号码", "手机号码"],
            vec!["张三", &ids[0], "13800138000"],
            vec!["李四", &ids[1], "13912345678"],
            vec!["王五", "110101********1234", "15012345678"],
        ]
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
        let bytes = testgen::xlsx(&[("名单", rows)], true);
        let a = analysed(
            &bytes,
            Some("application/octet-stream"),
            "/download.jsp?id=7",
        );
        assert_eq!(a.kind, Some(Kind::Document(Format::Xlsx)));
        assert!(a.read.readable && a.read.unreadable().is_none());
        let id = &a.read.page.blocks[5];
        assert_eq!(id.field, Field::Attachment);
        assert_eq!(id.location.as_deref(), Some("名单!B3"));
        assert_eq!(id.header.as_deref(), Some("身份证号码"));
        let ids_found: Vec<&str> = a
            .findings
            .iter()
            .filter(|f| f.rule == "pii-cn-id")
            .map(|f| f.matched.as_str())
            .collect();
        assert_eq!(
            ids_found,
            vec![ids[0].as_str(), ids[1].as_str()],
            "the mask is not a hit"
        );
        assert!(a
            .findings
            .iter()
            .all(|f| f.field == Some(Field::Attachment)));
        assert_eq!(
            a.findings
                .iter()
                .filter(|f| f.rule == "pii-cn-mobile-list")
                .count(),
            3
        );
    }

    #[test]
    fn a_fraud_ad_in_a_docx_and_mobiles_in_a_pdf_hit() {
        let body = testgen::w_p("专业办证 诚信为本 代办毕业证 联系QQ 123456");
        let a = analysed(&testgen::docx(&body), None, "/uploads/1.docx");
        let hit = a
            .findings
            .iter()
            .find(|f| f.rule == "fraud-fake-certificates")
            .unwrap();
        assert_eq!(hit.field, Some(Field::Attachment));
        let block = &a.read.page.blocks[0];
        assert_eq!(block.location.as_deref(), Some("段落 1"));

        let rows = [
            ("张三", "13800138000"),
            ("李四", "13912345678"),
            ("王五", "15012345678"),
        ];
        let mut runs = Vec::new();
        for (i, (name, mobile)) in rows.iter().enumerate() {
            runs.push((72.0, 700.0 - 20.0 * i as f64, name.to_string()));
            runs.push((200.0, 700.0 - 20.0 * i as f64, mobile.to_string()));
        }
        let a = analysed(
            &testgen::pdf(&[runs]),
            Some("application/pdf"),
            "/file?id=2",
        );
        assert_eq!(a.kind, Some(Kind::Document(Format::Pdf)));
        assert_eq!(a.read.page.blocks[0].text, "张三 13800138000");
        assert_eq!(a.read.page.blocks[0].location.as_deref(), Some("第1页"));
        assert_eq!(
            a.findings
                .iter()
                .filter(|f| f.rule == "pii-cn-mobile-list")
                .count(),
            3
        );
    }

    #[test]
    fn an_unreadable_document_says_why_and_pages_stay_pages() {
        let a = analysed(b"%PDF-1.7 cut", Some("application/pdf"), "/a.pdf");
        assert!(a.read.unreadable().unwrap().starts_with("corrupt pdf"));
        assert!(!a.read.readable && a.findings.is_empty());
        let a = analysed(b"<html><body>ok</body></html>", Some("text/html"), "/a.pdf");
        assert_eq!(a.kind, Some(Kind::Html));
        let a = analysed(b"var a = 1;", Some("text/plain"), "/a.js");
        assert_eq!(a.kind, Some(Kind::Script));
        let a = analysed(b"\x89PNG\r\n\x1a\n\0\0\0", Some("image/png"), "/a.png");
        assert_eq!(a.kind, Some(Kind::Other));
    }
}
