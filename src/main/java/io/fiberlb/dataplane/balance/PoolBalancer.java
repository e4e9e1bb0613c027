package io.fiberlb.dataplane.balance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The balancer of one pool as the listener uses it: holds an immutable snapshot (the endpoints, the eligible ones by
 * key, and the algorithm's {@link Balancer} built over them) and replaces it whole when the configuration or an
 * endpoint's health changes.
 *
 * <p>{@link #pick} reads the snapshot through one volatile read and never blocks. Changes ({@link #update},
 * {@link #setHealthy}) are rare, so they are serialised by a lock among themselves (no lost update when the health
 * checker and the control plane change the pool at the same moment) and do the expensive work, such as building
 * a Maglev table, before publishing, off the connection path.
 *
 * <p>Session persistence SOURCE_IP (optional, {@link AffinityTable}): a client that connected within the timeout
 * goes back to the endpoint it had, as long as that endpoint is healthy and either eligible or draining: weight 0
 * stops new clients while remembered ones finish their sessions (HAProxy's weight 0 keeps persistent traffic the
 * same way). A pin to a backup is dropped once a primary is eligible again. Otherwise the algorithm picks and the
 * table remembers the choice.
 */
public final class PoolBalancer implements Balancer {
  private final Algorithm algorithm;
  private final AffinityTable affinity;
  private final AtomicLong sequence = new AtomicLong();
  private volatile Snapshot snapshot;

  /**
   * @param endpoints every configured endpoint, in configuration order, with its current health
   * @param sticky the endpoints a remembered client may go back to, by key
   */
  private record Snapshot(List<Endpoint> endpoints, Map<String, Endpoint> sticky, Balancer balancer) {}

  private PoolBalancer(Algorithm algorithm, List<Endpoint> endpoints, AffinityTable affinity) {
    this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
    this.affinity = affinity;
    this.snapshot = build(List.copyOf(endpoints));
  }

  public static PoolBalancer create(Algorithm algorithm, List<Endpoint> endpoints) {
    return new PoolBalancer(algorithm, endpoints, null);
  }

  /** With session persistence SOURCE_IP, remembered in {@code affinity}. */
  public static PoolBalancer create(Algorithm algorithm, List<Endpoint> endpoints, AffinityTable affinity) {
    return new PoolBalancer(algorithm, endpoints, Objects.requireNonNull(affinity, "affinity"));
  }

  public Algorithm algorithm() {
    return algorithm;
  }

  @Override
  public Endpoint pick(ConnectionKey key) {
    Snapshot s = snapshot;
    if (affinity == null) return s.balancer.pick(key);
    long now = affinity.now();
    String pinned = affinity.lookup(key, now);
    if (pinned != null) {
      Endpoint e = s.sticky.get(pinned);
      if (e != null) return e;
    }
    Endpoint chosen = s.balancer.pick(key);
    if (chosen == null) return null;
    String held = affinity.remember(key, chosen.key(), pinned, now);
    if (held.equals(chosen.key())) return chosen;
    Endpoint other = s.sticky.get(held); // another connection of this client recorded first: follow it
    return other != null ? other : chosen;
  }

  @Override
  public List<Endpoint> candidates() {
    return snapshot.balancer.candidates();
  }

  /** Every configured endpoint, eligible or not, with its current health, in configuration order. */
  public List<Endpoint> endpoints() {
    return snapshot.endpoints;
  }

  /**
   * Replaces the configuration (addresses, weights, backup flags; endpoints may come and go). An endpoint whose key
   * was already present keeps its health (the health checker owns it) and its open-connections counter; a new one
   * starts with the health it was given.
   *
   * @throws IllegalArgumentException on duplicate keys (the current snapshot is then kept)
   */
  public synchronized void update(List<Endpoint> endpoints) {
    Map<String, Endpoint> previous = byKey(snapshot.endpoints);
    List<Endpoint> merged = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      Endpoint old = previous.get(e.key());
      merged.add(old == null ? e : e.continuing(old, old.healthy()));
    }
    snapshot = build(List.copyOf(merged));
  }

  /**
   * Records the health checker's verdict for the endpoint with this key.
   *
   * @return false if there is no such endpoint or its health was already that
   */
  public synchronized boolean setHealthy(String key, boolean healthy) {
    List<Endpoint> current = snapshot.endpoints;
    List<Endpoint> next = new ArrayList<>(current.size());
    boolean changed = false;
    for (Endpoint e : current) {
      if (e.key().equals(key) && e.healthy() != healthy) {
        next.add(e.withHealthy(healthy));
        changed = true;
      } else {
        next.add(e);
      }
    }
    if (changed) snapshot = build(List.copyOf(next));
    return changed;
  }

  private Snapshot build(List<Endpoint> endpoints) {
    Balancer balancer = Balancers.create(algorithm, endpoints, sequence);
    Map<String, Endpoint> sticky = new HashMap<>();
    if (affinity != null) {
      boolean primariesActive = balancer.candidates().stream().anyMatch(e -> !e.backup());
      for (Endpoint e : endpoints) {
        if (!e.healthy() || (e.backup() && primariesActive)) continue;
        if (e.weight() == 0 || balancer.candidates().contains(e)) sticky.put(e.key(), e);
      }
    }
    return new Snapshot(endpoints, Map.copyOf(sticky), balancer);
  }

  private static Map<String, Endpoint> byKey(List<Endpoint> endpoints) {
    Map<String, Endpoint> m = new HashMap<>();
    for (Endpoint e : endpoints) m.put(e.key(), e);
    return m;
  }

  @Override
  public String toString() {
    return "PoolBalancer(" + algorithm + (affinity != null ? ", sticky " + affinity.timeout() : "") + ")"
        + snapshot.balancer;
  }
}
