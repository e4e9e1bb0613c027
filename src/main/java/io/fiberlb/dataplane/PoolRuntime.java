package io.fiberlb.dataplane;

import io.fiberlb.controlplane.model.Enums.LbAlgorithm;
import io.fiberlb.controlplane.model.Enums.SessionPersistenceType;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.dataplane.balance.AffinityTable;
import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.balance.PoolBalancer;
import io.fiberlb.dataplane.health.HealthMonitor;
import io.fiberlb.dataplane.stats.TrafficCounters;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One pool as the listeners use it: the balancer (an immutable snapshot swapped on change) and, by endpoint key,
 * which backend an endpoint is, its counters and its health monitor. Written only by the load balancer's runtime
 * actor; read lock-free by connection streams.
 */
public final class PoolRuntime {
  /** Session-affinity entries kept per pool at most; the oldest go first beyond it. */
  static final int AFFINITY_CAPACITY = 100_000;

  /**
   * One backend behind an endpoint key. {@code monitor} is null when the pool has no health check; {@code address}
   * is where to connect, worked out once here rather than on every connection.
   */
  public record Slot(String backendId, TrafficCounters counters, ActorRef<HealthMonitor.Command> monitor,
      java.net.InetSocketAddress address) {}

  final String poolId;
  final LbAlgorithm algorithm;
  final SessionPersistenceType persistence;
  final long persistenceTimeoutMs;
  final PoolBalancer balancer;
  volatile Map<String, Slot> slots = Map.of();

  PoolRuntime(Pool pool, List<Endpoint> endpoints) {
    this.poolId = pool.id();
    this.algorithm = pool.lbAlgorithm();
    this.persistence = pool.sessionPersistence();
    this.persistenceTimeoutMs = pool.sessionPersistenceTimeoutMs();
    this.balancer = persistence == SessionPersistenceType.SOURCE_IP
        ? PoolBalancer.create(algorithm, endpoints,
            AffinityTable.create(Duration.ofMillis(persistenceTimeoutMs), AFFINITY_CAPACITY))
        : PoolBalancer.create(algorithm, endpoints);
  }

  /** Whether a pool with this configuration can keep this balancer (only the endpoints differ). */
  boolean sameShape(Pool pool) {
    return pool.lbAlgorithm() == algorithm && pool.sessionPersistence() == persistence
        && pool.sessionPersistenceTimeoutMs() == persistenceTimeoutMs;
  }

  public PoolBalancer balancer() {
    return balancer;
  }

  public Slot slot(Endpoint e) {
    return slots.get(e.key());
  }
}
