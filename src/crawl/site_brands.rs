//! A hacked site's own brands, found in its other titles (`title.site-brand`).
//!
//! A site hijacked for gambling or porn carries one brand on many pages.
//! On some of them the title has the hijack's shape, and a rule catches it
//! whatever the brand (`米兰体育官网登录入口`). On others the brand stands
//! alone where the school's name was (`米兰体育-校运会圆满落幕`), and no
//! list knows it. So, per site, the flagged titles are mined for the names
//! standing before 体育, 娱乐, 传媒 … — the brand-feed rule
//! ([`crate::rules::mine`]), with each page a source — and every other
//! title of the site holding one of those terms is reported.
//!
//! A resumed scan does not fetch again the pages it had stored: their
//! titles and findings come from the store (`DonePage`, the resume's
//! findings).

use crate::findings::{Finding, Origin, SiteRule};
use crate::page::Field;
use crate::rules::mine::{self, fold_for_search, SpamKind, SpamText};
use std::collections::BTreeSet;
use url::Url;

/// Titles kept per site, at most (each at most
/// [`crate::crawl::title_changes::MAX_TITLE`] characters): 20,000 × 200 characters is a
/// few megabytes at worst.
const MAX_TITLES: usize = 20_000;
/// Characters of a flagged snippet kept.
const MAX_SNIPPET: usize = 200;
/// Flagged texts kept per page and per site: a dark-link block of 500
/// anchors on each of 20,000 pages must not be held whole. A brand needs
/// three pages, not every anchor of one.
const FLAGGED_PER_PAGE: usize = 16;
const MAX_FLAGGED: usize = 50_000;
/// Pages named in a finding's cause as where the brand was seen.
const EXAMPLES: usize = 3;

/// A page's title, and the kinds a rule reported it for already.
struct Title {
    url: Url,
    text: String,
    reported: Vec<SpamKind>,
}

#[derive(Default)]
pub struct SiteBrands {
    /// Every page's title, in the order read.
    titles: Vec<Title>,
    /// The texts of the site's gambling and porn findings in titles, meta
    /// descriptions and link texts, each page a source.
    flagged: Vec<SpamText>,
}

impl SiteBrands {
    /// Note a page's title (as [`crate::crawl::title_changes::stored_title`] reads it)
    /// and what the rules found on the page.
    pub fn note(&mut self, url: &Url, title: Option<&str>, findings: &[Finding]) {
        let kinds = findings.iter().filter_map(|f| {
            let kind = SpamKind::parse(&f.category)?;
            matches!(f.field, Some(Field::Title | Field::Meta | Field::Anchor)).then_some((kind, f))
        });
        if let Some(title) = title {
            if self.titles.len() < MAX_TITLES {
                self.titles.push(Title {
                    url: url.clone(),
                    text: title.to_string(),
                    reported: kinds
                        .clone()
                        .filter(|(_, f)| f.field == Some(Field::Title))
                        .map(|(kind, _)| kind)
                        .collect(),
                });
            }
        }
        let room = MAX_FLAGGED.saturating_sub(self.flagged.len());
        for (kind, f) in kinds.take(FLAGGED_PER_PAGE.min(room)) {
            self.flagged.push(SpamText {
                source: url.to_string(),
                kind,
                text: f.snippet.chars().take(MAX_SNIPPET).collect(),
                line: 0,
            });
        }
    }

    /// One finding per page whose title holds a brand of the site's
    /// flagged pages and was not reported for that kind already.
    pub fn findings(&self, origin: &Origin) -> Vec<Finding> {
        let mined = mine::mine(&self.flagged);
        if mined.is_empty() {
            return Vec::new();
        }
        // Each text folded once: a hacked site has thousands of titles.
        let terms: Vec<String> = mined.iter().map(|m| fold_for_search(&m.term)).collect();
        let flagged: Vec<String> = self
            .flagged
            .iter()
            .map(|t| fold_for_search(&t.text))
            .collect();
        let examples: Vec<String> = mined
            .iter()
            .zip(&terms)
            .map(|(m, term)| {
                let pages: BTreeSet<&str> = self
                    .flagged
                    .iter()
                    .zip(&flagged)
                    .filter(|(t, text)| t.kind == m.kind && text.contains(term.as_str()))
                    .map(|(t, _)| t.source.as_str())
                    .collect();
                pages
                    .into_iter()
                    .take(EXAMPLES)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let mut out = Vec::new();
        for title in &self.titles {
            let folded = fold_for_search(&title.text);
            let Some(i) = (0..mined.len()).find(|&i| {
                !title.reported.contains(&mined[i].kind) && folded.contains(terms[i].as_str())
            }) else {
                continue;
            };
            let m = &mined[i];
            let cause = format!(
                "标题“{}”含“{}”：本站 {} 个页面的{}推广内容中出现的品牌，如 {}",
                title.text,
                m.term,
                m.brand_sources,
                match m.kind {
                    SpamKind::Gambling => "赌博",
                    SpamKind::Porn => "色情",
                },
                examples[i]
            );
            out.push(origin.site_finding(SiteRule::SiteBrand, &title.url, &m.term, cause, None));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            scan: "s".into(),
            site: "gov".into(),
            operator: "o".into(),
            insecure_tls: false,
        }
    }

    fn page(title: &str) -> Option<&str> {
        Some(title)
    }

    fn flagged(o: &Origin, url: &Url, title: &str) -> Finding {
        let mut f = o.site_finding(SiteRule::DarkLinks, url, "k", title.to_string(), None);
        f.category = "gambling".into();
        f.field = Some(Field::Title);
        f
    }

    #[test]
    fn a_brand_of_three_flagged_titles_is_reported_in_the_titles_that_carry_it_alone() {
        let o = origin();
        let mut b = SiteBrands::default();
        for p in ["a", "b", "c"] {
            let url = Url::parse(&format!("http://gov.example/{p}")).unwrap();
            let title = format!("米兰体育官网登录入口-{p}");
            b.note(&url, page(&title), &[flagged(&o, &url, &title)]);
        }
        let swapped = Url::parse("http://gov.example/d").unwrap();
        b.note(&swapped, page("米兰体育-校运会圆满落幕"), &[]);
        let plain = Url::parse("http://gov.example/e").unwrap();
        b.note(&plain, page("学院体育运动会"), &[]);
        let found = b.findings(&o);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].url, swapped.as_str());
        assert_eq!(found[0].rule, "title.site-brand");
        assert_eq!(found[0].term, "米兰体育");
        assert!(
            found[0].snippet.contains("http://gov.example/a"),
            "{}",
            found[0].snippet
        );
    }

    #[test]
    fn two_flagged_titles_are_not_enough_and_a_clean_site_has_nothing_to_mine() {
        let o = origin();
        let mut b = SiteBrands::default();
        for p in ["a", "b"] {
            let url = Url::parse(&format!("http://gov.example/{p}")).unwrap();
            let title = format!("米兰体育官网登录入口-{p}");
            b.note(&url, page(&title), &[flagged(&o, &url, &title)]);
        }
        b.note(
            &Url::parse("http://gov.example/d").unwrap(),
            page("米兰体育-校运会"),
            &[],
        );
        assert!(b.findings(&o).is_empty());
        assert!(SiteBrands::default().findings(&o).is_empty());
    }
}
