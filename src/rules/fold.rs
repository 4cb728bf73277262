//! Folding: the one pass that makes disguised text comparable.
//!
//! Text is folded character by character (width/compatibility forms, case,
//! traditional → simplified), zero-width and format characters are dropped,
//! and — when separator skipping is on — whitespace, punctuation and symbols
//! are dropped too, with a count of how many were dropped before each kept
//! character and a flag when one of them was word-breaking punctuation
//! ([`breaks_words`]). Every folded byte remembers the original byte offset of the
//! character it came from, so a hit found in the folded text maps back to the
//! original text it covers.
//!
//! Folding is per character (not whole-string NFKC) so that the offset map is
//! exact; terms and page text are folded by the same function, so both sides
//! agree.

use super::trad;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

/// Which folds apply. `separators` means "skip separators": they are dropped
/// from the folded text and counted in [`Folded::gap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FoldOptions {
    pub width: bool,
    pub case: bool,
    pub traditional: bool,
    pub separators: bool,
}

impl FoldOptions {
    /// Everything on: how keywords are matched by default.
    pub const ALL: FoldOptions = FoldOptions {
        width: true,
        case: true,
        traditional: true,
        separators: true,
    };

    /// The text regexes run on: width-folded, nothing skipped (regexes
    /// themselves are case-insensitive).
    pub fn for_regex(width: bool) -> FoldOptions {
        FoldOptions {
            width,
            case: false,
            traditional: false,
            separators: false,
        }
    }

    fn table_index(self) -> usize {
        (self.width as usize) | (self.case as usize) << 1 | (self.traditional as usize) << 2
    }
}

/// Folded text with its map back to the original.
#[derive(Clone, Debug, Default)]
pub struct Folded {
    pub text: String,
    /// For every byte of `text`: the byte offset, in the original, of the
    /// character it was folded from.
    pub src: Vec<u32>,
    /// For every byte of `text` that starts a character: how many separators
    /// were skipped right before it (a run of whitespace counts as one;
    /// saturates at 127), with [`BREAK`] set when one of them was
    /// word-breaking punctuation. Other bytes hold 0.
    pub gap: Vec<u8>,
}

impl Folded {
    pub fn clear(&mut self) {
        self.text.clear();
        self.src.clear();
        self.gap.clear();
    }

    /// Original byte range covered by folded bytes `start..end`.
    pub fn original_range(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        let first = self.src[start] as usize;
        let last = self.src[end - 1] as usize;
        let last_len = original[last..].chars().next().map_or(0, char::len_utf8);
        (first, last + last_len)
    }

    /// The largest number of separators skipped between two characters of
    /// the folded span `start..end`.
    pub fn max_gap(&self, start: usize, end: usize) -> u8 {
        self.gaps(start, end).0
    }

    /// The largest number of separators skipped between two characters of
    /// the folded span `start..end`, and whether word-breaking punctuation
    /// was among them.
    #[inline]
    pub fn gaps(&self, start: usize, end: usize) -> (u8, bool) {
        let (mut max, mut any) = (0u8, 0u8);
        for &g in &self.gap[start + 1..end] {
            max = max.max(g & !BREAK);
            any |= g;
        }
        (max, any & BREAK != 0)
    }

    /// Folded byte offsets of the characters of `start..end` that have
    /// word-breaking punctuation skipped right before them (not the first).
    pub fn breaks(&self, start: usize, end: usize) -> impl Iterator<Item = usize> + '_ {
        (start + 1..end).filter(|&i| self.gap[i] & BREAK != 0)
    }

    /// First folded byte whose source is at or after original offset `orig`.
    pub fn folded_offset(&self, orig: usize) -> usize {
        self.src.partition_point(|&o| (o as usize) < orig)
    }
}

/// Fold `input` into a fresh buffer.
pub fn fold(input: &str, opts: FoldOptions) -> Folded {
    let mut out = Folded::default();
    fold_into(input, opts, &mut out);
    out
}

/// Fold only the text, dropping separators when the options say so: how
/// terms, allow phrases and context words are prepared.
pub fn fold_term(input: &str, opts: FoldOptions) -> String {
    fold(input, opts).text
}

/// Set in a [`Folded::gap`] byte when word-breaking punctuation was among
/// the separators skipped there.
pub const BREAK: u8 = 0x80;

// A table entry: the folded character in the low 21 bits, or an index into
// the expansion list, plus class bits.
const SEP: u32 = 1 << 31;
const WS: u32 = 1 << 30;
const DROP: u32 = 1 << 29;
const EXPANSION: u32 = 1 << 28;
const HARD: u32 = 1 << 27;
/// The character folds to itself (class bits aside): its bytes can be
/// copied as they are.
const SAME: u32 = 1 << 26;
const VALUE: u32 = 0x1F_FFFF;

struct Table {
    bmp: Vec<u32>,
    expansions: Vec<Vec<u32>>,
}

fn table(opts: FoldOptions) -> &'static Table {
    static TABLES: [OnceLock<Table>; 8] = [const { OnceLock::new() }; 8];
    TABLES[opts.table_index()].get_or_init(|| build_table(opts))
}

fn build_table(opts: FoldOptions) -> Table {
    let mut table = Table {
        bmp: vec![0; 0x1_0000],
        expansions: Vec::new(),
    };
    for cp in 0..0x1_0000u32 {
        let entry = match char::from_u32(cp) {
            None => cp, // surrogates never occur in a str
            Some(c) => {
                let folded = fold_char(c, opts);
                match folded.as_slice() {
                    [] => DROP,
                    [one] if one & VALUE == cp => *one | SAME,
                    [one] => *one,
                    many => {
                        table.expansions.push(many.to_vec());
                        EXPANSION | (table.expansions.len() as u32 - 1)
                    }
                }
            }
        };
        table.bmp[cp as usize] = entry;
    }
    table
}

/// Zero-width and format characters that are dropped wherever they are.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}')
}

/// Enclosed digits that NFKC leaves alone (⓿ ❶ ➀ ➊ ⓵ …).
fn extra_digit(c: char) -> Option<u32> {
    let cp = c as u32;
    match cp {
        0x24FF => Some(0),                         // ⓿
        0x2776..=0x277F => Some(cp - 0x2776 + 1),  // ❶..❿
        0x2780..=0x2789 => Some(cp - 0x2780 + 1),  // ➀..➉
        0x278A..=0x2793 => Some(cp - 0x278A + 1),  // ➊..➓
        0x24F5..=0x24FE => Some(cp - 0x24F5 + 1),  // ⓵..⓾
        0x24EB..=0x24F4 => Some(cp - 0x24EB + 11), // ⓫..⓴
        _ => None,
    }
}

fn class_of(c: char) -> u32 {
    if c.is_whitespace() {
        SEP | WS
    } else if c.is_alphanumeric() || is_mark(c) {
        0
    } else if is_word_break(c) {
        SEP | HARD
    } else {
        SEP
    }
}

/// Punctuation a reader takes as the end of a word: the comma, enumeration
/// comma, full stop, semicolon, colon, question and exclamation marks,
/// quotation marks and brackets of Chinese text, in any width (`，` folds to
/// `,`, so the ASCII forms are here too; `.` is not: it is the commonest
/// separator spammers insert, and Chinese prose ends sentences with `。`).
/// A term's characters are never joined across one (`刻章、办证` does not
/// hit `章办证`), unless the term itself is written with it there or the
/// same separators stand between all its characters (`百，家，乐`).
fn is_word_break(c: char) -> bool {
    matches!(c,
        ',' | ';' | ':' | '!' | '?' | '(' | ')' | '"' | '\''
        // 、 。 〈 〉 《 》 「 」 『 』 【 】 and the other CJK brackets (not the
        // wave dash 〜), 〝 〞 〟
        | '\u{3001}' | '\u{3002}' | '\u{3008}'..='\u{3011}' | '\u{3014}'..='\u{301B}'
        | '\u{301D}'..='\u{301F}'
        // ‘ ’ “ ”
        | '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}'
        // full-width ！ ＂ ＇ （ ） ， ： ； ？ and half-width ｡ ｢ ｣ ､ (width folding off)
        | '\u{FF01}' | '\u{FF02}' | '\u{FF07}' | '\u{FF08}' | '\u{FF09}' | '\u{FF0C}'
        | '\u{FF1A}' | '\u{FF1B}' | '\u{FF1F}' | '\u{FF61}'..='\u{FF64}'
        // small and vertical forms: ﹐ ﹑ ﹔ ﹕ ﹖ ﹗ ﹙ ﹚ ﹁–﹄
        | '\u{FE50}' | '\u{FE51}' | '\u{FE54}'..='\u{FE57}' | '\u{FE59}' | '\u{FE5A}'
        | '\u{FE41}'..='\u{FE44}')
}

/// Is `c` word-breaking punctuation once folded (width folding on)?
pub fn breaks_words(c: char) -> bool {
    let cp = c as u32;
    cp < 0x1_0000 && {
        let entry = table(FoldOptions::ALL).bmp[cp as usize];
        entry & (DROP | EXPANSION) == 0 && entry & HARD != 0
    }
}

/// Combining marks stay with their base character rather than counting as
/// separators (rough ranges; enough for the scripts seen on these sites).
fn is_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{0483}'..='\u{0489}' | '\u{0591}'..='\u{05BD}'
        | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0900}'..='\u{0903}'
        | '\u{093A}'..='\u{094F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}' | '\u{3099}' | '\u{309A}')
}

/// The folded characters of one original character, each with its class bits.
fn fold_char(c: char, opts: FoldOptions) -> Vec<u32> {
    if is_invisible(c) {
        return Vec::new();
    }
    let mut stage1: Vec<char> = Vec::with_capacity(2);
    if opts.width {
        if let Some(d) = extra_digit(c) {
            stage1.extend(d.to_string().chars());
        } else {
            let mut buf = [0u8; 4];
            stage1.extend(c.encode_utf8(&mut buf).nfkc());
        }
    } else {
        stage1.push(c);
    }
    let mut out = Vec::with_capacity(stage1.len());
    for ch in stage1 {
        let lowered: Vec<char> = if opts.case {
            ch.to_lowercase().collect()
        } else {
            vec![ch]
        };
        for l in lowered {
            let s = if opts.traditional {
                trad::to_simplified(l)
            } else {
                l
            };
            if is_invisible(s) {
                continue;
            }
            out.push(s as u32 | class_of(s));
        }
    }
    out
}

/// Would folding leave `input` exactly as it is (no separators skipped)?
/// Then the text can be matched as it is, with no offset map to build: URLs
/// and other ASCII blocks, and Chinese text without full-width forms (the
/// full-width comma `，` is one), for the width-only fold regexes use.
pub fn unchanged(input: &str, opts: FoldOptions) -> bool {
    debug_assert!(!opts.separators);
    let table = table(opts);
    input.chars().all(|c| {
        let cp = c as u32;
        cp < 0x1_0000 && table.bmp[cp as usize] & (VALUE | DROP | EXPANSION) == cp
    })
}

/// Every character that folds to (or to a sequence holding) `wanted`:
/// itself, its full-width and compatibility forms (`［` and `﹇` for `[`).
/// The planes beyond the first are searched only where compatibility forms
/// live (mathematical letters and digits, enclosed alphanumerics, CJK
/// compatibility ideographs).
pub fn sources_of(wanted: char, opts: FoldOptions) -> Vec<char> {
    let table = table(opts);
    let w = wanted as u32;
    let mut out = Vec::new();
    for cp in 0..0x1_0000u32 {
        let entry = table.bmp[cp as usize];
        let folds_to = if entry & EXPANSION != 0 {
            table.expansions[(entry & VALUE) as usize]
                .iter()
                .any(|&e| e & VALUE == w)
        } else {
            entry & DROP == 0 && entry & VALUE == w
        };
        if folds_to {
            out.extend(char::from_u32(cp));
        }
    }
    for range in [
        0x1D400..=0x1D7FF,
        0x1EE00..=0x1EEFF,
        0x1F100..=0x1F2FF,
        0x2F800..=0x2FA1F,
    ] {
        for cp in range {
            if let Some(c) = char::from_u32(cp) {
                if fold_char(c, opts).iter().any(|&e| e & VALUE == w) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// Fold `input` into `out` (cleared first), reusing its buffers.
///
/// Most characters of a page fold to themselves (Chinese text, lower-case
/// letters, digits): a run of them is copied in one go, with its offsets
/// and gaps written in tight loops, and only the others go through
/// [`emit`] one by one.
pub fn fold_into(input: &str, opts: FoldOptions, out: &mut Folded) {
    out.clear();
    out.text.reserve(input.len());
    out.src.reserve(input.len());
    out.gap.reserve(input.len());
    let table = table(opts);
    // A character is copied when it folds to itself and is kept (when
    // separators are skipped, a separator is not, even when unchanged).
    let copy_mask = if opts.separators { SAME | SEP } else { SAME };
    let bytes = input.as_bytes();
    let mut state = GapState::default();
    // Start of the run of copied characters not yet written out.
    let mut run = 0;
    let mut at = 0;
    while at < bytes.len() {
        let (cp, len) = decode(bytes, at);
        let entry = if cp < 0x1_0000 {
            table.bmp[cp as usize]
        } else {
            0
        };
        if entry & copy_mask == SAME {
            at += len;
            continue;
        }
        copy_run(input, run, at, &mut state, out);
        let offset = at as u32;
        if cp >= 0x1_0000 {
            let c = input[at..].chars().next().unwrap_or('\u{FFFD}');
            for e in fold_char(c, opts) {
                emit(e, offset, opts.separators, &mut state, out);
            }
        } else if entry & EXPANSION != 0 {
            for &e in &table.expansions[(entry & VALUE) as usize] {
                emit(e, offset, opts.separators, &mut state, out);
            }
        } else if entry & DROP == 0 {
            emit(entry, offset, opts.separators, &mut state, out);
        }
        at += len;
        run = at;
    }
    copy_run(input, run, at, &mut state, out);
}

/// The code point starting at byte `at` of valid UTF-8, and its length.
#[inline(always)]
fn decode(bytes: &[u8], at: usize) -> (u32, usize) {
    let first = bytes[at] as u32;
    if first < 0x80 {
        return (first, 1);
    }
    let b1 = bytes[at + 1] as u32 & 0x3F;
    if first < 0xE0 {
        return ((first & 0x1F) << 6 | b1, 2);
    }
    let b2 = bytes[at + 2] as u32 & 0x3F;
    if first < 0xF0 {
        return ((first & 0x0F) << 12 | b1 << 6 | b2, 3);
    }
    let b3 = bytes[at + 3] as u32 & 0x3F;
    ((first & 0x07) << 18 | b1 << 12 | b2 << 6 | b3, 4)
}

/// Write out `input[start..end]`, characters that fold to themselves and
/// are kept: the bytes as they are, each byte's offset that of its
/// character, the separators skipped before the run on its first byte.
#[inline]
fn copy_run(input: &str, start: usize, end: usize, state: &mut GapState, out: &mut Folded) {
    if start == end {
        return;
    }
    let bytes = &input.as_bytes()[start..end];
    out.text.push_str(&input[start..end]);
    let mut char_start = start as u32;
    out.src.extend(bytes.iter().enumerate().map(|(i, &b)| {
        if b & 0xC0 != 0x80 {
            char_start = (start + i) as u32;
        }
        char_start
    }));
    let first = out.gap.len();
    out.gap.resize(first + bytes.len(), 0);
    out.gap[first] = state.gap.min(127) as u8 | if state.hard { BREAK } else { 0 };
    state.gap = 0;
    state.in_whitespace = false;
    state.hard = false;
}

#[derive(Default)]
struct GapState {
    gap: u32,
    in_whitespace: bool,
    hard: bool,
}

#[inline]
fn emit(entry: u32, offset: u32, skip_separators: bool, state: &mut GapState, out: &mut Folded) {
    if skip_separators && entry & SEP != 0 {
        if entry & WS == 0 {
            state.gap += 1;
            state.in_whitespace = false;
            state.hard |= entry & HARD != 0;
        } else if !state.in_whitespace {
            state.gap += 1;
            state.in_whitespace = true;
        }
        return;
    }
    let c = char::from_u32(entry & VALUE).unwrap_or('\u{FFFD}');
    let len = c.len_utf8();
    let gap = state.gap.min(127) as u8 | if state.hard { BREAK } else { 0 };
    out.text.push(c);
    if len == 1 {
        out.src.push(offset);
        out.gap.push(gap);
    } else {
        // One slice copy each instead of a push per byte (most text here is
        // 3-byte CJK).
        out.src.extend_from_slice(&[offset; 4][..len]);
        out.gap.extend_from_slice(&[gap, 0, 0, 0][..len]);
    }
    state.gap = 0;
    state.in_whitespace = false;
    state.hard = false;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> String {
        fold_term(s, FoldOptions::ALL)
    }

    #[test]
    fn folds_width_case_traditional_and_invisibles() {
        assert_eq!(f("ｂｅｔ３６５"), "bet365");
        assert_eq!(f("BET365"), "bet365");
        assert_eq!(f("賭博"), "赌博");
        assert_eq!(f("百\u{200b}家乐"), "百家乐");
        assert_eq!(f("①❶➀➊⓵⓿"), "111110");
        assert_eq!(f("㍿"), "株式会社");
    }

    #[test]
    fn separators_are_counted_and_whitespace_runs_count_once() {
        let folded = fold("百 \t\n 家.*乐", FoldOptions::ALL);
        assert_eq!(folded.text, "百家乐");
        assert_eq!(folded.gap[3], 1); // the whitespace run
        assert_eq!(folded.gap[6], 2); // '.' and '*'
        assert_eq!(folded.max_gap(0, folded.text.len()), 2);
    }

    #[test]
    fn word_breaking_punctuation_is_flagged_in_the_gap() {
        let folded = fold("刻章、办证 百.家", FoldOptions::ALL);
        let ban = folded.text.find('办').unwrap();
        assert_eq!(folded.gap[ban], 1 | BREAK);
        assert_eq!(folded.gap[folded.text.find('百').unwrap()], 1);
        assert_eq!(folded.gap[folded.text.find('家').unwrap()], 1);
        assert_eq!(folded.gaps(0, ban + 6), (1, true));
        assert_eq!(
            folded.breaks(0, folded.text.len()).collect::<Vec<_>>(),
            [ban]
        );
        for c in "、，,。“”‘’（)！?；:《」『【｡".chars() {
            assert!(breaks_words(c), "{c}");
        }
        for c in ".*-_/|·~ 〜…—#".chars() {
            assert!(!breaks_words(c), "{c}");
        }
    }

    #[test]
    fn offsets_map_back_to_original_text() {
        let original = "ｘ百.家.乐ｙ";
        let folded = fold(original, FoldOptions::ALL);
        let start = folded.text.find("百家乐").unwrap();
        let (a, b) = folded.original_range(original, start, start + "百家乐".len());
        assert_eq!(&original[a..b], "百.家.乐");
    }

    #[test]
    fn unchanged_text_is_recognised() {
        let opts = FoldOptions::for_regex(true);
        assert!(unchanged(
            "身份证号 510107198008123459 电话 13800138000。",
            opts
        ));
        assert!(unchanged(
            "http://www.example.gov.cn/news/1.html?id=2",
            opts
        ));
        assert!(
            !unchanged("电话，", opts),
            "the full-width comma folds to ','"
        );
        assert!(!unchanged("１３８", opts));
        assert!(!unchanged("百\u{200b}家", opts));
        assert!(!unchanged("㍿", opts));
    }

    /// Folding one character at a time, as `fold_into` did before runs of
    /// unchanged characters were copied whole: both must agree exactly.
    fn fold_per_char(input: &str, opts: FoldOptions) -> Folded {
        let mut out = Folded::default();
        let table = table(opts);
        let mut state = GapState::default();
        for (offset, c) in input.char_indices() {
            let cp = c as u32;
            let entries = if cp < 0x1_0000 {
                let entry = table.bmp[cp as usize];
                if entry & EXPANSION != 0 {
                    table.expansions[(entry & VALUE) as usize].clone()
                } else if entry & DROP == 0 {
                    vec![entry]
                } else {
                    Vec::new()
                }
            } else {
                fold_char(c, opts)
            };
            for e in entries {
                emit(e, offset as u32, opts.separators, &mut state, &mut out);
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn copied_runs_fold_as_characters_one_by_one(
            input in "[a-zA-Z0-9 .,，、。\t\n百家乐賭博ｂｅｔ３６５①㍿\u{200b}\u{1F600}é]{0,40}",
            width: bool, case: bool, traditional: bool, separators: bool,
        ) {
            let opts = FoldOptions { width, case, traditional, separators };
            let want = fold_per_char(&input, opts);
            let got = fold(&input, opts);
            proptest::prop_assert_eq!(&got.text, &want.text);
            proptest::prop_assert_eq!(&got.src, &want.src);
            proptest::prop_assert_eq!(&got.gap, &want.gap);
        }
    }

    #[test]
    fn regex_fold_keeps_separators_and_case() {
        let folded = fold("Ｔel: １３８ 0013 8000", FoldOptions::for_regex(true));
        assert_eq!(folded.text, "Tel: 138 0013 8000");
    }
}
