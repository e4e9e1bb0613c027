package io.fiberlb.it;

import io.fiberlb.api.v1.ListPoolsRequest;
import io.fiberlb.api.v1.Pool;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * bench/cluster-rolling.sh: three real data-plane nodes on PostgreSQL ({@code FIBERLB_TEST_POSTGRES}), LBS load
 * balancers each with a listener and two TCP backends, constant load (one connection with an echo round trip every
 * few milliseconds, round robin over the VIPs) and a write every 200 ms, while each node in turn is stopped with
 * SIGTERM, started again and given time to take its share back. Counts connections that failed, per node stopped,
 * and checks that every acknowledged write is there at the end. Not a test: numbers, no verdict.
 * Args: [lbs] [settle seconds after each restart] (default 12 10).
 */
public final class RollingRestartBench {
  public static void main(String[] args) throws Exception {
    int lbs = args.length > 0 ? Integer.parseInt(args[0]) : 12;
    int settle = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Duration formed = ClusterNodes.FORMED;
    List<EchoBackend> backends = new ArrayList<>();
    try (var cluster = ClusterNodes.formedOnFreshDatabase("rolling_bench", "127.0.43.0/27")) {
      for (String n : List.of("a", "b")) backends.add(new EchoBackend(n));
      // The API through each node in turn would need a client per node; node 3 is restarted last, so the API goes
      // through node 1 until then and node 2 afterwards.
      try (var first = new TestServer.Client(cluster.node(0).grpcPort);
           var second = new TestServer.Client(cluster.node(1).grpcPort)) {
        List<FailoverProbe.ServedLb> served = new ArrayList<>();
        for (int i = 0; i < lbs; i++) served.add(FailoverProbe.servedLb(first.as("bench"), "rolling-" + i, backends));
        System.out.printf("%d load balancers serving; rolling restart with %d s to settle after each node%n", lbs,
            settle);

        var load = new Load(served);
        var writes = new Writes(served);
        load.start();
        writes.start(first.as("bench"));
        for (int i = 0; i < 3; i++) {
          ClusterNodes.Node node = cluster.node(i);
          if (i == 0) writes.switchTo(second.as("bench"));
          if (i == 1) writes.switchTo(first.as("bench"));
          long failedBefore = load.failed.get();
          long attemptsBefore = load.attempts.get();
          long t0 = System.nanoTime();
          node.process.destroy(); // SIGTERM
          node.stopGracefully();
          long exited = (System.nanoTime() - t0) / 1_000_000;
          node.start();
          cluster.awaitOneCluster(formed);
          Thread.sleep(settle * 1000L);
          System.out.printf("%s: SIGTERM -> exited %d ms, back in the cluster and %d s settled: %d of %d connections"
              + " failed%n", node.name, exited, settle, load.failed.get() - failedBefore,
              load.attempts.get() - attemptsBefore);
        }
        load.stop();
        writes.stop();
        var api = first.as("bench");
        Set<String> present = new HashSet<>();
        for (var s : served) {
          for (Pool p : api.call(api.pools().listPools(), ListPoolsRequest.newBuilder()
              .setLoadBalancerId(s.lb().getId()).setPageSize(1000).build()).getPoolsList()) {
            present.add(p.getId());
          }
        }
        long lost = writes.acked.stream().filter(id -> !present.contains(id)).count();
        System.out.printf("total: %d connections, %d failed (%s); writes %d acknowledged, %d refused (%s), %d lost%n",
            load.attempts.get(), load.failed.get(), load.reasons, writes.acked.size(), writes.refused.get(),
            writes.reasons, lost);
      }
    } finally {
      for (EchoBackend b : backends) b.close();
    }
    System.exit(0);
  }

  /** One connection with an echo round trip at a time, round robin over the VIPs, a pause of 2 ms between. */
  private static final class Load {
    final List<FailoverProbe.ServedLb> lbs;
    final AtomicLong attempts = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final Map<String, Long> reasons = new ConcurrentHashMap<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    Thread thread;

    Load(List<FailoverProbe.ServedLb> lbs) {
      this.lbs = lbs;
    }

    void start() {
      thread = new Thread(() -> {
        int i = 0;
        while (running.get()) {
          var lb = lbs.get(i++ % lbs.size());
          attempts.incrementAndGet();
          try {
            if (TcpClient.whoServes(lb.vip(), lb.port()).isEmpty()) fail("no answer");
          } catch (IOException e) {
            fail(e.getClass().getSimpleName() + ": " + e.getMessage());
          }
          try {
            Thread.sleep(2);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "rolling-load");
      thread.start();
    }

    private void fail(String reason) {
      failed.incrementAndGet();
      reasons.merge(reason.replaceAll("[0-9.:]+", "#"), 1L, Long::sum);
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(30_000);
    }
  }

  /** A pool created on one of the load balancers every 200 ms; remembers the acknowledged ones. */
  private static final class Writes {
    final List<FailoverProbe.ServedLb> lbs;
    final Set<String> acked = ConcurrentHashMap.newKeySet();
    final AtomicLong refused = new AtomicLong();
    final Map<String, Long> reasons = new ConcurrentHashMap<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    volatile TestServer.Api api;
    Thread thread;

    Writes(List<FailoverProbe.ServedLb> lbs) {
      this.lbs = lbs;
    }

    void switchTo(TestServer.Api next) {
      api = next;
    }

    void start(TestServer.Api initial) {
      api = initial;
      thread = new Thread(() -> {
        int i = 0;
        while (running.get()) {
          var lb = lbs.get(i % lbs.size());
          try {
            acked.add(api.createPool(lb.lb().getId(), "w-" + i).getId());
          } catch (RuntimeException e) {
            refused.incrementAndGet();
            var s = TestServer.statusOf(e);
            String why = String.valueOf(s.getDescription());
            reasons.merge(s.getCode() + " " + why.substring(0, Math.min(40, why.length())), 1L, Long::sum);
          }
          i++;
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "rolling-writes");
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(30_000);
    }
  }
}
