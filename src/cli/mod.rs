//! The commands behind the command line: each takes parsed options, does
//! its work through the engine modules, prints for a person, and returns
//! the exit code. `main.rs` only parses flags and calls these.

pub mod demo;
pub mod progress;
pub mod report;
pub mod rules;
pub mod sample_sites;
pub mod scan;
pub mod serve;
pub mod server;
pub mod sites;
pub mod user;

pub use sitesweep::error::exit;
use sitesweep::error::Error;
use sitesweep::rules::RuleSet;
use std::path::Path;

/// Load the rule set a command works with and say which packs it is.
pub fn load_rules(dir: Option<&Path>) -> Result<RuleSet, Error> {
    load_rules_for(dir, None)
}

/// Rules for a register: `--rules`, else `rules/` beside the register, else built in.
pub fn load_rules_for(dir: Option<&Path>, register: Option<&Path>) -> Result<RuleSet, Error> {
    let dir = sitesweep::rules::resolve_dir(dir, register);
    let set = sitesweep::rules::load(dir.as_deref())?;
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

/// Page text for the terminal: escape sequences (ESC, CSI), other control
/// characters (but line feed and tab) and bidi controls are dropped, so a
/// page cannot retitle, clear or recolour the terminal, or reorder what is
/// shown.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(sitesweep::report::is_hidden_control) || text.contains('\r') {
        text.chars()
            .filter(|&c| !sitesweep::report::is_hidden_control(c) && c != '\r')
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))
}
