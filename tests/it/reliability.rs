//! What a hostile world does to a scan: kills at any moment, a full disk,
//! two scans at once, a stream path that is the database, rules changed
//! under a resumed scan, pages with 10,000 links. Nothing reported may be
//! lost or repeated, no file may be clobbered, and a refused scan exits 2.

use crate::support::{sitesweep, text};

use crate::support::server::{Reply, Request, Server};
use sitesweep::store::Store;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A farm site of `pages` pages in a tree, each page slow to arrive and
/// carrying its own dark link; every fifth page links to a missing page
/// (a failure) and to an excluded page (a skip).
fn slow_site(pages: usize, pause_ms: u64, log: Arc<Mutex<Vec<String>>>) -> Server {
    Server::start(Arc::new(move |req: &Request| {
        log.lock().unwrap().push(req.target.clone());
        let n: usize = match req.target.strip_prefix("/p") {
            Some(n) => n.parse().unwrap_or(usize::MAX),
            None if req.target == "/" => 0,
            None => usize::MAX,
        };
        if n >= pages {
            return Reply::status(404);
        }
        let mut body = String::from("<html><body>");
        for child in [2 * n + 1, 2 * n + 2] {
            if child < pages {
                body += &format!("<a href='/p{child}'>第{child}页</a>");
            }
        }
        if n.is_multiple_of(5) {
            body += &format!("<a href='/gone{n}'>旧链接</a><a href='/calendar/{n}'>日历</a>");
        }
        body += &format!(
            "<div hidden><a href='http://x.example/{n}'>六合彩{n}号</a></div>{}</body></html>",
            "<p>正文内容</p>".repeat(30)
        );
        Reply::Trickle {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
            chunk: 512,
            pause: Duration::from_millis(pause_ms),
        }
    }))
    .unwrap()
}

fn write_register(dir: &Path, url: &str) {
    std::fs::write(
        dir.join("sites.toml"),
        format!(
            "[[site]]\nid = \"gov\"\nname = \"区政府\"\nurl = \"{url}\"\noperator = \"办公室\"\n\
             allow_private = true\nprobes = []\ncheck_outbound = false\nmax_depth = 100\nexclude = [\"/calendar/\"]\nper_host_concurrency = 2\n"
        ),
    )
    .unwrap();
}

fn jsonl_fingerprints(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the stream ends in a whole line"
    );
    text.lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("a whole JSON line: {e}: {l}"));
            v["fingerprint"].as_str().unwrap().to_string()
        })
        .collect()
}

fn db_fingerprints(db: &Path, scan: &str) -> BTreeSet<String> {
    Store::open(db)
        .unwrap()
        .findings(scan)
        .unwrap()
        .into_iter()
        .map(|f| f.fingerprint)
        .collect()
}

/// Start a scan and SIGKILL it once it has stored `pages` pages.
fn kill_after_pages(dir: &Path, pages: i64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sitesweep"))
        .args(["scan", "-q"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stored = rusqlite::Connection::open(dir.join("sitesweep.db"))
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM pages", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0);
        if stored >= pages {
            break;
        }
        assert!(Instant::now() < deadline, "the scan stored too little");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the scan ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
}

fn last_scan(db: &Path) -> sitesweep::store::ScanRow {
    Store::open(db).unwrap().scans().unwrap().pop().unwrap()
}

/// Pages fetched, failed and skipped of the scan's one site.
fn counters(db: &Path, scan: &str) -> (usize, usize, usize) {
    let s = Store::open(db).unwrap().site_summaries(scan).unwrap();
    (s[0].pages_fetched, s[0].pages_failed, s[0].pages_skipped)
}

/// A tiny deterministic random sequence (no dependency for one test).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn killed_ten_times_at_random_moments_then_resumed_nothing_is_lost_or_repeated() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = slow_site(40, 15, log.clone());
    // The same farm scanned cleanly, for comparison.
    let clean = tempfile::tempdir().unwrap();
    write_register(clean.path(), &server.url("/"));
    let out = sitesweep(&["scan", "-q", "--jsonl", "f.jsonl"], clean.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let clean_scan = last_scan(&clean.path().join("sitesweep.db")).id;
    let clean_fps = db_fingerprints(&clean.path().join("sitesweep.db"), &clean_scan);
    assert!(clean_fps.len() > 40, "{}", clean_fps.len());

    let dir = tempfile::tempdir().unwrap();
    write_register(dir.path(), &server.url("/"));
    let mut rng = Lcg(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64);
    let db = dir.path().join("sitesweep.db");
    let mut kills = 0;
    while kills < 10 {
        let mut args = vec!["scan", "-q", "--jsonl", "f.jsonl"];
        // A kill may come before the scan was even recorded.
        let started = Store::open(&db).unwrap().scans().unwrap().len() == 1;
        if started {
            args.push("--resume");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_sitesweep"))
            .args(&args)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(20 + rng.below(400)));
        if child.try_wait().unwrap().is_some() {
            break; // it finished before the kill came
        }
        child.kill().unwrap(); // SIGKILL: no chance to clean up
        child.wait().unwrap();
        kills += 1;
    }
    // On a loaded machine every kill may have come before the scan was
    // even recorded: then it starts afresh, else it is resumed.
    let recorded = Store::open(&db).unwrap().scans().unwrap().pop();
    if recorded.as_ref().is_none_or(|s| s.state != "finished") {
        let mut args = vec!["scan", "-q", "--jsonl", "f.jsonl"];
        if recorded.is_some() {
            args.push("--resume");
        }
        let out = sitesweep(&args, dir.path());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let row = last_scan(&db);
    assert_eq!(row.state, "finished");
    assert_eq!(
        Store::open(&db).unwrap().scans().unwrap().len(),
        1,
        "one scan, resumed"
    );
    let stream = jsonl_fingerprints(&dir.path().join("f.jsonl"));
    let unique: BTreeSet<String> = stream.iter().cloned().collect();
    assert_eq!(unique.len(), stream.len(), "no finding streamed twice");
    assert_eq!(unique, db_fingerprints(&db, &row.id), "stream = database");
    assert_eq!(
        unique, clean_fps,
        "the same findings as a clean scan ({kills} kills)"
    );
    assert_eq!(
        counters(&db, &row.id),
        counters(&clean.path().join("sitesweep.db"), &clean_scan),
        "pages fetched, failed and skipped as in a clean scan"
    );
}

#[test]
fn a_kill_between_the_database_and_the_stream_loses_no_line() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = slow_site(30, 20, log);
    let dir = tempfile::tempdir().unwrap();
    write_register(dir.path(), &server.url("/"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sitesweep"))
        .args(["scan", "-q", "--jsonl", "f.jsonl"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stream = dir.path().join("f.jsonl");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&stream).map_or(0, |s| s.lines().count()) < 6 {
        assert!(Instant::now() < deadline, "the scan reported too little");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // What a kill right after a page's commit leaves: the database has the
    // page's findings, the stream lacks its last lines, and the line being
    // written when the kill came is cut in the middle.
    let written = std::fs::read_to_string(&stream).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    let kept = lines[..lines.len() - 2].join("\n") + "\n" + &lines[lines.len() - 2][..20];
    std::fs::write(&stream, kept).unwrap();
    let out = sitesweep(
        &["scan", "-q", "--resume", "--jsonl", "f.jsonl"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let db = dir.path().join("sitesweep.db");
    let row = last_scan(&db);
    let fps = jsonl_fingerprints(&stream);
    let unique: BTreeSet<String> = fps.iter().cloned().collect();
    assert_eq!(unique.len(), fps.len(), "no finding streamed twice");
    assert_eq!(unique, db_fingerprints(&db, &row.id), "stream = database");
    assert!(unique.len() >= 30);
}

#[test]
fn a_full_disk_stops_the_scan_at_once_and_resume_finishes_it() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = slow_site(60, 5, log.clone());
    let dir = tempfile::tempdir().unwrap();
    write_register(dir.path(), &server.url("/"));
    // Every write to the stream fails with "no space left on device".
    let out = sitesweep(&["scan", "-q", "--jsonl", "/dev/full"], dir.path());
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("No space left"),
        "{}",
        text(&out.stderr)
    );
    let pages = log.lock().unwrap().len();
    assert!(pages < 30, "the crawl stopped promptly: {pages} requests");
    let db = dir.path().join("sitesweep.db");
    assert_eq!(last_scan(&db).state, "failed");

    // A file size limit: the stream and database fill up mid-scan.
    // Enough pages that the limit comes mid-scan, after some batches were
    // committed and streamed.
    let log2 = Arc::new(Mutex::new(Vec::new()));
    let server2 = slow_site(300, 5, log2.clone());
    let dir2 = tempfile::tempdir().unwrap();
    write_register(dir2.path(), &server2.url("/"));
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 320; exec {} scan -q --jsonl f.jsonl",
            env!("CARGO_BIN_EXE_sitesweep")
        ))
        .current_dir(dir2.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(log2.lock().unwrap().len() < 300, "stopped before the end");
    let before = jsonl_fingerprints(&dir2.path().join("f.jsonl"));
    assert!(!before.is_empty());
    // Room again: resume finishes it, and stream and database agree.
    let out = sitesweep(
        &["scan", "-q", "--resume", "--jsonl", "f.jsonl"],
        dir2.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let db2 = dir2.path().join("sitesweep.db");
    let row = last_scan(&db2);
    assert_eq!(row.state, "finished");
    let stream = jsonl_fingerprints(&dir2.path().join("f.jsonl"));
    let unique: BTreeSet<String> = stream.iter().cloned().collect();
    assert_eq!(unique.len(), stream.len(), "no finding streamed twice");
    assert_eq!(unique, db_fingerprints(&db2, &row.id));
    let spam = stream.len();
    assert!(spam >= 300, "every page's finding: {spam}");
}

#[test]
fn the_stream_path_cannot_be_the_database_its_journal_lock_or_the_register() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = slow_site(3, 0, log.clone());
    let dir = tempfile::tempdir().unwrap();
    write_register(dir.path(), &server.url("/"));
    assert_eq!(
        sitesweep(&["scan", "-q"], dir.path()).status.code(),
        Some(0)
    );
    let db_bytes = std::fs::read(dir.path().join("sitesweep.db")).unwrap();
    let register = std::fs::read(dir.path().join("sites.toml")).unwrap();
    let requests = log.lock().unwrap().len();
    for path in [
        "sitesweep.db",
        "./sitesweep.db",
        "sitesweep.db-wal",
        "sitesweep.db.lock",
        "sites.toml",
    ] {
        let out = sitesweep(&["scan", "-q", "--jsonl", path], dir.path());
        assert_eq!(out.status.code(), Some(2), "{path}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("file of its own"),
            "{}",
            text(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read(dir.path().join("sitesweep.db")).unwrap(),
        db_bytes
    );
    assert_eq!(
        std::fs::read(dir.path().join("sites.toml")).unwrap(),
        register
    );
    assert_eq!(log.lock().unwrap().len(), requests, "nothing fetched");
}

#[test]
fn a_scan_refused_by_the_lock_leaves_the_running_scans_stream_alone() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = slow_site(3, 0, log.clone());
    let dir = tempfile::tempdir().unwrap();
    write_register(dir.path(), &server.url("/"));
    let stream = dir.path().join("f.jsonl");
    std::fs::write(&stream, "{\"a line\":\"of the running scan\"}\n").unwrap();
    let mut holder = Store::open(&dir.path().join("sitesweep.db")).unwrap();
    holder.lock().unwrap();
    let out = sitesweep(&["scan", "-q", "--jsonl", "f.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&stream).unwrap(),
        "{\"a line\":\"of the running scan\"}\n"
    );
    assert!(log.lock().unwrap().is_empty(), "nothing fetched");
}

#[test]
fn two_scans_started_at_the_same_moment_one_runs_the_other_is_refused() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = slow_site(6, 5, log);
    // The pid of a process that has ended: a lock file naming it is stale.
    let mut gone = Command::new("true").spawn().unwrap();
    let dead_pid = gone.id();
    gone.wait().unwrap();
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        write_register(dir.path(), &server.url("/"));
        if round % 2 == 1 {
            // A stale lock left by a scan that died: both see it at once.
            std::fs::write(dir.path().join("sitesweep.db.lock"), dead_pid.to_string()).unwrap();
        }
        let start = || {
            Command::new(env!("CARGO_BIN_EXE_sitesweep"))
                .args(["scan", "-q"])
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (start(), start());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let mut codes = [a.status.code(), b.status.code()];
        codes.sort();
        assert!(
            codes == [Some(0), Some(2)] || codes == [Some(0), Some(0)],
            "round {round}: {codes:?}\n{}\n{}",
            text(&a.stderr),
            text(&b.stderr)
        );
        let scans = Store::open(&dir.path().join("sitesweep.db"))
            .unwrap()
            .scans()
            .unwrap();
        let ran = codes.iter().filter(|c| **c == Some(0)).count();
        assert_eq!(scans.len(), ran, "round {round}");
        assert!(scans.iter().all(|s| s.state == "finished"));
    }
}

#[test]
fn a_lock_left_by_a_killed_scan_is_no_obstacle() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = slow_site(30, 30, log);
    let dir = tempfile::tempdir().unwrap();
    write_register(dir.path(), &server.url("/"));
    kill_after_pages(dir.path(), 3);
    assert!(dir.path().join("sitesweep.db.lock").exists());
    let out = sitesweep(&["scan", "-q", "--resume"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn resume_refuses_changed_rules_or_register_and_says_when_there_is_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = slow_site(30, 30, log);
    write_register(dir.path(), &server.url("/"));
    // Nothing to resume: no database, then an empty one.
    let out = sitesweep(&["scan", "-q", "--resume"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nothing to resume"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !dir.path().join("sitesweep.db").exists(),
        "no database made"
    );
    Store::open(&dir.path().join("sitesweep.db")).unwrap();
    let out = sitesweep(&["scan", "-q", "--resume"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no scan"),
        "{}",
        text(&out.stderr)
    );

    // An interrupted scan with the built-in rules…
    kill_after_pages(dir.path(), 3);
    // …is not resumed with other rules.
    let out = sitesweep(&["rules", "init", "rules"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let pack = dir.path().join("rules/gambling.toml");
    let edited = std::fs::read_to_string(&pack).unwrap().replacen(
        "severity = \"critical\"",
        "severity = \"high\"",
        1,
    );
    std::fs::write(&pack, edited).unwrap();
    let out = sitesweep(&["scan", "-q", "--resume"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("rule"), "{}", text(&out.stderr));
    std::fs::remove_dir_all(dir.path().join("rules")).unwrap();
    // Nor with another register.
    let reg = std::fs::read_to_string(dir.path().join("sites.toml")).unwrap();
    std::fs::write(
        dir.path().join("sites.toml"),
        reg.replace("区政府", "区人民政府"),
    )
    .unwrap();
    let out = sitesweep(&["scan", "-q", "--resume"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("register"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(dir.path().join("sites.toml"), reg).unwrap();
    let out = sitesweep(&["scan", "-q", "--resume"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn resuming_one_site_does_not_finish_a_scan_with_others_unfinished() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let a = slow_site(30, 20, log.clone());
    let b = slow_site(30, 20, log.clone());
    let dir = tempfile::tempdir().unwrap();
    let entry = |id: &str, url: &str| {
        format!(
            "[[site]]\nid = \"{id}\"\nname = \"站点{id}\"\nurl = \"{url}\"\noperator = \"办公室\"\nallow_private = true\nmax_depth = 100\nprobes = []\ncheck_outbound = false\n"
        )
    };
    std::fs::write(
        dir.path().join("sites.toml"),
        entry("a", &a.url("/")) + &entry("b", &b.url("/")),
    )
    .unwrap();
    kill_after_pages(dir.path(), 3);
    let db = dir.path().join("sitesweep.db");
    let out = sitesweep(&["scan", "-q", "--resume", "--site", "a"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("not crawled yet (b)"),
        "{}",
        text(&out.stdout)
    );
    assert_ne!(last_scan(&db).state, "finished", "site b is unfinished");
    let out = sitesweep(&["scan", "-q", "--resume"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(last_scan(&db).state, "finished");
    let summaries = Store::open(&db)
        .unwrap()
        .site_summaries(&last_scan(&db).id)
        .unwrap();
    assert_eq!(summaries.len(), 2);
}

#[test]
fn pages_of_ten_thousand_unique_links_keep_memory_and_database_bounded() {
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    // Every page links to 10,000 pages no other page links to.
    let server = Server::start(Arc::new(move |req: &Request| {
        let n = count.fetch_add(1, Ordering::SeqCst);
        let mut body = String::from("<html><body><p>目录</p>");
        for i in 0..10_000 {
            body += &format!("<a href='/d{n}/{i}.html'>{i}</a>");
        }
        body += "</body></html>";
        let _ = req;
        Reply::html(body)
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sites.toml"),
        format!(
            "[[site]]\nid = \"farm\"\nname = \"链接农场\"\nurl = \"{}\"\noperator = \"办公室\"\nallow_private = true\nmax_pages = 40\nprobes = []\ncheck_outbound = false\n",
            server.url("/")
        ),
    )
    .unwrap();
    let started = Instant::now();
    let out = sitesweep(&["scan", "-q"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(started.elapsed() < Duration::from_secs(120));
    let db = dir.path().join("sitesweep.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let stored: i64 = conn
        .query_row("SELECT SUM(json_array_length(links)) FROM pages", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        stored <= 40,
        "links stored: only those queued, within max_pages: {stored}"
    );
    let pages: i64 = conn
        .query_row("SELECT COUNT(*) FROM pages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pages, 40);
    let summary = &Store::open(&db)
        .unwrap()
        .site_summaries(&last_scan(&db).id)
        .unwrap()[0];
    assert!(!summary.complete);
    assert!(
        summary.notes.iter().any(|n| n.contains("max_pages")),
        "{:?}",
        summary.notes
    );
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("more than 2000 links")),
        "{:?}",
        summary.notes
    );
}
