package io.fiberlb.it;

import static io.fiberlb.it.ControlPlaneApiTest.dur;
import static io.fiberlb.it.TestServer.statusOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.CreateHealthCheckRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.DeleteListenerRequest;
import io.fiberlb.api.v1.GetBackendRequest;
import io.fiberlb.api.v1.GetListenerRequest;
import io.fiberlb.api.v1.GetPoolRequest;
import io.fiberlb.api.v1.HealthCheck;
import io.fiberlb.api.v1.HealthCheckSpec;
import io.fiberlb.api.v1.LbAlgorithm;
import io.fiberlb.api.v1.ListEventsRequest;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.Operating;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.api.v1.UpdateListenerRequest;
import io.fiberlb.api.v1.UpdatePoolRequest;
import io.fiberlb.dataplane.stats.TrafficCounters;
import io.grpc.Status;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * UDP listeners end to end on the netty engine: a real server configured through the real gRPC API, real datagrams
 * from client sockets on loopback through the VIP to real UDP echo backends on ephemeral loopback ports.
 */
class UdpDataPlaneTest {
  static final Duration WAIT = Duration.ofSeconds(10);

  static Map<String, Object> settings(String engine) {
    return Map.of(
        "fiberlb.dataplane.enabled", true,
        "fiberlb.dataplane.engine", engine,
        "fiberlb.dataplane.drain-timeout", "2s",
        "fiberlb.dataplane.bind-retry-min", "100ms",
        "fiberlb.dataplane.bind-retry-max", "400ms");
  }

  TestServer server;
  TestServer.Api api;
  final List<UdpEchoBackend> backends = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = new TestServer(Files.createTempDirectory("fiberlb-udp"), settings("netty"));
    api = server.as("udp");
    for (String n : List.of("a", "b", "c")) backends.add(new UdpEchoBackend(n));
  }

  @AfterEach
  void stop() {
    for (UdpEchoBackend b : backends) b.close();
    if (server != null) server.close();
  }

  /** A UDP port free on loopback right now: the VIPs are loopback addresses too. */
  static int freeUdpPort() throws IOException {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      return s.getLocalPort();
    }
  }

  record Setup(LoadBalancer lb, Pool pool, Listener listener, List<Backend> backends) {
    String vip() {
      return lb.getVipAddress();
    }

    int port() {
      return listener.getProtocolPort();
    }
  }

  Setup setup(TestServer.Api api, List<UdpEchoBackend> udp, LbAlgorithm algorithm, ListenerSpec.Builder listenerSpec)
      throws IOException {
    LoadBalancer lb = api.createLb("udp-" + algorithm);
    Pool pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setPool(PoolSpec.newBuilder().setName("p").setProtocol(Protocol.UDP).setLbAlgorithm(algorithm)).build());
    var created = new ArrayList<Backend>();
    for (UdpEchoBackend b : udp) created.add(api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", b.port()));
    Listener listener = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setListener(listenerSpec.setProtocol(Protocol.UDP).setProtocolPort(freeUdpPort())
            .setDefaultPoolId(pool.getId())).build());
    return new Setup(lb, pool, listener, created);
  }

  Setup serving(LbAlgorithm algorithm, ListenerSpec.Builder listenerSpec) throws IOException {
    Setup s = setup(api, backends, algorithm, listenerSpec);
    awaitServing(s);
    return s;
  }

  /** Until a fresh client socket is answered (before the listener is bound, ICMP port unreachable fails at once). */
  static void awaitServing(Setup s) {
    Poll.until("the UDP listener answering", WAIT, () -> {
      try (UdpClient c = new UdpClient(s.vip(), s.port(), 2_000)) {
        return !c.whoServes().isEmpty();
      } catch (IOException e) {
        return false;
      }
    }, ok -> ok);
  }

  TrafficCounters counters(Setup s) {
    return server.node().dataPlane().stats().find(s.lb().getId()).listeners.get(s.listener().getId());
  }

  Map<String, Integer> spread(Setup s, int clients) throws IOException {
    Map<String, Integer> served = new HashMap<>();
    for (int i = 0; i < clients; i++) {
      try (UdpClient c = new UdpClient(s.vip(), s.port(), 5_000)) {
        served.merge(c.whoServes(), 1, Integer::sum);
      }
    }
    return served;
  }

  UdpEchoBackend backend(String name) {
    return backends.stream().filter(b -> b.name.equals(name)).findFirst().orElseThrow();
  }

  Listener getListener(TestServer.Api api, Setup s) {
    return api.call(api.listeners().getListener(), GetListenerRequest.newBuilder()
        .setLoadBalancerId(s.lb().getId()).setId(s.listener().getId()).build());
  }

  Backend getBackend(Setup s, int i) {
    return api.call(api.backends().getBackend(), GetBackendRequest.newBuilder()
        .setLoadBalancerId(s.lb().getId()).setId(s.backends().get(i).getId()).build());
  }

  void updateListener(Setup s, ListenerSpec.Builder spec) {
    api.call(api.listeners().updateListener(), UpdateListenerRequest.newBuilder().setLoadBalancerId(s.lb().getId())
        .setId(s.listener().getId()).setListener(spec).build());
  }

  // ------------------------------------------------------------------ datagrams

  @Test
  void datagramsOfEverySizeArriveIntactBothWaysOnOneFlow() throws IOException {
    Setup s = serving(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    TrafficCounters c = counters(s);
    long total = c.total.sum();
    long in = c.bytesIn.sum();
    long out = c.bytesOut.sum();
    int[] sizes = {1, 512, 1472, 8_192, 32_768, 61_440};
    var random = new Random(42);
    long sent = 0;
    String servedBy = null;
    try (UdpClient client = new UdpClient(s.vip(), s.port(), 5_000)) {
      for (int n : sizes) {
        byte[] payload = new byte[n];
        random.nextBytes(payload);
        byte[] answer = client.exchange(payload);
        assertArrayEquals(payload, Arrays.copyOf(answer, n), n + " bytes intact both ways");
        String who = new String(answer, n, answer.length - n, StandardCharsets.UTF_8);
        assertTrue(List.of("#a", "#b", "#c").contains(who), "answered by a backend, got " + who);
        if (servedBy == null) servedBy = who;
        assertEquals(servedBy, who, "one client socket is one flow, on one backend");
        sent += n;
      }
    }
    assertEquals(total + 1, c.total.sum(), "one flow for the whole exchange");
    assertEquals(in + sent, c.bytesIn.sum(), "bytes in: every datagram from the client");
    assertEquals(out + sent + 2L * sizes.length, c.bytesOut.sum(), "bytes out: every answer with its '#x'");
    assertEquals(Operating.Status.ONLINE, getListener(api, s).getOperatingStatus());
  }

  @ParameterizedTest
  @EnumSource(value = LbAlgorithm.class, names = {"SOURCE_IP_PORT", "MAGLEV"})
  void aClientSocketStaysOnItsBackendAndClientSocketsSpread(LbAlgorithm algorithm) throws IOException {
    Setup s = serving(algorithm, ListenerSpec.newBuilder());
    Map<String, Integer> clientsPerBackend = new HashMap<>();
    int clients = 12;
    for (int i = 0; i < clients; i++) {
      try (UdpClient c = new UdpClient(s.vip(), s.port(), 5_000)) {
        Set<String> who = new HashSet<>();
        for (int j = 0; j < 20; j++) who.add(c.whoServes());
        assertEquals(1, who.size(), "every datagram of one client socket answered by one backend: " + who);
        clientsPerBackend.merge(who.iterator().next(), 1, Integer::sum);
      }
    }
    assertTrue(clientsPerBackend.size() >= 2, "client sockets spread over the backends: " + clientsPerBackend);
    // Each flow has its own socket towards its backend: the backends saw one sender per flow.
    int senders = backends.stream().mapToInt(b -> b.senders.size()).sum();
    assertEquals(clients + 1, senders, "one backend socket per flow (and one for the set-up probe)");
  }

  @Test
  void anIdleFlowExpiresAndTheNextDatagramOpensANewOneOnTheSameBackend() throws IOException {
    Setup s = serving(LbAlgorithm.SOURCE_IP_PORT, ListenerSpec.newBuilder().setTimeoutClientIdle(dur(500)));
    TrafficCounters c = counters(s);
    Poll.until("the set-up flow expired", WAIT, c.active::get, n -> n == 0);
    long total = c.total.sum();
    long errors = c.errors.sum();
    String first;
    try (UdpClient client = new UdpClient(s.vip(), s.port(), 5_000)) {
      first = client.whoServes();
      assertEquals(1, c.active.get(), "one flow open");
      UdpEchoBackend b = backend(first);
      int senders = b.senders.size();
      Poll.until("the idle flow expired", WAIT, c.active::get, n -> n == 0);
      assertEquals(total + 1, c.total.sum());
      assertEquals(errors, c.errors.sum(), "an idle flow ends normally, not in error");

      assertEquals(first, client.whoServes(), "SOURCE_IP_PORT sends the same client to the same backend");
      assertEquals(total + 2, c.total.sum(), "a new flow");
      assertEquals(1, c.active.get());
      assertEquals(senders + 1, b.senders.size(), "from a new backend socket");
    }
    TrafficCounters slot = server.node().dataPlane().stats().find(s.lb().getId()).backends
        .get(s.backends().get(backends.indexOf(backend(first))).getId());
    assertTrue(slot.total.sum() >= 2, "the backend counted both flows: " + slot.total.sum());
    Poll.until("the backend's flows closed too", WAIT, slot.active::get, n -> n == 0);
  }

  @Test
  void connectionLimitCapsOpenFlows() throws IOException {
    Setup s = serving(LbAlgorithm.ROUND_ROBIN,
        ListenerSpec.newBuilder().setConnectionLimit(2).setTimeoutClientIdle(dur(3_000)));
    TrafficCounters c = counters(s);
    Poll.until("the set-up flow expired", WAIT, c.active::get, n -> n == 0);
    try (UdpClient one = new UdpClient(s.vip(), s.port(), 5_000);
        UdpClient two = new UdpClient(s.vip(), s.port(), 5_000);
        UdpClient three = new UdpClient(s.vip(), s.port(), 500)) {
      one.whoServes();
      two.whoServes();
      long rejected = c.rejected.sum();
      assertThrows(SocketTimeoutException.class, three::whoServes, "a third flow is over the limit: dropped");
      Poll.until("the third flow counted as rejected", WAIT, c.rejected::sum, n -> n == rejected + 1);
      assertEquals(2, c.active.get());
      one.whoServes(); // the admitted flows carry on
    }
    // Once the two have expired there is room again.
    Poll.until("the two flows expired", WAIT, c.active::get, n -> n == 0);
    try (UdpClient four = new UdpClient(s.vip(), s.port(), 5_000)) {
      assertEquals(1, four.whoServes().length());
    }
  }

  @Test
  void allowedCidrsRefuseOtherClients() throws IOException {
    Setup s = serving(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    TrafficCounters c = counters(s);
    updateListener(s, ListenerSpec.newBuilder().addAllowedCidrs("10.0.0.0/8"));
    long before = c.rejected.sum();
    Poll.until("clients from 127.0.0.1 refused", WAIT, () -> {
      try (UdpClient u = new UdpClient(s.vip(), s.port(), 300)) {
        u.whoServes();
        return false;
      } catch (IOException e) {
        return c.rejected.sum() > before;
      }
    }, refused -> refused);
    long total = c.total.sum();
    long rejected = c.rejected.sum();
    try (UdpClient u = new UdpClient(s.vip(), s.port(), 500)) {
      assertThrows(SocketTimeoutException.class, u::whoServes, "127.0.0.1 is not in 10.0.0.0/8");
    }
    Poll.until("counted as rejected", WAIT, c.rejected::sum, n -> n == rejected + 1);
    assertEquals(total, c.total.sum(), "a refused client opens no flow");

    updateListener(s, ListenerSpec.newBuilder().addAllowedCidrs("10.0.0.0/8").addAllowedCidrs("127.0.0.0/8")
        .setAllowedCidrsSet(true));
    awaitServing(s);
  }

  @Test
  void aDeadUdpBackendLeavesRotationByUdpConnectAndReturnsAfterRise() throws IOException {
    Setup s = serving(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    HealthCheck hc = api.call(api.healthChecks().createHealthCheck(), CreateHealthCheckRequest.newBuilder()
        .setLoadBalancerId(s.lb().getId()).setHealthCheck(HealthCheckSpec.newBuilder()
            .setType(HealthCheck.Type.UDP_CONNECT).setInterval(dur(200)).setTimeout(dur(100)).setRise(2).setFall(2))
        .build());
    api.call(api.pools().updatePool(), UpdatePoolRequest.newBuilder().setLoadBalancerId(s.lb().getId())
        .setId(s.pool().getId()).setPool(PoolSpec.newBuilder().setHealthCheckId(hc.getId())).build());
    assertEquals(Operating.Status.ONLINE, getBackend(s, 1).getOperatingStatus());

    UdpEchoBackend b = backends.get(1);
    int port = b.port();
    b.stop(); // its port is closed: the kernel answers datagrams with ICMP port unreachable
    Backend down = Poll.until("backend b ERROR", WAIT, () -> getBackend(s, 1),
        x -> x.getOperatingStatus() == Operating.Status.ERROR);
    assertEquals("refused", down.getOperatingStatusReason());
    Pool pool = api.call(api.pools().getPool(), GetPoolRequest.newBuilder().setLoadBalancerId(s.lb().getId())
        .setId(s.pool().getId()).build());
    assertEquals(Operating.Status.DEGRADED, pool.getOperatingStatus());
    assertEquals(Map.of("a", 15, "c", 15), spread(s, 30), "out of rotation: new flows go to a and c");

    b.start(port);
    Poll.until("backend b ONLINE again", WAIT, () -> getBackend(s, 1),
        x -> x.getOperatingStatus() == Operating.Status.ONLINE);
    Map<String, Integer> back = spread(s, 30);
    assertEquals(3, back.size(), "back in rotation after rise: " + back);

    var events = api.call(api.audit().listEvents(), ListEventsRequest.newBuilder()
        .setLoadBalancerId(s.lb().getId()).addEventTypes("BackendDown").addEventTypes("BackendUp").build());
    assertEquals(List.of("BackendDown", "BackendUp"),
        events.getEventsList().stream().map(io.fiberlb.api.v1.AuditEvent::getType).toList());
    assertTrue(events.getEvents(0).getReason().contains("refused"), events.getEvents(0).getReason());
  }

  @Test
  void deletingTheListenerStopsNewFlowsAndDrainsOpenOnes() throws IOException {
    Setup s = serving(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    TrafficCounters c = counters(s);
    try (UdpClient held = new UdpClient(s.vip(), s.port(), 5_000)) {
      String who = held.whoServes();
      api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder()
          .setLoadBalancerId(s.lb().getId()).setId(s.listener().getId()).build());
      Poll.until("new clients no longer answered", WAIT, () -> {
        try (UdpClient u = new UdpClient(s.vip(), s.port(), 300)) {
          u.whoServes();
          return false;
        } catch (IOException e) {
          return true;
        }
      }, refused -> refused);
      assertEquals(who, held.whoServes(), "the open flow drains");
      // The drain deadline (2 s here) ends the flows and closes the VIP socket.
      Poll.until("the drain deadline closed every flow", WAIT, c.active::get, n -> n == 0);
      assertThrows(IOException.class, held::whoServes, "nothing serves the port any more");
    }
  }

  @Test
  void aTcpAndAUdpListenerShareAPortNumber() throws IOException {
    Setup s = serving(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    try (EchoBackend tcp = new EchoBackend("t")) {
      Pool tcpPool = api.createPool(s.lb().getId(), "tcp");
      api.createBackend(s.lb().getId(), tcpPool.getId(), "127.0.0.1", tcp.port());
      api.createListener(s.lb().getId(), s.port(), tcpPool.getId());
      String tcpServer = Poll.until("the TCP listener on the UDP listener's port", WAIT, () -> {
        try {
          return TcpClient.whoServes(s.vip(), s.port());
        } catch (IOException e) {
          return "";
        }
      }, who -> !who.isEmpty());
      assertEquals("t", tcpServer);
      try (UdpClient u = new UdpClient(s.vip(), s.port(), 5_000)) {
        assertTrue(List.of("a", "b", "c").contains(u.whoServes()));
      }
    }
  }

  // ------------------------------------------------------------------ what is refused

  @Test
  void mismatchedProtocolsAreRefusedWithTheFieldAndNothingIsJournaled() {
    LoadBalancer lb = api.createLb("udp-bad");
    Pool tcpPool = api.createPool(lb.getId(), "tcp");
    HealthCheck udpHc = api.call(api.healthChecks().createHealthCheck(), CreateHealthCheckRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setHealthCheck(HealthCheckSpec.newBuilder()
            .setType(HealthCheck.Type.UDP_CONNECT)).build());
    long version = api.getLb(lb.getId()).getVersion();
    int events = eventCount(lb.getId());

    Throwable udpListener = assertThrows(RuntimeException.class, () -> api.call(api.listeners().createListener(),
        CreateListenerRequest.newBuilder().setLoadBalancerId(lb.getId()).setListener(ListenerSpec.newBuilder()
            .setProtocol(Protocol.UDP).setProtocolPort(53).setDefaultPoolId(tcpPool.getId())).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, statusOf(udpListener).getCode());
    assertTrue(statusOf(udpListener).getDescription().startsWith("listener.default_pool_id: pool " + tcpPool.getId()
        + " is a TCP pool; a UDP listener needs a UDP pool"), statusOf(udpListener).getDescription());

    Throwable udpCheck = assertThrows(RuntimeException.class, () -> api.call(api.pools().updatePool(),
        UpdatePoolRequest.newBuilder().setLoadBalancerId(lb.getId()).setId(tcpPool.getId())
            .setPool(PoolSpec.newBuilder().setHealthCheckId(udpHc.getId())).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, statusOf(udpCheck).getCode());
    assertTrue(statusOf(udpCheck).getDescription().startsWith("pool.health_check_id: health check " + udpHc.getId()
        + " is UDP_CONNECT, which cannot probe a TCP pool"), statusOf(udpCheck).getDescription());

    assertEquals(version, api.getLb(lb.getId()).getVersion(), "no change");
    assertEquals(events, eventCount(lb.getId()), "nothing journaled");
  }

  private int eventCount(String lbId) {
    return api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lbId)
        .setPageSize(1000).build()).getEventsCount();
  }

  @Test
  void thePekkoEngineReportsAUdpListenerAsError() throws IOException {
    try (TestServer pekko = new TestServer(Files.createTempDirectory("fiberlb-udp-pekko"), settings("pekko"))) {
      TestServer.Api p = pekko.as("udp-pekko");
      Setup s = setup(p, List.of(backends.get(0)), LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
      Listener seen = Poll.until("the UDP listener in ERROR", WAIT, () -> getListener(p, s),
          l -> l.getOperatingStatus() == Operating.Status.ERROR);
      assertEquals("UDP needs the netty engine (fiberlb.dataplane.engine = netty)", seen.getOperatingStatusReason());
      assertEquals(Operating.Status.ERROR, p.getLb(s.lb().getId()).getOperatingStatus(), "its only listener");
    }
  }
}
