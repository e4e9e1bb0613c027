#!/usr/bin/env bash
# Recovery time: how long after a restart every load balancer answers again. See bench/README.md.
#
# Usage: bench/recovery.sh [SIZE ...]          (default 500: 2-4 minutes; e.g. `bench/recovery.sh 1000 10000`)
#
# For each SIZE: a fresh server creates SIZE load balancers (each with a pool, a listener and two backends unless
# CHILDREN=0), in projects of LBS_PER_PROJECT (the default LB quota is 1000 per project); the server is stopped with
# SIGTERM; then REPEATS times: the load generator's JVM starts first and waits, the server is started on the same
# data dir, and the generator times start -> grpc.port and start -> every LB answered GetLoadBalancer; then the
# server is stopped again. With IDLE=1 one more restart measures the time until the server's CPU goes quiet with no
# client calls at all (remember-entities restarting the load balancers by themselves), then checks with a Get pass.
#
# With BACKEND_PORT (default 47000; 0 = off) the backends are real (an echo the measuring JVM serves on
# 127.0.0.1 and 127.0.0.2 at that port) and each restart also times start -> every VIP served one connection (d).
# A listener binds one socket per event loop: when `ulimit -n` is below 2.5 x SIZE the server runs one event loop
# (FIBERLB_EVENT_LOOPS=1) so that SIZE listeners fit; that is written to machine.txt.
#
# Environment:
#   REPEATS=3  CHILDREN=1  CONCURRENCY=64  LBS_PER_PROJECT=1000  IDLE=1  BACKEND_PORT=47000
#   SNAPSHOT_EVERY     FIBERLB_SNAPSHOT_EVERY for the server (unset: the configured default, 100)
#   KEEP_DATA=1        keep the temporary data; a copy of each populated data dir goes to <tmp>/populated
#   POPULATED=DIR      skip populating: copy DIR/n<SIZE> and DIR/ids-<SIZE>.txt (from an earlier KEEP_DATA=1 run)
#                      (only valid with the same SNAPSHOT_EVERY and CHILDREN as that run)
#   plus BUILD, SERVER_JAVA_OPTS, BENCH_JAVA_OPTS, PROFILE (see bench/lib.sh)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(500)
REPEATS="${REPEATS:-3}"
CHILDREN="${CHILDREN:-1}"
CONCURRENCY="${CONCURRENCY:-64}"
LBS_PER_PROJECT="${LBS_PER_PROJECT:-1000}"
IDLE="${IDLE:-1}"
BACKEND_PORT="${BACKEND_PORT:-47000}"

OUT="$(new_results_dir recovery)"
WORK="$OUT"
TMP_DATA="$(mktemp -d /tmp/fiberlb-bench-XXXXXX)"
trap cleanup EXIT
trap 'exit 130' INT TERM

build_all "$WORK"
{
  machine_info
  echo "sizes: ${SIZES[*]} repeats=$REPEATS children=$CHILDREN concurrency=$CONCURRENCY lbs_per_project=$LBS_PER_PROJECT snapshot_every=${SNAPSHOT_EVERY:-default}"
  echo "git: $(cat "$WORK/git-rev")"
} | tee "$OUT/machine.txt"

base_env=(FIBERLB_VIP_RANGE=127.16.0.0/16)
if [ -n "${SNAPSHOT_EVERY:-}" ]; then base_env+=(FIBERLB_SNAPSHOT_EVERY="$SNAPSHOT_EVERY"); fi
snap="${SNAPSHOT_EVERY:-default}"

# measure_restart N MODE REP: generator first, then the server; waits for the generator; stops the server.
measure_restart() {
  local n="$1" mode="$2" rep="$3" data="$TMP_DATA/n$1"
  # The generator polls for start.tmp: an old one would give it the previous server's pid and start time.
  rm -f "$OUT/ready" "$OUT/start.tmp" "$OUT/start.tmp.w"
  # The common-pool option only speeds up the in-process server the client warms up against (see BenchSupport.DIRECT).
  # shellcheck disable=SC2086
  FIBERLB_LOG_LEVEL=WARN java -Djava.util.concurrent.ForkJoinPool.common.parallelism=2 ${BENCH_JAVA_OPTS:-} \
    -Dbench.clk.tck="$(getconf CLK_TCK)" \
    -cp "$WORK/bench-classes:$WORK/fiberlb.jar" io.fiberlb.bench.RecoveryBench measure --data-dir "$data" \
    --ids "$OUT/ids-$n.txt" --ready-file "$OUT/ready" --start-file "$OUT/start.tmp" --mode "$mode" \
    --concurrency "$CONCURRENCY" --serve-port "$BACKEND_PORT" --label "n$n-snap$snap-$mode-$rep" --out "$OUT/results.tsv" \
    > "$OUT/measure-n$n-$mode-$rep.log" 2>&1 &
  GEN_PID=$!
  local i
  for i in $(seq 1 3000); do
    [ -f "$OUT/ready" ] && break
    kill -0 "$GEN_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -f "$OUT/ready" ] || { log "the generator did not get ready"; cat "$OUT/measure-n$n-$mode-$rep.log" >&2; return 1; }
  sleep 1 # let the generator's JVM settle (JIT, GC) before the clock starts
  START_FILE="$OUT/start.tmp" start_server "$data" "$OUT/server-n$n-$mode-$rep.log" "${server_env[@]}"
  local rc=0
  wait "$GEN_PID" || rc=$?
  GEN_PID=""
  stop_server
  # A shard whose remembered entity ids do not load within waiting-for-state-timeout is stopped and retried later.
  echo "  server log: $(grep -c 'Failed to load initial entity ids' "$OUT/server-n$n-$mode-$rep.log" || true) shard" \
    "restarts for 'Failed to load initial entity ids from remember entities store'" >> "$OUT/measure-n$n-$mode-$rep.log"
  grep -v '^SLF4J' "$OUT/measure-n$n-$mode-$rep.log" || true
  return $rc
}

for n in "${SIZES[@]}"; do
  data="$TMP_DATA/n$n"
  server_env=("${base_env[@]}")
  if [ "$(ulimit -n)" -lt $((n * 5 / 2)) ]; then
    server_env+=(FIBERLB_EVENT_LOOPS=1)
    echo "size $n: ulimit -n $(ulimit -n) < 2.5 x $n: the server runs one event loop (one socket per listener)" \
      | tee -a "$OUT/machine.txt"
  fi
  if [ -n "${POPULATED:-}" ]; then
    log "size $n: copying the populated data dir $POPULATED/n$n"
    cp -r "$POPULATED/n$n" "$data"
    cp "$POPULATED/ids-$n.txt" "$OUT/ids-$n.txt"
  else
    log "size $n: populating a fresh data dir $data"
    start_server "$data" "$OUT/server-n$n-populate.log" "${server_env[@]}"
    gen "$OUT/populate-n$n.log" RecoveryBench populate --port "$SERVER_PORT" --server-pid "$SERVER_PID" --lbs "$n" \
      --lbs-per-project "$LBS_PER_PROJECT" --children "$CHILDREN" --concurrency 64 --ids "$OUT/ids-$n.txt" \
      --backend-port "$BACKEND_PORT"
    stop_server
    echo "journal size: $(du -sh "$data" | cut -f1)" | tee -a "$OUT/populate-n$n.log"
    if [ "${KEEP_DATA:-0}" = 1 ]; then
      cp "$OUT/ids-$n.txt" "$TMP_DATA/ids-$n.txt"
      log "kept the populated data: POPULATED=$TMP_DATA/populated (copied before the restarts)"
      mkdir -p "$TMP_DATA/populated" && cp -r "$data" "$TMP_DATA/populated/n$n" && cp "$OUT/ids-$n.txt" "$TMP_DATA/populated/"
    fi
  fi
  for rep in $(seq 1 "$REPEATS"); do
    log "size $n: restart $rep/$REPEATS"
    measure_restart "$n" get "$rep"
  done
  if [ "$IDLE" = 1 ]; then
    log "size $n: restart with no client calls until the server is quiet"
    measure_restart "$n" idle 1
  fi
  [ "${KEEP_DATA:-0}" = 1 ] || rm -rf "$data"
done

echo
echo "== summary ($OUT) =="
cat "$OUT/machine.txt"
python3 - "$OUT/results.tsv" <<'EOF' | tee "$OUT/summary.md"
import csv, statistics, sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("| LBs | snapshot-every | mode | runs | start->port ms | (d) start->every VIP served ms (median) | min..max "
      "| start->all answered ms (median) | min..max "
      "| 10 s goal / measured | per-LB ready p99 ms | (c) all active, no calls, ms | CPU quiet from ms "
      "| cold pass ms | warm pass ms | retries |")
print("|---:|---|---|---:|---:|---:|---|---:|---|---:|---:|---|---:|---:|---:|---:|")
groups = {}
for r in rows:
    key = (int(r["lbs"]), r["label"].split("-")[1][4:], r["mode"])
    groups.setdefault(key, []).append(r)
for (n, snap, mode), rs in sorted(groups.items()):
    def med(k):
        return statistics.median(float(r[k]) for r in rs)
    alls = [float(r["start_to_all_answered_ms"]) for r in rs]
    served = [float(r.get("start_to_all_served_ms") or -1) for r in rs]
    served_med = statistics.median(served)
    all_med = med("start_to_all_answered_ms")
    ratio = f"{10000 / served_med:.2f}" if n == 10000 and served_med > 0 else "-"
    quiet = f"{med('start_to_quiet_ms'):.0f}" if mode == "idle" else "-"
    rec = f"{med('recovered_after_ms'):.0f}..{med('recovered_by_ms'):.0f}" if mode == "idle" else "-"
    print(f"| {n} | {snap} | {mode} | {len(rs)} | {med('start_to_port_ms'):.0f} | {served_med:.0f} "
          f"| {min(served):.0f}..{max(served):.0f} | {all_med:.0f} "
          f"| {min(alls):.0f}..{max(alls):.0f} | {ratio} | {med('lb_ready_p99_ms'):.0f} | {rec} | {quiet} "
          f"| {med('cold_pass_ms'):.0f} | {med('warm_pass_ms'):.0f} | {med('retries'):.0f} |")
EOF
