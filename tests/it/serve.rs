//! The office service: schedules run as scans on an injected clock,
//! notifications to a webhook receiver and a fake mail server on
//! 127.0.0.1 (every format, retries, giving up, per-operator mail), home
//! page probes judged into site.availability, `scan` notifying without
//! changing its exit code, and `serve` stopped by SIGTERM leaving its scan
//! resumable.

use crate::support::server::{Reply, Request, Server};
use crate::support::{sitesweep, text};
use chrono::{FixedOffset, TimeZone};
use sitesweep::notify::{News, Notifier};
use sitesweep::register::Register;
use sitesweep::schedule::{Clock, ManualClock, Stop, Zone};
use sitesweep::service::{Service, ServiceOptions};
use sitesweep::store::Store;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

const SPAM: &str = "<div style='display:none'><a href='http://x.example/'>六合彩</a><a href='http://y.example/'>百家乐</a><a href='http://z.example/'>时时彩</a></div>";

/// A site whose home page carries spam (and a leaked phone number).
fn spam_site() -> Server {
    Server::start(Arc::new(|req: &Request| match req.path() {
        "/" => Reply::html(format!(
            "<html><body><p>联系电话 13800138000</p>{SPAM}</body></html>"
        )),
        _ => Reply::status(404),
    }))
    .unwrap()
}

/// A webhook receiver on 127.0.0.1: records each POST body and answers
/// the scripted statuses in turn (then 200 `{"errcode":0}`). Stops when
/// dropped.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    fn start(script: Vec<u16>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!(
            "http://{}/hook?key=secret-robot-key",
            listener.local_addr().unwrap()
        );
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (b, s) = (bodies.clone(), stop.clone());
        std::thread::spawn(move || {
            let script = Mutex::new(script.into_iter());
            let deadline = Instant::now() + Duration::from_secs(120);
            while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                let Ok((conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                conn.set_nonblocking(false).unwrap();
                conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let body = read_http_body(&conn);
                b.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap_or_default());
                let status = script.lock().unwrap().next().unwrap_or(200);
                let answer = if status == 200 {
                    r#"{"errcode":0}"#
                } else {
                    "busy"
                };
                let _ = write!(
                    &conn,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        Receiver { url, bodies, stop }
    }

    fn bodies(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn read_http_body(conn: &TcpStream) -> Vec<u8> {
    let mut reader = BufReader::new(conn);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    body
}

/// Mails received: (recipients, data).
type Mails = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A mail server on 127.0.0.1 that speaks just enough SMTP (no STARTTLS)
/// and keeps each message: (recipients, data).
struct FakeSmtp {
    port: u16,
    mails: Mails,
    stop: Arc<AtomicBool>,
}

impl FakeSmtp {
    fn start() -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails: Mails = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s) = (mails.clone(), stop.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                let Ok((conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                conn.set_nonblocking(false).unwrap();
                conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                smtp_session(conn, &m);
            }
        });
        FakeSmtp { port, mails, stop }
    }
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn smtp_session(conn: TcpStream, mails: &Mails) {
    let mut out = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    let _ = out.write_all(b"220 fake.test ESMTP\r\n");
    let mut rcpt = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-fake.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("RCPT TO:") {
            rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_string());
            b"250 ok\r\n"
        } else if upper.starts_with("DATA") {
            let _ = out.write_all(b"354 go on\r\n");
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l).unwrap_or(0) == 0 || l == ".\r\n" {
                    break;
                }
                data.push_str(&l);
            }
            mails
                .lock()
                .unwrap()
                .push((std::mem::take(&mut rcpt), data));
            b"250 queued\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = out.write_all(b"221 bye\r\n");
            return;
        } else {
            b"250 ok\r\n"
        };
        let _ = out.write_all(reply);
    }
}

/// 2026-11-27 at hh:mm:ss, +08:00.
fn at(hh: u32, mm: u32, ss: u32) -> SystemTime {
    SystemTime::from(
        FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 27, hh, mm, ss)
            .unwrap(),
    )
}

fn zone() -> Zone {
    Zone::Fixed(FixedOffset::east_opt(8 * 3600).unwrap())
}

fn site_entry(id: &str, url: &str, email: &str) -> String {
    format!(
        "[[site]]\nid = \"{id}\"\nname = \"{id} 网站\"\nurl = \"{url}\"\noperator = \"{id} 办公室\"\nemail = \"{email}\"\ntags = [\"gov\"]\nallow_private = true\nprobes = []\ncheck_outbound = false\nmax_pages = 5\n\n"
    )
}

fn start_service(
    dir: &Path,
    clock: Arc<ManualClock>,
    log: Arc<Mutex<Vec<String>>>,
) -> Arc<Service> {
    let service = Service::start(
        ServiceOptions {
            register: dir.join("sites.toml"),
            db: dir.join("sitesweep.db"),
            rules: None,
            concurrency: 2,
            zone: zone(),
            probes: true,
        },
        clock,
        Arc::new(Stop::default()),
        Arc::new(move |l: &str| log.lock().unwrap().push(l.to_string())),
    )
    .unwrap();
    let mut service = service;
    service.notify_sleep = Some(Arc::new(|_| {}));
    Arc::new(service)
}

#[test]
fn a_due_schedule_runs_one_scan_and_notifies_the_webhook() {
    let site = spam_site();
    let hook = Receiver::start(vec![]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sites.toml"),
        format!(
            "{}[[schedule]]\ncron = \"0 2 * * *\"\nsites = [\"tag:gov\"]\n\n[notify]\nwebhook = \"{}\"\nwebhook_format = \"wecom\"\nmin_severity = \"low\"\n",
            site_entry("edu", &site.url("/"), "edu@example.gov.cn"),
            hook.url
        ),
    )
    .unwrap();
    let clock = Arc::new(ManualClock::at(at(1, 59, 0)));
    let log = Arc::new(Mutex::new(Vec::new()));
    let service = start_service(dir.path(), clock.clone(), log.clone());
    assert!(service.tick().is_empty(), "not due at 01:59");
    assert!(service.run_queued_scan().is_none());
    let health = service.health();
    assert_eq!(health["schedules"][0]["next"], "2026-11-27 02:00 +08:00");

    // The machine slept through 02:00: the schedule runs once, late.
    clock.set(at(2, 7, 0));
    assert_eq!(service.tick(), vec![0]);
    assert!(service.tick().is_empty(), "queued once");
    let done = service.run_queued_scan().expect("a scan ran");
    let result = done.result.expect("the scan finished");
    assert!(result.total_findings > 0);
    assert!(service.run_queued_scan().is_none(), "one scan, not two");
    assert_eq!(done.notifications.len(), 1, "{:?}", log.lock().unwrap());
    assert!(done.notifications[0].sent(), "{:?}", done.notifications);

    let bodies = hook.bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["msgtype"], "markdown");
    let content = bodies[0]["markdown"]["content"].as_str().unwrap();
    assert!(content.contains("新发现"), "{content}");
    assert!(content.contains("edu 网站"), "{content}");
    assert!(!content.contains("13800138000"), "masked: {content}");

    let store = Store::open(&dir.path().join("sitesweep.db")).unwrap();
    let rows = store.notifications().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].channel.as_str(), rows[0].outcome.as_str()),
        ("webhook", "sent")
    );
    assert_eq!(rows[0].scan.as_deref(), Some(result.scan.as_str()));
    assert!(
        !rows[0].target.contains("secret-robot-key"),
        "{}",
        rows[0].target
    );
    let health = service.health();
    assert_eq!(health["last_scan"]["id"], result.scan.as_str());
    assert_eq!(health["last_scan"]["state"], "finished");
    assert_eq!(health["schedules"][0]["next"], "2026-11-28 02:00 +08:00");

    // The same findings the next night are persisting: nothing to tell.
    clock.set(at(2, 0, 0) + Duration::from_secs(86_400));
    assert_eq!(service.tick(), vec![0]);
    let done = service.run_queued_scan().unwrap();
    assert!(done.result.is_ok());
    assert!(done.notifications.is_empty());
    assert_eq!(hook.bodies().len(), 1);
}

fn news_with(register: &Register) -> News {
    let o = sitesweep::findings::Origin {
        scan: "S1".into(),
        site: "edu".into(),
        operator: "edu 办公室".into(),
        insecure_tls: false,
    };
    let f = o.site_finding(
        sitesweep::findings::SiteRule::DarkLinks,
        &register.sites[0].url,
        "k",
        "隐藏链接 百家乐 身份证 110101199003074514".into(),
        None,
    );
    let o2 = sitesweep::findings::Origin {
        site: "hospital".into(),
        operator: "hospital 办公室".into(),
        ..o
    };
    let g = o2.site_finding(
        sitesweep::findings::SiteRule::DarkLinks,
        &register.sites[1].url,
        "k",
        "医院的暗链 六合彩".into(),
        None,
    );
    News {
        scan: Some("S1".into()),
        findings: vec![f, g],
        ..News::default()
    }
}

fn two_site_register(dir: &Path, notify: &str) -> Register {
    std::fs::write(
        dir.join("sites.toml"),
        format!(
            "{}{}[notify]\n{notify}",
            site_entry("edu", "http://127.0.0.1:9/", "edu@example.gov.cn"),
            site_entry("hospital", "http://127.0.0.1:9/", "health@example.gov.cn"),
        ),
    )
    .unwrap();
    Register::load(&dir.join("sites.toml")).unwrap()
}

#[test]
fn webhook_bodies_in_each_format_retries_after_500_and_giving_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("sitesweep.db")).unwrap();
    for (format, check) in [
        ("json", "source"),
        ("wecom", "markdown.content"),
        ("dingtalk", "markdown.text"),
    ] {
        let hook = Receiver::start(vec![]);
        let reg = two_site_register(
            dir.path(),
            &format!(
                "webhook = \"{}\"\nwebhook_format = \"{format}\"\n",
                hook.url
            ),
        );
        let news = news_with(&reg);
        let out = Notifier::new(reg.notify.clone().unwrap()).send(&news, &reg, Some(&store));
        assert!(out[0].sent(), "{format}: {out:?}");
        let body = &hook.bodies()[0];
        match check {
            "source" => {
                assert_eq!(body["source"], "sitesweep");
                assert_eq!(body["findings"].as_array().unwrap().len(), 2);
                assert_eq!(body["findings"][0]["site"], "edu");
                assert_eq!(body["omitted"], 0);
            }
            "markdown.content" => {
                assert_eq!(body["msgtype"], "markdown");
                assert!(body["markdown"]["content"]
                    .as_str()
                    .unwrap()
                    .contains("医院的暗链"));
            }
            _ => {
                assert_eq!(body["msgtype"], "markdown");
                assert_eq!(body["markdown"]["title"], "sitesweep 巡检通知：新发现 2 条");
                assert!(body["markdown"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("hospital 网站"));
            }
        }
        assert!(!body.to_string().contains("110101199003074514"), "{body}");
    }

    // Two 500s, then 200: sent on the third try, after two pauses.
    let hook = Receiver::start(vec![500, 500]);
    let reg = two_site_register(dir.path(), &format!("webhook = \"{}\"\n", hook.url));
    let slept = Arc::new(Mutex::new(Vec::new()));
    let s = slept.clone();
    let notifier = Notifier {
        sleep: Arc::new(move |d| s.lock().unwrap().push(d)),
        ..Notifier::new(reg.notify.clone().unwrap())
    };
    let out = notifier.send(&news_with(&reg), &reg, Some(&store));
    assert!(out[0].sent(), "{out:?}");
    assert_eq!(out[0].tries, 3);
    assert_eq!(hook.bodies().len(), 3);
    assert_eq!(slept.lock().unwrap().len(), 2);

    // Always 503: given up after 3 tries, returned and recorded.
    let hook = Receiver::start(vec![503; 10]);
    let reg = two_site_register(dir.path(), &format!("webhook = \"{}\"\n", hook.url));
    let notifier = Notifier {
        sleep: Arc::new(|_| {}),
        ..Notifier::new(reg.notify.clone().unwrap())
    };
    let out = notifier.send(&news_with(&reg), &reg, Some(&store));
    assert!(!out[0].sent());
    assert_eq!(out[0].tries, 3);
    assert!(
        out[0].error.as_deref().unwrap().contains("HTTP 503"),
        "{out:?}"
    );
    assert_eq!(hook.bodies().len(), 3);
    let rows = store.notifications().unwrap();
    let last = rows.last().unwrap();
    assert_eq!((last.outcome.as_str(), last.tries), ("failed", 3));
    assert!(last.error.as_deref().unwrap().contains("503"));
    assert!(!last.target.contains("secret"), "{}", last.target);
}

#[test]
fn each_operator_is_mailed_only_its_own_findings() {
    let smtp = FakeSmtp::start();
    let dir = tempfile::tempdir().unwrap();
    let reg = two_site_register(
        dir.path(),
        &format!(
            "smtp = \"smtp://127.0.0.1:{}\"\nfrom = \"sitesweep@example.gov.cn\"\n",
            smtp.port
        ),
    );
    let store = Store::open(&dir.path().join("sitesweep.db")).unwrap();
    let out = Notifier::new(reg.notify.clone().unwrap()).send(&news_with(&reg), &reg, Some(&store));
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out.iter().all(|o| o.sent()), "{out:?}");
    let mails = smtp.mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 2);
    let find = |to: &str| {
        mails
            .iter()
            .find(|(rcpt, _)| rcpt == &vec![to.to_string()])
            .unwrap_or_else(|| panic!("no mail to {to}: {mails:?}"))
            .1
            .clone()
    };
    let decode = |data: &str| -> String {
        // The body is base64 or quoted-printable (Chinese text): decode
        // just enough to read it.
        let (_, body) = data.split_once("\r\n\r\n").unwrap();
        let joined: String = body.split_whitespace().collect();
        match base64_decode(&joined) {
            Some(b) => String::from_utf8_lossy(&b).into_owned(),
            None => body.to_string(),
        }
    };
    let edu = decode(&find("edu@example.gov.cn"));
    assert!(edu.contains("edu 网站"), "{edu}");
    assert!(
        !edu.contains("医院的暗链"),
        "another operator's finding: {edu}"
    );
    assert!(!edu.contains("110101199003074514"), "masked: {edu}");
    let health = decode(&find("health@example.gov.cn"));
    assert!(health.contains("医院的暗链"), "{health}");
    assert!(!health.contains("edu 网站"), "{health}");
    let rows = store.notifications().unwrap();
    assert_eq!(
        rows.iter()
            .filter(|r| r.channel == "email" && r.outcome == "sent")
            .count(),
        2
    );
}

#[test]
fn probes_judge_availability_and_an_outage_is_told_once() {
    let site = spam_site();
    let hook = Receiver::start(vec![]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sites.toml"),
        format!(
            "{}[[schedule]]\ncron = \"0 3 * * *\"\n\n[notify]\nwebhook = \"{}\"\nmin_severity = \"critical\"\n",
            site_entry("edu", &site.url("/"), "edu@example.gov.cn"),
            hook.url
        ),
    )
    .unwrap();
    let clock = Arc::new(ManualClock::at(at(0, 0, 0) - Duration::from_secs(86_400)));
    let log = Arc::new(Mutex::new(Vec::new()));
    let service = start_service(dir.path(), clock.clone(), log.clone());
    // 30 hourly probes with the site up.
    let mut made = 0;
    for _ in 0..30 {
        clock.set(service.next_probe().unwrap());
        made += service.probe_due().len();
    }
    assert_eq!(made, 30);
    // The site goes away: two failed probes in a row tell the office once.
    let url = site.url("/");
    drop(site);
    for _ in 0..3 {
        clock.set(service.next_probe().unwrap());
        let rows = service.probe_due();
        assert!(!rows[0].ok, "{rows:?}");
    }
    let bodies = hook.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(bodies[0]["down"][0]["site"], "edu");
    // 3 of 33 failed (9%): high. The schedule's scan carries the finding.
    let health = service.health();
    assert_eq!(health["availability"][0]["probes"], 33);
    assert_eq!(health["availability"][0]["severity"], "high");
    clock.set(service.next_probe().unwrap().max(clock.now()) + Duration::from_secs(86_400));
    assert_eq!(service.tick(), vec![0]);
    let done = service.run_queued_scan().unwrap();
    let scan = done.result.unwrap().scan;
    let findings = Store::open(&dir.path().join("sitesweep.db"))
        .unwrap()
        .findings(&scan)
        .unwrap();
    let avail = findings
        .iter()
        .find(|f| f.rule == "site.availability")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(avail.severity, sitesweep::severity::Severity::High);
    assert!(avail.snippet.starts_with("3 of 33"), "{}", avail.snippet);
    assert_eq!(avail.url, url);
}

#[test]
fn a_bad_register_on_reload_is_reported_and_the_old_one_kept() {
    let dir = tempfile::tempdir().unwrap();
    let good = format!(
        "{}[[schedule]]\ncron = \"0 2 * * *\"\n",
        site_entry("edu", "http://127.0.0.1:9/", "edu@example.gov.cn")
    );
    std::fs::write(dir.path().join("sites.toml"), &good).unwrap();
    let clock = Arc::new(ManualClock::at(at(1, 0, 0)));
    let log = Arc::new(Mutex::new(Vec::new()));
    let service = start_service(dir.path(), clock.clone(), log.clone());
    // A later modification time whatever the file system's resolution.
    let touch = |text: &str, secs: u64| {
        let path = dir.path().join("sites.toml");
        std::fs::write(&path, text).unwrap();
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(SystemTime::now() + Duration::from_secs(secs))
            .unwrap();
    };
    touch(&good.replace("0 2 * * *", "0 2 * *"), 10);
    service.tick();
    assert_eq!(service.register().schedules[0].cron.as_str(), "0 2 * * *");
    let said = log.lock().unwrap().join("\n");
    assert!(
        said.contains("register not reloaded") && said.contains("sites.toml:14: cron `0 2 * *`"),
        "{said}"
    );
    touch(&good.replace("0 2 * * *", "30 4 * * *"), 20);
    service.tick();
    assert_eq!(service.register().schedules[0].cron.as_str(), "30 4 * * *");
    assert_eq!(
        service.health()["schedules"][0]["next"],
        "2026-11-27 04:30 +08:00"
    );
}

/// A slow site of many pages: a scan of it takes seconds.
fn slow_site(pages: usize) -> Server {
    Server::start(Arc::new(move |req: &Request| {
        let n: usize = match req.path().strip_prefix("/p") {
            Some(n) => n.parse().unwrap_or(usize::MAX),
            None if req.path() == "/" => 0,
            None => usize::MAX,
        };
        if n >= pages {
            return Reply::status(404);
        }
        let mut body = format!("<html><body>{SPAM}");
        for child in [2 * n + 1, 2 * n + 2] {
            if child < pages {
                body += &format!("<a href='/p{child}'>第{child}页</a>");
            }
        }
        body += "</body></html>";
        // In 64-byte pieces 40 ms apart: a page (about 230 bytes) takes
        // 120 ms or more. (In 256-byte pieces it came whole at once, the
        // crawl ended within 100 ms, and the kill below missed it.)
        Reply::Trickle {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
            chunk: 64,
            pause: Duration::from_millis(40),
        }
    }))
    .unwrap()
}

fn stored_pages(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM pages", [], |r| r.get::<_, i64>(0)))
        .unwrap_or(0)
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_leaves_the_running_scan_resumable_and_serve_resumes_it() {
    let site = slow_site(200);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sites.toml"),
        format!(
            "{}[[schedule]]\ncron = \"0 2 * * *\"\n",
            site_entry("gov", &site.url("/"), "gov@example.gov.cn")
                .replace("max_pages = 5", "max_pages = 200\nmax_depth = 100")
        ),
    )
    .unwrap();
    let db = dir.path().join("sitesweep.db");
    // A scan killed outright (as by a power cut) is left unfinished.
    let mut scan = std::process::Command::new(env!("CARGO_BIN_EXE_sitesweep"))
        .args(["scan", "-q"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the scan to store pages", || stored_pages(&db) >= 3);
    scan.kill().unwrap();
    scan.wait().unwrap();
    let first = Store::open(&db).unwrap().scans().unwrap().pop().unwrap();
    assert_eq!(first.state, "running");

    // serve resumes it at start; SIGTERM interrupts it resumably.
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_sitesweep"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let before = stored_pages(&db);
    wait_for("serve to resume the scan", || {
        stored_pages(&db) > before + 2
    });
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let started = Instant::now();
    let status = serve.wait().unwrap();
    let mut err = String::new();
    serve
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20), "a prompt stop");
    assert!(
        err.contains(&format!("resuming the unfinished scan {}", first.id)),
        "{err}"
    );
    let row = Store::open(&db).unwrap().scans().unwrap().pop().unwrap();
    assert_eq!(
        (row.id.as_str(), row.state.as_str()),
        (first.id.as_str(), "interrupted")
    );

    // And `scan --resume` finishes the same scan.
    let out = sitesweep(&["scan", "-q", "--resume"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let row = Store::open(&db).unwrap().scans().unwrap().pop().unwrap();
    assert_eq!(
        (row.id.as_str(), row.state.as_str()),
        (first.id.as_str(), "finished")
    );
}

#[test]
fn scan_notifies_and_a_failed_notification_keeps_the_exit_code() {
    let site = spam_site();
    // The receiver refuses (404: not tried again, so the test is quick).
    let hook = Receiver::start(vec![404; 5]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sites.toml"),
        format!(
            "{}[notify]\nwebhook = \"{}\"\nmin_severity = \"low\"\n",
            site_entry("edu", &site.url("/"), "edu@example.gov.cn"),
            hook.url
        ),
    )
    .unwrap();
    let out = sitesweep(&["scan", "-q"], dir.path());
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("notification webhook http://127.0.0.1:")
            && err.contains("failed after 1 try: ")
            && err.contains("HTTP 404"),
        "{err}"
    );
    assert!(!err.contains("secret-robot-key"), "{err}");
    assert_eq!(hook.bodies().len(), 1);
    let rows = Store::open(&dir.path().join("sitesweep.db"))
        .unwrap()
        .notifications()
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].outcome, "failed");
    // With --fail-on the exit code is the findings' alone.
    let out = sitesweep(&["scan", "-q", "--fail-on", "low"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn serve_refuses_a_non_loopback_listen_and_a_bad_register_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sites.toml"),
        format!(
            "{}[[schedule]]\ncron = \"0 2 * * *\"\nsites = [\"tag:school\"]\n",
            site_entry("edu", "http://127.0.0.1:9/", "edu@example.gov.cn")
        ),
    )
    .unwrap();
    let out = sitesweep(&["serve", "--listen", "0.0.0.0:8600"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("loopback only"));
    let out = sitesweep(&["serve", "--listen", "127.0.0.1:0"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("sites.toml:15: schedule: no site has the tag `school`"),
        "{}",
        text(&out.stderr)
    );
}

/// Standard base64 (a mail body), or None when it is not.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        acc = acc << 6 | ABC.iter().position(|&a| a == c)? as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[test]
fn an_hourly_probe_tells_of_a_home_page_retitled_since_the_last_scan_once() {
    // The home page's title: what the scan read, then hijacked between
    // scans, then back, then hijacked again.
    let title = Arc::new(Mutex::new("区教育局".to_string()));
    let now = title.clone();
    let site = Server::start(Arc::new(move |req: &Request| match req.path() {
        "/" => Reply::html(format!(
            "<html><head><title>{}</title></head><body><p>通知公告</p></body></html>",
            now.lock().unwrap()
        )),
        _ => Reply::status(404),
    }))
    .unwrap();
    let hook = Receiver::start(vec![]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sites.toml"),
        format!(
            "{}[[schedule]]\ncron = \"0 3 * * *\"\n\n[notify]\nwebhook = \"{}\"\nmin_severity = \"critical\"\n",
            site_entry("edu", &site.url("/"), "edu@example.gov.cn"),
            hook.url
        ),
    )
    .unwrap();
    let clock = Arc::new(ManualClock::at(at(2, 59, 0)));
    let log = Arc::new(Mutex::new(Vec::new()));
    let service = start_service(dir.path(), clock.clone(), log.clone());
    // Probes before any scan have nothing to compare with.
    *title.lock().unwrap() = "开云体育官网".to_string();
    clock.set(service.next_probe().unwrap());
    service.probe_due();
    assert!(hook.bodies().is_empty());
    // The scan reads the home page as it is then.
    *title.lock().unwrap() = "区教育局".to_string();
    clock.set(at(3, 0, 0).max(clock.now()));
    assert_eq!(service.tick(), vec![0]);
    service.run_queued_scan().unwrap().result.unwrap();
    let probe = |t: &str| {
        *title.lock().unwrap() = t.to_string();
        clock.set(service.next_probe().unwrap().max(clock.now()));
        service.probe_due();
        hook.bodies()
    };
    assert!(probe("区教育局").is_empty(), "unchanged: nothing to tell");
    let told = probe("鸿福娱乐-区教育局");
    assert_eq!(told.len(), 1, "{told:#?}");
    let f = &told[0]["findings"][0];
    assert_eq!(f["rule"], "title.changed");
    assert!(
        f["snippet"]
            .as_str()
            .unwrap()
            .contains("原为“区教育局”，现为“鸿福娱乐-区教育局”"),
        "{f}"
    );
    // The same title is told once between two scans, back and forth or
    // not; a title that changes with every visit is told three times, no
    // more, until the next scan.
    assert_eq!(probe("鸿福娱乐-区教育局").len(), 1);
    assert_eq!(probe("区教育局").len(), 1);
    assert_eq!(probe("鸿福娱乐-区教育局").len(), 1);
    assert_eq!(probe("今日推荐：春季招生").len(), 2);
    assert_eq!(probe("今日推荐：秋季运动会").len(), 3);
    assert_eq!(probe("今日推荐：冬令营").len(), 3);
    // The next scan reads the page anew: a change from it is told.
    clock.set(at(3, 0, 0) + Duration::from_secs(86_400));
    assert_eq!(service.tick(), vec![0]);
    service.run_queued_scan().unwrap().result.unwrap();
    assert_eq!(probe("澳门新葡京-区教育局").len(), 4);
}
