package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fiberlb.FiberLb;
import io.fiberlb.api.security.ApiTokens;
import io.fiberlb.api.security.TlsFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus endpoint with TLS and a bearer token, as it must be off the loopback: over HTTPS with the API's
 * certificate, the right token gets the metrics, none or a wrong one 401, plain HTTP nothing.
 */
class MetricsSecurityTest {
  @TempDir
  Path dir;

  @Test
  void httpsWithTheRightBearerTokenOnly() throws Exception {
    TestPki.Issued ca = TestPki.ca(dir, "ca");
    TestPki.Issued cert = TestPki.server(dir, "server", ca);
    String token = ApiTokens.newToken();
    Path tokenFile = dir.resolve("metrics-token");
    Files.writeString(tokenFile, "# the SHA-256 of Prometheus's token\n" + ApiTokens.hash(token) + "\n");
    Map<String, Object> settings = Map.of("fiberlb.grpc.tls.cert", cert.certFile().toString(),
        "fiberlb.grpc.tls.key", cert.keyFile().toString(), "fiberlb.metrics.tls", true,
        "fiberlb.metrics.token-file", tokenFile.toString());
    try (var server = new TestServer(dir.resolve("data"), settings)) {
      int port = server.node().metricsPort();
      // A call, so that the gRPC counters have a sample to show (an unused counter shows nothing).
      var api = TestServer.Api.over(server.as("x").system(), org.apache.pekko.grpc.GrpcClientSettings
          .connectToServiceAt("127.0.0.1", server.port(), server.as("x").system())
          .withSslContext(TlsFiles.clientContext(ca.certFile(), null, null)), "default", "x");
      api.call(api.lbs().listLoadBalancers(), io.fiberlb.api.v1.ListLoadBalancersRequest.getDefaultInstance());
      HttpClient https = HttpClient.newBuilder().sslContext(TlsFiles.clientContext(ca.certFile(), null, null))
          .connectTimeout(Duration.ofSeconds(5)).build();
      URI uri = URI.create("https://127.0.0.1:" + port + "/metrics");
      HttpResponse<String> ok = https.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).contains("fiberlb_grpc_server_handled_total");
      assertThat(https.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
      assertThat(https.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + ApiTokens.newToken())
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
      HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
          .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
    }
  }

  @Test
  void offTheLoopbackTlsWithoutATokenIsRefused() throws Exception {
    TestPki.Issued cert = TestPki.server(dir, "server", TestPki.ca(dir, "ca"));
    Map<String, Object> settings = Map.of("fiberlb.grpc.tls.cert", cert.certFile().toString(),
        "fiberlb.grpc.tls.key", cert.keyFile().toString(), "fiberlb.metrics.tls", true,
        "fiberlb.metrics.host", "0.0.0.0");
    assertThatThrownBy(() -> FiberLb.start(TestServer.config(dir, settings)).stop())
        .hasMessageContaining("refusing to bind the metrics endpoint to '0.0.0.0'")
        .hasMessageContaining("FIBERLB_METRICS_TOKEN_FILE");
  }
}
