//! Findings: what the scan tells an operator, one JSON object each.
//!
//! Content hits on a page collapse into one finding per fingerprint (site,
//! canonical URL, rule, field, term) with a count; site-level problems
//! (unreachable, broken links, truncated crawls …) are findings too, with
//! reserved rule ids, so a site with zero findings is a site that was read
//! and is clean.

use crate::page::{Field, Page};
use crate::rules::{Hit, RuleSet, Severity};
use crate::urls;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};
use url::Url;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub scan: String,
    pub site: String,
    pub operator: String,
    pub url: String,
    pub rule: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    /// `None` for site-level findings.
    pub field: Option<Field>,
    pub hidden: bool,
    /// The original text that hit.
    pub matched: String,
    /// The rule term that hit (a regex hit: its folded text).
    pub term: String,
    /// Text around the hit; for site-level findings, the cause.
    pub snippet: String,
    pub fingerprint: String,
    /// Hits on that page.
    pub count: u32,
    /// `new` or `persisting` (against the latest earlier scan of the site).
    pub status: String,
    pub first_seen: String,
    pub fetched_at: String,
    /// For findings about a link: the page that links to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// The site was scanned with certificate checks off (`insecure_tls`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_tls: bool,
}

/// The fixed rules of site-level findings (docs/contract.md#site-level-findings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SiteRule {
    Unreachable,
    TlsInvalid,
    HttpError,
    LinkBroken,
    Truncated,
    RobotsBlocked,
    Blocked,
    Decode,
    /// The start page answered but holds nothing to inspect (empty, or a
    /// script that sends visitors off the site).
    Unreadable,
}

impl SiteRule {
    pub const ALL: [SiteRule; 9] = [
        SiteRule::Unreachable,
        SiteRule::TlsInvalid,
        SiteRule::HttpError,
        SiteRule::LinkBroken,
        SiteRule::Truncated,
        SiteRule::RobotsBlocked,
        SiteRule::Blocked,
        SiteRule::Decode,
        SiteRule::Unreadable,
    ];

    pub fn id(self) -> &'static str {
        match self {
            SiteRule::Unreachable => "site.unreachable",
            SiteRule::TlsInvalid => "site.tls-invalid",
            SiteRule::HttpError => "site.http-error",
            SiteRule::LinkBroken => "link.broken",
            SiteRule::Truncated => "crawl.truncated",
            SiteRule::RobotsBlocked => "crawl.robots-blocked",
            SiteRule::Blocked => "crawl.blocked",
            SiteRule::Decode => "page.decode",
            SiteRule::Unreadable => "site.unreadable",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            SiteRule::Unreachable | SiteRule::HttpError | SiteRule::Unreadable => Severity::High,
            SiteRule::TlsInvalid | SiteRule::RobotsBlocked | SiteRule::Blocked => Severity::Medium,
            SiteRule::LinkBroken | SiteRule::Decode => Severity::Low,
            SiteRule::Truncated => Severity::Info,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SiteRule::Unreachable => "网站无法访问",
            SiteRule::TlsInvalid => "网站证书无效",
            SiteRule::HttpError => "网站首页返回错误",
            SiteRule::LinkBroken => "站内死链",
            SiteRule::Truncated => "检查未完成（达到限制）",
            SiteRule::RobotsBlocked => "robots.txt 禁止检查",
            SiteRule::Blocked => "网站拒绝检查请求",
            SiteRule::Decode => "页面编码无法识别",
            SiteRule::Unreadable => "网站首页无可检查内容",
        }
    }

    pub fn category(self) -> &'static str {
        match self {
            SiteRule::Unreachable
            | SiteRule::TlsInvalid
            | SiteRule::HttpError
            | SiteRule::Unreadable => "availability",
            SiteRule::LinkBroken | SiteRule::Decode => "hygiene",
            SiteRule::Truncated | SiteRule::RobotsBlocked | SiteRule::Blocked => "crawl",
        }
    }
}

/// 16 hex digits of SHA-256 over the parts, each ended by a NUL byte.
pub fn short_hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 16 hex digits of SHA-256 over site id, canonical URL, rule, field, term.
pub fn fingerprint(site: &str, url: &Url, rule: &str, field: Option<Field>, term: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        site,
        &urls::canonical(url),
        rule,
        field.map_or("", Field::name),
        term,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Who and when: the parts every finding of a site shares.
#[derive(Clone, Debug)]
pub struct Origin {
    pub scan: String,
    pub site: String,
    pub operator: String,
    pub insecure_tls: bool,
}

impl Origin {
    /// Content findings of one page: one per fingerprint, with the first
    /// hit's text and snippet, the hit count, and hidden when any hit was.
    pub fn page_findings(
        &self,
        url: &Url,
        page: &Page,
        hits: &[Hit],
        rules: &RuleSet,
        fetched_at: &str,
    ) -> Vec<Finding> {
        let mut out: Vec<Finding> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for hit in hits {
            let rule = &rules.rules[hit.rule];
            let block = &page.blocks[hit.block];
            let term = rules.term(hit);
            let fp = fingerprint(&self.site, url, &rule.id, Some(block.field), term);
            match index.get(&fp) {
                Some(&i) => {
                    out[i].count += 1;
                    out[i].hidden |= block.hidden;
                }
                None => {
                    index.insert(fp.clone(), out.len());
                    out.push(Finding {
                        scan: self.scan.clone(),
                        site: self.site.clone(),
                        operator: self.operator.clone(),
                        url: url.to_string(),
                        rule: rule.id.clone(),
                        title: rule.title.clone(),
                        category: rule.category.clone(),
                        severity: rule.severity,
                        field: Some(block.field),
                        hidden: block.hidden,
                        matched: hit.matched(page).to_string(),
                        term: term.to_string(),
                        snippet: hit.snippet(page),
                        fingerprint: fp,
                        count: 1,
                        status: "new".to_string(),
                        first_seen: fetched_at.to_string(),
                        fetched_at: fetched_at.to_string(),
                        referrer: None,
                        insecure_tls: self.insecure_tls,
                    });
                }
            }
        }
        out
    }

    /// A site-level finding. `key` tells apart findings of one rule on one
    /// URL (the cause of a truncation); `cause` is shown as the snippet.
    pub fn site_finding(
        &self,
        rule: SiteRule,
        url: &Url,
        key: &str,
        cause: String,
        referrer: Option<&Url>,
    ) -> Finding {
        let now = now_rfc3339();
        Finding {
            scan: self.scan.clone(),
            site: self.site.clone(),
            operator: self.operator.clone(),
            url: url.to_string(),
            rule: rule.id().to_string(),
            title: rule.title().to_string(),
            category: rule.category().to_string(),
            severity: rule.severity(),
            field: None,
            hidden: false,
            matched: String::new(),
            term: key.to_string(),
            snippet: cause,
            fingerprint: fingerprint(&self.site, url, rule.id(), None, key),
            count: 1,
            status: "new".to_string(),
            first_seen: now.clone(),
            fetched_at: now,
            referrer: referrer.map(Url::to_string),
            insecure_tls: self.insecure_tls,
        }
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn parts(t: SystemTime) -> (i64, u32, u32, u64, u64, u64) {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, m, d) = civil((secs / 86_400) as i64);
    let s = secs % 86_400;
    (y, m, d, s / 3600, s / 60 % 60, s % 60)
}

/// `2026-11-27T05:00:00Z`
pub fn rfc3339(t: SystemTime) -> String {
    let (y, m, d, hh, mm, ss) = parts(t);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// A scan id: `20261127T050000Z`.
pub fn scan_id(t: SystemTime) -> String {
    let (y, m, d, hh, mm, ss) = parts(t);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_755_600); // 2026-11-27T05:00:00Z
        assert_eq!(rfc3339(t), "2026-11-27T05:00:00Z");
        assert_eq!(scan_id(t), "20261127T050000Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn fingerprints_ignore_scheme_fragment_session_and_query_order() {
        let a = Url::parse("https://edu.example.gov.cn/n/1.html?b=2&a=1&jsessionid=x#top").unwrap();
        let b = Url::parse("http://edu.example.gov.cn/n/1.html?a=1&b=2").unwrap();
        let f = |u: &Url| fingerprint("edu", u, "gambling-terms", Some(Field::Anchor), "百家乐");
        assert_eq!(f(&a), f(&b));
        assert_eq!(f(&a).len(), 16);
        assert_ne!(
            f(&a),
            fingerprint("edu", &a, "gambling-terms", Some(Field::Text), "百家乐")
        );
        assert_ne!(
            f(&a),
            fingerprint("edu2", &a, "gambling-terms", Some(Field::Anchor), "百家乐")
        );
    }
}
