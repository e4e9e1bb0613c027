package io.fiberlb.api.security;

import com.typesafe.config.Config;
import inet.ipaddr.IPAddressString;
import io.fiberlb.metrics.MetricsEndpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;

/**
 * The API's security from configuration: TLS, the authenticators, the write limit, and the rules that keep an
 * unsafe set-up from starting. Header identities (local mode) only on a loopback bind; a non-loopback bind needs
 * authentication and TLS; so does the metrics endpoint, which names every tenant's resources (TLS and a bearer
 * token).
 */
public final class ApiSecurity {
  /** What to set for a server reachable from other hosts; said whenever one refuses to start. */
  static final String HOW = "set FIBERLB_TLS_CERT and FIBERLB_TLS_KEY (PEM files) and at least one way to"
      + " authenticate: FIBERLB_AUTH_TOKENS_FILE (API tokens, made with 'fiberlb token create'), FIBERLB_AUTH_JWKS"
      + " with FIBERLB_AUTH_ISSUER and FIBERLB_AUTH_AUDIENCE (OIDC/JWT bearer tokens), or FIBERLB_TLS_CLIENT_CA with"
      + " fiberlb.auth.client-certificates (mutual TLS); or bind loopback with FIBERLB_GRPC_HOST=127.0.0.1";

  private final ServerTls tls;
  private final ApiGuard guard;

  private ApiSecurity(ServerTls tls, ApiGuard guard) {
    this.tls = tls;
    this.guard = guard;
  }

  /** Loads the files it names (a broken file stops the start) after {@link #check(Config)}. */
  public static ApiSecurity from(Config config) {
    check(config);
    Config tlsConfig = config.getConfig("fiberlb.grpc.tls");
    Config auth = config.getConfig("fiberlb.auth");
    Duration reload = auth.getDuration("reload-interval");
    ServerTls tls = null;
    if (!tlsConfig.getString("cert").isEmpty()) {
      tls = new ServerTls(Path.of(tlsConfig.getString("cert")), Path.of(tlsConfig.getString("key")),
          optionalPath(tlsConfig, "client-ca").orElse(null), tlsConfig.getString("client-auth").equals("need"), reload);
    }
    List<Authenticator> authenticators = new ArrayList<>();
    if (verified(config)) {
      optionalPath(auth, "tokens-file").ifPresent(f -> authenticators.add(new ApiTokens(f, reload)));
      Config jwt = auth.getConfig("jwt");
      if (!jwt.getString("jwks").isEmpty()) {
        authenticators.add(new JwtTokens(new JwtTokens.Settings(jwt.getString("jwks"), jwt.getString("issuer"),
            jwt.getString("audience"), jwt.getString("org-claim"), jwt.getString("project-claim"),
            jwt.getString("roles-claim"), jwt.getDuration("clock-skew"), jwt.getDuration("jwks-cache-ttl"),
            reload)));
      }
      ClientCertificates certs = ClientCertificates.from(auth.getConfigList("client-certificates"));
      if (!certs.isEmpty()) authenticators.add(certs);
    }
    Config rate = config.getConfig("fiberlb.grpc.write-rate");
    WriteLimiter limiter = rate.getLong("per-second") > 0
        ? new WriteLimiter(rate.getLong("per-second"), Math.max(rate.getLong("burst"), 1)) : null;
    return new ApiSecurity(tls, new ApiGuard(authenticators, limiter));
  }

  private static Optional<Path> optionalPath(Config c, String key) {
    String v = c.getString(key);
    return v.isEmpty() ? Optional.empty() : Optional.of(Path.of(v));
  }

  /** TLS for the API's binding, or empty for plaintext HTTP/2. */
  public Optional<HttpsConnectionContext> https() {
    return Optional.ofNullable(tls).map(ServerTls::connectionContext);
  }

  public ApiGuard guard() {
    return guard;
  }

  /** Whether callers are verified (else: local mode, header identities). */
  public static boolean verified(Config config) {
    String mode = config.getString("fiberlb.identity.mode");
    return switch (mode) {
      case "local" -> false;
      case "verified" -> true;
      case "auto" -> authenticationConfigured(config);
      default -> throw new IllegalArgumentException("fiberlb.identity.mode (FIBERLB_IDENTITY_MODE): auto, local or"
          + " verified, got '" + mode + "'");
    };
  }

  private static boolean authenticationConfigured(Config config) {
    Config auth = config.getConfig("fiberlb.auth");
    return !auth.getString("tokens-file").isEmpty() || !auth.getString("jwt.jwks").isEmpty()
        || !auth.getConfigList("client-certificates").isEmpty();
  }

  /** The rules, before anything starts: throws IllegalArgumentException saying what is wrong and what to set. */
  public static void check(Config config) {
    String host = config.getString("fiberlb.grpc.host");
    Config tls = config.getConfig("fiberlb.grpc.tls");
    boolean hasTls = !tls.getString("cert").isEmpty();
    if (hasTls == tls.getString("key").isEmpty()) {
      throw new IllegalArgumentException("fiberlb.grpc.tls: set both cert and key (FIBERLB_TLS_CERT, FIBERLB_TLS_KEY)"
          + " or neither");
    }
    if (!tls.getString("client-ca").isEmpty() && !hasTls) {
      throw new IllegalArgumentException("FIBERLB_TLS_CLIENT_CA needs TLS: set FIBERLB_TLS_CERT and FIBERLB_TLS_KEY");
    }
    if (!List.of("need", "want").contains(tls.getString("client-auth"))) {
      throw new IllegalArgumentException("fiberlb.grpc.tls.client-auth (FIBERLB_TLS_CLIENT_AUTH): need or want, got '"
          + tls.getString("client-auth") + "'");
    }
    Config auth = config.getConfig("fiberlb.auth");
    if (!auth.getConfigList("client-certificates").isEmpty() && tls.getString("client-ca").isEmpty()) {
      throw new IllegalArgumentException("fiberlb.auth.client-certificates needs FIBERLB_TLS_CLIENT_CA, the CA bundle"
          + " client certificates are verified against");
    }
    Config jwt = auth.getConfig("jwt");
    if (!jwt.getString("jwks").isEmpty() && (jwt.getString("issuer").isEmpty() || jwt.getString("audience").isEmpty())) {
      throw new IllegalArgumentException("FIBERLB_AUTH_JWKS needs FIBERLB_AUTH_ISSUER and FIBERLB_AUTH_AUDIENCE: a"
          + " token is accepted only from the issuer and for the audience you name");
    }
    boolean verified = verified(config);
    boolean configured = authenticationConfigured(config);
    if (!verified && configured) {
      throw new IllegalArgumentException("fiberlb.identity.mode is local (header identities) but authentication is"
          + " configured; set FIBERLB_IDENTITY_MODE=auto or verified");
    }
    if (verified && !configured) {
      throw new IllegalArgumentException("fiberlb.identity.mode is verified but no way to authenticate is configured; "
          + HOW);
    }
    if (!loopback(host)) {
      if (!verified) {
        throw new IllegalArgumentException("refusing to bind the gRPC API to '" + host + "': it is not a loopback"
            + " address and no authentication is configured, so every caller could claim any org and project with"
            + " the x-fiberlb-org/-project headers (local mode binds to loopback only: 127.0.0.0/8, ::1). To serve"
            + " other hosts, " + HOW);
      }
      if (!hasTls) {
        throw new IllegalArgumentException("refusing to bind the gRPC API to '" + host + "' without TLS: tokens would"
            + " cross the network in clear; set FIBERLB_TLS_CERT and FIBERLB_TLS_KEY");
      }
    }
    checkMetrics(config, hasTls);
  }

  private static void checkMetrics(Config config, boolean apiTls) {
    Config metrics = config.getConfig("fiberlb.metrics");
    if (!metrics.getBoolean("enabled")) return;
    boolean tls = metrics.getBoolean("tls");
    boolean token = !metrics.getString("token-file").isEmpty();
    if (tls && !apiTls) {
      throw new IllegalArgumentException("FIBERLB_METRICS_TLS serves the API's certificate: set FIBERLB_TLS_CERT and"
          + " FIBERLB_TLS_KEY");
    }
    String host = metrics.getString("host");
    if (!loopback(host) && !(tls && token)) {
      throw new IllegalArgumentException("refusing to bind the metrics endpoint to '" + host + "': it names every"
          + " tenant's load balancers, so off the loopback it needs TLS and a bearer token: set FIBERLB_METRICS_TLS=true"
          + " (with FIBERLB_TLS_CERT and FIBERLB_TLS_KEY) and FIBERLB_METRICS_TOKEN_FILE; or bind it to loopback"
          + " (FIBERLB_METRICS_HOST=127.0.0.1), or turn it off (FIBERLB_METRICS_ENABLED=false)");
    }
  }

  /**
   * The metrics endpoint's TLS (the API's certificate, as it is at start) and bearer token: the token file holds
   * the token's SHA-256 as {@code sha256:<hex>} at the start of its first line that is not a comment (a line of
   * {@code fiberlb token create} will do).
   */
  public static MetricsEndpoint.Protection metricsProtection(Config config) {
    Config metrics = config.getConfig("fiberlb.metrics");
    Config tls = config.getConfig("fiberlb.grpc.tls");
    SSLContext context = metrics.getBoolean("tls")
        ? TlsFiles.serverContext(Path.of(tls.getString("cert")), Path.of(tls.getString("key")), null) : null;
    Predicate<String> bearer = null;
    if (!metrics.getString("token-file").isEmpty()) {
      Path file = Path.of(metrics.getString("token-file"));
      String hash;
      try {
        hash = Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .map(l -> l.split("\\s+")[0]).findFirst().orElse("");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read FIBERLB_METRICS_TOKEN_FILE " + file, e);
      }
      if (!hash.matches("sha256:[0-9a-f]{64}")) {
        throw new IllegalArgumentException(file + ": expected sha256:<64 hex digits>, the SHA-256 of the token"
            + " Prometheus sends (never the token itself)");
      }
      byte[] expected = hash.getBytes(StandardCharsets.US_ASCII);
      bearer = token -> MessageDigest.isEqual(expected, ApiTokens.hash(token).getBytes(StandardCharsets.US_ASCII));
    }
    return new MetricsEndpoint.Protection(context, bearer);
  }

  public static boolean loopback(String host) {
    if (host.equals("localhost")) return true;
    var addr = new IPAddressString(host).getAddress();
    return addr != null && addr.isLoopback();
  }
}
