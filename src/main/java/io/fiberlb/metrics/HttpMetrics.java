package io.fiberlb.metrics;

import io.fiberlb.dataplane.stats.HttpCounters;
import io.fiberlb.dataplane.stats.StatsRegistry;
import io.fiberlb.dataplane.stats.StatsRegistry.LoadBalancerStats;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.Protocol;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The HTTP engine's counters as Prometheus metrics, beside the connection metrics of {@link DataPlaneMetrics} and
 * with the same labels: requests by status class ({@code code_class} 1xx..5xx, FiberLB's own answers such as 403,
 * 431, 502, 503 and 504 included) and request durations as a histogram, per listener and per backend. Series exist
 * for HTTP and TERMINATED_HTTPS listeners, and for backends once they have answered a request. Read from the
 * {@link StatsRegistry} at each scrape, like every data-plane metric.
 */
public final class HttpMetrics {
  private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};

  private HttpMetrics() {}

  public static void register(PrometheusRegistry registry, StatsRegistry stats) {
    CounterWithCallback.builder()
        .name("fiberlb_listener_http_requests")
        .help("HTTP requests a listener answered, by status class (its own answers included).")
        .labelNames("org", "project", "load_balancer", "listener", "code_class")
        .callback(cb -> eachListener(stats, (c, labels) -> {
          for (int k = 1; k <= 5; k++) cb.call(c.answered(k), with(labels, CLASSES[k - 1]));
        }))
        .register(registry);
    CounterWithCallback.builder()
        .name("fiberlb_backend_http_requests")
        .help("HTTP requests a backend answered, by status class.")
        .labelNames("org", "project", "load_balancer", "pool", "backend", "code_class")
        .callback(cb -> eachBackend(stats, (c, labels) -> {
          for (int k = 1; k <= 5; k++) cb.call(c.answered(k), with(labels, CLASSES[k - 1]));
        }))
        .register(registry);
    registry.register(histogram("fiberlb_listener_http_request_duration_seconds",
        "HTTP request durations at a listener, from the request's head to the response's end.",
        new String[] {"org", "project", "load_balancer", "listener"}, v -> eachListener(stats, v)));
    registry.register(histogram("fiberlb_backend_http_request_duration_seconds",
        "HTTP request durations at a backend, from the request's head to the response's end.",
        new String[] {"org", "project", "load_balancer", "pool", "backend"}, v -> eachBackend(stats, v)));
  }

  private static String[] with(String[] labels, String last) {
    String[] out = java.util.Arrays.copyOf(labels, labels.length + 1);
    out[labels.length] = last;
    return out;
  }

  private static void eachListener(StatsRegistry stats, BiConsumer<HttpCounters, String[]> v) {
    for (LoadBalancerStats lb : stats.all()) {
      Set<String> http = new HashSet<>();
      if (lb.desired != null) {
        for (DesiredListener l : lb.desired.listeners()) {
          if (l.protocol() == Protocol.HTTP || l.protocol() == Protocol.TERMINATED_HTTPS) http.add(l.id());
        }
      }
      lb.listeners.forEach((id, c) -> {
        if (http.contains(id) || c.http.count() > 0) v.accept(c.http, new String[] {lb.orgId, lb.projectId, lb.lbId, id});
      });
    }
  }

  private static void eachBackend(StatsRegistry stats, BiConsumer<HttpCounters, String[]> v) {
    for (LoadBalancerStats lb : stats.all()) {
      lb.backends.forEach((id, c) -> {
        if (c.http.count() > 0) {
          v.accept(c.http, new String[] {lb.orgId, lb.projectId, lb.lbId, lb.backendPool.getOrDefault(id, ""), id});
        }
      });
    }
  }

  private static Collector histogram(String name, String help, String[] labelNames,
      java.util.function.Consumer<BiConsumer<HttpCounters, String[]>> each) {
    double[] bounds = new double[HttpCounters.BUCKETS.length + 1];
    System.arraycopy(HttpCounters.BUCKETS, 0, bounds, 0, HttpCounters.BUCKETS.length);
    bounds[bounds.length - 1] = Double.POSITIVE_INFINITY;
    return new Collector() {
      @Override
      public MetricSnapshot collect() {
        HistogramSnapshot.Builder b = HistogramSnapshot.builder().name(name).help(help);
        each.accept((c, labels) -> {
          String[] pairs = new String[labels.length * 2];
          for (int i = 0; i < labels.length; i++) {
            pairs[2 * i] = labelNames[i];
            pairs[2 * i + 1] = labels[i];
          }
          b.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
              .labels(Labels.of(pairs))
              .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, c.bucketCounts()))
              .sum(c.durationSeconds())
              .build());
        });
        return b.build();
      }

      @Override
      public String getPrometheusName() {
        return name;
      }
    };
  }
}
