#!/usr/bin/env bash
# shellcheck disable=SC2016  # tool commands are single-quoted: measure expands them per run
# Single-connection throughput: spate -s 1 against curl and a raw socket read, one file from a
# local nginx (target: spate >= 90 % of curl). See bench/README.md.
# Environment: SIZE (default 1G), RUNS (default 3, at least 3), SPATE_BIN, BENCH_TMPFS, RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE=${SIZE:-1G}

bench_init single_connection
make_file "$WORK/docroot/f" "$SIZE"
nginx_start "$WORK/docroot"

add_tool curl 1 'curl -s -o "$OUT" "$URL"'
add_tool spate 1 '"$SPATE_BIN" -q -s 1 -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
# The floor: bash opens the socket, dd copies it to the file. HTTP/1.0 so nginx closes at the
# end; the output keeps the response headers, which verify_output checks and skips.
add_tool raw-socket 1 --raw 'exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT" &&
  printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$URL_PATH" >&3 &&
  dd bs=1M of="$OUT" status=none <&3'

results_header "Single-connection throughput ($(human_bytes "$SOURCE_SIZE"))"
run_round_robin single "$NGINX_BASE_URL/f"
report single "One connection, $(human_bytes "$SOURCE_SIZE"), no rate limit" \
  --baseline curl --check spate:90
log "results saved to $RESULTS_FILE"
