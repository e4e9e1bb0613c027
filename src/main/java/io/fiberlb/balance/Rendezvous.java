package io.fiberlb.balance;

/**
 * Weighted rendezvous (highest random weight) hashing: the choice behind SOURCE_IP and SOURCE_IP_PORT.
 *
 * <p>Every (client, endpoint) pair gets a pseudo-random score from a fixed hash, and the client goes to the
 * endpoint with the best score. While the set of eligible endpoints stays the same, a client always gets the same
 * endpoint, on every node. When an endpoint leaves, only its own clients move (each to its second best), and when
 * one joins, only the clients it now wins move to it: the least disruption any scheme can have, with no table to
 * build. The price is O(N) hashing per pick, which is why MAGLEV (O(1) per pick) exists beside it.
 *
 * <p>Weights: the score is {@code -ln(u) / weight} for the pair's hash mapped to {@code u} in (0, 1), smallest
 * wins. That is an exponential variable of rate {@code weight}, and the smallest of independent exponentials is
 * endpoint i with probability {@code w_i / W}, so the shares follow the weights exactly, and changing one weight
 * moves only clients to or from that endpoint. The logarithm is {@link #ln}, our own, because it must give the same
 * bits on every node ({@code Math.log} may differ by an ulp between platforms) and it runs N times per pick. When
 * all weights are equal the logarithm is skipped and the largest hash wins, which is the same ordering.
 *
 * <p>Endpoints are taken in key order, so the input order changes nothing (not even the 2^-64 chance of a tie).
 */
public final class Rendezvous {
  private final long[] endpointHashes;
  private final double[] inverseWeights;
  private final boolean equalWeights;

  /**
   * @param sortedKeys the endpoints' keys ({@link EndpointKey}), unique, in ascending {@code String} order; a pick
   *     answers an index into them
   * @param weights each endpoint's weight, above 0
   */
  public Rendezvous(String[] sortedKeys, int[] weights) {
    int n = sortedKeys.length;
    if (n == 0 || weights.length != n) throw new IllegalArgumentException("one weight per endpoint, and one endpoint at least");
    this.endpointHashes = new long[n];
    this.inverseWeights = new double[n];
    boolean equal = true;
    for (int i = 0; i < n; i++) {
      if (weights[i] <= 0) throw new IllegalArgumentException("weights must be positive");
      endpointHashes[i] = Hashing.hash64(sortedKeys[i], Hashing.SEED_RENDEZVOUS);
      inverseWeights[i] = 1.0 / weights[i];
      equal &= weights[i] == weights[0];
    }
    this.equalWeights = equal;
  }

  /** The index of the endpoint that client hash {@code client} goes to. */
  public int pick(long client) {
    int n = endpointHashes.length;
    int best = 0;
    if (equalWeights) {
      long bestScore = score(client, endpointHashes[0]);
      for (int i = 1; i < n; i++) {
        long s = score(client, endpointHashes[i]);
        if (Long.compareUnsigned(s, bestScore) > 0) {
          best = i;
          bestScore = s;
        }
      }
    } else {
      double bestScore = Double.POSITIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        double u = unit(score(client, endpointHashes[i]));
        // -ln(u) >= 1 - u, so an endpoint whose bound is no better than the best so far cannot win: skip its
        // logarithm. After the first few endpoints the best is small and most are skipped (about ln N logarithms
        // per pick instead of N), with the same result short of a tie within ln's 2e-15.
        if ((1 - u) * inverseWeights[i] >= bestScore) continue;
        double s = -ln(u) * inverseWeights[i];
        if (s < bestScore) {
          best = i;
          bestScore = s;
        }
      }
    }
    return best;
  }

  private static long score(long client, long endpoint) {
    return Hashing.fmix64(client ^ endpoint);
  }

  /** The top 53 bits of a hash as a double in (0, 1); a larger hash gives a larger u and a smaller -ln(u) / w. */
  private static double unit(long hash) {
    return ((hash >>> 11) + 0.5) * 0x1.0p-53;
  }

  private static final double LN2 = StrictMath.log(2.0);
  /** {@code ln(1 + k/128)} and {@code 1 / (1 + k/128)} for k = 0..128: StrictMath is bit-exact by specification. */
  private static final double[] LN_CENTER = new double[129];
  private static final double[] INV_CENTER = new double[129];

  static {
    for (int k = 0; k <= 128; k++) {
      double c = 1 + k / 128.0;
      LN_CENTER[k] = StrictMath.log(c);
      INV_CENTER[k] = 1 / c;
    }
  }

  /**
   * Natural logarithm of a positive normal double, to within 2e-15 plus a few ulps: {@code x = m * 2^e} with m in
   * [1, 2) from the bits; c is the nearest of 1, 1 + 1/128, ..., 2 to m (from the top 8 bits of m), so
   * {@code r = m / c - 1} is below 1/256 in size and {@code ln x = e ln 2 + ln c + ln(1 + r)}, the last by six terms
   * of its series (the seventh is under 1e-17). A table lookup and a few multiplications, about twice as fast as
   * StrictMath.log in a loop, and computed with + - * only, so bit for bit the same on every JVM and platform,
   * which Math.log is not.
   */
  public static double ln(double x) {
    long bits = Double.doubleToRawLongBits(x);
    int e = (int) (bits >>> 52) - 1023;
    double m = Double.longBitsToDouble((bits & 0x000fffffffffffffL) | 0x3ff0000000000000L);
    int k = ((int) (bits >>> 44 & 0xff) + 1) >>> 1;
    double r = m * INV_CENTER[k] - 1;
    double lnOnePlusR = r * (1 - r * (1.0 / 2 - r * (1.0 / 3 - r * (1.0 / 4 - r * (1.0 / 5 - r * (1.0 / 6))))));
    return e * LN2 + LN_CENTER[k] + lnOnePlusR;
  }
}
