//! `sitesweep scan`: the scan, its summary table and its exit code.

use super::{exit, load_rules_for, progress, terminal_safe};
use sitesweep::error::Error;
use sitesweep::ignore::IgnoreList;
use sitesweep::register::Register;
use sitesweep::scan::{ScanOptions, ScanResult};
use sitesweep::severity::Severity;
use sitesweep::store::Store;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Options of `sitesweep scan`.
pub struct ScanArgs {
    pub sites: PathBuf,
    pub rules: Option<PathBuf>,
    pub db: PathBuf,
    pub ignore: Option<PathBuf>,
    pub jsonl: Option<PathBuf>,
    pub site: Vec<String>,
    pub fail_on: Option<Severity>,
    pub concurrency: usize,
    pub quiet: bool,
    pub resume: bool,
}

/// `sitesweep scan`: crawl the register's sites, stream findings, summarise.
pub fn scan(args: ScanArgs) -> Result<u8, Error> {
    let mut register = Register::load(&args.sites)?;
    register.select(&args.site)?;
    // Stored with the scan: `report` finds the ignore file beside it from
    // wherever it runs.
    if let Ok(abs) = std::path::absolute(&register.path) {
        register.path = abs;
    }
    let rules = Arc::new(load_rules_for(args.rules.as_deref(), Some(&args.sites))?);
    let rule_ids: Vec<String> = rules.rules.iter().map(|r| r.id.clone()).collect();
    let ignore = IgnoreList::locate(args.ignore.as_deref(), Some(&args.sites), &rule_ids)?;
    eprintln!(
        "scanning {} site{} of {}",
        register.sites.len(),
        if register.sites.len() == 1 { "" } else { "s" },
        args.sites.display()
    );
    let observer: Arc<dyn sitesweep::crawl::observer::Observer> = if args.quiet {
        Arc::new(sitesweep::crawl::observer::Silent)
    } else {
        progress::for_stderr(register.sites.len())
    };
    let notifier = register
        .notify
        .clone()
        .map(sitesweep::notify::Notifier::new);
    let result = sitesweep::scan::run(
        &register,
        rules,
        ScanOptions {
            jsonl: args.jsonl.clone(),
            db: Some(args.db.clone()),
            concurrency: args.concurrency,
            resume: args.resume,
            keep_records: false,
            observer,
            stop: None,
            answered: ignore.clone(),
        },
    );
    let result = match (result, &notifier) {
        (Err(e @ Error::Failed(_)), Some(n)) => {
            // A failed or interrupted scan is told too; its exit code stays 3.
            for o in sitesweep::notify::scan_failed(n, &register, Some(&args.db), &e.to_string()) {
                if !o.sent() {
                    eprintln!("{}", sitesweep::notify::describe(&o));
                }
            }
            return Err(e);
        }
        (result, _) => result?,
    };
    print_summary(&result);
    if !result.unfinished.is_empty() {
        println!(
            "{} site{} of scan {} not crawled yet ({}); `sitesweep scan --resume` finishes them",
            result.unfinished.len(),
            if result.unfinished.len() == 1 {
                ""
            } else {
                "s"
            },
            result.scan,
            result.unfinished.join(", ")
        );
    }
    // The verdict is read back from the store one finding at a time: a
    // scan's findings are never all held in memory.
    let today = sitesweep::ignore::today();
    let (mut ignored, mut worst) = (0usize, None::<Severity>);
    Store::open_read_only(&args.db, false)?.each_finding(&result.scan, |f| {
        if ignore.ignores(&f, &today).is_some() {
            ignored += 1;
        } else {
            worst = worst.max(Some(f.severity));
        }
    })?;
    if ignored > 0 {
        println!(
            "{} finding{} ignored by {}",
            ignored,
            if ignored == 1 { "" } else { "s" },
            ignore
                .path
                .as_deref()
                .map_or_else(String::new, |p| p.display().to_string())
        );
    }
    for e in ignore.expired(&today) {
        println!(
            "expired ignore entry ({}:{}, expired {}): applies no more: {}",
            ignore
                .path
                .as_deref()
                .map_or_else(String::new, |p| p.display().to_string()),
            e.line,
            e.expires.as_deref().unwrap_or(""),
            e.reason
        );
    }
    // Notifications after the scan: a failure is printed and recorded in
    // the database, and never changes the exit code.
    if let Some(n) = &notifier {
        match sitesweep::notify::after_scan(n, &register, &args.db, &result.scan, &ignore) {
            Ok(outcomes) => {
                for o in outcomes {
                    eprintln!("{}", sitesweep::notify::describe(&o));
                }
            }
            Err(e) => eprintln!("notifications not sent: {e}"),
        }
    }
    println!("scan {} stored in {}", result.scan, args.db.display());
    if let Some(path) = &args.jsonl {
        println!("findings: {}", path.display());
    }
    Ok(exit_code(worst, args.fail_on))
}

/// 1 when the worst finding is at or above `--fail-on`; otherwise 0.
pub fn exit_code(worst: Option<Severity>, fail_on: Option<Severity>) -> u8 {
    match (worst, fail_on) {
        (Some(worst), Some(level)) if worst >= level => exit::FINDINGS,
        _ => exit::OK,
    }
}

/// The per-site table printed at the end of a scan.
pub fn print_summary(result: &ScanResult) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\nscan {} ({} → {})",
        result.scan, result.started_at, result.finished_at
    );
    let width = result
        .sites
        .iter()
        .map(|s| s.site.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "{:width$}   pages failed skipped  crit high  med  low info  crawl",
        "site"
    );
    for s in &result.sites {
        let b = s.by_severity;
        let _ = writeln!(
            out,
            "{:width$}  {:>6} {:>6} {:>7}  {:>4} {:>4} {:>4} {:>4} {:>4}  {}",
            s.site,
            s.pages_fetched,
            s.pages_failed,
            s.pages_skipped,
            b[Severity::Critical as usize],
            b[Severity::High as usize],
            b[Severity::Medium as usize],
            b[Severity::Low as usize],
            b[Severity::Info as usize],
            s.state()
        );
    }
    for s in result.sites.iter().filter(|s| !s.notes.is_empty()) {
        for n in &s.notes {
            let _ = writeln!(out, "  {}: {}", s.site, terminal_safe(n));
        }
    }
    let total = result.total_findings;
    let pages: usize = result.sites.iter().map(|s| s.pages_fetched).sum();
    let memory = peak_memory_mib()
        .map(|m| format!(", peak memory {m} MiB"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{total} finding{} in {} sites, {pages} pages{memory}",
        if total == 1 { "" } else { "s" },
        result.sites.len()
    );
}

/// Peak resident memory of this process (Linux), in MiB.
pub fn peak_memory_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
