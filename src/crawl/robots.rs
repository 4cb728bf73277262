//! robots.txt per RFC 9309: fetched once per host, size-capped; a 4xx
//! answer means everything is allowed, a 5xx or an unreachable robots.txt
//! means nothing is (the site cannot be inspected politely).

use super::fetch::{FetchError, Fetcher};
use texting_robots::Robot;
use url::Url;

/// robots.txt bodies beyond this are cut (RFC 9309 asks for at least 500 KiB).
const MAX_ROBOTS: usize = 512 * 1024;

pub enum Robots {
    /// No rules (missing, 4xx, or `respect_robots = false`).
    AllowAll,
    Rules(Box<Robot>),
    /// 5xx: disallow all, with the cause.
    DisallowAll(String),
    /// No answer at all (timeout, refused, DNS, blocked target): disallow
    /// all too, but the crawl first asks the start URL, because a host that
    /// answers nothing is unreachable, not a host that forbids crawling.
    Unreachable(FetchError),
}

impl Robots {
    pub fn allowed(&self, url: &Url) -> bool {
        match self {
            Robots::AllowAll => true,
            Robots::Rules(r) => r.allowed(url.as_str()),
            Robots::DisallowAll(_) | Robots::Unreachable(_) => false,
        }
    }

    pub fn sitemaps(&self) -> Vec<String> {
        match self {
            Robots::Rules(r) => r.sitemaps.clone(),
            _ => Vec::new(),
        }
    }

    /// Crawl-delay for our agent, in seconds.
    pub fn delay(&self) -> Option<f32> {
        match self {
            Robots::Rules(r) => r.delay,
            _ => None,
        }
    }

    pub fn present(&self) -> bool {
        matches!(self, Robots::Rules(_))
    }
}

/// The product token of a User-Agent (`sitesweep/0.1` → `sitesweep`).
pub fn agent_token(user_agent: &str) -> &str {
    user_agent.split(['/', ' ']).next().unwrap_or(user_agent)
}

/// Parse a robots.txt body for our agent (at most 512 KiB of it are read).
pub fn parse(user_agent: &str, body: &[u8]) -> Robots {
    let body = &body[..body.len().min(MAX_ROBOTS)];
    match Robot::new(agent_token(user_agent), body) {
        Ok(r) => Robots::Rules(Box::new(r)),
        Err(_) => Robots::AllowAll,
    }
}

/// Fetch and parse the robots.txt of `origin`'s host: rules, allow all
/// (missing, 4xx), disallow all (5xx), or no answer at all.
pub async fn fetch(fetcher: &Fetcher, origin: &Url, user_agent: &str) -> Robots {
    let Ok(robots_url) = origin.join("/robots.txt") else {
        return Robots::AllowAll;
    };
    let same_host = |u: &Url| u.host_str() == robots_url.host_str();
    match fetcher.fetch(&robots_url, &same_host).await {
        Ok(f) if (200..300).contains(&f.status) => parse(user_agent, &f.body),
        Ok(f) if f.status >= 500 => {
            Robots::DisallowAll(format!("robots.txt answered HTTP {}", f.status))
        }
        Ok(_) => Robots::AllowAll,
        Err(e) => Robots::Unreachable(e),
    }
}
