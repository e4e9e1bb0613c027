package io.fiberlb.metrics;

import io.fiberlb.dataplane.stats.StatsRegistry;
import io.fiberlb.dataplane.stats.StatsRegistry.LoadBalancerStats;
import io.fiberlb.dataplane.tls.HandshakeFailures;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.Protocol;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;

/**
 * {@code fiberlb_tls_handshake_failures_total{org,project,load_balancer,listener,reason}}: the TLS handshakes a
 * TERMINATED_HTTPS listener of this node saw fail, by {@link HandshakeFailures.Reason} (a bounded set), with the
 * labels of the other listener metrics. Every reason of every TERMINATED_HTTPS listener the node serves is shown,
 * zero included, so a rate() sees the first failure. Read at each scrape.
 */
public final class TlsMetrics {
  private TlsMetrics() {}

  public static void register(PrometheusRegistry registry, StatsRegistry stats,
      Map<String, HandshakeFailures> byListener) {
    CounterWithCallback.builder()
        .name("fiberlb_tls_handshake_failures")
        .help("TLS handshakes a TERMINATED_HTTPS listener saw fail, by reason (protocol_version, no_shared_cipher,"
            + " no_client_certificate, bad_certificate, client_rejected_certificate, not_tls, timeout, closed_early,"
            + " other).")
        .labelNames("org", "project", "load_balancer", "listener", "reason")
        .callback(cb -> {
          for (LoadBalancerStats lb : stats.all()) {
            if (lb.desired == null) continue;
            for (DesiredListener l : lb.desired.listeners()) {
              if (l.protocol() != Protocol.TERMINATED_HTTPS) continue;
              HandshakeFailures f = byListener.get(l.id());
              for (HandshakeFailures.Reason r : HandshakeFailures.Reason.values()) {
                cb.call(f == null ? 0 : f.counts().get(r), lb.orgId, lb.projectId, lb.lbId, l.id(), r.label());
              }
            }
          }
        })
        .register(registry);
  }
}
