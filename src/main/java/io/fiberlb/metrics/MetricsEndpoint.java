package io.fiberlb.metrics;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpsConfigurator;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The Prometheus scrape endpoint of a node: {@code GET /metrics} in the Prometheus text format (or OpenMetrics or
 * protobuf, as the scraper asks), served by the client library's exporter on the JDK's HTTP server, apart from
 * the gRPC port so that scraping never competes with the API. It stays up until the actor system's last shutdown
 * phase, so that a node's final counters (draining connections, the leave) can still be scraped.
 */
public final class MetricsEndpoint {
  private final HTTPServer server;

  private MetricsEndpoint(HTTPServer server) {
    this.server = server;
  }

  /**
   * What keeps the endpoint to Prometheus off the loopback: TLS, and a bearer token it must send.
   *
   * @param tls null: plain HTTP
   * @param bearer whether a bearer token is the right one; null: no token asked for
   */
  public record Protection(SSLContext tls, Predicate<String> bearer) {}

  /** Binds {@code settings.host():settings.port()} (0: a free port) and stops with the actor system. */
  public static MetricsEndpoint start(ActorSystem<?> system, MetricsSettings settings) {
    return start(system, settings, new Protection(null, null));
  }

  public static MetricsEndpoint start(ActorSystem<?> system, MetricsSettings settings, Protection protection) {
    HTTPServer server;
    try {
      var builder = HTTPServer.builder()
          .hostname(settings.host())
          .port(settings.port())
          .registry(NodeMetrics.get(system).registry());
      if (protection.tls() != null) builder.httpsConfigurator(new HttpsConfigurator(protection.tls()));
      if (protection.bearer() != null) builder.authenticator(new BearerAuthenticator(protection.bearer()));
      server = builder.buildAndStart();
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot bind the metrics endpoint to " + settings.host() + ":" + settings.port()
          + " (" + e.getMessage() + "); set FIBERLB_METRICS_PORT to a free port (0 picks one), or"
          + " FIBERLB_METRICS_ENABLED=false", e);
    }
    var endpoint = new MetricsEndpoint(server);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "stop-metrics",
        () -> {
          endpoint.stop();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    return endpoint;
  }

  /** 401 unless the request carries {@code authorization: Bearer <a token the predicate accepts>}. */
  private static final class BearerAuthenticator extends Authenticator {
    private final Predicate<String> accepts;

    BearerAuthenticator(Predicate<String> accepts) {
      this.accepts = accepts;
    }

    @Override
    public Result authenticate(HttpExchange exchange) {
      String header = exchange.getRequestHeaders().getFirst("Authorization");
      if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
          && accepts.test(header.substring(7).trim())) {
        return new Success(new HttpPrincipal("prometheus", "metrics"));
      }
      exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer");
      return new Failure(401);
    }
  }

  public int port() {
    return server.getPort();
  }

  public void stop() {
    server.stop();
  }
}
