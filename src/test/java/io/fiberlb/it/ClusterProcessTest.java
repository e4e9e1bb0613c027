package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.ListBackendsRequest;
import io.fiberlb.api.v1.LoadBalancer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three real server processes on one PostgreSQL journal, started once for these scenarios, in order: formation and
 * roles (node3 is control-plane only), the first node restarted while the others answer late, a crashed owner, a
 * stopped owner. docs/architecture.md, "Cluster", states the guarantees these check.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterProcessTest {
  private static final Duration FORMED = Duration.ofSeconds(120);
  ClusterNodes cluster;
  TestServer.Client client;
  final List<EchoBackend> backends = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    Map<String, String> common = new HashMap<>(Postgres.asEnvironment(Postgres.freshDatabase("cluster")));
    common.put("FIBERLB_VIP_RANGE", "127.0.41.0/28");
    common.put("FIBERLB_LOG_LEVEL", "INFO");
    cluster = new ClusterNodes(3, common, Map.of(2, Map.of("FIBERLB_DATAPLANE_ENABLED", "false")));
    cluster.startAll();
    cluster.awaitOneCluster(FORMED);
    client = new TestServer.Client(cluster.node(2).grpcPort); // the control-plane-only node serves the API too
    for (String n : List.of("a", "b")) backends.add(new EchoBackend(n));
  }

  @AfterAll
  void stop() throws Exception {
    if (client != null) client.close();
    for (EchoBackend b : backends) b.close();
    if (cluster != null) cluster.close();
  }

  private TestServer.Api api() {
    return client.as("cluster");
  }

  /** The node that runs a load balancer: the one whose shard region holds its shard (Pekko's default shard ids). */
  private ClusterNodes.Node owner(String lbId) {
    return FailoverBench.owner(cluster, lbId);
  }

  @Test
  @Order(1)
  void onlyDataPlaneNodesOwnLoadBalancers() {
    var api = api();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 8; i++) ids.add(api.createLb("roles-" + i).getId());
    for (String id : ids) {
      ClusterNodes.Node owner = owner(id);
      assertThat(owner.name).as("owner of " + id).isIn("node1", "node2");
      assertThat(api.call(api.lbs().getLoadBalancerStatus(), io.fiberlb.api.v1.GetLoadBalancerStatusRequest
          .newBuilder().setId(id).build()).getNode()).as("the node in the status of " + id).isEqualTo(owner.address());
    }
    assertThat(cluster.node(2).shards()).as("shards on the control-plane-only node").isEmpty();
    // The admin's view (local mode acts as admin): three Up members, node3 control plane only and owning none.
    var members = Poll.until("ListMembers to count the 8 load balancers", Duration.ofSeconds(30),
        () -> api.call(api.cluster().listMembers(), io.fiberlb.api.v1.ListMembersRequest.getDefaultInstance()),
        r -> r.getMembersList().stream().mapToInt(io.fiberlb.api.v1.ClusterMember::getLoadBalancers).sum() == 8);
    assertThat(members.getMembersList()).hasSize(3)
        .allMatch(m -> m.getStatus().equals("Up") && m.getReachable(), "Up and reachable");
    var apiOnly = members.getMembersList().stream().filter(m -> m.getAddress().equals(cluster.node(2).address()))
        .findFirst().orElseThrow();
    assertThat(apiOnly.getRolesList()).containsExactly("controlplane");
    assertThat(apiOnly.getLoadBalancers()).isZero();
    assertThat(members.getAnsweredBy()).isEqualTo(cluster.node(2).address());
  }

  @Test
  @Order(2)
  void aRestartedFirstNodeWaitsForItsPeersInsteadOfFormingASecondCluster() throws Exception {
    ClusterNodes.Node first = cluster.node(0);
    for (int round = 1; round <= 3; round++) {
      first.kill();
      // The others answer late: frozen while the first node starts again (a restart by the supervisor).
      cluster.node(1).signal("STOP");
      cluster.node(2).signal("STOP");
      try {
        first.start();
        int r = round;
        Poll.during(Duration.ofSeconds(12), Duration.ofMillis(250), () -> {
          Set<String> seen = first.upMembers();
          assertThat(seen.isEmpty() || seen.contains(cluster.node(1).address()))
              .as("round " + r + ": the restarted node is Up only in the cluster of the others, saw " + seen
                  + " (log " + first.log() + ")").isTrue();
        });
      } finally {
        cluster.node(1).signal("CONT");
        cluster.node(2).signal("CONT");
      }
      cluster.awaitOneCluster(FORMED);
    }
  }

  @Test
  @Order(3)
  void aCrashedOwnersVipIsServedByTheSurvivorWithEveryAcknowledgedWrite() throws Exception {
    cluster.awaitOneCluster(FORMED); // restarts a node an earlier scenario left down
    var api = api();
    var served = FailoverProbe.servedLb(api, "crash", backends);
    LoadBalancer lb = served.lb();
    List<String> acked = served.backendIds();

    ClusterNodes.Node victim = owner(lb.getId());
    // Writes all along: none may wait for the ask timeout; while it fails over they are refused with the reason.
    var writer = new FailoverProbe.Writer(api, lb.getId());
    long ms;
    try {
      ms = FailoverProbe.afterKill(victim, served.vip(), served.port(), Duration.ofSeconds(90));
      writer.awaitAccepted(Duration.ofSeconds(60));
    } finally {
      writer.close();
    }
    assertThat(ms).as("the VIP is served by a survivor after kill -9 of " + victim.name).isNotNegative();
    System.out.println("cluster failover after kill -9 of the owner: VIP served again after " + ms + " ms; writes "
        + "meanwhile: " + writer.summary());
    assertThat(owner(lb.getId())).isNotSameAs(victim);
    assertThat(writer.outcomes()).as("writes during the failover: accepted, or refused because it fails over")
        .allMatch(o -> o.ok() || (o.code() == io.grpc.Status.Code.UNAVAILABLE && o.message().contains("failing over")))
        .anyMatch(o -> !o.ok())
        .allMatch(o -> o.millis() < 5_000, "answered within 5 s (the ask timeout is 10 s)");

    List<String> ids = Poll.until("the backends listed after the failover", Duration.ofSeconds(30), () -> {
      try {
        return api.call(api.backends().listBackends(), ListBackendsRequest.newBuilder().setLoadBalancerId(lb.getId())
            .build()).getBackendsList().stream().map(Backend::getId).toList();
      } catch (RuntimeException retry) {
        return List.<String>of();
      }
    }, l -> !l.isEmpty());
    assertThat(ids).containsExactlyInAnyOrderElementsOf(acked);
    assertThat(api.createPool(lb.getId(), "after").getName()).isEqualTo("after");

    victim.start();
    cluster.awaitOneCluster(FORMED);
  }

  @Test
  @Order(4)
  void aStoppedOwnerHandsOverItsVip() throws Exception {
    cluster.awaitOneCluster(FORMED);
    var served = FailoverProbe.servedLb(api(), "graceful", backends);
    LoadBalancer lb = served.lb();

    ClusterNodes.Node victim = owner(lb.getId());
    var handover = FailoverProbe.afterSigterm(victim, served.vip(), served.port(), Duration.ofSeconds(60));
    assertThat(handover).as("the VIP is served by the other node after SIGTERM of " + victim.name).isNotNull();
    System.out.println("cluster handover after SIGTERM of the owner: longest time without service "
        + handover.longestGapMs() + " ms; the old owner exited after " + handover.exitedAfterMs() + " ms");
    victim.stopGracefully();
    victim.start();
    cluster.awaitOneCluster(FORMED);
  }

  @Test
  @Order(5)
  void anOperatorMovesALoadBalancerToTheOtherNodeWithAGracefulHandoff() throws Exception {
    cluster.awaitOneCluster(FORMED);
    var api = api();
    var served = FailoverProbe.servedLb(api, "moved", backends);
    String id = served.lb().getId();
    ClusterNodes.Node from = owner(id);
    ClusterNodes.Node to = from == cluster.node(0) ? cluster.node(1) : cluster.node(0);
    var answer = new java.util.concurrent.atomic.AtomicReference<io.fiberlb.api.v1.FailoverLoadBalancerResponse>();
    long gap = FailoverProbe.longestGapDuring(() -> {
      answer.set(api.call(api.cluster().failoverLoadBalancer(), io.fiberlb.api.v1.FailoverLoadBalancerRequest
          .newBuilder().setLoadBalancerId(id).setToNode(to.address()).build()));
      return null;
    }, served.vip(), served.port(), Duration.ofSeconds(60));
    assertThat(gap).as("the VIP is served again after lb failover").isNotNegative();
    System.out.println("lb failover from " + from.name + " to " + to.name + ": longest time without service " + gap
        + " ms; " + answer.get().getMovedLoadBalancers() + " load balancer(s) in shard " + answer.get().getShardId());
    assertThat(answer.get().getFromNode()).isEqualTo(from.address());
    assertThat(answer.get().getToNode()).isEqualTo(to.address());
    assertThat(answer.get().getMovedLoadBalancers()).isPositive();
    assertThat(owner(id)).isSameAs(to);
    assertThat(TcpClient.whoServes(served.vip(), served.port())).isNotEmpty();
    assertThat(api.createPool(id, "after-move").getName()).isEqualTo("after-move");
    // It stays there: the next rebalance rounds leave a pinned shard alone.
    Poll.during(Duration.ofSeconds(5), Duration.ofMillis(500),
        () -> assertThat(owner(id)).as("owner after the move").isSameAs(to));

    // Without --to: the other data-plane node (the only candidate), and back again.
    var back = api.call(api.cluster().failoverLoadBalancer(), io.fiberlb.api.v1.FailoverLoadBalancerRequest
        .newBuilder().setLoadBalancerId(id).build());
    assertThat(back.getToNode()).isEqualTo(from.address());
    assertThat(owner(id)).isSameAs(from);

    // Refusals name the field or the reason, and move nothing.
    var err = TestServer.statusOf(org.assertj.core.api.Assertions.catchThrowable(() -> api.call(
        api.cluster().failoverLoadBalancer(), io.fiberlb.api.v1.FailoverLoadBalancerRequest.newBuilder()
            .setLoadBalancerId(id).setToNode(cluster.node(2).address()).build())));
    assertThat(err.getCode()).isEqualTo(io.grpc.Status.Code.FAILED_PRECONDITION);
    assertThat(err.getDescription()).contains("to_node").contains("data-plane");
    assertThat(owner(id)).isSameAs(from);
  }

  /**
   * The failure detector's trade-off (application.conf, "Crash failover"): a pause shorter than it allows (a GC or
   * VM stall) is ridden out, with the load balancer staying where it is; a longer one downs the node, whose load
   * balancers move to a survivor, and the paused node leaves the cluster when it wakes up (its supervisor, here
   * awaitOneCluster, starts it again).
   */
  @Test
  @Order(6)
  void aShortPauseIsRiddenOutAndALongOneDownsTheNode() throws Exception {
    cluster.awaitOneCluster(FORMED);
    var served = FailoverProbe.servedLb(api(), "paused", backends);
    String id = served.lb().getId();
    ClusterNodes.Node victim = owner(id);
    Set<String> all = new java.util.TreeSet<>();
    cluster.nodes.forEach(n -> all.add(n.address()));

    // 600 ms frozen (the scenario's length, not a wait for a condition): below acceptable-heartbeat-pause.
    victim.signal("STOP");
    try {
      Thread.sleep(600);
    } finally {
      victim.signal("CONT");
    }
    Poll.during(Duration.ofSeconds(6), Duration.ofMillis(500), () -> {
      assertThat(victim.process.isAlive()).as(victim.name + " still running after a short pause").isTrue();
      assertThat(cluster.node(2).upMembers()).as("members seen by node3 after a short pause of " + victim.name)
          .isEqualTo(all);
      assertThat(owner(id)).as("owner after a short pause").isSameAs(victim);
    });
    assertThat(TcpClient.whoServes(served.vip(), served.port())).isNotEmpty();

    // Frozen until removed (about 4 s): downed and removed by the others meanwhile; it stops when it wakes up; a survivor serves.
    victim.signal("STOP");
    try {
      Poll.until("the others to remove the frozen " + victim.name, Duration.ofSeconds(15),
          () -> cluster.node(2).upMembers(), m -> !m.isEmpty() && !m.contains(victim.address()));
    } finally {
      victim.signal("CONT");
    }
    Poll.until(victim.name + " to exit after it was downed (log " + victim.log() + ")", Duration.ofSeconds(60),
        () -> victim.process.isAlive(), alive -> !alive);
    assertThat(FailoverTest.serving(served.vip(), served.port(), Duration.ofSeconds(60))).as("served by a survivor")
        .isNotEmpty();
    assertThat(owner(id)).isNotSameAs(victim);
    cluster.awaitOneCluster(FORMED);
  }
}
