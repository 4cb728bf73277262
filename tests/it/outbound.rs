//! Links to other sites and `[resolve]` pins, on 127.0.0.1 only: every
//! name below is pinned (or an IP literal that must not be fetched), so no
//! test resolves or contacts anything else. `outbound::check` is driven
//! directly; the crawl collecting the links is tested with the crawl.

use crate::support::server::{Reply, Request, Server};
use sitesweep::crawl::outbound::{self, OutboundLink, OutboundReport};
use sitesweep::findings::{Finding, Origin};
use sitesweep::register::{Register, Settings};
use sitesweep::rules::{Packs, RuleSet};
use sitesweep::scan::{self, ScanOptions};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use url::Url;

/// A server answering from a path → reply map, logging every request as
/// `host-header path`.
struct Logged {
    server: Server,
    log: Arc<Mutex<Vec<String>>>,
}

impl Logged {
    fn new(routes: Vec<(&str, Reply)>) -> Logged {
        let map: HashMap<String, Reply> = routes
            .into_iter()
            .map(|(p, r)| (p.to_string(), r))
            .collect();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = log.clone();
        let server = Server::start(Arc::new(move |req: &Request| {
            let host = req.headers.get("host").cloned().unwrap_or_default();
            let host = host.split(':').next().unwrap_or("").to_string();
            seen.lock().unwrap().push(format!("{host} {}", req.target));
            map.get(&req.target)
                .cloned()
                .unwrap_or_else(|| Reply::status(404))
        }))
        .unwrap();
        Logged { server, log }
    }

    fn port(&self) -> u16 {
        self.server.addr.port()
    }

    /// `http://NAME:PORT{path}`: a pinned name in front of this server.
    fn at(&self, name: &str, path: &str) -> String {
        format!("http://{name}:{}{path}", self.port())
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn page(title: &str, body: &str) -> Reply {
    Reply::html(format!(
        "<html><head><meta charset=utf-8><title>{title}</title></head><body>{body}</body></html>"
    ))
}

fn casino() -> Reply {
    page(
        "澳门葡京娱乐城",
        "<p>百家乐 真人视讯 在线投注，注册即送彩金，澳门葡京娱乐城欢迎您</p>",
    )
}

/// Settings with these names pinned to 127.0.0.1.
fn settings(names: &[&str]) -> Settings {
    let localhost: IpAddr = "127.0.0.1".parse().unwrap();
    let pins: BTreeMap<String, IpAddr> = names.iter().map(|n| (n.to_string(), localhost)).collect();
    Settings {
        timeout_s: 5,
        pins: Arc::new(pins),
        ..Settings::default()
    }
}

fn origin() -> Origin {
    Origin {
        scan: "20261127T050000Z".into(),
        site: "edu".into(),
        operator: "区教育局".into(),
        insecure_tls: false,
    }
}

const REFERRER: &str = "http://edu.example.gov.cn/links.html";

fn link(url: &str, hidden: bool) -> OutboundLink {
    OutboundLink {
        url: Url::parse(url).unwrap(),
        referrer: Url::parse(REFERRER).unwrap(),
        hidden,
    }
}

/// Government domains and the site itself are ours.
fn ours() -> Arc<dyn Fn(&Url) -> bool + Send + Sync> {
    Arc::new(|u: &Url| {
        let host = u.host_str().unwrap_or("");
        host == "gov.cn" || host.ends_with(".gov.cn")
    })
}

fn check(links: Vec<OutboundLink>, settings: &Settings) -> OutboundReport {
    let rules = Arc::new(RuleSet::compile(Packs::builtin()).unwrap());
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(outbound::check(links, settings, &origin(), rules, ours()))
}

fn of<'a>(r: &'a OutboundReport, rule: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.rule == rule).collect()
}

#[test]
fn a_site_is_reached_through_a_pinned_name_without_allow_private() {
    let site = Logged::new(vec![("/", page("区政府", "<p>欢迎访问</p>"))]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sites.toml");
    let toml = format!(
        "[[site]]\nid = \"gov\"\nname = \"区政府\"\nurl = \"{}\"\noperator = \"运维\"\ntimeout_s = 5\ncheck_outbound = false\n\n[resolve]\n\"district.example\" = \"127.0.0.1\"\n",
        site.at("district.example", "/")
    );
    std::fs::write(&path, toml).unwrap();
    let reg = Register::load(&path).unwrap();
    assert!(!reg.sites[0].settings.allow_private);
    let rules = Arc::new(RuleSet::compile(Packs::builtin()).unwrap());
    let r = scan::run(
        &reg,
        rules,
        ScanOptions {
            keep_records: true,
            ..ScanOptions::default()
        },
    )
    .unwrap();
    assert!(r.sites[0].reachable, "{:#?}", r.sites[0]);
    assert_eq!(r.findings.len(), 0, "{:#?}", r.findings);
    assert!(
        site.requests().contains(&"district.example /".to_string()),
        "{:?}",
        site.requests()
    );
}

#[test]
fn a_lapsed_domain_that_redirects_to_a_casino_is_hijacked() {
    let casino_site = Logged::new(vec![("/", casino())]);
    let target = casino_site.at("casino.example", "/");
    let partner = Logged::new(vec![("/", Reply::redirect(302, &target))]);
    let s = settings(&["old-partner.example", "casino.example"]);
    let url = partner.at("old-partner.example", "/");
    let r = check(vec![link(&url, true)], &s);
    let f = of(&r, "link.outbound-hijacked");
    assert_eq!(f.len(), 1, "{:#?}", r);
    let f = f[0];
    assert_eq!(f.url, url);
    assert_eq!(f.severity.name(), "high");
    assert_eq!(f.referrer.as_deref(), Some(REFERRER));
    assert!(f.hidden);
    assert_eq!(f.term, "casino.example");
    for part in [
        url.as_str(),
        target.as_str(),
        "HTTP 200",
        "lands on casino.example, not old-partner.example",
        "gambling-",
    ] {
        assert!(f.snippet.contains(part), "{part} in {}", f.snippet);
    }
    assert_eq!((r.checked, r.hijacked, r.dead, r.refused), (1, 1, 0, 0));
}

#[test]
fn a_partner_domain_now_serving_a_casino_itself_is_hijacked() {
    let bought = Logged::new(vec![("/", casino())]);
    let s = settings(&["old-partner.example"]);
    let url = bought.at("old-partner.example", "/");
    let r = check(vec![link(&url, false)], &s);
    let f = of(&r, "link.outbound-hijacked");
    assert_eq!(f.len(), 1, "{:#?}", r);
    assert!(!f[0].hidden);
    assert!(f[0].snippet.contains("HTTP 200"), "{}", f[0].snippet);
    assert!(
        f[0].snippet.contains("landing page hits gambling-"),
        "{}",
        f[0].snippet
    );
    assert!(!f[0].snippet.contains("lands on"), "{}", f[0].snippet);
}

#[test]
fn a_lapsed_name_with_nothing_listening_is_dead() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = settings(&["gone-partner.example"]);
    let url = format!("http://gone-partner.example:{closed}/");
    let r = check(vec![link(&url, false)], &s);
    let f = of(&r, "link.outbound-dead");
    assert_eq!(f.len(), 1, "{:#?}", r);
    assert_eq!(f[0].severity.name(), "low");
    assert_eq!(f[0].referrer.as_deref(), Some(REFERRER));
    assert!(f[0].snippet.contains("refused"), "{}", f[0].snippet);
    assert_eq!((r.checked, r.dead, r.hijacked), (1, 1, 0));
}

#[test]
fn when_no_link_answers_at_all_the_scanners_network_is_suspected_not_the_links() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let names = ["a.example", "b.example", "c.example"];
    let links = names
        .iter()
        .map(|n| link(&format!("http://{n}:{closed}/"), false))
        .collect();
    let r = check(links, &settings(&names));
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!((r.checked, r.dead, r.failed), (3, 0, 3));
    assert!(
        r.notes.iter().any(|n| n.contains("DNS or internet access")),
        "{:?}",
        r.notes
    );
}

#[test]
fn live_partners_and_moves_to_government_or_own_subdomains_are_clean() {
    let gov = Logged::new(vec![("/", page("市政府", "<p>政务公开</p>"))]);
    // The same registrable domain on another host.
    let www = Logged::new(vec![("/", page("合作单位", "<p>新首页</p>"))]);
    let partner = Logged::new(vec![
        ("/", page("合作单位", "<p>欢迎访问合作单位</p>")),
        (
            "/old",
            Reply::redirect(301, &gov.at("www.city.gov.cn", "/")),
        ),
        (
            "/moved",
            Reply::redirect(301, &www.at("www.partner.example", "/")),
        ),
        ("/gone.html", Reply::status(404)),
    ]);
    let s = settings(&["partner.example", "www.partner.example", "www.city.gov.cn"]);
    let links = vec![
        link(&partner.at("partner.example", "/"), false),
        link(&partner.at("partner.example", "/old"), true),
        link(&partner.at("partner.example", "/moved"), false),
        // A 404 from a live host is not a dead host.
        link(&partner.at("partner.example", "/gone.html"), false),
    ];
    let r = check(links, &s);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!((r.checked, r.dead, r.hijacked, r.refused), (4, 0, 0, 0));
    assert_eq!(gov.requests(), vec!["www.city.gov.cn /"]);
    assert_eq!(www.requests(), vec!["www.partner.example /"]);
    assert_eq!(r.domains.len(), 1, "{:?}", r.domains);
    assert_eq!(
        (
            r.domains[0].domain.as_str(),
            r.domains[0].urls,
            r.domains[0].hidden
        ),
        ("partner.example", 4, 1)
    );
}

#[test]
fn private_targets_are_never_fetched_even_when_the_site_allows_private() {
    let internal = Logged::new(vec![("/", page("内网", "<p>admin</p>"))]);
    let redirector = Logged::new(vec![(
        "/",
        Reply::redirect(302, &internal.server.url("/secret")),
    )]);
    let mut s = settings(&["evil.example"]);
    s.allow_private = true;
    let links = vec![
        link(&internal.server.url("/"), true),
        link("http://169.254.169.254/latest/meta-data/", true),
        link("http://[::1]:9/", false),
        // A pinned name is trusted; where it redirects to is not.
        link(&redirector.at("evil.example", "/"), false),
    ];
    let r = check(links, &s);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.refused, 4, "{r:#?}");
    // The IP literals were refused before any request; the redirect was
    // requested and refused at its private hop.
    assert_eq!(r.checked, 1);
    assert!(internal.requests().is_empty(), "{:?}", internal.requests());
    assert_eq!(redirector.requests(), vec!["evil.example /"]);
}

#[test]
fn the_budget_caps_requests_hidden_links_first_and_each_url_once() {
    let n = 6;
    let partner = Logged::new(vec![]);
    let s = Settings {
        outbound_budget: n,
        ..settings(&["many.example"])
    };
    let mut links: Vec<OutboundLink> = (0..n + 5)
        .map(|i| link(&partner.at("many.example", &format!("/p{i}.html")), false))
        .collect();
    // The last two are hidden: they are checked whatever their place.
    links[n + 3].hidden = true;
    links[n + 4].hidden = true;
    // The same URLs again, spelled otherwise (fragment, case, default
    // query order): one request each.
    let again: Vec<OutboundLink> = links
        .iter()
        .map(|l| {
            let mut u = l.url.clone();
            u.set_fragment(Some("top"));
            link(&u.as_str().replace("many.example", "MANY.example"), false)
        })
        .collect();
    links.extend(again);
    let r = check(links, &s);
    let got = partner.requests();
    assert_eq!(got.len(), n, "{got:?}");
    let mut sorted = got.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), n, "each URL once: {got:?}");
    assert!(got.contains(&format!("many.example /p{}.html", n + 3)));
    assert!(got.contains(&format!("many.example /p{}.html", n + 4)));
    assert_eq!((r.links, r.distinct), (2 * (n + 5), n + 5));
    assert_eq!((r.checked, r.over_budget), (n, 5));
    assert!(
        r.notes.iter().any(|n| n.contains("outbound_budget (6)")),
        "{:?}",
        r.notes
    );
    // 404s from a live host: neither dead nor hijacked.
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
}

#[test]
fn the_new_findings_are_reserved_site_rules() {
    use sitesweep::findings::SiteRule;
    for (id, severity) in [
        ("link.outbound-dead", "low"),
        ("link.outbound-hijacked", "high"),
    ] {
        let rule = SiteRule::from_id(id).unwrap();
        assert_eq!(rule.severity().name(), severity);
        assert!(!rule.title().is_empty() && !rule.title_en().is_empty());
    }
}

#[test]
fn a_scan_checks_its_outbound_links_and_reports_list_the_domains_sites_share_in_hidden_content() {
    // Two registered sites carry the same hidden block: one link to a
    // lapsed domain now redirecting to a casino, one to a dead name.
    let casino_site = Logged::new(vec![("/", casino())]);
    let partner = Logged::new(vec![(
        "/",
        Reply::redirect(302, &casino_site.at("casino.example", "/")),
    )]);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let block = format!(
        "<div style=\"display:none\"><a href=\"{}\">友情链接</a><a href=\"http://lapsed.example:{dead_port}/\">合作伙伴</a></div>",
        partner.at("old-partner.example", "/")
    );
    let home = page(
        "区政府",
        &format!("<p>欢迎访问</p><a href=\"http://www.gov.cn/\">中国政府网</a>{block}"),
    );
    let a = Logged::new(vec![("/", home.clone())]);
    let b = Logged::new(vec![("/", home)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sites.toml");
    std::fs::write(
        &path,
        format!(
            "[defaults]\nallow_private = true\nprobes = []\ntimeout_s = 5\n\n\
             [resolve]\n\"old-partner.example\" = \"127.0.0.1\"\n\"casino.example\" = \"127.0.0.1\"\n\"lapsed.example\" = \"127.0.0.1\"\n\n\
             [[site]]\nid = \"a\"\nname = \"甲区\"\nurl = \"{}\"\noperator = \"甲办\"\n\n\
             [[site]]\nid = \"b\"\nname = \"乙区\"\nurl = \"{}\"\noperator = \"乙办\"\n",
            a.server.url("/"),
            b.server.url("/")
        ),
    )
    .unwrap();
    let reg = Register::load(&path).unwrap();
    let rules = Arc::new(RuleSet::compile(Packs::builtin()).unwrap());
    let r = scan::run(
        &reg,
        rules,
        ScanOptions {
            keep_records: true,
            db: Some(dir.path().join("s.db")),
            ..ScanOptions::default()
        },
    )
    .unwrap();
    for site in ["a", "b"] {
        let mine: Vec<&Finding> = r.findings.iter().filter(|f| f.site == site).collect();
        let hijacked: Vec<&&Finding> = mine
            .iter()
            .filter(|f| f.rule == "link.outbound-hijacked")
            .collect();
        assert_eq!(hijacked.len(), 1, "{site}: {mine:#?}");
        assert!(hijacked[0].hidden);
        assert!(hijacked[0]
            .referrer
            .as_deref()
            .unwrap()
            .starts_with("http://127.0.0.1:"));
        assert_eq!(
            mine.iter()
                .filter(|f| f.rule == "link.outbound-dead")
                .count(),
            1,
            "{site}: {mine:#?}"
        );
        let summary = r.sites.iter().find(|s| s.site == site).unwrap();
        let domains: Vec<(&str, usize)> = summary
            .outbound
            .domains
            .iter()
            .map(|d| (d.domain.as_str(), d.hidden))
            .collect();
        // Hidden links to other sites first; the government portal is a
        // link, never a hidden one.
        assert!(domains.contains(&("old-partner.example", 1)), "{domains:?}");
        assert!(domains.contains(&("lapsed.example", 1)), "{domains:?}");
        assert!(
            domains.contains(&("www.gov.cn", 0)) || domains.contains(&("gov.cn", 0)),
            "{domains:?}"
        );
        assert_eq!(summary.outbound.checked, 2, "{:?}", summary.outbound);
    }
    // The report index lists the domains both sites hide links to.
    let out = dir.path().join("reports");
    use sitesweep::report::{By, Format, Lang};
    let written = sitesweep::report::from_database(
        &dir.path().join("s.db"),
        &sitesweep::report::Options {
            scan: None,
            by: By::Operator,
            formats: vec![Format::Html],
            out: out.clone(),
            lang: Lang::Zh,
            ignore: None,
            operators: None,
            extra_ignore: Vec::new(),
        },
    );
    assert!(written.is_ok(), "{:?}", written.err());
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("多个网站隐藏链接指向的域名"), "{index}");
    assert!(index.contains("old-partner.example"), "{index}");
    assert!(
        index.contains("乙区、甲区") || index.contains("甲区、乙区"),
        "{index}"
    );
}

#[test]
fn checks_stop_at_their_time_budget_when_links_never_answer() {
    // A server that accepts and then says nothing: every check would wait
    // for the whole timeout.
    let silent = Server::start(Arc::new(|_: &Request| {
        Reply::Stall(std::time::Duration::from_secs(20))
    }))
    .unwrap();
    let names: Vec<String> = (0..6).map(|i| format!("stall{i}.example")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let s = settings(&refs);
    let links = names
        .iter()
        .map(|n| link(&format!("http://{n}:{}/", silent.addr.port()), false))
        .collect();
    let rules = Arc::new(RuleSet::compile(Packs::builtin()).unwrap());
    let started = std::time::Instant::now();
    let r = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(outbound::check_within(
            links,
            &s,
            &origin(),
            rules,
            ours(),
            std::time::Duration::from_secs(1),
        ));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.over_budget, 6, "{r:#?}");
    assert!(r.findings.is_empty());
    assert!(
        r.notes.iter().any(|n| n.contains("stopped after 1 s")),
        "{:?}",
        r.notes
    );
}
