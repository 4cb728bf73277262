//! sitesweep: self-inspection scanner for a district's registered websites.
//!
//! The modules follow the data flow:
//! `register` (sites) → `crawl` (fetch, per site, polite, bounded) →
//! `decode` (charset) → `extract` (text blocks, links) → `rules` (matching)
//! → `findings` → output. `commands` turns each command-line command into
//! calls on these; `urls` holds URL identity shared by crawl and findings.

pub mod analyse;
pub mod crawl;
pub mod decode;
pub mod diff;
pub mod error;
pub mod extract;
pub mod findings;
pub mod ids;
pub mod ignore;
pub mod page;
pub mod register;
pub mod report;
pub mod rules;
pub mod scan;
pub mod severity;
pub mod store;
pub mod time;
pub mod urls;

pub use error::{Error, InputError};
