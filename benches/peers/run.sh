#!/usr/bin/env bash
# Peer benchmark: sitesweep against wget -r + grep -F, Scrapy and wrk on one
# local farm of Chinese sites served by nginx on 127.0.0.1 (nothing else is
# contacted). Prints pages/s, peak memory and the ratios.
#
#   benches/peers/run.sh [SITES] [PAGES] [MEMORY_SITES]
#
# SITES x PAGES pages (default 20 x 1000) are crawled by every tool; sitesweep
# is also run on 10 and on MEMORY_SITES sites (default 100, i.e. 100k pages)
# to show its memory stays flat as pages grow. Per-host concurrency is 4 for
# sitesweep and Scrapy; wget fetches one page at a time per site, 4 sites at
# a time; wrk (the ceiling) keeps 16 connections on one site.
# Needs: nginx, wget, wrk (Debian packages), scrapy (PyPI); installs what is
# missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
SITES=${1:-20}
PAGES=${2:-1000}
MEMORY_SITES=${3:-100}
BASE_PORT=21000
work=${FARM_DIR:-/tmp/sitesweep-farm}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need nginx || ! need wrk || ! need wget; then
  apt-get update -q && apt-get install -y -q nginx-light wrk wget >/dev/null
fi
need scrapy || pip install -q scrapy

max=$(( MEMORY_SITES > SITES ? MEMORY_SITES : SITES ))
if [ ! -f "$work/.built-$max-$PAGES" ]; then
  rm -rf "$work"; mkdir -p "$work"
  echo "building the farm: $max sites x $PAGES pages in $work"
  python3 benches/peers/farm.py "$work" "$max" "$PAGES" "$BASE_PORT"
  touch "$work/.built-$max-$PAGES"
fi
nginx -c "$work/nginx.conf"
trap 'nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true' EXIT
sleep 0.5
cargo build --release --quiet

now() { date +%s.%N; }
rate() { python3 -c "print(f'{$1 / ($3 - $2):.0f}')"; }
sites_args() { for i in $(seq 0 $(($1 - 1))); do printf -- '--site s%d ' "$i"; done; }

run_sitesweep() { # $1 = number of sites; prints "pages seconds peak_mib"
  local t0 t1 out
  rm -f "$work"/bench.db*
  t0=$(now)
  # shellcheck disable=SC2046
  out=$(target/release/sitesweep scan "$work/sites.toml" -q --db "$work/bench.db" $(sites_args "$1"))
  t1=$(now)
  local line pages mem
  line=$(echo "$out" | grep 'peak memory')
  pages=$(echo "$line" | sed -E 's/.* ([0-9]+) pages.*/\1/')
  mem=$(echo "$line" | sed -E 's/.*peak memory ([0-9]+) MiB.*/\1/')
  echo "$pages $(python3 -c "print($t1 - $t0)") $mem"
}

echo "== sitesweep (decode, extract with hidden detection, fold, all bundled rules, history in SQLite)"
read -r ss_pages ss_secs ss_mem < <(run_sitesweep "$SITES")
ss_rate=$(python3 -c "print(f'{$ss_pages / $ss_secs:.0f}')")
echo "sitesweep: $ss_pages pages in ${ss_secs}s = $ss_rate pages/s, peak memory $ss_mem MiB"

echo "== wget -r (4 sites at a time) + grep -F"
rm -rf "$work/wget"; mkdir -p "$work/wget"
t0=$(now)
seq "$BASE_PORT" $((BASE_PORT + SITES - 1)) | xargs -P4 -I{} wget -r -l inf -q -nH -P "$work/wget/{}" "http://127.0.0.1:{}/" || true
hits=$(grep -rlFf "$work/keywords.txt" "$work/wget" | wc -l)
t1=$(now)
wg_pages=$(find "$work/wget" -type f | wc -l)
wg_rate=$(rate "$wg_pages" "$t0" "$t1")
echo "wget+grep: $wg_pages pages ($hits with hits) = $wg_rate pages/s"

echo "== Scrapy (CONCURRENT_REQUESTS_PER_DOMAIN=4, plain substring match)"
starts=$(seq "$BASE_PORT" $((BASE_PORT + SITES - 1)) | sed 's|.*|http://127.0.0.1:&/|' | paste -sd,)
t0=$(now)
sc_out=$(scrapy runspider benches/peers/spider.py -a starts="$starts" -a keywords="$work/keywords.txt" 2>/dev/null | grep '^scrapy:')
t1=$(now)
sc_pages=$(echo "$sc_out" | sed -E 's/scrapy: ([0-9]+) pages.*/\1/')
sc_rate=$(rate "$sc_pages" "$t0" "$t1")
echo "$sc_out = $sc_rate pages/s"

echo "== wrk (the ceiling: fetching only, 16 connections, one site)"
cat > "$work/rotate.lua" <<LUA
local i = 0
request = function()
  i = (i + 1) % $PAGES
  return wrk.format("GET", "/p" .. i .. ".html")
end
LUA
wk_rate=$(wrk -t2 -c16 -d10s -s "$work/rotate.lua" "http://127.0.0.1:$BASE_PORT/" | awk '/Requests\/sec/ {printf "%.0f", $2}')
echo "wrk: $wk_rate requests/s"

echo "== memory as pages grow"
read -r m1_pages m1_secs m1_mem < <(run_sitesweep $(( MEMORY_SITES < 10 ? MEMORY_SITES : 10 )))
read -r m2_pages m2_secs m2_mem < <(run_sitesweep "$MEMORY_SITES")
echo "sitesweep: $m1_pages pages -> peak $m1_mem MiB; $m2_pages pages -> peak $m2_mem MiB ($(python3 -c "print(f'{$m2_pages / $m2_secs:.0f}')") pages/s)"

echo
echo "| tool | pages | pages/s | sitesweep is |"
echo "|---|---|---|---|"
echo "| sitesweep scan | $ss_pages | $ss_rate | |"
echo "| wget -r + grep -F | $wg_pages | $wg_rate | $(python3 -c "print(f'{$ss_rate / $wg_rate:.2f}x')") |"
echo "| Scrapy | $sc_pages | $sc_rate | $(python3 -c "print(f'{$ss_rate / $sc_rate:.1f}x')") |"
echo "| wrk (fetch only) | - | $wk_rate | $(python3 -c "print(f'{$ss_rate / $wk_rate:.2f}x')") |"
echo "peak memory: $m1_mem MiB at $m1_pages pages, $m2_mem MiB at $m2_pages pages"
