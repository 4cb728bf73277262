//! Reports for the follow-up meetings: per operator (or per site) a folder
//! with `report.html`, `findings.csv`, `findings.json` and `report.md`, and
//! an `index.html` over all of them.
//!
//! Every report says per site how much was read (pages fetched, skipped,
//! failed, crawl complete or not), so a clean site and an unreadable one
//! never look alike. Findings repeated on many pages of a site (same rule,
//! term, field and hidden) are one row with a page count and example URLs.
//! Page text is escaped everywhere; personal data is masked; CSV cells a
//! spreadsheet would run as formulas are neutralised; HTML carries a
//! Content-Security-Policy that forbids scripts and loads nothing.

mod assemble;
mod csv;
mod html;
mod json;
pub mod labels;
mod markdown;
mod names;
mod redact;
mod rows;

pub use assemble::{from_database, Options, Outcome};
pub use names::{folder_names, safe_name, MAX_FOLDER_BYTES};
pub use redact::{attr, esc, href_segment, is_hidden_control, markdown_text, mask, neutralise};
pub use rows::{group_rows, Grouper, Row};

use crate::crawl::records::SiteSummary;
use crate::error::{Error, InputError};
use crate::findings::Finding;
use crate::ignore::IgnoreList;
use crate::severity::Severity;
use csv::CsvOut;
use html::{html, html_head};
use json::JsonOut;
use labels::L;
use markdown::markdown;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Operator,
    Site,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Html,
    Csv,
    Json,
    Md,
}

impl Format {
    /// `html`, `csv`, `json` or `md`.
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "html" => Some(Format::Html),
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "md" => Some(Format::Md),
            _ => None,
        }
    }
}

/// A site in a report, as known before its findings are read.
#[derive(Clone, Debug)]
pub struct SiteReport {
    pub summary: SiteSummary,
    pub contact: Option<String>,
    /// The scan ended before this site's crawl did: its summary is made
    /// from the pages stored, and its findings are those found so far.
    pub unfinished: bool,
    /// (scan id, findings) over recent scans, oldest first.
    pub trend: Vec<(String, usize)>,
}

/// One report: an operator's (or a site's) sites.
#[derive(Clone, Debug)]
pub struct Report {
    pub title: String,
    pub folder: String,
    pub contact: Option<String>,
    pub sites: Vec<SiteReport>,
}

pub struct Context<'a> {
    pub scan: &'a str,
    pub scan_date: &'a str,
    /// The scan's state: `finished`, else `running` (still running, or
    /// killed), `interrupted` or `failed`.
    pub scan_state: &'a str,
    pub lang: Lang,
    pub expired: Vec<String>,
    /// Findings this ignores leave the reports and are counted per site.
    pub ignore: &'a IgnoreList,
    /// `YYYY-MM-DD`, for ignore entries that expire.
    pub today: &'a str,
}

/// Every finding of one site, handed over one at a time.
pub type Source<'s> =
    dyn FnMut(&str, &mut dyn FnMut(Finding) -> Result<(), Error>) -> Result<(), Error> + 's;

/// A site once its findings have been read: counts and report rows.
struct SiteRead {
    counts: [usize; 5],
    ignored: usize,
    rows: Vec<Row>,
}

impl SiteRead {
    fn total(&self) -> usize {
        self.counts.iter().sum()
    }
}

fn crawl_state(s: &SiteReport, l: &L) -> &'static str {
    match crawl_key(s) {
        "unfinished" => l.t("未完成", "unfinished"),
        "not read" => l.t("未能读取", "not read"),
        "complete" => l.t("完整", "complete"),
        _ => l.t("不完整", "incomplete"),
    }
}

/// How far a site's crawl got, as the JSON says it.
fn crawl_key(s: &SiteReport) -> &'static str {
    if s.unfinished {
        "unfinished"
    } else {
        s.summary.state()
    }
}

/// Sites of a report whose crawl did not end.
fn unfinished(report: &Report) -> usize {
    report.sites.iter().filter(|s| s.unfinished).count()
}

/// What a report says of a site whose crawl did not end.
fn unfinished_site(s: &SiteReport, l: &L) -> String {
    match l.lang {
        Lang::Zh => format!(
            "本网站的检查没有结束（检查批次中途停止）：已抓取 {} 个页面，失败 {} 个；以下是已发现的问题，结果不完整。",
            s.summary.pages_fetched, s.summary.pages_failed
        ),
        Lang::En => format!(
            "This site's inspection did not end (the scan stopped part way): {} pages fetched, {} failed; the findings below are those found so far.",
            s.summary.pages_fetched, s.summary.pages_failed
        ),
    }
}

impl Context<'_> {
    fn scan_finished(&self) -> bool {
        self.scan_state == "finished"
    }

    /// For a scan that did not finish: what to say at the top of a report
    /// (none for a finished scan).
    fn unfinished_notice(&self, unfinished_sites: usize) -> Option<String> {
        if self.scan_finished() {
            return None;
        }
        let l = L { lang: self.lang };
        let state = match self.scan_state {
            "running" => l.t(
                "未结束：仍在进行，或已被强行终止",
                "not ended: still running, or killed",
            ),
            "interrupted" => l.t("已中断", "interrupted"),
            "failed" => l.t("失败", "failed"),
            _ => l.t("未结束", "not ended"),
        };
        let sites = match (self.lang, unfinished_sites) {
            (Lang::Zh, 0) => "本报告中的网站均已检查完毕，但本批次的其他网站没有。".to_string(),
            (Lang::Zh, n) => format!(
                "{n} 个网站的检查没有结束，标为\u{201c}未完成\u{201d}。已发现的问题照常列出，但结果不完整；未发现问题不代表没有问题。"
            ),
            (Lang::En, 0) => {
                "Every site in this report was inspected to the end; other sites of the scan were not.".to_string()
            }
            (Lang::En, n) => format!(
                "{n} site{} marked “unfinished” were not inspected to the end: what was found is listed, but it is incomplete, and no findings does not mean clean.",
                if n == 1 { "" } else { "s" }
            ),
        };
        Some(format!(
            "{}（{}）{}",
            l.t("本次检查未完成", "This scan did not finish"),
            state,
            match self.lang {
                Lang::Zh => format!("：{sites}"),
                Lang::En => format!(". {sites}"),
            }
        ))
    }
}

/// What the index says of one report.
struct IndexRow {
    unfinished: usize,
    serious: usize,
    total: usize,
    ignored: usize,
    unread: usize,
}

/// Write one report: its findings are read site by site from `source`,
/// streamed into the CSV and JSON files and grouped into rows for the HTML
/// and Markdown, which are written once every site is read. Only this
/// report's rows are held in memory.
fn write_one(
    dir: &Path,
    r: &Report,
    formats: &[Format],
    ctx: &Context,
    source: &mut Source,
) -> Result<IndexRow, Error> {
    let l = L { lang: ctx.lang };
    let failed =
        |p: &Path, e: &dyn std::fmt::Display| Error::Failed(format!("{}: {e}", p.display()));
    let create = |name: &str| {
        let path = dir.join(name);
        File::create(&path)
            .map(|f| (f, path.clone()))
            .map_err(|e| failed(&path, &e))
    };
    let mut csv_out = match formats.contains(&Format::Csv) {
        true => {
            let (file, path) = create("findings.csv")?;
            Some((
                CsvOut::create(file, &l).map_err(|e| failed(&path, &e))?,
                path,
            ))
        }
        false => None,
    };
    let mut json_out = match formats.contains(&Format::Json) {
        true => {
            let (file, path) = create("findings.json")?;
            Some((
                JsonOut::create(file, r, ctx).map_err(|e| failed(&path, &e))?,
                path,
            ))
        }
        false => None,
    };
    let rows_wanted = formats.contains(&Format::Html) || formats.contains(&Format::Md);
    let mut read = Vec::with_capacity(r.sites.len());
    for site in &r.sites {
        let mut counts = [0; 5];
        let mut ignored = 0;
        let mut grouper = Grouper::default();
        source(&site.summary.site, &mut |f: Finding| {
            if ctx.ignore.ignores(&f, ctx.today).is_some() {
                ignored += 1;
                return Ok(());
            }
            counts[f.severity as usize] += 1;
            if let Some((out, path)) = csv_out.as_mut() {
                out.row(&f, site, &l).map_err(|e| failed(path, &e))?;
            }
            if let Some((out, path)) = json_out.as_mut() {
                out.finding(&f).map_err(|e| failed(path, &e))?;
            }
            if rows_wanted {
                grouper.add(f);
            }
            Ok(())
        })?;
        read.push(SiteRead {
            counts,
            ignored,
            rows: grouper.finish(),
        });
    }
    if let Some((out, path)) = csv_out {
        out.finish().map_err(|e| failed(&path, &e))?;
    }
    if let Some((out, path)) = json_out {
        out.finish(r, &read).map_err(|e| failed(&path, &e))?;
    }
    type Render = fn(&mut dyn Write, &Report, &[SiteRead], &Context) -> io::Result<()>;
    let renders: [(Format, &str, Render); 2] = [
        (Format::Html, "report.html", html),
        (Format::Md, "report.md", markdown),
    ];
    for (format, name, render) in renders {
        if formats.contains(&format) {
            let (file, path) = create(name)?;
            let mut w = BufWriter::new(file);
            render(&mut w, r, &read, ctx)
                .and_then(|_| w.into_inner().map(drop).map_err(|e| e.into_error()))
                .map_err(|e| failed(&path, &e))?;
        }
    }
    Ok(IndexRow {
        unfinished: unfinished(r),
        serious: read
            .iter()
            .map(|s| s.counts[Severity::High as usize] + s.counts[Severity::Critical as usize])
            .sum(),
        total: read.iter().map(SiteRead::total).sum(),
        ignored: read.iter().map(|s| s.ignored).sum(),
        unread: r
            .sites
            .iter()
            .filter(|s| !s.summary.reachable && !s.unfinished)
            .count(),
    })
}

/// Totals over the reports written.
#[derive(Clone, Copy, Debug, Default)]
pub struct Written {
    /// Findings in the reports.
    pub findings: usize,
    /// Findings the ignore file kept out of them.
    pub ignored: usize,
    /// Sites whose crawl did not end (the scan was cut off).
    pub unfinished: usize,
}

/// Write every report, one at a time, and the index; returns the index
/// path and totals.
pub fn write_all(
    out: &Path,
    reports: &[Report],
    formats: &[Format],
    ctx: &Context,
    source: &mut Source,
) -> Result<(PathBuf, Written), Error> {
    std::fs::create_dir_all(out).map_err(|e| {
        InputError::plain(format!(
            "{}: cannot create the report folder: {e}",
            out.display()
        ))
    })?;
    let root =
        std::fs::canonicalize(out).map_err(|e| Error::Failed(format!("{}: {e}", out.display())))?;
    let io = |p: &Path, e: std::io::Error| Error::Failed(format!("{}: {e}", p.display()));
    let mut rows = Vec::with_capacity(reports.len());
    let mut written = Written::default();
    for r in reports {
        let dir = root.join(&r.folder);
        // The folder name is made safe; make sure all the same.
        if dir.parent() != Some(root.as_path()) {
            return Err(Error::Failed(format!(
                "refusing to write outside {}",
                root.display()
            )));
        }
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        let row = write_one(&dir, r, formats, ctx, source)?;
        written.findings += row.total;
        written.ignored += row.ignored;
        written.unfinished += row.unfinished;
        rows.push(row);
    }
    let l = L { lang: ctx.lang };
    let mut h = html_head(l.t("网站自查报告索引", "Site inspection reports"), &l);
    let _ = write!(
        h,
        "<h1>{}</h1><p>{}：{}　{}：{}</p>",
        l.t("网站自查报告", "Site inspection reports"),
        l.t("检查时间", "Scan date"),
        esc(ctx.scan_date),
        l.t("检查批次", "Scan"),
        esc(ctx.scan),
    );
    let notice = ctx.unfinished_notice(written.unfinished);
    if let Some(notice) = &notice {
        let _ = write!(h, "<p class=\"warn\">{}</p>", esc(notice));
    }
    let _ = write!(
        h,
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>",
        l.t("责任单位", "Operator"),
        l.t("网站数", "Sites"),
        l.t("严重/高", "Critical/high"),
        l.t("问题总数", "Findings"),
        l.t("未能读取的网站", "Sites not read"),
    );
    if notice.is_some() {
        let _ = write!(
            h,
            "<th>{}</th>",
            l.t("检查未完成的网站", "Sites unfinished")
        );
    }
    h.push_str("</tr>");
    for (r, row) in reports.iter().zip(&rows) {
        let target = if formats.contains(&Format::Html) {
            "report.html"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr><td><a href=\"{}/{target}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            attr(&href_segment(&r.folder)),
            esc(&r.title),
            r.sites.len(),
            row.serious,
            row.total,
            row.unread
        );
        if notice.is_some() {
            let _ = write!(h, "<td>{}</td>", row.unfinished);
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    let shared = shared_hidden_domains(reports);
    if !shared.is_empty() {
        let _ = write!(
            h,
            "<h2>{}</h2><p class=\"muted\">{}</p><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
            l.t("多个网站隐藏链接指向的域名", "Domains several sites link to in hidden content"),
            l.t(
                "同一批暗链常被植入多个网站：这些域名出现在两个以上已登记网站的隐藏内容中。",
                "One spam network plants the same links on many sites: these domains appear in hidden content on two or more registered sites.",
            ),
            l.t("域名", "Domain"),
            l.t("网站", "Sites"),
            l.t("隐藏链接数", "Hidden links"),
        );
        for d in &shared {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&d.domain),
                esc(&d.sites.join("、")),
                d.hidden
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    let index = root.join("index.html");
    std::fs::write(&index, h).map_err(|e| io(&index, e))?;
    Ok((index, written))
}

/// Group sites into reports, by operator or by site, with unique safe
/// folder names.
pub fn build(sites: Vec<SiteReport>, by: By) -> Vec<Report> {
    let mut groups: BTreeMap<String, Vec<SiteReport>> = BTreeMap::new();
    for s in sites {
        let key = match by {
            By::Operator => s.summary.operator.clone(),
            By::Site => s.summary.site.clone(),
        };
        groups.entry(key).or_default().push(s);
    }
    let folders = folder_names(groups.keys().map(String::as_str));
    groups
        .into_iter()
        .zip(folders)
        .map(|((key, sites), folder)| {
            let title = match by {
                By::Operator => key,
                By::Site => sites[0].summary.name.clone(),
            };
            Report {
                title,
                folder,
                contact: sites.iter().find_map(|s| s.contact.clone()),
                sites,
            }
        })
        .collect()
}

/// A domain linked to in hidden content by several registered sites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedDomain {
    pub domain: String,
    /// The sites (names), in report order.
    pub sites: Vec<String>,
    /// Hidden links to it, over those sites.
    pub hidden: usize,
}

/// The domains that two or more sites of the reports link to in hidden
/// content, most sites first: the same spam network hits many sites.
pub fn shared_hidden_domains(reports: &[Report]) -> Vec<SharedDomain> {
    let mut by_domain: BTreeMap<&str, SharedDomain> = BTreeMap::new();
    for s in reports.iter().flat_map(|r| &r.sites) {
        for d in s.summary.outbound.domains.iter().filter(|d| d.hidden > 0) {
            let e = by_domain.entry(&d.domain).or_insert_with(|| SharedDomain {
                domain: d.domain.clone(),
                sites: Vec::new(),
                hidden: 0,
            });
            e.sites.push(s.summary.name.clone());
            e.hidden += d.hidden;
        }
    }
    let mut shared: Vec<SharedDomain> = by_domain
        .into_values()
        .filter(|d| d.sites.len() >= 2)
        .collect();
    shared.sort_by(|a, b| {
        b.sites
            .len()
            .cmp(&a.sites.len())
            .then(b.hidden.cmp(&a.hidden))
    });
    shared
}
