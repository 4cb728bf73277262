//! What the pages and the API read: each site as its latest scan left it
//! (a scan of one site, asked from the web, does not hide the others),
//! its findings with their workflow state, a finding's history.

use crate::accounts::User;
use crate::crawl::records::SiteSummary;
use crate::error::Error;
use crate::findings::Finding;
use crate::store::Store;
use crate::workflow::State;
use rusqlite::params;
use std::collections::HashMap;

/// A site as its latest finished crawl left it.
#[derive(Clone, Debug)]
pub struct SiteNow {
    pub summary: SiteSummary,
    pub scan: String,
    pub started: String,
}

/// Every site's latest crawl that ended, the sites `user` may see, by
/// operator then site.
pub fn sites_now(store: &Store, user: &User) -> Result<Vec<SiteNow>, Error> {
    let mut st = store
        .conn()
        .prepare(
            "SELECT t.site, t.scan, t.summary, c.started FROM sites t JOIN scans c ON c.id = t.scan
             ORDER BY c.started, c.id",
        )
        .map_err(|e| store.failed(e))?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(|e| store.failed(e))?;
    let mut latest: HashMap<String, SiteNow> = HashMap::new();
    for row in rows {
        let (site, scan, summary, started) = row.map_err(|e| store.failed(e))?;
        let Ok(summary) = serde_json::from_str::<SiteSummary>(&summary) else {
            continue;
        };
        latest.insert(
            site,
            SiteNow {
                summary,
                scan,
                started,
            },
        );
    }
    let mut out: Vec<SiteNow> = latest
        .into_values()
        .filter(|s| user.sees(&s.summary.operator))
        .collect();
    out.sort_by(|a, b| {
        (&a.summary.operator, &a.summary.site).cmp(&(&b.summary.operator, &b.summary.site))
    });
    Ok(out)
}

/// A finding with its workflow state.
#[derive(Clone, Debug)]
pub struct Item {
    pub finding: Finding,
    pub state: State,
}

/// The findings of each site's latest crawl (of `scan` when given), for
/// the sites `user` may see.
pub fn findings_now(
    store: &Store,
    user: &User,
    sites: &[SiteNow],
    scan: Option<&str>,
) -> Result<Vec<Item>, Error> {
    let states = crate::workflow::states(store)?;
    let mut out = Vec::new();
    let mut push = |f: Finding| {
        if user.sees(&f.operator) {
            let state = states.get(&f.fingerprint).copied().unwrap_or(State::Open);
            out.push(Item { finding: f, state });
        }
    };
    match scan {
        Some(id) => {
            for f in store.findings(id)? {
                if sites.iter().any(|s| s.summary.site == f.site) {
                    push(f);
                }
            }
        }
        None => {
            for s in sites {
                store.each_finding_of_site(&s.scan, &s.summary.site, |f| {
                    push(f);
                    Ok(())
                })?;
            }
        }
    }
    Ok(out)
}

/// A fingerprint's findings across scans, oldest first: (scan, started, finding).
pub fn history(store: &Store, fingerprint: &str) -> Result<Vec<(String, String, Finding)>, Error> {
    let mut st = store
        .conn()
        .prepare(
            "SELECT f.scan, s.started, f.finding FROM findings f JOIN scans s ON s.id = f.scan
             WHERE f.fingerprint = ?1 ORDER BY s.started, s.id",
        )
        .map_err(|e| store.failed(e))?;
    let rows = st
        .query_map(params![fingerprint], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(|e| store.failed(e))?;
    let mut out = Vec::new();
    for row in rows {
        let (scan, started, json) = row.map_err(|e| store.failed(e))?;
        if let Ok(f) = serde_json::from_str(&json) {
            out.push((scan, started, f));
        }
    }
    Ok(out)
}

/// Scans whose crawl of a site ended, oldest first: (scan, started).
pub fn scans_of_site(store: &Store, site: &str) -> Result<Vec<(String, String)>, Error> {
    let mut st = store
        .conn()
        .prepare(
            "SELECT c.id, c.started FROM sites t JOIN scans c ON c.id = t.scan WHERE t.site = ?1
             ORDER BY c.started, c.id",
        )
        .map_err(|e| store.failed(e))?;
    let rows = st
        .query_map(params![site], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|e| store.failed(e))?;
    rows.collect::<Result<_, _>>().map_err(|e| store.failed(e))
}

/// Filters of the findings list (empty: any).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub operator: String,
    pub site: String,
    pub severity: String,
    pub category: String,
    /// `new`, `persisting` (against the previous scan) or a workflow state.
    pub status: String,
}

impl Filter {
    pub fn from_query(q: &HashMap<String, String>) -> Filter {
        let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        Filter {
            operator: get("operator"),
            site: get("site"),
            severity: get("severity"),
            category: get("category"),
            status: get("status"),
        }
    }

    pub fn keeps(&self, item: &Item) -> bool {
        let f = &item.finding;
        (self.operator.is_empty() || f.operator == self.operator)
            && (self.site.is_empty() || f.site == self.site)
            && (self.severity.is_empty() || f.severity.name() == self.severity)
            && (self.category.is_empty() || f.category == self.category)
            && (self.status.is_empty()
                || f.status.name() == self.status
                || item.state.name() == self.status
                || (self.status == "open-all" && item.state.is_open()))
    }

    /// As a query string (escaped for a URL; the caller escapes it for HTML).
    pub fn query(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("operator", &self.operator),
            ("site", &self.site),
            ("severity", &self.severity),
            ("category", &self.category),
            ("status", &self.status),
        ] {
            if !v.is_empty() {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }
}

/// Is `s` a fingerprint (16 lower-case hex digits)?
pub fn is_fingerprint(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
