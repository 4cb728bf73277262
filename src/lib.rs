//! sitesweep: self-inspection scanner for a district's registered websites.
//!
//! The modules follow the data flow:
//! `rules` (packs → compiled rule set) → `page` (text blocks) → matching.
//! `commands` turns each command-line command into calls on these.

pub mod commands;
pub mod error;
pub mod page;
pub mod rules;

pub use error::{Error, InputError};
