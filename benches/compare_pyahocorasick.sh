#!/usr/bin/env bash
# Times sitesweep's matcher (all folding on) and pyahocorasick (no folding)
# on the same deterministic ~10 MB Chinese corpus and 10,000 terms, one core
# each, and prints MB/s and the ratio. Usage: benches/compare_pyahocorasick.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -c 'import ahocorasick' 2>/dev/null || pip install --quiet pyahocorasick
cargo build --release --quiet --example matchbench

taskset -c 0 ./target/release/examples/matchbench "$work" >"$work/ours.txt"
cat "$work/ours.txt"
ours=$(sed -n 's/^sitesweep fold+match: \([0-9.]*\) MB\/s.*/\1/p' "$work/ours.txt")

taskset -c 0 python3 - "$work" >"$work/theirs.txt" <<'PY'
import sys, time, ahocorasick
d = sys.argv[1]
terms = [t for t in open(f"{d}/terms.txt", encoding="utf-8").read().split("\n") if t]
lines = open(f"{d}/corpus.txt", encoding="utf-8").read().split("\n")
size = sum(len(l.encode("utf-8")) for l in lines)
t = time.perf_counter()
A = ahocorasick.Automaton()
for i, term in enumerate(terms):
    A.add_word(term, i)
A.make_automaton()
build = time.perf_counter() - t
best, hits = float("inf"), 0
for _ in range(5):
    t = time.perf_counter()
    hits = 0
    for line in lines:
        for _ in A.iter(line):
            hits += 1
    best = min(best, time.perf_counter() - t)
print(f"pyahocorasick: {size / best / 1e6:.1f} MB/s ({hits} hits, no folding, build {build * 1e3:.1f} ms, best of 5, one core)")
PY
cat "$work/theirs.txt"
theirs=$(sed -n 's/^pyahocorasick: \([0-9.]*\) MB\/s.*/\1/p' "$work/theirs.txt")
python3 -c "print(f'ratio sitesweep / pyahocorasick: {float(\"$ours\") / float(\"$theirs\"):.2f}x')"
