//! Rule tooling: each rule's own `tests`, lint warnings, and explanations.
//! These return data; `commands` prints it.

use super::fold::{fold_term, FoldOptions};
use super::matcher::{MatchOptions, PageMatch, RuleSet};
use super::pack::{Loc, RuleSpec};
use crate::page::Page;
use daachorse::CharwiseDoubleArrayAhoCorasick;
use std::collections::HashMap;

/// A rule test string that did not do what it says.
#[derive(Clone, Debug)]
pub struct TestFailure {
    pub rule: usize,
    /// `true` for a `hit` string that did not hit, `false` for a `miss`
    /// string that did.
    pub expected_hit: bool,
    pub text: String,
    /// Why: the hits found, or the matches that were dropped and why.
    pub detail: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct TestReport {
    pub passed: usize,
    pub failures: Vec<TestFailure>,
}

/// Run every rule's `tests` against its term logic alone (docs/contract.md#rule-tests: each string
/// is a page's whole text; fields and hidden_only do not apply).
pub fn run_tests(set: &RuleSet) -> TestReport {
    let mut report = TestReport::default();
    for (ri, rule) in set.rules.iter().enumerate() {
        let cases = rule
            .tests_hit
            .iter()
            .map(|t| (true, t))
            .chain(rule.tests_miss.iter().map(|t| (false, t)));
        for (expected_hit, text) in cases {
            let page = Page::from_text(text.clone());
            let result = set.match_page_with(
                &page,
                MatchOptions {
                    explain: true,
                    term_logic_only: true,
                    only_rule: Some(ri),
                },
            );
            if result.hits.is_empty() != expected_hit {
                report.passed += 1;
                continue;
            }
            let detail = if expected_hit {
                result
                    .rejected
                    .iter()
                    .map(|r| {
                        format!(
                            "`{}` (term `{}`) dropped: {}",
                            r.hit.matched(&page),
                            set.term(&r.hit),
                            r.reason
                        )
                    })
                    .collect()
            } else {
                result
                    .hits
                    .iter()
                    .map(|h| format!("hit `{}` (term `{}`)", h.matched(&page), set.term(h)))
                    .collect()
            };
            report.failures.push(TestFailure {
                rule: ri,
                expected_hit,
                text: text.clone(),
                detail,
            });
        }
    }
    report
}

/// A lint warning about a rule pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub loc: Loc,
    pub message: String,
}

fn fold_opts(rule: &RuleSpec) -> FoldOptions {
    FoldOptions {
        width: rule.normalize.width,
        case: rule.normalize.case,
        traditional: rule.normalize.traditional,
        separators: true,
    }
}

/// Warnings about packs that load but are likely to misbehave.
///
/// Linear in the number of terms: the containment checks run each term of a
/// rule through one Aho-Corasick automaton over that rule's terms, instead
/// of comparing every pair of terms.
/// Two rules that report a term on the same evidence: both or neither
/// count only hidden text, both or neither need a seller's contact, and
/// both or neither are a fallback (dropped where the other reports).
fn same_policy(a: &RuleSpec, b: &RuleSpec) -> bool {
    a.hidden_only == b.hidden_only
        && a.contact_window.is_some() == b.contact_window.is_some()
        && a.fallback == b.fallback
}

pub fn lint(set: &RuleSet) -> Vec<Warning> {
    let mut warnings = Vec::new();
    // folded term -> every (rule, loc) that has it so far
    let mut seen: HashMap<String, Vec<(usize, Loc)>> = HashMap::new();
    for (ri, rule) in set.rules.iter().enumerate() {
        let opts = fold_opts(rule);
        let terms: Vec<String> = rule
            .keywords
            .iter()
            .map(|k| fold_term(&k.text, opts))
            .collect();
        if rule.tests_hit.is_empty() || rule.tests_miss.is_empty() {
            warnings.push(Warning {
                loc: rule.loc.clone(),
                message: format!(
                    "rule `{}` has no `tests` {}: add strings it must hit and must not hit",
                    rule.id,
                    if rule.tests_hit.is_empty() {
                        "hit"
                    } else {
                        "miss"
                    }
                ),
            });
        }
        // folded term -> index of the first keyword that folds to it
        let mut in_rule: HashMap<&str, usize> = HashMap::new();
        for (ti, (k, folded)) in rule.keywords.iter().zip(&terms).enumerate() {
            let chars = folded.chars().count();
            let ascii = folded.chars().all(|c| c.is_ascii_alphanumeric());
            if chars == 1 || (ascii && chars <= 2) {
                warnings.push(Warning {
                    loc: k.loc.clone(),
                    message: format!(
                        "term `{}` is too short to be safe: it will hit ordinary text",
                        k.text
                    ),
                });
            }
            if let Some(&first) = in_rule.get(folded.as_str()) {
                warnings.push(Warning {
                    loc: k.loc.clone(),
                    message: format!(
                        "term `{}` folds to the same text as `{}` in this rule",
                        k.text, rule.keywords[first].text
                    ),
                });
                continue;
            }
            in_rule.insert(folded, ti);
            // A keyword file shared by two rules (one list, two policies:
            // visible and hidden) is deliberate, and so is a term in two
            // rules that read different fields (a title rule and a
            // hidden-text rule never report the same hit) or that ask for
            // different evidence (hidden text, a seller's contact).
            let holders = seen.entry(folded.clone()).or_default();
            if let Some((other, loc)) = holders.iter().find(|(other, loc)| {
                *other != ri
                    && *loc != k.loc
                    && set.rules[*other].fields & rule.fields != 0
                    && same_policy(&set.rules[*other], rule)
            }) {
                warnings.push(Warning {
                    loc: k.loc.clone(),
                    message: format!(
                        "term `{}` is also in rule `{}` ({loc}): one page will be reported twice",
                        k.text, set.rules[*other].id
                    ),
                });
            }
            holders.push((ri, k.loc.clone()));
        }
        let automaton = TermAutomaton::new(&in_rule);
        // The first keyword (in the rule's order) hitting inside each
        // distinct folded term, computed once per distinct term.
        let mut inside: HashMap<&str, Option<usize>> = HashMap::new();
        for (k, folded) in rule.keywords.iter().zip(&terms) {
            let inner = *inside
                .entry(folded.as_str())
                .or_insert_with(|| automaton.first_inside(folded));
            // A shared keywords file serves other rules too; a rule that
            // adds a broader term of its own beside it (gambling-contact's
            // 投注 beside the list's 足球投注) means to.
            let shared_file_term = |inner: usize| {
                k.loc.file != rule.loc.file && rule.keywords[inner].loc.file == rule.loc.file
            };
            if let Some(inner) = inner.filter(|&i| !shared_file_term(i)) {
                warnings.push(Warning {
                    loc: k.loc.clone(),
                    message: format!(
                        "term `{}` contains `{}` of the same rule: wherever it hits, so does the shorter one",
                        k.text, rule.keywords[inner].text
                    ),
                });
            }
        }
        for a in &rule.allow {
            let folded = fold_term(&a.text, opts);
            let covers_term = automaton.occurs_in(&folded);
            let covers_regex = set.regex_of(ri).iter().any(|re| re.is_match(&a.text));
            if !covers_term && !covers_regex {
                warnings.push(Warning {
                    loc: a.loc.clone(),
                    message: format!(
                        "allow phrase `{}` contains no term of rule `{}`: it can never drop a hit",
                        a.text, rule.id
                    ),
                });
            }
        }
        if rule.min_distinct == 0 {
            warnings.push(Warning {
                loc: rule.loc.clone(),
                message: format!(
                    "min_distinct = 0 in rule `{}`: a page needs at least one term to be reported",
                    rule.id
                ),
            });
        } else if rule.regex.is_empty() && rule.min_distinct > in_rule.len() {
            warnings.push(Warning {
                loc: rule.loc.clone(),
                message: format!(
                    "min_distinct = {} but rule `{}` has only {} distinct term{} (once folded): it can never report a page",
                    rule.min_distinct,
                    rule.id,
                    in_rule.len(),
                    if in_rule.len() == 1 { "" } else { "s" }
                ),
            });
        }
        for x in &rule.exclude_context {
            let folded = fold_term(&x.text, opts);
            if let Some(&ti) = in_rule.get(folded.as_str()) {
                warnings.push(Warning {
                    loc: x.loc.clone(),
                    message: format!(
                        "exclude_context word `{}` is the term `{}` of rule `{}` once folded: every hit of that term lies on it, so the term can never hit",
                        x.text, rule.keywords[ti].text, rule.id
                    ),
                });
            }
        }
        for c in &rule.context {
            let folded = fold_term(&c.text, opts);
            if let Some(&ti) = in_rule.get(folded.as_str()) {
                warnings.push(Warning {
                    loc: c.loc.clone(),
                    message: format!(
                        "context word `{}` is the term `{}` of rule `{}` once folded: each hit of that term is its own context, so the context condition never drops it",
                        c.text, rule.keywords[ti].text, rule.id
                    ),
                });
            }
        }
    }
    warnings.sort_by(|a, b| (&a.loc.file, a.loc.line).cmp(&(&b.loc.file, b.loc.line)));
    warnings
}

/// One rule's distinct folded terms in an Aho-Corasick automaton, each
/// with the index of the first keyword that folds to it.
struct TermAutomaton {
    ac: Option<CharwiseDoubleArrayAhoCorasick<usize>>,
}

impl TermAutomaton {
    fn new(terms: &HashMap<&str, usize>) -> Self {
        // Folded terms are never empty (the matcher refuses those) and the
        // keys are distinct, so building cannot fail on a compiled rule set;
        // should it still, lint goes on without containment checks rather
        // than stop.
        let ac = (!terms.is_empty())
            .then(|| {
                CharwiseDoubleArrayAhoCorasick::with_values(terms.iter().map(|(t, &i)| (*t, i)))
                    .ok()
            })
            .flatten();
        TermAutomaton { ac }
    }

    /// Does any term occur in `text` (as a plain substring)?
    fn occurs_in(&self, text: &str) -> bool {
        self.ac
            .as_ref()
            .is_some_and(|ac| ac.find_iter(text).next().is_some())
    }

    /// The first keyword, in rule order, whose folded term hits inside the
    /// folded term `outer` (other than `outer` itself). A term with an ASCII
    /// end needs a word boundary there, which the outer term's own letters
    /// may deny (`porn` does not hit inside `pornhub`).
    fn first_inside(&self, outer: &str) -> Option<usize> {
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        self.ac
            .as_ref()?
            .find_overlapping_iter(outer)
            .filter(|m| !(m.start() == 0 && m.end() == outer.len()))
            .filter(|m| {
                let inner = &outer[m.start()..m.end()];
                let left_word = word(inner.chars().next());
                let right_word = word(inner.chars().next_back());
                let before = word(outer[..m.start()].chars().next_back());
                let after = word(outer[m.end()..].chars().next());
                !(left_word && before || right_word && after)
            })
            .map(|m| m.value())
            .min()
    }
}

/// Match a page keeping every dropped match with its reason.
pub fn explain(set: &RuleSet, page: &Page) -> PageMatch {
    set.match_page_with(
        page,
        MatchOptions {
            explain: true,
            ..MatchOptions::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Packs;
    use std::path::Path;

    /// A small pack touching every lint warning, containment at ASCII word
    /// boundaries, folding (width, traditional), duplicates within and
    /// across rules, and allow phrases covered by terms or by a regex.
    const PACK: &str = r#"
[[rule]]
id = "a"
title = "A"
category = "c"
severity = "low"
keywords = ["赌", "av", "百家乐", "百家乐平台", "百家樂在线", "porn", "pornhub", "free porn",
            "sex", "essex", "sex-video", "bet365", "www.bet365.com", "bet365官网", "ｂｅｔ３６５",
            "澳门葡京", "葡京", "真人荷官", "荷官", "六合彩", "六合彩", "1号", "11号", "v1号"]
allow = ["禁毒宣传", "打击百家乐", "反porn", "pornography", "打击葡京赌场"]
tests = { hit = ["百家乐"], miss = ["x"] }

[[rule]]
id = "b"
title = "B"
category = "c"
severity = "low"
keywords = ["百家樂", "葡京", "时时彩", "重庆时时彩", "时时彩", "北京赛车", "北京赛车pk10"]
tests = { hit = ["时时彩"] }

[[rule]]
id = "c"
title = "C"
category = "c"
severity = "low"
regex = ["1\\d{10}"]
allow = ["客服电话13800000000", "客服电话"]
tests = { miss = ["x"] }

[[rule]]
id = "d"
title = "D"
category = "c"
severity = "low"
keywords = ["ABC", "abcd", "xabc", "ab"]
normalize = { case = false }
tests = { hit = ["ABC"], miss = ["abc"] }
"#;

    fn warnings(pack: &str) -> Vec<String> {
        let packs = Packs::from_text(Path::new("p.toml"), pack).unwrap();
        let set = RuleSet::compile(packs).unwrap();
        lint(&set)
            .into_iter()
            .map(|w| format!("{}: {}", w.loc, w.message))
            .collect()
    }

    #[test]
    fn a_term_in_two_rules_of_different_fields_is_not_a_double_report() {
        let pack = "[[rule]]\nid = \"t\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"百家乐\"]\nfields = [\"title\"]\ntests = { hit = [], miss = [] }\n\n\
                    [[rule]]\nid = \"h\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"百家乐\"]\nfields = [\"anchor\"]\ntests = { hit = [], miss = [] }\n\n\
                    [[rule]]\nid = \"a\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"百家乐\"]\nfields = [\"text\", \"anchor\"]\ntests = { hit = [], miss = [] }\n";
        let found: Vec<String> = warnings(pack)
            .into_iter()
            .filter(|w| w.contains("also in rule"))
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("also in rule `h`"), "{found:?}");
    }

    #[test]
    fn a_term_in_two_rules_asking_for_different_evidence_is_not_a_double_report() {
        let rule = |id: &str, extra: &str| {
            format!("[[rule]]\nid = \"{id}\"\ncategory = \"c\"\nseverity = \"low\"\nkeywords = [\"百家乐\"]\n{extra}tests = {{ hit = [], miss = [] }}\n\n")
        };
        let pack = rule("v", "")
            + &rule("c", "needs_contact = true\n")
            + &rule("h", "hidden_only = true\n");
        let found: Vec<String> = warnings(&pack)
            .into_iter()
            .filter(|w| w.contains("also in rule"))
            .collect();
        assert!(found.is_empty(), "{found:?}");
        let twice = rule("v", "") + &rule("w", "");
        assert_eq!(
            warnings(&twice)
                .iter()
                .filter(|w| w.contains("also in rule `v`"))
                .count(),
            1
        );
    }

    #[test]
    fn lint_warnings_on_a_small_pack_are_unchanged() {
        // As the quadratic lint reported them before it was reworked.
        let want = [
            "p.toml:7: term `赌` is too short to be safe: it will hit ordinary text",
            "p.toml:7: term `av` is too short to be safe: it will hit ordinary text",
            "p.toml:7: term `百家乐平台` contains `百家乐` of the same rule: wherever it hits, so does the shorter one",
            "p.toml:7: term `百家樂在线` contains `百家乐` of the same rule: wherever it hits, so does the shorter one",
            "p.toml:8: term `ｂｅｔ３６５` folds to the same text as `bet365` in this rule",
            "p.toml:8: term `bet365官网` contains `bet365` of the same rule: wherever it hits, so does the shorter one",
            "p.toml:9: term `六合彩` folds to the same text as `六合彩` in this rule",
            "p.toml:9: term `澳门葡京` contains `葡京` of the same rule: wherever it hits, so does the shorter one",
            "p.toml:9: term `真人荷官` contains `荷官` of the same rule: wherever it hits, so does the shorter one",
            "p.toml:10: allow phrase `禁毒宣传` contains no term of rule `a`: it can never drop a hit",
            "p.toml:13: rule `b` has no `tests` miss: add strings it must hit and must not hit",
            "p.toml:18: term `百家樂` is also in rule `a` (p.toml:7): one page will be reported twice",
            "p.toml:18: term `葡京` is also in rule `a` (p.toml:9): one page will be reported twice",
            "p.toml:18: term `时时彩` folds to the same text as `时时彩` in this rule",
            "p.toml:18: term `重庆时时彩` contains `时时彩` of the same rule: wherever it hits, so does the shorter one",
            "p.toml:18: term `北京赛车pk10` contains `北京赛车` of the same rule: wherever it hits, so does the shorter one",
            "p.toml:21: rule `c` has no `tests` hit: add strings it must hit and must not hit",
            "p.toml:27: allow phrase `客服电话` contains no term of rule `c`: it can never drop a hit",
            "p.toml:35: term `ab` is too short to be safe: it will hit ordinary text",
        ];
        assert_eq!(warnings(PACK), want);
    }

    fn rule(body: &str) -> String {
        format!(
            "[[rule]]\nid = \"r\"\ntitle = \"T\"\ncategory = \"c\"\nseverity = \"high\"\ntests = {{ hit = [\"x\"], miss = [\"y\"] }}\n{body}\n"
        )
    }

    #[test]
    fn lint_warns_about_an_impossible_min_distinct() {
        // Three keywords, two distinct once folded (`賭場` is `赌场`).
        let got = warnings(&rule(
            "keywords = [\"赌场\", \"賭場\", \"六合彩\"]\nmin_distinct = 3",
        ));
        assert!(
            got.iter()
                .any(|w| w.starts_with("p.toml:1: min_distinct = 3")
                    && w.contains("only 2 distinct terms")),
            "{got:?}"
        );
        // Reachable: no warning.
        let got = warnings(&rule("keywords = [\"赌场\", \"六合彩\"]\nmin_distinct = 2"));
        assert!(!got.iter().any(|w| w.contains("min_distinct")), "{got:?}");
        // A regex can supply any number of distinct terms.
        let got = warnings(&rule(
            "keywords = [\"身份证\"]\nregex = [\"\\\\d{18}\"]\nmin_distinct = 3",
        ));
        assert!(!got.iter().any(|w| w.contains("min_distinct")), "{got:?}");
    }

    #[test]
    fn lint_warns_about_a_context_word_that_is_a_term() {
        let got = warnings(&rule(
            "keywords = [\"身份证号\", \"住址\"]\ncontext = [\"姓名\",\n  \"身份證號\"]",
        ));
        assert!(
            got.iter()
                .any(|w| w.starts_with("p.toml:9: context word `身份證號`")
                    && w.contains("`身份证号`")),
            "{got:?}"
        );
        assert!(!got.iter().any(|w| w.contains("`姓名`")), "{got:?}");
    }

    #[test]
    fn lint_warns_about_an_exclude_word_that_is_a_term() {
        let got = warnings(&rule(
            "keywords = [\"刷单返利\", \"兼职\"]\nexclude_context = [\"诈骗\",\n  \"兼職\"]",
        ));
        assert!(
            got.iter()
                .any(|w| w.starts_with("p.toml:9: exclude_context word `兼職`")
                    && w.contains("the term `兼职`")),
            "{got:?}"
        );
        assert!(!got.iter().any(|w| w.contains("`诈骗`")), "{got:?}");
    }

    #[test]
    fn containment_is_found_at_any_occurrence() {
        // The first occurrence of `a中a` in `xa中a中a` is glued to `x`; the
        // second stands free, so the shorter term hits inside the longer.
        let got = warnings(&rule("keywords = [\"xa中a中a\", \"a中a\"]"));
        assert!(
            got.iter().any(|w| w.contains("`xa中a中a` contains `a中a`")),
            "{got:?}"
        );
    }

    #[test]
    fn lint_finds_every_term_inside_another_as_a_pairwise_check_would() {
        // 1,500 CJK terms, a quarter of them containing another: the
        // automaton-based lint must warn about exactly the pairs a naive
        // pairwise check finds. (Its speed at 20k and 200k terms is a
        // benchmark: `cargo bench --bench lint`.)
        let chars: Vec<char> = "百家乐澳门葡京赌场彩票时时彩六合真人荷官棋牌娱乐网投注平台代理返水充值提现贷款刷单兼职返利"
            .chars()
            .collect();
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let mut terms: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while terms.len() < 1_500 {
            let t: String = if !terms.is_empty() && next(4) == 0 {
                format!("{}{}", terms[next(terms.len())], chars[next(chars.len())])
            } else {
                (0..3 + next(5)).map(|_| chars[next(chars.len())]).collect()
            };
            if seen.insert(t.clone()) {
                terms.push(t);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("terms.txt"), terms.join("\n")).unwrap();
        std::fs::write(
            dir.path().join("p.toml"),
            rule("keywords_file = \"terms.txt\""),
        )
        .unwrap();
        let set = RuleSet::compile(Packs::load_dir(dir.path()).unwrap()).unwrap();
        let containing = terms
            .iter()
            .filter(|outer| {
                terms
                    .iter()
                    .any(|inner| inner != *outer && outer.contains(inner.as_str()))
            })
            .count();
        let found = lint(&set)
            .into_iter()
            .filter(|w| w.message.contains("of the same rule"))
            .count();
        assert!(containing > 100, "{containing}");
        assert_eq!(found, containing);
    }
}
