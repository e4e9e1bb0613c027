package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.api.v1.*;
import io.fiberlb.controlplane.LoadBalancerEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;

/**
 * What the API acknowledged is in the journal: a new server on the same H2 file (or PostgreSQL database, in
 * {@link DurabilityPostgresTest}) has all of it, and goes on from it.
 */
class DurabilityTest {

  /** Settings that choose the journal's database: none here, the H2 file in the server's data directory. */
  Map<String, Object> journal() {
    return Map.of();
  }

  record Snapshot(List<LoadBalancer> lbs, Map<String, LoadBalancerStatus> trees, List<Object> children) {}

  private static Snapshot read(TestServer.Api api) {
    var lbs = api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.newBuilder().setPageSize(1000).build())
        .getLoadBalancersList();
    var trees = new java.util.TreeMap<String, LoadBalancerStatus>();
    List<Object> children = new ArrayList<>();
    for (LoadBalancer lb : lbs) {
      // The node is where it runs now, not what was written: a restarted node has a new address (port 0).
      trees.put(lb.getId(), api.call(api.lbs().getLoadBalancerStatus(),
          GetLoadBalancerStatusRequest.newBuilder().setId(lb.getId()).build()).toBuilder().clearNode().build());
      children.addAll(api.call(api.listeners().listListeners(), ListListenersRequest.newBuilder()
          .setLoadBalancerId(lb.getId()).build()).getListenersList());
      children.addAll(api.call(api.pools().listPools(), ListPoolsRequest.newBuilder()
          .setLoadBalancerId(lb.getId()).build()).getPoolsList());
      children.addAll(api.call(api.backends().listBackends(), ListBackendsRequest.newBuilder()
          .setLoadBalancerId(lb.getId()).build()).getBackendsList());
      children.addAll(api.call(api.healthChecks().listHealthChecks(), ListHealthChecksRequest.newBuilder()
          .setLoadBalancerId(lb.getId()).build()).getHealthChecksList());
    }
    return new Snapshot(lbs, trees, children);
  }

  @Test
  void aNewServerOnTheSameFileHasEverythingAndContinues() throws Exception {
    var settings = new java.util.HashMap<String, Object>(journal());
    settings.put("fiberlb.control-plane.snapshot-every", 5);
    try (var server = new TestServer(settings)) {
      var api = server.as("durable");
      var ids = new ArrayList<String>();
      for (int i = 0; i < 3; i++) {
        LoadBalancer lb = api.createLb("lb-" + i);
        ids.add(lb.getId());
        HealthCheck hc = api.createHealthCheck(lb.getId());
        Pool pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
            .setPool(PoolSpec.newBuilder().setName("p").setLbAlgorithm(LbAlgorithm.WEIGHTED_ROUND_ROBIN)
                .setHealthCheckId(hc.getId())).build());
        for (int b = 0; b < 4; b++) api.createBackend(lb.getId(), pool.getId(), "10.0." + i + "." + b, 8080);
        api.createListener(lb.getId(), 80, pool.getId());
        api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder().setId(lb.getId())
            .setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("v" + i).addTags("prod")).build());
      }
      // One deleted, so the restart must also keep a freed VIP free and a deleted name reusable.
      api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(ids.get(1))
          .setCascade(true).build());
      Snapshot before = read(api);
      assertThat(before.lbs()).hasSize(2);

      server.stop();
      server.start();

      // Remember-entities: the load balancers are running again before anyone asks for them.
      Set<String> expected = Set.of(ids.get(0), ids.get(2));
      Set<String> running = Poll.until(Duration.ofSeconds(20), () -> runningLoadBalancers(server),
          r -> r.containsAll(expected));
      assertThat(running).containsAll(expected);

      var api2 = server.as("durable");
      Snapshot after = read(api2);
      assertThat(after).isEqualTo(before);

      // New creates go on without collisions: a new VIP, a fresh child id, versions continue.
      LoadBalancer fresh = api2.createLb("lb-1");
      Set<String> vips = new HashSet<>();
      after.lbs().forEach(l -> vips.add(l.getVipAddress()));
      assertThat(vips).doesNotContain(fresh.getVipAddress());
      LoadBalancer first = api2.getLb(ids.get(0));
      Pool again = api2.createPool(first.getId(), "q");
      assertThat(again.getVersion()).isEqualTo(first.getVersion() + 1);
      assertThat(after.children()).noneMatch(c -> c instanceof Pool p && p.getId().equals(again.getId()));
    }
  }

  private static Set<String> runningLoadBalancers(TestServer server) {
    var system = server.node().system();
    ShardRegion.CurrentShardRegionState state = AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
        ClusterSharding.get(system).shardState(),
        r -> new GetShardRegionState(LoadBalancerEntity.TYPE_KEY, r), Duration.ofSeconds(5), system.scheduler())
        .toCompletableFuture().join();
    Set<String> ids = new HashSet<>();
    state.getShards().forEach(s -> ids.addAll(s.getEntityIds()));
    return ids;
  }
}
