//! The rule engine: rule packs in, hits out.
//!
//! - [`pack`]: reading and checking `*.toml` packs;
//! - [`fold`]: the evasion-resistant folding with its offset map;
//! - [`matcher`]: the compiled [`RuleSet`] and page matching;
//! - [`validate`]: personal-data validators for regex hits;
//! - [`contact`]: mobile numbers, messaging handles and domains written
//!   into text, for `needs_contact` rules;
//! - [`tooling`]: `rules test`, `rules lint`, `rules explain`;
//! - [`mine`]: brand terms mined from collected spam texts (`rules mine`).
//!
//! (`rules eval` lives in `crate::evaluate`: it runs whole pages through
//! the analyse stage, which stands above the rules.)

pub mod builtin;
pub mod contact;
pub mod fold;
pub mod matcher;
pub mod mine;
pub mod pack;
pub mod tooling;
mod trad;
pub mod validate;

pub use matcher::{Hit, HitTerm, MatchOptions, PageMatch, Reason, Rejected, RuleSet};
pub use pack::{Packs, RuleSpec};

use crate::error::InputError;
use std::path::{Path, PathBuf};

/// Where rules come from: a directory the user named, `rules/` beside the
/// register, or else the packs built into the binary.
pub fn resolve_dir(explicit: Option<&Path>, register: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.to_path_buf());
    }
    let beside = match register.and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.join("rules"),
        _ => PathBuf::from("rules"),
    };
    beside.is_dir().then_some(beside)
}

/// Load and compile the packs of `dir`, or the built-in ones.
pub fn load(dir: Option<&Path>) -> Result<RuleSet, InputError> {
    let packs = match dir {
        Some(d) => Packs::load_dir(d)?,
        None => Packs::builtin(),
    };
    RuleSet::compile(packs)
}
