//! The compiled rule set and page matching.
//!
//! Compile once, share everywhere (`RuleSet` is `Send + Sync`). Rules whose
//! keyword folds are the same (the default: everything on) share one
//! Aho-Corasick automaton holding every term, allow phrase and context word;
//! it is searched with overlapping matches, so an allow phrase and the term
//! inside it are both seen and the term can be dropped by containment.
//!
//! The automaton is daachorse's character-wise double array: on Chinese text
//! it steps once per character instead of once per byte, and measured 3x the
//! throughput of the `aho-corasick` crate's overlapping search on the same
//! 10,000 terms (README "Performance").
//!
//! Matching a page:
//! 1. fold each block once per fold group and search the automaton; check
//!    each raw match against its owner rule (separator gap, word boundary);
//! 2. run regex rules on width-folded block text, with digit-boundary and
//!    validator checks;
//! 3. filter candidates per rule: field, hidden_only, allow containment,
//!    exclude_context (window in the block), exclude_header (the cell's
//!    column header), context (window across the page, or the cell's column
//!    header), then `min_distinct` over what survived.
//!
//! All positions used between steps are original byte ranges within a block,
//! so keyword and regex candidates compare in one coordinate system.

use super::contact;
use super::fold::{
    breaks_words, fold, fold_into, fold_term, is_invisible, sources_of, unchanged, FoldOptions,
    Folded, BREAK,
};
use super::pack::{Loc, PackInfo, Packs, RuleSpec};
use super::validate::Validator;
use crate::error::InputError;
use crate::page::{Field, Page};
use daachorse::CharwiseDoubleArrayAhoCorasick;
use regex::{Regex, RegexBuilder};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Most separators allowed between two characters of a term.
pub const MAX_SEPARATOR_RUN: u8 = 3;

/// What a hit matched: one of the rule's keywords, or (for a regex) the
/// folded matched text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HitTerm {
    Keyword(usize),
    Folded(String),
}

/// One hit on a page: which rule, which term, and the original byte range
/// it covers in one block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub rule: usize,
    pub term: HitTerm,
    pub block: usize,
    pub start: usize,
    pub end: usize,
}

impl Hit {
    /// The original text the hit covered.
    pub fn matched<'p>(&self, page: &'p Page) -> &'p str {
        &page.blocks[self.block].text[self.start..self.end]
    }

    /// The original text around the hit, within its block, whitespace
    /// collapsed, cut with `…`.
    pub fn snippet(&self, page: &Page) -> String {
        snippet(&page.blocks[self.block].text, self.start, self.end, 24)
    }
}

/// Why a raw match did not become a hit (`rules explain`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Too many separators between two characters of the term.
    Separators(u8),
    /// Word-breaking punctuation between two characters of the term: a
    /// reader sees two words (`刻章、办证` is not `刻章办证`).
    WordBreak(char),
    /// The term has an ASCII end and the original text goes on with a letter or digit.
    Boundary,
    /// Inside an occurrence of this allow phrase.
    Allow(String),
    /// A validated number touches another digit.
    DigitNeighbour,
    /// The validator refused the number.
    Validator(Validator),
    /// The number is an amount of money: a currency unit follows it (`元`,
    /// `万元`, `亿元`), a `¥` precedes it, or decimals follow it.
    Amount(String),
    /// One of the rule's `exclude_context` words lies within its window in
    /// the same block; where (line and column in the block, as written).
    ExcludeContext {
        word: String,
        written: String,
        line: usize,
        column: usize,
    },
    /// The hit's block holds this many distinct `exclude_context` words
    /// (the rule's `exclude_block`): a warning paragraph.
    ExcludeBlock { found: usize },
    /// The cell's column header holds one of the rule's `exclude_header` words.
    ExcludeHeader { word: String, header: String },
    /// No context word within the window, nor in the column header.
    Context,
    /// Too few distinct terms of the rule on the page.
    MinDistinct { found: usize, needed: usize },
    /// The rule does not look at this field.
    Field(Field),
    /// The rule counts only hidden text.
    NotHidden,
    /// A `weak` term with no second signal: no other term of the rule on
    /// the page, and no link to another site among the hidden blocks
    /// around it.
    NoSecondSignal,
    /// A `needs_contact` term with no contact of the rule's kinds (a set of
    /// [`contact::ContactKind::bit`]) within its window in the block.
    NoContact { window: usize, kinds: u8 },
    /// A `needs_contact` rule's hit in a block another rule of its
    /// category already reports.
    Covered { by: String },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Separators(n) => write!(
                f,
                "{n} separators in a row inside the term (at most {MAX_SEPARATOR_RUN})"
            ),
            Reason::WordBreak(c) => write!(
                f,
                "`{c}` between two characters of the term: read as two words"
            ),
            Reason::Boundary => f.write_str("not a whole word (a letter or digit goes on)"),
            Reason::Allow(p) => write!(f, "inside the allow phrase `{p}`"),
            Reason::DigitNeighbour => f.write_str("part of a longer number"),
            Reason::Validator(v) => write!(f, "refused by validator {}", v.name()),
            Reason::Amount(why) => write!(f, "an amount of money, not a number: {why}"),
            Reason::ExcludeContext {
                word,
                written,
                line,
                column,
            } => {
                write!(
                    f,
                    "exclude_context `{word}` at line {line}, column {column}"
                )?;
                if written != word {
                    write!(f, " (written `{written}`)")?;
                }
                Ok(())
            }
            Reason::ExcludeBlock { found } => write!(
                f,
                "{found} distinct exclude_context words in the same block: a warning"
            ),
            Reason::ExcludeHeader { word, header } => {
                write!(f, "exclude_header `{word}` in the column header `{header}`")
            }
            Reason::Context => f.write_str("no context word near it"),
            Reason::MinDistinct { found, needed } => {
                write!(
                    f,
                    "{found} distinct term(s) on the page, rule needs {needed}"
                )
            }
            Reason::Field(field) => write!(f, "field `{field}` is not among the rule's fields"),
            Reason::NotHidden => f.write_str("visible text, rule counts hidden text only"),
            Reason::NoSecondSignal => f.write_str(
                "a weak term alone: no other term of the rule on the page, no link to another site in its hidden block",
            ),
            Reason::Covered { by } => write!(
                f,
                "the block is already reported by `{by}` (needs_contact rules are a fallback)"
            ),
            Reason::NoContact { window, kinds } => {
                let names: Vec<&str> = contact::ContactKind::ALL
                    .iter()
                    .filter(|k| k.bit() & kinds != 0)
                    .map(|k| k.name())
                    .collect();
                write!(
                    f,
                    "no {} within {window} characters in the block (needs_contact)",
                    names.join(" or ")
                )
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Rejected {
    pub hit: Hit,
    pub reason: Reason,
}

/// The outcome of matching one page.
#[derive(Clone, Debug, Default)]
pub struct PageMatch {
    pub hits: Vec<Hit>,
    /// Filled only with [`MatchOptions::explain`].
    pub rejected: Vec<Rejected>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct MatchOptions {
    /// Keep rejected matches with their reason.
    pub explain: bool,
    /// Ignore `fields` and `hidden_only` (rule tests check term logic alone).
    pub term_logic_only: bool,
    /// Evaluate only this rule.
    pub only_rule: Option<usize>,
}

#[derive(Clone, Copy, Debug)]
enum Role {
    Term(u32),
    Allow(u32),
    Context,
    Exclude(u32),
}

#[derive(Clone, Debug)]
struct Owner {
    rule: u32,
    role: Role,
    /// For a term written with word-breaking punctuation inside
    /// (`恭喜，站点创建成功`): the folded character indices that punctuation
    /// stood before; a page may break the term there.
    breaks: Box<[u32]>,
}

struct Pattern {
    owners: Vec<Owner>,
    /// Fields a hit of it can count in: its term owners' fields, all when
    /// it is also an allow phrase, context or exclude word (those matter
    /// wherever they lie). A match in a block of another field is dropped
    /// before any work when no explanation is asked for: a rule of titles
    /// sees its words in every paragraph too (国产, 亚洲 in news text).
    fields: u16,
    /// The folded pattern starts / ends with an ASCII letter or digit, so a
    /// word boundary is needed there in the original text.
    left_word: bool,
    right_word: bool,
}

struct Group {
    opts: FoldOptions,
    ac: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
    patterns: Vec<Pattern>,
    has_context: bool,
}

struct CompiledRule {
    group: usize,
    regexes: Vec<Regex>,
    /// Per regex: numeric characters any match of it holds at least (a
    /// block with fewer is not searched: most blocks of a page hold no
    /// ID-card or phone number, and the regex scan was a tenth of a scan's
    /// CPU).
    regex_numerics: Vec<usize>,
    /// Characters one of which every match of every regex of the rule
    /// holds (the union over its regexes), when each regex has such a
    /// small set, with their full-width and compatibility forms: a block
    /// whose original text holds none of them cannot match once folded,
    /// and is neither folded for the rule nor searched (`\[url=` needs a
    /// `[`; most Chinese blocks would be folded for the regexes, for their
    /// full-width commas). See [`RequiredChars`].
    regex_required: Option<RequiredChars>,
    /// The same, per regex, for a rule of several: a block holding one of
    /// the rule's characters runs only the regexes it can match (a title
    /// rule's eight shapes, a venue regex gated on 金 beside one gated on
    /// 娱: most Chinese blocks hold a 金, and the second regex, with no
    /// literal to start from, costs a full scan of each).
    regex_gates: Vec<Option<RequiredChars>>,
    max_gap: u8,
    /// Folded context words, for column headers.
    context: Vec<String>,
    /// `exclude_header` words, folded for headers ([`fold_header`]).
    exclude_header: Vec<String>,
    /// Context or exclude_context words: candidates need their positions.
    needs_pos: bool,
}

/// Rules compiled for matching. Built once; shared by all workers.
pub struct RuleSet {
    pub packs: Vec<PackInfo>,
    pub rules: Vec<RuleSpec>,
    compiled: Vec<CompiledRule>,
    groups: Vec<Group>,
}

impl RuleSet {
    pub fn compile(packs: Packs) -> Result<RuleSet, InputError> {
        let mut groups: Vec<Group> = Vec::new();
        let mut group_patterns: Vec<Vec<String>> = Vec::new();
        let mut pattern_ids: Vec<HashMap<String, usize>> = Vec::new();
        let mut compiled = Vec::with_capacity(packs.rules.len());

        for (ri, rule) in packs.rules.iter().enumerate() {
            let n = rule.normalize;
            let opts = FoldOptions {
                width: n.width,
                case: n.case,
                traditional: n.traditional,
                separators: true,
            };
            let gi = match groups.iter().position(|g| g.opts == opts) {
                Some(i) => i,
                None => {
                    groups.push(Group {
                        opts,
                        ac: None,
                        patterns: Vec::new(),
                        has_context: false,
                    });
                    group_patterns.push(Vec::new());
                    pattern_ids.push(HashMap::new());
                    groups.len() - 1
                }
            };
            let rule_fields = rule.fields;
            let mut add = |text: &str, loc: &Loc, role: Role| -> Result<(), InputError> {
                let term = fold(text, opts);
                let folded = term.text;
                if folded.is_empty() {
                    return Err(loc.error(format!(
                        "`{text}` is only separators or invisible characters once folded"
                    )));
                }
                let pid = *pattern_ids[gi].entry(folded.clone()).or_insert_with(|| {
                    group_patterns[gi].push(folded.clone());
                    groups[gi].patterns.push(Pattern {
                        owners: Vec::new(),
                        fields: 0,
                        left_word: folded
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_alphanumeric()),
                        right_word: folded
                            .chars()
                            .next_back()
                            .is_some_and(|c| c.is_ascii_alphanumeric()),
                    });
                    groups[gi].patterns.len() - 1
                });
                let pattern = &mut groups[gi].patterns[pid];
                pattern.fields |= match role {
                    Role::Term(_) => rule_fields,
                    _ => u16::MAX,
                };
                let owners = &mut pattern.owners;
                // The same folded term twice in one rule: keep the first.
                let duplicate = owners.iter().any(|o| {
                    o.rule == ri as u32
                        && std::mem::discriminant(&o.role) == std::mem::discriminant(&role)
                });
                if !duplicate {
                    let breaks = match role {
                        Role::Term(_) => folded
                            .char_indices()
                            .enumerate()
                            .filter(|&(_, (b, _))| term.gap[b] & BREAK != 0)
                            .map(|(i, _)| i as u32)
                            .collect(),
                        _ => Box::default(),
                    };
                    owners.push(Owner {
                        rule: ri as u32,
                        role,
                        breaks,
                    });
                }
                Ok(())
            };
            for (ti, k) in rule.keywords.iter().enumerate() {
                add(&k.text, &k.loc, Role::Term(ti as u32))?;
            }
            for (ai, a) in rule.allow.iter().enumerate() {
                add(&a.text, &a.loc, Role::Allow(ai as u32))?;
            }
            for c in &rule.context {
                add(&c.text, &c.loc, Role::Context)?;
            }
            for (xi, x) in rule.exclude_context.iter().enumerate() {
                add(&x.text, &x.loc, Role::Exclude(xi as u32))?;
            }
            let mut exclude_header = Vec::with_capacity(rule.exclude_header.len());
            for h in &rule.exclude_header {
                let folded = fold_header(&h.text, opts);
                if folded.is_empty() {
                    return Err(h.loc.error(format!(
                        "`{}` is only whitespace or invisible characters once folded",
                        h.text
                    )));
                }
                exclude_header.push(folded);
            }
            if !rule.context.is_empty() {
                groups[gi].has_context = true;
            }
            let mut regexes = Vec::with_capacity(rule.regex.len());
            for r in &rule.regex {
                let re = RegexBuilder::new(&r.text)
                    .case_insensitive(true)
                    .size_limit(10 << 20)
                    .build()
                    .map_err(|e| {
                        let detail = e.to_string();
                        let last = detail.lines().last().unwrap_or("").trim().to_string();
                        r.loc.error(format!("invalid regex `{}`: {last}", r.text))
                    })?;
                if re.is_match("") {
                    return Err(r.loc.error(format!(
                        "regex `{}` matches the empty string: it would hit everywhere",
                        r.text
                    )));
                }
                regexes.push(re);
            }
            let regex_numerics: Vec<usize> =
                rule.regex.iter().map(|r| min_numerics(&r.text)).collect();
            // Only for rules the numeric gate does not already cover (an
            // ID-number regex needs 17 digits; which digits is no help).
            let numeric_gate = regex_numerics.iter().copied().min().unwrap_or(0) > 0;
            // The characters each regex's matches hold, worked out once for
            // the rule's gate and for each regex's own.
            let sets: Vec<Option<Vec<char>>> =
                rule.regex.iter().map(|r| required_chars(&r.text)).collect();
            let gate = |chars: &[char]| RequiredChars::new(chars, FoldOptions::for_regex(n.width));
            let regex_required = if numeric_gate || rule.regex.is_empty() {
                None
            } else {
                sets.iter()
                    .cloned()
                    .collect::<Option<Vec<Vec<char>>>>()
                    .and_then(|sets| {
                        let mut all: Vec<char> = sets.into_iter().flatten().collect();
                        all.sort_unstable();
                        all.dedup();
                        gate(&all)
                    })
            };
            let regex_gates: Vec<Option<RequiredChars>> = sets
                .iter()
                .zip(&regex_numerics)
                .map(|(chars, &numerics)| match chars {
                    Some(chars) if rule.regex.len() > 1 && numerics == 0 => gate(chars),
                    _ => None,
                })
                .collect();
            compiled.push(CompiledRule {
                group: gi,
                regexes,
                regex_numerics,
                regex_required,
                regex_gates,
                max_gap: if n.separators { MAX_SEPARATOR_RUN } else { 0 },
                context: rule
                    .context
                    .iter()
                    .map(|c| fold_term(&c.text, opts))
                    .collect(),
                exclude_header,
                needs_pos: !rule.context.is_empty() || !rule.exclude_context.is_empty(),
            });
        }
        for (group, patterns) in groups.iter_mut().zip(&group_patterns) {
            if !patterns.is_empty() {
                let ac = CharwiseDoubleArrayAhoCorasick::with_values(
                    patterns
                        .iter()
                        .enumerate()
                        .map(|(i, p)| (p.as_str(), i as u32)),
                )
                .map_err(|e| InputError::plain(format!("cannot build the term automaton: {e}")))?;
                group.ac = Some(ac);
            }
        }
        Ok(RuleSet {
            packs: packs.packs,
            rules: packs.rules,
            compiled,
            groups,
        })
    }

    /// The term a hit is reported under: the keyword as written in the
    /// rule, or a regex hit's folded text.
    pub fn term<'a>(&'a self, hit: &'a Hit) -> &'a str {
        match &hit.term {
            HitTerm::Keyword(i) => &self.rules[hit.rule].keywords[*i].text,
            HitTerm::Folded(s) => s,
        }
    }

    /// The compiled regexes of rule `rule`.
    pub fn regex_of(&self, rule: usize) -> &[Regex] {
        &self.compiled[rule].regexes
    }

    pub fn match_page(&self, page: &Page) -> Vec<Hit> {
        self.match_page_with(page, MatchOptions::default()).hits
    }

    pub fn match_page_with(&self, page: &Page, opts: MatchOptions) -> PageMatch {
        let mut scan = Scan {
            set: self,
            page,
            opts,
            candidates: Vec::new(),
            allows: Vec::new(),
            contexts: Vec::new(),
            excludes: Vec::new(),
            rejected: Vec::new(),
        };
        scan.run();
        scan.evaluate()
    }
}

struct AllowSpan {
    rule: u32,
    allow: u32,
    block: u32,
    start: usize,
    end: usize,
}

/// A context word's place: page-level folded character positions in its
/// rule's fold group.
struct ContextSpan {
    rule: u32,
    start: usize,
    end: usize,
}

/// An `exclude_context` word's place: folded character positions in its
/// rule's fold group (comparable within the block) and the original range.
struct ExcludeSpan {
    rule: u32,
    word: u32,
    block: u32,
    start: usize,
    end: usize,
    orig_start: usize,
    orig_end: usize,
}

/// A hit that passed the automaton or regex checks, waiting for the rule
/// filters; `pos` (page-level folded characters) only for rules with context
/// or exclude_context words.
struct Candidate {
    hit: Hit,
    pos: Option<(usize, usize)>,
}

/// The folds of the block being matched, one per fold group, with the
/// page-level character position where the block starts in each.
struct BlockFolds {
    folds: Vec<Folded>,
    bases: Vec<usize>,
    /// Per group, lazily: how many characters start before each byte.
    char_index: Vec<Option<Vec<u32>>>,
}

impl BlockFolds {
    /// Page-level folded character position of folded byte `byte` in group `g`.
    fn pos(&mut self, g: usize, byte: usize) -> usize {
        let text = &self.folds[g].text;
        let index = self.char_index[g].get_or_insert_with(|| {
            let mut idx = Vec::with_capacity(text.len() + 1);
            let mut n = 0u32;
            for b in text.bytes() {
                idx.push(n);
                if b & 0xC0 != 0x80 {
                    n += 1;
                }
            }
            idx.push(n);
            idx
        });
        self.bases[g] + index[byte] as usize
    }

    /// Page-level position of original offset `orig` of the block in group `g`.
    fn pos_of_original(&mut self, g: usize, orig: usize) -> usize {
        let byte = self.folds[g].folded_offset(orig);
        self.pos(g, byte)
    }

    /// Move on to the next block: bases advance past this one.
    fn advance(&mut self, groups: &[Group]) {
        for (g, fold) in self.folds.iter().enumerate() {
            // Positions across blocks matter only to context rules;
            // exclude_context compares positions within a block.
            if groups[g].has_context {
                self.bases[g] += fold.text.chars().count();
            }
            self.char_index[g] = None;
        }
    }
}

struct Scan<'a> {
    set: &'a RuleSet,
    page: &'a Page,
    opts: MatchOptions,
    candidates: Vec<Candidate>,
    allows: Vec<AllowSpan>,
    contexts: Vec<ContextSpan>,
    excludes: Vec<ExcludeSpan>,
    rejected: Vec<Rejected>,
}

impl Scan<'_> {
    fn wanted(&self, rule: u32) -> bool {
        self.opts.only_rule.is_none_or(|r| r == rule as usize)
    }

    fn reject(&mut self, hit: Hit, reason: Reason) {
        if self.opts.explain {
            self.rejected.push(Rejected { hit, reason });
        }
    }

    /// Fold and search block by block: memory holds one block's folds, not
    /// the page's, however large the page.
    fn run(&mut self) {
        let groups = &self.set.groups;
        let mut block_folds = BlockFolds {
            folds: vec![Folded::default(); groups.len()],
            bases: vec![0; groups.len()],
            char_index: vec![None; groups.len()],
        };
        let mut regex_folds = [Folded::default(), Folded::default()];
        for (bi, block) in self.page.blocks.iter().enumerate() {
            for (gi, group) in groups.iter().enumerate() {
                if group.ac.is_some() {
                    fold_into(&block.text, group.opts, &mut block_folds.folds[gi]);
                    self.keywords(gi, bi, &mut block_folds);
                }
            }
            self.regexes(bi, &mut block_folds, &mut regex_folds);
            block_folds.advance(groups);
        }
    }

    fn keywords(&mut self, gi: usize, bi: usize, folds: &mut BlockFolds) {
        let group = &self.set.groups[gi];
        let Some(ac) = &group.ac else {
            return;
        };
        let block = &self.page.blocks[bi];
        let field = block.field.bit();
        let drop_unread = !self.opts.explain && !self.opts.term_logic_only;
        let matches: Vec<(usize, usize, u32)> = ac
            .find_overlapping_iter(&folds.folds[gi].text)
            .filter(|m| !drop_unread || group.patterns[m.value() as usize].fields & field != 0)
            .map(|m| (m.start(), m.end(), m.value()))
            .collect();
        for (s, e, pid) in matches {
            let folded = &folds.folds[gi];
            let pattern = &group.patterns[pid as usize];
            let (gap, breaks) = folded.gaps(s, e);
            let (os, oe) = folded.original_range(&block.text, s, e);
            let boundary_ok = (!pattern.left_word || !word_char_before(&block.text, os))
                && (!pattern.right_word || !word_char_after(&block.text, oe));
            for owner in &pattern.owners {
                if !self.wanted(owner.rule) {
                    continue;
                }
                let rule = &self.set.compiled[owner.rule as usize];
                let ok = gap <= rule.max_gap && boundary_ok;
                match owner.role {
                    Role::Term(t) => {
                        let hit = Hit {
                            rule: owner.rule as usize,
                            term: HitTerm::Keyword(t as usize),
                            block: bi,
                            start: os,
                            end: oe,
                        };
                        let broken = if breaks && gap <= rule.max_gap && boundary_ok {
                            word_break(&folds.folds[gi], &block.text, s, e, &owner.breaks)
                        } else {
                            None
                        };
                        if gap > rule.max_gap {
                            self.reject(hit, Reason::Separators(gap));
                        } else if !boundary_ok {
                            self.reject(hit, Reason::Boundary);
                        } else if let Some(c) = broken {
                            self.reject(hit, Reason::WordBreak(c));
                        } else {
                            let pos = rule.needs_pos.then(|| (folds.pos(gi, s), folds.pos(gi, e)));
                            self.candidates.push(Candidate { hit, pos });
                        }
                    }
                    Role::Allow(a) if ok => self.allows.push(AllowSpan {
                        rule: owner.rule,
                        allow: a,
                        block: bi as u32,
                        start: os,
                        end: oe,
                    }),
                    Role::Context if ok => {
                        let (start, end) = (folds.pos(gi, s), folds.pos(gi, e));
                        self.contexts.push(ContextSpan {
                            rule: owner.rule,
                            start,
                            end,
                        });
                    }
                    Role::Exclude(x) if ok => {
                        let (start, end) = (folds.pos(gi, s), folds.pos(gi, e));
                        self.excludes.push(ExcludeSpan {
                            rule: owner.rule,
                            word: x,
                            block: bi as u32,
                            start,
                            end,
                            orig_start: os,
                            orig_end: oe,
                        });
                    }
                    _ => {}
                }
            }
        }
    }

    fn regexes(&mut self, bi: usize, folds: &mut BlockFolds, regex_folds: &mut [Folded; 2]) {
        let block = &self.page.blocks[bi];
        // Per width setting: not prepared yet, the block as it is, or folded.
        let mut prepared: [Option<bool>; 2] = [None, None];
        // Per width setting: numeric characters in the text searched.
        let mut numerics: [Option<usize>; 2] = [None, None];
        // Before any folding: at most this many digits the folded text can
        // hold. Most blocks cannot hold an ID number or a phone number, and
        // are then neither folded for the regexes nor searched.
        let mut upper: Option<usize> = None;
        for (ri, rule) in self.set.compiled.iter().enumerate() {
            if rule.regexes.is_empty() || !self.wanted(ri as u32) {
                continue;
            }
            let spec = &self.set.rules[ri];
            if !self.opts.term_logic_only && !spec.applies_to(block.field) {
                continue;
            }
            let fewest = rule.regex_numerics.iter().copied().min().unwrap_or(0);
            if fewest > 0
                && *upper.get_or_insert_with(|| numerics_upper_bound(&block.text)) < fewest
            {
                continue;
            }
            let width = spec.normalize.width as usize;
            if let Some(required) = &rule.regex_required {
                if !required.in_text(&block.text) {
                    continue;
                }
            }
            let as_is = *prepared[width].get_or_insert_with(|| {
                let opts = FoldOptions::for_regex(width == 1);
                let as_is = unchanged(&block.text, opts);
                if !as_is {
                    fold_into(&block.text, opts, &mut regex_folds[width]);
                }
                as_is
            });
            let folded = (!as_is).then(|| &regex_folds[width]);
            let text = folded.map_or(block.text.as_str(), |f| f.text.as_str());
            let present = *numerics[width].get_or_insert_with(|| count_numerics(text));
            for ((re, &needed), gate) in rule
                .regexes
                .iter()
                .zip(&rule.regex_numerics)
                .zip(&rule.regex_gates)
            {
                if present < needed || gate.as_ref().is_some_and(|g| !g.in_text(&block.text)) {
                    continue;
                }
                for m in re.find_iter(text) {
                    if m.is_empty() {
                        continue;
                    }
                    let (os, oe) = match folded {
                        Some(f) => f.original_range(&block.text, m.start(), m.end()),
                        None => (m.start(), m.end()),
                    };
                    // A validated number is checked and reported as its
                    // digits: `138 0013 8000` and `13800138000` are one term.
                    let term = match spec.validate {
                        Some(_) => compact(m.as_str()),
                        None => m.as_str().to_lowercase(),
                    };
                    let refused = spec.validate.and_then(|v| {
                        if touches_digit(text, m.start(), m.end(), v) {
                            Some(Reason::DigitNeighbour)
                        } else if !v.check(&term) {
                            Some(Reason::Validator(v))
                        } else {
                            amount(text, m.start(), m.end()).map(Reason::Amount)
                        }
                    });
                    let hit = Hit {
                        rule: ri,
                        term: HitTerm::Folded(term),
                        block: bi,
                        start: os,
                        end: oe,
                    };
                    match refused {
                        Some(reason) => self.reject(hit, reason),
                        None => {
                            let g = rule.group;
                            let pos =
                                (rule.needs_pos && self.set.groups[g].ac.is_some()).then(|| {
                                    (folds.pos_of_original(g, os), folds.pos_of_original(g, oe))
                                });
                            self.candidates.push(Candidate { hit, pos });
                        }
                    }
                }
            }
        }
    }

    fn evaluate(mut self) -> PageMatch {
        let candidates = std::mem::take(&mut self.candidates);
        let mut survivors: Vec<Hit> = Vec::with_capacity(candidates.len());
        let mut header_cache: HashMap<(usize, usize), bool> = HashMap::new();
        let mut exclude_header_cache: HashMap<(usize, usize), Option<usize>> = HashMap::new();
        for Candidate { hit, pos } in candidates {
            let spec = &self.set.rules[hit.rule];
            let block = &self.page.blocks[hit.block];
            if !self.opts.term_logic_only {
                if !spec.applies_to(block.field) {
                    self.reject(hit, Reason::Field(block.field));
                    continue;
                }
                if spec.hidden_only && !block.hidden {
                    self.reject(hit, Reason::NotHidden);
                    continue;
                }
            }
            if let Some(a) = self.allows.iter().find(|a| {
                a.rule as usize == hit.rule
                    && a.block as usize == hit.block
                    && a.start <= hit.start
                    && hit.end <= a.end
            }) {
                let phrase = spec.allow[a.allow as usize].text.clone();
                self.reject(hit, Reason::Allow(phrase));
                continue;
            }
            if !spec.exclude_context.is_empty() {
                if let Some(reason) = self.excluded(&hit, pos) {
                    self.reject(hit, reason);
                    continue;
                }
            }
            if let Some(header) = block.header.as_deref() {
                let rule = &self.set.compiled[hit.rule];
                if !rule.exclude_header.is_empty() {
                    let found = *exclude_header_cache
                        .entry((hit.rule, hit.block))
                        .or_insert_with(|| {
                            let opts = self.set.groups[rule.group].opts;
                            let folded = fold_header(header, opts);
                            rule.exclude_header
                                .iter()
                                .position(|w| folded.contains(w.as_str()))
                        });
                    if let Some(w) = found {
                        let reason = Reason::ExcludeHeader {
                            word: spec.exclude_header[w].text.clone(),
                            header: header.to_string(),
                        };
                        self.reject(hit, reason);
                        continue;
                    }
                }
            }
            if !spec.context.is_empty() && !self.has_context(&hit, pos, &mut header_cache) {
                self.reject(hit, Reason::Context);
                continue;
            }
            if let Some(window) = spec.contact_window {
                let kinds = spec.contact_kinds;
                let near = contact::nearest_around(&block.text, kinds, hit.start, hit.end, window);
                if near.is_none() {
                    self.reject(hit, Reason::NoContact { window, kinds });
                    continue;
                }
            }
            survivors.push(hit);
        }

        // Weak terms: a second signal, another distinct term of the rule on
        // the page or a link to another site in the same hidden block.
        if self.set.rules.iter().any(|r| !r.weak.is_empty()) {
            survivors = self.second_signal(survivors);
        }

        // min_distinct: distinct terms per rule over the page.
        let mut distinct: HashMap<usize, HashSet<&HitTerm>> = HashMap::new();
        for h in &survivors {
            distinct.entry(h.rule).or_default().insert(&h.term);
        }
        let found: HashMap<usize, usize> =
            distinct.into_iter().map(|(r, s)| (r, s.len())).collect();
        // A `strong` term counts alone: its rule's page is reported
        // whatever min_distinct says.
        let strong_rules: HashSet<usize> = survivors
            .iter()
            .filter(|h| match h.term {
                HitTerm::Keyword(i) => self.set.rules[h.rule]
                    .strong_keyword
                    .get(i)
                    .copied()
                    .unwrap_or(false),
                HitTerm::Folded(_) => false,
            })
            .map(|h| h.rule)
            .collect();
        let mut hits = Vec::with_capacity(survivors.len());
        for hit in survivors {
            let needed = self.set.rules[hit.rule].min_distinct;
            let n = found[&hit.rule];
            if n < needed && !strong_rules.contains(&hit.rule) {
                self.reject(hit, Reason::MinDistinct { found: n, needed });
            } else {
                hits.push(hit);
            }
        }
        let mut hits = self.fallbacks(hits);
        hits.sort_by_key(|h| (h.block, h.start, h.rule));
        self.rejected
            .sort_by_key(|r| (r.hit.block, r.hit.start, r.hit.rule));
        PageMatch {
            hits,
            rejected: self.rejected,
        }
    }

    /// `fallback` rules (every `needs_contact` rule, and those that say
    /// `fallback = true`) catch what the other rules of their category
    /// miss: the one-line ad, a title's shape. Where a block is already
    /// reported by another rule of the same category, their hits in it
    /// would be the same text a second time in the report; they are
    /// dropped, and of two fallback rules of a category hitting one block
    /// the first (in pack order) is kept.
    fn fallbacks(&mut self, hits: Vec<Hit>) -> Vec<Hit> {
        let rules = &self.set.rules;
        if !hits.iter().any(|h| rules[h.rule].fallback) {
            return hits;
        }
        // (block, category) -> the rule that reports it: another rule
        // before a fallback rule, then the first in pack order.
        let mut owner: HashMap<(usize, &str), (bool, usize)> = HashMap::new();
        for h in &hits {
            let spec = &rules[h.rule];
            let rank = (spec.fallback, h.rule);
            owner
                .entry((h.block, spec.category.as_str()))
                .and_modify(|o| *o = (*o).min(rank))
                .or_insert(rank);
        }
        let (kept, covered): (Vec<Hit>, Vec<Hit>) = hits.into_iter().partition(|h| {
            let spec = &rules[h.rule];
            !spec.fallback || owner[&(h.block, spec.category.as_str())].1 == h.rule
        });
        let by: Vec<usize> = covered
            .iter()
            .map(|h| owner[&(h.block, rules[h.rule].category.as_str())].1)
            .collect();
        for (hit, by) in covered.into_iter().zip(by) {
            let by = self.set.rules[by].id.clone();
            self.reject(hit, Reason::Covered { by });
        }
        kept
    }

    /// Keep a hit of a `weak` term only with a second signal: another
    /// distinct term of its rule among `survivors`, or (for a hit in hidden
    /// content) a hidden link to another site in the run of hidden blocks
    /// it lies in ([`offsite_link_near`]).
    fn second_signal(&mut self, survivors: Vec<Hit>) -> Vec<Hit> {
        let is_weak = |h: &Hit| match h.term {
            HitTerm::Keyword(i) => self.set.rules[h.rule]
                .weak_keyword
                .get(i)
                .copied()
                .unwrap_or(false),
            HitTerm::Folded(_) => false,
        };
        if !survivors.iter().any(is_weak) {
            return survivors;
        }
        let mut distinct: HashMap<usize, HashSet<&HitTerm>> = HashMap::new();
        for h in &survivors {
            distinct.entry(h.rule).or_default().insert(&h.term);
        }
        let found: HashMap<usize, usize> =
            distinct.into_iter().map(|(r, s)| (r, s.len())).collect();
        let mut visible_hosts: Option<HashSet<String>> = None;
        let mut link_near: HashMap<usize, bool> = HashMap::new();
        let mut kept = Vec::with_capacity(survivors.len());
        let mut dropped = Vec::new();
        for hit in survivors {
            if !is_weak(&hit) || found[&hit.rule] >= 2 {
                kept.push(hit);
                continue;
            }
            let page = self.page;
            let near = *link_near.entry(hit.block).or_insert_with(|| {
                let hosts = visible_hosts.get_or_insert_with(|| visible_link_hosts(page));
                offsite_link_near(page, hit.block, hosts)
            });
            if near {
                kept.push(hit);
            } else {
                dropped.push(hit);
            }
        }
        for hit in dropped {
            self.reject(hit, Reason::NoSecondSignal);
        }
        kept
    }

    /// The nearest `exclude_context` word of the hit's rule within its
    /// window, in the hit's block, as a reason to drop it.
    fn excluded(&self, hit: &Hit, pos: Option<(usize, usize)>) -> Option<Reason> {
        let (start, end) = pos?;
        let needed = self.set.rules[hit.rule].exclude_block;
        if needed > 0 {
            let mut words: Vec<u32> = self
                .excludes
                .iter()
                .filter(|x| x.rule as usize == hit.rule && x.block as usize == hit.block)
                .map(|x| x.word)
                .collect();
            words.sort_unstable();
            words.dedup();
            if words.len() >= needed {
                return Some(Reason::ExcludeBlock { found: words.len() });
            }
        }
        let window = self.set.rules[hit.rule].exclude_window;
        let nearest = self
            .excludes
            .iter()
            .filter(|x| x.rule as usize == hit.rule && x.block as usize == hit.block)
            .map(|x| {
                // 0 when they overlap.
                let distance = start.saturating_sub(x.end).max(x.start.saturating_sub(end));
                (distance, x)
            })
            .filter(|&(distance, _)| distance <= window)
            .min_by_key(|&(distance, x)| (distance, x.orig_start))?
            .1;
        let text = &self.page.blocks[hit.block].text;
        let before = &text[..nearest.orig_start];
        Some(Reason::ExcludeContext {
            word: self.set.rules[hit.rule].exclude_context[nearest.word as usize]
                .text
                .clone(),
            written: text[nearest.orig_start..nearest.orig_end].to_string(),
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
        })
    }

    fn has_context(
        &self,
        hit: &Hit,
        pos: Option<(usize, usize)>,
        header_cache: &mut HashMap<(usize, usize), bool>,
    ) -> bool {
        let rule = &self.set.compiled[hit.rule];
        let group = &self.set.groups[rule.group];
        if let Some(header) = &self.page.blocks[hit.block].header {
            let ok = *header_cache
                .entry((hit.rule, hit.block))
                .or_insert_with(|| {
                    let folded = fold_term(header, group.opts);
                    rule.context.iter().any(|c| folded.contains(c.as_str()))
                });
            if ok {
                return true;
            }
        }
        let Some((start, end)) = pos else {
            return false;
        };
        let window = self.set.rules[hit.rule].context_window;
        self.contexts.iter().any(|c| {
            // 0 when they overlap.
            let distance = start.saturating_sub(c.end).max(c.start.saturating_sub(end));
            c.rule as usize == hit.rule && distance <= window
        })
    }
}

/// Blocks looked at on either side of a weak hit for a hidden link.
const HIDDEN_RUN_MAX: usize = 64;

/// The host of an absolute http(s) URL (or one starting `//`), lower case.
fn link_host(text: &str) -> Option<String> {
    let t = text.trim();
    let lower = t.get(..8).unwrap_or(t).to_ascii_lowercase();
    let absolute = if lower.starts_with("//") {
        format!("http:{t}")
    } else if lower.starts_with("http://") || lower.starts_with("https://") {
        t.to_string()
    } else {
        return None;
    };
    let url = url::Url::parse(&absolute).ok()?;
    url.host_str().map(str::to_ascii_lowercase)
}

/// Hosts the page links to where a visitor sees it: the site itself and
/// its partners, whose hidden links (a tab panel, a menu) are no signal.
fn visible_link_hosts(page: &Page) -> HashSet<String> {
    page.blocks
        .iter()
        .filter(|b| !b.hidden && b.field == Field::Link)
        .filter_map(|b| link_host(&b.text))
        .collect()
}

/// A hidden link to another site in the run of hidden blocks around
/// `block` (at most [`HIDDEN_RUN_MAX`] each way): an absolute URL whose
/// host is neither linked visibly on the page nor a government domain.
/// The dark-link block a hidden campaign word sits in; a portal's hidden
/// tab panel links to its own site or to other government sites.
fn offsite_link_near(page: &Page, block: usize, visible_hosts: &HashSet<String>) -> bool {
    let blocks = &page.blocks;
    if !blocks[block].hidden {
        return false;
    }
    let offsite = |i: usize| {
        let b = &blocks[i];
        b.field == Field::Link
            && link_host(&b.text).is_some_and(|h| {
                let gov = ["gov.cn", "gov"].iter().any(|d| {
                    h.strip_suffix(d)
                        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
                });
                !gov && !visible_hosts.contains(&h)
            })
    };
    let after = (block..blocks.len())
        .take(HIDDEN_RUN_MAX)
        .take_while(|&i| blocks[i].hidden);
    let before = (block.saturating_sub(HIDDEN_RUN_MAX)..block)
        .rev()
        .take_while(|&i| blocks[i].hidden);
    after.chain(before).any(offsite)
}

/// Header text as `exclude_header` words are compared: folded like terms,
/// but with punctuation kept (only whitespace dropped), so `(元)` is found in
/// `金额（元）` and not in `单元`.
fn fold_header(text: &str, opts: FoldOptions) -> String {
    let opts = FoldOptions {
        separators: false,
        ..opts
    };
    fold_term(text, opts)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// A term hit with word-breaking punctuation skipped inside it (folded
/// bytes `start..end`): the first such punctuation mark, unless the term is
/// written with one at each of those places (`allowed`: character indices),
/// or it has three or more characters and the very same separators stand
/// between each two of them (`百，家，乐`: spaced on purpose).
fn word_break(
    folded: &Folded,
    original: &str,
    start: usize,
    end: usize,
    allowed: &[u32],
) -> Option<char> {
    let span = &folded.text[start..end];
    let char_index = |b: usize| span[..b - start].chars().count() as u32;
    let first_bad = folded
        .breaks(start, end)
        .find(|&b| !allowed.contains(&char_index(b)))?;
    // The separators between the folded characters starting at `a` and `b`,
    // as written (invisible characters aside).
    let between = |a: usize, b: usize| -> String {
        let from = folded.src[a] as usize;
        let from = from + original[from..].chars().next().map_or(0, char::len_utf8);
        let to = folded.src[b] as usize;
        original
            .get(from..to)
            .unwrap_or("")
            .chars()
            .filter(|&c| !is_invisible(c))
            .collect()
    };
    let starts: Vec<usize> = span.char_indices().map(|(i, _)| start + i).collect();
    if starts.len() >= 3 {
        let first = between(starts[0], starts[1]);
        if !first.is_empty() && starts.windows(2).all(|w| between(w[0], w[1]) == first) {
            return None;
        }
    }
    let prev = starts
        .iter()
        .copied()
        .take_while(|&a| a < first_bad)
        .last()?;
    Some(
        between(prev, first_bad)
            .chars()
            .find(|&c| breaks_words(c))
            .unwrap_or('、'),
    )
}

/// A validated hit's text as checked and reported: ASCII letters and
/// digits only (group separators dropped), lower-cased.
fn compact(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Is the number at `start..end` of the (width-folded) text an amount of
/// money? Said why when it is.
fn amount(text: &str, start: usize, end: usize) -> Option<String> {
    let blank = [' ', '\t', '\u{3000}', '\u{a0}'];
    let after = text[end..].trim_start_matches(blank);
    for unit in ["元", "万元", "亿元", "圆"] {
        if after.starts_with(unit) {
            return Some(format!("`{unit}` follows it"));
        }
    }
    let mut rest = text[end..].chars();
    if rest.next() == Some('.') && rest.next().is_some_and(|c| c.is_ascii_digit()) {
        return Some("decimals follow it".to_string());
    }
    let before = text[..start].trim_end_matches(blank);
    if before.ends_with(['¥', '￥']) {
        return Some("`¥` precedes it".to_string());
    }
    None
}

fn word_char_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric())
}

fn word_char_after(text: &str, at: usize) -> bool {
    text[at..]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
}

/// A validated number must stand alone: no ASCII digit right before or
/// after. A mobile number may follow a `+86` / `0086` country code.
fn touches_digit(text: &str, start: usize, end: usize, v: Validator) -> bool {
    let mut before = &text[..start];
    if v == Validator::CnMobile {
        for prefix in ["+86", "0086"] {
            if let Some(rest) = before.strip_suffix(prefix) {
                before = rest;
                break;
            }
        }
    }
    before
        .bytes()
        .next_back()
        .is_some_and(|b| b.is_ascii_digit())
        || text[end..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit())
}

/// `width` characters either side of `start..end`, whitespace collapsed.
pub fn snippet(text: &str, start: usize, end: usize, width: usize) -> String {
    let before_start = text[..start]
        .char_indices()
        .rev()
        .nth(width.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let after_end = text[end..]
        .char_indices()
        .nth(width)
        .map_or(text.len(), |(i, _)| end + i);
    let mut out = String::with_capacity(after_end - before_start + 8);
    if before_start > 0 {
        out.push('…');
    }
    let mut in_space = false;
    for c in text[before_start..after_end].chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    if after_end < text.len() {
        out.push('…');
    }
    out.trim().to_string()
}

/// Numeric characters in `text`, counted up to a bound no regex needs more
/// than (ASCII digits quickly; others by `char::is_numeric`, which covers
/// every `\d`).
fn count_numerics(text: &str) -> usize {
    sum_digits(text, |c| usize::from(is_numeric(c)))
}

/// ASCII digits count one each, other characters `weigh(c)`, CJK
/// ideographs nothing (skipped by their lead byte, undecoded); the sum up
/// to a bound no regex needs more than.
fn sum_digits(text: &str, weigh: impl Fn(char) -> usize) -> usize {
    const ENOUGH: usize = 64;
    let mut n = 0;
    let mut at = 0;
    let bytes = text.as_bytes();
    while at < bytes.len() {
        let b = bytes[at];
        if b < 0x80 {
            n += b.is_ascii_digit() as usize;
            at += 1;
        } else if is_ideograph_lead(b) {
            at += 3;
        } else {
            let c = text[at..].chars().next().expect("a character starts here");
            n += weigh(c);
            at += c.len_utf8();
        }
        if n >= ENOUGH {
            break;
        }
    }
    n
}

/// The lead byte of U+4000–U+9FFF in UTF-8: the CJK unified ideographs
/// (and the end of extension A and the hexagram symbols), none of them
/// numeric nor folding to a digit. Most of a page's characters, skipped
/// without decoding.
fn is_ideograph_lead(b: u8) -> bool {
    (0xE4..=0xE9).contains(&b)
}

/// `char::is_numeric`, without its table search for the characters pages
/// are made of (the search was an eighth of a scan's CPU): ASCII, and the
/// rest of the Basic Multilingual Plane (CJK text, its punctuation and
/// full-width forms) from a bitmap made once.
fn is_numeric(c: char) -> bool {
    static BMP: OnceLock<Box<[u64]>> = OnceLock::new();
    let cp = c as u32;
    if c.is_ascii() {
        c.is_ascii_digit()
    } else if cp < 0x1_0000 {
        let bits = BMP.get_or_init(|| {
            let mut bits = vec![0u64; 0x1_0000 / 64];
            for cp in 0..0x1_0000u32 {
                if char::from_u32(cp).is_some_and(char::is_numeric) {
                    bits[cp as usize / 64] |= 1 << (cp % 64);
                }
            }
            bits.into_boxed_slice()
        });
        bits[cp as usize / 64] & 1 << (cp % 64) != 0
    } else {
        c.is_numeric()
    }
}

/// At most how many digits `text` can hold once folded: an ASCII digit is
/// one; any other numeric character, and the compatibility characters that
/// fold to digits without being numeric themselves (the ideographic
/// telegraph symbols `㏠` → `1日`, U+3200–U+33FF; digit commas
/// U+1F100–U+1F10C), may fold to up to three (`⒛` → `20.`).
fn numerics_upper_bound(text: &str) -> usize {
    sum_digits(text, |c| {
        let folds_to_digits = is_numeric(c)
            || ('\u{3200}'..='\u{33FF}').contains(&c)
            || ('\u{1F100}'..='\u{1F10C}').contains(&c);
        if folds_to_digits {
            3
        } else {
            0
        }
    })
}

/// The fewest numeric characters any match of `pattern` holds: a literal's
/// digits, one for a class of digits only (`\d`, `[0-9]`), repeated by a
/// repetition's minimum, summed over a sequence, the least of
/// alternatives. 0 when the pattern does not parse (it is refused
/// elsewhere) or needs none.
fn min_numerics(pattern: &str) -> usize {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn walk(h: &Hir) -> usize {
        match h.kind() {
            HirKind::Empty | HirKind::Look(_) => 0,
            HirKind::Literal(l) => String::from_utf8_lossy(&l.0)
                .chars()
                .filter(|c| c.is_numeric())
                .count(),
            HirKind::Class(Class::Unicode(c)) => {
                let size: u64 = c
                    .ranges()
                    .iter()
                    .map(|r| u64::from(r.end()) - u64::from(r.start()) + 1)
                    .sum();
                let all_numeric = size <= 10_000
                    && c.ranges()
                        .iter()
                        .all(|r| (r.start()..=r.end()).all(|ch| ch.is_numeric()));
                usize::from(all_numeric)
            }
            HirKind::Class(Class::Bytes(c)) => usize::from(
                c.ranges()
                    .iter()
                    .all(|r| r.start().is_ascii_digit() && r.end().is_ascii_digit()),
            ),
            HirKind::Repetition(r) => (r.min as usize).saturating_mul(walk(&r.sub)),
            HirKind::Capture(c) => walk(&c.sub),
            HirKind::Concat(parts) => parts.iter().map(walk).sum(),
            HirKind::Alternation(parts) => parts.iter().map(walk).min().unwrap_or(0),
        }
    }
    regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .map_or(0, |h| walk(&h))
}

/// At most this many characters are searched for one by one.
const FEW_REQUIRED: usize = 4;

/// `chars` and every character that folds to one of them, looked for in a
/// block's original text. A few are each searched for by their UTF-8
/// (memchr's vectorised search, one pass per character); more are tested
/// character by character, from a bit set over the first plane and a list
/// beyond it (the mathematical and enclosed forms). One search for all of
/// them at once (aho-corasick) was tried first: the full-width forms share
/// their lead bytes with the full-width comma of every Chinese paragraph,
/// and its prefilter stalled.
enum RequiredChars {
    Few(Vec<memchr::memmem::Finder<'static>>),
    Many { bmp: Vec<u64>, astral: Vec<char> },
}

impl RequiredChars {
    fn new(chars: &[char], opts: FoldOptions) -> Option<RequiredChars> {
        let sources: Vec<char> = chars.iter().flat_map(|&c| sources_of(c, opts)).collect();
        if sources.is_empty() {
            return None;
        }
        if sources.len() <= FEW_REQUIRED {
            return Some(RequiredChars::Few(
                sources
                    .iter()
                    .map(|c| memchr::memmem::Finder::new(c.to_string().as_bytes()).into_owned())
                    .collect(),
            ));
        }
        let mut bmp = vec![0u64; 0x1_0000 / 64];
        let mut astral = Vec::new();
        for source in sources {
            let cp = source as usize;
            if cp < 0x1_0000 {
                bmp[cp / 64] |= 1 << (cp % 64);
            } else {
                astral.push(source);
            }
        }
        Some(RequiredChars::Many { bmp, astral })
    }

    /// Would folding `text` give one of the characters?
    fn in_text(&self, text: &str) -> bool {
        match self {
            RequiredChars::Few(finders) => {
                finders.iter().any(|f| f.find(text.as_bytes()).is_some())
            }
            RequiredChars::Many { bmp, astral } => text.chars().any(|c| {
                let cp = c as usize;
                if cp < 0x1_0000 {
                    bmp[cp / 64] & (1 << (cp % 64)) != 0
                } else {
                    astral.contains(&c)
                }
            }),
        }
    }
}

/// Characters one of which every match of `pattern` (parsed
/// case-insensitively, as the rules' regexes are) holds: a literal's first
/// character, a small class's members, the smallest such set of a
/// sequence's parts, the union over alternatives. `None` when some match
/// may hold none of a small set (an optional part, a large class), or the
/// pattern does not parse.
fn required_chars(pattern: &str) -> Option<Vec<char>> {
    use regex_syntax::hir::{Class, Hir, HirKind};
    const SMALL: usize = 16;
    /// Characters most blocks hold (text folds full-width punctuation to
    /// these; code is full of `$` and `=`).
    const COMMON: &[char] = &[
        ' ', '(', ')', '[', ']', ',', '.', ':', ';', '/', '-', '\'', '"', '$', '=',
    ];
    fn walk(h: &Hir) -> Option<Vec<char>> {
        match h.kind() {
            HirKind::Empty | HirKind::Look(_) => None,
            HirKind::Literal(l) => std::str::from_utf8(&l.0)
                .ok()
                .and_then(|s| s.chars().next())
                .map(|c| vec![c]),
            HirKind::Class(Class::Unicode(c)) => {
                let mut out = Vec::new();
                for r in c.ranges() {
                    if u32::from(r.end()) - u32::from(r.start()) >= SMALL as u32 {
                        return None;
                    }
                    out.extend(r.start()..=r.end());
                    if out.len() > SMALL {
                        return None;
                    }
                }
                Some(out)
            }
            HirKind::Class(Class::Bytes(c)) => {
                let mut out = Vec::new();
                for r in c.ranges() {
                    if !r.end().is_ascii() || r.end() - r.start() >= SMALL as u8 {
                        return None;
                    }
                    out.extend((r.start()..=r.end()).map(char::from));
                    if out.len() > SMALL {
                        return None;
                    }
                }
                Some(out)
            }
            HirKind::Repetition(r) if r.min > 0 => walk(&r.sub),
            HirKind::Repetition(_) => None,
            HirKind::Capture(c) => walk(&c.sub),
            // The fewest characters, and of those the rarest: `getenv\(…
            // http_user_agent` is gated on `_`, not on the `(` that every
            // paragraph with a full-width parenthesis folds to.
            HirKind::Concat(parts) => parts
                .iter()
                .filter_map(walk)
                .min_by_key(|set| (set.len(), set.iter().filter(|c| COMMON.contains(c)).count())),
            HirKind::Alternation(parts) => {
                let mut out = Vec::new();
                for p in parts {
                    out.extend(walk(p)?);
                }
                out.sort_unstable();
                out.dedup();
                (out.len() <= 2 * SMALL).then_some(out)
            }
        }
    }
    regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .ok()
        .and_then(|h| walk(&h))
}

#[cfg(test)]
mod required_gate {
    use super::required_chars;

    fn set(p: &str) -> Option<String> {
        required_chars(p).map(|v| v.into_iter().collect())
    }

    #[test]
    fn every_match_holds_one_of_the_required_characters() {
        assert_eq!(
            set(r"\[url=(?:https?:)?//[^\]\s]{3,200}\]").as_deref(),
            Some("[")
        );
        assert_eq!(set(r"(?:关键词|關鍵詞)[0-9]{1,2}").as_deref(), Some("关關"));
        // The smallest set of a sequence; both cases of a letter.
        assert_eq!(set(r"(?:a|b)x").as_deref(), Some("Xx"));
        assert_eq!(set(r"(?:a|b)").as_deref(), Some("ABab"));
        assert_eq!(set(r"[a-z0-9]+\.(vip|com)").as_deref(), Some("."));
        // Of equally small sets, the one without punctuation most blocks hold.
        assert_eq!(
            set(r#"getenv\s*\(\s*["'](?:http_user_agent|http_referer)["']"#).as_deref(),
            Some("_")
        );
        // Nothing every match must hold.
        assert_eq!(set(r"x?y*"), None);
        assert_eq!(set(r"\w+"), None);
        assert_eq!(set(r"a|\w"), None);
    }
}

#[cfg(test)]
mod numeric_gate {
    use super::*;

    #[test]
    fn the_numerics_a_match_needs_are_counted_from_the_pattern() {
        assert_eq!(min_numerics(r"\d{17}[\dX]"), 17);
        assert_eq!(min_numerics(r"\d{6}[ -]\d{8}[ -]\d{3}[\dX]"), 17);
        assert_eq!(min_numerics(r"1[3-9]\d{9}"), 11);
        assert_eq!(min_numerics(r"62\d{17}|62\d{15}|62\d{14}|[45]\d{15}"), 16);
        assert_eq!(min_numerics(r"[a-z0-9]+\.(vip|com)"), 0);
        assert_eq!(min_numerics(r"(bet|ag)\d{2,}"), 2);
        assert_eq!(min_numerics(r"\d*x"), 0);
        // Full-width and other numerals count in the text, as `\d` matches them.
        assert_eq!(count_numerics("电话１３８ 0013 8000 ٣"), 12);
        assert_eq!(count_numerics("百家乐"), 0);
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(is_numeric(c), c.is_numeric(), "U+{:04X}", c as u32);
        }
        // The characters skipped by their lead byte count for nothing.
        for c in ('\u{4000}'..='\u{9FFF}').map(String::from) {
            assert!(is_ideograph_lead(c.as_bytes()[0]));
            assert_eq!(
                (count_numerics(&c), numerics_upper_bound(&c)),
                (0, 0),
                "{c}"
            );
        }
        // The bound holds for every character: what any one folds to never
        // holds more digits than it is counted for.
        let opts = crate::rules::fold::FoldOptions::for_regex(true);
        for cp in (0u32..0x3_0000).filter(|cp| !(0xD800..0xE000).contains(cp)) {
            let c = char::from_u32(cp).unwrap();
            let s = c.to_string();
            let folded = crate::rules::fold::fold(&s, opts);
            assert!(
                numerics_upper_bound(&s) >= count_numerics(&folded.text),
                "U+{cp:04X} folds to {:?}",
                folded.text
            );
        }
        // The bound before folding is never below the count after it.
        for text in [
            "电话１３８ 0013 8000",
            "㏠㏡⒛⑳",
            "百家乐，真人视讯。",
            "2024年",
        ] {
            let folded =
                crate::rules::fold::fold(text, crate::rules::fold::FoldOptions::for_regex(true));
            assert!(
                numerics_upper_bound(text) >= count_numerics(&folded.text),
                "{text}"
            );
        }
    }
}
