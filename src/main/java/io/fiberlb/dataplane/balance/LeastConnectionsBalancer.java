package io.fiberlb.dataplane.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * LEAST_CONNECTIONS: the endpoint with the fewest open connections per unit of weight ({@code open / weight},
 * compared by cross-multiplying, so no division and no rounding). With equal weights that is simply the fewest
 * open connections. The counts are the live ones the callers report on each {@link Endpoint}.
 *
 * <p>Ties: the scan starts at a position that advances by one at each pick and keeps the first minimum it meets,
 * so a burst of connections arriving before any of them is counted (all counts equal) is spread in rotation
 * instead of landing on the first endpoint. A pick reads every endpoint's counter: O(N), fine for pools of
 * hundreds; for very large pools use RANDOM_TWO_CHOICES.
 */
final class LeastConnectionsBalancer implements Balancer {
  private final Endpoint[] endpoints;
  private final int[] weights;
  private final List<Endpoint> candidates;
  private final AtomicLong sequence;

  LeastConnectionsBalancer(List<Endpoint> eligible, AtomicLong sequence) {
    this.candidates = List.copyOf(eligible);
    this.endpoints = candidates.toArray(new Endpoint[0]);
    this.weights = new int[endpoints.length];
    for (int i = 0; i < weights.length; i++) weights[i] = endpoints[i].weight();
    this.sequence = sequence;
  }

  @Override
  public Endpoint pick(ConnectionKey key) {
    int n = endpoints.length;
    int best = Math.floorMod(sequence.getAndIncrement(), n);
    long bestOpen = endpoints[best].openConnections();
    long bestWeight = weights[best];
    for (int k = 1, i = best + 1; k < n; k++, i++) {
      if (i == n) i = 0;
      long open = endpoints[i].openConnections();
      // open / weights[i] < bestOpen / bestWeight
      if (open * bestWeight < bestOpen * weights[i]) {
        best = i;
        bestOpen = open;
        bestWeight = weights[i];
      }
    }
    return endpoints[best];
  }

  @Override
  public List<Endpoint> candidates() {
    return candidates;
  }

  @Override
  public String toString() {
    return "LeastConnections" + candidates;
  }
}
