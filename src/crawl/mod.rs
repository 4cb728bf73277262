//! Crawling one site: breadth-first by link hops from the start URL and the
//! extra URLs, inside the site's scope, politely and within its limits.
//!
//! Why our own crawler and not the `spider` crate:
//! docs/design-notes.md#why-not-the-spider-crate (lost pages, depth by path
//! segments, rewritten statuses …).
//!
//! Fetching is async (tokio); each fetched page is decoded, extracted and
//! matched on the crawl's own thread (large bodies and documents on the
//! rayon pool), and the crawl loop waits for that result before scheduling
//! more, so the number of pages in memory is bounded by
//! `per_host_concurrency` and nothing is dropped.
//!
//! The parts: this file runs a site's crawl (the loop, handling each
//! answer, recording pages, resuming); `start` the start page;
//! `frontier` which links are queued; `polite` robots.txt, pacing and
//! retries; [`fetch`] one bounded request, through [`guard`] (SSRF) and
//! [`tls`]; [`robots`] robots.txt parsing; [`records`] what the crawl
//! reports and every later stage reads; [`observer`] who watches it;
//! [`check`] the one-request look of `sites check`.

pub mod check;
pub mod fetch;
mod frontier;
pub mod guard;
mod images;
pub mod observer;
pub mod outbound;
mod outside;
mod polite;
pub mod probe;
pub mod records;
pub mod robots;
pub mod site_brands;
mod start;
pub mod title_changes;
pub mod tls;

use crate::analyse::{analyse, Analysis, Body, MAX_LINKS_PER_PAGE};
use crate::findings::{Finding, Origin, SiteRule};
use crate::register::Site;
use crate::rules::RuleSet;
use crate::urls::{self, ScopeKey};
use fetch::{ErrorKind, FetchError, Fetched, Fetcher};
use futures_util::stream::{FuturesUnordered, StreamExt};
use observer::Observer;
pub use outbound::OutboundLink;
use polite::fetch_politely;
use records::ProbeRun;
pub use records::{DonePage, Event, History, PageRecord, Previous, SiteResume, SiteSummary};
use robots::Robots;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use title_changes::StoredTitle;
use tokio::sync::{mpsc, Mutex};
use url::Url;

/// What every site crawl of one scan shares.
pub struct CrawlEnv {
    pub scan: String,
    pub rules: Arc<RuleSet>,
    /// Findings and page records go here as soon as they are known.
    pub sink: mpsc::Sender<Event>,
    pub observer: Arc<dyn Observer>,
    /// Pages being fetched or analysed at once, across all sites: bounds
    /// memory whatever `--concurrency` and `per_host_concurrency` say.
    pub pages_in_flight: Arc<tokio::sync::Semaphore>,
    /// Sites of an interrupted scan being resumed, by id.
    pub resume: HashMap<String, SiteResume>,
    /// Hosts of every registered site: links to them are not dark links.
    pub registered: Arc<HashSet<String>>,
    /// What earlier scans saw (none without a database: every site is
    /// then seen for the first time).
    pub history: Option<Arc<dyn History>>,
    /// Findings the office answered for (ignore file, false positives):
    /// an accepted title change stops being compared against the old title.
    pub answered: Arc<crate::ignore::IgnoreList>,
}

/// Pages fetched or analysed at once across a scan (each body ≤ 4 MiB).
pub const PAGES_IN_FLIGHT: usize = 16;

struct Task {
    url: Url,
    depth: u32,
    referrer: Option<Url>,
    /// The start page, or the page a script-only start page sends
    /// visitors to: it must yield something to inspect.
    start: bool,
    /// Queued from a sitemap (probes look at such pages early).
    via_sitemap: bool,
}

impl Task {
    fn new(url: Url, depth: u32, referrer: Option<Url>) -> Task {
        Task {
            url,
            depth,
            referrer,
            start: false,
            via_sitemap: false,
        }
    }
}

/// How fetching one page ended.
enum Outcome {
    Fetched(Task, Box<Fetched>, Box<Analysis>),
    Failed(Task, FetchError),
}

struct Crawl<'a> {
    site: &'a Site,
    env: &'a CrawlEnv,
    origin: Origin,
    fetcher: Fetcher,
    scope: HashSet<ScopeKey>,
    robots: HashMap<String, Robots>,
    seen: HashSet<String>,
    queue: VecDeque<Task>,
    summary: SiteSummary,
    /// One `crawl.truncated` per cause.
    truncated: HashSet<String>,
    /// Failures in a row (errors, 5xx, 429): the host is given up at MAX_HOST_ERRORS.
    errors_in_row: usize,
    /// URLs queued per URL shape (trap budget).
    patterns: HashMap<String, usize>,
    emitted: HashSet<String>,
    /// Script-only start pages followed so far.
    start_hops: usize,
    next_slot: Arc<Mutex<Instant>>,
    delay: Duration,
    /// What the previous scan of the site saw.
    previous: Previous,
    /// Pages a probe may look at again.
    candidates: probe::Candidates,
    /// Script hosts and links to other sites.
    outside: outside::Outside,
    /// Images to check.
    images: images::Images,
    /// Titles, and the brands the flagged ones carry.
    brands: site_brands::SiteBrands,
    /// Titles changed since the previous scan.
    titles: title_changes::TitleChanges,
    /// Canonical URL → the title a page's title is compared against.
    title_baselines: HashMap<String, String>,
}

/// Crawl one site to the end and say how it went. Never fails: every
/// problem becomes a finding.
pub async fn crawl_site(site: Arc<Site>, env: Arc<CrawlEnv>) -> SiteSummary {
    let started = Instant::now();
    env.observer.site_started(&site.id, &site.name);
    let mut summary = SiteSummary {
        site: site.id.clone(),
        name: site.name.clone(),
        operator: site.operator.clone(),
        contact: site.contact.clone(),
        start_url: site.url.to_string(),
        ..SiteSummary::default()
    };
    let origin = Origin::of_site(&env.scan, &site);
    let mut summary = match Fetcher::new(&site.settings) {
        Ok(fetcher) => crawl_with(&site, &env, origin, fetcher, summary).await,
        Err(e) => {
            // Every way a crawl ends reports the site: a finding saying why
            // it was not read, and its summary.
            let cause = format!("cannot start the crawl: {e}");
            summary.notes.push(cause.clone());
            let f = origin.site_finding(SiteRule::Unreachable, &site.url, "client", cause, None);
            let reported = env
                .resume
                .get(&site.id)
                .is_some_and(|r| r.findings.iter().any(|g| g.fingerprint == f.fingerprint));
            summary.count(&f);
            if !reported {
                let _ = env.sink.send(Event::Finding(Box::new(f))).await;
            }
            summary
        }
    };
    summary.elapsed = started.elapsed();
    env.observer.site_done(&summary);
    let _ = env
        .sink
        .send(Event::SiteDone(Box::new(summary.clone())))
        .await;
    summary
}

async fn crawl_with(
    site: &Site,
    env: &CrawlEnv,
    origin: Origin,
    fetcher: Fetcher,
    summary: SiteSummary,
) -> SiteSummary {
    let mut crawl = Crawl {
        site,
        env,
        origin,
        fetcher,
        scope: HashSet::from([ScopeKey::of(&site.url)]),
        robots: HashMap::new(),
        seen: HashSet::new(),
        queue: VecDeque::new(),
        summary,
        truncated: HashSet::new(),
        errors_in_row: 0,
        patterns: HashMap::new(),
        emitted: HashSet::new(),
        start_hops: 0,
        next_slot: Arc::new(Mutex::new(Instant::now())),
        delay: Duration::from_millis(site.settings.delay_ms),
        previous: previous(env, &site.id).await,
        title_baselines: HashMap::new(),
        candidates: probe::Candidates::new(&site.id),
        outside: outside::Outside::default(),
        images: images::Images::default(),
        brands: site_brands::SiteBrands::default(),
        titles: title_changes::TitleChanges::default(),
    };
    let previous_titles = std::mem::take(&mut crawl.previous.titles);
    let today = crate::ignore::today();
    let answered = |f: &Finding| env.answered.ignores(f, &today).is_some();
    crawl.title_baselines =
        title_changes::baselines(&previous_titles, &crawl.origin, &site.url, &answered);
    drop(previous_titles);
    match env.resume.get(&site.id) {
        Some(done) if !done.pages.is_empty() => crawl.resume(done).await,
        _ => crawl.run().await,
    }
    crawl.summary
}

impl Crawl<'_> {
    /// One finding per fingerprint per scan (a page reached twice, by a
    /// redirect and by a link, is one page): `None` for a repeat.
    fn first_time(&mut self, f: Finding) -> Option<Finding> {
        if !self.emitted.insert(f.fingerprint.clone()) {
            return None;
        }
        self.summary.count(&f);
        Some(f)
    }

    async fn emit(&mut self, f: Finding) {
        if let Some(f) = self.first_time(f) {
            // The receiver lives as long as the scan; a closed channel means
            // the scan is being torn down and nobody is left to tell.
            let _ = self.env.sink.send(Event::Finding(Box::new(f))).await;
        }
    }

    async fn site_finding(
        &mut self,
        rule: SiteRule,
        url: &Url,
        key: &str,
        cause: String,
        referrer: Option<&Url>,
    ) {
        let f = self.origin.site_finding(rule, url, key, cause, referrer);
        self.emit(f).await;
    }

    /// Store a page that was not read as HTML (failed, refused, a
    /// redirect to a page already reached): no title.
    async fn record(
        &mut self,
        task: &Task,
        fetched: Option<&Fetched>,
        error: Option<&FetchError>,
        findings: Vec<Finding>,
        links: Vec<String>,
    ) {
        self.record_titled(
            task,
            fetched,
            error,
            findings,
            links,
            StoredTitle::default(),
        )
        .await;
    }

    async fn record_titled(
        &mut self,
        task: &Task,
        fetched: Option<&Fetched>,
        error: Option<&FetchError>,
        findings: Vec<Finding>,
        links: Vec<String>,
        title: StoredTitle,
    ) {
        let findings: Vec<Finding> = findings
            .into_iter()
            .filter_map(|f| self.first_time(f))
            .collect();
        let record = PageRecord {
            site: self.site.id.clone(),
            url: task.url.to_string(),
            final_url: fetched.map(|f| f.final_url.to_string()),
            status: fetched.map(|f| f.status),
            content_type: fetched.and_then(|f| f.content_type.clone()),
            size: fetched.map_or(0, |f| f.size),
            referrer: task.referrer.as_ref().map(Url::to_string),
            depth: task.depth,
            error: error.map(|e| format!("{}: {e}", e.kind.name())),
            truncated: fetched.is_some_and(|f| f.truncated),
            fetched_at: crate::time::now_rfc3339(),
            title: title.title,
            title_was: title.title_was,
        };
        let _ = self
            .env
            .sink
            .send(Event::Page {
                record: Box::new(record),
                findings,
                links,
                progress: Box::new(self.summary.clone()),
            })
            .await;
    }

    async fn truncate(&mut self, cause: &'static str, detail: String) {
        self.summary.complete = false;
        if self.truncated.insert(cause.to_string()) {
            self.summary.notes.push(detail.clone());
            let start = self.site.url.clone();
            self.site_finding(SiteRule::Truncated, &start, cause, detail, None)
                .await;
        }
    }

    async fn run(&mut self) {
        let site = self.site;
        // robots.txt first; a host that answers nothing shows up at the
        // start URL below, with its cause.
        self.robots_for(&site.url).await;
        let start = match self.fetch_start().await {
            Some(s) => s,
            None => return,
        };
        self.summary.reachable = true;
        self.summary.complete = true;
        for extra in site.extra_urls.clone() {
            self.extra_seed(extra);
        }
        self.handle(start).await;
        self.crawl_loop().await;
        self.check_blocked().await;
        self.after_crawl().await;
    }

    /// A linked document read: its findings say which page links to it,
    /// and one that could not be read is a finding too, never silence.
    async fn document(
        &mut self,
        task: &Task,
        format: crate::documents::Format,
        read: &crate::analyse::Read,
        findings: &mut Vec<Finding>,
    ) {
        for f in findings.iter_mut().filter(|f| f.field.is_some()) {
            f.referrer = task.referrer.as_ref().map(Url::to_string);
        }
        match read.unreadable() {
            Some(cause) => {
                self.summary.documents_unreadable += 1;
                findings.push(self.origin.site_finding(
                    SiteRule::AttachmentUnreadable,
                    &task.url,
                    format.name(),
                    format!("{}: {cause}", format.described()),
                    task.referrer.as_ref(),
                ));
            }
            None => self.summary.documents_read += 1,
        }
        if let Some(cut) = read.document_cut() {
            let detail = format!("a document was read in part ({cut}), e.g. {}", task.url);
            self.truncate("document-cut", detail).await;
        }
    }

    /// The looks that come after the crawl: probes, outbound links.
    async fn after_crawl(&mut self) {
        for f in self.brands.findings(&self.origin) {
            self.emit(f).await;
        }
        for f in self.titles.findings(&self.origin, &self.site.url) {
            self.emit(f).await;
        }
        self.check_images().await;
        self.second_looks().await;
        self.check_outbound().await;
        self.sort_outbound();
    }

    /// Links to other sites, each checked once: dead and hijacked ones
    /// are findings.
    async fn check_outbound(&mut self) {
        let settings = self.site.settings.clone();
        if !settings.check_outbound || !self.summary.reachable {
            return;
        }
        let links = std::mem::take(&mut self.outside.links);
        if links.is_empty() {
            return;
        }
        let scope = self.scope.clone();
        let registered = self.env.registered.clone();
        let trusted = settings.trusted_domains.clone();
        let ours: Arc<dyn Fn(&Url) -> bool + Send + Sync> = Arc::new(move |u: &Url| {
            scope.contains(&ScopeKey::of(u)) || frontier::trusted_site(u, &registered, &trusted)
        });
        let report =
            outbound::check(links, &settings, &self.origin, self.env.rules.clone(), ours).await;
        let o = &mut self.summary.outbound;
        o.checked = report.checked;
        o.refused = report.refused;
        o.over_budget = report.over_budget;
        self.summary.notes.extend(report.notes);
        for f in report.findings {
            self.emit(f).await;
        }
    }

    /// Carry on an interrupted crawl: what was stored is not fetched again,
    /// the links of stored pages are the frontier, and findings already
    /// reported are not reported again.
    async fn resume(&mut self, done: &SiteResume) {
        let site = self.site;
        self.robots_for(&site.url).await;
        // Counters, notes and state as of the last stored page; findings
        // are counted again from those reported.
        if let Some(p) = &done.progress {
            self.summary.pages_skipped = p.pages_skipped;
            self.summary.pages_failed = p.pages_failed;
            self.summary.pages_denied = p.pages_denied;
            self.summary.notes = p.notes.clone();
            self.summary.complete = p.complete;
            self.summary.final_url = p.final_url.clone();
            self.summary.script_hosts = p.script_hosts.clone();
            self.summary.outbound = p.outbound.clone();
            self.outside.reindex(&self.summary.outbound);
        } else {
            self.summary.complete = true;
        }
        self.summary.reachable = true;
        for f in &done.findings {
            if self.emitted.insert(f.fingerprint.clone()) {
                self.summary.count(f);
            }
            if f.rule == SiteRule::Truncated.id() {
                self.truncated.insert(f.term.clone());
            }
        }
        // Every host the start page led to joined the scope the first time.
        for p in done.pages.iter().filter(|p| p.depth == 0) {
            for u in [Some(&p.url), p.final_url.as_ref()].into_iter().flatten() {
                if let Ok(u) = Url::parse(u) {
                    self.scope.insert(ScopeKey::of(&u));
                }
            }
        }
        if self.summary.final_url.is_none() {
            self.summary.final_url = done.pages.first().and_then(|p| p.final_url.clone());
        }
        for p in &done.pages {
            for u in [Some(&p.url), p.final_url.as_ref()].into_iter().flatten() {
                if let Ok(u) = Url::parse(u) {
                    self.seen.insert(urls::canonical(&u));
                }
            }
        }
        self.summary.pages_fetched = done.pages.len();
        for extra in site.extra_urls.clone() {
            self.extra_seed(extra);
        }
        self.recall_titles(done);
        for p in &done.pages {
            let Ok(page) = Url::parse(&p.url) else {
                continue;
            };
            let links: Vec<Url> = p.links.iter().filter_map(|l| Url::parse(l).ok()).collect();
            let task = Task::new(page, p.depth, None);
            self.follow(&task, links, Vec::new()).await;
        }
        self.crawl_loop().await;
        self.check_blocked().await;
        if !self.site.settings.probes.is_empty() || self.site.settings.check_outbound {
            self.summary.notes.push(
                "resumed: image checks, probes and outbound checks looked only at pages read after the interruption"
                    .to_string(),
            );
        }
        self.after_crawl().await;
    }

    /// The titles of the pages stored before the interruption, and the
    /// findings on them, for the looks at the site's end.
    fn recall_titles(&mut self, done: &SiteResume) {
        let mut on_page: HashMap<&str, Vec<Finding>> = HashMap::new();
        for f in &done.findings {
            on_page.entry(f.url.as_str()).or_default().push(f.clone());
        }
        for p in &done.pages {
            let Ok(url) = Url::parse(&p.url) else {
                continue;
            };
            let read = p.final_url.as_deref().unwrap_or(&p.url);
            let findings = on_page.get(read).map_or(&[][..], Vec::as_slice);
            let read = Url::parse(read).unwrap_or_else(|_| url.clone());
            self.brands.note(&read, p.title.as_deref(), findings);
            let stored = StoredTitle {
                title: p.title.clone(),
                title_was: p.title_was.clone(),
            };
            self.titles.recall(&url, &stored, findings);
        }
    }

    async fn crawl_loop(&mut self) {
        let settings = self.site.settings.clone();
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < settings.per_host_concurrency {
                let Some(task) = self.queue.pop_front() else {
                    break;
                };
                if self.summary.pages_fetched >= settings.max_pages {
                    let n = self.queue.len() + 1;
                    self.summary.pages_skipped += n;
                    self.queue.clear();
                    let detail = format!(
                        "max_pages ({}) reached: {n} more pages not fetched, e.g. {}",
                        settings.max_pages, task.url
                    );
                    self.truncate("max_pages", detail).await;
                    break;
                }
                if self.robots_allow(&task.url).is_err() {
                    self.summary.pages_skipped += 1;
                    continue;
                }
                self.summary.pages_fetched += 1;
                in_flight.push(self.fetch_task(task));
            }
            let Some(outcome) = in_flight.next().await else {
                break;
            };
            // The in-flight futures own clones, never `self`, so the
            // outcome can be handled while others are still running.
            self.handle(outcome).await;
        }
    }

    fn fetch_task(&self, task: Task) -> impl std::future::Future<Output = Outcome> + 'static {
        let fetcher = self.fetcher.clone();
        let scope = self.scope.clone();
        let next_slot = self.next_slot.clone();
        let delay = self.delay;
        let rules = self.env.rules.clone();
        let origin = self.origin.clone();
        let permits = self.env.pages_in_flight.clone();
        async move {
            let _permit = permits.acquire_owned().await;
            let in_scope = move |u: &Url| scope.contains(&ScopeKey::of(u));
            match fetch_politely(&fetcher, &task.url, &in_scope, &next_slot, delay).await {
                Ok(mut f) => {
                    let max_document = fetcher.max_document;
                    let work = process_page(rules, origin, &mut f, max_document).await;
                    Outcome::Fetched(task, Box::new(f), Box::new(work))
                }
                Err(e) => Outcome::Failed(task, e),
            }
        }
    }

    async fn process(&self, fetched: &mut Fetched) -> Analysis {
        process_page(
            self.env.rules.clone(),
            self.origin.clone(),
            fetched,
            self.fetcher.max_document,
        )
        .await
    }

    async fn handle(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Failed(task, e) => {
                self.count_error(true, &format!("{}: {e}", e.kind.name()))
                    .await;
                self.summary.pages_failed += 1;
                let cause = format!("{}: {e}", e.kind.name());
                let mut broken = self.origin.site_finding(
                    SiteRule::LinkBroken,
                    &task.url,
                    e.kind.name(),
                    cause,
                    task.referrer.as_ref(),
                );
                broken.kind = Some(link_kind(&task.url).to_string());
                self.record(&task, None, Some(&e), vec![broken], Vec::new())
                    .await;
            }
            Outcome::Fetched(task, fetched, work) => {
                let status = fetched.status;
                let redirected = fetched.final_url != task.url && !fetched.redirected_out;
                if redirected && !self.seen.insert(urls::canonical(&fetched.final_url)) {
                    // Redirected to a page this crawl has already reached.
                    self.record(&task, Some(&fetched), None, Vec::new(), Vec::new())
                        .await;
                    self.progress(&task);
                    return;
                }
                if status == 403 || status == 429 {
                    self.summary.pages_denied += 1;
                }
                let failed = status >= 500 || status == 429;
                self.count_error(failed, &format!("HTTP {status} at {}", task.url))
                    .await;
                let mut findings = work.findings;
                let read = work.read;
                if matches!(status, 404 | 410) || status >= 500 {
                    self.summary.pages_failed += 1;
                    let mut broken = self.origin.site_finding(
                        SiteRule::LinkBroken,
                        &task.url,
                        &status.to_string(),
                        format!("HTTP {status}"),
                        task.referrer.as_ref(),
                    );
                    broken.kind = Some(link_kind(&task.url).to_string());
                    findings.push(broken);
                }
                if let Some(crate::analyse::Kind::Document(format)) = work.kind {
                    self.document(&task, format, &read, &mut findings).await;
                }
                if task.start && (200..300).contains(&status) && !read.readable {
                    self.start_unreadable(&task, &fetched, read.script_redirect.as_ref())
                        .await;
                }
                if let Some(f) = self.dark_links(&fetched.final_url, &read.page) {
                    findings.push(f);
                }
                let mut outside = self.note_script_hosts(&fetched.final_url, &read.script_sources);
                findings.append(&mut outside);
                self.note_images(&fetched.final_url, &read.images);
                self.note_outbound(
                    &fetched.final_url,
                    &read.page,
                    &read.links,
                    &read.script_sources,
                );
                let mut title = StoredTitle::default();
                if work.kind == Some(crate::analyse::Kind::Html) && (200..300).contains(&status) {
                    self.offer_for_probes(&task, &fetched, &read.page, &findings);
                    let text = title_changes::stored_title(&read.page);
                    self.brands
                        .note(&fetched.final_url, text.as_deref(), &findings);
                    let before = self.title_baselines.get(&urls::canonical(&task.url));
                    title = self.titles.look(before, &task.url, text, &findings);
                }
                if read.parser_cut {
                    let detail = format!(
                        "a page too deeply nested for the HTML parser's memory was read only in part, e.g. {}",
                        task.url
                    );
                    self.truncate("parser-memory", detail).await;
                }
                if read.links_cut {
                    let detail = format!(
                        "a page had more than {MAX_LINKS_PER_PAGE} links; the rest were not followed, e.g. {}",
                        task.url
                    );
                    self.truncate("links-per-page", detail).await;
                }
                // Links are queued before the page is stored, and the page
                // is stored with the links it queued: that is the frontier
                // a resumed scan starts from.
                let queued = self.follow(&task, read.links, read.sitemap).await;
                self.record_titled(&task, Some(&fetched), None, findings, queued, title)
                    .await;
                if fetched.truncated {
                    let detail = format!(
                        "body cap ({} MiB) cut a page, e.g. {}",
                        self.fetcher.max_body >> 20,
                        task.url
                    );
                    self.truncate("body-cap", detail).await;
                }
                if let Some(err) = &fetched.body_error {
                    let detail = format!(
                        "a page broke off while being read, e.g. {}: {err}",
                        task.url
                    );
                    self.truncate("body-error", detail).await;
                }
                self.progress(&task);
            }
        }
    }

    fn progress(&self, task: &Task) {
        self.env.observer.page_done(
            &self.site.id,
            &task.url,
            self.summary.pages_fetched,
            self.summary.findings,
        );
    }
}

/// Bodies up to this size are analysed on the crawl thread itself (a few
/// milliseconds at most); larger ones, and documents, on the rayon pool,
/// so that a 20 MiB PDF does not hold up the thread's other sites for
/// seconds.
const ANALYSE_IN_PLACE: usize = 256 << 10;

/// Analyse one fetched page. The body moves to the analysis: a page is
/// never held twice.
async fn process_page(
    rules: Arc<RuleSet>,
    origin: Origin,
    fetched: &mut Fetched,
    max_document: usize,
) -> Analysis {
    if fetched.body.is_empty() || !(200..300).contains(&fetched.status) {
        return Analysis::default();
    }
    let bytes = std::mem::take(&mut fetched.body);
    let content_type = fetched.content_type.clone();
    let url = fetched.final_url.clone();
    let truncated = fetched.truncated;
    let in_place = bytes.len() <= ANALYSE_IN_PLACE && fetched.document_permit.is_none();
    let work = move || {
        let body = Body {
            url: &url,
            bytes: &bytes,
            content_type: content_type.as_deref(),
            truncated,
            max_document: max_document as u64,
        };
        analyse(&rules, &origin, &body)
    };
    if in_place {
        return work();
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(work());
    });
    rx.await.unwrap_or_default()
}

/// What the previous scan of a site saw, looked up off the async thread.
async fn previous(env: &CrawlEnv, site: &str) -> Previous {
    let Some(history) = env.history.clone() else {
        return Previous::default();
    };
    let (scan, site) = (env.scan.clone(), site.to_string());
    tokio::task::spawn_blocking(move || history.previous(&scan, &site))
        .await
        .unwrap_or_default()
}

/// What a broken link pointed to, for `link.broken`'s `kind`: a document
/// by its extension (the answer, if any, was an error page), else a page.
fn link_kind(url: &Url) -> &'static str {
    if crate::documents::names_a_document(url.path()) {
        "document"
    } else {
        "page"
    }
}
