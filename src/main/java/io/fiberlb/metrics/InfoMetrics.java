package io.fiberlb.metrics;

import io.fiberlb.dataplane.stats.StatsRegistry;
import io.fiberlb.dataplane.stats.StatsRegistry.LoadBalancerStats;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.RuntimeCommand;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.function.BiConsumer;

/**
 * Info metrics ({@code fiberlb_load_balancer_info}, {@code fiberlb_listener_info}, value 1) that carry the names,
 * the VIP and listener ports of what runs on this node, so that dashboards join names onto the traffic series
 * ({@code * on (load_balancer) group_left(name) fiberlb_load_balancer_info}) instead of every series carrying a
 * name that can change. Read from the {@link StatsRegistry} at each scrape, like the traffic metrics: a load
 * balancer that moves or is deleted disappears from the next scrape.
 */
public final class InfoMetrics {
  private InfoMetrics() {}

  public static void register(PrometheusRegistry registry, StatsRegistry stats) {
    registry.register(collector("fiberlb_load_balancer", "One series per load balancer running on this node, value"
        + " 1, carrying its name and VIP: join on load_balancer.", (b, lb) -> {
          DesiredLoadBalancer d = lb.desired;
          RuntimeCommand.Names n = lb.names;
          b.dataPoint(point("org", lb.orgId, "project", lb.projectId, "load_balancer", lb.lbId,
              "name", n == null ? "" : n.loadBalancer(), "vip_address", d == null ? "" : d.vipAddress()));
        }, stats));
    registry.register(collector("fiberlb_listener", "One series per listener running on this node, value 1,"
        + " carrying its name, protocol and port: join on listener.", (b, lb) -> {
          DesiredLoadBalancer d = lb.desired;
          if (d == null) return;
          RuntimeCommand.Names n = lb.names;
          for (DesiredListener l : d.listeners()) {
            String name = n == null ? "" : n.listeners().getOrDefault(l.id(), "");
            b.dataPoint(point("org", lb.orgId, "project", lb.projectId, "load_balancer", lb.lbId, "listener", l.id(),
                "name", name, "protocol", l.protocol().name(), "protocol_port", Integer.toString(l.protocolPort())));
          }
        }, stats));
  }

  private static InfoDataPointSnapshot point(String... labels) {
    return InfoDataPointSnapshot.builder().labels(Labels.of(labels)).build();
  }

  private static Collector collector(String name, String help, BiConsumer<InfoSnapshot.Builder, LoadBalancerStats> each,
      StatsRegistry stats) {
    return new Collector() {
      @Override
      public MetricSnapshot collect() {
        InfoSnapshot.Builder b = InfoSnapshot.builder().name(name).help(help);
        for (LoadBalancerStats lb : stats.all()) each.accept(b, lb);
        return b.build();
      }

      @Override
      public String getPrometheusName() {
        return name;
      }
    };
  }
}
