//! The start page: the one page a site's inspection stands on. Fetched
//! https then http for a bare host, followed through redirects (whose final
//! host joins the scope), checked against robots.txt of every origin it
//! came from; a start page with nothing to inspect is followed where its
//! script sends visitors, or reported as `site.unreadable`.

use super::*;

/// Script-only start pages followed in a row (`/` → `/index.jsp` → …).
const MAX_START_HOPS: usize = 3;

impl Crawl<'_> {
    /// Fetch the start URL: https then http for a bare host; redirects to
    /// any host are followed and the final host joins the scope. `None`
    /// when the site cannot be read (the finding is already out).
    pub(super) async fn fetch_start(&mut self) -> Option<Outcome> {
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
        Some(Outcome::Fetched(task, Box::new(fetched), Box::new(work)))
    }

    /// The site (or its start page) could not be read: the finding, and a
    /// note in the summary saying why.
    pub(super) async fn not_read(&mut self, rule: SiteRule, url: &Url, key: &str, cause: String) {
        self.summary.complete = false;
        self.summary.notes.push(cause.clone());
        self.site_finding(rule, url, key, cause, None).await;
    }

    /// With `insecure_tls`, say whether the certificate would have failed.
    pub(super) async fn check_certificate(&mut self, url: &Url) {
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

    /// A start page with nothing to inspect: follow where its script sends
    /// visitors (on the site), else say the site could not be inspected.
    pub(super) async fn start_unreadable(
        &mut self,
        task: &Task,
        fetched: &Fetched,
        target: Option<&Url>,
    ) {
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
}

/// A host without a leading `www.`: `example.gov.cn` and
/// `www.example.gov.cn` are one site when a start page sends visitors
/// from one to the other.
pub(super) fn strip_www(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    host.strip_prefix("www.").unwrap_or(host).to_string()
}
