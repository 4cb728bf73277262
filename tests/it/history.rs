//! Scan history: migrations, stable fingerprints and status across scans,
//! diff (new, persisting, resolved, unverified), the scan lock, the ignore
//! file, resume.

use crate::support::{register_one_site as register, sitesweep, text};

use crate::support::server::{Reply, Request, Server};
use sitesweep::store::Store;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SPAM: &str = "<div style='display:none'><a href='http://x.example/'>六合彩</a></div>";

/// A site whose pages change between phase 0 and phase 1:
/// /a keeps its spam, /b is cleaned, /c is no longer linked (not reached),
/// /d appears with spam.
fn changing_site(phase: Arc<AtomicUsize>) -> Server {
    Server::start(Arc::new(move |req: &Request| {
        let p = phase.load(Ordering::SeqCst);
        let page = |body: &str| Reply::html(format!("<html><body>{body}</body></html>"));
        match (req.target.as_str(), p) {
            ("/", 0) => page("<a href='/a'>a</a><a href='/b'>b</a><a href='/c'>c</a>"),
            ("/", _) => page("<a href='/a'>a</a><a href='/b'>b</a><a href='/d'>d</a>"),
            ("/a", _) => page(SPAM),
            ("/b", 0) => page(SPAM),
            ("/b", _) => page("<p>已整改</p>"),
            ("/c", _) => page(SPAM),
            ("/d", _) => page("<div hidden><a href='http://y.example/'>时时彩</a></div>"),
            _ => Reply::status(404),
        }
    }))
    .unwrap()
}

#[test]
fn migrations_create_the_schema_from_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version(), 5);
    assert!(store.scans().unwrap().is_empty());
    drop(store);
    // Opening again migrates nothing and keeps working.
    assert_eq!(Store::open(&path).unwrap().schema_version(), 5);
}

#[test]
fn status_and_diff_across_two_scans_of_a_changing_site() {
    let phase = Arc::new(AtomicUsize::new(0));
    let server = changing_site(phase.clone());
    let dir = tempfile::tempdir().unwrap();
    register(dir.path(), &server.url("/"), "区政府办公室");

    let first = sitesweep(&["scan", "-q", "--jsonl", "1.jsonl"], dir.path());
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    phase.store(1, Ordering::SeqCst);
    let second = sitesweep(&["scan", "-q", "--jsonl", "2.jsonl"], dir.path());
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));

    // The JSONL stream carries the status the database has.
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(dir.path().join("2.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let status_of = |suffix: &str| {
        lines
            .iter()
            .find(|f| {
                f["url"].as_str().unwrap().ends_with(suffix) && f["rule"] == "gambling-hidden"
            })
            .map(|f| {
                (
                    f["status"].as_str().unwrap().to_string(),
                    f["first_seen"].as_str().unwrap().to_string(),
                )
            })
    };
    let first_lines = std::fs::read_to_string(dir.path().join("1.jsonl")).unwrap();
    let a_first_seen = first_lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|f| f["url"].as_str().unwrap().ends_with("/a"))
        .unwrap()["first_seen"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        status_of("/a"),
        Some(("persisting".into(), a_first_seen)),
        "first_seen carries over"
    );
    assert_eq!(status_of("/d").unwrap().0, "new");

    let out = sitesweep(&["diff", "--json"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let changes: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let change_of = |suffix: &str| {
        changes
            .iter()
            .find(|c| {
                c["url"].as_str().unwrap().ends_with(suffix) && c["rule"] == "gambling-hidden"
            })
            .map(|c| c["change"].as_str().unwrap().to_string())
    };
    assert_eq!(change_of("/a").as_deref(), Some("persisting"));
    assert_eq!(change_of("/b").as_deref(), Some("resolved"), "{changes:#?}");
    assert_eq!(
        change_of("/c").as_deref(),
        Some("unverified"),
        "not reached, so not called fixed"
    );
    assert_eq!(change_of("/d").as_deref(), Some("new"));

    let table = sitesweep(&["diff"], dir.path());
    let t = text(&table.stdout);
    assert!(
        t.contains("new,") && t.contains("resolved") && t.contains("unverified"),
        "{t}"
    );
}

#[test]
fn a_changed_rule_makes_vanished_findings_unverified() {
    let phase = Arc::new(AtomicUsize::new(0));
    let server = changing_site(phase.clone());
    let dir = tempfile::tempdir().unwrap();
    register(dir.path(), &server.url("/"), "办公室");
    assert_eq!(
        sitesweep(&["scan", "-q"], dir.path()).status.code(),
        Some(0)
    );
    // The operator edits the rule between scans.
    assert_eq!(
        sitesweep(&["rules", "init", "rules"], dir.path())
            .status
            .code(),
        Some(0)
    );
    let pack = dir.path().join("rules/gambling.toml");
    let edited = std::fs::read_to_string(&pack)
        .unwrap()
        .replace("\"赌球\",", "\"赌球\", \"赌马\",");
    std::fs::write(&pack, edited).unwrap();
    phase.store(1, Ordering::SeqCst);
    assert_eq!(
        sitesweep(&["scan", "-q"], dir.path()).status.code(),
        Some(0)
    );
    let out = text(&sitesweep(&["diff", "--json"], dir.path()).stdout);
    let b: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("\"rule\":\"gambling-hidden\"") && l.contains("/b\""))
        .collect();
    assert_eq!(b.len(), 1, "{out}");
    assert!(
        b[0].contains("\"change\":\"unverified\""),
        "cleaned page, but the rule changed: {}",
        b[0]
    );
}

#[test]
fn a_second_scan_on_the_same_database_is_refused() {
    let server = changing_site(Arc::new(AtomicUsize::new(0)));
    let dir = tempfile::tempdir().unwrap();
    register(dir.path(), &server.url("/"), "办公室");
    let db = dir.path().join("sitesweep.db");
    let mut holder = Store::open(&db).unwrap();
    holder.lock().unwrap();
    let out = sitesweep(&["scan", "-q"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("another scan"),
        "{}",
        text(&out.stderr)
    );
    drop(holder);
    assert_eq!(
        sitesweep(&["scan", "-q"], dir.path()).status.code(),
        Some(0),
        "the lock is released"
    );
}

#[test]
fn ignored_findings_leave_reports_and_exit_codes_and_expired_entries_say_so() {
    let server = changing_site(Arc::new(AtomicUsize::new(0)));
    let dir = tempfile::tempdir().unwrap();
    register(dir.path(), &server.url("/"), "办公室");
    assert_eq!(
        sitesweep(&["scan", "-q", "--jsonl", "f.jsonl"], dir.path())
            .status
            .code(),
        Some(0)
    );
    std::fs::write(
        dir.path().join("sitesweep.ignore.toml"),
        "[[ignore]]\nrule = \"gambling-hidden\"\nurl = \"/\"\nreason = \"已报公安机关处理\"\nexpires = \"2999-12-31\"\n\n\
         [[ignore]]\nrule = \"gambling-promo\"\nreason = \"旧条目\"\nexpires = \"2000-01-01\"\n",
    )
    .unwrap();
    let out = sitesweep(&["scan", "-q", "--fail-on", "critical"], dir.path());
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "every critical finding is ignored: {stdout}"
    );
    assert!(stdout.contains("ignored by"), "{stdout}");
    assert!(
        stdout.contains("expired ignore entry") && stdout.contains("旧条目"),
        "{stdout}"
    );
    let rep = sitesweep(&["report", "--out", "rep", "--format", "json"], dir.path());
    assert_eq!(rep.status.code(), Some(0), "{}", text(&rep.stderr));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("rep/办公室/findings.json")).unwrap(),
    )
    .unwrap();
    assert!(json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule"] != "gambling-hidden"));
    assert!(json["sites"][0]["ignored"].as_u64().unwrap() >= 2);

    std::fs::write(dir.path().join("bad.toml"), "[[ignore]]\nrule = \"x\"\n").unwrap();
    let bad = sitesweep(&["scan", "-q", "--ignore", "bad.toml"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("bad.toml:1: an ignore entry needs a `reason`"),
        "{}",
        text(&bad.stderr)
    );
}

/// Start `scan -q --jsonl f.jsonl` in `dir` and SIGKILL it (no chance to
/// clean up) once the stream holds `lines` findings.
fn scan_killed_after(dir: &std::path::Path, lines: usize) {
    let jsonl = dir.join("f.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sitesweep"))
        .args(["scan", "-q", "--jsonl", "f.jsonl"])
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_to_string(&jsonl).map_or(0, |s| s.lines().count()) < lines {
        assert!(
            std::time::Instant::now() < deadline,
            "the scan reported too little"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_scan_killed_mid_way_resumes_without_losing_or_repeating_anything() {
    use std::sync::Mutex;
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = log.clone();
    // 30 pages in a chain, each slow to arrive, each with its own finding.
    let server = Server::start(Arc::new(move |req: &Request| {
        seen.lock().unwrap().push(req.target.clone());
        let n: usize = match req.target.strip_prefix("/p") {
            Some(n) => n.parse().unwrap_or(99),
            None if req.target == "/" => 0,
            None => 99,
        };
        if n >= 30 {
            return Reply::status(404);
        }
        let body = format!(
            "<html><body><a href='/p{}'>下一页</a><div hidden><a href='http://x.example/'>六合彩</a></div>{}</body></html>",
            n + 1,
            "<p>正文内容</p>".repeat(50)
        );
        Reply::Trickle {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
            chunk: 400,
            pause: std::time::Duration::from_millis(40),
        }
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    register(dir.path(), &server.url("/"), "办公室");
    let jsonl = dir.path().join("f.jsonl");
    scan_killed_after(dir.path(), 8);
    let before: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .filter(|l| l.ends_with('}'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(before.len() < 30, "killed before the end");
    let fetched_before: Vec<String> = log.lock().unwrap().clone();

    let out = sitesweep(
        &["scan", "-q", "--resume", "--jsonl", "f.jsonl"],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let all: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .filter(|l| l.ends_with('}'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let scan = before[0]["scan"].as_str().unwrap();
    assert!(all.iter().all(|f| f["scan"] == scan), "one scan, resumed");
    let mut fps: Vec<&str> = all
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    let n = fps.len();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), n, "no finding reported twice");
    let hidden = all
        .iter()
        .filter(|f| f["rule"] == "gambling-hidden")
        .count();
    assert_eq!(hidden, 30, "every page's finding, once");
    // Pages whose findings were out before the kill were not fetched again.
    let fetched_after: Vec<String> = log.lock().unwrap()[fetched_before.len()..].to_vec();
    for f in &before {
        let path = url::Url::parse(f["url"].as_str().unwrap())
            .unwrap()
            .path()
            .to_string();
        assert!(
            !fetched_after.contains(&path),
            "{path} fetched again: {fetched_after:?}"
        );
    }
    let store = Store::open(&dir.path().join("sitesweep.db")).unwrap();
    assert_eq!(
        store.findings(scan).unwrap().len(),
        all.len(),
        "the database and the stream agree"
    );
    assert_eq!(store.scans().unwrap().last().unwrap().state, "finished");
}

#[test]
fn a_resumed_scan_counts_the_titles_changed_before_the_kill() {
    // 30 pages in a chain. The first scan reads them as they were; then a
    // brand is put before every title, and the second scan is killed part
    // way (each page slow to arrive, each with a hidden finding to count
    // pages by) and resumed.
    let phase = Arc::new(AtomicUsize::new(0));
    let now = phase.clone();
    let server = Server::start(Arc::new(move |req: &Request| {
        let n: usize = match req.target.strip_prefix("/p") {
            Some(n) => n.parse().unwrap_or(99),
            None if req.target == "/" => 0,
            None => 99,
        };
        if n >= 30 {
            return Reply::status(404);
        }
        let hijacked = now.load(Ordering::SeqCst) == 1;
        let body = format!(
            "<html><head><title>{}第{n}期校报-某某学院</title></head><body><a href='/p{}'>下一页</a><div hidden><a href='http://x.example/'>六合彩</a></div>{}</body></html>",
            if hijacked { "鸿运来-" } else { "" },
            n + 1,
            "<p>正文内容</p>".repeat(50)
        );
        if !hijacked {
            return Reply::html(body);
        }
        Reply::Trickle {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
            chunk: 400,
            pause: std::time::Duration::from_millis(40),
        }
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    register(dir.path(), &server.url("/"), "办公室");
    let first = sitesweep(&["scan", "-q"], dir.path());
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));

    phase.store(1, Ordering::SeqCst);
    let jsonl = dir.path().join("f.jsonl");
    scan_killed_after(dir.path(), 8);
    let read_before_kill = std::fs::read_to_string(&jsonl).unwrap().lines().count();
    assert!(read_before_kill < 30, "killed before the end");

    let out = sitesweep(
        &["scan", "-q", "--resume", "--jsonl", "f.jsonl"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let changed: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .filter(|l| l.ends_with('}'))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|f| f["rule"] == "title.changed")
        .collect();
    // One finding for the site, counting every page: those read before
    // the kill as well as after.
    assert_eq!(changed.len(), 1, "{changed:#?}");
    let snippet = changed[0]["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("30 个页面的标题被同样改动：加入“鸿运来-”"),
        "{snippet}"
    );
}

#[test]
fn a_resumed_scan_finds_a_swapped_brand_named_by_pages_stored_before_the_kill() {
    // A chain of 30 slow pages: the first three titles have a hijack's
    // shape (a rule reports them), the last has the brand alone where the
    // college's name was. The scan is killed after the first pages and
    // resumed: the brand the stored pages named still finds the last one.
    let server = Server::start(Arc::new(move |req: &Request| {
        let n: usize = match req.target.strip_prefix("/p") {
            Some(n) => n.parse().unwrap_or(99),
            None if req.target == "/" => 0,
            None => 99,
        };
        if n >= 30 {
            return Reply::status(404);
        }
        let title = match n {
            0..=2 => format!("米兰体育官网登录入口-第{n}期"),
            29 => "米兰体育-校运会圆满落幕".to_string(),
            _ => format!("第{n}期校报-某某学院"),
        };
        let body = format!(
            "<html><head><title>{title}</title></head><body><a href='/p{}'>下一页</a><div hidden><a href='http://x.example/'>六合彩</a></div>{}</body></html>",
            n + 1,
            "<p>正文内容</p>".repeat(50)
        );
        Reply::Trickle {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
            chunk: 400,
            pause: std::time::Duration::from_millis(40),
        }
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    register(dir.path(), &server.url("/"), "办公室");
    let jsonl = dir.path().join("f.jsonl");
    scan_killed_after(dir.path(), 10);
    let before = std::fs::read_to_string(&jsonl).unwrap();
    assert!(!before.contains("/p29"), "killed before the last page");

    let out = sitesweep(
        &["scan", "-q", "--resume", "--jsonl", "f.jsonl"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let brands: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .filter(|l| l.ends_with('}'))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|f| f["rule"] == "title.site-brand")
        .collect();
    assert_eq!(brands.len(), 1, "{brands:#?}");
    assert!(brands[0]["url"].as_str().unwrap().ends_with("/p29"));
    assert_eq!(brands[0]["term"], "米兰体育");
}

#[test]
fn an_accepted_redesign_becomes_the_baseline_and_a_later_hijack_stands_out() {
    // 55 pages. Scan 1: as they were. Scan 2: a new content system gives
    // every page its own headline — one `title.changed` for the site,
    // which the office answers for in the ignore file. Scan 3: the same,
    // and one page hijacked: that page alone is reported, not swallowed
    // into the accepted redesign.
    let phase = Arc::new(AtomicUsize::new(0));
    let now = phase.clone();
    let server = Server::start(Arc::new(move |req: &Request| {
        let n: usize = match req.target.strip_prefix("/p") {
            Some(n) => n.parse().unwrap_or(99),
            None if req.target == "/" => 0,
            None => 99,
        };
        if n >= 55 {
            return Reply::status(404);
        }
        let phase = now.load(Ordering::SeqCst);
        let title = match (phase, n) {
            (0, _) => "区政府".to_string(),
            (2, 7) => "鸿福足球学科建设论坛".to_string(),
            _ => format!(
                "区政府-{}",
                "春夏秋冬东南西北"
                    .chars()
                    .cycle()
                    .skip(n)
                    .take(1 + n % 7)
                    .collect::<String>()
                    + &"新闻".repeat(1 + n / 7)
            ),
        };
        let links: String = (1..55)
            .map(|i| format!("<a href='/p{i}'>{i}</a>"))
            .collect();
        Reply::html(format!(
            "<html><head><title>{title}</title></head><body>{}</body></html>",
            if n == 0 {
                links
            } else {
                "<p>正文</p>".to_string()
            }
        ))
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    register(dir.path(), &server.url("/"), "办公室");
    let changed = |name: &str| -> Vec<serde_json::Value> {
        std::fs::read_to_string(dir.path().join(name))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|f| f["rule"] == "title.changed")
            .collect()
    };
    assert_eq!(
        sitesweep(&["scan", "-q", "--jsonl", "1.jsonl"], dir.path())
            .status
            .code(),
        Some(0)
    );
    assert!(changed("1.jsonl").is_empty());

    phase.store(1, Ordering::SeqCst);
    assert_eq!(
        sitesweep(&["scan", "-q", "--jsonl", "2.jsonl"], dir.path())
            .status
            .code(),
        Some(0)
    );
    let redesign = changed("2.jsonl");
    assert_eq!(redesign.len(), 1, "{redesign:#?}");
    assert_eq!(redesign[0]["term"], "many");
    std::fs::write(
        dir.path().join("sitesweep.ignore.toml"),
        format!(
            "[[ignore]]\nfingerprint = {}\nreason = \"网站改版\"\n",
            redesign[0]["fingerprint"]
        ),
    )
    .unwrap();

    phase.store(2, Ordering::SeqCst);
    let out = sitesweep(&["scan", "-q", "--jsonl", "3.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let third = changed("3.jsonl");
    assert_eq!(third.len(), 1, "{third:#?}");
    assert!(
        third[0]["url"].as_str().unwrap().ends_with("/p7"),
        "{third:#?}"
    );
    assert!(
        third[0]["snippet"]
            .as_str()
            .unwrap()
            .contains("现为“鸿福足球学科建设论坛”"),
        "{third:#?}"
    );
}
