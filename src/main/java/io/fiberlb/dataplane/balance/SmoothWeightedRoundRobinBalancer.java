package io.fiberlb.dataplane.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * WEIGHTED_ROUND_ROBIN, smooth as nginx does it: every endpoint has a current value; at each pick every current
 * value grows by its endpoint's weight, the largest (the first one in configuration order on a tie) is picked, and
 * the total weight is subtracted from it. Weights 5,1,1 give a,a,b,a,c,a,a rather than a,a,a,a,a,b,c: the heavy
 * endpoint's turns are spread out instead of arriving in a burst.
 *
 * <p>Run as nginx runs it, this needs a lock (or one copy per thread, as nginx has one per worker). But the
 * sequence is periodic: after {@code W = sum of weights} picks each endpoint has been picked exactly as many times
 * as its weight, so every current value is back to 0 and the sequence starts again (the test checks this against
 * a literal run of the algorithm for random weights). Scaling all weights by a common factor scales
 * all current values and changes no comparison, so the period is really {@code W / gcd(weights)}. We therefore
 * run the algorithm once, here, for one period, and a pick is one atomic increment and one array read: exactly the
 * nginx sequence, shared by all threads, without a lock.
 *
 * <p>Cost of a rebuild: O(N · W/g) time and 4 · W/g bytes, at most 256 · N entries (100 endpoints: under 100 KB,
 * a few milliseconds in the worst case of pairwise co-prime weights). nginx's {@code effective_weight}, which
 * lowers the weight of a peer after failed attempts, has no counterpart here: a failing endpoint leaves the
 * snapshot through its health flag instead.
 */
final class SmoothWeightedRoundRobinBalancer implements Balancer {
  private final Endpoint[] endpoints;
  private final List<Endpoint> candidates;
  private final int[] cycle;
  private final AtomicLong sequence;

  SmoothWeightedRoundRobinBalancer(List<Endpoint> eligible, AtomicLong sequence) {
    this.candidates = List.copyOf(eligible);
    this.endpoints = candidates.toArray(new Endpoint[0]);
    int[] weights = new int[endpoints.length];
    for (int i = 0; i < weights.length; i++) weights[i] = endpoints[i].weight();
    this.cycle = cycle(weights);
    this.sequence = sequence;
  }

  /** One period of the smooth weighted round robin over positive weights, as indexes into {@code weights}. */
  static int[] cycle(int[] weights) {
    int g = 0;
    for (int w : weights) {
      if (w <= 0) throw new IllegalArgumentException("weights must be positive");
      g = gcd(g, w);
    }
    int n = weights.length;
    int[] w = new int[n];
    int total = 0;
    for (int i = 0; i < n; i++) {
      w[i] = weights[i] / g;
      total += w[i];
    }
    long[] current = new long[n];
    int[] cycle = new int[total];
    for (int t = 0; t < total; t++) {
      int best = 0;
      for (int i = 0; i < n; i++) {
        current[i] += w[i];
        if (current[i] > current[best]) best = i;
      }
      current[best] -= total;
      cycle[t] = best;
    }
    return cycle;
  }

  private static int gcd(int a, int b) {
    while (b != 0) {
      int t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  @Override
  public Endpoint pick(ConnectionKey key) {
    return endpoints[cycle[Math.floorMod(sequence.getAndIncrement(), cycle.length)]];
  }

  @Override
  public List<Endpoint> candidates() {
    return candidates;
  }

  int period() {
    return cycle.length;
  }

  @Override
  public String toString() {
    return "SmoothWeightedRoundRobin" + candidates;
  }
}
