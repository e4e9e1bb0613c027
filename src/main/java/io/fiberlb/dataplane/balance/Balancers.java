package io.fiberlb.dataplane.balance;

import io.fiberlb.balance.Eligibility;
import io.fiberlb.balance.MaglevTable;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds the balancer for a pool's algorithm over a list of endpoints, applying the eligibility rules first.
 *
 * <p>Eligible for new connections: healthy endpoints with a weight above 0 (weight 0 drains); the backups only
 * when no primary is eligible. When nothing is eligible every pick returns {@code null}. Two endpoints with the
 * same {@link Endpoint#key()} are a configuration error. The result is a fixed snapshot; {@link PoolBalancer}
 * rebuilds it on change.
 */
public final class Balancers {
  private Balancers() {}

  /** Maglev table size: see {@link MaglevTable#DEFAULT_SIZE}. */
  public static final int DEFAULT_MAGLEV_TABLE_SIZE = MaglevTable.DEFAULT_SIZE;

  public static Balancer create(Algorithm algorithm, List<Endpoint> endpoints) {
    return create(algorithm, endpoints, new AtomicLong());
  }

  /**
   * Same as {@link #create(Algorithm, List)}; the rotating algorithms (round robin, weighted round robin and the
   * tie-breaking of least connections) advance {@code sequence}, so a holder that passes the same sequence to each
   * rebuild continues the rotation instead of starting over at the first endpoint.
   */
  static Balancer create(Algorithm algorithm, List<Endpoint> endpoints, AtomicLong sequence) {
    List<Endpoint> eligible = eligible(endpoints);
    if (eligible.isEmpty()) return NONE;
    return switch (algorithm) {
      case ROUND_ROBIN -> new RoundRobinBalancer(eligible, sequence);
      case WEIGHTED_ROUND_ROBIN -> new SmoothWeightedRoundRobinBalancer(eligible, sequence);
      case LEAST_CONNECTIONS -> new LeastConnectionsBalancer(eligible, sequence);
      case SOURCE_IP -> new RendezvousBalancer(eligible, false);
      case SOURCE_IP_PORT -> new RendezvousBalancer(eligible, true);
      case MAGLEV -> MaglevBalancer.build(eligible, DEFAULT_MAGLEV_TABLE_SIZE);
      case RANDOM_TWO_CHOICES -> new PowerOfTwoChoicesBalancer(eligible);
    };
  }

  /** Plain rotation over the eligible endpoints; weights other than 0 are ignored (see weightedRoundRobin). */
  public static Balancer roundRobin(List<Endpoint> endpoints) {
    return create(Algorithm.ROUND_ROBIN, endpoints);
  }

  /** Smooth weighted round robin, as nginx does it. */
  public static Balancer weightedRoundRobin(List<Endpoint> endpoints) {
    return create(Algorithm.WEIGHTED_ROUND_ROBIN, endpoints);
  }

  /** Fewest open connections per unit of weight; ties spread in rotation. */
  public static Balancer leastConnections(List<Endpoint> endpoints) {
    return create(Algorithm.LEAST_CONNECTIONS, endpoints);
  }

  /** Weighted rendezvous hashing of the client address. */
  public static Balancer sourceIp(List<Endpoint> endpoints) {
    return create(Algorithm.SOURCE_IP, endpoints);
  }

  /** Weighted rendezvous hashing of the client address and port. */
  public static Balancer sourceIpPort(List<Endpoint> endpoints) {
    return create(Algorithm.SOURCE_IP_PORT, endpoints);
  }

  /** A Maglev lookup table of {@link #DEFAULT_MAGLEV_TABLE_SIZE} entries, keyed on client address and port. */
  public static Balancer maglev(List<Endpoint> endpoints) {
    return create(Algorithm.MAGLEV, endpoints);
  }

  /** A Maglev lookup table of {@code tableSize} entries, which must be prime and at least the endpoint count. */
  public static Balancer maglev(List<Endpoint> endpoints, int tableSize) {
    MaglevTable.checkSize(tableSize);
    List<Endpoint> eligible = eligible(endpoints);
    return eligible.isEmpty() ? NONE : MaglevBalancer.build(eligible, tableSize);
  }

  /** Two random candidates drawn by weight; the one with fewer open connections per unit of weight wins. */
  public static Balancer powerOfTwoChoices(List<Endpoint> endpoints) {
    return create(Algorithm.RANDOM_TWO_CHOICES, endpoints);
  }

  /**
   * The endpoints that may take new connections, in input order: the healthy primaries of weight above 0, or if
   * there are none, the healthy backups of weight above 0.
   *
   * @throws IllegalArgumentException if two endpoints have the same key
   */
  public static List<Endpoint> eligible(List<Endpoint> endpoints) {
    Set<String> keys = new HashSet<>();
    for (Endpoint e : endpoints) {
      Objects.requireNonNull(e, "endpoint");
      if (!keys.add(e.key())) throw new IllegalArgumentException("duplicate endpoint " + e.key());
    }
    return Eligibility.eligible(endpoints, Endpoint::acceptsNewConnections, Endpoint::backup);
  }

  /** The balancer of a pool with nothing eligible. */
  static final Balancer NONE = new Balancer() {
    @Override
    public Endpoint pick(ConnectionKey key) {
      return null;
    }

    @Override
    public List<Endpoint> candidates() {
      return List.of();
    }

    @Override
    public String toString() {
      return "NoEligibleEndpoint";
    }
  };
}
