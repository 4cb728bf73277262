//! What the crawl produces and every later stage reads: a record of each
//! URL requested, the summary of each site's crawl, the events a crawl
//! reports while it runs, and what a resumed crawl starts from. A leaf:
//! the store, reports and progress display read these without importing
//! the crawler.

use crate::findings::Finding;
use crate::severity::Severity;
use std::time::Duration;

/// What a crawl reports while it runs.
#[derive(Clone, Debug)]
pub enum Event {
    /// A site-level finding, not tied to one page.
    Finding(Box<Finding>),
    /// A page requested, with the findings on it and the in-scope links it
    /// has (stored together, in one transaction).
    Page {
        record: Box<PageRecord>,
        findings: Vec<Finding>,
        links: Vec<String>,
        /// The site's summary including this page (stored with it, so that
        /// a resumed crawl carries on its counters).
        progress: Box<SiteSummary>,
    },
    /// A site's crawl ended.
    SiteDone(Box<SiteSummary>),
}

/// Every URL the crawl requested, and how it went.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageRecord {
    pub site: String,
    pub url: String,
    /// After redirects (absent when the request failed).
    pub final_url: Option<String>,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    /// Body bytes read (after decompression; 0 for bodies not read).
    pub size: usize,
    /// The first page that linked to it (absent for seeds).
    pub referrer: Option<String>,
    pub depth: u32,
    /// `kind: message` when the request failed.
    pub error: Option<String>,
    /// The body cap cut it.
    pub truncated: bool,
    pub fetched_at: String,
    /// An HTML page's title as compared between scans
    /// ([`crate::crawl::title_changes`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The title the page was reported changed from (`title.changed`):
    /// what the next scan compares against, so a change stays reported
    /// until the title goes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_was: Option<String>,
}

/// How a site's crawl went (docs/contract.md#reports: pages fetched, skipped, failed,
/// and whether the crawl completed).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SiteSummary {
    pub site: String,
    pub name: String,
    pub operator: String,
    #[serde(default)]
    pub contact: Option<String>,
    pub start_url: String,
    /// Where the start URL ended up after redirects.
    pub final_url: Option<String>,
    pub pages_fetched: usize,
    /// Not fetched: excluded, disallowed by robots.txt, or over a limit.
    pub pages_skipped: usize,
    /// Fetched but failed: errors, 404/410/5xx.
    pub pages_failed: usize,
    /// Answered 403 or 429 (a firewall refusing the scanner, when most do).
    #[serde(default)]
    pub pages_denied: usize,
    pub findings: usize,
    pub by_severity: [usize; 5],
    /// Read (start page fetched) at all.
    pub reachable: bool,
    /// Every page in scope was reached (no limit cut the crawl).
    pub complete: bool,
    /// Why the site was not read, or what cut the crawl.
    pub notes: Vec<String>,
    pub elapsed: Duration,
    /// The second looks that ran, with how many pages each fetched again
    /// and on how many the answer differed.
    #[serde(default)]
    pub probes: Vec<ProbeRun>,
    /// Hosts of scripts and frames from other sites (not in scope), sorted.
    #[serde(default)]
    pub script_hosts: Vec<String>,
    /// Links to other sites: the domains linked to and what was checked.
    #[serde(default)]
    pub outbound: OutboundSummary,
    /// Linked documents read (PDF, Word, spreadsheets; within the page
    /// budget, counted in `pages_fetched` too), and those that could not be.
    #[serde(default)]
    pub documents_read: usize,
    #[serde(default)]
    pub documents_unreadable: usize,
    /// Images checked (not read), and those found broken.
    #[serde(default)]
    pub images_checked: usize,
    #[serde(default)]
    pub images_broken: usize,
}

/// One probe of one site.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProbeRun {
    pub probe: String,
    /// Pages fetched again.
    pub pages: usize,
    /// Pages whose answer differed (each a `cloak.*` finding).
    pub differed: usize,
}

/// A site's links to other sites.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutboundSummary {
    /// Per registrable domain (at most [`OutboundSummary::MAX_DOMAINS`],
    /// most linked first): links to it, and how many of them hidden.
    pub domains: Vec<OutboundDomain>,
    /// Distinct outbound URLs checked, refused by the address guard, and
    /// left unchecked over `outbound_budget`.
    pub checked: usize,
    pub refused: usize,
    pub over_budget: usize,
}

impl OutboundSummary {
    pub const MAX_DOMAINS: usize = 500;
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutboundDomain {
    pub domain: String,
    pub links: usize,
    pub hidden: usize,
}

impl SiteSummary {
    pub fn count(&mut self, f: &Finding) {
        self.findings += 1;
        self.by_severity[f.severity as usize] += 1;
    }

    /// How far the crawl got, in the words the summary table and the JSON
    /// report use: `not read`, `complete` or `incomplete`.
    pub fn state(&self) -> &'static str {
        if !self.reachable {
            "not read"
        } else if self.complete {
            "complete"
        } else {
            "incomplete"
        }
    }

    pub fn worst(&self) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .rev()
            .find(|s| self.by_severity[*s as usize] > 0)
    }
}

/// What the previous scan of a site saw, for the looks that compare:
/// new script hosts, which pages are new or changed (probed first), and
/// the titles pages had.
#[derive(Clone, Debug, Default)]
pub struct Previous {
    /// An earlier scan covered the site (without one there is no baseline:
    /// no host is "new").
    pub scanned: bool,
    pub script_hosts: std::collections::HashSet<String>,
    /// Canonical URL → body size of the pages it fetched.
    pub page_sizes: std::collections::HashMap<String, usize>,
    /// Canonical URL → the page's title, and the one it was reported
    /// changed from.
    pub titles: std::collections::HashMap<String, PreviousTitle>,
}

/// A page's title as the previous scan stored it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreviousTitle {
    /// The page's address as requested (findings are about it).
    pub url: String,
    pub title: String,
    /// The title it was reported changed from (`title.changed`).
    pub was: Option<String>,
}

/// Where the crawl looks up what the previous scan saw (the store).
pub trait History: Send + Sync {
    fn previous(&self, scan: &str, site: &str) -> Previous;
}

/// What an interrupted scan had done for one site (`scan --resume`).
#[derive(Clone, Debug, Default)]
pub struct SiteResume {
    /// Pages stored, in the order they were stored.
    pub pages: Vec<DonePage>,
    /// Findings already reported (never reported twice).
    pub findings: Vec<Finding>,
    /// The site's summary as of its last stored page: counters of pages
    /// skipped and failed, notes, whether the crawl was cut.
    pub progress: Option<SiteSummary>,
}

/// A page an interrupted scan stored: what `--resume` starts from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DonePage {
    pub url: String,
    /// After redirects (absent when the request failed).
    pub final_url: Option<String>,
    pub depth: u32,
    /// The links it queued: the frontier of a resumed crawl.
    pub links: Vec<String>,
    /// Its title and the title it was reported changed from: the looks
    /// run at the site's end (`title.changed`, `title.site-brand`) count
    /// the pages read before the interruption too.
    pub title: Option<String>,
    pub title_was: Option<String>,
}
