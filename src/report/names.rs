//! Folder names for reports, made from operators' names: safe on every
//! file system and in links, bounded in bytes, apart from each other.

use super::redact::is_hidden_control;
use std::collections::HashSet;

/// Folder names are at most this many bytes (file systems count bytes:
/// ext4 and others allow 255, which 64 four-byte characters exceed).
pub const MAX_FOLDER_BYTES: usize = 100;

/// Characters dropped from folder names: controls, zero-width and other
/// format characters, bidi controls, line and paragraph separators, tags.
pub(super) fn unfit_for_names(c: char) -> bool {
    c.is_control()
        || is_hidden_control(c)
        || crate::rules::fold::is_invisible(c)
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FFF9}'..='\u{FFFB}' | '\u{FFFE}' | '\u{FFFF}' | '\u{E0000}'..='\u{E007F}')
}

/// `name` cut to at most `max` bytes on a character boundary.
pub(super) fn cut(name: &str, max: usize) -> &str {
    let mut end = max.min(name.len());
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// A name ending in `-` and 8 hex digits of `key`'s hash, within
/// [`MAX_FOLDER_BYTES`].
pub(super) fn with_hash(base: &str, key: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::super::redact::href_segment;
    use super::*;

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
