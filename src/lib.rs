//! sitesweep: self-inspection scanner for a district's registered websites.
//!
//! The engine, in data-flow order (docs/architecture.md draws it):
//!
//! - [`register`]: the site register (TOML or CSV) → sites with settings.
//! - [`crawl`]: each site crawled politely within its limits → page
//!   records and fetched bodies ([`crawl::records`] is what later stages
//!   read); after it, images checked, second looks (probes), script hosts
//!   and links to other sites checked.
//! - [`analyse`]: the central stage — one body → [`decode`] (charset) →
//!   [`extract`] (text blocks, links, scripts, sitemaps) → [`rules`]
//!   (matching) → findings.
//! - [`findings`]: what is reported, and the site-level rules.
//! - [`scan`]: a whole scan — sites crawled at once, every finding stored
//!   in the [`store`] and streamed, in one writer; `--resume`.
//! - [`report`], [`diff`]: what a stored scan says, per operator, and what
//!   changed between two; [`ignore`] what an operator has answered for.
//! - [`evaluate`]: rules measured on a labelled set of real pages, through
//!   the same [`analyse`] stage.
//! - [`documents`]: linked PDF, Word and spreadsheet files → text blocks
//!   with a location, for [`analyse`].
//! - The office service: [`schedule`], [`availability`], [`notify`] and
//!   [`service`] (what `sitesweep serve` runs, on the [`store`]).
//!
//! Shared vocabulary, imported by any stage and importing none: [`page`]
//! (blocks and fields), [`severity`], [`time`], [`ids`] (fingerprints),
//! [`urls`] (canonical URLs and scope), [`error`] (the error model and the
//! exit codes).
//!
//! The library prints nothing and exits nothing: the command line
//! (`src/main.rs`, `src/cli/`) does.

pub mod accounts;
pub mod analyse;
pub mod availability;
pub mod crawl;
pub mod decode;
pub mod diff;
pub mod documents;
pub mod error;
pub mod evaluate;
pub mod extract;
pub mod findings;
pub mod ids;
pub mod ignore;
pub mod notify;
pub mod page;
pub mod register;
pub mod report;
pub mod rules;
pub mod scan;
pub mod schedule;
pub mod service;
pub mod severity;
pub mod store;
pub mod time;
pub mod urls;
pub mod web;
pub mod workflow;

pub use error::{Error, InputError};
