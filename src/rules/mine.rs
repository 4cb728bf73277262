//! Mining brand terms from collected spam text (`rules mine`).
//!
//! Gambling and porn platforms change their names every few months; the
//! words their names stand before do not (开云体育, 九游娱乐官网, 麻豆传媒).
//! Given spam texts an office has collected — titles of hijacked pages,
//! spam threads — this finds the names that stand before such a word in
//! several distinct sources and writes them, each with the word it was
//! seen with, as keyword terms. The rule is fixed and mechanical
//! (docs/brandfeed.md) so that a list is regenerated and checked, never
//! picked by taste: a brand list picked while looking at the samples it is
//! measured on measures nothing.

use super::fold::{fold_term, FoldOptions};
use crate::error::InputError;
use crate::page::Page;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

/// What a spam text advertises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpamKind {
    Gambling,
    Porn,
}

impl SpamKind {
    pub fn name(self) -> &'static str {
        match self {
            SpamKind::Gambling => "gambling",
            SpamKind::Porn => "porn",
        }
    }

    pub fn parse(s: &str) -> Option<SpamKind> {
        [SpamKind::Gambling, SpamKind::Porn]
            .into_iter()
            .find(|k| k.name() == s)
    }

    /// The words a platform's name stands before, for this kind.
    pub fn suffixes(self) -> &'static [&'static str] {
        match self {
            SpamKind::Gambling => &[
                "体育", "娱乐", "电竞", "棋牌", "真人", "彩票", "官网", "官方",
            ],
            SpamKind::Porn => &["传媒", "视频", "影视", "影院", "直播"],
        }
    }
}

/// One collected spam text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpamText {
    /// Where it was seen: a URL, or `owner/repo@commit:path`.
    pub source: String,
    pub kind: SpamKind,
    pub text: String,
    /// Its line in the file, for messages.
    pub line: usize,
}

/// A texts file's text as a spreadsheet saves it: UTF-8 (a BOM dropped),
/// UTF-16 with its BOM (Excel's "Unicode Text", tab-separated), or
/// GBK/GB18030 (Excel's "Text (Tab delimited)" on Chinese Windows). Never
/// decoded with replacement characters: a byte none of them reads is
/// refused with its line.
pub fn decode_texts(path: &Path, bytes: &[u8]) -> Result<String, InputError> {
    use crate::register::decode_strictly;
    let utf16 = match bytes {
        [0xFF, 0xFE, rest @ ..] => Some((encoding_rs::UTF_16LE, rest)),
        [0xFE, 0xFF, rest @ ..] => Some((encoding_rs::UTF_16BE, rest)),
        _ => None,
    };
    if let Some((encoding, rest)) = utf16 {
        return decode_strictly(encoding, rest).map_err(|at| {
            // Line breaks are the code unit 0x000A, in either byte order.
            let line = rest[..at]
                .chunks(2)
                .filter(|u| u == &[0x0A, 0x00] || u == &[0x00, 0x0A])
                .count()
                + 1;
            InputError::at(path, line, "not valid UTF-16: save the file as UTF-8")
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(text.to_string()),
        Err(e) => e.valid_up_to(),
    };
    decode_strictly(encoding_rs::GB18030, bytes).map_err(|gb_error| {
        let at = utf8_error.max(gb_error);
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        InputError::at(
            path,
            line,
            format!(
                "byte 0x{:02X} is neither UTF-8 nor GBK: save the file as UTF-8",
                bytes[at]
            ),
        )
    })
}

/// Read a tab-separated file with the header `source, kind, text`.
pub fn parse_texts(path: &Path, text: &str) -> Result<Vec<SpamText>, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let (header_line, header) = lines
        .by_ref()
        .find(|(_, l)| !l.trim().is_empty())
        .ok_or_else(|| InputError::at(path, 1, "empty: expected a header row"))?;
    let names: Vec<&str> = header.split('\t').map(str::trim).collect();
    if names.len() < 3 || names[..3] != ["source", "kind", "text"] {
        return Err(InputError::at(
            path,
            header_line,
            "the header row must be the columns source, kind, text (tab-separated)",
        ));
    }
    let mut out = Vec::new();
    for (line, raw) in lines {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = raw.splitn(3, '\t').collect();
        if cols.len() < 3 {
            return Err(InputError::at(
                path,
                line,
                "expected 3 tab-separated columns (source, kind, text)",
            ));
        }
        let kind = SpamKind::parse(cols[1].trim()).ok_or_else(|| {
            InputError::at(
                path,
                line,
                format!("kind `{}`: use gambling or porn", cols[1].trim()),
            )
        })?;
        let source = cols[0].trim();
        if source.is_empty() {
            return Err(InputError::at(path, line, "empty source"));
        }
        out.push(SpamText {
            source: source.to_string(),
            kind,
            text: cols[2].to_string(),
            line,
        });
    }
    Ok(out)
}

/// A brand must stand before a suffix in this many distinct sources…
pub const MIN_BRAND_SOURCES: usize = 3;
/// …and a brand-and-suffix term must be seen in this many.
pub const MIN_TERM_SOURCES: usize = 2;
/// Longest Latin name taken (`kaiyun`, `bet365`, `leyu888`): longer runs are
/// domains and strings of keywords, not a name.
const MAX_LATIN: usize = 12;

/// Words that stand before 体育, 官方 or 视频 in ordinary text, the sales
/// words spam puts before a brand's suffix, and the names of legitimate
/// platforms: never a brand.
const NOT_BRANDS: &[&str] = &[
    "中国",
    "国家",
    "全国",
    "我国",
    "国际",
    "学校",
    "大学",
    "学院",
    "群众",
    "全民",
    "竞技",
    "校园",
    "青少年",
    "少儿",
    "网络",
    "在线",
    "手机",
    "最新",
    "官方",
    "正规",
    "合法",
    "十大",
    "排名",
    "靠谱",
    "可靠",
    "推荐",
    "平台",
    "中文",
    "下载",
    "入口",
    "登录",
    "注册",
    "网页",
    "网址",
    "电子",
    "app",
    "ios",
    "安卓",
    // Descriptions and link words standing where a name stands: the first
    // mining's output (免费视频, 线上娱乐, 博彩体育, 比如体育 …).
    "免费",
    "观看",
    "国产",
    "线上",
    "线下",
    "网上",
    "博彩",
    "真钱",
    "比如",
    "例如",
    "包括",
    "高清",
    "成人",
    "日本",
    "欧美",
    "亚洲",
    "精品",
    "顶级",
    "知名",
    "大型",
    "专业",
    "综合",
    "全球",
    // Legitimate video, sports and news platforms, which spam names too.
    "腾讯",
    "优酷",
    "爱奇艺",
    "抖音",
    "快手",
    "央视",
    "哔哩",
    "西瓜",
    "芒果",
    "搜狐",
    "新浪",
    "网易",
    "百度",
    "咪咕",
    "虎牙",
    "斗鱼",
    "人民",
    "新华",
    "体彩",
    "福彩",
    "中体",
    "cctv",
    "bilibili",
    "youtube",
];

/// A mined term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mined {
    pub kind: SpamKind,
    /// The brand and the suffix it was seen with, folded (`开云体育`).
    pub term: String,
    pub brand: String,
    /// Distinct sources the brand was seen in, before any suffix.
    pub brand_sources: usize,
    /// Distinct sources the term itself was seen in.
    pub term_sources: usize,
}

fn fold_options() -> FoldOptions {
    FoldOptions {
        separators: false,
        ..FoldOptions::ALL
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// Between a name and its suffix: `开云 体育`, `开云·体育`, `bob-体育`.
fn is_joiner(c: char) -> bool {
    matches!(c, ' ' | '·' | '•' | '-' | '\u{00a0}')
}

fn all_suffixes() -> impl Iterator<Item = &'static str> {
    [SpamKind::Gambling, SpamKind::Porn]
        .into_iter()
        .flat_map(|k| k.suffixes().iter().copied())
}

/// The names standing before a suffix in one folded text, with the suffix:
/// the last 2, 3 and 4 Han characters, or a 2–12 character Latin run with
/// a letter in it.
fn candidates(folded: &str, kind: SpamKind) -> Vec<(String, &'static str)> {
    let chars: Vec<char> = folded.chars().collect();
    let mut out = Vec::new();
    for suffix in kind.suffixes() {
        let s: Vec<char> = suffix.chars().collect();
        for at in 0..chars.len() {
            if !chars[at..].starts_with(&s) {
                continue;
            }
            let mut end = at;
            while end > 0 && is_joiner(chars[end - 1]) {
                end -= 1;
            }
            if end == 0 {
                continue;
            }
            let last = chars[end - 1];
            if is_han(last) {
                let run = chars[..end]
                    .iter()
                    .rev()
                    .take_while(|c| is_han(**c))
                    .count();
                for n in 2..=run.min(4) {
                    out.push((chars[end - n..end].iter().collect(), *suffix));
                }
            } else if last.is_ascii_alphanumeric() {
                let run = chars[..end]
                    .iter()
                    .rev()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .count();
                let name = &chars[end - run..end];
                if (2..=MAX_LATIN).contains(&run) && name.iter().any(|c| c.is_ascii_alphabetic()) {
                    out.push((name.iter().collect(), *suffix));
                }
            }
        }
    }
    out
}

/// Mine the brand terms of `texts` (see the module comment). Sorted by
/// kind, then term.
pub fn mine(texts: &[SpamText]) -> Vec<Mined> {
    type Sources = BTreeSet<usize>;
    let mut brands: BTreeMap<(SpamKind, String), Sources> = BTreeMap::new();
    let mut terms: BTreeMap<(SpamKind, String, &'static str), Sources> = BTreeMap::new();
    // Sources are counted distinct: one thread quoting a title three times,
    // or the same page listed twice, is one sighting.
    let mut source_ids: BTreeMap<&str, usize> = BTreeMap::new();
    for t in texts {
        let next = source_ids.len();
        let id = *source_ids.entry(t.source.as_str()).or_insert(next);
        let folded = fold_term(&t.text, fold_options());
        for (name, suffix) in candidates(&folded, t.kind) {
            brands.entry((t.kind, name.clone())).or_default().insert(id);
            terms.entry((t.kind, name, suffix)).or_default().insert(id);
        }
    }
    // A name ending in a description (`级竞技`, `老平台`) is a description.
    let kept: BTreeMap<(SpamKind, &str), usize> = brands
        .iter()
        .filter(|((_, name), sources)| {
            sources.len() >= MIN_BRAND_SOURCES
                && !NOT_BRANDS.iter().any(|w| name.ends_with(w))
                && !all_suffixes().any(|s| name.contains(s))
        })
        .map(|((kind, name), sources)| ((*kind, name.as_str()), sources.len()))
        .collect();
    // Names that end alike: `最新开云` and `开云` both pass when 开云 is
    // common, and 开云, seen more often, is the name; `百家乐` and `家乐` pass
    // together, and 百家乐, seen as often, is the name (家乐 was never seen
    // without 百). So a name is dropped for a shorter one seen more often,
    // or for a longer one seen as often.
    let names: HashSet<(SpamKind, &str)> = kept
        .iter()
        .filter(|((kind, name), &count)| {
            !kept.iter().any(|((k, other), &other_count)| {
                k == kind
                    && other != name
                    && ((name.ends_with(other) && other_count > count)
                        || (other.ends_with(name) && other_count >= count))
            })
        })
        .map(|(key, _)| *key)
        .collect();
    let mut out: Vec<Mined> = terms
        .iter()
        .filter(|((kind, name, _), sources)| {
            names.contains(&(*kind, name.as_str())) && sources.len() >= MIN_TERM_SOURCES
        })
        .map(|((kind, name, suffix), sources)| Mined {
            kind: *kind,
            term: format!("{name}{suffix}"),
            brand: name.clone(),
            brand_sources: brands[&(*kind, name.clone())].len(),
            term_sources: sources.len(),
        })
        .collect();
    out.sort_by(|a, b| (a.kind, &a.term).cmp(&(b.kind, &b.term)));
    out
}

/// Does `term` occur in `text`, both folded as keywords are (width, case,
/// traditional, separators skipped)? How a mined term is checked against
/// legitimate pages before it is kept.
pub fn occurs_in(term: &str, text: &str) -> bool {
    let term = fold_for_search(term);
    !term.is_empty() && fold_for_search(text).contains(&term)
}

/// Text folded as keywords are, separators skipped: fold a text once and
/// look for several folded terms in it.
pub fn fold_for_search(text: &str) -> String {
    fold_term(text, FoldOptions::ALL)
}

/// The mined terms split into those kept and those found in a block of a
/// legitimate page (with the page's name): step 6 of the rule.
pub fn drop_found_on(
    mined: Vec<Mined>,
    legit: &[(String, Page)],
) -> (Vec<Mined>, Vec<(Mined, String)>) {
    // Every block folded once, not once per term.
    let folded: Vec<(&str, Vec<String>)> = legit
        .iter()
        .map(|(name, page)| {
            let blocks = page
                .blocks
                .iter()
                .map(|b| fold_for_search(&b.text))
                .collect();
            (name.as_str(), blocks)
        })
        .collect();
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for m in mined {
        let term = fold_for_search(&m.term);
        let on = folded
            .iter()
            .find(|(_, blocks)| blocks.iter().any(|b| b.contains(term.as_str())));
        match on {
            Some((name, _)) => dropped.push((m, name.to_string())),
            None => kept.push(m),
        }
    }
    (kept, dropped)
}

/// What a mining read, for the list's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    pub kind: SpamKind,
    /// Texts of the kind mined, and their distinct sources.
    pub texts: usize,
    pub sources: usize,
    /// Texts left out, their source being a sample's.
    pub left_out: usize,
}

/// The keywords file: a comment header (the rule, the counts, the terms
/// dropped and where), then one term a line.
pub fn keywords_file(counts: &Counts, kept: &[Mined], dropped: &[(Mined, String)]) -> String {
    let mut out = format!(
        "# {} brand terms mined by `sitesweep rules mine --kind {}` (docs/brandfeed.md)\n\
         # from {} texts of {} distinct sources{}.\n\
         # A name before a suffix in at least {MIN_BRAND_SOURCES} sources; a term seen in at least {MIN_TERM_SOURCES}.\n\
         # Regenerate rather than edit: the list is the rule's output.\n",
        kept.len(),
        counts.kind.name(),
        counts.texts,
        counts.sources,
        if counts.left_out > 0 {
            format!(" ({} texts left out: sources of the labelled set)", counts.left_out)
        } else {
            String::new()
        },
    );
    if !dropped.is_empty() {
        out.push_str("# Dropped, on a legitimate tune page of the set:\n");
        for (m, page) in dropped {
            out.push_str(&format!("#   {} ({page})\n", m.term));
        }
    }
    for m in kept {
        out.push_str(&m.term);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(rows: &[(&str, &str)]) -> Vec<SpamText> {
        rows.iter()
            .enumerate()
            .map(|(i, (source, text))| SpamText {
                source: source.to_string(),
                kind: SpamKind::Gambling,
                text: text.to_string(),
                line: i + 2,
            })
            .collect()
    }

    fn terms(mined: &[Mined]) -> Vec<&str> {
        mined.iter().map(|m| m.term.as_str()).collect()
    }

    #[test]
    fn a_name_before_a_suffix_in_three_sources_is_mined_with_the_suffixes_seen_twice() {
        let mined = mine(&texts(&[
            ("a", "2026最新开云体育官网登录入口"),
            ("b", "開云體育app下载"),
            ("c", "开云 体育(中国)官方网站"),
            ("d", "开云娱乐注册"),
        ]));
        // 开云 stands before 体育 in a, b, c and 娱乐 in d: 体育 is kept,
        // 娱乐 (one source) is not. 最新开云 and 新开云 end with 开云.
        assert_eq!(terms(&mined), ["开云体育"]);
        assert_eq!(mined[0].brand_sources, 4);
        assert_eq!(mined[0].term_sources, 3);
    }

    #[test]
    fn one_source_repeating_a_name_counts_once() {
        let mined = mine(&texts(&[
            ("a", "乐鱼体育 乐鱼体育 乐鱼体育"),
            ("a", "乐鱼体育官网"),
            ("b", "乐鱼体育"),
        ]));
        assert!(mined.is_empty(), "{mined:?}");
    }

    #[test]
    fn latin_names_need_a_letter_and_common_words_are_never_brands() {
        let mined = mine(&texts(&[
            ("a", "BOB体育 2026体育 中国体育 app体育"),
            ("b", "ｂｏｂ 体育 2026体育 中国体育 app体育"),
            ("c", "bob·体育 2026体育 中国体育 app体育"),
        ]));
        assert_eq!(terms(&mined), ["bob体育"]);
    }

    #[test]
    fn a_longer_name_seen_as_often_is_the_name() {
        let mined = mine(&texts(&[
            ("a", "真人百家乐娱乐平台"),
            ("b", "百家乐娱乐"),
            ("c", "百家乐 娱乐"),
            ("d", "全球顶级竞技棋牌中心"),
            ("e", "顶级竞技棋牌"),
            ("f", "顶级竞技棋牌"),
        ]));
        // 家乐 and 百家乐 are both in a, b and c: 百家乐 is the name.
        // 级竞技 and 顶级竞技 end in a description (竞技).
        assert_eq!(terms(&mined), ["百家乐娱乐"]);
    }

    #[test]
    fn a_name_containing_a_suffix_is_not_a_second_brand() {
        let mined = mine(&texts(&[
            ("a", "星空体育官方"),
            ("b", "星空体育官方"),
            ("c", "星空体育官方"),
        ]));
        // 空体育/星空体育 before 官方 contain 体育: only 星空 is a name.
        assert_eq!(terms(&mined), ["星空体育"]);
    }

    #[test]
    fn porn_suffixes_apply_to_porn_texts_only() {
        let mut rows = texts(&[("a", "麻豆传媒"), ("b", "麻豆传媒"), ("c", "麻豆传媒")]);
        assert!(mine(&rows).is_empty());
        for r in &mut rows {
            r.kind = SpamKind::Porn;
        }
        assert_eq!(terms(&mine(&rows)), ["麻豆传媒"]);
    }

    #[test]
    fn occurrence_is_checked_folded() {
        assert!(occurs_in("开云体育", "警方破获“開云 體育”网络赌博案"));
        assert!(!occurs_in("开云体育", "开展体育活动"));
    }

    #[test]
    fn texts_saved_by_a_spreadsheet_are_read_in_utf16_and_gbk() {
        let path = Path::new("t.tsv");
        let text = "source\tkind\ttext\na\tgambling\t開云體育\n";
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode_texts(path, &utf16).unwrap(), text);
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(decode_texts(path, &gbk).unwrap(), text);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend(text.as_bytes());
        assert_eq!(decode_texts(path, &bom).unwrap(), text);
        // Neither UTF-8 nor GBK: refused at its line, never replaced.
        let err = decode_texts(path, b"source\tkind\ttext\na\tporn\t\xFF\xFF\n").unwrap_err();
        assert!(err.to_string().starts_with("t.tsv:2: byte 0xFF"), "{err}");
    }

    #[test]
    fn a_bad_texts_file_is_refused_with_its_line() {
        let path = Path::new("t.tsv");
        let err = parse_texts(path, "source\tkind\ttext\nx\tpoker\tabc\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.tsv:2: kind `poker`: use gambling or porn"
        );
        assert!(parse_texts(path, "a\tb\n").is_err());
        let ok = parse_texts(path, "source\tkind\ttext\nx\tporn\ta\tb\n").unwrap();
        assert_eq!(ok[0].text, "a\tb");
    }
}
