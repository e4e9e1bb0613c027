#!/usr/bin/env bash
# Crash failover and graceful handover of a three-node cluster on PostgreSQL, with real processes on loopback
# (io.fiberlb.it.FailoverBench): the owner of a load balancer is killed with SIGKILL KILLS times and stopped with
# SIGTERM STOPS times; prints each time to first served connection / longest gap, and the medians.
#   bench/cluster-failover.sh [KILLS [STOPS]]        (default 5 5; about 1 min per kill or stop)
# Uses FIBERLB_TEST_POSTGRES=host:port when set; otherwise starts a throwaway PostgreSQL with .ci/postgres.
source "$(dirname "${BASH_SOURCE[0]}")/cluster-lib.sh" cluster-failover
run_bench io.fiberlb.it.FailoverBench "${1:-5}" "${2:-5}"
