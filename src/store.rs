//! The store: scan history in SQLite (`--db`, default `sitesweep.db`).
//!
//! One database holds every scan: the scan itself (when, which register and
//! rules, whether it finished), per site how the crawl went, every page
//! requested, and every finding with its status against the latest earlier
//! scan that covered the site. WAL mode; one transaction per page (the page
//! and its findings together), so a killed scan loses nothing it reported.
//! Schema changes go through numbered migrations (`PRAGMA user_version`).

use crate::crawl::records::{DonePage, PageRecord, Previous, PreviousTitle, SiteSummary};
use crate::error::{Error, InputError};
use crate::findings::{Finding, Status};
use crate::urls;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Each entry upgrades the schema by one version.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE scans (
        id TEXT PRIMARY KEY,
        started TEXT NOT NULL,
        finished TEXT,
        state TEXT NOT NULL,            -- running | finished | interrupted | failed
        register TEXT NOT NULL,         -- path of the register
        register_hash TEXT NOT NULL,
        rules_hash TEXT NOT NULL,
        sites TEXT NOT NULL              -- JSON list of the site ids selected
    );
    CREATE TABLE scan_rules (
        scan TEXT NOT NULL REFERENCES scans(id),
        rule TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (scan, rule)
    );
    CREATE TABLE sites (
        scan TEXT NOT NULL REFERENCES scans(id),
        site TEXT NOT NULL,
        summary TEXT NOT NULL,           -- JSON SiteSummary
        PRIMARY KEY (scan, site)
    );
    CREATE TABLE pages (
        scan TEXT NOT NULL REFERENCES scans(id),
        site TEXT NOT NULL,
        canonical TEXT NOT NULL,
        url TEXT NOT NULL,
        final_url TEXT,
        status INTEGER,
        content_type TEXT,
        size INTEGER NOT NULL,
        referrer TEXT,
        depth INTEGER NOT NULL,
        error TEXT,
        truncated INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        links TEXT NOT NULL DEFAULT '[]', -- JSON list of in-scope links (for --resume)
        PRIMARY KEY (scan, site, canonical)
    );
    CREATE TABLE findings (
        scan TEXT NOT NULL REFERENCES scans(id),
        fingerprint TEXT NOT NULL,
        site TEXT NOT NULL,
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        finding TEXT NOT NULL,            -- the whole finding, JSON
        PRIMARY KEY (scan, fingerprint)
    );
    CREATE INDEX findings_site ON findings(site, fingerprint);",
    // 2: a site's history is looked up by site (a report over 20,000 sites
    // scanned the whole table per site), and a site's counters survive a
    // kill (what `--resume` starts from).
    "CREATE INDEX sites_site ON sites(site, scan);
    CREATE TABLE site_progress (
        scan TEXT NOT NULL REFERENCES scans(id),
        site TEXT NOT NULL,
        summary TEXT NOT NULL,           -- JSON SiteSummary as of the last page stored
        PRIMARY KEY (scan, site)
    );",
    // 3: `serve`: home-page availability probes (site.availability), and
    // every notification sent or failed (none is lost silently).
    "CREATE TABLE availability (
        site TEXT NOT NULL,
        at INTEGER NOT NULL,             -- Unix seconds
        ok INTEGER NOT NULL,             -- answered below 400 within the limit
        elapsed_ms INTEGER NOT NULL,
        status INTEGER,                  -- HTTP status, when it answered
        error TEXT                       -- why it failed
    );
    CREATE INDEX availability_site ON availability(site, at);
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,                -- RFC 3339, UTC
        channel TEXT NOT NULL,           -- webhook | email
        target TEXT NOT NULL,            -- webhook host and path (no key), or the address
        outcome TEXT NOT NULL,           -- sent | failed
        tries INTEGER NOT NULL,
        error TEXT,
        scan TEXT,                       -- the scan it was about, if any
        subject TEXT NOT NULL DEFAULT ''
    );",
    // 4: `serve`'s web interface: accounts (argon2id hashes), sessions
    // (only a hash of each token is kept), the follow-up workflow of each
    // finding (by fingerprint) and its log (who did what when).
    "CREATE TABLE users (
        login TEXT PRIMARY KEY,
        role TEXT NOT NULL,              -- admin | operator
        operator TEXT,                   -- the operator name an operator account sees
        hash TEXT NOT NULL,              -- argon2id PHC string
        created TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,     -- SHA-256 of the cookie's token
        login TEXT NOT NULL,
        csrf TEXT NOT NULL,
        expires INTEGER NOT NULL         -- Unix seconds
    );
    CREATE TABLE workflow (
        fingerprint TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        url TEXT NOT NULL,
        rule TEXT NOT NULL,
        state TEXT NOT NULL,             -- open | fixed | closed | reopened | false-positive
        note TEXT NOT NULL DEFAULT '',   -- the last note or reason
        updated TEXT NOT NULL
    );
    CREATE TABLE workflow_log (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        at TEXT NOT NULL,                -- RFC 3339, UTC
        who TEXT NOT NULL,               -- a login, or `re-check`
        action TEXT NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX workflow_log_fp ON workflow_log(fingerprint, id);",
    // 5: each HTML page's title, and the title it was reported changed
    // from (`title.changed`: the next scan compares against it).
    "ALTER TABLE pages ADD COLUMN title TEXT;
    ALTER TABLE pages ADD COLUMN title_was TEXT;",
];

/// A scan as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanRow {
    pub id: String,
    pub started: String,
    pub finished: Option<String>,
    pub state: String,
    pub register: String,
    pub register_hash: String,
    pub sites: Vec<String>,
}

pub struct Store {
    conn: Connection,
    pub path: PathBuf,
    /// Per site: previous scan's fingerprints → first_seen, and the earliest
    /// first_seen of every fingerprint ever seen (loaded once per site).
    history: HashMap<String, SiteHistory>,
    /// The scan lock, held while this is open (see [`Store::lock`]).
    lock: Option<std::fs::File>,
}

/// Put the database in WAL mode (it stays so). Switching needs an
/// exclusive lock and SQLite answers "database is locked" at once, without
/// its busy handler, when another process holds any lock: two scans
/// starting on a new database at the same moment both get here. So: retry
/// for as long as the busy timeout would have waited.
fn set_wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mode =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0));
        match mode {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
}

/// A schema this build knows (a newer sitesweep's database is refused,
/// not misread).
fn known_schema(path: &Path, version: usize) -> Result<(), Error> {
    if version > MIGRATIONS.len() {
        return Err(Error::Input(InputError::plain(format!(
            "{}: written by a newer sitesweep (schema {version}, this one knows {})",
            path.display(),
            MIGRATIONS.len()
        ))));
    }
    Ok(())
}

/// The lock file of a database.
pub fn lock_path(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.lock", db.display()))
}

#[derive(Default)]
struct SiteHistory {
    previous: HashMap<String, String>,
    earliest: HashMap<String, String>,
}

fn failed(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Failed(format!("{}: {e}", path.display()))
}

impl Store {
    /// An error of this database, named by its path (for the modules that
    /// run their own statements on it: accounts, workflow, the web pages).
    pub(crate) fn failed(&self, e: impl std::fmt::Display) -> Error {
        failed(&self.path, e)
    }

    /// Open (creating and migrating as needed).
    pub fn open(path: &Path) -> Result<Store, Error> {
        let conn = Connection::open(path).map_err(|e| failed(path, e))?;
        // First, so that two scans starting at once wait for each other
        // instead of failing on the other's write.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| failed(path, e))?;
        set_wal(&conn).map_err(|e| failed(path, e))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| failed(path, e))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| failed(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            history: HashMap::new(),
            lock: None,
        };
        store.migrate()?;
        Ok(store)
    }

    /// Bring the schema up to date. The version is read and the
    /// migrations run inside one `BEGIN IMMEDIATE` transaction: of two
    /// processes opening a new database at once, the second waits and then
    /// finds the schema made (it used to fail on "table scans already
    /// exists").
    fn migrate(&mut self) -> Result<(), Error> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| failed(&path, e))?;
        let version: usize = tx
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .map_err(|e| failed(&path, e))? as usize;
        known_schema(&path, version)?;
        for sql in &MIGRATIONS[version..] {
            tx.execute_batch(sql).map_err(|e| failed(&path, e))?;
        }
        tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)
            .map_err(|e| failed(&path, e))?;
        tx.commit().map_err(|e| failed(&path, e))
    }

    /// The connection, for the modules that own their tables
    /// ([`crate::accounts`], [`crate::workflow`]).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn schema_version(&self) -> usize {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .unwrap_or(0) as usize
    }

    /// Take the scan lock: two scans never write one database at once.
    /// The lock is an advisory lock (`flock`) on a file beside the
    /// database, held for the life of the store: the kernel drops it when
    /// the process ends however it ends, so a stale lock cannot exist and
    /// no two processes can both "take it over". The file holds the
    /// owner's pid for the message; it is left in place (deleting it would
    /// let a third process lock a new file while the second holds the old).
    pub fn lock(&mut self) -> Result<(), Error> {
        use std::io::{Read, Seek, Write};
        let path = lock_path(&self.path);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| failed(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(Error::Input(InputError::plain(format!(
                    "{}: another scan (pid {}) is writing this database; wait for it or use another database",
                    self.path.display(),
                    pid.trim()
                ))));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(failed(&path, e)),
        }
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        self.lock = Some(file);
        Ok(())
    }

    pub fn begin_scan(
        &mut self,
        id: &str,
        started: &str,
        register: &str,
        register_hash: &str,
        rules: &[(String, String)],
        sites: &[String],
    ) -> Result<(), Error> {
        let path = self.path.clone();
        let rules_hash =
            crate::ids::short_hash(rules.iter().flat_map(|(r, h)| [r.as_str(), h.as_str()]));
        let tx = self.conn.transaction().map_err(|e| failed(&path, e))?;
        tx.execute(
            "INSERT INTO scans (id, started, state, register, register_hash, rules_hash, sites) VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6)",
            params![id, started, register, register_hash, rules_hash, serde_json::to_string(sites).unwrap_or_default()],
        )
        .map_err(|e| failed(&path, e))?;
        for (rule, hash) in rules {
            tx.execute(
                "INSERT INTO scan_rules (scan, rule, hash) VALUES (?1, ?2, ?3)",
                params![id, rule, hash],
            )
            .map_err(|e| failed(&path, e))?;
        }
        tx.commit().map_err(|e| failed(&path, e))
    }

    /// Load what earlier scans knew about a site (once per site and scan).
    /// The latest scan before `scan` that covered `site` (its crawl ended).
    fn previous_scan_of(&self, scan: &str, site: &str) -> Result<Option<String>, Error> {
        self.conn
            .query_row(
                "SELECT s.id FROM scans s JOIN sites t ON t.scan = s.id
                 WHERE t.site = ?1 AND s.id <> ?2 AND s.started <= (SELECT started FROM scans WHERE id = ?2)
                 ORDER BY s.started DESC, s.id DESC LIMIT 1",
                params![site, scan],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| failed(&self.path, e))
    }

    /// What the previous scan of a site saw: its script hosts, and the size
    /// and title of each page it fetched (for `script.new-host`, the probes
    /// and `title.changed`).
    pub fn previous_site(&self, scan: &str, site: &str) -> Result<Previous, Error> {
        let Some(prev) = self.previous_scan_of(scan, site)? else {
            return Ok(Previous::default());
        };
        let path = &self.path;
        let summary: String = self
            .conn
            .query_row(
                "SELECT summary FROM sites WHERE scan = ?1 AND site = ?2",
                params![prev, site],
                |r| r.get(0),
            )
            .map_err(|e| failed(path, e))?;
        let summary: SiteSummary = serde_json::from_str(&summary).map_err(|e| {
            Error::Failed(format!("{}: a stored site summary: {e}", path.display()))
        })?;
        let mut st = self
            .conn
            .prepare(
                "SELECT canonical, size, url, title, title_was FROM pages WHERE scan = ?1 AND site = ?2",
            )
            .map_err(|e| failed(path, e))?;
        let rows = st
            .query_map(params![prev, site], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)? as usize,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(|e| failed(path, e))?;
        let mut previous = Previous {
            scanned: true,
            script_hosts: summary.script_hosts.into_iter().collect(),
            ..Previous::default()
        };
        for row in rows {
            let (canonical, size, url, title, was) = row.map_err(|e| failed(path, e))?;
            if let Some(title) = title {
                previous
                    .titles
                    .insert(canonical.clone(), PreviousTitle { url, title, was });
            }
            previous.page_sizes.insert(canonical, size);
        }
        Ok(previous)
    }

    fn history_of(&mut self, scan: &str, site: &str) -> Result<&SiteHistory, Error> {
        if !self.history.contains_key(site) {
            let previous_scan = self.previous_scan_of(scan, site)?;
            let mut h = SiteHistory::default();
            if let Some(prev) = previous_scan {
                h.previous = self
                    .string_pairs(
                        "SELECT fingerprint, first_seen FROM findings WHERE scan = ?1 AND site = ?2",
                        params![prev, site],
                    )?
                    .into_iter()
                    .collect();
            }
            h.earliest = self
                .string_pairs(
                    "SELECT fingerprint, MIN(first_seen) FROM findings WHERE site = ?1 AND scan <> ?2 GROUP BY fingerprint",
                    params![site, scan],
                )?
                .into_iter()
                .collect();
            self.history.insert(site.to_string(), h);
        }
        Ok(&self.history[site])
    }

    /// Set `status` and `first_seen` from history.
    pub fn classify(&mut self, f: &mut Finding) -> Result<(), Error> {
        let scan = f.scan.clone();
        let h = self.history_of(&scan, &f.site)?;
        f.status = if h.previous.contains_key(&f.fingerprint) {
            Status::Persisting
        } else {
            Status::New
        };
        if let Some(first) = h.earliest.get(&f.fingerprint) {
            if *first < f.first_seen {
                f.first_seen = first.clone();
            }
        }
        Ok(())
    }

    /// One page and its findings, in one transaction. Findings must have
    /// been through [`Store::classify`].
    /// Group the writes that follow into one transaction until
    /// [`Store::commit_batch`]: the scan's writer stores many pages per
    /// commit (one commit per page cost a sixth of a scan's CPU). Outside
    /// a batch each page is its own transaction.
    pub fn begin_batch(&mut self) -> Result<(), Error> {
        if self.conn.is_autocommit() {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| failed(&self.path, e))?;
        }
        Ok(())
    }

    /// Commit the open batch, if any: until then none of its pages,
    /// findings or summaries is in the database.
    pub fn commit_batch(&mut self) -> Result<(), Error> {
        if !self.conn.is_autocommit() {
            self.conn
                .execute_batch("COMMIT")
                .map_err(|e| failed(&self.path, e))?;
        }
        Ok(())
    }

    /// Store a page with its queued links and findings; and the site's
    /// counters as of it when given (a batch writes only each site's last).
    pub fn page(
        &mut self,
        scan: &str,
        page: &PageRecord,
        links: &[String],
        findings: &[Finding],
        progress: Option<&SiteSummary>,
    ) -> Result<(), Error> {
        let own = self.conn.is_autocommit();
        if own {
            self.begin_batch()?;
        }
        let written = self.write_page(scan, page, links, findings, progress);
        if own {
            match written {
                Ok(()) => self.commit_batch()?,
                Err(e) => {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    return Err(e);
                }
            }
        }
        written
    }

    fn write_page(
        &mut self,
        scan: &str,
        page: &PageRecord,
        links: &[String],
        findings: &[Finding],
        progress: Option<&SiteSummary>,
    ) -> Result<(), Error> {
        let path = &self.path;
        let canonical = url::Url::parse(&page.url)
            .map(|u| urls::canonical(&u))
            .unwrap_or_else(|_| page.url.clone());
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO pages (scan, site, canonical, url, final_url, status, content_type, size, referrer, depth, error, truncated, fetched_at, links, title, title_was)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    scan,
                    page.site,
                    canonical,
                    page.url,
                    page.final_url,
                    page.status,
                    page.content_type,
                    page.size as i64,
                    page.referrer,
                    page.depth,
                    page.error,
                    page.truncated,
                    page.fetched_at,
                    serde_json::to_string(links).unwrap_or_else(|_| "[]".into()),
                    page.title,
                    page.title_was,
                ])
            })
            .map_err(|e| failed(path, e))?;
        for f in findings {
            insert_finding(&self.conn, f).map_err(|e| failed(path, e))?;
        }
        if let Some(progress) = progress {
            self.progress(scan, progress)?;
        }
        Ok(())
    }

    /// A site's counters as of its last page stored (what `--resume`
    /// carries on from).
    pub fn progress(&mut self, scan: &str, progress: &SiteSummary) -> Result<(), Error> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO site_progress (scan, site, summary) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    scan,
                    progress.site,
                    serde_json::to_string(progress).unwrap_or_default()
                ])
            })
            .map(|_| ())
            .map_err(|e| failed(&self.path, e))
    }

    /// How far each unfinished site of a scan had got: its summary as of
    /// the last page stored.
    pub fn site_progress(&self, scan: &str) -> Result<Vec<SiteSummary>, Error> {
        self.json_rows(
            "SELECT summary FROM site_progress WHERE scan = ?1 ORDER BY rowid",
            scan,
        )
    }

    /// A finding not tied to a page (site-level).
    pub fn finding(&mut self, f: &Finding) -> Result<(), Error> {
        let path = self.path.clone();
        insert_finding(&self.conn, f).map_err(|e| failed(&path, e))
    }

    pub fn site_done(&mut self, scan: &str, summary: &SiteSummary) -> Result<(), Error> {
        let path = self.path.clone();
        self.conn
            .execute(
                "INSERT OR REPLACE INTO sites (scan, site, summary) VALUES (?1, ?2, ?3)",
                params![
                    scan,
                    summary.site,
                    serde_json::to_string(summary).unwrap_or_default()
                ],
            )
            .map(|_| ())
            .map_err(|e| failed(&path, e))
    }

    pub fn finish_scan(&mut self, scan: &str, finished: &str, state: &str) -> Result<(), Error> {
        let path = self.path.clone();
        self.conn
            .execute(
                "UPDATE scans SET finished = ?2, state = ?3 WHERE id = ?1",
                params![scan, finished, state],
            )
            .map(|_| ())
            .map_err(|e| failed(&path, e))
    }

    /// The last scan that did not finish, if the last scan is one.
    pub fn unfinished(&self) -> Result<Option<ScanRow>, Error> {
        Ok(self
            .scans()?
            .into_iter()
            .last()
            .filter(|s| s.state != "finished"))
    }

    /// Mark a scan running again (`--resume`).
    pub fn reopen(&mut self, scan: &str) -> Result<(), Error> {
        let path = self.path.clone();
        self.conn
            .execute(
                "UPDATE scans SET state = 'running', finished = NULL WHERE id = ?1",
                params![scan],
            )
            .map(|_| ())
            .map_err(|e| failed(&path, e))
    }

    /// Sites of a scan whose crawl ended (their summary is stored).
    pub fn sites_done(&self, scan: &str) -> Result<Vec<String>, Error> {
        Ok(self
            .site_summaries(scan)?
            .into_iter()
            .map(|s| s.site)
            .collect())
    }

    /// A page's title as the latest scan of the site that read it stored
    /// it (`serve`'s hourly home-page probe compares against it). Through
    /// the site's scans (`sites_site`) and the pages' key: every site is
    /// probed hourly, and `pages` is the largest table.
    pub fn last_title(&self, site: &str, canonical: &str) -> Result<Option<String>, Error> {
        self.conn
            .query_row(
                "SELECT p.title FROM sites t JOIN scans s ON s.id = t.scan
                 JOIN pages p ON p.scan = t.scan AND p.site = t.site AND p.canonical = ?2
                 WHERE t.site = ?1 AND p.title IS NOT NULL
                 ORDER BY s.started DESC, s.id DESC LIMIT 1",
                params![site, canonical],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| failed(&self.path, e))
    }

    /// Stored pages of a scan, per site, in the order they were stored.
    pub fn done_pages(&self, scan: &str) -> Result<HashMap<String, Vec<DonePage>>, Error> {
        let path = self.path.clone();
        let mut st = self
            .conn
            .prepare("SELECT site, url, final_url, depth, links, title, title_was FROM pages WHERE scan = ?1 ORDER BY rowid")
            .map_err(|e| failed(&path, e))?;
        let rows = st
            .query_map(params![scan], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })
            .map_err(|e| failed(&path, e))?;
        let mut out: HashMap<String, Vec<_>> = HashMap::new();
        for row in rows {
            let (site, url, final_url, depth, links, title, title_was) =
                row.map_err(|e| failed(&path, e))?;
            let links: Vec<String> = serde_json::from_str(&links).unwrap_or_default();
            out.entry(site).or_default().push(DonePage {
                url,
                final_url,
                depth,
                links,
                title,
                title_was,
            });
        }
        Ok(out)
    }

    /// Every scan, oldest first.
    pub fn scans(&self) -> Result<Vec<ScanRow>, Error> {
        let path = self.path.clone();
        let mut st = self
            .conn
            .prepare("SELECT id, started, finished, state, register, register_hash, sites FROM scans ORDER BY started, id")
            .map_err(|e| failed(&path, e))?;
        let rows = st
            .query_map([], |r| {
                Ok(ScanRow {
                    id: r.get(0)?,
                    started: r.get(1)?,
                    finished: r.get(2)?,
                    state: r.get(3)?,
                    register: r.get(4)?,
                    register_hash: r.get(5)?,
                    sites: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
                })
            })
            .map_err(|e| failed(&path, e))?;
        rows.collect::<Result<_, _>>().map_err(|e| failed(&path, e))
    }

    /// The findings of a scan, in the order they were stored.
    pub fn findings(&self, scan: &str) -> Result<Vec<Finding>, Error> {
        self.json_rows(
            "SELECT finding FROM findings WHERE scan = ?1 ORDER BY rowid",
            scan,
        )
    }

    /// Every finding of a scan, one at a time (a scan's findings need not
    /// fit in memory), in the order they were stored.
    pub fn each_finding(&self, scan: &str, mut each: impl FnMut(Finding)) -> Result<(), Error> {
        let path = self.path.clone();
        let mut st = self
            .conn
            .prepare("SELECT finding FROM findings WHERE scan = ?1 ORDER BY rowid")
            .map_err(|e| failed(&path, e))?;
        let rows = st
            .query_map(params![scan], |r| r.get::<_, String>(0))
            .map_err(|e| failed(&path, e))?;
        for row in rows {
            let json = row.map_err(|e| failed(&path, e))?;
            each(serde_json::from_str(&json).map_err(|e| failed(&path, e))?);
        }
        Ok(())
    }

    pub fn count_findings(&self, scan: &str) -> Result<usize, Error> {
        let path = self.path.clone();
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM findings WHERE scan = ?1",
                params![scan],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| failed(&path, e))
    }

    /// How each site's crawl went in a scan, in the order the sites ended.
    pub fn site_summaries(&self, scan: &str) -> Result<Vec<SiteSummary>, Error> {
        self.json_rows(
            "SELECT summary FROM sites WHERE scan = ?1 ORDER BY rowid",
            scan,
        )
    }

    /// Rows of one JSON column for one scan, decoded.
    fn json_rows<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        scan: &str,
    ) -> Result<Vec<T>, Error> {
        let path = self.path.clone();
        let mut st = self.conn.prepare(sql).map_err(|e| failed(&path, e))?;
        let rows = st
            .query_map(params![scan], |r| r.get::<_, String>(0))
            .map_err(|e| failed(&path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let json = row.map_err(|e| failed(&path, e))?;
            out.push(serde_json::from_str(&json).map_err(|e| failed(&path, e))?);
        }
        Ok(out)
    }

    /// Pages of a scan that answered (status below 400), by site, as
    /// canonical URLs: what the scan "reached".
    pub fn reached(&self, scan: &str) -> Result<HashMap<String, HashSet<String>>, Error> {
        let mut out: HashMap<String, HashSet<String>> = HashMap::new();
        for (site, canonical) in self.string_pairs(
            "SELECT site, canonical FROM pages WHERE scan = ?1 AND status IS NOT NULL AND status < 400",
            params![scan],
        )? {
            out.entry(site).or_default().insert(canonical);
        }
        Ok(out)
    }

    /// Rule hashes of a scan.
    pub fn rule_hashes(&self, scan: &str) -> Result<HashMap<String, String>, Error> {
        Ok(self
            .string_pairs(
                "SELECT rule, hash FROM scan_rules WHERE scan = ?1",
                params![scan],
            )?
            .into_iter()
            .collect())
    }

    /// Rows of two text columns.
    fn string_pairs(
        &self,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<(String, String)>, Error> {
        let path = self.path.clone();
        let mut st = self.conn.prepare(sql).map_err(|e| failed(&path, e))?;
        let rows = st
            .query_map(args, |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| failed(&path, e))?;
        rows.collect::<Result<_, _>>().map_err(|e| failed(&path, e))
    }

    /// Total findings per scan for a site, oldest first (report trends).
    pub fn trend(&self, site: &str, limit: usize) -> Result<Vec<(String, usize)>, Error> {
        let path = self.path.clone();
        let mut st = self
            .conn
            .prepare(
                "SELECT s.id, (SELECT COUNT(*) FROM findings f WHERE f.scan = s.id AND f.site = ?1)
                 FROM scans s JOIN sites t ON t.scan = s.id AND t.site = ?1
                 ORDER BY s.started DESC, s.id DESC LIMIT ?2",
            )
            .map_err(|e| failed(&path, e))?;
        let rows = st
            .query_map(params![site, limit as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
            })
            .map_err(|e| failed(&path, e))?;
        let mut out: Vec<(String, usize)> = rows
            .collect::<Result<_, _>>()
            .map_err(|e| failed(&path, e))?;
        out.reverse();
        Ok(out)
    }
}

/// One home-page probe of `serve` (`site.availability`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeRow {
    pub site: String,
    /// Unix seconds.
    pub at: i64,
    pub ok: bool,
    pub elapsed_ms: u64,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// One notification, sent or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRow {
    pub at: String,
    /// `webhook` or `email`.
    pub channel: String,
    /// The webhook's host and path (its key left out), or the address.
    pub target: String,
    /// `sent` or `failed`.
    pub outcome: String,
    pub tries: u32,
    pub error: Option<String>,
    pub scan: Option<String>,
    pub subject: String,
}

/// `serve`'s records: availability probes and notifications.
impl Store {
    pub fn add_probe(&self, p: &ProbeRow) -> Result<(), Error> {
        self.conn
            .execute(
                "INSERT INTO availability (site, at, ok, elapsed_ms, status, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![p.site, p.at, p.ok, p.elapsed_ms as i64, p.status, p.error],
            )
            .map(|_| ())
            .map_err(|e| failed(&self.path, e))
    }

    /// A site's probes at or after `since` (Unix seconds), oldest first.
    pub fn probes_since(&self, site: &str, since: i64) -> Result<Vec<ProbeRow>, Error> {
        self.probe_rows(
            "SELECT site, at, ok, elapsed_ms, status, error FROM availability WHERE site = ?1 AND at >= ?2 ORDER BY at, rowid",
            params![site, since],
        )
    }

    /// A site's last `n` probes, newest first.
    pub fn last_probes(&self, site: &str, n: usize) -> Result<Vec<ProbeRow>, Error> {
        self.probe_rows(
            "SELECT site, at, ok, elapsed_ms, status, error FROM availability WHERE site = ?1 ORDER BY at DESC, rowid DESC LIMIT ?2",
            params![site, n as i64],
        )
    }

    fn probe_rows(&self, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<ProbeRow>, Error> {
        let mut st = self.conn.prepare(sql).map_err(|e| failed(&self.path, e))?;
        let rows = st
            .query_map(args, |r| {
                Ok(ProbeRow {
                    site: r.get(0)?,
                    at: r.get(1)?,
                    ok: r.get(2)?,
                    elapsed_ms: r.get::<_, i64>(3)?.max(0) as u64,
                    status: r.get(4)?,
                    error: r.get(5)?,
                })
            })
            .map_err(|e| failed(&self.path, e))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| failed(&self.path, e))
    }

    pub fn add_notification(&self, n: &NotificationRow) -> Result<(), Error> {
        self.conn
            .execute(
                "INSERT INTO notifications (at, channel, target, outcome, tries, error, scan, subject) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![n.at, n.channel, n.target, n.outcome, n.tries, n.error, n.scan, n.subject],
            )
            .map(|_| ())
            .map_err(|e| failed(&self.path, e))
    }

    /// Every notification, oldest first.
    pub fn notifications(&self) -> Result<Vec<NotificationRow>, Error> {
        let mut st = self
            .conn
            .prepare("SELECT at, channel, target, outcome, tries, error, scan, subject FROM notifications ORDER BY id")
            .map_err(|e| failed(&self.path, e))?;
        let rows = st
            .query_map([], |r| {
                Ok(NotificationRow {
                    at: r.get(0)?,
                    channel: r.get(1)?,
                    target: r.get(2)?,
                    outcome: r.get(3)?,
                    tries: r.get(4)?,
                    error: r.get(5)?,
                    scan: r.get(6)?,
                    subject: r.get(7)?,
                })
            })
            .map_err(|e| failed(&self.path, e))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| failed(&self.path, e))
    }

    /// Add a finding to a finished scan (`site.availability`, judged by
    /// `serve` after the crawl): status from history, and the site's
    /// stored counts raised with it, in one transaction. A finding of the
    /// same fingerprint already there is replaced, not counted twice.
    pub fn add_site_finding(&mut self, f: &mut Finding) -> Result<(), Error> {
        self.classify(f)?;
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| failed(&path, e))?;
        let had: bool = tx
            .query_row(
                "SELECT COUNT(*) FROM findings WHERE scan = ?1 AND fingerprint = ?2",
                params![f.scan, f.fingerprint],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| failed(&path, e))?
            > 0;
        insert_finding(&tx, f).map_err(|e| failed(&path, e))?;
        if !had {
            let summary: Option<String> = tx
                .query_row(
                    "SELECT summary FROM sites WHERE scan = ?1 AND site = ?2",
                    params![f.scan, f.site],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| failed(&path, e))?;
            if let Some(json) = summary {
                if let Ok(mut s) = serde_json::from_str::<SiteSummary>(&json) {
                    s.findings += 1;
                    s.by_severity[f.severity as usize] += 1;
                    tx.execute(
                        "UPDATE sites SET summary = ?3 WHERE scan = ?1 AND site = ?2",
                        params![f.scan, f.site, serde_json::to_string(&s).unwrap_or(json)],
                    )
                    .map_err(|e| failed(&path, e))?;
                }
            }
        }
        tx.commit().map_err(|e| failed(&path, e))
    }
}

fn insert_finding(conn: &Connection, f: &Finding) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO findings (scan, fingerprint, site, rule, severity, status, first_seen, last_seen, finding)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
            f.scan,
            f.fingerprint,
            f.site,
            f.rule,
            f.severity.name(),
            f.status.name(),
            f.first_seen,
            f.fetched_at,
            serde_json::to_string(f).unwrap_or_default(),
        ])
    .map(|_| ())
}

/// Reading a scan database without writing to it (`report`, `diff`): no
/// migration, no lock, no journal-mode change. Kept apart from the writing
/// side above.
impl Store {
    /// Run `read` over the scan database, opened read-only: nothing is
    /// migrated, locked or created beside it, so reports work on a copy on
    /// read-only media and never disturb a scan that is writing. When it was
    /// read as an immutable snapshot and the file changed meanwhile (a scan
    /// started and checkpointed), it is read again.
    pub fn read<T>(
        db: &Path,
        mut read: impl FnMut(&Store) -> Result<T, Error>,
    ) -> Result<T, Error> {
        if !db.is_file() {
            return Err(InputError::plain(format!(
                "{}: no scan database here; run `sitesweep scan` first",
                db.display()
            ))
            .into());
        }
        let stamp = || {
            std::fs::metadata(db)
                .ok()
                .map(|m| (m.len(), m.modified().ok()))
        };
        for _ in 0..3 {
            let snapshot = Store::can_snapshot(db);
            let before = stamp();
            let result = Store::open_read_only(db, snapshot).and_then(|store| read(&store));
            if !snapshot || stamp() == before {
                return result;
            }
        }
        read(&Store::open_read_only(db, false)?)
    }

    /// A scan by its id, or the latest scan.
    pub fn scan_row(&self, id: Option<&str>) -> Result<ScanRow, Error> {
        let scans = self.scans()?;
        match id {
            None | Some("latest") => scans.last().cloned(),
            Some(id) => scans.iter().find(|s| s.id == id).cloned(),
        }
        .ok_or_else(|| {
            InputError::plain(format!(
                "{}: no scan {} in this database",
                self.path.display(),
                id.unwrap_or("at all")
            ))
            .into()
        })
    }

    /// Can `path` be read as an immutable snapshot? Only when no `-wal`
    /// file is beside it (every commit is in the main file) and no scan
    /// holds its lock. Then [`Store::open_read_only`] with `snapshot` reads
    /// it without creating `-wal`/`-shm` files, which also works on
    /// read-only media. A scan that starts while a snapshot is read can
    /// change the main file under it (a checkpoint): callers compare the
    /// file's length and mtime before and after, and read again if it moved.
    pub fn can_snapshot(path: &Path) -> bool {
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        !wal.exists() && !Store::writer_active(path)
    }

    /// Does a scan hold the lock of this database now? (A shared lock on
    /// the lock file cannot be had while a scan holds it exclusively.)
    pub fn writer_active(path: &Path) -> bool {
        match std::fs::File::open(lock_path(path)) {
            Ok(f) => matches!(f.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock)),
            Err(_) => false,
        }
    }

    /// Open an existing database for reading only. With `snapshot` (see
    /// [`Store::can_snapshot`]) it is opened `immutable`; otherwise as a
    /// read-only WAL reader beside a writer, or beside the `-wal` a killed
    /// scan left, which is read and left as it is.
    pub fn open_read_only(path: &Path, snapshot: bool) -> Result<Store, Error> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = if snapshot {
            Connection::open_with_flags(
                format!("{}?mode=ro&immutable=1", Store::file_uri(path)),
                flags | OpenFlags::SQLITE_OPEN_URI,
            )
        } else {
            Connection::open_with_flags(path, flags)
        }
        .map_err(|e| failed(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| failed(path, e))?;
        let version = conn
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .map_err(|e| failed(path, e))? as usize;
        if version == 0 {
            return Err(Error::Input(InputError::plain(format!(
                "{}: no scans in this database; run `sitesweep scan` first",
                path.display()
            ))));
        }
        known_schema(path, version)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            history: HashMap::new(),
            lock: None,
        })
    }

    /// Call `each` with every finding of one site of a scan, in the order
    /// they were stored, one at a time (a report never holds them all).
    pub fn each_finding_of_site(
        &self,
        scan: &str,
        site: &str,
        mut each: impl FnMut(Finding) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let path = self.path.clone();
        let mut st = self
            .conn
            .prepare("SELECT finding FROM findings WHERE scan = ?1 AND site = ?2 ORDER BY rowid")
            .map_err(|e| failed(&path, e))?;
        let mut rows = st
            .query(params![scan, site])
            .map_err(|e| failed(&path, e))?;
        while let Some(row) = rows.next().map_err(|e| failed(&path, e))? {
            let json: String = row.get(0).map_err(|e| failed(&path, e))?;
            each(serde_json::from_str(&json).map_err(|e| failed(&path, e))?)?;
        }
        Ok(())
    }

    /// Pages stored per site of a scan: (answered below 400, failed or
    /// answered 400 and above). For sites whose crawl never ended.
    pub fn pages_counted(&self, scan: &str) -> Result<HashMap<String, (usize, usize)>, Error> {
        let path = self.path.clone();
        let mut st = self
            .conn
            .prepare(
                "SELECT site,
                        SUM(CASE WHEN error IS NULL AND status IS NOT NULL AND status < 400 THEN 1 ELSE 0 END),
                        SUM(CASE WHEN error IS NULL AND status IS NOT NULL AND status < 400 THEN 0 ELSE 1 END)
                 FROM pages WHERE scan = ?1 GROUP BY site",
            )
            .map_err(|e| failed(&path, e))?;
        let rows = st
            .query_map(params![scan], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    (r.get::<_, i64>(1)? as usize, r.get::<_, i64>(2)? as usize),
                ))
            })
            .map_err(|e| failed(&path, e))?;
        rows.collect::<Result<_, _>>().map_err(|e| failed(&path, e))
    }

    /// Sites with pages or findings stored in a scan, by name.
    pub fn sites_stored(&self, scan: &str) -> Result<Vec<String>, Error> {
        let path = self.path.clone();
        let mut st = self
            .conn
            .prepare(
                "SELECT site FROM pages WHERE scan = ?1 UNION SELECT site FROM findings WHERE scan = ?1 ORDER BY 1",
            )
            .map_err(|e| failed(&path, e))?;
        let rows = st
            .query_map(params![scan], |r| r.get::<_, String>(0))
            .map_err(|e| failed(&path, e))?;
        rows.collect::<Result<_, _>>().map_err(|e| failed(&path, e))
    }

    /// The operator named in a site's stored findings of a scan, if any.
    pub fn operator_of(&self, scan: &str, site: &str) -> Result<Option<String>, Error> {
        let path = self.path.clone();
        self.conn
            .query_row(
                "SELECT json_extract(finding, '$.operator') FROM findings WHERE scan = ?1 AND site = ?2 LIMIT 1",
                params![scan, site],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| failed(&path, e))
    }

    /// `file:` URI of a path for SQLite (absolute, percent-encoded).
    fn file_uri(path: &Path) -> String {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let bytes = abs.as_os_str().as_encoded_bytes();
        let mut uri = String::from("file:");
        if !bytes.starts_with(b"/") {
            uri.push('/');
        }
        for &b in bytes {
            if b == b'\\' && cfg!(windows) {
                uri.push('/');
            } else if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
                uri.push(b as char);
            } else {
                uri.push_str(&format!("%{b:02X}"));
            }
        }
        uri
    }
}
