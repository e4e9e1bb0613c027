# Shared by bench/cluster-*.sh: a results directory, the test classpath, a PostgreSQL (FIBERLB_TEST_POSTGRES when
# set, otherwise a throwaway one from .ci/postgres, stopped at exit), and run_bench CLASS ARGS... which runs a
# benchmark class from src/test/java and tees its output into summary.txt.
# Usage: source bench/cluster-lib.sh NAME
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="bench/results/$1-$(date +%Y%m%d-%H%M%S)"
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

run_bench() {
  { echo "git $(git rev-parse --short HEAD), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
    java -cp "target/test-classes:target/classes:$(cat "$out/classpath")" "$@"
  } 2>&1 | tee "$out/summary.txt"
  echo "results: $out/summary.txt"
}
