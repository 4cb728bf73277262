//! `serve`'s web interface: server-rendered pages (no scripts), a JSON
//! API, logins and the follow-up workflow, on axum.
//!
//! Who sees what: an admin everything, an operator account the sites whose
//! `operator` is its name — on every page, download and API call. Without
//! any account, and only when listening on loopback, every request is an
//! implicit local admin (the `Host` must be a loopback name too, so a
//! rebinding DNS name cannot reach it); once an account exists every page
//! needs a login.
//!
//! Security: sessions are random tokens in `HttpOnly; SameSite=Strict`
//! cookies, stored hashed; every POST carries the session's CSRF token
//! (refused without); logins are rate-limited per login and per address;
//! every answer carries a Content-Security-Policy without scripts,
//! `frame-ancestors 'none'`, `nosniff` and `no-referrer`.

pub mod data;
pub mod pages;

use crate::accounts::{self, RateLimiter, Role, User};
use crate::error::Error;
use crate::report::Lang;
use crate::service::{Job, Service};
use crate::store::Store;
use crate::workflow::{self, Event};
use axum::extract::{ConnectInfo, Form, Path as UrlPath, Query, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use data::{Filter, Item};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

pub const SESSION_COOKIE: &str = "sitesweep_session";
pub const LANG_COOKIE: &str = "sitesweep_lang";
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The web interface's state.
pub struct Web {
    pub db: PathBuf,
    store: Mutex<Store>,
    /// Where re-scans and re-checks are queued (none: refused, said so).
    service: Option<Arc<Service>>,
    pub limiter: RateLimiter,
    /// Listening on loopback: without accounts, an implicit local admin.
    loopback: bool,
    /// The CSRF token of the implicit local admin's forms.
    local_csrf: String,
}

impl Web {
    pub fn new(db: PathBuf, service: Option<Arc<Service>>, loopback: bool) -> Result<Web, Error> {
        let store = Store::open(&db)?;
        Ok(Web {
            db,
            store: Mutex::new(store),
            service,
            limiter: RateLimiter::default(),
            loopback,
            local_csrf: accounts::random_token(),
        })
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Who is asking, and the CSRF token their forms carry (empty for HTTP
/// Basic, which posts no forms).
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: User,
    pub csrf: String,
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn lang_of(headers: &HeaderMap, q: &HashMap<String, String>) -> Lang {
    match q
        .get("lang")
        .map(String::as_str)
        .or_else(|| cookie(headers, LANG_COOKIE))
    {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// Is the `Host` a loopback name (for the implicit admin)?
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return true;
    };
    let name = match host.rsplit_once(':') {
        Some((n, port)) if port.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => host,
    };
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = v.strip_prefix("Basic ")?;
    let decoded = decode_base64(encoded.trim())?;
    let text = String::from_utf8(decoded).ok()?;
    let (l, p) = text.split_once(':')?;
    Some((l.to_string(), p.to_string()))
}

/// Standard base64 (RFC 4648), padding optional.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

enum Auth {
    Ok(Viewer),
    /// No (valid) session: the login page, or 401 for the API.
    Anonymous,
    /// Basic credentials refused, or rate-limited.
    Refused(&'static str),
}

impl Web {
    /// Who is asking: a session cookie, HTTP Basic (`basic`: the API), or
    /// the implicit local admin.
    async fn viewer(self: &Arc<Self>, headers: &HeaderMap, addr: SocketAddr, basic: bool) -> Auth {
        let accounts = accounts::count_users(&self.store()).unwrap_or(0);
        if accounts == 0 {
            if self.loopback && loopback_host(headers) {
                return Auth::Ok(Viewer {
                    user: User {
                        login: "local".into(),
                        role: Role::Admin,
                    },
                    csrf: self.local_csrf.clone(),
                });
            }
            return Auth::Refused("no accounts: add one with `sitesweep user add`");
        }
        if let Some(token) = cookie(headers, SESSION_COOKIE) {
            if let Ok(Some((user, csrf))) = accounts::session_user(&self.store(), token) {
                return Auth::Ok(Viewer { user, csrf });
            }
        }
        if basic {
            if let Some((login, password)) = basic_credentials(headers) {
                return match self.check_password(&login, &password, addr).await {
                    Ok(user) => Auth::Ok(Viewer {
                        user,
                        csrf: String::new(),
                    }),
                    Err(why) => Auth::Refused(why),
                };
            }
        }
        Auth::Anonymous
    }

    /// A login attempt, rate-limited per login and per address.
    async fn check_password(
        self: &Arc<Self>,
        login: &str,
        password: &str,
        addr: SocketAddr,
    ) -> Result<User, &'static str> {
        let ip = addr.ip().to_string();
        if self.limiter.locked(login, &ip, Instant::now()) {
            return Err("too many failed logins: try again in 15 minutes");
        }
        let found = accounts::find_user(&self.store(), login).ok().flatten();
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || match found {
            Some((user, hash)) => accounts::verify_password(&password, &hash).then_some(user),
            None => {
                // As slow as a real check: no telling which logins exist.
                let _ = accounts::hash_password(&password);
                None
            }
        })
        .await
        .ok()
        .flatten();
        match ok {
            Some(user) => {
                self.limiter.succeeded(login);
                Ok(user)
            }
            None => {
                self.limiter.failed(login, &ip, Instant::now());
                Err("wrong login or password")
            }
        }
    }
}

/// The security headers on every answer.
async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    resp
}

/// Every route.
pub fn router(web: Arc<Web>) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/findings", get(findings))
        .route("/findings/{fp}", get(finding))
        .route("/findings/{fp}/{action}", post(finding_action))
        .route("/sites/{id}", get(site))
        .route("/sites/{id}/rescan", post(rescan))
        .route("/reports", get(reports))
        .route("/reports/download", get(download))
        .route("/ignore.toml", get(ignore_export))
        .route("/api/findings", get(api_findings))
        .route("/api/sites", get(api_sites))
        .route("/health", get(health))
        .route("/static/style.css", get(style))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(web)
}

/// Serve `router` on a bound listener until `stop` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    web: Arc<Web>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(web).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await
}

type Q = Query<HashMap<String, String>>;
type W = AxState<Arc<Web>>;
type Addr = ConnectInfo<SocketAddr>;

fn html(status: StatusCode, body: String, lang_set: Option<Lang>) -> Response {
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    if let Some(l) = lang_set {
        let v = format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000",
            if l == Lang::En { "en" } else { "zh" }
        );
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

fn redirect(to: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, to.to_string())],
        String::new(),
    )
        .into_response()
}

fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        value.to_string(),
    )
        .into_response()
}

fn failed_page(lang: Lang, e: Error) -> Response {
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        pages::message(
            lang,
            None,
            pages::t(lang, "出错了", "Something failed"),
            &e.to_string(),
        ),
        None,
    )
}

/// A page for a viewer, or the login page / a refusal.
macro_rules! viewer_or_login {
    ($web:expr, $headers:expr, $addr:expr, $lang:expr) => {
        match $web.viewer(&$headers, $addr, false).await {
            Auth::Ok(v) => v,
            Auth::Anonymous => return redirect("/login"),
            Auth::Refused(why) => {
                return html(
                    StatusCode::FORBIDDEN,
                    pages::message($lang, None, pages::t($lang, "无权访问", "Forbidden"), why),
                    None,
                )
            }
        }
    };
}

fn lang_set(q: &HashMap<String, String>) -> Option<Lang> {
    q.get("lang")
        .map(|l| if l == "en" { Lang::En } else { Lang::Zh })
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        pages::STYLE,
    )
        .into_response()
}

async fn not_found(headers: HeaderMap) -> Response {
    let lang = lang_of(&headers, &HashMap::new());
    html(
        StatusCode::NOT_FOUND,
        pages::message(lang, None, pages::t(lang, "没有这个页面", "Not found"), ""),
        None,
    )
}

async fn login_page(AxState(web): W, headers: HeaderMap, Query(q): Q) -> Response {
    let lang = lang_of(&headers, &q);
    let _ = web;
    html(StatusCode::OK, pages::login(lang, None), lang_set(&q))
}

#[derive(serde::Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

async fn login(
    AxState(web): W,
    ConnectInfo(addr): Addr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&headers, &HashMap::new());
    match web.check_password(&form.login, &form.password, addr).await {
        Ok(user) => match accounts::create_session(&web.store(), &user.login) {
            Ok(s) => {
                let mut resp = redirect("/");
                let v = format!(
                    "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
                    s.token,
                    accounts::SESSION_TTL.as_secs()
                );
                if let Ok(v) = HeaderValue::from_str(&v) {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
                resp
            }
            Err(e) => failed_page(lang, e),
        },
        Err(why) => html(
            if why.starts_with("too many") {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            },
            pages::login(lang, Some(why)),
            None,
        ),
    }
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
}

fn csrf_ok(v: &Viewer, form: &CsrfForm) -> bool {
    !v.csrf.is_empty() && accounts::same_secret(&v.csrf, &form.csrf)
}

fn csrf_refused(lang: Lang) -> Response {
    html(
        StatusCode::FORBIDDEN,
        pages::message(
            lang,
            None,
            pages::t(lang, "请求被拒绝", "Refused"),
            pages::t(
                lang,
                "表单已过期或不是从本站提交的（缺少 CSRF 令牌）。请返回重试。",
                "The form is stale or was not sent from this site (no valid CSRF token). Go back and try again.",
            ),
        ),
        None,
    )
}

async fn logout(
    AxState(web): W,
    ConnectInfo(addr): Addr,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let lang = lang_of(&headers, &HashMap::new());
    let v = viewer_or_login!(web, headers, addr, lang);
    if !csrf_ok(&v, &form) {
        return csrf_refused(lang);
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let _ = accounts::end_session(&web.store(), token);
    }
    let mut resp = redirect("/login");
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "sitesweep_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    resp
}

/// Sites and findings the viewer may see.
fn visible(
    web: &Web,
    user: &User,
    scan: Option<&str>,
) -> Result<(Vec<data::SiteNow>, Vec<Item>), Error> {
    let store = web.store();
    let sites = data::sites_now(&store, user)?;
    let items = data::findings_now(&store, user, &sites, scan)?;
    Ok((sites, items))
}

async fn dashboard(
    AxState(web): W,
    ConnectInfo(addr): Addr,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let lang = lang_of(&headers, &q);
    let v = viewer_or_login!(web, headers, addr, lang);
    let (sites, items) = match visible(&web, &v.user, None) {
        Ok(x) => x,
        Err(e) => return failed_page(lang, e),
    };
    let availability = availability_of(&web, &sites);
    let trends = trends_of(&web, &sites);
    html(
        StatusCode::OK,
        pages::dashboard(
            lang,
            &v.user,
            &v.csrf,
            &sites,
            &items,
            &availability,
            &trends,
        ),
        lang_set(&q),
    )
}

/// Each site's availability over the last 7 days, as the service judges it.
/// Scans of a site shown in the dashboard's trend.
const TREND_SCANS: usize = 8;

/// Per site, the findings of its last scans, oldest first.
fn trends_of(web: &Web, sites: &[data::SiteNow]) -> Vec<(String, Vec<usize>)> {
    let store = web.store();
    sites
        .iter()
        .map(|s| {
            let counts = store
                .trend(&s.summary.site, TREND_SCANS)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, n)| n)
                .collect();
            (s.summary.site.clone(), counts)
        })
        .collect()
}

fn availability_of(web: &Web, sites: &[data::SiteNow]) -> Vec<(String, String)> {
    let now = std::time::SystemTime::now();
    let store = web.store();
    sites
        .iter()
        .map(|s| {
            let probes = store
                .probes_since(&s.summary.site, crate::availability::window_start(now))
                .unwrap_or_default();
            let v = crate::availability::judge(&probes, now);
            let text = if v.probes == 0 {
                "-".to_string()
            } else {
                format!(
                    "{:.1}% ({}/{})",
                    100.0 - v.percent(),
                    v.probes - v.failed,
                    v.probes
                )
            };
            (s.summary.site.clone(), text)
        })
        .collect()
}

async fn findings(
    AxState(web): W,
    ConnectInfo(addr): Addr,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let lang = lang_of(&headers, &q);
    let v = viewer_or_login!(web, headers, addr, lang);
    let (sites, items) = match visible(&web, &v.user, None) {
        Ok(x) => x,
        Err(e) => return failed_page(lang, e),
    };
    let filter = Filter::from_query(&q);
    let page = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    html(
        StatusCode::OK,
        pages::findings(lang, &v.user, &v.csrf, &sites, &items, &filter, page),
        lang_set(&q),
    )
}

/// A finding the viewer may see (404 otherwise: no telling it exists).
fn visible_finding(web: &Web, user: &User, fp: &str) -> Result<Option<Item>, Error> {
    if !data::is_fingerprint(fp) {
        return Ok(None);
    }
    let store = web.store();
    let Some(f) = workflow::latest_finding(&store, fp)? else {
        return Ok(None);
    };
    if !user.sees(&f.operator) {
        return Ok(None);
    }
    let state = workflow::state_of(&store, fp)?;
    Ok(Some(Item { finding: f, state }))
}

fn finding_page(web: &Web, lang: Lang, v: &Viewer, item: &Item, message: Option<&str>) -> Response {
    let store = web.store();
    let fp = &item.finding.fingerprint;
    let history = data::history(&store, fp).unwrap_or_default();
    let log = workflow::log_of(&store, fp).unwrap_or_default();
    let note = workflow::standing(&store, fp)
        .ok()
        .flatten()
        .map(|s| s.note)
        .unwrap_or_default();
    html(
        StatusCode::OK,
        pages::finding(lang, &v.user, &v.csrf, item, &history, &log, &note, message),
        None,
    )
}

async fn finding(
    AxState(web): W,
    ConnectInfo(addr): Addr,
    headers: HeaderMap,
    UrlPath(fp): UrlPath<String>,
    Query(q): Q,
) -> Response {
    let lang = lang_of(&headers, &q);
    let v = viewer_or_login!(web, headers, addr, lang);
    match visible_finding(&web, &v.user, &fp) {
        Ok(Some(item)) => {
            let mut r = finding_page(
                &web,
                lang,
                &v,
                &item,
                q.get("m").map(|m| message_text(lang, m)),
            );
            if let Some(l) = lang_set(&q) {
                let _ = l;
            }
            *r.status_mut() = StatusCode::OK;
            r
        }
        Ok(None) => not_found(headers).await,
        Err(e) => failed_page(lang, e),
    }
}

fn message_text(lang: Lang, key: &str) -> &'static str {
    match key {
        "fixed" => pages::t(
            lang,
            "已标记为已整改，已排队复查该页面。",
            "Marked fixed; a re-check of the page is queued.",
        ),
        "false-positive" => pages::t(
            lang,
            "已标记为误报，报告中不再列出。",
            "Marked as a false positive; reports leave it out.",
        ),
        "reopen" => pages::t(lang, "已重新打开。", "Reopened."),
        "rescan" => pages::t(
            lang,
            "已排队，稍后刷新本页查看结果。",
            "Queued; reload this page later for the result.",
        ),
        _ => "",
    }
}

async fn finding_action(
    AxState(web): W,
    ConnectInfo(addr): Addr,
    headers: HeaderMap,
    UrlPath((fp, action)): UrlPath<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let lang = lang_of(&headers, &HashMap::new());
    let v = viewer_or_login!(web, headers, addr, lang);
    if !csrf_ok(&v, &form) {
        return csrf_refused(lang);
    }
    let item = match visible_finding(&web, &v.user, &fp) {
        Ok(Some(i)) => i,
        Ok(None) => return not_found(headers).await,
        Err(e) => return failed_page(lang, e),
    };
    let event = match action.as_str() {
        "fixed" => Event::MarkFixed { note: form.note },
        "false-positive" => Event::MarkFalsePositive {
            reason: form.reason,
        },
        "reopen" => Event::Reopen { note: form.note },
        _ => return not_found(headers).await,
    };
    let applied = workflow::apply(
        &web.store(),
        &item.finding,
        &event,
        &v.user.login,
        workflow::actor_of(&v.user),
    );
    match applied {
        Ok(Ok(_)) => {
            if action == "fixed" {
                if let Some(s) = &web.service {
                    s.queue_job(Job::Recheck(fp.clone()));
                }
            }
            redirect(&format!("/findings/{fp}?m={action}"))
        }
        Ok(Err(refused)) => {
            let mut r = finding_page(&web, lang, &v, &item, Some(&refused.0));
            *r.status_mut() = if refused.0.contains("only an admin") {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::CONFLICT
            };
            r
        }
        Err(e) => failed_page(lang, e),
    }
}

async fn site(
    AxState(web): W,
    ConnectInfo(addr): Addr,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Query(q): Q,
) -> Response {
    let lang = lang_of(&headers, &q);
    let v = viewer_or_login!(web, headers, addr, lang);
    let (sites, items) = match visible(&web, &v.user, None) {
        Ok(x) => x,
        Err(e) => return failed_page(lang, e),
    };
    match sites.iter().find(|s| s.summary.site == id) {
        Some(s) => html(
            StatusCode::OK,
            pages::site(
                lang,
                &v.user,
                &v.csrf,
                s,
                &items,
                q.get("m").map(|m| message_text(lang, m)),
            ),
            lang_set(&q),
        ),
        None => not_found(headers).await,
    }
}

async fn rescan(
    AxState(web): W,
    ConnectInfo(addr): Addr,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let lang = lang_of(&headers, &HashMap::new());
    let v = viewer_or_login!(web, headers, addr, lang);
    if !csrf_ok(&v, &form) {
        return csrf_refused(lang);
    }
    let sees = data::sites_now(&web.store(), &v.user)
        .map(|s| s.iter().any(|s| s.summary.site == id))
        .unwrap_or(false);
    if !sees {
        return not_found(headers).await;
    }
    match &web.service {
        Some(s) => {
            s.queue_job(Job::ScanSite(id.clone()));
            redirect(&format!(
                "/sites/{}?m=rescan",
                crate::report::href_segment(&id)
            ))
        }
        None => html(
            StatusCode::SERVICE_UNAVAILABLE,
            pages::message(
                lang,
                Some((&v.user, &v.csrf)),
                "-",
                pages::t(
                    lang,
                    "服务未运行，无法排队。",
                    "The service is not running: nothing can be queued.",
                ),
            ),
            None,
        ),
    }
}

fn visible_operators(web: &Web, user: &User) -> Vec<String> {
    let mut ops: Vec<String> = data::sites_now(&web.store(), user)
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.summary.operator)
        .collect();
    ops.sort();
    ops.dedup();
    ops
}

async fn reports(
    AxState(web): W,
    ConnectInfo(addr): Addr,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let lang = lang_of(&headers, &q);
    let v = viewer_or_login!(web, headers, addr, lang);
    let ops = visible_operators(&web, &v.user);
    html(
        StatusCode::OK,
        pages::reports(lang, &v.user, &v.csrf, &ops),
        lang_set(&q),
    )
}

/// One report file of one operator the viewer may see, written as
/// `sitesweep report --by operator` writes it (false positives left out).
async fn download(
    AxState(web): W,
    ConnectInfo(addr): Addr,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let lang = lang_of(&headers, &q);
    let v = viewer_or_login!(web, headers, addr, lang);
    let operator = q.get("operator").cloned().unwrap_or_default();
    let format = q.get("format").map(String::as_str).unwrap_or("html");
    let Some(fmt) = crate::report::Format::parse(format) else {
        return not_found(headers).await;
    };
    if !v.user.sees(&operator) || !visible_operators(&web, &v.user).contains(&operator) {
        return not_found(headers).await;
    }
    // The latest scan that covered one of the operator's sites (a
    // re-scan of one site is a scan of its own).
    let scan = data::sites_now(&web.store(), &v.user)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.summary.operator == operator)
        .max_by(|a, b| (&a.started, &a.scan).cmp(&(&b.started, &b.scan)))
        .map(|s| s.scan);
    let db = web.db.clone();
    let op = operator.clone();
    let written = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, Error> {
        let dir = tempdir()?;
        let out = dir.join("out");
        let result = crate::report::from_database(
            &db,
            &crate::report::Options {
                scan,
                by: crate::report::By::Operator,
                formats: vec![fmt],
                out: out.clone(),
                lang,
                ignore: None,
                operators: Some(vec![op.clone()]),
                extra_ignore: Vec::new(),
            },
        );
        let read = result.and_then(|_| {
            // One operator, one folder beside index.html.
            let folder = std::fs::read_dir(&out)
                .map_err(|e| Error::Failed(format!("{}: {e}", out.display())))?
                .filter_map(Result::ok)
                .find(|e| e.path().is_dir())
                .map(|e| e.path())
                .ok_or_else(|| Error::Failed(format!("no report of {op} was written")))?;
            let file = folder.join(file_name(fmt));
            std::fs::read(&file).map_err(|e| Error::Failed(format!("{}: {e}", file.display())))
        });
        let _ = std::fs::remove_dir_all(&dir);
        read
    })
    .await;
    match written {
        Ok(Ok(bytes)) => {
            let name = format!(
                "{}-{}",
                crate::report::href_segment(&operator),
                file_name(fmt)
            );
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, content_type(fmt).to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename*=UTF-8''{name}"),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(Err(e)) => failed_page(lang, e),
        Err(e) => failed_page(lang, Error::Failed(e.to_string())),
    }
}

fn file_name(f: crate::report::Format) -> &'static str {
    use crate::report::Format::*;
    match f {
        Html => "report.html",
        Csv => "findings.csv",
        Json => "findings.json",
        Md => "report.md",
    }
}

fn content_type(f: crate::report::Format) -> &'static str {
    use crate::report::Format::*;
    match f {
        Html => "text/html; charset=utf-8",
        Csv => "text/csv; charset=utf-8",
        Json => "application/json; charset=utf-8",
        Md => "text/markdown; charset=utf-8",
    }
}

/// A fresh private folder under the system's temporary folder.
fn tempdir() -> Result<PathBuf, Error> {
    let dir =
        std::env::temp_dir().join(format!("sitesweep-web-{}", &accounts::random_token()[..16]));
    std::fs::create_dir(&dir).map_err(|e| Error::Failed(format!("{}: {e}", dir.display())))?;
    Ok(dir)
}

async fn ignore_export(AxState(web): W, ConnectInfo(addr): Addr, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers, &HashMap::new());
    let v = viewer_or_login!(web, headers, addr, lang);
    if !v.user.is_admin() {
        return not_found(headers).await;
    }
    match workflow::export_ignore_toml(&web.store()) {
        Ok(text) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/toml; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"sitesweep.ignore.toml\"",
                ),
            ],
            text,
        )
            .into_response(),
        Err(e) => failed_page(lang, e),
    }
}

async fn api_viewer(
    web: &Arc<Web>,
    headers: &HeaderMap,
    addr: SocketAddr,
) -> Result<Viewer, Response> {
    match web.viewer(headers, addr, true).await {
        Auth::Ok(v) => Ok(v),
        Auth::Anonymous => {
            let mut r = json(
                StatusCode::UNAUTHORIZED,
                serde_json::json!({"error": "log in, or use HTTP Basic"}),
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"sitesweep\", charset=\"UTF-8\""),
            );
            Err(r)
        }
        Auth::Refused(why) => Err(json(
            if why.starts_with("too many") {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            },
            serde_json::json!({ "error": why }),
        )),
    }
}

/// `GET /api/findings?scan=latest&site=…&severity=…&operator=…&category=…&status=…`:
/// the finding JSON of each visible site's latest crawl (or of one scan),
/// with `workflow` (the follow-up state) added.
async fn api_findings(
    AxState(web): W,
    ConnectInfo(addr): Addr,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let v = match api_viewer(&web, &headers, addr).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let scan = q
        .get("scan")
        .map(String::as_str)
        .filter(|s| *s != "latest" && !s.is_empty());
    let (_, items) = match visible(&web, &v.user, scan) {
        Ok(x) => x,
        Err(e) => {
            return json(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"error": e.to_string()}),
            )
        }
    };
    let filter = Filter::from_query(&q);
    let out: Vec<serde_json::Value> = items
        .iter()
        .filter(|i| filter.keeps(i))
        .map(|i| {
            let mut j = serde_json::to_value(&i.finding).unwrap_or_default();
            if let Some(o) = j.as_object_mut() {
                o.insert("workflow".into(), i.state.name().into());
            }
            j
        })
        .collect();
    json(StatusCode::OK, serde_json::Value::Array(out))
}

/// `GET /api/sites`: each visible site's latest crawl summary.
async fn api_sites(AxState(web): W, ConnectInfo(addr): Addr, headers: HeaderMap) -> Response {
    let v = match api_viewer(&web, &headers, addr).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let sites = match data::sites_now(&web.store(), &v.user) {
        Ok(s) => s,
        Err(e) => {
            return json(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"error": e.to_string()}),
            )
        }
    };
    let out: Vec<serde_json::Value> = sites
        .iter()
        .map(|s| {
            let mut j = serde_json::to_value(&s.summary).unwrap_or_default();
            if let Some(o) = j.as_object_mut() {
                o.insert("scan".into(), s.scan.clone().into());
                o.insert("scan_started".into(), s.started.clone().into());
            }
            j
        })
        .collect();
    json(StatusCode::OK, serde_json::Value::Array(out))
}

/// `GET /health`: open on loopback connections (monitoring on the same
/// machine); elsewhere, like the API, for a logged-in admin.
async fn health(AxState(web): W, ConnectInfo(addr): Addr, headers: HeaderMap) -> Response {
    if !addr.ip().is_loopback() {
        match api_viewer(&web, &headers, addr).await {
            Ok(v) if v.user.is_admin() => {}
            Ok(_) => {
                return json(
                    StatusCode::NOT_FOUND,
                    serde_json::json!({"error": "not found"}),
                )
            }
            Err(r) => return r,
        }
    }
    let value = match &web.service {
        Some(s) => {
            let s = s.clone();
            tokio::task::spawn_blocking(move || s.health())
                .await
                .unwrap_or_default()
        }
        None => serde_json::json!({"status": "ok", "service": "not running"}),
    };
    json(StatusCode::OK, value)
}
