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

use crate::crawl::records::SiteSummary;
use crate::error::{Error, InputError};
use crate::findings::{Finding, Status};
use crate::ignore::IgnoreList;
use crate::page::Field;
use crate::severity::Severity;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs::File;
use std::hash::{Hash, Hasher};
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
    pub fn parse_list(s: &str) -> Result<Vec<Format>, InputError> {
        s.split(',')
            .map(|f| match f.trim() {
                "html" => Ok(Format::Html),
                "csv" => Ok(Format::Csv),
                "json" => Ok(Format::Json),
                "md" => Ok(Format::Md),
                other => Err(InputError::plain(format!(
                    "--format {other}: use html, csv, json or md"
                ))),
            })
            .collect()
    }
}

/// Labels in the report language.
struct L {
    lang: Lang,
}

impl L {
    fn t(&self, zh: &'static str, en: &'static str) -> &'static str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    fn severity(&self, s: Severity) -> &'static str {
        match (self.lang, s) {
            (Lang::Zh, Severity::Critical) => "严重",
            (Lang::Zh, Severity::High) => "高",
            (Lang::Zh, Severity::Medium) => "中",
            (Lang::Zh, Severity::Low) => "低",
            (Lang::Zh, Severity::Info) => "提示",
            (Lang::En, s) => s.name(),
        }
    }

    fn status(&self, s: &Status) -> &'static str {
        match (self.lang, s) {
            (Lang::Zh, Status::New) => "新发现",
            (Lang::Zh, Status::Persisting) => "仍存在",
            (Lang::En, s) => s.name(),
        }
    }

    fn field(&self, f: Option<crate::page::Field>) -> &'static str {
        use crate::page::Field::*;
        match (self.lang, f) {
            (_, None) => "-",
            (Lang::Zh, Some(Title)) => "标题",
            (Lang::Zh, Some(Meta)) => "元信息",
            (Lang::Zh, Some(Text)) => "正文",
            (Lang::Zh, Some(Anchor)) => "链接文字",
            (Lang::Zh, Some(Link)) => "链接地址",
            (Lang::Zh, Some(Script)) => "脚本",
            (Lang::Zh, Some(Url)) => "网址",
            (Lang::En, Some(f)) => f.name(),
        }
    }
}

/// Mask personal data: every run of 11 or more digits (an ID number may end
/// in X) keeps its first 3 (mobile) or 4 characters and its last 4.
///
/// Digits are found on the folded text, as the rules find them: full-width
/// `１３８…`, circled and other compatibility digits count, and zero-width
/// characters inside a number do not break it. The original characters are
/// kept or replaced, so `１３８００１３８０００` reads `１３８****８０００`.
pub fn mask(text: &str) -> String {
    mask_runs(text).0
}

/// [`mask`], with the byte ranges of the masked numbers in its output.
fn mask_runs(text: &str) -> (String, Vec<std::ops::Range<usize>>) {
    use crate::rules::fold::{fold, FoldOptions};
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Digits(usize),
        X,
        Invisible,
        Other,
    }
    let weight = |k: Kind| match k {
        Kind::Digits(n) => n,
        Kind::X => 1,
        _ => 0,
    };
    let folded = fold(text, FoldOptions::for_regex(true));
    // Each original character: its byte range and what it folds to.
    let mut units: Vec<(usize, usize, Kind)> = Vec::with_capacity(text.len());
    let mut p = 0;
    for (offset, c) in text.char_indices() {
        let start = p;
        while p < folded.src.len() && folded.src[p] as usize == offset {
            p += 1;
        }
        let piece = &folded.text[start..p];
        let kind = if piece.is_empty() {
            Kind::Invisible
        } else if piece.bytes().all(|b| b.is_ascii_digit()) {
            Kind::Digits(piece.len())
        } else if piece == "X" || piece == "x" {
            Kind::X
        } else {
            Kind::Other
        };
        units.push((offset, offset + c.len_utf8(), kind));
    }
    let mut out = String::with_capacity(text.len());
    let mut runs = Vec::new();
    let mut i = 0;
    while i < units.len() {
        if !matches!(units[i].2, Kind::Digits(_)) {
            out.push_str(&text[units[i].0..units[i].1]);
            i += 1;
            continue;
        }
        // The run: digits, and invisible characters between them.
        let (mut j, mut end, mut len) = (i, i, 0);
        while j < units.len() {
            match units[j].2 {
                Kind::Digits(n) => {
                    len += n;
                    j += 1;
                    end = j;
                }
                Kind::Invisible => j += 1,
                _ => break,
            }
        }
        if len == 17 {
            let mut k = end;
            while k < units.len() && units[k].2 == Kind::Invisible {
                k += 1;
            }
            if k < units.len() && units[k].2 == Kind::X {
                end = k + 1;
                len += 1;
            }
        }
        if len < 11 {
            out.push_str(&text[units[i].0..units[end - 1].1]);
            i = end;
            continue;
        }
        let keep_head = if len == 11 { 3 } else { 4 };
        let (mut head_end, mut head) = (i, 0);
        while head < keep_head {
            head += weight(units[head_end].2);
            head_end += 1;
        }
        let (mut tail_start, mut tail) = (end, 0);
        while tail < 4 && tail_start > head_end {
            tail_start -= 1;
            tail += weight(units[tail_start].2);
        }
        let start = out.len();
        out.push_str(&text[units[i].0..units[head_end - 1].1]);
        out.extend(std::iter::repeat_n('*', len.saturating_sub(head + tail)));
        if tail_start < end {
            out.push_str(&text[units[tail_start].0..units[end - 1].1]);
        }
        runs.push(start..out.len());
        i = end;
    }
    (out, runs)
}

/// Text for Markdown, masked, on one line, shown as written by any
/// renderer: HTML is written as entities (`<svg onload=…>` stays text),
/// Markdown syntax characters are backslash-escaped (links, images, code,
/// emphasis, strikethrough, math, headings, table cells), line breaks
/// become spaces and control and bidi characters are dropped. A masked
/// number is a code span (`` `138****8000` ``), so its stars stay stars.
pub fn markdown_text(text: &str) -> String {
    let (text, runs) = mask_runs(text);
    let mut out = String::with_capacity(text.len() + 8);
    let mut runs = runs.into_iter().peekable();
    for (i, c) in text.char_indices() {
        if let Some(run) = runs.peek() {
            if i == run.start {
                out.push('`');
            }
            if run.contains(&i) {
                if !is_hidden_control(c) && !crate::rules::fold::is_invisible(c) {
                    out.push(c);
                }
                if i + c.len_utf8() == run.end {
                    out.push('`');
                    runs.next();
                }
                continue;
            }
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '!' | '|' | '~'
            | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                out.push(' ')
            }
            c if is_hidden_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Control characters (C0 but tab, line feed and carriage return; DEL;
/// C1) and the bidi controls that reorder text on screen: never written
/// into a report.
pub fn is_hidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` without [`is_hidden_control`] characters.
fn without_controls(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_hidden_control) {
        text.chars()
            .filter(|&c| !is_hidden_control(c))
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// A CSV cell a spreadsheet would run as a formula gets a leading `'`.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// HTML text: escaped, and without the control and bidi characters that
/// have no business in a page (NUL among them).
fn esc(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_hidden_control) {
        let clean: String = text.chars().filter(|&c| !is_hidden_control(c)).collect();
        Cow::Owned(html_escape::encode_text(&clean).into_owned())
    } else {
        html_escape::encode_text(text)
    }
}

/// A double-quoted HTML attribute value, like [`esc`].
fn attr(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_hidden_control) {
        let clean: String = text.chars().filter(|&c| !is_hidden_control(c)).collect();
        Cow::Owned(html_escape::encode_double_quoted_attribute(&clean).into_owned())
    } else {
        html_escape::encode_double_quoted_attribute(text)
    }
}

/// A folder name in a URL (an `href`): every byte but unreserved ASCII
/// percent-encoded, so `#`, `%`, `?` and spaces stay part of the path.
pub fn href_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Folder names are at most this many bytes (file systems count bytes:
/// ext4 and others allow 255, which 64 four-byte characters exceed).
pub const MAX_FOLDER_BYTES: usize = 100;

/// Characters dropped from folder names: controls, zero-width and other
/// format characters, bidi controls, line and paragraph separators, tags.
fn unfit_for_names(c: char) -> bool {
    c.is_control()
        || is_hidden_control(c)
        || crate::rules::fold::is_invisible(c)
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FFF9}'..='\u{FFFB}' | '\u{FFFE}' | '\u{FFFF}' | '\u{E0000}'..='\u{E007F}')
}

/// `name` cut to at most `max` bytes on a character boundary.
fn cut(name: &str, max: usize) -> &str {
    let mut end = max.min(name.len());
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// A name ending in `-` and 8 hex digits of `key`'s hash, within
/// [`MAX_FOLDER_BYTES`].
fn with_hash(base: &str, key: &str) -> String {
    let hash = crate::ids::short_hash([key]);
    let stem = cut(base, MAX_FOLDER_BYTES - 9).trim_end_matches(['.', ' ']);
    format!("{stem}-{}", &hash[..8])
}

/// A folder name made from an operator's name, safe on Linux, macOS and
/// Windows and in links: NFC; format, zero-width and bidi characters
/// dropped; control characters, path separators and `<>:"|?*#%` made `_`;
/// other spaces made plain spaces; no `..`; no leading
/// or trailing dots or spaces; no names Windows reserves; at most
/// [`MAX_FOLDER_BYTES`] bytes (a long name is cut and gets a short hash of
/// the whole name, so two long names stay apart).
pub fn safe_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut s: String = name
        .nfc()
        .filter_map(|c| {
            if c.is_control() || "<>:\"/\\|?*#%".contains(c) {
                Some('_')
            } else if unfit_for_names(c) {
                None
            } else if c.is_whitespace() && c != '\u{3000}' {
                Some(' ')
            } else {
                Some(c)
            }
        })
        .collect();
    while s.contains("..") {
        s = s.replace("..", "_");
    }
    s = s
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .to_string();
    if s.is_empty() || s.chars().all(|c| c == '.' || c == '_') {
        s = "unnamed".into();
    }
    let stem = s
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    let numbered = |p: &str| {
        stem.strip_prefix(p).is_some_and(|n| {
            let mut cs = n.chars();
            matches!(
                (cs.next(), cs.next()),
                (Some('0'..='9' | '¹' | '²' | '³'), None)
            )
        })
    };
    let reserved = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"].contains(&stem.as_str())
        || numbered("COM")
        || numbered("LPT");
    if reserved {
        s = format!("_{s}");
    }
    if s.len() > MAX_FOLDER_BYTES {
        s = with_hash(&s, name);
    }
    s
}

/// Folder names for report keys (operator names or site ids): each made
/// safe, and when two come out the same (compared as a case-insensitive
/// file system would), all but one get a short hash of their own key. A
/// key that needed no change keeps its plain name.
pub fn folder_names<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let keys: Vec<&str> = keys.into_iter().collect();
    let bases: Vec<String> = keys.iter().map(|k| safe_name(k)).collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| (bases[i] != keys[i], keys[i]));
    let mut taken: HashSet<String> = HashSet::new();
    let mut names = vec![String::new(); keys.len()];
    for i in order {
        let mut name = bases[i].clone();
        let mut n = 1;
        while !taken.insert(name.to_lowercase()) {
            let salted = if n == 1 {
                keys[i].to_string()
            } else {
                format!("{}\u{0}{n}", keys[i])
            };
            name = with_hash(&bases[i], &salted);
            n += 1;
        }
        names[i] = name;
    }
    names
}

/// One row of a report: findings of one site that share rule, term, field
/// and hidden, over one or more pages.
#[derive(Clone, Debug)]
pub struct Row {
    pub finding: Finding,
    pub pages: Vec<String>,
    pub total_hits: u32,
    /// Other rules that report the very same evidence (same text, field,
    /// hidden flag and pages), merged into this row: a hidden link that is
    /// both "hidden gambling link" and "gambling promotion" is one row on
    /// paper. CSV and JSON keep every finding.
    pub also: Vec<String>,
}

/// Findings of one site grouped into rows as they are read, so a report
/// holds one finding per row (and the page URLs), never every finding.
#[derive(Default)]
pub struct Grouper {
    rows: Vec<Row>,
    index: HashMap<(String, String, Option<Field>, bool), usize>,
}

impl Grouper {
    pub fn add(&mut self, f: Finding) {
        let key = (f.rule.clone(), f.term.clone(), f.field, f.hidden);
        match self.index.get(&key) {
            Some(&i) => {
                let row = &mut self.rows[i];
                row.total_hits += f.count;
                row.pages.push(f.url);
            }
            None => {
                self.index.insert(key, self.rows.len());
                self.rows.push(Row {
                    pages: vec![f.url.clone()],
                    total_hits: f.count,
                    also: Vec::new(),
                    finding: f,
                });
            }
        }
    }

    /// The rows, most severe first, rows with the same evidence merged.
    pub fn finish(self) -> Vec<Row> {
        let mut rows = self.rows;
        // Most severe first, so the row kept for shared evidence is the
        // most severe one.
        rows.sort_by_key(|r| std::cmp::Reverse(r.finding.severity));
        let evidence = |r: &Row| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (
                &r.finding.matched,
                r.finding.field,
                r.finding.hidden,
                &r.pages,
            )
                .hash(&mut h);
            h.finish()
        };
        let mut merged: Vec<Row> = Vec::with_capacity(rows.len());
        let mut by_evidence: HashMap<u64, Vec<usize>> = HashMap::new();
        for row in rows {
            if row.finding.field.is_some() {
                let same = by_evidence.entry(evidence(&row)).or_default();
                let found = same.iter().copied().find(|&m| {
                    let m = &merged[m];
                    m.finding.matched == row.finding.matched
                        && m.finding.field == row.finding.field
                        && m.finding.hidden == row.finding.hidden
                        && m.pages == row.pages
                });
                if let Some(m) = found {
                    merged[m].also.push(row.finding.title.clone());
                    continue;
                }
                same.push(merged.len());
            }
            merged.push(row);
        }
        merged.sort_by(|a, b| {
            b.finding
                .severity
                .cmp(&a.finding.severity)
                .then(a.finding.rule.cmp(&b.finding.rule))
        });
        merged
    }
}

pub fn group_rows(findings: &[Finding]) -> Vec<Row> {
    let mut g = Grouper::default();
    for f in findings {
        g.add(f.clone());
    }
    g.finish()
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

const COLORS: [&str; 5] = ["#8c8c8c", "#5b8def", "#e0a800", "#e8590c", "#c92a2a"];

fn bar_chart(counts: [usize; 5], l: &L) -> String {
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

fn trend_chart(trend: &[(String, usize)]) -> String {
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
fn highlighted(f: &Finding) -> String {
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
    } else if !s.summary.reachable {
        "not read"
    } else if s.summary.complete {
        "complete"
    } else {
        "incomplete"
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

const STYLE: &str = "body{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:4px 6px;vertical-align:top;font-size:13px}\
th{background:#f0f0f0}td.url{word-break:break-all;max-width:28em}mark{background:#ffe066}\
.sev-critical{color:#c92a2a;font-weight:bold}.sev-high{color:#e8590c;font-weight:bold}.sev-medium{color:#b08900}\
.fix{min-width:8em}.muted{color:#777}.warn{border:2px solid #c92a2a;padding:.5em;font-weight:bold}.charts{display:flex;gap:2em}\
@media print{.site{page-break-before:always}a{color:#000;text-decoration:none}body{margin:0}}";

fn html_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(title)
    )
}

/// A link only for http(s) URLs; anything else is shown as text.
fn link(url: &str) -> String {
    let shown = mask(url);
    if url.starts_with("http://") || url.starts_with("https://") {
        format!("<a href=\"{}\">{}</a>", attr(&shown), esc(&shown))
    } else {
        esc(&shown).into_owned()
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

fn html(w: &mut dyn Write, report: &Report, read: &[SiteRead], ctx: &Context) -> io::Result<()> {
    let l = L { lang: ctx.lang };
    w.write_all(
        html_head(&format!(
            "{} {}",
            report.title,
            l.t("网站自查报告", "site inspection report")
        ))
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
            c[4], c[3], c[2], c[1], c[0],
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
                esc(&f.title),
                esc(&f.rule),
                esc(l.status(&f.status)),
                l.field(f.field),
                if f.hidden { l.t("是", "yes") } else { "" },
                highlighted(f),
                esc(f.first_seen.get(..10).unwrap_or(&f.first_seen)),
            )?;
        }
        w.write_all(b"</table></section>")?;
    }
    w.write_all(b"</body></html>\n")
}

/// `findings.csv`, one finding a row, written as the findings are read.
struct CsvOut {
    w: csv::Writer<BufWriter<File>>,
}

impl CsvOut {
    fn create(file: File, l: &L) -> Result<CsvOut, String> {
        let mut out = BufWriter::new(file);
        out.write_all(b"\xEF\xBB\xBF").map_err(|e| e.to_string())?;
        let mut w = csv::Writer::from_writer(out);
        let header = [
            l.t("检查批次", "scan"),
            l.t("网站", "site"),
            l.t("网站名称", "site name"),
            l.t("责任单位", "operator"),
            l.t("级别", "severity"),
            l.t("问题", "issue"),
            l.t("规则", "rule"),
            l.t("类别", "category"),
            l.t("状态", "status"),
            l.t("网址", "url"),
            l.t("位置", "field"),
            l.t("隐藏", "hidden"),
            l.t("命中内容", "matched"),
            l.t("上下文", "snippet"),
            l.t("次数", "count"),
            l.t("来源页", "referrer"),
            l.t("首次发现", "first seen"),
            l.t("指纹", "fingerprint"),
            l.t("检查情况", "crawl"),
            l.t("整改情况", "remediation"),
        ];
        w.write_record(header).map_err(|e| e.to_string())?;
        Ok(CsvOut { w })
    }

    fn row(&mut self, f: &Finding, site: &SiteReport, l: &L) -> Result<(), String> {
        let cells = [
            f.scan.clone(),
            f.site.clone(),
            site.summary.name.clone(),
            f.operator.clone(),
            l.severity(f.severity).to_string(),
            f.title.clone(),
            f.rule.clone(),
            f.category.clone(),
            l.status(&f.status).to_string(),
            mask(&f.url),
            l.field(f.field).to_string(),
            if f.hidden {
                l.t("是", "yes").to_string()
            } else {
                String::new()
            },
            mask(&f.matched),
            mask(&f.snippet),
            f.count.to_string(),
            f.referrer.as_deref().map(mask).unwrap_or_default(),
            f.first_seen.clone(),
            f.fingerprint.clone(),
            crawl_state(site, l).to_string(),
            String::new(),
        ];
        self.w
            .write_record(cells.iter().map(|c| neutralise(&without_controls(c))))
            .map_err(|e| e.to_string())
    }

    fn finish(mut self) -> Result<(), String> {
        self.w.flush().map_err(|e| e.to_string())?;
        let out = self.w.into_inner().map_err(|e| e.to_string())?;
        out.into_inner()
            .map(drop)
            .map_err(|e| e.error().to_string())
    }
}

fn masked(f: &Finding) -> Finding {
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
struct JsonOut {
    w: BufWriter<File>,
    first: bool,
}

impl JsonOut {
    fn create(file: File, report: &Report, ctx: &Context) -> io::Result<JsonOut> {
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

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let sep = if self.first { "" } else { "," };
        self.first = false;
        write!(self.w, "{sep}\n    ")?;
        serde_json::to_writer(&mut self.w, &masked(f)).map_err(io::Error::other)
    }

    fn finish(mut self, report: &Report, read: &[SiteRead]) -> io::Result<()> {
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
                    "findings": {"critical": c[4], "high": c[3], "medium": c[2], "low": c[1], "info": c[0]},
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

/// Markdown for pasting into a written notice.
fn markdown(
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
                f.title.clone()
            } else {
                format!(
                    "{}（{}{}）",
                    f.title,
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
                cell(&f.snippet),
                cell(f.first_seen.get(..10).unwrap_or(&f.first_seen))
            )?;
        }
        w.write_all(b"\n")?;
    }
    Ok(())
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
    std::fs::create_dir_all(out)
        .map_err(|e| InputError::plain(format!("--out {}: cannot create: {e}", out.display())))?;
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
    let mut h = html_head(l.t("网站自查报告索引", "Site inspection reports"));
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
    h.push_str("</table></body></html>\n");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_head_and_tail() {
        assert_eq!(
            mask("身份证 110101199003071234 电话 13800138000"),
            "身份证 1101**********1234 电话 138****8000"
        );
        assert_eq!(mask("11010519491231002X"), "1101**********002X");
        assert_eq!(mask("2026年11月 0571-87000000"), "2026年11月 0571-87000000");
    }

    #[test]
    fn masking_finds_digits_on_the_folded_text_and_keeps_the_original_characters() {
        assert_eq!(
            mask("身份证 １１０１０５１９４９１００１００１Ｘ 电话 １３８００１３８０００。"),
            "身份证 １１０１**********００１Ｘ 电话 １３８****８０００。"
        );
        assert_eq!(mask("１３８００１３８０００"), "１３８****８０００");
        assert_eq!(mask("手机13800１３８０00"), "手机138****８０00");
        // A zero-width space does not hide a number.
        assert_eq!(mask("138\u{200B}00138000"), "138****8000");
        assert_eq!(
            mask("１１０１０５１９４９１００１００１ｘ"),
            "１１０１**********００１ｘ"
        );
        // Short numbers and other text stay as they are.
        assert_eq!(mask("２０２６年１１月"), "２０２６年１１月");
        assert_eq!(
            mask("电话：０５７１－８７０００００"),
            "电话：０５７１－８７０００００"
        );
        assert_eq!(mask(""), "");
    }

    #[test]
    fn markdown_text_is_inert_in_any_renderer() {
        assert_eq!(
            markdown_text("<svg onload=alert(1)> [a](javascript:x) `c` *b* _i_ | # h\nnext\r\n~~s~~ $m$ ![i](u) \\ & \u{202E}\u{0}"),
            "&lt;svg onload=alert\\(1\\)&gt; \\[a\\]\\(javascript:x\\) \\`c\\` \\*b\\* \\_i\\_ \\| \\# h next  \\~\\~s\\~\\~ \\$m\\$ \\!\\[i\\]\\(u\\) \\\\ &amp; "
        );
        assert_eq!(
            markdown_text("电话 13800138000、13900139000\\"),
            "电话 `138****8000`、`139****9000`\\\\"
        );
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("正常"), "正常");
    }

    fn finding(rule: &str, severity: Severity, url: &str, matched: &str) -> Finding {
        Finding {
            scan: "s".into(),
            site: "gov".into(),
            operator: "o".into(),
            url: url.into(),
            rule: rule.into(),
            title: format!("title of {rule}"),
            category: "gambling".into(),
            severity,
            field: Some(crate::page::Field::Anchor),
            hidden: true,
            matched: matched.into(),
            term: matched.into(),
            snippet: matched.into(),
            fingerprint: format!("{rule}{url}{matched}"),
            count: 1,
            status: Status::New,
            first_seen: "2026-11-27T00:00:00Z".into(),
            fetched_at: "2026-11-27T00:00:00Z".into(),
            referrer: None,
            insecure_tls: false,
        }
    }

    #[test]
    fn rows_group_pages_and_merge_rules_reporting_the_same_evidence() {
        let f = vec![
            finding("promo", Severity::High, "http://a/1", "澳门葡京"),
            finding("hidden", Severity::Critical, "http://a/1", "澳门葡京"),
            finding("promo", Severity::High, "http://a/2", "澳门葡京"),
            finding("hidden", Severity::Critical, "http://a/2", "澳门葡京"),
            finding("hidden", Severity::Critical, "http://a/3", "六合彩"),
            finding("promo", Severity::High, "http://a/3", "新葡京"),
        ];
        let rows = group_rows(&f);
        assert_eq!(rows.len(), 3, "{rows:#?}");
        assert_eq!(rows[0].finding.rule, "hidden");
        let shared = rows
            .iter()
            .find(|r| r.finding.matched == "澳门葡京")
            .unwrap();
        assert_eq!(shared.pages, vec!["http://a/1", "http://a/2"]);
        assert_eq!(
            shared.finding.severity,
            Severity::Critical,
            "the most severe rule is kept"
        );
        assert_eq!(shared.also, vec!["title of promo"]);
        assert!(rows
            .iter()
            .filter(|r| r.finding.matched != "澳门葡京")
            .all(|r| r.also.is_empty()));
    }

    #[test]
    fn safe_names() {
        let escaped = safe_name("../../etc/passwd");
        assert!(
            !escaped.contains("..") && !escaped.contains('/'),
            "{escaped}"
        );
        assert_eq!(safe_name("CON"), "_CON");
        assert_eq!(safe_name("com1.txt"), "_com1.txt");
        assert_eq!(safe_name("区教育局/办公室"), "区教育局_办公室");
        assert_eq!(safe_name(".."), "unnamed");
        assert_eq!(safe_name("..."), "unnamed");
        assert_eq!(safe_name("a\u{0}b"), "a_b");
        assert_eq!(safe_name("\u{202E}txt.exe"), "txt.exe");
        assert_eq!(safe_name("区卫\u{200B}健委"), "区卫健委");
        assert_eq!(safe_name("A#1 50%?"), "A_1 50__");
        assert_eq!(safe_name("name. "), "name");
        assert_eq!(safe_name("lpt¹"), "_lpt¹");
        assert_eq!(safe_name("CONOUT$"), "_CONOUT$");
        let emoji = "😀".repeat(64);
        let long = safe_name(&emoji);
        assert!(long.len() <= MAX_FOLDER_BYTES, "{long}");
        assert!(
            long.starts_with("😀😀")
                && long.ends_with(&crate::ids::short_hash([emoji.as_str()])[..8])
        );
        assert_ne!(safe_name(&format!("{emoji}🎉")), long);
        // NFC: the composed and decomposed forms are one folder.
        assert_eq!(safe_name("e\u{301}"), "\u{e9}");
    }

    #[test]
    fn folder_names_stay_apart_and_plain_names_stay_plain() {
        let names = folder_names(["区卫\u{200B}健委", "区卫健委", "Abc", "abc", "..", "   "]);
        assert_eq!(names[1], "区卫健委", "the unchanged name keeps its folder");
        assert!(names[0].starts_with("区卫健委-") && names[0].len() == "区卫健委".len() + 9);
        let lower: HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
        assert_eq!(lower.len(), names.len(), "{names:?}");
        assert_eq!(names[2], "Abc");
        assert_eq!(href_segment("A_1 50% #"), "A_1%2050%25%20%23");
        assert_eq!(href_segment("办"), "%E5%8A%9E");
    }
}
