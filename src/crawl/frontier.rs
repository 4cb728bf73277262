//! The frontier: which links of a page are queued — in scope, not seen,
//! not excluded, not too deep, not a trap, within the page budget — and
//! which are only counted as skipped (remembered up to a bound).

use super::*;

impl Crawl<'_> {
    pub(super) fn in_scope(&self, url: &Url) -> bool {
        self.scope.contains(&ScopeKey::of(url))
    }

    pub(super) fn extra_seed(&mut self, url: Url) {
        if self.in_scope(&url) && self.seen.insert(urls::canonical(&url)) {
            self.queue.push_back(Task::new(url, 0, None));
        }
    }

    /// Trap defences for a link about to be queued: `Err(cause, detail)`
    /// when it must not be.
    pub(super) fn trap(&mut self, link: &Url) -> Result<(), (&'static str, String)> {
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
    pub(super) fn skip(&mut self, key: String) {
        let bound = (self.site.settings.max_pages * 10).max(10_000);
        if self.seen.len() < bound && self.seen.insert(key) {
            self.summary.pages_skipped += 1;
        }
    }

    /// Queue a page's new in-scope links; returns those queued. Once the
    /// site's page budget is spent (pages fetched plus queued), links are
    /// not even remembered: a site of pages with 10,000 unique links each
    /// must not fill memory with URLs that will never be fetched.
    pub(super) async fn follow(
        &mut self,
        task: &Task,
        links: Vec<Url>,
        sitemap: Vec<Url>,
    ) -> Vec<String> {
        let max_depth = self.site.settings.max_depth;
        let max_pages = self.site.settings.max_pages;
        let mut too_deep: Option<Url> = None;
        let mut too_deep_count = 0usize;
        let mut over_budget: Option<Url> = None;
        let mut queued = Vec::new();
        let sitemap_links = sitemap.into_iter().map(|u| (u, 1u32, true));
        let page_links = links.into_iter().map(|u| (u, task.depth + 1, false));
        for (link, depth, via_sitemap) in sitemap_links.chain(page_links) {
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
            let mut next = Task::new(link, depth, Some(task.url.clone()));
            next.via_sitemap = via_sitemap;
            self.queue.push_back(next);
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
}

impl Crawl<'_> {
    /// Is `url` on a site whose links are never dark links: this site's
    /// scope, a registered site, a trusted domain, or a government domain
    /// (portal menus and tab panels link to those, hidden or not)?
    pub(super) fn is_ours(&self, url: &Url) -> bool {
        self.in_scope(url)
            || trusted_site(
                url,
                &self.env.registered,
                &self.site.settings.trusted_domains,
            )
    }

    /// `darklink.hidden-links` for a page whose hidden content links to
    /// several other sites that are neither registered nor trusted (the
    /// decision is [`crate::analyse::dark_links`]).
    pub(super) fn dark_links(&self, page_url: &Url, page: &crate::page::Page) -> Option<Finding> {
        crate::analyse::dark_links(&self.origin, page_url, page, |u| self.is_ours(u))
    }
}

/// A URL on a registered site, a trusted domain or a government domain
/// (or without a host: nothing to judge).
pub(super) fn trusted_site(url: &Url, registered: &HashSet<String>, trusted: &[String]) -> bool {
    let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
        return true;
    };
    registered.contains(&host) || crate::analyse::trusted_or_gov(&host, trusted)
}
