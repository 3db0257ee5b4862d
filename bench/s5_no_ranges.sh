#!/usr/bin/env bash
# shellcheck disable=SC2016  # tool commands are single-quoted: measure expands them per run
# S5: one S5_SIZE file (default 1 GiB) from nginx on 127.0.0.1 with `max_ranges 0`: nginx
# ignores Range and answers every request 200 with the whole body. A segmented tool must notice
# and fall back to one stream; "server sent MiB" shows what a tool that does not costs.
# Environment: S5_SIZE (1G), S5_RUN_TIMEOUT (120 s per run), RUNS (3), SPATE_BIN, BENCH_TMPFS, RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE=${S5_SIZE:-1G}
# A tool that loops on the 200 answers (wget2 does) is cut off after this long.
RUN_TIMEOUT=${S5_RUN_TIMEOUT:-120}

bench_init S5
make_file "$WORK/docroot/f" "$SIZE"
nginx_start "$WORK/docroot" --no-ranges
results_header "S5: $(human_bytes "$SOURCE_SIZE"), loopback, Range ignored (max_ranges 0)"

add_spate spate-s16-x16 16 '-s 16 -x 16'
add_spate spate-default 8 ''
add_tool aria2c-x16 16 'aria2c -q -x16 -s16 -k1M -d "$OUT_DIR" -o "$OUT_NAME" "$URL"'
add_tool axel-n16 16 'axel -q -n 16 -o "$OUT" "$URL"'
add_tool wget2-t16 16 'wget2 -q --chunk-size=16M --max-threads=16 -O "$OUT" "$URL"'
add_tool curl 1 'curl -s -o "$OUT" "$URL"'
add_tool raw-socket 1 --raw "$RAW_READ"
run_round_robin S5 "$NGINX_BASE_URL/f"
report S5 "S5: $(human_bytes "$SOURCE_SIZE"), Range ignored" --baseline raw-socket --baseline curl
note "Every request gets the whole file (200). \"server sent MiB\" above the file size is what a" \
  "tool fetched and threw away."
