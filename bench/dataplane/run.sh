#!/usr/bin/env bash
# Data-plane benchmark: FiberLB vs HAProxy (TCP mode) vs nginx stream vs direct-to-backend, side by side in one run,
# interleaved, on loopback. Three HTTP backends (one nginx instance of our own on three free 127.0.0.1 ports) and
# an iperf3 server; load by wrk and iperf3. See bench/dataplane/README.md for what each number means.
#
# Usage: bench/dataplane/run.sh [--targets haproxy,nginx,direct,fiberlb] [--duration 10] [--runs 3] [options]
#        bench/dataplane/run.sh --help
#
# Installs haproxy, nginx (+ its stream module), wrk, iperf3, python3 with apt-get when they are missing (needs
# root), and for the fiberlb target a JDK and Maven when FiberLB's jar has to be built.
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
FIBERLB_DEADLINE=60
BACKEND_WORKERS=1
NGINX_WORKERS=2
HAPROXY_THREADS=2
INSTALL=1
OUT=""

usage() {
  cat <<EOF
Usage: bench/dataplane/run.sh [options]

Measures, for each target, in interleaved runs: keep-alive req/s and p99 (wrk --latency -c64), new connections/s
(wrk with 'Connection: close'), single-stream iperf3 throughput, RSS per open idle connection, and the proxy's CPU
time per request / per new connection / per GiB. Prints a markdown table of medians and ratios at the end.

Options (also --name=value):
  --targets LIST        comma-separated, any of haproxy,nginx,direct,fiberlb (default: $TARGETS)
  --duration SECONDS    length of each wrk and iperf3 run (default: $DURATION)
  --runs N              measured runs of every test and target; medians are reported (default: $RUNS)
  --warmup SECONDS      one unrecorded keep-alive and one close wrk run per target first; 0 = none (default: $WARMUP)
  --connections N       wrk -c (default: $CONNECTIONS)
  --threads N           wrk -t (default: $THREADS)
  --conns N             idle connections opened for the RSS test (default: $CONNS)
  --fiberlb-deadline S  how long FiberLB's VIP may take to answer after configuration (default: $FIBERLB_DEADLINE)
  --backend-workers N   worker processes of the backend nginx (default: $BACKEND_WORKERS)
  --nginx-workers N     worker processes of the nginx stream proxy (default: $NGINX_WORKERS)
  --haproxy-threads N   HAProxy nbthread (default: $HAPROXY_THREADS)
  --no-install          never run apt-get; fail if a tool is missing
  --out DIR             results directory (default: bench/results/dataplane-<timestamp>)

Environment: FIBERLB_JAVA_OPTS (JVM options of the FiberLB server, read by bin/fiberlb); the other FIBERLB_*
variables of application.conf reach the server too, except the ports, data dir and VIP range the script sets.
EOF
}

while [ $# -gt 0 ]; do
  opt="$1"
  val=""
  case "$opt" in
    -h|--help) usage; exit 0 ;;
    --no-install) INSTALL=0; shift; continue ;;
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
    --fiberlb-deadline) FIBERLB_DEADLINE="$val" ;;
    --backend-workers) BACKEND_WORKERS="$val" ;;
    --nginx-workers) NGINX_WORKERS="$val" ;;
    --haproxy-threads) HAPROXY_THREADS="$val" ;;
    --out) OUT="$val" ;;
    *) echo "unknown option: $opt (see --help)" >&2; exit 2 ;;
  esac
done
for n in DURATION RUNS WARMUP CONNECTIONS THREADS CONNS FIBERLB_DEADLINE BACKEND_WORKERS NGINX_WORKERS HAPROXY_THREADS; do
  [[ "${!n}" =~ ^[0-9]+$ ]] || { echo "--$(tr 'A-Z_' 'a-z-' <<< "$n") must be a whole number, got '${!n}'" >&2; exit 2; }
done
[ "$RUNS" -ge 1 ] && [ "$DURATION" -ge 1 ] || { echo "--runs and --duration must be at least 1" >&2; exit 2; }
WANT=()
for t in ${TARGETS//,/ }; do
  case "$t" in
    haproxy|nginx|direct|fiberlb) [[ " ${WANT[*]:-} " == *" $t "* ]] || WANT+=("$t") ;;
    *) echo "unknown target '$t' (haproxy, nginx, direct, fiberlb)" >&2; exit 2 ;;
  esac
done
[ ${#WANT[@]} -gt 0 ] || { echo "no targets" >&2; exit 2; }
wants() { [[ " ${WANT[*]} " == *" $1 "* ]]; }

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---- processes: every one we start is recorded and stopped by its own PID on exit -------------------------------

STARTED=()       # PIDs, in start order
LOAD_PID=""      # the wrk / iperf3 / idleconns.py run in progress
POLICY_MADE=0
FIBERLB_DATA=""

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
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    stop_pid "${STARTED[$i]}" 60
  done
  if [ "$POLICY_MADE" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  if [ -n "$FIBERLB_DATA" ]; then rm -rf "$FIBERLB_DATA"; fi
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
  if wants nginx; then
    if ! command -v nginx >/dev/null; then
      need+=(libnginx-mod-stream)
    else
      local m
      m="$(nginx_stream_module)"
      if [ "$m" = none ] || { [ "$m" != static ] && [ ! -f "$m" ]; }; then need+=(libnginx-mod-stream); fi
    fi
  fi
  if wants fiberlb && fiberlb_jar_stale; then
    command -v java >/dev/null && command -v javac >/dev/null || need+=(default-jdk-headless)
    command -v mvn >/dev/null || need+=(maven)
  elif wants fiberlb; then
    command -v java >/dev/null || need+=(default-jre-headless)
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

read -r B1 B2 B3 IPERF_PORT HA_HTTP HA_BULK NG_HTTP NG_BULK FL_HTTP FL_BULK <<< "$(free_ports 10)"

{
  echo "host: $(uname -srm), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GB RAM"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "haproxy: $(version haproxy -v)"
  echo "nginx: $(version nginx -v)"
  echo "wrk: $(version wrk -v)"
  echo "iperf3: $(version iperf3 --version)"
  echo "java: $(version java -version)"
  echo "git: $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "open files: $NOFILE"
  echo "sysctl: tcp_tw_reuse=$(cat /proc/sys/net/ipv4/tcp_tw_reuse) ip_local_port_range=$(tr '\t' - < /proc/sys/net/ipv4/ip_local_port_range) somaxconn=$(cat /proc/sys/net/core/somaxconn)"
  echo "targets: ${WANT[*]}  duration ${DURATION}s  runs $RUNS  warmup ${WARMUP}s  wrk -t$THREADS -c$CONNECTIONS  idle conns $CONNS"
  echo "backend nginx workers $BACKEND_WORKERS, nginx stream workers $NGINX_WORKERS, HAProxy nbthread $HAPROXY_THREADS"
} | tee "$OUT/machine.txt" >&2
printf 'duration=%s\nruns=%s\nthreads=%s\nconnections=%s\nconns=%s\n' \
  "$DURATION" "$RUNS" "$THREADS" "$CONNECTIONS" "$CONNS" > "$OUT/params.txt"

nginx_e=()
if nginx -h 2>&1 | grep -q -- '-e filename'; then nginx_e=(-e stderr); fi

# The backends: one nginx (not the one under test) answering a small fixed body, which names the port so that a
# probe through a proxy can see the round robin.
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
  }
}
EOF
start_bg "$OUT/backend/nginx.log" nginx "${nginx_e[@]}" -p "$OUT/backend/" -c "$OUT/backend/nginx.conf"
BACKEND_PID=$BG_PID
start_bg "$OUT/iperf3-server.log" iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT"
IPERF_PID=$BG_PID

declare -A HOST HTTP_PORT BULK_PORT PROXY_PID
HOST[direct]=127.0.0.1; HTTP_PORT[direct]=$B1; BULK_PORT[direct]=$IPERF_PORT; PROXY_PID[direct]=-

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
}
EOF
  start_bg "$OUT/nginx-stream/nginx.log" nginx "${nginx_e[@]}" -p "$OUT/nginx-stream/" -c "$OUT/nginx-stream/nginx.conf"
  HOST[nginx]=127.0.0.1; HTTP_PORT[nginx]=$NG_HTTP; BULK_PORT[nginx]=$NG_BULK; PROXY_PID[nginx]=$BG_PID
fi

# FiberLB: a server on a fresh data dir, then one load balancer with a web listener (3 backends, ROUND_ROBIN) and a
# bulk listener (the iperf3 server) configured through the CLI, as a user would. Any failure here only marks
# FiberLB "not available"; the other targets are measured anyway.
FIBERLB_REASON=""
fiberlb_setup() {
  local dir="$OUT/fiberlb" range port i lb pool bpool
  mkdir -p "$dir"
  if ! fiberlb_build; then FIBERLB_REASON="the jar does not build"; return 1; fi
  FIBERLB_DATA="$(mktemp -d /tmp/fiberlb-dataplane-XXXXXX)"
  # A VIP range of this run's own, away from the default 127.0.10.0/24 that other servers on this box may use.
  range="127.$((64 + RANDOM % 64)).$((RANDOM % 256)).0/24"
  start_bg "$dir/server.log" env FIBERLB_GRPC_PORT=0 FIBERLB_DATA_DIR="$FIBERLB_DATA" FIBERLB_METRICS_PORT=0 \
    FIBERLB_CLUSTER_PORT=0 FIBERLB_VIP_RANGE="$range" \
    "$root/bin/fiberlb" server
  PROXY_PID[fiberlb]=$BG_PID   # bin/fiberlb execs java: this is the JVM
  log "FiberLB server pid ${PROXY_PID[fiberlb]}, VIP range $range; waiting for its gRPC port"
  for ((i = 0; i < 1200; i++)); do
    [ -s "$FIBERLB_DATA/grpc.port" ] && break
    kill -0 "${PROXY_PID[fiberlb]}" 2>/dev/null || { FIBERLB_REASON="the server exited at start (fiberlb/server.log)"; return 1; }
    sleep 0.1
  done
  port="$(tr -d '[:space:]' < "$FIBERLB_DATA/grpc.port" 2>/dev/null || true)"
  [ -n "$port" ] || { FIBERLB_REASON="no gRPC port after 120 s"; return 1; }
  flb() {
    echo "\$ fiberlb $*" >> "$dir/setup.log"
    "$root/bin/fiberlb" --server "127.0.0.1:$port" --json "$@" 2>>"$dir/setup.log" | tee -a "$dir/setup.log"
  }
  lb="$(flb lb create --name bench-dataplane)" || { FIBERLB_REASON="lb create failed (fiberlb/setup.log)"; return 1; }
  VIP="$(json_get vip_address <<< "$lb")"
  lb="$(json_get id <<< "$lb")"
  pool="$(flb pool create --lb "$lb" --name web --protocol TCP --lb-algorithm ROUND_ROBIN | json_get id)" &&
    flb backend create --lb "$lb" --pool "$pool" --name b1 --address 127.0.0.1 --protocol-port "$B1" >/dev/null &&
    flb backend create --lb "$lb" --pool "$pool" --name b2 --address 127.0.0.1 --protocol-port "$B2" >/dev/null &&
    flb backend create --lb "$lb" --pool "$pool" --name b3 --address 127.0.0.1 --protocol-port "$B3" >/dev/null &&
    bpool="$(flb pool create --lb "$lb" --name bulk --protocol TCP --lb-algorithm ROUND_ROBIN | json_get id)" &&
    flb backend create --lb "$lb" --pool "$bpool" --name iperf3 --address 127.0.0.1 --protocol-port "$IPERF_PORT" >/dev/null &&
    flb listener create --lb "$lb" --name web --protocol TCP --protocol-port "$FL_HTTP" --default-pool-id "$pool" \
      --timeout-client-idle 5m --timeout-backend-idle 5m >/dev/null &&
    flb listener create --lb "$lb" --name bulk --protocol TCP --protocol-port "$FL_BULK" --default-pool-id "$bpool" \
      --timeout-client-idle 5m --timeout-backend-idle 5m >/dev/null ||
    { FIBERLB_REASON="configuration through the CLI failed (fiberlb/setup.log)"; return 1; }
  "$root/bin/fiberlb" --server "127.0.0.1:$port" lb status "$lb" >> "$dir/setup.log" 2>&1 || true
  HOST[fiberlb]=$VIP; HTTP_PORT[fiberlb]=$FL_HTTP; BULK_PORT[fiberlb]=$FL_BULK
  log "FiberLB configured: load balancer $lb, VIP $VIP, web :$FL_HTTP, bulk :$FL_BULK"
}

# Which targets answer. FiberLB gets --fiberlb-deadline (its listener is reconciled after the API call returns),
# the others 15 s.
ACTIVE=()
n="$(wait_http 127.0.0.1 "$B1" 15)" || die "the backend nginx does not answer on 127.0.0.1:$B1 (see $OUT/backend/)"
for t in "${WANT[@]}"; do
  case "$t" in
    direct) ok=1; n=1 ;;
    fiberlb)
      ok=0
      if fiberlb_setup; then
        if n="$(wait_http "${HOST[fiberlb]}" "${HTTP_PORT[fiberlb]}" "$FIBERLB_DEADLINE" "${PROXY_PID[fiberlb]}")"; then ok=1
        else FIBERLB_REASON="VIP ${HOST[fiberlb]}:${HTTP_PORT[fiberlb]} did not answer HTTP within ${FIBERLB_DEADLINE}s"; fi
      fi
      if [ "$ok" = 0 ] && [ -n "${PROXY_PID[fiberlb]:-}" ]; then
        stop_pid "${PROXY_PID[fiberlb]}" 60   # no reason to let it take CPU from the others
      fi ;;
    *)
      ok=0
      if n="$(wait_http "${HOST[$t]}" "${HTTP_PORT[$t]}" 15 "${PROXY_PID[$t]}")"; then ok=1; fi ;;
  esac
  if [ "$ok" = 1 ]; then
    ACTIVE+=("$t")
    printf '%s\tok\t%s backend(s) seen in 6 connections\n' "$t" "$n" >> "$OUT/targets.tsv"
    log "$t: answers on ${HOST[$t]}:${HTTP_PORT[$t]} ($n backend(s) seen in 6 connections)"
  else
    if [ "$t" = fiberlb ]; then reason="$FIBERLB_REASON"
    elif kill -0 "${PROXY_PID[$t]}" 2>/dev/null; then reason="no HTTP answer on ${HOST[$t]}:${HTTP_PORT[$t]} within 15 s"
    else reason="it exited at start: $(tail -1 "$OUT"/$t*/*.log 2>/dev/null | tr -s ' ')"; fi
    printf '%s\tnot available\t%s\n' "$t" "$reason" >> "$OUT/targets.tsv"
    log "$t: NOT AVAILABLE: $reason"
  fi
done
[ ${#ACTIVE[@]} -gt 0 ] || die "no target answers"

# ---- measuring -------------------------------------------------------------------------------------------------

snap() { # TARGET BACKEND_PID
  python3 "$here/procstat.py" snap proxy="${PROXY_PID[$1]}" backend="$2"
}

# The load generator's own CPU: `times` (a builtin, so no fork) before and after one load run; its second line is
# the user and system CPU of all the children this shell has waited for, and the run is the only one in between.

wrk_run() { # OUTBASE TARGET SECONDS [wrk args]
  local base="$1" t="$2" secs="$3"
  shift 3
  snap "$t" "$BACKEND_PID" > "$base.snap"
  times > "$base.loadgen"
  run_load "$base.out" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency "$@" \
    "http://${HOST[$t]}:${HTTP_PORT[$t]}/" || log "wrk failed for $t (see $base.out)"
  times >> "$base.loadgen"
  snap "$t" "$BACKEND_PID" >> "$base.snap"
}

measure() { # RUN TEST TARGET
  local run="$1" test="$2" t="$3" base="$RAW/r$1.$2.$3"
  case "$test" in
    ka) wrk_run "$base" "$t" "$DURATION" ;;
    close) wrk_run "$base" "$t" "$DURATION" -H 'Connection: close' ;;
    bulk)
      snap "$t" "$IPERF_PID" > "$base.snap"
      times > "$base.loadgen"
      run_load "$base.out" timeout -k 5 $((DURATION + 30)) \
        iperf3 -c "${HOST[$t]}" -p "${BULK_PORT[$t]}" -t "$DURATION" -J || log "iperf3 failed for $t (see $base.out)"
      times >> "$base.loadgen"
      snap "$t" "$IPERF_PID" >> "$base.snap" ;;
    conns)
      run_load "$base.out" timeout -k 5 300 python3 "$here/idleconns.py" --host "${HOST[$t]}" \
        --port "${HTTP_PORT[$t]}" --count "$CONNS" --pid "${PROXY_PID[$t]}" ||
        log "idle connections through $t failed (see $base.out)" ;;
  esac
}

if [ "$WARMUP" -gt 0 ]; then
  for t in "${ACTIVE[@]}"; do
    log "warm-up: $t (${WARMUP}s keep-alive, ${WARMUP}s close)"
    wrk_run "$RAW/warmup.ka.$t" "$t" "$WARMUP"
    wrk_run "$RAW/warmup.close.$t" "$t" "$WARMUP" -H 'Connection: close'
    sleep 1
  done
fi

# Interleaved: every run does each test for every target before the next test, and the order of the targets
# rotates from run to run, so drift in the machine's load spreads over all targets instead of favouring one.
for ((run = 1; run <= RUNS; run++)); do
  order=()
  for ((i = 0; i < ${#ACTIVE[@]}; i++)); do order+=("${ACTIVE[$(((i + run - 1) % ${#ACTIVE[@]}))]}"); done
  for test in ka close bulk conns; do
    for t in "${order[@]}"; do
      [ "$test" = conns ] && [ "$t" = direct ] && continue # nothing in between to measure
      log "run $run/$RUNS: $test $t"
      measure "$run" "$test" "$t"
      sleep 1 # let the sockets of the last test close and the CPU quieten
    done
  done
done

echo >&2
log "results in $OUT"
python3 "$here/summarize.py" "$OUT"
