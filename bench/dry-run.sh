#!/usr/bin/env bash
# Dry-run latency (issue 14): DeleteBackend with validate_only in a MAGLEV pool of BACKENDS backends, one call at a
# time, end to end through gRPC; each answer builds and compares the pool's two 65537-entry Maglev tables. Goal:
# under 50 ms at 1,000 backends. See bench/README.md.
#
# Usage: bench/dry-run.sh [BACKENDS [ITERATIONS]]   (defaults 1000 200: about a minute; WARMUP=30 calls first)
#   plus BUILD, SERVER_JAVA_OPTS, BENCH_JAVA_OPTS, PROFILE (see bench/lib.sh)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BACKENDS="${1:-1000}"
ITERATIONS="${2:-200}"
WARMUP="${WARMUP:-30}"

OUT="$(new_results_dir dry-run)"
WORK="$OUT"
TMP_DATA="$(mktemp -d /tmp/fiberlb-bench-XXXXXX)"
trap cleanup EXIT
trap 'exit 130' INT TERM

build_all "$WORK"
{
  machine_info
  echo "sizes: backends=$BACKENDS iterations=$ITERATIONS warmup=$WARMUP"
  echo "git: $(cat "$WORK/git-rev")"
} | tee "$OUT/machine.txt"

# Quotas off, so that the benchmark measures speed, not limits.
server_env=(FIBERLB_QUOTA_BACKENDS=-1)
start_server "$TMP_DATA/data" "$OUT/server.log" "${server_env[@]}"
log "server pid $SERVER_PID on port $SERVER_PORT"
gen "$OUT/bench.log" DryRunBench --port "$SERVER_PORT" --server-pid "$SERVER_PID" --backends "$BACKENDS" \
  --iterations "$ITERATIONS" --warmup "$WARMUP" --out "$OUT/results.tsv"
stop_server

echo
echo "== summary ($OUT) =="
cat "$OUT/machine.txt"
grep -E '^(DeleteBackend|goal)' "$OUT/bench.log" | tee "$OUT/summary.md"
