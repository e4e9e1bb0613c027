package io.fiberlb.it;

import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.CreateBackendRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.bench.VipSweep;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * bench/cluster-node-failover.sh: the failover of a node that holds many load balancers. Three real nodes on
 * PostgreSQL ({@code FIBERLB_TEST_POSTGRES}), the shard coordinator's rebalancing off: node1 serves, node3 is
 * control plane only, node2 starts control plane only so that all N load balancers (each a TCP listener on port 80
 * of its VIP, a pool and a real echo backend) are created on node1, then is restarted as a data-plane node. node1 is
 * killed with SIGKILL; the time from the kill until every VIP has served a connection again (from node2) is
 * printed, with the per-VIP median. Not a test (no "Test" in the name): numbers, no verdict. Args: [N] (default 3000).
 */
public final class NodeFailoverBench {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    Map<String, String> common = new HashMap<>(Postgres.asEnvironment(Postgres.freshDatabase("node_failover_bench")));
    common.put("FIBERLB_VIP_RANGE", "127.18.0.0/16");
    common.put("FIBERLB_CLUSTER_REBALANCE", "off");
    common.put("FIBERLB_QUOTA_LOAD_BALANCERS", "-1");
    common.put("FIBERLB_QUOTA_LISTENERS", "-1");
    common.put("FIBERLB_QUOTA_POOLS", "-1");
    common.put("FIBERLB_QUOTA_BACKENDS", "-1");
    var cpOnly = Map.of("FIBERLB_DATAPLANE_ENABLED", "false");
    try (var echo = new EchoBackend("e");
        var cluster = new ClusterNodes(3, common, Map.of(1, new HashMap<>(cpOnly), 2, cpOnly))) {
      cluster.startAll();
      cluster.awaitOneCluster(ClusterNodes.FORMED);
      List<String> vips;
      try (var client = new TestServer.Client(cluster.node(2).grpcPort)) {
        vips = populate(client.as("bench"), n, echo.port());
      }
      ClusterNodes.Node victim = cluster.node(0);
      ClusterNodes.Node survivor = cluster.node(1);
      System.out.printf("populated %d load balancers on %s (shards there: %d)%n", vips.size(), victim.name,
          victim.shards().size());
      // node2 becomes a data-plane node; with rebalancing off nothing moves to it until node1 dies.
      survivor.stopGracefully();
      survivor.env.remove("FIBERLB_DATAPLANE_ENABLED");
      survivor.start();
      cluster.awaitOneCluster(ClusterNodes.FORMED);
      try (var before = new VipSweep(vips, 80, 64, List.of(), 0)) {
        long t = System.currentTimeMillis();
        before.start(t + 300_000);
        before.await(t + 300_000);
        System.out.printf("every VIP serves from %s (%d ms to check)%n", victim.name, System.currentTimeMillis() - t);
      }

      try (var sweep = new VipSweep(vips, 80, 64, List.of(), 0)) {
        long t0 = System.currentTimeMillis();
        victim.kill();
        sweep.start(t0 + 600_000);
        long[] served = sweep.await(t0 + 600_000);
        long[] after = Arrays.stream(served).map(x -> x - t0).sorted().toArray();
        System.out.printf("kill -9 of %s holding %d load balancers: every VIP served again after %d ms (per-VIP p50"
                + " %d ms, p99 %d ms; %d tries refused or failed)%n", victim.name, vips.size(), after[after.length - 1],
            after[after.length / 2], after[(int) Math.ceil(after.length * 0.99) - 1], sweep.failedTries.get());
        System.out.printf("%s holds %d shards now; load %s%n", survivor.name, survivor.shards().size(),
            java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim());
      }
    }
    System.exit(0);
  }

  /** N load balancers, each with a pool, one backend and a listener on port 80, 32 in flight; their VIPs. */
  private static List<String> populate(TestServer.Api api, int n, int backendPort) throws Exception {
    var inFlight = new Semaphore(32);
    var vips = new String[n];
    var failed = new AtomicReference<Throwable>();
    var done = new AtomicInteger();
    long t0 = System.currentTimeMillis();
    for (int i = 0; i < n && failed.get() == null; i++) {
      inFlight.acquire();
      int k = i;
      CompletionStage<?> chain = api.callAsync(api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder()
              .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("nf-" + i)).build())
          .thenCompose(lb -> {
            vips[k] = lb.getVipAddress();
            return api.callAsync(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
                    .setPool(PoolSpec.newBuilder().setName("p").setProtocol(Protocol.TCP)).build())
                .thenCompose(pool -> api.callAsync(api.backends().createBackend(), CreateBackendRequest.newBuilder()
                        .setLoadBalancerId(lb.getId()).setPoolId(pool.getId()).setBackend(BackendSpec.newBuilder()
                            .setAddress("127.0.0.1").setProtocolPort(backendPort)).build())
                    .thenCompose(b -> api.callAsync(api.listeners().createListener(), CreateListenerRequest.newBuilder()
                        .setLoadBalancerId(lb.getId()).setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TCP)
                            .setProtocolPort(80).setDefaultPoolId(pool.getId())).build())));
          });
      chain.whenComplete((x, e) -> {
        if (e != null) failed.compareAndSet(null, e);
        if (done.incrementAndGet() % 500 == 0) {
          System.out.printf("  populated %d/%d (%d s)%n", done.get(), n, (System.currentTimeMillis() - t0) / 1000);
        }
        inFlight.release();
      });
    }
    inFlight.acquire(32);
    if (failed.get() != null) throw new IllegalStateException("populating failed", failed.get());
    return new ArrayList<>(Arrays.asList(vips));
  }
}
