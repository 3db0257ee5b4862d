#!/usr/bin/env bash
# shellcheck disable=SC2016  # tool commands are single-quoted: measure expands them per run
# Segmented downloads from a local nginx. See bench/README.md.
#   S1: SIZE (default 1G), no rate limit: spate -s 16 vs aria2c, axel, wget2 (16 connections
#       each), curl and a raw socket read (one connection) as references.
#   S2: S2_SIZE (default 256M) with nginx limit_rate CAP per request (default 8M = 8 MiB/s):
#       spate -s 1, -s 8, -s 16, plus curl and aria2c -x16 as references; throughput is compared
#       with connections x CAP.
# Environment: SCENARIOS ("S1 S2"), SIZE, S2_SIZE, CAP, RUNS (>= 3), SPATE_BIN, BENCH_TMPFS,
# RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCENARIOS=${SCENARIOS:-S1 S2}
SIZE=${SIZE:-1G}
S2_SIZE=${S2_SIZE:-256M}
CAP=${CAP:-8M}

RAW_READ='exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT" &&
  printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$URL_PATH" >&3 &&
  dd bs=1M of="$OUT" status=none <&3'

bench_init segmented
results_header "Segmented downloads"

for scenario in $SCENARIOS; do
  clear_tools
  rm -f "$WORK/docroot/f"
  case "$scenario" in
    S1)
      make_file "$WORK/docroot/f" "$SIZE"
      nginx_start "$WORK/docroot"
      add_tool spate-s16 16 '"$SPATE_BIN" -q -s 16 -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
      add_tool aria2c-x16 16 'aria2c -q -x16 -s16 -k1M -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
      add_tool axel-n16 16 'axel -q -n 16 -o "$OUT" "$URL"'
      add_tool wget2-t16 16 'wget2 -q --chunk-size=16M --max-threads=16 -O "$OUT" "$URL"'
      add_tool curl 1 'curl -s -o "$OUT" "$URL"'
      add_tool raw-socket 1 --raw "$RAW_READ"
      run_round_robin S1 "$NGINX_BASE_URL/f"
      report S1 "S1: $(human_bytes "$SOURCE_SIZE"), no rate limit" --baseline curl
      ;;
    S2)
      cap_bytes=$(to_bytes "$CAP")
      make_file "$WORK/docroot/f" "$S2_SIZE"
      nginx_start "$WORK/docroot" --limit-rate "$cap_bytes"
      add_tool spate-s1 1 '"$SPATE_BIN" -q -s 1 -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
      add_tool spate-s8 8 '"$SPATE_BIN" -q -s 8 -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
      add_tool spate-s16 16 '"$SPATE_BIN" -q -s 16 -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
      add_tool curl 1 'curl -s -o "$OUT" "$URL"'
      add_tool aria2c-x16 16 'aria2c -q -x16 -s16 -k1M -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
      run_round_robin S2 "$NGINX_BASE_URL/f"
      report S2 "S2: $(human_bytes "$SOURCE_SIZE"), nginx limit_rate $(human_bytes "$cap_bytes")/s per request" \
        --cap "$cap_bytes"
      {
        echo "nginx's limit_rate is per request, and each request may send about one second's worth"
        echo "(CAP bytes) before it is throttled: downloads that make several requests per connection,"
        echo "or fetch little per connection, can beat conns × cap (see the requests column)."
        echo
      } | tee -a "$RESULTS_FILE"
      ;;
    *) die "unknown scenario '$scenario' (S1 or S2)" ;;
  esac
  nginx_stop
done
log "results saved to $RESULTS_FILE"
