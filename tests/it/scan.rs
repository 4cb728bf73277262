//! The scan pipeline against in-process servers on 127.0.0.1: charsets,
//! hiding techniques, scripts, scope, depth, limits, broken links,
//! unreachable and refused sites, robots.txt, the JSONL stream.

use crate::support::server::{Reply, Request, Server};
use sitesweep::findings::Finding;
use sitesweep::page::Field;
use sitesweep::register::Register;
use sitesweep::rules::{Packs, RuleSet};
use sitesweep::scan::{self, ScanOptions, ScanResult};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A server answering from a path → reply map, logging every request path.
struct Site {
    server: Server,
    log: Arc<Mutex<Vec<String>>>,
}

impl Site {
    fn new(routes: Vec<(&str, Reply)>) -> Site {
        let map: HashMap<String, Reply> = routes
            .into_iter()
            .map(|(p, r)| (p.to_string(), r))
            .collect();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = log.clone();
        let server = Server::start(Arc::new(move |req: &Request| {
            seen.lock().unwrap().push(req.target.clone());
            map.get(&req.target)
                .cloned()
                .unwrap_or_else(|| Reply::status(404))
        }))
        .unwrap();
        Site { server, log }
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Requests other than robots.txt.
    fn pages(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p != "/robots.txt")
            .cloned()
            .collect()
    }
}

fn register(dir: &Path, toml: &str) -> Register {
    let path = dir.join("sites.toml");
    std::fs::write(&path, toml).unwrap();
    Register::load(&path).unwrap()
}

fn site_entry(id: &str, url: &str, extra: &str) -> String {
    format!(
        "[[site]]\nid = \"{id}\"\nname = \"站点{id}\"\nurl = \"{url}\"\noperator = \"运维{id}\"\nallow_private = true\ntimeout_s = 5\nprobes = []\ncheck_outbound = false\n{extra}\n"
    )
}

fn run(reg: &Register, jsonl: Option<&Path>) -> ScanResult {
    let rules = Arc::new(RuleSet::compile(Packs::builtin()).unwrap());
    scan::run(
        reg,
        rules,
        ScanOptions {
            jsonl: jsonl.map(Path::to_path_buf),
            concurrency: 4,
            keep_records: true,
            ..ScanOptions::default()
        },
    )
    .unwrap()
}

fn of<'a>(r: &'a ScanResult, rule: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.rule == rule).collect()
}

fn page(body: &str) -> Reply {
    Reply::html(format!(
        "<html><head><meta charset=utf-8><title>区政府</title></head><body>{body}</body></html>"
    ))
}

#[test]
fn gbk_page_with_charset_only_in_meta_is_read() {
    let html = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"></head>\
                <body><p>欢迎访问城南区第一中学</p><div style=\"display:none\"><a href=\"http://x.example/\">澳门葡京</a></div></body></html>";
    let gbk = encoding_rs::GBK.encode(html).0.into_owned();
    let site = Site::new(vec![("/", Reply::with_type(200, "text/html", gbk))]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("school", &site.url("/"), "")),
        None,
    );
    let hidden = of(&r, "gambling-hidden");
    assert_eq!(hidden.len(), 1, "{:#?}", r.findings);
    assert_eq!(hidden[0].matched, "澳门葡京");
    assert!(hidden[0].hidden);
    assert_eq!(hidden[0].field, Some(Field::Anchor));
    assert!(of(&r, "page.decode").is_empty());
}

#[test]
fn every_hiding_technique_is_marked_hidden() {
    let techniques = [
        "<div style='display:none'>{}</div>",
        "<div style='visibility:hidden'>{}</div>",
        "<div style='position:absolute;left:-9999px'>{}</div>",
        "<div style='height:1px;overflow:hidden'>{}</div>",
        "<div hidden>{}</div>",
        "<marquee height=1 width=1>{}</marquee>",
        "<style>.f1{display:none}</style><div class='f1'>{}</div>",
        "<div id='f2'>{}</div><style>#f2{font-size:0}</style>",
        "<ul><li style='display:none'>{}<li>可见的栏目</ul>",
    ];
    let mut routes = vec![];
    let mut links = String::new();
    let bodies: Vec<String> = techniques
        .iter()
        .map(|t| page(&t.replace("{}", "<a href='http://spam.example/'>六合彩</a>")))
        .map(|r| match r {
            Reply::Full { body, .. } => String::from_utf8(body).unwrap(),
            _ => unreachable!(),
        })
        .collect();
    let paths: Vec<String> = (0..techniques.len())
        .map(|i| format!("/t{i}.html"))
        .collect();
    for (p, b) in paths.iter().zip(&bodies) {
        links.push_str(&format!("<a href='{p}'>栏目</a>"));
        routes.push((p.as_str(), Reply::html(b.clone())));
    }
    routes.push(("/", page(&links)));
    let site = Site::new(routes);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    let hidden = of(&r, "gambling-hidden");
    for p in &paths {
        assert!(
            hidden
                .iter()
                .any(|f| f.url.ends_with(p.as_str()) && f.hidden && f.field == Some(Field::Anchor)),
            "{p}: {hidden:#?}"
        );
    }
    // The visible item after a hidden <li> with no end tag stays visible.
    assert!(of(&r, "gambling-promo").is_empty());
}

#[test]
fn document_write_spam_is_found_with_field_script() {
    let body = "<p>新闻</p><script>var h='<div style=\"display:none\">'; document.write(h + '<a href=\"http://x.example/\">' + '\\u5929\\u4e0a\\u4eba\\u95f4 \\u65b0\\u8461\\u4eac</a>' + '<a>真人荷官</a></div>');</script>";
    let site = Site::new(vec![("/", page(body))]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    let promo = of(&r, "gambling-promo");
    assert_eq!(promo.len(), 2, "{:#?}", r.findings);
    assert!(promo.iter().all(|f| f.field == Some(Field::Script)));
    assert!(promo.iter().any(|f| f.matched == "新葡京"));
}

/// Scan with these rules instead of the built-in packs.
fn run_rules(reg: &Register, pack: &str) -> ScanResult {
    let rules = RuleSet::compile(Packs::from_text(Path::new("t.toml"), pack).unwrap()).unwrap();
    scan::run(
        reg,
        Arc::new(rules),
        ScanOptions {
            concurrency: 4,
            keep_records: true,
            ..ScanOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn scripts_are_read_as_code_decoded_and_unpacked_and_their_regex_literals_seen() {
    // The regex-literal referrer gate of spam/009-referrer-opener-hijack-viewn.js
    // (evaluation set, tune split), a packed hidden writer in the site's own
    // script file, and a String.fromCharCode writer.
    let page_body = r#"<p>新闻</p><script>var regexp=/\.(haosou|sogou|baidu|soso|google|youdao|yahoo|bing|118114|biso|gougou|ifeng|ivc|sooule|niuhu|biso|360)(\.[a-z0-9\-]+){1,2}\//ig;
var where =document.referrer;
if(regexp.test(where)){ top.location.href = "http://x.example/"; }</script>
<script src="/js/common.js"></script>
<div style="display:none"><script>document.write(String.fromCharCode(60,98,62,30334,23478,20048,60,47,98,62))</script></div>"#;
    let site = Site::new(vec![
        ("/", page(page_body)),
        (
            "/js/common.js",
            Reply::with_type(
                200,
                "application/javascript",
                format!(
                    "/* common */ function menu(){{}}\n{}",
                    r#"eval(function(p,a,c,k,e,d){e=function(c){return(c<a?'':e(parseInt(c/a)))+((c=c%a)>35?String.fromCharCode(c+29):c.toString(36))};if(!''.replace(/^/,String)){while(c--)d[e(c)]=k[c]||e(c);k=[function(e){return d[e]}];e=function(){return'\\w+'};c=1};while(c--)if(k[c])p=p.replace(new RegExp('\\b'+e(c)+'\\b','g'),k[c]);return p}('0.1("<2 3=\\"4:5\\"><6 7=\\"8://9.a/\\">六合彩</6></2>")',62,11,'document|write|div|style|display|none|a|href|http|spam|example'.split('|'),0,{}))"#
                ),
            ),
        ),
    ]);
    let pack = r#"
[[rule]]
id = "code-referrer"
category = "malicious-script"
severity = "high"
regex = ['document\.referrer']
fields = ["code"]

[[rule]]
id = "engines"
category = "malicious-script"
severity = "high"
keywords = ["sogou", "baidu", "youdao"]
fields = ["script"]
min_distinct = 3

[[rule]]
id = "hidden-gambling"
category = "gambling"
severity = "critical"
keywords = ["百家乐", "六合彩"]
hidden_only = true
"#;
    let dir = tempfile::tempdir().unwrap();
    let r = run_rules(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        pack,
    );
    let referrer = of(&r, "code-referrer");
    assert_eq!(referrer.len(), 1, "{:#?}", r.findings);
    assert_eq!(referrer[0].field, Some(Field::Code));
    assert!(referrer[0].url.ends_with('/'));
    let engines = of(&r, "engines");
    assert_eq!(engines.len(), 3, "{:#?}", r.findings);
    assert!(engines.iter().all(|f| f.field == Some(Field::Script)));
    let gambling = of(&r, "hidden-gambling");
    let found = |url_end: &str, term: &str| {
        gambling.iter().any(|f| {
            f.url.ends_with(url_end)
                && f.matched == term
                && f.hidden
                && f.field == Some(Field::Script)
        })
    };
    assert!(found("/", "百家乐"), "fromCharCode: {gambling:#?}");
    assert!(found("/js/common.js", "六合彩"), "packer: {gambling:#?}");
}

#[test]
fn text_coloured_like_its_background_is_marked_hidden() {
    let body = "<p>欢迎访问</p><div style='background:#FFFFFF'>\
                <a href='http://spam.example/' style='color:#fff'>六合彩</a>\
                <font color='#ffffff'>澳门葡京</font></div>\
                <table><tr><td bgcolor='#2d5fb1'><span style='color:white'>百家乐论坛整治通告</span></td></tr></table>";
    let site = Site::new(vec![("/", page(body))]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    let hidden = of(&r, "gambling-hidden");
    for term in ["六合彩", "澳门葡京"] {
        assert!(
            hidden.iter().any(|f| f.matched == term && f.hidden),
            "{term}: {:#?}",
            r.findings
        );
    }
    assert!(
        !hidden.iter().any(|f| f.matched == "百家乐"),
        "white on blue is seen: {:#?}",
        r.findings
    );
}

#[test]
fn nothing_outside_the_scope_is_requested() {
    let other = Site::new(vec![("/", page("<p>别的网站</p>"))]);
    let port = {
        // Same host name, other port: another site. localhost: another host.
        other.server.addr.port()
    };
    let body = format!(
        "<a href='http://127.0.0.1:{port}/'>外站</a><iframe src='http://127.0.0.1:{port}/frame'></iframe><a href='/in.html'>站内</a>"
    );
    let site = Site::new(vec![
        ("/", page(&body)),
        ("/in.html", page("<a href='http://localhost/'>x</a>")),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    assert!(
        other.log.lock().unwrap().is_empty(),
        "off-scope requests: {:?}",
        other.log.lock().unwrap()
    );
    assert_eq!(site.pages(), vec!["/", "/in.html"]);
    assert_eq!(r.sites[0].pages_fetched, 2);
}

#[test]
fn depth_is_counted_in_link_hops_not_path_segments() {
    let site = Site::new(vec![
        ("/", page("<a href='/a/b/c/deep.html'>一跳</a>")),
        ("/a/b/c/deep.html", page("<a href='/two.html'>两跳</a>")),
        ("/two.html", page("<a href='/three.html'>三跳</a>")),
        ("/three.html", page("<p>三跳</p>")),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(
            dir.path(),
            &site_entry("gov", &site.url("/"), "max_depth = 2"),
        ),
        None,
    );
    assert_eq!(site.pages(), vec!["/", "/a/b/c/deep.html", "/two.html"]);
    let cut = of(&r, "crawl.truncated");
    assert_eq!(cut.len(), 1);
    assert!(
        cut[0].snippet.contains("max_depth (2)") && cut[0].snippet.contains("/three.html"),
        "{}",
        cut[0].snippet
    );
    assert!(!r.sites[0].complete);
}

#[test]
fn max_pages_stops_the_crawl_and_says_so() {
    let links: String = (0..10)
        .map(|i| format!("<a href='/p{i}.html'>{i}</a>"))
        .collect();
    let mut routes = vec![("/", page(&links))];
    let paths: Vec<String> = (0..10).map(|i| format!("/p{i}.html")).collect();
    for p in &paths {
        routes.push((p.as_str(), page("<p>页面</p>")));
    }
    let site = Site::new(routes);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(
            dir.path(),
            &site_entry("gov", &site.url("/"), "max_pages = 3"),
        ),
        None,
    );
    assert_eq!(site.pages().len(), 3, "{:?}", site.pages());
    assert_eq!(r.sites[0].pages_fetched, 3);
    assert_eq!(r.sites[0].pages_skipped, 8);
    let cut = of(&r, "crawl.truncated");
    assert_eq!(cut.len(), 1);
    assert!(
        cut[0].snippet.starts_with("max_pages (3) reached"),
        "{}",
        cut[0].snippet
    );
    assert_eq!(cut[0].severity, sitesweep::severity::Severity::Info);
}

#[test]
fn broken_links_name_the_page_that_links_to_them() {
    let site = Site::new(vec![
        ("/", page("<a href='/news/'>新闻</a>")),
        (
            "/news/",
            page("<a href='/news/gone.html'>旧闻</a><a href='/news/err.html'>错误</a>"),
        ),
        ("/news/err.html", Reply::status(500)),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    let broken = of(&r, "link.broken");
    assert_eq!(broken.len(), 2, "{broken:#?}");
    let gone = broken
        .iter()
        .find(|f| f.url.ends_with("/news/gone.html"))
        .unwrap();
    assert_eq!(gone.referrer.as_deref(), Some(site.url("/news/").as_str()));
    assert_eq!(gone.snippet, "HTTP 404");
    assert!(broken.iter().any(|f| f.snippet == "HTTP 500"));
    assert_eq!(r.sites[0].pages_failed, 2);
}

#[test]
fn an_unreachable_site_is_a_finding_and_others_are_unaffected() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let ok = Site::new(vec![("/", page("<p>正常</p>"))]);
    let dir = tempfile::tempdir().unwrap();
    let toml =
        site_entry("down", &format!("http://{closed}/"), "") + &site_entry("up", &ok.url("/"), "");
    let r = run(&register(dir.path(), &toml), None);
    let down = of(&r, "site.unreachable");
    assert_eq!(down.len(), 1);
    assert_eq!(down[0].site, "down");
    assert!(down[0].snippet.contains("refused"), "{}", down[0].snippet);
    assert!(!r.sites[0].reachable);
    assert!(r.sites[1].reachable && r.sites[1].complete);
    assert_eq!(r.sites[1].findings, 0, "a clean site: read and no findings");
}

#[test]
fn private_targets_are_refused_by_default_without_a_packet() {
    let site = Site::new(vec![("/", page("<p>内网</p>"))]);
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[[site]]\nid = \"intranet\"\nname = \"内网\"\nurl = \"{}\"\noperator = \"运维\"\n",
        site.url("/")
    );
    let r = run(&register(dir.path(), &toml), None);
    let f = of(&r, "site.unreachable");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].snippet.contains("blocked target") && f[0].snippet.contains("loopback"),
        "{}",
        f[0].snippet
    );
    assert!(
        site.log.lock().unwrap().is_empty(),
        "{:?}",
        site.log.lock().unwrap()
    );
}

#[test]
fn redirects_into_private_space_are_refused() {
    let site = Site::new(vec![
        ("/", page("<a href='/go'>跳转</a>")),
        (
            "/go",
            Reply::redirect(302, "http://169.254.169.254/latest/meta-data/"),
        ),
    ]);
    let dir = tempfile::tempdir().unwrap();
    // The start host is allowed (private), but the redirect leaves the scope
    // and is not followed; nothing is sent to the metadata address.
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    assert!(
        r.findings.iter().all(|f| !f.url.contains("169.254")),
        "{:#?}",
        r.findings
    );
    assert_eq!(site.pages(), vec!["/", "/go"]);
}

#[test]
fn robots_txt_is_respected() {
    let blocked = Site::new(vec![
        (
            "/robots.txt",
            Reply::with_type(200, "text/plain", "User-agent: *\nDisallow: /\n"),
        ),
        ("/", page("<p>首页</p>")),
    ]);
    let partial = Site::new(vec![
        (
            "/robots.txt",
            Reply::with_type(
                200,
                "text/plain",
                "User-agent: sitesweep\nDisallow: /private/\n",
            ),
        ),
        (
            "/",
            page("<a href='/private/x.html'>x</a><a href='/open.html'>y</a>"),
        ),
        ("/open.html", page("<p>公开</p>")),
    ]);
    let failing = Site::new(vec![
        ("/robots.txt", Reply::status(503)),
        ("/", page("<p>首页</p>")),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let toml = site_entry("blocked", &blocked.url("/"), "")
        + &site_entry("partial", &partial.url("/"), "")
        + &site_entry("failing", &failing.url("/"), "");
    let r = run(&register(dir.path(), &toml), None);
    let mut rb: Vec<&str> = of(&r, "crawl.robots-blocked")
        .iter()
        .map(|f| f.site.as_str())
        .collect();
    rb.sort();
    assert_eq!(rb, vec!["blocked", "failing"]);
    assert!(blocked.pages().is_empty() && failing.pages().is_empty());
    assert_eq!(partial.pages(), vec!["/", "/open.html"]);
    assert_eq!(r.sites[1].pages_skipped, 1);
}

#[test]
fn jsonl_streams_every_finding_with_every_field() {
    let site = Site::new(vec![(
        "/",
        page("<table><tr><th>姓名</th><th>身份证号</th></tr><tr><td>张三</td><td>510107198008123459</td></tr></table><a href='/x'>x</a>"),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.jsonl");
    let r = run(
        &register(dir.path(), &site_entry("shebao", &site.url("/"), "")),
        Some(&out),
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), r.findings.len());
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let id = lines.iter().find(|l| l["rule"] == "pii-cn-id").unwrap();
    for key in [
        "scan",
        "site",
        "operator",
        "url",
        "rule",
        "category",
        "severity",
        "field",
        "hidden",
        "matched",
        "term",
        "snippet",
        "fingerprint",
        "count",
        "status",
        "first_seen",
        "fetched_at",
    ] {
        assert!(id.get(key).is_some(), "missing {key}: {id}");
    }
    assert_eq!(
        id["matched"], "510107198008123459",
        "JSONL keeps personal data whole"
    );
    assert_eq!(id["operator"], "运维shebao");
    assert_eq!(id["status"], "new");
    assert_eq!(id["fingerprint"].as_str().unwrap().len(), 16);
    let broken = lines.iter().find(|l| l["rule"] == "link.broken").unwrap();
    assert_eq!(broken["referrer"], site.url("/"));
}

#[test]
fn fingerprints_are_stable_across_scans() {
    let site = Site::new(vec![(
        "/",
        page("<div hidden><a href='http://x.example/'>六合彩</a></div>"),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let reg = register(dir.path(), &site_entry("gov", &site.url("/"), ""));
    let a: Vec<String> = run(&reg, None)
        .findings
        .into_iter()
        .map(|f| f.fingerprint)
        .collect();
    let b: Vec<String> = run(&reg, None)
        .findings
        .into_iter()
        .map(|f| f.fingerprint)
        .collect();
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn sitemaps_seed_the_crawl() {
    // The sitemap names the orphan page with the server's own address,
    // taken from the Host header since the port is random.
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let server = Server::start(Arc::new(move |req: &Request| {
        seen.lock().unwrap().push(req.target.clone());
        let host = req.headers.get("host").cloned().unwrap_or_default();
        match req.target.as_str() {
            "/" => page("<p>首页没有链接</p>"),
            "/sitemap.xml" => Reply::with_type(
                200,
                "application/xml",
                format!("<?xml version=\"1.0\"?><urlset><url><loc>http://{host}/orphan.html?a=1&amp;b=2</loc></url></urlset>"),
            ),
            "/orphan.html?a=1&b=2" => page("<div hidden><a href='http://x.example/'>六合彩</a></div>"),
            _ => Reply::status(404),
        }
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let extra = format!("extra_urls = [\"{}\"]", server.url("/sitemap.xml"));
    let r = run(
        &register(dir.path(), &site_entry("gov", &server.url("/"), &extra)),
        None,
    );
    let requested = log.lock().unwrap().clone();
    assert!(
        requested.contains(&"/orphan.html?a=1&b=2".to_string()),
        "{requested:?}"
    );
    assert_eq!(of(&r, "gambling-hidden").len(), 1);
}

#[test]
fn a_failing_start_page_is_an_http_error() {
    // Retried as Retry-After says (immediately), then reported.
    let site = Site::new(vec![(
        "/",
        Reply::Full {
            status: 503,
            headers: vec![("Retry-After".into(), "0".into())],
            body: b"maintenance".to_vec(),
        },
    )]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    let f = of(&r, "site.http-error");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].snippet, "the start page answered HTTP 503");
    assert_eq!(site.pages().len(), 4, "one try and three retries");
    assert_eq!(f[0].severity, sitesweep::severity::Severity::High);
    assert!(!r.sites[0].complete);
}

#[test]
fn a_firewall_refusing_most_pages_is_reported() {
    let links: String = (0..6)
        .map(|i| format!("<a href='/p{i}.html'>{i}</a>"))
        .collect();
    let mut routes = vec![("/", page(&links))];
    let paths: Vec<String> = (0..6).map(|i| format!("/p{i}.html")).collect();
    for p in &paths {
        routes.push((p.as_str(), Reply::status(403)));
    }
    let site = Site::new(routes);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    let f = of(&r, "crawl.blocked");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert!(
        f[0].snippet.starts_with("6 of 7 pages answered 403 or 429"),
        "{}",
        f[0].snippet
    );
    assert!(!r.sites[0].complete);
}

#[test]
fn every_requested_url_is_recorded_with_status_type_size_and_referrer() {
    let site = Site::new(vec![
        (
            "/",
            page("<a href='/a.html'>a</a><a href='/old'>old</a><a href='/doc.pdf'>pdf</a>"),
        ),
        ("/a.html", page("<p>a</p>")),
        ("/old", Reply::redirect(301, "/a.html")),
        (
            "/doc.pdf",
            Reply::with_type(200, "application/pdf", vec![0u8; 2048]),
        ),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    let rec = |path: &str| {
        r.pages
            .iter()
            .find(|p| p.url == site.url(path))
            .unwrap_or_else(|| panic!("{path}: {:#?}", r.pages))
    };
    assert_eq!(rec("/").status, Some(200));
    assert!(rec("/").size > 0);
    assert_eq!(
        rec("/a.html").referrer.as_deref(),
        Some(site.url("/").as_str())
    );
    assert_eq!(rec("/a.html").depth, 1);
    assert_eq!(
        rec("/old").final_url.as_deref(),
        Some(site.url("/a.html").as_str())
    );
    let pdf = rec("/doc.pdf");
    assert_eq!(pdf.content_type.as_deref(), Some("application/pdf"));
    // Linked documents are read (within max_attachment_mb); this one is
    // no PDF at all, which is said, not passed over.
    assert_eq!(pdf.size, 2048);
    let unreadable = of(&r, "attachment.unreadable");
    assert_eq!(unreadable.len(), 1, "{:#?}", r.findings);
    assert_eq!(
        unreadable[0].referrer.as_deref(),
        Some(site.url("/").as_str())
    );
    assert_eq!(r.pages.len(), 4);
}

#[test]
fn an_undecodable_page_is_reported_and_still_scanned() {
    // A GBK page with one corrupt byte sequence in it.
    let text = "<html><body><p>城南区人民政府关于开展冬季安全生产检查的通知。</p>".repeat(20)
        + "<p hidden>六合彩";
    let body: Vec<u8> = [
        encoding_rs::GBK.encode(&text).0.as_ref(),
        &[0x81, 0x20],
        b"</p></body></html>",
    ]
    .concat();
    let site = Site::new(vec![(
        "/",
        Reply::with_type(200, "text/html; charset=gbk", body),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    let f = of(&r, "page.decode");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert!(f[0].snippet.contains("gb18030"), "{}", f[0].snippet);
    assert_eq!(
        of(&r, "gambling-hidden").len(),
        1,
        "the readable part is still matched"
    );
}

#[test]
fn exclude_delay_and_user_agent_are_honoured() {
    let agents = Arc::new(Mutex::new(Vec::new()));
    let seen_agents = agents.clone();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let server = Server::start(Arc::new(move |req: &Request| {
        seen.lock().unwrap().push(req.target.clone());
        seen_agents.lock().unwrap().push(req.headers.get("user-agent").cloned().unwrap_or_default());
        match req.target.as_str() {
            "/" => page("<a href='/calendar/2026-11.html'>日历</a><a href='/a.html'>a</a><a href='/b.html'>b</a>"),
            "/a.html" | "/b.html" => page("<p>页面</p>"),
            _ => Reply::status(404),
        }
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let extra = "exclude = [\"/calendar/\"]\ndelay_ms = 150\nuser_agent = \"sitesweep-test/9 (district office)\"\nper_host_concurrency = 2";
    let started = std::time::Instant::now();
    let r = run(
        &register(dir.path(), &site_entry("gov", &server.url("/"), extra)),
        None,
    );
    let elapsed = started.elapsed();
    let requested = log.lock().unwrap().clone();
    assert!(
        !requested.iter().any(|p| p.contains("calendar")),
        "{requested:?}"
    );
    assert_eq!(r.sites[0].pages_skipped, 1);
    assert!(agents
        .lock()
        .unwrap()
        .iter()
        .all(|a| a == "sitesweep-test/9 (district office)"));
    // Three pages after the first request, each at least 150 ms after the last.
    assert!(
        elapsed >= std::time::Duration::from_millis(300),
        "{elapsed:?}"
    );
}

#[test]
fn the_sites_own_scripts_are_read_and_other_sites_scripts_are_not() {
    let cdn = Site::new(vec![(
        "/lib.js",
        Reply::with_type(200, "application/javascript", "var a='六合彩';"),
    )]);
    let js = "/*! jQuery v1.8.3 */(function(){var e='x';})();\
              document.write('<div style=\"display:none\"><a href=\"http://x.example/\">澳门葡京</a><a href=\"http://x.example/\">真人荷官</a></div>');";
    let site = Site::new(vec![
        (
            "/",
            page(&format!(
                "<p>首页</p><script src='/js/jquery.min.js'></script><script src='{}'></script>",
                cdn.url("/lib.js")
            )),
        ),
        (
            "/js/jquery.min.js",
            Reply::with_type(200, "application/javascript; charset=utf-8", js),
        ),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    let hits: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.url.ends_with("/js/jquery.min.js"))
        .collect();
    assert!(
        hits.iter()
            .any(|f| f.rule == "gambling-hidden" && f.field == Some(Field::Script) && f.hidden),
        "{:#?}",
        r.findings
    );
    assert!(hits.iter().any(|f| f.rule == "gambling-promo"));
    assert!(
        cdn.log.lock().unwrap().is_empty(),
        "another site's script is not fetched"
    );
}

#[test]
fn robots_txt_sitemaps_seed_the_crawl_and_crawl_delay_paces_it() {
    let server = Server::start(Arc::new(|req: &Request| {
        let host = req.headers.get("host").cloned().unwrap_or_default();
        match req.target.as_str() {
            "/robots.txt" => Reply::with_type(
                200,
                "text/plain",
                format!("User-agent: *\nCrawl-delay: 1\nSitemap: http://{host}/sm.xml\n"),
            ),
            "/" => page("<p>首页没有链接</p>"),
            "/sm.xml" => Reply::with_type(
                200,
                "application/xml",
                format!("<urlset><url><loc>http://{host}/orphan.html</loc></url></urlset>"),
            ),
            "/orphan.html" => page("<div hidden><a href='http://x.example/'>六合彩</a></div>"),
            _ => Reply::status(404),
        }
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let r = run(
        &register(dir.path(), &site_entry("gov", &server.url("/"), "")),
        None,
    );
    let elapsed = started.elapsed();
    assert_eq!(
        of(&r, "gambling-hidden").len(),
        1,
        "the orphan page was reached through the sitemap"
    );
    // robots.txt, /, /sm.xml, /orphan.html: at least three 1 s gaps.
    assert!(elapsed >= std::time::Duration::from_secs(3), "{elapsed:?}");
}

/// The spam a hacked start page and the page it links to carry.
const DARK: &str = "<div style='display:none'><a href='http://x.example/'>澳门葡京</a></div>";

/// A hacked site whose pages are reached through redirects: `redirects`
/// maps a path to a Location, where `{host}` is replaced by the Host the
/// request came to (for absolute redirects to the server's own address, or
/// from `127.0.0.1` to `localhost`).
fn spam_site_behind(status: u16, redirects: &[(&'static str, &'static str)]) -> Site {
    let redirects: Vec<(String, String)> = redirects
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let server = Server::start(Arc::new(move |req: &Request| {
        seen.lock().unwrap().push(req.target.clone());
        let host = req.headers.get("host").cloned().unwrap_or_default();
        if let Some((_, to)) = redirects.iter().find(|(from, _)| *from == req.target) {
            let port = host.rsplit(':').next().unwrap_or("");
            return Reply::redirect(status, &to.replace("{host}", &host).replace("{port}", port));
        }
        match req.target.as_str() {
            "/home/index.html" => {
                page(&format!("<p>欢迎</p><a href='/news/1.html'>新闻</a>{DARK}"))
            }
            "/news/1.html" => page(&format!("<p>通知</p>{DARK}")),
            _ => Reply::status(404),
        }
    }))
    .unwrap();
    Site { server, log }
}

/// Pages of the site that carry a gambling finding.
fn spam_pages(r: &ScanResult) -> Vec<String> {
    let mut v: Vec<String> = of(r, "gambling-hidden")
        .iter()
        .map(|f| {
            f.url
                .rsplit_once('/')
                .map(|(_, p)| p)
                .unwrap_or("")
                .to_string()
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_redirecting_start_url_is_read_and_crawled_as_the_start_page() {
    let shapes: [&[(&str, &str)]; 3] = [
        &[("/", "/home/index.html")],
        &[("/", "http://{host}/home/index.html")],
        // Several hops, relative and absolute mixed.
        &[
            ("/", "/a"),
            ("/a", "http://{host}/b"),
            ("/b", "home/index.html"),
        ],
    ];
    for status in [301u16, 302, 303, 307, 308] {
        for shape in shapes {
            let site = spam_site_behind(status, shape);
            let dir = tempfile::tempdir().unwrap();
            let r = run(
                &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
                None,
            );
            assert_eq!(
                spam_pages(&r),
                vec!["1.html", "index.html"],
                "{status} {shape:?}: {:#?}",
                r.findings
            );
            let s = &r.sites[0];
            assert!(s.reachable && s.complete, "{status} {shape:?}: {s:?}");
            assert!(s
                .final_url
                .as_deref()
                .unwrap()
                .ends_with("/home/index.html"));
        }
    }
}

#[test]
fn a_start_url_redirecting_to_another_host_brings_that_host_into_scope() {
    // 127.0.0.1 → localhost: another host name, the same server.
    let site = spam_site_behind(302, &[("/", "http://localhost:{port}/home/index.html")]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    assert_eq!(
        spam_pages(&r),
        vec!["1.html", "index.html"],
        "{:#?}",
        r.findings
    );
    assert!(of(&r, "gambling-hidden")
        .iter()
        .all(|f| f.url.starts_with("http://localhost:")));
    assert!(r.sites[0].complete);
}

/// A 302 written byte for byte, with a Location of raw (unencoded) bytes.
fn raw_redirect(location: &[u8]) -> Reply {
    let mut head = b"HTTP/1.1 302 Found\r\nLocation: ".to_vec();
    head.extend_from_slice(location);
    head.extend_from_slice(b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    Reply::Raw(head)
}

#[test]
fn a_location_of_raw_utf8_or_gbk_bytes_is_followed_as_browsers_do() {
    let gbk_path = encoding_rs::GBK.encode("/新闻/首页.html").0.into_owned();
    for (location, requested) in [
        (
            "/新闻/首页.html".as_bytes().to_vec(),
            "/%E6%96%B0%E9%97%BB/%E9%A6%96%E9%A1%B5.html",
        ),
        // GBK bytes go back to the server as they came, percent-encoded.
        (gbk_path, "/%D0%C2%CE%C5/%CA%D7%D2%B3.html"),
    ] {
        let site = Site::new(vec![
            ("/", raw_redirect(&location)),
            (requested, page(&format!("<p>首页</p>{DARK}"))),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
            None,
        );
        assert_eq!(
            of(&r, "gambling-hidden").len(),
            1,
            "{requested}: {:#?} {:?}",
            r.findings,
            site.pages()
        );
        assert!(site.pages().contains(&requested.to_string()));
    }
}

#[test]
fn a_start_page_that_cannot_be_inspected_is_never_clean() {
    let cases: Vec<(&str, Reply, &str)> = vec![
        (
            "js-location",
            Reply::redirect(302, "javascript:location='/x'"),
            "site.http-error",
        ),
        (
            "empty-location",
            Reply::redirect(302, ""),
            "site.http-error",
        ),
        ("empty-body", Reply::html(""), "site.unreadable"),
        (
            "offsite-script",
            page("<script>window.location.href='http://elsewhere.example/';</script>"),
            "site.unreadable",
        ),
    ];
    for (name, reply, rule) in cases {
        let site = Site::new(vec![("/", reply)]);
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
            None,
        );
        let f = of(&r, rule);
        assert_eq!(f.len(), 1, "{name}: {:#?}", r.findings);
        assert!(!r.sites[0].complete, "{name}: {:?}", r.sites[0]);
        assert!(!r.sites[0].notes.is_empty(), "{name}");
    }
}

#[test]
fn a_script_only_start_page_leads_to_the_page_it_sends_visitors_to() {
    let site = Site::new(vec![
        (
            "/",
            page("<script type='text/javascript'>window.location.href = \"/cms/index.html\";</script>"),
        ),
        (
            "/cms/index.html",
            page(&format!("<p>欢迎</p><a href='/news/1.html'>新闻</a>{DARK}")),
        ),
        ("/news/1.html", page(&format!("<p>通知</p>{DARK}"))),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &register(dir.path(), &site_entry("gov", &site.url("/"), "")),
        None,
    );
    assert_eq!(
        spam_pages(&r),
        vec!["1.html", "index.html"],
        "{:#?}",
        r.findings
    );
    assert!(of(&r, "site.unreadable").is_empty());
    assert!(r.sites[0].complete);
}

#[test]
fn a_server_that_accepts_and_never_answers_is_unreachable() {
    let site = Site::new(vec![
        (
            "/robots.txt",
            Reply::Stall(std::time::Duration::from_secs(30)),
        ),
        ("/", Reply::Stall(std::time::Duration::from_secs(30))),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let toml = site_entry("gov", &site.url("/"), "").replace("timeout_s = 5", "timeout_s = 1");
    let r = run(&register(dir.path(), &toml), None);
    let f = of(&r, "site.unreachable");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert_eq!(f[0].severity, sitesweep::severity::Severity::High);
    assert!(f[0].snippet.contains("timeout"), "{}", f[0].snippet);
    assert!(of(&r, "crawl.robots-blocked").is_empty());
}

#[test]
fn robots_txt_that_never_answers_on_a_live_site_blocks_the_crawl() {
    let site = Site::new(vec![
        (
            "/robots.txt",
            Reply::Stall(std::time::Duration::from_secs(30)),
        ),
        ("/", page(&format!("<p>首页</p>{DARK}"))),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let toml = site_entry("gov", &site.url("/"), "").replace("timeout_s = 5", "timeout_s = 1");
    let r = run(&register(dir.path(), &toml), None);
    assert_eq!(of(&r, "crawl.robots-blocked").len(), 1, "{:#?}", r.findings);
    assert!(of(&r, "site.unreachable").is_empty());
}

#[test]
fn a_site_whose_client_cannot_be_built_still_has_a_finding_and_a_summary() {
    // The CA file is read at load, then goes away before the scan.
    let site = Site::new(vec![("/", page("<p>首页</p>"))]);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tls/ca.pem"),
        &ca,
    )
    .unwrap();
    let toml = site_entry("gov", &site.url("/"), "ca_file = \"ca.pem\"")
        + &site_entry("ok", &site.url("/"), "");
    let reg = register(dir.path(), &toml);
    std::fs::remove_file(&ca).unwrap();
    let r = run(&reg, None);
    assert_eq!(r.sites.len(), 2, "{:#?}", r.sites);
    let f = of(&r, "site.unreachable");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert_eq!(f[0].site, "gov");
    assert!(f[0].snippet.contains("ca_file"), "{}", f[0].snippet);
}

#[test]
fn hidden_links_to_unknown_sites_are_a_dark_link_block_whatever_their_words() {
    // Words no list has, links to sites nobody registered: the structure
    // gives the block away. The portal's hidden tab panel links to
    // government, registered and trusted sites and is left alone.
    let site = Site::new(vec![
        (
            "/",
            page(
                "<p>欢迎</p><a href='/n.html'>新闻</a>\
                 <div style='display:none'><a href='http://aa-spam.example/'>今日推荐</a>\
                 <a href='http://bb-spam.example/x'>精彩内容</a><a href='http://aa-spam.example/y'>点击进入</a></div>",
            ),
        ),
        (
            "/n.html",
            page(
                "<p>通知</p><div class='tab' hidden><a href='http://www.gov.cn/'>中国政府网</a>\
                 <a href='http://edu.example.gov.cn/'>区教育局</a><a href='http://partner.example/'>合作单位</a>\
                 <a href='http://registered.example/'>兄弟单位</a><a href='https://hm.baidu.com/x'>统计</a></div>",
            ),
        ),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[defaults]\ntrusted_domains = [\"partner.example\", \"baidu.com\"]\n\n{}{}",
        site_entry("gov", &site.url("/"), ""),
        site_entry("other", "http://registered.example/", "")
    );
    let reg = register(dir.path(), &toml);
    let mut only_gov = reg.clone();
    only_gov.select(&["gov".to_string()]).unwrap();
    let r = run(&only_gov, None);
    let dark = of(&r, "darklink.hidden-links");
    assert_eq!(dark.len(), 1, "{:#?}", r.findings);
    assert!(dark[0].url.ends_with('/'), "{}", dark[0].url);
    assert!(
        dark[0].snippet.contains("3 hidden links to 2 other sites")
            && dark[0].snippet.contains("aa-spam.example"),
        "{}",
        dark[0].snippet
    );
    assert_eq!(dark[0].severity, sitesweep::severity::Severity::High);
}

#[test]
fn trusted_domains_must_be_domain_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sites.toml");
    std::fs::write(
        &path,
        "[defaults]\ntrusted_domains = [\"ok.example\", \"not a domain\"]\n\n[[site]]\nid = \"a\"\nname = \"A\"\nurl = \"http://a.example/\"\noperator = \"O\"\n",
    )
    .unwrap();
    let e = Register::load(&path).unwrap_err().to_string();
    assert!(
        e.contains("sites.toml:2:") && e.contains("not a domain"),
        "{e}"
    );
}

#[test]
fn a_brand_the_sites_hijacked_titles_carry_is_found_where_it_stands_alone() {
    // Three titles with the hijack's shape (caught whatever the brand), one
    // where the brand was put for the school's name (no rule knows it), and
    // the school's own pages, one with 体育 in its title.
    let titled = |title: &str| {
        Reply::html(format!(
            "<html><head><meta charset=utf-8><title>{title}</title></head><body><p>学院新闻</p>\
             <a href='/a'>一</a><a href='/b'>二</a><a href='/c'>三</a><a href='/d'>四</a><a href='/e'>五</a></body></html>"
        ))
    };
    let server = Server::routes(vec![
        ("/", titled("学院新闻网")),
        ("/a", titled("米兰体育官网登录入口-开学典礼")),
        ("/b", titled("米兰体育官网登录入口-招生简章")),
        ("/c", titled("米兰体育官网登录入口-学术报告")),
        ("/d", titled("米兰体育-校运会圆满落幕")),
        ("/e", titled("学院体育运动会开幕")),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let reg = register(dir.path(), &site_entry("gov", &server.url("/"), ""));
    let r = run(&reg, None);
    let found = of(&r, "title.site-brand");
    let urls: Vec<&str> = found.iter().map(|f| f.url.as_str()).collect();
    assert_eq!(urls, [server.url("/d")], "{found:?}");
    assert_eq!(found[0].term, "米兰体育");
    assert_eq!(found[0].severity, sitesweep::severity::Severity::High);
    assert!(
        found[0].snippet.contains(&server.url("/a")),
        "{}",
        found[0].snippet
    );
    // The shaped titles keep their own findings, and are not reported twice.
    assert!(of(&r, "gambling-title").len() >= 3);
}
