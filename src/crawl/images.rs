//! Images of the site's pages: each in-scope image checked once per scan
//! after the crawl, never read — a GET whose body is not downloaded (image
//! types are not wanted by the fetcher, so the response is dropped after
//! its headers). A 404, 410, 5xx or failure is `link.broken` with kind
//! `image` and the page that shows it as `referrer`; the national
//! inspection counts broken images as unusable links.

use super::*;

/// Image checks stop after this many failures in a row (no answer at
/// all): a host that stalls on images must not hold the scan for one
/// timeout per image.
const FAILURES_IN_ROW: usize = 5;

/// Distinct images remembered per site, as a multiple of `max_pages`
/// (a page shows a few dozen; a gallery of thousands is bounded).
const IMAGES_PER_PAGE_BUDGET: usize = 4;

#[derive(Debug, Default)]
pub(super) struct Images {
    seen: HashSet<String>,
    queue: Vec<(Url, Url)>,
}

impl Crawl<'_> {
    /// Remember a page's in-scope images for checking.
    pub(super) fn note_images(&mut self, page_url: &Url, images: &[Url]) {
        let bound = self.site.settings.max_pages * IMAGES_PER_PAGE_BUDGET;
        for image in images {
            if self.images.queue.len() >= bound {
                return;
            }
            if !self.in_scope(image) {
                continue;
            }
            if self.images.seen.insert(urls::canonical(image)) {
                self.images.queue.push((image.clone(), page_url.clone()));
            }
        }
    }

    /// Check the images remembered, politely, `per_host_concurrency` at a
    /// time.
    pub(super) async fn check_images(&mut self) {
        let queue = std::mem::take(&mut self.images.queue);
        let mut pending = queue.into_iter();
        let mut in_flight = FuturesUnordered::new();
        let width = self.site.settings.per_host_concurrency.max(1);
        let mut failures = 0;
        loop {
            while in_flight.len() < width && failures < FAILURES_IN_ROW {
                let Some((image, referrer)) = pending.next() else {
                    break;
                };
                if self.robots_allow(&image).is_err() {
                    continue;
                }
                let fetcher = self.fetcher.clone();
                let scope = self.scope.clone();
                let next_slot = self.next_slot.clone();
                let delay = self.delay;
                in_flight.push(async move {
                    let in_scope = move |u: &Url| scope.contains(&ScopeKey::of(u));
                    let answer =
                        fetch_politely(&fetcher, &image, &in_scope, &next_slot, delay).await;
                    (image, referrer, answer)
                });
            }
            let Some((image, referrer, answer)) = in_flight.next().await else {
                break;
            };
            self.summary.images_checked += 1;
            failures = if answer.is_err() { failures + 1 } else { 0 };
            if failures == FAILURES_IN_ROW {
                let left = pending.len();
                if left > 0 {
                    self.summary.notes.push(format!(
                        "image checks stopped: {FAILURES_IN_ROW} images in a row got no answer; {left} more not checked"
                    ));
                }
            }
            let broken = match answer {
                Ok(f) if matches!(f.status, 404 | 410) || f.status >= 500 => {
                    Some((f.status.to_string(), format!("HTTP {}", f.status)))
                }
                Ok(_) => None,
                Err(e) => Some((e.kind.name().to_string(), format!("{}: {e}", e.kind.name()))),
            };
            if let Some((key, cause)) = broken {
                self.summary.images_broken += 1;
                let mut f = self.origin.site_finding(
                    SiteRule::LinkBroken,
                    &image,
                    &key,
                    format!("image {cause}"),
                    Some(&referrer),
                );
                f.kind = Some("image".to_string());
                self.emit(f).await;
            }
        }
    }
}
