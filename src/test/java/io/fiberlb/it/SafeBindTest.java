package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fiberlb.FiberLb;
import io.fiberlb.api.security.ApiTokens;
import io.fiberlb.api.security.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The set-ups that must not start, each refused by the server's own start-up method before anything binds, saying
 * why and what to set; and the default (loopback, local mode) that must.
 */
class SafeBindTest {
  @TempDir
  Path dir;

  private void refuses(Map<String, Object> overrides, String... saying) {
    assertThatThrownBy(() -> FiberLb.start(TestServer.config(dir, overrides)).stop())
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).contains(saying));
  }

  private Path tokensFile() throws Exception {
    Path f = dir.resolve("tokens");
    Files.write(f, List.of(ApiTokens.line(ApiTokens.newToken(), "acme", "web", Set.of(Role.ADMIN), "ops")));
    return f;
  }

  @Test
  void aNonLoopbackBindWithoutAuthenticationIsRefusedSayingWhatToSet() {
    refuses(Map.of("fiberlb.grpc.host", "0.0.0.0"), "refusing to bind the gRPC API to '0.0.0.0'",
        "no authentication is configured", "FIBERLB_TLS_CERT", "FIBERLB_TLS_KEY", "FIBERLB_AUTH_TOKENS_FILE",
        "FIBERLB_AUTH_JWKS", "FIBERLB_TLS_CLIENT_CA");
    refuses(Map.of("fiberlb.grpc.host", "10.1.2.3"), "refusing to bind the gRPC API to '10.1.2.3'");
  }

  @Test
  void aNonLoopbackBindWithTokensButWithoutTlsIsRefused() throws Exception {
    refuses(Map.of("fiberlb.grpc.host", "0.0.0.0", "fiberlb.auth.tokens-file", tokensFile().toString()),
        "without TLS", "FIBERLB_TLS_CERT");
  }

  @Test
  void localModeWithAuthenticationOrVerifiedModeWithoutItIsRefused() throws Exception {
    refuses(Map.of("fiberlb.identity.mode", "verified"), "no way to authenticate is configured",
        "FIBERLB_AUTH_TOKENS_FILE");
    refuses(Map.of("fiberlb.identity.mode", "local", "fiberlb.auth.tokens-file", tokensFile().toString()),
        "authentication is configured");
  }

  @Test
  void halfConfiguredTlsOrJwtIsRefused() {
    refuses(Map.of("fiberlb.grpc.tls.cert", dir.resolve("cert.pem").toString()), "set both cert and key");
    refuses(Map.of("fiberlb.auth.jwt.jwks", dir.resolve("jwks.json").toString()), "FIBERLB_AUTH_ISSUER",
        "FIBERLB_AUTH_AUDIENCE");
    refuses(Map.of("fiberlb.grpc.tls.client-ca", dir.resolve("ca.pem").toString()), "needs TLS");
  }

  @Test
  void aNonLoopbackMetricsEndpointIsRefused() {
    refuses(Map.of("fiberlb.metrics.host", "0.0.0.0"), "refusing to bind the metrics endpoint to '0.0.0.0'",
        "FIBERLB_METRICS_HOST=127.0.0.1");
  }

  @Test
  void aBrokenTokensFileStopsTheStart() throws Exception {
    Path f = dir.resolve("broken");
    Files.writeString(f, "flb_not-a-hash acme web member someone\n");
    Map<String, Object> o = new HashMap<>(Map.of("fiberlb.auth.tokens-file", f.toString()));
    assertThatThrownBy(() -> FiberLb.start(TestServer.config(dir, o)).stop())
        .hasMessageContaining("never the token");
  }

  @Test
  void theDefaultLoopbackLocalModeStarts() {
    FiberLb.Node node = FiberLb.start(TestServer.config(dir, Map.of()));
    try {
      assertThat(node.grpcPort()).isPositive();
    } finally {
      node.stop();
    }
  }
}
