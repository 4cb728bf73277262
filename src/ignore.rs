//! The ignore file (`sitesweep.ignore.toml` beside the register, or
//! `--ignore FILE`): findings an operator has answered for, by fingerprint
//! or by rule plus a URL regex, each with a reason and an optional expiry
//! date. Ignored findings stay in the database but leave reports and exit
//! codes; an expired entry stops applying and is reported.

use crate::error::{InputError, LineIndex};
use crate::findings::Finding;
use regex::Regex;
use serde::Deserialize;
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
    fingerprint: Option<String>,
    rule: Option<String>,
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
    ) -> Result<IgnoreList, InputError> {
        if let Some(p) = explicit {
            return IgnoreList::load(p);
        }
        let beside = match register {
            Some(r) => match r.parent() {
                Some(dir) => dir.join("sitesweep.ignore.toml"),
                None => return Ok(IgnoreList::default()),
            },
            None => PathBuf::from("sitesweep.ignore.toml"),
        };
        if beside.is_file() {
            IgnoreList::load(&beside)
        } else {
            Ok(IgnoreList::default())
        }
    }

    pub fn load(path: &Path) -> Result<IgnoreList, InputError> {
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
                    let ok = v.len() == 10
                        && v.chars().enumerate().all(|(i, c)| {
                            if i == 4 || i == 7 {
                                c == '-'
                            } else {
                                c.is_ascii_digit()
                            }
                        });
                    if !ok {
                        return Err(InputError::at(
                            path,
                            lines.line(d.span().start),
                            format!("expires = \"{v}\": write the date as YYYY-MM-DD"),
                        ));
                    }
                    Some(v.clone())
                }
            };
            entries.push(Entry {
                fingerprint: e.fingerprint,
                rule: e.rule,
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

/// Today as `YYYY-MM-DD` (UTC).
pub fn today() -> String {
    crate::findings::now_rfc3339()[..10].to_string()
}
