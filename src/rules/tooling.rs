//! Rule tooling: each rule's own `tests`, lint warnings, and explanations.
//! These return data; `commands` prints it.

use super::fold::{fold_term, FoldOptions};
use super::matcher::{MatchOptions, PageMatch, RuleSet};
use super::pack::{Loc, RuleSpec};
use crate::page::Page;
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

/// Run every rule's `tests` against its term logic alone (SPEC: each string
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
pub fn lint(set: &RuleSet) -> Vec<Warning> {
    let mut warnings = Vec::new();
    // folded term -> first (rule, loc) that has it
    let mut seen: HashMap<String, (usize, Loc)> = HashMap::new();
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
            match seen.get(folded) {
                // A keyword file shared by two rules (one list, two policies:
                // visible and hidden) is deliberate.
                Some((other, loc)) if *other != ri && *loc != k.loc => warnings.push(Warning {
                    loc: k.loc.clone(),
                    message: format!(
                        "term `{}` is also in rule `{}` ({loc}): one page will be reported twice",
                        k.text, set.rules[*other].id
                    ),
                }),
                Some(_) => {}
                None => {
                    seen.insert(folded.clone(), (ri, k.loc.clone()));
                }
            }
        }
        for (k, folded) in rule.keywords.iter().zip(&terms) {
            if let Some((inner, _)) = rule
                .keywords
                .iter()
                .zip(&terms)
                .find(|(_, f)| *f != folded && hits_inside(f, folded))
            {
                warnings.push(Warning {
                    loc: k.loc.clone(),
                    message: format!(
                        "term `{}` contains `{}` of the same rule: wherever it hits, so does the shorter one",
                        k.text, inner.text
                    ),
                });
            }
        }
        for a in &rule.allow {
            let folded = fold_term(&a.text, opts);
            let covers_term = terms.iter().any(|t| folded.contains(t.as_str()));
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
    }
    warnings.sort_by(|a, b| (&a.loc.file, a.loc.line).cmp(&(&b.loc.file, b.loc.line)));
    warnings
}

/// Would folded term `inner` hit inside folded term `outer`? An inner term
/// with an ASCII end needs a word boundary there, which the outer term's own
/// letters may deny (`porn` does not hit inside `pornhub`).
fn hits_inside(inner: &str, outer: &str) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let left_word = word(inner.chars().next());
    let right_word = word(inner.chars().next_back());
    outer.match_indices(inner).any(|(p, _)| {
        let before = word(outer[..p].chars().next_back());
        let after = word(outer[p + inner.len()..].chars().next());
        !(left_word && before || right_word && after)
    })
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
