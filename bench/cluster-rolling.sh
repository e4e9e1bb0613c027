#!/usr/bin/env bash
# Rolling restart of a three-node cluster on PostgreSQL under constant load, with real processes on loopback
# (io.fiberlb.it.RollingRestartBench): LBS load balancers with a listener and two TCP backends each, one connection
# with an echo round trip every ~3 ms round robin over their VIPs and a write every 200 ms, while each node in turn
# gets SIGTERM, starts again and settles for SETTLE seconds. Prints the failed connections per node and in total,
# and the writes acknowledged, refused and lost (must be 0).
#   bench/cluster-rolling.sh [LBS [SETTLE]]        (default 12 10; about 2-3 minutes)
# Uses FIBERLB_TEST_POSTGRES=host:port when set; otherwise starts a throwaway PostgreSQL with .ci/postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
out="bench/results/cluster-rolling-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
mvn -q -B -o -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$out/classpath" \
  -Dmdep.includeScope=test 2>/dev/null || mvn -q -B -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile="$out/classpath" -Dmdep.includeScope=test
if [ -z "${FIBERLB_TEST_POSTGRES:-}" ]; then
  pg="$out/postgres"
  trap '.ci/postgres stop "$pg"' EXIT
  FIBERLB_TEST_POSTGRES=$(.ci/postgres start "$pg")
  export FIBERLB_TEST_POSTGRES
fi
{ echo "git $(git rev-parse --short HEAD), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
  java -cp "target/test-classes:target/classes:$(cat "$out/classpath")" io.fiberlb.it.RollingRestartBench \
    "${1:-12}" "${2:-10}"
} 2>&1 | tee "$out/summary.txt"
echo "results: $out/summary.txt"
