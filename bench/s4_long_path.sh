#!/usr/bin/env bash
# shellcheck disable=SC2016  # tool commands are single-quoted: measure expands them per run
# S4: S2 and S3 again over a long path: nginx in one network namespace, the tools in another,
# joined by a veth pair with DELAY_MS (25) each way and a LINK_RATE (200mbit) cap, TCP_CC
# (cubic) in both (netns.sh).
#   S4a: one S4_SIZE file (256 MiB), nginx limit_rate CAP (8 MiB/s) per request.
#   S4b: S3_COUNT (2,000) files of S3_FILE_SIZE (16 KiB).
# Environment: S4_SIZE, CAP, S3_COUNT, S3_FILE_SIZE, DELAY_MS, LINK_RATE, TCP_CC, RUNS, SPATE_BIN,
# BENCH_TMPFS, RESULTS_DIR. Needs root (namespaces, tc, iptables) and libnetfilter-queue-dev.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/netns.sh
source "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

SIZE=${S4_SIZE:-256M}
CAP=${CAP:-8M}
COUNT=${S3_COUNT:-2000}
FILE_SIZE=${S3_FILE_SIZE:-16K}
cap_bytes=$(to_bytes "$CAP")
link_bytes=$(link_rate_bytes "$LINK_RATE")

bench_init S4
netns_up
make_file "$WORK/docroot/f" "$SIZE"
make_small_files "$WORK/docroot/small" "$COUNT" "$FILE_SIZE"

# S4a: the capped single file.
set_target file
nginx_start "$WORK/docroot" --limit-rate "$cap_bytes"
rtt=$(netns_rtt "$NGINX_PORT")
results_header "S4: long path (${DELAY_MS} ms each way, $LINK_RATE)"
note "- path: nginx in namespace $SERVER_NS (10.201.0.1), tools in $CLIENT_NS (10.201.0.2), one veth" \
  "  pair; tbf $LINK_RATE ($(human_bytes "$link_bytes")/s) on each side's egress; ${DELAY_MS} ms each way" \
  "  added by bench/nfq_delay on NFQUEUE (no netem in this kernel). TCP congestion control $TCP_CC" \
  "  in both namespaces (host default: $(sysctl -n net.ipv4.tcp_congestion_control)). Measured TCP" \
  "  connect time (one RTT): $rtt ms."
add_spate spate-s1 1 '-s 1'
add_spate spate-s8 8 '-s 8'
add_spate spate-s16-x16 16 '-s 16 -x 16'
add_spate spate-default 8 ''
add_tool aria2c-x16 16 'aria2c -q -x16 -s16 -k1M -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
add_tool axel-n16 16 'axel -q -n 16 -o "$OUT" "$URL"'
add_tool wget2-t16 16 'wget2 -q --chunk-size=16M --max-threads=16 -O "$OUT" "$URL"'
add_tool curl 1 'curl -s -o "$OUT" "$URL"'
add_tool raw-socket 1 --raw "$RAW_READ"
run_round_robin S4a "$NGINX_BASE_URL/f"
report S4a "S4a: $(human_bytes "$SOURCE_SIZE"), limit_rate $(human_bytes "$cap_bytes")/s per request, RTT $rtt ms, link $LINK_RATE" \
  --cap "$cap_bytes" --link "$link_bytes" --baseline raw-socket
nginx_stop

# S4b: the small files, no server cap.
clear_tools
set_target tree "$WORK/docroot/small" "$COUNT"
nginx_start "$WORK/docroot"
make_url_lists "$NGINX_BASE_URL/small" "$COUNT"
add_spate_list spate-j16 16 '-j 16'
add_spate_list spate-j16-x16 16 '-j 16 -x 16'
add_tool curl-parallel16 16 'curl -s --parallel --parallel-max 16 --output-dir "$OUT_DIR" -K "$CURL_CONFIG"'
add_tool aria2c-j16 16 'aria2c -q -j16 -i "$LIST" -d "$OUT_DIR"'
add_tool wget2-t16 16 'wget2 -q --max-threads=16 -i "$LIST" -P "$OUT_DIR"'
run_round_robin S4b "$NGINX_BASE_URL/small/f00000"
report S4b "S4b: $COUNT × $(human_bytes "$(to_bytes "$FILE_SIZE")") files, RTT $rtt ms, link $LINK_RATE"
nginx_stop
netns_down
note "nfq_delay counters (packets held, deepest queue, releases more than 1 ms late): $NETNS_STATS"
