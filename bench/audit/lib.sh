# Shared by bench/audit/replay.sh and bench/audit/export.sh. Source it, do not run it.
#
# Environment knobs (all optional):
#   BUILD=0            skip `mvn package` (use target/fiberlb.jar as it is)
#   DATA=DIR           use (and keep) this data directory; generate into it only if it has no manifest.properties
#   KEEP_DATA=1        keep a generated data directory (printed at the end) instead of deleting it
#   SERVER_JAVA_OPTS   JVM options for the server
#   BENCH_JAVA_OPTS    JVM options for the client, generator and in-process tools
#   PROFILE=1          one more timed pass with a JFR recording of the server, summarised by jfr-top.py
#   PROTO=0            skip the in-process breakdown (AuditProto), which needs the server stopped
#   COPY_DATA=1        measure a copy of DATA (in a temporary directory, deleted at the end): reads grow an H2
#                      journal (see docs/benchmarks-audit.md), so runs on the same DATA are not alike otherwise
#   VARBINARY=1        measure a copy of the journal whose event_payload column is VARBINARY instead of BLOB (the
#                      copy is made in a temporary directory and deleted at the end)

audit_dir="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench_root="$(cd -P "$audit_dir/../.." && pwd)"
SERVER_PID=""
CHILD_PID=""
TMP_DATA=""

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

new_results_dir() {
  local dir="$bench_root/bench/results/$1-$(date +%Y%m%d-%H%M%S)"
  mkdir -p "$dir"
  echo "$dir"
}

jar_stale() {
  local jar="$bench_root/target/fiberlb.jar"
  [ ! -f "$jar" ] || [ "$bench_root/pom.xml" -nt "$jar" ] ||
    [ -n "$(find "$bench_root/src/main" -newer "$jar" -print -quit)" ]
}

# build_all WORK: builds target/fiberlb.jar if older than the sources (under bin/fiberlb's lock), copies it into WORK
# (a rebuild by someone else cannot change the server under test) and compiles src/test/java/io/fiberlb/bench/audit
# against that copy into WORK/bench-classes.
build_all() {
  local work="$1"
  if [ "${BUILD:-1}" != 0 ] && jar_stale; then
    mkdir -p "$bench_root/target"
    if ! (
      exec 9>"$bench_root/target/.fiberlb-build.lock"
      if command -v flock >/dev/null; then flock 9; fi
      if jar_stale; then
        log "building target/fiberlb.jar (mvn -q -B -DskipTests package)"
        cd "$bench_root" && mvn -q -B -DskipTests package >&2
      fi
    ); then
      if [ -f "$bench_root/target/fiberlb.jar" ]; then
        log "WARNING: the build failed; benchmarking the existing target/fiberlb.jar"
      else
        log "no target/fiberlb.jar and the build fails"; return 1
      fi
    fi
  fi
  cp "$bench_root/target/fiberlb.jar" "$work/fiberlb.jar"
  mkdir -p "$work/bench-classes"
  javac --release 17 -nowarn -d "$work/bench-classes" -cp "$work/fiberlb.jar" \
    "$bench_root"/src/test/java/io/fiberlb/bench/audit/*.java
  ( cd "$bench_root" && git rev-parse --short HEAD 2>/dev/null || echo unknown ) > "$work/git-rev"
  ( cd "$bench_root" && git status --short src/main pom.xml 2>/dev/null | head -50 ) > "$work/git-status"
}

machine_info() {
  echo "host: $(uname -srm), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GB RAM"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "other java processes at start:"
  ps -eo pid,etimes,pcpu,args --sort=-pcpu | awk 'NR>1 && /java/ && !/awk/' | cut -c1-200 | sed 's/^/  /' | head -8
  echo "SERVER_JAVA_OPTS='${SERVER_JAVA_OPTS:-}' BENCH_JAVA_OPTS='${BENCH_JAVA_OPTS:-}'"
  echo "git: $(cat "$WORK/git-rev")"
}

# run_java CLASS ARGS...: a bench tool in the foreground, as a child whose PID the EXIT trap knows. Call it
# without a pipe (a pipeline would run it in a subshell, out of the trap's reach); redirect to a file instead.
run_java() {
  local cls="$1"
  shift
  # shellcheck disable=SC2086
  java ${BENCH_JAVA_OPTS:-} -Dbench.clk.tck="$(getconf CLK_TCK)" -cp "$WORK/bench-classes:$WORK/fiberlb.jar" \
    "io.fiberlb.bench.audit.$cls" "$@" &
  CHILD_PID=$!
  local rc=0
  wait "$CHILD_PID" || rc=$?
  CHILD_PID=""
  return $rc
}

# generate DATA_DIR ARGS...: AuditGen into DATA_DIR unless it already has a manifest.
generate() {
  local data="$1"
  shift
  if [ -f "$data/manifest.properties" ]; then
    log "using the journal in $data (manifest.properties present)"
    return 0
  fi
  mkdir -p "$data"
  log "generating a journal into $data: $* (progress in $OUT/generate.log)"
  run_java AuditGen --data-dir "$data" --manifest "$data/manifest.properties.tmp" "$@" >"$OUT/generate.log" 2>&1
  grep -v '^SLF4J\| INFO ' "$OUT/generate.log" | grep -v '^  \.\.\.' >&2
  mv "$data/manifest.properties.tmp" "$data/manifest.properties"
  echo "journal size: $(du -sh "$data" | cut -f1)" >> "$OUT/generate.log"
  tail -1 "$OUT/generate.log" >&2
}

# varbinary_copy: with VARBINARY=1, copies DATA_DIR to a temporary directory, changes its payload column to
# VARBINARY, and points DATA_DIR at the copy.
VB_COPY=""
varbinary_copy() {
  if [ "${VARBINARY:-0}" != 1 ] && [ "${COPY_DATA:-0}" != 1 ]; then return 0; fi
  VB_COPY="$(mktemp -d /tmp/fiberlb-audit-copy-XXXXXX)"
  log "copying the journal to $VB_COPY"
  cp -r "$DATA_DIR"/. "$VB_COPY"/
  DATA_DIR="$VB_COPY"
  echo "measured on a copy of the journal" >> "$OUT/machine.txt"
  [ "${VARBINARY:-0}" = 1 ] || return 0
  log "VARBINARY=1: changing event_payload to VARBINARY in the copy"
  run_java AuditProto varbinary --data-dir "$VB_COPY" >"$OUT/varbinary.log" 2>&1
  grep -v '^SLF4J\| INFO ' "$OUT/varbinary.log" >&2
  echo "storage: event_payload VARBINARY (converted copy)" >> "$OUT/machine.txt"
}

# journal_bytes: the size of the H2 file.
journal_bytes() {
  stat -c %s "$DATA_DIR/fiberlb.mv.db" 2>/dev/null || echo 0
}

# manifest KEY: a value from the data directory's manifest.
manifest() {
  grep "^$1=" "$DATA_DIR/manifest.properties" | cut -d= -f2-
}

# start_server LOG [VAR=value ...] : the server on DATA_DIR, a free gRPC port; sets SERVER_PID and SERVER_PORT.
# SERVER_CP: run `io.fiberlb.Main server` with this class path instead of `-jar fiberlb.jar server`.
start_server() {
  local logf="$1"
  shift
  rm -f "$DATA_DIR/grpc.port"
  local launch=(-jar "$WORK/fiberlb.jar" server)
  if [ -n "${SERVER_CP:-}" ]; then launch=(-cp "$SERVER_CP" io.fiberlb.Main server); fi
  # shellcheck disable=SC2086
  env FIBERLB_GRPC_PORT=0 FIBERLB_METRICS_PORT=0 FIBERLB_DATA_DIR="$DATA_DIR" FIBERLB_CLUSTER_PORT=0 FIBERLB_VIP_RANGE=127.16.0.0/16 "$@" \
    java ${SERVER_JAVA_OPTS:-} ${SERVER_EXTRA_OPTS:-} "${launch[@]}" >"$logf" 2>&1 &
  SERVER_PID=$!
  local i
  for i in $(seq 1 1800); do
    if [ -s "$DATA_DIR/grpc.port" ] && grep -q . "$DATA_DIR/grpc.port"; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "the server exited during start; its log:"; tail -30 "$logf" >&2; SERVER_PID=""; return 1
    fi
    sleep 0.1
  done
  SERVER_PORT=$(tr -d '[:space:]' < "$DATA_DIR/grpc.port")
  [ -n "$SERVER_PORT" ] || { log "no grpc.port after 180 s"; return 1; }
  log "server $SERVER_PID on port $SERVER_PORT"
}

# server_variant NAME: sets SERVER_CP and SERVER_EXTRA_OPTS for a server variant.
#   baseline         the jar as built
#   indexed          + IndexedReadJournalDao (bench prototype: index-ordered read-journal queries), via config only
#   indexed-buf5000  indexed, and read-journal batches of 5000 events instead of 500
server_variant() {
  case "$1" in
    baseline) SERVER_CP=""; SERVER_EXTRA_OPTS="" ;;
    indexed) SERVER_CP="$WORK/bench-classes:$WORK/fiberlb.jar"
      SERVER_EXTRA_OPTS="-Djdbc-read-journal.dao=io.fiberlb.bench.audit.IndexedReadJournalDao" ;;
    indexed-buf5000) SERVER_CP="$WORK/bench-classes:$WORK/fiberlb.jar"
      SERVER_EXTRA_OPTS="-Djdbc-read-journal.dao=io.fiberlb.bench.audit.IndexedReadJournalDao"
      SERVER_EXTRA_OPTS="$SERVER_EXTRA_OPTS -Djdbc-read-journal.max-buffer-size=5000" ;;
    *) log "unknown server variant $1"; return 2 ;;
  esac
}

# Waits until the server's CPU stays under 0.15 cores for 3 s (remember-entities restarts every load balancer at
# start), at most 300 s; prints how long it took.
wait_server_quiet() {
  local start now c0 c1 tck
  tck=$(getconf CLK_TCK)
  start=$(date +%s)
  while :; do
    c0=$(awk '{print $14+$15}' "/proc/$SERVER_PID/stat")
    sleep 3
    c1=$(awk '{print $14+$15}' "/proc/$SERVER_PID/stat")
    now=$(date +%s)
    if [ $(( (c1 - c0) * 100 / tck / 3 )) -lt 15 ] || [ $((now - start)) -gt 300 ]; then break; fi
  done
  log "server quiet after $((now - start)) s"
}

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    local t0=$SECONDS
    for i in $(seq 1 1800); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    log "server $SERVER_PID: SIGTERM -> exit took $((SECONDS - t0)) s"
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "server $SERVER_PID did not stop in 180 s; SIGKILL"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# jfr_start NAME: starts a JFR recording of the server (settings=profile) into $OUT/NAME.jfr.
jfr_start() {
  jcmd "$SERVER_PID" JFR.start name=audit settings=profile filename="$OUT/$1.jfr" >/dev/null
}

# jfr_stop NAME: stops it and summarises it into $OUT/NAME-top.txt.
jfr_stop() {
  jcmd "$SERVER_PID" JFR.stop name=audit >/dev/null || true
  python3 "$audit_dir/jfr-top.py" "$OUT/$1.jfr" 30 > "$OUT/$1-top.txt" || true
  log "JFR summary: $OUT/$1-top.txt"
}

cleanup() {
  if [ -n "$CHILD_PID" ]; then kill -TERM "$CHILD_PID" 2>/dev/null || true; wait "$CHILD_PID" 2>/dev/null || true; fi
  CHILD_PID=""
  stop_server
  if [ -n "$VB_COPY" ]; then rm -rf "$VB_COPY"; fi
  if [ -n "$TMP_DATA" ] && [ "${KEEP_DATA:-0}" != 1 ]; then rm -rf "$TMP_DATA"; fi
  if [ -n "$TMP_DATA" ] && [ "${KEEP_DATA:-0}" = 1 ]; then log "kept the journal in $TMP_DATA (DATA=$TMP_DATA to reuse)"; fi
}
