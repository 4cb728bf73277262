//! The ignore file (`sitesweep.ignore.toml` beside the register, or
//! `--ignore FILE`): findings an operator has answered for, by fingerprint
//! or by rule plus a URL regex, each with a reason and an optional expiry
//! date. Ignored findings stay in the database but leave reports and exit
//! codes; an expired entry stops applying and is reported.

use crate::error::{InputError, LineIndex};
use crate::findings::{Finding, SiteRule};
use regex::Regex;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Clone, Debug)]
pub struct Entry {
    pub fingerprint: Option<String>,
    pub rule: Option<String>,
    pub url: Option<Regex>,
    pub reason: String,
    /// `YYYY-MM-DD`; the entry applies up to and including that day.
    pub expires: Option<String>,
    pub line: usize,
}

impl Entry {
    fn matches(&self, f: &Finding) -> bool {
        if let Some(fp) = &self.fingerprint {
            return *fp == f.fingerprint;
        }
        self.rule.as_deref() == Some(f.rule.as_str())
            && self.url.as_ref().is_none_or(|re| re.is_match(&f.url))
    }

    pub fn expired(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|d| d < today)
    }
}

#[derive(Clone, Debug, Default)]
pub struct IgnoreList {
    pub path: Option<PathBuf>,
    pub entries: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    ignore: Vec<Spanned<EntryToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryToml {
    fingerprint: Option<Spanned<String>>,
    rule: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    reason: Option<String>,
    expires: Option<Spanned<String>>,
}

impl IgnoreList {
    /// `explicit` if given (it must exist), else `sitesweep.ignore.toml`
    /// beside the register if there is one. With a register, only its
    /// directory is looked in (a relative register path is relative to
    /// the working directory, as it was given); without one, the working
    /// directory.
    pub fn locate(
        explicit: Option<&Path>,
        register: Option<&Path>,
        rules: &[String],
    ) -> Result<IgnoreList, InputError> {
        if let Some(p) = explicit {
            return IgnoreList::load(p, rules);
        }
        let beside = match register {
            Some(r) => match r.parent() {
                Some(dir) => dir.join("sitesweep.ignore.toml"),
                None => return Ok(IgnoreList::default()),
            },
            None => PathBuf::from("sitesweep.ignore.toml"),
        };
        if beside.is_file() {
            IgnoreList::load(&beside, rules)
        } else {
            Ok(IgnoreList::default())
        }
    }

    /// Read an ignore file. `rules` are the ids of the loaded rule set: an
    /// entry for any other rule (site-level ids such as `site.unreachable`
    /// aside) is refused, as are impossible dates and malformed
    /// fingerprints, each with `file:line`.
    pub fn load(path: &Path, rules: &[String]) -> Result<IgnoreList, InputError> {
        let known: HashSet<&str> = rules
            .iter()
            .map(String::as_str)
            .chain(SiteRule::ALL.iter().map(|r| r.id()))
            .collect();
        let text = std::fs::read_to_string(path).map_err(|e| {
            InputError::plain(format!(
                "{}: cannot read the ignore file: {e}",
                path.display()
            ))
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let lines = LineIndex::new(text);
        let parsed: FileToml = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| lines.line(s.start));
            InputError::at(path, line, e.message().trim().to_string())
        })?;
        let mut entries = Vec::new();
        for entry in parsed.ignore {
            let line = lines.line(entry.span().start);
            let e = entry.into_inner();
            let reason = e.reason.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
                InputError::at(
                    path,
                    line,
                    "an ignore entry needs a `reason`: say why it was accepted",
                )
            })?;
            if e.fingerprint.is_none() && e.rule.is_none() {
                return Err(InputError::at(
                    path,
                    line,
                    "an ignore entry needs `fingerprint`, or `rule` (with an optional `url` regex)",
                ));
            }
            let fingerprint = match e.fingerprint {
                None => None,
                Some(f) if is_fingerprint(f.get_ref()) => Some(f.into_inner()),
                Some(f) => {
                    return Err(InputError::at(
                        path,
                        lines.line(f.span().start),
                        format!(
                            "fingerprint = \"{}\": a fingerprint is 16 lower-case hex digits, as findings show it",
                            f.get_ref()
                        ),
                    ))
                }
            };
            let rule = match e.rule {
                None => None,
                Some(r) if known.contains(r.get_ref().as_str()) => Some(r.into_inner()),
                Some(r) => {
                    return Err(InputError::at(
                        path,
                        lines.line(r.span().start),
                        format!(
                            "unknown rule `{}`: not a rule of the loaded packs, nor a site-level finding such as `site.unreachable`",
                            r.get_ref()
                        ),
                    ))
                }
            };
            let url = match e.url {
                None => None,
                Some(u) => Some(Regex::new(u.get_ref()).map_err(|err| {
                    InputError::at(
                        path,
                        lines.line(u.span().start),
                        format!(
                            "bad url regex `{}`: {}",
                            u.get_ref(),
                            err.to_string().lines().last().unwrap_or("")
                        ),
                    )
                })?),
            };
            let expires = match e.expires {
                None => None,
                Some(d) => {
                    let v = d.get_ref();
                    if let Err(why) = check_date(v) {
                        return Err(InputError::at(
                            path,
                            lines.line(d.span().start),
                            format!("expires = \"{v}\": {why}"),
                        ));
                    }
                    Some(v.clone())
                }
            };
            entries.push(Entry {
                fingerprint,
                rule,
                url,
                reason,
                expires,
                line,
            });
        }
        Ok(IgnoreList {
            path: Some(path.to_path_buf()),
            entries,
        })
    }

    /// The entry that ignores `f` today, if any (expired entries never do).
    pub fn ignores(&self, f: &Finding, today: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| !e.expired(today) && e.matches(f))
    }

    pub fn expired(&self, today: &str) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.expired(today)).collect()
    }

    /// Split findings into kept and ignored.
    pub fn split(&self, findings: Vec<Finding>, today: &str) -> (Vec<Finding>, Vec<Finding>) {
        findings
            .into_iter()
            .partition(|f| self.ignores(f, today).is_none())
    }
}

/// 16 lower-case hex digits, as [`crate::ids::short_hash`] writes them.
fn is_fingerprint(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A real calendar date written `YYYY-MM-DD`.
fn check_date(v: &str) -> Result<(), &'static str> {
    let shape = v.len() == 10
        && v.bytes().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return Err("write the date as YYYY-MM-DD");
    }
    let num = |r: std::ops::Range<usize>| v[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err("there is no such month"),
    };
    if day == 0 || day > days {
        return Err("there is no such day");
    }
    Ok(())
}

/// Today as `YYYY-MM-DD` (UTC).
pub fn today() -> String {
    crate::time::now_rfc3339()[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<IgnoreList, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ignore.toml");
        std::fs::write(&path, text).unwrap();
        let rules = vec!["gambling-promo".to_string(), "porn-terms".to_string()];
        IgnoreList::load(&path, &rules)
            .map_err(|e| format!("ignore.toml:{}: {}", e.line, e.message))
    }

    fn entry(body: &str) -> String {
        format!("# answered for\n[[ignore]]\nreason = \"已处理\"\n{body}\n")
    }

    #[test]
    fn good_entries_load() {
        let text = [
            entry("rule = \"gambling-promo\"\nexpires = \"2024-02-29\""),
            entry("rule = \"site.unreachable\"\nurl = \"/old/\""),
            entry("rule = \"link.broken\""),
            entry("rule = \"crawl.truncated\"\nexpires = \"2026-12-31\""),
            entry("fingerprint = \"9f2c4e1a0b7d3e55\""),
        ]
        .concat();
        assert_eq!(load(&text).unwrap().entries.len(), 5);
    }

    #[test]
    fn impossible_dates_unknown_rules_and_bad_fingerprints_name_their_line() {
        let cases = [
            (
                "rule = \"porn-terms\"\nexpires = \"2026-02-30\"",
                "ignore.toml:5: expires = \"2026-02-30\"",
            ),
            (
                "rule = \"porn-terms\"\nexpires = \"2026-13-01\"",
                "ignore.toml:5: expires = \"2026-13-01\"",
            ),
            (
                "rule = \"porn-terms\"\nexpires = \"2026-04-00\"",
                "ignore.toml:5: expires",
            ),
            (
                "rule = \"porn-terms\"\nexpires = \"2025-02-29\"",
                "ignore.toml:5: expires",
            ),
            (
                "rule = \"porn-terms\"\nexpires = \"2026-4-1\"",
                "ignore.toml:5: expires",
            ),
            (
                "rule = \"gambling\"",
                "ignore.toml:4: unknown rule `gambling`",
            ),
            (
                "rule = \"site.down\"",
                "ignore.toml:4: unknown rule `site.down`",
            ),
            (
                "fingerprint = \"9F2C4E1A0B7D3E55\"",
                "ignore.toml:4: fingerprint",
            ),
            ("fingerprint = \"9f2c4e1a\"", "ignore.toml:4: fingerprint"),
            (
                "fingerprint = \"9f2c4e1a0b7d3e5g\"",
                "ignore.toml:4: fingerprint",
            ),
            (
                "fingerprint = \" 9f2c4e1a0b7d3e55\"",
                "ignore.toml:4: fingerprint",
            ),
        ];
        for (body, want) in cases {
            let got = load(&entry(body)).unwrap_err();
            assert!(got.starts_with(want), "want {want:?}, got {got:?}");
        }
    }
}
