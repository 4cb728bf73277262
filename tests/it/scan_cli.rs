//! `scan`, `sites check`, `rules explain --url/--file` and `demo` as a user
//! runs them: exit codes, selection, register errors, output files.

use crate::support::{sitesweep, text};

use crate::support::server::{Reply, Request, Server};
use std::process::Command;
use std::sync::{Arc, Mutex};

struct Logged {
    server: Server,
    log: Arc<Mutex<Vec<String>>>,
}

fn spam_site() -> Logged {
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let server = Server::start(Arc::new(move |req: &Request| {
        seen.lock().unwrap().push(req.target.clone());
        match req.target.as_str() {
            "/" => Reply::html(
                "<html><head><title>区政府</title></head><body><p>政务公开</p>\
                 <div style='display:none'><a href='http://x.example/'>澳门葡京</a><a href='http://x.example/'>真人荷官</a></div></body></html>",
            ),
            _ => Reply::status(404),
        }
    }))
    .unwrap();
    Logged { server, log }
}

fn entry(id: &str, url: &str) -> String {
    format!("[[site]]\nid = \"{id}\"\nname = \"站点\"\nurl = \"{url}\"\noperator = \"办公室\"\nallow_private = true\nprobes = []\ncheck_outbound = false\n\n")
}

#[test]
fn scan_selects_sites_streams_jsonl_and_fails_on_severity() {
    let a = spam_site();
    let b = spam_site();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sites.toml"),
        entry("a", &a.server.url("/")) + &entry("b", &b.server.url("/")),
    )
    .unwrap();

    let out = sitesweep(
        &["scan", "--site", "a", "--jsonl", "a.jsonl", "-q"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(b.log.lock().unwrap().is_empty(), "site b was not selected");
    let jsonl = std::fs::read_to_string(dir.path().join("a.jsonl")).unwrap();
    assert!(jsonl.lines().count() >= 3, "{jsonl}");
    assert!(jsonl.lines().all(|l| l.contains("\"site\":\"a\"")));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("complete"), "{stdout}");
    assert!(
        text(&out.stderr).contains("loaded 6 rule packs"),
        "prints which packs it loaded"
    );

    let fail = sitesweep(&["scan", "--fail-on", "critical", "-q"], dir.path());
    assert_eq!(
        fail.status.code(),
        Some(1),
        "hidden gambling links are critical"
    );
    let b_only = sitesweep(
        &["scan", "--site", "b", "--fail-on", "info", "-q"],
        dir.path(),
    );
    assert_eq!(b_only.status.code(), Some(1));
}

#[test]
fn fail_on_below_nothing_exits_0() {
    let clean = Server::routes(vec![("/", Reply::html("<p>政务公开</p>"))]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sites.toml"), entry("c", &clean.url("/"))).unwrap();
    let out = sitesweep(&["scan", "--fail-on", "info", "-q"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn a_bad_register_is_refused_before_any_request() {
    let a = spam_site();
    let dir = tempfile::tempdir().unwrap();
    let toml = entry("a", &a.server.url("/"))
        + "[[site]]\nid = \"b\"\nname = \"x\"\nurl = \"notaurl:\"\noperator = \"y\"\n";
    std::fs::write(dir.path().join("sites.toml"), toml).unwrap();
    let out = sitesweep(&["scan"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("sites.toml:13: bad URL `notaurl:`"), "{err}");
    assert!(!err.contains("panicked"));
    assert!(a.log.lock().unwrap().is_empty(), "nothing may be fetched");

    let unknown = sitesweep(&["scan", "--site", "zzz"], dir.path());
    assert_eq!(unknown.status.code(), Some(2));
    let missing = sitesweep(&["scan", "nope.toml"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("nope.toml: cannot read the site register"));
}

#[test]
fn a_gbk_csv_register_is_read_and_private_targets_are_refused() {
    let a = spam_site();
    let dir = tempfile::tempdir().unwrap();
    let csv = format!(
        "id,name,url,operator,contact,tags\r\nschool,城南区第一中学,{},城南区教育局,王老师,edu\r\n",
        a.server.url("/")
    );
    std::fs::write(
        dir.path().join("sites.csv"),
        encoding_rs::GBK.encode(&csv).0,
    )
    .unwrap();
    let out = sitesweep(
        &["scan", "sites.csv", "--jsonl", "f.jsonl", "-q"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let jsonl = std::fs::read_to_string(dir.path().join("f.jsonl")).unwrap();
    assert!(jsonl.contains("\"rule\":\"site.unreachable\""), "{jsonl}");
    assert!(
        jsonl.contains("城南区教育局"),
        "operator read from GBK: {jsonl}"
    );
    assert!(jsonl.contains("blocked target"), "{jsonl}");
    assert!(a.log.lock().unwrap().is_empty());
}

#[test]
fn sites_check_says_which_encoding_the_register_was_read_in() {
    let dir = tempfile::tempdir().unwrap();
    // A private address: refused by the guard, so nothing leaves the machine.
    let csv = "id,name,url,operator,contact,tags\r\nschool,城南区第一中学,http://127.0.0.1:9/,城南区教育局,王老师,edu\r\n";
    let gbk = encoding_rs::GBK.encode(csv).0.into_owned();
    std::fs::write(dir.path().join("sites.csv"), &gbk).unwrap();
    let out = sitesweep(&["sites", "check", "sites.csv"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("sites.csv: 1 sites (GBK)"), "{err}");

    let mut bad = gbk.clone();
    bad.extend_from_slice(b"x,\xFF,http://127.0.0.1:9/,a,,\r\n");
    std::fs::write(dir.path().join("sites.csv"), &bad).unwrap();
    let out = sitesweep(&["sites", "check", "sites.csv"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("sites.csv:3: byte 0xFF is neither UTF-8 nor GBK"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn sites_check_probes_each_start_url() {
    let a = spam_site();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sites.toml"),
        entry("a", &a.server.url("/")),
    )
    .unwrap();
    let out = sitesweep(&["sites", "check"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let table = text(&out.stdout);
    let row = table
        .lines()
        .find(|l| l.starts_with("a "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        row.contains("200") && row.contains("UTF-8") && row.contains("none"),
        "{row}"
    );
    assert!(row.contains(" ms"), "{row}");
}

#[test]
fn explain_fetches_a_url_and_reads_html_files() {
    let a = spam_site();
    let dir = tempfile::tempdir().unwrap();
    let out = sitesweep(
        &["rules", "explain", "--url", &a.server.url("/")],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(
        t.contains("HIT  gambling-hidden") && t.contains("(anchor, hidden)"),
        "{t}"
    );

    std::fs::write(
        dir.path().join("page.html"),
        "<html><body><marquee height=1><a href='/x'>六合彩</a></marquee><p>正文</p></body></html>",
    )
    .unwrap();
    let out = sitesweep(&["rules", "explain", "--file", "page.html"], dir.path());
    let t = text(&out.stdout);
    assert!(
        t.contains("HIT  gambling-hidden [gambling, critical] term `六合彩`"),
        "{t}"
    );
}

#[test]
fn demo_runs_without_setup() {
    let dir = tempfile::tempdir().unwrap();
    let out = sitesweep(&["demo", "--out", "out"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let jsonl = std::fs::read_to_string(dir.path().join("out/findings.jsonl")).unwrap();
    let findings: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let has = |site: &str, rule: &str| {
        findings
            .iter()
            .any(|f| f["site"] == site && f["rule"] == rule)
    };
    assert!(has("gov", "gambling-hidden"));
    assert!(has("gov", "link.broken"));
    assert!(
        has("school", "porn-hidden"),
        "GBK school site with a 1px marquee"
    );
    assert!(has("shebao", "pii-cn-id"));
    assert!(has("archive", "site.unreachable"));
    assert!(
        !findings.iter().any(|f| f["site"] == "hospital"),
        "the hospital site is clean"
    );
    assert!(
        !findings
            .iter()
            .any(|f| f["url"].as_str().unwrap().ends_with("/news/1.html") && f["hidden"] == false),
        "the anti-gambling article's own text is not flagged (only the hacked footer is)"
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("out/findings.jsonl") || stdout.contains("out\\findings.jsonl"),
        "{stdout}"
    );
}

#[test]
fn an_interrupted_scan_exits_3_and_keeps_what_it_streamed() {
    // One quick page with a finding, then a page that stalls.
    let server = Server::start(Arc::new(|req: &Request| match req.target.as_str() {
        "/" => Reply::html("<div hidden><a href='/slow'>六合彩</a></div>"),
        "/slow" => Reply::Stall(std::time::Duration::from_secs(30)),
        _ => Reply::status(404),
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sites.toml"), entry("a", &server.url("/"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sitesweep"))
        .args(["scan", "--jsonl", "f.jsonl", "-q"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let jsonl = dir.path().join("f.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_to_string(&jsonl).map_or(true, |s| !s.contains("gambling-hidden")) {
        assert!(std::time::Instant::now() < deadline, "no finding streamed");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SIGINT, as Ctrl-C sends.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3));
    let kept = std::fs::read_to_string(&jsonl).unwrap();
    assert!(kept.contains("gambling-hidden"), "{kept}");
}

#[test]
fn an_ignore_entry_for_an_unknown_rule_is_refused_before_any_request() {
    let a = spam_site();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sites.toml"),
        entry("a", &a.server.url("/")),
    )
    .unwrap();
    let ignore = "[[ignore]]\nreason = \"已处理\"\nrule = \"gambling-promo\"\n\n\
                  [[ignore]]\nreason = \"已处理\"\nrule = \"gambling-promos\"\n";
    std::fs::write(dir.path().join("sitesweep.ignore.toml"), ignore).unwrap();
    let out = sitesweep(&["scan", "-q"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("sitesweep.ignore.toml:7: unknown rule `gambling-promos`"),
        "{err}"
    );
    assert!(a.log.lock().unwrap().is_empty(), "nothing may be fetched");
}

#[test]
fn explain_reads_a_script_as_the_scan_does_and_agrees_with_the_scan() {
    // A spam writer appended to the site's own jquery file, and a page
    // that loads it.
    let js = "/*! jQuery v1.8.3 */(function(){var a=1;})();\n\
              document.write('<div style=\"display:none\"><a href=\"http://x.example/\">澳门葡京</a><a href=\"http://x.example/\">真人荷官</a></div>');";
    let page = "<html><head><title>区政府</title><script src='/js/jquery.min.js'></script></head>\
                <body><p>政务公开</p><div style='display:none'><a href='http://x.example/'>六合彩</a></div></body></html>";
    let server = Server::start(Arc::new(move |req: &Request| match req.target.as_str() {
        "/" => Reply::html(page),
        "/js/jquery.min.js" => Reply::with_type(200, "application/javascript", js),
        _ => Reply::status(404),
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("jquery.min.js"), js).unwrap();
    let hits = |out: &std::process::Output| -> Vec<String> {
        let mut v: Vec<String> = text(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("HIT"))
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                // HIT <rule> ... term `<term>` ... (<field>, hidden)
                let term = l.split('`').nth(1).unwrap_or("");
                format!("{} {term}", w[1])
            })
            .collect();
        v.sort();
        v
    };
    let by_file = sitesweep(&["rules", "explain", "--file", "jquery.min.js"], dir.path());
    let by_url = sitesweep(
        &[
            "rules",
            "explain",
            "--url",
            &server.url("/js/jquery.min.js"),
        ],
        dir.path(),
    );
    for out in [&by_file, &by_url] {
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            stdout.contains("(script, hidden)"),
            "read as a script: {stdout}"
        );
        assert!(stdout.contains("澳门葡京"), "{stdout}");
    }
    assert_eq!(hits(&by_file), hits(&by_url));
    assert!(text(&by_url.stderr).contains("read as a script"));

    // The scan of the site finds on each URL what explain finds there.
    std::fs::write(
        dir.path().join("sites.toml"),
        entry("gov", &server.url("/")),
    )
    .unwrap();
    let out = sitesweep(&["scan", "-q", "--jsonl", "f.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let findings: Vec<serde_json::Value> = std::fs::read_to_string(dir.path().join("f.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for path in ["/", "/js/jquery.min.js"] {
        let url = server.url(path);
        let mut scanned: Vec<String> = findings
            .iter()
            .filter(|f| f["url"] == url.as_str() && !f["rule"].as_str().unwrap().contains('.'))
            .map(|f| {
                format!(
                    "{} {}",
                    f["rule"].as_str().unwrap(),
                    f["term"].as_str().unwrap()
                )
            })
            .collect();
        scanned.sort();
        scanned.dedup();
        let mut explained = hits(&sitesweep(&["rules", "explain", "--url", &url], dir.path()));
        explained.dedup();
        assert!(!scanned.is_empty(), "{path}");
        assert_eq!(scanned, explained, "{path}");
    }
}
