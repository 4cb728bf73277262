//! `serve`'s web interface in-process, over a real socket on 127.0.0.1:
//! every route for admin, operator and anonymous; CSRF refusal; login rate
//! limiting; hostile page text escaped; the follow-up workflow end to end
//! against a local site (mark fixed → re-check → reopened while the spam
//! is there, closed once it is gone); the JSON API with a session or HTTP
//! Basic.

use crate::support::web::{site, site_entry, start_service, start_web};
use sitesweep::accounts::{self, Role};
use sitesweep::service::Job;
use sitesweep::store::Store;
use sitesweep::web::Web;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Vec<String> {
        self.head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

/// One HTTP/1.1 request, `Connection: close`.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    conn.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

fn login(addr: SocketAddr, user: &str, password: &str) -> (String, String) {
    let a = http(
        addr,
        "POST",
        "/login",
        &[],
        &form(&[("login", user), ("password", password)]),
    );
    assert_eq!(a.status, 303, "{user}: {}", a.body);
    let cookie = a.header("set-cookie").pop().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();
    let page = http(addr, "GET", "/", &[("Cookie", &cookie)], "");
    let csrf = page
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    (cookie, csrf)
}

fn basic(user: &str, password: &str) -> String {
    // Standard base64 of "user:password".
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = format!("{user}:{password}").into_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

fn api(addr: SocketAddr, path: &str, auth: (&str, &str)) -> serde_json::Value {
    let a = http(addr, "GET", path, &[auth], "");
    assert_eq!(a.status, 200, "{path}: {}", a.body);
    serde_json::from_str(&a.body).unwrap()
}

#[test]
fn access_rules_csrf_escaping_workflow_api_and_rate_limits() {
    let dir = tempfile::tempdir().unwrap();
    let (edu_spam, health_spam) = (
        Arc::new(AtomicBool::new(true)),
        Arc::new(AtomicBool::new(true)),
    );
    let (edu, health) = (site(edu_spam.clone()), site(health_spam.clone()));
    std::fs::write(
        dir.path().join("sites.toml"),
        format!(
            "{}{}",
            site_entry("edu", &edu.url("/")),
            site_entry("health", &health.url("/"))
        ),
    )
    .unwrap();
    let service = start_service(dir.path());
    service.queue_job(Job::ScanSite("edu".into()));
    service.queue_job(Job::ScanSite("health".into()));
    assert_eq!(service.run_jobs().len(), 2);
    let db = dir.path().join("sitesweep.db");
    {
        let store = Store::open(&db).unwrap();
        accounts::add_user(&store, "root", &Role::Admin, "admin-password").unwrap();
        accounts::add_user(
            &store,
            "edu",
            &Role::Operator("edu 办公室".into()),
            "edu-password",
        )
        .unwrap();
        accounts::add_user(
            &store,
            "hop",
            &Role::Operator("health 办公室".into()),
            "hop-password",
        )
        .unwrap();
    }
    let web = Arc::new(Web::new(db.clone(), Some(service.clone()), true).unwrap());
    let addr = start_web(web);

    // Anonymous: pages send to the login page, the API answers 401.
    for path in [
        "/",
        "/findings",
        "/findings/0123456789abcdef",
        "/sites/edu",
        "/reports",
        "/reports/download?operator=x&format=csv",
        "/ignore.toml",
    ] {
        let a = http(addr, "GET", path, &[], "");
        assert_eq!(a.status, 303, "{path}");
        assert_eq!(a.header("location"), ["/login"], "{path}");
    }
    for path in ["/api/findings", "/api/sites"] {
        assert_eq!(http(addr, "GET", path, &[], "").status, 401, "{path}");
    }
    let login_page = http(addr, "GET", "/login", &[], "");
    assert_eq!(login_page.status, 200);
    // Security headers on every answer.
    for a in [&login_page, &http(addr, "GET", "/", &[], "")] {
        assert_eq!(a.header("content-security-policy"), [sitesweep::web::CSP]);
        assert!(sitesweep::web::CSP.contains("frame-ancestors 'none'"));
        assert!(!sitesweep::web::CSP.contains("script-src"));
        assert_eq!(a.header("x-content-type-options"), ["nosniff"]);
        assert_eq!(a.header("referrer-policy"), ["no-referrer"]);
    }
    assert!(!login_page.body.contains("<script"));

    // The API: the admin sees both sites, each operator its own.
    let admin_basic = basic("root", "admin-password");
    let all = api(
        addr,
        "/api/findings?scan=latest",
        ("Authorization", &admin_basic),
    );
    let all = all.as_array().unwrap();
    let sites_of = |v: &[serde_json::Value]| {
        let mut s: Vec<String> = v
            .iter()
            .map(|f| f["site"].as_str().unwrap().to_string())
            .collect();
        s.sort();
        s.dedup();
        s
    };
    assert_eq!(sites_of(all), ["edu", "health"]);
    let edu_basic = basic("edu", "edu-password");
    let mine = api(
        addr,
        "/api/findings?scan=latest",
        ("Authorization", &edu_basic),
    );
    assert_eq!(sites_of(mine.as_array().unwrap()), ["edu"]);
    let high = api(
        addr,
        "/api/findings?site=edu&severity=high",
        ("Authorization", &admin_basic),
    );
    assert!(high
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["severity"] == "high" && f["site"] == "edu"));
    let sites = api(
        addr,
        "/api/sites",
        ("Authorization", &basic("hop", "hop-password")),
    );
    assert_eq!(sites.as_array().unwrap().len(), 1);
    assert_eq!(sites[0]["site"], "health");
    assert_eq!(
        http(
            addr,
            "GET",
            "/api/sites",
            &[("Authorization", &basic("edu", "wrong"))],
            ""
        )
        .status,
        401
    );
    // Fields as in the finding JSON, plus the workflow state.
    let pick = |site: &str| -> String {
        all.iter()
            .find(|f| {
                f["site"] == site
                    && f["hidden"] == true
                    && !f["field"].is_null()
                    && f["snippet"].as_str().unwrap().contains("<script>")
            })
            .unwrap_or_else(|| panic!("a hidden finding on {site}: {all:?}"))["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (edu_fp, health_fp) = (pick("edu"), pick("health"));
    assert!(all[0].get("snippet").is_some() && all[0]["workflow"] == "open");

    // Sessions.
    let (admin, admin_csrf) = login(addr, "root", "admin-password");
    let (op, op_csrf) = login(addr, "edu", "edu-password");
    let get = |path: &str, cookie: &str| http(addr, "GET", path, &[("Cookie", cookie)], "");
    for path in [
        "/",
        "/findings",
        "/reports",
        "/sites/edu",
        &format!("/findings/{edu_fp}"),
    ] {
        assert_eq!(get(path, &admin).status, 200, "admin {path}");
        assert_eq!(get(path, &op).status, 200, "operator {path}");
    }
    // An operator cannot reach another operator's finding, site, report.
    for path in [
        format!("/findings/{health_fp}"),
        "/sites/health".into(),
        format!(
            "/reports/download?{}",
            form(&[("operator", "health 办公室"), ("format", "csv")])
        ),
        "/ignore.toml".into(),
    ] {
        assert_eq!(get(&path, &op).status, 404, "operator {path}");
        assert_eq!(get(&path, &admin).status, 200, "admin {path}");
    }
    let listing = get("/findings", &op).body;
    assert!(listing.contains("edu") && !listing.contains("health 办公室"));
    let dashboard = get("/", &admin).body;
    assert!(dashboard.contains("edu 办公室") && dashboard.contains("health 办公室"));
    // The trend column: each site's findings over its last scans (one so far).
    let edu_total = Store::open(&db).unwrap().trend("edu", 8).unwrap();
    assert_eq!(edu_total.len(), 1);
    assert!(dashboard.contains("问题数趋势"), "{dashboard}");
    assert!(
        dashboard.contains(&format!("<td>{}</td>", edu_total[0].1)),
        "{dashboard}"
    );
    let filtered = get("/findings?site=health&severity=critical", &admin).body;
    assert!(!filtered.contains(&format!("/findings/{edu_fp}")));
    let csv = get(
        &format!(
            "/reports/download?{}",
            form(&[("operator", "edu 办公室"), ("format", "csv")])
        ),
        &op,
    );
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(csv.header("content-disposition")[0].starts_with("attachment"));
    let en = get("/?lang=en", &op).body;
    assert!(en.contains("Dashboard"));

    // Hostile page text is shown escaped, never as markup.
    let page = get(&format!("/findings/{edu_fp}"), &op).body;
    assert!(page.contains("&lt;script&gt;alert(1)"), "{page}");
    assert!(!page.contains("<script>alert(1)"));
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("onerror=alert(2)&gt;"));

    // CSRF: refused without the token, or with another session's.
    let post = |path: &str, cookie: &str, body: &str| {
        http(addr, "POST", path, &[("Cookie", cookie)], body)
    };
    let fixed = format!("/findings/{edu_fp}/fixed");
    assert_eq!(post(&fixed, &op, &form(&[("note", "removed")])).status, 403);
    assert_eq!(
        post(
            &fixed,
            &op,
            &form(&[("note", "removed"), ("csrf", &admin_csrf)])
        )
        .status,
        403
    );
    assert_eq!(post("/logout", &op, "").status, 403);
    assert_eq!(
        http(addr, "POST", &fixed, &[], &form(&[("note", "x")])).status,
        303,
        "anonymous: to the login page"
    );
    // An operator may not mark a false positive, nor touch another's finding.
    assert_eq!(
        post(
            &format!("/findings/{edu_fp}/false-positive"),
            &op,
            &form(&[("reason", "x"), ("csrf", &op_csrf)])
        )
        .status,
        403
    );
    assert_eq!(
        post(
            &format!("/findings/{health_fp}/fixed"),
            &op,
            &form(&[("note", "x"), ("csrf", &op_csrf)])
        )
        .status,
        404
    );

    // The workflow: mark fixed → a re-check is queued; the spam is still
    // there → reopened.
    let a = post(
        &fixed,
        &op,
        &form(&[("note", "removed the block"), ("csrf", &op_csrf)]),
    );
    assert_eq!(a.status, 303);
    assert_eq!(service.jobs_waiting(), [Job::Recheck(edu_fp.clone())]);
    let page = get(&format!("/findings/{edu_fp}"), &op).body;
    assert!(page.contains("state-fixed") && page.contains("removed the block"));
    service.run_jobs();
    assert!(get(&format!("/findings/{edu_fp}"), &op)
        .body
        .contains("id=\"state\" class=\"state-reopened\""));
    // Fixed for real this time → closed.
    edu_spam.store(false, Ordering::SeqCst);
    assert_eq!(
        post(
            &fixed,
            &op,
            &form(&[("note", "really removed"), ("csrf", &op_csrf)])
        )
        .status,
        303
    );
    service.run_jobs();
    let page = get(&format!("/findings/{edu_fp}"), &op).body;
    assert!(
        page.contains("id=\"state\" class=\"state-closed\""),
        "{page}"
    );
    // Who and when, on the finding.
    let log = sitesweep::workflow::log_of(&Store::open(&db).unwrap(), &edu_fp).unwrap();
    let who: Vec<&str> = log.iter().map(|e| e.who.as_str()).collect();
    assert_eq!(who, ["edu", "re-check", "edu", "re-check"]);
    assert!(page.contains("really removed") && page.contains("re-check"));
    let closed = api(
        addr,
        "/api/findings?status=closed",
        ("Authorization", &admin_basic),
    );
    assert_eq!(closed.as_array().unwrap().len(), 1);

    // An admin marks a false positive: it leaves the reports and is
    // exported in the ignore file's format.
    let fp_path = format!("/findings/{health_fp}/false-positive");
    assert_eq!(
        post(
            &fp_path,
            &admin,
            &form(&[("reason", "a test page"), ("csrf", &admin_csrf)])
        )
        .status,
        303
    );
    let exported = get("/ignore.toml", &admin).body;
    assert!(exported.contains(&health_fp) && exported.contains("a test page"));
    let report = get(
        &format!(
            "/reports/download?{}",
            form(&[("operator", "health 办公室"), ("format", "json")])
        ),
        &admin,
    );
    assert!(
        !report.body.contains(&health_fp),
        "a false positive stays out of reports"
    );

    // Re-scan a site now: queued.
    assert_eq!(
        post("/sites/edu/rescan", &op, &form(&[("csrf", &op_csrf)])).status,
        303
    );
    assert_eq!(service.jobs_waiting(), [Job::ScanSite("edu".into())]);
    assert_eq!(
        post("/sites/health/rescan", &op, &form(&[("csrf", &op_csrf)])).status,
        404
    );

    // Log out ends the session.
    assert_eq!(
        post("/logout", &op, &form(&[("csrf", &op_csrf)])).status,
        303
    );
    assert_eq!(get("/", &op).status, 303);

    // Login rate limiting: five failures lock the login (the right
    // password included) and the address (one failure from 127.0.0.1
    // was counted above, with a wrong HTTP Basic password).
    for i in 0..accounts::MAX_FAILURES {
        let a = http(
            addr,
            "POST",
            "/login",
            &[],
            &form(&[("login", "hop"), ("password", "nope")]),
        );
        let want = if i + 1 < accounts::MAX_FAILURES {
            401
        } else {
            429
        };
        assert_eq!(a.status, want, "try {i}");
    }
    let a = http(
        addr,
        "POST",
        "/login",
        &[],
        &form(&[("login", "hop"), ("password", "hop-password")]),
    );
    assert_eq!(a.status, 429);
    let a = http(
        addr,
        "GET",
        "/api/sites",
        &[("Authorization", &basic("hop", "hop-password"))],
        "",
    );
    assert_eq!(a.status, 429);
}

#[test]
fn without_accounts_loopback_is_an_implicit_admin_and_other_hosts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sitesweep.db");
    drop(Store::open(&db).unwrap());
    let addr = start_web(Arc::new(Web::new(db.clone(), None, true).unwrap()));
    let a = http(addr, "GET", "/", &[], "");
    assert_eq!(a.status, 200);
    assert!(a.body.contains("local (admin)"));
    // A rebinding DNS name pointing at 127.0.0.1 is not loopback.
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = String::new();
    conn.read_to_string(&mut raw).unwrap();
    assert!(raw.starts_with("HTTP/1.1 403"), "{raw}");
    // Not on loopback and no accounts: nobody.
    let addr = start_web(Arc::new(Web::new(db, None, false).unwrap()));
    assert_eq!(http(addr, "GET", "/", &[], "").status, 403);
    assert!(sitesweep::service::check_listen("0.0.0.0:8600", false).is_err());
}

/// `demo --serve` runs a service on the register it writes beside its
/// database: a re-check asked for in the web interface runs (the sample
/// spam is still there: reopened), and Ctrl-C stops it cleanly.
#[test]
fn demo_serve_rechecks_through_its_service() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Kill(
        Command::new(env!("CARGO_BIN_EXE_sitesweep"))
            .args(["demo", "--out", "out", "--serve"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let line = loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("demo --serve prints its address");
        if line.starts_with("web interface: ") {
            break line;
        }
    };
    // "web interface: http://ADDR/  login: demo  password: P"
    let words: Vec<&str> = line.split_whitespace().collect();
    let addr: SocketAddr = words[2]
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let password = words[6];
    let register = std::fs::read_to_string(dir.path().join("out/sites.toml")).unwrap();
    assert!(register.contains("id = \"gov\""), "{register}");

    let all = api(
        addr,
        "/api/findings?site=gov",
        ("Authorization", &basic("demo", password)),
    );
    let fp = all
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "gambling-hidden")
        .expect("the portal's dark links")["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let (cookie, csrf) = login(addr, "demo", password);
    let a = http(
        addr,
        "POST",
        &format!("/findings/{fp}/fixed"),
        &[("Cookie", &cookie)],
        &form(&[("note", "removed"), ("csrf", &csrf)]),
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let page = http(
            addr,
            "GET",
            &format!("/findings/{fp}"),
            &[("Cookie", &cookie)],
            "",
        )
        .body;
        if page.contains("id=\"state\" class=\"state-reopened\"") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no re-check ran: {page}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Ctrl-C: a clean stop. (SAFETY: a signal to our own child.)
    unsafe {
        libc::kill(child.0.id() as i32, libc::SIGINT);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "still running");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}
