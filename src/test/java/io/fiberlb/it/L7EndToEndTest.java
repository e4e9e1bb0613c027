package io.fiberlb.it;

import static io.fiberlb.it.TlsClients.handshake;
import static io.fiberlb.it.TlsClients.trusting;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.L7Policy;
import io.fiberlb.api.v1.L7PolicySpec;
import io.fiberlb.api.v1.L7Rule;
import io.fiberlb.api.v1.L7RuleSpec;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * L7 through the whole product: everything configured through the gRPC API of a real server with its data plane,
 * real HTTP backends on loopback, real clients. An HTTP listener routes by path with an L7 policy and its rule and
 * adds X-Forwarded-For; a TERMINATED_HTTPS listener serves the certificates created through the Certificate API,
 * chosen by SNI, and proxies to the same pools.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class L7EndToEndTest {
  private TestServer server;
  private final List<HttpServer> backends = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Files.createTempDirectory("fiberlb-l7"), new HashMap<>(DataPlaneTest.FAST));
  }

  @AfterAll
  void stop() {
    backends.forEach(b -> b.stop(0));
    server.close();
  }

  /** A real HTTP backend answering "NAME PATH xff=X-Forwarded-For". */
  private int backend(String name) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    s.createContext("/", x -> {
      try (x) {
        try (InputStream in = x.getRequestBody()) {
          in.readAllBytes();
        }
        String xff = x.getRequestHeaders().getFirst("X-Forwarded-For");
        byte[] body = (name + " " + x.getRequestURI().getPath() + " xff=" + xff).getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(200, body.length);
        x.getResponseBody().write(body);
      }
    });
    s.setExecutor(Executors.newCachedThreadPool());
    s.start();
    backends.add(s);
    return s.getAddress().getPort();
  }

  private String pool(TestServer.Api api, String lbId, String name, int backendPort) {
    String pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lbId)
        .setPool(PoolSpec.newBuilder().setName(name).setProtocol(Protocol.HTTP)).build()).getId();
    api.createBackend(lbId, pool, "127.0.0.1", backendPort);
    return pool;
  }

  private String get(String url) {
    return Poll.until("GET " + url, Duration.ofSeconds(20), () -> {
      try {
        var res = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        return res.statusCode() == 200 ? res.body() : null;
      } catch (IOException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }, b -> b != null);
  }

  @Test
  void anHttpListenerRoutesByPathThroughAPolicyMadeWithTheApi() throws Exception {
    var api = server.as("l7-http");
    LoadBalancer lb = api.createLb("shop");
    String web = pool(api, lb.getId(), "web", backend("web"));
    String apiPool = pool(api, lb.getId(), "api", backend("api"));
    int port = DataPlaneTest.freePort();
    String listener = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setListener(ListenerSpec.newBuilder().setProtocol(Protocol.HTTP)
            .setProtocolPort(port).setDefaultPoolId(web).putInsertHeaders("X-Forwarded-For", "true")).build()).getId();
    String policy = api.createL7Policy(lb.getId(), listener, L7PolicySpec.newBuilder()
        .setAction(L7Policy.Action.REDIRECT_TO_POOL).setRedirectPoolId(apiPool)).getId();
    api.createL7Rule(lb.getId(), policy, L7RuleSpec.newBuilder().setType(L7Rule.Type.PATH)
        .setCompareType(L7Rule.CompareType.STARTS_WITH).setValue("/api"));

    String base = "http://" + lb.getVipAddress() + ":" + port;
    assertThat(get(base + "/index.html")).isEqualTo("web /index.html xff=127.0.0.1");
    // The rule applies once the policy's configuration has reached the listener (each change is published).
    assertThat(Poll.until("/api routed to the api pool", Duration.ofSeconds(20), () -> get(base + "/api/items"),
        b -> b.startsWith("api "))).isEqualTo("api /api/items xff=127.0.0.1");
    assertThat(get(base + "/other")).startsWith("web /other");
  }

  @Test
  void anHttpListenerAcceptsAClientsProxyHeaderAndSendsOneToAProxyV2Pool() throws Exception {
    var api = server.as("l7-proxy");
    LoadBalancer lb = api.createLb("proxied");
    try (var backend = io.fiberlb.dataplane.ProxyProtocolBackend.http()) {
      String pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
          .setPool(PoolSpec.newBuilder().setName("v2").setProtocol(Protocol.PROXYV2)).build()).getId();
      api.createBackend(lb.getId(), pool, "127.0.0.1", backend.port());
      int port = DataPlaneTest.freePort();
      api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb.getId())
          .setListener(ListenerSpec.newBuilder().setProtocol(Protocol.HTTP).setProtocolPort(port)
              .setDefaultPoolId(pool).setAcceptProxyProtocol(true).putInsertHeaders("X-Forwarded-For", "true"))
          .build());
      byte[] header = "PROXY TCP4 203.0.113.50 198.51.100.9 4321 80\r\n".getBytes(StandardCharsets.US_ASCII);
      byte[] request = "GET /e2e HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII);
      String answer = Poll.until("an answer through the proxied listener", Duration.ofSeconds(20), () -> {
        try (var s = new java.net.Socket(lb.getVipAddress(), port)) {
          s.setSoTimeout(5_000);
          s.getOutputStream().write(header);
          s.getOutputStream().write(request);
          return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException notYet) {
          return "";
        }
      }, a -> a.startsWith("HTTP/1.1 200"));
      assertThat(answer).contains("version=V2\n").contains("source=203.0.113.50:4321\n")
          .contains("h:x-forwarded-for=203.0.113.50\n").contains("path=/e2e\n");
    }
  }

  @Test
  void aTerminatedHttpsListenerServesTheCertificatesOfTheApiBySni() throws Exception {
    var api = server.as("l7-https");
    CertKit.Made ca = CertKit.ca("L7EndToEnd CA");
    CertKit.Made a = CertKit.leaf(ca, CertKit.Alg.EC, "a.example.test");
    CertKit.Made b = CertKit.leaf(ca, CertKit.Alg.RSA, "b.example.test");
    String certA = api.createCertificate("a", a).getId();
    String certB = api.createCertificate("b", b).getId();
    LoadBalancer lb = api.createLb("secure");
    String web = pool(api, lb.getId(), "web", backend("tls-web"));
    int port = DataPlaneTest.freePort();
    api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TERMINATED_HTTPS).setProtocolPort(port)
            .setDefaultPoolId(web).setDefaultTlsContainerRef(certA).addSniContainerRefs(certB)
            .setSniContainerRefsSet(true)).build());

    // A fresh client context per handshake: the JDK client resumes sessions by host and port, not by SNI name.
    X509Certificate servedForB = Poll.until("the HTTPS listener to answer", Duration.ofSeconds(20),
        () -> handshake(trusting(ca.cert()), lb.getVipAddress(), port, "b.example.test"), c -> c != null);
    assertThat(servedForB).isEqualTo(b.cert());
    assertThat(handshake(trusting(ca.cert()), lb.getVipAddress(), port, "a.example.test")).isEqualTo(a.cert());
    assertThat(handshake(trusting(ca.cert()), lb.getVipAddress(), port, null)).as("no SNI: the default certificate")
        .isEqualTo(a.cert());
    assertThat(TlsClients.request(trusting(ca.cert()), lb.getVipAddress(), port, "b.example.test", "/hello"))
        .contains("200").contains("tls-web /hello");
  }
}
