#!/usr/bin/env bash
# `audit export` throughput: a whole project's events as JSON Lines, end to end (the CLI) and the server alone (a
# Java client that only counts, and one that writes JSON Lines like the CLI). See bench/audit/README.md.
#
# Usage: bench/audit/export.sh [EVENTS [LBS]]   (default 20000 events in 20 load balancers: a 1-2 minute run;
#                                                the goal is stated for 1000000 events)
#
# 1. builds target/fiberlb.jar if stale and compiles src/test/java/io/fiberlb/bench/audit against a copy of it;
# 2. generates a journal (AuditGen: the real entities in-process) with LBS load balancers and EVENTS events in
#    project bench/export, unless DATA points at a directory that has one;
# 3. for each server VARIANT: starts the server on it (its own JVM, free port), waits until it is quiet, and for
#    each MODE runs WARMUP + RUNS exports of the project (StreamEvents, follow=false), each cut off after
#    MAX_SECONDS (recorded as incomplete, with what it had exported by then):
#      count  a Java client that only counts the events (the server's cost, plus gRPC decoding)
#      json   a Java client that writes JSON Lines to a file as the CLI does (JsonFormat, proto field names,
#             default values, compact)
#      cli    `fiberlb audit export --project P > file` (the jar run as bin/fiberlb runs it), if the jar has it
#    TAILS="10000 50000": before the modes, one count export of only the project's last K events for each K
#    (StreamEvents from the offset that leaves K; the offsets are read from the journal before the servers start):
#    how the time grows with the number of events exported, at the same journal size;
#    PROFILE=1: one more json export under a JFR recording of the server (cut off after PROFILE_SECONDS, default
#    MAX_SECONDS), summarised;
#    Variants:
#      baseline  the server as built
#      indexed   the same jar with index-friendly read-journal queries (IndexedReadJournalDao, a prototype in the
#                bench code, plugged in with -Djdbc-read-journal.dao=...; nothing in src/ changes)
#      indexed-buf5000  indexed and -Djdbc-read-journal.max-buffer-size=5000 (batches of 5000, not 500)
# 4. stops the server, then (PROTO=1) times the parts in-process with AuditProto (SQL, read journal with the
#    indexed queries, toWire with and without details_json, protobuf encoding, the client's JSON printing);
# 5. prints a table; everything is in bench/results/audit-export-<time>/ (the JSON files go to a temporary
#    directory and are deleted; the first lines are kept as a sample).
#
# Environment: VARIANTS="baseline indexed" MODES="count json cli" RUNS=3 WARMUP=1 MAX_SECONDS=600 PROTO=1
# PROFILE=0, and BUILD, DATA, KEEP_DATA, SERVER_JAVA_OPTS, BENCH_JAVA_OPTS, VARBINARY (see bench/audit/lib.sh).
set -euo pipefail
# shellcheck source=bench/audit/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The whole script is one function, read by bash before anything runs: editing this file while it runs cannot
# change a run in progress.
main() {

EVENTS="${1:-20000}"
LBS="${2:-$(( EVENTS / 1000 > 0 ? (EVENTS / 1000 < 1000 ? EVENTS / 1000 : 1000) : 1 ))}"
RUNS="${RUNS:-3}"
WARMUP="${WARMUP:-1}"
MAX_SECONDS="${MAX_SECONDS:-600}"
VARIANTS="${VARIANTS:-baseline indexed}"
MODES="${MODES:-count json cli}"
GOAL=100000

OUT="$(new_results_dir audit-export)"
WORK="$OUT"
FILES="$(mktemp -d /tmp/fiberlb-audit-export-XXXXXX)"
trap 'cleanup; rm -rf "$FILES"' EXIT
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
  echo "export events: $EVENTS in $LBS load balancers (ignored when DATA has a journal); variants: $VARIANTS;" \
    "modes: $MODES; runs=$RUNS warmup=$WARMUP max_seconds=$MAX_SECONDS"
} | tee "$OUT/machine.txt"

generate "$DATA_DIR" --replay-events 0 --export-events "$EVENTS" --export-lbs "$LBS"
ORG="$(manifest export.org)"
PROJECT="$(manifest export.project)"
[ -n "$PROJECT" ] || { log "the journal in $DATA_DIR has no export project"; exit 1; }
varbinary_copy
N="$(manifest export.events)"
echo "export project: $ORG/$PROJECT, $N events in $(manifest export.lbs) load balancers" | tee -a "$OUT/machine.txt"
echo "journal: $(du -sh "$DATA_DIR" | cut -f1) ($(manifest journal.rows) rows in event_journal)" | tee -a "$OUT/machine.txt"

has_cli_export() {
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$WORK/fiberlb.jar" audit export --help >/dev/null 2>&1
}

if [ -n "${TAILS:-}" ]; then
  run_java AuditProto offsets --data-dir "$DATA_DIR" --org "$ORG" --project "$PROJECT" \
    --tails "$(echo "$TAILS" | tr ' ' ',')" >"$OUT/offsets.log" 2>&1
  grep -v '^SLF4J\| INFO ' "$OUT/offsets.log" > "$OUT/offsets.txt"
  log "offsets of the tails (K offset): $(tr '\n' ' ' < "$OUT/offsets.txt")"
fi

for variant in $VARIANTS; do
  server_variant "$variant"
  local size0
  size0=$(journal_bytes)
  log "variant $variant: starting the server"
  start_server "$OUT/server-$variant.log"
  wait_server_quiet
  common=(--port "$SERVER_PORT" --server-pid "$SERVER_PID" --org "$ORG" --project "$PROJECT" --expect-events "$N"
    --warmup "$WARMUP" --runs "$RUNS" --max-seconds "$MAX_SECONDS" --out "$OUT/results.tsv")
  if [ -n "${TAILS:-}" ]; then
    local k off
    while read -r k off; do
      log "variant $variant: the project's last $k events (from offset $off), cut off after $MAX_SECONDS s"
      run_java AuditBench export --port "$SERVER_PORT" --server-pid "$SERVER_PID" --org "$ORG" --project "$PROJECT" \
        --from-offset "$off" --expect-events "$k" --warmup 0 --runs 1 --max-seconds "$MAX_SECONDS" --mode count \
        --label "$variant-tail$k" --out "$OUT/tails.tsv" >"$OUT/bench-$variant-tail$k.log" 2>&1
      grep -v '^SLF4J\| INFO ' "$OUT/bench-$variant-tail$k.log" | grep -v '^  \.\.\.' >&2 || true
    done < "$OUT/offsets.txt"
  fi
  for mode in $MODES; do
    log "variant $variant, mode $mode: $WARMUP + $RUNS exports of $N events (each cut off after $MAX_SECONDS s)"
    case "$mode" in
      count|json)
        run_java AuditBench export "${common[@]}" --mode "$mode" --file "$FILES/export-$variant-$mode.jsonl" \
          --label "$variant-$mode" >"$OUT/bench-$variant-$mode.log" 2>&1 ;;
      cli)
        if ! has_cli_export; then
          log "this jar has no 'audit export' command; skipping the CLI"
          continue
        fi
        run_java AuditBench cli "${common[@]}" --file "$FILES/export-$variant-cli.jsonl" --label "$variant-cli" -- \
          java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$WORK/fiberlb.jar" audit export \
          --server "127.0.0.1:$SERVER_PORT" --org "$ORG" --project "$PROJECT" >"$OUT/bench-$variant-cli.log" 2>&1 ;;
      *) log "unknown mode $mode"; exit 2 ;;
    esac
    grep -v '^SLF4J\| INFO ' "$OUT/bench-$variant-$mode.log" >&2 || true
    if [ -f "$FILES/export-$variant-$mode.jsonl" ]; then
      head -3 "$FILES/export-$variant-$mode.jsonl" > "$OUT/sample-$variant-$mode.jsonl"
      rm -f "$FILES/export-$variant-$mode.jsonl"
    fi
  done
  if [ "${PROFILE:-0}" = 1 ]; then
    log "variant $variant: one more json export under JFR"
    jfr_start "export-$variant"
    run_java AuditBench export --port "$SERVER_PORT" --server-pid "$SERVER_PID" --org "$ORG" --project "$PROJECT" \
      --expect-events "$N" --warmup 0 --runs 1 --max-seconds "${PROFILE_SECONDS:-$MAX_SECONDS}" --mode json \
      --file /dev/null \
      --label "$variant-json-profiled" --out "$OUT/profiled.tsv" >"$OUT/bench-$variant-profiled.log" 2>&1
    jfr_stop "export-$variant"
    head -45 "$OUT/export-$variant-top.txt"
  fi
  stop_server
  echo "$variant: the journal file went from $((size0 / 1000000)) MB to $(( $(journal_bytes) / 1000000 )) MB" \
    "while this variant's server ran" | tee -a "$OUT/journal-growth.txt" >&2
done

if [ "${PROTO:-1}" = 1 ]; then
  log "in-process breakdown (AuditProto with the indexed queries; server stopped)"
  BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:-} -Djdbc-read-journal.dao=io.fiberlb.bench.audit.IndexedReadJournalDao" \
    run_java AuditProto export --data-dir "$DATA_DIR" --org "$ORG" --project "$PROJECT" --runs 3 \
    --label "n$N-indexed" --out "$OUT/proto.tsv" >"$OUT/proto.log" 2>&1
  grep -v '^SLF4J\| INFO ' "$OUT/proto.log" >&2
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
print("Exports through the server (runs: timed runs; 'first' is the warm-up, the first export after the start)")
print()
print("| variant-mode | runs | events | complete | median s | events/s | goal 100,000/s: measured/goal "
      "| first event after ms | server CPU us/event | client CPU us/event | MB written | first export events/s |")
print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
groups, firsts = {}, {}
for r in rows:
    if r["label"].endswith("-first"):
        firsts[r["label"][:-6]] = r
    else:
        groups.setdefault(r["label"], []).append(r)
for label in sorted(set(groups) | set(firsts), key=lambda x: list(groups).index(x) if x in groups else 99):
    rs = groups.get(label) or [firsts[label]]
    secs = statistics.median(float(r["wall_ms"]) / 1000 for r in rs)
    ev = statistics.median(int(r["events"]) for r in rs)
    rate = statistics.median(float(r["events_per_s"]) for r in rs)
    complete = "/".join(sorted(set(r["complete"] for r in rs)))
    first_ms = statistics.median(float(r["first_event_ms"]) for r in rs)
    srv = statistics.median(float(r["server_us_per_event"]) for r in rs)
    cl = [float(r["client_us_per_event"]) for r in rs if r["client_us_per_event"] != "-"]
    mb = statistics.median(int(r["bytes"]) for r in rs) / 1e6
    f = firsts.get(label)
    first_rate = f"{float(f['events_per_s']):.0f}" if f else "-"
    runs = len(groups.get(label, []))
    print(f"| {label} | {runs} | {ev:.0f} | {complete} | {secs:.1f} | {rate:.0f} | {rate / goal:.3f} "
          f"| {first_ms:.0f} | {srv:.1f} | {statistics.median(cl) if cl else float('nan'):.1f} | {mb:.0f} | {first_rate} |")
tails = os.path.join(out, "tails.tsv")
if os.path.exists(tails):
    print()
    print("The project's last K events only (count mode, one run each, first run after the modes above)")
    print()
    print("| variant | K | exported | complete | s | events/s | first event after ms | server CPU us/event |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for r in csv.DictReader(open(tails), delimiter="\t"):
        v, k = r["label"].rsplit("-tail", 1)
        print(f"| {v} | {k} | {r['events']} | {r['complete']} | {float(r['wall_ms']) / 1000:.1f} "
              f"| {float(r['events_per_s']):.0f} | {float(r['first_event_ms']):.0f} | {r['server_us_per_event']} |")
proto = os.path.join(out, "proto.tsv")
if os.path.exists(proto):
    rows = list(csv.DictReader(open(proto), delimiter="\t"))
    print()
    print("In-process parts (AuditProto, server stopped, read journal with the indexed queries; median of the runs)")
    print()
    print("| stage | events | median ms | us/event | events/s |")
    print("|---|---:|---:|---:|---:|")
    groups = {}
    for r in rows:
        groups.setdefault(r["stage"], []).append(r)
    for stage, rs in groups.items():
        ms = statistics.median(float(r["wall_ms"]) for r in rs)
        ev = int(rs[0]["events"])
        print(f"| {stage} | {ev} | {ms:.1f} | {ms * 1000 / ev:.2f} | {ev * 1000 / ms:.0f} |")
PY
}

main "$@"
