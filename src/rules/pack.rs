//! Rule packs: reading `*.toml` files (and their keyword files) into rule
//! specifications, refusing a bad pack as a whole with `file:line: message`.

use super::builtin;
use super::contact::ContactKind;
use super::validate::Validator;
use crate::error::{line_of, InputError, LineIndex};
use crate::findings::RESERVED_PREFIXES;
use crate::page::Field;
use crate::severity::Severity;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A place in a rule pack or keyword file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub file: PathBuf,
    pub line: usize,
}

impl Loc {
    pub fn error(&self, message: impl Into<String>) -> InputError {
        InputError::at(&self.file, self.line, message)
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A string written in a pack, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub text: String,
    pub loc: Loc,
}

/// Which folds apply to a rule's keywords (`[rule.normalize]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Normalize {
    pub width: bool,
    pub case: bool,
    pub traditional: bool,
    pub separators: bool,
}

impl Default for Normalize {
    fn default() -> Self {
        Normalize {
            width: true,
            case: true,
            traditional: true,
            separators: true,
        }
    }
}

/// A rule as written, checked but not compiled.
#[derive(Clone, Debug)]
pub struct RuleSpec {
    pub id: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    pub keywords: Vec<Located>,
    pub regex: Vec<Located>,
    pub validate: Option<Validator>,
    pub context: Vec<Located>,
    pub context_window: usize,
    pub allow: Vec<Located>,
    /// Words that drop a hit lying within `exclude_window` folded
    /// characters of one of them, in the same block (warnings quoting spam).
    pub exclude_context: Vec<Located>,
    pub exclude_window: usize,
    /// Drop a hit whose block holds this many distinct `exclude_context`
    /// words anywhere (a warning paragraph); 0: off.
    pub exclude_block: usize,
    /// Words that drop a hit in a table cell whose column header holds one
    /// of them (an amount column).
    pub exclude_header: Vec<Located>,
    pub min_distinct: usize,
    /// Terms that are not enough on their own (`weak`, as written); they
    /// are also among `keywords`.
    pub weak: Vec<Located>,
    /// Per keyword: it is one of `weak` and its hit needs a second signal.
    pub weak_keyword: Vec<bool>,
    /// Terms that count alone (`strong`, as written): a page with one of
    /// them is reported whatever `min_distinct` says. Also among `keywords`.
    pub strong: Vec<Located>,
    /// Per keyword: it is one of `strong`.
    pub strong_keyword: Vec<bool>,
    /// A hit counts only with a contact (mobile number, messaging handle,
    /// domain written out) within this many characters in its block
    /// (`needs_contact`, window `contact_window`); `None`: off.
    pub contact_window: Option<usize>,
    /// Which contacts count (`contact_kinds`), as a set of
    /// [`ContactKind::bit`]; all by default.
    pub contact_kinds: u8,
    /// Its hits are dropped in a block another rule of its category
    /// already reports (`fallback`; every `needs_contact` rule is one).
    pub fallback: bool,
    /// Bit set of [`Field::bit`].
    pub fields: u16,
    pub hidden_only: bool,
    pub tests_hit: Vec<String>,
    pub tests_miss: Vec<String>,
    pub normalize: Normalize,
    pub loc: Loc,
}

impl RuleSpec {
    pub fn applies_to(&self, field: Field) -> bool {
        self.fields & field.bit() != 0
    }

    /// What the rule matches, hashed: a finding of a rule whose hash
    /// changed between two scans cannot be called resolved. Where the rule
    /// is written (file, line) and its tests do not count.
    pub fn hash(&self) -> String {
        let texts = |v: &[Located]| {
            v.iter()
                .map(|l| l.text.clone())
                .collect::<Vec<_>>()
                .join("\u{1}")
        };
        let n = self.normalize;
        // Keys added later count only when used, so the hash of a rule that
        // does not use them stays what it was.
        let exclude = if self.exclude_context.is_empty() {
            String::new()
        } else {
            format!(
                "{}\u{1}{}",
                texts(&self.exclude_context),
                self.exclude_window
            )
        };
        let exclude_header = texts(&self.exclude_header);
        let weak = texts(&self.weak);
        let strong = texts(&self.strong);
        let exclude_block = if self.exclude_block == 0 {
            String::new()
        } else {
            self.exclude_block.to_string()
        };
        // The `attachment` field came later too: the fields hash as they
        // did before it, and whether a rule reads attachments counts only
        // where it differs from the usual (read by a rule that names no
        // fields, not by one that names others).
        let legacy = self.fields & 0xFF;
        let legacy_all = Field::ALL
            .iter()
            .filter(|f| **f != Field::Attachment)
            .fold(0, |acc, f| acc | f.bit());
        let reads_attachments = self.applies_to(Field::Attachment);
        let attachment = if reads_attachments == (legacy == legacy_all) {
            ""
        } else if reads_attachments {
            "attachment"
        } else {
            "no attachment"
        };
        let contact = self.contact_window.map_or(String::new(), |w| {
            format!("contact {w} {}", self.contact_kinds)
        });
        // (A contact rule is a fallback anyway: only the explicit key.)
        let fallback = if self.fallback && self.contact_window.is_none() {
            "fallback"
        } else {
            ""
        };
        let later = [
            exclude.as_str(),
            exclude_header.as_str(),
            weak.as_str(),
            exclude_block.as_str(),
            attachment,
            contact.as_str(),
            strong.as_str(),
            fallback,
        ];
        let used = later
            .iter()
            .rposition(|s| !s.is_empty())
            .map_or(0, |i| i + 1);
        crate::ids::short_hash(
            [
                self.id.as_str(),
                self.severity.name(),
                &texts(&self.keywords),
                &texts(&self.regex),
                self.validate.map_or("", |v| v.name()),
                &texts(&self.context),
                &self.context_window.to_string(),
                &texts(&self.allow),
                &self.min_distinct.to_string(),
                &legacy.to_string(),
                &format!(
                    "{} {} {} {} {}",
                    self.hidden_only, n.width, n.case, n.traditional, n.separators
                ),
            ]
            .into_iter()
            .chain(later[..used].iter().copied()),
        )
    }
}

/// A pack file that was loaded.
#[derive(Clone, Debug)]
pub struct PackInfo {
    pub path: PathBuf,
    pub rules: usize,
}

/// Every rule of every pack, in load order.
#[derive(Clone, Debug, Default)]
pub struct Packs {
    pub packs: Vec<PackInfo>,
    pub rules: Vec<RuleSpec>,
}

pub const DEFAULT_CONTEXT_WINDOW: usize = 40;
pub const DEFAULT_EXCLUDE_WINDOW: usize = 30;
/// Characters between a `needs_contact` term and its contact, by default:
/// a spam line puts them side by side (`棋牌官网微：my123456vv`), a paragraph
/// of an article does not.
pub const DEFAULT_CONTACT_WINDOW: usize = 40;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackToml {
    #[serde(default)]
    rule: Vec<Spanned<RuleToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    id: Spanned<String>,
    /// Optional: a rule written by hand often has none; reports then show
    /// its id.
    #[serde(default)]
    title: Option<String>,
    category: String,
    severity: Spanned<String>,
    #[serde(default)]
    keywords: Vec<Spanned<String>>,
    keywords_file: Option<Spanned<String>>,
    #[serde(default)]
    regex: Vec<Spanned<String>>,
    validate: Option<Spanned<String>>,
    #[serde(default)]
    context: Vec<Spanned<String>>,
    context_window: Option<Spanned<i64>>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_context: Vec<Spanned<String>>,
    exclude_window: Option<Spanned<i64>>,
    exclude_block: Option<Spanned<i64>>,
    #[serde(default)]
    exclude_header: Vec<Spanned<String>>,
    min_distinct: Option<Spanned<i64>>,
    #[serde(default)]
    weak: Vec<Spanned<String>>,
    #[serde(default)]
    strong: Vec<Spanned<String>>,
    #[serde(default)]
    needs_contact: bool,
    #[serde(default)]
    fallback: bool,
    contact_window: Option<Spanned<i64>>,
    contact_kinds: Option<Spanned<Vec<Spanned<String>>>>,
    fields: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    hidden_only: bool,
    tests: Option<TestsToml>,
    #[serde(default)]
    normalize: Normalize,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TestsToml {
    #[serde(default)]
    hit: Vec<String>,
    #[serde(default)]
    miss: Vec<String>,
}

/// Where keyword files are read from.
enum Source<'a> {
    Dir,
    Builtin(&'a HashMap<&'static str, &'static str>),
}

impl Packs {
    /// Load every `*.toml` under `dir` (recursively, in name order).
    pub fn load_dir(dir: &Path) -> Result<Packs, InputError> {
        if !dir.is_dir() {
            return Err(InputError::plain(format!(
                "{}: rules directory not found",
                dir.display()
            )));
        }
        let mut files = Vec::new();
        collect_toml(dir, &mut files)
            .map_err(|e| InputError::plain(format!("{}: {e}", dir.display())))?;
        files.sort();
        if files.is_empty() {
            return Err(InputError::plain(format!(
                "{}: no *.toml rule packs in this directory",
                dir.display()
            )));
        }
        let mut packs = Packs::default();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| InputError::at(&file, 0, format!("cannot read: {e}")))?;
            packs.add(&file, &text, &Source::Dir)?;
        }
        Ok(packs)
    }

    /// The packs built into the binary (the same files as `rules/`).
    pub fn builtin() -> Packs {
        let files: HashMap<&'static str, &'static str> = builtin::FILES.iter().copied().collect();
        let mut packs = Packs::default();
        for (name, text) in builtin::FILES {
            if name.ends_with(".toml") {
                let path = Path::new(builtin::PREFIX).join(name);
                packs
                    .add(&path, text, &Source::Builtin(&files))
                    .expect("built-in rule packs are valid (checked by tests)");
            }
        }
        packs
    }

    /// Load a single pack from text (used by tests and tooling).
    pub fn from_text(path: &Path, text: &str) -> Result<Packs, InputError> {
        let mut packs = Packs::default();
        packs.add(path, text, &Source::Dir)?;
        Ok(packs)
    }

    fn add(&mut self, path: &Path, text: &str, source: &Source) -> Result<(), InputError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let parsed: PackToml = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            InputError::at(path, line, e.message().trim().to_string())
        })?;
        let count = parsed.rule.len();
        let lines = LineIndex::new(text);
        for rule in parsed.rule {
            let spec = convert(path, &lines, rule, source)?;
            if let Some(prev) = self.rules.iter().find(|r| r.id == spec.id) {
                return Err(spec.loc.error(format!(
                    "duplicate rule id `{}` (first defined at {})",
                    spec.id, prev.loc
                )));
            }
            self.rules.push(spec);
        }
        self.packs.push(PackInfo {
            path: path.to_path_buf(),
            rules: count,
        });
        Ok(())
    }
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

fn convert(
    path: &Path,
    lines: &LineIndex,
    rule: Spanned<RuleToml>,
    source: &Source,
) -> Result<RuleSpec, InputError> {
    let at = |start: usize| Loc {
        file: path.to_path_buf(),
        line: lines.line(start),
    };
    let located = |s: Spanned<String>| Located {
        loc: at(s.span().start),
        text: s.into_inner(),
    };
    let rule_loc = at(rule.span().start);
    let r = rule.into_inner();

    let id_loc = at(r.id.span().start);
    let id = r.id.into_inner();
    if !valid_id(&id) {
        return Err(id_loc.error(format!(
            "bad rule id `{id}`: use lower-case letters, digits, '.' and '-', starting with a letter or digit"
        )));
    }
    if let Some(p) = RESERVED_PREFIXES.iter().find(|p| id.starts_with(*p)) {
        return Err(id_loc.error(format!(
            "rule id `{id}`: ids starting with `{p}` are reserved for site-level findings"
        )));
    }
    let severity = Severity::parse(r.severity.get_ref()).ok_or_else(|| {
        at(r.severity.span().start).error(format!(
            "bad severity `{}`: use info, low, medium, high or critical",
            r.severity.get_ref()
        ))
    })?;

    let mut keywords: Vec<Located> = r.keywords.into_iter().map(located).collect();
    if let Some(file) = r.keywords_file {
        let loc = at(file.span().start);
        let name = file.into_inner();
        keywords.extend(read_keywords_file(path, &name, &loc, source)?);
    }
    for k in &keywords {
        if k.text.trim().is_empty() {
            return Err(k.loc.error("empty keyword"));
        }
    }
    // Weak and strong terms are keywords too; one already among them
    // (from a keywords file) is marked rather than repeated.
    let weak: Vec<Located> = r.weak.into_iter().map(located).collect();
    let mut weak_keyword = mark_keywords(&mut keywords, &weak, "weak")?;
    let strong: Vec<Located> = r.strong.into_iter().map(located).collect();
    let strong_keyword = mark_keywords(&mut keywords, &strong, "strong")?;
    // Strong terms added after the weak ones are not weak.
    weak_keyword.resize(keywords.len(), false);
    if let Some(both) = strong.iter().find(|t| {
        keywords
            .iter()
            .position(|k| k.text == t.text)
            .is_some_and(|i| weak_keyword[i])
    }) {
        return Err(both
            .loc
            .error(format!("`{}` is both weak and strong", both.text)));
    }
    let regex: Vec<Located> = r.regex.into_iter().map(located).collect();
    if keywords.is_empty() && regex.is_empty() {
        return Err(rule_loc.error(format!(
            "rule `{id}` has neither keywords nor regex: it could never hit"
        )));
    }
    let validate = match r.validate {
        None => None,
        Some(v) => {
            let loc = at(v.span().start);
            let name = v.into_inner();
            let validator = Validator::parse(&name).ok_or_else(|| {
                loc.error(format!(
                    "unknown validator `{name}`: use one of {}",
                    Validator::NAMES
                ))
            })?;
            if regex.is_empty() {
                return Err(loc.error("`validate` checks regex hits, but this rule has no regex"));
            }
            Some(validator)
        }
    };
    let context_window = match r.context_window {
        None => DEFAULT_CONTEXT_WINDOW,
        Some(w) if *w.get_ref() >= 0 => *w.get_ref() as usize,
        Some(w) => return Err(at(w.span().start).error("context_window must not be negative")),
    };
    let exclude_window = match r.exclude_window {
        None => DEFAULT_EXCLUDE_WINDOW,
        Some(w) if *w.get_ref() >= 0 => *w.get_ref() as usize,
        Some(w) => return Err(at(w.span().start).error("exclude_window must not be negative")),
    };
    let exclude_block = match r.exclude_block {
        None => 0,
        Some(n) if *n.get_ref() >= 2 && !r.exclude_context.is_empty() => *n.get_ref() as usize,
        Some(n) => {
            return Err(at(n.span().start)
                .error("exclude_block must be at least 2, and needs exclude_context words"))
        }
    };
    let contact_window = match (r.needs_contact, r.contact_window) {
        (false, None) => None,
        (true, None) => Some(DEFAULT_CONTACT_WINDOW),
        (true, Some(w)) if *w.get_ref() >= 0 => Some(*w.get_ref() as usize),
        (true, Some(w)) => {
            return Err(at(w.span().start).error("contact_window must not be negative"))
        }
        (false, Some(w)) => {
            return Err(
                at(w.span().start).error("contact_window is used only with needs_contact = true")
            )
        }
    };
    let all_kinds = ContactKind::ALL.iter().fold(0, |acc, k| acc | k.bit());
    let contact_kinds = match r.contact_kinds {
        None => all_kinds,
        Some(list) if !r.needs_contact => {
            return Err(
                at(list.span().start).error("contact_kinds is used only with needs_contact = true")
            )
        }
        Some(list) => {
            let loc = at(list.span().start);
            let mut bits = 0;
            for k in list.into_inner() {
                let kind = ContactKind::parse(k.get_ref()).ok_or_else(|| {
                    at(k.span().start).error(format!(
                        "unknown contact kind `{}`: use mobile, handle or domain",
                        k.get_ref()
                    ))
                })?;
                bits |= kind.bit();
            }
            if bits == 0 {
                return Err(loc.error("`contact_kinds` is empty: the rule could never hit"));
            }
            bits
        }
    };
    let min_distinct = match r.min_distinct {
        None => 1,
        Some(m) if *m.get_ref() >= 1 => *m.get_ref() as usize,
        Some(m) => return Err(at(m.span().start).error("min_distinct must be at least 1")),
    };
    let fields = match r.fields {
        None => Field::ALL.iter().fold(0, |acc, f| acc | f.bit()),
        Some(list) => {
            let mut bits = 0;
            for f in list {
                let field = Field::parse(f.get_ref()).ok_or_else(|| {
                    at(f.span().start).error(format!(
                        "unknown field `{}`: use title, meta, text, anchor, link, script, url, code or attachment",
                        f.get_ref()
                    ))
                })?;
                bits |= field.bit();
            }
            if bits == 0 {
                return Err(rule_loc.error("`fields` is empty: the rule could never hit"));
            }
            bits
        }
    };
    let tests = r.tests.unwrap_or_default();
    let title = r
        .title
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| id.clone());
    Ok(RuleSpec {
        id,
        title,
        category: r.category,
        severity,
        keywords,
        regex,
        validate,
        context: r.context.into_iter().map(located).collect(),
        context_window,
        allow: r.allow.into_iter().map(located).collect(),
        exclude_context: r.exclude_context.into_iter().map(located).collect(),
        exclude_window,
        exclude_block,
        exclude_header: r.exclude_header.into_iter().map(located).collect(),
        min_distinct,
        weak,
        weak_keyword,
        strong,
        strong_keyword,
        contact_window,
        contact_kinds,
        fallback: r.fallback || r.needs_contact,
        fields,
        hidden_only: r.hidden_only,
        tests_hit: tests.hit,
        tests_miss: tests.miss,
        normalize: r.normalize,
        loc: rule_loc,
    })
}

/// Mark `terms` among `keywords` (adding those not there yet): per
/// keyword, whether it is one of them. `what` names them in errors.
fn mark_keywords(
    keywords: &mut Vec<Located>,
    terms: &[Located],
    what: &str,
) -> Result<Vec<bool>, InputError> {
    let mut marked = vec![false; keywords.len()];
    for t in terms {
        if t.text.trim().is_empty() {
            return Err(t.loc.error(format!("empty {what} term")));
        }
        match keywords.iter().position(|k| k.text == t.text) {
            Some(i) => marked[i] = true,
            None => {
                keywords.push(t.clone());
                marked.push(true);
            }
        }
    }
    Ok(marked)
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

fn read_keywords_file(
    pack: &Path,
    name: &str,
    loc: &Loc,
    source: &Source,
) -> Result<Vec<Located>, InputError> {
    let path = pack.parent().unwrap_or(Path::new("")).join(name);
    let text: String = match source {
        Source::Dir => std::fs::read_to_string(&path)
            .map_err(|e| loc.error(format!("keywords_file `{}`: {e}", path.display())))?,
        Source::Builtin(files) => files
            .get(name)
            .map(|s| s.to_string())
            .ok_or_else(|| loc.error(format!("keywords_file `{name}` is not built in")))?,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok(text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let term = line.trim();
            (!term.is_empty() && !term.starts_with('#')).then(|| Located {
                text: term.to_string(),
                loc: Loc {
                    file: path.clone(),
                    line: i + 1,
                },
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Packs::from_text(Path::new("p.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_rule_without_a_title_is_titled_by_its_id() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("p.toml"),
            "[[rule]]\nid = \"my-rule\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"x\"]\n",
        )
        .unwrap();
        let packs = Packs::load_dir(dir.path()).unwrap();
        assert_eq!(packs.rules[0].title, "my-rule");
    }

    const GOOD: &str = "[[rule]]\nid = \"a\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"x\"]\n";

    #[test]
    fn loads_a_good_pack_with_defaults() {
        let packs = Packs::from_text(Path::new("p.toml"), GOOD).unwrap();
        let r = &packs.rules[0];
        assert_eq!(r.severity, Severity::Low);
        assert_eq!(r.context_window, DEFAULT_CONTEXT_WINDOW);
        assert_eq!(r.min_distinct, 1);
        assert!(r.applies_to(Field::Url));
        assert_eq!(r.loc.line, 1);
    }

    #[test]
    fn every_bad_pack_error_names_its_line() {
        let cases: &[(&str, &str)] = &[
            ("\n[[rule]]\nid = \"a\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"x\"]\ncolour = 1\n", "p.toml:8: unknown field `colour`"),
            ("[[rule]]\nid = \"a\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"urgent\"\nkeywords = [\"x\"]\n", "p.toml:5: bad severity `urgent`"),
            ("[[rule]]\nid = \"a\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"low\"\nregex = [\"(a\"]\n", ""),
            ("[[rule]]\nid = \"a\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"low\"\nregex = [\"\\\\d+\"]\nvalidate = \"iban\"\n", "p.toml:7: unknown validator `iban`"),
            ("[[rule]]\nid = \"a\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"low\"\n", "p.toml:1: rule `a` has neither keywords nor regex"),
            ("[[rule]]\nid = \"site.x\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"x\"]\n", "p.toml:2: rule id `site.x`"),
            ("[[rule]]\nid = \"Bad Id\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"x\"]\n", "p.toml:2: bad rule id"),
            ("[[rule]]\nid = \"a\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"x\"]\nfields = [\"body\"]\n", "p.toml:7: unknown field `body`"),
            ("[[rule]]\nid = \"a\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"x\"]\n\n[[rule]]\nid = \"a\"\ntitle = \"B\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"y\"]\n", "p.toml:8: duplicate rule id `a` (first defined at p.toml:1)"),
            ("[[rule]]\nid = \"a\"\ntitle = \"A\"\nseverity = \"low\"\nkeywords = [\"x\"]\n", "p.toml:1: missing field `category`"),
            ("[[rule]]\nid = \"a\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"x\"\n", "p.toml:6"),
        ];
        for (text, want) in cases {
            if want.is_empty() {
                continue; // regex errors are raised at compile time (matcher tests)
            }
            let got = err(text);
            assert!(got.starts_with(want), "want `{want}`, got `{got}`");
        }
    }
}
