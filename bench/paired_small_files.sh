#!/usr/bin/env bash
# Paired runs on the small-file scenarios: S3 (2,000 × 16 KiB over plain HTTP on 127.0.0.1) or
# S6b (the same over TLS + HTTP/2), each round running every spate variant and then
# `curl --parallel --parallel-max 16`. Prints, per variant, the medians (min–max) of wall and CPU
# time, of the CPU time nginx spent serving the run (from /proc/PID/schedstat), and the median
# over rounds of its time divided by curl's in the same round. A client whose CPU time is close to
# its wall time while nginx's is well below is what holds the run back.
#
# On a 2-core machine shared with nginx a small-file run's wall time moves by 5–15 % from one
# quarter hour to the next; the ratio to the curl run beside it moves much less. That ratio is
# what bench/results/summary.md calls a "paired ratio". Not part of run_all.sh, and it writes no
# results file. Every output tree is checked (file count and SHA-256 of each file).
#
# usage: bench/paired_small_files.sh [s3|s6b]      (default s3)
# Environment:
#   ROUNDS  rounds (default 12)
#   BINS    spate binaries, space-separated (default: build/spate)
#   OPTS    spate option sets, ';'-separated, each run with every binary (default: one empty set)
#   COUNT, FILE_SIZE  the files (default 2000 and 16K)
# Example: BINS="/tmp/spate-old build/spate" OPTS=" ;-s 1" bench/paired_small_files.sh s3
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export RUNS=${RUNS:-3}  # bench_init's check; the rounds here are ROUNDS
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

scenario=${1:-s3}
rounds=${ROUNDS:-12}
count=${COUNT:-2000}
file_size=${FILE_SIZE:-16K}
[[ $scenario == s3 || $scenario == s6b ]] || die "usage: $0 [s3|s6b]"
[[ $rounds =~ ^[0-9]+$ && $rounds -ge 1 && $rounds -le 200 ]] || die "ROUNDS must be 1..200"
read -r -a bins <<<"${BINS:-$BENCH_DIR/../build/spate}"
IFS=';' read -r -a option_sets <<<"${OPTS:- }"
for i in "${!bins[@]}"; do
  [[ -x ${bins[$i]} ]] || die "not an executable: ${bins[$i]}"
  bins[i]=$(realpath "${bins[$i]}")  # the runs start in the output directory
done

bench_init "paired-$scenario"
make_small_files "$WORK/docroot/small" "$count" "$file_size"  # and the tree to check against
tls_flags=()
if [[ $scenario == s6b ]]; then
  nginx_start "$WORK/docroot" --tls
  tls_flags=(--insecure)
  make_url_lists "https://$NGINX_HOST:$NGINX_PORT/small" "$count"
else
  nginx_start "$WORK/docroot"
  make_url_lists "$NGINX_BASE_URL/small" "$count"
fi

# nginx_cpu_ns: the CPU time nginx (one process) has used so far.
nginx_cpu_ns() {
  local run_ns _
  read -r run_ns _ <"/proc/$NGINX_PID/schedstat"
  echo "$run_ns"
}

# timed NAME COMMAND...: runs COMMAND in an empty $WORK/out, checks the tree, and prints
# "NAME wall_s cpu_s server_s" (the child's user+sys from getrusage, to the microsecond, and
# nginx's CPU time over the run).
timed() {
  local name=$1
  shift
  rm -rf "$WORK/out" && mkdir -p "$WORK/out"
  local times server_before server_after
  server_before=$(nginx_cpu_ns)
  times=$(cd "$WORK/out" && python3 -c '
import resource, subprocess, sys, time
before = resource.getrusage(resource.RUSAGE_CHILDREN)
start = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
print(f"{wall:.4f} {cpu:.4f} {code}")' "$@") || die "$name: could not be run"
  server_after=$(nginx_cpu_ns)
  local check
  check=$(verify_output tree "$WORK/out")
  [[ ${times##* } == 0 && $check == ok ]] ||
    die "$name: exit status ${times##* }, output: $check"
  echo "$name ${times% *} $(((server_after - server_before) / 1000))e-6"
}

log "$scenario: $rounds rounds of ${#bins[@]} binaries × ${#option_sets[@]} option sets, and curl"
for ((round = 1; round <= rounds; round++)); do
  for bin in "${bins[@]}"; do
    for k in "${!option_sets[@]}"; do
      read -r -a extra <<<"${option_sets[$k]}"
      timed "$(basename "$bin")[$((k + 1))]" "$bin" -q "${tls_flags[@]}" -j 16 -x 16 \
        "${extra[@]}" -i "$LIST" -d "$WORK/out"
    done
  done
  timed curl curl -s "${tls_flags[@]}" --parallel --parallel-max 16 --output-dir "$WORK/out" \
    -K "$CURL_CONFIG"
done | python3 -c '
import statistics, sys
wall, cpu, server, order = {}, {}, {}, []
for line in sys.stdin:
    name, w, c, s = line.split()
    if name not in wall:
        order.append(name)
    wall.setdefault(name, []).append(float(w))
    cpu.setdefault(name, []).append(float(c))
    server.setdefault(name, []).append(float(s))
def spread(values):
    return f"{statistics.median(values):.4f} ({min(values):.4f}-{max(values):.4f})"
print("variant                wall s (min-max)          CPU s (min-max)           "
      "nginx CPU s (min-max)     wall/curl  CPU/curl")
for name in order:
    line = f"{name:22} {spread(wall[name]):25} {spread(cpu[name]):25} {spread(server[name]):25}"
    if name != "curl":
        rounds = min(len(wall[name]), len(wall["curl"]))
        w = statistics.median(wall[name][i] / wall["curl"][i] for i in range(rounds))
        c = statistics.median(cpu[name][i] / cpu["curl"][i] for i in range(rounds))
        line += f" {w:9.3f} {c:9.3f}"
    print(line)
'
for k in "${!option_sets[@]}"; do echo "[$((k + 1))]: '${option_sets[$k]}'"; done
