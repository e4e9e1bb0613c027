#!/usr/bin/env bash
# Failover of a node that holds many load balancers (io.fiberlb.it.NodeFailoverBench): three real nodes on
# PostgreSQL, N load balancers (listener, pool, a real echo backend each) all on node1, node1 killed with SIGKILL;
# prints the time until every VIP has served again from node2.
#   bench/cluster-node-failover.sh [N]        (default 3000; populating takes a few minutes)
# Uses FIBERLB_TEST_POSTGRES=host:port when set; otherwise starts a throwaway PostgreSQL with .ci/postgres.
source "$(dirname "${BASH_SOURCE[0]}")/cluster-lib.sh" cluster-node-failover
run_bench io.fiberlb.it.NodeFailoverBench "${1:-3000}"
