//! `rules eval`: a rule set measured on a labelled set of real pages.
//!
//! A labelled set is a directory with a `PROVENANCE.tsv`: a header row,
//! then one sample a line, tab-separated, `file, class, category, split`
//! first (more columns, such as source and notes, are kept out of it).
//! `file` is relative to the directory, `class` is `spam` or `legit`,
//! `split` is `tune` or `heldout` (fixtures/realworld/README.md has the
//! rule that fixed it).
//!
//! Each sample goes through the stage a scan uses ([`crate::analyse`]): a
//! body with a `file://` URL and a content type from its extension, read as
//! the kind [`Kind::of`] says, matched, turned into findings. A `.txt`
//! sample (the scan would not read it: not a page) is one page of plain
//! text. The sample is its own site: [`analyse::dark_links`] is applied
//! as the crawl applies it, with none of the sample's outbound links in
//! scope. Rules of the packs and structural findings about the content
//! (`darklink.hidden-links`, and whatever else [`analyse::analyse`]
//! reports) count as hits; the operational `site.`/`link.`/`crawl.`/
//! `page.` ids do not.
//!
//! The result is data; `rules eval` prints it and the evaluation test keeps
//! floors on it.

use crate::analyse::{self, Kind};
use crate::error::InputError;
use crate::findings::{Finding, Origin, RESERVED_PREFIXES};
use crate::page::Page;
use crate::rules::RuleSet;
use crate::severity::Severity;
use std::collections::{BTreeMap, HashSet};
use std::path::{Component, Path, PathBuf};

/// The labels file of a set, in its directory.
pub const LABELS: &str = "PROVENANCE.tsv";

/// The columns a labels file starts with, in this order.
const COLUMNS: [&str; 4] = ["file", "class", "category", "split"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    Spam,
    Legit,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Spam => "spam",
            Class::Legit => "legit",
        }
    }
}

/// Which samples a figure is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// Samples rules may be tuned on.
    Tune,
    /// Samples only measured on.
    Heldout,
    /// Both.
    All,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Tune => "tune",
            Split::Heldout => "heldout",
            Split::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Split> {
        [Split::Tune, Split::Heldout, Split::All]
            .into_iter()
            .find(|v| v.name() == s)
    }

    /// A sample of split `sample` is counted in this one.
    pub fn covers(self, sample: Split) -> bool {
        self == Split::All || self == sample
    }
}

/// One labelled sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// As written in the labels file, relative to the set's directory.
    pub file: String,
    pub class: Class,
    pub category: String,
    /// `Tune` or `Heldout`.
    pub split: Split,
    /// Where it was found (the `source` column), when the file has one.
    pub source: Option<String>,
    /// Its line in the labels file.
    pub line: usize,
}

/// A labelled set: its directory and samples, in the labels file's order.
#[derive(Clone, Debug)]
pub struct LabelledSet {
    pub dir: PathBuf,
    pub samples: Vec<Sample>,
}

impl LabelledSet {
    /// Read `DIR/PROVENANCE.tsv` and check that every sample file is
    /// there. A bad line is refused as `file:line: message`.
    pub fn load(dir: &Path) -> Result<LabelledSet, InputError> {
        let path = dir.join(LABELS);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            InputError::plain(format!("{}: cannot read the labels: {e}", path.display()))
        })?;
        let samples = parse_labels(&path, &text)?;
        for s in &samples {
            if !dir.join(&s.file).is_file() {
                return Err(InputError::at(
                    &path,
                    s.line,
                    format!("{}: no such file in {}", s.file, dir.display()),
                ));
            }
        }
        Ok(LabelledSet {
            dir: dir.to_path_buf(),
            samples,
        })
    }
}

/// The samples of a labels file's text (`path` is for messages).
pub fn parse_labels(path: &Path, text: &str) -> Result<Vec<Sample>, InputError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let header = lines
        .by_ref()
        .find(|(_, l)| !l.trim().is_empty())
        .ok_or_else(|| InputError::at(path, 1, "empty: expected a header row"))?;
    let names: Vec<&str> = header.1.split('\t').map(str::trim).collect();
    if names.len() < COLUMNS.len() || names[..COLUMNS.len()] != COLUMNS {
        return Err(InputError::at(
            path,
            header.0,
            format!(
                "the header row must start with the columns {} (tab-separated)",
                COLUMNS.join(", ")
            ),
        ));
    }
    let source_column = names.iter().position(|n| *n == "source");
    let mut seen: HashSet<String> = HashSet::new();
    let mut samples = Vec::new();
    for (line, raw) in lines {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = raw.split('\t').map(str::trim).collect();
        if cols.len() < COLUMNS.len() {
            return Err(InputError::at(
                path,
                line,
                format!(
                    "{} tab-separated column{}, expected at least {} ({})",
                    cols.len(),
                    if cols.len() == 1 { "" } else { "s" },
                    COLUMNS.len(),
                    COLUMNS.join(", ")
                ),
            ));
        }
        let file = cols[0];
        let relative = Path::new(file)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if file.is_empty() || !relative {
            return Err(InputError::at(
                path,
                line,
                format!("file `{file}`: give a path inside the set's directory"),
            ));
        }
        let class = match cols[1] {
            "spam" => Class::Spam,
            "legit" => Class::Legit,
            other => {
                return Err(InputError::at(
                    path,
                    line,
                    format!("class `{other}`: use spam or legit"),
                ))
            }
        };
        let category = cols[2];
        if category.is_empty() {
            return Err(InputError::at(path, line, "empty category"));
        }
        let split = match Split::parse(cols[3]) {
            Some(s @ (Split::Tune | Split::Heldout)) => s,
            _ => {
                return Err(InputError::at(
                    path,
                    line,
                    format!("split `{}`: use tune or heldout", cols[3]),
                ))
            }
        };
        if !seen.insert(file.to_string()) {
            return Err(InputError::at(
                path,
                line,
                format!("file `{file}` is listed twice"),
            ));
        }
        samples.push(Sample {
            file: file.to_string(),
            class,
            category: category.to_string(),
            split,
            source: source_column
                .and_then(|i| cols.get(i))
                .filter(|s| !s.is_empty())
                .map(|s| s.to_string()),
            line,
        });
    }
    Ok(samples)
}

/// What the rules made of one sample.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub sample: Sample,
    /// How it was read.
    pub kind: Kind,
    /// The rules that fired (of the packs, and structural ones such as
    /// `darklink.hidden-links`), each once, with the highest severity of
    /// its findings; in the order they first fired.
    pub rules: Vec<(String, Severity)>,
}

impl Outcome {
    /// Any content finding: caught (spam) or flagged (legitimate).
    pub fn hit(&self) -> bool {
        !self.rules.is_empty()
    }

    /// A critical content finding.
    pub fn critical(&self) -> bool {
        self.rules.iter().any(|(_, s)| *s == Severity::Critical)
    }
}

/// One category's figure: spam caught, or legitimate pages flagged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryFigure {
    pub class: Class,
    pub category: String,
    pub total: usize,
    /// Spam: caught; legitimate: flagged.
    pub hit: usize,
}

/// The figures of one split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    pub split: Split,
    pub spam: usize,
    /// Spam samples with at least one content finding.
    pub caught: usize,
    pub legit: usize,
    /// Legitimate samples with at least one content finding.
    pub flagged: usize,
    /// Legitimate samples with a critical content finding.
    pub critical_on_legit: usize,
    /// Spam categories first, then legitimate ones, each by name.
    pub categories: Vec<CategoryFigure>,
    /// Rule id → the legitimate files it fired on; most files first.
    pub false_positives: Vec<(String, Vec<String>)>,
    /// Spam with no content finding: (category, file), by category.
    pub missed: Vec<(String, String)>,
}

impl Figures {
    /// Caught spam / spam (0 with no spam).
    pub fn recall(&self) -> f64 {
        ratio(self.caught, self.spam)
    }

    /// Flagged legitimate pages / legitimate pages (0 with none).
    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.flagged, self.legit)
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// A rule set measured on a labelled set.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// One per sample, in the labels file's order.
    pub outcomes: Vec<Outcome>,
    pub tune: Figures,
    pub heldout: Figures,
    pub all: Figures,
}

impl Evaluation {
    pub fn figures(&self, split: Split) -> &Figures {
        match split {
            Split::Tune => &self.tune,
            Split::Heldout => &self.heldout,
            Split::All => &self.all,
        }
    }
}

/// Run every sample of `set` through the analyse stage with `rules`.
pub fn evaluate(rules: &RuleSet, set: &LabelledSet) -> Result<Evaluation, InputError> {
    let origin = Origin {
        scan: "eval".to_string(),
        site: "eval".to_string(),
        operator: String::new(),
        insecure_tls: false,
    };
    let mut outcomes = Vec::with_capacity(set.samples.len());
    for sample in &set.samples {
        let (path, bytes) = read_sample(set, sample)?;
        let (kind, findings) = analyse_file(rules, &origin, &path, &bytes);
        outcomes.push(Outcome {
            sample: sample.clone(),
            kind,
            rules: content_rules(&findings),
        });
    }
    Ok(Evaluation {
        tune: figures(&outcomes, Split::Tune),
        heldout: figures(&outcomes, Split::Heldout),
        all: figures(&outcomes, Split::All),
        outcomes,
    })
}

fn read_sample(set: &LabelledSet, sample: &Sample) -> Result<(PathBuf, Vec<u8>), InputError> {
    let path = set.dir.join(&sample.file);
    let bytes = std::fs::read(&path).map_err(|e| {
        InputError::at(
            set.dir.join(LABELS),
            sample.line,
            format!("{}: cannot read: {e}", sample.file),
        )
    })?;
    Ok((path, bytes))
}

/// A sample's text as the scan reads it (no rules run): the page's blocks.
pub fn sample_page(set: &LabelledSet, sample: &Sample) -> Result<Page, InputError> {
    let (path, bytes) = read_sample(set, sample)?;
    Ok(analyse::read_local_file(&path, &bytes, content_type_of(&path)).2)
}

/// The content type a sample file is served with, by its extension
/// (`.txt` is plain text here, never sniffed as HTML).
pub fn content_type_of(path: &Path) -> Option<&'static str> {
    match path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .as_deref()
    {
        Some("txt") => Some("text/plain"),
        _ => analyse::content_type_by_extension(path),
    }
}

/// One file through the stage: a page or script as a scan reads it, the
/// sample its own site (none of its outbound links in scope; government
/// domains not dark links, as in the crawl; no register, so no other
/// registered or trusted site); anything the scan would not read (plain
/// text) as one page of text.
fn analyse_file(
    rules: &RuleSet,
    origin: &Origin,
    path: &Path,
    bytes: &[u8],
) -> (Kind, Vec<Finding>) {
    let url = sample_url(path);
    let analysis =
        analyse::analyse_local_file(rules, origin, &url, path, bytes, content_type_of(path));
    let mut findings = analysis.findings;
    findings.extend(analyse::dark_links(
        origin,
        &url,
        &analysis.read.page,
        sample_is_ours,
    ));
    (analysis.kind.unwrap_or(Kind::Other), findings)
}

/// The host every sample is served from: a site of its own, as a scan
/// would read it (a decision that compares with the page's site, such as a
/// phone-only redirect to another site, is judged; a `file://` URL has no
/// site to compare with). `.invalid` is never a real host.
const SAMPLE_HOST: &str = "sample.invalid";

fn sample_url(path: &Path) -> url::Url {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "page.html".to_string());
    let base = url::Url::parse(&format!("http://{SAMPLE_HOST}/")).expect("valid URL");
    base.join(&name.replace(['#', '?', '\\'], "_"))
        .unwrap_or(base)
}

/// A link of a sample that is never a dark link: to the sample's own site
/// (a relative link resolves there) or to a government domain.
fn sample_is_ours(url: &url::Url) -> bool {
    url.host_str().is_none_or(|h| {
        let h = h.to_ascii_lowercase();
        h == SAMPLE_HOST || analyse::trusted_or_gov(&h, &[])
    })
}

/// Findings that count (see [`counts`]) as distinct rules with their
/// highest severity, in the order they first appear.
fn content_rules(findings: &[Finding]) -> Vec<(String, Severity)> {
    let mut out: Vec<(String, Severity)> = Vec::new();
    for f in findings.iter().filter(|f| counts(&f.rule)) {
        match out.iter_mut().find(|(id, _)| *id == f.rule) {
            Some((_, s)) => *s = (*s).max(f.severity),
            None => out.push((f.rule.clone(), f.severity)),
        }
    }
    out
}

/// Ids of findings about how a site was read, not about what it says:
/// they never count as a hit.
const OPERATIONAL_PREFIXES: [&str; 4] = ["site.", "link.", "crawl.", "page."];

/// A finding that counts as a hit: a rule of the packs, or a structural
/// finding about the page's content (`darklink.hidden-links`, and any
/// other the stage adds), but not the operational `site.`/`link.`/
/// `crawl.`/`page.` ones (an unreachable site, a broken link, an
/// undecodable page).
pub fn counts(rule: &str) -> bool {
    !OPERATIONAL_PREFIXES.iter().any(|p| rule.starts_with(p))
}

/// A finding of a rule pack, not a site-level or structural one.
pub fn is_content(rule: &str) -> bool {
    !RESERVED_PREFIXES.iter().any(|p| rule.starts_with(p))
}

fn figures(outcomes: &[Outcome], split: Split) -> Figures {
    let mut f = Figures {
        split,
        spam: 0,
        caught: 0,
        legit: 0,
        flagged: 0,
        critical_on_legit: 0,
        categories: Vec::new(),
        false_positives: Vec::new(),
        missed: Vec::new(),
    };
    let mut categories: BTreeMap<(u8, &str), (usize, usize)> = BTreeMap::new();
    let mut fp: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| split.covers(o.sample.split)) {
        let s = &o.sample;
        let order = match s.class {
            Class::Spam => 0,
            Class::Legit => 1,
        };
        let c = categories.entry((order, &s.category)).or_default();
        c.0 += 1;
        c.1 += usize::from(o.hit());
        match s.class {
            Class::Spam => {
                f.spam += 1;
                if o.hit() {
                    f.caught += 1;
                } else {
                    f.missed.push((s.category.clone(), s.file.clone()));
                }
            }
            Class::Legit => {
                f.legit += 1;
                f.flagged += usize::from(o.hit());
                f.critical_on_legit += usize::from(o.critical());
                for (rule, _) in &o.rules {
                    fp.entry(rule).or_default().push(s.file.clone());
                }
            }
        }
    }
    f.categories = categories
        .into_iter()
        .map(|((order, category), (total, hit))| CategoryFigure {
            class: if order == 0 {
                Class::Spam
            } else {
                Class::Legit
            },
            category: category.to_string(),
            total,
            hit,
        })
        .collect();
    let mut fp: Vec<(String, Vec<String>)> = fp
        .into_iter()
        .map(|(r, files)| (r.to_string(), files))
        .collect();
    fp.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    f.false_positives = fp;
    f.missed.sort();
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Packs;

    /// A pack of its own, so that these figures do not move with the
    /// bundled packs.
    const PACK: &str = "[[rule]]\nid = \"g-hidden\"\ncategory = \"gambling\"\nseverity = \"critical\"\nkeywords = [\"百家乐\"]\nhidden_only = true\n\n[[rule]]\nid = \"g-promo\"\ncategory = \"gambling\"\nseverity = \"high\"\nkeywords = [\"澳门葡京\", \"真人荷官\"]\n";

    const HEADER: &str = "file\tclass\tcategory\tsplit\tsource\tnotes\n";

    fn err(text: &str) -> String {
        parse_labels(Path::new("set/PROVENANCE.tsv"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn labels_are_read_with_their_lines() {
        let text = format!(
            "{HEADER}spam/1.html\tspam\tgambling\ttune\thttp://x\tnotes\n\nlegit/2.js\tlegit\tcourt\theldout\r\n"
        );
        let samples = parse_labels(Path::new("p"), &text).unwrap();
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0].class, Class::Spam);
        assert_eq!(samples[0].line, 2);
        assert_eq!(samples[1].file, "legit/2.js");
        assert_eq!(samples[1].split, Split::Heldout);
        assert_eq!(samples[1].line, 4);
    }

    #[test]
    fn bad_labels_are_refused_with_file_and_line() {
        assert_eq!(
            err(""),
            "set/PROVENANCE.tsv:1: empty: expected a header row"
        );
        assert!(err("file,class,category,split\n")
            .starts_with("set/PROVENANCE.tsv:1: the header row must start with"));
        assert_eq!(
            err(&format!("{HEADER}a.html\tspam\tx\n")),
            "set/PROVENANCE.tsv:2: 3 tab-separated columns, expected at least 4 (file, class, category, split)"
        );
        assert_eq!(
            err(&format!("{HEADER}a.html\tham\tx\ttune\n")),
            "set/PROVENANCE.tsv:2: class `ham`: use spam or legit"
        );
        assert_eq!(
            err(&format!("{HEADER}a.html\tspam\tx\tall\n")),
            "set/PROVENANCE.tsv:2: split `all`: use tune or heldout"
        );
        assert_eq!(
            err(&format!("{HEADER}a.html\tspam\t\ttune\n")),
            "set/PROVENANCE.tsv:2: empty category"
        );
        assert_eq!(
            err(&format!("{HEADER}../a.html\tspam\tx\ttune\n")),
            "set/PROVENANCE.tsv:2: file `../a.html`: give a path inside the set's directory"
        );
        assert_eq!(
            err(&format!(
                "{HEADER}a.html\tspam\tx\ttune\n\na.html\tlegit\ty\theldout\n"
            )),
            "set/PROVENANCE.tsv:4: file `a.html` is listed twice"
        );
    }

    #[test]
    fn a_missing_sample_file_is_refused_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(LABELS),
            format!("{HEADER}spam/gone.html\tspam\tx\ttune\n"),
        )
        .unwrap();
        let e = LabelledSet::load(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("PROVENANCE.tsv:2: spam/gone.html: no such file"),
            "{e}"
        );
    }

    #[test]
    fn samples_are_measured_through_the_analyse_stage() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("spam")).unwrap();
        std::fs::create_dir_all(d.join("legit")).unwrap();
        // Hidden in HTML: a dark link; the extraction must see `display:none`.
        std::fs::write(
            d.join("spam/1.html"),
            "<html><body><p>区政府</p><div style=\"display:none\"><a href=\"http://x.example/\">百家乐</a></div></body></html>",
        )
        .unwrap();
        // Written by a script of the site.
        std::fs::write(
            d.join("spam/2.js"),
            "document.write('<a href=\"http://y.example/\">澳门葡京 真人荷官</a>');",
        )
        .unwrap();
        // Plain text, read as one page of text.
        std::fs::write(d.join("spam/3.txt"), "澳门葡京 真人荷官 首存优惠").unwrap();
        std::fs::write(
            d.join("spam/4.html"),
            "<html><body><p>你好</p></body></html>",
        )
        .unwrap();
        // Visible 百家乐 in anti-gambling news: not a dark link.
        std::fs::write(
            d.join("legit/1.html"),
            "<html><body><p>警方提醒：百家乐是赌博，远离网络赌博。</p></body></html>",
        )
        .unwrap();
        std::fs::write(
            d.join("legit/2.html"),
            "<html><body><div style=\"display:none\">百家乐</div></body></html>",
        )
        .unwrap();
        // No spam word, but a hidden block of links to three other sites:
        // the structural dark-link decision counts.
        std::fs::write(
            d.join("spam/5.html"),
            "<html><body><p>区政府</p><div style=\"display:none\"><a href=\"http://a.example/1\">一</a><a href=\"https://b.example/\">二</a><a href=\"http://c.example/\">三</a></div></body></html>",
        )
        .unwrap();
        // A portal's hidden tab panel: its own pages and other gov sites.
        std::fs::write(
            d.join("legit/3.html"),
            "<html><body><div style=\"display:none\"><a href=\"/news/1.html\">要闻</a><a href=\"news/2.html\">通知</a><a href=\"http://www.gov.cn/\">中国政府网</a><a href=\"https://www.hebei.gov.cn/x\">河北</a><a href=\"http://www.usa.gov/\">usa</a></div></body></html>",
        )
        .unwrap();
        std::fs::write(
            d.join(LABELS),
            format!(
                "{HEADER}spam/1.html\tspam\tgambling\ttune\ts\tn\nspam/2.js\tspam\tredirect-script\ttune\nspam/3.txt\tspam\tgambling\theldout\nspam/4.html\tspam\tporn\theldout\nlegit/1.html\tlegit\tcampaign-news\ttune\nlegit/2.html\tlegit\tgov-portal\theldout\nspam/5.html\tspam\tlink-farm\ttune\nlegit/3.html\tlegit\tgov-portal\ttune\n"
            ),
        )
        .unwrap();
        let set = LabelledSet::load(d).unwrap();
        let rules = RuleSet::compile(Packs::from_text(Path::new("t.toml"), PACK).unwrap()).unwrap();
        let ev = evaluate(&rules, &set).unwrap();

        assert_eq!(ev.outcomes[0].kind, Kind::Html);
        assert_eq!(ev.outcomes[1].kind, Kind::Script);
        assert_eq!(ev.outcomes[2].kind, Kind::Other);
        assert!(ev.outcomes[0].hit() && ev.outcomes[0].critical());
        assert!(ev.outcomes[1].hit());
        assert!(ev.outcomes[2].hit());
        assert!(!ev.outcomes[3].hit());
        assert!(!ev.outcomes[4].hit(), "{:?}", ev.outcomes[4].rules);

        assert_eq!(
            ev.outcomes[6].rules,
            vec![("darklink.hidden-links".to_string(), Severity::High)]
        );
        assert!(!ev.outcomes[7].hit(), "{:?}", ev.outcomes[7].rules);

        let all = &ev.all;
        assert_eq!((all.spam, all.caught), (5, 4));
        assert_eq!((all.legit, all.flagged, all.critical_on_legit), (3, 1, 1));
        assert_eq!(
            all.missed,
            vec![("porn".to_string(), "spam/4.html".to_string())]
        );
        assert_eq!(all.false_positives.len(), 1);
        assert_eq!(all.false_positives[0].1, vec!["legit/2.html".to_string()]);
        assert_eq!(
            all.categories[0],
            CategoryFigure {
                class: Class::Spam,
                category: "gambling".into(),
                total: 2,
                hit: 2
            }
        );
        assert_eq!(all.categories.last().unwrap().class, Class::Legit);
        assert!((all.recall() - 0.8).abs() < 1e-9);
        assert!((all.false_positive_rate() - 1.0 / 3.0).abs() < 1e-9);

        assert_eq!((ev.tune.spam, ev.tune.caught), (3, 3));
        assert_eq!((ev.tune.legit, ev.tune.flagged), (2, 0));
        assert_eq!((ev.heldout.spam, ev.heldout.caught), (2, 1));
        assert_eq!(ev.heldout.critical_on_legit, 1);
        assert_eq!(ev.figures(Split::Heldout), &ev.heldout);
    }

    #[test]
    fn reserved_ids_are_not_content() {
        assert!(!is_content("page.decode"));
        assert!(!is_content("site.unreachable"));
        assert!(!is_content("darklink.hidden-links"));
        assert!(is_content("gambling-hidden"));
    }

    #[test]
    fn structural_findings_count_and_operational_ones_do_not() {
        assert!(counts("gambling-hidden"));
        assert!(counts("darklink.hidden-links"));
        assert!(counts("script.conditional-redirect"));
        for id in [
            "page.decode",
            "site.unreachable",
            "link.broken",
            "crawl.truncated",
        ] {
            assert!(!counts(id), "{id}");
        }
    }
}
