package io.fiberlb.dataplane.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.fiberlb.dataplane.health.TestBackends.HttpBackend;
import io.fiberlb.dataplane.health.TestBackends.RawBackend;
import io.fiberlb.it.EchoBackend;
import io.fiberlb.port.DesiredHealthCheck;
import io.fiberlb.port.HealthCheckType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP, HTTPS and TLS_HELLO probes against real backends on loopback: what an HTTP check sends (Host from the
 * domain name, the HTTP version in the request line), HTTPS against a backend whose certificate no one trusts, and
 * TLS_HELLO against a TLS server (up) and against servers that are not (down).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class L7ProbeTest {
  private final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString("""
      pekko.actor.provider = local
      pekko.log-dead-letters = off
      """).withFallback(ConfigFactory.load()));
  private final List<AutoCloseable> backends = new ArrayList<>();
  private SSLContext tls;

  @BeforeAll
  void certificates(@TempDir Path dir) throws Exception {
    tls = TestBackends.selfSignedTls(dir);
  }

  @AfterEach
  void stopBackends() throws Exception {
    for (AutoCloseable b : backends) b.close();
    backends.clear();
  }

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  private static DesiredHealthCheck check(HealthCheckType type, String domainName, String httpVersion) {
    return new DesiredHealthCheck("hc", type, 1000, 3000, 1, 1, "GET", "/healthz", "200", true, domainName,
        httpVersion);
  }

  private Probe.Result probe(DesiredHealthCheck check, int port) throws Exception {
    return Probe.of(check, new HealthMonitor.Target("b1", "127.0.0.1", port)).start(testKit.system()).result()
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private <T extends AutoCloseable> T started(T backend) {
    backends.add(backend);
    return backend;
  }

  @Test
  void httpSendsTheDomainNameAsHostAndTheVersionInTheRequestLine() throws Exception {
    HttpBackend backend = started(new HttpBackend(200));
    assertThat(probe(check(HealthCheckType.HTTP, "api.example.com", "1.1"), backend.port).ok()).isTrue();
    assertThat(backend.requests).hasSize(1);
    assertThat(backend.requests.get(0).protocol()).isEqualTo("HTTP/1.1");
    assertThat(backend.requests.get(0).headers().getFirst("Host")).isEqualTo("api.example.com");
    assertThat(backend.requests.get(0).path()).isEqualTo("/healthz");

    assertThat(probe(check(HealthCheckType.HTTP, "", "1.0"), backend.port).ok()).isTrue();
    assertThat(backend.requests).hasSize(2);
    assertThat(backend.requests.get(1).protocol()).isEqualTo("HTTP/1.0");
    assertThat(backend.requests.get(1).headers().getFirst("Host")).as("the backend's address when no domain name")
        .isEqualTo("127.0.0.1:" + backend.port);
  }

  @Test
  void httpsChecksABackendWithAnUntrustedCertificateAndSendsTheSameRequest() throws Exception {
    HttpBackend backend = started(new HttpBackend(200, tls));
    Probe.Result r = probe(check(HealthCheckType.HTTPS, "www.example.com", "1.1"), backend.port);
    assertThat(r.ok()).as(r.reason()).isTrue();
    assertThat(backend.requests).hasSize(1);
    assertThat(backend.requests.get(0).protocol()).isEqualTo("HTTP/1.1");
    assertThat(backend.requests.get(0).headers().getFirst("Host")).isEqualTo("www.example.com");

    backend.status.set(503);
    assertThat(probe(check(HealthCheckType.HTTPS, "", "1.0"), backend.port).reason()).isEqualTo("bad status 503");
  }

  @Test
  void httpsAgainstAPlainHttpBackendFails() throws Exception {
    // A plain HTTP server answering the ClientHello as a bad request, as nginx does on a port without TLS.
    RawBackend plain = started(new RawBackend(s -> {
      s.getInputStream().read(new byte[512]);
      s.getOutputStream().write(("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      return false;
    }));
    Probe.Result r = probe(check(HealthCheckType.HTTPS, "", "1.1"), plain.port);
    assertThat(r.ok()).isFalse();
    assertThat(r.reason()).isEqualTo("tls handshake failed");
  }

  @Test
  void tlsHelloPassesAgainstATlsServer() throws Exception {
    HttpBackend server = started(new HttpBackend(200, tls));
    Probe.Result r = probe(check(HealthCheckType.TLS_HELLO, "", "1.0"), server.port);
    assertThat(r.ok()).as(r.reason()).isTrue();
    assertThat(server.requests).as("a hello, no request").isEmpty();
  }

  @Test
  void tlsHelloFailsAgainstAPlainTcpEchoServer() throws Exception {
    EchoBackend echo = started(new EchoBackend("plain"));
    Probe.Result r = probe(check(HealthCheckType.TLS_HELLO, "", "1.0"), echo.port());
    assertThat(r.ok()).isFalse();
    assertThat(r.reason()).isEqualTo("not a TLS server hello"); // its own ClientHello came back
  }

  @Test
  void tlsHelloFailsAgainstAServerThatClosesOrAnswersGarbage() throws Exception {
    RawBackend closes = started(new RawBackend(s -> false));
    assertThat(probe(check(HealthCheckType.TLS_HELLO, "", "1.0"), closes.port).reason()).isEqualTo("no server hello");
    RawBackend ssh = started(new RawBackend(s -> {
      s.getOutputStream().write("SSH-2.0-OpenSSH_9.6\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      return TestBackends.READ_TO_EOF.run(s);
    }));
    assertThat(probe(check(HealthCheckType.TLS_HELLO, "", "1.0"), ssh.port).reason())
        .isEqualTo("not a TLS server hello");
  }
}
