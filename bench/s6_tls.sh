#!/usr/bin/env bash
# shellcheck disable=SC2016  # tool commands are single-quoted: measure expands them per run
# S6: TLS + HTTP/2 (nginx `listen ... ssl http2`, a self-signed P-256 certificate made per run)
# on 127.0.0.1. S6a: one S6_SIZE file (256 MiB); S6b: S3_COUNT (2,000) files of 16 KiB.
# Peers run with their insecure flags (--insecure, --check-certificate=false,
# --no-check-certificate); spate with --insecure when it has one, else its rows are "n/a".
# The protocol column is what nginx logged ($server_protocol): aria2c and axel speak HTTP/1.1.
# Environment: S6_SIZE (256M), S3_COUNT, S3_FILE_SIZE, RUNS, SPATE_BIN, BENCH_TMPFS, RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE=${S6_SIZE:-256M}
COUNT=${S3_COUNT:-2000}
FILE_SIZE=${S3_FILE_SIZE:-16K}

bench_init S6
make_file "$WORK/docroot/f" "$SIZE"
make_small_files "$WORK/docroot/small" "$COUNT" "$FILE_SIZE"
nginx_start "$WORK/docroot" --tls
results_header "S6: TLS + HTTP/2, loopback"

spate_na=""
spate_has_flag --insecure || spate_na="no --insecure yet"

set_target file
if [[ -z $spate_na ]]; then
  add_spate spate-s16-x16 16 '--insecure -s 16 -x 16'
  add_spate spate-default 8 '--insecure'
else
  add_na spate-s16-x16 16 "$spate_na"
  add_na spate-default 8 "$spate_na"
fi
add_tool aria2c-x16 16 'aria2c -q --check-certificate=false -x16 -s16 -k1M -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
add_tool axel-n16 16 'axel -q --insecure -n 16 -o "$OUT" "$URL"'
add_tool wget2-t16 16 'wget2 -q --no-check-certificate --chunk-size=16M --max-threads=16 -O "$OUT" "$URL"'
add_tool curl 1 'curl -s --insecure -o "$OUT" "$URL"'
add_tool raw-tls 1 --raw "$RAW_TLS_READ"
run_round_robin S6a "$NGINX_BASE_URL/f"
report S6a "S6a: $(human_bytes "$SOURCE_SIZE") over TLS" --baseline raw-tls --baseline curl --protocol
note "\`raw-tls\` is \`openssl s_client\` piped to \`dd bs=1M\`: one TLS connection, HTTP/1.0, the" \
  "floor for one encrypted stream on this machine."

clear_tools
set_target tree "$WORK/docroot/small" "$COUNT"
make_url_lists "$NGINX_BASE_URL/small" "$COUNT"
if [[ -z $spate_na ]]; then
  add_spate_list spate-j16-x16 16 '--insecure -j 16 -x 16'
else
  add_na spate-j16-x16 16 "$spate_na"
fi
add_tool curl-parallel16 16 'curl -s --insecure --parallel --parallel-max 16 --output-dir "$OUT_DIR" -K "$CURL_CONFIG"'
add_tool aria2c-j16 16 'aria2c -q --check-certificate=false -j16 -i "$LIST" -d "$OUT_DIR"'
add_tool wget2-t16 16 'wget2 -q --no-check-certificate --max-threads=16 -i "$LIST" -P "$OUT_DIR"'
run_round_robin S6b "$NGINX_BASE_URL/small/f00000"
report S6b "S6b: $COUNT × $(human_bytes "$(to_bytes "$FILE_SIZE")") files over TLS" --protocol
