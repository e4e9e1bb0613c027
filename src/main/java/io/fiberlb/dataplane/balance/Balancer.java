package io.fiberlb.dataplane.balance;

import java.util.List;

/**
 * Chooses the backend for each new connection of one pool.
 *
 * <p>An implementation works on an immutable snapshot of the pool's eligible endpoints taken when it was built
 * ({@link Balancers}); a change of health or configuration builds a new one, which {@link PoolBalancer} swaps in
 * atomically. {@link #pick} is called once per accepted connection from many threads at once: it takes no lock and
 * allocates nothing.
 */
public interface Balancer {
  /**
   * The endpoint for a new connection from {@code key}, or {@code null} when no endpoint is eligible: the caller
   * then closes the connection and counts it as rejected.
   */
  Endpoint pick(ConnectionKey key);

  /** The endpoints this balancer chooses among: the eligible ones, in the order it considers them. */
  List<Endpoint> candidates();
}
