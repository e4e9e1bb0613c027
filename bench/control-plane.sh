#!/usr/bin/env bash
# Control-plane throughput and latency on one node (H2 file journal): LB creates, backend creates, GetLoadBalancer
# and GetBackend through gRPC with a fixed number of requests in flight. See bench/README.md.
#
# Usage: bench/control-plane.sh [BACKENDS [GETS [LB_CREATES]]]   (defaults 1000 10000 100: 1-2 minutes; the runs in
#        docs/benchmarks.md used 2000 20000 200)
#
# Environment:
#   CONCURRENCY="64"   in-flight requests; a list ("16 64 256") runs each level against a fresh server
#   RUNS=3             measured runs (after one warm-up run); the summary gives the medians
#   LBS=50             working-set load balancers (each with a pool and a listener) that backends spread over
#   PROJECTS=1         projects the working set is spread over
#   CONNECTIONS=2      HTTP/2 connections from the load generator
#   CLIENT=pekko       pekko (pekko-grpc's generated clients) or grpc-java (lighter: more CPU left to the server)
#   PHASES=lb-create,backend-create,get-lb,get-backend
#   plus BUILD, SERVER_JAVA_OPTS, BENCH_JAVA_OPTS, PROFILE (see bench/lib.sh)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BACKENDS="${1:-1000}"
GETS="${2:-10000}"
LB_CREATES="${3:-100}"
CONCURRENCY="${CONCURRENCY:-64}"
RUNS="${RUNS:-3}"
LBS="${LBS:-50}"
PROJECTS="${PROJECTS:-1}"
CONNECTIONS="${CONNECTIONS:-2}"
CLIENT="${CLIENT:-pekko}"
PHASES="${PHASES:-lb-create,backend-create,get-lb,get-backend}"

OUT="$(new_results_dir control-plane)"
WORK="$OUT"
TMP_DATA="$(mktemp -d /tmp/fiberlb-bench-XXXXXX)"
trap cleanup EXIT
trap 'exit 130' INT TERM

build_all "$WORK"
{
  machine_info
  echo "sizes: backends=$BACKENDS gets=$GETS lb_creates=$LB_CREATES runs=$RUNS lbs=$LBS projects=$PROJECTS connections=$CONNECTIONS client=$CLIENT concurrency=$CONCURRENCY phases=$PHASES"
  echo "git: $(cat "$WORK/git-rev")"
} | tee "$OUT/machine.txt"

# Quotas off and a /16 of VIPs, so that the benchmark measures speed, not limits.
server_env=(FIBERLB_VIP_RANGE=127.16.0.0/16 FIBERLB_QUOTA_LOAD_BALANCERS=-1 FIBERLB_QUOTA_LISTENERS=-1
  FIBERLB_QUOTA_POOLS=-1 FIBERLB_QUOTA_BACKENDS=-1 FIBERLB_QUOTA_HEALTH_CHECKS=-1)

for c in ${CONCURRENCY//,/ }; do
  data="$TMP_DATA/c$c"
  log "concurrency $c: starting a server on a fresh data dir $data"
  start_server "$data" "$OUT/server-c$c.log" "${server_env[@]}"
  log "server pid $SERVER_PID on port $SERVER_PORT"
  gen "$OUT/bench-c$c.log" ControlPlaneBench --port "$SERVER_PORT" --server-pid "$SERVER_PID" --lbs "$LBS" --projects "$PROJECTS" \
    --lb-creates "$LB_CREATES" --backends "$BACKENDS" --gets "$GETS" --concurrency "$c" \
    --connections "$CONNECTIONS" --client "$CLIENT" --runs "$RUNS" --warmup-runs 1 --phases "$PHASES" --label "c$c" \
    --out "$OUT/results.tsv"
  echo "journal size after the run: $(du -sh "$data" | cut -f1)" | tee -a "$OUT/bench-c$c.log"
  stop_server
done

echo
echo "== summary ($OUT) =="
cat "$OUT/machine.txt"
for c in ${CONCURRENCY//,/ }; do
  echo
  sed -n '/^Medians of/,$p' "$OUT/bench-c$c.log"
done | tee "$OUT/summary.md"
