#!/usr/bin/env bash
# Rolling restart of a three-node cluster on PostgreSQL under constant load, with real processes on loopback
# (io.fiberlb.it.RollingRestartBench): LBS load balancers with a listener and two TCP backends each, one connection
# with an echo round trip every ~3 ms round robin over their VIPs and a write every 200 ms, while each node in turn
# gets SIGTERM, starts again and settles for SETTLE seconds. Prints the failed connections per node and in total,
# and the writes acknowledged, refused and lost (must be 0).
#   bench/cluster-rolling.sh [LBS [SETTLE]]        (default 12 10; about 2-3 minutes)
# Uses FIBERLB_TEST_POSTGRES=host:port when set; otherwise starts a throwaway PostgreSQL with .ci/postgres.
source "$(dirname "${BASH_SOURCE[0]}")/cluster-lib.sh" cluster-rolling
run_bench io.fiberlb.it.RollingRestartBench "${1:-12}" "${2:-10}"
