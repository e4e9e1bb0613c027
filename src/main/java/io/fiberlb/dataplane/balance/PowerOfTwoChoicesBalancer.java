package io.fiberlb.dataplane.balance;

import io.fiberlb.balance.Hashing;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * RANDOM_TWO_CHOICES (the power of two choices): draw two different endpoints at random, each with probability
 * proportional to its weight, and take the one with fewer open connections per unit of weight; on a tie, the first
 * drawn. O(1) per pick whatever the pool size, and with no load information at all (every count equal) it is a
 * weighted random choice, so each endpoint still gets its weight share.
 *
 * <p>Drawing by weight in O(1) uses an alias table (Walker; Vose's construction) in integers, so it is exact: the
 * draw picks column {@code k} uniformly and then a threshold {@code r} uniformly in {@code [0, W)}; {@code k} if
 * {@code r < threshold[k]}, else {@code alias[k]}. The second draw, if it hits the first endpoint again, is replaced
 * by a uniform draw among the others, so the two candidates always differ.
 */
final class PowerOfTwoChoicesBalancer implements Balancer {
  private final Endpoint[] endpoints;
  private final List<Endpoint> candidates;
  private final int[] weights;
  private final int[] threshold;
  private final int[] alias;
  private final int totalWeight;
  private final Supplier<RandomGenerator> random;

  PowerOfTwoChoicesBalancer(List<Endpoint> eligible) {
    this(eligible, ThreadLocalRandom::current);
  }

  /** @param random the draws' source: the calling thread's own in service, a seeded one in tests */
  PowerOfTwoChoicesBalancer(List<Endpoint> eligible, Supplier<RandomGenerator> random) {
    this.random = random;
    this.candidates = List.copyOf(eligible);
    this.endpoints = candidates.toArray(new Endpoint[0]);
    int n = endpoints.length;
    this.weights = new int[n];
    int total = 0;
    for (int i = 0; i < n; i++) {
      weights[i] = endpoints[i].weight();
      total += weights[i];
    }
    this.totalWeight = total;
    this.threshold = new int[n];
    this.alias = new int[n];
    buildAliasTable(weights, total, threshold, alias);
  }

  /**
   * Column k keeps {@code threshold[k] / W} of its 1/n probability for itself and gives the rest to
   * {@code alias[k]}. With every weight scaled by n the columns average W; each under-full column is topped up
   * from one over-full column, which may then become under-full itself. Integers throughout, so nothing is lost.
   */
  static void buildAliasTable(int[] weights, int total, int[] threshold, int[] alias) {
    int n = weights.length;
    long[] scaled = new long[n];
    int[] small = new int[n];
    int[] large = new int[n];
    int smalls = 0;
    int larges = 0;
    for (int i = 0; i < n; i++) {
      scaled[i] = (long) weights[i] * n;
      if (scaled[i] < total) small[smalls++] = i;
      else large[larges++] = i;
    }
    while (smalls > 0 && larges > 0) {
      int s = small[--smalls];
      int l = large[--larges];
      threshold[s] = (int) scaled[s];
      alias[s] = l;
      scaled[l] -= total - scaled[s];
      if (scaled[l] < total) small[smalls++] = l;
      else large[larges++] = l;
    }
    // What remains is exactly full (the sums are exact): it always keeps its own column.
    while (larges > 0) {
      int l = large[--larges];
      threshold[l] = total;
      alias[l] = l;
    }
    while (smalls > 0) {
      int s = small[--smalls];
      threshold[s] = total;
      alias[s] = s;
    }
  }

  @Override
  public Endpoint pick(ConnectionKey key) {
    int n = endpoints.length;
    if (n == 1) return endpoints[0];
    RandomGenerator r = random.get();
    int a = draw(r.nextLong());
    int b = draw(r.nextLong());
    if (b == a) {
      b = a + 1 + r.nextInt(n - 1);
      if (b >= n) b -= n;
    }
    // b wins only if strictly less loaded: open_b / w_b < open_a / w_a
    long openA = endpoints[a].openConnections();
    long openB = endpoints[b].openConnections();
    return openB * weights[a] < openA * weights[b] ? endpoints[b] : endpoints[a];
  }

  /** One weighted draw from 64 random bits: the high half chooses the column, the low half the threshold. */
  int draw(long bits) {
    int column = Hashing.reduce(bits, endpoints.length);
    int r = Hashing.reduce(bits << 32, totalWeight);
    return r < threshold[column] ? column : alias[column];
  }

  @Override
  public List<Endpoint> candidates() {
    return candidates;
  }

  @Override
  public String toString() {
    return "PowerOfTwoChoices" + candidates;
  }
}
