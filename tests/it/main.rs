//! The integration tests, in one binary: each file is a module for one
//! area, `support` holds what they share. (One binary links the dependency
//! tree once instead of once per file.) `tests/report_memory.rs` stays a
//! binary of its own: it installs a counting allocator for the whole
//! process.

mod support;

mod browser;
mod documents;
mod evaluation;
mod faults;
mod history;
mod looks;
mod matching;
mod outbound;
mod reliability;
mod report_golden;
mod reports;
mod rules_cli;
mod scan;
mod scan_cli;
mod serve;
mod tls;
mod urls_props;
mod web;
