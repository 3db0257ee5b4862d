#!/usr/bin/env bash
# --limit-rate accuracy: a 40 MiB file over 8 connections from a local nginx at --limit-rate
# RATE (default 4M), RUNS times (default 3); prints each run's average rate and the median with
# min-max as a share of the limit. Docroot and output on tmpfs; only 127.0.0.1.
# Usage: bench/rate_limit.sh   (env: RATE=4M RUNS=3 SIZE_MIB=40 SPATE=build/spate)
set -euo pipefail
cd "$(dirname "$0")/.."
rate="${RATE:-4M}" runs="${RUNS:-3}" size_mib="${SIZE_MIB:-40}" spate="${SPATE:-build/spate}"
[[ -x "$spate" ]] || { echo "build spate first: cmake --preset release && cmake --build build" >&2; exit 2; }
work=$(mktemp -d /dev/shm/spate-rate.XXXXXX)
trap '[[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/www" "$work/out"
head -c $((size_mib * 1024 * 1024)) /dev/urandom >"$work/www/f.bin"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/nginx.conf" <<CONF
worker_processes 1; daemon on; pid $work/nginx.pid; error_log $work/error.log;
events { worker_connections 256; }
http { access_log off; sendfile on; default_type application/octet-stream;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work;
  uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen 127.0.0.1:$port; root $work/www; } }
CONF
nginx -c "$work/nginx.conf" -p "$work" 2>/dev/null
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
limit=$("$spate" --help >/dev/null; python3 -c "
import re,sys; t='$rate'; m=re.fullmatch(r'([0-9.]+)([KMG]?)(i?B)?',t,re.I)
print(int(float(m.group(1))*{'':1,'K':1024,'M':1024**2,'G':1024**3}[m.group(2).upper()]))")
rates=()
for run in $(seq 1 "$runs"); do
  rm -f "$work/out/"*
  start=$(date +%s%N)
  "$spate" -q -s 8 -k 1M --limit-rate "$rate" -d "$work/out" "http://127.0.0.1:$port/f.bin"
  end=$(date +%s%N)
  cmp -s "$work/www/f.bin" "$work/out/f.bin" || { echo "run $run: wrong output" >&2; exit 1; }
  r=$(python3 -c "print($size_mib*1024*1024/(($end-$start)/1e9))")
  rates+=("$r")
  printf 'run %d: %.3f MiB/s (%.1f %% of the limit)\n' "$run" "$(python3 -c "print($r/1048576)")" \
    "$(python3 -c "print(100*$r/$limit)")"
done
python3 - "$limit" "${rates[@]}" <<'PY'
import statistics, sys
limit = float(sys.argv[1]); rates = [float(x) for x in sys.argv[2:]]
pct = [100 * r / limit for r in rates]
print(f"--limit-rate {limit/1048576:.2f} MiB/s over 8 connections: median {statistics.median(pct):.1f} % "
      f"of the limit ({min(pct):.1f}-{max(pct):.1f} %), {len(rates)} runs; whole-run averages "
      "including the first second")
PY
