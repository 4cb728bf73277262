//! The commands behind the command line: each takes parsed options, does
//! its work through the engine modules, prints for a person, and returns
//! the exit code. `main.rs` only parses flags and calls these.

use sitesweep::analyse::{self, Body, Kind};
use sitesweep::crawl::fetch::Fetcher;
use sitesweep::crawl::{robots, SiteSummary};
use sitesweep::decode;
use sitesweep::diff::Change;
use sitesweep::error::{Error, InputError};
use sitesweep::findings::Finding;
use sitesweep::ignore::IgnoreList;
use sitesweep::page::Page;
use sitesweep::register::{self, Register, Settings};
use sitesweep::report::{By, Format, Lang};
use sitesweep::rules::{self, builtin, tooling, RuleSet};
use sitesweep::scan::{self, ScanOptions, ScanResult};
use sitesweep::severity::Severity;
use sitesweep::store::Store;

pub mod demo;
pub mod progress;
pub mod server;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use url::Url;

pub use sitesweep::error::exit;

/// Load the rule set a command works with and say which packs it is.
fn load_rules(dir: Option<&Path>) -> Result<RuleSet, Error> {
    load_rules_for(dir, None)
}

/// Rules for a register: `--rules`, else `rules/` beside the register, else built in.
fn load_rules_for(dir: Option<&Path>, register: Option<&Path>) -> Result<RuleSet, Error> {
    let dir = rules::resolve_dir(dir, register);
    let set = rules::load(dir.as_deref())?;
    eprintln!("{}", describe_rules(&set, dir.as_deref()));
    Ok(set)
}

/// "loaded 6 rule packs, 17 rules from rules/: gambling.toml (2), …"
pub fn describe_rules(set: &RuleSet, dir: Option<&Path>) -> String {
    let from = match dir {
        Some(d) => d.display().to_string(),
        None => "the built-in packs".to_string(),
    };
    let packs: Vec<String> = set
        .packs
        .iter()
        .map(|p| {
            let name = p.path.file_name().map_or_else(
                || p.path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            format!("{name} ({})", p.rules)
        })
        .collect();
    format!(
        "loaded {} rule packs, {} rules from {from}: {}",
        set.packs.len(),
        set.rules.len(),
        packs.join(", ")
    )
}

/// `sitesweep rules test`: every rule's own tests.
pub fn rules_test(dir: Option<&Path>) -> Result<u8, Error> {
    let set = load_rules(dir)?;
    let report = tooling::run_tests(&set);
    let mut out = std::io::stdout().lock();
    for f in &report.failures {
        let rule = &set.rules[f.rule];
        let what = if f.expected_hit {
            "a `hit` string did not hit"
        } else {
            "a `miss` string hit"
        };
        let _ = writeln!(
            out,
            "FAIL {} rule `{}`: {what}: {:?}",
            rule.loc, rule.id, f.text
        );
        for d in &f.detail {
            let _ = writeln!(out, "     {d}");
        }
    }
    let _ = writeln!(
        out,
        "rule tests: {} passed, {} failed",
        report.passed,
        report.failures.len()
    );
    Ok(if report.failures.is_empty() {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

/// `sitesweep rules lint`: validate (exit 2 on a bad pack), then warn.
pub fn rules_lint(dir: Option<&Path>) -> Result<u8, Error> {
    let set = load_rules(dir)?;
    let warnings = tooling::lint(&set);
    let mut out = std::io::stdout().lock();
    for w in &warnings {
        let _ = writeln!(out, "{}: warning: {}", w.loc, w.message);
    }
    let _ = writeln!(
        out,
        "{} rules checked, {} warning{}",
        set.rules.len(),
        warnings.len(),
        if warnings.len() == 1 { "" } else { "s" }
    );
    Ok(exit::OK)
}

/// What `rules explain` looks at.
pub enum ExplainInput {
    Text(String),
    /// A text file, or an HTML page (by extension or content).
    File(PathBuf),
    /// A page fetched now (loopback and private addresses allowed: you
    /// asked for this one URL).
    Url(String),
}

/// `sitesweep rules explain`: every hit, and every match that was dropped
/// and why.
pub fn rules_explain(input: ExplainInput, dir: Option<&Path>) -> Result<u8, Error> {
    let set = load_rules(dir)?;
    let page = match input {
        ExplainInput::Text(t) => Page::from_text(t),
        ExplainInput::File(path) => file_page(&path)?,
        ExplainInput::Url(text) => fetch_page(&text)?,
    };
    let result = tooling::explain(&set, &page);
    let mut out = std::io::stdout().lock();
    for hit in &result.hits {
        let rule = &set.rules[hit.rule];
        let _ = writeln!(
            out,
            "HIT  {} [{}, {}] term `{}` matched `{}` at {}",
            rule.id,
            rule.category,
            rule.severity,
            terminal_safe(set.term(hit)),
            terminal_safe(hit.matched(&page)),
            place(&page, hit.block, hit.start),
        );
        let _ = writeln!(out, "     {}", terminal_safe(&hit.snippet(&page)));
    }
    for r in &result.rejected {
        let rule = &set.rules[r.hit.rule];
        let _ = writeln!(
            out,
            "DROP {} term `{}` matched `{}` at {}: {}",
            rule.id,
            terminal_safe(set.term(&r.hit)),
            terminal_safe(r.hit.matched(&page)),
            place(&page, r.hit.block, r.hit.start),
            terminal_safe(&r.reason.to_string()),
        );
    }
    let _ = writeln!(
        out,
        "{} hit{}, {} dropped",
        result.hits.len(),
        if result.hits.len() == 1 { "" } else { "s" },
        result.rejected.len()
    );
    Ok(exit::OK)
}

/// Page text for the terminal: escape sequences (ESC, CSI), other control
/// characters (but line feed and tab) and bidi controls are dropped, so a
/// page cannot retitle, clear or recolour the terminal, or reorder what is
/// shown.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(sitesweep::report::is_hidden_control) || text.contains('\r') {
        text.chars()
            .filter(|&c| !sitesweep::report::is_hidden_control(c) && c != '\r')
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// A file read as a scan reads a body of its kind (a `.js` file as a
/// script of the site, `.html` or HTML content as a page); any other file
/// as plain text.
fn file_page(path: &Path) -> Result<Page, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| InputError::plain(format!("{}: cannot read: {e}", path.display())))?;
    let abs = std::fs::canonicalize(path).unwrap_or(path.to_path_buf());
    let url = Url::from_file_path(&abs)
        .unwrap_or_else(|_| Url::parse("file:///page.html").expect("valid URL"));
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let content_type = match ext.as_deref() {
        Some("html" | "htm") => Some("text/html"),
        Some("js") => Some("application/javascript"),
        _ => None,
    };
    let body = Body {
        url: &url,
        bytes: &bytes,
        content_type,
        truncated: false,
    };
    Ok(match Kind::of(&body) {
        Kind::Other | Kind::Sitemap => {
            Page::from_text(decode::decode(&bytes, None, None, false).text)
        }
        kind => analyse::read(&body, kind).page,
    })
}

/// A page fetched now and read as a scan reads it.
fn fetch_page(text: &str) -> Result<Page, Error> {
    let url = Url::parse(text)
        .ok()
        .filter(|u| u.scheme() == "http" || u.scheme() == "https")
        .ok_or_else(|| InputError::plain(format!("--url {text}: not an http(s) URL")))?;
    let settings = Settings {
        allow_private: true,
        ..Settings::default()
    };
    let fetcher = Fetcher::new(&settings).map_err(Error::Failed)?;
    let runtime = runtime()?;
    let fetched = runtime
        .block_on(fetcher.fetch(&url, &|_: &Url| true))
        .map_err(|e| Error::Failed(format!("{url}: {e}")))?;
    let body = Body {
        url: &fetched.final_url,
        bytes: &fetched.body,
        content_type: fetched.content_type.as_deref(),
        truncated: fetched.truncated,
    };
    let kind = Kind::of(&body);
    eprintln!(
        "fetched {} (HTTP {}, {} bytes, read as {})",
        terminal_safe(fetched.final_url.as_str()),
        fetched.status,
        fetched.body.len(),
        kind.name()
    );
    Ok(analyse::read(&body, kind).page)
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))
}

/// "line 3, column 7 (text)" for a byte offset in a block.
fn place(page: &Page, block: usize, offset: usize) -> String {
    let b = &page.blocks[block];
    let before = &b.text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let hidden = if b.hidden { ", hidden" } else { "" };
    if page.blocks.len() == 1 {
        format!("line {line}, column {column} ({}{hidden})", b.field)
    } else {
        format!(
            "block {block} line {line}, column {column} ({}{hidden})",
            b.field
        )
    }
}

/// `sitesweep rules init DIR`: write the built-in packs out for editing.
pub fn rules_init(dir: &Path) -> Result<u8, Error> {
    let existing: Vec<String> = builtin::FILES
        .iter()
        .filter(|(name, _)| dir.join(name).exists())
        .map(|(name, _)| dir.join(name).display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(InputError::plain(format!(
            "{}: would overwrite {}; choose an empty directory",
            dir.display(),
            existing.join(", ")
        ))
        .into());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Failed(format!("{}: cannot create: {e}", dir.display())))?;
    for (name, text) in builtin::FILES {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| Error::Failed(format!("{}: cannot write: {e}", path.display())))?;
    }
    println!(
        "wrote {} files to {}; use them with --rules {} or put them in rules/ beside your register",
        builtin::FILES.len(),
        dir.display(),
        dir.display()
    );
    Ok(exit::OK)
}

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
    let result = scan::run(
        &register,
        rules,
        ScanOptions {
            jsonl: args.jsonl.clone(),
            db: Some(args.db.clone()),
            concurrency: args.concurrency,
            resume: args.resume,
            keep_records: false,
            observer,
        },
    )?;
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
            crawl_state(s)
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

fn crawl_state(s: &SiteSummary) -> &'static str {
    if !s.reachable {
        "not read"
    } else if s.complete {
        "complete"
    } else {
        "incomplete"
    }
}

/// `sitesweep sites check`: validate the register and probe each start URL.
pub fn sites_check(path: &Path) -> Result<u8, Error> {
    let register = Register::load(path)?;
    eprintln!(
        "register {}: {} sites ({}), valid; probing start URLs…",
        path.display(),
        register.sites.len(),
        register.encoding
    );
    let runtime = runtime()?;
    let rows: Vec<[String; 7]> = runtime.block_on(async {
        use futures_util::stream::{self, StreamExt};
        stream::iter(register.sites.iter())
            .map(probe)
            .buffered(8)
            .collect()
            .await
    });
    let headers = [
        "site",
        "status",
        "final URL",
        "charset",
        "robots.txt",
        "time",
        "note",
    ];
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(&headers.map(String::from)));
    for r in &rows {
        println!("{}", line(r));
    }
    Ok(exit::OK)
}

async fn probe(site: &register::Site) -> [String; 7] {
    let fetcher = match Fetcher::new(&site.settings) {
        Ok(f) => f,
        Err(e) => {
            return [
                site.id.clone(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                e,
            ]
        }
    };
    let mut url = site.url.clone();
    let mut result = fetcher.fetch(&url, &|_: &Url| true).await;
    if site.try_http {
        (url, result) = fetcher.http_fallback(url, result).await;
    }
    match result {
        Ok(f) => {
            let body = Body {
                url: &f.final_url,
                bytes: &f.body,
                content_type: f.content_type.as_deref(),
                truncated: f.truncated,
            };
            let charset = if Kind::of(&body) == Kind::Html {
                decode::decode(&f.body, f.content_type.as_deref(), None, f.truncated)
                    .charset
                    .to_string()
            } else {
                f.content_type.clone().unwrap_or_else(|| "-".into())
            };
            let robots =
                match robots::fetch(&fetcher, &f.final_url, &site.settings.user_agent).await {
                    r if r.present() => "present".to_string(),
                    robots::Robots::DisallowAll(cause) => format!("blocks all ({cause})"),
                    robots::Robots::Unreachable(e) => format!("no answer ({e}): blocks all"),
                    _ => "none".to_string(),
                };
            let note = if f.final_url != url {
                "redirected".to_string()
            } else {
                String::new()
            };
            [
                site.id.clone(),
                f.status.to_string(),
                f.final_url.to_string(),
                charset,
                robots,
                format!("{} ms", f.elapsed.as_millis()),
                note,
            ]
        }
        Err(e) => [
            site.id.clone(),
            e.kind.name().to_string(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            e.message,
        ],
    }
}

/// `sitesweep demo`: serve the sample sites, scan them, show the results.
pub fn demo(out: &Path) -> Result<u8, Error> {
    std::fs::create_dir_all(out)
        .map_err(|e| InputError::plain(format!("--out {}: cannot create: {e}", out.display())))?;
    let sites =
        demo::start().map_err(|e| Error::Failed(format!("cannot start the demo sites: {e}")))?;
    let rules = Arc::new(RuleSet::compile(rules::Packs::builtin())?);
    eprintln!("{}", describe_rules(&rules, None));
    eprintln!(
        "demo: {} sample sites on 127.0.0.1",
        sites.register.sites.len()
    );
    for s in &sites.register.sites {
        eprintln!("  {:9} {}  {}", s.id, s.url, s.name);
    }
    let jsonl = out.join("findings.jsonl");
    let result = scan::run(
        &sites.register,
        rules,
        ScanOptions {
            jsonl: Some(jsonl.clone()),
            db: Some(out.join("sitesweep.db")),
            concurrency: scan::DEFAULT_CONCURRENCY,
            resume: false,
            keep_records: true,
            observer: progress::for_stderr(sites.register.sites.len()),
        },
    )?;
    print_findings(&result);
    print_summary(&result);
    let reports = out.join("reports");
    report(ReportArgs {
        db: out.join("sitesweep.db"),
        scan: Some(result.scan.clone()),
        by: By::Operator,
        formats: vec![Format::Html, Format::Csv, Format::Json, Format::Md],
        out: reports,
        lang: Lang::Zh,
        ignore: None,
    })?;
    println!("findings (one JSON object a line): {}", jsonl.display());
    Ok(exit::OK)
}

/// A short listing of findings per site, for the demo, grouped as the
/// reports group them.
fn print_findings(result: &ScanResult) {
    let mut out = std::io::stdout().lock();
    for s in &result.sites {
        let mine: Vec<Finding> = result
            .findings
            .iter()
            .filter(|f| f.site == s.site)
            .cloned()
            .collect();
        let _ = writeln!(out, "\n{} {} ({} findings)", s.site, s.name, mine.len());
        for row in sitesweep::report::group_rows(&mine) {
            let f = &row.finding;
            let what = if f.matched.is_empty() {
                f.snippet.clone()
            } else {
                format!(
                    "`{}` in {}{}: {}",
                    f.matched,
                    f.field.map_or("-", |x| x.name()),
                    if f.hidden { " (hidden)" } else { "" },
                    f.snippet
                )
            };
            let place = match row.pages.len() {
                1 => row.pages[0].clone(),
                n => format!("{} and {} more pages", row.pages[0], n - 1),
            };
            let also = if row.also.is_empty() {
                String::new()
            } else {
                format!(" (also: {})", row.also.join(", "))
            };
            let _ = writeln!(
                out,
                "  {:8} {:26} {}  {}{also}",
                f.severity.name(),
                f.rule,
                terminal_safe(&sitesweep::report::mask(&place)),
                terminal_safe(&sitesweep::report::mask(&what))
            );
        }
    }
}

/// Options of `sitesweep report`.
pub struct ReportArgs {
    pub db: PathBuf,
    pub scan: Option<String>,
    pub by: By,
    pub formats: Vec<Format>,
    pub out: PathBuf,
    pub lang: Lang,
    pub ignore: Option<PathBuf>,
}

/// `sitesweep report`: the per-operator reports of a scan.
pub fn report(args: ReportArgs) -> Result<u8, Error> {
    let options = sitesweep::report::Options {
        scan: args.scan,
        by: args.by,
        formats: args.formats,
        out: args.out,
        lang: args.lang,
        ignore: args.ignore,
    };
    let done = sitesweep::report::from_database(&args.db, &options)?;
    let (scan, written) = (&done.scan, &done.written);
    println!(
        "{} report{} for scan {} ({} findings, {} ignored)",
        done.reports,
        if done.reports == 1 { "" } else { "s" },
        scan.id,
        written.findings,
        written.ignored
    );
    if scan.state != "finished" {
        println!(
            "scan {} did not finish ({}): {} site{} unfinished; {} in the reports, marked unfinished",
            scan.id,
            scan.state,
            written.unfinished,
            if written.unfinished == 1 { "" } else { "s" },
            if written.unfinished == 1 { "it is" } else { "they are" }
        );
    }
    println!("{}", done.index.display());
    Ok(exit::OK)
}

/// `sitesweep diff`: what changed between two scans.
pub fn diff(db: &Path, from: Option<String>, to: Option<String>, json: bool) -> Result<u8, Error> {
    let (from_id, to_id, changes) = Store::read(db, |store| {
        sitesweep::diff::between(store, from.as_deref(), to.as_deref())
    })?;
    print_diff(&from_id, &to_id, &changes, json);
    Ok(exit::OK)
}

fn print_diff(from_id: &str, to_id: &str, changes: &[sitesweep::diff::Changed], json: bool) {
    let mut out = std::io::stdout().lock();
    if json {
        // The JSON lines are a machine stream of findings like `scan
        // --jsonl`, for the operator's own follow-up and other tools: like
        // the JSONL stream and the database (docs/contract.md#personal-data-in-findings), they keep
        // personal data whole. The table below is a printed view, and
        // masks it as reports do.
        for c in changes {
            let _ = writeln!(out, "{}", serde_json::to_string(c).unwrap_or_default());
        }
        return;
    }
    let count = |k: Change| changes.iter().filter(|c| c.change == k).count();
    let _ = writeln!(
        out,
        "{from_id} → {to_id}: {} new, {} persisting, {} resolved, {} unverified",
        count(Change::New),
        count(Change::Persisting),
        count(Change::Resolved),
        count(Change::Unverified)
    );
    for c in changes {
        let f = &c.finding;
        let what = if f.matched.is_empty() {
            f.snippet.clone()
        } else {
            f.matched.clone()
        };
        let _ = writeln!(
            out,
            "{:10} {:8} {:10} {:26} {}  {}",
            c.change.name(),
            f.severity.name(),
            f.site,
            terminal_safe(&f.rule),
            terminal_safe(&sitesweep::report::mask(&f.url)),
            terminal_safe(&sitesweep::report::mask(&what))
        );
    }
}
