//! Reports of scans as they really end up: unfinished scans, personal data
//! in disguised digits, hostile page text in every format, on the terminal
//! and in a real browser, hostile operator names, and databases that must
//! not be written to. (The golden copies of the demo's reports are checked
//! in `report_golden.rs`.)

use crate::support::fabricate;

use crate::support::server::{Reply, Request, Server};
use crate::support::{register_one_site as register, sitesweep, text};
use fabricate::{write_scan, Site};
use sitesweep::severity::Severity;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const SCAN: &str = "20261127T050000Z";

fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

fn register_of(dir: &Path, ids: &[&str], operator: &str) -> PathBuf {
    let mut toml = String::new();
    for id in ids {
        toml.push_str(&format!(
            "[[site]]\nid = \"{id}\"\nname = \"{id} 区网站\"\nurl = \"https://{id}.example.gov.cn/\"\noperator = \"{operator}\"\n\n"
        ));
    }
    let path = dir.join("sites.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

#[test]
fn an_interrupted_scan_reports_its_unfinished_sites_with_their_findings() {
    let dir = tempfile::tempdir().unwrap();
    let register = register_of(dir.path(), &["done", "cut", "never"], "办公室");
    let sites = [
        Site::new("done", "办公室", true).page(
            SCAN,
            "/",
            &[(
                "gambling-hidden",
                Severity::High,
                "六合彩",
                "友情链接 六合彩",
            )],
        ),
        // Cut off mid-crawl: pages and findings stored, no summary.
        Site::new("cut", "办公室", false)
            .page(
                SCAN,
                "/",
                &[(
                    "script.conditional-redirect",
                    Severity::Critical,
                    "document.referrer",
                    "if(document.referrer) location='http://x.example/'",
                )],
            )
            .page(
                SCAN,
                "/news/2.html",
                &[(
                    "gambling-hidden",
                    Severity::High,
                    "百家乐",
                    "隐藏链接 百家乐",
                )],
            ),
        // Selected, never started.
        Site::new("never", "办公室", false),
    ];
    let db = dir.path().join("sitesweep.db");
    write_scan(
        &db,
        SCAN,
        &register.display().to_string(),
        &sites,
        Some("interrupted"),
    );

    let out = sitesweep(&["report", "--out", "rep"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("did not finish") && stdout.contains("interrupted"),
        "{stdout}"
    );
    let base = dir.path().join("rep/办公室");

    let html = read(base.join("report.html"));
    let banner = html.find("本次检查未完成").expect("a banner says so");
    let summary = html.find("概况").unwrap();
    assert!(banner < summary, "the banner is at the top");
    assert!(html.contains("cut 区网站") && html.contains("never 区网站"));
    assert!(
        html.contains("document.referrer") && html.contains("百家乐"),
        "the unfinished site's findings are listed"
    );
    let index = read(dir.path().join("rep/index.html"));
    assert!(index.contains("本次检查未完成"), "{index}");

    let md = read(base.join("report.md"));
    let head: String = md.lines().take(6).collect::<Vec<_>>().join("\n");
    assert!(head.contains("本次检查未完成"), "{head}");
    assert!(md.contains("document.referrer") && md.contains("never 区网站"));

    let json: serde_json::Value = serde_json::from_str(&read(base.join("findings.json"))).unwrap();
    assert_eq!(json["scan_state"], "interrupted");
    assert_eq!(json["scan_finished"], false);
    let site = |id: &str| {
        json["sites"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["site"] == id)
            .unwrap_or_else(|| panic!("site {id} in {json:#}"))
            .clone()
    };
    assert_eq!(site("done")["crawl"], "complete");
    assert_eq!(site("cut")["crawl"], "unfinished");
    assert_eq!(site("cut")["complete"], false);
    assert_eq!(site("cut")["pages_fetched"], 2);
    assert_eq!(site("cut")["findings"]["critical"], 1);
    assert_eq!(site("never")["crawl"], "unfinished");
    assert_eq!(site("never")["pages_fetched"], 0);
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules.len(), 3, "{rules:?}");
    assert!(rules.contains(&"script.conditional-redirect"));

    let csv = read(base.join("findings.csv"));
    let row = csv
        .lines()
        .find(|l| l.contains("document.referrer"))
        .expect("the critical finding has a CSV row");
    assert!(row.contains("未完成"), "{row}");
    assert!(csv.lines().next().unwrap().contains("检查情况"));

    let en = sitesweep(
        &[
            "report", "--out", "rep-en", "--lang", "en", "--format", "html,md",
        ],
        dir.path(),
    );
    assert_eq!(en.status.code(), Some(0));
    let html = read(dir.path().join("rep-en/办公室/report.html"));
    assert!(html.contains("This scan did not finish"), "{html}");
    let md = read(dir.path().join("rep-en/办公室/report.md"));
    assert!(md.contains("This scan did not finish"), "{md}");
}

#[test]
fn a_scan_left_running_is_reported_as_unfinished_too() {
    let dir = tempfile::tempdir().unwrap();
    let sites = [Site::new("gov", "办公室", false).page(
        SCAN,
        "/",
        &[("gambling-hidden", Severity::High, "六合彩", "六合彩")],
    )];
    // No register file any more: the report still lists the site.
    write_scan(
        &dir.path().join("sitesweep.db"),
        SCAN,
        "/gone/sites.toml",
        &sites,
        None,
    );
    let out = sitesweep(&["report", "--out", "rep", "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&read(dir.path().join("rep/办公室/findings.json"))).unwrap();
    assert_eq!(json["scan_state"], "running");
    assert_eq!(json["sites"][0]["site"], "gov");
    assert_eq!(json["sites"][0]["crawl"], "unfinished");
    assert_eq!(json["findings"].as_array().unwrap().len(), 1);
}

const FW_ID: &str = "１１０１０５１９４９１００１００１Ｘ";
const FW_ID_MASKED: &str = "１１０１**********００１Ｘ";
const FW_MOBILE: &str = "１３８００１３８０００";
const FW_MOBILE_MASKED: &str = "１３８****８０００";

#[test]
fn full_width_digits_are_masked_in_every_report_and_in_diff() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sitesweep.db");
    let snippet = format!("公示名单 张三 身份证 {FW_ID} 电话 {FW_MOBILE}");
    let first = [Site::new("gov", "办公室", true).page(
        "20261120T050000Z",
        "/list.html",
        &[("pii-cn-id", Severity::High, FW_ID, &snippet)],
    )];
    write_scan(
        &db,
        "20261120T050000Z",
        "/gone/sites.toml",
        &first,
        Some("finished"),
    );
    let second = [Site::new("gov", "办公室", true).page(
        SCAN,
        "/list2.html",
        &[("pii-cn-mobile", Severity::High, FW_MOBILE, &snippet)],
    )];
    write_scan(&db, SCAN, "/gone/sites.toml", &second, Some("finished"));

    for scan in ["20261120T050000Z", SCAN] {
        let out = sitesweep(&["report", "--scan", scan, "--out", scan], dir.path());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        for file in ["report.html", "findings.csv", "findings.json", "report.md"] {
            let body = read(dir.path().join(scan).join("办公室").join(file));
            assert!(
                !body.contains(FW_ID) && !body.contains(FW_MOBILE),
                "{scan} {file} prints personal data whole: {body}"
            );
            assert!(
                body.contains(FW_ID_MASKED) || body.contains(FW_MOBILE_MASKED),
                "{scan} {file}: {body}"
            );
        }
    }
    let diff = sitesweep(&["diff"], dir.path());
    assert_eq!(diff.status.code(), Some(0));
    let table = text(&diff.stdout);
    assert!(
        !table.contains(FW_ID) && !table.contains(FW_MOBILE),
        "diff prints personal data whole: {table}"
    );
    assert!(table.contains(FW_ID_MASKED), "{table}");
}

const HOSTILE: &str = "<svg onload=alert(1)> | [点我](javascript:alert(1)) `code` *粗* _斜_ $x$ ~~删~~ ![图](http://x.example/t.png)\n# 标题\r\n> 引用";

/// Every `|` in a table line that is not escaped.
fn bare_pipes(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
    }
    n
}

/// Is every occurrence of `c` preceded by a backslash?
fn all_escaped(text: &str, c: char) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .all(|(i, &x)| x != c || (i > 0 && chars[i - 1] == '\\'))
}

#[test]
fn markdown_reports_escape_page_html_and_markdown_syntax() {
    let dir = tempfile::tempdir().unwrap();
    let sites = [Site::new("gov", "# 区 | 办公室 *", true).page(
        SCAN,
        "/a_b*c.html",
        &[(
            "gambling-hidden",
            Severity::High,
            "六合彩",
            &format!("六合彩 {HOSTILE}"),
        )],
    )];
    write_scan(
        &dir.path().join("sitesweep.db"),
        SCAN,
        "/gone/sites.toml",
        &sites,
        Some("finished"),
    );
    let out = sitesweep(&["report", "--out", "rep", "--format", "md"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let folder = std::fs::read_dir(dir.path().join("rep"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let md = read(folder.join("report.md"));
    assert!(
        !md.contains("<svg") && !md.contains('<'),
        "HTML is escaped: {md}"
    );
    assert!(!md.contains("]("), "no link syntax: {md}");
    for c in ['`', '*', '_', '[', ']', '$', '~', '!'] {
        assert!(all_escaped(&md, c), "{c} unescaped: {md}");
    }
    let lines: Vec<&str> = md.lines().collect();
    assert!(lines[0].starts_with("# \\#"), "{}", lines[0]);
    assert!(
        lines.iter().all(|l| !l.starts_with('>')),
        "no line of page text starts a block: {md}"
    );
    let rows: Vec<&&str> = lines.iter().filter(|l| l.starts_with('|')).collect();
    assert!(rows.len() >= 3, "{md}");
    for row in &rows {
        assert_eq!(bare_pipes(row), 6, "one cell per column: {row}");
    }
    let evidence = rows.iter().find(|r| r.contains("六合彩")).unwrap();
    assert!(
        evidence.contains("svg") && evidence.contains("标题") && evidence.contains("引用"),
        "the newlines of the snippet stay in its cell: {evidence}"
    );
}

/// Characters that must never reach a terminal from page text.
fn has_terminal_controls(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn rules_explain_strips_terminal_control_sequences_from_page_text() {
    let hostile =
        "代开发票真票\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{1b}[31m红\u{9b}1m\u{202E}txt.exe\u{0}尾";
    let dir = tempfile::tempdir().unwrap();
    // (No NUL in a command-line argument.)
    let arg = hostile.replace('\0', "");
    let text_out = sitesweep(&["rules", "explain", "--text", &arg], dir.path());
    assert_eq!(
        text_out.status.code(),
        Some(0),
        "{}",
        text(&text_out.stderr)
    );
    let shown = text(&text_out.stdout);
    assert!(shown.contains("HIT"), "{shown}");
    assert_eq!(has_terminal_controls(&shown), None, "{shown:?}");

    // (A byte-order mark: the C1 bytes would otherwise make the charset a guess.)
    std::fs::write(dir.path().join("page.txt"), format!("\u{feff}{hostile}")).unwrap();
    let file_out = sitesweep(&["rules", "explain", "--file", "page.txt"], dir.path());
    let shown = text(&file_out.stdout);
    assert!(shown.contains("HIT"), "{shown}");
    assert_eq!(has_terminal_controls(&shown), None, "{shown:?}");

    // (No NUL here: a body with NUL bytes is taken for a binary file.)
    let page = format!("<html><body><p>{arg}</p></body></html>");
    let server = Server::start(Arc::new(move |req: &Request| match req.target.as_str() {
        "/" => Reply::html(page.clone()),
        _ => Reply::status(404),
    }))
    .unwrap();
    let url_out = sitesweep(&["rules", "explain", "--url", &server.url("/")], dir.path());
    assert_eq!(url_out.status.code(), Some(0), "{}", text(&url_out.stderr));
    let shown = text(&url_out.stdout);
    assert!(shown.contains("HIT"), "{shown}");
    assert_eq!(has_terminal_controls(&shown), None, "{shown:?}");
    assert_eq!(has_terminal_controls(&text(&url_out.stderr)), None);
}

/// Percent-decode an href.
fn decode(href: &str) -> String {
    let b = href.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() + 1 {
            out.push(u8::from_str_radix(&href[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn hostile_operator_names_give_every_operator_a_safe_folder_and_working_links() {
    let emoji = "😀".repeat(64);
    let long_cjk = "区教育局办公室".repeat(30);
    let names: Vec<String> = vec![
        emoji.clone(),
        format!("{emoji}🎉"), // the same first 100 bytes
        "办公\0室".into(),
        "\u{202E}txt.exe".into(),
        "A#1 50%".into(),
        "what?".into(),
        "..".into(),
        "../..".into(),
        "区卫健委".into(),
        "区卫\u{200B}健委".into(), // differs only in a stripped character
        "Abc".into(),
        "abc".into(),
        "CON".into(),
        "a/b\\c".into(),
        long_cjk,
        "   ".into(),
        "line\nbreak\ttab\u{7f}".into(),
    ];
    let sites: Vec<Site> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            Site::new(&format!("s{i}"), name, true).page(
                SCAN,
                "/",
                &[("gambling-hidden", Severity::High, "六合彩", "六合彩")],
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    write_scan(
        &dir.path().join("sitesweep.db"),
        SCAN,
        "/gone/sites.toml",
        &sites,
        Some("finished"),
    );
    let out = sitesweep(&["report", "--out", "rep"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let rep = dir.path().join("rep");
    let folders: Vec<String> = std::fs::read_dir(&rep)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert_eq!(folders.len(), names.len(), "one folder each: {folders:#?}");
    for f in &folders {
        assert!(f.len() <= 100, "{f} is {} bytes", f.len());
        assert!(
            !f.chars().any(|c| c.is_control()
                || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
                || "#%?/\\:*\"<>|".contains(c)),
            "{f:?}"
        );
        assert!(
            !f.starts_with('.') && !f.ends_with('.') && !f.ends_with(' '),
            "{f:?}"
        );
        assert_ne!(f.to_ascii_uppercase(), "CON");
        for file in ["report.html", "findings.csv", "findings.json", "report.md"] {
            assert!(rep.join(f).join(file).is_file(), "{f}/{file}");
        }
        let html = read(rep.join(f).join("report.html"));
        assert!(!html.contains('\0') && !html.contains('\u{202E}'), "{f}");
    }
    let index = read(rep.join("index.html"));
    assert!(!index.contains('\0') && !index.contains('\u{202E}'));
    let hrefs: Vec<&str> = index
        .split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(hrefs.len(), names.len(), "{index}");
    for href in hrefs {
        assert!(
            !href.contains('#') && !href.contains('?') && !href.contains(' '),
            "{href}"
        );
        let target = rep.join(decode(href));
        assert!(target.is_file(), "{href} → {}", target.display());
    }
}

/// Bytes and modification time of a file.
fn stamp(p: &Path) -> (Vec<u8>, std::time::SystemTime) {
    (
        std::fs::read(p).unwrap(),
        std::fs::metadata(p).unwrap().modified().unwrap(),
    )
}

fn siblings(db: &Path) -> Vec<String> {
    let name = db.file_name().unwrap().to_string_lossy().into_owned();
    let mut v: Vec<String> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&name) && *n != name)
        .collect();
    v.sort();
    v
}

#[test]
fn report_and_diff_leave_a_closed_database_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sitesweep.db");
    let site = |scan: &str, path: &str| {
        [Site::new("gov", "办公室", true).page(
            scan,
            path,
            &[("gambling-hidden", Severity::High, "六合彩", "六合彩")],
        )]
    };
    write_scan(
        &db,
        "20261120T050000Z",
        "/gone/sites.toml",
        &site("20261120T050000Z", "/a"),
        Some("finished"),
    );
    write_scan(
        &db,
        SCAN,
        "/gone/sites.toml",
        &site(SCAN, "/b"),
        Some("finished"),
    );
    assert!(siblings(&db).is_empty(), "{:?}", siblings(&db));
    let before = stamp(&db);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = sitesweep(&["report", "--out", "rep"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.path().join("rep/办公室/report.html").is_file());
    let out = sitesweep(&["diff", "--json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    assert!(
        siblings(&db).is_empty(),
        "no -wal, -shm or lock file left: {:?}",
        siblings(&db)
    );
    assert!(stamp(&db) == before, "the database file is untouched");

    // A copy in a directory nobody may write to. Root may write anywhere,
    // so as root the commands run as `nobody` (through setpriv).
    use std::os::unix::fs::PermissionsExt;
    let ro = dir.path().join("read-only");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&ro).unwrap();
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::copy(&db, ro.join("sitesweep.db")).unwrap();
    for (p, mode) in [(dir.path(), 0o755), (&out_dir, 0o777), (&ro, 0o555)] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    std::fs::set_permissions(
        ro.join("sitesweep.db"),
        std::fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    let root = std::fs::write(ro.join("probe"), b"").is_ok();
    let setpriv = Path::new("/usr/bin/setpriv");
    if root && !setpriv.exists() {
        eprintln!("SKIPPED the read-only directory part: root, and no setpriv");
    } else {
        let run = |args: &[&str]| {
            let mut cmd = if root {
                let mut c = std::process::Command::new(setpriv);
                c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                    .arg(env!("CARGO_BIN_EXE_sitesweep"));
                c
            } else {
                std::process::Command::new(env!("CARGO_BIN_EXE_sitesweep"))
            };
            cmd.args(args).current_dir(&out_dir).output().unwrap()
        };
        let out = run(&[
            "report",
            "--db",
            "../read-only/sitesweep.db",
            "--out",
            "rep",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(out_dir.join("rep/办公室/report.html").is_file());
        let out = run(&["diff", "--db", "../read-only/sitesweep.db"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("new"), "{}", text(&out.stdout));
        assert!(siblings(&ro.join("sitesweep.db")).is_empty());
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn report_reads_a_killed_scans_write_ahead_log_without_writing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    std::fs::create_dir(&live).unwrap();
    let db = live.join("sitesweep.db");
    let mut store = sitesweep::store::Store::open(&db).unwrap();
    store
        .begin_scan(
            SCAN,
            fabricate::AT,
            "/gone/sites.toml",
            "0",
            &[],
            &["gov".into()],
        )
        .unwrap();
    let f = fabricate::finding(
        SCAN,
        "gov",
        "办公室",
        "https://gov.example.gov.cn/",
        "gambling-hidden",
        Severity::Critical,
        "六合彩",
        "只在日志里的发现",
    );
    store.finding(&f).unwrap();
    store
        .site_done(
            SCAN,
            &sitesweep::crawl::SiteSummary {
                site: "gov".into(),
                name: "区政府".into(),
                operator: "办公室".into(),
                reachable: true,
                complete: true,
                ..Default::default()
            },
        )
        .unwrap();
    store.finish_scan(SCAN, fabricate::AT, "finished").unwrap();
    // What a killed scan leaves: the database, its -wal holding every
    // commit so far, and the -shm, copied while the writer is still open.
    let killed = dir.path().join("killed");
    std::fs::create_dir(&killed).unwrap();
    for suffix in ["", "-wal", "-shm"] {
        std::fs::copy(
            format!("{}{suffix}", db.display()),
            killed.join(format!("sitesweep.db{suffix}")),
        )
        .unwrap();
    }
    drop(store);
    let kdb = killed.join("sitesweep.db");
    let wal = killed.join("sitesweep.db-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    let before = (stamp(&kdb), std::fs::read(&wal).unwrap());

    let out = sitesweep(&["report", "--out", "rep", "--format", "json"], &killed);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json = read(killed.join("rep/办公室/findings.json"));
    assert!(
        json.contains("只在日志里的发现"),
        "the -wal was read: {json}"
    );
    let after = (stamp(&kdb), std::fs::read(&wal).unwrap_or_default());
    assert!(after == before, "neither the database nor its -wal changed");
}

#[test]
fn report_applies_the_ignore_file_beside_the_scans_register_not_the_working_directorys() {
    let server = Server::start(Arc::new(|req: &Request| match req.target.as_str() {
        "/" => Reply::html(
            "<html><body><div hidden><a href='http://x.example/'>六合彩</a></div><p>办理代开发票，真票</p></body></html>",
        ),
        _ => Reply::status(404),
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let office = dir.path().join("office");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&office).unwrap();
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(
        office.join("sites.toml"),
        format!(
            "[[site]]\nid = \"gov\"\nname = \"区政府\"\nurl = \"{}\"\noperator = \"办公室\"\nallow_private = true\nprobes = []\ncheck_outbound = false\n",
            server.url("/")
        ),
    )
    .unwrap();
    let out = sitesweep(&["scan", "-q"], &office);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let store = sitesweep::store::Store::open(&office.join("sitesweep.db")).unwrap();
    let register = store.scans().unwrap()[0].register.clone();
    drop(store);
    assert!(Path::new(&register).is_absolute(), "{register}");
    // The register's own ignore file, and a stray one where report runs.
    std::fs::write(
        office.join("sitesweep.ignore.toml"),
        "[[ignore]]\nrule = \"gambling-hidden\"\nreason = \"已处理\"\n",
    )
    .unwrap();
    std::fs::write(
        elsewhere.join("sitesweep.ignore.toml"),
        "[[ignore]]\nrule = \"fraud-invoices\"\nreason = \"不相干的文件\"\n[[ignore]]\nrule = \"gambling-promo\"\nreason = \"不相干的文件\"\n",
    )
    .unwrap();
    let out = sitesweep(
        &[
            "report",
            "--db",
            "../office/sitesweep.db",
            "--out",
            "rep",
            "--format",
            "json",
        ],
        &elsewhere,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&read(elsewhere.join("rep/办公室/findings.json"))).unwrap();
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"gambling-hidden"), "{rules:?}");
    assert!(
        rules
            .iter()
            .any(|r| r.starts_with("fraud") || *r == "gambling-promo"),
        "the working directory's file does not apply: {rules:?}"
    );
}

#[test]
fn reports_escape_mask_neutralise_and_keep_hostile_names_inside() {
    let server = Server::start(Arc::new(|req: &Request| match req.target.as_str() {
        "/" => Reply::html(
            "<html><head><title>公示</title></head><body>\
             <table><tr><th>姓名</th><th>身份证号</th></tr><tr><td>张三</td><td>510107198008123459</td></tr></table>\
             <div hidden>=HYPERLINK(\"http://evil.example\") 六合彩 &lt;script&gt;document.title='PWNED'&lt;/script&gt;<img src=x onerror=alert(1)></div>\
             </body></html>",
        ),
        _ => Reply::status(404),
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    register(dir.path(), &server.url("/"), "../../逃逸/CON");
    assert_eq!(
        sitesweep(&["scan", "-q"], dir.path()).status.code(),
        Some(0)
    );
    let out = sitesweep(&["report", "--out", "rep"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rep = dir.path().join("rep");
    let folders: Vec<String> = std::fs::read_dir(&rep)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(folders.contains(&"index.html".to_string()));
    let folder = folders.iter().find(|f| *f != "index.html").unwrap();
    assert!(!folder.contains('/') && !folder.contains(".."), "{folder}");
    let base = rep.join(folder);
    for f in ["report.html", "findings.csv", "findings.json", "report.md"] {
        assert!(base.join(f).is_file(), "{f}");
    }
    let html = std::fs::read_to_string(base.join("report.html")).unwrap();
    assert!(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"));
    assert!(
        !html.contains("<script"),
        "no script tag, escaped or not: {html}"
    );
    assert!(
        html.contains("&lt;script&gt;") || !html.contains("script>"),
        "page text escaped"
    );
    assert!(
        !html.contains("510107198008123459") && html.contains("5101**********3459"),
        "ID masked"
    );
    let csv = std::fs::read(base.join("findings.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains("整改情况") && csv.contains("身份证"),
        "Chinese headers"
    );
    assert!(!csv.contains("510107198008123459"));
    for line in csv.lines().skip(1) {
        for cell in line.split(',') {
            let c = cell.trim_matches('"');
            assert!(
                !c.starts_with('=') && !c.starts_with('+') && !c.starts_with('@'),
                "formula cell {c:?}"
            );
        }
    }
    let en = sitesweep(
        &[
            "report", "--out", "rep-en", "--lang", "en", "--by", "site", "--format", "html,md",
        ],
        dir.path(),
    );
    assert_eq!(en.status.code(), Some(0));
    let md = std::fs::read_to_string(dir.path().join("rep-en/gov/report.md")).unwrap();
    assert!(
        md.contains("Website self-inspection report") && md.contains("5101**********3459"),
        "{md}"
    );
}

/// The report opened in a real browser: it renders, and nothing from the
/// page runs. Needs Debian's chromium (.ci/run installs it).
#[test]
fn a_report_with_hostile_text_renders_in_chromium_without_running_scripts() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        eprintln!("SKIPPED: no chromium on this machine (.ci/run installs it)");
        return;
    };
    let server = Server::start(Arc::new(|req: &Request| match req.target.as_str() {
        "/" => Reply::html(
            "<html><body><div hidden>&lt;img src=x onerror=\"document.title='PWNED'\"&gt;六合彩&lt;script&gt;document.title='PWNED'&lt;/script&gt;</div></body></html>",
        ),
        _ => Reply::status(404),
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    register(dir.path(), &server.url("/"), "区政府办公室");
    assert_eq!(
        sitesweep(&["scan", "-q"], dir.path()).status.code(),
        Some(0)
    );
    assert_eq!(
        sitesweep(&["report", "--out", "rep", "--format", "html"], dir.path())
            .status
            .code(),
        Some(0)
    );
    let page = dir.path().join("rep/区政府办公室/report.html");
    let profile = dir.path().join("chromium-profile");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=2000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = text(&out.stdout);
    assert!(
        dom.contains("网站安全自查报告"),
        "rendered: {}",
        &dom[..dom.len().min(500)]
    );
    assert!(
        dom.contains("<title>区政府办公室 网站自查报告</title>"),
        "the title was not changed by a script"
    );
    assert!(!dom.contains("PWNED</title>"));
    assert!(
        dom.contains("&lt;script&gt;document.title"),
        "the hostile text is shown as text: {dom}"
    );
}
