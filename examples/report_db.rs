//! Writes a scan database with many findings, for measuring `report`.
//!
//! ```text
//! cargo run --release --example report_db -- big.db 84000 [OPERATORS] [SITES]
//! /usr/bin/time -v target/release/sitesweep report --db big.db --out rep
//! ```
//!
//! 120 sites (or as many as given) of 40 operators (or as many as given); every site has pages carrying a footer dark
//! link (one report row over many pages), a leaked ID number per page (a
//! row each), a broken link per page and one critical script finding.

use sitesweep::crawl::{PageRecord, SiteSummary};
use sitesweep::findings::{Finding, Status};
use sitesweep::page::Field;
use sitesweep::severity::Severity;
use sitesweep::store::Store;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "report-bench.db".into());
    let total: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(84_000);
    let operators: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(40);
    let site_count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(120);
    let per_operator = site_count.div_ceil(operators.clamp(1, site_count));
    let _ = std::fs::remove_file(&path);
    let mut store = Store::open(std::path::Path::new(&path)).expect("database opens");
    let scan = "20261127T050000Z";
    let at = "2026-11-27T05:00:00Z";
    let sites: Vec<String> = (0..site_count).map(|i| format!("site{i:03}")).collect();
    store
        .begin_scan(
            scan,
            at,
            "/nonexistent/sites.toml",
            "0",
            &[("gambling-hidden".into(), "h1".into())],
            &sites,
        )
        .expect("scan begins");
    // Three findings a page, plus one per site.
    let pages_per_site = (total / sites.len()).saturating_sub(1) / 3;
    let mut written = 0;
    for (i, site) in sites.iter().enumerate() {
        let operator = format!("第{}责任单位（区属机关）", i / per_operator + 1);
        let base = format!("https://{site}.example.gov.cn");
        let mut summary = SiteSummary {
            site: site.clone(),
            name: format!("{site} 门户网站"),
            operator: operator.clone(),
            contact: Some("李主任 0571-87000000".into()),
            start_url: format!("{base}/"),
            final_url: Some(format!("{base}/")),
            reachable: true,
            complete: true,
            ..SiteSummary::default()
        };
        let finding = |url: &str, rule: &str, severity, field, matched: &str, n: usize| {
            Finding {
            scan: scan.into(),
            site: site.clone(),
            operator: operator.clone(),
            url: url.into(),
            rule: rule.into(),
            title: format!("{rule} 的说明文字"),
            category: "gambling".into(),
            severity,
            field,
            hidden: field == Some(Field::Anchor),
            matched: matched.into(),
            term: matched.into(),
            snippet: format!(
                "…本站首页 政务公开 办事服务 互动交流 {matched} 友情链接 版权所有 区人民政府办公室 第{n}页 备案号 …"
            ),
            fingerprint: format!("{:016x}", (i * 1_000_003 + n * 7 + rule.len()) as u64),
            count: 1,
            status: Status::New,
            first_seen: at.into(),
            fetched_at: at.into(),
            referrer: None,
            insecure_tls: false,
            probe: None,
            kind: None,
            location: None,
        }
        };
        for p in 0..pages_per_site {
            let url = format!("{base}/xxgk/2026/{p:05}.html");
            let id = format!(
                "3301{:02}19{:02}0101{:04}",
                i % 100,
                50 + p % 50,
                p % 10_000
            );
            let mut broken = finding(
                &format!("{base}/uploads/missing-{p}.pdf"),
                "link.broken",
                Severity::Low,
                None,
                "",
                p,
            );
            broken.referrer = Some(url.clone());
            broken.snippet = "HTTP 404".into();
            let findings = vec![
                finding(
                    &url,
                    "gambling-hidden",
                    Severity::Critical,
                    Some(Field::Anchor),
                    "澳门葡京娱乐",
                    p,
                ),
                finding(
                    &url,
                    "pii-cn-id",
                    Severity::High,
                    Some(Field::Text),
                    &id,
                    p + 1,
                ),
                broken,
            ];
            let record = PageRecord {
                site: site.clone(),
                url: url.clone(),
                final_url: Some(url.clone()),
                status: Some(200),
                content_type: Some("text/html".into()),
                size: 20_000,
                referrer: None,
                depth: 1,
                error: None,
                truncated: false,
                fetched_at: at.into(),
                title: None,
                title_was: None,
            };
            for f in &findings {
                summary.count(f);
            }
            written += findings.len();
            summary.pages_fetched += 1;
            store
                .page(scan, &record, &[], &findings, Some(&summary))
                .expect("page stored");
        }
        let script = finding(
            &format!("{base}/"),
            "script.conditional-redirect",
            Severity::Critical,
            Some(Field::Script),
            "document.referrer",
            0,
        );
        summary.count(&script);
        store.finding(&script).expect("finding stored");
        written += 1;
        store.site_done(scan, &summary).expect("site stored");
    }
    store
        .finish_scan(scan, "2026-11-27T06:00:00Z", "finished")
        .expect("scan finished");
    println!(
        "{path}: scan {scan}, {} sites, {written} findings",
        sites.len()
    );
}
