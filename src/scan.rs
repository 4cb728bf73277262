//! A scan: every selected site of a register crawled (several at once),
//! every finding stored and streamed to the JSONL file as soon as it is
//! known (one line each, flushed), and a summary per site at the end. A new
//! scan or the rest of an interrupted one (`--resume`).

use crate::crawl::observer::Observer;
use crate::crawl::{self, CrawlEnv, Event, PageRecord, SiteResume, SiteSummary};
use crate::error::{Error, InputError};
use crate::findings::Finding;
use crate::register::{Register, Site};
use crate::rules::RuleSet;
use crate::store::Store;
use futures_util::stream::{self, StreamExt};
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Sites crawled at once unless `--concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

pub struct ScanOptions {
    /// Stream every finding here, one JSON object a line.
    pub jsonl: Option<PathBuf>,
    /// Keep the scan, its pages and findings in this database (history:
    /// `status`, `first_seen`, `diff`, `report`).
    pub db: Option<PathBuf>,
    /// Sites in flight at once.
    pub concurrency: usize,
    /// Finish the last unfinished scan of the database instead of starting
    /// a new one.
    pub resume: bool,
    /// Keep every page record and finding in the result (tests, the demo);
    /// otherwise they are only streamed and counted, so memory does not
    /// grow with the size of the scan.
    pub keep_records: bool,
    pub observer: Arc<dyn Observer>,
    /// Stop the scan as Ctrl-C does when this turns true (`serve` on
    /// SIGTERM): the scan is marked interrupted and `--resume` finishes it.
    pub stop: Option<tokio::sync::watch::Receiver<bool>>,
    /// The findings the office has answered for (the ignore file); with
    /// the workflow's false positives, they say which title changes were
    /// accepted, so that the accepted title becomes the one compared
    /// against ([`crate::crawl::title_changes`]).
    pub answered: crate::ignore::IgnoreList,
}

impl Default for ScanOptions {
    /// No stream, no database, [`DEFAULT_CONCURRENCY`] sites at once, a new
    /// scan, records not kept, nobody watching.
    fn default() -> Self {
        ScanOptions {
            jsonl: None,
            db: None,
            concurrency: DEFAULT_CONCURRENCY,
            resume: false,
            keep_records: false,
            observer: Arc::new(crate::crawl::observer::Silent),
            stop: None,
            answered: crate::ignore::IgnoreList::default(),
        }
    }
}

#[derive(Debug)]
pub struct ScanResult {
    pub scan: String,
    pub started_at: String,
    pub finished_at: String,
    /// In register order.
    pub sites: Vec<SiteSummary>,
    /// Findings reported by the whole scan (a resumed one included).
    pub total_findings: usize,
    /// Sites of the scan still unfinished (`--resume --site` finished
    /// only some): the scan stays resumable.
    pub unfinished: Vec<String>,
    /// In the order they were found (only with
    /// [`ScanOptions::keep_records`]).
    pub findings: Vec<Finding>,
    /// Every URL requested, in the order the answers came (only with
    /// [`ScanOptions::keep_records`]).
    pub pages: Vec<PageRecord>,
}

/// Run a scan to the end. Bad pages and unreachable sites are findings; an
/// error here means the scan itself could not run (exit 3), or bad input
/// (exit 2, before any request and before any file is touched).
pub fn run(
    register: &Register,
    rules: Arc<RuleSet>,
    opts: ScanOptions,
) -> Result<ScanResult, Error> {
    if let Some(path) = &opts.jsonl {
        check_stream_path(path, opts.db.as_deref(), &register.path)?;
    }
    let mut store = match &opts.db {
        Some(path) => {
            if opts.resume && !path.exists() {
                return Err(InputError::plain(format!(
                    "{}: nothing to resume: there is no such database",
                    path.display()
                ))
                .into());
            }
            let mut store = Store::open(path)?;
            store.lock()?;
            Some(store)
        }
        None => None,
    };
    // The stream is opened only now: a second scan refused by the lock
    // must leave the running scan's stream alone.
    let (plan, jsonl) = match (store.as_mut(), opts.resume) {
        (None, true) => return Err(InputError::plain("resuming needs the scan database").into()),
        (Some(store), true) => {
            let plan = plan_resume(store, register, &rules)?;
            let jsonl = match &opts.jsonl {
                Some(path) => Some(Jsonl::reopen(path, &plan.scan, store)?),
                None => None,
            };
            (plan, jsonl)
        }
        (store, false) => {
            let jsonl = match &opts.jsonl {
                Some(path) => Some(Jsonl::create(path)?),
                None => None,
            };
            (plan_new(store, register, &rules)?, jsonl)
        }
    };
    // What the office answered for: the ignore file and the workflow's
    // false positives (an accepted title change, title_changes::baselines).
    let mut answered = opts.answered.clone();
    if let Some(store) = &store {
        answered
            .entries
            .extend(crate::workflow::false_positive_entries(store)?);
    }
    // Everything the crawl reports flows through a bounded channel to one
    // writer: the store and the JSONL stream see the same findings with the
    // same status, and a slow disk slows the crawl instead of losing data.
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(1024);
    let writer_gone = tx.clone();
    let writer = spawn_writer(rx, jsonl, store, opts.keep_records, plan.scan.clone())?;
    // The crawl looks up what earlier scans saw through its own read-only
    // connection: the writer's is busy writing.
    let history: Option<Arc<dyn crawl::History>> = match &opts.db {
        Some(path) => Some(Arc::new(StoreHistory(std::sync::Mutex::new(
            Store::open_read_only(path, false)?,
        )))),
        None => None,
    };
    let env = Arc::new(CrawlEnv {
        history,
        answered: Arc::new(answered),
        scan: plan.scan.clone(),
        rules,
        sink: tx,
        observer: opts.observer.clone(),
        pages_in_flight: Arc::new(tokio::sync::Semaphore::new(crawl::PAGES_IN_FLIGHT)),
        resume: plan.resume,
        registered: Arc::new(
            register
                .hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
        ),
    });
    let sites: VecDeque<_> = plan.sites.into_iter().map(Arc::new).collect();
    let concurrency = opts.concurrency.max(1);
    let (cancel, cancelled) = tokio::sync::watch::channel(false);
    // This thread only waits: for the crawl threads, Ctrl-C, a stop, or
    // the writer failing.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    let mut shards = start_shards(sites, concurrency, &env, &cancelled)?;
    let crawled: Ended = runtime.block_on(async {
        let all = futures_util::future::join_all(shards.iter_mut().map(|s| &mut s.done));
        tokio::select! {
            done = all => Ended::Done(
                done.into_iter().flat_map(|d| d.unwrap_or_default()).collect(),
            ),
            _ = tokio::signal::ctrl_c() => Ended::Interrupted,
            _ = stopped(opts.stop.clone()) => Ended::Interrupted,
            // The writer stopped (disk full, database error): nothing more
            // could be kept, so the crawl stops now rather than at the end.
            _ = writer_gone.closed() => Ended::WriterFailed,
        }
    });
    // Each shard drops its runtime, which cancels crawls still running
    // after an interrupt.
    let _ = cancel.send(true);
    for shard in shards {
        if let Err(panic) = shard.thread.join() {
            std::panic::resume_unwind(panic);
        }
    }
    drop(writer_gone);
    drop(env);
    drop(runtime);
    opts.observer.finish();
    let written = writer
        .join()
        .map_err(|_| Error::Failed("the findings writer stopped".into()))?;
    let scan = plan.scan;
    let finished_at = crate::time::now_rfc3339();
    let where_ = opts
        .jsonl
        .as_ref()
        .map(|p| format!(" and in {}", p.display()))
        .unwrap_or_default();
    if let Some(err) = written.error {
        if let Some(mut st) = written.store {
            // May fail too when the database is what failed; the scan is
            // then still `running`, which `--resume` takes as unfinished.
            let _ = st.finish_scan(&scan, &finished_at, "failed");
        }
        return Err(Error::Failed(format!(
            "the scan stopped: {err}. The {} findings reported before are kept (in the database{where_}); \
             `sitesweep scan --resume` finishes the scan once the cause is fixed",
            written.total
        )));
    }
    let Ended::Done(mut summaries) = crawled else {
        if let Some(mut st) = written.store {
            st.finish_scan(&scan, &finished_at, "interrupted")?;
        }
        return Err(Error::Failed(format!(
            "interrupted: {} findings were reported before the stop (in the database{where_}); \
             `sitesweep scan --resume` finishes the scan",
            written.total
        )));
    };
    let mut total = written.total;
    let mut unfinished = Vec::new();
    if let Some(mut st) = written.store {
        let done: HashSet<String> = st.sites_done(&scan)?.into_iter().collect();
        unfinished = plan
            .selected
            .iter()
            .filter(|s| !done.contains(*s))
            .cloned()
            .collect();
        let state = if unfinished.is_empty() {
            "finished"
        } else {
            "interrupted"
        };
        st.finish_scan(&scan, &finished_at, state)?;
        if opts.resume {
            // The whole scan, not just what this run added.
            total = st.count_findings(&scan)?;
            summaries = st.site_summaries(&scan)?;
        }
    }
    let order: HashMap<&str, usize> = register
        .sites
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    summaries.sort_by_key(|s| order.get(s.site.as_str()).copied().unwrap_or(usize::MAX));
    let (found, pages) = if opts.keep_records {
        (written.findings, written.pages)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(ScanResult {
        scan,
        started_at: plan.started_at,
        finished_at,
        sites: summaries,
        total_findings: total,
        unfinished,
        findings: found,
        pages,
    })
}

/// One thread crawling some of the sites, fetching and analysing their
/// pages itself, and its summaries once every site it took is done.
struct Shard {
    thread: std::thread::JoinHandle<()>,
    done: tokio::sync::oneshot::Receiver<Vec<SiteSummary>>,
}

/// The crawl threads: one per core (no more than sites at once), each a
/// current-thread runtime that takes the next site from one queue while it
/// has fewer than its share of `concurrency` going. A page is fetched,
/// analysed and followed on one thread: handing every page to an analysis
/// pool and its result back cost a fifth of a scan's CPU in thread
/// switches and wake-ups.
fn start_shards(
    sites: VecDeque<Arc<Site>>,
    concurrency: usize,
    env: &Arc<CrawlEnv>,
    cancelled: &tokio::sync::watch::Receiver<bool>,
) -> Result<Vec<Shard>, Error> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let count = cores.min(concurrency).max(1);
    let queue = Arc::new(std::sync::Mutex::new(sites));
    let mut shards = Vec::with_capacity(count);
    for i in 0..count {
        let slots = concurrency / count + usize::from(i < concurrency % count);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
        let (queue, env, mut cancelled) = (queue.clone(), env.clone(), cancelled.clone());
        let (tx, done) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("crawl-{i}"))
            .spawn(move || {
                let summaries = runtime.block_on(async {
                    let next = stream::poll_fn(|_| {
                        let site = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                        std::task::Poll::Ready(site)
                    });
                    let all = next
                        .map(|site| crawl::crawl_site(site, env.clone()))
                        .buffer_unordered(slots)
                        .collect::<Vec<_>>();
                    tokio::select! {
                        done = all => Some(done),
                        _ = cancelled.wait_for(|c| *c) => None,
                    }
                });
                if let Some(summaries) = summaries {
                    let _ = tx.send(summaries);
                }
            })
            .map_err(|e| Error::Failed(format!("cannot start a crawl thread: {e}")))?;
        shards.push(Shard { thread, done });
    }
    Ok(shards)
}

/// Resolves once `stop` turns true; never without one.
async fn stopped(stop: Option<tokio::sync::watch::Receiver<bool>>) {
    match stop {
        Some(mut rx) => {
            if rx.wait_for(|s| *s).await.is_err() {
                // The sender is gone: nobody can ask for a stop any more.
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

/// How the crawl part of a scan ended.
enum Ended {
    Done(Vec<SiteSummary>),
    Interrupted,
    WriterFailed,
}

/// Refuse a stream path that is one of the scan's own files: writing
/// findings over the database, its journal or lock, or the register would
/// destroy them.
fn check_stream_path(path: &Path, db: Option<&Path>, register: &Path) -> Result<(), Error> {
    let target = resolved(path);
    let mut own: Vec<(PathBuf, &str)> = vec![(resolved(register), "the register")];
    if let Some(db) = db {
        own.push((resolved(db), "the scan database"));
        for suffix in ["-wal", "-shm", "-journal", ".lock"] {
            own.push((
                resolved(Path::new(&format!("{}{suffix}", db.display()))),
                "a file of the scan database",
            ));
        }
    }
    match own.iter().find(|(p, _)| *p == target) {
        Some((_, what)) => Err(InputError::plain(format!(
            "{}: this is {what}; the findings stream needs a file of its own",
            path.display()
        ))
        .into()),
        None => Ok(()),
    }
}

/// A path made absolute with its directory's symlinks resolved, whether or
/// not the file exists yet.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    match path.file_name() {
        Some(name) => dir.join(name),
        None => dir,
    }
}

/// The JSONL stream. Every line is written whole or not at all: a failed
/// write (disk full) is cut back to the end of the last whole line. The
/// store is written first and the line after, so a kill in between leaves
/// a finding in the database that the stream lacks; [`Jsonl::reopen`]
/// writes those again when the scan is resumed, so the two end equal.
struct Jsonl {
    file: File,
    /// Bytes of whole lines.
    len: u64,
    path: PathBuf,
    line: Vec<u8>,
}

impl Jsonl {
    fn create(path: &Path) -> Result<Jsonl, Error> {
        let file = File::create(path)
            .map_err(|e| InputError::plain(format!("{}: cannot create: {e}", path.display())))?;
        Ok(Jsonl {
            file,
            len: 0,
            path: path.to_path_buf(),
            line: Vec::new(),
        })
    }

    /// The stream of a scan being resumed: a partial last line (a kill mid
    /// write) is cut, and every finding of the scan in the database that
    /// the stream lacks is written, so nothing reported is missing and
    /// nothing is there twice.
    fn reopen(path: &Path, scan: &str, store: &Store) -> Result<Jsonl, Error> {
        use std::io::{BufRead, BufReader, Seek, SeekFrom};
        let cannot = |e: std::io::Error| {
            Error::Input(InputError::plain(format!(
                "{}: cannot open: {e}",
                path.display()
            )))
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(cannot)?;
        #[derive(serde::Deserialize)]
        struct Line {
            scan: String,
            fingerprint: String,
        }
        let mut whole = 0u64;
        let mut listed = HashSet::new();
        let mut reader = BufReader::new(&file);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf).map_err(cannot)?;
            if n == 0 || buf.last() != Some(&b'\n') {
                break;
            }
            whole += n as u64;
            if let Ok(line) = serde_json::from_slice::<Line>(&buf) {
                if line.scan == scan {
                    listed.insert(line.fingerprint);
                }
            }
        }
        drop(reader);
        file.set_len(whole).map_err(cannot)?;
        let mut jsonl = Jsonl {
            file,
            len: whole,
            path: path.to_path_buf(),
            line: Vec::new(),
        };
        jsonl.file.seek(SeekFrom::Start(whole)).map_err(cannot)?;
        let mut failed = Ok(());
        store.each_finding(scan, |f| {
            if failed.is_ok() && !listed.contains(&f.fingerprint) {
                failed = jsonl.append(&f);
            }
        })?;
        failed.map_err(Error::Failed)?;
        Ok(jsonl)
    }

    fn append(&mut self, f: &Finding) -> Result<(), String> {
        use std::io::Write;
        self.line.clear();
        serde_json::to_writer(&mut self.line, f).map_err(|e| e.to_string())?;
        self.line.push(b'\n');
        match self.file.write_all(&self.line) {
            Ok(()) => {
                self.len += self.line.len() as u64;
                Ok(())
            }
            Err(e) => {
                // No half line: cut back to the last whole one.
                let _ = self.file.set_len(self.len);
                Err(format!("cannot write {}: {e}", self.path.display()))
            }
        }
    }
}

/// Which scan this run writes, and what it crawls.
struct Plan {
    scan: String,
    started_at: String,
    /// Every site of the scan (its `sites` list), crawled now or before.
    selected: Vec<String>,
    /// The sites this run crawls.
    sites: Vec<Site>,
    resume: HashMap<String, SiteResume>,
}

/// The hash a scan records of its register: the file's bytes, and those
/// of the spreadsheet its `sites_csv` names.
fn register_hash(register: &Register) -> String {
    let texts: Vec<String> = register
        .files
        .iter()
        .map(|p| {
            std::fs::read(p)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        })
        .collect();
    if texts.len() <= 1 && !register.path.exists() {
        return String::new();
    }
    crate::ids::short_hash(texts.iter().map(String::as_str))
}

fn rule_hashes(rules: &RuleSet) -> Vec<(String, String)> {
    rules
        .rules
        .iter()
        .map(|r| (r.id.clone(), r.hash()))
        .collect()
}

/// A new scan: an id from the start time (a suffix when two scans start in
/// one second), recorded with the register's and every rule's hash.
fn plan_new(
    store: Option<&mut Store>,
    register: &Register,
    rules: &RuleSet,
) -> Result<Plan, Error> {
    let started = SystemTime::now();
    let started_at = crate::time::rfc3339(started);
    let base_id = crate::time::scan_id(started);
    let mut scan = base_id.clone();
    let site_ids: Vec<String> = register.sites.iter().map(|s| s.id.clone()).collect();
    if let Some(store) = store {
        let taken: HashSet<String> = store.scans()?.into_iter().map(|s| s.id).collect();
        let mut n = 2;
        while taken.contains(&scan) {
            scan = format!("{base_id}-{n}");
            n += 1;
        }
        store.begin_scan(
            &scan,
            &started_at,
            &register.path.display().to_string(),
            &register_hash(register),
            &rule_hashes(rules),
            &site_ids,
        )?;
    }
    Ok(Plan {
        scan,
        started_at,
        selected: site_ids,
        sites: register.sites.clone(),
        resume: HashMap::new(),
    })
}

/// The last unfinished scan: its sites that had not ended (of those
/// selected with `--site`), each with what was stored of it. Refused when
/// the register or a rule changed since the scan started: its findings
/// would mix two sets of rules, and `diff` could call a finding of a
/// changed rule resolved.
fn plan_resume(store: &mut Store, register: &Register, rules: &RuleSet) -> Result<Plan, Error> {
    let Some(row) = store.scans()?.into_iter().last() else {
        return Err(InputError::plain(format!(
            "{}: nothing to resume: no scan in this database",
            store.path.display()
        ))
        .into());
    };
    if row.state == "finished" {
        return Err(InputError::plain(format!(
            "{}: nothing to resume: the last scan ({}) finished",
            store.path.display(),
            row.id
        ))
        .into());
    }
    let refuse = |what: String| -> Error {
        InputError::plain(format!(
            "cannot resume scan {}: {what} since it started; put it back, or start a new scan instead of resuming",
            row.id
        ))
        .into()
    };
    if row.register_hash != register_hash(register) {
        return Err(refuse(format!(
            "the register {} changed",
            register.path.display()
        )));
    }
    let before = store.rule_hashes(&row.id)?;
    let now: HashMap<String, String> = rule_hashes(rules).into_iter().collect();
    let mut changed: Vec<&str> = before
        .iter()
        .filter(|(id, hash)| now.get(*id) != Some(*hash))
        .map(|(id, _)| id.as_str())
        .chain(
            now.keys()
                .filter(|id| !before.contains_key(*id))
                .map(String::as_str),
        )
        .collect();
    changed.sort_unstable();
    if let Some(first) = changed.first() {
        return Err(refuse(format!(
            "{} rule{} changed (`{first}`{})",
            changed.len(),
            if changed.len() == 1 { "" } else { "s" },
            if changed.len() > 1 { " and others" } else { "" }
        )));
    }
    let done_sites: HashSet<String> = store.sites_done(&row.id)?.into_iter().collect();
    let sites: Vec<Site> = register
        .sites
        .iter()
        .filter(|s| row.sites.contains(&s.id) && !done_sites.contains(&s.id))
        .cloned()
        .collect();
    let mut pages = store.done_pages(&row.id)?;
    let mut found: HashMap<String, Vec<Finding>> = HashMap::new();
    for f in store.findings(&row.id)? {
        found.entry(f.site.clone()).or_default().push(f);
    }
    let mut progress: HashMap<String, SiteSummary> = store
        .site_progress(&row.id)?
        .into_iter()
        .map(|p| (p.site.clone(), p))
        .collect();
    let resume = sites
        .iter()
        .map(|s| {
            let done = SiteResume {
                pages: pages.remove(&s.id).unwrap_or_default(),
                findings: found.remove(&s.id).unwrap_or_default(),
                progress: progress.remove(&s.id),
            };
            (s.id.clone(), done)
        })
        .collect();
    store.reopen(&row.id)?;
    Ok(Plan {
        scan: row.id,
        started_at: row.started,
        selected: row.sites,
        sites,
        resume,
    })
}

/// What the writer hands back when the crawl's channel closes or a write
/// fails.
struct Written {
    /// The write that failed, if one did (the writer stops there).
    error: Option<String>,
    /// Findings written by this run.
    total: usize,
    /// With `keep_records`: every finding and page record.
    findings: Vec<Finding>,
    pages: Vec<PageRecord>,
    /// Closed by the caller once the scan's state is written.
    store: Option<Store>,
}

/// The one thread that writes: status from history, the store, then the
/// stream. Pages are stored in batches — every event in hand, up to
/// [`BATCH_PAGES`] pages or [`BATCH_TIME`] — each one transaction, and a
/// batch's findings reach the stream only once it is committed: the stream
/// never holds a finding the database lacks. A kill loses at most the
/// uncommitted batch, whose pages a resumed scan fetches again (they are
/// not stored, and the stored pages that link to them are the frontier):
/// no finding is lost or repeated.
fn spawn_writer(
    rx: tokio::sync::mpsc::Receiver<Event>,
    jsonl: Option<Jsonl>,
    store: Option<Store>,
    keep_records: bool,
    scan: String,
) -> Result<std::thread::JoinHandle<Written>, Error> {
    std::thread::Builder::new()
        .name("findings-writer".into())
        .spawn(move || {
            let mut out = Written {
                error: None,
                total: 0,
                findings: Vec::new(),
                pages: Vec::new(),
                store,
            };
            let mut writer = Writer {
                jsonl,
                keep_records,
                scan,
                batch: Batch::default(),
            };
            match tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
            {
                Ok(rt) => {
                    if let Err(e) = rt.block_on(writer.run(rx, &mut out)) {
                        out.error = Some(e);
                    }
                }
                Err(e) => out.error = Some(format!("cannot start the writer: {e}")),
            }
            out
        })
        .map_err(|e| Error::Failed(format!("cannot start the writer: {e}")))
}

/// Pages per commit at most, and the longest a batch stays open.
const BATCH_PAGES: usize = 256;
const BATCH_TIME: std::time::Duration = std::time::Duration::from_millis(50);
/// How long the writer lets events gather after one wakes it.
const GATHER: std::time::Duration = std::time::Duration::from_millis(5);

/// What the writer has stored but not committed.
#[derive(Default)]
struct Batch {
    /// Findings for the stream, in the order they came.
    findings: Vec<Finding>,
    /// Each site's counters as of its last page in the batch.
    progress: Vec<SiteSummary>,
    pages: usize,
    started: Option<std::time::Instant>,
}

struct Writer {
    jsonl: Option<Jsonl>,
    keep_records: bool,
    scan: String,
    batch: Batch,
}

impl Writer {
    async fn run(
        &mut self,
        mut rx: tokio::sync::mpsc::Receiver<Event>,
        out: &mut Written,
    ) -> Result<(), String> {
        loop {
            let event = match self.batch.started {
                None => rx.recv().await,
                Some(started) => {
                    let left = BATCH_TIME.saturating_sub(started.elapsed());
                    match tokio::time::timeout(left, rx.recv()).await {
                        Ok(event) => event,
                        Err(_) => {
                            self.commit(out)?;
                            continue;
                        }
                    }
                }
            };
            let Some(event) = event else {
                break;
            };
            self.store(event, out)?;
            if self.batch.pages >= BATCH_PAGES {
                self.commit(out)?;
            }
            // Events come one a page, thousands a second, and waking this
            // thread for each cost more than storing it: let them gather a
            // moment (never past the batch's time), then take all that came.
            let left = self
                .batch
                .started
                .map_or(GATHER, |s| BATCH_TIME.saturating_sub(s.elapsed()));
            tokio::time::sleep(GATHER.min(left)).await;
            while let Ok(event) = rx.try_recv() {
                self.store(event, out)?;
                if self.batch.pages >= BATCH_PAGES {
                    self.commit(out)?;
                }
            }
            // A batch that has had its time is committed even when events
            // never stop coming (the wait above then never times out).
            if self
                .batch
                .started
                .is_some_and(|s| s.elapsed() >= BATCH_TIME)
            {
                self.commit(out)?;
            }
        }
        self.commit(out)
    }

    /// Into the open batch (opened here when none is).
    fn store(&mut self, event: Event, out: &mut Written) -> Result<(), String> {
        let text = |e: Error| e.to_string();
        if self.batch.started.is_none() {
            self.batch.started = Some(std::time::Instant::now());
            if let Some(st) = out.store.as_mut() {
                st.begin_batch().map_err(text)?;
            }
        }
        match event {
            Event::Finding(f) => {
                let mut f = *f;
                if let Some(st) = out.store.as_mut() {
                    st.classify(&mut f).map_err(text)?;
                    st.finding(&f).map_err(text)?;
                }
                self.batch.findings.push(f);
            }
            Event::Page {
                record,
                mut findings,
                links,
                progress,
            } => {
                if let Some(st) = out.store.as_mut() {
                    for f in &mut findings {
                        st.classify(f).map_err(text)?;
                    }
                    st.page(&self.scan, &record, &links, &findings, None)
                        .map_err(text)?;
                }
                match self
                    .batch
                    .progress
                    .iter_mut()
                    .find(|p| p.site == progress.site)
                {
                    Some(p) => *p = *progress,
                    None => self.batch.progress.push(*progress),
                }
                self.batch.pages += 1;
                if self.keep_records {
                    out.pages.push(*record);
                }
                self.batch.findings.append(&mut findings);
            }
            Event::SiteDone(summary) => {
                if let Some(st) = out.store.as_mut() {
                    st.site_done(&self.scan, &summary).map_err(text)?;
                }
            }
        }
        Ok(())
    }

    /// Commit the batch, then stream its findings.
    fn commit(&mut self, out: &mut Written) -> Result<(), String> {
        let batch = std::mem::take(&mut self.batch);
        if batch.started.is_none() {
            return Ok(());
        }
        if let Some(st) = out.store.as_mut() {
            for p in &batch.progress {
                st.progress(&self.scan, p).map_err(|e| e.to_string())?;
            }
            st.commit_batch().map_err(|e| e.to_string())?;
        }
        for f in batch.findings {
            if let Some(w) = self.jsonl.as_mut() {
                w.append(&f)?;
            }
            out.total += 1;
            if self.keep_records {
                out.findings.push(f);
            }
        }
        Ok(())
    }
}

/// Earlier scans, as the crawl asks about them.
struct StoreHistory(std::sync::Mutex<Store>);

impl crawl::History for StoreHistory {
    fn previous(&self, scan: &str, site: &str) -> crawl::Previous {
        // A history that cannot be read is no history: every site is seen
        // as for the first time (no host is new, probes take a sample).
        self.0
            .lock()
            .ok()
            .and_then(|store| store.previous_site(scan, site).ok())
            .unwrap_or_default()
    }
}
