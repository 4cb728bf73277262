//! The reports of a stored scan: which scan, its sites (those whose crawl
//! never ended included, with what was stored of them), the ignore file
//! beside the scan's register, then every report written one at a time.

use super::{By, Format, Lang, SiteReport, Written};
use crate::crawl::records::SiteSummary;
use crate::error::Error;
use crate::ignore::IgnoreList;
use crate::register::Register;
use crate::store::{ScanRow, Store};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What to write.
#[derive(Clone, Debug)]
pub struct Options {
    /// A scan id; `None` or `latest` for the latest scan.
    pub scan: Option<String>,
    pub by: By,
    pub formats: Vec<Format>,
    pub out: PathBuf,
    pub lang: Lang,
    /// An ignore file; `None` for the one beside the scan's register.
    pub ignore: Option<PathBuf>,
    /// Only the sites of these operators (`serve`: what an operator
    /// account may see); `None` for every site.
    pub operators: Option<Vec<String>>,
    /// Entries applied besides the ignore file's (`serve`: the findings
    /// an admin marked 误报).
    pub extra_ignore: Vec<crate::ignore::Entry>,
}

/// What was written.
#[derive(Debug)]
pub struct Outcome {
    pub scan: ScanRow,
    /// Reports written (one per operator or site).
    pub reports: usize,
    /// `index.html`.
    pub index: PathBuf,
    pub written: Written,
}

/// Write the reports of a scan of the database `db`, opened read-only.
pub fn from_database(db: &Path, options: &Options) -> Result<Outcome, Error> {
    Store::read(db, |store| from_store(store, db, options))
}

/// The register a scan read. Scans store its absolute path; older ones
/// stored it as given, relative to where the scan ran: most likely beside
/// the database, else the working directory.
fn register_of_scan(stored: &str, db: &Path) -> PathBuf {
    let path = PathBuf::from(stored);
    if path.is_absolute() {
        return path;
    }
    match db.parent() {
        Some(dir) if dir.join(&path).is_file() => dir.join(&path),
        _ => path,
    }
}

fn from_store(store: &Store, db: &Path, args: &Options) -> Result<Outcome, Error> {
    let scans = store.scans()?;
    let scan = store.scan_row(args.scan.as_deref())?;
    let register = register_of_scan(&scan.register, db);
    // Any rule a stored scan ran is a rule an ignore entry may name.
    let mut rule_ids = Vec::new();
    for s in &scans {
        rule_ids.extend(store.rule_hashes(&s.id)?.into_keys());
    }
    let mut ignore = IgnoreList::locate(args.ignore.as_deref(), Some(&register), &rule_ids)?;
    ignore.entries.extend(args.extra_ignore.iter().cloned());
    // Findings an admin marked 误报 in `serve` act as ignore entries
    // (a database from before the workflow has none).
    ignore
        .entries
        .extend(crate::workflow::false_positive_entries(store).unwrap_or_default());
    let today = crate::time::today();
    let mut sites = Vec::new();
    for summary in store.site_summaries(&scan.id)? {
        sites.push(SiteReport {
            trend: store.trend(&summary.site, 8)?,
            contact: summary.contact.clone(),
            summary,
            unfinished: false,
        });
    }
    for summary in unfinished_sites(store, &scan, &register, &sites)? {
        sites.push(SiteReport {
            trend: store.trend(&summary.site, 8)?,
            contact: summary.contact.clone(),
            summary,
            unfinished: true,
        });
    }
    if let Some(ops) = &args.operators {
        sites.retain(|s| ops.contains(&s.summary.operator));
    }
    let reports = super::build(sites, args.by);
    let expired: Vec<String> = ignore
        .expired(&today)
        .iter()
        .map(|e| format!("{}（{}）", e.reason, e.expires.as_deref().unwrap_or("")))
        .collect();
    let ctx = super::Context {
        scan: &scan.id,
        scan_date: scan.started.get(..10).unwrap_or(&scan.started),
        scan_state: &scan.state,
        lang: args.lang,
        expired,
        ignore: &ignore,
        today: &today,
    };
    // One report at a time, each site's findings read from the store as
    // they are written: memory follows the largest report, not the scan.
    let (index, written) = super::write_all(
        &args.out,
        &reports,
        &args.formats,
        &ctx,
        &mut |site, each| store.each_finding_of_site(&scan.id, site, each),
    )?;
    Ok(Outcome {
        reports: reports.len(),
        index,
        written,
        scan,
    })
}

/// Sites of a scan whose crawl never ended (selected, or with pages or
/// findings stored, but no summary): a summary made from what was stored,
/// with the name, operator and start URL from the register if it can
/// still be read. Their findings are reported like any other, marked
/// unfinished, rather than left out.
fn unfinished_sites(
    store: &Store,
    scan: &ScanRow,
    register: &Path,
    done: &[SiteReport],
) -> Result<Vec<SiteSummary>, Error> {
    let done: HashSet<&str> = done.iter().map(|s| s.summary.site.as_str()).collect();
    let mut seen = HashSet::new();
    let mut ids: Vec<String> = Vec::new();
    for id in scan
        .sites
        .iter()
        .cloned()
        .chain(store.sites_stored(&scan.id)?)
    {
        if !done.contains(id.as_str()) && seen.insert(id.clone()) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let listed = Register::load(register)
        .map(|r| r.sites)
        .unwrap_or_default();
    let pages = store.pages_counted(&scan.id)?;
    let mut out = Vec::new();
    for id in ids {
        let site = listed.iter().find(|s| s.id == id);
        let operator = match site {
            Some(s) => s.operator.clone(),
            None => store
                .operator_of(&scan.id, &id)?
                .unwrap_or_else(|| "-".into()),
        };
        let (fetched, failed) = pages.get(&id).copied().unwrap_or((0, 0));
        out.push(SiteSummary {
            name: site.map_or_else(|| id.clone(), |s| s.name.clone()),
            operator,
            contact: site.and_then(|s| s.contact.clone()),
            start_url: site.map_or_else(String::new, |s| s.url.to_string()),
            pages_fetched: fetched,
            pages_failed: failed,
            reachable: fetched > 0,
            complete: false,
            site: id,
            ..SiteSummary::default()
        });
    }
    Ok(out)
}
