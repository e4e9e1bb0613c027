package io.fiberlb.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.engine.Admission;
import io.fiberlb.dataplane.engine.ProxiedConnection;
import io.fiberlb.dataplane.listener.ListenerConfig;
import io.fiberlb.dataplane.stats.TrafficCounters;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.Protocol;
import io.fiberlb.port.SessionPersistenceType;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The engine-neutral rules of a connection, without any socket: what every engine asks per client. */
class AdmissionTest {
  static final InetSocketAddress CLIENT = new InetSocketAddress("192.0.2.10", 40000);

  final TrafficCounters listenerCounters = new TrafficCounters();
  final Map<String, TrafficCounters> backendCounters = new HashMap<>();

  static DesiredListener listener(int connectionLimit, List<String> cidrs) {
    return new DesiredListener("l1", Protocol.TCP, 8080, "p1", connectionLimit, 50_000, 5_000, 50_000, cidrs, true);
  }

  PoolRuntime pool(String... addresses) {
    var endpoints = new ArrayList<Endpoint>();
    var slots = new HashMap<String, PoolRuntime.Slot>();
    for (String a : addresses) {
      Endpoint e = Endpoint.of(a, 80);
      endpoints.add(e);
      TrafficCounters c = backendCounters.computeIfAbsent(a, k -> new TrafficCounters());
      slots.put(e.key(), new PoolRuntime.Slot("backend-" + a, c, null, new InetSocketAddress(a, 80)));
    }
    var pr = new PoolRuntime(new DesiredPool("p1", Protocol.TCP, LbAlgorithm.ROUND_ROBIN,
        SessionPersistenceType.NONE, 0, "", true), endpoints);
    pr.slots = Map.copyOf(slots);
    return pr;
  }

  Admission admission(DesiredListener l, PoolRuntime pool) {
    return new Admission(new AtomicReference<>(ListenerConfig.of(l, "127.0.10.1", pool)), listenerCounters);
  }

  @Test
  void aClientOutsideAllowedCidrsIsRefusedAndCountedButNeverOpen() {
    Admission a = admission(listener(-1, List.of("10.0.0.0/8")), pool("10.1.1.1"));
    assertThat(a.admit(CLIENT)).isNull();
    assertThat(listenerCounters.rejected.sum()).isEqualTo(1);
    assertThat(listenerCounters.active.get()).isZero();
    assertThat(listenerCounters.total.sum()).isZero();
    assertThat(a.admit(new InetSocketAddress("10.9.9.9", 1))).isNotNull();
  }

  @Test
  void connectionLimitCountsOpenConnectionsAndFreesASlotWhenOneCloses() {
    Admission a = admission(listener(2, List.of()), pool("10.1.1.1"));
    ProxiedConnection one = a.admit(CLIENT);
    ProxiedConnection two = a.admit(CLIENT);
    assertThat(one).isNotNull();
    assertThat(two).isNotNull();
    assertThat(a.admit(CLIENT)).as("the third while two are open").isNull();
    assertThat(listenerCounters.rejected.sum()).isEqualTo(1);
    one.clientClosed(false);
    one.clientClosed(false); // a second close counts nothing
    assertThat(listenerCounters.active.get()).isEqualTo(1);
    assertThat(a.admit(CLIENT)).isNotNull();
    assertThat(listenerCounters.total.sum()).isEqualTo(3);
  }

  @Test
  void aListenerWithoutPoolOrEligibleBackendRefuses() {
    assertThat(admission(listener(-1, List.of()), null).admit(CLIENT)).isNull();
    PoolRuntime down = pool("10.1.1.1");
    down.balancer().setHealthy(Endpoint.of("10.1.1.1", 80).key(), false);
    assertThat(admission(listener(-1, List.of()), down).admit(CLIENT)).isNull();
    assertThat(listenerCounters.rejected.sum()).isEqualTo(2);
    assertThat(listenerCounters.active.get()).isZero();
  }

  @Test
  void afterAFailedConnectTheNextUntriedCandidatesInPoolOrderUpToThreeInAll() {
    Admission a = admission(listener(-1, List.of()), pool("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"));
    ProxiedConnection c = a.admit(CLIENT);
    Endpoint first = c.next(null);
    assertThat(first.address()).isEqualTo("10.0.0.1");
    Endpoint second = c.next(first);
    Endpoint third = c.next(second);
    assertThat(List.of(second.address(), third.address())).containsExactly("10.0.0.2", "10.0.0.3");
    assertThat(c.next(third)).as("three connects at most").isNull();
    assertThat(c.attempts()).isEqualTo(3);
    // The next client's first pick moves on, as round robin does.
    assertThat(a.admit(CLIENT).next(null).address()).isEqualTo("10.0.0.2");
  }

  @Test
  void retriesSkipCandidatesAlreadyTriedAndStopWhenNoneIsLeft() {
    Admission a = admission(listener(-1, List.of()), pool("10.0.0.1", "10.0.0.2"));
    ProxiedConnection c = a.admit(CLIENT);
    Endpoint first = c.next(null);
    Endpoint second = c.next(first);
    assertThat(second.address()).isNotEqualTo(first.address());
    assertThat(c.next(second)).isNull();
  }

  @Test
  void trafficFailuresAndClosesAreCountedOnTheListenerAndTheBackendServing() {
    Admission a = admission(listener(-1, List.of()), pool("10.0.0.1", "10.0.0.2"));
    ProxiedConnection c = a.admit(CLIENT);
    Endpoint failed = c.next(null);
    c.connectFailed(failed, "refused");
    Endpoint served = c.next(failed);
    assertThat(c.address(served)).isEqualTo(new InetSocketAddress(served.address(), 80));
    c.backendOpened(served);
    c.bytesIn(10);
    c.bytesOut(25);
    assertThat(served.openConnections()).isEqualTo(1);
    c.clientClosed(true);
    TrafficCounters b = backendCounters.get(served.address());
    assertThat(List.of(b.total.sum(), b.active.get(), b.bytesIn.sum(), b.bytesOut.sum(), b.errors.sum()))
        .containsExactly(1L, 0L, 10L, 25L, 1L);
    assertThat(backendCounters.get(failed.address()).connectFailures.sum()).isEqualTo(1);
    assertThat(List.of(listenerCounters.active.get(), listenerCounters.bytesIn.sum(), listenerCounters.bytesOut.sum(),
        listenerCounters.errors.sum())).containsExactly(0L, 10L, 25L, 1L);
    assertThat(served.openConnections()).isZero();
  }

  @Test
  void udpFlowsAreCappedByMaxFlowsWhenTheListenerSetsNoLimit() {
    Admission a = admission(listener(-1, List.of()), pool("10.0.0.1"));
    assertThat(a.admitFlow(CLIENT, 2)).isNotNull();
    assertThat(a.admitFlow(CLIENT, 2)).isNotNull();
    assertThat(a.admitFlow(CLIENT, 2)).isNull();
    Admission limited = new Admission(new AtomicReference<>(ListenerConfig.of(listener(1, List.of()), "127.0.10.1",
        pool("10.0.0.1"))), new TrafficCounters());
    assertThat(limited.admitFlow(CLIENT, 100)).isNotNull();
    assertThat(limited.admitFlow(CLIENT, 100)).as("connection_limit wins over the default cap").isNull();
  }

  @Test
  void connectFailuresHaveShortStableReasons() {
    assertThat(ProxiedConnection.reasonOf(new ConnectException("Connection refused: /10.0.0.1:80"))).isEqualTo("refused");
    assertThat(ProxiedConnection.reasonOf(new TimeoutException("connect"))).isEqualTo("timeout");
    assertThat(ProxiedConnection.reasonOf(new ConnectException("connection timed out after 5000 ms"))).isEqualTo("timeout");
    assertThat(ProxiedConnection.reasonOf(new UnknownHostException("app.internal"))).isEqualTo("unresolved");
    assertThat(ProxiedConnection.reasonOf(new java.net.NoRouteToHostException("No route to host")))
        .isEqualTo("unreachable");
    assertThat(ProxiedConnection.reasonOf(new ConnectException("Cannot assign requested address")))
        .as("a local error is not the backend refusing").isEqualTo("unreachable");
  }
}
