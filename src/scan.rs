//! A scan: every selected site of a register crawled (several at once),
//! every finding stored and streamed to the JSONL file as soon as it is
//! known (one line each, flushed), and a summary per site at the end. A new
//! scan or the rest of an interrupted one (`--resume`).

use crate::crawl::{self, CrawlEnv, Event, PageRecord, SiteResume, SiteSummary};
use crate::error::{Error, InputError};
use crate::findings::{self, Finding};
use crate::progress::Observer;
use crate::register::{Register, Site};
use crate::rules::RuleSet;
use crate::store::Store;
use futures_util::stream::{self, StreamExt};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// What the writer thread hands back: every finding, the page records kept,
/// and the store (closed by the caller once the scan's state is written).
type Written = (Vec<Finding>, Vec<PageRecord>, Option<Store>);

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
    /// Keep every page record in the result (tests); otherwise they are
    /// only streamed, so memory does not grow with the number of pages.
    pub keep_pages: bool,
    pub observer: Arc<dyn Observer>,
}

#[derive(Debug)]
pub struct ScanResult {
    pub scan: String,
    pub started_at: String,
    pub finished_at: String,
    /// In register order.
    pub sites: Vec<SiteSummary>,
    /// In the order they were found.
    pub findings: Vec<Finding>,
    /// Every URL requested, in the order the answers came (only with
    /// [`ScanOptions::keep_pages`]).
    pub pages: Vec<PageRecord>,
}

/// Run a scan to the end. Bad pages and unreachable sites are findings; an
/// error here means the scan itself could not run (exit 3), or a bad flag
/// (exit 2, before any request).
pub fn run(
    register: &Register,
    rules: Arc<RuleSet>,
    opts: ScanOptions,
) -> Result<ScanResult, Error> {
    let jsonl = open_jsonl(&opts)?;
    let mut store = match &opts.db {
        Some(path) => {
            let mut store = Store::open(path)?;
            store.lock()?;
            Some(store)
        }
        None => None,
    };
    let plan = match (store.as_mut(), opts.resume) {
        (None, true) => {
            return Err(InputError::plain("--resume needs the scan database (--db)").into())
        }
        (Some(store), true) => plan_resume(store, register)?,
        (store, false) => plan_new(store, register, &rules)?,
    };
    // One thread for all the network I/O: pages are analysed on the rayon
    // pool and written by the writer thread, and on a 2-core machine a
    // second I/O thread measured 15% slower (more switching, no more work).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;

    // Everything the crawl reports flows through a bounded channel to one
    // writer: the store and the JSONL stream see the same findings with the
    // same status, and a slow disk slows the crawl instead of losing data.
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(1024);
    let writer = spawn_writer(rx, jsonl, store, opts.keep_pages, plan.scan.clone())?;
    let env = Arc::new(CrawlEnv {
        scan: plan.scan.clone(),
        rules,
        sink: tx,
        observer: opts.observer.clone(),
        pages_in_flight: Arc::new(tokio::sync::Semaphore::new(crawl::PAGES_IN_FLIGHT)),
        resume: plan.resume,
    });
    let sites: Vec<_> = plan.sites.into_iter().map(Arc::new).collect();
    let concurrency = opts.concurrency.max(1);
    let crawled: Option<Vec<SiteSummary>> = runtime.block_on(async {
        let all = stream::iter(sites)
            .map(|site| crawl::crawl_site(site, env.clone()))
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>();
        tokio::select! {
            done = all => Some(done),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    drop(env);
    // Dropping the runtime cancels crawls still running after an interrupt.
    drop(runtime);
    opts.observer.finish();
    let (mut found, pages, store) = writer
        .join()
        .map_err(|_| Error::Failed("the findings writer stopped".into()))?
        .map_err(Error::Failed)?;
    let scan = plan.scan;
    let finished_at = findings::now_rfc3339();
    let Some(mut summaries) = crawled else {
        if let Some(mut st) = store {
            st.finish_scan(&scan, &finished_at, "interrupted")?;
        }
        return Err(Error::Failed(format!(
            "interrupted: {} findings were reported before the stop{}",
            found.len(),
            opts.jsonl
                .as_ref()
                .map(|p| format!(" (in {})", p.display()))
                .unwrap_or_default()
        )));
    };
    if let Some(mut st) = store {
        st.finish_scan(&scan, &finished_at, "finished")?;
        if opts.resume {
            // The whole scan, not just what this run added.
            found = st.findings(&scan)?;
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
    Ok(ScanResult {
        scan,
        started_at: plan.started_at,
        finished_at,
        sites: summaries,
        findings: found,
        pages,
    })
}

/// The JSONL stream; a resumed scan appends to it, so what was reported stays.
fn open_jsonl(opts: &ScanOptions) -> Result<Option<BufWriter<File>>, Error> {
    let Some(path) = &opts.jsonl else {
        return Ok(None);
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(opts.resume)
        .truncate(!opts.resume)
        .open(path)
        .map_err(|e| {
            InputError::plain(format!("--jsonl {}: cannot create: {e}", path.display()))
        })?;
    Ok(Some(BufWriter::new(file)))
}

/// Which scan this run writes, and what it crawls.
struct Plan {
    scan: String,
    started_at: String,
    sites: Vec<Site>,
    resume: HashMap<String, SiteResume>,
}

/// A new scan: an id from the start time (a suffix when two scans start in
/// one second), recorded with the register's and every rule's hash.
fn plan_new(
    store: Option<&mut Store>,
    register: &Register,
    rules: &RuleSet,
) -> Result<Plan, Error> {
    let started = SystemTime::now();
    let started_at = findings::rfc3339(started);
    let base_id = findings::scan_id(started);
    let mut scan = base_id.clone();
    if let Some(store) = store {
        let taken: HashSet<String> = store.scans()?.into_iter().map(|s| s.id).collect();
        let mut n = 2;
        while taken.contains(&scan) {
            scan = format!("{base_id}-{n}");
            n += 1;
        }
        let rule_hashes: Vec<(String, String)> = rules
            .rules
            .iter()
            .map(|r| (r.id.clone(), r.hash()))
            .collect();
        let register_hash = std::fs::read(&register.path)
            .map(|b| findings::short_hash([String::from_utf8_lossy(&b).as_ref()]))
            .unwrap_or_default();
        let site_ids: Vec<String> = register.sites.iter().map(|s| s.id.clone()).collect();
        store.begin_scan(
            &scan,
            &started_at,
            &register.path.display().to_string(),
            &register_hash,
            &rule_hashes,
            &site_ids,
        )?;
    }
    Ok(Plan {
        scan,
        started_at,
        sites: register.sites.clone(),
        resume: HashMap::new(),
    })
}

/// The last unfinished scan: its sites that had not ended, each with what
/// was stored of it.
fn plan_resume(store: &mut Store, register: &Register) -> Result<Plan, Error> {
    let row = store.unfinished()?.ok_or_else(|| {
        InputError::plain(format!(
            "{}: nothing to resume: the last scan finished",
            store.path.display()
        ))
    })?;
    let done_sites = store.sites_done(&row.id)?;
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
    let resume = sites
        .iter()
        .map(|s| {
            let done = SiteResume {
                pages: pages.remove(&s.id).unwrap_or_default(),
                findings: found.remove(&s.id).unwrap_or_default(),
            };
            (s.id.clone(), done)
        })
        .collect();
    store.reopen(&row.id)?;
    Ok(Plan {
        scan: row.id,
        started_at: row.started,
        sites,
        resume,
    })
}

/// The one thread that writes: status from history, the store (a page and
/// its findings in one transaction), then the JSONL line.
fn spawn_writer(
    mut rx: tokio::sync::mpsc::Receiver<Event>,
    mut jsonl: Option<BufWriter<File>>,
    mut store: Option<Store>,
    keep_pages: bool,
    scan: String,
) -> Result<std::thread::JoinHandle<Result<Written, String>>, Error> {
    let text = |e: Error| e.to_string();
    std::thread::Builder::new()
        .name("findings-writer".into())
        .spawn(move || -> Result<Written, String> {
            let mut all = Vec::new();
            let mut pages = Vec::new();
            let mut write_line = |f: &Finding| -> Result<(), String> {
                if let Some(w) = jsonl.as_mut() {
                    let line = serde_json::to_string(f).map_err(|e| e.to_string())?;
                    w.write_all(line.as_bytes())
                        .and_then(|_| w.write_all(b"\n"))
                        .and_then(|_| w.flush())
                        .map_err(|e| format!("cannot write the JSONL file: {e}"))?;
                }
                Ok(())
            };
            while let Some(event) = rx.blocking_recv() {
                match event {
                    Event::Finding(f) => {
                        let mut f = *f;
                        if let Some(st) = store.as_mut() {
                            st.classify(&mut f).map_err(text)?;
                            st.finding(&f).map_err(text)?;
                        }
                        write_line(&f)?;
                        all.push(f);
                    }
                    Event::Page {
                        record,
                        mut findings,
                        links,
                    } => {
                        if let Some(st) = store.as_mut() {
                            for f in &mut findings {
                                st.classify(f).map_err(text)?;
                            }
                            st.page(&scan, &record, &links, &findings).map_err(text)?;
                        }
                        for f in findings {
                            write_line(&f)?;
                            all.push(f);
                        }
                        if keep_pages {
                            pages.push(*record);
                        }
                    }
                    Event::SiteDone(summary) => {
                        if let Some(st) = store.as_mut() {
                            st.site_done(&scan, &summary).map_err(text)?;
                        }
                    }
                }
            }
            Ok((all, pages, store))
        })
        .map_err(|e| Error::Failed(format!("cannot start the writer: {e}")))
}
