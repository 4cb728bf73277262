//! The follow-up workflow of a finding (by fingerprint, across scans):
//! an operator marks it 已整改 (fixed) with a note, which queues a
//! re-check of its page; the re-check closes it when the fingerprint is
//! gone and reopens it when it is still there. An admin marks it 误报
//! (false positive) with a reason, which acts as an ignore entry. Every
//! change is logged with who and when.
//!
//! ```text
//!   open ──mark fixed──▶ fixed ──re-check: gone──▶ closed
//!    ▲                    │                          │
//!    │                    └──re-check: still there──▶ reopened ──mark fixed──▶ fixed
//!    │                                               ▲
//!    └──────────── reopen (admin) ── false-positive ─┘ (any state but
//!                                   false-positive ──mark false positive (admin)──▶ false-positive)
//! ```

use crate::accounts::User;
use crate::error::Error;
use crate::findings::Finding;
use crate::store::Store;
use rusqlite::{params, OptionalExtension};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Found, nobody has answered yet.
    Open,
    /// An operator says it is fixed; a re-check is queued.
    Fixed,
    /// The re-check no longer finds it.
    Closed,
    /// Said fixed, but the re-check (or an admin) found it again.
    Reopened,
    /// An admin says it is not a problem: acts as an ignore entry.
    FalsePositive,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Open,
        State::Fixed,
        State::Closed,
        State::Reopened,
        State::FalsePositive,
    ];

    pub fn name(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Fixed => "fixed",
            State::Closed => "closed",
            State::Reopened => "reopened",
            State::FalsePositive => "false-positive",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.name() == text)
    }

    pub fn zh(self) -> &'static str {
        match self {
            State::Open => "待整改",
            State::Fixed => "已整改，待复查",
            State::Closed => "已关闭",
            State::Reopened => "复查仍存在",
            State::FalsePositive => "误报",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Fixed => "fixed, re-check queued",
            State::Closed => "closed",
            State::Reopened => "reopened",
            State::FalsePositive => "false positive",
        }
    }

    /// Still wants attention (counted as open on the dashboard).
    pub fn is_open(self) -> bool {
        matches!(self, State::Open | State::Reopened | State::Fixed)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// 已整改, with what was done.
    MarkFixed { note: String },
    /// The re-check of the page found the fingerprint again.
    RecheckFound,
    /// The re-check of the page no longer found it.
    RecheckGone,
    /// 误报, with why (admin only).
    MarkFalsePositive { reason: String },
    /// Back to open from false positive or closed (admin only).
    Reopen { note: String },
    /// A later scan found a closed finding again.
    ScanFound,
}

impl Event {
    pub fn action(&self) -> &'static str {
        match self {
            Event::MarkFixed { .. } => "mark-fixed",
            Event::RecheckFound => "re-check-found",
            Event::RecheckGone => "re-check-gone",
            Event::MarkFalsePositive { .. } => "mark-false-positive",
            Event::Reopen { .. } => "reopen",
            Event::ScanFound => "scan-found",
        }
    }

    pub fn note(&self) -> &str {
        match self {
            Event::MarkFixed { note } | Event::Reopen { note } => note,
            Event::MarkFalsePositive { reason } => reason,
            Event::RecheckFound | Event::RecheckGone | Event::ScanFound => "",
        }
    }
}

/// Who causes an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Admin,
    Operator,
    /// The service itself (a re-check).
    Service,
}

/// Why a transition is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The state after `event`, or why it may not happen.
pub fn transition(from: State, event: &Event, actor: Actor) -> Result<State, Refused> {
    use State::*;
    let refuse = |why: &str| Err(Refused(why.to_string()));
    match event {
        Event::MarkFixed { note } => {
            if actor == Actor::Service {
                return refuse("only a person marks a finding fixed");
            }
            if note.trim().is_empty() {
                return refuse("say what was done (a note is required)");
            }
            match from {
                Open | Reopened => Ok(Fixed),
                Fixed => refuse("already marked fixed; the re-check is queued"),
                Closed => refuse("already closed"),
                FalsePositive => refuse("marked as a false positive"),
            }
        }
        Event::RecheckFound | Event::RecheckGone => {
            if actor != Actor::Service {
                return refuse("only the re-check decides");
            }
            match from {
                Fixed if *event == Event::RecheckGone => Ok(Closed),
                Fixed => Ok(Reopened),
                _ => refuse("no re-check is waiting"),
            }
        }
        Event::MarkFalsePositive { reason } => {
            if actor != Actor::Admin {
                return refuse("only an admin marks a false positive");
            }
            if reason.trim().is_empty() {
                return refuse("give a reason");
            }
            match from {
                FalsePositive => refuse("already a false positive"),
                _ => Ok(FalsePositive),
            }
        }
        Event::ScanFound => {
            if actor != Actor::Service {
                return refuse("only a scan finds it again");
            }
            match from {
                Closed => Ok(Reopened),
                _ => refuse("it is not closed"),
            }
        }
        Event::Reopen { .. } => {
            if actor != Actor::Admin {
                return refuse("only an admin reopens a finding");
            }
            match from {
                FalsePositive | Closed => Ok(Reopened),
                _ => refuse("it is open already"),
            }
        }
    }
}

/// One line of a finding's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub at: String,
    pub who: String,
    pub action: String,
    pub from: State,
    pub to: State,
    pub note: String,
}

/// Where a finding stands, and the last note or reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub state: State,
    pub note: String,
    pub updated: String,
}

/// A finding's state (open when nothing was ever done to it).
pub fn state_of(store: &Store, fingerprint: &str) -> Result<State, Error> {
    Ok(standing(store, fingerprint)?.map_or(State::Open, |s| s.state))
}

pub fn standing(store: &Store, fingerprint: &str) -> Result<Option<Standing>, Error> {
    store
        .conn()
        .query_row(
            "SELECT state, note, updated FROM workflow WHERE fingerprint = ?1",
            params![fingerprint],
            |r| {
                Ok(Standing {
                    state: State::parse(&r.get::<_, String>(0)?).unwrap_or(State::Open),
                    note: r.get(1)?,
                    updated: r.get(2)?,
                })
            },
        )
        .optional()
        .map_err(|e| store.failed(e))
}

/// Every finding's state that is not open, by fingerprint.
pub fn states(store: &Store) -> Result<std::collections::HashMap<String, State>, Error> {
    let mut st = store
        .conn()
        .prepare("SELECT fingerprint, state FROM workflow")
        .map_err(|e| store.failed(e))?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| store.failed(e))?;
    let mut out = std::collections::HashMap::new();
    for row in rows {
        let (fp, s) = row.map_err(|e| store.failed(e))?;
        out.insert(fp, State::parse(&s).unwrap_or(State::Open));
    }
    Ok(out)
}

/// Apply an event to a finding, by `who`, logging it; in one transaction.
/// Returns the new state.
pub fn apply(
    store: &Store,
    finding: &Finding,
    event: &Event,
    who: &str,
    actor: Actor,
) -> Result<Result<State, Refused>, Error> {
    let from = state_of(store, &finding.fingerprint)?;
    let to = match transition(from, event, actor) {
        Ok(to) => to,
        Err(r) => return Ok(Err(r)),
    };
    let now = crate::time::now_rfc3339();
    let note: String = event.note().trim().chars().take(2000).collect();
    let path = store.path.clone();
    let fail = |e: rusqlite::Error| Error::Failed(format!("{}: {e}", path.display()));
    let conn = store.conn();
    conn.execute_batch("BEGIN IMMEDIATE").map_err(fail)?;
    let done = (|| {
        conn.execute(
            "INSERT INTO workflow (fingerprint, site, url, rule, state, note, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(fingerprint) DO UPDATE SET state = ?5, note = CASE WHEN ?6 = '' THEN note ELSE ?6 END, updated = ?7",
            params![finding.fingerprint, finding.site, finding.url, finding.rule, to.name(), note, now],
        )?;
        conn.execute(
            "INSERT INTO workflow_log (fingerprint, at, who, action, from_state, to_state, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![finding.fingerprint, now, who, event.action(), from.name(), to.name(), note],
        )?;
        Ok(())
    })();
    match done {
        Ok(()) => conn.execute_batch("COMMIT").map_err(fail)?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(fail(e));
        }
    }
    Ok(Ok(to))
}

/// Reopen every closed finding that scan `scan` found again (the spam came
/// back after the re-check closed it); returns how many.
pub fn reopen_found_again(store: &Store, scan: &str) -> Result<usize, Error> {
    let closed: Vec<String> = {
        let path = store.path.clone();
        let fail = |e: rusqlite::Error| Error::Failed(format!("{}: {e}", path.display()));
        let conn = store.conn();
        let mut st = conn
            .prepare(
                "SELECT w.fingerprint FROM workflow w JOIN findings f ON f.fingerprint = w.fingerprint
                 WHERE f.scan = ?1 AND w.state = ?2",
            )
            .map_err(fail)?;
        let rows = st
            .query_map(params![scan, State::Closed.name()], |r| r.get(0))
            .map_err(fail)?;
        rows.collect::<Result<_, _>>().map_err(fail)?
    };
    let mut reopened = 0;
    for fp in closed {
        if let Some(f) = latest_finding(store, &fp)? {
            if apply(store, &f, &Event::ScanFound, "scan", Actor::Service)?.is_ok() {
                reopened += 1;
            }
        }
    }
    Ok(reopened)
}

/// A finding's log, oldest first.
pub fn log_of(store: &Store, fingerprint: &str) -> Result<Vec<LogEntry>, Error> {
    let mut st = store
        .conn()
        .prepare("SELECT at, who, action, from_state, to_state, note FROM workflow_log WHERE fingerprint = ?1 ORDER BY id")
        .map_err(|e| store.failed(e))?;
    let rows = st
        .query_map(params![fingerprint], |r| {
            Ok(LogEntry {
                at: r.get(0)?,
                who: r.get(1)?,
                action: r.get(2)?,
                from: State::parse(&r.get::<_, String>(3)?).unwrap_or(State::Open),
                to: State::parse(&r.get::<_, String>(4)?).unwrap_or(State::Open),
                note: r.get(5)?,
            })
        })
        .map_err(|e| store.failed(e))?;
    rows.collect::<Result<_, _>>().map_err(|e| store.failed(e))
}

/// The false positives as ignore entries (by fingerprint, with the
/// admin's reason), for reports.
pub fn false_positive_entries(store: &Store) -> Result<Vec<crate::ignore::Entry>, Error> {
    let mut st = store
        .conn()
        .prepare("SELECT fingerprint, note FROM workflow WHERE state = 'false-positive' ORDER BY fingerprint")
        .map_err(|e| store.failed(e))?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| store.failed(e))?;
    let mut out = Vec::new();
    for row in rows {
        let (fp, reason) = row.map_err(|e| store.failed(e))?;
        out.push(crate::ignore::Entry {
            fingerprint: Some(fp),
            rule: None,
            url: None,
            reason: format!("误报: {reason}"),
            expires: None,
            line: 0,
        });
    }
    Ok(out)
}

/// The false positives in the ignore file's format
/// (`sitesweep.ignore.toml`), to keep with the register.
pub fn export_ignore_toml(store: &Store) -> Result<String, Error> {
    let mut out = String::from(
        "# False positives marked in sitesweep serve (误报), in the ignore file format.\n",
    );
    let mut st = store
        .conn()
        .prepare("SELECT w.fingerprint, w.note, w.url, w.rule, (SELECT who FROM workflow_log l WHERE l.fingerprint = w.fingerprint ORDER BY id DESC LIMIT 1), w.updated
                  FROM workflow w WHERE w.state = 'false-positive' ORDER BY w.fingerprint")
        .map_err(|e| store.failed(e))?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .map_err(|e| store.failed(e))?;
    for row in rows {
        let (fp, reason, url, rule, who, at) = row.map_err(|e| store.failed(e))?;
        let comment = format!("{rule} {url}").replace(['\n', '\r'], " ");
        out.push_str(&format!(
            "\n# {comment}\n[[ignore]]\nfingerprint = {}\nreason = {}\n",
            toml_string(&fp),
            toml_string(&format!(
                "{reason} ({} {})",
                who.unwrap_or_default(),
                at.get(..10).unwrap_or(&at)
            ))
        ));
    }
    Ok(out)
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The latest stored finding of a fingerprint (its newest scan).
pub fn latest_finding(store: &Store, fingerprint: &str) -> Result<Option<Finding>, Error> {
    let json: Option<String> = store
        .conn()
        .query_row(
            "SELECT f.finding FROM findings f JOIN scans s ON s.id = f.scan WHERE f.fingerprint = ?1
             ORDER BY s.started DESC, s.id DESC LIMIT 1",
            params![fingerprint],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| store.failed(e))?;
    json.map(|j| serde_json::from_str(&j).map_err(|e| store.failed(e)))
        .transpose()
}

/// What a re-check of one page found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recheck {
    /// The fingerprint is there again.
    Found,
    /// The page answered and the fingerprint is gone.
    Gone,
    /// The page could not be judged (it did not answer, or the finding is
    /// of a kind one page cannot decide): the state stays, the next scan
    /// decides.
    Undecided(String),
}

/// Fetch and analyse the page of a finding again, as the crawl reads a
/// page: the site's settings (its client, guard and limits), the probe's
/// identity when the finding was seen only by a probe, the same analysis
/// stage and fingerprints.
pub async fn recheck(
    site: &crate::register::Site,
    rules: &crate::rules::RuleSet,
    f: &Finding,
) -> Recheck {
    use crate::analyse::{analyse, Body};
    use crate::findings::Origin;
    let Ok(url) = url::Url::parse(&f.url) else {
        return Recheck::Undecided(format!("not a URL: {}", f.url));
    };
    let mut fetcher = match crate::crawl::fetch::Fetcher::new(&site.settings) {
        Ok(x) => x,
        Err(e) => return Recheck::Undecided(e),
    };
    let probe = f
        .probe
        .as_deref()
        .and_then(crate::register::Probe::from_name);
    if let Some(p) = probe {
        let (ua, referer) = crate::crawl::probe::identity(p, &site.url);
        match fetcher.as_identity(ua, referer.as_deref()) {
            Ok(x) => fetcher = x,
            Err(e) => return Recheck::Undecided(e),
        }
    }
    let host = url.host_str().map(str::to_string);
    let fetched = fetcher
        .fetch(&url, &move |u: &url::Url| {
            u.host_str().map(str::to_string) == host
        })
        .await;
    let is_link_rule = matches!(
        f.rule.as_str(),
        "link.broken" | "site.unreachable" | "site.http-error"
    );
    let fetched = match fetched {
        Ok(x) => x,
        Err(_) if is_link_rule => return Recheck::Found,
        Err(e) => return Recheck::Undecided(format!("the page did not answer: {}", e.message)),
    };
    if is_link_rule {
        return if fetched.status >= 400 {
            Recheck::Found
        } else {
            Recheck::Gone
        };
    }
    if f.field.is_none() && f.rule != "script.conditional-redirect" {
        return Recheck::Undecided(format!(
            "{} is judged over a whole crawl: the next scan decides",
            f.rule
        ));
    }
    if fetched.status >= 400 {
        return Recheck::Undecided(format!("the page answered HTTP {}", fetched.status));
    }
    let origin = Origin::of_site(&f.scan, site);
    let body = Body {
        url: &url,
        bytes: &fetched.body,
        content_type: fetched.content_type.as_deref(),
        truncated: fetched.truncated,
        max_document: fetcher.max_document as u64,
    };
    let mut found = analyse(rules, &origin, &body).findings;
    if let Some(p) = probe {
        for x in &mut found {
            x.seen_by_probe(p.name(), &url);
        }
    }
    if found.iter().any(|x| x.fingerprint == f.fingerprint) {
        Recheck::Found
    } else {
        Recheck::Gone
    }
}

/// The actor of an account.
pub fn actor_of(user: &User) -> Actor {
    if user.is_admin() {
        Actor::Admin
    } else {
        Actor::Operator
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Actor::*;
    use State::*;

    fn fixed() -> Event {
        Event::MarkFixed {
            note: "removed the footer links".into(),
        }
    }
    fn fp() -> Event {
        Event::MarkFalsePositive {
            reason: "a news story quoting the term".into(),
        }
    }
    fn reopen() -> Event {
        Event::Reopen {
            note: String::new(),
        }
    }

    #[test]
    fn every_transition() {
        // Mark fixed: from open and reopened, by a person, with a note.
        for actor in [Admin, Operator] {
            assert_eq!(transition(Open, &fixed(), actor), Ok(Fixed));
            assert_eq!(transition(Reopened, &fixed(), actor), Ok(Fixed));
            for from in [Fixed, Closed, FalsePositive] {
                assert!(transition(from, &fixed(), actor).is_err(), "{from:?}");
            }
        }
        assert!(transition(Open, &fixed(), Service).is_err());
        assert!(transition(Open, &Event::MarkFixed { note: " ".into() }, Operator).is_err());
        // Re-checks: only from fixed, only by the service.
        assert_eq!(transition(Fixed, &Event::RecheckGone, Service), Ok(Closed));
        assert_eq!(
            transition(Fixed, &Event::RecheckFound, Service),
            Ok(Reopened)
        );
        for from in [Open, Closed, Reopened, FalsePositive] {
            assert!(transition(from, &Event::RecheckGone, Service).is_err());
            assert!(transition(from, &Event::RecheckFound, Service).is_err());
        }
        assert!(transition(Fixed, &Event::RecheckGone, Admin).is_err());
        assert!(transition(Fixed, &Event::RecheckFound, Operator).is_err());
        // False positive: admin only, from anything but itself, with a reason.
        for from in [Open, Fixed, Closed, Reopened] {
            assert_eq!(transition(from, &fp(), Admin), Ok(FalsePositive));
            assert!(transition(from, &fp(), Operator).is_err());
            assert!(transition(from, &fp(), Service).is_err());
        }
        assert!(transition(FalsePositive, &fp(), Admin).is_err());
        assert!(transition(Open, &Event::MarkFalsePositive { reason: "".into() }, Admin).is_err());
        // Reopen: admin only, from false positive or closed.
        assert_eq!(transition(FalsePositive, &reopen(), Admin), Ok(Reopened));
        assert_eq!(transition(Closed, &reopen(), Admin), Ok(Reopened));
        for from in [Open, Fixed, Reopened] {
            assert!(transition(from, &reopen(), Admin).is_err());
        }
        assert!(transition(FalsePositive, &reopen(), Operator).is_err());
        // Found again by a later scan: only a closed finding, only by a scan.
        assert_eq!(transition(Closed, &Event::ScanFound, Service), Ok(Reopened));
        for from in [Open, Fixed, Reopened, FalsePositive] {
            assert!(transition(from, &Event::ScanFound, Service).is_err());
        }
        assert!(transition(Closed, &Event::ScanFound, Admin).is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.name()), Some(s));
        }
        assert!(Open.is_open() && Fixed.is_open() && Reopened.is_open());
        assert!(!Closed.is_open() && !FalsePositive.is_open());
    }

    #[test]
    fn applied_logged_and_exported_as_ignore_entries() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("w.db")).unwrap();
        let f = Finding {
            fingerprint: "0123456789abcdef".into(),
            site: "edu".into(),
            url: "https://edu.example/\"x".into(),
            rule: "gambling-terms".into(),
            ..serde_json::from_value(serde_json::json!({
                "scan":"s","site":"edu","operator":"o","url":"u","rule":"r","title":"t","category":"c",
                "severity":"high","field":null,"hidden":false,"matched":"","term":"","snippet":"",
                "fingerprint":"f","count":1,"status":"new","first_seen":"","fetched_at":""
            }))
            .unwrap()
        };
        let s = apply(&store, &f, &fixed(), "edu", Operator).unwrap();
        assert_eq!(s, Ok(Fixed));
        assert!(apply(&store, &f, &fixed(), "edu", Operator)
            .unwrap()
            .is_err());
        apply(&store, &f, &Event::RecheckFound, "re-check", Service)
            .unwrap()
            .unwrap();
        apply(&store, &f, &fp(), "root", Admin).unwrap().unwrap();
        let log = log_of(&store, &f.fingerprint).unwrap();
        assert_eq!(log.len(), 3);
        assert_eq!((log[0].who.as_str(), log[0].to), ("edu", Fixed));
        assert_eq!(log[2].note, "a news story quoting the term");
        let entries = false_positive_entries(&store).unwrap();
        assert_eq!(entries[0].fingerprint.as_deref(), Some("0123456789abcdef"));
        let toml = export_ignore_toml(&store).unwrap();
        let path = dir.path().join("sitesweep.ignore.toml");
        std::fs::write(&path, &toml).unwrap();
        let list = crate::ignore::IgnoreList::load(&path, &[]).unwrap();
        assert_eq!(list.entries.len(), 1, "{toml}");
        assert!(list.ignores(&f, "2026-01-01").is_some());
    }

    #[test]
    fn a_closed_finding_a_later_scan_finds_again_is_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("w.db")).unwrap();
        let mut f: Finding = serde_json::from_value(serde_json::json!({
            "scan":"s1","site":"edu","operator":"o","url":"https://edu.example/","rule":"gambling-hidden",
            "title":"t","category":"gambling","severity":"critical","field":"anchor","hidden":true,
            "matched":"百家乐","term":"百家乐","snippet":"","fingerprint":"00000000000000aa","count":1,
            "status":"new","first_seen":"","fetched_at":""
        }))
        .unwrap();
        for (scan, at) in [
            ("s1", "2026-11-01"),
            ("s2", "2026-11-02"),
            ("s3", "2026-11-03"),
        ] {
            store
                .begin_scan(scan, at, "sites.toml", "h", &[], &["edu".to_string()])
                .unwrap();
        }
        store.finding(&f).unwrap();
        apply(&store, &f, &fixed(), "edu", Operator)
            .unwrap()
            .unwrap();
        apply(&store, &f, &Event::RecheckGone, "re-check", Service)
            .unwrap()
            .unwrap();
        // A scan without it leaves it closed; one with it reopens it.
        assert_eq!(reopen_found_again(&store, "s2").unwrap(), 0);
        f.scan = "s3".into();
        store.finding(&f).unwrap();
        assert_eq!(reopen_found_again(&store, "s3").unwrap(), 1);
        assert_eq!(state_of(&store, &f.fingerprint).unwrap(), Reopened);
        let log = log_of(&store, &f.fingerprint).unwrap();
        assert_eq!(log.last().unwrap().action, "scan-found");
        assert_eq!(reopen_found_again(&store, "s3").unwrap(), 0);
    }
}
