#!/usr/bin/env bash
# Slow 1 GiB runs: S1's download (1 GiB over loopback into tmpfs) repeated, spate's default and
# then curl, ROUNDS times. For each run it prints the wall time, the ticks the whole machine spent
# in user, system and steal time (/proc/stat, 1/100 s), and every /proc/vmstat event counter (not
# the nr_* levels) that moved by more than 1,000. On this machine some runs of either tool take
# twice the usual time with twice the system time, while the work (pages allocated, faults) and
# the steal time stay the same: the slowness is outside what the guest kernel counts. bench/results/
# summary.md discusses it. Not part of run_all.sh; it writes no results file. Every output is
# checked by SHA-256.
#
# usage: bench/slow_runs.sh        Environment: ROUNDS (default 8), SIZE (default 1G), SPATE_BIN
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export RUNS=${RUNS:-3}  # bench_init's check; the rounds here are ROUNDS
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

rounds=${ROUNDS:-8}
size=${SIZE:-1G}
[[ $rounds =~ ^[0-9]+$ && $rounds -ge 1 && $rounds -le 100 ]] || die "ROUNDS must be 1..100"

bench_init slow-runs
make_file "$WORK/f.bin" "$size"
nginx_start "$WORK"
url=$NGINX_BASE_URL/f.bin

# counters: "name value" lines, sorted by name: /proc/vmstat, then the machine's user, system
# and steal ticks from /proc/stat's first line.
counters() {
  {
    cat /proc/vmstat
    awk '$1 == "cpu" { print "ticks_user", $2 + $3; print "ticks_system", $4; print "ticks_steal", $9 }' /proc/stat
  } | sort
}

# one NAME COMMAND...: runs COMMAND, which writes $WORK/o/f.out, checks it, prints one line.
one() {
  local name=$1
  shift
  rm -rf "$WORK/o" && mkdir -p "$WORK/o"
  counters >"$WORK/counters.before"
  local start=$EPOCHREALTIME
  "$@" >/dev/null 2>&1 || die "$name: exit status $?"
  local end=$EPOCHREALTIME
  counters >"$WORK/counters.after"
  local check
  check=$(verify_output file "$WORK/o")
  [[ $check == ok ]] || die "$name: output: $check"
  printf '%-6s %2d wall %s s  ' "$name" "$round" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%6.3f", b - a }')"
  join "$WORK/counters.before" "$WORK/counters.after" |
    awk '{ d = $3 - $2; if ($1 ~ /^ticks_/ || ($1 !~ /^nr_/ && d > 1000)) printf "%s=%d ", $1, d }
         END { print "" }'
}

log "$rounds rounds of spate and curl, $size each"
for ((round = 1; round <= rounds; round++)); do
  one spate "$SPATE_BIN" -q -o "$WORK/o/f.out" "$url"
  one curl curl -s -o "$WORK/o/f.out" "$url"
done
