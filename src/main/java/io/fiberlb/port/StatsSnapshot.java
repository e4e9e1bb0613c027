package io.fiberlb.port;

import io.fiberlb.CborSerializable;
import java.util.List;

/**
 * The counters of one load balancer on the node that serves it. Crosses the cluster inside the entity's reply.
 *
 * @param node the cluster node serving the load balancer, empty when it runs no data plane
 * @param listeners sorted by id
 * @param backends sorted by id
 */
public record StatsSnapshot(String node, List<TrafficStats> listeners, List<TrafficStats> backends)
    implements CborSerializable {

  public StatsSnapshot {
    listeners = List.copyOf(listeners);
    backends = List.copyOf(backends);
  }

  /** What a node without a data plane reports. */
  public static StatsSnapshot none() {
    return new StatsSnapshot("", List.of(), List.of());
  }
}
