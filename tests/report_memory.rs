//! `report` works one report at a time: its memory follows the largest
//! report, not the whole scan. Measured with a counting allocator (not a
//! clock), so the test is exact and quick.

#[path = "it/support/fabricate.rs"]
mod fabricate;

use fabricate::{write_scan, Site};
use sitesweep::report::{By, Format, Lang};
use sitesweep::severity::Severity;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SCAN: &str = "20261127T050000Z";

/// `operators` operators, each with 2 sites of `pages` pages; every page
/// has a repeated dark link (one row), a leaked ID (a row each) and a
/// broken link; the second site of every operator is ignored by rule.
fn database(dir: &Path, operators: usize, pages: usize) -> std::path::PathBuf {
    let mut sites = Vec::new();
    for o in 0..operators {
        for s in 0..2 {
            let id = format!("op{o}-s{s}");
            let mut site = Site::new(&id, &format!("第{o}责任单位"), true);
            for p in 0..pages {
                let idno = format!("33010219{:02}0101{:04}", 50 + o, p);
                let footer = "…首页 政务公开 办事服务 互动交流 澳门葡京娱乐 友情链接 版权所有 区人民政府办公室 备案号…".repeat(2);
                site = site.page(
                    SCAN,
                    &format!("/xxgk/{p}.html"),
                    &[
                        (
                            "gambling-hidden",
                            Severity::Critical,
                            "澳门葡京娱乐",
                            &footer,
                        ),
                        (
                            "pii-cn-id",
                            Severity::High,
                            &idno,
                            &format!("名单 张三 {idno} 住址 某某路某某号"),
                        ),
                        (
                            if s == 1 {
                                "hygiene-test-page"
                            } else {
                                "link.broken"
                            },
                            Severity::Low,
                            "",
                            "HTTP 404",
                        ),
                    ],
                );
            }
            sites.push(site);
        }
    }
    let db = dir.join("sitesweep.db");
    write_scan(
        &db,
        SCAN,
        &dir.join("sites.toml").display().to_string(),
        &sites,
        Some("finished"),
    );
    std::fs::write(
        dir.join("sitesweep.ignore.toml"),
        "[[ignore]]\nrule = \"hygiene-test-page\"\nreason = \"测试页已下线\"\n",
    )
    .unwrap();
    db
}

/// Peak bytes allocated while `report` runs over `db`.
fn report_peak(dir: &Path, db: &Path) -> usize {
    let out = dir.join("rep");
    let options = sitesweep::report::Options {
        scan: None,
        by: By::Operator,
        formats: vec![Format::Html, Format::Csv, Format::Json, Format::Md],
        out,
        lang: Lang::Zh,
        ignore: None,
        operators: None,
        extra_ignore: Vec::new(),
    };
    let base = NOW.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    sitesweep::report::from_database(db, &options).unwrap();
    PEAK.load(Ordering::SeqCst) - base
}

#[test]
fn report_memory_follows_the_largest_report_not_the_whole_scan() {
    const PAGES: usize = 150;
    let one = tempfile::tempdir().unwrap();
    let db = database(one.path(), 1, PAGES);
    let peak_one = report_peak(one.path(), &db);

    let many = tempfile::tempdir().unwrap();
    let db = database(many.path(), 8, PAGES);
    let peak_many = report_peak(many.path(), &db);

    // Every report is complete and counted right.
    let rep = many.path().join("rep");
    for o in 0..8 {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(rep.join(format!("第{o}责任单位/findings.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(
            json["findings"].as_array().unwrap().len(),
            2 * PAGES * 3 - PAGES
        );
        let sites = json["sites"].as_array().unwrap();
        assert_eq!(sites.len(), 2);
        assert_eq!(sites[0]["findings"]["critical"], PAGES);
        assert_eq!(sites[0]["findings"]["high"], PAGES);
        assert_eq!(sites[0]["findings"]["low"], PAGES);
        assert_eq!(sites[1]["findings"]["low"], 0);
        assert_eq!(sites[1]["ignored"], PAGES);
        let csv = std::fs::read_to_string(rep.join(format!("第{o}责任单位/findings.csv"))).unwrap();
        assert_eq!(csv.lines().count(), 1 + 2 * PAGES * 3 - PAGES);
        let html = std::fs::read_to_string(rep.join(format!("第{o}责任单位/report.html"))).unwrap();
        assert_eq!(
            html.matches("<tr><td class=\"sev-").count(),
            2 * (1 + PAGES) + 1,
            "the dark link is one row per site, each ID a row, broken links one row"
        );
    }
    let index = std::fs::read_to_string(rep.join("index.html")).unwrap();
    assert_eq!(index.matches("report.html").count(), 8);

    eprintln!("peak: 1 operator {peak_one} bytes, 8 operators {peak_many} bytes");
    assert!(
        peak_many < peak_one * 2,
        "eight operators' reports take {peak_many} bytes at peak, one takes {peak_one}: \
         memory grows with the scan, not the largest report"
    );
}
