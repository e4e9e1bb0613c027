#!/usr/bin/env bash
# Crash failover and graceful handover of a three-node cluster on PostgreSQL, with real processes on loopback
# (io.fiberlb.it.FailoverBench): the owner of a load balancer is killed with SIGKILL KILLS times and stopped with
# SIGTERM STOPS times; prints each time to first served connection / longest gap, and the medians.
#   bench/cluster-failover.sh [KILLS [STOPS]]        (default 5 5; about 1 min per kill or stop)
# Uses FIBERLB_TEST_POSTGRES=host:port when set; otherwise starts a throwaway PostgreSQL with .ci/postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
out="bench/results/cluster-failover-$(date +%Y%m%d-%H%M%S)"
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
  java -cp "target/test-classes:target/classes:$(cat "$out/classpath")" io.fiberlb.it.FailoverBench "${1:-5}" "${2:-5}"
} 2>&1 | tee "$out/summary.txt"
echo "results: $out/summary.txt"
