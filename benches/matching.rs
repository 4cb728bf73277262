//! Folding + matching throughput on a deterministic ~10 MB Chinese corpus
//! with a 10,000-term rule set, and rule-set compile time.
//!
//! Run: `cargo bench --bench matching`. The comparison with pyahocorasick is
//! `benches/compare_pyahocorasick.sh` (see README "Performance").

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sitesweep::page::{Block, Field, Page};
use sitesweep::rules::fold::{fold_into, FoldOptions, Folded};
use sitesweep::rules::{Packs, RuleSet};
use std::hint::black_box;
use std::path::Path;

#[path = "support/corpus.rs"]
mod corpus;

fn pages(paragraphs: &[String]) -> Vec<Page> {
    // ~8 KB pages of paragraph blocks, as extraction produces them.
    let mut pages = Vec::new();
    let mut page = Page::default();
    let mut size = 0;
    for p in paragraphs {
        page.blocks.push(Block::new(Field::Text, p.clone()));
        size += p.len();
        if size > 8 * 1024 {
            pages.push(std::mem::take(&mut page));
            size = 0;
        }
    }
    pages.push(page);
    pages
}

fn bench(c: &mut Criterion) {
    let terms = corpus::terms(10_000);
    let paragraphs = corpus::corpus(10 << 20, &terms);
    let bytes: usize = paragraphs.iter().map(String::len).sum();
    let pages = pages(&paragraphs);
    let toml = corpus::pack_toml(&terms);

    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    g.bench_function("10k terms", |b| {
        b.iter(|| {
            let packs = Packs::from_text(Path::new("bench.toml"), &toml).unwrap();
            black_box(RuleSet::compile(packs).unwrap())
        })
    });
    g.finish();

    let set = RuleSet::compile(Packs::from_text(Path::new("bench.toml"), &toml).unwrap()).unwrap();
    let mut g = c.benchmark_group("match");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("fold only, 10 MB", |b| {
        let mut out = Folded::default();
        b.iter(|| {
            for p in &paragraphs {
                fold_into(p, FoldOptions::ALL, &mut out);
                black_box(out.text.len());
            }
        })
    });
    g.bench_function("fold + match 10k terms, 10 MB", |b| {
        b.iter(|| {
            let mut hits = 0;
            for page in &pages {
                hits += set.match_page(page).len();
            }
            black_box(hits)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
