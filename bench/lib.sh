# shellcheck shell=bash
# bench/lib.sh: helpers shared by the end-to-end benchmark scripts (sourced, not run).
#
#   bench_init NAME                  work dir on tmpfs, cleanup trap, results file, spate snapshot
#   make_file PATH SIZE              SIZE bytes from /dev/urandom (SIZE may be 64M, 1G, ...)
#   make_small_files DIR COUNT SIZE  COUNT files f00000.. of SIZE random bytes, plus a manifest
#   nginx_start DOCROOT [--limit-rate BYTES] [--no-ranges] [--tls] [--tiny]
#                                    sets NGINX_PORT, NGINX_HOST, NGINX_BASE_URL; inside
#                                    SERVER_NS when netns_up (netns.sh) ran
#   nginx_stop
#   add_tool NAME CONNS [--raw] CMD  CMD is run by `bash -c` (in CLIENT_NS, if any) with $URL $OUT
#                                    $OUT_DIR $OUT_NAME $URL_PATH $LIST $CURL_CONFIG $NGINX_HOST
#                                    $NGINX_PORT $SPATE_BIN in its environment
#   add_na NAME CONNS REASON         a row that is not run (e.g. a flag spate does not have yet)
#   set_target file | tree DIR COUNT | tiny COUNT   what the next runs download and verify against
#   run_round_robin SCENARIO URL     RUNS runs of every added tool, alternating, via measure
#   report SCENARIO TITLE [summarise.py options]   Markdown table of the scenario's samples
#
# Every loop is bounded, everything started is stopped by the EXIT trap, and only 127.0.0.1 (or
# the private /30 inside the namespaces netns.sh creates) is used. Environment: RUNS (>= 3,
# default 3), SPATE_BIN (default build/spate), BENCH_TMPFS (default /dev/shm), RESULTS_DIR
# (default bench/results), RESULTS_FILE, BENCH_DATE, RUN_TIMEOUT (seconds per run, default 600).

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
RUNS=${RUNS:-3}
SPATE_BIN=${SPATE_BIN:-$REPO_DIR/build/spate}
BENCH_TMPFS=${BENCH_TMPFS:-/dev/shm}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
SPATE_SRC_INFO=""
SPATE_VERSION=""
BENCH_DATE=${BENCH_DATE:-$(date +%Y%m%d)}
export SPATE_BIN

WORK=""            # this run's directory on tmpfs
MOUNTED_TMPFS=""   # set when we mounted a tmpfs ourselves
NGINX_PID=""
MEASURE_PID=""     # the timed command while it runs
BENCH_PID=""       # the script's own shell (cleanup runs only there)
URL=""
URL_PATH=""
NGINX_DIR=""
NGINX_PORT=""
NGINX_HOST=127.0.0.1
NGINX_BASE_URL=""
NGINX_ACCESS_LOG=""
SERVER_NS=""       # set by netns_up: nginx runs there
CLIENT_NS=""       # set by netns_up: the tools run there
SAMPLES=""         # TSV of every run, read by summarise.py
RESULTS_FILE=${RESULTS_FILE:-}
RESULTS_FINAL=""   # where the tables end up (RESULTS_FILE is the work copy while running)
TARGET_KIND="file" # file | tree | tiny: what verify_output checks
TARGET_COUNT=1
TARGET_BYTES=0
TARGET_MANIFEST=""
SOURCE_SIZE=0
SOURCE_SHA256=""
TOOL_NAMES=()
TOOL_CONNS=()
TOOL_KINDS=()      # "file" (verify the output), "raw" (output = HTTP headers + body), "na"
TOOL_CMDS=()
CLEANUP_HOOKS=()   # extra commands the cleanup trap runs first (netns teardown)

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
  else if (b >= 2^20) printf "%g MiB", b / 2^20; else if (b >= 1024) printf "%g KiB", b / 1024;
  else printf "%d B", b }'; }

# in_client CMD...: runs CMD in the client namespace when there is one.
in_client() {
  if [[ -n $CLIENT_NS ]]; then ip netns exec "$CLIENT_NS" "$@"; else "$@"; fi
}
in_server() {
  if [[ -n $SERVER_NS ]]; then ip netns exec "$SERVER_NS" "$@"; else "$@"; fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # A subshell inherits the trap; only the script itself may stop nginx and remove the work dir.
  [[ $BASHPID == "$BENCH_PID" ]] || exit "$rc"
  if [[ -n "$MEASURE_PID" ]]; then
    kill -TERM "$MEASURE_PID" 2>/dev/null || true  # timeout passes it on to the command's group
    wait "$MEASURE_PID" 2>/dev/null || true
  fi
  nginx_stop
  local hook
  for hook in "${CLEANUP_HOOKS[@]}"; do $hook || true; done
  # The tables were written to the work dir; they replace RESULTS_FINAL in one step here, so the
  # file never mixes two runs' tables, and a run that stopped early says so.
  if [[ -n "$WORK" && -s "$WORK/results.md" && -n "$RESULTS_FINAL" ]]; then
    ((rc == 0)) || printf '**This scenario stopped early (exit %s); the tables above are partial.**\n' \
      "$rc" >>"$WORK/results.md"
    cp "$WORK/results.md" "$RESULTS_FINAL.tmp" && mv "$RESULTS_FINAL.tmp" "$RESULTS_FINAL" &&
      log "results saved to $RESULTS_FINAL"
  fi
  if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
  if [[ -n "$MOUNTED_TMPFS" ]]; then
    umount "$MOUNTED_TMPFS" 2>/dev/null || true
    rmdir "$MOUNTED_TMPFS" 2>/dev/null || true
  fi
  exit "$rc"
}

# Free page reporting: a VM's kernel hands free pages back to its host, which drops them, and a
# later write into such a page faults it back in from the host. That was the suspect for the 1 GiB
# downloads into tmpfs that take about twice their CPU time in one run and not in the next,
# whatever the tool; run 11 was made with the hold below and still had such runs
# (bench/results/summary.md, bench/slow_runs.sh). HOLD_FREE_PAGES=1 (root) keeps freed pages from
# being reported while the scenario runs (min_free_ms raised, put back at exit), and first writes
# and frees HOLD_FREE_PAGES_WARM (4G) in tmpfs, so the pages the runs get are backed again. Each
# table's header says which applied.
PAGE_REPORTING_MIN_FREE=/sys/module/page_reporting/parameters/min_free_ms
FREE_PAGES_STATE="no page reporting here"
free_pages_hold() {
  [[ -r $PAGE_REPORTING_MIN_FREE ]] || return 0
  local saved
  saved=$(cat "$PAGE_REPORTING_MIN_FREE")
  FREE_PAGES_STATE="reported to the host after ${saved} ms free (HOLD_FREE_PAGES unset)"
  [[ ${HOLD_FREE_PAGES:-0} == 1 ]] || return 0
  [[ -w $PAGE_REPORTING_MIN_FREE ]] || die "HOLD_FREE_PAGES=1 needs root"
  FREE_PAGES_SAVED=$saved
  CLEANUP_HOOKS+=(free_pages_release)
  echo 300000 >"$PAGE_REPORTING_MIN_FREE"  # the most this kernel takes
  head -c "$(to_bytes "${HOLD_FREE_PAGES_WARM:-4G}")" /dev/zero >"$WORK/warm" && rm -f "$WORK/warm"
  FREE_PAGES_STATE="held: reported only after 5 minutes free while this ran (was ${saved} ms), after ${HOLD_FREE_PAGES_WARM:-4G} written and freed"
  log "free page reporting $FREE_PAGES_STATE"
}
free_pages_release() { echo "$FREE_PAGES_SAVED" >"$PAGE_REPORTING_MIN_FREE"; }

# bench_init NAME: checks the tools, makes the work dir on tmpfs, installs the cleanup trap,
# and copies SPATE_BIN into it (a rebuild during the run then cannot change the binary measured).
bench_init() {
  local name=$1
  [[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 3 ]] || die "RUNS must be an integer >= 3 (got '$RUNS')"
  [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: run scripts/bootstrap --bench"
  [[ -x "$NGINX_BIN" ]] || die "$NGINX_BIN is missing: run scripts/bootstrap"
  command -v python3 >/dev/null || die "python3 is missing"
  BENCH_PID=$BASHPID
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
  chmod 0755 "$WORK"
  mkdir -p "$WORK/docroot" "$WORK/out"
  SAMPLES=$WORK/samples.tsv
  printf 'scenario\ttool\tconns\trun\tok\twall_s\tcpu_s\trss_kib\trequests\tconnections\tsent_bytes\tprotocols\tbytes\tfiles\tbusy_pct\tconn_min_requests\tconn_max_requests\tconn_open_ms\tnote\n' \
    >"$SAMPLES"
  mkdir -p "$RESULTS_DIR"
  [[ -n $RESULTS_FILE ]] || RESULTS_FILE=$RESULTS_DIR/$BENCH_DATE-$name.md
  RESULTS_FINAL=$RESULTS_FILE
  RESULTS_FILE=$WORK/results.md  # copied to RESULTS_FINAL by cleanup
  if [[ -x "$SPATE_BIN" ]]; then
    SPATE_SRC_INFO="$SPATE_BIN built $(date -u -r "$SPATE_BIN" +%Y-%m-%dT%H:%M:%SZ), sha256 $(sha256sum "$SPATE_BIN" | cut -c1-12)"
    cp "$SPATE_BIN" "$WORK/spate"
    SPATE_VERSION=$("$WORK/spate" --version 2>/dev/null | head -n 1 | cut -d' ' -f1-2 || true)
    SPATE_BIN=$WORK/spate
  else
    SPATE_VERSION="not built ($SPATE_BIN missing): its rows fail"
  fi
  export SPATE_BIN
  log "docroot and outputs on tmpfs: $WORK ($(stat -f -c %T "$WORK"))"
  free_pages_hold
}

# spate_has_flag FLAG: whether spate --help lists FLAG.
spate_has_flag() { [[ -x $SPATE_BIN ]] && "$SPATE_BIN" --help 2>/dev/null | grep -q -- "$1"; }

# make_file PATH SIZE: random content; makes it the target (set_target file).
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
  set_target file
  log "generated $(human_bytes "$size") at $path"
}

# make_small_files DIR COUNT SIZE: DIR/f00000 ... with random content, DIR.sha256 the manifest
# (names relative to the output dir); makes them the target (set_target tree).
make_small_files() {
  local dir=$1 count=$2 size
  size=$(to_bytes "$3")
  ((count > 0 && count <= 100000)) || die "make_small_files: bad count $count"
  mkdir -p "$dir"
  # One stream of random bytes, cut into COUNT files by split (fast, bounded by COUNT).
  head -c $((count * size)) /dev/urandom |
    split -a 5 -d -b "$size" - "$dir/f"
  (cd "$dir" && sha256sum f*) >"$dir.sha256"
  [[ $(wc -l <"$dir.sha256") == "$count" ]] || die "make_small_files: expected $count files"
  set_target tree "$dir" "$count"
  log "generated $count files of $(human_bytes "$size") in $dir"
}

# set_target file | tree DIR COUNT | tiny COUNT: what verify_output checks, and the bytes and
# file counts the table's rates use. file: $OUT is SOURCE_*; tree: every file of the manifest in
# $OUT_DIR, nothing else; tiny: COUNT files in $OUT_DIR, each holding the single byte "x".
set_target() {
  TARGET_KIND=$1
  case "$1" in
    file) TARGET_COUNT=1 TARGET_BYTES=$SOURCE_SIZE ;;
    tree)
      TARGET_MANIFEST=$2.sha256 TARGET_COUNT=$3
      TARGET_BYTES=$(find "$2" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
      ;;
    tiny) TARGET_COUNT=$2 TARGET_BYTES=$2 ;;
    *) die "set_target: unknown kind $1" ;;
  esac
}

free_port() {
  in_server python3 -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' \
    "$NGINX_HOST"
}

port_accepts() { in_client bash -c "exec 3<>/dev/tcp/$NGINX_HOST/$1" 2>/dev/null; }

nginx_config() {  # DIR DOCROOT PORT LIMIT_RATE NO_RANGES TLS TINY
  local dir=$1 docroot=$2 port=$3 limit=$4 no_ranges=$5 tls=$6 tiny=$7
  echo "daemon off;"
  # Single-process mode: one pid to stop, nothing orphaned; the event loop is the same as a worker's.
  echo "master_process off;"
  echo "worker_processes 1;"
  [[ $(id -u) -eq 0 ]] && echo "user root;"
  echo "pid \"$dir/nginx.pid\";"
  echo "worker_rlimit_nofile 8192;"
  echo "events { worker_connections 4096; }"
  echo "http {"
  # Fields (space-separated; lib.sh reads 2, 4, 7 and the last two): status, body bytes, range,
  # connection serial, requests on it, limit_rate, protocol, request line, the time the response
  # ended (s since the epoch, ms resolution) and how long the request took (s).
  echo "  log_format bench '\$status \$body_bytes_sent \"\$http_range\" \$connection \$connection_requests \$limit_rate \$server_protocol \"\$request\" \$msec \$request_time';"
  echo "  access_log \"$dir/access.log\" bench;"
  local kind
  for kind in client_body proxy fastcgi uwsgi scgi; do
    echo "  ${kind}_temp_path \"$dir/temp/$kind\";"
  done
  echo "  sendfile on; tcp_nopush on; keepalive_requests 1000000; keepalive_timeout 60s;"
  echo "  types { } default_type application/octet-stream;"
  echo "  server {"
  if [[ $tls == 1 ]]; then
    echo "    listen $NGINX_HOST:$port ssl http2;"
    echo "    ssl_certificate \"$dir/cert.pem\"; ssl_certificate_key \"$dir/key.pem\";"
  else
    echo "    listen $NGINX_HOST:$port;"
  fi
  echo "    root \"$docroot\";"
  [[ $limit -gt 0 ]] && echo "    limit_rate $limit;"
  [[ $no_ranges == 1 ]] && echo "    max_ranges 0;"
  echo "    location / { }"
  # A one-byte body for any /tiny/NAME: a URL list can name a million distinct URLs, no files.
  [[ $tiny == 1 ]] && echo "    location /tiny/ { default_type text/plain; return 200 \"x\"; }"
  echo "  }"
  echo "}"
}

# nginx_start DOCROOT [--limit-rate BYTES] [--no-ranges] [--tls] [--tiny]
nginx_start() {
  local docroot=$1 limit=0 no_ranges=0 tls=0 tiny=0
  shift
  while (($#)); do
    case "$1" in
      --limit-rate) limit=$(to_bytes "$2"); shift 2 ;;
      --no-ranges) no_ranges=1; shift ;;
      --tls) tls=1; shift ;;
      --tiny) tiny=1; shift ;;
      *) die "nginx_start: unknown option $1" ;;
    esac
  done
  nginx_stop
  NGINX_DIR=$(mktemp -d "$WORK/nginx.XXXXXX")
  mkdir -p "$NGINX_DIR/temp"
  if [[ $tls == 1 ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -subj "/CN=$NGINX_HOST" -addext "subjectAltName=IP:$NGINX_HOST" \
      -keyout "$NGINX_DIR/key.pem" -out "$NGINX_DIR/cert.pem" 2>/dev/null ||
      die "openssl could not make a certificate"
  fi
  local port i
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    nginx_config "$NGINX_DIR" "$docroot" "$port" "$limit" "$no_ranges" "$tls" "$tiny" \
      >"$NGINX_DIR/nginx.conf"
    rm -f "$NGINX_DIR/nginx.pid" "$NGINX_DIR/error.log"
    # `ip netns exec` execs nginx in place, so $! is nginx's pid either way (a shell function
    # here would add a subshell between them).
    local -a ns_prefix=()
    [[ -n $SERVER_NS ]] && ns_prefix=(ip netns exec "$SERVER_NS")
    "${ns_prefix[@]}" "$NGINX_BIN" -p "$NGINX_DIR/" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" \
      </dev/null >"$NGINX_DIR/nginx.out" 2>&1 &
    NGINX_PID=$!
    # Ready when nginx wrote its pid file (after binding) and the port accepts: at most 10 s.
    for ((i = 0; i < 500; i++)); do
      if ! kill -0 "$NGINX_PID" 2>/dev/null; then
        wait "$NGINX_PID" 2>/dev/null || true
        NGINX_PID=""
        break
      fi
      if [[ "$(cat "$NGINX_DIR/nginx.pid" 2>/dev/null)" == "$NGINX_PID" ]] && port_accepts "$port"; then
        break
      fi
      sleep 0.02
    done
    if [[ -n "$NGINX_PID" ]] && ((i < 500)); then
      NGINX_PORT=$port
      NGINX_ACCESS_LOG=$NGINX_DIR/access.log
      local scheme=http
      [[ $tls == 1 ]] && scheme=https
      NGINX_BASE_URL=$scheme://$NGINX_HOST:$port
      export NGINX_PORT NGINX_HOST
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

# add_na NAME CONNS REASON: listed in the table as "n/a (REASON)", never run.
add_na() {
  TOOL_NAMES+=("$1")
  TOOL_CONNS+=("$2")
  TOOL_KINDS+=(na)
  TOOL_CMDS+=("$3")
}

clear_tools() { TOOL_NAMES=(); TOOL_CONNS=(); TOOL_KINDS=(); TOOL_CMDS=(); }

# verify_output KIND DIR: "ok" or the reason the output does not match the source.
verify_output() {
  local kind=$1 dir=$2 file=$2/f.out size
  if [[ $kind == raw ]]; then
    [[ -f "$file" ]] || { echo "no output file"; return; }
    size=$(stat -c %s "$file")
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
    echo ok
    return
  fi
  case "$TARGET_KIND" in
    file)
      [[ -f "$file" ]] || { echo "no output file"; return; }
      size=$(stat -c %s "$file")
      [[ $size == "$SOURCE_SIZE" ]] || { echo "size $size != $SOURCE_SIZE"; return; }
      [[ "$(sha256sum "$file" | cut -d' ' -f1)" == "$SOURCE_SHA256" ]] ||
        { echo "SHA-256 mismatch"; return; }
      ;;
    tree)
      local n bad
      n=$(find "$dir" -type f | wc -l)
      bad=$(cd "$dir" && sha256sum --quiet -c "$TARGET_MANIFEST" 2>/dev/null | wc -l) || true
      ((bad == 0)) || { echo "$bad of $TARGET_COUNT files missing or wrong"; return; }
      [[ $n == "$TARGET_COUNT" ]] || { echo "$n files in the output dir, expected $TARGET_COUNT"; return; }
      ;;
    tiny)
      local n bytes other
      n=$(find "$dir" -type f | wc -l)
      [[ $n == "$TARGET_COUNT" ]] || { echo "$n files, expected $TARGET_COUNT"; return; }
      bytes=$(find "$dir" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
      [[ $bytes == "$TARGET_COUNT" ]] || { echo "$bytes bytes in all, expected $TARGET_COUNT"; return; }
      other=$(find "$dir" -type f -print0 | xargs -0 cat | tr -d x | wc -c)
      [[ $other == 0 ]] || { echo "$other bytes are not the body 'x'"; return; }
      ;;
  esac
  echo ok
}

# cpu_busy_pct: the share of all CPUs busy over the next 0.5 s, from /proc/stat.
cpu_busy_pct() {
  local a b
  a=$(head -n 1 /proc/stat)
  sleep 0.5
  b=$(head -n 1 /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { na = split(a, x); split(b, y); t = 0; idle = 0;
    for (i = 2; i <= na; i++) { d = y[i] - x[i]; t += d; if (i == 5 || i == 6) idle += d }
    printf "%.0f\n", (t > 0 ? 100 * (t - idle) / t : 0) }'
}

# wait_quiet: waits (at most QUIET_WAIT s, default 30) until other processes leave the CPUs
# below QUIET_MAX % busy (default 30), so that a run does not share the 2 cores with a compiler;
# prints the last busy % seen. The runs go ahead after the wait either way.
wait_quiet() {
  local busy i
  busy=$(cpu_busy_pct)
  for ((i = 0; i < ${QUIET_WAIT:-30} && busy > ${QUIET_MAX:-30}; i += 2)); do
    sleep 1.5
    busy=$(cpu_busy_pct)
  done
  echo "$busy"
}

# measure SCENARIO TOOL_INDEX RUN: one run of tool TOOL_INDEX against $URL, recorded in $SAMPLES.
measure() {
  local scenario=$1 t=$2 run=$3
  local name=${TOOL_NAMES[$t]} dir="$WORK/out/run"
  if [[ ${TOOL_KINDS[$t]} == na ]]; then
    printf '%s\t%s\t%s\t%s\tna\t0\t0\t0\t0\t0\t0\t-\t%s\t%s\t0\t0\t0\t0\t%s\n' "$scenario" "$name" \
      "${TOOL_CONNS[$t]}" "$run" "$TARGET_BYTES" "$TARGET_COUNT" "${TOOL_CMDS[$t]}" >>"$SAMPLES"
    return
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  local time_file="$WORK/time.txt" err_file="$WORK/stderr.txt"
  local before after rc=0 start end
  local -a ns_prefix=()
  [[ -n $CLIENT_NS ]] && ns_prefix=(ip netns exec "$CLIENT_NS")
  local busy
  busy=$(wait_quiet)  # other load on the machine just before the run, reported under the table
  before=$(access_log_lines)
  start=$(date +%s%N)
  # In the background so that a signal to this script runs the trap at once (cleanup stops it);
  # timeout runs it in its own process group and kills the whole group.
  OUT_DIR=$dir OUT_NAME=f.out OUT=$dir/f.out URL=$URL URL_PATH=$URL_PATH \
    timeout -k 5 "$RUN_TIMEOUT" /usr/bin/time -f '%e %U %S %M' -o "$time_file" \
    "${ns_prefix[@]}" bash -c "${TOOL_CMDS[$t]}" >/dev/null 2>"$err_file" </dev/null &
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
    note=$({ grep -v -e '^Command exited' -e '^ *$' "$err_file" || true; } | tail -n 1 |
      tr '\t' ' ' | cut -c1-160)
    if ((rc == 124 || rc == 137)); then
      note="timed out after ${RUN_TIMEOUT}s"
    elif ((rc > 128)) && [[ -z $note ]]; then
      note="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
    fi
    note="exit $rc: $note"
    cp "$err_file" "$WORK/failed-$scenario-$name-$run.stderr" 2>/dev/null || true
    [[ -n ${KEEP_FAILED_STDERR:-} ]] && cp "$err_file" "$KEEP_FAILED_STDERR/$scenario-$name-$run.stderr"
  else
    note=$(verify_output "${TOOL_KINDS[$t]}" "$dir")
    [[ $note == ok ]] && ok=1 && note=""
  fi
  local requests=0 connections=0 sent=0 protocols=- conn_min=0 conn_max=0 conn_open_ms=0
  if ((after > before)); then
    requests=$((after - before))
    # Per connection: its requests, and when its first request arrived ($msec - $request_time).
    # conn_open_ms: from the first connection's first request to the last connection's first.
    read -r connections sent protocols conn_min conn_max conn_open_ms < <(
      tail -n +"$((before + 1))" "$NGINX_ACCESS_LOG" |
        awk '{ c[$4]++; s += $2; p[$7] = 1; t = $(NF - 1) - $NF
               if (!($4 in first) || t < first[$4]) first[$4] = t }
             END { n = 0; lo = -1; hi = 0; a = -1; b = 0
                   for (k in c) { n++; if (lo < 0 || c[k] < lo) lo = c[k]; if (c[k] > hi) hi = c[k]
                                  if (a < 0 || first[k] < a) a = first[k]; if (first[k] > b) b = first[k] }
                   ps = ""; for (k in p) ps = ps (ps == "" ? "" : ",") k
                   printf "%d %.0f %s %d %d %.0f\n", n, s, ps, lo, hi, (b - a) * 1000 }')
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" \
    "$name" "${TOOL_CONNS[$t]}" "$run" "$ok" "$wall" "$cpu" "${rss:-0}" "$requests" "$connections" \
    "$sent" "$protocols" "$TARGET_BYTES" "$TARGET_COUNT" "$busy" "$conn_min" "$conn_max" \
    "$conn_open_ms" "$note" >>"$SAMPLES"
  if ((ok)); then
    log "$scenario run $run $name: ${wall}s cpu ${cpu}s rss ${rss}KiB, $requests req / $connections conn ($protocols)"
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
    python3 "$BENCH_DIR/summarise.py" "$SAMPLES" --scenario "$scenario" "$@"
    echo
  } | tee -a "$RESULTS_FILE"
}

# note TEXT...: a paragraph under the current table.
note() { { printf '%s\n' "$@"; echo; } | tee -a "$RESULTS_FILE"; }

# results_header TITLE: the machine and tool versions, at the top of RESULTS_FILE.
results_header() {
  {
    echo "# $1"
    echo
    local commit dirty=""
    commit=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
    [[ -n "$(git -C "$REPO_DIR" status --porcelain -- src include 2>/dev/null)" ]] && dirty=" (src/ or include/ has uncommitted changes)"
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); HEAD when this scenario started: $commit$dirty"
    echo "- machine: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 2^20 }' /proc/meminfo) RAM"
    echo "- server: $("$NGINX_BIN" -v 2>&1 | sed 's/.*: //'), single process, sendfile; docroot and every output on tmpfs ($(stat -f -c %T "$WORK"), $WORK), so no disk I/O is measured"
    echo "- free pages: $FREE_PAGES_STATE"
    echo "- runs: $RUNS per tool, round-robin (run 1 of every tool, then run 2, ...); medians with (min–max); each output checked by SHA-256"
    local v
    for v in "curl --version" "aria2c --version" "axel --version" "wget2 --version"; do
      command -v "${v%% *}" >/dev/null && echo "- $($v 2>/dev/null | head -n 1 | cut -d' ' -f1-3)"
    done
    echo "- spate: $SPATE_VERSION; ${SPATE_BUILD_INFO:-$SPATE_SRC_INFO}"
    echo
  } | tee "$RESULTS_FILE"
}

# ---- Tool command lines, shared by the scenario scripts (single-quoted: measure expands them).

# shellcheck disable=SC2034  # RAW_READ and RAW_TLS_READ are used by the scenario scripts
# The floor for one connection: bash opens the socket, dd copies it to the file. HTTP/1.0 so
# nginx closes at the end; the output keeps the response headers, which verify_output checks.
# shellcheck disable=SC2016
RAW_READ='exec 3<>"/dev/tcp/$NGINX_HOST/$NGINX_PORT" &&
  printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$URL_PATH" "$NGINX_HOST" >&3 &&
  dd bs=1M of="$OUT" status=none <&3'
# The same over TLS: openssl s_client decrypts, dd writes (no HTTP/2: one HTTP/1.0 stream).
# shellcheck disable=SC2016,SC2034
RAW_TLS_READ='printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$URL_PATH" "$NGINX_HOST" |
  openssl s_client -quiet -ign_eof -connect "$NGINX_HOST:$NGINX_PORT" 2>/dev/null |
  dd bs=1M of="$OUT" status=none'

# add_spate NAME CONNS FLAGS: one file, saved as $OUT.
add_spate() {
  add_tool "$1" "$2" "\"\$SPATE_BIN\" -q $3 -d \"\$OUT_DIR\" -o \"\$OUT_NAME\" \"\$URL\""
}
# add_spate_list NAME CONNS FLAGS: every URL of $LIST into $OUT_DIR.
add_spate_list() {
  add_tool "$1" "$2" "\"\$SPATE_BIN\" -q $3 -i \"\$LIST\" -d \"\$OUT_DIR\""
}

# make_url_lists URL_PREFIX COUNT: $LIST (one URL a line, names f00000 ...) and $CURL_CONFIG
# (url/output pairs for curl -K) for COUNT files.
make_url_lists() {
  local prefix=$1 count=$2
  LIST=$WORK/list.txt
  CURL_CONFIG=$WORK/curl.cfg
  awk -v p="$prefix" -v n="$count" 'BEGIN { for (i = 0; i < n; i++) printf "%s/f%05d\n", p, i }' >"$LIST"
  awk -v p="$prefix" -v n="$count" 'BEGIN { for (i = 0; i < n; i++)
    printf "url = \"%s/f%05d\"\noutput = \"f%05d\"\n", p, i, i }' >"$CURL_CONFIG"
  export LIST CURL_CONFIG
}
