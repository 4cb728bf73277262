#!/bin/sh
# Document reading figures for docs/documents.md: generate large files, then
# read each in its own process (peak memory is per process).
# Usage: sh benches/documents.sh [DIR]   (one release build of the example)
set -e
dir=${1:-/tmp/sitesweep-docs}
cargo build --release --example documents
bin=${CARGO_TARGET_DIR:-target}/release/examples/documents
"$bin" gen "$dir"
for f in list-200.xlsx list-50k.xlsx list-200.csv list-50k.csv report-3p.pdf report-300p.pdf notice-50.docx notice-5k.docx; do
  "$bin" read "$dir/$f"
done
