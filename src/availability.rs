//! Home-page availability, as the national inspection rule counts it: the
//! home page probed at least 20 times a day for a week, a probe failing or
//! taking 15 s or more counting against the site; 5% or more is a veto.
//! `serve` probes each site about once an hour (24 a day), each at its own
//! minute of the hour, and judges the last 7 days:
//!
//! - **high** when 5% or more of the probes failed (the veto line),
//! - **medium** from 3% (where monitoring vendors warn),
//! - **no verdict** with fewer than [`MIN_PROBES`] probes in the window:
//!   one day's worth at the rule's minimum rate. Below that one failure
//!   weighs 5% or more by itself, so a verdict would be a coin toss; a
//!   service that has run less than a day (or a site added today) is not
//!   judged. Until a whole week is in, the verdict says over how many
//!   probes and since when it was made.
//!
//! The arithmetic is in integers (failed × 100 against probes × percent),
//! so 1 in 20 is exactly 5%.

use crate::crawl::fetch::Fetcher;
use crate::findings::{Finding, Origin, SiteRule};
use crate::register::Site;
use crate::severity::Severity;
use crate::store::ProbeRow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A probe taking this long or longer counts as failed, and is cut here.
pub const LIMIT: Duration = Duration::from_secs(15);
/// How far back the verdict looks.
pub const WINDOW: Duration = Duration::from_secs(7 * 86_400);
/// Fewer probes than this in the window: no verdict.
pub const MIN_PROBES: usize = 20;
/// Failed share (percent) from which the finding is high.
pub const HIGH_PERCENT: usize = 5;
/// …and medium.
pub const MEDIUM_PERCENT: usize = 3;
/// How often each site is probed.
pub const INTERVAL: Duration = Duration::from_secs(3600);

/// What the window's probes say.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub probes: usize,
    /// Failed or too slow.
    pub failed: usize,
    /// Of those, answered but in 15 s or more.
    pub slow: usize,
    /// The first probe in the window (Unix seconds), if any.
    pub since: Option<i64>,
    /// `None`: fine, or too few probes to judge ([`Verdict::judged`]).
    pub severity: Option<Severity>,
}

impl Verdict {
    /// Enough probes to judge.
    pub fn judged(&self) -> bool {
        self.probes >= MIN_PROBES
    }

    /// Failed share in percent (for people; the verdict uses integers).
    pub fn percent(&self) -> f64 {
        if self.probes == 0 {
            0.0
        } else {
            self.failed as f64 * 100.0 / self.probes as f64
        }
    }
}

/// Does a probe count against the site?
pub fn counts_as_failed(p: &ProbeRow) -> bool {
    !p.ok || p.elapsed_ms >= LIMIT.as_millis() as u64
}

/// Unix seconds of an instant.
pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Where the window starts, for a verdict made at `now`.
pub fn window_start(now: SystemTime) -> i64 {
    unix(now) - WINDOW.as_secs() as i64
}

/// Judge the probes of one site made in the window ending at `now`
/// (probes outside it are left out).
pub fn judge(probes: &[ProbeRow], now: SystemTime) -> Verdict {
    let (from, to) = (window_start(now), unix(now));
    let inside: Vec<&ProbeRow> = probes
        .iter()
        .filter(|p| p.at >= from && p.at <= to)
        .collect();
    let failed = inside.iter().filter(|p| counts_as_failed(p)).count();
    let slow = inside
        .iter()
        .filter(|p| p.ok && p.elapsed_ms >= LIMIT.as_millis() as u64)
        .count();
    let n = inside.len();
    let severity = if n < MIN_PROBES {
        None
    } else if failed * 100 >= HIGH_PERCENT * n {
        Some(Severity::High)
    } else if failed * 100 >= MEDIUM_PERCENT * n {
        Some(Severity::Medium)
    } else {
        None
    };
    Verdict {
        probes: n,
        failed,
        slow,
        since: inside.iter().map(|p| p.at).min(),
        severity,
    }
}

/// The `site.availability` finding of a verdict, for a scan of the site
/// (none when the verdict is fine or not made).
pub fn finding(site: &Site, scan: &str, verdict: &Verdict, now: SystemTime) -> Option<Finding> {
    let severity = verdict.severity?;
    let origin = Origin {
        scan: scan.to_string(),
        site: site.id.clone(),
        operator: site.operator.clone(),
        insecure_tls: false,
    };
    let since = verdict
        .since
        .map(|s| crate::time::rfc3339(UNIX_EPOCH + Duration::from_secs(s.max(0) as u64)))
        .unwrap_or_default();
    let partial = if verdict.probes < MIN_PROBES * 7 {
        format!(" (less than a week of probes, since {since})")
    } else {
        String::new()
    };
    let cause = format!(
        "{} of {} home-page probes in the last 7 days failed or took 15 s or more ({:.1}%; {} answered but slowly){partial}; {}% or more is {}",
        verdict.failed,
        verdict.probes,
        verdict.percent(),
        verdict.slow,
        if severity == Severity::High { HIGH_PERCENT } else { MEDIUM_PERCENT },
        severity
    );
    let mut f = origin.site_finding(SiteRule::Availability, &site.url, "", cause, None);
    f.severity = severity;
    let at = crate::time::rfc3339(now);
    f.fetched_at = at.clone();
    f.first_seen = at;
    Some(f)
}

/// Did the site just become unreachable? `newest_first` are its last
/// probes: the last [`DOWN_AFTER`] failed and the one before them did
/// not (or there is none), so an outage is told once, not every hour.
pub fn became_unreachable(newest_first: &[ProbeRow]) -> bool {
    newest_first.len() >= DOWN_AFTER
        && newest_first[..DOWN_AFTER].iter().all(|p| !p.ok)
        && newest_first.get(DOWN_AFTER).is_none_or(|p| p.ok)
}

/// Failed probes in a row before a site is said to be down (one failed
/// probe is often a blip).
pub const DOWN_AFTER: usize = 2;

/// The second of each hour at which a site is probed: spread over the
/// hour by its id, the same every run.
pub fn slot(site: &str) -> u64 {
    let h = crate::ids::short_hash([site]);
    u64::from_str_radix(&h[..8], 16).unwrap_or(0) % INTERVAL.as_secs()
}

/// The site's first probe time strictly after `t`.
pub fn next_probe_after(site: &str, t: SystemTime) -> SystemTime {
    let secs = unix(t).max(0) as u64;
    let hour = INTERVAL.as_secs();
    let mut at = secs - secs % hour + slot(site);
    if at <= secs {
        at += hour;
    }
    UNIX_EPOCH + Duration::from_secs(at)
}

/// A probe's row, and the home page's title when it answered with HTML
/// (compared with the last scan's: [`crate::crawl::title_changes`]).
#[derive(Clone, Debug)]
pub struct Probed {
    pub row: ProbeRow,
    pub title: Option<String>,
}

/// Probe a site's home page once: one GET of its start URL (https then
/// http for a bare host, redirects followed) through the scanner's
/// fetcher and SSRF guard, cut at [`LIMIT`]. Ok: an answer below 400 in
/// under 15 s. An HTML answer's title is read too.
pub async fn probe(site: &Site, at: SystemTime) -> Probed {
    let mut settings = site.settings.clone();
    settings.timeout_s = LIMIT.as_secs();
    let started = std::time::Instant::now();
    let result = match Fetcher::new(&settings) {
        Err(e) => Err(e),
        Ok(fetcher) => {
            let fetch = async {
                let first = fetcher.fetch(&site.url, &|_: &url::Url| true).await;
                if site.try_http {
                    fetcher.http_fallback(site.url.clone(), first).await.1
                } else {
                    first
                }
            };
            match tokio::time::timeout(LIMIT + Duration::from_secs(1), fetch).await {
                Ok(r) => r.map_err(|e| format!("{}: {}", e.kind.name(), e.message)),
                Err(_) => Err("timeout: no answer within 15 s".to_string()),
            }
        }
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let title = match &result {
        Ok(f) if (200..300).contains(&f.status) => home_title(f),
        _ => None,
    };
    let (ok, status, error) = match result {
        Ok(f) if f.status < 400 => (elapsed_ms < LIMIT.as_millis() as u64, Some(f.status), None),
        Ok(f) => (false, Some(f.status), Some(format!("HTTP {}", f.status))),
        Err(e) => (false, None, Some(e)),
    };
    Probed {
        row: ProbeRow {
            site: site.id.clone(),
            at: unix(at),
            ok,
            elapsed_ms,
            status,
            error,
        },
        title,
    }
}

/// The title of an HTML answer, read as the crawl reads a page.
fn home_title(f: &crate::crawl::fetch::Fetched) -> Option<String> {
    use crate::analyse::{read, Body, Kind};
    let body = Body {
        url: &f.final_url,
        bytes: &f.body,
        content_type: f.content_type.as_deref(),
        truncated: f.truncated,
        max_document: 0,
    };
    (Kind::of(&body) == Kind::Html)
        .then(|| crate::crawl::title_changes::stored_title(&read(&body, Kind::Html).page))
        .flatten()
}

/// A home page whose title is not the one the last scan of the site read
/// (hourly, between scans): a finding to tell, not stored — the next scan
/// decides (`title.changed`).
pub fn retitled(site: &Site, last_scan: &str, now: &str) -> Option<Finding> {
    let change = crate::crawl::title_changes::compare(last_scan, now)?;
    let origin = Origin::of_site("", site);
    let cause = format!(
        "每小时首页监测：首页标题与上次扫描时不同：原为“{last_scan}”，现为“{now}”（{}）",
        change.described()
    );
    let mut f = origin.site_finding(SiteRule::TitleChanged, &site.url, now, cause, None);
    f.matched = change.added;
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600;

    /// A simulated week: one probe an hour for `hours` hours ending at
    /// `end`, the probes at the given hour indices failing (or slow).
    fn week(end: i64, hours: usize, failing: &[usize], slow: &[usize]) -> Vec<ProbeRow> {
        (0..hours)
            .map(|i| ProbeRow {
                site: "edu".into(),
                at: end - (hours - 1 - i) as i64 * HOUR,
                ok: !failing.contains(&i),
                elapsed_ms: if slow.contains(&i) { 15_000 } else { 800 },
                status: Some(200),
                error: None,
            })
            .collect()
    }

    fn at(secs: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    }

    #[test]
    fn a_week_of_hourly_probes_judged_at_3_and_5_percent() {
        let end = 1_795_755_600; // 2026-11-27T05:00:00Z
        let now = at(end);
        // 168 probes: 5% is 8.4, so 9 failures are high, 8 are medium
        // (4.8%), 6 are medium (3.6%), 5 are fine (2.98%).
        let cases = [
            (9, Some(Severity::High)),
            (8, Some(Severity::Medium)),
            (6, Some(Severity::Medium)),
            (5, None),
            (0, None),
        ];
        for (n, want) in cases {
            let failing: Vec<usize> = (0..n).map(|i| i * 17).collect();
            let v = judge(&week(end, 168, &failing, &[]), now);
            assert_eq!((v.probes, v.failed), (168, n));
            assert_eq!(v.severity, want, "{n} failed");
        }
        // A probe of exactly 15 s counts as failed, 14.999 s does not.
        let mut probes = week(end, 168, &[], &[1, 2, 3, 4, 5]);
        let v = judge(&probes, now);
        assert_eq!((v.failed, v.slow, v.severity), (5, 5, None));
        probes[6].elapsed_ms = 15_000;
        probes[7].elapsed_ms = 14_999;
        let v = judge(&probes, now);
        assert_eq!((v.failed, v.severity), (6, Some(Severity::Medium)));
    }

    #[test]
    fn only_the_last_seven_days_count() {
        let end = 1_795_755_600;
        // 14 days of probes; the first week failed throughout.
        let failing: Vec<usize> = (0..168).collect();
        let probes = week(end, 336, &failing, &[]);
        let v = judge(&probes, at(end));
        assert_eq!((v.probes, v.failed, v.severity), (169, 1, None));
        // A day earlier the bad week is still partly inside.
        let v = judge(&probes, at(end - 24 * HOUR));
        assert_eq!(v.severity, Some(Severity::High));
    }

    #[test]
    fn fewer_than_twenty_probes_are_not_judged_and_twenty_are() {
        let end = 1_795_755_600;
        let v = judge(&week(end, 19, &[0, 1, 2], &[]), at(end));
        assert_eq!((v.probes, v.severity), (19, None));
        assert!(!v.judged());
        // 1 failure in 20 is exactly 5%: high.
        let v = judge(&week(end, 20, &[3], &[]), at(end));
        assert!(v.judged());
        assert_eq!(v.severity, Some(Severity::High));
        let v = judge(&week(end, 40, &[3], &[]), at(end));
        assert_eq!(v.severity, None, "2.5%");
        let v = judge(&week(end, 33, &[3], &[]), at(end));
        assert_eq!(v.severity, Some(Severity::Medium), "3.03%");
    }

    #[test]
    fn the_finding_says_how_many_and_since_when() {
        let reg = crate::register::Register::from_sites(
            "sites.toml".into(),
            vec![crate::register::Site {
                id: "edu".into(),
                name: "区教育局".into(),
                url: url::Url::parse("https://edu.example.gov.cn/").unwrap(),
                try_http: false,
                operator: "区教育局办公室".into(),
                contact: None,
                tags: Vec::new(),
                extra_urls: Vec::new(),
                exclude: Vec::new(),
                settings: Default::default(),
                email: None,
                line: 1,
            }],
        );
        let end = 1_795_755_600;
        let v = judge(&week(end, 48, &[1, 5], &[]), at(end));
        let f = finding(&reg.sites[0], "20261127T050000Z", &v, at(end)).unwrap();
        assert_eq!(f.rule, "site.availability");
        assert_eq!(f.severity, Severity::Medium);
        assert!(
            f.snippet.starts_with(
                "2 of 48 home-page probes in the last 7 days failed or took 15 s or more (4.2%"
            ),
            "{}",
            f.snippet
        );
        assert!(f.snippet.contains("less than a week"), "{}", f.snippet);
        let fine = judge(&week(end, 48, &[], &[]), at(end));
        assert!(finding(&reg.sites[0], "x", &fine, at(end)).is_none());
    }

    #[test]
    fn an_outage_is_told_once() {
        let p = |ok| ProbeRow {
            site: "edu".into(),
            at: 0,
            ok,
            elapsed_ms: 1,
            status: None,
            error: None,
        };
        // Newest first.
        assert!(
            !became_unreachable(&[p(false), p(true)]),
            "one failure is a blip"
        );
        assert!(became_unreachable(&[p(false), p(false), p(true)]));
        assert!(became_unreachable(&[p(false), p(false)]));
        assert!(
            !became_unreachable(&[p(false), p(false), p(false)]),
            "already told"
        );
    }

    #[test]
    fn probes_are_spread_over_the_hour_at_a_fixed_second() {
        let t = at(1_795_755_600);
        for site in ["edu", "hospital", "gov"] {
            let next = next_probe_after(site, t);
            let gap = next.duration_since(t).unwrap();
            assert!(gap > Duration::ZERO && gap <= INTERVAL, "{site}: {gap:?}");
            assert_eq!(unix(next) as u64 % 3600, slot(site));
            // The one after is an hour later: 24 a day.
            assert_eq!(next_probe_after(site, next), next + INTERVAL);
        }
        assert_ne!(slot("edu"), slot("hospital"));
    }
}
