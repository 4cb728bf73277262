//! The demo scan's reports in all four formats, compared with the copies
//! under `tests/golden/demo/` after the parts that change from run to run
//! (ports, scan ids, dates, fingerprints) are replaced by placeholders.
//! The demo reads its sample sites one request at a time, so the reports
//! are the same every run. A change to any renderer shows up here as a
//! diff; to accept one on purpose:
//! `SITESWEEP_UPDATE_GOLDEN=1 cargo test --test report_golden`.

use crate::support::{sitesweep, text};

use regex::Regex;
use std::path::{Path, PathBuf};

fn normalise(text: &str) -> String {
    let rules = [
        (r"127\.0\.0\.1(:|%3A)\d+", "HOST"),
        (r"\d{8}T\d{6}Z(-\d+)?", "SCAN"),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "TIME"),
        (r"\d{4}-\d{2}-\d{2}", "DATE"),
        (r"\b[0-9a-f]{16}\b", "FINGERPRINT"),
    ];
    let mut out = text.to_string();
    for (pattern, with) in rules {
        out = Regex::new(pattern)
            .unwrap()
            .replace_all(&out, with)
            .into_owned();
    }
    out
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn the_demo_reports_match_the_golden_copies_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = sitesweep(&["demo", "--out", "demo"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let reports = dir.path().join("demo/reports");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/demo");
    let update = std::env::var_os("SITESWEEP_UPDATE_GOLDEN").is_some();
    let written = files(&reports);
    assert!(written.len() >= 17, "{written:?}");
    for file in &written {
        let rel = file.strip_prefix(&reports).unwrap();
        let now = normalise(&String::from_utf8(std::fs::read(file).unwrap()).unwrap());
        let copy = golden.join(rel);
        if update {
            std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
            std::fs::write(&copy, &now).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&copy)
            .unwrap_or_else(|e| panic!("{}: {e} (a new report file?)", copy.display()));
        if now != expected {
            let line = now
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{} differs from its golden copy at line {}:\n  now:    {}\n  golden: {}",
                rel.display(),
                line + 1,
                now.lines()
                    .nth(line)
                    .unwrap_or("")
                    .chars()
                    .take(300)
                    .collect::<String>(),
                expected
                    .lines()
                    .nth(line)
                    .unwrap_or("")
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
    }
    if !update {
        assert_eq!(
            files(&golden).len(),
            written.len(),
            "every golden copy is still written"
        );
    }
}

#[test]
fn english_reports_are_english_throughout() {
    let dir = tempfile::tempdir().unwrap();
    let out = sitesweep(&["demo", "--out", "demo"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = sitesweep(
        &[
            "report",
            "--db",
            "demo/sitesweep.db",
            "--lang",
            "en",
            "--out",
            "en",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut html = String::new();
    let mut csv = String::new();
    for f in files(&dir.path().join("en")) {
        let text = std::fs::read_to_string(&f).unwrap();
        match f.extension().and_then(|e| e.to_str()) {
            Some("html") => html += &text,
            Some("csv") => csv += &text,
            _ => {}
        }
    }
    assert!(html.contains("<html lang=\"en\">"));
    assert!(!html.contains("zh-CN"));
    for site_rule in ["site unreachable", "broken link"] {
        assert!(html.contains(site_rule), "{site_rule}");
        assert!(csv.contains(site_rule), "{site_rule}");
    }
    for chinese in ["网站无法访问", "站内死链"] {
        assert!(
            !html.contains(chinese) && !csv.contains(chinese),
            "{chinese}"
        );
    }
}
