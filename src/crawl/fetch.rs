//! One HTTP fetch, bounded: redirects followed by hand (each hop checked
//! for scope and by the SSRF guard), body read up to a cap counted after
//! decompression, non-HTML bodies not read, the real status and error
//! cause kept.

use super::guard::{self, GuardedResolver, BLOCKED_MARK};
use crate::register::Settings;
use reqwest::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::Client;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};
use url::Url;

/// Most redirects followed for one URL (reqwest, lychee, Colly, katana: 10).
pub const MAX_REDIRECTS: usize = 10;
/// Most bytes of a body read (after decompression); the rest is cut and the
/// page marked truncated.
pub const MAX_BODY: usize = 4 << 20;
/// URLs longer than this are not fetched (IE's old limit, Heritrix's default).
pub const MAX_URL_LEN: usize = 2083;

/// What kind of failure, for findings and summaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Dns,
    Refused,
    Timeout,
    Tls,
    Blocked,
    RedirectLoop,
    TooManyRedirects,
    Body,
    Other,
}

impl ErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Dns => "dns",
            ErrorKind::Refused => "refused",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Tls => "tls",
            ErrorKind::Blocked => "blocked",
            ErrorKind::RedirectLoop => "redirect-loop",
            ErrorKind::TooManyRedirects => "too-many-redirects",
            ErrorKind::Body => "body",
            ErrorKind::Other => "error",
        }
    }
}

#[derive(Clone, Debug)]
pub struct FetchError {
    pub kind: ErrorKind,
    pub message: String,
    /// It failed while connecting (resolving the name, opening the
    /// connection, the TLS handshake): no HTTP answer was had. A
    /// `Timeout` with this set is a connect timeout, not a slow answer.
    pub connect: bool,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A response (any status).
#[derive(Debug)]
pub struct Fetched {
    pub final_url: Url,
    pub status: u16,
    pub content_type: Option<String>,
    /// Empty when the body was not wanted (and after it was analysed).
    pub body: Vec<u8>,
    /// Bytes of body read (after decompression).
    pub size: usize,
    /// Cut at the body cap.
    pub truncated: bool,
    /// The body broke off (reset, bad chunking): what was read is kept.
    pub body_error: Option<String>,
    /// A redirect led out of scope and was not followed (final_url is its target).
    pub redirected_out: bool,
    /// Labelled text but binary (NUL bytes in the first KiB): not read further.
    pub binary: bool,
    pub retry_after: Option<String>,
    /// A 3xx whose Location could not be followed (`javascript:`, empty,
    /// not a web URL): the Location as sent (`Some("")` when absent).
    pub dead_end_location: Option<String>,
    pub elapsed: Duration,
    /// Held while a document's body (up to `max_attachment_mb`) is in
    /// memory: see [`DOCUMENTS_IN_FLIGHT`].
    pub document_permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// Document bodies held at once across a scan: each may be 20 MiB or
/// more, and pages in flight (16) times that would be hundreds of MiB.
pub const DOCUMENTS_IN_FLIGHT: usize = 4;

async fn document_permit_now() -> Option<tokio::sync::OwnedSemaphorePermit> {
    static PERMITS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    PERMITS
        .get_or_init(|| Arc::new(tokio::sync::Semaphore::new(DOCUMENTS_IN_FLIGHT)))
        .clone()
        .acquire_owned()
        .await
        .ok()
}

/// How much of a body is sniffed for binary content.
const SNIFF: usize = 1024;

fn looks_binary(body: &[u8]) -> bool {
    body[..body.len().min(SNIFF)].contains(&0)
}

/// How long a `Retry-After` value (seconds or an HTTP date) asks to wait.
pub fn retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Would a body of this type be read as text? HTML, XML (sitemaps),
/// text, scripts, or unknown.
fn wanted(content_type: Option<&str>) -> bool {
    match content_type {
        None => true,
        Some(ct) => {
            let ct = ct.to_ascii_lowercase();
            ct.contains("html")
                || ct.contains("xml")
                || ct.starts_with("text/")
                || ct.contains("javascript")
                || ct.contains("ecmascript")
        }
    }
}

/// The file name a `Content-Disposition` header gives (`filename="名单.xlsx"`,
/// or RFC 5987 `filename*=UTF-8''%E5%90%8D%E5%8D%95.xlsx`): only its
/// extension matters.
fn disposition_name(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    let at = lower
        .find("filename*=")
        .map(|i| i + 10)
        .or_else(|| lower.find("filename=").map(|i| i + 9))?;
    let raw = value[at..].split(';').next()?.trim().trim_matches('"');
    let raw = raw.rsplit("''").next().unwrap_or(raw);
    (!raw.is_empty()).then(|| raw.to_string())
}

fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// An HTTP client for one site's settings.
#[derive(Clone)]
pub struct Fetcher {
    client: Client,
    allow_private: bool,
    pub max_body: usize,
    /// Why the last certificate with an unknown issuer failed.
    pub chain_note: super::tls::NoteSlot,
    /// A linked document's body cap (`max_attachment_mb`); 0 when the site
    /// does not read attachments.
    pub max_document: usize,
    /// Headers that replace the client's own on every request (a probe's
    /// user agent and Referer).
    identity: Option<Arc<reqwest::header::HeaderMap>>,
}

impl Fetcher {
    pub fn new(settings: &Settings) -> Result<Fetcher, String> {
        install_crypto();
        let total = Duration::from_secs(settings.timeout_s);
        let mut extra_roots = Vec::new();
        if let Some(path) = &settings.ca_file {
            use rustls::pki_types::{pem::PemObject, CertificateDer};
            let pem =
                std::fs::read(path).map_err(|e| format!("ca_file {}: {e}", path.display()))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                extra_roots.push(cert.map_err(|e| format!("ca_file {}: {e}", path.display()))?);
            }
        }
        let chain_note = super::tls::NoteSlot::default();
        let tls =
            super::tls::client_config(settings.insecure_tls, extra_roots, chain_note.clone())?;
        let client = Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(total)
            .connect_timeout(total.min(Duration::from_secs(10)))
            .read_timeout(total.min(Duration::from_secs(20)))
            .user_agent(settings.user_agent.clone())
            .no_proxy()
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .pool_max_idle_per_host(settings.per_host_concurrency)
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: settings.allow_private,
                pins: settings.pins.clone(),
            }))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Fetcher {
            client,
            allow_private: settings.allow_private,
            max_body: MAX_BODY,
            chain_note,
            identity: None,
            max_document: if settings.attachments {
                (settings.max_attachment_mb as usize) << 20
            } else {
                0
            },
        })
    }

    /// The same client (its connections, certificates, guard) saying it is
    /// someone else on every request: a probe's user agent, and a Referer.
    pub fn as_identity(&self, user_agent: &str, referer: Option<&str>) -> Result<Fetcher, String> {
        use reqwest::header::HeaderValue;
        let value = |v: &str| HeaderValue::from_str(v).map_err(|e| format!("bad header {v}: {e}"));
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::USER_AGENT, value(user_agent)?);
        if let Some(r) = referer {
            headers.insert(reqwest::header::REFERER, value(r)?);
        }
        Ok(Fetcher {
            identity: Some(Arc::new(headers)),
            ..self.clone()
        })
    }

    /// A body whose first bytes make it a document (magic bytes).
    fn is_document(&self, body: &[u8], url: &Url, content_type: &Option<String>) -> bool {
        let hint = crate::documents::Hint::new(content_type.as_deref(), url.path());
        crate::documents::sniff(body, hint).is_some_and(|f| !f.is_text())
    }

    /// A client for links to other sites (`check_outbound`): the site's
    /// timeouts, user agent, certificates and pins, but private, loopback
    /// and link-local targets are refused whatever the site's
    /// `allow_private` says — a hostile page must not be able to point the
    /// scanner at the scanning machine's network. Names pinned in
    /// `[resolve]` are still trusted.
    pub fn outbound(settings: &Settings) -> Result<Fetcher, String> {
        let mut settings = settings.clone();
        settings.allow_private = false;
        Fetcher::new(&settings)
    }

    /// A bare host from the register is tried as https first: when that
    /// failed for a reason http could avoid (not an unknown name, not a
    /// refused target), try http. Returns the URL that answered, or the
    /// first failure.
    pub async fn http_fallback(
        &self,
        url: Url,
        first: Result<Fetched, FetchError>,
    ) -> (Url, Result<Fetched, FetchError>) {
        match &first {
            Err(e) if e.kind != ErrorKind::Dns && e.kind != ErrorKind::Blocked => {
                let mut http = url.clone();
                let _ = http.set_scheme("http");
                match self.fetch(&http, &|_: &Url| true).await {
                    Ok(f) => (http, Ok(f)),
                    Err(_) => (url, first),
                }
            }
            _ => (url, first),
        }
    }

    /// Fetch `url`, following redirects while `follow` accepts the target.
    pub async fn fetch(
        &self,
        url: &Url,
        follow: &(dyn Fn(&Url) -> bool + Sync),
    ) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let mut current = url.clone();
        let mut visited = vec![current.clone()];
        loop {
            if current.as_str().len() > MAX_URL_LEN {
                return Err(FetchError {
                    kind: ErrorKind::Other,
                    message: format!("URL longer than {MAX_URL_LEN} characters"),
                    connect: false,
                });
            }
            guard::check_url(&current, self.allow_private).map_err(|message| FetchError {
                kind: ErrorKind::Blocked,
                message,
                connect: false,
            })?;
            let mut request = self.client.get(current.clone());
            if let Some(headers) = &self.identity {
                request = request.headers(headers.as_ref().clone());
            }
            let resp = request.send().await.map_err(classify)?;
            let status = resp.status().as_u16();
            let header = |name| {
                resp.headers()
                    .get(name)
                    .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                    .map(str::to_string)
            };
            let content_type = header(CONTENT_TYPE);
            let file_name = header(reqwest::header::CONTENT_DISPOSITION)
                .as_deref()
                .and_then(disposition_name);
            let retry_after = header(RETRY_AFTER);
            let mut dead_end_location = None;
            if (300..400).contains(&status) {
                let location = resp
                    .headers()
                    .get(LOCATION)
                    .map(|v| location_text(v.as_bytes()));
                let next = location
                    .as_deref()
                    .and_then(|l| crate::urls::resolve(&current, l));
                if next.is_none() && status != 304 {
                    dead_end_location = Some(location.unwrap_or_default());
                }
                if let Some(next) = next {
                    if visited.contains(&next) {
                        return Err(FetchError {
                            kind: ErrorKind::RedirectLoop,
                            message: format!("redirect loop at {next}"),
                            connect: false,
                        });
                    }
                    if visited.len() > MAX_REDIRECTS {
                        return Err(FetchError {
                            kind: ErrorKind::TooManyRedirects,
                            message: format!("more than {MAX_REDIRECTS} redirects"),
                            connect: false,
                        });
                    }
                    if !follow(&next) {
                        return Ok(Fetched {
                            final_url: next,
                            status,
                            content_type,
                            body: Vec::new(),
                            size: 0,
                            truncated: false,
                            body_error: None,
                            redirected_out: true,
                            binary: false,
                            retry_after,
                            dead_end_location: None,
                            elapsed: started.elapsed(),
                            document_permit: None,
                        });
                    }
                    visited.push(next.clone());
                    current = next;
                    continue;
                }
            }
            let mut body = Vec::new();
            let mut truncated = false;
            let mut body_error = None;
            let mut binary = false;
            // A linked document (PDF, Word, a spreadsheet) is read whole up
            // to its own cap; a body labelled as text that turns out to be
            // one (a zip or OLE2 file without a content type) switches to it.
            let reads_documents = self.max_document > 0;
            let announced = reads_documents
                && crate::documents::announced(
                    content_type.as_deref(),
                    current.path(),
                    file_name.as_deref(),
                )
                .is_some();
            let mut cap = if announced {
                self.max_document
            } else {
                self.max_body
            };
            let mut document_permit = None;
            if announced {
                document_permit = document_permit_now().await;
            }
            if announced || wanted(content_type.as_deref()) {
                let mut resp = resp;
                let mut document = announced;
                loop {
                    match resp.chunk().await {
                        Ok(Some(chunk)) => {
                            let before = body.len();
                            let room = cap.saturating_sub(body.len());
                            if chunk.len() > room {
                                body.extend_from_slice(&chunk[..room]);
                                truncated = true;
                                break;
                            }
                            body.extend_from_slice(&chunk);
                            // Sniff once the first KiB is in: text has no NUL bytes.
                            if !document
                                && before < SNIFF
                                && (body.len() >= SNIFF)
                                && looks_binary(&body)
                            {
                                if reads_documents
                                    && self.is_document(&body, &current, &content_type)
                                {
                                    document = true;
                                    cap = self.max_document;
                                    document_permit = document_permit_now().await;
                                    continue;
                                }
                                binary = true;
                                body.clear();
                                break;
                            }
                        }
                        Ok(None) => {
                            if !document
                                && body.len() < SNIFF
                                && looks_binary(&body)
                                && !(reads_documents
                                    && self.is_document(&body, &current, &content_type))
                            {
                                binary = true;
                                body.clear();
                            }
                            break;
                        }
                        Err(e) => {
                            body_error = Some(classify(e).message);
                            break;
                        }
                    }
                }
            }
            return Ok(Fetched {
                final_url: current,
                status,
                content_type,
                size: body.len(),
                body,
                truncated,
                body_error,
                redirected_out: false,
                binary,
                retry_after,
                dead_end_location,
                elapsed: started.elapsed(),
                document_permit,
            });
        }
    }
}

/// A Location header as browsers read it: raw bytes beyond ASCII (UTF-8
/// from most servers, GBK from some) are percent-encoded as they are, so
/// the server gets back the very bytes it sent; control bytes likewise.
pub fn location_text(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for &b in raw {
        if b.is_ascii_graphic() || b == b' ' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A certificate error in words an operator can act on; `note` says what
/// the verifier saw when the issuer was unknown.
pub fn explain_tls(message: &str, note: Option<&super::tls::ChainNote>) -> String {
    use super::tls::ChainNote;
    let missing;
    let reason = if message.contains("UnknownIssuer") {
        match note {
            Some(ChainNote::MissingIntermediate { ca_issuers }) => {
                missing = format!(
                    "incomplete chain: the server does not send its intermediate certificate. \
                     Browsers fetch it themselves (from {ca_issuers}), so the site looks fine in a \
                     browser, but other clients fail; install the full chain on the server (or \
                     trust the intermediate with ca_file)"
                );
                missing.as_str()
            }
            Some(ChainNote::SelfSigned) => "the certificate is self-signed",
            _ => "issued by a CA this machine does not trust (add it with ca_file if it is yours)",
        }
    } else if message.contains("Expired") {
        "the certificate has expired"
    } else if message.contains("NotValidYet") {
        "the certificate is not valid yet (or the server's clock is wrong)"
    } else if message.contains("NotValidForName") {
        "the certificate is for another host name"
    } else if message.contains("Revoked") {
        "the certificate has been revoked"
    } else if message.contains("SelfSigned") {
        "the certificate is self-signed"
    } else {
        "the certificate could not be verified"
    };
    format!("certificate problem: {reason} ({message})")
}

/// Name the cause of a reqwest error from its whole source chain.
pub fn classify(e: reqwest::Error) -> FetchError {
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if !chain.iter().any(|c: &String| c.contains(&text)) {
            chain.push(text);
        }
        source = s.source();
    }
    let all = chain.join(": ");
    let lower = all.to_ascii_lowercase();
    let kind = if all.contains(BLOCKED_MARK) {
        ErrorKind::Blocked
    } else if lower.contains("certificate")
        || lower.contains("invalidcertificate")
        || lower.contains("tls handshake")
        || lower.contains("unknownissuer")
    {
        ErrorKind::Tls
    } else if e.is_timeout() || lower.contains("timed out") {
        ErrorKind::Timeout
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
        || lower.contains("no address")
    {
        ErrorKind::Dns
    } else if lower.contains("connection refused") {
        ErrorKind::Refused
    } else if e.is_body() || e.is_decode() {
        ErrorKind::Body
    } else {
        ErrorKind::Other
    };
    // The innermost cause says what happened ("Connection refused (os
    // error 111)"); the outer links only wrap it.
    FetchError {
        kind,
        message: chain.last().cloned().unwrap_or(all),
        connect: e.is_connect(),
    }
}
