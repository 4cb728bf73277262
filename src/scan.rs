//! A scan: every selected site of a register crawled (several at once),
//! every finding streamed to the JSONL file as soon as it is known (one line
//! each, flushed), and a summary per site at the end.

use crate::crawl::{self, CrawlEnv, Event, PageRecord, SiteSummary};
use crate::error::{Error, InputError};
use crate::findings::{self, Finding};
use crate::progress::Observer;
use crate::register::Register;
use crate::rules::RuleSet;
use futures_util::stream::{self, StreamExt};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// Sites crawled at once unless `--concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

pub struct ScanOptions {
    /// Stream every finding here, one JSON object a line.
    pub jsonl: Option<PathBuf>,
    /// Sites in flight at once.
    pub concurrency: usize,
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
    let mut jsonl = match &opts.jsonl {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| {
                InputError::plain(format!("--jsonl {}: cannot create: {e}", path.display()))
            })?,
        )),
        None => None,
    };
    let started = SystemTime::now();
    let scan = findings::scan_id(started);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;

    // Findings flow through a bounded channel to one writer: a slow disk
    // slows the crawl down instead of losing findings.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Event>(1024);
    let keep_pages = opts.keep_pages;
    let writer = std::thread::Builder::new()
        .name("findings-writer".into())
        .spawn(move || -> Result<(Vec<Finding>, Vec<PageRecord>), String> {
            let mut all = Vec::new();
            let mut pages = Vec::new();
            while let Some(event) = rx.blocking_recv() {
                let f = match event {
                    Event::Finding(f) => *f,
                    Event::Page(p) => {
                        if keep_pages {
                            pages.push(*p);
                        }
                        continue;
                    }
                };
                if let Some(w) = jsonl.as_mut() {
                    let line = serde_json::to_string(&f).map_err(|e| e.to_string())?;
                    w.write_all(line.as_bytes())
                        .and_then(|_| w.write_all(b"\n"))
                        .and_then(|_| w.flush())
                        .map_err(|e| format!("cannot write the JSONL file: {e}"))?;
                }
                all.push(f);
            }
            Ok((all, pages))
        })
        .map_err(|e| Error::Failed(format!("cannot start the writer: {e}")))?;

    let env = Arc::new(CrawlEnv {
        scan: scan.clone(),
        rules,
        sink: tx,
        observer: opts.observer.clone(),
        pages_in_flight: Arc::new(tokio::sync::Semaphore::new(crawl::PAGES_IN_FLIGHT)),
    });
    let sites: Vec<_> = register.sites.iter().cloned().map(Arc::new).collect();
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
    let (found, pages) = writer
        .join()
        .map_err(|_| Error::Failed("the findings writer stopped".into()))?
        .map_err(Error::Failed)?;
    let Some(mut summaries) = crawled else {
        return Err(Error::Failed(format!(
            "interrupted: {} findings were reported before the stop{}",
            found.len(),
            opts.jsonl
                .as_ref()
                .map(|p| format!(" (in {})", p.display()))
                .unwrap_or_default()
        )));
    };
    let order: std::collections::HashMap<&str, usize> = register
        .sites
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    summaries.sort_by_key(|s| order.get(s.site.as_str()).copied().unwrap_or(usize::MAX));
    Ok(ScanResult {
        scan,
        started_at: findings::rfc3339(started),
        finished_at: findings::now_rfc3339(),
        sites: summaries,
        findings: found,
        pages,
    })
}
