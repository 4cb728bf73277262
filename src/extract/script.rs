//! String literals of inline scripts. Injected spam arrives as
//! `document.write('<a href=…>百家乐</a>')`, often split into pieces joined
//! with `+`, or percent-encoded for `unescape`. We do not run scripts; we
//! read their string literals, joining literals that are concatenated.

/// The strings of a script: each is a literal, or several literals joined
/// by `+`, with escapes decoded.
pub fn strings(script: &str) -> Vec<String> {
    let bytes = script.as_bytes();
    let mut out: Vec<String> = Vec::new();
    let mut joinable = false; // the last token was a literal followed by `+`
    let mut last_was_literal = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = script[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = script[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            b'\'' | b'"' | b'`' => {
                let (value, end) = literal(script, i);
                if joinable && !out.is_empty() {
                    if let Some(last) = out.last_mut() {
                        last.push_str(&value);
                    }
                } else {
                    out.push(value);
                }
                i = end;
                last_was_literal = true;
                joinable = false;
                continue;
            }
            b'+' if last_was_literal => {
                joinable = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            // `'<a>' + name + '</a>'`: the variable's value is unknown, but
            // the literals around it are still one string.
            c if joinable && (c.is_ascii_alphabetic() || c == b'_' || c == b'$') => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || b"_$.".contains(&bytes[i]))
                {
                    i += 1;
                }
                last_was_literal = true;
                joinable = false;
                continue;
            }
            _ => {}
        }
        last_was_literal = false;
        joinable = false;
        i += 1;
    }
    out.retain(|s| !s.trim().is_empty());
    for s in &mut out {
        if s.contains("%3C") || s.contains("%3c") {
            *s = percent_decode(s);
        }
    }
    out
}

/// Parse the literal starting at `start` (its quote); returns its value and
/// the index after the closing quote.
fn literal(script: &str, start: usize) -> (String, usize) {
    let quote = script.as_bytes()[start] as char;
    let mut value = String::new();
    let mut chars = script[start + 1..].char_indices();
    while let Some((off, c)) = chars.next() {
        match c {
            c if c == quote => return (value, start + 1 + off + 1),
            '\n' if quote != '`' => return (value, start + 1 + off),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, '\n')) => {}
                Some((_, 'x')) => {
                    let hex: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                    if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        value.push(ch);
                    }
                }
                Some((_, 'u')) => {
                    let rest = &script[start + 1 + off + 2..];
                    let (code, used) = if rest.starts_with('{') {
                        let end = rest.find('}').unwrap_or(rest.len());
                        (rest[1..end].to_string(), end + 1)
                    } else {
                        (rest.chars().take(4).collect::<String>(), 4)
                    };
                    for _ in 0..used {
                        chars.next();
                    }
                    if let Some(ch) = u32::from_str_radix(&code, 16).ok().and_then(char::from_u32) {
                        value.push(ch);
                    }
                }
                Some((_, other)) => value.push(other),
                None => {}
            },
            _ => value.push(c),
        }
    }
    (value, script.len())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where a page sends visitors by script (`location.href = '/cms/'`,
/// `window.location.replace("…")`, `top.location = …`), resolved against
/// the page URL: the first such assignment of a string literal, if any.
/// Used for start pages that hold nothing else (`/` → `/index.jsp` by
/// script is common on portals), which a browser would follow.
pub fn redirect_target(html: &str, base: &url::Url) -> Option<url::Url> {
    static ASSIGN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(?i)\blocation(?:\s*\.\s*href)?\s*=\s*["']([^"'\s]{1,2000})["']|\blocation\s*\.\s*(?:replace|assign)\s*\(\s*["']([^"'\s]{1,2000})["']"#,
        )
        .expect("valid regex")
    });
    let caps = ASSIGN.captures(html)?;
    let target = caps.get(1).or_else(|| caps.get(2))?.as_str();
    crate::urls::resolve(base, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_joined_across_variables() {
        let s = strings("document.write('<div style=\"display:none\"><a>' + _x + '新葡京' + '</a></div>'); f(a + 'b');");
        assert_eq!(
            s,
            vec!["<div style=\"display:none\"><a>新葡京</a></div>", "b"]
        );
    }

    #[test]
    fn literals_with_escapes_and_concatenation() {
        let s = strings(
            r#"var a = "baidu.com"; // 'comment'
            document.write('<a href="http://x.com">' + "\u767e\u5bb6\u4e50" +
               '</a>'); /* "c2" */ var t = `tpl`; var e = 'it\'s';"#,
        );
        assert_eq!(
            s,
            vec![
                "baidu.com",
                "<a href=\"http://x.com\">百家乐</a>",
                "tpl",
                "it's"
            ]
        );
    }

    #[test]
    fn unescape_payloads_are_percent_decoded() {
        let s = strings("document.write(unescape('%3Ca%20href%3D%22x%22%3E%E7%99%BE%E5%AE%B6%E4%B9%90%3C/a%3E'))");
        assert_eq!(s, vec!["<a href=\"x\">百家乐</a>"]);
    }
}
