//! `findings.json`: the findings (masked), one a line, then per-site counts.

use super::{crawl_key, redact::mask, Context, Report, SiteRead};
use crate::findings::Finding;
use crate::severity::Severity;
use std::fs::File;
use std::io::{self, BufWriter, Write};

pub(super) fn masked(f: &Finding) -> Finding {
    let mut m = f.clone();
    m.url = mask(&m.url);
    m.matched = mask(&m.matched);
    m.term = mask(&m.term);
    m.snippet = mask(&m.snippet);
    m.referrer = m.referrer.as_deref().map(mask);
    m
}

/// `findings.json`: the findings (one a line) are written as they are
/// read; the per-site counts follow them.
pub(super) struct JsonOut {
    pub(super) w: BufWriter<File>,
    pub(super) first: bool,
}

impl JsonOut {
    pub(super) fn create(file: File, report: &Report, ctx: &Context) -> io::Result<JsonOut> {
        let mut w = BufWriter::new(file);
        let fields: [(&str, serde_json::Value); 6] = [
            ("scan", ctx.scan.into()),
            ("scan_date", ctx.scan_date.into()),
            ("scan_state", ctx.scan_state.into()),
            ("scan_finished", ctx.scan_finished().into()),
            ("report", report.title.as_str().into()),
            ("contact", report.contact.as_deref().into()),
        ];
        w.write_all(b"{")?;
        for (key, value) in fields {
            write!(w, "\n  \"{key}\": {value},")?;
        }
        // The object stays open for the findings and the sites.
        w.write_all(b"\n  \"findings\": [")?;
        Ok(JsonOut { w, first: true })
    }

    pub(super) fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let sep = if self.first { "" } else { "," };
        self.first = false;
        write!(self.w, "{sep}\n    ")?;
        serde_json::to_writer(&mut self.w, &masked(f)).map_err(io::Error::other)
    }

    pub(super) fn finish(mut self, report: &Report, read: &[SiteRead]) -> io::Result<()> {
        let sites: Vec<serde_json::Value> = report
            .sites
            .iter()
            .zip(read)
            .map(|(s, r)| {
                let c = r.counts;
                serde_json::json!({
                    "site": s.summary.site,
                    "name": s.summary.name,
                    "start_url": s.summary.start_url,
                    "pages_fetched": s.summary.pages_fetched,
                    "pages_skipped": s.summary.pages_skipped,
                    "pages_failed": s.summary.pages_failed,
                    "reachable": s.summary.reachable,
                    "complete": s.summary.complete && !s.unfinished,
                    "crawl": crawl_key(s),
                    "unfinished": s.unfinished,
                    "notes": s.summary.notes.iter().map(|n| mask(n)).collect::<Vec<_>>(),
                    "findings": {
                        "critical": c[Severity::Critical as usize],
                        "high": c[Severity::High as usize],
                        "medium": c[Severity::Medium as usize],
                        "low": c[Severity::Low as usize],
                        "info": c[Severity::Info as usize],
                    },
                    "ignored": r.ignored,
                })
            })
            .collect();
        let sites = serde_json::to_string_pretty(&sites).unwrap_or_default();
        let sites = sites.replace('\n', "\n  ");
        let close = if self.first { "]" } else { "\n  ]" };
        write!(self.w, "{close},\n  \"sites\": {sites}\n}}\n")?;
        self.w.into_inner().map(drop).map_err(|e| e.into_error())
    }
}
