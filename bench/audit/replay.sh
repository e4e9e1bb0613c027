#!/usr/bin/env bash
# Replay speed of GetLoadBalancerAt on one load balancer with many events, and what starting from the entity's
# snapshot would save. See bench/audit/README.md.
#
# Usage: bench/audit/replay.sh [EVENTS]      (default 5000: a 1-2 minute run; the goal is stated for 100000)
#
# 1. builds target/fiberlb.jar if stale and compiles src/test/java/io/fiberlb/bench/audit against a copy of it;
# 2. generates a journal (AuditGen: the real entities in-process) with one load balancer of EVENTS events in project
#    bench/replay, unless DATA points at a directory that has one;
# 3. for each server VARIANT (see server_variant in lib.sh: baseline = the jar as built; indexed = the same jar with
#    the bench's IndexedReadJournalDao plugged in by configuration): starts the server on it (its own JVM, free
#    port), waits until it is quiet (remember-entities), and times GetLoadBalancerAt from a client JVM: WARMUP
#    calls, then RUNS timed calls, for each point of POINTS ("now" = no `at`; a fraction f = at version
#    f x latest), with the server's CPU per event from /proc;
#    PROFILE=1: RUNS more calls under a JFR recording of the server, summarised (where the CPU goes);
# 4. stops the server, then (PROTO=1) times the parts in-process with AuditProto: SQL, deserialization, fold, read
#    journal, and the snapshot prototype (latest snapshot + the events after it), whose answer must equal the
#    full replay's;
# 6. prints a table; everything is in bench/results/audit-replay-<time>/.
#
# Environment: VARIANTS="baseline indexed" RUNS=5 WARMUP=2 POINTS=now,0.5 PROTO=1 PROFILE=0, and BUILD, DATA,
# KEEP_DATA, SERVER_JAVA_OPTS,
# BENCH_JAVA_OPTS, VARBINARY (see bench/audit/lib.sh).
set -euo pipefail
# shellcheck source=bench/audit/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The whole script is one function, read by bash before anything runs: editing this file while it runs cannot
# change a run in progress.
main() {

EVENTS="${1:-5000}"
RUNS="${RUNS:-5}"
WARMUP="${WARMUP:-2}"
POINTS="${POINTS:-now,0.5}"
VARIANTS="${VARIANTS:-baseline indexed}"
GOAL=200000

OUT="$(new_results_dir audit-replay)"
WORK="$OUT"
trap cleanup EXIT
trap 'exit 130' INT TERM

build_all "$WORK"
if [ -n "${DATA:-}" ]; then
  DATA_DIR="$DATA"
else
  TMP_DATA="$(mktemp -d /tmp/fiberlb-audit-XXXXXX)"
  DATA_DIR="$TMP_DATA"
fi
{
  machine_info
  echo "replay events: $EVENTS (ignored when DATA has a journal) variants: $VARIANTS runs=$RUNS warmup=$WARMUP" \
    "points=$POINTS"
} | tee "$OUT/machine.txt"

generate "$DATA_DIR" --replay-events "$EVENTS" --export-events 0
LB="$(manifest replay.lb)"
[ -n "$LB" ] || { log "the journal in $DATA_DIR has no replay load balancer"; exit 1; }
varbinary_copy
N="$(manifest replay.events)"
echo "replay load balancer: $LB, $N events, version $(manifest replay.version), $(manifest replay.children) children" |
  tee -a "$OUT/machine.txt"
echo "journal: $(du -sh "$DATA_DIR" | cut -f1)" | tee -a "$OUT/machine.txt"

for variant in $VARIANTS; do
  server_variant "$variant"
  local size0
  size0=$(journal_bytes)
  start_server "$OUT/server-$variant.log"
  wait_server_quiet
  common=(--port "$SERVER_PORT" --server-pid "$SERVER_PID" --org "$(manifest replay.org)"
    --project "$(manifest replay.project)" --lb "$LB" --expect-events "$N" --expect-version "$(manifest replay.version)")
  log "variant $variant: timing GetLoadBalancerAt: $WARMUP warm-up + $RUNS timed calls per point ($POINTS)"
  run_java AuditBench replay "${common[@]}" --warmup "$WARMUP" --runs "$RUNS" --points "$POINTS" \
    --label "$variant-n$N" --out "$OUT/results.tsv" >"$OUT/bench-$variant.log" 2>&1
  grep -v '^SLF4J\| INFO ' "$OUT/bench-$variant.log" >&2
  if [ "${PROFILE:-0}" = 1 ]; then
    log "variant $variant: profiling the server (JFR) over $RUNS more calls"
    jfr_start "replay-$variant"
    run_java AuditBench replay "${common[@]}" --warmup 0 --runs "$RUNS" --points now --label "$variant-n$N-profiled" \
      --out "$OUT/profiled.tsv" >"$OUT/bench-$variant-profiled.log" 2>&1
    jfr_stop "replay-$variant"
    head -45 "$OUT/replay-$variant-top.txt"
  fi
  stop_server
  echo "$variant: the journal file went from $((size0 / 1000000)) MB to $(( $(journal_bytes) / 1000000 )) MB" \
    "while this variant's server ran" | tee -a "$OUT/journal-growth.txt" >&2
done

if [ "${PROTO:-1}" = 1 ]; then
  log "in-process breakdown and the snapshot prototype (AuditProto; server stopped)"
  run_java AuditProto replay --data-dir "$DATA_DIR" --lb "$LB" --org "$(manifest replay.org)" \
    --project "$(manifest replay.project)" --runs 3 --warmup 1 --label "baseline" --out "$OUT/proto.tsv" \
    >"$OUT/proto.log" 2>&1
  grep -v '^SLF4J\| INFO ' "$OUT/proto.log" >&2
  log "the same with IndexedReadJournalDao (read journal stages differ; SQL and in-memory stages do not)"
  BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:-} -Djdbc-read-journal.dao=io.fiberlb.bench.audit.IndexedReadJournalDao" \
    run_java AuditProto replay --data-dir "$DATA_DIR" --lb "$LB" --org "$(manifest replay.org)" \
    --project "$(manifest replay.project)" --runs 3 --warmup 1 --label "indexed" --out "$OUT/proto.tsv" \
    >"$OUT/proto-indexed.log" 2>&1
  grep -v '^SLF4J\| INFO ' "$OUT/proto-indexed.log" | grep "read journal\|prototype" >&2
fi

echo
echo "== summary ($OUT) =="
cat "$OUT/machine.txt"
cat "$OUT/journal-growth.txt"
python3 - "$OUT" "$GOAL" <<'PY' | tee "$OUT/summary.md"
import csv, os, statistics, sys
out, goal = sys.argv[1], float(sys.argv[2])
rows = list(csv.DictReader(open(os.path.join(out, "results.tsv")), delimiter="\t"))
print()
print("GetLoadBalancerAt through the server (median of the timed calls)")
print()
print("| call | events replayed | runs | median ms | min..max ms | events/s | goal 200,000/s: measured/goal | server CPU us/event |")
print("|---|---:|---:|---:|---|---:|---:|---:|")
groups = {}
for r in rows:
    groups.setdefault(r["label"], []).append(r)
for label, rs in groups.items():
    ms = [float(r["wall_ms"]) for r in rs]
    med = statistics.median(ms)
    ev = int(rs[0]["events"])
    cpu = statistics.median(float(r["server_us_per_event"]) for r in rs)
    print(f"| {label} | {ev} | {len(rs)} | {med:.0f} | {min(ms):.0f}..{max(ms):.0f} | {ev * 1000 / med:.0f} "
          f"| {ev * 1000 / med / goal:.3f} | {cpu:.1f} |")
proto = os.path.join(out, "proto.tsv")
if os.path.exists(proto):
    rows = list(csv.DictReader(open(proto), delimiter="\t"))
    print()
    print("In-process parts (AuditProto, server stopped; median of 3 after 1 warm-up; 'prototype' rows count the"
          " events the answer stands for, so their events/s compare with a full replay)")
    print()
    print("| read journal DAO | stage | events | median ms | us/event | events/s |")
    print("|---|---|---:|---:|---:|---:|")
    groups = {}
    for r in rows:
        groups.setdefault((r["label"], r["stage"]), []).append(r)
    for (label, stage), rs in groups.items():
        ms = statistics.median(float(r["wall_ms"]) for r in rs)
        ev = int(rs[0]["events"])
        print(f"| {label} | {stage} | {ev} | {ms:.1f} | {ms * 1000 / ev:.2f} | {ev * 1000 / ms:.0f} |")
PY
}

main "$@"
