#!/usr/bin/env bash
# Data-plane benchmark: FiberLB (its two data-plane engines, netty and pekko, as two servers) vs HAProxy (TCP mode)
# vs nginx stream vs direct-to-backend, side by side in one run, interleaved, on loopback. Three HTTP backends (one
# nginx instance of our own on three free 127.0.0.1 ports) and an iperf3 server; load by wrk and iperf3; optional
# syscall counts (strace) and UDP (a Python echo server and load generator). See bench/dataplane/README.md for what
# each number means.
#
# Usage: bench/dataplane/run.sh [--targets haproxy,nginx,direct,fiberlb] [--duration 10] [--runs 3] [options]
#        bench/dataplane/run.sh --help
#
# Installs haproxy, nginx (+ its stream module), wrk, iperf3, python3 (and strace for --syscalls) with apt-get when
# they are missing (needs root), and for the fiberlb targets a JDK (jcmd for the heap figure) and Maven when
# FiberLB's jar has to be built.
set -euo pipefail

here="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PYTHONDONTWRITEBYTECODE=1 # idleconns.py imports procstat.py: no __pycache__ in the source tree
root="$(cd -P "$here/../.." && pwd)"

TARGETS="haproxy,nginx,direct,fiberlb"
DURATION=10
RUNS=3
WARMUP=3
CONNECTIONS=64
THREADS=2
CONNS=2000
C1K=1000
C1K_DURATION=4
RATE=5000
RATE_DURATION=4
RATE_CONNECTIONS=16
SYSCALLS=0
SYSCALLS_DURATION=3
UDP=0
UDP_FLOWS=8
UDP_WINDOW=8
FIBERLB_DEADLINE=60
BACKEND_WORKERS=1
NGINX_WORKERS=2
HAPROXY_THREADS=2
INSTALL=1
OUT=""

usage() {
  cat <<EOF
Usage: bench/dataplane/run.sh [options]

Measures, for each target, in interleaved runs: keep-alive req/s and p99 (wrk --latency -c64), latency at a fixed
request rate (wrk + paced.lua), new connections/s (wrk with 'Connection: close'), 1,000 connections at once (slow
responses, responses per connection), single-stream iperf3 throughput, RSS (and for FiberLB live heap) per open idle
connection, and the proxy's CPU time per request / per new connection / per GiB. Optionally syscalls per
keep-alive request (strace -c) and UDP round trips/s. Prints a markdown table of medians and ratios at the end.

Options (also --name=value):
  --targets LIST        comma-separated, any of haproxy,nginx,direct,fiberlb-netty,fiberlb-pekko; fiberlb = both
                        FiberLB engines (default: $TARGETS)
  --duration SECONDS    length of each wrk and iperf3 run (default: $DURATION)
  --runs N              measured runs of every test and target; medians are reported (default: $RUNS)
  --warmup SECONDS      one unrecorded keep-alive and one close wrk run per target first; 0 = none (default: $WARMUP)
  --connections N       wrk -c (default: $CONNECTIONS)
  --threads N           wrk -t (default: $THREADS)
  --conns N             idle connections opened for the RSS/heap test (default: $CONNS)
  --c1k N               connections of the many-connections test; 0 = no such test (default: $C1K)
  --c1k-duration S      its length (default: $C1K_DURATION)
  --rate R              requests/s of the fixed-rate latency test; 0 = no such test (default: $RATE)
  --rate-duration S     its length (default: $RATE_DURATION)
  --rate-connections N  connections (and wrk threads) sharing that rate (default: $RATE_CONNECTIONS)
  --syscalls            also count syscalls per keep-alive request: strace -c -f on each proxy, once per target,
                        after the runs (strace slows the proxy down many times; only the count per request matters)
  --syscalls-duration S the wrk run under strace (default: $SYSCALLS_DURATION)
  --udp                 also UDP round trips/s through nginx stream and FiberLB (and direct), every run
  --udp-flows N         UDP flows (client sockets) of the load generator (default: $UDP_FLOWS)
  --udp-window N        datagrams in flight per flow (default: $UDP_WINDOW)
  --fiberlb-deadline S  how long FiberLB's VIP may take to answer after configuration (default: $FIBERLB_DEADLINE)
  --backend-workers N   worker processes of the backend nginx (default: $BACKEND_WORKERS)
  --nginx-workers N     worker processes of the nginx stream proxy (default: $NGINX_WORKERS)
  --haproxy-threads N   HAProxy nbthread (default: $HAPROXY_THREADS)
  --no-install          never run apt-get; fail if a tool is missing
  --out DIR             results directory (default: bench/results/dataplane-<timestamp>)

Environment: FIBERLB_JAVA_OPTS (JVM options of both FiberLB servers), FIBERLB_NETTY_JAVA_OPTS and
FIBERLB_PEKKO_JAVA_OPTS (added for one engine's server only), FIBERLB_CLI_JAVA_OPTS (JVM options of the CLI calls
that configure them; the CLI does not get FIBERLB_JAVA_OPTS). The other FIBERLB_* variables of application.conf
reach the servers too, except the ports, data dir, VIP range and FIBERLB_DATAPLANE_ENGINE, which the script sets.
EOF
}

while [ $# -gt 0 ]; do
  opt="$1"
  val=""
  case "$opt" in
    -h|--help) usage; exit 0 ;;
    --no-install) INSTALL=0; shift; continue ;;
    --syscalls) SYSCALLS=1; shift; continue ;;
    --udp) UDP=1; shift; continue ;;
    --*=*) val="${opt#*=}"; opt="${opt%%=*}"; shift ;;
    --*) [ $# -ge 2 ] || { echo "$opt needs a value" >&2; exit 2; }; val="$2"; shift 2 ;;
    *) echo "unknown argument: $opt (see --help)" >&2; exit 2 ;;
  esac
  case "$opt" in
    --targets) TARGETS="$val" ;;
    --duration) DURATION="$val" ;;
    --runs) RUNS="$val" ;;
    --warmup) WARMUP="$val" ;;
    --connections) CONNECTIONS="$val" ;;
    --threads) THREADS="$val" ;;
    --conns) CONNS="$val" ;;
    --c1k) C1K="$val" ;;
    --c1k-duration) C1K_DURATION="$val" ;;
    --rate) RATE="$val" ;;
    --rate-duration) RATE_DURATION="$val" ;;
    --rate-connections) RATE_CONNECTIONS="$val" ;;
    --syscalls-duration) SYSCALLS_DURATION="$val" ;;
    --udp-flows) UDP_FLOWS="$val" ;;
    --udp-window) UDP_WINDOW="$val" ;;
    --fiberlb-deadline) FIBERLB_DEADLINE="$val" ;;
    --backend-workers) BACKEND_WORKERS="$val" ;;
    --nginx-workers) NGINX_WORKERS="$val" ;;
    --haproxy-threads) HAPROXY_THREADS="$val" ;;
    --out) OUT="$val" ;;
    *) echo "unknown option: $opt (see --help)" >&2; exit 2 ;;
  esac
done
for n in DURATION RUNS WARMUP CONNECTIONS THREADS CONNS FIBERLB_DEADLINE BACKEND_WORKERS NGINX_WORKERS HAPROXY_THREADS \
  C1K C1K_DURATION RATE RATE_DURATION RATE_CONNECTIONS SYSCALLS_DURATION UDP_FLOWS UDP_WINDOW; do
  [[ "${!n}" =~ ^[0-9]+$ ]] || { echo "--$(tr 'A-Z_' 'a-z-' <<< "$n") must be a whole number, got '${!n}'" >&2; exit 2; }
done
[ "$RUNS" -ge 1 ] && [ "$DURATION" -ge 1 ] || { echo "--runs and --duration must be at least 1" >&2; exit 2; }
[ "$C1K" = 0 ] || [ "$C1K_DURATION" -ge 1 ] || { echo "--c1k-duration must be at least 1" >&2; exit 2; }
[ "$RATE" = 0 ] || { [ "$RATE_DURATION" -ge 1 ] && [ "$RATE_CONNECTIONS" -ge 1 ]; } ||
  { echo "--rate-duration and --rate-connections must be at least 1" >&2; exit 2; }
[ "$SYSCALLS_DURATION" -ge 1 ] && [ "$UDP_FLOWS" -ge 1 ] && [ "$UDP_WINDOW" -ge 1 ] ||
  { echo "--syscalls-duration, --udp-flows and --udp-window must be at least 1" >&2; exit 2; }
WANT=()
for t in ${TARGETS//,/ }; do
  case "$t" in
    fiberlb) t="fiberlb-netty fiberlb-pekko" ;; # both engines
    haproxy|nginx|direct|fiberlb-netty|fiberlb-pekko) ;;
    *) echo "unknown target '$t' (haproxy, nginx, direct, fiberlb-netty, fiberlb-pekko, fiberlb = both)" >&2; exit 2 ;;
  esac
  for u in $t; do [[ " ${WANT[*]:-} " == *" $u "* ]] || WANT+=("$u"); done
done
[ ${#WANT[@]} -gt 0 ] || { echo "no targets" >&2; exit 2; }
wants() { [[ " ${WANT[*]} " == *" $1 "* ]]; }
wants_fiberlb() { wants fiberlb-netty || wants fiberlb-pekko; }
FIBERLB_TARGETS=()
for t in "${WANT[@]}"; do [[ "$t" == fiberlb-* ]] && FIBERLB_TARGETS+=("$t"); done

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---- processes: every one we start is recorded and stopped by its own PID on exit -------------------------------

STARTED=()       # PIDs, in start order
LOAD_PID=""      # the wrk / iperf3 / idleconns.py / udpbench.py run in progress
STRACE_PID=""    # strace attached to a proxy (--syscalls)
POLICY_MADE=0
FIBERLB_DATAS=() # the FiberLB servers' temporary data dirs

stop_pid() { # PID [seconds before SIGKILL]
  local pid="$1" grace="${2:-10}" i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid did not stop in ${grace}s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  [ -n "$LOAD_PID" ] && stop_pid "$LOAD_PID" 5
  [ -n "$STRACE_PID" ] && stop_pid "$STRACE_PID" 5 # strace detaches on SIGTERM; the proxy runs on
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    stop_pid "${STARTED[$i]}" 60
  done
  if [ "$POLICY_MADE" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  for i in "${FIBERLB_DATAS[@]}"; do rm -rf "$i"; done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_bg LOGFILE CMD...: starts CMD in the background, records its PID in STARTED and in $BG_PID.
start_bg() {
  local logf="$1"
  shift
  "$@" >"$logf" 2>&1 &
  BG_PID=$!
  STARTED+=("$BG_PID")
}

# run_load OUTFILE CMD...: runs a load generator in the background and waits for it (so a signal can interrupt it
# and the EXIT trap stops it by its PID). Returns its exit status.
run_load() {
  local outf="$1" rc=0
  shift
  "$@" >"$outf" 2>&1 &
  LOAD_PID=$!
  wait "$LOAD_PID" || rc=$?
  LOAD_PID=""
  return $rc
}

# ---- tools -----------------------------------------------------------------------------------------------------

apt_install() {
  [ "$INSTALL" = 1 ] || die "missing: $*; install them or drop --no-install"
  [ "$(id -u)" = 0 ] || die "missing: $*; run as root (the script installs them with apt-get) or install them"
  command -v apt-get >/dev/null || die "missing: $*, and there is no apt-get here"
  # Debian starts a service as soon as its package is installed; a policy-rc.d answering 101 ("not allowed")
  # stops that, so no haproxy/nginx/iperf3 daemon is left running outside this script. Removed again on exit.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_MADE=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
  if [ "$POLICY_MADE" = 1 ]; then rm -f /usr/sbin/policy-rc.d; POLICY_MADE=0; fi
}

stream_module=""  # the load_module line the nginx stream proxy needs, if any
nginx_stream_module() {
  local v modpath
  v="$(nginx -V 2>&1)"
  if grep -q -- '--with-stream=dynamic' <<< "$v"; then
    modpath="$(sed -n 's/.*--modules-path=\([^ ]*\).*/\1/p' <<< "$v")"
    echo "${modpath:-/usr/lib/nginx/modules}/ngx_stream_module.so"
  elif grep -q -- '--with-stream' <<< "$v"; then
    echo static
  else
    echo none
  fi
}

install_tools() {
  local need=() c
  for c in wrk iperf3 nginx python3; do command -v "$c" >/dev/null || need+=("$c"); done
  if wants haproxy && ! command -v haproxy >/dev/null; then need+=(haproxy); fi
  if [ "$SYSCALLS" = 1 ] && ! command -v strace >/dev/null; then need+=(strace); fi
  if wants nginx; then
    if ! command -v nginx >/dev/null; then
      need+=(libnginx-mod-stream)
    else
      local m
      m="$(nginx_stream_module)"
      if [ "$m" = none ] || { [ "$m" != static ] && [ ! -f "$m" ]; }; then need+=(libnginx-mod-stream); fi
    fi
  fi
  # The JDK, not the JRE: jcmd (for the live heap per connection) comes with it.
  if wants_fiberlb; then
    command -v java >/dev/null && command -v jcmd >/dev/null || need+=(default-jdk-headless)
    if fiberlb_jar_stale; then
      command -v javac >/dev/null || need+=(default-jdk-headless)
      command -v mvn >/dev/null || need+=(maven)
    fi
  fi
  if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
  if wants nginx; then
    local m
    m="$(nginx_stream_module)"
    case "$m" in
      static) stream_module="" ;;
      none) die "this nginx has no stream module" ;;
      *) [ -f "$m" ] || die "nginx's stream module $m is missing (package libnginx-mod-stream)"
         stream_module="load_module $m;" ;;
    esac
  fi
}

# ---- FiberLB's jar ---------------------------------------------------------------------------------------------

fiberlb_jar_stale() {
  local jar="$root/target/fiberlb.jar"
  [ ! -f "$jar" ] || [ "$root/pom.xml" -nt "$jar" ] ||
    [ -n "$(find "$root/src/main" -newer "$jar" -print -quit)" ]
}

# Builds target/fiberlb.jar when it is older than the sources, under bin/fiberlb's lock. Tests are not even
# compiled (-Dmaven.test.skip): the benchmark needs only the main classes, and a half-edited test must not stop it.
fiberlb_build() {
  fiberlb_jar_stale || return 0
  mkdir -p "$root/target"
  (
    exec 9>"$root/target/.fiberlb-build.lock"
    if command -v flock >/dev/null; then flock 9; fi
    if fiberlb_jar_stale; then
      log "building target/fiberlb.jar (mvn -q -B -Dmaven.test.skip=true package)"
      cd "$root" && mvn -q -B -Dmaven.test.skip=true package >&2
    fi
  )
}

# ---- helpers ---------------------------------------------------------------------------------------------------

# N distinct free TCP ports on 127.0.0.1 (all bound at once, then released).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# N distinct free UDP ports on 127.0.0.1.
free_udp_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# http_probe HOST PORT: six GET / (a new connection each); prints how many different backends answered, fails
# unless every one got 200.
http_probe() {
  python3 - "$1" "$2" <<'EOF' 2>/dev/null
import http.client, sys
seen = set()
for _ in range(6):
    c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=2)
    c.request("GET", "/", headers={"Connection": "close"})
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 200:
        sys.exit(1)
    seen.add(body)
print(len(seen))
EOF
}

# wait_http HOST PORT SECONDS [PID]: until http_probe succeeds (prints its answer), the time is up or PID exited.
wait_http() {
  local host="$1" port="$2" deadline=$((SECONDS + $3)) pid="${4:-}" n
  while :; do
    if n="$(http_probe "$host" "$port")"; then echo "$n"; return 0; fi
    [ "$SECONDS" -lt "$deadline" ] || return 1
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.5
  done
}

# version CMD ARGS: the first line CMD prints (wrk -v exits 1 and head closes the pipe early: both are fine).
version() {
  command -v "$1" >/dev/null || { echo -; return 0; }
  { "$@" 2>&1 || true; } | head -1
}

json_get() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# ---- set-up ----------------------------------------------------------------------------------------------------

install_tools
[ -n "$OUT" ] || OUT="$root/bench/results/dataplane-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT/raw"
OUT="$(cd -P "$OUT" && pwd)"
RAW="$OUT/raw"
: > "$OUT/targets.tsv"

# Every proxied connection holds two sockets; the RSS test opens $CONNS at once. Raise the open-file limit as far
# as we may (a container may cap it below 65536) and size the proxies' limits to what we got.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE="$(ulimit -n)"
[ "$NOFILE" = unlimited ] && NOFILE=65536
[ "$NOFILE" -ge $((2 * CONNS + 1000)) ] || log "WARNING: open-file limit $NOFILE is low for --conns $CONNS"
WORKER_CONNECTIONS=$((NOFILE - 100 < 20000 ? NOFILE - 100 : 20000))
HAPROXY_MAXCONN=$(((NOFILE - 200) / 2))

read -r B1 B2 B3 IPERF_PORT HA_HTTP HA_BULK NG_HTTP NG_BULK FLN_HTTP FLN_BULK FLP_HTTP FLP_BULK <<< "$(free_ports 12)"
read -r ECHO_UDP NG_UDP FLN_UDP FLP_UDP <<< "$(free_udp_ports 4)"
declare -A FL_HTTP FL_BULK FL_UDP FL_DATA FL_GRPC FL_REASON
FL_HTTP[fiberlb-netty]=$FLN_HTTP; FL_BULK[fiberlb-netty]=$FLN_BULK; FL_UDP[fiberlb-netty]=$FLN_UDP
FL_HTTP[fiberlb-pekko]=$FLP_HTTP; FL_BULK[fiberlb-pekko]=$FLP_BULK; FL_UDP[fiberlb-pekko]=$FLP_UDP
RATE_PER_CONN="$(python3 -c "print($RATE / $RATE_CONNECTIONS)")"
TESTS=(ka)
[ "$RATE" -gt 0 ] && TESTS+=(rate)
TESTS+=(close)
[ "$C1K" -gt 0 ] && TESTS+=(c1k)
TESTS+=(bulk conns)
[ "$UDP" = 1 ] && TESTS+=(udp)

{
  echo "host: $(uname -srm), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GB RAM"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "haproxy: $(version haproxy -v)"
  echo "nginx: $(version nginx -v)"
  echo "wrk: $(version wrk -v)"
  echo "iperf3: $(version iperf3 --version)"
  [ "$SYSCALLS" = 1 ] && echo "strace: $(version strace -V)"
  echo "java: $(version java -version)"
  echo "git: $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "open files: $NOFILE"
  echo "sysctl: tcp_tw_reuse=$(cat /proc/sys/net/ipv4/tcp_tw_reuse) ip_local_port_range=$(tr '\t' - < /proc/sys/net/ipv4/ip_local_port_range) somaxconn=$(cat /proc/sys/net/core/somaxconn)"
  echo "targets: ${WANT[*]}  duration ${DURATION}s  runs $RUNS  warmup ${WARMUP}s  wrk -t$THREADS -c$CONNECTIONS  idle conns $CONNS"
  echo "tests: ${TESTS[*]}$([ "$SYSCALLS" = 1 ] && echo " + syscalls (${SYSCALLS_DURATION}s, once)")  c1k $C1K x ${C1K_DURATION}s  rate $RATE/s over $RATE_CONNECTIONS connections x ${RATE_DURATION}s  udp $UDP_FLOWS flows x $UDP_WINDOW in flight"
  echo "backend nginx workers $BACKEND_WORKERS, nginx stream workers $NGINX_WORKERS, HAProxy nbthread $HAPROXY_THREADS"
} | tee "$OUT/machine.txt" >&2
printf 'duration=%s\nruns=%s\nthreads=%s\nconnections=%s\nconns=%s\nc1k=%s\nc1k_duration=%s\nrate=%s\nrate_duration=%s\nrate_connections=%s\nsyscalls_duration=%s\nudp_flows=%s\nudp_window=%s\n' \
  "$DURATION" "$RUNS" "$THREADS" "$CONNECTIONS" "$CONNS" "$C1K" "$C1K_DURATION" "$RATE" "$RATE_DURATION" \
  "$RATE_CONNECTIONS" "$SYSCALLS_DURATION" "$UDP_FLOWS" "$UDP_WINDOW" > "$OUT/params.txt"

nginx_e=()
if nginx -h 2>&1 | grep -q -- '-e filename'; then nginx_e=(-e stderr); fi

# The backends: one nginx (not the one under test) answering a small fixed body, which names the port so that a
# probe through a proxy can see the round robin. /c1k (the many-connections test, c1k.lua) adds the backend
# connection that served the request (worker pid and connection serial) and the send time the request carried.
mkdir -p "$OUT/backend/tmp"
cat > "$OUT/backend/nginx.conf" <<EOF
worker_processes $BACKEND_WORKERS;
daemon off;
master_process on;
pid $OUT/backend/nginx.pid;
error_log $OUT/backend/error.log warn;
worker_rlimit_nofile $NOFILE;
events { worker_connections $WORKER_CONNECTIONS; }
http {
  access_log off;
  server_tokens off;
  default_type text/plain;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_header_timeout 300s;
  client_body_temp_path $OUT/backend/tmp/body;
  proxy_temp_path $OUT/backend/tmp/proxy;
  fastcgi_temp_path $OUT/backend/tmp/fastcgi;
  uwsgi_temp_path $OUT/backend/tmp/uwsgi;
  scgi_temp_path $OUT/backend/tmp/scgi;
  server {
    listen 127.0.0.1:$B1;
    listen 127.0.0.1:$B2;
    listen 127.0.0.1:$B3;
    location / { return 200 "fiberlb bench backend \$server_port\n"; }
    location /c1k { return 200 "fiberlb bench backend \$server_port \$pid.\$connection \$arg_t\n"; }
  }
}
EOF
start_bg "$OUT/backend/nginx.log" nginx "${nginx_e[@]}" -p "$OUT/backend/" -c "$OUT/backend/nginx.conf"
BACKEND_PID=$BG_PID
start_bg "$OUT/iperf3-server.log" iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT"
IPERF_PID=$BG_PID
ECHO_PID=-
if [ "$UDP" = 1 ]; then # the UDP backend: one echo server, one thread
  start_bg "$OUT/udp-echo.log" python3 "$here/udpbench.py" echo --host 127.0.0.1 --port "$ECHO_UDP"
  ECHO_PID=$BG_PID
fi

declare -A HOST HTTP_PORT BULK_PORT PROXY_PID UDP_HOST UDP_PORT
HOST[direct]=127.0.0.1; HTTP_PORT[direct]=$B1; BULK_PORT[direct]=$IPERF_PORT; PROXY_PID[direct]=-
UDP_HOST[direct]=127.0.0.1; UDP_PORT[direct]=$ECHO_UDP

if wants haproxy; then
  mkdir -p "$OUT/haproxy"
  cat > "$OUT/haproxy/haproxy.cfg" <<EOF
global
  nbthread $HAPROXY_THREADS
  maxconn $HAPROXY_MAXCONN

defaults
  mode tcp
  timeout connect 5s
  timeout client 300s
  timeout server 300s

frontend web
  bind 127.0.0.1:$HA_HTTP
  default_backend web

backend web
  balance roundrobin
  server b1 127.0.0.1:$B1
  server b2 127.0.0.1:$B2
  server b3 127.0.0.1:$B3

frontend bulk
  bind 127.0.0.1:$HA_BULK
  default_backend bulk

backend bulk
  server iperf3 127.0.0.1:$IPERF_PORT
EOF
  start_bg "$OUT/haproxy/haproxy.log" haproxy -db -f "$OUT/haproxy/haproxy.cfg"
  HOST[haproxy]=127.0.0.1; HTTP_PORT[haproxy]=$HA_HTTP; BULK_PORT[haproxy]=$HA_BULK; PROXY_PID[haproxy]=$BG_PID
fi

if wants nginx; then
  mkdir -p "$OUT/nginx-stream"
  cat > "$OUT/nginx-stream/nginx.conf" <<EOF
$stream_module
worker_processes $NGINX_WORKERS;
daemon off;
master_process on;
pid $OUT/nginx-stream/nginx.pid;
error_log $OUT/nginx-stream/error.log warn;
worker_rlimit_nofile $NOFILE;
events { worker_connections $WORKER_CONNECTIONS; }
stream {
  proxy_connect_timeout 5s;
  proxy_timeout 300s;
  upstream web {
    server 127.0.0.1:$B1;
    server 127.0.0.1:$B2;
    server 127.0.0.1:$B3;
  }
  upstream bulk { server 127.0.0.1:$IPERF_PORT; }
  server { listen 127.0.0.1:$NG_HTTP; proxy_pass web; }
  server { listen 127.0.0.1:$NG_BULK; proxy_pass bulk; }
$([ "$UDP" = 1 ] && cat <<UDPEOF
  # UDP: one session per client address and port (the flow), kept while datagrams come within proxy_timeout.
  upstream udpecho { server 127.0.0.1:$ECHO_UDP; }
  server { listen 127.0.0.1:$NG_UDP udp; proxy_pass udpecho; proxy_timeout 30s; }
UDPEOF
)
}
EOF
  start_bg "$OUT/nginx-stream/nginx.log" nginx "${nginx_e[@]}" -p "$OUT/nginx-stream/" -c "$OUT/nginx-stream/nginx.conf"
  HOST[nginx]=127.0.0.1; HTTP_PORT[nginx]=$NG_HTTP; BULK_PORT[nginx]=$NG_BULK; PROXY_PID[nginx]=$BG_PID
fi

# FiberLB: one server per engine (FIBERLB_DATAPLANE_ENGINE=netty|pekko), each on a fresh data dir with gRPC and
# metrics on port 0 and a VIP range of its own, then one load balancer with a web listener (3 backends, ROUND_ROBIN)
# and a bulk listener (the iperf3 server) configured through the CLI, as a user would. Both servers start before
# either is configured (their JVMs boot side by side). Any failure only marks that target "not available"; the
# other targets are measured anyway.
#
# The CLI calls get neither FIBERLB_JAVA_OPTS (it is the servers'; options such as another GC or JFR made the CLI
# JVM refuse to start or wrote into its JSON output) nor FIBERLB_DATAPLANE_ENGINE; FIBERLB_CLI_JAVA_OPTS is theirs.
FL_BUILD_REASON=""
fiberlb_start() { # TARGET (fiberlb-netty | fiberlb-pekko)
  local t="$1" engine="${1#fiberlb-}" extra="" range
  mkdir -p "$OUT/$t"
  if [ -n "$FL_BUILD_REASON" ]; then FL_REASON[$t]="$FL_BUILD_REASON"; return 1; fi
  FL_DATA[$t]="$(mktemp -d /tmp/fiberlb-dataplane-XXXXXX)"
  FIBERLB_DATAS+=("${FL_DATA[$t]}")
  # A VIP range of this server's own, away from the default 127.0.10.0/24 that other servers on this box may use
  # and from the other engine's.
  while :; do
    range="127.$((64 + RANDOM % 64)).$((RANDOM % 256)).0/24"
    [[ " ${FL_RANGES:-} " == *" $range "* ]] || break
  done
  FL_RANGES="${FL_RANGES:-} $range"
  case "$engine" in
    netty) extra="${FIBERLB_NETTY_JAVA_OPTS:-}" ;;
    pekko) extra="${FIBERLB_PEKKO_JAVA_OPTS:-}" ;;
  esac
  start_bg "$OUT/$t/server.log" env FIBERLB_DATAPLANE_ENGINE="$engine" \
    FIBERLB_JAVA_OPTS="${FIBERLB_JAVA_OPTS:-}${extra:+ $extra}" \
    FIBERLB_GRPC_PORT=0 FIBERLB_DATA_DIR="${FL_DATA[$t]}" FIBERLB_METRICS_PORT=0 FIBERLB_CLUSTER_PORT=0 \
    FIBERLB_VIP_RANGE="$range" "$root/bin/fiberlb" server
  PROXY_PID[$t]=$BG_PID # bin/fiberlb execs java: this is the JVM
  echo "engine $engine, VIP range $range, data dir ${FL_DATA[$t]}, FIBERLB_JAVA_OPTS='${FIBERLB_JAVA_OPTS:-}${extra:+ $extra}'" \
    > "$OUT/$t/setup.log"
  log "$t: server pid $BG_PID, FIBERLB_DATAPLANE_ENGINE=$engine, VIP range $range"
}

# flb TARGET ARGS...: one CLI call (--json) against TARGET's server; stdout is the reply, everything goes to
# TARGET/setup.log, the error output of the last call stays in TARGET/last.err (flb_err gives its gist).
flb() {
  local t="$1" rc=0
  shift
  echo "\$ fiberlb $*" >> "$OUT/$t/setup.log"
  env -u FIBERLB_DATAPLANE_ENGINE FIBERLB_JAVA_OPTS="${FIBERLB_CLI_JAVA_OPTS:-}" \
    "$root/bin/fiberlb" --server "127.0.0.1:${FL_GRPC[$t]}" --json "$@" > "$OUT/$t/last.out" 2> "$OUT/$t/last.err" || rc=$?
  cat "$OUT/$t/last.out" "$OUT/$t/last.err" >> "$OUT/$t/setup.log"
  cat "$OUT/$t/last.out"
  return $rc
}
flb_err() { grep -v '^[[:space:]]*$' "$OUT/$1/last.err" 2>/dev/null | tail -n 2 | tr '\n' ' ' | cut -c1-240; }

fiberlb_configure() { # TARGET
  local t="$1" i lb pool bpool
  [ -n "${PROXY_PID[$t]:-}" ] || return 1
  for ((i = 0; i < 1200; i++)); do
    [ -s "${FL_DATA[$t]}/grpc.port" ] && break
    kill -0 "${PROXY_PID[$t]}" 2>/dev/null || { FL_REASON[$t]="the server exited at start ($t/server.log)"; return 1; }
    sleep 0.1
  done
  FL_GRPC[$t]="$(tr -d '[:space:]' < "${FL_DATA[$t]}/grpc.port" 2>/dev/null || true)"
  [ -n "${FL_GRPC[$t]}" ] || { FL_REASON[$t]="no gRPC port after 120 s"; return 1; }
  lb="$(flb "$t" lb create --name bench-dataplane)" ||
    { FL_REASON[$t]="lb create failed: $(flb_err "$t") ($t/setup.log)"; return 1; }
  HOST[$t]="$(json_get vip_address <<< "$lb")"
  lb="$(json_get id <<< "$lb")"
  pool="$(flb "$t" pool create --lb "$lb" --name web --protocol TCP --lb-algorithm ROUND_ROBIN | json_get id)" &&
    flb "$t" backend create --lb "$lb" --pool "$pool" --name b1 --address 127.0.0.1 --protocol-port "$B1" >/dev/null &&
    flb "$t" backend create --lb "$lb" --pool "$pool" --name b2 --address 127.0.0.1 --protocol-port "$B2" >/dev/null &&
    flb "$t" backend create --lb "$lb" --pool "$pool" --name b3 --address 127.0.0.1 --protocol-port "$B3" >/dev/null &&
    bpool="$(flb "$t" pool create --lb "$lb" --name bulk --protocol TCP --lb-algorithm ROUND_ROBIN | json_get id)" &&
    flb "$t" backend create --lb "$lb" --pool "$bpool" --name iperf3 --address 127.0.0.1 --protocol-port "$IPERF_PORT" >/dev/null &&
    flb "$t" listener create --lb "$lb" --name web --protocol TCP --protocol-port "${FL_HTTP[$t]}" --default-pool-id "$pool" \
      --timeout-client-idle 5m --timeout-backend-idle 5m >/dev/null &&
    flb "$t" listener create --lb "$lb" --name bulk --protocol TCP --protocol-port "${FL_BULK[$t]}" --default-pool-id "$bpool" \
      --timeout-client-idle 5m --timeout-backend-idle 5m >/dev/null ||
    { FL_REASON[$t]="configuration through the CLI failed: $(flb_err "$t") ($t/setup.log)"; return 1; }
  echo "\$ fiberlb lb status $lb" >> "$OUT/$t/setup.log"
  env -u FIBERLB_DATAPLANE_ENGINE FIBERLB_JAVA_OPTS="${FIBERLB_CLI_JAVA_OPTS:-}" \
    "$root/bin/fiberlb" --server "127.0.0.1:${FL_GRPC[$t]}" lb status "$lb" >> "$OUT/$t/setup.log" 2>&1 || true
  HTTP_PORT[$t]=${FL_HTTP[$t]}; BULK_PORT[$t]=${FL_BULK[$t]}
  log "$t configured: load balancer $lb, VIP ${HOST[$t]}, web :${HTTP_PORT[$t]}, bulk :${BULK_PORT[$t]}"
}

# UDP through FiberLB (--udp): a second load balancer (so that a refused or broken UDP listener cannot disturb the
# TCP one), a UDP pool with the echo server, a UDP listener. The data plane may not do UDP yet: the reason why not
# goes to udp-targets.tsv.
fiberlb_udp_setup() { # TARGET; sets UDP_HOST/UDP_PORT, or FL_REASON
  local t="$1" lb pool
  lb="$(flb "$t" lb create --name bench-udp)" || { FL_REASON[$t]="lb create failed: $(flb_err "$t")"; return 1; }
  UDP_HOST[$t]="$(json_get vip_address <<< "$lb")"
  lb="$(json_get id <<< "$lb")"
  pool="$(flb "$t" pool create --lb "$lb" --name udp --protocol UDP --lb-algorithm ROUND_ROBIN | json_get id)" ||
    { FL_REASON[$t]="the CLI refused pool create --protocol UDP: $(flb_err "$t")"; return 1; }
  flb "$t" backend create --lb "$lb" --pool "$pool" --name echo --address 127.0.0.1 --protocol-port "$ECHO_UDP" >/dev/null ||
    { FL_REASON[$t]="the CLI refused backend create in the UDP pool: $(flb_err "$t")"; return 1; }
  flb "$t" listener create --lb "$lb" --name udp --protocol UDP --protocol-port "${FL_UDP[$t]}" --default-pool-id "$pool" \
    >/dev/null || { FL_REASON[$t]="the CLI refused listener create --protocol UDP: $(flb_err "$t")"; return 1; }
  if ! python3 "$here/udpbench.py" probe --host "${UDP_HOST[$t]}" --port "${FL_UDP[$t]}" --timeout 20 \
      >> "$OUT/$t/setup.log" 2>&1; then
    FL_REASON[$t]="the CLI accepted the UDP listener, but ${UDP_HOST[$t]}:${FL_UDP[$t]} did not echo a datagram within 20 s"
    return 1
  fi
  UDP_PORT[$t]=${FL_UDP[$t]}
}

# Which engine really runs: FIBERLB_DATAPLANE_ENGINE is only a request. The server logs "data plane engine: NAME"
# (netty-epoll, netty-nio, pekko) at start; its threads (names and counts) go to TARGET/threads.txt.
engine_evidence() { # TARGET
  local t="$1" want="${1#fiberlb-}" line
  python3 "$here/procstat.py" threads "${PROXY_PID[$t]}" | sort | uniq -c | sort -rn > "$OUT/$t/threads.txt" || true
  line="$(grep -o 'data plane engine: [^ ]*' "$OUT/$t/server.log" | tail -n 1 || true)"
  if [ -z "$line" ]; then
    echo "WARNING: server.log does not name the data plane engine (asked for $want)"
  elif [[ "${line#data plane engine: }" == "$want"* ]]; then
    echo "$line"
  else
    echo "WARNING: asked for $want, server.log says '$line'"
  fi
}

# Which targets answer. FiberLB gets --fiberlb-deadline (its listener is reconciled after the API call returns),
# the others 15 s.
ACTIVE=()
n="$(wait_http 127.0.0.1 "$B1" 15)" || die "the backend nginx does not answer on 127.0.0.1:$B1 (see $OUT/backend/)"
if wants_fiberlb && ! fiberlb_build; then FL_BUILD_REASON="the jar does not build"; fi
for t in "${FIBERLB_TARGETS[@]}"; do fiberlb_start "$t" || true; done
for t in "${WANT[@]}"; do
  detail=""
  case "$t" in
    direct) ok=1; n=1 ;;
    fiberlb-*)
      ok=0
      if fiberlb_configure "$t"; then
        if n="$(wait_http "${HOST[$t]}" "${HTTP_PORT[$t]}" "$FIBERLB_DEADLINE" "${PROXY_PID[$t]}")"; then
          ok=1
          detail="; $(engine_evidence "$t")"
        else FL_REASON[$t]="VIP ${HOST[$t]}:${HTTP_PORT[$t]} did not answer HTTP within ${FIBERLB_DEADLINE}s"; fi
      fi
      if [ "$ok" = 0 ] && [ -n "${PROXY_PID[$t]:-}" ]; then
        stop_pid "${PROXY_PID[$t]}" 60 # no reason to let it take CPU from the others
      fi ;;
    *)
      ok=0
      if n="$(wait_http "${HOST[$t]}" "${HTTP_PORT[$t]}" 15 "${PROXY_PID[$t]}")"; then ok=1; fi ;;
  esac
  if [ "$ok" = 1 ]; then
    ACTIVE+=("$t")
    printf '%s\tok\t%s backend(s) seen in 6 connections%s\n' "$t" "$n" "$detail" >> "$OUT/targets.tsv"
    log "$t: answers on ${HOST[$t]}:${HTTP_PORT[$t]} ($n backend(s) seen in 6 connections$detail)"
  else
    if [[ "$t" == fiberlb-* ]]; then reason="${FL_REASON[$t]:-unknown}"
    elif kill -0 "${PROXY_PID[$t]}" 2>/dev/null; then reason="no HTTP answer on ${HOST[$t]}:${HTTP_PORT[$t]} within 15 s"
    else reason="it exited at start: $(tail -1 "$OUT"/$t*/*.log 2>/dev/null | tr -s ' ')"; fi
    printf '%s\tnot available\t%s\n' "$t" "$reason" >> "$OUT/targets.tsv"
    log "$t: NOT AVAILABLE: $reason"
  fi
done
[ ${#ACTIVE[@]} -gt 0 ] || die "no target answers"

# UDP targets (--udp): direct (the echo server), nginx stream, the FiberLB servers whose CLI takes a UDP listener.
# HAProxy has no UDP proxy.
UDP_ACTIVE=()
if [ "$UDP" = 1 ]; then
  : > "$OUT/udp-targets.tsv"
  for t in "${ACTIVE[@]}"; do
    reason=""
    case "$t" in
      haproxy) continue ;;
      direct|nginx)
        [ "$t" = nginx ] && { UDP_HOST[nginx]=127.0.0.1; UDP_PORT[nginx]=$NG_UDP; }
        python3 "$here/udpbench.py" probe --host "${UDP_HOST[$t]}" --port "${UDP_PORT[$t]}" --timeout 10 >/dev/null ||
          reason="no UDP echo from ${UDP_HOST[$t]}:${UDP_PORT[$t]} within 10 s" ;;
      fiberlb-*) fiberlb_udp_setup "$t" || reason="${FL_REASON[$t]:-unknown}" ;;
    esac
    if [ -z "$reason" ]; then
      UDP_ACTIVE+=("$t")
      printf '%s\tok\t%s:%s\n' "$t" "${UDP_HOST[$t]}" "${UDP_PORT[$t]}" >> "$OUT/udp-targets.tsv"
      log "$t: UDP echo answers on ${UDP_HOST[$t]}:${UDP_PORT[$t]}"
    else
      printf '%s\tnot available\t%s\n' "$t" "$reason" >> "$OUT/udp-targets.tsv"
      log "$t: UDP NOT AVAILABLE: $reason"
    fi
  done
fi

# ---- measuring -------------------------------------------------------------------------------------------------

snap() { # TARGET BACKEND_PID
  python3 "$here/procstat.py" snap proxy="${PROXY_PID[$1]}" backend="$2"
}

# The load generator's own CPU: `times` (a builtin, so no fork) before and after one load run; its second line is
# the user and system CPU of all the children this shell has waited for, and the run is the only one in between.

# wrk_run OUTBASE TARGET WRK_OPTIONS...: one wrk run at TARGET's web port with snapshots around it; the arguments
# in WRK_SCRIPT_ARGS (if any) go to the Lua script, after the URL.
WRK_SCRIPT_ARGS=()
wrk_run() {
  local base="$1" t="$2"
  shift 2
  snap "$t" "$BACKEND_PID" > "$base.snap"
  times > "$base.loadgen"
  run_load "$base.out" wrk "$@" "http://${HOST[$t]}:${HTTP_PORT[$t]}/" \
    ${WRK_SCRIPT_ARGS[@]+-- "${WRK_SCRIPT_ARGS[@]}"} || log "wrk failed for $t (see $base.out)"
  times >> "$base.loadgen"
  snap "$t" "$BACKEND_PID" >> "$base.snap"
}

measure() { # RUN TEST TARGET
  local run="$1" test="$2" t="$3" base="$RAW/r$1.$2.$3" jvm=()
  case "$test" in
    ka) wrk_run "$base" "$t" -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency ;;
    close) wrk_run "$base" "$t" -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H 'Connection: close' ;;
    rate) # one wrk thread per connection, so that paced.lua's per-thread schedule is a per-connection one
      WRK_SCRIPT_ARGS=("$RATE_PER_CONN" "$RATE_CONNECTIONS")
      wrk_run "$base" "$t" -t"$RATE_CONNECTIONS" -c"$RATE_CONNECTIONS" -d"${RATE_DURATION}s" --latency \
        -s "$here/paced.lua"
      WRK_SCRIPT_ARGS=() ;;
    c1k)
      WRK_SCRIPT_ARGS=("$C1K")
      wrk_run "$base" "$t" -t"$THREADS" -c"$C1K" -d"${C1K_DURATION}s" --timeout 5s --latency -s "$here/c1k.lua"
      WRK_SCRIPT_ARGS=() ;;
    bulk)
      snap "$t" "$IPERF_PID" > "$base.snap"
      times > "$base.loadgen"
      run_load "$base.out" timeout -k 5 $((DURATION + 30)) \
        iperf3 -c "${HOST[$t]}" -p "${BULK_PORT[$t]}" -t "$DURATION" -J || log "iperf3 failed for $t (see $base.out)"
      times >> "$base.loadgen"
      snap "$t" "$IPERF_PID" >> "$base.snap" ;;
    conns)
      if [[ "$t" == fiberlb-* ]] && command -v jcmd >/dev/null; then jvm=(--jvm --histo "$base.histo"); fi
      run_load "$base.out" timeout -k 5 300 python3 "$here/idleconns.py" --host "${HOST[$t]}" \
        --port "${HTTP_PORT[$t]}" --count "$CONNS" --pid "${PROXY_PID[$t]}" "${jvm[@]}" ||
        log "idle connections through $t failed (see $base.out)" ;;
    udp)
      snap "$t" "$ECHO_PID" > "$base.snap"
      times > "$base.loadgen"
      run_load "$base.out" timeout -k 5 $((DURATION + 30)) python3 "$here/udpbench.py" blast \
        --host "${UDP_HOST[$t]}" --port "${UDP_PORT[$t]}" --seconds "$DURATION" --flows "$UDP_FLOWS" \
        --window "$UDP_WINDOW" || log "UDP load through $t failed (see $base.out)"
      times >> "$base.loadgen"
      snap "$t" "$ECHO_PID" >> "$base.snap" ;;
  esac
}

# Syscalls per keep-alive request (--syscalls): strace -c counts every syscall of every thread of the proxy's
# process tree while wrk runs (-p for each process of the tree: nginx's master and workers, HAProxy, the JVM; with
# -f strace attaches all the threads a process has and follows those it starts); total / wrk's requests.
syscall_run() { # TARGET
  local t="$1" base="$RAW/sys.$1" p=() i n pid
  for pid in $(python3 "$here/procstat.py" pids "${PROXY_PID[$t]}"); do p+=(-p "$pid"); done
  strace -c -f -o "$base.strace" "${p[@]}" 2> "$base.strace-log" &
  STRACE_PID=$!
  for ((i = 0; i < 150; i++)); do # until every process is attached ("Process N attached [with M threads]"), <= 15 s
    n="$(grep -c 'attached' "$base.strace-log" || true)"
    [ "$n" -ge $((${#p[@]} / 2)) ] && break
    kill -0 "$STRACE_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! kill -0 "$STRACE_PID" 2>/dev/null; then
    wait "$STRACE_PID" 2>/dev/null || true
    STRACE_PID=""
    log "strace could not attach to $t: $(tail -1 "$base.strace-log")"
    return 0
  fi
  wrk_run "$base" "$t" -t"$THREADS" -c"$CONNECTIONS" -d"${SYSCALLS_DURATION}s" --latency
  kill -INT "$STRACE_PID" 2>/dev/null || true # strace detaches and writes its table
  wait "$STRACE_PID" 2>/dev/null || true
  STRACE_PID=""
}

# A rough estimate of what is left (seconds per test and target, sleeps and overheads included).
est=$(( (WARMUP > 0 ? ${#ACTIVE[@]} * (2 * WARMUP + 2) : 0) + RUNS * ${#ACTIVE[@]} * (3 * DURATION + 4 + 9) ))
[ "$RATE" -gt 0 ] && est=$((est + RUNS * ${#ACTIVE[@]} * (RATE_DURATION + 2)))
[ "$C1K" -gt 0 ] && est=$((est + RUNS * ${#ACTIVE[@]} * (C1K_DURATION + 2)))
[ "$UDP" = 1 ] && est=$((est + RUNS * ${#UDP_ACTIVE[@]} * (DURATION + 2)))
[ "$SYSCALLS" = 1 ] && est=$((est + ${#ACTIVE[@]} * (SYSCALLS_DURATION + 4)))
log "measuring ${ACTIVE[*]}: tests ${TESTS[*]}, $RUNS run(s); about $(((est + 59) / 60)) min from now"

if [ "$WARMUP" -gt 0 ]; then
  for t in "${ACTIVE[@]}"; do
    [ "$t" = direct ] && continue # no proxy to warm up
    log "warm-up: $t (${WARMUP}s keep-alive, ${WARMUP}s close)"
    wrk_run "$RAW/warmup.ka.$t" "$t" -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --latency
    wrk_run "$RAW/warmup.close.$t" "$t" -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --latency -H 'Connection: close'
    sleep 1
  done
fi

# Interleaved: every run does each test for every target before the next test, and the order of the targets
# rotates from run to run, so drift in the machine's load spreads over all targets instead of favouring one.
for ((run = 1; run <= RUNS; run++)); do
  for test in "${TESTS[@]}"; do
    if [ "$test" = udp ]; then targets=("${UDP_ACTIVE[@]}"); else targets=("${ACTIVE[@]}"); fi
    order=()
    for ((i = 0; i < ${#targets[@]}; i++)); do order+=("${targets[$(((i + run - 1) % ${#targets[@]}))]}"); done
    for t in "${order[@]}"; do
      [ "$test" = conns ] && [ "$t" = direct ] && continue # nothing in between to measure
      log "run $run/$RUNS: $test $t"
      measure "$run" "$test" "$t"
      sleep 1 # let the sockets of the last test close and the CPU quieten
    done
  done
done

if [ "$SYSCALLS" = 1 ]; then
  for t in "${ACTIVE[@]}"; do
    [ "$t" = direct ] && continue
    log "syscalls: $t (strace -c -f, ${SYSCALLS_DURATION}s of keep-alive load)"
    syscall_run "$t"
    sleep 1
  done
fi

echo >&2
log "results in $OUT"
python3 "$here/summarize.py" "$OUT"
