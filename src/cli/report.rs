//! `sitesweep report` and `sitesweep diff`.

use super::{exit, terminal_safe};
use sitesweep::diff::Change;
use sitesweep::error::Error;
use sitesweep::report::Options;
use sitesweep::store::Store;
use std::io::Write;
use std::path::Path;

/// `sitesweep report`: the reports of a scan of the database `db`.
pub fn report(db: &Path, options: &Options) -> Result<u8, Error> {
    let done = sitesweep::report::from_database(db, options)?;
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
