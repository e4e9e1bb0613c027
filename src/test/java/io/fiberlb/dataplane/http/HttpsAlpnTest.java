package io.fiberlb.dataplane.http;

import static io.fiberlb.dataplane.http.Clients.echoed;
import static io.fiberlb.dataplane.http.HttpDataPlane.backend;
import static io.fiberlb.dataplane.http.HttpDataPlane.freePort;
import static io.fiberlb.dataplane.http.HttpDataPlane.pool;
import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.dataplane.engine.netty.TlsTermination;
import io.fiberlb.it.TestPki;
import io.fiberlb.it.TlsClients;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.DesiredTls;
import io.fiberlb.port.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TERMINATED_HTTPS listener with a test {@link TlsTermination} (a self-signed CA's server certificate; the real
 * one comes from the TLS configuration): ALPN picks HTTP/2 or HTTP/1.1 after the handshake, X-Forwarded-Proto says
 * https, and without its certificates the listener does not bind and says why.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpsAlpnTest {
  @TempDir
  static Path pki;
  private HttpDataPlane dp;
  private HttpBackend backend;
  private TestPki.Issued ca;
  private final int port = freePort();

  static TlsTermination termination(TestPki.Issued server) throws Exception {
    SslContext ctx = SslContextBuilder.forServer(server.key(), server.cert()).sslProvider(SslProvider.JDK)
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
        .build();
    return pipeline -> pipeline.addLast(ctx.newHandler(pipeline.channel().alloc()));
  }

  private DesiredLoadBalancer config() {
    var tls = new DesiredTls("cert-1", List.of(), List.of(), List.of(), List.of("h2", "http/1.1"), "",
        DesiredTls.ClientAuthentication.NONE);
    var l = new DesiredListener("https", Protocol.TERMINATED_HTTPS, port, "p", -1, 30_000, 2_000, 30_000, List.of(),
        true, Map.of("X-Forwarded-Proto", "true", "X-Forwarded-Port", "true"), List.of(), tls, false);
    return HttpDataPlane.lb(List.of(l), List.of(pool("p")), List.of(backend("b", "p", backend)));
  }

  @BeforeAll
  void start() throws Exception {
    ca = TestPki.ca(pki, "ca");
    backend = new HttpBackend("tls-backend");
    dp = new HttpDataPlane();
    dp.apply(config()); // no TLS termination yet: the listener does not bind, and reports why
    String error = "";
    while (error.isEmpty()) {
      if (dp.reports.receiveMessage(Duration.ofSeconds(10)) instanceof DataPlaneReport.ListenerStatus s) error = s.error();
    }
    assertThat(error).contains("certificates are not available");
    dp.tls(termination(TestPki.server(pki, "server", ca)));
    dp.applyAndWaitBound(config()); // bound on its next attempt, with the termination
  }

  @AfterAll
  void stop() {
    dp.close();
    backend.close();
  }

  private HttpClient client(HttpClient.Version version) throws Exception {
    SSLContext ssl = TlsClients.trusting(ca.cert());
    return HttpClient.newBuilder().version(version).sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Test
  void alpnChoosesHttp2AndHttp11() throws Exception {
    URI uri = URI.create("https://127.0.0.1:" + port + "/secure?a=b");
    HttpResponse<String> h2 = client(HttpClient.Version.HTTP_2).send(HttpRequest.newBuilder(uri).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(h2.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(h2.statusCode()).isEqualTo(200);
    assertThat(echoed(h2.body(), "path")).isEqualTo("/secure?a=b");
    assertThat(echoed(h2.body(), "h:x-forwarded-proto")).isEqualTo("https");
    assertThat(echoed(h2.body(), "h:x-forwarded-port")).isEqualTo(Integer.toString(port));

    HttpResponse<String> h1 = client(HttpClient.Version.HTTP_1_1).send(HttpRequest.newBuilder(uri).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(h1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(echoed(h1.body(), "h:x-forwarded-proto")).isEqualTo("https");
  }

  @Test
  void curlNegotiatesH2AndBodiesStayIntact() throws Exception {
    Clients.Curl c = Clients.curl(pki, "--cacert", ca.certFile().toString(), "-w", "%{http_version} %{http_code}",
        "https://127.0.0.1:" + port + "/curl");
    assertThat(c.written()).isEqualTo("2 200");
    byte[] up = new byte[1 << 20];
    new Random(7).nextBytes(up);
    HttpResponse<byte[]> r = client(HttpClient.Version.HTTP_2).send(HttpRequest.newBuilder(
        URI.create("https://127.0.0.1:" + port + "/up")).POST(HttpRequest.BodyPublishers.ofByteArray(up)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(r.body()).isEqualTo(up);
  }
}
