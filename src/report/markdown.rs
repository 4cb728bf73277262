//! `report.md`: for pasting into a written notice; page text inert.

use super::{
    crawl_state, labels::L, redact::markdown_text, unfinished, unfinished_site, Context, Report,
    SiteRead,
};
use std::io::{self, Write};

/// Markdown for pasting into a written notice.
pub(super) fn markdown(
    w: &mut dyn Write,
    report: &Report,
    read: &[SiteRead],
    ctx: &Context,
) -> io::Result<()> {
    let l = L { lang: ctx.lang };
    let cell = markdown_text;
    write!(
        w,
        "# {} — {}\n\n{}：{}　{}：{}\n\n",
        cell(&report.title),
        l.t("网站安全自查报告", "Website self-inspection report"),
        l.t("检查时间", "Scan date"),
        cell(ctx.scan_date),
        l.t("检查批次", "Scan"),
        cell(ctx.scan)
    )?;
    if let Some(notice) = ctx.unfinished_notice(unfinished(report)) {
        write!(w, "**{}**\n\n", cell(&notice))?;
    }
    for (s, r) in report.sites.iter().zip(read) {
        write!(
            w,
            "## {}（{}）\n\n{}：{}，{}：{}，{}：{}，{}：{}\n\n",
            cell(&s.summary.name),
            cell(&s.summary.site),
            l.t("抓取页面", "pages fetched"),
            s.summary.pages_fetched,
            l.t("失败", "failed"),
            s.summary.pages_failed,
            l.t("检查", "crawl"),
            crawl_state(s, &l),
            l.t("问题", "findings"),
            r.total()
        )?;
        if s.unfinished {
            write!(w, "**{}**\n\n", cell(&unfinished_site(s, &l)))?;
        }
        if r.rows.is_empty() {
            continue;
        }
        writeln!(
            w,
            "| {} | {} | {} | {} | {} |\n|---|---|---|---|---|",
            l.t("级别", "Severity"),
            l.t("问题", "Issue"),
            l.t("页面", "Pages"),
            l.t("内容", "Evidence"),
            l.t("首次发现", "First seen")
        )?;
        for row in &r.rows {
            let f = &row.finding;
            let pages = if row.pages.len() > 1 {
                format!(
                    "{} {} {}",
                    cell(&row.pages[0]),
                    l.t("等", "and"),
                    row.pages.len()
                )
            } else {
                cell(&row.pages[0])
            };
            let title = if row.also.is_empty() {
                l.rule_title(f).to_string()
            } else {
                format!(
                    "{}（{}{}）",
                    l.rule_title(f),
                    l.t("同时属于：", "also: "),
                    row.also.join("、")
                )
            };
            writeln!(
                w,
                "| {} | {} | {} | {} | {} |",
                l.severity(f.severity),
                cell(&title),
                pages,
                cell(&{
                    let mut evidence = f.snippet.clone();
                    if let Some(loc) = f.location.as_deref() {
                        evidence = format!("（{loc}）{evidence}");
                    }
                    if let Some(p) = f.probe.as_deref() {
                        evidence = format!("（{}{}）{evidence}", l.probe(p), l.t("所见", " saw"));
                    }
                    evidence
                }),
                cell(f.first_seen.get(..10).unwrap_or(&f.first_seen))
            )?;
        }
        w.write_all(b"\n")?;
    }
    Ok(())
}
