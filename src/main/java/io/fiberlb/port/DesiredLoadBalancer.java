package io.fiberlb.port;

import java.util.List;
import java.util.Map;

/**
 * What should run for one load balancer, as the control plane publishes it to the data plane: an immutable value
 * with no entity types in it. The entity publishes one after recovery and after each persisted change of
 * configuration; the data plane diffs it against what runs and converges on it.
 *
 * <p>Health is not configuration: a backend's verdict lives in the data plane, which applies its own transitions at
 * once and reports them ({@link DataPlaneReport.HealthTransition}); the entity journals them and does not publish
 * again for them. {@code journaledHealth} is only where a monitor starts when the data plane starts one (after a
 * restart, a move to another node, or a backend that is monitored again); a monitor already running keeps its own.
 *
 * @param listeners in creation order
 * @param pools in creation order
 * @param backends in creation order, each naming its pool
 * @param healthChecks by id
 * @param journaledHealth the last journaled verdict (true = up) of each backend that has one
 */
public record DesiredLoadBalancer(
    String id,
    String orgId,
    String projectId,
    String vipAddress,
    boolean adminStateUp,
    List<DesiredListener> listeners,
    List<DesiredPool> pools,
    List<DesiredBackend> backends,
    Map<String, DesiredHealthCheck> healthChecks,
    Map<String, Boolean> journaledHealth) {

  public DesiredLoadBalancer {
    listeners = List.copyOf(listeners);
    pools = List.copyOf(pools);
    backends = List.copyOf(backends);
    healthChecks = Map.copyOf(healthChecks);
    journaledHealth = Map.copyOf(journaledHealth);
  }

  /** This configuration with other seeds. */
  public DesiredLoadBalancer withJournaledHealth(Map<String, Boolean> seeds) {
    return new DesiredLoadBalancer(id, orgId, projectId, vipAddress, adminStateUp, listeners, pools, backends,
        healthChecks, seeds);
  }

  /** Whether {@code other} runs the same: equal but perhaps for the seeds, which a running monitor ignores. */
  public boolean sameConfiguration(DesiredLoadBalancer other) {
    return other != null && equals(other.withJournaledHealth(journaledHealth));
  }

  /** The health check that probes this pool's backends, or null when they are not checked (none, or disabled). */
  public DesiredHealthCheck healthCheckOf(DesiredPool pool) {
    if (pool.healthCheckId().isEmpty()) return null;
    DesiredHealthCheck hc = healthChecks.get(pool.healthCheckId());
    return hc != null && hc.adminStateUp() ? hc : null;
  }
}
