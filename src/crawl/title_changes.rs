//! Titles changed since the previous scan (`title.changed`).
//!
//! A hijack rewrites titles a site already had: the college's
//! `体育学科建设与专业发展论坛` becomes `开云足球学科建设与专业发展论坛`, or
//! every title gets `米兰体育-` put in front. Often the brand is one no
//! list knows and the title has no shape a rule can read, but the previous
//! scan stored each page's title, and a changed one needs no vocabulary.
//!
//! What counts as a change: the titles differ once folded as rules fold
//! (case, width, traditional characters, spaces) and with every run of
//! digits read as one digit, so that dates, issue numbers and counters do
//! not count. A page's change is compared against the title it had before
//! it was first reported changed (stored as `title_was`), so a hijacked
//! title stays reported scan after scan until it goes back — or the office
//! answers for the finding, which accepts the change ([`baselines`]) —
//! rather than becoming the next baseline. `serve`'s hourly home-page
//! probe uses the same comparison between scans
//! ([`crate::availability::retitled`]).
//!
//! The same change on many pages (a brand put before every title, or a
//! redesign renaming the site) is one finding for the site, with examples,
//! not one per page. A title a rule reported already is not reported again
//! as changed: the rule's finding says more.

use crate::crawl::records::PreviousTitle;
use crate::findings::{Finding, Origin, SiteRule};
use crate::page::{cut, Field, Page};
use crate::rules::mine::fold_for_search;
use std::collections::{BTreeMap, HashMap};
use url::Url;

/// Characters of a title kept and compared.
pub const MAX_TITLE: usize = 200;
/// Changed titles kept per site; the rest are counted, not listed.
const MAX_CHANGES: usize = 20_000;
/// Pages with the same change from which it is one finding for the site.
const SITE_WIDE: usize = 3;
/// Pages changed each its own way from which they are one finding for
/// the site.
const MANY_ALONE: usize = 50;
/// Pages named in a site finding.
const EXAMPLES: usize = 3;

/// What a title change replaced: the part of the old title that went
/// (`removed`) and what stands in its place (`added`), the common start
/// and end left out.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub removed: String,
    pub added: String,
}

impl Change {
    /// `加入“…”`, `删去“…”` or `“…”改为“…”`.
    pub fn described(&self) -> String {
        match (self.removed.is_empty(), self.added.is_empty()) {
            (true, _) => format!("加入“{}”", self.added),
            (_, true) => format!("删去“{}”", self.removed),
            _ => format!("“{}”改为“{}”", self.removed, self.added),
        }
    }
}

/// A page's title as stored and compared: runs of white space made one
/// space, trimmed, cut to [`MAX_TITLE`] characters; `None` when empty.
pub fn stored_title(page: &Page) -> Option<String> {
    let block = page.blocks.iter().find(|b| b.field == Field::Title)?;
    let text: String = block
        .text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_TITLE)
        .collect();
    (!text.is_empty()).then_some(text)
}

/// How a title changed, or `None` when it did not in a way a person would
/// call an edit of its words.
pub fn compare(before: &str, now: &str) -> Option<Change> {
    if before == now || comparable(before) == comparable(now) {
        return None;
    }
    let b: Vec<char> = before.chars().collect();
    let n: Vec<char> = now.chars().collect();
    let start = b.iter().zip(&n).take_while(|(x, y)| x == y).count();
    let end = b[start..]
        .iter()
        .rev()
        .zip(n[start..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    Some(Change {
        removed: b[start..b.len() - end].iter().collect(),
        added: n[start..n.len() - end].iter().collect(),
    })
}

/// A title folded as rules fold, each run of digits one `0`.
fn comparable(title: &str) -> String {
    let folded = fold_for_search(title);
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            if !out.ends_with('0') {
                out.push('0');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// What the store keeps of a page's title.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredTitle {
    pub title: Option<String>,
    /// The title it was reported changed from.
    pub title_was: Option<String>,
}

struct Noted {
    url: Url,
    before: String,
    now: String,
    change: Change,
}

/// The site's changed titles, kept until its crawl ends.
#[derive(Default)]
pub struct TitleChanges {
    noted: Vec<Noted>,
    /// Changes beyond [`MAX_CHANGES`], counted only.
    over: usize,
}

impl TitleChanges {
    /// Compare a page's title (as [`stored_title`] reads it) with
    /// `before`, the one the previous scan compared against (if it read
    /// the page), note a change to report, and say what to store.
    pub fn look(
        &mut self,
        before: Option<&String>,
        url: &Url,
        title: Option<String>,
        findings: &[Finding],
    ) -> StoredTitle {
        let unchanged = |title| StoredTitle {
            title,
            title_was: None,
        };
        let (Some(before), Some(now)) = (before, title.as_deref()) else {
            return unchanged(title);
        };
        let Some(change) = compare(before, now) else {
            return unchanged(title);
        };
        self.note(url, before, now, change, findings);
        StoredTitle {
            title,
            title_was: Some(before.clone()),
        }
    }

    /// A page a resumed scan stored before the interruption: a change it
    /// was found to have is reported at the site's end like the others.
    pub fn recall(&mut self, url: &Url, stored: &StoredTitle, findings: &[Finding]) {
        if let (Some(before), Some(now)) = (&stored.title_was, &stored.title) {
            if let Some(change) = compare(before, now) {
                self.note(url, before, now, change, findings);
            }
        }
    }

    fn note(&mut self, url: &Url, before: &str, now: &str, change: Change, findings: &[Finding]) {
        if findings.iter().any(|f| f.field == Some(Field::Title)) {
            return;
        }
        if self.noted.len() >= MAX_CHANGES {
            self.over += 1;
            return;
        }
        self.noted.push(Noted {
            url: url.clone(),
            before: before.to_string(),
            now: now.to_string(),
            change,
        });
    }

    /// One finding per changed page; one for the site for three pages or
    /// more changed the same way, and one for more than 50 pages changed
    /// each its own way. Site findings stand
    /// on the start page, so that they keep their fingerprint from scan
    /// to scan.
    pub fn findings(&self, origin: &Origin, start: &Url) -> Vec<Finding> {
        self.reports(origin, start)
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    /// The findings, each with the pages (indices into `noted`) it
    /// stands for.
    fn reports(&self, origin: &Origin, start: &Url) -> Vec<(Finding, Vec<usize>)> {
        let mut groups: BTreeMap<&Change, Vec<usize>> = BTreeMap::new();
        for (i, noted) in self.noted.iter().enumerate() {
            groups.entry(&noted.change).or_default().push(i);
        }
        let pages_of = |ix: &[usize]| ix.iter().map(|&i| &self.noted[i]).collect::<Vec<_>>();
        let mut out = Vec::new();
        let mut alone: Vec<usize> = Vec::new();
        for (change, ix) in groups {
            if ix.len() < SITE_WIDE {
                alone.extend(ix);
                continue;
            }
            let cause = format!(
                "上次检查以来 {} 个页面的标题被同样改动：{}，如 {}",
                ix.len(),
                change.described(),
                examples(&pages_of(&ix))
            );
            let key = format!("{}→{}", change.removed, change.added);
            let mut f = origin.site_finding(SiteRule::TitleChanged, start, &key, cause, None);
            // What a report marks in the snippet: the words put in.
            f.matched = change.added.clone();
            out.push((f, ix));
        }
        let many = alone.len() + self.over;
        if many > MANY_ALONE {
            // A site that gave every page a title of its own (a new
            // content system putting each headline where the site's name
            // stood) is one finding, not thousands; a hijack doing the
            // same is still reported, with its examples.
            let cause = format!(
                "上次检查以来 {}{} 个页面的标题各自被改动，如 {}",
                if self.over > 0 { "至少 " } else { "" },
                many,
                examples(&pages_of(&alone))
            );
            let f = origin.site_finding(SiteRule::TitleChanged, start, "many", cause, None);
            out.push((f, alone));
            return out;
        }
        for i in alone {
            let page = &self.noted[i];
            let cause = format!(
                "上次检查以来标题被改动：原为“{}”，现为“{}”（{}）",
                page.before,
                page.now,
                page.change.described()
            );
            let mut f =
                origin.site_finding(SiteRule::TitleChanged, &page.url, &page.now, cause, None);
            f.matched = page.change.added.clone();
            out.push((f, vec![i]));
        }
        out
    }
}

/// The title each page of the previous scan is compared against, by
/// canonical URL: the title it had — or, when the previous scan reported
/// it changed, the title it changed from, unless the office answered for
/// that finding (`answered`: the ignore file, a false positive), which
/// accepts the change. A hijacked title so never becomes the baseline by
/// being seen twice, and an accepted redesign does, so that a later
/// hijack stands out from it rather than being counted into it.
pub fn baselines(
    previous: &HashMap<String, PreviousTitle>,
    origin: &Origin,
    start: &Url,
    answered: &dyn Fn(&Finding) -> bool,
) -> HashMap<String, String> {
    // The previous scan's findings are made again from what it stored.
    let mut again = TitleChanges::default();
    let mut canonicals = Vec::new();
    for (canonical, p) in previous {
        let (Some(was), Ok(url)) = (&p.was, Url::parse(&p.url)) else {
            continue;
        };
        if let Some(change) = compare(was, &p.title) {
            again.noted.push(Noted {
                url,
                before: was.clone(),
                now: p.title.clone(),
                change,
            });
            canonicals.push(canonical.as_str());
        }
    }
    let mut accepted = vec![false; again.noted.len()];
    for (f, ix) in again.reports(origin, start) {
        if answered(&f) {
            for i in ix {
                accepted[i] = true;
            }
        }
    }
    let still_changed: HashMap<&str, &str> = canonicals
        .iter()
        .zip(&again.noted)
        .zip(&accepted)
        .filter(|(_, &ok)| !ok)
        .map(|((c, n), _)| (*c, n.before.as_str()))
        .collect();
    previous
        .iter()
        .map(|(canonical, p)| {
            let base = still_changed
                .get(canonical.as_str())
                .map_or(p.title.as_str(), |b| *b);
            (canonical.clone(), base.to_string())
        })
        .collect()
}

/// The first pages by address, each with its titles before and now.
fn examples(pages: &[&Noted]) -> String {
    let mut pages = pages.to_vec();
    pages.sort_unstable_by(|a, b| a.url.as_str().cmp(b.url.as_str()));
    pages
        .iter()
        .take(EXAMPLES)
        .map(|p| {
            format!(
                "{}（原为“{}”，现为“{}”）",
                p.url,
                cut(&p.before, EXAMPLE_TITLE),
                cut(&p.now, EXAMPLE_TITLE)
            )
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// Characters of a title shown in a site finding's examples: three pages
/// of two whole titles each would fill half a printed page.
const EXAMPLE_TITLE: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::Block;

    /// A page's title as the crawl reads it.
    fn page(title: &str) -> Option<String> {
        let mut page = Page::default();
        page.blocks.push(Block::new(Field::Title, title));
        stored_title(&page)
    }

    fn origin() -> Origin {
        Origin {
            scan: "s".into(),
            site: "edu".into(),
            operator: "办公室".into(),
            insecure_tls: false,
        }
    }

    fn url(path: &str) -> Url {
        Url::parse("http://school.example/")
            .unwrap()
            .join(path)
            .unwrap()
    }

    #[test]
    fn a_brand_swapped_in_is_a_change_and_says_what_replaced_what() {
        let c = compare(
            "体育学科建设与专业发展论坛",
            "开云足球学科建设与专业发展论坛",
        )
        .unwrap();
        assert_eq!((c.removed.as_str(), c.added.as_str()), ("体育", "开云足球"));
        let c = compare(
            "校运会圆满落幕-某某大学",
            "米兰体育-校运会圆满落幕-某某大学",
        )
        .unwrap();
        assert_eq!((c.removed.as_str(), c.added.as_str()), ("", "米兰体育-"));
    }

    #[test]
    fn dates_counters_width_and_spacing_are_not_changes() {
        assert_eq!(
            compare(
                "2024年政府信息公开工作年度报告",
                "2025年政府信息公开工作年度报告"
            ),
            None
        );
        assert_eq!(compare("今天是12月1日", "今天是11月30日"), None);
        assert_eq!(compare("访问量 9999", "访问量 10000"), None);
        assert_eq!(compare("某某大学 新闻网", "某某大學新聞網"), None);
        assert_eq!(compare("ABC学院", "ａｂｃ学院"), None);
        // Zero-width characters a kit or an editor left in.
        assert_eq!(compare("学院新闻", "学\u{200b}院新闻"), None);
        // A word is a change even beside a number.
        assert!(compare("2024年工作报告", "2024年娱乐报告").is_some());
    }

    #[test]
    fn the_title_stored_is_the_baseline_while_it_stays_changed() {
        let mut t = TitleChanges::default();
        let before = "学院召开工作会议".to_string();
        let stored = t.look(Some(&before), &url("/a"), page("九游学院召开工作会议"), &[]);
        assert_eq!(stored.title.as_deref(), Some("九游学院召开工作会议"));
        assert_eq!(stored.title_was.as_deref(), Some("学院召开工作会议"));
        // Unchanged, or never seen before: nothing to carry.
        let same = t.look(Some(&before), &url("/b"), page(" 学院召开\n工作会议 "), &[]);
        assert_eq!(same.title.as_deref(), Some("学院召开 工作会议"));
        assert_eq!(same.title_was, None);
        assert_eq!(
            t.look(None, &url("/c"), page("新页面"), &[]).title_was,
            None
        );
        assert_eq!(t.noted.len(), 1);
    }

    #[test]
    fn one_change_on_many_pages_is_one_finding_for_the_site_and_others_one_each() {
        let mut t = TitleChanges::default();
        for (i, news) in [
            "校运会圆满落幕",
            "开学典礼举行",
            "教师节表彰大会",
            "招生简章",
        ]
        .iter()
        .enumerate()
        {
            let before = format!("{news}-某某大学");
            t.look(
                Some(&before),
                &url(&format!("/n{i}")),
                page(&format!("米兰体育-{news}-某某大学")),
                &[],
            );
        }
        let before = "体育学科建设论坛".to_string();
        t.look(
            Some(&before),
            &url("/forum"),
            page("开云足球学科建设论坛"),
            &[],
        );
        let start = url("/");
        let found = t.findings(&origin(), &start);
        assert_eq!(found.len(), 2, "{found:#?}");
        let site = found.iter().find(|f| f.url == start.as_str()).unwrap();
        assert!(
            site.snippet.contains("4 个页面")
                && site.snippet.contains("加入“米兰体育-”")
                && site.snippet.contains("原为“开学典礼举行-某某大学”"),
            "{}",
            site.snippet
        );
        assert_eq!(site.term, "→米兰体育-");
        assert_eq!(site.matched, "米兰体育-");
        assert_eq!(site.rule, "title.changed");
        let forum = found.iter().find(|f| f.url.ends_with("/forum")).unwrap();
        assert!(
            forum
                .snippet
                .contains("原为“体育学科建设论坛”，现为“开云足球学科建设论坛”"),
            "{}",
            forum.snippet
        );
        // The same page, changed the same way, in the next scan: the same
        // fingerprint (a persisting finding, not a new one).
        let mut again = TitleChanges::default();
        again.look(
            Some(&before),
            &url("/forum"),
            page("开云足球学科建设论坛"),
            &[],
        );
        assert_eq!(
            again.findings(&origin(), &start)[0].fingerprint,
            forum.fingerprint
        );
    }

    #[test]
    fn many_pages_retitled_each_its_own_way_are_one_finding_for_the_site() {
        let mut t = TitleChanges::default();
        for i in 0..=MANY_ALONE {
            let before = "某某学校".to_string();
            t.look(
                Some(&before),
                &url(&format!("/n{i}")),
                page(&format!(
                    "第{}条新闻标题{}",
                    i,
                    "甲乙丙丁"
                        .chars()
                        .nth(i % 4)
                        .unwrap()
                        .to_string()
                        .repeat(4 * (i + 1))
                )),
                &[],
            );
        }
        let found = t.findings(&origin(), &url("/"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].term, "many");
        // Long titles are cut in the examples.
        assert!(found[0].snippet.contains('…'), "{}", found[0].snippet);
        assert!(
            found[0].snippet.contains("51 个页面的标题各自被改动"),
            "{}",
            found[0].snippet
        );
        // One fewer is one finding each.
        t.noted.pop();
        assert_eq!(t.findings(&origin(), &url("/")).len(), MANY_ALONE);
    }

    fn previous(pages: &[(&str, &str, Option<&str>)]) -> HashMap<String, PreviousTitle> {
        pages
            .iter()
            .map(|(path, title, was)| {
                (
                    path.to_string(),
                    PreviousTitle {
                        url: url(path).to_string(),
                        title: title.to_string(),
                        was: was.map(str::to_string),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_change_is_compared_against_the_old_title_until_the_office_accepts_it() {
        let prev = previous(&[
            ("/a", "学院新闻", None),
            ("/b", "九游学院召开工作会议", Some("学院召开工作会议")),
            ("/c", "鸿福足球学科建设论坛", Some("体育学科建设论坛")),
        ]);
        let start = url("/");
        let none = |_: &Finding| false;
        let base = baselines(&prev, &origin(), &start, &none);
        assert_eq!(base["/a"], "学院新闻");
        assert_eq!(base["/b"], "学院召开工作会议");
        assert_eq!(base["/c"], "体育学科建设论坛");
        // The office marked /c's finding (the one the previous scan made)
        // a false positive: its new title is the baseline now.
        let mut t = TitleChanges::default();
        let before = "体育学科建设论坛".to_string();
        t.look(Some(&before), &url("/c"), page("鸿福足球学科建设论坛"), &[]);
        let fp = t.findings(&origin(), &start)[0].fingerprint.clone();
        let answered = move |f: &Finding| f.fingerprint == fp;
        let base = baselines(&prev, &origin(), &start, &answered);
        assert_eq!(base["/b"], "学院召开工作会议");
        assert_eq!(base["/c"], "鸿福足球学科建设论坛");
    }

    #[test]
    fn accepting_a_site_wide_change_accepts_every_page_it_counted() {
        let mut pages = Vec::new();
        for i in 0..=MANY_ALONE {
            let now = format!("第{i}条新闻{}", "甲乙丙丁".repeat(i + 1));
            pages.push((format!("/n{i}"), now));
        }
        let rows: Vec<(&str, &str, Option<&str>)> = pages
            .iter()
            .map(|(p, now)| (p.as_str(), now.as_str(), Some("某某学校")))
            .collect();
        let prev = previous(&rows);
        let start = url("/");
        let many = |f: &Finding| f.term == "many" && f.url == start.as_str();
        let base = baselines(&prev, &origin(), &start, &many);
        assert!(base.iter().all(|(p, b)| prev[p].title == *b));
        let none = |_: &Finding| false;
        let base = baselines(&prev, &origin(), &start, &none);
        assert!(base.values().all(|b| b == "某某学校"));
    }

    #[test]
    fn changes_past_the_cap_are_counted_not_kept() {
        let mut t = TitleChanges::default();
        let before = "某某学校".to_string();
        for i in 0..MAX_CHANGES + 2 {
            // Each its own change: a word per page, not a number.
            let word: String = char::from_u32(0x4e00 + i as u32).into_iter().collect();
            t.look(
                Some(&before),
                &url(&format!("/n{i}")),
                Some(format!("某某学校{word}")),
                &[],
            );
        }
        assert_eq!((t.noted.len(), t.over), (MAX_CHANGES, 2));
        let found = t.findings(&origin(), &url("/"));
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .snippet
                .contains(&format!("至少 {} 个页面", MAX_CHANGES + 2)),
            "{}",
            found[0].snippet
        );
    }

    #[test]
    fn a_title_a_rule_reported_is_stored_changed_but_not_reported_twice() {
        let mut t = TitleChanges::default();
        let mut f =
            origin().site_finding(SiteRule::SiteBrand, &url("/a"), "x", String::new(), None);
        f.field = Some(Field::Title);
        let before = "学院新闻".to_string();
        let stored = t.look(Some(&before), &url("/a"), page("澳门新葡京学院新闻"), &[f]);
        assert_eq!(stored.title_was.as_deref(), Some("学院新闻"));
        assert!(t.findings(&origin(), &url("/")).is_empty());
    }
}
