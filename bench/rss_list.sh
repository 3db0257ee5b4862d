#!/usr/bin/env bash
# shellcheck disable=SC2016  # tool commands are single-quoted: measure expands them per run
# Issue 4: spate's peak RSS for an input list of RSS_SMALL (100,000) and RSS_LARGE (1,000,000)
# distinct URLs, -j 16. nginx answers every /tiny/NAME with the one-byte body "x" (a `return 200`
# location), so the list needs no files on the server. One run of each size (they take a while),
# each bounded by RSS_RUN_TIMEOUT (1800 s). The output check: exactly N files, each "x".
# RSS_PEERS=1 adds aria2c -j16 -i on the smaller list, for comparison.
# Environment: RSS_SMALL, RSS_LARGE, RSS_RUN_TIMEOUT, RSS_PEERS, SPATE_BIN, BENCH_TMPFS, RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SMALL=${RSS_SMALL:-100000}
LARGE=${RSS_LARGE:-1000000}
RUN_TIMEOUT=${RSS_RUN_TIMEOUT:-1800}

bench_init RSS
nginx_start "$WORK/docroot" --tiny
results_header "Issue 4: peak RSS for long input lists"

# tiny_list N: $LIST with N distinct URLs /tiny/t0000000 ...
tiny_list() {
  LIST=$WORK/list-$1.txt
  awk -v p="$NGINX_BASE_URL/tiny" -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%s/t%07d\n", p, i }' >"$LIST"
  export LIST
}

for n in $SMALL $LARGE; do
  clear_tools
  tiny_list "$n"
  set_target tiny "$n"
  add_spate_list "spate-j16-$n" 16 '-j 16'
  [[ ${RSS_PEERS:-0} == 1 && $n == "$SMALL" ]] &&
    add_tool "aria2c-j16-$n" 16 'aria2c -q -j16 -i "$LIST" -d "$OUT_DIR"'
  URL=$NGINX_BASE_URL/tiny/t0000000 URL_PATH=/tiny/t0000000
  for ((t = 0; t < ${#TOOL_NAMES[@]}; t++)); do
    measure "RSS$n" "$t" 1
  done
  report "RSS$n" "$n URLs (list $(human_bytes "$(stat -c %s "$LIST")")), one-byte bodies, one run"
  rm -f "$LIST"
done
python3 - "$SAMPLES" <<'PY' | tee -a "$RESULTS_FILE"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")
        if r["tool"].startswith("spate") and r["ok"] == "1"]
if len(rows) == 2:
    (a, b) = rows
    na, nb = int(a["files"]), int(b["files"])
    ra, rb = int(a["rss_kib"]) / 1024, int(b["rss_kib"]) / 1024
    per = (rb - ra) * 1024 * 1024 / (nb - na)
    print(f"spate peak RSS: {ra:.1f} MiB for {na} URLs, {rb:.1f} MiB for {nb} URLs: "
          f"{rb / ra:.2f}× for {nb / na:.0f}× the URLs ({rb - ra:+.1f} MiB, {per:+.1f} bytes "
          f"per extra URL).\n")
else:
    print("spate peak RSS: not compared (a run failed).\n")
PY
