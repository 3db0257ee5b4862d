# shellcheck shell=bash
# bench/lib.sh: helpers shared by the end-to-end benchmark scripts (sourced, not run).
#
#   bench_init NAME                  work dir on tmpfs, cleanup trap, results file name
#   make_file PATH SIZE              SIZE bytes from /dev/urandom (SIZE may be 64M, 1G, ...)
#   nginx_start DOCROOT [--limit-rate BYTES] [--no-ranges] [--tls]   sets NGINX_PORT, NGINX_BASE_URL
#   nginx_stop
#   add_tool NAME CONNS [--raw] CMD  CMD is run by `bash -c` with $URL $OUT $OUT_DIR $OUT_NAME
#                                    $URL_PATH $NGINX_PORT $SPATE_BIN in its environment
#   run_round_robin SCENARIO URL FILE   RUNS runs of every added tool, alternating, via measure
#   measure SCENARIO TOOL RUN        one timed run, verified and recorded in $SAMPLES
#   report SCENARIO TITLE [summarise.py options]   Markdown table of the scenario's samples
#
# Every loop is bounded, everything started is stopped by the EXIT trap, and only 127.0.0.1 is
# used. Environment: RUNS (>= 3, default 3), SPATE_BIN (default build/spate), BENCH_TMPFS (default
# /dev/shm), RESULTS_DIR (default bench/results), RUN_TIMEOUT (seconds per run, default 600).

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
RUNS=${RUNS:-3}
SPATE_BIN=${SPATE_BIN:-$REPO_DIR/build/spate}
BENCH_TMPFS=${BENCH_TMPFS:-/dev/shm}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
export SPATE_BIN

WORK=""            # this run's directory on tmpfs
MOUNTED_TMPFS=""   # set when we mounted a tmpfs ourselves
NGINX_PID=""
MEASURE_PID=""     # the timed command while it runs
NGINX_DIR=""
NGINX_PORT=""
NGINX_BASE_URL=""
NGINX_ACCESS_LOG=""
SAMPLES=""         # TSV of every run, read by summarise.py
RESULTS_FILE=""
TOOL_NAMES=()
TOOL_CONNS=()
TOOL_KINDS=()      # "file" (verify the output file) or "raw" (output = HTTP headers + body)
TOOL_CMDS=()

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# "64M" -> 67108864. Suffixes K, M, G (powers of 1024), with optional "iB"/"B".
to_bytes() {
  local v=${1%iB}
  v=${v%B}
  case "$v" in
    *[kK]) echo $((${v%?} * 1024)) ;;
    *[mM]) echo $((${v%?} * 1024 * 1024)) ;;
    *[gG]) echo $((${v%?} * 1024 * 1024 * 1024)) ;;
    *[!0-9]* | "") die "bad size '$1'" ;;
    *) echo "$v" ;;
  esac
}

human_bytes() { awk -v b="$1" 'BEGIN { if (b >= 2^30 && b % 2^30 == 0) printf "%d GiB", b / 2^30;
  else if (b >= 2^20) printf "%g MiB", b / 2^20; else printf "%d B", b }'; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$MEASURE_PID" ]]; then
    kill -TERM "$MEASURE_PID" 2>/dev/null || true  # timeout passes it on to the command's group
    wait "$MEASURE_PID" 2>/dev/null || true
  fi
  nginx_stop
  if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
  if [[ -n "$MOUNTED_TMPFS" ]]; then
    umount "$MOUNTED_TMPFS" 2>/dev/null || true
    rmdir "$MOUNTED_TMPFS" 2>/dev/null || true
  fi
  exit "$rc"
}

# bench_init NAME: checks the tools, makes the work dir on tmpfs, installs the cleanup trap.
bench_init() {
  local name=$1
  [[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 3 ]] || die "RUNS must be an integer >= 3 (got '$RUNS')"
  [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: run scripts/bootstrap --bench"
  [[ -x "$NGINX_BIN" ]] || die "$NGINX_BIN is missing: run scripts/bootstrap"
  command -v python3 >/dev/null || die "python3 is missing"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local base=$BENCH_TMPFS
  if [[ "$(stat -f -c %T "$base" 2>/dev/null)" != "tmpfs" ]]; then
    [[ $(id -u) -eq 0 ]] || die "$base is not a tmpfs; set BENCH_TMPFS to one"
    MOUNTED_TMPFS=$(mktemp -d /tmp/spate-bench-tmpfs.XXXXXX)
    mount -t tmpfs -o size=8g,mode=0700 tmpfs "$MOUNTED_TMPFS" || die "cannot mount a tmpfs"
    base=$MOUNTED_TMPFS
    log "mounted a tmpfs at $base"
  fi
  WORK=$(mktemp -d "$base/spate-bench.XXXXXX")
  mkdir -p "$WORK/docroot" "$WORK/out"
  SAMPLES=$WORK/samples.tsv
  printf 'scenario\ttool\tconns\trun\tok\twall_s\tcpu_s\trss_kib\trequests\tconnections\tnote\n' \
    >"$SAMPLES"
  mkdir -p "$RESULTS_DIR"
  RESULTS_FILE=$RESULTS_DIR/$name-$(date +%Y%m%d-%H%M%S).md
  log "docroot and outputs on tmpfs: $WORK ($(stat -f -c %T "$WORK"))"
}

# make_file PATH SIZE: random content; sets SOURCE_SHA256 and SOURCE_SIZE.
make_file() {
  local path=$1 size
  size=$(to_bytes "$2")
  local avail
  avail=$(($(df --output=avail -B1 "$(dirname "$path")" | tail -n 1)))
  # The source plus one output at a time, plus slack.
  ((avail > 2 * size + 64 * 1024 * 1024)) || die "not enough space on tmpfs for 2 x $2"
  head -c "$size" /dev/urandom >"$path"
  SOURCE_SIZE=$size
  SOURCE_SHA256=$(sha256sum "$path" | cut -d' ' -f1)
  log "generated $(human_bytes "$size") at $path"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

nginx_config() {  # DIR DOCROOT PORT LIMIT_RATE NO_RANGES TLS
  local dir=$1 docroot=$2 port=$3 limit=$4 no_ranges=$5 tls=$6
  echo "daemon off;"
  # Single-process mode: one pid to stop, nothing orphaned; the event loop is the same as a worker's.
  echo "master_process off;"
  echo "worker_processes 1;"
  [[ $(id -u) -eq 0 ]] && echo "user root;"
  echo "pid \"$dir/nginx.pid\";"
  echo "events { worker_connections 1024; }"
  echo "http {"
  echo "  log_format bench '\$status \$body_bytes_sent \"\$http_range\" \$connection \$connection_requests \$limit_rate \"\$request\"';"
  echo "  access_log \"$dir/access.log\" bench;"
  local kind
  for kind in client_body proxy fastcgi uwsgi scgi; do
    echo "  ${kind}_temp_path \"$dir/temp/$kind\";"
  done
  echo "  sendfile on; tcp_nopush on; keepalive_requests 10000; keepalive_timeout 60s;"
  echo "  types { } default_type application/octet-stream;"
  echo "  server {"
  if [[ $tls == 1 ]]; then
    echo "    listen 127.0.0.1:$port ssl http2;"
    echo "    ssl_certificate \"$dir/cert.pem\"; ssl_certificate_key \"$dir/key.pem\";"
  else
    echo "    listen 127.0.0.1:$port;"
  fi
  echo "    root \"$docroot\";"
  [[ $limit -gt 0 ]] && echo "    limit_rate $limit;"
  [[ $no_ranges == 1 ]] && echo "    max_ranges 0;"
  echo "    location / { }"
  echo "  }"
  echo "}"
}

# nginx_start DOCROOT [--limit-rate BYTES] [--no-ranges] [--tls]
nginx_start() {
  local docroot=$1 limit=0 no_ranges=0 tls=0
  shift
  while (($#)); do
    case "$1" in
      --limit-rate) limit=$(to_bytes "$2"); shift 2 ;;
      --no-ranges) no_ranges=1; shift ;;
      --tls) tls=1; shift ;;
      *) die "nginx_start: unknown option $1" ;;
    esac
  done
  nginx_stop
  NGINX_DIR=$(mktemp -d "$WORK/nginx.XXXXXX")
  mkdir -p "$NGINX_DIR/temp"
  if [[ $tls == 1 ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -subj /CN=127.0.0.1 -keyout "$NGINX_DIR/key.pem" -out "$NGINX_DIR/cert.pem" 2>/dev/null ||
      die "openssl could not make a certificate"
  fi
  local port i
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    nginx_config "$NGINX_DIR" "$docroot" "$port" "$limit" "$no_ranges" "$tls" >"$NGINX_DIR/nginx.conf"
    rm -f "$NGINX_DIR/nginx.pid" "$NGINX_DIR/error.log"
    "$NGINX_BIN" -p "$NGINX_DIR/" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" \
      </dev/null >"$NGINX_DIR/nginx.out" 2>&1 &
    NGINX_PID=$!
    # Ready when nginx wrote its pid file (after binding) and the port accepts: at most 5 s.
    for ((i = 0; i < 500; i++)); do
      if ! kill -0 "$NGINX_PID" 2>/dev/null; then
        wait "$NGINX_PID" 2>/dev/null || true
        NGINX_PID=""
        break
      fi
      if [[ "$(cat "$NGINX_DIR/nginx.pid" 2>/dev/null)" == "$NGINX_PID" ]] && port_accepts "$port"; then
        break
      fi
      sleep 0.01
    done
    if [[ -n "$NGINX_PID" ]] && ((i < 500)); then
      NGINX_PORT=$port
      NGINX_ACCESS_LOG=$NGINX_DIR/access.log
      local scheme=http
      [[ $tls == 1 ]] && scheme=https
      NGINX_BASE_URL=$scheme://127.0.0.1:$port
      export NGINX_PORT
      log "nginx $NGINX_PID on $NGINX_BASE_URL (limit_rate=$limit no_ranges=$no_ranges tls=$tls)"
      return 0
    fi
    if grep -q "Address already in use" "$NGINX_DIR/nginx.out" "$NGINX_DIR/error.log" 2>/dev/null; then
      log "port $port taken, retrying"
      continue
    fi
    nginx_stop
    cat "$NGINX_DIR/nginx.out" "$NGINX_DIR/error.log" >&2 2>/dev/null || true
    die "nginx did not start"
  done
  die "nginx: no free port after 5 attempts"
}

nginx_stop() {
  [[ -n "$NGINX_PID" ]] || return 0
  local i
  kill -QUIT "$NGINX_PID" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.01
  done
  kill -KILL "$NGINX_PID" 2>/dev/null || true
  wait "$NGINX_PID" 2>/dev/null || true
  NGINX_PID=""
}

access_log_lines() { if [[ -f "$NGINX_ACCESS_LOG" ]]; then wc -l <"$NGINX_ACCESS_LOG"; else echo 0; fi; }

# Waits (at most 1 s) until nginx's access log stops growing; nginx logs a request just after
# its last byte is sent, which can be a moment after the client finished.
access_log_settle() {
  local last now i
  last=$(access_log_lines)
  for ((i = 0; i < 20; i++)); do
    sleep 0.05
    now=$(access_log_lines)
    [[ $now == "$last" ]] && break
    last=$now
  done
}

# add_tool NAME CONNS [--raw] CMD
add_tool() {
  local name=$1 conns=$2 kind=file
  shift 2
  if [[ $1 == --raw ]]; then
    kind=raw
    shift
  fi
  TOOL_NAMES+=("$name")
  TOOL_CONNS+=("$conns")
  TOOL_KINDS+=("$kind")
  TOOL_CMDS+=("$1")
}

clear_tools() { TOOL_NAMES=(); TOOL_CONNS=(); TOOL_KINDS=(); TOOL_CMDS=(); }

# verify_output KIND FILE: "ok" or the reason it does not match the source.
verify_output() {
  local kind=$1 file=$2 size
  [[ -f "$file" ]] || { echo "no output file"; return; }
  size=$(stat -c %s "$file")
  if [[ $kind == raw ]]; then
    # The raw read saved the response as is: headers, blank line, body. The body is the last
    # SOURCE_SIZE bytes; check the status line, that the headers end right before the body, and
    # the body's digest (all outside the timed command).
    local header=$((size - SOURCE_SIZE))
    ((header > 0)) || { echo "short response ($size bytes)"; return; }
    head -c 15 "$file" | grep -q '^HTTP/1\.[01] 200' || { echo "status is not 200"; return; }
    [[ "$(head -c "$header" "$file" | tail -c 4 | od -An -tx1 | tr -d ' \n')" == 0d0a0d0a ]] ||
      { echo "headers do not end where the body should start"; return; }
    [[ "$(tail -c "$SOURCE_SIZE" "$file" | sha256sum | cut -d' ' -f1)" == "$SOURCE_SHA256" ]] ||
      { echo "body SHA-256 mismatch"; return; }
  else
    [[ $size == "$SOURCE_SIZE" ]] || { echo "size $size != $SOURCE_SIZE"; return; }
    [[ "$(sha256sum "$file" | cut -d' ' -f1)" == "$SOURCE_SHA256" ]] ||
      { echo "SHA-256 mismatch"; return; }
  fi
  echo ok
}

# measure SCENARIO TOOL_INDEX RUN: one run of tool TOOL_INDEX against $URL, recorded in $SAMPLES.
measure() {
  local scenario=$1 t=$2 run=$3
  local name=${TOOL_NAMES[$t]} dir="$WORK/out/run"
  rm -rf "$dir"
  mkdir -p "$dir"
  local time_file="$WORK/time.txt" err_file="$WORK/stderr.txt"
  local before after rc=0 start end
  before=$(access_log_lines)
  start=$(date +%s%N)
  # In the background so that a signal to this script runs the trap at once (cleanup stops it);
  # timeout runs it in its own process group and kills the whole group.
  OUT_DIR=$dir OUT_NAME=f.out OUT=$dir/f.out URL=$URL URL_PATH=$URL_PATH \
    timeout -k 5 "$RUN_TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$time_file" \
    bash -c "${TOOL_CMDS[$t]}" >/dev/null 2>"$err_file" </dev/null &
  MEASURE_PID=$!
  wait "$MEASURE_PID" || rc=$?
  MEASURE_PID=""
  end=$(date +%s%N)
  access_log_settle
  after=$(access_log_lines)

  # Wall time from date (ns) rather than time's %e (10 ms resolution); CPU and RSS from time.
  local wall cpu elapsed="" user=0 sys=0 rss=0 ok=0 note=""
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
  # time's last line is "%e %U %S %M" (a failed command adds a "Command exited" line before it).
  read -r elapsed user sys rss < <(tail -n 1 "$time_file" 2>/dev/null) || true
  [[ "$elapsed $user $sys $rss" =~ ^[0-9.]+\ [0-9.]+\ [0-9.]+\ [0-9]+$ ]] || { user=0 sys=0 rss=0; }
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  if [[ $rc -ne 0 ]]; then
    note=$({ grep -v '^Command exited' "$err_file" || true; } | tail -n 1 | tr '\t' ' ' | cut -c1-120)
    if ((rc == 124 || rc == 137)); then
      note="timed out after ${RUN_TIMEOUT}s"
    elif ((rc > 128)) && [[ -z $note ]]; then
      note="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
    fi
    note="exit $rc: $note"
  else
    note=$(verify_output "${TOOL_KINDS[$t]}" "$dir/f.out")
    [[ $note == ok ]] && ok=1 && note=""
  fi
  local requests=0 connections=0
  if ((after > before)); then
    requests=$((after - before))
    connections=$(tail -n +"$((before + 1))" "$NGINX_ACCESS_LOG" | awk '{ print $4 }' | sort -u | wc -l)
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$name" "${TOOL_CONNS[$t]}" \
    "$run" "$ok" "$wall" "$cpu" "${rss:-0}" "$requests" "$connections" "$note" >>"$SAMPLES"
  if ((ok)); then
    log "$scenario run $run $name: ${wall}s cpu ${cpu}s rss ${rss}KiB, $requests req / $connections conn"
  else
    log "$scenario run $run $name: FAILED ($note)"
  fi
  rm -rf "$dir"
}

# run_round_robin SCENARIO URL: RUNS rounds; each round runs every tool once, in order, so slow
# drift (thermal, other load) spreads over all tools instead of biasing one.
run_round_robin() {
  local scenario=$1 run t
  URL=$2
  URL_PATH=/${URL#*://*/}
  for ((run = 1; run <= RUNS; run++)); do
    for ((t = 0; t < ${#TOOL_NAMES[@]}; t++)); do
      measure "$scenario" "$t" "$run"
    done
  done
}

# report SCENARIO TITLE [options for summarise.py]: prints the table and appends it to RESULTS_FILE.
report() {
  local scenario=$1 title=$2
  shift 2
  {
    echo "## $title"
    echo
    python3 "$BENCH_DIR/summarise.py" "$SAMPLES" --scenario "$scenario" --size "$SOURCE_SIZE" "$@"
    echo
  } | tee -a "$RESULTS_FILE"
}

# results_header TITLE: the machine and tool versions, at the top of RESULTS_FILE.
results_header() {
  {
    echo "# $1"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit: $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- machine: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 2^20 }' /proc/meminfo) RAM"
    echo "- server: $("$NGINX_BIN" -v 2>&1 | sed 's/.*: //'), 127.0.0.1, sendfile, docroot and outputs on tmpfs ($WORK)"
    echo "- runs: $RUNS per tool, round-robin; medians with min–max"
    local v
    for v in "curl --version" "aria2c --version" "axel --version" "wget2 --version"; do
      command -v "${v%% *}" >/dev/null && echo "- $($v 2>/dev/null | head -n 1 | cut -d' ' -f1-3)"
    done
    if [[ -x "$SPATE_BIN" ]]; then
      echo "- spate: $("$SPATE_BIN" --version 2>/dev/null | head -n 1 || echo "$SPATE_BIN")"
    else
      echo "- spate: not built ($SPATE_BIN missing), its rows fail"
    fi
    echo
  } | tee "$RESULTS_FILE"
}
