//! Links to other sites (`check_outbound`): each distinct URL a site links
//! to outside its scope is requested once, through a client that never
//! reaches private addresses, following redirects anywhere but no further
//! links, and judged:
//!
//! - `link.outbound-dead`: nothing answers for the name any more (it does
//!   not resolve, the connection is refused, or connecting times out);
//! - `link.outbound-hijacked`: it lands on another registrable domain, or
//!   its landing page hits a gambling, porn or fraud rule — the expired
//!   partner domain bought by a casino answers 200 and link checkers pass
//!   it (docs/design-notes.md, "Expired outbound domains").
//!
//! A landing accepted by `ours` (the site itself, a registered or trusted
//! site, a government domain) is never a hijack: moving to a government
//! portal is what partner sites do, such a page is inspected by its own
//! scan when it is registered, and government warnings quote the spam
//! they warn about.
//!
//! The crawl collects the links (not in scope, not trusted) and calls
//! [`check`] once per site after its pages; the findings go out like the
//! crawl's, the counts into the site's summary.

use super::fetch::{ErrorKind, FetchError, Fetched, Fetcher};
use super::guard;
use crate::findings::{Finding, Origin, SiteRule};
use crate::register::Settings;
use crate::rules::RuleSet;
use crate::urls;
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// Outbound requests in flight at once for one site (and at most one per host).
pub const CONCURRENCY: usize = 4;

/// Rule categories whose hit on a landing page makes the link hijacked.
pub const SPAM_CATEGORIES: [&str; 3] = ["gambling", "porn", "fraud"];

/// Below this many URLs checked, all of them failing before any answer is
/// believed; from it on, that is taken for the scanning machine's own DNS
/// or internet access failing (an intranet scanner), not for every partner
/// of the site having lapsed at once.
const ALL_DEAD_SUSPECT: usize = 3;

/// A link from a page of the site to another site.
#[derive(Clone, Debug)]
pub struct OutboundLink {
    pub url: Url,
    /// The page linking to it (the finding's `referrer`).
    pub referrer: Url,
    /// The link is in hidden content (checked first; findings say so).
    pub hidden: bool,
}

/// A registrable domain the site links to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundDomain {
    /// Registrable domain ([`urls::site_of`]): `example.com.cn`, or an IP.
    pub domain: String,
    /// Distinct URLs on it linked to.
    pub urls: usize,
    /// Of those, linked to from hidden content.
    pub hidden: usize,
}

/// What checking a site's outbound links found, for its findings and its
/// summary.
#[derive(Clone, Debug, Default)]
pub struct OutboundReport {
    /// `link.outbound-dead` and `link.outbound-hijacked`, at most one per
    /// distinct URL, with `referrer` and `hidden` of the link.
    pub findings: Vec<Finding>,
    /// Links handed in.
    pub links: usize,
    /// Distinct URLs among them (canonical form, [`urls::canonical`]).
    pub distinct: usize,
    /// URLs requested (each counts against `outbound_budget`).
    pub checked: usize,
    /// URLs not fetched because the SSRF guard refused their target: an IP
    /// literal of a private, loopback or link-local address (refused before
    /// any request, not counted against the budget), or a name or redirect
    /// leading to one (counted in `checked` too). Never a finding.
    pub refused: usize,
    /// Distinct URLs left unchecked over `outbound_budget`.
    pub over_budget: usize,
    pub dead: usize,
    pub hijacked: usize,
    /// Requested but neither answered nor dead: TLS errors, timeouts after
    /// connecting, redirect loops, … (nothing could be judged).
    pub failed: usize,
    /// Every distinct URL's registrable domain (checked or not), most
    /// linked first.
    pub domains: Vec<OutboundDomain>,
    /// For the site's summary: the budget cut, failures, a client that
    /// could not be built, dead links not believed.
    pub notes: Vec<String>,
    pub elapsed: Duration,
}

impl OutboundReport {
    /// One line for a site's summary.
    pub fn summary_line(&self) -> String {
        format!(
            "links to other sites: {} URLs on {} domains, {} checked ({} dead, {} hijacked, {} failed), {} refused as private targets, {} over outbound_budget",
            self.distinct,
            self.domains.len(),
            self.checked,
            self.dead,
            self.hijacked,
            self.failed,
            self.refused,
            self.over_budget
        )
    }
}

/// How one URL fared.
enum Verdict {
    Fine,
    Refused,
    Dead(Finding),
    Hijacked(Finding),
    Failed(FetchError),
}

/// Check a site's links to other sites: each distinct URL once, hidden
/// links first then in the order given, at most `settings.outbound_budget`
/// of them, [`CONCURRENCY`] at a time and one at a time per host, through
/// [`Fetcher::outbound`]. `ours` accepts landings that are never hijacks
/// (the site's scope, registered and trusted sites, government domains).
pub async fn check(
    links: Vec<OutboundLink>,
    settings: &Settings,
    origin: &Origin,
    rules: Arc<RuleSet>,
    ours: Arc<dyn Fn(&Url) -> bool + Send + Sync>,
) -> OutboundReport {
    check_within(links, settings, origin, rules, ours, TIME_BUDGET).await
}

/// [`check`] within another time budget (tests).
pub async fn check_within(
    links: Vec<OutboundLink>,
    settings: &Settings,
    origin: &Origin,
    rules: Arc<RuleSet>,
    ours: Arc<dyn Fn(&Url) -> bool + Send + Sync>,
    budget: std::time::Duration,
) -> OutboundReport {
    let started = Instant::now();
    let mut report = OutboundReport {
        links: links.len(),
        ..OutboundReport::default()
    };
    // One entry per canonical URL: the first link to it, hidden if any is.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut distinct: Vec<OutboundLink> = Vec::new();
    for link in links {
        match index.get(&urls::canonical(&link.url)) {
            Some(&i) => distinct[i].hidden |= link.hidden,
            None => {
                index.insert(urls::canonical(&link.url), distinct.len());
                distinct.push(link);
            }
        }
    }
    report.distinct = distinct.len();
    report.domains = domains(&distinct);
    // Hidden links first (a dark-link block is what matters most), then in
    // page order; the sort is stable.
    distinct.sort_by_key(|l| !l.hidden);
    let mut chosen = Vec::new();
    let mut left_over: Option<Url> = None;
    for link in distinct {
        // An IP literal is never looked up, so the resolver cannot refuse
        // it: refuse it here, before the budget (it costs nothing).
        if guard::check_url(&link.url, false).is_err() {
            report.refused += 1;
        } else if chosen.len() < settings.outbound_budget {
            chosen.push(link);
        } else {
            report.over_budget += 1;
            left_over.get_or_insert(link.url);
        }
    }
    if let Some(example) = left_over {
        report.notes.push(format!(
            "outbound_budget ({}) reached: {} more links to other sites not checked, e.g. {example}",
            settings.outbound_budget, report.over_budget
        ));
    }
    if chosen.is_empty() {
        report.elapsed = started.elapsed();
        return report;
    }
    let fetcher = match Fetcher::outbound(settings) {
        Ok(f) => f,
        Err(e) => {
            report
                .notes
                .push(format!("links to other sites not checked: {e}"));
            report.elapsed = started.elapsed();
            return report;
        }
    };
    let (verdicts, unchecked) = run(chosen, &fetcher, origin, &rules, &ours, budget).await;
    report.checked = verdicts.len();
    if unchecked > 0 {
        report.over_budget += unchecked;
        report.notes.push(format!(
            "outbound checks stopped after {} s: {unchecked} links to other sites not checked",
            budget.as_secs()
        ));
    }
    let mut dead = Vec::new();
    let mut first_failure = None;
    for verdict in verdicts {
        match verdict {
            Verdict::Fine => {}
            Verdict::Refused => report.refused += 1,
            Verdict::Dead(f) => dead.push(f),
            Verdict::Hijacked(f) => {
                report.hijacked += 1;
                report.findings.push(f);
            }
            Verdict::Failed(e) => {
                report.failed += 1;
                first_failure.get_or_insert(e);
            }
        }
    }
    if dead.len() >= ALL_DEAD_SUSPECT && dead.len() == report.checked {
        report.failed += dead.len();
        report.notes.push(format!(
            "none of the {} links to other sites checked answered (e.g. {}): this machine's DNS or internet access is suspected, so none is reported dead",
            dead.len(),
            dead[0].snippet
        ));
    } else {
        report.dead = dead.len();
        report.findings.extend(dead);
    }
    if let Some(e) = first_failure {
        report.notes.push(format!(
            "{} links to other sites could not be judged, e.g. {}: {e}",
            report.failed,
            e.kind.name()
        ));
    }
    report.elapsed = started.elapsed();
    report
}

/// Registrable domains of distinct links, most linked first.
fn domains(links: &[OutboundLink]) -> Vec<OutboundDomain> {
    let mut by: HashMap<String, OutboundDomain> = HashMap::new();
    for link in links {
        let domain = urls::site_of(&link.url);
        let d = by.entry(domain.clone()).or_insert(OutboundDomain {
            domain,
            urls: 0,
            hidden: 0,
        });
        d.urls += 1;
        d.hidden += usize::from(link.hidden);
    }
    let mut out: Vec<OutboundDomain> = by.into_values().collect();
    out.sort_by(|a, b| b.urls.cmp(&a.urls).then_with(|| a.domain.cmp(&b.domain)));
    out
}

/// Request the chosen links, [`CONCURRENCY`] at once and one per host.
/// Outbound checks of one site take at most this long: a hostile page
/// linking to hundreds of addresses that never answer would otherwise hold
/// the site's scan for half an hour (300 links × 30 s / 4).
pub const TIME_BUDGET: std::time::Duration = std::time::Duration::from_secs(180);

/// The checks run, and how many links were left unchecked when
/// [`TIME_BUDGET`] ran out.
async fn run(
    chosen: Vec<OutboundLink>,
    fetcher: &Fetcher,
    origin: &Origin,
    rules: &Arc<RuleSet>,
    ours: &Arc<dyn Fn(&Url) -> bool + Send + Sync>,
    budget: std::time::Duration,
) -> (Vec<Verdict>, usize) {
    let deadline = Instant::now() + budget;
    // A queue per host, hosts in order of their first link.
    let mut queues: Vec<VecDeque<OutboundLink>> = Vec::new();
    let mut host_index: HashMap<String, usize> = HashMap::new();
    for link in chosen {
        let host = link.url.host_str().unwrap_or("").to_ascii_lowercase();
        let i = *host_index.entry(host).or_insert_with(|| {
            queues.push(VecDeque::new());
            queues.len() - 1
        });
        queues[i].push_back(link);
    }
    let mut ready: VecDeque<usize> = (0..queues.len()).collect();
    let mut in_flight = FuturesUnordered::new();
    let mut verdicts = Vec::new();
    loop {
        while in_flight.len() < CONCURRENCY && Instant::now() < deadline {
            let Some(h) = ready.pop_front() else {
                break;
            };
            let Some(link) = queues[h].pop_front() else {
                continue;
            };
            let (fetcher, origin, rules, ours) =
                (fetcher.clone(), origin.clone(), rules.clone(), ours.clone());
            in_flight.push(async move {
                let verdict = check_one(link, &fetcher, &origin, rules, ours).await;
                (h, verdict)
            });
        }
        // Checks under way when the time is up are dropped unjudged.
        let next = tokio::time::timeout_at(deadline.into(), in_flight.next()).await;
        let Ok(Some((h, verdict))) = next else {
            break;
        };
        if !queues[h].is_empty() {
            ready.push_back(h);
        }
        verdicts.push(verdict);
    }
    let left = queues.iter().map(VecDeque::len).sum::<usize>() + in_flight.len();
    (verdicts, left)
}

/// A failure that means nothing answers for the name any more.
///
/// Only failures before any answer count. Not dead: an HTTP answer of any
/// status (a 404 from a live host is the partner's broken page, and a
/// lapsed domain bought by spammers answers 200 — the hijack check's
/// business); a TLS error (a server at that address answered the
/// handshake: the host lives, its certificate is wrong, and expired
/// certificates on partner sites are common); a timeout after connecting
/// (a slow server is a live one).
fn is_dead(e: &FetchError) -> bool {
    match e.kind {
        ErrorKind::Dns | ErrorKind::Refused => true,
        ErrorKind::Timeout => e.connect,
        _ => false,
    }
}

async fn check_one(
    link: OutboundLink,
    fetcher: &Fetcher,
    origin: &Origin,
    rules: Arc<RuleSet>,
    ours: Arc<dyn Fn(&Url) -> bool + Send + Sync>,
) -> Verdict {
    // Redirects are followed anywhere (each hop through the guard); the
    // landing page's links are not.
    let mut fetched = match fetcher.fetch(&link.url, &|_: &Url| true).await {
        Ok(f) => f,
        Err(e) if e.kind == ErrorKind::Blocked => return Verdict::Refused,
        Err(e) if is_dead(&e) => {
            let cause = format!("{} → no answer: {}: {e}", link.url, e.kind.name());
            let host = link.url.host_str().unwrap_or("").to_ascii_lowercase();
            let mut f = origin.site_finding(
                SiteRule::OutboundDead,
                &link.url,
                &host,
                cause,
                Some(&link.referrer),
            );
            f.hidden = link.hidden;
            return Verdict::Dead(f);
        }
        Err(e) => return Verdict::Failed(e),
    };
    let landing = fetched.final_url.clone();
    if ours(&landing) {
        return Verdict::Fine;
    }
    let linked = urls::site_of(&link.url);
    let landed = urls::site_of(&landing);
    let hits = spam_hits(rules, origin.clone(), &mut fetched).await;
    if linked == landed && hits.is_empty() {
        return Verdict::Fine;
    }
    let mut cause = format!("{} → {landing} (HTTP {})", link.url, fetched.status);
    if linked != landed {
        cause.push_str(&format!("; lands on {landed}, not {linked}"));
    }
    if !hits.is_empty() {
        let shown: Vec<String> = hits
            .iter()
            .take(5)
            .map(|f| format!("{} {}", f.rule, f.matched))
            .collect();
        cause.push_str(&format!(
            "; landing page hits {}{}",
            shown.join(", "),
            if hits.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        ));
    }
    // Keyed by where it lands: the same link taken over by another
    // operator later is a new finding.
    let mut f = origin.site_finding(
        SiteRule::OutboundHijacked,
        &link.url,
        &landed,
        cause,
        Some(&link.referrer),
    );
    f.hidden = link.hidden;
    Verdict::Hijacked(f)
}

/// Content findings of a landing page in [`SPAM_CATEGORIES`], matched as
/// pages are. Only a 2xx answer with a body is read.
async fn spam_hits(rules: Arc<RuleSet>, origin: Origin, fetched: &mut Fetched) -> Vec<Finding> {
    super::process_page(rules, origin, fetched, 0)
        .await
        .findings
        .into_iter()
        .filter(|f| SPAM_CATEGORIES.contains(&f.category.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: ErrorKind, connect: bool) -> FetchError {
        FetchError {
            kind,
            message: String::new(),
            connect,
        }
    }

    #[test]
    fn only_failures_before_any_answer_are_dead() {
        assert!(is_dead(&error(ErrorKind::Dns, true)));
        assert!(is_dead(&error(ErrorKind::Refused, true)));
        assert!(is_dead(&error(ErrorKind::Timeout, true)));
        // A slow answer, a certificate problem, a redirect loop: a live host.
        assert!(!is_dead(&error(ErrorKind::Timeout, false)));
        assert!(!is_dead(&error(ErrorKind::Tls, true)));
        assert!(!is_dead(&error(ErrorKind::RedirectLoop, false)));
        assert!(!is_dead(&error(ErrorKind::Blocked, true)));
    }

    #[test]
    fn domains_count_distinct_urls_and_hidden_ones() {
        let link = |u: &str, hidden| OutboundLink {
            url: Url::parse(u).unwrap(),
            referrer: Url::parse("http://a.gov.cn/").unwrap(),
            hidden,
        };
        let got = domains(&[
            link("http://www.x.com.cn/", true),
            link("https://m.x.com.cn/a", false),
            link("http://1.2.3.4/", false),
        ]);
        assert_eq!(
            got,
            vec![
                OutboundDomain {
                    domain: "x.com.cn".into(),
                    urls: 2,
                    hidden: 1
                },
                OutboundDomain {
                    domain: "1.2.3.4".into(),
                    urls: 1,
                    hidden: 0
                },
            ]
        );
    }
}
