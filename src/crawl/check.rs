//! `sites check`: one look at a site's start URL, as the crawl would take
//! it (https then http for a bare host, redirects followed), with what
//! decides whether the site can be crawled: the status, where it ends up,
//! the charset, robots.txt.

use super::fetch::{FetchError, Fetcher};
use super::robots::{self, Robots};
use crate::analyse::{Body, Kind};
use crate::decode;
use crate::register::Site;
use std::time::Duration;
use url::Url;

/// How a start URL answered.
#[derive(Clone, Debug)]
pub struct StartAnswer {
    pub status: u16,
    pub final_url: Url,
    /// The charset an HTML page decodes with, else its content type.
    pub content: String,
    /// robots.txt of the final URL's origin, in words.
    pub robots: String,
    pub elapsed: Duration,
    pub redirected: bool,
}

/// Fetch a site's start URL once; the client could not be built, or the
/// request failed, or it answered.
pub async fn check_start(site: &Site) -> Result<StartAnswer, FetchError> {
    let fetcher = Fetcher::new(&site.settings).map_err(|message| FetchError {
        kind: super::fetch::ErrorKind::Other,
        message,
        connect: false,
    })?;
    let mut url = site.url.clone();
    let mut result = fetcher.fetch(&url, &|_: &Url| true).await;
    if site.try_http {
        (url, result) = fetcher.http_fallback(url, result).await;
    }
    let f = result?;
    let body = Body {
        url: &f.final_url,
        bytes: &f.body,
        content_type: f.content_type.as_deref(),
        truncated: f.truncated,
        max_document: 0,
    };
    let content = if Kind::of(&body) == Kind::Html {
        decode::decode(&f.body, f.content_type.as_deref(), None, f.truncated)
            .charset
            .to_string()
    } else {
        f.content_type.clone().unwrap_or_else(|| "-".into())
    };
    let robots = match robots::fetch(&fetcher, &f.final_url, &site.settings.user_agent).await {
        r if r.present() => "present".to_string(),
        Robots::DisallowAll(cause) => format!("blocks all ({cause})"),
        Robots::Unreachable(e) => format!("no answer ({e}): blocks all"),
        _ => "none".to_string(),
    };
    Ok(StartAnswer {
        status: f.status,
        redirected: f.final_url != url,
        final_url: f.final_url,
        content,
        robots,
        elapsed: f.elapsed,
    })
}
