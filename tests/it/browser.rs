//! `serve`'s web interface in a real browser: headless chromium driven
//! through the DevTools protocol ([`crate::support::cdp`]) against the
//! web interface and the service in-process on 127.0.0.1, with a local
//! hacked site. Log in through the form, filter the findings, open one,
//! mark it 已整改 and watch the service's re-check close it; hostile page
//! text stays text; another operator's finding is a 404.
//!
//! With `SITESWEEP_SCREENSHOTS=1` the pages are also saved as PNGs under
//! `docs/screenshots/` (the README shows them).

use crate::support::cdp::{self, Browser};
use crate::support::web::{site, site_entry, start_service_until, start_web};
use sitesweep::accounts::{self, Role};
use sitesweep::schedule::Stop;
use sitesweep::service::Job;
use sitesweep::store::Store;
use sitesweep::web::Web;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Stops the service's job thread however the test ends.
struct StopOnDrop(Arc<Stop>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// With `whole`, the page's full height, else the 1280×800 viewport.
fn shot(b: &mut Browser, name: &str, whole: bool) {
    if std::env::var_os("SITESWEEP_SCREENSHOTS").is_none_or(|v| v.is_empty() || v == "0") {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = b.screenshot(whole);
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
    eprintln!(
        "screenshot: docs/screenshots/{name}.png ({} KB)",
        png.len() / 1024
    );
}

/// Log in through the login form; the status of the page it leads to.
fn log_in(b: &mut Browser, base: &str, login: &str, password: &str) -> u16 {
    assert_eq!(b.navigate(&format!("{base}/login")), 200);
    b.after_load(|b| {
        b.eval(&format!(
            "const f = document.querySelector('form[action=\"/login\"]');\
             f.querySelector('input[name=login]').value = {login:?};\
             f.querySelector('input[name=password]').value = {password:?};\
             f.submit()"
        ));
    })
}

/// JSON of what a CSS selector finds: each element's `textContent`.
fn texts(b: &mut Browser, selector: &str) -> Vec<String> {
    let v = b.eval(&format!(
        "[...document.querySelectorAll({selector:?})].map(e => e.textContent)"
    ));
    serde_json::from_value(v).unwrap()
}

#[test]
fn in_chromium_log_in_filter_mark_fixed_recheck_closes_hostile_text_stays_text() {
    let Some(chromium) = cdp::chromium() else {
        eprintln!("SKIPPED: no chromium on this machine (.ci/run installs it)");
        return;
    };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let edu_spam = Arc::new(AtomicBool::new(true));
    let (edu, health) = (
        site(edu_spam.clone()),
        site(Arc::new(AtomicBool::new(true))),
    );
    std::fs::write(
        dir.path().join("sites.toml"),
        format!(
            "{}{}",
            site_entry("edu", &edu.url("/")),
            site_entry("health", &health.url("/"))
        ),
    )
    .unwrap();
    let stop = Arc::new(Stop::default());
    let _stop = StopOnDrop(stop.clone());
    let service = start_service_until(dir.path(), stop);
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
    let addr = start_web(Arc::new(
        Web::new(db.clone(), Some(service.clone()), true).unwrap(),
    ));
    // The service's job thread: re-checks run as `serve` runs them.
    {
        let service = service.clone();
        std::thread::spawn(move || service.run_jobs_until_stopped());
    }
    let base = format!("http://{addr}");
    let mut b = Browser::start(&chromium, 1280, 800);

    // Anonymous: the login page.
    assert_eq!(b.navigate(&format!("{base}/findings")), 200);
    assert_eq!(b.eval_str("location.pathname"), "/login");

    // Log in through the form: the dashboard, both operators.
    assert_eq!(log_in(&mut b, &base, "root", "admin-password"), 200);
    assert_eq!(b.eval_str("location.pathname"), "/");
    let body = b.eval_str("document.body.textContent");
    assert!(
        body.contains("edu 办公室") && body.contains("health 办公室"),
        "{body}"
    );
    shot(&mut b, "dashboard", false);

    // The findings, as the API has them for the browser's session (opened
    // as a page: the CSP allows no fetch).
    assert_eq!(b.navigate(&format!("{base}/api/findings?scan=latest")), 200);
    let all: serde_json::Value =
        serde_json::from_str(&b.eval_str("document.body.textContent")).unwrap();
    let all = all.as_array().unwrap();
    let hostile = |site: &str| {
        all.iter()
            .find(|f| {
                f["site"] == site
                    && f["hidden"] == true
                    && f["snippet"].as_str().unwrap().contains("<script>")
            })
            .unwrap_or_else(|| panic!("a hostile finding on {site}: {all:?}"))
            .clone()
    };
    let (edu_f, health_f) = (hostile("edu"), hostile("health"));
    let edu_fp = edu_f["fingerprint"].as_str().unwrap().to_string();
    let health_fp = health_f["fingerprint"].as_str().unwrap().to_string();

    // The list, then filtered by the finding's severity with the form.
    assert_eq!(b.navigate(&format!("{base}/findings")), 200);
    let rows = texts(&mut b, "#findings tr td:first-child");
    assert!(rows.len() >= 2, "{rows:?}");
    shot(&mut b, "findings", false);
    let severity = edu_f["severity"].as_str().unwrap().to_string();
    let status = b.after_load(|b| {
        b.eval(&format!(
            "document.querySelector('#filters select[name=severity]').value = {severity:?};\
             document.querySelector('#filters select[name=site]').value = 'edu';\
             document.getElementById('filters').submit()"
        ));
    });
    assert_eq!(status, 200);
    let search = b.eval_str("location.search");
    assert!(search.contains(&format!("severity={severity}")), "{search}");
    let classes: Vec<String> = serde_json::from_value(b.eval(
        "[...document.querySelectorAll('#findings tr td:first-child span')].map(e => e.className)",
    ))
    .unwrap();
    let want = all
        .iter()
        .filter(|f| f["site"] == "edu" && f["severity"] == severity.as_str())
        .count();
    assert_eq!(classes.len(), want, "{classes:?}");
    assert!(classes.iter().all(|c| *c == severity), "{classes:?}");
    let sites = texts(&mut b, "#findings tr td:nth-child(2)");
    assert!(sites.iter().all(|s| s == "edu"), "{sites:?}");

    // Open the finding from the list.
    let status = b.after_load(|b| {
        b.eval(&format!(
            "document.querySelector('#findings a[href=\"/findings/{edu_fp}\"]').click()"
        ));
    });
    assert_eq!(status, 200);
    assert_eq!(
        b.eval_str("location.pathname"),
        format!("/findings/{edu_fp}")
    );
    // Hostile page text is shown as text: no script, no image, no dialog.
    let snippet = b.eval_str("document.getElementById('snippet').textContent");
    assert!(
        snippet.contains("<script>alert(1)") && snippet.contains("src=x onerror=alert(2)>"),
        "{snippet}"
    );
    assert_eq!(b.eval("document.scripts.length"), 0);
    assert_eq!(b.eval("document.querySelectorAll('img').length"), 0);
    assert_eq!(
        b.eval("document.querySelector('img[src=x]') === null"),
        true
    );

    // The spam is removed from the site; 已整改 with a note (the CSRF token
    // is the form's own).
    edu_spam.store(false, Ordering::SeqCst);
    let status = b.after_load(|b| {
        b.eval(
            "const f = document.getElementById('form-fixed');\
             f.querySelector('textarea').value = '已删除页脚中的暗链';\
             f.submit()",
        );
    });
    assert_eq!(status, 200);
    assert_eq!(
        b.eval_str("location.pathname"),
        format!("/findings/{edu_fp}")
    );
    // The service's re-check finds the spam gone: closed.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let state = b.eval_str("document.getElementById('state').className");
        if state == "state-closed" {
            break;
        }
        assert!(
            state == "state-fixed" && Instant::now() < deadline,
            "state {state}"
        );
        std::thread::sleep(Duration::from_millis(200));
        b.after_load(|b| {
            b.call("Page.reload", serde_json::json!({}));
        });
    }
    let log = b.eval_str("document.getElementById('log').textContent");
    assert!(
        log.contains("已删除页脚中的暗链") && log.contains("root") && log.contains("re-check"),
        "{log}"
    );
    shot(&mut b, "finding", true);

    // Nothing ran: no dialog was opened on any page.
    assert!(
        !b.seen.iter().any(|m| m == "Page.javascriptDialogOpening"),
        "a dialog opened"
    );

    // Log out with the header's form; log in as the edu operator.
    let status = b.after_load(|b| {
        b.eval("document.querySelector('form[action=\"/logout\"]').submit()");
    });
    assert_eq!(status, 200);
    assert_eq!(b.eval_str("location.pathname"), "/login");
    assert_eq!(log_in(&mut b, &base, "edu", "edu-password"), 200);
    assert_eq!(b.navigate(&format!("{base}/findings/{edu_fp}")), 200);
    // Another operator's finding: not found, and nothing of it shown.
    assert_eq!(b.navigate(&format!("{base}/findings/{health_fp}")), 404);
    let body = b.eval_str("document.body.textContent");
    assert!(
        !body.contains("health") && !body.contains("alert"),
        "{body}"
    );
    assert!(
        !b.seen.iter().any(|m| m == "Page.javascriptDialogOpening"),
        "a dialog opened"
    );
    eprintln!("browser test: {:.1} s", started.elapsed().as_secs_f64());
}
