package io.fiberlb.it;

import io.fiberlb.api.v1.LoadBalancer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * bench/cluster-failover.sh: three real nodes on PostgreSQL ({@code FIBERLB_TEST_POSTGRES}); a load balancer with
 * two TCP backends; its owner killed with SIGKILL N times (restarted after each, as a supervisor would) and stopped
 * with SIGTERM N times. Prints each time and the medians. Not a test (no "Test" in the name): numbers, no verdict.
 * Args: [kills] [stops] (default 5 5).
 */
public final class FailoverBench {
  public static void main(String[] args) throws Exception {
    int kills = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int stops = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Duration formed = ClusterNodes.FORMED;
    List<EchoBackend> backends = new ArrayList<>();
    try (var cluster = ClusterNodes.formedOnFreshDatabase("failover_bench", "127.0.42.0/28")) {
      for (String n : List.of("a", "b")) backends.add(new EchoBackend(n));
      try (var client = new TestServer.Client(cluster.node(0).grpcPort)) {
        var api = client.as("bench");
        var served = FailoverProbe.servedLb(api, "failover", backends);
        LoadBalancer lb = served.lb();
        String vip = served.vip();
        int port = served.port();

        List<Long> killMs = new ArrayList<>();
        for (int i = 0; i < kills; i++) {
          ClusterNodes.Node owner = owner(cluster, lb.getId());
          long ms = FailoverProbe.afterKill(owner, vip, port, Duration.ofSeconds(90));
          System.out.printf("kill -9 %d (%s): VIP served again after %d ms%n", i + 1, owner.name, ms);
          killMs.add(ms);
          owner.start();
          cluster.awaitOneCluster(formed);
        }
        List<Long> gapMs = new ArrayList<>();
        for (int i = 0; i < stops; i++) {
          ClusterNodes.Node owner = owner(cluster, lb.getId());
          var h = FailoverProbe.afterSigterm(owner, vip, port, Duration.ofSeconds(60));
          long gap = h == null ? -1 : h.longestGapMs();
          System.out.printf("SIGTERM %d (%s): longest time without service %d ms (old owner exited after %d ms)%n",
              i + 1, owner.name, gap, h == null ? -1 : h.exitedAfterMs());
          gapMs.add(gap);
          owner.stopGracefully();
          owner.start();
          cluster.awaitOneCluster(formed);
        }
        System.out.printf("median: kill -9 -> served %d ms (%s); SIGTERM gap %d ms (%s)%n", median(killMs), killMs,
            median(gapMs), gapMs);
      }
    } finally {
      for (EchoBackend b : backends) b.close();
    }
    System.exit(0);
  }

  static ClusterNodes.Node owner(ClusterNodes cluster, String lbId) {
    String shard = Integer.toString(Math.abs(lbId.hashCode() % 100));
    return Poll.until("a node to run " + lbId, Duration.ofSeconds(60), () -> {
      for (ClusterNodes.Node n : cluster.nodes) {
        if (n.process.isAlive() && n.shards().contains(shard)) return n;
      }
      return null;
    }, n -> n != null);
  }

  static long median(List<Long> xs) {
    List<Long> s = new ArrayList<>(xs);
    s.sort(null);
    return s.isEmpty() ? -1 : s.get(s.size() / 2);
  }
}
