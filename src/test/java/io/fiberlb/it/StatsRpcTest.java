package io.fiberlb.it;

import static io.fiberlb.it.TestServer.statusOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.GetLoadBalancerStatsRequest;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.LoadBalancerStats;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.TrafficStats;
import io.fiberlb.dataplane.stats.StatsRegistry;
import io.fiberlb.dataplane.stats.TrafficCounters;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * GetLoadBalancerStats end to end: a real client and server, real TCP traffic through a listener to a real
 * backend, and, for the counters that are hard to provoke (rejections, connect failures, errors), values added
 * straight to the node's stats registry, the very objects the data plane counts in.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatsRpcTest {
  private TestServer server;
  private EchoBackend echo;
  private final AtomicInteger projects = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(DataPlaneTest.FAST);
    echo = new EchoBackend("a");
  }

  @AfterAll
  void stop() throws Exception {
    echo.close();
    server.close();
  }

  private TestServer.Api freshProject() {
    return server.as("stats" + projects.incrementAndGet());
  }

  static LoadBalancerStats stats(TestServer.Api api, String lbId) {
    return api.call(api.lbs().getLoadBalancerStats(),
        GetLoadBalancerStatsRequest.newBuilder().setLoadBalancerId(lbId).build());
  }

  private static void assertStatus(Runnable call, Status.Code code, String messagePart) {
    assertThatThrownBy(call::run).satisfies(t -> {
      Status s = statusOf(t);
      assertThat(s.getCode()).as(s.toString()).isEqualTo(code);
      assertThat(s.getDescription()).contains(messagePart);
    });
  }

  /** The registry entry of a load balancer once the data plane runs all of {@code listeners} and {@code backends}. */
  StatsRegistry.LoadBalancerStats registered(String lbId, Set<String> listeners, Set<String> backends) {
    var found = Poll.until(Duration.ofSeconds(10), () -> server.node().dataPlane().stats().find(lbId),
        s -> s != null && s.listeners.keySet().containsAll(listeners) && s.backends.keySet().containsAll(backends));
    assertThat(found).as("the data plane runs load balancer " + lbId).isNotNull();
    assertThat(found.listeners).containsKeys(listeners.toArray(String[]::new));
    assertThat(found.backends).containsKeys(backends.toArray(String[]::new));
    return found;
  }

  @Test
  void aFreshLoadBalancerWithAListenerCountsNothing() throws Exception {
    var api = freshProject();
    LoadBalancer lb = api.createLb("web");
    String listenerId = api.createListener(lb.getId(), DataPlaneTest.freePort(), null).getId();
    registered(lb.getId(), Set.of(listenerId), Set.of());

    LoadBalancerStats s = stats(api, lb.getId());
    assertThat(s.getLoadBalancerId()).isEqualTo(lb.getId());
    assertThat(s.getNode()).isEqualTo(server.node().system().address().toString());
    assertThat(s.getListenersList()).containsExactly(TrafficStats.newBuilder().setId(listenerId).build());
    assertThat(s.getBackendsList()).isEmpty();
    assertThat(s.toBuilder().clearListeners().clearNode().clearLoadBalancerId().build())
        .isEqualTo(LoadBalancerStats.getDefaultInstance());
  }

  @Test
  void realTrafficIsCountedOnTheListenerAndTheBackend() throws Exception {
    var api = freshProject();
    LoadBalancer lb = api.createLb("web");
    Pool pool = api.createPool(lb.getId(), "p");
    Backend backend = api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", echo.port());
    String listenerId = api.createListener(lb.getId(), DataPlaneTest.freePort(), pool.getId()).getId();
    var listener = api.call(api.listeners().getListener(), io.fiberlb.api.v1.GetListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(listenerId).build());
    registered(lb.getId(), Set.of(listenerId), Set.of(backend.getId()));

    // The echo backend returns what it got, then "#a": 5 bytes in, 7 bytes out.
    byte[] answer = Poll.until(Duration.ofSeconds(10), () -> {
      try {
        return TcpClient.exchange(lb.getVipAddress(), listener.getProtocolPort(),
            "hello".getBytes(StandardCharsets.UTF_8));
      } catch (java.io.IOException notYetBound) {
        return new byte[0];
      }
    }, a -> a.length > 0);
    assertThat(new String(answer, StandardCharsets.UTF_8)).isEqualTo("hello#a");

    var expected = TrafficStats.newBuilder().setTotalConnections(1).setBytesIn(5).setBytesOut(7).build();
    LoadBalancerStats s = Poll.until(Duration.ofSeconds(10), () -> stats(api, lb.getId()),
        r -> r.getListenersCount() == 1 && r.getBackendsCount() == 1
            && r.getListeners(0).toBuilder().clearId().build().equals(expected)
            && r.getBackends(0).toBuilder().clearId().build().equals(expected));
    assertThat(s.getListenersList()).containsExactly(expected.toBuilder().setId(listenerId).build());
    assertThat(s.getBackendsList()).containsExactly(expected.toBuilder().setId(backend.getId()).build());
    assertThat(s.getTotalConnections()).isEqualTo(1);
    assertThat(s.getBytesIn()).isEqualTo(5);
    assertThat(s.getBytesOut()).isEqualTo(7);
    assertThat(s.getActiveConnections()).isZero();
  }

  @Test
  void everyCounterIsReportedAndTheTotalsAreTheSumsOverTheListeners() throws Exception {
    var api = freshProject();
    String lbId = api.createLb("web").getId();
    Pool pool = api.createPool(lbId, "p");
    // Nothing listens on port 9 of 127.0.0.1 (discard); no traffic is sent anyway.
    String b1 = api.createBackend(lbId, pool.getId(), "127.0.0.1", 9).getId();
    String l1 = api.createListener(lbId, DataPlaneTest.freePort(), null).getId();
    String l2 = api.createListener(lbId, DataPlaneTest.freePort(), null).getId();
    StatsRegistry.LoadBalancerStats counters = registered(lbId, Set.of(l1, l2), Set.of(b1));

    TrafficCounters first = counters.listeners.get(l1);
    first.opened();
    first.opened();
    first.closed();
    first.bytesIn.add(1000);
    first.bytesOut.add(5000);
    first.rejected.add(2);
    TrafficCounters second = counters.listeners.get(l2);
    second.opened();
    second.bytesIn.add(24);
    second.bytesOut.add(76);
    second.connectFailures.add(1);
    second.errors.add(3);
    TrafficCounters backend = counters.backends.get(b1);
    backend.opened();
    backend.bytesIn.add(1024);
    backend.bytesOut.add(5076);
    backend.connectFailures.add(4);
    backend.rejected.add(5);
    backend.errors.add(6);

    LoadBalancerStats s = stats(api, lbId);
    assertThat(s.getNode()).isEqualTo(server.node().system().address().toString());
    assertThat(s.getActiveConnections()).isEqualTo(2);
    assertThat(s.getTotalConnections()).isEqualTo(3);
    assertThat(s.getBytesIn()).isEqualTo(1024);
    assertThat(s.getBytesOut()).isEqualTo(5076);
    assertThat(s.getRequestErrors()).isEqualTo(3);
    assertThat(s.getRejectedConnections()).isEqualTo(2);
    assertThat(s.getConnectFailures()).isEqualTo(1);
    assertThat(s.getListenersList()).containsExactlyInAnyOrder(
        TrafficStats.newBuilder().setId(l1).setActiveConnections(1).setTotalConnections(2).setBytesIn(1000)
            .setBytesOut(5000).setRejectedConnections(2).build(),
        TrafficStats.newBuilder().setId(l2).setActiveConnections(1).setTotalConnections(1).setBytesIn(24)
            .setBytesOut(76).setConnectFailures(1).setRequestErrors(3).build());
    assertThat(s.getListenersList()).extracting(TrafficStats::getId).isSorted();
    assertThat(s.getBackendsList()).containsExactly(TrafficStats.newBuilder().setId(b1).setActiveConnections(1)
        .setTotalConnections(1).setBytesIn(1024).setBytesOut(5076).setConnectFailures(4).setRejectedConnections(5)
        .setRequestErrors(6).build());

    // Read when asked, never copied: the next call sees the next value.
    first.closed();
    assertThat(stats(api, lbId).getActiveConnections()).isEqualTo(1);
  }

  @Test
  void unknownAndOtherTenantsLoadBalancersAreNotFound() {
    var api = freshProject();
    String lbId = api.createLb("mine").getId();
    String unknown = UUID.randomUUID().toString();
    assertStatus(() -> stats(api, unknown), Status.Code.NOT_FOUND, unknown);
    assertStatus(() -> stats(freshProject(), lbId), Status.Code.NOT_FOUND, lbId);
    assertStatus(() -> stats(server.as("other-org", api.project), lbId), Status.Code.NOT_FOUND, lbId);
    assertThat(stats(api, lbId).getLoadBalancerId()).isEqualTo(lbId);
  }

  @Test
  void aMalformedIdIsInvalidArgumentNamingTheField() {
    var api = freshProject();
    assertStatus(() -> stats(api, "web"), Status.Code.INVALID_ARGUMENT, "load_balancer_id: must be a UUID");
    assertStatus(() -> stats(api, ""), Status.Code.INVALID_ARGUMENT, "load_balancer_id: is required");
  }
}
