//! `sitesweep sites check`: the register validated and each start URL tried once.

use super::{exit, runtime};
use sitesweep::error::Error;
use sitesweep::register::{self, Register};
use std::path::Path;

/// `sitesweep sites check`: validate the register and probe each start URL.
pub fn sites_check(path: &Path) -> Result<u8, Error> {
    let register = Register::load(path)?;
    eprintln!(
        "register {}: {} sites ({}), valid; probing start URLs…",
        path.display(),
        register.sites.len(),
        register.encoding
    );
    let runtime = runtime()?;
    let rows: Vec<[String; 7]> = runtime.block_on(async {
        use futures_util::stream::{self, StreamExt};
        stream::iter(register.sites.iter())
            .map(probe)
            .buffered(8)
            .collect()
            .await
    });
    let headers = [
        "site",
        "status",
        "final URL",
        "charset",
        "robots.txt",
        "time",
        "note",
    ];
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(&headers.map(String::from)));
    for r in &rows {
        println!("{}", line(r));
    }
    Ok(exit::OK)
}

/// One row of the `sites check` table.
async fn probe(site: &register::Site) -> [String; 7] {
    match sitesweep::crawl::check::check_start(site).await {
        Ok(a) => [
            site.id.clone(),
            a.status.to_string(),
            a.final_url.to_string(),
            a.content,
            a.robots,
            format!("{} ms", a.elapsed.as_millis()),
            if a.redirected {
                "redirected".into()
            } else {
                String::new()
            },
        ],
        Err(e) => [
            site.id.clone(),
            e.kind.name().to_string(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            e.message,
        ],
    }
}
