//! Page text made safe to show: personal data masked, control and bidi
//! characters dropped, HTML and Markdown escaped, spreadsheet formulas
//! neutralised.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Mask personal data: every run of 11 or more digits (an ID number may end
/// in X) keeps its first 3 (mobile) or 4 characters and its last 4.
/// Numbers written in groups, as the rules find them, are masked alike and
/// keep their separators: mobiles 3-4-4 (`138-****-8000`), ID numbers 6-8-4
/// (`5101** ******** 3459`) and card numbers 4-4-4-4 with up to 3 more
/// digits, each group separated by one space or dash.
///
/// Digits are found on the folded text, as the rules find them: full-width
/// `１３８…`, circled and other compatibility digits count, and zero-width
/// characters inside a number do not break it. The original characters are
/// kept or replaced, so `１３８００１３８０００` reads `１３８****８０００`.
pub fn mask(text: &str) -> String {
    mask_runs(text).0
}

/// [`mask`], with the byte ranges of the masked numbers in its output.
pub(super) fn mask_runs(text: &str) -> (String, Vec<std::ops::Range<usize>>) {
    use crate::rules::fold::{fold, FoldOptions};
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
        } else if piece == " " || piece == "-" {
            Kind::Separator
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
        if let Some((end, len)) = grouped_number(&units, i) {
            // Keep the head and tail digits and every separator; star the
            // digits between.
            let keep_head = if len == 11 { 3 } else { 4 };
            let start = out.len();
            let mut seen = 0;
            for unit in &units[i..end] {
                let w = weight(unit.2);
                let piece = &text[unit.0..unit.1];
                if w == 0 {
                    if unit.2 == Kind::Separator {
                        out.push_str(piece);
                    }
                } else if seen + w <= keep_head || seen >= len - 4 {
                    out.push_str(piece);
                } else {
                    out.extend(std::iter::repeat_n('*', w));
                }
                seen += w;
            }
            runs.push(start..out.len());
            i = end;
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

/// What one original character folds to, for masking.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Digits(usize),
    X,
    Invisible,
    /// A space or dash: may separate the groups of a number.
    Separator,
    Other,
}

/// A number written in groups starting at unit `i` (a digit that no digit,
/// nor a digit and a separator, precedes), in one of the shapes the rules look for: the end (exclusive)
/// of its units and its length in digits.
fn grouped_number(units: &[(usize, usize, Kind)], i: usize) -> Option<(usize, usize)> {
    const SHAPES: [&[usize]; 6] = [
        &[4, 4, 4, 4, 3],
        &[4, 4, 4, 4, 2],
        &[4, 4, 4, 4, 1],
        &[4, 4, 4, 4],
        &[6, 8, 4],
        &[3, 4, 4],
    ];
    let digit = |j: usize| j < units.len() && matches!(units[j].2, Kind::Digits(_));
    // A group of a longer number that did not fit (`138-0013-8000-1234`).
    if i >= 2
        && units[i - 1].2 == Kind::Separator
        && matches!(units[i - 2].2, Kind::Digits(_) | Kind::X)
    {
        return None;
    }
    // Groups: (length in digits, end unit, ends with X); one more than the
    // longest shape, to tell a longer number.
    let mut groups: Vec<(usize, usize, bool)> = Vec::with_capacity(6);
    let mut j = i;
    while groups.len() < 6 {
        let (mut len, mut x) = (0, false);
        while j < units.len() && !x {
            match units[j].2 {
                Kind::Digits(n) => len += n,
                Kind::X if len > 0 => {
                    len += 1;
                    x = true;
                }
                Kind::Invisible if len > 0 => {}
                _ => break,
            }
            j += 1;
        }
        groups.push((len, j, x));
        // One separator, then the next group starts with a digit.
        if j < units.len() && units[j].2 == Kind::Separator && digit(j + 1) && !x {
            j += 1;
        } else {
            break;
        }
    }
    let lens: Vec<usize> = groups.iter().map(|g| g.0).collect();
    let shape = SHAPES.iter().find(|shape| lens == **shape)?;
    // An X only ends an ID number.
    let x_ok = groups
        .iter()
        .enumerate()
        .all(|(k, g)| !g.2 || (k == 2 && shape[0] == 6));
    x_ok.then(|| (groups[shape.len() - 1].1, shape.iter().sum()))
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
pub(super) fn without_controls(text: &str) -> Cow<'_, str> {
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
pub fn esc(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_hidden_control) {
        let clean: String = text.chars().filter(|&c| !is_hidden_control(c)).collect();
        Cow::Owned(html_escape::encode_text(&clean).into_owned())
    } else {
        html_escape::encode_text(text)
    }
}

/// A double-quoted HTML attribute value, like [`esc`].
pub fn attr(text: &str) -> Cow<'_, str> {
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
    fn numbers_written_in_groups_are_masked_and_keep_their_separators() {
        assert_eq!(mask("电话 138-0013-8000。"), "电话 138-****-8000。");
        assert_eq!(mask("138 0013 8000"), "138 **** 8000");
        assert_eq!(
            mask("５１０１０７　１９８００８１２　３４５９"),
            "５１０１**　********　３４５９"
        );
        assert_eq!(
            mask("身份证 510107 19800812 3459"),
            "身份证 5101** ******** 3459"
        );
        assert_eq!(mask("110105-19491231-002X"), "1101**-********-002X");
        assert_eq!(
            mask("卡号 6222 0212 3456 7890 128"),
            "卡号 6222 **** **** ***0 128"
        );
        assert_eq!(mask("4111 1111 1111 1111"), "4111 **** **** 1111");
        // Other grouped numbers stay as they are.
        assert_eq!(mask("0571-8700-0000"), "0571-8700-0000");
        assert_eq!(mask("2026-11-13 09:30"), "2026-11-13 09:30");
        assert_eq!(
            mask("138-0013-8000-1234-5678-9"),
            "138-0013-8000-1234-5678-9"
        );
        assert_eq!(mask("1 2 3 4 5 6 7 8 9 10 11"), "1 2 3 4 5 6 7 8 9 10 11");
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
}
