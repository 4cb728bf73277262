//! Grouping: findings of a site that repeat on many pages (same rule,
//! term, field and hidden) become one report row with example URLs; rules
//! reporting the very same evidence share a row.

use crate::findings::Finding;
use crate::page::Field;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// One row of a report: findings of one site that share rule, term, field
/// and hidden, over one or more pages.
#[derive(Clone, Debug)]
pub struct Row {
    pub finding: Finding,
    pub pages: Vec<String>,
    pub total_hits: u32,
    /// Other rules that report the very same evidence (same text, field,
    /// hidden flag and pages), merged into this row: a hidden link that is
    /// both "hidden gambling link" and "gambling promotion" is one row on
    /// paper. CSV and JSON keep every finding.
    pub also: Vec<String>,
}

/// Findings of one site grouped into rows as they are read, so a report
/// holds one finding per row (and the page URLs), never every finding.
#[derive(Default)]
pub struct Grouper {
    rows: Vec<Row>,
    index: HashMap<(String, String, Option<Field>, bool), usize>,
}

impl Grouper {
    pub fn add(&mut self, f: Finding) {
        let key = (f.rule.clone(), f.term.clone(), f.field, f.hidden);
        match self.index.get(&key) {
            Some(&i) => {
                let row = &mut self.rows[i];
                row.total_hits += f.count;
                row.pages.push(f.url);
            }
            None => {
                self.index.insert(key, self.rows.len());
                self.rows.push(Row {
                    pages: vec![f.url.clone()],
                    total_hits: f.count,
                    also: Vec::new(),
                    finding: f,
                });
            }
        }
    }

    /// The rows, most severe first, rows with the same evidence merged.
    pub fn finish(self) -> Vec<Row> {
        let mut rows = self.rows;
        // Most severe first, so the row kept for shared evidence is the
        // most severe one.
        rows.sort_by_key(|r| std::cmp::Reverse(r.finding.severity));
        let evidence = |r: &Row| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (
                &r.finding.matched,
                r.finding.field,
                r.finding.hidden,
                &r.pages,
            )
                .hash(&mut h);
            h.finish()
        };
        let mut merged: Vec<Row> = Vec::with_capacity(rows.len());
        let mut by_evidence: HashMap<u64, Vec<usize>> = HashMap::new();
        for row in rows {
            if row.finding.field.is_some() {
                let same = by_evidence.entry(evidence(&row)).or_default();
                let found = same.iter().copied().find(|&m| {
                    let m = &merged[m];
                    m.finding.matched == row.finding.matched
                        && m.finding.field == row.finding.field
                        && m.finding.hidden == row.finding.hidden
                        && m.pages == row.pages
                });
                if let Some(m) = found {
                    merged[m].also.push(row.finding.title.clone());
                    continue;
                }
                same.push(merged.len());
            }
            merged.push(row);
        }
        merged.sort_by(|a, b| {
            b.finding
                .severity
                .cmp(&a.finding.severity)
                .then(a.finding.rule.cmp(&b.finding.rule))
        });
        merged
    }
}

pub fn group_rows(findings: &[Finding]) -> Vec<Row> {
    let mut g = Grouper::default();
    for f in findings {
        g.add(f.clone());
    }
    g.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Status;
    use crate::severity::Severity;

    fn finding(rule: &str, severity: Severity, url: &str, matched: &str) -> Finding {
        Finding {
            scan: "s".into(),
            site: "gov".into(),
            operator: "o".into(),
            url: url.into(),
            rule: rule.into(),
            title: format!("title of {rule}"),
            category: "gambling".into(),
            severity,
            field: Some(crate::page::Field::Anchor),
            hidden: true,
            matched: matched.into(),
            term: matched.into(),
            snippet: matched.into(),
            fingerprint: format!("{rule}{url}{matched}"),
            count: 1,
            status: Status::New,
            first_seen: "2026-11-27T00:00:00Z".into(),
            fetched_at: "2026-11-27T00:00:00Z".into(),
            referrer: None,
            insecure_tls: false,
            probe: None,
            kind: None,
            location: None,
        }
    }

    #[test]
    fn rows_group_pages_and_merge_rules_reporting_the_same_evidence() {
        let f = vec![
            finding("promo", Severity::High, "http://a/1", "澳门葡京"),
            finding("hidden", Severity::Critical, "http://a/1", "澳门葡京"),
            finding("promo", Severity::High, "http://a/2", "澳门葡京"),
            finding("hidden", Severity::Critical, "http://a/2", "澳门葡京"),
            finding("hidden", Severity::Critical, "http://a/3", "六合彩"),
            finding("promo", Severity::High, "http://a/3", "新葡京"),
        ];
        let rows = group_rows(&f);
        assert_eq!(rows.len(), 3, "{rows:#?}");
        assert_eq!(rows[0].finding.rule, "hidden");
        let shared = rows
            .iter()
            .find(|r| r.finding.matched == "澳门葡京")
            .unwrap();
        assert_eq!(shared.pages, vec!["http://a/1", "http://a/2"]);
        assert_eq!(
            shared.finding.severity,
            Severity::Critical,
            "the most severe rule is kept"
        );
        assert_eq!(shared.also, vec!["title of promo"]);
        assert!(rows
            .iter()
            .filter(|r| r.finding.matched != "澳门葡京")
            .all(|r| r.also.is_empty()));
    }
}
