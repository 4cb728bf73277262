//! The site register: which sites to scan, who answers for them, and how
//! politely to crawl them. TOML (`sites.toml`) or CSV with a header row, as
//! registers kept in spreadsheets are saved (UTF-8 with or without BOM, or
//! GBK from Excel on Chinese Windows). A register with any error is refused
//! as a whole with `file:line: message`, before any request is sent.
//!
//! Both formats come to one `RawSite` per entry, and `check_site` is the
//! one place a site's values are checked, so a CSV register is held to the
//! same rules as a TOML one. The bounds on values are in [`limits`].

use crate::error::{InputError, LineIndex};
use regex::Regex;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;
use url::Url;

/// Bounds on register values; a value outside them is refused with
/// `file:line`. Lengths of text are counted in characters, of URLs and the
/// user agent in bytes.
///
/// - site `id`: at most 64 characters (`[a-z0-9][a-z0-9-]*`);
/// - `name`, `operator`, `contact`: at most 200 characters each, on one line
///   (no control characters: no line breaks, tabs, escape sequences);
/// - `tags`: at most 32 per site, each at most 64 characters, no control
///   characters;
/// - `url` and each of `extra_urls`: at most 2083 bytes, http or https, a
///   host, a port other than 0, and no user name or password in it;
/// - `extra_urls`: at most 1000 per site;
/// - `exclude`: at most 100 patterns per site, each at most 1000 characters;
/// - `user_agent`: 1 to 512 bytes, no control characters (CR, LF, NUL, DEL,
///   tab …): it is sent as an HTTP header;
/// - numbers: `max_pages` 1–10,000,000, `max_depth` 0–1000,
///   `per_host_concurrency` 1–64, `delay_ms` 0–600,000, `timeout_s` 1–3600.
pub mod limits {
    pub const ID_CHARS: usize = 64;
    pub const TEXT_CHARS: usize = 200;
    pub const TAGS: usize = 32;
    pub const TAG_CHARS: usize = 64;
    pub const URL_BYTES: usize = 2083;
    pub const EXTRA_URLS: usize = 1000;
    pub const EXCLUDES: usize = 100;
    pub const EXCLUDE_CHARS: usize = 1000;
    pub const USER_AGENT_BYTES: usize = 512;
}

/// How one site is crawled (`[defaults]`, overridable per site).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub max_pages: usize,
    pub max_depth: u32,
    pub per_host_concurrency: usize,
    pub delay_ms: u64,
    pub timeout_s: u64,
    pub user_agent: String,
    pub allow_private: bool,
    pub respect_robots: bool,
    pub insecure_tls: bool,
    /// Extra CA certificates (PEM) trusted besides the system's: for sites
    /// whose chain ends in a CA the system does not know, or that miss an
    /// intermediate (put the intermediate here).
    pub ca_file: Option<PathBuf>,
    /// Domains (and their subdomains) whose links are never dark links:
    /// an operator's partners, statistics services.
    pub trusted_domains: Vec<String>,
    /// Second looks at pages as a search-engine crawler, as a visitor from a
    /// search result and on a phone ([] = off).
    pub probes: Vec<Probe>,
    /// Pages per site fetched again per probe.
    pub probe_pages: usize,
    /// Check links to other sites (dead, hijacked).
    pub check_outbound: bool,
    /// Distinct outbound URLs checked per site and scan.
    pub outbound_budget: usize,
    /// Names pinned to addresses (`[resolve]`, register-wide): looked up
    /// here before DNS, and trusted (no `allow_private` needed).
    pub pins: Arc<BTreeMap<String, IpAddr>>,
    /// Read linked documents (PDF, Word, spreadsheets).
    pub attachments: bool,
    /// A document's size at most, after decompression, in MiB.
    pub max_attachment_mb: u64,
}

/// A second look at a page (register key `probes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    /// Baiduspider's user agent: kits serve spam to search crawlers only.
    Baiduspider,
    /// A browser arriving from a Baidu search result (Referer): kits send
    /// such visitors to a casino and everyone else to the real page.
    SearchReferer,
    /// A phone browser: kits redirect mobile visitors only.
    Mobile,
}

impl Probe {
    pub const ALL: [Probe; 3] = [Probe::Baiduspider, Probe::SearchReferer, Probe::Mobile];

    pub fn name(self) -> &'static str {
        match self {
            Probe::Baiduspider => "baiduspider",
            Probe::SearchReferer => "search-referer",
            Probe::Mobile => "mobile",
        }
    }

    pub fn from_name(name: &str) -> Option<Probe> {
        Probe::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_pages: 2000,
            max_depth: 10,
            per_host_concurrency: 2,
            delay_ms: 0,
            timeout_s: 30,
            user_agent: format!("sitesweep/{}", env!("CARGO_PKG_VERSION")),
            allow_private: false,
            respect_robots: true,
            insecure_tls: false,
            ca_file: None,
            trusted_domains: Vec::new(),
            probes: Probe::ALL.to_vec(),
            probe_pages: 20,
            check_outbound: true,
            outbound_budget: 300,
            pins: Arc::default(),
            attachments: true,
            max_attachment_mb: 20,
        }
    }
}

/// One registered site, checked.
#[derive(Clone, Debug)]
pub struct Site {
    pub id: String,
    pub name: String,
    /// Start URL.
    pub url: Url,
    /// The register gave a bare host: try https first, then http.
    pub try_http: bool,
    pub operator: String,
    pub contact: Option<String>,
    pub tags: Vec<String>,
    pub extra_urls: Vec<Url>,
    pub exclude: Vec<Regex>,
    pub settings: Settings,
    /// Where this site's notifications go (`email`): its operator's
    /// liaison.
    pub email: Option<String>,
    /// Line of the site's entry in the register.
    pub line: usize,
}

#[derive(Clone, Debug)]
pub struct Register {
    pub path: PathBuf,
    pub sites: Vec<Site>,
    /// The encoding the file was read in: `UTF-8`, or for a CSV register
    /// saved by Excel on Chinese Windows `GBK` (`GB18030` when it uses
    /// GB18030's four-byte sequences).
    pub encoding: &'static str,
    /// The host of every site of the register (all of them, also when
    /// `--site` selects some): links to these are links to registered
    /// sites, never dark links.
    pub hosts: Vec<String>,
    /// `[[schedule]]` tables (`serve`), in register order.
    pub schedules: Vec<Schedule>,
    /// `[notify]` (`scan` and `serve`).
    pub notify: Option<Notify>,
    /// Every file the register was read from: the register, and the
    /// spreadsheet named by `sites_csv`. A change to any is a change to
    /// the register (`--resume`, `serve` reloading it).
    pub files: Vec<PathBuf>,
}

/// A `[[schedule]]`: when `serve` scans which sites.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub cron: crate::schedule::Cron,
    /// Site ids, in register order; every site when `sites` is omitted.
    pub sites: Vec<String>,
    /// `sites` as written (`tag:gov`, `edu`); empty when omitted.
    pub selectors: Vec<String>,
    /// Line of the `[[schedule]]` table.
    pub line: usize,
}

/// `[notify]`: where `scan` and `serve` send word of what they found.
#[derive(Clone, Debug, PartialEq)]
pub struct Notify {
    /// POSTed a summary for the office.
    pub webhook: Option<Url>,
    pub webhook_format: WebhookFormat,
    /// E-mail to each operator's `email`, with only their findings.
    pub smtp: Option<Smtp>,
    /// The sender of the e-mails (required with `smtp`).
    pub from: Option<String>,
    /// New findings at or above it are sent (default high).
    pub min_severity: crate::severity::Severity,
    pub line: usize,
}

/// The body a webhook is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookFormat {
    /// A plain JSON object (the office's own receiver).
    Json,
    /// A WeCom (企业微信) group robot's markdown message.
    Wecom,
    /// A DingTalk (钉钉) custom robot's markdown message.
    Dingtalk,
}

impl WebhookFormat {
    pub fn name(self) -> &'static str {
        match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Wecom => "wecom",
            WebhookFormat::Dingtalk => "dingtalk",
        }
    }
}

/// The mail server of `smtp = "smtps://user:pass@host:port"`.
#[derive(Clone, PartialEq, Eq)]
pub struct Smtp {
    /// `smtps://`: TLS from the first byte (port 465 by default).
    /// `smtp://`: STARTTLS when the server offers it, required when a
    /// user name is given (a password is never sent in the clear); port
    /// 25 by default.
    pub implicit_tls: bool,
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for Smtp {
    /// Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.shown())
    }
}

impl Smtp {
    /// `smtps://user@host:465`, for logs: never the password.
    pub fn shown(&self) -> String {
        format!(
            "{}://{}{}:{}",
            if self.implicit_tls { "smtps" } else { "smtp" },
            self.user
                .as_deref()
                .map_or(String::new(), |u| format!("{u}@")),
            self.host,
            self.port
        )
    }
}

/// Everything a register file holds besides the checked sites.
#[derive(Default)]
struct Parsed {
    sites: Vec<Site>,
    schedules: Vec<Schedule>,
    notify: Option<Notify>,
    files: Vec<PathBuf>,
    /// The encoding of the spreadsheet named by `sites_csv`.
    encoding: Option<&'static str>,
}

impl Register {
    /// Read a register; `.csv` files as CSV, anything else as TOML.
    pub fn load(path: &Path) -> Result<Register, InputError> {
        let bytes = std::fs::read(path).map_err(|e| {
            InputError::plain(format!(
                "{}: cannot read the site register: {e}",
                path.display()
            ))
        })?;
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let (text, encoding) = decode_register(path, &bytes, is_csv)?;
        let parsed = if is_csv {
            Parsed {
                sites: parse_csv(path, &text, &Settings::default())?,
                ..Parsed::default()
            }
        } else {
            parse_toml(path, &text)?
        };
        if parsed.sites.is_empty() {
            return Err(InputError::at(path, 1, "the register lists no sites"));
        }
        let hosts = parsed
            .sites
            .iter()
            .filter_map(|s| s.url.host_str().map(str::to_string))
            .collect();
        let mut files = vec![path.to_path_buf()];
        files.extend(parsed.files.into_iter().skip(1));
        Ok(Register {
            path: path.to_path_buf(),
            sites: parsed.sites,
            encoding: parsed.encoding.unwrap_or(encoding),
            hosts,
            schedules: parsed.schedules,
            notify: parsed.notify,
            files,
        })
    }

    /// A register made in code (the demo): no schedules, no notifications.
    pub fn from_sites(path: PathBuf, sites: Vec<Site>) -> Register {
        let hosts = sites
            .iter()
            .filter_map(|s| s.url.host_str().map(str::to_string))
            .collect();
        Register {
            files: vec![path.clone()],
            path,
            sites,
            encoding: "UTF-8",
            hosts,
            schedules: Vec::new(),
            notify: None,
        }
    }

    /// The sites of a schedule, in register order (sites the register no
    /// longer has are left out).
    pub fn sites_of(&self, schedule: &Schedule) -> Vec<Site> {
        self.sites
            .iter()
            .filter(|s| schedule.sites.contains(&s.id))
            .cloned()
            .collect()
    }

    /// Keep only the sites named (each must exist).
    pub fn select(&mut self, ids: &[String]) -> Result<(), InputError> {
        if ids.is_empty() {
            return Ok(());
        }
        for id in ids {
            if !self.sites.iter().any(|s| &s.id == id) {
                return Err(InputError::plain(format!(
                    "{}: no site `{id}` in this register",
                    self.path.display()
                )));
            }
        }
        self.sites.retain(|s| ids.contains(&s.id));
        Ok(())
    }
}

/// The register's text and the encoding it was read in. UTF-8 (a BOM is
/// dropped); a CSV register that is not UTF-8 is read as GBK/GB18030 only
/// when every byte decodes as that. Anything else is refused with the line
/// of the first bad byte, never decoded with replacement characters.
fn decode_register(
    path: &Path,
    bytes: &[u8],
    is_csv: bool,
) -> Result<(String, &'static str), InputError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(InputError::at(
            path,
            1,
            "the register is saved as UTF-16: save it as UTF-8 (in Excel: \"CSV UTF-8\")",
        ));
    }
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(s) => return Ok((s.to_string(), "UTF-8")),
        Err(e) => e.valid_up_to(),
    };
    let line_of = |offset: usize| bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
    if !is_csv {
        return Err(InputError::at(
            path,
            line_of(utf8_error),
            format!(
                "byte 0x{:02X} is not UTF-8: a TOML register must be saved as UTF-8",
                bytes[utf8_error]
            ),
        ));
    }
    let gb_error = match decode_gb18030(bytes) {
        Ok(text) => {
            let encoding = if uses_four_byte_sequences(bytes) {
                "GB18030"
            } else {
                "GBK"
            };
            return Ok((text, encoding));
        }
        Err(offset) => offset,
    };
    // Neither decodes. Point at the first bad byte in the encoding the file
    // appears to be in: UTF-8 when several UTF-8 characters came before its
    // bad byte (text in GBK is rarely valid UTF-8 for long), else whichever
    // encoding read further.
    let utf8_chars = bytes[..utf8_error]
        .iter()
        .filter(|&&b| b & 0xC0 == 0xC0)
        .count();
    let at = if utf8_chars >= 3 {
        utf8_error
    } else {
        utf8_error.max(gb_error)
    };
    Err(InputError::at(
        path,
        line_of(at),
        format!(
            "byte 0x{:02X} is neither UTF-8 nor GBK: save the spreadsheet as \"CSV UTF-8\"",
            bytes[at]
        ),
    ))
}

/// Decode GB18030 (a superset of GBK) without replacement: the text, or the
/// offset of the first malformed byte.
fn decode_gb18030(bytes: &[u8]) -> Result<String, usize> {
    decode_strictly(encoding_rs::GB18030, bytes)
}

/// Decode `bytes` (no BOM) in `encoding` without replacement: the text, or
/// the offset of the first malformed byte.
pub(crate) fn decode_strictly(
    encoding: &'static encoding_rs::Encoding,
    bytes: &[u8],
) -> Result<String, usize> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3 + 16);
    let mut text = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(text),
        encoding_rs::DecoderResult::Malformed(bad, after) => {
            Err(read.saturating_sub(after as usize + bad as usize))
        }
        // The buffer is sized for the worst case; should it still be short,
        // call the first byte not read bad rather than guess.
        encoding_rs::DecoderResult::OutputFull => Err(read),
    }
}

/// Does GB18030 text (already known to decode) use four-byte sequences,
/// which GBK does not have?
fn uses_four_byte_sequences(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // ASCII, and 0x80 (the euro sign in Windows code page 936).
            0x00..=0x80 => i += 1,
            _ if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => return true,
            _ => i += 2,
        }
    }
    false
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SettingsToml {
    max_pages: Option<Spanned<i64>>,
    max_depth: Option<Spanned<i64>>,
    per_host_concurrency: Option<Spanned<i64>>,
    delay_ms: Option<Spanned<i64>>,
    timeout_s: Option<Spanned<i64>>,
    user_agent: Option<Spanned<String>>,
    allow_private: Option<bool>,
    respect_robots: Option<bool>,
    insecure_tls: Option<bool>,
    ca_file: Option<Spanned<String>>,
    trusted_domains: Option<Vec<Spanned<String>>>,
    probes: Option<Vec<Spanned<String>>>,
    probe_pages: Option<Spanned<i64>>,
    check_outbound: Option<bool>,
    outbound_budget: Option<Spanned<i64>>,
    attachments: Option<bool>,
    max_attachment_mb: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterToml {
    #[serde(default)]
    defaults: SettingsToml,
    /// Names pinned to addresses, as `curl --resolve` does.
    #[serde(default)]
    resolve: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    site: Vec<Spanned<SiteToml>>,
    /// The `[[site]]` list from a spreadsheet beside the register.
    sites_csv: Option<Spanned<String>>,
    #[serde(default)]
    schedule: Vec<Spanned<ScheduleToml>>,
    notify: Option<Spanned<NotifyToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleToml {
    cron: Spanned<String>,
    sites: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotifyToml {
    webhook: Option<Spanned<String>>,
    webhook_format: Option<Spanned<String>>,
    smtp: Option<Spanned<String>>,
    from: Option<Spanned<String>>,
    min_severity: Option<Spanned<String>>,
}

// serde cannot combine `flatten` with `deny_unknown_fields`, so the
// overridable settings are listed again here.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteToml {
    id: Spanned<String>,
    name: Spanned<String>,
    url: Spanned<String>,
    operator: Spanned<String>,
    contact: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
    #[serde(default)]
    extra_urls: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    email: Option<Spanned<String>>,
    max_pages: Option<Spanned<i64>>,
    max_depth: Option<Spanned<i64>>,
    per_host_concurrency: Option<Spanned<i64>>,
    delay_ms: Option<Spanned<i64>>,
    timeout_s: Option<Spanned<i64>>,
    user_agent: Option<Spanned<String>>,
    allow_private: Option<bool>,
    respect_robots: Option<bool>,
    insecure_tls: Option<bool>,
    ca_file: Option<Spanned<String>>,
    trusted_domains: Option<Vec<Spanned<String>>>,
    probes: Option<Vec<Spanned<String>>>,
    probe_pages: Option<Spanned<i64>>,
    check_outbound: Option<bool>,
    outbound_budget: Option<Spanned<i64>>,
    attachments: Option<bool>,
    max_attachment_mb: Option<Spanned<i64>>,
}

impl SiteToml {
    fn take_settings(&mut self) -> SettingsToml {
        SettingsToml {
            max_pages: self.max_pages.take(),
            max_depth: self.max_depth.take(),
            per_host_concurrency: self.per_host_concurrency.take(),
            delay_ms: self.delay_ms.take(),
            timeout_s: self.timeout_s.take(),
            user_agent: self.user_agent.take(),
            allow_private: self.allow_private.take(),
            respect_robots: self.respect_robots.take(),
            insecure_tls: self.insecure_tls.take(),
            ca_file: self.ca_file.take(),
            trusted_domains: self.trusted_domains.take(),
            probes: self.probes.take(),
            probe_pages: self.probe_pages.take(),
            check_outbound: self.check_outbound.take(),
            outbound_budget: self.outbound_budget.take(),
            attachments: self.attachments.take(),
            max_attachment_mb: self.max_attachment_mb.take(),
        }
    }
}

struct Ctx<'a> {
    path: &'a Path,
    lines: LineIndex,
}

impl Ctx<'_> {
    fn err(&self, offset: usize, message: impl Into<String>) -> InputError {
        InputError::at(self.path, self.lines.line(offset), message)
    }

    fn at(&self, value: Spanned<String>) -> At {
        At {
            line: self.lines.line(value.span().start),
            value: value.into_inner(),
        }
    }
}

fn number(
    ctx: &Ctx,
    value: &Option<Spanned<i64>>,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, InputError> {
    match value {
        None => Ok(None),
        Some(v) if range.contains(v.get_ref()) => Ok(Some(*v.get_ref())),
        Some(v) => Err(ctx.err(
            v.span().start,
            format!(
                "{name} = {} is out of range ({}..={})",
                v.get_ref(),
                range.start(),
                range.end()
            ),
        )),
    }
}

fn apply(ctx: &Ctx, base: &Settings, t: &SettingsToml) -> Result<Settings, InputError> {
    let mut s = base.clone();
    if let Some(v) = number(ctx, &t.max_pages, "max_pages", 1..=10_000_000)? {
        s.max_pages = v as usize;
    }
    if let Some(v) = number(ctx, &t.max_depth, "max_depth", 0..=1000)? {
        s.max_depth = v as u32;
    }
    if let Some(v) = number(ctx, &t.per_host_concurrency, "per_host_concurrency", 1..=64)? {
        s.per_host_concurrency = v as usize;
    }
    if let Some(v) = number(ctx, &t.delay_ms, "delay_ms", 0..=600_000)? {
        s.delay_ms = v as u64;
    }
    if let Some(v) = number(ctx, &t.timeout_s, "timeout_s", 1..=3600)? {
        s.timeout_s = v as u64;
    }
    if let Some(v) = &t.user_agent {
        check_user_agent(v.get_ref()).map_err(|m| ctx.err(v.span().start, m))?;
        s.user_agent = v.get_ref().clone();
    }
    s.allow_private = t.allow_private.unwrap_or(s.allow_private);
    s.respect_robots = t.respect_robots.unwrap_or(s.respect_robots);
    s.insecure_tls = t.insecure_tls.unwrap_or(s.insecure_tls);
    if let Some(ca) = &t.ca_file {
        // Relative to the register, so the register travels with its CA file.
        let path = ctx
            .path
            .parent()
            .unwrap_or(Path::new(""))
            .join(ca.get_ref());
        let pem = std::fs::read(&path).map_err(|e| {
            ctx.err(
                ca.span().start,
                format!("ca_file `{}`: {e}", path.display()),
            )
        })?;
        if reqwest::Certificate::from_pem_bundle(&pem).map_or(true, |c| c.is_empty()) {
            return Err(ctx.err(
                ca.span().start,
                format!("ca_file `{}`: no PEM certificates in it", path.display()),
            ));
        }
        s.ca_file = Some(path);
    }
    if let Some(list) = &t.trusted_domains {
        let mut domains = Vec::with_capacity(list.len());
        for d in list {
            let domain = host_name(d.get_ref()).ok_or_else(|| {
                ctx.err(
                    d.span().start,
                    format!("trusted_domains: `{}` is not a domain name", d.get_ref()),
                )
            })?;
            domains.push(domain);
        }
        s.trusted_domains = domains;
    }
    if let Some(list) = &t.probes {
        let mut probes = Vec::with_capacity(list.len());
        for p in list {
            let probe = Probe::from_name(p.get_ref().trim()).ok_or_else(|| {
                ctx.err(
                    p.span().start,
                    format!(
                        "probes: unknown probe `{}` (known: baiduspider, search-referer, mobile)",
                        p.get_ref()
                    ),
                )
            })?;
            if !probes.contains(&probe) {
                probes.push(probe);
            }
        }
        s.probes = probes;
    }
    if let Some(v) = number(ctx, &t.probe_pages, "probe_pages", 1..=10_000)? {
        s.probe_pages = v as usize;
    }
    s.check_outbound = t.check_outbound.unwrap_or(s.check_outbound);
    if let Some(v) = number(ctx, &t.outbound_budget, "outbound_budget", 0..=1_000_000)? {
        s.outbound_budget = v as usize;
    }
    s.attachments = t.attachments.unwrap_or(s.attachments);
    if let Some(v) = number(ctx, &t.max_attachment_mb, "max_attachment_mb", 1..=1024)? {
        s.max_attachment_mb = v as u64;
    }
    Ok(s)
}

/// A host or domain name as written in the register (`.gov.cn`,
/// `Partner.example.`), lower case without leading or trailing dots; `None`
/// when it is not one (ASCII letters, digits, `-` and `.`, at most 253).
fn host_name(raw: &str) -> Option<String> {
    let name = raw.trim().trim_matches('.').to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    valid.then_some(name)
}

/// `[resolve]`: each key a host name, each value an IP address.
fn pins(
    ctx: &Ctx,
    table: BTreeMap<Spanned<String>, Spanned<String>>,
) -> Result<BTreeMap<String, IpAddr>, InputError> {
    let mut out = BTreeMap::new();
    for (name, addr) in table {
        let host = host_name(name.get_ref()).ok_or_else(|| {
            ctx.err(
                name.span().start,
                format!("resolve: `{}` is not a host name", name.get_ref()),
            )
        })?;
        let ip: IpAddr = addr.get_ref().trim().parse().map_err(|_| {
            ctx.err(
                addr.span().start,
                format!(
                    "resolve: `{}` is not an IP address (write \"{host}\" = \"127.0.0.1\")",
                    addr.get_ref()
                ),
            )
        })?;
        out.insert(host, ip);
    }
    Ok(out)
}

/// The user agent is sent as an HTTP header on every request.
fn check_user_agent(ua: &str) -> Result<(), String> {
    if ua.trim().is_empty() {
        return Err("user_agent is empty: the sites' logs should say who is crawling".into());
    }
    if ua.len() > limits::USER_AGENT_BYTES {
        return Err(format!(
            "user_agent is {} bytes long; at most {} are allowed",
            ua.len(),
            limits::USER_AGENT_BYTES
        ));
    }
    if let Some(c) = ua.chars().find(|c| c.is_control()) {
        return Err(format!(
            "user_agent contains the control character U+{:04X}: it is sent as an HTTP header, which must be one line of printable text",
            c as u32
        ));
    }
    reqwest::header::HeaderValue::from_str(ua)
        .map(|_| ())
        .map_err(|_| "user_agent cannot be sent as an HTTP header".to_string())
}

/// A value as written in the register, with its line.
struct At {
    value: String,
    line: usize,
}

/// A site entry as written, before any check: what a TOML `[[site]]` table
/// and a CSV row both come to.
struct RawSite {
    line: usize,
    id: At,
    name: At,
    url: At,
    operator: At,
    contact: Option<At>,
    tags: Vec<At>,
    extra_urls: Vec<At>,
    exclude: Vec<At>,
    email: Option<At>,
    settings: Settings,
}

/// A list of at most `max` entries: else the line of the first one over,
/// and what to say.
fn at_most(list: &[At], max: usize, key: &str) -> Result<(), (usize, String)> {
    match list.get(max) {
        Some(first_over) => Err((
            first_over.line,
            format!("{key}: {} given, at most {max} are allowed", list.len()),
        )),
        None => Ok(()),
    }
}

/// Check one site entry: the one place, for TOML and CSV alike. `ids`
/// holds the ids seen so far (with their lines) to refuse duplicates.
fn check_site(
    path: &Path,
    raw: RawSite,
    ids: &mut HashMap<String, usize>,
) -> Result<Site, InputError> {
    let err = |line: usize, m: String| InputError::at(path, line, m);
    let id = raw.id.value.trim().to_string();
    if id.chars().count() > limits::ID_CHARS {
        return Err(err(
            raw.id.line,
            format!(
                "site id `{}…` is too long: at most {} characters",
                id.chars().take(20).collect::<String>(),
                limits::ID_CHARS
            ),
        ));
    }
    check_id(&id).map_err(|m| err(raw.id.line, m))?;
    if let Some(first) = ids.insert(id.clone(), raw.line) {
        return Err(err(
            raw.id.line,
            format!("duplicate site id `{id}` (first at line {first})"),
        ));
    }
    let name = text_value(&raw.name, "name").map_err(|m| err(raw.name.line, m))?;
    let operator = text_value(&raw.operator, "operator").map_err(|m| err(raw.operator.line, m))?;
    if name.is_empty() || operator.is_empty() {
        return Err(err(
            raw.line,
            format!("site `{id}`: name and operator must not be empty"),
        ));
    }
    let contact = match &raw.contact {
        None => None,
        Some(c) => Some(text_value(c, "contact").map_err(|m| err(c.line, m))?),
    }
    .filter(|c| !c.is_empty());
    at_most(&raw.tags, limits::TAGS, "tags").map_err(|(line, m)| err(line, m))?;
    let mut tags = Vec::with_capacity(raw.tags.len());
    for t in &raw.tags {
        let tag = t.value.trim();
        if tag.chars().count() > limits::TAG_CHARS {
            return Err(err(
                t.line,
                format!(
                    "tag `{}…` is too long: at most {} characters",
                    tag.chars().take(20).collect::<String>(),
                    limits::TAG_CHARS
                ),
            ));
        }
        if let Some(c) = tag.chars().find(|c| c.is_control()) {
            return Err(err(
                t.line,
                format!("tag contains the control character U+{:04X}", c as u32),
            ));
        }
        tags.push(tag.to_string());
    }
    let (url, try_http) = parse_start_url(&raw.url.value).map_err(|m| err(raw.url.line, m))?;
    at_most(&raw.extra_urls, limits::EXTRA_URLS, "extra_urls").map_err(|(line, m)| err(line, m))?;
    let mut extra_urls = Vec::with_capacity(raw.extra_urls.len());
    for u in &raw.extra_urls {
        let extra = parse_url(u.value.trim()).map_err(|m| err(u.line, m))?;
        if !same_site(&url, &extra) {
            return Err(err(
                u.line,
                format!(
                    "extra URL `{extra}` is not on the site's host `{}`",
                    host_port(&url)
                ),
            ));
        }
        extra_urls.push(extra);
    }
    at_most(&raw.exclude, limits::EXCLUDES, "exclude").map_err(|(line, m)| err(line, m))?;
    let mut exclude = Vec::with_capacity(raw.exclude.len());
    for x in &raw.exclude {
        if x.value.chars().count() > limits::EXCLUDE_CHARS {
            return Err(err(
                x.line,
                format!(
                    "exclude pattern is too long: at most {} characters",
                    limits::EXCLUDE_CHARS
                ),
            ));
        }
        exclude.push(Regex::new(&x.value).map_err(|e| {
            err(
                x.line,
                format!(
                    "bad exclude regex `{}`: {}",
                    x.value,
                    last_line(&e.to_string())
                ),
            )
        })?);
    }
    let email = match &raw.email {
        Some(e) if !e.value.trim().is_empty() => {
            let email = e.value.trim();
            check_email(email).map_err(|m| err(e.line, format!("email: {m}")))?;
            Some(email.to_string())
        }
        _ => None,
    };
    Ok(Site {
        id,
        name,
        url,
        try_http,
        operator,
        contact,
        tags,
        extra_urls,
        exclude,
        settings: raw.settings,
        email,
        line: raw.line,
    })
}

/// A free-text value (name, operator, contact), trimmed: one line of at
/// most [`limits::TEXT_CHARS`] characters.
fn text_value(v: &At, what: &str) -> Result<String, String> {
    let text = v.value.trim();
    let chars = text.chars().count();
    if chars > limits::TEXT_CHARS {
        return Err(format!(
            "{what} is {chars} characters long; at most {} are allowed",
            limits::TEXT_CHARS
        ));
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        let what_char = match c {
            '\n' | '\r' => "a line break".to_string(),
            _ => format!("the control character U+{:04X}", c as u32),
        };
        return Err(format!(
            "{what} contains {what_char}: write it on one line of printable text"
        ));
    }
    Ok(text.to_string())
}

fn parse_toml(path: &Path, text: &str) -> Result<Parsed, InputError> {
    let ctx = Ctx {
        path,
        lines: LineIndex::new(text),
    };
    let parsed: RegisterToml = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| ctx.lines.line(s.start));
        InputError::at(path, line, e.message().trim().to_string())
    })?;
    let base = Settings {
        pins: Arc::new(pins(&ctx, parsed.resolve)?),
        ..Settings::default()
    };
    let defaults = apply(&ctx, &base, &parsed.defaults)?;
    let mut out = Parsed {
        files: vec![path.to_path_buf()],
        ..Parsed::default()
    };
    if let Some(csv) = &parsed.sites_csv {
        if let Some(first) = parsed.site.first() {
            return Err(ctx.err(
                first.span().start,
                format!(
                    "[[site]] tables and sites_csv (line {}) cannot both be given: list the sites in one place",
                    ctx.lines.line(csv.span().start)
                ),
            ));
        }
        let csv_path = path.parent().unwrap_or(Path::new("")).join(csv.get_ref());
        let is_csv = csv_path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if !is_csv {
            return Err(ctx.err(
                csv.span().start,
                format!("sites_csv `{}`: a .csv file is expected", csv.get_ref()),
            ));
        }
        let bytes = std::fs::read(&csv_path).map_err(|e| {
            ctx.err(
                csv.span().start,
                format!("sites_csv `{}`: {e}", csv_path.display()),
            )
        })?;
        let (text, encoding) = decode_register(&csv_path, &bytes, true)?;
        out.sites = parse_csv(&csv_path, &text, &defaults)?;
        if out.sites.is_empty() {
            return Err(InputError::at(
                &csv_path,
                1,
                "the spreadsheet lists no sites",
            ));
        }
        out.encoding = Some(encoding);
        out.files.push(csv_path);
    }
    let mut sites = Vec::with_capacity(parsed.site.len());
    let mut ids: HashMap<String, usize> = HashMap::new();
    for entry in parsed.site {
        let line = ctx.lines.line(entry.span().start);
        let mut s = entry.into_inner();
        let settings = apply(&ctx, &defaults, &s.take_settings())?;
        let raw = RawSite {
            line,
            id: ctx.at(s.id),
            name: ctx.at(s.name),
            url: ctx.at(s.url),
            operator: ctx.at(s.operator),
            contact: s.contact.map(|c| ctx.at(c)),
            tags: s.tags.into_iter().map(|t| ctx.at(t)).collect(),
            extra_urls: s.extra_urls.into_iter().map(|u| ctx.at(u)).collect(),
            exclude: s.exclude.into_iter().map(|x| ctx.at(x)).collect(),
            email: s.email.map(|e| ctx.at(e)),
            settings,
        };
        sites.push(check_site(path, raw, &mut ids)?);
    }
    if parsed.sites_csv.is_none() {
        out.sites = sites;
    }
    for entry in parsed.schedule {
        let line = ctx.lines.line(entry.span().start);
        out.schedules
            .push(schedule(&ctx, line, entry.into_inner(), &out.sites)?);
    }
    if let Some(n) = parsed.notify {
        let line = ctx.lines.line(n.span().start);
        out.notify = Some(notify(&ctx, line, n.into_inner())?);
    }
    Ok(out)
}

/// A `[[schedule]]`: its cron checked, its selectors resolved to site ids
/// (an unknown id or a tag no site has is refused).
fn schedule(
    ctx: &Ctx,
    line: usize,
    t: ScheduleToml,
    sites: &[Site],
) -> Result<Schedule, InputError> {
    let cron = crate::schedule::Cron::parse(t.cron.get_ref().trim())
        .map_err(|m| ctx.err(t.cron.span().start, m))?;
    let Some(selectors) = t.sites else {
        return Ok(Schedule {
            cron,
            sites: sites.iter().map(|s| s.id.clone()).collect(),
            selectors: Vec::new(),
            line,
        });
    };
    if selectors.is_empty() {
        return Err(InputError::at(
            ctx.path,
            line,
            "schedule: sites = [] selects no site (leave `sites` out for every site)",
        ));
    }
    let mut chosen = std::collections::HashSet::new();
    let mut written = Vec::with_capacity(selectors.len());
    for sel in &selectors {
        let text = sel.get_ref().trim();
        if let Some(tag) = text.strip_prefix("tag:") {
            let tag = tag.trim();
            let tagged: Vec<&str> = sites
                .iter()
                .filter(|s| s.tags.iter().any(|t| t == tag))
                .map(|s| s.id.as_str())
                .collect();
            chosen.extend(tagged.iter().copied());
            if tagged.is_empty() {
                return Err(ctx.err(
                    sel.span().start,
                    format!("schedule: no site has the tag `{tag}`"),
                ));
            }
        } else {
            match sites.iter().find(|s| s.id == text) {
                Some(s) => {
                    chosen.insert(s.id.as_str());
                }
                None => {
                    return Err(ctx.err(
                        sel.span().start,
                        format!(
                        "schedule: no site `{text}` in this register (write a site id or tag:NAME)"
                    ),
                    ))
                }
            }
        }
        written.push(text.to_string());
    }
    Ok(Schedule {
        cron,
        sites: sites
            .iter()
            .filter(|s| chosen.contains(s.id.as_str()))
            .map(|s| s.id.clone())
            .collect(),
        selectors: written,
        line,
    })
}

/// `[notify]`, checked.
fn notify(ctx: &Ctx, line: usize, t: NotifyToml) -> Result<Notify, InputError> {
    let webhook = match &t.webhook {
        None => None,
        Some(w) => Some(parse_webhook(w.get_ref().trim()).map_err(|m| ctx.err(w.span().start, m))?),
    };
    let webhook_format = match &t.webhook_format {
        None => WebhookFormat::Json,
        Some(f) => match f.get_ref().trim() {
            "json" => WebhookFormat::Json,
            "wecom" => WebhookFormat::Wecom,
            "dingtalk" => WebhookFormat::Dingtalk,
            other => {
                return Err(ctx.err(
                    f.span().start,
                    format!("webhook_format `{other}`: use json, wecom or dingtalk"),
                ))
            }
        },
    };
    let smtp = match &t.smtp {
        None => None,
        Some(s) => Some(parse_smtp(s.get_ref().trim()).map_err(|m| ctx.err(s.span().start, m))?),
    };
    let from = match &t.from {
        None => None,
        Some(f) => {
            let from = f.get_ref().trim();
            check_email(from).map_err(|m| ctx.err(f.span().start, format!("from: {m}")))?;
            Some(from.to_string())
        }
    };
    if smtp.is_some() && from.is_none() {
        return Err(InputError::at(
            ctx.path,
            line,
            "notify: smtp needs `from`, the address the e-mails are sent from",
        ));
    }
    if webhook.is_none() && smtp.is_none() {
        return Err(InputError::at(
            ctx.path,
            line,
            "notify: give a webhook, an smtp server, or both",
        ));
    }
    let min_severity = match &t.min_severity {
        None => crate::severity::Severity::High,
        Some(v) => crate::severity::Severity::parse(v.get_ref().trim()).ok_or_else(|| {
            ctx.err(
                v.span().start,
                format!(
                    "min_severity `{}`: use info, low, medium, high or critical",
                    v.get_ref()
                ),
            )
        })?,
    };
    Ok(Notify {
        webhook,
        webhook_format,
        smtp,
        from,
        min_severity,
        line,
    })
}

/// A webhook: an http(s) URL. Its query often holds the robot's key, so
/// errors show the scheme and host only.
fn parse_webhook(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("webhook: not a URL ({e})"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!(
            "webhook: `{}:` URLs cannot be posted to; use http or https",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("webhook: the URL has no host".into());
    }
    if text.len() > limits::URL_BYTES {
        return Err(format!(
            "webhook: URL of {} bytes is too long: at most {} are allowed",
            text.len(),
            limits::URL_BYTES
        ));
    }
    Ok(url)
}

/// `smtp://[user[:pass]@]host[:port]` or `smtps://…`. The password may be
/// left out of the register and given in `SITESWEEP_SMTP_PASSWORD`.
fn parse_smtp(text: &str) -> Result<Smtp, String> {
    // Never echo the URL: it may hold a password.
    let url = Url::parse(text).map_err(|e| format!("smtp: not a URL ({e})"))?;
    let implicit_tls = match url.scheme() {
        "smtps" => true,
        "smtp" => false,
        other => {
            return Err(format!(
                "smtp: `{other}://` is not an SMTP URL; write smtp://host:25 or smtps://user:pass@host:465"
            ))
        }
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("smtp: the URL has no host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err("smtp: only user, password, host and port belong in the URL".into());
    }
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let user = Some(decode(url.username())).filter(|u| !u.is_empty());
    let password = url
        .password()
        .map(|p| decode(&p.replace('+', "%2B")))
        .or_else(|| {
            user.as_ref()
                .and_then(|_| std::env::var("SITESWEEP_SMTP_PASSWORD").ok())
        });
    Ok(Smtp {
        implicit_tls,
        port: url.port().unwrap_or(if implicit_tls { 465 } else { 25 }),
        host,
        user,
        password,
    })
}

/// An e-mail address as mail servers take it: `local@domain`, the local
/// part of the characters RFC 5322 allows unquoted, the domain of at
/// least two labels (letters of any script, digits, hyphens).
pub fn check_email(text: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("`{text}` is not an e-mail address: {why}"));
    if text.len() > 254 {
        return Err(format!(
            "an e-mail address of {} bytes is too long: at most 254",
            text.len()
        ));
    }
    let Some((local, domain)) = text.rsplit_once('@') else {
        return bad("no @");
    };
    if local.is_empty() || local.len() > 64 {
        return bad("the part before @ must be 1 to 64 characters");
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-.".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if !local_ok {
        return bad("the part before @ has characters mail servers refuse");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if !domain_ok {
        return bad("the part after @ is not a domain name");
    }
    Ok(())
}

const CSV_COLUMNS: [&str; 7] = ["id", "name", "url", "operator", "contact", "tags", "email"];

/// Line numbers in a CSV file as a spreadsheet user counts them: CRLF, LF
/// and a lone CR (old Mac Excel) each end a line, and a quoted cell that
/// spans lines counts each of them.
struct CsvLines {
    starts: Vec<usize>,
    /// Where a line break is: the csv crate places a record after a CRLF at
    /// the LF, so a position is moved past line breaks to the record's
    /// first character.
    breaks: Vec<bool>,
}

impl CsvLines {
    fn new(text: &str) -> Self {
        let b = text.as_bytes();
        let mut starts = vec![0];
        for (i, &c) in b.iter().enumerate() {
            if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        let breaks = b.iter().map(|&c| c == b'\n' || c == b'\r').collect();
        CsvLines { starts, breaks }
    }

    fn line(&self, pos: Option<&csv::Position>) -> usize {
        pos.map_or(0, |p| {
            let mut at = p.byte() as usize;
            while self.breaks.get(at) == Some(&true) {
                at += 1;
            }
            self.starts.partition_point(|&s| s <= at)
        })
    }
}

/// The sites of a CSV register, each with `defaults` (a CSV named by a
/// TOML register's `sites_csv` gets its `[defaults]`).
fn parse_csv(path: &Path, text: &str, defaults: &Settings) -> Result<Vec<Site>, InputError> {
    let lines = CsvLines::new(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| InputError::at(path, 1, format!("cannot read the header row: {e}")))?
        .clone();
    let mut col: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let name = h.trim().to_ascii_lowercase();
        let Some(known) = CSV_COLUMNS.iter().find(|c| **c == name) else {
            return Err(InputError::at(
                path,
                1,
                format!(
                    "unknown column `{h}`: the header row is {}",
                    CSV_COLUMNS.join(",")
                ),
            ));
        };
        col.insert(known, i);
    }
    for required in ["id", "name", "url", "operator"] {
        if !col.contains_key(required) {
            return Err(InputError::at(
                path,
                1,
                format!("missing column `{required}`"),
            ));
        }
    }
    let mut sites = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            InputError::at(path, lines.line(e.position()), format!("bad CSV row: {e}"))
        })?;
        let line = lines.line(record.position());
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |name: &str| At {
            value: col
                .get(name)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
                .to_string(),
            line,
        };
        let raw = RawSite {
            line,
            id: get("id"),
            name: get("name"),
            url: get("url"),
            operator: get("operator"),
            contact: Some(get("contact")),
            tags: get("tags")
                .value
                .split(|c: char| c == ';' || c == ',' || c == '、' || c == '|' || c.is_whitespace())
                .filter(|t| !t.is_empty())
                .map(|t| At {
                    value: t.to_string(),
                    line,
                })
                .collect(),
            extra_urls: Vec::new(),
            exclude: Vec::new(),
            email: Some(get("email")),
            settings: defaults.clone(),
        };
        sites.push(check_site(path, raw, &mut ids)?);
    }
    Ok(sites)
}

fn check_id(id: &str) -> Result<(), String> {
    let mut chars = id.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad site id `{id}`: use lower-case letters, digits and '-', starting with a letter or digit"
        ))
    }
}

/// A start URL: `http(s)://host/…`, or a bare host (`www.example.gov.cn`),
/// tried as https first, then http.
pub fn parse_start_url(text: &str) -> Result<(Url, bool), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("url is empty".to_string());
    }
    if text.contains("://") {
        return Ok((parse_url(text)?, false));
    }
    // A bare host: letters, digits, dots and dashes, maybe a port and a path.
    let host_port = text.split(['/', '?', '#']).next().unwrap_or("");
    if host_port.contains('@') {
        return Err(credentials_message(None));
    }
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "1"));
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if !host_ok || port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "bad URL `{text}`: give http(s)://host/… or a bare host name"
        ));
    }
    Ok((parse_url(&format!("https://{text}"))?, true))
}

/// An absolute http(s) URL that can be scanned: a host, a usable port, no
/// credentials, not absurdly long.
fn parse_url(text: &str) -> Result<Url, String> {
    if text.len() > limits::URL_BYTES {
        return Err(format!(
            "URL of {} bytes is too long: at most {} are allowed",
            text.len(),
            limits::URL_BYTES
        ));
    }
    let url = match Url::parse(text) {
        Ok(url) => url,
        // Never echo what may be a password.
        Err(e) if text.contains('@') => return Err(format!("bad URL: {e}")),
        Err(e) => return Err(format!("bad URL `{text}`: {e}")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(credentials_message(Some(&shown)));
    }
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!(
            "bad URL `{text}`: only http and https can be scanned"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("bad URL `{text}`: no host"));
    }
    if url.port() == Some(0) {
        return Err(format!("bad URL `{text}`: port 0 cannot be connected to"));
    }
    Ok(url)
}

fn credentials_message(shown: Option<&Url>) -> String {
    let which = shown.map_or(String::new(), |u| format!(" (`{u}`)"));
    format!(
        "the URL{which} has a user name or password in it: credentials must not be in the register (they would be sent with every request, robots.txt included, and printed in every report)"
    )
}

/// "host:port" as shown to a person (default ports left out).
pub fn host_port(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_string(),
    }
}

fn same_site(a: &Url, b: &Url) -> bool {
    crate::urls::ScopeKey::of(a) == crate::urls::ScopeKey::of(b)
}

fn last_line(s: &str) -> String {
    s.lines().last().unwrap_or("").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(name: &str, text: &[u8]) -> Result<Register, InputError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        Register::load(&path).map_err(|mut e| {
            e.file = e.file.map(|f| PathBuf::from(f.file_name().unwrap()));
            e
        })
    }

    const SITE: &str = "[[site]]\nid = \"edu\"\nname = \"区教育局\"\nurl = \"https://edu.example.gov.cn/\"\noperator = \"区教育局办公室\"\n";

    #[test]
    fn defaults_apply_and_sites_override_them() {
        let text = format!("[defaults]\nmax_pages = 50\ndelay_ms = 10\n\n{SITE}max_pages = 7\n");
        let reg = load_text("sites.toml", text.as_bytes()).unwrap();
        let s = &reg.sites[0].settings;
        assert_eq!((s.max_pages, s.delay_ms, s.max_depth), (7, 10, 10));
        assert!(!s.allow_private && s.respect_robots);
    }

    #[test]
    fn register_errors_name_their_line() {
        let cases = [
            (
                format!("{SITE}colour = 1\n"),
                "sites.toml:6: unknown field `colour`",
            ),
            (
                format!("{SITE}\n{SITE}"),
                "sites.toml:8: duplicate site id `edu` (first at line 1)",
            ),
            (
                SITE.replace("https://edu.example.gov.cn/", "ftp://x"),
                "sites.toml:4: bad URL `ftp://x`",
            ),
            (
                SITE.replace("\"edu\"", "\"Edu Site\""),
                "sites.toml:2: bad site id",
            ),
            (
                format!("{SITE}max_pages = 0\n"),
                "sites.toml:6: max_pages = 0 is out of range",
            ),
            (
                format!("{SITE}exclude = [\"(\"]\n"),
                "sites.toml:6: bad exclude regex",
            ),
            (
                format!("{SITE}extra_urls = [\"https://other.example.com/x\"]\n"),
                "sites.toml:6: extra URL",
            ),
        ];
        for (text, want) in cases {
            let got = load_text("sites.toml", text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(got.starts_with(want), "want {want:?}, got {got:?}");
        }
    }

    #[test]
    fn csv_in_gbk_with_bare_hosts() {
        let csv = "id,name,url,operator,contact,tags\nedu,区教育局,edu.example.gov.cn,区教育局办公室,王老师,gov;edu\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(csv);
        let reg = load_text("sites.csv", &gbk).unwrap();
        let s = &reg.sites[0];
        assert_eq!(s.name, "区教育局");
        assert_eq!(s.url.as_str(), "https://edu.example.gov.cn/");
        assert!(s.try_http);
        assert_eq!(s.tags, vec!["gov", "edu"]);
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), csv.as_bytes()].concat();
        assert_eq!(
            load_text("sites.csv", &with_bom).unwrap().sites[0].operator,
            "区教育局办公室"
        );
    }

    #[test]
    fn csv_errors_name_their_line() {
        let bad = "id,name,url,operator\nedu,区教育局,https://a.example/,甲\nedu,区教育局,https://b.example/,乙\n";
        let got = load_text("sites.csv", bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            got.starts_with("sites.csv:3: duplicate site id `edu`"),
            "{got}"
        );
        let bad = "id,name,website,operator\n";
        let got = load_text("sites.csv", bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            got.starts_with("sites.csv:1: unknown column `website`"),
            "{got}"
        );
    }
}

#[cfg(test)]
mod value_tests {
    use super::*;

    fn load_text(name: &str, text: &[u8]) -> Result<Register, InputError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        Register::load(&path).map_err(|mut e| {
            e.file = e.file.map(|f| PathBuf::from(f.file_name().unwrap()));
            e
        })
    }

    fn err(name: &str, text: &[u8]) -> String {
        load_text(name, text).unwrap_err().to_string()
    }

    const SITE: &str = "[[site]]\nid = \"edu\"\nname = \"区教育局\"\nurl = \"https://edu.example.gov.cn/\"\noperator = \"区教育局办公室\"\n";
    const CSV_HEAD: &str = "id,name,url,operator,contact,tags\n";

    #[test]
    fn unusable_values_are_refused_with_their_line() {
        let long = |n: usize| "字".repeat(n);
        let cases = [
            (format!("{SITE}user_agent = \"bot\\r\\nX-Evil: 1\"\n"), "sites.toml:6: user_agent"),
            (format!("{SITE}user_agent = \"bot\\u0000\"\n"), "sites.toml:6: user_agent"),
            (format!("{SITE}user_agent = \"bot\\u007f\"\n"), "sites.toml:6: user_agent"),
            (format!("[defaults]\nuser_agent = \"a\\tb\"\n{SITE}"), "sites.toml:2: user_agent"),
            (format!("{SITE}user_agent = \"\"\n"), "sites.toml:6: user_agent"),
            (format!("{SITE}user_agent = \"{}\"\n", "a".repeat(513)), "sites.toml:6: user_agent"),
            (SITE.replace("cn/\"", "cn:0/\""), "sites.toml:4: bad URL"),
            (format!("{SITE}extra_urls = [\n  \"https://edu.example.gov.cn/a\",\n  \"http://edu.example.gov.cn:0/b\",\n]\n"), "sites.toml:8: bad URL"),
            (SITE.replace("区教育局\"", &format!("{}\"", long(201))), "sites.toml:3: name"),
            (SITE.replace("区教育局办公室", &long(201)), "sites.toml:5: operator"),
            (format!("{SITE}contact = \"{}\"\n", long(201)), "sites.toml:6: contact"),
            (format!("{SITE}contact = \"王老师\\u001b[31m\"\n"), "sites.toml:6: contact"),
            (SITE.replace("区教育局\"", "区教育局\\n办公室\""), "sites.toml:3: name"),
            (SITE.replace("\"edu\"", &format!("\"{}\"", "e".repeat(65))), "sites.toml:2: site id"),
            (format!("{SITE}tags = [\"{}\"]\n", "t".repeat(65)), "sites.toml:6: tag"),
            (format!("{SITE}tags = [{}]\n", vec!["\"t\""; 33].join(",")), "sites.toml:6: tags"),
            (SITE.replace("https://edu.example.gov.cn/", &format!("https://edu.example.gov.cn/{}", "a".repeat(2060))), "sites.toml:4: URL"),
            (format!("{SITE}exclude = [\"{}\"]\n", "a".repeat(1001)), "sites.toml:6: exclude"),
            (format!("{SITE}exclude = [{}]\n", vec!["\"a\""; 101].join(",")), "sites.toml:6: exclude"),
            (format!("{SITE}extra_urls = [{}]\n", vec!["\"https://edu.example.gov.cn/x\""; 1001].join(",")), "sites.toml:6: extra_urls"),
            (format!("{SITE}per_host_concurrency = 0\n"), "sites.toml:6: per_host_concurrency = 0 is out of range"),
            (format!("{SITE}timeout_s = 0\n"), "sites.toml:6: timeout_s = 0 is out of range"),
            (format!("{SITE}max_depth = -1\n"), "sites.toml:6: max_depth = -1 is out of range"),
        ];
        for (text, want) in cases {
            let got = err("sites.toml", text.as_bytes());
            assert!(got.starts_with(want), "want {want:?}, got {got:?}");
            assert!(got.len() < 400, "the message quotes too much: {got}");
        }
    }

    #[test]
    fn csv_registers_get_the_same_value_checks() {
        let long = "字".repeat(201);
        let cases = [
            (
                format!("{CSV_HEAD}edu,{long},https://a.example/,甲,,\n"),
                "sites.csv:2: name",
            ),
            (
                format!("{CSV_HEAD}edu,乙,https://a.example/,{long},,\n"),
                "sites.csv:2: operator",
            ),
            (
                format!("{CSV_HEAD}edu,乙,https://a.example:0/,甲,,\n"),
                "sites.csv:2: bad URL",
            ),
            (
                format!("{CSV_HEAD}edu,乙,a.example:0,甲,,\n"),
                "sites.csv:2: bad URL",
            ),
            (
                format!(
                    "{CSV_HEAD}edu,乙,https://a.example/,甲,,{}\n",
                    "t".repeat(65)
                ),
                "sites.csv:2: tag",
            ),
            (
                format!("{CSV_HEAD}edu,乙,https://a.example/,甲,\"王\u{7}\",\n"),
                "sites.csv:2: contact",
            ),
            (
                format!("{CSV_HEAD}{},乙,https://a.example/,甲,,\n", "e".repeat(65)),
                "sites.csv:2: site id",
            ),
        ];
        for (text, want) in cases {
            let got = err("sites.csv", text.as_bytes());
            assert!(got.starts_with(want), "want {want:?}, got {got:?}");
        }
    }

    #[test]
    fn credentials_in_register_urls_are_refused() {
        let cases = [
            (
                SITE.replace("https://edu.", "https://admin:s3cret@edu."),
                "sites.toml",
                "sites.toml:4:",
            ),
            (
                SITE.replace("https://edu.", "http://admin@edu."),
                "sites.toml",
                "sites.toml:4:",
            ),
            (
                format!("{SITE}extra_urls = [\"https://admin:s3cret@edu.example.gov.cn/x\"]\n"),
                "sites.toml",
                "sites.toml:6:",
            ),
            (
                format!("{CSV_HEAD}edu,乙,https://admin:s3cret@a.example/,甲,,\n"),
                "sites.csv",
                "sites.csv:2:",
            ),
            (
                format!("{CSV_HEAD}edu,乙,admin:s3cret@a.example,甲,,\n"),
                "sites.csv",
                "sites.csv:2:",
            ),
        ];
        for (text, name, want) in cases {
            let got = err(name, text.as_bytes());
            assert!(got.starts_with(want), "want {want:?}, got {got:?}");
            assert!(
                got.contains("credentials must not be in the register"),
                "{got}"
            );
            assert!(!got.contains("s3cret"), "the password is echoed: {got}");
        }
    }

    #[test]
    fn a_toml_register_must_be_utf8_and_a_bad_byte_names_its_line() {
        let mut bytes = SITE.as_bytes().to_vec();
        // `contact = "王老师<0xFF>"` on line 6
        bytes.extend_from_slice("contact = \"王老师".as_bytes());
        bytes.push(0xFF);
        bytes.extend_from_slice(b"\"\n");
        let got = err("sites.toml", &bytes);
        assert!(got.starts_with("sites.toml:6: "), "{got}");
        assert!(got.contains("UTF-8"), "{got}");
        // The same register in GBK is refused too, at the first non-UTF-8 line.
        let (gbk, _, _) = encoding_rs::GBK.encode(SITE);
        let got = err("sites.toml", &gbk);
        assert!(got.starts_with("sites.toml:3: "), "{got}");
        let ok = load_text("sites.toml", SITE.as_bytes()).unwrap();
        assert_eq!(ok.encoding, "UTF-8");
        assert_eq!(ok.sites[0].operator, "区教育局办公室");
    }

    #[test]
    fn a_csv_register_says_its_encoding_and_refuses_bytes_of_neither() {
        let csv = format!("{CSV_HEAD}edu,区教育局,edu.example.gov.cn,区教育局办公室,王老师,gov\nhz,杭州,hz.example.gov.cn,杭州办公室,,\n");
        assert_eq!(
            load_text("sites.csv", csv.as_bytes()).unwrap().encoding,
            "UTF-8"
        );
        let bom = [b"\xEF\xBB\xBF".as_slice(), csv.as_bytes()].concat();
        assert_eq!(load_text("sites.csv", &bom).unwrap().encoding, "UTF-8");
        let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
        let reg = load_text("sites.csv", &gbk).unwrap();
        assert_eq!(
            (reg.encoding, reg.sites[1].operator.as_str()),
            ("GBK", "杭州办公室")
        );
        // GB18030's four-byte sequences are not GBK.
        let rare = csv.replace("杭州,", "𠮷,");
        let (gb18030, _, _) = encoding_rs::GB18030.encode(&rare);
        assert_eq!(
            load_text("sites.csv", &gb18030).unwrap().encoding,
            "GB18030"
        );

        // A UTF-8 file with one bad byte on line 3.
        let mut bad = csv.as_bytes().to_vec();
        let at = bad.iter().rposition(|&b| b == b',').unwrap();
        bad.insert(at, 0xFF);
        let got = err("sites.csv", &bad);
        assert!(got.starts_with("sites.csv:3: "), "{got}");
        // A GBK file with a byte on line 3 that GBK has no character for.
        let mut bad = gbk.to_vec();
        let at = bad.iter().rposition(|&b| b == b',').unwrap();
        bad.insert(at, 0xFF);
        let got = err("sites.csv", &bad);
        assert!(got.starts_with("sites.csv:3: "), "{got}");
        // Excel's "Unicode text" is UTF-16: say so rather than guess.
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(csv.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let got = err("sites.csv", &utf16);
        assert!(
            got.starts_with("sites.csv:1: ") && got.contains("UTF-16"),
            "{got}"
        );
        // A lone lead byte at the very end.
        let mut bad = gbk.to_vec();
        bad.push(0x81);
        let got = err("sites.csv", &bad);
        assert!(got.starts_with("sites.csv:4: "), "{got}");
    }

    #[test]
    fn csv_line_numbers_hold_with_crlf_and_multi_line_cells() {
        let rows = [
            "id,name,url,operator,contact,tags",
            "a,甲,https://a.example/,甲办,,gov",
            "b,乙,https://b.example/,乙办,,\"gov",
            "edu\"",
            "c,丙,ftp://c.example/,丙办,,",
        ];
        for eol in ["\n", "\r\n", "\r"] {
            let text = rows.join(eol) + eol;
            let got = err("sites.csv", text.as_bytes());
            assert!(got.starts_with("sites.csv:5: bad URL"), "{eol:?}: {got}");
            let dup = text.replace("c,丙", "a,丙");
            let got = err("sites.csv", dup.as_bytes());
            assert!(
                got.starts_with("sites.csv:5: duplicate site id `a` (first at line 2)"),
                "{eol:?}: {got}"
            );
            let short = text.replace(",丙办,,", ",丙办");
            let got = err("sites.csv", short.as_bytes());
            assert!(got.starts_with("sites.csv:5: "), "{eol:?}: {got}");
            let ok = rows[..4].join(eol) + eol;
            let reg = load_text("sites.csv", ok.as_bytes()).unwrap();
            assert_eq!(reg.sites[1].line, 3);
            assert_eq!(reg.sites[1].tags, vec!["gov", "edu"]);
        }
    }

    #[test]
    fn probes_outbound_and_resolve_keys() {
        let text = r#"
[defaults]
probes = ["mobile", "baiduspider"]
probe_pages = 5
outbound_budget = 10

[resolve]
"Old-Partner.example" = "127.0.0.18"

[[site]]
id = "a"
name = "甲"
url = "https://a.example/"
operator = "甲办"
probes = []
check_outbound = false
"#;
        let reg = load_text("sites.toml", text.as_bytes()).unwrap();
        let s = &reg.sites[0].settings;
        assert!(s.probes.is_empty());
        assert!(!s.check_outbound);
        assert_eq!((s.probe_pages, s.outbound_budget), (5, 10));
        assert_eq!(
            s.pins.get("old-partner.example"),
            Some(&"127.0.0.18".parse().unwrap())
        );
        let defaults = Settings::default();
        assert_eq!(defaults.probes, Probe::ALL.to_vec());
        assert!(defaults.check_outbound);

        let bad = text.replace("\"mobile\"", "\"googlebot\"");
        let got = err("sites.toml", bad.as_bytes());
        assert!(
            got.starts_with("sites.toml:3: probes: unknown probe `googlebot`"),
            "{got}"
        );
        let bad = text.replace("127.0.0.18", "localhost");
        let got = err("sites.toml", bad.as_bytes());
        assert!(
            got.starts_with("sites.toml:8: resolve: `localhost` is not an IP address"),
            "{got}"
        );
        let bad = text.replace("probe_pages = 5", "probe_pages = 0");
        let got = err("sites.toml", bad.as_bytes());
        assert!(
            got.starts_with("sites.toml:4: probe_pages = 0 is out of range"),
            "{got}"
        );
    }
}

#[cfg(test)]
mod serve_tests {
    use super::*;
    use crate::severity::Severity;

    /// Write `files` into a temporary directory and load the first.
    fn load_files(files: &[(&str, &[u8])]) -> Result<Register, InputError> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        Register::load(&dir.path().join(files[0].0)).map_err(|mut e| {
            e.file = e.file.map(|f| PathBuf::from(f.file_name().unwrap()));
            e
        })
    }

    fn err(files: &[(&str, &[u8])]) -> String {
        load_files(files).unwrap_err().to_string()
    }

    const TWO_SITES: &str = r#"
[[site]]
id = "edu"
name = "区教育局"
url = "https://edu.example.gov.cn/"
operator = "区教育局办公室"
tags = ["gov", "school"]
email = "edu-office@example.gov.cn"

[[site]]
id = "hospital"
name = "区人民医院"
url = "https://hospital.example.com/"
operator = "区卫健局"
"#;

    #[test]
    fn email_schedules_and_notify_are_read() {
        let text = format!(
            r#"{TWO_SITES}
[[schedule]]
cron = "0 2 * * *"

[[schedule]]
cron = "*/30 8-18 * * 1-5"
sites = ["tag:school", "hospital"]

[notify]
webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
webhook_format = "wecom"
smtp = "smtps://sweep%40example.gov.cn:p%40ss+word@mail.example.gov.cn"
from = "sitesweep@example.gov.cn"
min_severity = "medium"
"#
        );
        let reg = load_files(&[("sites.toml", text.as_bytes())]).unwrap();
        assert_eq!(
            reg.sites[0].email.as_deref(),
            Some("edu-office@example.gov.cn")
        );
        assert_eq!(reg.sites[1].email, None);
        assert_eq!(reg.schedules.len(), 2);
        assert_eq!(reg.schedules[0].sites, vec!["edu", "hospital"]);
        assert!(reg.schedules[0].selectors.is_empty());
        assert_eq!(reg.schedules[1].cron.as_str(), "*/30 8-18 * * 1-5");
        assert_eq!(reg.schedules[1].sites, vec!["edu", "hospital"]);
        assert_eq!(reg.schedules[1].line, 19);
        let n = reg.notify.unwrap();
        assert_eq!(n.webhook_format, WebhookFormat::Wecom);
        assert_eq!(n.min_severity, Severity::Medium);
        let smtp = n.smtp.unwrap();
        assert!(smtp.implicit_tls);
        assert_eq!(
            (smtp.host.as_str(), smtp.port),
            ("mail.example.gov.cn", 465)
        );
        assert_eq!(smtp.user.as_deref(), Some("sweep@example.gov.cn"));
        assert_eq!(smtp.password.as_deref(), Some("p@ss+word"));
        // Logs never show the password.
        assert!(!format!("{smtp:?}").contains("p@ss"));
        assert_eq!(
            smtp.shown(),
            "smtps://sweep@example.gov.cn@mail.example.gov.cn:465"
        );

        // Defaults: json, high, plain smtp on port 25.
        let text = format!(
            "{TWO_SITES}\n[notify]\nwebhook = \"http://127.0.0.1:9/hook\"\nsmtp = \"smtp://mail.example\"\nfrom = \"a@b.cn\"\n"
        );
        let n = load_files(&[("sites.toml", text.as_bytes())])
            .unwrap()
            .notify
            .unwrap();
        assert_eq!(n.webhook_format, WebhookFormat::Json);
        assert_eq!(n.min_severity, Severity::High);
        let smtp = n.smtp.unwrap();
        assert!(!smtp.implicit_tls && smtp.user.is_none());
        assert_eq!(smtp.port, 25);
    }

    #[test]
    fn bad_serve_tables_are_refused_with_their_line() {
        let cases = [
            (
                TWO_SITES.replace("edu-office@example.gov.cn", "edu-office"),
                "sites.toml:8: email: `edu-office` is not an e-mail address",
            ),
            (
                TWO_SITES.replace("edu-office@example.gov.cn", "a b@example.gov.cn"),
                "sites.toml:8: email:",
            ),
            (
                TWO_SITES.replace("edu-office@example.gov.cn", "a@localhost"),
                "sites.toml:8: email:",
            ),
            (
                format!("{TWO_SITES}\n[[schedule]]\ncron = \"0 2 * *\"\n"),
                "sites.toml:17: cron `0 2 * *` has 4 fields",
            ),
            (
                format!("{TWO_SITES}\n[[schedule]]\ncron = \"0 26 * * *\"\n"),
                "sites.toml:17: cron `0 26 * * *`",
            ),
            (
                format!("{TWO_SITES}\n[[schedule]]\ncron = \"0 2 * * *\"\nsites = [\n  \"edu\",\n  \"tag:nosuch\",\n]\n"),
                "sites.toml:20: schedule: no site has the tag `nosuch`",
            ),
            (
                format!("{TWO_SITES}\n[[schedule]]\ncron = \"0 2 * * *\"\nsites = [\"school\"]\n"),
                "sites.toml:18: schedule: no site `school` in this register",
            ),
            (
                format!("{TWO_SITES}\n[[schedule]]\ncron = \"0 2 * * *\"\nsites = []\n"),
                "sites.toml:16: schedule: sites = [] selects no site",
            ),
            (
                format!("{TWO_SITES}\n[[schedule]]\ncron = \"0 2 * * *\"\nat = \"02:00\"\n"),
                "sites.toml:18: unknown field `at`",
            ),
            (
                format!("{TWO_SITES}\n[notify]\nwebhook = \"ftp://hooks.example/x\"\n"),
                "sites.toml:17: webhook: `ftp:` URLs cannot be posted to",
            ),
            (
                format!("{TWO_SITES}\n[notify]\nwebhook = \"https://h.example/x\"\nwebhook_format = \"slack\"\n"),
                "sites.toml:18: webhook_format `slack`: use json, wecom or dingtalk",
            ),
            (
                format!("{TWO_SITES}\n[notify]\nsmtp = \"smtps://u:s3cret@mail.example\"\n"),
                "sites.toml:16: notify: smtp needs `from`",
            ),
            (
                format!("{TWO_SITES}\n[notify]\nsmtp = \"imap://u:s3cret@mail.example\"\nfrom = \"a@b.cn\"\n"),
                "sites.toml:17: smtp: `imap://` is not an SMTP URL",
            ),
            (
                format!("{TWO_SITES}\n[notify]\nsmtp = \"smtp://mail.example/x?y=1\"\nfrom = \"a@b.cn\"\n"),
                "sites.toml:17: smtp: only user, password, host and port",
            ),
            (
                format!("{TWO_SITES}\n[notify]\nwebhook = \"https://h.example/x\"\nfrom = \"nobody\"\n"),
                "sites.toml:18: from: `nobody` is not an e-mail address",
            ),
            (
                format!("{TWO_SITES}\n[notify]\nwebhook = \"https://h.example/x\"\nmin_severity = \"urgent\"\n"),
                "sites.toml:18: min_severity `urgent`",
            ),
            (
                format!("{TWO_SITES}\n[notify]\nmin_severity = \"low\"\n"),
                "sites.toml:16: notify: give a webhook, an smtp server, or both",
            ),
            (
                format!("{TWO_SITES}\n[notify]\nwebhook = \"https://h.example/x\"\nsms = \"138\"\n"),
                "sites.toml:18: unknown field `sms`",
            ),
        ];
        for (text, want) in cases {
            let got = err(&[("sites.toml", text.as_bytes())]);
            assert!(got.starts_with(want), "want {want:?}, got {got:?}");
            assert!(!got.contains("s3cret"), "the password is echoed: {got}");
        }
    }

    #[test]
    fn sites_csv_brings_the_sites_and_keeps_defaults_schedules_and_notify() {
        let toml = r#"sites_csv = "sites.csv"

[defaults]
max_pages = 50

[resolve]
"edu.example.gov.cn" = "127.0.0.5"

[[schedule]]
cron = "0 2 * * *"
sites = ["tag:gov"]

[notify]
webhook = "https://h.example/x"
"#;
        let csv = "id,name,url,operator,contact,tags,email\nedu,区教育局,edu.example.gov.cn,区教育局办公室,王老师,gov,edu@example.gov.cn\nhz,杭州,https://hz.example.com/,杭州办,,,\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(csv);
        let reg = load_files(&[("sites.toml", toml.as_bytes()), ("sites.csv", &gbk)]).unwrap();
        assert_eq!(reg.sites.len(), 2);
        assert_eq!(reg.encoding, "GBK");
        assert_eq!(reg.sites[0].settings.max_pages, 50);
        assert_eq!(
            reg.sites[0].settings.pins.get("edu.example.gov.cn"),
            Some(&"127.0.0.5".parse().unwrap())
        );
        assert_eq!(reg.sites[0].email.as_deref(), Some("edu@example.gov.cn"));
        assert_eq!(reg.sites[1].email, None);
        assert_eq!(reg.schedules[0].sites, vec!["edu"]);
        assert!(reg.notify.is_some());
        assert_eq!(reg.files.len(), 2);
        assert!(reg.files[1].ends_with("sites.csv"));

        // Errors in the spreadsheet point at its lines.
        let bad = csv.replace("edu@example.gov.cn", "edu.example.gov.cn");
        let got = err(&[
            ("sites.toml", toml.as_bytes()),
            ("sites.csv", bad.as_bytes()),
        ]);
        assert!(got.starts_with("sites.csv:2: email:"), "{got}");
        let bad = csv.replace("hz,杭州", "edu,杭州");
        let got = err(&[
            ("sites.toml", toml.as_bytes()),
            ("sites.csv", bad.as_bytes()),
        ]);
        assert!(
            got.starts_with("sites.csv:3: duplicate site id `edu`"),
            "{got}"
        );
        // …and a schedule naming a site the spreadsheet lacks, at the TOML's.
        let bad = toml.replace("tag:gov", "school");
        let got = err(&[
            ("sites.toml", bad.as_bytes()),
            ("sites.csv", csv.as_bytes()),
        ]);
        assert!(
            got.starts_with("sites.toml:11: schedule: no site `school`"),
            "{got}"
        );
        // A missing spreadsheet, an empty one, both kinds of site list.
        let got = err(&[("sites.toml", toml.as_bytes())]);
        assert!(got.starts_with("sites.toml:1: sites_csv `"), "{got}");
        let got = err(&[
            ("sites.toml", toml.as_bytes()),
            ("sites.csv", b"id,name,url,operator\n"),
        ]);
        assert!(
            got.starts_with("sites.csv:1: the spreadsheet lists no sites"),
            "{got}"
        );
        let both = format!("{toml}{TWO_SITES}");
        let got = err(&[
            ("sites.toml", both.as_bytes()),
            ("sites.csv", csv.as_bytes()),
        ]);
        assert!(
            got.starts_with(
                "sites.toml:16: [[site]] tables and sites_csv (line 1) cannot both be given"
            ),
            "{got}"
        );
    }

    #[test]
    fn accepted_addresses_are_accepted_by_the_mailer_too() {
        for good in [
            "a@b.cn",
            "office.liaison+web@example.gov.cn",
            "o'brien@example.com",
            "admin@教育局.中国",
        ] {
            assert!(check_email(good).is_ok(), "{good}");
            assert!(good.parse::<lettre::Address>().is_ok(), "{good}");
        }
        for bad in [
            "",
            "@b.cn",
            "a@",
            "a@b",
            "a..b@c.cn",
            ".a@c.cn",
            "a@-b.cn",
            "a@b..cn",
            "a b@c.cn",
            "a@b.cn\n",
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
    }
}
