//! The pages, written by hand: every string from a page, a register or a
//! person goes through [`esc`] (text) or [`attr`] (attribute values), as
//! in the reports. No scripts; the style sheet is `/static/style.css`.

use super::data::{Filter, Item, SiteNow};
use crate::accounts::User;
use crate::report::labels::L;
use crate::report::{attr, esc, mask, Lang};
use crate::severity::Severity;
use crate::workflow::{LogEntry, State};
use std::fmt::Write as _;

pub const STYLE: &str = "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:0;color:#222}
header{background:#1f3a5f;color:#fff;padding:.5em 1em;display:flex;gap:1em;align-items:center;flex-wrap:wrap}
header a{color:#fff}header form{display:inline;margin:0}main{padding:1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0}.critical,.high{color:#b00020;font-weight:bold}.medium{color:#b35c00}.low{color:#555}
.snippet{font-family:monospace;white-space:pre-wrap;background:#f7f7f7;padding:.5em;max-width:60em;word-break:break-all}
.muted{color:#666}.warn{color:#b00020}form.inline{display:inline}label{margin-right:.5em}
.state-closed{color:#2e7d32}.state-false-positive{color:#666}.state-reopened{color:#b00020}.state-fixed{color:#1565c0}
textarea{width:30em;height:4em}nav.pages a{margin-right:.5em}";

pub fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

pub fn state_label(lang: Lang, s: State) -> &'static str {
    match lang {
        Lang::Zh => s.zh(),
        Lang::En => s.en(),
    }
}

/// The page frame: header with the account and a logout button.
pub fn layout(lang: Lang, title: &str, user: Option<(&User, &str)>, body: &str) -> String {
    let mut h = String::with_capacity(body.len() + 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{} · sitesweep</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><header><strong>sitesweep</strong>",
        t(lang, "zh-CN", "en"),
        esc(title)
    );
    if let Some((u, csrf)) = user {
        let _ = write!(
            h,
            "<a href=\"/\">{}</a><a href=\"/findings\">{}</a><a href=\"/reports\">{}</a><span class=\"who\">{} ({})</span>",
            t(lang, "总览", "Dashboard"),
            t(lang, "问题", "Findings"),
            t(lang, "报告下载", "Reports"),
            esc(&u.login),
            esc(&u.describe()),
        );
        if !csrf.is_empty() {
            let _ = write!(
                h,
                "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>{}</button></form>",
                attr(csrf),
                t(lang, "退出", "Log out")
            );
        }
    }
    let _ = write!(
        h,
        "<a href=\"?lang={}\">{}</a></header><main>{body}</main></body></html>",
        t(lang, "en", "zh"),
        t(lang, "English", "中文")
    );
    h
}

pub fn login(lang: Lang, message: Option<&str>) -> String {
    let mut b = String::new();
    let _ = write!(b, "<h1>{}</h1>", t(lang, "登录", "Log in"));
    if let Some(m) = message {
        let _ = write!(b, "<p class=\"warn\">{}</p>", esc(m));
    }
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/login\"><p><label>{} <input name=\"login\" autocomplete=\"username\" required></label></p><p><label>{} <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label></p><p><button>{}</button></p></form>",
        t(lang, "账号", "Login"),
        t(lang, "密码", "Password"),
        t(lang, "登录", "Log in")
    );
    layout(lang, t(lang, "登录", "Log in"), None, &b)
}

fn sev_cell(l: &L, s: Severity) -> String {
    format!("<span class=\"{}\">{}</span>", s.name(), l.severity(s))
}

/// Dashboard: per operator its sites, open findings by severity, last scan, availability.
pub fn dashboard(
    lang: Lang,
    user: &User,
    csrf: &str,
    sites: &[SiteNow],
    items: &[Item],
    availability: &[(String, String)],
    trends: &[(String, Vec<usize>)],
) -> String {
    let l = L { lang };
    let mut b = String::new();
    let _ = write!(b, "<h1>{}</h1>", t(lang, "总览", "Dashboard"));
    if sites.is_empty() {
        let _ = write!(
            b,
            "<p class=\"muted\">{}</p>",
            t(
                lang,
                "还没有可查看的检查结果。",
                "No scan results to show yet."
            )
        );
    }
    let _ = write!(
        b,
        "<table><tr><th>{}</th><th>{}</th>",
        t(lang, "责任单位", "Operator"),
        t(lang, "网站", "Site")
    );
    for s in Severity::ALL.iter().rev() {
        let _ = write!(b, "<th>{}</th>", sev_cell(&l, *s));
    }
    let _ = write!(
        b,
        "<th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "问题数趋势（最近几次检查）", "Findings, last scans"),
        t(lang, "最近检查", "Last scan"),
        t(lang, "读取情况", "Crawl"),
        t(lang, "可用性（7天）", "Availability (7 days)")
    );
    for s in sites {
        let id = &s.summary.site;
        let mut counts = [0usize; 5];
        for i in items
            .iter()
            .filter(|i| &i.finding.site == id && i.state.is_open())
        {
            counts[i.finding.severity as usize] += 1;
        }
        let _ = write!(
            b,
            "<tr><td>{}</td><td><a href=\"/sites/{}\">{}</a> <span class=\"muted\">{}</span></td>",
            esc(&s.summary.operator),
            attr(&crate::report::href_segment(id)),
            esc(&s.summary.name),
            esc(id)
        );
        for sev in Severity::ALL.iter().rev() {
            let n = counts[*sev as usize];
            if n == 0 {
                b.push_str("<td>0</td>");
            } else {
                let q = Filter {
                    site: id.clone(),
                    severity: sev.name().into(),
                    status: "open-all".into(),
                    ..Filter::default()
                }
                .query();
                let _ = write!(b, "<td><a href=\"/findings?{}\">{n}</a></td>", attr(&q));
            }
        }
        let avail = availability
            .iter()
            .find(|(site, _)| site == id)
            .map_or("-", |(_, a)| a.as_str());
        let trend = trends
            .iter()
            .find(|(site, _)| site == id)
            .map(|(_, counts)| {
                counts
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(" → ")
            })
            .unwrap_or_default();
        let _ = write!(b, "<td>{}</td>", esc(&trend));
        let _ = write!(
            b,
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(s.started.get(..16).unwrap_or(&s.started)),
            esc(&format!(
                "{} {} / {}",
                s.summary.pages_fetched,
                t(lang, "页", "pages"),
                if s.summary.complete {
                    t(lang, "完整", "complete")
                } else {
                    t(lang, "未完成", "incomplete")
                }
            )),
            esc(avail)
        );
    }
    b.push_str("</table>");
    if user.is_admin() {
        let _ = write!(
            b,
            "<p><a href=\"/ignore.toml\">{}</a></p>",
            t(
                lang,
                "导出误报（忽略文件格式）",
                "Export false positives (ignore file format)"
            )
        );
    }
    layout(lang, t(lang, "总览", "Dashboard"), Some((user, csrf)), &b)
}

fn select(name: &str, label: &str, options: &[(String, String)], current: &str) -> String {
    let mut h = format!(
        "<label>{} <select name=\"{}\"><option value=\"\">*</option>",
        esc(label),
        attr(name)
    );
    for (v, text) in options {
        let _ = write!(
            h,
            "<option value=\"{}\"{}>{}</option>",
            attr(v),
            if v == current { " selected" } else { "" },
            esc(text)
        );
    }
    h.push_str("</select></label>");
    h
}

pub const PER_PAGE: usize = 50;

/// The findings list with its filters and pages.
#[allow(clippy::too_many_arguments)]
pub fn findings(
    lang: Lang,
    user: &User,
    csrf: &str,
    sites: &[SiteNow],
    all: &[Item],
    filter: &Filter,
    page: usize,
) -> String {
    let l = L { lang };
    let shown: Vec<&Item> = all.iter().filter(|i| filter.keeps(i)).collect();
    let mut b = String::new();
    let _ = write!(b, "<h1>{}</h1>", t(lang, "问题清单", "Findings"));
    let mut operators: Vec<(String, String)> = sites
        .iter()
        .map(|s| (s.summary.operator.clone(), s.summary.operator.clone()))
        .collect();
    operators.dedup();
    let site_opts: Vec<(String, String)> = sites
        .iter()
        .map(|s| {
            (
                s.summary.site.clone(),
                format!("{} {}", s.summary.site, s.summary.name),
            )
        })
        .collect();
    let sev_opts: Vec<(String, String)> = Severity::ALL
        .iter()
        .rev()
        .map(|s| (s.name().to_string(), l.severity(*s).to_string()))
        .collect();
    let mut cats: Vec<String> = all.iter().map(|i| i.finding.category.clone()).collect();
    cats.sort();
    cats.dedup();
    let cat_opts: Vec<(String, String)> = cats.into_iter().map(|c| (c.clone(), c)).collect();
    let mut status_opts = vec![
        (
            "open-all".to_string(),
            t(lang, "未关闭", "not closed").to_string(),
        ),
        ("new".into(), t(lang, "新发现", "new").into()),
        ("persisting".into(), t(lang, "仍存在", "persisting").into()),
    ];
    for s in State::ALL {
        status_opts.push((s.name().into(), state_label(lang, s).into()));
    }
    let _ = write!(
        b,
        "<form method=\"get\" action=\"/findings\" id=\"filters\">{}{}{}{}{}<button>{}</button></form>",
        select("operator", t(lang, "责任单位", "Operator"), &operators, &filter.operator),
        select("site", t(lang, "网站", "Site"), &site_opts, &filter.site),
        select("severity", t(lang, "级别", "Severity"), &sev_opts, &filter.severity),
        select("category", t(lang, "类别", "Category"), &cat_opts, &filter.category),
        select("status", t(lang, "状态", "Status"), &status_opts, &filter.status),
        t(lang, "筛选", "Filter"),
    );
    let pages = shown.len().div_ceil(PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let _ = write!(
        b,
        "<p class=\"muted\" id=\"count\">{} {}</p><table id=\"findings\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        shown.len(),
        t(lang, "条", "findings"),
        t(lang, "级别", "Severity"),
        t(lang, "网站", "Site"),
        t(lang, "问题", "Finding"),
        t(lang, "命中", "Matched"),
        t(lang, "网址", "URL"),
        t(lang, "首次发现", "First seen"),
        t(lang, "状态", "Status"),
    );
    for i in shown.iter().skip((page - 1) * PER_PAGE).take(PER_PAGE) {
        let f = &i.finding;
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td><a href=\"/findings/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"state-{}\">{} · {}</td></tr>",
            sev_cell(&l, f.severity),
            esc(&f.site),
            attr(&f.fingerprint),
            esc(l.rule_title(f)),
            esc(&mask(&f.matched)),
            esc(&mask(&f.url)),
            esc(f.first_seen.get(..10).unwrap_or(&f.first_seen)),
            i.state.name(),
            state_label(lang, i.state),
            l.status(&f.status),
        );
    }
    b.push_str("</table>");
    if pages > 1 {
        b.push_str("<nav class=\"pages\">");
        let q = filter.query();
        for p in 1..=pages {
            if p == page {
                let _ = write!(b, "<strong>{p}</strong> ");
            } else {
                let _ = write!(
                    b,
                    "<a href=\"/findings?{}\">{p}</a>",
                    attr(&format!(
                        "{q}{}page={p}",
                        if q.is_empty() { "" } else { "&" }
                    ))
                );
            }
        }
        b.push_str("</nav>");
    }
    layout(
        lang,
        t(lang, "问题清单", "Findings"),
        Some((user, csrf)),
        &b,
    )
}

/// A finding: its evidence, history across scans, workflow log, and the
/// forms of what this account may do.
#[allow(clippy::too_many_arguments)]
pub fn finding(
    lang: Lang,
    user: &User,
    csrf: &str,
    item: &Item,
    history: &[(String, String, crate::findings::Finding)],
    log: &[LogEntry],
    note: &str,
    message: Option<&str>,
) -> String {
    let l = L { lang };
    let f = &item.finding;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{} {}</h1>",
        sev_cell(&l, f.severity),
        esc(l.rule_title(f))
    );
    if let Some(m) = message {
        let _ = write!(b, "<p class=\"warn\" id=\"message\">{}</p>", esc(m));
    }
    let row = |b: &mut String, k: &str, v: &str| {
        let _ = write!(b, "<tr><th>{}</th><td>{}</td></tr>", esc(k), v);
    };
    b.push_str("<table id=\"evidence\">");
    row(
        &mut b,
        t(lang, "状态", "State"),
        &format!(
            "<span id=\"state\" class=\"state-{}\">{}</span>{}",
            item.state.name(),
            state_label(lang, item.state),
            if note.is_empty() {
                String::new()
            } else {
                format!(" — {}", esc(note))
            }
        ),
    );
    row(
        &mut b,
        t(lang, "网站", "Site"),
        &format!(
            "<a href=\"/sites/{}\">{}</a> ({})",
            attr(&crate::report::href_segment(&f.site)),
            esc(&f.site),
            esc(&f.operator)
        ),
    );
    row(&mut b, t(lang, "网址", "URL"), &esc(&mask(&f.url)));
    row(&mut b, t(lang, "规则", "Rule"), &esc(&f.rule));
    row(&mut b, t(lang, "类别", "Category"), &esc(&f.category));
    row(&mut b, t(lang, "位置", "Field"), &esc(l.field(f.field)));
    row(
        &mut b,
        t(lang, "隐藏", "Hidden"),
        if f.hidden {
            t(lang, "是", "yes")
        } else {
            t(lang, "否", "no")
        },
    );
    if let Some(p) = &f.probe {
        row(
            &mut b,
            t(lang, "仅在探测中出现", "Seen only by probe"),
            &esc(l.probe(p)),
        );
    }
    if let Some(loc) = &f.location {
        row(&mut b, t(lang, "文档内位置", "Location"), &esc(loc));
    }
    if let Some(r) = &f.referrer {
        row(&mut b, t(lang, "来源页面", "Referrer"), &esc(&mask(r)));
    }
    row(
        &mut b,
        t(lang, "命中文字", "Matched"),
        &esc(&mask(&f.matched)),
    );
    row(
        &mut b,
        t(lang, "上下文", "Snippet"),
        &format!(
            "<div class=\"snippet\" id=\"snippet\">{}</div>",
            esc(&mask(&f.snippet))
        ),
    );
    row(
        &mut b,
        t(lang, "首次发现", "First seen"),
        &esc(&f.first_seen),
    );
    row(
        &mut b,
        t(lang, "本页命中次数", "Hits on the page"),
        &f.count.to_string(),
    );
    row(&mut b, t(lang, "指纹", "Fingerprint"), &esc(&f.fingerprint));
    b.push_str("</table>");
    // What this account may do.
    let form = |b: &mut String, action: &str, field: &str, label: &str, button: &str| {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/findings/{}/{}\" id=\"form-{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><p><label>{}<br><textarea name=\"{}\" required></textarea></label></p><p><button>{}</button></p></form>",
            attr(&f.fingerprint),
            action,
            action,
            attr(csrf),
            esc(label),
            field,
            esc(button)
        );
    };
    if matches!(item.state, State::Open | State::Reopened) {
        form(
            &mut b,
            "fixed",
            "note",
            t(lang, "整改说明", "What was done"),
            t(
                lang,
                "标记为已整改（将复查该页）",
                "Mark fixed (the page is re-checked)",
            ),
        );
    }
    if user.is_admin() && item.state != State::FalsePositive {
        form(
            &mut b,
            "false-positive",
            "reason",
            t(lang, "误报原因", "Why it is a false positive"),
            t(lang, "标记为误报", "Mark false positive"),
        );
    }
    if user.is_admin() && matches!(item.state, State::FalsePositive | State::Closed) {
        form(
            &mut b,
            "reopen",
            "note",
            t(lang, "重新打开的原因", "Why reopen"),
            t(lang, "重新打开", "Reopen"),
        );
    }
    let _ = write!(
        b,
        "<h2>{}</h2><table id=\"history\"><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "历次检查", "History across scans"),
        t(lang, "检查批次", "Scan"),
        t(lang, "时间", "When"),
        t(lang, "状态", "Status")
    );
    for (scan, started, h) in history {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(scan),
            esc(started),
            l.status(&h.status)
        );
    }
    let _ = write!(
        b,
        "</table><h2>{}</h2><table id=\"log\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "处理记录", "Workflow log"),
        t(lang, "时间", "When"),
        t(lang, "操作人", "Who"),
        t(lang, "变化", "Change"),
        t(lang, "说明", "Note")
    );
    for e in log {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td></tr>",
            esc(&e.at),
            esc(&e.who),
            state_label(lang, e.from),
            state_label(lang, e.to),
            esc(&e.note)
        );
    }
    b.push_str("</table>");
    layout(lang, l.rule_title(f), Some((user, csrf)), &b)
}

/// A site: how its latest crawl went, and a button to scan it now.
pub fn site(
    lang: Lang,
    user: &User,
    csrf: &str,
    s: &SiteNow,
    items: &[Item],
    message: Option<&str>,
) -> String {
    let l = L { lang };
    let sum = &s.summary;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{} <span class=\"muted\">{}</span></h1>",
        esc(&sum.name),
        esc(&sum.site)
    );
    if let Some(m) = message {
        let _ = write!(b, "<p class=\"warn\" id=\"message\">{}</p>", esc(m));
    }
    let row = |b: &mut String, k: &str, v: String| {
        let _ = write!(b, "<tr><th>{}</th><td>{}</td></tr>", esc(k), v);
    };
    b.push_str("<table id=\"crawl\">");
    row(
        &mut b,
        t(lang, "责任单位", "Operator"),
        esc(&sum.operator).into(),
    );
    row(
        &mut b,
        t(lang, "首页", "Start URL"),
        esc(&sum.start_url).into(),
    );
    row(
        &mut b,
        t(lang, "检查批次", "Scan"),
        esc(&format!("{} ({})", s.scan, s.started)).into(),
    );
    row(
        &mut b,
        t(lang, "已读取页面", "Pages fetched"),
        sum.pages_fetched.to_string(),
    );
    row(
        &mut b,
        t(lang, "跳过 / 失败", "Skipped / failed"),
        format!("{} / {}", sum.pages_skipped, sum.pages_failed),
    );
    row(
        &mut b,
        t(lang, "读取完整", "Crawl complete"),
        if sum.complete {
            t(lang, "是", "yes")
        } else {
            t(lang, "否", "no")
        }
        .into(),
    );
    row(
        &mut b,
        t(
            lang,
            "文档（读取 / 无法读取）",
            "Documents (read / unreadable)",
        ),
        format!("{} / {}", sum.documents_read, sum.documents_unreadable),
    );
    row(
        &mut b,
        t(lang, "图片（检查 / 失效）", "Images (checked / broken)"),
        format!("{} / {}", sum.images_checked, sum.images_broken),
    );
    let probes: Vec<String> = sum
        .probes
        .iter()
        .map(|p| format!("{} ({} / {})", l.probe(&p.probe), p.pages, p.differed))
        .collect();
    row(
        &mut b,
        t(lang, "探测（页数 / 不同）", "Probes (pages / differed)"),
        esc(&probes.join("、")).into(),
    );
    row(
        &mut b,
        t(lang, "脚本来源", "Script hosts"),
        esc(&sum.script_hosts.join(" ")).into(),
    );
    let domains: Vec<String> = sum
        .outbound
        .domains
        .iter()
        .map(|d| {
            format!(
                "{} ({}{})",
                d.domain,
                d.links,
                if d.hidden > 0 {
                    format!(", {} hidden", d.hidden)
                } else {
                    String::new()
                }
            )
        })
        .collect();
    row(
        &mut b,
        t(lang, "外链域名", "Outbound domains"),
        esc(&domains.join("、")).into(),
    );
    if !sum.notes.is_empty() {
        row(
            &mut b,
            t(lang, "备注", "Notes"),
            esc(&sum.notes.join("；")).into(),
        );
    }
    b.push_str("</table>");
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/sites/{}/rescan\" id=\"rescan\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>{}</button></form>",
        attr(&crate::report::href_segment(&sum.site)),
        attr(csrf),
        t(lang, "立即重新检查本网站", "Re-scan this site now")
    );
    let _ = write!(
        b,
        "<h2>{}</h2><p><a href=\"/findings?{}\">{} {}</a></p>",
        t(lang, "问题", "Findings"),
        attr(
            &Filter {
                site: sum.site.clone(),
                ..Filter::default()
            }
            .query()
        ),
        items.iter().filter(|i| i.finding.site == sum.site).count(),
        t(lang, "条", "findings"),
    );
    layout(lang, &sum.name, Some((user, csrf)), &b)
}

/// The reports this account may download.
pub fn reports(lang: Lang, user: &User, csrf: &str, operators: &[String]) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{}</h1><p class=\"muted\">{}</p><table><tr><th>{}</th><th>{}</th></tr>",
        t(lang, "报告下载", "Reports"),
        t(lang, "与 sitesweep report 相同的报告，只含您可查看的网站；误报已排除。", "The reports of `sitesweep report`, of the sites you may see only; false positives left out."),
        t(lang, "责任单位", "Operator"),
        t(lang, "格式", "Formats")
    );
    for op in operators {
        let _ = write!(b, "<tr><td>{}</td><td>", esc(op));
        for (fmt, name) in [
            ("html", "HTML"),
            ("csv", "CSV"),
            ("json", "JSON"),
            ("md", "Markdown"),
        ] {
            let q = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("operator", op)
                .append_pair("format", fmt)
                .finish();
            let _ = write!(b, "<a href=\"/reports/download?{}\">{name}</a> ", attr(&q));
        }
        b.push_str("</td></tr>");
    }
    b.push_str("</table>");
    layout(lang, t(lang, "报告下载", "Reports"), Some((user, csrf)), &b)
}

pub fn message(lang: Lang, user: Option<(&User, &str)>, title: &str, text: &str) -> String {
    layout(
        lang,
        title,
        user,
        &format!("<h1>{}</h1><p>{}</p>", esc(title), esc(text)),
    )
}
