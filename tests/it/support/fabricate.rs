//! Scan databases written directly through the store, for report tests
//! that need exact contents (unfinished sites, hostile names, many
//! findings) without crawling anything.
#![allow(dead_code)]

use sitesweep::crawl::{PageRecord, SiteSummary};
use sitesweep::findings::{Finding, Status};
use sitesweep::page::Field;
use sitesweep::severity::Severity;
use sitesweep::store::Store;
use std::path::Path;

pub const AT: &str = "2026-11-27T05:00:00Z";

/// A site of a fabricated scan.
pub struct Site {
    pub id: String,
    pub operator: String,
    /// The crawl ended (a row in `sites`); otherwise it was cut off.
    pub done: bool,
    /// Pages stored, each with its findings.
    pub pages: Vec<(String, Vec<Finding>)>,
}

impl Site {
    pub fn new(id: &str, operator: &str, done: bool) -> Site {
        Site {
            id: id.into(),
            operator: operator.into(),
            done,
            pages: Vec::new(),
        }
    }

    /// A page with one finding of each given (rule, severity, matched, snippet).
    pub fn page(mut self, scan: &str, path: &str, hits: &[(&str, Severity, &str, &str)]) -> Site {
        let url = format!("https://{}.example.gov.cn{path}", self.id);
        let findings = hits
            .iter()
            .map(|(rule, severity, matched, snippet)| {
                finding(
                    scan,
                    &self.id,
                    &self.operator,
                    &url,
                    rule,
                    *severity,
                    matched,
                    snippet,
                )
            })
            .collect();
        self.pages.push((url, findings));
        self
    }
}

#[allow(clippy::too_many_arguments)]
pub fn finding(
    scan: &str,
    site: &str,
    operator: &str,
    url: &str,
    rule: &str,
    severity: Severity,
    matched: &str,
    snippet: &str,
) -> Finding {
    let fingerprint = sitesweep::ids::short_hash([site, url, rule, matched]);
    Finding {
        scan: scan.into(),
        site: site.into(),
        operator: operator.into(),
        url: url.into(),
        rule: rule.into(),
        title: format!("{rule} title"),
        category: "gambling".into(),
        severity,
        field: Some(Field::Text),
        hidden: false,
        matched: matched.into(),
        term: matched.into(),
        snippet: snippet.into(),
        fingerprint,
        count: 1,
        status: Status::New,
        first_seen: AT.into(),
        fetched_at: AT.into(),
        referrer: None,
        insecure_tls: false,
        probe: None,
        kind: None,
        location: None,
    }
}

/// Write a scan of `sites` into `db`, ending in `state` (`None`: left
/// `running`, as a killed scan leaves it).
pub fn write_scan(db: &Path, scan: &str, register: &str, sites: &[Site], state: Option<&str>) {
    let mut store = Store::open(db).unwrap();
    let ids: Vec<String> = sites.iter().map(|s| s.id.clone()).collect();
    // The scan ran every rule its findings name (an ignore file may name them).
    let mut rules: Vec<(String, String)> = sites
        .iter()
        .flat_map(|s| s.pages.iter().flat_map(|(_, fs)| fs.iter()))
        .filter(|f| !f.rule.contains('.'))
        .map(|f| (f.rule.clone(), "h".to_string()))
        .collect();
    rules.push(("gambling-hidden".into(), "h".into()));
    rules.sort();
    rules.dedup();
    store
        .begin_scan(scan, AT, register, "0", &rules, &ids)
        .unwrap();
    for s in sites {
        let mut summary = SiteSummary {
            site: s.id.clone(),
            name: format!("{} 网站", s.id),
            operator: s.operator.clone(),
            contact: Some("李主任".into()),
            start_url: format!("https://{}.example.gov.cn/", s.id),
            reachable: true,
            complete: true,
            ..SiteSummary::default()
        };
        for (url, findings) in &s.pages {
            let record = PageRecord {
                site: s.id.clone(),
                url: url.clone(),
                final_url: Some(url.clone()),
                status: Some(200),
                content_type: Some("text/html".into()),
                size: 1000,
                referrer: None,
                depth: 1,
                error: None,
                truncated: false,
                fetched_at: AT.into(),
                title: None,
                title_was: None,
            };
            summary.pages_fetched += 1;
            for f in findings {
                summary.count(f);
            }
            store
                .page(scan, &record, &[], findings, Some(&summary))
                .unwrap();
        }
        if s.done {
            store.site_done(scan, &summary).unwrap();
        }
    }
    if let Some(state) = state {
        store.finish_scan(scan, AT, state).unwrap();
    }
}
