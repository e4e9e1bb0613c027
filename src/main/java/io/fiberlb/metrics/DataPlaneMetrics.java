package io.fiberlb.metrics;

import io.fiberlb.dataplane.stats.BackendHealthGauge;
import io.fiberlb.dataplane.stats.StatsRegistry;
import io.fiberlb.dataplane.stats.StatsRegistry.LoadBalancerStats;
import io.fiberlb.dataplane.stats.TrafficCounters;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.SummaryWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Quantiles;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The data plane's counters as Prometheus metrics. Every metric is a callback that walks the node's
 * {@link StatsRegistry} when Prometheus scrapes: connections write only their own lock-free counters, and nothing
 * is copied or registered on the connection path. A load balancer, listener or backend the data plane forgets
 * (deleted, or moved to another node) disappears from the next scrape.
 */
public final class DataPlaneMetrics {
  private static final String[] LISTENER_LABELS = {"org", "project", "load_balancer", "listener"};
  private static final String[] BACKEND_LABELS = {"org", "project", "load_balancer", "pool", "backend"};

  private DataPlaneMetrics() {}

  public static void register(PrometheusRegistry registry, StatsRegistry stats) {
    new Traffic(registry, stats, "listener", LISTENER_LABELS) {
      @Override
      void each(LoadBalancerStats lb, Visitor<TrafficCounters> v) {
        lb.listeners.forEach((id, c) -> v.visit(c, lb.orgId, lb.projectId, lb.lbId, id));
      }
    }.register("Listener");
    new Traffic(registry, stats, "backend", BACKEND_LABELS) {
      @Override
      void each(LoadBalancerStats lb, Visitor<TrafficCounters> v) {
        lb.backends.forEach((id, c) -> v.visit(c, lb.orgId, lb.projectId, lb.lbId, pool(lb, id), id));
      }
    }.register("Backend");

    GaugeWithCallback.builder()
        .name("fiberlb_backend_health_state")
        .help("Backend health as its health check sees it: 1 up, 0 down, -1 unknown (its pool has no health check"
            + " or no probe has decided yet).")
        .labelNames(BACKEND_LABELS)
        .callback(cb -> eachHealth(stats, (g, labels) -> cb.call(g.state, labels)))
        .register(registry);
    SummaryWithCallback.builder()
        .name("fiberlb_backend_probe_duration_seconds")
        .help("Health probes of a backend (_count) and their total duration (_sum), failed ones included.")
        .labelNames(BACKEND_LABELS)
        .callback(cb -> eachHealth(stats,
            (g, labels) -> cb.call(g.probes.sum(), g.probeNanos.sum() / 1e9, Quantiles.EMPTY, labels)))
        .register(registry);
    CounterWithCallback.builder()
        .name("fiberlb_backend_probe_failures")
        .help("Health probes of a backend that failed or timed out.")
        .labelNames(BACKEND_LABELS)
        .callback(cb -> eachHealth(stats, (g, labels) -> cb.call(g.probeFailures.sum(), labels)))
        .register(registry);
  }

  private static String pool(LoadBalancerStats lb, String backendId) {
    return lb.backendPool.getOrDefault(backendId, "");
  }

  private static void eachHealth(StatsRegistry stats, Visitor<BackendHealthGauge> v) {
    for (LoadBalancerStats lb : stats.all()) {
      for (Map.Entry<String, BackendHealthGauge> e : lb.health.entrySet()) {
        v.visit(e.getValue(), lb.orgId, lb.projectId, lb.lbId, pool(lb, e.getKey()), e.getKey());
      }
    }
  }

  @FunctionalInterface
  private interface Visitor<T> {
    void visit(T counters, String... labels);
  }

  /** The seven traffic metrics of listeners or of backends: same counters, different labels. */
  private abstract static class Traffic {
    private final PrometheusRegistry registry;
    private final StatsRegistry stats;
    private final String kind;
    private final String[] labels;

    Traffic(PrometheusRegistry registry, StatsRegistry stats, String kind, String[] labels) {
      this.registry = registry;
      this.stats = stats;
      this.kind = kind;
      this.labels = labels;
    }

    /** Visits the counters of every listener (or backend) of one load balancer with its label values. */
    abstract void each(LoadBalancerStats lb, Visitor<TrafficCounters> v);

    void register(String noun) {
      GaugeWithCallback.builder()
          .name("fiberlb_" + kind + "_active_connections")
          .help(noun + " connections open now.")
          .labelNames(labels)
          .callback(cb -> all((c, l) -> cb.call(c.active.get(), l)))
          .register(registry);
      counter("connections", noun + " connections "
          + (kind.equals("listener") ? "accepted from clients." : "opened to the backend."), c -> c.total.sum());
      counter("bytes_in", noun + " bytes from clients towards backends.", c -> c.bytesIn.sum());
      counter("bytes_out", noun + " bytes from backends towards clients.", c -> c.bytesOut.sum());
      counter("rejected_connections", kind.equals("listener")
          ? "Client connections closed at once (connection limit, allowed CIDRs, no eligible backend, listener down)."
          : "Connections meant for the backend that were closed at once instead of being proxied.",
          c -> c.rejected.sum());
      counter("connect_failures", kind.equals("listener")
          ? "Client connections closed because no backend could be reached."
          : "Connects to the backend that failed or timed out.", c -> c.connectFailures.sum());
      counter("request_errors", noun + " connections that ended in an error (reset, idle timeout, backend failure):"
          + " Octavia's request_errors.", c -> c.errors.sum());
      if (kind.equals("listener")) {
        counter("dropped_datagrams", "UDP datagrams of admitted flows dropped instead of queued (a send buffer full,"
            + " or a burst while the flow's backend socket was set up).", c -> c.datagramsDropped.sum());
        counter("proxy_protocol_errors", "Client connections of a listener accepting the PROXY protocol closed because"
            + " their header was missing, malformed or late (also counted as rejected).",
            c -> c.proxyProtocolErrors.sum());
      }
    }

    private void counter(String what, String help, ToDoubleFunction<TrafficCounters> value) {
      CounterWithCallback.builder()
          .name("fiberlb_" + kind + "_" + what)
          .help(help)
          .labelNames(labels)
          .callback(cb -> all((c, l) -> cb.call(value.applyAsDouble(c), l)))
          .register(registry);
    }

    private void all(Visitor<TrafficCounters> v) {
      for (LoadBalancerStats lb : stats.all()) each(lb, v);
    }
  }
}
