//! The site register: which sites to scan, who answers for them, and how
//! politely to crawl them. TOML (`sites.toml`) or CSV with a header row, as
//! registers kept in spreadsheets are saved (UTF-8 with or without BOM, or
//! GBK from Excel on Chinese Windows). A register with any error is refused
//! as a whole with `file:line: message`, before any request is sent.

use crate::error::{InputError, LineIndex};
use regex::Regex;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::Spanned;
use url::Url;

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
    /// Line of the site's entry in the register.
    pub line: usize,
}

#[derive(Clone, Debug)]
pub struct Register {
    pub path: PathBuf,
    pub sites: Vec<Site>,
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
        let text = decode_register(&bytes);
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let sites = if is_csv {
            parse_csv(path, &text)?
        } else {
            parse_toml(path, &text)?
        };
        if sites.is_empty() {
            return Err(InputError::at(path, 1, "the register lists no sites"));
        }
        Ok(Register {
            path: path.to_path_buf(),
            sites,
        })
    }

    /// Keep only the sites named (each must exist).
    pub fn select(&mut self, ids: &[String]) -> Result<(), InputError> {
        if ids.is_empty() {
            return Ok(());
        }
        for id in ids {
            if !self.sites.iter().any(|s| &s.id == id) {
                return Err(InputError::plain(format!(
                    "--site {id}: no such site in {}",
                    self.path.display()
                )));
            }
        }
        self.sites.retain(|s| ids.contains(&s.id));
        Ok(())
    }
}

/// UTF-8 (BOM stripped), else GB18030 (a superset of GBK, as Excel saves).
fn decode_register(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SettingsToml {
    max_pages: Option<Spanned<i64>>,
    max_depth: Option<Spanned<i64>>,
    per_host_concurrency: Option<Spanned<i64>>,
    delay_ms: Option<Spanned<i64>>,
    timeout_s: Option<Spanned<i64>>,
    user_agent: Option<String>,
    allow_private: Option<bool>,
    respect_robots: Option<bool>,
    insecure_tls: Option<bool>,
    ca_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterToml {
    #[serde(default)]
    defaults: SettingsToml,
    #[serde(default)]
    site: Vec<Spanned<SiteToml>>,
}

// serde cannot combine `flatten` with `deny_unknown_fields`, so the
// overridable settings are listed again here.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteToml {
    id: Spanned<String>,
    name: String,
    url: Spanned<String>,
    operator: String,
    contact: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    extra_urls: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    max_pages: Option<Spanned<i64>>,
    max_depth: Option<Spanned<i64>>,
    per_host_concurrency: Option<Spanned<i64>>,
    delay_ms: Option<Spanned<i64>>,
    timeout_s: Option<Spanned<i64>>,
    user_agent: Option<String>,
    allow_private: Option<bool>,
    respect_robots: Option<bool>,
    insecure_tls: Option<bool>,
    ca_file: Option<Spanned<String>>,
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
        s.user_agent = v.clone();
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
    Ok(s)
}

fn parse_toml(path: &Path, text: &str) -> Result<Vec<Site>, InputError> {
    let ctx = Ctx {
        path,
        lines: LineIndex::new(text),
    };
    let parsed: RegisterToml = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| ctx.lines.line(s.start));
        InputError::at(path, line, e.message().trim().to_string())
    })?;
    let defaults = apply(&ctx, &Settings::default(), &parsed.defaults)?;
    let mut sites = Vec::with_capacity(parsed.site.len());
    let mut ids: HashMap<String, usize> = HashMap::new();
    for entry in parsed.site {
        let line = ctx.lines.line(entry.span().start);
        let mut s = entry.into_inner();
        let settings = apply(&ctx, &defaults, &s.take_settings())?;
        let id_at = s.id.span().start;
        let id = s.id.into_inner();
        check_id(&id).map_err(|m| ctx.err(id_at, m))?;
        if let Some(first) = ids.insert(id.clone(), line) {
            return Err(ctx.err(
                id_at,
                format!("duplicate site id `{id}` (first at line {first})"),
            ));
        }
        let url_at = s.url.span().start;
        let (url, try_http) = parse_start_url(s.url.get_ref()).map_err(|m| ctx.err(url_at, m))?;
        let mut extra_urls = Vec::new();
        for u in &s.extra_urls {
            let extra = Url::parse(u.get_ref())
                .map_err(|e| ctx.err(u.span().start, format!("bad URL `{}`: {e}", u.get_ref())))?;
            if !same_site(&url, &extra) {
                return Err(ctx.err(
                    u.span().start,
                    format!(
                        "extra URL `{extra}` is not on the site's host `{}`",
                        host_port(&url)
                    ),
                ));
            }
            extra_urls.push(extra);
        }
        let mut exclude = Vec::new();
        for x in &s.exclude {
            exclude.push(Regex::new(x.get_ref()).map_err(|e| {
                ctx.err(
                    x.span().start,
                    format!(
                        "bad exclude regex `{}`: {}",
                        x.get_ref(),
                        last_line(&e.to_string())
                    ),
                )
            })?);
        }
        if s.name.trim().is_empty() || s.operator.trim().is_empty() {
            return Err(InputError::at(
                path,
                line,
                format!("site `{id}`: name and operator must not be empty"),
            ));
        }
        sites.push(Site {
            id,
            name: s.name,
            url,
            try_http,
            operator: s.operator,
            contact: s.contact.filter(|c| !c.trim().is_empty()),
            tags: s.tags,
            extra_urls,
            exclude,
            settings,
            line,
        });
    }
    Ok(sites)
}

const CSV_COLUMNS: [&str; 6] = ["id", "name", "url", "operator", "contact", "tags"];

fn parse_csv(path: &Path, text: &str) -> Result<Vec<Site>, InputError> {
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
            let line = e.position().map_or(0, |p| p.line() as usize);
            InputError::at(path, line, format!("bad CSV row: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let get = |name: &str| {
            col.get(name)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
                .to_string()
        };
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let id = get("id");
        check_id(&id).map_err(|m| InputError::at(path, line, m))?;
        if let Some(first) = ids.insert(id.clone(), line) {
            return Err(InputError::at(
                path,
                line,
                format!("duplicate site id `{id}` (first at line {first})"),
            ));
        }
        let (url, try_http) =
            parse_start_url(&get("url")).map_err(|m| InputError::at(path, line, m))?;
        let (name, operator) = (get("name"), get("operator"));
        if name.is_empty() || operator.is_empty() {
            return Err(InputError::at(
                path,
                line,
                format!("site `{id}`: name and operator must not be empty"),
            ));
        }
        let contact = get("contact");
        sites.push(Site {
            id,
            name,
            url,
            try_http,
            operator,
            contact: (!contact.is_empty()).then_some(contact),
            tags: get("tags")
                .split(|c: char| c == ';' || c == ',' || c == '、' || c == '|' || c.is_whitespace())
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            extra_urls: Vec::new(),
            exclude: Vec::new(),
            settings: Settings::default(),
            line,
        });
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
    let (candidate, bare) = if text.contains("://") {
        (text.to_string(), false)
    } else {
        // A bare host: letters, digits, dots and dashes, maybe a port and a path.
        let host_port = text.split('/').next().unwrap_or("");
        let (host, port) = host_port.split_once(':').unwrap_or((host_port, "0"));
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if !host_ok || port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "bad URL `{text}`: give http(s)://host/… or a bare host name"
            ));
        }
        (format!("https://{text}"), true)
    };
    let url = Url::parse(&candidate).map_err(|e| format!("bad URL `{text}`: {e}"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!(
            "bad URL `{text}`: only http and https can be scanned"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("bad URL `{text}`: no host"));
    }
    Ok((url, bare))
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
