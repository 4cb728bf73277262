//! What the tests share: running the built binary, the HTTP server the
//! demo uses (compiled here with its fault modes: trickle, stall, reset,
//! raw bytes, TLS), and scan databases written directly.
#![allow(dead_code)]

pub mod fabricate;
#[path = "../../../src/cli/server.rs"]
pub mod server;

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
