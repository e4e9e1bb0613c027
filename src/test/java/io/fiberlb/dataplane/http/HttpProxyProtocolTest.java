package io.fiberlb.dataplane.http;

import static io.fiberlb.dataplane.http.Clients.echoed;
import static io.fiberlb.dataplane.http.HttpDataPlane.backend;
import static io.fiberlb.dataplane.http.HttpDataPlane.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.dataplane.ProxyProtocolBackend;
import io.fiberlb.dataplane.engine.ProxyHeader;
import io.fiberlb.it.Poll;
import io.fiberlb.it.TestPki;
import io.fiberlb.it.TlsClients;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.DesiredTls;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.Protocol;
import io.fiberlb.port.SessionPersistenceType;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PROXY protocol on HTTP and TERMINATED_HTTPS listeners of the netty engine, with real sockets: backends of
 * PROXY and PROXYV2 pools get a header naming the client first on each connection, and such a connection serves that
 * one client connection only (its keep-alive requests reuse it); a listener with accept_proxy_protocol reads the
 * client's header before HTTP (and before TLS) and takes its source as the client everywhere (X-Forwarded-For,
 * allowed_cidrs, SOURCE_IP balancing); a connection without a valid header is closed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpProxyProtocolTest {
  @TempDir
  static Path pki;
  private HttpDataPlane dp;
  private ProxyProtocolBackend v1Backend;
  private ProxyProtocolBackend v2Backend;
  private HttpBackend plain;
  private final List<HttpBackend> sticky = new ArrayList<>();
  private TestPki.Issued ca;
  private final int sendsV1 = freePort();
  private final int acceptsSendsV2 = freePort();
  private final int accepts = freePort();
  private final int fenced = freePort();
  private final int bySource = freePort();
  private final int tls = freePort();

  private static DesiredListener http(String id, int port, String pool, boolean accept, List<String> cidrs) {
    return new DesiredListener(id, Protocol.HTTP, port, pool, -1, 30_000, 2_000, 30_000, cidrs, true,
        Map.of("X-Forwarded-For", "true"), List.of(), null, accept);
  }

  private static DesiredPool pool(String id, Protocol protocol, LbAlgorithm algorithm) {
    return new DesiredPool(id, protocol, algorithm, SessionPersistenceType.NONE, 0, "", true);
  }

  @BeforeAll
  void start() throws Exception {
    ca = TestPki.ca(pki, "ca");
    v1Backend = ProxyProtocolBackend.http();
    v2Backend = ProxyProtocolBackend.http();
    plain = new HttpBackend("plain");
    sticky.add(new HttpBackend("s1"));
    sticky.add(new HttpBackend("s2"));
    sticky.add(new HttpBackend("s3"));
    dp = new HttpDataPlane();
    dp.tls(HttpsAlpnTest.termination(TestPki.server(pki, "server", ca)));
    var tlsConfig = new DesiredTls("cert-1", List.of(), List.of(), List.of(), List.of("http/1.1"), "",
        DesiredTls.ClientAuthentication.NONE);
    dp.applyAndWaitBound(HttpDataPlane.lb(
        List.of(http("sends-v1", sendsV1, "pv1", false, List.of()),
            http("accepts-sends-v2", acceptsSendsV2, "pv2", true, List.of()),
            http("accepts", accepts, "pplain", true, List.of()),
            http("fenced", fenced, "pplain", true, List.of("203.0.113.0/24")),
            http("by-source", bySource, "psticky", true, List.of()),
            new DesiredListener("tls", Protocol.TERMINATED_HTTPS, tls, "pplain", -1, 30_000, 2_000, 30_000, List.of(),
                true, Map.of("X-Forwarded-For", "true", "X-Forwarded-Proto", "true"), List.of(), tlsConfig, true)),
        List.of(pool("pv1", Protocol.PROXY, LbAlgorithm.ROUND_ROBIN),
            pool("pv2", Protocol.PROXYV2, LbAlgorithm.ROUND_ROBIN), pool("pplain", Protocol.HTTP, LbAlgorithm.ROUND_ROBIN),
            pool("psticky", Protocol.HTTP, LbAlgorithm.SOURCE_IP)),
        List.of(new DesiredBackend("bv1", "pv1", "127.0.0.1", v1Backend.port(), 1, true, false, 0),
            new DesiredBackend("bv2", "pv2", "127.0.0.1", v2Backend.port(), 1, true, false, 0),
            backend("bplain", "pplain", plain), backend("s1", "psticky", sticky.get(0)),
            backend("s2", "psticky", sticky.get(1)), backend("s3", "psticky", sticky.get(2)))));
  }

  @AfterAll
  void stop() throws Exception {
    dp.close();
    v1Backend.close();
    v2Backend.close();
    plain.close();
    sticky.forEach(HttpBackend::close);
  }

  // ------------------------------------------------------------------ PROXY and PROXYV2 pools

  @Test
  void aProxyPoolsBackendSeesEachClientConnectionOnAConnectionOfItsOwn() throws Exception {
    v1Backend.seen.clear();
    Set<String> backendConnections = new HashSet<>();
    // One after the other, each closed before the next: a connection shared by the event loop's keep-alive pool
    // would serve a later client with an earlier client's header.
    for (int i = 0; i < 6; i++) {
      try (Socket s = new Socket("127.0.0.1", sendsV1)) {
        String first = get(s, "/first" + i);
        String second = get(s, "/second" + i);
        assertThat(echoed(first, "version")).isEqualTo("V1");
        assertThat(echoed(first, "source")).isEqualTo("127.0.0.1:" + s.getLocalPort());
        assertThat(echoed(second, "source")).isEqualTo("127.0.0.1:" + s.getLocalPort());
        assertThat(echoed(first, "path")).isEqualTo("/first" + i);
        assertThat(echoed(second, "path")).isEqualTo("/second" + i);
        assertThat(echoed(second, "connection")).as("the keep-alive request reuses the client's backend connection")
            .isEqualTo(echoed(first, "connection"));
        backendConnections.add(echoed(first, "connection"));
      }
    }
    assertThat(backendConnections).hasSize(6);
    for (int i = 0; i < 6; i++) assertThat(v1Backend.next().error()).isNull();
    assertThat(v1Backend.seen).isEmpty();
  }

  @Test
  void twoClientConnectionsAtOnceGetTwoBackendConnections() throws Exception {
    try (Socket a = new Socket("127.0.0.1", sendsV1); Socket b = new Socket("127.0.0.1", sendsV1)) {
      String a1 = get(a, "/a1");
      String b1 = get(b, "/b1");
      String a2 = get(a, "/a2");
      String b2 = get(b, "/b2");
      assertThat(echoed(a1, "source")).isEqualTo("127.0.0.1:" + a.getLocalPort());
      assertThat(echoed(b1, "source")).isEqualTo("127.0.0.1:" + b.getLocalPort());
      assertThat(echoed(a2, "connection")).isEqualTo(echoed(a1, "connection"));
      assertThat(echoed(b2, "connection")).isEqualTo(echoed(b1, "connection"));
      assertThat(echoed(a1, "connection")).isNotEqualTo(echoed(b1, "connection"));
    }
  }

  @Test
  void aProxyV2PoolBehindAnAcceptingListenerPassesTheClientsHeaderAddressesOn() throws Exception {
    try (Socket s = new Socket("127.0.0.1", acceptsSendsV2)) {
      sendHeader(s, HAProxyProtocolVersion.V1, "203.0.113.7", 40001, "198.51.100.1", 80);
      String r = get(s, "/v2");
      assertThat(echoed(r, "version")).isEqualTo("V2");
      assertThat(echoed(r, "source")).isEqualTo("203.0.113.7:40001");
      assertThat(echoed(r, "h:x-forwarded-for")).isEqualTo("203.0.113.7");
      assertThat(echoed(get(s, "/v2again"), "connection")).isEqualTo(echoed(r, "connection"));
    }
    try (Socket s = new Socket("127.0.0.1", acceptsSendsV2)) {
      sendHeader(s, HAProxyProtocolVersion.V2, "2001:db8::5", 40002, "2001:db8::1", 443);
      String r = get(s, "/v2six");
      assertThat(echoed(r, "source")).isEqualTo("2001:db8:0:0:0:0:0:5:40002");
    }
    List<ProxyProtocolBackend.Seen> seen = List.of(v2Backend.next(), v2Backend.next());
    assertThat(seen).extracting(ProxyProtocolBackend.Seen::protocol).containsExactly("TCP4", "TCP6");
    assertThat(seen.get(0).destination()).isEqualTo("198.51.100.1");
    assertThat(seen.get(0).destinationPort()).isEqualTo(80);
    assertThat(seen.get(1).destinationPort()).isEqualTo(443);
  }

  // ------------------------------------------------------------------ accept_proxy_protocol

  @Test
  void aClientsV1OrV2HeaderIsTheClientForXForwardedFor() throws Exception {
    try (Socket s = new Socket("127.0.0.1", accepts)) {
      sendHeader(s, HAProxyProtocolVersion.V1, "203.0.113.7", 5555, "198.51.100.1", 80);
      assertThat(echoed(get(s, "/one"), "h:x-forwarded-for")).isEqualTo("203.0.113.7");
      assertThat(echoed(get(s, "/two"), "h:x-forwarded-for")).isEqualTo("203.0.113.7");
    }
    try (Socket s = new Socket("127.0.0.1", accepts)) {
      sendHeader(s, HAProxyProtocolVersion.V2, "192.0.2.44", 6666, "198.51.100.1", 80);
      assertThat(echoed(get(s, "/three"), "h:x-forwarded-for")).isEqualTo("192.0.2.44");
    }
  }

  @Test
  void aConnectionWithoutAValidHeaderIsClosed() throws Exception {
    var counters = dp.stats().listeners.get("accepts");
    long errors = counters.proxyProtocolErrors.sum();
    int requests = plain.requests.get();
    for (String garbage : List.of("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "PROXY TCP4 not-an-address\r\n\r\n")) {
      try (Socket s = new Socket("127.0.0.1", accepts)) {
        s.setSoTimeout(10_000);
        s.getOutputStream().write(garbage.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        assertThat(readToEnd(s.getInputStream())).as("nothing is answered to " + garbage.strip()).isEmpty();
      }
    }
    Poll.until("both counted", Duration.ofSeconds(5), counters.proxyProtocolErrors::sum, n -> n == errors + 2);
    assertThat(plain.requests.get()).isEqualTo(requests);
  }

  @Test
  void allowedCidrsApplyToTheHeadersSource() throws Exception {
    try (Socket s = new Socket("127.0.0.1", fenced)) {
      sendHeader(s, HAProxyProtocolVersion.V1, "203.0.113.9", 5555, "198.51.100.1", 80);
      assertThat(echoed(get(s, "/in"), "h:x-forwarded-for")).isEqualTo("203.0.113.9");
    }
    long rejected = dp.stats().listeners.get("fenced").rejected.sum();
    try (Socket s = new Socket("127.0.0.1", fenced)) {
      s.setSoTimeout(10_000);
      sendHeader(s, HAProxyProtocolVersion.V1, "198.51.100.77", 5555, "198.51.100.1", 80);
      s.getOutputStream().write("GET /out HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      assertThat(readToEnd(s.getInputStream())).isEmpty();
    }
    assertThat(dp.stats().listeners.get("fenced").rejected.sum()).isEqualTo(rejected + 1);
  }

  @Test
  void sourceIpBalancingUsesTheHeadersSource() throws Exception {
    // All connections come from 127.0.0.1; only the headers' sources differ. Each source sticks to one backend, and
    // the sources spread over more than one (with the real address they would all go to one).
    Map<String, String> backendOf = new HashMap<>();
    for (int round = 0; round < 2; round++) {
      for (int i = 1; i <= 16; i++) {
        String source = "10.1.2." + i;
        try (Socket s = new Socket("127.0.0.1", bySource)) {
          sendHeader(s, HAProxyProtocolVersion.V1, source, 1000 + round, "198.51.100.1", 80);
          String served = echoed(get(s, "/sticky"), "backend");
          String before = backendOf.putIfAbsent(source, served);
          if (before != null) assertThat(served).as("backend for " + source).isEqualTo(before);
        }
      }
    }
    assertThat(new HashSet<>(backendOf.values())).hasSizeGreaterThan(1);
  }

  @Test
  void terminatedHttpsReadsTheHeaderBeforeTls() throws Exception {
    SSLContext ctx = TlsClients.trusting(ca.cert());
    try (Socket raw = new Socket("127.0.0.1", tls)) {
      sendHeader(raw, HAProxyProtocolVersion.V2, "198.18.0.5", 7777, "198.51.100.1", 443);
      try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, "127.0.0.1", tls, true)) {
        s.startHandshake();
        String r = get(s, "/secure");
        assertThat(echoed(r, "h:x-forwarded-for")).isEqualTo("198.18.0.5");
        assertThat(echoed(r, "h:x-forwarded-proto")).isEqualTo("https");
      }
    }
  }

  // ------------------------------------------------------------------ a raw HTTP/1.1 client

  private static void sendHeader(Socket s, HAProxyProtocolVersion version, String src, int srcPort, String dst,
      int dstPort) throws IOException {
    byte[] header = ProxyHeader.bytes(ProxyHeader.message(version, new InetSocketAddress(src, srcPort),
        new InetSocketAddress(dst, dstPort)));
    s.getOutputStream().write(header);
    s.getOutputStream().flush();
  }

  /** One keep-alive GET on {@code s}; its body (the answer must be 200 with a Content-Length). */
  private static String get(Socket s, String path) throws IOException {
    s.setSoTimeout(15_000);
    OutputStream out = s.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    InputStream in = s.getInputStream();
    String status = line(in);
    assertThat(status).as("status line for " + path).startsWith("HTTP/1.1 200");
    int length = -1;
    for (String h; !(h = line(in)).isEmpty(); ) {
      if (h.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(h.substring(15).trim());
      }
    }
    assertThat(length).as("Content-Length of " + path).isNotNegative();
    return new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) throw new IOException("closed mid-line: " + b);
      if (c != '\r') b.write(c);
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  /** What the peer sends until it closes (a reset counts as a close). */
  private static String readToEnd(InputStream in) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try {
      in.transferTo(b);
    } catch (IOException reset) {
      // closed by a reset: what came before is the answer
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }
}
