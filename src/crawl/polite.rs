//! Politeness: robots.txt per origin, requests to a site spaced by
//! `delay_ms` (or Crawl-delay), 429/503 retried after Retry-After or a
//! back-off while the whole site waits, a host given up after failures in
//! a row, and a site that refuses most pages reported as blocking.

use super::*;

impl Crawl<'_> {
    /// Load the robots.txt of `url`'s origin, once.
    pub(super) async fn robots_for(&mut self, url: &Url) {
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

    pub(super) fn robots_allow(&self, url: &Url) -> Result<(), String> {
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

    /// Count failures in a row; give the host up after too many.
    pub(super) async fn count_error(&mut self, failed: bool, last: &str) {
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

    /// Most pages refused with 403/429: a firewall is refusing the scanner.
    pub(super) async fn check_blocked(&mut self) {
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

/// Politeness: requests to one site are at least `delay` apart, and none
/// goes out before the slot a back-off pushed forward.
pub(super) async fn wait_turn(next_slot: &Mutex<Instant>, delay: Duration) {
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
pub(super) const MAX_HOST_ERRORS: usize = 30;

/// Fetch in turn; on 429/503 wait as Retry-After says (or back off) and try
/// again, holding the whole site back meanwhile.
pub(super) async fn fetch_politely(
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
