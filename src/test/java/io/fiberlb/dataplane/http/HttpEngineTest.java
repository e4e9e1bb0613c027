package io.fiberlb.dataplane.http;

import static io.fiberlb.dataplane.http.Clients.echoed;
import static io.fiberlb.dataplane.http.HttpDataPlane.backend;
import static io.fiberlb.dataplane.http.HttpDataPlane.freePort;
import static io.fiberlb.dataplane.http.HttpDataPlane.pool;
import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.Protocol;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP listeners of the netty engine with real backends (the JDK's HTTP server) and real clients (the JDK's
 * HttpClient, curl): keep-alive reuse, HTTP/2 with prior knowledge, 1 MiB bodies both ways, inserted headers,
 * 431 for oversized headers, 502/503/504.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpEngineTest {
  private HttpDataPlane dp;
  private HttpBackend a;
  private HttpBackend slow;
  private final int main = freePort();
  private final int empty = freePort();
  private final int noPool = freePort();
  private final int dead = freePort();
  private final int timeout = freePort();
  private final int fenced = freePort();
  private final int limited = freePort();
  private final int oneShot = freePort();
  /** Answers one request per connection, keep-alive by its headers, then closes the connection. */
  private io.fiberlb.it.ScriptedBackend closer;
  @TempDir
  Path tmp;

  static DesiredListener http(String id, int port, String pool, long backendIdleMs, Map<String, String> insert) {
    return new DesiredListener(id, Protocol.HTTP, port, pool, -1, 30_000, 2_000, backendIdleMs, List.of(), true,
        insert, List.of(), null, false);
  }

  @BeforeAll
  void start() throws Exception {
    dp = new HttpDataPlane();
    a = new HttpBackend("a");
    slow = new HttpBackend("slow");
    int closed = freePort();
    closer = new io.fiberlb.it.ScriptedBackend(c -> {
      var in = new java.io.BufferedReader(new java.io.InputStreamReader(c.getInputStream(),
          java.nio.charset.StandardCharsets.ISO_8859_1));
      for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) { } // the head; no body is sent here
      c.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
          .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      c.getOutputStream().flush();
    });
    Map<String, String> all = Map.of("X-Forwarded-For", "true", "X-Forwarded-Port", "true",
        "X-Forwarded-Proto", "true", "X-Request-Id", "true");
    dp.applyAndWaitBound(HttpDataPlane.lb(
        List.of(http("main", main, "pa", 30_000, all), http("empty", empty, "pempty", 30_000, Map.of()),
            http("nopool", noPool, "", 30_000, Map.of()), http("dead", dead, "pdead", 30_000, Map.of()),
            http("timeout", timeout, "pslow", 500, Map.of()),
            new DesiredListener("fenced", Protocol.HTTP, fenced, "pa", -1, 30_000, 2_000, 30_000,
                List.of("10.0.0.0/8"), true, Map.of(), List.of(), null, false),
            new DesiredListener("limited", Protocol.HTTP, limited, "pa", 1, 30_000, 2_000, 30_000,
                List.of(), true, Map.of(), List.of(), null, false),
            http("oneshot", oneShot, "pclose", 30_000, Map.of())),
        List.of(pool("pa"), pool("pempty"), pool("pdead"), pool("pslow"), pool("pclose")),
        List.of(backend("ba", "pa", a), new DesiredBackend("bdead", "pdead", "127.0.0.1", closed, 1, true, false, 0),
            backend("bslow", "pslow", slow),
            new DesiredBackend("bclose", "pclose", "127.0.0.1", closer.port(), 1, true, false, 0))));
  }

  @AfterAll
  void stop() throws Exception {
    closer.close();
    dp.close();
    a.close();
    slow.close();
  }

  @Test
  void keepAliveReusesOneBackendConnectionAndInsertsHeaders() throws Exception {
    int before = a.connections();
    int requestsBefore = a.requests.get();
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> r = Clients.get(main, "/k" + i + "?q=1", "X-Forwarded-For", "10.9.9.9");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(echoed(r.body(), "path")).isEqualTo("/k" + i + "?q=1");
      assertThat(echoed(r.body(), "h:x-forwarded-for")).isEqualTo("10.9.9.9, 127.0.0.1");
      assertThat(echoed(r.body(), "h:x-forwarded-port")).isEqualTo(Integer.toString(main));
      assertThat(echoed(r.body(), "h:x-forwarded-proto")).isEqualTo("http");
      assertThat(echoed(r.body(), "h:x-request-id")).matches("[0-9a-f]{32}");
      assertThat(r.headers().firstValue("X-Backend")).hasValue("a");
    }
    assertThat(a.requests.get() - requestsBefore).isEqualTo(20);
    // One client connection on one event loop: its 20 requests took at most one new backend connection (none when
    // one was left idle on that loop by an earlier test), reused for every request after the first.
    assertThat(a.connections() - before).isLessThanOrEqualTo(1);
    HttpResponse<String> own = Clients.get(main, "/id", "X-Request-Id", "mine");
    assertThat(echoed(own.body(), "h:x-request-id")).isEqualTo("mine");
  }

  @Test
  void http2WithPriorKnowledgeFromCurl() throws Exception {
    Clients.Curl c = Clients.curl(tmp, "--http2-prior-knowledge", "-w", "%{http_version} %{http_code}",
        "http://127.0.0.1:" + main + "/h2?x=y");
    assertThat(c.exit()).isZero();
    assertThat(c.written()).isEqualTo("2 200");
    assertThat(echoed(c.body(), "path")).isEqualTo("/h2?x=y");
    assertThat(echoed(c.body(), "h:host")).isEqualTo("127.0.0.1:" + main);
    assertThat(echoed(c.body(), "backend")).isEqualTo("a");
  }

  @Test
  void oneMebibyteBodiesIntactBothWaysOverHttp1AndHttp2() throws Exception {
    byte[] up = new byte[1 << 20];
    new Random(42).nextBytes(up);
    HttpResponse<byte[]> echoed = Clients.H1.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + main + "/up"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(up)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(echoed.statusCode()).isEqualTo(200);
    assertThat(echoed.body()).isEqualTo(up);

    HttpResponse<byte[]> down = Clients.H1.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + main + "/bytes?n=" + (1 << 20))).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(down.body()).isEqualTo(HttpBackend.pattern(1 << 20));

    Path file = tmp.resolve("up.bin");
    Files.write(file, up);
    Clients.Curl c = Clients.curl(tmp, "--http2-prior-knowledge", "-w", "%{http_version} %{http_code}",
        "--data-binary", "@" + file, "http://127.0.0.1:" + main + "/up2");
    assertThat(c.written()).isEqualTo("2 200");
    assertThat(c.body().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo(up);
  }

  @Test
  void oversizedHeadersGet431() throws Exception {
    HttpResponse<String> r = Clients.get(main, "/big", "X-Big", "x".repeat(20_000));
    assertThat(r.statusCode()).isEqualTo(431);
    Clients.Curl c = Clients.curl(tmp, "--http2-prior-knowledge", "-w", "%{http_code}", "-H",
        "X-Big: " + "y".repeat(20_000), "http://127.0.0.1:" + main + "/big2");
    assertThat(c.written()).isEqualTo("431");
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrderEvenPastTheReadPause() throws Exception {
    // 100 requests in one write: more than the 32 pieces held while a response is in progress, so the client's
    // reading pauses and resumes as the answers catch up; every one is answered, in order, on the one connection.
    int n = 100;
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < n; i++) all.append("GET /pipe").append(i).append(" HTTP/1.1\r\nHost: t\r\n\r\n");
    try (var s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), main)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(all.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      var in = new java.io.DataInputStream(new java.io.BufferedInputStream(s.getInputStream()));
      for (int i = 0; i < n; i++) {
        int length = -1;
        String status = null;
        for (String line; !(line = Clients.readLine(in)).isEmpty(); ) {
          if (status == null) status = line;
          if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        assertThat(status).as("answer %d", i).startsWith("HTTP/1.1 200");
        byte[] body = new byte[length];
        in.readFully(body);
        assertThat(echoed(new String(body, java.nio.charset.StandardCharsets.UTF_8), "path")).isEqualTo("/pipe" + i);
      }
    }
  }

  @Test
  void noBackendOrNoPoolIs503() throws Exception {
    HttpResponse<String> r = Clients.get(empty, "/");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("503").contains("no backend");
    HttpResponse<String> n = Clients.get(noPool, "/");
    assertThat(n.statusCode()).isEqualTo(503);
    assertThat(n.body()).contains("no pool");
  }

  @Test
  void refusedBackendIs502() throws Exception {
    long failures = dp.stats().backends.get("bdead").connectFailures.sum();
    HttpResponse<String> r = Clients.get(dead, "/");
    assertThat(dp.stats().backends.get("bdead").connectFailures.sum()).isEqualTo(failures + 1);
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("refused");
  }

  @Test
  void allowedCidrsAndConnectionLimitStillApply() throws Exception {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Clients.get(fenced, "/"))
        .isInstanceOf(java.io.IOException.class);
    assertThat(dp.stats().listeners.get("fenced").rejected.sum()).isPositive();
    try (var first = new java.net.Socket("127.0.0.1", limited)) { // holds the only connection the listener allows
      io.fiberlb.it.Poll.until("the first connection counted", Duration.ofSeconds(5),
          () -> dp.stats().listeners.get("limited").active.get(), n -> n == 1);
      org.assertj.core.api.Assertions.assertThatThrownBy(
          () -> Clients.get(java.net.http.HttpClient.newHttpClient(), limited, "/"))
          .isInstanceOf(java.io.IOException.class);
    }
    io.fiberlb.it.Poll.until("the first connection closed", Duration.ofSeconds(5),
        () -> dp.stats().listeners.get("limited").active.get(), n -> n == 0);
    assertThat(Clients.get(java.net.http.HttpClient.newHttpClient(), limited, "/").statusCode()).isEqualTo(200);
  }

  @Test
  void aKeptAliveConnectionTheBackendClosedIsReplaced() throws Exception {
    // Each answer says keep-alive and the backend then closes: whether the proxy sees the close before the next
    // request or only when that request fails on the dead connection, every request is answered.
    var client = java.net.http.HttpClient.newHttpClient();
    for (int i = 0; i < 6; i++) {
      HttpResponse<String> r = Clients.get(client, oneShot, "/again" + i);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok");
    }
  }

  @Test
  void silentBackendIs504() throws Exception {
    HttpResponse<String> r = Clients.get(timeout, "/slow");
    assertThat(r.statusCode()).isEqualTo(504);
  }

  @Test
  void requestsAreCountedByStatusClass() throws Exception {
    var counters = dp.stats().listeners.get("main");
    long ok = counters.http.answered(2);
    long fourxx = counters.http.answered(4);
    Clients.get(main, "/count");
    Clients.get(main, "/big", "X-Big", "x".repeat(20_000));
    assertThat(counters.http.answered(2)).isEqualTo(ok + 1);
    assertThat(counters.http.answered(4)).isEqualTo(fourxx + 1);
    assertThat(dp.stats().backends.get("ba").http.answered(2)).isPositive();
  }

  @Test
  void metricsExposeRequestsByClassAndADurationHistogram() throws Exception {
    Clients.get(main, "/metrics-probe");
    Clients.get(empty, "/");
    var registry = new io.prometheus.metrics.model.registry.PrometheusRegistry();
    io.fiberlb.metrics.DataPlaneMetrics.register(registry, dp.dataPlane.stats());
    io.fiberlb.metrics.HttpMetrics.register(registry, dp.dataPlane.stats());
    var out = new java.io.ByteArrayOutputStream();
    io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create().write(out, registry.scrape());
    String text = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    var families = io.fiberlb.it.ExpositionCheck.check(text); // well-formed, as the exposition tests check it
    assertThat(families.get("fiberlb_listener_http_request_duration_seconds").type()).isEqualTo("histogram");
    assertThat(families.get("fiberlb_listener_http_requests_total").type()).isEqualTo("counter");
    var c = dp.stats().listeners.get("main").http;
    String l = "listener=\"main\"";
    assertThat(text).containsPattern("fiberlb_listener_http_requests_total\\{code_class=\"2xx\",[^}]*" + l + "[^}]*\\} "
        + (double) c.answered(2));
    assertThat(text).containsPattern("fiberlb_listener_http_requests_total\\{code_class=\"5xx\",[^}]*listener=\"empty\"[^}]*"
        + "\\} [1-9]");
    assertThat(text).containsPattern("fiberlb_listener_http_request_duration_seconds_bucket\\{[^}]*" + l
        + "[^}]*le=\"\\+Inf\"\\} " + c.count() + "\n");
    assertThat(text).containsPattern("fiberlb_listener_http_request_duration_seconds_count\\{[^}]*" + l + "[^}]*\\} "
        + c.count() + "\n");
    assertThat(text).containsPattern("fiberlb_backend_http_requests_total\\{backend=\"ba\",code_class=\"2xx\",[^}]*pool=\"pa\""
        + "[^}]*\\} [1-9]");
    assertThat(text).as("a backend that never answered has no series").doesNotContain("backend=\"bdead\",code_class");
  }
}
