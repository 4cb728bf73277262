//! What the user sees while a scan runs: progress bars on a terminal (an
//! overall bar and a line per site in flight), plain log lines otherwise.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use sitesweep::crawl::observer::Observer;
use sitesweep::crawl::records::SiteSummary;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;
use url::Url;

/// One line per site started and finished, on stderr.
pub struct LogLines;

impl Observer for LogLines {
    fn site_started(&self, site: &str, name: &str) {
        eprintln!("[{site}] start: {name}");
    }
    fn page_done(&self, _: &str, _: &Url, _: usize, _: usize) {}
    fn site_done(&self, s: &SiteSummary) {
        eprintln!(
            "[{}] done: {} pages, {} failed, {} findings{}",
            s.site,
            s.pages_fetched,
            s.pages_failed,
            s.findings,
            if s.reachable { "" } else { " (not reachable)" }
        );
    }
}

/// indicatif bars: an overall bar and a spinner per site in flight.
pub struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    sites: Mutex<HashMap<String, ProgressBar>>,
    totals: Mutex<(usize, usize)>,
}

impl Bars {
    pub fn new(total_sites: usize) -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(total_sites as u64));
        overall.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} sites  {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        Bars {
            multi,
            overall,
            sites: Mutex::new(HashMap::new()),
            totals: Mutex::new((0, 0)),
        }
    }
}

impl Observer for Bars {
    fn site_started(&self, site: &str, name: &str) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("  {spinner} {prefix:.bold} {msg}")
                .expect("valid template"),
        );
        bar.set_prefix(format!("{site} {name}"));
        bar.enable_steady_tick(Duration::from_millis(200));
        self.sites
            .lock()
            .expect("progress lock")
            .insert(site.to_string(), bar);
    }

    fn page_done(&self, site: &str, url: &Url, pages: usize, findings: usize) {
        if let Some(bar) = self.sites.lock().expect("progress lock").get(site) {
            bar.set_message(format!(
                "{pages} pages, {findings} findings  {}",
                url.path()
            ));
        }
        let mut t = self.totals.lock().expect("progress lock");
        t.0 += 1;
        self.overall.set_message(format!("{} pages", t.0));
    }

    fn site_done(&self, s: &SiteSummary) {
        if let Some(bar) = self.sites.lock().expect("progress lock").remove(&s.site) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        let mut t = self.totals.lock().expect("progress lock");
        t.1 += s.findings;
        self.overall.inc(1);
        let _ = self.multi.println(format!(
            "  {} {}: {} pages, {} findings{}",
            if s.reachable { "✓" } else { "✗" },
            s.site,
            s.pages_fetched,
            s.findings,
            if s.reachable { "" } else { " (not reachable)" }
        ));
    }

    fn finish(&self) {
        self.overall.finish_and_clear();
    }
}

/// Bars on a terminal, log lines otherwise.
pub fn for_stderr(total_sites: usize) -> std::sync::Arc<dyn Observer> {
    if std::io::stderr().is_terminal() {
        std::sync::Arc::new(Bars::new(total_sites))
    } else {
        std::sync::Arc::new(LogLines)
    }
}
