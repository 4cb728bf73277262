//! Times sitesweep's matcher on the benchmark corpus and writes the corpus
//! and terms out for other tools (benches/compare_pyahocorasick.sh).
//!
//! `cargo run --release --example matchbench -- [OUT_DIR]`

use sitesweep::page::{Block, Field, Page};
use sitesweep::rules::{Packs, RuleSet};
use std::path::Path;
use std::time::Instant;

#[path = "../benches/support/corpus.rs"]
mod corpus;

fn main() {
    let out = std::env::args().nth(1);
    let terms = corpus::terms(10_000);
    let paragraphs = corpus::corpus(10 << 20, &terms);
    let bytes: usize = paragraphs.iter().map(String::len).sum();
    if let Some(dir) = &out {
        let dir = Path::new(dir);
        std::fs::create_dir_all(dir).expect("create output dir");
        std::fs::write(dir.join("terms.txt"), terms.join("\n") + "\n").expect("write terms");
        std::fs::write(dir.join("corpus.txt"), paragraphs.join("\n") + "\n").expect("write corpus");
    }
    let toml = corpus::pack_toml(&terms);

    let t = Instant::now();
    let packs = Packs::from_text(Path::new("bench.toml"), &toml).unwrap();
    let parsed = t.elapsed();
    let set = RuleSet::compile(packs).unwrap();
    let compiled = t.elapsed();
    println!(
        "compile 10k terms: {:.1} ms (parse {:.1} ms)",
        compiled.as_secs_f64() * 1e3,
        parsed.as_secs_f64() * 1e3
    );

    // The same blocks as the corpus file's lines, grouped into ~8 KB pages.
    let mut pages = vec![Page::default()];
    let mut size = 0;
    for p in &paragraphs {
        pages
            .last_mut()
            .unwrap()
            .blocks
            .push(Block::new(Field::Text, p.clone()));
        size += p.len();
        if size > 8 * 1024 {
            pages.push(Page::default());
            size = 0;
        }
    }
    let mut best = f64::MAX;
    let mut hits = 0;
    for _ in 0..5 {
        let t = Instant::now();
        hits = pages.iter().map(|p| set.match_page(p).len()).sum::<usize>();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "sitesweep fold+match: {:.1} MB/s ({} hits, {:.1} MB, best of 5, one core)",
        bytes as f64 / best / 1e6,
        hits,
        bytes as f64 / 1e6
    );
}
