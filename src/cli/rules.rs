//! `sitesweep rules test|lint|explain|init`.

use super::{exit, load_rules, runtime, terminal_safe};
use sitesweep::analyse::{self, Body, Kind};
use sitesweep::crawl::fetch::Fetcher;
use sitesweep::decode;
use sitesweep::error::{Error, InputError};
use sitesweep::page::Page;
use sitesweep::register::Settings;
use sitesweep::rules::{builtin, tooling};
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
    let page = match input {
        ExplainInput::Text(t) => Page::from_text(t),
        ExplainInput::File(path) => file_page(&path)?,
        ExplainInput::Url(text) => fetch_page(&text)?,
    };
    let result = tooling::explain(&set, &page);
    let mut out = std::io::stdout().lock();
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
/// as plain text.
fn file_page(path: &Path) -> Result<Page, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| InputError::plain(format!("{}: cannot read: {e}", path.display())))?;
    let abs = std::fs::canonicalize(path).unwrap_or(path.to_path_buf());
    let url = Url::from_file_path(&abs)
        .unwrap_or_else(|_| Url::parse("file:///page.html").expect("valid URL"));
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let content_type = match ext.as_deref() {
        Some("html" | "htm") => Some("text/html"),
        Some("js") => Some("application/javascript"),
        _ => None,
    };
    let body = Body {
        url: &url,
        bytes: &bytes,
        content_type,
        truncated: false,
    };
    Ok(match Kind::of(&body) {
        Kind::Other | Kind::Sitemap => {
            Page::from_text(decode::decode(&bytes, None, None, false).text)
        }
        kind => analyse::read(&body, kind).page,
    })
}

/// A page fetched now and read as a scan reads it.
fn fetch_page(text: &str) -> Result<Page, Error> {
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
    };
    let kind = Kind::of(&body);
    eprintln!(
        "fetched {} (HTTP {}, {} bytes, read as {})",
        terminal_safe(fetched.final_url.as_str()),
        fetched.status,
        fetched.body.len(),
        kind.name()
    );
    Ok(analyse::read(&body, kind).page)
}

/// "line 3, column 7 (text)" for a byte offset in a block.
fn place(page: &Page, block: usize, offset: usize) -> String {
    let b = &page.blocks[block];
    let before = &b.text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let hidden = if b.hidden { ", hidden" } else { "" };
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
