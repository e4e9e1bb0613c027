# Shared by the benchmark scripts: build, start and stop a server, run the load generator. Source it, do not run it.
#
# Environment knobs (all optional):
#   BUILD=0             skip `mvn package` (use target/fiberlb.jar as it is)
#   SERVER_JAVA_OPTS    JVM options for the server, e.g. "-Xmx2g" or
#                       "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2" (see docs/benchmarks.md)
#   BENCH_JAVA_OPTS     JVM options for the load generator
#   PROFILE=1           record a JFR profile of every server (settings=profile) into the results directory

bench_root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER_PID=""
GEN_PID=""

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# A results directory of its own: bench/results/<name>-<timestamp>.
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

# Builds target/fiberlb.jar if it is older than the sources (under the same lock as bin/fiberlb), copies it into
# $1 (so a rebuild by someone else during the run cannot change the server under test) and compiles the load
# generator (src/test/java/io/fiberlb/bench only) against that copy into $1/bench-classes.
build_all() {
  local work="$1"
  if [ "${BUILD:-1}" != 0 ] && jar_stale; then
    mkdir -p "$bench_root/target"
    local attempt ok=0
    for attempt in 1 2 3; do
      if (
        exec 9>"$bench_root/target/.fiberlb-build.lock"
        if command -v flock >/dev/null; then flock 9; fi
        if jar_stale; then
          log "building target/fiberlb.jar (mvn -q -B -DskipTests package)"
          cd "$bench_root" && mvn -q -B -DskipTests package >&2
        fi
      ); then ok=1; break; fi
      log "mvn package failed (attempt $attempt); retrying in 60 s"
      sleep 60
    done
    if [ "$ok" != 1 ]; then
      if [ -f "$bench_root/target/fiberlb.jar" ]; then
        log "WARNING: the build keeps failing; benchmarking the existing target/fiberlb.jar"
      else
        log "no target/fiberlb.jar and the build fails"; return 1
      fi
    fi
  fi
  cp "$bench_root/target/fiberlb.jar" "$work/fiberlb.jar"
  mkdir -p "$work/bench-classes"
  javac --release 17 -nowarn -d "$work/bench-classes" -cp "$work/fiberlb.jar" \
    "$bench_root"/src/test/java/io/fiberlb/bench/*.java
  ( cd "$bench_root" && git rev-parse --short HEAD 2>/dev/null || echo unknown ) > "$work/git-rev"
  ( cd "$bench_root" && git status --short src/main pom.xml 2>/dev/null | head -50 ) > "$work/git-status"
}

# start_server DATA_DIR LOG_FILE [VAR=value ...]: starts `java -jar fiberlb.jar server` on a free port with the
# given data directory and extra environment, sets SERVER_PID and SERVER_PORT and SERVER_START_MS, and waits for
# DATA_DIR/grpc.port. The caller may set START_FILE: "pid start-ms" is written there (atomically) as soon as the
# process has been started, before the wait.
start_server() {
  local data="$1" logf="$2"
  shift 2
  mkdir -p "$data"
  rm -f "$data/grpc.port"
  local jfr=""
  if [ "${PROFILE:-0}" = 1 ]; then
    jfr="-XX:StartFlightRecording=settings=profile,dumponexit=true,filename=${logf%.log}.jfr"
  fi
  SERVER_START_MS=$(date +%s%3N)
  # shellcheck disable=SC2086  # options are meant to be split
  env FIBERLB_GRPC_PORT=0 FIBERLB_METRICS_PORT=0 FIBERLB_DATA_DIR="$data" FIBERLB_CLUSTER_PORT=0 "$@" \
    java ${SERVER_JAVA_OPTS:-} $jfr -jar "$WORK/fiberlb.jar" server >"$logf" 2>&1 &
  SERVER_PID=$!
  if [ -n "${START_FILE:-}" ]; then
    echo "$SERVER_PID $SERVER_START_MS" > "$START_FILE.w" && mv "$START_FILE.w" "$START_FILE"
  fi
  local i
  for i in $(seq 1 1200); do
    if [ -s "$data/grpc.port" ] && grep -q . "$data/grpc.port"; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "the server exited during start; its log:"; tail -30 "$logf" >&2; SERVER_PID=""; return 1
    fi
    sleep 0.1
  done
  SERVER_PORT=$(tr -d '[:space:]' < "$data/grpc.port")
  [ -n "$SERVER_PORT" ] || { log "no grpc.port after 120 s"; return 1; }
}

# Stops the server started by start_server: SIGTERM, wait up to 60 s, then SIGKILL. Only that PID.
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 600); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "server $SERVER_PID did not stop in 60 s; SIGKILL"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

stop_generator() {
  [ -n "$GEN_PID" ] || return 0
  kill -TERM "$GEN_PID" 2>/dev/null || true
  wait "$GEN_PID" 2>/dev/null || true
  GEN_PID=""
}

cleanup() {
  stop_generator
  stop_server
  if [ -n "${TMP_DATA:-}" ] && [ "${KEEP_DATA:-0}" != 1 ]; then rm -rf "$TMP_DATA"; fi
}

# gen LOG CLASS ARGS...: runs the load generator, waits for it, and shows its output (also saved to LOG). It runs
# as a direct child of the script (not inside a pipeline), so the EXIT trap knows its PID.
gen() {
  local logf="$1" cls="$2"
  shift 2
  : > "$logf.raw" # exists before tail looks at it
  # shellcheck disable=SC2086
  FIBERLB_LOG_LEVEL=WARN java ${BENCH_JAVA_OPTS:-} -Dbench.clk.tck="$(getconf CLK_TCK)" \
    -cp "$WORK/bench-classes:$WORK/fiberlb.jar" "io.fiberlb.bench.$cls" "$@" >> "$logf.raw" 2>&1 &
  GEN_PID=$!
  local rc=0
  tail -n +1 -f --pid="$GEN_PID" "$logf.raw" 2>/dev/null | grep --line-buffered -v '^SLF4J' || true
  wait "$GEN_PID" || rc=$?
  GEN_PID=""
  grep -v '^SLF4J' "$logf.raw" > "$logf" || true
  rm -f "$logf.raw"
  return $rc
}

machine_info() {
  echo "host: $(uname -srm), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GB RAM"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "SERVER_JAVA_OPTS='${SERVER_JAVA_OPTS:-}' BENCH_JAVA_OPTS='${BENCH_JAVA_OPTS:-}'"
}
