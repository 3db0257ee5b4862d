#!/usr/bin/env bash
# shellcheck disable=SC2016  # tool commands are single-quoted: measure expands them per run
# S3: S3_COUNT files (default 2,000) of S3_FILE_SIZE (16 KiB) from nginx on 127.0.0.1, 16 at a
# time: spate -j 16 (and -j 16 -x 16: the same now that -x follows -j), curl --parallel
# --parallel-max 16 (a -K config of url/output pairs), aria2c -j16 -i, wget2 --max-threads=16 -i.
# Every file is checked against a SHA-256 manifest. See bench/README.md.
# Environment: S3_COUNT (2000), S3_FILE_SIZE (16K), RUNS (3), SPATE_BIN, BENCH_TMPFS, RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COUNT=${S3_COUNT:-2000}
FILE_SIZE=${S3_FILE_SIZE:-16K}

bench_init S3
make_small_files "$WORK/docroot/small" "$COUNT" "$FILE_SIZE"
nginx_start "$WORK/docroot"
make_url_lists "$NGINX_BASE_URL/small" "$COUNT"
results_header "S3: $COUNT files of $(human_bytes "$(to_bytes "$FILE_SIZE")"), loopback"

add_spate_list spate-j16 16 '-j 16'
add_spate_list spate-j16-x16 16 '-j 16 -x 16'
add_tool curl-parallel16 16 'curl -s --parallel --parallel-max 16 --output-dir "$OUT_DIR" -K "$CURL_CONFIG"'
add_tool aria2c-j16 16 'aria2c -q -j16 -i "$LIST" -d "$OUT_DIR"'
add_tool wget2-t16 16 'wget2 -q --max-threads=16 -i "$LIST" -P "$OUT_DIR"'
run_round_robin S3 "$NGINX_BASE_URL/small/f00000"
report S3 "S3: $COUNT × $(human_bytes "$(to_bytes "$FILE_SIZE")") files, no rate limit"
note "spate's -x (connections per host) follows -j unless given, so \`spate-j16\` and" \
  "\`spate-j16-x16\` both have 16 connections, as the peers do."
