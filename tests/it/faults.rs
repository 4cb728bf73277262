//! Fault injection: one scan over a farm of misbehaving sites on 127.0.0.1
//! (stalls, trickles, resets, lying lengths, broken chunking, compression
//! bombs, redirect loops, traps, 429s, deep nesting, binary and huge pages)
//! plus one well-behaved site. The scan must end within its bounds, keep its
//! memory bounded, report each fault as the right finding, and leave the
//! well-behaved site's results intact.

use crate::support::server::{Reply, Request, Server};
use std::io::Write;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn html(body: &str) -> Reply {
    Reply::html(format!(
        "<html><head><title>测试</title></head><body>{body}</body></html>"
    ))
}

/// A dark link any well-read page of the farm carries, so "was it read?"
/// is "was it found?".
const SPAM: &str = "<div style='display:none'><a href='http://x.example/'>六合彩</a></div>";

fn gzip_bomb(size: usize) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let line = b"<p>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</p>\n";
    for _ in 0..size / line.len() {
        e.write_all(line).unwrap();
    }
    e.finish().unwrap()
}

fn brotli_bomb(size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        let block = vec![b'a'; 1 << 16];
        for _ in 0..size / block.len() {
            w.write_all(&block).unwrap();
        }
    }
    out
}

struct Farm {
    servers: Vec<(String, Server)>,
    calendar_hits: Arc<AtomicUsize>,
    busy_calls: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<String>>>,
}

fn farm() -> Farm {
    let calendar_hits = Arc::new(AtomicUsize::new(0));
    let busy_calls = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let gz = gzip_bomb(60 << 20);
    let br = brotli_bomb(60 << 20);
    let nested = format!(
        "{}{SPAM}{}",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let gbk_page = encoding_rs::GBK
        .encode(&format!(
            "<html><body><p>欢迎访问区政府网站，这里是政务公开栏目。</p>{SPAM}</body></html>"
        ))
        .0
        .into_owned();
    let mut binary = vec![0u8; 4096];
    binary[..4].copy_from_slice(b"\x89PNG");

    let mut servers = Vec::new();
    let mut add = |name: &str, handler: Arc<dyn Fn(&Request) -> Reply + Send + Sync>| {
        let log = log.clone();
        let name_owned = name.to_string();
        let server = Server::start(Arc::new(move |req: &Request| {
            log.lock()
                .unwrap()
                .push(format!("{name_owned}{}", req.target));
            handler(req)
        }))
        .unwrap();
        servers.push((name.to_string(), server));
    };
    // Each faulty resource hangs off a start page that also carries SPAM, so
    // the start page is read and the fault shows in a link finding.
    let start = |link: &'static str| html(&format!("<a href='{link}'>栏目</a>{SPAM}"));
    add(
        "stall",
        Arc::new(move |r| match r.target.as_str() {
            "/" => start("/slow"),
            "/slow" => Reply::Stall(Duration::from_secs(60)),
            _ => Reply::status(404),
        }),
    );
    add(
        "trickle",
        Arc::new(move |r| match r.target.as_str() {
            "/" => start("/drip"),
            "/drip" => Reply::Trickle {
                status: 200,
                headers: vec![("Content-Type".into(), "text/html".into())],
                body: format!("<p>{}</p>", "慢".repeat(2000)).into_bytes(),
                chunk: 10,
                pause: Duration::from_millis(50),
            },
            _ => Reply::status(404),
        }),
    );
    add(
        "reset",
        Arc::new(move |r| match r.target.as_str() {
            "/" => start("/gone"),
            "/gone" => Reply::Reset,
            _ => Reply::status(404),
        }),
    );
    add(
        "short",
        Arc::new(move |r| {
            match r.target.as_str() {
        "/" => Reply::Raw(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n<html><body>{SPAM}"
            )
            .into_bytes(),
        ),
        _ => Reply::status(404),
    }
        }),
    );
    add(
        "chunked",
        Arc::new(move |r| match r.target.as_str() {
            "/" => {
                let first = format!("<html><body>{SPAM}");
                Reply::Raw(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{first}\r\nZZZ\r\ngarbage",
                    first.len()
                )
                .into_bytes(),
            )
            }
            _ => Reply::status(404),
        }),
    );
    // A small compressed body that inflates past the body cap.
    let bomb =
        |encoding: &'static str, body: Vec<u8>| -> Arc<dyn Fn(&Request) -> Reply + Send + Sync> {
            Arc::new(move |r: &Request| match r.target.as_str() {
                "/" => start("/bomb"),
                "/bomb" => Reply::Full {
                    status: 200,
                    headers: vec![
                        ("Content-Type".into(), "text/html".into()),
                        ("Content-Encoding".into(), encoding.into()),
                    ],
                    body: body.clone(),
                },
                _ => Reply::status(404),
            })
        };
    add("gzip", bomb("gzip", gz));
    add("brotli", bomb("br", br));
    add(
        "loop",
        Arc::new(move |r| match r.target.as_str() {
            "/" => start("/a"),
            "/a" => Reply::redirect(302, "/b"),
            "/b" => Reply::redirect(302, "/a"),
            _ => Reply::status(404),
        }),
    );
    add(
        "metadata",
        Arc::new(move |r| match r.target.as_str() {
            "/" => start("/go"),
            "/go" => Reply::redirect(302, "http://169.254.169.254/latest/meta-data/"),
            _ => Reply::status(404),
        }),
    );
    let cal = calendar_hits.clone();
    add(
        "calendar",
        Arc::new(move |r| {
            let path = r.path();
            if path == "/" || path == "/cal" {
                cal.fetch_add(1, Ordering::SeqCst);
                let n: u64 = r
                    .target
                    .split("m=")
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                // A month view links the next thirty days' views: endless.
                let links: String = (1..=30)
                    .map(|d| format!("<a href='/cal?m={}'>{d}</a>", n * 31 + d))
                    .collect();
                html(&format!("{links}{SPAM}"))
            } else {
                Reply::status(404)
            }
        }),
    );
    let session_counter = Arc::new(AtomicUsize::new(0));
    add(
        "session",
        Arc::new(move |r| {
            if r.path() == "/" || r.path().starts_with("/index.jsp") {
                let n = session_counter.fetch_add(1, Ordering::SeqCst);
                html(&format!(
                "<a href='/index.jsp;jsessionid=S{n}'>首页</a><a href='/?PHPSESSID=p{n}'>首页</a><a href='/?sid={n}&amp;x=1'>x</a>{SPAM}"
            ))
            } else {
                Reply::status(404)
            }
        }),
    );
    let busy = busy_calls.clone();
    add(
        "busy",
        Arc::new(move |r| match r.target.as_str() {
            "/" => start("/busy"),
            "/busy" => {
                if busy.fetch_add(1, Ordering::SeqCst) == 0 {
                    Reply::Full {
                        status: 429,
                        headers: vec![("Retry-After".into(), "1".into())],
                        body: b"slow down".to_vec(),
                    }
                } else {
                    html("<div hidden><a href='http://x.example/'>时时彩</a></div>")
                }
            }
            _ => Reply::status(404),
        }),
    );
    add(
        "robots500",
        Arc::new(move |r| match r.target.as_str() {
            "/robots.txt" => Reply::status(500),
            _ => start("/x"),
        }),
    );
    add(
        "mislabelled",
        Arc::new(move |r| match r.target.as_str() {
            "/" => Reply::with_type(200, "text/html; charset=utf-8", gbk_page.clone()),
            _ => Reply::status(404),
        }),
    );
    add(
        "nested",
        Arc::new(move |r| match r.target.as_str() {
            "/" => Reply::html(nested.clone()),
            _ => Reply::status(404),
        }),
    );
    add(
        "binary",
        Arc::new(move |r| match r.target.as_str() {
            "/" => start("/logo"),
            "/logo" => Reply::with_type(200, "text/html", binary.clone()),
            _ => Reply::status(404),
        }),
    );
    add(
        "huge",
        Arc::new(move |r| match r.target.as_str() {
            "/" => start("/big"),
            "/big" => Reply::Stream {
                content_type: "text/html".into(),
                chunk:
                    b"<p>0123456789 abcdefghij 0123456789 abcdefghij 0123456789 abcdefghij</p>\n"
                        .repeat(1000),
                repeat: (200 << 20) / 75_000,
            },
            _ => Reply::status(404),
        }),
    );
    add(
        "good",
        Arc::new(move |r| match r.target.as_str() {
            "/" => html(&format!(
                "<a href='/a.html'>a</a><a href='/b.html'>b</a>{SPAM}"
            )),
            "/a.html" | "/b.html" => html(SPAM),
            _ => Reply::status(404),
        }),
    );
    Farm {
        servers,
        calendar_hits,
        busy_calls,
        log,
    }
}

#[test]
fn every_fault_ends_in_bounds_with_the_right_finding() {
    let farm = farm();
    let dir = tempfile::tempdir().unwrap();
    let mut toml =
        String::from("[defaults]\nallow_private = true\ntimeout_s = 3\nmax_pages = 200\nprobes = []\ncheck_outbound = false\n\n");
    for (name, server) in &farm.servers {
        toml.push_str(&format!(
            "[[site]]\nid = \"{name}\"\nname = \"{name}\"\nurl = \"{}\"\noperator = \"ops\"\n\n",
            server.url("/")
        ));
    }
    std::fs::write(dir.path().join("sites.toml"), toml).unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_sitesweep"))
        .args(["scan", "--jsonl", "f.jsonl", "-q", "--concurrency", "16"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Bounded time: the slowest faults are cut by the 3 s request timeout
    // (plus the 1 s Retry-After); nothing waits for the 60 s stall.
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");

    let findings: Vec<serde_json::Value> = std::fs::read_to_string(dir.path().join("f.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |site: &str, rule: &str| -> Vec<&serde_json::Value> {
        findings
            .iter()
            .filter(|f| f["site"] == site && f["rule"] == rule)
            .collect()
    };
    let snippet_of = |site: &str, rule: &str| -> String {
        of(site, rule)
            .iter()
            .map(|f| f["snippet"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let truncated = |site: &str, cause: &str| {
        of(site, "crawl.truncated")
            .iter()
            .any(|f| f["term"] == cause)
    };

    // Every site's start page was read (it carries the dark link) ...
    for (name, _) in &farm.servers {
        if name == "robots500" {
            continue;
        }
        assert!(
            !of(name, "gambling-hidden").is_empty(),
            "{name} was not read: {stdout}"
        );
    }
    // ... and each fault became its finding.
    assert!(
        snippet_of("stall", "link.broken").contains("timeout"),
        "{}",
        snippet_of("stall", "link.broken")
    );
    assert!(
        truncated("trickle", "body-error")
            || snippet_of("trickle", "link.broken").contains("timeout"),
        "{findings:#?}"
    );
    assert!(!of("reset", "link.broken").is_empty());
    assert!(
        truncated("short", "body-error"),
        "lying Content-Length: {findings:#?}"
    );
    assert!(
        truncated("chunked", "body-error"),
        "broken chunking: {findings:#?}"
    );
    assert!(
        truncated("gzip", "body-cap"),
        "gzip bomb capped: {findings:#?}"
    );
    assert!(
        truncated("brotli", "body-cap"),
        "brotli bomb capped: {findings:#?}"
    );
    assert!(truncated("huge", "body-cap"), "200 MB page capped");
    assert!(snippet_of("loop", "link.broken").contains("redirect loop"));
    assert!(
        truncated("calendar", "url-pattern"),
        "endless calendar: {}",
        snippet_of("calendar", "crawl.truncated")
    );
    assert!(
        farm.calendar_hits.load(Ordering::SeqCst) <= 101,
        "calendar pages fetched: {}",
        farm.calendar_hits.load(Ordering::SeqCst)
    );
    assert!(
        !of("busy", "gambling-hidden")
            .iter()
            .all(|f| f["url"].as_str().unwrap().ends_with('/')),
        "the 429 page was retried and read"
    );
    assert_eq!(farm.busy_calls.load(Ordering::SeqCst), 2);
    assert!(snippet_of("robots500", "crawl.robots-blocked").contains("HTTP 500"));
    assert!(
        of("mislabelled", "page.decode").is_empty(),
        "GBK behind a UTF-8 label decodes cleanly"
    );
    assert!(of("binary", "page.decode").is_empty());
    // Session ids do not make pages new: `/`, `/index.jsp` and `/?x=1`
    // once each, never a second session variant of them.
    let log = farm.log.lock().unwrap().clone();
    let session_pages: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("session/") && !l.ends_with("robots.txt"))
        .collect();
    assert_eq!(session_pages.len(), 3, "{session_pages:?}");
    // Nothing was sent towards the metadata address (it is out of scope).
    assert!(!findings
        .iter()
        .any(|f| f["url"].as_str().unwrap().contains("169.254")));
    // The well-behaved site is untouched by its neighbours.
    assert_eq!(of("good", "gambling-hidden").len(), 3);
    assert!(of("good", "crawl.truncated").is_empty());

    // Bounded memory for the whole farm (bombs, 200 MB page, 100k-deep page).
    let peak: u64 = stdout
        .split("peak memory ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no peak memory in {stdout}"));
    eprintln!("fault farm: peak memory {peak} MiB, {elapsed:?}");
    assert!(peak < 200, "peak memory {peak} MiB");
}
