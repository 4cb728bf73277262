//! Findings: what the scan tells an operator, one JSON object each.
//!
//! Content hits on a page collapse into one finding per fingerprint (site,
//! canonical URL, rule, field, term) with a count; site-level problems
//! (unreachable, broken links, truncated crawls …) are findings too, with
//! reserved rule ids, so a site with zero findings is a site that was read
//! and is clean.

use crate::ids::fingerprint;
use crate::page::Field;
use crate::severity::Severity;
use crate::time::now_rfc3339;
use serde::{Deserialize, Serialize};
use std::fmt;
use url::Url;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub scan: String,
    pub site: String,
    pub operator: String,
    pub url: String,
    pub rule: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    /// `None` for site-level findings.
    pub field: Option<Field>,
    pub hidden: bool,
    /// The original text that hit.
    pub matched: String,
    /// The rule term that hit (a regex hit: its folded text).
    pub term: String,
    /// Text around the hit; for site-level findings, the cause.
    pub snippet: String,
    pub fingerprint: String,
    /// Hits on that page.
    pub count: u32,
    /// Against the latest earlier scan that covered the site.
    pub status: Status,
    pub first_seen: String,
    pub fetched_at: String,
    /// For findings about a link: the page that links to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// The site was scanned with certificate checks off (`insecure_tls`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_tls: bool,
    /// Seen only in the answer to a second look (`baiduspider`,
    /// `search-referer`, `mobile`): part of the fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<String>,
    /// On `link.broken`: what is broken, `page`, `image` or `document`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// In a document: where (`第3页`, `名单!C7`, `段落 12`); the page
    /// linking to the document is `referrer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Finding {
    /// Mark a finding as seen only in a probe's answer: the probe joins
    /// its fingerprint, so the same words seen by a browser later are
    /// another finding.
    pub fn seen_by_probe(&mut self, probe: &str, url: &Url) {
        self.fingerprint = fingerprint(
            &self.site,
            url,
            &self.rule,
            self.field,
            &format!("{}\u{1f}probe:{probe}", self.term),
        );
        self.probe = Some(probe.to_string());
    }
}

/// Whether a finding was there in the latest earlier scan of its site.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    New,
    Persisting,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Persisting => "persisting",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Rule ids starting with these are reserved for findings that need no
/// rule pack; a pack may not use them.
pub const RESERVED_PREFIXES: [&str; 8] = [
    "site.",
    "link.",
    "crawl.",
    "page.",
    "darklink.",
    "script.",
    "cloak.",
    "attachment.",
];

/// The fixed rules of site-level findings (docs/contract.md#site-level-findings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SiteRule {
    Unreachable,
    TlsInvalid,
    HttpError,
    LinkBroken,
    Truncated,
    RobotsBlocked,
    Blocked,
    Decode,
    /// The start page answered but holds nothing to inspect (empty, or a
    /// script that sends visitors off the site).
    Unreadable,
    /// Hidden content linking to other sites that are neither registered
    /// nor trusted: a dark-link block, whatever words it uses.
    DarkLinks,
    /// A link to another site whose host no longer resolves or answers.
    OutboundDead,
    /// A link to another site that now lands on another registrable
    /// domain, or on gambling, porn or fraud content (a lapsed domain
    /// bought by spammers).
    OutboundHijacked,
    /// A script or frame from an untrusted host the previous scan of the
    /// site did not see.
    NewScriptHost,
    /// The page answers Baiduspider with other content, status or redirect
    /// than a browser.
    CloakUserAgent,
    /// …a visitor arriving from a search result.
    CloakReferer,
    /// …a phone.
    CloakMobile,
    /// A script that sends visitors elsewhere or writes content depending
    /// on the referrer, user agent or a cookie: the search-referer hijack.
    ConditionalRedirect,
    /// A script that loads or navigates to an address it holds only
    /// encoded (base64, escapes, character codes, packed code).
    EncodedUrl,
    /// A linked document that could not be read: encrypted, corrupt, over
    /// the cap, a format not read.
    AttachmentUnreadable,
    /// `serve`: 3% (medium) or 5% (high) of the last 7 days' home-page
    /// probes failed or took 15 s or more ([`crate::availability`]).
    Availability,
    /// A title holding a brand that the site's own flagged titles carry
    /// (a brand swapped in for the institution's name,
    /// [`crate::crawl::site_brands`]).
    SiteBrand,
    /// A page's title changed since the previous scan (one finding for
    /// the site when many changed the same way,
    /// [`crate::crawl::title_changes`]).
    TitleChanged,
}

impl SiteRule {
    pub const ALL: [SiteRule; 22] = [
        SiteRule::Unreachable,
        SiteRule::TlsInvalid,
        SiteRule::HttpError,
        SiteRule::LinkBroken,
        SiteRule::Truncated,
        SiteRule::RobotsBlocked,
        SiteRule::Blocked,
        SiteRule::Decode,
        SiteRule::Unreadable,
        SiteRule::DarkLinks,
        SiteRule::OutboundDead,
        SiteRule::OutboundHijacked,
        SiteRule::NewScriptHost,
        SiteRule::CloakUserAgent,
        SiteRule::CloakReferer,
        SiteRule::CloakMobile,
        SiteRule::ConditionalRedirect,
        SiteRule::EncodedUrl,
        SiteRule::AttachmentUnreadable,
        SiteRule::Availability,
        SiteRule::SiteBrand,
        SiteRule::TitleChanged,
    ];

    /// The site rule of a reserved id.
    pub fn from_id(id: &str) -> Option<SiteRule> {
        SiteRule::ALL.into_iter().find(|r| r.id() == id)
    }

    /// A finding about the site as a whole (not about one page or link):
    /// it is fixed when a later scan reads the site.
    pub fn about_the_site(self) -> bool {
        matches!(
            self,
            SiteRule::Unreachable
                | SiteRule::HttpError
                | SiteRule::TlsInvalid
                | SiteRule::Unreadable
                | SiteRule::RobotsBlocked
        )
    }

    pub fn id(self) -> &'static str {
        match self {
            SiteRule::Unreachable => "site.unreachable",
            SiteRule::TlsInvalid => "site.tls-invalid",
            SiteRule::HttpError => "site.http-error",
            SiteRule::LinkBroken => "link.broken",
            SiteRule::Truncated => "crawl.truncated",
            SiteRule::RobotsBlocked => "crawl.robots-blocked",
            SiteRule::Blocked => "crawl.blocked",
            SiteRule::Decode => "page.decode",
            SiteRule::Unreadable => "site.unreadable",
            SiteRule::DarkLinks => "darklink.hidden-links",
            SiteRule::OutboundDead => "link.outbound-dead",
            SiteRule::OutboundHijacked => "link.outbound-hijacked",
            SiteRule::NewScriptHost => "script.new-host",
            SiteRule::CloakUserAgent => "cloak.user-agent",
            SiteRule::CloakReferer => "cloak.referer",
            SiteRule::CloakMobile => "cloak.mobile",
            SiteRule::ConditionalRedirect => "script.conditional-redirect",
            SiteRule::EncodedUrl => "script.encoded-url",
            SiteRule::AttachmentUnreadable => "attachment.unreadable",
            SiteRule::Availability => "site.availability",
            SiteRule::SiteBrand => "title.site-brand",
            SiteRule::TitleChanged => "title.changed",
        }
    }

    /// The rule's severity; `site.availability` is high at most (medium
    /// from 3%: its findings carry their own).
    pub fn severity(self) -> Severity {
        match self {
            SiteRule::ConditionalRedirect => Severity::Critical,
            SiteRule::AttachmentUnreadable => Severity::Info,
            SiteRule::Unreachable
            | SiteRule::HttpError
            | SiteRule::Unreadable
            | SiteRule::DarkLinks
            | SiteRule::OutboundHijacked
            | SiteRule::EncodedUrl
            | SiteRule::SiteBrand
            | SiteRule::Availability => Severity::High,
            SiteRule::CloakUserAgent | SiteRule::CloakReferer | SiteRule::CloakMobile => {
                Severity::Critical
            }
            SiteRule::TlsInvalid
            | SiteRule::RobotsBlocked
            | SiteRule::Blocked
            | SiteRule::NewScriptHost
            | SiteRule::TitleChanged => Severity::Medium,
            SiteRule::LinkBroken | SiteRule::Decode | SiteRule::OutboundDead => Severity::Low,
            SiteRule::Truncated => Severity::Info,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SiteRule::Unreachable => "网站无法访问",
            SiteRule::TlsInvalid => "网站证书无效",
            SiteRule::HttpError => "网站首页返回错误",
            SiteRule::LinkBroken => "站内死链",
            SiteRule::Truncated => "检查未完成（达到限制）",
            SiteRule::RobotsBlocked => "robots.txt 禁止检查",
            SiteRule::Blocked => "网站拒绝检查请求",
            SiteRule::Decode => "页面编码无法识别",
            SiteRule::Unreadable => "网站首页无可检查内容",
            SiteRule::DarkLinks => "隐藏的外部链接（暗链）",
            SiteRule::OutboundDead => "外部链接失效（域名无法解析或无法连接）",
            SiteRule::OutboundHijacked => "外部链接被劫持（跳转至其他域名或不良内容）",
            SiteRule::NewScriptHost => "新出现的外部脚本来源",
            SiteRule::CloakUserAgent => "对搜索引擎爬虫显示不同内容",
            SiteRule::CloakReferer => "对搜索引擎来访者显示不同内容",
            SiteRule::CloakMobile => "对手机访问显示不同内容",
            SiteRule::ConditionalRedirect => "按来路或设备跳转的恶意脚本（搜索劫持）",
            SiteRule::EncodedUrl => "脚本加载或跳转到编码隐藏的外部网址",
            SiteRule::AttachmentUnreadable => "附件无法读取",
            SiteRule::Availability => "网站首页可用性不达标（近7天监测）",
            SiteRule::SiteBrand => "标题含本站被篡改页面上的赌博或色情品牌",
            SiteRule::TitleChanged => "页面标题自上次检查以来被改动",
        }
    }

    /// The title in English (`report --lang en`).
    pub fn title_en(self) -> &'static str {
        match self {
            SiteRule::Unreachable => "site unreachable",
            SiteRule::TlsInvalid => "invalid certificate",
            SiteRule::HttpError => "start page answers an error",
            SiteRule::LinkBroken => "broken link",
            SiteRule::Truncated => "inspection cut short (a limit was reached)",
            SiteRule::RobotsBlocked => "robots.txt forbids inspection",
            SiteRule::Blocked => "the site refuses the scanner",
            SiteRule::Decode => "page charset not recognised",
            SiteRule::Unreadable => "start page has nothing to inspect",
            SiteRule::DarkLinks => "hidden links to other sites (dark links)",
            SiteRule::OutboundDead => "dead link to another site (host gone)",
            SiteRule::OutboundHijacked => {
                "hijacked link to another site (lands elsewhere or on spam)"
            }
            SiteRule::NewScriptHost => "script from a new outside host",
            SiteRule::CloakUserAgent => "other content for search-engine crawlers",
            SiteRule::CloakReferer => "other content for visitors from a search engine",
            SiteRule::CloakMobile => "other content for phones",
            SiteRule::AttachmentUnreadable => "attachment could not be read",
            SiteRule::ConditionalRedirect => {
                "script that redirects by referrer or device (search hijack)"
            }
            SiteRule::EncodedUrl => "script that loads or opens an address it hides by encoding",
            SiteRule::Availability => "home page often unavailable (last 7 days' probes)",
            SiteRule::SiteBrand => "title carries a brand of the site's hijacked pages",
            SiteRule::TitleChanged => "page title changed since the previous scan",
        }
    }

    pub fn category(self) -> &'static str {
        match self {
            SiteRule::Unreachable
            | SiteRule::TlsInvalid
            | SiteRule::HttpError
            | SiteRule::Unreadable
            | SiteRule::Availability => "availability",
            SiteRule::LinkBroken | SiteRule::Decode | SiteRule::OutboundDead => "hygiene",
            SiteRule::OutboundHijacked => "hijack",
            SiteRule::SiteBrand | SiteRule::TitleChanged => "title-hijack",
            SiteRule::DarkLinks => "darklink",
            SiteRule::NewScriptHost => "script",
            SiteRule::CloakUserAgent | SiteRule::CloakReferer | SiteRule::CloakMobile => "cloak",
            // As the bundled packs' referrer rules (malicious.toml), so the
            // report groups them.
            SiteRule::ConditionalRedirect | SiteRule::EncodedUrl => "malicious-script",
            SiteRule::AttachmentUnreadable => "crawl",
            SiteRule::Truncated | SiteRule::RobotsBlocked | SiteRule::Blocked => "crawl",
        }
    }
}

/// Who and when: the parts every finding of a site shares.
#[derive(Clone, Debug)]
pub struct Origin {
    pub scan: String,
    pub site: String,
    pub operator: String,
    pub insecure_tls: bool,
}

impl Origin {
    /// The origin of a site's findings in scan `scan`.
    pub fn of_site(scan: &str, site: &crate::register::Site) -> Origin {
        Origin {
            scan: scan.to_string(),
            site: site.id.clone(),
            operator: site.operator.clone(),
            insecure_tls: site.settings.insecure_tls,
        }
    }

    /// A site-level finding. `key` tells apart findings of one rule on one
    /// URL (the cause of a truncation); `cause` is shown as the snippet.
    pub fn site_finding(
        &self,
        rule: SiteRule,
        url: &Url,
        key: &str,
        cause: String,
        referrer: Option<&Url>,
    ) -> Finding {
        let now = now_rfc3339();
        Finding {
            scan: self.scan.clone(),
            site: self.site.clone(),
            operator: self.operator.clone(),
            url: url.to_string(),
            rule: rule.id().to_string(),
            title: rule.title().to_string(),
            category: rule.category().to_string(),
            severity: rule.severity(),
            field: None,
            hidden: false,
            matched: String::new(),
            term: key.to_string(),
            snippet: cause,
            fingerprint: fingerprint(&self.site, url, rule.id(), None, key),
            count: 1,
            status: Status::New,
            first_seen: now.clone(),
            fetched_at: now,
            referrer: referrer.map(Url::to_string),
            insecure_tls: self.insecure_tls,
            probe: None,
            kind: None,
            location: None,
        }
    }
}
