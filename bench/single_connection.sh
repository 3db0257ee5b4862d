#!/usr/bin/env bash
# shellcheck disable=SC2016  # tool commands are single-quoted: measure expands them per run
# Single-connection throughput: spate -s 1 against curl and a raw socket read, one file from a
# local nginx (target: spate >= 90 % of curl). S1 (s1_uncapped.sh) measures the same rows among
# the segmented ones; this is the quick check. See bench/README.md.
# Environment: SIZE (default 1G), RUNS (default 3, at least 3), SPATE_BIN, BENCH_TMPFS, RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE=${SIZE:-1G}

bench_init single_connection
make_file "$WORK/docroot/f" "$SIZE"
nginx_start "$WORK/docroot"
results_header "Single-connection throughput ($(human_bytes "$SOURCE_SIZE"))"

add_tool curl 1 'curl -s -o "$OUT" "$URL"'
add_spate spate 1 '-s 1'
add_tool raw-socket 1 --raw "$RAW_READ"
run_round_robin single "$NGINX_BASE_URL/f"
report single "One connection, $(human_bytes "$SOURCE_SIZE"), no rate limit" \
  --baseline curl --baseline raw-socket --check spate:curl:90
