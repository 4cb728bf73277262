//! `sitesweep demo`: sample sites served on 127.0.0.1, scanned with the
//! built-in packs, reports written — no set-up, no network.

use super::report::report;
use super::scan::print_summary;
use super::{describe_rules, exit, progress, sample_sites, terminal_safe};
use sitesweep::error::{Error, InputError};
use sitesweep::findings::Finding;
use sitesweep::report::{By, Format, Lang, Options};
use sitesweep::rules::RuleSet;
use sitesweep::scan::{ScanOptions, ScanResult};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// `sitesweep demo`: serve the sample sites, scan them, show the results.
pub fn demo(out: &Path, serve: bool) -> Result<u8, Error> {
    std::fs::create_dir_all(out)
        .map_err(|e| InputError::plain(format!("--out {}: cannot create: {e}", out.display())))?;
    let mut sites = sample_sites::start()
        .map_err(|e| Error::Failed(format!("cannot start the demo sites: {e}")))?;
    let register = out.join("sites.toml");
    if serve {
        sites
            .write_register(&register)
            .map_err(|e| Error::Failed(format!("cannot write {}: {e}", register.display())))?;
    }
    let rules = Arc::new(RuleSet::compile(sitesweep::rules::Packs::builtin())?);
    eprintln!("{}", describe_rules(&rules, None));
    eprintln!(
        "demo: {} sample sites on 127.0.0.1",
        sites.register.sites.len()
    );
    for s in &sites.register.sites {
        eprintln!("  {:9} {}  {}", s.id, s.url, s.name);
    }
    let jsonl = out.join("findings.jsonl");
    let result = sitesweep::scan::run(
        &sites.register,
        rules,
        ScanOptions {
            jsonl: Some(jsonl.clone()),
            db: Some(out.join("sitesweep.db")),
            keep_records: true,
            observer: progress::for_stderr(sites.register.sites.len()),
            ..ScanOptions::default()
        },
    )?;
    print_findings(&result);
    print_summary(&result);
    let reports = out.join("reports");
    report(
        &out.join("sitesweep.db"),
        &Options {
            scan: Some(result.scan.clone()),
            by: By::Operator,
            formats: vec![Format::Html, Format::Csv, Format::Json, Format::Md],
            out: reports,
            lang: Lang::Zh,
            ignore: None,
            operators: None,
            extra_ignore: Vec::new(),
        },
    )?;
    println!("findings (one JSON object a line): {}", jsonl.display());
    if serve {
        serve_demo(&out.join("sitesweep.db"), &register)?;
    }
    drop(sites);
    Ok(exit::OK)
}

/// `demo --serve`: the web interface on 127.0.0.1 over the demo's
/// database, with a demo admin (a fresh password each run), until Ctrl-C.
/// The sample sites stay up meanwhile, and a service on the register
/// written beside the database runs what the web interface asks for
/// (re-scans, re-checks); no schedules, no availability probes.
fn serve_demo(db: &Path, register: &Path) -> Result<(), Error> {
    use sitesweep::accounts;
    use sitesweep::schedule::{Stop, SystemClock, Zone};
    use sitesweep::service::{Service, ServiceOptions};
    let password = accounts::random_token()[..16].to_string();
    {
        let store = sitesweep::store::Store::open(db)?;
        let _ = accounts::remove_user(&store, "demo");
        accounts::add_user(&store, "demo", &accounts::Role::Admin, &password)?;
    }
    let stop = Arc::new(Stop::default());
    let service = Arc::new(Service::start(
        ServiceOptions {
            register: register.to_path_buf(),
            db: db.to_path_buf(),
            rules: None,
            concurrency: 4,
            zone: Zone::Local,
            probes: false,
        },
        Arc::new(SystemClock),
        stop.clone(),
        Arc::new(|line: &str| eprintln!("{}", terminal_safe(line))),
    )?);
    let jobs = {
        let service = service.clone();
        std::thread::Builder::new()
            .name("web-jobs".into())
            .spawn(move || service.run_jobs_until_stopped())
            .map_err(|e| Error::Failed(format!("cannot start the job thread: {e}")))?
    };
    let web = Arc::new(sitesweep::web::Web::new(
        db.to_path_buf(),
        Some(service),
        true,
    )?);
    let runtime = super::runtime()?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| Error::Failed(format!("cannot listen on 127.0.0.1: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Failed(e.to_string()))?;
    println!("\nweb interface: http://{addr}/  login: demo  password: {password}");
    println!("(Ctrl-C to stop)");
    let _ = std::io::stdout().flush();
    let served = runtime
        .block_on(sitesweep::web::serve(listener, web, async {
            let _ = tokio::signal::ctrl_c().await;
        }))
        .map_err(|e| Error::Failed(format!("web interface: {e}")));
    stop.stop();
    let _ = jobs.join();
    served
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
                    "`{}` in {}{}{}: {}",
                    f.matched,
                    f.field.map_or("-", |x| x.name()),
                    if f.hidden { " (hidden)" } else { "" },
                    f.probe
                        .as_deref()
                        .map(|p| format!(", seen only by the {p} probe"))
                        .unwrap_or_default(),
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
