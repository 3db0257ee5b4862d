#!/usr/bin/env bash
# bench/netns.sh: the long path for S4, a pair of network namespaces joined by a veth pair, with
# DELAY_MS of delay each way and a LINK_RATE cap. Sourced by the scenario scripts (after lib.sh):
#
#   netns_up       creates SERVER_NS (10.201.0.1/30) and CLIENT_NS (10.201.0.2/30), builds and
#                  starts bench/nfq_delay in each, caps each side's egress with tbf; sets
#                  SERVER_NS, CLIENT_NS, NGINX_HOST (lib.sh then runs nginx and the tools there)
#   netns_rtt PORT median TCP connect time to NGINX_HOST:PORT from CLIENT_NS, in ms (5 tries)
#   netns_down     stops the delay programs, deletes the namespaces (and so the veth pair);
#                  idempotent, and also run by lib.sh's cleanup trap
#
# Run directly, `bench/netns.sh check` sets the path up, measures its RTT and one download's
# throughput with curl, and tears it down.
#
# The kernel here has no netem qdisc (`tc qdisc add ... netem` fails with "Specified qdisc kind is
# unknown"), so the delay is in userspace: in each namespace, iptables sends every packet that
# arrives on the veth to NFQUEUE 0, and nfq_delay holds it DELAY_MS before accepting it (see
# nfq_delay.c). Delaying on arrival rather than departure keeps the held packets from counting
# against the sender's TCP small-queue budget. tbf sits on each side's egress, before the delay:
# a bottleneck queue, then the propagation delay.
#
# TCP congestion control: both namespaces use TCP_CC (default cubic, the kernel's default), set
# explicitly because a new namespace inherits the host's choice, and that changes what S4b
# measures. This host's default is bbr: BBR paces each response of a kept-alive connection at its
# bandwidth estimate, which small responses never raise, so a 16 KiB response took 16 ms from
# first to last byte on this path (1 KiB: 0.1 ms, 8 KiB: 5 ms, 32 KiB and up: 24-26 ms); with
# reno or cubic, 0.1 ms. That is 16 ms per request for every tool, a third of a round trip. A
# namespace may only pick an algorithm listed in net.ipv4.tcp_allowed_congestion_control, so
# netns_up adds TCP_CC to that list when it is missing and netns_down restores the list.
#
# Addresses: only 10.201.0.0/30, and only inside the two namespaces made here; they have no
# other interface and no default route, so no packet can leave the machine.
#
# Environment: DELAY_MS (25, one way), LINK_RATE (tc rate, default 200mbit), TCP_CC (cubic),
# NETNS_MAX_SECONDS (7200: the delay programs exit by themselves after this).

DELAY_MS=${DELAY_MS:-25}
LINK_RATE=${LINK_RATE:-200mbit}
TCP_CC=${TCP_CC:-cubic}
NETNS_MAX_SECONDS=${NETNS_MAX_SECONDS:-7200}
NETNS_SERVER_ADDR=10.201.0.1
NETNS_CLIENT_ADDR=10.201.0.2
NETNS_TAG=""
NETNS_DELAY_PIDS=()
NETNS_STATS=""   # the delay programs' counters after netns_down
NETNS_SAVED_ALLOWED_CC=""  # net.ipv4.tcp_allowed_congestion_control before netns_up widened it

# "200mbit" -> bytes per second (tc's units: bit, kbit, mbit, gbit; decimal).
link_rate_bytes() {
  awk -v r="$1" 'BEGIN { n = r + 0; u = tolower(r); sub(/^[0-9.]+/, "", u);
    m = (u == "gbit") ? 1e9 : (u == "mbit") ? 1e6 : (u == "kbit") ? 1e3 : (u == "bit" || u == "") ? 1 : -1;
    if (m < 0) exit 1; printf "%.0f\n", n * m / 8 }'
}

# netns_packages: installs what the long path needs from Debian when it is missing (as root):
# libnetfilter-queue-dev (nfq_delay), iptables (the NFQUEUE rule), gcc, iproute2 (ip, tc).
netns_packages() {
  local missing=() p
  for p in libnetfilter-queue-dev iptables gcc iproute2; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]} (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null || die "could not install ${missing[*]}"
}

netns_build_delay() {
  local out=$1
  gcc -O2 -Wall -Wextra -o "$out" "$BENCH_DIR/nfq_delay.c" -lnetfilter_queue -lnfnetlink ||
    die "could not build nfq_delay"
}

# netns_congestion_control NS...: TCP_CC becomes the congestion control of every TCP socket
# opened in these namespaces (widening the allowed list first when it must; see the top).
netns_congestion_control() {
  local allowed ns
  allowed=$(sysctl -n net.ipv4.tcp_allowed_congestion_control) ||
    die "cannot read net.ipv4.tcp_allowed_congestion_control"
  if ! grep -qw -- "$TCP_CC" <<<"$allowed"; then
    NETNS_SAVED_ALLOWED_CC=$allowed
    sysctl -qw net.ipv4.tcp_allowed_congestion_control="$allowed $TCP_CC" ||
      die "cannot allow congestion control '$TCP_CC'" \
        "(available: $(sysctl -n net.ipv4.tcp_available_congestion_control))"
  fi
  for ns in "$@"; do
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control="$TCP_CC" ||
      die "cannot set congestion control '$TCP_CC' in $ns"
    [[ $(ip netns exec "$ns" sysctl -n net.ipv4.tcp_congestion_control) == "$TCP_CC" ]] ||
      die "congestion control in $ns is not $TCP_CC"
  done
}

# netns_iptables NS ARGS...: iptables (nft backend) in NS, or iptables-legacy when that fails.
netns_iptables() {
  local ns=$1
  shift
  ip netns exec "$ns" iptables "$@" 2>/dev/null || ip netns exec "$ns" iptables-legacy "$@"
}

netns_up() {
  [[ $(id -u) -eq 0 ]] || die "netns_up needs root"
  netns_packages
  local rate_bytes
  rate_bytes=$(link_rate_bytes "$LINK_RATE") || die "bad LINK_RATE '$LINK_RATE'"
  NETNS_TAG=spb$$
  local srv=$NETNS_TAG-srv cli=$NETNS_TAG-cli vs=${NETNS_TAG}s vc=${NETNS_TAG}c
  CLEANUP_HOOKS+=(netns_down)
  local delay_bin=$WORK/nfq_delay
  netns_build_delay "$delay_bin"

  ip netns add "$srv"
  SERVER_NS=$srv
  ip netns add "$cli"
  CLIENT_NS=$cli
  ip link add "$vs" type veth peer name "$vc"
  ip link set "$vs" netns "$srv"
  ip link set "$vc" netns "$cli"
  ip -n "$srv" addr add "$NETNS_SERVER_ADDR/30" dev "$vs"
  ip -n "$cli" addr add "$NETNS_CLIENT_ADDR/30" dev "$vc"
  local ns dev
  for ns in "$srv" "$cli"; do
    ip -n "$ns" link set lo up
  done
  ip -n "$srv" link set "$vs" up
  ip -n "$cli" link set "$vc" up
  netns_congestion_control "$srv" "$cli"

  # Egress cap: a queue of one RTT at the link rate (at least 256 KiB), bursts of 64 KiB.
  local limit=$((rate_bytes * 2 * DELAY_MS / 1000))
  ((limit < 262144)) && limit=262144
  for pair in "$srv:$vs" "$cli:$vc"; do
    ns=${pair%%:*} dev=${pair#*:}
    ip netns exec "$ns" tc qdisc add dev "$dev" root tbf rate "$LINK_RATE" burst 64kb limit "$limit" ||
      die "tc tbf failed on $dev"
  done

  # The delay: nfq_delay in each namespace first, then the rule that feeds it (until a program
  # listens, queued packets would be dropped).
  local i
  for pair in "$srv:$vs" "$cli:$vc"; do
    ns=${pair%%:*} dev=${pair#*:}
    ip netns exec "$ns" "$delay_bin" -q 0 -d "$DELAY_MS" -t "$NETNS_MAX_SECONDS" \
      -s "$WORK/nfq-$ns.stats" 2>"$WORK/nfq-$ns.log" &
    NETNS_DELAY_PIDS+=($!)
    for ((i = 0; i < 200; i++)); do
      grep -q '^nfq_delay: queue' "$WORK/nfq-$ns.log" 2>/dev/null && break
      kill -0 "${NETNS_DELAY_PIDS[-1]}" 2>/dev/null || { cat "$WORK/nfq-$ns.log" >&2; die "nfq_delay exited"; }
      sleep 0.01
    done
    ((i < 200)) || die "nfq_delay did not start in $ns"
    netns_iptables "$ns" -t mangle -A PREROUTING -i "$dev" -j NFQUEUE --queue-num 0 ||
      die "iptables NFQUEUE rule failed in $ns"
  done
  NGINX_HOST=$NETNS_SERVER_ADDR
  log "namespaces $srv ($NETNS_SERVER_ADDR) and $cli ($NETNS_CLIENT_ADDR): ${DELAY_MS} ms each way (nfq_delay), tbf $LINK_RATE, TCP $TCP_CC"
}

# netns_rtt PORT: median of 5 TCP connect times (SYN to SYN-ACK, one RTT) in ms.
netns_rtt() {
  in_client python3 - "$NGINX_HOST" "$1" <<'EOF'
import socket, statistics, sys, time
times = []
for _ in range(5):
    s = socket.socket()
    s.settimeout(5)
    t = time.monotonic()
    s.connect((sys.argv[1], int(sys.argv[2])))
    times.append((time.monotonic() - t) * 1000)
    s.close()
print(f"{statistics.median(times):.1f}")
EOF
}

netns_down() {
  local pid ns
  for pid in "${NETNS_DELAY_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${NETNS_DELAY_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  NETNS_DELAY_PIDS=()
  NETNS_STATS=""
  for ns in "$SERVER_NS" "$CLIENT_NS"; do
    [[ -n $ns ]] || continue
    [[ -f $WORK/nfq-$ns.stats ]] && NETNS_STATS+="$ns: $(cat "$WORK/nfq-$ns.stats"); "
    ip netns del "$ns" 2>/dev/null || true
  done
  if [[ -n $NETNS_SAVED_ALLOWED_CC ]]; then
    sysctl -qw net.ipv4.tcp_allowed_congestion_control="$NETNS_SAVED_ALLOWED_CC" ||
      log "could not restore net.ipv4.tcp_allowed_congestion_control to '$NETNS_SAVED_ALLOWED_CC'"
    NETNS_SAVED_ALLOWED_CC=""
  fi
  [[ -n $SERVER_NS || -n $CLIENT_NS ]] && log "namespaces removed; nfq_delay counters: ${NETNS_STATS:-none}"
  SERVER_NS="" CLIENT_NS="" NGINX_HOST=127.0.0.1
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  # Run directly: `netns.sh check` (the only command).
  set -euo pipefail
  # shellcheck source=bench/lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
  [[ ${1:-} == check ]] || { echo "usage: bench/netns.sh check" >&2; exit 2; }
  bench_init netns-check
  netns_up
  make_file "$WORK/docroot/f" "${CHECK_SIZE:-32M}"
  nginx_start "$WORK/docroot"
  log "TCP connect time (one RTT): $(netns_rtt "$NGINX_PORT") ms (expected about $((2 * DELAY_MS)) ms)"
  start=$(date +%s%N)
  in_client curl -s -o "$WORK/out/f" "$NGINX_BASE_URL/f"
  end=$(date +%s%N)
  [[ $(sha256sum <"$WORK/out/f" | cut -d' ' -f1) == "$SOURCE_SHA256" ]] || die "download mismatch"
  log "curl: $(awk -v b="$SOURCE_SIZE" -v t=$(((end - start) / 1000000)) 'BEGIN { printf "%.1f MiB/s in %.2f s", b / 2^20 / (t / 1000), t / 1000 }') (link cap $LINK_RATE)"
  nginx_stop
  netns_down
  # No traffic may leave: the namespaces are gone, and with them the veth pair.
  ip link show | grep -q "spb$$" && die "veth left behind"
  log "check done"
fi
