//! `sitesweep rules test|lint|explain|init|eval|mine`.

use super::{exit, load_rules, runtime, terminal_safe};
use sitesweep::analyse::{self, Body, Kind};
use sitesweep::crawl::fetch::Fetcher;
use sitesweep::error::{Error, InputError};
use sitesweep::evaluate::{self, Class, LabelledSet, Split};
use sitesweep::findings::{Finding, Origin};
use sitesweep::page::{Field, Page};
use sitesweep::register::Settings;
use sitesweep::rules::mine::{self, SpamKind};
use sitesweep::rules::{builtin, tooling};
use sitesweep::store::Store;
use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use url::Url;

/// `sitesweep rules test`: every rule's own tests.
pub fn rules_test(dir: Option<&Path>) -> Result<u8, Error> {
    let set = load_rules(dir)?;
    let report = tooling::run_tests(&set);
    let mut out = std::io::stdout().lock();
    for f in &report.failures {
        let rule = &set.rules[f.rule];
        let what = if f.expected_hit {
            "a `hit` string did not hit"
        } else {
            "a `miss` string hit"
        };
        let _ = writeln!(
            out,
            "FAIL {} rule `{}`: {what}: {:?}",
            rule.loc, rule.id, f.text
        );
        for d in &f.detail {
            let _ = writeln!(out, "     {d}");
        }
    }
    let _ = writeln!(
        out,
        "rule tests: {} passed, {} failed",
        report.passed,
        report.failures.len()
    );
    Ok(if report.failures.is_empty() {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

/// `sitesweep rules lint`: validate (exit 2 on a bad pack), then warn.
pub fn rules_lint(dir: Option<&Path>) -> Result<u8, Error> {
    let set = load_rules(dir)?;
    let warnings = tooling::lint(&set);
    let mut out = std::io::stdout().lock();
    for w in &warnings {
        let _ = writeln!(out, "{}: warning: {}", w.loc, w.message);
    }
    let _ = writeln!(
        out,
        "{} rules checked, {} warning{}",
        set.rules.len(),
        warnings.len(),
        if warnings.len() == 1 { "" } else { "s" }
    );
    Ok(exit::OK)
}

/// What `rules explain` looks at.
pub enum ExplainInput {
    Text(String),
    /// A text file, or an HTML page (by extension or content).
    File(PathBuf),
    /// A page fetched now (loopback and private addresses allowed: you
    /// asked for this one URL).
    Url(String),
}

/// `sitesweep rules explain`: every hit, and every match that was dropped
/// and why.
pub fn rules_explain(input: ExplainInput, dir: Option<&Path>) -> Result<u8, Error> {
    let set = load_rules(dir)?;
    let (page, structure) = match input {
        ExplainInput::Text(t) => (Page::from_text(t), Vec::new()),
        ExplainInput::File(path) => file_page(&path)?,
        ExplainInput::Url(text) => fetch_page(&text)?,
    };
    let result = tooling::explain(&set, &page);
    let mut out = std::io::stdout().lock();
    // Findings from what the page's scripts do (no rule pack needed).
    for f in &structure {
        let _ = writeln!(
            out,
            "FIND {} [{}, {}] term `{}`",
            f.rule,
            f.category,
            f.severity,
            terminal_safe(&f.term)
        );
        let _ = writeln!(out, "     {}", terminal_safe(&f.snippet));
    }
    for hit in &result.hits {
        let rule = &set.rules[hit.rule];
        let _ = writeln!(
            out,
            "HIT  {} [{}, {}] term `{}` matched `{}` at {}",
            rule.id,
            rule.category,
            rule.severity,
            terminal_safe(set.term(hit)),
            terminal_safe(hit.matched(&page)),
            place(&page, hit.block, hit.start),
        );
        let _ = writeln!(out, "     {}", terminal_safe(&hit.snippet(&page)));
    }
    for r in &result.rejected {
        let rule = &set.rules[r.hit.rule];
        let _ = writeln!(
            out,
            "DROP {} term `{}` matched `{}` at {}: {}",
            rule.id,
            terminal_safe(set.term(&r.hit)),
            terminal_safe(r.hit.matched(&page)),
            place(&page, r.hit.block, r.hit.start),
            terminal_safe(&r.reason.to_string()),
        );
    }
    let _ = writeln!(
        out,
        "{} hit{}, {} dropped",
        result.hits.len(),
        if result.hits.len() == 1 { "" } else { "s" },
        result.rejected.len()
    );
    Ok(exit::OK)
}

/// A file read as a scan reads a body of its kind (a `.js` file as a
/// script of the site, `.html` or HTML content as a page); any other file
/// as plain text. With the findings from its structure.
fn file_page(path: &Path) -> Result<(Page, Vec<Finding>), Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| InputError::plain(format!("{}: cannot read: {e}", path.display())))?;
    let (kind, url, read) = analyse::read_local(path, &bytes, None);
    if let Some(cause) = read.unreadable() {
        return Err(InputError::plain(format!(
            "{}: {} that cannot be read: {cause}",
            path.display(),
            kind.name()
        ))
        .into());
    }
    if let Some(cut) = read.document_cut() {
        eprintln!("{}: read in part: {cut}", path.display());
    }
    let found = analyse::structure_findings(&explain_origin(), &url, &read);
    Ok((read.page, found))
}

/// Who the findings of `rules explain` are about: nobody's site.
fn explain_origin() -> Origin {
    Origin {
        scan: "explain".to_string(),
        site: "explain".to_string(),
        operator: String::new(),
        insecure_tls: false,
    }
}

/// A page fetched now and read as a scan reads it.
fn fetch_page(text: &str) -> Result<(Page, Vec<Finding>), Error> {
    let url = Url::parse(text)
        .ok()
        .filter(|u| u.scheme() == "http" || u.scheme() == "https")
        .ok_or_else(|| InputError::plain(format!("--url {text}: not an http(s) URL")))?;
    let settings = Settings {
        allow_private: true,
        ..Settings::default()
    };
    let fetcher = Fetcher::new(&settings).map_err(Error::Failed)?;
    let runtime = runtime()?;
    let fetched = runtime
        .block_on(fetcher.fetch(&url, &|_: &Url| true))
        .map_err(|e| Error::Failed(format!("{url}: {e}")))?;
    let body = Body {
        url: &fetched.final_url,
        bytes: &fetched.body,
        content_type: fetched.content_type.as_deref(),
        truncated: fetched.truncated,
        max_document: 0,
    };
    let kind = Kind::of(&body);
    eprintln!(
        "fetched {} (HTTP {}, {} bytes, read as {})",
        terminal_safe(fetched.final_url.as_str()),
        fetched.status,
        fetched.body.len(),
        kind.name()
    );
    let read = analyse::read(&body, kind);
    let found = analyse::structure_findings(&explain_origin(), &fetched.final_url, &read);
    Ok((read.page, found))
}

/// "line 3, column 7 (text)" for a byte offset in a block.
fn place(page: &Page, block: usize, offset: usize) -> String {
    let b = &page.blocks[block];
    let before = &b.text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let hidden = match (&b.location, b.hidden) {
        (Some(at), _) => format!(", {at}"),
        (None, true) => ", hidden".to_string(),
        (None, false) => String::new(),
    };
    if page.blocks.len() == 1 {
        format!("line {line}, column {column} ({}{hidden})", b.field)
    } else {
        format!(
            "block {block} line {line}, column {column} ({}{hidden})",
            b.field
        )
    }
}

/// `sitesweep rules init DIR`: write the built-in packs out for editing.
pub fn rules_init(dir: &Path) -> Result<u8, Error> {
    let existing: Vec<String> = builtin::FILES
        .iter()
        .filter(|(name, _)| dir.join(name).exists())
        .map(|(name, _)| dir.join(name).display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(InputError::plain(format!(
            "{}: would overwrite {}; choose an empty directory",
            dir.display(),
            existing.join(", ")
        ))
        .into());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Failed(format!("{}: cannot create: {e}", dir.display())))?;
    for (name, text) in builtin::FILES {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| Error::Failed(format!("{}: cannot write: {e}", path.display())))?;
    }
    println!(
        "wrote {} files to {}; use them with --rules {} or put them in rules/ beside your register",
        builtin::FILES.len(),
        dir.display(),
        dir.display()
    );
    Ok(exit::OK)
}

/// `sitesweep rules eval SET_DIR`: the rules measured on a labelled set of
/// real pages. Exit 0 whatever the figures: it measures, it does not judge.
pub fn rules_eval(
    set_dir: &Path,
    dir: Option<&Path>,
    split: Split,
    verbose: bool,
) -> Result<u8, Error> {
    let set = LabelledSet::load(set_dir)?;
    let rules = load_rules(dir)?;
    let ev = evaluate::evaluate(&rules, &set)?;
    let mut out = std::io::stdout().lock();
    let spam = set
        .samples
        .iter()
        .filter(|s| s.class == Class::Spam)
        .count();
    let _ = writeln!(
        out,
        "{}: {} samples ({spam} spam, {} legitimate)\n",
        terminal_safe(&set_dir.display().to_string()),
        set.samples.len(),
        set.samples.len() - spam
    );
    // The figures of every split; the pages listed (below) only of the
    // split asked for, the tune split unless told: a held-out page's name
    // or rule is already a hint to whoever tunes the packs.
    let splits = [Split::Tune, Split::Heldout, Split::All];

    let mut rows = vec![cells(&[
        "split",
        "spam caught",
        "recall",
        "legit flagged",
        "FP rate",
        "critical on legit",
    ])];
    for &s in &splits {
        let f = ev.figures(s);
        rows.push(vec![
            s.name().to_string(),
            format!("{}/{}", f.caught, f.spam),
            percent(f.recall()),
            format!("{}/{}", f.flagged, f.legit),
            percent(f.false_positive_rate()),
            f.critical_on_legit.to_string(),
        ]);
    }
    write_table(&mut out, &rows);

    let _ = writeln!(
        out,
        "\nper category (spam: caught/total; legit: flagged/total)"
    );
    let mut header = cells(&["class", "category"]);
    header.extend(splits.iter().map(|s| s.name().to_string()));
    let mut rows = vec![header];
    // Every split lists the categories in the same order; a category may
    // have no sample in one split.
    for c in &ev.all.categories {
        let mut row = vec![
            c.class.name().to_string(),
            terminal_safe(&c.category).into_owned(),
        ];
        for &s in &splits {
            let found = ev
                .figures(s)
                .categories
                .iter()
                .find(|x| x.class == c.class && x.category == c.category);
            row.push(found.map_or_else(|| "-".to_string(), |x| format!("{}/{}", x.hit, x.total)));
        }
        rows.push(row);
    }
    write_table(&mut out, &rows);

    let detail = ev.figures(split);
    let _ = writeln!(
        out,
        "\nfalse positives per rule ({}): legitimate pages it fired on",
        split.name()
    );
    if detail.false_positives.is_empty() {
        let _ = writeln!(out, "  none");
    }
    let width = detail
        .false_positives
        .iter()
        .map(|(rule, _)| rule.chars().count())
        .max()
        .unwrap_or(0);
    for (rule, files) in &detail.false_positives {
        let _ = writeln!(out, "  {rule:<width$}  {}", files.len());
        if verbose || files.len() <= FEW {
            for f in files {
                let _ = writeln!(out, "      {}", terminal_safe(f));
            }
        }
    }
    if !verbose && detail.false_positives.iter().any(|(_, f)| f.len() > FEW) {
        let _ = writeln!(out, "  (--verbose lists every page)");
    }

    let _ = writeln!(
        out,
        "\nmissed spam ({}): {} of {}",
        split.name(),
        detail.missed.len(),
        detail.spam
    );
    for (category, file) in &detail.missed {
        let _ = writeln!(
            out,
            "  {:<16}  {}",
            terminal_safe(category),
            terminal_safe(file)
        );
    }
    if split == Split::Tune {
        let _ = writeln!(
            out,
            "\n(pages of the held-out split are listed only with `--split heldout` or `--split all`: tune on the tune split, and look at held-out pages only to measure)"
        );
    }
    if verbose {
        let _ = writeln!(
            out,
            "\ncaught spam and flagged legitimate pages ({}):",
            split.name()
        );
        for o in ev
            .outcomes
            .iter()
            .filter(|o| split.covers(o.sample.split) && o.hit())
        {
            let rules: Vec<String> = o
                .rules
                .iter()
                .map(|(id, sev)| format!("{id} ({sev})"))
                .collect();
            let _ = writeln!(
                out,
                "  {}  {}",
                terminal_safe(&o.sample.file),
                rules.join(", ")
            );
        }
    }
    Ok(exit::OK)
}

/// False-positive pages of a rule listed without `--verbose` up to this many.
const FEW: usize = 3;

fn cells(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn percent(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

/// Rows in columns, two spaces apart, the first row the header.
fn write_table(out: &mut impl Write, rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = Vec::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            let n = c.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(n),
                None => widths.push(n),
            }
        }
    }
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
}

/// `sitesweep rules mine`: brand terms mined from collected spam texts,
/// or from the findings of an office's own scans, written to stdout as a
/// keywords file (docs/brandfeed.md).
pub fn rules_mine(
    texts_path: Option<&Path>,
    db: Option<&Path>,
    kind: SpamKind,
    against: Option<&Path>,
) -> Result<u8, Error> {
    let mut texts = Vec::new();
    if let Some(path) = texts_path {
        let bytes = std::fs::read(path)
            .map_err(|e| InputError::plain(format!("{}: cannot read: {e}", path.display())))?;
        texts = mine::parse_texts(path, &mine::decode_texts(path, &bytes)?)?;
    }
    if let Some(db) = db {
        texts.extend(history_texts(db, kind)?);
    }
    let in_file: BTreeSet<&str> = texts.iter().map(|t| t.source.as_str()).collect();
    let in_file = in_file.len();
    // A labelled set's own sources are left out, so that its samples
    // measure the list rather than feed it; a term one of its legitimate
    // tune pages carries is dropped.
    let mut legit_pages = Vec::new();
    let mut left_out = 0;
    if let Some(dir) = against {
        let set = LabelledSet::load(dir)?;
        let sources: HashSet<&str> = set
            .samples
            .iter()
            .filter_map(|s| s.source.as_deref())
            .collect();
        let before = texts.len();
        texts.retain(|t| !sources.contains(t.source.as_str()));
        left_out = before - texts.len();
        for s in set
            .samples
            .iter()
            .filter(|s| s.class == Class::Legit && s.split == Split::Tune)
        {
            legit_pages.push((s.file.clone(), evaluate::sample_page(&set, s)?));
        }
    }
    texts.retain(|t| t.kind == kind);
    let sources: BTreeSet<&str> = texts.iter().map(|t| t.source.as_str()).collect();
    let counts = mine::Counts {
        kind,
        texts: texts.len(),
        sources: sources.len(),
        left_out,
    };
    let (kept, dropped) = mine::drop_found_on(mine::mine(&texts), &legit_pages);
    let _ = std::io::stdout()
        .lock()
        .write_all(mine::keywords_file(&counts, &kept, &dropped).as_bytes());
    let read_from: Vec<String> = texts_path
        .into_iter()
        .chain(db)
        .map(|p| terminal_safe(&p.display().to_string()).into_owned())
        .collect();
    eprintln!(
        "{}: {} {} texts of {} sources mined ({in_file} sources read, {left_out} texts left out); {} terms kept, {} dropped",
        read_from.join(" and "),
        counts.texts,
        kind.name(),
        counts.sources,
        kept.len(),
        dropped.len()
    );
    Ok(exit::OK)
}

/// The texts an office's own scans give, for `rules mine --db`: the
/// snippet of every finding of the kind in a title, a meta description or
/// a link's text, in every scan of the history, its page the source. A
/// brand on a hacked site stands on many of its pages: titles caught by
/// their shape (`XX体育官网登录入口`) name the brand that a page swapped in
/// without the shape (`XX体育-校运会`) carries alone.
fn history_texts(db: &Path, kind: SpamKind) -> Result<Vec<mine::SpamText>, Error> {
    // Read as reports read it: read-only, beside a scan that is writing.
    Store::read(db, |store| {
        let mut texts = Vec::new();
        for scan in store.scans()? {
            store.each_finding(&scan.id, |f| {
                if f.category == kind.name()
                    && matches!(f.field, Some(Field::Title | Field::Meta | Field::Anchor))
                {
                    texts.push(mine::SpamText {
                        source: f.url,
                        kind,
                        text: f.snippet,
                        line: 0,
                    });
                }
            })?;
        }
        Ok(texts)
    })
}
