//! What the tests share: running the built binary, the HTTP server the
//! demo uses (compiled here with its fault modes: trickle, stall, reset,
//! raw bytes, TLS), and scan databases written directly.
#![allow(dead_code)]

pub mod cdp;
pub mod fabricate;
#[path = "../../../src/cli/server.rs"]
pub mod server;
pub mod web;

use std::path::Path;
use std::process::{Command, Output};

/// Run the built binary in `cwd`.
pub fn sitesweep(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sitesweep"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `sites.toml` in `dir` with one site, `gov`, at `url`, of `operator`
/// (allowed on loopback, crawled deep).
pub fn register_one_site(dir: &Path, url: &str, operator: &str) {
    std::fs::write(
        dir.join("sites.toml"),
        format!(
            "[[site]]\nid = \"gov\"\nname = \"区政府\"\nurl = \"{url}\"\noperator = {operator:?}\ncontact = \"李主任\"\nallow_private = true\nmax_depth = 100\nprobes = []\ncheck_outbound = false\n"
        ),
    )
    .unwrap();
}
