//! What a site takes from, and points to, other sites: the hosts of its
//! third-party scripts and frames (a host the previous scan did not see is
//! `script.new-host`: a loader script carries no words at all), and its
//! links to other sites (listed per domain in reports, and checked after
//! the crawl for dead and hijacked targets).

use super::*;
use crate::page::Field;
use outbound::OutboundLink;
use records::{OutboundDomain, OutboundSummary};

/// Script and frame hosts listed per site at most.
const MAX_SCRIPT_HOSTS: usize = 200;
/// Outbound URLs remembered per site for checking, as a multiple of the
/// budget: hidden ones are checked first, so more are kept than checked.
const OUTBOUND_KEPT_PER_BUDGET: usize = 4;

/// Per site, while crawling.
#[derive(Debug, Default)]
pub(super) struct Outside {
    /// Script hosts reported as new this scan.
    new_hosts: HashSet<String>,
    /// Outbound URLs kept for checking (canonical), in the order found.
    kept: HashSet<String>,
    pub links: Vec<OutboundLink>,
    /// Domain → index in `summary.outbound.domains`.
    domains: HashMap<String, usize>,
}

impl Outside {
    /// After a resume: the domains counted before the interruption.
    pub fn reindex(&mut self, summary: &OutboundSummary) {
        self.domains = summary
            .domains
            .iter()
            .enumerate()
            .map(|(i, d)| (d.domain.clone(), i))
            .collect();
    }
}

impl Crawl<'_> {
    /// Third-party scripts and frames of a page: listed, and reported when
    /// their host is new since the previous scan and not trusted.
    pub(super) fn note_script_hosts(&mut self, page_url: &Url, sources: &[Url]) -> Vec<Finding> {
        let mut out = Vec::new();
        for src in sources {
            if self.in_scope(src) {
                continue;
            }
            let Some(host) = src.host_str().map(str::to_ascii_lowercase) else {
                continue;
            };
            let hosts = &mut self.summary.script_hosts;
            if let Err(at) = hosts.binary_search(&host) {
                if hosts.len() < MAX_SCRIPT_HOSTS {
                    hosts.insert(at, host.clone());
                }
            }
            // The first scan of a site is the baseline: nothing is new.
            if !self.previous.scanned
                || self.previous.script_hosts.contains(&host)
                || self.is_ours(src)
                || !self.outside.new_hosts.insert(host.clone())
            {
                continue;
            }
            let cause = format!(
                "a script or frame from {host}, which the previous scan of the site did not see: {src}"
            );
            out.push(self.origin.site_finding(
                SiteRule::NewScriptHost,
                page_url,
                &host,
                cause,
                None,
            ));
        }
        out
    }

    /// Links of a page to other sites, and the sources of its scripts and
    /// frames (a script from a lapsed domain is the worst link of all):
    /// counted per domain for reports, and kept for checking (hidden ones
    /// always, the rest while room lasts). A source that is also a link
    /// counts once.
    pub(super) fn note_outbound(
        &mut self,
        page_url: &Url,
        page: &crate::page::Page,
        links: &[Url],
        sources: &[Url],
    ) {
        let hidden: HashSet<String> = page
            .blocks
            .iter()
            .filter(|b| b.hidden && b.field == Field::Link)
            .filter_map(|b| urls::resolve(page_url, &b.text))
            .map(|u| urls::canonical(&u))
            .collect();
        let settings = &self.site.settings;
        let keep = settings.outbound_budget * OUTBOUND_KEPT_PER_BUDGET;
        let linked: HashSet<&str> = if sources.is_empty() {
            HashSet::new()
        } else {
            links.iter().map(Url::as_str).collect()
        };
        let sources = sources.iter().filter(|u| !linked.contains(u.as_str()));
        for link in links.iter().chain(sources) {
            if !matches!(link.scheme(), "http" | "https") || self.in_scope(link) {
                continue;
            }
            if link.host_str().is_none() {
                continue;
            }
            let key = urls::canonical(link);
            let ours = self.is_ours(link);
            // Hidden links to registered, trusted or government sites are
            // portal tab panels and menus: counted as links, not as hidden.
            let is_hidden = hidden.contains(&key) && !ours;
            let domain = urls::site_of(link);
            let summary = &mut self.summary.outbound;
            match self.outside.domains.get(&domain) {
                Some(&i) => {
                    summary.domains[i].links += 1;
                    summary.domains[i].hidden += usize::from(is_hidden);
                }
                None if summary.domains.len() < OutboundSummary::MAX_DOMAINS => {
                    self.outside
                        .domains
                        .insert(domain.clone(), summary.domains.len());
                    summary.domains.push(OutboundDomain {
                        domain,
                        links: 1,
                        hidden: usize::from(is_hidden),
                    });
                }
                None => {}
            }
            if !settings.check_outbound || ours {
                continue;
            }
            // Hidden links are kept past the room for visible ones, but not
            // without end: a site of pages with thousands of hidden links
            // each must not fill memory with URLs that will never be checked.
            let kept = self.outside.links.len();
            let room = kept < keep || (is_hidden && kept < keep * 2);
            if room && self.outside.kept.insert(key) {
                self.outside.links.push(OutboundLink {
                    url: link.clone(),
                    referrer: page_url.clone(),
                    hidden: is_hidden,
                });
            }
        }
    }

    /// Domains with hidden links first, then the most linked.
    pub(super) fn sort_outbound(&mut self) {
        self.summary.outbound.domains.sort_by(|a, b| {
            b.hidden
                .cmp(&a.hidden)
                .then(b.links.cmp(&a.links))
                .then(a.domain.cmp(&b.domain))
        });
        self.outside.domains.clear();
    }
}
