package io.fiberlb.metrics;

import com.typesafe.config.Config;

/**
 * {@code fiberlb.metrics}: whether and where the Prometheus endpoint listens.
 *
 * @param port 0 picks a free port, as {@code fiberlb.grpc.port} does
 */
public record MetricsSettings(boolean enabled, String host, int port) {
  public static MetricsSettings from(Config c) {
    int port = c.getInt("port");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("fiberlb.metrics.port: must be 0 (a free port) to 65535, got " + port
          + "; turn the endpoint off with fiberlb.metrics.enabled = false (FIBERLB_METRICS_ENABLED=false)");
    }
    return new MetricsSettings(c.getBoolean("enabled"), c.getString("host"), port);
  }
}
