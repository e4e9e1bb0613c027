package io.fiberlb.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.DeleteListenerRequest;
import io.fiberlb.api.v1.GetListenerRequest;
import io.fiberlb.api.v1.LbAlgorithm;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.Operating;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.UpdateBackendRequest;
import io.fiberlb.api.v1.UpdateListenerRequest;
import io.fiberlb.api.v1.UpdatePoolRequest;
import io.fiberlb.dataplane.stats.TrafficCounters;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The data plane end to end: a real server, configured through the real gRPC API, proxying real TCP connections to
 * real backends on ephemeral loopback ports. Every test runs against each engine ({@link DataPlaneNettyTest},
 * {@link DataPlanePekkoTest}).
 */
abstract class DataPlaneTest {
  static final Map<String, Object> FAST = Map.of(
      "fiberlb.dataplane.enabled", true,
      "fiberlb.dataplane.drain-timeout", "2s",
      "fiberlb.dataplane.bind-retry-min", "100ms",
      "fiberlb.dataplane.bind-retry-max", "400ms");

  /** {@code fiberlb.dataplane.engine} for this run. */
  abstract String engine();

  HashMap<String, Object> settings() {
    var m = new HashMap<String, Object>(FAST);
    m.put("fiberlb.dataplane.engine", engine());
    return m;
  }

  Path dir;
  TestServer server;
  TestServer.Api api;
  final List<EchoBackend> backends = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    dir = Files.createTempDirectory("fiberlb-dp");
    server = new TestServer(dir, settings());
    api = server.as("dp");
    for (String n : List.of("a", "b", "c")) backends.add(new EchoBackend(n));
  }

  @AfterEach
  void stop() throws IOException {
    for (EchoBackend b : backends) b.close();
    if (server != null) server.close();
  }

  /** A port free on loopback right now: the VIPs are loopback addresses too. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Polls a growing counter until two samples 200 ms apart agree (and it has moved): the value it settled at. */
  static long settled(String what, java.util.function.LongSupplier counter) {
    long[] previous = {-1};
    return Poll.until(what + " to settle", Duration.ofSeconds(15), () -> {
      long now = counter.getAsLong();
      long before = previous[0];
      previous[0] = now;
      java.util.concurrent.locks.LockSupport.parkNanos(200_000_000); // between two samples, inside the bounded poll
      return now == before ? now : -1;
    }, n -> n > 0);
  }

  record Setup(LoadBalancer lb, Pool pool, Listener listener, List<Backend> backends) {
    String vip() {
      return lb.getVipAddress();
    }

    int port() {
      return listener.getProtocolPort();
    }
  }

  Setup setup(LbAlgorithm algorithm, ListenerSpec.Builder listenerSpec) throws IOException {
    LoadBalancer lb = api.createLb("dp-" + algorithm);
    Pool pool = api.call(api.pools().createPool(), io.fiberlb.api.v1.CreatePoolRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setPool(PoolSpec.newBuilder().setName("p").setLbAlgorithm(algorithm)).build());
    var created = new ArrayList<Backend>();
    for (EchoBackend b : backends) created.add(api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", b.port()));
    Listener listener = api.call(api.listeners().createListener(), io.fiberlb.api.v1.CreateListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setListener(listenerSpec.setProtocolPort(freePort())
            .setProtocol(io.fiberlb.api.v1.Protocol.TCP).setDefaultPoolId(pool.getId())).build());
    var s = new Setup(lb, pool, listener, created);
    awaitServing(s);
    // The probe connection of awaitServing is accepted and done with before the test counts anything.
    Poll.until("the probe connection counted and closed", Duration.ofSeconds(10), () -> listenerCounters(s),
        c -> c.total.sum() + c.rejected.sum() >= 1 && c.active.get() == 0);
    return s;
  }

  static void awaitServing(Setup s) {
    Poll.until("a connection accepted on " + s.vip() + ":" + s.port(), Duration.ofSeconds(10), () -> {
      try (Socket c = TcpClient.connect(s.vip(), s.port())) {
        // One byte and an answer (its echo, or the close of a refused client) before closing: a probe closed before
        // the engine had accepted it could be dropped by the kernel uncounted (seen on NIO under load).
        try {
          c.setSoTimeout(2000);
          c.getOutputStream().write('p');
          c.getInputStream().read();
        } catch (IOException decidedEitherWay) {
          // reset or closed: the listener has decided on it
        }
        return true;
      } catch (IOException e) {
        return false;
      }
    }, ok -> ok);
  }

  Map<String, Integer> spread(Setup s, int connections) throws IOException {
    Map<String, Integer> served = new HashMap<>();
    for (int i = 0; i < connections; i++) served.merge(TcpClient.whoServes(s.vip(), s.port()), 1, Integer::sum);
    return served;
  }

  TrafficCounters listenerCounters(Setup s) {
    return server.node().dataPlane().stats().find(s.lb().getId()).listeners.get(s.listener().getId());
  }

  Listener getListener(Setup s) {
    return api.call(api.listeners().getListener(), GetListenerRequest.newBuilder()
        .setLoadBalancerId(s.lb().getId()).setId(s.listener().getId()).build());
  }

  void updateBackend(Setup s, int i, BackendSpec.Builder spec) {
    api.call(api.backends().updateBackend(), UpdateBackendRequest.newBuilder().setLoadBalancerId(s.lb().getId())
        .setId(s.backends().get(i).getId()).setBackend(spec).build());
  }

  @Test
  void roundRobinSpreadsExactlyAndBytesArriveIntactBothWays() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    long before = listenerCounters(s).total.sum();
    assertEquals(Map.of("a", 100, "b", 100, "c", 100), spread(s, 300));

    byte[] payload = new byte[1 << 20];
    new Random(42).nextBytes(payload);
    byte[] answer = TcpClient.exchange(s.vip(), s.port(), payload);
    assertTrue(answer.length > payload.length, "echo and trailer, got " + answer.length + " bytes");
    assertArrayEquals(payload, java.util.Arrays.copyOf(answer, payload.length), "1 MiB round trip intact");

    TrafficCounters c = listenerCounters(s);
    assertEquals(before + 301, c.total.sum());
    assertTrue(c.bytesIn.sum() >= payload.length + 300, "bytes in " + c.bytesIn.sum());
    assertTrue(c.bytesOut.sum() >= payload.length + 300, "bytes out " + c.bytesOut.sum());
    assertEquals(Operating.Status.ONLINE, getListener(s).getOperatingStatus());
  }

  @Test
  void weightedRoundRobinFollowsWeights() throws IOException {
    Setup s = setup(LbAlgorithm.WEIGHTED_ROUND_ROBIN, ListenerSpec.newBuilder());
    updateBackend(s, 0, BackendSpec.newBuilder().setWeight(3));
    assertEquals(Map.of("a", 60, "b", 20, "c", 20), spread(s, 100));
  }

  @Test
  void weightZeroDrainsNewConnectionsWhileOpenOnesContinue() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    // The first connection of a round robin goes to the first backend: hold it open.
    try (Socket held = TcpClient.connect(s.vip(), s.port())) {
      held.getOutputStream().write("ping".getBytes(StandardCharsets.UTF_8));
      assertEquals("ping", readN(held.getInputStream(), 4));
      int heldOn = backends.get(0).openConnections() == 1 ? 0 : backends.get(1).openConnections() == 1 ? 1 : 2;
      updateBackend(s, heldOn, BackendSpec.newBuilder().setWeight(0));
      Map<String, Integer> after = spread(s, 30);
      assertEquals(null, after.get(backends.get(heldOn).name), "no new connection to the drained backend: " + after);
      held.getOutputStream().write("pong".getBytes(StandardCharsets.UTF_8));
      assertEquals("pong", readN(held.getInputStream(), 4), "the open connection still works");
    }
    Backend drained = Poll.until(Duration.ofSeconds(5), () -> api.call(api.backends().getBackend(),
        io.fiberlb.api.v1.GetBackendRequest.newBuilder().setLoadBalancerId(s.lb().getId())
            .setId(s.backends().get(0).getId()).build()), b -> true);
    assertTrue(drained != null);
  }

  @Test
  void connectionLimitClosesTheExcessAtOnceAndCountsIt() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder().setConnectionLimit(2));
    try (Socket one = TcpClient.connect(s.vip(), s.port()); Socket two = TcpClient.connect(s.vip(), s.port())) {
      one.getOutputStream().write('1');
      two.getOutputStream().write('2');
      assertEquals("1", readN(one.getInputStream(), 1));
      assertEquals("2", readN(two.getInputStream(), 1));
      long rejectedBefore = listenerCounters(s).rejected.sum();
      try (Socket three = TcpClient.connect(s.vip(), s.port())) {
        assertEquals(-1, three.getInputStream().read(), "the third connection is closed at once");
      }
      assertEquals(rejectedBefore + 1, listenerCounters(s).rejected.sum());
    }
    // Once the two are closed, there is room again.
    Poll.until(Duration.ofSeconds(5), () -> listenerCounters(s).active.get(), n -> n == 0);
    assertEquals(1, TcpClient.whoServes(s.vip(), s.port()).length());
  }

  @Test
  void allowedCidrsRefuseOtherClients() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder().addAllowedCidrs("10.0.0.0/8"));
    long before = listenerCounters(s).rejected.sum();
    try (Socket c = TcpClient.connect(s.vip(), s.port())) {
      assertEquals(-1, c.getInputStream().read(), "127.0.0.1 is not in 10.0.0.0/8");
    }
    assertEquals(before + 1, listenerCounters(s).rejected.sum());
    assertEquals(0, listenerCounters(s).total.sum(), "a refused client is not a served connection");
    api.call(api.listeners().updateListener(), UpdateListenerRequest.newBuilder().setLoadBalancerId(s.lb().getId())
        .setId(s.listener().getId()).setListener(ListenerSpec.newBuilder().addAllowedCidrs("10.0.0.0/8")
            .addAllowedCidrs("127.0.0.0/8").setAllowedCidrsSet(true)).build());
    Poll.until(Duration.ofSeconds(5), () -> {
      try {
        return TcpClient.whoServes(s.vip(), s.port());
      } catch (IOException e) {
        return "";
      }
    }, who -> !who.isEmpty());
    assertEquals(1, TcpClient.whoServes(s.vip(), s.port()).length(), "allowed once 127.0.0.0/8 is listed");
  }

  @Test
  void aFailedConnectIsRetriedOnAnotherBackend() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    backends.get(1).stop(); // b refuses connections; no health check: only retries keep clients whole
    Map<String, Integer> served = spread(s, 30);
    assertEquals(30, served.values().stream().mapToInt(Integer::intValue).sum());
    assertEquals(null, served.get("b"));
    long failures = server.node().dataPlane().stats().find(s.lb().getId()).backends.get(s.backends().get(1).getId())
        .connectFailures.sum();
    assertEquals(10, failures, "every third connection tried b first");
  }

  @Test
  void noEligibleBackendClosesAtOnce() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    api.call(api.pools().updatePool(), UpdatePoolRequest.newBuilder().setLoadBalancerId(s.lb().getId())
        .setId(s.pool().getId()).setPool(PoolSpec.newBuilder().setAdminStateUp(false)).build());
    Poll.until(Duration.ofSeconds(5), () -> {
      try (Socket c = TcpClient.connect(s.vip(), s.port())) {
        return c.getInputStream().read();
      } catch (IOException e) {
        return 0;
      }
    }, r -> r == -1);
    long before = listenerCounters(s).rejected.sum();
    try (Socket c = TcpClient.connect(s.vip(), s.port())) {
      assertEquals(-1, c.getInputStream().read());
    }
    assertEquals(before + 1, listenerCounters(s).rejected.sum());
    assertEquals(Operating.Status.DEGRADED, getListener(s).getOperatingStatus());
  }

  @Test
  void deletingTheListenerStopsAcceptingAndDrainsOpenConnections() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    try (Socket held = TcpClient.connect(s.vip(), s.port())) {
      held.getOutputStream().write('1');
      assertEquals("1", readN(held.getInputStream(), 1));
      api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder()
          .setLoadBalancerId(s.lb().getId()).setId(s.listener().getId()).build());
      boolean refused = Poll.until(Duration.ofSeconds(5), () -> {
        try (Socket c = TcpClient.connect(s.vip(), s.port())) {
          return false;
        } catch (IOException e) {
          return true;
        }
      }, r -> r);
      assertTrue(refused, "no longer accepting");
      held.getOutputStream().write('2');
      assertEquals("2", readN(held.getInputStream(), 1), "the open connection drains");
      // After the drain timeout (2 s here) it is cut: reset, or closed without the backend's goodbye.
      held.setSoTimeout(8_000);
      int next;
      try {
        next = held.getInputStream().read();
      } catch (java.net.SocketException reset) {
        next = -1;
      }
      assertEquals(-1, next);
    }
  }

  @Test
  void aPortAlreadyTakenIsReportedAsErrorAndBoundOnceFree() throws IOException {
    LoadBalancer lb = api.createLb("conflict");
    Pool pool = api.createPool(lb.getId(), "p");
    api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", backends.get(0).port());
    int port = freePort();
    Listener l;
    try (ServerSocket squatter = new ServerSocket()) {
      squatter.bind(new InetSocketAddress(lb.getVipAddress(), port));
      l = api.createListener(lb.getId(), port, pool.getId());
      var s = new Setup(lb, pool, l, List.of());
      Listener seen = Poll.until(Duration.ofSeconds(10), () -> getListener(s),
          x -> x.getOperatingStatus() == Operating.Status.ERROR);
      assertEquals(Operating.Status.ERROR, seen.getOperatingStatus());
      assertTrue(seen.getOperatingStatusReason().contains("already in use"), seen.getOperatingStatusReason());
      assertEquals(Operating.Status.ERROR, api.getLb(lb.getId()).getOperatingStatus(), "its only listener cannot serve");
    }
    var s = new Setup(lb, pool, l, List.of());
    Listener healed = Poll.until(Duration.ofSeconds(10), () -> getListener(s),
        x -> x.getOperatingStatus() == Operating.Status.ONLINE);
    assertEquals(Operating.Status.ONLINE, healed.getOperatingStatus());
    assertEquals("a", TcpClient.whoServes(lb.getVipAddress(), port));
  }

  @Test
  void aRestartedServerServesTheVipAgainWithNoApiCall() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    assertEquals(3, spread(s, 3).size());
    server.stop();
    assertThrows(IOException.class, () -> TcpClient.whoServes(s.vip(), s.port()));
    server.start();
    String who = Poll.until(Duration.ofSeconds(30), () -> {
      try {
        return TcpClient.whoServes(s.vip(), s.port());
      } catch (IOException e) {
        return "";
      }
    }, x -> !x.isEmpty());
    assertTrue(List.of("a", "b", "c").contains(who), "served by " + who);
  }

  @Test
  void aDeadBackendLeavesRotationWithinIntervalTimesFallAndReturnsAfterRise() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    var hc = api.call(api.healthChecks().createHealthCheck(), io.fiberlb.api.v1.CreateHealthCheckRequest.newBuilder()
        .setLoadBalancerId(s.lb().getId()).setHealthCheck(io.fiberlb.api.v1.HealthCheckSpec.newBuilder()
            .setType(io.fiberlb.api.v1.HealthCheck.Type.TCP)
            .setInterval(com.google.protobuf.Duration.newBuilder().setNanos(400_000_000))
            // 300 ms: a loaded 2-core machine must not time out the healthy backends' probes
            .setTimeout(com.google.protobuf.Duration.newBuilder().setNanos(300_000_000))
            .setRise(2).setFall(2)).build());
    api.call(api.pools().updatePool(), UpdatePoolRequest.newBuilder().setLoadBalancerId(s.lb().getId())
        .setId(s.pool().getId()).setPool(PoolSpec.newBuilder().setHealthCheckId(hc.getId())).build());
    String bId = s.backends().get(1).getId();
    assertEquals(Operating.Status.ONLINE, getBackend(s, 1).getOperatingStatus());

    EchoBackend b = backends.get(1);
    int port = b.port();
    long stopped = System.nanoTime();
    b.stop();
    // interval x fall + one interval (+ jitter and a loaded machine's slack)
    Backend down = Poll.until(Duration.ofSeconds(10), () -> getBackend(s, 1),
        x -> x.getOperatingStatus() == Operating.Status.ERROR);
    long tookMs = (System.nanoTime() - stopped) / 1_000_000;
    assertEquals(Operating.Status.ERROR, down.getOperatingStatus());
    assertEquals("refused", down.getOperatingStatusReason());
    assertTrue(tookMs < 5_000, "marked down after " + tookMs + " ms");
    assertEquals(Operating.Status.DEGRADED, getPool(s).getOperatingStatus());
    long failuresBefore = server.node().dataPlane().stats().find(s.lb().getId()).backends.get(bId).connectFailures.sum();
    Map<String, Integer> without = spread(s, 30);
    assertEquals(Map.of("a", 15, "c", 15), without, "out of rotation: no connect is even tried");
    assertEquals(failuresBefore,
        server.node().dataPlane().stats().find(s.lb().getId()).backends.get(bId).connectFailures.sum());

    b.start(port);
    Backend up = Poll.until(Duration.ofSeconds(10), () -> getBackend(s, 1),
        x -> x.getOperatingStatus() == Operating.Status.ONLINE);
    assertEquals(Operating.Status.ONLINE, up.getOperatingStatus());
    Map<String, Integer> back = spread(s, 30);
    assertEquals(3, back.size(), "back in rotation after rise: " + back);

    // Each transition is in the history once, by the system, with its reason; neither bumped the version.
    var events = api.call(api.audit().listEvents(), io.fiberlb.api.v1.ListEventsRequest.newBuilder()
        .setLoadBalancerId(s.lb().getId()).addEventTypes("BackendDown").addEventTypes("BackendUp").build());
    assertEquals(List.of("BackendDown", "BackendUp"),
        events.getEventsList().stream().map(io.fiberlb.api.v1.AuditEvent::getType).toList());
    var downEvent = events.getEvents(0);
    assertEquals("system", downEvent.getActor());
    assertEquals(bId, downEvent.getResourceId());
    assertTrue(downEvent.getReason().contains("refused"), downEvent.getReason());
    assertEquals(downEvent.getVersion(), events.getEvents(1).getVersion());
  }

  /** A load balancer with one listener over one backend port, serving. */
  Setup single(int backendPort) throws IOException {
    LoadBalancer lb = api.createLb("single");
    Pool pool = api.createPool(lb.getId(), "p");
    Backend b = api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", backendPort);
    Listener l = api.createListener(lb.getId(), freePort(), pool.getId());
    var s = new Setup(lb, pool, l, List.of(b));
    awaitServing(s);
    return s;
  }

  @Test
  void aBackendThatHalfClosesFirstStillReceivesWhatTheClientSendsAfterwards() throws Exception {
    var received = new java.util.concurrent.LinkedBlockingQueue<String>(); // one entry per connection
    try (var greeter = new ScriptedBackend(c -> {
      c.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
      c.shutdownOutput(); // FIN first, from the backend
      received.add(new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    })) {
      Setup s = single(greeter.port());
      try (Socket c = TcpClient.connect(s.vip(), s.port())) {
        assertEquals("hello", new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
            "the backend's bytes, then its FIN");
        c.getOutputStream().write("late words".getBytes(StandardCharsets.UTF_8));
        c.shutdownOutput();
        Poll.until("the backend to receive what the client sent after the backend's FIN", Duration.ofSeconds(10),
            () -> List.copyOf(received), r -> r.contains("late words"));
      }
    }
  }

  @Test
  void aClientThatHalfClosesStillReceivesTheWholeAnswer() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    try (Socket c = TcpClient.connect(s.vip(), s.port())) {
      c.getOutputStream().write("question".getBytes(StandardCharsets.UTF_8));
      c.shutdownOutput(); // the client's FIN goes first: the echo backend answers only after it
      String answer = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(answer.matches("question#[abc]"), answer);
    }
  }

  @Test
  void aSlowReaderHoldsTheBackendBackInsteadOfFillingMemory() throws IOException {
    byte[] chunk = new byte[64 * 1024];
    try (var firehose = new ScriptedBackend(c -> {
      var out = c.getOutputStream();
      while (true) out.write(chunk); // as fast as the proxy takes it, until the connection goes
    })) {
      Setup s = single(firehose.port());
      try (Socket c = new Socket()) {
        c.setReceiveBufferSize(64 * 1024); // fixed: no receive-window auto-tuning on the client
        c.setSoTimeout(10_000);
        c.connect(new InetSocketAddress(s.vip(), s.port()), 5_000);
        // The client reads nothing: what the proxy reads from the backend must stop growing, at about the socket
        // buffers plus the engine's high-water mark, not grow at loopback speed.
        long settled = settled("bytes read from the backend", () -> listenerCounters(s).bytesOut.sum());
        assertTrue(settled < 16L << 20, "bytes buffered for a client that reads nothing: " + settled);
        // And the stream resumes once the client reads.
        byte[] got = c.getInputStream().readNBytes(4 << 20);
        assertEquals(4 << 20, got.length);
        assertTrue(listenerCounters(s).bytesOut.sum() > settled, "the backend was read again");
      }
    }
  }

  @Test
  void aBackendThatReadsNothingHoldsTheClientBack() throws Exception {
    var release = new java.util.concurrent.CountDownLatch(1);
    try (var deaf = new ScriptedBackend(c -> {
      c.setReceiveBufferSize(64 * 1024);
      try {
        release.await(); // reads nothing until the test says so
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      c.getInputStream().transferTo(java.io.OutputStream.nullOutputStream()); // then everything, until the end
    })) {
      Setup s = single(deaf.port());
      try (Socket c = TcpClient.connect(s.vip(), s.port())) {
        Thread writer = new Thread(() -> {
          byte[] chunk = new byte[64 * 1024];
          try {
            while (true) c.getOutputStream().write(chunk); // blocks once every buffer on the way is full
          } catch (IOException closed) {
            // the test ended
          }
        }, "eager-writer");
        writer.setDaemon(true);
        writer.start();
        long settled = settled("bytes read from the client", () -> listenerCounters(s).bytesIn.sum());
        assertTrue(settled < 16L << 20, "bytes buffered for a backend that reads nothing: " + settled);
        release.countDown();
        Poll.until("the client to be read again", Duration.ofSeconds(10), () -> listenerCounters(s).bytesIn.sum(),
            n -> n > settled);
      }
    }
  }

  @Test
  void aPortHeldByAReusePortSocketElsewhereIsReportedNotShared() throws IOException {
    LoadBalancer lb = api.createLb("shared-port");
    Pool pool = api.createPool(lb.getId(), "p");
    api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", backends.get(0).port());
    int port = freePort();
    // What a second FiberLB process (or any program of the same user) would hold: a socket with SO_REUSEPORT, which
    // the kernel would let our own SO_REUSEPORT sockets share, splitting the VIP's clients between the two.
    try (var other = java.nio.channels.ServerSocketChannel.open()) {
      other.setOption(java.net.StandardSocketOptions.SO_REUSEPORT, true);
      other.bind(new InetSocketAddress(lb.getVipAddress(), port));
      Listener l = api.createListener(lb.getId(), port, pool.getId());
      var s = new Setup(lb, pool, l, List.of());
      Listener seen = Poll.until("listener ERROR", Duration.ofSeconds(10), () -> getListener(s),
          x -> x.getOperatingStatus() == Operating.Status.ERROR);
      assertTrue(seen.getOperatingStatusReason().contains("already in use"), seen.getOperatingStatusReason());
    }
  }

  @Test
  void aClientWhoseEveryConnectFailsIsClosedAndCountedOnce() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    for (EchoBackend b : backends) b.stop();
    long failedBefore = listenerCounters(s).connectFailures.sum();
    try (Socket c = TcpClient.connect(s.vip(), s.port())) {
      int next;
      try {
        c.getOutputStream().write("early bytes".getBytes(StandardCharsets.UTF_8));
        c.shutdownOutput(); // data and FIN, usually before any backend connect has had time to fail
        next = c.getInputStream().read();
      } catch (java.net.SocketException reset) {
        // the pekko engine resets, the netty engine closes; on a fast machine the reset can come before the write
        next = -1;
      }
      assertEquals(-1, next, "closed once all three connects failed");
    }
    assertEquals(failedBefore + 1, listenerCounters(s).connectFailures.sum());
    Poll.until("no connection left open", Duration.ofSeconds(10), () -> listenerCounters(s).active.get(), n -> n == 0);
  }

  @Test
  void theDrainDeadlineAlsoClosesABackendThatReadsNothing() throws Exception {
    var release = new java.util.concurrent.CountDownLatch(1);
    var ended = new java.util.concurrent.LinkedBlockingQueue<String>();
    try (var deaf = new ScriptedBackend(c -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        c.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        ended.add("eof");
      } catch (IOException reset) {
        ended.add("reset");
      }
    })) {
      Setup s = single(deaf.port());
      try (Socket c = TcpClient.connect(s.vip(), s.port())) {
        byte[] lots = new byte[256 * 1024];
        c.getOutputStream().write(lots); // more than the engine passes on while the backend reads nothing
        // The serving probe's connection is still open too: the probe's FIN went on to a backend that never
        // answers, as a proxy must (a half-closed client may still get its answer).
        Poll.until("this client's backend connection open", Duration.ofSeconds(10),
            () -> server.node().dataPlane().stats().find(s.lb().getId()).backends.get(s.backends().get(0).getId())
                .total.sum(), n -> n == 2);
        api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder()
            .setLoadBalancerId(s.lb().getId()).setId(s.listener().getId()).build());
        // The drain deadline (2 s here) cuts the client; the backend side must not outlive it.
        c.setSoTimeout(15_000);
        try {
          while (c.getInputStream().read() >= 0) {
            // nothing is expected
          }
        } catch (java.net.SocketException reset) {
          // cut
        }
        release.countDown();
        // Two connections reached the backend: the serving probe and this one; both must end.
        Poll.until("both backend connections ended", Duration.ofSeconds(15), () -> ended.size(), n -> n == 2);
      }
    }
  }

  @Test
  void twoThousandConcurrentConnectionsAllComplete() throws IOException {
    Setup s = setup(LbAlgorithm.ROUND_ROBIN, ListenerSpec.newBuilder());
    int n = 2_000;
    List<Socket> open = new ArrayList<>(n);
    try {
      for (int i = 0; i < n; i++) {
        Socket c = TcpClient.connect(s.vip(), s.port());
        open.add(c);
        c.getOutputStream().write('a' + i % 26);
      }
      Poll.until("2000 connections open through the listener", Duration.ofSeconds(30),
          () -> listenerCounters(s).active.get(), a -> a == n);
      Map<String, Integer> served = new HashMap<>();
      for (int i = 0; i < n; i++) {
        Socket c = open.get(i);
        assertEquals('a' + i % 26, c.getInputStream().read(), "connection " + i + " echoed while all were open");
        c.shutdownOutput();
        String rest = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(rest.startsWith("#"), "connection " + i + " ended with " + rest);
        served.merge(rest.substring(1), 1, Integer::sum);
      }
      assertEquals(n, served.values().stream().mapToInt(Integer::intValue).sum());
      assertEquals(3, served.size(), "spread over the three backends: " + served);
    } finally {
      for (Socket c : open) c.close();
    }
    Poll.until("every connection closed", Duration.ofSeconds(30), () -> listenerCounters(s).active.get(), a -> a == 0);
  }


  Backend getBackend(Setup s, int i) {
    return api.call(api.backends().getBackend(), io.fiberlb.api.v1.GetBackendRequest.newBuilder()
        .setLoadBalancerId(s.lb().getId()).setId(s.backends().get(i).getId()).build());
  }

  Pool getPool(Setup s) {
    return api.call(api.pools().getPool(), io.fiberlb.api.v1.GetPoolRequest.newBuilder()
        .setLoadBalancerId(s.lb().getId()).setId(s.pool().getId()).build());
  }

  static String readN(InputStream in, int n) throws IOException {
    byte[] b = in.readNBytes(n);
    return new String(b, StandardCharsets.UTF_8);
  }
}
