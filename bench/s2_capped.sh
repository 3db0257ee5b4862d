#!/usr/bin/env bash
# shellcheck disable=SC2016  # tool commands are single-quoted: measure expands them per run
# S2: one S2_SIZE file (default 256 MiB) from nginx on 127.0.0.1 with `limit_rate CAP` (default
# 8 MiB/s), which nginx applies per request: spate, aria2c and axel at 1, 8 and 16 connections,
# wget2 at 16, curl at 1. Throughput is compared with connections x CAP. See bench/README.md.
# Environment: S2_SIZE (256M), CAP (8M), RUNS (3), SPATE_BIN, BENCH_TMPFS, RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE=${S2_SIZE:-256M}
CAP=${CAP:-8M}
cap_bytes=$(to_bytes "$CAP")

bench_init S2
make_file "$WORK/docroot/f" "$SIZE"
nginx_start "$WORK/docroot" --limit-rate "$cap_bytes"
results_header "S2: $(human_bytes "$SOURCE_SIZE"), loopback, nginx limit_rate $(human_bytes "$cap_bytes")/s per request"

add_spate spate-s1 1 '-s 1'
add_spate spate-s8 8 '-s 8'
add_spate spate-s16 16 '-s 16'
add_spate spate-s16-x16 16 '-s 16 -x 16'
add_spate spate-default 8 ''
add_tool aria2c-x8 8 'aria2c -q -x8 -s8 -k1M -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
add_tool aria2c-x16 16 'aria2c -q -x16 -s16 -k1M -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
add_tool axel-n8 8 'axel -q -n 8 -o "$OUT" "$URL"'
add_tool axel-n16 16 'axel -q -n 16 -o "$OUT" "$URL"'
add_tool wget2-t16 16 'wget2 -q --chunk-size=16M --max-threads=16 -O "$OUT" "$URL"'
add_tool curl 1 'curl -s -o "$OUT" "$URL"'
run_round_robin S2 "$NGINX_BASE_URL/f"
report S2 "S2: $(human_bytes "$SOURCE_SIZE"), nginx limit_rate $(human_bytes "$cap_bytes")/s per request" \
  --cap "$cap_bytes"
note "nginx's limit_rate is per request, and each request may send about one second's worth" \
  "(CAP bytes) before it is throttled (limit = rate × (now − start + 1) − sent): downloads that" \
  "make many requests, or fetch little per request, can beat conns × cap (see the requests column)."
