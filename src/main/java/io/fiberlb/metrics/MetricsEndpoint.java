package io.fiberlb.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
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

  /** Binds {@code settings.host():settings.port()} (0: a free port) and stops with the actor system. */
  public static MetricsEndpoint start(ActorSystem<?> system, MetricsSettings settings) {
    HTTPServer server;
    try {
      server = HTTPServer.builder()
          .hostname(settings.host())
          .port(settings.port())
          .registry(NodeMetrics.get(system).registry())
          .buildAndStart();
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

  public int port() {
    return server.getPort();
  }

  public void stop() {
    server.stop();
  }
}
