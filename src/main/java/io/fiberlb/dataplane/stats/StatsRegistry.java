package io.fiberlb.dataplane.stats;

import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.RuntimeCommand;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every traffic counter of the load balancers running on this node, by load balancer, listener and backend id.
 * The data plane creates entries when it starts a listener or a backend and removes them when they are deleted
 * or the load balancer moves to another node; the metrics endpoint and {@code GetLoadBalancerStats} read them.
 */
public final class StatsRegistry {

  /** The counters of one load balancer. */
  public static final class LoadBalancerStats {
    public final String lbId;
    public final String orgId;
    public final String projectId;
    /** Listener id to its counters. */
    public final Map<String, TrafficCounters> listeners = new ConcurrentHashMap<>();
    /** Backend id to its counters. */
    public final Map<String, TrafficCounters> backends = new ConcurrentHashMap<>();
    /** Backend id to its health. */
    public final Map<String, BackendHealthGauge> health = new ConcurrentHashMap<>();
    /** Backend id to its pool id, for labels. */
    public final Map<String, String> backendPool = new ConcurrentHashMap<>();
    /** What runs, as last applied: the VIP and each listener's protocol and port, for the info metrics. */
    public volatile DesiredLoadBalancer desired;
    /** Whether its saved totals were added to its counters ({@link TrafficTotals}); until then none are saved. */
    public volatile boolean restored;
    /** What the load balancer and its listeners are called, for the info metrics; null until the control plane says. */
    public volatile RuntimeCommand.Names names;

    LoadBalancerStats(String lbId, String orgId, String projectId) {
      this.lbId = lbId;
      this.orgId = orgId;
      this.projectId = projectId;
    }

    public TrafficCounters listener(String listenerId) {
      return listeners.computeIfAbsent(listenerId, k -> new TrafficCounters());
    }

    public TrafficCounters backend(String backendId, String poolId) {
      backendPool.put(backendId, poolId);
      return backends.computeIfAbsent(backendId, k -> new TrafficCounters());
    }

    public BackendHealthGauge health(String backendId) {
      return health.computeIfAbsent(backendId, k -> new BackendHealthGauge());
    }

    /** Forgets a deleted backend. */
    public void removeBackend(String backendId) {
      backends.remove(backendId);
      health.remove(backendId);
      backendPool.remove(backendId);
    }
  }

  private final Map<String, LoadBalancerStats> byLb = new ConcurrentHashMap<>();

  public LoadBalancerStats loadBalancer(String lbId, String orgId, String projectId) {
    return byLb.computeIfAbsent(lbId, k -> new LoadBalancerStats(lbId, orgId, projectId));
  }

  /** The counters of a load balancer running here, or null. */
  public LoadBalancerStats find(String lbId) {
    return byLb.get(lbId);
  }

  public void remove(String lbId) {
    byLb.remove(lbId);
  }

  public Collection<LoadBalancerStats> all() {
    return byLb.values();
  }
}
