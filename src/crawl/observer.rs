//! How a crawl tells whoever watches it (progress bars, log lines) what it
//! is doing: the crawl owns this trait, the display implements it.

use super::records::SiteSummary;
use url::Url;

/// Told about each step of a scan.
pub trait Observer: Send + Sync {
    fn site_started(&self, site: &str, name: &str);
    fn page_done(&self, site: &str, url: &Url, pages: usize, findings: usize);
    fn site_done(&self, summary: &SiteSummary);
    fn finish(&self) {}
}

/// Says nothing (tests, `--quiet`).
pub struct Silent;

impl Observer for Silent {
    fn site_started(&self, _: &str, _: &str) {}
    fn page_done(&self, _: &str, _: &Url, _: usize, _: usize) {}
    fn site_done(&self, _: &SiteSummary) {}
}
