//! What changed between two scans: findings new, persisting, resolved, or
//! unverified. A finding is only called resolved when the later scan
//! reached its page (or site) and judged it with the same rule; otherwise
//! nothing says it was fixed.

use crate::error::{Error, InputError};
use crate::findings::{Finding, SiteRule};
use crate::store::Store;
use serde::Serialize;
use std::collections::HashMap;
use url::Url;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    New,
    Persisting,
    Resolved,
    Unverified,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Persisting => "persisting",
            Change::Resolved => "resolved",
            Change::Unverified => "unverified",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Changed {
    #[serde(flatten)]
    pub finding: Finding,
    pub change: Change,
}

/// Compare two scans of the store: `to` (default the latest) with `from`
/// (default the one before it). Returns their ids and what changed.
pub fn between(
    store: &Store,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(String, String, Vec<Changed>), Error> {
    let scans = store.scans()?;
    let find = |id: &str| {
        scans.iter().position(|s| s.id == id).ok_or_else(|| {
            Error::from(InputError::plain(format!(
                "{}: no scan {id} in this database",
                store.path.display()
            )))
        })
    };
    let to_i = match to {
        Some(id) => find(id)?,
        None => scans
            .len()
            .checked_sub(1)
            .ok_or_else(|| InputError::plain("no scans yet"))?,
    };
    let from_i = match from {
        Some(id) => find(id)?,
        None => to_i
            .checked_sub(1)
            .ok_or_else(|| InputError::plain("a diff needs two scans; only one is stored"))?,
    };
    let (from_id, to_id) = (&scans[from_i].id, &scans[to_i].id);
    let changes = diff(store, from_id, to_id)?;
    Ok((from_id.clone(), to_id.clone(), changes))
}

/// Compare scan `from` with the later scan `to`.
pub fn diff(store: &Store, from: &str, to: &str) -> Result<Vec<Changed>, Error> {
    let before = store.findings(from)?;
    let after = store.findings(to)?;
    let after_by_fp: HashMap<&str, &Finding> =
        after.iter().map(|f| (f.fingerprint.as_str(), f)).collect();
    let before_fps: std::collections::HashSet<&str> =
        before.iter().map(|f| f.fingerprint.as_str()).collect();
    let reached = store.reached(to)?;
    let rules_before = store.rule_hashes(from)?;
    let rules_after = store.rule_hashes(to)?;
    let sites_after: HashMap<String, bool> = store
        .site_summaries(to)?
        .into_iter()
        .map(|s| (s.site, s.reachable))
        .collect();

    let mut out = Vec::new();
    for f in &before {
        if let Some(now) = after_by_fp.get(f.fingerprint.as_str()) {
            out.push(Changed {
                finding: (*now).clone(),
                change: Change::Persisting,
            });
            continue;
        }
        // Site-level rules are built in: they never change between scans.
        let site_rule = SiteRule::from_id(&f.rule);
        let rule_same = site_rule.is_some()
            || matches!((rules_before.get(&f.rule), rules_after.get(&f.rule)), (Some(a), Some(b)) if a == b);
        let site_read = sites_after.get(&f.site).copied().unwrap_or(false);
        let page_reached = match site_rule {
            // The site answered: an unreachable site or a failing start page is fixed.
            Some(r) if r.about_the_site() => site_read,
            // Judged by `serve` from a week of probes, not by a crawl: a
            // later scan without the finding (a plain `scan`, too few
            // probes) does not say the site became available.
            Some(SiteRule::Availability) => false,
            _ => Url::parse(&f.url)
                .map(|u| crate::urls::canonical(&u))
                .is_ok_and(|c| reached.get(&f.site).is_some_and(|set| set.contains(&c))),
        };
        let change = if rule_same && site_read && page_reached {
            Change::Resolved
        } else {
            Change::Unverified
        };
        out.push(Changed {
            finding: f.clone(),
            change,
        });
    }
    for f in &after {
        if !before_fps.contains(f.fingerprint.as_str()) {
            out.push(Changed {
                finding: f.clone(),
                change: Change::New,
            });
        }
    }
    out.sort_by(|a, b| {
        (
            a.change,
            std::cmp::Reverse(a.finding.severity),
            &a.finding.site,
            &a.finding.url,
        )
            .cmp(&(
                b.change,
                std::cmp::Reverse(b.finding.severity),
                &b.finding.site,
                &b.finding.url,
            ))
    });
    Ok(out)
}
