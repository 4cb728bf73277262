//! Crawling one site: breadth-first by link hops from the start URL and the
//! extra URLs, inside the site's scope, politely and within its limits.
//!
//! Why our own crawler and not the `spider` crate:
//! docs/design-notes.md#why-not-the-spider-crate (lost pages, depth by path
//! segments, rewritten statuses …).
//!
//! Fetching is async (tokio); each fetched page is decoded, extracted and
//! matched on the rayon pool, and the crawl loop waits for that result before
//! scheduling more, so the number of pages in memory is bounded by
//! `per_host_concurrency` and nothing is dropped.

pub mod check;
pub mod fetch;
pub mod guard;
pub mod observer;
pub mod records;
pub mod robots;
pub mod tls;

use crate::analyse::{analyse, Analysis, Body, MAX_LINKS_PER_PAGE};
use crate::findings::{Finding, Origin, SiteRule};
use crate::register::Site;
use crate::rules::RuleSet;
use crate::urls::{self, ScopeKey};
use fetch::{ErrorKind, FetchError, Fetched, Fetcher};
use futures_util::stream::{FuturesUnordered, StreamExt};
use observer::Observer;
pub use records::{DonePage, Event, PageRecord, SiteResume, SiteSummary};
use robots::Robots;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
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
}

impl Task {
    fn new(url: Url, depth: u32, referrer: Option<Url>) -> Task {
        Task {
            url,
            depth,
            referrer,
            start: false,
        }
    }
}

/// Script-only start pages followed in a row (`/` → `/index.jsp` → …).
const MAX_START_HOPS: usize = 3;

enum Outcome {
    Fetched(Task, Box<Fetched>, Analysis),
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
    let origin = Origin {
        scan: env.scan.clone(),
        site: site.id.clone(),
        operator: site.operator.clone(),
        insecure_tls: site.settings.insecure_tls,
    };
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
    };
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

    async fn record(
        &mut self,
        task: &Task,
        fetched: Option<&Fetched>,
        error: Option<&FetchError>,
        findings: Vec<Finding>,
        links: Vec<String>,
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

    fn in_scope(&self, url: &Url) -> bool {
        self.scope.contains(&ScopeKey::of(url))
    }

    /// Load the robots.txt of `url`'s origin, once.
    async fn robots_for(&mut self, url: &Url) {
        if !self.site.settings.respect_robots {
            return;
        }
        let key = url.origin().ascii_serialization();
        if self.robots.contains_key(&key) {
            return;
        }
        wait_turn(&self.next_slot, self.delay).await;
        let robots = robots::fetch(&self.fetcher, url, &self.site.settings.user_agent).await;
        if let Some(secs) = robots.delay() {
            // Crawl-delay honoured up to 30 s (Nutch's cap).
            let d = Duration::from_secs_f32(secs.clamp(0.0, 30.0));
            self.delay = self.delay.max(d);
            // The robots.txt request itself counts: the next one waits too.
            let mut slot = self.next_slot.lock().await;
            *slot = (*slot).max(Instant::now() + self.delay);
        }
        for s in robots.sitemaps() {
            if let Some(u) = urls::resolve(url, &s) {
                self.extra_seed(u);
            }
        }
        self.robots.insert(key, robots);
    }

    fn robots_allow(&self, url: &Url) -> Result<(), String> {
        match self.robots.get(&url.origin().ascii_serialization()) {
            Some(Robots::DisallowAll(cause)) => Err(cause.clone()),
            Some(Robots::Unreachable(e)) => Err(format!(
                "robots.txt did not answer ({}: {e}) while the site did; crawlers then crawl nothing (RFC 9309)",
                e.kind.name()
            )),
            Some(r) if !r.allowed(url) => Err(format!("robots.txt disallows {url}")),
            _ => Ok(()),
        }
    }

    fn extra_seed(&mut self, url: Url) {
        if self.in_scope(&url) && self.seen.insert(urls::canonical(&url)) {
            self.queue.push_back(Task::new(url, 0, None));
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
    }

    /// Fetch the start URL: https then http for a bare host; redirects to
    /// any host are followed and the final host joins the scope. `None`
    /// when the site cannot be read (the finding is already out).
    async fn fetch_start(&mut self) -> Option<Outcome> {
        let site = self.site;
        let _permit = self.env.pages_in_flight.clone().acquire_owned().await;
        let mut url = site.url.clone();
        self.seen.insert(urls::canonical(&url));
        // A robots.txt that did not answer at all is judged after the start
        // URL: a host that answers nothing is unreachable, not forbidding.
        let robots_silent = matches!(
            self.robots.get(&url.origin().ascii_serialization()),
            Some(Robots::Unreachable(_))
        );
        if !robots_silent {
            if let Err(cause) = self.robots_allow(&url) {
                self.not_read(SiteRule::RobotsBlocked, &url, "", cause)
                    .await;
                return None;
            }
        }
        let any = |_: &Url| true;
        let mut result =
            fetch_politely(&self.fetcher, &url, &any, &self.next_slot, self.delay).await;
        if site.try_http {
            (url, result) = self.fetcher.http_fallback(url, result).await;
        }
        self.summary.pages_fetched += 1;
        let mut task = Task::new(url.clone(), 0, None);
        task.start = true;
        let fetched = match result {
            Ok(f) => f,
            Err(e) => {
                self.record(&task, None, Some(&e), Vec::new(), Vec::new())
                    .await;
                self.summary.pages_failed += 1;
                let (rule, note) = if e.kind == ErrorKind::Tls {
                    let note = self.fetcher.chain_note.lock().ok().and_then(|n| n.clone());
                    (
                        SiteRule::TlsInvalid,
                        fetch::explain_tls(&e.message, note.as_ref()),
                    )
                } else {
                    (SiteRule::Unreachable, format!("{}: {e}", e.kind.name()))
                };
                self.not_read(rule, &url, e.kind.name(), note).await;
                return None;
            }
        };
        if site.settings.insecure_tls && url.scheme() == "https" {
            self.check_certificate(&url).await;
        }
        self.summary.final_url = Some(fetched.final_url.to_string());
        if fetched.final_url != url {
            self.scope.insert(ScopeKey::of(&fetched.final_url));
        }
        // robots.txt of every origin the start page came from: the
        // registered one, http after https, the host a redirect led to.
        for origin in [url.clone(), fetched.final_url.clone()] {
            self.robots_for(&origin).await;
            if let Err(cause) = self.robots_allow(&origin) {
                self.record(&task, Some(&fetched), None, Vec::new(), Vec::new())
                    .await;
                self.not_read(SiteRule::RobotsBlocked, &origin, "", cause)
                    .await;
                return None;
            }
        }
        let status = fetched.status;
        let dead_end = fetched.dead_end_location.clone();
        if status >= 400 || dead_end.is_some() {
            self.record(&task, Some(&fetched), None, Vec::new(), Vec::new())
                .await;
            self.summary.pages_failed += 1;
            let note = match dead_end {
                Some(location) if status < 400 => format!(
                    "the start page answered HTTP {status} with a Location that cannot be followed: `{}`",
                    location.chars().take(200).collect::<String>()
                ),
                _ => format!("the start page answered HTTP {status}"),
            };
            self.not_read(SiteRule::HttpError, &url, &status.to_string(), note)
                .await;
            return None;
        }
        let mut fetched = fetched;
        let work = self.process(&mut fetched).await;
        Some(Outcome::Fetched(task, Box::new(fetched), work))
    }

    /// The site (or its start page) could not be read: the finding, and a
    /// note in the summary saying why.
    async fn not_read(&mut self, rule: SiteRule, url: &Url, key: &str, cause: String) {
        self.summary.complete = false;
        self.summary.notes.push(cause.clone());
        self.site_finding(rule, url, key, cause, None).await;
    }

    /// With `insecure_tls`, say whether the certificate would have failed.
    async fn check_certificate(&mut self, url: &Url) {
        let mut strict = self.site.settings.clone();
        strict.insecure_tls = false;
        let Ok(verifier) = Fetcher::new(&strict) else {
            return;
        };
        if let Err(e) = verifier.fetch(url, &|_: &Url| false).await {
            if e.kind == ErrorKind::Tls {
                let note = format!(
                    "{} (scanned anyway, insecure_tls = true)",
                    fetch::explain_tls(
                        &e.message,
                        verifier
                            .chain_note
                            .lock()
                            .ok()
                            .and_then(|n| n.clone())
                            .as_ref()
                    )
                );
                self.site_finding(SiteRule::TlsInvalid, url, "tls", note, None)
                    .await;
            }
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
                    let work = process_page(rules, origin, &mut f).await;
                    Outcome::Fetched(task, Box::new(f), work)
                }
                Err(e) => Outcome::Failed(task, e),
            }
        }
    }

    async fn process(&self, fetched: &mut Fetched) -> Analysis {
        process_page(self.env.rules.clone(), self.origin.clone(), fetched).await
    }

    async fn handle(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Failed(task, e) => {
                self.count_error(true, &format!("{}: {e}", e.kind.name()))
                    .await;
                self.summary.pages_failed += 1;
                let cause = format!("{}: {e}", e.kind.name());
                let broken = self.origin.site_finding(
                    SiteRule::LinkBroken,
                    &task.url,
                    e.kind.name(),
                    cause,
                    task.referrer.as_ref(),
                );
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
                    findings.push(self.origin.site_finding(
                        SiteRule::LinkBroken,
                        &task.url,
                        &status.to_string(),
                        format!("HTTP {status}"),
                        task.referrer.as_ref(),
                    ));
                }
                if task.start && (200..300).contains(&status) && !read.readable {
                    self.start_unreadable(&task, &fetched, read.script_redirect.as_ref())
                        .await;
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
                self.record(&task, Some(&fetched), None, findings, queued)
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

    /// A start page with nothing to inspect: follow where its script sends
    /// visitors (on the site), else say the site could not be inspected.
    async fn start_unreadable(&mut self, task: &Task, fetched: &Fetched, target: Option<&Url>) {
        if let Some(target) = target {
            let same_site = strip_www(target) == strip_www(&task.url);
            if same_site && self.start_hops < MAX_START_HOPS {
                self.scope.insert(ScopeKey::of(target));
                if self.seen.insert(urls::canonical(target)) {
                    self.start_hops += 1;
                    let mut next = Task::new(target.clone(), 0, Some(task.url.clone()));
                    next.start = true;
                    self.queue.push_front(next);
                    return;
                }
            }
        }
        let what = match target {
            Some(t) => format!("it only sends visitors by script to {t}"),
            None => format!(
                "it has no text and no links ({} bytes, {})",
                fetched.size,
                fetched.content_type.as_deref().unwrap_or("no content type")
            ),
        };
        let cause = format!("the start page cannot be inspected: {what}");
        self.not_read(SiteRule::Unreadable, &task.url, "", cause)
            .await;
    }

    fn progress(&self, task: &Task) {
        self.env.observer.page_done(
            &self.site.id,
            &task.url,
            self.summary.pages_fetched,
            self.summary.findings,
        );
    }

    /// Count failures in a row; give the host up after too many.
    async fn count_error(&mut self, failed: bool, last: &str) {
        if !failed {
            self.errors_in_row = 0;
            return;
        }
        self.errors_in_row += 1;
        if self.errors_in_row == MAX_HOST_ERRORS {
            let n = self.queue.len();
            self.summary.pages_skipped += n;
            self.queue.clear();
            let detail = format!(
                "gave up the host after {MAX_HOST_ERRORS} failures in a row ({n} pages not fetched); last: {last}"
            );
            self.truncate("host-errors", detail).await;
        }
    }

    /// Trap defences for a link about to be queued: `Err(cause, detail)`
    /// when it must not be.
    fn trap(&mut self, link: &Url) -> Result<(), (&'static str, String)> {
        if link.as_str().len() > fetch::MAX_URL_LEN {
            return Err((
                "url-length",
                format!(
                    "URLs longer than {} characters not fetched, e.g. {}…",
                    fetch::MAX_URL_LEN,
                    &link.as_str()[..120]
                ),
            ));
        }
        if urls::repeats_segments(link) {
            return Err(("repeated-path", format!("URLs repeating a path segment more than twice not fetched (a link trap), e.g. {link}")));
        }
        // Half the site's page budget: an endless calendar cannot starve the
        // rest of the site, and a news section of numbered articles
        // (`/news/1234.html`, `show.asp?id=1234`) still gets most of it.
        let budget = (self.site.settings.max_pages / 2).max(50);
        let n = self.patterns.entry(urls::pattern(link)).or_insert(0);
        if *n >= budget {
            return Err(("url-pattern", format!(
                "more than {budget} URLs of one shape ({}) not fetched (an endless calendar or listing?), e.g. {link}",
                urls::pattern(link)
            )));
        }
        *n += 1;
        Ok(())
    }

    /// A link not fetched (excluded, too deep, a trap, over the budget):
    /// counted once. Such links are remembered only up to a bound, so that
    /// pages of endless unique links cannot fill memory with URLs that will
    /// never be fetched; past it they are no longer counted.
    fn skip(&mut self, key: String) {
        let bound = (self.site.settings.max_pages * 10).max(10_000);
        if self.seen.len() < bound && self.seen.insert(key) {
            self.summary.pages_skipped += 1;
        }
    }

    /// Queue a page's new in-scope links; returns those queued. Once the
    /// site's page budget is spent (pages fetched plus queued), links are
    /// not even remembered: a site of pages with 10,000 unique links each
    /// must not fill memory with URLs that will never be fetched.
    async fn follow(&mut self, task: &Task, links: Vec<Url>, sitemap: Vec<Url>) -> Vec<String> {
        let max_depth = self.site.settings.max_depth;
        let max_pages = self.site.settings.max_pages;
        let mut too_deep: Option<Url> = None;
        let mut too_deep_count = 0usize;
        let mut over_budget: Option<Url> = None;
        let mut queued = Vec::new();
        let sitemap_links = sitemap.into_iter().map(|u| (u, 1u32));
        let page_links = links.into_iter().map(|u| (u, task.depth + 1));
        for (link, depth) in sitemap_links.chain(page_links) {
            if !self.in_scope(&link) {
                continue;
            }
            let key = urls::canonical(&link);
            if self.seen.contains(&key) {
                continue;
            }
            if self.summary.pages_fetched + self.queue.len() >= max_pages {
                self.skip(key);
                over_budget.get_or_insert(link);
                continue;
            }
            if self
                .site
                .exclude
                .iter()
                .any(|re| re.is_match(link.as_str()))
            {
                self.skip(key);
                continue;
            }
            if depth > max_depth {
                self.skip(key);
                too_deep_count += 1;
                too_deep.get_or_insert(link);
                continue;
            }
            if let Err((cause, detail)) = self.trap(&link) {
                self.skip(key);
                self.truncate(cause, detail).await;
                continue;
            }
            self.seen.insert(key);
            queued.push(link.to_string());
            self.queue
                .push_back(Task::new(link, depth, Some(task.url.clone())));
        }
        if let Some(example) = over_budget {
            let detail =
                format!("max_pages ({max_pages}) reached: more pages not fetched, e.g. {example}");
            self.truncate("max_pages", detail).await;
        }
        if let Some(example) = too_deep {
            let detail = format!(
                "max_depth ({max_depth}) reached: links deeper than {max_depth} hops not fetched ({too_deep_count} from {}), e.g. {example}",
                task.url
            );
            self.truncate("max_depth", detail).await;
        }
        queued
    }

    /// Most pages refused with 403/429: a firewall is refusing the scanner.
    async fn check_blocked(&mut self) {
        let fetched = self.summary.pages_fetched;
        let denied = self.summary.pages_denied;
        if fetched >= 4 && denied * 2 > fetched {
            let note = format!(
                "{denied} of {fetched} pages answered 403 or 429: a firewall is refusing the scanner"
            );
            self.summary.notes.push(note.clone());
            self.summary.complete = false;
            let start = self.site.url.clone();
            self.site_finding(SiteRule::Blocked, &start, "", note, None)
                .await;
        }
    }
}

/// A host without a leading `www.`: `example.gov.cn` and
/// `www.example.gov.cn` are one site when a start page sends visitors
/// from one to the other.
fn strip_www(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    host.strip_prefix("www.").unwrap_or(host).to_string()
}

/// Politeness: requests to one site are at least `delay` apart, and none
/// goes out before the slot a back-off pushed forward.
async fn wait_turn(next_slot: &Mutex<Instant>, delay: Duration) {
    let wait = {
        let mut slot = next_slot.lock().await;
        let now = Instant::now();
        let at = (*slot).max(now);
        *slot = at + delay;
        at - now
    };
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
}

/// Tries after a 429 or 503 before the answer stands.
const MAX_RETRIES: u32 = 3;
/// Back-off without Retry-After: 0.5 s, doubling (lychee's schedule).
const BACKOFF: Duration = Duration::from_millis(500);
/// A Retry-After longer than this is not waited for.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// Errors in a row after which a host is given up (nuclei: 30).
const MAX_HOST_ERRORS: usize = 30;

/// Fetch in turn; on 429/503 wait as Retry-After says (or back off) and try
/// again, holding the whole site back meanwhile.
async fn fetch_politely(
    fetcher: &Fetcher,
    url: &Url,
    follow: &(dyn Fn(&Url) -> bool + Sync),
    next_slot: &Mutex<Instant>,
    delay: Duration,
) -> Result<Fetched, FetchError> {
    let mut attempt = 0;
    loop {
        wait_turn(next_slot, delay).await;
        let fetched = fetcher.fetch(url, follow).await?;
        if !matches!(fetched.status, 429 | 503) || attempt >= MAX_RETRIES {
            return Ok(fetched);
        }
        let wait = fetched
            .retry_after
            .as_deref()
            .and_then(fetch::retry_after)
            .unwrap_or(BACKOFF * 2u32.pow(attempt));
        if wait > MAX_RETRY_WAIT {
            return Ok(fetched);
        }
        {
            let mut slot = next_slot.lock().await;
            *slot = (*slot).max(Instant::now() + wait);
        }
        attempt += 1;
    }
}

/// Analyse one fetched page on the rayon pool. The body moves to the
/// worker: a page is never held twice.
async fn process_page(rules: Arc<RuleSet>, origin: Origin, fetched: &mut Fetched) -> Analysis {
    if fetched.body.is_empty() || !(200..300).contains(&fetched.status) {
        return Analysis::default();
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let bytes = std::mem::take(&mut fetched.body);
    let content_type = fetched.content_type.clone();
    let url = fetched.final_url.clone();
    let truncated = fetched.truncated;
    rayon::spawn(move || {
        let body = Body {
            url: &url,
            bytes: &bytes,
            content_type: content_type.as_deref(),
            truncated,
        };
        let _ = tx.send(analyse(&rules, &origin, &body));
    });
    rx.await.unwrap_or_default()
}
