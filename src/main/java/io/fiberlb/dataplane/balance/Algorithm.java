package io.fiberlb.dataplane.balance;

/**
 * The selection algorithms this package implements, one {@link Balancer} each (see {@link Balancers}). Its own type,
 * so that the pure balancers depend on nothing outside the data plane; the runtime maps a pool's configured
 * algorithm onto it.
 */
public enum Algorithm {
  /** Each eligible endpoint in turn. */
  ROUND_ROBIN,
  /** Smooth weighted round robin: in proportion to weight, interleaved. */
  WEIGHTED_ROUND_ROBIN,
  /** Fewest open connections relative to weight. */
  LEAST_CONNECTIONS,
  /** Rendezvous hash of the client address. */
  SOURCE_IP,
  /** Rendezvous hash of the client address and port. */
  SOURCE_IP_PORT,
  /** Maglev consistent hashing: the same set gives the same table on every node. */
  MAGLEV,
  /** Power of two random choices by open connections. */
  RANDOM_TWO_CHOICES
}
