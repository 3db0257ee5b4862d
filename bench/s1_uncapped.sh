#!/usr/bin/env bash
# shellcheck disable=SC2016  # tool commands are single-quoted: measure expands them per run
# S1: one SIZE file (default 1 GiB) from nginx on 127.0.0.1, no rate limit. spate (-s 16 as the
# issue asks, -s 16 -x 16 (the same now that -x follows -s), its defaults, and -s 1) against
# aria2c, axel and wget2 at 16 connections, curl (one connection), and the raw socket read (the
# limit for one connection). See bench/README.md.
# Environment: S1_SIZE (1G), RUNS (3, at least 3), SPATE_BIN, BENCH_TMPFS, RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE=${S1_SIZE:-1G}

bench_init S1
make_file "$WORK/docroot/f" "$SIZE"
nginx_start "$WORK/docroot"
results_header "S1: $(human_bytes "$SOURCE_SIZE"), loopback, no rate limit"

add_spate spate-s16 16 '-s 16'
add_spate spate-s16-x16 16 '-s 16 -x 16'
add_spate spate-default 8 ''
add_spate spate-s1 1 '-s 1'
add_tool aria2c-x16 16 'aria2c -q -x16 -s16 -k1M -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
add_tool axel-n16 16 'axel -q -n 16 -o "$OUT" "$URL"'
add_tool wget2-t16 16 'wget2 -q --chunk-size=16M --max-threads=16 -O "$OUT" "$URL"'
add_tool curl 1 'curl -s -o "$OUT" "$URL"'
add_tool raw-socket 1 --raw "$RAW_READ"
run_round_robin S1 "$NGINX_BASE_URL/f"
report S1 "S1: $(human_bytes "$SOURCE_SIZE"), no rate limit" --baseline raw-socket --baseline curl \
  --check spate-s1:curl:90
note "The raw socket read (bash /dev/tcp + dd bs=1M into the same tmpfs) is the limit for one" \
  "connection. \`spate-default\` is \`spate\` with no -s/-x: up to 8 connections per file, the" \
  "others opened only when the first would need more than a second (\`--split-after\`)." \
  "The check compares spate -s 1 with curl (issue target: ≥ 90 %)."
