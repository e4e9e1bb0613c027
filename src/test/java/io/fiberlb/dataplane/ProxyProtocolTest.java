package io.fiberlb.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.fiberlb.dataplane.engine.ProxyHeader;
import io.fiberlb.dataplane.engine.pekko.PekkoTcpEngine;
import io.fiberlb.it.Poll;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.Protocol;
import io.fiberlb.port.SessionPersistenceType;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The PROXY protocol in the TCP data plane, with real sockets on loopback: the header a PROXY/PROXYV2 pool's
 * backends get (both engines, IPv4 and IPv6), and listeners that accept one from their clients (netty engine).
 * Every backend here parses the header with Netty's decoder and echoes what follows it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyProtocolTest {
  private static final InetAddress V4 = InetAddress.getLoopbackAddress();
  private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

  private final DataPlaneHarness netty = new DataPlaneHarness("netty");
  private final DataPlaneHarness pekko = new DataPlaneHarness("pekko");
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void closeBackends() throws Exception {
    for (AutoCloseable c : closing) c.close();
    closing.clear();
  }

  @AfterAll
  void shutdown() {
    netty.close();
    pekko.close();
  }

  // ------------------------------------------------------------------ to backends

  @ParameterizedTest(name = "{0} engine, pool protocol {1}")
  @CsvSource({"netty,PROXY", "netty,PROXYV2", "pekko,PROXY", "pekko,PROXYV2"})
  void aProxyPoolsBackendGetsTheClientAndTheListenerAddressFirst(String engine, Protocol poolProtocol)
      throws Exception {
    DataPlaneHarness dp = engine.equals("netty") ? netty : pekko;
    int port = DataPlaneHarness.freePort(V4);
    try (Served s = serve(dp, V4, listener(port, false, List.of()), poolProtocol); Socket client = new Socket()) {
      client.bind(new InetSocketAddress(V4, 0));
      client.connect(new InetSocketAddress(V4, port), 5_000);
      assertThat(exchange(client, new byte[0], "hello through the balancer")).isEqualTo("hello through the balancer");
      ProxyProtocolBackend.Seen seen = s.backend().next();
      assertThat(seen.error()).isNull();
      assertThat(seen.version()).isEqualTo(poolProtocol == Protocol.PROXY ? "V1" : "V2");
      assertThat(seen.command()).isEqualTo("PROXY");
      assertThat(seen.protocol()).isEqualTo("TCP4");
      assertThat(seen.source()).isEqualTo(V4.getHostAddress());
      assertThat(seen.sourcePort()).isEqualTo(client.getLocalPort());
      assertThat(seen.destination()).isEqualTo(V4.getHostAddress());
      assertThat(seen.destinationPort()).isEqualTo(port);
    }
  }

  @ParameterizedTest(name = "pool protocol {0}")
  @CsvSource({"PROXY", "PROXYV2"})
  void overIpv6TheHeaderCarriesIpv6Addresses(Protocol poolProtocol) throws Exception {
    InetAddress v6 = InetAddress.getByName("::1");
    assumeThat(canBind(v6)).as("this machine has no IPv6 loopback (::1): the IPv6 case cannot run here").isTrue();
    int port = DataPlaneHarness.freePort(v6);
    try (Served s = serve(netty, v6, listener(port, false, List.of()), poolProtocol); Socket client = new Socket()) {
      client.bind(new InetSocketAddress(v6, 0));
      client.connect(new InetSocketAddress(v6, port), 5_000);
      assertThat(exchange(client, new byte[0], "six")).isEqualTo("six");
      ProxyProtocolBackend.Seen seen = s.backend().next();
      assertThat(seen.protocol()).isEqualTo("TCP6");
      assertThat(InetAddress.getByName(seen.source())).isEqualTo(v6);
      assertThat(seen.sourcePort()).isEqualTo(client.getLocalPort());
      assertThat(InetAddress.getByName(seen.destination())).isEqualTo(v6);
      assertThat(seen.destinationPort()).isEqualTo(port);
    }
  }

  @Test
  void aPlainTcpPoolGetsNoHeader() throws Exception {
    try (Served s = serve(netty, V4, listener(DataPlaneHarness.freePort(V4), false, List.of()), Protocol.TCP);
        Socket client = connect(s.port())) {
      exchange(client, new byte[0], "plain bytes");
      assertThat(s.backend().next().error()).as("no header: its first bytes are the client's own").isNotNull();
    }
  }

  // ------------------------------------------------------------------ from clients

  /** The header a client sends, and what the backend of a pool of the other version must be told. */
  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> clientHeaders() {
    byte[] v1 = "PROXY TCP4 203.0.113.7 198.51.100.1 51000 443\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] v2 = ProxyHeader.bytes(ProxyHeader.message(HAProxyProtocolVersion.V2,
        new InetSocketAddress("2001:db8::7", 51001), new InetSocketAddress("2001:db8::1", 8443)));
    return java.util.stream.Stream.of(
        org.junit.jupiter.params.provider.Arguments.of("v1", v1, Protocol.PROXYV2, "V2", "TCP4",
            "203.0.113.7", 51000, "198.51.100.1", 443),
        org.junit.jupiter.params.provider.Arguments.of("v2", v2, Protocol.PROXY, "V1", "TCP6",
            "2001:db8::7", 51001, "2001:db8::1", 8443));
  }

  @ParameterizedTest(name = "a {0} header, sent on to a {2} pool")
  @org.junit.jupiter.params.provider.MethodSource("clientHeaders")
  void aHeaderFromTheClientStandsForTheClientAndIsSentOn(String name, byte[] header, Protocol poolProtocol,
      String sentVersion, String family, String source, int sourcePort, String destination, int destinationPort)
      throws Exception {
    try (Served s = serve(netty, V4, listener(DataPlaneHarness.freePort(V4), true, List.of()), poolProtocol);
        Socket client = connect(s.port())) {
      assertThat(exchange(client, header, "after a " + name + " header")).isEqualTo("after a " + name + " header");
      ProxyProtocolBackend.Seen seen = s.backend().next();
      assertThat(seen.version()).isEqualTo(sentVersion);
      assertThat(seen.protocol()).isEqualTo(family);
      assertThat(InetAddress.getByName(seen.source())).isEqualTo(InetAddress.getByName(source));
      assertThat(seen.sourcePort()).isEqualTo(sourcePort);
      assertThat(InetAddress.getByName(seen.destination())).isEqualTo(InetAddress.getByName(destination));
      assertThat(seen.destinationPort()).isEqualTo(destinationPort);
    }
  }

  @Test
  void aLocalHeaderIsServedWithTheRealPeer() throws Exception {
    try (Served s = serve(netty, V4, listener(DataPlaneHarness.freePort(V4), true, List.of()), Protocol.PROXY);
        Socket client = connect(s.port())) {
      // v2, command LOCAL (0x20), family UNSPEC, no addresses: an upstream balancer checking this one
      byte[] local = new byte[16];
      System.arraycopy(V2_SIGNATURE, 0, local, 0, 12);
      local[12] = 0x20;
      assertThat(exchange(client, local, "health")).isEqualTo("health");
      ProxyProtocolBackend.Seen seen = s.backend().next();
      assertThat(seen.source()).isEqualTo(V4.getHostAddress());
      assertThat(seen.sourcePort()).isEqualTo(client.getLocalPort());
      assertThat(seen.destinationPort()).isEqualTo(s.port());
    }
  }

  @Test
  void aMalformedOrMissingHeaderClosesTheConnectionAndIsCounted() throws Exception {
    int port = DataPlaneHarness.freePort(V4);
    var l = new DesiredListener("l1", Protocol.TCP, port, "p1", -1, 1_000, 2_000, 10_000, List.of(), true, Map.of(),
        List.of(), null, true); // a client idle timeout of 1 s bounds the wait for a header
    try (Served s = serve(netty, V4, l, Protocol.PROXY)) {
      var counters = s.counters();
      List<byte[]> bad = List.of(
          "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII), // a request, no header
          "PROXY TCP4 203.0.113.999 127.0.0.1 1 2\r\n".getBytes(StandardCharsets.US_ASCII), // a bad address
          new byte[0]); // nothing at all: the timeout
      for (int i = 0; i < bad.size(); i++) {
        try (Socket client = connect(port)) {
          assertThat(closedWithoutAnswer(client, bad.get(i))).as("case %d closed", i).isTrue();
        }
        long expected = i + 1;
        Poll.until("proxy protocol errors", Duration.ofSeconds(5), counters.proxyProtocolErrors::sum,
            n -> n == expected);
      }
      assertThat(counters.total.sum()).as("never admitted").isZero();
      // None of them reached the backend: the next connection it sees is this valid one.
      try (Socket client = connect(port)) {
        byte[] header = "PROXY TCP4 192.0.2.1 127.0.0.1 4000 80\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(exchange(client, header, "ok")).isEqualTo("ok");
      }
      assertThat(s.backend().next().source()).isEqualTo("192.0.2.1");
    }
  }

  @Test
  void allowedCidrsApplyToTheHeadersSource() throws Exception {
    // Loopback itself is not allowed: only a client whose header names 203.0.113.0/24 gets in.
    var l = listener(DataPlaneHarness.freePort(V4), true, List.of("203.0.113.0/24"));
    try (Served s = serve(netty, V4, l, Protocol.PROXY)) {
      try (Socket client = connect(s.port())) {
        assertThat(closedWithoutAnswer(client, "PROXY TCP4 198.51.100.9 127.0.0.1 5000 80\r\nhi"
            .getBytes(StandardCharsets.US_ASCII))).isTrue();
      }
      Poll.until("rejected", Duration.ofSeconds(5), s.counters().rejected::sum, n -> n == 1);
      assertThat(s.counters().proxyProtocolErrors.sum()).isZero();
      try (Socket client = connect(s.port())) {
        byte[] header = "PROXY TCP4 203.0.113.9 127.0.0.1 5001 80\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(exchange(client, header, "allowed")).isEqualTo("allowed");
      }
      assertThat(s.backend().next().source()).isEqualTo("203.0.113.9");
    }
  }

  @Test
  void thePekkoEngineRefusesAListenerAcceptingTheProxyProtocolAndSaysWhy() throws Exception {
    int port = DataPlaneHarness.freePort(V4);
    var reports = pekko.kit.<DataPlaneReport>createTestProbe();
    var runtime = pekko.kit.spawn(pekko.dataPlane.runtime("lb-pekko-accept", reports.ref()), "lb-pekko-accept");
    runtime.tell(new io.fiberlb.port.RuntimeCommand.Apply(new io.fiberlb.port.DesiredLoadBalancer("lb-pekko-accept",
        "org", "project", V4.getHostAddress(), true, List.of(listener(port, true, List.of())),
        List.of(pool(Protocol.TCP)), List.of(), Map.of(), Map.of())));
    var status = reports.expectMessageClass(DataPlaneReport.ListenerStatus.class, Duration.ofSeconds(10));
    assertThat(status.error()).isEqualTo(PekkoTcpEngine.PROXY_PROTOCOL_NEEDS_NETTY);
    pekko.kit.stop(runtime);
  }

  // ------------------------------------------------------------------ helpers

  /** A load balancer serving one listener on {@code on} with a pool of one header-parsing backend; stop when done. */
  private record Served(DataPlaneHarness dp, DataPlaneHarness.Served lb, ProxyProtocolBackend backend, int port)
      implements AutoCloseable {
    io.fiberlb.dataplane.stats.TrafficCounters counters() {
      return dp.listenerCounters(lb, "l1");
    }

    @Override
    public void close() {
      dp.stop(lb);
    }
  }

  private Served serve(DataPlaneHarness dp, InetAddress on, DesiredListener l, Protocol poolProtocol)
      throws IOException {
    ProxyProtocolBackend backend = backend(on);
    var lb = dp.serve(on.getHostAddress(), List.of(l), List.of(pool(poolProtocol)), List.of(member(backend)),
        Map.of());
    return new Served(dp, lb, backend, l.protocolPort());
  }

  private ProxyProtocolBackend backend(InetAddress on) throws IOException {
    ProxyProtocolBackend b = new ProxyProtocolBackend(on);
    closing.add(b);
    return b;
  }

  static DesiredListener listener(int port, boolean acceptProxy, List<String> cidrs) {
    return new DesiredListener("l1", Protocol.TCP, port, "p1", -1, 10_000, 2_000, 10_000, cidrs, true, Map.of(),
        List.of(), null, acceptProxy);
  }

  static DesiredPool pool(Protocol protocol) {
    return new DesiredPool("p1", protocol, LbAlgorithm.ROUND_ROBIN, SessionPersistenceType.NONE, 0, "", true);
  }

  static DesiredBackend member(ProxyProtocolBackend b) {
    return new DesiredBackend("b1", "p1", b.address().getAddress().getHostAddress(), b.port(), 1, true, false, 0);
  }

  private static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(V4, port), 5_000);
    return s;
  }

  /** Sends {@code prefix} then {@code payload}, half-closes, and reads the answer to the end. */
  private static String exchange(Socket s, byte[] prefix, String payload) throws IOException {
    s.setSoTimeout(10_000);
    s.getOutputStream().write(prefix);
    s.getOutputStream().write(payload.getBytes(StandardCharsets.UTF_8));
    s.getOutputStream().flush();
    s.shutdownOutput();
    return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  /** Sends {@code bytes} (keeping the connection open) and whether the balancer then closed it with no answer. */
  private static boolean closedWithoutAnswer(Socket s, byte[] bytes) throws IOException {
    s.setSoTimeout(10_000);
    s.getOutputStream().write(bytes);
    s.getOutputStream().flush();
    InputStream in = s.getInputStream();
    var got = new ByteArrayOutputStream();
    try {
      in.transferTo(got);
    } catch (SocketException reset) {
      // closed with unread bytes: a reset is a close too
    }
    return got.size() == 0;
  }

  private static boolean canBind(InetAddress a) {
    try (var s = new java.net.ServerSocket(0, 1, a)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
