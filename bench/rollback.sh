#!/usr/bin/env bash
# Rollback end to end (issue 14): one load balancer with CHILDREN children and a history of VERSIONS versions, then
# rollbacks (and roll forwards) timed from the client's call to its answer. Goal: under 1 s for 1,000 children
# across 10,000 versions. See bench/README.md.
#
# Usage: bench/rollback.sh [CHILDREN [VERSIONS]]   (defaults 1000 10000: building the history takes a few minutes;
#        a smoke run: bench/rollback.sh 30 100)
#
# Environment:
#   RUNS=5             timed rollbacks per case (each followed by a timed roll forward); the summary gives medians
#   CONCURRENCY=32     requests in flight while the history is written (the entity still applies them one by one)
#   SNAPSHOT_EVERY     FIBERLB_SNAPSHOT_EVERY for the server (unset: the configured default, 100)
#   plus BUILD, SERVER_JAVA_OPTS, BENCH_JAVA_OPTS, PROFILE (see bench/lib.sh)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHILDREN="${1:-1000}"
VERSIONS="${2:-10000}"
RUNS="${RUNS:-5}"
CONCURRENCY="${CONCURRENCY:-32}"

OUT="$(new_results_dir rollback)"
WORK="$OUT"
TMP_DATA="$(mktemp -d /tmp/fiberlb-bench-XXXXXX)"
trap cleanup EXIT
trap 'exit 130' INT TERM

build_all "$WORK"
{
  machine_info
  echo "sizes: children=$CHILDREN versions=$VERSIONS runs=$RUNS concurrency=$CONCURRENCY snapshot_every=${SNAPSHOT_EVERY:-default}"
  echo "git: $(cat "$WORK/git-rev")"
} | tee "$OUT/machine.txt"

server_env=(FIBERLB_VIP_RANGE=127.16.0.0/16 FIBERLB_QUOTA_LOAD_BALANCERS=-1 FIBERLB_QUOTA_LISTENERS=-1
  FIBERLB_QUOTA_POOLS=-1 FIBERLB_QUOTA_BACKENDS=-1 FIBERLB_QUOTA_HEALTH_CHECKS=-1)
[ -z "${SNAPSHOT_EVERY:-}" ] || server_env+=(FIBERLB_SNAPSHOT_EVERY="$SNAPSHOT_EVERY")

log "starting a server on a fresh data dir $TMP_DATA/data"
start_server "$TMP_DATA/data" "$OUT/server.log" "${server_env[@]}"
log "server pid $SERVER_PID on port $SERVER_PORT"
gen "$OUT/bench.log" RollbackBench --port "$SERVER_PORT" --children "$CHILDREN" --versions "$VERSIONS" \
  --runs "$RUNS" --concurrency "$CONCURRENCY" --label "c$CHILDREN-v$VERSIONS" --out "$OUT/results.tsv"
echo "journal size after the run: $(du -sh "$TMP_DATA/data" | cut -f1)" | tee -a "$OUT/bench.log"
stop_server

echo
echo "== summary ($OUT) =="
cat "$OUT/machine.txt"
column -t -s $'\t' "$OUT/results.tsv" | tee "$OUT/summary.md"
