//! Ways to reach a seller, written into text: the part of a spam line that
//! does the selling (`needs_contact` rules).
//!
//! Spam posted into comment boxes, issue trackers and hacked pages is often
//! one line: a game or service name and a way to buy it — a mobile number
//! broken into groups (`131-6628-2258`), a messaging handle (`微信【zdn200】`,
//! `纸飞机《@lc15688》`, `QQ 123456`) or a domain typed out, often with a
//! dot that is not a dot so the page does not link it (`263613·cc`,
//! `aa10001.com`). Warnings and news name the same games, and give at most
//! a hotline or their own site. A term of a `needs_contact` rule counts only
//! with one of these near it, in the same block.
//!
//! Judged on the original text, read character by character with full-width
//! forms and ASCII case folded; bounded by the block's length (linear).

/// What kind of contact was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactKind {
    /// A mainland mobile number, possibly written in groups.
    Mobile,
    /// A messaging label (微信, QQ, 飞机 …) followed by an id.
    Handle,
    /// A domain written out as text, not a government or education one.
    Domain,
}

impl ContactKind {
    pub const ALL: [ContactKind; 3] = [
        ContactKind::Mobile,
        ContactKind::Handle,
        ContactKind::Domain,
    ];

    /// The name a pack writes in `contact_kinds`.
    pub fn key(self) -> &'static str {
        match self {
            ContactKind::Mobile => "mobile",
            ContactKind::Handle => "handle",
            ContactKind::Domain => "domain",
        }
    }

    pub fn parse(key: &str) -> Option<ContactKind> {
        ContactKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Its bit in a set of kinds.
    pub fn bit(self) -> u8 {
        match self {
            ContactKind::Mobile => 1,
            ContactKind::Handle => 2,
            ContactKind::Domain => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ContactKind::Mobile => "mobile number",
            ContactKind::Handle => "messaging handle",
            ContactKind::Domain => "domain written out",
        }
    }
}

/// One contact: its kind and the original byte range it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contact {
    pub kind: ContactKind,
    pub start: usize,
    pub end: usize,
}

/// A character of the text, folded, with its original byte range.
#[derive(Clone, Copy)]
struct Ch {
    c: char,
    start: usize,
    end: usize,
}

/// Full-width ASCII to ASCII, ASCII upper case to lower case, the
/// ideographic and full-width full stops to '.', and the look-alikes ads
/// type a domain's letters with (`DF518·匚匚` is `df518.cc`, round 6, tune
/// split spam/135) to the letter; everything else as is.
fn fold_char(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        // 匚, small roman numeral one hundred, Cyrillic es.
        '匚' | '\u{217D}' | '\u{0441}' | '\u{0421}' => 'c',
        // Cyrillic o, ideographic number zero.
        '\u{043E}' | '\u{041E}' | '〇' => 'o',
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// Messaging labels a handle follows. ASCII labels need a non-letter before
/// them (`tg` is not the end of `betg`).
const LABELS: &[&str] = &[
    "微信",
    "微",
    "v信",
    "威信",
    "薇信",
    "vx",
    "wx",
    // Spelled apart so that a filter of `wx` misses it (`w-x:KongGeGe0128`).
    "w-x",
    "v-x",
    "qq",
    // `【Q632144】`: a QQ number after a bare Q, digits only (below).
    "q",
    "扣扣",
    "企鹅",
    "飞机",
    "纸飞机",
    "telegram",
    "tg",
    "电报",
    "whatsapp",
    "skype",
];

/// Characters allowed between a label and its id (`微信：`, `微信【`, `QQ号 `,
/// `TG客服:@dslm89bot`).
fn label_joiner(c: char) -> bool {
    matches!(
        c,
        ':' | '：'
            | '号'
            | '客'
            | '服'
            | ' '
            | '【'
            | '】'
            | '['
            | '('
            | '（'
            | '《'
            | '<'
            | '“'
            | '"'
            | '-'
            | '—'
            | '='
            | '/'
            | '|'
    )
}

fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@')
}

/// Separators a number is written in groups with, or a domain's dot is
/// replaced by.
fn digit_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '—' | '–' | '.' | '·' | '_' | '\u{00A0}')
}

fn domain_dot(c: char) -> bool {
    matches!(c, '.' | '·' | '。' | '点' | '丶' | '•' | '∙' | '｡')
}

/// Top-level domains of the kind spam sites use, and the common ones.
const TLDS: &[&str] = &[
    "com", "net", "cc", "vip", "top", "xyz", "me", "app", "org", "co", "tv", "info", "biz", "live",
    "bet", "club", "site", "shop", "io", "cn", "hk", "la", "win", "ws", "pw", "fun", "online",
    "asia", "tw", "mo", "in", "one", "link", "cyou", "icu",
];

/// Every contact in `text`, in order.
pub fn contacts(text: &str) -> Vec<Contact> {
    let chars: Vec<Ch> = text
        .char_indices()
        .map(|(i, c)| Ch {
            c: fold_char(c),
            start: i,
            end: i + c.len_utf8(),
        })
        .collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if let Some((kind, end)) =
            mobile_at(&chars, i).or_else(|| handle_at(&chars, i).or_else(|| domain_at(&chars, i)))
        {
            found.push(Contact {
                kind,
                start: chars[i].start,
                end: chars[end - 1].end,
            });
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

/// A mobile number starting at `i`: `1[3-9]` and nine more digits, a
/// separator allowed between any two, touching no other digit; or, written
/// as the usual 3-4-4 groups, any one character that is neither a letter
/// of the alphabet nor a digit between the groups (`178乄7383乄9004`: ads
/// pick odd characters so that filters miss the number).
fn mobile_at(chars: &[Ch], i: usize) -> Option<(ContactKind, usize)> {
    if chars[i].c != '1' || (i > 0 && chars[i - 1].c.is_ascii_digit()) {
        return None;
    }
    plain_mobile_at(chars, i).or_else(|| grouped_mobile_at(chars, i))
}

fn plain_mobile_at(chars: &[Ch], i: usize) -> Option<(ContactKind, usize)> {
    let mut digits = 0;
    let mut j = i;
    let mut end = i;
    while j < chars.len() && digits < 11 {
        let c = chars[j].c;
        if c.is_ascii_digit() {
            if digits == 1 && !('3'..='9').contains(&c) {
                return None;
            }
            digits += 1;
            j += 1;
            end = j;
        } else if digits > 0 && digit_separator(c) {
            j += 1;
        } else {
            break;
        }
    }
    let touches = chars.get(end).is_some_and(|c| c.c.is_ascii_digit())
        || (chars.get(end).is_some_and(|c| digit_separator(c.c))
            && chars.get(end + 1).is_some_and(|c| c.c.is_ascii_digit()));
    (digits == 11 && !touches).then_some((ContactKind::Mobile, end))
}

fn grouped_mobile_at(chars: &[Ch], i: usize) -> Option<(ContactKind, usize)> {
    let digit = |j: usize| chars.get(j).is_some_and(|c| c.c.is_ascii_digit());
    // Anything but a digit or a letter between the groups, and the letter
    // x (`188x1887x9571`: an escort ad's number, development corpus).
    let joiner = |j: usize| {
        chars
            .get(j)
            .is_some_and(|c| c.c == 'x' || (!c.c.is_ascii_alphanumeric() && !c.c.is_numeric()))
    };
    let mut j = i;
    for (g, len) in [3, 4, 4].into_iter().enumerate() {
        if g > 0 {
            if !joiner(j) {
                return None;
            }
            j += 1;
        }
        for _ in 0..len {
            if !digit(j) {
                return None;
            }
            j += 1;
        }
    }
    if !('3'..='9').contains(&chars[i + 1].c) || digit(j) {
        return None;
    }
    Some((ContactKind::Mobile, j))
}

/// A messaging label at `i` and an id after it: at least five characters,
/// one of them a digit (`微信公众号：请扫码` has none).
fn handle_at(chars: &[Ch], i: usize) -> Option<(ContactKind, usize)> {
    let label = LABELS.iter().find(|l| {
        let mut j = i;
        l.chars().all(|lc| {
            let ok = chars.get(j).is_some_and(|c| c.c == lc);
            j += 1;
            ok
        })
    })?;
    if label.is_ascii() && i > 0 && chars[i - 1].c.is_ascii_alphabetic() {
        return None;
    }
    let mut j = i + label.chars().count();
    if label.is_ascii() && chars.get(j).is_some_and(|c| c.c.is_ascii_alphanumeric()) {
        // `qq123456` is a handle; `tgz` or `wxyz` is not.
        if !chars[j].c.is_ascii_digit() {
            return None;
        }
    }
    let mut joined = 0;
    while j < chars.len() && joined < 4 && label_joiner(chars[j].c) {
        j += 1;
        joined += 1;
    }
    let id_start = j;
    while j < chars.len() && id_char(chars[j].c) {
        j += 1;
    }
    let id = &chars[id_start..j];
    if *label == "q" {
        // A QQ number: 5 to 11 digits (not steel grade Q235 or Q345B).
        let digits = id.iter().take_while(|c| c.c.is_ascii_digit()).count();
        let whole = digits == id.len();
        return (whole && (5..=11).contains(&digits)).then_some((ContactKind::Handle, j));
    }
    let long_enough = id.iter().filter(|c| c.c.is_ascii_alphanumeric()).count() >= 5;
    let has_digit = id.iter().any(|c| c.c.is_ascii_digit());
    (long_enough && has_digit).then_some((ContactKind::Handle, j))
}

/// A domain at `i`: labels of letters, digits and hyphens joined by a dot
/// or a dot's stand-in, ending in a known top-level domain. Government and
/// education domains (`gov.cn`, `edu.cn`) do not count: they are the
/// warnings' own sites.
fn domain_at(chars: &[Ch], i: usize) -> Option<(ContactKind, usize)> {
    let label_char = |c: char| c.is_ascii_alphanumeric() || c == '-';
    if !label_char(chars[i].c) || (i > 0 && (label_char(chars[i - 1].c) || chars[i - 1].c == '@')) {
        return None;
    }
    let mut labels: Vec<String> = Vec::new();
    let mut j = i;
    loop {
        let start = j;
        while j < chars.len() && label_char(chars[j].c) && j - start < 63 {
            j += 1;
        }
        if j == start {
            break;
        }
        labels.push(chars[start..j].iter().map(|c| c.c).collect());
        if j + 1 < chars.len() && domain_dot(chars[j].c) && label_char(chars[j + 1].c) {
            j += 1;
        } else {
            break;
        }
    }
    if labels.len() < 2 || chars.get(j).is_some_and(|c| label_char(c.c)) {
        return None;
    }
    // The longest run of labels that ends in a known TLD.
    let tld = labels.last()?;
    if !TLDS.contains(&tld.as_str()) {
        return None;
    }
    let name = &labels[labels.len() - 2];
    let official = labels
        .iter()
        .any(|l| matches!(l.as_str(), "gov" | "edu" | "mil"));
    if official || name.len() < 2 || name.chars().all(|c| c == '-') {
        return None;
    }
    Some((ContactKind::Domain, j))
}

/// The contact of one of `kinds` (a set of [`ContactKind::bit`]) nearest
/// to the byte range `start..end` of `text`, within `window` characters of
/// it; 0 when they touch or overlap. `contacts` are in text order (as
/// [`contacts`] gives them): only those within `4 × window` bytes (a
/// character is at most four) are looked at, found by binary search, so a
/// hostile block with thousands of terms and contacts costs no more than
/// its near pairs.
pub fn nearest(
    text: &str,
    contacts: &[Contact],
    kinds: u8,
    start: usize,
    end: usize,
    window: usize,
) -> Option<Contact> {
    let reach = window.saturating_mul(4);
    let distance = |c: &Contact| {
        if c.end <= start {
            text[c.end..start].chars().count()
        } else if c.start >= end {
            text[end..c.start].chars().count()
        } else {
            0
        }
    };
    // Contacts from `first` on end after the hit starts.
    let first = contacts.partition_point(|c| c.end <= start);
    let before = contacts[..first]
        .iter()
        .rev()
        .take_while(|c| c.end.saturating_add(reach) >= start);
    let after = contacts[first..]
        .iter()
        .take_while(|c| c.start <= end.saturating_add(reach));
    before
        .chain(after)
        .filter(|c| c.kind.bit() & kinds != 0)
        .map(|c| (distance(c), *c))
        .filter(|&(d, _)| d <= window)
        .min_by_key(|&(d, c)| (d, c.start))
        .map(|(_, c)| c)
}

/// The contact of one of `kinds` nearest to the hit at `start..end` of
/// `text`, within `window` characters, looking only at the text around the
/// hit (the window in bytes, and a margin for a contact that starts before
/// it): a block of megabytes costs what its near text costs, and nothing
/// is held for the whole block.
pub fn nearest_around(
    text: &str,
    kinds: u8,
    start: usize,
    end: usize,
    window: usize,
) -> Option<Contact> {
    const MARGIN: usize = 256;
    let reach = window.saturating_mul(4).saturating_add(MARGIN);
    let mut lo = start.saturating_sub(reach);
    while !text.is_char_boundary(lo) {
        lo -= 1;
    }
    let mut hi = end.saturating_add(reach).min(text.len());
    while !text.is_char_boundary(hi) {
        hi += 1;
    }
    let found: Vec<Contact> = contacts(&text[lo..hi])
        .into_iter()
        .map(|c| Contact {
            start: c.start + lo,
            end: c.end + lo,
            ..c
        })
        .collect();
    nearest(text, &found, kinds, start, end, window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(ContactKind, &str)> {
        contacts(text)
            .into_iter()
            .map(|c| (c.kind, &text[c.start..c.end]))
            .collect()
    }

    #[test]
    fn mobiles_in_groups_and_whole() {
        use ContactKind::Mobile;
        assert_eq!(
            kinds("【電—131-6628-2258—微】"),
            vec![(Mobile, "131-6628-2258")]
        );
        assert_eq!(kinds("电话13800138000"), vec![(Mobile, "13800138000")]);
        assert_eq!(kinds("138 0013 8000。"), vec![(Mobile, "138 0013 8000")]);
        assert_eq!(
            kinds("１３８００１３８０００"),
            vec![(Mobile, "１３８００１３８０００")]
        );
        // spam/097 (tune): odd characters between the groups.
        assert_eq!(
            kinds("（电）１７８乄７３８３乄９００４满"),
            vec![(Mobile, "１７８乄７３８３乄９００４")]
        );
        assert_eq!(kinds("178丨7383丨9004"), vec![(Mobile, "178丨7383丨9004")]);
        assert_eq!(
            kinds("【188x1887x9571娜娜】"),
            vec![(Mobile, "188x1887x9571")]
        );
        // Not groups of another shape, nor letters between them.
        assert!(kinds("1780乄738乄9004").is_empty());
        assert!(kinds("178a7383b9004").is_empty());
        // Part of a longer number, a landline, a 12-digit id: none.
        assert!(kinds("513800138000").is_empty());
        assert!(kinds("138001380001").is_empty());
        assert!(kinds("0571-87654321").is_empty());
        assert!(kinds("12345678901").is_empty());
    }

    #[test]
    fn handles_after_messaging_labels() {
        use ContactKind::Handle;
        assert_eq!(kinds("主管微信【zdn200】"), vec![(Handle, "微信【zdn200")]);
        assert_eq!(kinds("微：my123456vv 域"), vec![(Handle, "微：my123456vv")]);
        assert_eq!(
            kinds("纸飞机《@lc15688》"),
            vec![(Handle, "纸飞机《@lc15688")]
        );
        assert_eq!(kinds("QQ:123456789"), vec![(Handle, "QQ:123456789")]);
        assert_eq!(
            kinds("【TG客服:@dslm89bot】"),
            vec![(Handle, "TG客服:@dslm89bot")]
        );
        assert_eq!(
            kinds("w-x:KongGeGe0128"),
            vec![(Handle, "w-x:KongGeGe0128")]
        );
        assert!(kinds("微信客服：请在工作时间联系").is_empty());
        assert_eq!(
            kinds("ｑｑ１２３４５６"),
            vec![(Handle, "ｑｑ１２３４５６")]
        );
        // No digit, too short, a word that merely contains a label.
        assert!(kinds("关注微信公众号：请扫描二维码").is_empty());
        assert!(kinds("微信号：abc").is_empty());
        assert!(kinds("betg12345").is_empty());
        assert!(kinds("微博 weibo2024").is_empty());
        // A QQ number after a bare Q; steel grades and quarters are not.
        assert_eq!(kinds("开户【Q632144】"), vec![(Handle, "Q632144")]);
        assert!(kinds("采用Q235钢材，Q345B板材").is_empty());
        assert!(kinds("2024年Q3营收").is_empty());
        assert!(kinds("Q/12345678901234").is_empty());
    }

    #[test]
    fn domains_written_out() {
        use ContactKind::Domain;
        assert_eq!(kinds("域名： aa10001.com芳"), vec![(Domain, "aa10001.com")]);
        assert_eq!(kinds("新澳门彩263613·cc"), vec![(Domain, "263613·cc")]);
        assert_eq!(kinds("今晚特马88BF·CC"), vec![(Domain, "88BF·CC")]);
        assert_eq!(
            kinds("计划网(www.duhaowan.com)!!"),
            vec![(Domain, "www.duhaowan.com")]
        );
        assert_eq!(kinds("【376838.com】"), vec![(Domain, "376838.com")]);
        // Letters typed with look-alikes.
        assert_eq!(kinds("【誷―DF518·匚匚―】"), vec![(Domain, "DF518·匚匚")]);
        // Government and education sites, file names, version numbers,
        // unknown endings: none.
        assert!(kinds("详见www.cwl.gov.cn").is_empty());
        assert!(kinds("www.tsinghua.edu.cn").is_empty());
        assert!(kinds("附件.doc 和 v1.2.3").is_empty());
        assert!(kinds("index.html").is_empty());
        assert!(kinds("user@example.com").is_empty());
    }

    #[test]
    fn nearest_looks_only_near_the_hit() {
        // Thousands of contacts: the answer is the near one, found without
        // counting the characters to every other.
        let mut text = String::new();
        for i in 0..5_000 {
            text.push_str(&format!(
                "微信 ab{i:05}x 填充文字填充文字填充文字填充文字填充文字 "
            ));
        }
        let found = contacts(&text);
        assert_eq!(found.len(), 5_000);
        let all = ContactKind::ALL.iter().fold(0, |acc, k| acc | k.bit());
        let at = text.find("填充").unwrap();
        let near = nearest(&text, &found, all, at, at + "填充".len(), 40).unwrap();
        assert_eq!(&text[near.start..near.end], "微信 ab00000x");
        let middle = text.len() / 2;
        let middle = (middle..).find(|&i| text.is_char_boundary(i)).unwrap();
        let hit = nearest(&text, &found, all, middle, middle, 40);
        assert!(hit.is_some());
        // The same answers looking only around the hit.
        assert_eq!(
            nearest_around(&text, all, at, at + "填充".len(), 40),
            Some(near)
        );
        assert_eq!(nearest_around(&text, all, middle, middle, 40), hit);
    }

    #[test]
    fn nearest_counts_characters_between() {
        let text = "百家乐 微信：abc12345";
        let found = contacts(text);
        let term_end = "百家乐".len();
        let all = ContactKind::ALL.iter().fold(0, |acc, k| acc | k.bit());
        assert!(nearest(text, &found, all, 0, term_end, 1).is_some());
        assert!(nearest(text, &found, all, 0, term_end, 0).is_none());
        let no_handles = all & !ContactKind::Handle.bit();
        assert!(nearest(text, &found, no_handles, 0, term_end, 1).is_none());
    }
}
