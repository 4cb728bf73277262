//! The commands behind the command line: each takes parsed options, does
//! its work through the engine modules, prints for a person, and returns
//! the exit code. `main.rs` only parses flags and calls these.

use crate::error::{Error, InputError};
use crate::page::Page;
use crate::rules::{self, builtin, tooling, RuleSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit codes (SPEC "Commands").
pub mod exit {
    pub const OK: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const FAILED: u8 = 3;
}

/// Load the rule set a command works with and say which packs it is.
fn load_rules(dir: Option<&Path>) -> Result<RuleSet, Error> {
    let dir = rules::resolve_dir(dir, None);
    let set = rules::load(dir.as_deref())?;
    eprintln!("{}", describe_rules(&set, dir.as_deref()));
    Ok(set)
}

/// "loaded 6 rule packs, 17 rules from rules/: gambling.toml (2), …"
pub fn describe_rules(set: &RuleSet, dir: Option<&Path>) -> String {
    let from = match dir {
        Some(d) => d.display().to_string(),
        None => "the built-in packs".to_string(),
    };
    let packs: Vec<String> = set
        .packs
        .iter()
        .map(|p| {
            let name = p.path.file_name().map_or_else(
                || p.path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            format!("{name} ({})", p.rules)
        })
        .collect();
    format!(
        "loaded {} rule packs, {} rules from {from}: {}",
        set.packs.len(),
        set.rules.len(),
        packs.join(", ")
    )
}

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
    File(PathBuf),
}

/// `sitesweep rules explain`: every hit, and every match that was dropped
/// and why.
pub fn rules_explain(input: ExplainInput, dir: Option<&Path>) -> Result<u8, Error> {
    let set = load_rules(dir)?;
    let page = match input {
        ExplainInput::Text(t) => Page::from_text(t),
        ExplainInput::File(path) => {
            let bytes = std::fs::read(&path)
                .map_err(|e| InputError::plain(format!("{}: cannot read: {e}", path.display())))?;
            Page::from_text(String::from_utf8_lossy(&bytes).into_owned())
        }
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
            set.term(hit),
            hit.matched(&page),
            place(&page, hit.block, hit.start),
        );
        let _ = writeln!(out, "     {}", hit.snippet(&page));
    }
    for r in &result.rejected {
        let rule = &set.rules[r.hit.rule];
        let _ = writeln!(
            out,
            "DROP {} term `{}` matched `{}` at {}: {}",
            rule.id,
            set.term(&r.hit),
            r.hit.matched(&page),
            place(&page, r.hit.block, r.hit.start),
            r.reason,
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
