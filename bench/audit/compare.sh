#!/usr/bin/env bash
# Before/after in one run, interleaved: several servers (each a jar on its own copy of a journal) run side by side,
# and every round times each of them in turn (the order rotating), so that the machine's other load falls on all of
# them alike. See bench/audit/README.md ("Comparing builds").
#
# Usage: bench/audit/compare.sh replay|export NAME=JAR@DATA [NAME=JAR@DATA ...]
#   JAR   a fiberlb.jar (e.g. one built from an older commit: git worktree + mvn package, or a saved copy)
#   DATA  a journal directory with manifest.properties (AuditGen's); each server gets a copy (COPY=0: DATA itself)
#
# replay: ROUNDS (3) rounds of GetLoadBalancerAt at each of POINTS (default "now,0.998,0.5": the latest version, just
#   below the older of the entity's two snapshots = a replay from event 1, and the midpoint), 1 warm-up call each.
# export: ROUNDS rounds of each of MODES (default "count json cli") over the whole export project, each cut off after
#   MAX_SECONDS (120).
# Knobs: BUILD=0, SERVER_JAVA_OPTS, BENCH_JAVA_OPTS, PROFILE=1 (a JFR recording of each server over its last round).
set -euo pipefail
# shellcheck source=bench/audit/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
KIND="$1"
shift
ROUNDS="${ROUNDS:-3}"
POINTS="${POINTS:-now,0.998,0.5}"
MODES="${MODES:-count json cli}"
MAX_SECONDS="${MAX_SECONDS:-120}"

OUT="$(new_results_dir "audit-compare-$KIND")"
WORK="$OUT"
FILES="$(mktemp -d /tmp/fiberlb-audit-files-XXXXXX)"
declare -gA JAR DATA_OF PID PORT
declare -ga NAMES COPIES
trap 'compare_cleanup' EXIT
trap 'exit 130' INT TERM

build_all "$WORK"
for spec in "$@"; do
  local name="${spec%%=*}" rest="${spec#*=}"
  NAMES+=("$name")
  JAR[$name]="${rest%%@*}"
  DATA_OF[$name]="${rest#*@}"
  cp "${JAR[$name]}" "$OUT/fiberlb-$name.jar"
  JAR[$name]="$OUT/fiberlb-$name.jar"
done
{
  machine_info
  echo "kind: $KIND rounds=$ROUNDS points=$POINTS modes=$MODES max_seconds=$MAX_SECONDS"
  for n in "${NAMES[@]}"; do echo "variant $n: jar $(sha1sum "${JAR[$n]}" | cut -c1-12), data ${DATA_OF[$n]}"; done
} | tee "$OUT/machine.txt"

for n in "${NAMES[@]}"; do
  if [ "${COPY:-1}" = 1 ]; then
    local copy
    copy="$(mktemp -d /tmp/fiberlb-audit-cmp-XXXXXX)"
    COPIES+=("$copy")
    log "$n: copying ${DATA_OF[$n]} to $copy"
    cp -r "${DATA_OF[$n]}"/. "$copy"/
    DATA_OF[$n]="$copy"
  fi
  rm -f "${DATA_OF[$n]}/grpc.port"
  # shellcheck disable=SC2086
  env FIBERLB_GRPC_PORT=0 FIBERLB_DATA_DIR="${DATA_OF[$n]}" FIBERLB_CLUSTER_PORT=0 FIBERLB_VIP_RANGE=127.16.0.0/16 \
    FIBERLB_METRICS_PORT=0 FIBERLB_DATAPLANE_ENABLED=false \
    java -Djava.util.concurrent.ForkJoinPool.common.parallelism=2 ${SERVER_JAVA_OPTS:-} -jar "${JAR[$n]}" server \
    >"$OUT/server-$n.log" 2>&1 &
  PID[$n]=$!
  log "$n: server ${PID[$n]}"
done
for n in "${NAMES[@]}"; do
  local i
  for i in $(seq 1 1800); do
    if [ -s "${DATA_OF[$n]}/grpc.port" ]; then break; fi
    kill -0 "${PID[$n]}" 2>/dev/null || { log "$n: the server exited; its log:"; tail -30 "$OUT/server-$n.log" >&2; exit 1; }
    sleep 0.1
  done
  PORT[$n]=$(tr -d '[:space:]' < "${DATA_OF[$n]}/grpc.port")
  SERVER_PID="${PID[$n]}"
  wait_server_quiet
  log "$n: port ${PORT[$n]}"
done
SERVER_PID=""

DATA_DIR="${DATA_OF[${NAMES[0]}]}"
local round k n
for round in $(seq 1 "$ROUNDS"); do
  for k in $(seq 0 $(( ${#NAMES[@]} - 1 ))); do
    n="${NAMES[$(( (k + round - 1) % ${#NAMES[@]} ))]}"
    DATA_DIR="${DATA_OF[$n]}"
    if [ "${PROFILE:-0}" = 1 ] && [ "$round" = "$ROUNDS" ]; then
      jcmd "${PID[$n]}" JFR.start name=cmp settings=profile filename="$OUT/$KIND-$n.jfr" >/dev/null
    fi
    log "round $round: $n"
    if [ "$KIND" = replay ]; then
      run_java AuditBench replay --port "${PORT[$n]}" --server-pid "${PID[$n]}" --org "$(manifest replay.org)" \
        --project "$(manifest replay.project)" --lb "$(manifest replay.lb)" --expect-version "$(manifest replay.version)" \
        --warmup 1 --runs 1 --points "$POINTS" --label "$n" --out "$OUT/results.tsv" >>"$OUT/bench-$n.log" 2>&1
    else
      local mode
      for mode in $MODES; do
        local common=(--port "${PORT[$n]}" --server-pid "${PID[$n]}" --org "$(manifest export.org)"
          --project "$(manifest export.project)" --expect-events "$(manifest journal.export.events)" --warmup 0 --runs 1
          --max-seconds "$MAX_SECONDS" --out "$OUT/results.tsv" --label "$n-$mode")
        if [ "$mode" = cli ]; then
          run_java AuditBench cli "${common[@]}" --file "$FILES/export.jsonl" -- \
            java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "${JAR[$n]}" audit export \
            --server "127.0.0.1:${PORT[$n]}" --org "$(manifest export.org)" --project "$(manifest export.project)" \
            >>"$OUT/bench-$n.log" 2>&1
        else
          run_java AuditBench export "${common[@]}" --mode "$mode" --file "$FILES/export.jsonl" \
            >>"$OUT/bench-$n.log" 2>&1
        fi
        [ -f "$FILES/export.jsonl" ] && { head -2 "$FILES/export.jsonl" > "$OUT/sample-$n-$mode.jsonl"; rm -f "$FILES/export.jsonl"; }
      done
    fi
    if [ "${PROFILE:-0}" = 1 ] && [ "$round" = "$ROUNDS" ]; then
      jcmd "${PID[$n]}" JFR.stop name=cmp >/dev/null || true
      python3 "$audit_dir/jfr-top.py" "$OUT/$KIND-$n.jfr" 30 > "$OUT/$KIND-$n-top.txt" || true
    fi
    tail -n +2 "$OUT/results.tsv" | tail -3 | cut -f1-8 >&2
  done
done

echo
echo "== summary ($OUT) =="
cat "$OUT/machine.txt"
python3 - "$OUT" <<'PY' | tee "$OUT/summary.md"
import csv, os, statistics, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(out, "results.tsv")), delimiter="\t"))
groups = {}
for r in rows:
    groups.setdefault(r["label"], []).append(r)
print()
print("| variant | runs | events | median ms | min..max ms | events/s (median) | server CPU us/event | complete |")
print("|---|---:|---:|---:|---|---:|---:|---|")
for label, rs in groups.items():
    ms = [float(r["wall_ms"]) for r in rs]
    print(f"| {label} | {len(rs)} | {statistics.median(int(r['events']) for r in rs):.0f} | {statistics.median(ms):.0f} "
          f"| {min(ms):.0f}..{max(ms):.0f} | {statistics.median(float(r['events_per_s']) for r in rs):.0f} "
          f"| {statistics.median(float(r['server_us_per_event']) for r in rs):.1f} "
          f"| {'/'.join(sorted(set(r['complete'] for r in rs)))} |")
PY
}

compare_cleanup() {
  if [ -n "$CHILD_PID" ]; then kill -TERM "$CHILD_PID" 2>/dev/null || true; wait "$CHILD_PID" 2>/dev/null || true; fi
  local n
  for n in "${NAMES[@]:-}"; do
    [ -n "$n" ] && [ -n "${PID[$n]:-}" ] || continue
    SERVER_PID="${PID[$n]}"
    stop_server
  done
  local c
  for c in "${COPIES[@]:-}"; do [ -n "$c" ] && rm -rf "$c"; done
  rm -rf "$FILES"
}

main "$@"
