//! Word of what a scan or the availability probes found (`[notify]`):
//! new findings at or above `min_severity` (status `new` only: a finding
//! already told is not told again), sites that became unreachable, and
//! scans that failed.
//!
//! - The office gets one summary on the webhook: a plain JSON object, or
//!   a WeCom (企业微信) or DingTalk (钉钉) group robot's markdown message,
//!   each kept under its documented size (WeCom: 4,096 bytes of content;
//!   DingTalk: 20,000 bytes of text); what does not fit is left out and
//!   counted (`…另有 N 条未列出`).
//! - Each operator gets an e-mail at the `email` of its sites, with only
//!   the findings of the sites that list that address.
//!
//! Personal data is masked as in reports ([`crate::report::mask`]); page
//! text is escaped for markdown ([`crate::report::markdown_text`]). Every
//! message is tried up to [`TRIES`] times with growing pauses, and every
//! outcome, sent or failed, is written to the database's `notifications`
//! table: a notification is never lost silently. A failed notification is
//! returned to the caller; it never fails the scan.

use crate::findings::Status;
use crate::findings::{Finding, SiteRule};
use crate::page::cut;
use crate::register::{Notify, Register, Smtp, WebhookFormat};
use crate::report::{markdown_text, mask};
use crate::severity::Severity;
use crate::store::{NotificationRow, Store};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Tries per message.
pub const TRIES: u32 = 3;
/// Pause before the second try; each later pause is 4 times longer.
pub const BACKOFF: Duration = Duration::from_secs(2);
/// WeCom group robot: markdown `content` at most 4,096 bytes.
pub const WECOM_BYTES: usize = 4096;
/// DingTalk custom robot: markdown `text` kept under 20,000 bytes.
pub const DINGTALK_BYTES: usize = 20_000;
/// Plain JSON: at most this many findings listed, and the text as
/// DingTalk's.
pub const JSON_FINDINGS: usize = 200;

/// A site that stopped answering.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Down {
    pub site: String,
    pub name: String,
    pub operator: String,
    /// Why, as the probe or the scan saw it.
    pub cause: String,
}

/// What there is to tell.
#[derive(Clone, Debug, Default)]
pub struct News {
    /// The scan it is about (none for probes).
    pub scan: Option<String>,
    /// New findings at or above `min_severity`, unreachable sites' own
    /// findings left out (they are in `down`).
    pub findings: Vec<Finding>,
    pub down: Vec<Down>,
    /// Scans that failed, each with why.
    pub failures: Vec<String>,
}

impl News {
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.down.is_empty() && self.failures.is_empty()
    }

    /// What to tell of a scan's findings: the new ones at or above `min`;
    /// a new `site.unreachable` or `site.http-error` (the site answered
    /// before, or was never scanned) is a site gone down, at any
    /// `min_severity`.
    pub fn of_scan(
        scan: &str,
        findings: impl IntoIterator<Item = Finding>,
        register: &Register,
        min: Severity,
    ) -> News {
        let mut news = News {
            scan: Some(scan.to_string()),
            ..News::default()
        };
        for f in findings {
            if f.status != Status::New {
                continue;
            }
            let down = matches!(
                SiteRule::from_id(&f.rule),
                Some(SiteRule::Unreachable | SiteRule::HttpError)
            );
            if down {
                let name = register
                    .sites
                    .iter()
                    .find(|s| s.id == f.site)
                    .map_or_else(|| f.site.clone(), |s| s.name.clone());
                news.down.push(Down {
                    site: f.site.clone(),
                    name,
                    operator: f.operator.clone(),
                    cause: f.snippet.clone(),
                });
            } else if f.severity >= min {
                news.findings.push(f);
            }
        }
        news
    }
}

/// Tell what a stored scan found (`scan` and `serve`, after the scan):
/// its new findings not ignored, at or above `[notify]`'s level, and
/// sites gone down; every outcome is recorded in the database.
pub fn after_scan(
    notifier: &Notifier,
    register: &Register,
    db: &std::path::Path,
    scan: &str,
    ignore: &crate::ignore::IgnoreList,
) -> Result<Vec<Outcome>, crate::Error> {
    let store = Store::open(db)?;
    let today = crate::ignore::today();
    let mut kept = Vec::new();
    store.each_finding(scan, |f| {
        if f.status == Status::New && ignore.ignores(&f, &today).is_none() {
            kept.push(f);
        }
    })?;
    let news = News::of_scan(scan, kept, register, notifier.config.min_severity);
    Ok(notifier.send(&news, register, Some(&store)))
}

/// Tell that a scan failed.
pub fn scan_failed(
    notifier: &Notifier,
    register: &Register,
    db: Option<&std::path::Path>,
    message: &str,
) -> Vec<Outcome> {
    let store = db.and_then(|p| Store::open(p).ok());
    let news = News {
        failures: vec![message.to_string()],
        ..News::default()
    };
    notifier.send(&news, register, store.as_ref())
}

/// "webhook https://h/x: sent" / "email a@b: failed after 3 tries: …"
pub fn describe(o: &Outcome) -> String {
    match &o.error {
        None => format!("notification {} {}: sent", o.channel, o.target),
        Some(e) => format!(
            "notification {} {}: failed after {} tr{}: {e}",
            o.channel,
            o.target,
            o.tries,
            if o.tries == 1 { "y" } else { "ies" }
        ),
    }
}

/// How one message went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `webhook` or `email`.
    pub channel: &'static str,
    /// The webhook without its query (robot keys live there), or the
    /// address.
    pub target: String,
    pub tries: u32,
    /// Why it was not sent, after the last try.
    pub error: Option<String>,
}

impl Outcome {
    pub fn sent(&self) -> bool {
        self.error.is_none()
    }
}

/// Sends [`News`] as `[notify]` says.
#[derive(Clone)]
pub struct Notifier {
    pub config: Notify,
    pub tries: u32,
    pub backoff: Duration,
    /// How to wait between tries (tests: record instead of waiting).
    pub sleep: Arc<dyn Fn(Duration) + Send + Sync>,
    /// Per request.
    pub timeout: Duration,
}

impl Notifier {
    pub fn new(config: Notify) -> Notifier {
        Notifier {
            config,
            tries: TRIES,
            backoff: BACKOFF,
            sleep: Arc::new(std::thread::sleep),
            timeout: Duration::from_secs(20),
        }
    }

    /// Send the office summary and each operator's e-mail, record every
    /// outcome in `store` (when given), and return them. Nothing is sent
    /// when there is nothing to tell. Blocking: call it outside an async
    /// runtime.
    pub fn send(&self, news: &News, register: &Register, store: Option<&Store>) -> Vec<Outcome> {
        if news.is_empty() {
            return Vec::new();
        }
        let mut outcomes = Vec::new();
        if let Some(url) = &self.config.webhook {
            let body = webhook_body(self.config.webhook_format, news, register);
            let outcome = self.retry("webhook", shown_webhook(url), || {
                post_json(url, &body, self.timeout)
            });
            outcomes.push((outcome, subject(news)));
        }
        if let (Some(smtp), Some(from)) = (&self.config.smtp, &self.config.from) {
            for (address, part) in per_address(news, register) {
                let subject = subject(&part);
                let text = mail_text(&part, register);
                let outcome = self.retry("email", address.clone(), || {
                    send_mail(smtp, from, &address, &subject, &text, self.timeout)
                });
                outcomes.push((outcome, subject));
            }
        }
        if let Some(store) = store {
            for (o, subject) in &outcomes {
                // A row that cannot be written is still returned (and
                // printed by the caller).
                let _ = store.add_notification(&NotificationRow {
                    at: crate::time::now_rfc3339(),
                    channel: o.channel.to_string(),
                    target: o.target.clone(),
                    outcome: if o.sent() { "sent" } else { "failed" }.to_string(),
                    tries: o.tries,
                    error: o.error.clone(),
                    scan: news.scan.clone(),
                    subject: subject.clone(),
                });
            }
        }
        outcomes.into_iter().map(|(o, _)| o).collect()
    }

    /// Up to `tries` tries, pausing `backoff`, then 4 times as long …
    fn retry(
        &self,
        channel: &'static str,
        target: String,
        mut attempt: impl FnMut() -> Result<(), Failure>,
    ) -> Outcome {
        let mut pause = self.backoff;
        let mut tries = 0;
        loop {
            tries += 1;
            match attempt() {
                Ok(()) => {
                    return Outcome {
                        channel,
                        target,
                        tries,
                        error: None,
                    }
                }
                Err(f) if f.retry && tries < self.tries.max(1) => {
                    (self.sleep)(pause);
                    pause *= 4;
                }
                Err(f) => {
                    return Outcome {
                        channel,
                        target,
                        tries,
                        error: Some(f.message),
                    }
                }
            }
        }
    }
}

/// Why a try failed, and whether another could succeed.
struct Failure {
    message: String,
    retry: bool,
}

/// A webhook as logged: scheme, host, port and path, never the query
/// (WeCom's `key`, DingTalk's `access_token`).
pub fn shown_webhook(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

fn severity_zh(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "严重",
        Severity::High => "高",
        Severity::Medium => "中",
        Severity::Low => "低",
        Severity::Info => "提示",
    }
}

/// The one-line subject of a message.
pub fn subject(news: &News) -> String {
    let mut parts = Vec::new();
    if !news.findings.is_empty() {
        parts.push(format!("新发现 {} 条", news.findings.len()));
    }
    if !news.down.is_empty() {
        parts.push(format!("{} 个网站无法访问", news.down.len()));
    }
    if !news.failures.is_empty() {
        parts.push(format!("{} 次扫描失败", news.failures.len()));
    }
    format!("sitesweep 巡检通知：{}", parts.join("，"))
}

fn site_name<'a>(register: &'a Register, id: &'a str) -> &'a str {
    register
        .sites
        .iter()
        .find(|s| s.id == id)
        .map_or(id, |s| s.name.as_str())
}

/// The markdown of a message: a head and one line per item, as many as
/// fit in `limit` bytes, then how many were left out.
fn markdown(news: &News, register: &Register, limit: usize) -> String {
    let mut head = format!("### {}\n", markdown_text(&subject(news)));
    if let Some(scan) = &news.scan {
        head.push_str(&format!("扫描 {}\n", markdown_text(scan)));
    }
    // (section title, its lines)
    let mut sections: Vec<(&str, Vec<String>)> = Vec::new();
    if !news.failures.is_empty() {
        sections.push((
            "扫描失败",
            news.failures
                .iter()
                .map(|m| format!("- {}", markdown_text(&cut(m, 200))))
                .collect(),
        ));
    }
    if !news.down.is_empty() {
        sections.push((
            "网站无法访问",
            news.down
                .iter()
                .map(|d| {
                    format!(
                        "- {}（{}，{}）：{}",
                        markdown_text(&d.name),
                        markdown_text(&d.site),
                        markdown_text(&d.operator),
                        markdown_text(&cut(&d.cause, 120))
                    )
                })
                .collect(),
        ));
    }
    if !news.findings.is_empty() {
        sections.push((
            "新发现",
            news.findings
                .iter()
                .map(|f| {
                    format!(
                        "- [{}] {}（{}）{} — {} — {}",
                        severity_zh(f.severity),
                        markdown_text(site_name(register, &f.site)),
                        markdown_text(&f.operator),
                        markdown_text(&f.title),
                        markdown_text(&cut(&f.url, 150)),
                        markdown_text(&cut(&f.snippet, 80))
                    )
                })
                .collect(),
        ));
    }
    let total: usize = sections.iter().map(|(_, l)| l.len()).sum();
    // Room kept for the "left out" line.
    let reserve = 64;
    let mut out = head;
    let mut shown = 0;
    'fill: for (title, lines) in &sections {
        let heading = format!("**{title}**\n");
        if out.len() + heading.len() + reserve > limit {
            break;
        }
        out.push_str(&heading);
        for line in lines {
            if out.len() + line.len() + 1 + reserve > limit {
                break 'fill;
            }
            out.push_str(line);
            out.push('\n');
            shown += 1;
        }
    }
    if shown < total {
        out.push_str(&format!(
            "…另有 {} 条未列出（{} more not listed）\n",
            total - shown,
            total - shown
        ));
    }
    out
}

/// The body POSTed to the webhook.
pub fn webhook_body(format: WebhookFormat, news: &News, register: &Register) -> serde_json::Value {
    use serde_json::json;
    match format {
        WebhookFormat::Wecom => json!({
            "msgtype": "markdown",
            "markdown": {"content": markdown(news, register, WECOM_BYTES)},
        }),
        WebhookFormat::Dingtalk => json!({
            "msgtype": "markdown",
            "markdown": {
                "title": subject(news),
                "text": markdown(news, register, DINGTALK_BYTES),
            },
        }),
        WebhookFormat::Json => {
            let findings: Vec<serde_json::Value> = news
                .findings
                .iter()
                .take(JSON_FINDINGS)
                .map(|f| {
                    json!({
                        "site": f.site,
                        "name": site_name(register, &f.site),
                        "operator": f.operator,
                        "url": mask(&f.url),
                        "rule": f.rule,
                        "title": f.title,
                        "category": f.category,
                        "severity": f.severity,
                        "hidden": f.hidden,
                        "snippet": mask(&f.snippet),
                        "fingerprint": f.fingerprint,
                        "first_seen": f.first_seen,
                    })
                })
                .collect();
            json!({
                "source": "sitesweep",
                "title": subject(news),
                "scan": news.scan,
                "findings": findings,
                "omitted": news.findings.len().saturating_sub(JSON_FINDINGS),
                "down": news.down.iter().map(|d| json!({
                    "site": d.site, "name": d.name, "operator": d.operator, "cause": mask(&d.cause),
                })).collect::<Vec<_>>(),
                "failures": news.failures.iter().map(|m| mask(m)).collect::<Vec<_>>(),
                "text": markdown(news, register, DINGTALK_BYTES),
            })
        }
    }
}

/// Each address of the register's `email`s with what concerns the sites
/// that list it (failed scans are the office's, not an operator's).
pub fn per_address(news: &News, register: &Register) -> BTreeMap<String, News> {
    let mut out: BTreeMap<String, News> = BTreeMap::new();
    let email_of = |site: &str| {
        register
            .sites
            .iter()
            .find(|s| s.id == site)
            .and_then(|s| s.email.clone())
    };
    for f in &news.findings {
        if let Some(addr) = email_of(&f.site) {
            let part = out.entry(addr).or_default();
            part.scan = news.scan.clone();
            part.findings.push(f.clone());
        }
    }
    for d in &news.down {
        if let Some(addr) = email_of(&d.site) {
            let part = out.entry(addr).or_default();
            part.scan = news.scan.clone();
            part.down.push(d.clone());
        }
    }
    out
}

/// An operator's e-mail: plain text, personal data masked.
pub fn mail_text(news: &News, register: &Register) -> String {
    let mut out = String::new();
    out.push_str("您好：\n\nsitesweep 对贵单位网站的巡检结果如下");
    if let Some(scan) = &news.scan {
        out.push_str(&format!("（扫描 {scan}）"));
    }
    out.push_str("。\n\n");
    if !news.down.is_empty() {
        out.push_str("网站无法访问：\n");
        for d in &news.down {
            out.push_str(&format!("- {}（{}）：{}\n", d.name, d.site, mask(&d.cause)));
        }
        out.push('\n');
    }
    if !news.findings.is_empty() {
        out.push_str(&format!("新发现 {} 条：\n", news.findings.len()));
        for f in &news.findings {
            out.push_str(&format!(
                "- [{}] {}（{}）{}\n  网址：{}\n  内容：{}\n",
                severity_zh(f.severity),
                site_name(register, &f.site),
                f.site,
                f.title,
                mask(&f.url),
                mask(&cut(&f.snippet, 200)),
            ));
        }
        out.push('\n');
    }
    out.push_str("请及时核查整改。完整报告请向网信办索取。\n");
    // No control characters from page text in a mail body.
    out.chars()
        .filter(|&c| c == '\n' || !crate::report::is_hidden_control(c))
        .collect()
}

/// POST a JSON body; 2xx is sent, unless a robot answers an `errcode`
/// other than 0 (WeCom and DingTalk answer 200 with the error inside).
/// Network errors, 429 and 5xx are tried again; robots' rate limits too.
fn post_json(url: &url::Url, body: &serde_json::Value, timeout: Duration) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            message: format!("cannot start the async runtime: {e}"),
            retry: false,
        })?;
    runtime.block_on(async {
        let tls = crate::crawl::tls::client_config(false, Vec::new(), Default::default()).map_err(
            |message| Failure {
                message,
                retry: false,
            },
        )?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(timeout)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(format!("sitesweep/{}", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure {
                message: format!("cannot build the HTTP client: {e}"),
                retry: false,
            })?;
        let resp = client
            .post(url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| Failure {
                message: format!(
                    "{}: {}",
                    shown_webhook(url),
                    crate::crawl::fetch::classify(e).message
                ),
                retry: true,
            })?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(Failure {
                message: format!("{} answered HTTP {status}", shown_webhook(url)),
                retry: status == 429 || status >= 500,
            });
        }
        if let Ok(answer) = serde_json::from_str::<serde_json::Value>(&text) {
            let code = answer.get("errcode").and_then(|c| c.as_i64()).unwrap_or(0);
            if code != 0 {
                let msg = answer
                    .get("errmsg")
                    .and_then(|m| m.as_str())
                    .unwrap_or("")
                    .chars()
                    .take(200)
                    .collect::<String>();
                return Err(Failure {
                    message: format!("{} answered errcode {code}: {msg}", shown_webhook(url)),
                    // WeCom 45009 and DingTalk 130101/410100: too many
                    // messages a minute.
                    retry: matches!(code, 45009 | 130101 | 410100),
                });
            }
        }
        Ok(())
    })
}

/// Send one e-mail. `smtps://` is TLS from the start; `smtp://` uses
/// STARTTLS when offered, and requires it when there is a user name.
fn send_mail(
    smtp: &Smtp,
    from: &str,
    to: &str,
    subject: &str,
    text: &str,
    timeout: Duration,
) -> Result<(), Failure> {
    use lettre::message::header::ContentType;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Tls, TlsParameters};
    use lettre::{Message, SmtpTransport, Transport};
    let fatal = |message: String| Failure {
        message,
        retry: false,
    };
    let message = Message::builder()
        .from(
            from.parse()
                .map_err(|e| fatal(format!("from `{from}`: {e}")))?,
        )
        .to(to.parse().map_err(|e| fatal(format!("to `{to}`: {e}")))?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(text.to_string())
        .map_err(|e| fatal(format!("cannot build the message: {e}")))?;
    let params = TlsParameters::new(smtp.host.clone())
        .map_err(|e| fatal(format!("{}: TLS: {e}", smtp.shown())))?;
    let tls = if smtp.implicit_tls {
        Tls::Wrapper(params)
    } else if smtp.user.is_some() {
        Tls::Required(params)
    } else {
        Tls::Opportunistic(params)
    };
    let mut builder = SmtpTransport::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(timeout));
    if let Some(user) = &smtp.user {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            smtp.password.clone().unwrap_or_default(),
        ));
    }
    builder
        .build()
        .send(&message)
        .map(|_| ())
        .map_err(|e| Failure {
            // Permanent SMTP answers (5xx: unknown mailbox, refused sender)
            // will not change on a second try.
            retry: !e.is_permanent(),
            message: format!("{}: {e}", smtp.shown()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Origin;
    use crate::register::Site;

    fn site(id: &str, operator: &str, email: Option<&str>) -> Site {
        Site {
            id: id.into(),
            name: format!("{id} 网站"),
            url: url::Url::parse(&format!("https://{id}.example.gov.cn/")).unwrap(),
            try_http: false,
            operator: operator.into(),
            contact: None,
            tags: Vec::new(),
            extra_urls: Vec::new(),
            exclude: Vec::new(),
            settings: Default::default(),
            email: email.map(str::to_string),
            line: 1,
        }
    }

    pub(crate) fn register() -> Register {
        Register::from_sites(
            "sites.toml".into(),
            vec![
                site("edu", "教育局", Some("edu@example.gov.cn")),
                site("hospital", "卫健局", Some("health@example.gov.cn")),
                site("archive", "档案馆", None),
            ],
        )
    }

    fn finding(site: &str, severity: Severity, snippet: &str, status: Status) -> Finding {
        let o = Origin {
            scan: "S1".into(),
            site: site.into(),
            operator: "op".into(),
            insecure_tls: false,
        };
        let url = url::Url::parse(&format!("https://{site}.example.gov.cn/list.html")).unwrap();
        let mut f = o.site_finding(SiteRule::DarkLinks, &url, snippet, snippet.into(), None);
        f.severity = severity;
        f.status = status;
        f
    }

    #[test]
    fn only_new_findings_at_or_above_the_level_and_sites_gone_down() {
        let reg = register();
        let o = Origin {
            scan: "S1".into(),
            site: "hospital".into(),
            operator: "卫健局".into(),
            insecure_tls: false,
        };
        let down = o.site_finding(
            SiteRule::Unreachable,
            &reg.sites[1].url,
            "",
            "connection refused".into(),
            None,
        );
        let findings = vec![
            finding("edu", Severity::High, "百家乐", Status::New),
            finding("edu", Severity::Critical, "澳门", Status::Persisting),
            finding("edu", Severity::Medium, "旧闻", Status::New),
            down,
        ];
        let news = News::of_scan("S1", findings, &reg, Severity::High);
        assert_eq!(news.findings.len(), 1);
        assert_eq!(news.findings[0].snippet, "百家乐");
        assert_eq!(news.down.len(), 1);
        assert_eq!(news.down[0].name, "hospital 网站");
        assert_eq!(
            subject(&news),
            "sitesweep 巡检通知：新发现 1 条，1 个网站无法访问"
        );
        let quiet = News::of_scan("S1", Vec::new(), &reg, Severity::High);
        assert!(quiet.is_empty());
    }

    #[test]
    fn robot_messages_stay_under_their_limits_and_count_what_was_left_out() {
        let reg = register();
        let long = "赌博网站链接".repeat(30);
        let news = News {
            scan: Some("S1".into()),
            findings: (0..400)
                .map(|i| finding("edu", Severity::High, &format!("{long}{i}"), Status::New))
                .collect(),
            ..News::default()
        };
        let wecom = webhook_body(WebhookFormat::Wecom, &news, &reg);
        assert_eq!(wecom["msgtype"], "markdown");
        let content = wecom["markdown"]["content"].as_str().unwrap();
        assert!(content.len() <= WECOM_BYTES, "{}", content.len());
        let shown = content.lines().filter(|l| l.starts_with("- ")).count();
        assert!(shown > 5, "{content}");
        assert!(
            content.contains(&format!("…另有 {} 条未列出", 400 - shown)),
            "{content}"
        );
        let ding = webhook_body(WebhookFormat::Dingtalk, &news, &reg);
        let text = ding["markdown"]["text"].as_str().unwrap();
        assert!(text.len() <= DINGTALK_BYTES);
        assert_eq!(
            ding["markdown"]["title"],
            "sitesweep 巡检通知：新发现 400 条"
        );
        let json = webhook_body(WebhookFormat::Json, &news, &reg);
        assert_eq!(json["findings"].as_array().unwrap().len(), JSON_FINDINGS);
        assert_eq!(json["omitted"], 400 - JSON_FINDINGS);
    }

    #[test]
    fn personal_data_is_masked_and_page_text_cannot_make_links() {
        let reg = register();
        let news = News {
            scan: Some("S1".into()),
            findings: vec![finding(
                "edu",
                Severity::High,
                "张三 110101199003074514 电话 13800138000 [点我](http://evil.example/)",
                Status::New,
            )],
            ..News::default()
        };
        for format in [
            WebhookFormat::Json,
            WebhookFormat::Wecom,
            WebhookFormat::Dingtalk,
        ] {
            let body = webhook_body(format, &news, &reg).to_string();
            assert!(!body.contains("110101199003074514"), "{body}");
            assert!(!body.contains("13800138000"), "{body}");
        }
        let md = markdown(&news, &reg, WECOM_BYTES);
        assert!(md.contains("\\[点我\\]\\(http"), "{md}");
        let mail = mail_text(&news, &reg);
        assert!(mail.contains("138****8000"), "{mail}");
        assert!(!mail.contains("13800138000"));
    }

    #[test]
    fn each_address_gets_only_its_sites() {
        let reg = register();
        let news = News {
            scan: Some("S1".into()),
            findings: vec![
                finding("edu", Severity::High, "教育局的", Status::New),
                finding("hospital", Severity::High, "医院的", Status::New),
                finding("archive", Severity::High, "档案馆的", Status::New),
            ],
            failures: vec!["scan failed".into()],
            ..News::default()
        };
        let parts = per_address(&news, &reg);
        assert_eq!(
            parts.keys().collect::<Vec<_>>(),
            ["edu@example.gov.cn", "health@example.gov.cn"]
        );
        let edu = &parts["edu@example.gov.cn"];
        assert_eq!(edu.findings.len(), 1);
        assert_eq!(edu.findings[0].site, "edu");
        assert!(edu.failures.is_empty());
    }

    #[test]
    fn retries_back_off_and_give_up() {
        let cfg = Notify {
            webhook: None,
            webhook_format: WebhookFormat::Json,
            smtp: None,
            from: None,
            min_severity: Severity::High,
            line: 1,
        };
        let slept = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = slept.clone();
        let n = Notifier {
            sleep: Arc::new(move |d| s.lock().unwrap().push(d)),
            ..Notifier::new(cfg)
        };
        let mut calls = 0;
        let o = n.retry("webhook", "t".into(), || {
            calls += 1;
            Err(Failure {
                message: "HTTP 500".into(),
                retry: true,
            })
        });
        assert_eq!((calls, o.tries), (3, 3));
        assert_eq!(o.error.as_deref(), Some("HTTP 500"));
        assert_eq!(
            *slept.lock().unwrap(),
            vec![Duration::from_secs(2), Duration::from_secs(8)]
        );
        let mut calls = 0;
        let o = n.retry("webhook", "t".into(), || {
            calls += 1;
            Err(Failure {
                message: "HTTP 404".into(),
                retry: false,
            })
        });
        assert_eq!((calls, o.sent()), (1, false));
        let o = n.retry("webhook", "t".into(), || Ok(()));
        assert!(o.sent());
    }

    #[test]
    fn webhook_keys_never_reach_the_log() {
        let url =
            url::Url::parse("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-key")
                .unwrap();
        assert_eq!(
            shown_webhook(&url),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
        );
    }
}
