//! `report.html`: one self-contained, printable page per report, with SVG
//! charts; a Content-Security-Policy forbids scripts and loads nothing.

use super::{
    crawl_state,
    labels::L,
    redact::{attr, esc, mask},
    unfinished, unfinished_site, Context, Report, SiteRead,
};
use crate::crawl::records::SiteSummary;
use crate::findings::Finding;
use crate::severity::Severity;
use std::fmt::Write as _;
use std::io::{self, Write};

pub(super) const COLORS: [&str; 5] = ["#8c8c8c", "#5b8def", "#e0a800", "#e8590c", "#c92a2a"];

pub(super) fn bar_chart(counts: [usize; 5], l: &L) -> String {
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let mut svg = String::from(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"260\" height=\"110\" role=\"img\">",
    );
    for (i, sev) in Severity::ALL.iter().rev().enumerate() {
        let n = counts[*sev as usize];
        let w = (n as f64 / max as f64 * 150.0).round() as usize;
        let y = i * 21 + 2;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"50\" y=\"{y}\" width=\"{w}\" height=\"16\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{n}</text>",
            y + 13,
            esc(l.severity(*sev)),
            COLORS[*sev as usize],
            55 + w,
            y + 13
        );
    }
    svg.push_str("</svg>");
    svg
}

pub(super) fn trend_chart(trend: &[(String, usize)]) -> String {
    if trend.len() < 2 {
        return String::new();
    }
    let max = trend.iter().map(|t| t.1).max().unwrap_or(0).max(1);
    let step = 200.0 / (trend.len() - 1) as f64;
    let points: Vec<String> = trend
        .iter()
        .enumerate()
        .map(|(i, (_, n))| {
            format!(
                "{:.0},{:.0}",
                10.0 + i as f64 * step,
                70.0 - *n as f64 / max as f64 * 60.0
            )
        })
        .collect();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"220\" height=\"80\" role=\"img\"><polyline fill=\"none\" stroke=\"#c92a2a\" stroke-width=\"2\" points=\"{}\"/>",
        points.join(" ")
    );
    for (p, (_, n)) in points.iter().zip(trend) {
        let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
        let _ = write!(svg, "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"#c92a2a\"/><text x=\"{x}\" y=\"78\" font-size=\"10\" text-anchor=\"middle\">{n}</text>");
    }
    svg.push_str("</svg>");
    svg
}

/// The snippet, masked and escaped, with the matched text marked.
pub(super) fn highlighted(f: &Finding) -> String {
    let snippet = mask(&f.snippet);
    let matched = mask(&f.matched);
    if matched.is_empty() {
        return esc(&snippet).into_owned();
    }
    match snippet.find(&matched) {
        Some(i) => format!(
            "{}<mark>{}</mark>{}",
            esc(&snippet[..i]),
            esc(&matched),
            esc(&snippet[i + matched.len()..])
        ),
        None => esc(&snippet).into_owned(),
    }
}

pub(super) const STYLE: &str = "body{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:4px 6px;vertical-align:top;font-size:13px}\
th{background:#f0f0f0}td.url{word-break:break-all;max-width:28em}mark{background:#ffe066}\
.sev-critical{color:#c92a2a;font-weight:bold}.sev-high{color:#e8590c;font-weight:bold}.sev-medium{color:#b08900}\
.fix{min-width:8em}.muted{color:#777}.warn{border:2px solid #c92a2a;padding:.5em;font-weight:bold}.charts{display:flex;gap:2em}\
@media print{.site{page-break-before:always}a{color:#000;text-decoration:none}body{margin:0}}";

pub(super) fn html_head(title: &str, l: &L) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        l.html_lang(),
        esc(title)
    )
}

/// A link only for http(s) URLs; anything else is shown as text.
pub(super) fn link(url: &str) -> String {
    let shown = mask(url);
    if url.starts_with("http://") || url.starts_with("https://") {
        format!("<a href=\"{}\">{}</a>", attr(&shown), esc(&shown))
    } else {
        esc(&shown).into_owned()
    }
}

pub(super) fn html(
    w: &mut dyn Write,
    report: &Report,
    read: &[SiteRead],
    ctx: &Context,
) -> io::Result<()> {
    let l = L { lang: ctx.lang };
    w.write_all(
        html_head(
            &format!(
                "{} {}",
                report.title,
                l.t("网站自查报告", "site inspection report")
            ),
            &l,
        )
        .as_bytes(),
    )?;
    write!(
        w,
        "<h1>{} — {}</h1><p>{}：{}　{}：{}　{}：{}</p>",
        esc(&report.title),
        l.t("网站安全自查报告", "Website self-inspection report"),
        l.t("联系人", "Contact"),
        esc(report.contact.as_deref().unwrap_or("-")),
        l.t("检查时间", "Scan date"),
        esc(ctx.scan_date),
        l.t("检查批次", "Scan"),
        esc(ctx.scan),
    )?;
    if let Some(notice) = ctx.unfinished_notice(unfinished(report)) {
        write!(w, "<p class=\"warn\">{}</p>", esc(&notice))?;
    }
    write!(
        w,
        "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        l.t("概况", "Summary"),
        l.t("网站", "Site"),
        l.t("抓取页面", "Pages fetched"),
        l.t("跳过", "Skipped"),
        l.t("失败", "Failed"),
        l.t("检查", "Crawl"),
        l.severity(Severity::Critical),
        l.severity(Severity::High),
        l.severity(Severity::Medium),
        l.severity(Severity::Low),
        l.severity(Severity::Info),
        l.t("已忽略", "Ignored"),
    )?;
    for (s, r) in report.sites.iter().zip(read) {
        let c = r.counts;
        write!(
            w,
            "<tr><td>{}（{}）</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.summary.name),
            esc(&s.summary.site),
            s.summary.pages_fetched,
            s.summary.pages_skipped,
            s.summary.pages_failed,
            crawl_state(s, &l),
            c[Severity::Critical as usize],
            c[Severity::High as usize],
            c[Severity::Medium as usize],
            c[Severity::Low as usize],
            c[Severity::Info as usize],
            r.ignored
        )?;
    }
    w.write_all(b"</table>")?;
    if !ctx.expired.is_empty() {
        write!(
            w,
            "<p class=\"muted\">{}：{}</p>",
            l.t(
                "已过期的忽略条目（不再生效）",
                "Expired ignore entries (no longer applied)"
            ),
            esc(&ctx.expired.join("；"))
        )?;
    }
    for (s, r) in report.sites.iter().zip(read) {
        write!(
            w,
            "<section class=\"site\"><h2>{}（{}）</h2><p>{}：{}　{}：{}</p>",
            esc(&s.summary.name),
            esc(&s.summary.site),
            l.t("网址", "URL"),
            link(&s.summary.start_url),
            l.t("检查情况", "Crawl"),
            crawl_state(s, &l)
        )?;
        if s.unfinished {
            write!(w, "<p class=\"warn\">{}</p>", esc(&unfinished_site(s, &l)))?;
        }
        for note in &s.summary.notes {
            write!(w, "<p class=\"muted\">{}</p>", esc(&mask(note)))?;
        }
        outside(w, &s.summary, &l)?;
        write!(
            w,
            "<div class=\"charts\">{}{}</div>",
            bar_chart(r.counts, &l),
            trend_chart(&s.trend)
        )?;
        if r.rows.is_empty() {
            let msg = if s.unfinished {
                l.t(
                    "检查未结束，目前未发现问题；这不代表网站没有问题。",
                    "No findings so far, but the inspection did not end: this does not mean the site is clean.",
                )
            } else if s.summary.reachable {
                l.t(
                    "本次检查未发现问题。",
                    "No findings: the site was read and is clean.",
                )
            } else {
                l.t(
                    "网站未能读取，见上方原因。",
                    "The site could not be read; see the cause above.",
                )
            };
            write!(w, "<p>{msg}</p></section>")?;
            continue;
        }
        write!(
            w,
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th class=\"fix\">{}</th></tr>",
            l.t("级别", "Severity"),
            l.t("问题", "Issue"),
            l.t("状态", "Status"),
            l.t("页面", "Pages"),
            l.t("位置", "Field"),
            l.t("隐藏", "Hidden"),
            l.t("内容", "Evidence"),
            l.t("首次发现", "First seen"),
            l.t("整改情况", "Remediation"),
        )?;
        for row in &r.rows {
            let f = &row.finding;
            let mut pages = String::new();
            for u in row.pages.iter().take(3) {
                let _ = write!(pages, "{}<br>", link(u));
            }
            if row.pages.len() > 3 {
                let _ = write!(
                    pages,
                    "{} {} {}",
                    l.t("等", "and"),
                    row.pages.len(),
                    l.t("个页面", "pages in all")
                );
            }
            let also = if row.also.is_empty() {
                String::new()
            } else {
                format!(
                    "<br><span class=\"muted\">{}{}</span>",
                    l.t("同时属于：", "also: "),
                    esc(&row.also.join("、"))
                )
            };
            let referrer = f
                .referrer
                .as_deref()
                .map(|r| {
                    format!(
                        "<br><span class=\"muted\">{}: {}</span>",
                        l.t("来源页", "linked from"),
                        link(r)
                    )
                })
                .unwrap_or_default();
            write!(
                w,
                "<tr><td class=\"sev-{}\">{}</td><td>{}<br><span class=\"muted\">{}</span>{also}</td><td>{}</td><td class=\"url\">{pages}{referrer}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"fix\"></td></tr>",
                f.severity.name(),
                l.severity(f.severity),
                esc(l.rule_title(f)),
                esc(&f.rule),
                esc(l.status(&f.status)),
                {
                    let mut place = l.field(f.field).to_string();
                    if let Some(loc) = f.location.as_deref() {
                        let _ = write!(place, "<br>{}", esc(&mask(loc)));
                    }
                    if let Some(k) = f.kind.as_deref() {
                        let _ = write!(place, "<br>{}", l.link_kind(k));
                    }
                    if let Some(p) = f.probe.as_deref() {
                        let _ = write!(
                            place,
                            "<br><span class=\"warn\">{}{}</span>",
                            l.probe(p),
                            l.t("所见", " saw")
                        );
                    }
                    place
                },
                if f.hidden { l.t("是", "yes") } else { "" },
                highlighted(f),
                esc(f.first_seen.get(..10).unwrap_or(&f.first_seen)),
            )?;
        }
        w.write_all(b"</table></section>")?;
    }
    w.write_all(b"</body></html>\n")
}

/// What the site takes from and links to other sites, and the second
/// looks taken: for spotting a spam network or a loader script by eye.
fn outside(w: &mut dyn Write, s: &SiteSummary, l: &L) -> io::Result<()> {
    if !s.probes.is_empty() {
        let runs: Vec<String> = s
            .probes
            .iter()
            .map(|p| {
                format!(
                    "{} {} {}{}",
                    l.probe(&p.probe),
                    p.pages,
                    l.t("页", "pages"),
                    if p.differed > 0 {
                        format!("（{} {}）", p.differed, l.t("页不同", "differed"))
                    } else {
                        String::new()
                    }
                )
            })
            .collect();
        write!(
            w,
            "<p class=\"muted\">{}：{}</p>",
            l.t("二次查看", "Second looks"),
            esc(&runs.join("；"))
        )?;
    }
    if !s.script_hosts.is_empty() {
        write!(
            w,
            "<p class=\"muted\">{}：{}</p>",
            l.t("外部脚本和框架来源", "Scripts and frames from"),
            esc(&s.script_hosts.join("、"))
        )?;
    }
    let o = &s.outbound;
    if !o.domains.is_empty() {
        let shown: Vec<String> = o
            .domains
            .iter()
            .take(20)
            .map(|d| {
                if d.hidden > 0 {
                    format!(
                        "{}（{}，{} {}）",
                        d.domain,
                        d.links,
                        l.t("隐藏", "hidden"),
                        d.hidden
                    )
                } else {
                    format!("{}（{}）", d.domain, d.links)
                }
            })
            .collect();
        write!(
            w,
            "<p class=\"muted\">{}：{}{}</p>",
            l.t("外链域名（链接数）", "Links to other sites (links)"),
            esc(&shown.join("、")),
            if o.domains.len() > shown.len() {
                format!(" {} {}", l.t("等", "and more:"), o.domains.len())
            } else {
                String::new()
            }
        )?;
    }
    if s.documents_read + s.documents_unreadable + s.images_checked > 0 {
        write!(
            w,
            "<p class=\"muted\">{}：{} {}，{} {}；{}：{} {}，{} {}</p>",
            l.t("附件", "Documents"),
            s.documents_read,
            l.t("个已读取", "read"),
            s.documents_unreadable,
            l.t("个无法读取", "unreadable"),
            l.t("图片", "Images"),
            s.images_checked,
            l.t("个已检查", "checked"),
            s.images_broken,
            l.t("个失效", "broken"),
        )?;
    }
    if o.checked + o.refused + o.over_budget > 0 {
        write!(
            w,
            "<p class=\"muted\">{}：{} {}，{} {}，{} {}</p>",
            l.t("外链检查", "Outbound links checked"),
            o.checked,
            l.t("个已检查", "checked"),
            o.refused,
            l.t("个指向内网地址未检查", "refused (internal addresses)"),
            o.over_budget,
            l.t("个超出检查上限", "over the budget"),
        )?;
    }
    Ok(())
}
