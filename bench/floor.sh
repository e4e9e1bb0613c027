#!/usr/bin/env bash
# Where a Get's server CPU goes: the same GetLoadBalancer load against servers that do less and less.
#
#   fiberlb     the real server (sharding ask to the LoadBalancer entity, mapping, identity check ...)
#   pekko-ask   pekko-http HTTP/2 + pekko-grpc handler + an ask to a plain actor, answer mapped on the dispatcher
#   pekko       pekko-http HTTP/2 + pekko-grpc handler answering at once
#   grpc-java   grpc-java's Netty server answering at once (no pekko)
#
# Usage: bench/floor.sh [GETS]              (default 100000 per run)
# Environment: CONCURRENCY=64 RUNS=3 CLIENT=grpc-java|pekko (default grpc-java, the lighter client)
#              SERVERS="fiberlb pekko-ask pekko grpc-java"; plus BUILD, SERVER_JAVA_OPTS, BENCH_JAVA_OPTS, PROFILE.
# SERVER_JAVA_OPTS applies to every server, so a JVM option can be judged on all four.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GETS="${1:-100000}"
CONCURRENCY="${CONCURRENCY:-64}"
RUNS="${RUNS:-3}"
CLIENT="${CLIENT:-grpc-java}"
SERVERS="${SERVERS:-fiberlb pekko-ask pekko grpc-java}"

OUT="$(new_results_dir floor)"
WORK="$OUT"
TMP_DATA="$(mktemp -d /tmp/fiberlb-bench-XXXXXX)"
trap cleanup EXIT
trap 'exit 130' INT TERM

build_all "$WORK"
{
  machine_info
  echo "gets=$GETS runs=$RUNS concurrency=$CONCURRENCY client=$CLIENT servers=$SERVERS"
  echo "git: $(cat "$WORK/git-rev")"
} | tee "$OUT/machine.txt"

for s in $SERVERS; do
  log "server $s"
  if [ "$s" = fiberlb ]; then
    start_server "$TMP_DATA/fiberlb" "$OUT/server-$s.log" FIBERLB_VIP_RANGE=127.16.0.0/16
    setup=1
  else
    rm -f "$TMP_DATA/floor.port"
    jfr=""
    if [ "${PROFILE:-0}" = 1 ]; then jfr="-XX:StartFlightRecording=settings=profile,dumponexit=true,filename=$OUT/server-$s.jfr"; fi
    # shellcheck disable=SC2086
    java ${SERVER_JAVA_OPTS:-} $jfr -cp "$WORK/bench-classes:$WORK/fiberlb.jar" io.fiberlb.bench.FloorServer "$s" \
      --port-file "$TMP_DATA/floor.port" > "$OUT/server-$s.log" 2>&1 &
    SERVER_PID=$!
    for i in $(seq 1 600); do [ -s "$TMP_DATA/floor.port" ] && break; sleep 0.1; done
    SERVER_PORT=$(tr -d '[:space:]' < "$TMP_DATA/floor.port")
    setup=0
  fi
  gen "$OUT/bench-$s.log" ControlPlaneBench --port "$SERVER_PORT" --server-pid "$SERVER_PID" --setup "$setup" --phases get-lb \
    --gets "$GETS" --concurrency "$CONCURRENCY" --client "$CLIENT" --runs "$RUNS" --warmup-runs 1 \
    --label "$s" --out "$OUT/results.tsv"
  stop_server
done

echo
echo "== summary ($OUT) =="
cat "$OUT/machine.txt"
python3 - "$OUT/results.tsv" <<'EOF' | tee "$OUT/summary.md"
import csv, statistics, sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("| server | runs | Gets/s (median) | p50 ms | p99 ms | server CPU us/Get | client CPU us/Get | other cores |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
order = []
for r in rows:
    if r["label"] not in order:
        order.append(r["label"])
for label in order:
    rs = [r for r in rows if r["label"] == label]
    def med(k):
        return statistics.median(float(r[k]) for r in rs if r[k] != "")
    print(f"| {label} | {len(rs)} | {med('ops_per_s'):.0f} | {med('p50_ms'):.2f} | {med('p99_ms'):.2f} "
          f"| {med('server_cpu_us_per_op'):.0f} | {med('client_cpu_us_per_op'):.0f} | {med('other_cores'):.2f} |")
EOF
